// Sums: the two-pass vector sum and column sums, against double.
#include "cuda_test.hpp"
#include "entropic/cuda/reduce.cuh"

namespace {
using namespace entropic::test;
}

TEST_CASE("sum of a vector: two passes, double accumulation, deterministic") {
  const std::vector<int64_t> sizes =
      kTsan ? std::vector<int64_t>{1, 300} : std::vector<int64_t>{1, 31, 257, 5000};
  for (int64_t n : sizes) {
    const std::vector<float> x = random_values<float>(n, 31);
    double ref = 0;
    for (float v : x) ref += double(v);
    DeviceBuffer<float> dx(x);
    DeviceBuffer<double> out(1, NAN), work(entropic::cuda::kSumBlocks, NAN);
    entropic::cuda::sum(dx.get(), n, out.get(), work.get(), kStream);
    const double first = out.host_at(0);
    CHECK(first == doctest::Approx(ref).epsilon(1e-12));
    entropic::cuda::sum(dx.get(), n, out.get(), work.get(), kStream);
    CHECK(out.host_at(0) == first);  // bit for bit
  }
}

TEST_CASE("column sums, overwritten and accumulated") {
  for (auto [R, C] : {std::pair<int64_t, int64_t>{1, 1}, {5, 300}, {70, 3}}) {
    const std::vector<float> x = random_values<float>(R * C, 32), s0 = random_values<float>(C, 33);
    std::vector<double> ref(static_cast<size_t>(C)), acc(s0.begin(), s0.end());
    for (int64_t r = 0; r < R; ++r)
      for (int64_t c = 0; c < C; ++c) ref[size_t(c)] += double(x[size_t(r * C + c)]);
    for (int64_t c = 0; c < C; ++c) acc[size_t(c)] += ref[size_t(c)];
    DeviceBuffer<float> dx(x), sums(static_cast<size_t>(C), NAN), sums_acc(s0);
    entropic::cuda::column_sum(dx.get(), sums.get(), R, C, false, kStream);
    entropic::cuda::column_sum(dx.get(), sums_acc.get(), R, C, true, kStream);
    CHECK(all_close(sums.host(), ref, 1e-6, 1e-6, shape_name("column_sum", {R, C})));
    CHECK(all_close(sums_acc.host(), acc, 1e-6, 1e-6, shape_name("column_sum +=", {R, C})));
  }
}
