// Maxout entry point: [rows, units * pieces] -> [rows, units].
#pragma once
#include <vector>

#include "entropic/cpu/maxout.hpp"
#include "entropic/ops/common.hpp"

namespace entropic::ops {

template <class T>
struct MaxoutForward {
  Tensor<T> y;
  // [rows, units]: the winning piece of each unit, on cpu. The cuda kernels recompute the
  // winner from x in the backward instead, and leave this empty.
  std::vector<int32_t> argmax;
};

template <class T>
MaxoutForward<T> maxout(const Tensor<T>& x, int64_t pieces) {
  require_matrix(x, "maxout", "input");
  check(pieces > 0, "maxout: pieces must be positive, got ", pieces);
  check(x.cols() % pieces == 0, "maxout: input has ", x.cols(), " columns, not a multiple of ",
        pieces, " pieces");
  const int64_t units = x.cols() / pieces;
  if (x.device() == Device::cuda) {
    MaxoutForward<T> f{Tensor<T>({x.rows(), units}, x.device()), {}};
    cuda_kernels<T>().maxout_forward(x.data(), f.y.data(), x.rows(), units, pieces);
    return f;
  }
  MaxoutForward<T> f{Tensor<T>({x.rows(), units}), std::vector<int32_t>(size_t(x.rows() * units))};
  cpu::maxout_forward(x.data(), f.y.data(), f.argmax.data(), x.rows(), units, pieces);
  return f;
}

// dx [rows, units * pieces] for dy [rows, units], given the forward's input x and result f.
template <class T>
Tensor<T> maxout_backward(const Tensor<T>& dy, const Tensor<T>& x, const MaxoutForward<T>& f,
                          int64_t pieces) {
  require_matrix(dy, "maxout_backward", "dy");
  require_device(x, dy.device(), "maxout_backward", "input");
  check(x.rows() == dy.rows() && dy.cols() * pieces == x.cols(), "maxout_backward: dy has shape ",
        dy.shape(), ", which does not match the forward's input ", x.shape(), " with ",
        pieces, " pieces");
  Tensor<T> dx(x.shape(), x.device());
  if (x.device() == Device::cuda) {
    cuda_kernels<T>().maxout_backward(dy.data(), x.data(), dx.data(), dy.rows(), dy.cols(), pieces);
    return dx;
  }
  check(int64_t(f.argmax.size()) == dy.numel(), "maxout_backward: the forward result holds ",
        f.argmax.size(), " winners, dy has ", dy.numel(), " elements");
  cpu::maxout_backward(dy.data(), f.argmax.data(), dx.data(), dy.rows(), dy.cols(), pieces);
  return dx;
}

}  // namespace entropic::ops
