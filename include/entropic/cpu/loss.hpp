// CPU kernels for binary cross-entropy, mean reduction. p, z, t, dp, dz: (n,), n > 0.
//
//   bce:             loss = mean_i -( t_i * max(log p_i, -100) + (1 - t_i) * max(log(1 - p_i), -100) )
//   bce_with_logits: loss = mean_i max(z_i, 0) - z_i * t_i + log1p(exp(-|z_i|))
//
// bce clamps each log at -100, as PyTorch does, so p = 0 or 1 gives a finite loss (at most
// 100 per element) instead of inf, and 0 * log 0 terms vanish instead of becoming NaN. Its
// backward also follows PyTorch: dp = (p - t) / max(p (1 - p), 1e-12) * scale, i.e. the clamp
// is not differentiated (the gradient does not drop to 0 where the log is clamped).
//
// bce_with_logits is the stable form for any z: exp(-|z|) lies in (0, 1], so logits of
// +-1e4 give a finite loss and gradient; prefer it to sigmoid followed by bce.
//
// Forward returns the mean as a double; terms are evaluated in double and summed as in
// reduce.hpp (deterministic, independent of the thread count).
// Gradient modes: backward OVERWRITES dp / dz (=). scale is the upstream gradient of the loss
// divided by n (the op layer computes it), so dz_i = (sigmoid(z_i) - t_i) * scale.
// Outputs must not overlap inputs.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <type_traits>

#include "entropic/core/parallel.hpp"
#include "entropic/cpu/activations.hpp"
#include "entropic/cpu/reduce.hpp"

namespace entropic::cpu {
namespace detail {

// Terms cost a log or exp each: split across threads from 8K elements (2 blocks).
inline constexpr int64_t kLossGrainBlocks = 2;
inline constexpr int64_t kLossGrain = kLossGrainBlocks * kSumBlock;

template <class T>
void check_loss_type() {
  static_assert(std::is_same_v<T, float> || std::is_same_v<T, double>, "entropic::cpu: T is float or double");
}

}  // namespace detail

// Returns mean_i bce(p_i, t_i). Inputs: p (probabilities in [0, 1]), t (targets in [0, 1]).
template <class T>
double bce_forward(const T* p, const T* t, int64_t n) {
  detail::check_loss_type<T>();
  const double total = detail::blocked_sum(n, detail::kLossGrainBlocks, [p, t](int64_t i) {
    const double pi = double(p[i]), ti = double(t[i]);
    const double log_p = std::max(std::log(pi), -100.0);
    const double log_1mp = std::max(std::log1p(-pi), -100.0);
    return -(ti * log_p + (1.0 - ti) * log_1mp);
  });
  return total / double(n);
}

// dp_i = (p_i - t_i) / max(p_i (1 - p_i), 1e-12) * scale  (OVERWRITES dp).
template <class T>
void bce_backward(const T* p, const T* t, T* dp, int64_t n, double scale) {
  detail::check_loss_type<T>();
  const T s = T(scale);
  parallel_for(n, detail::kLossGrain, [=](int64_t b, int64_t e) {
    const T* ENTROPIC_RESTRICT ps = p + b;
    const T* ENTROPIC_RESTRICT ts = t + b;
    T* ENTROPIC_RESTRICT ds = dp + b;
    for (int64_t i = 0; i < e - b; ++i)
      ds[i] = (ps[i] - ts[i]) / std::max((T(1) - ps[i]) * ps[i], T(1e-12)) * s;
  });
}

// Returns mean_i max(z_i, 0) - z_i t_i + log1p(exp(-|z_i|)). Inputs: z (logits), t (targets).
template <class T>
double bce_with_logits_forward(const T* z, const T* t, int64_t n) {
  detail::check_loss_type<T>();
  const double total = detail::blocked_sum(n, detail::kLossGrainBlocks, [z, t](int64_t i) {
    const double zi = double(z[i]), ti = double(t[i]);
    return std::max(zi, 0.0) - zi * ti + std::log1p(std::exp(-std::fabs(zi)));
  });
  return total / double(n);
}

// dz_i = (sigmoid(z_i) - t_i) * scale  (OVERWRITES dz), sigmoid stable for any z.
template <class T>
void bce_with_logits_backward(const T* z, const T* t, T* dz, int64_t n, double scale) {
  detail::check_loss_type<T>();
  const T s = T(scale);
  parallel_for(n, detail::kLossGrain, [=](int64_t b, int64_t e) {
    const T* ENTROPIC_RESTRICT zs = z + b;
    const T* ENTROPIC_RESTRICT ts = t + b;
    T* ENTROPIC_RESTRICT ds = dz + b;
    for (int64_t i = 0; i < e - b; ++i) ds[i] = (detail::sigmoid(zs[i]) - ts[i]) * s;
  });
}

}  // namespace entropic::cpu
