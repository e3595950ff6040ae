// The ring GAN with its entropy term on N processes: start it with `mpirun -np N data_parallel`.
// Every rank trains on its share of the batch of 256, the gradients are averaged over ranks,
// BatchNorm and the entropy see the whole batch, and rank 0 reports. Any N that divides 256
// computes what one process computes, up to the order of its sums (a GAN's training amplifies
// that rounding over thousands of steps, as it does between two thread counts).
//   mpirun -np 2 data_parallel [iterations, default 2000]
#include <entropic/dist/mpi.hpp>
#include <entropic/entropic.hpp>
#include <entropic/gan/mixture.hpp>
#include <entropic/gan/networks.hpp>
#include <entropic/gan/trainer.hpp>

#include <cstdio>
#include <cstdlib>
using namespace entropic;

int main(int argc, char** argv) {
  dist::MpiSession mpi(&argc, &argv);  // MPI_Init here, MPI_Finalize at the end
  dist::MpiCommunicator comm;          // every rank of the job, host tensors
  Rng init(1);                         // the same seed: every rank starts from the same weights
  nn::Sequential G = gan::mixture_generator<float>(init, 2, 128, 2);
  nn::Sequential D = gan::mixture_discriminator<float>(init, 128, 5);
  const gan::Mixture ring = gan::ring();
  gan::TrainConfig cfg;
  cfg.iters = argc > 1 ? std::atoi(argv[1]) : 2000;
  cfg.batch = 256;  // the global batch
  cfg.lambda = gan::Schedule::constant(1.0);
  cfg.adam_g.lr = cfg.adam_d.lr = 1e-3;
  cfg.comm = &comm;
  cfg.quiet = true;
  auto real = [&](int64_t n, Rng& rng) { return ring.sample<float>(n, rng); };
  auto entropy = [](const VarF& x) { return fn::kde_entropy(x, {entropy::Bandwidth::fixed, 0.1}); };
  gan::GanTrainer<float> trainer(G, D, cfg, real, entropy);
  const gan::TrainStats<float> s = trainer.run();
  Rng z(7);
  const gan::ModeMetrics m = gan::evaluate_modes(gan::generate(G, TensorF::randn({2500, 2}, z)), ring);
  if (comm.rank() == 0)
    std::printf("%d ranks, batch %lld each: entropy %.3f, %d of 8 modes covered\n", comm.size(),
                (long long)(cfg.batch / comm.size()), s.entropy, m.modes_captured);
}
