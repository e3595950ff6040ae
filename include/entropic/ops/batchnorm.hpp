// BatchNorm1d entry points over [batch, features].
#pragma once
#include "entropic/cpu/batchnorm.hpp"
#include "entropic/ops/common.hpp"

namespace entropic::ops {

// What the backward needs. Training: the batch mean and 1/sqrt(var + eps). Eval: snapshots of
// the running statistics, since later training steps update them in place.
template <class T>
struct BatchNormForward {
  Tensor<T> y, mean, rstd, running_var;
  double eps = 0;
};

template <class T>
struct BatchNormGrads {
  Tensor<T> dx, dgamma, dbeta;
};

namespace detail {
template <class T>
void check_batchnorm(const Tensor<T>& x, const Tensor<T>& gamma, const Tensor<T>& beta,
                     const Tensor<T>& rm, const Tensor<T>& rv, double eps) {
  require_matrix(x, "batchnorm1d", "input");
  const int64_t f = x.cols();
  auto vec = [&](const Tensor<T>& t, const char* name) {
    require_device(t, x.device(), "batchnorm1d", name);
    check(t.rank() == 1 && t.numel() == f, "batchnorm1d: ", name, " has shape ", t.shape(),
          " but the input has ", f, " features");
  };
  vec(gamma, "weight");
  vec(beta, "bias");
  vec(rm, "running_mean");
  vec(rv, "running_var");
  require_positive(eps, "batchnorm1d", "eps");
}
}  // namespace detail

template <class T>
BatchNormForward<T> batchnorm_train(const Tensor<T>& x, const Tensor<T>& gamma,
                                    const Tensor<T>& beta, Tensor<T>& running_mean,
                                    Tensor<T>& running_var, double eps, double momentum) {
  detail::check_batchnorm(x, gamma, beta, running_mean, running_var, eps);
  check(x.rows() >= 2, "batchnorm1d: training mode needs at least 2 rows per batch to estimate a "
                       "variance, got ", x.rows(), "; use eval mode for single samples");
  check(momentum >= 0 && momentum <= 1, "batchnorm1d: momentum must be in [0, 1], got ", momentum);
  const int64_t f = x.cols();
  const Device dev = x.device();
  BatchNormForward<T> r{Tensor<T>(x.shape(), dev), Tensor<T>({f}, dev), Tensor<T>({f}, dev), {}, eps};
  if (dev == Device::cuda) {
    cuda_kernels<T>().batchnorm_forward_train(x.data(), gamma.data(), beta.data(), r.y.data(), r.mean.data(),
                                              r.rstd.data(), running_mean.data(), running_var.data(),
                                              x.rows(), f, eps, momentum);
    return r;
  }
  cpu::batchnorm_forward_train(x.data(), gamma.data(), beta.data(), r.y.data(), r.mean.data(),
                               r.rstd.data(), running_mean.data(), running_var.data(), x.rows(),
                               f, eps, momentum);
  return r;
}

template <class T>
BatchNormForward<T> batchnorm_eval(const Tensor<T>& x, const Tensor<T>& gamma,
                                   const Tensor<T>& beta, const Tensor<T>& running_mean,
                                   const Tensor<T>& running_var, double eps) {
  detail::check_batchnorm(x, gamma, beta, running_mean, running_var, eps);
  BatchNormForward<T> r{Tensor<T>(x.shape(), x.device()), running_mean.clone(), {}, running_var.clone(), eps};
  if (x.device() == Device::cuda) {
    cuda_kernels<T>().batchnorm_forward_eval(x.data(), gamma.data(), beta.data(), running_mean.data(),
                                             running_var.data(), r.y.data(), x.rows(), x.cols(), eps);
    return r;
  }
  cpu::batchnorm_forward_eval(x.data(), gamma.data(), beta.data(), running_mean.data(),
                              running_var.data(), r.y.data(), x.rows(), x.cols(), eps);
  return r;
}

template <class T>
BatchNormGrads<T> batchnorm_backward(const Tensor<T>& dy, const Tensor<T>& x,
                                     const Tensor<T>& gamma, const BatchNormForward<T>& saved,
                                     bool training) {
  require_defined(dy, "batchnorm1d_backward", "dy");
  require_device(x, dy.device(), "batchnorm1d_backward", "input");
  require_same_shape(dy, x, "batchnorm1d_backward", "dy", "input");
  const int64_t f = x.cols();
  const Device dev = dy.device();
  BatchNormGrads<T> g{Tensor<T>(x.shape(), dev), Tensor<T>::zeros({f}, dev), Tensor<T>::zeros({f}, dev)};
  if (dev == Device::cuda) {
    auto& k = cuda_kernels<T>();
    if (training)
      k.batchnorm_backward_train(dy.data(), x.data(), saved.mean.data(), saved.rstd.data(), gamma.data(),
                                 g.dx.data(), g.dgamma.data(), g.dbeta.data(), x.rows(), f);
    else
      k.batchnorm_backward_eval(dy.data(), x.data(), gamma.data(), saved.mean.data(),
                                saved.running_var.data(), g.dx.data(), g.dgamma.data(), g.dbeta.data(),
                                x.rows(), f, saved.eps);
    return g;
  }
  if (training)
    cpu::batchnorm_backward_train(dy.data(), x.data(), saved.mean.data(), saved.rstd.data(),
                                  gamma.data(), g.dx.data(), g.dgamma.data(), g.dbeta.data(),
                                  x.rows(), f);
  else
    cpu::batchnorm_backward_eval(dy.data(), x.data(), gamma.data(), saved.mean.data(),
                                 saved.running_var.data(), g.dx.data(), g.dgamma.data(),
                                 g.dbeta.data(), x.rows(), f, saved.eps);
  return g;
}

}  // namespace entropic::ops
