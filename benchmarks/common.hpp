// Pieces every benchmark uses: order statistics of timings, mean and standard error over
// seeds, and the FMA ceiling loop.
#pragma once
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "entropic/cpu/gemm.hpp"

namespace bench {

using Clock = std::chrono::steady_clock;

inline double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

// The 1-, 5- and 15-minute load averages, printed beside timings taken on a shared machine.
inline std::string load_average() {
  std::ifstream f("/proc/loadavg");
  std::string a, b, c;
  f >> a >> b >> c;
  return a + " " + b + " " + c;
}

// The Python that runs the peers: /usr/bin/python3 (Debian's, with python3-torch) unless
// ENTROPIC_PYTHON names another, as on GPU machines whose CUDA PyTorch lives in a virtualenv.
inline std::string peer_python() {
  const char* p = std::getenv("ENTROPIC_PYTHON");
  return p && *p ? std::string(p) : std::string("/usr/bin/python3");
}

struct Stats {
  double median = 0, min = 0, max = 0;
};

inline Stats summarise(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return {v[v.size() / 2], v.front(), v.back()};
}

struct MeanSe {
  double mean, se;
};

// Mean and standard error of the mean (sample standard deviation / sqrt(n)).
inline MeanSe mean_se(const std::vector<double>& v) {
  double m = 0, s = 0;
  for (double x : v) m += x;
  m /= double(v.size());
  for (double x : v) s += (x - m) * (x - m);
  const double sd = v.size() > 1 ? std::sqrt(s / double(v.size() - 1)) : 0;
  return {m, sd / std::sqrt(double(v.size()))};
}

// The FMA ceiling: a register-only loop with more independent accumulators than latency x
// pipes (4 cycles x 2 on Zen 4 and Intel), so only the FMA ports limit it. Returns the flops
// it performed; the caller times it.
template <class T>
double fma_loop(int64_t iters) {
  namespace simd = entropic::cpu::simd;
  using V = simd::V<T>;
  constexpr int kAcc = 16;
  V acc[kAcc];
  for (int i = 0; i < kAcc; ++i) acc[i] = simd::splat(T(i) * T(1e-3));
  // Keeps every accumulator bounded and normal: x <- x * 0.999999 + 1e-6 converges to 1.
  V mul = simd::splat(T(0.999999)), add = simd::splat(T(1e-6));
  asm volatile("" : "+x"(mul), "+x"(add));  // not constants: the loop can't be folded away
  for (int64_t it = 0; it < iters; ++it)
#pragma GCC unroll 16
    for (int i = 0; i < kAcc; ++i) acc[i] = simd::fmadd(acc[i], mul, add);
  V sum = acc[0];
  for (int i = 1; i < kAcc; ++i) sum += acc[i];
  volatile T sink = sum[0];
  (void)sink;
  return 2.0 * simd::W<T> * kAcc * double(iters);
}

}  // namespace bench
