#!/usr/bin/env bash
# Builds and runs every test: the optimised CPU build (which also builds the examples and
# benchmarks and checks the installed package through find_package), then the tests again
# under AddressSanitizer + UndefinedBehaviorSanitizer, then the CUDA kernels on the CPU shim
# under ThreadSanitizer.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
cmake --workflow --preset cpu
cmake --workflow --preset sanitize
cmake --workflow --preset tsan
echo "entropic: all tests passed"
