// entropic::Error and the checks every public entry point uses.
#pragma once
#include <cstddef>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

namespace entropic {

// Every failure the library reports is an Error; its message names the op, the argument and
// the offending values, so a user can fix the call without reading the source.
class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& what) : std::runtime_error(what) {}
};

namespace detail {
template <class... A>
std::string concat(A&&... a) {
  std::ostringstream os;
  (os << ... << std::forward<A>(a));
  return os.str();
}
}  // namespace detail

// fail("linear", ": input has ", k, " features, weight expects ", kw)
template <class... A>
[[noreturn]] void fail(A&&... a) {
  throw Error(detail::concat(std::forward<A>(a)...));
}

template <class... A>
void check(bool ok, A&&... a) {
  if (!ok) fail(std::forward<A>(a)...);
}

// A user's bytes made safe to quote in a message: printable ASCII stays, quotes and backslashes
// are escaped, every other byte becomes \xHH, and past `limit` input bytes the rest is cut to
// "...(N more bytes)". Errors quote values from files and command lines, which may be binary:
// echoed raw they could corrupt the terminal or hide the message, and an unbounded field could
// bury it.
inline std::string printable(std::string_view s, size_t limit = 60) {
  static const char hex[] = "0123456789abcdef";
  std::string o;
  const size_t n = s.size() < limit ? s.size() : limit;
  for (size_t i = 0; i < n; ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c == '\\' || c == '\'') {
      o += '\\';
      o += char(c);
    } else if (c >= 0x20 && c < 0x7f) {
      o += char(c);
    } else {
      o += "\\x";
      o += hex[c >> 4];
      o += hex[c & 15];
    }
  }
  if (n < s.size()) o += "...(" + std::to_string(s.size() - n) + " more bytes)";
  return o;
}

}  // namespace entropic
