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

// The mean as a scalar tensor on z's device, T(bce_with_logits(z, t)): on cuda it stays there.
template <class T>
Tensor<T> bce_with_logits_scalar(const Tensor<T>& z, const Tensor<T>& t) {
  detail::check_bce(z, t, "bce_with_logits", "logits");
  if (z.device() == Device::cuda) {
    Tensor<T> loss({}, Device::cuda);
    cuda_kernels<T>().bce_with_logits_forward(z.data(), t.data(), z.numel(), loss.data());
    return loss;
  }
  return Tensor<T>::full({}, T(cpu::bce_with_logits_forward(z.data(), t.data(), z.numel())));
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

// dloss: the upstream gradient, a scalar tensor on z's device (on cuda it is not read back).
template <class T>
Tensor<T> bce_with_logits_backward(const Tensor<T>& z, const Tensor<T>& t, const Tensor<T>& dloss) {
  if (z.device() != Device::cuda) return bce_with_logits_backward(z, t, double(dloss.item()));
  require_device(dloss, Device::cuda, "bce_with_logits_backward", "dloss");
  Tensor<T> dz(z.shape(), z.device());
  cuda_kernels<T>().bce_with_logits_backward(z.data(), t.data(), dz.data(), z.numel(), dloss.data());
  return dz;
}

}  // namespace entropic::ops
