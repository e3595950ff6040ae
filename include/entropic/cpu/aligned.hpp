// 64-byte aligned scratch for the CPU kernels (a cache line, and an AVX-512 vector): the
// packed operands of the GEMM and the KDE tiles. Owns its memory; moves, never copies.
#pragma once
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <new>
#include <utility>

namespace entropic::cpu {

template <class T>
class AlignedBuffer {
 public:
  AlignedBuffer() = default;
  // n elements, rounded up to whole cache lines; uninitialised.
  explicit AlignedBuffer(int64_t n) {
    const size_t bytes = std::max<size_t>(64, ((size_t(n) * sizeof(T) + 63) / 64) * 64);
    p_ = static_cast<T*>(std::aligned_alloc(64, bytes));
    if (!p_) throw std::bad_alloc();
  }
  ~AlignedBuffer() { std::free(p_); }
  AlignedBuffer(AlignedBuffer&& o) noexcept : p_(std::exchange(o.p_, nullptr)) {}
  AlignedBuffer& operator=(AlignedBuffer&& o) noexcept {
    std::swap(p_, o.p_);
    return *this;
  }
  AlignedBuffer(const AlignedBuffer&) = delete;
  AlignedBuffer& operator=(const AlignedBuffer&) = delete;
  T* get() const { return p_; }
  T& operator[](int64_t i) const { return p_[i]; }

 private:
  T* p_ = nullptr;
};

}  // namespace entropic::cpu
