// The Kozachenko-Leonenko kNN entropy kernels on either device (entropy/knn.hpp is the
// estimator: sample and option checks, result). x [n, d] is assumed finite, 1 <= k < n.
#pragma once
#include <cstdint>

#include "entropic/cpu/knn.hpp"
#include "entropic/ops/common.hpp"

namespace entropic::ops {

// H of x from each sample's k-th nearest other sample: its index into nn_index (n values, on
// the HOST on either device, for the backward's checks and scatter) and its unfloored distance
// into rho [n] (on x's device). On cuda the search keeps at most knn_max_k() neighbours a row.
template <class T>
double knn_forward(const Tensor<T>& x, int k, double floor, int64_t* nn_index, Tensor<T>& rho) {
  require_matrix(x, "knn_forward", "samples");
  require_device(rho, x.device(), "knn_forward", "rho");
  const int64_t n = x.size(0), d = x.size(1);
  check(rho.numel() == n, "knn_forward: rho holds ", rho.numel(), " values for ", n, " samples");
  if (x.device() == Device::cuda) {
    auto& kernels = cuda_kernels<T>();
    check(k <= kernels.knn_max_k(), "knn_entropy: k = ", k, " on cuda; the device search keeps at most ",
          kernels.knn_max_k(), " neighbours a row (use k <= ", kernels.knn_max_k(),
          ", or move the samples to the cpu)");
    kernels.knn_search(x.data(), n, d, k, nn_index, rho.data());
    const Tensor<T> host_rho = rho.to(Device::cpu);  // n values, for the sum of logs
    return cpu::kl_entropy_from_rho(host_rho.data(), n, d, k, floor);
  }
  return cpu::kl_entropy_forward(x.data(), n, d, k, floor, nn_index, rho.data());
}

// dx [n, d] = dH * dH/dx (OVERWRITTEN), from the forward's nn_index (host) and rho (x's device).
template <class T>
void knn_backward(const Tensor<T>& x, double floor, const int64_t* nn_index, const Tensor<T>& rho, T dH,
                  Tensor<T>& dx) {
  require_matrix(x, "knn_backward", "samples");
  require_device(rho, x.device(), "knn_backward", "rho");
  require_device(dx, x.device(), "knn_backward", "dx");
  require_same_shape(x, dx, "knn_backward", "samples", "dx");
  const int64_t n = x.size(0), d = x.size(1);
  check(rho.numel() == n, "knn_backward: rho holds ", rho.numel(), " values for ", n, " samples");
  if (x.device() == Device::cuda)
    return cuda_kernels<T>().knn_backward(x.data(), n, d, floor, nn_index, rho.data(), double(dH), dx.data());
  cpu::kl_entropy_backward(x.data(), n, d, floor, nn_index, rho.data(), dH, dx.data());
}

}  // namespace entropic::ops
