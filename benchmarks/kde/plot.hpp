// The benchmarks' result rows and the log-log plot of time against n (bench_kde, and
// bench_entropy_scale with its own heading and row names).
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "../common.hpp"
#include "work.hpp"
#include "entropic/io/font.hpp"
#include "entropic/io/png.hpp"

namespace bench::kde {
using namespace entropic;

struct Row {
  std::string device, version;
  int64_t n, d;
  Pass pass;
  Stats t;
  double gflops = -1, pct = -1;  // < 0: not applicable (peers)
};

inline void line(io::Canvas& c, double x0, double y0, double x1, double y1, io::Rgb col, double r) {
  const int steps = std::max(1, int(std::hypot(x1 - x0, y1 - y0)));
  for (int s = 0; s <= steps; ++s) {
    const double t = double(s) / steps;
    c.disc(x0 + t * (x1 - x0), y0 + t * (y1 - y0), r, col);
  }
}

// A power of ten as a tick label: 0.001 .. 10000 written out, 1e-5 and 1e5 beyond.
inline std::string pow10_label(int e) {
  char buf[32];
  if (e >= -3 && e <= 4)
    std::snprintf(buf, sizeof buf, "%g", std::pow(10.0, e));
  else
    std::snprintf(buf, sizeof buf, "1e%d", e);
  return buf;
}

// Log-log time vs n: one column of panels per d, top row fwd, bottom row fwd+bwd; one colour
// per version or peer, named in the legend along the bottom. Each panel is titled with its d
// and pass and labels its axes: n at the measured sizes, time in ms at the powers of ten. The
// legend and the axis ranges also go to <png>.legend.txt. Other benchmarks (bench_entropy_scale)
// pass their own heading and row names (Row::pass then picks the row: Fwd the top one).
inline void write_plot(const std::string& png, const std::vector<Row>& rows,
                       const std::string& heading = "bench_kde: median time per call against n, log-log",
                       const std::vector<std::string>& row_names = {"fwd", "fwd+bwd"}) {
  std::vector<int64_t> ds;
  std::vector<std::string> series;
  for (const Row& r : rows) {
    if (std::find(ds.begin(), ds.end(), r.d) == ds.end()) ds.push_back(r.d);
    const std::string key = r.device + " " + r.version;
    if (std::find(series.begin(), series.end(), key) == series.end()) series.push_back(key);
  }
  if (ds.empty()) return;
  std::sort(ds.begin(), ds.end());
  static const io::Rgb palette[] = {{228, 26, 28},  {55, 126, 184}, {77, 175, 74},  {152, 78, 163}, {255, 127, 0},
                                    {166, 86, 40},  {247, 129, 191}, {90, 90, 90},   {23, 190, 207}, {188, 189, 34}};
  const io::Rgb black{0, 0, 0}, ink{50, 50, 50}, grid{215, 215, 215}, grid_n{232, 232, 232};

  // Each panel's ranges: n measured, and whole decades of ms around the times.
  struct Panel {
    bool any = false;
    double nmin = 1e300, nmax = 0, tmin = 1e300, tmax = 0;
    int e0 = 0, e1 = 0;  // decades shown: 10^e0 .. 10^e1 ms
  };
  std::vector<Panel> panels(ds.size() * 2);
  for (const Row& r : rows) {
    Panel& P = panels[size_t(std::find(ds.begin(), ds.end(), r.d) - ds.begin()) * 2 + (r.pass == Pass::Fwd ? 0 : 1)];
    P.any = true;
    P.nmin = std::min(P.nmin, double(r.n)), P.nmax = std::max(P.nmax, double(r.n));
    P.tmin = std::min(P.tmin, r.t.median), P.tmax = std::max(P.tmax, r.t.median);
  }
  int ylabel_w = 0;
  for (Panel& P : panels) {
    if (!P.any) continue;
    P.e0 = int(std::floor(std::log10(P.tmin))), P.e1 = int(std::ceil(std::log10(P.tmax) + 1e-9));
    if (P.e1 == P.e0) ++P.e1;
    for (int e = P.e0; e <= P.e1; ++e) ylabel_w = std::max(ylabel_w, io::text_width(pow10_label(e), 2));
  }

  // Layout, text at scale 2 (glyphs 10 x 14 pixels, lines 18 high).
  const int ts = 2, th = io::text_height("Xg", ts), gap = 6, tick = 5;
  const int pw = 360, ph = 280;
  const int left = gap + th + gap + ylabel_w + gap + tick;     // y label, tick labels, ticks
  const int top = th + 2 * gap;                                // panel title
  const int bottom = tick + gap + th + gap + th + 2 * gap;     // ticks, tick labels, x label
  const int right = 3 * gap + io::text_width("16384", ts) / 2;  // room for the last n label
  const int cw = left + pw + right, ch = top + ph + bottom;
  const int head_h = th + 3 * gap;
  const int W = std::max(int(ds.size()) * cw, io::text_width(heading, ts) + 4 * gap);
  const int x_off = (W - int(ds.size()) * cw) / 2;  // centres the panels under a wider heading
  // The legend: a swatch (line and dot, as drawn in the panels) and the name per series,
  // flowing left to right in rows.
  const int sw = 28, item_gap = 30, legend_row = th + 2 * gap;
  std::vector<std::pair<int, int>> item_at;  // (x, row) of each series' swatch
  {
    int x = 2 * gap, row = 0;
    for (const std::string& name : series) {
      const int w = sw + 2 * gap + io::text_width(name, ts);
      if (x > 2 * gap && x + w > W - 2 * gap) x = 2 * gap, ++row;
      item_at.push_back({x, row});
      x += w + item_gap;
    }
  }
  const int legend_rows = item_at.empty() ? 0 : item_at.back().second + 1;
  const bool two_rows = std::any_of(rows.begin(), rows.end(), [](const Row& r) { return r.pass == Pass::FwdBwd; });
  const int H = head_h + (two_rows ? 2 : 1) * ch + legend_rows * legend_row + 2 * gap;
  io::Canvas c(W, H);
  io::draw_text(c, W / 2, gap, heading, black, ts, io::Align::centre);

  std::string txt = heading + ": time (ms) against n, log-log; one colour per series.\n"
                    "Panels: columns are d (left to right), rows are " + row_names[0] + " (top) and " + row_names[1] +
                    " (bottom), where measured.\n"
                    "Light grey lines: powers of 10 in ms (horizontal) and the measured n (vertical).\n"
                    "The legend along the bottom edge names the series, left to right, in the order below.\n\nseries:\n";
  const int ly = head_h + (two_rows ? 2 : 1) * ch + gap;
  for (size_t s = 0; s < series.size(); ++s) {
    const io::Rgb col = palette[s % 10];
    char buf[160];
    std::snprintf(buf, sizeof buf, "  #%02x%02x%02x  swatch %zu  %s\n", col.r, col.g, col.b, s + 1, series[s].c_str());
    txt += buf;
    const int x = item_at[s].first, y = ly + item_at[s].second * legend_row, yc = y + io::font::kAscent * ts / 2;
    line(c, x, yc, x + sw, yc, col, 1.0);
    c.disc(x + sw / 2.0, yc, 4, col);
    io::draw_text(c, x + sw + 2 * gap, y, series[s], black, ts);
  }
  txt += "\npanels:\n";
  for (size_t di = 0; di < ds.size(); ++di)
    for (int pi = 0; pi < 2; ++pi) {
      const Pass pass = pi == 0 ? Pass::Fwd : Pass::FwdBwd;
      const Panel& P = panels[di * 2 + size_t(pi)];
      if (!P.any) continue;
      const double lx0 = std::log10(P.nmin) - 0.15, lx1 = std::log10(P.nmax) + 0.15;
      const int bx = x_off + int(di) * cw, by = head_h + pi * ch;  // the panel's block
      const int ox = bx + left, oy = by + top;             // its plot area
      auto px = [&](double n) { return ox + (std::log10(n) - lx0) / (lx1 - lx0) * pw; };
      auto py = [&](double t) { return oy + ph - (std::log10(t) - P.e0) / double(P.e1 - P.e0) * ph; };
      char title[96];
      std::snprintf(title, sizeof title, "d = %lld, %s", (long long)ds[di], row_names[size_t(pi)].c_str());
      io::draw_text(c, ox + pw / 2, by + gap, title, black, ts, io::Align::centre);
      // Horizontal lines and labels at the decades.
      for (int e = P.e0; e <= P.e1; ++e) {
        const int y = int(std::lround(py(std::pow(10.0, e))));
        if (e > P.e0 && e < P.e1) c.hline(y, ox, ox + pw, grid);
        c.hline(y, ox - tick, ox - 1, black);
        io::draw_text(c, ox - tick - gap, y - io::font::kAscent * ts / 2, pow10_label(e), ink, ts, io::Align::right);
      }
      // Vertical lines at the measured n, labelled left to right where there is room.
      std::vector<double> ns;
      for (const Row& r : rows)
        if (r.d == ds[di] && r.pass == pass) ns.push_back(double(r.n));
      std::sort(ns.begin(), ns.end());
      ns.erase(std::unique(ns.begin(), ns.end()), ns.end());
      int free_x = ox - 1000;
      for (double n : ns) {
        const int x = int(std::lround(px(n)));
        c.vline(x, oy + 1, oy + ph - 1, grid_n);
        c.vline(x, oy + ph + 1, oy + ph + tick, black);
        char lab[32];
        std::snprintf(lab, sizeof lab, "%lld", (long long)n);
        const int w = io::text_width(lab, ts);
        if (x - w / 2 < free_x) continue;
        io::draw_text(c, x, oy + ph + tick + gap, lab, ink, ts, io::Align::centre);
        free_x = x - w / 2 + w + 2 * gap;
      }
      c.hline(oy, ox, ox + pw, black), c.hline(oy + ph, ox, ox + pw, black);
      c.vline(ox, oy, oy + ph, black), c.vline(ox + pw, oy, oy + ph, black);
      // Axis labels: n under the tick labels, time (ms) up the left edge.
      io::draw_text(c, ox + pw / 2, oy + ph + tick + gap + th + gap, "n", black, ts, io::Align::centre);
      const std::string yl = "time (ms)";
      io::draw_text_up(c, bx + gap, oy + ph / 2 - io::text_width(yl, ts) / 2, yl, black, ts);
      for (size_t s = 0; s < series.size(); ++s) {
        std::vector<std::pair<double, double>> pts;
        for (const Row& r : rows)
          if (r.d == ds[di] && r.pass == pass && r.device + " " + r.version == series[s])
            pts.push_back({px(double(r.n)), py(r.t.median)});
        std::sort(pts.begin(), pts.end());
        for (size_t k = 0; k + 1 < pts.size(); ++k)
          line(c, pts[k].first, pts[k].second, pts[k + 1].first, pts[k + 1].second, palette[s % 10], 1.0);
        for (auto& p : pts) c.disc(p.first, p.second, 4, palette[s % 10]);
      }
      char buf[200];
      std::snprintf(buf, sizeof buf, "  column %zu row %d: d = %lld, %s; x: n in [%g, %g] (log), y: %g ms to %g ms (log)\n",
                    di + 1, pi + 1, (long long)ds[di], row_names[size_t(pi)].c_str(), P.nmin, P.nmax, std::pow(10.0, P.e0),
                    std::pow(10.0, P.e1));
      txt += buf;
    }
  io::write_png(png, c);
  io::write_atomically(png + ".legend.txt", [&](std::ostream& out) { out << txt; });
}

}  // namespace bench::kde
