// The networks of the protocols in shared/protocols.md, built from nn layers.
#pragma once
#include <memory>

#include "entropic/nn/activation.hpp"
#include "entropic/nn/batchnorm.hpp"
#include "entropic/nn/linear.hpp"
#include "entropic/nn/maxout.hpp"
#include "entropic/nn/module.hpp"

namespace entropic::gan {

// PacGAN's 2D generator: latent -> 4 x (Linear 400, BatchNorm, ReLU) -> Linear 2, linear output
// (the grid reaches +-4, beyond a Tanh). Weights N(0, 0.02), biases 0.
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

}  // namespace entropic::gan
