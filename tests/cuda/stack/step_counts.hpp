// How often a training step on Device::cuda waits for the device and how many kernels it
// launches, counted by the CPU shim (cuemu::counts(), tests/cuda/cuda_cpu_emu.hpp). Shim-only:
// a GPU keeps no such counts, so this file is compiled into the cuda-emu stack program alone.
#include <doctest/doctest.h>

#include <string>

#include "entropic/entropy/functions.hpp"
#include "entropic/gan/mixture.hpp"
#include "entropic/gan/networks.hpp"
#include "entropic/gan/trainer.hpp"

namespace {
using namespace entropic;

TEST_CASE("cuda-emu counts: a launch, a copy to the host and the wait before it are each counted once") {
  const TensorF x = TensorF::full({}, 3.f, Device::cuda);  // one fill kernel
  cuemu::reset_counts();
  const TensorF y = TensorF::full({}, 4.f, Device::cuda);
  CHECK(cuemu::counts().launches == 1);
  CHECK(cuemu::counts().synchronisations == 0);
  CHECK(y.item() == 4.f);
  CHECK(cuemu::counts().launches == 1);
  CHECK(cuemu::counts().device_to_host == 1);
  CHECK(cuemu::counts().synchronisations == 1);
  cuemu::reset_counts();
  CHECK(cuemu::counts().launches == 0);
  CHECK(cuemu::counts().synchronisations == 0);
  CHECK(cuemu::counts().device_to_host == 0);
  CHECK(x.item() == 3.f);
}

// The ring protocol's networks, smaller (the shim runs every CUDA thread on a CPU thread).
struct RingGan {
  gan::Mixture mix = gan::ring();
  nn::Sequential<float> G, D;
  RingGan() {
    Rng r(3);
    G = gan::mixture_generator<float>(r, 2, 32, 2);
    D = gan::mixture_discriminator<float>(r, 16, 3);
    G.to(Device::cuda);
    D.to(Device::cuda);
  }
  gan::GanTrainer<float> trainer(double lambda, entropy::Bandwidth bw) {
    gan::TrainConfig c;
    c.iters = 100;
    c.batch = 64;
    c.lambda.value = lambda;
    c.seed = 2;
    c.adam_g = c.adam_d = {.lr = 2e-4, .beta1 = 0.5};
    c.quiet = true;
    auto real = [m = mix](int64_t n, Rng& rng) { return m.sample<float>(n, rng); };
    auto H = [bw](const Var<float>& x) { return fn::kde_entropy(x, {.bandwidth = bw, .sigma = 0.1}); };
    return gan::GanTrainer<float>(G, D, c, real, H);
  }
};

// Counts of the third step, when the caching allocator and the shim's workers are warm.
cuemu::Counts count_a_step(gan::GanTrainer<float>& t) {
  t.step();
  t.step();
  cuemu::reset_counts();
  t.step();
  return cuemu::counts();
}

TEST_CASE("cuda-emu counts: a ring GAN training step, waits and launches") {
  struct Case {
    std::string name;
    double lambda;
    entropy::Bandwidth bw;
  };
  for (const Case& c : {Case{"plain GAN", 0.0, entropy::Bandwidth::fixed},
                        Case{"entropy, fixed bandwidth", 1.0, entropy::Bandwidth::fixed},
                        Case{"entropy, Scott bandwidth", 1.0, entropy::Bandwidth::scott}}) {
    RingGan g;
    auto t = g.trainer(c.lambda, c.bw);
    const cuemu::Counts n = count_a_step(t);
    MESSAGE(c.name << ": " << n.synchronisations << " synchronisations, " << n.device_to_host
                   << " copies to the host, " << n.launches << " launches");
    // Measured before any change (float, batch 64): 8 waits in a plain GAN step (a loss read
    // back by each of the 3 BCE forwards and backwards, then d_loss and g_adv), 13 with the KDE
    // term, 14 with Scott's rule; 148 and 161 launches. Every wait is a read-back here.
    CHECK(n.synchronisations == n.device_to_host);
    CHECK(n.launches > 0);
  }
}

}  // namespace
