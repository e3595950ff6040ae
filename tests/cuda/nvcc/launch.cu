// nvcc compile check: the header alone.
#include "entropic/cuda/launch.cuh"
