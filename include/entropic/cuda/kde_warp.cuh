// Gaussian KDE forward, a warp per 8 rows (bench_kde's v3 forward, moved here from benchmarks/:
// on the H200 it was the fastest forward at n 16384, d 2, 0.543 ms against v4's 0.879 and the
// tiles' 0.923; benchmarks/RESULTS.md, "2026-11-28, fifth session"). Same contract as
// kde_forward in kde.cuh. Why it wins there: at d = 2 a pair is three flops and one exp, so the
// exp unit bounds every version; this kernel keeps x_i in registers (warp-uniform loads), needs
// no shared memory and no n x n buffer, and takes float's exp from the SFU (__expf), where the
// tiles' accurate expf runs on the FP32 pipe. It loses as d grows (an x_j element serves 8 rows,
// not 32 as in the tiles, and nothing runs the distances on a GEMM), and its backward lost to
// the Gram path everywhere, so only the forward is library code (kde_dispatch.cuh picks it).
//
// Lane l takes columns j = l, l + 32, ...; each lane keeps an online log-sum-exp for each of the
// warp's 8 rows, merged across the warp by xor shuffles at the end.
#pragma once
#include <cmath>
#include <cstdint>
#include <numbers>
#include <type_traits>

#include "entropic/cuda/kde.cuh"
#include "entropic/cuda/kde_gram.cuh"
#include "entropic/cuda/launch.cuh"
#include "entropic/cuda/math.cuh"

namespace entropic::cuda {

inline constexpr int kKdeWarpRows = 8, kKdeWarpWarps = 4, kKdeWarpThreads = 32 * kKdeWarpWarps;

template <class T>
__global__ void __launch_bounds__(kKdeWarpThreads)
    kde_warp_forward_kernel(const T* x, int64_t n, int64_t d, T c, bool loo, T log_norm, T* log_p, T* row_lse) {
  const int lane = int(threadIdx.x) % 32, warp = int(threadIdx.x) / 32;
  const int64_t i0 = (int64_t(blockIdx.x) * kKdeWarpWarps + warp) * kKdeWarpRows;
  if (i0 >= n) return;  // a whole warp
  const T* xr[kKdeWarpRows];  // rows past n read row n - 1 and are not stored
ENTROPIC_UNROLL
  for (int r = 0; r < kKdeWarpRows; ++r) xr[r] = x + math::min<int64_t>(i0 + r, n - 1) * d;
  T m[kKdeWarpRows], s[kKdeWarpRows];
ENTROPIC_UNROLL
  for (int r = 0; r < kKdeWarpRows; ++r) m[r] = -math::infinity<T>(), s[r] = T(0);
  for (int64_t j = lane; j < n; j += 32) {
    const T* xj = x + j * d;
    T d2[kKdeWarpRows];
ENTROPIC_UNROLL
    for (int r = 0; r < kKdeWarpRows; ++r) d2[r] = T(0);
    for (int64_t k = 0; k < d; ++k) {
      const T v = xj[k];
ENTROPIC_UNROLL
      for (int r = 0; r < kKdeWarpRows; ++r) {
        const T t = xr[r][k] - v;
        d2[r] += t * t;
      }
    }
ENTROPIC_UNROLL
    for (int r = 0; r < kKdeWarpRows; ++r)
      if (!(loo && j == i0 + r)) kde_gram_push(m[r], s[r], d2[r] * c);
  }
ENTROPIC_UNROLL
  for (int r = 0; r < kKdeWarpRows; ++r) {
    for (int o = 16; o > 0; o >>= 1) {
      const T mo = __shfl_xor_sync(kFullMask, m[r], o), so = __shfl_xor_sync(kFullMask, s[r], o);
      const T mx = math::max(m[r], mo);
      s[r] = mx == -math::infinity<T>() ? T(0) : s[r] * kde_gram_exp(m[r] - mx) + so * kde_gram_exp(mo - mx);
      m[r] = mx;
    }
    const int64_t i = i0 + r;
    if (lane == r && i < n) {
      const T lse = m[r] + math::log(s[r]);
      row_lse[i] = lse;
      log_p[i] = lse - log_norm;
    }
  }
}

// x (n, d) -> log_p, row_lse (n,).
template <class T>
void kde_warp_forward(const T* x, int64_t n, int64_t d, double sigma, bool leave_one_out, T* log_p, T* row_lse,
                      cudaStream_t stream) {
  static_assert(std::is_same_v<T, float> || std::is_same_v<T, double>, "entropic::cuda: T is float or double");
  detail::kde_check(n, d, sigma, leave_one_out);
  const double log_norm = detail::kde_log_norm(n, d, sigma, leave_one_out);
  launch(kde_warp_forward_kernel<T>, dim3(unsigned(ceil_div(n, kKdeWarpRows * kKdeWarpWarps))),
         dim3(kKdeWarpThreads), 0, stream, x, n, d, T(-0.5 / (sigma * sigma)), leave_one_out, T(log_norm), log_p,
         row_lse);
}

}  // namespace entropic::cuda
