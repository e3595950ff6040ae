// scikit-learn's 8x8 handwritten digits (UCI optdigits test set: 1797 images, 10 classes), the
// real image data set available offline: Debian's python3-sklearn installs it as
// .../sklearn/datasets/data/digits.csv.gz, each row 64 pixel values 0..16 then the label.
#pragma once
#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

#include "entropic/data/idx.hpp"

namespace entropic::data {

// Where Debian's python3-sklearn puts the file; empty when it is not installed.
inline std::string find_sklearn_digits() {
  namespace fs = std::filesystem;
  for (const char* p : {"/usr/lib/python3/dist-packages/sklearn/datasets/data/digits.csv.gz",
                        "/usr/local/lib/python3/dist-packages/sklearn/datasets/data/digits.csv.gz"})
    if (fs::exists(p)) return p;
  // Other Python versions or a pip install: look under the usual site directories.
  for (const char* root : {"/usr/lib", "/usr/local/lib"}) {
    std::error_code ec;
    for (auto it = fs::directory_iterator(root, ec); !ec && it != fs::directory_iterator(); it.increment(ec)) {
      const std::string name = it->path().filename().string();
      if (name.rfind("python3", 0) != 0) continue;
      for (const char* site : {"dist-packages", "site-packages"}) {
        const fs::path p = it->path() / site / "sklearn/datasets/data/digits.csv.gz";
        if (fs::exists(p)) return p.string();
      }
    }
  }
  return "";
}

// Parses digits.csv(.gz): rows of 64 values 0..16 and a label 0..9; pixels scaled to [-1, 1].
inline ImageDataset load_digits(const std::string& path) {
  const std::vector<uint8_t> bytes = read_maybe_gzip(path);
  ImageDataset d;
  d.name = "digits";
  d.side = 8;
  d.classes = 10;
  std::vector<float> px;
  size_t pos = 0;
  int64_t line = 0;
  while (pos < bytes.size()) {
    size_t end = pos;
    while (end < bytes.size() && bytes[end] != '\n') ++end;
    ++line;
    std::string row(bytes.begin() + std::ptrdiff_t(pos), bytes.begin() + std::ptrdiff_t(end));
    pos = end + 1;
    if (!row.empty() && row.back() == '\r') row.pop_back();
    if (row.empty()) continue;
    std::vector<double> v;
    const char* s = row.c_str();
    while (*s) {
      char* e = nullptr;
      const double x = std::strtod(s, &e);
      check(e != s, path, ": line ", line, ": not a number at '", printable(s, 16), "'");
      v.push_back(x);
      s = e;
      while (*s == ',' || *s == ' ') ++s;
    }
    check(v.size() == 65, path, ": line ", line, " has ", v.size(), " values, expected 65 (64 pixels and a label)");
    for (int k = 0; k < 64; ++k) {
      check(v[size_t(k)] >= 0 && v[size_t(k)] <= 16, path, ": line ", line, ": pixel ", k, " is ", v[size_t(k)],
            ", expected 0..16");
      px.push_back(float(v[size_t(k)] / 8.0 - 1.0));
    }
    const double l = v[64];
    check(l >= 0 && l <= 9 && l == std::floor(l), path, ": line ", line, ": label ", l, " is not 0..9");
    d.labels.push_back(int(l));
  }
  check(!d.labels.empty(), path, ": no rows");
  d.images = Tensor<float>::from({int64_t(d.labels.size()), 64}, px);
  return d;
}

// The digits from python3-sklearn, or an error saying how to get them.
inline ImageDataset load_sklearn_digits() {
  const std::string p = find_sklearn_digits();
  check(!p.empty(), "digits: scikit-learn's digits.csv.gz was not found (it ships in the Debian package ",
        "python3-sklearn): run `apt-get install python3-sklearn`, or train on MNIST-format files with --data DIR");
  return load_digits(p);
}

}  // namespace entropic::data
