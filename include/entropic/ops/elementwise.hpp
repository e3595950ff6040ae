// Elementwise arithmetic on tensors of the same shape.
#pragma once
#include <cmath>

#include "entropic/core/parallel.hpp"
#include "entropic/cpu/elementwise.hpp"
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

// out = alpha * a + beta * b, rounded in T as written; out may be a or b (an in-place update).
// `what` names the caller in its error messages.
template <class T>
void axpby_into(Tensor<T>& out, T alpha, const Tensor<T>& a, T beta, const Tensor<T>& b, const char* what = "add") {
  require_defined(a, what, "a");
  require_device(b, a.device(), what, "b");
  require_device(out, a.device(), what, "out");
  require_same_shape(a, b, what, "a", "b");
  require_same_shape(out, a, what, "out", "a");
  const T *pa = a.data(), *pb = b.data();
  T* po = out.data();
  const int64_t n = a.numel();
  if (a.device() == Device::cuda) return cuda_kernels<T>().axpby(alpha, pa, beta, pb, po, n);
  for (int64_t i = 0; i < n; ++i) po[i] = alpha * pa[i] + beta * pb[i];
}

// alpha * a + beta * b, a new tensor.
template <class T>
Tensor<T> lincomb(T alpha, const Tensor<T>& a, T beta, const Tensor<T>& b) {
  require_defined(a, "add", "a");
  Tensor<T> out(a.shape(), a.device());
  axpby_into(out, alpha, a, beta, b);
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

// y = m(x; p0, p1), a new tensor (the maps are listed with Map).
template <class T>
Tensor<T> map(const Tensor<T>& x, Map m, T p0 = T(0), T p1 = T(0)) {
  require_defined(x, map_name(m), "input");
  if (m == Map::clamp)
    check(p0 <= p1, "clamp: needs lower <= upper, got lower ", p0, " and upper ", p1);
  Tensor<T> y(x.shape(), x.device());
  const int64_t n = x.numel();
  if (x.device() == Device::cuda) {
    cuda_kernels<T>().map_forward(m, x.data(), y.data(), n, p0, p1);
    return y;
  }
  const T* px = x.data();
  T* py = y.data();
  switch (m) {
    case Map::exp: cpu::map(px, py, n, [](T v) { return std::exp(v); }); break;
    case Map::log: cpu::map(px, py, n, [](T v) { return std::log(v); }); break;
    case Map::square: cpu::map(px, py, n, [](T v) { return v * v; }); break;
    // NaN stays NaN: a clamp that turned it into a bound would hide a diverged loss.
    case Map::clamp: cpu::map(px, py, n, [=](T v) { return v < p0 ? p0 : (v > p1 ? p1 : v); }); break;
    case Map::affine: cpu::map(px, py, n, [=](T v) { return p0 * v + p1; }); break;
  }
  return y;
}

// dx = dy * m'(x), given the forward's input x and output y.
template <class T>
Tensor<T> map_backward(const Tensor<T>& dy, const Tensor<T>& x, const Tensor<T>& y, Map m, T p0 = T(0),
                       T p1 = T(0)) {
  require_defined(dy, map_name(m), "dy");
  require_device(x, dy.device(), map_name(m), "input");
  require_same_shape(dy, x, map_name(m), "dy", "input");
  Tensor<T> dx(x.shape(), x.device());
  const int64_t n = x.numel();
  if (x.device() == Device::cuda) {
    cuda_kernels<T>().map_backward(m, dy.data(), x.data(), y.data(), dx.data(), n, p0, p1);
    return dx;
  }
  const T *pd = dy.data(), *px = x.data(), *py = y.data();
  T* pdx = dx.data();
  switch (m) {
    case Map::exp: cpu::zip(pd, py, pdx, n, [](T g, T v) { return g * v; }); break;
    case Map::log: cpu::zip(pd, px, pdx, n, [](T g, T v) { return g / v; }); break;
    case Map::square: cpu::zip(pd, px, pdx, n, [](T g, T v) { return T(2) * v * g; }); break;
    // Inside the closed interval the gradient passes (PyTorch's convention at the bounds).
    case Map::clamp:
      cpu::zip(pd, px, pdx, n, [=](T g, T v) { return v >= p0 && v <= p1 ? g : T(0); });
      break;
    case Map::affine: cpu::map(pd, pdx, n, [=](T g) { return p0 * g; }); break;
  }
  return dx;
}

// alpha * (a * b) or alpha * (a / b), elementwise, a new tensor.
template <class T>
Tensor<T> binary(Binary op, T alpha, const Tensor<T>& a, const Tensor<T>& b) {
  const char* name = op == Binary::mul ? "mul" : "div";
  require_defined(a, name, "a");
  require_device(b, a.device(), name, "b");
  require_same_shape(a, b, name, "a", "b");
  Tensor<T> out(a.shape(), a.device());
  if (a.device() == Device::cuda) {
    cuda_kernels<T>().binary(op, alpha, a.data(), b.data(), out.data(), a.numel());
    return out;
  }
  if (op == Binary::mul)
    cpu::zip(a.data(), b.data(), out.data(), a.numel(), [=](T u, T v) { return alpha * (u * v); });
  else
    cpu::zip(a.data(), b.data(), out.data(), a.numel(), [=](T u, T v) { return alpha * (u / v); });
  return out;
}

}  // namespace entropic::ops
