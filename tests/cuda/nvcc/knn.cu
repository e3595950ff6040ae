// nvcc compile check: every kernel of the header, instantiated for float and double.
#include "entropic/cuda/knn.cuh"

namespace entropic::cuda {
template void knn_distances<float>(const float*, int64_t, int64_t, int, float*, int64_t*, cudaStream_t);
template void knn_distances<double>(const double*, int64_t, int64_t, int, double*, int64_t*, cudaStream_t);
}  // namespace entropic::cuda
