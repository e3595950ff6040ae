// mixture2d: the PacGAN 2D mode-collapse protocol with the entropy-regularised GAN.
//
//   mixture2d --dataset ring --seed 1 --out out/ring          (the recommended setting)
//   mixture2d --dataset ring --lambda 0 --out out/ring-plain   (plain GAN, for comparison)
//
// Writes DIR/samples.csv, DIR/samples.png, DIR/metrics.json, DIR/log.csv and
// DIR/checkpoint.safetensors (with --snapshot-every N also DIR/samples_<iter>.png and
// DIR/snapshots.csv), and prints `modes=M/K hq=P% revkl=R` last.
#include <entropic/entropic.hpp>
#include <entropic_tools/experiment.hpp>
#include <entropic_tools/cli.hpp>
#include <entropic_tools/job.hpp>

#include <cstdio>

using namespace entropic;
using T = float;

int main(int argc, char** argv) {
  return cli::main_guard("mixture2d", [&] {
    cli::Args a("mixture2d", "train a GAN on a 2D Gaussian mixture (PacGAN protocol) with an entropy term");
    a.option("dataset", "ring", "ring (8 modes) or grid (25 modes)")
        .option("lambda", "auto", "weight of the entropy term (0 = plain GAN); auto = the recommended setting (1 on the ring, 3 on the grid)")
        .option("estimator", "kde", "kde or knn")
        .option("bandwidth", "fixed", "KDE bandwidth rule: fixed, scott, silverman or median")
        .option("sigma", "auto", "KDE bandwidth when --bandwidth fixed; auto = the recommended setting (0.05 on the ring, 1 on the grid)")
        .option("sigma-end", "auto", "with --bandwidth fixed: the bandwidth at the last iteration, reached geometrically from --sigma; 0 = constant; auto = the recommended setting where --sigma is too (constant on the ring, 0.25 on the grid), else constant")
        .option("k", "5", "neighbour for --estimator knn")
        .option("warmup", "0", "iterations over which lambda ramps up from 0")
        .option("lambda-decay", "auto", "fraction of the run at its end over which lambda goes linearly to --lambda-end (0 = off); auto = the recommended setting")
        .option("lambda-end", "auto", "lambda at the last iteration when --lambda-decay > 0; auto = the recommended setting")
        .option("iters", "auto", "generator updates; auto = the recommended setting (25000 on the ring, 60000 on the grid)")
        .option("batch", "100", "minibatch size")
        .option("d-steps", "1", "discriminator updates per generator update")
        .option("lr", "auto", "Adam learning rate of the generator; auto = the recommended setting (2e-4)")
        .option("lr-d", "auto", "Adam learning rate of the discriminator; auto = the recommended ratio to --lr (a quarter)")
        .option("lr-d-warmup", "auto", "iterations over which the discriminator's rate ramps up from 0; auto = the recommended setting (0)")
        .option("beta1", "0.5", "Adam beta1")
        .option("ema", "0", "average G's weights with this decay (e.g. 0.999) for the samples; 0 = off")
        .flag("constant-lr", "keep the learning rates constant (default: linear decay to 0 over the run)")
        .option("gen-loss", "non-saturating", "minimax or non-saturating")
        .option("seed", "1", "random seed (data, initialisation, latents)")
        .option("device", "cpu", "cpu or cuda")
        .option("out", "out/mixture2d", "output directory")
        .option("checkpoint-every", "1000", "iterations between checkpoints")
        .option("log-every", "100", "iterations between rows of DIR/log.csv")
        .option("snapshot-every", "0", "iterations between snapshots (DIR/samples_<iter>.png and a row of DIR/snapshots.csv); 0 = none")
        .flag("fresh", "ignore an existing checkpoint in --out instead of resuming")
        .flag("quiet", "no progress output");
    if (!a.parse(argc, argv)) return 0;

    const Device device = parse_device(a.str("device"));
    tools::Job job(&argc, &argv, device, "mixture2d");  // under mpirun: this rank's part
    require_device_available(device, "mixture2d");
    gan::MixtureExperiment e = gan::recommended_mixture_experiment(a.str("dataset"));
    e.device = device;
    e.estimator = a.str("estimator");
    e.kde.bandwidth = entropy::parse_bandwidth(a.str("bandwidth"));
    e.knn = {.k = int(a.integer("k"))};
    // The recommended schedule belongs to the recommended bandwidth; with another estimator,
    // rule or sigma the bandwidth stays constant unless --sigma-end says otherwise.
    const bool own_sigma = a.str("sigma") != "auto" || e.estimator != "kde" || e.kde.bandwidth != entropy::Bandwidth::fixed;
    if (a.str("sigma") != "auto") e.kde.sigma = a.num("sigma");
    if (a.str("sigma-end") != "auto") e.sigma_end = a.num("sigma-end");
    else if (own_sigma) e.sigma_end = 0;
    e.snapshot_every = a.integer("snapshot-every");
    check(e.snapshot_every >= 0, "mixture2d: --snapshot-every must be >= 0, got ", e.snapshot_every);
    gan::TrainConfig& cfg = e.train;
    if (a.str("iters") != "auto") cfg.iters = a.integer("iters");
    cfg.batch = a.integer("batch");
    cfg.d_steps = int(a.integer("d-steps"));
    if (a.str("lambda") != "auto") cfg.lambda.value = a.num("lambda");
    cfg.lambda.warmup = a.integer("warmup");
    if (a.str("lambda-decay") != "auto") cfg.lambda.anneal = a.num("lambda-decay");
    if (a.str("lambda-end") != "auto") cfg.lambda.end = a.num("lambda-end");
    if (cfg.lambda.value == 0 && a.str("lambda-end") == "auto") cfg.lambda.anneal = 0;  // the plain GAN
    cfg.gen_loss = gan::parse_gen_loss(a.str("gen-loss"));
    const double ratio = cfg.adam_d.lr / cfg.adam_g.lr;  // of the recommended setting
    if (a.str("lr") != "auto") {
      cfg.adam_g.lr = a.num("lr");
      cfg.adam_d.lr = ratio * cfg.adam_g.lr;
    }
    if (a.str("lr-d") != "auto") cfg.adam_d.lr = a.num("lr-d");
    cfg.adam_g.beta1 = cfg.adam_d.beta1 = a.num("beta1");
    cfg.seed = uint64_t(a.integer("seed"));
    cfg.ema = a.num("ema");
    cfg.lr.decay = !a.has("constant-lr");
    if (a.str("lr-d-warmup") != "auto") cfg.lr.d_warmup = a.integer("lr-d-warmup");
    cfg.out_dir = a.str("out");
    cfg.checkpoint_every = a.integer("checkpoint-every");
    cfg.log_every = a.integer("log-every");
    cfg.resume = !a.has("fresh");
    cfg.quiet = a.has("quiet") || !job.leader();
    cfg.comm = job.comm();
    // Synchronised BatchNorm runs on host tensors; GPU ranks normalise over their own rows.
    if (device == Device::cuda) cfg.batchnorm = gan::BatchNormMode::per_rank;
    const gan::Mixture mix = gan::mixture_by_name(e.dataset);
    if (!cfg.quiet)
      std::printf("mixture2d: %s, lambda %g (%s), Adam G %g / D %g%s, %lld iterations, batch %lld, %s, out %s\n",
                  mix.name.c_str(), cfg.lambda.value, gan::describe_entropy(e).c_str(), cfg.adam_g.lr, cfg.adam_d.lr,
                  cfg.lr.d_warmup > 0 ? (" warmed up over " + std::to_string(cfg.lr.d_warmup)).c_str() : "",
                  (long long)cfg.iters, (long long)cfg.batch,
                  ((job.size() > 1 ? std::to_string(job.size()) + " ranks of " : std::string()) +
                   (device == Device::cuda ? "cuda: " + cuda_runtime().device_name()
                                           : std::to_string(num_threads()) + " cpu threads"))
                      .c_str(),
                  cfg.out_dir.c_str());
    const gan::MixtureOutcome o = gan::run_mixture_experiment(e);
    const gan::ModeMetrics& m = o.metrics;
    if (!job.leader()) return 0;  // the leader writes and reports
    gan::write_mixture_outcome(e, o);
    if (!cfg.quiet)
      std::printf("wrote %s/samples.png, samples.csv, metrics.json%s\n", cfg.out_dir.c_str(),
                  e.snapshot_every > 0 ? ", samples_<iter>.png and snapshots.csv" : "");
    std::printf("modes=%d/%d hq=%.1f%% revkl=%.3f\n", m.modes_captured, m.modes_total, 100 * m.high_quality,
                m.reverse_kl);
    return 0;
  });
}
