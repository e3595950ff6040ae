// The KDE entropy of the global batch with its rows split over the ranks: each rank evaluates
// log p only for its own rows (against every sample), so the n x n work is divided by N where
// gather_rows + fn::kde_entropy repeats it on every rank.
//
//   forward:  all-gather the samples (n x d, small); this rank's sum of -log p(x_i) / n over its
//             rows; an all-reduce of that one number gives H, the same on every rank.
//   backward: H is the sum of the ranks' parts, so the gradient reaching each part is the sum of
//             the gradients reaching H on every rank (one all-reduce of a number). A rank's part
//             depends on its rows (row terms) and on every sample (column terms); the column
//             terms travel back to their owners by reduce-scatter.
// With the same gradient reaching H on N ranks, each rank's rows receive N dH/dx, as through
// gather_rows: the trainer's averaging brings it to dH/dx. Host tensors; accumulates in double.
#pragma once
#include <cmath>
#include <memory>
#include <numeric>
#include <vector>

#include "entropic/autograd/var.hpp"
#include "entropic/core/parallel.hpp"
#include "entropic/dist/communicator.hpp"
#include "entropic/entropy/functions.hpp"

namespace entropic::dist {

namespace detail {
// |x_i - x_j|^2 in double, rows of the [n, d] row-major X: the forward's and the backward's.
template <class T>
double squared_distance(const T* X, int64_t d, int64_t i, int64_t j) {
  double s = 0;
  for (int64_t k = 0; k < d; ++k) {
    const double t = double(X[i * d + k]) - double(X[j * d + k]);
    s += t * t;
  }
  return s;
}
}  // namespace detail

template <class T>
fn::EntropyEstimate<T> kde_entropy_rows(Communicator& comm, const Var<T>& x, const std::vector<int64_t>& row_counts,
                                        const entropy::KdeOptions& opt = {}) {
  check(x.value().device() == Device::cpu, "dist::kde_entropy_rows: runs on host tensors; on GPUs gather the rows ",
        "(dist::gather_rows) and use fn::kde_entropy");
  auto all = std::make_shared<Tensor<T>>(all_gather_rows(comm, x.value(), row_counts));
  entropy::detail::check_samples("dist::kde_entropy_rows", *all);
  const int64_t n = all->size(0), d = all->size(1);
  const int64_t begin = std::accumulate(row_counts.begin(), row_counts.begin() + comm.rank(), int64_t(0));
  const int64_t b = row_counts[size_t(comm.rank())];
  const double sigma = entropy::select_bandwidth("dist::kde_entropy_rows", *all, opt.bandwidth, opt.sigma);
  const double inv = 1.0 / (2 * sigma * sigma);
  const bool loo = opt.leave_one_out;
  const double norm = std::log(double(loo ? n - 1 : n)) + 0.5 * double(d) * std::log(2 * M_PI * sigma * sigma);
  // lse[i] = log sum_{j in S_i} exp(-|x_i - x_j|^2 / (2 sigma^2)) for this rank's rows.
  auto lse = std::make_shared<std::vector<double>>(size_t(b));
  const T* X = all->data();
  auto dist2 = [X, d](int64_t i, int64_t j) { return detail::squared_distance(X, d, i, j); };
  parallel_for(b, 8, [&](int64_t lo, int64_t hi) {
    for (int64_t r = lo; r < hi; ++r) {
      const int64_t i = begin + r;
      double mx = -INFINITY;
      for (int64_t j = 0; j < n; ++j)
        if (!(loo && j == i)) mx = std::max(mx, -dist2(i, j) * inv);
      double s = 0;
      for (int64_t j = 0; j < n; ++j)
        if (!(loo && j == i)) s += std::exp(-dist2(i, j) * inv - mx);
      (*lse)[size_t(r)] = mx + std::log(s);
    }
  });
  double H = 0;
  for (int64_t r = 0; r < b; ++r) H -= ((*lse)[size_t(r)] - norm) / double(n);
  comm.all_reduce(&H, 1, Reduce::sum);
  Communicator* c = &comm;
  Var<T> out = make_result<T>(Tensor<T>::full({}, T(H)), "kde_entropy_rows", {x},
                              [x, all, lse, c, row_counts, begin, b, n, d, inv, loo](const Tensor<T>& dH) {
    double g = double(dH.item());
    c->all_reduce(&g, 1, Reduce::sum);
    // Row terms land in this rank's rows, column terms anywhere: a full [n, d] buffer. Rows are
    // split over threads, each with its own buffer for the column terms, summed in a fixed order.
    const T* X = all->data();
    const int threads = int(std::min<int64_t>(num_threads(), std::max<int64_t>(1, b)));
    std::vector<std::vector<double>> part(size_t(threads), std::vector<double>(size_t(n * d), 0.0));
    const int64_t chunk = (b + threads - 1) / threads;
    parallel_for(threads, 1, [&](int64_t t0, int64_t t1) {
      for (int64_t t = t0; t < t1; ++t) {
        std::vector<double>& acc = part[size_t(t)];
        for (int64_t r = t * chunk; r < std::min(b, (t + 1) * chunk); ++r) {
          const int64_t i = begin + r;
          for (int64_t j = 0; j < n; ++j) {
            if (loo && j == i) continue;
            const double s = detail::squared_distance(X, d, i, j);
            const double coef = g * std::exp(-s * inv - (*lse)[size_t(r)]) * 2 * inv / double(n);
            for (int64_t k = 0; k < d; ++k) {
              const double u = coef * (double(X[i * d + k]) - double(X[j * d + k]));
              acc[size_t(i * d + k)] += u;
              acc[size_t(j * d + k)] -= u;
            }
          }
        }
      }
    });
    Tensor<T> dall({n, d});
    for (int64_t e = 0; e < n * d; ++e) {
      double s = 0;
      for (const auto& p : part) s += p[size_t(e)];
      dall.data()[e] = T(s);
    }
    Var<T>::accumulate_grad(*x.state(), reduce_scatter_rows(*c, dall, row_counts));
  });
  return {std::move(out), sigma};
}

}  // namespace entropic::dist
