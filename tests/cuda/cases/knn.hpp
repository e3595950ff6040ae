// k-nearest distances against a brute-force double reference (sorted), small k, any d.
#include <algorithm>
#include <cmath>

#include "cuda_test.hpp"
#include "entropic/cuda/knn.cuh"
#if defined(ENTROPIC_CUDA_EMU)
#include "entropic/cpu/knn.hpp"
#endif

namespace {
using namespace entropic::test;

template <class T>
void check(int64_t n, int64_t d, int k, double tol) {
  std::vector<T> x = random_values<T>(n * d, 81);
  if (n > 3)
    for (int64_t c = 0; c < d; ++c) x[size_t(2 * d + c)] = x[size_t(c)];  // a zero distance
  std::vector<double> ref(static_cast<size_t>(n * k)), kth(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    std::vector<double> all;
    for (int64_t j = 0; j < n; ++j) {
      if (j == i) continue;
      double s = 0;
      for (int64_t c = 0; c < d; ++c) s += std::pow(double(x[size_t(i * d + c)]) - double(x[size_t(j * d + c)]), 2);
      all.push_back(std::sqrt(s));
    }
    std::sort(all.begin(), all.end());
    std::copy(all.begin(), all.begin() + k, ref.begin() + i * k);
    kth[size_t(i)] = all[size_t(k - 1)];
  }
  DeviceBuffer<T> dx(x), dist(size_t(n * k), T(NAN));
  DeviceBuffer<int64_t> index(static_cast<size_t>(n), -1);
  entropic::cuda::knn_distances(dx.get(), n, d, k, dist.get(), index.get(), kStream);
  const std::string name = shape_name("knn", {n, d, k});
  CHECK(all_close(dist.host(), ref, tol, tol, name));
  // the reported k-th neighbour is at the k-th distance (ties may pick another point)
  const std::vector<int64_t> nn = index.host();
  std::vector<double> at_index(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    double s = 0;
    for (int64_t c = 0; c < d; ++c)
      s += std::pow(double(x[size_t(i * d + c)]) - double(x[size_t(nn[size_t(i)] * d + c)]), 2);
    at_index[size_t(i)] = nn[size_t(i)] == i ? -1.0 : std::sqrt(s);
  }
  CHECK(all_close(at_index, kth, tol, tol, name + " nn_index"));
#if defined(ENTROPIC_CUDA_EMU)
  std::vector<int64_t> cnn(static_cast<size_t>(n));
  std::vector<T> rho(static_cast<size_t>(n));
  entropic::cpu::knn_kth(x.data(), n, d, k, cnn.data(), rho.data());
  CHECK(all_close(at_index, rho, tol, tol, name + " vs cpu knn_kth"));
#endif
}
}  // namespace

TEST_CASE("knn distances: k = 1 .. 16, n not a multiple of the tiles, d across chunks") {
  check<float>(2, 1, 1, 1e-6);
  check<float>(5, 3, 4, 1e-6);
  check<float>(130, 2, 3, 1e-6);
  if (!kTsan) {
    check<float>(40, 70, 16, 1e-5);
    check<float>(129, 5, 5, 1e-6);
    check<double>(33, 9, 7, 1e-12);
  }
}

TEST_CASE("knn rejects k outside [1, 16] and k >= n") {
  DeviceBuffer<float> x(20), dist(40);
  CHECK_THROWS_AS(entropic::cuda::knn_distances(x.get(), 10, 2, 0, dist.get(), nullptr, kStream), entropic::Error);
  CHECK_THROWS_AS(entropic::cuda::knn_distances(x.get(), 10, 2, 17, dist.get(), nullptr, kStream), entropic::Error);
  CHECK_THROWS_AS(entropic::cuda::knn_distances(x.get(), 3, 2, 3, dist.get(), nullptr, kStream), entropic::Error);
}

namespace {
// The estimator's gradient from the device search's neighbours, against a scatter in double
// (the kernel gathers): dx_i += f_i (x_i - x_j), dx_j -= f_i (x_i - x_j), f_i = s / rho_i^2.
template <class T>
void check_backward(int64_t n, int64_t d, int k, double tol) {
  std::vector<T> x = random_values<T>(n * d, 82);
  for (int64_t c = 0; c < d; ++c) x[size_t(3 * d + c)] = x[size_t(d + c)];  // rows 1 and 3 coincide
  const double floor = 1e-8, dH = -0.7;
  DeviceBuffer<T> dx(x), dist(size_t(n * k), T(NAN)), rho(size_t(n), T(NAN)), grad(size_t(n * d), T(NAN));
  DeviceBuffer<int64_t> index(static_cast<size_t>(n), -1);
  entropic::cuda::knn_distances(dx.get(), n, d, k, dist.get(), index.get(), kStream);
  entropic::cuda::knn_kth_column(dist.get(), n, k, rho.get(), kStream);
  const std::vector<T> all = dist.host(), r = rho.host();
  const std::vector<int64_t> nn = index.host();
  const std::string name = shape_name("kl backward", {n, d, k});
  for (int64_t i = 0; i < n; ++i) CHECK_MESSAGE(r[size_t(i)] == all[size_t(i * k + k - 1)], name, " rho[", i, "]");
  entropic::cuda::kl_entropy_backward(dx.get(), n, d, floor, index.get(), rho.get(), dH, grad.get(), kStream);
  std::vector<double> ref(static_cast<size_t>(n * d), 0.0);
  int floored = 0;
  for (int64_t i = 0; i < n; ++i) {
    const double ri = double(r[size_t(i)]);
    if (!(ri > floor)) {
      ++floored;
      continue;
    }
    const int64_t j = nn[size_t(i)];
    const double f = dH * double(d) / double(n) / (ri * ri);
    for (int64_t c = 0; c < d; ++c) {
      const double g = f * (double(x[size_t(i * d + c)]) - double(x[size_t(j * d + c)]));
      ref[size_t(i * d + c)] += g;
      ref[size_t(j * d + c)] -= g;
    }
  }
  if (k == 1) CHECK_MESSAGE(floored >= 2, name, ": the coinciding rows must take the floor");
  CHECK(all_close(grad.host(), ref, tol, tol, name));
}
}  // namespace

TEST_CASE("knn entropy backward: the gather matches a double scatter, floored rows give nothing") {
  check_backward<double>(37, 3, 1, 1e-12);
  check_backward<double>(130, 2, 5, 1e-12);
  check_backward<float>(65, 2, 4, 1e-4);
  if (!kTsan) check_backward<double>(200, 10, 16, 1e-12);
}
