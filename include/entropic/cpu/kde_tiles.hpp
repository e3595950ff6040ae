// What the KDE passes of cpu/kde_forward.hpp, kde_backward.hpp and kde_gemm.hpp share: x
// packed in SIMD column blocks, the tiles of exponents (difference and dot forms), the online
// log-sum-exp, and the thresholds that choose between the passes. See cpu/kde.hpp for the maths.
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
#include "entropic/cpu/simd.hpp"
#include "entropic/cpu/aligned.hpp"

namespace entropic::cpu {
namespace kde_detail {

using namespace simd;  // the vector layer (cpu/simd.hpp); knn.hpp reaches it through here

template <class T>
using Buf = AlignedBuffer<T>;

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

// Lane bias of the last column blocks: 0 for j < n, -inf for padding (added to e).
template <class T>
V<T> tail_bias(int64_t jb, int64_t n) {
  T b[W<T>];
  for (int l = 0; l < W<T>; ++l)
    b[l] = jb * W<T> + l >= n ? -std::numeric_limits<T>::infinity() : T(0);
  return load(b);
}

template <class T>
Buf<T> padded_lse(const T* row_lse, int64_t n, int64_t npad) {
  Buf<T> l(npad);
  for (int64_t j = 0; j < npad; ++j) l[j] = j < n ? row_lse[j] : std::numeric_limits<T>::infinity();
  return l;
}

inline constexpr int64_t kSmallD = 8;  // up to here the difference form, above the dot form

// Calls f(std::integral_constant<int, d>) for 1 <= d <= kSmallD, so the difference form's
// loops over the coordinates unroll at compile time; returns false (f not called) above it.
template <class F>
bool with_small_d(int64_t d, F&& f) {
  if (d < 1 || d > kSmallD) return false;
  [&]<int... I>(std::integer_sequence<int, I...>) {
    ((d == I + 1 ? (f(std::integral_constant<int, I + 1>{}), 0) : 0), ...);
  }(std::make_integer_sequence<int, int(kSmallD)>{});
  return true;
}

}  // namespace kde_detail
}  // namespace entropic::cpu
