#!/usr/bin/env bash
# The main job: builds the optimised CPU configuration, then trains the GAN of the PacGAN 2D
# ring protocol twice on the CPU, without the entropy term (lambda = 0) and with it, so the
# two pictures and metric lines show mode collapse and its cure. Seed 2 is one where the plain
# GAN drops modes (README has all seeds); a later --seed overrides it.
#   scripts/demo.sh [extra mixture2d options, e.g. --seed 3 or --dataset grid]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
cmake --preset cpu >/dev/null
cmake --build --preset cpu --target mixture2d
out=out/demo
echo
echo "== plain GAN (lambda = 0) =="
build/cpu/examples/mixture2d --lambda 0 --seed 2 --out "$out/lambda0" --fresh "$@"
echo
echo "== entropy-regularised GAN (the recommended setting) =="
build/cpu/examples/mixture2d --seed 2 --out "$out/entropic" --fresh "$@"
echo
echo "pictures: $out/lambda0/samples.png and $out/entropic/samples.png"
