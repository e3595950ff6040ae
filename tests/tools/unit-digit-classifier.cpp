// The stacked-digits mode classifier (tools/entropic_tools/digit_classifier.hpp) on a tiny budget.
#include <doctest/doctest.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include "entropic/data/digits.hpp"
#include "entropic_tools/digit_classifier.hpp"

using namespace entropic;
namespace fs = std::filesystem;

namespace {
struct TempDir {
  fs::path p;
  TempDir() : p(fs::temp_directory_path() / ("entropic-classifier-" + std::to_string(::getpid()))) {
    fs::create_directories(p);
  }
  ~TempDir() { fs::remove_all(p); }
  std::string path(const std::string& name) const { return (p / name).string(); }
};

// 10 classes of 8x8 images: a random +-1 prototype per class, each image the prototype with a
// quarter of its pixels redrawn at random.
data::ImageDataset noisy_prototypes(int per = 40) {
  Rng rng(3);
  std::vector<float> proto(640), px;
  for (float& v : proto) v = rng.uniform() < 0.5 ? -1.f : 1.f;
  data::ImageDataset d;
  d.name = "prototypes";
  d.side = 8;
  d.classes = 10;
  for (int k = 0; k < 10; ++k)
    for (int j = 0; j < per; ++j) {
      for (int t = 0; t < 64; ++t)
        px.push_back(rng.uniform() < 0.25 ? float(rng.uniform() * 2 - 1) : proto[size_t(k * 64 + t)]);
      d.labels.push_back(k);
    }
  d.images = Tensor<float>::from({int64_t(d.labels.size()), 64}, px);
  return d;
}
}  // namespace

TEST_CASE("digit classifier: far above chance on a tiny budget, the split keeps every class") {
  const data::ImageDataset d = noisy_prototypes();
  const auto [train, test] = gan::split_by_class(d, 0.25, 1);
  CHECK(train.size() == 300);
  CHECK(test.size() == 100);
  gan::ClassifierReport r;
  gan::train_digit_classifier(d, {.iters = 150, .batch = 32, .hidden = 32}, &r);
  CHECK(r.train_size == 320);
  CHECK(r.heldout_size == 80);
  CHECK(r.heldout_accuracy > 0.8);  // chance is 0.1
}

TEST_CASE("digit classifier: scikit-learn's digits, when installed, far above chance in 200 steps") {
  const std::string p = data::find_sklearn_digits();
  if (p.empty()) {
    MESSAGE("python3-sklearn is not installed; skipping the real digits");
    return;
  }
  gan::ClassifierReport r;
  gan::train_digit_classifier(data::load_digits(p), {.iters = 200, .batch = 64, .hidden = 64}, &r);
  MESSAGE("held-out accuracy after 200 steps: " << r.heldout_accuracy);
  CHECK(r.heldout_accuracy > 0.8);
}

TEST_CASE("digit classifier: saved and reloaded bit for bit, the cache trains once") {
  TempDir dir;
  const data::ImageDataset d = noisy_prototypes(10);
  const gan::ClassifierOptions o{.iters = 20, .batch = 16, .hidden = 16};
  gan::ClassifierReport first, second;
  int trained = 0, loaded = 0;
  auto note = [&](const std::string& s) { (s.find("trained") == 0 ? trained : loaded) += 1; };
  const std::string path = dir.path("sub/classifier.safetensors");
  gan::DigitClassifier a = gan::load_or_train_classifier(path, d, o, &first, note);
  gan::DigitClassifier b = gan::load_or_train_classifier(path, d, o, &second, note);
  CHECK(trained == 1);
  CHECK(loaded == 1);
  CHECK(a.logits(d.images).vec() == b.logits(d.images).vec());
  CHECK(second.heldout_accuracy == doctest::Approx(first.heldout_accuracy).epsilon(1e-5));
  CHECK(second.train_size == first.train_size);
  // Stacked prediction: channel by channel, 100 d0 + 10 d1 + d2.
  Tensor<float> x({1, 192});
  const std::vector<int> p = a.predict(d.images);
  for (int c = 0; c < 3; ++c)
    for (int64_t t = 0; t < 64; ++t) x(0, c * 64 + t) = d.images(int64_t(c * 37), t);
  CHECK(a.predict_stacked(x)[0] == 100 * p[0] + 10 * p[37] + p[74]);
  // A file of another pixel count is refused with the fix.
  data::ImageDataset small;
  small.name = "small";
  small.classes = 10;
  small.side = 4;
  small.labels = d.labels;
  small.images = Tensor<float>({d.size(), 16});
  CHECK_THROWS_WITH_AS(gan::load_or_train_classifier(path, small, o), doctest::Contains("remove it"), Error);
}
