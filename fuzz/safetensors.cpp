// Fuzz target: a checkpoint's bytes through the safetensors reader, and every tensor it accepts
// through get(), as the trainer's resume does. Any exception but entropic::Error is a finding.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "entropic/io/safetensors.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace entropic;
  try {
    const io::SafeTensorsFile f =
        io::parse_safetensors(std::string_view(reinterpret_cast<const char*>(data), size), "fuzz.safetensors");
    for (const auto& [name, t] : f.tensors) {
      // A loader allocates the stored shape next; the reader has already matched it against
      // bytes present in the input, so this cannot ask for more memory than the input holds.
      if (t.dtype == "F32") {
        TensorF out{Shape(t.shape)};
        f.get(name, out);
      } else {
        TensorD out{Shape(t.shape)};
        f.get(name, out);
      }
    }
    // What was read must write back to bytes that read the same.
    const io::SafeTensorsFile g = io::parse_safetensors(io::safetensors_bytes(f), "fuzz round trip");
    if (g.tensors.size() != f.tensors.size() || g.metadata != f.metadata) __builtin_trap();
    for (const auto& [name, t] : f.tensors) {
      const io::SafeTensor& u = g.tensors.at(name);
      if (u.dtype != t.dtype || u.shape != t.shape || u.bytes != t.bytes) __builtin_trap();
    }
  } catch (const Error&) {
  }
  return 0;
}
