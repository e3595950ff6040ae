#!/usr/bin/env bash
# The main job: builds the optimised CPU configuration and trains the example on the CPU.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
cmake --preset cpu >/dev/null
cmake --build --preset cpu --target train_mlp
build/cpu/examples/train_mlp "$@"
