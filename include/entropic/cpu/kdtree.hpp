// Exact k-th nearest neighbours of every sample among the others by a k-d tree: O(n log n) for
// low d, where cpu/knn.hpp's brute force is O(n^2 d). The brute force stays for high d, where
// a box bound prunes almost nothing and the tree only adds overhead (entropy/knn.hpp chooses).
//
// The answer is knn_kth's, bit for bit, indices included, so the two paths are interchangeable
// under the Kozachenko-Leonenko estimate and its backward:
//  - candidates are ranked by the squared distance in T computed as the brute-force kernel
//    computes it (differences, coordinates in order, simd::fmadd1 = its fused multiply-add);
//  - among equal distances the lower index wins (the brute force scans columns in index order
//    and keeps the first of equals), so the tree's order never shows;
//  - the row itself is excluded by index: a duplicate of x_i is a neighbour at distance 0, and
//    the estimate's floor handles it as it does there;
//  - rho is recomputed in double from the chosen pair.
// A box may be skipped only if no point in it can beat the current k-th (value, index) once
// its distance is rounded to T. The box bound is computed in double and lowered by more than
// the rounding of a T squared distance (a relative (2d + 8) eps_T, and d + 1 times T's smallest
// normal number for gradual underflow: a subnormal here, the tighter choice, made every bound a
// microcode assist on x86 and the search 3x slower); a box is skipped when that bound exceeds
// the k-th value, or equals it and every index in the box is above the k-th's (all-duplicate
// data would otherwise visit every box). Median splits break coordinate ties by index, so equal
// points lie in index order and the boxes holding the lowest indices are found first.
//
// Layout: a balanced tree in heap order (children of node t are 2t+1 and 2t+2), the points
// copied in tree order so a leaf is contiguous, queries in tree order so neighbouring queries
// walk the same boxes while they are in cache. Build and search are parallel (ThreadPool).
#pragma once
#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <limits>
#include <numeric>
#include <vector>

#include "entropic/core/parallel.hpp"
#include "entropic/cpu/simd.hpp"

namespace entropic::cpu {

// Work done by a search, for the benchmark's prediction against outcome.
struct KdTreeStats {
  int64_t nodes = 0;   // boxes entered
  int64_t points = 0;  // candidate distances computed
  int64_t exact = 0;   // kde_kernel_sums_grid: samples whose bound missed rtol, summed exactly
};

template <class T>
class KdTree {
 public:
  // Builds over x[n, d] (n >= 1, d >= 1, finite). The tree keeps its own copy of the points.
  KdTree(const T* x, int64_t n, int64_t d, int64_t leaf_size = 8)
      : n_(n), d_(d), leaf_(std::max<int64_t>(1, leaf_size)) {
    int depth = 0;
    while (((n_ + (int64_t(1) << depth) - 1) >> depth) > leaf_) ++depth;
    const int64_t slots = (int64_t(2) << depth) - 1;
    nodes_.assign(size_t(slots), Node{});
    box_.assign(size_t(slots * 2 * d_), T(0));
    idx_.resize(size_t(n_));
    pts_.resize(size_t(n_ * d_));
    // The build moves the rows themselves, not indices into x: every scan and selection then
    // reads memory in order, which at 10^6 rows is most of the build's time.
    parallel_for(n_, 4096, [&](int64_t p0, int64_t p1) {
      for (int64_t p = p0; p < p1; ++p) {
        idx_[size_t(p)] = p;
        for (int64_t c = 0; c < d_; ++c) pts_[size_t(p * d_ + c)] = x[p * d_ + c];
      }
    });
    // The top levels split serially (each is one O(n) selection); below them the subtrees
    // are independent and build in parallel.
    int top = 0;
    while ((int64_t(1) << top) < int64_t(num_threads()) * 4 && top < depth) ++top;
    std::vector<Task> tasks;
    build(0, 0, n_, 0, top, &tasks);
    parallel_for(int64_t(tasks.size()), 1, [&](int64_t t0, int64_t t1) {
      for (int64_t t = t0; t < t1; ++t) build(tasks[size_t(t)].node, tasks[size_t(t)].b, tasks[size_t(t)].e, 0, -1, nullptr);
    });
  }

  int64_t size() const { return n_; }
  int64_t dim() const { return d_; }

  // For every sample i: nn_index[i] = its k-th nearest other sample, rho[i] = the distance,
  // exactly as knn_kth. Assumes 1 <= k < n. stats, when given, receives the work done.
  void kth_neighbours(int k, int64_t* nn_index, T* rho, KdTreeStats* stats = nullptr) const {
    std::atomic<int64_t> nodes{0}, points{0};
    parallel_for(n_, 512, [&](int64_t p0, int64_t p1) {
      Search s{*this, k};
      for (int64_t p = p0; p < p1; ++p) {
        s.reset(p);
        s.run(p);
        const int64_t i = idx_[size_t(p)], j = s.best_j[size_t(k - 1)], pj = s.best_p[size_t(k - 1)];
        double sum = 0;
        for (int64_t c = 0; c < d_; ++c) {
          const double t = double(pts_[size_t(p * d_ + c)]) - double(pts_[size_t(pj * d_ + c)]);
          sum += t * t;
        }
        nn_index[i] = j;
        rho[i] = T(std::sqrt(sum));
      }
      nodes += s.nodes;
      points += s.points;
    });
    if (stats) {
      stats->nodes = nodes.load();
      stats->points = points.load();
    }
  }

  // Approximate Gaussian kernel sums for the KDE: for every sample i (in sample order),
  // sums[i] = sum over j (j != i with leave_one_out) of exp(-|x_i - x_j|^2 / (2 sigma^2)),
  // within a relative error rtol (0 < rtol < 1) of the exact sum. A box whose kernel values
  // all lie in [kmin, kmax] is summed as count (kmin + kmax) / 2 without visiting its points
  // when kmax - kmin <= 2 rtol L / n, L a lower bound on the sum found so far (1 for the self
  // term, plus count kmin of each box already summed): the boxes' errors then add up to at most
  // rtol L <= rtol times the sum. So log p_i is within -log(1 - rtol) of exact, and so is H.
  // Own leaf first, then the ancestors' other children, as the kNN search.
  void kernel_sums(double sigma, bool leave_one_out, double rtol, double* sums, KdTreeStats* stats = nullptr) const {
    const double a = 0.5 / (sigma * sigma);
    std::atomic<int64_t> nodes{0}, points{0};
    parallel_for(n_, 256, [&](int64_t p0, int64_t p1) {
      int64_t nv = 0, np = 0;
      for (int64_t p = p0; p < p1; ++p) {
        const T* q = pts_.data() + p * d_;
        double sum = leave_one_out ? 0.0 : 1.0, lower = sum;
        const double allowance = 2.0 * rtol / double(n_);
        auto leaf = [&](int64_t node) {
          ++nv;
          for (int64_t r = nodes_[size_t(node)].begin; r < nodes_[size_t(node)].end; ++r) {
            if (r == p) continue;
            double s2 = 0;
            for (int64_t c = 0; c < d_; ++c) {
              const double t = double(q[c]) - double(pts_[size_t(r * d_ + c)]);
              s2 += t * t;
            }
            const double kv = std::exp(-a * s2);
            sum += kv, lower += kv;
            ++np;
          }
        };
        auto visit = [&](auto& self, int64_t node) -> void {
          const T* lo = box_.data() + node * 2 * d_;
          const T* hi = lo + d_;
          double near = 0, far = 0;
          for (int64_t c = 0; c < d_; ++c) {
            const double qc = double(q[c]), l = double(lo[c]), h = double(hi[c]);
            const double g = qc < l ? l - qc : (qc > h ? qc - h : 0.0);
            const double f = std::max(std::fabs(qc - l), std::fabs(qc - h));
            near += g * g, far += f * f;
          }
          const double count = double(nodes_[size_t(node)].end - nodes_[size_t(node)].begin);
          const double budget = allowance * lower, kmax = std::exp(-a * near);
          // A box too far to matter: [0, kmax] already fits the budget, no second exp.
          if (kmax <= budget) {
            sum += count * 0.5 * kmax;
            ++nv;
            return;
          }
          const double kmin = std::exp(-a * far);
          if (kmax - kmin <= budget) {
            sum += count * 0.5 * (kmin + kmax);
            lower += count * kmin;
            ++nv;
            return;
          }
          if (is_leaf(node)) return leaf(node);
          ++nv;
          self(self, 2 * node + 1);
          self(self, 2 * node + 2);
        };
        int64_t node = 0;
        while (!is_leaf(node)) {
          const Node& nd = nodes_[size_t(node)];
          node = p < nd.begin + (nd.end - nd.begin) / 2 ? 2 * node + 1 : 2 * node + 2;
        }
        leaf(node);
        while (node > 0) {
          visit(visit, node & 1 ? node + 1 : node - 1);
          node = (node - 1) / 2;
        }
        sums[idx_[size_t(p)]] = sum;
      }
      nodes += nv;
      points += np;
    });
    if (stats) {
      stats->nodes = nodes.load();
      stats->points = points.load();
    }
  }

 private:
  struct Task {
    int64_t node, b, e;
  };
  struct Node {
    int64_t begin = 0, end = 0, min_index = 0;  // rows [begin, end) in tree order
    // Inner nodes: the split dimension, the left child's largest and the right child's smallest
    // coordinate along it. The gap to them bounds a child's distance without loading its box.
    int64_t split = 0;
    T left_hi = T(0), right_lo = T(0);
  };

  bool is_leaf(int64_t node) const { return nodes_[size_t(node)].end - nodes_[size_t(node)].begin <= leaf_; }

  // (coordinate c, index) order of tree rows u and v: a strict total order even on duplicates.
  bool row_less(int64_t u, int64_t v, int64_t c) const {
    const T a = pts_[size_t(u * d_ + c)], w = pts_[size_t(v * d_ + c)];
    return a < w || (a == w && idx_[size_t(u)] < idx_[size_t(v)]);
  }
  void swap_rows(int64_t u, int64_t v) {
    std::swap(idx_[size_t(u)], idx_[size_t(v)]);
    for (int64_t c = 0; c < d_; ++c) std::swap(pts_[size_t(u * d_ + c)], pts_[size_t(v * d_ + c)]);
  }
  // Moves the row of rank m in [b, e) (by row_less on c) to m, lower ones before it, higher
  // after: Hoare partitions around the middle row, then insertion sort for short ranges.
  void select(int64_t b, int64_t e, int64_t m, int64_t c) {
    while (e - b > 16) {
      const int64_t mid = b + (e - b - 1) / 2;
      swap_rows(mid, e - 1);  // the pivot is kept at the end, compared by position
      int64_t i = b, j = e - 2;
      for (;;) {
        while (row_less(i, e - 1, c)) ++i;
        while (j > i && row_less(e - 1, j, c)) --j;
        if (i >= j) break;
        swap_rows(i, j);
        ++i, --j;
      }
      swap_rows(i, e - 1);  // the pivot at its rank i
      if (m == i) return;
      if (m < i) e = i;
      else b = i + 1;
    }
    for (int64_t p = b + 1; p < e; ++p)
      for (int64_t q = p; q > b && row_less(q, q - 1, c); --q) swap_rows(q, q - 1);
  }

  void build(int64_t node, int64_t b, int64_t e, int depth, int top, std::vector<Task>* tasks) {
    if (top >= 0 && depth == top && e - b > leaf_) {
      tasks->push_back({node, b, e});
      return;
    }
    Node& nd = nodes_[size_t(node)];
    nd.begin = b;
    nd.end = e;
    T* lo = box_.data() + node * 2 * d_;
    T* hi = lo + d_;
    int64_t mi = std::numeric_limits<int64_t>::max();
    for (int64_t c = 0; c < d_; ++c) lo[c] = hi[c] = pts_[size_t(b * d_ + c)];
    for (int64_t p = b; p < e; ++p) {
      mi = std::min(mi, idx_[size_t(p)]);
      const T* y = pts_.data() + p * d_;
      for (int64_t c = 0; c < d_; ++c) {
        lo[c] = std::min(lo[c], y[c]);
        hi[c] = std::max(hi[c], y[c]);
      }
    }
    nd.min_index = mi;
    if (e - b <= leaf_) return;
    int64_t split = 0;
    for (int64_t c = 1; c < d_; ++c)
      if (double(hi[c]) - double(lo[c]) > double(hi[split]) - double(lo[split])) split = c;
    const int64_t m = b + (e - b) / 2;
    select(b, e, m, split);
    nd.split = split;
    nd.right_lo = pts_[size_t(m * d_ + split)];
    nd.left_hi = pts_[size_t(b * d_ + split)];
    for (int64_t p = b + 1; p < m; ++p) nd.left_hi = std::max(nd.left_hi, pts_[size_t(p * d_ + split)]);
    build(2 * node + 1, b, m, depth + 1, top, tasks);
    build(2 * node + 2, m, e, depth + 1, top, tasks);
  }

  // One thread's search state: the k best (value, index) pairs so far, sorted.
  struct Search {
    const KdTree& t;
    int k;
    const T* q = nullptr;
    int64_t self = -1, count = 0, nodes = 0, points = 0;
    std::vector<T> best_v;
    std::vector<int64_t> best_j, best_p;  // sample index, and its position in tree order
    double margin;  // 1 - relative rounding allowance
    double tiny;    // absolute allowance for gradual underflow (a normal number: see the top)

    Search(const KdTree& tree, int k_)
        : t(tree), k(k_), best_v(size_t(k_)), best_j(size_t(k_)), best_p(size_t(k_)),
          margin(1.0 - double(2 * tree.d_ + 8) * double(std::numeric_limits<T>::epsilon())),
          tiny(double(tree.d_ + 1) * double(std::numeric_limits<T>::min())) {}

    void reset(int64_t p) {
      q = t.pts_.data() + p * t.d_;
      self = t.idx_[size_t(p)];
      count = 0;
    }
    // Whether (v, j) ranks before the current k-th.
    bool beats_kth(T v, int64_t j) const {
      if (count < k) return true;
      const T kv = best_v[size_t(k - 1)];
      return v < kv || (v == kv && j < best_j[size_t(k - 1)]);
    }
    void insert(T v, int64_t j, int64_t pos) {
      int64_t p = std::min<int64_t>(count, k - 1);
      while (p > 0 && (best_v[size_t(p - 1)] > v || (best_v[size_t(p - 1)] == v && best_j[size_t(p - 1)] > j))) {
        best_v[size_t(p)] = best_v[size_t(p - 1)];
        best_j[size_t(p)] = best_j[size_t(p - 1)];
        best_p[size_t(p)] = best_p[size_t(p - 1)];
        --p;
      }
      best_v[size_t(p)] = v;
      best_j[size_t(p)] = j;
      best_p[size_t(p)] = pos;
      count = std::min<int64_t>(count + 1, k);
    }
    // A lower bound, in double, on the T-rounded squared distance from q to any point in the box.
    double bound(int64_t node) const {
      const T* lo = t.box_.data() + node * 2 * t.d_;
      const T* hi = lo + t.d_;
      double s = 0;
      for (int64_t c = 0; c < t.d_; ++c) {
        const double qc = double(q[c]);
        const double g = qc < double(lo[c]) ? double(lo[c]) - qc : (qc > double(hi[c]) ? qc - double(hi[c]) : 0.0);
        s += g * g;
      }
      if (!(s <= std::numeric_limits<double>::max())) s = 0.5 * std::numeric_limits<double>::max();
      return s * margin - tiny;
    }
    bool skip(int64_t node, double b) const {
      if (count < k) return false;
      const double kv = double(best_v[size_t(k - 1)]);
      return b > kv || (b >= kv && t.nodes_[size_t(node)].min_index > best_j[size_t(k - 1)]);
    }
    // Starts in the query's own leaf, where its nearest points most likely are, so the k-th
    // distance is small before any other box is tested; then climbs, searching at each ancestor
    // the other child's subtree unless its box is pruned. Every point lies in the own leaf or in
    // exactly one of those subtrees, so none is missed. (A descent from the root tests both
    // children's boxes at every level: twice the box tests, and measured 1.5x slower at d = 3.)
    void run(int64_t p) {
      int64_t node = 0;
      while (!t.is_leaf(node)) {
        const Node& nd = t.nodes_[size_t(node)];
        node = p < nd.begin + (nd.end - nd.begin) / 2 ? 2 * node + 1 : 2 * node + 2;
      }
      visit(node);
      while (node > 0) {
        const int64_t sibling = node & 1 ? node + 1 : node - 1;
        node = (node - 1) / 2;
        if (!skip(sibling, plane_bound(node, sibling)) && !skip(sibling, bound(sibling))) visit(sibling);
      }
    }
    // A cheaper, looser bound for child `child` of `parent`: the squared gap along the parent's
    // split dimension alone, lowered by the same margin as bound().
    double plane_bound(int64_t parent, int64_t child) const {
      const Node& pn = t.nodes_[size_t(parent)];
      const double qs = double(q[pn.split]);
      const double g = child & 1 ? qs - double(pn.left_hi) : double(pn.right_lo) - qs;
      return g > 0 ? g * g * margin - tiny : -1.0;
    }
    void visit(int64_t node) {
      ++nodes;
      if (t.is_leaf(node)) {
        const int64_t d = t.d_;
        for (int64_t p = t.nodes_[size_t(node)].begin; p < t.nodes_[size_t(node)].end; ++p) {
          const int64_t j = t.idx_[size_t(p)];
          if (j == self) continue;
          const T* y = t.pts_.data() + p * d;
          T acc = T(0);
          for (int64_t c = 0; c < d; ++c) {
            const T diff = q[c] - y[c];
            acc = simd::fmadd1(diff, diff, acc);
          }
          ++points;
          if (beats_kth(acc, j)) insert(acc, j, p);
        }
        return;
      }
      int64_t a = 2 * node + 1, z = 2 * node + 2;
      double ba = plane_bound(node, a), bz = plane_bound(node, z);
      if (!skip(a, ba)) ba = bound(a);
      if (!skip(z, bz)) bz = bound(z);
      if (bz < ba || (bz == ba && t.nodes_[size_t(z)].min_index < t.nodes_[size_t(a)].min_index)) {
        std::swap(a, z);
        std::swap(ba, bz);
      }
      if (!skip(a, ba)) visit(a);
      if (!skip(z, bz)) visit(z);
    }
  };

 private:
  int64_t n_, d_, leaf_;
  std::vector<Node> nodes_;
  std::vector<int64_t> idx_;  // sample index of each row in tree order
  std::vector<T> box_, pts_;  // per node lo[d] then hi[d]; the rows in tree order
};

// knn_kth by a k-d tree: the same nn_index and rho. Assumes 1 <= k < n.
template <class T>
void knn_kth_tree(const T* x, int64_t n, int64_t d, int k, int64_t* nn_index, T* rho,
                  KdTreeStats* stats = nullptr) {
  KdTree<T> tree(x, n, d);
  tree.kth_neighbours(k, nn_index, rho, stats);
}

}  // namespace entropic::cpu
