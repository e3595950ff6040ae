// entropic::Error and the checks every public entry point uses.
#pragma once
#include <sstream>
#include <stdexcept>
#include <string>
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

}  // namespace entropic
