#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "entropic/core/act.hpp"
#include "entropic/cpu/activations.hpp"
#include "support.hpp"

using namespace entropic;
using test::all_close;
using test::numeric_grad;
using test::random_vector;

namespace {

constexpr double kSlope = 0.2;

// Forward against the double reference; backward against central differences in double.
template <class T>
struct Tol {
  static constexpr bool f = std::is_same_v<T, float>;
  static constexpr double atol = f ? 1e-6 : 1e-14, rtol = f ? 2e-6 : 1e-13;
  static constexpr double grad_atol = f ? 1e-5 : 1e-7, grad_rtol = f ? 1e-5 : 1e-7;
};

constexpr Act kAll[] = {Act::relu, Act::leaky_relu, Act::tanh, Act::sigmoid};

double ref_f(Act a, double x) {
  switch (a) {
    case Act::relu: return x > 0 ? x : 0;
    case Act::leaky_relu: return x > 0 ? x : kSlope * x;
    case Act::tanh: return std::tanh(x);
    default: return 1 / (1 + std::exp(-x));
  }
}
double ref_df(Act a, double x) {
  switch (a) {
    case Act::relu: return x > 0 ? 1 : 0;
    case Act::leaky_relu: return x > 0 ? 1 : kSlope;
    case Act::tanh: return 1 - std::tanh(x) * std::tanh(x);
    default: {
      const double s = 1 / (1 + std::exp(-x));
      return s * (1 - s);
    }
  }
}

template <class T>
void forward(Act a, const T* x, T* y, int64_t n) {
  switch (a) {
    case Act::relu: return cpu::relu_forward(x, y, n);
    case Act::leaky_relu: return cpu::leaky_relu_forward(x, y, n, T(kSlope));
    case Act::tanh: return cpu::tanh_forward(x, y, n);
    default: return cpu::sigmoid_forward(x, y, n);
  }
}
// Each backward takes whichever of x or y its header says.
template <class T>
void backward(Act a, const T* dy, const T* x, const T* y, T* dx, int64_t n) {
  switch (a) {
    case Act::relu: return cpu::relu_backward(dy, y, dx, n);
    case Act::leaky_relu: return cpu::leaky_relu_backward(dy, x, dx, n, T(kSlope));
    case Act::tanh: return cpu::tanh_backward(dy, y, dx, n);
    default: return cpu::sigmoid_backward(dy, y, dx, n);
  }
}

// Inputs rounded to T, kept at least 1e-3 from the ReLU kink so central differences with
// h = 1e-6 never straddle it.
template <class T>
std::vector<T> inputs(int64_t n, uint64_t seed, double scale) {
  std::vector<double> v = random_vector(n, seed, -scale, scale);
  for (double& e : v)
    if (std::fabs(e) < 1e-3) e = e < 0 ? e - 1e-3 : e + 1e-3;
  return std::vector<T>(v.begin(), v.end());
}

// 300 x 517 takes the multi-threaded path of both grains.
constexpr int64_t kSizes[] = {1, 7, 33, 1000, 300 * 517};

}  // namespace

TEST_CASE_TEMPLATE("activations: forward matches a double reference", T, float, double) {
  for (Act a : kAll)
    for (int64_t n : kSizes) {
      const std::vector<T> x = inputs<T>(n, uint64_t(n) + 1, 4.0);
      std::vector<T> y(static_cast<size_t>(n));
      std::vector<double> ref(static_cast<size_t>(n));
      forward(a, x.data(), y.data(), n);
      for (int64_t i = 0; i < n; ++i) ref[size_t(i)] = ref_f(a, double(x[size_t(i)]));
      CHECK_MESSAGE(all_close(y, ref, Tol<T>::atol, Tol<T>::rtol, act_name(a)), act_name(a), " n=", n);
    }
}

TEST_CASE_TEMPLATE("activations: backward matches central differences of sum(w .* y)", T, float,
                   double) {
  for (Act a : kAll)
    for (int64_t n : {1, 7, 33}) {
      const std::vector<T> x = inputs<T>(n, 100 + uint64_t(n), 3.0);
      const std::vector<double> w = random_vector(n, 200 + uint64_t(n));
      std::vector<double> xd(x.begin(), x.end());
      const auto loss = [&] {
        double s = 0;
        for (int64_t i = 0; i < n; ++i) s += w[size_t(i)] * ref_f(a, xd[size_t(i)]);
        return s;
      };
      const std::vector<double> num = numeric_grad(loss, xd.data(), n);

      std::vector<T> y(static_cast<size_t>(n)), dy(w.begin(), w.end()), dx(static_cast<size_t>(n));
      forward(a, x.data(), y.data(), n);
      backward(a, dy.data(), x.data(), y.data(), dx.data(), n);
      CHECK_MESSAGE(all_close(dx, num, Tol<T>::grad_atol, Tol<T>::grad_rtol, act_name(a)), act_name(a),
                    " n=", n);
    }
}

TEST_CASE_TEMPLATE("activations: backward on the multi-threaded path overwrites dx", T, float,
                   double) {
  const int64_t n = 300 * 517;
  for (Act a : kAll) {
    const std::vector<T> x = inputs<T>(n, 7, 3.0);
    const std::vector<double> w = random_vector(n, 8);
    std::vector<T> y(static_cast<size_t>(n)), dy(w.begin(), w.end());
    std::vector<T> dx(static_cast<size_t>(n), std::numeric_limits<T>::quiet_NaN());
    forward(a, x.data(), y.data(), n);
    backward(a, dy.data(), x.data(), y.data(), dx.data(), n);
    std::vector<double> ref(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i)
      ref[size_t(i)] = double(dy[size_t(i)]) * ref_df(a, double(x[size_t(i)]));
    // The float backward of tanh/sigmoid works from the float output y, hence the looser bound.
    CHECK_MESSAGE(all_close(dx, ref, 10 * Tol<T>::atol, 10 * Tol<T>::rtol, act_name(a)), act_name(a));
  }
}

TEST_CASE_TEMPLATE("activations: ReLU and LeakyReLU at the kink use PyTorch's subgradient", T,
                   float, double) {
  const std::vector<T> x = {T(0), -T(0), T(1e-30), -T(1e-30)};
  const std::vector<T> dy = {T(3), T(3), T(3), T(3)};
  std::vector<T> y(4), dx(4);

  cpu::relu_forward(x.data(), y.data(), 4);
  cpu::relu_backward(dy.data(), y.data(), dx.data(), 4);
  CHECK(y == std::vector<T>{T(0), T(0), T(1e-30), T(0)});
  CHECK(dx == std::vector<T>{T(0), T(0), T(3), T(0)});  // relu'(0) = 0

  cpu::leaky_relu_forward(x.data(), y.data(), 4, T(kSlope));
  cpu::leaky_relu_backward(dy.data(), x.data(), dx.data(), 4, T(kSlope));
  CHECK(dx == std::vector<T>{T(3) * T(kSlope), T(3) * T(kSlope), T(3), T(3) * T(kSlope)});
  CHECK(y[0] == T(0));
  CHECK(y[3] == T(-1e-30) * T(kSlope));
}

TEST_CASE_TEMPLATE("activations: sigmoid and tanh stay finite and accurate for large |x|", T, float,
                   double) {
  const std::vector<T> x = {T(-1e4), T(-100), T(-30), T(30), T(100), T(1e4)};
  const int64_t n = int64_t(x.size());
  std::vector<T> y(x.size()), dx(x.size());
  const std::vector<T> dy(x.size(), T(1));

  cpu::sigmoid_forward(x.data(), y.data(), n);
  std::vector<double> ref(x.size());
  for (size_t i = 0; i < x.size(); ++i) {
    const double v = double(x[i]);
    ref[i] = v < 0 ? std::exp(v) / (1 + std::exp(v)) : 1 / (1 + std::exp(-v));
  }
  // Relative accuracy in the far negative tail is what the exp(-|x|) form buys; float denormals
  // at x = -100 only keep an absolute bound.
  CHECK(all_close(y, ref, std::is_same_v<T, float> ? 1e-44 : 0.0, Tol<T>::rtol, "sigmoid tail"));
  cpu::sigmoid_backward(dy.data(), y.data(), dx.data(), n);
  for (T v : dx) CHECK(std::isfinite(double(v)));

  cpu::tanh_forward(x.data(), y.data(), n);
  CHECK(y == std::vector<T>{T(-1), T(-1), T(-1), T(1), T(1), T(1)});
  cpu::tanh_backward(dy.data(), y.data(), dx.data(), n);
  for (T v : dx) CHECK(v == T(0));
}

TEST_CASE_TEMPLATE("activations: tanh and sigmoid keep relative accuracy on every branch", T, float,
                   double) {
  // Near 0 (tanh's odd polynomial), both sides of its 0.625 switch, the exp range reduction's
  // rounding boundaries, and the far tails.
  const std::vector<T> x = {T(1e-30), T(-1e-8),  T(3e-4),  T(-0.3),  T(0.624), T(0.626), T(-0.625),
                            T(1.27),  T(-1.954), T(0.3466), T(2.5),  T(-8.9),  T(9.1),   T(-20)};
  const int64_t n = int64_t(x.size());
  std::vector<T> y(x.size());
  std::vector<double> ref(x.size());
  const double rtol = std::is_same_v<T, float> ? 4e-7 : 1e-15;  // ~3 float ulps

  cpu::tanh_forward(x.data(), y.data(), n);
  for (size_t i = 0; i < x.size(); ++i) ref[i] = std::tanh(double(x[i]));
  CHECK(all_close(y, ref, 0.0, rtol, "tanh"));

  cpu::sigmoid_forward(x.data(), y.data(), n);
  for (size_t i = 0; i < x.size(); ++i) ref[i] = 1 / (1 + std::exp(-double(x[i])));
  CHECK(all_close(y, ref, 0.0, rtol, "sigmoid"));
}

TEST_CASE_TEMPLATE("activations: activation_inplace gives the out-of-place forward's bits, on every path", T, float,
                   double) {
  for (int64_t n : kSizes) {
    for (Act a : kAll) {
      CAPTURE(n);
      const std::vector<T> x = inputs<T>(n, 11, 12.0);  // both tanh/sigmoid branches, up to saturation
      std::vector<T> y(static_cast<size_t>(n)), z = x;
      forward(a, x.data(), y.data(), n);
      cpu::activation_inplace(a, z.data(), n, T(kSlope));
      CHECK_MESSAGE(z == y, act_name(a));
    }
    std::vector<T> z = inputs<T>(n, 12, 1.0);
    const std::vector<T> keep = z;
    cpu::activation_inplace(Act::none, z.data(), n, T(kSlope));
    CHECK(z == keep);
  }
}
