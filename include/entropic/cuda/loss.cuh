// Binary cross-entropy with logits on the device, mean reduction, as cpu/loss.hpp:
//   loss = mean_i max(z_i, 0) - z_i t_i + log1p(exp(-|z_i|))      (stable for any z)
//   dz_i = (sigmoid(z_i) - t_i) * scale                             (OVERWRITES dz)
// scale is the upstream gradient of the loss divided by n: given by the host, or computed on
// the device from the upstream gradient there (dloss, a device scalar), so that a training
// step need not read its loss back to differentiate it.
// The forward is the deterministic two-pass sum of reduce.cuh: terms in T, sum in double.
#pragma once
#include <cstdint>

#include "entropic/cuda/activations.cuh"
#include "entropic/cuda/launch.cuh"
#include "entropic/cuda/math.cuh"
#include "entropic/cuda/reduce.cuh"

namespace entropic::cuda {

// ---- __device__ math -------------------------------------------------------------------------

template <class T>
struct BceWithLogitsTerm {
  const T* z;  // (n,) logits
  const T* t;  // (n,) targets in [0, 1]
  __device__ double operator()(int64_t i) const {
    const T zi = z[i], ti = t[i];
    return double(math::max(zi, T(0)) - zi * ti + math::log1p(math::exp(-math::abs(zi))));
  }
};

// ---- __global__ kernels ----------------------------------------------------------------------

template <class T>
__global__ void __launch_bounds__(kElementwiseThreads)
    bce_with_logits_backward_kernel(const T* z, const T* t, T* dz, int64_t n, T scale, const T* dloss) {
  // Rounded as the host rounds T(dloss / n), so both launchers give the same bits.
  if (dloss) scale = T(double(*dloss) / double(n));
  const int64_t stride = int64_t(gridDim.x) * blockDim.x;
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride)
    dz[i] = (sigmoid(z[i]) - t[i]) * scale;
}

// ---- host launchers --------------------------------------------------------------------------

// loss[0] = O(mean bce_with_logits(z, t)), on the device: O double, or T for the loss as a
// tensor element. n > 0; work: kSumBlocks doubles.
template <class T, class O>
void bce_with_logits_forward(const T* z, const T* t, int64_t n, O* loss, double* work, cudaStream_t stream) {
  reduce_sum(BceWithLogitsTerm<T>{z, t}, n, 1.0 / double(n), loss, work, stream);
}

template <class T>
void bce_with_logits_backward(const T* z, const T* t, T* dz, int64_t n, double scale, cudaStream_t stream) {
  if (n == 0) return;
  launch(bce_with_logits_backward_kernel<T>, elementwise_grid(n), dim3(kElementwiseThreads), 0, stream, z, t, dz, n,
         T(scale), static_cast<const T*>(nullptr));
}

// As above with scale = dloss[0] / n, dloss the upstream gradient of the loss on the device.
template <class T>
void bce_with_logits_backward(const T* z, const T* t, T* dz, int64_t n, const T* dloss, cudaStream_t stream) {
  if (n == 0) return;
  launch(bce_with_logits_backward_kernel<T>, elementwise_grid(n), dim3(kElementwiseThreads), 0, stream, z, t, dz, n,
         T(0), dloss);
}

}  // namespace entropic::cuda
