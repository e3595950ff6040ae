#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <tuple>
#include <vector>

#include "entropic/core/rng.hpp"
#include "entropic/cpu/maxout.hpp"
#include "support.hpp"

using namespace entropic;
using test::all_close;
using test::numeric_grad;
using test::random_vector;

namespace {

// Inputs whose winning piece beats every other piece of its unit by at least 1e-3, so central
// differences never cross a tie. Each unit is redrawn until that holds.
std::vector<double> separated(int64_t rows, int64_t units, int64_t pieces, uint64_t seed) {
  Rng rng(seed);
  std::vector<double> x(static_cast<size_t>(rows * units * pieces));
  for (int64_t g = 0; g < rows * units; ++g) {
    double* p = x.data() + g * pieces;
    for (bool ok = false; !ok;) {
      rng.fill_uniform(p, pieces, -1.0, 1.0);
      int64_t best = 0;
      for (int64_t k = 1; k < pieces; ++k)
        if (p[k] > p[best]) best = k;
      ok = true;
      for (int64_t k = 0; k < pieces; ++k)
        if (k != best && p[best] - p[k] < 1e-3) ok = false;
    }
  }
  return x;
}

void ref_maxout(const std::vector<double>& x, int64_t rows, int64_t units, int64_t pieces,
                std::vector<double>& y, std::vector<int32_t>& arg) {
  y.assign(static_cast<size_t>(rows * units), 0.0);
  arg.assign(static_cast<size_t>(rows * units), 0);
  for (int64_t g = 0; g < rows * units; ++g) {
    const double* p = x.data() + g * pieces;
    int32_t best = 0;
    for (int32_t k = 1; k < pieces; ++k)
      if (p[k] > p[best]) best = k;
    y[size_t(g)] = p[best];
    arg[size_t(g)] = best;
  }
}

// (rows, units, pieces): 1 row, odd sizes, every specialised piece count and a generic one;
// 300 x 173 x 3 (519 input columns) takes the multi-threaded path. The AVX-512 path takes
// whole blocks of 16 float / 8 double units across row ends and leaves the rest to the scalar
// loop: 3 x 37 x 5 is 6 float blocks and a 15-unit tail, 1 x 40 x 1 one piece per unit.
const std::tuple<int64_t, int64_t, int64_t> kShapes[] = {{1, 1, 1},  {1, 5, 2},    {3, 7, 3},   {4, 3, 4},
                                                         {2, 9, 5},  {5, 4, 7},    {3, 37, 5},  {1, 40, 1},
                                                         {2, 24, 9}, {300, 173, 3}};

}  // namespace

TEST_CASE_TEMPLATE("maxout: forward picks the max piece and saves its index", T, float, double) {
  for (auto [rows, units, pieces] : kShapes) {
    const std::vector<double> xd = separated(rows, units, pieces, uint64_t(rows * 100 + pieces));
    const std::vector<T> x(xd.begin(), xd.end());
    const std::vector<double> xr(x.begin(), x.end());
    std::vector<double> ref;
    std::vector<int32_t> ref_arg;
    ref_maxout(xr, rows, units, pieces, ref, ref_arg);

    std::vector<T> y(static_cast<size_t>(rows * units));
    std::vector<int32_t> arg(static_cast<size_t>(rows * units), -1);
    cpu::maxout_forward(x.data(), y.data(), arg.data(), rows, units, pieces);
    CHECK_MESSAGE(all_close(y, ref, 0.0, 0.0, "maxout y"), rows, "x", units, "x", pieces);
    CHECK_MESSAGE(arg == ref_arg, rows, "x", units, "x", pieces);
  }
}

TEST_CASE_TEMPLATE("maxout: backward matches central differences and overwrites dx", T, float,
                   double) {
  for (auto [rows, units, pieces] : kShapes) {
    const int64_t n_in = rows * units * pieces, n_out = rows * units;
    std::vector<double> xd = separated(rows, units, pieces, uint64_t(7 + pieces));
    const std::vector<double> w = random_vector(n_out, 8);
    std::vector<double> num;
    if (n_in <= 4096) {
      const auto loss = [&] {
        std::vector<double> y;
        std::vector<int32_t> a;
        ref_maxout(xd, rows, units, pieces, y, a);
        double s = 0;
        for (int64_t i = 0; i < n_out; ++i) s += w[size_t(i)] * y[size_t(i)];
        return s;
      };
      num = numeric_grad(loss, xd.data(), n_in);
    } else {  // too large for numeric gradients: the exact scatter of w to the reference argmax
      std::vector<double> y;
      std::vector<int32_t> a;
      ref_maxout(xd, rows, units, pieces, y, a);
      num.assign(static_cast<size_t>(n_in), 0.0);
      for (int64_t g = 0; g < n_out; ++g) num[size_t(g * pieces + a[size_t(g)])] = w[size_t(g)];
    }

    const std::vector<T> x(xd.begin(), xd.end()), dy(w.begin(), w.end());
    std::vector<T> y(static_cast<size_t>(n_out));
    std::vector<int32_t> arg(static_cast<size_t>(n_out));
    std::vector<T> dx(static_cast<size_t>(n_in), std::numeric_limits<T>::quiet_NaN());
    cpu::maxout_forward(x.data(), y.data(), arg.data(), rows, units, pieces);
    cpu::maxout_backward(dy.data(), arg.data(), dx.data(), rows, units, pieces);
    const bool f = std::is_same_v<T, float>;
    CHECK_MESSAGE(all_close(dx, num, f ? 1e-6 : 1e-8, f ? 1e-6 : 1e-8, "maxout dx"), rows, "x", units,
                  "x", pieces);
  }
}

TEST_CASE_TEMPLATE("maxout: ties go to the first piece, in forward and backward", T, float, double) {
  // unit 0: all equal; unit 1: pieces 1 and 2 tie for the max; unit 2: tie below a unique max.
  const std::vector<T> x = {T(2), T(2), T(2), T(-1), T(5), T(5), T(3), T(3), T(4)};
  std::vector<T> y(3);
  std::vector<int32_t> arg(3);
  cpu::maxout_forward(x.data(), y.data(), arg.data(), 1, 3, 3);
  CHECK(y == std::vector<T>{T(2), T(5), T(4)});
  CHECK(arg == std::vector<int32_t>{0, 1, 2});

  const std::vector<T> dy = {T(1), T(2), T(3)};
  std::vector<T> dx(9, T(7));
  cpu::maxout_backward(dy.data(), arg.data(), dx.data(), 1, 3, 3);
  CHECK(dx == std::vector<T>{T(1), T(0), T(0), T(0), T(2), T(0), T(0), T(0), T(3)});
}

TEST_CASE_TEMPLATE("maxout: ties and NaNs resolve the same inside vector blocks and in the tail", T, float,
                   double) {
  // 3 rows x 23 units x 4 pieces: units cycle through all equal, a tie for the max between
  // pieces 1 and 3, a NaN in piece 0 (it propagates), a NaN in piece 2 (skipped), a plain max.
  const int64_t rows = 3, units = 23, pieces = 4, n = rows * units;
  const T nan = std::numeric_limits<T>::quiet_NaN();
  std::vector<T> x(static_cast<size_t>(n * pieces));
  std::vector<T> want_y(static_cast<size_t>(n));
  std::vector<int32_t> want_arg(static_cast<size_t>(n));
  for (int64_t g = 0; g < n; ++g) {
    T* p = x.data() + g * pieces;
    const T s = T(g % 7);
    switch (g % 5) {
      case 0: p[0] = p[1] = p[2] = p[3] = s, want_y[size_t(g)] = s, want_arg[size_t(g)] = 0; break;
      case 1: p[0] = s, p[1] = s + 2, p[2] = s + 1, p[3] = s + 2, want_y[size_t(g)] = s + 2, want_arg[size_t(g)] = 1; break;
      case 2: p[0] = nan, p[1] = s + 3, p[2] = s, p[3] = s, want_y[size_t(g)] = nan, want_arg[size_t(g)] = 0; break;
      case 3: p[0] = s, p[1] = s - 1, p[2] = nan, p[3] = s + 1, want_y[size_t(g)] = s + 1, want_arg[size_t(g)] = 3; break;
      default: p[0] = s - 1, p[1] = s, p[2] = s + 4, p[3] = s + 3, want_y[size_t(g)] = s + 4, want_arg[size_t(g)] = 2;
    }
  }
  std::vector<T> y(static_cast<size_t>(n));
  std::vector<int32_t> arg(static_cast<size_t>(n), -1);
  cpu::maxout_forward(x.data(), y.data(), arg.data(), rows, units, pieces);
  CHECK(arg == want_arg);
  for (int64_t g = 0; g < n; ++g) {
    if (std::isnan(want_y[size_t(g)])) CHECK_MESSAGE(std::isnan(y[size_t(g)]), "unit ", g);
    else CHECK_MESSAGE(y[size_t(g)] == want_y[size_t(g)], "unit ", g);
  }
  std::vector<T> dy(static_cast<size_t>(n)), dx(static_cast<size_t>(n * pieces), T(7));
  for (int64_t g = 0; g < n; ++g) dy[size_t(g)] = T(g + 1);
  cpu::maxout_backward(dy.data(), arg.data(), dx.data(), rows, units, pieces);
  for (int64_t g = 0; g < n; ++g)
    for (int64_t k = 0; k < pieces; ++k)
      CHECK_MESSAGE(dx[size_t(g * pieces + k)] == (k == want_arg[size_t(g)] ? dy[size_t(g)] : T(0)), "unit ", g,
                    " piece ", k);
}
