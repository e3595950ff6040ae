// bench_kde: each version's output against the float64 reference (tests/reference/kde.hpp), with
// the tolerance and the first mismatches printed.
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
#include "reference/kde.hpp"

namespace bench::kde {
using namespace entropic;

// The one float64 reference of the project (tests/reference/kde.hpp), self term included.
inline double log_norm(int64_t n, int64_t d, double sigma) { return test::kde_log_norm(n, d, sigma, false); }

struct Reference {
  bool full = false;
  std::vector<int64_t> rows;  // checked rows
  std::vector<double> lse;    // for rows
  double H = 0;               // when full
  std::vector<double> dx;     // (rows, d) when full (else per version, from its own lse)
};

inline constexpr double kFullRefWork = double(int64_t(1) << 32);  // n^2 d up to which every row is checked

inline Reference make_reference(const std::vector<float>& x, int64_t n, int64_t d, double sigma, bool backward) {
  Reference R;
  R.full = double(n) * double(n) * double(d) <= kFullRefWork;
  const int64_t m = R.full ? n : std::min<int64_t>(n, 256);
  for (int64_t r = 0; r < m; ++r) R.rows.push_back(R.full ? r : r * n / m);
  R.lse = test::kde_row_lse(x.data(), n, d, sigma, false, R.rows);
  if (R.full) {
    double h = 0;
    for (double l : R.lse) h -= l - log_norm(n, d, sigma);
    R.H = h / double(n);
    if (backward) R.dx = test::kde_dx(x.data(), n, d, sigma, R.rows, R.lse);
  }
  return R;
}

struct Outputs {
  double H = 0;
  std::vector<float> log_p, lse, dx;
};

// Prints the first mismatches; returns whether everything is within tolerance.
inline bool check_version(const char* label, const Reference& R, const Outputs& o, const std::vector<float>& x, int64_t n,
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
    dx_ref = test::kde_dx(x.data(), n, d, sigma, R.rows, lse);
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

}  // namespace bench::kde
