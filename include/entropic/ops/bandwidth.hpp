// The sample statistics of the KDE bandwidth rules (entropy/bandwidth.hpp) over x [n, d], n >= 2,
// on either device. They have no device kernel: x comes to the host (on the cpu that is no copy),
// n d values, small beside the O(n^2 d) entropy estimate the bandwidth is for.
#pragma once
#include "entropic/cpu/bandwidth.hpp"
#include "entropic/ops/common.hpp"

namespace entropic::ops {

namespace detail {
template <class T>
Tensor<T> bandwidth_samples(const Tensor<T>& x, const char* op) {
  require_matrix(x, op, "samples");
  check(x.size(0) >= 2, op, ": needs at least 2 samples, x has shape ", x.shape().str());
  return x.to(Device::cpu);
}
}  // namespace detail

// Mean over dimensions of the per-dimension sample standard deviation (divisor n - 1).
template <class T>
double mean_std(const Tensor<T>& x) {
  const Tensor<T> h = detail::bandwidth_samples(x, "mean_std");
  return cpu::mean_std(h.data(), h.size(0), h.size(1));
}

// Median squared distance between two samples, over at most 1024 evenly spaced rows.
template <class T>
double median_pair_sq_distance(const Tensor<T>& x) {
  const Tensor<T> h = detail::bandwidth_samples(x, "median_pair_sq_distance");
  return cpu::median_pair_sq_distance(h.data(), h.size(0), h.size(1));
}

}  // namespace entropic::ops
