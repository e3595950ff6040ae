#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "entropic/cpu/knn.hpp"
#include "support.hpp"

using namespace entropic;

namespace {
template <class T>
std::vector<T> sample(int64_t n, int64_t d, uint64_t seed) {
  std::vector<T> x(static_cast<size_t>(n * d));
  Rng(seed).fill_normal(x.data(), n * d);
  return x;
}
// Brute-force k-th neighbour distance in double.
template <class T>
std::vector<double> kth_distance(const std::vector<T>& x, int64_t n, int64_t d, int k) {
  std::vector<double> out(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    std::vector<double> ds;
    for (int64_t j = 0; j < n; ++j) {
      if (j == i) continue;
      double s = 0;
      for (int64_t c = 0; c < d; ++c) s += std::pow(double(x[i * d + c]) - double(x[j * d + c]), 2);
      ds.push_back(std::sqrt(s));
    }
    std::nth_element(ds.begin(), ds.begin() + (k - 1), ds.end());
    out[size_t(i)] = ds[size_t(k - 1)];
  }
  return out;
}
}  // namespace

TEST_CASE("cpu knn: k-th neighbour distances and indices match brute force") {
  for (int64_t d : {1, 2, 10, 64})
    for (int k : {1, 3}) {
      const int64_t n = 71;
      const auto xf = sample<float>(n, d, uint64_t(d * 10 + k));
      const auto xd = sample<double>(n, d, uint64_t(d * 10 + k));
      std::vector<int64_t> nf(n), nd(n);
      std::vector<float> rf(n);
      std::vector<double> rd(n);
      cpu::knn_kth(xf.data(), n, d, k, nf.data(), rf.data());
      cpu::knn_kth(xd.data(), n, d, k, nd.data(), rd.data());
      const auto ref_f = kth_distance(xf, n, d, k), ref_d = kth_distance(xd, n, d, k);
      CAPTURE(d);
      CAPTURE(k);
      CHECK(test::all_close(rf.data(), ref_f.data(), n, 0.0, 1e-6, "rho float"));
      CHECK(test::all_close(rd.data(), ref_d.data(), n, 0.0, 1e-13, "rho double"));
      for (int64_t i = 0; i < n; ++i) CHECK(nd[size_t(i)] != i);
    }
}

TEST_CASE("cpu knn: KL entropy formula and backward against central differences in double") {
  for (int64_t d : {1, 2, 10})
    for (int k : {1, 2}) {
      const int64_t n = 17;
      auto x = sample<double>(n, d, uint64_t(d + 7 * k));
      std::vector<int64_t> nn(n);
      std::vector<double> rho(n), dx(static_cast<size_t>(n * d));
      const double h = cpu::kl_entropy_forward(x.data(), n, d, k, 1e-8, nn.data(), rho.data());
      const auto ref = kth_distance(x, n, d, k);
      double s = 0;
      for (double r : ref) s += std::log(r);
      const double log_vd = 0.5 * double(d) * std::log(M_PI) - std::lgamma(0.5 * double(d) + 1);
      double psi_n = -0.5772156649015329, psi_k = psi_n;
      for (int t = 1; t < n; ++t) psi_n += 1.0 / t;
      for (int t = 1; t < k; ++t) psi_k += 1.0 / t;
      CHECK(h == doctest::Approx(psi_n - psi_k + log_vd + double(d) / double(n) * s).epsilon(1e-12));
      cpu::kl_entropy_backward(x.data(), n, d, 1e-8, nn.data(), rho.data(), 1.5, dx.data());
      auto f = [&] {
        std::vector<int64_t> nn2(n);
        std::vector<double> r2(n);
        return 1.5 * cpu::kl_entropy_forward(x.data(), n, d, k, 1e-8, nn2.data(), r2.data());
      };
      const auto num = test::numeric_grad(f, x.data(), n * d, 1e-7);
      CAPTURE(d);
      CAPTURE(k);
      CHECK(test::all_close(dx, num, 1e-6, 1e-5, "dx vs central differences"));
    }
}

TEST_CASE("cpu knn: duplicates hit the floor: finite H, zero gradient from floored rows") {
  const int64_t n = 6, d = 2;
  std::vector<double> x = {10, 10, 10, 10, 1, 0, 0, 1, 2, 2, 3, 1};  // rows 0 and 1 coincide, far off
  std::vector<int64_t> nn(n);
  std::vector<double> rho(n), dx(n * d);
  const double h = cpu::kl_entropy_forward(x.data(), n, d, 1, 1e-8, nn.data(), rho.data());
  CHECK(std::isfinite(h));
  CHECK(rho[0] == 0.0);
  CHECK(rho[1] == 0.0);
  cpu::kl_entropy_backward(x.data(), n, d, 1e-8, nn.data(), rho.data(), 1.0, dx.data());
  for (double v : dx) CHECK(std::isfinite(v));
  // Rows 0 and 1 are nobody else's nearest neighbour except each other (floored): no gradient.
  CHECK(dx[0] == 0.0);
  CHECK(dx[1] == 0.0);
}
