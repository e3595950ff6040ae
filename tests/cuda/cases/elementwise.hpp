// fill, axpby (out aliasing an input included) and the sum of squares against double.
#include <algorithm>
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

// Each map forward and backward, and both products, against the same formulas in double.
template <class T>
void check_maps(int64_t n, double tol) {
  using entropic::Binary;
  using entropic::Map;
  const std::vector<T> x = random_values<T>(n, 63, -2, 2), pos = random_values<T>(n, 64, 0.25, 3),
                       dy = random_values<T>(n, 65);
  const T p0 = T(-0.5), p1 = T(0.75);
  const std::string name = shape_name("maps", {n});
  for (Map m : {Map::exp, Map::log, Map::square, Map::clamp, Map::affine}) {
    CAPTURE(entropic::map_name(m));
    const std::vector<T>& in = m == Map::log ? pos : x;
    DeviceBuffer<T> din(in), ddy(dy), y(static_cast<size_t>(n), T(NAN)), dx(static_cast<size_t>(n), T(NAN));
    entropic::cuda::map_forward(m, din.get(), y.get(), n, p0, p1, kStream);
    entropic::cuda::map_backward(m, ddy.get(), din.get(), y.get(), dx.get(), n, p0, p1, kStream);
    std::vector<double> ry(static_cast<size_t>(n)), rdx(static_cast<size_t>(n));
    for (size_t i = 0; i < size_t(n); ++i) {
      const double v = double(in[i]), g = double(dy[i]);
      switch (m) {
        case Map::exp: ry[i] = std::exp(v); rdx[i] = g * ry[i]; break;
        case Map::log: ry[i] = std::log(v); rdx[i] = g / v; break;
        case Map::square: ry[i] = v * v; rdx[i] = 2 * v * g; break;
        case Map::clamp:
          ry[i] = std::min(std::max(v, double(p0)), double(p1));
          rdx[i] = v >= double(p0) && v <= double(p1) ? g : 0.0;
          break;
        case Map::affine: ry[i] = double(p0) * v + double(p1); rdx[i] = double(p0) * g; break;
      }
    }
    CHECK(all_close(y.host(), ry, tol, tol, name + " forward"));
    CHECK(all_close(dx.host(), rdx, tol, tol, name + " backward"));
  }
  for (Binary op : {Binary::mul, Binary::div}) {
    DeviceBuffer<T> da(x), db(pos), out(static_cast<size_t>(n), T(NAN));
    entropic::cuda::binary(op, T(-1.25), da.get(), db.get(), out.get(), n, kStream);
    entropic::cuda::binary(op, T(2), da.get(), db.get(), da.get(), n, kStream);  // out aliasing a
    std::vector<double> r(static_cast<size_t>(n)), r2(static_cast<size_t>(n));
    for (size_t i = 0; i < size_t(n); ++i) {
      const double q = op == Binary::mul ? double(x[i]) * double(pos[i]) : double(x[i]) / double(pos[i]);
      r[i] = -1.25 * q;
      r2[i] = 2 * q;
    }
    CHECK(all_close(out.host(), r, tol, tol, name + (op == Binary::mul ? " mul" : " div")));
    CHECK(all_close(da.host(), r2, tol, tol, name + " in place"));
  }
}

TEST_CASE("exp, log, square, clamp, affine forward and backward, mul and div") {
  // Several blocks of the grid-stride loop; the maps are per element, so larger n adds nothing.
  const std::vector<int64_t> sizes = kTsan ? std::vector<int64_t>{1, 300} : std::vector<int64_t>{1, 31, 4099};
  for (int64_t n : sizes) {
    check_maps<float>(n, 2e-6);
    check_maps<double>(n, 1e-14);
  }
}

TEST_CASE("fill, axpby and sum of squares") {
  const std::vector<int64_t> sizes = kTsan ? std::vector<int64_t>{1, 300} : std::vector<int64_t>{1, 31, 257, 100003};
  for (int64_t n : sizes) {
    check<float>(n, 1e-6);
    check<double>(n, 1e-14);
  }
}
