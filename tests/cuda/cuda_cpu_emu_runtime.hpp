// Test-only: the part of the CUDA runtime API that entropic/cuda/backend.cuh uses (device
// memory, copies, stream synchronisation), on top of the kernel shim, so that CI runs the
// whole library on Device::cuda with every kernel executed on CPU threads. "Device" memory is
// host memory here; copies are memcpy and complete at once (the shim runs kernels
// synchronously, so stream order holds trivially). CUDA graphs: a capture records the launches
// and copies instead of running them, and a graph launch replays them in order; a wait for the
// device during a capture fails and invalidates it, as on a GPU.
#pragma once
#include <cstdlib>
#include <cstring>
#include <functional>
#include <memory>
#include <vector>

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
namespace cuemu {
// A wait requested during a capture breaks it, as on a GPU: the capture then ends with
// cudaErrorStreamCaptureInvalidated.
inline bool capture_invalidated = false;
inline cudaError_t wait_for_device() {
  if (capture) {
    capture_invalidated = true;
    return cudaErrorStreamCaptureUnsupported;
  }
  counters.synchronisations.fetch_add(1, std::memory_order_relaxed);
  return cudaSuccess;
}
}  // namespace cuemu

inline cudaError_t cudaMemcpyAsync(void* dst, const void* src, std::size_t bytes, cudaMemcpyKind kind, cudaStream_t) {
  auto copy = [=] {
    if (kind == cudaMemcpyDeviceToHost) cuemu::counters.device_to_host.fetch_add(1, std::memory_order_relaxed);
    std::memmove(dst, src, bytes);
  };
  if (cuemu::capture)
    cuemu::capture->push_back(copy);
  else
    copy();
  return cudaSuccess;
}
inline cudaError_t cudaStreamSynchronize(cudaStream_t) { return cuemu::wait_for_device(); }
inline cudaError_t cudaDeviceSynchronize() { return cuemu::wait_for_device(); }

// ---- CUDA graphs: capture a stream's work once, replay it with one call --------------------
// One capture at a time (the shim has one stream). Instantiating copies the recorded work.
enum cudaStreamCaptureMode { cudaStreamCaptureModeGlobal, cudaStreamCaptureModeThreadLocal, cudaStreamCaptureModeRelaxed };
struct CUgraph_st {
  std::vector<std::function<void()>> work;
};
struct CUgraphExec_st {
  std::vector<std::function<void()>> work;
};
using cudaGraph_t = CUgraph_st*;
using cudaGraphExec_t = CUgraphExec_st*;

inline cudaError_t cudaStreamBeginCapture(cudaStream_t, cudaStreamCaptureMode) {
  if (cuemu::capture) return cudaErrorIllegalState;
  cuemu::capture = new std::vector<std::function<void()>>;
  cuemu::capture_invalidated = false;
  return cudaSuccess;
}
inline cudaError_t cudaStreamEndCapture(cudaStream_t, cudaGraph_t* graph) {
  if (!cuemu::capture) return cudaErrorIllegalState;
  std::unique_ptr<std::vector<std::function<void()>>> work(cuemu::capture);
  cuemu::capture = nullptr;
  if (cuemu::capture_invalidated) {
    *graph = nullptr;
    return cudaErrorStreamCaptureInvalidated;
  }
  *graph = new CUgraph_st{std::move(*work)};
  return cudaSuccess;
}
inline cudaError_t cudaGraphInstantiate(cudaGraphExec_t* exec, cudaGraph_t graph, unsigned long long = 0) {
  if (!graph) return cudaErrorInvalidValue;
  *exec = new CUgraphExec_st{graph->work};
  return cudaSuccess;
}
inline cudaError_t cudaGraphLaunch(cudaGraphExec_t exec, cudaStream_t) {
  if (!exec) return cudaErrorInvalidValue;
  if (cuemu::capture) return cudaErrorStreamCaptureUnsupported;
  for (const auto& w : exec->work) w();
  return cudaSuccess;
}
inline cudaError_t cudaGraphExecDestroy(cudaGraphExec_t exec) {
  delete exec;
  return cudaSuccess;
}
inline cudaError_t cudaGraphDestroy(cudaGraph_t graph) {
  delete graph;
  return cudaSuccess;
}
