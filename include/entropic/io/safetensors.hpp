// Checkpoints in the safetensors layout (huggingface/safetensors): an 8-byte little-endian
// header length, a JSON header {"name": {"dtype", "shape", "data_offsets"}, "__metadata__":
// {string: string}}, then the raw little-endian tensor bytes. Chosen so a trained generator's
// weights load in PyTorch with safetensors.torch.load_file, names matching nn.Sequential's.
#pragma once
#include <cstdint>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "entropic/core/tensor.hpp"
#include "entropic/io/file.hpp"

namespace entropic::io {

struct SafeTensor {
  std::string dtype;  // "F32" or "F64"
  std::vector<int64_t> shape;
  std::vector<char> bytes;
};

struct SafeTensorsFile {
  std::map<std::string, SafeTensor> tensors;
  std::map<std::string, std::string> metadata;

  template <class T>
  void put(const std::string& name, const Tensor<T>& t) {
    SafeTensor s{std::is_same_v<T, float> ? "F32" : "F64", t.shape().dims(), {}};
    s.bytes.resize(size_t(t.numel()) * sizeof(T));
    const Tensor<T> host = t.to(Device::cpu);
    if (t.numel()) std::memcpy(s.bytes.data(), host.data(), s.bytes.size());
    tensors[name] = std::move(s);
  }
  // Copies the stored tensor into `out`, which must have the stored shape and dtype.
  template <class T>
  void get(const std::string& name, Tensor<T>& out) const {
    auto it = tensors.find(name);
    check(it != tensors.end(), "safetensors: no tensor named '", name, "' in the checkpoint");
    const SafeTensor& s = it->second;
    const char* want = std::is_same_v<T, float> ? "F32" : "F64";
    check(s.dtype == want, "safetensors: tensor '", name, "' is ", s.dtype, ", expected ", want);
    check(Shape(s.shape) == out.shape(), "safetensors: tensor '", name, "' has shape ",
          Shape(s.shape).str(), " but the model expects ", out.shape().str());
    if (out.numel() == 0) return;
    Tensor<T> host(out.shape());
    std::memcpy(host.data(), s.bytes.data(), s.bytes.size());
    out.copy_from(host);
  }
  bool has(const std::string& name) const { return tensors.count(name) != 0; }
};

namespace detail {
inline std::string json_escape(const std::string& s) {
  std::string o;
  for (char c : s) {
    if (c == '"' || c == '\\') o += '\\';
    o += c;
  }
  return o;
}

// A reader for exactly the JSON subset safetensors headers use: objects, strings, integer
// arrays. Errors name the offset.
struct Json {
  const std::string& s;
  size_t i = 0;
  std::string where;
  void ws() {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\n' || s[i] == '\t' || s[i] == '\r')) ++i;
  }
  void expect(char c) {
    ws();
    check(i < s.size() && s[i] == c, "safetensors: ", where, ": malformed header at byte ", i,
          ", expected '", c, "'");
    ++i;
  }
  bool peek(char c) {
    ws();
    return i < s.size() && s[i] == c;
  }
  std::string str() {
    expect('"');
    std::string o;
    while (i < s.size() && s[i] != '"') {
      if (s[i] == '\\' && i + 1 < s.size()) ++i;
      o += s[i++];
    }
    expect('"');
    return o;
  }
  int64_t integer() {
    ws();
    size_t b = i;
    while (i < s.size() && (std::isdigit(static_cast<unsigned char>(s[i])) || s[i] == '-')) ++i;
    check(i > b, "safetensors: ", where, ": malformed header at byte ", b, ", expected a number");
    return std::stoll(s.substr(b, i - b));
  }
  std::vector<int64_t> ints() {
    std::vector<int64_t> v;
    expect('[');
    if (peek(']')) return ++i, v;
    do v.push_back(integer());
    while (peek(',') && ++i);
    expect(']');
    return v;
  }
};
}  // namespace detail

inline void save_safetensors(const std::string& path, const SafeTensorsFile& f) {
  std::ostringstream h;
  h << "{";
  bool first = true;
  if (!f.metadata.empty()) {
    h << "\"__metadata__\":{";
    for (auto it = f.metadata.begin(); it != f.metadata.end(); ++it)
      h << (it == f.metadata.begin() ? "" : ",") << '"' << detail::json_escape(it->first) << "\":\""
        << detail::json_escape(it->second) << '"';
    h << "}";
    first = false;
  }
  size_t off = 0;
  for (auto& [name, t] : f.tensors) {
    h << (first ? "" : ",") << '"' << detail::json_escape(name) << "\":{\"dtype\":\"" << t.dtype
      << "\",\"shape\":[";
    for (size_t k = 0; k < t.shape.size(); ++k) h << (k ? "," : "") << t.shape[k];
    h << "],\"data_offsets\":[" << off << "," << off + t.bytes.size() << "]}";
    off += t.bytes.size();
    first = false;
  }
  h << "}";
  std::string header = h.str();
  header.append((8 - header.size() % 8) % 8, ' ');  // the format pads the header with spaces
  write_atomically(path, [&](std::ostream& out) {
    const uint64_t n = header.size();
    unsigned char len[8];
    for (int b = 0; b < 8; ++b) len[b] = static_cast<unsigned char>(n >> (8 * b));
    out.write(reinterpret_cast<const char*>(len), 8);
    out << header;
    for (auto& [name, t] : f.tensors) out.write(t.bytes.data(), std::streamsize(t.bytes.size()));
  });
}

inline SafeTensorsFile load_safetensors(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  check(bool(in), "safetensors: cannot open ", path);
  unsigned char len[8];
  in.read(reinterpret_cast<char*>(len), 8);
  check(in.gcount() == 8, "safetensors: ", path, " is too short to be a safetensors file");
  uint64_t n = 0;
  for (int b = 0; b < 8; ++b) n |= uint64_t(len[b]) << (8 * b);
  check(n < (uint64_t(1) << 30), "safetensors: ", path, " declares a ", n,
        "-byte header; it is not a safetensors file or is corrupt");
  std::string header(n, '\0');
  in.read(header.data(), std::streamsize(n));
  check(uint64_t(in.gcount()) == n, "safetensors: ", path, " is truncated inside its header");
  std::vector<char> data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());

  SafeTensorsFile f;
  detail::Json j{header, 0, path};
  j.expect('{');
  while (!j.peek('}')) {
    const std::string name = j.str();
    j.expect(':');
    j.expect('{');
    if (name == "__metadata__") {
      while (!j.peek('}')) {
        std::string k = j.str();
        j.expect(':');
        f.metadata[k] = j.str();
        if (j.peek(',')) ++j.i;
      }
    } else {
      SafeTensor t;
      std::vector<int64_t> offsets;
      while (!j.peek('}')) {
        const std::string key = j.str();
        j.expect(':');
        if (key == "dtype") t.dtype = j.str();
        else if (key == "shape") t.shape = j.ints();
        else if (key == "data_offsets") offsets = j.ints();
        else fail("safetensors: ", path, ": unknown field '", key, "' for tensor '", name, "'");
        if (j.peek(',')) ++j.i;
      }
      check(offsets.size() == 2 && offsets[0] >= 0 && offsets[0] <= offsets[1] &&
                uint64_t(offsets[1]) <= data.size(),
            "safetensors: ", path, ": tensor '", name, "' points outside the file (truncated?)");
      const int64_t elem = t.dtype == "F32" ? 4 : t.dtype == "F64" ? 8 : 0;
      check(elem != 0, "safetensors: ", path, ": tensor '", name, "' has dtype ", t.dtype,
            "; only F32 and F64 are supported");
      check((offsets[1] - offsets[0]) == Shape(t.shape).numel() * elem, "safetensors: ", path,
            ": tensor '", name, "' byte range does not match its shape");
      t.bytes.assign(data.begin() + offsets[0], data.begin() + offsets[1]);
      f.tensors[name] = std::move(t);
    }
    j.expect('}');
    if (j.peek(',')) ++j.i;
  }
  return f;
}

}  // namespace entropic::io
