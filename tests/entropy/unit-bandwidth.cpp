#include <doctest/doctest.h>

#include <cmath>
#include <string>
#include <vector>

#include "entropic/entropy/bandwidth.hpp"

using namespace entropic;
using namespace entropic::entropy;

TEST_CASE("bandwidth: parse names, round trip, clear error for unknown names") {
  for (auto b : {Bandwidth::fixed, Bandwidth::scott, Bandwidth::silverman, Bandwidth::median})
    CHECK(parse_bandwidth(to_string(b)) == b);
  CHECK_THROWS_WITH_AS(parse_bandwidth("scot"),
                       "bandwidth: unknown rule 'scot'; use fixed, scott, silverman or median",
                       Error);
}

TEST_CASE("bandwidth: Scott and Silverman from the mean per-dimension std") {
  // Dimension 0: 0,1,2,3 (std sqrt(5/3)); dimension 1: 0,0,0,2 (std 1).
  const auto x = Tensor<double>::from({4, 2}, {0, 0, 1, 0, 2, 0, 3, 2});
  const double sh = 0.5 * (std::sqrt(5.0 / 3.0) + 1.0);
  CHECK(ops::mean_std(x) == doctest::Approx(sh));
  CHECK(scott_sigma(x) == doctest::Approx(sh * std::pow(4.0, -1.0 / 6.0)));
  CHECK(silverman_sigma(x) == doctest::Approx(sh * std::pow(4.0 / 16.0, 1.0 / 6.0)));
  // Welford keeps the spread of data far from 0.
  const auto far = Tensor<float>::from({3, 1}, {1e4f, 1e4f + 1, 1e4f + 2});
  CHECK(ops::mean_std(far) == doctest::Approx(1.0).epsilon(1e-6));
}

TEST_CASE("bandwidth: median heuristic is sqrt(median |xi-xj|^2 / (2 log(n+1)))") {
  const auto x = Tensor<double>::from({3, 1}, {0, 1, 3});  // squared distances 1, 4, 9: median 4
  CHECK(ops::median_pair_sq_distance(x) == 4.0);
  CHECK(median_sigma(x) == doctest::Approx(std::sqrt(4.0 / (2 * std::log(4.0)))));
}

TEST_CASE("bandwidth: select_bandwidth rejects bad fixed sigmas and degenerate samples") {
  const auto same = Tensor<double>::from({3, 2}, {1, 2, 1, 2, 1, 2});
  CHECK(select_bandwidth("op", same, Bandwidth::fixed, 0.3) == 0.3);
  CHECK_THROWS_WITH_AS(select_bandwidth("op", same, Bandwidth::fixed, -1.0),
                       "op: sigma must be positive and finite, got -1", Error);
  CHECK_THROWS_WITH_AS(
      select_bandwidth("op", same, Bandwidth::scott, 1.0),
      "op: bandwidth rule scott gave sigma = 0 for 3 samples (are they all equal?); use a fixed sigma",
      Error);
  CHECK_THROWS_AS(select_bandwidth("op", same, Bandwidth::median, 1.0), Error);
}
