// Maxout on the device, with the CPU backend's conventions (cpu/maxout.hpp):
//   y (rows, units) = max_k x (rows, units * pieces)[r, u * pieces + k]
// ties go to the first piece (strict >), so a NaN in piece 0 propagates and a later NaN is
// skipped. The backward recomputes each group's winner from x instead of saving an index
// tensor: pieces comparisons a group cost less than writing and reading an int32 per output,
// and the op layer then saves nothing but x. It OVERWRITES dx (losing pieces get 0).
#pragma once
#include <cstdint>
#include <type_traits>

#include "entropic/cuda/activations.cuh"
#include "entropic/cuda/launch.cuh"

namespace entropic::cuda {

// ---- __device__ math -------------------------------------------------------------------------

template <class T>
__device__ __forceinline__ int64_t maxout_winner(const T* xu, int64_t pieces) {
  T best = xu[0];
  int64_t k_best = 0;
  for (int64_t k = 1; k < pieces; ++k)
    if (xu[k] > best) {
      best = xu[k];
      k_best = k;
    }
  return k_best;
}

// ---- __global__ kernels ----------------------------------------------------------------------

// One thread an output; consecutive threads read consecutive groups, so a warp's loads cover
// one contiguous span of x.
template <class T>
__global__ void __launch_bounds__(kElementwiseThreads)
    maxout_forward_kernel(const T* x, T* y, int64_t outputs, int64_t pieces) {
  const int64_t stride = int64_t(gridDim.x) * blockDim.x;
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < outputs; i += stride) {
    const T* xu = x + i * pieces;
    y[i] = xu[maxout_winner(xu, pieces)];
  }
}

template <class T>
__global__ void __launch_bounds__(kElementwiseThreads)
    maxout_backward_kernel(const T* dy, const T* x, T* dx, int64_t outputs, int64_t pieces) {
  const int64_t stride = int64_t(gridDim.x) * blockDim.x;
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < outputs; i += stride) {
    const int64_t w = maxout_winner(x + i * pieces, pieces);
    const T g = dy[i];
    for (int64_t k = 0; k < pieces; ++k) dx[i * pieces + k] = k == w ? g : T(0);
  }
}

// ---- host launchers --------------------------------------------------------------------------

template <class T>
void maxout_forward(const T* x, T* y, int64_t rows, int64_t units, int64_t pieces, cudaStream_t stream) {
  static_assert(std::is_same_v<T, float> || std::is_same_v<T, double>, "entropic::cuda: T is float or double");
  check(pieces >= 1, "maxout: pieces must be >= 1, got ", pieces);
  const int64_t outputs = rows * units;
  if (outputs == 0) return;
  launch(maxout_forward_kernel<T>, elementwise_grid(outputs), dim3(kElementwiseThreads), 0, stream, x, y, outputs,
         pieces);
}

template <class T>
void maxout_backward(const T* dy, const T* x, T* dx, int64_t rows, int64_t units, int64_t pieces,
                     cudaStream_t stream) {
  check(pieces >= 1, "maxout: pieces must be >= 1, got ", pieces);
  const int64_t outputs = rows * units;
  if (outputs == 0) return;
  launch(maxout_backward_kernel<T>, elementwise_grid(outputs), dim3(kElementwiseThreads), 0, stream, dy, x, dx,
         outputs, pieces);
}

}  // namespace entropic::cuda
