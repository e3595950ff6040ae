// Elementwise arithmetic on tensors of the same shape.
#pragma once
#include "entropic/core/parallel.hpp"
#include "entropic/ops/common.hpp"

namespace entropic::ops {

// y += alpha * x
template <class T>
void axpy_inplace(Tensor<T>& y, const Tensor<T>& x, T alpha) {
  require_cpu(y, "axpy", "y");
  require_cpu(x, "axpy", "x");
  require_same_shape(y, x, "axpy", "y", "x");
  T* py = y.data();
  const T* px = x.data();
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
  require_cpu(a, "add", "a");
  require_cpu(b, "add", "b");
  require_same_shape(a, b, "add", "a", "b");
  Tensor<T> out(a.shape());
  const T *pa = a.data(), *pb = b.data();
  T* po = out.data();
  for (int64_t i = 0; i < a.numel(); ++i) po[i] = alpha * pa[i] + beta * pb[i];
  return out;
}

template <class T>
Tensor<T> scaled(const Tensor<T>& a, T alpha) {
  require_cpu(a, "scale", "a");
  Tensor<T> out(a.shape());
  for (int64_t i = 0; i < a.numel(); ++i) out[i] = alpha * a[i];
  return out;
}

}  // namespace entropic::ops
