// bench_entropy_scale: Kozachenko-Leonenko entropy of n standard-normal samples in d dimensions,
// our k-d tree and our brute force against scipy's cKDTree, in the same run on the same data;
// then the KDE table (kde_table below): our approximate KDE (--rtol) and exact KDE against
// scikit-learn's KernelDensity at the same rtol; --plot draws both as time against n, log-log.
//
//   bench_entropy_scale                       n = 1e4, 1e5, 1e6; d = 2, 3, 10, 50; KDE at d = 2
//   bench_entropy_scale --quick               small n, for the ctest smoke run
//   bench_entropy_scale --sizes 100000 --dims 2,4,8,12,16,24 --estimators knn   the tree/brute crossover
//   bench_entropy_scale --sizes 10000,100000,1000000 --dims 2,3 --sklearn-queries 1000 --plot docs/entropy-scale.png
//
// Each timing is the whole estimate as a user gets it (entropy::knn_entropy: tree build, search,
// sum of logs; the peer: cKDTree build, query of the k + 1 nearest, sum of logs), the median of
// --repeats after a warm-up (one run, no warm-up, once a run passes 5 s). The peer is
// benchmarks/peers/knn_entropy_peer.py on /usr/bin/python3 (or $ENTROPIC_PYTHON), one
// long-lived process fed x through a float64 file; without python3 or scipy the table says
// "peer not available" and the rest runs. The brute force is skipped above
// n^2 d > --brute-budget (it is O(n^2 d)).
//
// Correctness, checked at every size (exit 1 on failure, the smoke test's point): the tree's
// H equals the brute force's to the bit (the same rho; cpu/kdtree.hpp), and scipy's H to 1e-6.
//
// The work the tree does is printed per query (boxes entered, candidate distances computed) so
// RESULTS.md can set the prediction (about log2(n / leaf) boxes down, a few leaves of 8 points
// for low d; growing like 2^d once the k-th ball crosses many boxes) against the outcome.
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <numbers>
#include <sstream>
#include <string>
#include <vector>

#include <unistd.h>

#include "common.hpp"
#include "python_peer.hpp"
#include "kde/plot.hpp"
#include "entropic/core/parallel.hpp"
#include "entropic/cpu/kde.hpp"
#include "entropic/entropy/kde.hpp"
#include "entropic/core/rng.hpp"
#include "entropic/cpu/kdtree.hpp"
#include "entropic/entropy/knn.hpp"
#include "entropic_tools/cli.hpp"

namespace {

using namespace entropic;
using bench::Clock;

std::vector<int64_t> parse_list(const std::string& s, const char* what) {
  std::vector<int64_t> out;
  std::stringstream ss(s);
  for (std::string item; std::getline(ss, item, ',');) {
    char* end = nullptr;
    const double v = std::strtod(item.c_str(), &end);
    check(end != item.c_str() && *end == 0 && v >= 1 && v <= 1e9 && v == std::floor(v), "bench_entropy_scale: --",
          what, " takes positive integers separated by commas (1e5 allowed), got '", printable(item), "'");
    out.push_back(int64_t(v));
  }
  check(!out.empty(), "bench_entropy_scale: --", what, " is empty");
  return out;
}

struct Timing {
  double median = 0, min = 0, max = 0, h = 0;
};

template <class F>
Timing time_it(int repeats, F&& f) {
  std::vector<double> ts;
  double h = 0;
  const auto t0 = Clock::now();
  h = f();
  const double first = bench::seconds_since(t0);
  if (first > 5.0 || repeats <= 1) return {first, first, first, h};  // the first run is the figure
  for (int r = 0; r < repeats; ++r) {
    const auto t = Clock::now();
    h = f();
    ts.push_back(bench::seconds_since(t));
  }
  const auto s = bench::summarise(ts);
  return {s.median, s.min, s.max, h};
}

// A peer script (python_peer.hpp) that says "HAVE <library> <version>" before READY, or
// "MISSING ..." and ends.
class Peer {
 public:
  Peer(const std::string& script_name, const std::string& args)
      : py_(script_name, args, [this](const std::string& line) {
          if (line.rfind("HAVE ", 0) == 0) version_ = line.substr(5);  // "<library> <version>"
          else if (!line.empty()) why_ = line;
        }) {
    if (!py_.ready() && why_.empty()) why_ = py_.why();
  }
  bool ok() const { return py_.ready() && why_.empty(); }
  const std::string& why() const { return why_; }
  const std::string& version() const { return version_; }

  bool run(const std::string& x_path, int64_t n, int64_t d, int k, double floor, Timing& t) {
    const std::string line = ask(std::to_string(n) + " " + std::to_string(d) + " " + std::to_string(k) + " " +
                                 fmt(floor) + " " + x_path);
    if (std::sscanf(line.c_str(), "RESULT %lf %lf %lf %lf", &t.median, &t.min, &t.max, &t.h) == 4) return true;
    return fail(line);
  }
  // kde_scale_peer.py: fit on all n, score the first nq; fit and query seconds, H over the nq.
  bool run_kde(const std::string& x_path, int64_t n, int64_t d, double sigma, double rtol, int64_t nq, double& fit_s,
               double& query_s, double& h) {
    const std::string line = ask(std::to_string(n) + " " + std::to_string(d) + " " + fmt(sigma) + " " + fmt(rtol) +
                                 " " + std::to_string(nq) + " " + x_path);
    if (std::sscanf(line.c_str(), "RESULT %lf %lf %lf", &fit_s, &query_s, &h) == 3) return true;
    return fail(line);
  }

 private:
  static std::string fmt(double v) {
    char b[40];
    std::snprintf(b, sizeof b, "%.17g", v);
    return b;
  }
  std::string ask(const std::string& request) { return ok() ? py_.ask(request) : ""; }
  bool fail(const std::string& line) {
    if (why_.empty()) why_ = py_.ready() ? "peer answered '" + line + "'" : py_.why();
    return false;
  }

  std::string why_, version_;  // before py_: its constructor fills them
  bench::PythonPeer py_;
};

// Vectorised double exps a second on all threads at once (the exact KDE's ceiling at d = 2,
// where each pair is one exp and a handful of flops): best of 5 short runs.
double exp_rate_double() {
  using D = cpu::simd::V<double>;
  constexpr int kVec = 8;
  double best = 0;
  for (int run = 0; run < 5; ++run) {
    const auto t0 = Clock::now();
    const int64_t iters = 2000000;
    parallel_for(num_threads(), 1, [&](int64_t, int64_t) {
      D v[kVec], acc[kVec];
      for (int i = 0; i < kVec; ++i) v[i] = cpu::simd::splat(-0.37 * (i + 1)), acc[i] = cpu::simd::splat(0.0);
      for (int64_t it = 0; it < iters; ++it)
#pragma GCC unroll 8
        for (int i = 0; i < kVec; ++i) {
          asm volatile("" : "+x"(v[i]));
          acc[i] += cpu::simd::exp(v[i]);
        }
      double sum = 0;
      for (int i = 0; i < kVec; ++i) sum += cpu::simd::hsum<double>(acc[i]);
      volatile double sink = sum;
      (void)sink;
    });
    const double secs = bench::seconds_since(t0);
    best = std::max(best, double(num_threads()) * kVec * cpu::simd::W<double> * double(iters) / secs);
  }
  return best;
}

// The KDE table: our approximate KDE (grid for d <= 2, tree above), our exact KDE where n^2 fits
// the budget, and scikit-learn's KernelDensity at the same rtol on the same samples. Returns the
// number of WRONG values (approximate farther from exact than the bound).
int kde_table(const std::vector<int64_t>& sizes, const std::vector<int64_t>& dims, double rtol, double exact_budget,
              int64_t sk_queries, int repeats, bool with_peer, std::vector<bench::kde::Row>& plot_rows) {
  const double bound = -std::log1p(-rtol);
  const double exp_rate = exp_rate_double();
  std::printf("\nKDE entropy of N(0, I_d) samples (Scott's sigma, self term included), rtol %g: |H - H_exact| <= "
              "-log(1 - rtol) = %.3g; exp ceiling %.2f Gexp/s (double, %d threads)\n",
              rtol, bound, exp_rate / 1e9, num_threads());
  std::unique_ptr<Peer> sk;
  if (with_peer) sk = std::make_unique<Peer>("kde_scale_peer.py", "");
  if (sk && sk->ok())
    std::printf("peer: %s KernelDensity(bandwidth = sigma, rtol = %g), tree 'auto', 1 thread; it scores the first "
                "min(n, %lld) samples, its time = fit + query x n / those\n",
                sk->version().c_str(), rtol, (long long)sk_queries);
  else
    std::printf("peer not available: %s\n", sk ? sk->why().c_str() : "--no-peer");
  std::printf("%8s %2s %8s | %8s %11s %5s %9s %9s | %8s %11s %8s %8s | %9s %6s %11s %9s %9s | %7s\n", "n", "d",
              "sigma", "approx s", "H approx", "alg", "terms/smp", "relerr_q", "exact s", "H exact", "|dH|", "ns/pair",
              "sklearn s", "(q)", "H_q sklearn", "|dH_q| sk", "|dH_q| us", "ours/sk");
  const std::string x_path =
      (std::filesystem::temp_directory_path() / ("entropic-kde-x-" + std::to_string(getpid()) + ".f64")).string();
  int failures = 0;
  for (const int64_t d : dims)
    for (const int64_t n : sizes) {
      TensorD x({n, d});
      Rng(uint64_t(n * 1000 + d)).fill_normal(x.data(), n * d);
      entropy::KdeOptions o;
      entropy::KdeApprox ap{};
      const Timing approx = time_it(repeats, [&] {
        ap = entropy::kde_entropy_approx(x, o, rtol);
        return ap.entropy;
      });
      const double sigma = ap.sigma;
      // Our per-sample log p on the first nq samples, for the comparison with scikit-learn's.
      const int64_t nq = std::min<int64_t>(n, sk_queries);
      std::vector<double> sums(static_cast<size_t>(n));
      ops::kde_kernel_sums_approx(x, sigma, false, rtol, sums.data());
      const double norm = std::log(double(n)) + 0.5 * double(d) * std::log(2 * std::numbers::pi * sigma * sigma);
      double hq = 0;
      for (int64_t i = 0; i < nq; ++i) hq -= (std::log(sums[size_t(i)]) - norm) / double(nq);
      // The exact sums of those nq samples over all n (nq n kernels, vectorised exps): every one of
      // ours must be within relative rtol, and they give the exact H_q the peer is compared with.
      std::vector<double> exact_q(static_cast<size_t>(nq), 0.0);
      parallel_for(nq, 8, [&](int64_t i0, int64_t i1) {
        std::vector<double> buf(4096);
        const double a = 0.5 / (sigma * sigma);
        for (int64_t i = i0; i < i1; ++i)
          for (int64_t j0 = 0; j0 < n; j0 += 4096) {
            const int64_t m = std::min<int64_t>(4096, n - j0);
            for (int64_t j = 0; j < m; ++j) {
              double s2 = 0;
              for (int64_t c = 0; c < d; ++c) s2 += (x(i, c) - x(j0 + j, c)) * (x(i, c) - x(j0 + j, c));
              buf[size_t(j)] = -a * s2;
            }
            cpu::exp_fast(buf.data(), buf.data(), m);
            for (int64_t j = 0; j < m; ++j) exact_q[size_t(i)] += buf[size_t(j)];
          }
      });
      double worst_q = 0, hq_exact = 0;
      for (int64_t i = 0; i < nq; ++i) {
        worst_q = std::max(worst_q, std::fabs(sums[size_t(i)] - exact_q[size_t(i)]) / exact_q[size_t(i)]);
        hq_exact -= (std::log(exact_q[size_t(i)]) - norm) / double(nq);
      }
      if (!(worst_q <= rtol * (1 + 1e-9))) {
        std::printf("WRONG: n %lld d %lld: a kernel sum off by %.3g (relative) > rtol\n", (long long)n, (long long)d, worst_q);
        ++failures;
      }
      const bool have_exact = double(n) * double(n) <= exact_budget;
      Timing ex;
      if (have_exact) {
        ex = time_it(repeats, [&] { return double(entropy::kde_entropy(x, o).entropy); });
        if (!(std::fabs(ex.h - approx.h) <= bound)) {
          std::printf("WRONG: n %lld d %lld: approximate H %.12f, exact %.12f, bound %.3g\n", (long long)n,
                      (long long)d, approx.h, ex.h, bound);
          ++failures;
        }
      }
      double fit_s = 0, query_s = 0, sk_hq = 0;
      bool have_sk = false;
      if (sk && sk->ok()) {
        {
          std::ofstream f(x_path, std::ios::binary);
          f.write(reinterpret_cast<const char*>(x.data()), std::streamsize(n * d * int64_t(sizeof(double))));
        }
        have_sk = sk->run_kde(x_path, n, d, sigma, rtol, nq, fit_s, query_s, sk_hq);
        std::filesystem::remove(x_path);
      }
      const double sk_s = fit_s + query_s * double(n) / double(nq);
      char es[32] = "-", eh[32] = "-", edh[32] = "-", ens[32] = "-", ss[32] = "-", sh[32] = "-",
           sdh[32] = "-", ratio[32] = "-";
      if (have_exact) {
        std::snprintf(es, sizeof es, "%.3f", ex.median);
        std::snprintf(eh, sizeof eh, "%.6f", ex.h);
        std::snprintf(edh, sizeof edh, "%.1e", std::fabs(ex.h - approx.h));
        std::snprintf(ens, sizeof ens, "%.3f", ex.median / (double(n) * double(n)) * 1e9);
      }
      if (have_sk) {
        std::snprintf(ss, sizeof ss, "%.2f", sk_s);
        std::snprintf(sh, sizeof sh, "%.6f", sk_hq);
        std::snprintf(sdh, sizeof sdh, "%.1e", std::fabs(sk_hq - hq_exact));
        std::snprintf(ratio, sizeof ratio, "%.4fx", approx.median / sk_s);
      }
      const double terms = double(ap.work.points) / double(n);
      std::printf("%8lld %2lld %8.5f | %8.3f %11.6f %5s %9.0f %9.1e | %8s %11s %8s %8s | %9s %6lld %11s %9s %9.1e | %7s\n",
                  (long long)n, (long long)d, sigma, approx.median, approx.h, ap.method, terms, worst_q, es, eh, edh,
                  ens, ss, (long long)nq, sh, sdh, std::fabs(hq - hq_exact), ratio);
      if (ap.work.exact > 0) std::printf("    (%lld samples summed exactly: their bound missed rtol)\n", (long long)ap.work.exact);
      std::fflush(stdout);
      auto add = [&](const std::string& series, double secs) {
        plot_rows.push_back({"KDE", series, n, d, bench::kde::Pass::FwdBwd, {secs * 1e3, secs * 1e3, secs * 1e3}});
      };
      add(std::string("ours approximate (") + ap.method + ")", approx.median);
      if (have_exact) add("ours exact", ex.median);
      if (have_sk) add("sklearn KernelDensity (1 thread)", sk_s);
    }
  std::printf("relerr_q: the largest relative error of our kernel sums over the first q samples against their exact sums "
              "(all n, double); |dH_q|: H over those q samples against its exact value, scikit-learn's and ours.\n"
              "ns/pair: the exact KDE's time / n^2; the exp ceiling alone allows %.3f ns a pair at d <= 2.\n",
              1e9 / exp_rate);
  if (sk && !sk->ok() && !sk->why().empty()) std::printf("peer: %s\n", sk->why().c_str());
  return failures;
}

}  // namespace

int main(int argc, char** argv) {
  return cli::main_guard("bench_entropy_scale", [&] {
    cli::Args a("bench_entropy_scale", "kNN entropy at scale: our k-d tree and brute force against scipy cKDTree");
    a.flag("quick", "small sizes (n = 2000, 5000; d = 2, 3, 10), for the smoke run")
        .option("sizes", "10000,100000,1000000", "sample counts, comma-separated")
        .option("dims", "2,3,10,50", "dimensions, comma-separated")
        .option("k", "1", "which neighbour")
        .option("repeats", "3", "timed runs per case after a warm-up (one run once a case passes 5 s)")
        .option("brute-budget", "2e11", "skip the brute force above n^2 d")
        .option("workers", "-1", "the peer's cKDTree.query workers (-1: all cores)")
        .flag("no-peer", "do not start the scipy peer")
        .flag("always-tree", "run the tree at every size, past its crossover too (to measure the crossover)")
        .option("estimators", "knn,kde", "which tables: knn, kde or both (comma-separated)")
        .option("kde-dims", "2", "dimensions of the KDE table")
        .option("rtol", "1e-4", "the approximate KDE's relative bound (ours and scikit-learn's)")
        .option("exact-budget", "2e10", "run our exact KDE up to n^2 pairs")
        .option("sklearn-queries", "2000", "scikit-learn scores the first min(n, this) samples; its time is scaled by n / that")
        .option("plot", "", "write the log-log plot of time against n to this PNG");
    if (!a.parse(argc, argv)) return 0;
    const std::string estimators = a.str("estimators");
    const bool run_knn = estimators.find("knn") != std::string::npos, run_kde = estimators.find("kde") != std::string::npos;
    check(run_knn || run_kde, "bench_entropy_scale: --estimators takes knn, kde or knn,kde, got '", printable(estimators), "'");
    std::vector<bench::kde::Row> plot_rows;
    const bool quick = a.has("quick");
    const auto sizes = parse_list(quick ? "2000,5000" : a.str("sizes"), "sizes");
    const auto dims = parse_list(quick ? "2,3,10" : a.str("dims"), "dims");
    const int k = int(a.integer("k"));
    const int repeats = int(a.integer("repeats"));
    const double brute_budget = a.num("brute-budget");
    const double floor = entropy::KnnOptions{}.floor;

    std::printf("bench_entropy_scale: Kozachenko-Leonenko H of N(0, I_d) samples, k %d, %d threads\n", k,
                num_threads());
    std::unique_ptr<Peer> peer;
    if (!a.has("no-peer") && run_knn)
      peer = std::make_unique<Peer>("knn_entropy_peer.py", "--repeats " + std::to_string(quick ? 1 : repeats) +
                                                               " --workers " + std::to_string(a.integer("workers")));
    if (peer && peer->ok())
      std::printf("peer: %s, cKDTree (query workers %lld)\n", peer->version().c_str(), (long long)a.integer("workers"));
    else
      std::printf("peer not available: %s\n", peer ? peer->why().c_str() : "--no-peer");
    std::printf("%8s %3s %9s | %9s %11s %9s | %9s | %9s %11s | %7s %9s\n", "n", "d", "true H", "tree s", "H tree",
                "brute s", "tree/brute", "scipy s", "H scipy", "tree/sp", "|dH|");
    const std::string x_path =
        (std::filesystem::temp_directory_path() / ("entropic-knn-x-" + std::to_string(getpid()) + ".f64")).string();
    int failures = 0;
    for (const int64_t d : dims)
      for (const int64_t n : sizes) {
        if (k >= n || !run_knn) continue;
        TensorD x({n, d});
        Rng(uint64_t(n * 1000 + d)).fill_normal(x.data(), n * d);
        const double true_h = 0.5 * double(d) * std::log(2 * std::numbers::pi * std::numbers::e);
        // The tree well past its crossover (d = 50) is a slower brute force: run it only near
        // the crossover or where the whole square is cheap.
        const double square = double(n) * double(n) * double(d);
        const bool have_tree = a.has("always-tree") || d <= entropy::knn_tree_max_dim(n) + 2 || square <= 1e10;
        const bool have_brute = square <= brute_budget;
        if (!have_tree && !have_brute) {
          std::printf("%8lld %3lld   skipped: past the tree's crossover and above --brute-budget\n", (long long)n,
                      (long long)d);
          continue;
        }
        entropy::KnnOptions o{.k = k, .floor = floor, .method = entropy::KnnMethod::tree};
        Timing tree;
        cpu::KdTreeStats st;
        if (have_tree) {
          tree = time_it(quick ? 1 : repeats, [&] { return double(entropy::knn_entropy(x, o).entropy); });
          std::vector<int64_t> nn(static_cast<size_t>(n));
          std::vector<double> rho(static_cast<size_t>(n));
          cpu::knn_kth_tree(x.data(), n, d, k, nn.data(), rho.data(), &st);
        }
        Timing brute;
        if (have_brute) {
          o.method = entropy::KnnMethod::brute;
          brute = time_it(quick ? 1 : repeats, [&] { return double(entropy::knn_entropy(x, o).entropy); });
          if (!have_tree) tree.h = brute.h;  // the reference for scipy's value
          else if (brute.h != tree.h) {
            std::printf("WRONG: n %lld d %lld: tree H %.17g != brute H %.17g\n", (long long)n, (long long)d, tree.h,
                        brute.h);
            ++failures;
          }
        }
        Timing sp;
        bool have_sp = false;
        if (peer && peer->ok()) {
          {
            std::ofstream f(x_path, std::ios::binary);
            f.write(reinterpret_cast<const char*>(x.data()), std::streamsize(n * d * int64_t(sizeof(double))));
          }
          have_sp = peer->run(x_path, n, d, k, floor, sp);
          std::filesystem::remove(x_path);
          if (have_sp && !(std::fabs(sp.h - tree.h) <= 1e-6)) {
            std::printf("WRONG: n %lld d %lld: tree H %.12f, scipy H %.12f\n", (long long)n, (long long)d, tree.h, sp.h);
            ++failures;
          }
        }
        char ts[32] = "-", bs[32] = "-", ratio_b[32] = "-", ss[32] = "-", hs[32] = "-", ratio_s[32] = "-", dh[32] = "-";
        if (have_tree) std::snprintf(ts, sizeof ts, "%.3f", tree.median);
        if (have_brute) std::snprintf(bs, sizeof bs, "%.3f", brute.median);
        if (have_tree && have_brute) std::snprintf(ratio_b, sizeof ratio_b, "%.3fx", tree.median / brute.median);
        if (have_sp) {
          std::snprintf(ss, sizeof ss, "%.3f", sp.median);
          std::snprintf(hs, sizeof hs, "%.6f", sp.h);
          if (have_tree) std::snprintf(ratio_s, sizeof ratio_s, "%.2fx", tree.median / sp.median);
          std::snprintf(dh, sizeof dh, "%.1e", std::fabs(sp.h - tree.h));
        }
        std::printf("%8lld %3lld %9.4f | %9s %11.6f %9s | %9s | %9s %11s | %7s %9s", (long long)n, (long long)d, true_h,
                    ts, tree.h, bs, ratio_b, ss, hs, ratio_s, dh);
        if (have_tree)
          std::printf("   tree work/query: %.1f boxes, %.1f points", double(st.nodes) / double(n),
                      double(st.points) / double(n));
        std::printf("\n");
        std::fflush(stdout);
        auto add = [&](const char* series, double secs) {
          plot_rows.push_back({"kNN", series, n, d, bench::kde::Pass::Fwd, {secs * 1e3, secs * 1e3, secs * 1e3}});
        };
        if (have_tree) add("ours (k-d tree)", tree.median);
        if (have_brute) add("ours (brute force)", brute.median);
        if (have_sp) add("scipy cKDTree", sp.median);
      }
    if (peer && !peer->ok() && !peer->why().empty()) std::printf("peer: %s\n", peer->why().c_str());
    if (run_kde)
      failures += kde_table(quick ? std::vector<int64_t>{2000, 5000} : sizes, parse_list(a.str("kde-dims"), "kde-dims"),
                            a.num("rtol"), a.num("exact-budget"), a.integer("sklearn-queries"), quick ? 1 : repeats,
                            !a.has("no-peer"), plot_rows);
    if (!a.str("plot").empty() && !plot_rows.empty()) {
      bench::kde::write_plot(a.str("plot"), plot_rows, "bench_entropy_scale: time against n, log-log, 2 threads",
                             {"kNN entropy (k " + std::to_string(k) + ")", "KDE entropy (rtol " + a.str("rtol") + ")"});
      std::printf("plot: %s (and %s.legend.txt)\n", a.str("plot").c_str(), a.str("plot").c_str());
    }
    std::printf("%s\n", failures ? "FAILED: see the WRONG lines"
                                  : "all values agree (kNN: tree == brute to the bit, scipy to 1e-6; KDE: within the rtol bound)");
    return failures ? 1 : 0;
  });
}
