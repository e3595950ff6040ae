// Fuzz target: the CSV reader that entropic-entropy uses, for float and double samples.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "entropic/io/csv.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace entropic;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    const TensorD d = io::parse_csv<double>(text, "fuzz.csv");
    // The reader promises finite values only.
    for (int64_t i = 0; i < d.numel(); ++i)
      if (!std::isfinite(d[i])) __builtin_trap();
  } catch (const Error&) {
  }
  try {
    const TensorF f = io::parse_csv<float>(text, "fuzz.csv");
    for (int64_t i = 0; i < f.numel(); ++i)
      if (!std::isfinite(f[i])) __builtin_trap();
  } catch (const Error&) {
  }
  return 0;
}
