// The streaming KDE backward (v1): a second pass with the forward's row_lse; the small-d pass
// fused in registers, the large-d dot form, and the symmetric form that forms each block pair
// once. The maths and the version notes: cpu/kde.hpp.
#pragma once
#include "entropic/cpu/kde_tiles.hpp"

namespace entropic::cpu {
namespace kde_detail {

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

// Scratch of backward_dot_sym: one G (N64, dpad) per worker.
template <class T>
int64_t sym_scratch_bytes(int64_t n, int64_t d, int workers) {
  const int64_t dpad = (d + 2 * W<T> - 1) / (2 * W<T>) * (2 * W<T>);
  return int64_t(workers) * ((n + kRowBlock - 1) / kRowBlock * kRowBlock) * dpad * int64_t(sizeof(T));
}
inline constexpr int64_t kSymScratchMax = int64_t(256) << 20;  // above, backward_dot (no scratch)

}  // namespace kde_detail

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
  if (!with_small_d(d, run_small)) {
    if (sym_scratch_bytes<T>(n, d, num_threads()) <= kSymScratchMax)
      backward_dot_sym<T, 8>(P, lsep.get(), scale, dx, num_threads());
    else
      backward_dot<T, 8>(P, lsep.get(), scale, dx);
  }
}

}  // namespace entropic::cpu
