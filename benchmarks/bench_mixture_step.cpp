// bench_mixture_step: one training iteration of the 2D ring protocol (batch 100; G 2-400x4-2
// with BatchNorm, D three maxout layers of 200 x 5), with and without the KDE entropy term,
// beside the time its matrix products alone take. The gap is what the rest of the step costs
// (activations, BatchNorm, maxout, Adam, autograd bookkeeping).
//
// With --device cuda the networks train on the GPU (the CUDA backend is linked in when CMake
// finds nvcc) and the products' line is the CPU's, for scale.
//
//   bench_mixture_step [--device cpu|cuda] [--repeats R] [--quick]
#include <entropic/cpu/gemm.hpp>
#include <entropic_tools/experiment.hpp>
#include <entropic_tools/cli.hpp>

#include "common.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <vector>

using namespace entropic;
using T = float;
using bench::Clock;

namespace {
struct Gemm {
  bool ta, tb;
  int64_t M, N, K;
};

// The products of one iteration: for each Linear layer (in, out) of a network, its forward
// and, when back-propagated, dW always and dX unless it is the first layer.
void add_net(std::vector<Gemm>& g, const std::vector<std::pair<int64_t, int64_t>>& layers, int64_t B, bool fwd,
             bool bwd) {
  for (size_t l = 0; l < layers.size(); ++l) {
    const auto [in, out] = layers[l];
    if (fwd) g.push_back({false, true, B, out, in});
    if (bwd) {
      g.push_back({true, false, out, in, B});
      if (l > 0) g.push_back({false, false, B, in, out});
    }
  }
}

double median(std::vector<double> v) { return bench::summarise(std::move(v)).median; }
}  // namespace

int main(int argc, char** argv) {
  return cli::main_guard("bench_mixture_step", [&] {
    cli::Args a("bench_mixture_step", "time one ring-protocol GAN iteration against its matrix products");
    a.option("repeats", "200", "timed iterations")
        .option("device", "cpu", "cpu or cuda: where the networks train")
        .flag("quick", "a short run (smoke test)");
    if (!a.parse(argc, argv)) return 0;
    const Device device = parse_device(a.str("device"));
    require_device_available(device, "bench_mixture_step");
    const int reps = a.has("quick") ? 10 : int(a.integer("repeats"));
    const int64_t B = 100;
    const std::vector<std::pair<int64_t, int64_t>> G{{2, 400}, {400, 400}, {400, 400}, {400, 400}, {400, 2}},
        D{{2, 1000}, {200, 1000}, {200, 1000}, {200, 1}};
    std::vector<Gemm> gemms;
    add_net(gemms, G, B, true, false);  // D step: G(z) without grad
    add_net(gemms, D, B, true, true);   // D(real)
    add_net(gemms, D, B, true, true);   // D(fake)
    add_net(gemms, G, B, true, true);   // G step: G(z)
    add_net(gemms, D, B, true, true);   // D(G(z)), back-propagated to G
    double flops = 0;
    for (auto& g : gemms) flops += 2.0 * double(g.M * g.N * g.K);

    std::vector<T> A(1 << 20, 0.01f), Bm(1 << 20, 0.02f), C(1 << 20);
    auto run_gemms = [&] {
      for (auto& g : gemms)
        cpu::gemm<T>(g.ta, g.tb, g.M, g.N, g.K, 1.f, A.data(), g.ta ? g.M : g.K, Bm.data(), g.tb ? g.K : g.N, 0.f,
                     C.data(), g.N);
    };
    std::vector<double> tg;
    for (int r = 0; r < reps + 5; ++r) {
      const auto t0 = Clock::now();
      run_gemms();
      if (r >= 5) tg.push_back(1e3 * bench::seconds_since(t0));
    }

    std::printf("bench_mixture_step: batch %lld, %zu matrix products per iteration, %.3f GFLOP, %d threads%s\n\n",
                (long long)B, gemms.size(), flops / 1e9, num_threads(),
                device == Device::cuda ? (", training on cuda: " + cuda_runtime().device_name()).c_str() : "");
    std::printf("%-34s %10s %10s %10s\n", "", "median ms", "min ms", "GFLOP/s");
    std::printf("%-34s %10.2f %10.2f %10.1f\n", "matrix products alone (cpu)", median(tg),
                *std::min_element(tg.begin(), tg.end()), flops / median(tg) / 1e6);
    for (double lambda : {0.0, 0.2}) {
      gan::MixtureExperiment e;
      Rng init(1);
      nn::Sequential<T> g = gan::mixture_generator<T>(init);
      nn::Sequential<T> d = gan::mixture_discriminator<T>(init);
      g.to(device);
      d.to(device);
      const gan::Mixture mix = gan::ring();
      gan::TrainConfig cfg;
      cfg.lambda.value = lambda;
      cfg.batch = B;
      cfg.quiet = true;
      auto real = [&](int64_t n, Rng& rng) { return mix.sample<T>(n, rng); };
      auto ent = [&](const Var<T>& x) { return fn::kde_entropy(x, e.kde); };
      gan::GanTrainer<T> tr(g, d, cfg, real, ent);
      std::vector<double> ts;
      for (int r = 0; r < reps + 5; ++r) {
        const auto t0 = Clock::now();
        tr.step();
        if (device == Device::cuda) cuda_runtime().synchronize();
        if (r >= 5) ts.push_back(1e3 * bench::seconds_since(t0));
      }
      char name[64];
      std::snprintf(name, sizeof name, "full iteration, lambda %g", lambda);
      std::printf("%-34s %10.2f %10.2f %10.1f", name, median(ts), *std::min_element(ts.begin(), ts.end()),
                  flops / median(ts) / 1e6);
      if (device == Device::cpu) std::printf("   (products are %.0f%% of it)", 100 * median(tg) / median(ts));
      std::printf("\n");
    }
    return 0;
  });
}
