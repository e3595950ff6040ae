// The mode classifier of the stacked-digits benchmark: an MLP on single digit images, trained
// with entropic itself, saved as safetensors and reloaded, that labels each channel of a
// stacked sample (data/stacked.hpp).
//
// Network: pixels -> 256 -> ReLU -> 256 -> ReLU -> 10 logits. The library has no softmax, so it
// is trained one-vs-rest: BCE-with-logits of the 10 logits against the one-hot label (each
// logit a binary "is it this digit?" classifier); the prediction is the largest logit.
// Training: Adam (lr 1e-3, weight decay 1e-4), batches of 128 drawn with replacement from a
// seeded split of the data set; `holdout` of every class is kept out and the accuracy on it
// reported. The same seed and data give bit-identical weights.
#pragma once
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "entropic/autograd/functions.hpp"
#include "entropic/data/idx.hpp"
#include "entropic/data/stacked.hpp"
#include "entropic/io/safetensors.hpp"
#include "entropic/nn/activation.hpp"
#include "entropic/nn/adam.hpp"
#include "entropic/nn/linear.hpp"
#include "entropic/nn/module.hpp"

namespace entropic::gan {

struct ClassifierOptions {
  int64_t iters = 4000;
  int64_t batch = 128;
  int64_t hidden = 256;
  double lr = 1e-3;
  double weight_decay = 1e-4;
  double holdout = 0.2;  // fraction of each class kept out of training
  uint64_t seed = 1;
};

struct ClassifierReport {
  double train_accuracy = 0, heldout_accuracy = 0;
  int64_t train_size = 0, heldout_size = 0, iters = 0;
  double seconds = 0;
};

class DigitClassifier {
 public:
  DigitClassifier() = default;
  DigitClassifier(int64_t pixels, int64_t hidden, uint64_t seed) : pixels_(pixels), hidden_(hidden) {
    check(pixels > 0 && hidden > 0, "digit classifier: pixels and hidden must be positive");
    Rng init(seed);
    net_.emplace<nn::Linear<float>>(pixels, hidden, init)
        .emplace<nn::ReLU<float>>()
        .emplace<nn::Linear<float>>(hidden, hidden, init)
        .emplace<nn::ReLU<float>>()
        .emplace<nn::Linear<float>>(hidden, 10, init);
  }
  int64_t pixels() const { return pixels_; }
  nn::Sequential<float>& net() { return net_; }

  // The 10 logits of images x [n, pixels].
  Tensor<float> logits(const Tensor<float>& x) {
    check(x.rank() == 2 && x.cols() == pixels_, "digit classifier: images ", x.shape().str(), " are not [n, ",
          pixels_, "]");
    NoGrad ng;
    return net_(Var<float>(x)).value();
  }
  std::vector<int> predict(const Tensor<float>& x) {
    const Tensor<float> z = logits(x);
    std::vector<int> out(size_t(z.rows()));
    for (int64_t i = 0; i < z.rows(); ++i) {
      int arg = 0;
      for (int k = 1; k < 10; ++k)
        if (z(i, k) > z(i, arg)) arg = k;
      out[size_t(i)] = arg;
    }
    return out;
  }
  // The mode (100 d0 + 10 d1 + d2) of each stacked sample x [n, 3 * pixels], channel by channel.
  std::vector<int> predict_stacked(const Tensor<float>& x) {
    check(x.rank() == 2 && x.cols() == data::kStackedChannels * pixels_, "digit classifier: stacked samples ",
          x.shape().str(), " are not [n, 3 * ", pixels_, "]");
    std::vector<int> modes(size_t(x.rows()), 0);
    for (int c = 0; c < data::kStackedChannels; ++c) {
      const std::vector<int> d = predict(data::stacked_channel(x, c));
      for (size_t i = 0; i < d.size(); ++i) modes[i] = modes[i] * 10 + d[i];
    }
    return modes;
  }
  // A quality proxy: the fraction of stacked samples x [n, 3 * pixels] whose every channel the
  // classifier claims, its largest logit > 0 (the one-vs-rest "this is digit k" above 1/2).
  double confident_fraction(const Tensor<float>& x) {
    check(x.rank() == 2 && x.cols() == data::kStackedChannels * pixels_ && x.rows() > 0,
          "digit classifier: stacked samples ", x.shape().str(), " are not [n, 3 * ", pixels_, "]");
    std::vector<char> ok(size_t(x.rows()), 1);
    for (int c = 0; c < data::kStackedChannels; ++c) {
      const Tensor<float> z = logits(data::stacked_channel(x, c));
      for (int64_t i = 0; i < z.rows(); ++i) {
        float best = z(i, 0);
        for (int k = 1; k < 10; ++k) best = std::max(best, z(i, k));
        if (!(best > 0.f)) ok[size_t(i)] = 0;
      }
    }
    int64_t n = 0;
    for (char o : ok) n += o;
    return double(n) / double(x.rows());
  }
  double accuracy(const Tensor<float>& x, const std::vector<int>& labels) {
    check(int64_t(labels.size()) == x.rows() && x.rows() > 0, "digit classifier: ", x.rows(), " images, ",
          labels.size(), " labels");
    const std::vector<int> p = predict(x);
    int64_t right = 0;
    for (size_t i = 0; i < p.size(); ++i) right += p[i] == labels[i];
    return double(right) / double(p.size());
  }

  // Weights under their layer names ("0.weight" ...), the metadata beside them.
  void save(const std::string& path, const std::map<std::string, std::string>& metadata = {}) {
    io::SafeTensorsFile f;
    for (auto& [name, v] : net_.named_parameters()) f.put(name, v.value());
    f.metadata = metadata;
    f.metadata["pixels"] = std::to_string(pixels_);
    f.metadata["hidden"] = std::to_string(hidden_);
    io::save_safetensors(path, f);
  }
  // Reads a file written by save(); `metadata`, when given, receives its metadata.
  static DigitClassifier load(const std::string& path, std::map<std::string, std::string>* metadata = nullptr) {
    const io::SafeTensorsFile f = io::load_safetensors(path);
    auto meta = [&](const char* key) {
      auto it = f.metadata.find(key);
      check(it != f.metadata.end(), "digit classifier: ", path, " has no '", key,
            "' in its metadata; it was not written by DigitClassifier::save");
      return std::stoll(it->second);
    };
    DigitClassifier c(meta("pixels"), meta("hidden"), 0);
    for (auto& [name, v] : c.net_.named_parameters()) f.get(name, v.value());
    if (metadata) *metadata = f.metadata;
    return c;
  }

 private:
  int64_t pixels_ = 0, hidden_ = 0;
  nn::Sequential<float> net_;
};

// The seeded split: `holdout` of each class (rounded, at least one image when the class has two
// or more) goes to the held-out set. Returns {train indices, held-out indices}.
inline std::pair<std::vector<int64_t>, std::vector<int64_t>> split_by_class(const data::ImageDataset& d,
                                                                             double holdout, uint64_t seed) {
  check(holdout >= 0 && holdout < 1, "digit classifier: holdout must be in [0, 1), got ", holdout);
  Rng rng(seed);
  std::vector<int64_t> train, test;
  for (int k = 0; k < d.classes; ++k) {
    std::vector<int64_t> idx;
    for (int64_t i = 0; i < d.size(); ++i)
      if (d.labels[size_t(i)] == k) idx.push_back(i);
    for (size_t i = idx.size(); i > 1; --i) std::swap(idx[i - 1], idx[size_t(rng.below(uint64_t(i)))]);
    int64_t h = int64_t(double(idx.size()) * holdout + 0.5);
    if (holdout > 0 && idx.size() >= 2) h = std::max<int64_t>(h, 1);
    for (size_t i = 0; i < idx.size(); ++i) (int64_t(i) < h ? test : train).push_back(idx[i]);
  }
  std::sort(train.begin(), train.end());
  std::sort(test.begin(), test.end());
  return {train, test};
}

inline Tensor<float> gather_rows(const Tensor<float>& x, const std::vector<int64_t>& rows) {
  Tensor<float> out({int64_t(rows.size()), x.cols()});
  for (size_t i = 0; i < rows.size(); ++i) std::copy_n(&x(rows[i], 0), x.cols(), &out(int64_t(i), 0));
  return out;
}

inline DigitClassifier train_digit_classifier(const data::ImageDataset& d, const ClassifierOptions& o,
                                              ClassifierReport* report = nullptr) {
  check(d.classes == 10, "digit classifier: needs 10 classes, ", d.name, " has ", d.classes);
  check(o.iters >= 1 && o.batch >= 1, "digit classifier: iters and batch must be positive");
  const auto t0 = std::chrono::steady_clock::now();
  const auto [train, test] = split_by_class(d, o.holdout, o.seed);
  check(!train.empty(), "digit classifier: no training images");
  const int64_t pixels = d.images.cols();
  DigitClassifier c(pixels, o.hidden, o.seed);
  nn::Adam<float> opt(c.net().parameters(), {.lr = o.lr, .weight_decay = o.weight_decay});
  Rng rng(o.seed ^ 0x5eed5eedULL);
  Tensor<float> x({o.batch, pixels}), y({o.batch, 10});
  for (int64_t it = 0; it < o.iters; ++it) {
    std::fill(y.data(), y.data() + y.numel(), 0.f);
    for (int64_t b = 0; b < o.batch; ++b) {
      const int64_t i = train[size_t(rng.below(uint64_t(train.size())))];
      std::copy_n(&d.images(i, 0), pixels, &x(b, 0));
      y(b, d.labels[size_t(i)]) = 1.f;
    }
    const Var<float> loss = fn::bce_with_logits(c.net()(Var<float>(x)), y);
    opt.zero_grad();
    loss.backward();
    opt.step();
  }
  if (report) {
    auto labels_of = [&](const std::vector<int64_t>& rows) {
      std::vector<int> l;
      for (int64_t i : rows) l.push_back(d.labels[size_t(i)]);
      return l;
    };
    report->train_size = int64_t(train.size());
    report->heldout_size = int64_t(test.size());
    report->iters = o.iters;
    report->train_accuracy = c.accuracy(gather_rows(d.images, train), labels_of(train));
    report->heldout_accuracy = test.empty() ? 0.0 : c.accuracy(gather_rows(d.images, test), labels_of(test));
    report->seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  }
  return c;
}

// The classifier cached at `path`: loaded when the file exists (its accuracy read from the
// metadata), else trained on `d` and saved there. `note` receives one line saying which.
inline DigitClassifier load_or_train_classifier(const std::string& path, const data::ImageDataset& d,
                                                const ClassifierOptions& o, ClassifierReport* report = nullptr,
                                                const std::function<void(const std::string&)>& note = {}) {
  ClassifierReport r;
  if (!path.empty() && std::filesystem::exists(path)) {
    std::map<std::string, std::string> meta;
    DigitClassifier c = DigitClassifier::load(path, &meta);
    check(c.pixels() == d.images.cols(), "digit classifier: ", path, " is for ", c.pixels(),
          "-pixel images, the data has ", d.images.cols(), "; remove it to train a new one");
    auto num = [&](const char* k) { return meta.count(k) ? std::stod(meta[k]) : 0.0; };
    r.heldout_accuracy = num("heldout_accuracy");
    r.train_accuracy = num("train_accuracy");
    r.train_size = int64_t(num("train_size"));
    r.heldout_size = int64_t(num("heldout_size"));
    r.iters = int64_t(num("iters"));
    if (note) note("loaded the mode classifier from " + path);
    if (report) *report = r;
    return c;
  }
  DigitClassifier c = train_digit_classifier(d, o, &r);
  if (!path.empty()) {
    if (const auto dir = std::filesystem::path(path).parent_path(); !dir.empty())
      std::filesystem::create_directories(dir);
    char acc[64];
    std::snprintf(acc, sizeof acc, "%.6f", r.heldout_accuracy);
    std::map<std::string, std::string> meta{{"heldout_accuracy", acc},
                                            {"train_size", std::to_string(r.train_size)},
                                            {"heldout_size", std::to_string(r.heldout_size)},
                                            {"iters", std::to_string(r.iters)},
                                            {"seed", std::to_string(o.seed)},
                                            {"data", d.name}};
    std::snprintf(acc, sizeof acc, "%.6f", r.train_accuracy);
    meta["train_accuracy"] = acc;
    c.save(path, meta);
    if (note) note("trained the mode classifier and saved it to " + path);
  }
  if (report) *report = r;
  return c;
}

}  // namespace entropic::gan
