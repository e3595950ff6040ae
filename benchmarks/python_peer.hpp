// A peer library measured in the same run as ours: a script under benchmarks/peers/ in one
// long-lived Python process. Requests go to its stdin, a line each; answers come back through a
// FIFO, a line each. One process for the whole run, so each of its timings is taken right after
// ours under the same load (the machines these run on are shared), and its import cost is paid
// once.
//
// The protocol: the script prints any number of header lines, then READY, then answers one line
// per request line until its stdin closes.
#pragma once
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <functional>
#include <string>
#include <sys/stat.h>
#include <unistd.h>

#include "common.hpp"

namespace bench {

class PythonPeer {
 public:
  // Starts `script` (relative to benchmarks/peers/) with `args`; `header(line)` sees each line
  // before READY. `needs` is a module the script cannot do without ("numpy"): when it is
  // missing nothing starts. why() says why a peer is not running.
  PythonPeer(const std::string& script, const std::string& args,
             const std::function<void(const std::string&)>& header = {}, const std::string& needs = "") {
    const auto path = std::filesystem::path(__FILE__).parent_path() / "peers" / script;
    if (!std::filesystem::exists(path) || !std::filesystem::exists(peer_python())) {
      why_ = "no " + peer_python() + " or no " + path.string();
      return;
    }
    if (!needs.empty() && std::system((peer_python() + " -c 'import " + needs + "' >/dev/null 2>&1").c_str()) != 0) {
      why_ = peer_python() + " has no " + needs;
      return;
    }
    char dir[] = "/tmp/entropic-peer.XXXXXX";
    if (!mkdtemp(dir)) {
      why_ = "cannot make a temporary directory";
      return;
    }
    dir_ = dir;
    const std::string fifo = dir_ + "/results";
    if (mkfifo(fifo.c_str(), 0600) != 0) {
      why_ = "cannot make a FIFO in " + dir_;
      return;
    }
    const std::string cmd = peer_python() + " '" + path.string() + "' " + args + " > '" + fifo + "'";
    to_py_ = popen(cmd.c_str(), "w");
    if (!to_py_) {
      why_ = "could not start " + cmd;
      return;
    }
    from_py_ = std::fopen(fifo.c_str(), "r");  // pairs with the shell opening it to write
    if (!from_py_) {
      why_ = "cannot read " + fifo;
      return;
    }
    std::string line;
    while (read_line(line)) {
      if (line == "READY") {
        ready_ = true;
        return;
      }
      if (header) header(line);
    }
    why_ = "the peer ended before it was ready";
  }
  ~PythonPeer() {
    if (to_py_) pclose(to_py_);  // closes its stdin, so it exits
    if (from_py_) std::fclose(from_py_);
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }
  PythonPeer(const PythonPeer&) = delete;
  PythonPeer& operator=(const PythonPeer&) = delete;

  bool ready() const { return ready_; }
  const std::string& why() const { return why_; }
  // A directory that lives as long as the peer, for inputs handed over as files.
  const std::string& dir() const { return dir_; }

  // Sends one request line and returns the answer line ("" and not ready() once it has died).
  std::string ask(const std::string& request) {
    if (!ready_) return "";
    std::fprintf(to_py_, "%s\n", request.c_str());
    std::fflush(to_py_);
    std::string line;
    if (!read_line(line)) {
      ready_ = false;
      why_ = "the peer process ended";
    }
    return line;
  }

 private:
  bool read_line(std::string& line) {
    line.clear();
    char buf[1024];
    while (std::fgets(buf, sizeof buf, from_py_)) {
      line += buf;
      if (!line.empty() && line.back() == '\n') {
        line.pop_back();
        return true;
      }
    }
    return !line.empty();
  }

  std::string dir_, why_;
  FILE* to_py_ = nullptr;
  FILE* from_py_ = nullptr;
  bool ready_ = false;
};

}  // namespace bench
