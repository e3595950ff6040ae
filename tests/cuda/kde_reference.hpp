// The KDE entropy in double, straight from its definition: the reference the CUDA KDE cases
// (cases/kde.hpp, cases/kde_versions.hpp) check every kernel and version against.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numbers>
#include <vector>

namespace entropic::test {

struct KdeRef {
  std::vector<double> lse, log_p, dx;
  double H = 0;
};

// O(n^2 d) in double, straight from the definition.
inline KdeRef kde_reference(const std::vector<double>& x, int64_t n, int64_t d, double sigma, bool loo) {
  KdeRef r;
  r.lse.resize(static_cast<size_t>(n));
  r.log_p.resize(static_cast<size_t>(n));
  r.dx.assign(size_t(n * d), 0.0);
  auto e = [&](int64_t i, int64_t j) {
    double s = 0;
    for (int64_t c = 0; c < d; ++c) s += std::pow(x[size_t(i * d + c)] - x[size_t(j * d + c)], 2);
    return -s / (2 * sigma * sigma);
  };
  const double norm = std::log(double(loo ? n - 1 : n)) + 0.5 * double(d) * std::log(2 * std::numbers::pi * sigma * sigma);
  for (int64_t i = 0; i < n; ++i) {
    double m = -INFINITY, s = 0;
    for (int64_t j = 0; j < n; ++j)
      if (!(loo && i == j)) m = std::max(m, e(i, j));
    for (int64_t j = 0; j < n; ++j)
      if (!(loo && i == j)) s += std::exp(e(i, j) - m);
    r.lse[size_t(i)] = m + std::log(s);
    r.log_p[size_t(i)] = r.lse[size_t(i)] - norm;
    r.H -= r.log_p[size_t(i)] / double(n);
  }
  for (int64_t k = 0; k < n; ++k)
    for (int64_t j = 0; j < n; ++j) {
      if (j == k) continue;
      const double a = std::exp(e(k, j) - r.lse[size_t(k)]) + std::exp(e(k, j) - r.lse[size_t(j)]);
      for (int64_t c = 0; c < d; ++c)
        r.dx[size_t(k * d + c)] += a * (x[size_t(k * d + c)] - x[size_t(j * d + c)]) / (double(n) * sigma * sigma);
    }
  return r;
}

}  // namespace entropic::test
