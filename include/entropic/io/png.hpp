// PNG output through stb_image_write (Debian libstb-dev: link with -lstb, or pkg-config stb),
// written atomically, and a small RGB canvas for scatter plots and image grids.
#pragma once
#include <stb/stb_image_write.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "entropic/io/file.hpp"

namespace entropic::io {

struct Rgb {
  uint8_t r, g, b;
};

class Canvas {
 public:
  Canvas(int w, int h, Rgb bg = {255, 255, 255}) : w_(w), h_(h), px_(size_t(w) * h * 3) {
    check(w > 0 && h > 0, "canvas: size must be positive, got ", w, "x", h);
    for (int i = 0; i < w * h; ++i) set_index(i, bg);
  }
  int width() const { return w_; }
  int height() const { return h_; }

  // Blends colour c over pixel (x, y) with opacity a in [0, 1]; outside pixels are ignored.
  void blend(int x, int y, Rgb c, double a = 1.0) {
    if (x < 0 || y < 0 || x >= w_ || y >= h_) return;
    uint8_t* p = &px_[(size_t(y) * w_ + x) * 3];
    p[0] = uint8_t(std::lround(p[0] * (1 - a) + c.r * a));
    p[1] = uint8_t(std::lround(p[1] * (1 - a) + c.g * a));
    p[2] = uint8_t(std::lround(p[2] * (1 - a) + c.b * a));
  }
  void disc(double cx, double cy, double r, Rgb c, double a = 1.0) {
    for (int y = int(std::floor(cy - r)); y <= int(std::ceil(cy + r)); ++y)
      for (int x = int(std::floor(cx - r)); x <= int(std::ceil(cx + r)); ++x)
        if ((x - cx) * (x - cx) + (y - cy) * (y - cy) <= r * r) blend(x, y, c, a);
  }
  void ring(double cx, double cy, double r, double width, Rgb c) {
    for (int y = int(std::floor(cy - r - width)); y <= int(std::ceil(cy + r + width)); ++y)
      for (int x = int(std::floor(cx - r - width)); x <= int(std::ceil(cx + r + width)); ++x) {
        const double d = std::sqrt((x - cx) * (x - cx) + (y - cy) * (y - cy));
        if (std::fabs(d - r) <= width / 2) blend(x, y, c);
      }
  }
  void hline(int y, int x0, int x1, Rgb c) {
    for (int x = x0; x <= x1; ++x) blend(x, y, c);
  }
  void vline(int x, int y0, int y1, Rgb c) {
    for (int y = y0; y <= y1; ++y) blend(x, y, c);
  }
  const std::vector<uint8_t>& pixels() const { return px_; }

 private:
  void set_index(int i, Rgb c) {
    px_[size_t(i) * 3] = c.r;
    px_[size_t(i) * 3 + 1] = c.g;
    px_[size_t(i) * 3 + 2] = c.b;
  }
  int w_, h_;
  std::vector<uint8_t> px_;
};

// Writes 8-bit pixels (channels 1 = grey, 3 = RGB) as a PNG, atomically.
inline void write_png(const std::string& path, int w, int h, int channels, const uint8_t* pixels) {
  check(channels == 1 || channels == 3 || channels == 4, "write_png: channels must be 1, 3 or 4, got ", channels);
  write_atomically(path, [&](std::ostream& out) {
    auto sink = [](void* ctx, void* data, int size) {
      static_cast<std::ostream*>(ctx)->write(static_cast<const char*>(data), size);
    };
    check(stbi_write_png_to_func(sink, &out, w, h, channels, pixels, w * channels) != 0,
          "write_png: encoding ", path, " failed");
  });
}

inline void write_png(const std::string& path, const Canvas& c) {
  write_png(path, c.width(), c.height(), 3, c.pixels().data());
}

}  // namespace entropic::io
