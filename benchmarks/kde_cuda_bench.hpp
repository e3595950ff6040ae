// The interface between bench_kde.cpp (g++) and bench_kde_cuda.cu (nvcc): plain C++, no CUDA
// types, so the host program needs no CUDA headers.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace kde_bench_cuda {

// The device's name and compute capability, or why there is none.
bool available(std::string& device_or_reason);

// Measured in this run (best of short runs, CUDA events): FP32 FMA GFLOP/s, SFU exps (__expf)
// per second / 1e9, DRAM bandwidth GB/s (float4 copy, read + write), TF32 wmma GFLOP/s
// (0 below sm_80).
struct Ceilings {
  double fma_gflops = 0, exp_gexps = 0, bw_gbs = 0, tf32_gflops = 0;
};
Ceilings measure_ceilings(bool quick);

// Versions 1..6 (benchmarks/kde_versions.cuh), then kLibrary: what the library itself runs
// (cuda/kde_dispatch.cuh's choice per shape and pass), timed as its own row; and their names.
inline constexpr int kLibrary = 0;
std::vector<int> versions();
std::string version_name(int version);
// The library's choice at (n, d) on this device, in words (forward and backward kernels).
std::string library_choice(int64_t n, int64_t d);

// Work per ordered pair (i, j), for the formulation the version executes: flops on the FP32
// cores, flops on the tensor cores, SFU exps, DRAM bytes of the n x n buffers (n matters to
// kLibrary only: its kernels depend on it).
struct PairWork {
  double fp32 = 0, tensor = 0, exps = 0, bytes = 0;
};
PairWork pair_work(int version, int64_t n, int64_t d, bool backward);

// One checking call (outputs copied back: log_p, row_lse, and dx when backward), then
// `repeats` timed calls (ms into times; fewer when they would pass ~10 s, at least 3; none when
// repeats = 0). Returns false, and why, when the version can't run here (capability, memory).
bool run(int version, const float* x, int64_t n, int64_t d, double sigma, bool backward, int repeats, float* log_p,
         float* row_lse, float* dx, std::vector<double>& times, std::string& why_not);

}  // namespace kde_bench_cuda
