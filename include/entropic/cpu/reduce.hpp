// CPU reductions: sum and mean of n elements, column sums of a row-major [rows, cols] matrix.
//
// Accumulation is in double for both float and double input, over 16 independent lanes. Why:
// - double accumulators make the float result exact to float precision for any n we meet
//   (relative error ~ n * 2^-53), cheaper than Kahan (one add per element, not four) and
//   vectorisable, since the 16 lanes need no reassociation (no -ffast-math required);
// - for double input, lanes plus fixed 4096-element blocks summed afterwards give error growth
//   like a two-level pairwise sum (~ (256 + n/4096) * 2^-53) rather than n * 2^-53.
// The blocks depend only on n, never on the thread count, so a sum is bit-identical whether
// it ran on 1 thread or 16.
//
// Column sums split the columns among threads (each thread owns whole columns and walks all
// rows, row outer and column inner), so no partial buffers need merging and the result is
// also independent of the thread count. batchnorm.hpp reuses the same column tiling.
//
// Outputs must not overlap inputs.
#pragma once
#include <algorithm>
#include <cstdint>
#include <type_traits>
#include <vector>

#include "entropic/core/compiler.hpp"
#include "entropic/core/parallel.hpp"


namespace entropic::cpu {
namespace detail {

inline constexpr int64_t kSumBlock = 4096;  // elements per partial sum
inline constexpr int kLanes = 16;           // one AVX-512 register of float, two of double
// Below this many elements of work a job stays on the calling thread: waking the pool costs
// a few microseconds, about what a cheap pass over 64K elements takes.
inline constexpr int64_t kCheapGrain = int64_t(1) << 16;

// Sum of term(i) over [b, e) in double, over kLanes independent accumulators.
template <class F>
double lane_sum(int64_t b, int64_t e, const F& term) {
  double acc[kLanes] = {};
  int64_t i = b;
  for (; i + kLanes <= e; i += kLanes)
    for (int j = 0; j < kLanes; ++j) acc[j] += term(i + j);
  for (int j = 0; i < e; ++i, ++j) acc[j] += term(i);
  for (int w = kLanes / 2; w > 0; w /= 2)
    for (int j = 0; j < w; ++j) acc[j] += acc[j + w];
  return acc[0];
}

// Sum of term(i) over [0, n): per-block lane sums (in parallel), then a lane sum of the
// blocks. grain_blocks: how many blocks one thread should get at least (1 for expensive terms).
template <class F>
double blocked_sum(int64_t n, int64_t grain_blocks, const F& term) {
  const int64_t nb = (n + kSumBlock - 1) / kSumBlock;
  if (nb <= 1) return lane_sum(0, n, term);
  std::vector<double> part(size_t(nb), 0.0);
  parallel_for(nb, grain_blocks, [&](int64_t b0, int64_t b1) {
    for (int64_t b = b0; b < b1; ++b)
      part[size_t(b)] = lane_sum(b * kSumBlock, std::min(n, (b + 1) * kSumBlock), term);
  });
  const double* p = part.data();
  return lane_sum(0, nb, [p](int64_t i) { return p[i]; });
}

// Threads split the columns in granules of 16: a cache line of float outputs, so no two
// threads write the same line. A tile (<= 256 columns) is what one pass keeps accumulators
// for on the stack: 2 KiB of doubles per accumulator, well inside L1.
inline constexpr int64_t kColGranule = 16;
inline constexpr int64_t kColTile = 256;

// Calls tile(c0, w) for tiles [c0, c0 + w), w <= kColTile, covering [0, cols); the tiles of
// one call run on one thread. grain_elems: elements (rows x columns) per thread at least.
// A matrix with few columns stays on one thread however many rows it has; for the layer
// widths this library targets (>= 16 features) that only happens when the work is small.
template <class F>
void for_column_tiles(int64_t rows, int64_t cols, int64_t grain_elems, const F& tile) {
  const int64_t ng = (cols + kColGranule - 1) / kColGranule;
  const int64_t grain = std::max<int64_t>(1, grain_elems / std::max<int64_t>(1, rows * kColGranule));
  parallel_for(ng, grain, [&](int64_t g0, int64_t g1) {
    const int64_t end = std::min(cols, g1 * kColGranule);
    for (int64_t c = g0 * kColGranule; c < end; c += kColTile) tile(c, std::min(kColTile, end - c));
  });
}

// acc[j] += x[r, j] over all rows, for one tile of w columns starting at x.
template <class T>
inline void column_tile_sum(const T* ENTROPIC_RESTRICT x, int64_t rows, int64_t cols, int64_t w,
                            double* ENTROPIC_RESTRICT acc) {
  for (int64_t r = 0; r < rows; ++r) {
    const T* ENTROPIC_RESTRICT xr = x + r * cols;  // (w,) row segment
    for (int64_t j = 0; j < w; ++j) acc[j] += double(xr[j]);
  }
}

template <bool Accumulate, class T>
void column_sums(const T* x, T* out, int64_t rows, int64_t cols) {
  for_column_tiles(rows, cols, kCheapGrain, [=](int64_t c0, int64_t w) {
    double acc[kColTile] = {};
    column_tile_sum(x + c0, rows, cols, w, acc);
    T* o = out + c0;
    for (int64_t j = 0; j < w; ++j) o[j] = Accumulate ? T(double(o[j]) + acc[j]) : T(acc[j]);
  });
}

}  // namespace detail

// Returns sum_i x[i] (double, whatever T). x: (n,)
template <class T>
double sum(const T* x, int64_t n) {
  static_assert(std::is_same_v<T, float> || std::is_same_v<T, double>, "entropic::cpu: T is float or double");
  return detail::blocked_sum(n, detail::kCheapGrain / detail::kSumBlock,
                             [x](int64_t i) { return double(x[i]); });
}

// Returns sum_i x[i] / n; n > 0. x: (n,)
template <class T>
double mean(const T* x, int64_t n) {
  return sum(x, n) / double(n);
}

// out[c] = sum_r x[r, c]  (OVERWRITES out). x: (rows, cols), out: (cols,)
template <class T>
void column_sums(const T* x, T* out, int64_t rows, int64_t cols) {
  static_assert(std::is_same_v<T, float> || std::is_same_v<T, double>, "entropic::cpu: T is float or double");
  detail::column_sums<false>(x, out, rows, cols);
}

}  // namespace entropic::cpu
