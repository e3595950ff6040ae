// The seam between the library, which g++ compiles, and the CUDA backend, which only exists in
// a translation unit compiled by nvcc (or by g++ against the test shim): that unit includes
// entropic/cuda/backend.cuh, whose static initialiser registers a CudaRuntime (device memory,
// copies, the stream) and CudaKernels<T> (ops/backend.hpp). Everything above core reaches the
// GPU only through these two interfaces, so a program without that unit still builds and runs,
// and asking it for Device::cuda raises an error that says how to get the backend.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

#include "entropic/core/error.hpp"

namespace entropic {

enum class CopyKind { host_to_device, device_to_host, device_to_device };

// The caching allocator's counters: after warm-up a training step should add no device_mallocs.
struct AllocatorStats {
  int64_t device_mallocs = 0;  // cudaMalloc calls so far
  int64_t requests = 0;        // allocate() calls so far
  int64_t bytes_in_use = 0;    // handed out and not yet returned
  int64_t bytes_cached = 0;    // returned, kept for reuse
};

class CudaRuntime {
 public:
  virtual ~CudaRuntime() = default;
  // Stream-ordered: memory returned by deallocate may be handed out again at once, because all
  // work runs on the one stream in order.
  virtual void* allocate(std::size_t bytes) = 0;
  virtual void deallocate(void* p) noexcept = 0;
  // Ordered on the stream; a copy to the host returns when the data is there.
  virtual void copy(void* dst, const void* src, std::size_t bytes, CopyKind kind) = 0;
  // p[0 .. n) = value, p holding float (elem_bytes 4) or double (8).
  virtual void fill(void* p, int64_t n, double value, int elem_bytes) = 0;
  virtual void synchronize() = 0;
  virtual AllocatorStats allocator_stats() const = 0;
  // Returns the cached blocks to the driver.
  virtual void release_cached() = 0;
  virtual std::string device_name() const = 0;
};

inline CudaRuntime*& cuda_runtime_slot() {
  static CudaRuntime* runtime = nullptr;
  return runtime;
}

inline bool cuda_backend_registered() { return cuda_runtime_slot() != nullptr; }

inline void require_cuda_backend(const char* op) {
  if (!cuda_backend_registered())
    fail(op, ": device cuda is not available in this build. Compile one .cu file that includes "
             "<entropic/cuda/backend.cuh> into the program with nvcc (with CMake: link entropic::cuda, "
             "docs/cmake.md) and run on a machine with an "
             "NVIDIA GPU, or use --device cpu");
}

inline CudaRuntime& cuda_runtime() {
  require_cuda_backend("cuda");
  return *cuda_runtime_slot();
}

}  // namespace entropic
