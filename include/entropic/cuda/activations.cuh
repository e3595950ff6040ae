// Elementwise activations, forward and backward, with the CPU backend's conventions
// (cpu/activations.hpp): relu, tanh and sigmoid backward take the output y, leaky_relu
// backward takes the input x; subgradients at the kink as PyTorch; backward OVERWRITES dx.
// The __device__ functions are also the epilogue of the linear kernel (linear.cuh).
#pragma once
#include <algorithm>
#include <cstdint>
#include <type_traits>

#include "entropic/core/act.hpp"
#include "entropic/cuda/launch.cuh"
#include "entropic/cuda/math.cuh"

namespace entropic::cuda {

// ---- __device__ math -------------------------------------------------------------------------

// Stable for any x: exp(-|x|) lies in (0, 1].
template <class T>
__host__ __device__ __forceinline__ T sigmoid(T x) {
  const T e = math::exp(-math::abs(x));
  const T s = T(1) / (T(1) + e);
  return x >= T(0) ? s : e * s;
}

template <Act A, class T>
__device__ __forceinline__ T act_fwd(T x, T slope) {
  if constexpr (A == Act::relu) return x > T(0) ? x : T(0);
  else if constexpr (A == Act::leaky_relu) return x > T(0) ? x : slope * x;
  else if constexpr (A == Act::tanh) return math::tanh(x);
  else if constexpr (A == Act::sigmoid) return sigmoid(x);
  else return x;
}

// s: the saved tensor the backward takes (y, or x for leaky_relu).
template <Act A, class T>
__device__ __forceinline__ T act_bwd(T dy, T s, T slope) {
  if constexpr (A == Act::relu) return s > T(0) ? dy : T(0);
  else if constexpr (A == Act::leaky_relu) return s > T(0) ? dy : slope * dy;
  else if constexpr (A == Act::tanh) return dy * (T(1) - s * s);
  else if constexpr (A == Act::sigmoid) return dy * s * (T(1) - s);
  else return dy;
}

// ---- __global__ kernels ----------------------------------------------------------------------

inline constexpr int kElementwiseThreads = 256;
inline constexpr int64_t kElementwiseMaxBlocks = 4096;  // grid-stride beyond this

template <Act A, class T>
__global__ void __launch_bounds__(kElementwiseThreads) act_forward_kernel(const T* x, T* y, int64_t n, T slope) {
  const int64_t stride = int64_t(gridDim.x) * blockDim.x;
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride) y[i] = act_fwd<A>(x[i], slope);
}

template <Act A, class T>
__global__ void __launch_bounds__(kElementwiseThreads) act_backward_kernel(const T* dy, const T* s, T* dx, int64_t n,
                                                                           T slope) {
  const int64_t stride = int64_t(gridDim.x) * blockDim.x;
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride)
    dx[i] = act_bwd<A>(dy[i], s[i], slope);
}

// ---- host launchers --------------------------------------------------------------------------

inline dim3 elementwise_grid(int64_t n) {
  return dim3(unsigned(std::clamp<int64_t>(ceil_div(n, kElementwiseThreads), 1, kElementwiseMaxBlocks)));
}

// Calls f(std::integral_constant<Act, a>) for the run-time value a.
template <class F>
void dispatch_act(Act a, F&& f) {
  switch (a) {
    case Act::none: return f(std::integral_constant<Act, Act::none>{});
    case Act::relu: return f(std::integral_constant<Act, Act::relu>{});
    case Act::leaky_relu: return f(std::integral_constant<Act, Act::leaky_relu>{});
    case Act::tanh: return f(std::integral_constant<Act, Act::tanh>{});
    case Act::sigmoid: return f(std::integral_constant<Act, Act::sigmoid>{});
  }
  fail("activation: unknown Act value ", int(a));
}

// y = act(x). x, y: (n,). slope: leaky_relu only.
template <class T>
void act_forward(Act a, const T* x, T* y, int64_t n, T slope, cudaStream_t stream) {
  if (n == 0) return;
  dispatch_act(a, [&](auto A) {
    launch(act_forward_kernel<decltype(A)::value, T>, elementwise_grid(n), dim3(kElementwiseThreads), 0, stream, x, y,
           n, slope);
  });
}

// dx = dact(dy, s)  (OVERWRITES dx). s: y for relu/tanh/sigmoid, x for leaky_relu. All (n,).
template <class T>
void act_backward(Act a, const T* dy, const T* s, T* dx, int64_t n, T slope, cudaStream_t stream) {
  if (n == 0) return;
  dispatch_act(a, [&](auto A) {
    launch(act_backward_kernel<decltype(A)::value, T>, elementwise_grid(n), dim3(kElementwiseThreads), 0, stream, dy, s,
           dx, n, slope);
  });
}

}  // namespace entropic::cuda
