// stacked_digits: the 1000-mode stacked-digits benchmark (issue 18, part 1; PacGAN Tables 2-3 on
// the offline 8x8 digits). Three independently drawn digits stacked as 3 x 64 values
// (data/stacked.hpp); the seed's image GAN with lambda = 0 against the entropy-regularised GAN,
// same networks, optionally the quarter-width discriminator (--small-d, the Table 3 analogue).
// Each run is evaluated by PacGAN's rule: 26,000 samples from a fixed z, each channel labelled
// by an MLP classifier trained with entropic on the digits (cached as safetensors), modes
// covered (>= 1 sample) and KL(mode histogram || uniform) (tools/entropic_tools/stacked_experiment.hpp).
//
//   stacked_digits --seeds 1 --iters 5000 --lambda 0.05 --out runs/stacked
//   stacked_digits --only 0 --small-d --out runs/stacked-small
//
// With --out, each run writes OUT/lambda-L/seed-S[-small-d]/{samples.csv,samples.png,modes.png,
// metrics.json,log.csv,checkpoint.safetensors} and the classifier is cached as
// OUT/classifier.safetensors (or --classifier PATH).
#include <entropic/data/digits.hpp>
#include <entropic/data/stacked.hpp>
#include <entropic_tools/cli.hpp>
#include <entropic_tools/digit_classifier.hpp>
#include <entropic_tools/job.hpp>
#include <entropic_tools/stacked_experiment.hpp>

#include "common.hpp"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <vector>

using namespace entropic;

int main(int argc, char** argv) {
  return cli::main_guard("stacked_digits", [&] {
    cli::Args a("stacked_digits", "1000-mode stacked digits: plain vs entropy-regularised GAN, PacGAN's modes and KL");
    a.option("data", "digits", "digits or a directory of MNIST-format files")
        .option("seeds", "1", "number of seeds")
        .option("first-seed", "1", "the first seed")
        .option("iters", "5000", "training iterations per run")
        .option("batch", "64", "batch size")
        .option("lambda", "0.05", "entropy weight of the regularised runs")
        .option("only", "", "run only this lambda")
        .option("estimator", "kde", "kde or knn")
        .option("entropy-space", "pixels", "pixels or features (D's penultimate layer)")
        .option("bandwidth", "median", "KDE bandwidth rule")
        .option("eval-samples", "26000", "samples evaluated per run (PacGAN: 26,000)")
        .option("classifier", "", "the mode classifier's file (default OUT/classifier.safetensors; "
                                  "trained and saved there when absent)")
        .option("classifier-iters", "4000", "training steps of the mode classifier when it is trained")
        .option("out", "", "if set, each run writes its files to OUT/lambda-L/seed-S")
        .option("score", "", "only score this samples.csv (raw pixel scale) with the classifier, then exit")
        .flag("small-d", "the quarter-width discriminator (pixels -> 128 -> 64 -> 1)");
    if (!a.parse(argc, argv)) return 0;
    // Under mpirun every rank trains its share of each run; rank 0 alone prints and writes.
    tools::Job job(&argc, &argv, Device::cpu, "stacked_digits");
    if (!job.leader()) check(std::freopen("/dev/null", "w", stdout) != nullptr, "stacked_digits: cannot silence rank ",
                             job.rank(), "'s output");
    const data::ImageDataset base =
        a.str("data") == "digits" ? data::load_sklearn_digits() : data::load_mnist_dir(a.str("data"));
    data::check_stackable(base);
    const std::string out = a.str("out");
    std::string cpath = a.str("classifier");
    if (cpath.empty() && !out.empty()) cpath = out + "/classifier.safetensors";
    auto note = [](const std::string& s) { std::printf("%s\n", s.c_str()); };

    gan::ClassifierOptions co;
    co.iters = a.integer("classifier-iters");
    gan::ClassifierReport cr;
    // The other ranks train the same classifier without saving it, unless rank 0's is there.
    const std::string my_cpath = job.leader() || std::filesystem::exists(cpath) ? cpath : std::string();
    gan::DigitClassifier clf = gan::load_or_train_classifier(my_cpath, base, co, &cr, note);
    std::printf("mode classifier: held-out accuracy %.2f%% (%lld images), train %.2f%% (%lld images), %lld steps\n",
                100 * cr.heldout_accuracy, (long long)cr.heldout_size, 100 * cr.train_accuracy,
                (long long)cr.train_size, (long long)cr.iters);
    const double pixel_max = gan::raw_pixel_max(base);
    if (!a.str("score").empty()) {
      const Tensor<float> x = gan::read_samples_csv(a.str("score"), 3 * base.images.cols(), pixel_max);
      const gan::ClassCoverage c = gan::stacked_modes(clf.predict_stacked(x));
      std::printf("%s (%lld samples): modes=%d/1000 kl=%.4f confident=%.3f\n", a.str("score").c_str(),
                  (long long)x.rows(), c.covered, c.kl_uniform, clf.confident_fraction(x));
      return 0;
    }
    // The rule applied to real stacked data: what a perfect generator would score.
    const int64_t n_eval = a.integer("eval-samples");
    const data::StackedDataset real = data::make_stacked(base, n_eval, 999);
    const gan::ClassCoverage ref = gan::stacked_modes(clf.predict_stacked(real.images));
    std::printf("real stacked data (%lld samples): modes=%d/1000 kl=%.4f confident=%.3f\n", (long long)n_eval,
                ref.covered, ref.kl_uniform, clf.confident_fraction(real.images));
    std::fflush(stdout);

    const bool small = a.has("small-d");
    struct Row {
      double lambda;
      std::vector<double> modes, kl;
    };
    std::vector<Row> rows;
    if (a.str("only").empty()) rows = {{0.0, {}, {}}, {a.num("lambda"), {}, {}}};
    else rows = {{a.num("only"), {}, {}}};
    const int seeds = int(a.integer("seeds")), first = int(a.integer("first-seed"));
    check(seeds >= 1, "stacked_digits: --seeds must be >= 1");
    for (auto& r : rows)
      for (int s = first; s < first + seeds; ++s) {
        gan::StackedExperiment e;
        e.small_d = small;
        e.image.train.comm = job.comm();
        e.eval_samples = n_eval;
        e.image.estimator = a.str("estimator");
        e.image.entropy_space = a.str("entropy-space");
        e.image.kde.bandwidth = entropy::parse_bandwidth(a.str("bandwidth"));
        e.image.train.iters = a.integer("iters");
        e.image.train.batch = a.integer("batch");
        e.image.train.lambda = gan::Schedule::constant(r.lambda);
        e.image.train.seed = uint64_t(s);
        e.image.train.adam_g = e.image.train.adam_d = {.lr = 2e-4, .beta1 = 0.5};
        e.image.train.quiet = true;
        e.image.train.resume = false;
        if (!out.empty())
          e.image.train.out_dir = out + "/lambda-" + std::to_string(r.lambda) + "/seed-" + std::to_string(s) +
                                  (small ? "-small-d" : "");
        const gan::StackedOutcome o = gan::run_stacked_experiment(e, base, clf, pixel_max, note);
        r.modes.push_back(o.modes.covered);
        r.kl.push_back(o.modes.kl_uniform);
        std::printf("lambda %g seed %d%s: modes=%d/1000 kl=%.3f confident=%.3f (%.0f s, H %.2f)\n", r.lambda, s,
                    small ? " small-d" : "", o.modes.covered, o.modes.kl_uniform, o.confident, o.stats.seconds,
                    o.stats.entropy);
        std::fflush(stdout);
      }
    std::printf("\n%s stacked, %d seed(s), %lld iterations, batch %lld, %s D, entropy %s on %s\n\n",
                base.name.c_str(), seeds, (long long)a.integer("iters"), (long long)a.integer("batch"),
                small ? "small" : "full", a.str("estimator").c_str(), a.str("entropy-space").c_str());
    std::printf("| run | modes (of 1000) | KL(modes || uniform) |\n|---|---|---|\n");
    for (auto& r : rows) {
      const auto m = bench::mean_se(r.modes), k = bench::mean_se(r.kl);
      std::printf("| lambda %g | %.1f +- %.1f | %.3f +- %.3f |\n", r.lambda, m.mean, m.se, k.mean, k.se);
    }
    std::printf("| real stacked data | %d | %.3f |\n", ref.covered, ref.kl_uniform);
    return 0;
  });
}
