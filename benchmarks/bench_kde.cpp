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
//   v2 tiles       the library's kernels (cuda/kde.cuh): shared-memory tiles, online log-sum-exp
//   v3 warp        a warp per 8 rows, lanes split j, shuffle merges; backward lanes split d
//   v4 cublas      |x|^2, cublasSgemm -2 X X^T into n x n, elementwise log-sum-exp; backward
//                  weights in place, a second Sgemm (A X), dx = scale (rowsum(A) x - A X)
//   v5 tf32        fused wmma TF32 distance tiles, online log-sum-exp (sm_80+); reported WRONG
//                  (and not timed) where TF32's 10-bit mantissa breaks the check
//   v6 3xtf32      v5 with hi/lo operand splitting: three MMAs, FP32-level accuracy
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
using Clock = std::chrono::steady_clock;

using bench::Stats;
using bench::summarise;

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

std::string load_average() {
  std::ifstream f("/proc/loadavg");
  std::string a, b, c;
  f >> a >> b >> c;
  return a + " " + b + " " + c;
}

// ---- ceilings ----------------------------------------------------------------------------------

// FMA: the shared ceiling loop (benchmarks/common.hpp), float.
double fma_loop(int64_t iters) { return bench::fma_loop<float>(iters); }

// exp: the library's vectorised exp on independent vectors, summed (as the forward does).
double exp_loop(int64_t iters) {
  namespace k = cpu::kde_detail;
  constexpr int kVec = 8;
  k::V<float> v[kVec], acc[kVec];
  for (int i = 0; i < kVec; ++i) v[i] = k::splat(-0.37f * float(i + 1)), acc[i] = k::splat(0.0f);
  for (int64_t it = 0; it < iters; ++it)
#pragma GCC unroll 8
    for (int i = 0; i < kVec; ++i) {
      asm volatile("" : "+x"(v[i]));  // an unknown input each time: exp can't be hoisted
      acc[i] += k::exp(v[i]);
    }
  float s = 0;
  for (int i = 0; i < kVec; ++i) s += k::hsum<float>(acc[i]);
  volatile float sink = s;
  (void)sink;
  return double(kVec) * k::W<float> * double(iters);
}

// Work per second of `loop`: the best of `runs` short runs (other users' load can only slow a
// register-only loop down, and short runs have a better chance of a quiet moment), on one
// thread and on all threads at once.
struct Rate {
  double one = 0, all = 0;
};
template <class F>
Rate best_rate(F&& loop, int64_t iters, int runs) {
  loop(iters);
  const int threads = num_threads();
  Rate best;
  for (int r = 0; r < runs; ++r) {
    auto t0 = Clock::now();
    const double w1 = loop(iters);
    best.one = std::max(best.one, w1 / seconds_since(t0));
    std::vector<double> work(static_cast<size_t>(threads), 0.0);
    t0 = Clock::now();
    parallel_for(threads, 1, [&](int64_t b, int64_t e) {
      for (int64_t t = b; t < e; ++t) work[size_t(t)] = loop(iters);
    });
    const double s = seconds_since(t0);
    double w = 0;
    for (double x : work) w += x;
    best.all = std::max(best.all, w / s);
  }
  return best;
}

struct Ceilings {
  double fma_gflops = 0, exp_gexps = 0;
};

// ---- work per pass -----------------------------------------------------------------------------

enum class Pass { Fwd, FwdBwd };
const char* pass_name(Pass p) { return p == Pass::Fwd ? "fwd" : "fwd+bwd"; }

struct Work {
  double flops = 0, exps = 0;
};

// Per pair, for the formulation each version executes (see the header comment).
Work pair_work(int version, int64_t d, Pass pass) {
  const double dd = double(d);
  const bool diff = version == 1 || (version == 2 && d <= 8);
  if (version == 3 && pass == Pass::FwdBwd) {  // no symmetry: Gram again, 2 shifts + add, G += a x_j, s += a
    const double dist = 2 * dd + 3;
    return {2 * dist + 2 + 1 + 3 + 2 * dd + 1, 3};
  }
  const double dist = diff ? 3 * dd : 2 * dd + 3;
  Work w{dist + 2, 1};  // forward: distance, scale, sum; one exp
  if (version == 2 && !diff) w = {(dist + 3) / 2, 0.5};  // e_kj = e_jk: half, summed on both sides
  if (pass == Pass::Fwd) return w;
  if (version == 1) {
    w.flops += dist + 2 * dd + 3;  // distance again, 2 shifts + sum, a (x_k - x_j) accumulate
    w.exps += 2;
  } else if (diff) {
    w.flops += dist + 1 + 2 + 2 * dd;  // distance, scale, exp(e)(r_k + r_j), accumulate
    w.exps += 1;
  } else {  // a_kj = a_jk: half the Gram entries, shifts and exps; G += a x_j on both sides
    w.flops += (dist + 3) / 2 + 2 * dd + 1;
    w.exps += 1;
  }
  return w;
}

// ---- float64 reference -------------------------------------------------------------------------

double log_norm(int64_t n, int64_t d, double sigma) {
  return std::log(double(n)) + 0.5 * double(d) * std::log(2 * std::numbers::pi * sigma * sigma);
}

// row_lse for the given rows (self term included: e_ii = 0 is the row max, so no shift).
std::vector<double> ref_lse(const std::vector<float>& x, int64_t n, int64_t d, double sigma,
                            const std::vector<int64_t>& rows) {
  std::vector<double> out(rows.size());
  const double c = -0.5 / (sigma * sigma);
  parallel_for(int64_t(rows.size()), 4, [&](int64_t r0, int64_t r1) {
    std::vector<double> xi(size_t(d), 0.0);
    for (int64_t r = r0; r < r1; ++r) {
      const int64_t i = rows[size_t(r)];
      for (int64_t k = 0; k < d; ++k) xi[size_t(k)] = x[size_t(i * d + k)];
      double s = 0;
      for (int64_t j = 0; j < n; ++j) {
        double d2 = 0;
        const float* xj = &x[size_t(j * d)];
        for (int64_t k = 0; k < d; ++k) {
          const double t = xi[size_t(k)] - double(xj[k]);
          d2 += t * t;
        }
        s += std::exp(c * d2);
      }
      out[size_t(r)] = std::log(s);
    }
  });
  return out;
}

// dx rows (rows x d) for dH = 1, given every row's lse.
std::vector<double> ref_dx(const std::vector<float>& x, int64_t n, int64_t d, double sigma,
                           const std::vector<int64_t>& rows, const std::vector<double>& lse) {
  std::vector<double> out(rows.size() * size_t(d), 0.0);
  const double c = -0.5 / (sigma * sigma), scale = 1.0 / (double(n) * sigma * sigma);
  parallel_for(int64_t(rows.size()), 4, [&](int64_t r0, int64_t r1) {
    std::vector<double> xk(static_cast<size_t>(d)), g(static_cast<size_t>(d));
    for (int64_t r = r0; r < r1; ++r) {
      const int64_t k = rows[size_t(r)];
      for (int64_t q = 0; q < d; ++q) xk[size_t(q)] = x[size_t(k * d + q)], g[size_t(q)] = 0;
      for (int64_t j = 0; j < n; ++j) {
        const float* xj = &x[size_t(j * d)];
        double d2 = 0;
        for (int64_t q = 0; q < d; ++q) {
          const double t = xk[size_t(q)] - double(xj[q]);
          d2 += t * t;
        }
        const double a = std::exp(c * d2 - lse[size_t(k)]) + std::exp(c * d2 - lse[size_t(j)]);
        for (int64_t q = 0; q < d; ++q) g[size_t(q)] += a * (xk[size_t(q)] - double(xj[q]));
      }
      for (int64_t q = 0; q < d; ++q) out[size_t(r) * size_t(d) + size_t(q)] = scale * g[size_t(q)];
    }
  });
  return out;
}

struct Reference {
  bool full = false;
  std::vector<int64_t> rows;  // checked rows
  std::vector<double> lse;    // for rows
  double H = 0;               // when full
  std::vector<double> dx;     // (rows, d) when full (else per version, from its own lse)
};

constexpr double kFullRefWork = double(int64_t(1) << 32);  // n^2 d up to which every row is checked

Reference make_reference(const std::vector<float>& x, int64_t n, int64_t d, double sigma, bool backward) {
  Reference R;
  R.full = double(n) * double(n) * double(d) <= kFullRefWork;
  const int64_t m = R.full ? n : std::min<int64_t>(n, 256);
  for (int64_t r = 0; r < m; ++r) R.rows.push_back(R.full ? r : r * n / m);
  R.lse = ref_lse(x, n, d, sigma, R.rows);
  if (R.full) {
    double h = 0;
    for (double l : R.lse) h -= l - log_norm(n, d, sigma);
    R.H = h / double(n);
    if (backward) R.dx = ref_dx(x, n, d, sigma, R.rows, R.lse);
  }
  return R;
}

struct Outputs {
  double H = 0;
  std::vector<float> log_p, lse, dx;
};

// Prints the first mismatches; returns whether everything is within tolerance.
bool check(const char* label, const Reference& R, const Outputs& o, const std::vector<float>& x, int64_t n,
           int64_t d, double sigma, bool backward, std::string& summary) {
  bool ok = true;
  int shown = 0;
  double worst_lp = 0;
  const double ln = log_norm(n, d, sigma);
  for (size_t r = 0; r < R.rows.size(); ++r) {
    const double ref = R.lse[r] - ln, got = o.log_p[size_t(R.rows[r])];
    const double err = std::fabs(got - ref);
    worst_lp = std::max(worst_lp, err / (1e-3 + 1e-5 * std::fabs(ref)));
    if (!(err <= 1e-3 + 1e-5 * std::fabs(ref))) {
      ok = false;
      if (shown++ < 3)
        std::printf("    %s: log_p[%lld] = %.6f, reference %.6f\n", label, (long long)R.rows[r], got, ref);
    }
  }
  if (R.full && !(std::fabs(o.H - R.H) <= 1e-3 + 1e-5 * std::fabs(R.H))) {
    ok = false;
    std::printf("    %s: H = %.6f, reference %.6f\n", label, o.H, R.H);
  }
  char buf[160];
  std::snprintf(buf, sizeof buf, "log_p %zu rows, worst err/tol %.2g", R.rows.size(), worst_lp);
  summary = buf;
  if (!backward) return ok;
  std::vector<double> dx_ref;
  if (R.full) {
    dx_ref = R.dx;
  } else {
    std::vector<double> lse(o.lse.begin(), o.lse.end());
    for (size_t r = 0; r < R.rows.size(); ++r) lse[size_t(R.rows[r])] = R.lse[r];
    dx_ref = ref_dx(x, n, d, sigma, R.rows, lse);
  }
  double scale = 0, num = 0, den = 0, worst = 0;
  for (double v : dx_ref) scale = std::max(scale, std::fabs(v));
  for (size_t r = 0; r < R.rows.size(); ++r)
    for (int64_t q = 0; q < d; ++q) {
      const double ref = dx_ref[r * size_t(d) + size_t(q)];
      const double got = o.dx[size_t(R.rows[r] * d + q)];
      const double err = std::fabs(got - ref), tol = 1e-3 * scale + 1e-3 * std::fabs(ref);
      num += err * err, den += ref * ref;
      worst = std::max(worst, err / tol);
      if (!(err <= tol)) {
        ok = false;
        if (shown++ < 6)
          std::printf("    %s: dx[%lld][%lld] = %.6g, reference %.6g\n", label, (long long)R.rows[r],
                      (long long)q, got, ref);
      }
    }
  std::snprintf(buf, sizeof buf, "; dx rel. L2 err %.1e, worst err/tol %.2g%s", std::sqrt(num / den), worst,
                R.full ? "" : " (own lse off-sample)");
  summary += buf;
  return ok;
}

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

// ---- peers -------------------------------------------------------------------------------------

// benchmarks/peers/kde_peers.py in one long-lived process: a request per line on its stdin,
// answers through a FIFO, so each peer runs right after our versions under the same load.
class Peers {
 public:
  explicit Peers(int repeats, const std::string& device = "cpu") {
    const auto script = std::filesystem::path(__FILE__).parent_path() / "peers" / "kde_peers.py";
    if (!std::filesystem::exists(script) || !std::filesystem::exists(bench::peer_python())) {
      notes_.push_back("peers: skipped (no " + bench::peer_python() + " or no " + script.string() + ")");
      return;
    }
    char dir[] = "/tmp/bench_kde.XXXXXX";
    if (!mkdtemp(dir)) return;
    dir_ = dir;
    fifo_ = dir_ + "/results";
    if (mkfifo(fifo_.c_str(), 0600) != 0) return;
    const std::string cmd = bench::peer_python() + " '" + script.string() + "' --repeats " + std::to_string(repeats) +
                            " --device " + device + " > '" + fifo_ + "'";
    to_py_ = popen(cmd.c_str(), "w");
    if (!to_py_) return;
    from_py_ = std::fopen(fifo_.c_str(), "r");
    if (!from_py_) return;
    char line[1024];
    while (std::fgets(line, sizeof line, from_py_)) {
      line[std::strcspn(line, "\n")] = 0;
      if (std::strcmp(line, "READY") == 0) {
        ready_ = true;
        break;
      }
      if (std::strncmp(line, "HAVE ", 5) == 0) have_.push_back(line + 5);
      if (std::strncmp(line, "INFO ", 5) == 0) notes_.push_back(line + 5);
      if (std::strncmp(line, "MISSING ", 8) == 0) {
        const std::string what = line + 8;  // "<peer>" or "<peer> <reason>"
        const size_t sp = what.find(' ');
        if (sp != std::string::npos)
          notes_.push_back("peer " + what.substr(0, sp) + ": skipped (" + what.substr(sp + 1) + ")");
        else
          notes_.push_back("peer " + what + ": not installed (apt-get install " +
                           (what == "torch" ? "python3-torch" : "python3-sklearn") + ")");
      }
    }
  }
  ~Peers() {
    if (to_py_) pclose(to_py_);
    if (from_py_) std::fclose(from_py_);
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }
  const std::vector<std::string>& notes() const { return notes_; }
  std::vector<std::string> names() const {
    std::vector<std::string> out;
    for (const auto& h : have_) {
      if (h == "torch") out.push_back("torch-cdist"), out.push_back("torch-gemm");
      if (h == "sklearn") out.push_back("sklearn");
      if (h == "torch-cuda") out.push_back("torch-cuda-cdist"), out.push_back("torch-cuda-gemm");
      if (h == "keops") out.push_back("keops");
    }
    return out;
  }
  void set_input(const std::vector<float>& x) {
    if (!ready_) return;
    input_ = dir_ + "/x.f32";
    std::ofstream f(input_, std::ios::binary);
    f.write(reinterpret_cast<const char*>(x.data()), std::streamsize(x.size() * sizeof(float)));
  }
  // Returns false (and why) when the peer can't or won't run this case.
  bool time(const std::string& peer, int64_t n, int64_t d, double sigma, Pass pass, Stats& s, double& H,
            std::string& why) {
    if (!ready_) return why = "peers not running", false;
    std::fprintf(to_py_, "%s %lld %lld %s %.17g %s\n", peer.c_str(), (long long)n, (long long)d, pass_name(pass),
                 sigma, input_.c_str());
    std::fflush(to_py_);
    char line[512];
    if (!std::fgets(line, sizeof line, from_py_)) return ready_ = false, why = "peer process ended", false;
    line[std::strcspn(line, "\n")] = 0;
    if (std::sscanf(line, "RESULT %lf %lf %lf %lf", &s.median, &s.min, &s.max, &H) == 4) return true;
    why = std::strncmp(line, "SKIP ", 5) == 0 ? line + 5 : line;
    return false;
  }

 private:
  std::vector<std::string> notes_, have_;
  std::string dir_, fifo_, input_;
  FILE* to_py_ = nullptr;
  FILE* from_py_ = nullptr;
  bool ready_ = false;
};

// ---- results, CSV, plot ------------------------------------------------------------------------

struct Row {
  std::string device, version;
  int64_t n, d;
  Pass pass;
  Stats t;
  double gflops = -1, pct = -1;  // < 0: not applicable (peers)
};

// Times every peer on x for both passes and prints each beside our best version of the case.
void run_peers(Peers& peers, const std::string& device, const std::vector<float>& x, int64_t n, int64_t d,
               double sigma, const Reference& R, std::map<Pass, double>& best_ms, std::vector<Row>& rows) {
  peers.set_input(x);
  for (const std::string& p : peers.names())
    for (Pass pass : {Pass::Fwd, Pass::FwdBwd}) {
      Stats t;
      double H = 0;
      std::string why;
      if (!peers.time(p, n, d, sigma, pass, t, H, why)) {
        std::printf("  peer %-16s %-8s %s\n", p.c_str(), pass_name(pass), why.c_str());
        continue;
      }
      char hcheck[64] = "";
      if (R.full) std::snprintf(hcheck, sizeof hcheck, ", H err %.1e", std::fabs(H - R.H));
      std::printf("  peer %-16s %-8s %9.3f ms (%.3f-%.3f)%s", p.c_str(), pass_name(pass), t.median, t.min, t.max,
                  hcheck);
      if (best_ms.count(pass)) std::printf("  -> our best is %.1fx faster", t.median / best_ms[pass]);
      std::printf("\n");
      rows.push_back({device, "peer-" + p, n, d, pass, t, -1, -1});
    }
}

void write_csv(const std::string& path, const std::vector<Row>& rows) {
  io::write_atomically(path, [&](std::ostream& out) {
    out << "device,version,n,d,pass,median_ms,min_ms,max_ms,gflops,pct_of_ceiling\n";
    char buf[256];
    for (const Row& r : rows) {
      std::snprintf(buf, sizeof buf, "%s,%s,%lld,%lld,%s,%.4f,%.4f,%.4f,", r.device.c_str(), r.version.c_str(),
                    (long long)r.n, (long long)r.d, pass_name(r.pass), r.t.median, r.t.min, r.t.max);
      out << buf;
      if (r.gflops >= 0) {
        std::snprintf(buf, sizeof buf, "%.2f,%.1f", r.gflops, r.pct);
        out << buf;
      } else {
        out << ",";
      }
      out << "\n";
    }
  });
}

void line(io::Canvas& c, double x0, double y0, double x1, double y1, io::Rgb col, double r) {
  const int steps = std::max(1, int(std::hypot(x1 - x0, y1 - y0)));
  for (int s = 0; s <= steps; ++s) {
    const double t = double(s) / steps;
    c.disc(x0 + t * (x1 - x0), y0 + t * (y1 - y0), r, col);
  }
}

// A power of ten as a tick label: 0.001 .. 10000 written out, 1e-5 and 1e5 beyond.
std::string pow10_label(int e) {
  char buf[32];
  if (e >= -3 && e <= 4)
    std::snprintf(buf, sizeof buf, "%g", std::pow(10.0, e));
  else
    std::snprintf(buf, sizeof buf, "1e%d", e);
  return buf;
}

// Log-log time vs n: one column of panels per d, top row fwd, bottom row fwd+bwd; one colour
// per version or peer, named in the legend along the bottom. Each panel is titled with its d
// and pass and labels its axes: n at the measured sizes, time in ms at the powers of ten. The
// legend and the axis ranges also go to <png>.legend.txt.
void write_plot(const std::string& png, const std::vector<Row>& rows) {
  std::vector<int64_t> ds;
  std::vector<std::string> series;
  for (const Row& r : rows) {
    if (std::find(ds.begin(), ds.end(), r.d) == ds.end()) ds.push_back(r.d);
    const std::string key = r.device + " " + r.version;
    if (std::find(series.begin(), series.end(), key) == series.end()) series.push_back(key);
  }
  if (ds.empty()) return;
  std::sort(ds.begin(), ds.end());
  static const io::Rgb palette[] = {{228, 26, 28},  {55, 126, 184}, {77, 175, 74},  {152, 78, 163}, {255, 127, 0},
                                    {166, 86, 40},  {247, 129, 191}, {90, 90, 90},   {23, 190, 207}, {188, 189, 34}};
  const io::Rgb black{0, 0, 0}, ink{50, 50, 50}, grid{215, 215, 215}, grid_n{232, 232, 232};

  // Each panel's ranges: n measured, and whole decades of ms around the times.
  struct Panel {
    bool any = false;
    double nmin = 1e300, nmax = 0, tmin = 1e300, tmax = 0;
    int e0 = 0, e1 = 0;  // decades shown: 10^e0 .. 10^e1 ms
  };
  std::vector<Panel> panels(ds.size() * 2);
  for (const Row& r : rows) {
    Panel& P = panels[size_t(std::find(ds.begin(), ds.end(), r.d) - ds.begin()) * 2 + (r.pass == Pass::Fwd ? 0 : 1)];
    P.any = true;
    P.nmin = std::min(P.nmin, double(r.n)), P.nmax = std::max(P.nmax, double(r.n));
    P.tmin = std::min(P.tmin, r.t.median), P.tmax = std::max(P.tmax, r.t.median);
  }
  int ylabel_w = 0;
  for (Panel& P : panels) {
    if (!P.any) continue;
    P.e0 = int(std::floor(std::log10(P.tmin))), P.e1 = int(std::ceil(std::log10(P.tmax) + 1e-9));
    if (P.e1 == P.e0) ++P.e1;
    for (int e = P.e0; e <= P.e1; ++e) ylabel_w = std::max(ylabel_w, io::text_width(pow10_label(e), 2));
  }

  // Layout, text at scale 2 (glyphs 10 x 14 pixels, lines 18 high).
  const int ts = 2, th = io::text_height("Xg", ts), gap = 6, tick = 5;
  const int pw = 360, ph = 280;
  const int left = gap + th + gap + ylabel_w + gap + tick;     // y label, tick labels, ticks
  const int top = th + 2 * gap;                                // panel title
  const int bottom = tick + gap + th + gap + th + 2 * gap;     // ticks, tick labels, x label
  const int right = 3 * gap + io::text_width("16384", ts) / 2;  // room for the last n label
  const int cw = left + pw + right, ch = top + ph + bottom;
  const std::string heading = "bench_kde: median time per call against n, log-log";
  const int head_h = th + 3 * gap;
  const int W = std::max(int(ds.size()) * cw, io::text_width(heading, ts) + 4 * gap);
  const int x_off = (W - int(ds.size()) * cw) / 2;  // centres the panels under a wider heading
  // The legend: a swatch (line and dot, as drawn in the panels) and the name per series,
  // flowing left to right in rows.
  const int sw = 28, item_gap = 30, legend_row = th + 2 * gap;
  std::vector<std::pair<int, int>> item_at;  // (x, row) of each series' swatch
  {
    int x = 2 * gap, row = 0;
    for (const std::string& name : series) {
      const int w = sw + 2 * gap + io::text_width(name, ts);
      if (x > 2 * gap && x + w > W - 2 * gap) x = 2 * gap, ++row;
      item_at.push_back({x, row});
      x += w + item_gap;
    }
  }
  const int legend_rows = item_at.empty() ? 0 : item_at.back().second + 1;
  const int H = head_h + 2 * ch + legend_rows * legend_row + 2 * gap;
  io::Canvas c(W, H);
  io::draw_text(c, W / 2, gap, heading, black, ts, io::Align::centre);

  std::string txt = "bench_kde plot: time (ms) against n, log-log; one colour per series.\n"
                    "Panels: columns are d (left to right), rows are fwd (top) and fwd+bwd (bottom).\n"
                    "Light grey lines: powers of 10 in ms (horizontal) and the measured n (vertical).\n"
                    "The legend along the bottom edge names the series, left to right, in the order below.\n\nseries:\n";
  const int ly = head_h + 2 * ch + gap;
  for (size_t s = 0; s < series.size(); ++s) {
    const io::Rgb col = palette[s % 10];
    char buf[160];
    std::snprintf(buf, sizeof buf, "  #%02x%02x%02x  swatch %zu  %s\n", col.r, col.g, col.b, s + 1, series[s].c_str());
    txt += buf;
    const int x = item_at[s].first, y = ly + item_at[s].second * legend_row, yc = y + io::font::kAscent * ts / 2;
    line(c, x, yc, x + sw, yc, col, 1.0);
    c.disc(x + sw / 2.0, yc, 4, col);
    io::draw_text(c, x + sw + 2 * gap, y, series[s], black, ts);
  }
  txt += "\npanels:\n";
  for (size_t di = 0; di < ds.size(); ++di)
    for (int pi = 0; pi < 2; ++pi) {
      const Pass pass = pi == 0 ? Pass::Fwd : Pass::FwdBwd;
      const Panel& P = panels[di * 2 + size_t(pi)];
      if (!P.any) continue;
      const double lx0 = std::log10(P.nmin) - 0.15, lx1 = std::log10(P.nmax) + 0.15;
      const int bx = x_off + int(di) * cw, by = head_h + pi * ch;  // the panel's block
      const int ox = bx + left, oy = by + top;             // its plot area
      auto px = [&](double n) { return ox + (std::log10(n) - lx0) / (lx1 - lx0) * pw; };
      auto py = [&](double t) { return oy + ph - (std::log10(t) - P.e0) / double(P.e1 - P.e0) * ph; };
      char title[96];
      std::snprintf(title, sizeof title, "d = %lld, %s", (long long)ds[di], pass_name(pass));
      io::draw_text(c, ox + pw / 2, by + gap, title, black, ts, io::Align::centre);
      // Horizontal lines and labels at the decades.
      for (int e = P.e0; e <= P.e1; ++e) {
        const int y = int(std::lround(py(std::pow(10.0, e))));
        if (e > P.e0 && e < P.e1) c.hline(y, ox, ox + pw, grid);
        c.hline(y, ox - tick, ox - 1, black);
        io::draw_text(c, ox - tick - gap, y - io::font::kAscent * ts / 2, pow10_label(e), ink, ts, io::Align::right);
      }
      // Vertical lines at the measured n, labelled left to right where there is room.
      std::vector<double> ns;
      for (const Row& r : rows)
        if (r.d == ds[di] && r.pass == pass) ns.push_back(double(r.n));
      std::sort(ns.begin(), ns.end());
      ns.erase(std::unique(ns.begin(), ns.end()), ns.end());
      int free_x = ox - 1000;
      for (double n : ns) {
        const int x = int(std::lround(px(n)));
        c.vline(x, oy + 1, oy + ph - 1, grid_n);
        c.vline(x, oy + ph + 1, oy + ph + tick, black);
        char lab[32];
        std::snprintf(lab, sizeof lab, "%lld", (long long)n);
        const int w = io::text_width(lab, ts);
        if (x - w / 2 < free_x) continue;
        io::draw_text(c, x, oy + ph + tick + gap, lab, ink, ts, io::Align::centre);
        free_x = x - w / 2 + w + 2 * gap;
      }
      c.hline(oy, ox, ox + pw, black), c.hline(oy + ph, ox, ox + pw, black);
      c.vline(ox, oy, oy + ph, black), c.vline(ox + pw, oy, oy + ph, black);
      // Axis labels: n under the tick labels, time (ms) up the left edge.
      io::draw_text(c, ox + pw / 2, oy + ph + tick + gap + th + gap, "n", black, ts, io::Align::centre);
      const std::string yl = "time (ms)";
      io::draw_text_up(c, bx + gap, oy + ph / 2 - io::text_width(yl, ts) / 2, yl, black, ts);
      for (size_t s = 0; s < series.size(); ++s) {
        std::vector<std::pair<double, double>> pts;
        for (const Row& r : rows)
          if (r.d == ds[di] && r.pass == pass && r.device + " " + r.version == series[s])
            pts.push_back({px(double(r.n)), py(r.t.median)});
        std::sort(pts.begin(), pts.end());
        for (size_t k = 0; k + 1 < pts.size(); ++k)
          line(c, pts[k].first, pts[k].second, pts[k + 1].first, pts[k + 1].second, palette[s % 10], 1.0);
        for (auto& p : pts) c.disc(p.first, p.second, 4, palette[s % 10]);
      }
      char buf[200];
      std::snprintf(buf, sizeof buf, "  column %zu row %d: d = %lld, %s; x: n in [%g, %g] (log), y: %g ms to %g ms (log)\n",
                    di + 1, pi + 1, (long long)ds[di], pass_name(pass), P.nmin, P.nmax, std::pow(10.0, P.e0),
                    std::pow(10.0, P.e1));
      txt += buf;
    }
  io::write_png(png, c);
  io::write_atomically(png + ".legend.txt", [&](std::ostream& out) { out << txt; });
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
        if (!check(v->name, R, out, x, n, d, sigma, true, summary)) {
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

// `--versions best` on the GPU: the library's kernels, until a GPU measurement says otherwise.
constexpr int kBestCuda = 2;

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
        if (!check(name.c_str(), R, out, x, n, d, sigma, true, summary)) {
          std::printf("  %-13s WRONG (%s): not timed\n", name.c_str(), summary.c_str());
          all_ok = false;
          continue;
        }
        std::printf("  %-13s ok (%s)\n", name.c_str(), summary.c_str());
        for (Pass pass : {Pass::Fwd, Pass::FwdBwd}) {
          kde_bench_cuda::run(v, x.data(), n, d, sigma, pass == Pass::FwdBwd, o.repeats, out.log_p.data(),
                              out.lse.data(), out.dx.data(), times, why);
          const Stats t = summarise(times);
          const kde_bench_cuda::PairWork w = kde_bench_cuda::pair_work(v, d, pass == Pass::FwdBwd);
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
        .option("versions", "all", "all, best, or a list of version numbers (e.g. 2,3)")
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
