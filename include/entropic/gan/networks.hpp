// The networks of the protocols in shared/protocols.md, built from nn layers.
#pragma once
#include <memory>
#include <vector>

#include "entropic/nn/activation.hpp"
#include "entropic/nn/batchnorm.hpp"
#include "entropic/nn/linear.hpp"
#include "entropic/nn/maxout.hpp"
#include "entropic/nn/module.hpp"

namespace entropic::gan {

// PacGAN's 2D generator: latent -> 4 x (Linear 400, BatchNorm, ReLU) -> Linear 2, linear output
// (the grid reaches +-4, beyond a Tanh). Weights N(0, 0.02), biases 0.
// No Linear here is followed directly by an activation (BatchNorm sits between), so Sequential
// fuses nothing: fusing BatchNorm + ReLU would be a different op.
template <class T>
nn::Sequential<T> mixture_generator(Rng& rng, int64_t latent = 2, int64_t hidden = 400, int layers = 4,
                                    double init_std = 0.02) {
  nn::Sequential<T> g;
  const auto init = nn::LinearInit::Normal(init_std);
  int64_t in = latent;
  for (int l = 0; l < layers; ++l) {
    g.template emplace<nn::Linear<T>>(in, hidden, rng, init)
        .template emplace<nn::BatchNorm1d<T>>(hidden)
        .template emplace<nn::ReLU<T>>();
    in = hidden;
  }
  g.template emplace<nn::Linear<T>>(in, 2, rng, init);
  return g;
}

// PacGAN's 2D discriminator: three maxout layers (200 units x 5 pieces), then Linear -> 1
// logit (the sigmoid lives in the loss, computed from logits). No BatchNorm.
template <class T>
nn::Sequential<T> mixture_discriminator(Rng& rng, int64_t units = 200, int64_t pieces = 5,
                                        double init_std = 0.02) {
  nn::Sequential<T> d;
  const auto init = nn::LinearInit::Normal(init_std);
  int64_t in = 2;
  for (int l = 0; l < 3; ++l) {
    d.template emplace<nn::Maxout<T>>(in, units, pieces, rng, init);
    in = units;
  }
  d.template emplace<nn::Linear<T>>(in, 1, rng, init);
  return d;
}

// G(z) with batch statistics, as G was trained, on G's device, returned on the host. BatchNorm's
// running statistics are put back afterwards, so drawing samples (for a picture in the middle of
// a run, say) leaves the model exactly as it was.
template <class T>
Tensor<T> generate(nn::Module<T>& G, const Tensor<T>& z) {
  std::vector<Tensor<T>> keep;
  for (auto& [name, t] : G.named_buffers()) keep.push_back(t->clone());
  Tensor<T> out;
  {
    NoGrad ng;
    out = G(Var<T>(z.to(G.device()))).value().to(Device::cpu);
  }
  size_t k = 0;
  for (auto& [name, t] : G.named_buffers()) *t = keep[k++];
  return out;
}

}  // namespace entropic::gan
