#include <doctest/doctest.h>

#include "entropic/core/error.hpp"
#include "entropic/core/shape.hpp"

using namespace entropic;

TEST_CASE("shape: numel and bytes are overflow-checked and name the shape") {
  CHECK(Shape{3, 4}.numel() == 12);
  CHECK(Shape{}.numel() == 1);
  CHECK(Shape{0, int64_t(1) << 62}.numel() == 0);
  CHECK(Shape{3, 4}.bytes(8) == 96);
  // [2^62, 4] has 2^64 elements: it used to wrap to 0 (signed overflow, undefined behaviour).
  CHECK_THROWS_WITH_AS(Shape({int64_t(1) << 62, 4}).numel(),
                       "shape: [4611686018427387904, 4] has more elements than an int64 can count; the dimensions "
                       "are corrupt or far too large",
                       Error);
  // 2^61 elements fit, 2^61 * 4 bytes do not.
  CHECK(Shape({int64_t(1) << 61}).numel() == int64_t(1) << 61);
  CHECK_THROWS_WITH_AS(Shape({int64_t(1) << 61}).bytes(4),
                       doctest::Contains("shape: [2305843009213693952] of 4-byte elements is more bytes than an int64"),
                       Error);
}

TEST_CASE("printable: binary bytes are escaped and long text is cut") {
  CHECK(printable("abc 1.5") == "abc 1.5");
  CHECK(printable(std::string("a\x01\xff\x1b[31m", 8)) == "a\\x01\\xff\\x1b[31m");
  CHECK(printable(std::string("x\0y", 3)) == "x\\x00y");
  CHECK(printable("it's a \\ path") == "it\\'s a \\\\ path");
  CHECK(printable(std::string(100, 'A'), 10) == "AAAAAAAAAA...(90 more bytes)");
}
