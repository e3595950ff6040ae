// The elementwise activations, named once for the whole library: the op layer
// (ops/activations.hpp), the backend interface (ops/backend.hpp) and the CUDA kernels
// (cuda/activations.cuh, and the linear kernel's fused epilogue) all take this enum, so no
// layer translates one spelling into another. It lives in core because the .cuh kernels,
// which nvcc compiles without the op layer, need it too.
#pragma once

namespace entropic {

// none is the identity: the linear kernel's epilogue without an activation.
enum class Act : int { none, relu, leaky_relu, tanh, sigmoid };

inline const char* act_name(Act a) {
  switch (a) {
    case Act::none: return "identity";
    case Act::relu: return "relu";
    case Act::leaky_relu: return "leaky_relu";
    case Act::tanh: return "tanh";
    case Act::sigmoid: return "sigmoid";
  }
  return "?";
}

}  // namespace entropic
