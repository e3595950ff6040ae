// nvcc compile check: every kernel of the header, instantiated for float and double.
#include "entropic/cuda/maxout.cuh"

namespace entropic::cuda {
#define ENTROPIC_INSTANTIATE(T)                                                                    \
  template void maxout_forward<T>(const T*, T*, int64_t, int64_t, int64_t, cudaStream_t);         \
  template void maxout_backward<T>(const T*, const T*, T*, int64_t, int64_t, int64_t, cudaStream_t);
ENTROPIC_INSTANTIATE(float)
ENTROPIC_INSTANTIATE(double)
}  // namespace entropic::cuda
