// bench_train_step: one iteration (D step, then G step, as GanTrainer::step) of the seed's image
// GAN at batch 64 on 28x28 shapes (G 100-128-256-512-1024-784, D 784-512-256-1) with random data,
// without and with the entropy term (KDE on the pixels, KDE on D's features), next to PyTorch
// eager running the same network and loss in the same run (best of 1 and 2 torch threads).
//
// With --device cuda the networks train on the GPU (CUDA backend linked in when CMake finds
// nvcc); the PyTorch peer then runs on the CPU only, so it is skipped.
//
//   bench_train_step [--device cpu|cuda] [--repeats R] [--quick] [--no-peer]
#include <entropic/cpu/gemm.hpp>
#include <entropic_tools/image_experiment.hpp>
#include <entropic_tools/cli.hpp>

#include "common.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

using namespace entropic;
using T = float;
using bench::Clock;

namespace {
using Timing = bench::Stats;
using bench::summarise;

// Matrix-product FLOPs of one iteration: forward 2 B in out per layer; back-propagation adds
// dW (2 B in out) and dX (2 B in out) unless the layer's input needs no gradient.
double step_flops(int64_t B) {
  const std::vector<std::pair<int64_t, int64_t>> G{{100, 128}, {128, 256}, {256, 512}, {512, 1024}, {1024, 784}},
      D{{784, 512}, {512, 256}, {256, 1}};
  auto pass = [&](const auto& net, bool bwd, bool dx_first) {
    double f = 0;
    for (size_t l = 0; l < net.size(); ++l) {
      const double one = 2.0 * double(B) * double(net[l].first) * double(net[l].second);
      f += one;
      if (bwd) f += one + ((l > 0 || dx_first) ? one : 0);
    }
    return f;
  };
  return pass(G, false, false)                                  // D step: G(z) without grad
         + 2 * pass(D, true, false)                             // D(real), D(fake)
         + pass(G, true, false) + pass(D, true, true);          // G step: D(G(z)) back into G
}

struct Peer {
  bool available = false;
  std::string script;
};
Peer find_peer() {
  Peer p;
  p.script = (std::filesystem::path(__FILE__).parent_path() / "peers" / "torch_train_step.py").string();
  p.available = std::filesystem::exists(p.script) && std::filesystem::exists(bench::peer_python()) &&
                std::system((bench::peer_python() + " -c 'import torch' >/dev/null 2>&1").c_str()) == 0;
  return p;
}
// Best median over torch thread settings 1 and 2; false when no run produced a result.
bool run_peer(const Peer& p, int repeats, double lambda, Timing& best, std::string& version, int& threads) {
  bool ok = false;
  for (int t : {1, 2}) {
    const std::string cmd = bench::peer_python() + " '" + p.script + "' --repeats " + std::to_string(repeats) +
                            " --threads " + std::to_string(t) + " --lambda " + std::to_string(lambda);
    FILE* f = popen(cmd.c_str(), "r");
    if (!f) continue;
    char line[256];
    while (std::fgets(line, sizeof line, f)) {
      double med = 0, mn = 0;
      char ver[64];
      int th = 0;
      if (std::sscanf(line, "RESULT %lf %lf %63s %d", &med, &mn, ver, &th) == 4 && (!ok || med < best.median)) {
        best = {med, mn};
        version = ver;
        threads = th;
        ok = true;
      }
    }
    pclose(f);
  }
  return ok;
}
}  // namespace

int main(int argc, char** argv) {
  return cli::main_guard("bench_train_step", [&] {
    cli::Args a("bench_train_step", "time one iteration of the seed's image GAN (batch 64, 28x28) against PyTorch");
    a.option("repeats", "50", "timed iterations")
        .option("lambda", "0.05", "entropy weight of the runs with the entropy term")
        .option("device", "cpu", "cpu or cuda: where the networks train")
        .flag("quick", "a short run (smoke test)")
        .flag("no-peer", "skip PyTorch");
    if (!a.parse(argc, argv)) return 0;
    const Device device = parse_device(a.str("device"));
    require_device_available(device, "bench_train_step");
    const int reps = a.has("quick") ? 5 : int(a.integer("repeats"));
    const int64_t B = 64, P = 784;
    const double flops = step_flops(B);
    std::printf("bench_train_step: batch %lld, 28x28, %.3f GFLOP of matrix products per iteration, %s\n\n",
                (long long)B, flops / 1e9,
                device == Device::cuda ? ("cuda: " + cuda_runtime().device_name()).c_str()
                                       : (std::to_string(num_threads()) + " cpu threads").c_str());
    std::printf("%-40s %10s %10s %10s %8s\n", "", "median ms", "min ms", "GFLOP/s", "vs H=0");

    Rng data_rng(7);
    const Tensor<T> data = Tensor<T>::rand({4096, P}, data_rng, -1.0, 1.0);
    auto real = [&](int64_t n, Rng& rng) {
      Tensor<T> x({n, P});
      for (int64_t i = 0; i < n; ++i) std::copy_n(&data(int64_t(rng.below(uint64_t(data.rows()))), 0), P, &x(i, 0));
      return x;
    };
    struct Case {
      const char* name;
      double lambda;
      const char* space;
    };
    const double lam = a.num("lambda");
    double base = 0;
    std::vector<Timing> ours;
    for (const Case& c : {Case{"entropic, no entropy term", 0.0, "pixels"}, Case{"entropic, KDE on pixels", lam, "pixels"},
                          Case{"entropic, KDE on D features", lam, "features"}}) {
      gan::ImageNetworks nets(P, 1, device);
      gan::ImageExperiment e;
      e.entropy_space = c.space;
      gan::TrainConfig cfg;
      cfg.batch = B;
      cfg.latent = gan::kImageLatent;
      cfg.lambda.value = c.lambda;
      cfg.adam_g = cfg.adam_d = {.lr = 2e-4, .beta1 = 0.5};
      cfg.quiet = true;
      gan::GanTrainer<T> tr(nets.G, nets.D, cfg, real, gan::image_entropy_fn(e, nets.D));
      std::vector<double> ts;
      for (int r = 0; r < reps + 5; ++r) {
        const auto t0 = Clock::now();
        tr.step();
        if (device == Device::cuda) cuda_runtime().synchronize();
        if (r >= 5) ts.push_back(1e3 * bench::seconds_since(t0));
      }
      const Timing t = summarise(ts);
      if (c.lambda == 0) base = t.median;
      ours.push_back(t);
      std::printf("%-40s %10.2f %10.2f %10.1f %7.2fx\n", c.name, t.median, t.min, flops / t.median / 1e6,
                  t.median / base);
      std::fflush(stdout);
    }
    // Sequential's fusion of Linear + activation (nn/module.hpp): the no-entropy iteration with
    // and without it, steps interleaved A B A B so that the machine's drift hits both alike.
    {
      gan::ImageNetworks fused(P, 1, device), plain(P, 1, device);
      plain.G.fuse_activations(false);
      plain.D.fuse_activations(false);
      gan::TrainConfig cfg;
      cfg.batch = B;
      cfg.latent = gan::kImageLatent;
      cfg.adam_g = cfg.adam_d = {.lr = 2e-4, .beta1 = 0.5};
      cfg.quiet = true;
      gan::GanTrainer<T> tf(fused.G, fused.D, cfg, real, {}), tp(plain.G, plain.D, cfg, real, {});
      std::vector<double> sf, sp;
      auto timed = [&](gan::GanTrainer<T>& tr) {
        const auto t0 = Clock::now();
        tr.step();
        if (device == Device::cuda) cuda_runtime().synchronize();
        return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
      };
      for (int r = 0; r < reps + 5; ++r) {
        const double a_ms = timed(tf), b_ms = timed(tp);
        if (r >= 5) {
          sf.push_back(a_ms);
          sp.push_back(b_ms);
        }
      }
      const Timing f = summarise(sf), u = summarise(sp);
      std::printf("%-40s %10.2f %10.2f %10.1f\n", "fusion A/B: Linear+act fused (default)", f.median, f.min,
                  flops / f.median / 1e6);
      std::printf("%-40s %10.2f %10.2f %10.1f   fused/unfused %.3fx (median), %.3fx (min)\n",
                  "fusion A/B: fuse_activations(false)", u.median, u.min, flops / u.median / 1e6, f.median / u.median,
                  f.min / u.min);
      std::fflush(stdout);
    }
    if (a.has("no-peer")) return 0;
    if (device == Device::cuda) {
      std::printf("peer: skipped on cuda (the PyTorch peer of this benchmark runs on the CPU)\n");
      return 0;
    }
    const Peer peer = find_peer();
    if (!peer.available) {
      std::printf("peer: torch not installed (apt-get install python3-torch libopenblas0-pthread)\n");
      return 0;
    }
    for (double l : {0.0, lam}) {
      Timing t;
      std::string ver;
      int th = 0;
      if (!run_peer(peer, reps, l, t, ver, th)) {
        std::printf("peer: torch run failed\n");
        continue;
      }
      const Timing& mine = ours[l == 0 ? 0 : 1];
      char name[96];
      std::snprintf(name, sizeof name, "torch %s (%d thr), %s", ver.c_str(), th, l == 0 ? "no entropy" : "KDE pixels");
      std::printf("%-40s %10.2f %10.2f %10.1f   ours/torch %.2fx (median), %.2fx (min)\n", name, t.median, t.min,
                  flops / t.median / 1e6, mine.median / t.median, mine.min / t.min);
    }
    return 0;
  });
}
