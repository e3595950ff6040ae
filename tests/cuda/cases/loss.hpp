// BCE with logits, forward (two-pass mean) and backward, against double and the CPU backend.
#include <cmath>

#include "cuda_test.hpp"
#include "entropic/cuda/loss.cuh"
#if defined(ENTROPIC_CUDA_EMU)
#include "entropic/cpu/loss.hpp"
#endif

namespace {
using namespace entropic::test;

template <class T>
void check(int64_t n, double tol) {
  std::vector<T> z = random_values<T>(n, 41, -8, 8);
  const std::vector<T> t = random_values<T>(n, 42, 0, 1);
  z[0] = T(1e4);  // far tails stay finite
  if (n > 1) z[1] = T(-1e4);
  const double scale = 0.7 / double(n);
  DeviceBuffer<T> dz_(z), dt(t), dgrad(static_cast<size_t>(n), T(NAN));
  DeviceBuffer<double> loss(1, NAN), work(entropic::cuda::kSumBlocks, NAN);
  entropic::cuda::bce_with_logits_forward(dz_.get(), dt.get(), n, loss.get(), work.get(), kStream);
  entropic::cuda::bce_with_logits_backward(dz_.get(), dt.get(), dgrad.get(), n, scale, kStream);
  double ref = 0;
  std::vector<double> rdz(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    const double zi = double(z[size_t(i)]), ti = double(t[size_t(i)]);
    ref += (std::max(zi, 0.0) - zi * ti + std::log1p(std::exp(-std::fabs(zi)))) / double(n);
    rdz[size_t(i)] = (1 / (1 + std::exp(-zi)) - ti) * scale;
  }
  const std::string name = shape_name("bce_with_logits", {n});
  CHECK(loss.host_at(0) == doctest::Approx(ref).epsilon(tol));
  CHECK(all_close(dgrad.host(), rdz, tol * scale, tol, name + " dz"));

  // The loss as an element of a tensor, and the backward that reads its upstream gradient on
  // the device: the same bits as the double result rounded, and as the host-scaled backward.
  const T upstream = T(0.7);
  DeviceBuffer<T> tloss(1, T(NAN)), dloss(std::vector<T>{upstream}), dgrad_dev(static_cast<size_t>(n), T(NAN));
  entropic::cuda::bce_with_logits_forward(dz_.get(), dt.get(), n, tloss.get(), work.get(), kStream);
  CHECK(tloss.host_at(0) == T(loss.host_at(0)));
  entropic::cuda::bce_with_logits_backward(dz_.get(), dt.get(), dgrad_dev.get(), n, dloss.get(), kStream);
  entropic::cuda::bce_with_logits_backward(dz_.get(), dt.get(), dgrad.get(), n, double(upstream) / double(n), kStream);
  CHECK(dgrad_dev.host() == dgrad.host());
#if defined(ENTROPIC_CUDA_EMU)
  std::vector<T> cdz(static_cast<size_t>(n));
  CHECK(loss.host_at(0) == doctest::Approx(entropic::cpu::bce_with_logits_forward(z.data(), t.data(), n)).epsilon(tol));
  entropic::cpu::bce_with_logits_backward(z.data(), t.data(), cdz.data(), n, scale);
  CHECK(all_close(dgrad.host(), cdz, tol * scale, tol, name + " dz vs cpu"));
#endif
}
}  // namespace

TEST_CASE("bce_with_logits forward and backward") {
  const std::vector<int64_t> sizes = kTsan ? std::vector<int64_t>{1, 100} : std::vector<int64_t>{1, 2, 100, 3000};
  for (int64_t n : sizes) {
    check<float>(n, 1e-5);
    check<double>(n, 1e-12);
  }
}
