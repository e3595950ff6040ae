// The op entry points that took the device dispatch over from entropy/, nn/ and gan/ (issue 16,
// "one device seam"): each checked on the cpu against a double reference here, and against the
// cpu on cuda in tests/cuda/stack/stack.hpp.
#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "entropic/ops/activations.hpp"
#include "entropic/ops/adam.hpp"
#include "entropic/ops/bandwidth.hpp"
#include "entropic/ops/ema.hpp"
#include "entropic/ops/kde.hpp"
#include "entropic/ops/knn.hpp"
#include "entropic/ops/reduce.hpp"
#include "support.hpp"

using namespace entropic;

TEST_CASE("ops::adam_update: one step over more elements than one parallel block, against double") {
  const int64_t n = (1 << 15) * 3 + 17;  // several parallel_for blocks and a ragged tail
  const double step_size = 0.01 / (1 - 0.8), rbc2 = 1 / std::sqrt(1 - 0.99), b1 = 0.8, b2 = 0.99, eps = 1e-8,
               wd = 0.1;
  const auto w0 = test::random_vector(n, 1), g0 = test::random_vector(n, 2), m0 = test::random_vector(n, 3),
             v0 = test::random_vector(n, 4, 0, 1);
  TensorF w = TensorD::from({n}, w0).to<float>(), m = TensorD::from({n}, m0).to<float>(),
          v = TensorD::from({n}, v0).to<float>();
  const TensorF g = TensorD::from({n}, g0).to<float>();
  ops::adam_update(w, g, m, v, float(step_size), float(rbc2), float(b1), float(b2), float(eps), float(wd));
  std::vector<double> rw(size_t(n), 0), rm(size_t(n), 0), rv(size_t(n), 0);
  for (size_t i = 0; i < size_t(n); ++i) {
    const double gi = double(float(g0[i])) + wd * double(float(w0[i]));
    rm[i] = b1 * double(float(m0[i])) + (1 - b1) * gi;
    rv[i] = b2 * double(float(v0[i])) + (1 - b2) * gi * gi;
    rw[i] = double(float(w0[i])) - step_size * rm[i] / (std::sqrt(rv[i]) * rbc2 + eps);
  }
  CHECK(test::all_close(m.data(), rm.data(), n, 1e-6, 1e-5, "m"));
  CHECK(test::all_close(v.data(), rv.data(), n, 1e-6, 1e-5, "v"));
  CHECK(test::all_close(w.data(), rw.data(), n, 1e-6, 1e-5, "w"));
  TensorF short_g = TensorF::zeros({n - 1});
  CHECK_THROWS_WITH_AS(ops::adam_update(w, short_g, m, v, 1.f, 1.f, 0.9f, 0.99f, 1e-8f, 0.f),
                       doctest::Contains("adam: parameter has shape"), Error);
}

TEST_CASE("ops::ema_update: avg = decay avg + (1 - decay) x, in place") {
  TensorD avg = TensorD::from({2, 2}, {1, 2, 3, 4});
  const TensorD x = TensorD::from({2, 2}, {5, -6, 7, 0});
  ops::ema_update(avg, x, 0.75);
  CHECK(avg.vec() == std::vector<double>{2, 0, 4, 3});
  ops::ema_update(avg, x, 0.0);  // decay 0: the average is x
  CHECK(avg.vec() == x.vec());
  CHECK_THROWS_WITH_AS(ops::ema_update(avg, TensorD::zeros({4}), 0.5),
                       doctest::Contains("ema_update: average has shape"), Error);
}

TEST_CASE("ops::all_finite: false for a NaN or an infinity anywhere, true otherwise") {
  TensorF x = TensorF::from({3, 2}, {0, 1, -2, 3e38f, -3e38f, 5});
  CHECK(ops::all_finite(x));
  CHECK(ops::all_finite(TensorF::zeros({0})));
  for (float bad : {std::numeric_limits<float>::quiet_NaN(), std::numeric_limits<float>::infinity(),
                    -std::numeric_limits<float>::infinity()})
    for (int64_t i : {0, 3, 5}) {
      TensorF y = x.clone();
      y[i] = bad;
      CAPTURE(i);
      CHECK_FALSE(ops::all_finite(y));
    }
}

TEST_CASE("ops::activation with Act::none is the identity, forward and backward") {
  const TensorD x = TensorD::from({4}, {-2, -0.5, 0, 3});
  const TensorD y = ops::activation(x, Act::none);
  CHECK(y.vec() == x.vec());
  CHECK_FALSE(y.shares_storage(x));
  const TensorD dy = TensorD::from({4}, {1, 2, 3, 4});
  CHECK(ops::activation_backward(dy, x, y, Act::none).vec() == dy.vec());
  CHECK(std::string(act_name(Act::none)) == "identity");
  CHECK(std::string(act_name(Act::leaky_relu)) == "leaky_relu");
}

TEST_CASE("ops::mean_std and median_pair_sq_distance against a double reference") {
  // Dimension 0: 0, 1, 2, 3 (std sqrt(5/3)); dimension 1: 0, 0, 0, 2 (std 1).
  const TensorF x = TensorF::from({4, 2}, {0, 0, 1, 0, 2, 0, 3, 2});
  CHECK(ops::mean_std(x) == doctest::Approx(0.5 * (std::sqrt(5.0 / 3.0) + 1.0)).epsilon(1e-12));
  // Squared pair distances 1, 4, 9+4, 1, 4+4, 1+4: sorted 1 1 4 5 8 13, the upper median 5.
  CHECK(ops::median_pair_sq_distance(x) == 5.0);
  CHECK_THROWS_WITH_AS(ops::mean_std(TensorF::zeros({1, 3})), doctest::Contains("needs at least 2 samples"), Error);
}

TEST_CASE("ops::kde_forward and kde_backward: both cpu algorithms give one H and one gradient") {
  Rng rng(5);
  const TensorD x = TensorD::randn({40, 3}, rng);
  TensorD lp1({40}), lse1({40}), lp2({40}), lse2({40}), dx1({40, 3}), dx2({40, 3});
  const double h1 = ops::kde_forward(x, 0.7, true, ops::KdeAlgorithm::streaming, lp1, lse1);
  const double h2 = ops::kde_forward(x, 0.7, true, ops::KdeAlgorithm::gemm, lp2, lse2);
  CHECK(h2 == doctest::Approx(h1).epsilon(1e-12));
  double mean_lp = 0;
  for (int64_t i = 0; i < 40; ++i) mean_lp += lp1[i] / 40;
  CHECK(-mean_lp == doctest::Approx(h1).epsilon(1e-12));
  ops::kde_backward(x, 0.7, true, ops::KdeAlgorithm::streaming, lse1, 2.0, dx1);
  ops::kde_backward(x, 0.7, true, ops::KdeAlgorithm::gemm, lse2, 2.0, dx2);
  CHECK(test::all_close(dx2.data(), dx1.data(), 120, 1e-12, 1e-10, "kde dx"));
  TensorD short_lse({39});
  CHECK_THROWS_WITH_AS(ops::kde_forward(x, 0.7, true, ops::KdeAlgorithm::streaming, lp1, short_lse),
                       doctest::Contains("kde_forward: row_lse must have shape [40]"), Error);
}

TEST_CASE("ops::knn_forward: the nearest neighbour of points on a line") {
  const TensorD x = TensorD::from({4, 1}, {0, 1, 3, 7});
  std::vector<int64_t> nn(4);
  TensorD rho({4});
  ops::knn_forward(x, 1, 1e-8, nn.data(), rho);
  CHECK(nn == std::vector<int64_t>{1, 0, 1, 2});
  CHECK(rho.vec() == std::vector<double>{1, 1, 2, 4});
  TensorD dx({4, 1});
  ops::knn_backward(x, 1e-8, nn.data(), rho, 1.0, dx);
  // H = const + (1/4) sum_a log |x_a - x_nn(a)|: d/dx_0 = (1/4)(2 (x0 - x1) / 1) = -0.5; x_1 is in
  // the pairs (0,1), (1,0), (2,1): (1/4)(2 (x1 - x0) / 1 - (x2 - x1) / 4) = 0.375; x_2 in (2,1), (3,2):
  // (1/4)((x2 - x1) / 4 - (x3 - x2) / 16) = 0.0625; x_3 in (3,2): (1/4)(x3 - x2) / 16 = 0.0625.
  const std::vector<double> ref{-0.5, 0.375, 0.0625, 0.0625};
  CHECK(test::all_close(dx.data(), ref.data(), 4, 1e-15, 1e-15, "knn dx"));
}
