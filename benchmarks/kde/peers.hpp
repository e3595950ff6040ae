// bench_kde: the peers measured in the same run (PyTorch, scikit-learn, KeOps) through Python.
#pragma once
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

#include "../common.hpp"
#include "../python_peer.hpp"
#include "work.hpp"

namespace bench::kde {
using namespace entropic;

// benchmarks/peers/kde_peers.py in one long-lived process (python_peer.hpp), so each peer runs
// right after our versions under the same load.
class Peers {
 public:
  explicit Peers(int repeats, const std::string& device = "cpu")
      : py_("kde_peers.py", "--repeats " + std::to_string(repeats) + " --device " + device,
            [this](const std::string& line) { header(line); }) {
    if (!py_.ready()) notes_.push_back("peers: skipped (" + py_.why() + ")");
  }
  const std::vector<std::string>& notes() const { return notes_; }
  std::vector<std::string> names() const {
    std::vector<std::string> out;
    for (const auto& h : have_) {
      if (h == "torch") out.push_back("torch-cdist"), out.push_back("torch-gemm");
      if (h == "sklearn") out.push_back("sklearn");
      if (h == "torch-cuda") out.push_back("torch-cuda-cdist"), out.push_back("torch-cuda-gemm");
      if (h == "keops") out.push_back("keops");
    }
    return out;
  }
  void set_input(const std::vector<float>& x) {
    if (!py_.ready()) return;
    input_ = py_.dir() + "/x.f32";
    std::ofstream f(input_, std::ios::binary);
    f.write(reinterpret_cast<const char*>(x.data()), std::streamsize(x.size() * sizeof(float)));
  }
  // Returns false (and why) when the peer can't or won't run this case.
  bool time(const std::string& peer, int64_t n, int64_t d, double sigma, Pass pass, Stats& s, double& H,
            std::string& why) {
    if (!py_.ready()) return why = "peers not running", false;
    char req[512];
    std::snprintf(req, sizeof req, "%s %lld %lld %s %.17g %s", peer.c_str(), (long long)n, (long long)d,
                  pass_name(pass), sigma, input_.c_str());
    const std::string line = py_.ask(req);
    if (!py_.ready()) return why = py_.why(), false;
    if (std::sscanf(line.c_str(), "RESULT %lf %lf %lf %lf", &s.median, &s.min, &s.max, &H) == 4) return true;
    why = line.rfind("SKIP ", 0) == 0 ? line.substr(5) : line;
    return false;
  }

 private:
  void header(const std::string& line) {
    if (line.rfind("HAVE ", 0) == 0) have_.push_back(line.substr(5));
    if (line.rfind("INFO ", 0) == 0) notes_.push_back(line.substr(5));
    if (line.rfind("MISSING ", 0) == 0) {
      const std::string what = line.substr(8);  // "<peer>" or "<peer> <reason>"
      const size_t sp = what.find(' ');
      if (sp != std::string::npos)
        notes_.push_back("peer " + what.substr(0, sp) + ": skipped (" + what.substr(sp + 1) + ")");
      else
        notes_.push_back("peer " + what + ": not installed (apt-get install " +
                         (what == "torch" ? "python3-torch" : "python3-sklearn") + ")");
    }
  }

  std::vector<std::string> notes_, have_;  // before py_: its constructor fills them
  std::string input_;
  bench::PythonPeer py_;
};

}  // namespace bench::kde
