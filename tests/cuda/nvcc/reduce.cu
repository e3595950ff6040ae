// nvcc compile check: every kernel of the header, instantiated for float and double.
#include "entropic/cuda/reduce.cuh"

namespace entropic::cuda {
template void sum<float>(const float*, int64_t, double*, double*, cudaStream_t);
template void sum<double>(const double*, int64_t, double*, double*, cudaStream_t);
template void column_sum<float>(const float*, float*, int64_t, int64_t, bool, cudaStream_t);
template void column_sum<double>(const double*, double*, int64_t, int64_t, bool, cudaStream_t);
}  // namespace entropic::cuda
