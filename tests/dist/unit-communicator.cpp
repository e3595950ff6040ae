// The communicator seam without MPI: Solo's collectives, the shards of a batch, gather_rows as an
// autograd node, and SyncBatchNorm against BatchNorm1d on one rank (it must be the same function).
#include <doctest/doctest.h>

#include <cstdlib>
#include <string>

#include "entropic/autograd/functions.hpp"
#include "entropic/dist/data_parallel.hpp"
#include "entropic/nn/batchnorm.hpp"
#include "support.hpp"

using namespace entropic;

TEST_CASE("shard_of splits a batch into contiguous shards that differ by one row at most") {
  for (int64_t n : {0, 1, 7, 24, 101})
    for (int size : {1, 2, 3, 4, 7}) {
      int64_t next = 0, lo = n, hi = 0;
      for (int r = 0; r < size; ++r) {
        const dist::Shard s = dist::shard_of(n, r, size);
        CHECK(s.begin == next);
        next += s.count;
        lo = std::min(lo, s.count);
        hi = std::max(hi, s.count);
      }
      CHECK(next == n);
      CHECK(hi - lo <= 1);
    }
  CHECK_THROWS_WITH(dist::shard_of(10, 3, 3), doctest::Contains("is not a rank"));
}

TEST_CASE("Solo's collectives are the identity and check their counts") {
  dist::Solo solo;
  std::vector<double> v = {1, 2, 3}, out(3);
  solo.all_reduce(v.data(), 3, dist::Reduce::average);
  CHECK(v == std::vector<double>{1, 2, 3});
  solo.all_gather(v.data(), out.data(), {3});
  CHECK(out == v);
  CHECK_THROWS_WITH(solo.reduce_scatter(v.data(), out.data(), {1, 2}), doctest::Contains("one count"));
  Tensor<float> t = Tensor<float>::full({4, 2}, 1.5f);
  const Tensor<float> g = dist::all_gather_rows(solo, t, {4});
  CHECK(g.shape() == Shape({4, 2}));
  CHECK(g(3, 1) == 1.5f);
  CHECK_THROWS_WITH(dist::all_gather_rows(solo, t, {3}), doctest::Contains("holds 4 rows but its count says 3"));
}

TEST_CASE("gather_rows on one rank passes the gradient through unchanged") {
  dist::Solo solo;
  Rng rng(3);
  Var<double> x(Tensor<double>::randn({5, 3}, rng), true);
  Var<double> all = dist::gather_rows(solo, x, {5});
  Var<double> w(Tensor<double>::randn({5, 3}, rng));
  fn::sum(fn::mul(all, w)).backward();
  CHECK(test::all_close(x.grad().data(), w.value().data(), 15, 0, 0, "dL/dx"));
}

TEST_CASE("average_gradients on one rank leaves gradients alone and fills in a missing one") {
  dist::Solo solo;
  Var<float> a(Tensor<float>::full({3}, 2.f), true), b(Tensor<float>::full({2}, 1.f), true);
  a.grad() = Tensor<float>::full({3}, 5.f);
  dist::average_gradients(solo, std::vector<Var<float>>{a, b});
  CHECK(a.grad()[2] == 5.f);
  CHECK_FALSE(b.grad().defined());  // one rank: nothing to agree on, nothing posted
}

// SyncBatchNorm over one rank must be BatchNorm1d's training mode: the values, the running
// statistics and every gradient, in double.
TEST_CASE("SyncBatchNorm on one rank equals BatchNorm1d in values, running statistics and gradients") {
  dist::Solo solo;
  Rng rng(11);
  const Tensor<double> x0 = Tensor<double>::randn({9, 4}, rng);
  const Tensor<double> up = Tensor<double>::randn({9, 4}, rng);
  nn::BatchNorm1d<double> a(4, 1e-3, 0.2), b(4, 1e-3, 0.2);
  for (auto* bn : {&a, &b}) {
    bn->weight.value() = Tensor<double>::randn({4}, rng);
    bn->bias.value() = Tensor<double>::randn({4}, rng);
  }
  b.weight.value() = a.weight.value().clone();
  b.bias.value() = a.bias.value().clone();
  Var<double> xa(x0.clone(), true), xb(x0.clone(), true);
  Var<double> ya = a(xa);
  dist::SyncBatchNorm<double> sync(solo);
  Var<double> yb = sync.forward(xb, b);
  CHECK(test::all_close(yb.value().data(), ya.value().data(), 36, 1e-13, 1e-12, "y"));
  CHECK(test::all_close(b.running_mean.data(), a.running_mean.data(), 4, 1e-14, 1e-13, "running_mean"));
  CHECK(test::all_close(b.running_var.data(), a.running_var.data(), 4, 1e-14, 1e-13, "running_var"));
  fn::sum(fn::mul(ya, Var<double>(up))).backward();
  fn::sum(fn::mul(yb, Var<double>(up))).backward();
  CHECK(test::all_close(xb.grad().data(), xa.grad().data(), 36, 1e-13, 1e-12, "dx"));
  CHECK(test::all_close(b.weight.grad().data(), a.weight.grad().data(), 4, 1e-13, 1e-12, "dgamma"));
  CHECK(test::all_close(b.bias.grad().data(), a.bias.grad().data(), 4, 1e-13, 1e-12, "dbeta"));
}

TEST_CASE("SyncBatchNormScope routes BatchNorm1d only while it lives and only on several ranks") {
  dist::Solo solo;
  {
    dist::SyncBatchNormScope<float> scope(solo);
    CHECK(nn::detail::batchnorm_sync<float> == nullptr);  // one rank: nothing to synchronise
  }
  CHECK(nn::detail::batchnorm_sync<float> == nullptr);
}

TEST_CASE("a collective's deadline comes from the argument, ENTROPIC_DIST_TIMEOUT or 300 s, and bad values are refused") {
  const char* saved = std::getenv("ENTROPIC_DIST_TIMEOUT");
  const std::string keep = saved ? saved : "";
  ::unsetenv("ENTROPIC_DIST_TIMEOUT");
  CHECK(dist::detail::timeout_seconds(0) == 300.0);
  CHECK(dist::detail::timeout_seconds(2.5) == 2.5);
  ::setenv("ENTROPIC_DIST_TIMEOUT", "12", 1);
  CHECK(dist::detail::timeout_seconds(0) == 12.0);
  for (const char* bad : {"0", "-3", "ten", "5s", ""}) {
    ::setenv("ENTROPIC_DIST_TIMEOUT", bad, 1);
    CHECK_THROWS_WITH(dist::detail::timeout_seconds(0), doctest::Contains("must be a positive number of seconds"));
  }
  if (saved) ::setenv("ENTROPIC_DIST_TIMEOUT", keep.c_str(), 1);
  else ::unsetenv("ENTROPIC_DIST_TIMEOUT");
}
