// images: the seed's MLP GAN (PyTorch-GAN gan.py) on grey images, with the entropy term.
//
//   images --out out/digits                          (scikit-learn's 8x8 digits, offline)
//   images --lambda 0 --out out/digits-plain         (plain GAN, for comparison)
//   images --data ~/mnist --epochs 20 --out out/mnist (MNIST-format IDX files, raw or .gz)
//
// Writes DIR/samples_<iter>.png (a 10x10 grid from a fixed z) every --sample-every epochs,
// DIR/samples.png at the end, DIR/log.csv, DIR/checkpoint.safetensors (rerun to resume; the
// generator is G.*, loadable in PyTorch), DIR/metrics.json, and prints the mode metrics last.
#include <entropic/data/digits.hpp>
#include <entropic/data/idx.hpp>
#include <entropic/entropic.hpp>
#include <entropic/io/file.hpp>
#include <entropic/io/json.hpp>
#include <entropic_tools/image_experiment.hpp>
#include <entropic_tools/cli.hpp>
#include <entropic_tools/job.hpp>

#include <cstdio>
#include <sstream>

using namespace entropic;

int main(int argc, char** argv) {
  return cli::main_guard("images", [&] {
    cli::Args a("images", "train the seed's MLP GAN on images with an entropy term");
    a.option("data", "digits", "digits (scikit-learn's 8x8 digits from python3-sklearn) or a directory of "
                               "MNIST-format files train-{images-idx3,labels-idx1}-ubyte[.gz]")
        .option("lambda", "0.05", "weight of the entropy term (0 = the plain GAN)")
        .option("estimator", "kde", "kde or knn")
        .option("bandwidth", "median", "KDE bandwidth rule: fixed, scott, silverman or median")
        .option("sigma", "1", "KDE bandwidth when --bandwidth fixed")
        .option("k", "5", "neighbour for --estimator knn")
        .option("entropy-space", "pixels", "pixels (H of G(z)) or features (H of D's penultimate layer of G(z))")
        .option("epochs", "100", "passes over the data (iterations = epochs * n / batch)")
        .option("iters", "0", "generator updates; overrides --epochs when > 0")
        .option("batch", "64", "minibatch size")
        .option("lr", "2e-4", "Adam learning rate (both networks)")
        .option("beta1", "0.5", "Adam beta1")
        .option("seed", "1", "random seed (initialisation, minibatches, latents)")
        .option("device", "cpu", "cpu or cuda")
        .option("out", "out/images", "output directory")
        .option("sample-every", "20", "epochs between sample grids")
        .option("ndb-k", "20", "K-means bins for the NDB metric")
        .flag("fresh", "ignore an existing checkpoint in --out instead of resuming")
        .flag("quiet", "no progress output");
    if (!a.parse(argc, argv)) return 0;

    const Device device = parse_device(a.str("device"));
    tools::Job job(&argc, &argv, device, "images");  // under mpirun: this rank's part
    require_device_available(device, "images");
    const data::ImageDataset data =
        a.str("data") == "digits" ? data::load_sklearn_digits() : data::load_mnist_dir(a.str("data"));
    gan::ImageExperiment e;
    e.device = device;
    e.estimator = a.str("estimator");
    e.entropy_space = a.str("entropy-space");
    e.kde = {.bandwidth = entropy::parse_bandwidth(a.str("bandwidth")), .sigma = a.num("sigma")};
    e.knn = {.k = int(a.integer("k"))};
    e.ndb_k = int(a.integer("ndb-k"));
    gan::TrainConfig& cfg = e.train;
    cfg.batch = a.integer("batch");
    check(cfg.batch >= 2, "images: --batch must be at least 2");
    const int64_t per_epoch = std::max<int64_t>(1, data.size() / cfg.batch);
    cfg.iters = a.integer("iters") > 0 ? a.integer("iters") : a.integer("epochs") * per_epoch;
    check(cfg.iters > 0, "images: --epochs or --iters must be positive");
    e.sample_every = std::max<int64_t>(1, a.integer("sample-every") * per_epoch);
    cfg.lambda.value = a.num("lambda");
    cfg.adam_g = cfg.adam_d = {.lr = a.num("lr"), .beta1 = a.num("beta1")};
    cfg.seed = uint64_t(a.integer("seed"));
    cfg.out_dir = a.str("out");
    cfg.log_every = std::min<int64_t>(100, per_epoch);
    cfg.resume = !a.has("fresh");
    cfg.quiet = a.has("quiet") || !job.leader();
    cfg.comm = job.comm();
    // Synchronised BatchNorm runs on host tensors; GPU ranks normalise over their own rows.
    if (device == Device::cuda) cfg.batchnorm = gan::BatchNormMode::per_rank;
    if (!cfg.quiet)
      std::printf("images: %s (%lld images, %dx%d), lambda %g (%s on %s), %lld iterations (%lld per epoch), batch "
                  "%lld, %d threads, out %s\n",
                  data.name.c_str(), (long long)data.size(), data.side, data.side, cfg.lambda.value, e.estimator.c_str(),
                  e.entropy_space.c_str(), (long long)cfg.iters, (long long)per_epoch, (long long)cfg.batch,
                  num_threads(), cfg.out_dir.c_str());
    const gan::ImageEvaluator eval(data.images, data.labels, data.classes, e.ndb_k, 1);
    auto note = [&](const std::string& m) {
      if (!cfg.quiet) std::printf("%s\n", m.c_str());
    };
    const gan::ImageOutcome o = gan::run_image_experiment(e, data, &eval, note);
    const gan::ImageMetrics& m = o.metrics;
    if (!job.leader()) return 0;  // the leader writes and reports

    json::Value js = json::Value::object();
    js.set("data", data.name);
    js.set("lambda", cfg.lambda.value);
    js.set("estimator", e.estimator);
    js.set("entropy_space", e.entropy_space);
    js.set("iterations", cfg.iters);
    js.set("seed", cfg.seed);
    js.set("eval_samples", e.eval_samples);
    js.set("classes_covered", m.classes.covered);
    js.set("classes", m.classes.classes);
    js.set("kl_uniform", m.classes.kl_uniform);
    js.set("ndb", m.ndb.different);
    js.set("ndb_k", m.ndb.k);
    js.set("ndb_over_k", m.ndb.ndb_over_k);
    js.set("ndb_js", m.ndb.js);
    js.set("class_counts", m.classes.counts);
    io::write_text_atomically(cfg.out_dir + "/metrics.json", json::dump(js, 2) + "\n");
    note("wrote " + cfg.out_dir + "/metrics.json");
    std::printf("classes=%d/%d kl=%.3f ndb=%d/%d js=%.4f\n", m.classes.covered, m.classes.classes,
                m.classes.kl_uniform, m.ndb.different, m.ndb.k, m.ndb.js);
    return 0;
  });
}
