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

#include "entropic/core/backend.hpp"
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

// Host storage is 64-byte aligned so vector loads never straddle a cache line at a row start;
// device storage comes from the CUDA backend's caching allocator.
template <class T>
class Storage {
 public:
  Storage(int64_t n, Device device) : n_(n), device_(device) {
    if (n_ <= 0) return;
    const size_t bytes = ((size_t(n_) * sizeof(T) + 63) / 64) * 64;
    if (device_ == Device::cuda) {
      data_ = static_cast<T*>(cuda_runtime().allocate(bytes));
    } else {
      data_ = static_cast<T*>(std::aligned_alloc(64, bytes));
      // An Error, not std::bad_alloc: the user learns the size asked for (often a mistyped batch).
      if (!data_)
        fail("tensor: cannot allocate ", n_, " ", dtype_name<T>::value, " elements (", double(bytes) / 1e9,
             " GB) on the cpu: out of memory; use a smaller batch or size");
    }
  }
  ~Storage() {
    if (device_ == Device::cuda && data_)
      cuda_runtime_slot()->deallocate(data_);
    else
      std::free(data_);
  }
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;
  T* data() { return data_; }
  int64_t size() const { return n_; }

 private:
  T* data_ = nullptr;
  int64_t n_;
  Device device_;
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
    if (device_ == Device::cuda) require_cuda_backend("tensor");
    storage_ = std::make_shared<Storage<T>>(shape_.numel(), device_);
    view_changed();
  }

  static Tensor empty(Shape s, Device d = Device::cpu) { return Tensor(std::move(s), d); }
  static Tensor zeros(Shape s, Device d = Device::cpu) { return full(std::move(s), T(0), d); }
  static Tensor ones(Shape s, Device d = Device::cpu) { return full(std::move(s), T(1), d); }
  static Tensor full(Shape s, T v, Device d = Device::cpu) {
    Tensor t(std::move(s), d);
    if (d == Device::cuda)
      cuda_runtime().fill(t.data(), t.numel(), double(v), int(sizeof(T)));
    else
      std::fill(t.data(), t.data() + t.numel(), v);
    return t;
  }
  // A rank-0 tensor holding v (a loss, a step size kept on the device).
  static Tensor scalar(T v, Device d = Device::cpu) { return full({}, v, d); }
  static Tensor from(Shape s, const std::vector<T>& values, Device d = Device::cpu) {
    check(int64_t(values.size()) == s.numel(), "tensor: ", values.size(),
          " values given for shape ", s, " (", s.numel(), " elements)");
    Tensor t(std::move(s));
    std::copy(values.begin(), values.end(), t.data());
    return t.to(d);
  }
  // Random tensors are drawn on the host from the library's Rng and then moved, so a seed gives
  // the same values on every device.
  static Tensor randn(Shape s, Rng& rng, double mean = 0.0, double std = 1.0, Device d = Device::cpu) {
    Tensor t(std::move(s));
    rng.fill_normal(t.data(), t.numel(), mean, std);
    return t.to(d);
  }
  static Tensor randn(Shape s, Rng& rng, Device d) { return randn(std::move(s), rng, 0.0, 1.0, d); }
  static Tensor rand(Shape s, Rng& rng, double lo = 0.0, double hi = 1.0, Device d = Device::cpu) {
    Tensor t(std::move(s));
    rng.fill_uniform(t.data(), t.numel(), lo, hi);
    return t.to(d);
  }
  static Tensor rand(Shape s, Rng& rng, Device d) { return rand(std::move(s), rng, 0.0, 1.0, d); }

  bool defined() const { return storage_ != nullptr; }
  const Shape& shape() const { return shape_; }
  int rank() const { return shape_.rank(); }
  int64_t size(int i) const { return shape_[i]; }
  int64_t numel() const { return shape_.numel(); }
  Device device() const { return device_; }
  // Rows and columns of a tensor seen as a matrix: the last axis is the column axis.
  int64_t rows() const { return rank() == 0 ? 1 : numel() / std::max<int64_t>(1, cols()); }
  int64_t cols() const { return cols_; }

  // Raw storage: a device pointer for a cuda tensor (read it on the host with vec(), item() or
  // to(Device::cpu)). operator[] and begin()/end() are for cpu tensors only.
  T* data() { return data_; }
  const T* data() const { return data_; }
  T* begin() { return data(); }
  T* end() { return data() + numel(); }
  const T* begin() const { return data(); }
  const T* end() const { return data() + numel(); }

  T& operator[](int64_t i) { return data()[i]; }
  const T& operator[](int64_t i) const { return data()[i]; }
  T& operator()(int64_t r, int64_t c) { return data()[r * cols() + c]; }
  const T& operator()(int64_t r, int64_t c) const { return data()[r * cols() + c]; }
  // Copies from the device when the tensor lives there.
  T item() const {
    check(numel() == 1, "tensor: item() needs one element, shape is ", shape_);
    if (device_ == Device::cpu) return data()[0];
    T v;
    cuda_runtime().copy(&v, data(), sizeof(T), CopyKind::device_to_host);
    return v;
  }

  Tensor reshape(Shape s) const {
    check(s.numel() == numel(), "tensor: cannot reshape ", shape_, " (", numel(),
          " elements) to ", s, " (", s.numel(), " elements)");
    Tensor t = *this;
    t.shape_ = std::move(s);
    t.view_changed();
    return t;
  }
  // Rows [begin, end) of axis 0, sharing storage.
  Tensor slice_rows(int64_t begin, int64_t end) const {
    check(rank() >= 1 && 0 <= begin && begin <= end && end <= shape_[0], "tensor: rows [",
          begin, ", ", end, ") out of range for shape ", shape_);
    std::vector<int64_t> d = shape_.dims();
    const int64_t row = d[0] ? numel() / d[0] : 0;
    d[0] = end - begin;
    Tensor t = *this;
    t.shape_ = Shape(d);
    t.offset_ = offset_ + begin * row;
    t.view_changed();
    return t;
  }
  Tensor clone() const {
    Tensor t(shape_, device_);
    if (numel() == 0) return t;
    if (device_ == Device::cuda)
      cuda_runtime().copy(t.data(), data(), bytes(), CopyKind::device_to_device);
    else
      std::memcpy(t.data(), data(), bytes());
    return t;
  }
  // The same values on `device`: *this when already there (shared storage), else a copy.
  Tensor to(Device device) const {
    if (device == device_) return *this;
    Tensor t(shape_, device);
    if (numel())
      cuda_runtime().copy(t.data(), data(), bytes(),
                          device == Device::cuda ? CopyKind::host_to_device : CopyKind::device_to_host);
    return t;
  }
  // Another dtype on the same device (converted on the host).
  template <class U>
  Tensor<U> to() const {
    const Tensor host = to(Device::cpu);
    Tensor<U> t(shape_);
    for (int64_t i = 0; i < numel(); ++i) t[i] = U(host.data()[i]);
    return t.to(device_);
  }
  std::vector<T> vec() const {
    const Tensor host = to(Device::cpu);
    return std::vector<T>(host.begin(), host.end());
  }
  // Overwrites this tensor's elements with src's (same number of elements, any devices).
  void copy_from(const Tensor& src) {
    check(src.numel() == numel(), "tensor: copy_from needs ", numel(), " elements, got ",
          src.numel(), " (shape ", src.shape(), " into ", shape_, ")");
    if (numel() == 0) return;
    if (device_ == Device::cpu && src.device_ == Device::cpu) {
      std::memcpy(data(), src.data(), bytes());
      return;
    }
    const CopyKind k = device_ == Device::cpu   ? CopyKind::device_to_host
                       : src.device_ == Device::cpu ? CopyKind::host_to_device
                                                    : CopyKind::device_to_device;
    cuda_runtime().copy(data(), src.data(), bytes(), k);
  }
  size_t bytes() const { return size_t(numel()) * sizeof(T); }
  bool shares_storage(const Tensor& o) const { return storage_ == o.storage_; }

 private:
  // The element pointer and the row length are kept beside the storage and the shape they come
  // from, not derived on each access: t(i, j) then reads two members of the tensor, loads the
  // compiler can hoist out of a loop and vectorise (through storage_->data() and the shape's
  // vector it did not, and a fill through t(i, j) ran at 3.7x the pointer's time).
  void view_changed() {
    data_ = storage_ ? storage_->data() + offset_ : nullptr;
    cols_ = rank() == 0 ? 1 : shape_.dims().back();
  }

  std::shared_ptr<Storage<T>> storage_;
  int64_t offset_ = 0;
  Shape shape_;
  Device device_ = Device::cpu;
  T* data_ = nullptr;
  int64_t cols_ = 1;
};

using TensorF = Tensor<float>;
using TensorD = Tensor<double>;

}  // namespace entropic
