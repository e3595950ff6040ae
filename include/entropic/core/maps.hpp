// The elementwise maps and products that losses are written with (fn::exp, fn::log, ..., a * b,
// a / b), named once for the op layer (ops/elementwise.hpp), the backend interface
// (ops/backend.hpp) and the CUDA kernels (cuda/elementwise.cuh), as core/act.hpp names the
// activations: in core because nvcc compiles the .cuh kernels without the op layer.
#pragma once

namespace entropic {

// Maps with two parameters p0, p1 (unused by most):
//   exp: e^x   log: ln x   square: x^2   clamp: min(max(x, p0), p1)   affine: p0 x + p1
// log follows IEEE (x = 0 gives -inf, x < 0 NaN), as std::log and torch.log do; the loss that
// takes a log is what knows whether its argument can reach 0.
enum class Map : int { exp, log, square, clamp, affine };

inline const char* map_name(Map m) {
  switch (m) {
    case Map::exp: return "exp";
    case Map::log: return "log";
    case Map::square: return "square";
    case Map::clamp: return "clamp";
    case Map::affine: return "affine";
  }
  return "?";
}

// out = alpha * (a * b) or alpha * (a / b), elementwise.
enum class Binary : int { mul, div };

}  // namespace entropic
