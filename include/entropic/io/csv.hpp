// Reading numeric CSV files (one sample a row, an optional header line).
#pragma once
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
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
inline bool parse_double(const std::string& cell, double& v) {
  const std::string t = trim(cell);
  if (t.empty()) return false;
  char* end = nullptr;
  errno = 0;
  v = std::strtod(t.c_str(), &end);
  return end == t.c_str() + t.size() && errno != ERANGE;
}
}  // namespace detail

// Reads a CSV of numbers into an [rows, cols] tensor. The first line is taken as a header when
// any of its cells is not a number. Blank lines are skipped. Errors name the file and line.
template <class T>
Tensor<T> read_csv(const std::string& path) {
  std::ifstream in(path);
  check(bool(in), "read_csv: cannot open ", path);
  std::vector<T> values;
  int64_t cols = -1, rows = 0;
  std::string line;
  for (int64_t lineno = 1; std::getline(in, line); ++lineno) {
    if (detail::trim(line).empty()) continue;
    const auto cells = detail::split_csv_line(line);
    std::vector<double> row;
    bool numeric = true;
    size_t bad = 0;
    for (size_t c = 0; c < cells.size() && numeric; ++c) {
      double v;
      if (detail::parse_double(cells[c], v)) row.push_back(v);
      else numeric = false, bad = c;
    }
    if (!numeric) {
      check(rows == 0 && cols == -1 && lineno == 1, "read_csv: ", path, " line ", lineno,
            ", column ", bad + 1, ": '", detail::trim(cells[bad]), "' is not a number");
      cols = int64_t(cells.size());  // header
      continue;
    }
    if (cols == -1) cols = int64_t(row.size());
    check(int64_t(row.size()) == cols, "read_csv: ", path, " line ", lineno, " has ", row.size(),
          " values, expected ", cols, " like the lines before it");
    for (double v : row) {
      check(std::isfinite(v), "read_csv: ", path, " line ", lineno, " holds a non-finite value (", v, ")");
      values.push_back(T(v));
    }
    ++rows;
  }
  check(rows > 0, "read_csv: ", path, " holds no data rows");
  return Tensor<T>::from({rows, cols}, values);
}

}  // namespace entropic::io
