// Fuzz target: raw IDX bytes through parse_idx, as images (rank 3) and as labels (rank 1).
// The first byte picks the rank so one corpus covers both.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "entropic/data/idx.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace entropic;
  const std::vector<uint8_t> bytes(data, data + size);
  for (int rank : {1, 3}) {
    try {
      const data::IdxArray a = data::parse_idx(bytes, rank, "fuzz-idx");
      int64_t n = 1;
      for (int64_t d : a.dims) n *= d;
      if (a.dims.size() != size_t(rank) || int64_t(a.data.size()) != n) __builtin_trap();
    } catch (const Error&) {
    }
  }
  return 0;
}
