// nvcc compile check: every kernel of the header, instantiated for float and double.
#include "entropic/cuda/rng.cuh"

namespace entropic::cuda {
template void fill_normal<float>(Rng&, float*, int64_t, double, double, cudaStream_t);
template void fill_normal<double>(Rng&, double*, int64_t, double, double, cudaStream_t);
template void fill_uniform<float>(Rng&, float*, int64_t, double, double, cudaStream_t);
template void fill_uniform<double>(Rng&, double*, int64_t, double, double, cudaStream_t);
}  // namespace entropic::cuda
