// Kozachenko-Leonenko k-nearest-neighbour entropy of a minibatch: validated entry points over
// Tensor<T> [n, d] on either device around the kernels of ops/knn.hpp.
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
#include "entropic/entropy/bandwidth.hpp"
#include "entropic/ops/knn.hpp"

namespace entropic::entropy {

// The CPU's search (k-d tree or brute force) and the rule that picks one: ops/knn.hpp.
using ops::KnnMethod;
using ops::kKnnTreeMinN;
using ops::knn_tree_max_dim;
using ops::parse_knn_method;
using ops::resolve_knn_method;
using ops::to_string;

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
  const int64_t n = x.size(0);
  detail::check_knn_options("knn_entropy", opt, n);
  KnnResult<T> res{T(0), std::vector<int64_t>(static_cast<size_t>(n)), Tensor<T>({n}, x.device())};
  res.entropy = T(ops::knn_forward(x, opt.k, opt.floor, res.nn_index.data(), res.rho, opt.method, &res.method));
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
  ops::knn_backward(x, opt.floor, res.nn_index.data(), res.rho, dH, dx);
  return dx;
}

}  // namespace entropic::entropy
