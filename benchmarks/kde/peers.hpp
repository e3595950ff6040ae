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
#include "work.hpp"

namespace bench::kde {
using namespace entropic;

// benchmarks/peers/kde_peers.py in one long-lived process: a request per line on its stdin,
// answers through a FIFO, so each peer runs right after our versions under the same load.
class Peers {
 public:
  explicit Peers(int repeats, const std::string& device = "cpu") {
    const auto script = std::filesystem::path(__FILE__).parent_path().parent_path() / "peers" / "kde_peers.py";
    if (!std::filesystem::exists(script) || !std::filesystem::exists(bench::peer_python())) {
      notes_.push_back("peers: skipped (no " + bench::peer_python() + " or no " + script.string() + ")");
      return;
    }
    char dir[] = "/tmp/bench_kde.XXXXXX";
    if (!mkdtemp(dir)) return;
    dir_ = dir;
    fifo_ = dir_ + "/results";
    if (mkfifo(fifo_.c_str(), 0600) != 0) return;
    const std::string cmd = bench::peer_python() + " '" + script.string() + "' --repeats " + std::to_string(repeats) +
                            " --device " + device + " > '" + fifo_ + "'";
    to_py_ = popen(cmd.c_str(), "w");
    if (!to_py_) return;
    from_py_ = std::fopen(fifo_.c_str(), "r");
    if (!from_py_) return;
    char line[1024];
    while (std::fgets(line, sizeof line, from_py_)) {
      line[std::strcspn(line, "\n")] = 0;
      if (std::strcmp(line, "READY") == 0) {
        ready_ = true;
        break;
      }
      if (std::strncmp(line, "HAVE ", 5) == 0) have_.push_back(line + 5);
      if (std::strncmp(line, "INFO ", 5) == 0) notes_.push_back(line + 5);
      if (std::strncmp(line, "MISSING ", 8) == 0) {
        const std::string what = line + 8;  // "<peer>" or "<peer> <reason>"
        const size_t sp = what.find(' ');
        if (sp != std::string::npos)
          notes_.push_back("peer " + what.substr(0, sp) + ": skipped (" + what.substr(sp + 1) + ")");
        else
          notes_.push_back("peer " + what + ": not installed (apt-get install " +
                           (what == "torch" ? "python3-torch" : "python3-sklearn") + ")");
      }
    }
  }
  ~Peers() {
    if (to_py_) pclose(to_py_);
    if (from_py_) std::fclose(from_py_);
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
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
    if (!ready_) return;
    input_ = dir_ + "/x.f32";
    std::ofstream f(input_, std::ios::binary);
    f.write(reinterpret_cast<const char*>(x.data()), std::streamsize(x.size() * sizeof(float)));
  }
  // Returns false (and why) when the peer can't or won't run this case.
  bool time(const std::string& peer, int64_t n, int64_t d, double sigma, Pass pass, Stats& s, double& H,
            std::string& why) {
    if (!ready_) return why = "peers not running", false;
    std::fprintf(to_py_, "%s %lld %lld %s %.17g %s\n", peer.c_str(), (long long)n, (long long)d, pass_name(pass),
                 sigma, input_.c_str());
    std::fflush(to_py_);
    char line[512];
    if (!std::fgets(line, sizeof line, from_py_)) return ready_ = false, why = "peer process ended", false;
    line[std::strcspn(line, "\n")] = 0;
    if (std::sscanf(line, "RESULT %lf %lf %lf %lf", &s.median, &s.min, &s.max, &H) == 4) return true;
    why = std::strncmp(line, "SKIP ", 5) == 0 ? line + 5 : line;
    return false;
  }

 private:
  std::vector<std::string> notes_, have_;
  std::string dir_, fifo_, input_;
  FILE* to_py_ = nullptr;
  FILE* from_py_ = nullptr;
  bool ready_ = false;
};

}  // namespace bench::kde
