#include <doctest/doctest.h>

#include <set>
#include <string>

#include "entropic/io/font.hpp"

using namespace entropic;

namespace {

const io::Rgb kInk{0, 0, 0};

bool inked(const io::Canvas& c, int x, int y) {
  const uint8_t* p = &c.pixels()[(size_t(y) * c.width() + x) * 3];
  return p[0] != 255 || p[1] != 255 || p[2] != 255;
}

struct Box {
  int x0 = 1 << 30, y0 = 1 << 30, x1 = -1, y1 = -1;  // inclusive; x1 < 0 when nothing is inked
  long count = 0;
};

Box ink_box(const io::Canvas& c) {
  Box b;
  for (int y = 0; y < c.height(); ++y)
    for (int x = 0; x < c.width(); ++x)
      if (inked(c, x, y)) {
        b.x0 = std::min(b.x0, x), b.y0 = std::min(b.y0, y), b.x1 = std::max(b.x1, x), b.y1 = std::max(b.y1, y);
        ++b.count;
      }
  return b;
}

std::string printable_ascii() {
  std::string s;
  for (int ch = 32; ch <= 126; ++ch) s += char(ch);
  return s;
}

}  // namespace

TEST_CASE("font: every glyph differs from every other and from the unknown-character box") {
  std::set<io::font::Rows> seen{io::font::kBox};
  for (const auto& g : io::font::kGlyphs) {
    INFO("code point ", uint32_t(g.cp));
    CHECK(seen.insert(g.rows).second);
  }
  CHECK(seen.size() == io::font::kGlyphs.size() + 1);
  // Every printable ASCII character is covered, and only the space is blank.
  for (char32_t cp = 32; cp <= 126; ++cp) {
    const io::font::Rows* g = io::font::find(cp);
    REQUIRE(g != nullptr);
    bool any = false;
    for (uint8_t r : *g) {
      any |= r != 0;
      CHECK(r < (1u << io::font::kGlyphW));
    }
    CHECK(any == (cp != U' '));
  }
  CHECK(io::font::find(U'\u03bb') != nullptr);
  CHECK(io::font::find(U'\u2603') == nullptr);
  CHECK(io::font::find(U'\t') == nullptr);
}

TEST_CASE("font: text_width and text_height") {
  CHECK(io::text_width("") == 0);
  CHECK(io::text_width("A") == 5);
  CHECK(io::text_width("AB") == 11);
  CHECK(io::text_width("AB", 3) == 33);
  CHECK(io::text_width("abc\nd\nef") == 17);   // the widest line
  CHECK(io::text_width("\u03bb = 1") == 29);   // a code point is one glyph, whatever its UTF-8 length
  CHECK(io::text_height("x") == 9);
  CHECK(io::text_height("x", 2) == 18);
  CHECK(io::text_height("x\ny") == 20);
  CHECK(io::text_height("x\ny\nz", 3) == 3 * 31);
}

TEST_CASE("font: a string's ink lies inside its reported width and height") {
  const std::string strings[] = {printable_ascii(), "gjpqy,;_", "Ty", "d = 64, fwd+bwd", "[1e-3]", "\u03bb\u03c3\u00b1\u00b5\u00d7\u00b0",
                                 "two\nlines, the second longer", "|"};
  for (const std::string& s : strings)
    for (int scale : {1, 2, 3})
      for (io::Align align : {io::Align::left, io::Align::centre, io::Align::right}) {
        INFO("'", s, "' scale ", scale, " align ", int(align));
        const int w = io::text_width(s, scale), h = io::text_height(s, scale);
        io::Canvas c(w + 40, h + 40);
        const int left = 20, top = 20;
        const int x = align == io::Align::left ? left : align == io::Align::centre ? left + w / 2 : left + w;
        io::draw_text(c, x, top, s, kInk, scale, align);
        const Box b = ink_box(c);
        REQUIRE(b.count > 0);
        CHECK(b.x0 >= left);
        CHECK(b.x1 < left + w);
        CHECK(b.y0 >= top);
        CHECK(b.y1 < top + h);
      }
  // The box is tight: a string with a full-width first and last glyph and a descender touches
  // all four sides.
  io::Canvas c(200, 40);
  io::draw_text(c, 10, 10, "Mg", kInk);
  const Box b = ink_box(c);
  CHECK(b.x0 == 10);
  CHECK(b.x1 == 10 + io::text_width("Mg") - 1);
  CHECK(b.y0 == 10);
  CHECK(b.y1 == 10 + io::text_height("Mg") - 1);
}

TEST_CASE("font: scale 2 doubles the extent and every pixel") {
  for (const std::string s : {"Hello, world", "0.25", "gjpqy", "\u03bb"}) {
    INFO(s);
    io::Canvas c1(200, 40), c2(400, 80);
    io::draw_text(c1, 0, 0, s, kInk, 1);
    io::draw_text(c2, 0, 0, s, kInk, 2);
    const Box b1 = ink_box(c1), b2 = ink_box(c2);
    CHECK(io::text_width(s, 2) == 2 * io::text_width(s, 1));
    CHECK(io::text_height(s, 2) == 2 * io::text_height(s, 1));
    CHECK(b2.x0 == 2 * b1.x0);
    CHECK(b2.y0 == 2 * b1.y0);
    CHECK(b2.x1 + 1 == 2 * (b1.x1 + 1));
    CHECK(b2.y1 + 1 == 2 * (b1.y1 + 1));
    CHECK(b2.count == 4 * b1.count);
    bool same = true;
    for (int y = 0; y < 80; ++y)
      for (int x = 0; x < 400; ++x) same &= inked(c2, x, y) == inked(c1, x / 2, y / 2);
    CHECK(same);
  }
}

TEST_CASE("font: an unknown character draws as a box and takes one cell") {
  for (const std::string s : {"\x01", "\t", "\u2603", "\xff"}) {  // control, tab, snowman, malformed UTF-8
    io::Canvas c(20, 20);
    io::draw_text(c, 2, 3, s, kInk);
    CHECK(io::text_width(s) == 5);
    for (int y = 0; y < 20; ++y)
      for (int x = 0; x < 20; ++x) {
        const bool box = x >= 2 && x <= 6 && y >= 3 && y <= 9 && (x == 2 || x == 6 || y == 3 || y == 9);
        CHECK(inked(c, x, y) == box);
      }
  }
  CHECK(io::text_width("a\u2603b") == 17);
}

TEST_CASE("font: drawing across the canvas edges clips instead of writing out of bounds") {
  // A reference drawing on a large canvas, then the same text shifted so it hangs over each edge
  // of a small one; the small canvas must hold exactly the overlapping part.
  const std::string s = "Clip me: gjpqy 0123";
  const int scale = 2, w = io::text_width(s, scale), h = io::text_height(s, scale);
  io::Canvas ref(w, h);
  io::draw_text(ref, 0, 0, s, kInk, scale);
  for (int ox : {-w, -w / 2, -3, 0, 5, 20, 30})
    for (int oy : {-h, -h / 2, -1, 0, 4, 9, 11}) {
      INFO("offset ", ox, ", ", oy);
      io::Canvas c(31, 12);
      io::draw_text(c, ox, oy, s, kInk, scale);
      bool same = true;
      for (int y = 0; y < c.height(); ++y)
        for (int x = 0; x < c.width(); ++x) {
          const int rx = x - ox, ry = y - oy;
          const bool want = rx >= 0 && ry >= 0 && rx < w && ry < h && inked(ref, rx, ry);
          same &= inked(c, x, y) == want;
        }
      CHECK(same);
    }
  io::Canvas tiny(1, 1);
  io::draw_text(tiny, -100000, -100000, s, kInk, 3);
  io::draw_text(tiny, 100000, 100000, s, kInk, 3);
  io::draw_text_up(tiny, -5, -5, s, kInk, 3);
  io::fill_rect(tiny, -10, -10, 10, 10, {1, 2, 3});
  CHECK(tiny.pixels()[0] == 1);
  CHECK_THROWS_AS(io::draw_text(tiny, 0, 0, "x", kInk, 0), Error);
}

TEST_CASE("font: draw_text_up is draw_text turned a quarter anticlockwise") {
  const std::string s = "time (ms)";
  const int w = io::text_width(s), h = io::text_height(s);
  io::Canvas flat(w, h), up(h + 10, w + 10);
  io::draw_text(flat, 0, 0, s, kInk);
  io::draw_text_up(up, 4, 6, s, kInk);
  const Box b = ink_box(up);
  CHECK(b.x0 >= 4);
  CHECK(b.x1 < 4 + h);
  CHECK(b.y0 >= 6);
  CHECK(b.y1 < 6 + w);
  bool same = true;
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) same &= inked(flat, x, y) == inked(up, 4 + y, 6 + w - 1 - x);
  CHECK(same);
}
