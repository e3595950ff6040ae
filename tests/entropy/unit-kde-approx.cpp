#include <doctest/doctest.h>

#include <cmath>
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
}  // namespace

TEST_CASE("kde_entropy_approx: within -log(1 - rtol) nats of the exact H, on random, clustered and duplicate data") {
  for (int kind : {0, 1, 2})
    for (int64_t d : {1, 2, 3})
      for (bool loo : {false, true})
        for (double rtol : {1e-2, 1e-4}) {
          const int64_t n = 1500;
          const auto x = make(kind, n, d, uint64_t(kind * 10 + d));
          KdeOptions o;
          o.leave_one_out = loo;
          const auto exact = kde_entropy(x, o);
          const auto approx = kde_entropy_approx(x, o, rtol);
          CAPTURE(kind);
          CAPTURE(d);
          CAPTURE(loo);
          CAPTURE(rtol);
          CHECK(approx.sigma == exact.sigma);
          CHECK(std::fabs(approx.entropy - double(exact.entropy)) <= -std::log1p(-rtol) + 1e-12);
        }
}

TEST_CASE("kde_entropy_approx: it prunes (fewer kernels than n^2) and a looser rtol evaluates fewer") {
  const int64_t n = 4000;
  const auto x = make(0, n, 2, 7);
  const auto loose = kde_entropy_approx(x, KdeOptions{}, 1e-2), tight = kde_entropy_approx(x, KdeOptions{}, 1e-6);
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
