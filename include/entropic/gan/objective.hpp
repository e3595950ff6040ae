// The entropy-regularised GAN objective, computed from the discriminator's logits so it is
// stable for any logit:
//   discriminator:  (BCE(D(x), 1) + BCE(D(G(z)), 0)) / 2
//   generator:      adv(D(G(z))) - lambda * H(G(z))
//     minimax (the original form):  adv = E[log(1 - D(G(z)))] = -BCE(D(G(z)), 0)
//     non_saturating:               adv = -E[log D(G(z))]     =  BCE(D(G(z)), 1)
#pragma once
#include <string>

#include "entropic/autograd/functions.hpp"

namespace entropic::gan {

enum class GenLoss { minimax, non_saturating };

inline GenLoss parse_gen_loss(const std::string& s) {
  if (s == "minimax") return GenLoss::minimax;
  if (s == "non-saturating" || s == "non_saturating" || s == "nonsaturating") return GenLoss::non_saturating;
  fail("objective: unknown generator loss '", s, "'; use minimax or non-saturating");
}

template <class T>
Var<T> discriminator_loss(const Var<T>& real_logits, const Var<T>& fake_logits) {
  const Var<T> real = fn::bce_with_logits(real_logits, Tensor<T>::ones(real_logits.shape(), real_logits.value().device()));
  const Var<T> fake = fn::bce_with_logits(fake_logits, Tensor<T>::zeros(fake_logits.shape(), fake_logits.value().device()));
  return fn::lincomb(T(0.5), real, T(0.5), fake);
}

template <class T>
Var<T> generator_adversarial_loss(const Var<T>& fake_logits, GenLoss kind) {
  if (kind == GenLoss::non_saturating)
    return fn::bce_with_logits(fake_logits, Tensor<T>::ones(fake_logits.shape(), fake_logits.value().device()));
  return fn::scale(fn::bce_with_logits(fake_logits, Tensor<T>::zeros(fake_logits.shape(), fake_logits.value().device())), T(-1));
}

}  // namespace entropic::gan
