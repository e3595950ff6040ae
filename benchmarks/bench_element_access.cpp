// ns per element of Tensor element access (t(i, j), t[i], t.cols()) beside the raw pointer on
// the same tensor, in the same run: the pointer is the peer. Element access is what loops over
// small tensors (K-means in gan/image_metrics.hpp, tests, user code) pay per element, so it must
// cost about what the pointer costs (goal: within 1.5x).
//
//   bench_element_access [--rows R] [--cols C] [--repeats N]
//
// Each figure is the median over N samples (min and max beside it); a sample fills, then sums,
// a rows x cols float tensor (default 1000 x 784, an MNIST batch).
#include <chrono>
#include <cstdio>
#include <vector>

#include "entropic/core/tensor.hpp"
#include "entropic_tools/cli.hpp"
#include "common.hpp"

namespace {

using bench::Clock;

// Keeps a value alive without a store the compiler could drop.
template <class T>
void keep(T v) {
  asm volatile("" : : "g"(v) : "memory");
}

template <class F>
bench::Stats time_ns_per_element(int repeats, int64_t elements, F&& body) {
  body();  // warm-up: page faults and cache
  std::vector<double> ns;
  for (int r = 0; r < repeats; ++r) {
    const auto t0 = Clock::now();
    body();
    ns.push_back(1e9 * bench::seconds_since(t0) / double(elements));
  }
  return bench::summarise(ns);
}

}  // namespace

int main(int argc, char** argv) {
  using namespace entropic;
  return cli::main_guard("bench_element_access", [&] {
    cli::Args a("bench_element_access", "ns per element of Tensor element access beside the raw pointer");
    a.option("rows", "1000", "tensor rows").option("cols", "784", "tensor columns").option("repeats", "21", "samples");
    if (!a.parse(argc, argv)) return 0;
    const int64_t rows = a.integer("rows"), cols = a.integer("cols");
    const int repeats = int(a.integer("repeats"));
    check(rows > 0 && cols > 0 && repeats > 0, "bench_element_access: --rows, --cols and --repeats must be positive");
    auto t = TensorF::zeros({rows, cols});
    const int64_t n = rows * cols;

    struct Row {
      const char* what;
      bench::Stats s;
    };
    std::vector<Row> out;
    out.push_back({"fill, raw pointer p[i * cols + j] (the peer)", time_ns_per_element(repeats, n, [&] {
                     float* p = t.data();
                     for (int64_t i = 0; i < rows; ++i)
                       for (int64_t j = 0; j < cols; ++j) p[i * cols + j] = float(i + j);
                     keep(p[0]);
                   })});
    out.push_back({"fill, t(i, j)", time_ns_per_element(repeats, n, [&] {
                     for (int64_t i = 0; i < rows; ++i)
                       for (int64_t j = 0; j < cols; ++j) t(i, j) = float(i + j);
                     keep(t.data()[0]);
                   })});
    out.push_back({"sum, raw pointer (the peer)", time_ns_per_element(repeats, n, [&] {
                     const float* p = t.data();
                     double s = 0;
                     for (int64_t i = 0; i < n; ++i) s += p[i];
                     keep(s);
                   })});
    out.push_back({"sum, t[i]", time_ns_per_element(repeats, n, [&] {
                     double s = 0;
                     for (int64_t i = 0; i < n; ++i) s += t[i];
                     keep(s);
                   })});
    out.push_back({"sum, t(i, j) with t.rows() / t.cols() in the loop bounds", time_ns_per_element(repeats, n, [&] {
                     double s = 0;
                     for (int64_t i = 0; i < t.rows(); ++i)
                       for (int64_t j = 0; j < t.cols(); ++j) s += t(i, j);
                     keep(s);
                   })});

    std::printf("element access on a %lld x %lld float tensor, %d samples (ns per element: median [min, max])\n",
                (long long)rows, (long long)cols, repeats);
    for (auto& r : out)
      std::printf("  %-58s %7.3f  [%.3f, %.3f]\n", r.what, r.s.median, r.s.min, r.s.max);
    std::printf("  ratio to the pointer: fill %.2fx, sum t[i] %.2fx, sum t(i, j) %.2fx (goal <= 1.5x)\n",
                out[1].s.median / out[0].s.median, out[3].s.median / out[2].s.median,
                out[4].s.median / out[2].s.median);
    return 0;
  });
}
