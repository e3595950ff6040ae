// CPU Gaussian kernel-density entropy of a sample x[n, d] (row-major), float and double.
//
//   e_ij     = -|x_i - x_j|^2 / (2 sigma^2)
//   row_lse_i = log sum_{j in S_i} exp(e_ij)        S_i = all j, or j != i (leave-one-out)
//   log p_i  = row_lse_i - log m - (d/2) log(2 pi sigma^2)      m = |S_i| (n or n - 1)
//   H        = -(1/n) sum_i log p_i                 (summed in double)
//
// Backward, with w_ij = exp(e_ij - row_lse_i) the normalised weights of row i:
//   dH/dx_k = 1/(n sigma^2) sum_j (w_kj + w_jk) (x_k - x_j)
// (d row_lse_i / d x_k = -(1/sigma^2) [delta_ik sum_j w_ij (x_i - x_j) - w_ik (x_i - x_k)];
// summing over i gives the two terms.) The j = k term is multiplied by x_k - x_k = 0, so the
// same formula holds with and without leave-one-out, and the kernels simply skip j = k.
// sigma is a constant here: a bandwidth rule's dependence on x is not differentiated.
//
// Versions (kernels keep their number; benchmarks/bench_kde.cpp calls these v2 and v3, after
// its naive v1):
//   v1 streaming (kde_forward / kde_backward): never stores the n x n matrix. Row blocks
//      (parallel) x column tiles (cache-sized); the forward keeps an online log-sum-exp per
//      row (tile max, rescale), the backward is a second streaming pass with the saved
//      row_lse. Columns are packed in blocks of W (the vector width) columns, dimension-major
//      ("SoA blocks"), so the inner loop runs over W contiguous j for every d.
//      d <= 8: distances as sum_c (x_ic - x_jc)^2 (exact, and exp dominates);
//      d >  8: distances as |x_i|^2 + |x_j|^2 - 2 x_i.x_j with an 8-row x 2W-column register
//      tile (a fused GEMM micro-kernel); the gradient's sum_j a_kj x_j is a second register-
//      tiled product. Costs a little accuracy for nearly equal points (as any GEMM form does).
//      The backward uses a_kj = a_jk (backward_dot_sym): only 64 x 64 blocks J >= I are formed,
//      each adding A X_J to rows I and A^T X_I to rows J (per-thread accumulators), which halves
//      the Gram recomputation and the exps: fwd+bwd 4717 -> 3929 flops per pair at d = 784.
//      Without the scratch for it (threads x n x d floats > 256 MiB), backward_dot.
//      The forward with the self term does the same (forward_dot_sym): blocks J >= I, row and
//      column sums of exp(e), no running max since e_ii = 0 is each row's maximum.
//   v2 GEMM (kde_forward_gemm / kde_backward_gemm): the Gram matrix of a block of rows through
//      entropic::cpu::gemm, materialised block by block, and sum_j a_kj x_j as a second gemm.
//
// Saved for backward: row_lse[n] only (sigma and the leave-one-out flag are arguments).
// Backward overwrites dx.
#pragma once
#include <algorithm>
#include <cstdint>

#include "entropic/cpu/kde_backward.hpp"
#include "entropic/cpu/kde_forward.hpp"
#include "entropic/cpu/kde_gemm.hpp"
#include "entropic/cpu/kde_tiles.hpp"

namespace entropic::cpu {

// exp(x[i]) for i < n with the vectorised exp the kernels use (for tests and other ops).
template <class T>
void exp_fast(const T* x, T* y, int64_t n) {
  using namespace kde_detail;
  constexpr int w = W<T>;
  int64_t i = 0;
  for (; i + w <= n; i += w) store(y + i, exp(load(x + i)));
  if (i < n) {
    T tmp[w] = {};
    std::copy(x + i, x + n, tmp);
    store(tmp, exp(load(tmp)));
    std::copy(tmp, tmp + (n - i), y + i);
  }
}

}  // namespace entropic::cpu
