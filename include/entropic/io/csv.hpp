// Reading numeric CSV files (one sample a row, an optional header line).
#pragma once
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

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

// Parses CSV text of numbers into an [rows, cols] tensor; `path` names it in errors. The first
// line is taken as a header when any of its cells is not a number. Blank lines are skipped.
// Errors name the file, line and column, and quote the cell as printable text.
template <class T>
Tensor<T> parse_csv(std::string_view text, const std::string& path) {
  const char* type = std::is_same_v<T, float> ? "a float" : "a double";
  std::vector<T> values;
  int64_t cols = -1, rows = 0;
  size_t pos = 0;
  for (int64_t lineno = 1; pos < text.size(); ++lineno) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string_view::npos) nl = text.size();
    const std::string line(text.substr(pos, nl - pos));
    pos = nl + 1;
    if (detail::trim(line).empty()) continue;
    const auto cells = detail::split_csv_line(line);
    std::vector<double> row;
    bool numeric = true;
    size_t bad = 0;
    for (size_t c = 0; c < cells.size() && numeric; ++c) {
      double v = 0;
      const detail::Cell k = detail::parse_double(cells[c], v);
      // if/fail: check() would build the quoted cell for every cell of the file.
      if (k == detail::Cell::out_of_range)
        fail("read_csv: ", path, " line ", lineno, ", column ", c + 1, ": '", printable(detail::trim(cells[c])),
             "' is out of range of a double");
      // Converting a double beyond a float's range to float is undefined behaviour.
      if (k == detail::Cell::number && std::is_same_v<T, float> && std::isfinite(v) &&
          std::fabs(v) > double(std::numeric_limits<float>::max()))
        fail("read_csv: ", path, " line ", lineno, ", column ", c + 1, ": '", printable(detail::trim(cells[c])),
             "' is out of range of ", type);
      if (k == detail::Cell::number) row.push_back(v);
      else numeric = false, bad = c;
    }
    if (!numeric) {
      check(rows == 0 && cols == -1 && lineno == 1, "read_csv: ", path, " line ", lineno, ", column ", bad + 1,
            ": '", printable(detail::trim(cells[bad])), "' is not a number");
      cols = int64_t(cells.size());  // header
      continue;
    }
    if (cols == -1) cols = int64_t(row.size());
    check(int64_t(row.size()) == cols, "read_csv: ", path, " line ", lineno, " has ", row.size(),
          " values, expected ", cols, " like the lines before it");
    for (size_t c = 0; c < row.size(); ++c) {
      check(std::isfinite(row[c]), "read_csv: ", path, " line ", lineno, ", column ", c + 1,
            " holds a non-finite value (", row[c], "); NaN and infinities cannot be used");
      values.push_back(T(row[c]));
    }
    ++rows;
  }
  check(rows > 0, "read_csv: ", path, " holds no data rows");
  return Tensor<T>::from({rows, cols}, values);
}

// Reads a CSV file of numbers, as parse_csv.
template <class T>
Tensor<T> read_csv(const std::string& path) {
  check(!std::filesystem::is_directory(path), "read_csv: ", path, " is a directory, expected a CSV file");
  std::ifstream in(path, std::ios::binary);
  check(bool(in), "read_csv: cannot open ", path);
  std::ostringstream buf;
  buf << in.rdbuf();
  check(!in.bad(), "read_csv: reading ", path, " failed");
  return parse_csv<T>(buf.str(), path);
}

}  // namespace entropic::io
