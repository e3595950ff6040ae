// The Gaussian KDE entropy kernels on either device (entropy/kde.hpp is the estimator: sample
// checks, bandwidth, result). x [n, d] is assumed finite with n >= 2; the checks here are O(1).
#pragma once
#include "entropic/cpu/kde.hpp"
#include "entropic/cpu/kde_grid.hpp"
#include "entropic/cpu/kdtree.hpp"
#include "entropic/ops/common.hpp"

namespace entropic::ops {

// streaming: v1, never forms the n x n matrix; gemm: v2, Gram blocks through cpu::gemm. The
// choice is the cpu's: on cuda the backend picks its kernel per shape and pass for either
// (cuda/kde_dispatch.cuh: tiles, the Gram path or the warp forward, from measured figures).
enum class KdeAlgorithm { streaming, gemm };

namespace detail {
template <class T>
void require_kde_vector(const Tensor<T>& x, const Tensor<T>& v, const char* op, const char* arg) {
  require_device(v, x.device(), op, arg);
  check(v.rank() == 1 && v.size(0) == x.size(0), op, ": ", arg, " must have shape [", x.size(0), "], got ",
        v.shape().str());
}
}  // namespace detail

// H of x; fills log_p [n] (log p(x_i)) and row_lse [n] (the per-row log-sum-exp the backward reuses).
// progress (cpu::KdeProgress) is reported by the cpu's streaming algorithm only.
template <class T>
double kde_forward(const Tensor<T>& x, double sigma, bool leave_one_out, KdeAlgorithm algorithm, Tensor<T>& log_p,
                   Tensor<T>& row_lse, const cpu::KdeProgress* progress = nullptr) {
  require_matrix(x, "kde_forward", "samples");
  require_positive(sigma, "kde_forward", "sigma");
  detail::require_kde_vector(x, log_p, "kde_forward", "log_p");
  detail::require_kde_vector(x, row_lse, "kde_forward", "row_lse");
  const int64_t n = x.size(0), d = x.size(1);
  if (x.device() == Device::cuda)
    return cuda_kernels<T>().kde_forward(x.data(), n, d, sigma, leave_one_out, log_p.data(), row_lse.data());
  if (algorithm == KdeAlgorithm::gemm)
    return cpu::kde_forward_gemm(x.data(), n, d, sigma, leave_one_out, log_p.data(), row_lse.data());
  return cpu::kde_forward(x.data(), n, d, sigma, leave_one_out, log_p.data(), row_lse.data(), progress);
}

// Whether x's KDE keeps its scalars (H, dH) on the device, through kde_forward_on_device and
// kde_backward_on_device: on cuda, where reading one back waits for the device; on the cpu a
// scalar costs nothing to read.
template <class T>
bool kde_scalars_on_device(const Tensor<T>& x) {
  return x.device() == Device::cuda;
}

// kde_forward on cuda with H left there, a scalar tensor (T, as the cpu rounds it): nothing is
// read back.
template <class T>
Tensor<T> kde_forward_on_device(const Tensor<T>& x, double sigma, bool leave_one_out, Tensor<T>& log_p,
                                Tensor<T>& row_lse) {
  require_matrix(x, "kde_forward", "samples");
  require_device(x, Device::cuda, "kde_forward_on_device", "samples");
  require_positive(sigma, "kde_forward", "sigma");
  detail::require_kde_vector(x, log_p, "kde_forward", "log_p");
  detail::require_kde_vector(x, row_lse, "kde_forward", "row_lse");
  Tensor<T> H({}, Device::cuda);
  cuda_kernels<T>().kde_forward(x.data(), x.size(0), x.size(1), sigma, leave_one_out, log_p.data(), row_lse.data(),
                                H.data());
  return H;
}

// kde_backward on cuda with dH read there (a scalar tensor, e.g. the upstream gradient).
template <class T>
void kde_backward_on_device(const Tensor<T>& x, double sigma, bool leave_one_out, const Tensor<T>& row_lse,
                            const Tensor<T>& dH, Tensor<T>& dx) {
  require_matrix(x, "kde_backward", "samples");
  require_device(x, Device::cuda, "kde_backward_on_device", "samples");
  require_positive(sigma, "kde_backward", "sigma");
  detail::require_kde_vector(x, row_lse, "kde_backward", "row_lse");
  require_device(dH, Device::cuda, "kde_backward_on_device", "dH");
  check(dH.numel() == 1, "kde_backward: dH must hold one value, got shape ", dH.shape().str());
  require_device(dx, x.device(), "kde_backward", "dx");
  require_same_shape(x, dx, "kde_backward", "samples", "dx");
  cuda_kernels<T>().kde_backward(x.data(), x.size(0), x.size(1), sigma, leave_one_out, row_lse.data(), dH.data(),
                                 dx.data());
}

// dx [n, d] = dH * dH/dx (OVERWRITTEN), from the forward's row_lse and sigma.
template <class T>
void kde_backward(const Tensor<T>& x, double sigma, bool leave_one_out, KdeAlgorithm algorithm,
                  const Tensor<T>& row_lse, T dH, Tensor<T>& dx) {
  require_matrix(x, "kde_backward", "samples");
  require_positive(sigma, "kde_backward", "sigma");
  detail::require_kde_vector(x, row_lse, "kde_backward", "row_lse");
  require_device(dx, x.device(), "kde_backward", "dx");
  require_same_shape(x, dx, "kde_backward", "samples", "dx");
  const int64_t n = x.size(0), d = x.size(1);
  if (x.device() == Device::cuda)
    return cuda_kernels<T>().kde_backward(x.data(), n, d, sigma, leave_one_out, row_lse.data(), double(dH),
                                          dx.data());
  if (algorithm == KdeAlgorithm::gemm)
    return cpu::kde_backward_gemm(x.data(), n, d, sigma, leave_one_out, row_lse.data(), dH, dx.data());
  cpu::kde_backward(x.data(), n, d, sigma, leave_one_out, row_lse.data(), dH, dx.data());
}

// sums[i] = sum over j in S_i of exp(-|x_i - x_j|^2 / (2 sigma^2)), each within relative rtol:
// d <= 2 by the grid of truncated expansions (cpu::kde_kernel_sums_grid), otherwise (or if the
// grid does not apply) by a k-d tree that sums a far box of kernels without visiting its points
// (cpu::KdTree::kernel_sums). CPU only. Returns which ran: "grid" or "tree".
template <class T>
const char* kde_kernel_sums_approx(const Tensor<T>& x, double sigma, bool leave_one_out, double rtol, double* sums,
                                   cpu::KdTreeStats* work = nullptr, bool allow_grid = true) {
  require_cpu(x, "kde_entropy_approx", "samples");
  require_matrix(x, "kde_entropy_approx", "samples");
  if (allow_grid && cpu::kde_kernel_sums_grid(x.data(), x.size(0), x.size(1), sigma, leave_one_out, rtol, sums, work))
    return "grid";
  cpu::KdTree<T>(x.data(), x.size(0), x.size(1)).kernel_sums(sigma, leave_one_out, rtol, sums, work);
  return "tree";
}

}  // namespace entropic::ops
