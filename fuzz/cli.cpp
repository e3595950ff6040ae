// Fuzz target: the command-line parser. The input is split at NUL bytes and newlines into
// argv; the options mirror the examples' kinds (number, integer, integer list, text, switch),
// and every accessor is called after a successful parse, as a program's main does.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "entropic_tools/cli.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace entropic;
  std::vector<std::string> words{"fuzz-cli"};
  std::string cur;
  for (size_t i = 0; i < size; ++i) {
    const char c = char(data[i]);
    if (c == '\0' || c == '\n') {
      words.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  if (!cur.empty()) words.push_back(cur);
  std::vector<char*> argv;
  for (auto& w : words) argv.push_back(w.data());
  argv.push_back(nullptr);
  cli::Args a("fuzz-cli", "fuzzing the parser");
  a.option("lambda", "1.5", "a number")
      .option("iters", "100", "an integer")
      .option("hidden", "64,64", "a list of integers")
      .option("out", "", "a path")
      .flag("quiet", "a switch");
  // --help prints the usage to stdout and stops; a fuzz run would flood its log with it, so
  // such inputs print the usage to /dev/null instead (the parse before it is the same code).
  for (const auto& w : words)
    if (w == "--help" || w == "-h") {
      if (FILE* null = std::fopen("/dev/null", "w")) a.usage(null), std::fclose(null);
      return 0;
    }
  try {
    if (a.parse(int(words.size()), argv.data())) {
      for (const char* n : {"lambda", "iters", "hidden", "out"}) {
        try {
          (void)a.num(n);
        } catch (const Error&) {
        }
        try {
          (void)a.integer(n);
        } catch (const Error&) {
        }
        try {
          (void)a.int_list(n);
        } catch (const Error&) {
        }
        (void)a.str(n);
      }
      (void)a.has("quiet");
    }
  } catch (const Error&) {
  }
  return 0;
}
