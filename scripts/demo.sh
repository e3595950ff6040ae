#!/usr/bin/env bash
# The main job: builds the optimised CPU configuration, then trains the GAN of the PacGAN 2D
# ring protocol twice on the CPU, without the entropy term (lambda = 0) and with it, so the
# two pictures and metric lines show mode collapse and its cure. Seed 2 is one where the plain
# GAN drops modes (README has all seeds); a later --seed overrides it.
# On the ring both runs use equal rates for G and D (2e-4, the protocol's plain GAN), so the
# entropy term is the only difference. The recommended setting (mixture2d's defaults) slows D
# to a quarter of G's rate, which on the ring already keeps the modes without the entropy term
# (README; benchmarks/RESULTS.md #45), so it would show no collapse to cure. On the grid the
# recommended rates stay: there the plain GAN collapses at them too.
#   scripts/demo.sh [extra mixture2d options, e.g. --seed 3, --dataset grid, --lr-d 5e-5]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
cmake --preset cpu >/dev/null
cmake --build --preset cpu --target mixture2d
out=out/demo
rates=(--lr-d 2e-4)
for arg in "$@"; do [[ "$arg" == grid ]] && rates=(); done

# The two runs are independent, and one run's step gains little from a second thread (its
# matrix products are 100 rows deep; benchmarks/RESULTS.md, "The demo in minutes"), so on two
# or more cores they train side by side, each on half of them: the demo takes one run's time,
# not two. The results do not depend on the thread count (each matrix product sums in the same
# order), so the metric lines are those of the runs one after another.
cores=$(nproc)
side_by_side=$((cores >= 2))
threads=$((side_by_side ? cores / 2 : cores))
# run TAG DIR [mixture2d options]: its lines go to DIR.log, and to the terminal tagged.
run() {
  local tag=$1 dir=$2
  shift 2
  mkdir -p "$(dirname "$dir")"
  ENTROPIC_NUM_THREADS=$threads build/cpu/examples/mixture2d --seed 2 "${rates[@]}" --out "$dir" --fresh "$@" 2>&1 |
    tee "$dir.log" | sed -u "s/^/[$tag] /"
}
trap 'kill $(jobs -p) 2>/dev/null || true' INT TERM
echo
if ((side_by_side)); then
  echo "training the plain GAN (lambda = 0) and the entropy-regularised GAN (lambda 1, the same rates)"
  echo "side by side, $threads thread(s) each:"
  run plain "$out/lambda0" --lambda 0 "$@" & plain=$!
  run entropic "$out/entropic" "$@" & entropic=$!
  status=0
  wait $plain || status=$?
  wait $entropic || status=$?
  ((status == 0)) || { echo "demo: a training run failed (logs: $out/lambda0.log, $out/entropic.log)" >&2; exit "$status"; }
else
  run plain "$out/lambda0" --lambda 0 "$@"
  run entropic "$out/entropic" "$@"
fi
echo
echo "== plain GAN (lambda = 0) =="
grep '^modes=' "$out/lambda0.log"
echo "== entropy-regularised GAN (lambda 1, the same rates) =="
grep '^modes=' "$out/entropic.log"
echo
echo "pictures: $out/lambda0/samples.png and $out/entropic/samples.png"
