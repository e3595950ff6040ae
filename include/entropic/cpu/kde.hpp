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
#include <atomic>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <new>
#include <numbers>
#include <type_traits>
#include <utility>
#include <vector>

#include "entropic/core/error.hpp"
#include "entropic/core/parallel.hpp"
#include "entropic/cpu/gemm.hpp"
#include "entropic/cpu/simd.hpp"

namespace entropic::cpu {

namespace kde_detail {

using namespace simd;  // the vector layer (cpu/simd.hpp); knn.hpp reaches it through here

// 64-byte aligned scratch.
template <class T>
class Buf {
 public:
  explicit Buf(int64_t n) {
    const size_t bytes = std::max<size_t>(64, ((size_t(n) * sizeof(T) + 63) / 64) * 64);
    p_ = static_cast<T*>(std::aligned_alloc(64, bytes));
    if (!p_) throw std::bad_alloc();
  }
  ~Buf() { std::free(p_); }
  Buf(Buf&& o) noexcept : p_(std::exchange(o.p_, nullptr)) {}
  Buf(const Buf&) = delete;
  Buf& operator=(const Buf&) = delete;
  T* get() const { return p_; }
  T& operator[](int64_t i) const { return p_[i]; }

 private:
  T* p_;
};

// Everything the passes share: x packed in column blocks of W columns, dimension-major
// (xb[(jb*d + c)*W + l] = x[jb*W + l][c], zero padded to npad, a multiple of 2W so the dot
// form's 2W-column tiles never run off the end), squared norms (dot form), and sizes.
template <class T>
struct Packed {
  static constexpr int w = W<T>;
  const T* x;
  int64_t n, d, nblk, npad;
  T neg_inv_2s2;
  bool loo;
  Buf<T> xb, sq;

  Packed(const T* x_, int64_t n_, int64_t d_, double sigma, bool loo_)
      : x(x_), n(n_), d(d_), nblk((n_ + 2 * w - 1) / (2 * w) * 2), npad(nblk * w),
        neg_inv_2s2(T(-0.5 / (sigma * sigma))), loo(loo_), xb(npad * d_), sq(npad) {
    parallel_for(nblk, 16, [&](int64_t b0, int64_t b1) {
      for (int64_t jb = b0; jb < b1; ++jb)
        for (int l = 0; l < w; ++l) {
          const int64_t j = jb * w + l;
          double s = 0;
          for (int64_t c = 0; c < d; ++c) {
            const T v = j < n ? x[j * d + c] : T(0);
            xb[(jb * d + c) * w + l] = v;
            s += double(v) * double(v);
          }
          sq[j] = T(s);
        }
    });
  }
  // Columns per tile: the tile's packed columns stay in L2 while a row block sweeps them.
  int64_t col_tile() const {
    const int64_t target = (int64_t(192) << 10) / (d * int64_t(sizeof(T)));
    return std::clamp<int64_t>(target / (2 * w) * (2 * w), 2 * w, 1024);
  }
};

inline constexpr int64_t kRowBlock = 64;  // rows per parallel work item (and per L2 reuse)

// Writes -inf into the tile's padding columns (j >= n) and into the diagonal when it is
// excluded (diag_value = -inf) or set exactly (diag_value = 0, the dot form's rounding).
template <class T, int R>
void fix_tile(const Packed<T>& P, const int64_t* rows, int rc, int64_t j0, int64_t jn, T* buf,
              int64_t ldb, bool fix_diag, T diag_value) {
  const T ninf = -std::numeric_limits<T>::infinity();
  if (j0 + jn > P.n)
    for (int r = 0; r < R; ++r)
      for (int64_t j = std::max(P.n, j0); j < j0 + jn; ++j) buf[r * ldb + (j - j0)] = ninf;
  if (fix_diag)
    for (int r = 0; r < rc; ++r)
      if (rows[r] >= j0 && rows[r] < j0 + jn) buf[r * ldb + (rows[r] - j0)] = diag_value;
}

// e for R rows x jn columns (jn a multiple of W) by differences: exact, for small d.
template <class T, int D, int R>
void fill_diff(const Packed<T>& P, const int64_t* rows, int64_t j0, int64_t jn, T* buf,
               int64_t ldb) {
  constexpr int w = W<T>;
  V<T> xi[R][D];
  for (int r = 0; r < R; ++r)
    for (int c = 0; c < D; ++c) xi[r][c] = splat(P.x[rows[r] * D + c]);
  const V<T> scale = splat(P.neg_inv_2s2);
  for (int64_t jj = 0; jj < jn; jj += w) {
    const T* blk = P.xb.get() + ((j0 + jj) / w) * D * w;  // (D, W)
    V<T> xj[D];
    for (int c = 0; c < D; ++c) xj[c] = load(blk + c * w);
    for (int r = 0; r < R; ++r) {
      V<T> diff = xi[r][0] - xj[0];
      V<T> acc = diff * diff;
      for (int c = 1; c < D; ++c) {
        diff = xi[r][c] - xj[c];
        acc = fmadd(diff, diff, acc);
      }
      store(buf + r * ldb + jj, acc * scale);
    }
  }
}

// e for R rows x jn columns (jn a multiple of 2W) by |x_i|^2 + |x_j|^2 - 2 x_i.x_j: an
// R x 2W register tile over the d loop. rp: the R rows packed dimension-major, (d, R).
template <class T, int R>
void fill_dot(const Packed<T>& P, const T* rp, const T* sqi, int64_t j0, int64_t jn, T* buf,
              int64_t ldb) {
  constexpr int w = W<T>;
  const int64_t d = P.d;
  const V<T> scale = splat(P.neg_inv_2s2), zero = splat(T(0)), two = splat(T(2));
  for (int64_t jj = 0; jj < jn; jj += 2 * w) {
    const T* b0 = P.xb.get() + ((j0 + jj) / w) * d * w;  // (d, W)
    const T* b1 = b0 + d * w;                              // (d, W)
    V<T> acc[R][2];
    for (int r = 0; r < R; ++r) acc[r][0] = acc[r][1] = zero;
    for (int64_t c = 0; c < d; ++c) {
      const V<T> v0 = load(b0 + c * w), v1 = load(b1 + c * w);
      for (int r = 0; r < R; ++r) {
        const V<T> a = splat(rp[c * R + r]);
        acc[r][0] = fmadd(a, v0, acc[r][0]);
        acc[r][1] = fmadd(a, v1, acc[r][1]);
      }
    }
    const V<T> sj0 = load(P.sq.get() + j0 + jj), sj1 = load(P.sq.get() + j0 + jj + w);
    for (int r = 0; r < R; ++r) {
      const V<T> si = splat(sqi[r]);
      store(buf + r * ldb + jj, vmax(fmadd(-two, acc[r][0], si + sj0), zero) * scale);
      store(buf + r * ldb + jj + w, vmax(fmadd(-two, acc[r][1], si + sj1), zero) * scale);
    }
  }
}

// Online log-sum-exp of one tile row into (m, s): s = sum exp(e - m).
template <class T>
void lse_update(const T* e, int64_t jn, double& m, double& s) {
  constexpr int w = W<T>;
  V<T> vm = splat(-std::numeric_limits<T>::infinity());
  for (int64_t jj = 0; jj < jn; jj += w) vm = vmax(vm, load(e + jj));
  const double mt = double(hmax<T>(vm));
  if (mt == -std::numeric_limits<double>::infinity()) return;  // nothing in this tile
  if (mt > m) {
    s *= std::exp(m - mt);
    m = mt;
  }
  const V<T> shift = splat(T(m));
  V<T> acc = splat(T(0));
  for (int64_t jj = 0; jj < jn; jj += w) acc += exp(load(e + jj) - shift);
  s += double(hsum<T>(acc));
}

template <class T>
void pack_rows(const Packed<T>& P, const int64_t* rows, int R, T* rp, T* sqi) {
  for (int r = 0; r < R; ++r) {
    sqi[r] = P.sq[rows[r]];
    for (int64_t c = 0; c < P.d; ++c) rp[c * R + r] = P.x[rows[r] * P.d + c];
  }
}

template <class T>
double finish_forward(int64_t n, int64_t d, double sigma, bool loo, T* log_p,
                      T* row_lse) {
  const double c = -std::log(double(loo ? n - 1 : n)) -
                   0.5 * double(d) * std::log(2 * std::numbers::pi * sigma * sigma);
  double h = 0;
  for (int64_t i = 0; i < n; ++i) {
    const double lp = double(row_lse[i]) + c;
    log_p[i] = T(lp);
    h -= lp;
  }
  return h / double(n);
}

// Forward driver: rows in blocks of kRowBlock (parallel), column tiles, R-row micro-blocks.
template <class T, int R, class Fill>
void forward_stream(const Packed<T>& P, T* row_lse, bool dot, Fill&& fill) {
  const int64_t n = P.n, bj = P.col_tile();
  const int64_t nrb = (n + kRowBlock - 1) / kRowBlock;
  parallel_for(nrb, 1, [&](int64_t b0, int64_t b1) {
    Buf<T> buf(R * bj);                                   // (R, bj)
    Buf<T> rp(kRowBlock * P.d), sqi(kRowBlock);  // (kRowBlock/R) x (d, R), used by the dot form
    double m[kRowBlock], s[kRowBlock];
    int64_t rows[kRowBlock + R];
    for (int64_t b = b0; b < b1; ++b) {
      const int64_t i0 = b * kRowBlock, bi = std::min(kRowBlock, n - i0);
      const int64_t bpad = (bi + R - 1) / R * R;
      for (int64_t r = 0; r < bpad; ++r) rows[r] = std::min(i0 + r, n - 1);
      for (int64_t r = 0; r < bi; ++r) m[r] = -std::numeric_limits<double>::infinity(), s[r] = 0;
      if (dot)
        for (int64_t r0 = 0; r0 < bpad; r0 += R)
          pack_rows(P, rows + r0, R, rp.get() + r0 * P.d, sqi.get() + r0);
      for (int64_t j0 = 0; j0 < P.npad; j0 += bj) {
        const int64_t jn = std::min(bj, P.npad - j0);
        for (int64_t r0 = 0; r0 < bpad; r0 += R) {
          const int rc = int(std::min<int64_t>(R, bi - r0));
          fill(rows + r0, rp.get() + r0 * P.d, sqi.get() + r0, j0, jn, buf.get(), bj);
          fix_tile<T, R>(P, rows + r0, rc, j0, jn, buf.get(), bj, P.loo || dot,
                         P.loo ? -std::numeric_limits<T>::infinity() : T(0));
          for (int r = 0; r < rc; ++r) lse_update(buf.get() + r * bj, jn, m[r0 + r], s[r0 + r]);
        }
      }
      for (int64_t r = 0; r < bi; ++r) row_lse[i0 + r] = T(m[r] + std::log(s[r]));
    }
  });
}

// Lane bias of the last column blocks: 0 for j < n, -inf for padding (added to e).
template <class T>
V<T> tail_bias(int64_t jb, int64_t n) {
  T b[W<T>];
  for (int l = 0; l < W<T>; ++l)
    b[l] = jb * W<T> + l >= n ? -std::numeric_limits<T>::infinity() : T(0);
  return load(b);
}

// Forward for small d with the self term included: e_ii = 0 is the row maximum, so
// sum_j exp(e_ij) lies in [1, n] and needs no running max or tile buffer (no overflow, and
// the 1 keeps it from underflowing). Lane sums are flushed to double every 64 blocks.
template <class T, int D, int R>
void forward_small_self(const Packed<T>& P, T* row_lse) {
  constexpr int w = W<T>;
  const int64_t n = P.n, nfull = n / w, nrb = (n + R - 1) / R;
  parallel_for(nrb, 16, [&](int64_t b0, int64_t b1) {
    for (int64_t b = b0; b < b1; ++b) {
      int64_t rows[R];
      for (int r = 0; r < R; ++r) rows[r] = std::min(b * R + r, n - 1);
      V<T> xi[R][D], acc[R];
      double s[R] = {};
      for (int r = 0; r < R; ++r) {
        acc[r] = splat(T(0));
        for (int c = 0; c < D; ++c) xi[r][c] = splat(P.x[rows[r] * D + c]);
      }
      const V<T> es = splat(P.neg_inv_2s2);
      auto step = [&](int64_t jb, V<T> bias) {
        const T* blk = P.xb.get() + jb * D * w;  // (D, W)
        V<T> xj[D];
        for (int c = 0; c < D; ++c) xj[c] = load(blk + c * w);
        for (int r = 0; r < R; ++r) {
          V<T> diff = xi[r][0] - xj[0];
          V<T> d2 = diff * diff;
          for (int c = 1; c < D; ++c) {
            diff = xi[r][c] - xj[c];
            d2 = fmadd(diff, diff, d2);
          }
          acc[r] += exp(fmadd(d2, es, bias));
        }
      };
      auto flush = [&] {
        for (int r = 0; r < R; ++r) s[r] += double(hsum<T>(acc[r])), acc[r] = splat(T(0));
      };
      const V<T> none = splat(T(0));
      for (int64_t jb = 0; jb < nfull; ++jb) {
        step(jb, none);
        if ((jb & 63) == 63) flush();
      }
      for (int64_t jb = nfull; jb < P.nblk; ++jb) step(jb, tail_bias<T>(jb, n));
      flush();
      for (int r = 0; r < R; ++r)
        if (b * R + r < n) row_lse[rows[r]] = T(std::log(s[r]));
    }
  });
}

// Backward for small d, fused in registers: dx_k = scale * sum_j a_kj (x_k - x_j) with
// a_kj = exp(e_kj - lse_k) + exp(e_kj - lse_j); padding lanes get e = -inf; the diagonal
// contributes a * 0. Factor: a_kj = exp(e_kj) (r_k + r_j) with r = exp(-lse), one exp per
// pair instead of two; used when every lse >= -20, so r <= e^20 cannot overflow and a term
// lost to exp(e) underflowing (e < -87) has weight below e^-67.
template <class T, int D, int R, bool Factor>
void backward_small(const Packed<T>& P, const T* lsep, const T* rp, T scale, T* dx) {
  constexpr int w = W<T>;
  const int64_t n = P.n, nfull = n / w;  // blocks without padding
  const int64_t nrb = (n + R - 1) / R;
  parallel_for(nrb, 16, [&](int64_t b0, int64_t b1) {
    for (int64_t b = b0; b < b1; ++b) {
      int64_t rows[R];
      for (int r = 0; r < R; ++r) rows[r] = std::min(b * R + r, n - 1);
      V<T> xi[R][D], li[R], g[R][D];
      for (int r = 0; r < R; ++r) {
        li[r] = splat(Factor ? rp[rows[r]] : lsep[rows[r]]);
        for (int c = 0; c < D; ++c) xi[r][c] = splat(P.x[rows[r] * D + c]), g[r][c] = splat(T(0));
      }
      const V<T> es = splat(P.neg_inv_2s2);
      auto step = [&](int64_t jb, V<T> bias) {
        const T* blk = P.xb.get() + jb * D * w;  // (D, W)
        V<T> xj[D];
        for (int c = 0; c < D; ++c) xj[c] = load(blk + c * w);
        const V<T> lj = load((Factor ? rp : lsep) + jb * w);
        for (int r = 0; r < R; ++r) {
          V<T> diff[D];
          V<T> acc = splat(T(0));
          for (int c = 0; c < D; ++c) {
            diff[c] = xi[r][c] - xj[c];
            acc = fmadd(diff[c], diff[c], acc);
          }
          const V<T> e = fmadd(acc, es, bias);
          V<T> a;
          if constexpr (Factor)
            a = exp(e) * (li[r] + lj);
          else
            a = exp(e - li[r]) + exp(e - lj);
          for (int c = 0; c < D; ++c) g[r][c] = fmadd(a, diff[c], g[r][c]);
        }
      };
      for (int64_t jb = 0; jb < nfull; ++jb) step(jb, splat(T(0)));
      for (int64_t jb = nfull; jb < P.nblk; ++jb) step(jb, tail_bias<T>(jb, n));
      for (int r = 0; r < R; ++r)
        if (b * R + r < n)
          for (int c = 0; c < D; ++c) dx[rows[r] * D + c] = scale * hsum<T>(g[r][c]);
    }
  });
}

// Backward for large d: a tile of e by the dot form, a = exp(e - lse_k) + exp(e - lse_j)
// (diagonal and padding set to 0), then G_k += sum_j a_kj x_j as an R x 2W register tile
// over the tile's rows of x (row-major, d padded to dpad), and dx_k = scale (x_k s_k - G_k).
template <class T, int R>
void backward_dot(const Packed<T>& P, const T* lsep, T scale, T* dx) {
  constexpr int w = W<T>;
  const int64_t n = P.n, d = P.d, bj = P.col_tile();
  const int64_t dpad = (d + 2 * w - 1) / (2 * w) * (2 * w);
  Buf<T> xr(P.npad * dpad);  // (npad, dpad), zero padded
  parallel_for(P.npad, 64, [&](int64_t j0, int64_t j1) {
    for (int64_t j = j0; j < j1; ++j)
      for (int64_t c = 0; c < dpad; ++c) xr[j * dpad + c] = (j < n && c < d) ? P.x[j * d + c] : T(0);
  });
  const int64_t nrb = (n + kRowBlock - 1) / kRowBlock;
  parallel_for(nrb, 1, [&](int64_t b0, int64_t b1) {
    Buf<T> buf(R * bj), rp(kRowBlock * d), sqi(kRowBlock), gacc(kRowBlock * dpad);
    double s[kRowBlock];
    int64_t rows[kRowBlock + R];
    for (int64_t b = b0; b < b1; ++b) {
      const int64_t i0 = b * kRowBlock, bi = std::min(kRowBlock, n - i0);
      const int64_t bpad = (bi + R - 1) / R * R;
      for (int64_t r = 0; r < bpad; ++r) rows[r] = std::min(i0 + r, n - 1), s[r] = 0;
      std::fill(gacc.get(), gacc.get() + kRowBlock * dpad, T(0));
      for (int64_t r0 = 0; r0 < bpad; r0 += R)
        pack_rows(P, rows + r0, R, rp.get() + r0 * d, sqi.get() + r0);
      for (int64_t j0 = 0; j0 < P.npad; j0 += bj) {
        const int64_t jn = std::min(bj, P.npad - j0);
        for (int64_t r0 = 0; r0 < bpad; r0 += R) {
          T* e = buf.get();  // (R, bj)
          fill_dot<T, R>(P, rp.get() + r0 * d, sqi.get() + r0, j0, jn, e, bj);
          fix_tile<T, R>(P, rows + r0, R, j0, jn, e, bj, true, -std::numeric_limits<T>::infinity());
          for (int r = 0; r < R; ++r) {
            const V<T> li = splat(lsep[rows[r0 + r]]);
            V<T> sacc = splat(T(0));
            for (int64_t jj = 0; jj < jn; jj += w) {
              const V<T> ev = load(e + r * bj + jj);
              const V<T> a = exp(ev - li) + exp(ev - load(lsep + j0 + jj));
              store(e + r * bj + jj, a);
              sacc += a;
            }
            s[r0 + r] += double(hsum<T>(sacc));
          }
          for (int64_t c0 = 0; c0 < dpad; c0 += 2 * w) {
            V<T> acc[R][2];
            for (int r = 0; r < R; ++r) {
              acc[r][0] = load(gacc.get() + (r0 + r) * dpad + c0);
              acc[r][1] = load(gacc.get() + (r0 + r) * dpad + c0 + w);
            }
            for (int64_t jj = 0; jj < jn; ++jj) {
              const T* xj = xr.get() + (j0 + jj) * dpad + c0;
              const V<T> v0 = load(xj), v1 = load(xj + w);
              for (int r = 0; r < R; ++r) {
                const V<T> a = splat(e[r * bj + jj]);
                acc[r][0] = fmadd(a, v0, acc[r][0]);
                acc[r][1] = fmadd(a, v1, acc[r][1]);
              }
            }
            for (int r = 0; r < R; ++r) {
              store(gacc.get() + (r0 + r) * dpad + c0, acc[r][0]);
              store(gacc.get() + (r0 + r) * dpad + c0 + w, acc[r][1]);
            }
          }
        }
      }
      for (int64_t r = 0; r < bi; ++r)
        for (int64_t c = 0; c < d; ++c)
          dx[(i0 + r) * d + c] =
              scale * T(double(P.x[(i0 + r) * d + c]) * s[r] - double(gacc[r * dpad + c]));
    }
  });
}

// out[r][c0, c0 + 2W) += sum_k a[k * sk + r * sr] xrow_k[c0, c0 + 2W) for r < R, every c0 of
// dpad: an R x 2W register tile over kn rows of x (xk: row k at xk + k * dpad). out: (R, dpad).
template <class T, int R>
void accumulate_ax(const T* a, int64_t sr, int64_t sk, int64_t kn, const T* xk, int64_t dpad, T* out) {
  constexpr int w = W<T>;
  for (int64_t c0 = 0; c0 < dpad; c0 += 2 * w) {
    V<T> acc[R][2];
    for (int r = 0; r < R; ++r) acc[r][0] = load(out + r * dpad + c0), acc[r][1] = load(out + r * dpad + c0 + w);
    for (int64_t k = 0; k < kn; ++k) {
      const V<T> v0 = load(xk + k * dpad + c0), v1 = load(xk + k * dpad + c0 + w);
      for (int r = 0; r < R; ++r) {
        const V<T> s = splat(a[k * sk + r * sr]);
        acc[r][0] = fmadd(s, v0, acc[r][0]);
        acc[r][1] = fmadd(s, v1, acc[r][1]);
      }
    }
    for (int r = 0; r < R; ++r) store(out + r * dpad + c0, acc[r][0]), store(out + r * dpad + c0 + w, acc[r][1]);
  }
}

// Backward for large d using a_kj = a_jk: only blocks J >= I of 64 x 64 are formed (the Gram
// entries and exps of backward_dot, halved); each adds A X_J to G_I and, off the diagonal,
// A^T X_I to G_J. Rows of G are written by every block pair, so each worker accumulates into
// its own G (N64, dpad) and s (N64), summed at the end; workers take block pairs in order
// from a shared counter (row-block major, so X_I stays in L2 across consecutive pairs).
template <class T, int R>
void backward_dot_sym(const Packed<T>& P, const T* lsep, T scale, T* dx, int workers) {
  constexpr int64_t B = kRowBlock;
  static_assert(B % R == 0 && B % (2 * W<T>) == 0);
  const int64_t n = P.n, d = P.d, nb = (n + B - 1) / B, N64 = nb * B;
  const int64_t dpad = (d + 2 * W<T> - 1) / (2 * W<T>) * (2 * W<T>);
  Buf<T> xr(N64 * dpad);  // (N64, dpad), zero padded
  parallel_for(N64, 64, [&](int64_t j0, int64_t j1) {
    for (int64_t j = j0; j < j1; ++j)
      for (int64_t c = 0; c < dpad; ++c) xr[j * dpad + c] = (j < n && c < d) ? P.x[j * d + c] : T(0);
  });
  const int64_t npairs = nb * (nb + 1) / 2;
  std::vector<Buf<T>> G;
  std::vector<std::vector<double>> S(static_cast<size_t>(workers), std::vector<double>(static_cast<size_t>(N64), 0.0));
  for (int t = 0; t < workers; ++t) {
    G.emplace_back(N64 * dpad);
    std::fill(G.back().get(), G.back().get() + N64 * dpad, T(0));
  }
  std::atomic<int64_t> next{0};
  parallel_for(workers, 1, [&](int64_t t0, int64_t t1) {
    for (int64_t t = t0; t < t1; ++t) {
      T* g = G[size_t(t)].get();
      double* s = S[size_t(t)].data();
      Buf<T> e(B * B), rp(B * d), sqi(B);  // e: (B rows of I, B columns of J)
      int64_t rows[B];
      int64_t I = 0, J = 0, done = 0;  // pair index -> (I, J), walked forward
      for (int64_t p = next++; p < npairs; p = next++) {
        while (done + (nb - I) <= p) done += nb - I, ++I;
        J = I + (p - done);
        const int64_t i0 = I * B, bi = std::min(B, n - i0), j0 = J * B, jn = std::min(B, P.npad - j0);
        for (int64_t r = 0; r < B; ++r) rows[r] = std::min(i0 + r, n - 1);
        for (int64_t r0 = 0; r0 < B; r0 += R) {
          pack_rows(P, rows + r0, R, rp.get() + r0 * d, sqi.get() + r0);
          T* er = e.get() + r0 * B;  // (R, B)
          fill_dot<T, R>(P, rp.get() + r0 * d, sqi.get() + r0, j0, jn, er, B);
          fix_tile<T, R>(P, rows + r0, R, j0, jn, er, B, I == J, -std::numeric_limits<T>::infinity());
          for (int r = 0; r < R; ++r) {
            T* ar = er + r * B;
            if (r0 + r >= bi) {  // padding rows (clamped to n - 1 above) add nothing
              std::fill(ar, ar + B, T(0));
              continue;
            }
            const V<T> li = splat(lsep[rows[r0 + r]]);
            V<T> sacc = splat(T(0));
            for (int64_t jj = 0; jj < jn; jj += W<T>) {
              const V<T> ev = load(ar + jj);
              const V<T> a = exp(ev - li) + exp(ev - load(lsep + j0 + jj));
              store(ar + jj, a);
              sacc += a;
            }
            std::fill(ar + jn, ar + B, T(0));
            s[i0 + r0 + r] += double(hsum<T>(sacc));
          }
        }
        for (int64_t r0 = 0; r0 < B; r0 += R)  // G_I += A X_J
          accumulate_ax<T, R>(e.get() + r0 * B, B, 1, jn, xr.get() + j0 * dpad, dpad, g + (i0 + r0) * dpad);
        if (I == J) continue;
        for (int64_t c0 = 0; c0 < jn; c0 += R) {  // G_J += A^T X_I, s_J += column sums
          accumulate_ax<T, R>(e.get() + c0, 1, B, B, xr.get() + i0 * dpad, dpad, g + (j0 + c0) * dpad);
          for (int r = 0; r < R; ++r) {
            double cs = 0;
            for (int64_t i = 0; i < B; ++i) cs += double(e[i * B + c0 + r]);
            s[j0 + c0 + r] += cs;
          }
        }
      }
    }
  });
  parallel_for(n, 16, [&](int64_t k0, int64_t k1) {
    for (int64_t k = k0; k < k1; ++k) {
      double sk = 0;
      for (int t = 0; t < workers; ++t) sk += S[size_t(t)][size_t(k)];
      for (int64_t c = 0; c < d; ++c) {
        double gk = 0;
        for (int t = 0; t < workers; ++t) gk += double(G[size_t(t)][k * dpad + c]);
        dx[k * d + c] = scale * T(double(P.x[k * d + c]) * sk - gk);
      }
    }
  });
}

// Forward for large d with the self term included, using e_kj = e_jk: only 64 x 64 blocks
// J >= I are formed; each adds its row sums of exp(e) to the rows of I and, off the diagonal,
// its column sums to the rows of J. With the self term e_ii = 0 is each row's maximum, so the
// sums need no running max (they lie in [1, n]). Half the Gram entries and exps of
// forward_stream. Per-worker sums (double), combined at the end; pairs from a shared counter.
template <class T, int R>
void forward_dot_sym(const Packed<T>& P, T* row_lse, int workers) {
  constexpr int64_t B = kRowBlock;
  constexpr int w = W<T>;
  static_assert(B % R == 0 && B % (2 * w) == 0);
  const int64_t n = P.n, d = P.d, nb = (n + B - 1) / B, N64 = nb * B;
  const int64_t npairs = nb * (nb + 1) / 2;
  std::vector<std::vector<double>> S(static_cast<size_t>(workers), std::vector<double>(static_cast<size_t>(N64), 0.0));
  std::atomic<int64_t> next{0};
  parallel_for(workers, 1, [&](int64_t t0, int64_t t1) {
    for (int64_t t = t0; t < t1; ++t) {
      double* s = S[size_t(t)].data();
      Buf<T> e(R * B), rp(B * d), sqi(B);  // e: (R rows of I, B columns of J)
      int64_t rows[B];
      int64_t I = 0, done = 0;
      for (int64_t p = next++; p < npairs; p = next++) {
        while (done + (nb - I) <= p) done += nb - I, ++I;
        const int64_t J = I + (p - done);
        const int64_t i0 = I * B, bi = std::min(B, n - i0), j0 = J * B, jn = std::min(B, P.npad - j0);
        for (int64_t r = 0; r < B; ++r) rows[r] = std::min(i0 + r, n - 1);
        V<T> csum[B / w];
        for (auto& c : csum) c = splat(T(0));
        for (int64_t r0 = 0; r0 < bi; r0 += R) {
          pack_rows(P, rows + r0, R, rp.get() + r0 * d, sqi.get() + r0);
          fill_dot<T, R>(P, rp.get() + r0 * d, sqi.get() + r0, j0, jn, e.get(), B);
          fix_tile<T, R>(P, rows + r0, R, j0, jn, e.get(), B, I == J, T(0));
          const int rc = int(std::min<int64_t>(R, bi - r0));  // padding rows add nothing
          for (int r = 0; r < rc; ++r) {
            const T* er = e.get() + r * B;
            V<T> sacc = splat(T(0));
            for (int64_t jj = 0; jj < jn; jj += w) {
              const V<T> a = exp(load(er + jj));
              sacc += a;
              csum[jj / w] += a;
            }
            s[i0 + r0 + r] += double(hsum<T>(sacc));
          }
        }
        if (I == J) continue;
        for (int64_t jj = 0; jj < jn; jj += w)
          for (int l = 0; l < w; ++l) s[j0 + jj + l] += double(lane<T>(csum[jj / w], l));
      }
    }
  });
  parallel_for(n, 256, [&](int64_t k0, int64_t k1) {
    for (int64_t k = k0; k < k1; ++k) {
      double sk = 0;
      for (int t = 0; t < workers; ++t) sk += S[size_t(t)][size_t(k)];
      row_lse[k] = T(std::log(sk));
    }
  });
}

// Scratch of backward_dot_sym: one G (N64, dpad) per worker.
template <class T>
int64_t sym_scratch_bytes(int64_t n, int64_t d, int workers) {
  const int64_t dpad = (d + 2 * W<T> - 1) / (2 * W<T>) * (2 * W<T>);
  return int64_t(workers) * ((n + kRowBlock - 1) / kRowBlock * kRowBlock) * dpad * int64_t(sizeof(T));
}
inline constexpr int64_t kSymScratchMax = int64_t(256) << 20;  // above, backward_dot (no scratch)

template <class T>
Buf<T> padded_lse(const T* row_lse, int64_t n, int64_t npad) {
  Buf<T> l(npad);
  for (int64_t j = 0; j < npad; ++j) l[j] = j < n ? row_lse[j] : std::numeric_limits<T>::infinity();
  return l;
}

inline constexpr int64_t kSmallD = 8;  // up to here the difference form, above the dot form

}  // namespace kde_detail

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

// v1 streaming forward. Writes log_p[n] and row_lse[n] (saved for backward), returns H.
// Input is assumed valid (n >= 2, finite, sigma > 0): entropy/kde.hpp validates.
template <class T>
double kde_forward(const T* x, int64_t n, int64_t d, double sigma, bool leave_one_out, T* log_p,
                   T* row_lse) {
  using namespace kde_detail;
  Packed<T> P(x, n, d, sigma, leave_one_out);
  auto run_small = [&](auto dd) {
    constexpr int D = decltype(dd)::value;
    if (!leave_one_out) return forward_small_self<T, D, 4>(P, row_lse);
    forward_stream<T, 4>(P, row_lse, false,
                         [&](const int64_t* rows, const T*, const T*, int64_t j0, int64_t jn,
                             T* buf, int64_t ldb) { fill_diff<T, D, 4>(P, rows, j0, jn, buf, ldb); });
  };
  switch (d) {
    case 1: run_small(std::integral_constant<int, 1>{}); break;
    case 2: run_small(std::integral_constant<int, 2>{}); break;
    case 3: run_small(std::integral_constant<int, 3>{}); break;
    case 4: run_small(std::integral_constant<int, 4>{}); break;
    case 5: run_small(std::integral_constant<int, 5>{}); break;
    case 6: run_small(std::integral_constant<int, 6>{}); break;
    case 7: run_small(std::integral_constant<int, 7>{}); break;
    case 8: run_small(std::integral_constant<int, 8>{}); break;
    default:
      if (!leave_one_out) {
        forward_dot_sym<T, 8>(P, row_lse, num_threads());
        break;
      }
      forward_stream<T, 8>(P, row_lse, true,
                           [&](const int64_t*, const T* rp, const T* sqi, int64_t j0, int64_t jn,
                               T* buf, int64_t ldb) { fill_dot<T, 8>(P, rp, sqi, j0, jn, buf, ldb); });
  }
  return finish_forward(n, d, sigma, leave_one_out, log_p, row_lse);
}

// v1 streaming backward: dx[n, d] = dH * dH/dx (overwritten), from the forward's row_lse.
template <class T>
void kde_backward(const T* x, int64_t n, int64_t d, double sigma, bool leave_one_out,
                  const T* row_lse, T dH, T* dx) {
  using namespace kde_detail;
  Packed<T> P(x, n, d, sigma, leave_one_out);
  const Buf<T> lsep = padded_lse(row_lse, n, P.npad);
  const T scale = T(double(dH) / (double(n) * sigma * sigma));
  const bool factor = *std::min_element(row_lse, row_lse + n) >= T(-20);
  Buf<T> r(factor ? P.npad : 1);  // exp(-lse), 0 for padding
  if (factor)
    for (int64_t j = 0; j < P.npad; ++j) r[j] = j < n ? T(std::exp(-double(row_lse[j]))) : T(0);
  auto run_small = [&](auto dd) {
    if (factor)
      backward_small<T, decltype(dd)::value, 4, true>(P, lsep.get(), r.get(), scale, dx);
    else
      backward_small<T, decltype(dd)::value, 4, false>(P, lsep.get(), r.get(), scale, dx);
  };
  switch (d) {
    case 1: run_small(std::integral_constant<int, 1>{}); break;
    case 2: run_small(std::integral_constant<int, 2>{}); break;
    case 3: run_small(std::integral_constant<int, 3>{}); break;
    case 4: run_small(std::integral_constant<int, 4>{}); break;
    case 5: run_small(std::integral_constant<int, 5>{}); break;
    case 6: run_small(std::integral_constant<int, 6>{}); break;
    case 7: run_small(std::integral_constant<int, 7>{}); break;
    case 8: run_small(std::integral_constant<int, 8>{}); break;
    default:
      if (sym_scratch_bytes<T>(n, d, num_threads()) <= kSymScratchMax)
        backward_dot_sym<T, 8>(P, lsep.get(), scale, dx, num_threads());
      else
        backward_dot<T, 8>(P, lsep.get(), scale, dx);
  }
}

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
}  // namespace kde_detail

// v2 GEMM forward: same contract as kde_forward.
template <class T>
double kde_forward_gemm(const T* x, int64_t n, int64_t d, double sigma, bool leave_one_out,
                        T* log_p, T* row_lse) {
  using namespace kde_detail;
  Packed<T> P(x, n, d, sigma, leave_one_out);
  const int64_t bi_max = gemm_row_block(n, sizeof(T));
  Buf<T> g(bi_max * P.npad);  // (bi, npad)
  for (int64_t i0 = 0; i0 < n; i0 += bi_max) {
    const int64_t bi = std::min(bi_max, n - i0);
    gram_block(P, i0, bi, g.get());
    parallel_for(bi, 4, [&](int64_t r0, int64_t r1) {
      for (int64_t r = r0; r < r1; ++r) {
        T* e = g.get() + r * P.npad;
        gram_to_e(P, i0 + r, e);
        e[i0 + r] = leave_one_out ? -std::numeric_limits<T>::infinity() : T(0);
        double m = -std::numeric_limits<double>::infinity(), s = 0;
        lse_update(e, P.npad, m, s);
        row_lse[i0 + r] = T(m + std::log(s));
      }
    });
  }
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
  for (int64_t i0 = 0; i0 < n; i0 += bi_max) {
    const int64_t bi = std::min(bi_max, n - i0);
    gram_block(P, i0, bi, g.get());
    parallel_for(bi, 4, [&](int64_t r0, int64_t r1) {
      for (int64_t r = r0; r < r1; ++r) {
        T* e = g.get() + r * P.npad;
        gram_to_e(P, i0 + r, e);
        e[i0 + r] = -std::numeric_limits<T>::infinity();
        const V<T> li = splat(lsep[i0 + r]);
        V<T> acc = splat(T(0));
        for (int64_t j = 0; j < P.npad; j += w) {
          const V<T> ev = load(e + j);
          const V<T> a = exp(ev - li) + exp(ev - load(lsep.get() + j));
          store(e + j, a);
          acc += a;
        }
        s[size_t(r)] = double(hsum<T>(acc));
      }
    });
    gemm<T>(false, false, bi, d, n, T(1), g.get(), P.npad, x, d, T(0), prod.get(), d);
    for (int64_t r = 0; r < bi; ++r)
      for (int64_t c = 0; c < d; ++c)
        dx[(i0 + r) * d + c] =
            T(scale * (double(x[(i0 + r) * d + c]) * s[size_t(r)] - double(prod[r * d + c])));
  }
}

}  // namespace entropic::cpu
