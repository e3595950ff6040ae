// Linked into the examples and benchmarks when CMake finds nvcc (ENTROPIC_CUDA): this one
// translation unit is all a program needs for Device::cuda.
#include "entropic/cuda/backend.cuh"
