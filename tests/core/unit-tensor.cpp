#include <doctest/doctest.h>

#include "entropic/core/tensor.hpp"

using namespace entropic;

TEST_CASE("tensor: shape, fill, views share storage") {
  auto t = TensorF::zeros({3, 4});
  CHECK(t.numel() == 12);
  CHECK(t.rows() == 3);
  CHECK(t.cols() == 4);
  t(1, 2) = 5.f;
  auto r = t.slice_rows(1, 3);
  CHECK(r.shape() == Shape{2, 4});
  CHECK(r(0, 2) == 5.f);
  CHECK(r.shares_storage(t));
  r(1, 0) = 7.f;
  CHECK(t(2, 0) == 7.f);
  auto c = t.clone();
  c(0, 0) = 1.f;
  CHECK(t(0, 0) == 0.f);
  CHECK(t.reshape({12})[6] == 5.f);
}

// t(i, j) reads a pointer and a row length cached on the tensor; each way of making a view must
// refresh them, or a view would read its parent's rows.
TEST_CASE("tensor: element access through views of views") {
  auto t = TensorF::zeros({4, 6});
  for (int64_t i = 0; i < t.numel(); ++i) t[i] = float(i);
  const auto v = t.slice_rows(1, 3).reshape({3, 4});  // elements 6..17 as 3 rows of 4
  CHECK(v.cols() == 4);
  CHECK(v.rows() == 3);
  CHECK(v(0, 0) == 6.f);
  CHECK(v(2, 3) == 17.f);
  CHECK(v.data() == t.data() + 6);
  const auto w = v.slice_rows(2, 3);
  CHECK(w(0, 1) == 15.f);
  const auto s = TensorF::scalar(2.5f);
  CHECK(s.cols() == 1);
  CHECK(s(0, 0) == 2.5f);
  CHECK(TensorF().data() == nullptr);
  auto moved = std::move(t);
  CHECK(moved(3, 5) == 23.f);
}

TEST_CASE("tensor: bad input names the problem") {
  auto t = TensorD::zeros({2, 3});
  CHECK_THROWS_WITH_AS(t.reshape({4, 2}), doctest::Contains("cannot reshape [2, 3]"), Error);
  CHECK_THROWS_WITH_AS(t.slice_rows(1, 4), doctest::Contains("out of range"), Error);
  CHECK_THROWS_WITH_AS(TensorF::from({2, 2}, {1.f, 2.f}), doctest::Contains("2 values given"), Error);
  CHECK_THROWS_WITH_AS(Shape({2, -1}), doctest::Contains("negative extent"), Error);
  // This program links no CUDA backend: the message says how to get one.
  CHECK_THROWS_WITH_AS(TensorF::zeros({2}, Device::cuda), doctest::Contains("cuda is not available"), Error);
  CHECK_THROWS_WITH_AS(t.to(Device::cuda), doctest::Contains("includes <entropic/cuda/backend.cuh>"), Error);
  CHECK_THROWS_WITH_AS(require_device_available(Device::cuda, "mixture2d"),
                       doctest::Contains("mixture2d: device cuda is not available"), Error);
  CHECK(t.to(Device::cpu).shares_storage(t));
  CHECK_THROWS_WITH_AS(parse_device("tpu"), doctest::Contains("unknown device 'tpu'"), Error);
}

TEST_CASE("tensor: a size no machine can hold is an Error naming it, not std::bad_alloc") {
  // 10 TB: refused by the kernel's overcommit check, and by ASan's allocator (the sanitize
  // preset lets it return null, as the system allocator does).
  CHECK_THROWS_WITH_AS(TensorF::zeros({1000000, 2500000}),
                       "tensor: cannot allocate 2500000000000 float32 elements (10000 GB) on the cpu: out of "
                       "memory; use a smaller batch or size",
                       Error);
}

TEST_CASE("rng: reproducible, independent of call chunking, and N(0,1)") {
  Rng a(42), b(42), c(43);
  std::vector<double> x(1000), y(1000), z(1000);
  a.fill_normal(x.data(), 1000);
  b.fill_normal(y.data(), 1000);
  c.fill_normal(z.data(), 1000);
  CHECK(x == y);
  CHECK(x != z);
  // A fill is a pure function of (seed, counter): element i does not depend on the others.
  CHECK(philox::normal_at(42, 0, 777) == x[777]);
  Rng big(9);
  std::vector<double> s(200000);
  big.fill_normal(s.data(), int64_t(s.size()));
  double m = 0, v = 0;
  for (double e : s) m += e;
  m /= double(s.size());
  for (double e : s) v += (e - m) * (e - m);
  v /= double(s.size());
  CHECK(std::fabs(m) < 0.01);        // 4.5 standard errors
  CHECK(std::fabs(v - 1.0) < 0.015);  // about 4.7 standard errors
  std::vector<float> u(100000);
  big.fill_uniform(u.data(), int64_t(u.size()), -2, 3);
  for (float e : u) REQUIRE((e > -2.f && e <= 3.f));
}

TEST_CASE("rng: philox matches the published known-answer vector") {
  // Random123 kat_vectors: philox4x32_10 with counter 0 and key 0.
  const auto b = philox::round10(philox::Block{{0, 0, 0, 0}}, 0, 0);
  CHECK(b.v[0] == 0x6627e8d5u);
  CHECK(b.v[1] == 0xe169c58du);
  CHECK(b.v[2] == 0xbc57ac4cu);
  CHECK(b.v[3] == 0x9b00dbd8u);
}
