// Linear: y = x W^T + b, W of shape [out, in] (PyTorch's layout, so checkpoints map 1:1).
#pragma once
#include <cmath>

#include "entropic/autograd/functions.hpp"
#include "entropic/nn/module.hpp"

namespace entropic::nn {

struct LinearInit {
  enum Kind { pytorch_default, normal } kind = pytorch_default;
  double std = 0.02;  // for normal: weights N(0, std), biases 0
  static LinearInit Normal(double s) { return {normal, s}; }
};

template <class T = float>
class Linear : public Module<T> {
 public:
  // PyTorch's default draws W and b from U(-1/sqrt(in), 1/sqrt(in)) (kaiming_uniform with
  // a = sqrt(5) reduces to this bound).
  Linear(int64_t in, int64_t out, Rng& rng, LinearInit init = {}, bool bias = true)
      : in_(in), out_(out) {
    check(in > 0 && out > 0, "linear: in_features and out_features must be positive, got ", in,
          " and ", out);
    Tensor<T> w({out, in});
    if (init.kind == LinearInit::normal) {
      ops::require_positive(init.std, "linear", "init std");
      rng.fill_normal(w.data(), w.numel(), 0.0, init.std);
    } else {
      const double bound = 1.0 / std::sqrt(double(in));
      rng.fill_uniform(w.data(), w.numel(), -bound, bound);
    }
    weight = Var<T>(std::move(w), true);
    if (bias) {
      Tensor<T> b = Tensor<T>::zeros({out});
      if (init.kind == LinearInit::pytorch_default) {
        const double bound = 1.0 / std::sqrt(double(in));
        rng.fill_uniform(b.data(), b.numel(), -bound, bound);
      }
      this->bias = Var<T>(std::move(b), true);
    }
  }

  Var<T> forward(const Var<T>& x) override { return fn::linear(x, weight, bias); }
  bool fuses_activation() const override { return true; }
  Var<T> forward_fused(const Var<T>& x, FusedAct a) override { return fn::linear(x, weight, bias, a.act, a.slope); }
  void collect_parameters(const std::string& prefix,
                          std::vector<std::pair<std::string, Var<T>>>& out) override {
    out.push_back({prefix + "weight", weight});
    if (bias.defined()) out.push_back({prefix + "bias", bias});
  }
  int64_t in_features() const { return in_; }
  int64_t out_features() const { return out_; }

  Var<T> weight, bias;

 private:
  int64_t in_, out_;
};

}  // namespace entropic::nn
