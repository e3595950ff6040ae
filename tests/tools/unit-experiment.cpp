#include <doctest/doctest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <unistd.h>
#include <vector>

#include "entropic_tools/experiment.hpp"

using namespace entropic;
using namespace entropic::gan;

TEST_CASE("recommended settings: the ring's as published in the README, the grid's with lambda annealed") {
  const MixtureExperiment r = recommended_mixture_experiment("ring");
  CHECK(r.kde.bandwidth == entropy::Bandwidth::fixed);
  CHECK(r.kde.sigma == doctest::Approx(0.05));
  CHECK(r.train.lambda.value == 1.0);
  CHECK(r.train.lambda.anneal == 0.0);  // constant lambda: the ring's 3-seed table was made so
  CHECK(r.train.iters == 25000);
  CHECK(r.train.lr.decay);
  const MixtureExperiment g = recommended_mixture_experiment("grid");
  CHECK(g.kde.bandwidth == entropy::Bandwidth::fixed);
  CHECK(g.kde.sigma == doctest::Approx(1.0));  // half the mode spacing
  CHECK(g.train.lambda.value == 3.0);
  CHECK(g.train.lambda.anneal == 0.5);
  CHECK(g.train.lambda.end == 0.0);
  CHECK(g.train.iters == 60000);
  CHECK(g.sigma_end == 0.25);  // from sigma 1, geometrically
  CHECK(r.sigma_end == 0.0);
  CHECK(recommended_mixture_iters("grid") == 60000);
  CHECK(recommended_mixture_iters("ring") == 25000);
  CHECK(g.train.adam_g.lr == 2e-4);
  CHECK(g.train.adam_d.lr == 5e-5);  // the discriminator at a quarter of the generator's rate
  CHECK(r.train.adam_d.lr == 5e-5);  // on the ring too (RESULTS.md #44: seed 7 keeps its mode)
  CHECK(g.train.lr.d_warmup == 0);
  CHECK(lambda_schedule(g.train, 30000) == 3.0);
  CHECK(lambda_schedule(g.train, 45000) == doctest::Approx(1.5));
  CHECK(lambda_schedule(g.train, 60000) == 0.0);
  CHECK(sigma_schedule(g, 30000, g.train.iters) == doctest::Approx(0.5).epsilon(1e-4));
}

TEST_CASE("mixture experiment: snapshots write pictures and a CSV and leave the run unchanged") {
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / ("entropic-snapshots-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  MixtureExperiment e = recommended_mixture_experiment("grid");
  e.train.iters = 6;
  e.train.quiet = true;
  e.train.seed = 4;
  const MixtureOutcome plain = run_mixture_experiment(e);  // no out_dir: no files, no snapshots
  e.train.out_dir = dir.string();
  e.snapshot_every = 3;
  const MixtureOutcome snap = run_mixture_experiment(e);
  CHECK(snap.samples.vec() == plain.samples.vec());
  CHECK(fs::exists(dir / "samples_3.png"));
  CHECK(fs::exists(dir / "samples_6.png"));
  CHECK_FALSE(fs::exists(dir / "samples_1.png"));
  std::ifstream in(dir / "snapshots.csv");
  std::vector<std::string> lines;
  for (std::string l; std::getline(in, l);) lines.push_back(l);
  REQUIRE(lines.size() == 3);
  CHECK(lines[0] == "iter,modes,high_quality,reverse_kl,lambda");
  CHECK(lines[1].rfind("3,", 0) == 0);
  // The last snapshot is the final evaluation.
  CHECK(lines[2].rfind("6," + std::to_string(snap.metrics.modes_captured) + ",", 0) == 0);
  e.snapshot_every = 7;
  CHECK_THROWS_WITH_AS(run_mixture_experiment(e), doctest::Contains("snapshot_every (7)"), Error);
  // A run stopped before its first snapshot left an empty file; resumed, it still gets a header.
  e.snapshot_every = 3;
  e.train.iters = 9;
  e.train.checkpoint_every = 3;
  { std::ofstream(dir / "snapshots.csv", std::ios::trunc); }
  REQUIRE(fs::exists(dir / "checkpoint.safetensors"));
  (void)run_mixture_experiment(e);
  std::ifstream again(dir / "snapshots.csv");
  lines.clear();
  for (std::string l; std::getline(again, l);) lines.push_back(l);
  REQUIRE(lines.size() >= 2);
  CHECK(lines[0] == "iter,modes,high_quality,reverse_kl,lambda");
  CHECK(lines.back().rfind("9,", 0) == 0);
  fs::remove_all(dir);
}

TEST_CASE("mixture experiment: the bandwidth schedule runs geometrically from sigma to sigma_end") {
  namespace fs = std::filesystem;
  MixtureExperiment e = recommended_mixture_experiment("grid");
  e.sigma_end = 0;
  CHECK(sigma_schedule(e, 1, 100) == 1.0);  // no schedule: the fixed sigma throughout
  CHECK(sigma_schedule(e, 100, 100) == 1.0);
  e.sigma_end = 0.25;
  CHECK(sigma_schedule(e, 1, 101) == 1.0);
  CHECK(sigma_schedule(e, 51, 101) == doctest::Approx(0.5));  // halfway in log sigma
  CHECK(sigma_schedule(e, 101, 101) == doctest::Approx(0.25));
  // The trainer's log shows the bandwidth each iteration used.
  const fs::path dir = fs::temp_directory_path() / ("entropic-sigma-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  e.train.iters = 5;
  e.train.log_every = 1;
  e.train.quiet = true;
  e.train.out_dir = dir.string();
  e.sigma_end = 1.0 / 16;
  run_mixture_experiment(e);
  std::ifstream in(dir / "log.csv");
  std::vector<double> sigma;
  std::string line;
  std::getline(in, line);
  REQUIRE(line.find(",sigma,") != std::string::npos);
  for (; std::getline(in, line);) {  // iter,d_loss,g_adv,entropy,lambda,sigma,seconds
    std::stringstream ss(line);
    std::string cell;
    for (int c = 0; c < 6; ++c) std::getline(ss, cell, ',');
    sigma.push_back(std::stod(cell));
  }
  REQUIRE(sigma.size() == 5);
  for (int k = 0; k < 5; ++k) CHECK(sigma[k] == doctest::Approx(std::pow(0.5, k)));
  e.estimator = "knn";
  CHECK_THROWS_WITH_AS(run_mixture_experiment(e), doctest::Contains("needs the kde estimator"), Error);
  fs::remove_all(dir);
}

TEST_CASE("mixture experiment: metrics.json reads back as written, and a broken one is refused by key") {
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / ("entropic-metrics-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  MixtureExperiment e = recommended_mixture_experiment("grid");
  e.train.iters = 4;
  e.train.quiet = true;
  e.train.seed = 7;
  e.train.lambda.value = 2.5;
  e.train.lr.d_warmup = 3;
  e.train.out_dir = dir.string();
  const MixtureOutcome o = run_mixture_experiment(e);
  write_mixture_outcome(e, o);
  const MixtureRunRecord r = read_mixture_metrics((dir / "metrics.json").string());
  CHECK(r.dataset == "grid");
  CHECK(r.entropy == describe_entropy(e));
  CHECK(r.lambda == 2.5);
  CHECK(r.lambda_decay == doctest::Approx(e.train.lambda.anneal));
  CHECK(r.lambda_end == doctest::Approx(e.train.lambda.end));
  CHECK(r.lr_g == doctest::Approx(e.train.adam_g.lr));
  CHECK(r.lr_d == doctest::Approx(e.train.adam_d.lr));
  CHECK(r.lr_d_warmup == 3);
  CHECK(r.batch == e.train.batch);
  CHECK(r.iterations == 4);
  CHECK(r.seed == 7);
  CHECK(r.modes == o.metrics.modes_captured);
  CHECK(r.modes_total == 25);
  CHECK(r.train_seconds == doctest::Approx(o.stats.seconds).epsilon(1e-5));
  CHECK(r.high_quality == doctest::Approx(o.metrics.high_quality).epsilon(1e-5));
  if (std::isfinite(o.metrics.reverse_kl))
    CHECK(r.reverse_kl == doctest::Approx(o.metrics.reverse_kl).epsilon(1e-5));
  else
    CHECK(std::isinf(r.reverse_kl));  // written as null
  // A word where a number belongs is a JSON error naming the line; a missing key names the key.
  {
    std::ofstream(dir / "broken.json") << "{\n  \"dataset\": \"grid\",\n  \"entropy\": \"kde\",\n  \"lambda\": three\n}\n";
  }
  CHECK_THROWS_WITH_AS(read_mixture_metrics((dir / "broken.json").string()),
                       doctest::Contains("broken.json: expected a value (object, array, string, number, true, false "
                                         "or null) at line 4, column 13 (byte 55), near 'three"),
                       Error);
  {
    std::ofstream(dir / "broken.json") << "{\n  \"dataset\": \"grid\",\n  \"entropy\": \"kde\",\n  \"lambda\": 3\n}\n";
  }
  CHECK_THROWS_WITH_AS(read_mixture_metrics((dir / "broken.json").string()),
                       doctest::Contains("has no \"lambda_decay\""), Error);
  CHECK_THROWS_WITH_AS(read_mixture_metrics((dir / "missing.json").string()), doctest::Contains("cannot open"), Error);
  fs::remove_all(dir);
}
