// The numbered CUDA KDE versions that bench_kde times (benchmarks/kde_versions.cuh):
// every version's forward (log p, row log-sum-exp) and backward (dH/dx) against a float64
// reference, with and without leave-one-out, at awkward sizes (n = 1, n not a multiple of any
// tile, d = 1, 2, 3, 17, 64, 100, 784); the TF32 version on inputs TF32 represents exactly (so
// the tiling, padding and masks are checked at FP32 accuracy) and, with a TF32-sized tolerance,
// on general inputs; and the GPU-ceiling kernels against their closed forms.
// Under the shim wmma (v5, v6) is the shim's loop emulation, and v4 (the library's Gram path,
// cuda/kde_gram.cuh) runs on the tiled GEMM; on a GPU on cuBLAS.
#include <cmath>
#include <cstring>
#include <numbers>

#include "cuda_test.hpp"
#include "reference/kde.hpp"
#include "benchmarks/kde_versions.cuh"

namespace {
using namespace entropic::test;
namespace kv = entropic::cuda::kde_versions;

// TF32 rounding on the host (to nearest, ties away from zero, as cvt.rna.tf32.f32).
float kv_tf32(float v) {
  uint32_t u;
  std::memcpy(&u, &v, 4);
  if ((u & 0x7f800000u) != 0x7f800000u) u = (u + 0x1000u) & 0xffffe000u;
  std::memcpy(&v, &u, 4);
  return v;
}

// The double reference from the inputs as the kernels see them (float).
KdeRef reference(const std::vector<float>& xf, int64_t n, int64_t d, double sigma, bool loo) {
  return kde_reference(std::vector<double>(xf.begin(), xf.end()), n, d, sigma, loo);
}

// x ~ U(-1, 1) with point 1 a copy of point 0; `tf32_exact`: multiples of 1/64 (7 bits).
std::vector<float> input(int64_t n, int64_t d, bool tf32_exact) {
  std::vector<double> xd = random_vector(n * d, 91, -1, 1);
  if (tf32_exact)
    for (double& v : xd) v = std::round(v * 64) / 64;
  if (n > 2)
    for (int64_t c = 0; c < d; ++c) xd[size_t(d + c)] = xd[size_t(c)];
  return {xd.begin(), xd.end()};
}

// The buffers and the cuBLAS handle a version needs, for one n.
struct Work {
  DeviceBuffer<float> buf;
  cublasHandle_t h = nullptr;
  kv::Workspace ws;
  Work(int version, int64_t n) : buf(size_t(std::max<int64_t>(1, kv::workspace_floats(version, n))), NAN) {
    if (version == 4) {
      ENTROPIC_CUBLAS_CHECK(cublasCreate(&h));
      ws.gram = buf.get();
      ws.cublas = h;
    } else if (version >= 5) {
      ws.sq = buf.get();
    }
  }
  Work(const Work&) = delete;
  Work& operator=(const Work&) = delete;
  ~Work() {
    if (h) cublasDestroy(h);
  }
};

// Runs `version` forward then backward (dH = 1.5) and compares with the reference at `tol`
// (log p and row_lse: |a - r| <= tol (1 + |r|); dx: |a - r| <= tol (max |r| + |r|)).
void check(int version, const std::vector<float>& x, int64_t n, int64_t d, double sigma, bool loo, double tol) {
  const KdeRef r = reference(x, n, d, sigma, loo);
  const double dH = 1.5;
  Work w(version, n);
  DeviceBuffer<float> dx_(x), lp(size_t(n), NAN), lse(size_t(n), NAN), grad(size_t(n * d), NAN);
  kv::forward(version, dx_.get(), n, d, sigma, loo, lp.get(), lse.get(), w.ws, kStream);
  kv::backward(version, dx_.get(), n, d, sigma, loo, lse.get(), dH, grad.get(), w.ws, kStream);
  std::vector<double> rdx = r.dx;
  double gmax = 0;
  for (double& v : rdx) v *= dH, gmax = std::max(gmax, std::fabs(v));
  const std::string name = std::string(kv::name(version)) + shape_name("", {n, d, loo});
  CHECK(all_close(lse.host(), r.lse, tol, tol, name + " row_lse"));
  CHECK(all_close(lp.host(), r.log_p, tol, tol, name + " log_p"));
  CHECK(all_close(grad.host(), rdx, tol * gmax, tol, name + " dx"));
}

struct S {
  int64_t n, d;
  double sigma;
};
std::vector<S> shapes() {
  if (kTsan) return {{1, 2, 0.5}, {33, 3, 0.4}, {10, 40, 1.5}};
  return {{1, 1, 0.5}, {1, 2, 0.5}, {2, 3, 0.5},   {33, 2, 0.3},   {37, 17, 1.0},
          {70, 64, 2.0}, {45, 100, 2.5}, {66, 9, 0.8}, {20, 784, 8.0}};
}

void check_all_shapes(int v) {
  for (const S& s : shapes())
    for (bool loo : {false, true}) {
      if (loo && s.n < 2) continue;
      // v4 and v6 compute |x_i|^2 + |x_j|^2 - 2 x_i.x_j: absolute error ~ eps |x|^2 in the distance
      const double tol = v == 4 || v == 6 ? 2e-4 : 1e-4;
      check(v, input(s.n, s.d, false), s.n, s.d, s.sigma, loo, tol);
    }
}
}  // namespace

TEST_CASE("kde v1 (thread per row): forward and backward against float64, awkward n and d") { check_all_shapes(1); }
TEST_CASE("kde v2 (the library's tiles) through the version dispatch") { check_all_shapes(2); }
TEST_CASE("kde v3 (warp per 8 rows): forward and backward against float64, awkward n and d") { check_all_shapes(3); }
TEST_CASE("kde v4 (cuBLAS GEMM): forward and backward against float64, awkward n and d") { check_all_shapes(4); }
TEST_CASE("kde v6 (3xTF32): forward and backward against float64 on general inputs") { check_all_shapes(6); }

TEST_CASE("kde v5 (TF32) on inputs TF32 holds exactly: FP32 accuracy") {
  for (const S& s : shapes())
    for (bool loo : {false, true}) {
      if (loo && s.n < 2) continue;
      check(5, input(s.n, s.d, true), s.n, s.d, s.sigma, loo, 2e-4);
    }
}

TEST_CASE("kde v5 (TF32) on general inputs: within TF32 rounding of the reference") {
  // inputs rounded by 2^-11 relative: e_ij moves by ~ 2^-10 |x_i - x_j| |x| / sigma^2 (<= 1e-2 here)
  for (const S& s : std::vector<S>{{33, 2, 0.5}, {45, 100, 2.5}}) check(5, input(s.n, s.d, false), s.n, s.d, s.sigma, false, 2e-2);
}

TEST_CASE("kde versions: the GPU-ceiling kernels compute their closed forms") {
  const int blocks = 2, threads = 64, iters = 5;
  DeviceBuffer<float> out(size_t(blocks * threads), NAN);
  CHECK(kv::fma_rate(blocks, threads, iters, out.get(), kStream) == 16.0 * blocks * threads * iters);
  std::vector<float> got = out.host();
  for (int t = 0; t < blocks * threads; ++t) {
    double s = 0;
    for (int k = 0; k < 8; ++k) {
      double a = double(t % threads) * 1e-3 + k;
      for (int it = 0; it < iters; ++it) a = a * 0.999999 + 1e-6;
      s += a;
    }
    CHECK(got[size_t(t)] == doctest::Approx(s).epsilon(1e-5));
  }
  CHECK(kv::exp_rate(blocks, threads, iters, out.get(), kStream) == 8.0 * blocks * threads * iters);
  got = out.host();
  for (int t = 0; t < blocks * threads; ++t) {
    double s = 0;
    for (int k = 0; k < 8; ++k) {
      double a = -0.1 * k - double(t % threads % 7) * 0.01;
      for (int it = 0; it < iters; ++it) a = 0.3 * std::exp(a);
      s += a;
    }
    CHECK(got[size_t(t)] == doctest::Approx(s).epsilon(1e-4));
  }
  // wmma stores need 32-byte alignment (cudaMalloc gives 256; the shim's host vector may give 16)
  DeviceBuffer<float> mma(size_t(blocks * threads / 32 * 1024 + 8), NAN);
  const size_t skip = (32 - reinterpret_cast<uintptr_t>(mma.get()) % 32) % 32 / sizeof(float);
  CHECK(kv::tf32_rate(blocks, threads, iters, mma.get() + skip, kStream) ==
        2.0 * 16 * 16 * 8 * 4 * blocks * 2 * iters);
  got = mma.host();
  got.erase(got.begin(), got.begin() + std::ptrdiff_t(skip));
  for (int w = 0; w < blocks * threads / 32 * 4; ++w)
    for (int i = 0; i < 16; ++i)
      for (int j = 0; j < 16; ++j) {
        double s = 0;  // A (16, 8) row-major a_k = 1e-3 (k % 7), B (8, 16) b_k = 1e-3 (k % 5), TF32-rounded
        for (int p = 0; p < 8; ++p)
          s += double(kv_tf32(1e-3f * float((i * 8 + p) % 7))) * double(kv_tf32(1e-3f * float((p * 16 + j) % 5)));
        CHECK(got[size_t(w * 256 + i * 16 + j)] == doctest::Approx(iters * s).epsilon(1e-5));
      }
  std::vector<float> src(64 * 4);
  for (size_t k = 0; k < src.size(); ++k) src[k] = float(k) * 0.5f;
  DeviceBuffer<float> in(src), dst(src.size(), NAN);
  CHECK(kv::copy(reinterpret_cast<const float4*>(in.get()), reinterpret_cast<float4*>(dst.get()), 64, 3, kStream) ==
        32.0 * 64);
  CHECK(dst.host() == src);
}

TEST_CASE("kde versions reject an unknown version and a missing workspace") {
  DeviceBuffer<float> x(8), lp(4), lse(4);
  CHECK_THROWS_AS(kv::forward(0, x.get(), 4, 2, 1.0, false, lp.get(), lse.get(), {}, kStream), entropic::Error);
  CHECK_THROWS_AS(kv::forward(7, x.get(), 4, 2, 1.0, false, lp.get(), lse.get(), {}, kStream), entropic::Error);
  CHECK_THROWS_AS(kv::forward(4, x.get(), 4, 2, 1.0, false, lp.get(), lse.get(), {}, kStream), entropic::Error);
  CHECK_THROWS_AS(kv::forward(5, x.get(), 4, 2, 1.0, false, lp.get(), lse.get(), {}, kStream), entropic::Error);
  CHECK_THROWS_AS(kv::forward(1, x.get(), 1, 2, 1.0, true, lp.get(), lse.get(), {}, kStream), entropic::Error);
}
