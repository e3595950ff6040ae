// CPU k-nearest-neighbour search and the Kozachenko-Leonenko entropy estimate, float and double.
//
//   H = psi(n) - psi(k) + log V_d + (d/n) sum_i log max(rho_i, floor)
//   V_d = pi^(d/2) / Gamma(d/2 + 1)        the volume of the unit d-ball
//   rho_i = distance from x_i to its k-th nearest other sample
// Backward (rho_i > floor only; a floored rho is a constant, zero gradient): with j = nn_i
// the k-th neighbour of i, d log rho_i / d x_i = (x_i - x_j)/rho_i^2 = -d log rho_i / d x_j, so
//   dH/dx_i += (d/n) (x_i - x_j)/rho_i^2,   dH/dx_j -= (d/n) (x_i - x_j)/rho_i^2.
// (The neighbour ranking is piecewise constant; at ties the gradient is a subgradient.)
//
// Search: row blocks in parallel; columns packed in W-wide dimension-major blocks (the
// layout of cpu/kde.hpp) so squared distances for W columns come out of one vector loop;
// each row keeps its k best (distance, index) sorted, and a vector compare against the
// current k-th best skips the insertion for almost every block. Distances use differences
// (not |x|^2 + |y|^2 - 2 x.y), so near-duplicates are ranked exactly; rho is recomputed in
// double from the chosen pair.
//
// Saved for backward: nn_index[n] and rho[n] (unfloored). Backward overwrites dx.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <numbers>
#include <vector>

#include "entropic/core/parallel.hpp"
#include "entropic/cpu/kde.hpp"

namespace entropic::cpu {

// psi(m) for an integer m >= 1: -gamma + sum_{t=1}^{m-1} 1/t.
inline double digamma_int(int64_t m) {
  double s = -0.57721566490153286061;
  for (int64_t t = 1; t < m; ++t) s += 1.0 / double(t);
  return s;
}

// log of the volume of the unit ball in d dimensions.
inline double log_unit_ball_volume(int64_t d) {
  return 0.5 * double(d) * std::log(std::numbers::pi) - std::lgamma(0.5 * double(d) + 1.0);
}

// For every row i of x[n, d]: nn_index[i] = its k-th nearest other row, rho[i] = the distance.
// Assumes 1 <= k < n.
template <class T>
void knn_kth(const T* x, int64_t n, int64_t d, int k, int64_t* nn_index, T* rho) {
  using namespace kde_detail;
  constexpr int w = W<T>, R = 4;
  const Packed<T> P(x, n, d, 1.0, true);
  const int64_t nrb = (n + R - 1) / R;
  parallel_for(nrb, 8, [&](int64_t b0, int64_t b1) {
    std::vector<T> best_d(size_t(R * k));
    std::vector<int64_t> best_i(size_t(R * k));
    std::vector<T> xi(size_t(R * d));
    for (int64_t b = b0; b < b1; ++b) {
      int64_t rows[R];
      for (int r = 0; r < R; ++r) {
        rows[r] = std::min(b * R + r, n - 1);
        for (int64_t c = 0; c < d; ++c) xi[size_t(r * d + c)] = x[rows[r] * d + c];
      }
      std::fill(best_d.begin(), best_d.end(), std::numeric_limits<T>::infinity());
      std::fill(best_i.begin(), best_i.end(), int64_t(-1));
      for (int64_t jb = 0; jb < P.nblk; ++jb) {
        const T* blk = P.xb.get() + jb * d * w;  // (d, W)
        V<T> acc[R];
        for (int r = 0; r < R; ++r) acc[r] = splat(T(0));
        for (int64_t c = 0; c < d; ++c) {
          const V<T> xj = load(blk + c * w);
          for (int r = 0; r < R; ++r) {
            const V<T> diff = splat(xi[size_t(r * d + c)]) - xj;
            acc[r] = fmadd(diff, diff, acc[r]);
          }
        }
        for (int r = 0; r < R; ++r) {
          T* bd = best_d.data() + r * k;
          int64_t* bi = best_i.data() + r * k;
          if (!any_le<T>(acc[r], bd[k - 1])) continue;
          for (int l = 0; l < w; ++l) {
            const int64_t j = jb * w + l;
            const T v = lane<T>(acc[r], l);
            if (j >= n || j == rows[r] || !(v < bd[k - 1] || bi[k - 1] < 0)) continue;
            int p = k - 1;
            while (p > 0 && (bd[p - 1] > v || bi[p - 1] < 0)) {
              bd[p] = bd[p - 1];
              bi[p] = bi[p - 1];
              --p;
            }
            bd[p] = v;
            bi[p] = j;
          }
        }
      }
      for (int r = 0; r < R; ++r) {
        if (b * R + r >= n) continue;
        const int64_t i = rows[r], j = best_i[size_t(r * k + k - 1)];
        double s = 0;
        for (int64_t c = 0; c < d; ++c) {
          const double t = double(x[i * d + c]) - double(x[j * d + c]);
          s += t * t;
        }
        nn_index[i] = j;
        rho[i] = T(std::sqrt(s));
      }
    }
  });
}

// H from the k-th neighbour distances rho[n] (also the cuda backend's, whose search runs on the
// device and hands the n distances back).
template <class T>
double kl_entropy_from_rho(const T* rho, int64_t n, int64_t d, int k, double floor) {
  double sum_log = 0;
  for (int64_t i = 0; i < n; ++i) sum_log += std::log(std::max(double(rho[i]), floor));
  return digamma_int(n) - digamma_int(k) + log_unit_ball_volume(d) +
         double(d) / double(n) * sum_log;
}

// Kozachenko-Leonenko forward: fills nn_index[n] and rho[n] (saved for backward), returns H.
// Assumes 1 <= k < n, floor > 0.
template <class T>
double kl_entropy_forward(const T* x, int64_t n, int64_t d, int k, double floor,
                          int64_t* nn_index, T* rho) {
  knn_kth(x, n, d, k, nn_index, rho);
  return kl_entropy_from_rho(rho, n, d, k, floor);
}

// Kozachenko-Leonenko backward: dx[n, d] = dH * dH/dx (overwritten).
template <class T>
void kl_entropy_backward(const T* x, int64_t n, int64_t d, double floor, const int64_t* nn_index,
                         const T* rho, T dH, T* dx) {
  const double scale = double(dH) * double(d) / double(n);
  std::fill(dx, dx + n * d, T(0));
  // Serial: the scatter to x_j races between rows, and this is O(n d) next to the O(n^2 d) search.
  for (int64_t i = 0; i < n; ++i) {
    const double r = double(rho[i]);
    if (!(r > floor)) continue;
    const int64_t j = nn_index[i];
    const double f = scale / (r * r);
    for (int64_t c = 0; c < d; ++c) {
      const double g = f * (double(x[i * d + c]) - double(x[j * d + c]));
      dx[i * d + c] += T(g);
      dx[j * d + c] -= T(g);
    }
  }
}

}  // namespace entropic::cpu
