// Activation entry points over tensors of any shape.
#pragma once
#include <algorithm>

#include "entropic/cpu/activations.hpp"
#include "entropic/ops/common.hpp"

namespace entropic::ops {

template <class T>
Tensor<T> activation(const Tensor<T>& x, Act act, double slope = 0.0) {
  require_defined(x, act_name(act), "input");
  check(std::isfinite(slope), act_name(act), ": slope must be finite, got ", slope);
  Tensor<T> y(x.shape(), x.device());
  const int64_t n = x.numel();
  if (x.device() == Device::cuda) {
    cuda_kernels<T>().activation_forward(act, x.data(), y.data(), n, T(slope));
    return y;
  }
  switch (act) {
    case Act::none: std::copy_n(x.data(), n, y.data()); break;
    case Act::relu: cpu::relu_forward(x.data(), y.data(), n); break;
    case Act::leaky_relu: cpu::leaky_relu_forward(x.data(), y.data(), n, T(slope)); break;
    case Act::tanh: cpu::tanh_forward(x.data(), y.data(), n); break;
    case Act::sigmoid: cpu::sigmoid_forward(x.data(), y.data(), n); break;
  }
  return y;
}

// dx for dy, given the forward's input x and output y (each activation uses one of them).
template <class T>
Tensor<T> activation_backward(const Tensor<T>& dy, const Tensor<T>& x, const Tensor<T>& y, Act act,
                              double slope = 0.0) {
  require_defined(dy, act_name(act), "dy");
  require_device(x, dy.device(), act_name(act), "input");
  require_same_shape(dy, x, act_name(act), "dy", "input");
  Tensor<T> dx(x.shape(), x.device());
  const int64_t n = x.numel();
  if (x.device() == Device::cuda) {
    const Tensor<T>& s = act == Act::leaky_relu ? x : y;
    cuda_kernels<T>().activation_backward(act, dy.data(), s.data(), dx.data(), n, T(slope));
    return dx;
  }
  switch (act) {
    case Act::none: std::copy_n(dy.data(), n, dx.data()); break;
    case Act::relu: cpu::relu_backward(dy.data(), y.data(), dx.data(), n); break;
    case Act::leaky_relu: cpu::leaky_relu_backward(dy.data(), x.data(), dx.data(), n, T(slope)); break;
    case Act::tanh: cpu::tanh_backward(dy.data(), y.data(), dx.data(), n); break;
    case Act::sigmoid: cpu::sigmoid_backward(dy.data(), y.data(), dx.data(), n); break;
  }
  return dx;
}

}  // namespace entropic::ops
