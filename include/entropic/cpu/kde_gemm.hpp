// The GEMM KDE version (v2): the Gram matrix of a block of rows through cpu::gemm,
// materialised block by block, and the gradient's sum_j a_kj x_j as a second product. Kept as the
// reference point for the streaming version and selectable with KdeAlgorithm::gemm.
#pragma once
#include "entropic/cpu/gemm.hpp"
#include "entropic/cpu/kde_tiles.hpp"

namespace entropic::cpu {

namespace kde_detail {
// Rows per Gram block of the GEMM version: about 16 MiB of scratch.
inline int64_t gemm_row_block(int64_t n, size_t elem) {
  return std::clamp<int64_t>(int64_t((size_t(16) << 20) / (elem * size_t(n))), 16, n);
}
// e for rows [i0, i0 + bi) into g (bi, npad) in place of their Gram block x_I x^T.
template <class T>
void gram_block(const Packed<T>& P, int64_t i0, int64_t bi, T* g) {
  gemm<T>(false, true, bi, P.n, P.d, T(1), P.x + i0 * P.d, P.d, P.x, P.d, T(0), g, P.npad);
}
template <class T>
void gram_to_e(const Packed<T>& P, int64_t i, T* e) {
  constexpr int w = W<T>;
  const V<T> si = splat(P.sq[i]), zero = splat(T(0)), two = splat(T(2)), sc = splat(P.neg_inv_2s2);
  for (int64_t j = 0; j < P.npad; j += w)
    store(e + j, vmax(fmadd(-two, load(e + j), si + load(P.sq.get() + j)), zero) * sc);
  for (int64_t j = P.n; j < P.npad; ++j) e[j] = -std::numeric_limits<T>::infinity();
}
// The loop both directions share: for each block of at most bi_max rows, its Gram block turned
// into e in g (the diagonal set to `diag`), then row(i, e) for each of its rows i in parallel,
// then block_done(i0, bi) with g still holding whatever row() left there.
template <class T, class Row, class BlockDone>
void for_each_e_block(const Packed<T>& P, int64_t bi_max, T diag, T* g, Row&& row, BlockDone&& block_done) {
  for (int64_t i0 = 0; i0 < P.n; i0 += bi_max) {
    const int64_t bi = std::min(bi_max, P.n - i0);
    gram_block(P, i0, bi, g);
    parallel_for(bi, 4, [&](int64_t r0, int64_t r1) {
      for (int64_t r = r0; r < r1; ++r) {
        T* e = g + r * P.npad;
        gram_to_e(P, i0 + r, e);
        e[i0 + r] = diag;
        row(i0 + r, e);
      }
    });
    block_done(i0, bi);
  }
}
}  // namespace kde_detail

// v2 GEMM forward: same contract as kde_forward.
template <class T>
double kde_forward_gemm(const T* x, int64_t n, int64_t d, double sigma, bool leave_one_out,
                        T* log_p, T* row_lse) {
  using namespace kde_detail;
  Packed<T> P(x, n, d, sigma, leave_one_out);
  const int64_t bi_max = gemm_row_block(n, sizeof(T));
  Buf<T> g(bi_max * P.npad);  // (bi, npad)
  for_each_e_block(
      P, bi_max, leave_one_out ? -std::numeric_limits<T>::infinity() : T(0), g.get(),
      [&](int64_t i, T* e) {
        double m = -std::numeric_limits<double>::infinity(), s = 0;
        lse_update(e, P.npad, m, s);
        row_lse[i] = T(m + std::log(s));
      },
      [](int64_t, int64_t) {});
  return finish_forward(n, d, sigma, leave_one_out, log_p, row_lse);
}

// v2 GEMM backward: same contract as kde_backward.
template <class T>
void kde_backward_gemm(const T* x, int64_t n, int64_t d, double sigma, bool leave_one_out,
                       const T* row_lse, T dH, T* dx) {
  using namespace kde_detail;
  constexpr int w = W<T>;
  Packed<T> P(x, n, d, sigma, leave_one_out);
  const Buf<T> lsep = padded_lse(row_lse, n, P.npad);
  const double scale = double(dH) / (double(n) * sigma * sigma);
  const int64_t bi_max = gemm_row_block(n, sizeof(T));
  Buf<T> g(bi_max * P.npad), prod(bi_max * d);  // (bi, npad), (bi, d)
  std::vector<double> s(static_cast<size_t>(bi_max));
  for_each_e_block(
      P, bi_max, -std::numeric_limits<T>::infinity(), g.get(),
      [&](int64_t i, T* e) {  // e becomes a_ij, the weight of x_j in dx_i
        const V<T> li = splat(lsep[i]);
        V<T> acc = splat(T(0));
        for (int64_t j = 0; j < P.npad; j += w) {
          const V<T> ev = load(e + j);
          const V<T> a = exp(ev - li) + exp(ev - load(lsep.get() + j));
          store(e + j, a);
          acc += a;
        }
        s[size_t(i % bi_max)] = double(hsum<T>(acc));
      },
      [&](int64_t i0, int64_t bi) {
        gemm<T>(false, false, bi, d, n, T(1), g.get(), P.npad, x, d, T(0), prod.get(), d);
        for (int64_t r = 0; r < bi; ++r)
          for (int64_t c = 0; c < d; ++c)
            dx[(i0 + r) * d + c] =
                T(scale * (double(x[(i0 + r) * d + c]) * s[size_t(r)] - double(prod[r * d + c])));
      });
}

}  // namespace entropic::cpu
