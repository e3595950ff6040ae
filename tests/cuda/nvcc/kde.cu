// nvcc compile check: every kernel of the header, instantiated for float and double.
#include "entropic/cuda/kde.cuh"

namespace entropic::cuda {
#define ENTROPIC_INSTANTIATE(T)                                                                            \
  template void kde_forward<T>(const T*, int64_t, int64_t, double, bool, T*, T*, cudaStream_t);            \
  template void kde_entropy<T>(const T*, int64_t, double*, double*, cudaStream_t);                         \
  template void kde_backward<T>(const T*, int64_t, int64_t, double, bool, const T*, double, T*, cudaStream_t); \
  template void kde_backward<T>(const T*, int64_t, int64_t, double, bool, const T*, const T*, T*, cudaStream_t);
ENTROPIC_INSTANTIATE(float)
ENTROPIC_INSTANTIATE(double)
template void kde_entropy<float>(const float*, int64_t, float*, double*, cudaStream_t);  // H as a float element
}  // namespace entropic::cuda
