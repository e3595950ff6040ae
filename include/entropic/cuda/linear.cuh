// Linear layer on the device: y = act(x W^T + b) and its two backward products.
//
//   forward          y  (M, N) = act(x (M, K) . W (N, K)^T + b (N,))     OVERWRITES y
//   backward_input   dx (M, K) = dy (M, N) . W (N, K)                    OVERWRITES dx
//   backward_weight  dW (N, K) += dy^T (N, M) . x (M, K);  db (N,) += sum_rows dy
//                    (parameter gradients ACCUMULATE; the optimizer zeroes them each step)
// The activation is fused into the forward's epilogue; its backward (activations.cuh) runs
// on dy before these products, with the saved y (or the pre-activation for leaky_relu).
//
// Two GEMM paths behind one interface, chosen at run time by GemmPath:
//   v1 tiled (gemm_kernel): 64x64 output tile a block, 16-deep k-slices of op(A) and op(B)
//      staged in shared memory, a 4x4 register tile a thread, bias + activation fused;
//      transposes are template parameters that change only the staging loads.
//   v2 cuBLAS: cublas{S,D}gemm, then one elementwise kernel for bias + activation. No CPU
//      twin, so the shim (tests) has only v1; the gpu test suite checks v2 against v1.
#pragma once
#include <cstdint>
#include <type_traits>

#include "entropic/cuda/activations.cuh"
#include "entropic/cuda/launch.cuh"
#include "entropic/cuda/reduce.cuh"

#if !defined(ENTROPIC_CUDA_EMU)
#include <cublas_v2.h>
#endif

namespace entropic::cuda {

enum class GemmImpl { tiled, cublas };

// Which GEMM runs; the cuBLAS handle is the caller's (created once, bound to the stream here).
struct GemmPath {
  GemmImpl impl = GemmImpl::tiled;
#if !defined(ENTROPIC_CUDA_EMU)
  cublasHandle_t cublas = nullptr;
#endif
};

// ---- __global__ kernels ----------------------------------------------------------------------

inline constexpr int kGemmBM = 64, kGemmBN = 64, kGemmBK = 16;  // block tile (BM, BN), k-slice BK
inline constexpr int kGemmTM = 4, kGemmTN = 4;                  // register tile a thread
inline constexpr int kGemmThreads = (kGemmBM / kGemmTM) * (kGemmBN / kGemmTN);

// C (M, N) = act(op(A) (M, K) . op(B) (K, N) + beta * C + bias (N,))
//   op(A) = A (M, K), or A^T with A stored (K, M) when TA;
//   op(B) = B (K, N), or B^T with B stored (N, K) when TB.
// bias may be null; C is read only when beta != 0 (so it may hold garbage otherwise).
template <class T, bool TA, bool TB, Act ACT>
__global__ void __launch_bounds__(kGemmThreads)
    gemm_kernel(const T* A, const T* B, const T* bias, T* C, int64_t M, int64_t N, int64_t K, T beta, T slope) {
  static_assert(kGemmThreads == 256, "the 16 x 16 thread layout below");
  static_assert(kGemmBM * kGemmBK % kGemmThreads == 0 && kGemmBN * kGemmBK % kGemmThreads == 0,
                "every thread stages the same number of elements");
  constexpr int kLoadsA = kGemmBM * kGemmBK / kGemmThreads, kLoadsB = kGemmBN * kGemmBK / kGemmThreads;
  // +1 column: the staging stores of the untransposed cases walk k (a column) across a warp
  __shared__ T sA[kGemmBK][kGemmBM + 1];  // (BK, BM) k-major slice of op(A)
  __shared__ T sB[kGemmBK][kGemmBN + 1];  // (BK, BN) k-major slice of op(B)

  const int tid = int(threadIdx.x), tx = tid % 16, ty = tid / 16;
  const int64_t m0 = int64_t(blockIdx.y) * kGemmBM, n0 = int64_t(blockIdx.x) * kGemmBN;
  T acc[kGemmTM][kGemmTN] = {};  // rows ty + 16 i, columns tx + 16 j of the block tile

  for (int64_t k0 = 0; k0 < K; k0 += kGemmBK) {
    // Consecutive threads take consecutive addresses of whichever operand layout we have.
ENTROPIC_UNROLL
    for (int q = 0; q < kLoadsA; ++q) {
      const int e = tid + q * kGemmThreads;
      const int m = TA ? e % kGemmBM : e / kGemmBK, k = TA ? e / kGemmBM : e % kGemmBK;
      const int64_t gm = m0 + m, gk = k0 + k;
      sA[k][m] = (gm < M && gk < K) ? (TA ? A[gk * M + gm] : A[gm * K + gk]) : T(0);
    }
ENTROPIC_UNROLL
    for (int q = 0; q < kLoadsB; ++q) {
      const int e = tid + q * kGemmThreads;
      const int n = TB ? e / kGemmBK : e % kGemmBN, k = TB ? e % kGemmBK : e / kGemmBN;
      const int64_t gn = n0 + n, gk = k0 + k;
      sB[k][n] = (gn < N && gk < K) ? (TB ? B[gn * K + gk] : B[gk * N + gn]) : T(0);
    }
    __syncthreads();
ENTROPIC_UNROLL
    for (int k = 0; k < kGemmBK; ++k) {
      T a[kGemmTM], b[kGemmTN];  // registers
ENTROPIC_UNROLL
      for (int i = 0; i < kGemmTM; ++i) a[i] = sA[k][ty + 16 * i];
ENTROPIC_UNROLL
      for (int j = 0; j < kGemmTN; ++j) b[j] = sB[k][tx + 16 * j];
ENTROPIC_UNROLL
      for (int i = 0; i < kGemmTM; ++i)
ENTROPIC_UNROLL
        for (int j = 0; j < kGemmTN; ++j) acc[i][j] += a[i] * b[j];
    }
    __syncthreads();  // the next slice overwrites sA, sB
  }

ENTROPIC_UNROLL
  for (int i = 0; i < kGemmTM; ++i) {
    const int64_t m = m0 + ty + 16 * i;
    if (m >= M) continue;
ENTROPIC_UNROLL
    for (int j = 0; j < kGemmTN; ++j) {
      const int64_t n = n0 + tx + 16 * j;
      if (n >= N) continue;
      T v = acc[i][j];
      if (beta != T(0)) v += beta * C[m * N + n];
      if (bias) v += bias[n];
      C[m * N + n] = act_fwd<ACT>(v, slope);
    }
  }
}

// y (M, N) = act(y + bias): the epilogue of the cuBLAS path.
template <class T, Act ACT>
__global__ void __launch_bounds__(kElementwiseThreads)
    bias_act_kernel(T* y, const T* bias, int64_t M, int64_t N, T slope) {
  const int64_t stride = int64_t(gridDim.x) * blockDim.x;
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < M * N; i += stride)
    y[i] = act_fwd<ACT>(bias ? y[i] + bias[i % N] : y[i], slope);
}

// ---- host launchers --------------------------------------------------------------------------

namespace detail {

#if !defined(ENTROPIC_CUDA_EMU)
// Row-major C = op(A) op(B) is column-major C^T = op(B)^T op(A)^T: swap the operands.
template <class T>
void cublas_gemm(cublasHandle_t h, bool ta, bool tb, int64_t M, int64_t N, int64_t K, const T* A, const T* B, T beta,
                 T* C, cudaStream_t stream) {
  static_assert(std::is_same_v<T, float> || std::is_same_v<T, double>);
  check(h != nullptr, "linear: GemmImpl::cublas needs a cuBLAS handle in GemmPath");
  ENTROPIC_CUBLAS_CHECK(cublasSetStream(h, stream));
  const T alpha = T(1);
  const cublasOperation_t opB = tb ? CUBLAS_OP_T : CUBLAS_OP_N, opA = ta ? CUBLAS_OP_T : CUBLAS_OP_N;
  const int ldb = int(tb ? K : N), lda = int(ta ? M : K);
  if constexpr (std::is_same_v<T, float>)
    ENTROPIC_CUBLAS_CHECK(cublasSgemm(h, opB, opA, int(N), int(M), int(K), &alpha, B, ldb, A, lda, &beta, C, int(N)));
  else
    ENTROPIC_CUBLAS_CHECK(cublasDgemm(h, opB, opA, int(N), int(M), int(K), &alpha, B, ldb, A, lda, &beta, C, int(N)));
}
#endif

template <class T, bool TA, bool TB, Act ACT>
void gemm_tiled(int64_t M, int64_t N, int64_t K, const T* A, const T* B, const T* bias, T beta, T* C, T slope,
                cudaStream_t stream) {
  const dim3 grid(unsigned(ceil_div(N, kGemmBN)), unsigned(ceil_div(M, kGemmBM)));
  launch(gemm_kernel<T, TA, TB, ACT>, grid, dim3(kGemmThreads), 0, stream, A, B, bias, C, M, N, K, beta, slope);
}

// C = op(A) op(B) + beta C, no epilogue, on either path.
template <class T, bool TA, bool TB>
void gemm(const GemmPath& path, int64_t M, int64_t N, int64_t K, const T* A, const T* B, T beta, T* C,
          cudaStream_t stream) {
  if (M == 0 || N == 0) return;
  if (path.impl == GemmImpl::cublas) {
#if defined(ENTROPIC_CUDA_EMU)
    fail("linear: the cuBLAS path does not exist in the CPU emulation of the CUDA kernels");
#else
    return cublas_gemm<T>(path.cublas, TA, TB, M, N, K, A, B, beta, C, stream);
#endif
  }
  gemm_tiled<T, TA, TB, Act::none>(M, N, K, A, B, nullptr, beta, C, T(0), stream);
}

}  // namespace detail

// y (M, N) = act(x (M, K) W (N, K)^T + b (N,))  (OVERWRITES y). b may be null.
template <class T>
void linear_forward(const T* x, const T* W, const T* b, T* y, int64_t M, int64_t N, int64_t K, Act act, T slope,
                    const GemmPath& path, cudaStream_t stream) {
  static_assert(std::is_same_v<T, float> || std::is_same_v<T, double>, "entropic::cuda: T is float or double");
  if (M == 0 || N == 0) return;
  if (path.impl == GemmImpl::cublas) {
    detail::gemm<T, false, true>(path, M, N, K, x, W, T(0), y, stream);
    if (!b && act == Act::none) return;
    dispatch_act(act, [&](auto A) {
      launch(bias_act_kernel<T, decltype(A)::value>, elementwise_grid(M * N), dim3(kElementwiseThreads), 0, stream, y,
             b, M, N, slope);
    });
    return;
  }
  dispatch_act(act, [&](auto A) {
    detail::gemm_tiled<T, false, true, decltype(A)::value>(M, N, K, x, W, b, T(0), y, slope, stream);
  });
}

// dx (M, K) = dy (M, N) W (N, K)  (OVERWRITES dx).
template <class T>
void linear_backward_input(const T* dy, const T* W, T* dx, int64_t M, int64_t N, int64_t K, const GemmPath& path,
                           cudaStream_t stream) {
  detail::gemm<T, false, false>(path, M, K, N, dy, W, T(0), dx, stream);
}

// dW (N, K) += dy (M, N)^T x (M, K);  db (N,) += sum_rows dy  (ACCUMULATE). db may be null.
template <class T>
void linear_backward_weight(const T* dy, const T* x, T* dW, T* db, int64_t M, int64_t N, int64_t K,
                            const GemmPath& path, cudaStream_t stream) {
  detail::gemm<T, true, false>(path, N, K, M, dy, x, T(1), dW, stream);
  if (db) column_sum(dy, db, M, N, true, stream);
}

}  // namespace entropic::cuda
