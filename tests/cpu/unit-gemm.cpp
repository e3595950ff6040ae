#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "entropic/cpu/gemm.hpp"
#include "support.hpp"

using namespace entropic;

namespace {

struct Case {
  bool ta, tb;
  int64_t M, N, K;
  double alpha, beta;
  int64_t pad = 0;  // extra elements at the end of every row of A, B and C
};

std::string describe(const Case& c, const char* type) {
  return std::string("gemm<") + type + "> ta=" + std::to_string(c.ta) +
         " tb=" + std::to_string(c.tb) + " M=" + std::to_string(c.M) +
         " N=" + std::to_string(c.N) + " K=" + std::to_string(c.K) +
         " alpha=" + std::to_string(c.alpha) + " beta=" + std::to_string(c.beta) +
         " pad=" + std::to_string(c.pad);
}

// Runs one case in T and compares with a double loop over the same (T-rounded) inputs.
// beta == 0 starts C as NaN: gemm must overwrite it without reading.
template <class T>
bool run_case(const Case& c, uint64_t seed) {
  const int64_t a_rows = c.ta ? c.K : c.M, a_cols = c.ta ? c.M : c.K;
  const int64_t b_rows = c.tb ? c.N : c.K, b_cols = c.tb ? c.K : c.N;
  const int64_t lda = a_cols + c.pad, ldb = b_cols + c.pad, ldc = c.N + c.pad;
  auto to_t = [](const std::vector<double>& v) { return std::vector<T>(v.begin(), v.end()); };
  std::vector<T> A = to_t(test::random_vector(std::max<int64_t>(1, a_rows * lda), seed));
  std::vector<T> B = to_t(test::random_vector(std::max<int64_t>(1, b_rows * ldb), seed + 1));
  std::vector<T> C = to_t(test::random_vector(std::max<int64_t>(1, c.M * ldc), seed + 2));
  if (c.beta == 0) std::fill(C.begin(), C.end(), std::numeric_limits<T>::quiet_NaN());

  std::vector<double> ref(C.begin(), C.end());
  for (int64_t i = 0; i < c.M; ++i)
    for (int64_t j = 0; j < c.N; ++j) {
      double s = 0;
      for (int64_t k = 0; k < c.K; ++k) {
        const double a = c.ta ? A[size_t(k * lda + i)] : A[size_t(i * lda + k)];
        const double b = c.tb ? B[size_t(j * ldb + k)] : B[size_t(k * ldb + j)];
        s += a * b;
      }
      double& r = ref[size_t(i * ldc + j)];
      r = c.alpha * s + (c.beta == 0 ? 0.0 : c.beta * r);
    }

  cpu::gemm<T>(c.ta, c.tb, c.M, c.N, c.K, T(c.alpha), A.data(), lda, B.data(), ldb, T(c.beta),
               C.data(), ldc);

  // Compare only the M x N result; the padding must be left as it was.
  std::vector<T> got;
  std::vector<double> want;
  for (int64_t i = 0; i < c.M; ++i)
    for (int64_t j = 0; j < ldc; ++j) {
      got.push_back(C[size_t(i * ldc + j)]);
      want.push_back(ref[size_t(i * ldc + j)]);
    }
  // Inputs are in [-1, 1], so errors grow like sqrt(K) * eps; the bound allows K * eps.
  const double eps = std::numeric_limits<T>::epsilon();
  const double tol = 4 * eps * double(std::max<int64_t>(c.K, 1));
  const std::string what = describe(c, sizeof(T) == 4 ? "float" : "double");
  if (c.beta == 0 && c.pad > 0) {
    // Padding columns hold NaN in both; all_close treats NaN as a mismatch, so skip them.
    std::vector<T> g2;
    std::vector<double> w2;
    for (int64_t i = 0; i < c.M; ++i)
      for (int64_t j = 0; j < c.N; ++j) {
        g2.push_back(got[size_t(i * ldc + j)]);
        w2.push_back(want[size_t(i * ldc + j)]);
      }
    bool pad_ok = true;
    for (int64_t i = 0; i < c.M; ++i)
      for (int64_t j = c.N; j < ldc; ++j) pad_ok = pad_ok && std::isnan(got[size_t(i * ldc + j)]);
    if (!pad_ok) MESSAGE(std::string(what + ": wrote into the row padding of C"));
    return pad_ok && test::all_close(g2, w2, tol, tol, what);
  }
  return test::all_close(got, want, tol, tol, what);
}

template <class T>
void run_all(const std::vector<Case>& cases) {
  uint64_t seed = 1;
  for (const Case& c : cases)
    for (int t = 0; t < 4; ++t) {
      Case ct = c;
      ct.ta = t & 1;
      ct.tb = t & 2;
      CHECK_MESSAGE(run_case<T>(ct, seed += 3), describe(ct, sizeof(T) == 4 ? "float" : "double"));
    }
}

// Every case runs with all four transpose combinations.
std::vector<Case> small_cases() {
  std::vector<Case> cases;
  const int64_t sizes[] = {1, 3, 17, 63, 65};
  for (int64_t m : sizes)
    for (int64_t n : sizes)
      for (int64_t k : {int64_t(1), int64_t(17), int64_t(65)})
        cases.push_back({false, false, m, n, k, 0.75, m % 2 ? 0.0 : -1.5});
  return cases;
}

std::vector<Case> blocked_cases() {
  // Sizes that leave edge tiles in every direction for every register tile we build
  // (MR 6 or 12, NR 8..32) and several k-blocks (KC 192 / 384).
  return {
      {false, false, 129, 65, 129, 1.0, 0.0},
      {false, false, 64, 100, 784, 1.0, 0.0},       // Linear forward, batch 64
      {false, false, 100, 257, 63, -0.5, 0.25},
      {false, false, 1, 1000, 300, 2.0, 1.0},       // M = 1
      {false, false, 1000, 1, 300, 2.0, -1.0},      // N = 1
      {false, false, 300, 300, 1, 0.5, 0.5},        // K = 1
      {false, false, 77, 130, 400, 1.25, 0.0, 5},  // padded rows (ld > cols)
      {false, false, 300, 257, 513, 0.5, 2.0},      // multi-threaded, several k-blocks
  };
}

}  // namespace

TEST_CASE("gemm: small and edge shapes, all transposes, float and double") {
  run_all<float>(small_cases());
  run_all<double>(small_cases());
}

TEST_CASE("gemm: blocked path with edge tiles, k-blocks, padding and threads") {
  run_all<float>(blocked_cases());
  run_all<double>(blocked_cases());
}

TEST_CASE("gemm: padded leading dimensions on the small path") {
  std::vector<Case> cases = {{false, false, 5, 7, 3, 1.5, 0.5, 3}, {false, false, 3, 4, 9, 1, 0, 2}};
  run_all<float>(cases);
  run_all<double>(cases);
}

TEST_CASE("gemm: K == 0 and alpha == 0 scale C by beta without reading A or B") {
  for (double beta : {0.0, 2.0}) {
    std::vector<float> C(12, beta == 0 ? std::numeric_limits<float>::quiet_NaN() : 3.0f);
    cpu::gemm<float>(false, false, 3, 4, 0, 1.0f, nullptr, 0, nullptr, 4, float(beta), C.data(), 4);
    for (float v : C) CHECK(v == float(3 * beta));
    std::vector<double> D(12, beta == 0 ? std::numeric_limits<double>::quiet_NaN() : 3.0);
    const std::vector<double> nan_in(12, std::numeric_limits<double>::quiet_NaN());
    cpu::gemm<double>(false, false, 3, 4, 3, 0.0, nan_in.data(), 3, nan_in.data(), 4, beta,
                      D.data(), 4);
    for (double v : D) CHECK(v == 3 * beta);
  }
  // M == 0 or N == 0: nothing to do, no pointer touched.
  cpu::gemm<float>(false, false, 0, 4, 5, 1.0f, nullptr, 5, nullptr, 4, 0.0f, nullptr, 4);
  cpu::gemm<float>(false, false, 4, 0, 5, 1.0f, nullptr, 5, nullptr, 0, 0.0f, nullptr, 0);
}

TEST_CASE("gemm: bad arguments name the argument and the values") {
  std::vector<float> A(64), B(64), C(64);
  auto call = [&](bool ta, bool tb, int64_t M, int64_t N, int64_t K, int64_t lda, int64_t ldb,
                  int64_t ldc) {
    cpu::gemm<float>(ta, tb, M, N, K, 1.0f, A.data(), lda, B.data(), ldb, 0.0f, C.data(), ldc);
  };
  CHECK_THROWS_WITH_AS(call(false, false, -1, 2, 2, 2, 2, 2), "gemm: M -1 < 0", Error);
  CHECK_THROWS_WITH_AS(call(false, false, 2, -2, 2, 2, 2, 2), "gemm: N -2 < 0", Error);
  CHECK_THROWS_WITH_AS(call(false, false, 2, 2, -3, 2, 2, 2), "gemm: K -3 < 0", Error);
  CHECK_THROWS_WITH_AS(call(false, false, 2, 2, 4, 3, 2, 2),
                       "gemm: lda 3 < K 4 for A not transposed", Error);
  CHECK_THROWS_WITH_AS(call(true, false, 5, 2, 4, 4, 2, 2), "gemm: lda 4 < M 5 for A transposed",
                       Error);
  CHECK_THROWS_WITH_AS(call(false, false, 2, 6, 2, 2, 5, 6),
                       "gemm: ldb 5 < N 6 for B not transposed", Error);
  CHECK_THROWS_WITH_AS(call(false, true, 2, 2, 7, 7, 6, 2), "gemm: ldb 6 < K 7 for B transposed",
                       Error);
  CHECK_THROWS_WITH_AS(call(false, false, 2, 3, 2, 2, 3, 2), "gemm: ldc 2 < N 3", Error);
  CHECK_THROWS_WITH_AS(cpu::gemm<double>(false, false, 2, 2, 2, 1.0, nullptr, 2, nullptr, 2, 0.0,
                                         nullptr, 2),
                       "gemm: C is null for a 2 x 2 result", Error);
}
