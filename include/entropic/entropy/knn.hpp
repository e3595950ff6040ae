// Kozachenko-Leonenko k-nearest-neighbour entropy of a minibatch on the CPU: validated entry
// points over Tensor<T> [n, d] around cpu/knn.hpp.
//
//   H = psi(n) - psi(k) + log V_d + (d/n) sum_i log max(rho_i, floor)
// rho_i: distance from x_i to its k-th nearest other sample. The floor (default 1e-8, in
// the units of x: below float resolution for data of order 1) keeps duplicates from giving
// log 0 = -inf; a floored rho is a constant, so its gradient is zero.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "entropic/core/error.hpp"
#include "entropic/core/tensor.hpp"
#include "entropic/cpu/kdtree.hpp"
#include "entropic/cpu/knn.hpp"
#include "entropic/entropy/bandwidth.hpp"
#include "entropic/ops/backend.hpp"

namespace entropic::entropy {

// How the CPU finds the neighbours. Both give the same indices and distances to the bit
// (cpu/kdtree.hpp), so the choice changes only the time.
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

struct KnnOptions {
  int k = 1;            // which neighbour, 1 <= k < n
  double floor = 1e-8;  // lower bound on rho, > 0
  KnnMethod method = KnnMethod::automatic;  // cpu only; cuda always searches by brute force
};

// What the forward returns and the backward needs.
template <class T>
struct KnnResult {
  T entropy;                     // H
  std::vector<int64_t> nn_index;  // [n] index of the k-th nearest neighbour of each sample
  Tensor<T> rho;                 // [n] distance to it (unfloored)
  KnnMethod method = KnnMethod::brute;  // the search that ran (never automatic)
};

namespace detail {
inline void check_knn_options(const char* op, const KnnOptions& opt, int64_t n) {
  check(opt.k >= 1 && opt.k < n, op, ": k must be in [1, n - 1] = [1, ", n - 1, "], got k = ",
        opt.k, " for ", n, " samples");
  check(std::isfinite(opt.floor) && opt.floor > 0, op,
        ": floor must be positive and finite, got ", opt.floor);
}
}  // namespace detail

// H of the samples x [n, d] (n >= 2, finite) with the neighbours it used. On cuda the search
// runs on the device (cuda/knn.cuh, k <= 16) and rho stays there; the indices come to the host.
template <class T>
KnnResult<T> knn_entropy(const Tensor<T>& x, const KnnOptions& opt = {}) {
  detail::check_samples("knn_entropy", x);
  const int64_t n = x.size(0), d = x.size(1);
  detail::check_knn_options("knn_entropy", opt, n);
  const Device dev = x.device();
  KnnResult<T> res{T(0), std::vector<int64_t>(static_cast<size_t>(n)), Tensor<T>({n}, dev)};
  if (dev == Device::cuda) {
    auto& kernels = ops::cuda_kernels<T>();
    check(opt.method != KnnMethod::tree, "knn_entropy: method tree runs on the cpu only; move the samples ",
          "to the cpu, or use method auto or brute on cuda");
    check(opt.k <= kernels.knn_max_k(), "knn_entropy: k = ", opt.k, " on cuda; the device search keeps at most ",
          kernels.knn_max_k(), " neighbours a row (use k <= ", kernels.knn_max_k(),
          ", or move the samples to the cpu)");
    kernels.knn_search(x.data(), n, d, opt.k, res.nn_index.data(), res.rho.data());
    const Tensor<T> rho = res.rho.to(Device::cpu);  // n values, for the sum of logs
    res.entropy = T(cpu::kl_entropy_from_rho(rho.data(), n, d, opt.k, opt.floor));
    return res;
  }
  res.method = resolve_knn_method(opt.method, n, d);
  if (res.method == KnnMethod::tree)
    cpu::knn_kth_tree(x.data(), n, d, opt.k, res.nn_index.data(), res.rho.data());
  else
    cpu::knn_kth(x.data(), n, d, opt.k, res.nn_index.data(), res.rho.data());
  res.entropy = T(cpu::kl_entropy_from_rho(res.rho.data(), n, d, opt.k, opt.floor));
  return res;
}

// dx = dH * dH/dx [n, d] (a new tensor), for the x and result of knn_entropy(x, opt).
template <class T>
Tensor<T> knn_entropy_backward(const Tensor<T>& x, const KnnResult<T>& res,
                               const KnnOptions& opt, T dH) {
  detail::check_samples("knn_entropy_backward", x);
  const int64_t n = x.size(0), d = x.size(1);
  detail::check_knn_options("knn_entropy_backward", opt, n);
  check(int64_t(res.nn_index.size()) == n && res.rho.defined() && res.rho.numel() == n,
        "knn_entropy_backward: result holds ", res.nn_index.size(), " neighbours, x has ", n,
        " samples (pass the result of knn_entropy on this x)");
  for (int64_t i = 0; i < n; ++i)
    check(res.nn_index[size_t(i)] >= 0 && res.nn_index[size_t(i)] < n && res.nn_index[size_t(i)] != i,
          "knn_entropy_backward: result.nn_index[", i, "] = ", res.nn_index[size_t(i)],
          " is not another sample's index");
  check(res.rho.device() == x.device(), "knn_entropy_backward: result.rho is on ", to_string(res.rho.device()),
        ", x on ", to_string(x.device()), " (pass the result of knn_entropy on this x)");
  check(std::isfinite(double(dH)), "knn_entropy_backward: dH must be finite, got ", dH);
  Tensor<T> dx({n, d}, x.device());
  if (x.device() == Device::cuda)
    ops::cuda_kernels<T>().knn_backward(x.data(), n, d, opt.floor, res.nn_index.data(), res.rho.data(),
                                        double(dH), dx.data());
  else
    cpu::kl_entropy_backward(x.data(), n, d, opt.floor, res.nn_index.data(), res.rho.data(), dH,
                             dx.data());
  return dx;
}

}  // namespace entropic::entropy
