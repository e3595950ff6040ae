#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "entropic/entropy/knn.hpp"
#include "support.hpp"

using namespace entropic;
using namespace entropic::entropy;

TEST_CASE("knn_entropy_backward: central differences in double") {
  Rng rng(17);
  for (int k : {1, 3}) {
    auto x = Tensor<double>::randn({15, 2}, rng);
    const KnnOptions opt{k, 1e-8};
    const auto res = knn_entropy(x, opt);
    const auto dx = knn_entropy_backward(x, res, opt, 2.0);
    auto f = [&] { return 2.0 * double(knn_entropy(x, opt).entropy); };
    const auto num = test::numeric_grad(f, x.data(), x.numel(), 1e-7);
    CAPTURE(k);
    CHECK(test::all_close(dx.data(), num.data(), x.numel(), 1e-6, 1e-5, "dx"));
  }
}

// Kozachenko-Leonenko is asymptotically unbiased; its standard deviation at these n is about
// 0.02 (d = 1) to 0.03 (d = 2) with k = 4, so 0.08 is about 3 standard deviations.
TEST_CASE("knn_entropy: a large Gaussian sample approaches 0.5 d log(2 pi e s^2)") {
  Rng rng(19);
  const double s = 0.5;
  for (int64_t d : {1, 2}) {
    const auto x = Tensor<float>::randn({4000, d}, rng, 0.0, s);
    const double truth = 0.5 * double(d) * std::log(2 * M_PI * M_E * s * s);
    const auto r = knn_entropy(x, KnnOptions{4, 1e-8});
    CAPTURE(d);
    CHECK(std::fabs(double(r.entropy) - truth) < 0.08);
  }
}

TEST_CASE("knn_entropy: duplicates give a finite H") {
  auto x = Tensor<double>::zeros({4, 2});
  x(3, 0) = 1;
  const auto r = knn_entropy(x, KnnOptions{1, 1e-6});
  CHECK(std::isfinite(double(r.entropy)));
  const auto dx = knn_entropy_backward(x, r, KnnOptions{1, 1e-6}, 1.0);
  for (double v : dx) CHECK(std::isfinite(v));
}

TEST_CASE("knn_entropy: bad input raises errors naming the op, argument and values") {
  auto x = Tensor<float>::zeros({5, 2});
  for (int64_t i = 0; i < 10; ++i) x[i] = float(i);
  CHECK_THROWS_WITH_AS(knn_entropy(x, KnnOptions{5, 1e-8}),
                       "knn_entropy: k must be in [1, n - 1] = [1, 4], got k = 5 for 5 samples", Error);
  CHECK_THROWS_WITH_AS(knn_entropy(x, KnnOptions{0, 1e-8}),
                       "knn_entropy: k must be in [1, n - 1] = [1, 4], got k = 0 for 5 samples", Error);
  CHECK_THROWS_WITH_AS(knn_entropy(x, KnnOptions{1, 0.0}),
                       "knn_entropy: floor must be positive and finite, got 0", Error);
  x(2, 0) = std::numeric_limits<float>::infinity();
  CHECK_THROWS_WITH_AS(knn_entropy(x), "knn_entropy: sample 2 has a non-finite value (inf) in dimension 0",
                       Error);
  CHECK_THROWS_WITH_AS(knn_entropy(Tensor<float>::zeros({1, 3})),
                       "knn_entropy: needs at least 2 samples, x has shape [1, 3]", Error);
  CHECK_THROWS_WITH_AS(knn_entropy(Tensor<float>::zeros({2, 3, 1})),
                       "knn_entropy: samples x must have rank 2 [n, d], got shape [2, 3, 1]", Error);
}

TEST_CASE("knn_entropy: d = 0 is refused with the shape") {
  CHECK_THROWS_WITH_AS(knn_entropy(Tensor<double>::zeros({4, 0})),
                       "knn_entropy: samples need at least 1 dimension, x has shape [4, 0]", Error);
  CHECK_THROWS_WITH_AS(knn_entropy(Tensor<double>::zeros({4, 0}), KnnOptions{.method = KnnMethod::tree}),
                       "knn_entropy: samples need at least 1 dimension, x has shape [4, 0]", Error);
}

TEST_CASE("knn_entropy: method tree and brute give the same H, neighbours and rho, auto picks by n and d") {
  for (int64_t d : {2, 3, 7})
    for (int k : {1, 4}) {
      const int64_t n = 3000;
      Tensor<double> x({n, d});
      Rng(uint64_t(d * 100 + k)).fill_normal(x.data(), n * d);
      for (int64_t i = 0; i < n; i += 3) x(i, 0) = std::round(x(i, 0));  // ties and some duplicates
      const auto t = knn_entropy(x, KnnOptions{.k = k, .method = KnnMethod::tree});
      const auto b = knn_entropy(x, KnnOptions{.k = k, .method = KnnMethod::brute});
      CAPTURE(d);
      CAPTURE(k);
      CHECK(t.method == KnnMethod::tree);
      CHECK(b.method == KnnMethod::brute);
      CHECK(t.entropy == b.entropy);
      CHECK(t.nn_index == b.nn_index);
      bool same_rho = true;
      for (int64_t i = 0; i < n; ++i) same_rho = same_rho && t.rho[i] == b.rho[i];
      CHECK(same_rho);
      // The backward sees only nn_index and rho, so it is the same too.
      const auto gt = knn_entropy_backward(x, t, KnnOptions{.k = k}, 1.0);
      const auto gb = knn_entropy_backward(x, b, KnnOptions{.k = k}, 1.0);
      bool same_grad = true;
      for (int64_t i = 0; i < n * d; ++i) same_grad = same_grad && gt[i] == gb[i];
      CHECK(same_grad);
    }
  CHECK(resolve_knn_method(KnnMethod::automatic, 100, 2) == KnnMethod::brute);  // below kKnnTreeMinN
  CHECK(resolve_knn_method(KnnMethod::automatic, 20000, 8) == KnnMethod::tree);
  CHECK(resolve_knn_method(KnnMethod::automatic, 20000, 9) == KnnMethod::brute);
  CHECK(resolve_knn_method(KnnMethod::automatic, 1000000, 12) == KnnMethod::tree);
  CHECK(resolve_knn_method(KnnMethod::automatic, 1000000, 13) == KnnMethod::brute);
  CHECK(resolve_knn_method(KnnMethod::automatic, 1000000, 50) == KnnMethod::brute);
  CHECK(resolve_knn_method(KnnMethod::brute, 1000000, 2) == KnnMethod::brute);
  CHECK(knn_entropy(Tensor<double>::zeros({600, 2})).method == KnnMethod::tree);
  CHECK_THROWS_WITH_AS(parse_knn_method("kd"), "knn: method must be auto, tree or brute, got 'kd'", Error);
}
