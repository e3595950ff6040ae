// A GAN with a loss of your own and the entropy term: hinge loss for D, and for G its
// adversarial loss minus lambda times the KDE entropy of its batch. 8 Gaussians on a circle.
//   custom_loss [lambda, default 0.5] [iterations, default 3000]
#include <entropic/entropic.hpp>
#include <entropic/gan/mixture.hpp>

#include <cstdio>
#include <cstdlib>
using namespace entropic;

int main(int argc, char** argv) {
  const double lambda = argc > 1 ? std::atof(argv[1]) : 0.5;
  const int iterations = argc > 2 ? std::atoi(argv[2]) : 3000;
  Rng rng(1);
  const gan::Mixture ring = gan::ring();
  nn::Sequential G, D;  // float unless you write nn::Sequential<double>
  G.emplace<nn::Linear<>>(2, 128, rng).emplace<nn::ReLU<>>().emplace<nn::Linear<>>(128, 128, rng)
      .emplace<nn::ReLU<>>().emplace<nn::Linear<>>(128, 2, rng);
  D.emplace<nn::Linear<>>(2, 128, rng).emplace<nn::LeakyReLU<>>(0.2).emplace<nn::Linear<>>(128, 1, rng);
  nn::Adam optG(G.parameters(), {.lr = 1e-3}), optD(D.parameters(), {.lr = 1e-3});
  for (int it = 0; it < iterations; ++it) {
    VarF real(ring.sample<float>(256, rng)), fake = G(VarF(TensorF::randn({256, 2}, rng)));
    VarF loss_d = fn::mean(fn::relu(1.0 - D(real))) + fn::mean(fn::relu(1.0 + D(fake.detach())));
    optD.zero_grad(), loss_d.backward(), optD.step();
    VarF loss_g = -fn::mean(D(fake)) - lambda * fn::kde_entropy(fake).H;
    optG.zero_grad(), loss_g.backward(), optG.step();
  }
  NoGrad no_grad;
  const gan::ModeMetrics m = gan::evaluate_modes(G(VarF(TensorF::randn({2500, 2}, rng))).value(), ring);
  std::printf("lambda %g: %d of 8 modes covered\n", lambda, m.modes_captured);
}
