// Every differentiable function, and a whole small network, against central differences in
// double through the autograd graph.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>

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

TEST_CASE("fn::linear with a fused activation: forward against a double loop, backward by central differences for every Act") {
  const TensorD xv = rand_t({6, 7}, 21), wv = rand_t({4, 7}, 22), bv = rand_t({4}, 23);
  const TensorD t = rand_t({6, 4}, 24, 0, 1);
  struct Case {
    Act act;
    double slope;
  };
  for (const Case c : {Case{Act::none, 0.0}, Case{Act::relu, 0.0}, Case{Act::leaky_relu, 0.2},
                       Case{Act::leaky_relu, 0.0}, Case{Act::tanh, 0.0}, Case{Act::sigmoid, 0.0}}) {
    for (bool with_bias : {true, false}) {
      CAPTURE(act_name(c.act));
      CAPTURE(c.slope);
      CAPTURE(with_bias);
      VarD x(xv.clone(), true), w(wv.clone(), true), b;
      if (with_bias) b = VarD(bv.clone(), true);
      const VarD y = fn::linear(x, w, b, c.act, c.slope);
      for (int r = 0; r < 6; ++r)
        for (int o = 0; o < 4; ++o) {
          double z = with_bias ? bv[o] : 0.0;
          for (int i = 0; i < 7; ++i) z += xv(r, i) * wv(o, i);
          REQUIRE(std::abs(z) > 1e-3);  // central differences (h = 1e-6) stay off the kinks
          const double want = c.act == Act::relu         ? std::max(z, 0.0)
                              : c.act == Act::leaky_relu ? (z > 0 ? z : c.slope * z)
                              : c.act == Act::tanh       ? std::tanh(z)
                              : c.act == Act::sigmoid    ? 1 / (1 + std::exp(-z))
                                                         : z;
          CHECK(y.value()(r, o) == doctest::Approx(want).epsilon(1e-12));
        }
      const std::vector<VarD> params = with_bias ? std::vector<VarD>{x, w, b} : std::vector<VarD>{x, w};
      check_grads([&] { return fn::mse(fn::linear(x, w, b, c.act, c.slope), t); }, params);
      // the same gradients as the unfused pair, which every other test checks
      for (auto p : params) p.zero_grad();
      fn::mse(fn::activation(fn::linear(x, w, b), c.act, c.slope), t).backward();
      std::vector<TensorD> unfused;
      for (auto p : params) unfused.push_back(p.grad().clone());
      for (auto p : params) p.zero_grad();
      fn::mse(fn::linear(x, w, b, c.act, c.slope), t).backward();
      for (size_t k = 0; k < params.size(); ++k) CHECK(params[k].grad().vec() == unfused[k].vec());
    }
  }
  VarD x(xv, true), w(wv, true), b(bv, true);
  CHECK_THROWS_WITH_AS(fn::linear(x, w, b, Act::leaky_relu, -0.5),
                       doctest::Contains("a fused leaky_relu needs slope >= 0, got -0.5"), Error);
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

TEST_CASE("fn::exp, log, square, clamp, affine, mul, div: values against std, gradients by central differences") {
  VarD x(rand_t({3, 5}, 30, -2, 2), true), y(rand_t({3, 5}, 31, 0.5, 2), true);
  const std::vector<std::pair<const char*, std::function<VarD()>>> maps = {
      {"exp", [&] { return fn::exp(x); }},
      {"log", [&] { return fn::log(y); }},
      {"square", [&] { return fn::square(x); }},
      {"clamp", [&] { return fn::clamp(x, -0.5, 0.7); }},
      {"affine", [&] { return fn::affine(x, -1.5, 0.25); }},
      {"mul", [&] { return fn::mul(x, y); }},
      {"div", [&] { return fn::div(x, y); }},
  };
  const std::vector<std::function<double(double, double)>> expect = {
      [](double a, double) { return std::exp(a); },
      [](double, double b) { return std::log(b); },
      [](double a, double) { return a * a; },
      [](double a, double) { return std::min(std::max(a, -0.5), 0.7); },
      [](double a, double) { return -1.5 * a + 0.25; },
      [](double a, double b) { return a * b; },
      [](double a, double b) { return a / b; },
  };
  const TensorD w = rand_t({3, 5}, 32);  // a weighted sum, so each element's gradient differs
  for (size_t k = 0; k < maps.size(); ++k) {
    CAPTURE(maps[k].first);
    const VarD out = maps[k].second();
    REQUIRE(out.shape() == x.shape());
    for (int64_t i = 0; i < x.value().numel(); ++i)
      CHECK(out.value()[i] == doctest::Approx(expect[k](x.value()[i], y.value()[i])).epsilon(1e-14));
    // clamp's gradient is a step: keep x away from its bounds for the differences.
    const std::string name = maps[k].first;
    const std::vector<VarD> params = name == "log" ? std::vector<VarD>{y}
                                   : (name == "mul" || name == "div") ? std::vector<VarD>{x, y}
                                                                      : std::vector<VarD>{x};
    check_grads([&] { return fn::sum(fn::mul(maps[k].second(), VarD(w))); }, params);
  }
}

TEST_CASE("Var operators read like the maths and give the gradients of the expression they spell") {
  VarD a(rand_t({4, 3}, 40, 0.5, 1.5), true), b(rand_t({4, 3}, 41, 0.5, 1.5), true);
  const double lam = 0.3;
  // (a + b) * a - b / a + 2 - 3 * (-b) ... every operator once, against the same sum built by hand.
  auto ops_loss = [&] { return fn::mean((a + b) * a - b / a + 2.0 - 3.0 * (-b) + a * 0.5 - (1.0 - b) / 4.0 + 1.0 / a - lam * b); };
  const VarD got = ops_loss();
  double ref = 0;
  for (int64_t i = 0; i < a.value().numel(); ++i) {
    const double u = a.value()[i], v = b.value()[i];
    ref += (u + v) * u - v / u + 2.0 + 3.0 * v + u * 0.5 - (1.0 - v) / 4.0 + 1.0 / u - lam * v;
  }
  CHECK(got.item() == doctest::Approx(ref / 12).epsilon(1e-14));
  check_grads(ops_loss, {a, b});
  // The hinge loss of a discriminator in one line, against its definition.
  const VarD hinge = fn::mean(fn::relu(1.0 - a)) + fn::mean(fn::relu(1.0 + b));
  double h = 0;
  for (int64_t i = 0; i < 12; ++i) h += std::max(0.0, 1.0 - a.value()[i]) / 12 + std::max(0.0, 1.0 + b.value()[i]) / 12;
  CHECK(hinge.item() == doctest::Approx(h).epsilon(1e-14));
}

TEST_CASE("scalars convert to the Var's type, shapes must match, clamp bounds in order") {
  VarF f(TensorF::from({2}, {1.f, -2.f}), true);
  // A double scalar on a float Var: no deduction failure, the value converts.
  const VarF g = -f * 2.0 + fn::scale(f, -1.0) - 0.5;
  CHECK(g.value().vec() == std::vector<float>{-3.5f, 5.5f});
  fn::sum(g).backward();
  CHECK(f.grad().vec() == std::vector<float>{-3.f, -3.f});
  CHECK(TensorF::scalar(2.5f).item() == 2.5f);
  CHECK(TensorF::scalar(2.5f).rank() == 0);
  Rng r1(5), r2(5);
  CHECK(TensorF::randn({3}, r1, Device::cpu).vec() == TensorF::randn({3}, r2).vec());
  VarD u(rand_t({2, 3}, 50)), v(rand_t({3, 2}, 51));
  CHECK_THROWS_WITH_AS(u * v, doctest::Contains("mul: a has shape [2, 3] but b has shape [3, 2]"), Error);
  CHECK_THROWS_WITH_AS(u + v, doctest::Contains("has shape [2, 3] but b has shape [3, 2]"), Error);
  CHECK_THROWS_WITH_AS(fn::clamp(u, 1.0, -1.0), doctest::Contains("clamp: needs lower <= upper"), Error);
  // log follows IEEE at the edge, as torch.log: log(0) = -inf, log(-1) = NaN.
  const VarD l = fn::log(VarD(TensorD::from({2}, {0.0, -1.0})));
  CHECK(std::isinf(l.value()[0]));
  CHECK(l.value()[0] < 0);
  CHECK(std::isnan(l.value()[1]));
}
