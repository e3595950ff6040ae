// A full disk without root: RLIMIT_FSIZE caps how far this process may write into any file, and
// with SIGXFSZ ignored a write past the cap fails with EFBIG instead of killing the process, as a
// write onto a full filesystem fails with ENOSPC. Restores the limit and the signal on scope exit.
#pragma once
#include <signal.h>
#include <sys/resource.h>

#include <doctest/doctest.h>

namespace entropic::test {

class FileSizeLimit {
 public:
  explicit FileSizeLimit(rlim_t bytes) {
    REQUIRE(::getrlimit(RLIMIT_FSIZE, &saved_) == 0);
    old_handler_ = ::signal(SIGXFSZ, SIG_IGN);
    rlimit r = saved_;
    r.rlim_cur = bytes;  // the soft limit only, so it can be raised back without privileges
    REQUIRE(::setrlimit(RLIMIT_FSIZE, &r) == 0);
  }
  ~FileSizeLimit() {
    ::setrlimit(RLIMIT_FSIZE, &saved_);
    ::signal(SIGXFSZ, old_handler_);
  }
  FileSizeLimit(const FileSizeLimit&) = delete;
  FileSizeLimit& operator=(const FileSizeLimit&) = delete;

 private:
  rlimit saved_{};
  void (*old_handler_)(int) = SIG_DFL;
};

}  // namespace entropic::test
