// Binary cross-entropy entry points (mean over elements).
#pragma once
#include "entropic/cpu/loss.hpp"
#include "entropic/ops/common.hpp"

namespace entropic::ops {

namespace detail {
template <class T>
void check_bce(const Tensor<T>& x, const Tensor<T>& t, const char* op, const char* xname) {
  require_defined(x, op, xname);
  require_device(t, x.device(), op, "target");
  require_same_shape(x, t, op, xname, "target");
  check(x.numel() > 0, op, ": ", xname, " is empty");
}
}  // namespace detail

template <class T>
double bce(const Tensor<T>& p, const Tensor<T>& t) {
  detail::check_bce(p, t, "bce", "probabilities");
  require_cpu(p, "bce", "probabilities (bce on probabilities runs on cpu only: use bce_with_logits)");
  for (int64_t i = 0; i < p.numel(); ++i)
    check(p[i] >= 0 && p[i] <= 1, "bce: probability ", i, " is ", p[i],
          ", outside [0, 1]; pass logits to bce_with_logits instead");
  return cpu::bce_forward(p.data(), t.data(), p.numel());
}

template <class T>
Tensor<T> bce_backward(const Tensor<T>& p, const Tensor<T>& t, double dloss) {
  Tensor<T> dp(p.shape());
  cpu::bce_backward(p.data(), t.data(), dp.data(), p.numel(), dloss / double(p.numel()));
  return dp;
}

template <class T>
double bce_with_logits(const Tensor<T>& z, const Tensor<T>& t) {
  detail::check_bce(z, t, "bce_with_logits", "logits");
  if (z.device() == Device::cuda) return cuda_kernels<T>().bce_with_logits_forward(z.data(), t.data(), z.numel());
  return cpu::bce_with_logits_forward(z.data(), t.data(), z.numel());
}

template <class T>
Tensor<T> bce_with_logits_backward(const Tensor<T>& z, const Tensor<T>& t, double dloss) {
  Tensor<T> dz(z.shape(), z.device());
  if (z.device() == Device::cuda) {
    cuda_kernels<T>().bce_with_logits_backward(z.data(), t.data(), dz.data(), z.numel(),
                                               dloss / double(z.numel()));
    return dz;
  }
  cpu::bce_with_logits_backward(z.data(), t.data(), dz.data(), z.numel(), dloss / double(z.numel()));
  return dz;
}

}  // namespace entropic::ops
