// MNIST-format IDX files (LeCun's MNIST, Fashion-MNIST), raw or gzip-compressed, and the image
// data sets built from them.
//
// IDX layout: a big-endian magic number 0x00 0x00 <type> <rank> (type 0x08 = unsigned byte),
// then <rank> big-endian uint32 dimensions, then the row-major data. Images are rank 3
// [n, rows, cols] (magic 0x00000803), labels rank 1 [n] (magic 0x00000801).
//
// Files are read through zlib's gz* interface, which decompresses gzip and passes other files
// through unchanged, so `train-images-idx3-ubyte` and `train-images-idx3-ubyte.gz` both load.
// Programs that include this header link zlib (CMake: ZLIB::ZLIB; Debian: zlib1g-dev).
#pragma once
#include <zlib.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "entropic/core/error.hpp"
#include "entropic/core/tensor.hpp"

namespace entropic::data {

// A labelled image data set: pixels scaled to [-1, 1] (the generator's Tanh range), one image
// per row of `images` [n, side * side], row-major within an image.
struct ImageDataset {
  std::string name;
  Tensor<float> images;
  std::vector<int> labels;  // [n], in [0, classes)
  int side = 0;
  int classes = 0;
  int64_t size() const { return images.defined() ? images.rows() : 0; }
};

// The whole file, decompressed when it is gzip. Errors name the file and the reason.
inline std::vector<uint8_t> read_maybe_gzip(const std::string& file) {
  // Paths come from command lines and may hold any bytes; messages quote them printably.
  const std::string path = printable(file, 4096);
  check(std::filesystem::exists(file), "read ", path, ": no such file");
  check(!std::filesystem::is_directory(file), "read ", path, ": is a directory, expected a file");
  gzFile f = gzopen(file.c_str(), "rb");
  check(f != nullptr, "read ", path, ": cannot open it");
  std::vector<uint8_t> out;
  std::vector<uint8_t> buf(1 << 16);
  for (;;) {
    const int got = gzread(f, buf.data(), unsigned(buf.size()));
    if (got < 0) {
      int code = 0;
      const std::string why = gzerror(f, &code);
      gzclose(f);
      fail("read ", path, ": corrupt or truncated gzip data (", why, ")");
    }
    if (got == 0) break;
    out.insert(out.end(), buf.begin(), buf.begin() + got);
  }
  // A gzip stream cut short can end without a read error; gzclose reports it.
  const int rc = gzclose(f);
  check(rc == Z_OK, "read ", path, ": corrupt or truncated gzip data (zlib error ", rc, ")");
  return out;
}

// An unsigned-byte IDX tensor: its dimensions and data.
struct IdxArray {
  std::vector<int64_t> dims;
  std::vector<uint8_t> data;
};

// Parses the bytes of an IDX file; `path` and `rank` (the expected rank) are for the checks.
inline IdxArray parse_idx(const std::vector<uint8_t>& b, int rank, const std::string& file) {
  check(rank >= 1 && rank <= 8, "parse_idx: rank ", rank, " is not an IDX rank (1 to 8)");
  const std::string path = printable(file, 4096);
  check(b.size() >= 4, path, ": not an IDX file (", b.size(), " bytes, shorter than the 4-byte magic number)");
  const uint32_t magic = uint32_t(b[0]) << 24 | uint32_t(b[1]) << 16 | uint32_t(b[2]) << 8 | b[3];
  const uint32_t want = 0x800u | uint32_t(rank);
  if (magic != want) {
    char got[16], exp[16];
    std::snprintf(got, sizeof got, "0x%08x", magic);
    std::snprintf(exp, sizeof exp, "0x%08x", want);
    fail(path, ": bad magic number ", got, ", expected ", exp, " (unsigned-byte IDX of rank ", rank,
         rank == 3 ? ": images" : rank == 1 ? ": labels" : "", ")",
         b[0] == 0x1f && b[1] == 0x8b ? "; the file looks gzip-compressed but did not decompress" : "");
  }
  const size_t header = 4 + 4 * size_t(rank);
  check(b.size() >= header, path, ": truncated header (", b.size(), " bytes, the ", rank,
        " dimensions need ", header, ")");
  IdxArray a;
  int64_t count = 1;
  for (int r = 0; r < rank; ++r) {
    const uint8_t* p = &b[4 + 4 * size_t(r)];
    const int64_t d = int64_t(uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 | p[3]);
    check(d > 0, path, ": dimension ", r, " is 0");
    a.dims.push_back(d);
    // Each dimension may be up to 2^32 - 1, so the product is checked before it can wrap.
    if (__builtin_mul_overflow(count, d, &count) || count >= (int64_t(1) << 40)) {
      std::string dims;  // not Shape(a.dims).str(): that Shape would itself refuse the product
      for (size_t k = 0; k < a.dims.size(); ++k) dims += (k ? ", " : "") + std::to_string(a.dims[k]);
      fail(path, ": dimensions [", dims, "] describe more than 2^40 bytes; the header is corrupt");
    }
  }
  const size_t have = b.size() - header;
  check(have >= size_t(count), path, ": truncated data: the header promises ", count, " bytes, the file has ", have);
  check(have == size_t(count), path, ": ", have - size_t(count), " bytes after the data the header describes");
  a.data.assign(b.begin() + std::ptrdiff_t(header), b.end());
  return a;
}

inline IdxArray read_idx(const std::string& path, int rank) { return parse_idx(read_maybe_gzip(path), rank, path); }

// An image file [n, side, side] and its label file [n], pixels 0..255 scaled to [-1, 1].
inline ImageDataset load_idx_dataset(const std::string& images_path, const std::string& labels_path,
                                     const std::string& name = "idx") {
  const IdxArray im = read_idx(images_path, 3);
  const IdxArray lb = read_idx(labels_path, 1);
  check(im.dims[1] == im.dims[2], images_path, ": images are ", im.dims[1], "x", im.dims[2], ", expected square");
  check(im.dims[0] == lb.dims[0], "idx: ", images_path, " holds ", im.dims[0], " images but ", labels_path,
        " holds ", lb.dims[0], " labels");
  ImageDataset d;
  d.name = name;
  d.side = int(im.dims[1]);
  const int64_t n = im.dims[0], px = im.dims[1] * im.dims[2];
  d.images = Tensor<float>({n, px});
  for (int64_t i = 0; i < n * px; ++i) d.images[i] = float(im.data[size_t(i)]) / 127.5f - 1.0f;
  d.labels.assign(lb.data.begin(), lb.data.end());
  int top = 0;
  for (int l : d.labels) top = std::max(top, l);
  d.classes = top + 1;
  return d;
}

// MNIST's file names in a directory (MNIST and Fashion-MNIST use the same ones), each raw or
// with .gz: DIR/{train,t10k}-{images-idx3,labels-idx1}-ubyte[.gz].
inline ImageDataset load_mnist_dir(const std::string& dir, bool train = true) {
  namespace fs = std::filesystem;
  check(fs::is_directory(dir), "mnist: ", dir, " is not a directory; pass --data DIR with the MNIST-format files ",
        "(train-images-idx3-ubyte[.gz], train-labels-idx1-ubyte[.gz]), or --data digits");
  const std::string split = train ? "train" : "t10k";
  auto find = [&](const std::string& stem) {
    for (const std::string& p : {dir + "/" + stem, dir + "/" + stem + ".gz"})
      if (fs::exists(p)) return p;
    fail("mnist: ", dir, " has neither ", stem, " nor ", stem, ".gz");
  };
  const std::string images = find(split + "-images-idx3-ubyte");
  const std::string labels = find(split + "-labels-idx1-ubyte");
  return load_idx_dataset(images, labels, fs::path(dir).filename().string());
}

}  // namespace entropic::data
