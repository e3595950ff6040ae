// fill, axpby (out aliasing an input included) and the sum of squares against double.
#include <cmath>

#include "cuda_test.hpp"
#include "entropic/cuda/elementwise.cuh"

namespace {
using namespace entropic::test;

template <class T>
void check(int64_t n, double tol) {
  const std::vector<T> a = random_values<T>(n, 61), b = random_values<T>(n, 62, -2, 2);
  const T alpha = T(0.75), beta = T(-1.5);
  DeviceBuffer<T> da(a), db(b), out(static_cast<size_t>(n), T(NAN)), filled(static_cast<size_t>(n), T(NAN));
  DeviceBuffer<double> sum(1, NAN), work(entropic::cuda::kSumBlocks, NAN);
  entropic::cuda::fill(filled.get(), n, T(3.25), kStream);
  entropic::cuda::axpby(alpha, da.get(), beta, db.get(), out.get(), n, kStream);
  entropic::cuda::sum_of_squares(db.get(), n, sum.get(), work.get(), kStream);
  entropic::cuda::axpby(T(1), db.get(), alpha, da.get(), db.get(), n, kStream);  // b += alpha a, in place
  std::vector<double> r(static_cast<size_t>(n)), inplace(static_cast<size_t>(n));
  double ss = 0;
  for (size_t i = 0; i < size_t(n); ++i) {
    r[i] = double(alpha) * double(a[i]) + double(beta) * double(b[i]);
    inplace[i] = double(b[i]) + double(alpha) * double(a[i]);
    ss += double(b[i]) * double(b[i]);
  }
  const std::string name = shape_name("elementwise", {n});
  CHECK(filled.host() == std::vector<T>(static_cast<size_t>(n), T(3.25)));
  CHECK(all_close(out.host(), r, tol, tol, name + " axpby"));
  CHECK(all_close(db.host(), inplace, tol, tol, name + " axpby in place"));
  CHECK(sum.host_at(0) == doctest::Approx(ss).epsilon(1e-12));  // accumulated in double
}
}  // namespace

TEST_CASE("fill, axpby and sum of squares") {
  const std::vector<int64_t> sizes = kTsan ? std::vector<int64_t>{1, 300} : std::vector<int64_t>{1, 31, 257, 100003};
  for (int64_t n : sizes) {
    check<float>(n, 1e-6);
    check<double>(n, 1e-14);
  }
}
