// The CPU kernels' vector layer: one vector type per element type, as wide as the ISA the
// program is compiled for, and the handful of operations the kernels need beyond what GCC's
// vector extensions give (a fused multiply-add, a broadcast, horizontal reductions, exp).
// gemm, the KDE and the kNN kernels all build on it, so a new ISA is added here once.
//
// Widths: 64 bytes under AVX-512, 32 under AVX2, 16 otherwise. A vector type wider than the
// hardware is split by the compiler, so the code is correct on every target and fast where
// the width matches.
#pragma once
#if !defined(__GNUC__)
#error "entropic's CPU kernels use GCC/Clang vector extensions: compile with GCC or Clang"
#endif
#include <cmath>
#include <cstdint>
#include <cstring>
#include <type_traits>

#if defined(__AVX512F__) || defined(__AVX2__) || defined(__FMA__)
#include <immintrin.h>
#endif

namespace entropic::cpu::simd {

#if defined(__AVX512F__)
inline constexpr int kBytes = 64;
#elif defined(__AVX2__)
inline constexpr int kBytes = 32;
#else
inline constexpr int kBytes = 16;
#endif

template <class T>
struct Vec;
template <>
struct Vec<float> {
  typedef float V __attribute__((vector_size(kBytes)));
  typedef int32_t I __attribute__((vector_size(kBytes)));  // same lanes, for bit tricks and masks
};
template <>
struct Vec<double> {
  typedef double V __attribute__((vector_size(kBytes)));
  typedef int64_t I __attribute__((vector_size(kBytes)));
};

template <class T>
using V = typename Vec<T>::V;
template <class T>
using I = typename Vec<T>::I;
template <class T>
inline constexpr int W = kBytes / int(sizeof(T));  // lanes

// Every lane = s. The intrinsic gives one broadcast (or a {1toN} memory operand inside an FMA);
// the fallback s - 0 is s exactly, -0 included (0 + s would turn -0 into +0).
template <class T>
inline V<T> splat(T s) {
#if defined(__AVX512F__)
  if constexpr (sizeof(T) == 4) return _mm512_set1_ps(s);
  else return _mm512_set1_pd(s);
#elif defined(__AVX2__)
  if constexpr (sizeof(T) == 4) return _mm256_set1_ps(s);
  else return _mm256_set1_pd(s);
#else
  return s - V<T>{};
#endif
}

// a * b + c in one rounding where the ISA has an FMA. Through the intrinsic because GCC does
// not contract a*b+c under -std=c++20 (only under gnu++20): the plain expression would halve
// gemm's peak and cost the exp's range reduction its exactness.
template <class Vt>
inline Vt fmadd(Vt a, Vt b, Vt c) {
  constexpr bool f = std::is_same_v<Vt, V<float>>;
  static_assert(f || std::is_same_v<Vt, V<double>>, "simd::fmadd takes V<float> or V<double>");
#if defined(__AVX512F__)
  if constexpr (f) return _mm512_fmadd_ps(a, b, c);
  else return _mm512_fmadd_pd(a, b, c);
#elif defined(__AVX2__) && defined(__FMA__)
  if constexpr (f) return _mm256_fmadd_ps(a, b, c);
  else return _mm256_fmadd_pd(a, b, c);
#else
  return a * b + c;
#endif
}

// The scalar twin of fmadd: fused exactly where fmadd is, so code that must reproduce a vector
// kernel's values one element at a time (cpu/kdtree.hpp against cpu/knn.hpp) rounds the same.
template <class T>
inline T fmadd1(T a, T b, T c) {
#if defined(__AVX512F__) || (defined(__AVX2__) && defined(__FMA__))
  return std::fma(a, b, c);
#else
  return a * b + c;
#endif
}

// Unaligned load and store (memcpy compiles to one vector move).
template <class T>
inline V<T> load(const T* p) {
  V<T> v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
template <class T>
inline void store(T* p, V<T> v) {
  std::memcpy(p, &v, sizeof v);
}

template <class T>
inline T lane(const V<T>& v, int l) {
  return v[l];
}
template <class T>
inline T hsum(V<T> v) {
  T s = 0;
  for (int l = 0; l < W<T>; ++l) s += v[l];
  return s;
}
template <class T>
inline T hmax(V<T> v) {
  T m = v[0];
  for (int l = 1; l < W<T>; ++l) m = m < v[l] ? v[l] : m;
  return m;
}
// Whether any lane of v is <= t.
template <class T>
inline bool any_le(V<T> v, T t) {
  const auto m = v <= splat(t);
  bool any = false;
  for (int l = 0; l < W<T>; ++l) any |= m[l] != 0;
  return any;
}
template <class Vt>
inline Vt vmax(Vt a, Vt b) {
  return a > b ? a : b;
}
template <class T>
inline I<T> as_int(V<T> v) {
  return (I<T>)v;
}
template <class T>
inline V<T> as_real(I<T> v) {
  return (V<T>)v;
}

// Cephes expf: exp(x) = 2^n exp(r), n = round(x / ln 2), r = x - n ln 2 with ln 2 split in
// two (Cody-Waite: n * kExpfLn2Hi is exact) so r is exact, and exp(r) on |r| <= ln 2 / 2 as
// 1 + r + r^2 p(r) with p of degree 5 (about 1 ulp). Shared by the vector exp below and the
// scalar one that the activations' loops vectorise.
inline constexpr float kExpfLog2e = 1.44269504088896341f;
inline constexpr float kExpfLn2Hi = 0.693359375f;
inline constexpr float kExpfLn2Lo = -2.12194440e-4f;
inline constexpr float kExpfPoly[6] = {1.9875691500e-4f, 1.3981999507e-3f, 8.3334519073e-3f,
                                       4.1665795894e-2f, 1.6666665459e-1f, 5.0000001201e-1f};

// exp, lane by lane. n by the 1.5 * 2^p magic-number trick (its bits also hold n), 2^n built
// in the exponent field. float: the Cephes polynomial above; double: Taylor to degree 13
// (error term < 0.1 ulp). Arguments below log(min normal) (-87.34 float, -708.39 double),
// -inf included, give 0 (no subnormal results); arguments above 88 (float) / 709 (double)
// are clamped there, so the result is never inf. NaN is not handled (callers validate).
inline V<float> exp(V<float> x) {
  using F = V<float>;
  const F lo = splat(-87.33654475f), hi = splat(88.0f), magic = splat(12582912.0f);
  const auto under = x < lo;
  x = x < lo ? lo : x;
  x = x > hi ? hi : x;
  const F t = fmadd(x, splat(kExpfLog2e), magic);
  const F nf = t - magic;
  F r = fmadd(nf, splat(-kExpfLn2Hi), x);
  r = fmadd(nf, splat(-kExpfLn2Lo), r);
  F p = splat(kExpfPoly[0]);
  for (int i = 1; i < 6; ++i) p = fmadd(p, r, splat(kExpfPoly[i]));
  p = fmadd(p, r * r, r + splat(1.0f));
  const auto n = as_int<float>(t) - as_int<float>(magic);
  const F y = p * as_real<float>((n + 127) << 23);
  return under ? splat(0.0f) : y;
}
inline V<double> exp(V<double> x) {
  using D = V<double>;
  const D lo = splat(-708.3964185322641), hi = splat(709.0), magic = splat(6755399441055744.0);
  const auto under = x < lo;
  x = x < lo ? lo : x;
  x = x > hi ? hi : x;
  const D t = fmadd(x, splat(1.4426950408889634074), magic);
  const D nf = t - magic;
  D r = fmadd(nf, splat(-6.93147180369123816490e-01), x);
  r = fmadd(nf, splat(-1.90821492927058770002e-10), r);
  D p = splat(1.0 / 6227020800.0);
  constexpr double inv_fact[] = {1.0 / 479001600.0, 1.0 / 39916800.0, 1.0 / 3628800.0,
                                 1.0 / 362880.0,    1.0 / 40320.0,    1.0 / 5040.0,
                                 1.0 / 720.0,       1.0 / 120.0,      1.0 / 24.0,
                                 1.0 / 6.0,         0.5,              1.0,
                                 1.0};
  for (double c : inv_fact) p = fmadd(p, r, splat(c));
  const auto n = as_int<double>(t) - as_int<double>(magic);
  const D y = p * as_real<double>((n + 1023) << 52);
  return under ? splat(0.0) : y;
}

}  // namespace entropic::cpu::simd
