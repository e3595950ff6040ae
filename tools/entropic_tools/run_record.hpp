// What one mixture run's metrics.json says, read back: enough to rebuild the table of runs that
// were split over processes or machines (mode_collapse --table-from). Apart from the trainer so
// that a reader of the file (a fuzz target, a table tool) compiles without the networks.
#pragma once
#include <cstdint>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>

#include "entropic/core/error.hpp"
#include "entropic/io/json.hpp"

namespace entropic::gan {

struct MixtureRunRecord {
  std::string path, dataset, entropy;
  double lambda = 0, lambda_decay = 0, lambda_end = 0, lr_g = 0, lr_d = 0;
  int64_t lr_d_warmup = 0, batch = 0, iterations = 0, seed = 0, modes = 0, modes_total = 0;
  double high_quality = 0, reverse_kl = 0;  // reverse_kl: +inf where the file says null
  double train_seconds = 0;
};

// The record in a parsed metrics.json; `path` names it in errors. A missing key, or a value of
// the wrong kind, is an error naming both.
inline MixtureRunRecord mixture_record_from_json(const json::Value& v, const std::string& path) {
  check(v.is_object(), "mixture: ", path, " holds ", json::Value::kind_name(v.kind()),
        ", expected the object of a metrics.json");
  auto at = [&](const char* key) -> const json::Value& {
    const json::Value* p = v.find(key);
    check(p != nullptr, "mixture: ", path, " has no \"", key,
          "\" (not a metrics.json of this version of mixture2d / mode_collapse --out?)");
    return *p;
  };
  auto what = [&](const char* key) { return path + ": \"" + key + "\""; };
  // null is how the writer stores a non-finite reverse KL (JSON has no infinity).
  auto number = [&](const char* key) {
    const json::Value& x = at(key);
    return x.is_null() ? std::numeric_limits<double>::infinity() : x.number(what(key));
  };
  auto integer = [&](const char* key) { return at(key).integer(what(key)); };
  auto text = [&](const char* key) { return at(key).string(what(key)); };
  MixtureRunRecord r;
  r.path = path;
  r.dataset = text("dataset");
  r.entropy = text("entropy");
  r.lambda = number("lambda");
  r.lambda_decay = number("lambda_decay");
  r.lambda_end = number("lambda_end");
  r.lr_g = number("lr_g");
  r.lr_d = number("lr_d");
  r.lr_d_warmup = integer("lr_d_warmup");
  r.batch = integer("batch");
  r.iterations = integer("iterations");
  r.seed = integer("seed");
  r.modes = integer("modes");
  r.modes_total = integer("modes_total");
  r.high_quality = number("high_quality");
  r.reverse_kl = number("reverse_kl");
  r.train_seconds = number("train_seconds");
  return r;
}

// Reads a metrics.json written by write_mixture_outcome (entropic_tools/experiment.hpp).
inline MixtureRunRecord read_mixture_metrics(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  check(bool(in), "mixture: cannot open ", path,
        " (expected a metrics.json written by mixture2d or mode_collapse --out)");
  std::ostringstream buf;
  buf << in.rdbuf();
  return mixture_record_from_json(json::parse(buf.str(), path), path);
}

}  // namespace entropic::gan
