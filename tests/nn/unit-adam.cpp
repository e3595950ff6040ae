#include <doctest/doctest.h>

#include <cmath>

#include "entropic/nn/adam.hpp"
#include "support.hpp"

using namespace entropic;

TEST_CASE("adam: matches the textbook algorithm (Kingma & Ba with L2 decay) in double") {
  const double lr = 0.01, b1 = 0.8, b2 = 0.99, eps = 1e-8, wd = 0.1;
  auto p0 = test::random_vector(7, 1);
  VarD p(TensorD::from({7}, p0), true);
  nn::Adam<double> opt({p}, {.lr = lr, .beta1 = b1, .beta2 = b2, .eps = eps, .weight_decay = wd});
  std::vector<double> ref = p0, m(7, 0), v(7, 0);
  for (int t = 1; t <= 5; ++t) {
    auto g = test::random_vector(7, 100 + t);
    p.grad() = TensorD::from({7}, g);
    opt.step();
    for (int i = 0; i < 7; ++i) {
      const double gi = g[i] + wd * ref[i];
      m[i] = b1 * m[i] + (1 - b1) * gi;
      v[i] = b2 * v[i] + (1 - b2) * gi * gi;
      const double mh = m[i] / (1 - std::pow(b1, t)), vh = v[i] / (1 - std::pow(b2, t));
      ref[i] -= lr * mh / (std::sqrt(vh) + eps);
    }
    CHECK(test::all_close(p.value().data(), ref.data(), 7, 1e-14, 1e-12, "step " + std::to_string(t)));
  }
  CHECK(opt.steps() == 5);
}

TEST_CASE("adam: the first step moves each weight by lr against the gradient's sign") {
  VarF p(TensorF::from({3}, {1.f, -2.f, 0.5f}), true);
  nn::Adam<float> opt({p}, {.lr = 0.1});
  p.grad() = TensorF::from({3}, {3.f, -0.001f, 100.f});
  opt.step();
  CHECK(p.value()[0] == doctest::Approx(0.9f));
  CHECK(p.value()[1] == doctest::Approx(-1.9f));
  CHECK(p.value()[2] == doctest::Approx(0.4f));
}

TEST_CASE("adam: parameters without a gradient are left alone, bad options are rejected") {
  VarF p(TensorF::from({2}, {1.f, 2.f}), true);
  nn::Adam<float> opt({p});
  opt.step();
  CHECK(p.value()[0] == 1.f);
  CHECK_THROWS_WITH_AS(nn::Adam<float>({p}, {.lr = -1}), doctest::Contains("lr must be a positive"), Error);
  CHECK_THROWS_WITH_AS(nn::Adam<float>({p}, {.beta1 = 1.0}), doctest::Contains("beta1 must be in [0, 1)"), Error);
  CHECK_THROWS_WITH_AS(nn::Adam<float>({p}, {.eps = 0}), doctest::Contains("eps must be a positive"), Error);
  VarF frozen(TensorF::zeros({2}), false);
  CHECK_THROWS_WITH_AS(nn::Adam<float>({frozen}), doctest::Contains("does not require grad"), Error);
}
