// One run of the seed's image GAN (gan/image_networks.hpp) on a labelled image data set, with
// the entropy term measured on the generated pixels or on D's penultimate-layer features, sample
// grids from a fixed z, and the mode metrics of gan/image_metrics.hpp. Shared by the images
// example and the mode_collapse_images benchmark so both measure exactly the same thing.
#pragma once
#include <algorithm>
#include <cmath>
#include <functional>
#include <string>
#include <vector>

#include "entropic/data/idx.hpp"
#include "entropic/entropy/functions.hpp"
#include "entropic/gan/image_metrics.hpp"
#include "entropic/gan/image_networks.hpp"
#include "entropic/gan/networks.hpp"
#include "entropic/gan/trainer.hpp"
#include "entropic/io/png.hpp"

namespace entropic::gan {

// Writes images [n, side * side] in [-1, 1] (black to white) as a grid of `cols` columns,
// each image upscaled `scale` times (nearest neighbour), separated by 1-pixel grey lines.
inline void write_image_grid(const std::string& path, const Tensor<float>& images, int side, int cols,
                             int scale) {
  check(images.rank() == 2 && images.cols() == int64_t(side) * side, "write_image_grid: images ",
        images.shape().str(), " are not [n, ", side, " * ", side, "]");
  check(cols >= 1 && scale >= 1 && images.rows() >= 1, "write_image_grid: needs images, cols >= 1 and scale >= 1");
  const int n = int(images.rows()), rows = (n + cols - 1) / cols, tile = side * scale;
  const int w = cols * (tile + 1) + 1, h = rows * (tile + 1) + 1;
  std::vector<uint8_t> px(size_t(w) * size_t(h), 128);
  for (int i = 0; i < n; ++i) {
    const int x0 = 1 + (i % cols) * (tile + 1), y0 = 1 + (i / cols) * (tile + 1);
    for (int y = 0; y < tile; ++y)
      for (int x = 0; x < tile; ++x) {
        const float v = images(i, (y / scale) * side + x / scale);
        const float g = std::clamp((v + 1.f) * 127.5f, 0.f, 255.f);
        px[size_t(y0 + y) * size_t(w) + size_t(x0 + x)] = uint8_t(std::lround(g));
      }
  }
  io::write_png(path, w, h, 1, px.data());
}

// Upscaling that makes a tile about 48 pixels: 6x for 8x8 digits, 2x for 28x28 MNIST.
inline int grid_scale(int side) { return std::max(1, (48 + side - 1) / side); }

struct ImageExperiment {
  std::string estimator = "kde";         // kde or knn
  std::string entropy_space = "pixels";  // pixels or features (D's penultimate layer)
  entropy::KdeOptions kde{.bandwidth = entropy::Bandwidth::median};
  entropy::KnnOptions knn{.k = 5};
  TrainConfig train;               // lambda, iterations, seed, optimiser, out_dir ...
  int64_t sample_every = 0;        // > 0 with out_dir: a grid DIR/samples_<iter>.png this often
  int grid = 10;                   // the grids show grid x grid samples
  int64_t eval_samples = 2000;     // samples the metrics are computed on
  int ndb_k = 20;                  // NDB bins
  Device device = Device::cpu;     // where the networks train; batches are drawn on the host
};

struct ImageOutcome {
  ImageMetrics metrics;
  Tensor<float> samples;  // [eval_samples, pixels] from a fixed z
  TrainStats<float> stats;
};

// The seed's networks for this data set, initialised from `seed`.
struct ImageNetworks {
  nn::Sequential<float> G, D;
  ImageNetworks(int64_t pixels, uint64_t seed, Device device = Device::cpu) {
    Rng init(seed);
    G = image_generator<float>(init, pixels);
    D = image_discriminator<float>(init, pixels);
    G.to(device);
    D.to(device);
  }
};

// G(z) for a fixed z, leaving the model as it was (see gan::generate).
inline Tensor<float> generate_fixed(nn::Sequential<float>& G, int64_t n, uint64_t z_seed = 12345) {
  Rng zr(z_seed);
  return generate(G, Tensor<float>::randn({n, kImageLatent}, zr));
}

// The entropy term of a generated batch x = G(z): H of x itself, or of D's features of x.
inline typename GanTrainer<float>::EntropyFn image_entropy_fn(const ImageExperiment& e, nn::Sequential<float>& D) {
  check(e.estimator == "kde" || e.estimator == "knn", "images: --estimator must be kde or knn, got '", e.estimator,
        "'");
  check(e.entropy_space == "pixels" || e.entropy_space == "features",
        "images: --entropy-space must be pixels or features, got '", e.entropy_space, "'");
  const bool features = e.entropy_space == "features";
  return [e, features, &D](const Var<float>& x) {
    const Var<float> s = features ? discriminator_features(D, x) : x;
    return e.estimator == "kde" ? fn::kde_entropy(s, e.kde) : fn::knn_entropy(s, e.knn);
  };
}

inline ImageOutcome run_image_experiment(const ImageExperiment& e, const data::ImageDataset& data,
                                         const ImageEvaluator* evaluator = nullptr,
                                         const std::function<void(const std::string&)>& note = {}) {
  using T = float;
  check(data.size() >= 2, "images: the data set has ", data.size(), " images");
  const int64_t pixels = data.images.cols();
  TrainConfig cfg = e.train;
  cfg.latent = kImageLatent;
  ImageNetworks nets(pixels, cfg.seed, e.device);
  auto real = [&data, pixels](int64_t batch, Rng& rng) {
    Tensor<T> x({batch, pixels});
    for (int64_t i = 0; i < batch; ++i)
      std::copy_n(&data.images(int64_t(rng.below(uint64_t(data.size()))), 0), pixels, &x(i, 0));
    return x;
  };
  auto entropy_fn = image_entropy_fn(e, nets.D);
  const bool files = !cfg.out_dir.empty() && (!cfg.comm || cfg.comm->rank() == 0);  // rank 0 writes
  const int scale = grid_scale(data.side);
  auto grid = [&](const std::string& name) {
    const std::string path = cfg.out_dir + "/" + name;
    write_image_grid(path, generate_fixed(nets.G, int64_t(e.grid) * e.grid), data.side, e.grid, scale);
    if (note) note("wrote " + path);
  };

  GanTrainer<T> trainer(nets.G, nets.D, cfg, real, entropy_fn);
  if (files && e.sample_every > 0)
    trainer.on_iteration([&](const TrainStats<T>& s) {
      if (s.iteration % e.sample_every == 0 && s.iteration < cfg.iters)
        grid("samples_" + std::to_string(s.iteration) + ".png");
    });
  const TrainStats<T> stats = trainer.run();
  if (files) {
    grid("samples_" + std::to_string(trainer.iteration()) + ".png");
    grid("samples.png");
  }

  ImageOutcome out;
  out.stats = stats;
  out.samples = generate_fixed(nets.G, e.eval_samples, 54321);
  if (evaluator) out.metrics = evaluator->evaluate(out.samples);
  return out;
}

}  // namespace entropic::gan
