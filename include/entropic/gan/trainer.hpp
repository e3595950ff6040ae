// The GAN trainer: D steps per G step with Adam, the entropy term on the generator's own
// minibatch, a CSV log, periodic checkpoints it can resume from, and a NaN/Inf guard that stops
// with a clear message and leaves the last good checkpoint in place.
//
// Crash consistency: a process killed at any moment (kill -9, out of memory) leaves
// checkpoint.safetensors either the previous or the new checkpoint, never a mix
// (io::write_atomically), and log.csv a prefix of whole rows (io::AppendFile). Before a
// checkpoint is written, the log rows up to it are synced, so the log never lacks a row the
// checkpoint has passed; on resuming from iteration k the log is cut back to its rows up to k,
// so the resumed run's rows continue it with none repeated and none missing.
//
// On cuda, run() reads an iteration's figures back (a wait for the device) only when it uses
// them: a log row, a progress line, a checkpoint, the last iteration, or every iteration when a
// hook is set. The NaN/Inf guard is a device-side flag that every iteration folds its figures
// into, checked at each of those reads, so a divergence is reported at the next one (at most
// log_every iterations late, and always before a checkpoint is written over the last good one).
#pragma once
#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <system_error>
#include <vector>

#include "entropic/dist/communicator.hpp"
#include "entropic/dist/data_parallel.hpp"
#include "entropic/entropy/functions.hpp"
#include "entropic/gan/objective.hpp"
#include "entropic/gan/progress.hpp"
#include "entropic/gan/schedule.hpp"
#include "entropic/io/file.hpp"
#include "entropic/io/safetensors.hpp"
#include "entropic/nn/adam.hpp"
#include "entropic/nn/module.hpp"
#include "entropic/ops/ema.hpp"

namespace entropic::gan {

// How BatchNorm computes its batch statistics when training on several ranks.
enum class BatchNormMode {
  synchronised,  // over the global batch (PyTorch's SyncBatchNorm): N ranks train as one process
  per_rank,      // over each rank's rows (PyTorch DDP's default): no collectives in the forward
};

struct TrainConfig {
  int64_t iters = 1000;
  int64_t batch = 100;
  int64_t latent = 2;
  int d_steps = 1;
  Schedule lambda;              // the weight of the entropy term over the run (0: a plain GAN)
  GenLoss gen_loss = GenLoss::non_saturating;
  nn::AdamOptions adam_g, adam_d;
  LrSchedule lr;                // multiplies adam_g.lr and adam_d.lr over the run
  double ema = 0;               // > 0: keep an exponential moving average of G's weights
  uint64_t seed = 0;
  std::string out_dir;          // empty: no log, no checkpoints
  int64_t log_every = 100;      // CSV rows and plain progress lines
  int64_t checkpoint_every = 0; // 0: only at the end
  bool resume = true;           // continue from out_dir/checkpoint.safetensors when present
  bool quiet = false;
  // Data-parallel training (dist/): null or one rank trains in this process alone. With N ranks
  // every rank draws the same global batch from the seed and trains on its shard of `batch`
  // (which N must divide), gradients are averaged, the entropy term sees the whole batch, and
  // only rank 0 writes the log and checkpoints (every rank reads a checkpoint to resume, so
  // out_dir must be visible to all; a run may resume with another N).
  dist::Communicator* comm = nullptr;
  BatchNormMode batchnorm = BatchNormMode::synchronised;
  // On several ranks the entropy function normally gets the gathered global batch. true: it
  // gets this rank's rows and itself returns the global batch's H (dist::kde_entropy_rows,
  // which divides the n x n work over the ranks).
  bool entropy_split_rows = false;
};

// The entropy weight at iteration `it` (1-based) of a run with this configuration.
inline double lambda_schedule(const TrainConfig& c, int64_t it) { return c.lambda.at(it, c.iters); }

inline constexpr const char* kLogHeader = "iter,d_loss,g_adv,entropy,lambda,sigma,seconds";

// Cuts a log.csv written by GanTrainer back to the rows of iterations 1..k, the state of a run
// resumed from a checkpoint at iteration k: drops the rows written after that checkpoint, a
// last line without its newline (a write torn by a power loss or a full disk) and any line whose
// iteration does not parse. Where the iterations go back (a log appended to by an older version
// that did not cut it), the later rows replace the earlier ones from that iteration on, since
// they belong to the run that continued. Rewrites the file atomically when anything changed and
// returns the iterations of the rows kept, in order.
inline std::vector<int64_t> truncate_log(const std::string& path, int64_t k) {
  std::ifstream in(path, std::ios::binary);
  check(bool(in), "trainer: cannot open ", path, " to resume its log; remove it or use --fresh");
  std::ostringstream buf;
  buf << in.rdbuf();
  const std::string text = buf.str();
  std::vector<std::string> rows;
  std::vector<int64_t> iters;
  size_t pos = 0;
  bool first = true;
  while (pos < text.size()) {
    const size_t nl = text.find('\n', pos);
    if (nl == std::string::npos) break;  // torn last line
    const std::string line = text.substr(pos, nl - pos);
    pos = nl + 1;
    if (first && line.rfind("iter,", 0) == 0) {
      first = false;
      continue;
    }
    first = false;
    int64_t it = 0;
    const auto [end, ec] = std::from_chars(line.data(), line.data() + line.size(), it);
    if (ec != std::errc() || end == line.data() + line.size() || *end != ',' || it < 1) continue;
    if (it > k) continue;
    while (!iters.empty() && iters.back() >= it) {
      iters.pop_back();
      rows.pop_back();
    }
    iters.push_back(it);
    rows.push_back(line);
  }
  std::string kept = std::string(kLogHeader) + "\n";
  for (const auto& r : rows) kept += r + "\n";
  if (kept != text) io::write_text_atomically(path, kept);
  return iters;
}

// The entropy estimate of a generated batch and the bandwidth it used (NaN when none): what
// fn::kde_entropy and fn::knn_entropy return.
template <class T>
using EntropyTerm = fn::EntropyEstimate<T>;

template <class T>
struct TrainStats {
  int64_t iteration = 0;
  double d_loss = 0, g_adv = 0, entropy = 0, sigma = 0, seconds = 0;
  double lambda = 0;  // the entropy weight this iteration's generator step used
};

// An iteration's figures as the step leaves them: scalar tensors on the models' device, so the
// step itself reads nothing back. read() waits for the device and gives the plain figures.
template <class T>
struct DeviceStats {
  int64_t iteration = 0;
  Tensor<T> d_loss, g_adv, entropy;  // entropy: undefined without the entropy term
  double sigma = 0, lambda = 0;
  TrainStats<T> read() const {
    TrainStats<T> s;
    s.iteration = iteration;
    s.d_loss = double(d_loss.item());
    s.g_adv = double(g_adv.item());
    if (entropy.defined()) s.entropy = double(entropy.item());
    s.sigma = sigma;
    s.lambda = lambda;
    return s;
  }
};

template <class T>
class GanTrainer {
 public:
  using RealSampler = std::function<Tensor<T>(int64_t batch, Rng& rng)>;
  // Given the generated batch (on several ranks, the global batch: every rank's rows).
  using EntropyFn = std::function<EntropyTerm<T>(const Var<T>& samples)>;
  // Called after every iteration, after its log row and checkpoint, with its figures. A hook may
  // draw samples (gan::generate keeps BatchNorm's statistics) or swap in the weight average
  // (swap_ema, and back); it must not draw from rng(), or the run would differ from one without it.
  // On several ranks it runs on rank 0 alone, with BatchNorm over rank 0's rows.
  using IterationHook = std::function<void(const TrainStats<T>& stats)>;

  GanTrainer(nn::Module<T>& G, nn::Module<T>& D, TrainConfig cfg, RealSampler real, EntropyFn entropy)
      : G_(G), D_(D), cfg_(std::move(cfg)), real_(std::move(real)), entropy_(std::move(entropy)),
        opt_g_(G.parameters(), cfg_.adam_g), opt_d_(D.parameters(), cfg_.adam_d), rng_(cfg_.seed) {
    check(cfg_.iters > 0, "trainer: iters must be positive, got ", cfg_.iters);
    check(cfg_.batch >= 2, "trainer: batch must be at least 2, got ", cfg_.batch);
    check(cfg_.d_steps >= 1, "trainer: d_steps must be at least 1, got ", cfg_.d_steps);
    cfg_.lambda.validate("lambda");
    cfg_.lr.validate();
    check(!uses_entropy() || entropy_, "trainer: lambda > 0 needs an entropy estimator");
    check(cfg_.log_every > 0, "trainer: log_every must be positive");
    if (cfg_.comm) {
      const int n = cfg_.comm->size();
      check(cfg_.batch % n == 0 && cfg_.batch / n >= 1, "trainer: the batch of ", cfg_.batch,
            " does not split evenly over ", n, " ranks; use a batch that ", n, " divides");
      check(cfg_.comm->device() == G.device() || n == 1, "trainer: the ", cfg_.comm->name(), " communicator moves ",
            to_string(cfg_.comm->device()), " tensors but the networks are on ", to_string(G.device()),
            "; use MPI for cpu training and NCCL for cuda");
    }
    apply_lr_schedule();  // the first iteration's D steps already follow the warm-up
  }

  void on_iteration(IterationHook hook) { hook_ = std::move(hook); }

  std::string checkpoint_path() const { return cfg_.out_dir + "/checkpoint.safetensors"; }
  int64_t iteration() const { return it_; }
  Rng& rng() { return rng_; }

  // Trains up to cfg.iters iterations (resuming first when asked and a checkpoint exists).
  TrainStats<T> run() {
    const bool files = !cfg_.out_dir.empty() && rank() == 0;
    const bool resume_from = !cfg_.out_dir.empty() && cfg_.resume;
    if (files) {
      std::error_code ec;
      std::filesystem::create_directories(cfg_.out_dir, ec);
      check(!ec && std::filesystem::is_directory(cfg_.out_dir), "trainer: cannot create the output directory ",
            cfg_.out_dir, " (", ec ? ec.message() : std::string("a file of that name is in the way"),
            "); choose another output directory");
      // Left by a run killed while writing a checkpoint; the checkpoint itself is the last one
      // that was complete, so the partial copy is of no use.
      std::filesystem::remove(checkpoint_path() + ".tmp", ec);
    }
    if (resume_from && std::filesystem::exists(checkpoint_path())) {
      load_checkpoint(checkpoint_path());
      if (!quiet()) std::printf("resuming from %s at iteration %lld\n", checkpoint_path().c_str(), (long long)it_);
    }
    io::AppendFile log;
    if (files) {
      const std::string path = cfg_.out_dir + "/log.csv";
      const bool fresh = it_ == 0 || !std::filesystem::exists(path);
      if (!fresh) truncate_log(path, it_);
      log.open(path, fresh);
      if (fresh) log.write_line(kLogHeader);
    }
    // Plain lines (not a terminal) every 2% of the run at most, so long runs stay readable.
    Progress bar(cfg_.iters, it_, std::max(cfg_.log_every, cfg_.iters / 50));
    const auto t0 = std::chrono::steady_clock::now();
    TrainStats<T> s;
    const bool on_host = G_.device() == Device::cpu;
    int64_t checked = it_;  // the figures of iterations up to this one were finite
    while (it_ < cfg_.iters) {
      const DeviceStats<T> ds = step_on_device();
      const bool logs = log.is_open() && (it_ % cfg_.log_every == 0 || it_ == cfg_.iters);
      const bool saves = files && ((cfg_.checkpoint_every > 0 && it_ % cfg_.checkpoint_every == 0) || it_ == cfg_.iters);
      if (!on_host) fold_finite(ds);
      if (!on_host && !logs && !saves && !hook_ && it_ != cfg_.iters && (cfg_.quiet || !bar.due(it_))) continue;
      s = ds.read();
      s.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      const bool finite = on_host ? std::isfinite(s.d_loss) && std::isfinite(s.g_adv) && std::isfinite(s.entropy)
                                  : std::isfinite(double(nonfinite_.item()));
      if (!finite) {
        std::ostringstream m;
        m << "trainer: training diverged at iteration " << it_;
        if (it_ > checked + 1)
          m << " or in the " << it_ - checked - 1 << " before it (on cuda the guard is read with the figures)";
        m << " (d_loss " << s.d_loss << ", g_adv " << s.g_adv << ", entropy " << s.entropy << "). ";
        if (files && std::filesystem::exists(checkpoint_path()))
          m << "The last good checkpoint is " << checkpoint_path() << " (iteration " << last_ckpt_
            << "); lower the learning rate or lambda, then run again to resume from it.";
        else
          m << "No checkpoint was written yet; lower the learning rate or lambda.";
        fail(m.str());
      }
      checked = it_;
      if (logs) {
        // One write(2) per row: a kill leaves the whole row or none, and the log can be followed live.
        std::ostringstream row;
        row << it_ << ',' << s.d_loss << ',' << s.g_adv << ',' << s.entropy << ',' << lambda_schedule(cfg_, it_)
            << ',' << s.sigma << ',' << s.seconds;
        log.write_line(row.str());
      }
      if (!quiet()) {
        char f[128];
        std::snprintf(f, sizeof f, "d %.3f g %.3f H %.3f", s.d_loss, s.g_adv, s.entropy);
        bar.update(it_, f);
      }
      if (saves) {
        log.sync();  // the rows up to this checkpoint are durable before it is
        save_checkpoint(checkpoint_path());
      }
      if (hook_ && rank() == 0) hook_(s);
    }
    return s;
  }

  // One iteration: d_steps discriminator updates, then one generator update.
  TrainStats<T> step() { return step_on_device().read(); }

  // step() without reading its figures back: on cuda it queues the iteration's work and returns
  // without waiting for the device.
  DeviceStats<T> step_on_device() {
    DeviceStats<T> s;
    dist::SyncBatchNormScope<T> sync_bn(comm(), cfg_.batchnorm == BatchNormMode::synchronised);
    for (int k = 0; k < cfg_.d_steps; ++k) {
      const Tensor<T> real = my_rows(real_(cfg_.batch, rng_)).to(G_.device());
      Var<T> fake;
      {
        NoGrad ng;  // the discriminator's step must not build the generator's graph
        fake = G_(Var<T>(latent_batch())).detach();
      }
      const Var<T> loss = discriminator_loss(D_(Var<T>(real)), D_(fake));
      opt_d_.zero_grad();
      loss.backward();
      dist::average_gradients(comm(), D_.parameters());
      opt_d_.step();
      s.d_loss = loss.value();
    }
    ++it_;
    apply_lr_schedule();
    const Var<T> fake = G_(Var<T>(latent_batch()));
    const Var<T> adv = generator_adversarial_loss(D_(fake), cfg_.gen_loss);
    Var<T> loss = adv;
    const double lam = lambda_schedule(cfg_, it_);
    s.lambda = lam;
    if (uses_entropy()) {  // also while lambda is 0 in the schedule, so the log shows H throughout
      // On several ranks, the entropy of the global batch: every rank's samples, gathered.
      const bool gather = comm().is_distributed() && !cfg_.entropy_split_rows;
      EntropyTerm<T> e =
          entropy_(gather ? dist::gather_rows(comm(), fake, dist::shard_counts(cfg_.batch, comm().size())) : fake);
      s.entropy = e.H.value();
      s.sigma = e.sigma;
      if (lam > 0) loss = fn::lincomb(T(1), adv, T(-lam), e.H);
    }
    opt_g_.zero_grad();
    loss.backward();
    dist::average_gradients(comm(), G_.parameters());
    opt_g_.step();
    update_ema();
    s.g_adv = adv.value();
    if (comm().is_distributed()) {  // the global batch's losses, the same on every rank
      for (Tensor<T>* l : {&s.d_loss, &s.g_adv}) {
        *l = l->clone();  // not the loss's own tensor
        dist::all_reduce(comm(), *l, dist::Reduce::average);
      }
    }
    s.iteration = it_;
    return s;
  }

  // Swaps the averaged weights into G (and back on a second call); a no-op without EMA.
  void swap_ema() {
    auto params = G_.parameters();
    for (size_t k = 0; k < ema_.size(); ++k) std::swap(ema_[k], params[k].value());
  }

  void save_checkpoint(const std::string& path) {
    io::SafeTensorsFile f;
    auto put_module = [&](const std::string& p, nn::Module<T>& m) {
      for (auto& [name, v] : m.named_parameters()) f.put(p + name, v.value());
      for (auto& [name, t] : m.named_buffers()) f.put(p + name, *t);
    };
    put_module("G.", G_);
    put_module("D.", D_);
    auto put_adam = [&](const std::string& p, nn::Adam<T>& o) {
      for (size_t k = 0; k < o.first_moments().size(); ++k) {
        f.put(p + "m." + std::to_string(k), o.first_moments()[k]);
        f.put(p + "v." + std::to_string(k), o.second_moments()[k]);
      }
      f.metadata[p + "steps"] = std::to_string(o.steps());
    };
    put_adam("adam_g.", opt_g_);
    put_adam("adam_d.", opt_d_);
    if (!ema_.empty()) {  // the averaged generator, so a resumed run draws the same samples
      auto params = G_.named_parameters();
      for (size_t k = 0; k < ema_.size(); ++k) f.put("G_ema." + params[k].first, ema_[k]);
    }
    f.metadata["iteration"] = std::to_string(it_);
    f.metadata["rng_seed"] = std::to_string(rng_.seed());
    f.metadata["rng_offset"] = std::to_string(rng_.offset());
    f.metadata["format"] = "entropic GAN checkpoint v1: G.* generator, D.* discriminator (PyTorch names)";
    io::save_safetensors(path, f);
    last_ckpt_ = it_;
  }

  void load_checkpoint(const std::string& path) {
    const io::SafeTensorsFile f = io::load_safetensors(path);
    auto get_module = [&](const std::string& p, nn::Module<T>& m) {
      for (auto& [name, v] : m.named_parameters()) f.get(p + name, v.value());
      for (auto& [name, t] : m.named_buffers()) f.get(p + name, *t);
    };
    get_module("G.", G_);
    get_module("D.", D_);
    auto meta = [&](const std::string& k) {
      auto i = f.metadata.find(k);
      check(i != f.metadata.end(), "trainer: checkpoint ", path, " lacks '", k, "'");
      const std::string& v = i->second;
      uint64_t x = 0;
      const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), x);
      check(!v.empty() && ec == std::errc() && end == v.data() + v.size(), "trainer: checkpoint ", path,
            ": metadata field '", k, "' is '", printable(v), "', ",
            ec == std::errc::result_out_of_range ? "out of range for" : "not",
            " an unsigned 64-bit integer; the file is damaged or not a checkpoint of this trainer: "
            "move it away to start afresh (or use --fresh)");
      return x;
    };
    auto get_adam = [&](const std::string& p, nn::Adam<T>& o) {
      for (size_t k = 0; k < o.first_moments().size(); ++k) {
        f.get(p + "m." + std::to_string(k), o.first_moments()[k]);
        f.get(p + "v." + std::to_string(k), o.second_moments()[k]);
      }
      o.set_steps(int64_t(meta(p + "steps")));
    };
    get_adam("adam_g.", opt_g_);
    get_adam("adam_d.", opt_d_);
    ema_.clear();  // restarted from the loaded weights unless the checkpoint holds the average
    auto params = G_.named_parameters();
    if (cfg_.ema > 0 && !params.empty() && f.tensors.count("G_ema." + params[0].first))
      for (auto& [name, v] : params) {
        ema_.push_back(v.value().clone());
        f.get("G_ema." + name, ema_.back());
      }
    const uint64_t iteration = meta("iteration");
    check(iteration <= uint64_t(INT64_MAX), "trainer: checkpoint ", path, ": metadata field 'iteration' is ", iteration,
          ", past any run's length; the file is damaged: move it away to start afresh (or use --fresh)");
    it_ = int64_t(iteration);
    check(meta("rng_seed") == rng_.seed(), "trainer: checkpoint ", path, " was made with seed ",
          meta("rng_seed"), " but this run uses seed ", rng_.seed(),
          "; use the same --seed or another output directory");
    rng_.set_offset(meta("rng_offset"));
    last_ckpt_ = it_;
    apply_lr_schedule();  // the D steps of the next iteration use the learning rates of this one
  }

 private:
  // Polyak averaging of the generator (Yazici et al. 2019): the average of the iterates lies
  // nearer the equilibrium than the last iterate, which GAN dynamics make oscillate around it.
  void update_ema() {
    if (cfg_.ema <= 0) return;
    auto params = G_.parameters();
    if (ema_.empty())
      for (auto& p : params) ema_.push_back(p.value().clone());
    const T a = T(cfg_.ema);
    for (size_t k = 0; k < params.size(); ++k) ops::ema_update(ema_[k], params[k].value(), a);
  }
  // The learning rates of iteration it_, set before its G step; the D steps of the next
  // iteration run with them too (so the constructor sets those of the first D steps, and a
  // resumed run sets them again on loading).
  void apply_lr_schedule() {
    if (cfg_.lr.is_constant()) return;
    const double f = cfg_.lr.decay_factor(it_, cfg_.iters);
    opt_g_.set_lr(cfg_.adam_g.lr * f);
    opt_d_.set_lr(cfg_.adam_d.lr * f * cfg_.lr.d_warmup_factor(it_));
  }

  bool uses_entropy() const { return cfg_.lambda.ever_positive(); }
  dist::Communicator& comm() { return cfg_.comm ? *cfg_.comm : solo_; }
  int rank() { return comm().rank(); }
  bool quiet() { return cfg_.quiet || rank() != 0; }

  // This rank's rows of a global batch. Every rank draws the whole batch from the shared stream
  // (a few thousand numbers, nothing beside the networks), so N ranks see the very batch one
  // process sees and a run can resume with a different N.
  Tensor<T> my_rows(const Tensor<T>& global) {
    if (!comm().is_distributed()) return global;
    const dist::Shard sh = dist::shard_of(cfg_.batch, rank(), comm().size());
    return global.slice_rows(sh.begin, sh.begin + sh.count);
  }

  // nonfinite_ stays 0 while every figure is finite and becomes NaN for good at the first that
  // is not (0 * inf and 0 * NaN are NaN): the guard without reading each iteration back.
  void fold_finite(const DeviceStats<T>& ds) {
    if (!nonfinite_.defined()) nonfinite_ = Tensor<T>::zeros({}, G_.device());
    for (const Tensor<T>* x : {&ds.d_loss, &ds.g_adv, &ds.entropy})
      if (x->defined()) nonfinite_ = ops::lincomb(T(1), nonfinite_, T(0), *x);
  }

  // Drawn on the host and copied, so a cuda run sees the very numbers a cpu run with this seed sees.
  Tensor<T> latent_batch() { return my_rows(Tensor<T>::randn({cfg_.batch, cfg_.latent}, rng_)).to(G_.device()); }

  nn::Module<T>& G_;
  nn::Module<T>& D_;
  TrainConfig cfg_;
  RealSampler real_;
  EntropyFn entropy_;
  nn::Adam<T> opt_g_, opt_d_;
  Rng rng_;
  std::vector<Tensor<T>> ema_;
  IterationHook hook_;
  dist::Solo solo_;
  Tensor<T> nonfinite_;
  int64_t it_ = 0, last_ckpt_ = 0;
};

}  // namespace entropic::gan
