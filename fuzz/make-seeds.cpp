// Writes the seed corpora under fuzz/corpus/ from files the library itself writes: a trainer
// checkpoint, a metrics.json and samples.csv from write_mixture_outcome, IDX files raw and
// gzip-compressed, and command lines like the examples'. Run from the repository root:
//   g++ -std=c++20 -O1 -Iinclude -Itools fuzz/make-seeds.cpp -o /tmp/make-seeds -lz -lstb -pthread && /tmp/make-seeds
// The sizes are tiny on purpose: a fuzzer mutates small inputs faster and the corpus stays KBs.
#include <zlib.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "entropic_tools/experiment.hpp"

using namespace entropic;
namespace fs = std::filesystem;

namespace {
void put(const std::string& target, const std::string& name, const std::string& bytes) {
  fs::create_directories("fuzz/corpus/" + target);
  std::ofstream("fuzz/corpus/" + target + "/" + name, std::ios::binary) << bytes;
}
std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream o;
  o << in.rdbuf();
  return o.str();
}
std::string idx(std::vector<uint32_t> dims, uint8_t seed) {
  std::string b{0, 0, 8, char(dims.size())};
  size_t n = 1;
  for (uint32_t d : dims) {
    n *= d;
    for (int s = 24; s >= 0; s -= 8) b += char(d >> s & 0xff);
  }
  for (size_t i = 0; i < n; ++i) b += char(uint8_t(seed + 37 * i));
  return b;
}
std::string gzip(const std::string& raw) {
  const std::string tmp = (fs::temp_directory_path() / "entropic-seed.gz").string();
  gzFile f = gzopen(tmp.c_str(), "wb");
  gzwrite(f, raw.data(), unsigned(raw.size()));
  gzclose(f);
  std::string out = slurp(tmp);
  fs::remove(tmp);
  return out;
}
}  // namespace

int main() {
  const fs::path dir = fs::temp_directory_path() / "entropic-make-seeds";
  fs::remove_all(dir);

  // A real trainer checkpoint from networks small enough to keep the file near 1 KB.
  gan::TrainConfig cfg;
  cfg.iters = 2;
  cfg.batch = 8;
  cfg.ema = 0.5;
  cfg.quiet = true;
  cfg.out_dir = (dir / "train").string();
  Rng init(1);
  nn::Sequential<float> G = gan::mixture_generator<float>(init, 2, 3, 1);
  nn::Sequential<float> D = gan::mixture_discriminator<float>(init, 2, 2);
  auto real = [](int64_t batch, Rng& rng) { return TensorF::randn({batch, 2}, rng); };
  gan::GanTrainer<float> trainer(G, D, cfg, real, nullptr);
  trainer.run();
  const std::string ck = slurp(cfg.out_dir + "/checkpoint.safetensors");
  put("safetensors", "trainer-checkpoint.safetensors", ck);
  io::SafeTensorsFile f;
  f.put("w", TensorD::from({2, 2}, {1, 2, 3, 4}));
  f.put("empty", TensorF({0, 3}));
  f.metadata["note"] = "a \"quoted\" value\n";
  put("safetensors", "f64-and-empty.safetensors", io::safetensors_bytes(f));
  uint64_t n = 0;
  for (int b = 0; b < 8; ++b) n |= uint64_t(uint8_t(ck[size_t(b)])) << (8 * b);
  put("json", "safetensors-header.json", ck.substr(8, n));

  // metrics.json and samples.csv as mixture2d writes them, from a hand-made outcome.
  gan::MixtureExperiment e = gan::recommended_mixture_experiment("ring");
  e.train.out_dir = (dir / "run").string();
  gan::MixtureOutcome o;
  o.samples = TensorF::from({6, 2}, {0.5f, -1.25f, 1e-3f, 2, -0.75f, 0.125f, 1, 1, -2, 0, 3.5f, -4});
  o.metrics = {.modes_captured = 7, .modes_total = 8, .high_quality = 0.9, .reverse_kl = 0.0123,
               .counts = {300, 280, 0, 310, 305, 299, 301, 290}};
  o.stats.seconds = 12.5;
  gan::write_mixture_outcome(e, o);
  put("json", "metrics.json", slurp(e.train.out_dir + "/metrics.json"));
  o.metrics.reverse_kl = std::numeric_limits<double>::infinity();
  gan::write_mixture_outcome(e, o);
  put("json", "metrics-null-kl.json", slurp(e.train.out_dir + "/metrics.json"));
  put("csv", "samples.csv", slurp(e.train.out_dir + "/samples.csv"));
  put("csv", "no-header.csv", "1,2,3\n4,5,6\r\n\n7,8,9\n");
  put("csv", "one-column.csv", "h\n-1e-3\n2.5E+2\n");

  const std::string images = idx({3, 4, 4}, 1), labels = idx({3}, 2);
  put("idx", "images-3x4x4.idx3", images);
  put("idx", "labels-3.idx1", labels);
  put("idx_gz", "images-3x4x4.idx3.gz", gzip(images));
  put("idx_gz", "labels-3.idx1.gz", gzip(labels));
  put("idx_gz", "labels-3.idx1", labels);

  using namespace std::string_literals;
  put("cli", "numbers", "--lambda\0" "2.5\0--iters\0" "1e3\0--hidden\0" "128,64\0--quiet"s);
  put("cli", "inline-values", "--lambda=-0.5\n--out=runs/a b\n--iters=7"s);
  put("cli", "help", "--help"s);
  fs::remove_all(dir);
  return 0;
}
