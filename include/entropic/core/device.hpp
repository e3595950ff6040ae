// Device: where a tensor's storage lives, a run-time value so programs can take --device.
#pragma once
#include <string>
#include <string_view>

#include "entropic/core/error.hpp"

namespace entropic {

enum class Device { cpu, cuda };

inline const char* to_string(Device d) { return d == Device::cpu ? "cpu" : "cuda"; }

inline Device parse_device(std::string_view s) {
  if (s == "cpu") return Device::cpu;
  if (s == "cuda") return Device::cuda;
  fail("device: unknown device '", std::string(s), "'; use cpu or cuda");
}

// The seam for the CUDA backend: until a translation unit compiled by nvcc registers the
// backend, asking for Device::cuda is an error that says how to get it.
inline bool& cuda_backend_registered() {
  static bool registered = false;
  return registered;
}

inline void require_device_available(Device d, const char* op) {
  if (d == Device::cuda && !cuda_backend_registered())
    fail(op, ": device cuda is not available in this build; build with CUDA "
             "(cmake --preset cuda) and run on a machine with an NVIDIA GPU, or use --device cpu");
}

}  // namespace entropic
