// KDE entropy: forward (log p, row log-sum-exp, H) and backward (dH/dx) against a plain double
// reference, with and without leave-one-out, d from 1 to 784 (several 32-dimension chunks),
// n not a multiple of the 32-row tile; the reference's gradient against central differences.
#include <cmath>
#include <numbers>

#include "cuda_test.hpp"
#include "reference/kde.hpp"
#include "entropic/cuda/kde.cuh"
#if defined(ENTROPIC_CUDA_EMU)
#include "entropic/cpu/kde.hpp"
#endif

namespace {
using namespace entropic::test;

template <class T>
void check(int64_t n, int64_t d, double sigma, bool loo, double tol) {
  std::vector<double> xd = random_vector(n * d, 71, -1, 1);
  if (n > 2)
    for (int64_t c = 0; c < d; ++c) xd[size_t(d + c)] = xd[size_t(c)];  // a duplicated point
  const std::vector<T> x(xd.begin(), xd.end());
  const std::vector<double> xr(x.begin(), x.end());  // the reference sees the rounded input
  const KdeRef r = kde_reference(xr, n, d, sigma, loo);
  const double dH = 1.5;
  DeviceBuffer<T> dx_(x), dlogp(static_cast<size_t>(n), T(NAN)), dlse(static_cast<size_t>(n), T(NAN)), dgrad(size_t(n * d), T(NAN));
  DeviceBuffer<double> H(1, NAN), work(entropic::cuda::kSumBlocks, NAN);
  entropic::cuda::kde_forward(dx_.get(), n, d, sigma, loo, dlogp.get(), dlse.get(), kStream);
  entropic::cuda::kde_entropy(dlogp.get(), n, H.get(), work.get(), kStream);
  entropic::cuda::kde_backward(dx_.get(), n, d, sigma, loo, dlse.get(), dH, dgrad.get(), kStream);
  std::vector<double> rdx = r.dx;
  for (double& v : rdx) v *= dH;
  const std::string name = shape_name("kde", {n, d, loo});
  CHECK(all_close(dlse.host(), r.lse, tol, tol, name + " row_lse"));
  CHECK(all_close(dlogp.host(), r.log_p, tol, tol, name + " log_p"));
  CHECK(H.host_at(0) == doctest::Approx(r.H).epsilon(tol).scale(1.0));
  // gradients are sums of +-terms: compare against the scale of the whole result
  double gmax = 0;
  for (double v : rdx) gmax = std::max(gmax, std::fabs(v));
  CHECK(all_close(dgrad.host(), rdx, tol * gmax, tol, name + " dx"));
  // H as a tensor element and dH read on the device: the same bits as the host-side versions.
  DeviceBuffer<T> tH(1, T(NAN)), ddH(std::vector<T>{T(dH)}), dgrad_dev(size_t(n * d), T(NAN));
  entropic::cuda::kde_entropy(dlogp.get(), n, tH.get(), work.get(), kStream);
  CHECK(tH.host_at(0) == T(H.host_at(0)));
  entropic::cuda::kde_backward(dx_.get(), n, d, sigma, loo, dlse.get(), ddH.get(), dgrad_dev.get(), kStream);
  CHECK(dgrad_dev.host() == dgrad.host());
#if defined(ENTROPIC_CUDA_EMU)
  // the CPU backend computes large-d distances in the GEMM form: a looser tolerance there
  const double ctol = d > 8 ? 20 * tol : tol;
  std::vector<T> clogp(static_cast<size_t>(n)), clse(static_cast<size_t>(n)), cdx(static_cast<size_t>(n * d));
  const double cH = entropic::cpu::kde_forward(x.data(), n, d, sigma, loo, clogp.data(), clse.data());
  entropic::cpu::kde_backward(x.data(), n, d, sigma, loo, clse.data(), T(dH), cdx.data());
  CHECK(all_close(dlogp.host(), clogp, ctol, ctol, name + " log_p vs cpu"));
  CHECK(H.host_at(0) == doctest::Approx(cH).epsilon(ctol).scale(1.0));
  CHECK(all_close(dgrad.host(), cdx, ctol * gmax, ctol, name + " dx vs cpu"));
#endif
}
}  // namespace

TEST_CASE("kde reference gradient agrees with central differences of the reference H") {
  const int64_t n = 5, d = 3;
  std::vector<double> x = random_vector(n * d, 72);
  for (bool loo : {false, true}) {
    const KdeRef r = kde_reference(x, n, d, 0.4, loo);
    const std::vector<double> g = numeric_grad([&] { return kde_reference(x, n, d, 0.4, loo).H; }, x.data(), n * d);
    CHECK(all_close(r.dx, g, 1e-7, 1e-6, "kde reference dH/dx"));
  }
}

TEST_CASE("kde forward and backward, float: awkward n, d up to 784") {
  struct S {
    int64_t n, d;
    double sigma;
  };
  const std::vector<S> shapes = kTsan ? std::vector<S>{{1, 2, 0.5}, {33, 3, 0.3}}
                                      : std::vector<S>{{1, 2, 0.5}, {2, 1, 0.5}, {33, 2, 0.1}, {100, 5, 0.7},
                                                       {70, 33, 1.5}, {40, 784, 8.0}};
  for (const S& s : shapes)
    for (bool loo : {false, true}) {
      if (loo && s.n < 2) continue;
      check<float>(s.n, s.d, s.sigma, loo, 1e-4);
    }
}

TEST_CASE("kde forward and backward, double") {
  check<double>(37, 4, 0.3, true, 1e-10);
  check<double>(37, 40, 2.0, false, 1e-10);
}

TEST_CASE("kde rejects too few points and bad sigma") {
  DeviceBuffer<float> x(4), lp(2), lse(2);
  CHECK_THROWS_AS(entropic::cuda::kde_forward(x.get(), 1, 2, 1.0, true, lp.get(), lse.get(), kStream), entropic::Error);
  CHECK_THROWS_AS(entropic::cuda::kde_forward(x.get(), 2, 2, 0.0, false, lp.get(), lse.get(), kStream),
                  entropic::Error);
}
