// Sequential fuses a Linear followed by an activation layer into one fn::linear(x, W, b, act):
// the values, gradients and training are the unfused ones to the bit on the cpu, the graph
// has one node fewer per fused pair, and the layers and checkpoint names do not change.
#include <doctest/doctest.h>

#include <functional>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "entropic/entropic.hpp"
#include "entropic/gan/image_networks.hpp"

using namespace entropic;

namespace {

// Nodes of the graph that produced v.
template <class T>
size_t count_nodes(const Var<T>& v) {
  std::set<const Node<T>*> seen;
  std::function<void(const std::shared_ptr<VarState<T>>&)> walk = [&](const std::shared_ptr<VarState<T>>& s) {
    if (!s || !s->creator || !seen.insert(s->creator.get()).second) return;
    for (const auto& i : s->creator->inputs) walk(i);
  };
  walk(v.state());
  return seen.size();
}

// Every activation after a Linear, one BatchNorm pair that must stay unfused (Linear ->
// BatchNorm -> ReLU), a LeakyReLU with a negative slope (unfused: its backward needs x), and a
// Linear at the end with nothing after it.
nn::Sequential<float> every_pair(uint64_t seed) {
  Rng rng(seed);
  nn::Sequential<float> s;
  s.emplace<nn::Linear<float>>(5, 16, rng).emplace<nn::ReLU<float>>()                // 0, 1 fused
      .emplace<nn::Linear<float>>(16, 16, rng).emplace<nn::LeakyReLU<float>>(0.2)    // 2, 3 fused
      .emplace<nn::Linear<float>>(16, 16, rng).emplace<nn::Tanh<float>>()            // 4, 5 fused
      .emplace<nn::Linear<float>>(16, 16, rng).emplace<nn::Sigmoid<float>>()         // 6, 7 fused
      .emplace<nn::Linear<float>>(16, 16, rng).emplace<nn::BatchNorm1d<float>>(16)   // 8, 9
      .emplace<nn::ReLU<float>>()                                                    // 10
      .emplace<nn::Linear<float>>(16, 16, rng).emplace<nn::LeakyReLU<float>>(-0.3)   // 11, 12
      .emplace<nn::Linear<float>>(16, 16, rng, nn::LinearInit{}, false)              // 13 no bias,
      .emplace<nn::LeakyReLU<float>>(0.0)                                            // 14 fused
      .emplace<nn::Linear<float>>(16, 3, rng);                                       // 15
  return s;
}

std::vector<std::vector<float>> train_steps(nn::Sequential<float>& net, int64_t in, int steps, size_t* nodes,
                                            std::vector<float>* out) {
  nn::Adam<float> opt(net.parameters(), {.lr = 1e-2});
  Rng data(5);
  for (int s = 0; s < steps; ++s) {
    const VarF x(TensorF::rand({32, in}, data, -2, 2));
    const VarF y = net(x);
    if (s == 0) {
      *nodes = count_nodes(y);
      *out = y.value().vec();
    }
    const VarF loss = fn::mean(fn::square(y));
    opt.zero_grad();
    loss.backward();
    opt.step();
  }
  std::vector<std::vector<float>> p;
  for (auto& [name, v] : net.named_parameters()) p.push_back(v.value().vec());
  return p;
}

}  // namespace

TEST_CASE("Sequential fuses Linear + activation: values, gradients and Adam steps equal the unfused ones bit for bit") {
  nn::Sequential<float> fused = every_pair(3), plain = every_pair(3);
  plain.fuse_activations(false);
  CHECK(fused.fuses_activations());
  CHECK_FALSE(plain.fuses_activations());
  size_t nf = 0, np = 0;
  std::vector<float> yf, yp;
  const auto pf = train_steps(fused, 5, 4, &nf, &yf);
  const auto pp = train_steps(plain, 5, 4, &np, &yp);
  CHECK(yf == yp);
  REQUIRE(pf.size() == pp.size());
  for (size_t k = 0; k < pf.size(); ++k) {
    CAPTURE(k);
    CHECK(pf[k] == pp[k]);
  }
  CHECK(np - nf == 5);  // relu, leaky 0.2, tanh, sigmoid, leaky 0 fused; BatchNorm and leaky -0.3 not
  std::vector<std::string> names;
  for (auto& [name, v] : fused.named_parameters()) names.push_back(name);
  CHECK(names == std::vector<std::string>{"0.weight", "0.bias", "2.weight", "2.bias", "4.weight", "4.bias",
                                          "6.weight", "6.bias", "8.weight", "8.bias", "9.weight", "9.bias",
                                          "11.weight", "11.bias", "13.weight", "15.weight", "15.bias"});
  CHECK(fused.size() == 16);
}

TEST_CASE("the image GAN's G and D fuse their Linear + LeakyReLU and Tanh pairs and train to the same bits") {
  for (bool generator : {true, false}) {
    CAPTURE(generator);
    auto make = [&] {
      Rng rng(9);
      return generator ? gan::image_generator<float>(rng, 64, 10) : gan::image_discriminator<float>(rng, 64);
    };
    nn::Sequential<float> fused = make(), plain = make();
    plain.fuse_activations(false);
    size_t nf = 0, np = 0;
    std::vector<float> yf, yp;
    const int64_t in = generator ? 10 : 64;
    const auto pf = train_steps(fused, in, 3, &nf, &yf);
    const auto pp = train_steps(plain, in, 3, &np, &yp);
    CHECK(yf == yp);
    REQUIRE(pf.size() == pp.size());
    for (size_t k = 0; k < pf.size(); ++k) CHECK(pf[k] == pp[k]);
    CHECK(np - nf == 2);  // G: layers 0-1 and 11-12, D: 0-1 and 2-3
  }
}
