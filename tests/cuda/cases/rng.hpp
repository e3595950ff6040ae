// The device fills give the CPU's numbers for the same seed, element for element.
#include <cmath>
#include <limits>

#include "cuda_test.hpp"
#include "entropic/cuda/rng.cuh"

namespace {
using namespace entropic::test;

// Exact under the shim (same code, same libm); on a GPU the double-precision log/sin/cos
// may differ from glibc's in the last bits, which rounding to T almost always hides.
template <class T>
bool same(const std::vector<T>& got, const std::vector<T>& want, const char* what) {
  const double ulp = kEmulated ? 0.0 : 2.0 * double(std::numeric_limits<T>::epsilon());
  return all_close(got, want, ulp, ulp, what);
}

template <class T>
void check(int64_t n, uint64_t seed) {
  entropic::Rng cpu(seed), dev(seed);
  std::vector<T> a(static_cast<size_t>(n)), b(static_cast<size_t>(n)), c(static_cast<size_t>(n));
  cpu.fill_normal(a.data(), n, 0.5, 2.0);
  cpu.fill_uniform(b.data(), n, -1.0, 3.0);
  cpu.fill_normal(c.data(), n);
  DeviceBuffer<T> da(static_cast<size_t>(n), T(NAN)), db(static_cast<size_t>(n), T(NAN)), dc(static_cast<size_t>(n), T(NAN));
  entropic::cuda::fill_normal(dev, da.get(), n, 0.5, 2.0, kStream);
  entropic::cuda::fill_uniform(dev, db.get(), n, -1.0, 3.0, kStream);
  entropic::cuda::fill_normal(dev, dc.get(), n, 0.0, 1.0, kStream);
  CHECK(same(da.host(), a, "fill_normal"));
  CHECK(same(db.host(), b, "fill_uniform"));
  CHECK(same(dc.host(), c, "fill_normal after other fills"));
  CHECK(dev.offset() == cpu.offset());
}
}  // namespace

TEST_CASE("fill_normal and fill_uniform equal the CPU Rng element for element") {
  for (int64_t n : kTsan ? std::vector<int64_t>{1, 257} : std::vector<int64_t>{1, 2, 257, 4001}) {
    check<float>(n, 7);
    check<double>(n, 0x1234567890abcdefull);
  }
}
