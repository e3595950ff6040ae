#include <doctest/doctest.h>

#include <cmath>

#include "entropic/entropic.hpp"
#include "support.hpp"

using namespace entropic;

TEST_CASE("linear: PyTorch's default init bound and the N(0, std) option") {
  Rng rng(3);
  nn::Linear<double> l(400, 300, rng);
  const double bound = 1 / std::sqrt(400.0);
  double mx = 0, var = 0;
  for (double w : l.weight.value()) mx = std::max(mx, std::fabs(w)), var += w * w;
  var /= double(l.weight.value().numel());
  CHECK(mx <= bound);
  CHECK(mx > 0.99 * bound);
  CHECK(var == doctest::Approx(bound * bound / 3).epsilon(0.02));  // variance of U(-b, b)
  nn::Linear<double> n(400, 300, rng, nn::LinearInit::Normal(0.02));
  double s = 0;
  for (double w : n.weight.value()) s += w * w;
  CHECK(std::sqrt(s / 120000) == doctest::Approx(0.02).epsilon(0.01));
  for (double b : n.bias.value()) CHECK(b == 0.0);
  CHECK(l.named_parameters()[0].first == "weight");
  CHECK_THROWS_WITH_AS(nn::Linear<float>(0, 3, rng), doctest::Contains("must be positive, got 0"), Error);
}

TEST_CASE("batchnorm1d layer: running statistics, eval mode, names, bad eps") {
  nn::BatchNorm1d<double> bn(2, 1e-5, 0.1);
  auto x = TensorD::from({4, 2}, {1, 10, 2, 20, 3, 30, 4, 40});
  auto y = bn(VarD(x));
  // Column 0: mean 2.5, unbiased var 5/3 -> running 0.25 and 0.9 + 0.1 * 5/3.
  CHECK(bn.running_mean[0] == doctest::Approx(0.25));
  CHECK(bn.running_var[0] == doctest::Approx(0.9 + 0.1 * 5.0 / 3));
  CHECK(y.value()(0, 0) == doctest::Approx((1 - 2.5) / std::sqrt(1.25 + 1e-5)));
  bn.eval();
  auto ye = bn(VarD(x));
  CHECK(ye.value()(0, 0) == doctest::Approx((1 - 0.25) / std::sqrt(bn.running_var[0] + 1e-5)));
  CHECK(bn.named_buffers()[1].first == "running_var");
  CHECK_THROWS_WITH_AS(nn::BatchNorm1d<float>(4, 0.0), doctest::Contains("eps must be a positive"), Error);
  CHECK_THROWS_WITH_AS(nn::BatchNorm1d<float>(4, -1.0), doctest::Contains("eps must be a positive"), Error);
  nn::BatchNorm1d<double> bn1(2);
  CHECK_THROWS_WITH_AS(bn1(VarD(TensorD::zeros({1, 2}))), doctest::Contains("at least 2 rows"), Error);
  CHECK_THROWS_WITH_AS(bn1(VarD(TensorD::zeros({4, 3}))), doctest::Contains("has shape [2] but the input has 3 features"), Error);
}

TEST_CASE("sequential: names, train/eval propagation, parameter count") {
  Rng rng(1);
  nn::Sequential<float> net;
  net.emplace<nn::Linear<float>>(3, 4, rng).emplace<nn::BatchNorm1d<float>>(4).emplace<nn::LeakyReLU<float>>(0.2)
      .emplace<nn::Maxout<float>>(4, 2, 3, rng).emplace<nn::Linear<float>>(2, 1, rng).emplace<nn::Sigmoid<float>>();
  auto names = net.named_parameters();
  REQUIRE(names.size() == 8);
  CHECK(names[0].first == "0.weight");
  CHECK(names[2].first == "1.weight");
  CHECK(names[4].first == "3.weight");
  CHECK(net.num_parameters() == 3 * 4 + 4 + 4 + 4 + 4 * 6 + 6 + 2 + 1);
  net.eval();
  CHECK_FALSE(net[1].training());
  auto y = net(VarF(TensorF::zeros({1, 3})));  // eval mode takes a single row
  CHECK(y.shape() == Shape{1, 1});
  CHECK(y.value()[0] > 0.f);
  CHECK(y.value()[0] < 1.f);
}

TEST_CASE("bad input: empty tensors and wrong devices are rejected with named arguments") {
  Rng rng(1);
  nn::Linear<float> l(3, 2, rng);
  CHECK_THROWS_WITH_AS(l(VarF(TensorF::zeros({0, 3}))), doctest::Contains("linear: input is empty"), Error);
  CHECK_THROWS_WITH_AS(fn::relu(VarF(TensorF())), doctest::Contains("undefined"), Error);
  CHECK_THROWS_WITH_AS(fn::maxout(VarF(TensorF::zeros({2, 5})), 2), doctest::Contains("not a multiple of 2"), Error);
  CHECK_THROWS_WITH_AS(fn::bce(VarF(TensorF::full({2}, 1.5f)), TensorF::zeros({2})), doctest::Contains("outside [0, 1]"), Error);
  CHECK_THROWS_WITH_AS(fn::bce_with_logits(VarF(TensorF::zeros({2})), TensorF::zeros({3})), doctest::Contains("target has shape [3]"), Error);
}
