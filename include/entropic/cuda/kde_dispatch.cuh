// Which KDE kernel the library runs for a shape (the backend's kde_forward and kde_backward,
// behind ops/kde.hpp on Device::cuda), llm.c-style: the measured winners are library code
// (kde.cuh tiles, kde_gram.cuh GEMM, kde_warp.cuh warp forward), the losers stay in
// benchmarks/kde_versions.cuh, and this table decides.
//
// Measured (H200, float, bench_kde, benchmarks/RESULTS.md "2026-11-28, fifth session"; ms):
//   n, d          tiles fwd / fb   warp fwd   gram fwd / fb
//   4096, 2       0.136 / 0.446    0.124      0.116 / 0.250
//   4096, 64      0.399 / 1.05     1.22       0.165 / 0.303
//   4096, 784     4.25  / 12.7     12.5       0.673 / 1.43
//   16384, 2      0.923 / 3.97     0.543      0.879 / 2.50
//   16384, 64     3.24  / 10.4     12.6       1.57  / 3.16
//   16384, 784    37.0  / 143      106        8.64  / 19.6
// so: gram everywhere, except the forward at n 16384, d 2, where warp wins.
//
// The forward and the backward choose independently (the Gram backward recomputes its G), and
// a forward does not know whether a backward follows, so the forward's rule is the forward-only
// column and the backward's is (fb - fwd) of the gram column.
//
// Rules for what was not measured (predictions; RESULTS.md lists them to check on a GPU):
//   * double: tiles. All measurements were float; double is the checking precision, and tiles
//     is the path its tests have always covered.
//   * small n (n < 1024) with d <= 32 (one 32-dimension chunk of the tiles): tiles. A training
//     batch of 64-256 points is at most 65k pairs, microseconds of work, and launches dominate:
//     tiles is one launch a pass, gram three (forward) or five (backward) plus cuBLAS's own. At
//     larger d the tiles' per-block loop (n/32 column tiles x d/32 chunks) runs on n/32 blocks,
//     a few SMs, while one small GEMM spreads the 2d flops a pair: gram.
//   * warp forward: d <= 4 and n >= 16384 (measured only at d 2; at d 64 it lost 8x, and at
//     n 4096 gram was ahead, so the crossover is taken at the measured point).
//   * memory: gram needs block_rows x n elements of G. Rows come in blocks that fit the
//     caller's cap (the backend: 1 GiB, n 16384's whole G as measured, and at most half the free
//     device memory); with fewer than
//     min(n, 256) rows a block the GEMMs get thin, and tiles, which need no buffer, run instead.
#pragma once
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "entropic/cuda/kde.cuh"
#include "entropic/cuda/kde_gram.cuh"
#include "entropic/cuda/kde_warp.cuh"

namespace entropic::cuda {

enum class KdeKernel { tiles, gram, warp };

inline const char* kde_kernel_name(KdeKernel k) {
  switch (k) {
    case KdeKernel::tiles: return "tiles";
    case KdeKernel::gram: return "gram";
    case KdeKernel::warp: return "warp";
  }
  return "unknown";
}

enum class KdePass { forward, backward };

struct KdePlan {
  KdeKernel kernel = KdeKernel::tiles;
  int64_t block_rows = 0;  // gram: rows of G a block
};

// Elements of device workspace the plan needs for n points.
inline int64_t kde_workspace_elements(const KdePlan& p, int64_t n) {
  return p.kernel == KdeKernel::gram ? kde_gram_workspace(n, p.block_rows) : 0;
}

inline constexpr int64_t kKdeSmallN = 1024;          // below: tiles at d <= kKdeSmallD
inline constexpr int64_t kKdeSmallD = 32;
inline constexpr int64_t kKdeWarpMinN = 16384;       // warp forward from here, at d <= kKdeWarpMaxD
inline constexpr int64_t kKdeWarpMaxD = 4;
inline constexpr int64_t kKdeGramMinBlockRows = 256;
inline constexpr std::size_t kKdeGramCapBytes = std::size_t(1) << 30;  // n 16384's whole G, as measured

// The plan for one pass over x (n, d) of element size `elem_bytes` (4 float, 8 double), with at
// most `cap_bytes` of device memory for the Gram block G (the workspace adds 2 n elements).
inline KdePlan kde_choose(int64_t n, int64_t d, std::size_t elem_bytes, KdePass pass, std::size_t cap_bytes) {
  KdePlan p;
  if (elem_bytes != sizeof(float) || n < 1) return p;  // n < 1: the tiles' launcher says what is wrong
  if (n < kKdeSmallN && d <= kKdeSmallD) return p;
  if (pass == KdePass::forward && d <= kKdeWarpMaxD && n >= kKdeWarpMinN) {
    p.kernel = KdeKernel::warp;
    return p;
  }
  const int64_t rows = std::min<int64_t>(n, int64_t(cap_bytes / (std::size_t(n) * elem_bytes)));
  if (rows < std::min<int64_t>(n, kKdeGramMinBlockRows)) return p;
  p.kernel = KdeKernel::gram;
  p.block_rows = rows;
  return p;
}

template <class T>
KdePlan kde_choose(int64_t n, int64_t d, KdePass pass, std::size_t cap_bytes) {
  return kde_choose(n, d, sizeof(T), pass, cap_bytes);
}

// x (n, d) -> log_p, row_lse (n,) by plan's kernel; work: kde_workspace_elements(plan, n) elements.
template <class T>
void kde_forward(const KdePlan& plan, const T* x, int64_t n, int64_t d, double sigma, bool leave_one_out, T* log_p,
                 T* row_lse, T* work, const GemmPath& path, cudaStream_t stream) {
  switch (plan.kernel) {
    case KdeKernel::tiles: return kde_forward(x, n, d, sigma, leave_one_out, log_p, row_lse, stream);
    case KdeKernel::warp: return kde_warp_forward(x, n, d, sigma, leave_one_out, log_p, row_lse, stream);
    case KdeKernel::gram:
      return kde_gram_forward(x, n, d, sigma, leave_one_out, log_p, row_lse, plan.block_rows, work, path, stream);
  }
}

// dx (n, d) = dH * dH/dx (OVERWRITES dx); DH double (host) or const T* (read on the device).
template <class T, class DH>
void kde_backward(const KdePlan& plan, const T* x, int64_t n, int64_t d, double sigma, bool leave_one_out,
                  const T* row_lse, DH dH, T* dx, T* work, const GemmPath& path, cudaStream_t stream) {
  check(plan.kernel != KdeKernel::warp, "kde_backward: the warp kernel has no backward (kde_choose never picks it)");
  if (plan.kernel == KdeKernel::gram)
    return kde_gram_backward(x, n, d, sigma, leave_one_out, row_lse, dH, dx, plan.block_rows, work, path, stream);
  kde_backward(x, n, d, sigma, leave_one_out, row_lse, dH, dx, stream);
}

}  // namespace entropic::cuda
