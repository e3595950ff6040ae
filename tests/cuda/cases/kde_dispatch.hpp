// The library's KDE kernel choice (entropic/cuda/kde_dispatch.cuh): the table itself (which
// kernel for which shape, pass, precision and memory cap), and every kernel it can choose (tiles,
// the Gram path whole and in row blocks, the warp forward) forward and backward against a float64
// reference, with and without leave-one-out, float and double, dH from the host and from the
// device. On a GPU the Gram path runs on both GEMMs (tiled and cuBLAS); the shim has the tiled one.
#include <cmath>
#include <numbers>

#include "cuda_test.hpp"
#include "reference/kde.hpp"
#include "entropic/cuda/kde_dispatch.cuh"

namespace {
using namespace entropic::test;
namespace ec = entropic::cuda;
using ec::KdeKernel;
using ec::KdePass;
using ec::KdePlan;

constexpr std::size_t kGiB = std::size_t(1) << 30;

KdeKernel chosen(int64_t n, int64_t d, KdePass pass, std::size_t elem = 4, std::size_t cap = kGiB) {
  return ec::kde_choose(n, d, elem, pass, cap).kernel;
}

template <class T>
std::vector<T> input(int64_t n, int64_t d, uint64_t seed) {
  std::vector<double> xd = random_vector(n * d, seed, -1, 1);
  if (n > 2)
    for (int64_t c = 0; c < d; ++c) xd[size_t(d + c)] = xd[size_t(c)];  // a duplicated point
  return {xd.begin(), xd.end()};
}

// Runs plan forward, then backward with dH on the host and on the device, and compares with the
// float64 reference of the rounded input: log p, row_lse |a - r| <= tol (1 + |r|); dx within
// tol of the largest |dx|. The device-dH backward must give the host-dH backward's bits.
template <class T>
void check_plan(const KdePlan& plan, int64_t n, int64_t d, double sigma, bool loo, double tol,
                const ec::GemmPath& path = {}) {
  const std::vector<T> x = input<T>(n, d, 81 + uint64_t(n) + uint64_t(d));
  const KdeRef r = kde_reference(std::vector<double>(x.begin(), x.end()), n, d, sigma, loo);
  const double dH = 1.5;
  DeviceBuffer<T> gx(x), lp(size_t(n), T(NAN)), lse(size_t(n), T(NAN)), grad(size_t(n * d), T(NAN)),
      grad_dev(size_t(n * d), T(NAN)), ddH(std::vector<T>{T(dH)});
  DeviceBuffer<T> work(size_t(std::max<int64_t>(1, ec::kde_workspace_elements(plan, n))), T(NAN));
  ec::kde_forward(plan, gx.get(), n, d, sigma, loo, lp.get(), lse.get(), work.get(), path, kStream);
  std::vector<double> rdx = r.dx;
  double gmax = 0;
  for (double& v : rdx) v *= dH, gmax = std::max(gmax, std::fabs(v));
  const std::string name = std::string(ec::kde_kernel_name(plan.kernel)) + " rows " +
                           std::to_string(plan.block_rows) + shape_name("", {n, d, loo});
  CHECK(all_close(lse.host(), r.lse, tol, tol, name + " row_lse"));
  CHECK(all_close(lp.host(), r.log_p, tol, tol, name + " log_p"));
  if (plan.kernel == KdeKernel::warp) return;  // forward only
  ec::kde_backward(plan, gx.get(), n, d, sigma, loo, lse.get(), dH, grad.get(), work.get(), path, kStream);
  CHECK(all_close(grad.host(), rdx, tol * gmax, tol, name + " dx"));
  ec::kde_backward(plan, gx.get(), n, d, sigma, loo, lse.get(), static_cast<const T*>(ddH.get()), grad_dev.get(),
                   work.get(), path, kStream);
  CHECK(grad_dev.host() == grad.host());
}

KdePlan plan(KdeKernel k, int64_t block_rows = 0) { return KdePlan{k, block_rows}; }

struct S {
  int64_t n, d;
  double sigma;
};
std::vector<S> shapes() {
  if (kTsan) return {{2, 3, 0.5}, {33, 3, 0.4}, {10, 40, 1.5}};
  return {{2, 3, 0.5}, {33, 2, 0.3}, {37, 17, 1.0}, {70, 64, 2.0}, {66, 9, 0.8}, {20, 784, 8.0}};
}

// The dot form's distances round like |x|^2 (kde_gram.cuh): a little looser than the tiles.
template <class T>
double tol_for(KdeKernel k) {
  if constexpr (std::is_same_v<T, double>) return 1e-10;
  return k == KdeKernel::gram ? 2e-4 : 1e-4;
}

template <class T>
void check_kernel_all_shapes(KdeKernel k, const ec::GemmPath& path = {}) {
  for (const S& s : shapes())
    for (bool loo : {false, true}) {
      if (std::is_same_v<T, double> && s.d > 100) continue;  // minutes on the shim; float covers the chunking
      if (k != KdeKernel::gram) {
        check_plan<T>(plan(k), s.n, s.d, s.sigma, loo, tol_for<T>(k), path);
        continue;
      }
      // whole, and in blocks of 7 rows (a short last block at n 33, 37, 66, 20; none at 70)
      for (int64_t rows : {s.n, std::min<int64_t>(s.n, 7)})
        check_plan<T>(plan(k, rows), s.n, s.d, s.sigma, loo, tol_for<T>(k), path);
    }
}
}  // namespace

TEST_CASE("kde choice: the measured H200 shapes get their measured winners") {
  for (int64_t n : {4096, 16384})
    for (int64_t d : {2, 64, 784}) {
      CAPTURE(n);
      CAPTURE(d);
      CHECK(chosen(n, d, KdePass::backward) == KdeKernel::gram);  // fwd+bwd: gram everywhere
      const KdeKernel fwd = n == 16384 && d == 2 ? KdeKernel::warp : KdeKernel::gram;
      CHECK(chosen(n, d, KdePass::forward) == fwd);
    }
  // n 16384's whole G is 1 GiB of float: one block at the default cap
  const KdePlan p = ec::kde_choose(16384, 64, 4, KdePass::forward, kGiB);
  CHECK(p.block_rows == 16384);
  CHECK(ec::kde_workspace_elements(p, 16384) == int64_t(16384) * 16384 + 2 * 16384);
}

TEST_CASE("kde choice: the stated rules where nothing was measured") {
  // no points: tiles, whose launcher refuses them (no division by n here)
  CHECK(chosen(0, 40, KdePass::forward) == KdeKernel::tiles);
  // double: tiles, always
  for (int64_t n : {64, 4096, 16384}) CHECK(chosen(n, 784, KdePass::backward, 8) == KdeKernel::tiles);
  // training batches at small d: tiles (one launch a pass)
  for (int64_t n : {64, 256, 1023})
    for (int64_t d : {1, 2, 32}) {
      CHECK(chosen(n, d, KdePass::forward) == KdeKernel::tiles);
      CHECK(chosen(n, d, KdePass::backward) == KdeKernel::tiles);
    }
  // small n at large d, and n from 1024 at any d: gram
  CHECK(chosen(64, 33, KdePass::backward) == KdeKernel::gram);
  CHECK(chosen(64, 784, KdePass::forward) == KdeKernel::gram);
  CHECK(chosen(1024, 2, KdePass::forward) == KdeKernel::gram);
  // warp: forward only, d <= 4, n >= 16384
  CHECK(chosen(16384, 4, KdePass::forward) == KdeKernel::warp);
  CHECK(chosen(16384, 5, KdePass::forward) == KdeKernel::gram);
  CHECK(chosen(16383, 2, KdePass::forward) == KdeKernel::gram);
  CHECK(chosen(100000, 3, KdePass::forward) == KdeKernel::warp);
  CHECK(chosen(100000, 3, KdePass::backward) == KdeKernel::gram);
}

TEST_CASE("kde choice: the Gram workspace fits the cap, in row blocks, else tiles") {
  const int64_t n = 100000;  // G would be 40 GB of float
  const std::size_t cap = kGiB;
  const KdePlan p = ec::kde_choose(n, 64, 4, KdePass::backward, cap);
  CHECK(p.kernel == KdeKernel::gram);
  CHECK(p.block_rows == int64_t(cap / (n * 4)));  // 2684 rows
  CHECK(std::size_t(ec::kde_workspace_elements(p, n)) * 4 <= cap + 2 * n * 4);
  // fewer than 256 rows a block fit: tiles, with no workspace
  const std::size_t small = std::size_t(255) * n * 4 + n * 4 - 1;
  CHECK(ec::kde_choose(n, 64, 4, KdePass::backward, small).kernel == KdeKernel::tiles);
  CHECK(ec::kde_choose(n, 64, 4, KdePass::backward, small + 1).kernel == KdeKernel::gram);
  CHECK(ec::kde_workspace_elements(ec::kde_choose(n, 64, 4, KdePass::backward, small), n) == 0);
  CHECK(ec::kde_choose(n, 64, 4, KdePass::backward, 0).kernel == KdeKernel::tiles);
  // n under 256: a block must hold all n rows
  CHECK(ec::kde_choose(100, 64, 4, KdePass::backward, 100 * 100 * 4 - 1).kernel == KdeKernel::tiles);
  CHECK(ec::kde_choose(100, 64, 4, KdePass::backward, 100 * 100 * 4).block_rows == 100);
}

TEST_CASE("kde tiles through the dispatch: float64 check, float") { check_kernel_all_shapes<float>(KdeKernel::tiles); }
TEST_CASE("kde Gram path, whole and in row blocks: float64 check, float") {
  check_kernel_all_shapes<float>(KdeKernel::gram);
}
TEST_CASE("kde Gram path, whole and in row blocks: float64 check, double") {
  check_kernel_all_shapes<double>(KdeKernel::gram);
}
TEST_CASE("kde warp forward: float64 check, float and double") {
  check_kernel_all_shapes<float>(KdeKernel::warp);
  check_kernel_all_shapes<double>(KdeKernel::warp);
}

TEST_CASE("kde: what kde_choose picks at a mid n, under a cap that forces row blocks, runs right") {
  if (kTsan) return;
  const int64_t n = 600, d = 40;
  const std::size_t cap = std::size_t(256) * n * 4 + 100;
  for (KdePass pass : {KdePass::forward, KdePass::backward}) {
    const KdePlan p = ec::kde_choose(n, d, 4, pass, cap);
    REQUIRE(p.kernel == KdeKernel::gram);
    CHECK(p.block_rows == 256);  // blocks of 256, 256, 88
  }
  check_plan<float>(ec::kde_choose(n, d, 4, KdePass::backward, cap), n, d, 3.0, true, 2e-4);
}

#if !defined(ENTROPIC_CUDA_EMU)
TEST_CASE("kde Gram path on cuBLAS (the backend's GEMM for it): float64 check") {
  ec::GemmPath path;
  ENTROPIC_CUBLAS_CHECK(cublasCreate(&path.cublas));
  path.impl = ec::GemmImpl::cublas;
  check_kernel_all_shapes<float>(KdeKernel::gram, path);
  check_kernel_all_shapes<double>(KdeKernel::gram, path);
  cublasDestroy(path.cublas);
}
#endif

TEST_CASE("kde dispatch rejects a bad row block and a warp backward") {
  DeviceBuffer<float> x(8), lp(4), lse(4), work(64);
  CHECK_THROWS_AS(ec::kde_forward(plan(KdeKernel::gram, 0), x.get(), 4, 2, 1.0, false, lp.get(), lse.get(),
                                  work.get(), {}, kStream),
                  entropic::Error);
  CHECK_THROWS_AS(ec::kde_forward(plan(KdeKernel::gram, 5), x.get(), 4, 2, 1.0, false, lp.get(), lse.get(),
                                  work.get(), {}, kStream),
                  entropic::Error);
  CHECK_THROWS_AS(ec::kde_backward(plan(KdeKernel::warp), x.get(), 4, 2, 1.0, false, lse.get(), 1.0, x.get(),
                                   work.get(), {}, kStream),
                  entropic::Error);
}
