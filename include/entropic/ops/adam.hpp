// One Adam step on a parameter tensor, on its device (nn/adam.hpp holds the optimizer's state
// and computes the bias corrections; this is the elementwise update).
#pragma once
#include "entropic/cpu/adam.hpp"
#include "entropic/ops/common.hpp"

namespace entropic::ops {

// w, m, v updated in place from the gradient g (all one shape, one device); step_size =
// lr / bc1, rbc2 = 1 / sqrt(bc2).
template <class T>
void adam_update(Tensor<T>& w, const Tensor<T>& g, Tensor<T>& m, Tensor<T>& v, T step_size, T rbc2, T b1, T b2,
                 T eps, T wd) {
  require_defined(w, "adam", "parameter");
  require_device(g, w.device(), "adam", "gradient");
  require_device(m, w.device(), "adam", "first moment");
  require_device(v, w.device(), "adam", "second moment");
  require_same_shape(w, g, "adam", "parameter", "gradient");
  require_same_shape(w, m, "adam", "parameter", "first moment");
  require_same_shape(w, v, "adam", "parameter", "second moment");
  if (w.device() == Device::cuda)
    return cuda_kernels<T>().adam_update(w.data(), g.data(), m.data(), v.data(), w.numel(), step_size, rbc2, b1,
                                         b2, eps, wd);
  cpu::adam_update(w.data(), g.data(), m.data(), v.data(), w.numel(), step_size, rbc2, b1, b2, eps, wd);
}

}  // namespace entropic::ops
