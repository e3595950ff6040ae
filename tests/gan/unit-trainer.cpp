#include <doctest/doctest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>
#include <limits>

#include "entropic/entropy/functions.hpp"
#include "entropic/gan/mixture.hpp"
#include "entropic/gan/networks.hpp"
#include "entropic/gan/trainer.hpp"
#include "entropic/nn/activation.hpp"
#include "entropic/nn/batchnorm.hpp"
#include "entropic/nn/linear.hpp"

using namespace entropic;
namespace fs = std::filesystem;

namespace {
struct Nets {
  nn::Sequential<double> G, D;
  explicit Nets(uint64_t seed) {
    Rng r(seed);
    G.emplace<nn::Linear<double>>(2, 16, r).emplace<nn::BatchNorm1d<double>>(16).emplace<nn::ReLU<double>>()
        .emplace<nn::Linear<double>>(16, 2, r);
    D.emplace<nn::Linear<double>>(2, 16, r).emplace<nn::LeakyReLU<double>>(0.2).emplace<nn::Linear<double>>(16, 1, r);
  }
};

gan::TrainConfig small_config(const std::string& out, int64_t iters) {
  gan::TrainConfig c;
  c.iters = iters;
  c.batch = 16;
  c.latent = 2;
  c.lambda = 0.1;
  c.seed = 3;
  c.out_dir = out;
  c.checkpoint_every = 5;
  c.ema = 0.9;
  c.quiet = true;
  c.adam_g = c.adam_d = {.lr = 1e-3, .beta1 = 0.5};
  return c;
}

gan::GanTrainer<double>::EntropyFn kde() {
  return [](const VarD& x) {
    gan::EntropyTerm<double> t;
    t.H = fn::kde_entropy(x, {.bandwidth = entropy::Bandwidth::scott}, &t.sigma);
    return t;
  };
}

std::string temp_dir(const std::string& name) {
  auto p = fs::temp_directory_path() / ("entropic-trainer-" + name + "-" + std::to_string(::getpid()));
  fs::remove_all(p);
  return p.string();
}
}  // namespace

TEST_CASE("objective: the two generator losses and the discriminator loss from logits") {
  VarD z(TensorD::from({2, 1}, {0.0, 2.0}), true);
  // non-saturating: -mean log sigmoid(z); minimax: mean log(1 - sigmoid(z)).
  const double ns = gan::generator_adversarial_loss(z, gan::GenLoss::non_saturating).item();
  const double mm = gan::generator_adversarial_loss(z, gan::GenLoss::minimax).item();
  auto sig = [](double v) { return 1 / (1 + std::exp(-v)); };
  CHECK(ns == doctest::Approx(-(std::log(sig(0)) + std::log(sig(2))) / 2));
  CHECK(mm == doctest::Approx((std::log(1 - sig(0)) + std::log(1 - sig(2))) / 2));
  VarD r(TensorD::from({1, 1}, {1.0}));
  const double d = gan::discriminator_loss(r, VarD(TensorD::from({1, 1}, {-1.0}))).item();
  CHECK(d == doctest::Approx(-std::log(sig(1))));
  CHECK(gan::lambda_at(0.4, 100, 25) == doctest::Approx(0.1));
  CHECK(gan::lambda_at(0.4, 100, 200) == 0.4);
  CHECK_THROWS_WITH_AS(gan::parse_gen_loss("wasserstein"), doctest::Contains("unknown generator loss"), Error);
}

TEST_CASE("trainer: the lambda schedule (warm-up, constant, linear decay to lambda_end over the last fraction)") {
  gan::TrainConfig c;
  c.iters = 100;
  c.lambda = 1.0;
  CHECK(gan::lambda_schedule(c, 1) == 1.0);  // no decay: constant
  CHECK(gan::lambda_schedule(c, 100) == 1.0);
  c.lambda_decay = 0.4;  // the last 40 iterations, 61..100
  c.lambda_end = 0.2;
  CHECK(gan::lambda_schedule(c, 1) == 1.0);
  CHECK(gan::lambda_schedule(c, 60) == 1.0);
  CHECK(gan::lambda_schedule(c, 61) == doctest::Approx(1.0 - 0.8 / 40));
  CHECK(gan::lambda_schedule(c, 80) == doctest::Approx(0.6));
  CHECK(gan::lambda_schedule(c, 100) == doctest::Approx(0.2));
  c.lambda_end = 0;
  CHECK(gan::lambda_schedule(c, 90) == doctest::Approx(0.25));
  CHECK(gan::lambda_schedule(c, 100) == 0.0);
  c.lambda_warmup = 10;  // the warm-up still ramps the start
  CHECK(gan::lambda_schedule(c, 5) == doctest::Approx(0.5));
  c.lambda_decay = 1;  // the whole run
  c.lambda_warmup = 0;
  CHECK(gan::lambda_schedule(c, 50) == doctest::Approx(0.5));
  // The trainer applies it: the log's lambda column follows the schedule.
  const gan::Mixture mix = gan::ring();
  auto real = [&](int64_t n, Rng& rng) { return mix.sample<double>(n, rng); };
  const std::string dir = temp_dir("sched");
  auto cfg = small_config(dir, 20);
  cfg.log_every = 5;
  cfg.lambda = 0.4;
  cfg.lambda_decay = 0.5;  // iterations 11..20
  cfg.lambda_end = 0.1;
  Nets n(2);
  gan::GanTrainer<double> t(n.G, n.D, cfg, real, kde());
  t.run();
  std::ifstream log(dir + "/log.csv");
  std::string line;
  std::getline(log, line);
  std::vector<double> lam;
  while (std::getline(log, line)) {
    std::stringstream ss(line);
    std::string f;
    for (int k = 0; k < 5; ++k) std::getline(ss, f, ',');
    lam.push_back(std::stod(f));
  }
  REQUIRE(lam.size() == 4);  // iterations 5, 10, 15, 20
  CHECK(lam[0] == doctest::Approx(0.4));
  CHECK(lam[1] == doctest::Approx(0.4));
  CHECK(lam[2] == doctest::Approx(0.25));
  CHECK(lam[3] == doctest::Approx(0.1));
  fs::remove_all(dir);
  // Out-of-range settings are refused.
  cfg.out_dir = "";
  cfg.lambda_decay = 1.5;
  CHECK_THROWS_WITH_AS(gan::GanTrainer<double>(n.G, n.D, cfg, real, kde()), doctest::Contains("lambda_decay"), Error);
  cfg.lambda_decay = 0.5;
  cfg.lambda_end = -1;
  CHECK_THROWS_WITH_AS(gan::GanTrainer<double>(n.G, n.D, cfg, real, kde()), doctest::Contains("lambda_end"), Error);
}

TEST_CASE("trainer: resuming in the middle of a lambda decay and a D-rate warm-up gives exactly the uninterrupted run") {
  const gan::Mixture mix = gan::ring();
  auto real = [&](int64_t n, Rng& rng) { return mix.sample<double>(n, rng); };
  const std::string a = temp_dir("da"), b = temp_dir("db");
  auto cfg = [](const std::string& out) {
    auto c = small_config(out, 20);
    c.lambda = 0.5;
    c.lambda_decay = 0.75;  // iterations 6..20, so the interruption at 10 falls inside it
    c.lr_decay = true;
    c.lr_d_warmup = 14;  // the interruption at 10 falls inside it too
    return c;
  };
  Nets n1(7);
  gan::GanTrainer<double> t1(n1.G, n1.D, cfg(a), real, kde());
  t1.run();
  Nets n2(7);  // the same run, stopped after 10 iterations
  gan::GanTrainer<double> t2(n2.G, n2.D, cfg(b), real, kde());
  for (int k = 0; k < 10; ++k) t2.step();
  fs::create_directories(b);
  t2.save_checkpoint(t2.checkpoint_path());
  Nets n3(99);
  gan::GanTrainer<double> t3(n3.G, n3.D, cfg(b), real, kde());
  t3.run();
  CHECK(t3.iteration() == 20);
  auto p1 = n1.G.parameters(), p3 = n3.G.parameters();
  for (size_t k = 0; k < p1.size(); ++k) CHECK(p1[k].value().vec() == p3[k].value().vec());
  auto d1 = n1.D.parameters(), d3 = n3.D.parameters();
  for (size_t k = 0; k < d1.size(); ++k) CHECK(d1[k].value().vec() == d3[k].value().vec());
  fs::remove_all(a);
  fs::remove_all(b);
}

TEST_CASE("trainer: resuming from a checkpoint gives exactly the weights of an uninterrupted run") {
  const gan::Mixture mix = gan::ring();
  auto real = [&](int64_t n, Rng& rng) { return mix.sample<double>(n, rng); };
  const std::string a = temp_dir("a"), b = temp_dir("b");
  Nets n1(7);
  gan::GanTrainer<double> t1(n1.G, n1.D, small_config(a, 20), real, kde());
  t1.run();
  Nets n2(7);
  gan::GanTrainer<double> t2(n2.G, n2.D, small_config(b, 10), real, kde());
  t2.run();
  Nets n3(99);  // different initial weights: everything must come from the checkpoint
  gan::GanTrainer<double> t3(n3.G, n3.D, small_config(b, 20), real, kde());
  t3.run();
  CHECK(t3.iteration() == 20);
  auto p1 = n1.G.parameters(), p3 = n3.G.parameters();
  for (size_t k = 0; k < p1.size(); ++k) CHECK(p1[k].value().vec() == p3[k].value().vec());
  CHECK(n1.D.parameters()[0].value().vec() == n3.D.parameters()[0].value().vec());
  // The generator's weight average resumes too: swapped in, both runs hold the same weights
  // (and they are not the raw weights, so the comparison says something).
  const std::vector<double> raw = p1[0].value().vec();
  t1.swap_ema();
  t3.swap_ema();
  CHECK(p1[0].value().vec() != raw);
  for (size_t k = 0; k < p1.size(); ++k) CHECK(p1[k].value().vec() == p3[k].value().vec());
  CHECK(fs::exists(a + "/log.csv"));
  CHECK_FALSE(fs::exists(a + "/checkpoint.safetensors.tmp"));
  // A checkpoint from another seed is refused rather than silently mixed in.
  auto other = small_config(b, 30);
  other.seed = 4;
  Nets n4(7);
  gan::GanTrainer<double> t4(n4.G, n4.D, other, real, kde());
  CHECK_THROWS_WITH_AS(t4.run(), doctest::Contains("was made with seed 3"), Error);
  fs::remove_all(a);
  fs::remove_all(b);
}

TEST_CASE("trainer: a NaN stops training with a clear message and keeps the last good checkpoint") {
  const gan::Mixture mix = gan::ring();
  int calls = 0;
  auto real = [&](int64_t n, Rng& rng) {
    auto x = mix.sample<double>(n, rng);
    if (++calls > 12) x[0] = std::numeric_limits<double>::quiet_NaN();
    return x;
  };
  const std::string dir = temp_dir("nan");
  Nets n(1);
  gan::GanTrainer<double> t(n.G, n.D, small_config(dir, 50), real, kde());
  CHECK_THROWS_WITH_AS(t.run(), doctest::Contains("diverged at iteration 13"), Error);
  const auto ck = io::load_safetensors(dir + "/checkpoint.safetensors");
  CHECK(ck.metadata.at("iteration") == "10");
  Nets fresh(1);
  gan::GanTrainer<double> again(fresh.G, fresh.D, small_config(dir, 10), real, kde());
  again.load_checkpoint(dir + "/checkpoint.safetensors");
  for (auto& p : fresh.G.parameters())
    for (double v : p.value()) REQUIRE(std::isfinite(v));
  fs::remove_all(dir);
}

TEST_CASE("trainer: bad configuration is rejected") {
  Nets n(1);
  auto real = [](int64_t k, Rng& rng) { return TensorD::randn({k, 2}, rng); };
  auto c = small_config("", 10);
  c.batch = 1;
  CHECK_THROWS_WITH_AS(gan::GanTrainer<double>(n.G, n.D, c, real, kde()), doctest::Contains("batch must be at least 2"), Error);
  c = small_config("", 10);
  CHECK_THROWS_WITH_AS(gan::GanTrainer<double>(n.G, n.D, c, real, nullptr), doctest::Contains("needs an entropy estimator"), Error);
}

TEST_CASE("trainer: the iteration hook sees every iteration in order and can draw samples without changing the run") {
  const gan::Mixture mix = gan::ring();
  auto real = [&](int64_t n, Rng& rng) { return mix.sample<double>(n, rng); };
  Nets plain(7), hooked(7);
  gan::GanTrainer<double> t1(plain.G, plain.D, small_config("", 12), real, kde());
  t1.run();
  gan::GanTrainer<double> t2(hooked.G, hooked.D, small_config("", 12), real, kde());
  std::vector<int64_t> seen;
  Rng zr(5);
  const TensorD z = TensorD::randn({40, 2}, zr);
  t2.on_iteration([&](const gan::TrainStats<double>& s) {
    seen.push_back(s.iteration);
    CHECK(std::isfinite(s.d_loss));
    t2.swap_ema();
    const TensorD x = gan::generate(hooked.G, z);  // a forward in training mode, buffers restored
    t2.swap_ema();
    CHECK(x.rows() == 40);
  });
  t2.run();
  REQUIRE(seen.size() == 12);
  for (size_t k = 0; k < seen.size(); ++k) CHECK(seen[k] == int64_t(k + 1));
  auto p1 = plain.G.parameters(), p2 = hooked.G.parameters();
  for (size_t k = 0; k < p1.size(); ++k) CHECK(p1[k].value().vec() == p2[k].value().vec());
  auto b1 = plain.G.named_buffers(), b2 = hooked.G.named_buffers();
  REQUIRE(b1.size() == 2);  // BatchNorm's running mean and variance, which generate must put back
  for (size_t k = 0; k < b1.size(); ++k) CHECK(b1[k].second->vec() == b2[k].second->vec());
}

TEST_CASE("trainer: the discriminator's rate warms up from 0") {
  const gan::Mixture mix = gan::ring();
  auto real = [&](int64_t n, Rng& rng) { return mix.sample<double>(n, rng); };
  auto d_weights = [](Nets& n) { return n.D.parameters()[0].value().vec(); };
  auto c = small_config("", 1);
  c.lr_d_warmup = 50;
  Nets warm(7);
  const std::vector<double> init = d_weights(warm);
  gan::GanTrainer<double> t(warm.G, warm.D, c, real, kde());
  t.step();  // the first D step runs at rate 0: D unchanged, G trained
  CHECK(d_weights(warm) == init);
  t.step();  // the second at 1/50 of the rate: D moves
  CHECK(d_weights(warm) != init);
  Nets cold(7);
  c.lr_d_warmup = 0;
  gan::GanTrainer<double> t0(cold.G, cold.D, c, real, kde());
  t0.step();
  CHECK(d_weights(cold) != init);
  c.lr_d_warmup = -1;
  CHECK_THROWS_WITH_AS(gan::GanTrainer<double>(cold.G, cold.D, c, real, kde()), doctest::Contains("lr_d_warmup"), Error);
}
