// Bad checkpoints (docs/bad-inputs.md, "safetensors checkpoint"): each a clear Error naming
// the file and the problem, never a crash, a standard exception or a wrapped size.
#include <doctest/doctest.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>

#include "entropic/io/safetensors.hpp"

using namespace entropic;
namespace fs = std::filesystem;

namespace {
struct TempDir {
  fs::path p;
  TempDir() : p(fs::temp_directory_path() / ("entropic-st-" + std::to_string(::getpid()))) { fs::create_directories(p); }
  ~TempDir() { fs::remove_all(p); }
  std::string write(const std::string& name, const std::string& bytes) const {
    const auto f = (p / name).string();
    std::ofstream(f, std::ios::binary) << bytes;
    return f;
  }
};
// A file with this header (padded as the format wants) and `data` after it.
std::string with_header(const std::string& json, const std::string& data = "") {
  std::string h = json;
  h.append((8 - h.size() % 8) % 8, ' ');
  std::string out(8, '\0');
  for (int b = 0; b < 8; ++b) out[size_t(b)] = char((h.size() >> (8 * b)) & 0xff);
  return out + h + data;
}
std::string good() {
  io::SafeTensorsFile f;
  f.put("w", TensorF::from({2, 2}, {1, 2, 3, 4}));
  f.metadata["iteration"] = "3";
  return io::safetensors_bytes(f);
}
}  // namespace

TEST_CASE("safetensors bad inputs: missing, directory, empty, truncated, garbage") {
  TempDir d;
  const std::string ok = d.write("ok.safetensors", good());
  CHECK(io::load_safetensors(ok).tensors.at("w").shape == std::vector<int64_t>{2, 2});
  const std::string missing = (d.p / "absent.safetensors").string();
  CHECK_THROWS_WITH_AS(io::load_safetensors(missing),
                       ("safetensors: cannot open " + missing + " (No such file or directory)").c_str(), Error);
  CHECK_THROWS_WITH_AS(io::load_safetensors(d.p.string()), doctest::Contains("is a directory, expected a checkpoint file"),
                       Error);
  const std::string empty = d.write("empty.safetensors", "");
  CHECK_THROWS_WITH_AS(io::load_safetensors(empty),
                       ("safetensors: " + empty + " is too short to be a safetensors file (0 bytes; the header "
                        "length alone takes 8)").c_str(),
                       Error);
  const std::string g = good();
  const std::string cut_header = d.write("cut-header.safetensors", g.substr(0, 20));
  CHECK_THROWS_WITH_AS(io::load_safetensors(cut_header), doctest::Contains("is truncated inside its header"), Error);
  const std::string cut_data = d.write("cut-data.safetensors", g.substr(0, g.size() - 4));
  CHECK_THROWS_WITH_AS(io::load_safetensors(cut_data),
                       doctest::Contains("tensor 'w' points outside the file (data_offsets [0, 16], the file holds 12 "
                                         "data bytes; truncated?)"),
                       Error);
  // Random bytes: the length field decodes to something absurd.
  const std::string garbage = d.write("garbage.safetensors", std::string("\x89PNG\r\n\x1a\n\xff\xfe\x01", 11));
  CHECK_THROWS_WITH_AS(io::load_safetensors(garbage), doctest::Contains("-byte header; it is not a safetensors file or is corrupt"),
                       Error);
  // A plausible length followed by bytes that are not JSON: the message quotes them printably.
  const std::string binary = d.write("binary.safetensors", with_header(std::string("\x01\x02\xff{", 4)));
  CHECK_THROWS_WITH_AS(io::load_safetensors(binary),
                       doctest::Contains("header: expected a value (object, array, string, number, true, false or null) "
                                         "at line 1, column 1 (byte 0), near '\\x01\\x02\\xff{    '"),
                       Error);
}

TEST_CASE("safetensors bad inputs: huge dimensions, numbers beyond int64, wrong dtype") {
  // Issue 15: [2^62, 4] has 2^64 elements, which wrapped to 0 and matched data_offsets [0, 0].
  CHECK_THROWS_WITH_AS(
      io::parse_safetensors(with_header(R"({"w":{"dtype":"F32","shape":[4611686018427387904,4],"data_offsets":[0,0]}})"),
                            "huge.safetensors"),
      "shape: [4611686018427387904, 4] has more elements than an int64 can count; the dimensions are corrupt or far "
      "too large",
      Error);
  // 2^61 elements count, but not their bytes.
  CHECK_THROWS_WITH_AS(
      io::parse_safetensors(with_header(R"({"w":{"dtype":"F32","shape":[2305843009213693952],"data_offsets":[0,0]}})"),
                            "huge.safetensors"),
      doctest::Contains("of 4-byte elements is more bytes than an int64 can count"), Error);
  CHECK_THROWS_WITH_AS(
      io::parse_safetensors(with_header(R"({"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", std::string(8, '\0')),
                            "short.safetensors"),
      "safetensors short.safetensors: tensor 'w' data_offsets [0, 8] hold 8 bytes but shape [3] of F32 needs 12; the "
      "byte range does not match its shape",
      Error);
  // Issue 15: a number beyond int64 escaped std::stoll as std::out_of_range.
  CHECK_THROWS_WITH_AS(
      io::parse_safetensors(with_header(R"({"w":{"dtype":"F32","shape":[99999999999999999999],"data_offsets":[0,0]}})"),
                            "big.safetensors"),
      "json: safetensors big.safetensors: tensor 'w' shape is 1e+20, expected an integer in int64's range", Error);
  CHECK_THROWS_WITH_AS(
      io::parse_safetensors(with_header(R"({"w":{"dtype":"F32","shape":[-1],"data_offsets":[0,0]}})"), "neg.safetensors"),
      "safetensors neg.safetensors: tensor 'w' has a negative dimension -1 in its shape", Error);
  CHECK_THROWS_WITH_AS(
      io::parse_safetensors(with_header(R"({"w":{"dtype":"I8","shape":[1],"data_offsets":[0,1]}})", "x"), "i8.safetensors"),
      "safetensors i8.safetensors: tensor 'w' has dtype I8; only F32 and F64 are supported", Error);
  CHECK_THROWS_WITH_AS(
      io::parse_safetensors(with_header(R"({"w":{"dtype":"F32","shape":[1]}})"), "x.safetensors"),
      "safetensors x.safetensors: tensor 'w' lacks its data_offsets", Error);
  CHECK_THROWS_WITH_AS(
      io::parse_safetensors(with_header(R"({"w":{"dtype":"F32","shape":[0],"data_offsets":[0,0],"extra":1}})"),
                            "x.safetensors"),
      "safetensors x.safetensors: tensor 'w' has an unknown field 'extra' (expected dtype, shape, data_offsets)", Error);
  CHECK_THROWS_WITH_AS(io::parse_safetensors(with_header(R"({"__metadata__":{"iteration":3}})"), "x.safetensors"),
                       "json: safetensors x.safetensors: '__metadata__' entry 'iteration' is a number, expected a string",
                       Error);
  // A tensor of the other float type: loads, and get() names both types.
  io::SafeTensorsFile f;
  f.put("w", TensorD::from({2}, {1, 2}));
  const io::SafeTensorsFile g = io::parse_safetensors(io::safetensors_bytes(f), "f64.safetensors");
  TensorF out({2});
  CHECK_THROWS_WITH_AS(g.get("w", out), "safetensors: tensor 'w' is F64, expected F32", Error);
}

TEST_CASE("safetensors: the header is the compact JSON earlier versions wrote, byte for byte") {
  io::SafeTensorsFile f;
  f.put("b", TensorF::from({1}, {1}));
  f.put("a\"q", TensorD::from({2, 1}, {1, 2}));
  f.metadata["k"] = "v\\";
  const std::string bytes = io::safetensors_bytes(f);
  const std::string h = R"({"__metadata__":{"k":"v\\"},"a\"q":{"dtype":"F64","shape":[2,1],"data_offsets":[0,16]},)"
                        R"("b":{"dtype":"F32","shape":[1],"data_offsets":[16,20]}})";
  CHECK(bytes.substr(8, h.size()) == h);
  CHECK(uint8_t(bytes[0]) == (h.size() + 7) / 8 * 8);
  CHECK(bytes.size() == 8 + (h.size() + 7) / 8 * 8 + 20);
}
