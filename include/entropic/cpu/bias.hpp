// CPU kernels for a bias broadcast over the rows of a row-major [rows, cols] matrix.
//
// Gradient modes (llm.c style):
//   bias_backward ACCUMULATES into dbias (+=): a parameter gradient sums over every use of the
//   parameter, and the optimizer zeroes it once per step.
// Outputs must not overlap inputs.
#pragma once
#include <algorithm>
#include <cstdint>
#include <type_traits>

#include "entropic/core/parallel.hpp"
#include "entropic/cpu/reduce.hpp"

namespace entropic::cpu {

// y[r, c] += b[c]  (y is read and written). y: (rows, cols), b: (cols,)
template <class T>
void add_bias(T* y, const T* b, int64_t rows, int64_t cols) {
  static_assert(std::is_same_v<T, float> || std::is_same_v<T, double>, "entropic::cpu: T is float or double");
  const int64_t grain = std::max<int64_t>(1, detail::kCheapGrain / std::max<int64_t>(1, cols));
  parallel_for(rows, grain, [=](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      T* ENTROPIC_RESTRICT yr = y + r * cols;  // (cols,)
      const T* ENTROPIC_RESTRICT bb = b;       // (cols,)
      for (int64_t c = 0; c < cols; ++c) yr[c] += bb[c];
    }
  });
}

// dbias[c] += sum_r dy[r, c]  (ACCUMULATES). dy: (rows, cols), dbias: (cols,)
// Summed in double per column (see reduce.hpp), then added to dbias once.
template <class T>
void bias_backward(const T* dy, T* dbias, int64_t rows, int64_t cols) {
  static_assert(std::is_same_v<T, float> || std::is_same_v<T, double>, "entropic::cpu: T is float or double");
  detail::column_sums<true>(dy, dbias, rows, cols);
}

}  // namespace entropic::cpu
