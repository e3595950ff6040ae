// Reductions over all elements (accumulated in double, see cpu/reduce.hpp).
#pragma once
#include "entropic/cpu/reduce.hpp"
#include "entropic/ops/common.hpp"

namespace entropic::ops {

template <class T>
double sum(const Tensor<T>& x) {
  require_defined(x, "sum", "input");
  if (x.device() == Device::cuda) return cuda_kernels<T>().sum(x.data(), x.numel());
  return cpu::sum(x.data(), x.numel());
}

template <class T>
double mean(const Tensor<T>& x) {
  require_defined(x, "mean", "input");
  check(x.numel() > 0, "mean: input is empty (shape ", x.shape(), ")");
  if (x.device() == Device::cuda) return cuda_kernels<T>().sum(x.data(), x.numel()) / double(x.numel());
  return cpu::mean(x.data(), x.numel());
}

template <class T>
double sum_of_squares(const Tensor<T>& x) {
  require_defined(x, "sum_of_squares", "input");
  if (x.device() == Device::cuda) return cuda_kernels<T>().sum_of_squares(x.data(), x.numel());
  const T* p = x.data();
  return cpu::detail::blocked_sum(x.numel(), 4, [p](int64_t i) { return double(p[i]) * double(p[i]); });
}

}  // namespace entropic::ops
