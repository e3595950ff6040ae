// k-nearest-neighbour distances on the device, for the Kozachenko-Leonenko entropy estimate:
//   dist[i, t] = Euclidean distance from x_i to its (t+1)-th nearest other point, t < k,
// ascending; nn_index[i] = the k-th nearest (what the estimator's backward needs, as
// cpu/knn.hpp's knn_kth). x: (n, d); dist: (n, k); nn_index: (n,) or null;
// 1 <= k <= kKnnMaxK, k < n. At ties either point may be chosen. Nothing n x n is stored.
//
// v1 streaming: a thread owns a row; a block of 128 rows streams 32-column tiles of x past
// itself through shared memory in 32-dimension chunks, keeps the 32 squared distances of the
// tile in registers, then inserts them into its sorted k-best list (registers / local memory).
#pragma once
#include <cstdint>
#include <type_traits>

#include "entropic/cuda/launch.cuh"
#include "entropic/cuda/math.cuh"

namespace entropic::cuda {

inline constexpr int kKnnThreads = 128;  // rows a block
inline constexpr int kKnnCols = 32;      // columns a tile
inline constexpr int kKnnChunk = 32;     // dimensions a stage
inline constexpr int kKnnMaxK = 16;

// ---- __device__ math -------------------------------------------------------------------------

// Inserts (v, j) into best[0 .. k) (ascending v), dropping the largest.
template <class T, int KMAX>
__device__ __forceinline__ void topk_insert(T (&best)[KMAX], int64_t (&index)[KMAX], int k, T v, int64_t j) {
  if (!(v < best[k - 1])) return;
  int p = k - 1;
  while (p > 0 && best[p - 1] > v) {
    best[p] = best[p - 1];
    index[p] = index[p - 1];
    --p;
  }
  best[p] = v;
  index[p] = j;
}

// ---- __global__ kernels ----------------------------------------------------------------------

template <class T, int KMAX>
__global__ void __launch_bounds__(kKnnThreads) knn_kernel(const T* x, int64_t n, int64_t d, int k, T* dist, int64_t* nn_index) {
  static_assert(kKnnCols * kKnnChunk % kKnnThreads == 0);
  __shared__ T sJ[kKnnCols][kKnnChunk + 1];  // (TC, DK) stage of the column tile
  const int tid = int(threadIdx.x);
  const int64_t i = int64_t(blockIdx.x) * kKnnThreads + tid;
  T best[KMAX];        // squared distances, ascending
  int64_t index[KMAX];  // their columns
ENTROPIC_UNROLL
  for (int t = 0; t < KMAX; ++t) {
    best[t] = math::infinity<T>();
    index[t] = -1;
  }
  for (int64_t j0 = 0; j0 < n; j0 += kKnnCols) {
    T d2[kKnnCols];  // squared distances to this tile's columns
ENTROPIC_UNROLL
    for (int jj = 0; jj < kKnnCols; ++jj) d2[jj] = T(0);
    for (int64_t c0 = 0; c0 < d; c0 += kKnnChunk) {
ENTROPIC_UNROLL
      for (int q = 0; q < kKnnCols * kKnnChunk / kKnnThreads; ++q) {
        const int e = tid + q * kKnnThreads, jj = e / kKnnChunk, c = e % kKnnChunk;
        sJ[jj][c] = (j0 + jj < n && c0 + c < d) ? x[(j0 + jj) * d + c0 + c] : T(0);
      }
      __syncthreads();
      const int dc = int(math::min<int64_t>(kKnnChunk, d - c0));
      if (i < n)
        for (int c = 0; c < dc; ++c) {
          const T xi = x[i * d + c0 + c];
ENTROPIC_UNROLL
          for (int jj = 0; jj < kKnnCols; ++jj) {
            const T diff = xi - sJ[jj][c];
            d2[jj] += diff * diff;
          }
        }
      __syncthreads();  // the next stage overwrites sJ
    }
    if (i < n)
ENTROPIC_UNROLL
      for (int jj = 0; jj < kKnnCols; ++jj)
        if (j0 + jj < n && j0 + jj != i) topk_insert(best, index, k, d2[jj], j0 + jj);
  }
  if (i >= n) return;
  for (int t = 0; t < k; ++t) dist[i * k + t] = math::sqrt(best[t]);
  if (nn_index) nn_index[i] = index[k - 1];
}

// rho[i] = dist[i, k - 1]: the k-th neighbour's distance, the column the estimator uses.
template <class T>
__global__ void knn_kth_column_kernel(const T* dist, int64_t n, int k, T* rho) {
  const int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i < n) rho[i] = dist[i * k + k - 1];
}

// The Kozachenko-Leonenko gradient, dx = dH * dH/dx (overwritten), as a gather so that it needs
// no atomics and sums in a fixed order: with f_l = scale / rho_l^2 (0 where rho_l <= floor),
//   dx_i = f_i (x_i - x_nn(i)) - sum over l with nn(l) = i of f_l (x_l - x_i).
// A thread owns row i and scans all n indices for the l that point at it: O(n^2) index reads
// and O(n d) arithmetic, small beside the search's O(n^2 d).
template <class T>
__global__ void kl_entropy_backward_kernel(const T* x, int64_t n, int64_t d, double floor, const int64_t* nn,
                                           const T* rho, double scale, T* dx) {
  const int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= n) return;
  const double ri = double(rho[i]);
  const double fi = ri > floor ? scale / (ri * ri) : 0.0;
  const int64_t j = nn[i];
  for (int64_t c = 0; c < d; ++c) dx[i * d + c] = T(fi * (double(x[i * d + c]) - double(x[j * d + c])));
  for (int64_t l = 0; l < n; ++l) {
    if (nn[l] != i) continue;
    const double rl = double(rho[l]);
    if (!(rl > floor)) continue;
    const double fl = scale / (rl * rl);
    for (int64_t c = 0; c < d; ++c) dx[i * d + c] -= T(fl * (double(x[l * d + c]) - double(x[i * d + c])));
  }
}

// ---- host launchers --------------------------------------------------------------------------

template <class T>
void knn_distances(const T* x, int64_t n, int64_t d, int k, T* dist, int64_t* nn_index, cudaStream_t stream) {
  static_assert(std::is_same_v<T, float> || std::is_same_v<T, double>, "entropic::cuda: T is float or double");
  check(k >= 1 && k <= kKnnMaxK, "knn: k must be in [1, ", kKnnMaxK, "], got ", k);
  check(k < n, "knn: k = ", k, " needs more than k points, got n = ", n);
  check(d >= 1, "knn: needs d >= 1, got ", d);
  const dim3 grid(unsigned(ceil_div(n, kKnnThreads)));
  if (k <= 4) return launch(knn_kernel<T, 4>, grid, dim3(kKnnThreads), 0, stream, x, n, d, k, dist, nn_index);
  launch(knn_kernel<T, kKnnMaxK>, grid, dim3(kKnnThreads), 0, stream, x, n, d, k, dist, nn_index);
}

template <class T>
void knn_kth_column(const T* dist, int64_t n, int k, T* rho, cudaStream_t stream) {
  if (n == 0) return;
  launch(knn_kth_column_kernel<T>, dim3(unsigned(ceil_div(n, kKnnThreads))), dim3(kKnnThreads), 0, stream, dist, n,
         k, rho);
}

// dx = dH * dH/dx for the estimator H = psi(n) - psi(k) + log V_d + (d/n) sum log max(rho, floor);
// nn (device) and rho (device) from knn_distances / knn_kth_column on the same x.
template <class T>
void kl_entropy_backward(const T* x, int64_t n, int64_t d, double floor, const int64_t* nn, const T* rho, double dH,
                         T* dx, cudaStream_t stream) {
  static_assert(std::is_same_v<T, float> || std::is_same_v<T, double>, "entropic::cuda: T is float or double");
  if (n == 0) return;
  launch(kl_entropy_backward_kernel<T>, dim3(unsigned(ceil_div(n, kKnnThreads))), dim3(kKnnThreads), 0, stream, x, n,
         d, floor, nn, rho, dH * double(d) / double(n), dx);
}

}  // namespace entropic::cuda
