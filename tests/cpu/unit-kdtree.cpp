#include <doctest/doctest.h>

#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "entropic/core/rng.hpp"
#include "entropic/cpu/kdtree.hpp"
#include "entropic/cpu/knn.hpp"

using namespace entropic;

namespace {
enum class Kind { normal, clustered, duplicates, grid, identical };

// Data shaped to stress the tree's exactness: clustered points (boxes far apart, tight inside),
// few distinct values (exact duplicates and many equal distances: ties broken by index), a
// lattice (every point has 2d neighbours at exactly the same distance), and all points equal.
template <class T>
std::vector<T> make(Kind kind, int64_t n, int64_t d, uint64_t seed) {
  std::vector<T> x(size_t(n * d));
  Rng rng(seed);
  std::vector<double> z(size_t(n * d));
  rng.fill_normal(z.data(), n * d);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t c = 0; c < d; ++c) {
      const double v = z[size_t(i * d + c)];
      double out = v;
      switch (kind) {
        case Kind::normal: out = v; break;
        case Kind::clustered: out = 1e-3 * v + 10.0 * double((i * 7 + c * 3) % 5); break;
        case Kind::duplicates: out = std::round(v * 1.5); break;  // about 9 values a coordinate
        case Kind::grid: out = 0.25 * double((i / (c == 0 ? 1 : 7 * c)) % 7); break;
        case Kind::identical: out = 3.5; break;
      }
      x[size_t(i * d + c)] = T(out);
    }
  return x;
}

const char* name(Kind k) {
  switch (k) {
    case Kind::normal: return "normal";
    case Kind::clustered: return "clustered";
    case Kind::duplicates: return "duplicates";
    case Kind::grid: return "grid";
    case Kind::identical: return "identical";
  }
  return "?";
}

// The tree's indices and distances against the brute-force kernel's, bit for bit.
template <class T>
void same_as_brute(Kind kind, int64_t n, int64_t d, int k, int64_t leaf) {
  const auto x = make<T>(kind, n, d, uint64_t(n * 131 + d * 7 + k));
  std::vector<int64_t> ib(static_cast<size_t>(n)), it(static_cast<size_t>(n), -7);
  std::vector<T> rb(static_cast<size_t>(n)), rt(static_cast<size_t>(n), T(-1));
  cpu::knn_kth(x.data(), n, d, k, ib.data(), rb.data());
  cpu::KdTree<T> tree(x.data(), n, d, leaf);
  tree.kth_neighbours(k, it.data(), rt.data());
  int64_t bad = 0, first = -1;
  for (int64_t i = 0; i < n; ++i)
    if (ib[size_t(i)] != it[size_t(i)] || std::memcmp(&rb[size_t(i)], &rt[size_t(i)], sizeof(T)) != 0) {
      if (first < 0) first = i;
      ++bad;
    }
  INFO(name(kind), " n ", n, " d ", d, " k ", k, " leaf ", leaf, (sizeof(T) == 4 ? " float" : " double"));
  if (first >= 0)
    INFO("first mismatch at ", first, ": brute (", ib[size_t(first)], ", ", rb[size_t(first)], ") tree (",
         it[size_t(first)], ", ", rt[size_t(first)], ")");
  CHECK(bad == 0);
}
}  // namespace

TEST_CASE("kdtree: k-th neighbours equal brute force's, indices and bits, on random, clustered and tied data") {
  for (Kind kind : {Kind::normal, Kind::clustered, Kind::duplicates, Kind::grid})
    for (int64_t d : {1, 2, 3, 5, 10})
      for (int k : {1, 2, 5}) {
        same_as_brute<float>(kind, 777, d, k, 8);
        same_as_brute<double>(kind, 777, d, k, 8);
      }
}

TEST_CASE("kdtree: leaf sizes from 1 up, and more neighbours than a leaf holds") {
  for (int64_t leaf : {1, 3, 16})
    for (int k : {1, 4, 20}) {
      same_as_brute<double>(Kind::duplicates, 300, 2, k, leaf);
      same_as_brute<float>(Kind::normal, 300, 3, k, leaf);
    }
}

TEST_CASE("kdtree: all samples equal: every rho is 0 and the neighbours are the lowest other indices") {
  for (int k : {1, 3}) {
    same_as_brute<float>(Kind::identical, 500, 2, k, 8);
    const int64_t n = 50;
    const auto x = make<double>(Kind::identical, n, 3, 1);
    std::vector<int64_t> nn(static_cast<size_t>(n));
    std::vector<double> rho(static_cast<size_t>(n));
    cpu::knn_kth_tree(x.data(), n, 3, k, nn.data(), rho.data());
    for (int64_t i = 0; i < n; ++i) {
      CHECK(rho[size_t(i)] == 0.0);
      CHECK(nn[size_t(i)] == (i < k ? k : k - 1));  // the k-th of 0, 1, ... skipping i itself
    }
  }
}

TEST_CASE("kdtree: tiny samples (n = 2, n = k + 1) and large coordinates") {
  for (int64_t n : {2, 3, 9}) same_as_brute<double>(Kind::normal, n, 2, int(n - 1), 8);
  // Coordinates near 1e18: squared distances near 1e36 stay finite in float only just.
  std::vector<float> x = {1e18f, 0.f, -1e18f, 1.f, 0.f, 2.f, 1e18f, 1e17f};
  std::vector<int64_t> ib(4), it(4);
  std::vector<float> rb(4), rt(4);
  cpu::knn_kth(x.data(), 4, 2, 1, ib.data(), rb.data());
  cpu::knn_kth_tree(x.data(), 4, 2, 1, it.data(), rt.data());
  CHECK(ib == it);
  CHECK(rb == rt);
}

TEST_CASE("kdtree: the search is sub-quadratic on spread data (candidates per query stay bounded)") {
  const int64_t n = 40000, d = 2;
  const auto x = make<double>(Kind::normal, n, d, 5);
  std::vector<int64_t> nn(static_cast<size_t>(n));
  std::vector<double> rho(static_cast<size_t>(n));
  cpu::KdTreeStats st;
  cpu::knn_kth_tree(x.data(), n, d, 1, nn.data(), rho.data(), &st);
  const double per_query = double(st.points) / double(n);
  INFO("candidates per query ", per_query, ", boxes per query ", double(st.nodes) / double(n));
  // A brute force computes n - 1 = 39999 per query; a working tree a few leaves' worth.
  CHECK(per_query < 100);
  CHECK(st.nodes > n);  // at least one box a query: the counter counts
}
