// Activation layers (no parameters).
#pragma once
#include "entropic/autograd/functions.hpp"
#include "entropic/nn/module.hpp"

namespace entropic::nn {

template <class T = float>
struct ReLU : Module<T> {
  Var<T> forward(const Var<T>& x) override { return fn::relu(x); }
};

template <class T = float>
struct LeakyReLU : Module<T> {
  explicit LeakyReLU(double slope = 0.01) : slope(slope) {}
  Var<T> forward(const Var<T>& x) override { return fn::leaky_relu(x, slope); }
  double slope;
};

template <class T = float>
struct Tanh : Module<T> {
  Var<T> forward(const Var<T>& x) override { return fn::tanh(x); }
};

template <class T = float>
struct Sigmoid : Module<T> {
  Var<T> forward(const Var<T>& x) override { return fn::sigmoid(x); }
};

}  // namespace entropic::nn
