// nvcc compile check: every kernel of the header, instantiated for float and double.
#include "entropic/cuda/kde_warp.cuh"

namespace entropic::cuda {
template void kde_warp_forward<float>(const float*, int64_t, int64_t, double, bool, float*, float*, cudaStream_t);
template void kde_warp_forward<double>(const double*, int64_t, int64_t, double, bool, double*, double*, cudaStream_t);
}  // namespace entropic::cuda
