// A small command-line parser for the example and benchmark programs: --name value options,
// --flag switches, generated --help, and errors that name the option and the fix.
#pragma once
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <vector>

#include "entropic/core/error.hpp"

namespace entropic::cli {

class Args {
 public:
  Args(std::string program, std::string summary) : prog_(std::move(program)), summary_(std::move(summary)) {}

  Args& option(const std::string& name, const std::string& def, const std::string& help) {
    opts_.push_back({name, def, help, false});
    values_[name] = def;
    return *this;
  }
  Args& flag(const std::string& name, const std::string& help) {
    opts_.push_back({name, "", help, true});
    return *this;
  }

  // Returns false when --help was asked (usage printed); throws Error on a bad command line.
  bool parse(int argc, char** argv) {
    for (int i = 1; i < argc; ++i) {
      std::string a = argv[i];
      if (a == "--help" || a == "-h") {
        usage(stdout);
        return false;
      }
      check(a.rfind("--", 0) == 0, prog_, ": unexpected argument '", printable(a),
            "'; options start with -- (see --help)");
      std::string name = a.substr(2), value;
      bool inline_value = false;
      if (auto eq = name.find('='); eq != std::string::npos)
        value = name.substr(eq + 1), name = name.substr(0, eq), inline_value = true;
      const Opt* o = find(name);
      check(o != nullptr, prog_, ": unknown option --", printable(name), " (see --help)");
      if (o->is_flag) {
        check(!inline_value, prog_, ": --", name, " is a switch and takes no value");
        flags_[name] = true;
        continue;
      }
      if (!inline_value) {
        check(i + 1 < argc, prog_, ": --", name, " needs a value");
        value = argv[++i];
      }
      values_[name] = value;
    }
    return true;
  }

  std::string str(const std::string& n) const { return values_.at(n); }
  bool has(const std::string& n) const { return flags_.count(n) != 0; }
  // A finite double. Values are quoted back through printable(): they may be any bytes.
  double num(const std::string& n) const {
    const std::string& v = values_.at(n);
    char* end = nullptr;
    errno = 0;
    const double x = std::strtod(v.c_str(), &end);
    check(!v.empty() && end == v.c_str() + v.size(), prog_, ": --", n, " expects a number, got '", printable(v), "'");
    check(!(errno == ERANGE && std::isinf(x)), prog_, ": --", n, " is out of range of a double, got '",
          printable(v), "'");
    check(std::isfinite(x), prog_, ": --", n, " expects a finite number, got '", printable(v), "'");
    return x;
  }
  // An int64. Written as an integer ("1000") or as an integral number ("1e3", "2.0").
  int64_t integer(const std::string& n) const {
    const std::string& v = values_.at(n);
    if (int64_t x = 0; parse_int64(n, v, v, x)) return x;
    const double x = num(n);
    check(x == std::trunc(x), prog_, ": --", n, " expects an integer, got '", printable(v), "'");
    // Converting a double outside int64's range to int64 is undefined behaviour: test first.
    check(x >= -0x1p63 && x < 0x1p63, prog_, ": --", n, " is out of range of a 64-bit integer, got '",
          printable(v), "'");
    return int64_t(x);
  }
  std::vector<int64_t> int_list(const std::string& n) const {
    std::vector<int64_t> out;
    std::string v = values_.at(n), cell;
    for (size_t b = 0; b <= v.size();) {
      size_t e = v.find(',', b);
      if (e == std::string::npos) e = v.size();
      cell = v.substr(b, e - b);
      int64_t x = 0;
      check(parse_int64(n, cell, v, x), prog_, ": --", n, " expects a comma-separated list of integers, got '",
            printable(v), "'");
      out.push_back(x);
      b = e + 1;
    }
    return out;
  }

  void usage(FILE* out) const {
    std::fprintf(out, "%s: %s\n\noptions:\n", prog_.c_str(), summary_.c_str());
    for (auto& o : opts_) {
      std::string head = "  --" + o.name + (o.is_flag ? "" : " V");
      std::fprintf(out, "%-24s %s%s\n", head.c_str(), o.help.c_str(),
                   o.is_flag || o.def.empty() ? "" : (" (default " + o.def + ")").c_str());
    }
  }

 private:
  struct Opt {
    std::string name, def, help;
    bool is_flag;
  };
  // True with x set when `text` is a whole decimal integer; an integer beyond int64 is an error
  // (quoting `whole`, the option's value), anything else false.
  bool parse_int64(const std::string& n, const std::string& text, const std::string& whole, int64_t& x) const {
    char* end = nullptr;
    errno = 0;
    const long long v = std::strtoll(text.c_str(), &end, 10);
    if (text.empty() || end != text.c_str() + text.size()) return false;
    check(errno != ERANGE, prog_, ": --", n, " is out of range of a 64-bit integer, got '", printable(whole), "'");
    x = int64_t(v);
    return true;
  }
  const Opt* find(const std::string& n) const {
    for (auto& o : opts_)
      if (o.name == n) return &o;
    return nullptr;
  }
  std::string prog_, summary_;
  std::vector<Opt> opts_;
  std::map<std::string, std::string> values_;
  std::map<std::string, bool> flags_;
};

// Runs body(), turning an entropic::Error into a message on stderr and exit status 2.
template <class F>
int main_guard(const char* prog, F&& body) {
  try {
    return body();
  } catch (const Error& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s: %s\n", prog, e.what());
    return 1;
  }
}

}  // namespace entropic::cli
