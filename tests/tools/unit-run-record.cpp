// metrics.json read back (tools/entropic_tools/run_record.hpp; docs/bad-inputs.md, "metrics.json").
#include <doctest/doctest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>

#include "entropic_tools/run_record.hpp"

using namespace entropic;
namespace fs = std::filesystem;

namespace {
const char* kGood = R"({
  "dataset": "grid", "lambda": 3, "lambda_decay": 0.5, "lambda_end": 0, "entropy": "kde, fixed sigma 1",
  "lr_g": 0.0002, "lr_d": 5e-05, "lr_d_warmup": 0, "batch": 100, "iterations": 60000, "seed": 9007199254740993,
  "modes": 25, "modes_total": 25, "high_quality": 0.85, "reverse_kl": null, "train_seconds": 12.5, "counts": [1]
})";
std::string with(const std::string& key, const std::string& value) {
  std::string s = kGood;
  const size_t p = s.find("\"" + key + "\": ") + key.size() + 4;
  return s.substr(0, p) + value + s.substr(s.find_first_of(",\n", p));
}
gan::MixtureRunRecord read(const std::string& text) { return gan::mixture_record_from_json(json::parse(text, "m.json"), "m.json"); }
}  // namespace

TEST_CASE("metrics.json: every field read back, null is an infinite reverse KL") {
  const gan::MixtureRunRecord r = read(kGood);
  CHECK(r.dataset == "grid");
  CHECK(r.lambda == 3);
  CHECK(r.lr_d == 5e-05);
  CHECK(r.iterations == 60000);
  CHECK(r.seed == 9007199254740993LL);  // exact past 2^53
  CHECK(std::isinf(r.reverse_kl));
  CHECK(r.train_seconds == 12.5);
}

TEST_CASE("metrics.json bad inputs: missing, empty, not JSON, missing key, wrong kinds, out of range") {
  const std::string missing = (fs::temp_directory_path() / "entropic-no-such-metrics.json").string();
  CHECK_THROWS_WITH_AS(gan::read_mixture_metrics(missing),
                       ("mixture: cannot open " + missing +
                        " (expected a metrics.json written by mixture2d or mode_collapse --out)").c_str(),
                       Error);
  const fs::path empty = fs::temp_directory_path() / ("entropic-empty-metrics-" + std::to_string(::getpid()) + ".json");
  std::ofstream(empty).close();
  CHECK_THROWS_WITH_AS(gan::read_mixture_metrics(empty.string()),
                       ("json: " + empty.string() + ": expected a value at line 1, column 1 (byte 0), at the end of the "
                        "text").c_str(),
                       Error);
  fs::remove(empty);
  CHECK_THROWS_WITH_AS(read(std::string("\x1f\x8b\x08\x00", 4)),
                       doctest::Contains("json: m.json: expected a value (object, array, string, number, true, false or "
                                         "null) at line 1, column 1 (byte 0), near '\\x1f\\x8b\\x08\\x00'"),
                       Error);
  CHECK_THROWS_WITH_AS(read("[1, 2]"), "mixture: m.json holds an array, expected the object of a metrics.json", Error);
  CHECK_THROWS_WITH_AS(read(R"({"dataset": "grid", "entropy": "kde", "lambda": 3})"),
                       "mixture: m.json has no \"lambda_decay\" (not a metrics.json of this version of mixture2d / "
                       "mode_collapse --out?)",
                       Error);
  CHECK_THROWS_WITH_AS(read(with("lambda", "\"three\"")), "json: m.json: \"lambda\" is a string, expected a number", Error);
  CHECK_THROWS_WITH_AS(read(with("lambda", "three")), doctest::Contains("json: m.json: expected a value"), Error);
  CHECK_THROWS_WITH_AS(read(with("lambda", "1e400")),
                       doctest::Contains("json: m.json: number 1e400 is out of range of a double at line 2"), Error);
  CHECK_THROWS_WITH_AS(read(with("batch", "2.5")), "json: m.json: \"batch\" is 2.5, expected an integer in int64's range",
                       Error);
  CHECK_THROWS_WITH_AS(read(with("seed", "1e19")), "json: m.json: \"seed\" is 1e+19, expected an integer in int64's range",
                       Error);
  CHECK_THROWS_WITH_AS(read(with("dataset", "7")), "json: m.json: \"dataset\" is a number, expected a string", Error);
}
