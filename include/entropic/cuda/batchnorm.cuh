// BatchNorm1d on the device over x (rows = batch, cols = features), with the CPU backend's
// semantics and saved tensors (cpu/batchnorm.hpp): the training forward saves mean and rstd
// (cols,) and updates the running statistics with the UNBIASED variance; the backward
// recomputes xhat from x, mean and rstd. dx is OVERWRITTEN, dgamma and dbeta ACCUMULATE.
// gamma/beta may both be null (affine = false); running_mean/running_var may both be null.
//
// Layout: a block of 32 x 8 threads owns 32 columns and walks all rows; thread (tx, ty) reads
// rows ty, ty + 8, ... of column tx, so a warp reads 32 consecutive features of a row. Column
// totals: the 8 partials of a column are reduced by warp shuffles in segments of 8 lanes
// (column_total). Statistics in T, two passes (mean, then centred squares), as on the CPU.
#pragma once
#include <algorithm>
#include <cstdint>
#include <type_traits>

#include "entropic/cuda/activations.cuh"
#include "entropic/cuda/launch.cuh"
#include "entropic/cuda/math.cuh"
#include "entropic/cuda/reduce.cuh"

namespace entropic::cuda {

inline constexpr int kBnCols = 32;     // columns a block (blockDim.x)
inline constexpr int kBnRowGroups = 8; // threads down a column (blockDim.y)

// ---- __device__ math -------------------------------------------------------------------------

// Total over the block's 8 row groups of each column; every thread of column tx gets it.
// s: (8, 33) shared. Warp w (= ty) reduces columns 4w .. 4w+3, lane l holding row group l % 8
// of column 4w + l / 8, in three xor-shuffle steps within 8-lane segments.
template <class T>
__device__ T column_total(T v, T (*s)[kBnCols + 1]) {
  static_assert(kBnCols * kBnRowGroups == 256 && kBnRowGroups == 8, "4 columns a warp, 8 lanes a column");
  const int tx = int(threadIdx.x), ty = int(threadIdx.y);
  s[ty][tx] = v;
  __syncthreads();
  const int lane = tx, col = 4 * ty + lane / 8;
  const T t = warp_sum(s[lane % 8][col], 8);
  __syncthreads();  // all partials read before the totals overwrite row 0
  if (lane % 8 == 0) s[0][col] = t;
  __syncthreads();
  const T total = s[0][tx];
  __syncthreads();  // s is reused by the next call
  return total;
}

// ---- __global__ kernels ----------------------------------------------------------------------

template <class T>
__global__ void __launch_bounds__(kBnCols * kBnRowGroups)
    batchnorm_forward_train_kernel(const T* x, const T* gamma, const T* beta, T* y, T* mean, T* rstd,
                                   T* running_mean, T* running_var, int64_t rows, int64_t cols, T eps, T momentum) {
  __shared__ T s[kBnRowGroups][kBnCols + 1];
  const int64_t c = int64_t(blockIdx.x) * kBnCols + threadIdx.x;
  const bool live = c < cols;
  const T inv_n = T(1) / T(rows);

  T acc = 0;
  if (live)
    for (int64_t r = threadIdx.y; r < rows; r += kBnRowGroups) acc += x[r * cols + c];  // x: (rows, cols)
  const T m = column_total(acc, s) * inv_n;
  acc = 0;
  if (live)
    for (int64_t r = threadIdx.y; r < rows; r += kBnRowGroups) {
      const T d = x[r * cols + c] - m;
      acc += d * d;
    }
  const T var = column_total(acc, s) * inv_n;
  if (!live) return;  // no barrier below
  const T rs = math::rsqrt(var + eps);
  if (threadIdx.y == 0) {
    mean[c] = m;
    rstd[c] = rs;
    if (running_mean) {
      const T unbias = T(rows) / T(rows > 1 ? rows - 1 : 1);
      running_mean[c] = (T(1) - momentum) * running_mean[c] + momentum * m;
      running_var[c] = (T(1) - momentum) * running_var[c] + momentum * var * unbias;
    }
  }
  const T scale = gamma ? gamma[c] * rs : rs, add = beta ? beta[c] : T(0);
  for (int64_t r = threadIdx.y; r < rows; r += kBnRowGroups) y[r * cols + c] = (x[r * cols + c] - m) * scale + add;
}

template <class T>
__global__ void __launch_bounds__(kElementwiseThreads)
    batchnorm_forward_eval_kernel(const T* x, const T* gamma, const T* beta, const T* running_mean,
                                  const T* running_var, T* y, int64_t rows, int64_t cols, T eps) {
  const int64_t stride = int64_t(gridDim.x) * blockDim.x;
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < rows * cols; i += stride) {
    const int64_t c = i % cols;
    const T rs = math::rsqrt(running_var[c] + eps);
    y[i] = (x[i] - running_mean[c]) * (gamma ? gamma[c] * rs : rs) + (beta ? beta[c] : T(0));
  }
}

// dx = g rstd / N (N dy - sum dy - xhat sum dy xhat), folded as dx = a dy + b (x - mean) + k.
template <class T>
__global__ void __launch_bounds__(kBnCols * kBnRowGroups)
    batchnorm_backward_train_kernel(const T* dy, const T* x, const T* mean, const T* rstd, const T* gamma, T* dx,
                                    T* dgamma, T* dbeta, int64_t rows, int64_t cols) {
  __shared__ T s[kBnRowGroups][kBnCols + 1];
  const int64_t c = int64_t(blockIdx.x) * kBnCols + threadIdx.x;
  const bool live = c < cols;
  const T mc = live ? mean[c] : T(0);
  T sdy = 0, sdyc = 0;
  if (live)
    for (int64_t r = threadIdx.y; r < rows; r += kBnRowGroups) {
      const T g = dy[r * cols + c];
      sdy += g;
      sdyc += g * (x[r * cols + c] - mc);
    }
  sdy = column_total(sdy, s);
  sdyc = column_total(sdyc, s);
  if (!live) return;
  const T rs = rstd[c], g = gamma ? gamma[c] : T(1), inv_n = T(1) / T(rows);
  const T sdy_xhat = sdyc * rs;
  if (threadIdx.y == 0 && dgamma) {
    dgamma[c] += sdy_xhat;
    dbeta[c] += sdy;
  }
  const T a = g * rs, b = -g * rs * rs * sdy_xhat * inv_n, k = -g * rs * sdy * inv_n;
  for (int64_t r = threadIdx.y; r < rows; r += kBnRowGroups)
    dx[r * cols + c] = a * dy[r * cols + c] + b * (x[r * cols + c] - mc) + k;
}

// Eval backward: the statistics are constants, so dx = dy * gamma / sqrt(running_var + eps);
// dgamma += sum dy * xhat, dbeta += sum dy with xhat from the running statistics.
template <class T>
__global__ void __launch_bounds__(kBnCols * kBnRowGroups)
    batchnorm_backward_eval_kernel(const T* dy, const T* x, const T* gamma, const T* running_mean,
                                   const T* running_var, T* dx, T* dgamma, T* dbeta, int64_t rows, int64_t cols,
                                   T eps) {
  __shared__ T s[kBnRowGroups][kBnCols + 1];
  const int64_t c = int64_t(blockIdx.x) * kBnCols + threadIdx.x;
  const bool live = c < cols;
  const T rs = live ? math::rsqrt(running_var[c] + eps) : T(0), mc = live ? running_mean[c] : T(0);
  const T a = live && gamma ? gamma[c] * rs : rs;
  T sdy = 0, sdyc = 0;
  if (live)
    for (int64_t r = threadIdx.y; r < rows; r += kBnRowGroups) {
      const T g = dy[r * cols + c];
      dx[r * cols + c] = a * g;
      sdy += g;
      sdyc += g * (x[r * cols + c] - mc);
    }
  if (!dgamma) return;  // uniform over the block: every thread leaves before the barrier
  sdy = column_total(sdy, s);
  sdyc = column_total(sdyc, s);
  if (live && threadIdx.y == 0) {
    dgamma[c] += sdyc * rs;
    dbeta[c] += sdy;
  }
}

// ---- host launchers --------------------------------------------------------------------------

// Training forward. x (rows, cols), rows >= 2 (the op layer checks); gamma, beta (cols,) or
// null. Out: y (rows, cols); mean, rstd (cols,). In/out: running_mean, running_var or null.
template <class T>
void batchnorm_forward_train(const T* x, const T* gamma, const T* beta, T* y, T* mean, T* rstd, T* running_mean,
                             T* running_var, int64_t rows, int64_t cols, double eps, double momentum,
                             cudaStream_t stream) {
  static_assert(std::is_same_v<T, float> || std::is_same_v<T, double>, "entropic::cuda: T is float or double");
  if (cols == 0) return;
  launch(batchnorm_forward_train_kernel<T>, dim3(unsigned(ceil_div(cols, kBnCols))), dim3(kBnCols, kBnRowGroups), 0,
         stream, x, gamma, beta, y, mean, rstd, running_mean, running_var, rows, cols, T(eps), T(momentum));
}

// Eval forward with the running statistics. Any rows >= 1.
template <class T>
void batchnorm_forward_eval(const T* x, const T* gamma, const T* beta, const T* running_mean, const T* running_var,
                            T* y, int64_t rows, int64_t cols, double eps, cudaStream_t stream) {
  if (rows * cols == 0) return;
  launch(batchnorm_forward_eval_kernel<T>, elementwise_grid(rows * cols), dim3(kElementwiseThreads), 0, stream, x,
         gamma, beta, running_mean, running_var, y, rows, cols, T(eps));
}

// Training backward: dx OVERWRITTEN; dgamma, dbeta ACCUMULATED (or both null).
template <class T>
void batchnorm_backward_train(const T* dy, const T* x, const T* mean, const T* rstd, const T* gamma, T* dx, T* dgamma,
                              T* dbeta, int64_t rows, int64_t cols, cudaStream_t stream) {
  if (cols == 0) return;
  launch(batchnorm_backward_train_kernel<T>, dim3(unsigned(ceil_div(cols, kBnCols))), dim3(kBnCols, kBnRowGroups), 0,
         stream, dy, x, mean, rstd, gamma, dx, dgamma, dbeta, rows, cols);
}

// Eval backward: dx OVERWRITTEN; dgamma, dbeta ACCUMULATED (or both null).
template <class T>
void batchnorm_backward_eval(const T* dy, const T* x, const T* gamma, const T* running_mean, const T* running_var,
                             T* dx, T* dgamma, T* dbeta, int64_t rows, int64_t cols, double eps, cudaStream_t stream) {
  if (cols == 0) return;
  launch(batchnorm_backward_eval_kernel<T>, dim3(unsigned(ceil_div(cols, kBnCols))), dim3(kBnCols, kBnRowGroups), 0,
         stream, dy, x, gamma, running_mean, running_var, dx, dgamma, dbeta, rows, cols, T(eps));
}

}  // namespace entropic::cuda
