// Bad CSV files for entropic-entropy (docs/bad-inputs.md, "CSV samples"): each an Error naming
// the file, line and column, quoting the cell printably.
#include <doctest/doctest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "entropic/io/csv.hpp"

using namespace entropic;
namespace fs = std::filesystem;

TEST_CASE("csv bad inputs: missing, directory, empty") {
  const fs::path dir = fs::temp_directory_path() / ("entropic-csv-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const std::string missing = (dir / "absent.csv").string();
  CHECK_THROWS_WITH_AS(io::read_csv<double>(missing), ("read_csv: cannot open " + missing).c_str(), Error);
  CHECK_THROWS_WITH_AS(io::read_csv<double>(dir.string()),
                       ("read_csv: " + dir.string() + " is a directory, expected a CSV file").c_str(), Error);
  const std::string empty = (dir / "empty.csv").string();
  std::ofstream(empty).close();
  CHECK_THROWS_WITH_AS(io::read_csv<double>(empty), ("read_csv: " + empty + " holds no data rows").c_str(), Error);
  fs::remove_all(dir);
}

TEST_CASE("csv bad inputs: binary bytes are quoted printably, long fields cut") {
  // Issue 15: the raw bytes (here an ANSI colour escape) went to the terminal.
  CHECK_THROWS_WITH_AS(io::parse_csv<double>(std::string("x,y\n1,2\n3,\x01\x02\xff\x1b[31m\n"), "bin.csv"),
                       "read_csv: bin.csv line 3, column 2: '\\x01\\x02\\xff\\x1b[31m' is not a number", Error);
  CHECK_THROWS_WITH_AS(io::parse_csv<double>(std::string("1\n2\0\n", 5), "nul.csv"),
                       "read_csv: nul.csv line 2, column 1: '2\\x00' is not a number", Error);
  CHECK_THROWS_WITH_AS(io::parse_csv<double>("1\n" + std::string(5000, 'A') + "\n", "long.csv"),
                       ("read_csv: long.csv line 2, column 1: '" + std::string(60, 'A') +
                        "...(4940 more bytes)' is not a number").c_str(),
                       Error);
}

TEST_CASE("csv bad inputs: out of range, NaN and infinities, ragged rows") {
  // Issue 15: 1e400 was reported as "not a number" (and on line 1 taken as a header).
  CHECK_THROWS_WITH_AS(io::parse_csv<double>("x\n1e400\n", "big.csv"),
                       "read_csv: big.csv line 2, column 1: '1e400' is out of range of a double", Error);
  CHECK_THROWS_WITH_AS(io::parse_csv<double>("1,-1e400\n", "big.csv"),
                       "read_csv: big.csv line 1, column 2: '-1e400' is out of range of a double", Error);
  // A double but not a float: converting it would be undefined behaviour.
  CHECK_THROWS_WITH_AS(io::parse_csv<float>("1,1e300\n", "f.csv"),
                       "read_csv: f.csv line 1, column 2: '1e300' is out of range of a float", Error);
  CHECK(io::parse_csv<double>("1,1e300\n", "f.csv")(0, 1) == 1e300);
  CHECK(io::parse_csv<double>("1e-400\n", "tiny.csv")(0, 0) == 0.0);  // underflow is not an error
  CHECK_THROWS_WITH_AS(io::parse_csv<double>("x,y\n1,nan\n", "nan.csv"),
                       "read_csv: nan.csv line 2, column 2 holds a non-finite value (nan); NaN and infinities cannot "
                       "be used",
                       Error);
  CHECK_THROWS_WITH_AS(io::parse_csv<double>("-inf,1\n", "inf.csv"),
                       "read_csv: inf.csv line 1, column 1 holds a non-finite value (-inf); NaN and infinities cannot "
                       "be used",
                       Error);
  CHECK_THROWS_WITH_AS(io::parse_csv<double>("1,2\n3,4\n5\n", "ragged.csv"),
                       "read_csv: ragged.csv line 3 has 1 values, expected 2 like the lines before it", Error);
  CHECK_THROWS_WITH_AS(io::parse_csv<double>("x,y\n", "header-only.csv"),
                       "read_csv: header-only.csv holds no data rows", Error);
}
