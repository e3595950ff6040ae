// bench_kde: the work model, flops and exps per pair for the formulation each version executes.
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

namespace bench::kde {
using namespace entropic;

enum class Pass { Fwd, FwdBwd };
inline const char* pass_name(Pass p) { return p == Pass::Fwd ? "fwd" : "fwd+bwd"; }

struct Work {
  double flops = 0, exps = 0;
};

// Per pair, for the formulation each version executes (see the header comment).
inline Work pair_work(int version, int64_t d, Pass pass) {
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

}  // namespace bench::kde
