// Maxout entry point: [rows, units * pieces] -> [rows, units].
#pragma once
#include <vector>

#include "entropic/cpu/maxout.hpp"
#include "entropic/ops/common.hpp"

namespace entropic::ops {

template <class T>
struct MaxoutForward {
  Tensor<T> y;
  std::vector<int32_t> argmax;  // [rows, units]: the winning piece of each unit
};

template <class T>
MaxoutForward<T> maxout(const Tensor<T>& x, int64_t pieces) {
  require_matrix(x, "maxout", "input");
  check(pieces > 0, "maxout: pieces must be positive, got ", pieces);
  check(x.cols() % pieces == 0, "maxout: input has ", x.cols(), " columns, not a multiple of ",
        pieces, " pieces");
  const int64_t units = x.cols() / pieces;
  MaxoutForward<T> f{Tensor<T>({x.rows(), units}), std::vector<int32_t>(size_t(x.rows() * units))};
  cpu::maxout_forward(x.data(), f.y.data(), f.argmax.data(), x.rows(), units, pieces);
  return f;
}

template <class T>
Tensor<T> maxout_backward(const Tensor<T>& dy, const std::vector<int32_t>& argmax, int64_t pieces,
                          int64_t cols) {
  require_matrix(dy, "maxout_backward", "dy");
  check(int64_t(argmax.size()) == dy.numel() && dy.cols() * pieces == cols,
        "maxout_backward: dy has shape ", dy.shape().str(), ", which does not match the forward");
  Tensor<T> dx({dy.rows(), cols});
  cpu::maxout_backward(dy.data(), argmax.data(), dx.data(), dy.rows(), dy.cols(), pieces);
  return dx;
}

}  // namespace entropic::ops
