// Elementwise arithmetic on tensors of the same shape.
#pragma once
#include "entropic/core/parallel.hpp"
#include "entropic/ops/common.hpp"

namespace entropic::ops {

// y += alpha * x
template <class T>
void axpy_inplace(Tensor<T>& y, const Tensor<T>& x, T alpha) {
  require_defined(y, "axpy", "y");
  require_device(x, y.device(), "axpy", "x");
  require_same_shape(y, x, "axpy", "y", "x");
  T* py = y.data();
  const T* px = x.data();
  if (y.device() == Device::cuda) return cuda_kernels<T>().axpby(T(1), py, alpha, px, py, y.numel());
  parallel_for(y.numel(), 1 << 16, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) py[i] += alpha * px[i];
  });
}

template <class T>
void add_inplace(Tensor<T>& y, const Tensor<T>& x) {
  axpy_inplace(y, x, T(1));
}

// alpha * a + beta * b, a new tensor.
template <class T>
Tensor<T> lincomb(T alpha, const Tensor<T>& a, T beta, const Tensor<T>& b) {
  require_defined(a, "add", "a");
  require_device(b, a.device(), "add", "b");
  require_same_shape(a, b, "add", "a", "b");
  Tensor<T> out(a.shape(), a.device());
  const T *pa = a.data(), *pb = b.data();
  T* po = out.data();
  if (a.device() == Device::cuda) {
    cuda_kernels<T>().axpby(alpha, pa, beta, pb, po, a.numel());
    return out;
  }
  for (int64_t i = 0; i < a.numel(); ++i) po[i] = alpha * pa[i] + beta * pb[i];
  return out;
}

template <class T>
Tensor<T> scaled(const Tensor<T>& a, T alpha) {
  require_defined(a, "scale", "a");
  Tensor<T> out(a.shape(), a.device());
  if (a.device() == Device::cuda) {
    cuda_kernels<T>().axpby(alpha, a.data(), T(0), a.data(), out.data(), a.numel());
    return out;
  }
  for (int64_t i = 0; i < a.numel(); ++i) out[i] = alpha * a[i];
  return out;
}

}  // namespace entropic::ops
