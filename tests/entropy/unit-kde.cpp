#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>
#include <vector>

#include "entropic/entropy/kde.hpp"
#include "reference/kde.hpp"
#include "support.hpp"

using namespace entropic;
using namespace entropic::entropy;

namespace {
// H straight from the definition, in double (tests/reference/kde.hpp).
template <class T>
double reference_h(const Tensor<T>& x, double s, bool loo) {
  return test::kde_reference(x.data(), x.size(0), x.size(1), s, loo).H;
}
}  // namespace

TEST_CASE("kde_entropy: H and log p against a float64 reference, float and double") {
  Rng rng(3);
  for (int64_t d : {1, 2, 10, 64})
    for (bool loo : {false, true}) {
      const auto xd = Tensor<double>::randn({50, d}, rng);
      const auto xf = xd.to<float>();
      const KdeOptions opt{Bandwidth::scott, 0, loo, KdeAlgorithm::streaming};
      const auto rd = kde_entropy(xd, opt);
      const auto rf = kde_entropy(xf, opt);
      CAPTURE(d);
      CAPTURE(loo);
      CHECK(rd.sigma == doctest::Approx(scott_sigma(xd)));
      CHECK(double(rd.entropy) == doctest::Approx(reference_h(xd, rd.sigma, loo)).epsilon(1e-12));
      CHECK(double(rf.entropy) == doctest::Approx(reference_h(xd, rf.sigma, loo)).epsilon(1e-5));
      double mean_lp = 0;
      for (int64_t i = 0; i < 50; ++i) mean_lp += double(rd.log_p[i]) / 50;
      CHECK(-mean_lp == doctest::Approx(double(rd.entropy)).epsilon(1e-12));
      CHECK(rd.row_lse.shape() == Shape({50}));
    }
}

TEST_CASE("kde_entropy_backward: central differences in double, both algorithms") {
  Rng rng(5);
  for (auto alg : {KdeAlgorithm::streaming, KdeAlgorithm::gemm})
    for (bool loo : {false, true}) {
      auto x = Tensor<double>::randn({11, 3}, rng);
      const KdeOptions opt{Bandwidth::fixed, 0.8, loo, alg};
      const auto res = kde_entropy(x, opt);
      const auto dx = kde_entropy_backward(x, res, opt, 0.5);
      auto f = [&] { return 0.5 * double(kde_entropy(x, opt).entropy); };
      const auto num = test::numeric_grad(f, x.data(), x.numel(), 1e-5);
      CHECK(test::all_close(dx.data(), num.data(), x.numel(), 1e-8, 1e-6, "dx"));
    }
}

// The closed form 0.5 d log(2 pi e s^2). The tolerance is 0.05: the sampling error of H is
// about std(log p)/sqrt(n) = sqrt(d/2)/sqrt(n) < 0.02, and Scott's sigma smooths the density
// to variance s^2 + sigma^2, which raises H by about 0.5 d log(1 + sigma^2/s^2) = 0.02 (d = 1,
// n = 3000) and 0.04 (d = 2, n = 2000).
TEST_CASE("kde_entropy: a large Gaussian sample approaches 0.5 d log(2 pi e s^2)") {
  Rng rng(11);
  const double s = 0.5;
  for (int64_t d : {1, 2}) {
    const int64_t n = d == 1 ? 3000 : 2000;
    const auto x = Tensor<float>::randn({n, d}, rng, 0.0, s);
    const double truth = 0.5 * double(d) * std::log(2 * M_PI * M_E * s * s);
    for (bool loo : {false, true}) {
      const auto r = kde_entropy(x, KdeOptions{Bandwidth::scott, 0, loo});
      CAPTURE(d);
      CAPTURE(loo);
      CHECK(std::fabs(double(r.entropy) - truth) < 0.05);
    }
  }
}

// With the self term and sigma far below the spacing, p(x_i) -> N(0 | 0, sigma^2 I)/n, so
// H -> log n + 0.5 d log(2 pi sigma^2): the self term biases H down without limit as sigma
// shrinks, which is why small bandwidths need leave-one-out.
TEST_CASE("kde_entropy: small-bandwidth bias of the self term has the closed form limit") {
  Rng rng(13);
  const auto x = Tensor<double>::randn({200, 2}, rng);
  const double sigma = 1e-4;
  const auto r = kde_entropy(x, KdeOptions{Bandwidth::fixed, sigma, false});
  CHECK(double(r.entropy) ==
        doctest::Approx(std::log(200.0) + std::log(2 * M_PI * sigma * sigma)).epsilon(1e-9));
}

TEST_CASE("kde_entropy: bad input raises errors naming the op, argument and values") {
  auto x = Tensor<float>::zeros({5, 2});
  for (int64_t i = 0; i < 10; ++i) x[i] = float(i);
  x(3, 1) = std::numeric_limits<float>::quiet_NaN();
  CHECK_THROWS_WITH_AS(kde_entropy(x), "kde_entropy: sample 3 has a non-finite value (nan) in dimension 1",
                       Error);
  x(3, 1) = -std::numeric_limits<float>::infinity();
  CHECK_THROWS_WITH_AS(kde_entropy(x), "kde_entropy: sample 3 has a non-finite value (-inf) in dimension 1",
                       Error);
  x(3, 1) = 0;
  CHECK_THROWS_WITH_AS(kde_entropy(Tensor<float>::zeros({1, 2})),
                       "kde_entropy: needs at least 2 samples, x has shape [1, 2]", Error);
  CHECK_THROWS_WITH_AS(kde_entropy(Tensor<float>::zeros({10})),
                       "kde_entropy: samples x must have rank 2 [n, d], got shape [10]", Error);
  CHECK_THROWS_WITH_AS(kde_entropy(x, KdeOptions{Bandwidth::fixed, 0.0}),
                       "kde_entropy: sigma must be positive and finite, got 0", Error);
  CHECK_THROWS_WITH_AS(kde_entropy(x, KdeOptions{Bandwidth::fixed, std::nan("")}),
                       "kde_entropy: sigma must be positive and finite, got nan", Error);
  CHECK_THROWS_WITH_AS(kde_entropy(Tensor<float>::ones({4, 3})),
                       "kde_entropy: bandwidth rule scott gave sigma = 0 for 4 samples (are they "
                       "all equal?); use a fixed sigma",
                       Error);
  // A sigma whose 1 / (2 sigma^2) overflows used to give H = NaN (0 * inf on the self term).
  CHECK_THROWS_WITH_AS(kde_entropy(x, KdeOptions{Bandwidth::fixed, 1e-300}),
                       doctest::Contains("kde_entropy: sigma = 1e-300 is too small for float: 1 / (2 sigma^2) "
                                         "overflows (the smallest usable sigma is about 3.83323e-20)"),
                       Error);
  CHECK_THROWS_WITH_AS(kde_entropy(x.to<double>(), KdeOptions{Bandwidth::fixed, 1e-300}),
                       doctest::Contains("kde_entropy: sigma = 1e-300 is too small for double"), Error);
  // Just above the limit the entropy is finite (every sample is far from the others).
  CHECK(std::isfinite(double(kde_entropy(x.to<double>(), KdeOptions{Bandwidth::fixed, 1e-150}).entropy)));
  CHECK(std::isfinite(double(kde_entropy(x, KdeOptions{Bandwidth::fixed, 1e-18}).entropy)));
  const auto res = kde_entropy(x);
  CHECK_THROWS_WITH_AS(kde_entropy_backward(Tensor<float>::zeros({6, 2}), res, {}, 1.f),
                       "kde_entropy_backward: result.row_lse has shape [5], x has 6 samples (pass "
                       "the result of kde_entropy on this x)",
                       Error);
}

TEST_CASE("kde_entropy: progress is reported in order, ends at (total, total), and changes nothing") {
  for (int64_t d : {int64_t(2), int64_t(12)})
    for (bool loo : {false, true}) {
      const int64_t n = 3000;
      Tensor<double> x({n, d});
      Rng(uint64_t(d) + 3).fill_normal(x.data(), n * d);
      KdeOptions o;
      o.leave_one_out = loo;
      const auto plain = kde_entropy(x, o);
      std::vector<std::pair<int64_t, int64_t>> calls;
      o.progress = [&](int64_t done, int64_t total) { calls.push_back({done, total}); };
      const auto with = kde_entropy(x, o);
      CAPTURE(d);
      CAPTURE(loo);
      CHECK(with.entropy == plain.entropy);
      REQUIRE(!calls.empty());
      const int64_t total = calls.back().second;
      CHECK(calls.back().first == total);
      CHECK(total > 0);
      for (size_t i = 0; i < calls.size(); ++i) {
        CHECK(calls[i].second == total);
        CHECK(calls[i].first <= total);
        if (i > 0) CHECK(calls[i].first >= calls[i - 1].first);
      }
      CHECK(std::count(calls.begin(), calls.end(), std::make_pair(total, total)) == 1);
    }
}
