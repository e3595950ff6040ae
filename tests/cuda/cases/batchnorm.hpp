// BatchNorm1d: training forward (mean, rstd, running statistics), eval forward and training
// backward against a double reference and (under the shim) the CPU backend.
#include <cmath>

#include "cuda_test.hpp"
#include "entropic/cuda/batchnorm.cuh"
#if defined(ENTROPIC_CUDA_EMU)
#include "entropic/cpu/batchnorm.hpp"
#endif

namespace {
using namespace entropic::test;

struct Shape {
  int64_t rows, cols;
};

template <class T>
void check(Shape s, bool affine, double tol) {
  const auto [R, C] = s;
  const double eps = 1e-5, mom = 0.1;
  std::vector<T> x = random_values<T>(R * C, 21, -2, 3), dy = random_values<T>(R * C, 22);
  for (int64_t i = 0; i < R * C; i += 3) x[size_t(i)] += T(50);  // |mean| >> std in some columns
  const std::vector<T> gamma = random_values<T>(C, 23, 0.5, 1.5), beta = random_values<T>(C, 24);
  const std::vector<T> rm0 = random_values<T>(C, 25), rv0 = random_values<T>(C, 26, 0.5, 2);
  const std::vector<T> dg0 = random_values<T>(C, 27), db0 = random_values<T>(C, 28);
  DeviceBuffer<T> dx_(x), ddy(dy), dgamma_(gamma), dbeta_(beta), drm(rm0), drv(rv0), ddg(dg0), ddb(db0);
  DeviceBuffer<T> dyo(size_t(R * C), T(NAN)), dmean(static_cast<size_t>(C), T(NAN)), drstd(static_cast<size_t>(C), T(NAN));
  DeviceBuffer<T> dgrad(size_t(R * C), T(NAN)), deval(size_t(R * C), T(NAN)), devalgrad(size_t(R * C), T(NAN));
  DeviceBuffer<T> dedg(dg0), dedb(db0);
  const T* g = affine ? dgamma_.get() : nullptr;
  const T* b = affine ? dbeta_.get() : nullptr;
  entropic::cuda::batchnorm_forward_train(dx_.get(), g, b, dyo.get(), dmean.get(), drstd.get(), drm.get(), drv.get(),
                                          R, C, eps, mom, kStream);
  entropic::cuda::batchnorm_backward_train(ddy.get(), dx_.get(), dmean.get(), drstd.get(), g, dgrad.get(),
                                           affine ? ddg.get() : nullptr, affine ? ddb.get() : nullptr, R, C, kStream);
  entropic::cuda::batchnorm_forward_eval(dx_.get(), g, b, drm.get(), drv.get(), deval.get(), R, C, eps, kStream);
  entropic::cuda::batchnorm_backward_eval(ddy.get(), dx_.get(), g, drm.get(), drv.get(), devalgrad.get(),
                                          affine ? dedg.get() : nullptr, affine ? dedb.get() : nullptr, R, C, eps,
                                          kStream);

  // double reference
  std::vector<double> y(size_t(R * C)), mean(static_cast<size_t>(C)), rstd(static_cast<size_t>(C)), rm(static_cast<size_t>(C)), rv(static_cast<size_t>(C));
  std::vector<double> dx(size_t(R * C)), dg(dg0.begin(), dg0.end()), db(db0.begin(), db0.end()), ye(size_t(R * C));
  std::vector<double> dxe(size_t(R * C)), dge(dg0.begin(), dg0.end()), dbe(db0.begin(), db0.end());
  for (int64_t c = 0; c < C; ++c) {
    double m = 0, v = 0;
    for (int64_t r = 0; r < R; ++r) m += double(x[size_t(r * C + c)]) / double(R);
    for (int64_t r = 0; r < R; ++r) v += std::pow(double(x[size_t(r * C + c)]) - m, 2) / double(R);
    const double rs = 1 / std::sqrt(v + eps), gc = affine ? double(gamma[size_t(c)]) : 1.0;
    const double bc = affine ? double(beta[size_t(c)]) : 0.0;
    mean[size_t(c)] = m;
    rstd[size_t(c)] = rs;
    rm[size_t(c)] = (1 - mom) * double(rm0[size_t(c)]) + mom * m;
    rv[size_t(c)] = (1 - mom) * double(rv0[size_t(c)]) + mom * v * double(R) / double(R - 1);
    double sdy = 0, sdyx = 0;
    for (int64_t r = 0; r < R; ++r) {
      const size_t i = size_t(r * C + c);
      const double xh = (double(x[i]) - m) * rs;
      y[i] = xh * gc + bc;
      sdy += double(dy[i]);
      sdyx += double(dy[i]) * xh;
    }
    if (affine) {
      dg[size_t(c)] += sdyx;
      db[size_t(c)] += sdy;
    }
    const double ers = 1 / std::sqrt(rv[size_t(c)] + eps);
    for (int64_t r = 0; r < R; ++r) {
      const size_t i = size_t(r * C + c);
      const double xh = (double(x[i]) - m) * rs;
      dx[i] = gc * rs / double(R) * (double(R) * double(dy[i]) - sdy - xh * sdyx);
      ye[i] = (double(x[i]) - rm[size_t(c)]) * ers * gc + bc;
      // eval backward: the running statistics are constants
      dxe[i] = double(dy[i]) * gc * ers;
      dge[size_t(c)] += double(dy[i]) * (double(x[i]) - rm[size_t(c)]) * ers;
      dbe[size_t(c)] += double(dy[i]);
    }
  }
  const std::string name = shape_name("batchnorm", {R, C, affine});
  CHECK(all_close(dyo.host(), y, tol, tol, name + " y"));
  CHECK(all_close(dmean.host(), mean, tol, tol, name + " mean"));
  CHECK(all_close(drstd.host(), rstd, tol, tol, name + " rstd"));
  CHECK(all_close(drm.host(), rm, tol, tol, name + " running_mean"));
  CHECK(all_close(drv.host(), rv, tol, tol, name + " running_var (unbiased)"));
  CHECK(all_close(dgrad.host(), dx, tol, tol, name + " dx"));
  CHECK(all_close(deval.host(), ye, tol, tol, name + " eval y"));
  CHECK(all_close(devalgrad.host(), dxe, tol, tol, name + " eval dx"));
  if (affine) {
    CHECK(all_close(dedg.host(), dge, tol, tol, name + " eval dgamma (accumulated)"));
    CHECK(all_close(dedb.host(), dbe, tol, tol, name + " eval dbeta (accumulated)"));
    CHECK(all_close(ddg.host(), dg, tol, tol, name + " dgamma (accumulated)"));
    CHECK(all_close(ddb.host(), db, tol, tol, name + " dbeta (accumulated)"));
  }
#if defined(ENTROPIC_CUDA_EMU)
  std::vector<T> cy(size_t(R * C)), cmean(static_cast<size_t>(C)), crstd(static_cast<size_t>(C)), crm = rm0, crv = rv0, cdx(size_t(R * C));
  std::vector<T> cdg = dg0, cdb = db0;
  const T* cg = affine ? gamma.data() : nullptr;
  entropic::cpu::batchnorm_forward_train(x.data(), cg, affine ? beta.data() : nullptr, cy.data(), cmean.data(),
                                         crstd.data(), crm.data(), crv.data(), R, C, eps, mom);
  entropic::cpu::batchnorm_backward_train(dy.data(), x.data(), cmean.data(), crstd.data(), cg, cdx.data(),
                                          affine ? cdg.data() : nullptr, affine ? cdb.data() : nullptr, R, C);
  CHECK(all_close(dyo.host(), cy, tol, tol, name + " y vs cpu"));
  CHECK(all_close(drv.host(), crv, tol, tol, name + " running_var vs cpu"));
  CHECK(all_close(dgrad.host(), cdx, tol, tol, name + " dx vs cpu"));
  if (affine) CHECK(all_close(ddg.host(), cdg, tol, tol, name + " dgamma vs cpu"));
  std::vector<T> cedx(size_t(R * C)), cedg = dg0, cedb = db0;
  const std::vector<T> drm_h = drm.host(), drv_h = drv.host();
  entropic::cpu::batchnorm_backward_eval(dy.data(), x.data(), cg, drm_h.data(), drv_h.data(), cedx.data(),
                                         affine ? cedg.data() : nullptr, affine ? cedb.data() : nullptr, R, C, eps);
  CHECK(all_close(devalgrad.host(), cedx, tol, tol, name + " eval dx vs cpu"));
  if (affine) CHECK(all_close(dedg.host(), cedg, tol, tol, name + " eval dgamma vs cpu"));
#endif
}
}  // namespace

TEST_CASE("batchnorm train forward, eval forward, train and eval backward") {
  const std::vector<Shape> shapes = kTsan ? std::vector<Shape>{{2, 1}, {9, 33}}
                                          : std::vector<Shape>{{2, 1}, {7, 33}, {64, 70}, {100, 5}, {3, 257}};
  for (const Shape& s : shapes)
    for (bool affine : {true, false}) {
      check<float>(s, affine, 2e-4);  // features with mean ~50 and std ~1.5: float statistics
      check<double>(s, affine, 1e-10);
    }
}
