// entropic-entropy: the entropy of the samples in a CSV file (one sample a row, an optional
// header line), by Gaussian KDE or Kozachenko-Leonenko nearest neighbours.
//
//   entropic-entropy samples.csv --estimator kde --bandwidth scott
//   entropic-entropy samples.csv --estimator kde --sigma 0.05 --loo
//   entropic-entropy samples.csv --estimator knn --k 3
#include <entropic/entropy/kde.hpp>
#include <entropic/entropy/knn.hpp>
#include <entropic/io/csv.hpp>
#include <entropic_tools/cli.hpp>

#include <cstdio>

using namespace entropic;

int main(int argc, char** argv) {
  return cli::main_guard("entropic-entropy", [&] {
    // The file is the one positional argument; the rest are options.
    std::vector<char*> rest{argv[0]};
    std::string file;
    for (int i = 1; i < argc; ++i) {
      const std::string s = argv[i];
      if (s.rfind("--", 0) != 0 && (i == 1 || std::string(argv[i - 1]).rfind("--", 0) != 0 ||
                                    std::string(argv[i - 1]) == "--loo")) {
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
        .flag("loo", "KDE leave-one-out (each sample's own kernel excluded)");
    if (!a.parse(int(rest.size()), rest.data())) return 0;
    check(!file.empty(), "entropic-entropy: no input file; usage: entropic-entropy FILE.csv [options] (see --help)");
    const TensorD x = io::read_csv<double>(file);
    const std::string est = a.str("estimator");
    if (est == "kde") {
      entropy::KdeOptions o;
      o.leave_one_out = a.has("loo");
      if (!a.str("sigma").empty()) {
        o.bandwidth = entropy::Bandwidth::fixed;
        o.sigma = a.num("sigma");
      } else {
        o.bandwidth = entropy::parse_bandwidth(a.str("bandwidth"));
      }
      const auto r = entropy::kde_entropy(x, o);
      std::printf("H = %.6f nats  (kde, sigma %.6g%s, n %lld, d %lld)\n", double(r.entropy), r.sigma,
                  o.leave_one_out ? ", leave-one-out" : "", (long long)x.rows(), (long long)x.cols());
    } else if (est == "knn") {
      const int64_t k = a.integer("k");
      check(k >= 1 && k < x.rows(), "entropic-entropy: --k must be in [1, n - 1] = [1, ", x.rows() - 1, "] for the ",
            x.rows(), " samples of ", printable(file), ", got ", k);
      entropy::KnnOptions o{.k = int(k)};
      const auto r = entropy::knn_entropy(x, o);
      std::printf("H = %.6f nats  (knn, k %d, n %lld, d %lld)\n", double(r.entropy), o.k, (long long)x.rows(),
                  (long long)x.cols());
    } else {
      fail("entropic-entropy: --estimator must be kde or knn, got '", printable(est), "'");
    }
    return 0;
  });
}
