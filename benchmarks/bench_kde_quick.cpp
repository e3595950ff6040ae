// Quick KDE entropy micro-benchmark (CPU, float32): forward (all log p and H) and forward +
// backward (dH/dx) for n in {1024, 4096}, d in {2, 64, 784}, kernels v1 (streaming) and
// v2 (GEMM). Prints the median and spread of the repeats, pairs per second and the
// GEMM-equivalent GFLOP/s (2 n^2 d per Gram pass: 1 pass forward, 3 forward + backward).
// Peer: PyTorch in the same run, if /usr/bin/python3 can import torch.
//
//   bench_kde_quick [repeats]      (ENTROPIC_NUM_THREADS sets the thread count)
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "entropic/core/parallel.hpp"
#include "entropic/core/rng.hpp"
#include "entropic/cpu/kde.hpp"

using namespace entropic;
using Clock = std::chrono::steady_clock;

namespace {

struct Stat {
  double median, lo, hi;
};

template <class F>
Stat time_ms(int repeats, F&& f) {
  f();  // warm-up: page faults, thread pool start
  std::vector<double> t;
  for (int r = 0; r < repeats; ++r) {
    const auto t0 = Clock::now();
    f();
    t.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
  }
  std::sort(t.begin(), t.end());
  return {t[t.size() / 2], t.front(), t.back()};
}

bool torch_available() {
  return std::system("/usr/bin/python3 -c 'import torch' >/dev/null 2>&1") == 0;
}

// The peer: cdist^2 formulation with logsumexp and autograd, same sizes, same sigma.
void run_torch_peer(int repeats) {
  const std::string script = R"PY(
import math, time, torch
torch.manual_seed(0)
rep = )PY" + std::to_string(repeats) + R"PY(
for n in (1024, 4096):
    for d in (2, 64, 784):
        x0 = torch.randn(n, d)
        sigma = 0.5 * math.sqrt(d)
        def fwd(x):
            e = -torch.cdist(x, x).pow(2) / (2 * sigma * sigma)
            lse = torch.logsumexp(e, dim=1)
            return -(lse - math.log(n) - 0.5 * d * math.log(2 * math.pi * sigma * sigma)).mean()
        def tf():
            with torch.no_grad(): fwd(x0)
        def tfb():
            x = x0.clone().requires_grad_(True); fwd(x).backward()
        for name, f in (("fwd", tf), ("fwd+bwd", tfb)):
            f(); ts = []
            for _ in range(rep):
                t0 = time.perf_counter(); f(); ts.append((time.perf_counter() - t0) * 1e3)
            ts.sort()
            print(f"peer torch {torch.__version__} threads {torch.get_num_threads()}: n {n:5d} d {d:3d} {name:8s} {ts[len(ts)//2]:9.2f} ms")
)PY";
  const std::string cmd = "/usr/bin/python3 - <<'EOF'\n" + script + "\nEOF";
  if (std::system(cmd.c_str()) != 0) std::printf("peer: torch run failed\n");
}

}  // namespace

int main(int argc, char** argv) {
  const int repeats = argc > 1 ? std::max(1, std::atoi(argv[1])) : 5;
  std::printf("KDE entropy, float32, threads %d, median of %d (min..max)\n", num_threads(),
              repeats);
  for (int64_t n : {1024, 4096}) {
    for (int64_t d : {2, 64, 784}) {
      Rng rng(uint64_t(n * 1000 + d));
      const size_t nn = static_cast<size_t>(n), nd = static_cast<size_t>(n * d);
      std::vector<float> x(nd), log_p(nn), lse(nn), dx(nd);
      rng.fill_normal(x.data(), n * d);
      const double sigma = 0.5 * std::sqrt(double(d));
      const double pairs = double(n) * double(n);
      for (int v = 1; v <= 2; ++v) {
        auto fwd = [&] {
          if (v == 1)
            cpu::kde_forward(x.data(), n, d, sigma, false, log_p.data(), lse.data());
          else
            cpu::kde_forward_gemm(x.data(), n, d, sigma, false, log_p.data(), lse.data());
        };
        auto fwd_bwd = [&] {
          fwd();
          if (v == 1)
            cpu::kde_backward(x.data(), n, d, sigma, false, lse.data(), 1.0f, dx.data());
          else
            cpu::kde_backward_gemm(x.data(), n, d, sigma, false, lse.data(), 1.0f, dx.data());
        };
        const int reps = (n * n * d > (int64_t(1) << 30)) ? std::min(repeats, 3) : repeats;
        const Stat f = time_ms(reps, fwd), fb = time_ms(reps, fwd_bwd);
        const char* name = v == 1 ? "v1 streaming" : "v2 gemm     ";
        std::printf(
            "n %5lld d %3lld %s  fwd %8.2f ms (%.2f..%.2f) %7.2f Gpairs/s %6.1f GF/s | "
            "fwd+bwd %8.2f ms (%.2f..%.2f) %7.2f Gpairs/s %6.1f GF/s\n",
            (long long)n, (long long)d, name, f.median, f.lo, f.hi, pairs / f.median * 1e-6,
            2 * pairs * double(d) / f.median * 1e-6, fb.median, fb.lo, fb.hi,
            2 * pairs / fb.median * 1e-6, 6 * pairs * double(d) / fb.median * 1e-6);
      }
    }
  }
  if (torch_available())
    run_torch_peer(repeats);
  else
    std::printf("peer: torch not installed\n");
  return 0;
}
