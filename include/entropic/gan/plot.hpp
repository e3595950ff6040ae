// A scatter picture of 2D samples over the mixture's true means, written as a PNG.
#pragma once
#include <algorithm>
#include <cmath>
#include <string>

#include "entropic/gan/mixture.hpp"
#include "entropic/io/png.hpp"

namespace entropic::gan {

// Samples are blue dots (translucent, so density shows); each true mean is a red circle of
// radius 3 std, the high-quality zone of the metrics; grey lines mark the integer grid.
template <class T>
void plot_samples(const std::string& path, const Tensor<T>& samples, const Mixture& mix, int size = 600) {
  check(samples.rank() == 2 && samples.cols() == 2, "plot_samples: samples must be [n, 2], got ",
        samples.shape().str());
  double extent = 0;
  for (auto& m : mix.means) extent = std::max({extent, std::fabs(m[0]), std::fabs(m[1])});
  extent = extent * 1.5 + 0.1;
  io::Canvas c(size, size);
  const double scale = size / (2 * extent);
  auto px = [&](double x) { return (x + extent) * scale; };
  auto py = [&](double y) { return (extent - y) * scale; };
  for (int g = -int(extent); g <= int(extent); ++g) {
    const io::Rgb grey = g == 0 ? io::Rgb{190, 190, 190} : io::Rgb{232, 232, 232};
    c.vline(int(std::lround(px(g))), 0, size - 1, grey);
    c.hline(int(std::lround(py(g))), 0, size - 1, grey);
  }
  for (int64_t i = 0; i < samples.rows(); ++i)
    c.disc(px(samples(i, 0)), py(samples(i, 1)), 1.6, {30, 80, 200}, 0.35);
  for (auto& m : mix.means)
    c.ring(px(m[0]), py(m[1]), std::max(4.0, 3 * mix.std * scale), 1.5, {220, 30, 30});
  io::write_png(path, c);
}

}  // namespace entropic::gan
