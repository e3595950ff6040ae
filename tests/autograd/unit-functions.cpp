// Every differentiable function, and a whole small network, against central differences in
// double through the autograd graph.
#include <doctest/doctest.h>

#include "entropic/autograd/functions.hpp"
#include "support.hpp"

using namespace entropic;
using test::all_close;
using test::numeric_grad;

namespace {

TensorD rand_t(Shape s, uint64_t seed, double lo = -1, double hi = 1) {
  Rng rng(seed);
  return TensorD::rand(std::move(s), rng, lo, hi);
}

// Compares d(loss)/d(p) from backward with central differences, for every p in params.
void check_grads(const std::function<VarD()>& loss, std::vector<VarD> params, double tol = 1e-6) {
  for (auto& p : params) p.zero_grad();
  loss().backward();
  for (size_t k = 0; k < params.size(); ++k) {
    auto f = [&] { NoGrad ng; return double(loss().item()); };
    auto num = numeric_grad(f, params[k].value().data(), params[k].value().numel());
    REQUIRE(params[k].grad().defined());
    CHECK(all_close(params[k].grad().data(), num.data(), params[k].value().numel(), tol, tol,
                    "param " + std::to_string(k)));
  }
}

}  // namespace

TEST_CASE("fn::linear: forward against a double loop, backward by central differences") {
  VarD x(rand_t({5, 7}, 1), true), w(rand_t({3, 7}, 2), true), b(rand_t({3}, 3), true);
  VarD y = fn::linear(x, w, b);
  for (int r = 0; r < 5; ++r)
    for (int o = 0; o < 3; ++o) {
      double s = b.value()[o];
      for (int i = 0; i < 7; ++i) s += x.value()(r, i) * w.value()(o, i);
      CHECK(y.value()(r, o) == doctest::Approx(s).epsilon(1e-12));
    }
  const TensorD wy = rand_t({5, 3}, 4);
  check_grads([&] { return fn::sum(fn::lincomb(1.0, fn::linear(x, w, b), 0.0, fn::linear(x, w, b))); }, {x, w, b});
  check_grads([&] { return fn::mse(fn::linear(x, w, b), wy); }, {x, w, b});
  CHECK_THROWS_WITH_AS(fn::linear(VarD(rand_t({5, 6}, 1)), w, b),
                       doctest::Contains("input has 6 features, weight expects 7"), Error);
}

TEST_CASE("fn activations, maxout, losses: backward by central differences") {
  // Away from the kinks: |x| > 0.05 for relu/leaky; maxout pieces differ by construction.
  TensorD xv = rand_t({4, 10}, 5, 0.05, 1);
  Rng sign(6);
  for (auto& e : xv) e *= sign.uniform() < 0.5 ? -1 : 1;
  VarD x(xv, true);
  const TensorD t = rand_t({4, 10}, 7, 0, 1);
  check_grads([&] { return fn::mse(fn::relu(x), t); }, {x});
  check_grads([&] { return fn::mse(fn::leaky_relu(x, 0.2), t); }, {x});
  check_grads([&] { return fn::mse(fn::tanh(x), t); }, {x});
  check_grads([&] { return fn::mse(fn::sigmoid(x), t); }, {x});
  check_grads([&] { return fn::mse(fn::maxout(x, 5), TensorD::zeros({4, 2})); }, {x});
  check_grads([&] { return fn::bce_with_logits(x, t); }, {x});
  check_grads([&] { return fn::bce(fn::sigmoid(x), t); }, {x});
}

TEST_CASE("fn::batchnorm1d: training and eval backward by central differences") {
  VarD x(rand_t({6, 4}, 8, -2, 2), true), g(rand_t({4}, 9, 0.5, 1.5), true), b(rand_t({4}, 10), true);
  const TensorD t = rand_t({6, 4}, 11);
  TensorD rm = TensorD::zeros({4}), rv = TensorD::ones({4});
  check_grads([&] { return fn::mse(fn::batchnorm1d(x, g, b, rm, rv, true, 1e-5, 0.1), t); }, {x, g, b}, 1e-5);
  TensorD rm2 = rand_t({4}, 12), rv2 = rand_t({4}, 13, 0.5, 2);
  check_grads([&] { return fn::mse(fn::batchnorm1d(x, g, b, rm2, rv2, false, 1e-5, 0.1), t); }, {x, g, b});
}

TEST_CASE("a GAN-shaped network: gradients of every parameter by central differences") {
  // Linear -> BatchNorm -> LeakyReLU -> Linear -> Maxout -> Linear -> BCE-with-logits.
  VarD x(rand_t({8, 3}, 20), false);
  VarD w1(rand_t({6, 3}, 21), true), b1(rand_t({6}, 22), true);
  VarD g(rand_t({6}, 23, 0.5, 1.5), true), be(rand_t({6}, 24), true);
  VarD w2(rand_t({8, 6}, 25), true), b2(rand_t({8}, 26), true);
  VarD w3(rand_t({1, 4}, 27), true), b3(rand_t({1}, 28), true);
  TensorD rm = TensorD::zeros({6}), rv = TensorD::ones({6});
  const TensorD target = TensorD::full({8, 1}, 1.0);
  auto net = [&] {
    VarD h = fn::leaky_relu(fn::batchnorm1d(fn::linear(x, w1, b1), g, be, rm, rv, true, 1e-5, 0.1), 0.2);
    VarD m = fn::maxout(fn::linear(h, w2, b2), 2);
    return fn::bce_with_logits(fn::linear(m, w3, b3), target);
  };
  check_grads(net, {w1, b1, g, be, w2, b2, w3, b3}, 1e-5);
}
