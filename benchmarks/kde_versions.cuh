// The numbered CUDA versions of the Gaussian KDE entropy that benchmarks/bench_kde compares
// (in the manner of llm.c's dev/cuda). Same contract as kde.cuh, float only:
//   e_ij      = -|x_i - x_j|^2 / (2 sigma^2)
//   row_lse_i = log sum_{j in S_i} exp(e_ij)          S_i = all j, or j != i (leave-one-out)
//   log p_i   = row_lse_i - log |S_i| - (d/2) log(2 pi sigma^2)
//   dx_k      = dH/(n sigma^2) sum_{j != k} (w_kj + w_jk)(x_k - x_j),  w_ij = exp(e_ij - row_lse_i)
// forward() writes log_p and row_lse; backward() OVERWRITES dx from the row_lse the forward saved.
//
//   v1 thread-row  one thread per row, a plain loop over every j (online log-sum-exp); backward
//                  the same loop with both weights and dx accumulated in place. Loses: no reuse
//                  of x_j between threads except through L1, the x_i rows of a warp are d floats
//                  apart (uncoalesced), n / 128 blocks only (n = 1024 fills 8 of 132 SMs), and
//                  the backward's read-modify-write of dx per pair.
//   v2 tiles       the library's kernels (kde.cuh): 32 x 32 tiles of x staged in shared memory
//                  in 32-dimension chunks, 4 rows a thread, online log-sum-exp merged by
//                  shuffles; backward with the tile's weights in shared memory.
//   v3 warp        a warp per 8 rows, lanes split j (lane l takes j = l, l + 32, ...), each lane
//                  keeps 8 online log-sum-exps, merged across the warp by xor shuffles; x_i read
//                  as warp-uniform (broadcast) loads. Its forward won at n 16384, d 2 on the
//                  H200 and is library code now (cuda/kde_warp.cuh; case 3 calls it). Backward
//                  (still here, it never won): the 8 x 32 weights of a column step go to
//                  warp-private shared memory, then lanes split d (coalesced) and add
//                  sum_j a_kj (x_k - x_j) into the warp's own rows. Loses to v2 at larger d: an
//                  x_j element serves 8 rows (32 in v2) and its loads are 32 rows apart.
//   v4 cuBLAS      materialised: the fastest version at every other measured shape, so library
//                  code now (cuda/kde_gram.cuh, "the Gram path"; case 4 calls it with the whole
//                  n x n G as one row block, on cuBLAS, or on the tiled GEMM under the shim):
//                  |x_i|^2, G = X X^T by GEMM, a warp per row for e_ij and its log-sum-exp;
//                  backward: G again, A = W + W^T (diagonal 0) in place with its row sums, a
//                  second GEMM Y = A X, dx = dH/(n sigma^2) (rowsum(A) x - Y). Until the move the
//                  backward reused the forward's G (the 2026-11-28 figures); the library's
//                  recomputes it, so forward and backward are independent calls.
//                  8 to 20 bytes of DRAM traffic per pair (n = 16384: a 1 GiB buffer).
//                  Dot form: |x_i|^2 + |x_j|^2 - 2 x_i.x_j rounds like |x|^2, not like the distance.
//   v5 tf32        fused tensor-core tiles (nvcuda::wmma m16n16k8 TF32, sm_80+): a block of 4
//                  warps owns 64 rows, 64-column tiles stream past; x_i.x_j from TF32 MMAs in
//                  32-dimension chunks, |x|^2 of the TF32-rounded x (so the distance is exact for
//                  the rounded points, and 0 for i = j), online log-sum-exp per row over the tile
//                  stored in shared memory. Backward: the same distance tiles, the weights in
//                  shared memory, sum_j a_kj (x_k - x_j) on the FP32 cores as in v2.
//                  TF32 keeps 10 mantissa bits: relative input error 2^-11, so e_ij is off by
//                  about 2^-10 |x_i - x_j| |x| / sigma^2, which breaks the 1e-3 check at small
//                  sigma (d = 2 in the benchmark) and holds at large d; bench_kde reports where.
//   v6 3xtf32      v5 with each operand split x = hi + lo (hi = tf32(x), lo = tf32(x - hi)) and
//                  x_i.x_j = hi.hi + hi.lo + lo.hi: three MMAs, FP32-level accuracy, still far
//                  under the FP32 FMA cost per pair.
//
// GPU ceilings (benchmarks): fma_rate_kernel (FP32 FMA chains), exp_rate_kernel (__expf, the
// SFU), copy_kernel (float4 copy: DRAM bandwidth), tf32_mma_rate_kernel (TF32 wmma).
//
// Every kernel runs under the CPU shim too (tests/cuda/cases/kde_versions.hpp), where wmma is
// emulated by plain loops and v4's GEMMs are the tiled kernel's.
#pragma once
#include <cmath>
#include <cstdint>
#include <numbers>
#include <type_traits>

#include "entropic/cuda/kde.cuh"
#include "entropic/cuda/kde_gram.cuh"
#include "entropic/cuda/kde_warp.cuh"
#include "entropic/cuda/launch.cuh"
#include "entropic/cuda/math.cuh"

#if !defined(ENTROPIC_CUDA_EMU)
#include <cublas_v2.h>
#include <mma.h>
#endif

namespace entropic::cuda::kde_versions {

inline constexpr int kFirst = 1, kLast = 6;

inline const char* name(int version) {
  switch (version) {
    case 1: return "v1 thread-row";
    case 2: return "v2 tiles";
    case 3: return "v3 warp";
    case 4: return "v4 cublas";
    case 5: return "v5 tf32";
    case 6: return "v6 3xtf32";
  }
  return "unknown";
}

// What a version needs besides x and the outputs (device memory, the caller's; see
// workspace_floats). v4 needs gram: cuda::kde_gram_workspace(n, n) floats (G, then |x|^2 and the
// row sums) and a cuBLAS handle; v5, v6 sq (n).
struct Workspace {
  float* gram = nullptr;
  float* sq = nullptr;
  cublasHandle_t cublas = nullptr;
};
inline int64_t workspace_floats(int version, int64_t n) {
  if (version == 4) return kde_gram_workspace(n, n);
  if (version == 5 || version == 6) return n;
  return 0;
}

inline constexpr int kV1Threads = 128;
inline constexpr int kV3Rows = 8, kV3Warps = 4, kV3Threads = 32 * kV3Warps;
inline constexpr int kV5Rows = 64, kV5Cols = 64, kV5Chunk = 32, kV5Warps = 4, kV5Threads = 32 * kV5Warps;
inline constexpr int kV5Ld = kV5Chunk + 4;  // floats a staged row: a multiple of 4 (wmma), 32-byte rows x 16
inline constexpr int kV5LdD = kV5Cols + 4;  // floats a row of the distance tile
inline constexpr int kElemThreads = 256;

// ---- __device__ helpers ------------------------------------------------------------------------

// Online log-sum-exp on the SFU exp: (m, s) is log(s) + m; adds exp(e).
__device__ __forceinline__ void push(float& m, float& s, float e) {
  if (e > m) {
    s = s * __expf(m - e) + 1.0f;
    m = e;
  } else {
    s += __expf(e - m);
  }
}
__device__ __forceinline__ void merge(float& m, float& s, float mo, float so) {
  const float mx = math::max(m, mo);
  s = mx == -math::infinity<float>() ? 0.0f : s * __expf(m - mx) + so * __expf(mo - mx);
  m = mx;
}
// ---- ceilings -----------------------------------------------------------------------------------

// 8 independent FMA chains a thread; x <- x * mul + add stays bounded for mul < 1. 16 flops an
// iteration a thread.
template <class T>
__global__ void fma_rate_kernel(int iters, T mul, T add, T* out) {
  T a[8];
ENTROPIC_UNROLL
  for (int k = 0; k < 8; ++k) a[k] = T(threadIdx.x) * T(1e-3) + T(k);
  for (int it = 0; it < iters; ++it)
ENTROPIC_UNROLL
    for (int k = 0; k < 8; ++k) a[k] = a[k] * mul + add;
  T s = 0;
ENTROPIC_UNROLL
  for (int k = 0; k < 8; ++k) s += a[k];
  out[int64_t(blockIdx.x) * blockDim.x + threadIdx.x] = s;
}

// 8 independent chains x <- mul * __expf(x) (a fixed point near 0.49 for mul = 0.3): one SFU exp
// and two FP32 multiplies each, so the SFU bounds it. 8 exps an iteration a thread.
template <class T>
__global__ void exp_rate_kernel(int iters, T mul, T* out) {
  T a[8];
ENTROPIC_UNROLL
  for (int k = 0; k < 8; ++k) a[k] = T(-0.1) * T(k) - T(threadIdx.x % 7) * T(0.01);
  for (int it = 0; it < iters; ++it)
ENTROPIC_UNROLL
    for (int k = 0; k < 8; ++k) a[k] = mul * __expf(a[k]);
  T s = 0;
ENTROPIC_UNROLL
  for (int k = 0; k < 8; ++k) s += a[k];
  out[int64_t(blockIdx.x) * blockDim.x + threadIdx.x] = s;
}

// out[i] = in[i], float4, grid-stride: 32 bytes of DRAM traffic an element.
template <class T>
__global__ void copy_kernel(const T* in, T* out, int64_t count) {
  const int64_t stride = int64_t(gridDim.x) * blockDim.x;
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < count; i += stride) out[i] = in[i];
}

// A warp: 4 accumulators, iters x 4 TF32 m16n16k8 MMAs (2 * 16 * 16 * 8 flops each); the
// accumulators go to out + warp * 4 * 256 (row-major 16 x 16 tiles).
template <class T>
__global__ void tf32_mma_rate_kernel(int iters, T* out) {
  static_assert(std::is_same_v<T, float>);
#if !defined(__CUDA_ARCH__) || __CUDA_ARCH__ >= 800
  namespace wmma = nvcuda::wmma;
  __shared__ __align__(32) float sa[16 * 8];
  __shared__ __align__(32) float sb[8 * 16];
  for (int k = int(threadIdx.x); k < 128; k += int(blockDim.x)) {
    sa[k] = 1e-3f * float(k % 7);
    sb[k] = 1e-3f * float(k % 5);
  }
  __syncthreads();
  wmma::fragment<wmma::matrix_a, 16, 16, 8, wmma::precision::tf32, wmma::row_major> a;
  wmma::fragment<wmma::matrix_b, 16, 16, 8, wmma::precision::tf32, wmma::row_major> b;
  wmma::fragment<wmma::accumulator, 16, 16, 8, float> acc[4];
  wmma::load_matrix_sync(a, sa, 8);
  wmma::load_matrix_sync(b, sb, 16);
  for (int e = 0; e < a.num_elements; ++e) a.x[e] = wmma::__float_to_tf32(a.x[e]);
  for (int e = 0; e < b.num_elements; ++e) b.x[e] = wmma::__float_to_tf32(b.x[e]);
  for (int t = 0; t < 4; ++t) wmma::fill_fragment(acc[t], 0.0f);
  for (int it = 0; it < iters; ++it)
ENTROPIC_UNROLL
    for (int t = 0; t < 4; ++t) wmma::mma_sync(acc[t], a, b, acc[t]);
  const int64_t warp = (int64_t(blockIdx.x) * blockDim.x + threadIdx.x) / 32;
  for (int t = 0; t < 4; ++t) wmma::store_matrix_sync(out + (warp * 4 + t) * 256, acc[t], 16, wmma::mem_row_major);
#else
  (void)iters, (void)out;
  __trap();
#endif
}

// ---- v1: one thread per row --------------------------------------------------------------------

template <class T>
__global__ void __launch_bounds__(kV1Threads)
    v1_forward_kernel(const T* x, int64_t n, int64_t d, T c, bool loo, T log_norm, T* log_p, T* row_lse) {
  const int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= n) return;
  const T* xi = x + i * d;
  T m = -math::infinity<T>(), s = T(0);
  for (int64_t j = 0; j < n; ++j) {
    if (loo && j == i) continue;
    const T* xj = x + j * d;
    T d2 = T(0);
    for (int64_t k = 0; k < d; ++k) {
      const T t = xi[k] - xj[k];
      d2 += t * t;
    }
    push(m, s, d2 * c);
  }
  const T lse = m + math::log(s);
  row_lse[i] = lse;
  log_p[i] = lse - log_norm;
}

template <class T>
__global__ void __launch_bounds__(kV1Threads)
    v1_backward_kernel(const T* x, int64_t n, int64_t d, T c, const T* row_lse, T scale, T* dx) {
  const int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= n) return;
  const T* xi = x + i * d;
  T* g = dx + i * d;
  for (int64_t k = 0; k < d; ++k) g[k] = T(0);
  const T lse_i = row_lse[i];
  for (int64_t j = 0; j < n; ++j) {
    if (j == i) continue;  // a_ii (x_i - x_i) = 0 with or without leave-one-out
    const T* xj = x + j * d;
    T d2 = T(0);
    for (int64_t k = 0; k < d; ++k) {
      const T t = xi[k] - xj[k];
      d2 += t * t;
    }
    const T e = d2 * c;
    const T a = __expf(e - lse_i) + __expf(e - row_lse[j]);
    for (int64_t k = 0; k < d; ++k) g[k] += a * (xi[k] - xj[k]);
  }
  for (int64_t k = 0; k < d; ++k) g[k] *= scale;
}

// ---- v3: a warp per 8 rows ---------------------------------------------------------------------

// d2[r] = |x_r - x_j|^2 for a warp lane's kV3Rows rows against its column j (v3's forward and
// backward both start from these).
template <class T>
__device__ __forceinline__ void v3_sq_dists(const T* const* xr, const T* xj, int64_t d, T* d2) {
ENTROPIC_UNROLL
  for (int r = 0; r < kV3Rows; ++r) d2[r] = T(0);
  for (int64_t k = 0; k < d; ++k) {
    const T v = xj[k];
ENTROPIC_UNROLL
    for (int r = 0; r < kV3Rows; ++r) {
      const T t = xr[r][k] - v;
      d2[r] += t * t;
    }
  }
}

template <class T>
__global__ void __launch_bounds__(kV3Threads)
    v3_backward_kernel(const T* x, int64_t n, int64_t d, T c, const T* row_lse, T scale, T* dx) {
  __shared__ T sA[kV3Warps][kV3Rows][33];  // a warp's weights of one 32-column step
  const int lane = int(threadIdx.x) % 32, warp = int(threadIdx.x) / 32;
  const int64_t i0 = (int64_t(blockIdx.x) * kV3Warps + warp) * kV3Rows;
  const T* xr[kV3Rows];
  T lse_r[kV3Rows];
ENTROPIC_UNROLL
  for (int r = 0; r < kV3Rows; ++r) {
    const int64_t ir = math::min<int64_t>(i0 + r, n - 1);
    xr[r] = x + ir * d;
    lse_r[r] = row_lse[ir];
    if (i0 + r < n)
      for (int64_t k = lane; k < d; k += 32) dx[(i0 + r) * d + k] = T(0);  // the lane adds to these below
  }
  for (int64_t j0 = 0; j0 < n; j0 += 32) {
    const int64_t j = j0 + lane;
    if (j < n) {
      T d2[kV3Rows];
      v3_sq_dists(xr, x + j * d, d, d2);
      const T lse_j = row_lse[j];
ENTROPIC_UNROLL
      for (int r = 0; r < kV3Rows; ++r) {
        const T e = d2[r] * c;
        sA[warp][r][lane] = (j != i0 + r) ? __expf(e - lse_r[r]) + __expf(e - lse_j) : T(0);
      }
    } else {
ENTROPIC_UNROLL
      for (int r = 0; r < kV3Rows; ++r) sA[warp][r][lane] = T(0);
    }
    __syncwarp();
    const int cols = int(math::min<int64_t>(32, n - j0));
    for (int64_t k = lane; k < d; k += 32) {
      T xk[kV3Rows], acc[kV3Rows] = {};
ENTROPIC_UNROLL
      for (int r = 0; r < kV3Rows; ++r) xk[r] = xr[r][k];
      for (int jj = 0; jj < cols; ++jj) {
        const T v = x[(j0 + jj) * d + k];  // lanes read consecutive k: coalesced
ENTROPIC_UNROLL
        for (int r = 0; r < kV3Rows; ++r) acc[r] += sA[warp][r][jj] * (xk[r] - v);
      }
ENTROPIC_UNROLL
      for (int r = 0; r < kV3Rows; ++r)
        if (i0 + r < n) dx[(i0 + r) * d + k] += scale * acc[r];
    }
    __syncwarp();  // sA is rewritten next step
  }
}

// sq_i = |x_i|^2 (v6), of the TF32-rounded x when ROUND (v5), a thread a row.
template <class T, bool ROUND>
__global__ void sqnorm_kernel(const T* x, int64_t n, int64_t d, T* sq) {
  const int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= n) return;
  T s = T(0);
  for (int64_t k = 0; k < d; ++k) {
    T v = x[i * d + k];
    if constexpr (ROUND) {
#if !defined(__CUDA_ARCH__) || __CUDA_ARCH__ >= 800
      v = nvcuda::wmma::__float_to_tf32(v);
#endif
    }
    s += v * v;
  }
  sq[i] = s;
}

// ---- v5, v6: fused TF32 tensor-core tiles -------------------------------------------------------

#if !defined(__CUDA_ARCH__) || __CUDA_ARCH__ >= 800
// Stage dimensions [c0, c0 + 32) of rows r0.. into s (64, kV5Ld), zero outside x. 128 threads.
template <class T>
__device__ __forceinline__ void v5_stage(const T* x, int64_t n, int64_t d, int64_t r0, int64_t c0, T* s) {
  const int tid = int(threadIdx.x);
ENTROPIC_UNROLL
  for (int q = 0; q < kV5Rows * kV5Chunk / kV5Threads; ++q) {
    const int e = tid + q * kV5Threads, r = e / kV5Chunk, cc = e % kV5Chunk;
    s[r * kV5Ld + cc] = (r0 + r < n && c0 + cc < d) ? x[(r0 + r) * d + c0 + cc] : T(0);
  }
}

// The warp's 16 x 64 block of x_i . x_j (rows i0 + 16 warp.., columns j0..) into
// sD (64, kV5LdD); sI, sJ are the staging buffers. Starts and ends block-synchronised; the
// caller __syncwarp()s before reading sD.
template <bool SPLIT>
__device__ void v5_dot_tile(const float* x, int64_t n, int64_t d, int64_t i0, int64_t j0, float* sI, float* sJ,
                            float* sD) {
  namespace wmma = nvcuda::wmma;
  const int warp = int(threadIdx.x) / 32;
  using FragA = wmma::fragment<wmma::matrix_a, 16, 16, 8, wmma::precision::tf32, wmma::row_major>;
  using FragB = wmma::fragment<wmma::matrix_b, 16, 16, 8, wmma::precision::tf32, wmma::col_major>;
  wmma::fragment<wmma::accumulator, 16, 16, 8, float> acc[kV5Cols / 16];
ENTROPIC_UNROLL
  for (int t = 0; t < kV5Cols / 16; ++t) wmma::fill_fragment(acc[t], 0.0f);
  for (int64_t c0 = 0; c0 < d; c0 += kV5Chunk) {
    v5_stage(x, n, d, i0, c0, sI);
    v5_stage(x, n, d, j0, c0, sJ);
    __syncthreads();
    const int dc = int(math::min<int64_t>(kV5Chunk, d - c0));
    for (int kk = 0; kk < dc; kk += 8) {
      FragA a_hi;
      [[maybe_unused]] FragA a_lo;
      wmma::load_matrix_sync(a_hi, sI + warp * 16 * kV5Ld + kk, kV5Ld);
      for (int e = 0; e < a_hi.num_elements; ++e) {
        const float v = a_hi.x[e];
        a_hi.x[e] = wmma::__float_to_tf32(v);
        if constexpr (SPLIT) a_lo.x[e] = wmma::__float_to_tf32(v - a_hi.x[e]);
      }
ENTROPIC_UNROLL
      for (int t = 0; t < kV5Cols / 16; ++t) {
        FragB b_hi;  // B (k, col) = x_{j0 + 16t + col}[kk + k]: sJ rows are columns of B
        [[maybe_unused]] FragB b_lo;
        wmma::load_matrix_sync(b_hi, sJ + t * 16 * kV5Ld + kk, kV5Ld);
        for (int e = 0; e < b_hi.num_elements; ++e) {
          const float v = b_hi.x[e];
          b_hi.x[e] = wmma::__float_to_tf32(v);
          if constexpr (SPLIT) b_lo.x[e] = wmma::__float_to_tf32(v - b_hi.x[e]);
        }
        if constexpr (SPLIT) {
          wmma::mma_sync(acc[t], a_lo, b_hi, acc[t]);
          wmma::mma_sync(acc[t], a_hi, b_lo, acc[t]);
        }
        wmma::mma_sync(acc[t], a_hi, b_hi, acc[t]);
      }
    }
    __syncthreads();  // the next stage overwrites sI, sJ
  }
ENTROPIC_UNROLL
  for (int t = 0; t < kV5Cols / 16; ++t)
    wmma::store_matrix_sync(sD + warp * 16 * kV5LdD + t * 16, acc[t], kV5LdD, wmma::mem_row_major);
}
#endif

// Lane l of warp w owns row 16 w + l/2 of the block and columns 32 (l % 2) .. + 32 of each tile.
template <class T, bool SPLIT>
__global__ void __launch_bounds__(kV5Threads)
    v5_forward_kernel(const T* x, const T* sq, int64_t n, int64_t d, T c, bool loo, T log_norm, T* log_p,
                      T* row_lse) {
  static_assert(std::is_same_v<T, float>);
#if !defined(__CUDA_ARCH__) || __CUDA_ARCH__ >= 800
  __shared__ __align__(32) float sI[kV5Rows * kV5Ld];
  __shared__ __align__(32) float sJ[kV5Cols * kV5Ld];
  __shared__ __align__(32) float sD[kV5Rows * kV5LdD];
  const int lane = int(threadIdx.x) % 32, warp = int(threadIdx.x) / 32;
  const int row = warp * 16 + lane / 2, half = lane % 2;
  const int64_t i0 = int64_t(blockIdx.x) * kV5Rows, i = i0 + row;
  const float sqi = i < n ? sq[i] : 0.0f;
  float m = -math::infinity<float>(), s = 0.0f;
  for (int64_t j0 = 0; j0 < n; j0 += kV5Cols) {
    v5_dot_tile<SPLIT>(x, n, d, i0, j0, sI, sJ, sD);
    __syncwarp();  // lane 0's store is read by every lane
    for (int cc = half * 32; cc < half * 32 + 32; ++cc) {
      const int64_t j = j0 + cc;
      if (j >= n || (loo && j == i)) continue;
      const float d2 = j == i ? 0.0f : math::max(sqi + sq[j] - 2.0f * sD[row * kV5LdD + cc], 0.0f);
      push(m, s, d2 * c);
    }
    __syncwarp();  // read before the next tile's store
  }
  {  // lanes 2r and 2r + 1 hold row r's two halves
    const float mo = __shfl_xor_sync(kFullMask, m, 1), so = __shfl_xor_sync(kFullMask, s, 1);
    merge(m, s, mo, so);
  }
  if (half == 0 && i < n) {
    const float lse = m + math::log(s);
    row_lse[i] = lse;
    log_p[i] = lse - log_norm;
  }
#else
  (void)x, (void)sq, (void)n, (void)d, (void)c, (void)loo, (void)log_norm, (void)log_p, (void)row_lse;
  __trap();
#endif
}

template <class T, bool SPLIT>
__global__ void __launch_bounds__(kV5Threads)
    v5_backward_kernel(const T* x, const T* sq, int64_t n, int64_t d, T c, const T* row_lse, T scale, T* dx) {
  static_assert(std::is_same_v<T, float>);
#if !defined(__CUDA_ARCH__) || __CUDA_ARCH__ >= 800
  __shared__ __align__(32) float sI[kV5Rows * kV5Ld];
  __shared__ __align__(32) float sJ[kV5Cols * kV5Ld];
  __shared__ __align__(32) float sD[kV5Rows * kV5LdD];
  const int lane = int(threadIdx.x) % 32, warp = int(threadIdx.x) / 32;
  const int row = warp * 16 + lane / 2, half = lane % 2;
  const int64_t i0 = int64_t(blockIdx.x) * kV5Rows, i = i0 + row;
  const float sqi = i < n ? sq[i] : 0.0f, lse_i = i < n ? row_lse[i] : 0.0f;
  // The accumulation phase: lane l adds to dimension c0 + l of the warp's 16 rows.
  for (int r = 0; r < 16; ++r) {
    const int64_t ir = i0 + warp * 16 + r;
    if (ir < n)
      for (int64_t k = lane; k < d; k += 32) dx[ir * d + k] = 0.0f;
  }
  for (int64_t j0 = 0; j0 < n; j0 += kV5Cols) {
    v5_dot_tile<SPLIT>(x, n, d, i0, j0, sI, sJ, sD);
    __syncwarp();
    for (int cc = half * 32; cc < half * 32 + 32; ++cc) {  // distances -> weights, in place
      const int64_t j = j0 + cc;
      float a = 0.0f;
      if (i < n && j < n && j != i) {
        const float e = c * math::max(sqi + sq[j] - 2.0f * sD[row * kV5LdD + cc], 0.0f);
        a = __expf(e - lse_i) + __expf(e - row_lse[j]);
      }
      sD[row * kV5LdD + cc] = a;
    }
    __syncwarp();
    const int cols = int(math::min<int64_t>(kV5Cols, n - j0));
    for (int64_t c0 = 0; c0 < d; c0 += kV5Chunk) {
      v5_stage(x, n, d, i0, c0, sI);
      v5_stage(x, n, d, j0, c0, sJ);
      __syncthreads();
      if (c0 + lane < d)
        for (int r = 0; r < 16; ++r) {
          const int rr = warp * 16 + r;
          const float xk = sI[rr * kV5Ld + lane];
          float acc = 0.0f;
          for (int jj = 0; jj < cols; ++jj) acc += sD[rr * kV5LdD + jj] * (xk - sJ[jj * kV5Ld + lane]);
          if (i0 + rr < n) dx[(i0 + rr) * d + c0 + lane] += scale * acc;
        }
      __syncthreads();  // the next stage (or tile) overwrites sI, sJ, and sD
    }
  }
#else
  (void)x, (void)sq, (void)n, (void)d, (void)c, (void)row_lse, (void)scale, (void)dx;
  __trap();
#endif
}

// ---- host launchers ----------------------------------------------------------------------------

namespace detail {
struct Consts {
  float c, log_norm;
};
inline Consts consts(int64_t n, int64_t d, double sigma, bool loo) {
  return {float(-0.5 / (sigma * sigma)), float(entropic::cuda::detail::kde_log_norm(n, d, sigma, loo))};
}
inline void check_version(int version, const Workspace& ws) {
  check(version >= kFirst && version <= kLast, "kde_versions: no version ", version, " (1 to ", kLast, ")");
  if (version == 4)
    check(ws.gram && ws.cublas, "kde_versions: v4 needs gram and a cuBLAS handle");
  if (version == 5 || version == 6) check(ws.sq != nullptr, "kde_versions: v", version, " needs sq");
}
// v4's GEMM: cuBLAS on a GPU; the shim's cuBLAS is not behind GemmPath, so the tiled kernel there.
inline GemmPath v4_path([[maybe_unused]] const Workspace& ws) {
  GemmPath p;
#if !defined(ENTROPIC_CUDA_EMU)
  p.impl = GemmImpl::cublas;
  p.cublas = ws.cublas;
#endif
  return p;
}
inline dim3 rows_grid(int64_t n, int64_t rows) { return dim3(unsigned(ceil_div(n, rows))); }
inline dim3 elem_grid(int64_t count) { return dim3(unsigned(math::min<int64_t>(ceil_div(count, kElemThreads), 4096))); }
}  // namespace detail

// The ceiling kernels: `blocks` blocks of `threads` threads; out holds blocks * threads floats
// (fma, exp) or blocks * threads / 32 * 1024 floats (tf32). Returns the work done: flops, exps, flops.
inline double fma_rate(int blocks, int threads, int iters, float* out, cudaStream_t stream) {
  launch(fma_rate_kernel<float>, dim3(unsigned(blocks)), dim3(unsigned(threads)), 0, stream, iters, 0.999999f, 1e-6f,
         out);
  return 16.0 * double(blocks) * threads * iters;
}
inline double exp_rate(int blocks, int threads, int iters, float* out, cudaStream_t stream) {
  launch(exp_rate_kernel<float>, dim3(unsigned(blocks)), dim3(unsigned(threads)), 0, stream, iters, 0.3f, out);
  return 8.0 * double(blocks) * threads * iters;
}
inline double tf32_rate(int blocks, int threads, int iters, float* out, cudaStream_t stream) {
  check(threads % 32 == 0, "kde_versions::tf32_rate: whole warps, got ", threads, " threads");
  launch(tf32_mma_rate_kernel<float>, dim3(unsigned(blocks)), dim3(unsigned(threads)), 0, stream, iters, out);
  return 2.0 * 16 * 16 * 8 * 4 * double(blocks) * (threads / 32) * iters;
}
// Copies count float4s; returns the bytes moved (read + write).
inline double copy(const float4* in, float4* out, int64_t count, int blocks, cudaStream_t stream) {
  launch(copy_kernel<float4>, dim3(unsigned(blocks)), dim3(256), 0, stream, in, out, count);
  return 32.0 * double(count);
}

// x (n, d) -> log_p, row_lse (n,).
inline void forward(int version, const float* x, int64_t n, int64_t d, double sigma, bool loo, float* log_p,
                    float* row_lse, const Workspace& ws, cudaStream_t stream) {
  cuda::detail::kde_check(n, d, sigma, loo);
  detail::check_version(version, ws);
  const detail::Consts k = detail::consts(n, d, sigma, loo);
  switch (version) {
    case 1:
      launch(v1_forward_kernel<float>, detail::rows_grid(n, kV1Threads), dim3(kV1Threads), 0, stream, x, n, d, k.c,
             loo, k.log_norm, log_p, row_lse);
      return;
    case 2: return kde_forward(x, n, d, sigma, loo, log_p, row_lse, stream);
    case 3: return kde_warp_forward(x, n, d, sigma, loo, log_p, row_lse, stream);
    case 4: return kde_gram_forward(x, n, d, sigma, loo, log_p, row_lse, n, ws.gram, detail::v4_path(ws), stream);
    case 5:
    case 6:
      launch(version == 5 ? sqnorm_kernel<float, true> : sqnorm_kernel<float, false>,
             detail::rows_grid(n, kElemThreads), dim3(kElemThreads), 0, stream, x, n, d, ws.sq);
      launch(version == 5 ? v5_forward_kernel<float, false> : v5_forward_kernel<float, true>,
             detail::rows_grid(n, kV5Rows), dim3(kV5Threads), 0, stream, x, ws.sq, n, d, k.c, loo, k.log_norm, log_p,
             row_lse);
      return;
  }
}

// dx (n, d) = dH * dH/dx (OVERWRITES dx).
inline void backward(int version, const float* x, int64_t n, int64_t d, double sigma, bool loo, const float* row_lse,
                     double dH, float* dx, const Workspace& ws, cudaStream_t stream) {
  cuda::detail::kde_check(n, d, sigma, loo);
  detail::check_version(version, ws);
  const float c = float(-0.5 / (sigma * sigma)), scale = float(dH / (double(n) * sigma * sigma));
  switch (version) {
    case 1:
      launch(v1_backward_kernel<float>, detail::rows_grid(n, kV1Threads), dim3(kV1Threads), 0, stream, x, n, d, c,
             row_lse, scale, dx);
      return;
    case 2: return kde_backward(x, n, d, sigma, loo, row_lse, dH, dx, stream);
    case 3:
      launch(v3_backward_kernel<float>, detail::rows_grid(n, kV3Rows * kV3Warps), dim3(kV3Threads), 0, stream, x, n,
             d, c, row_lse, scale, dx);
      return;
    case 4: return kde_gram_backward(x, n, d, sigma, loo, row_lse, dH, dx, n, ws.gram, detail::v4_path(ws), stream);
    case 5:
    case 6:
      launch(version == 5 ? sqnorm_kernel<float, true> : sqnorm_kernel<float, false>,
             detail::rows_grid(n, kElemThreads), dim3(kElemThreads), 0, stream, x, n, d, ws.sq);
      launch(version == 5 ? v5_backward_kernel<float, false> : v5_backward_kernel<float, true>,
             detail::rows_grid(n, kV5Rows), dim3(kV5Threads), 0, stream, x, ws.sq, n, d, c, row_lse, scale, dx);
      return;
  }
}

}  // namespace entropic::cuda::kde_versions
