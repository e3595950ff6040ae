// Data-parallel training against one process: N ranks with batch B/N each must train exactly
// as one process with batch B (synchronised BatchNorm), step by step, in double: the losses,
// the global batch's entropy (KDE with a bandwidth rule that reads the whole batch, and kNN),
// and at the end every parameter, BatchNorm buffer and the generator's weight average.
// Every rank runs the one-process reference itself, so nothing but the trainer is compared.
#include "mpi_main.hpp"

#include <unistd.h>

#include <cmath>
#include <filesystem>

#include "entropic/dist/entropy.hpp"
#include "entropic/gan/networks.hpp"
#include "entropic/gan/trainer.hpp"
#include "support.hpp"

using namespace entropic;

namespace {
using T = double;

struct Run {
  nn::Sequential<T> G, D;
  std::unique_ptr<gan::GanTrainer<T>> trainer;
};

// Small networks, so 50 steps on 4 oversubscribed ranks take seconds.
std::unique_ptr<Run> make_run(dist::Communicator* comm, const std::string& estimator, gan::BatchNormMode bn,
                              int64_t iters = 50) {
  auto run = std::make_unique<Run>();
  Rng init(7);
  // The ring's generator, narrowed, without the biases before BatchNorm: a bias there has a
  // gradient of exactly zero, so its value is rounding noise that Adam's division by
  // sqrt(v) + eps amplifies (1e-9..1e-8 apart between two summation orders, measured), and
  // comparing it would test the noise, not the trainer. Models drop such biases for that reason.
  const auto lin = nn::LinearInit::Normal(0.02);
  run->G.template emplace<nn::Linear<T>>(2, 32, init, lin, false)
      .template emplace<nn::BatchNorm1d<T>>(32)
      .template emplace<nn::ReLU<T>>()
      .template emplace<nn::Linear<T>>(32, 32, init, lin, false)
      .template emplace<nn::BatchNorm1d<T>>(32)
      .template emplace<nn::ReLU<T>>()
      .template emplace<nn::Linear<T>>(32, 2, init, lin);
  run->D = gan::mixture_discriminator<T>(init, 16, 3);
  gan::TrainConfig cfg;
  cfg.iters = iters;
  cfg.batch = 24;  // 1, 2, 3 and 4 ranks divide it
  cfg.latent = 2;
  cfg.seed = 3;
  cfg.lambda = gan::Schedule::constant(1.0);
  cfg.ema = 0.9;
  cfg.quiet = true;
  cfg.comm = comm;
  cfg.batchnorm = bn;
  auto real = [](int64_t batch, Rng& rng) {
    Tensor<T> x({batch, 2});
    for (int64_t i = 0; i < batch; ++i) {
      const double a = 2 * M_PI * double(rng.below(8)) / 8;
      x(i, 0) = 2 * std::cos(a) + 0.02 * rng.normal();
      x(i, 1) = 2 * std::sin(a) + 0.02 * rng.normal();
    }
    return x;
  };
  typename gan::GanTrainer<T>::EntropyFn entropy;
  if (estimator == "kde" || (estimator == "kde-rows" && !comm))
    entropy = [](const Var<T>& x) { return fn::kde_entropy(x, {entropy::Bandwidth::scott}); };
  else if (estimator == "kde-rows") {
    cfg.entropy_split_rows = true;
    entropy = [comm](const Var<T>& x) {
      return dist::kde_entropy_rows(*comm, x, dist::shard_counts(24, comm->size()), {entropy::Bandwidth::scott});
    };
  }
  else
    entropy = [](const Var<T>& x) { return fn::knn_entropy(x, {2}); };
  run->trainer = std::make_unique<gan::GanTrainer<T>>(run->G, run->D, cfg, real, entropy);
  return run;
}

bool close(double a, double b) { return std::fabs(a - b) <= 1e-10 * std::max(1.0, std::fabs(b)); }

// The largest difference in a tensor, against the tensor's own scale (at least 1).
double worst(const Tensor<T>& got, const Tensor<T>& ref) {
  double d = 0, scale = 1;
  for (int64_t i = 0; i < ref.numel(); ++i) {
    d = std::max(d, std::fabs(got.data()[i] - ref.data()[i]));
    scale = std::max(scale, std::fabs(ref.data()[i]));
  }
  return d / scale;
}

void compare_modules(nn::Module<T>& got, nn::Module<T>& ref, const std::string& what) {
  auto g = got.named_parameters(), r = ref.named_parameters();
  REQUIRE(g.size() == r.size());
  for (size_t k = 0; k < g.size(); ++k) {
    CAPTURE(what + g[k].first);
    CHECK(worst(g[k].second.value(), r[k].second.value()) <= 1e-10);
  }
  auto gb = got.named_buffers(), rb = ref.named_buffers();
  REQUIRE(gb.size() == rb.size());
  for (size_t k = 0; k < gb.size(); ++k) {
    CAPTURE(what + gb[k].first);
    CHECK(worst(*gb[k].second, *rb[k].second) <= 1e-10);
  }
}
}  // namespace

TEST_CASE("N ranks with batch B over N train as one process with batch B, KDE (gathered or split by rows) and kNN entropy") {
  dist::MpiCommunicator comm;
  for (const std::string estimator : {"kde", "knn", "kde-rows"}) {
    CAPTURE(estimator);
    auto ref = make_run(nullptr, estimator, gan::BatchNormMode::synchronised);
    auto par = make_run(&comm, estimator, gan::BatchNormMode::synchronised);
    int bad = 0;
    for (int it = 1; it <= 50; ++it) {
      const gan::TrainStats<T> a = ref->trainer->step(), b = par->trainer->step();
      const bool same = close(b.d_loss, a.d_loss) && close(b.g_adv, a.g_adv) && close(b.entropy, a.entropy) &&
                        (std::isnan(a.sigma) ? std::isnan(b.sigma) : close(b.sigma, a.sigma));
      if (!same && bad++ < 3)
        MESSAGE("step " << it << ": d " << b.d_loss << " vs " << a.d_loss << ", g " << b.g_adv << " vs " << a.g_adv
                        << ", H " << b.entropy << " vs " << a.entropy);
    }
    CHECK(bad == 0);
    compare_modules(par->G, ref->G, "G.");
    compare_modules(par->D, ref->D, "D.");
    ref->trainer->swap_ema();
    par->trainer->swap_ema();
    compare_modules(par->G, ref->G, "G_ema.");
  }
}

// The split estimator against the gathered one on the same samples: H, sigma and the gradient
// each rank's rows receive, with and without leave-one-out, on shares that differ in size.
TEST_CASE("kde_entropy_rows equals fn::kde_entropy of the gathered batch, value and gradient") {
  dist::MpiCommunicator comm;
  const int64_t rows = 23;  // unequal shares on 2 and 4 ranks
  const std::vector<int64_t> counts = dist::shard_counts(rows, comm.size());
  const dist::Shard sh = dist::shard_of(rows, comm.rank(), comm.size());
  Rng rng(9);
  const Tensor<T> X = Tensor<T>::randn({rows, 3}, rng);
  for (const bool loo : {false, true}) {
    CAPTURE(loo);
    const entropy::KdeOptions opt{entropy::Bandwidth::silverman, 1.0, loo};
    Var<T> a(X.slice_rows(sh.begin, sh.begin + sh.count).clone(), true), b(a.value().clone(), true);
    const fn::EntropyEstimate<T> ref = fn::kde_entropy(dist::gather_rows(comm, a, counts), opt);
    const fn::EntropyEstimate<T> got = dist::kde_entropy_rows(comm, b, counts, opt);
    CHECK(got.H.item() == doctest::Approx(ref.H.item()).epsilon(1e-12));
    CHECK(got.sigma == doctest::Approx(ref.sigma).epsilon(1e-15));
    ref.H.backward();
    got.H.backward();
    CHECK(test::all_close(b.grad().data(), a.grad().data(), sh.count * 3, 1e-13, 1e-10, "dH/dx"));
  }
}

// Every rank draws the whole global batch from the checkpointed stream, so a run stopped on N
// ranks goes on in one process as if it had never been split.
TEST_CASE("a checkpoint written on N ranks resumes in one process") {
  dist::MpiCommunicator comm;
  double tag = comm.rank() == 0 ? double(::getpid()) : 0.0;  // rank 0's pid names the file
  comm.all_reduce(&tag, 1, dist::Reduce::sum);
  const std::string path = (std::filesystem::temp_directory_path() /
                            ("entropic-dist-" + std::to_string(long(tag)) + ".safetensors")).string();
  auto par = make_run(&comm, "kde", gan::BatchNormMode::synchronised, 30);
  for (int it = 0; it < 20; ++it) par->trainer->step();
  if (comm.rank() != 0) return;
  par->trainer->save_checkpoint(path);
  auto resumed = make_run(nullptr, "kde", gan::BatchNormMode::synchronised, 30);
  resumed->trainer->load_checkpoint(path);
  std::filesystem::remove(path);
  CHECK(resumed->trainer->iteration() == 20);
  auto ref = make_run(nullptr, "kde", gan::BatchNormMode::synchronised, 30);
  for (int it = 0; it < 30; ++it) ref->trainer->step();
  for (int it = 0; it < 10; ++it) resumed->trainer->step();
  compare_modules(resumed->G, ref->G, "G.");
  compare_modules(resumed->D, ref->D, "D.");
}

// Per-rank BatchNorm differs from one process by design; every rank must still hold the same
// weights after each step (averaged gradients, identical Adam).
TEST_CASE("with per-rank BatchNorm every rank holds the same weights") {
  dist::MpiCommunicator comm;
  auto par = make_run(&comm, "kde", gan::BatchNormMode::per_rank);
  for (int it = 0; it < 10; ++it) par->trainer->step();
  for (auto& [name, v] : par->G.named_parameters()) {
    const Tensor<T>& w = v.value();
    Tensor<T> all = dist::all_gather_rows(comm, w.reshape({1, w.numel()}),
                                          std::vector<int64_t>(size_t(comm.size()), 1));
    for (int r = 1; r < comm.size(); ++r)
      CHECK(test::all_close(all.data() + r * w.numel(), all.data(), w.numel(), 0, 0, "rank " + std::to_string(r) + " " + name));
  }
}

TEST_CASE("a batch the ranks do not divide is refused with the fix") {
  dist::MpiCommunicator comm;
  if (comm.size() == 1) return;
  nn::Sequential<T> G, D;
  gan::TrainConfig cfg;
  cfg.batch = comm.size() * 5 + 1;
  cfg.comm = &comm;
  CHECK_THROWS_WITH(gan::GanTrainer<T>(G, D, cfg, nullptr, nullptr), doctest::Contains("does not split evenly"));
}
