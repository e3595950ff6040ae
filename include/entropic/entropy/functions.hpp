// The entropy estimators as autograd nodes: H of a batch of samples, differentiable in the
// samples. The KDE node saves the result (per-row log-sum-exps) its backward pass reuses; the
// kNN node saves each sample's k-th neighbour. Both ACCUMULATE into dx (autograd/var.hpp).
// The bandwidth is a constant of the gradient (entropy/bandwidth.hpp).
#pragma once
#include <cmath>
#include <memory>
#include <utility>

#include "entropic/autograd/var.hpp"
#include "entropic/entropy/kde.hpp"
#include "entropic/entropy/knn.hpp"

namespace entropic::fn {

// An entropy estimate of a batch, as both estimators return it: H, differentiable in the
// samples, and the bandwidth the KDE chose for this batch (NaN for kNN, which has none).
template <class T>
struct EntropyEstimate {
  Var<T> H;
  double sigma = std::nan("");
};

// H = -(1/n) sum_i log p(x_i), p a Gaussian KDE over the batch x [n, d].
// On cuda H and its gradient stay on the device (entropy::kde_entropy_on_device).
template <class T>
EntropyEstimate<T> kde_entropy(const Var<T>& x, const entropy::KdeOptions& opt = {}) {
  if (ops::kde_scalars_on_device(x.value())) {
    Tensor<T> h;
    auto res = std::make_shared<entropy::KdeResult<T>>(entropy::kde_entropy_on_device(x.value(), opt, h));
    Var<T> H = make_result<T>(std::move(h), "kde_entropy", {x}, [x, res, opt](const Tensor<T>& dH) {
      Var<T>::accumulate_grad(*x.state(), entropy::kde_entropy_backward_on_device(x.value(), *res, opt, dH));
    });
    return {std::move(H), res->sigma};
  }
  auto res = std::make_shared<entropy::KdeResult<T>>(entropy::kde_entropy(x.value(), opt));
  Var<T> H = make_result<T>(Tensor<T>::full({}, res->entropy, x.value().device()), "kde_entropy", {x},
                            [x, res, opt](const Tensor<T>& dH) {
    // The backward uses res->sigma, this batch's bandwidth, as a constant.
    Var<T>::accumulate_grad(*x.state(), entropy::kde_entropy_backward(x.value(), *res, opt, dH.item()));
  });
  return {std::move(H), res->sigma};
}

// Kozachenko-Leonenko k-nearest-neighbour entropy of the batch x [n, d].
template <class T>
EntropyEstimate<T> knn_entropy(const Var<T>& x, const entropy::KnnOptions& opt = {}) {
  auto res = std::make_shared<entropy::KnnResult<T>>(entropy::knn_entropy(x.value(), opt));
  Var<T> H = make_result<T>(Tensor<T>::full({}, res->entropy, x.value().device()), "knn_entropy", {x},
                            [x, res, opt](const Tensor<T>& dH) {
    Var<T>::accumulate_grad(*x.state(), entropy::knn_entropy_backward(x.value(), *res, opt, dH.item()));
  });
  return {std::move(H)};
}

}  // namespace entropic::fn
