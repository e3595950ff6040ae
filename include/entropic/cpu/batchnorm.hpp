// CPU kernels for BatchNorm1d over x: (rows = batch, cols = features), PyTorch semantics.
//
//   train:  mean_c = (1/N) sum_r x[r,c]        var_c = (1/N) sum_r (x[r,c] - mean_c)^2  (biased)
//           rstd_c = 1 / sqrt(var_c + eps)     y = (x - mean_c) * rstd_c * gamma_c + beta_c
//           running_mean = (1 - momentum) * running_mean + momentum * mean_c
//           running_var  = (1 - momentum) * running_var  + momentum * var_c * N / (N - 1)
//           (the running variance takes the UNBIASED estimate, as PyTorch does)
//   eval:   y = (x - running_mean_c) / sqrt(running_var_c + eps) * gamma_c + beta_c
// N = rows; training needs N >= 2 (the op layer checks; PyTorch refuses N == 1 too).
//
// Saved for backward: mean (cols,) and rstd (cols,), written by the training forward. The
// backward recomputes xhat from x, mean and rstd rather than storing a second (rows, cols)
// buffer: one cheap subtract-multiply per element against rows * cols * sizeof(T) of memory.
//
// Gradient modes (llm.c style):
//   dx            OVERWRITTEN (=)   an activation gradient, written once per pass;
//   dgamma, dbeta ACCUMULATED (+=)  parameter gradients; the optimizer zeroes them each step.
//
// Optional buffers: gamma and beta may both be null (affine = false: scale 1, shift 0), and
// then dgamma and dbeta must be null too; running_mean and running_var may both be null
// (track_running_stats = false) and are then not updated.
// Outputs must not overlap inputs.
//
// Layout of the work: each thread owns a block of whole columns (see reduce.hpp,
// for_column_tiles) and walks all rows of it, row outer and column inner, so every inner loop
// is a contiguous, vectorisable run of up to 256 features. A tile of a batch of 64..100 rows
// x 256 features (64..100 KiB of float) stays in L2 across the passes over it: forward reads
// it three times (sum, centred squares, output) and backward twice, from cache after the first.
// Column statistics accumulate in double, so a float batch is normalised with float-exact
// statistics whatever the batch size.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <type_traits>

#include "entropic/core/parallel.hpp"
#include "entropic/cpu/reduce.hpp"

namespace entropic::cpu {
namespace detail {

// Elements (rows x cols) per thread at least; BatchNorm does ~3 passes, so it pays to split
// earlier than a single cheap pass.
inline constexpr int64_t kBatchNormGrain = int64_t(1) << 15;

// y[r, j] = (x[r, j] - shift[j]) * scale[j] + add[j] over one tile of w columns.
template <class T>
inline void affine_tile(const T* ENTROPIC_RESTRICT x, T* ENTROPIC_RESTRICT y, int64_t rows, int64_t cols,
                        int64_t w, const T* ENTROPIC_RESTRICT shift, const T* ENTROPIC_RESTRICT scale,
                        const T* ENTROPIC_RESTRICT add) {
  for (int64_t r = 0; r < rows; ++r) {
    const T* ENTROPIC_RESTRICT xr = x + r * cols;  // (w,)
    T* ENTROPIC_RESTRICT yr = y + r * cols;        // (w,)
    for (int64_t j = 0; j < w; ++j) yr[j] = (xr[j] - shift[j]) * scale[j] + add[j];
  }
}

// sdy[j] += sum_r dy[r, j];  sdyc[j] += sum_r dy[r, j] * (x[r, j] - centre[j])
template <class T>
inline void dy_sums_tile(const T* ENTROPIC_RESTRICT dy, const T* ENTROPIC_RESTRICT x, int64_t rows,
                         int64_t cols, int64_t w, const T* ENTROPIC_RESTRICT centre,
                         double* ENTROPIC_RESTRICT sdy, double* ENTROPIC_RESTRICT sdyc) {
  for (int64_t r = 0; r < rows; ++r) {
    const T* ENTROPIC_RESTRICT dyr = dy + r * cols;  // (w,)
    const T* ENTROPIC_RESTRICT xr = x + r * cols;    // (w,)
    for (int64_t j = 0; j < w; ++j) {
      const double g = double(dyr[j]);
      sdy[j] += g;
      sdyc[j] += g * (double(xr[j]) - double(centre[j]));
    }
  }
}

template <class T>
void check_type() {
  static_assert(std::is_same_v<T, float> || std::is_same_v<T, double>, "entropic::cpu: T is float or double");
}

}  // namespace detail

// Training forward. Inputs: x (rows, cols); gamma, beta (cols,) or null.
// Outputs: y (rows, cols); mean, rstd (cols,) saved for backward.
// In/out: running_mean, running_var (cols,) or null, updated with momentum.
template <class T>
void batchnorm_forward_train(const T* x, const T* gamma, const T* beta, T* y, T* mean, T* rstd,
                             T* running_mean, T* running_var, int64_t rows, int64_t cols, double eps,
                             double momentum) {
  detail::check_type<T>();
  const double inv_n = 1.0 / double(rows);
  const double unbias = double(rows) / double(std::max<int64_t>(1, rows - 1));
  detail::for_column_tiles(rows, cols, detail::kBatchNormGrain, [=](int64_t c0, int64_t w) {
    double m[detail::kColTile] = {}, q[detail::kColTile] = {};
    detail::column_tile_sum(x + c0, rows, cols, w, m);
    for (int64_t j = 0; j < w; ++j) m[j] *= inv_n;
    // Two passes (mean, then centred squares) rather than E[x^2] - mean^2, which cancels
    // catastrophically when |mean| >> std.
    for (int64_t r = 0; r < rows; ++r) {
      const T* ENTROPIC_RESTRICT xr = x + r * cols + c0;  // (w,)
      for (int64_t j = 0; j < w; ++j) {
        const double d = double(xr[j]) - m[j];
        q[j] += d * d;
      }
    }
    T shift[detail::kColTile], scale[detail::kColTile], add[detail::kColTile];
    for (int64_t j = 0; j < w; ++j) {
      const int64_t c = c0 + j;
      const double var = q[j] * inv_n;
      const double rs = 1.0 / std::sqrt(var + eps);
      mean[c] = T(m[j]);
      rstd[c] = T(rs);
      // The output uses the saved (rounded) mean and rstd, so backward differentiates exactly
      // the function forward computed.
      shift[j] = mean[c];
      scale[j] = gamma ? T(double(gamma[c]) * double(rstd[c])) : rstd[c];
      add[j] = beta ? beta[c] : T(0);
      if (running_mean) {
        running_mean[c] = T((1.0 - momentum) * double(running_mean[c]) + momentum * m[j]);
        running_var[c] = T((1.0 - momentum) * double(running_var[c]) + momentum * var * unbias);
      }
    }
    detail::affine_tile(x + c0, y + c0, rows, cols, w, shift, scale, add);
  });
}

// Eval forward with the running statistics. Inputs: x (rows, cols); gamma, beta (cols,) or
// null; running_mean, running_var (cols,). Output: y (rows, cols). Any rows >= 1.
template <class T>
void batchnorm_forward_eval(const T* x, const T* gamma, const T* beta, const T* running_mean,
                            const T* running_var, T* y, int64_t rows, int64_t cols, double eps) {
  detail::check_type<T>();
  detail::for_column_tiles(rows, cols, detail::kBatchNormGrain, [=](int64_t c0, int64_t w) {
    T scale[detail::kColTile], add[detail::kColTile];
    for (int64_t j = 0; j < w; ++j) {
      const int64_t c = c0 + j;
      const double rs = 1.0 / std::sqrt(double(running_var[c]) + eps);
      scale[j] = T(gamma ? double(gamma[c]) * rs : rs);
      add[j] = beta ? beta[c] : T(0);
    }
    detail::affine_tile(x + c0, y + c0, rows, cols, w, running_mean + c0, scale, add);
  });
}

// Training backward, fused: with xhat = (x - mean) * rstd, g = gamma (1 if null),
//   dx     = g * rstd / N * (N * dy - sum_r dy - xhat * sum_r dy * xhat)   (OVERWRITES dx)
//   dgamma += sum_r dy * xhat                                             (ACCUMULATES)
//   dbeta  += sum_r dy                                                    (ACCUMULATES)
// Inputs: dy, x (rows, cols); mean, rstd (cols,) from the training forward; gamma (cols,) or
// null. Outputs: dx (rows, cols); dgamma, dbeta (cols,) or null (both null when gamma is).
template <class T>
void batchnorm_backward_train(const T* dy, const T* x, const T* mean, const T* rstd, const T* gamma,
                              T* dx, T* dgamma, T* dbeta, int64_t rows, int64_t cols) {
  detail::check_type<T>();
  const double inv_n = 1.0 / double(rows);
  detail::for_column_tiles(rows, cols, detail::kBatchNormGrain, [=](int64_t c0, int64_t w) {
    double sdy[detail::kColTile] = {}, sdyc[detail::kColTile] = {};
    detail::dy_sums_tile(dy + c0, x + c0, rows, cols, w, mean + c0, sdy, sdyc);
    // dx = a * dy + b * (x - mean) + k, with per-column a, b, k folded from the formula above.
    T a[detail::kColTile], b[detail::kColTile], k[detail::kColTile];
    for (int64_t j = 0; j < w; ++j) {
      const int64_t c = c0 + j;
      const double rs = double(rstd[c]);
      const double g = gamma ? double(gamma[c]) : 1.0;
      const double sdy_xhat = sdyc[j] * rs;
      if (dgamma) {
        dgamma[c] = T(double(dgamma[c]) + sdy_xhat);
        dbeta[c] = T(double(dbeta[c]) + sdy[j]);
      }
      a[j] = T(g * rs);
      b[j] = T(-g * rs * rs * sdy_xhat * inv_n);
      k[j] = T(-g * rs * sdy[j] * inv_n);
    }
    const T* ENTROPIC_RESTRICT mt = mean + c0;
    for (int64_t r = 0; r < rows; ++r) {
      const T* ENTROPIC_RESTRICT dyr = dy + r * cols + c0;  // (w,)
      const T* ENTROPIC_RESTRICT xr = x + r * cols + c0;    // (w,)
      T* ENTROPIC_RESTRICT dxr = dx + r * cols + c0;        // (w,)
      for (int64_t j = 0; j < w; ++j) dxr[j] = a[j] * dyr[j] + b[j] * (xr[j] - mt[j]) + k[j];
    }
  });
}

// Eval backward: the running statistics are constants, so with rs = 1/sqrt(running_var + eps),
//   dx     = dy * g * rs                                 (OVERWRITES dx)
//   dgamma += sum_r dy * (x - running_mean) * rs         (ACCUMULATES)
//   dbeta  += sum_r dy                                   (ACCUMULATES)
// Inputs: dy, x (rows, cols); gamma (cols,) or null; running_mean, running_var (cols,).
// Outputs: dx (rows, cols); dgamma, dbeta (cols,) or null.
template <class T>
void batchnorm_backward_eval(const T* dy, const T* x, const T* gamma, const T* running_mean,
                             const T* running_var, T* dx, T* dgamma, T* dbeta, int64_t rows,
                             int64_t cols, double eps) {
  detail::check_type<T>();
  detail::for_column_tiles(rows, cols, detail::kBatchNormGrain, [=](int64_t c0, int64_t w) {
    T scale[detail::kColTile], zero[detail::kColTile];
    for (int64_t j = 0; j < w; ++j) {
      const int64_t c = c0 + j;
      const double rs = 1.0 / std::sqrt(double(running_var[c]) + eps);
      scale[j] = T(gamma ? double(gamma[c]) * rs : rs);
      zero[j] = T(0);
    }
    detail::affine_tile(dy + c0, dx + c0, rows, cols, w, zero, scale, zero);
    if (!dgamma) return;
    double sdy[detail::kColTile] = {}, sdyc[detail::kColTile] = {};
    detail::dy_sums_tile(dy + c0, x + c0, rows, cols, w, running_mean + c0, sdy, sdyc);
    for (int64_t j = 0; j < w; ++j) {
      const int64_t c = c0 + j;
      const double rs = 1.0 / std::sqrt(double(running_var[c]) + eps);
      dgamma[c] = T(double(dgamma[c]) + sdyc[j] * rs);
      dbeta[c] = T(double(dbeta[c]) + sdy[j]);
    }
  });
}

}  // namespace entropic::cpu
