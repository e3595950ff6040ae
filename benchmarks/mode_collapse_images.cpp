// mode_collapse_images: the images mode of the mode-collapse comparison. The seed's image GAN on
// scikit-learn's 8x8 digits (or MNIST-format files) with lambda = 0 against the entropy-
// regularised GAN over several seeds, the mode metrics of gan/image_metrics.hpp side by side
// (mean +- standard error over seeds; 2,000 samples from a fixed z per run; NDB with K-means
// bins fitted once, seed 1).
//
//   mode_collapse_images --seeds 3 --epochs 100 --lambda 0.05
//   mode_collapse_images --data ~/mnist --seeds 3 --epochs 5 --ndb-k 100
#include <entropic/data/digits.hpp>
#include <entropic_tools/image_experiment.hpp>
#include <entropic_tools/cli.hpp>

#include "common.hpp"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <vector>

using namespace entropic;

namespace {
using bench::mean_se;
}  // namespace

int main(int argc, char** argv) {
  return cli::main_guard("mode_collapse_images", [&] {
    cli::Args a("mode_collapse_images", "the seed's image GAN: plain vs entropy-regularised over seeds, mode metrics");
    a.option("data", "digits", "digits or a directory of MNIST-format files")
        .option("seeds", "3", "number of seeds (1..N)")
        .option("epochs", "100", "passes over the data per run")
        .option("lambda", "0.05", "entropy weight of the regularised runs")
        .option("estimator", "kde", "kde or knn")
        .option("entropy-space", "pixels", "pixels or features")
        .option("bandwidth", "median", "KDE bandwidth rule")
        .option("ndb-k", "20", "K-means bins for NDB")
        .option("only", "", "run only this lambda (to split the work over processes)")
        .option("out", "", "if set, each run writes its files to OUT/lambda-L/seed-S");
    if (!a.parse(argc, argv)) return 0;
    const data::ImageDataset data =
        a.str("data") == "digits" ? data::load_sklearn_digits() : data::load_mnist_dir(a.str("data"));
    const int seeds = int(a.integer("seeds"));
    check(seeds >= 1, "mode_collapse_images: --seeds must be >= 1");
    const gan::ImageEvaluator eval(data.images, data.labels, data.classes, int(a.integer("ndb-k")), 1);
    const int64_t batch = 64, iters = a.integer("epochs") * std::max<int64_t>(1, data.size() / batch);
    struct Row {
      double lambda;
      std::vector<double> covered, kl, ndb, js;
    };
    std::vector<Row> rows;
    if (a.str("only").empty()) rows = {{0.0, {}, {}, {}, {}}, {a.num("lambda"), {}, {}, {}, {}}};
    else rows = {{a.num("only"), {}, {}, {}, {}}};
    const auto t0 = bench::Clock::now();
    for (auto& r : rows)
      for (int s = 1; s <= seeds; ++s) {
        gan::ImageExperiment e;
        e.estimator = a.str("estimator");
        e.entropy_space = a.str("entropy-space");
        e.kde.bandwidth = entropy::parse_bandwidth(a.str("bandwidth"));
        e.train.iters = iters;
        e.train.batch = batch;
        e.train.lambda.value = r.lambda;
        e.train.seed = uint64_t(s);
        e.train.adam_g = e.train.adam_d = {.lr = 2e-4, .beta1 = 0.5};
        e.train.quiet = true;
        e.train.resume = false;
        if (!a.str("out").empty())
          e.train.out_dir = a.str("out") + "/lambda-" + std::to_string(r.lambda) + "/seed-" + std::to_string(s);
        const gan::ImageOutcome o = gan::run_image_experiment(e, data, &eval);
        const gan::ImageMetrics& m = o.metrics;
        r.covered.push_back(m.classes.covered);
        r.kl.push_back(m.classes.kl_uniform);
        r.ndb.push_back(m.ndb.ndb_over_k);
        r.js.push_back(m.ndb.js);
        std::printf("  lambda %-5g seed %2d: classes %2d/%d  KL %.3f  NDB/K %.2f  JS %.4f  (%.0f s)\n", r.lambda, s,
                    m.classes.covered, m.classes.classes, m.classes.kl_uniform, m.ndb.ndb_over_k, m.ndb.js,
                    o.stats.seconds);
        std::fflush(stdout);
      }
    const double secs = bench::seconds_since(t0);
    std::printf("\n%s, %d seeds, %lld iterations per run, %s on %s, %.0f s\n\n", data.name.c_str(), seeds,
                (long long)iters, a.str("estimator").c_str(), a.str("entropy-space").c_str(), secs);
    // Reference: the training data itself, evaluated like the samples.
    const gan::ImageMetrics ref = eval.evaluate(data.images);
    std::printf("| run | classes covered | KL(classes || uniform) | NDB/K (K = %d) | JS (bins) |\n|---|---|---|---|---|\n",
                int(a.integer("ndb-k")));
    for (auto& r : rows) {
      const auto c = mean_se(r.covered), k = mean_se(r.kl), n = mean_se(r.ndb), j = mean_se(r.js);
      std::printf("| lambda %g | %.1f +- %.1f | %.3f +- %.3f | %.2f +- %.2f | %.4f +- %.4f |\n", r.lambda, c.mean, c.se,
                  k.mean, k.se, n.mean, n.se, j.mean, j.se);
    }
    std::printf("| training data | %d | %.3f | %.2f | %.4f |\n", ref.classes.covered, ref.classes.kl_uniform,
                ref.ndb.ndb_over_k, ref.ndb.js);
    return 0;
  });
}
