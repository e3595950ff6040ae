// One run of the 2D mode-collapse protocol: train the protocol's networks on a mixture with a
// given entropy setting, then evaluate 2,500 samples from a fixed z. Shared by the mixture2d
// example and the mode_collapse benchmark so both measure exactly the same thing.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>

#include "entropic/entropy/functions.hpp"
#include "entropic/gan/mixture.hpp"
#include "entropic/gan/networks.hpp"
#include "entropic/gan/plot.hpp"
#include "entropic_tools/run_record.hpp"
#include "entropic/io/file.hpp"
#include "entropic/io/json.hpp"
#include "entropic/gan/trainer.hpp"

namespace entropic::gan {

struct MixtureExperiment {
  std::string dataset = "ring";
  std::string estimator = "kde";  // kde or knn
  entropy::KdeOptions kde{.bandwidth = entropy::Bandwidth::median};
  entropy::KnnOptions knn{.k = 5};
  TrainConfig train;  // lambda, iterations, seed, optimiser, out_dir ...
  Device device = Device::cpu;  // where the networks train; data and latents are drawn on the host
  // > 0 with train.out_dir: every this many iterations, the evaluation of the fixed z so far goes
  // to DIR/samples_<iter>.png and a row of DIR/snapshots.csv, to watch modes appear or collapse.
  int64_t snapshot_every = 0;
  // > 0 with a fixed KDE bandwidth: sigma moves geometrically from kde.sigma at the first
  // iteration to sigma_end at the last (wide early to reach across the plane, narrow late).
  double sigma_end = 0;
};

// The fixed KDE bandwidth of iteration `it` (1-based) of a run of `iters`.
inline double sigma_schedule(const MixtureExperiment& e, int64_t it, int64_t iters) {
  if (e.sigma_end <= 0 || iters <= 1) return e.kde.sigma;
  const double t = std::clamp(double(it - 1) / double(iters - 1), 0.0, 1.0);
  return e.kde.sigma * std::pow(e.sigma_end / e.kde.sigma, t);
}

struct MixtureOutcome {
  ModeMetrics metrics;
  Tensor<float> samples;  // [2500, 2], from a fixed z
  TrainStats<float> stats;
};

// The recommended setting, mixture2d's and mode_collapse's defaults. Adam (G 2e-4, D 5e-5) with
// beta1 0.5 and a linear decay to 0 over the run (25,000 iterations on the ring, 60,000 on the
// grid; the protocol's 1e-4, beta1 0.8, 400k iterations take hours on a CPU), batch 100, and per
// dataset (benchmarks/RESULTS.md has the searches):
// - both: the discriminator learns at a quarter of the generator's rate (5e-5). On the ring, at
//   the full rate one seed of ten (7) ended as an open arc with the mode between its ends empty,
//   and the modes' masses were less even; at a quarter, all ten seeds keep 8/8 with reverse KL
//   0.023 against 0.049, for 0.7 points of quality (RESULTS.md, #44). On the grid see below.
// - ring: lambda 1 with a fixed KDE bandwidth of five mode widths (0.05). At that scale the
//   entropy term spreads samples inside a mode and evens the mass between the 8 modes without
//   pulling samples off them, as a wide bandwidth (the median rule gives ~0.4) does.
// - grid: lambda 3 with a bandwidth of half the mode spacing (sigma 1), decayed linearly
//   to 0 over the second half of the run. With 25 modes and ~4 samples of a batch per mode, a
//   bandwidth of mode widths sees each sample alone and moves no mass between modes; at half the
//   spacing the samples between modes are pushed towards the emptier neighbours, which evens the
//   modes, and the decay then lets the discriminator pull the bridges back onto the modes.
//   The discriminator's quarter rate matters most here: at the full rate it
//   folds the generator's early, uniform sheet along the inner ring of modes within 1,000
//   iterations and leaves the square inside it, the centre mode's, empty to the end; slower, the
//   sheet settles onto all 25 modes first (a warm-up of D's rate did so on some seeds only).
//   The bandwidth shrinks geometrically from 1 to 0.25 over the run: wide while the mass has to
//   travel between modes, a few mode widths late, when it evens the samples of neighbouring
//   modes without dragging them onto the bridges. That, and 60,000 iterations rather than
//   25,000 for the quality, gave all 25 modes on all 10 seeds (RESULTS.md, #41).
inline int64_t recommended_mixture_iters(const std::string& dataset) {
  (void)mixture_by_name(dataset);  // an unknown name is an error here too
  return dataset == "grid" ? 60000 : 25000;
}

inline MixtureExperiment recommended_mixture_experiment(const std::string& dataset) {
  MixtureExperiment e;
  e.dataset = dataset;
  e.kde = {.bandwidth = entropy::Bandwidth::fixed, .sigma = 5 * mixture_by_name(dataset).std};
  e.train.lambda = Schedule::constant(1.0);
  e.train.iters = recommended_mixture_iters(dataset);
  e.train.batch = 100;
  e.train.adam_g = {.lr = 2e-4, .beta1 = 0.5};
  e.train.adam_d = {.lr = 5e-5, .beta1 = 0.5};
  e.train.lr = LrSchedule::linear_decay();
  if (dataset == "grid") {
    e.kde.sigma = 1.0;
    e.train.lambda = Schedule::constant(3).annealed_to(0, 0.5);  // 3, then 3 -> 0 over the second half
    e.sigma_end = 0.25;
  }
  return e;
}

// The heading of a samples picture: the run, then its metrics.
inline std::string mixture_title(const Mixture& mix, double lambda, const std::string& when, const ModeMetrics& m) {
  char title[200];
  std::snprintf(title, sizeof title, "%s, lambda = %g, %s\nmodes %d/%d, high quality %.1f%%, reverse KL %.3f",
                mix.name.c_str(), lambda, when.c_str(), m.modes_captured, m.modes_total, 100 * m.high_quality,
                m.reverse_kl);
  return title;
}

inline MixtureOutcome run_mixture_experiment(const MixtureExperiment& e) {
  using T = float;
  const Mixture mix = mixture_by_name(e.dataset);
  check(e.estimator == "kde" || e.estimator == "knn", "mixture: estimator must be kde or knn, got '",
        e.estimator, "'");
  // The protocol's 100,000 training points, drawn once from the seed.
  Rng data_rng(e.train.seed ^ 0x5eedda7aull);
  const Tensor<T> data = mix.sample<T>(100000, data_rng);
  auto real = [&data](int64_t batch, Rng& rng) {
    Tensor<T> x({batch, 2});
    for (int64_t i = 0; i < batch; ++i) {
      const int64_t r = int64_t(rng.below(uint64_t(data.rows())));
      x(i, 0) = data(r, 0);
      x(i, 1) = data(r, 1);
    }
    return x;
  };
  check(e.sigma_end >= 0 && std::isfinite(e.sigma_end), "mixture: sigma_end must be >= 0, got ", e.sigma_end);
  check(e.sigma_end == 0 || (e.estimator == "kde" && e.kde.bandwidth == entropy::Bandwidth::fixed),
        "mixture: a bandwidth schedule (sigma_end) needs the kde estimator with a fixed bandwidth");
  const GanTrainer<T>* running = nullptr;  // the schedule reads the iteration being trained
  auto entropy_fn = [&e, &running](const Var<T>& x) {
    entropy::KdeOptions kde = e.kde;
    if (running) kde.sigma = sigma_schedule(e, running->iteration(), e.train.iters);
    return e.estimator == "kde" ? fn::kde_entropy(x, kde) : fn::knn_entropy(x, e.knn);
  };
  TrainConfig cfg = e.train;
  cfg.latent = 2;
  Rng init(cfg.seed);
  nn::Sequential<T> G = mixture_generator<T>(init);
  nn::Sequential<T> D = mixture_discriminator<T>(init);
  G.to(e.device);  // initialised on the host from the seed: the same start on every device
  D.to(e.device);
  GanTrainer<T> trainer(G, D, cfg, real, entropy_fn);
  running = &trainer;
  // A fixed z, the same for every run and seed; batch statistics, as the generator was trained.
  Rng zr(12345);
  const Tensor<T> z = Tensor<T>::randn({2500, 2}, zr);
  auto evaluate = [&] {
    trainer.swap_ema();
    Tensor<T> samples = generate(G, z);
    trainer.swap_ema();
    return samples;
  };
  std::ofstream snapshots;
  const bool leader = !cfg.comm || cfg.comm->rank() == 0;  // on several ranks, rank 0 writes
  if (e.snapshot_every > 0 && !cfg.out_dir.empty() && leader) {
    check(e.snapshot_every <= cfg.iters, "mixture: snapshot_every (", e.snapshot_every,
          ") must not exceed the run's iterations (", cfg.iters, ")");
    std::filesystem::create_directories(cfg.out_dir);
    const std::string path = cfg.out_dir + "/snapshots.csv";
    const bool resuming = cfg.resume && std::filesystem::exists(trainer.checkpoint_path());
    // A run stopped before its first snapshot leaves the file empty: the header goes in then too.
    const bool has_rows = resuming && std::filesystem::exists(path) && std::filesystem::file_size(path) > 0;
    snapshots.open(path, resuming ? std::ios::app : std::ios::trunc);
    check(bool(snapshots), "mixture: cannot open ", path, " for writing");
    if (!has_rows) snapshots << "iter,modes,high_quality,reverse_kl,lambda" << std::endl;
    trainer.on_iteration([&](const TrainStats<T>& s) {
      if (s.iteration % e.snapshot_every != 0) return;
      const Tensor<T> samples = evaluate();
      const ModeMetrics m = evaluate_modes(samples, mix);
      snapshots << s.iteration << ',' << m.modes_captured << ',' << m.high_quality << ',' << m.reverse_kl << ','
                << lambda_schedule(cfg, s.iteration) << std::endl;
      const std::string when = "iteration " + std::to_string(s.iteration) + " of " + std::to_string(cfg.iters);
      plot_samples(cfg.out_dir + "/samples_" + std::to_string(s.iteration) + ".png", samples, mix,
                   mixture_title(mix, lambda_schedule(cfg, s.iteration), when, m));
    });
  }
  MixtureOutcome out;
  out.stats = trainer.run();
  out.samples = evaluate();
  out.metrics = evaluate_modes(out.samples, mix);
  return out;
}

// "kde, fixed sigma 1 -> 0.25", "kde, median", "knn, k 5": what the entropy term estimates with.
inline std::string describe_entropy(const MixtureExperiment& e) {
  std::ostringstream o;
  if (e.estimator == "knn") {
    o << "knn, k " << e.knn.k;
  } else if (e.kde.bandwidth == entropy::Bandwidth::fixed) {
    o << "kde, fixed sigma " << e.kde.sigma;
    if (e.sigma_end > 0) o << " -> " << e.sigma_end;
  } else {
    o << "kde, " << entropy::to_string(e.kde.bandwidth);
  }
  return o.str();
}

// A run's results in e.train.out_dir, each file written atomically: samples.csv (header x,y),
// samples.png (the samples over the true modes, the metrics in its title) and metrics.json (the
// setting, the metrics and the high-quality count of every mode).
inline void write_mixture_outcome(const MixtureExperiment& e, const MixtureOutcome& o) {
  const std::string& dir = e.train.out_dir;
  check(!dir.empty(), "mixture: write_mixture_outcome needs train.out_dir");
  const Mixture mix = mixture_by_name(e.dataset);
  const ModeMetrics& m = o.metrics;
  const TrainConfig& c = e.train;
  std::filesystem::create_directories(dir);
  std::ostringstream csv;
  csv << "x,y\n";
  for (int64_t i = 0; i < o.samples.rows(); ++i) csv << o.samples(i, 0) << ',' << o.samples(i, 1) << '\n';
  io::write_text_atomically(dir + "/samples.csv", csv.str());
  plot_samples(dir + "/samples.png", o.samples, mix,
               mixture_title(mix, c.lambda.value, std::to_string(c.iters) + " iterations", m));
  json::Value js = json::Value::object();
  js.set("dataset", mix.name);
  js.set("lambda", c.lambda.value);
  js.set("lambda_decay", c.lambda.anneal);
  js.set("lambda_end", c.lambda.end);
  js.set("entropy", describe_entropy(e));
  js.set("lr_g", c.adam_g.lr);
  js.set("lr_d", c.adam_d.lr);
  js.set("lr_d_warmup", c.lr.d_warmup);
  js.set("batch", c.batch);
  js.set("iterations", c.iters);
  js.set("seed", c.seed);
  js.set("modes", m.modes_captured);
  js.set("modes_total", m.modes_total);
  js.set("high_quality", m.high_quality);
  js.set("reverse_kl", m.reverse_kl);  // written as null when not finite
  js.set("train_seconds", o.stats.seconds);
  js.set("counts", m.counts);
  io::write_text_atomically(dir + "/metrics.json", json::dump(js, 2) + "\n");
}

}  // namespace entropic::gan
