// nvcc compile check: every kernel of the header, instantiated for float and double.
#include "entropic/cuda/kde_gram.cuh"

namespace entropic::cuda {
#define ENTROPIC_INSTANTIATE(T)                                                                                 \
  template void kde_gram_forward<T>(const T*, int64_t, int64_t, double, bool, T*, T*, int64_t, T*,             \
                                    const GemmPath&, cudaStream_t);                                             \
  template void kde_gram_backward<T>(const T*, int64_t, int64_t, double, bool, const T*, double, T*, int64_t, \
                                     T*, const GemmPath&, cudaStream_t);                                        \
  template void kde_gram_backward<T>(const T*, int64_t, int64_t, double, bool, const T*, const T*, T*, int64_t, \
                                     T*, const GemmPath&, cudaStream_t);
ENTROPIC_INSTANTIATE(float)
ENTROPIC_INSTANTIATE(double)
}  // namespace entropic::cuda
