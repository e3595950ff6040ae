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
// 300 x 173 x 3 (519 input columns) takes the multi-threaded path.
const std::tuple<int64_t, int64_t, int64_t> kShapes[] = {
    {1, 1, 1}, {1, 5, 2}, {3, 7, 3}, {4, 3, 4}, {2, 9, 5}, {5, 4, 7}, {300, 173, 3}};

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
