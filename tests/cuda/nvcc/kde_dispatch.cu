// nvcc compile check: the dispatch over every kernel, float and double, both dH forms.
#include "entropic/cuda/kde_dispatch.cuh"

namespace entropic::cuda {
#define ENTROPIC_INSTANTIATE(T)                                                                                 \
  template void kde_forward<T>(const KdePlan&, const T*, int64_t, int64_t, double, bool, T*, T*, T*,           \
                               const GemmPath&, cudaStream_t);                                                  \
  template void kde_backward<T, double>(const KdePlan&, const T*, int64_t, int64_t, double, bool, const T*,    \
                                        double, T*, T*, const GemmPath&, cudaStream_t);                         \
  template void kde_backward<T, const T*>(const KdePlan&, const T*, int64_t, int64_t, double, bool, const T*,  \
                                          const T*, T*, T*, const GemmPath&, cudaStream_t);
ENTROPIC_INSTANTIATE(float)
ENTROPIC_INSTANTIATE(double)
}  // namespace entropic::cuda
