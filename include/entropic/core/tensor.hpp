// Tensor<T>: contiguous row-major storage with a shape and a device.
//
// Copies share storage (like a shared_ptr); clone() copies the data. Views that stay
// contiguous (reshape, a range of rows) share storage too, so they cost nothing.
#pragma once
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>
#include <type_traits>
#include <vector>

#include "entropic/core/device.hpp"
#include "entropic/core/error.hpp"
#include "entropic/core/rng.hpp"
#include "entropic/core/shape.hpp"

namespace entropic {

template <class T>
struct dtype_name;
template <>
struct dtype_name<float> {
  static constexpr const char* value = "float32";
};
template <>
struct dtype_name<double> {
  static constexpr const char* value = "float64";
};

// 64-byte aligned so vector loads never straddle a cache line at a row start.
template <class T>
class Storage {
 public:
  explicit Storage(int64_t n) : n_(n) {
    if (n_ > 0) {
      const size_t bytes = ((size_t(n_) * sizeof(T) + 63) / 64) * 64;
      data_ = static_cast<T*>(std::aligned_alloc(64, bytes));
      if (!data_) throw std::bad_alloc();
    }
  }
  ~Storage() { std::free(data_); }
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;
  T* data() { return data_; }
  int64_t size() const { return n_; }

 private:
  T* data_ = nullptr;
  int64_t n_;
};

template <class T>
class Tensor {
  static_assert(std::is_same_v<T, float> || std::is_same_v<T, double>,
                "Tensor<T>: T must be float or double");

 public:
  using value_type = T;

  Tensor() = default;
  explicit Tensor(Shape shape, Device device = Device::cpu)
      : shape_(std::move(shape)), device_(device) {
    require_device_available(device_, "tensor");
    storage_ = std::make_shared<Storage<T>>(shape_.numel());
  }

  static Tensor empty(Shape s, Device d = Device::cpu) { return Tensor(std::move(s), d); }
  static Tensor zeros(Shape s, Device d = Device::cpu) { return full(std::move(s), T(0), d); }
  static Tensor ones(Shape s, Device d = Device::cpu) { return full(std::move(s), T(1), d); }
  static Tensor full(Shape s, T v, Device d = Device::cpu) {
    Tensor t(std::move(s), d);
    std::fill(t.data(), t.data() + t.numel(), v);
    return t;
  }
  static Tensor from(Shape s, const std::vector<T>& values) {
    check(int64_t(values.size()) == s.numel(), "tensor: ", values.size(),
          " values given for shape ", s.str(), " (", s.numel(), " elements)");
    Tensor t(std::move(s));
    std::copy(values.begin(), values.end(), t.data());
    return t;
  }
  static Tensor randn(Shape s, Rng& rng, double mean = 0.0, double std = 1.0) {
    Tensor t(std::move(s));
    rng.fill_normal(t.data(), t.numel(), mean, std);
    return t;
  }
  static Tensor rand(Shape s, Rng& rng, double lo = 0.0, double hi = 1.0) {
    Tensor t(std::move(s));
    rng.fill_uniform(t.data(), t.numel(), lo, hi);
    return t;
  }

  bool defined() const { return storage_ != nullptr; }
  const Shape& shape() const { return shape_; }
  int rank() const { return shape_.rank(); }
  int64_t size(int i) const { return shape_[i]; }
  int64_t numel() const { return shape_.numel(); }
  Device device() const { return device_; }
  // Rows and columns of a tensor seen as a matrix: the last axis is the column axis.
  int64_t rows() const { return rank() == 0 ? 1 : numel() / std::max<int64_t>(1, cols()); }
  int64_t cols() const { return rank() == 0 ? 1 : shape_[-1]; }

  T* data() { return storage_ ? storage_->data() + offset_ : nullptr; }
  const T* data() const { return storage_ ? storage_->data() + offset_ : nullptr; }
  T* begin() { return data(); }
  T* end() { return data() + numel(); }
  const T* begin() const { return data(); }
  const T* end() const { return data() + numel(); }

  T& operator[](int64_t i) { return data()[i]; }
  const T& operator[](int64_t i) const { return data()[i]; }
  T& operator()(int64_t r, int64_t c) { return data()[r * cols() + c]; }
  const T& operator()(int64_t r, int64_t c) const { return data()[r * cols() + c]; }
  T item() const {
    check(numel() == 1, "tensor: item() needs one element, shape is ", shape_.str());
    return data()[0];
  }

  Tensor reshape(Shape s) const {
    check(s.numel() == numel(), "tensor: cannot reshape ", shape_.str(), " (", numel(),
          " elements) to ", s.str(), " (", s.numel(), " elements)");
    Tensor t = *this;
    t.shape_ = std::move(s);
    return t;
  }
  // Rows [begin, end) of axis 0, sharing storage.
  Tensor slice_rows(int64_t begin, int64_t end) const {
    check(rank() >= 1 && 0 <= begin && begin <= end && end <= shape_[0], "tensor: rows [",
          begin, ", ", end, ") out of range for shape ", shape_.str());
    std::vector<int64_t> d = shape_.dims();
    const int64_t row = d[0] ? numel() / d[0] : 0;
    d[0] = end - begin;
    Tensor t = *this;
    t.shape_ = Shape(d);
    t.offset_ = offset_ + begin * row;
    return t;
  }
  Tensor clone() const {
    Tensor t(shape_, device_);
    if (numel()) std::memcpy(t.data(), data(), size_t(numel()) * sizeof(T));
    return t;
  }
  template <class U>
  Tensor<U> to() const {
    Tensor<U> t(shape_, device_);
    for (int64_t i = 0; i < numel(); ++i) t[i] = U(data()[i]);
    return t;
  }
  std::vector<T> vec() const { return std::vector<T>(begin(), end()); }
  bool shares_storage(const Tensor& o) const { return storage_ == o.storage_; }

 private:
  std::shared_ptr<Storage<T>> storage_;
  int64_t offset_ = 0;
  Shape shape_;
  Device device_ = Device::cpu;
};

using TensorF = Tensor<float>;
using TensorD = Tensor<double>;

}  // namespace entropic
