// End to end: an MLP with BatchNorm learns a smooth function; its loss must fall 20-fold.
#include <doctest/doctest.h>

#include <cmath>

#include "entropic/entropic.hpp"

using namespace entropic;

TEST_CASE("an MLP with BatchNorm learns y = sin(3 x0) cos(2 x1): held-out MSE falls at least 20x") {
  Rng rng(11);
  nn::Sequential<float> net;
  net.emplace<nn::Linear<float>>(2, 64, rng).emplace<nn::BatchNorm1d<float>>(64).emplace<nn::ReLU<float>>()
      .emplace<nn::Linear<float>>(64, 64, rng).emplace<nn::BatchNorm1d<float>>(64).emplace<nn::ReLU<float>>()
      .emplace<nn::Linear<float>>(64, 1, rng);
  nn::Adam<float> opt(net.parameters(), {.lr = 3e-3});
  auto f = [](float a, float b) { return std::sin(3 * a) * std::cos(2 * b); };
  auto heldout = [&] {
    Rng r(99);
    auto x = TensorF::rand({500, 2}, r, -1, 1);
    NoGrad ng;
    net.eval();
    auto p = net(VarF(x));
    net.train();
    double e = 0;
    for (int i = 0; i < 500; ++i) e += std::pow(p.value()(i, 0) - f(x(i, 0), x(i, 1)), 2) / 500;
    return e;
  };
  const double before = heldout();
  for (int it = 0; it < 800; ++it) {
    auto x = TensorF::rand({64, 2}, rng, -1, 1);
    TensorF y({64, 1});
    for (int r = 0; r < 64; ++r) y(r, 0) = f(x(r, 0), x(r, 1));
    auto loss = fn::mse(net(VarF(x)), y);
    opt.zero_grad();
    loss.backward();
    opt.step();
  }
  const double after = heldout();
  MESSAGE("held-out mse " << before << " -> " << after);
  CHECK(after * 20 < before);
}
