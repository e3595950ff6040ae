// The CUDA side of bench_kde (compiled by nvcc only when CMake finds it; see bench_kde.cpp for
// the versions, the checking and the reporting). Only the device work lives here: upload x,
// run the library's kernels, copy results back, time with CUDA events.
#include <cuda_runtime.h>

#include <string>
#include <vector>

#include "entropic/cuda/kde.cuh"

namespace kde_bench_cuda {

bool available(std::string& device_or_reason) {
  int count = 0;
  const cudaError_t e = cudaGetDeviceCount(&count);
  if (e != cudaSuccess || count == 0) {
    device_or_reason = e != cudaSuccess ? cudaGetErrorString(e) : "no CUDA device";
    return false;
  }
  cudaDeviceProp p{};
  ENTROPIC_CUDA_CHECK(cudaGetDeviceProperties(&p, 0));
  device_or_reason = std::string(p.name) + ", sm_" + std::to_string(p.major) + std::to_string(p.minor);
  return true;
}

void run(const float* x, int64_t n, int64_t d, double sigma, bool backward, int repeats, float* log_p,
         float* row_lse, float* dx, std::vector<double>& times) {
  float *gx = nullptr, *glp = nullptr, *glse = nullptr, *gdx = nullptr;
  ENTROPIC_CUDA_CHECK(cudaMalloc(&gx, sizeof(float) * size_t(n * d)));
  ENTROPIC_CUDA_CHECK(cudaMalloc(&gdx, sizeof(float) * size_t(n * d)));
  ENTROPIC_CUDA_CHECK(cudaMalloc(&glp, sizeof(float) * size_t(n)));
  ENTROPIC_CUDA_CHECK(cudaMalloc(&glse, sizeof(float) * size_t(n)));
  ENTROPIC_CUDA_CHECK(cudaMemcpy(gx, x, sizeof(float) * size_t(n * d), cudaMemcpyHostToDevice));
  cudaStream_t s = nullptr;
  ENTROPIC_CUDA_CHECK(cudaStreamCreate(&s));
  auto call = [&] {
    entropic::cuda::kde_forward(gx, n, d, sigma, false, glp, glse, s);
    if (backward) entropic::cuda::kde_backward(gx, n, d, sigma, false, glse, 1.0, gdx, s);
  };
  times.clear();
  call();
  ENTROPIC_CUDA_CHECK(cudaStreamSynchronize(s));
  ENTROPIC_CUDA_CHECK(cudaMemcpy(log_p, glp, sizeof(float) * size_t(n), cudaMemcpyDeviceToHost));
  ENTROPIC_CUDA_CHECK(cudaMemcpy(row_lse, glse, sizeof(float) * size_t(n), cudaMemcpyDeviceToHost));
  if (backward) ENTROPIC_CUDA_CHECK(cudaMemcpy(dx, gdx, sizeof(float) * size_t(n * d), cudaMemcpyDeviceToHost));
  cudaEvent_t t0, t1;
  ENTROPIC_CUDA_CHECK(cudaEventCreate(&t0));
  ENTROPIC_CUDA_CHECK(cudaEventCreate(&t1));
  for (int r = 0; r < repeats; ++r) {
    ENTROPIC_CUDA_CHECK(cudaEventRecord(t0, s));
    call();
    ENTROPIC_CUDA_CHECK(cudaEventRecord(t1, s));
    ENTROPIC_CUDA_CHECK(cudaEventSynchronize(t1));
    float ms = 0;
    ENTROPIC_CUDA_CHECK(cudaEventElapsedTime(&ms, t0, t1));
    times.push_back(double(ms));
  }
  cudaEventDestroy(t0);
  cudaEventDestroy(t1);
  cudaStreamDestroy(s);
  cudaFree(gx);
  cudaFree(gdx);
  cudaFree(glp);
  cudaFree(glse);
}

}  // namespace kde_bench_cuda
