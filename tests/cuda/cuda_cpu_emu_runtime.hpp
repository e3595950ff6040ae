// Test-only: the part of the CUDA runtime API that entropic/cuda/backend.cuh uses (device
// memory, copies, stream synchronisation), on top of the kernel shim, so that CI runs the
// whole library on Device::cuda with every kernel executed on CPU threads. "Device" memory is
// host memory here; copies are memcpy and complete at once (the shim runs kernels
// synchronously, so stream order holds trivially).
#pragma once
#include <cstdlib>
#include <cstring>

#include "cuda_cpu_emu.hpp"

enum cudaMemcpyKind { cudaMemcpyHostToDevice, cudaMemcpyDeviceToHost, cudaMemcpyDeviceToDevice };

inline cudaError_t cudaGetLastError() { return cudaSuccess; }
inline cudaError_t cudaMalloc(void** p, std::size_t bytes) {
  *p = std::aligned_alloc(256, (bytes + 255) / 256 * 256);
  return *p ? cudaSuccess : cudaErrorInvalidValue;
}
template <class T>
cudaError_t cudaMalloc(T** p, std::size_t bytes) {
  return cudaMalloc(reinterpret_cast<void**>(p), bytes);
}
inline cudaError_t cudaFree(void* p) {
  std::free(p);
  return cudaSuccess;
}
// Copies to the host and waits are counted (cuemu::counts()): on a GPU each wait stalls the
// host until the queue drains, which is what a training step must not do.
inline cudaError_t cudaMemcpyAsync(void* dst, const void* src, std::size_t bytes, cudaMemcpyKind kind, cudaStream_t) {
  if (kind == cudaMemcpyDeviceToHost) cuemu::counters.device_to_host.fetch_add(1, std::memory_order_relaxed);
  std::memmove(dst, src, bytes);
  return cudaSuccess;
}
inline cudaError_t cudaStreamSynchronize(cudaStream_t) {
  cuemu::counters.synchronisations.fetch_add(1, std::memory_order_relaxed);
  return cudaSuccess;
}
inline cudaError_t cudaDeviceSynchronize() {
  cuemu::counters.synchronisations.fetch_add(1, std::memory_order_relaxed);
  return cudaSuccess;
}
