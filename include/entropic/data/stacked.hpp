// Stacked digits: the 1000-mode benchmark of mode collapse (Metz et al. 2017, "Unrolled GANs";
// Srivastava et al. 2017, VEEGAN; Lin et al. 2018, PacGAN Tables 2-3) built on any labelled
// 10-class digit set: scikit-learn's 8x8 digits offline, or 28x28 MNIST from IDX files.
//
// A sample is three images drawn independently and uniformly from the data set, stacked as
// channels: row [3 * pixels], channel 0's pixels first, then channel 1's, then channel 2's, each
// on the data set's scale ([-1, 1]). Its mode is label = 100 * d0 + 10 * d1 + d2 with dk the
// digit of channel k, so there are 1000 modes, equally likely up to the data set's own class
// frequencies (the digits set has 174..183 images a class).
#pragma once
#include <algorithm>
#include <cstdint>
#include <vector>

#include "entropic/core/error.hpp"
#include "entropic/core/rng.hpp"
#include "entropic/core/tensor.hpp"
#include "entropic/data/idx.hpp"

namespace entropic::data {

inline constexpr int kStackedChannels = 3;
inline constexpr int kStackedModes = 1000;

inline int stacked_label(int d0, int d1, int d2) { return 100 * d0 + 10 * d1 + d2; }

struct StackedDataset {
  Tensor<float> images;     // [n, 3 * side * side], channel 0 first
  std::vector<int> labels;  // [n], 100 d0 + 10 d1 + d2
  int side = 0;
  int64_t size() const { return images.defined() ? images.rows() : 0; }
  int64_t pixels() const { return int64_t(side) * side; }  // per channel
};

inline void check_stackable(const ImageDataset& d) {
  check(d.classes == 10, "stacked: the base data set must have 10 classes (digits), ", d.name, " has ", d.classes);
  check(d.size() >= 1 && d.images.cols() == int64_t(d.side) * d.side, "stacked: the base data set ", d.name,
        " has no images or images that are not side x side");
}

// Draws one stacked sample from `d` into out[0 .. 3 * pixels) and returns its label. Takes three
// rng.below draws, channel 0's first.
inline int draw_stacked(const ImageDataset& d, Rng& rng, float* out) {
  const int64_t pixels = d.images.cols();
  int digits[kStackedChannels];
  for (int c = 0; c < kStackedChannels; ++c) {
    const int64_t i = int64_t(rng.below(uint64_t(d.size())));
    std::copy_n(&d.images(i, 0), pixels, out + c * pixels);
    digits[c] = d.labels[size_t(i)];
  }
  return stacked_label(digits[0], digits[1], digits[2]);
}

// A batch of n stacked samples; fills `labels` when given.
inline Tensor<float> draw_stacked_batch(const ImageDataset& d, int64_t n, Rng& rng, std::vector<int>* labels = nullptr) {
  check_stackable(d);
  check(n >= 0, "stacked: negative batch ", n);
  Tensor<float> x({n, kStackedChannels * d.images.cols()});
  if (labels) labels->resize(size_t(n));
  for (int64_t i = 0; i < n; ++i) {
    const int l = draw_stacked(d, rng, &x(i, 0));
    if (labels) (*labels)[size_t(i)] = l;
  }
  return x;
}

// n stacked samples, the same for the same data set and seed.
inline StackedDataset make_stacked(const ImageDataset& d, int64_t n, uint64_t seed) {
  Rng rng(seed);
  StackedDataset s;
  s.side = d.side;
  s.images = draw_stacked_batch(d, n, rng, &s.labels);
  return s;
}

// Channel c of row i of stacked samples x [n, 3 * pixels], as [n, pixels] for all rows.
inline Tensor<float> stacked_channel(const Tensor<float>& x, int c) {
  check(x.rank() == 2 && x.cols() % kStackedChannels == 0 && c >= 0 && c < kStackedChannels, "stacked_channel: x ",
        x.shape().str(), " is not [n, 3 * pixels] or channel ", c, " is not 0..2");
  const int64_t n = x.rows(), p = x.cols() / kStackedChannels;
  Tensor<float> out({n, p});
  for (int64_t i = 0; i < n; ++i) std::copy_n(&x(i, c * p), p, &out(i, 0));
  return out;
}

}  // namespace entropic::data
