#!/usr/bin/env bash
# Builds the libFuzzer targets (fuzz/*.cpp) with Debian's clang, ASan and UBSan, and runs each
# for a fixed budget. Fails if any target crashes or a sanitizer reports, and says where the
# input is and how to keep it as a regression test.
# Usage: scripts/fuzz.sh [SECONDS_PER_TARGET (default 20)] [TARGET...]   (targets: see below)
# Each target works on a copy of its seed corpus in build/fuzz/corpus/<target> (kept between
# runs, so longer runs build on earlier ones; the committed fuzz/corpus is never written) and
# logs to build/fuzz/logs/<target>.log.
set -euo pipefail
cd "$(dirname "$0")/.."
all=(safetensors json csv idx idx_gz cli)
secs=${1:-20}
[[ $# -gt 0 ]] && shift
targets=("$@")
[[ ${#targets[@]} -eq 0 ]] && targets=("${all[@]}")
for t in "${targets[@]}"; do
  [[ " ${all[*]} " == *" $t "* ]] || { echo "fuzz.sh: unknown target '$t' (targets: ${all[*]})" >&2; exit 2; }
done

# clang and its libFuzzer runtime (libclang-rt-14-dev on Debian 12), through the project's
# installer, which adds only what is missing.
scripts/deps.sh clang libclang-rt-14-dev

build=build/fuzz
mkdir -p "$build"
# Two runs of this script may share the build directory (e.g. two long runs side by side): one
# builds at a time.
exec 9>"$build/.build-lock"
flock 9
cmake -S . -B "$build" -DCMAKE_CXX_COMPILER="${ENTROPIC_FUZZ_CXX:-clang++}" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DENTROPIC_FUZZ=ON -DENTROPIC_BUILD_TESTS=OFF -DENTROPIC_BUILD_EXAMPLES=OFF -DENTROPIC_BUILD_BENCHMARKS=OFF \
  -DENTROPIC_CUDA=OFF -DENTROPIC_NATIVE=OFF >/dev/null
cmake --build "$build" -j2 --target "${targets[@]/#/fuzz_}"
flock -u 9

mkdir -p "$build/logs"
failed=()
for t in "${targets[@]}"; do
  corpus=$build/corpus/$t
  artifacts=$build/artifacts/$t
  mkdir -p "$corpus" "$artifacts"
  cp -n fuzz/corpus/"$t"/* "$corpus"/ 2>/dev/null || true
  log=$build/logs/$t.log
  echo "fuzz.sh: $t for ${secs}s (log $log)"
  # The regression inputs are read, never written: libFuzzer adds new inputs to the first
  # directory only.
  if "$build/fuzz/fuzz_$t" -max_total_time="$secs" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 \
       -artifact_prefix="$artifacts/" "$corpus" fuzz/regressions/"$t" >"$log" 2>&1; then
    execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo "?")
    echo "fuzz.sh: $t ok: $execs executions, corpus $(ls "$corpus" | wc -l) files"
  else
    failed+=("$t")
    echo "fuzz.sh: $t FAILED; the end of $log:" >&2
    tail -n 40 "$log" >&2
    for a in "$artifacts"/*; do
      [[ -e $a ]] || continue
      echo "fuzz.sh: input that failed: $a" >&2
      echo "  reproduce: $build/fuzz/fuzz_$t $a" >&2
      echo "  keep it:   cp $a fuzz/regressions/$t/<what-it-tests>  (then fix the code; ctest -L fuzz replays it)" >&2
    done
  fi
done
if [[ ${#failed[@]} -gt 0 ]]; then
  echo "fuzz.sh: failed: ${failed[*]}" >&2
  exit 1
fi
echo "fuzz.sh: all ${#targets[@]} targets ran ${secs}s without a finding"
