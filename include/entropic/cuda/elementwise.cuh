// Elementwise arithmetic on the device: fill, out = alpha a + beta b (gradient accumulation,
// loss combinations, the EMA of weights), the sum of squares (the MSE loss), and the maps and
// products that losses are written with (exp, log, square, clamp, affine, a * b, a / b), as the
// CPU op layer (ops/elementwise.hpp, ops/reduce.hpp) computes them.
#pragma once
#include <cstdint>

#include "entropic/cuda/activations.cuh"
#include "entropic/cuda/launch.cuh"
#include "entropic/cuda/reduce.cuh"
#include "entropic/core/maps.hpp"

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

template <Map M, class T>
__device__ __forceinline__ T map_fwd(T x, T p0, T p1) {
  if constexpr (M == Map::exp) return math::exp(x);
  else if constexpr (M == Map::log) return math::log(x);
  else if constexpr (M == Map::square) return x * x;
  else if constexpr (M == Map::clamp) return x < p0 ? p0 : (x > p1 ? p1 : x);  // NaN stays NaN
  else return p0 * x + p1;
}

template <Map M, class T>
__device__ __forceinline__ T map_bwd(T dy, T x, T y, T p0, T p1) {
  if constexpr (M == Map::exp) return dy * y;
  else if constexpr (M == Map::log) return dy / x;
  else if constexpr (M == Map::square) return T(2) * x * dy;
  else if constexpr (M == Map::clamp) return x >= p0 && x <= p1 ? dy : T(0);
  else return p0 * dy;
}

template <Map M, class T>
__global__ void __launch_bounds__(kElementwiseThreads) map_forward_kernel(const T* x, T* y, int64_t n, T p0, T p1) {
  const int64_t stride = int64_t(gridDim.x) * blockDim.x;
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride)
    y[i] = map_fwd<M>(x[i], p0, p1);
}

template <Map M, class T>
__global__ void __launch_bounds__(kElementwiseThreads)
    map_backward_kernel(const T* dy, const T* x, const T* y, T* dx, int64_t n, T p0, T p1) {
  const int64_t stride = int64_t(gridDim.x) * blockDim.x;
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride)
    dx[i] = map_bwd<M>(dy[i], x[i], y[i], p0, p1);
}

// out may alias a or b, as in axpby.
template <Binary Op, class T>
__global__ void __launch_bounds__(kElementwiseThreads) binary_kernel(T alpha, const T* a, const T* b, T* out, int64_t n) {
  const int64_t stride = int64_t(gridDim.x) * blockDim.x;
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride)
    out[i] = Op == Binary::mul ? alpha * (a[i] * b[i]) : alpha * (a[i] / b[i]);
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

// y = m(x; p0, p1); y may be x.
template <class T>
void map_forward(Map m, const T* x, T* y, int64_t n, T p0, T p1, cudaStream_t stream) {
  if (n == 0) return;
  const dim3 grid = elementwise_grid(n), block(kElementwiseThreads);
  switch (m) {
    case Map::exp: return launch(map_forward_kernel<Map::exp, T>, grid, block, 0, stream, x, y, n, p0, p1);
    case Map::log: return launch(map_forward_kernel<Map::log, T>, grid, block, 0, stream, x, y, n, p0, p1);
    case Map::square:
      return launch(map_forward_kernel<Map::square, T>, grid, block, 0, stream, x, y, n, p0, p1);
    case Map::clamp:
      return launch(map_forward_kernel<Map::clamp, T>, grid, block, 0, stream, x, y, n, p0, p1);
    case Map::affine:
      return launch(map_forward_kernel<Map::affine, T>, grid, block, 0, stream, x, y, n, p0, p1);
  }
}

// dx = dy * m'(x) from the forward's x and y (OVERWRITES dx).
template <class T>
void map_backward(Map m, const T* dy, const T* x, const T* y, T* dx, int64_t n, T p0, T p1,
                  cudaStream_t stream) {
  if (n == 0) return;
  const dim3 grid = elementwise_grid(n), block(kElementwiseThreads);
  switch (m) {
    case Map::exp:
      return launch(map_backward_kernel<Map::exp, T>, grid, block, 0, stream, dy, x, y, dx, n, p0, p1);
    case Map::log:
      return launch(map_backward_kernel<Map::log, T>, grid, block, 0, stream, dy, x, y, dx, n, p0, p1);
    case Map::square:
      return launch(map_backward_kernel<Map::square, T>, grid, block, 0, stream, dy, x, y, dx, n, p0, p1);
    case Map::clamp:
      return launch(map_backward_kernel<Map::clamp, T>, grid, block, 0, stream, dy, x, y, dx, n, p0, p1);
    case Map::affine:
      return launch(map_backward_kernel<Map::affine, T>, grid, block, 0, stream, dy, x, y, dx, n, p0, p1);
  }
}

// out = alpha * (a op b).
template <class T>
void binary(Binary op, T alpha, const T* a, const T* b, T* out, int64_t n, cudaStream_t stream) {
  if (n == 0) return;
  const dim3 grid = elementwise_grid(n), block(kElementwiseThreads);
  if (op == Binary::mul)
    launch(binary_kernel<Binary::mul, T>, grid, block, 0, stream, alpha, a, b, out, n);
  else
    launch(binary_kernel<Binary::div, T>, grid, block, 0, stream, alpha, a, b, out, n);
}

// out[0] = sum x^2 (double, on the device). work: kSumBlocks doubles.
template <class T>
void sum_of_squares(const T* x, int64_t n, double* out, double* work, cudaStream_t stream) {
  reduce_sum(SquareElement<T>{x}, n, 1.0, out, work, stream);
}

}  // namespace entropic::cuda
