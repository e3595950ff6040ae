// A small bitmap font of our own for labelling the PNG pictures: printable ASCII (32..126) and
// a few symbols the project writes (lambda, sigma, mu, +-, x-times, degree), each drawn by hand
// as 5 x 9 pixels: 7 rows above the baseline (capitals and digits fill them, the lower case
// letters the bottom 5) and 2 rows of descenders (g j p q y , ;). A glyph sits in a cell of
// 6 x 9 (one column of spacing); lines are 11 pixels apart (2 of leading). Everything scales by
// an integer factor. Unknown characters draw as a hollow box.
//
//   io::draw_text(canvas, x, y, "d = 64, fwd", {0, 0, 0}, 2);        // top-left corner at (x, y)
//   io::draw_text(canvas, cx, y, "title", {0, 0, 0}, 2, io::Align::centre);
//   int w = io::text_width("1e-3", 1), h = io::text_height("1e-3", 1);
//
// Strings are UTF-8; each code point is one glyph, '\n' starts a new line.
#pragma once
#include <algorithm>
#include <array>
#include <cstdint>
#include <iterator>
#include <string_view>

#include "entropic/io/png.hpp"

namespace entropic::io {

namespace font {

inline constexpr int kGlyphW = 5;   // ink columns of a glyph
inline constexpr int kGlyphH = 9;   // ink rows: 7 above the baseline, 2 below
inline constexpr int kAscent = 7;   // rows above the baseline
inline constexpr int kAdvance = 6;  // horizontal distance between glyph origins
inline constexpr int kLineAdvance = 11;

// One row per byte, bit 4 = leftmost column.
using Rows = std::array<uint8_t, kGlyphH>;

struct Glyph {
  char32_t cp;
  Rows rows;
};

namespace detail {

// A glyph drawn as text: 7 or 9 groups of 5 characters separated by a space, one group per row
// from the top, '#' for ink and '.' for none.
struct Art {
  char32_t cp;
  const char* rows;
};

// clang-format off
inline constexpr Art kArt[] = {
  {U' ',  "..... ..... ..... ..... ..... ..... ....."},
  {U'!',  "..#.. ..#.. ..#.. ..#.. ..#.. ..... ..#.."},
  {U'"',  ".#.#. .#.#. .#.#. ..... ..... ..... ....."},
  {U'#',  ".#.#. .#.#. ##### .#.#. ##### .#.#. .#.#."},
  {U'$',  "..#.. .#### #.#.. .###. ..#.# ####. ..#.."},
  {U'%',  "##... ##..# ...#. ..#.. .#... #..## ...##"},
  {U'&',  ".##.. #..#. #.#.. .#... #.#.# #..#. .##.#"},
  {U'\'', "..#.. ..#.. .#... ..... ..... ..... ....."},
  {U'(',  "...#. ..#.. .#... .#... .#... ..#.. ...#."},
  {U')',  ".#... ..#.. ...#. ...#. ...#. ..#.. .#..."},
  {U'*',  "..... ..#.. #.#.# .###. #.#.# ..#.. ....."},
  {U'+',  "..... ..#.. ..#.. ##### ..#.. ..#.. ....."},
  {U',',  "..... ..... ..... ..... ..... .##.. .##.. ..#.. .#..."},
  {U'-',  "..... ..... ..... ##### ..... ..... ....."},
  {U'.',  "..... ..... ..... ..... ..... .##.. .##.."},
  {U'/',  "....# ....# ...#. ..#.. .#... #.... #...."},
  {U'0',  ".###. #...# #..## #.#.# ##..# #...# .###."},
  {U'1',  "..#.. .##.. ..#.. ..#.. ..#.. ..#.. .###."},
  {U'2',  ".###. #...# ....# ...#. ..#.. .#... #####"},
  {U'3',  "##### ...#. ..#.. ...#. ....# #...# .###."},
  {U'4',  "...#. ..##. .#.#. #..#. ##### ...#. ...#."},
  {U'5',  "##### #.... ####. ....# ....# #...# .###."},
  {U'6',  "..##. .#... #.... ####. #...# #...# .###."},
  {U'7',  "##### ....# ...#. ..#.. .#... .#... .#..."},
  {U'8',  ".###. #...# #...# .###. #...# #...# .###."},
  {U'9',  ".###. #...# #...# .#### ....# ...#. .##.."},
  {U':',  "..... .##.. .##.. ..... .##.. .##.. ....."},
  {U';',  "..... .##.. .##.. ..... .##.. .##.. ..#.. .#... ....."},
  {U'<',  "...#. ..#.. .#... #.... .#... ..#.. ...#."},
  {U'=',  "..... ..... ##### ..... ##### ..... ....."},
  {U'>',  ".#... ..#.. ...#. ....# ...#. ..#.. .#..."},
  {U'?',  ".###. #...# ....# ...#. ..#.. ..... ..#.."},
  {U'@',  ".###. #...# #.### #.#.# #.### #.... .####"},
  {U'A',  ".###. #...# #...# ##### #...# #...# #...#"},
  {U'B',  "####. #...# #...# ####. #...# #...# ####."},
  {U'C',  ".###. #...# #.... #.... #.... #...# .###."},
  {U'D',  "###.. #..#. #...# #...# #...# #..#. ###.."},
  {U'E',  "##### #.... #.... ####. #.... #.... #####"},
  {U'F',  "##### #.... #.... ####. #.... #.... #...."},
  {U'G',  ".###. #...# #.... #.### #...# #...# .####"},
  {U'H',  "#...# #...# #...# ##### #...# #...# #...#"},
  {U'I',  ".###. ..#.. ..#.. ..#.. ..#.. ..#.. .###."},
  {U'J',  "..### ...#. ...#. ...#. ...#. #..#. .##.."},
  {U'K',  "#...# #..#. #.#.. ##... #.#.. #..#. #...#"},
  {U'L',  "#.... #.... #.... #.... #.... #.... #####"},
  {U'M',  "#...# ##.## #.#.# #.#.# #...# #...# #...#"},
  {U'N',  "#...# #...# ##..# #.#.# #..## #...# #...#"},
  {U'O',  ".###. #...# #...# #...# #...# #...# .###."},
  {U'P',  "####. #...# #...# ####. #.... #.... #...."},
  {U'Q',  ".###. #...# #...# #...# #.#.# #..#. .##.#"},
  {U'R',  "####. #...# #...# ####. #.#.. #..#. #...#"},
  {U'S',  ".#### #.... #.... .###. ....# ....# ####."},
  {U'T',  "##### ..#.. ..#.. ..#.. ..#.. ..#.. ..#.."},
  {U'U',  "#...# #...# #...# #...# #...# #...# .###."},
  {U'V',  "#...# #...# #...# #...# #...# .#.#. ..#.."},
  {U'W',  "#...# #...# #...# #.#.# #.#.# #.#.# .#.#."},
  {U'X',  "#...# #...# .#.#. ..#.. .#.#. #...# #...#"},
  {U'Y',  "#...# #...# .#.#. ..#.. ..#.. ..#.. ..#.."},
  {U'Z',  "##### ....# ...#. ..#.. .#... #.... #####"},
  {U'[',  ".###. .#... .#... .#... .#... .#... .###."},
  {U'\\', "#.... #.... .#... ..#.. ...#. ....# ....#"},
  {U']',  ".###. ...#. ...#. ...#. ...#. ...#. .###."},
  {U'^',  "..#.. .#.#. #...# ..... ..... ..... ....."},
  {U'_',  "..... ..... ..... ..... ..... ..... ..... ##### ....."},
  {U'`',  ".#... ..#.. ...#. ..... ..... ..... ....."},
  {U'a',  "..... ..... .###. ....# .#### #...# .####"},
  {U'b',  "#.... #.... ####. #...# #...# #...# ####."},
  {U'c',  "..... ..... .###. #.... #.... #...# .###."},
  {U'd',  "....# ....# .#### #...# #...# #...# .####"},
  {U'e',  "..... ..... .###. #...# ##### #.... .###."},
  {U'f',  "..##. .#..# .#... ###.. .#... .#... .#..."},
  {U'g',  "..... ..... .#### #...# #...# #...# .#### ....# .###."},
  {U'h',  "#.... #.... #.##. ##..# #...# #...# #...#"},
  {U'i',  "..#.. ..... .##.. ..#.. ..#.. ..#.. .###."},
  {U'j',  "...#. ..... ..##. ...#. ...#. ...#. ...#. #..#. .##.."},
  {U'k',  "#.... #.... #..#. #.#.. ##... #.#.. #..#."},
  {U'l',  ".##.. ..#.. ..#.. ..#.. ..#.. ..#.. .###."},
  {U'm',  "..... ..... ##.#. #.#.# #.#.# #.#.# #.#.#"},
  {U'n',  "..... ..... #.##. ##..# #...# #...# #...#"},
  {U'o',  "..... ..... .###. #...# #...# #...# .###."},
  {U'p',  "..... ..... ####. #...# #...# #...# ####. #.... #...."},
  {U'q',  "..... ..... .#### #...# #...# #...# .#### ....# ....#"},
  {U'r',  "..... ..... #.##. ##..# #.... #.... #...."},
  {U's',  "..... ..... .#### #.... .###. ....# ####."},
  {U't',  ".#... .#... ###.. .#... .#... .#..# ..##."},
  {U'u',  "..... ..... #...# #...# #...# #..## .##.#"},
  {U'v',  "..... ..... #...# #...# #...# .#.#. ..#.."},
  {U'w',  "..... ..... #...# #...# #.#.# #.#.# .#.#."},
  {U'x',  "..... ..... #...# .#.#. ..#.. .#.#. #...#"},
  {U'y',  "..... ..... #...# #...# #...# #...# .#### ....# .###."},
  {U'z',  "..... ..... ##### ...#. ..#.. .#... #####"},
  {U'{',  "...## ..#.. ..#.. .#... ..#.. ..#.. ...##"},
  {U'|',  "..#.. ..#.. ..#.. ..#.. ..#.. ..#.. ..#.."},
  {U'}',  "##... ..#.. ..#.. ...#. ..#.. ..#.. ##..."},
  {U'~',  "..... ..... .#... #.#.# ...#. ..... ....."},
  // Beyond ASCII: the symbols of the project's parameters and results.
  {U'\u00b0', ".##.. #..#. #..#. .##.. ..... ..... ....."},                 // degree
  {U'\u00b1', "..#.. ..#.. ##### ..#.. ..#.. ..... #####"},                 // plus-minus
  {U'\u00b5', "..... ..... #...# #...# #...# #..## ###.# #.... #...."},     // micro
  {U'\u00d7', "..... #...# .#.#. ..#.. .#.#. #...# ....."},                 // times
  {U'\u03bb', "#.... .#... .#... ..#.. .#.#. #...# #...#"},                 // lambda
  {U'\u03c3', "..... ..... .#### #..#. #...# #...# .###."},                 // sigma
};
// clang-format on

consteval Rows parse(const char* s) {
  Rows r{};
  int row = 0, col = 0;
  for (const char* p = s; *p; ++p) {
    if (*p == ' ') {
      if (col != kGlyphW) throw "font: a row must have 5 columns";
      ++row, col = 0;
      continue;
    }
    if (*p != '#' && *p != '.') throw "font: rows hold only '#' and '.'";
    if (row >= kGlyphH || col >= kGlyphW) throw "font: too many rows or columns";
    if (*p == '#') r[row] = uint8_t(r[row] | (1u << (kGlyphW - 1 - col)));
    ++col;
  }
  if (col != kGlyphW || (row != kAscent - 1 && row != kGlyphH - 1)) throw "font: a glyph has 7 or 9 rows";
  return r;
}

consteval auto build() {
  std::array<Glyph, std::size(kArt)> g{};
  for (size_t i = 0; i < std::size(kArt); ++i) g[i] = {kArt[i].cp, parse(kArt[i].rows)};
  for (size_t i = 0; i < 95; ++i)
    if (g[i].cp != char32_t(32 + i)) throw "font: the first 95 glyphs are ASCII 32..126 in order";
  return g;
}

}  // namespace detail

inline constexpr auto kGlyphs = detail::build();

// The drawing of an unknown character: a hollow box the size of a capital.
inline constexpr Rows kBox = detail::parse("##### #...# #...# #...# #...# #...# #####");

// The glyph of code point cp, or nullptr when the font has none.
constexpr const Rows* find(char32_t cp) {
  if (cp >= 32 && cp <= 126) return &kGlyphs[cp - 32].rows;
  for (size_t i = 95; i < kGlyphs.size(); ++i)
    if (kGlyphs[i].cp == cp) return &kGlyphs[i].rows;
  return nullptr;
}

// Decodes the next UTF-8 code point of s at i and advances i; a malformed byte is U+FFFD.
constexpr char32_t next_code_point(std::string_view s, size_t& i) {
  const auto b = uint8_t(s[i++]);
  if (b < 0x80) return b;
  int extra = b >= 0xf8 ? -1 : b >= 0xf0 ? 3 : b >= 0xe0 ? 2 : b >= 0xc0 ? 1 : -1;
  if (extra < 0) return 0xfffd;
  char32_t cp = b & (0x3f >> extra);
  for (; extra > 0; --extra) {
    if (i >= s.size() || (uint8_t(s[i]) & 0xc0) != 0x80) return 0xfffd;
    cp = (cp << 6) | (uint8_t(s[i++]) & 0x3f);
  }
  return cp;
}

}  // namespace font

enum class Align { left, centre, right };

// Width in pixels of the widest line of s at the given scale: 6 per glyph less the trailing
// spacing column (0 for an empty line).
inline int text_width(std::string_view s, int scale = 1) {
  int widest = 0, n = 0;
  for (size_t i = 0; i < s.size();) {
    if (font::next_code_point(s, i) == U'\n') {
      widest = std::max(widest, n), n = 0;
    } else {
      ++n;
    }
  }
  widest = std::max(widest, n);
  return widest == 0 ? 0 : (widest * font::kAdvance - 1) * scale;
}

// Height in pixels of s at the given scale: 9 for one line (descenders included), 11 more per
// further line.
inline int text_height(std::string_view s, int scale = 1) {
  int lines = 1;
  for (char ch : s) lines += ch == '\n';
  return ((lines - 1) * font::kLineAdvance + font::kGlyphH) * scale;
}

namespace font::detail {

// Calls put(dx, dy) for each ink pixel of s, in text coordinates from its top-left corner
// (unrotated, scale applied); each line is placed by align within the widest line's width.
template <class Put>
void for_each_pixel(std::string_view s, int scale, Align align, Put&& put) {
  const int box_w = text_width(s, scale);
  size_t i = 0;
  for (int line = 0; i <= s.size(); ++line) {
    const size_t end = std::min(s.find('\n', i), s.size());
    const std::string_view l = s.substr(i, end - i);
    const int w = text_width(l, scale);
    int x = align == Align::left ? 0 : align == Align::centre ? (box_w - w) / 2 : box_w - w;
    const int y = line * kLineAdvance * scale;
    for (size_t j = 0; j < l.size();) {
      const Rows* g = find(next_code_point(l, j));
      const Rows& rows = g ? *g : kBox;
      for (int r = 0; r < kGlyphH; ++r)
        for (int c = 0; c < kGlyphW; ++c)
          if (rows[r] >> (kGlyphW - 1 - c) & 1)
            for (int sy = 0; sy < scale; ++sy)
              for (int sx = 0; sx < scale; ++sx) put(x + c * scale + sx, y + r * scale + sy);
      x += kAdvance * scale;
    }
    i = end + 1;
  }
}

}  // namespace font::detail

// Draws s with its box's top-left corner at (x, y); with Align::centre x is the box's centre,
// with Align::right its right edge (lines of a multi-line string are aligned the same way).
// Pixels outside the canvas are skipped. scale >= 1 multiplies every pixel.
inline void draw_text(Canvas& c, int x, int y, std::string_view s, Rgb colour, int scale = 1,
                      Align align = Align::left) {
  check(scale >= 1, "draw_text: scale must be >= 1, got ", scale);
  const int w = text_width(s, scale);
  const int x0 = align == Align::left ? x : align == Align::centre ? x - w / 2 : x - w;
  font::detail::for_each_pixel(s, scale, align, [&](int dx, int dy) { c.blend(x0 + dx, y + dy, colour); });
}

// Draws s rotated a quarter turn anticlockwise (reading upwards, as a y-axis label) with its
// box's top-left corner at (x, y): the box is text_height(s) wide and text_width(s) tall, so
// `y = cy - text_width(s, scale) / 2` centres it on cy.
inline void draw_text_up(Canvas& c, int x, int y, std::string_view s, Rgb colour, int scale = 1) {
  check(scale >= 1, "draw_text_up: scale must be >= 1, got ", scale);
  const int w = text_width(s, scale);
  // Text pixel (dx, dy) goes to (x + dy, y + w - 1 - dx).
  font::detail::for_each_pixel(s, scale, Align::left,
                               [&](int dx, int dy) { c.blend(x + dy, y + w - 1 - dx, colour); });
}

// Fills the rectangle [x0, x1] x [y0, y1] (clipped to the canvas) with colour at opacity a: a
// backdrop that keeps text legible over a busy picture.
inline void fill_rect(Canvas& c, int x0, int y0, int x1, int y1, Rgb colour, double a = 1.0) {
  for (int y = std::max(y0, 0); y <= std::min(y1, c.height() - 1); ++y)
    for (int x = std::max(x0, 0); x <= std::min(x1, c.width() - 1); ++x) c.blend(x, y, colour, a);
}

}  // namespace entropic::io
