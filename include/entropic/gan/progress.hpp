// Training progress: a one-line bar redrawn in place on a terminal, plain periodic lines
// otherwise (logs, CI), so output stays readable in both.
#pragma once
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <string>

namespace entropic::gan {

// Seconds as minutes:seconds ("12:05"), rounded to the second: elapsed times and ETAs.
inline std::string format_clock(double s) {
  char b[32];
  const long v = long(s + 0.5);
  std::snprintf(b, sizeof b, "%ld:%02ld", v / 60, v % 60);
  return b;
}

class Progress {
 public:
  Progress(int64_t total, int64_t start, int64_t line_every, FILE* out = stdout)
      : total_(total), start_(start), every_(line_every), out_(out), tty_(isatty(fileno(out)) != 0),
        t0_(std::chrono::steady_clock::now()) {}

  // `fields` is the text after the counters, e.g. "d 0.69 g 0.71 H 1.23".
  void update(int64_t it, const std::string& fields) {
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0_).count();
    const double rate = secs > 0 ? double(it - start_) / secs : 0;
    const double eta = rate > 0 ? double(total_ - it) / rate : 0;
    if (tty_) {
      if (it != total_ && secs - last_draw_ < 0.1) return;
      last_draw_ = secs;
      const int width = 24, filled = int(width * double(it) / double(total_));
      std::fprintf(out_, "\r[%s%s] %lld/%lld %s | %.1f it/s ETA %s   ",
                   std::string(size_t(filled), '#').c_str(), std::string(size_t(width - filled), '.').c_str(),
                   (long long)it, (long long)total_, fields.c_str(), rate, clock(eta).c_str());
      if (it == total_) std::fprintf(out_, "\n");
    } else if (it % every_ == 0 || it == total_) {
      std::fprintf(out_, "iter %lld/%lld %s | %.1f it/s ETA %s\n", (long long)it, (long long)total_,
                   fields.c_str(), rate, clock(eta).c_str());
    }
    std::fflush(out_);
  }
  // Whether update(it) would print now: a caller whose fields cost a wait for the device asks first.
  bool due(int64_t it) const {
    if (!tty_) return it % every_ == 0 || it == total_;
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0_).count();
    return it == total_ || secs - last_draw_ >= 0.1;
  }
  // A message that must not be overwritten by the bar.
  void note(const std::string& msg) {
    std::fprintf(out_, "%s%s\n", tty_ ? "\r\033[K" : "", msg.c_str());
    std::fflush(out_);
  }

 private:
  static std::string clock(double s) { return format_clock(s); }
  int64_t total_, start_, every_;
  FILE* out_;
  bool tty_;
  std::chrono::steady_clock::time_point t0_;
  double last_draw_ = -1;
};

}  // namespace entropic::gan
