// nvcc compile check: every kernel of the header (the launchers instantiate them all).
#include "benchmarks/kde_versions.cuh"

namespace entropic::cuda::kde_versions {
void nvcc_check(const float* x, float* y, float4* z, const Workspace& ws, cudaStream_t s) {
  for (int v = kFirst; v <= kLast; ++v) {
    forward(v, x, 8, 3, 1.0, false, y, y, ws, s);
    backward(v, x, 8, 3, 1.0, false, y, 1.0, y, ws, s);
  }
  fma_rate(1, 32, 1, y, s);
  exp_rate(1, 32, 1, y, s);
  tf32_rate(1, 32, 1, y, s);
  copy(z, z, 1, 1, s);
}
}  // namespace entropic::cuda::kde_versions
