#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "entropic/cpu/kde.hpp"
#include "reference/kde.hpp"
#include "support.hpp"

using namespace entropic;

namespace {

template <class T>
std::vector<T> sample(int64_t n, int64_t d, uint64_t seed) {
  std::vector<T> x(static_cast<size_t>(n * d));
  Rng(seed).fill_normal(x.data(), n * d);
  return x;
}

template <class T>
void check_against_reference(int64_t n, int64_t d, bool loo, bool gemm_version, double sigma) {
  const auto x = sample<T>(n, d, uint64_t(n * 131 + d));
  const test::KdeRef ref = test::kde_reference(x, n, d, sigma, loo);
  std::vector<T> log_p(static_cast<size_t>(n)), lse(static_cast<size_t>(n)), dx(static_cast<size_t>(n * d));
  const double h = gemm_version
                       ? cpu::kde_forward_gemm(x.data(), n, d, sigma, loo, log_p.data(), lse.data())
                       : cpu::kde_forward(x.data(), n, d, sigma, loo, log_p.data(), lse.data());
  if (gemm_version)
    cpu::kde_backward_gemm(x.data(), n, d, sigma, loo, lse.data(), T(2), dx.data());
  else
    cpu::kde_backward(x.data(), n, d, sigma, loo, lse.data(), T(2), dx.data());
  std::vector<double> g2(ref.dx);
  for (auto& v : g2) v *= 2;  // upstream gradient dH = 2
  const bool f = sizeof(T) == 4;
  double gmax = 0;
  for (double v : g2) gmax = std::max(gmax, std::fabs(v));
  CAPTURE(n);
  CAPTURE(d);
  CAPTURE(loo);
  CAPTURE(gemm_version);
  CHECK(h == doctest::Approx(ref.H).epsilon(f ? 1e-5 : 1e-12));
  CHECK(test::all_close(lse.data(), ref.lse.data(), n, f ? 2e-5 : 1e-12, f ? 2e-6 : 1e-12, "row_lse"));
  CHECK(test::all_close(dx.data(), g2.data(), n * d, (f ? 1e-5 : 1e-12) * gmax, f ? 1e-4 : 1e-10, "dx"));
}

}  // namespace

TEST_CASE("cpu kde: fast exp is within a few ulp, and 0 for very negative arguments") {
  double worst_f = 0, worst_d = 0;
  const int64_t m = 200001;
  std::vector<float> xf(m), yf(m);
  std::vector<double> xd(m), yd(m);
  for (int64_t i = 0; i < m; ++i) {
    xf[size_t(i)] = float(-87.0 + 175.0 * double(i) / double(m - 1));
    xd[size_t(i)] = -708.0 + 1416.0 * double(i) / double(m - 1);
  }
  cpu::exp_fast(xf.data(), yf.data(), m);
  cpu::exp_fast(xd.data(), yd.data(), m);
  for (int64_t i = 0; i < m; ++i) {
    const double rf = std::exp(double(xf[size_t(i)]));
    worst_f = std::max(worst_f, std::fabs(double(yf[size_t(i)]) - rf) / rf);
    const long double rd = std::exp((long double)xd[size_t(i)]);
    worst_d = std::max(worst_d, double(std::fabs((yd[size_t(i)] - rd) / rd)));
  }
  MESSAGE("max relative error: float " << worst_f / 0x1p-24 << " half-ulps (2^-24), double "
                                       << worst_d / 0x1p-53 << " half-ulps (2^-53)");
  CHECK(worst_f < 4 * 0x1p-24);  // 2 ulp
  CHECK(worst_d < 4 * 0x1p-53);
  const float neg[] = {-88.f, -100.f, -1e30f, -std::numeric_limits<float>::infinity(), 0.f};
  float out[5];
  cpu::exp_fast(neg, out, 5);
  CHECK(out[0] == 0.f);
  CHECK(out[1] == 0.f);
  CHECK(out[2] == 0.f);
  CHECK(out[3] == 0.f);
  CHECK(out[4] == 1.f);
  const double negd[] = {-709.0, -1e300, -std::numeric_limits<double>::infinity()};
  double outd[3];
  cpu::exp_fast(negd, outd, 3);
  CHECK(outd[0] == 0.0);
  CHECK(outd[1] == 0.0);
  CHECK(outd[2] == 0.0);
}

TEST_CASE("cpu kde: streaming forward and backward match a float64 reference") {
  for (int64_t d : {1, 2, 10, 64})
    for (bool loo : {false, true}) {
      const double sigma = 0.6 * std::sqrt(double(d));
      check_against_reference<double>(67, d, loo, false, sigma);
      check_against_reference<float>(67, d, loo, false, sigma);
    }
}

TEST_CASE("cpu kde: symmetric-block forward and backward (d > 8) over several row blocks, the last one partial") {
  for (int64_t d : {9, 40})
    for (bool loo : {false, true}) {
      const double sigma = 0.6 * std::sqrt(double(d));
      check_against_reference<double>(200, d, loo, false, sigma);
      check_against_reference<float>(200, d, loo, false, sigma);
    }
}

TEST_CASE("cpu kde: GEMM version matches the reference and the streaming version") {
  for (int64_t d : {1, 2, 10, 64})
    for (bool loo : {false, true}) {
      const double sigma = 0.6 * std::sqrt(double(d));
      check_against_reference<double>(53, d, loo, true, sigma);
      check_against_reference<float>(53, d, loo, true, sigma);
    }
  for (int64_t d : {3, 100}) {  // larger than one column tile and one row block
    const int64_t n = 300;
    const auto x = sample<float>(n, d, 7);
    std::vector<float> lp(n), l1(n), l2(n), g1(n * d), g2(n * d);
    const double s = 0.5 * std::sqrt(double(d));
    const double h1 = cpu::kde_forward(x.data(), n, d, s, false, lp.data(), l1.data());
    const double h2 = cpu::kde_forward_gemm(x.data(), n, d, s, false, lp.data(), l2.data());
    cpu::kde_backward(x.data(), n, d, s, false, l1.data(), 1.f, g1.data());
    cpu::kde_backward_gemm(x.data(), n, d, s, false, l2.data(), 1.f, g2.data());
    CHECK(h1 == doctest::Approx(h2).epsilon(1e-5));
    CHECK(test::all_close(l2.data(), l1.data(), n, 1e-4, 1e-5, "row_lse gemm vs streaming"));
    CHECK(test::all_close(g2.data(), g1.data(), n * d, 1e-6, 1e-3, "dx gemm vs streaming"));
  }
}

TEST_CASE("cpu kde: backward equals central differences of H in double") {
  for (int64_t d : {1, 2, 10, 64})
    for (bool loo : {false, true}) {
      const int64_t n = d == 64 ? 9 : 13;
      auto x = sample<double>(n, d, uint64_t(d + 99));
      const double s = 0.7 * std::sqrt(double(d));
      std::vector<double> lp(static_cast<size_t>(n)), lse(static_cast<size_t>(n)), dx(static_cast<size_t>(n * d));
      auto f = [&] { return cpu::kde_forward(x.data(), n, d, s, loo, lp.data(), lse.data()); };
      f();
      cpu::kde_backward(x.data(), n, d, s, loo, lse.data(), 1.0, dx.data());
      const auto num = test::numeric_grad(f, x.data(), n * d, 1e-5);
      CAPTURE(d);
      CAPTURE(loo);
      CHECK(test::all_close(dx, num, 1e-8, 1e-6, "dx vs central differences"));
    }
}

TEST_CASE("cpu kde: far-apart points under leave-one-out keep finite log-sum-exps") {
  // sigma much smaller than the spacing: every e_ij < -1000, far below exp's range, so the
  // online max is what keeps the sums from underflowing to log 0.
  const int64_t n = 40, d = 2;
  std::vector<float> x(static_cast<size_t>(n * d));
  for (int64_t i = 0; i < n; ++i) x[size_t(i * d)] = float(i), x[size_t(i * d + 1)] = float(i % 3);
  std::vector<float> lp(n), lse(n), dx(n * d);
  const double h = cpu::kde_forward(x.data(), n, d, 0.01, true, lp.data(), lse.data());
  cpu::kde_backward(x.data(), n, d, 0.01, true, lse.data(), 1.f, dx.data());
  const test::KdeRef ref = test::kde_reference(x, n, d, 0.01, true);
  CHECK(std::isfinite(h));
  CHECK(h == doctest::Approx(ref.H).epsilon(1e-5));
  CHECK(test::all_close(lse.data(), ref.lse.data(), n, 0.0, 1e-5, "row_lse"));
  for (float v : dx) CHECK(std::isfinite(v));
}
