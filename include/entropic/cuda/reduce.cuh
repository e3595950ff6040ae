// Sums on the device: warp and block reductions (__device__, used by the other kernels),
// a deterministic two-pass sum of a vector, and column sums of a matrix.
//
// Determinism: the grid of the first pass depends on n only, and both passes combine in a
// fixed order, so the same input gives the same bits on every run (no atomics). Sums
// accumulate in double, like the CPU backend (cpu/reduce.hpp).
#pragma once
#include <algorithm>
#include <cstdint>

#include "entropic/cuda/launch.cuh"

namespace entropic::cuda {

// ---- __device__ math -------------------------------------------------------------------------

// Sum over `width` consecutive lanes (a power of two <= 32); every lane gets the result.
template <class T>
__device__ __forceinline__ T warp_sum(T v, int width = 32) {
  for (int o = width / 2; o > 0; o >>= 1) v += __shfl_xor_sync(kFullMask, v, o, width);
  return v;
}

// Sum over a 1-D block whose size is a multiple of 32; every thread gets the result.
// s: 32 shared slots. Safe to call repeatedly with the same s.
template <class T>
__device__ T block_sum(T v, T* s) {
  const int lane = int(threadIdx.x) % 32, warp = int(threadIdx.x) / 32, warps = int(blockDim.x) / 32;
  v = warp_sum(v);
  __syncthreads();  // a previous call may still be reading s
  if (lane == 0) s[warp] = v;
  __syncthreads();
  return warp_sum(lane < warps ? s[lane] : T(0));
}

// The element functor of a plain sum.
template <class T>
struct SumElement {
  const T* x;  // (n,)
  __device__ double operator()(int64_t i) const { return double(x[i]); }
};

// ---- __global__ kernels ----------------------------------------------------------------------

inline constexpr int kSumThreads = 256;
inline constexpr int kSumBlocks = 256;  // partials of the first pass: the workspace, in doubles

// partials[b] = sum of f(i) over the grid-stride share of block b.
template <class F>
__global__ void __launch_bounds__(kSumThreads) sum_partials_kernel(F f, int64_t n, double* partials) {
  __shared__ double s[32];
  double acc = 0;
  const int64_t stride = int64_t(gridDim.x) * blockDim.x;
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride) acc += f(i);
  acc = block_sum(acc, s);
  if (threadIdx.x == 0) partials[blockIdx.x] = acc;
}

// out[0] = O(scale * sum(partials[0 .. count))), one block. A template (A is double only) so
// that this header-defined kernel has one definition across translation units. O = T gives a
// loss as a tensor element on the device, rounded as the CPU rounds its double: nothing has to
// come back to the host to be stored.
template <class A, class O = A>
__global__ void __launch_bounds__(kSumThreads) sum_finish_kernel(const A* partials, int count, A scale, O* out) {
  __shared__ A s[32];
  A acc = 0;
  for (int i = int(threadIdx.x); i < count; i += int(blockDim.x)) acc += partials[i];
  acc = block_sum(acc, s);
  if (threadIdx.x == 0) out[0] = O(scale * acc);
}

// sums[c] (+)= sum_r x[r, c]: one thread per column, so the sum over rows runs in order and
// a warp reads 32 consecutive columns of a row at once.
template <class T>
__global__ void __launch_bounds__(kSumThreads) column_sum_kernel(const T* x, T* sums, int64_t rows, int64_t cols,
                                                                 bool accumulate) {
  const int64_t c = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
  if (c >= cols) return;
  double acc = accumulate ? double(sums[c]) : 0.0;
  for (int64_t r = 0; r < rows; ++r) acc += double(x[r * cols + c]);  // x: (rows, cols)
  sums[c] = T(acc);
}

// ---- host launchers --------------------------------------------------------------------------

// out[0] = O(scale * sum_{i < n} f(i)), on the device (O double or the element type). work:
// kSumBlocks doubles.
template <class F, class O>
void reduce_sum(F f, int64_t n, double scale, O* out, double* work, cudaStream_t stream) {
  const int blocks = int(std::clamp<int64_t>(ceil_div(n, kSumThreads), 1, kSumBlocks));
  launch(sum_partials_kernel<F>, dim3(blocks), dim3(kSumThreads), 0, stream, f, n, work);
  launch(sum_finish_kernel<double, O>, dim3(1), dim3(kSumThreads), 0, stream, static_cast<const double*>(work), blocks,
         scale, out);
}

// out[0] = sum x (double, on the device). x: (n,); work: kSumBlocks doubles.
template <class T>
void sum(const T* x, int64_t n, double* out, double* work, cudaStream_t stream) {
  reduce_sum(SumElement<T>{x}, n, 1.0, out, work, stream);
}

// sums (cols,) = (or +=, with accumulate) the column sums of x (rows, cols).
template <class T>
void column_sum(const T* x, T* sums, int64_t rows, int64_t cols, bool accumulate, cudaStream_t stream) {
  launch(column_sum_kernel<T>, dim3(unsigned(ceil_div(cols, kSumThreads))), dim3(kSumThreads), 0, stream, x, sums,
         rows, cols, accumulate);
}

}  // namespace entropic::cuda
