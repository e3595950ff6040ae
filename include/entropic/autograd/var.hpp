// Reverse-mode autodiff over coarse nodes.
//
// A Var holds a value, its gradient and, when it was computed by an op that records, the
// Node that made it. A Node keeps exactly what its hand-written backward needs (saved
// tensors, statistics) and, given d(loss)/d(output), adds into the gradients of its inputs.
//
// Gradient rules, the same for every node:
//   - input gradients ACCUMULATE (+=): a value used twice receives both contributions, and a
//     parameter's gradient keeps adding up across backward() calls until zero_grad().
//   - backward() frees the graph it ran through (saved tensors go with it), so memory does
//     not grow across training steps; call it once per forward.
#pragma once
#include <functional>
#include <memory>
#include <string>
#include <unordered_set>
#include <utility>
#include <vector>

#include "entropic/core/error.hpp"
#include "entropic/core/tensor.hpp"
#include "entropic/ops/elementwise.hpp"

namespace entropic {

template <class T>
struct VarState;

template <class T>
struct Node {
  std::string name;
  std::vector<std::shared_ptr<VarState<T>>> inputs;
  // Receives d(loss)/d(output); adds into the inputs' gradients via accumulate_grad.
  std::function<void(const Tensor<T>& dout)> backward;
};

template <class T>
struct VarState {
  Tensor<T> value;
  Tensor<T> grad;
  bool requires_grad = false;
  std::shared_ptr<Node<T>> creator;
};

// While a NoGrad object lives (per thread), ops record nothing: for evaluation and for the
// discriminator's view of a generated batch that must not reach the generator.
class NoGrad {
 public:
  NoGrad() : prev_(enabled()) { enabled() = false; }
  ~NoGrad() { enabled() = prev_; }
  NoGrad(const NoGrad&) = delete;
  NoGrad& operator=(const NoGrad&) = delete;
  static bool& enabled() {
    thread_local bool on = true;
    return on;
  }

 private:
  bool prev_;
};

template <class T>
class Var {
 public:
  Var() = default;
  explicit Var(Tensor<T> value, bool requires_grad = false)
      : s_(std::make_shared<VarState<T>>()) {
    s_->value = std::move(value);
    s_->requires_grad = requires_grad;
  }

  bool defined() const { return s_ != nullptr; }
  const Tensor<T>& value() const { return s_->value; }
  Tensor<T>& value() { return s_->value; }
  const Tensor<T>& grad() const { return s_->grad; }
  Tensor<T>& grad() { return s_->grad; }
  const Shape& shape() const { return s_->value.shape(); }
  bool requires_grad() const { return s_->requires_grad; }
  T item() const { return s_->value.item(); }
  const std::shared_ptr<VarState<T>>& state() const { return s_; }

  // The same value, cut off from the graph.
  Var detach() const { return Var(s_->value, false); }
  void zero_grad() { s_->grad = Tensor<T>(); }

  // Back-propagates from this scalar: d(this)/d(this) = seed.
  void backward(T seed = T(1)) const {
    check(s_->value.numel() == 1, "backward: needs a scalar output, got shape ",
          s_->value.shape(), "; reduce it first (sum or mean)");
    check(s_->requires_grad, "backward: this value does not depend on anything that requires "
                             "grad (was it computed under NoGrad, or from detached inputs?)");
    // Owning pointers: freeing a node below releases intermediates that only it referenced.
    std::vector<std::shared_ptr<VarState<T>>> order;
    std::unordered_set<VarState<T>*> seen;
    // Iterative post-order DFS: deep networks must not overflow the stack.
    std::vector<std::pair<std::shared_ptr<VarState<T>>, size_t>> stack{{s_, 0}};
    seen.insert(s_.get());
    while (!stack.empty()) {
      auto& [v, next] = stack.back();
      if (v->creator && next < v->creator->inputs.size()) {
        const std::shared_ptr<VarState<T>>& in = v->creator->inputs[next++];
        if (in->requires_grad && seen.insert(in.get()).second) stack.push_back({in, 0});
      } else {
        order.push_back(std::move(v));
        stack.pop_back();
      }
    }
    accumulate_grad(*s_, Tensor<T>::full(s_->value.shape(), seed, s_->value.device()));
    for (auto it = order.rbegin(); it != order.rend(); ++it) {
      VarState<T>* v = it->get();
      if (!v->creator) continue;
      if (v->grad.defined()) v->creator->backward(v->grad);
      v->creator.reset();
      v->grad = Tensor<T>();  // intermediate gradients are not kept; leaves keep theirs
    }
  }

  // Adds g into v.grad; the first contribution is adopted without a copy.
  static void accumulate_grad(VarState<T>& v, Tensor<T> g) {
    if (!v.requires_grad) return;
    if (!v.grad.defined()) {
      v.grad = std::move(g);
    } else {
      ops::add_inplace(v.grad, g);
    }
  }

 private:
  std::shared_ptr<VarState<T>> s_;
};

using VarF = Var<float>;
using VarD = Var<double>;

// Records `backward` as the creator of `out` when any input requires grad and recording is on.
template <class T>
Var<T> make_result(Tensor<T> out, std::string name, std::vector<Var<T>> inputs,
                   std::function<void(const Tensor<T>&)> backward) {
  bool needs = false;
  if (NoGrad::enabled())
    for (auto& i : inputs) needs = needs || i.requires_grad();
  Var<T> r(std::move(out), needs);
  if (needs) {
    auto node = std::make_shared<Node<T>>();
    node->name = std::move(name);
    for (auto& i : inputs) node->inputs.push_back(i.state());
    node->backward = std::move(backward);
    r.state()->creator = std::move(node);
  }
  return r;
}

}  // namespace entropic
