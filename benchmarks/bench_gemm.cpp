// GFLOP/s of entropic::cpu::gemm on the GAN's Linear-layer shapes and 1024^3, against the
// machine's measured FMA peak and, when /usr/bin/python3 (or $ENTROPIC_PYTHON) has NumPy,
// against numpy.matmul (OpenBLAS) timed in the same run on the same shapes.
//
//   bench_gemm [--quick] [--repeats R]
//
// Each figure is the median over R samples after one warm-up sample, with min and max; a
// sample repeats the call until it lasts >= 5 ms so small shapes are not timer noise. Inputs
// stay the same between calls: a Linear layer's weights (<= 4 MiB) and activations sit in the
// 32 MiB L3 during training too, so hot-cache figures are the representative ones.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include <sys/stat.h>

#include "entropic/core/parallel.hpp"
#include "entropic/core/rng.hpp"
#include "entropic/cpu/gemm.hpp"
#include "common.hpp"
#include "python_peer.hpp"

namespace {

using bench::Clock;

using bench::Stats;
using bench::summarise;

// Runs fn repeatedly: calibrates the calls per sample to reach min_seconds, one warm-up
// sample, then `repeats` samples; returns work_per_call / seconds_per_call statistics in G/s.
template <class F>
Stats time_rate(F&& fn, double work_per_call, int repeats, double min_seconds = 0.005) {
  int64_t calls = 1;
  for (;;) {
    const auto t0 = Clock::now();
    for (int64_t i = 0; i < calls; ++i) fn();
    if (bench::seconds_since(t0) >= min_seconds) break;
    calls *= 2;
  }
  std::vector<double> rates;
  for (int r = 0; r < repeats; ++r) {
    const auto t0 = Clock::now();
    for (int64_t i = 0; i < calls; ++i) fn();
    const double s = bench::seconds_since(t0);
    rates.push_back(work_per_call * double(calls) / s / 1e9);
  }
  return summarise(rates);
}

// GFLOP/s of the FMA ceiling loop on one thread.
template <class T>
double fma_rate(int64_t iters) {
  const auto t0 = Clock::now();
  const double flops = bench::fma_loop<T>(iters);
  return flops / bench::seconds_since(t0) / 1e9;
}

struct Peak {
  double one_thread, all_threads;
};

template <class T>
Peak measure_peak(int repeats) {
  const int64_t iters = 20'000'000;  // ~0.1 s per run at 3 GHz
  fma_rate<T>(iters / 10);
  std::vector<double> one, all;
  const int threads = entropic::num_threads();
  for (int r = 0; r < std::max(3, repeats / 3); ++r) {
    one.push_back(fma_rate<T>(iters));
    std::vector<double> per(size_t(threads), 0.0);
    const auto t0 = Clock::now();
    entropic::parallel_for(threads, 1, [&](int64_t b, int64_t e) {
      for (int64_t t = b; t < e; ++t) per[size_t(t)] = fma_rate<T>(iters);
    });
    const double s = bench::seconds_since(t0);
    all.push_back(2.0 * entropic::cpu::simd::W<T> * 16 * double(iters) * threads /
                  s / 1e9);
  }
  // The best run, not the median: other load can only slow a register-only loop down.
  return {summarise(one).max, summarise(all).max};
}

struct Shape {
  std::string name;
  bool is_double, ta, tb;
  int64_t M, N, K;
  double flops() const { return 2.0 * double(M) * double(N) * double(K); }
  std::string peer_arg() const {
    return std::string(is_double ? "double" : "float") + "," + (ta ? "1" : "0") + "," +
           (tb ? "1" : "0") + "," + std::to_string(M) + "," + std::to_string(N) + "," +
           std::to_string(K);
  }
};

template <class T>
Stats bench_shape(const Shape& s, int repeats) {
  // Storage as the Linear layer holds it: op(A) = A^T means A is stored (K, M), etc.
  const int64_t lda = s.ta ? s.M : s.K, ldb = s.tb ? s.K : s.N;
  std::vector<double> a(size_t(s.M * s.K)), b(size_t(s.K * s.N));
  entropic::Rng rng(7);
  rng.fill_uniform(a.data(), int64_t(a.size()), -1.0, 1.0);
  rng.fill_uniform(b.data(), int64_t(b.size()), -1.0, 1.0);
  std::vector<T> A(a.begin(), a.end()), B(b.begin(), b.end()), C(size_t(s.M * s.N));
  return time_rate(
      [&] {
        entropic::cpu::gemm<T>(s.ta, s.tb, s.M, s.N, s.K, T(1), A.data(), lda, B.data(), ldb,
                               T(0), C.data(), s.N);
      },
      s.flops(), repeats);
}

// The GAN's layers: generator 100 -> 128 -> 256 -> 512 -> 1024 -> 784, discriminator
// 784 -> 1024 -> 400 -> 100, so every width in {100, 128, 256, 400, 512, 784, 1024} appears.
// Linear(in, out) with X (b, in), W (out, in): forward Y = X W^T, dX = dY W, dW = dY^T X.
std::vector<Shape> gan_shapes(bool quick) {
  const std::vector<std::pair<int64_t, int64_t>> layers =
      quick ? std::vector<std::pair<int64_t, int64_t>>{{100, 128}, {784, 1024}}
            : std::vector<std::pair<int64_t, int64_t>>{{100, 128},  {128, 256},  {256, 512},
                                                       {512, 1024}, {1024, 784}, {784, 1024},
                                                       {1024, 400}, {400, 100}};
  const std::vector<int64_t> batches = quick ? std::vector<int64_t>{64}
                                             : std::vector<int64_t>{64, 100};
  std::vector<Shape> out;
  for (int64_t b : batches)
    for (auto [in, out_f] : layers) {
      // snprintf: GCC 12 warns (-Wrestrict, a false positive) on chained string operator+.
      char tag[64];
      auto name = [&](const char* pass) {
        std::snprintf(tag, sizeof tag, "%s b%lld %lld->%lld", pass, (long long)b, (long long)in,
                      (long long)out_f);
        return std::string(tag);
      };
      out.push_back({name("fwd"), false, false, true, b, out_f, in});
      out.push_back({name("dX "), false, false, false, b, in, out_f});
      out.push_back({name("dW "), false, true, false, out_f, in, b});
    }
  return out;
}

// numpy.matmul in a long-lived Python process (python_peer.hpp): a shape per request, its
// timing back, so our timing of a shape and NumPy's run back to back under the same load.
class NumpyPeer {
 public:
  explicit NumpyPeer(int repeats)
      : py_("numpy_matmul.py", "--repeats " + std::to_string(repeats),
            [this](const std::string& line) {
              if (line.rfind("BLAS ", 0) == 0) info_.push_back(line.substr(5));
            },
            "numpy") {
    if (!py_.ready()) info_.push_back("skipped: " + py_.why());
  }
  const std::vector<std::string>& info() const { return info_; }

  bool time(const Shape& s, Stats& out) {
    const std::string line = py_.ask(s.peer_arg());
    return std::sscanf(line.c_str(), "RESULT %lf %lf %lf", &out.median, &out.min, &out.max) == 3;
  }

 private:
  std::vector<std::string> info_;  // before py_: its constructor fills it
  bench::PythonPeer py_;
};

}  // namespace

int main(int argc, char** argv) {
  bool quick = false;
  int repeats = 15;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--quick") == 0) {
      quick = true;
    } else if (std::strcmp(argv[i], "--repeats") == 0 && i + 1 < argc) {
      repeats = std::max(1, std::atoi(argv[++i]));
    } else {
      std::printf("usage: %s [--quick] [--repeats R]\n", argv[0]);
      return 0;
    }
  }
  if (quick && repeats == 15) repeats = 5;

  const int threads = entropic::num_threads();
  using Kf = entropic::cpu::detail::Kernel<float>;
  std::printf("entropic::cpu::gemm: %d threads, float micro-tile %d x %d (%d-lane vectors)\n",
              threads, Kf::MR, Kf::NR, Kf::W);
  const Peak pf = measure_peak<float>(repeats), pd = measure_peak<double>(repeats);
  std::printf("FMA peak float : %.1f GFLOP/s 1 thread, x%d = %.1f, all threads %.1f\n",
              pf.one_thread, threads, pf.one_thread * threads, pf.all_threads);
  std::printf("FMA peak double: %.1f GFLOP/s 1 thread, x%d = %.1f, all threads %.1f\n",
              pd.one_thread, threads, pd.one_thread * threads, pd.all_threads);

  std::vector<Shape> shapes;
  shapes.push_back({"1024^3 float", false, false, false, 1024, 1024, 1024});
  if (!quick) shapes.push_back({"1024^3 double", true, false, false, 1024, 1024, 1024});
  for (const Shape& s : gan_shapes(quick)) shapes.push_back(s);

  NumpyPeer numpy(repeats);
  for (const auto& l : numpy.info()) std::printf("numpy: %s\n", l.c_str());
  std::vector<Stats> ours, peer(shapes.size());
  std::vector<bool> have_peer(shapes.size(), false);
  for (size_t i = 0; i < shapes.size(); ++i) {
    const Shape& s = shapes[i];
    ours.push_back(s.is_double ? bench_shape<double>(s, repeats) : bench_shape<float>(s, repeats));
    have_peer[i] = numpy.time(s, peer[i]);
  }
  // On a shared machine the medians move with other people's load; the best samples (max
  // GFLOP/s) are closer to what the code does on idle cores, so both ratios are printed.
  std::printf("\n%-22s %4s %5s %5s %5s %8s | %7s %15s %6s | %7s %7s | %6s %6s\n", "shape", "op",
              "M", "N", "K", "MFLOP", "ours", "(min-max)", "%peak", "numpy", "(max)", "ratio",
              "best");
  for (size_t i = 0; i < shapes.size(); ++i) {
    const Shape& s = shapes[i];
    const double peak = threads * (s.is_double ? pd.one_thread : pf.one_thread);
    const char* op = s.ta ? "TN" : s.tb ? "NT" : "NN";
    std::printf("%-22s %4s %5lld %5lld %5lld %8.2f | %7.1f %7.1f-%-7.1f %5.0f%% |", s.name.c_str(),
                op, (long long)s.M, (long long)s.N, (long long)s.K, s.flops() / 1e6,
                ours[i].median, ours[i].min, ours[i].max, 100 * ours[i].median / peak);
    if (have_peer[i])
      std::printf(" %7.1f %7.1f | %5.2fx %5.2fx\n", peer[i].median, peer[i].max,
                  ours[i].median / peer[i].median, ours[i].max / peer[i].max);
    else
      std::printf(" %7s %7s | %6s %6s\n", "-", "-", "-", "-");
  }
  std::printf("\nGFLOP/s = 2*M*N*K / time; median of %d samples after a warm-up; %%peak against "
              "1-thread FMA peak x %d threads (the hardware ceiling; an all-threads figure "
              "below that means other work shares the cores); ratio = ours / numpy medians, best = "
              "ours / numpy best samples.\n",
              repeats, threads);
  return 0;
}
