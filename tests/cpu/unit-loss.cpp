#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "entropic/core/rng.hpp"
#include "entropic/cpu/loss.hpp"
#include "support.hpp"

using namespace entropic;
using test::all_close;
using test::numeric_grad;
using test::random_vector;

namespace {

template <class T>
struct Tol {
  static constexpr bool f = std::is_same_v<T, float>;
  static constexpr double grad_atol = f ? 1e-6 : 1e-9, grad_rtol = f ? 1e-5 : 1e-7;
};

// Targets: a mix of hard labels (0 and 1, as a GAN uses) and soft labels.
std::vector<double> targets(int64_t n, uint64_t seed) {
  std::vector<double> t = random_vector(n, seed, 0, 1);
  for (int64_t i = 0; i < n; i += 3) t[size_t(i)] = (i / 3) % 2;
  return t;
}

// References written straight from the textbook definitions, in long double.
double ref_bce(const std::vector<double>& p, const std::vector<double>& t) {
  long double s = 0;
  for (size_t i = 0; i < p.size(); ++i)
    s += -(t[i] * std::log((long double)p[i]) + (1 - t[i]) * std::log(1 - (long double)p[i]));
  return double(s / p.size());
}
double ref_bce_logits(const std::vector<double>& z, const std::vector<double>& t) {
  long double s = 0;
  for (size_t i = 0; i < z.size(); ++i) {
    const long double q = 1 / (1 + std::exp(-(long double)z[i]));
    s += -(t[i] * std::log(q) + (1 - t[i]) * std::log(1 - q));
  }
  return double(s / z.size());
}

// The values a T kernel actually sees, widened back to double for the references.
template <class T>
std::vector<double> rounded(std::vector<double> v) {
  for (double& e : v) e = double(T(e));
  return v;
}

constexpr int64_t kSizes[] = {1, 7, 4097, 300 * 517};

}  // namespace

TEST_CASE_TEMPLATE("loss: bce forward matches the textbook definition", T, float, double) {
  for (int64_t n : kSizes) {
    const std::vector<double> p = rounded<T>(random_vector(n, uint64_t(n), 0.01, 0.99));
    const std::vector<double> t = rounded<T>(targets(n, uint64_t(n) + 1));
    const std::vector<T> pt(p.begin(), p.end()), tt(t.begin(), t.end());
    CHECK_MESSAGE(cpu::bce_forward(pt.data(), tt.data(), n) == doctest::Approx(ref_bce(p, t)).epsilon(1e-12),
                  "n=", n);
  }
}

TEST_CASE_TEMPLATE("loss: bce clamps log at -100 like PyTorch", T, float, double) {
  const std::vector<T> p = {T(0), T(0), T(1), T(1)}, t = {T(0), T(1), T(1), T(0)};
  for (int i = 0; i < 4; ++i) {
    const double expected = (i == 1 || i == 3) ? 100.0 : 0.0;
    CHECK(cpu::bce_forward(p.data() + i, t.data() + i, 1) == expected);
  }
  std::vector<T> dp(4);
  cpu::bce_backward(p.data(), t.data(), dp.data(), 4, 1.0);
  for (T v : dp) CHECK(std::isfinite(double(v)));
  // (p - t) / max(p (1 - p), 1e-12): 0 where p == t, -+1e12 where the prediction is certain and wrong.
  CHECK(dp[0] == T(0));
  CHECK(dp[1] == doctest::Approx(-1e12).epsilon(1e-6));
  CHECK(dp[2] == T(0));
  CHECK(dp[3] == doctest::Approx(1e12).epsilon(1e-6));
}

TEST_CASE_TEMPLATE("loss: bce backward matches central differences and overwrites", T, float, double) {
  const double upstream = 0.7;
  for (int64_t n : {1, 7, 33}) {
    std::vector<double> p = rounded<T>(random_vector(n, 5 + uint64_t(n), 0.05, 0.95));
    const std::vector<double> t = rounded<T>(targets(n, 6 + uint64_t(n)));
    const auto loss = [&] { return upstream * ref_bce(p, t); };
    const std::vector<double> num = numeric_grad(loss, p.data(), n);
    const std::vector<T> pt(p.begin(), p.end()), tt(t.begin(), t.end());
    std::vector<T> dp(static_cast<size_t>(n), std::numeric_limits<T>::quiet_NaN());
    cpu::bce_backward(pt.data(), tt.data(), dp.data(), n, upstream / double(n));
    CHECK_MESSAGE(all_close(dp, num, Tol<T>::grad_atol, Tol<T>::grad_rtol, "bce dp"), "n=", n);
  }
}

TEST_CASE_TEMPLATE("loss: bce_with_logits forward matches the textbook definition", T, float, double) {
  for (int64_t n : kSizes) {
    const std::vector<double> z = rounded<T>(random_vector(n, 10 + uint64_t(n), -8, 8));
    const std::vector<double> t = rounded<T>(targets(n, 11 + uint64_t(n)));
    const std::vector<T> zt(z.begin(), z.end()), tt(t.begin(), t.end());
    CHECK_MESSAGE(cpu::bce_with_logits_forward(zt.data(), tt.data(), n) ==
                      doctest::Approx(ref_bce_logits(z, t)).epsilon(1e-12),
                  "n=", n);
  }
}

TEST_CASE_TEMPLATE("loss: bce_with_logits backward matches central differences and overwrites", T,
                   float, double) {
  const double upstream = -1.3;
  for (int64_t n : {1, 7, 33}) {
    std::vector<double> z = rounded<T>(random_vector(n, 20 + uint64_t(n), -6, 6));
    const std::vector<double> t = rounded<T>(targets(n, 21 + uint64_t(n)));
    const auto loss = [&] { return upstream * ref_bce_logits(z, t); };
    const std::vector<double> num = numeric_grad(loss, z.data(), n);
    const std::vector<T> zt(z.begin(), z.end()), tt(t.begin(), t.end());
    std::vector<T> dz(static_cast<size_t>(n), std::numeric_limits<T>::quiet_NaN());
    cpu::bce_with_logits_backward(zt.data(), tt.data(), dz.data(), n, upstream / double(n));
    CHECK_MESSAGE(all_close(dz, num, Tol<T>::grad_atol, Tol<T>::grad_rtol, "bce_with_logits dz"), "n=", n);
  }
}

TEST_CASE_TEMPLATE("loss: backward on the multi-threaded path matches the closed form", T, float, double) {
  const int64_t n = 300 * 517;
  const double scale = 2.0 / double(n);
  const std::vector<double> p = rounded<T>(random_vector(n, 30, 0.01, 0.99));
  const std::vector<double> z = rounded<T>(random_vector(n, 31, -10, 10));
  const std::vector<double> t = rounded<T>(targets(n, 32));
  const std::vector<T> pt(p.begin(), p.end()), zt(z.begin(), z.end()), tt(t.begin(), t.end());
  std::vector<T> dp(static_cast<size_t>(n)), dz(static_cast<size_t>(n));
  cpu::bce_backward(pt.data(), tt.data(), dp.data(), n, scale);
  cpu::bce_with_logits_backward(zt.data(), tt.data(), dz.data(), n, scale);
  std::vector<double> ref_dp(static_cast<size_t>(n)), ref_dz(static_cast<size_t>(n));
  for (size_t i = 0; i < size_t(n); ++i) {
    ref_dp[i] = (p[i] - t[i]) / (p[i] * (1 - p[i])) * scale;
    ref_dz[i] = (1 / (1 + std::exp(-z[i])) - t[i]) * scale;
  }
  const bool f = std::is_same_v<T, float>;
  CHECK(all_close(dp, ref_dp, 0.0, f ? 1e-5 : 1e-12, "bce dp"));
  // sigmoid(z) - t cancels for soft targets, so dz keeps an absolute bound of a few ulps of 1.
  CHECK(all_close(dz, ref_dz, (f ? 5e-7 : 1e-15) * scale, f ? 1e-5 : 1e-12, "bce_with_logits dz"));
}

TEST_CASE_TEMPLATE("loss: bce_with_logits is finite and exact for logits of +-100 and +-1e4", T, float,
                   double) {
  for (double mag : {100.0, 1e4}) {
    // z: +mag, +mag, -mag, -mag; t: 1, 0, 0, 1 (right, wrong, right, wrong).
    const std::vector<T> z = {T(mag), T(mag), T(-mag), T(-mag)}, t = {T(1), T(0), T(0), T(1)};
    // Per element: log1p(e^-mag) when right, mag + log1p(e^-mag) when wrong.
    const double small = std::log1p(std::exp(-mag));
    for (int i = 0; i < 4; ++i) {
      const double expected = (i == 1 || i == 3) ? mag + small : small;
      const double got = cpu::bce_with_logits_forward(z.data() + i, t.data() + i, 1);
      CHECK(std::isfinite(got));
      CHECK(got == doctest::Approx(expected).epsilon(1e-15));
      if (expected < 1) CHECK(std::fabs(got - expected) <= 1e-3 * expected + 1e-300);
    }
    CHECK(cpu::bce_with_logits_forward(z.data(), t.data(), 4) == doctest::Approx(mag / 2 + small));

    std::vector<T> dz(4);
    cpu::bce_with_logits_backward(z.data(), t.data(), dz.data(), 4, 0.25);
    // sigmoid(+-mag) rounds to 1 / e^-mag: right answers get (nearly) 0, wrong ones +-0.25.
    CHECK(dz[0] == doctest::Approx(0.0));
    CHECK(dz[1] == doctest::Approx(0.25));
    CHECK(dz[2] == doctest::Approx(0.0));
    CHECK(dz[3] == doctest::Approx(-0.25));
    for (T v : dz) CHECK(std::isfinite(double(v)));
  }
}
