// Module: the base of every layer; Sequential chains them.
#pragma once
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "entropic/autograd/var.hpp"
#include "entropic/core/act.hpp"

namespace entropic::nn {

// An elementwise activation a layer before it may apply in its own output pass.
struct FusedAct {
  Act act = Act::none;
  double slope = 0.0;  // leaky_relu only
};

template <class T = float>
class Module {
 public:
  virtual ~Module() = default;
  virtual Var<T> forward(const Var<T>& x) = 0;
  Var<T> operator()(const Var<T>& x) { return forward(x); }

  // Trainable tensors with stable names ("0.weight", "3.running_mean" ...), the names a
  // checkpoint stores them under.
  virtual void collect_parameters(const std::string& prefix,
                                  std::vector<std::pair<std::string, Var<T>>>& out) {}
  // Non-trainable state saved in checkpoints (BatchNorm's running statistics).
  virtual void collect_buffers(const std::string& prefix,
                               std::vector<std::pair<std::string, Tensor<T>*>>& out) {}
  virtual void set_training(bool on) { training_ = on; }
  bool training() const { return training_; }

  // Fusion, as Sequential uses it: an activation layer names itself (fused_activation), and a
  // layer that can apply an activation in its own output pass (Linear) says so
  // (fuses_activation) and computes forward_fused(x, a) = a(forward(x)) as one op, with the same
  // bits on the cpu. A subclass that changes forward() must override these too.
  virtual std::optional<FusedAct> fused_activation() const { return std::nullopt; }
  virtual bool fuses_activation() const { return false; }
  virtual Var<T> forward_fused(const Var<T>&, FusedAct) {
    fail("forward_fused: this layer does not fuse an activation");
  }
  void train() { set_training(true); }
  void eval() { set_training(false); }

  std::vector<std::pair<std::string, Var<T>>> named_parameters() {
    std::vector<std::pair<std::string, Var<T>>> out;
    collect_parameters("", out);
    return out;
  }
  std::vector<Var<T>> parameters() {
    std::vector<Var<T>> out;
    for (auto& [name, v] : named_parameters()) out.push_back(v);
    return out;
  }
  std::vector<std::pair<std::string, Tensor<T>*>> named_buffers() {
    std::vector<std::pair<std::string, Tensor<T>*>> out;
    collect_buffers("", out);
    return out;
  }
  void zero_grad() {
    for (auto& p : parameters()) p.zero_grad();
  }
  // Moves every parameter and buffer to `device` in place (Vars keep their identity, so make
  // the optimizer after this call). Gradients are dropped.
  void to(Device device) {
    for (auto& [name, p] : named_parameters()) {
      p.value() = p.value().to(device);
      p.zero_grad();
    }
    for (auto& [name, b] : named_buffers()) *b = b->to(device);
  }
  Device device() {
    auto ps = named_parameters();
    return ps.empty() ? Device::cpu : ps.front().second.value().device();
  }
  int64_t num_parameters() {
    int64_t n = 0;
    for (auto& p : parameters()) n += p.value().numel();
    return n;
  }

 protected:
  bool training_ = true;
};

template <class T = float>
class Sequential : public Module<T> {
 public:
  Sequential() = default;
  template <class... M>
  explicit Sequential(std::shared_ptr<M>... layers) {
    (layers_.push_back(std::move(layers)), ...);
  }
  Sequential& add(std::shared_ptr<Module<T>> layer) {
    layer->set_training(this->training_);
    layers_.push_back(std::move(layer));
    return *this;
  }
  template <class M, class... A>
  Sequential& emplace(A&&... args) {
    return add(std::make_shared<M>(std::forward<A>(args)...));
  }

  // A layer that fuses an activation (Linear) followed at once by an activation layer (ReLU,
  // LeakyReLU with slope >= 0, Tanh, Sigmoid) runs as one op, act(x W^T + b): one node, no
  // pre-activation tensor kept for the backward, and on cuda the activation inside the GEMM
  // kernel. The values and gradients are the unfused ones, to the bit on the cpu; the layers,
  // their indices and the checkpoint names stay as they are. fuse_activations(false) runs every
  // layer on its own.
  Var<T> forward(const Var<T>& x) override {
    Var<T> h = x;
    for (size_t i = 0; i < layers_.size(); ++i) {
      if (fuse_ && i + 1 < layers_.size() && layers_[i]->fuses_activation()) {
        if (const std::optional<FusedAct> a = layers_[i + 1]->fused_activation()) {
          h = layers_[i]->forward_fused(h, *a);
          ++i;
          continue;
        }
      }
      h = layers_[i]->forward(h);
    }
    return h;
  }
  Sequential& fuse_activations(bool on) {
    fuse_ = on;
    return *this;
  }
  bool fuses_activations() const { return fuse_; }
  void collect_parameters(const std::string& prefix,
                          std::vector<std::pair<std::string, Var<T>>>& out) override {
    for (size_t i = 0; i < layers_.size(); ++i)
      layers_[i]->collect_parameters(prefix + std::to_string(i) + ".", out);
  }
  void collect_buffers(const std::string& prefix,
                       std::vector<std::pair<std::string, Tensor<T>*>>& out) override {
    for (size_t i = 0; i < layers_.size(); ++i)
      layers_[i]->collect_buffers(prefix + std::to_string(i) + ".", out);
  }
  void set_training(bool on) override {
    this->training_ = on;
    for (auto& l : layers_) l->set_training(on);
  }
  size_t size() const { return layers_.size(); }
  Module<T>& operator[](size_t i) { return *layers_.at(i); }

 private:
  std::vector<std::shared_ptr<Module<T>>> layers_;
  bool fuse_ = true;
};

}  // namespace entropic::nn
