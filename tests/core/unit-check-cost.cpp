// A check that passes must cost nothing beyond its comparison: no message, so no allocation.
// This program replaces the global operator new to count allocations; shapes of rank 6 print
// as 18 characters, past std::string's inline buffer, so formatting one would allocate.
#include <doctest/doctest.h>

#include <atomic>
#include <cstdlib>
#include <new>

#include "entropic/ops/common.hpp"

namespace {
std::atomic<long> allocations{0};
}

void* operator new(std::size_t n) {
  allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }

using namespace entropic;

TEST_CASE("passing shape and device checks allocate nothing, a failing one still names the shapes") {
  const TensorF a = TensorF::zeros({1, 1, 1, 1, 1, 1}), b = TensorF::zeros({1, 1, 1, 1, 1, 1});
  const TensorF c = TensorF::zeros({2, 3});
  const long before = allocations.load();
  for (int i = 0; i < 1000; ++i) {
    ops::require_same_shape(a, b, "op", "a", "b");
    ops::require_device(a, Device::cpu, "op", "a");
    ops::require_matrix(c, "op", "c");
    check(a.shape() == b.shape(), "op: shape ", a.shape(), " differs from ", b.shape());
  }
  CHECK(allocations.load() - before == 0);
  CHECK_THROWS_WITH_AS(ops::require_same_shape(a, c, "op", "a", "c"),
                       doctest::Contains("a has shape [1, 1, 1, 1, 1, 1] but c has shape [2, 3]"), Error);
}
