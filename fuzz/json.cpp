// Fuzz target: the JSON reader (safetensors headers, metrics.json), the writer on whatever it
// accepts (dump, parse again, dump: the two texts must agree), and the metrics.json record
// reader on the parsed value.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "entropic/io/json.hpp"
#include "entropic_tools/run_record.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace entropic;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  json::Value v;
  try {
    v = json::parse(text, "fuzz.json");
  } catch (const Error&) {
    return 0;
  }
  for (int indent : {-1, 2}) {
    const std::string once = json::dump(v, indent);
    std::string twice;
    try {
      twice = json::dump(json::parse(once, "fuzz round trip"), indent);
    } catch (const Error&) {
      __builtin_trap();  // the writer wrote something its own reader refuses
    }
    if (once != twice) __builtin_trap();
  }
  try {
    (void)gan::mixture_record_from_json(v, "fuzz.json");
  } catch (const Error&) {
  }
  return 0;
}
