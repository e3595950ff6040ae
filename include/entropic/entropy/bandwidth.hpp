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
// sigma_hat (scott, silverman) is ops::mean_std, the mean over dimensions of the
// per-dimension sample standard deviation (divisor n-1): one isotropic sigma for an isotropic
// kernel, and the mean rather than e.g. the geometric mean so one constant dimension does not
// zero it.
#pragma once
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>

#include "entropic/core/error.hpp"
#include "entropic/core/tensor.hpp"
#include "entropic/ops/bandwidth.hpp"
#include "entropic/ops/reduce.hpp"

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

// Checks a sample matrix x [n, d] with n >= 2 and finite values; messages start with `op`,
// e.g. "kde_entropy: sample 3 has a non-finite value (nan) in dimension 1".
template <class T>
void check_samples(const char* op, const Tensor<T>& x) {
  check(x.defined(), op, ": samples x are undefined");
  check(x.rank() == 2, op, ": samples x must have rank 2 [n, d], got shape ", x.shape().str());
  const int64_t n = x.size(0), d = x.size(1);
  check(n >= 2, op, ": needs at least 2 samples, x has shape ", x.shape().str());
  check(d >= 1, op, ": samples need at least 1 dimension, x has shape ", x.shape().str());
  if (ops::all_finite(x)) return;
  // Only on failure: find the culprit on the host, so the message names it on either device.
  const Tensor<T> h = x.to(Device::cpu);
  const T* p = h.data();
  for (int64_t i = 0; i < n * d; ++i)
    if (!std::isfinite(p[i]))
      fail(op, ": sample ", i / d, " has a non-finite value (", p[i], ") in dimension ", i % d);
  fail(op, ": the samples x hold values whose squares overflow (beyond about 1e154)");
}

}  // namespace detail

// Scott's rule: ops::mean_std(x) * n^(-1/(d+4)).
template <class T>
double scott_sigma(const Tensor<T>& x) {
  const int64_t n = x.size(0), d = x.size(1);
  return ops::mean_std(x) * std::pow(double(n), -1.0 / double(d + 4));
}

// Silverman's rule: ops::mean_std(x) * (4/((d+2) n))^(1/(d+4)).
template <class T>
double silverman_sigma(const Tensor<T>& x) {
  const int64_t n = x.size(0), d = x.size(1);
  return ops::mean_std(x) * std::pow(4.0 / (double(d + 2) * double(n)), 1.0 / double(d + 4));
}

// Median heuristic: sqrt(median_{i<j} |x_i - x_j|^2 / (2 log(n+1))), rows subsampled to 1024.
template <class T>
double median_sigma(const Tensor<T>& x) {
  const int64_t n = x.size(0);
  return std::sqrt(ops::median_pair_sq_distance(x) / (2 * std::log(double(n + 1))));
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
double select_bandwidth(const char* op, const Tensor<T>& x, Bandwidth rule, double fixed_sigma) {
  double s = fixed_sigma;
  switch (rule) {
    case Bandwidth::fixed:
      check(std::isfinite(s) && s > 0, op, ": sigma must be positive and finite, got ", s);
      check_sigma_representable<T>(op, s);
      return s;
    case Bandwidth::scott: s = scott_sigma(x); break;
    case Bandwidth::silverman: s = silverman_sigma(x); break;
    case Bandwidth::median: s = median_sigma(x); break;
  }
  check(std::isfinite(s) && s > 0, op, ": bandwidth rule ", to_string(rule), " gave sigma = ", s,
        " for ", x.size(0), " samples (are they all equal?); use a fixed sigma");
  check_sigma_representable<T>(op, s);
  return s;
}

}  // namespace entropic::entropy
