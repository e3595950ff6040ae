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

#if defined(__AVX512F__) && defined(__AVX512VL__)
#include <immintrin.h>
#define ENTROPIC_MAXOUT_AVX512 1
#endif


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

#if defined(ENTROPIC_MAXOUT_AVX512)
// A block of W units is W * pieces contiguous inputs, and piece k of those units sits at the
// stride-`pieces` offsets lane * pieces + k: one gather per piece gives a vector of W units,
// so the max and the argmax run across units in lanes. The scalar loop above spends a compare
// and two selects per element on a dependency chain; these run 16 units per instruction.
// Returns how many units it handled (whole blocks); the caller does the rest scalar.
// Same comparison (strict >, ordered: a NaN in a later piece loses) as maxout_rows. The
// masked gathers are the unmasked ones with every lane on; GCC 12 warns about the latter's
// undefined pass-through operand.
template <class T>
int64_t maxout_rows_vec(const T* x, T* y, int32_t* arg, int64_t n_units, int64_t pieces) {
  constexpr int W = 64 / int(sizeof(T));
  const int64_t blocks = n_units / W;
  if constexpr (sizeof(T) == 4) {
    const __m512i idx = _mm512_mullo_epi32(_mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
                                           _mm512_set1_epi32(int32_t(pieces)));
    for (int64_t b = 0; b < blocks; ++b) {
      const float* p = x + b * W * pieces;
      __m512 best = _mm512_mask_i32gather_ps(_mm512_setzero_ps(), 0xFFFF, idx, p, 4);
      __m512i k_best = _mm512_setzero_si512();
      for (int64_t k = 1; k < pieces; ++k) {
        const __m512 v = _mm512_mask_i32gather_ps(_mm512_setzero_ps(), 0xFFFF, idx, p + k, 4);
        const __mmask16 take = _mm512_cmp_ps_mask(v, best, _CMP_GT_OQ);
        best = _mm512_mask_mov_ps(best, take, v);
        k_best = _mm512_mask_mov_epi32(k_best, take, _mm512_set1_epi32(int32_t(k)));
      }
      _mm512_storeu_ps(y + b * W, best);
      _mm512_storeu_si512(arg + b * W, k_best);
    }
  } else {
    const __m256i idx = _mm256_mullo_epi32(_mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7), _mm256_set1_epi32(int32_t(pieces)));
    for (int64_t b = 0; b < blocks; ++b) {
      const double* p = x + b * W * pieces;
      __m512d best = _mm512_mask_i32gather_pd(_mm512_setzero_pd(), 0xFF, idx, p, 8);
      __m256i k_best = _mm256_setzero_si256();
      for (int64_t k = 1; k < pieces; ++k) {
        const __m512d v = _mm512_mask_i32gather_pd(_mm512_setzero_pd(), 0xFF, idx, p + k, 8);
        const __mmask8 take = _mm512_cmp_pd_mask(v, best, _CMP_GT_OQ);
        best = _mm512_mask_mov_pd(best, take, v);
        k_best = _mm256_mask_mov_epi32(k_best, take, _mm256_set1_epi32(int32_t(k)));
      }
      _mm512_storeu_pd(y + b * W, best);
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(arg + b * W), k_best);
    }
  }
  return blocks * W;
}

// The backward of a block: its W * pieces gradients are exactly `pieces` whole vectors, so
// they are cleared with vector stores and each unit's dy is then scattered to its winner.
template <class T>
int64_t maxout_backward_vec(const T* dy, const int32_t* arg, T* dx, int64_t n_units, int64_t pieces) {
  constexpr int W = 64 / int(sizeof(T));
  const int64_t blocks = n_units / W;
  if constexpr (sizeof(T) == 4) {
    const __m512i lane = _mm512_mullo_epi32(_mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
                                            _mm512_set1_epi32(int32_t(pieces)));
    for (int64_t b = 0; b < blocks; ++b) {
      float* d = dx + b * W * pieces;
      for (int64_t k = 0; k < pieces; ++k) _mm512_storeu_ps(d + k * W, _mm512_setzero_ps());
      const __m512i at = _mm512_add_epi32(lane, _mm512_loadu_si512(arg + b * W));
      _mm512_i32scatter_ps(d, at, _mm512_loadu_ps(dy + b * W), 4);
    }
  } else {
    const __m256i lane = _mm256_mullo_epi32(_mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7), _mm256_set1_epi32(int32_t(pieces)));
    for (int64_t b = 0; b < blocks; ++b) {
      double* d = dx + b * W * pieces;
      for (int64_t k = 0; k < pieces; ++k) _mm512_storeu_pd(d + k * W, _mm512_setzero_pd());
      const __m256i at =
          _mm256_add_epi32(lane, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(arg + b * W)));
      _mm512_i32scatter_pd(d, at, _mm512_loadu_pd(dy + b * W), 8);
    }
  }
  return blocks * W;
}
#endif

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
    int64_t n_units = (r1 - r0) * units;
#if defined(ENTROPIC_MAXOUT_AVX512)
    const int64_t done = detail::maxout_rows_vec(xs, ys, as, n_units, pieces);
    xs += done * pieces, ys += done, as += done, n_units -= done;
#endif
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
    int64_t n_units = (r1 - r0) * units;
#if defined(ENTROPIC_MAXOUT_AVX512)
    const int64_t done = detail::maxout_backward_vec(dys, as, dxs, n_units, pieces);
    dys += done, as += done, dxs += done * pieces, n_units -= done;
#endif
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
