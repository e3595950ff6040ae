// Approximate Gaussian kernel sums for d <= 2 on a grid of cells of side sigma, with a
// per-sample error bound that is checked, not assumed (the fast path of the approximate KDE;
// cpu::KdTree::kernel_sums is the path for d >= 3).
//
// For a cell with centre c and a sample x, u = (x - c) / sigma, and each source y in the cell,
// v = (y - c) / sigma with |v| <= rho (the largest |v| in any cell, about sqrt(d) / 2):
//   exp(-|x - y|^2 / (2 sigma^2)) = exp(-|u|^2 / 2) exp(-|v|^2 / 2) exp(u . v),
// and exp(u . v) truncated after the terms of total degree < p leaves at most
// |u . v|^p / p! e^{|u . v|} <= (|u| rho)^p / p! e^{|u| rho}. So a cell's kernel sum is the
// polynomial sum_alpha u^alpha M_alpha times exp(-|u|^2 / 2), with the cell's moments
// M_alpha = sum_y exp(-|v|^2 / 2) v^alpha / alpha! computed once, and its error is at most
// count B(|u|), B(r) = exp(-r^2 / 2 + r rho) ((r rho)^p / p! + rounding); B is read from a table
// of its supremum over bins of r^2. The cells are visited nearest first (by the gap between
// the cell boxes); the sources not yet visited are all at least that gap g away, so they add at
// most (their count) exp(-g^2 / 2), and a sample's search stops once that is below rtol / 4 of
// its sum. Each sample ends with an estimate S and a bound E on |S - exact| (truncation, the
// unvisited rest, 1e-12 S for rounding); when E > rtol (S - E) the sample's sum is recomputed
// exactly over all n samples instead (isolated samples, leave-one-out). So every returned sum
// is within relative rtol of the exact one, whatever the data.
//
// Work: a sample costs (cells within ~sqrt(2 log(n / (rtol L))) sigma) x p (p + 1) / 2 fused
// multiply-adds, L its kernel sum, p ~ 13 at rtol 1e-4: independent of how many samples those
// cells hold, where the exact sum and the tree cost a kernel per sample within that radius.
#pragma once
#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <limits>
#include <numeric>
#include <utility>
#include <vector>

#include "entropic/core/parallel.hpp"
#include "entropic/cpu/kdtree.hpp"
#include "entropic/cpu/simd.hpp"

namespace entropic::cpu {

namespace kde_grid_detail {
inline constexpr int kMaxOrder = 24;
inline constexpr double kBinsPerUnit = 16.0;  // bins of r^2 in the bound table

// sup over r in [rl, rh] of exp(-r^2/2 + r rho) (r rho)^p / p! and of exp(-r^2/2 + r rho) c:
// both are log-concave in r, so each supremum is at its maximiser clamped to the interval.
inline double bound_sup(double rl, double rh, double rho, int p, double c) {
  const double lgp = std::lgamma(double(p) + 1.0);
  auto t1 = [&](double r) { return r <= 0 ? 0.0 : std::exp(-0.5 * r * r + r * rho + p * std::log(r * rho) - lgp); };
  auto t2 = [&](double r) { return std::exp(-0.5 * r * r + r * rho) * c; };
  const double m1 = 0.5 * (rho + std::sqrt(rho * rho + 4.0 * p)), m2 = rho;
  return t1(std::clamp(m1, rl, rh)) + t2(std::clamp(m2, rl, rh));
}

// The order the sampler uses: the smallest p whose truncation, summed over a uniform density of
// sources, is below rtol / 16 of their kernel sum (in d = 2). Only speed depends on it: a
// sample whose bound does not meet rtol is summed exactly.
inline int choose_order(double rho, double rtol) {
  for (int p = 2; p < kMaxOrder; ++p) {
    double num = 0, den = 0;
    for (int i = 1; i < 4000; ++i) {
      const double r = i * 0.005;
      num += r * std::exp(-0.5 * r * r + r * rho + p * std::log(r * rho) - std::lgamma(p + 1.0));
      den += r * std::exp(-0.5 * r * r);
    }
    if (num <= den * rtol / 16) return p;
  }
  return kMaxOrder;
}
// One source cell's expansion at a sample cell's ntp samples (offsets u1, u2 from their own
// cell's centre; the source centre is off1, off2 further), P = the order, known at compile time
// so the P partial sums stay in registers: S += exp(-|u|^2 / 2) sum_a u^a M_a, E += count B(|u|).
template <int P>
void eval_cell(const double* u1, const double* u2, int64_t ntp, double off1, double off2, const double* m0,
               double count, const double* table, int64_t nbins, double* S, double* E) {
  using D = simd::V<double>;
  constexpr int W = simd::W<double>;
  if constexpr (P >= 1) {
    for (int64_t tb = 0; tb < ntp; tb += W) {
      const D v1 = simd::load(u1 + tb) - simd::splat(off1), v2 = simd::load(u2 + tb) - simd::splat(off2);
      const D r2 = v1 * v1 + v2 * v2;
      const D g = simd::exp(r2 * simd::splat(-0.5));
      D pw[P], q[P];
      pw[0] = simd::splat(1.0);
#pragma GCC unroll 32
      for (int b = 1; b < P; ++b) pw[b] = pw[b - 1] * v2;
#pragma GCC unroll 32
      for (int i = 0; i < P; ++i) q[i] = simd::splat(0.0);
#pragma GCC unroll 32
      for (int b = 0; b < P; ++b) {
        const double* mb = m0 + b * P - b * (b - 1) / 2;  // row b of the moments: P - b entries
#pragma GCC unroll 32
        for (int i = 0; i < P - b; ++i) q[i] = simd::fmadd(simd::splat(mb[i]), pw[b], q[i]);
      }
      D res = q[P - 1];
#pragma GCC unroll 32
      for (int i = P - 2; i >= 0; --i) res = simd::fmadd(res, v1, q[i]);
      simd::store(S + tb, simd::load(S + tb) + g * res);
      for (int l = 0; l < W; ++l) {
        const int64_t bin = std::min<int64_t>(int64_t(r2[l] * kBinsPerUnit), nbins);
        E[tb + l] += count * table[bin];
      }
    }
  }
}
using EvalCell = void (*)(const double*, const double*, int64_t, double, double, const double*, double, const double*,
                          int64_t, double*, double*);
template <int... P>
std::vector<EvalCell> cell_evaluators(std::integer_sequence<int, P...>) {
  return {&eval_cell<P>...};
}
}  // namespace kde_grid_detail

// sums[i] (sample order) = sum over j (j != i with leave_one_out) of exp(-|x_i - x_j|^2 /
// (2 sigma^2)), each within relative rtol of exact (0 < rtol < 1). x [n, d], d = 1 or 2,
// finite. Returns false, with nothing written, when the grid does not apply (d > 2, a spread of
// more than 2^30 sigma, or cells so sparse that their moments would outgrow the samples:
// more than max(2^22, 16 n) doubles at the largest order); the caller then uses the tree. stats: nodes = (sample cell,
// source cell) pairs expanded, points = samples times cells expanded plus the kernels of the
// exact recomputations, exact = samples recomputed exactly.
template <class T>
bool kde_kernel_sums_grid(const T* x, int64_t n, int64_t d, double sigma, bool leave_one_out, double rtol,
                          double* sums, KdTreeStats* stats = nullptr) {
  using namespace kde_grid_detail;
  if (d < 1 || d > 2 || n < 1) return false;
  const double h = 1.0;  // cell side in units of sigma
  const double s = h * sigma, inv_sigma = 1.0 / sigma;
  double lo[2] = {0, 0}, hi[2] = {0, 0};
  for (int64_t c = 0; c < d; ++c) {
    lo[c] = hi[c] = double(x[c]);
    for (int64_t i = 1; i < n; ++i) {
      lo[c] = std::min(lo[c], double(x[i * d + c]));
      hi[c] = std::max(hi[c], double(x[i * d + c]));
    }
    if (!((hi[c] - lo[c]) / s < double(int64_t(1) << 30))) return false;
  }
  // Cell coordinates, the samples sorted by cell (row-major key), the cells and their centres.
  auto cell_of = [&](int64_t i, int64_t c) { return int64_t(std::floor((double(x[i * d + c]) - lo[c]) / s)); };
  std::vector<uint64_t> key(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i)
    key[size_t(i)] = (uint64_t(cell_of(i, 0)) << 32) | uint64_t(d > 1 ? cell_of(i, 1) : 0);
  std::vector<int64_t> order(static_cast<size_t>(n));
  std::iota(order.begin(), order.end(), int64_t(0));
  std::sort(order.begin(), order.end(), [&](int64_t a, int64_t b) {
    return key[size_t(a)] < key[size_t(b)] || (key[size_t(a)] == key[size_t(b)] && a < b);
  });
  std::vector<uint64_t> ckey;
  std::vector<int64_t> cbeg;
  for (int64_t r = 0; r < n; ++r)
    if (r == 0 || key[size_t(order[size_t(r)])] != ckey.back()) {
      ckey.push_back(key[size_t(order[size_t(r)])]);
      cbeg.push_back(r);
    }
  const int64_t ncell = int64_t(ckey.size());
  cbeg.push_back(n);
  // Sparse cells (sigma far below the spacing: most samples alone in theirs) would make the
  // moments (ncell p (p + 1) / 2 doubles, up to p = kMaxOrder) outgrow the samples; the tree is
  // fast there (few kernels within reach of a sample), so leave it to the tree.
  if (double(ncell) * double(kMaxOrder) * (kMaxOrder + 1) / 2 > std::max(double(int64_t(1) << 22), 16.0 * double(n)))
    return false;
  std::vector<double> centre(size_t(ncell * 2), 0.0);
  for (int64_t k = 0; k < ncell; ++k) {
    centre[size_t(2 * k)] = lo[0] + (double(ckey[size_t(k)] >> 32) + 0.5) * s;
    centre[size_t(2 * k + 1)] = d > 1 ? lo[1] + (double(ckey[size_t(k)] & 0xffffffffu) + 0.5) * s : 0.0;
  }
  // The samples in cell order, each relative to its cell's centre in units of sigma; rho.
  std::vector<double> rel(size_t(n * 2), 0.0);
  double rho = 0;
  for (int64_t k = 0; k < ncell; ++k)
    for (int64_t r = cbeg[size_t(k)]; r < cbeg[size_t(k + 1)]; ++r) {
      const int64_t i = order[size_t(r)];
      for (int64_t c = 0; c < d; ++c) rel[size_t(2 * r + c)] = (double(x[i * d + c]) - centre[size_t(2 * k + c)]) * inv_sigma;
      rho = std::max(rho, std::sqrt(rel[size_t(2 * r)] * rel[size_t(2 * r)] + rel[size_t(2 * r + 1)] * rel[size_t(2 * r + 1)]));
    }
  rho = rho * (1 + 1e-12) + 1e-300;
  const int p = choose_order(rho, rtol);
  const int64_t nm = int64_t(p) * (p + 1) / 2;
  // Moments, b (the power of v_2) outer: M[b][a] for a < p - b, 1/(a! b!) folded in.
  std::vector<double> mom(size_t(ncell * nm), 0.0);
  parallel_for(ncell, 64, [&](int64_t k0, int64_t k1) {
    double pa[kMaxOrder], pb[kMaxOrder];
    for (int64_t k = k0; k < k1; ++k) {
      double* m = mom.data() + k * nm;
      for (int64_t r = cbeg[size_t(k)]; r < cbeg[size_t(k + 1)]; ++r) {
        const double v1 = rel[size_t(2 * r)], v2 = rel[size_t(2 * r + 1)];
        pa[0] = std::exp(-0.5 * (v1 * v1 + v2 * v2));
        pb[0] = 1.0;
        for (int a = 1; a < p; ++a) pa[a] = pa[a - 1] * v1 / a, pb[a] = pb[a - 1] * v2 / a;
        int64_t o = 0;
        for (int b = 0; b < p; ++b)
          for (int a = 0; a < p - b; ++a) m[o++] += pa[a] * pb[b];
      }
    }
  });
  // Stencil: cell offsets within kmax cells, by the gap between the two cells' boxes (in sigma).
  // Sources past it are at least kmax h away, at most n exp(-(kmax h)^2 / 2) <= rtol / 4 in all.
  const int64_t kmax = int64_t(std::ceil(std::sqrt(2.0 * std::log(4.0 * double(n) / rtol)) / h));
  struct Entry {
    int64_t o1, o2;
    double gap;
  };
  std::vector<Entry> stencil;
  for (int64_t o1 = -kmax; o1 <= kmax; ++o1)
    for (int64_t o2 = (d > 1 ? -kmax : 0); o2 <= (d > 1 ? kmax : 0); ++o2) {
      const double g1 = double(std::max<int64_t>(std::abs(o1) - 1, 0)), g2 = double(std::max<int64_t>(std::abs(o2) - 1, 0));
      const double gap = h * std::sqrt(g1 * g1 + g2 * g2);
      if (gap < double(kmax) * h) stencil.push_back({o1, o2, gap});
    }
  std::stable_sort(stencil.begin(), stencil.end(), [](const Entry& a, const Entry& b) { return a.gap < b.gap; });
  // The bound table over bins of r^2 = |u|^2; the last bin reaches to infinity. The rounding
  // term: the polynomial's terms add to at most count e^{r rho} in absolute value.
  const double round_c = 4.0 * double(nm + 16) * std::numeric_limits<double>::epsilon();
  const double r2max = double(d) * (double(kmax) + 1.0) * (double(kmax) + 1.0) * h * h;
  const int64_t nbins = int64_t(r2max * kBinsPerUnit) + 1;
  std::vector<double> table(size_t(nbins + 1));
  for (int64_t b = 0; b <= nbins; ++b)
    table[size_t(b)] = bound_sup(std::sqrt(double(b) / kBinsPerUnit),
                                 b == nbins ? std::numeric_limits<double>::infinity() : std::sqrt(double(b + 1) / kBinsPerUnit),
                                 rho, p, round_c);
  auto find = [&](int64_t c1, int64_t c2) -> int64_t {
    if (c1 < 0 || c2 < 0) return -1;
    const uint64_t kk = (uint64_t(c1) << 32) | uint64_t(c2);
    const auto it = std::lower_bound(ckey.begin(), ckey.end(), kk);
    return it != ckey.end() && *it == kk ? int64_t(it - ckey.begin()) : -1;
  };
  const double a = 0.5 * inv_sigma * inv_sigma, self = leave_one_out ? 1.0 : 0.0;
  auto exact = [&](int64_t i) {
    double sum = 0;
    for (int64_t j = 0; j < n; ++j) {
      if (leave_one_out && j == i) continue;
      double s2 = 0;
      for (int64_t c = 0; c < d; ++c) {
        const double t = double(x[i * d + c]) - double(x[j * d + c]);
        s2 += t * t;
      }
      sum += std::exp(-a * s2);
    }
    return sum;
  };
  // Sample cells in an interleaved order, so that each thread's chunk mixes dense and sparse ones.
  const int64_t stride = 61;
  std::vector<int64_t> perm;
  perm.reserve(size_t(ncell));
  for (int64_t r = 0; r < stride; ++r)
    for (int64_t k = r; k < ncell; k += stride) perm.push_back(k);
  const auto eval_cell = cell_evaluators(std::make_integer_sequence<int, kMaxOrder + 1>{});
  constexpr int W = simd::W<double>;
  std::atomic<int64_t> nodes{0}, points{0}, exacts{0};
  parallel_for(ncell, 1, [&](int64_t q0, int64_t q1) {
    int64_t nv = 0, np = 0, ne = 0;
    std::vector<double> u1, u2, S, E;
    for (int64_t qi = q0; qi < q1; ++qi) {
      const int64_t k = perm[size_t(qi)];
      const int64_t b0 = cbeg[size_t(k)], nt = cbeg[size_t(k + 1)] - b0, ntp = (nt + W - 1) / W * W;
      u1.assign(size_t(ntp), 0.0), u2.assign(size_t(ntp), 0.0), S.assign(size_t(ntp), 0.0), E.assign(size_t(ntp), 0.0);
      for (int64_t t = 0; t < nt; ++t) u1[size_t(t)] = rel[size_t(2 * (b0 + t))], u2[size_t(t)] = rel[size_t(2 * (b0 + t) + 1)];
      const int64_t k1 = int64_t(ckey[size_t(k)] >> 32), k2 = int64_t(ckey[size_t(k)] & 0xffffffffu);
      double visited = 0, rest_gap = double(kmax) * h;
      for (size_t e = 0; e < stencil.size(); ++e) {
        if (e > 0 && stencil[e].gap > stencil[e - 1].gap) {
          // Everything not yet visited is at least this gap away: stop if it cannot matter.
          const double rest = (double(n) - visited) * std::exp(-0.5 * stencil[e].gap * stencil[e].gap);
          bool done = true;
          for (int64_t t = 0; t < nt && done; ++t) done = rest <= 0.25 * rtol * (S[size_t(t)] - E[size_t(t)] - self);
          if (done) {
            rest_gap = stencil[e].gap;
            break;
          }
        }
        const int64_t src = find(k1 + stencil[e].o1, k2 + stencil[e].o2);
        if (src < 0) continue;
        const double count = double(cbeg[size_t(src + 1)] - cbeg[size_t(src)]);
        visited += count;
        ++nv;
        np += nt;
        const double off1 = (centre[size_t(2 * src)] - centre[size_t(2 * k)]) * inv_sigma;
        const double off2 = (centre[size_t(2 * src + 1)] - centre[size_t(2 * k + 1)]) * inv_sigma;
        const double* m0 = mom.data() + src * nm;
        eval_cell[size_t(p)](u1.data(), u2.data(), ntp, off1, off2, m0, count, table.data(), nbins, S.data(), E.data());
      }
      const double rest = (double(n) - visited) * std::exp(-0.5 * rest_gap * rest_gap);
      for (int64_t t = 0; t < nt; ++t) {
        const int64_t i = order[size_t(b0 + t)];
        const double est = S[size_t(t)] - self, err = E[size_t(t)] + rest + 1e-12 * S[size_t(t)];
        if (err <= rtol * (est - err)) {
          sums[i] = est;
        } else {
          sums[i] = exact(i);
          ++ne;
          np += n;
        }
      }
    }
    nodes += nv;
    points += np;
    exacts += ne;
  });
  if (stats) {
    stats->nodes = nodes.load();
    stats->points = points.load();
    stats->exact = exacts.load();
  }
  return true;
}

}  // namespace entropic::cpu
