// Writing files so that a crash never leaves a half-written one: write to a temporary name
// in the same directory, flush, then rename over the target (atomic on POSIX filesystems).
#pragma once
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>

#include "entropic/core/error.hpp"

namespace entropic::io {

// Calls write(stream) on a temporary file, then renames it to `path`.
inline void write_atomically(const std::string& path, const std::function<void(std::ostream&)>& write) {
  namespace fs = std::filesystem;
  const fs::path target(path);
  if (target.has_parent_path() && !fs::exists(target.parent_path()))
    fail("write ", path, ": directory ", target.parent_path().string(),
         " does not exist; create it first (mkdir -p)");
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    check(bool(out), "write ", path, ": cannot open ", tmp, " for writing (", std::strerror(errno), ")");
    write(out);
    out.flush();
    check(bool(out), "write ", path, ": writing ", tmp, " failed (disk full?)");
  }
  std::error_code ec;
  fs::rename(tmp, target, ec);
  if (ec) {
    fs::remove(tmp);
    fail("write ", path, ": cannot rename ", tmp, " into place (", ec.message(), ")");
  }
}

inline void write_text_atomically(const std::string& path, const std::string& text) {
  write_atomically(path, [&](std::ostream& o) { o << text; });
}

}  // namespace entropic::io
