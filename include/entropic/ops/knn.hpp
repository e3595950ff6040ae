// The Kozachenko-Leonenko kNN entropy kernels on either device (entropy/knn.hpp is the
// estimator: sample and option checks, result). x [n, d] is assumed finite, 1 <= k < n.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>

#include "entropic/cpu/kdtree.hpp"
#include "entropic/cpu/knn.hpp"
#include "entropic/ops/common.hpp"

namespace entropic::ops {

// How the CPU finds the neighbours. Both give the same indices and distances to the bit
// (cpu/kdtree.hpp), so the choice changes only the time. cuda always searches by brute force.
enum class KnnMethod { automatic, tree, brute };

inline const char* to_string(KnnMethod m) {
  switch (m) {
    case KnnMethod::automatic: return "auto";
    case KnnMethod::tree: return "tree";
    case KnnMethod::brute: return "brute";
  }
  return "?";
}

inline KnnMethod parse_knn_method(const std::string& s) {
  if (s == "auto") return KnnMethod::automatic;
  if (s == "tree") return KnnMethod::tree;
  if (s == "brute") return KnnMethod::brute;
  fail("knn: method must be auto, tree or brute, got '", printable(s), "'");
}

// automatic: the tree while d <= 5 + 2.5 log10(n / 1000) (d <= 7 at n = 10^4, 8 at 20,000, 10
// at 10^5, 12 at 10^6), the brute force above it and below 512 samples. Measured with
// bench_entropy_scale on Gaussian samples (benchmarks/RESULTS.md, issue 20): the tree's work a
// query grows about 1.5-2x per added dimension while the brute force's grows with n, so the
// dimension where they cross moves up with n (tree/brute time at n = 10^4: d 3 0.16x, d 10
// 2.3x; at 20,000: d 6 0.27x, d 8 0.62x, d 12 2.9x; at 10^5: d 8 0.18x, d 10 0.47x). Below a
// few hundred samples the brute force's one pass costs less than building a tree.
inline constexpr int64_t kKnnTreeMinN = 512;

inline int64_t knn_tree_max_dim(int64_t n) {
  return int64_t(std::floor(5.0 + 2.5 * std::log10(double(std::max<int64_t>(n, 1)) / 1000.0)));
}

inline KnnMethod resolve_knn_method(KnnMethod m, int64_t n, int64_t d) {
  if (m != KnnMethod::automatic) return m;
  return n >= kKnnTreeMinN && d <= knn_tree_max_dim(n) ? KnnMethod::tree : KnnMethod::brute;
}

// H of x from each sample's k-th nearest other sample: its index into nn_index (n values, on
// the HOST on either device, for the backward's checks and scatter) and its unfloored distance
// into rho [n] (on x's device). On cuda the search keeps at most knn_max_k() neighbours a row.
// `method` picks the CPU search; *used (when given) receives the one that ran.
template <class T>
double knn_forward(const Tensor<T>& x, int k, double floor, int64_t* nn_index, Tensor<T>& rho,
                   KnnMethod method = KnnMethod::automatic, KnnMethod* used = nullptr) {
  require_matrix(x, "knn_forward", "samples");
  require_device(rho, x.device(), "knn_forward", "rho");
  const int64_t n = x.size(0), d = x.size(1);
  check(rho.numel() == n, "knn_forward: rho holds ", rho.numel(), " values for ", n, " samples");
  if (x.device() == Device::cuda) {
    auto& kernels = cuda_kernels<T>();
    check(method != KnnMethod::tree, "knn_entropy: method tree runs on the cpu only; move the samples ",
          "to the cpu, or use method auto or brute on cuda");
    if (used) *used = KnnMethod::brute;
    check(k <= kernels.knn_max_k(), "knn_entropy: k = ", k, " on cuda; the device search keeps at most ",
          kernels.knn_max_k(), " neighbours a row (use k <= ", kernels.knn_max_k(),
          ", or move the samples to the cpu)");
    kernels.knn_search(x.data(), n, d, k, nn_index, rho.data());
    const Tensor<T> host_rho = rho.to(Device::cpu);  // n values, for the sum of logs
    return cpu::kl_entropy_from_rho(host_rho.data(), n, d, k, floor);
  }
  const KnnMethod m = resolve_knn_method(method, n, d);
  if (used) *used = m;
  if (m == KnnMethod::tree) {
    cpu::knn_kth_tree(x.data(), n, d, k, nn_index, rho.data());
    return cpu::kl_entropy_from_rho(rho.data(), n, d, k, floor);
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
