// CPU matrix multiply: C = alpha * op(A) * op(B) + beta * C, row-major, float and double.
//
// GotoBLAS/BLIS structure, mirrored for row-major C (row-major C = A B is column-major
// C^T = B^T A^T, so BLIS's "A" is our B and the vector direction runs along N):
//
//   for k0 in K step KC                     A block (MC x KC) packed once, lives in L3
//     pack op(A)[m-range, k0:k0+KC]         as MR-row micro-panels, k-major
//     for n0 in N step NC                   B block (KC x NC) packed, lives in L2
//       pack op(B)[k0:k0+KC, n0:n0+NC]      as NR-column micro-panels, k-major
//       for i in MC step MR                 A micro-panel (KC x MR) stays in L1
//         for j in NC step NR               B micro-panel streamed from L2
//           micro_kernel: MR x NR tile of C held in registers for the whole KC loop
//
// Packing absorbs both transposes and the zero padding of edge tiles, so there is one
// micro-kernel. Threads split C into disjoint tiles, each with its own packing buffers, so
// they never synchronise inside the loop nest and each core's L2 holds its own B block.
#pragma once
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <new>
#include <type_traits>

#include "entropic/core/error.hpp"
#include "entropic/core/parallel.hpp"
#include "entropic/cpu/aligned.hpp"
#include "entropic/cpu/simd.hpp"

#ifndef ENTROPIC_GEMM_PACK_A
#define ENTROPIC_GEMM_PACK_A 0  // 1: pack A always (the old path, kept for A/B measurements)
#endif

namespace entropic::cpu {

namespace detail {

// Cache blocking. KC: the A micro-panel (KC x MR) must stay in the 32 KiB L1 while B
// micro-panels stream past it, so KC * MR * sizeof(T) ~ 18 KiB. NC: the packed B block
// (KC x NC) must stay in L2 (1 MiB on Zen 4, 1-2 MiB on recent Intel) with room for A
// micro-panels and C, so ~ 400-600 KiB. MC: the packed A block only needs to fit L3; a large
// MC means B is packed once per k-block.
template <class T>
struct Blocking {
  static constexpr int64_t kc = 384 * 4 / int64_t(sizeof(T));
  static constexpr int64_t nc = 384;
  static constexpr int64_t mc = 3072;
};

// The register tile: MR rows x NV vectors of C stay in registers for the whole KC loop.
// AVX-512 has 32 vector registers: 12 x 2 accumulators + 2 B vectors, and A is broadcast from
// memory straight into the FMA ({1toN} operand), so no register is spent on it. With 16
// (AVX2, SSE): 6 x 2 accumulators + 2 B vectors + 1 broadcast.
template <class T>
struct Kernel {
  using V = simd::V<T>;
  static constexpr int W = simd::W<T>, MR = simd::kBytes == 64 ? 12 : 6, NV = 2, NR = NV * W;
};

// One tile of C: c = alpha * a_panel * b_panel + beta * c (beta == 0: c not read).
// a: (kc, MR) k-major; b: (kc, NR) k-major; both 64-byte aligned and zero padded. The kernel
// computes RM rows x NV vectors of that (RM <= MR, NV <= K::NV): edge tiles use a smaller
// instance instead of paying full price for padding (N = 100 with NR = 32 would otherwise
// compute 128 columns). Only the store knows the exact edge (mr x nr valid).
//
// lda == 0: a is a packed panel. lda > 0: a points at row 0 of the unpacked, row-major A
// (rows lda apart, k contiguous). The rows past mr then read row mr - 1 again (never out of
// bounds); the store drops them.
template <class T, int RM, int NV>
inline void micro_kernel(int64_t kc, const T* __restrict a, int64_t lda, const T* __restrict b, T* c,
                         int64_t ldc, T alpha, T beta, int64_t mr, int64_t nr) {
  using K = Kernel<T>;
  using V = typename K::V;
  constexpr int W = K::W, MR = K::MR, NR = K::NR;
  static_assert(RM <= MR && NV <= K::NV);
  b = static_cast<const T*>(__builtin_assume_aligned(b, 64));

  // The C tile is touched only after the k loop; start its (likely L3) lines moving now.
#pragma GCC unroll 16
  for (int i = 0; i < RM; ++i) {
    __builtin_prefetch(c + i * ldc, 1);
    __builtin_prefetch(c + i * ldc + NV * W - 1, 1);
  }
  V acc[RM][NV] = {};  // (RM, NV * W) in registers
  if (lda > 0) {
    const T* rows[RM];
#pragma GCC unroll 16
    for (int i = 0; i < RM; ++i) rows[i] = a + std::min<int64_t>(i, mr - 1) * lda;
#pragma GCC unroll 4
    for (int64_t k = 0; k < kc; ++k) {
      V bv[NV];
#pragma GCC unroll 4
      for (int v = 0; v < NV; ++v) bv[v] = *reinterpret_cast<const V*>(b + k * NR + v * W);
#pragma GCC unroll 16
      for (int i = 0; i < RM; ++i) {
        const V ai = simd::splat(rows[i][k]);
#pragma GCC unroll 4
        for (int v = 0; v < NV; ++v) acc[i][v] = simd::fmadd(ai, bv[v], acc[i][v]);
      }
    }
  } else {
    a = static_cast<const T*>(__builtin_assume_aligned(a, 64));
#pragma GCC unroll 4
    for (int64_t k = 0; k < kc; ++k) {
    V bv[NV];  // (1, NV * W)
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) bv[v] = *reinterpret_cast<const V*>(b + k * NR + v * W);
#pragma GCC unroll 16
    for (int i = 0; i < RM; ++i) {
      const V ai = simd::splat(a[k * MR + i]);  // one load+broadcast, shared by NV FMAs
#pragma GCC unroll 4
      for (int v = 0; v < NV; ++v) acc[i][v] = simd::fmadd(ai, bv[v], acc[i][v]);
    }
  }
  }

  if (mr == RM && nr == NV * W) {
#pragma GCC unroll 16
    for (int i = 0; i < RM; ++i)
#pragma GCC unroll 4
      for (int v = 0; v < NV; ++v) {
        T* p = c + i * ldc + v * W;
        V r = acc[i][v] * alpha;
        if (beta != T(0)) r += simd::load(p) * beta;
        simd::store(p, r);
      }
    return;
  }
  constexpr int TW = NV * W;
  alignas(64) T tile[RM * TW];  // (RM, TW)
  for (int i = 0; i < RM; ++i)
    for (int v = 0; v < NV; ++v) simd::store(tile + i * TW + v * W, acc[i][v]);
  for (int64_t i = 0; i < mr; ++i)
    for (int64_t j = 0; j < nr; ++j) {
      T& cij = c[i * ldc + j];
      cij = beta == T(0) ? alpha * tile[i * TW + j] : alpha * tile[i * TW + j] + beta * cij;
    }
}

// Picks the smallest kernel instance covering an mr x nr tile: rows in steps of MR / 3,
// columns in whole vectors.
template <class T>
inline void tile_kernel(int64_t kc, const T* a, int64_t lda, const T* b, T* c, int64_t ldc, T alpha, T beta,
                        int64_t mr, int64_t nr) {
  using K = Kernel<T>;
  constexpr int MR = K::MR, R1 = MR / 3, R2 = 2 * MR / 3;
  static_assert(K::NV == 2 && MR % 3 == 0, "edge dispatch assumes a 2-vector, 3-step tile");
  if (nr > K::W) {
    if (mr > R2) micro_kernel<T, MR, 2>(kc, a, lda, b, c, ldc, alpha, beta, mr, nr);
    else if (mr > R1) micro_kernel<T, R2, 2>(kc, a, lda, b, c, ldc, alpha, beta, mr, nr);
    else micro_kernel<T, R1, 2>(kc, a, lda, b, c, ldc, alpha, beta, mr, nr);
  } else {
    if (mr > R2) micro_kernel<T, MR, 1>(kc, a, lda, b, c, ldc, alpha, beta, mr, nr);
    else if (mr > R1) micro_kernel<T, R2, 1>(kc, a, lda, b, c, ldc, alpha, beta, mr, nr);
    else micro_kernel<T, R1, 1>(kc, a, lda, b, c, ldc, alpha, beta, mr, nr);
  }
}

// op(A)[i0 : i0+mc, k0 : k0+kc] -> MR-row micro-panels, each (kc, MR), zero-padded rows.
template <class T>
void pack_a(bool trans_a, const T* A, int64_t lda, int64_t i0, int64_t k0, int64_t mc,
            int64_t kc, T* dst) {
  constexpr int MR = Kernel<T>::MR;
  for (int64_t r0 = 0; r0 < mc; r0 += MR, dst += MR * kc) {
    const int64_t rows = std::min<int64_t>(MR, mc - r0);
    if (trans_a) {
      // A stored (K, M): each k contributes MR contiguous elements.
      for (int64_t k = 0; k < kc; ++k) {
        const T* src = A + (k0 + k) * lda + i0 + r0;
        T* d = dst + k * MR;
        if (rows == MR) {  // fixed size: a couple of vector moves
          std::memcpy(d, src, MR * sizeof(T));
          continue;
        }
        int64_t i = 0;
        for (; i < rows; ++i) d[i] = src[i];
        for (; i < MR; ++i) d[i] = T(0);
      }
    } else {
      // A stored (M, K): read each row contiguously, write with stride MR (the panel is
      // L1-sized, so the scattered writes stay in cache).
      for (int64_t i = 0; i < rows; ++i) {
        const T* src = A + (i0 + r0 + i) * lda + k0;
        for (int64_t k = 0; k < kc; ++k) dst[k * MR + i] = src[k];
      }
      for (int64_t i = rows; i < MR; ++i)
        for (int64_t k = 0; k < kc; ++k) dst[k * MR + i] = T(0);
    }
  }
}

// dst[r * ldd + c] = src[c * lds + r] for a W x W block, in registers: stage d swaps the
// off-diagonal d x d sub-blocks, so after stages d = 1, 2, .., W/2 every element has moved
// from (i, j) to (j, i). Each stage is W two-source shuffles (vpermt2ps on AVX-512).
template <class T>
inline void transpose_block(const T* src, int64_t lds, T* dst, int64_t ldd) {
  using K = Kernel<T>;
  using V = typename K::V;
  constexpr int W = K::W;
  using M = simd::I<T>;
  V row[W];
#pragma GCC unroll 16
  for (int r = 0; r < W; ++r) row[r] = simd::load(src + r * lds);
#pragma GCC unroll 4
  for (int d = 1; d < W; d *= 2) {
    M lo, hi;
#pragma GCC unroll 16
    for (int l = 0; l < W; ++l) {
      lo[l] = (l & d) ? W + l - d : l;
      hi[l] = (l & d) ? W + l : l + d;
    }
#pragma GCC unroll 16
    for (int i = 0; i < W; ++i) {
      if (i & d) continue;
      const V x = row[i], y = row[i + d];
      row[i] = __builtin_shuffle(x, y, lo);
      row[i + d] = __builtin_shuffle(x, y, hi);
    }
  }
#pragma GCC unroll 16
  for (int r = 0; r < W; ++r) simd::store(dst + r * ldd, row[r]);
}

// op(B)[k0 : k0+kc, j0 : j0+nc] -> NR-column micro-panels, each (kc, NR), zero-padded columns.
template <class T>
void pack_b(bool trans_b, const T* B, int64_t ldb, int64_t k0, int64_t j0, int64_t kc,
            int64_t nc, T* dst) {
  constexpr int NR = Kernel<T>::NR, W = Kernel<T>::W;
  for (int64_t c0 = 0; c0 < nc; c0 += NR, dst += NR * kc) {
    const int64_t cols = std::min<int64_t>(NR, nc - c0);
    if (!trans_b) {
      for (int64_t k = 0; k < kc; ++k) {
        const T* src = B + (k0 + k) * ldb + j0 + c0;
        T* d = dst + k * NR;
        if (cols == NR) {
          std::memcpy(d, src, NR * sizeof(T));
          continue;
        }
        int64_t j = 0;
        for (; j < cols; ++j) d[j] = src[j];
        for (; j < NR; ++j) d[j] = T(0);
      }
    } else {
      // B stored (N, K): a transpose. Whole W x W blocks go through registers (W loads, a
      // log2(W)-stage shuffle, W stores); the forward pass Y = X W^T packs its whole weight
      // matrix this way on every call, and scalar copies cost ~25% of the multiply there.
      const int64_t full_cols = cols / W * W, full_k = kc / W * W;
      for (int64_t j = 0; j < full_cols; j += W)
        for (int64_t k = 0; k < full_k; k += W)
          transpose_block<T>(B + (j0 + c0 + j) * ldb + k0 + k, ldb, dst + k * NR + j, NR);
      for (int64_t k = full_k; k < kc; ++k)
        for (int64_t j = 0; j < full_cols; ++j) dst[k * NR + j] = B[(j0 + c0 + j) * ldb + k0 + k];
      for (int64_t j = full_cols; j < NR; ++j) {
        const T* src = B + (j0 + c0 + j) * ldb + k0;
        for (int64_t k = 0; k < kc; ++k) dst[k * NR + j] = j < cols ? src[k] : T(0);
      }
    }
  }
}

// Per-thread packing buffer, grown on demand and kept: the pool's threads live as long as the
// process, so steady-state calls allocate nothing.
template <class T>
T* scratch(int slot, int64_t elems) {
  struct Slot {
    AlignedBuffer<T> buf;
    int64_t n = 0;
  };
  thread_local Slot slots[2];
  Slot& s = slots[slot];
  if (s.n < elems) {
    s.buf = AlignedBuffer<T>();  // the old block goes first: the peak is one block, not two
    s.buf = AlignedBuffer<T>(elems);
    s.n = elems;
  }
  return s.buf.get();
}

// The blocked loop nest over one tile of C: rows [m0, m0+mc), columns [n0, n0+nc). K > 0.
template <class T>
void gemm_tile(bool trans_a, bool trans_b, int64_t m0, int64_t mc_total, int64_t n0,
               int64_t nc_total, int64_t K, T alpha, const T* A, int64_t lda, const T* B,
               int64_t ldb, T beta, T* C, int64_t ldc) {
  using Kn = Kernel<T>;
  constexpr int64_t MR = Kn::MR, NR = Kn::NR;
  constexpr int64_t KC = Blocking<T>::kc, NC = Blocking<T>::nc, MC = Blocking<T>::mc;
  // Even k-blocks: a short tail block would waste a C load/store pass on little work.
  const int64_t kblocks = (K + KC - 1) / KC;
  const int64_t kc_step = (K + kblocks - 1) / kblocks;
  const int64_t nblocks = (nc_total + NC - 1) / NC;
  const int64_t nc_step = ((nc_total + nblocks - 1) / nblocks + NR - 1) / NR * NR;
  const int64_t mc_step = std::min(MC, (mc_total + MR - 1) / MR * MR);

  // A not transposed has its k contiguous already: the kernel broadcasts straight from its
  // rows (an MR x kc slice, ~18 KiB, stays in L1 across the j loop as a packed panel would).
  // Packing it was a scalar scatter, and with C split by columns every thread packed all of
  // A, a cost that did not shrink with the thread count. A transposed must be packed.
  const bool pack_whole_a = trans_a || ENTROPIC_GEMM_PACK_A;
  T* apack = pack_whole_a ? scratch<T>(0, mc_step * kc_step) : nullptr;  // (mc_step/MR) panels of (kc, MR)
  T* bpack = scratch<T>(1, nc_step * kc_step);  // (nc_step/NR) panels of (kc, NR)

  for (int64_t mi = 0; mi < mc_total; mi += mc_step) {
    const int64_t mc = std::min(mc_step, mc_total - mi);
    for (int64_t k0 = 0; k0 < K; k0 += kc_step) {
      const int64_t kc = std::min(kc_step, K - k0);
      // Later k-blocks accumulate onto what the first one wrote.
      const T beta_k = k0 == 0 ? beta : T(1);
      if (pack_whole_a) pack_a(trans_a, A, lda, m0 + mi, k0, mc, kc, apack);
      for (int64_t ni = 0; ni < nc_total; ni += nc_step) {
        const int64_t nc = std::min(nc_step, nc_total - ni);
        pack_b(trans_b, B, ldb, k0, n0 + ni, kc, nc, bpack);
        for (int64_t i = 0; i < mc; i += MR) {
          const T* ap = pack_whole_a ? apack + (i / MR) * MR * kc : A + (m0 + mi + i) * lda + k0;
          for (int64_t j = 0; j < nc; j += NR) {
            T* c = C + (m0 + mi + i) * ldc + n0 + ni + j;
            tile_kernel<T>(kc, ap, pack_whole_a ? 0 : lda, bpack + (j / NR) * NR * kc, c, ldc, alpha, beta_k,
                           std::min(MR, mc - i), std::min(NR, nc - j));
          }
        }
      }
    }
  }
}

// Tiny problems: packing and thread wake-ups would cost more than the arithmetic.
template <class T>
void gemm_small(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, T alpha,
                const T* A, int64_t lda, const T* B, int64_t ldb, T beta, T* C, int64_t ldc) {
  for (int64_t i = 0; i < M; ++i) {
    T* c = C + i * ldc;
    for (int64_t j = 0; j < N; ++j) c[j] = beta == T(0) ? T(0) : beta * c[j];
    for (int64_t k = 0; k < K; ++k) {
      const T a = alpha * (trans_a ? A[k * lda + i] : A[i * lda + k]);
      if (trans_b)
        for (int64_t j = 0; j < N; ++j) c[j] += a * B[j * ldb + k];
      else
        for (int64_t j = 0; j < N; ++j) c[j] += a * B[k * ldb + j];
    }
  }
}

// Below this many multiply-adds one core finishes before a second would have woken up.
inline constexpr int64_t kParallelMacs = int64_t(1) << 18;
inline constexpr int64_t kSmallMacs = int64_t(1) << 15;

}  // namespace detail

template <class T>
void gemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, T alpha, const T* A,
          int64_t lda, const T* B, int64_t ldb, T beta, T* C, int64_t ldc) {
  static_assert(std::is_same_v<T, float> || std::is_same_v<T, double>,
                "gemm: T must be float or double");
  check(M >= 0, "gemm: M ", M, " < 0");
  check(N >= 0, "gemm: N ", N, " < 0");
  check(K >= 0, "gemm: K ", K, " < 0");
  if (trans_a)
    check(lda >= M, "gemm: lda ", lda, " < M ", M, " for A transposed");
  else
    check(lda >= K, "gemm: lda ", lda, " < K ", K, " for A not transposed");
  if (trans_b)
    check(ldb >= K, "gemm: ldb ", ldb, " < K ", K, " for B transposed");
  else
    check(ldb >= N, "gemm: ldb ", ldb, " < N ", N, " for B not transposed");
  check(ldc >= N, "gemm: ldc ", ldc, " < N ", N);
  if (M == 0 || N == 0) return;
  check(C != nullptr, "gemm: C is null for a ", M, " x ", N, " result");

  if (K == 0 || alpha == T(0)) {
    // BLAS semantics: A and B are not read, and beta == 0 clears C even if it holds NaN.
    for (int64_t i = 0; i < M; ++i) {
      T* c = C + i * ldc;
      for (int64_t j = 0; j < N; ++j) c[j] = beta == T(0) ? T(0) : beta * c[j];
    }
    return;
  }
  check(A != nullptr && B != nullptr, "gemm: A or B is null with K ", K);

  const int64_t macs = M * N * K;
  if (macs < detail::kSmallMacs) {
    detail::gemm_small(trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
    return;
  }

  // Split C into mt x nt tiles, one per thread, on MR/NR boundaries; pick the grid whose
  // largest tile (counted in padded micro-tiles) is smallest, so M = 64 still splits over N.
  using Kn = detail::Kernel<T>;
  const int64_t threads = macs < detail::kParallelMacs ? 1 : num_threads();
  const int64_t mb = (M + Kn::MR - 1) / Kn::MR, nb = (N + Kn::NR - 1) / Kn::NR;
  int64_t mt = 1, nt = 1, best = mb * nb;
  for (int64_t m = 1; m <= threads; ++m) {
    const int64_t n = threads / m;
    if (m > mb || n > nb) continue;
    const int64_t cost = ((mb + m - 1) / m) * ((nb + n - 1) / n);
    if (cost < best || (cost == best && m * n > mt * nt)) best = cost, mt = m, nt = n;
  }
  const int64_t mstep = (mb + mt - 1) / mt * Kn::MR, nstep = (nb + nt - 1) / nt * Kn::NR;
  mt = (M + mstep - 1) / mstep;
  nt = (N + nstep - 1) / nstep;
  parallel_for(mt * nt, 1, [&](int64_t begin, int64_t end) {
    for (int64_t t = begin; t < end; ++t) {
      const int64_t m0 = (t / nt) * mstep, n0 = (t % nt) * nstep;
      detail::gemm_tile(trans_a, trans_b, m0, std::min(mstep, M - m0), n0,
                        std::min(nstep, N - n0), K, alpha, A, lda, B, ldb, beta, C, ldc);
    }
  });
}

}  // namespace entropic::cpu
