// Bad command lines (docs/bad-inputs.md, "command line"): each an Error naming the program,
// the option and the value, quoted printably.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "entropic_tools/cli.hpp"

using namespace entropic;

namespace {
cli::Args parsed(std::vector<std::string> words) {
  cli::Args a("prog", "a test program");
  a.option("lambda", "1", "a number").option("iters", "10", "an integer").option("hidden", "8,8", "integers");
  a.flag("quiet", "a switch");
  words.insert(words.begin(), "prog");
  std::vector<char*> argv;
  for (auto& w : words) argv.push_back(w.data());
  a.parse(int(argv.size()), argv.data());
  return a;
}
}  // namespace

TEST_CASE("cli: good values") {
  const cli::Args a = parsed({"--lambda", "2.5", "--iters=1e3", "--hidden", "4,-5", "--quiet"});
  CHECK(a.num("lambda") == 2.5);
  CHECK(a.integer("iters") == 1000);
  CHECK(a.int_list("hidden") == std::vector<int64_t>{4, -5});
  CHECK(a.has("quiet"));
  CHECK(parsed({"--iters", "9223372036854775807"}).integer("iters") == INT64_MAX);
}

TEST_CASE("cli bad inputs: unknown option, missing value, stray argument") {
  CHECK_THROWS_WITH_AS(parsed({"--lamda", "1"}), "prog: unknown option --lamda (see --help)", Error);
  CHECK_THROWS_WITH_AS(parsed({"--iters"}), "prog: --iters needs a value", Error);
  CHECK_THROWS_WITH_AS(parsed({"--quiet=1"}), "prog: --quiet is a switch and takes no value", Error);
  CHECK_THROWS_WITH_AS(parsed({"data.csv"}), "prog: unexpected argument 'data.csv'; options start with -- (see --help)",
                       Error);
  // Garbage bytes are quoted printably, not echoed to the terminal.
  CHECK_THROWS_WITH_AS(parsed({"--\x1b[2J\xff"}), "prog: unknown option --\\x1b[2J\\xff (see --help)", Error);
  CHECK_THROWS_WITH_AS(parsed({"\x01\x02"}), "prog: unexpected argument '\\x01\\x02'; options start with -- (see --help)",
                       Error);
}

TEST_CASE("cli bad inputs: not a number, out of range, not finite") {
  CHECK_THROWS_WITH_AS(parsed({"--lambda", "abc"}).num("lambda"), "prog: --lambda expects a number, got 'abc'", Error);
  CHECK_THROWS_WITH_AS(parsed({"--lambda", "1\x01"}).num("lambda"), "prog: --lambda expects a number, got '1\\x01'", Error);
  CHECK_THROWS_WITH_AS(parsed({"--lambda", ""}).num("lambda"), "prog: --lambda expects a number, got ''", Error);
  // Issue 15: 1e400 read as an infinity.
  CHECK_THROWS_WITH_AS(parsed({"--lambda", "1e400"}).num("lambda"), "prog: --lambda is out of range of a double, got '1e400'",
                       Error);
  CHECK_THROWS_WITH_AS(parsed({"--lambda", "nan"}).num("lambda"), "prog: --lambda expects a finite number, got 'nan'", Error);
  CHECK_THROWS_WITH_AS(parsed({"--iters", "2.5"}).integer("iters"), "prog: --iters expects an integer, got '2.5'", Error);
  // Beyond int64: the old code converted 1e19 to int64 (undefined behaviour) and strtoll clamped.
  CHECK_THROWS_WITH_AS(parsed({"--iters", "1e19"}).integer("iters"),
                       "prog: --iters is out of range of a 64-bit integer, got '1e19'", Error);
  CHECK_THROWS_WITH_AS(parsed({"--iters", "9223372036854775808"}).integer("iters"),
                       "prog: --iters is out of range of a 64-bit integer, got '9223372036854775808'", Error);
  CHECK_THROWS_WITH_AS(parsed({"--iters", "1e400"}).integer("iters"), "prog: --iters is out of range of a double, got '1e400'",
                       Error);
  CHECK_THROWS_WITH_AS(parsed({"--hidden", "8,99999999999999999999"}).int_list("hidden"),
                       "prog: --hidden is out of range of a 64-bit integer, got '8,99999999999999999999'", Error);
  CHECK_THROWS_WITH_AS(parsed({"--hidden", "8,,8"}).int_list("hidden"),
                       "prog: --hidden expects a comma-separated list of integers, got '8,,8'", Error);
}
