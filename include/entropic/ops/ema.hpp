// An exponential moving average of a tensor, on its device (the trainer's weight average).
#pragma once
#include "entropic/ops/common.hpp"

namespace entropic::ops {

// avg = decay * avg + (1 - decay) * x, in place, rounded in T as written.
template <class T>
void ema_update(Tensor<T>& avg, const Tensor<T>& x, T decay) {
  require_defined(avg, "ema_update", "average");
  require_device(x, avg.device(), "ema_update", "x");
  require_same_shape(avg, x, "ema_update", "average", "x");
  T* e = avg.data();
  const T* w = x.data();
  const int64_t n = avg.numel();
  if (avg.device() == Device::cuda) return cuda_kernels<T>().axpby(decay, e, T(1) - decay, w, e, n);
  for (int64_t i = 0; i < n; ++i) e[i] = decay * e[i] + (1 - decay) * w[i];
}

}  // namespace entropic::ops
