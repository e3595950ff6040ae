// A small MLP with BatchNorm learns y = sin(3 x0) * cos(2 x1) on the CPU: the smallest
// end-to-end use of the library (tensors, autodiff, layers, Adam). Prints its loss falling.
//
//   train_mlp [--iters N] [--seed S] [--batch B]
#include <entropic/entropic.hpp>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

using namespace entropic;

int main(int argc, char** argv) {
  int iters = 1500, batch = 128;
  uint64_t seed = 1;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> const char* {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "train_mlp: %s needs a value\n", a.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--iters") iters = std::atoi(next());
    else if (a == "--seed") seed = std::strtoull(next(), nullptr, 10);
    else if (a == "--batch") batch = std::atoi(next());
    else {
      std::fprintf(stderr, "train_mlp: unknown option %s\nusage: train_mlp [--iters N] [--seed S] [--batch B]\n", a.c_str());
      return 2;
    }
  }
  if (iters < 1 || batch < 2) {
    std::fprintf(stderr, "train_mlp: --iters must be >= 1 and --batch >= 2\n");
    return 2;
  }
  Rng rng(seed);
  nn::Sequential<float> net;
  net.emplace<nn::Linear<float>>(2, 128, rng)
      .emplace<nn::BatchNorm1d<float>>(128)
      .emplace<nn::ReLU<float>>()
      .emplace<nn::Linear<float>>(128, 128, rng)
      .emplace<nn::BatchNorm1d<float>>(128)
      .emplace<nn::ReLU<float>>()
      .emplace<nn::Linear<float>>(128, 1, rng);
  nn::Adam<float> opt(net.parameters(), {.lr = 3e-3});
  auto target = [](float a, float b) { return std::sin(3 * a) * std::cos(2 * b); };

  std::printf("train_mlp: %lld parameters, batch %d, %d iterations, %d threads\n",
              (long long)net.num_parameters(), batch, iters, num_threads());
  const auto t0 = std::chrono::steady_clock::now();
  double first = 0, recent = 0;
  for (int it = 1; it <= iters; ++it) {
    auto x = TensorF::rand({batch, 2}, rng, -1, 1);
    auto y = TensorF({batch, 1});
    for (int r = 0; r < batch; ++r) y(r, 0) = target(x(r, 0), x(r, 1));
    Var<float> pred = net(Var<float>(x));
    Var<float> mse = fn::mse(pred, y);
    opt.zero_grad();
    mse.backward();
    opt.step();
    if (it == 1) first = mse.item();
    recent = 0.9 * (it == 1 ? mse.item() : recent) + 0.1 * mse.item();
    if (it == 1 || it % 100 == 0)
      std::printf("iter %5d  mse %.5f  (running %.5f)\n", it, mse.item(), recent);
  }
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  net.eval();
  auto xt = TensorF::rand({1000, 2}, rng, -1, 1);
  double test = 0;
  {
    NoGrad ng;
    auto pt = net(Var<float>(xt));
    for (int r = 0; r < 1000; ++r) {
      const double e = pt.value()(r, 0) - target(xt(r, 0), xt(r, 1));
      test += e * e / 1000;
    }
  }
  std::printf("done in %.1f s (%.2f ms/iter): first-batch mse %.4f, held-out mse %.5f (%.0fx lower)\n",
              secs, 1000 * secs / iters, first, test, first / test);
  return 0;
}
