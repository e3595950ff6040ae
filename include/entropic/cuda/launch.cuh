// The one way kernels are launched, and the checks on every CUDA and cuBLAS call.
//
//   launch(kernel, grid, block, smem_bytes, stream, args...)   replaces kernel<<<...>>>(args...)
//
// Under nvcc it launches and checks cudaGetLastError; a failure throws entropic::Error naming
// the kernel, the launch configuration and the file:line of the launch. Compiled by g++ with
// the test shim (tests/cuda/cuda_cpu_emu.hpp, which defines ENTROPIC_CUDA_EMU) the same call
// runs the kernel on CPU threads, so every kernel source here compiles unchanged both ways.
//
//   ENTROPIC_CUDA_CHECK(cudaMemcpyAsync(...));   ENTROPIC_CUBLAS_CHECK(cublasSgemm(...));
// throw entropic::Error with the call's text, file and line.
//
//   ENTROPIC_DYNAMIC_SHARED(T, name);  declares `T* name` on the block's dynamic shared memory
// (`extern __shared__` under nvcc, with one byte array so kernels templated on T do not clash).
#pragma once
#include <cstddef>
#include <cstdint>
#include <source_location>
#include <utility>

#include "entropic/core/error.hpp"

#if defined(ENTROPIC_CUDA_EMU)
// The shim is already included: it defines dim3, cudaStream_t and cuemu::launch.
#elif defined(__CUDACC__)
#include <cuda_runtime.h>
#else
#error "entropic/cuda/*.cuh: compile with nvcc (or include tests/cuda/cuda_cpu_emu.hpp first)"
#endif

#if defined(ENTROPIC_CUDA_EMU)
#define ENTROPIC_DYNAMIC_SHARED(T, name) T* name = dynamic_shared<T>()
#else
#define ENTROPIC_DYNAMIC_SHARED(T, name)                        \
  extern __shared__ __align__(16) unsigned char entropic_smem_[]; \
  T* name = reinterpret_cast<T*>(entropic_smem_)
#endif

// Full unrolling of a loop with a compile-time trip count (GCC's spelling under the shim).
#if defined(__CUDACC__)
#define ENTROPIC_UNROLL _Pragma("unroll")
#else
#define ENTROPIC_UNROLL _Pragma("GCC unroll 16")
#endif

namespace entropic::cuda {

inline constexpr int kMaxThreadsPerBlock = 1024;
inline constexpr std::size_t kMaxDynamicSmem = 48 * 1024;  // without opting in per kernel
inline constexpr unsigned kFullMask = 0xffffffffu;

__host__ __device__ constexpr int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

namespace detail {

[[noreturn]] inline void fail_cuda(cudaError_t e, const char* call, const char* file, int line) {
  fail("CUDA error ", cudaGetErrorName(e), " (", cudaGetErrorString(e), ") in ", call, " at ", file, ":", line);
}

// The grid of a launch, carrying the launch's source location: converting the caller's dim3
// evaluates the default argument at the call site, so launch() keeps CUDA's argument order.
struct Grid {
  dim3 dim;
  std::source_location where;
  Grid(dim3 g, std::source_location w = std::source_location::current()) : dim(g), where(w) {}
};

inline const char* kernel_name([[maybe_unused]] const void* kernel) {
#if !defined(ENTROPIC_CUDA_EMU)
  const char* name = nullptr;
  if (cudaFuncGetName(&name, kernel) == cudaSuccess && name) return name;
#endif
  return "kernel";
}

}  // namespace detail

#define ENTROPIC_CUDA_CHECK(call)                                                          \
  do {                                                                                     \
    const cudaError_t entropic_err_ = (call);                                              \
    if (entropic_err_ != cudaSuccess)                                                      \
      ::entropic::cuda::detail::fail_cuda(entropic_err_, #call, __FILE__, __LINE__);        \
  } while (0)

// (Under the shim, tests/cuda/cuda_cpu_emu.hpp provides the few cuBLAS calls it emulates.)
#define ENTROPIC_CUBLAS_CHECK(call)                                                               \
  do {                                                                                            \
    const cublasStatus_t entropic_st_ = (call);                                                   \
    if (entropic_st_ != CUBLAS_STATUS_SUCCESS)                                                    \
      ::entropic::fail("cuBLAS error ", cublasGetStatusString(entropic_st_), " in ", #call, " at ", \
                       __FILE__, ":", __LINE__);                                                  \
  } while (0)

template <class... P, class... A>
void launch(void (*kernel)(P...), detail::Grid grid, dim3 block, std::size_t smem, cudaStream_t stream,
            A&&... args) {
  static_assert(sizeof...(P) == sizeof...(A), "launch: wrong number of kernel arguments");
#if defined(ENTROPIC_CUDA_EMU)
  (void)stream;  // the shim runs everything at once, in order
  const cudaError_t e = cuemu::launch(kernel, grid.dim, block, smem, std::forward<A>(args)...);
#else
  kernel<<<grid.dim, block, smem, stream>>>(std::forward<A>(args)...);
  const cudaError_t e = cudaGetLastError();
#endif
  if (e != cudaSuccess)
    fail("CUDA launch of ", detail::kernel_name(reinterpret_cast<const void*>(kernel)), " from ",
         grid.where.function_name(), " at ", grid.where.file_name(), ":", grid.where.line(), " failed: ",
         cudaGetErrorName(e), " (", cudaGetErrorString(e), "); grid (", grid.dim.x, ",", grid.dim.y, ",",
         grid.dim.z, ") block (", block.x, ",", block.y, ",", block.z, ") dynamic smem ", smem, " bytes");
}

}  // namespace entropic::cuda
