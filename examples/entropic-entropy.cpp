// entropic-entropy: the entropy of the samples in a CSV file (one sample a row, an optional
// header line), by Gaussian KDE or Kozachenko-Leonenko nearest neighbours.
//
//   entropic-entropy samples.csv --estimator kde --bandwidth scott
//   entropic-entropy samples.csv --estimator kde --sigma 0.05 --loo
//   entropic-entropy samples.csv --estimator knn --k 3 [--method tree|brute] [--json]
//   zcat samples.csv.gz | entropic-entropy - --estimator knn     (stdin, read in one pass)
//
// The file is streamed (io::read_csv): memory holds the samples and nothing of the text. The
// kNN search is a k-d tree at low d and a brute force above (entropy::resolve_knn_method);
// both give the same value to the bit. docs/entropy-cli.md has the details.
#include <entropic/entropy/kde.hpp>
#include <entropic/entropy/knn.hpp>
#include <entropic/gan/progress.hpp>
#include <entropic/io/csv.hpp>
#include <entropic/io/json.hpp>
#include <entropic_tools/cli.hpp>

#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <set>

using namespace entropic;

namespace {
// The exact KDE's progress on stderr: on a terminal a bar redrawn in place (at most 10 times a
// second), otherwise (--progress into a file or pipe) a line at every 10%. gan::Progress counts
// iterations one by one; the forward reports rows in uneven chunks from its workers, hence this.
class KdeBar {
 public:
  explicit KdeBar(bool tty) : tty_(tty), t0_(std::chrono::steady_clock::now()) {}
  void operator()(int64_t done, int64_t total) {
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0_).count();
    const double f = total > 0 ? double(done) / double(total) : 1.0;
    const double eta = f > 0 ? secs * (1 - f) / f : 0;
    if (tty_) {
      if (done < total && secs - last_ < 0.1) return;
      last_ = secs;
      const int width = 30, filled = int(width * f);
      std::fprintf(stderr, "\rexact KDE [%s%s] %5.1f%%  %s elapsed, ETA %s   ", std::string(size_t(filled), '#').c_str(),
                   std::string(size_t(width - filled), '.').c_str(), 100 * f, clock(secs).c_str(), clock(eta).c_str());
      if (done >= total) std::fprintf(stderr, "\n");
    } else {
      const int tenth = int(10 * f);
      if (tenth <= shown_) return;
      shown_ = tenth;
      std::fprintf(stderr, "exact KDE %d%% (%s elapsed, ETA %s)\n", 10 * tenth, clock(secs).c_str(), clock(eta).c_str());
    }
    std::fflush(stderr);
  }

 private:
  static std::string clock(double s) { return gan::format_clock(s); }
  bool tty_;
  std::chrono::steady_clock::time_point t0_;
  double last_ = -1;
  int shown_ = 0;
};
}  // namespace

int main(int argc, char** argv) {
  return cli::main_guard("entropic-entropy", [&] {
    // The file is the one positional argument; the rest are options (switches take no value).
    const std::set<std::string> switches = {"--loo", "--json", "--progress"};
    std::vector<char*> rest{argv[0]};
    std::string file;
    for (int i = 1; i < argc; ++i) {
      const std::string s = argv[i];
      if (s.rfind("--", 0) != 0 && (i == 1 || std::string(argv[i - 1]).rfind("--", 0) != 0 ||
                                    switches.count(argv[i - 1]) || std::string(argv[i - 1]).find('=') != std::string::npos)) {
        check(file.empty(), "entropic-entropy: more than one file given ('", printable(file), "' and '", printable(s), "')");
        file = s;
      } else {
        rest.push_back(argv[i]);
      }
    }
    cli::Args a("entropic-entropy FILE.csv", "print the differential entropy (nats) of the samples in a CSV file");
    a.option("estimator", "kde", "kde or knn")
        .option("bandwidth", "scott", "KDE bandwidth rule: scott, silverman or median (ignored with --sigma)")
        .option("sigma", "", "fixed KDE bandwidth")
        .option("k", "1", "neighbour for --estimator knn")
        .option("method", "auto", "knn search: tree (k-d tree), brute, or auto (the tree at low d)")
        .option("rtol", "", "kde: approximate, within -log(1 - rtol) nats of the exact H (d <= 2: a grid of truncated expansions; else a k-d tree)")
        .option("device", "cpu", "exact kde only: cpu, or cuda (the GPU's KDE kernels; needs a CUDA build and a GPU)")
        .option("max-memory", "", "refuse a file whose samples need more GB than this (default: the memory available)")
        .flag("loo", "KDE leave-one-out (each sample's own kernel excluded)")
        .flag("json", "print the result as one JSON object")
        .flag("progress", "exact KDE: report progress on stderr even when it is not a terminal (on one it always does)");
    if (!a.parse(int(rest.size()), rest.data())) return 0;
    check(!file.empty(), "entropic-entropy: no input file; usage: entropic-entropy FILE.csv [options] (see --help)");
    const std::string est = a.str("estimator");
    check(est == "kde" || est == "knn", "entropic-entropy: --estimator must be kde or knn, got '", printable(est), "'");
    const entropy::KnnMethod method = entropy::parse_knn_method(a.str("method"));
    check(est == "knn" || method == entropy::KnnMethod::automatic,
          "entropic-entropy: --method chooses the knn search; it does not apply to --estimator kde");
    check(est == "kde" || a.str("rtol").empty(), "entropic-entropy: --rtol is for --estimator kde (knn is exact)");
    const Device device = parse_device(a.str("device"));
    check(device == Device::cpu || (est == "kde" && a.str("rtol").empty()),
          "entropic-entropy: --device ", to_string(device), " runs the exact kde only (knn and --rtol are cpu-only)");
    require_device_available(device, "entropic-entropy");
    io::CsvReadOptions ro;
    if (!a.str("max-memory").empty()) {
      const double gb = a.num("max-memory");
      check(gb > 0 && gb < 9e9, "entropic-entropy: --max-memory takes a positive number of GB, got ", gb);
      ro.max_bytes = int64_t(gb * 1e9);
    }
    const TensorD x = io::read_csv<double>(file, ro);
    const int64_t n = x.rows(), d = x.cols();
    json::Value out = json::Value::object();
    out.set("estimator", est);
    if (est == "kde") {
      entropy::KdeOptions o;
      o.leave_one_out = a.has("loo");
      if (!a.str("sigma").empty()) {
        o.bandwidth = entropy::Bandwidth::fixed;
        o.sigma = a.num("sigma");
      } else {
        o.bandwidth = entropy::parse_bandwidth(a.str("bandwidth"));
      }
      double h = 0, sigma = 0, rtol = 0;
      std::string algorithm = "exact";
      if (a.str("rtol").empty()) {
        const bool tty = isatty(fileno(stderr)) != 0;
        if ((tty || a.has("progress")) && device == Device::cpu) o.progress = KdeBar(tty);
        const auto r = entropy::kde_entropy(x.to(device), o);
        h = double(r.entropy), sigma = r.sigma;
      } else {
        rtol = a.num("rtol");
        const auto r = entropy::kde_entropy_approx(x, o, rtol);
        h = r.entropy, sigma = r.sigma, algorithm = r.method;
      }
      const std::string how = rtol > 0 ? "approximate" : "exact";
      out.set("entropy", h);
      out.set("bandwidth", sigma);
      out.set("bandwidth_rule", a.str("sigma").empty() ? a.str("bandwidth") : std::string("fixed"));
      out.set("leave_one_out", o.leave_one_out);
      out.set("method", how);
      if (device != Device::cpu) out.set("device", std::string(to_string(device)));
      if (rtol > 0) out.set("rtol", rtol);
      if (rtol > 0) out.set("algorithm", algorithm);
      out.set("n", n);
      out.set("d", d);
      if (!a.has("json"))
        std::printf("H = %.6f nats  (kde, sigma %.6g%s, method %s%s, n %lld, d %lld)\n", h, sigma,
                    o.leave_one_out ? ", leave-one-out" : "", how.c_str(),
                    rtol > 0 ? (", rtol " + a.str("rtol") + ", " + algorithm).c_str() : "", (long long)n, (long long)d);
    } else {
      const int64_t k = a.integer("k");
      check(k >= 1 && k < n, "entropic-entropy: --k must be in [1, n - 1] = [1, ", n - 1, "] for the ", n,
            " samples of ", printable(file), ", got ", k, n <= k ? " (the file needs at least k + 1 rows)" : "");
      entropy::KnnOptions o{.k = int(k), .method = method};
      const auto r = entropy::knn_entropy(x, o);
      out.set("entropy", double(r.entropy));
      out.set("k", k);
      out.set("method", entropy::to_string(r.method));
      out.set("n", n);
      out.set("d", d);
      if (!a.has("json"))
        std::printf("H = %.6f nats  (knn, k %d, method %s, n %lld, d %lld)\n", double(r.entropy), o.k,
                    entropy::to_string(r.method), (long long)n, (long long)d);
    }
    if (a.has("json")) std::printf("%s\n", json::dump(out).c_str());
    return 0;
  });
}
