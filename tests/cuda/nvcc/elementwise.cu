// nvcc compile check: every kernel of the header, instantiated for float and double.
#include "entropic/cuda/elementwise.cuh"

namespace entropic::cuda {
#define ENTROPIC_INSTANTIATE(T)                                                              \
  template void fill<T>(T*, int64_t, T, cudaStream_t);                                      \
  template void axpby<T>(T, const T*, T, const T*, T*, int64_t, cudaStream_t);              \
  template void sum_of_squares<T>(const T*, int64_t, double*, double*, cudaStream_t);       \
  template void map_forward<T>(Map, const T*, T*, int64_t, T, T, cudaStream_t);         \
  template void map_backward<T>(Map, const T*, const T*, const T*, T*, int64_t, T, T,   \
                                cudaStream_t);                                               \
  template void binary<T>(Binary, T, const T*, const T*, T*, int64_t, cudaStream_t);
ENTROPIC_INSTANTIATE(float)
ENTROPIC_INSTANTIATE(double)
}  // namespace entropic::cuda
