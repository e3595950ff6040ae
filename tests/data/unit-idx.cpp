#include <doctest/doctest.h>
#include <unistd.h>
#include <zlib.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include "entropic/data/digits.hpp"
#include "entropic/data/idx.hpp"

using namespace entropic;
namespace fs = std::filesystem;

namespace {
struct TempDir {
  fs::path p;
  TempDir() : p(fs::temp_directory_path() / ("entropic-idx-" + std::to_string(::getpid()))) {
    fs::create_directories(p);
  }
  ~TempDir() { fs::remove_all(p); }
  std::string path(const std::string& name) const { return (p / name).string(); }
};

using Bytes = std::vector<uint8_t>;

void put_u32(Bytes& b, uint32_t v) {
  for (int s = 24; s >= 0; s -= 8) b.push_back(uint8_t(v >> s));
}
// An unsigned-byte IDX file of the given dimensions; data byte i is (i * 7 + 3) mod 256.
Bytes idx_bytes(const std::vector<uint32_t>& dims) {
  Bytes b{0, 0, 0x08, uint8_t(dims.size())};
  size_t n = 1;
  for (uint32_t d : dims) put_u32(b, d), n *= d;
  for (size_t i = 0; i < n; ++i) b.push_back(uint8_t((i * 7 + 3) % 256));
  return b;
}
std::string write_raw(const std::string& path, const Bytes& b) {
  std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(b.data()), std::streamsize(b.size()));
  return path;
}
std::string write_gz(const std::string& path, const Bytes& b) {
  gzFile f = gzopen(path.c_str(), "wb");
  REQUIRE(f != nullptr);
  REQUIRE(gzwrite(f, b.data(), unsigned(b.size())) == int(b.size()));
  REQUIRE(gzclose(f) == Z_OK);
  return path;
}
Bytes read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return Bytes(std::istreambuf_iterator<char>(in), {});
}
std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}
bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }
}  // namespace

TEST_CASE("idx: raw and gzip files load the same images and labels, scaled to [-1, 1]") {
  TempDir d;
  const Bytes im = idx_bytes({5, 4, 4}), lb = idx_bytes({5});
  for (bool gz : {false, true}) {
    CAPTURE(gz);
    auto w = gz ? write_gz : write_raw;
    const std::string ip = w(d.path(gz ? "im.gz" : "im"), im), lp = w(d.path(gz ? "lb.gz" : "lb"), lb);
    const data::ImageDataset ds = data::load_idx_dataset(ip, lp);
    CHECK(ds.size() == 5);
    CHECK(ds.side == 4);
    CHECK(ds.images.shape() == Shape({5, 16}));
    for (int64_t i = 0; i < 80; ++i) CHECK(ds.images[i] == doctest::Approx(double((i * 7 + 3) % 256) / 127.5 - 1));
    REQUIRE(ds.labels.size() == 5);
    for (int i = 0; i < 5; ++i) CHECK(ds.labels[size_t(i)] == (i * 7 + 3) % 256);
    CHECK(ds.classes == 32);  // the largest label, 31, plus one
  }
}

TEST_CASE("idx: an MNIST directory with raw or .gz names") {
  TempDir d;
  write_gz(d.path("train-images-idx3-ubyte.gz"), idx_bytes({3, 28, 28}));
  write_raw(d.path("train-labels-idx1-ubyte"), idx_bytes({3}));
  const data::ImageDataset ds = data::load_mnist_dir(d.p.string());
  CHECK(ds.size() == 3);
  CHECK(ds.side == 28);
  CHECK(ds.images.cols() == 784);
  CHECK(contains(error_of([&] { data::load_mnist_dir(d.p.string(), false); }), "t10k-images-idx3-ubyte.gz"));
  CHECK(contains(error_of([&] { data::load_mnist_dir(d.path("nowhere")); }), "not a directory"));
}

TEST_CASE("idx: malformed files give errors that name the file and the problem") {
  TempDir d;
  const std::string lp = write_raw(d.path("lb"), idx_bytes({5}));

  SUBCASE("missing file") {
    const std::string e = error_of([&] { data::load_idx_dataset(d.path("absent"), lp); });
    CHECK(contains(e, "absent"));
    CHECK(contains(e, "no such file"));
  }
  SUBCASE("bad magic number: labels given as images, and garbage") {
    CHECK(contains(error_of([&] { data::load_idx_dataset(lp, lp); }), "bad magic number 0x00000801, expected 0x00000803"));
    Bytes b = idx_bytes({5, 4, 4});
    b[2] = 0x0d;  // float data
    const std::string e = error_of([&] { data::load_idx_dataset(write_raw(d.path("f"), b), lp); });
    CHECK(contains(e, "bad magic number 0x00000d03"));
    CHECK(contains(error_of([&] { data::load_idx_dataset(write_raw(d.path("tiny"), {0, 0}), lp); }), "shorter than the 4-byte magic"));
  }
  SUBCASE("truncated header") {
    Bytes b = idx_bytes({5, 4, 4});
    b.resize(9);
    CHECK(contains(error_of([&] { data::load_idx_dataset(write_raw(d.path("h"), b), lp); }), "truncated header"));
  }
  SUBCASE("truncated data, raw and gzip") {
    Bytes b = idx_bytes({5, 4, 4});
    b.pop_back();
    CHECK(contains(error_of([&] { data::load_idx_dataset(write_raw(d.path("t"), b), lp); }),
                   "truncated data: the header promises 80 bytes, the file has 79"));
    CHECK(contains(error_of([&] { data::load_idx_dataset(write_gz(d.path("t.gz"), b), lp); }), "truncated data"));
  }
  SUBCASE("trailing bytes") {
    Bytes b = idx_bytes({5, 4, 4});
    b.push_back(0);
    CHECK(contains(error_of([&] { data::load_idx_dataset(write_raw(d.path("x"), b), lp); }), "1 bytes after the data"));
  }
  SUBCASE("a gzip stream cut short") {
    write_gz(d.path("full.gz"), idx_bytes({50, 28, 28}));
    Bytes gz = read_all(d.path("full.gz"));
    gz.resize(gz.size() / 2);
    const std::string e = error_of([&] { data::load_idx_dataset(write_raw(d.path("cut.gz"), gz), lp); });
    CHECK(contains(e, "cut.gz"));
    CHECK((contains(e, "gzip") || contains(e, "truncated")));
  }
  SUBCASE("mismatched image and label counts") {
    const std::string ip = write_raw(d.path("im"), idx_bytes({6, 4, 4}));
    CHECK(contains(error_of([&] { data::load_idx_dataset(ip, lp); }), "holds 6 images but"));
  }
  SUBCASE("non-square images") {
    const std::string ip = write_raw(d.path("im"), idx_bytes({5, 4, 3}));
    CHECK(contains(error_of([&] { data::load_idx_dataset(ip, lp); }), "expected square"));
  }
}

TEST_CASE("digits: csv.gz rows of 64 pixels 0..16 and a label, scaled to [-1, 1]") {
  TempDir d;
  std::string csv;
  for (int r = 0; r < 3; ++r) {
    for (int k = 0; k < 64; ++k) csv += std::to_string((k + r) % 17) + ",";
    csv += std::to_string(r + 4) + "\n";
  }
  const std::string p = write_gz(d.path("digits.csv.gz"), Bytes(csv.begin(), csv.end()));
  const data::ImageDataset ds = data::load_digits(p);
  CHECK(ds.size() == 3);
  CHECK(ds.side == 8);
  CHECK(ds.classes == 10);
  CHECK(ds.labels == std::vector<int>{4, 5, 6});
  CHECK(ds.images(0, 0) == -1.0f);
  CHECK(ds.images(0, 16) == 1.0f);
  CHECK(ds.images(1, 7) == 0.0f);

  CHECK(contains(error_of([&] { data::load_digits(d.path("absent.csv.gz")); }), "no such file"));
  const std::string bad = "1,2,3\n";
  CHECK(contains(error_of([&] { data::load_digits(write_gz(d.path("bad.csv.gz"), Bytes(bad.begin(), bad.end()))); }),
                 "line 1 has 3 values, expected 65"));
  // A byte the terminal would act on is shown escaped, not echoed.
  const std::string junk = "1,\x1b[31m,2\n";
  const std::string msg = error_of([&] { data::load_digits(write_gz(d.path("junk.csv.gz"), Bytes(junk.begin(), junk.end()))); });
  CHECK(contains(msg, "line 1: not a number at '\\x1b[31m"));
  CHECK(msg.find('\x1b') == std::string::npos);
}

TEST_CASE("digits: scikit-learn's file, when python3-sklearn is installed") {
  const std::string p = data::find_sklearn_digits();
  if (p.empty()) {
    MESSAGE("python3-sklearn is not installed; skipping the real digits file");
    return;
  }
  const data::ImageDataset ds = data::load_digits(p);
  CHECK(ds.size() == 1797);
  CHECK(ds.images.cols() == 64);
  std::vector<int> per(10, 0);
  for (int l : ds.labels) ++per[size_t(l)];
  for (int c : per) CHECK(c >= 170);
  float lo = 1, hi = -1;
  for (float v : ds.images) lo = std::min(lo, v), hi = std::max(hi, v);
  CHECK(lo == -1.0f);
  CHECK(hi == 1.0f);
}

TEST_CASE("idx bad inputs: empty, binary garbage, huge dimensions, odd bytes in the path") {
  TempDir d;
  const std::string empty = write_raw(d.path("empty"), {});
  CHECK_THROWS_WITH_AS(data::read_idx(empty, 3),
                       (empty + ": not an IDX file (0 bytes, shorter than the 4-byte magic number)").c_str(), Error);
  const std::string png = write_raw(d.path("pic.png"), {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'});
  CHECK_THROWS_WITH_AS(data::read_idx(png, 3),
                       (png + ": bad magic number 0x89504e47, expected 0x00000803 (unsigned-byte IDX of rank 3: images)").c_str(),
                       Error);
  // Issue 15's overflow class: three dimensions of up to 2^32 - 1 multiply past int64 (undefined
  // behaviour before the product was checked); now the header is refused by name.
  Bytes huge{0, 0, 0x08, 3};
  for (uint32_t v : {0xffffffffu, 0xffffffffu, 1u}) put_u32(huge, v);
  const std::string hp = write_raw(d.path("huge"), huge);
  CHECK_THROWS_WITH_AS(data::read_idx(hp, 3),
                       (hp + ": dimensions [4294967295, 4294967295] describe more than 2^40 bytes; the header is corrupt").c_str(),
                       Error);
  const std::string gz = write_gz(d.path("huge.gz"), huge);
  CHECK_THROWS_WITH_AS(data::read_idx(gz, 3), doctest::Contains("describe more than 2^40 bytes"), Error);
  // A path with an escape sequence in it is quoted printably.
  const std::string odd = d.path("bad\x1b[2Jname");
  CHECK_THROWS_WITH_AS(data::read_idx(odd, 3), ("read " + d.path("bad") + "\\x1b[2Jname: no such file").c_str(), Error);
}
