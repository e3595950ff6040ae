// nvcc compile check: every kernel of the header, instantiated for float and double.
#include "entropic/cuda/activations.cuh"

namespace entropic::cuda {
template void act_forward<float>(Act, const float*, float*, int64_t, float, cudaStream_t);
template void act_forward<double>(Act, const double*, double*, int64_t, double, cudaStream_t);
template void act_backward<float>(Act, const float*, const float*, float*, int64_t, float, cudaStream_t);
template void act_backward<double>(Act, const double*, const double*, double*, int64_t, double, cudaStream_t);
}  // namespace entropic::cuda
