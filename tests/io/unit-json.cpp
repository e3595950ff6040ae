#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <string>

#include "entropic/io/json.hpp"

using namespace entropic;

TEST_CASE("json: parses every kind, keeps member order and exact 64-bit integers") {
  const json::Value v = json::parse(
      R"({"b": [1, -2.5, 3e2, true, false, null], "a": "x\"y\\z\n\u00e9\ud83d\ude00", "big": 9007199254740993,
          "min": -9223372036854775808, "o": {}})",
      "test");
  REQUIRE(v.is_object());
  REQUIRE(v.members().size() == 5);
  CHECK(v.members()[0].first == "b");  // file order, not sorted
  CHECK(v.members()[1].first == "a");
  const auto& b = v.find("b")->items();
  CHECK(b[0].integer() == 1);
  CHECK(b[1].number() == -2.5);
  CHECK(b[2].integer() == 300);  // an integral double is an integer too
  CHECK(b[3].boolean());
  CHECK_FALSE(b[4].boolean());
  CHECK(b[5].is_null());
  CHECK(v.find("a")->string() == "x\"y\\z\n\xc3\xa9\xf0\x9f\x98\x80");
  // 2^53 + 1 does not survive a trip through a double; a safetensors offset must.
  CHECK(v.find("big")->integer() == 9007199254740993LL);
  CHECK(v.find("min")->integer() == std::numeric_limits<int64_t>::min());
  CHECK(v.find("missing") == nullptr);
}

TEST_CASE("json: the writer escapes, round-trips, and formats as the files always had") {
  json::Value o = json::Value::object();
  o.set("name", std::string("q\"b\\s\n\t\x01"));
  o.set("lr", 0.0002);
  o.set("tiny", 5e-05);
  o.set("third", 1.0 / 3);
  o.set("n", int64_t(-7));
  o.set("inf", std::numeric_limits<double>::infinity());
  o.set("counts", std::vector<int64_t>{1, 2});
  o.set("nested", json::Value::Array{json::Value::object(), json::Value::array()});
  CHECK(json::dump(o) ==
        R"({"name":"q\"b\\s\n\t\u0001","lr":0.0002,"tiny":5e-05,"third":0.3333333333333333,"n":-7,"inf":null,)"
        R"("counts":[1,2],"nested":[{},[]]})");
  // Pretty: one member a line, arrays of numbers on one line; the layout metrics.json has.
  CHECK(json::dump(o, 2).find("\n  \"counts\": [1, 2],\n") != std::string::npos);
  CHECK(json::dump(o, 2).find("\"nested\": [\n    {},\n    []\n  ]\n}") != std::string::npos);
  const json::Value back = json::parse(json::dump(o, 2), "round trip");
  CHECK(back.find("name")->string() == "q\"b\\s\n\t\x01");
  CHECK(back.find("third")->number() == 1.0 / 3);  // every digit needed to read back exactly
  CHECK(back.find("inf")->is_null());
  CHECK(json::dump(back) == json::dump(o));
  // set() on an existing key replaces in place.
  o.set("lr", 1);
  CHECK(json::dump(o).find("\"lr\":1,\"tiny\"") != std::string::npos);
}

TEST_CASE("json: errors name the input, line, column, byte and a printable excerpt") {
  CHECK_THROWS_WITH_AS(json::parse("{\n  \"a\": 1,\n  \"b\": tru\n}", "m.json"),
                       "json: m.json: expected a value (object, array, string, number, true, false or null) at "
                       "line 3, column 8 (byte 19), near 'tru\\x0a}'",
                       Error);
  CHECK_THROWS_WITH_AS(json::parse("[1, 2", "x"), doctest::Contains("expected ',' or ']' in an array at line 1, column 6 (byte 5), at the end of the text"), Error);
  CHECK_THROWS_WITH_AS(json::parse("{\"a\": 1e400}", "m.json"),
                       doctest::Contains("number 1e400 is out of range of a double at line 1, column 7"), Error);
  CHECK(json::parse("1e-400", "x").number() == 0.0);  // underflow is a tiny number, not an error
  CHECK_THROWS_WITH_AS(json::parse("{\"a\": 1, \"a\": 2}", "x"), doctest::Contains("duplicate member \"a\""), Error);
  CHECK_THROWS_WITH_AS(json::parse("[1] x", "x"), doctest::Contains("unexpected text after the JSON value"), Error);
  CHECK_THROWS_WITH_AS(json::parse("\"\x01\"", "x"), doctest::Contains("control character in a string"), Error);
  CHECK_THROWS_WITH_AS(json::parse("\"\\ud800\"", "x"), doctest::Contains("unpaired high surrogate"), Error);
  CHECK_THROWS_WITH_AS(json::parse("01", "x"), doctest::Contains("unexpected text after the JSON value"), Error);
  CHECK_THROWS_WITH_AS(json::parse("1.", "x"), doctest::Contains("digits must follow '.'"), Error);
  CHECK_THROWS_WITH_AS(json::parse("\xff\xfe", "bin"), doctest::Contains("near '\\xff\\xfe'"), Error);
  CHECK_THROWS_WITH_AS(json::parse("", "empty.json"), doctest::Contains("json: empty.json: expected a value"), Error);
}

TEST_CASE("json: nesting is limited, so a hostile file cannot exhaust the stack") {
  const std::string ok = std::string(64, '[') + std::string(64, ']');
  CHECK(json::parse(ok, "x").is_array());
  const std::string deep = std::string(100000, '[') + std::string(100000, ']');
  CHECK_THROWS_WITH_AS(json::parse(deep, "deep.json"), doctest::Contains("nesting deeper than 64 levels at line 1, column 65"),
                       Error);
}

TEST_CASE("json: typed accessors say what was expected and what was found") {
  const json::Value v = json::parse(R"({"s": "x", "f": 2.5, "big": 1e19})", "x");
  CHECK_THROWS_WITH_AS(v.find("s")->number("m.json: \"s\""), "json: m.json: \"s\" is a string, expected a number",
                       Error);
  CHECK_THROWS_WITH_AS(v.find("f")->integer("\"f\""), doctest::Contains("\"f\" is 2.5, expected an integer"), Error);
  CHECK_THROWS_WITH_AS(v.find("big")->integer("\"big\""), doctest::Contains("expected an integer in int64's range"),
                       Error);
  CHECK_THROWS_WITH_AS(v.items("top"), "json: top is an object, expected an array", Error);
}
