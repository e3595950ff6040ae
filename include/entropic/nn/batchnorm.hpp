// BatchNorm1d over [batch, features]: batch statistics in training mode (and a running-stat
// update), running statistics in eval mode. PyTorch's argument order: (features, eps, momentum).
#pragma once
#include "entropic/autograd/functions.hpp"
#include "entropic/nn/module.hpp"

namespace entropic::nn {

template <class T>
class BatchNorm1d;

namespace detail {
// Installed while a data-parallel step runs (dist/data_parallel.hpp): training-mode batch
// statistics then span the rows of every rank, as PyTorch's SyncBatchNorm. Thread-local, so a
// picture drawn between steps, or another thread, normalises over its own rows only.
template <class T>
struct BatchNormSync {
  virtual ~BatchNormSync() = default;
  virtual Var<T> forward(const Var<T>& x, BatchNorm1d<T>& bn) = 0;
};
template <class T>
inline thread_local BatchNormSync<T>* batchnorm_sync = nullptr;
}  // namespace detail

template <class T = float>
class BatchNorm1d : public Module<T> {
 public:
  explicit BatchNorm1d(int64_t features, double eps = 1e-5, double momentum = 0.1)
      : eps_(eps), momentum_(momentum) {
    check(features > 0, "batchnorm1d: features must be positive, got ", features);
    ops::require_positive(eps, "batchnorm1d", "eps");
    check(momentum >= 0 && momentum <= 1, "batchnorm1d: momentum must be in [0, 1], got ",
          momentum);
    weight = Var<T>(Tensor<T>::ones({features}), true);
    bias = Var<T>(Tensor<T>::zeros({features}), true);
    running_mean = Tensor<T>::zeros({features});
    running_var = Tensor<T>::ones({features});
  }

  Var<T> forward(const Var<T>& x) override {
    if (this->training_ && detail::batchnorm_sync<T>) return detail::batchnorm_sync<T>->forward(x, *this);
    return fn::batchnorm1d(x, weight, bias, running_mean, running_var, this->training_, eps_,
                           momentum_);
  }
  void collect_parameters(const std::string& prefix,
                          std::vector<std::pair<std::string, Var<T>>>& out) override {
    out.push_back({prefix + "weight", weight});
    out.push_back({prefix + "bias", bias});
  }
  void collect_buffers(const std::string& prefix,
                       std::vector<std::pair<std::string, Tensor<T>*>>& out) override {
    out.push_back({prefix + "running_mean", &running_mean});
    out.push_back({prefix + "running_var", &running_var});
  }

  double eps() const { return eps_; }
  double momentum() const { return momentum_; }

  Var<T> weight, bias;
  Tensor<T> running_mean, running_var;

 private:
  double eps_, momentum_;
};

}  // namespace entropic::nn
