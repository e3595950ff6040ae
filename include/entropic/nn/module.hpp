// Module: the base of every layer; Sequential chains them.
#pragma once
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "entropic/autograd/var.hpp"

namespace entropic::nn {

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

  Var<T> forward(const Var<T>& x) override {
    Var<T> h = x;
    for (auto& l : layers_) h = l->forward(h);
    return h;
  }
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
};

}  // namespace entropic::nn
