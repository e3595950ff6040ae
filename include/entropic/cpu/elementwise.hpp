// CPU loops for the elementwise maps the autograd's loss-building functions use (exp, log,
// square, clamp, affine, products and quotients). The per-element function comes from the op
// layer, so each map is one instantiation with its body inlined into the loop.
//
// These run on loss-sized tensors (a batch of logits, features), not on the hidden layers, so
// they call std::exp / std::log: exact to the libm's half ulp, which the float64 gradient
// checks need, rather than the polynomial the activations use for speed.
#pragma once
#include <cstdint>

#include "entropic/core/compiler.hpp"
#include "entropic/core/parallel.hpp"

namespace entropic::cpu {

// Elements per thread at least: below this, waking the pool costs more than the loop.
inline constexpr int64_t kMapGrain = int64_t(1) << 14;

// y[i] = f(x[i]); y may be x.
template <class T, class F>
void map(const T* x, T* y, int64_t n, const F& f) {
  parallel_for(n, kMapGrain, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) y[i] = f(x[i]);
  });
}

// out[i] = f(a[i], b[i]); out may be a or b (each element is read before it is written).
template <class T, class F>
void zip(const T* a, const T* b, T* out, int64_t n, const F& f) {
  parallel_for(n, kMapGrain, [&](int64_t lo, int64_t hi) {
    for (int64_t i = lo; i < hi; ++i) out[i] = f(a[i], b[i]);
  });
}

// out[i] = f(a[i], b[i], c[i]): a backward that needs dy, x and y.
template <class T, class F>
void zip3(const T* a, const T* b, const T* c, T* ENTROPIC_RESTRICT out, int64_t n, const F& f) {
  parallel_for(n, kMapGrain, [&](int64_t lo, int64_t hi) {
    for (int64_t i = lo; i < hi; ++i) out[i] = f(a[i], b[i], c[i]);
  });
}

}  // namespace entropic::cpu
