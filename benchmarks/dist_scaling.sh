#!/usr/bin/env bash
# Data-parallel scaling on this machine's cores: the ring's training (mixture2d, batch 100,
# float) as one process with 1 and 2 threads, and as 2 MPI ranks of 1 thread each (the global
# batch the same). Prints the training seconds per step of each, from the log's last row.
#   benchmarks/dist_scaling.sh [BUILD_DIR (build/cpu)] [ITERS (300)]
set -euo pipefail
build=${1:-build/cpu}
iters=${2:-300}
exe=$build/examples/mixture2d
[[ -x $exe ]] || { echo "dist_scaling: build $exe first (cmake --workflow --preset cpu)" >&2; exit 2; }
command -v mpirun >/dev/null || { echo "dist_scaling: needs mpirun (scripts/deps.sh installs openmpi-bin)" >&2; exit 2; }
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_btl_vader_single_copy_mechanism=none
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
per_step() { awk -F, -v n="$iters" 'END {printf "%.2f", 1000 * $7 / n}' "$1/log.csv"; }
args=(--seed 1 --iters "$iters" --log-every "$iters" --quiet --fresh)
echo "ring, batch 100, $iters iterations, $(nproc) cores: ms per step (training only)"
ENTROPIC_NUM_THREADS=1 "$exe" "${args[@]}" --out "$out/a" >/dev/null
echo "  1 process,  1 thread : $(per_step "$out/a")"
ENTROPIC_NUM_THREADS=2 "$exe" "${args[@]}" --out "$out/b" >/dev/null
echo "  1 process,  2 threads: $(per_step "$out/b")"
ENTROPIC_NUM_THREADS=1 mpirun -np 2 "$exe" "${args[@]}" --out "$out/c" >/dev/null
echo "  2 ranks,    1 thread each (batch 50 each, MPI): $(per_step "$out/c")"
