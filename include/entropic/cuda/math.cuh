// Scalar math for kernels templated on T (float or double): one name per function, so a
// kernel body reads the same for both types, and the float overloads call the float functions
// (plain exp() on a float would compute in double on the host).
#pragma once
#include <cmath>

#include "entropic/cuda/launch.cuh"

namespace entropic::cuda::math {

__host__ __device__ __forceinline__ float exp(float x) { return ::expf(x); }
__host__ __device__ __forceinline__ double exp(double x) { return ::exp(x); }
__host__ __device__ __forceinline__ float log(float x) { return ::logf(x); }
__host__ __device__ __forceinline__ double log(double x) { return ::log(x); }
__host__ __device__ __forceinline__ float log1p(float x) { return ::log1pf(x); }
__host__ __device__ __forceinline__ double log1p(double x) { return ::log1p(x); }
__host__ __device__ __forceinline__ float sqrt(float x) { return ::sqrtf(x); }
__host__ __device__ __forceinline__ double sqrt(double x) { return ::sqrt(x); }
__host__ __device__ __forceinline__ float tanh(float x) { return ::tanhf(x); }
__host__ __device__ __forceinline__ double tanh(double x) { return ::tanh(x); }
__host__ __device__ __forceinline__ float abs(float x) { return ::fabsf(x); }
__host__ __device__ __forceinline__ double abs(double x) { return ::fabs(x); }
// 1/sqrt(x) rounded as the CPU backend rounds it (rsqrtf is approximate on a GPU).
template <class T>
__host__ __device__ __forceinline__ T rsqrt(T x) {
  return T(1) / sqrt(x);
}
template <class T>
__host__ __device__ __forceinline__ T max(T a, T b) {
  return a > b ? a : b;
}
template <class T>
__host__ __device__ __forceinline__ T min(T a, T b) {
  return a < b ? a : b;
}
template <class T>
__host__ __device__ constexpr T infinity() {
  return T(HUGE_VAL);
}

}  // namespace entropic::cuda::math
