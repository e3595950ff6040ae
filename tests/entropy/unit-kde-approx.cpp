#include <doctest/doctest.h>

#include <cmath>
#include <string>
#include <vector>

#include "entropic/entropy/kde.hpp"
#include "support.hpp"

using namespace entropic;
using namespace entropic::entropy;

namespace {
// Normal, clustered (tight groups far apart: whole boxes summed at once) and duplicate-heavy.
Tensor<double> make(int kind, int64_t n, int64_t d, uint64_t seed) {
  Tensor<double> x({n, d});
  Rng(seed).fill_normal(x.data(), n * d);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t c = 0; c < d; ++c) {
      double& v = x(i, c);
      if (kind == 1) v = 0.05 * v + 4.0 * double((i * 3 + c) % 4);
      if (kind == 2) v = std::round(2.0 * v) / 2.0;
    }
  return x;
}

// The exact kernel sums, one by one in double (the reference for the per-sample bound).
std::vector<double> exact_sums(const Tensor<double>& x, double sigma, bool loo) {
  const int64_t n = x.size(0), d = x.size(1);
  std::vector<double> s(size_t(n), 0.0);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < n; ++j) {
      if (loo && i == j) continue;
      double s2 = 0;
      for (int64_t c = 0; c < d; ++c) s2 += (x(i, c) - x(j, c)) * (x(i, c) - x(j, c));
      s[size_t(i)] += std::exp(-s2 / (2 * sigma * sigma));
    }
  return s;
}
}  // namespace

TEST_CASE("kde_entropy_approx: within -log(1 - rtol) nats of the exact H, on random, clustered and duplicate data") {
  for (bool grid : {true, false})
    for (int kind : {0, 1, 2})
      for (int64_t d : {1, 2, 3})
        for (bool loo : {false, true})
          for (double rtol : {1e-2, 1e-4}) {
            if (!grid && rtol < 1e-3 && d < 3) continue;  // the tree's slow case, covered at 1e-2
            const int64_t n = 1500;
            const auto x = make(kind, n, d, uint64_t(kind * 10 + d));
            KdeOptions o;
            o.leave_one_out = loo;
            const auto exact = kde_entropy(x, o);
            const auto approx = kde_entropy_approx(x, o, rtol, grid);
            CAPTURE(grid);
            CAPTURE(kind);
            CAPTURE(d);
            CAPTURE(loo);
            CAPTURE(rtol);
            CHECK(std::string(approx.method) == (grid && d <= 2 ? "grid" : "tree"));
            CHECK(approx.sigma == exact.sigma);
            CHECK(std::fabs(approx.entropy - double(exact.entropy)) <= -std::log1p(-rtol) + 1e-12);
          }
}

TEST_CASE("kde grid sums: every sample within relative rtol of its exact sum, at several sigmas") {
  // sigma from far below the spacing (isolated samples: the exact recomputation) to far above
  // it (one cell holds everything); clustered data has empty cells between the clusters.
  for (int kind : {0, 1, 2})
    for (int64_t d : {1, 2})
      for (double sigma : {0.01, 0.1, 0.5, 5.0})
        for (bool loo : {false, true})
          for (double rtol : {1e-1, 1e-4, 1e-8}) {
            const int64_t n = 700;
            const auto x = make(kind, n, d, uint64_t(100 + kind * 10 + d));
            const auto want = exact_sums(x, sigma, loo);
            std::vector<double> got(size_t(n), -1.0);
            cpu::KdTreeStats st;
            REQUIRE(cpu::kde_kernel_sums_grid(x.data(), n, d, sigma, loo, rtol, got.data(), &st));
            CAPTURE(kind);
            CAPTURE(d);
            CAPTURE(sigma);
            CAPTURE(loo);
            CAPTURE(rtol);
            double worst = 0;
            for (int64_t i = 0; i < n; ++i) {
              if (want[size_t(i)] == 0) {
                CHECK(got[size_t(i)] == 0);
                continue;
              }
              worst = std::max(worst, std::fabs(got[size_t(i)] - want[size_t(i)]) / want[size_t(i)]);
            }
            INFO("worst relative error ", worst, ", exact recomputations ", st.exact, " of ", n);
            CHECK(worst <= rtol * (1 + 1e-9));
          }
}

TEST_CASE("kde grid sums: on a dense sample the expansions serve (few exact recomputations, no n^2)") {
  const int64_t n = 20000;
  const auto x = make(0, n, 2, 5);
  std::vector<double> got(static_cast<size_t>(n));
  cpu::KdTreeStats st;
  const double sigma = 0.2;
  REQUIRE(cpu::kde_kernel_sums_grid(x.data(), n, 2, sigma, false, 1e-4, got.data(), &st));
  INFO("exact recomputations ", st.exact, ", sample-cell terms ", st.points);
  CHECK(st.exact < n / 1000);
  CHECK(st.points < n * 400);
  // Spot-check a few sums against the exact ones.
  for (int64_t i : {int64_t(0), int64_t(7), n / 2, n - 1}) {
    double want = 0;
    for (int64_t j = 0; j < n; ++j) {
      const double a = x(i, 0) - x(j, 0), b = x(i, 1) - x(j, 1);
      want += std::exp(-(a * a + b * b) / (2 * sigma * sigma));
    }
    CHECK(std::fabs(got[size_t(i)] - want) <= 1e-4 * want);
  }
}

TEST_CASE("kde grid sums: d > 2, a spread beyond 2^30 sigma and sparse cells are left to the tree") {
  const auto x3 = make(0, 50, 3, 1);
  std::vector<double> out(50, -7.0);
  CHECK_FALSE(cpu::kde_kernel_sums_grid(x3.data(), 50, 3, 0.5, false, 1e-3, out.data()));
  auto x2 = make(0, 50, 2, 1);
  x2(3, 0) = 1e12;
  CHECK_FALSE(cpu::kde_kernel_sums_grid(x2.data(), 50, 2, 0.5, false, 1e-3, out.data()));
  CHECK(out[0] == -7.0);
  KdeOptions fixed;
  fixed.bandwidth = Bandwidth::fixed;
  fixed.sigma = 0.5;
  const auto r = kde_entropy_approx(x2, fixed, 1e-3);
  CHECK(std::string(r.method) == "tree");
  // sigma far below the spacing: nearly a cell a sample, whose moments would outgrow the samples.
  const int64_t n = 60000;
  const auto sparse = make(0, n, 2, 9);
  std::vector<double> big(static_cast<size_t>(n), -7.0);
  CHECK_FALSE(cpu::kde_kernel_sums_grid(sparse.data(), n, 2, 1e-5, false, 1e-3, big.data()));
  CHECK(big[0] == -7.0);
  fixed.sigma = 1e-5;
  const auto rs = kde_entropy_approx(sparse, fixed, 1e-3);
  CHECK(std::string(rs.method) == "tree");
  fixed.sigma = 0.05;  // dense enough: the grid
  CHECK(std::string(kde_entropy_approx(sparse, fixed, 1e-3).method) == "grid");
}

TEST_CASE("kde_entropy_approx: the tree prunes (fewer kernels than n^2) and a looser rtol evaluates fewer") {
  const int64_t n = 4000;
  const auto x = make(0, n, 2, 7);
  const auto loose = kde_entropy_approx(x, KdeOptions{}, 1e-2, false), tight = kde_entropy_approx(x, KdeOptions{}, 1e-6, false);
  INFO("kernels evaluated: rtol 1e-2 ", loose.work.points, ", rtol 1e-6 ", tight.work.points, " of ", n * (n - 1));
  CHECK(loose.work.points < n * (n - 1) / 4);
  CHECK(loose.work.points < tight.work.points);
}

TEST_CASE("kde_entropy_approx: bad rtol is refused") {
  const auto x = make(0, 10, 2, 1);
  CHECK_THROWS_WITH_AS(kde_entropy_approx(x, KdeOptions{}, 0.0), "kde_entropy_approx: rtol must be in (0, 0.5], got 0",
                       Error);
  CHECK_THROWS_WITH_AS(kde_entropy_approx(x, KdeOptions{}, 0.7), "kde_entropy_approx: rtol must be in (0, 0.5], got 0.7",
                       Error);
}
