#include <doctest/doctest.h>

#include <cmath>
#include <vector>

#include "entropic/data/stacked.hpp"

using namespace entropic;

namespace {
// A synthetic 10-class digit set: class k has `per` 2x2 images, every pixel of image j of class
// k equal to k / 10 + j / 1000, so a channel names its class and its image.
data::ImageDataset synthetic(int per = 3) {
  data::ImageDataset d;
  d.name = "synthetic";
  d.side = 2;
  d.classes = 10;
  std::vector<float> px;
  for (int k = 0; k < 10; ++k)
    for (int j = 0; j < per; ++j) {
      for (int t = 0; t < 4; ++t) px.push_back(float(k) / 10.f + float(j) / 1000.f);
      d.labels.push_back(k);
    }
  d.images = Tensor<float>::from({int64_t(d.labels.size()), 4}, px);
  return d;
}
int digit_of(float v) { return int(std::lround(std::floor(v * 10.f + 1e-3f))); }
}  // namespace

TEST_CASE("stacked: each channel is an image of the data set and the label is 100 d0 + 10 d1 + d2") {
  const data::ImageDataset d = synthetic();
  const data::StackedDataset s = data::make_stacked(d, 500, 7);
  REQUIRE(s.images.rows() == 500);
  REQUIRE(s.images.cols() == 12);
  CHECK(s.side == 2);
  for (int64_t i = 0; i < s.size(); ++i) {
    int digits[3];
    for (int c = 0; c < 3; ++c) {
      for (int t = 1; t < 4; ++t) CHECK(s.images(i, c * 4 + t) == s.images(i, c * 4));
      digits[c] = digit_of(s.images(i, c * 4));
    }
    CHECK(s.labels[size_t(i)] == data::stacked_label(digits[0], digits[1], digits[2]));
    CHECK(s.labels[size_t(i)] == 100 * digits[0] + 10 * digits[1] + digits[2]);
  }
  const Tensor<float> c1 = data::stacked_channel(s.images, 1);
  CHECK(c1.cols() == 4);
  CHECK(c1(3, 0) == s.images(3, 4));
}

TEST_CASE("stacked: the 1000 modes are near-uniform and the channels independent") {
  const data::ImageDataset d = synthetic();
  const int64_t n = 100000;
  const data::StackedDataset s = data::make_stacked(d, n, 1);
  std::vector<double> modes(1000, 0.0), joint01(100, 0.0), joint02(100, 0.0), m0(10, 0.0), m1(10, 0.0),
      m2(10, 0.0);
  for (int l : s.labels) {
    REQUIRE(l >= 0);
    REQUIRE(l < 1000);
    const int a = l / 100, b = l / 10 % 10, c = l % 10;
    ++modes[size_t(l)], ++joint01[size_t(a * 10 + b)], ++joint02[size_t(a * 10 + c)];
    ++m0[size_t(a)], ++m1[size_t(b)], ++m2[size_t(c)];
  }
  // Pearson's chi-square against uniform, 999 degrees of freedom: mean 999, sd 44.7. 1300 is
  // 6.7 sd above the mean.
  double chi = 0;
  int covered = 0;
  for (double c : modes) chi += (c - 100.0) * (c - 100.0) / 100.0, covered += c > 0;
  CHECK(covered == 1000);
  CHECK(chi < 1300);
  CHECK(chi > 750);  // not suspiciously even either
  // Independence of channels 0 and 1 (and 0 and 2): chi-square of the 10 x 10 table against the
  // product of its margins, 81 degrees of freedom (mean 81, sd 12.7).
  auto independence = [&](const std::vector<double>& joint, const std::vector<double>& mb) {
    double x = 0;
    for (int a = 0; a < 10; ++a)
      for (int b = 0; b < 10; ++b) {
        const double e = m0[size_t(a)] * mb[size_t(b)] / double(n);
        x += (joint[size_t(a * 10 + b)] - e) * (joint[size_t(a * 10 + b)] - e) / e;
      }
    return x;
  };
  CHECK(independence(joint01, m1) < 160);
  CHECK(independence(joint02, m2) < 160);
}

TEST_CASE("stacked: the same seed gives the same samples, another seed other samples") {
  const data::ImageDataset d = synthetic(5);
  const data::StackedDataset a = data::make_stacked(d, 300, 42), b = data::make_stacked(d, 300, 42),
                             c = data::make_stacked(d, 300, 43);
  CHECK(a.labels == b.labels);
  CHECK(a.images.vec() == b.images.vec());
  CHECK(a.labels != c.labels);
}

TEST_CASE("stacked: refuses a base data set without 10 classes") {
  data::ImageDataset d = synthetic();
  d.classes = 2;
  CHECK_THROWS_WITH_AS(data::make_stacked(d, 10, 1), doctest::Contains("10 classes"), Error);
}
