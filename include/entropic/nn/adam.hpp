// Adam with PyTorch's semantics (torch.optim.Adam, amsgrad off): L2 weight decay added to
// the gradient (not decoupled as in AdamW), bias-corrected moments, eps added after the
// square root of the corrected second moment. The elementwise step is ops::adam_update.
#pragma once
#include <cmath>
#include <vector>

#include "entropic/autograd/var.hpp"
#include "entropic/ops/adam.hpp"

namespace entropic::nn {

struct AdamOptions {
  double lr = 1e-3;
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
  double weight_decay = 0.0;
};

template <class T = float>
class Adam {
 public:
  Adam(std::vector<Var<T>> params, AdamOptions o = {}) : params_(std::move(params)), o_(o) {
    ops::require_positive(o.lr, "adam", "lr");
    ops::require_positive(o.eps, "adam", "eps");
    check(o.beta1 >= 0 && o.beta1 < 1, "adam: beta1 must be in [0, 1), got ", o.beta1);
    check(o.beta2 >= 0 && o.beta2 < 1, "adam: beta2 must be in [0, 1), got ", o.beta2);
    check(o.weight_decay >= 0, "adam: weight_decay must be >= 0, got ", o.weight_decay);
    for (auto& p : params_) {
      check(p.requires_grad(), "adam: a parameter of shape ", p.shape().str(),
            " does not require grad");
      m_.push_back(Tensor<T>::zeros(p.shape(), p.value().device()));
      v_.push_back(Tensor<T>::zeros(p.shape(), p.value().device()));
    }
  }

  // Parameters whose gradient is undefined (unused in this step) are left alone, as in PyTorch.
  void step() {
    ++t_;
    const double bc1 = 1 - std::pow(o_.beta1, double(t_));
    const double bc2 = 1 - std::pow(o_.beta2, double(t_));
    const T step_size = T(o_.lr / bc1), rbc2 = T(1 / std::sqrt(bc2));
    const T b1 = T(o_.beta1), b2 = T(o_.beta2), eps = T(o_.eps), wd = T(o_.weight_decay);
    for (size_t k = 0; k < params_.size(); ++k) {
      Var<T>& p = params_[k];
      if (!p.grad().defined()) continue;
      check(p.value().device() == m_[k].device() && p.grad().device() == m_[k].device(), "adam: parameter ", k,
            " or its gradient moved to another device after the optimizer was made; move the model first");
      ops::adam_update(p.value(), p.grad(), m_[k], v_[k], step_size, rbc2, b1, b2, eps, wd);
    }
  }
  void zero_grad() {
    for (auto& p : params_) p.zero_grad();
  }

  int64_t steps() const { return t_; }
  std::vector<Tensor<T>>& first_moments() { return m_; }
  std::vector<Tensor<T>>& second_moments() { return v_; }
  void set_steps(int64_t t) { t_ = t; }
  const AdamOptions& options() const { return o_; }
  void set_lr(double lr) { o_.lr = lr; }

 private:
  std::vector<Var<T>> params_;
  AdamOptions o_;
  std::vector<Tensor<T>> m_, v_;
  int64_t t_ = 0;
};

}  // namespace entropic::nn
