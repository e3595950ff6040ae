// CPU kernels for elementwise activations: ReLU, LeakyReLU, tanh, sigmoid. x, y, dy, dx: (n,)
//
// Gradient modes: every backward OVERWRITES dx (=). dx is an activation gradient, written
// exactly once per backward pass; the autograd layer accumulates across uses if it must.
// Outputs must not overlap inputs (the pointers are restrict-qualified), so no in-place calls.
//
// Subgradients at the kink, as PyTorch defines them:
//   relu:       dx = (y > 0) ? dy : 0          -> 0 at x == 0
//   leaky_relu: dx = (x > 0) ? dy : slope * dy -> slope * dy at x == 0
//
// tanh and sigmoid in float use branch-free polynomial exp/tanh (detail::exp_nonpositive),
// so their loops vectorise like the others; in double they call std::exp / std::tanh.
#pragma once
#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <type_traits>

#include "entropic/core/act.hpp"
#include "entropic/core/compiler.hpp"
#include "entropic/core/parallel.hpp"
#include "entropic/cpu/simd.hpp"

namespace entropic::cpu {
namespace detail {

// Elements per thread at least: waking the pool costs a few microseconds, about a pass of
// 64K elements of max/select, or 8K of tanh/sigmoid (scalar libm calls in double).
inline constexpr int64_t kActCheapGrain = int64_t(1) << 16;
inline constexpr int64_t kActTranscendentalGrain = int64_t(1) << 13;

// exp(x) for x <= 0 in float, branch-free so that the loops calling it vectorise (std::exp is
// a scalar call: glibc's vector versions need -ffast-math, which a header-only library must
// not impose on its users). The Cephes reduction and polynomial of simd.hpp, written for a
// scalar so that GCC vectorises the caller's loop; measured against double on every 97th float
// in [-87, 0]: within 1.02 ulp. 2^n is built in the exponent bits as 2^(n+64) * 2^-64, so that
// n down to -150 still gives a normal float before the final product rounds into the
// denormals (the vector exp flushes those to 0); below -104 the result is 0 (the true value is
// under half the smallest denormal).
inline float exp_nonpositive(float x) {
  using namespace simd;
  x = std::max(x, -104.0f);
  // Round to nearest by the 1.5 * 2^23 trick: adding and subtracting it is not folded away
  // without -ffast-math, and unlike std::nearbyint it needs no SSE4.1 to vectorise.
  const float n = (x * kExpfLog2e + 12582912.0f) - 12582912.0f;
  const float r = (x - n * kExpfLn2Hi) - n * kExpfLn2Lo;
  float p = kExpfPoly[0];
  p = p * r + kExpfPoly[1];
  p = p * r + kExpfPoly[2];
  p = p * r + kExpfPoly[3];
  p = p * r + kExpfPoly[4];
  p = p * r + kExpfPoly[5];
  p = p * r * r + r + 1.0f;
  const float scale = std::bit_cast<float>((static_cast<int32_t>(n) + 64 + 127) << 23);
  return p * scale * 0x1p-64f;
}

// Stable for any x: exp(-|x|) lies in (0, 1], so nothing overflows, and for x < 0 the result
// e / (1 + e) keeps its relative precision down to the smallest normal (1 - 1/(1+e) would not).
template <class T>
inline T sigmoid(T x) {
  T e;
  if constexpr (std::is_same_v<T, float>)
    e = exp_nonpositive(-std::fabs(x));
  else
    e = std::exp(-std::fabs(x));
  const T s = T(1) / (T(1) + e);
  return x >= T(0) ? s : e * s;
}

// float: Cephes tanhf, branch-free. |x| < 0.625: odd polynomial (no cancellation near 0);
// otherwise (1 - e) / (1 + e) with e = exp(-2|x|) <= 0.29, which is 1 exactly for |x| > 9.
// double keeps std::tanh: the double path exists for gradient checks, not for speed.
// Measured on every 97th float in [-120, 120]: tanh within 1.5 ulp, sigmoid within 2.9 ulp.
template <class T>
inline T tanh(T x) {
  if constexpr (std::is_same_v<T, float>) {
    const float a = std::fabs(x);
    const float z = x * x;
    float p = -5.70498872745e-3f;
    p = p * z + 2.06390887954e-2f;
    p = p * z - 5.37397155531e-2f;
    p = p * z + 1.33314422036e-1f;
    p = p * z - 3.33332819422e-1f;
    const float small = p * z * x + x;
    const float e = exp_nonpositive(-2.0f * a);
    const float large = std::copysign((1.0f - e) / (1.0f + e), x);
    return a < 0.625f ? small : large;
  } else {
    return std::tanh(x);
  }
}

template <class T, class F>
void elementwise(int64_t n, int64_t grain, const F& span) {
  static_assert(std::is_same_v<T, float> || std::is_same_v<T, double>, "entropic::cpu: T is float or double");
  parallel_for(n, grain, [&](int64_t b, int64_t e) { span(b, e - b); });
}

}  // namespace detail

// y = max(x, 0)
template <class T>
void relu_forward(const T* x, T* y, int64_t n) {
  detail::elementwise<T>(n, detail::kActCheapGrain, [=](int64_t o, int64_t m) {
    const T* ENTROPIC_RESTRICT xs = x + o;
    T* ENTROPIC_RESTRICT ys = y + o;
    for (int64_t i = 0; i < m; ++i) ys[i] = xs[i] > T(0) ? xs[i] : T(0);
  });
}

// dx = (y > 0) ? dy : 0  (OVERWRITES dx). Takes the output y, so the op may drop x.
template <class T>
void relu_backward(const T* dy, const T* y, T* dx, int64_t n) {
  detail::elementwise<T>(n, detail::kActCheapGrain, [=](int64_t o, int64_t m) {
    const T* ENTROPIC_RESTRICT dys = dy + o;
    const T* ENTROPIC_RESTRICT ys = y + o;
    T* ENTROPIC_RESTRICT dxs = dx + o;
    for (int64_t i = 0; i < m; ++i) dxs[i] = ys[i] > T(0) ? dys[i] : T(0);
  });
}

// y = (x > 0) ? x : slope * x
template <class T>
void leaky_relu_forward(const T* x, T* y, int64_t n, T slope) {
  detail::elementwise<T>(n, detail::kActCheapGrain, [=](int64_t o, int64_t m) {
    const T s = slope;  // a local, not a closure member the loop would reload
    const T* ENTROPIC_RESTRICT xs = x + o;
    T* ENTROPIC_RESTRICT ys = y + o;
    for (int64_t i = 0; i < m; ++i) ys[i] = xs[i] > T(0) ? xs[i] : s * xs[i];
  });
}

// dx = (x > 0) ? dy : slope * dy  (OVERWRITES dx). Takes the input x: with a negative slope
// the sign of y no longer tells which side of the kink x was on.
template <class T>
void leaky_relu_backward(const T* dy, const T* x, T* dx, int64_t n, T slope) {
  detail::elementwise<T>(n, detail::kActCheapGrain, [=](int64_t o, int64_t m) {
    const T s = slope;
    const T* ENTROPIC_RESTRICT dys = dy + o;
    const T* ENTROPIC_RESTRICT xs = x + o;
    T* ENTROPIC_RESTRICT dxs = dx + o;
    for (int64_t i = 0; i < m; ++i) dxs[i] = xs[i] > T(0) ? dys[i] : s * dys[i];
  });
}

// y = tanh(x)
template <class T>
void tanh_forward(const T* x, T* y, int64_t n) {
  detail::elementwise<T>(n, detail::kActTranscendentalGrain, [=](int64_t o, int64_t m) {
    const T* ENTROPIC_RESTRICT xs = x + o;
    T* ENTROPIC_RESTRICT ys = y + o;
    for (int64_t i = 0; i < m; ++i) ys[i] = detail::tanh(xs[i]);
  });
}

// dx = dy * (1 - y^2)  (OVERWRITES dx). Takes the output y: no tanh to recompute.
template <class T>
void tanh_backward(const T* dy, const T* y, T* dx, int64_t n) {
  detail::elementwise<T>(n, detail::kActCheapGrain, [=](int64_t o, int64_t m) {
    const T* ENTROPIC_RESTRICT dys = dy + o;
    const T* ENTROPIC_RESTRICT ys = y + o;
    T* ENTROPIC_RESTRICT dxs = dx + o;
    for (int64_t i = 0; i < m; ++i) dxs[i] = dys[i] * (T(1) - ys[i] * ys[i]);
  });
}

// y = 1 / (1 + exp(-x)), stable for any x (see detail::sigmoid)
template <class T>
void sigmoid_forward(const T* x, T* y, int64_t n) {
  detail::elementwise<T>(n, detail::kActTranscendentalGrain, [=](int64_t o, int64_t m) {
    const T* ENTROPIC_RESTRICT xs = x + o;
    T* ENTROPIC_RESTRICT ys = y + o;
    for (int64_t i = 0; i < m; ++i) ys[i] = detail::sigmoid(xs[i]);
  });
}

// dx = dy * y * (1 - y)  (OVERWRITES dx). Takes the output y.
template <class T>
void sigmoid_backward(const T* dy, const T* y, T* dx, int64_t n) {
  detail::elementwise<T>(n, detail::kActCheapGrain, [=](int64_t o, int64_t m) {
    const T* ENTROPIC_RESTRICT dys = dy + o;
    const T* ENTROPIC_RESTRICT ys = y + o;
    T* ENTROPIC_RESTRICT dxs = dx + o;
    for (int64_t i = 0; i < m; ++i) dxs[i] = dys[i] * ys[i] * (T(1) - ys[i]);
  });
}

// y = act(y) in place: the epilogue of the fused linear (ops/linear.hpp), run over the GEMM's
// output so that the pre-activation needs no tensor of its own. Each element goes through the
// same expression as the out-of-place forward above, so the result is bit-identical to
// act_forward(gemm) (tests/nn/unit-fused.cpp checks it); none leaves y alone.
template <class T>
void activation_inplace(Act act, T* y, int64_t n, T slope) {
  const int64_t grain = act == Act::tanh || act == Act::sigmoid ? detail::kActTranscendentalGrain
                                                                 : detail::kActCheapGrain;
  detail::elementwise<T>(n, grain, [=](int64_t o, int64_t m) {
    const T s = slope;
    T* ENTROPIC_RESTRICT ys = y + o;
    switch (act) {
      case Act::none: break;
      case Act::relu:
        for (int64_t i = 0; i < m; ++i) ys[i] = ys[i] > T(0) ? ys[i] : T(0);
        break;
      case Act::leaky_relu:
        for (int64_t i = 0; i < m; ++i) ys[i] = ys[i] > T(0) ? ys[i] : s * ys[i];
        break;
      case Act::tanh:
        for (int64_t i = 0; i < m; ++i) ys[i] = detail::tanh(ys[i]);
        break;
      case Act::sigmoid:
        for (int64_t i = 0; i < m; ++i) ys[i] = detail::sigmoid(ys[i]);
        break;
    }
  });
}

}  // namespace entropic::cpu
