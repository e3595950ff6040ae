// Shape: the extents of a contiguous row-major tensor.
#pragma once
#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

#include "entropic/core/error.hpp"

namespace entropic {

class Shape {
 public:
  Shape() = default;
  Shape(std::initializer_list<int64_t> dims) : dims_(dims) { validate(); }
  explicit Shape(std::vector<int64_t> dims) : dims_(std::move(dims)) { validate(); }

  int rank() const { return int(dims_.size()); }
  int64_t operator[](int i) const {
    check(i >= -rank() && i < rank(), "shape: axis ", i, " out of range for ", str());
    return dims_[size_t(i < 0 ? i + rank() : i)];
  }
  // Checked because a shape can come from a file (a checkpoint header): a product past int64
  // would wrap, and a wrapped count could pass a size check it should fail.
  int64_t numel() const {
    int64_t n = 1;
    // if/fail rather than check(): check's arguments, str() among them, would be built on
    // every call, and tensors call this in loops.
    for (auto d : dims_)
      if (__builtin_mul_overflow(n, d, &n))
        fail("shape: ", str(), " has more elements than an int64 can count; the dimensions are corrupt or far too large");
    return n;
  }
  // The bytes of a tensor of this shape with `elem`-byte elements, checked like numel().
  int64_t bytes(int64_t elem) const {
    int64_t b = 0;
    if (__builtin_mul_overflow(numel(), elem, &b))
      fail("shape: ", str(), " of ", elem,
           "-byte elements is more bytes than an int64 can count; the dimensions are corrupt or far too large");
    return b;
  }
  const std::vector<int64_t>& dims() const { return dims_; }
  bool operator==(const Shape& o) const { return dims_ == o.dims_; }
  bool operator!=(const Shape& o) const { return dims_ != o.dims_; }

  std::string str() const {
    std::string s = "[";
    for (size_t i = 0; i < dims_.size(); ++i) s += (i ? ", " : "") + std::to_string(dims_[i]);
    return s + "]";
  }

 private:
  void validate() const {
    for (auto d : dims_) check(d >= 0, "shape: negative extent ", d);
  }
  std::vector<int64_t> dims_;
};

}  // namespace entropic
