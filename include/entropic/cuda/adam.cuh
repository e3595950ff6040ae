// Adam on the device: one fused update over a flat buffer holding every parameter (and the
// matching flat gradient and moment buffers), PyTorch semantics as nn/adam.hpp:
//   g = grad + wd * p        (L2 weight decay, not decoupled as in AdamW)
//   m = b1 m + (1 - b1) g;   v = b2 v + (1 - b2) g^2
//   p -= (lr / bc1) * m / (sqrt(v) / sqrt(bc2) + eps),   bck = 1 - bk^t
// The step sizes are computed once on the host in double, then rounded to T, as on the CPU.
#pragma once
#include <cmath>
#include <cstdint>

#include "entropic/cuda/activations.cuh"
#include "entropic/cuda/launch.cuh"
#include "entropic/cuda/math.cuh"

namespace entropic::cuda {

struct AdamHyper {
  double lr = 1e-3, beta1 = 0.9, beta2 = 0.999, eps = 1e-8, weight_decay = 0.0;
};

// ---- __global__ kernels ----------------------------------------------------------------------

// p, g, m, v: (n,) flat
template <class T>
__global__ void __launch_bounds__(kElementwiseThreads)
    adam_kernel(T* p, const T* g, T* m, T* v, int64_t n, T b1, T b2, T step_size, T rbc2, T eps, T wd) {
  const int64_t stride = int64_t(gridDim.x) * blockDim.x;
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride) {
    const T gi = g[i] + wd * p[i];
    const T mi = b1 * m[i] + (T(1) - b1) * gi;
    const T vi = b2 * v[i] + (T(1) - b2) * gi * gi;
    m[i] = mi;
    v[i] = vi;
    p[i] -= step_size * mi / (math::sqrt(vi) * rbc2 + eps);
  }
}

// ---- host launchers --------------------------------------------------------------------------

// Step number t >= 1 (the first step is 1).
template <class T>
void adam_step(T* p, const T* g, T* m, T* v, int64_t n, const AdamHyper& h, int64_t t, cudaStream_t stream) {
  check(t >= 1, "adam: step number must be >= 1, got ", t);
  if (n == 0) return;
  const double bc1 = 1 - std::pow(h.beta1, double(t)), bc2 = 1 - std::pow(h.beta2, double(t));
  launch(adam_kernel<T>, elementwise_grid(n), dim3(kElementwiseThreads), 0, stream, p, g, m, v, n, T(h.beta1),
         T(h.beta2), T(h.lr / bc1), T(1 / std::sqrt(bc2)), T(h.eps), T(h.weight_decay));
}

}  // namespace entropic::cuda
