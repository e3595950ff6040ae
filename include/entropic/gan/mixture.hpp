// The 2D Gaussian mixtures of the PacGAN mode-collapse protocol (Lin et al. 2018), and the
// metrics it reports: modes captured, high-quality samples, reverse KL.
#pragma once
#include <array>
#include <cmath>
#include <limits>
#include <numbers>
#include <string>
#include <vector>

#include "entropic/core/tensor.hpp"

namespace entropic::gan {

struct Mixture {
  std::string name;
  std::vector<std::array<double, 2>> means;
  double std = 0;

  int modes() const { return int(means.size()); }

  // n samples: a uniformly chosen mode plus N(0, std^2 I) noise.
  template <class T>
  Tensor<T> sample(int64_t n, Rng& rng) const {
    Tensor<T> x({n, 2});
    std::vector<double> noise(size_t(2 * n));
    rng.fill_normal(noise.data(), 2 * n, 0.0, std);
    for (int64_t i = 0; i < n; ++i) {
      const auto& m = means[size_t(rng.below(means.size()))];
      x(i, 0) = T(m[0] + noise[size_t(2 * i)]);
      x(i, 1) = T(m[1] + noise[size_t(2 * i + 1)]);
    }
    return x;
  }
};

// 8 modes on the unit circle at angles 2 pi i / 8, i = 0..7, std 0.01. (Spacing the angles
// with linspace(0, 2 pi, 8) would put modes 0 and 7 on the same spot: a known trap.)
inline Mixture ring() {
  Mixture m{"ring", {}, 0.01};
  for (int i = 0; i < 8; ++i) {
    const double a = 2 * std::numbers::pi * i / 8;
    m.means.push_back({std::cos(a), std::sin(a)});
  }
  return m;
}

// 25 modes at (i, j) for i, j in {-4, -2, 0, 2, 4}, std 0.05.
inline Mixture grid() {
  Mixture m{"grid", {}, 0.05};
  for (int i = -4; i <= 4; i += 2)
    for (int j = -4; j <= 4; j += 2) m.means.push_back({double(i), double(j)});
  return m;
}

inline Mixture mixture_by_name(const std::string& name) {
  if (name == "ring") return ring();
  if (name == "grid") return grid();
  fail("dataset: unknown dataset '", name, "'; use ring or grid");
}

struct ModeMetrics {
  int modes_captured = 0;
  int modes_total = 0;
  double high_quality = 0;  // fraction of samples within 3 std of their nearest mean
  double reverse_kl = 0;    // KL(histogram of high-quality samples over modes || uniform)
  std::vector<int64_t> counts;  // high-quality samples per mode
};

// Each sample goes to its nearest mean; it is high quality when closer than 3 std. A mode is
// captured when it holds at least one high-quality sample. Reverse KL = log K - H(p) with p the
// high-quality histogram; infinite when no sample is high quality.
template <class T>
ModeMetrics evaluate_modes(const Tensor<T>& samples, const Mixture& mix) {
  check(samples.rank() == 2 && samples.cols() == 2, "evaluate_modes: samples must be [n, 2], got ",
        samples.shape());
  check(samples.rows() > 0, "evaluate_modes: no samples");
  ModeMetrics r;
  r.modes_total = mix.modes();
  r.counts.assign(size_t(mix.modes()), 0);
  int64_t hq = 0;
  for (int64_t i = 0; i < samples.rows(); ++i) {
    double best = std::numeric_limits<double>::infinity();
    int arg = 0;
    for (int k = 0; k < mix.modes(); ++k) {
      const double dx = samples(i, 0) - mix.means[size_t(k)][0], dy = samples(i, 1) - mix.means[size_t(k)][1];
      const double d2 = dx * dx + dy * dy;
      if (d2 < best) best = d2, arg = k;
    }
    if (std::sqrt(best) < 3 * mix.std) ++hq, ++r.counts[size_t(arg)];
  }
  r.high_quality = double(hq) / double(samples.rows());
  double h = 0;
  for (int64_t c : r.counts) {
    if (c > 0) {
      ++r.modes_captured;
      const double p = double(c) / double(hq);
      h -= p * std::log(p);
    }
  }
  r.reverse_kl = hq > 0 ? std::log(double(mix.modes())) - h : std::numeric_limits<double>::infinity();
  return r;
}

}  // namespace entropic::gan
