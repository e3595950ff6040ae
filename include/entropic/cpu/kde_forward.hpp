// The streaming KDE forward (v1): row blocks in parallel, an online log-sum-exp per row over
// column tiles; the small-d difference form, the large-d dot form, and the symmetric dot form
// with the self term. The maths and the version notes: cpu/kde.hpp.
#pragma once
#include <functional>
#include <mutex>

#include "entropic/cpu/kde_tiles.hpp"

namespace entropic::cpu {

// Progress of a long forward: called as (done, total) in work units the kernel chooses (rows,
// or blocks of rows), from whichever worker finished a unit while no other call is running, so
// the callee needs no lock; done never decreases, and (total, total) comes last, once. It must be
// cheap and must not throw.
using KdeProgress = std::function<void(int64_t done, int64_t total)>;

namespace kde_detail {

struct Ticker {
  const KdeProgress* fn;
  int64_t total;
  std::atomic<int64_t> done{0};
  std::mutex m;
  Ticker(const KdeProgress* f, int64_t t) : fn(f && *f ? f : nullptr), total(t) {}
  void add(int64_t units) {
    if (!fn) return;
    done.fetch_add(units);
    std::unique_lock<std::mutex> lock(m, std::try_to_lock);
    if (!lock.owns_lock()) return;
    const int64_t v = done.load();  // read under the lock: successive calls never go back
    if (v < total) (*fn)(v, total);
  }
  void finish() {
    if (fn) (*fn)(total, total);
  }
};

// Forward driver: rows in blocks of kRowBlock (parallel), column tiles, R-row micro-blocks.
template <class T, int R, class Fill>
void forward_stream(const Packed<T>& P, T* row_lse, bool dot, Fill&& fill, Ticker& tick) {
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
      tick.add(bi);
    }
  });
}

// Forward for small d with the self term included: e_ii = 0 is the row maximum, so
// sum_j exp(e_ij) lies in [1, n] and needs no running max or tile buffer (no overflow, and
// the 1 keeps it from underflowing). Lane sums are flushed to double every 64 blocks.
template <class T, int D, int R>
void forward_small_self(const Packed<T>& P, T* row_lse, Ticker& tick) {
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
      tick.add(R);
    }
  });
}

// Forward for large d with the self term included, using e_kj = e_jk: only 64 x 64 blocks
// J >= I are formed; each adds its row sums of exp(e) to the rows of I and, off the diagonal,
// its column sums to the rows of J. With the self term e_ii = 0 is each row's maximum, so the
// sums need no running max (they lie in [1, n]). Half the Gram entries and exps of
// forward_stream. Per-worker sums (double), combined at the end; pairs from a shared counter.
template <class T, int R>
void forward_dot_sym(const Packed<T>& P, T* row_lse, int workers, Ticker& tick) {
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
        tick.add(1);
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

}  // namespace kde_detail

// v1 streaming forward. Writes log_p[n] and row_lse[n] (saved for backward), returns H.
// Input is assumed valid (n >= 2, finite, sigma > 0): entropy/kde.hpp validates. progress, when
// given and non-empty, is told of finished rows (or, for d > 8 without leave-one-out, blocks).
template <class T>
double kde_forward(const T* x, int64_t n, int64_t d, double sigma, bool leave_one_out, T* log_p,
                   T* row_lse, const KdeProgress* progress = nullptr) {
  using namespace kde_detail;
  Packed<T> P(x, n, d, sigma, leave_one_out);
  const int64_t nb = (n + kRowBlock - 1) / kRowBlock;
  Ticker tick(progress, d > 8 && !leave_one_out ? nb * (nb + 1) / 2 : n);
  auto run_small = [&](auto dd) {
    constexpr int D = decltype(dd)::value;
    if (!leave_one_out) return forward_small_self<T, D, 4>(P, row_lse, tick);
    forward_stream<T, 4>(
        P, row_lse, false,
        [&](const int64_t* rows, const T*, const T*, int64_t j0, int64_t jn, T* buf, int64_t ldb) {
          fill_diff<T, D, 4>(P, rows, j0, jn, buf, ldb);
        },
        tick);
  };
  if (!with_small_d(d, run_small)) {
    if (!leave_one_out)
      forward_dot_sym<T, 8>(P, row_lse, num_threads(), tick);
    else
      forward_stream<T, 8>(
          P, row_lse, true,
          [&](const int64_t*, const T* rp, const T* sqi, int64_t j0, int64_t jn, T* buf, int64_t ldb) {
            fill_dot<T, 8>(P, rp, sqi, j0, jn, buf, ldb);
          },
          tick);
  }
  tick.finish();
  return finish_forward(n, d, sigma, leave_one_out, log_p, row_lse);
}

}  // namespace entropic::cpu
