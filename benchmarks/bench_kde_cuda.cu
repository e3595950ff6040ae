// The CUDA side of bench_kde (compiled by nvcc only when CMake finds it; see bench_kde.cpp for
// the checking and the reporting, and benchmarks/kde_versions.cuh for the versions
// and why the losers lose). Only the device work lives here: the ceilings, uploading x, running
// a version, copying its results back, timing with CUDA events.
#include <cuda_runtime.h>

#include <algorithm>
#include <string>
#include <vector>

#include "entropic/cuda/kde_dispatch.cuh"
#include "kde_versions.cuh"
#include "kde_cuda_bench.hpp"

namespace kde_bench_cuda {

namespace kv = entropic::cuda::kde_versions;
namespace ec = entropic::cuda;

namespace {

cudaDeviceProp props() {
  cudaDeviceProp p{};
  ENTROPIC_CUDA_CHECK(cudaGetDeviceProperties(&p, 0));
  return p;
}

template <class T>
struct DevMem {
  T* p = nullptr;
  explicit DevMem(size_t count) { ENTROPIC_CUDA_CHECK(cudaMalloc(&p, sizeof(T) * std::max<size_t>(count, 1))); }
  DevMem(const DevMem&) = delete;
  DevMem& operator=(const DevMem&) = delete;
  ~DevMem() { cudaFree(p); }
};

struct Events {
  cudaEvent_t a = nullptr, b = nullptr;
  Events() {
    ENTROPIC_CUDA_CHECK(cudaEventCreate(&a));
    ENTROPIC_CUDA_CHECK(cudaEventCreate(&b));
  }
  ~Events() {
    cudaEventDestroy(a);
    cudaEventDestroy(b);
  }
  // ms of fn() on stream s
  template <class F>
  double time(cudaStream_t s, F&& fn) {
    ENTROPIC_CUDA_CHECK(cudaEventRecord(a, s));
    fn();
    ENTROPIC_CUDA_CHECK(cudaEventRecord(b, s));
    ENTROPIC_CUDA_CHECK(cudaEventSynchronize(b));
    float ms = 0;
    ENTROPIC_CUDA_CHECK(cudaEventElapsedTime(&ms, a, b));
    return double(ms);
  }
};

// Work per second of fn (which returns the work it launched): the best of `runs` after a warm-up.
template <class F>
double best_rate(cudaStream_t s, int runs, F&& fn) {
  Events ev;
  double work = 0;
  ev.time(s, [&] { work = fn(); });
  double best = 0;
  for (int r = 0; r < runs; ++r) {
    const double ms = ev.time(s, [&] { work = fn(); });
    best = std::max(best, work / (ms * 1e-3));
  }
  return best;
}

}  // namespace

bool available(std::string& device_or_reason) {
  int count = 0;
  const cudaError_t e = cudaGetDeviceCount(&count);
  if (e != cudaSuccess || count == 0) {
    device_or_reason = e != cudaSuccess ? cudaGetErrorString(e) : "no CUDA device";
    return false;
  }
  const cudaDeviceProp p = props();
  device_or_reason = std::string(p.name) + ", sm_" + std::to_string(p.major) + std::to_string(p.minor) + ", " +
                     std::to_string(p.multiProcessorCount) + " SMs, " +
                     std::to_string(p.totalGlobalMem >> 20) + " MiB";
  return true;
}

Ceilings measure_ceilings(bool quick) {
  const cudaDeviceProp p = props();
  const int sms = p.multiProcessorCount, runs = quick ? 2 : 10;
  cudaStream_t s = nullptr;
  ENTROPIC_CUDA_CHECK(cudaStreamCreate(&s));
  Ceilings c;
  {
    const int blocks = sms * 8, threads = 256;
    DevMem<float> out(size_t(blocks) * threads);
    c.fma_gflops = best_rate(s, runs, [&] { return kv::fma_rate(blocks, threads, quick ? 2000 : 200000, out.p, s); }) / 1e9;
    c.exp_gexps = best_rate(s, runs, [&] { return kv::exp_rate(blocks, threads, quick ? 200 : 20000, out.p, s); }) / 1e9;
  }
  {
    const int64_t count = (int64_t(quick ? 64 : 512) << 20) / 16;  // float4s a buffer
    DevMem<float4> in{size_t(count)}, out{size_t(count)};
    ENTROPIC_CUDA_CHECK(cudaMemsetAsync(in.p, 0, sizeof(float4) * size_t(count), s));
    c.bw_gbs = best_rate(s, runs, [&] { return kv::copy(in.p, out.p, count, sms * 16, s); }) / 1e9;
  }
  if (p.major >= 8) {
    const int blocks = sms * 4, threads = 256;
    DevMem<float> out(size_t(blocks) * threads / 32 * 1024);
    c.tf32_gflops = best_rate(s, runs, [&] { return kv::tf32_rate(blocks, threads, quick ? 500 : 50000, out.p, s); }) / 1e9;
  }
  ENTROPIC_CUDA_CHECK(cudaStreamSynchronize(s));
  cudaStreamDestroy(s);
  return c;
}

std::vector<int> versions() {
  std::vector<int> v;
  for (int i = kv::kFirst; i <= kv::kLast; ++i) v.push_back(i);
  v.push_back(kLibrary);
  return v;
}
std::string version_name(int version) { return version == kLibrary ? "library" : kv::name(version); }

namespace {
// What the backend would take for its workspace here (cuda/backend.cuh, kde_workspace_cap).
std::size_t library_cap() {
  std::size_t free_b = 0, total_b = 0;
  ENTROPIC_CUDA_CHECK(cudaMemGetInfo(&free_b, &total_b));
  return std::min(ec::kKdeGramCapBytes, free_b / 2);
}
ec::KdePlan library_plan(int64_t n, int64_t d, bool backward, std::size_t cap) {
  return ec::kde_choose<float>(n, d, backward ? ec::KdePass::backward : ec::KdePass::forward, cap);
}
// The numbered version whose work a library kernel does.
int as_version(ec::KdeKernel k) {
  switch (k) {
    case ec::KdeKernel::tiles: return 2;
    case ec::KdeKernel::warp: return 3;
    case ec::KdeKernel::gram: return 4;
  }
  return 2;
}
}  // namespace

std::string library_choice(int64_t n, int64_t d) {
  const std::size_t cap = library_cap();
  const ec::KdePlan f = library_plan(n, d, false, cap), b = library_plan(n, d, true, cap);
  auto str = [](const ec::KdePlan& p) {
    return std::string(ec::kde_kernel_name(p.kernel)) +
           (p.kernel == ec::KdeKernel::gram ? " (" + std::to_string(p.block_rows) + " rows a block)" : "");
  };
  return "forward " + str(f) + ", backward " + str(b);
}

PairWork pair_work(int version, int64_t n, int64_t d, bool backward) {
  if (version == kLibrary) {  // the forward's kernel, plus what the backward's adds to its own forward
    const std::size_t cap = library_cap();
    const int vf = as_version(library_plan(n, d, false, cap).kernel);
    PairWork w = pair_work(vf, n, d, false);
    if (backward) {
      const int vb = as_version(library_plan(n, d, true, cap).kernel);
      const PairWork fb = pair_work(vb, n, d, true), f = pair_work(vb, n, d, false);
      w.fp32 += fb.fp32 - f.fp32, w.tensor += fb.tensor - f.tensor, w.exps += fb.exps - f.exps,
          w.bytes += fb.bytes - f.bytes;
    }
    return w;
  }
  const double dd = double(d), d8 = double((d + 7) / 8 * 8);  // wmma k-steps of 8, zero-padded
  PairWork w;
  switch (version) {
    case 1:
    case 2:
    case 3:  // difference form: 3d distance, scale, sum; backward: distance again, 2 shifts + add, 3d accumulate
      w = {3 * dd + 2, 0, 1, 0};
      if (backward) w.fp32 += 6 * dd + 4, w.exps += 2;
      break;
    case 4:  // GEMM 2d, 2 adds + max + scale, sum; G written and read back (8 bytes)
      w = {2 * dd + 5, 0, 1, 8};
      // G again (GEMM 2d, written), weights (2 adds, max, scale, 2 shifts, add, sum), G read,
      // A written and read by the GEMM, GEMM 2d
      if (backward) w.fp32 += 4 * dd + 8, w.exps += 2, w.bytes += 16;
      break;
    case 5:
    case 6: {  // tensor dot products; FP32: 2 adds, mul, max, scale, sum
      const double mmas = version == 6 ? 3 : 1;
      w = {6, 2 * d8 * mmas, 1, 0};
      if (backward) w.fp32 += 6 + 3 + 3 * dd, w.tensor += 2 * d8 * mmas, w.exps += 2;
      break;
    }
  }
  return w;
}

bool run(int version, const float* x, int64_t n, int64_t d, double sigma, bool backward, int repeats, float* log_p,
         float* row_lse, float* dx, std::vector<double>& times, std::string& why_not) {
  const cudaDeviceProp p = props();
  if ((version == 5 || version == 6) && p.major < 8) return why_not = "needs sm_80+ (TF32 tensor cores)", false;
  const bool library = version == kLibrary;
  const std::size_t cap = library ? library_cap() : 0;
  const ec::KdePlan fplan = library ? library_plan(n, d, false, cap) : ec::KdePlan{},
                    bplan = library ? library_plan(n, d, true, cap) : ec::KdePlan{};
  const int64_t ws_floats = library ? std::max(ec::kde_workspace_elements(fplan, n), ec::kde_workspace_elements(bplan, n))
                                    : kv::workspace_floats(version, n);
  size_t free_b = 0, total_b = 0;
  ENTROPIC_CUDA_CHECK(cudaMemGetInfo(&free_b, &total_b));
  const double need = 4.0 * double(ws_floats + 2 * n * d + 2 * n);
  if (need > 0.9 * double(free_b))
    return why_not = "needs " + std::to_string(int64_t(need / 1048576)) + " MiB of device memory, " +
                     std::to_string(int64_t(free_b >> 20)) + " MiB free",
           false;
  times.clear();
  DevMem<float> gx{size_t(n * d)}, gdx{size_t(n * d)}, glp{size_t(n)}, glse{size_t(n)}, gws{size_t(ws_floats)};
  ENTROPIC_CUDA_CHECK(cudaMemcpy(gx.p, x, sizeof(float) * size_t(n * d), cudaMemcpyHostToDevice));
  cudaStream_t s = nullptr;
  ENTROPIC_CUDA_CHECK(cudaStreamCreate(&s));
  kv::Workspace ws;
  ec::GemmPath lib_path;  // the library's: cuBLAS, as the backend's kde_gemm_path
  if (library) {
    ENTROPIC_CUBLAS_CHECK(cublasCreate(&ws.cublas));
    lib_path.impl = ec::GemmImpl::cublas, lib_path.cublas = ws.cublas;
  } else if (version == 4) {
    ENTROPIC_CUBLAS_CHECK(cublasCreate(&ws.cublas));
    ws.gram = gws.p;
  } else if (version >= 5) {
    ws.sq = gws.p;
  }
  auto call = [&] {
    if (library) {
      ec::kde_forward(fplan, gx.p, n, d, sigma, false, glp.p, glse.p, gws.p, lib_path, s);
      if (backward) ec::kde_backward(bplan, gx.p, n, d, sigma, false, glse.p, 1.0, gdx.p, gws.p, lib_path, s);
      return;
    }
    kv::forward(version, gx.p, n, d, sigma, false, glp.p, glse.p, ws, s);
    if (backward) kv::backward(version, gx.p, n, d, sigma, false, glse.p, 1.0, gdx.p, ws, s);
  };
  Events ev;
  const double first = ev.time(s, call);
  ENTROPIC_CUDA_CHECK(cudaMemcpy(log_p, glp.p, sizeof(float) * size_t(n), cudaMemcpyDeviceToHost));
  ENTROPIC_CUDA_CHECK(cudaMemcpy(row_lse, glse.p, sizeof(float) * size_t(n), cudaMemcpyDeviceToHost));
  if (backward) ENTROPIC_CUDA_CHECK(cudaMemcpy(dx, gdx.p, sizeof(float) * size_t(n * d), cudaMemcpyDeviceToHost));
  if (repeats > 0) {
    const int reps = std::max(std::min(repeats, 3), std::min(repeats, int(10e3 / std::max(first, 1e-3))));
    ev.time(s, call);  // warm-up (the checking call was the first)
    for (int r = 0; r < reps; ++r) times.push_back(ev.time(s, call));
  }
  if (ws.cublas) cublasDestroy(ws.cublas);
  cudaStreamDestroy(s);
  return true;
}

}  // namespace kde_bench_cuda
