// bench_kde: the machine's ceilings, measured in the same run (FMA and exp rates, one thread
// and all threads), that every version's time is compared with.
#pragma once
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "../common.hpp"
#include "entropic/core/parallel.hpp"
#include "entropic/cpu/kde.hpp"

namespace bench::kde {
using namespace entropic;

// FMA: the shared ceiling loop (benchmarks/common.hpp), float.
inline double fma_loop(int64_t iters) { return bench::fma_loop<float>(iters); }

// exp: the library's vectorised exp on independent vectors, summed (as the forward does).
inline double exp_loop(int64_t iters) {
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

}  // namespace bench::kde
