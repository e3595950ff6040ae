// Activation layers (no parameters). Each names itself to Sequential, which fuses it into a
// Linear right before it (nn/module.hpp).
#pragma once
#include "entropic/autograd/functions.hpp"
#include "entropic/nn/module.hpp"

namespace entropic::nn {

template <class T = float>
struct ReLU : Module<T> {
  Var<T> forward(const Var<T>& x) override { return fn::relu(x); }
  std::optional<FusedAct> fused_activation() const override { return FusedAct{Act::relu}; }
};

template <class T = float>
struct LeakyReLU : Module<T> {
  explicit LeakyReLU(double slope = 0.01) : slope(slope) {}
  Var<T> forward(const Var<T>& x) override { return fn::leaky_relu(x, slope); }
  // A negative slope stays unfused: the fused backward reads the kink's side from sign(y).
  std::optional<FusedAct> fused_activation() const override {
    if (!(slope >= 0)) return std::nullopt;
    return FusedAct{Act::leaky_relu, slope};
  }
  double slope;
};

template <class T = float>
struct Tanh : Module<T> {
  Var<T> forward(const Var<T>& x) override { return fn::tanh(x); }
  std::optional<FusedAct> fused_activation() const override { return FusedAct{Act::tanh}; }
};

template <class T = float>
struct Sigmoid : Module<T> {
  Var<T> forward(const Var<T>& x) override { return fn::sigmoid(x); }
  std::optional<FusedAct> fused_activation() const override { return FusedAct{Act::sigmoid}; }
};

}  // namespace entropic::nn
