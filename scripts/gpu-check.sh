#!/usr/bin/env bash
# One command for a machine with an NVIDIA GPU: build the `cuda` preset (sm_90; override with
# CUDA_ARCHS=80 for an A100), run the gpu tests (the cuda-emu cases and the whole-library stack
# cases, built by nvcc, on the device, cuBLAS path included), run them again under
# compute-sanitizer (memcheck, racecheck, synccheck) when it is installed, then the benchmarks
# (KDE versions at n = 16384 against the peers, one training iteration on cuda and on cpu, a
# short mixture2d --device cuda run), and print a summary. Exit status 0 only if all passed.
set -uo pipefail
cd "$(dirname "$0")/.."
build=build/cuda
log=$build/gpu-check
mkdir -p "$log"
declare -a summary
status=0
step() {  # step NAME COMMAND...: runs, logs to $log/NAME.log, records PASS/FAIL
  local name=$1
  shift
  local t0=$SECONDS
  if "$@" >"$log/$name.log" 2>&1; then
    summary+=("PASS  $name ($((SECONDS - t0)) s)")
  else
    summary+=("FAIL  $name ($((SECONDS - t0)) s): see $log/$name.log")
    status=1
  fi
}

# A machine without the Debian build dependencies: use the ones carried in .gpu-deps/.
if [[ -d .gpu-deps ]] && ! pkg-config --exists stb 2>/dev/null; then
  # shellcheck source=scripts/gpu-deps.sh
  source scripts/gpu-deps.sh env
fi
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>/dev/null || echo "nvidia-smi: not found"
step configure cmake --preset cuda ${CUDA_ARCHS:+-DCMAKE_CUDA_ARCHITECTURES=$CUDA_ARCHS}
step build cmake --build --preset cuda -j "$(nproc)" --target test-cuda-gpu entropic_nvcc_check bench_kde bench_mixture_step bench_train_step mixture2d
step gpu-tests ctest --preset cuda
gpu_exe=$build/tests/cuda/test-cuda-gpu
sanitizer=$(command -v compute-sanitizer || ls /usr/local/cuda/bin/compute-sanitizer 2>/dev/null || true)
if [[ -n "$sanitizer" && -x "$gpu_exe" ]]; then
  for tool in memcheck racecheck synccheck; do
    step "sanitizer-$tool" "$sanitizer" --tool "$tool" --error-exitcode 1 "$gpu_exe"
  done
else
  summary+=("SKIP  compute-sanitizer (not found)")
fi

bench=$build/benchmarks
step bench-kde "$bench/bench_kde" --device cuda --n 4096,16384 --d 2,64,784 --versions all --csv "$log/bench_kde.csv"
step bench-step-cuda "$bench/bench_mixture_step" --device cuda --repeats 100
step bench-step-cpu "$bench/bench_mixture_step" --device cpu --repeats 50
step bench-image-step-cuda "$bench/bench_train_step" --device cuda --repeats 50
step mixture2d-cuda "$build/examples/mixture2d" --device cuda --iters 3000 --fresh --quiet --out "$log/mixture2d"

echo
echo "== gpu-check benchmarks"
cat "$log/bench-kde.log" 2>/dev/null | tail -40
grep -h "full iteration\|products alone\|training on" "$log"/bench-step-*.log 2>/dev/null
grep -h "entropic\|cuda:" "$log/bench-image-step-cuda.log" 2>/dev/null
tail -1 "$log/mixture2d-cuda.log" 2>/dev/null

echo
echo "== gpu-check summary ($(date -u +%FT%TZ))"
grep -h "tests passed\|tests failed" "$log/gpu-tests.log" 2>/dev/null
grep -h "Skipped" "$log/gpu-tests.log" 2>/dev/null | head -3
grep -h "ERROR SUMMARY" "$log"/sanitizer-*.log 2>/dev/null
printf '%s\n' "${summary[@]}"
exit $status
