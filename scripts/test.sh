#!/usr/bin/env bash
# Builds and runs every test: the optimised CPU build (which also builds the examples and
# benchmarks and checks the installed package through find_package), then the tests again
# under AddressSanitizer + UndefinedBehaviorSanitizer.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
cmake --workflow --preset cpu
cmake --workflow --preset sanitize
echo "entropic: all tests passed"
