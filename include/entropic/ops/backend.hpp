// The kernels an op calls when its tensors are on Device::cuda. entropic/cuda/backend.cuh
// implements this over the kernels of include/entropic/cuda/ and registers it; the op layer
// validates, allocates the outputs on the device and calls one of these. Pointers are device
// pointers; every call is ordered on the backend's stream; the ones that return a double copy
// that scalar back (and so wait for the device).
#pragma once
#include <cstdint>

#include "entropic/core/act.hpp"
#include "entropic/core/maps.hpp"
#include "entropic/core/backend.hpp"

namespace entropic::ops {

template <class T>
class CudaKernels {
 public:
  virtual ~CudaKernels() = default;
  // y (M, N) = act(x (M, K) W (N, K)^T + b (N,)) (b may be null; slope: leaky_relu only;
  // OVERWRITES y). The activation runs in the GEMM's epilogue.
  virtual void linear_forward(const T* x, const T* W, const T* b, T* y, int64_t M, int64_t N, int64_t K, Act act,
                              T slope) = 0;
  // dx (M, K) = dy (M, N) W (N, K)  (OVERWRITES)
  virtual void linear_backward_input(const T* dy, const T* W, T* dx, int64_t M, int64_t N, int64_t K) = 0;
  // dW (N, K) = dy^T x; db (N,) = column sums of dy (OVERWRITE; db may be null)
  virtual void linear_backward_weight(const T* dy, const T* x, T* dW, T* db, int64_t M, int64_t N, int64_t K) = 0;

  virtual void activation_forward(Act a, const T* x, T* y, int64_t n, T slope) = 0;
  // s: y for relu, tanh and sigmoid; x for leaky_relu (OVERWRITES dx)
  virtual void activation_backward(Act a, const T* dy, const T* s, T* dx, int64_t n, T slope) = 0;

  virtual void batchnorm_forward_train(const T* x, const T* gamma, const T* beta, T* y, T* mean, T* rstd,
                                       T* running_mean, T* running_var, int64_t rows, int64_t cols, double eps,
                                       double momentum) = 0;
  virtual void batchnorm_forward_eval(const T* x, const T* gamma, const T* beta, const T* running_mean,
                                      const T* running_var, T* y, int64_t rows, int64_t cols, double eps) = 0;
  // dx OVERWRITTEN; dgamma, dbeta ACCUMULATED
  virtual void batchnorm_backward_train(const T* dy, const T* x, const T* mean, const T* rstd, const T* gamma,
                                        T* dx, T* dgamma, T* dbeta, int64_t rows, int64_t cols) = 0;
  virtual void batchnorm_backward_eval(const T* dy, const T* x, const T* gamma, const T* running_mean,
                                       const T* running_var, T* dx, T* dgamma, T* dbeta, int64_t rows,
                                       int64_t cols, double eps) = 0;

  // y (rows, units) = max over each group of `pieces` adjacent columns of x (rows, units * pieces)
  virtual void maxout_forward(const T* x, T* y, int64_t rows, int64_t units, int64_t pieces) = 0;
  // dx = dy routed to each group's first maximum, recomputed from x (OVERWRITES dx)
  virtual void maxout_backward(const T* dy, const T* x, T* dx, int64_t rows, int64_t units, int64_t pieces) = 0;

  // mean over n elements; dz = (sigmoid(z) - t) * scale (OVERWRITES)
  virtual double bce_with_logits_forward(const T* z, const T* t, int64_t n) = 0;
  virtual void bce_with_logits_backward(const T* z, const T* t, T* dz, int64_t n, double scale) = 0;
  // The same with the loss and its upstream gradient as device scalars (scale = dloss[0] / n):
  // nothing is read back, so a training step does not wait for the device.
  virtual void bce_with_logits_forward(const T* z, const T* t, int64_t n, T* loss) = 0;
  virtual void bce_with_logits_backward(const T* z, const T* t, T* dz, int64_t n, const T* dloss) = 0;

  virtual double sum(const T* x, int64_t n) = 0;
  virtual double sum_of_squares(const T* x, int64_t n) = 0;
  // out = alpha a + beta b; out may be a or b
  virtual void axpby(T alpha, const T* a, T beta, const T* b, T* out, int64_t n) = 0;
  // y = m(x; p0, p1); dx = dy * m'(x) from x and y (OVERWRITE; y may be x in forward)
  virtual void map_forward(Map m, const T* x, T* y, int64_t n, T p0, T p1) = 0;
  virtual void map_backward(Map m, const T* dy, const T* x, const T* y, T* dx, int64_t n, T p0, T p1) = 0;
  // out = alpha * (a op b) (OVERWRITES; out may be a or b)
  virtual void binary(Binary op, T alpha, const T* a, const T* b, T* out, int64_t n) = 0;

  // log_p, row_lse (n,) of x (n, d); returns H
  virtual double kde_forward(const T* x, int64_t n, int64_t d, double sigma, bool leave_one_out, T* log_p,
                             T* row_lse) = 0;
  // dx = dH * dH/dx (OVERWRITES)
  virtual void kde_backward(const T* x, int64_t n, int64_t d, double sigma, bool leave_one_out, const T* row_lse,
                            double dH, T* dx) = 0;
  // The same with H and dH as device scalars: nothing is read back.
  virtual void kde_forward(const T* x, int64_t n, int64_t d, double sigma, bool leave_one_out, T* log_p, T* row_lse,
                           T* H) = 0;
  virtual void kde_backward(const T* x, int64_t n, int64_t d, double sigma, bool leave_one_out, const T* row_lse,
                            const T* dH, T* dx) = 0;

  // Kozachenko-Leonenko search: the k-th nearest other sample of each row of x (n, d), its index
  // into nn_index (n,) on the HOST and its distance into rho (n,) on the device; k <= knn_max_k()
  virtual void knn_search(const T* x, int64_t n, int64_t d, int k, int64_t* nn_index, T* rho) = 0;
  virtual int knn_max_k() const = 0;
  // dx = dH * dH/dx (OVERWRITES); nn_index on the host, as knn_search gave it
  virtual void knn_backward(const T* x, int64_t n, int64_t d, double floor, const int64_t* nn_index, const T* rho,
                            double dH, T* dx) = 0;

  // One Adam step over n elements (PyTorch semantics, nn/adam.hpp); step_size = lr / bc1,
  // rbc2 = 1 / sqrt(bc2).
  virtual void adam_update(T* w, const T* g, T* m, T* v, int64_t n, T step_size, T rbc2, T b1, T b2, T eps,
                           T wd) = 0;
};

template <class T>
CudaKernels<T>*& cuda_kernels_slot() {
  static CudaKernels<T>* kernels = nullptr;
  return kernels;
}

template <class T>
CudaKernels<T>& cuda_kernels() {
  require_cuda_backend("cuda");
  return *cuda_kernels_slot<T>();
}

}  // namespace entropic::ops
