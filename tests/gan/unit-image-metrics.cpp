#include <doctest/doctest.h>

#include <cmath>
#include <vector>

#include "entropic/gan/image_metrics.hpp"

using namespace entropic;

namespace {
// 10 well-separated classes in 16 dimensions: class c is a spike of height 1 at pixel c plus
// small noise, 50 images each.
struct Toy {
  Tensor<float> x;
  std::vector<int> y;
};
Toy toy(int per_class = 50, uint64_t seed = 3) {
  Rng rng(seed);
  Toy t{Tensor<float>({10 * per_class, 16}), {}};
  rng.fill_normal(t.x.data(), t.x.numel(), 0.0, 0.05);
  for (int c = 0; c < 10; ++c)
    for (int i = 0; i < per_class; ++i) {
      const int64_t r = int64_t(c) * per_class + i;
      t.x(r, c) += 1.f;
      t.y.push_back(c);
    }
  return t;
}
Tensor<float> rows_of_class(const Toy& t, int c) {
  std::vector<float> v;
  for (int64_t r = 0; r < t.x.rows(); ++r)
    if (t.y[size_t(r)] == c) v.insert(v.end(), &t.x(r, 0), &t.x(r, 0) + 16);
  return Tensor<float>::from({int64_t(v.size() / 16), 16}, v);
}
}  // namespace

TEST_CASE("kl_to_uniform and js_divergence on known histograms") {
  CHECK(gan::kl_to_uniform({5, 5, 5, 5}) == doctest::Approx(0).epsilon(1e-12));
  CHECK(gan::kl_to_uniform({7, 0, 0, 0}) == doctest::Approx(std::log(4.0)));
  // Built element by element: GCC 12.2 at -O3 -march=native turned the literal
  // std::vector<int64_t>{1, 1, 0, 0} into {1, 1, 1, 1} in this file (not with -fno-tree-vectorize).
  std::vector<int64_t> half(4, 0);
  half[0] = half[1] = 1;
  CHECK(gan::kl_to_uniform(half) == doctest::Approx(std::log(2.0)));
  CHECK(gan::js_divergence({3, 1}, {6, 2}) == doctest::Approx(0).epsilon(1e-12));
  CHECK(gan::js_divergence({1, 0}, {0, 1}) == doctest::Approx(std::log(2.0)));
  // p = (1/2, 1/2), q = (1, 0): m = (3/4, 1/4).
  const double js = 0.5 * (0.5 * std::log(0.5 / 0.75) + 0.5 * std::log(0.5 / 0.25)) + 0.5 * std::log(1 / 0.75);
  CHECK(gan::js_divergence({4, 4}, {2, 0}) == doctest::Approx(js));
}

TEST_CASE("nearest-centroid classifier: training data is classified correctly, all classes covered") {
  const Toy t = toy();
  const gan::CentroidClassifier clf(t.x, t.y, 10);
  CHECK(clf.predict(t.x) == t.y);
  const gan::ClassCoverage cov = gan::class_coverage(clf.predict(t.x), 10);
  CHECK(cov.covered == 10);
  CHECK(cov.kl_uniform == doctest::Approx(0).epsilon(1e-12));
}

TEST_CASE("samples all from one class: 1 class covered, KL = log 10") {
  const Toy t = toy();
  const gan::ImageEvaluator ev(t.x, t.y, 10, 10, 1);
  const gan::ImageMetrics m = ev.evaluate(rows_of_class(t, 3));
  CHECK(m.classes.covered == 1);
  CHECK(m.classes.counts[3] == 50);
  CHECK(m.classes.kl_uniform == doctest::Approx(std::log(10.0)));
  // One bin holds every sample, nine are empty: all ten proportions differ (50 vs 500 points).
  CHECK(m.ndb.different == 10);
  CHECK(m.ndb.ndb_over_k == doctest::Approx(1.0));
  CHECK(m.ndb.js > 0.5);
}

TEST_CASE("NDB: the training data itself has no statistically different bin") {
  const Toy t = toy();
  const gan::ImageEvaluator ev(t.x, t.y, 10, 10, 7);
  const gan::ImageMetrics m = ev.evaluate(t.x);
  CHECK(m.ndb.k == 10);
  CHECK(m.ndb.different == 0);
  CHECK(m.ndb.js == doctest::Approx(0).epsilon(1e-12));
  // K-means with K = the number of well-separated clusters finds them: 50 points per bin.
  for (int64_t c : m.ndb.train_counts) CHECK(c == 50);
}

TEST_CASE("NDB: a fresh sample of the same distribution rarely differs, a missing half always does") {
  const Toy t = toy(50, 3);
  const gan::ImageEvaluator ev(t.x, t.y, 10, 10, 7);
  const Toy same = toy(50, 99);  // new noise, same classes
  CHECK(ev.evaluate(same.x).ndb.different <= 1);
  // Only classes 0..4: their bins hold twice the training share, the others none.
  std::vector<float> v;
  for (int c = 0; c < 5; ++c) {
    const Tensor<float> r = rows_of_class(same, c);
    v.insert(v.end(), r.begin(), r.end());
  }
  const gan::ImageMetrics m = ev.evaluate(Tensor<float>::from({250, 16}, v));
  CHECK(m.ndb.different == 10);
  CHECK(m.classes.covered == 5);
  CHECK(m.classes.kl_uniform == doctest::Approx(std::log(2.0)));
}

TEST_CASE("NDB z-test matches a hand computation") {
  // Two bins, training counts (60, 40), samples (40, 60): pooled p = 0.5 per bin,
  // se = sqrt(0.25 * (1/100 + 1/100)) = 0.0707, z = 0.2 / 0.0707 = 2.83 > 1.96 in both bins.
  Tensor<float> train({100, 1}), samples({100, 1});
  for (int i = 0; i < 100; ++i) {
    train[i] = i < 60 ? 0.f : 10.f;
    samples[i] = i < 40 ? 0.f : 10.f;
  }
  const gan::KMeans bins(train, 2, 1);
  const gan::NdbResult r = gan::ndb(bins, bins.histogram(train), samples);
  REQUIRE(r.z.size() == 2);
  CHECK(std::fabs(r.z[0]) == doctest::Approx(0.2 / std::sqrt(0.25 * 0.02)));
  CHECK(r.different == 2);
  // (55, 45) vs (60, 40): z = 0.05 / sqrt(0.2475 * 0.02) = 0.71, not significant.
  for (int i = 0; i < 100; ++i) samples[i] = i < 55 ? 0.f : 10.f;
  CHECK(gan::ndb(bins, bins.histogram(train), samples).different == 0);
}

TEST_CASE("KMeans is deterministic for a seed") {
  const Toy t = toy();
  const gan::KMeans a(t.x, 7, 5), b(t.x, 7, 5);
  CHECK(a.centroids().vec() == b.centroids().vec());
}

TEST_CASE("metrics: errors for mismatched inputs") {
  const Toy t = toy();
  CHECK_THROWS_AS(gan::CentroidClassifier(t.x, {1, 2}, 10), Error);
  CHECK_THROWS_AS(gan::CentroidClassifier(t.x, t.y, 5), Error);  // label 5 outside [0, 5)
  const gan::CentroidClassifier clf(t.x, t.y, 10);
  CHECK_THROWS_AS(clf.predict(Tensor<float>::zeros({3, 15})), Error);
  CHECK_THROWS_AS(gan::KMeans(Tensor<float>::zeros({3, 2}), 5, 1), Error);
}
