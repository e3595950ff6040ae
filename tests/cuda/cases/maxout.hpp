// Maxout forward and backward (the backward recomputes each group's winner from x) against a
// double reference and (under the shim) the CPU backend, ties and NaN included.
#include <cmath>

#include "cuda_test.hpp"
#include "entropic/cuda/maxout.cuh"
#if defined(ENTROPIC_CUDA_EMU)
#include "entropic/cpu/maxout.hpp"
#endif

namespace {
using namespace entropic::test;

template <class T>
void check(int64_t rows, int64_t units, int64_t pieces) {
  const int64_t cols = units * pieces;
  std::vector<T> x = random_values<T>(rows * cols, 51, -3, 3);
  const std::vector<T> dy = random_values<T>(rows * units, 52);
  if (pieces > 1 && rows * units > 2) {
    x[1] = x[0];                         // a tie in group 0: the first piece wins
    x[size_t(pieces)] = T(NAN);          // NaN in piece 0 of group 1 propagates
    x[size_t(2 * pieces + 1)] = T(NAN);  // NaN in a later piece of group 2 is skipped
  }
  DeviceBuffer<T> dx_(x), ddy(dy), dyo(size_t(rows * units), T(-7)), dgrad(size_t(rows * cols), T(NAN));
  entropic::cuda::maxout_forward(dx_.get(), dyo.get(), rows, units, pieces, kStream);
  entropic::cuda::maxout_backward(ddy.get(), dx_.get(), dgrad.get(), rows, units, pieces, kStream);
  std::vector<double> y(size_t(rows * units)), g(size_t(rows * cols), 0.0);
  for (int64_t o = 0; o < rows * units; ++o) {
    int64_t w = 0;
    for (int64_t k = 1; k < pieces; ++k)
      if (x[size_t(o * pieces + k)] > x[size_t(o * pieces + w)]) w = k;
    y[size_t(o)] = double(x[size_t(o * pieces + w)]);
    g[size_t(o * pieces + w)] = double(dy[size_t(o)]);
  }
  const std::string name = shape_name("maxout", {rows, units, pieces});
  const std::vector<T> got = dyo.host();
  for (size_t i = 0; i < got.size(); ++i) {
    CAPTURE(i);
    if (std::isnan(y[i])) CHECK(std::isnan(double(got[i])));
    else CHECK(double(got[i]) == y[i]);  // a maximum is exact
  }
  CHECK(all_close(dgrad.host(), g, 0, 0, name + " dx"));
#if defined(ENTROPIC_CUDA_EMU)
  std::vector<T> cy(size_t(rows * units)), cdx(size_t(rows * cols));
  std::vector<int32_t> arg(size_t(rows * units));
  entropic::cpu::maxout_forward(x.data(), cy.data(), arg.data(), rows, units, pieces);
  entropic::cpu::maxout_backward(dy.data(), arg.data(), cdx.data(), rows, units, pieces);
  CHECK(all_close(dgrad.host(), cdx, 0, 0, name + " dx vs cpu"));
#endif
}
}  // namespace

TEST_CASE("maxout forward and backward") {
  struct S {
    int64_t rows, units, pieces;
  };
  const std::vector<S> shapes = kTsan ? std::vector<S>{{1, 1, 1}, {3, 5, 2}}
                                      : std::vector<S>{{1, 1, 1}, {3, 5, 2}, {7, 33, 5}, {100, 200, 5}, {2, 300, 3}};
  for (const S& s : shapes) {
    check<float>(s.rows, s.units, s.pieces);
    check<double>(s.rows, s.units, s.pieces);
  }
}
