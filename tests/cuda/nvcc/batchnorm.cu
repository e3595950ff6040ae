// nvcc compile check: every kernel of the header, instantiated for float and double.
#include "entropic/cuda/batchnorm.cuh"

namespace entropic::cuda {
#define ENTROPIC_INSTANTIATE(T)                                                                                  \
  template void batchnorm_forward_train<T>(const T*, const T*, const T*, T*, T*, T*, T*, T*, int64_t, int64_t,  \
                                           double, double, cudaStream_t);                                       \
  template void batchnorm_forward_eval<T>(const T*, const T*, const T*, const T*, const T*, T*, int64_t, int64_t, \
                                          double, cudaStream_t);                                                \
  template void batchnorm_backward_train<T>(const T*, const T*, const T*, const T*, const T*, T*, T*, T*, int64_t, \
                                            int64_t, cudaStream_t);                                               \
  template void batchnorm_backward_eval<T>(const T*, const T*, const T*, const T*, const T*, T*, T*, T*, int64_t,  \
                                           int64_t, double, cudaStream_t);
ENTROPIC_INSTANTIATE(float)
ENTROPIC_INSTANTIATE(double)
}  // namespace entropic::cuda
