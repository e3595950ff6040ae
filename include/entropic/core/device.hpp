// Device: where a tensor's storage lives, a run-time value so programs can take --device.
#pragma once
#include <cstring>
#include <string>
#include <string_view>

#include "entropic/core/backend.hpp"
#include "entropic/core/error.hpp"

namespace entropic {

enum class Device { cpu, cuda };

inline const char* to_string(Device d) { return d == Device::cpu ? "cpu" : "cuda"; }

inline Device parse_device(std::string_view s) {
  if (s == "cpu") return Device::cpu;
  if (s == "cuda") return Device::cuda;
  fail("device: unknown device '", std::string(s), "'; use cpu or cuda");
}

// For a program's --device: the backend must be compiled in and, for cuda, a GPU visible.
inline void require_device_available(Device d, const char* op) {
  if (d != Device::cuda) return;
  require_cuda_backend(op);
  (void)cuda_runtime().device_name();  // starts the backend: no GPU is reported here
}

// bytes from src to dst, two buffers on device d (a raw copy, for code that packs buffers).
inline void copy_on(Device d, void* dst, const void* src, std::size_t bytes) {
  if (bytes == 0 || dst == src) return;
  if (d == Device::cpu)
    std::memcpy(dst, src, bytes);
  else
    cuda_runtime().copy(dst, src, bytes, CopyKind::device_to_device);
}

}  // namespace entropic
