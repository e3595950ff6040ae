// mode_collapse: the PacGAN 2D protocol for lambda = 0 and for the entropy-regularised GAN over
// several seeds, printed beside PacGAN's Table 1 (mean +- standard error over seeds).
//
//   mode_collapse --dataset ring --seeds 10 --iters 4000
//   mode_collapse --dataset grid --seeds 10 --iters 4000 --lambda 0.2
//   mode_collapse --table-from OUT     the table of runs made with --out OUT (split with --only
//                                      and --first-seed over processes), from their metrics.json
#include <entropic_tools/experiment.hpp>
#include <entropic_tools/cli.hpp>

#include "common.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

using namespace entropic;

namespace {
using bench::mean_se;

struct Row {
  double lambda;
  std::vector<double> modes, hq, kl;
  void add(const gan::MixtureRunRecord& r) {
    modes.push_back(double(r.modes));
    hq.push_back(100 * r.high_quality);
    kl.push_back(r.reverse_kl);
  }
};

void print_table(const std::string& dataset, const std::vector<Row>& rows) {
  std::printf("| method | modes | hq %% | reverse KL |\n|---|---|---|---|\n");
  for (auto& r : rows) {
    const auto m = mean_se(r.modes), h = mean_se(r.hq), k = mean_se(r.kl);
    std::printf("| %s, lambda %g (ours, %zu seed%s) | %.1f +- %.1f | %.1f +- %.1f | %.3f +- %.3f |\n",
                r.lambda == 0 ? "plain GAN" : "entropic", r.lambda, r.modes.size(), r.modes.size() == 1 ? "" : "s",
                m.mean, m.se, h.mean, h.se, k.mean, k.se);
  }
  // PacGAN (Lin et al. 2018) Table 1, as quoted in shared/protocols.md.
  if (dataset == "ring") {
    std::printf("| GAN (PacGAN Table 1) | 6.3 +- 0.5 | 98.2 +- 0.2 | 0.45 +- 0.09 |\n"
                "| ALI | 6.6 +- 0.3 | 97.6 +- 0.4 | 0.36 +- 0.04 |\n"
                "| PacGAN2 | 7.9 +- 0.1 | 95.6 +- 2.0 | 0.07 +- 0.03 |\n"
                "| PacGAN3 | 7.8 +- 0.1 | 97.7 +- 0.3 | 0.10 +- 0.02 |\n"
                "| PacGAN4 | 7.8 +- 0.1 | 95.9 +- 1.4 | 0.07 +- 0.02 |\n");
  } else {
    std::printf("| GAN (PacGAN Table 1) | 17.3 +- 0.8 | 94.8 +- 0.7 | 0.70 +- 0.07 |\n"
                "| ALI | 24.1 +- 0.4 | 95.7 +- 0.6 | 0.14 +- 0.03 |\n"
                "| PacGAN2 | 23.8 +- 0.7 | 91.3 +- 0.8 | 0.13 +- 0.04 |\n"
                "| PacGAN3 | 24.6 +- 0.4 | 94.2 +- 0.4 | 0.06 +- 0.02 |\n"
                "| PacGAN4 | 24.8 +- 0.2 | 93.6 +- 0.6 | 0.04 +- 0.01 |\n");
  }
}

void print_run(const gan::MixtureRunRecord& r) {
  std::printf("  lambda %-5g seed %2lld: modes %2lld/%lld  hq %5.1f%%  revkl %.3f  (%s, %.0f s)\n", r.lambda,
              (long long)r.seed, (long long)r.modes, (long long)r.modes_total, 100 * r.high_quality,
              r.reverse_kl, r.lambda == 0 ? "no entropy term" : r.entropy.c_str(), r.train_seconds);
  std::fflush(stdout);
}

// Every metrics.json under dir, one row per lambda. Runs of one row must share every setting but
// the seed, and all runs the dataset and budget, or the means would mix experiments.
int table_from(const std::string& dir) {
  check(std::filesystem::is_directory(dir), "mode_collapse: --table-from ", dir,
        " is not a directory (give the --out directory of earlier runs)");
  std::vector<gan::MixtureRunRecord> runs;
  for (const auto& f : std::filesystem::recursive_directory_iterator(dir))
    if (f.is_regular_file() && f.path().filename() == "metrics.json")
      runs.push_back(gan::read_mixture_metrics(f.path().string()));
  check(!runs.empty(), "mode_collapse: no metrics.json under ", dir,
        " (runs write one when given --out)");
  std::sort(runs.begin(), runs.end(), [](const auto& a, const auto& b) {
    return a.lambda != b.lambda ? a.lambda < b.lambda : a.seed < b.seed;
  });
  const auto& first = runs.front();
  std::map<double, const gan::MixtureRunRecord*> row_head;
  std::vector<Row> rows;
  for (const auto& r : runs) {
    check(r.dataset == first.dataset && r.iterations == first.iterations, "mode_collapse: ", r.path, " (",
          r.dataset, ", ", r.iterations, " iterations) and ", first.path, " (", first.dataset, ", ",
          first.iterations, " iterations) are different experiments; give --table-from a directory of one");
    auto [it, fresh] = row_head.try_emplace(r.lambda, &r);
    const auto& h = *it->second;
    check(r.entropy == h.entropy && r.lr_g == h.lr_g && r.lr_d == h.lr_d && r.lr_d_warmup == h.lr_d_warmup &&
              r.batch == h.batch && r.lambda_decay == h.lambda_decay && r.lambda_end == h.lambda_end,
          "mode_collapse: ", r.path, " and ", h.path, " have the same lambda but different settings "
          "(entropy, rates, the discriminator's warm-up, batch or lambda schedule); they cannot share a row");
    if (fresh) rows.push_back({r.lambda, {}, {}, {}});
    rows.back().add(r);
    print_run(r);
  }
  std::printf("\n%s, %zu runs read from %s, %lld iterations per run (PacGAN: ~400k)\n\n", first.dataset.c_str(),
              runs.size(), dir.c_str(), (long long)first.iterations);
  print_table(first.dataset, rows);
  return 0;
}
}  // namespace

int main(int argc, char** argv) {
  return cli::main_guard("mode_collapse", [&] {
    cli::Args a("mode_collapse", "PacGAN's 2D mode-collapse protocol: plain GAN vs entropy-regularised GAN over seeds");
    a.option("dataset", "ring", "ring or grid")
        .option("seeds", "10", "number of seeds")
        .option("first-seed", "1", "seeds run from this one up")
        .option("iters", "auto", "generator updates per run; auto = the recommended setting (25000 on the ring, 60000 on the grid)")
        .option("lambda", "auto", "entropy weight of the regularised runs; auto = the recommended setting (1 on the ring, 3 on the grid)")
        .option("sigma-end", "auto", "the KDE bandwidth at the last iteration of every run, reached geometrically from the recommended sigma; 0 = constant; auto = the recommended setting (constant on the ring, 0.25 on the grid)")
        .option("lr-d", "auto", "Adam learning rate of the discriminator in every run; auto = the recommended setting (5e-5, a quarter of the generator's)")
        .option("lr-d-warmup", "auto", "iterations over which the discriminator's rate ramps up from 0, in every run; auto = the recommended setting (0)")
        .option("only", "", "run only this lambda (0 or the --lambda value), to split the work over processes")
        .option("out", "", "if set, each run writes its files to OUT/lambda-L/seed-S (as mixture2d does: samples.png, metrics.json, log.csv ...)")
        .option("table-from", "", "train nothing: print the table of the runs whose metrics.json lie under this directory (an earlier --out)");
    if (!a.parse(argc, argv)) return 0;
    if (!a.str("table-from").empty()) return table_from(a.str("table-from"));
    const int seeds = int(a.integer("seeds"));
    check(seeds >= 1, "mode_collapse: --seeds must be >= 1");
    const double lam = a.str("lambda") == "auto" ? gan::recommended_mixture_experiment(a.str("dataset")).train.lambda.value
                                                 : a.num("lambda");
    std::vector<Row> rows{{0.0, {}, {}, {}}, {lam, {}, {}, {}}};
    if (!a.str("only").empty()) rows = {{a.num("only"), {}, {}, {}}};
    const int first = int(a.integer("first-seed"));
    const int64_t iters = a.str("iters") == "auto" ? gan::recommended_mixture_iters(a.str("dataset")) : a.integer("iters");
    const auto t0 = bench::Clock::now();
    int total = 0;
    for (auto& r : rows)
      for (int s = first; s < first + seeds; ++s) {
        // Every other setting is the recommended one, mixture2d's defaults.
        gan::MixtureExperiment e = gan::recommended_mixture_experiment(a.str("dataset"));
        e.train.iters = iters;
        if (a.str("sigma-end") != "auto") e.sigma_end = a.num("sigma-end");
        if (a.str("lr-d") != "auto") e.train.adam_d.lr = a.num("lr-d");
        if (a.str("lr-d-warmup") != "auto") e.train.lr.d_warmup = a.integer("lr-d-warmup");
        e.train.lambda.value = r.lambda;
        e.train.seed = uint64_t(s);
        e.train.quiet = true;
        e.train.resume = false;
        if (!a.str("out").empty())
          e.train.out_dir = a.str("out") + "/lambda-" + std::to_string(r.lambda) + "/seed-" + std::to_string(s);
        const auto o = gan::run_mixture_experiment(e);
        if (!e.train.out_dir.empty()) gan::write_mixture_outcome(e, o);
        ++total;
        gan::MixtureRunRecord rec;
        rec.lambda = r.lambda;
        rec.seed = s;
        rec.entropy = gan::describe_entropy(e);
        rec.modes = o.metrics.modes_captured;
        rec.modes_total = o.metrics.modes_total;
        rec.high_quality = o.metrics.high_quality;
        rec.reverse_kl = o.metrics.reverse_kl;
        rec.train_seconds = o.stats.seconds;
        r.add(rec);
        print_run(rec);
      }
    const double secs = bench::seconds_since(t0);
    std::printf("\n%s, %d seed%s, %lld iterations per run (PacGAN: ~400k), %d runs in %.0f s\n\n",
                a.str("dataset").c_str(), seeds, seeds == 1 ? "" : "s", (long long)iters, total, secs);
    print_table(a.str("dataset"), rows);
    return 0;
  });
}
