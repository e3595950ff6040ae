// The seed's image GAN (PyTorch-GAN implementations/gan/gan.py; shared/protocols.md), for square
// grey images of any side: 28x28 MNIST (784 pixels) as in the seed, or 8x8 digits (64 pixels).
//
// G: latent 100 -> 128 -> 256 -> 512 -> 1024 -> pixels. Every hidden layer but the first is
//    Linear -> BatchNorm1d(out, eps = 0.8) -> LeakyReLU(0.2); the first has no BatchNorm;
//    the output is Tanh, matching images scaled to [-1, 1]. (The seed passes 0.8 to
//    BatchNorm1d positionally, which makes it eps, not momentum.)
// D: pixels -> 512 -> 256 -> 1 with LeakyReLU(0.2), no BatchNorm.
//
// D ends in a LOGIT, not the seed's Sigmoid: the losses (gan/objective.hpp) take logits and
// compute BCE(sigmoid(z), t) as BCE-with-logits, max(z, 0) - z t + log(1 + exp(-|z|)).
// Mathematically that is the seed's Sigmoid + BCELoss; numerically it never rounds sigmoid(z)
// to 0 or 1, where BCE would need PyTorch's clamp of log at -100 and the gradient vanishes.
// Use nn::Sigmoid on the logit to read D's probability.
//
// Layer indices (the checkpoint names, as in the seed's nn.Sequential): G 0 Linear, 1 LeakyReLU,
// 2 Linear, 3 BatchNorm1d, 4 LeakyReLU, ..., 11 Linear, 12 Tanh; D 0 Linear, 1 LeakyReLU,
// 2 Linear, 3 LeakyReLU, 4 Linear. Initialisation is PyTorch's default, as in the seed.
// Sequential runs G's 0-1 and 11-12 and D's 0-1 and 2-3 as fused fn::linear(..., act) nodes
// (nn/module.hpp): the same values and names, one node and one activation tensor fewer each.
#pragma once
#include "entropic/nn/activation.hpp"
#include "entropic/nn/batchnorm.hpp"
#include "entropic/nn/linear.hpp"
#include "entropic/nn/module.hpp"

namespace entropic::gan {

inline constexpr int64_t kImageLatent = 100;

template <class T>
nn::Sequential<T> image_generator(Rng& rng, int64_t pixels = 784, int64_t latent = kImageLatent) {
  check(pixels > 0 && latent > 0, "image_generator: pixels and latent must be positive, got ", pixels, " and ",
        latent);
  nn::Sequential<T> g;
  g.template emplace<nn::Linear<T>>(latent, 128, rng).template emplace<nn::LeakyReLU<T>>(0.2);
  int64_t in = 128;
  for (int64_t out : {256, 512, 1024}) {
    g.template emplace<nn::Linear<T>>(in, out, rng)
        .template emplace<nn::BatchNorm1d<T>>(out, 0.8)
        .template emplace<nn::LeakyReLU<T>>(0.2);
    in = out;
  }
  g.template emplace<nn::Linear<T>>(in, pixels, rng).template emplace<nn::Tanh<T>>();
  return g;
}

template <class T>
nn::Sequential<T> image_discriminator(Rng& rng, int64_t pixels = 784, int64_t width1 = 512, int64_t width2 = 256) {
  check(pixels > 0 && width1 > 0 && width2 > 0, "image_discriminator: pixels and widths must be positive, got ",
        pixels, ", ", width1, ", ", width2);
  nn::Sequential<T> d;
  d.template emplace<nn::Linear<T>>(pixels, width1, rng)
      .template emplace<nn::LeakyReLU<T>>(0.2)
      .template emplace<nn::Linear<T>>(width1, width2, rng)
      .template emplace<nn::LeakyReLU<T>>(0.2)
      .template emplace<nn::Linear<T>>(width2, 1, rng);
  return d;
}

// D's penultimate-layer features [batch, 256] (after the second LeakyReLU): every layer of D
// but the last. Recorded like any forward, so a loss on the features back-propagates through
// D's feature extractor into x, and from there into G when x = G(z). (D's parameters receive
// gradients too; the trainer clears them before D's own step.)
template <class T>
Var<T> discriminator_features(nn::Sequential<T>& D, const Var<T>& x) {
  check(D.size() >= 2, "discriminator_features: D has ", D.size(), " layers, needs at least 2");
  Var<T> h = x;
  for (size_t i = 0; i + 1 < D.size(); ++i) h = D[i](h);
  return h;
}

}  // namespace entropic::gan
