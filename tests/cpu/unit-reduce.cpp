#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <utility>
#include <vector>

#include "entropic/cpu/reduce.hpp"
#include "support.hpp"

using namespace entropic;
using test::all_close;
using test::random_vector;

namespace {

template <class T>
std::vector<T> rounded(int64_t n, uint64_t seed, double lo = -1, double hi = 1) {
  const std::vector<double> v = random_vector(n, seed, lo, hi);
  return std::vector<T>(v.begin(), v.end());
}

// Kahan-Babuska in long double: an independent reference far more accurate than the kernel.
template <class T>
double ref_sum(const T* x, int64_t n) {
  long double s = 0, comp = 0;
  for (int64_t i = 0; i < n; ++i) {
    const long double v = x[i], t = s + v;
    comp += std::fabs(s) >= std::fabs(v) ? (s - t) + v : (v - t) + s;
    s = t;
  }
  return double(s + comp);
}

}  // namespace

TEST_CASE_TEMPLATE("reduce: sum and mean match a compensated reference", T, float, double) {
  // Around the lane (16) and block (4096) boundaries, and large enough for several threads.
  for (int64_t n : {1, 15, 16, 17, 4095, 4096, 4097, 300 * 517, 1000003}) {
    const std::vector<T> x = rounded<T>(n, uint64_t(n));
    double abs_sum = 0;
    for (T v : x) abs_sum += std::fabs(double(v));
    const double ref = ref_sum(x.data(), n);
    // Double accumulation: the error bound is relative to sum |x|, not to the (cancelling) sum.
    const double tol = 1e-14 * abs_sum + 1e-300;
    CHECK_MESSAGE(std::fabs(cpu::sum(x.data(), n) - ref) <= tol, "n=", n);
    CHECK_MESSAGE(std::fabs(cpu::mean(x.data(), n) - ref / double(n)) <= tol / double(n), "n=", n);
  }
}

TEST_CASE("reduce: float sums keep double precision (no float accumulator)") {
  // 0.1f summed 10^6 times drifts by ~1% in a float accumulator.
  const int64_t n = 1000000;
  const std::vector<float> x(static_cast<size_t>(n), 0.1f);
  const double expected = double(0.1f) * double(n);
  CHECK(std::fabs(cpu::sum(x.data(), n) - expected) <= 1e-9 * expected);
}

TEST_CASE("reduce: sum is bit-identical however the blocks are spread over threads") {
  const int64_t n = 300 * 517;
  const std::vector<double> x = random_vector(n, 11);
  const auto term = [&x](int64_t i) { return x[size_t(i)]; };
  const double one_thread = cpu::detail::blocked_sum(n, int64_t(1) << 40, term);
  const double finest_split = cpu::detail::blocked_sum(n, 1, term);
  CHECK(one_thread == finest_split);
  CHECK(cpu::sum(x.data(), n) == one_thread);
}

TEST_CASE_TEMPLATE("reduce: column_sums overwrites out with the sum over rows", T, float, double) {
  const std::pair<int64_t, int64_t> shapes[] = {{1, 1}, {1, 9}, {7, 1}, {5, 17}, {3, 300}, {300, 517}};
  for (auto [rows, cols] : shapes) {
    const std::vector<T> x = rounded<T>(rows * cols, uint64_t(rows * 1000 + cols));
    std::vector<double> ref(static_cast<size_t>(cols), 0.0);
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t c = 0; c < cols; ++c) ref[size_t(c)] += double(x[size_t(r * cols + c)]);
    std::vector<T> out(static_cast<size_t>(cols), T(12345));
    cpu::column_sums(x.data(), out.data(), rows, cols);
    const bool f = std::is_same_v<T, float>;
    CHECK_MESSAGE(all_close(out, ref, f ? 1e-6 : 1e-13, f ? 1e-6 : 1e-13, "column_sums"), rows, "x",
                  cols);
  }
}
