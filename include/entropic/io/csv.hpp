// Reading numeric CSV files (one sample a row, an optional header line).
#pragma once
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <limits>
#include <sstream>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include <unistd.h>

#include "entropic/core/error.hpp"
#include "entropic/core/tensor.hpp"

namespace entropic::io {

namespace detail {
inline std::vector<std::string> split_csv_line(const std::string& line) {
  std::vector<std::string> out;
  std::string cell;
  std::istringstream s(line);
  while (std::getline(s, cell, ',')) out.push_back(cell);
  if (!line.empty() && line.back() == ',') out.push_back("");
  return out;
}
inline std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t\r");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t\r") - b + 1);
}
enum class Cell { number, not_number, out_of_range };
// strtod sets ERANGE both for overflow and for underflow; only overflow loses the value (an
// underflow is a tiny number or zero), so only overflow is refused.
inline Cell parse_double(const std::string& cell, double& v) {
  const std::string t = trim(cell);
  if (t.empty()) return Cell::not_number;
  char* end = nullptr;
  errno = 0;
  v = std::strtod(t.c_str(), &end);
  if (end != t.c_str() + t.size()) return Cell::not_number;
  return errno == ERANGE && std::isinf(v) ? Cell::out_of_range : Cell::number;
}
}  // namespace detail

namespace detail {
// One CSV line at a time: the header rule, the cells and every error, shared by parse_csv (text
// in memory) and read_csv (a file streamed). The first non-blank line is a header when any of
// its cells is not a number (and it must then be line 1); every data line has the first's count.
template <class T>
class CsvLines {
 public:
  explicit CsvLines(std::string path) : path_(std::move(path)) {}

  // Returns true when `line` (NUL-terminated after its end, as a std::string's is) is a data
  // row, its values then in row(); false for a blank line or the header.
  bool parse(const std::string& line, int64_t lineno) {
    if (cols_ > 0 && fast(line)) return ++rows_, true;
    return slow(line, lineno);
  }
  int64_t cols() const { return cols_; }
  int64_t rows() const { return rows_; }
  bool has_header() const { return header_; }
  const std::vector<double>& row() const { return row_; }

 private:
  static bool blank_byte(char c) { return c == ' ' || c == '\t' || c == '\r'; }
  // The common case without a std::string a cell: strtod straight on the line. Anything unusual
  // (an empty, non-numeric, out-of-range, tiny or non-finite cell, a wrong count) returns false
  // and slow() decides, so both paths accept the same lines and only slow() words errors.
  bool fast(const std::string& line) {
    row_.clear();
    const char* p = line.data();
    const char* const end = p + line.size();
    for (;;) {
      const char* comma = static_cast<const char*>(std::memchr(p, ',', size_t(end - p)));
      if (!comma) comma = end;
      const char* b = p;
      const char* e = comma;
      while (b < e && blank_byte(*b)) ++b;
      while (e > b && blank_byte(e[-1])) --e;
      if (b == e || std::isspace(static_cast<unsigned char>(*b))) return false;
      errno = 0;
      char* stop = nullptr;
      const double v = std::strtod(b, &stop);
      if (stop != e || errno == ERANGE || !std::isfinite(v)) return false;
      if (std::is_same_v<T, float> && std::fabs(v) > double(std::numeric_limits<float>::max())) return false;
      row_.push_back(v);
      if (comma == end) break;
      p = comma + 1;
    }
    return int64_t(row_.size()) == cols_;
  }
  bool slow(const std::string& line, int64_t lineno) {
    const char* type = std::is_same_v<T, float> ? "a float" : "a double";
    if (trim(line).empty()) return false;
    const auto cells = split_csv_line(line);
    row_.clear();
    bool numeric = true;
    size_t bad = 0;
    for (size_t c = 0; c < cells.size() && numeric; ++c) {
      double v = 0;
      const Cell k = parse_double(cells[c], v);
      // if/fail: check() would build the quoted cell for every cell of the file.
      if (k == Cell::out_of_range)
        fail("read_csv: ", path_, " line ", lineno, ", column ", c + 1, ": '", printable(trim(cells[c])),
             "' is out of range of a double");
      // Converting a double beyond a float's range to float is undefined behaviour.
      if (k == Cell::number && std::is_same_v<T, float> && std::isfinite(v) &&
          std::fabs(v) > double(std::numeric_limits<float>::max()))
        fail("read_csv: ", path_, " line ", lineno, ", column ", c + 1, ": '", printable(trim(cells[c])),
             "' is out of range of ", type);
      if (k == Cell::number) row_.push_back(v);
      else numeric = false, bad = c;
    }
    if (!numeric) {
      check(rows_ == 0 && cols_ == -1 && lineno == 1, "read_csv: ", path_, " line ", lineno, ", column ", bad + 1,
            ": '", printable(trim(cells[bad])), "' is not a number");
      cols_ = int64_t(cells.size());
      header_ = true;
      return false;
    }
    if (cols_ == -1) cols_ = int64_t(row_.size());
    check(int64_t(row_.size()) == cols_, "read_csv: ", path_, " line ", lineno, " has ", row_.size(),
          " values, expected ", cols_, " like the lines before it");
    for (size_t c = 0; c < row_.size(); ++c)
      check(std::isfinite(row_[c]), "read_csv: ", path_, " line ", lineno, ", column ", c + 1,
            " holds a non-finite value (", row_[c], "); NaN and infinities cannot be used");
    ++rows_;
    return true;
  }

  std::string path_;
  int64_t cols_ = -1, rows_ = 0;
  bool header_ = false;
  std::vector<double> row_;
};

// Bytes of memory the system could give this process now without swapping: Linux's
// MemAvailable, else the free physical pages; INT64_MAX when neither can be read.
inline int64_t available_memory_bytes() {
  std::ifstream f("/proc/meminfo");
  for (std::string key; f >> key;) {
    int64_t kb = 0;
    std::string unit;
    f >> kb >> unit;
    if (key == "MemAvailable:" && kb > 0) return kb * 1024;
  }
#if defined(_SC_AVPHYS_PAGES) && defined(_SC_PAGESIZE)
  const long pages = sysconf(_SC_AVPHYS_PAGES), page = sysconf(_SC_PAGESIZE);
  if (pages > 0 && page > 0) return int64_t(pages) * int64_t(page);
#endif
  return std::numeric_limits<int64_t>::max();
}
}  // namespace detail

// Parses CSV text of numbers into an [rows, cols] tensor; `path` names it in errors. The first
// line is taken as a header when any of its cells is not a number. Blank lines are skipped.
// Errors name the file, line and column, and quote the cell as printable text.
template <class T>
Tensor<T> parse_csv(std::string_view text, const std::string& path) {
  detail::CsvLines<T> lines(path);
  std::vector<T> values;
  size_t pos = 0;
  for (int64_t lineno = 1; pos < text.size(); ++lineno) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string_view::npos) nl = text.size();
    const std::string line(text.substr(pos, nl - pos));
    pos = nl + 1;
    if (lines.parse(line, lineno))
      for (const double v : lines.row()) values.push_back(T(v));
  }
  check(lines.rows() > 0, "read_csv: ", path, " holds no data rows");
  return Tensor<T>::from({lines.rows(), lines.cols()}, values);
}

struct CsvReadOptions {
  // The most bytes the samples may take; past it read_csv refuses the file before allocating.
  // -1: the memory available when the file is opened (detail::available_memory_bytes()).
  int64_t max_bytes = -1;
};

namespace detail {
inline void refuse_size(const std::string& path, int64_t rows, int64_t cols, size_t elem, const char* type,
                        int64_t limit, bool allowed) {
  fail("read_csv: ", path, " holds at least ", rows, rows == 1 ? " row" : " rows", " of ", cols, " values: ",
       double(rows) * double(cols) * double(elem) / 1e9, " GB as ", type, ", more than the ", double(limit) / 1e9,
       " GB of memory ", allowed ? "allowed" : "available",
       "; use a subset of the rows (e.g. shuf -n 1000000 FILE) or a machine with more memory");
}
}  // namespace detail

// Reads CSV text from a stream that cannot be read twice (a pipe, stdin), as parse_csv, in one
// pass: each row's values go into blocks of 64 Ki values (never the text), refused as soon as
// the rows so far pass max_bytes; at the end the tensor is allocated and the blocks copied in,
// each freed once copied (the tensor's pages are only touched by the copy, so memory holds about
// the samples plus one block). `name` names the input in errors.
template <class T>
Tensor<T> read_csv_stream(std::istream& in, const std::string& name, const CsvReadOptions& opt = {}) {
  const int64_t limit = opt.max_bytes >= 0 ? opt.max_bytes : detail::available_memory_bytes();
  const char* type = std::is_same_v<T, float> ? "float" : "double";
  constexpr size_t kBlock = size_t(1) << 16;
  detail::CsvLines<T> lines(name);
  std::vector<std::vector<T>> blocks;
  std::string line;
  for (int64_t lineno = 1; std::getline(in, line); ++lineno) {
    if (!lines.parse(line, lineno)) continue;
    if (double(lines.rows()) * double(lines.cols()) * double(sizeof(T)) > double(limit))
      detail::refuse_size(name, lines.rows(), lines.cols(), sizeof(T), type, limit, opt.max_bytes >= 0);
    for (const double v : lines.row()) {
      if (blocks.empty() || blocks.back().size() == kBlock) {
        blocks.emplace_back();
        blocks.back().reserve(kBlock);
      }
      blocks.back().push_back(T(v));
    }
  }
  check(!in.bad(), "read_csv: reading ", name, " failed");
  check(lines.rows() > 0, "read_csv: ", name, " holds no data rows");
  Tensor<T> x({lines.rows(), lines.cols()});
  T* out = x.data();
  for (auto& b : blocks) {
    std::copy(b.begin(), b.end(), out);
    out += b.size();
    std::vector<T>().swap(b);
  }
  return x;
}

// Reads a CSV file of numbers, as parse_csv, holding nothing but the samples: a first pass
// counts the rows in fixed-size chunks (and refuses, as soon as the count says so, samples
// that would not fit in max_bytes), then the tensor is allocated at its final size and a
// second pass parses each line straight into it. "-" reads stdin, and a pipe (FIFO) or
// character device is read in one pass by read_csv_stream, as neither can be read twice.
template <class T>
Tensor<T> read_csv(const std::string& path, const CsvReadOptions& opt = {}) {
  if (path == "-") {
    // Through its own buffered stream where the system has one (std::cin synchronised with stdio
    // reads a character at a time, and unsynchronising it would change the caller's program).
    std::ifstream dev("/dev/stdin", std::ios::binary);
    return dev ? read_csv_stream<T>(dev, "stdin", opt) : read_csv_stream<T>(std::cin, "stdin", opt);
  }
  check(!std::filesystem::is_directory(path), "read_csv: ", path, " is a directory, expected a CSV file");
  std::ifstream in(path, std::ios::binary);
  check(bool(in), "read_csv: cannot open ", path);
  {
    std::error_code ec;
    const auto st = std::filesystem::status(path, ec);
    if (!ec && (std::filesystem::is_fifo(st) || std::filesystem::is_character_file(st)))
      return read_csv_stream<T>(in, path, opt);
  }
  const int64_t limit = opt.max_bytes >= 0 ? opt.max_bytes : detail::available_memory_bytes();
  const char* type = std::is_same_v<T, float> ? "float" : "double";

  // Pass 1: non-blank lines, and the cells of the first (commas + 1) for the size check.
  int64_t nonblank = 0, first_cells = 0;
  {
    std::vector<char> buf(size_t(1) << 20);
    bool content = false;
    int64_t commas = 0;
    auto end_line = [&] {
      if (!content) return;
      if (++nonblank == 1) first_cells = commas + 1;
      content = false;
      // The header, if any, is one of the lines counted: hence nonblank - 1 rows at least.
      const int64_t rows = std::max<int64_t>(nonblank - 1, 1);
      if (double(rows) * double(first_cells) * double(sizeof(T)) > double(limit))
        detail::refuse_size(path, rows, first_cells, sizeof(T), type, limit, opt.max_bytes >= 0);
    };
    while (in) {
      in.read(buf.data(), std::streamsize(buf.size()));
      const char* p = buf.data();
      const char* const e = p + in.gcount();
      while (p < e) {
        if (content && nonblank > 0) {  // the rest of a counted line: jump to its end
          const void* nl = std::memchr(p, '\n', size_t(e - p));
          if (!nl) break;
          p = static_cast<const char*>(nl);
        }
        const char c = *p++;
        if (c == '\n') end_line();
        else if (c == ',' && nonblank == 0) commas += 1, content = true;
        else if (c != ' ' && c != '\t' && c != '\r') content = true;
      }
    }
    check(!in.bad(), "read_csv: reading ", path, " failed");
    end_line();
  }
  check(nonblank > 0, "read_csv: ", path, " holds no data rows");

  // Pass 2: parse into the tensor, allocated once the first line says whether it is a header.
  in.clear();
  in.seekg(0);
  check(bool(in), "read_csv: cannot rewind ", path, " for the second pass (is it a pipe? save it to a file)");
  detail::CsvLines<T> lines(path);
  Tensor<T> x;
  int64_t rows = 0, r = 0;
  std::string line;
  for (int64_t lineno = 1; std::getline(in, line); ++lineno) {
    if (!lines.parse(line, lineno)) continue;
    if (!x.defined()) {
      rows = nonblank - (lines.has_header() ? 1 : 0);
      x = Tensor<T>({rows, lines.cols()});
    }
    // The file changed between the passes: more data lines than counted.
    check(r < rows, "read_csv: ", path, " changed while being read (more rows than the first pass counted)");
    T* out = x.data() + r * lines.cols();
    for (int64_t c = 0; c < lines.cols(); ++c) out[c] = T(lines.row()[size_t(c)]);
    ++r;
  }
  check(!in.bad(), "read_csv: reading ", path, " failed");
  check(x.defined(), "read_csv: ", path, " holds no data rows");
  check(r == rows, "read_csv: ", path, " changed while being read (", r, " rows, the first pass counted ", rows, ")");
  return x;
}

}  // namespace entropic::io
