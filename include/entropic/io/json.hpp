// JSON for the files the programs write and read back: safetensors headers, metrics.json, run
// records. One reader and one writer so every file gets the same escaping and the same errors.
//
// The reader is strict RFC 8259 with two limits a user's file cannot talk it out of: nesting
// deeper than `max_depth` is refused (recursion would otherwise be bounded only by the stack),
// and a number beyond a double's range is an error rather than an infinity. Integer literals
// that fit an int64 are kept exactly, since safetensors offsets and seeds pass 2^53.
// Errors are entropic::Error naming what was parsed, the line, column and byte, and a printable
// excerpt of the text there.
#pragma once
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <string>
#include <string_view>
#include <unordered_set>
#include <utility>
#include <vector>

#include "entropic/core/error.hpp"

namespace entropic::json {

class Value {
 public:
  enum class Kind { null, boolean, number, string, array, object };
  using Array = std::vector<Value>;
  // Members in file order, so a file written from a Value keeps the order its writer chose.
  using Object = std::vector<std::pair<std::string, Value>>;

  Value() = default;
  Value(std::nullptr_t) {}
  Value(bool b) : kind_(Kind::boolean), bool_(b) {}
  Value(int v) : Value((long long)v) {}
  Value(long v) : Value((long long)v) {}
  Value(long long v) : kind_(Kind::number), exact_(true), int_(int64_t(v)), num_(double(v)) {}
  Value(unsigned v) : Value((long long)v) {}
  Value(unsigned long v) : Value((unsigned long long)v) {}
  Value(unsigned long long v) : kind_(Kind::number), num_(double(v)) {
    // Past int64 the value is kept as a double: JSON readers elsewhere (Python aside) are
    // limited to doubles anyway.
    if (v <= uint64_t(std::numeric_limits<int64_t>::max())) exact_ = true, int_ = int64_t(v);
  }
  Value(double v) : kind_(Kind::number), num_(v) {}
  Value(float v) : Value(double(v)) {}
  Value(const char* s) : kind_(Kind::string), str_(s) {}
  Value(std::string s) : kind_(Kind::string), str_(std::move(s)) {}
  Value(std::string_view s) : kind_(Kind::string), str_(s) {}
  Value(Array a) : kind_(Kind::array), arr_(std::move(a)) {}
  Value(Object o) : kind_(Kind::object), obj_(std::move(o)) {}
  template <class T>
  Value(const std::vector<T>& v) : kind_(Kind::array) {
    for (const T& x : v) arr_.emplace_back(x);
  }

  static Value object() { return Value(Object{}); }
  static Value array() { return Value(Array{}); }

  Kind kind() const { return kind_; }
  bool is_null() const { return kind_ == Kind::null; }
  bool is_number() const { return kind_ == Kind::number; }
  bool is_string() const { return kind_ == Kind::string; }
  bool is_array() const { return kind_ == Kind::array; }
  bool is_object() const { return kind_ == Kind::object; }
  // True for a number read from an integer literal (or built from an integer) that fits int64.
  bool is_exact_integer() const { return kind_ == Kind::number && exact_; }

  // The accessors throw an Error naming `what` (e.g. "safetensors x.st: tensor 'w' shape") and
  // the kind found, so callers get a useful message without checking kinds themselves.
  bool boolean(std::string_view what = "value") const { return expect(Kind::boolean, what), bool_; }
  double number(std::string_view what = "value") const { return expect(Kind::number, what), num_; }
  // An integral number in int64's range: 3, -7, 3.0 and 1e3 are; 3.5 and 1e19 are not.
  int64_t integer(std::string_view what = "value") const {
    expect(Kind::number, what);
    if (exact_) return int_;
    check(num_ == std::trunc(num_) && num_ >= -0x1p63 && num_ < 0x1p63, "json: ", what, " is ", num_,
          ", expected an integer in int64's range");
    return int64_t(num_);
  }
  const std::string& string(std::string_view what = "value") const { return expect(Kind::string, what), str_; }
  const Array& items(std::string_view what = "value") const { return expect(Kind::array, what), arr_; }
  const Object& members(std::string_view what = "value") const { return expect(Kind::object, what), obj_; }
  Array& items() { return expect(Kind::array, "value"), arr_; }
  Object& members() { return expect(Kind::object, "value"), obj_; }

  // The member named `key`, or nullptr (also when this is not an object).
  const Value* find(std::string_view key) const {
    if (kind_ != Kind::object) return nullptr;
    for (const auto& [k, v] : obj_)
      if (k == key) return &v;
    return nullptr;
  }
  // Sets (or replaces) a member, keeping the first insertion's position.
  Value& set(std::string key, Value v) {
    expect(Kind::object, "value");
    for (auto& [k, old] : obj_)
      if (k == key) return old = std::move(v);
    obj_.emplace_back(std::move(key), std::move(v));
    return obj_.back().second;
  }
  void push_back(Value v) { items().push_back(std::move(v)); }

  static const char* kind_name(Kind k) {
    switch (k) {
      case Kind::null: return "null";
      case Kind::boolean: return "a boolean";
      case Kind::number: return "a number";
      case Kind::string: return "a string";
      case Kind::array: return "an array";
      case Kind::object: return "an object";
    }
    return "?";
  }

 private:
  friend class Writer;
  void expect(Kind k, std::string_view what) const {
    check(kind_ == k, "json: ", what, " is ", kind_name(kind_), ", expected ", kind_name(k));
  }
  Kind kind_ = Kind::null;
  bool bool_ = false;
  bool exact_ = false;
  int64_t int_ = 0;
  double num_ = 0;
  std::string str_;
  Array arr_;
  Object obj_;
};

namespace detail {

class Parser {
 public:
  Parser(std::string_view text, std::string_view what, int max_depth)
      : s_(text), what_(what), max_depth_(max_depth) {}

  Value document() {
    ws();
    Value v = value(0);
    ws();
    if (i_ < s_.size()) error(i_, "unexpected text after the JSON value");
    return v;
  }

 private:
  [[noreturn]] void error(size_t at, std::string_view why) const {
    size_t line = 1, col = 1;
    for (size_t k = 0; k < at && k < s_.size(); ++k) {
      if (s_[k] == '\n') ++line, col = 1;
      else ++col;
    }
    const std::string near = at < s_.size() ? printable(s_.substr(at), 24) : std::string();
    fail("json: ", what_, ": ", why, " at line ", line, ", column ", col, " (byte ", at, ")",
         at < s_.size() ? ", near '" + near + "'" : std::string(", at the end of the text"));
  }
  void ws() {
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\n' || s_[i_] == '\t' || s_[i_] == '\r')) ++i_;
  }
  bool literal(std::string_view word) {
    if (s_.substr(i_, word.size()) != word) return false;
    i_ += word.size();
    return true;
  }
  Value value(int depth) {
    if (i_ >= s_.size()) error(i_, "expected a value");
    const char c = s_[i_];
    if (c == '{' || c == '[') {
      if (depth >= max_depth_)
        error(i_, "nesting deeper than " + std::to_string(max_depth_) + " levels");
      return c == '{' ? object(depth + 1) : array(depth + 1);
    }
    if (c == '"') return Value(string());
    if (c == '-' || (c >= '0' && c <= '9')) return number();
    if (literal("true")) return Value(true);
    if (literal("false")) return Value(false);
    if (literal("null")) return Value();
    error(i_, "expected a value (object, array, string, number, true, false or null)");
  }
  Value object(int depth) {
    ++i_;  // '{'
    Value o = Value::object();
    std::unordered_set<std::string> seen;
    ws();
    if (i_ < s_.size() && s_[i_] == '}') return ++i_, o;
    for (;;) {
      ws();
      if (i_ >= s_.size() || s_[i_] != '"') error(i_, "expected a member name in double quotes");
      const size_t at = i_;
      std::string key = string();
      // A repeated name is ambiguous (readers disagree on which wins), so it is refused.
      if (!seen.insert(key).second) error(at, "duplicate member \"" + printable(key) + "\"");
      ws();
      if (i_ >= s_.size() || s_[i_] != ':') error(i_, "expected ':' after a member name");
      ++i_;
      ws();
      Value v = value(depth);
      o.members().emplace_back(std::move(key), std::move(v));
      ws();
      if (i_ < s_.size() && s_[i_] == ',') {
        ++i_;
        continue;
      }
      if (i_ < s_.size() && s_[i_] == '}') return ++i_, o;
      error(i_, "expected ',' or '}' in an object");
    }
  }
  Value array(int depth) {
    ++i_;  // '['
    Value a = Value::array();
    ws();
    if (i_ < s_.size() && s_[i_] == ']') return ++i_, a;
    for (;;) {
      ws();
      a.items().push_back(value(depth));
      ws();
      if (i_ < s_.size() && s_[i_] == ',') {
        ++i_;
        continue;
      }
      if (i_ < s_.size() && s_[i_] == ']') return ++i_, a;
      error(i_, "expected ',' or ']' in an array");
    }
  }
  static int hexval(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  }
  uint32_t hex4(size_t at) {
    if (s_.size() - i_ < 4) error(at, "truncated \\u escape");
    uint32_t u = 0;
    for (int k = 0; k < 4; ++k) {
      const int h = hexval(s_[i_++]);
      if (h < 0) error(at, "\\u escape needs four hex digits");
      u = u << 4 | uint32_t(h);
    }
    return u;
  }
  static void utf8(std::string& o, uint32_t cp) {
    if (cp < 0x80) {
      o += char(cp);
    } else if (cp < 0x800) {
      o += char(0xc0 | cp >> 6), o += char(0x80 | (cp & 0x3f));
    } else if (cp < 0x10000) {
      o += char(0xe0 | cp >> 12), o += char(0x80 | (cp >> 6 & 0x3f)), o += char(0x80 | (cp & 0x3f));
    } else {
      o += char(0xf0 | cp >> 18), o += char(0x80 | (cp >> 12 & 0x3f)), o += char(0x80 | (cp >> 6 & 0x3f));
      o += char(0x80 | (cp & 0x3f));
    }
  }
  std::string string() {
    const size_t start = i_++;  // '"'
    std::string o;
    for (;;) {
      if (i_ >= s_.size()) error(start, "unterminated string");
      const char c = s_[i_];
      if (c == '"') return ++i_, o;
      if (static_cast<unsigned char>(c) < 0x20) error(i_, "control character in a string (escape it)");
      if (c != '\\') {
        o += c;
        ++i_;
        continue;
      }
      const size_t at = i_++;
      if (i_ >= s_.size()) error(start, "unterminated string");
      switch (s_[i_++]) {
        case '"': o += '"'; break;
        case '\\': o += '\\'; break;
        case '/': o += '/'; break;
        case 'b': o += '\b'; break;
        case 'f': o += '\f'; break;
        case 'n': o += '\n'; break;
        case 'r': o += '\r'; break;
        case 't': o += '\t'; break;
        case 'u': {
          uint32_t cp = hex4(at);
          if (cp >= 0xdc00 && cp <= 0xdfff) error(at, "unpaired low surrogate in a \\u escape");
          if (cp >= 0xd800 && cp <= 0xdbff) {
            if (s_.substr(i_, 2) != "\\u") error(at, "unpaired high surrogate in a \\u escape");
            i_ += 2;
            const uint32_t lo = hex4(at);
            if (lo < 0xdc00 || lo > 0xdfff) error(at, "unpaired high surrogate in a \\u escape");
            cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
          }
          utf8(o, cp);
          break;
        }
        default: error(at, "unknown escape in a string");
      }
    }
  }
  Value number() {
    const size_t b = i_;
    auto digits = [&] {
      const size_t d = i_;
      while (i_ < s_.size() && s_[i_] >= '0' && s_[i_] <= '9') ++i_;
      return i_ > d;
    };
    if (s_[i_] == '-') ++i_;
    if (i_ < s_.size() && s_[i_] == '0') ++i_;
    else if (!digits()) error(b, "malformed number");
    bool integral = true;
    if (i_ < s_.size() && s_[i_] == '.') {
      ++i_, integral = false;
      if (!digits()) error(b, "malformed number (digits must follow '.')");
    }
    if (i_ < s_.size() && (s_[i_] == 'e' || s_[i_] == 'E')) {
      ++i_, integral = false;
      if (i_ < s_.size() && (s_[i_] == '+' || s_[i_] == '-')) ++i_;
      if (!digits()) error(b, "malformed number (digits must follow the exponent)");
    }
    const char* first = s_.data() + b;
    const char* last = s_.data() + i_;
    if (integral) {
      int64_t v = 0;
      const auto r = std::from_chars(first, last, v);
      // "-0" stays a double: as an integer it would lose its sign.
      if (r.ec == std::errc() && r.ptr == last && !(v == 0 && *first == '-')) return Value(static_cast<long long>(v));
    }
    // strtod, not from_chars: it tells overflow (an infinity: an error) from underflow (a
    // tiny value or zero, kept) where from_chars reports both alike. Numbers here are plain
    // ASCII, and these programs never change the C locale, so its decimal point is '.'.
    const std::string text(first, last);
    const double d = std::strtod(text.c_str(), nullptr);
    if (std::isinf(d)) error(b, "number " + printable(text) + " is out of range of a double");
    return Value(d);
  }

  std::string_view s_;
  std::string_view what_;
  int max_depth_;
  size_t i_ = 0;
};

}  // namespace detail

// Parses a whole JSON text. `what` names it in errors (a path, or "safetensors x.st header").
inline Value parse(std::string_view text, std::string_view what = "input", int max_depth = 64) {
  return detail::Parser(text, what, max_depth).document();
}

class Writer {
 public:
  explicit Writer(int indent) : indent_(indent) {}
  void value(const Value& v, int level) {
    switch (v.kind_) {
      case Value::Kind::null: out += "null"; break;
      case Value::Kind::boolean: out += v.bool_ ? "true" : "false"; break;
      case Value::Kind::number: number(v); break;
      case Value::Kind::string: string(v.str_); break;
      case Value::Kind::array: array(v.arr_, level); break;
      case Value::Kind::object: object(v.obj_, level); break;
    }
  }
  std::string out;

 private:
  void number(const Value& v) {
    if (v.exact_) {
      out += std::to_string(v.int_);
      return;
    }
    // JSON has no infinity or NaN; null is what other writers (Python's json aside) use.
    if (!std::isfinite(v.num_)) {
      out += "null";
      return;
    }
    // As iostreams print a double (%g, 6 digits) when that reads back as the same value, so
    // files keep the look they had before this writer; otherwise more digits, up to the 17 that
    // always read back exactly. to_chars, unlike printf, ignores the C locale's decimal point.
    char buf[40];
    for (int digits = 6;; ++digits) {
      const auto r = std::to_chars(buf, buf + sizeof buf, v.num_, std::chars_format::general, digits);
      double back = 0;
      std::from_chars(buf, r.ptr, back);
      if (back == v.num_ || digits >= 17) {
        out.append(buf, r.ptr);
        return;
      }
    }
  }
  void string(const std::string& s) {
    static const char hex[] = "0123456789abcdef";
    out += '"';
    for (const char c : s) {
      switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        case '\b': out += "\\b"; break;
        case '\f': out += "\\f"; break;
        default:
          if (static_cast<unsigned char>(c) < 0x20) {
            out += "\\u00";
            out += hex[c >> 4];
            out += hex[c & 15];
          } else {
            out += c;
          }
      }
    }
    out += '"';
  }
  void newline(int level) {
    out += '\n';
    out.append(size_t(indent_ * level), ' ');
  }
  void array(const Value::Array& a, int level) {
    // Numbers and strings stay on one line even when pretty: a histogram of 25 counts reads
    // better as a row than as a column.
    bool flat = indent_ < 0;
    if (!flat) {
      flat = true;
      for (const Value& x : a) flat = flat && !x.is_array() && !x.is_object();
    }
    out += '[';
    for (size_t k = 0; k < a.size(); ++k) {
      if (k) out += indent_ < 0 ? "," : flat ? ", " : ",";
      if (!flat) newline(level + 1);
      value(a[k], level + 1);
    }
    if (!flat && !a.empty()) newline(level);
    out += ']';
  }
  void object(const Value::Object& o, int level) {
    out += '{';
    for (size_t k = 0; k < o.size(); ++k) {
      if (k) out += ',';
      if (indent_ >= 0) newline(level + 1);
      string(o[k].first);
      out += indent_ < 0 ? ":" : ": ";
      value(o[k].second, level + 1);
    }
    if (indent_ >= 0 && !o.empty()) newline(level);
    out += '}';
  }
  int indent_;
};

// The text of `v`: compact (no spaces) when indent < 0, else one member per line, indented by
// `indent` spaces a level. Non-finite numbers are written as null.
inline std::string dump(const Value& v, int indent = -1) {
  Writer w(indent);
  w.value(v, 0);
  return w.out;
}

}  // namespace entropic::json
