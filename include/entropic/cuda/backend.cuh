// The CUDA backend of the whole library: include this header in ONE .cu file of a program and
// Device::cuda works everywhere (tensors, autodiff, nn, the entropy estimators, the GAN
// trainer). Its static initialiser registers a CudaRuntime (core/backend.hpp) and the
// CudaKernels<float>, CudaKernels<double> (ops/backend.hpp) below, which call the kernels of
// this directory on one stream.
//
//   // my_cuda_backend.cu
//   #include <entropic/cuda/backend.cuh>
//
// Device memory comes from a caching allocator: freed blocks are kept in size classes and
// handed out again in stream order, so a training step that repeats the same shapes makes no
// cudaMalloc after its first iteration (AllocatorStats counts them). The GEMM is the tiled
// kernel of linear.cuh; ENTROPIC_GEMM=cublas in the environment selects cuBLAS instead.
//
// Compiled by g++ against the test shim (tests/cuda/cuda_cpu_emu_runtime.hpp), the same code
// runs the whole stack on the CPU in CI; cuBLAS does not exist there.
#pragma once
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <string>
#include <unordered_map>

#include "entropic/core/backend.hpp"
#include "entropic/cuda/activations.cuh"
#include "entropic/cuda/adam.cuh"
#include "entropic/cuda/batchnorm.cuh"
#include "entropic/cuda/elementwise.cuh"
#include "entropic/cuda/kde.cuh"
#include "entropic/cuda/kde_dispatch.cuh"
#include "entropic/cuda/knn.cuh"
#include "entropic/cuda/launch.cuh"
#include "entropic/cuda/linear.cuh"
#include "entropic/cuda/loss.cuh"
#include "entropic/cuda/maxout.cuh"
#include "entropic/cuda/reduce.cuh"
#include "entropic/ops/backend.hpp"

namespace entropic::cuda {

// Size classes: 512-byte steps up to 1 MiB, 2 MiB steps above, so that the few shapes of a
// training step map to a few classes and a block is reused only for requests of its class.
inline std::size_t allocation_class(std::size_t bytes) {
  constexpr std::size_t small = 512, large = std::size_t(2) << 20;
  const std::size_t step = bytes <= (std::size_t(1) << 20) ? small : large;
  return (std::max<std::size_t>(bytes, 1) + step - 1) / step * step;
}

class Runtime final : public CudaRuntime {
 public:
  void* allocate(std::size_t bytes) override {
    init();
    const std::size_t size = allocation_class(bytes);
    std::lock_guard lock(mutex_);
    ++stats_.requests;
    void* p = nullptr;
    if (auto it = free_.find(size); it != free_.end()) {
      p = it->second;
      free_.erase(it);
      stats_.bytes_cached -= int64_t(size);
    } else {
      cudaError_t e = cudaMalloc(&p, size);
      if (e != cudaSuccess) {  // give the cache back to the driver and try once more
        (void)cudaGetLastError();
        release_cached_locked();
        e = cudaMalloc(&p, size);
      }
      if (e != cudaSuccess)
        fail("cuda: cannot allocate ", size, " bytes of device memory (", cudaGetErrorString(e), "); ",
             stats_.bytes_in_use, " bytes are in use by tensors. Use a smaller batch or model.");
      ++stats_.device_mallocs;
    }
    sizes_[p] = size;
    stats_.bytes_in_use += int64_t(size);
    return p;
  }

  void deallocate(void* p) noexcept override {
    std::lock_guard lock(mutex_);
    auto it = sizes_.find(p);
    if (it == sizes_.end()) return;
    free_.emplace(it->second, p);
    stats_.bytes_in_use -= int64_t(it->second);
    stats_.bytes_cached += int64_t(it->second);
    sizes_.erase(it);
  }

  void copy(void* dst, const void* src, std::size_t bytes, CopyKind kind) override {
    init();
    if (bytes == 0) return;
    const cudaMemcpyKind k = kind == CopyKind::host_to_device   ? cudaMemcpyHostToDevice
                             : kind == CopyKind::device_to_host ? cudaMemcpyDeviceToHost
                                                                : cudaMemcpyDeviceToDevice;
    ENTROPIC_CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, k, stream_));
    if (kind == CopyKind::device_to_host) ENTROPIC_CUDA_CHECK(cudaStreamSynchronize(stream_));
  }

  void fill(void* p, int64_t n, double value, int elem_bytes) override {
    init();
    if (elem_bytes == 4)
      cuda::fill(static_cast<float*>(p), n, float(value), stream_);
    else
      cuda::fill(static_cast<double*>(p), n, value, stream_);
  }

  void synchronize() override {
    init();
    ENTROPIC_CUDA_CHECK(cudaStreamSynchronize(stream_));
  }

  AllocatorStats allocator_stats() const override {
    std::lock_guard lock(mutex_);
    return stats_;
  }

  void release_cached() override {
    std::lock_guard lock(mutex_);
    release_cached_locked();
  }

  std::string device_name() const override {
    const_cast<Runtime*>(this)->init();
    return name_;
  }

  cudaStream_t stream() {
    init();
    return stream_;
  }
  const GemmPath& gemm_path() {
    init();
    return gemm_;
  }
  // The GEMM of the KDE's Gram path (kde_gram.cuh): cuBLAS, created on the first call, as
  // measured (the tiled GEMM was never timed there); the shim has only the tiled kernel.
  const GemmPath& kde_gemm_path() {
    init();
#if !defined(ENTROPIC_CUDA_EMU)
    std::call_once(kde_gemm_once_, [this] {
      ENTROPIC_CUBLAS_CHECK(cublasCreate(&kde_gemm_.cublas));
      kde_gemm_.impl = GemmImpl::cublas;
    });
#endif
    return kde_gemm_;
  }
  // Device memory the KDE may take for one call's workspace: kKdeGramCapBytes, and on a GPU at
  // most half of what is free, so the n x n buffer never crowds out a training step.
  std::size_t kde_workspace_cap() {
    init();
#if defined(ENTROPIC_CUDA_EMU)
    return kKdeGramCapBytes;
#else
    std::size_t free_b = 0, total_b = 0;
    ENTROPIC_CUDA_CHECK(cudaMemGetInfo(&free_b, &total_b));
    return std::min(kKdeGramCapBytes, free_b / 2);
#endif
  }
  // kSumBlocks + 1 doubles: the reductions' partials and their result.
  double* scratch() {
    init();
    return scratch_;
  }
  double read_scalar(const double* device_value) {
    double v = 0;
    copy(&v, device_value, sizeof v, CopyKind::device_to_host);
    return v;
  }

 private:
  // On first use, not at registration: a program that never asks for cuda never touches the
  // driver, and one that does on a machine without a GPU gets this message.
  void init() {
    std::call_once(once_, [this] {
#if defined(ENTROPIC_CUDA_EMU)
      name_ = "CUDA-on-CPU emulation (tests)";
#else
      int count = 0;
      const cudaError_t e = cudaGetDeviceCount(&count);
      if (e != cudaSuccess || count == 0)
        fail("cuda: no CUDA device is visible (",
             e != cudaSuccess ? cudaGetErrorString(e) : "cudaGetDeviceCount found 0 devices",
             "); run on a machine with an NVIDIA GPU and its driver, or use --device cpu");
      cudaDeviceProp prop{};
      ENTROPIC_CUDA_CHECK(cudaGetDeviceProperties(&prop, 0));
      name_ = std::string(prop.name) + " (sm_" + std::to_string(prop.major) + std::to_string(prop.minor) + ")";
      ENTROPIC_CUDA_CHECK(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking));
      if (const char* g = std::getenv("ENTROPIC_GEMM"); g && std::strcmp(g, "cublas") == 0) {
        ENTROPIC_CUBLAS_CHECK(cublasCreate(&gemm_.cublas));
        gemm_.impl = GemmImpl::cublas;
        name_ += ", GEMM cuBLAS";
      }
#endif
      ENTROPIC_CUDA_CHECK(cudaMalloc(&scratch_, sizeof(double) * (kSumBlocks + 1)));
    });
  }
  void release_cached_locked() {
    for (auto& [size, p] : free_) (void)cudaFree(p);
    free_.clear();
    stats_.bytes_cached = 0;
  }

  std::once_flag once_;
  std::string name_;
  cudaStream_t stream_ = nullptr;
  GemmPath gemm_;
  std::once_flag kde_gemm_once_;
  GemmPath kde_gemm_;
  double* scratch_ = nullptr;
  mutable std::mutex mutex_;
  std::multimap<std::size_t, void*> free_;
  std::unordered_map<void*, std::size_t> sizes_;
  AllocatorStats stats_;
};

// Device memory for one call's temporaries, given back when the call returns, before its
// kernels have run: safe, as the allocator hands memory out again in stream order only.
template <class U>
class DeviceArray {
 public:
  DeviceArray(Runtime& rt, int64_t n) : rt_(rt), p_(static_cast<U*>(rt.allocate(sizeof(U) * std::size_t(n)))) {}
  ~DeviceArray() { rt_.deallocate(p_); }
  DeviceArray(const DeviceArray&) = delete;
  DeviceArray& operator=(const DeviceArray&) = delete;
  U* get() const { return p_; }

 private:
  Runtime& rt_;
  U* p_;
};

template <class T>
class Kernels final : public ops::CudaKernels<T> {
 public:
  explicit Kernels(Runtime& rt) : rt_(rt) {}

  void linear_forward(const T* x, const T* W, const T* b, T* y, int64_t M, int64_t N, int64_t K, Act act,
                      T slope) override {
    cuda::linear_forward(x, W, b, y, M, N, K, act, slope, rt_.gemm_path(), rt_.stream());
  }
  void linear_backward_input(const T* dy, const T* W, T* dx, int64_t M, int64_t N, int64_t K) override {
    cuda::linear_backward_input(dy, W, dx, M, N, K, rt_.gemm_path(), rt_.stream());
  }
  void linear_backward_weight(const T* dy, const T* x, T* dW, T* db, int64_t M, int64_t N, int64_t K) override {
    if (dW) detail::gemm<T, true, false>(rt_.gemm_path(), N, K, M, dy, x, T(0), dW, rt_.stream());
    if (db) column_sum(dy, db, M, N, false, rt_.stream());
  }

  void activation_forward(Act a, const T* x, T* y, int64_t n, T slope) override {
    act_forward(a, x, y, n, slope, rt_.stream());
  }
  void activation_backward(Act a, const T* dy, const T* s, T* dx, int64_t n, T slope) override {
    act_backward(a, dy, s, dx, n, slope, rt_.stream());
  }

  void batchnorm_forward_train(const T* x, const T* gamma, const T* beta, T* y, T* mean, T* rstd, T* running_mean,
                               T* running_var, int64_t rows, int64_t cols, double eps, double momentum) override {
    cuda::batchnorm_forward_train(x, gamma, beta, y, mean, rstd, running_mean, running_var, rows, cols, eps, momentum,
                                  rt_.stream());
  }
  void batchnorm_forward_eval(const T* x, const T* gamma, const T* beta, const T* running_mean, const T* running_var,
                              T* y, int64_t rows, int64_t cols, double eps) override {
    cuda::batchnorm_forward_eval(x, gamma, beta, running_mean, running_var, y, rows, cols, eps, rt_.stream());
  }
  void batchnorm_backward_train(const T* dy, const T* x, const T* mean, const T* rstd, const T* gamma, T* dx,
                                T* dgamma, T* dbeta, int64_t rows, int64_t cols) override {
    cuda::batchnorm_backward_train(dy, x, mean, rstd, gamma, dx, dgamma, dbeta, rows, cols, rt_.stream());
  }
  void batchnorm_backward_eval(const T* dy, const T* x, const T* gamma, const T* running_mean, const T* running_var,
                               T* dx, T* dgamma, T* dbeta, int64_t rows, int64_t cols, double eps) override {
    cuda::batchnorm_backward_eval(dy, x, gamma, running_mean, running_var, dx, dgamma, dbeta, rows, cols, eps,
                                  rt_.stream());
  }

  void maxout_forward(const T* x, T* y, int64_t rows, int64_t units, int64_t pieces) override {
    cuda::maxout_forward(x, y, rows, units, pieces, rt_.stream());
  }
  void maxout_backward(const T* dy, const T* x, T* dx, int64_t rows, int64_t units, int64_t pieces) override {
    cuda::maxout_backward(dy, x, dx, rows, units, pieces, rt_.stream());
  }

  double bce_with_logits_forward(const T* z, const T* t, int64_t n) override {
    double* s = rt_.scratch();
    cuda::bce_with_logits_forward(z, t, n, s + kSumBlocks, s, rt_.stream());
    return rt_.read_scalar(s + kSumBlocks);
  }
  void bce_with_logits_backward(const T* z, const T* t, T* dz, int64_t n, double scale) override {
    cuda::bce_with_logits_backward(z, t, dz, n, scale, rt_.stream());
  }
  void bce_with_logits_forward(const T* z, const T* t, int64_t n, T* loss) override {
    cuda::bce_with_logits_forward(z, t, n, loss, rt_.scratch(), rt_.stream());
  }
  void bce_with_logits_backward(const T* z, const T* t, T* dz, int64_t n, const T* dloss) override {
    cuda::bce_with_logits_backward(z, t, dz, n, dloss, rt_.stream());
  }

  double sum(const T* x, int64_t n) override {
    double* s = rt_.scratch();
    cuda::sum(x, n, s + kSumBlocks, s, rt_.stream());
    return rt_.read_scalar(s + kSumBlocks);
  }
  double sum_of_squares(const T* x, int64_t n) override {
    double* s = rt_.scratch();
    cuda::sum_of_squares(x, n, s + kSumBlocks, s, rt_.stream());
    return rt_.read_scalar(s + kSumBlocks);
  }
  void axpby(T alpha, const T* a, T beta, const T* b, T* out, int64_t n) override {
    cuda::axpby(alpha, a, beta, b, out, n, rt_.stream());
  }
  void map_forward(Map m, const T* x, T* y, int64_t n, T p0, T p1) override {
    cuda::map_forward(m, x, y, n, p0, p1, rt_.stream());
  }
  void map_backward(Map m, const T* dy, const T* x, const T* y, T* dx, int64_t n, T p0, T p1) override {
    cuda::map_backward(m, dy, x, y, dx, n, p0, p1, rt_.stream());
  }
  void binary(Binary op, T alpha, const T* a, const T* b, T* out, int64_t n) override {
    cuda::binary(op, alpha, a, b, out, n, rt_.stream());
  }

  // The KDE kernels: kde_dispatch.cuh's table picks one per shape and pass; the Gram path's
  // workspace comes from the caching allocator for the call.
  double kde_forward(const T* x, int64_t n, int64_t d, double sigma, bool leave_one_out, T* log_p,
                     T* row_lse) override {
    kde_forward_chosen(x, n, d, sigma, leave_one_out, log_p, row_lse);
    double* s = rt_.scratch();
    cuda::kde_entropy(log_p, n, s + kSumBlocks, s, rt_.stream());
    return rt_.read_scalar(s + kSumBlocks);
  }
  void kde_backward(const T* x, int64_t n, int64_t d, double sigma, bool leave_one_out, const T* row_lse, double dH,
                    T* dx) override {
    kde_backward_chosen(x, n, d, sigma, leave_one_out, row_lse, dH, dx);
  }
  void kde_forward(const T* x, int64_t n, int64_t d, double sigma, bool leave_one_out, T* log_p, T* row_lse,
                   T* H) override {
    kde_forward_chosen(x, n, d, sigma, leave_one_out, log_p, row_lse);
    cuda::kde_entropy(log_p, n, H, rt_.scratch(), rt_.stream());
  }
  void kde_backward(const T* x, int64_t n, int64_t d, double sigma, bool leave_one_out, const T* row_lse,
                    const T* dH, T* dx) override {
    kde_backward_chosen(x, n, d, sigma, leave_one_out, row_lse, dH, dx);
  }

  // The O(n^2 d) search; the n indices come back (entropy/knn.hpp checks them and sums H).
  void knn_search(const T* x, int64_t n, int64_t d, int k, int64_t* nn_index, T* rho) override {
    DeviceArray<T> dist(rt_, n * k);
    DeviceArray<int64_t> index(rt_, n);
    cuda::knn_distances(x, n, d, k, dist.get(), index.get(), rt_.stream());
    cuda::knn_kth_column(dist.get(), n, k, rho, rt_.stream());
    rt_.copy(nn_index, index.get(), sizeof(int64_t) * std::size_t(n), CopyKind::device_to_host);
  }
  int knn_max_k() const override { return kKnnMaxK; }
  void knn_backward(const T* x, int64_t n, int64_t d, double floor, const int64_t* nn_index, const T* rho, double dH,
                    T* dx) override {
    DeviceArray<int64_t> index(rt_, n);
    rt_.copy(index.get(), nn_index, sizeof(int64_t) * std::size_t(n), CopyKind::host_to_device);
    cuda::kl_entropy_backward(x, n, d, floor, index.get(), rho, dH, dx, rt_.stream());
  }

  void adam_update(T* w, const T* g, T* m, T* v, int64_t n, T step_size, T rbc2, T b1, T b2, T eps, T wd) override {
    if (n == 0) return;
    launch(adam_kernel<T>, elementwise_grid(n), dim3(kElementwiseThreads), 0, rt_.stream(), w, g, m, v, n, b1, b2,
           step_size, rbc2, eps, wd);
  }

 private:
  void kde_forward_chosen(const T* x, int64_t n, int64_t d, double sigma, bool leave_one_out, T* log_p, T* row_lse) {
    const KdePlan plan = kde_choose<T>(n, d, KdePass::forward, rt_.kde_workspace_cap());
    DeviceArray<T> work(rt_, std::max<int64_t>(1, kde_workspace_elements(plan, n)));
    cuda::kde_forward(plan, x, n, d, sigma, leave_one_out, log_p, row_lse, work.get(), rt_.kde_gemm_path(),
                      rt_.stream());
  }
  template <class DH>
  void kde_backward_chosen(const T* x, int64_t n, int64_t d, double sigma, bool leave_one_out, const T* row_lse,
                           DH dH, T* dx) {
    const KdePlan plan = kde_choose<T>(n, d, KdePass::backward, rt_.kde_workspace_cap());
    DeviceArray<T> work(rt_, std::max<int64_t>(1, kde_workspace_elements(plan, n)));
    cuda::kde_backward(plan, x, n, d, sigma, leave_one_out, row_lse, dH, dx, work.get(), rt_.kde_gemm_path(),
                       rt_.stream());
  }

  Runtime& rt_;
};

// Never destroyed: tensors held in static objects may outlive any destruction order we pick,
// and the driver may already be gone at exit.
inline bool register_backend() {
  auto* rt = new Runtime();
  cuda_runtime_slot() = rt;
  ops::cuda_kernels_slot<float>() = new Kernels<float>(*rt);
  ops::cuda_kernels_slot<double>() = new Kernels<double>(*rt);
  return true;
}

inline const bool backend_registered = register_backend();

}  // namespace entropic::cuda
