// Shape: the extents of a contiguous row-major tensor.
#pragma once
#include <cstdint>
#include <initializer_list>
#include <ostream>
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
  // if/fail, not check(): check's arguments (str() here) are built before it is called, and
  // t(i, j) reaches this through cols() once per element.
  int64_t operator[](int i) const {
    if (i < -rank() || i >= rank()) [[unlikely]]
      fail("shape: axis ", i, " out of range for ", str());
    return dims_[size_t(i < 0 ? i + rank() : i)];
  }
  int64_t numel() const { return numel_; }
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
  // The element count is computed once, here, because tensors ask for it in loops. Checked
  // because a shape can come from a file (a checkpoint header): a product past int64 would
  // wrap, and a wrapped count could pass a size check it should fail.
  void validate() {
    for (auto d : dims_)
      if (d < 0) [[unlikely]]
        fail("shape: negative extent ", d);
    numel_ = 1;
    for (auto d : dims_)
      if (__builtin_mul_overflow(numel_, d, &numel_)) [[unlikely]]
        fail("shape: ", str(), " has more elements than an int64 can count; the dimensions are corrupt or far too large");
  }
  std::vector<int64_t> dims_;
  int64_t numel_ = 1;
};

// Error messages take a Shape itself, not shape.str(): check() formats its arguments only when
// the check fails, so a passing check builds no string.
inline std::ostream& operator<<(std::ostream& os, const Shape& s) { return os << s.str(); }

}  // namespace entropic
