// Schedules: numbers the trainer changes over a run, as functions of the iteration alone, so a
// run resumed from a checkpoint at iteration k continues exactly as if it had not stopped.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdint>

#include "entropic/core/error.hpp"

namespace entropic::gan {

// A value over a run of `iters` iterations (counted from 1, as the trainer counts): a linear
// ramp from 0 over the first `warmup` iterations, then `value`, then, when `anneal` > 0, a
// straight line to `end` over the last round(anneal * iters) iterations, reaching `end` at the
// last one. The entropy weight uses all three parts: the ramp keeps the entropy term from
// pulling apart a generator that has not learned anything yet, and annealing lets the term
// spread the generator over the modes early and the discriminator sharpen them late.
//
//   cfg.lambda = gan::Schedule::constant(3).annealed_to(0, 0.5);  // 3, then 3 -> 0 over the second half
struct Schedule {
  double value = 0;
  int64_t warmup = 0;
  double anneal = 0;  // the fraction of the run, at its end, over which the value goes to `end`
  double end = 0;

  static Schedule constant(double v) { return Schedule{v}; }
  Schedule warmed_up(int64_t iterations) const {
    Schedule s = *this;
    s.warmup = iterations;
    return s;
  }
  Schedule annealed_to(double end_value, double fraction) const {
    Schedule s = *this;
    s.end = end_value;
    s.anneal = fraction;
    return s;
  }

  double at(int64_t it, int64_t iters) const {
    const double base = warmup <= 0 || it >= warmup ? value : value * double(it) / double(warmup);
    const int64_t len = int64_t(std::llround(anneal * double(iters)));
    const int64_t start = iters - len;
    if (anneal <= 0 || len <= 0 || it <= start) return base;
    const double t = std::min(1.0, double(it - start) / double(len));
    return base + (end - base) * t;
  }
  // Whether the value is positive anywhere in a run.
  bool ever_positive() const { return value > 0 || (anneal > 0 && end > 0); }

  // `what` names the schedule in the message ("lambda").
  void validate(const char* what) const {
    check(std::isfinite(value) && value >= 0, "schedule: ", what, " must be >= 0, got ", value);
    check(warmup >= 0, "schedule: ", what, "'s warm-up must be >= 0 iterations, got ", warmup);
    check(anneal >= 0 && anneal <= 1, "schedule: ", what, "'s annealing must be a fraction of the run in [0, 1], got ",
          anneal);
    check(std::isfinite(end) && end >= 0, "schedule: ", what, "'s end value must be >= 0, got ", end);
  }
};

// The two Adam learning rates over a run, as multipliers of AdamOptions::lr. The rates of
// iteration k are set before its generator step and kept for the discriminator steps of
// iteration k + 1, so a step never sees a rate from the future.
struct LrSchedule {
  // Both rates fall linearly over the run: iteration k uses 1 - (k - 1) / iters of them, the
  // full rate at the first step and 1 / iters at the last.
  bool decay = false;
  // The discriminator's rate ramps from 0 over these iterations (k / d_warmup at iteration k):
  // an early discriminator at full rate can reject everything before the generator has moved.
  int64_t d_warmup = 0;

  static LrSchedule constant() { return {}; }
  static LrSchedule linear_decay() { return {true, 0}; }
  LrSchedule with_d_warmup(int64_t iterations) const { return {decay, iterations}; }

  // The factors of iteration `it` of `iters`: the trainer sets adam_g.lr * decay_factor and
  // adam_d.lr * decay_factor * d_warmup_factor.
  double decay_factor(int64_t it, int64_t iters) const {
    return decay && it > 0 ? 1.0 - double(it - 1) / double(iters) : 1.0;
  }
  double d_warmup_factor(int64_t it) const { return d_warmup > 0 ? std::min(1.0, double(it) / double(d_warmup)) : 1.0; }
  bool is_constant() const { return !decay && d_warmup <= 0; }

  void validate() const { check(d_warmup >= 0, "schedule: the discriminator's warm-up must be >= 0 iterations, got ", d_warmup); }
};

}  // namespace entropic::gan
