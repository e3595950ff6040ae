// nvcc compile check of the whole backend: the registration and every op it dispatches to.
#include "entropic/cuda/backend.cuh"
