// Gaussian KDE entropy through a GEMM (bench_kde's v4, moved here from benchmarks/ when the first
// H200 run showed it the fastest version at every measured shape but one; benchmarks/RESULTS.md,
// "2026-11-28, fifth session"). Same contract as kde.cuh. Why it wins: the distances' 2d flops
// a pair run in a GEMM near the FMA peak, and what is left per pair (a log-sum-exp term, or the
// two weights) is a streaming pass over the Gram block, bound by DRAM, not by a tiled kernel's
// shared-memory traffic and register pressure.
//
//   forward, per block of B rows:   G (B, n) = X_rows X^T            (one GEMM)
//                                   e_ij = c max(|x_i|^2 + |x_j|^2 - 2 G_ij, 0), e_ii = 0
//                                   row_lse_i = log-sum-exp over the row  (a warp a row)
//   backward, per block of B rows:  G again (not kept from the forward: the two calls stay
//                                   independent, so either may take another kernel, and no
//                                   n x n buffer outlives a call)
//                                   A_kj = w_kj + w_jk (A_kk = 0) in place, rowsum_k = sum_j A_kj
//                                   Y (B, d) = A X                   (the second GEMM)
//                                   dx_k = dH/(n sigma^2) (rowsum_k x_k - Y_k)
// Rows come in blocks so that the workspace (B n + 2 n elements) fits the caller's cap: both
// passes need only their own rows of G, because the backward's w_jk reads row_lse_j (the
// forward's output for every row), never G's row j.
//
// Accuracy: the dot form |x_i|^2 + |x_j|^2 - 2 x_i.x_j loses the distance of nearly equal points
// to rounding of |x|^2 (hence the max(., 0), and e_ii = 0 exactly); float uses the SFU exp
// (__expf), as the measured v4 did. The float64 checks are tests/cuda/cases/kde_dispatch.hpp.
#pragma once
#include <cmath>
#include <cstdint>
#include <numbers>
#include <type_traits>

#include "entropic/cuda/kde.cuh"
#include "entropic/cuda/launch.cuh"
#include "entropic/cuda/linear.cuh"
#include "entropic/cuda/math.cuh"

namespace entropic::cuda {

inline constexpr int kKdeGramThreads = 256;  // 8 warps, a row each
inline constexpr int kKdeGramElemThreads = 256;

// The measured v4 took the SFU's exp for float (the sums tolerate its few-ulp error; the
// float64 check holds); double keeps the accurate one, as it exists to check against.
template <class T>
__device__ __forceinline__ T kde_gram_exp(T v) {
  if constexpr (std::is_same_v<T, float>)
    return __expf(v);
  else
    return math::exp(v);
}

template <class T>
__device__ __forceinline__ void kde_gram_push(T& m, T& s, T e) {
  if (e > m) {
    s = s * kde_gram_exp(m - e) + T(1);
    m = e;
  } else {
    s += kde_gram_exp(e - m);
  }
}

// sq_i = |x_i|^2, a thread a row.
template <class T>
__global__ void kde_gram_sqnorm_kernel(const T* x, int64_t n, int64_t d, T* sq) {
  const int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= n) return;
  T s = T(0);
  for (int64_t k = 0; k < d; ++k) s += x[i * d + k] * x[i * d + k];
  sq[i] = s;
}

// A warp per row i = r0 + local of G (rows, n): lanes stride j so a row's loads coalesce.
template <class T>
__global__ void __launch_bounds__(kKdeGramThreads)
    kde_gram_lse_kernel(const T* G, const T* sq, int64_t n, int64_t r0, int64_t rows, T c, bool loo, T log_norm,
                        T* log_p, T* row_lse) {
  const int lane = int(threadIdx.x) % 32;
  const int64_t local = int64_t(blockIdx.x) * (kKdeGramThreads / 32) + int(threadIdx.x) / 32;
  if (local >= rows) return;  // a whole warp
  const int64_t i = r0 + local;
  const T sqi = sq[i];
  const T* g = G + local * n;
  T m = -math::infinity<T>(), s = T(0);
  for (int64_t j = lane; j < n; j += 32) {
    if (j == i) {
      if (!loo) kde_gram_push(m, s, T(0));  // the self term: distance 0 exactly, not rounding's
      continue;
    }
    kde_gram_push(m, s, c * math::max(sqi + sq[j] - T(2) * g[j], T(0)));
  }
  for (int o = 16; o > 0; o >>= 1) {
    const T mo = __shfl_xor_sync(kFullMask, m, o), so = __shfl_xor_sync(kFullMask, s, o);
    const T mx = math::max(m, mo);
    s = mx == -math::infinity<T>() ? T(0) : s * kde_gram_exp(m - mx) + so * kde_gram_exp(mo - mx);
    m = mx;
  }
  if (lane == 0) {
    const T lse = m + math::log(s);
    row_lse[i] = lse;
    log_p[i] = lse - log_norm;
  }
}

// A warp per row k = r0 + local: G_kj -> A_kj = w_kj + w_jk (A_kk = 0) in place, rowsum_k.
template <class T>
__global__ void __launch_bounds__(kKdeGramThreads)
    kde_gram_weights_kernel(T* G, const T* sq, int64_t n, int64_t r0, int64_t rows, T c, const T* row_lse,
                            T* rowsum) {
  const int lane = int(threadIdx.x) % 32;
  const int64_t local = int64_t(blockIdx.x) * (kKdeGramThreads / 32) + int(threadIdx.x) / 32;
  if (local >= rows) return;  // a whole warp
  const int64_t k = r0 + local;
  const T sqk = sq[k], lse_k = row_lse[k];
  T* g = G + local * n;
  T acc = T(0);
  for (int64_t j = lane; j < n; j += 32) {
    T a = T(0);
    if (j != k) {  // A_kk (x_k - x_k) = 0 with or without leave-one-out
      const T e = c * math::max(sqk + sq[j] - T(2) * g[j], T(0));
      a = kde_gram_exp(e - lse_k) + kde_gram_exp(e - row_lse[j]);
    }
    g[j] = a;
    acc += a;
  }
  for (int o = 16; o > 0; o >>= 1) acc += __shfl_xor_sync(kFullMask, acc, o);
  if (lane == 0) rowsum[k] = acc;
}

// dx rows [r0, r0 + rows) hold Y = A X: dx = scale (rowsum_k x_k - Y_k). scale from dH when
// dH is a device pointer (rounded as the host rounds it, so both launchers give the same bits).
template <class T>
__global__ void kde_gram_finish_kernel(const T* x, const T* rowsum, int64_t r0, int64_t rows, int64_t d, T scale,
                                       const T* dH, double n_var, T* dx) {
  if (dH) scale = T(double(*dH) / n_var);
  const int64_t stride = int64_t(gridDim.x) * blockDim.x, begin = r0 * d, count = rows * d;
  for (int64_t e = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; e < count; e += stride)
    dx[begin + e] = scale * (rowsum[r0 + e / d] * x[begin + e] - dx[begin + e]);
}

// ---- host launchers --------------------------------------------------------------------------

// Elements of workspace a call needs with blocks of block_rows rows: G (block_rows, n), sq (n),
// rowsum (n).
inline int64_t kde_gram_workspace(int64_t n, int64_t block_rows) { return block_rows * n + 2 * n; }

namespace detail {
inline dim3 kde_gram_row_grid(int64_t rows) { return dim3(unsigned(ceil_div(rows, kKdeGramThreads / 32))); }
inline dim3 kde_gram_elem_grid(int64_t count) {
  return dim3(unsigned(math::min<int64_t>(ceil_div(count, kKdeGramElemThreads), 4096)));
}
inline void kde_gram_check(int64_t n, int64_t block_rows) {
  check(block_rows >= 1 && block_rows <= n, "kde_gram: block_rows must be in [1, n = ", n, "], got ", block_rows);
}
}  // namespace detail

// x (n, d) -> log_p, row_lse (n,). work: kde_gram_workspace(n, block_rows) elements.
template <class T>
void kde_gram_forward(const T* x, int64_t n, int64_t d, double sigma, bool leave_one_out, T* log_p, T* row_lse,
                      int64_t block_rows, T* work, const GemmPath& path, cudaStream_t stream) {
  static_assert(std::is_same_v<T, float> || std::is_same_v<T, double>, "entropic::cuda: T is float or double");
  detail::kde_check(n, d, sigma, leave_one_out);
  detail::kde_gram_check(n, block_rows);
  T* G = work;
  T* sq = work + block_rows * n;
  const T log_norm = T(detail::kde_log_norm(n, d, sigma, leave_one_out));
  const T c = T(-0.5 / (sigma * sigma));
  launch(kde_gram_sqnorm_kernel<T>, dim3(unsigned(ceil_div(n, kKdeGramElemThreads))), dim3(kKdeGramElemThreads), 0,
         stream, x, n, d, sq);
  for (int64_t r0 = 0; r0 < n; r0 += block_rows) {
    const int64_t rows = math::min<int64_t>(block_rows, n - r0);
    detail::gemm<T, false, true>(path, rows, n, d, x + r0 * d, x, T(0), G, stream);
    launch(kde_gram_lse_kernel<T>, detail::kde_gram_row_grid(rows), dim3(kKdeGramThreads), 0, stream, G, sq, n, r0,
           rows, c, leave_one_out, log_norm, log_p, row_lse);
  }
}

namespace detail {
template <class T>
void kde_gram_backward(const T* x, int64_t n, int64_t d, double sigma, bool leave_one_out, const T* row_lse, T scale,
                       const T* dH, T* dx, int64_t block_rows, T* work, const GemmPath& path, cudaStream_t stream) {
  kde_check(n, d, sigma, leave_one_out);
  kde_gram_check(n, block_rows);
  T* G = work;
  T* sq = work + block_rows * n;
  T* rowsum = sq + n;
  const T c = T(-0.5 / (sigma * sigma));
  launch(kde_gram_sqnorm_kernel<T>, dim3(unsigned(ceil_div(n, kKdeGramElemThreads))), dim3(kKdeGramElemThreads), 0,
         stream, x, n, d, sq);
  for (int64_t r0 = 0; r0 < n; r0 += block_rows) {
    const int64_t rows = math::min<int64_t>(block_rows, n - r0);
    gemm<T, false, true>(path, rows, n, d, x + r0 * d, x, T(0), G, stream);
    launch(kde_gram_weights_kernel<T>, kde_gram_row_grid(rows), dim3(kKdeGramThreads), 0, stream, G, sq, n, r0, rows,
           c, row_lse, rowsum);
    detail::gemm<T, false, false>(path, rows, d, n, G, x, T(0), dx + r0 * d, stream);
    launch(kde_gram_finish_kernel<T>, kde_gram_elem_grid(rows * d), dim3(kKdeGramElemThreads), 0, stream, x, rowsum,
           r0, rows, d, scale, dH, double(n) * sigma * sigma, dx);
  }
}
}  // namespace detail

// dx (n, d) = dH * dH/dx  (OVERWRITES dx), from the forward's row_lse. work as the forward's.
template <class T>
void kde_gram_backward(const T* x, int64_t n, int64_t d, double sigma, bool leave_one_out, const T* row_lse, double dH,
                       T* dx, int64_t block_rows, T* work, const GemmPath& path, cudaStream_t stream) {
  detail::kde_gram_backward(x, n, d, sigma, leave_one_out, row_lse, T(dH / (double(n) * sigma * sigma)),
                            static_cast<const T*>(nullptr), dx, block_rows, work, path, stream);
}

// As above with dH read on the device (one T there).
template <class T>
void kde_gram_backward(const T* x, int64_t n, int64_t d, double sigma, bool leave_one_out, const T* row_lse,
                       const T* dH, T* dx, int64_t block_rows, T* work, const GemmPath& path, cudaStream_t stream) {
  detail::kde_gram_backward(x, n, d, sigma, leave_one_out, row_lse, T(0), dH, dx, block_rows, work, path, stream);
}

}  // namespace entropic::cuda
