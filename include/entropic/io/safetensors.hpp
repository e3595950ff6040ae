// Checkpoints in the safetensors layout (huggingface/safetensors): an 8-byte little-endian
// header length, a JSON header {"name": {"dtype", "shape", "data_offsets"}, "__metadata__":
// {string: string}}, then the raw little-endian tensor bytes. Chosen so a trained generator's
// weights load in PyTorch with safetensors.torch.load_file, names matching nn.Sequential's.
#pragma once
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "entropic/core/tensor.hpp"
#include "entropic/io/file.hpp"
#include "entropic/io/json.hpp"

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

// The file's bytes: an 8-byte little-endian header length, the header padded with spaces to a
// multiple of 8, then the tensors' bytes in the header's order.
inline std::string safetensors_bytes(const SafeTensorsFile& f) {
  json::Value h = json::Value::object();
  if (!f.metadata.empty()) {
    json::Value m = json::Value::object();
    for (const auto& [k, v] : f.metadata) m.set(k, v);
    h.set("__metadata__", std::move(m));
  }
  int64_t off = 0;
  for (const auto& [name, t] : f.tensors) {
    json::Value e = json::Value::object();
    e.set("dtype", t.dtype);
    e.set("shape", t.shape);
    e.set("data_offsets", json::Value::Array{off, off + int64_t(t.bytes.size())});
    off += int64_t(t.bytes.size());
    h.set(name, std::move(e));
  }
  std::string header = json::dump(h);
  header.append((8 - header.size() % 8) % 8, ' ');
  std::string out(8, '\0');
  const uint64_t n = header.size();
  for (int b = 0; b < 8; ++b) out[size_t(b)] = char(static_cast<unsigned char>(n >> (8 * b)));
  out += header;
  for (const auto& [name, t] : f.tensors) out.append(t.bytes.data(), t.bytes.size());
  return out;
}

inline void save_safetensors(const std::string& path, const SafeTensorsFile& f) {
  const std::string bytes = safetensors_bytes(f);
  write_atomically(path, [&](std::ostream& out) { out.write(bytes.data(), std::streamsize(bytes.size())); });
}

// Parses a whole safetensors file held in memory; `path` names it in errors.
inline SafeTensorsFile parse_safetensors(std::string_view bytes, const std::string& path) {
  check(bytes.size() >= 8, "safetensors: ", path, " is too short to be a safetensors file (", bytes.size(),
        " bytes; the header length alone takes 8)");
  uint64_t n = 0;
  for (int b = 0; b < 8; ++b) n |= uint64_t(static_cast<unsigned char>(bytes[size_t(b)])) << (8 * b);
  check(n < (uint64_t(1) << 30), "safetensors: ", path, " declares a ", n,
        "-byte header; it is not a safetensors file or is corrupt");
  check(n <= bytes.size() - 8, "safetensors: ", path, " is truncated inside its header (it declares ", n,
        " bytes, the file holds ", bytes.size() - 8, " after the length)");
  const std::string_view data = bytes.substr(8 + n);
  const json::Value h = json::parse(bytes.substr(8, n), "safetensors " + path + " header");
  check(h.is_object(), "safetensors: ", path, ": the header is ", json::Value::kind_name(h.kind()),
        ", expected an object of tensors");

  SafeTensorsFile f;
  for (const auto& [name, entry] : h.members()) {
    const std::string where = "safetensors " + path + ": " + (name == "__metadata__" ? "" : "tensor ") + "'" +
                              printable(name) + "'";
    if (name == "__metadata__") {
      for (const auto& [k, v] : entry.members(where)) f.metadata[k] = v.string(where + " entry '" + printable(k) + "'");
      continue;
    }
    SafeTensor t;
    const json::Value *dtype = nullptr, *shape = nullptr, *offsets = nullptr;
    for (const auto& [key, v] : entry.members(where)) {
      if (key == "dtype") dtype = &v;
      else if (key == "shape") shape = &v;
      else if (key == "data_offsets") offsets = &v;
      else fail(where, " has an unknown field '", printable(key), "' (expected dtype, shape, data_offsets)");
    }
    check(dtype && shape && offsets, where, " lacks its ", !dtype ? "dtype" : !shape ? "shape" : "data_offsets");
    t.dtype = dtype->string(where + " dtype");
    const int64_t elem = t.dtype == "F32" ? 4 : t.dtype == "F64" ? 8 : 0;
    check(elem != 0, where, " has dtype ", printable(t.dtype), "; only F32 and F64 are supported");
    for (const json::Value& d : shape->items(where + " shape")) {
      const int64_t x = d.integer(where + " shape");
      check(x >= 0, where, " has a negative dimension ", x, " in its shape");
      t.shape.push_back(x);
    }
    const auto& off = offsets->items(where + " data_offsets");
    check(off.size() == 2, where, " data_offsets holds ", off.size(), " numbers, expected [begin, end]");
    const int64_t b = off[0].integer(where + " data_offsets"), e = off[1].integer(where + " data_offsets");
    check(b >= 0 && b <= e && uint64_t(e) <= data.size(), where, " points outside the file (data_offsets [", b,
          ", ", e, "], the file holds ", data.size(), " data bytes; truncated?)");
    // Checked: a shape like [2^62, 4] would wrap to a small byte count and pass a plain multiply.
    const int64_t want = Shape(t.shape).bytes(elem);
    check(e - b == want, where, " data_offsets [", b, ", ", e, "] hold ", e - b, " bytes but shape ",
          Shape(t.shape).str(), " of ", t.dtype, " needs ", want, "; the byte range does not match its shape");
    t.bytes.assign(data.begin() + b, data.begin() + e);
    f.tensors[name] = std::move(t);
  }
  return f;
}

inline SafeTensorsFile load_safetensors(const std::string& path) {
  check(!std::filesystem::is_directory(path), "safetensors: ", path, " is a directory, expected a checkpoint file");
  std::ifstream in(path, std::ios::binary);
  check(bool(in), "safetensors: cannot open ", path, " (", std::strerror(errno), ")");
  std::ostringstream buf;
  buf << in.rdbuf();
  check(!in.bad(), "safetensors: reading ", path, " failed");
  return parse_safetensors(buf.str(), path);
}

}  // namespace entropic::io
