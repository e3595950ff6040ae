// The Gaussian-KDE entropy in double, straight from its definition: the one reference every KDE
// check compares against (the CPU kernels, the estimator, the CUDA kernels on the shim and on a
// GPU, and bench_kde's per-version check).
//
//   e_ij   = -|x_i - x_j|^2 / (2 sigma^2)
//   lse_i  = log sum_{j in S_i} exp(e_ij)        S_i = all j, or j != i with leave-one-out
//   log p_i = lse_i - log |S_i| - (d / 2) log(2 pi sigma^2),   H = -(1/n) sum_i log p_i
//   dH/dx_k = (1 / (n sigma^2)) sum_{j != k} (exp(e_kj - lse_k) + exp(e_kj - lse_j)) (x_k - x_j)
//
// Rows are computed in parallel (the reference is O(n^2 d) and bench_kde runs it at n = 16384)
// with a running maximum, so a row whose every other sample is far away does not underflow.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numbers>
#include <numeric>
#include <vector>

#include "entropic/core/parallel.hpp"

namespace entropic::test {

template <class T>
double kde_exponent(const T* x, int64_t d, int64_t i, int64_t j, double sigma) {
  double s = 0;
  for (int64_t c = 0; c < d; ++c) {
    const double t = double(x[i * d + c]) - double(x[j * d + c]);
    s += t * t;
  }
  return -s / (2 * sigma * sigma);
}

// lse_i for each of `rows`.
template <class T>
std::vector<double> kde_row_lse(const T* x, int64_t n, int64_t d, double sigma, bool loo,
                                const std::vector<int64_t>& rows) {
  std::vector<double> out(rows.size());
  parallel_for(int64_t(rows.size()), 1, [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      const int64_t i = rows[size_t(r)];
      double m = -INFINITY, s = 0;
      for (int64_t j = 0; j < n; ++j) {
        if (loo && i == j) continue;
        const double e = kde_exponent(x, d, i, j, sigma);
        if (e > m) {
          s = s * std::exp(m - e) + 1;
          m = e;
        } else {
          s += std::exp(e - m);
        }
      }
      out[size_t(r)] = m + std::log(s);
    }
  });
  return out;
}

inline double kde_log_norm(int64_t n, int64_t d, double sigma, bool loo) {
  return std::log(double(loo ? n - 1 : n)) + 0.5 * double(d) * std::log(2 * std::numbers::pi * sigma * sigma);
}

// dH/dx for each of `rows` (rows x d, dH = 1), given every row's lse.
template <class T>
std::vector<double> kde_dx(const T* x, int64_t n, int64_t d, double sigma, const std::vector<int64_t>& rows,
                           const std::vector<double>& lse) {
  std::vector<double> out(rows.size() * size_t(d), 0.0);
  const double scale = 1.0 / (double(n) * sigma * sigma);
  parallel_for(int64_t(rows.size()), 1, [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      const int64_t k = rows[size_t(r)];
      double* g = &out[size_t(r) * size_t(d)];
      for (int64_t j = 0; j < n; ++j) {
        if (j == k) continue;
        const double e = kde_exponent(x, d, k, j, sigma);
        const double a = std::exp(e - lse[size_t(k)]) + std::exp(e - lse[size_t(j)]);
        for (int64_t c = 0; c < d; ++c) g[c] += scale * a * (double(x[k * d + c]) - double(x[j * d + c]));
      }
    }
  });
  return out;
}

struct KdeRef {
  std::vector<double> lse, log_p, dx;
  double H = 0;
};

// Every row: lse, log p, H and dH/dx.
template <class T>
KdeRef kde_reference(const T* x, int64_t n, int64_t d, double sigma, bool loo) {
  std::vector<int64_t> all(static_cast<size_t>(n));
  std::iota(all.begin(), all.end(), int64_t(0));
  KdeRef r;
  r.lse = kde_row_lse(x, n, d, sigma, loo, all);
  const double norm = kde_log_norm(n, d, sigma, loo);
  for (double l : r.lse) {
    r.log_p.push_back(l - norm);
    r.H -= (l - norm) / double(n);
  }
  r.dx = kde_dx(x, n, d, sigma, all, r.lse);
  return r;
}
template <class T>
KdeRef kde_reference(const std::vector<T>& x, int64_t n, int64_t d, double sigma, bool loo) {
  return kde_reference(x.data(), n, d, sigma, loo);
}

}  // namespace entropic::test
