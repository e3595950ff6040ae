// nvcc compile check: every kernel of the header, instantiated for float and double.
#include "entropic/cuda/loss.cuh"

namespace entropic::cuda {
template void bce_with_logits_forward<float>(const float*, const float*, int64_t, double*, double*, cudaStream_t);
template void bce_with_logits_forward<double>(const double*, const double*, int64_t, double*, double*, cudaStream_t);
template void bce_with_logits_forward<float>(const float*, const float*, int64_t, float*, double*,
                                            cudaStream_t);  // the loss as a float element
template void bce_with_logits_backward<float>(const float*, const float*, float*, int64_t, double, cudaStream_t);
template void bce_with_logits_backward<double>(const double*, const double*, double*, int64_t, double, cudaStream_t);
template void bce_with_logits_backward<float>(const float*, const float*, float*, int64_t, const float*, cudaStream_t);
template void bce_with_logits_backward<double>(const double*, const double*, double*, int64_t, const double*,
                                               cudaStream_t);
}  // namespace entropic::cuda
