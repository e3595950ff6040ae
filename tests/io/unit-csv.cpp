// Bad CSV files for entropic-entropy (docs/bad-inputs.md, "CSV samples"): each an Error naming
// the file, line and column, quoting the cell printably.
#include <doctest/doctest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

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

namespace {
template <class T>
bool same(const Tensor<T>& a, const Tensor<T>& b) {
  if (a.shape() != b.shape()) return false;
  for (int64_t i = 0; i < a.numel(); ++i)
    if (std::memcmp(a.data() + i, b.data() + i, sizeof(T)) != 0) return false;
  return true;
}
std::string write_file(const fs::path& dir, const std::string& name, const std::string& text) {
  const std::string p = (dir / name).string();
  std::ofstream(p, std::ios::binary) << text;
  return p;
}
}  // namespace

TEST_CASE("csv: read_csv streams a file to exactly what parse_csv makes of its text") {
  const fs::path dir = fs::temp_directory_path() / ("entropic-csv-stream-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  // 300,000 rows: lines cross the reader's 1 MiB chunks, with a header, blank and CRLF lines.
  std::string big = "a,b,c\n\n";
  for (int i = 0; i < 300000; ++i) {
    big.append(std::to_string(i)).append(",").append(std::to_string(i * 0.001)).append(", -");
    big.append(std::to_string(i % 7)).append(i % 5 ? "\n" : "\r\n").append(i % 1000 ? "" : "  \t\n");
  }
  const std::vector<std::string> texts = {big, "1,2\n3,4", "x\n\n 5 \n6\r\n", "\n\n1e-400,0x1p3,-0\n", "7\n"};
  for (size_t t = 0; t < texts.size(); ++t) {
    const std::string p = write_file(dir, std::string("t").append(std::to_string(t)).append(".csv"), texts[t]);
    CAPTURE(t);
    const auto d = io::read_csv<double>(p);
    CHECK(same(d, io::parse_csv<double>(texts[t], p)));
    CHECK(same(io::read_csv<float>(p), io::parse_csv<float>(texts[t], p)));
    if (t == 0) {
      CHECK(d.rows() == 300000);
      CHECK(d.cols() == 3);
      CHECK(d(299999, 0) == 299999.0);
      CHECK(d(4, 2) == -4.0);
    }
  }
  fs::remove_all(dir);
}

TEST_CASE("csv: a cell reads the same on the first line (slow path) as on later lines (fast path)") {
  const std::vector<std::string> cells = {" 1", "1 ", "\t2\r", "+3", "-0", "1e-400", "0x1p3", ".5", "5.", "1e308",
                                          "inf", "nan", "1e400", "", " ", "1 2", "\v1", "\f2", "1e", "--1", "3e38",
                                          "4e38", std::string("2\0", 2), "0,", "e5", "1.5e+2"};
  for (const std::string& c : cells) {
    CAPTURE(c);
    auto outcome = [&](const std::string& text, int64_t row) {
      try {
        return std::to_string(io::parse_csv<double>(text, "c.csv")(row, 0));
      } catch (const Error&) {
        return std::string("error");
      }
    };
    // A second column keeps the line from being blank when the cell is.
    const std::string first = outcome(c + ",9\n", 0), later = outcome("0,0\n" + c + ",9\n", 1);
    // A non-number on line 1 is a header (then: no data rows); both are errors.
    CHECK(first == later);
  }
}

TEST_CASE("csv bad inputs: samples larger than the memory allowed are refused before allocating") {
  const fs::path dir = fs::temp_directory_path() / ("entropic-csv-mem-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::string text = "x,y,z\n";
  for (int i = 0; i < 100; ++i) text += "1,2,3\n";
  const std::string p = write_file(dir, "m.csv", text);
  CHECK(io::read_csv<double>(p, {.max_bytes = 100 * 3 * 8}).rows() == 100);
  CHECK(io::read_csv<float>(p, {.max_bytes = 100 * 3 * 4}).rows() == 100);
  CHECK_THROWS_WITH_AS(io::read_csv<double>(p, {.max_bytes = 100 * 3 * 8 - 1}),
                       ("read_csv: " + p +
                        " holds at least 100 rows of 3 values: 2.4e-06 GB as double, more than the 2.399e-06 GB of "
                        "memory allowed; use a subset of the rows (e.g. shuf -n 1000000 FILE) or a machine with more memory")
                           .c_str(),
                       Error);
  // The default limit is the memory available: a plausible number of bytes.
  const int64_t avail = io::detail::available_memory_bytes();
  CHECK(avail > (int64_t(1) << 20));
  fs::remove_all(dir);
}

TEST_CASE("csv: a pipe is read in one pass, to what parse_csv makes of its text, and refused past max_bytes") {
  std::string big = "a,b\n\n";
  for (int i = 0; i < 200000; ++i) big.append(std::to_string(i)).append(",").append(std::to_string(-i * 0.5)).append("\n");
  const std::vector<std::string> texts = {big, "1,2\n3,4", "x\n\n 5 \n6\r\n", "7\n"};
  for (size_t t = 0; t < texts.size(); ++t) {
    CAPTURE(t);
    std::istringstream in(texts[t]);
    CHECK(same(io::read_csv_stream<double>(in, "p.csv"), io::parse_csv<double>(texts[t], "p.csv")));
    std::istringstream inf(texts[t]);
    CHECK(same(io::read_csv_stream<float>(inf, "p.csv"), io::parse_csv<float>(texts[t], "p.csv")));
  }
  std::istringstream bad("1,2\n3\n");
  CHECK_THROWS_WITH_AS(io::read_csv_stream<double>(bad, "stdin"), "read_csv: stdin line 2 has 1 values, expected 2 like the lines before it",
                       Error);
  std::istringstream none("x,y\n\n");
  CHECK_THROWS_WITH_AS(io::read_csv_stream<double>(none, "stdin"), "read_csv: stdin holds no data rows", Error);
  std::string hundred = "x,y,z\n";
  for (int i = 0; i < 100; ++i) hundred += "1,2,3\n";
  std::istringstream ok(hundred), over(hundred);
  CHECK(io::read_csv_stream<double>(ok, "stdin", {.max_bytes = 100 * 3 * 8}).rows() == 100);
  CHECK_THROWS_WITH_AS(io::read_csv_stream<double>(over, "stdin", {.max_bytes = 100 * 3 * 8 - 1}),
                       "read_csv: stdin holds at least 100 rows of 3 values: 2.4e-06 GB as double, more than the "
                       "2.399e-06 GB of memory allowed; use a subset of the rows (e.g. shuf -n 1000000 FILE) or a "
                       "machine with more memory",
                       Error);
}

TEST_CASE("csv: read_csv on a FIFO takes the one-pass path") {
  const fs::path dir = fs::temp_directory_path() / ("entropic-csv-fifo-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const std::string fifo = (dir / "f.csv").string();
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  std::string text = "u,v\n";
  for (int i = 0; i < 50000; ++i) text.append(std::to_string(i)).append(",1.5\n");
  std::thread writer([&] { std::ofstream(fifo) << text; });
  const auto x = io::read_csv<double>(fifo);
  writer.join();
  CHECK(same(x, io::parse_csv<double>(text, fifo)));
  fs::remove_all(dir);
}
