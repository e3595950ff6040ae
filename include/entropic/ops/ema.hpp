// An exponential moving average of a tensor, on its device (the trainer's weight average).
#pragma once
#include "entropic/ops/elementwise.hpp"

namespace entropic::ops {

// avg = decay * avg + (1 - decay) * x, in place, rounded in T as written.
template <class T>
void ema_update(Tensor<T>& avg, const Tensor<T>& x, T decay) {
  require_defined(avg, "ema_update", "average");
  require_device(x, avg.device(), "ema_update", "x");
  require_same_shape(avg, x, "ema_update", "average", "x");
  axpby_into(avg, decay, avg, T(1) - decay, x, "ema_update");
}

}  // namespace entropic::ops
