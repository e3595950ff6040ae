#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <utility>
#include <vector>

#include "entropic/cpu/batchnorm.hpp"
#include "support.hpp"

using namespace entropic;
using test::all_close;
using test::numeric_grad;
using test::random_vector;

namespace {

constexpr double kEps = 1e-5;

template <class T>
struct Tol {
  static constexpr bool f = std::is_same_v<T, float>;
  static constexpr double atol = f ? 1e-5 : 1e-12, rtol = f ? 1e-5 : 1e-11;
  static constexpr double grad_atol = f ? 2e-5 : 1e-7, grad_rtol = f ? 1e-4 : 1e-6;
};

// The values a T kernel actually sees, widened back to double for the references.
template <class T>
std::vector<double> rounded(std::vector<double> v) {
  for (double& e : v) e = double(T(e));
  return v;
}
template <class T>
std::vector<T> as(const std::vector<double>& v) {
  return std::vector<T>(v.begin(), v.end());
}
template <class T>
T* ptr(std::vector<T>& v) {
  return v.empty() ? nullptr : v.data();
}
template <class T>
const T* ptr(const std::vector<T>& v) {
  return v.empty() ? nullptr : v.data();
}

// Activations off zero mean and unit scale, as after a Linear layer.
std::vector<double> activations(int64_t rows, int64_t cols, uint64_t seed) {
  std::vector<double> x = random_vector(rows * cols, seed, -2, 2);
  for (int64_t i = 0; i < rows * cols; ++i) x[size_t(i)] += 3.0 + 0.01 * double(i % cols);
  return x;
}

struct TrainRef {
  std::vector<double> y, mean, rstd, unbiased_var;
};

// Straight from the definition; gamma / beta empty means affine = false.
TrainRef ref_train(const std::vector<double>& x, const std::vector<double>& gamma,
                   const std::vector<double>& beta, int64_t rows, int64_t cols) {
  TrainRef r;
  r.y.resize(x.size());
  for (int64_t c = 0; c < cols; ++c) {
    double m = 0;
    for (int64_t i = 0; i < rows; ++i) m += x[size_t(i * cols + c)];
    m /= double(rows);
    double v = 0;
    for (int64_t i = 0; i < rows; ++i) v += (x[size_t(i * cols + c)] - m) * (x[size_t(i * cols + c)] - m);
    const double rs = 1 / std::sqrt(v / double(rows) + kEps);
    r.mean.push_back(m);
    r.rstd.push_back(rs);
    r.unbiased_var.push_back(v / double(rows - 1));
    const double g = gamma.empty() ? 1 : gamma[size_t(c)], b = beta.empty() ? 0 : beta[size_t(c)];
    for (int64_t i = 0; i < rows; ++i)
      r.y[size_t(i * cols + c)] = (x[size_t(i * cols + c)] - m) * rs * g + b;
  }
  return r;
}

std::vector<double> ref_eval(const std::vector<double>& x, const std::vector<double>& gamma,
                             const std::vector<double>& beta, const std::vector<double>& rm,
                             const std::vector<double>& rv, int64_t rows, int64_t cols) {
  std::vector<double> y(x.size());
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t c = 0; c < cols; ++c) {
      const double g = gamma.empty() ? 1 : gamma[size_t(c)], b = beta.empty() ? 0 : beta[size_t(c)];
      y[size_t(i * cols + c)] = (x[size_t(i * cols + c)] - rm[size_t(c)]) / std::sqrt(rv[size_t(c)] + kEps) * g + b;
    }
  return y;
}

double dot(const std::vector<double>& a, const std::vector<double>& b) {
  double s = 0;
  for (size_t i = 0; i < a.size(); ++i) s += a[i] * b[i];
  return s;
}

// 1 row is valid only in eval; 100 x 300 and 4 x 300 cross the 256-column tile; 300 x 517
// takes the multi-threaded path.
const std::pair<int64_t, int64_t> kTrainShapes[] = {{2, 1}, {3, 5}, {64, 128}, {100, 300}, {300, 517}};

}  // namespace

TEST_CASE_TEMPLATE("batchnorm: training forward normalises with the batch statistics", T, float, double) {
  for (auto [rows, cols] : kTrainShapes)
    for (bool affine : {true, false}) {
      const std::vector<double> x = rounded<T>(activations(rows, cols, uint64_t(rows + cols)));
      const std::vector<double> gamma = affine ? rounded<T>(random_vector(cols, 1, 0.5, 1.5)) : std::vector<double>{};
      const std::vector<double> beta = affine ? rounded<T>(random_vector(cols, 2)) : std::vector<double>{};
      const TrainRef ref = ref_train(x, gamma, beta, rows, cols);

      const std::vector<T> xt = as<T>(x), gt = as<T>(gamma), bt = as<T>(beta);
      std::vector<T> y(x.size()), mean(static_cast<size_t>(cols)), rstd(static_cast<size_t>(cols));
      cpu::batchnorm_forward_train(xt.data(), ptr(gt), ptr(bt), y.data(), mean.data(), rstd.data(),
                                   (T*)nullptr, (T*)nullptr, rows, cols, kEps, 0.1);
      CHECK_MESSAGE(all_close(mean, ref.mean, Tol<T>::atol, Tol<T>::rtol, "mean"), rows, "x", cols);
      CHECK_MESSAGE(all_close(rstd, ref.rstd, 0.0, Tol<T>::rtol, "rstd"), rows, "x", cols);
      CHECK_MESSAGE(all_close(y, ref.y, Tol<T>::atol, Tol<T>::rtol, "y"), rows, "x", cols, " affine=", affine);
    }
}

TEST_CASE_TEMPLATE("batchnorm: running statistics follow PyTorch's update with the unbiased variance", T,
                   float, double) {
  // Columns: x = (1, 3, 5) and (2, 6, 10). Means 3 and 6; unbiased variances 4 and 16.
  const std::vector<T> x = {T(1), T(2), T(3), T(6), T(5), T(10)};
  std::vector<T> rm = {T(0.5), T(-1)}, rv = {T(2), T(3)};
  std::vector<T> y(6), mean(2), rstd(2);
  cpu::batchnorm_forward_train(x.data(), (const T*)nullptr, (const T*)nullptr, y.data(), mean.data(),
                               rstd.data(), rm.data(), rv.data(), 3, 2, kEps, 0.1);
  // running = 0.9 * running + 0.1 * batch
  CHECK(double(rm[0]) == doctest::Approx(0.9 * 0.5 + 0.1 * 3).epsilon(1e-6));
  CHECK(double(rm[1]) == doctest::Approx(0.9 * -1 + 0.1 * 6).epsilon(1e-6));
  CHECK(double(rv[0]) == doctest::Approx(0.9 * 2 + 0.1 * 4).epsilon(1e-6));
  CHECK(double(rv[1]) == doctest::Approx(0.9 * 3 + 0.1 * 16).epsilon(1e-6));
  // ... while the normalisation itself uses the biased variance (8/3 and 32/3).
  CHECK(double(rstd[0]) == doctest::Approx(1 / std::sqrt(8.0 / 3 + kEps)).epsilon(1e-6));
  CHECK(double(rstd[1]) == doctest::Approx(1 / std::sqrt(32.0 / 3 + kEps)).epsilon(1e-6));
  CHECK(double(y[0]) == doctest::Approx(-2 / std::sqrt(8.0 / 3 + kEps)).epsilon(1e-6));

  // Momentum 1 replaces the running statistics outright, on the multi-threaded path too.
  const int64_t rows = 300, cols = 517;
  const std::vector<double> xd = rounded<T>(activations(rows, cols, 9));
  const TrainRef ref = ref_train(xd, {}, {}, rows, cols);
  const std::vector<T> xt = as<T>(xd);
  std::vector<T> yb(xd.size()), mb(static_cast<size_t>(cols)), sb(static_cast<size_t>(cols));
  std::vector<T> rmb(static_cast<size_t>(cols), T(7)), rvb(static_cast<size_t>(cols), T(7));
  cpu::batchnorm_forward_train(xt.data(), (const T*)nullptr, (const T*)nullptr, yb.data(), mb.data(),
                               sb.data(), rmb.data(), rvb.data(), rows, cols, kEps, 1.0);
  CHECK(all_close(rmb, ref.mean, Tol<T>::atol, Tol<T>::rtol, "running_mean"));
  CHECK(all_close(rvb, ref.unbiased_var, Tol<T>::atol, Tol<T>::rtol, "running_var"));
}

TEST_CASE_TEMPLATE("batchnorm: eval forward uses the running statistics", T, float, double) {
  const std::pair<int64_t, int64_t> shapes[] = {{1, 1}, {1, 7}, {5, 3}, {4, 300}, {300, 517}};
  for (auto [rows, cols] : shapes)
    for (bool affine : {true, false}) {
      const std::vector<double> x = rounded<T>(activations(rows, cols, uint64_t(3 * rows + cols)));
      const std::vector<double> gamma = affine ? rounded<T>(random_vector(cols, 1, 0.5, 1.5)) : std::vector<double>{};
      const std::vector<double> beta = affine ? rounded<T>(random_vector(cols, 2)) : std::vector<double>{};
      const std::vector<double> rm = rounded<T>(random_vector(cols, 3, 2, 4));
      const std::vector<double> rv = rounded<T>(random_vector(cols, 4, 0.5, 2));
      const std::vector<double> ref = ref_eval(x, gamma, beta, rm, rv, rows, cols);
      const std::vector<T> xt = as<T>(x), gt = as<T>(gamma), bt = as<T>(beta), rmt = as<T>(rm), rvt = as<T>(rv);
      std::vector<T> y(x.size());
      cpu::batchnorm_forward_eval(xt.data(), ptr(gt), ptr(bt), rmt.data(), rvt.data(), y.data(), rows, cols, kEps);
      CHECK_MESSAGE(all_close(y, ref, Tol<T>::atol, Tol<T>::rtol, "eval y"), rows, "x", cols, " affine=", affine);
    }
}

TEST_CASE_TEMPLATE("batchnorm: training backward matches central differences (dx, dgamma, dbeta)", T,
                   float, double) {
  const std::pair<int64_t, int64_t> shapes[] = {{2, 1}, {3, 5}, {7, 13}, {4, 300}};
  for (auto [rows, cols] : shapes)
    for (bool affine : {true, false}) {
      std::vector<double> x = rounded<T>(activations(rows, cols, uint64_t(5 * rows + cols)));
      std::vector<double> gamma = affine ? rounded<T>(random_vector(cols, 1, 0.5, 1.5)) : std::vector<double>{};
      std::vector<double> beta = affine ? rounded<T>(random_vector(cols, 2)) : std::vector<double>{};
      const std::vector<double> w = rounded<T>(random_vector(rows * cols, 6));
      // L = sum(w .* y): the batch statistics move with every x, which is what dx must capture.
      const auto loss = [&] { return dot(w, ref_train(x, gamma, beta, rows, cols).y); };
      const std::vector<double> num_dx = numeric_grad(loss, x.data(), rows * cols);
      const std::vector<double> num_dg = affine ? numeric_grad(loss, gamma.data(), cols) : std::vector<double>{};
      const std::vector<double> num_db = affine ? numeric_grad(loss, beta.data(), cols) : std::vector<double>{};

      const std::vector<T> xt = as<T>(x), gt = as<T>(gamma), bt = as<T>(beta), dy = as<T>(w);
      std::vector<T> y(x.size()), mean(static_cast<size_t>(cols)), rstd(static_cast<size_t>(cols));
      cpu::batchnorm_forward_train(xt.data(), ptr(gt), ptr(bt), y.data(), mean.data(), rstd.data(),
                                   (T*)nullptr, (T*)nullptr, rows, cols, kEps, 0.1);
      std::vector<T> dx(x.size(), std::numeric_limits<T>::quiet_NaN());
      std::vector<T> dg(gamma.size(), T(0)), db(beta.size(), T(0));
      cpu::batchnorm_backward_train(dy.data(), xt.data(), mean.data(), rstd.data(), ptr(gt), dx.data(),
                                    ptr(dg), ptr(db), rows, cols);
      CHECK_MESSAGE(all_close(dx, num_dx, Tol<T>::grad_atol, Tol<T>::grad_rtol, "dx"), rows, "x", cols,
                    " affine=", affine);
      CHECK_MESSAGE(all_close(dg, num_dg, Tol<T>::grad_atol, Tol<T>::grad_rtol, "dgamma"), rows, "x", cols);
      CHECK_MESSAGE(all_close(db, num_db, Tol<T>::grad_atol, Tol<T>::grad_rtol, "dbeta"), rows, "x", cols);
    }
}

TEST_CASE_TEMPLATE("batchnorm: training backward accumulates dgamma/dbeta and overwrites dx", T, float,
                   double) {
  const int64_t rows = 300, cols = 517;  // multi-threaded path
  const std::vector<double> x = rounded<T>(activations(rows, cols, 21));
  const std::vector<double> gamma = rounded<T>(random_vector(cols, 22, 0.5, 1.5));
  const std::vector<double> beta = rounded<T>(random_vector(cols, 23));
  const std::vector<double> w = rounded<T>(random_vector(rows * cols, 24));
  const TrainRef ref = ref_train(x, gamma, beta, rows, cols);

  // Closed-form reference, checked by central differences on the small shapes above.
  std::vector<double> ref_dx(x.size()), ref_dg(static_cast<size_t>(cols)), ref_db(static_cast<size_t>(cols));
  for (int64_t c = 0; c < cols; ++c) {
    double sdy = 0, sdyxh = 0;
    for (int64_t i = 0; i < rows; ++i) {
      const size_t k = size_t(i * cols + c);
      sdy += w[k];
      sdyxh += w[k] * (x[k] - ref.mean[size_t(c)]) * ref.rstd[size_t(c)];
    }
    ref_dg[size_t(c)] = sdyxh;
    ref_db[size_t(c)] = sdy;
    for (int64_t i = 0; i < rows; ++i) {
      const size_t k = size_t(i * cols + c);
      const double xh = (x[k] - ref.mean[size_t(c)]) * ref.rstd[size_t(c)];
      ref_dx[k] = gamma[size_t(c)] * ref.rstd[size_t(c)] / double(rows) *
                  (double(rows) * w[k] - sdy - xh * sdyxh);
    }
  }

  const std::vector<T> xt = as<T>(x), gt = as<T>(gamma), bt = as<T>(beta), dy = as<T>(w);
  std::vector<T> y(x.size()), mean(static_cast<size_t>(cols)), rstd(static_cast<size_t>(cols));
  cpu::batchnorm_forward_train(xt.data(), gt.data(), bt.data(), y.data(), mean.data(), rstd.data(),
                               (T*)nullptr, (T*)nullptr, rows, cols, kEps, 0.1);
  const std::vector<double> dg0 = rounded<T>(random_vector(cols, 25)), db0 = rounded<T>(random_vector(cols, 26));
  std::vector<T> dg = as<T>(dg0), db = as<T>(db0);
  std::vector<T> dx(x.size(), std::numeric_limits<T>::quiet_NaN());
  cpu::batchnorm_backward_train(dy.data(), xt.data(), mean.data(), rstd.data(), gt.data(), dx.data(),
                                dg.data(), db.data(), rows, cols);
  CHECK(all_close(dx, ref_dx, Tol<T>::grad_atol, Tol<T>::grad_rtol, "dx"));
  const std::vector<T> dx_once = dx;
  std::vector<double> dg_exp(dg0), db_exp(db0);
  for (int64_t c = 0; c < cols; ++c) {
    dg_exp[size_t(c)] += ref_dg[size_t(c)];
    db_exp[size_t(c)] += ref_db[size_t(c)];
  }
  CHECK(all_close(dg, dg_exp, 10 * Tol<T>::grad_atol, Tol<T>::grad_rtol, "dgamma once"));
  CHECK(all_close(db, db_exp, 10 * Tol<T>::grad_atol, Tol<T>::grad_rtol, "dbeta once"));

  cpu::batchnorm_backward_train(dy.data(), xt.data(), mean.data(), rstd.data(), gt.data(), dx.data(),
                                dg.data(), db.data(), rows, cols);
  CHECK(dx == dx_once);
  for (int64_t c = 0; c < cols; ++c) {
    dg_exp[size_t(c)] += ref_dg[size_t(c)];
    db_exp[size_t(c)] += ref_db[size_t(c)];
  }
  CHECK(all_close(dg, dg_exp, 20 * Tol<T>::grad_atol, Tol<T>::grad_rtol, "dgamma twice"));
  CHECK(all_close(db, db_exp, 20 * Tol<T>::grad_atol, Tol<T>::grad_rtol, "dbeta twice"));
}

TEST_CASE_TEMPLATE("batchnorm: eval backward matches central differences", T, float, double) {
  const std::pair<int64_t, int64_t> shapes[] = {{1, 4}, {5, 3}, {4, 300}};
  for (auto [rows, cols] : shapes) {
    std::vector<double> x = rounded<T>(activations(rows, cols, uint64_t(7 * rows + cols)));
    std::vector<double> gamma = rounded<T>(random_vector(cols, 31, 0.5, 1.5));
    std::vector<double> beta = rounded<T>(random_vector(cols, 32));
    const std::vector<double> rm = rounded<T>(random_vector(cols, 33, 2, 4));
    const std::vector<double> rv = rounded<T>(random_vector(cols, 34, 0.5, 2));
    const std::vector<double> w = rounded<T>(random_vector(rows * cols, 35));
    const auto loss = [&] { return dot(w, ref_eval(x, gamma, beta, rm, rv, rows, cols)); };
    const std::vector<double> num_dx = numeric_grad(loss, x.data(), rows * cols);
    const std::vector<double> num_dg = numeric_grad(loss, gamma.data(), cols);
    const std::vector<double> num_db = numeric_grad(loss, beta.data(), cols);

    const std::vector<T> xt = as<T>(x), gt = as<T>(gamma), rmt = as<T>(rm), rvt = as<T>(rv), dy = as<T>(w);
    std::vector<T> dx(x.size(), std::numeric_limits<T>::quiet_NaN());
    std::vector<T> dg(static_cast<size_t>(cols), T(1)), db(static_cast<size_t>(cols), T(1));
    cpu::batchnorm_backward_eval(dy.data(), xt.data(), gt.data(), rmt.data(), rvt.data(), dx.data(),
                                 dg.data(), db.data(), rows, cols, kEps);
    std::vector<double> dg_exp(num_dg), db_exp(num_db);
    for (double& g : dg_exp) g += 1;  // accumulated onto the initial 1
    for (double& g : db_exp) g += 1;
    CHECK_MESSAGE(all_close(dx, num_dx, Tol<T>::grad_atol, Tol<T>::grad_rtol, "eval dx"), rows, "x", cols);
    CHECK_MESSAGE(all_close(dg, dg_exp, Tol<T>::grad_atol, Tol<T>::grad_rtol, "eval dgamma"), rows, "x", cols);
    CHECK_MESSAGE(all_close(db, db_exp, Tol<T>::grad_atol, Tol<T>::grad_rtol, "eval dbeta"), rows, "x", cols);
  }
}
