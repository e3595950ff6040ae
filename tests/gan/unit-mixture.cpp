#include <doctest/doctest.h>

#include <cmath>

#include "entropic/gan/mixture.hpp"

using namespace entropic;
using namespace entropic::gan;

TEST_CASE("ring and grid: the protocol's means, all distinct") {
  const Mixture r = ring(), g = grid();
  REQUIRE(r.modes() == 8);
  REQUIRE(g.modes() == 25);
  CHECK(r.std == 0.01);
  CHECK(g.std == 0.05);
  CHECK(r.means[2][0] == doctest::Approx(0).epsilon(1e-12));
  CHECK(r.means[2][1] == doctest::Approx(1));
  for (int i = 0; i < 8; ++i)
    for (int j = i + 1; j < 8; ++j) {
      const double d = std::hypot(r.means[i][0] - r.means[j][0], r.means[i][1] - r.means[j][1]);
      CHECK(d > 0.7);  // neighbours are 2 sin(pi/8) = 0.765 apart: no duplicated mode
    }
  CHECK(g.means.front()[0] == -4);
  CHECK(g.means.back()[1] == 4);
  CHECK_THROWS_WITH_AS(mixture_by_name("spiral"), doctest::Contains("unknown dataset 'spiral'"), Error);
}

TEST_CASE("samples from the mixture score as perfect on their own metrics") {
  Rng rng(5);
  for (const Mixture& m : {ring(), grid()}) {
    auto x = m.sample<double>(5000, rng);
    auto r = evaluate_modes(x, m);
    CHECK(r.modes_captured == m.modes());
    CHECK(r.high_quality > 0.985);  // P(|N(0, I_2)| < 3) = 1 - exp(-4.5) = 0.9889
    CHECK(r.high_quality < 0.993);
    CHECK(r.reverse_kl < 0.01);
  }
}

TEST_CASE("metrics on constructed samples with known answers") {
  const Mixture m = ring();
  // 3 samples on mode 0, 1 on mode 2, 1 far away (not high quality).
  auto x = TensorD::from({5, 2}, {1, 0, 1.005, 0, 0.995, 0.01, 0, 1, 0.5, 0.5});
  auto r = evaluate_modes(x, m);
  CHECK(r.modes_captured == 2);
  CHECK(r.counts[0] == 3);
  CHECK(r.counts[2] == 1);
  CHECK(r.high_quality == doctest::Approx(0.8));
  const double h = -(0.75 * std::log(0.75) + 0.25 * std::log(0.25));
  CHECK(r.reverse_kl == doctest::Approx(std::log(8.0) - h));
  // Complete collapse onto one mode: KL = log 8.
  auto c = TensorD::from({2, 2}, {0, -1, 0, -1.001});
  CHECK(evaluate_modes(c, m).reverse_kl == doctest::Approx(std::log(8.0)));
  // Nothing high quality: infinite.
  CHECK(std::isinf(evaluate_modes(TensorD::from({1, 2}, {5, 5}), m).reverse_kl));
  CHECK_THROWS_WITH_AS(evaluate_modes(TensorD::zeros({3, 3}), m), doctest::Contains("must be [n, 2]"), Error);
}
