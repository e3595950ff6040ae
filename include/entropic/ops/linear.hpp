// The Linear entry points: validate once, then call the backend GEMM.
#pragma once
#include <cmath>

#include "entropic/cpu/activations.hpp"
#include "entropic/cpu/gemm.hpp"
#include "entropic/cpu/reduce.hpp"
#include "entropic/ops/activations.hpp"
#include "entropic/ops/common.hpp"

namespace entropic::ops {

// y[B, out] = act(x[B, in] W[out, in]^T + b[out]); slope: leaky_relu only. The activation is
// the GEMM's epilogue: on cuda inside the kernel, on the cpu one in-place pass over y right
// after the GEMM (the same float operations as ops::activation on the GEMM's result, so the
// fused and unfused results are bit-identical), and no pre-activation tensor is made.
template <class T>
Tensor<T> linear(const Tensor<T>& x, const Tensor<T>& w, const Tensor<T>* b, Act act = Act::none,
                 double slope = 0.0) {
  require_matrix(x, "linear", "input");
  require_matrix(w, "linear", "weight");
  check(x.cols() == w.cols(), "linear: input has ", x.cols(), " features, weight expects ",
        w.cols(), " (weight shape ", w.shape(), ")");
  require_device(w, x.device(), "linear", "weight");
  check(std::isfinite(slope), "linear: slope must be finite, got ", slope);
  const int64_t B = x.rows(), out = w.rows();
  Tensor<T> y({B, out}, x.device());
  T beta = T(0);
  if (b) {
    require_device(*b, x.device(), "linear", "bias");
    check(b->rank() == 1 && b->numel() == out, "linear: bias has shape ", b->shape(),
          ", expected [", out, "]");
  }
  if (x.device() == Device::cuda) {
    cuda_kernels<T>().linear_forward(x.data(), w.data(), b ? b->data() : nullptr, y.data(), B, out, x.cols(),
                                     act, T(slope));
    return y;
  }
  if (b) {
    // The bias is written first and GEMM adds onto it (beta = 1): one pass over y, not two.
    for (int64_t r = 0; r < B; ++r) std::copy(b->begin(), b->end(), y.data() + r * out);
    beta = T(1);
  }
  cpu::gemm<T>(false, true, B, out, x.cols(), T(1), x.data(), x.cols(), w.data(), w.cols(), beta,
               y.data(), out);
  if (act != Act::none) cpu::activation_inplace(act, y.data(), y.numel(), T(slope));
  return y;
}

// The gradient at the pre-activation of a fused linear from its saved OUTPUT y: the fused op
// keeps no pre-activation. relu, tanh and sigmoid take y anyway; leaky_relu takes the sign of
// its input, which y has too when slope >= 0 (y > 0 exactly when x > 0), so a fused leaky_relu
// needs slope >= 0 (fn::linear checks it).
template <class T>
Tensor<T> linear_activation_backward(const Tensor<T>& dy, const Tensor<T>& y, Act act, double slope) {
  check(act != Act::leaky_relu || slope >= 0, "linear: a fused leaky_relu needs slope >= 0, got ", slope);
  return activation_backward(dy, y, y, act, slope);
}

template <class T>
struct LinearGrads {
  Tensor<T> dx, dw, db;  // fresh tensors (undefined when not asked for)
};

template <class T>
LinearGrads<T> linear_backward(const Tensor<T>& dy, const Tensor<T>& x, const Tensor<T>& w,
                               bool want_dx, bool want_dw, bool want_db) {
  require_matrix(dy, "linear_backward", "dy");
  check(dy.rows() == x.rows() && dy.cols() == w.rows(), "linear_backward: dy has shape ",
        dy.shape(), ", expected [", x.rows(), ", ", w.rows(), "]");
  require_device(x, dy.device(), "linear_backward", "input");
  require_device(w, dy.device(), "linear_backward", "weight");
  const int64_t B = x.rows(), in = x.cols(), out = w.rows();
  const Device dev = dy.device();
  LinearGrads<T> g;
  if (want_dx) g.dx = Tensor<T>({B, in}, dev);
  if (want_dw) g.dw = Tensor<T>({out, in}, dev);
  if (want_db) g.db = Tensor<T>({out}, dev);
  if (dev == Device::cuda) {
    auto& k = cuda_kernels<T>();
    if (want_dx) k.linear_backward_input(dy.data(), w.data(), g.dx.data(), B, out, in);
    if (want_dw || want_db)
      k.linear_backward_weight(dy.data(), x.data(), want_dw ? g.dw.data() : nullptr,
                               want_db ? g.db.data() : nullptr, B, out, in);
    return g;
  }
  if (want_dx) {  // dx[B,in] = dy[B,out] W[out,in]
    cpu::gemm<T>(false, false, B, in, out, T(1), dy.data(), out, w.data(), in, T(0), g.dx.data(), in);
  }
  if (want_dw) {  // dW[out,in] = dy^T[out,B] x[B,in]
    cpu::gemm<T>(true, false, out, in, B, T(1), dy.data(), out, x.data(), in, T(0), g.dw.data(), in);
  }
  if (want_db) {
    cpu::column_sums(dy.data(), g.db.data(), B, out);
  }
  return g;
}

}  // namespace entropic::ops
