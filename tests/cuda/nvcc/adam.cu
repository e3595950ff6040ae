// nvcc compile check: every kernel of the header, instantiated for float and double.
#include "entropic/cuda/adam.cuh"

namespace entropic::cuda {
template void adam_step<float>(float*, const float*, float*, float*, int64_t, const AdamHyper&, int64_t, cudaStream_t);
template void adam_step<double>(double*, const double*, double*, double*, int64_t, const AdamHyper&, int64_t,
                                cudaStream_t);
}  // namespace entropic::cuda
