// Gaussian kernel-density entropy on the device, same contract as cpu/kde.hpp:
//   e_ij      = -|x_i - x_j|^2 / (2 sigma^2)
//   row_lse_i = log sum_{j in S_i} exp(e_ij)          S_i = all j, or j != i (leave-one-out)
//   log p_i   = row_lse_i - log |S_i| - (d/2) log(2 pi sigma^2)
//   dH/dx_k   = dH/(n sigma^2) sum_j (w_kj + w_jk)(x_k - x_j),  w_ij = exp(e_ij - row_lse_i)
// Saved for backward: row_lse (n,). Backward OVERWRITES dx. H = -(1/n) sum_i log p_i is one
// reduce.cuh sum over log_p (see kde_entropy). H and dH can stay on the device (a training
// step then reads neither back): kde_entropy writes H as a T, kde_backward reads dH from a pointer.
//
// v1 streaming, never the n x n matrix. A block of 32 x 8 threads owns a tile of 32 rows;
// thread (tx, ty) owns rows ty*4 .. ty*4+3 and, in every 32-column tile, column tx. Column
// tiles stream past the block; distances accumulate over 32-dimension chunks of the row tile
// and the column tile staged in shared memory (so any d works, d = 784 included).
//   forward:  each thread keeps an online log-sum-exp (max, scaled sum) per row over the
//             columns it sees; at the end the 32 lanes of a row merge theirs by xor shuffles.
//   backward: per column tile, a_kj = exp(e_kj - lse_k) + exp(e_kj - lse_j) goes to shared
//             memory, then a second pass over the d-chunks adds sum_j a_kj (x_k - x_j) into
//             the block's own rows of dx (read-modify-write, no atomics: rows are owned).
// Distances are sums of squared differences (exact for nearly equal points, unlike the
// |x|^2 + |y|^2 - 2 x.y form).
#pragma once
#include <cmath>
#include <cstdint>
#include <numbers>
#include <type_traits>

#include "entropic/cuda/launch.cuh"
#include "entropic/cuda/math.cuh"
#include "entropic/cuda/reduce.cuh"

namespace entropic::cuda {

inline constexpr int kKdeRows = 32;                       // rows a block (TR)
inline constexpr int kKdeCols = 32;                       // columns a tile (TC) = blockDim.x
inline constexpr int kKdeChunk = 32;                      // dimensions a stage (DK)
inline constexpr int kKdeRowGroups = 8;                   // blockDim.y
inline constexpr int kKdeRowsPerThread = kKdeRows / kKdeRowGroups;
inline constexpr int kKdeThreads = kKdeCols * kKdeRowGroups;

template <class T>
inline constexpr std::size_t kde_smem_bytes(bool backward) {
  // sI (TR, DK+1), sJ (TC, DK+1) [, sA (TR, TC+1)]
  return sizeof(T) * ((kKdeRows + kKdeCols) * (kKdeChunk + 1) + (backward ? kKdeRows * (kKdeCols + 1) : 0));
}
static_assert(kde_smem_bytes<double>(true) <= kMaxDynamicSmem);

// ---- __device__ math -------------------------------------------------------------------------

// Stage dimensions [c0, c0 + DK) of rows i0.. and columns j0.. (zero outside x).
// x: (n, d); sI: (TR, DK+1); sJ: (TC, DK+1). Consecutive threads take consecutive dimensions.
template <class T>
__device__ __forceinline__ void kde_stage(const T* x, int64_t n, int64_t d, int64_t i0, int64_t j0, int64_t c0, T* sI,
                                          T* sJ) {
  static_assert(kKdeRows * kKdeChunk % kKdeThreads == 0 && kKdeRows == kKdeCols);
  const int tid = int(threadIdx.y) * kKdeCols + int(threadIdx.x);
ENTROPIC_UNROLL
  for (int q = 0; q < kKdeRows * kKdeChunk / kKdeThreads; ++q) {
    const int e = tid + q * kKdeThreads, r = e / kKdeChunk, c = e % kKdeChunk;
    const bool in_d = c0 + c < d;
    sI[r * (kKdeChunk + 1) + c] = (in_d && i0 + r < n) ? x[(i0 + r) * d + c0 + c] : T(0);
    sJ[r * (kKdeChunk + 1) + c] = (in_d && j0 + r < n) ? x[(j0 + r) * d + c0 + c] : T(0);
  }
}

// dist[r] = |x_{i0 + ty*4 + r} - x_{j0 + tx}|^2 for this thread's 4 rows. Ends synchronised.
template <class T>
__device__ void kde_tile_distances(const T* x, int64_t n, int64_t d, int64_t i0, int64_t j0, T* sI, T* sJ,
                                   T (&dist)[kKdeRowsPerThread]) {
  const int tx = int(threadIdx.x), ty = int(threadIdx.y);
ENTROPIC_UNROLL
  for (int r = 0; r < kKdeRowsPerThread; ++r) dist[r] = T(0);
  for (int64_t c0 = 0; c0 < d; c0 += kKdeChunk) {
    kde_stage(x, n, d, i0, j0, c0, sI, sJ);
    __syncthreads();
    const int dc = int(math::min<int64_t>(kKdeChunk, d - c0));
    for (int c = 0; c < dc; ++c) {
      const T xj = sJ[tx * (kKdeChunk + 1) + c];
ENTROPIC_UNROLL
      for (int r = 0; r < kKdeRowsPerThread; ++r) {
        const T diff = sI[(ty * kKdeRowsPerThread + r) * (kKdeChunk + 1) + c] - xj;
        dist[r] += diff * diff;
      }
    }
    __syncthreads();  // the next stage overwrites sI, sJ
  }
}

// Online log-sum-exp: (m, s) represents log(s) + m; adds exp(e).
template <class T>
__device__ __forceinline__ void lse_push(T& m, T& s, T e) {
  if (e > m) {
    s = s * math::exp(m - e) + T(1);
    m = e;
  } else {
    s += math::exp(e - m);
  }
}

// Merges the (m, s) of the 32 lanes of a warp; every lane gets the total.
template <class T>
__device__ __forceinline__ void lse_warp_merge(T& m, T& s) {
  for (int o = 16; o > 0; o >>= 1) {
    const T mo = __shfl_xor_sync(kFullMask, m, o), so = __shfl_xor_sync(kFullMask, s, o);
    const T mx = math::max(m, mo);
    s = mx == -math::infinity<T>() ? T(0) : s * math::exp(m - mx) + so * math::exp(mo - mx);
    m = mx;
  }
}

// ---- __global__ kernels ----------------------------------------------------------------------

// x: (n, d). Out: log_p, row_lse (n,). neg_half_inv_var = -1/(2 sigma^2);
// log_norm = log |S_i| + (d/2) log(2 pi sigma^2).
template <class T>
__global__ void __launch_bounds__(kKdeThreads)
    kde_forward_kernel(const T* x, int64_t n, int64_t d, T neg_half_inv_var, bool leave_one_out, T log_norm, T* log_p,
                       T* row_lse) {
  ENTROPIC_DYNAMIC_SHARED(T, smem);
  T* sI = smem;                                  // (TR, DK+1)
  T* sJ = smem + kKdeRows * (kKdeChunk + 1);     // (TC, DK+1)
  const int tx = int(threadIdx.x), ty = int(threadIdx.y);
  const int64_t i0 = int64_t(blockIdx.x) * kKdeRows;
  T m[kKdeRowsPerThread], s[kKdeRowsPerThread];  // this thread's share of each row's lse
ENTROPIC_UNROLL
  for (int r = 0; r < kKdeRowsPerThread; ++r) {
    m[r] = -math::infinity<T>();
    s[r] = T(0);
  }
  for (int64_t j0 = 0; j0 < n; j0 += kKdeCols) {
    T dist[kKdeRowsPerThread];
    kde_tile_distances(x, n, d, i0, j0, sI, sJ, dist);
    const int64_t j = j0 + tx;
    if (j >= n) continue;
ENTROPIC_UNROLL
    for (int r = 0; r < kKdeRowsPerThread; ++r)
      if (!(leave_one_out && j == i0 + ty * kKdeRowsPerThread + r)) lse_push(m[r], s[r], dist[r] * neg_half_inv_var);
  }
ENTROPIC_UNROLL
  for (int r = 0; r < kKdeRowsPerThread; ++r) {
    lse_warp_merge(m[r], s[r]);
    const int64_t i = i0 + ty * kKdeRowsPerThread + r;
    if (tx == 0 && i < n) {
      const T lse = m[r] + math::log(s[r]);
      row_lse[i] = lse;
      log_p[i] = lse - log_norm;
    }
  }
}

// dx (n, d) = scale * sum_j a_kj (x_k - x_j), scale = dH / (n sigma^2)  (OVERWRITES dx)
template <class T>
__global__ void __launch_bounds__(kKdeThreads)
    kde_backward_kernel(const T* x, int64_t n, int64_t d, T neg_half_inv_var, const T* row_lse, T scale,
                        const T* dH, double n_var, T* dx) {
  // Rounded as the host rounds T(dH / (n sigma^2)), so both launchers give the same bits.
  if (dH) scale = T(double(*dH) / n_var);
  ENTROPIC_DYNAMIC_SHARED(T, smem);
  T* sI = smem;                                  // (TR, DK+1)
  T* sJ = smem + kKdeRows * (kKdeChunk + 1);     // (TC, DK+1)
  T* sA = smem + 2 * kKdeRows * (kKdeChunk + 1); // (TR, TC+1): a_kj of the current tile
  const int tx = int(threadIdx.x), ty = int(threadIdx.y);
  const int64_t i0 = int64_t(blockIdx.x) * kKdeRows;
  T lse_i[kKdeRowsPerThread];
ENTROPIC_UNROLL
  for (int r = 0; r < kKdeRowsPerThread; ++r) {
    const int64_t i = i0 + ty * kKdeRowsPerThread + r;
    lse_i[r] = i < n ? row_lse[i] : T(0);
    for (int64_t c = tx; c < d && i < n; c += kKdeCols) dx[i * d + c] = T(0);  // each thread zeroes what it adds to
  }
  for (int64_t j0 = 0; j0 < n; j0 += kKdeCols) {
    T dist[kKdeRowsPerThread];
    kde_tile_distances(x, n, d, i0, j0, sI, sJ, dist);
    const int64_t j = j0 + tx;
    const T lse_j = j < n ? row_lse[j] : T(0);
ENTROPIC_UNROLL
    for (int r = 0; r < kKdeRowsPerThread; ++r) {
      const int64_t i = i0 + ty * kKdeRowsPerThread + r;
      const T e = dist[r] * neg_half_inv_var;
      // j == i contributes a_ii (x_i - x_i) = 0 with or without leave-one-out
      sA[(ty * kKdeRowsPerThread + r) * (kKdeCols + 1) + tx] =
          (j < n && i < n && j != i) ? math::exp(e - lse_i[r]) + math::exp(e - lse_j) : T(0);
    }
    // sA is read after the first barrier below and rewritten only after the last one.
    for (int64_t c0 = 0; c0 < d; c0 += kKdeChunk) {
      kde_stage(x, n, d, i0, j0, c0, sI, sJ);
      __syncthreads();
      const int64_t c = c0 + tx;
      if (c < d) {
ENTROPIC_UNROLL
        for (int r = 0; r < kKdeRowsPerThread; ++r) {
          const int row = ty * kKdeRowsPerThread + r;
          const int64_t i = i0 + row;
          const T xi = sI[row * (kKdeChunk + 1) + tx];
          T acc = T(0);
          for (int jj = 0; jj < kKdeCols; ++jj) acc += sA[row * (kKdeCols + 1) + jj] * (xi - sJ[jj * (kKdeChunk + 1) + tx]);
          if (i < n) dx[i * d + c] += scale * acc;
        }
      }
      __syncthreads();
    }
  }
}

template <class T>
struct NegLogP {
  const T* log_p;
  __device__ double operator()(int64_t i) const { return -double(log_p[i]); }
};

// ---- host launchers --------------------------------------------------------------------------

namespace detail {
inline void kde_check(int64_t n, int64_t d, double sigma, bool leave_one_out) {
  check(n >= (leave_one_out ? 2 : 1), "kde: needs n >= ", leave_one_out ? 2 : 1, " points, got ", n);
  check(d >= 1, "kde: needs d >= 1, got ", d);
  check(sigma > 0 && std::isfinite(sigma), "kde: sigma must be positive and finite, got ", sigma);
}
// log |S_i| + (d/2) log(2 pi sigma^2): what every kernel subtracts from a row's log-sum-exp.
inline double kde_log_norm(int64_t n, int64_t d, double sigma, bool leave_one_out) {
  const double count = double(leave_one_out ? n - 1 : n);
  return std::log(count) + 0.5 * double(d) * std::log(2 * std::numbers::pi * sigma * sigma);
}
}  // namespace detail

// x (n, d) -> log_p, row_lse (n,).
template <class T>
void kde_forward(const T* x, int64_t n, int64_t d, double sigma, bool leave_one_out, T* log_p, T* row_lse,
                 cudaStream_t stream) {
  static_assert(std::is_same_v<T, float> || std::is_same_v<T, double>, "entropic::cuda: T is float or double");
  detail::kde_check(n, d, sigma, leave_one_out);
  const double log_norm = detail::kde_log_norm(n, d, sigma, leave_one_out);
  launch(kde_forward_kernel<T>, dim3(unsigned(ceil_div(n, kKdeRows))), dim3(kKdeCols, kKdeRowGroups),
         kde_smem_bytes<T>(false), stream, x, n, d, T(-0.5 / (sigma * sigma)), leave_one_out, T(log_norm), log_p,
         row_lse);
}

// H[0] = O(-(1/n) sum_i log_p[i]), on the device: O double, or T for H as a tensor element.
// work: kSumBlocks doubles.
template <class T, class O>
void kde_entropy(const T* log_p, int64_t n, O* H, double* work, cudaStream_t stream) {
  reduce_sum(NegLogP<T>{log_p}, n, 1.0 / double(n), H, work, stream);
}

// dx (n, d) = dH * dH/dx  (OVERWRITES dx), from the row_lse the forward saved.
template <class T>
void kde_backward(const T* x, int64_t n, int64_t d, double sigma, bool leave_one_out, const T* row_lse, double dH,
                  T* dx, cudaStream_t stream) {
  detail::kde_check(n, d, sigma, leave_one_out);
  launch(kde_backward_kernel<T>, dim3(unsigned(ceil_div(n, kKdeRows))), dim3(kKdeCols, kKdeRowGroups),
         kde_smem_bytes<T>(true), stream, x, n, d, T(-0.5 / (sigma * sigma)), row_lse,
         T(dH / (double(n) * sigma * sigma)), static_cast<const T*>(nullptr), 0.0, dx);
}

// As above with dH read on the device (dH: one T there), e.g. the upstream gradient of a loss.
template <class T>
void kde_backward(const T* x, int64_t n, int64_t d, double sigma, bool leave_one_out, const T* row_lse, const T* dH,
                  T* dx, cudaStream_t stream) {
  detail::kde_check(n, d, sigma, leave_one_out);
  launch(kde_backward_kernel<T>, dim3(unsigned(ceil_div(n, kKdeRows))), dim3(kKdeCols, kKdeRowGroups),
         kde_smem_bytes<T>(true), stream, x, n, d, T(-0.5 / (sigma * sigma)), row_lse, T(0), dH,
         double(n) * sigma * sigma, dx);
}

}  // namespace entropic::cuda
