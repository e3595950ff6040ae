// Adam: the fused flat update against the textbook algorithm in double (PyTorch semantics,
// L2 weight decay), over several steps.
#include <cmath>

#include "cuda_test.hpp"
#include "entropic/cuda/adam.cuh"

namespace {
using namespace entropic::test;

template <class T>
void check(int64_t n, const entropic::cuda::AdamHyper& h, double tol) {
  std::vector<T> p = random_values<T>(n, 51);
  DeviceBuffer<T> dp(p), dm(static_cast<size_t>(n)), dv(static_cast<size_t>(n));
  std::vector<double> rp(p.begin(), p.end()), rm(static_cast<size_t>(n)), rv(static_cast<size_t>(n));
  for (int64_t t = 1; t <= 3; ++t) {
    const std::vector<T> g = random_values<T>(n, 60 + uint64_t(t));
    DeviceBuffer<T> dg(g);
    entropic::cuda::adam_step(dp.get(), dg.get(), dm.get(), dv.get(), n, h, t, kStream);
    for (int64_t i = 0; i < n; ++i) {
      const size_t k = size_t(i);
      const double gi = double(g[k]) + h.weight_decay * rp[k];
      rm[k] = h.beta1 * rm[k] + (1 - h.beta1) * gi;
      rv[k] = h.beta2 * rv[k] + (1 - h.beta2) * gi * gi;
      const double mhat = rm[k] / (1 - std::pow(h.beta1, double(t))), vhat = rv[k] / (1 - std::pow(h.beta2, double(t)));
      rp[k] -= h.lr * mhat / (std::sqrt(vhat) + h.eps);
    }
  }
  const std::string name = shape_name("adam", {n});
  CHECK(all_close(dp.host(), rp, tol, tol, name + " p"));
  CHECK(all_close(dm.host(), rm, tol, tol, name + " m"));
  CHECK(all_close(dv.host(), rv, tol, tol, name + " v"));
}
}  // namespace

TEST_CASE("adam: three fused steps match the textbook algorithm") {
  const entropic::cuda::AdamHyper plain{1e-2, 0.9, 0.999, 1e-8, 0.0}, gan{2e-4, 0.5, 0.999, 1e-8, 1e-2};
  for (int64_t n : kTsan ? std::vector<int64_t>{1, 300} : std::vector<int64_t>{1, 1000, 5000}) {
    check<float>(n, plain, 1e-6);
    check<float>(n, gan, 1e-6);
    check<double>(n, gan, 1e-13);
  }
}

TEST_CASE("adam: step numbers start at 1") {
  DeviceBuffer<float> p(4), g(4), m(4), v(4);
  CHECK_THROWS_AS(entropic::cuda::adam_step(p.get(), g.get(), m.get(), v.get(), 4, {}, 0, kStream), entropic::Error);
}
