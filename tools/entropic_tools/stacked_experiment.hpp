// One run of the stacked-digits benchmark (data/stacked.hpp): the seed's image GAN
// (gan/image_networks.hpp) on 3 x pixels stacked samples, with or without the entropy term
// (estimated as in image_experiment.hpp: KDE or kNN, on pixels or on D's features), evaluated
// with PacGAN's definitions by the mode classifier of digit_classifier.hpp.
//
// PacGAN's evaluation (Lin et al. 2018, section 5.2, after Metz et al. 2017 and VEEGAN): draw
// N = 26,000 samples; label each channel with a pretrained digit classifier, so each sample gets
// one of the 1000 modes 100 d0 + 10 d1 + d2. Then
//   modes covered = the number of modes that receive at least one sample (of 1000);
//   KL = KL(p || u) = sum_m p_m log(p_m / (1/1000)) = log 1000 - H(p), natural log, where p_m is
//        the fraction of the N samples labelled m and u is uniform over the 1000 modes
//        (modes with p_m = 0 contribute 0). 0 when every mode is equally frequent, log 1000
//        = 6.908 when one mode takes every sample.
// gan::class_coverage (gan/image_metrics.hpp) computes exactly these from the labels.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include "entropic/data/stacked.hpp"
#include "entropic/gan/image_metrics.hpp"
#include "entropic/gan/image_networks.hpp"
#include "entropic/gan/trainer.hpp"
#include "entropic/io/file.hpp"
#include "entropic/io/json.hpp"
#include "entropic/io/png.hpp"
#include "entropic_tools/digit_classifier.hpp"
#include "entropic_tools/image_experiment.hpp"

namespace entropic::gan {

// PacGAN's modes covered and KL(mode histogram || uniform) of stacked samples' modes.
inline ClassCoverage stacked_modes(const std::vector<int>& modes) {
  return class_coverage(modes, data::kStackedModes);
}

// The largest raw pixel value of a data set loaded to [-1, 1]: 16 for scikit-learn's digits
// (pixels 0..16), 255 for IDX files (0..255).
inline double raw_pixel_max(const data::ImageDataset& d) { return d.name == "digits" ? 16.0 : 255.0; }

// samples.csv: one sample a row, no header, its values on the data's raw pixel scale
// ((x + 1) / 2 * pixel_max, so 0..16 for the digits), channel 0's pixels first. Written to a
// temporary file and renamed, so a reader sees the whole file or none.
inline void write_samples_csv(const std::string& path, const Tensor<float>& x, double pixel_max) {
  check(x.rank() == 2, "samples.csv: samples ", x.shape().str(), " are not [n, values]");
  io::write_atomically(path, [&](std::ostream& out) {
    std::string line;
    char buf[32];
    for (int64_t i = 0; i < x.rows(); ++i) {
      line.clear();
      for (int64_t j = 0; j < x.cols(); ++j) {
        const double v = (double(x(i, j)) + 1.0) * 0.5 * pixel_max;
        std::snprintf(buf, sizeof buf, j ? ",%.5g" : "%.5g", v);
        line += buf;
      }
      line += '\n';
      out.write(line.data(), std::streamsize(line.size()));
    }
  });
}

// Reads a samples.csv written by write_samples_csv (any rows of `values` numbers on the raw
// scale 0..pixel_max) back to [-1, 1].
inline Tensor<float> read_samples_csv(const std::string& path, int64_t values, double pixel_max) {
  std::ifstream in(path);
  check(bool(in), "samples.csv: cannot open ", path);
  std::vector<float> v;
  std::string line;
  int64_t rows = 0;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    const char* s = line.c_str();
    int64_t k = 0;
    while (*s) {
      char* e = nullptr;
      const double x = std::strtod(s, &e);
      check(e != s, path, ": row ", rows + 1, ": not a number at value ", k + 1);
      v.push_back(float(x / pixel_max * 2.0 - 1.0));
      ++k;
      s = e;
      while (*s == ',' || *s == ' ' || *s == '\r') ++s;
    }
    check(k == values, path, ": row ", rows + 1, " has ", k, " values, expected ", values);
    ++rows;
  }
  check(rows > 0, path, ": no samples");
  return Tensor<float>::from({rows, values}, v);
}

// Stacked samples [n, 3 * side * side] as a grid, each sample its three channels side by side in
// grey (channel 0 left), `scale` times upscaled; samples separated by 2-pixel mid-grey lines,
// channels by 1-pixel dark lines. (Drawn as three grey digits rather than one RGB image: the
// digits can be read, and each channel is what the classifier labels.)
inline void write_stacked_grid(const std::string& path, const Tensor<float>& x, int side, int cols, int scale) {
  const int64_t p = int64_t(side) * side;
  check(x.rank() == 2 && x.cols() == 3 * p && x.rows() >= 1, "write_stacked_grid: samples ", x.shape().str(),
        " are not [n, 3 * ", side, " * ", side, "]");
  check(cols >= 1 && scale >= 1, "write_stacked_grid: needs cols >= 1 and scale >= 1");
  const int n = int(x.rows()), rows = (n + cols - 1) / cols, tile = side * scale;
  const int cw = 3 * tile + 2, ch = tile;  // one sample's cell
  const int w = cols * (cw + 2) + 2, h = rows * (ch + 2) + 2;
  std::vector<uint8_t> px(size_t(w) * size_t(h), 128);
  for (int i = 0; i < n; ++i) {
    const int x0 = 2 + (i % cols) * (cw + 2), y0 = 2 + (i / cols) * (ch + 2);
    for (int c = 0; c < 3; ++c) {
      const int xc = x0 + c * (tile + 1);
      if (c > 0)
        for (int y = 0; y < tile; ++y) px[size_t(y0 + y) * size_t(w) + size_t(xc - 1)] = 40;
      for (int y = 0; y < tile; ++y)
        for (int xx = 0; xx < tile; ++xx) {
          const float v = x(i, c * p + (y / scale) * side + xx / scale);
          px[size_t(y0 + y) * size_t(w) + size_t(xc + xx)] =
              uint8_t(std::lround(std::clamp((v + 1.f) * 127.5f, 0.f, 255.f)));
        }
    }
  }
  io::write_png(path, w, h, 1, px.data());
}

// The 10 x 10 x 10 mode histogram as an image: 10 panels, one per d0, in two rows of five; in a
// panel, row d1 and column d2. A cell is black near 0 samples, white at twice the uniform count
// (N / 1000) or more, grey in between (linear in the count), and red when the mode has no sample at all.
inline void write_mode_histogram(const std::string& path, const std::vector<int64_t>& counts, int cell = 10) {
  check(counts.size() == size_t(data::kStackedModes), "mode histogram: ", counts.size(), " counts, expected 1000");
  int64_t total = 0;
  for (int64_t c : counts) total += c;
  const double expected = std::max(1.0, double(total) / 1000.0);
  const int panel = 10 * cell, gap = 4;
  const int w = 5 * panel + 6 * gap, h = 2 * panel + 3 * gap;
  std::vector<uint8_t> px(size_t(w) * size_t(h) * 3, 96);
  for (int m = 0; m < 1000; ++m) {
    const int d0 = m / 100, d1 = m / 10 % 10, d2 = m % 10;
    const int x0 = gap + (d0 % 5) * (panel + gap) + d2 * cell, y0 = gap + (d0 / 5) * (panel + gap) + d1 * cell;
    uint8_t rgb[3];
    if (counts[size_t(m)] == 0) rgb[0] = 220, rgb[1] = 30, rgb[2] = 30;
    else {
      const uint8_t g = uint8_t(std::lround(std::clamp(double(counts[size_t(m)]) / (2 * expected), 0.0, 1.0) * 255));
      rgb[0] = rgb[1] = rgb[2] = g;
    }
    for (int y = 0; y < cell; ++y)
      for (int x = 0; x < cell; ++x)
        for (int c = 0; c < 3; ++c) px[(size_t(y0 + y) * size_t(w) + size_t(x0 + x)) * 3 + size_t(c)] = rgb[c];
  }
  io::write_png(path, w, h, 3, px.data());
}

struct StackedExperiment {
  ImageExperiment image;          // entropy estimate and training settings (image.train)
  bool small_d = false;           // the quarter-width discriminator
  int64_t eval_samples = 26000;   // PacGAN's N
  int grid = 10;
};

struct StackedOutcome {
  ClassCoverage modes;
  double confident = 0;  // DigitClassifier::confident_fraction of the samples
  TrainStats<float> stats;
  Tensor<float> samples;  // [eval_samples, 3 * pixels] from a fixed z
};

inline StackedOutcome run_stacked_experiment(const StackedExperiment& s, const data::ImageDataset& base,
                                             DigitClassifier& classifier, double pixel_max,
                                             const std::function<void(const std::string&)>& note = {}) {
  data::check_stackable(base);
  const int64_t pixels = data::kStackedChannels * base.images.cols();
  TrainConfig cfg = s.image.train;
  cfg.latent = kImageLatent;
  Rng init(cfg.seed);
  nn::Sequential<float> G = image_generator<float>(init, pixels);
  nn::Sequential<float> D =
      // The small discriminator of the PacGAN Table 3 analogue: the seed's D at a quarter of its width.
      s.small_d ? image_discriminator<float>(init, pixels, 128, 64) : image_discriminator<float>(init, pixels);
  auto real = [&base](int64_t batch, Rng& rng) { return data::draw_stacked_batch(base, batch, rng); };
  GanTrainer<float> trainer(G, D, cfg, real, image_entropy_fn(s.image, D));
  StackedOutcome out;
  out.stats = trainer.run();
  out.samples = generate_fixed(G, s.eval_samples, 54321);
  out.modes = stacked_modes(classifier.predict_stacked(out.samples));
  out.confident = classifier.confident_fraction(out.samples);
  if (!cfg.out_dir.empty() && (!cfg.comm || cfg.comm->rank() == 0)) {  // on several ranks, rank 0 writes
    const std::string dir = cfg.out_dir;
    write_samples_csv(dir + "/samples.csv", out.samples, pixel_max);
    write_stacked_grid(dir + "/samples.png", generate_fixed(G, int64_t(s.grid) * s.grid), base.side, s.grid,
                       std::max(1, grid_scale(base.side) * 2 / 3));
    write_mode_histogram(dir + "/modes.png", out.modes.counts);
    json::Value m = json::Value::object();
    m.set("lambda", cfg.lambda.value);
    m.set("seed", cfg.seed);
    m.set("iterations", cfg.iters);
    m.set("batch", cfg.batch);
    m.set("small_d", s.small_d);
    m.set("entropy", s.image.estimator + " on " + s.image.entropy_space);
    m.set("eval_samples", s.eval_samples);
    m.set("modes", out.modes.covered);
    m.set("kl", out.modes.kl_uniform);
    m.set("confident", out.confident);
    m.set("train_seconds", out.stats.seconds);
    m.set("counts", out.modes.counts);
    io::write_text_atomically(dir + "/metrics.json", json::dump(m) + "\n");
    if (note) note("wrote " + dir + "/{samples.csv,samples.png,modes.png,metrics.json}");
  }
  return out;
}

}  // namespace entropic::gan
