// Test-only shim: runs CUDA kernels on CPU threads so that CI, which has nvcc but no GPU,
// executes every kernel of include/entropic/cuda/ on every run (g++, optionally under
// ThreadSanitizer). Include it before any entropic/cuda/*.cuh; never mix it with
// cuda_runtime.h in one translation unit (the keyword macros clash).
//
// Model: one OS thread per CUDA thread of a block (a pool kept across launches); the blocks
// of a grid run one after another on the same threads. Because blocks never overlap,
// `__shared__` can be a function `static` (one copy per kernel instantiation): keep launches
// serial (launch_mutex).
// __syncthreads, __syncwarp and the warp shuffles are barriers on a mutex + condition variable,
// which ThreadSanitizer understands, so a missing __syncthreads shows up as a data race.
// Each barrier times out (60 s) and aborts, so a divergent barrier fails instead of hanging.
//
// What the shim checks that a GPU would also refuse: more than 1024 threads a block, a block
// dimension over its limit, a grid dimension of 0 or over its limit, more than 48 KiB of
// dynamic shared memory (the default limit without cudaFuncSetAttribute). Dynamic shared
// memory is filled with NaN bytes at each block start, so reading before writing shows.
// What it does not model: warp lockstep (only full-warp shuffles and __syncwarp are
// synchronising), streams (synchronous), fast-math intrinsics (exact here, approximate on a
// GPU: compare with relative tolerances), registers and __launch_bounds__ (ptxas checks those
// in the nvcc compile job).
#pragma once
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <tuple>
#include <type_traits>
#include <vector>

#define ENTROPIC_CUDA_EMU 1

#define __global__
#define __device__
#define __host__
#define __forceinline__ inline __attribute__((always_inline))
#define __launch_bounds__(...)
#define __shared__ static  // one copy per instantiation: valid because blocks run in sequence
#define __constant__ static
#define __align__(n) __attribute__((aligned(n)))

struct uint3 {
  unsigned x = 0, y = 0, z = 0;
};
struct dim3 {
  unsigned x = 1, y = 1, z = 1;
  constexpr dim3(unsigned a = 1, unsigned b = 1, unsigned c = 1) : x(a), y(b), z(c) {}
};
struct alignas(16) float4 {
  float x, y, z, w;
};
inline float4 make_float4(float a, float b, float c, float d) { return {a, b, c, d}; }

// The part of the runtime API that host launchers touch.
struct CUstream_st;
using cudaStream_t = CUstream_st*;
enum cudaError_t {
  cudaSuccess = 0,
  cudaErrorInvalidValue = 1,
  cudaErrorInvalidConfiguration = 9,
  cudaErrorIllegalState = 401,
  cudaErrorStreamCaptureUnsupported = 900,
  cudaErrorStreamCaptureInvalidated = 901,
};
inline const char* cudaGetErrorName(cudaError_t e) {
  switch (e) {
    case cudaSuccess: return "cudaSuccess";
    case cudaErrorInvalidValue: return "cudaErrorInvalidValue";
    case cudaErrorInvalidConfiguration: return "cudaErrorInvalidConfiguration";
    case cudaErrorIllegalState: return "cudaErrorIllegalState";
    case cudaErrorStreamCaptureUnsupported: return "cudaErrorStreamCaptureUnsupported";
    case cudaErrorStreamCaptureInvalidated: return "cudaErrorStreamCaptureInvalidated";
  }
  return "cudaErrorUnknown";
}
inline const char* cudaGetErrorString(cudaError_t e) {
  switch (e) {
    case cudaSuccess: return "no error";
    case cudaErrorInvalidValue: return "invalid argument";
    case cudaErrorInvalidConfiguration: return "invalid configuration argument";
    case cudaErrorIllegalState: return "the resource is in an illegal state";
    case cudaErrorStreamCaptureUnsupported: return "operation not permitted when stream is capturing";
    case cudaErrorStreamCaptureInvalidated: return "operation failed due to a previous error during capture";
  }
  return "unknown error";
}

namespace cuemu {

inline constexpr unsigned kMaxThreads = 1024;
inline constexpr std::size_t kMaxDynamicSmem = 48 * 1024;

class Barrier {
  std::mutex m_;
  std::condition_variable cv_;
  unsigned expected_ = 0, arrived_ = 0;
  std::uint64_t gen_ = 0;
  void complete_() {
    arrived_ = 0;
    ++gen_;
    cv_.notify_all();
  }

 public:
  void reset(unsigned n) {
    std::lock_guard l(m_);
    expected_ = n;
    arrived_ = 0;
  }
  void arrive_and_wait(const char* what) {
    std::unique_lock l(m_);
    const auto g = gen_;
    if (++arrived_ == expected_) return complete_();
    if (!cv_.wait_for(l, std::chrono::seconds(60), [&] { return gen_ != g; })) {
      std::fprintf(stderr, "cuemu: deadlock in %s (divergent barrier?)\n", what);
      std::abort();
    }
  }
  // A thread that returned from the kernel stops counting (as on a GPU, where exited threads
  // no longer take part in __syncthreads).
  void arrive_and_drop() {
    std::lock_guard l(m_);
    --expected_;
    if (expected_ && arrived_ == expected_) complete_();
  }
};

struct Warp {
  Barrier bar;
  std::uint64_t slot[32];
};
struct Block {
  Barrier bar;
  std::vector<std::unique_ptr<Warp>> warps;
  std::vector<std::byte> dyn_smem;
};
inline thread_local Block* tl_block = nullptr;
inline thread_local unsigned tl_linear = 0;
inline std::mutex launch_mutex;

// What a program asked of the "device", so that a test can require a training step to make no
// host round trip and bound its launches: a GPU counts none of this, but every launch and every
// wait here goes through the same few functions. Atomics: kernels may be launched from any
// thread (launches are serialised, waits are not).
struct Counts {
  std::int64_t launches = 0;         // kernel launches that passed the configuration checks
  std::int64_t synchronisations = 0; // the host waited for the device (stream, device or event)
  std::int64_t device_to_host = 0;   // copies of device memory to the host
};
struct Counters {
  std::atomic<std::int64_t> launches{0}, synchronisations{0}, device_to_host{0};
};
inline Counters counters;
inline Counts counts() {
  return {counters.launches.load(), counters.synchronisations.load(), counters.device_to_host.load()};
}
inline void reset_counts() {
  counters.launches = 0;
  counters.synchronisations = 0;
  counters.device_to_host = 0;
}

// While a stream is captured (cudaStreamBeginCapture, cuda_cpu_emu_runtime.hpp) its work is
// appended here instead of run, with the arguments it was given, and a graph replays it in
// order: as on a GPU, a replay reads and writes the addresses seen at capture.
inline std::vector<std::function<void()>>* capture = nullptr;

}  // namespace cuemu

inline thread_local uint3 threadIdx, blockIdx;
inline dim3 blockDim, gridDim;  // written before the worker threads start
constexpr int warpSize = 32;

inline void __syncthreads() { cuemu::tl_block->bar.arrive_and_wait("__syncthreads"); }
inline void __syncwarp(unsigned = 0xffffffffu) {
  cuemu::tl_block->warps[cuemu::tl_linear / 32]->bar.arrive_and_wait("__syncwarp");
}

namespace cuemu {
template <class T>
T shfl(T v, int (*src_lane)(int lane, int arg, int width), int arg, int width) {
  static_assert(sizeof(T) <= 8 && std::is_trivially_copyable_v<T>);
  Warp& w = *tl_block->warps[tl_linear / 32];
  const int lane = int(tl_linear % 32);
  std::uint64_t bits = 0;
  std::memcpy(&bits, &v, sizeof(T));
  w.slot[lane] = bits;
  w.bar.arrive_and_wait("__shfl_*_sync");
  const std::uint64_t sb = w.slot[src_lane(lane, arg, width)];
  T r;
  std::memcpy(&r, &sb, sizeof(T));
  w.bar.arrive_and_wait("__shfl_*_sync");  // a slot is reused only after everyone has read
  return r;
}
inline int segment(int lane, int width) { return lane & ~(width - 1); }
}  // namespace cuemu

template <class T>
T __shfl_sync(unsigned, T v, int src, int width = 32) {
  return cuemu::shfl<T>(v, [](int l, int a, int w) { return cuemu::segment(l, w) + (a & (w - 1)); }, src, width);
}
template <class T>
T __shfl_down_sync(unsigned, T v, unsigned d, int width = 32) {
  return cuemu::shfl<T>(v, [](int l, int a, int w) { return (l % w) + a < w ? l + a : l; }, int(d), width);
}
template <class T>
T __shfl_up_sync(unsigned, T v, unsigned d, int width = 32) {
  return cuemu::shfl<T>(v, [](int l, int a, int w) { return (l % w) - a >= 0 ? l - a : l; }, int(d), width);
}
template <class T>
T __shfl_xor_sync(unsigned, T v, int m, int width = 32) {
  return cuemu::shfl<T>(
      v, [](int l, int a, int w) { const int s = l ^ a; return cuemu::segment(s, w) == cuemu::segment(l, w) ? s : l; },
      m, width);
}

template <class T>
T atomicAdd(T* p, T v) {
  return std::atomic_ref<T>(*p).fetch_add(v, std::memory_order_relaxed);
}

inline float __expf(float x) { return std::exp(x); }
inline float __logf(float x) { return std::log(x); }
inline float __fdividef(float a, float b) { return a / b; }
inline float rsqrtf(float x) { return 1.0f / std::sqrt(x); }
inline double rsqrt(double x) { return 1.0 / std::sqrt(x); }
template <class T>
T __ldg(const T* p) {
  return *p;
}

template <class T>
T* dynamic_shared() {
  return reinterpret_cast<T*>(cuemu::tl_block->dyn_smem.data());
}

namespace cuemu {

inline cudaError_t check_config(dim3 grid, dim3 block, std::size_t smem) {
  const unsigned long long n = 1ull * block.x * block.y * block.z;
  // An H200 with CUDA 13.0 (driver 580) answers a 2048-thread block with cudaErrorInvalidValue
  // (seen 2026-11-28); older toolkits said cudaErrorInvalidConfiguration. The shim follows the GPU.
  if (n == 0 || n > kMaxThreads || block.x > 1024 || block.y > 1024 || block.z > 64) return cudaErrorInvalidValue;
  if (grid.x == 0 || grid.y == 0 || grid.z == 0 || grid.y > 65535 || grid.z > 65535)
    return cudaErrorInvalidConfiguration;
  if (smem > kMaxDynamicSmem) return cudaErrorInvalidValue;
  return cudaSuccess;
}

inline void poison(std::vector<std::byte>& smem) { std::memset(smem.data(), 0xff, smem.size()); }

// The CPU threads that play the CUDA threads, kept across launches: creating 256 OS threads
// per launch cost more than most kernels here (a training step makes ~150 launches). A launch
// hands worker t < n the job and waits until all n have finished it; the hand-over and the
// completion go through a mutex, so ThreadSanitizer sees them as synchronisation.
class Workers {
 public:
  static Workers& instance() {
    static Workers w;
    return w;
  }
  template <class F>
  void run(unsigned n, F& body) {
    std::unique_lock l(m_);
    while (threads_.size() < n) {
      const unsigned t = unsigned(threads_.size());
      threads_.emplace_back([this, t] { loop(t); });
    }
    job_ = [&body](unsigned t) { body(t); };
    active_ = n;
    remaining_ = n;
    ++generation_;
    cv_.notify_all();
    done_.wait(l, [&] { return remaining_ == 0; });
    job_ = nullptr;
  }
  ~Workers() {
    {
      std::lock_guard l(m_);
      stop_ = true;
      ++generation_;
    }
    cv_.notify_all();
    for (auto& t : threads_) t.join();
  }

 private:
  void loop(unsigned t) {
    std::uint64_t seen = 0;
    for (;;) {
      std::function<void(unsigned)> job;
      {
        std::unique_lock l(m_);
        cv_.wait(l, [&] { return generation_ != seen; });
        seen = generation_;
        if (stop_) return;
        if (t >= active_) continue;
        job = job_;
      }
      job(t);
      std::lock_guard l(m_);
      if (--remaining_ == 0) done_.notify_one();
    }
  }
  std::mutex m_;
  std::condition_variable cv_, done_;
  std::vector<std::thread> threads_;
  std::function<void(unsigned)> job_;
  unsigned active_ = 0, remaining_ = 0;
  std::uint64_t generation_ = 0;
  bool stop_ = false;
};

// kernel<<<grid, block, smem>>>(args...), executed now; returns what the launch would report.
template <class... P>
void run(void (*kernel)(P...), dim3 grid, dim3 block, std::size_t smem, const std::tuple<P...>& params);

template <class... P, class... A>
cudaError_t launch(void (*kernel)(P...), dim3 grid, dim3 block, std::size_t smem, A&&... args) {
  if (const cudaError_t e = check_config(grid, block, smem); e != cudaSuccess) return e;
  // The kernel's parameters are copied once, as the launch does on a GPU.
  std::tuple<P...> params(std::forward<A>(args)...);
  if (capture)
    capture->push_back([=] { run(kernel, grid, block, smem, params); });
  else
    run(kernel, grid, block, smem, params);
  return cudaSuccess;
}

// Executes a launch now; every kernel execution, eager or replayed from a graph, is counted.
template <class... P>
void run(void (*kernel)(P...), dim3 grid, dim3 block, std::size_t smem, const std::tuple<P...>& params) {
  counters.launches.fetch_add(1, std::memory_order_relaxed);
  std::lock_guard guard(launch_mutex);
  const unsigned n = block.x * block.y * block.z;
  Block blk;
  blk.dyn_smem.resize(std::max<std::size_t>(smem, 16));
  poison(blk.dyn_smem);
  for (unsigned w = 0; w < (n + 31) / 32; ++w) blk.warps.push_back(std::make_unique<Warp>());
  blockDim = block;
  gridDim = grid;
  Barrier between_blocks;
  between_blocks.reset(n);
  auto reset_barriers = [&] {
    blk.bar.reset(n);
    for (unsigned w = 0; w < blk.warps.size(); ++w) blk.warps[w]->bar.reset(std::min(32u, n - 32 * w));
  };
  reset_barriers();
  auto body = [&](unsigned t) {
    tl_block = &blk;
    tl_linear = t;
    threadIdx = {t % block.x, (t / block.x) % block.y, t / (block.x * block.y)};
    for (unsigned bz = 0; bz < grid.z; ++bz)
      for (unsigned by = 0; by < grid.y; ++by)
        for (unsigned bx = 0; bx < grid.x; ++bx) {
          blockIdx = {bx, by, bz};
          std::apply(kernel, params);
          blk.bar.arrive_and_drop();
          blk.warps[t / 32]->bar.arrive_and_drop();
          between_blocks.arrive_and_wait("block end");
          if (t == 0) {  // undo the drops of threads that returned; fresh shared memory
            reset_barriers();
            poison(blk.dyn_smem);
          }
          between_blocks.arrive_and_wait("block end");
        }
  };
  Workers::instance().run(n, body);
}

}  // namespace cuemu

// ---- cuBLAS, the part the KDE GEMM version (kde_versions.cuh v4) calls -------------------------
// Column-major, as cuBLAS: C (m, n) = alpha op(A) (m, k) op(B) (k, n) + beta C, with C not read
// when beta = 0. Plain loops on the calling thread, at once (the shim has no streams). Argument
// checks as cuBLAS's (CUBLAS_STATUS_INVALID_VALUE for a negative size or a short leading
// dimension; NOT_INITIALIZED for a null handle). Accumulates in the element type, like cuBLAS
// without TF32.
enum cublasStatus_t {
  CUBLAS_STATUS_SUCCESS = 0,
  CUBLAS_STATUS_NOT_INITIALIZED = 1,
  CUBLAS_STATUS_INVALID_VALUE = 7,
};
enum cublasOperation_t { CUBLAS_OP_N = 0, CUBLAS_OP_T = 1 };
struct cublasContext {
  cudaStream_t stream = nullptr;
};
using cublasHandle_t = cublasContext*;

inline const char* cublasGetStatusString(cublasStatus_t s) {
  switch (s) {
    case CUBLAS_STATUS_SUCCESS: return "CUBLAS_STATUS_SUCCESS";
    case CUBLAS_STATUS_NOT_INITIALIZED: return "CUBLAS_STATUS_NOT_INITIALIZED";
    case CUBLAS_STATUS_INVALID_VALUE: return "CUBLAS_STATUS_INVALID_VALUE";
  }
  return "CUBLAS_STATUS_UNKNOWN";
}
inline cublasStatus_t cublasCreate(cublasHandle_t* h) {
  if (!h) return CUBLAS_STATUS_INVALID_VALUE;
  *h = new cublasContext;
  return CUBLAS_STATUS_SUCCESS;
}
inline cublasStatus_t cublasDestroy(cublasHandle_t h) {
  if (!h) return CUBLAS_STATUS_NOT_INITIALIZED;
  delete h;
  return CUBLAS_STATUS_SUCCESS;
}
inline cublasStatus_t cublasSetStream(cublasHandle_t h, cudaStream_t s) {
  if (!h) return CUBLAS_STATUS_NOT_INITIALIZED;
  h->stream = s;
  return CUBLAS_STATUS_SUCCESS;
}

namespace cuemu {
template <class T>
cublasStatus_t gemm(cublasHandle_t h, cublasOperation_t ta, cublasOperation_t tb, int m, int n, int k, const T* alpha,
                    const T* A, int lda, const T* B, int ldb, const T* beta, T* C, int ldc) {
  if (!h) return CUBLAS_STATUS_NOT_INITIALIZED;
  const int rows_a = ta == CUBLAS_OP_N ? m : k, rows_b = tb == CUBLAS_OP_N ? k : n;
  if (m < 0 || n < 0 || k < 0 || lda < std::max(1, rows_a) || ldb < std::max(1, rows_b) || ldc < std::max(1, m) ||
      !alpha || !beta)
    return CUBLAS_STATUS_INVALID_VALUE;
  auto a = [&](int i, int p) { return ta == CUBLAS_OP_N ? A[std::size_t(p) * lda + i] : A[std::size_t(i) * lda + p]; };
  auto b = [&](int p, int j) { return tb == CUBLAS_OP_N ? B[std::size_t(j) * ldb + p] : B[std::size_t(p) * ldb + j]; };
  for (int j = 0; j < n; ++j)
    for (int i = 0; i < m; ++i) {
      T acc = T(0);
      for (int p = 0; p < k; ++p) acc += a(i, p) * b(p, j);
      T& c = C[std::size_t(j) * ldc + i];
      c = *beta == T(0) ? *alpha * acc : *alpha * acc + *beta * c;
    }
  return CUBLAS_STATUS_SUCCESS;
}
}  // namespace cuemu

inline cublasStatus_t cublasSgemm(cublasHandle_t h, cublasOperation_t ta, cublasOperation_t tb, int m, int n, int k,
                                  const float* alpha, const float* A, int lda, const float* B, int ldb,
                                  const float* beta, float* C, int ldc) {
  return cuemu::gemm(h, ta, tb, m, n, k, alpha, A, lda, B, ldb, beta, C, ldc);
}
inline cublasStatus_t cublasDgemm(cublasHandle_t h, cublasOperation_t ta, cublasOperation_t tb, int m, int n, int k,
                                  const double* alpha, const double* A, int lda, const double* B, int ldb,
                                  const double* beta, double* C, int ldc) {
  return cuemu::gemm(h, ta, tb, m, n, k, alpha, A, lda, B, ldb, beta, C, ldc);
}

// ---- nvcuda::wmma, the TF32 part (kde_versions.cuh v5) ----------------------------------------
// A fragment here holds the WHOLE tile in every lane (row-major in x[]), where a GPU spreads
// it over the warp in an unspecified layout: code that only touches x[] elementwise (such as
// the __float_to_tf32 conversion loop) works unchanged both ways. load_matrix_sync reads the
// whole tile in every lane; mma_sync computes the whole product in every lane (no
// synchronisation needed: every lane has the same inputs); store_matrix_sync writes from lane 0
// only, so that lanes do not race on the destination, and without a barrier: as on a GPU, a
// lane that reads what another lane's store wrote needs a __syncwarp() after the store (and
// one before the next store that overwrites what was read), and TSan reports a missing one.
// Checked as the GPU requires: ldm a multiple of 4 floats, pointers 32-byte aligned.
namespace nvcuda::wmma {
struct row_major;
struct col_major;
struct matrix_a;
struct matrix_b;
struct accumulator;
namespace precision {
struct tf32;
}
enum layout_t { mem_row_major, mem_col_major };

namespace detail {
template <class Use, int M, int N, int K>
struct dims;
template <int M, int N, int K>
struct dims<matrix_a, M, N, K> {
  static constexpr int rows = M, cols = K;
};
template <int M, int N, int K>
struct dims<matrix_b, M, N, K> {
  static constexpr int rows = K, cols = N;
};
template <int M, int N, int K>
struct dims<accumulator, M, N, K> {
  static constexpr int rows = M, cols = N;
};
template <class T>
struct storage {
  using type = T;
};
template <>
struct storage<precision::tf32> {
  using type = float;
};
inline void check_ptr(const void* p, unsigned ldm, const char* what) {
  if (reinterpret_cast<std::uintptr_t>(p) % 32 != 0 || ldm % 4 != 0) {
    std::fprintf(stderr, "cuemu: wmma::%s: pointer %p must be 32-byte aligned and ldm %u a multiple of 4\n", what, p,
                 ldm);
    std::abort();
  }
}
}  // namespace detail

template <class Use, int M, int N, int K, class T, class Layout = void>
struct fragment {
  using element_type = typename detail::storage<T>::type;
  static constexpr int rows = detail::dims<Use, M, N, K>::rows, cols = detail::dims<Use, M, N, K>::cols;
  static constexpr int num_elements = rows * cols;
  element_type x[num_elements];  // the whole tile, row-major, in every lane
};

// Round to TF32 (10 explicit mantissa bits), to nearest with ties away from zero, as cvt.rna.
inline float __float_to_tf32(float v) {
  std::uint32_t u;
  std::memcpy(&u, &v, 4);
  if ((u & 0x7f800000u) != 0x7f800000u) u = (u + 0x1000u) & 0xffffe000u;  // inf and NaN as they are
  std::memcpy(&v, &u, 4);
  return v;
}

template <class Use, int M, int N, int K, class T, class L, class E>
void fill_fragment(fragment<Use, M, N, K, T, L>& f, const E& v) {
  for (auto& e : f.x) e = v;
}
template <class Use, int M, int N, int K, class T, class L>
void load_matrix_sync(fragment<Use, M, N, K, T, L>& f, const typename fragment<Use, M, N, K, T, L>::element_type* p,
                      unsigned ldm) {
  static_assert(std::is_same_v<L, row_major> || std::is_same_v<L, col_major>, "matrix_a/b fragments have a layout");
  detail::check_ptr(p, ldm, "load_matrix_sync");
  using F = fragment<Use, M, N, K, T, L>;
  for (int r = 0; r < F::rows; ++r)
    for (int c = 0; c < F::cols; ++c)
      f.x[r * F::cols + c] = std::is_same_v<L, row_major> ? p[std::size_t(r) * ldm + c] : p[std::size_t(c) * ldm + r];
}
template <int M, int N, int K, class T>
void load_matrix_sync(fragment<accumulator, M, N, K, T>& f, const T* p, unsigned ldm, layout_t layout) {
  detail::check_ptr(p, ldm, "load_matrix_sync");
  for (int r = 0; r < M; ++r)
    for (int c = 0; c < N; ++c)
      f.x[r * N + c] = layout == mem_row_major ? p[std::size_t(r) * ldm + c] : p[std::size_t(c) * ldm + r];
}
template <int M, int N, int K, class T>
void store_matrix_sync(T* p, const fragment<accumulator, M, N, K, T>& f, unsigned ldm, layout_t layout) {
  detail::check_ptr(p, ldm, "store_matrix_sync");
  if (cuemu::tl_linear % 32 != 0) return;  // lane 0 writes for the warp
  for (int r = 0; r < M; ++r)
    for (int c = 0; c < N; ++c)
      (layout == mem_row_major ? p[std::size_t(r) * ldm + c] : p[std::size_t(c) * ldm + r]) = f.x[r * N + c];
}
// d = a b + c (d may be c). Products of TF32 values are exact in float; sums in float.
template <int M, int N, int K, class TA, class LA, class TB, class LB, class TC>
void mma_sync(fragment<accumulator, M, N, K, TC>& d, const fragment<matrix_a, M, N, K, TA, LA>& a,
              const fragment<matrix_b, M, N, K, TB, LB>& b, const fragment<accumulator, M, N, K, TC>& c) {
  TC out[M * N];
  for (int i = 0; i < M; ++i)
    for (int j = 0; j < N; ++j) {
      TC acc = c.x[i * N + j];
      for (int p = 0; p < K; ++p) acc += TC(a.x[i * K + p]) * TC(b.x[p * N + j]);
      out[i * N + j] = acc;
    }
  std::memcpy(d.x, out, sizeof out);
}
}  // namespace nvcuda::wmma
