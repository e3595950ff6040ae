#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <type_traits>
#include <cstdint>
#include <cstring>
#include <limits>
#include <vector>

#include "entropic/cpu/activations.hpp"
#include "entropic/cpu/simd.hpp"

namespace simd = entropic::cpu::simd;

namespace {

template <class T>
simd::V<T> iota(T start, T step) {
  simd::V<T> v;
  for (int l = 0; l < simd::W<T>; ++l) v[l] = start + step * T(l);
  return v;
}

template <class T>
void check_lanes_and_reductions() {
  static_assert(simd::W<T> * int(sizeof(T)) == simd::kBytes);
  static_assert(sizeof(simd::V<T>) == sizeof(simd::I<T>));
  // -0 must survive the broadcast: 0 + s would give +0.
  const simd::V<T> z = simd::splat(T(-0.0));
  for (int l = 0; l < simd::W<T>; ++l) CHECK(std::signbit(z[l]));

  const int w = simd::W<T>;
  const simd::V<T> v = iota<T>(T(-3), T(0.5));  // -3, -2.5, ...
  CHECK(simd::hsum<T>(v) == doctest::Approx(double(w) * -3 + 0.5 * w * (w - 1) / 2));
  CHECK(simd::hmax<T>(v) == T(-3) + T(0.5) * T(w - 1));
  CHECK(simd::lane<T>(v, w - 1) == T(-3) + T(0.5) * T(w - 1));
  CHECK(simd::any_le<T>(v, T(-3)));         // only lane 0 is <= -3
  CHECK_FALSE(simd::any_le<T>(v, T(-3.1)));  // none is
  const simd::V<T> m = simd::vmax(v, simd::splat(T(-2)));
  for (int l = 0; l < w; ++l) CHECK(m[l] == std::max(T(-2), v[l]));

  // Unaligned load/store: one element past a 64-byte boundary.
  alignas(64) T buf[2 * simd::W<T> + 1] = {};
  simd::store(buf + 1, v);
  CHECK(buf[0] == T(0));
  CHECK(buf[w + 1] == T(0));
  const simd::V<T> back = simd::load(buf + 1);
  for (int l = 0; l < w; ++l) CHECK(back[l] == v[l]);

  // as_int / as_real reinterpret the bits, lane by lane.
  const auto bits = simd::as_int<T>(v);
  for (int l = 0; l < w; ++l) {
    T x = v[l];
    std::conditional_t<sizeof(T) == 4, int32_t, int64_t> b;
    std::memcpy(&b, &x, sizeof b);
    CHECK(bits[l] == b);
  }
  const simd::V<T> same = simd::as_real<T>(bits);
  for (int l = 0; l < w; ++l) CHECK(same[l] == v[l]);
}

}  // namespace

TEST_CASE("cpu simd: lanes, broadcast, reductions, unaligned load/store and bit casts") {
  check_lanes_and_reductions<float>();
  check_lanes_and_reductions<double>();
}

TEST_CASE("cpu simd: fmadd rounds once where the ISA has an FMA, twice otherwise") {
  // float a = 1 + 2^-20: a * a = 1 + 2^-19 + 2^-40, whose last term is lost when the product
  // is rounded to float, so a * a + c is 0 with two roundings and 2^-40 with one (double alike).
  const float af = 1.0f + 0x1p-20f, cf = -(1.0f + 0x1p-19f);
  const double ad = 1.0 + 0x1p-40, cd = -(1.0 + 0x1p-39);
  const float rf = simd::fmadd(simd::splat(af), simd::splat(af), simd::splat(cf))[0];
  const double rd = simd::fmadd(simd::splat(ad), simd::splat(ad), simd::splat(cd))[0];
#if defined(__AVX512F__) || (defined(__AVX2__) && defined(__FMA__))
  CHECK(rf == 0x1p-40f);
  CHECK(rd == 0x1p-80);
#else
  CHECK(rf == 0.0f);
  CHECK(rd == 0.0);
#endif
}

TEST_CASE("cpu simd: exp clamps large arguments to a finite value and agrees with the scalar exp of the activations") {
  const simd::V<float> big = simd::exp(simd::splat(1000.0f));
  CHECK(std::isfinite(big[0]));
  CHECK(big[0] > 1e38f);
  const simd::V<double> bigd = simd::exp(simd::splat(1e6));
  CHECK(std::isfinite(bigd[0]));
  CHECK(bigd[0] > 1e307);
  // Both use the shared Cephes constants; over [-87, 0] both are within ~1 ulp of exp, so they
  // differ by at most ~2 ulp. A wrong constant in either shows up as a large difference.
  double worst = 0;
  for (int i = 0; i <= 87000; ++i) {
    const float x = -0.001f * float(i);
    const float vec = simd::exp(simd::splat(x))[0];
    const float sca = entropic::cpu::detail::exp_nonpositive(x);
    const double ref = std::exp(double(x));
    worst = std::max(worst, std::fabs(double(vec) - double(sca)) / ref);
  }
  MESSAGE("vector vs scalar float exp on [-87, 0]: " << worst / 0x1p-24 << " half-ulps");
  CHECK(worst < 4 * 0x1p-24);
}
