#include <doctest/doctest.h>

#include "entropic/gan/image_networks.hpp"
#include "entropic/gan/objective.hpp"

using namespace entropic;

TEST_CASE("image networks: the seed's layer sizes, BatchNorm eps 0.8, and PyTorch names") {
  Rng rng(1);
  nn::Sequential<float> G = gan::image_generator<float>(rng, 784);
  nn::Sequential<float> D = gan::image_discriminator<float>(rng, 784);
  CHECK(G.size() == 13);
  CHECK(D.size() == 5);
  // 100*128+128 + 128*256+256 + 256*512+512 + 512*1024+1024 + 1024*784+784 weights and biases,
  // plus gamma and beta of the three BatchNorm layers.
  CHECK(G.num_parameters() == 12928 + 33024 + 131584 + 525312 + 803600 + 2 * (256 + 512 + 1024));
  CHECK(D.num_parameters() == 784 * 512 + 512 + 512 * 256 + 256 + 256 + 1);
  std::vector<std::string> names;
  for (auto& [n, v] : G.named_parameters()) names.push_back(n);
  CHECK(names.front() == "0.weight");
  CHECK(names[2] == "2.weight");
  CHECK(names[4] == "3.weight");  // BatchNorm1d(256)
  CHECK(names.back() == "11.bias");
  Rng zr(2);
  const Var<float> x = G(Var<float>(Tensor<float>::randn({8, 100}, zr)));
  CHECK(x.shape() == Shape({8, 784}));
  for (float v : x.value()) CHECK(std::fabs(v) <= 1.0f);
  CHECK(D(x).shape() == Shape({8, 1}));
  CHECK(gan::discriminator_features(D, x).shape() == Shape({8, 256}));
}

TEST_CASE("image networks: 8x8 digits, and a feature loss reaches G's parameters through D") {
  Rng rng(3);
  nn::Sequential<float> G = gan::image_generator<float>(rng, 64);
  nn::Sequential<float> D = gan::image_discriminator<float>(rng, 64);
  Rng zr(4);
  const Var<float> x = G(Var<float>(Tensor<float>::randn({16, 100}, zr)));
  CHECK(x.shape() == Shape({16, 64}));
  fn::mean(gan::discriminator_features(D, x)).backward();
  for (auto& p : G.parameters()) {
    REQUIRE(p.grad().defined());
    double s = 0;
    for (float g : p.grad()) s += std::fabs(g);
    CHECK(s > 0);
  }
}

TEST_CASE("image networks: the logit loss equals the seed's Sigmoid + BCE") {
  Rng rng(5);
  Tensor<double> z = Tensor<double>::randn({32, 1}, rng, 0.0, 3.0);
  const Tensor<double> ones = Tensor<double>::ones({32, 1});
  const double with_logits = fn::bce_with_logits(Var<double>(z), ones).item();
  const double seed = fn::bce(fn::sigmoid(Var<double>(z)), ones).item();
  CHECK(with_logits == doctest::Approx(seed).epsilon(1e-12));
}
