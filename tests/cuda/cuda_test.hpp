// What the CUDA kernel cases (cases/*.hpp) share, so that each case compiles unchanged into
// the cuda-emu programs (g++ + cuda_cpu_emu.hpp, host memory) and the gpu program (nvcc,
// device memory): buffers, the stream, and the shapes to run.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "entropic/cuda/launch.cuh"
#include "support.hpp"

namespace entropic::test {

#if defined(ENTROPIC_CUDA_EMU)
inline constexpr bool kEmulated = true;
#else
inline constexpr bool kEmulated = false;
#endif
#if defined(__SANITIZE_THREAD__)
inline constexpr bool kTsan = true;  // ~25x slower: the cases run fewer shapes
#else
inline constexpr bool kTsan = false;
#endif

inline const cudaStream_t kStream = nullptr;

// n elements in device memory (host memory under the shim), filled from or copied to host.
template <class T>
class DeviceBuffer {
 public:
  explicit DeviceBuffer(const std::vector<T>& h) : n_(h.size()) {
#if defined(ENTROPIC_CUDA_EMU)
    v_ = h;
#else
    ENTROPIC_CUDA_CHECK(cudaMalloc(&p_, sizeof(T) * (n_ ? n_ : 1)));
    ENTROPIC_CUDA_CHECK(cudaMemcpy(p_, h.data(), sizeof(T) * n_, cudaMemcpyHostToDevice));
#endif
  }
  explicit DeviceBuffer(size_t n, T fill = T(0)) : DeviceBuffer(std::vector<T>(n, fill)) {}
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
  ~DeviceBuffer() {
#if !defined(ENTROPIC_CUDA_EMU)
    cudaFree(p_);  // a destructor must not throw
#endif
  }
#if defined(ENTROPIC_CUDA_EMU)
  T* get() { return v_.data(); }
#else
  T* get() { return p_; }
#endif
  // Waits for the device, then copies back.
  std::vector<T> host() const {
#if defined(ENTROPIC_CUDA_EMU)
    return v_;
#else
    std::vector<T> h(n_);
    ENTROPIC_CUDA_CHECK(cudaDeviceSynchronize());
    ENTROPIC_CUDA_CHECK(cudaMemcpy(h.data(), p_, sizeof(T) * n_, cudaMemcpyDeviceToHost));
    return h;
#endif
  }
  T host_at(size_t i) const { return host()[i]; }

 private:
  size_t n_;
#if defined(ENTROPIC_CUDA_EMU)
  std::vector<T> v_;
#else
  T* p_ = nullptr;
#endif
};

template <class T>
std::vector<T> random_values(int64_t n, uint64_t seed, double lo = -1, double hi = 1) {
  const std::vector<double> d = random_vector(n, seed, lo, hi);
  return std::vector<T>(d.begin(), d.end());
}

inline std::string shape_name(const char* what, std::initializer_list<int64_t> dims) {
  std::string s = what;
  for (int64_t v : dims) {
    s += ' ';
    s += std::to_string(v);
  }
  return s;
}

}  // namespace entropic::test
