// Elementwise arithmetic on the device: fill, out = alpha a + beta b (gradient accumulation,
// loss combinations, the EMA of weights), and the sum of squares (the MSE loss), as the CPU op
// layer (ops/elementwise.hpp, ops/reduce.hpp) computes them.
#pragma once
#include <cstdint>

#include "entropic/cuda/activations.cuh"
#include "entropic/cuda/launch.cuh"
#include "entropic/cuda/reduce.cuh"

namespace entropic::cuda {

// ---- __global__ kernels ----------------------------------------------------------------------

template <class T>
__global__ void __launch_bounds__(kElementwiseThreads) fill_kernel(T* p, int64_t n, T v) {
  const int64_t stride = int64_t(gridDim.x) * blockDim.x;
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride) p[i] = v;
}

// out may alias a or b: each element is read before it is written, by the same thread.
template <class T>
__global__ void __launch_bounds__(kElementwiseThreads)
    axpby_kernel(T alpha, const T* a, T beta, const T* b, T* out, int64_t n) {
  const int64_t stride = int64_t(gridDim.x) * blockDim.x;
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride)
    out[i] = alpha * a[i] + beta * b[i];
}

template <class T>
struct SquareElement {
  const T* x;
  __device__ double operator()(int64_t i) const { return double(x[i]) * double(x[i]); }
};

// ---- host launchers --------------------------------------------------------------------------

template <class T>
void fill(T* p, int64_t n, T v, cudaStream_t stream) {
  if (n == 0) return;
  launch(fill_kernel<T>, elementwise_grid(n), dim3(kElementwiseThreads), 0, stream, p, n, v);
}

template <class T>
void axpby(T alpha, const T* a, T beta, const T* b, T* out, int64_t n, cudaStream_t stream) {
  if (n == 0) return;
  launch(axpby_kernel<T>, elementwise_grid(n), dim3(kElementwiseThreads), 0, stream, alpha, a, beta, b, out, n);
}

// out[0] = sum x^2 (double, on the device). work: kSumBlocks doubles.
template <class T>
void sum_of_squares(const T* x, int64_t n, double* out, double* work, cudaStream_t stream) {
  reduce_sum(SquareElement<T>{x}, n, 1.0, out, work, stream);
}

}  // namespace entropic::cuda
