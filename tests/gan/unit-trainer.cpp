#include <doctest/doctest.h>

#include <cerrno>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>
#include <limits>
#include <optional>

#include "entropic/entropy/functions.hpp"
#include "entropic/gan/mixture.hpp"
#include "entropic/gan/networks.hpp"
#include "entropic/gan/trainer.hpp"
#include "entropic/nn/activation.hpp"
#include "entropic/nn/batchnorm.hpp"
#include "entropic/nn/linear.hpp"
#include "io/file_size_limit.hpp"

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
  c.lambda.value = 0.1;
  c.seed = 3;
  c.out_dir = out;
  c.checkpoint_every = 5;
  c.ema = 0.9;
  c.quiet = true;
  c.adam_g = c.adam_d = {.lr = 1e-3, .beta1 = 0.5};
  return c;
}

gan::GanTrainer<double>::EntropyFn kde() {
  return [](const VarD& x) { return fn::kde_entropy(x, {.bandwidth = entropy::Bandwidth::scott}); };
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
  CHECK_THROWS_WITH_AS(gan::parse_gen_loss("wasserstein"), doctest::Contains("unknown generator loss"), Error);
}

TEST_CASE("schedule: warm-up, constant, and annealing to an end value over the last fraction") {
  const auto s = gan::Schedule::constant(0.4).warmed_up(100);
  CHECK(s.at(25, 1000) == doctest::Approx(0.1));
  CHECK(s.at(0, 1000) == 0.0);
  CHECK(s.at(100, 1000) == 0.4);
  CHECK(s.at(200, 1000) == 0.4);
  CHECK(s.ever_positive());
  const auto a = gan::Schedule::constant(3).annealed_to(0, 0.5);  // 3, then 3 -> 0 over 51..100
  CHECK(a.at(50, 100) == 3.0);
  CHECK(a.at(75, 100) == doctest::Approx(1.5));
  CHECK(a.at(100, 100) == 0.0);
  CHECK(gan::Schedule::constant(0).annealed_to(2, 0.5).ever_positive());  // 0, then up to 2
  CHECK(gan::Schedule::constant(0).at(50, 100) == 0.0);
  CHECK_FALSE(gan::Schedule{}.ever_positive());
  // The learning-rate factors: the decay's off-by-one is the trainer's, whose rate for
  // iteration k is set before its G step (so the first step runs at the full rate).
  const auto lr = gan::LrSchedule::linear_decay().with_d_warmup(10);
  CHECK(lr.decay_factor(0, 100) == 1.0);
  CHECK(lr.decay_factor(1, 100) == 1.0);
  CHECK(lr.decay_factor(51, 100) == doctest::Approx(0.5));
  CHECK(lr.decay_factor(100, 100) == doctest::Approx(0.01));
  CHECK(lr.d_warmup_factor(5) == doctest::Approx(0.5));
  CHECK(lr.d_warmup_factor(20) == 1.0);
  CHECK(gan::LrSchedule::constant().is_constant());
  CHECK_FALSE(lr.is_constant());
  CHECK_THROWS_WITH_AS(gan::Schedule::constant(-1).validate("lambda"), doctest::Contains("lambda must be >= 0"), Error);
  CHECK_THROWS_WITH_AS(gan::Schedule::constant(1).warmed_up(-3).validate("lambda"),
                       doctest::Contains("lambda's warm-up must be >= 0"), Error);
}

TEST_CASE("trainer: the lambda schedule (warm-up, constant, linear decay to lambda_end over the last fraction)") {
  gan::TrainConfig c;
  c.iters = 100;
  c.lambda.value = 1.0;
  CHECK(gan::lambda_schedule(c, 1) == 1.0);  // no decay: constant
  CHECK(gan::lambda_schedule(c, 100) == 1.0);
  c.lambda.anneal = 0.4;  // the last 40 iterations, 61..100
  c.lambda.end = 0.2;
  CHECK(gan::lambda_schedule(c, 1) == 1.0);
  CHECK(gan::lambda_schedule(c, 60) == 1.0);
  CHECK(gan::lambda_schedule(c, 61) == doctest::Approx(1.0 - 0.8 / 40));
  CHECK(gan::lambda_schedule(c, 80) == doctest::Approx(0.6));
  CHECK(gan::lambda_schedule(c, 100) == doctest::Approx(0.2));
  c.lambda.end = 0;
  CHECK(gan::lambda_schedule(c, 90) == doctest::Approx(0.25));
  CHECK(gan::lambda_schedule(c, 100) == 0.0);
  c.lambda.warmup = 10;  // the warm-up still ramps the start
  CHECK(gan::lambda_schedule(c, 5) == doctest::Approx(0.5));
  c.lambda.anneal = 1;  // the whole run
  c.lambda.warmup = 0;
  CHECK(gan::lambda_schedule(c, 50) == doctest::Approx(0.5));
  // The trainer applies it: the log's lambda column follows the schedule.
  const gan::Mixture mix = gan::ring();
  auto real = [&](int64_t n, Rng& rng) { return mix.sample<double>(n, rng); };
  const std::string dir = temp_dir("sched");
  auto cfg = small_config(dir, 20);
  cfg.log_every = 5;
  cfg.lambda.value = 0.4;
  cfg.lambda.anneal = 0.5;  // iterations 11..20
  cfg.lambda.end = 0.1;
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
  cfg.lambda.anneal = 1.5;
  CHECK_THROWS_WITH_AS(gan::GanTrainer<double>(n.G, n.D, cfg, real, kde()), doctest::Contains("lambda's annealing must be a fraction"), Error);
  cfg.lambda.anneal = 0.5;
  cfg.lambda.end = -1;
  CHECK_THROWS_WITH_AS(gan::GanTrainer<double>(n.G, n.D, cfg, real, kde()), doctest::Contains("lambda's end value must be >= 0"), Error);
}

TEST_CASE("trainer: resuming in the middle of a lambda decay and a D-rate warm-up gives exactly the uninterrupted run") {
  const gan::Mixture mix = gan::ring();
  auto real = [&](int64_t n, Rng& rng) { return mix.sample<double>(n, rng); };
  const std::string a = temp_dir("da"), b = temp_dir("db");
  auto cfg = [](const std::string& out) {
    auto c = small_config(out, 20);
    c.lambda.value = 0.5;
    c.lambda.anneal = 0.75;  // iterations 6..20, so the interruption at 10 falls inside it
    c.lr.decay = true;
    c.lr.d_warmup = 14;  // the interruption at 10 falls inside it too
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
  c.lr.d_warmup = 50;
  Nets warm(7);
  const std::vector<double> init = d_weights(warm);
  gan::GanTrainer<double> t(warm.G, warm.D, c, real, kde());
  t.step();  // the first D step runs at rate 0: D unchanged, G trained
  CHECK(d_weights(warm) == init);
  t.step();  // the second at 1/50 of the rate: D moves
  CHECK(d_weights(warm) != init);
  Nets cold(7);
  c.lr.d_warmup = 0;
  gan::GanTrainer<double> t0(cold.G, cold.D, c, real, kde());
  t0.step();
  CHECK(d_weights(cold) != init);
  c.lr.d_warmup = -1;
  CHECK_THROWS_WITH_AS(gan::GanTrainer<double>(cold.G, cold.D, c, real, kde()), doctest::Contains("discriminator's warm-up must be >= 0"), Error);
}

namespace {
std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// The rows of a log.csv without the seconds column (the only one that differs between runs),
// after checking the header. A last line without its newline is returned as it is, so a torn
// line left in the file makes the comparison fail.
std::vector<std::string> log_rows(const std::string& path) {
  const std::string text = read_text(path);
  std::vector<std::string> rows;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string::npos) nl = text.size();
    rows.push_back(text.substr(pos, nl - pos));
    pos = nl + 1;
  }
  REQUIRE(!rows.empty());
  CHECK(rows.front() == gan::kLogHeader);
  rows.erase(rows.begin());
  for (auto& r : rows) r = r.substr(0, r.rfind(','));
  return rows;
}

std::vector<int64_t> iters_of(const std::vector<std::string>& rows) {
  std::vector<int64_t> it;
  for (const auto& r : rows) it.push_back(std::stoll(r.substr(0, r.find(','))));
  return it;
}

// A crash right after iteration `at`'s log row: the hook runs after the row (and after the
// checkpoint, when `at` is a checkpoint iteration), so the log holds rows the checkpoint lacks.
struct Crash {};
}  // namespace

TEST_CASE("trainer: a run resumed after a crash has the uninterrupted run's log, rows past the checkpoint and a torn line dropped") {
  const gan::Mixture mix = gan::ring();
  auto real = [&](int64_t n, Rng& rng) { return mix.sample<double>(n, rng); };
  const std::string a = temp_dir("log-a"), b = temp_dir("log-b");
  auto cfg = [](const std::string& out) {
    auto c = small_config(out, 20);
    c.log_every = 1;
    return c;
  };
  Nets n1(7);
  gan::GanTrainer<double> t1(n1.G, n1.D, cfg(a), real, kde());
  t1.run();
  const auto whole = log_rows(a + "/log.csv");
  REQUIRE(whole.size() == 20);
  for (int k = 0; k < 20; ++k) REQUIRE(iters_of(whole)[size_t(k)] == k + 1);

  // Crashes at 13 (checkpoint at 10), then at 17 (checkpoint at 15): each time the log holds
  // rows past the checkpoint and a torn row, as a power loss mid-write would leave.
  for (int64_t crash_at : {13, 17}) {
    Nets n(7);
    gan::GanTrainer<double> t(n.G, n.D, cfg(b), real, kde());
    t.on_iteration([&](const gan::TrainStats<double>& s) {
      if (s.iteration == crash_at) throw Crash{};
    });
    CHECK_THROWS_AS(t.run(), Crash);
    std::ofstream(b + "/log.csv", std::ios::app) << crash_at + 1 << ",0.69";  // no newline
    CHECK(iters_of(log_rows(b + "/log.csv")).back() == crash_at + 1);
  }
  Nets n3(99);
  gan::GanTrainer<double> t3(n3.G, n3.D, cfg(b), real, kde());
  t3.run();
  const auto resumed = log_rows(b + "/log.csv");
  CHECK(iters_of(resumed) == iters_of(whole));
  CHECK(resumed == whole);  // the losses too: the resumed rows are the same iterations' figures
  fs::remove_all(a);
  fs::remove_all(b);
}

TEST_CASE("trainer: truncate_log keeps whole rows up to the checkpoint, the later of repeated iterations, and the header") {
  const std::string dir = temp_dir("trunc");
  fs::create_directories(dir);
  const std::string path = dir + "/log.csv";
  // An older trainer appended from the checkpoint without cutting: iterations 3 and 4 appear
  // twice, and the second copies are the ones the continuing run wrote.
  std::ofstream(path) << gan::kLogHeader << "\n1,a\n2,b\n3,c\n4,d\n3,C\n4,D\n5,E\nnot a row\n6,F\n7,G\n8,H";
  CHECK(gan::truncate_log(path, 6) == std::vector<int64_t>{1, 2, 3, 4, 5, 6});
  CHECK(read_text(path) == std::string(gan::kLogHeader) + "\n1,a\n2,b\n3,C\n4,D\n5,E\n6,F\n");
  // Resuming again at the same iteration changes nothing; a checkpoint before the first row keeps the header.
  CHECK(gan::truncate_log(path, 6).size() == 6);
  CHECK(gan::truncate_log(path, 0).empty());
  CHECK(read_text(path) == std::string(gan::kLogHeader) + "\n");
  fs::remove_all(dir);
}

TEST_CASE("trainer: damaged checkpoint metadata and an unusable output directory are Errors that name them") {
  const gan::Mixture mix = gan::ring();
  auto real = [&](int64_t n, Rng& rng) { return mix.sample<double>(n, rng); };
  const std::string dir = temp_dir("meta");
  {
    Nets n(7);
    gan::GanTrainer<double> t(n.G, n.D, small_config(dir, 5), real, kde());
    t.run();
  }
  const std::string ck = dir + "/checkpoint.safetensors";
  const io::SafeTensorsFile good = io::load_safetensors(ck);
  auto damaged = [&](const std::string& field, const std::string& value) {
    io::SafeTensorsFile f = good;
    f.metadata[field] = value;
    io::save_safetensors(ck, f);
    Nets n(7);
    gan::GanTrainer<double> t(n.G, n.D, small_config(dir, 10), real, kde());
    try {
      t.run();
      FAIL("a checkpoint with ", field, " = '", value, "' was accepted");
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  std::string m = damaged("iteration", "12x");
  CHECK(m.find(ck) != std::string::npos);
  CHECK(m.find("'iteration' is '12x', not an unsigned 64-bit integer") != std::string::npos);
  CHECK(m.find("--fresh") != std::string::npos);
  m = damaged("adam_g.steps", "99999999999999999999999");
  CHECK(m.find("'adam_g.steps' is '99999999999999999999999', out of range") != std::string::npos);
  m = damaged("rng_offset", "-1");
  CHECK(m.find("'rng_offset' is '-1'") != std::string::npos);
  m = damaged("rng_seed", "");
  CHECK(m.find("'rng_seed' is ''") != std::string::npos);
  m = damaged("iteration", "18446744073709551615");
  CHECK(m.find("past any run's length") != std::string::npos);
  // The output directory's name is taken by a file.
  std::ofstream(dir + "/file") << "x";
  Nets n(7);
  gan::GanTrainer<double> t(n.G, n.D, small_config(dir + "/file/out", 5), real, kde());
  const std::string want = "cannot create the output directory " + dir + "/file/out";
  CHECK_THROWS_WITH_AS(t.run(), doctest::Contains(want.c_str()), Error);
  fs::remove_all(dir);
}

TEST_CASE("trainer: a checkpoint that does not fit on the disk stops training with a clear Error, the last one resumes") {
  const gan::Mixture mix = gan::ring();
  auto real = [&](int64_t n, Rng& rng) { return mix.sample<double>(n, rng); };
  const std::string a = temp_dir("full-a"), b = temp_dir("full-b");
  auto cfg = [](const std::string& out) {
    auto c = small_config(out, 10);
    c.log_every = 1;
    return c;
  };
  Nets n1(7);
  gan::GanTrainer<double> t1(n1.G, n1.D, cfg(a), real, kde());
  t1.run();
  Nets n2(7);
  gan::GanTrainer<double> t2(n2.G, n2.D, cfg(b), real, kde());
  const std::string ck = t2.checkpoint_path();
  std::string message;
  std::optional<test::FileSizeLimit> full_disk;
  t2.on_iteration([&](const gan::TrainStats<double>& s) {
    // Once the checkpoint at 5 is written the disk "fills up": the small log rows still fit,
    // the next checkpoint does not.
    if (s.iteration == 5) full_disk.emplace(fs::file_size(ck) / 2);
  });
  try {
    t2.run();
  } catch (const Error& e) {
    message = e.what();
  }
  full_disk.reset();  // before anything else writes, doctest's report included
  CHECK(message.find("write " + ck) != std::string::npos);
  CHECK(message.find(std::strerror(EFBIG)) != std::string::npos);
  CHECK(message.find("is unchanged") != std::string::npos);
  CHECK_FALSE(fs::exists(ck + ".tmp"));
  CHECK(io::load_safetensors(ck).metadata.at("iteration") == "5");
  // With room again, the run resumes from 5 and ends where the uninterrupted one did.
  Nets n3(99);
  gan::GanTrainer<double> t3(n3.G, n3.D, cfg(b), real, kde());
  t3.run();
  CHECK(log_rows(b + "/log.csv") == log_rows(a + "/log.csv"));
  auto p1 = n1.G.parameters(), p3 = n3.G.parameters();
  for (size_t k = 0; k < p1.size(); ++k) CHECK(p1[k].value().vec() == p3[k].value().vec());
  fs::remove_all(a);
  fs::remove_all(b);
}
