// Mode coverage of generated images without a pretrained network, from the labelled training
// data alone:
//
// - classes: a nearest-class-centroid classifier (the mean training image of each class) labels
//   every sample; report the classes that receive at least one sample and
//   KL(predicted class histogram || uniform) = log C - H(histogram), 0 when every class is
//   equally frequent, log C when one class takes everything.
// - NDB (Richardson & Weiss 2018, "On GANs and GMMs"): K-means (K fixed, seeded) partitions the
//   training data into bins; each sample goes to its nearest centroid; per bin a two-proportion
//   z-test (pooled, two-sided) compares the training and sample proportions at level alpha;
//   NDB is the number of statistically different bins, reported as NDB/K, together with the
//   Jensen-Shannon divergence (natural log) between the two bin histograms.
//
// Both are computed in pixel space on images scaled to [-1, 1].
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "entropic/core/rng.hpp"
#include "entropic/core/tensor.hpp"
#include "entropic/cpu/gemm.hpp"

namespace entropic::gan {

namespace detail {
// For each row of x [n, d], the index of the nearest row of c [k, d] (squared Euclidean;
// |x|^2 is the same for every centroid, so argmin of |c|^2 - 2 x.c), in blocks through gemm.
inline std::vector<int> nearest_rows(const Tensor<float>& x, const Tensor<float>& c) {
  check(x.rank() == 2 && c.rank() == 2 && x.cols() == c.cols(), "nearest_rows: x ", x.shape(),
        " and centroids ", c.shape(), " must be [n, d] and [k, d]");
  const int64_t n = x.rows(), k = c.rows(), d = x.cols();
  std::vector<float> cc(size_t(k), 0.f);
  for (int64_t j = 0; j < k; ++j)
    for (int64_t t = 0; t < d; ++t) cc[size_t(j)] += c(j, t) * c(j, t);
  std::vector<int> out(static_cast<size_t>(n));
  const int64_t block = 1024;
  std::vector<float> g(size_t(block * k));
  for (int64_t b = 0; b < n; b += block) {
    const int64_t m = std::min(block, n - b);
    cpu::gemm<float>(false, true, m, k, d, 1.f, x.data() + b * d, d, c.data(), d, 0.f, g.data(), k);  // (m, k)
    for (int64_t i = 0; i < m; ++i) {
      int arg = 0;
      float best = std::numeric_limits<float>::infinity();
      for (int64_t j = 0; j < k; ++j) {
        const float v = cc[size_t(j)] - 2 * g[size_t(i * k + j)];
        if (v < best) best = v, arg = int(j);
      }
      out[size_t(b + i)] = arg;
    }
  }
  return out;
}

inline double squared_distance(const float* a, const float* b, int64_t d) {
  double s = 0;
  for (int64_t t = 0; t < d; ++t) s += double(a[t] - b[t]) * double(a[t] - b[t]);
  return s;
}
}  // namespace detail

// Entropy-based comparison of a histogram with the uniform one: log C - H(p), natural log.
inline double kl_to_uniform(const std::vector<int64_t>& counts) {
  int64_t total = 0;
  for (int64_t c : counts) total += c;
  check(total > 0 && !counts.empty(), "kl_to_uniform: empty histogram");
  // H = log N - (1/N) sum c log c, exact for integer counts.
  double s = 0;
  for (int64_t c : counts) s += c > 1 ? double(c) * std::log(double(c)) : 0.0;
  const double h = std::log(double(total)) - s / double(total);
  return std::log(double(counts.size())) - h;
}

// Jensen-Shannon divergence (natural log, in [0, log 2]) of two histograms given as counts.
inline double js_divergence(const std::vector<int64_t>& a, const std::vector<int64_t>& b) {
  check(a.size() == b.size() && !a.empty(), "js_divergence: histograms of different sizes ", a.size(), " and ",
        b.size());
  double na = 0, nb = 0;
  for (size_t i = 0; i < a.size(); ++i) na += double(a[i]), nb += double(b[i]);
  check(na > 0 && nb > 0, "js_divergence: empty histogram");
  double js = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    const double p = double(a[i]) / na, q = double(b[i]) / nb, m = (p + q) / 2;
    if (p > 0) js += 0.5 * p * std::log(p / m);
    if (q > 0) js += 0.5 * q * std::log(q / m);
  }
  return std::max(0.0, js);
}

// The mean training image of each class.
class CentroidClassifier {
 public:
  CentroidClassifier() = default;
  CentroidClassifier(const Tensor<float>& images, const std::vector<int>& labels, int classes)
      : centroids_(Tensor<float>::zeros({classes, images.cols()})) {
    check(images.rank() == 2 && int64_t(labels.size()) == images.rows(), "centroid classifier: ", images.rows(),
          " images but ", labels.size(), " labels");
    check(classes >= 1, "centroid classifier: classes must be positive");
    std::vector<int64_t> n(size_t(classes), 0);
    const int64_t d = images.cols();
    for (int64_t i = 0; i < images.rows(); ++i) {
      const int l = labels[size_t(i)];
      check(l >= 0 && l < classes, "centroid classifier: label ", l, " of image ", i, " is outside [0, ", classes, ")");
      ++n[size_t(l)];
      for (int64_t t = 0; t < d; ++t) centroids_(l, t) += images(i, t);
    }
    for (int c = 0; c < classes; ++c) {
      check(n[size_t(c)] > 0, "centroid classifier: class ", c, " has no training images");
      for (int64_t t = 0; t < d; ++t) centroids_(c, t) /= float(n[size_t(c)]);
    }
  }
  int classes() const { return int(centroids_.rows()); }
  const Tensor<float>& centroids() const { return centroids_; }
  std::vector<int> predict(const Tensor<float>& x) const {
    check(x.cols() == centroids_.cols(), "centroid classifier: samples have ", x.cols(), " pixels, training images ",
          centroids_.cols());
    return detail::nearest_rows(x, centroids_);
  }

 private:
  Tensor<float> centroids_;
};

struct ClassCoverage {
  int covered = 0, classes = 0;
  double kl_uniform = 0;         // KL(predicted histogram || uniform)
  std::vector<int64_t> counts;  // samples per class
};

inline ClassCoverage class_coverage(const std::vector<int>& predicted, int classes) {
  check(!predicted.empty(), "class_coverage: no samples");
  ClassCoverage r;
  r.classes = classes;
  r.counts.assign(size_t(classes), 0);
  for (int p : predicted) {
    check(p >= 0 && p < classes, "class_coverage: class ", p, " outside [0, ", classes, ")");
    ++r.counts[size_t(p)];
  }
  for (int64_t c : r.counts) r.covered += c > 0;
  r.kl_uniform = kl_to_uniform(r.counts);
  return r;
}

// K-means with k-means++ seeding and Lloyd iterations, deterministic for a seed. Fitted on at
// most max_points rows drawn without replacement (all rows when there are fewer).
class KMeans {
 public:
  KMeans() = default;
  KMeans(const Tensor<float>& x, int k, uint64_t seed, int iters = 50, int64_t max_points = 20000) {
    check(x.rank() == 2 && x.rows() >= k && k >= 1, "kmeans: need at least k = ", k, " rows, got ", x.rows());
    Rng rng(seed);
    const int64_t d = x.cols();
    // The fitting subset: a seeded partial Fisher-Yates shuffle.
    std::vector<int64_t> idx(size_t(x.rows()));
    for (int64_t i = 0; i < x.rows(); ++i) idx[size_t(i)] = i;
    const int64_t n = std::min(x.rows(), std::max<int64_t>(max_points, k));
    for (int64_t i = 0; i < n && n < x.rows(); ++i)
      std::swap(idx[size_t(i)], idx[size_t(i + int64_t(rng.below(uint64_t(x.rows() - i))))]);
    Tensor<float> pts({n, d});
    for (int64_t i = 0; i < n; ++i) std::copy_n(&x(idx[size_t(i)], 0), d, &pts(i, 0));

    // k-means++: each next centre drawn with probability proportional to D(x)^2.
    centroids_ = Tensor<float>({k, d});
    std::vector<double> dist(size_t(n), std::numeric_limits<double>::infinity());
    int64_t pick = int64_t(rng.below(uint64_t(n)));
    for (int c = 0; c < k; ++c) {
      std::copy_n(&pts(pick, 0), d, &centroids_(c, 0));
      double total = 0;
      for (int64_t i = 0; i < n; ++i) {
        dist[size_t(i)] = std::min(dist[size_t(i)], detail::squared_distance(&pts(i, 0), &centroids_(c, 0), d));
        total += dist[size_t(i)];
      }
      if (c + 1 == k) break;
      if (total <= 0) {  // fewer distinct points than k: any point will do
        pick = int64_t(rng.below(uint64_t(n)));
        continue;
      }
      double u = rng.uniform() * total;
      pick = n - 1;
      for (int64_t i = 0; i < n; ++i)
        if ((u -= dist[size_t(i)]) <= 0) {
          pick = i;
          break;
        }
    }
    std::vector<int> assign;
    for (int it = 0; it < iters; ++it) {
      std::vector<int> next = detail::nearest_rows(pts, centroids_);
      if (next == assign) break;
      assign = std::move(next);
      Tensor<double> sum = Tensor<double>::zeros({k, d});
      std::vector<int64_t> cnt(size_t(k), 0);
      for (int64_t i = 0; i < n; ++i) {
        const int a = assign[size_t(i)];
        ++cnt[size_t(a)];
        for (int64_t t = 0; t < d; ++t) sum(a, t) += pts(i, t);
      }
      for (int c = 0; c < k; ++c)
        if (cnt[size_t(c)] > 0)  // an empty bin keeps its centre
          for (int64_t t = 0; t < d; ++t) centroids_(c, t) = float(sum(c, t) / double(cnt[size_t(c)]));
    }
  }
  int k() const { return int(centroids_.rows()); }
  const Tensor<float>& centroids() const { return centroids_; }
  std::vector<int> assign(const Tensor<float>& x) const { return detail::nearest_rows(x, centroids_); }
  std::vector<int64_t> histogram(const Tensor<float>& x) const {
    std::vector<int64_t> h(size_t(k()), 0);
    for (int a : assign(x)) ++h[size_t(a)];
    return h;
  }

 private:
  Tensor<float> centroids_;
};

struct NdbResult {
  int k = 0;
  int different = 0;      // bins whose proportions differ at level alpha
  double ndb_over_k = 0;  // different / k
  double js = 0;          // JS divergence of the two bin histograms
  std::vector<int64_t> train_counts, sample_counts;
  std::vector<double> z;  // per bin, (p_sample - p_train) / pooled standard error
};

// NDB of samples against the training histogram of `bins`, two-sided z-test per bin.
inline NdbResult ndb(const KMeans& bins, const std::vector<int64_t>& train_counts, const Tensor<float>& samples,
                     double alpha = 0.05) {
  check(alpha > 0 && alpha < 1, "ndb: alpha must be in (0, 1), got ", alpha);
  check(samples.rows() > 0, "ndb: no samples");
  NdbResult r;
  r.k = bins.k();
  r.train_counts = train_counts;
  r.sample_counts = bins.histogram(samples);
  double n1 = 0, n2 = 0;
  for (int i = 0; i < r.k; ++i) n1 += double(r.train_counts[size_t(i)]), n2 += double(r.sample_counts[size_t(i)]);
  for (int i = 0; i < r.k; ++i) {
    const double c1 = double(r.train_counts[size_t(i)]), c2 = double(r.sample_counts[size_t(i)]);
    const double p = (c1 + c2) / (n1 + n2);
    const double se = std::sqrt(p * (1 - p) * (1 / n1 + 1 / n2));
    const double z = se > 0 ? (c2 / n2 - c1 / n1) / se : 0.0;
    r.z.push_back(z);
    const double pvalue = std::erfc(std::fabs(z) / std::sqrt(2.0));
    r.different += pvalue < alpha;
  }
  r.ndb_over_k = double(r.different) / double(r.k);
  r.js = js_divergence(r.train_counts, r.sample_counts);
  return r;
}

struct ImageMetrics {
  ClassCoverage classes;
  NdbResult ndb;
};

// Everything fitted once on the training set, then applied to any number of sample sets.
class ImageEvaluator {
 public:
  ImageEvaluator(const Tensor<float>& train, const std::vector<int>& labels, int classes, int ndb_k = 20,
                 uint64_t seed = 1, double alpha = 0.05)
      : classifier_(train, labels, classes), bins_(train, ndb_k, seed), alpha_(alpha),
        train_counts_(bins_.histogram(train)) {}
  ImageMetrics evaluate(const Tensor<float>& samples) const {
    return {class_coverage(classifier_.predict(samples), classifier_.classes()),
            ndb(bins_, train_counts_, samples, alpha_)};
  }
  const CentroidClassifier& classifier() const { return classifier_; }
  const KMeans& bins() const { return bins_; }

 private:
  CentroidClassifier classifier_;
  KMeans bins_;
  double alpha_;
  std::vector<int64_t> train_counts_;
};

}  // namespace entropic::gan
