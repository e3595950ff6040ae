// Differentiable functions on Var: each records one coarse node whose backward is written by
// hand and calls the op layer. Every node ACCUMULATES into its inputs' gradients (var.hpp).
#pragma once
#include <memory>
#include <type_traits>

#include "entropic/autograd/var.hpp"
#include "entropic/ops/activations.hpp"
#include "entropic/ops/batchnorm.hpp"
#include "entropic/ops/elementwise.hpp"
#include "entropic/ops/linear.hpp"
#include "entropic/ops/loss.hpp"
#include "entropic/ops/maxout.hpp"
#include "entropic/ops/reduce.hpp"

namespace entropic::fn {

// y = x W^T + b; saves x and W (their values, not copies).
template <class T>
Var<T> linear(const Var<T>& x, const Var<T>& w, const Var<T>& b = {}) {
  const Tensor<T>* bias = b.defined() ? &b.value() : nullptr;
  Tensor<T> y = ops::linear(x.value(), w.value(), bias);
  std::vector<Var<T>> in{x, w};
  if (b.defined()) in.push_back(b);
  return make_result<T>(std::move(y), "linear", in, [x, w, b](const Tensor<T>& dy) {
    ops::LinearGrads<T> g = ops::linear_backward(dy, x.value(), w.value(), x.requires_grad(),
                                                 w.requires_grad(), b.defined() && b.requires_grad());
    if (g.dx.defined()) Var<T>::accumulate_grad(*x.state(), std::move(g.dx));
    if (g.dw.defined()) Var<T>::accumulate_grad(*w.state(), std::move(g.dw));
    if (g.db.defined()) Var<T>::accumulate_grad(*b.state(), std::move(g.db));
  });
}

// y = act(x W^T + b) in one node: the activation is the GEMM's epilogue (ops::linear), the
// pre-activation is never stored, and the backward takes the activation's derivative from the
// saved output y, then runs the linear backward. Same values as fn::activation(fn::linear(x, W,
// b), act, slope) to the bit on the cpu. slope: leaky_relu only, and >= 0 there (the backward
// reads the side of the kink from the sign of y). b may be {} (no bias).
template <class T>
Var<T> linear(const Var<T>& x, const Var<T>& w, const Var<T>& b, Act act, double slope = 0.0) {
  if (act == Act::none) return linear(x, w, b);
  check(act != Act::leaky_relu || slope >= 0, "linear: a fused leaky_relu needs slope >= 0, got ", slope,
        "; apply fn::leaky_relu after fn::linear instead");
  const Tensor<T>* bias = b.defined() ? &b.value() : nullptr;
  Tensor<T> y = ops::linear(x.value(), w.value(), bias, act, slope);
  std::vector<Var<T>> in{x, w};
  if (b.defined()) in.push_back(b);
  return make_result<T>(y, std::string("linear+") + act_name(act), in, [x, w, b, y, act, slope](const Tensor<T>& dy) {
    const Tensor<T> dz = ops::linear_activation_backward(dy, y, act, slope);
    ops::LinearGrads<T> g = ops::linear_backward(dz, x.value(), w.value(), x.requires_grad(),
                                                 w.requires_grad(), b.defined() && b.requires_grad());
    if (g.dx.defined()) Var<T>::accumulate_grad(*x.state(), std::move(g.dx));
    if (g.dw.defined()) Var<T>::accumulate_grad(*w.state(), std::move(g.dw));
    if (g.db.defined()) Var<T>::accumulate_grad(*b.state(), std::move(g.db));
  });
}

template <class T>
Var<T> activation(const Var<T>& x, Act act, double slope = 0.0) {
  Tensor<T> y = ops::activation(x.value(), act, slope);
  return make_result<T>(y, act_name(act), {x}, [x, y, act, slope](const Tensor<T>& dy) {
    Var<T>::accumulate_grad(*x.state(), ops::activation_backward(dy, x.value(), y, act, slope));
  });
}
template <class T>
Var<T> relu(const Var<T>& x) { return activation(x, Act::relu); }
template <class T>
Var<T> leaky_relu(const Var<T>& x, double slope = 0.01) { return activation(x, Act::leaky_relu, slope); }
template <class T>
Var<T> tanh(const Var<T>& x) { return activation(x, Act::tanh); }
template <class T>
Var<T> sigmoid(const Var<T>& x) { return activation(x, Act::sigmoid); }

// Training mode normalises with the batch statistics and updates the running ones; the node
// saves the batch mean and 1/sqrt(var + eps). Eval mode uses the running statistics.
template <class T>
Var<T> batchnorm1d(const Var<T>& x, const Var<T>& gamma, const Var<T>& beta,
                   Tensor<T>& running_mean, Tensor<T>& running_var, bool training, double eps,
                   double momentum) {
  auto saved = std::make_shared<ops::BatchNormForward<T>>(
      training ? ops::batchnorm_train(x.value(), gamma.value(), beta.value(), running_mean,
                                      running_var, eps, momentum)
               : ops::batchnorm_eval(x.value(), gamma.value(), beta.value(), running_mean,
                                     running_var, eps));
  Tensor<T> y = std::move(saved->y);
  return make_result<T>(std::move(y), "batchnorm1d", {x, gamma, beta},
                        [x, gamma, beta, saved, training](const Tensor<T>& dy) {
    ops::BatchNormGrads<T> g = ops::batchnorm_backward(dy, x.value(), gamma.value(), *saved, training);
    Var<T>::accumulate_grad(*x.state(), std::move(g.dx));
    Var<T>::accumulate_grad(*gamma.state(), std::move(g.dgamma));
    Var<T>::accumulate_grad(*beta.state(), std::move(g.dbeta));
  });
}

// Maximum over groups of `pieces` adjacent columns; saves the argmax of each group.
template <class T>
Var<T> maxout(const Var<T>& x, int64_t pieces) {
  auto f = std::make_shared<ops::MaxoutForward<T>>(ops::maxout(x.value(), pieces));
  Tensor<T> y = std::move(f->y);
  return make_result<T>(std::move(y), "maxout", {x}, [x, f, pieces](const Tensor<T>& dy) {
    Var<T>::accumulate_grad(*x.state(), ops::maxout_backward(dy, x.value(), *f, pieces));
  });
}

// mean over elements of BCE(sigmoid(z), t), computed stably from the logits z.
template <class T>
Var<T> bce_with_logits(const Var<T>& z, const Tensor<T>& target) {
  // The loss and its gradient stay on z's device: a training step on cuda reads nothing back.
  return make_result<T>(ops::bce_with_logits_scalar(z.value(), target), "bce_with_logits", {z},
                        [z, target](const Tensor<T>& dl) {
    Var<T>::accumulate_grad(*z.state(), ops::bce_with_logits_backward(z.value(), target, dl));
  });
}

// mean over elements of BCE(p, t) for probabilities p (logs clamped at -100 as in PyTorch).
template <class T>
Var<T> bce(const Var<T>& p, const Tensor<T>& target) {
  const T loss = T(ops::bce(p.value(), target));
  return make_result<T>(Tensor<T>::full({}, loss), "bce", {p}, [p, target](const Tensor<T>& dl) {
    Var<T>::accumulate_grad(*p.state(), ops::bce_backward(p.value(), target, dl.item()));
  });
}

// mean over elements of (pred - target)^2.
template <class T>
Var<T> mse(const Var<T>& pred, const Tensor<T>& target) {
  ops::require_same_shape(pred.value(), target, "mse", "pred", "target");
  const Tensor<T> diff = ops::lincomb(T(1), pred.value(), T(-1), target);
  const T loss = T(ops::sum_of_squares(diff) / double(diff.numel()));
  return make_result<T>(Tensor<T>::full({}, loss, pred.value().device()), "mse", {pred}, [pred, diff](const Tensor<T>& dl) {
    Var<T>::accumulate_grad(*pred.state(), ops::scaled(diff, T(2 * dl.item() / T(diff.numel()))));
  });
}

template <class T>
Var<T> sum(const Var<T>& x) {
  const T s = T(ops::sum(x.value()));
  return make_result<T>(Tensor<T>::full({}, s, x.value().device()), "sum", {x}, [x](const Tensor<T>& dl) {
    Var<T>::accumulate_grad(*x.state(), Tensor<T>::full(x.shape(), dl.item(), x.value().device()));
  });
}

template <class T>
Var<T> mean(const Var<T>& x) {
  check(x.value().numel() > 0, "mean: input is empty");
  const T m = T(ops::mean(x.value()));
  return make_result<T>(Tensor<T>::full({}, m, x.value().device()), "mean", {x}, [x](const Tensor<T>& dl) {
    Var<T>::accumulate_grad(*x.state(), Tensor<T>::full(x.shape(), T(dl.item() / T(x.value().numel())),
                                                        x.value().device()));
  });
}

// A scalar argument takes the Var's element type without deducing it: fn::scale(h, -1.0) on a
// Var<float> converts the double instead of failing to deduce T.
template <class T>
using Scalar = std::type_identity_t<T>;

// alpha * a + beta * b for same-shaped values (losses are combined with it).
template <class T>
Var<T> lincomb(Scalar<T> alpha, const Var<T>& a, Scalar<T> beta, const Var<T>& b) {
  return make_result<T>(ops::lincomb(alpha, a.value(), beta, b.value()), "lincomb", {a, b},
                        [alpha, a, beta, b](const Tensor<T>& d) {
    Var<T>::accumulate_grad(*a.state(), ops::scaled(d, alpha));
    Var<T>::accumulate_grad(*b.state(), ops::scaled(d, beta));
  });
}
template <class T>
Var<T> add(const Var<T>& a, const Var<T>& b) { return lincomb(T(1), a, T(1), b); }
template <class T>
Var<T> sub(const Var<T>& a, const Var<T>& b) { return lincomb(T(1), a, T(-1), b); }
template <class T>
Var<T> scale(const Var<T>& a, Scalar<T> alpha) {
  return make_result<T>(ops::scaled(a.value(), alpha), "scale", {a}, [a, alpha](const Tensor<T>& d) {
    Var<T>::accumulate_grad(*a.state(), ops::scaled(d, alpha));
  });
}

// y = m(x; p0, p1) for the maps of Map; the node keeps x and y (each backward uses one).
template <class T>
Var<T> map(const Var<T>& x, Map m, Scalar<T> p0 = T(0), Scalar<T> p1 = T(0)) {
  Tensor<T> y = ops::map(x.value(), m, p0, p1);
  return make_result<T>(y, map_name(m), {x}, [x, y, m, p0, p1](const Tensor<T>& dy) {
    Var<T>::accumulate_grad(*x.state(), ops::map_backward(dy, x.value(), y, m, p0, p1));
  });
}
template <class T>
Var<T> exp(const Var<T>& x) { return map(x, Map::exp); }
// IEEE at the edge, as torch.log: log(0) = -inf, log(x < 0) = NaN. Clamp first if x can reach 0.
template <class T>
Var<T> log(const Var<T>& x) { return map(x, Map::log); }
template <class T>
Var<T> square(const Var<T>& x) { return map(x, Map::square); }
// Gradient passes where lo <= x <= hi, as torch.clamp's does.
template <class T>
Var<T> clamp(const Var<T>& x, Scalar<T> lo, Scalar<T> hi) { return map(x, Map::clamp, lo, hi); }
// alpha * x + beta
template <class T>
Var<T> affine(const Var<T>& x, Scalar<T> alpha, Scalar<T> beta) { return map(x, Map::affine, alpha, beta); }

// Elementwise a * b of same-shaped values.
template <class T>
Var<T> mul(const Var<T>& a, const Var<T>& b) {
  return make_result<T>(ops::binary(Binary::mul, T(1), a.value(), b.value()), "mul", {a, b},
                        [a, b](const Tensor<T>& d) {
    if (a.requires_grad()) Var<T>::accumulate_grad(*a.state(), ops::binary(Binary::mul, T(1), d, b.value()));
    if (b.requires_grad()) Var<T>::accumulate_grad(*b.state(), ops::binary(Binary::mul, T(1), d, a.value()));
  });
}

// Elementwise a / b of same-shaped values; d/db = -(a / b) / b, from the saved quotient.
template <class T>
Var<T> div(const Var<T>& a, const Var<T>& b) {
  Tensor<T> y = ops::binary(Binary::div, T(1), a.value(), b.value());
  return make_result<T>(y, "div", {a, b}, [a, b, y](const Tensor<T>& d) {
    if (a.requires_grad()) Var<T>::accumulate_grad(*a.state(), ops::binary(Binary::div, T(1), d, b.value()));
    if (b.requires_grad())
      Var<T>::accumulate_grad(*b.state(), ops::binary(Binary::div, T(1),
                                                      ops::binary(Binary::mul, T(-1), d, y), b.value()));
  });
}

}  // namespace entropic::fn

namespace entropic {

// Arithmetic on Var reads like the maths: adv - lambda * H, fn::mean(fn::relu(1.0 - d_real)).
// Var-Var operators need the same shape (no broadcasting); a scalar operand applies to every
// element and converts to the Var's element type.
template <class T>
Var<T> operator+(const Var<T>& a, const Var<T>& b) { return fn::add(a, b); }
template <class T>
Var<T> operator-(const Var<T>& a, const Var<T>& b) { return fn::sub(a, b); }
template <class T>
Var<T> operator*(const Var<T>& a, const Var<T>& b) { return fn::mul(a, b); }
template <class T>
Var<T> operator/(const Var<T>& a, const Var<T>& b) { return fn::div(a, b); }
template <class T>
Var<T> operator-(const Var<T>& a) { return fn::scale(a, T(-1)); }

template <class T>
Var<T> operator+(const Var<T>& a, fn::Scalar<T> c) { return fn::affine(a, T(1), c); }
template <class T>
Var<T> operator+(fn::Scalar<T> c, const Var<T>& a) { return fn::affine(a, T(1), c); }
template <class T>
Var<T> operator-(const Var<T>& a, fn::Scalar<T> c) { return fn::affine(a, T(1), -c); }
template <class T>
Var<T> operator-(fn::Scalar<T> c, const Var<T>& a) { return fn::affine(a, T(-1), c); }
template <class T>
Var<T> operator*(const Var<T>& a, fn::Scalar<T> c) { return fn::scale(a, c); }
template <class T>
Var<T> operator*(fn::Scalar<T> c, const Var<T>& a) { return fn::scale(a, c); }
template <class T>
Var<T> operator/(const Var<T>& a, fn::Scalar<T> c) { return fn::scale(a, T(1) / c); }
template <class T>
Var<T> operator/(fn::Scalar<T> c, const Var<T>& a) {
  return fn::div(Var<T>(Tensor<T>::full(a.shape(), c, a.value().device())), a);
}

}  // namespace entropic
