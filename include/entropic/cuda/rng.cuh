// Random fills on the device that equal the CPU's element for element: element i of a fill
// is philox::normal_at(seed, offset, i) (core/rng.hpp), a pure function of its counter, so
// each thread computes its own elements in any order. Reserve the counters from the same Rng
// the CPU would use, and the device tensor holds the numbers Rng::fill_normal would give.
// (The transcendental functions are the device's double-precision ones: within an ulp or two
// of glibc's, which a float result almost always hides.)
#pragma once
#include <cstdint>

#include "entropic/core/rng.hpp"
#include "entropic/cuda/activations.cuh"
#include "entropic/cuda/launch.cuh"

namespace entropic::cuda {

// ---- __global__ kernels ----------------------------------------------------------------------

template <class T>
__global__ void __launch_bounds__(kElementwiseThreads)
    fill_normal_kernel(T* p, int64_t n, uint64_t seed, uint64_t offset, double mean, double std) {
  const int64_t stride = int64_t(gridDim.x) * blockDim.x;
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride)
    p[i] = T(mean + std * philox::normal_at(seed, offset, uint64_t(i)));
}

template <class T>
__global__ void __launch_bounds__(kElementwiseThreads)
    fill_uniform_kernel(T* p, int64_t n, uint64_t seed, uint64_t offset, double lo, double hi) {
  const int64_t stride = int64_t(gridDim.x) * blockDim.x;
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride)
    p[i] = T(lo + (hi - lo) * philox::uniform_at(seed, offset, uint64_t(i)));
}

// ---- host launchers --------------------------------------------------------------------------

// p (n,) = what rng.fill_normal(p, n, mean, std) gives on the CPU; advances rng the same way.
template <class T>
void fill_normal(Rng& rng, T* p, int64_t n, double mean, double std, cudaStream_t stream) {
  const uint64_t at = rng.reserve(uint64_t(n));
  if (n == 0) return;
  launch(fill_normal_kernel<T>, elementwise_grid(n), dim3(kElementwiseThreads), 0, stream, p, n, rng.seed(), at, mean,
         std);
}

template <class T>
void fill_uniform(Rng& rng, T* p, int64_t n, double lo, double hi, cudaStream_t stream) {
  const uint64_t at = rng.reserve(uint64_t(n));
  if (n == 0) return;
  launch(fill_uniform_kernel<T>, elementwise_grid(n), dim3(kElementwiseThreads), 0, stream, p, n, rng.seed(), at, lo,
         hi);
}

}  // namespace entropic::cuda
