// Writing files so that a crash never leaves a half-written one: write to a temporary name
// in the same directory, fsync it, rename it over the target (atomic on POSIX filesystems),
// then fsync the directory so the rename itself survives a power loss. A failed write (a full
// disk, a file size limit, an I/O error) is an Error naming the errno, the temporary file is
// removed, and whatever was at the target before is left as it was.
#pragma once
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <functional>
#include <ostream>
#include <streambuf>
#include <string>
#include <vector>

#include "entropic/core/error.hpp"

namespace entropic::io {

namespace detail {

// strerror plus, for the errors a user can fix by freeing space, what to do about it.
inline std::string describe_errno(int err) {
  std::string s = std::strerror(err);
  if (err == ENOSPC || err == EDQUOT) s += ": the disk is full; free some space or write elsewhere";
  else if (err == EFBIG) s += ": the file size limit is reached (disk full or ulimit -f); free space or raise the limit";
  return s;
}

// write(2) until all of [p, p + n) is written; false with errno set on failure.
inline bool write_all(int fd, const char* p, size_t n) {
  while (n > 0) {
    const ssize_t w = ::write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    if (w == 0) {  // no progress and no error: report it rather than spin
      errno = EIO;
      return false;
    }
    p += w;
    n -= size_t(w);
  }
  return true;
}

// A stream buffer over a file descriptor that remembers the first errno, which std::ofstream
// loses: a full disk must be reported as a full disk, not as "writing failed".
class FdBuf : public std::streambuf {
 public:
  explicit FdBuf(int fd) : fd_(fd), buf_(1 << 16) { setp(buf_.data(), buf_.data() + buf_.size()); }
  int error() const { return err_; }

 protected:
  int_type overflow(int_type ch) override {
    if (!flush_buffer()) return traits_type::eof();
    if (!traits_type::eq_int_type(ch, traits_type::eof())) {
      *pptr() = traits_type::to_char_type(ch);
      pbump(1);
    }
    return traits_type::not_eof(ch);
  }
  std::streamsize xsputn(const char* s, std::streamsize n) override {
    // Large blocks (tensor data) go straight to the file instead of through the buffer.
    if (n >= std::streamsize(buf_.size())) {
      if (!flush_buffer()) return 0;
      if (!write_all(fd_, s, size_t(n))) return fail_now();
      return n;
    }
    return std::streambuf::xsputn(s, n);
  }
  int sync() override { return flush_buffer() ? 0 : -1; }

 private:
  bool flush_buffer() {
    if (err_) return false;
    const size_t n = size_t(pptr() - pbase());
    if (n && !write_all(fd_, pbase(), n)) {
      fail_now();
      return false;
    }
    setp(buf_.data(), buf_.data() + buf_.size());
    return true;
  }
  std::streamsize fail_now() {
    if (!err_) err_ = errno ? errno : EIO;
    return 0;
  }
  int fd_;
  std::vector<char> buf_;
  int err_ = 0;
};

// fsync on a directory makes a rename in it durable. Some filesystems cannot fsync a
// directory (EINVAL); the rename is then as durable as they make it, which is not our error.
inline void sync_directory(const std::filesystem::path& dir, const std::string& what) {
  const std::string d = dir.empty() ? std::string(".") : dir.string();
  const int fd = ::open(d.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  const int rc = ::fsync(fd);
  const int err = errno;
  ::close(fd);
  if (rc != 0 && err != EINVAL && err != EROFS)
    fail("write ", what, ": syncing directory ", d, " failed (", describe_errno(err), ")");
}

}  // namespace detail

// Calls write(stream) on a temporary file next to `path`, makes it durable, then renames it to
// `path`. On any failure, an exception from `write` included, the temporary file is removed and
// the previous file at `path` (if any) is untouched.
inline void write_atomically(const std::string& path, const std::function<void(std::ostream&)>& write) {
  namespace fs = std::filesystem;
  const fs::path target(path);
  if (target.has_parent_path() && !fs::exists(target.parent_path()))
    fail("write ", path, ": directory ", target.parent_path().string(),
         " does not exist; create it first (mkdir -p)");
  const std::string tmp = path + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
  if (fd < 0) {
    const int err = errno;
    fail("write ", path, ": cannot create ", tmp, " (", detail::describe_errno(err),
         "); check that the directory is writable");
  }
  auto give_up = [&](const std::string& step, int err) {
    ::close(fd);
    ::unlink(tmp.c_str());
    fail("write ", path, ": ", step, " ", tmp, " failed (", detail::describe_errno(err), "); the previous ", path,
         " is unchanged");
  };
  detail::FdBuf buf(fd);
  {
    std::ostream out(&buf);
    try {
      write(out);
    } catch (...) {
      ::close(fd);
      ::unlink(tmp.c_str());
      throw;
    }
    out.flush();
    if (buf.error() || !out) give_up("writing", buf.error() ? buf.error() : EIO);
  }
  // The data must be on disk before the rename makes it the checkpoint, or a power loss could
  // leave a renamed but empty file where the last good one was.
  if (::fsync(fd) != 0) give_up("syncing", errno);
  if (::close(fd) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    fail("write ", path, ": closing ", tmp, " failed (", detail::describe_errno(err), "); the previous ", path,
         " is unchanged");
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    fail("write ", path, ": cannot rename ", tmp, " into place (", detail::describe_errno(err), ")");
  }
  detail::sync_directory(target.parent_path(), path);
}

inline void write_text_atomically(const std::string& path, const std::string& text) {
  write_atomically(path, [&](std::ostream& o) { o << text; });
}

// A log that only ever grows by whole lines: each line goes to the file in one write(2) on an
// O_APPEND descriptor, so a process killed at any moment leaves either the whole line or none
// of it (a torn line is only possible on a power loss or a full disk, and a reader that keeps
// complete lines only copes with both). sync() makes the lines so far durable.
class AppendFile {
 public:
  AppendFile() = default;
  AppendFile(const AppendFile&) = delete;
  AppendFile& operator=(const AppendFile&) = delete;
  ~AppendFile() { close(); }

  void open(const std::string& path, bool truncate) {
    close();
    path_ = path;
    const int flags = O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | (truncate ? O_TRUNC : 0);
    fd_ = ::open(path.c_str(), flags, 0666);
    if (fd_ < 0) {
      const int err = errno;
      fail("cannot open ", path, " for writing (", detail::describe_errno(err),
           "); check that the directory exists and is writable");
    }
  }
  bool is_open() const { return fd_ >= 0; }
  void write_line(std::string line) {
    line += '\n';
    if (!detail::write_all(fd_, line.data(), line.size())) {
      const int err = errno;
      fail("writing ", path_, " failed (", detail::describe_errno(err), ")");
    }
  }
  void sync() {
    if (fd_ >= 0 && ::fsync(fd_) != 0) {
      const int err = errno;
      fail("syncing ", path_, " failed (", detail::describe_errno(err), ")");
    }
  }
  void close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  std::string path_;
  int fd_ = -1;
};

}  // namespace entropic::io
