// The MPI communicator's collectives against a reference each rank computes alone, on awkward
// sizes (empty shards, one element, odd lengths, a gradient set larger than one bucket).
#include "mpi_main.hpp"

#include "entropic/autograd/functions.hpp"
#include "entropic/dist/data_parallel.hpp"
#include "support.hpp"

using namespace entropic;

namespace {
// A value only (rank, i) determines, exact in float, so sums over ranks are exact too.
double value(int rank, int64_t i) { return double((i * 7 + rank * 13) % 101) - 50.0 + 0.25 * rank; }
int64_t awkward_count(int rank) { return (rank * 7 + 3) % 5; }  // 3, 0, 2, 4, 1, ...
}  // namespace

TEST_CASE_TEMPLATE("all_reduce sums and averages over ranks", T, float, double) {
  dist::MpiCommunicator comm;
  const int n = comm.size();
  for (int64_t count : {int64_t(0), int64_t(1), int64_t(3), int64_t(1000), int64_t(65537)}) {
    std::vector<T> v(static_cast<size_t>(count)), avg(static_cast<size_t>(count));
    for (int64_t i = 0; i < count; ++i) v[size_t(i)] = avg[size_t(i)] = T(value(comm.rank(), i));
    comm.all_reduce(v.data(), count, dist::Reduce::sum);
    comm.all_reduce(avg.data(), count, dist::Reduce::average);
    std::vector<double> ref(size_t(count), 0.0);
    for (int64_t i = 0; i < count; ++i)
      for (int r = 0; r < n; ++r) ref[size_t(i)] += value(r, i);
    CHECK(test::all_close(v.data(), ref.data(), count, 0, 0, "sum of " + std::to_string(count)));
    for (auto& r : ref) r /= n;
    CHECK(test::all_close(avg.data(), ref.data(), count, 1e-6, 1e-6, "average of " + std::to_string(count)));
  }
}

TEST_CASE_TEMPLATE("all_gather and reduce_scatter with unequal and empty shares", T, float, double) {
  dist::MpiCommunicator comm;
  const int n = comm.size();
  std::vector<int64_t> counts(static_cast<size_t>(n));
  int64_t total = 0, mine_at = 0;
  for (int r = 0; r < n; ++r) {
    counts[size_t(r)] = awkward_count(r);
    if (r < comm.rank()) mine_at += counts[size_t(r)];
    total += counts[size_t(r)];
  }
  std::vector<T> in(size_t(counts[size_t(comm.rank())]) + 1), out(size_t(total) + 1);
  for (int64_t i = 0; i < counts[size_t(comm.rank())]; ++i) in[size_t(i)] = T(value(comm.rank(), i));
  comm.all_gather(in.data(), out.data(), counts);
  std::vector<double> ref;
  for (int r = 0; r < n; ++r)
    for (int64_t i = 0; i < counts[size_t(r)]; ++i) ref.push_back(value(r, i));
  CHECK(test::all_close(out.data(), ref.data(), total, 0, 0, "all_gather"));

  std::vector<T> full(size_t(total) + 1), part(size_t(counts[size_t(comm.rank())]) + 1);
  for (int64_t i = 0; i < total; ++i) full[size_t(i)] = T(value(comm.rank(), i + 1000));
  comm.reduce_scatter(full.data(), part.data(), counts);
  std::vector<double> want(size_t(counts[size_t(comm.rank())]), 0.0);
  for (int64_t i = 0; i < counts[size_t(comm.rank())]; ++i)
    for (int r = 0; r < n; ++r) want[size_t(i)] += value(r, mine_at + i + 1000);
  CHECK(test::all_close(part.data(), want.data(), counts[size_t(comm.rank())], 0, 0, "reduce_scatter"));
  CHECK_THROWS_WITH(comm.all_gather(in.data(), out.data(), std::vector<int64_t>(size_t(n) + 1, 0)),
                    doctest::Contains("counts for"));
}

// L = sum_j w_j . X_j over the gathered X, with w the same on every rank: each rank's rows must
// receive N * w (every rank's L reaches them), which average_gradients then divides by N.
TEST_CASE("gather_rows backward is the reduce-scatter of every rank's gradient") {
  dist::MpiCommunicator comm;
  const int n = comm.size();
  const int64_t rows = 10;  // unequal shards when 10 % n != 0
  const std::vector<int64_t> counts = dist::shard_counts(rows, n);
  const dist::Shard sh = dist::shard_of(rows, comm.rank(), n);
  Rng rng(5);
  const Tensor<double> X = Tensor<double>::randn({rows, 3}, rng);
  const Tensor<double> W = Tensor<double>::randn({rows, 3}, rng);
  Var<double> x(X.slice_rows(sh.begin, sh.begin + sh.count).clone(), true);
  Var<double> all = dist::gather_rows(comm, x, counts);
  CHECK(test::all_close(all.value().data(), X.data(), rows * 3, 0, 0, "gathered rows"));
  fn::sum(fn::mul(all, Var<double>(W))).backward();
  std::vector<double> want(size_t(sh.count * 3));
  for (int64_t i = 0; i < sh.count * 3; ++i) want[size_t(i)] = n * W.data()[sh.begin * 3 + i];
  CHECK(test::all_close(x.grad().data(), want.data(), sh.count * 3, 1e-14, 1e-14, "dL/dx"));
}

TEST_CASE("average_gradients agrees on every rank, across bucket boundaries") {
  dist::MpiCommunicator comm;
  const int n = comm.size();
  const std::vector<int64_t> lens = {5, 1, 300, 7, 0, 64};
  std::vector<Var<double>> params;
  for (int64_t len : lens) {
    params.emplace_back(Tensor<double>::zeros({std::max<int64_t>(len, 1)}), true);
    if (len % 7 == 0 && len > 0) continue;  // 7: no gradient reached it on any rank
    Tensor<double> g({std::max<int64_t>(len, 1)});
    for (int64_t i = 0; i < g.numel(); ++i) g.data()[i] = value(comm.rank(), i + len);
    params.back().grad() = g;
  }
  dist::average_gradients(comm, params, /*bucket_elems=*/64);  // 300 travels alone, the rest in buckets
  for (size_t k = 0; k < params.size(); ++k) {
    const Tensor<double>& g = params[k].grad();
    const bool none = k == 3;
    if (none && n == 1) {  // one rank posts nothing, so it fills in nothing
      CHECK_FALSE(g.defined());
      continue;
    }
    REQUIRE(g.defined());
    const int64_t len = g.numel();
    for (int64_t i = 0; i < len; ++i) {
      double ref = 0;
      if (!none)
        for (int r = 0; r < n; ++r) ref += value(r, i + lens[k]);
      CHECK(g.data()[i] == doctest::Approx(ref / n).epsilon(1e-15));
    }
  }
}
