#include <doctest/doctest.h>
#include <stb/stb_image.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <memory>

#include "entropic/core/rng.hpp"
#include "entropic/gan/plot.hpp"

using namespace entropic;
namespace fs = std::filesystem;

namespace {

struct Image {
  int w = 0, h = 0;
  std::unique_ptr<uint8_t, void (*)(void*)> px{nullptr, stbi_image_free};
  bool dark(int x, int y) const {
    const uint8_t* p = px.get() + (size_t(y) * w + x) * 3;
    return p[0] < 100 && p[1] < 100 && p[2] < 100;
  }
  // Rows [y0, y1) holding a dark (text) pixel.
  int dark_rows(int y0, int y1) const {
    int n = 0;
    for (int y = y0; y < y1; ++y)
      for (int x = 0; x < w; ++x)
        if (dark(x, y)) {
          ++n;
          break;
        }
    return n;
  }
};

Image load(const std::string& path) {
  Image im;
  int channels = 0;
  im.px.reset(stbi_load(path.c_str(), &im.w, &im.h, &channels, 3));
  REQUIRE(im.px != nullptr);
  return im;
}

}  // namespace

TEST_CASE("plot_samples: a title above the data square and labelled ticks, the old signature still works") {
  const fs::path dir = fs::temp_directory_path() / ("entropic-plot-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  Rng rng(3);
  const gan::Mixture mix = gan::ring();
  const TensorF x = mix.sample<float>(500, rng);
  const std::string titled = (dir / "titled.png").string(), plain = (dir / "plain.png").string(),
                    sized = (dir / "sized.png").string();
  gan::plot_samples(titled, x, mix, "ring, lambda = 1");
  gan::plot_samples(plain, x, mix);
  gan::plot_samples(sized, x, mix, 300);
  const Image t = load(titled), p = load(plain), s = load(sized);
  // The data square is 600 pixels and the labels add margins; the title makes the picture taller
  // by its own height (18 pixels at scale 2) plus a gap.
  CHECK(p.w > 600);
  CHECK(p.h > 600);
  CHECK(t.w == p.w);
  CHECK(t.h > p.h + 18);
  CHECK(s.w > 300);
  CHECK(s.w < 400);
  // The title is dark text in the band above the frame; without a title the band is blank.
  const int band = t.h - p.h;
  CHECK(t.dark_rows(0, band) >= 14);
  CHECK(p.dark_rows(0, 12) == 0);
  // Tick labels: dark text below the data square (the x labels)...
  CHECK(p.dark_rows(p.h - 30, p.h) >= 10);
  // ... and in the left margin (the y labels), in several separate places.
  int runs = 0;
  bool prev = false;
  for (int y = 0; y < p.h - 40; ++y) {
    bool any = false;
    for (int x = 0; x < 60; ++x) any |= p.dark(x, y);
    runs += any && !prev;
    prev = any;
  }
  CHECK(runs == 7);  // -1.5, -1, ..., 1.5
  // A title wider than the plot widens the picture and stays whole: its first and last columns
  // of ink lie inside the picture, with the same margin on both sides.
  const std::string wide = (dir / "wide.png").string();
  gan::plot_samples(wide, x, mix, std::string(90, 'W'));
  const Image w = load(wide);
  CHECK(w.w > p.w);
  int first = w.w, last = -1;
  for (int y = 0; y < 30; ++y)
    for (int xx = 0; xx < w.w; ++xx)
      if (w.dark(xx, y)) first = std::min(first, xx), last = std::max(last, xx);
  CHECK(first > 0);
  CHECK(last < w.w - 1);
  CHECK(std::abs(first - (w.w - 1 - last)) <= 2);
  fs::remove_all(dir);
}
