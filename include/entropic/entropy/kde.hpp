// Gaussian kernel-density entropy of a minibatch, H = -(1/n) sum_i log p(x_i): validated
// entry points over Tensor<T> [n, d] on either device around the kernels of ops/kde.hpp.
//
// p(x_i) = (1/m) sum_{j in S_i} N(x_i | x_j, sigma^2 I): S_i = all j (m = n), or j != i
// (m = n - 1) with leave_one_out. The self term makes H a biased (low) estimate at small
// sigma; leave-one-out removes that bias but its H is noisier.
// sigma comes from KdeOptions::bandwidth per call and is a constant in the gradient.
#pragma once
#include <cmath>
#include <cstdint>
#include <vector>

#include "entropic/core/error.hpp"
#include "entropic/core/tensor.hpp"
#include "entropic/entropy/bandwidth.hpp"
#include "entropic/ops/kde.hpp"

namespace entropic::entropy {

// streaming: v1, never forms the n x n matrix; gemm: v2, Gram blocks through cpu::gemm.
using ops::KdeAlgorithm;

struct KdeOptions {
  Bandwidth bandwidth = Bandwidth::scott;
  double sigma = 1.0;  // used when bandwidth == Bandwidth::fixed
  bool leave_one_out = false;
  KdeAlgorithm algorithm = KdeAlgorithm::streaming;
  // Told (done, total) as the forward proceeds (cpu::KdeProgress): the cpu's streaming
  // algorithm only; empty: nothing is reported.
  cpu::KdeProgress progress = nullptr;
};

// What the forward returns and the backward needs: row_lse is the only n-sized state saved.
template <class T>
struct KdeResult {
  T entropy;          // H
  double sigma;       // the bandwidth used
  Tensor<T> log_p;    // [n] log p(x_i)
  Tensor<T> row_lse;  // [n] log sum_{j in S_i} exp(-|x_i - x_j|^2 / (2 sigma^2))
};

// H of the samples x [n, d] (n >= 2, finite) with every log p(x_i), on x's device. On cuda the
// backend's table (cuda/kde_dispatch.cuh) picks the kernel for either algorithm; a bandwidth rule reads the samples
// on the host (n x d values, small beside the n^2 work).
template <class T>
KdeResult<T> kde_entropy(const Tensor<T>& x, const KdeOptions& opt = {}) {
  detail::check_samples("kde_entropy", x);
  const int64_t n = x.size(0);
  const double sigma = select_bandwidth("kde_entropy", x, opt.bandwidth, opt.sigma);
  KdeResult<T> res{T(0), sigma, Tensor<T>({n}, x.device()), Tensor<T>({n}, x.device())};
  res.entropy = T(ops::kde_forward(x, sigma, opt.leave_one_out, opt.algorithm, res.log_p, res.row_lse, &opt.progress));
  return res;
}

// kde_entropy of samples on cuda with H left there as a scalar tensor (res.entropy is NaN), so
// that a training step need not wait for it. The samples' finiteness check and a bandwidth rule
// other than fixed still read one value (or the samples) back each.
template <class T>
KdeResult<T> kde_entropy_on_device(const Tensor<T>& x, const KdeOptions& opt, Tensor<T>& H) {
  detail::check_samples("kde_entropy", x);
  const int64_t n = x.size(0);
  const double sigma = select_bandwidth("kde_entropy", x, opt.bandwidth, opt.sigma);
  KdeResult<T> res{T(NAN), sigma, Tensor<T>({n}, x.device()), Tensor<T>({n}, x.device())};
  H = ops::kde_forward_on_device(x, sigma, opt.leave_one_out, res.log_p, res.row_lse);
  return res;
}

// kde_entropy_backward with dH on the device (kde_entropy_on_device's counterpart). x is the
// forward's, already checked there; dH is not checked for finiteness (that would read it back).
template <class T>
Tensor<T> kde_entropy_backward_on_device(const Tensor<T>& x, const KdeResult<T>& res, const KdeOptions& opt,
                                         const Tensor<T>& dH) {
  const int64_t n = x.size(0), d = x.size(1);
  check(std::isfinite(res.sigma) && res.sigma > 0, "kde_entropy_backward: result.sigma must be ",
        "positive and finite, got ", res.sigma);
  Tensor<T> dx({n, d}, x.device());
  ops::kde_backward_on_device(x, res.sigma, opt.leave_one_out, res.row_lse, dH, dx);
  return dx;
}

// dx = dH * dH/dx [n, d] (a new tensor), for the x and result of kde_entropy(x, opt).
template <class T>
Tensor<T> kde_entropy_backward(const Tensor<T>& x, const KdeResult<T>& res,
                               const KdeOptions& opt, T dH) {
  detail::check_samples("kde_entropy_backward", x);
  const int64_t n = x.size(0), d = x.size(1);
  check(res.row_lse.defined() && res.row_lse.shape() == Shape({n}), "kde_entropy_backward: ",
        "result.row_lse has shape ",
        res.row_lse.defined() ? res.row_lse.shape().str() : std::string("(undefined)"),
        ", x has ", n, " samples (pass the result of kde_entropy on this x)");
  check(std::isfinite(res.sigma) && res.sigma > 0, "kde_entropy_backward: result.sigma must be ",
        "positive and finite, got ", res.sigma);
  check(std::isfinite(double(dH)), "kde_entropy_backward: dH must be finite, got ", dH);
  Tensor<T> dx({n, d}, x.device());
  ops::kde_backward(x, res.sigma, opt.leave_one_out, opt.algorithm, res.row_lse, dH, dx);
  return dx;
}

// H to within -log(1 - rtol) nats of kde_entropy's (the same bandwidth and leave-one-out rule):
// every kernel sum within relative rtol, for d <= 2 from a grid of truncated expansions with a
// checked per-sample bound (cpu::kde_kernel_sums_grid), otherwise from a k-d tree that sums far
// boxes of kernels without visiting their points (cpu::KdTree::kernel_sums). CPU only, forward
// only; rtol in (0, 0.5]. allow_grid = false forces the tree (tests, benchmarks).
struct KdeApprox {
  double entropy;
  double sigma;
  cpu::KdTreeStats work;  // tree: boxes summed or entered, kernels; grid: cell pairs, sample-cell terms
  const char* method;     // "grid" or "tree"
};

template <class T>
KdeApprox kde_entropy_approx(const Tensor<T>& x, const KdeOptions& opt, double rtol, bool allow_grid = true) {
  detail::check_samples("kde_entropy_approx", x);
  check(std::isfinite(rtol) && rtol > 0 && rtol <= 0.5, "kde_entropy_approx: rtol must be in (0, 0.5], got ", rtol);
  const int64_t n = x.size(0), d = x.size(1);
  const double sigma = select_bandwidth("kde_entropy_approx", x, opt.bandwidth, opt.sigma);
  std::vector<double> sums(static_cast<size_t>(n));
  KdeApprox res{0.0, sigma, {}, ""};
  res.method = ops::kde_kernel_sums_approx(x, sigma, opt.leave_one_out, rtol, sums.data(), &res.work, allow_grid);
  const double m = double(opt.leave_one_out ? n - 1 : n);
  const double norm = std::log(m) + 0.5 * double(d) * std::log(2 * M_PI * sigma * sigma);
  double total = 0;
  for (int64_t i = 0; i < n; ++i) {
    // Only with leave-one-out: every other sample so far that its kernels underflow to 0.
    check(sums[size_t(i)] > 0, "kde_entropy_approx: sample ", i, " is so far from every other at sigma = ", sigma,
          " that its kernel sum underflows; use kde_entropy (log-sum-exp) or a larger sigma");
    total += std::log(sums[size_t(i)]) - norm;
  }
  res.entropy = -total / double(n);
  return res;
}

}  // namespace entropic::entropy
