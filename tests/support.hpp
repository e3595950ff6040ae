// Shared test helpers: comparisons against a double reference and central differences.
#pragma once
#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "entropic/core/rng.hpp"

namespace entropic::test {

// Passes when every element satisfies |got - ref| <= atol + rtol * |ref|; on failure it
// prints the first few mismatches and the whole-result relative error.
template <class G, class R>
bool all_close(const G* got, const R* ref, int64_t n, double atol, double rtol,
               const std::string& what) {
  int bad = 0;
  double num = 0, den = 0;
  for (int64_t i = 0; i < n; ++i) {
    const double g = double(got[i]), r = double(ref[i]);
    num += (g - r) * (g - r);
    den += r * r;
    if (!(std::fabs(g - r) <= atol + rtol * std::fabs(r))) {
      if (bad < 5)
        MESSAGE(std::string(what + ": element " + std::to_string(i) + " got " +
                            std::to_string(g) + " expected " + std::to_string(r)));
      ++bad;
    }
  }
  if (bad)
    MESSAGE(std::string(what + ": " + std::to_string(bad) + "/" + std::to_string(n) +
                        " mismatches, relative L2 error " +
                        std::to_string(std::sqrt(num / (den > 0 ? den : 1)))));
  return bad == 0;
}

template <class G, class R>
bool all_close(const std::vector<G>& got, const std::vector<R>& ref, double atol, double rtol,
               const std::string& what) {
  if (got.size() != ref.size()) {
    MESSAGE(std::string(what + ": sizes differ"));
    return false;
  }
  return all_close(got.data(), ref.data(), int64_t(got.size()), atol, rtol, what);
}

// d f / d x by central differences in double; f reads x, so x is perturbed in place.
inline std::vector<double> numeric_grad(const std::function<double()>& f, double* x, int64_t n,
                                        double h = 1e-6) {
  std::vector<double> g(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    const double keep = x[i];
    x[i] = keep + h;
    const double fp = f();
    x[i] = keep - h;
    const double fm = f();
    x[i] = keep;
    g[size_t(i)] = (fp - fm) / (2 * h);
  }
  return g;
}

inline std::vector<double> random_vector(int64_t n, uint64_t seed, double lo = -1, double hi = 1) {
  Rng rng(seed);
  std::vector<double> v(static_cast<size_t>(n));
  rng.fill_uniform(v.data(), n, lo, hi);
  return v;
}

}  // namespace entropic::test
