// nvcc compile check: every kernel of the header, instantiated for float and double.
#include "entropic/cuda/linear.cuh"

namespace entropic::cuda {
#define ENTROPIC_INSTANTIATE(T)                                                                                   \
  template void linear_forward<T>(const T*, const T*, const T*, T*, int64_t, int64_t, int64_t, Act, T,            \
                                  const GemmPath&, cudaStream_t);                                                 \
  template void linear_backward_input<T>(const T*, const T*, T*, int64_t, int64_t, int64_t, const GemmPath&,      \
                                         cudaStream_t);                                                           \
  template void linear_backward_weight<T>(const T*, const T*, T*, T*, int64_t, int64_t, int64_t, const GemmPath&, \
                                          cudaStream_t);
ENTROPIC_INSTANTIATE(float)
ENTROPIC_INSTANTIATE(double)
}  // namespace entropic::cuda
