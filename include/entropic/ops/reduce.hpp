// Reductions over all elements (accumulated in double, see cpu/reduce.hpp).
#pragma once
#include <cmath>

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

// Whether every element is finite. On cuda one reduction answers it (the sum of squares, in
// double, is finite iff every x is), so there it is also false for a double x holding values
// beyond about 1e154, whose squares overflow; the kernels that need finite input fail on those too.
template <class T>
bool all_finite(const Tensor<T>& x) {
  require_defined(x, "all_finite", "input");
  if (x.device() == Device::cuda) return std::isfinite(cuda_kernels<T>().sum_of_squares(x.data(), x.numel()));
  const T* p = x.data();
  for (int64_t i = 0; i < x.numel(); ++i)
    if (!std::isfinite(p[i])) return false;
  return true;
}

}  // namespace entropic::ops
