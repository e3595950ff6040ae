#include <doctest/doctest.h>

#include <atomic>
#include <vector>

#include "entropic/core/parallel.hpp"

using namespace entropic;

TEST_CASE("parallel_for: covers every index exactly once, nested calls run serially") {
  for (int64_t n : {0, 1, 7, 1000, 100003}) {
    std::vector<std::atomic<int>> hits(static_cast<size_t>(n));
    parallel_for(n, 3, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) hits[size_t(i)]++;
    });
    for (auto& h : hits) REQUIRE(h.load() == 1);
  }
  std::atomic<int64_t> total{0};
  parallel_for(8, 1, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i)
      parallel_for(100, 1, [&](int64_t b2, int64_t e2) { total += e2 - b2; });
  });
  CHECK(total.load() == 800);
}

TEST_CASE("parallel_for: many small jobs in a row (no lost wake-ups)") {
  int64_t sum = 0;
  for (int rep = 0; rep < 2000; ++rep) {
    std::atomic<int64_t> s{0};
    parallel_for(64, 1, [&](int64_t b, int64_t e) { s += e - b; });
    sum += s.load();
  }
  CHECK(sum == 2000 * 64);
}
