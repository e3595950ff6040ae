#include <doctest/doctest.h>

#include <cstdint>
#include <utility>
#include <vector>

#include "entropic/cpu/bias.hpp"
#include "support.hpp"

using namespace entropic;
using test::all_close;
using test::numeric_grad;
using test::random_vector;

namespace {

template <class T>
struct Tol {
  static constexpr bool f = std::is_same_v<T, float>;
  static constexpr double atol = f ? 1e-6 : 1e-14, rtol = f ? 1e-6 : 1e-13;
  static constexpr double grad_atol = f ? 1e-5 : 1e-7, grad_rtol = f ? 1e-5 : 1e-7;
};

template <class T>
std::vector<T> rounded(int64_t n, uint64_t seed) {
  const std::vector<double> v = random_vector(n, seed);
  return std::vector<T>(v.begin(), v.end());
}

// 300 x 517 takes the multi-threaded path; 3 x 300 crosses a 256-column tile.
const std::pair<int64_t, int64_t> kShapes[] = {{1, 1}, {1, 7}, {5, 3}, {13, 33}, {3, 300}, {300, 517}};

}  // namespace

TEST_CASE_TEMPLATE("bias: add_bias adds b to every row", T, float, double) {
  for (auto [rows, cols] : kShapes) {
    std::vector<T> y = rounded<T>(rows * cols, 1), b = rounded<T>(cols, 2);
    std::vector<double> ref(y.size());
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t c = 0; c < cols; ++c)
        ref[size_t(r * cols + c)] = double(y[size_t(r * cols + c)]) + double(b[size_t(c)]);
    cpu::add_bias(y.data(), b.data(), rows, cols);
    CHECK_MESSAGE(all_close(y, ref, Tol<T>::atol, Tol<T>::rtol, "add_bias"), rows, "x", cols);
  }
}

TEST_CASE_TEMPLATE("bias: bias_backward matches central differences and accumulates", T, float,
                   double) {
  for (auto [rows, cols] : kShapes) {
    const std::vector<double> x = random_vector(rows * cols, 3), w = random_vector(rows * cols, 4);
    std::vector<double> b = random_vector(cols, 5);
    const auto loss = [&] {  // L = sum(w .* (x + b))
      double s = 0;
      for (int64_t r = 0; r < rows; ++r)
        for (int64_t c = 0; c < cols; ++c)
          s += w[size_t(r * cols + c)] * (x[size_t(r * cols + c)] + b[size_t(c)]);
      return s;
    };
    // Rows x cols numeric gradients would be quadratic in the size; the large shape's column
    // sums are compared with an exact double reference instead.
    std::vector<double> num(static_cast<size_t>(cols), 0.0);
    if (rows * cols <= 4096) {
      num = numeric_grad(loss, b.data(), cols);
    } else {
      for (int64_t r = 0; r < rows; ++r)
        for (int64_t c = 0; c < cols; ++c) num[size_t(c)] += double(T(w[size_t(r * cols + c)]));
    }

    const std::vector<T> dy(w.begin(), w.end());
    const std::vector<T> db0 = rounded<T>(cols, 6);
    std::vector<T> db = db0;
    cpu::bias_backward(dy.data(), db.data(), rows, cols);
    std::vector<double> once(static_cast<size_t>(cols)), twice(static_cast<size_t>(cols));
    for (int64_t c = 0; c < cols; ++c) {
      once[size_t(c)] = double(db0[size_t(c)]) + num[size_t(c)];
      twice[size_t(c)] = double(db0[size_t(c)]) + 2 * num[size_t(c)];
    }
    CHECK_MESSAGE(all_close(db, once, Tol<T>::grad_atol, Tol<T>::grad_rtol, "dbias"), rows, "x", cols);
    cpu::bias_backward(dy.data(), db.data(), rows, cols);
    CHECK_MESSAGE(all_close(db, twice, 2 * Tol<T>::grad_atol, Tol<T>::grad_rtol, "dbias twice"), rows,
                  "x", cols);
  }
}
