// Bandwidth rules for the Gaussian KDE entropy, and the sample checks the estimators share.
//
// The bandwidth is chosen per minibatch from the samples and then treated as a constant:
// the gradient of H does not flow through sigma(x). (Differentiating through a rule would
// add a term pushing the spread itself, which is not what the regulariser is for, and the
// median is not differentiable anyway.)
//
//   fixed      sigma as given.
//   scott      sigma_hat * n^(-1/(d+4)).
//   silverman  sigma_hat * (4 / ((d+2) n))^(1/(d+4)).
//   median     sigma^2 = median_{i<j} |x_i - x_j|^2 / (2 log(n+1)), the SVGD heuristic
//              (Liu & Wang 2016, h = med^2 / log n with k = exp(-r^2/h)); unlike the plain
//              median distance it shrinks as n grows, as a density bandwidth must, and
//              log(n+1) keeps it finite at n = 2. Over all pairs when n <= 1024, else over
//              the pairs of 1024 evenly spaced rows (O(min(n,1024)^2 d) work).
// sigma_hat (scott, silverman) is the mean over dimensions of the per-dimension sample
// standard deviation (divisor n-1): one isotropic sigma for an isotropic kernel, and the
// mean rather than e.g. the geometric mean so one constant dimension does not zero it.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "entropic/core/error.hpp"
#include "entropic/core/tensor.hpp"
#include "entropic/ops/backend.hpp"

namespace entropic::entropy {

enum class Bandwidth { fixed, scott, silverman, median };

// "fixed", "scott", "silverman" or "median"; anything else throws naming the choices.
inline Bandwidth parse_bandwidth(std::string_view s) {
  if (s == "fixed") return Bandwidth::fixed;
  if (s == "scott") return Bandwidth::scott;
  if (s == "silverman") return Bandwidth::silverman;
  if (s == "median") return Bandwidth::median;
  fail("bandwidth: unknown rule '", std::string(s), "'; use fixed, scott, silverman or median");
}

inline const char* to_string(Bandwidth b) {
  switch (b) {
    case Bandwidth::fixed: return "fixed";
    case Bandwidth::scott: return "scott";
    case Bandwidth::silverman: return "silverman";
    case Bandwidth::median: return "median";
  }
  return "?";
}

namespace detail {

// Checks a sample matrix x [n, d] on the CPU with n >= 2 and finite values; messages start
// with `op`, e.g. "kde_entropy: sample 3 has a non-finite value (nan) in dimension 1".
template <class T>
void check_samples(const char* op, const Tensor<T>& x) {
  check(x.defined(), op, ": samples x are undefined");
  check(x.rank() == 2, op, ": samples x must have rank 2 [n, d], got shape ", x.shape().str());
  const int64_t n = x.size(0), d = x.size(1);
  check(n >= 2, op, ": needs at least 2 samples, x has shape ", x.shape().str());
  check(d >= 1, op, ": samples need at least 1 dimension, x has shape ", x.shape().str());
  if (x.device() == Device::cuda) {  // one reduction: the sum of squares is finite iff every x is
    check(std::isfinite(ops::cuda_kernels<T>().sum_of_squares(x.data(), x.numel())), op,
          ": the samples x hold a non-finite value (or values near the float limit)");
    return;
  }
  const T* p = x.data();
  for (int64_t i = 0; i < n * d; ++i)
    if (!std::isfinite(p[i]))
      fail(op, ": sample ", i / d, " has a non-finite value (", p[i], ") in dimension ", i % d);
}

}  // namespace detail

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

// Scott's rule: mean_std * n^(-1/(d+4)).
template <class T>
double scott_sigma(const T* x, int64_t n, int64_t d) {
  return mean_std(x, n, d) * std::pow(double(n), -1.0 / double(d + 4));
}

// Silverman's rule: mean_std * (4/((d+2) n))^(1/(d+4)).
template <class T>
double silverman_sigma(const T* x, int64_t n, int64_t d) {
  return mean_std(x, n, d) * std::pow(4.0 / (double(d + 2) * double(n)), 1.0 / double(d + 4));
}

// Median heuristic: sqrt(median_{i<j} |x_i - x_j|^2 / (2 log(n+1))), rows subsampled to 1024.
template <class T>
double median_sigma(const T* x, int64_t n, int64_t d) {
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
  return std::sqrt(*mid / (2 * std::log(double(n + 1))));
}

// The kernels scale squared distances by 1 / (2 sigma^2) in T: when that overflows, the
// sample's distance to itself becomes 0 * inf = NaN and the entropy NaN, so refuse such a sigma.
template <class T>
void check_sigma_representable(const char* op, double s) {
  const T ts = T(s);
  const T inv = T(1) / (T(2) * ts * ts);
  if (ts > T(0) && std::isfinite(double(inv))) return;
  const double smallest = std::sqrt(0.5 / double(std::numeric_limits<T>::max()));
  fail(op, ": sigma = ", s, " is too small for ", sizeof(T) == 4 ? "float" : "double",
       ": 1 / (2 sigma^2) overflows (the smallest usable sigma is about ", smallest,
       "); rescale the data or use a larger sigma");
}

// sigma for the rule (fixed_sigma for Bandwidth::fixed); throws if the result is not a
// positive finite number (all samples equal, or a bad fixed sigma).
template <class T>
double select_bandwidth(const char* op, const T* x, int64_t n, int64_t d, Bandwidth rule,
                        double fixed_sigma) {
  double s = fixed_sigma;
  switch (rule) {
    case Bandwidth::fixed:
      check(std::isfinite(s) && s > 0, op, ": sigma must be positive and finite, got ", s);
      check_sigma_representable<T>(op, s);
      return s;
    case Bandwidth::scott: s = scott_sigma(x, n, d); break;
    case Bandwidth::silverman: s = silverman_sigma(x, n, d); break;
    case Bandwidth::median: s = median_sigma(x, n, d); break;
  }
  check(std::isfinite(s) && s > 0, op, ": bandwidth rule ", to_string(rule), " gave sigma = ", s,
        " for ", n, " samples (are they all equal?); use a fixed sigma");
  check_sigma_representable<T>(op, s);
  return s;
}

}  // namespace entropic::entropy
