// KDE entropy micro-benchmark: every kernel version, checked against a float64 reference on
// the same input, then timed, against the machine's measured ceilings and the peers.
//
//   bench_kde [--device cpu|cuda] [--n 1024,4096,16384] [--d 2,64,784] [--versions all|best|1,3]
//             [--repeats R] [--csv FILE] [--quick] [--no-peers]
//   bench_kde --quick                     CI smoke run: exits 1 if any version is WRONG
//   bench_kde --n 4096 --csv kde.csv      also writes kde.png (titled, labelled, with a legend)
//                                         and kde.png.legend.txt (the same key as text) beside it
//
// Input: x (n, d) float32 ~ N(0, 1), sigma = 0.5 sqrt(d), self term included (leave_one_out =
// false, as the trainer calls it), dH = 1. Passes: "fwd" = all log p and H; "fwd+bwd" = fwd
// then dH/dx (the same work the trainer does per step).
//
// CPU versions (the numbers; include/entropic/cpu/kde.hpp calls v2 and v3 "v1 streaming"
// and "v2 GEMM", numbered before the naive loop existed):
//   v1 naive     this file: double loop over (i, j) rows in parallel, std::exp, two exps per
//                pair in backward. Loses: scalar exp and no register tiling. Skipped where it
//                would take more than a few seconds.
//   v2 streaming cpu::kde_forward / kde_backward: online log-sum-exp over cache tiles, never
//                the n x n matrix; difference form for d <= 8 (exp bound), fused dot-form
//                register tiles for d > 8 (FMA bound); the fast vectorised exp. Forward (with
//                the self term) and backward for d > 8: 64 x 64 blocks J >= I only
//                (e_kj = e_jk, a_kj = a_jk), each added to both sides.
//   v3 GEMM      cpu::kde_forward_gemm / kde_backward_gemm: Gram blocks through cpu::gemm,
//                materialised. Loses: the n x n blocks' memory round trip, and the backward
//                needs a second GEMM; never wins at small d.
// CUDA (--device cuda, built only when CMake finds nvcc; benchmarks/bench_kde_cuda.cu runs the
// kernels of benchmarks/kde_versions.cuh, whose header says why each loser loses):
//   v1 thread-row  one thread per row, plain loops; backward accumulates dx in global memory
//   v2 tiles       the library's tiles (cuda/kde.cuh): shared-memory tiles, online log-sum-exp
//   v3 warp        a warp per 8 rows, lanes split j, shuffle merges (forward: the library's,
//                  cuda/kde_warp.cuh); backward lanes split d
//   v4 cublas      the library's Gram path (cuda/kde_gram.cuh) as one block: |x|^2, cublasSgemm
//                  X X^T into n x n, elementwise log-sum-exp; backward G again, weights in
//                  place, a second Sgemm (A X), dx = scale (rowsum(A) x - A X)
//   v5 tf32        fused wmma TF32 distance tiles, online log-sum-exp (sm_80+); reported WRONG
//                  (and not timed) where TF32's 10-bit mantissa breaks the check
//   v6 3xtf32      v5 with hi/lo operand splitting: three MMAs, FP32-level accuracy
//   library        what the library runs (cuda/kde_dispatch.cuh picks a kernel per shape and
//                  pass; the line under its check says which); `--versions best` is this row
//   bench_kde --device cuda --n 16384 --d 2,64,784 --csv kde-cuda.csv
// GPU ceilings, measured in the same run (best of 10, CUDA events): FP32 FMA chains, __expf
// (SFU) chains, a float4 copy (DRAM bandwidth), TF32 wmma MMAs. Work per pair is counted per
// unit (FP32 flops, tensor flops, exps, bytes of the n x n buffers of v4); the units run
// concurrently, so t_ceiling = max over units of work / rate, pct_of_ceiling = t_ceiling / time,
// and GFLOP/s counts FP32 + tensor flops. GPU peers (kde_peers.py --device cuda): PyTorch CUDA
// (torch.cdist and the GEMM form, logsumexp, autograd) and KeOps (LazyTensor logsumexp), each
// skipped with the reason when it can't be imported or sees no GPU.
//
// Checking: each version runs once and is compared with a float64 reference (difference form,
// std::exp) on the same x: log p per element (|a - r| <= 1e-3 + 1e-5 |r|), H, and dx per
// element (|a - r| <= 1e-3 max|r| + 1e-3 |r|). The reference costs n^2 d in double: up to
// n^2 d = 2^32 (n = 4096 at d = 64) it is computed for every row; above, for 256 evenly spaced rows (log p) and for
// those rows' dx using the version's own row_lse for the other rows (whose forward was checked
// on the sample), and H is not checked. A version that disagrees is printed WRONG and not timed.
//
// Timing: one warm-up call, then R calls (fewer when R calls would exceed ~10 s, at least 3);
// median, min, max in ms. x stays the same (12.8 MB at n = 4096, d = 784: L3-resident, as in
// training). The machine is shared: the load average is printed before and after.
//
// Ceilings, measured in this run (best of 30 short runs, float): the FMA peak (register-only
// FMA loop) and the throughput of the library's vectorised exp, each on one thread and on all
// threads at once; the ceiling used is the larger of all-at-once and threads x one-thread (on
// this shared machine the all-at-once figure mostly measures the other users). Work per pair is counted for the formulation
// each version executes (difference form: 3d flops per distance; dot form: 2d + 3), plus the
// scale, the sum and the weights, with each exp counted as one exp (not as flops). GFLOP/s is
// flops / time. The exp is built from the same FMA-pipe instructions, so the bound is
// t_ceiling = flops / FMA peak + exps / exp rate, and pct_of_ceiling = t_ceiling / time.
//
// Peers (benchmarks/peers/kde_peers.py, one long-lived /usr/bin/python3, or $ENTROPIC_PYTHON,
// fed the same x through a file, run right after our versions at each size): PyTorch
// torch.cdist and the GEMM form |x|^2 + |y|^2 - 2 x y^T, then logsumexp, autograd for the
// backward; scikit-learn KernelDensity(...).fit(x).score_samples(x) for the forward. Printed as
// peer / our best.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <numbers>
#include <string>
#include <vector>

#include <sys/stat.h>
#include <unistd.h>

#include "common.hpp"
#include "kde/ceilings.hpp"
#include "kde/check.hpp"
#include "kde/peers.hpp"
#include "kde/report.hpp"
#include "kde/work.hpp"
#include "entropic/core/parallel.hpp"
#include "entropic/core/rng.hpp"
#include "entropic/cpu/gemm.hpp"
#include "entropic/cpu/kde.hpp"
#include "entropic/io/font.hpp"
#include "entropic/io/png.hpp"
#include "entropic_tools/cli.hpp"

#if defined(ENTROPIC_BENCH_KDE_CUDA)
#include "kde_cuda_bench.hpp"  // benchmarks/bench_kde_cuda.cu (nvcc)
#endif

namespace {

using namespace entropic;
using bench::Clock;
using bench::load_average;
using bench::seconds_since;

using bench::Stats;
using bench::summarise;
using namespace bench::kde;

// ---- versions ----------------------------------------------------------------------------------

// v1 naive: rows in parallel, every pair by a plain double loop.
double naive_forward(const float* x, int64_t n, int64_t d, double sigma, float* log_p, float* row_lse) {
  const float c = float(-0.5 / (sigma * sigma));
  parallel_for(n, 16, [&](int64_t i0, int64_t i1) {
    std::vector<float> e(static_cast<size_t>(n));
    for (int64_t i = i0; i < i1; ++i) {
      float m = -INFINITY;
      for (int64_t j = 0; j < n; ++j) {
        float d2 = 0;
        for (int64_t k = 0; k < d; ++k) {
          const float t = x[i * d + k] - x[j * d + k];
          d2 += t * t;
        }
        e[size_t(j)] = c * d2;
        m = std::max(m, e[size_t(j)]);
      }
      float s = 0;
      for (int64_t j = 0; j < n; ++j) s += std::exp(e[size_t(j)] - m);
      row_lse[i] = m + std::log(s);
    }
  });
  const double ln = log_norm(n, d, sigma);
  double h = 0;
  for (int64_t i = 0; i < n; ++i) log_p[i] = float(row_lse[i] - ln), h -= double(log_p[i]);
  return h / double(n);
}

void naive_backward(const float* x, int64_t n, int64_t d, double sigma, const float* row_lse, float dH,
                    float* dx) {
  const float c = float(-0.5 / (sigma * sigma)), scale = float(dH / (double(n) * sigma * sigma));
  parallel_for(n, 16, [&](int64_t k0, int64_t k1) {
    std::vector<float> g(static_cast<size_t>(d));
    for (int64_t k = k0; k < k1; ++k) {
      std::fill(g.begin(), g.end(), 0.0f);
      for (int64_t j = 0; j < n; ++j) {
        float d2 = 0;
        for (int64_t q = 0; q < d; ++q) {
          const float t = x[k * d + q] - x[j * d + q];
          d2 += t * t;
        }
        const float a = std::exp(c * d2 - row_lse[k]) + std::exp(c * d2 - row_lse[j]);
        for (int64_t q = 0; q < d; ++q) g[size_t(q)] += a * (x[k * d + q] - x[j * d + q]);
      }
      for (int64_t q = 0; q < d; ++q) dx[k * d + q] = scale * g[size_t(q)];
    }
  });
}

struct Version {
  int id;
  const char* name;
  double (*fwd)(const float*, int64_t, int64_t, double, float*, float*);
  void (*bwd)(const float*, int64_t, int64_t, double, const float*, float, float*);
  double max_work;  // n^2 (d + 16) above which it is skipped as too slow (0: never)
};

const std::vector<Version>& cpu_versions() {
  static const std::vector<Version> v = {
      {1, "v1 naive", naive_forward, naive_backward, 5.0e8},
      {2, "v2 streaming",
       [](const float* x, int64_t n, int64_t d, double s, float* lp, float* l) {
         return cpu::kde_forward(x, n, d, s, false, lp, l);
       },
       [](const float* x, int64_t n, int64_t d, double s, const float* l, float dH, float* dx) {
         cpu::kde_backward(x, n, d, s, false, l, dH, dx);
       },
       0},
      {3, "v3 gemm",
       [](const float* x, int64_t n, int64_t d, double s, float* lp, float* l) {
         return cpu::kde_forward_gemm(x, n, d, s, false, lp, l);
       },
       [](const float* x, int64_t n, int64_t d, double s, const float* l, float dH, float* dx) {
         cpu::kde_backward_gemm(x, n, d, s, false, l, dH, dx);
       },
       0},
  };
  return v;
}
constexpr int kBestCpu = 2;

// Warm-up, then up to `repeats` samples (fewer when they would pass budget_s; at least 3).
template <class F>
Stats time_ms(F&& fn, int repeats, double budget_s) {
  auto t0 = Clock::now();
  fn();
  const double first = seconds_since(t0);
  const int reps = std::max(std::min(repeats, 3), std::min(repeats, int(budget_s / std::max(first, 1e-6))));
  std::vector<double> t;
  for (int r = 0; r < reps; ++r) {
    t0 = Clock::now();
    fn();
    t.push_back(seconds_since(t0) * 1e3);
  }
  return summarise(t);
}

// ---- main --------------------------------------------------------------------------------------

struct Options {
  std::vector<int64_t> ns, ds;
  std::vector<int> versions;  // empty: all
  bool best = false, quick = false, peers = true;
  int repeats = 7;
  std::string csv;
};

int run_cpu(const Options& o, std::vector<Row>& rows) {
  const int threads = num_threads();
  std::printf("load average before: %s (%d threads)\n", load_average().c_str(), threads);
  // The bounding ceiling is the larger of the all-threads figure and threads x the one-thread
  // figure: on a shared machine the first is usually below what the cores can do.
  const Rate fma = best_rate(fma_loop, o.quick ? 200'000 : 1'000'000, o.quick ? 5 : 30);
  const Rate ex = best_rate(exp_loop, o.quick ? 20'000 : 100'000, o.quick ? 5 : 30);
  Ceilings ceil;
  ceil.fma_gflops = std::max(fma.all, threads * fma.one) / 1e9;
  ceil.exp_gexps = std::max(ex.all, threads * ex.one) / 1e9;
  std::printf("ceilings, float, best of short runs: FMA %.1f GFLOP/s on 1 thread, %.1f on %d at once; "
              "vectorised exp %.2f Gexp/s on 1 thread, %.2f on %d at once\n",
              fma.one / 1e9, fma.all / 1e9, threads, ex.one / 1e9, ex.all / 1e9, threads);
  std::printf("bounding ceilings used: FMA %.1f GFLOP/s, exp %.2f Gexp/s\n", ceil.fma_gflops, ceil.exp_gexps);

  std::vector<const Version*> vs;
  for (const Version& v : cpu_versions())
    if (o.best ? v.id == kBestCpu
               : o.versions.empty() || std::find(o.versions.begin(), o.versions.end(), v.id) != o.versions.end())
      vs.push_back(&v);

  Peers* peers = nullptr;
  std::unique_ptr<Peers> peers_owner;
  if (o.peers) {
    peers_owner = std::make_unique<Peers>(o.repeats);
    peers = peers_owner.get();
    for (const auto& note : peers->notes()) std::printf("%s\n", note.c_str());
  }

  bool all_ok = true;
  const double budget = o.quick ? 1.0 : 10.0;
  for (int64_t d : o.ds)
    for (int64_t n : o.ns) {
      std::vector<float> x(static_cast<size_t>(n * d));
      Rng(uint64_t(n) * 1000 + uint64_t(d)).fill_normal(x.data(), n * d);
      const double sigma = 0.5 * std::sqrt(double(d));
      auto t0 = Clock::now();
      const Reference R = make_reference(x, n, d, sigma, true);
      std::printf("\nn %lld d %lld sigma %.3g: float64 reference on %s (%.1f s)\n", (long long)n, (long long)d,
                  sigma, R.full ? "all rows, H and dx" : "256 rows (log p, dx); H not checked", seconds_since(t0));
      std::map<Pass, double> best_ms;
      for (const Version* v : vs) {
        if (v->max_work > 0 && double(n) * double(n) * double(d + 16) > v->max_work) {
          std::printf("  %-13s skipped (too slow)\n", v->name);
          continue;
        }
        Outputs out;
        out.log_p.resize(size_t(n)), out.lse.resize(size_t(n)), out.dx.resize(size_t(n * d));
        out.H = v->fwd(x.data(), n, d, sigma, out.log_p.data(), out.lse.data());
        v->bwd(x.data(), n, d, sigma, out.lse.data(), 1.0f, out.dx.data());
        std::string summary;
        if (!check_version(v->name, R, out, x, n, d, sigma, true, summary)) {
          std::printf("  %-13s WRONG (%s): not timed\n", v->name, summary.c_str());
          all_ok = false;
          continue;
        }
        std::printf("  %-13s ok (%s)\n", v->name, summary.c_str());
        for (Pass pass : {Pass::Fwd, Pass::FwdBwd}) {
          const Stats t = time_ms(
              [&] {
                v->fwd(x.data(), n, d, sigma, out.log_p.data(), out.lse.data());
                if (pass == Pass::FwdBwd) v->bwd(x.data(), n, d, sigma, out.lse.data(), 1.0f, out.dx.data());
              },
              o.repeats, budget);
          const Work w = pair_work(v->id, d, pass);
          const double pairs = double(n) * double(n);
          const double gflops = pairs * w.flops / (t.median * 1e-3) / 1e9;
          const double t_ceil = pairs * (w.flops / (ceil.fma_gflops * 1e9) + w.exps / (ceil.exp_gexps * 1e9));
          const double pct = 100 * t_ceil / (t.median * 1e-3);
          std::printf("    %-8s %9.2f ms (%.2f-%.2f)  %6.2f Gpairs/s  %6.1f GFLOP/s  %5.1f%% of ceiling (%s-bound)\n",
                      pass_name(pass), t.median, t.min, t.max, pairs / (t.median * 1e-3) / 1e9, gflops, pct,
                      w.flops / ceil.fma_gflops > w.exps / ceil.exp_gexps ? "FMA" : "exp");
          rows.push_back({"cpu", v->name, n, d, pass, t, gflops, pct});
          if (!best_ms.count(pass) || t.median < best_ms[pass]) best_ms[pass] = t.median;
        }
      }
      if (peers) run_peers(*peers, "cpu", x, n, d, sigma, R, best_ms, rows);
    }
  std::printf("\nload average after: %s\n", load_average().c_str());
  std::printf("flops counted per pair for the formulation each version runs; exps counted apart; ceiling time = "
              "flops / FMA peak + exps / exp rate (see the header of benchmarks/bench_kde.cpp).\n");
  return all_ok ? 0 : 1;
}

// `--versions best` on the GPU: what the library chooses (cuda/kde_dispatch.cuh).
constexpr int kBestCuda = kde_bench_cuda::kLibrary;

int run_cuda(const Options& o, std::vector<Row>& rows) {
#if defined(ENTROPIC_BENCH_KDE_CUDA)
  std::string dev;
  if (!kde_bench_cuda::available(dev)) {
    std::printf("bench_kde --device cuda: no usable GPU (%s); nothing measured. Skipped (exit 77).\n", dev.c_str());
    return 77;
  }
  std::printf("device: %s\n", dev.c_str());
  const kde_bench_cuda::Ceilings ceil = kde_bench_cuda::measure_ceilings(o.quick);
  std::printf("ceilings, float, best of short runs: FMA %.0f GFLOP/s, SFU exp %.0f Gexp/s, DRAM copy %.0f GB/s, "
              "TF32 wmma %.0f GFLOP/s%s\n",
              ceil.fma_gflops, ceil.exp_gexps, ceil.bw_gbs, ceil.tf32_gflops,
              ceil.tf32_gflops > 0 ? "" : " (below sm_80)");
  std::vector<int> vs;
  for (int v : kde_bench_cuda::versions())
    if (o.best ? v == kBestCuda : o.versions.empty() || std::find(o.versions.begin(), o.versions.end(), v) != o.versions.end())
      vs.push_back(v);

  std::unique_ptr<Peers> peers;
  if (o.peers) {
    peers = std::make_unique<Peers>(o.repeats, "cuda");
    for (const auto& note : peers->notes()) std::printf("%s\n", note.c_str());
  }

  bool all_ok = true;
  for (int64_t d : o.ds)
    for (int64_t n : o.ns) {
      std::vector<float> x(static_cast<size_t>(n * d));
      Rng(uint64_t(n) * 1000 + uint64_t(d)).fill_normal(x.data(), n * d);
      const double sigma = 0.5 * std::sqrt(double(d));
      auto t0 = Clock::now();
      const Reference R = make_reference(x, n, d, sigma, true);
      std::printf("\nn %lld d %lld sigma %.3g: float64 reference on %s (%.1f s)\n", (long long)n, (long long)d,
                  sigma, R.full ? "all rows, H and dx" : "256 rows (log p, dx); H not checked", seconds_since(t0));
      std::map<Pass, double> best_ms;
      for (int v : vs) {
        const std::string name = kde_bench_cuda::version_name(v);
        Outputs out;
        out.log_p.resize(size_t(n)), out.lse.resize(size_t(n)), out.dx.resize(size_t(n * d));
        std::vector<double> times;
        std::string why;
        if (!kde_bench_cuda::run(v, x.data(), n, d, sigma, true, 0, out.log_p.data(), out.lse.data(), out.dx.data(),
                                 times, why)) {
          std::printf("  %-13s skipped (%s)\n", name.c_str(), why.c_str());
          continue;
        }
        out.H = 0;
        for (float lp : out.log_p) out.H -= double(lp);
        out.H /= double(n);
        std::string summary;
        if (!check_version(name.c_str(), R, out, x, n, d, sigma, true, summary)) {
          std::printf("  %-13s WRONG (%s): not timed\n", name.c_str(), summary.c_str());
          all_ok = false;
          continue;
        }
        std::printf("  %-13s ok (%s)\n", name.c_str(), summary.c_str());
        if (v == kde_bench_cuda::kLibrary)
          std::printf("  %-13s chooses %s\n", "", kde_bench_cuda::library_choice(n, d).c_str());
        for (Pass pass : {Pass::Fwd, Pass::FwdBwd}) {
          kde_bench_cuda::run(v, x.data(), n, d, sigma, pass == Pass::FwdBwd, o.repeats, out.log_p.data(),
                              out.lse.data(), out.dx.data(), times, why);
          const Stats t = summarise(times);
          const kde_bench_cuda::PairWork w = kde_bench_cuda::pair_work(v, n, d, pass == Pass::FwdBwd);
          const double pairs = double(n) * double(n);
          const double gflops = pairs * (w.fp32 + w.tensor) / (t.median * 1e-3) / 1e9;
          // the units run concurrently: the slowest one bounds the time
          struct Unit {
            const char* name;
            double s;
          };
          const Unit units[] = {{"FMA", pairs * w.fp32 / (ceil.fma_gflops * 1e9)},
                                {"SFU", pairs * w.exps / (ceil.exp_gexps * 1e9)},
                                {"DRAM", pairs * w.bytes / (ceil.bw_gbs * 1e9)},
                                {"TF32", ceil.tf32_gflops > 0 ? pairs * w.tensor / (ceil.tf32_gflops * 1e9) : 0}};
          const Unit* bound = &units[0];
          for (const Unit& u : units)
            if (u.s > bound->s) bound = &u;
          const double pct = 100 * bound->s / (t.median * 1e-3);
          std::printf("    %-8s %9.3f ms (%.3f-%.3f)  %7.2f Gpairs/s  %8.1f GFLOP/s  %5.1f%% of ceiling (%s-bound)\n",
                      pass_name(pass), t.median, t.min, t.max, pairs / (t.median * 1e-3) / 1e9, gflops, pct,
                      bound->name);
          rows.push_back({"cuda", name, n, d, pass, t, gflops, pct});
          if (!best_ms.count(pass) || t.median < best_ms[pass]) best_ms[pass] = t.median;
        }
      }
      if (peers) run_peers(*peers, "cuda", x, n, d, sigma, R, best_ms, rows);
    }
  std::printf("\nwork counted per pair and per unit (FP32 flops, tensor flops, SFU exps, DRAM bytes of n x n buffers); "
              "ceiling time = the slowest unit's work / its measured rate (see the header of benchmarks/bench_kde.cpp).\n");
  return all_ok ? 0 : 1;
#else
  (void)o, (void)rows;
  std::printf("bench_kde --device cuda: this build has no CUDA (CMake did not find nvcc when it configured "
              "benchmarks/); nothing measured. Skipped (exit 77).\n");
  return 77;
#endif
}

}  // namespace

int main(int argc, char** argv) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);  // progress shows up line by line when redirected
  return cli::main_guard("bench_kde", [&] {
    cli::Args a("bench_kde", "KDE entropy kernels: every version checked against float64, timed, vs ceilings and peers");
    a.option("device", "cpu", "cpu or cuda")
        .option("n", "1024,4096,16384", "sample sizes")
        .option("d", "2,64,784", "dimensions")
        .option("versions", "all", "all, best, or a list of version numbers (e.g. 2,3; on cuda 0 is the library)")
        .option("repeats", "7", "timed calls per case, after one warm-up")
        .option("csv", "", "write results here, and the plot beside it (FILE with .png for .csv)")
        .flag("quick", "smoke run: n 500, d 2,64,784, 1 repeat, no peers; exit 1 if a version is WRONG")
        .flag("no-peers", "do not run the Python peers");
    if (!a.parse(argc, argv)) return 0;
    Options o;
    o.quick = a.has("quick");
    o.ns = o.quick ? std::vector<int64_t>{500} : a.int_list("n");
    o.ds = o.quick ? std::vector<int64_t>{2, 64, 784} : a.int_list("d");
    o.repeats = o.quick ? 1 : int(std::max<int64_t>(1, a.integer("repeats")));
    o.peers = !o.quick && !a.has("no-peers");
    o.csv = a.str("csv");
    const std::string vs = a.str("versions");
    if (vs == "best") {
      o.best = true;
    } else if (vs != "all") {
      for (int64_t v : a.int_list("versions")) o.versions.push_back(int(v));
    }
    for (int64_t n : o.ns) check(n >= 2, "bench_kde: --n values must be >= 2, got ", n);
    for (int64_t d : o.ds) check(d >= 1, "bench_kde: --d values must be >= 1, got ", d);
    const std::string device = a.str("device");
    check(device == "cpu" || device == "cuda", "bench_kde: --device is cpu or cuda, got '", device, "'");
    std::vector<Row> rows;
    const int rc = device == "cpu" ? run_cpu(o, rows) : run_cuda(o, rows);
    if (!o.csv.empty() && !rows.empty()) {
      write_csv(o.csv, rows);
      std::filesystem::path png(o.csv);
      png.replace_extension(".png");
      write_plot(png.string(), rows);
      std::printf("wrote %s, %s and %s.legend.txt\n", o.csv.c_str(), png.c_str(), png.c_str());
    }
    return rc;
  });
}
