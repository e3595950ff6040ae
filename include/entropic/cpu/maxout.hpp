// CPU kernels for Maxout: y[r, u] = max_k x[r, u * pieces + k].
//   x, dx: (rows, units * pieces)   y, dy, argmax: (rows, units)
//
// Layout: the pieces of unit u are the contiguous columns u*pieces .. u*pieces + pieces - 1.
// A Linear layer with units * pieces outputs then feeds Maxout directly: its [rows,
// units * pieces] output is already [rows, units, pieces] in row-major order, no transpose.
//
// Forward saves argmax[r, u] = k (int32, the piece index 0..pieces-1, not the column) for
// backward. Ties go to the first piece (strict >), as a stable choice that does not depend on
// the order of the SIMD lanes. A NaN in piece 0 propagates; a NaN in a later piece is skipped.
//
// Gradient modes: maxout_backward OVERWRITES dx (=), zeros included: every column of dx is
// written, the losing pieces with 0.
// Outputs must not overlap inputs.
#pragma once
#include <algorithm>
#include <cstdint>
#include <type_traits>

#include "entropic/core/compiler.hpp"
#include "entropic/core/parallel.hpp"


namespace entropic::cpu {
namespace detail {

inline constexpr int64_t kMaxoutGrain = int64_t(1) << 16;  // input elements per thread at least

// P > 0 fixes pieces at compile time: the inner loop over pieces unrolls and the loop over
// units can vectorise with strided loads. P == 0 handles any count at run time.
template <int P, class T>
void maxout_rows(const T* ENTROPIC_RESTRICT x, T* ENTROPIC_RESTRICT y, int32_t* ENTROPIC_RESTRICT arg,
                 int64_t n_units, int64_t runtime_pieces) {
  const int64_t pieces = P > 0 ? P : runtime_pieces;
  for (int64_t u = 0; u < n_units; ++u) {
    const T* xu = x + u * pieces;  // (pieces,)
    T best = xu[0];
    int32_t k_best = 0;
    for (int64_t k = 1; k < pieces; ++k) {
      const bool take = xu[k] > best;
      best = take ? xu[k] : best;
      k_best = take ? int32_t(k) : k_best;
    }
    y[u] = best;
    arg[u] = k_best;
  }
}

}  // namespace detail

// y = max over pieces; argmax = winning piece index (saved for backward).
template <class T>
void maxout_forward(const T* x, T* y, int32_t* argmax, int64_t rows, int64_t units, int64_t pieces) {
  static_assert(std::is_same_v<T, float> || std::is_same_v<T, double>, "entropic::cpu: T is float or double");
  const int64_t in_cols = units * pieces;
  const int64_t grain = std::max<int64_t>(1, detail::kMaxoutGrain / std::max<int64_t>(1, in_cols));
  parallel_for(rows, grain, [=](int64_t r0, int64_t r1) {
    // Treating rows r0..r1 as one long row of units works because units of consecutive rows
    // are adjacent in memory in x, y and argmax alike.
    const T* xs = x + r0 * in_cols;
    T* ys = y + r0 * units;
    int32_t* as = argmax + r0 * units;
    const int64_t n_units = (r1 - r0) * units;
    switch (pieces) {
      case 2: detail::maxout_rows<2>(xs, ys, as, n_units, pieces); break;
      case 3: detail::maxout_rows<3>(xs, ys, as, n_units, pieces); break;
      case 4: detail::maxout_rows<4>(xs, ys, as, n_units, pieces); break;
      case 5: detail::maxout_rows<5>(xs, ys, as, n_units, pieces); break;
      default: detail::maxout_rows<0>(xs, ys, as, n_units, pieces); break;
    }
  });
}

// dx[r, u*pieces + k] = (k == argmax[r, u]) ? dy[r, u] : 0  (OVERWRITES dx).
template <class T>
void maxout_backward(const T* dy, const int32_t* argmax, T* dx, int64_t rows, int64_t units,
                     int64_t pieces) {
  static_assert(std::is_same_v<T, float> || std::is_same_v<T, double>, "entropic::cpu: T is float or double");
  const int64_t in_cols = units * pieces;
  const int64_t grain = std::max<int64_t>(1, detail::kMaxoutGrain / std::max<int64_t>(1, in_cols));
  parallel_for(rows, grain, [=](int64_t r0, int64_t r1) {
    const T* ENTROPIC_RESTRICT dys = dy + r0 * units;
    const int32_t* ENTROPIC_RESTRICT as = argmax + r0 * units;
    T* ENTROPIC_RESTRICT dxs = dx + r0 * in_cols;
    const int64_t n_units = (r1 - r0) * units;
    // A select per element rather than zero-then-scatter: dx is written once, in order.
    for (int64_t u = 0; u < n_units; ++u) {
      const T g = dys[u];
      const int32_t a = as[u];
      T* du = dxs + u * pieces;  // (pieces,)
      for (int64_t k = 0; k < pieces; ++k) du[k] = k == a ? g : T(0);
    }
  });
}

}  // namespace entropic::cpu
