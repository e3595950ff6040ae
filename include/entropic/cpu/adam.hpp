// One Adam step on the CPU over a flat buffer (PyTorch semantics, nn/adam.hpp); the CUDA twin
// is cuda/adam.cuh. step_size = lr / bc1 and rbc2 = 1 / sqrt(bc2) come from the caller,
// computed once in double and rounded to T, so both backends round the same way.
#pragma once
#include <cmath>
#include <cstdint>

#include "entropic/core/parallel.hpp"

namespace entropic::cpu {

namespace detail {
// A function of its own so the __restrict__ promises reach the loop; it vectorises only under
// -fno-math-errno (std::sqrt may set errno): see README, "Compiler flags".
template <class T>
void adam_block(T* __restrict__ w, const T* __restrict__ g, T* __restrict__ m, T* __restrict__ v, int64_t n,
                T step_size, T rbc2, T b1, T b2, T eps, T wd) {
  for (int64_t i = 0; i < n; ++i) {
    const T gi = g[i] + wd * w[i];
    m[i] = b1 * m[i] + (1 - b1) * gi;
    v[i] = b2 * v[i] + (1 - b2) * gi * gi;
    w[i] -= step_size * m[i] / (std::sqrt(v[i]) * rbc2 + eps);
  }
}
}  // namespace detail

// w, m, v updated in place from the gradient g; all (n,).
template <class T>
void adam_update(T* w, const T* g, T* m, T* v, int64_t n, T step_size, T rbc2, T b1, T b2, T eps, T wd) {
  parallel_for(n, 1 << 15, [&](int64_t b, int64_t e) {
    detail::adam_block(w + b, g + b, m + b, v + b, e - b, step_size, rbc2, b1, b2, eps, wd);
  });
}

}  // namespace entropic::cpu
