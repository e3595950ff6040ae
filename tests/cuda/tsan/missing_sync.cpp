// A deliberately broken copy of a tiled kernel: the __syncthreads() between the last read of
// a shared tile and the next write of it is missing, so a fast thread overwrites the tile
// while a slow one still reads it. Registered only in the ThreadSanitizer build, where the
// test passes when TSan reports "ThreadSanitizer: data race" (the shim's barriers are what
// give TSan the happens-before edges of a correct kernel).
#include "cuda_cpu_emu.hpp"

#include <cstdio>
#include <vector>

#include "entropic/cuda/launch.cuh"

constexpr int kTile = 16;

// y (M, N) = x (M, K) w (N, K)^T
__global__ void tiled_linear_missing_sync(const float* x, const float* w, float* y, int M, int N, int K) {
  __shared__ float xs[kTile][kTile];      // (rows, k)
  __shared__ float ws[kTile][kTile + 1];  // (k, cols)
  const int row = int(blockIdx.y) * kTile + int(threadIdx.y), col = int(blockIdx.x) * kTile + int(threadIdx.x);
  float acc = 0.f;
  for (int k0 = 0; k0 < K; k0 += kTile) {
    const int kx = k0 + int(threadIdx.x), kw = k0 + int(threadIdx.y);
    xs[threadIdx.y][threadIdx.x] = (row < M && kx < K) ? x[row * K + kx] : 0.f;
    ws[threadIdx.y][threadIdx.x] = (col < N && kw < K) ? w[col * K + kw] : 0.f;
    __syncthreads();
    for (int k = 0; k < kTile; ++k) acc += xs[threadIdx.y][k] * ws[k][threadIdx.x];
    // BUG (on purpose): no __syncthreads() here
  }
  if (row < M && col < N) y[row * N + col] = acc;
}

int main() {
  const int M = 16, N = 16, K = 64;
  std::vector<float> x(M * K, 1.f), w(N * K, 1.f), y(M * N);
  entropic::cuda::launch(tiled_linear_missing_sync, dim3(1, 1), dim3(kTile, kTile), 0, nullptr, x.data(), w.data(),
                         y.data(), M, N, K);
  std::printf("y[0] = %g (64 when the race happens not to corrupt it)\n", double(y[0]));
  return 0;
}
