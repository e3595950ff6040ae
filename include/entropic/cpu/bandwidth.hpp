// The sample statistics the KDE bandwidth rules are made of (entropy/bandwidth.hpp), over a
// row-major x [n, d] on the host, accumulated in double.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace entropic::cpu {

// Mean over dimensions of the per-dimension sample standard deviation (divisor n - 1).
template <class T>
double mean_std(const T* x, int64_t n, int64_t d) {
  double total = 0;
  for (int64_t c = 0; c < d; ++c) {
    double mean = 0, m2 = 0;  // Welford: no cancellation for data far from 0
    for (int64_t i = 0; i < n; ++i) {
      const double v = double(x[i * d + c]), delta = v - mean;
      mean += delta / double(i + 1);
      m2 += delta * (v - mean);
    }
    total += std::sqrt(m2 / double(n - 1));
  }
  return total / double(d);
}

// median_{a<b} |x_a - x_b|^2 over the rows a * n / m, m = min(n, 1024) of them evenly spaced, so
// the work is O(min(n, 1024)^2 d) however large the batch. n >= 2.
template <class T>
double median_pair_sq_distance(const T* x, int64_t n, int64_t d) {
  const int64_t m = std::min<int64_t>(n, 1024);
  std::vector<double> d2;
  d2.reserve(size_t(m * (m - 1) / 2));
  for (int64_t a = 0; a < m; ++a) {
    const T* xa = x + (a * n / m) * d;
    for (int64_t b = a + 1; b < m; ++b) {
      const T* xb = x + (b * n / m) * d;
      double s = 0;
      for (int64_t c = 0; c < d; ++c) {
        const double t = double(xa[c]) - double(xb[c]);
        s += t * t;
      }
      d2.push_back(s);
    }
  }
  auto mid = d2.begin() + ptrdiff_t(d2.size() / 2);
  std::nth_element(d2.begin(), mid, d2.end());
  return *mid;
}

}  // namespace entropic::cpu
