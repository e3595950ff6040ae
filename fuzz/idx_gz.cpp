// Fuzz target: a file through read_idx, which reads it with zlib (gzip or raw) and parses the
// IDX inside. The reader takes a path, so the input is written to a per-process file first.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <string>

#include "entropic/data/idx.hpp"

namespace {
std::string scratch_path() {
  namespace fs = std::filesystem;
  const fs::path dir = fs::exists("/dev/shm") ? fs::path("/dev/shm") : fs::temp_directory_path();
  return (dir / ("entropic-fuzz-idx-" + std::to_string(::getpid()) + ".gz")).string();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace entropic;
  static const std::string path = scratch_path();
  {
    FILE* f = std::fopen(path.c_str(), "wb");
    if (!f) __builtin_trap();
    if (size && std::fwrite(data, 1, size, f) != size) __builtin_trap();
    std::fclose(f);
  }
  for (int rank : {1, 3}) {
    try {
      (void)data::read_idx(path, rank);
    } catch (const Error&) {
    }
  }
  std::remove(path.c_str());
  return 0;
}
