// Counter-based random numbers (Philox4x32-10, Salmon et al. 2011).
//
// Why counter-based: the value for element i of a fill is a pure function of (seed, counter),
// so a CUDA kernel can produce exactly the same numbers as the CPU, in any order, on any
// number of threads; and a run is reproducible from its seed alone.
#pragma once
#include <array>
#include <cmath>
#include <cstdint>
#include <numbers>

#include "entropic/core/error.hpp"

namespace entropic {

namespace philox {
using u32 = uint32_t;
struct Block {
  u32 v[4];
};

#if defined(__CUDACC__)
#define ENTROPIC_HD __host__ __device__
#else
#define ENTROPIC_HD
#endif

ENTROPIC_HD inline Block round10(Block c, u32 k0, u32 k1) {
  constexpr u32 M0 = 0xD2511F53u, M1 = 0xCD9E8D57u, W0 = 0x9E3779B9u, W1 = 0xBB67AE85u;
  for (int r = 0; r < 10; ++r) {
    const uint64_t p0 = uint64_t(M0) * c.v[0], p1 = uint64_t(M1) * c.v[2];
    const u32 hi0 = u32(p0 >> 32), lo0 = u32(p0), hi1 = u32(p1 >> 32), lo1 = u32(p1);
    c = Block{{hi1 ^ c.v[1] ^ k0, lo1, hi0 ^ c.v[3] ^ k1, lo0}};
    k0 += W0;
    k1 += W1;
  }
  return c;
}

// Four 32-bit words for counter `ctr` under `seed`.
ENTROPIC_HD inline Block generate(uint64_t seed, uint64_t ctr) {
  return round10(Block{{u32(ctr), u32(ctr >> 32), 0u, 0u}}, u32(seed), u32(seed >> 32));
}

// Uniform in (0, 1]: never 0, so log(u) in Box-Muller is finite.
ENTROPIC_HD inline double to_unit(u32 a, u32 b) {
  const uint64_t x = (uint64_t(a) << 21) ^ uint64_t(b >> 11);  // 53 random bits
  return (double(x & ((uint64_t(1) << 53) - 1)) + 1.0) * (1.0 / 9007199254740992.0);
}

// Element i of a fill that starts at `offset`: two normals per Philox block.
ENTROPIC_HD inline double normal_at(uint64_t seed, uint64_t offset, uint64_t i) {
  const Block b = generate(seed, offset + i / 2);
  const double u1 = to_unit(b.v[0], b.v[1]), u2 = to_unit(b.v[2], b.v[3]);
  const double r = std::sqrt(-2.0 * std::log(u1)), t = 2.0 * 3.14159265358979323846 * u2;
  return (i % 2 == 0) ? r * std::cos(t) : r * std::sin(t);
}

ENTROPIC_HD inline double uniform_at(uint64_t seed, uint64_t offset, uint64_t i) {
  const Block b = generate(seed, offset + i / 2);
  return (i % 2 == 0) ? to_unit(b.v[0], b.v[1]) : to_unit(b.v[2], b.v[3]);
}
}  // namespace philox

// A seeded stream. Each fill consumes a range of counters, so two fills never overlap and
// the whole sequence depends only on the seed and the order of calls.
class Rng {
 public:
  explicit Rng(uint64_t seed = 0) : seed_(seed) {}

  uint64_t seed() const { return seed_; }
  uint64_t offset() const { return offset_; }
  void set_offset(uint64_t o) { offset_ = o; }

  // Reserves counters for n values and returns the offset they start at.
  uint64_t reserve(uint64_t n) {
    const uint64_t at = offset_;
    offset_ += (n + 1) / 2;
    return at;
  }

  double uniform() { return philox::uniform_at(seed_, reserve(1), 0); }
  double normal() { return philox::normal_at(seed_, reserve(1), 0); }
  // Uniform integer in [0, n).
  uint64_t below(uint64_t n) {
    check(n > 0, "rng: below(n) needs n > 0");
    const philox::Block b = philox::generate(seed_, reserve(2));
    const uint64_t x = (uint64_t(b.v[0]) << 32) | b.v[1];
    return x % n;  // bias under 2^-32 for n < 2^32
  }

  template <class T>
  void fill_normal(T* p, int64_t n, double mean = 0.0, double std = 1.0) {
    const uint64_t at = reserve(uint64_t(n));
    for (int64_t i = 0; i < n; ++i) p[i] = T(mean + std * philox::normal_at(seed_, at, uint64_t(i)));
  }
  template <class T>
  void fill_uniform(T* p, int64_t n, double lo = 0.0, double hi = 1.0) {
    const uint64_t at = reserve(uint64_t(n));
    for (int64_t i = 0; i < n; ++i) p[i] = T(lo + (hi - lo) * philox::uniform_at(seed_, at, uint64_t(i)));
  }

 private:
  uint64_t seed_;
  uint64_t offset_ = 0;
};

}  // namespace entropic
