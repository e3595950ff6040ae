// A scatter picture of 2D samples over the mixture's true means, written as a PNG.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "entropic/gan/mixture.hpp"
#include "entropic/io/font.hpp"
#include "entropic/io/png.hpp"

namespace entropic::gan {

namespace detail {

// The grid spacing: the smallest of 1, 2, 5 x 10^k that puts at most 13 lines across [-e, e].
inline double grid_step(double extent) {
  for (double p = std::pow(10.0, std::floor(std::log10(2 * extent / 13)) - 1);; p *= 10)
    for (double m : {1.0, 2.0, 5.0})
      if (2 * extent / (m * p) <= 13) return m * p;
}

inline std::string tick_label(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", std::fabs(v) < 1e-12 ? 0.0 : v);
  return buf;
}

}  // namespace detail

// Samples are blue dots (translucent, so density shows); each true mean is a red circle of
// radius 3 std, the high-quality zone of the metrics; grey lines mark a grid of round
// coordinates (darker through the origin), labelled along the left and bottom edges. The data
// square is size x size pixels; the title (if any, '\n' for more lines) goes above it, centred.
template <class T>
void plot_samples(const std::string& path, const Tensor<T>& samples, const Mixture& mix,
                  const std::string& title = "", int size = 600) {
  check(samples.rank() == 2 && samples.cols() == 2, "plot_samples: samples must be [n, 2], got ",
        samples.shape().str());
  check(size >= 50, "plot_samples: size must be at least 50, got ", size);
  double extent = 0;
  for (auto& m : mix.means) extent = std::max({extent, std::fabs(m[0]), std::fabs(m[1])});
  extent = extent * 1.5 + 0.1;
  const double scale = size / (2 * extent);
  auto px = [&](double x) { return (x + extent) * scale; };
  auto py = [&](double y) { return (extent - y) * scale; };
  const double step = detail::grid_step(extent);
  std::vector<double> ticks;
  for (long k = long(std::ceil(-extent / step - 1e-9)); k * step <= extent + 1e-9; ++k) ticks.push_back(k * step);

  // The data square, drawn as it always was, then framed by the labels.
  io::Canvas d(size, size);
  for (double g : ticks) {
    const io::Rgb grey = std::fabs(g) < step / 2 ? io::Rgb{190, 190, 190} : io::Rgb{232, 232, 232};
    d.vline(int(std::lround(px(g))), 0, size - 1, grey);
    d.hline(int(std::lround(py(g))), 0, size - 1, grey);
  }
  for (int64_t i = 0; i < samples.rows(); ++i)
    d.disc(px(samples(i, 0)), py(samples(i, 1)), 1.6, {30, 80, 200}, 0.35);
  for (auto& m : mix.means)
    d.ring(px(m[0]), py(m[1]), std::max(4.0, 3 * mix.std * scale), 1.5, {220, 30, 30});

  const int ts = size >= 400 ? 2 : 1;  // text scale
  const io::Rgb ink{40, 40, 40}, frame{150, 150, 150};
  int label_w = 0;
  for (double g : ticks) label_w = std::max(label_w, io::text_width(detail::tick_label(g), ts));
  const int tick = 4 * ts, gap = 3 * ts, pad = 6 * ts;
  const int left = pad + label_w + gap + tick, top = title.empty() ? pad : 2 * pad + io::text_height(title, ts);
  const int right = std::max(pad, label_w / 2 + 2 * ts), bottom = tick + gap + io::text_height("0", ts) + pad;
  const int W = std::max(left + size + right, io::text_width(title, ts) + 2 * pad), H = top + size + bottom;
  io::Canvas c(W, H);
  const auto& p = d.pixels();
  for (int y = 0; y < size; ++y)
    for (int x = 0; x < size; ++x) {
      const uint8_t* q = &p[(size_t(y) * size + x) * 3];
      c.blend(left + x, top + y, {q[0], q[1], q[2]});
    }
  c.hline(top - 1, left - 1, left + size, frame), c.hline(top + size, left - 1, left + size, frame);
  c.vline(left - 1, top - 1, top + size, frame), c.vline(left + size, top - 1, top + size, frame);
  for (double g : ticks) {
    const std::string s = detail::tick_label(g);
    const int x = left + int(std::lround(px(g))), y = top + int(std::lround(py(g)));
    for (int t = 0; t < ts; ++t) {
      c.hline(y + t - ts / 2, left - 1 - tick, left - 2, frame);
      c.vline(x + t - ts / 2, top + size + 1, top + size + tick, frame);
    }
    io::draw_text(c, left - 1 - tick - gap, y - io::font::kAscent * ts / 2, s, ink, ts, io::Align::right);
    io::draw_text(c, x, top + size + 1 + tick + gap, s, ink, ts, io::Align::centre);
  }
  if (!title.empty()) {  // centred over the data square, or over the picture when wider
    const int half = io::text_width(title, ts) / 2;
    const int cx = std::max(pad + half, std::min(left + size / 2, W - pad - half));
    io::draw_text(c, cx, pad, title, {0, 0, 0}, ts, io::Align::centre);
  }
  io::write_png(path, c);
}

// The former signature: no title.
template <class T>
void plot_samples(const std::string& path, const Tensor<T>& samples, const Mixture& mix, int size) {
  plot_samples(path, samples, mix, std::string(), size);
}

}  // namespace entropic::gan
