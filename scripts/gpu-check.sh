#!/usr/bin/env bash
# One command for a machine with an NVIDIA GPU: build the `cuda` preset (sm_90; override with
# CUDA_ARCHS=80 for an A100), run the gpu tests (the cuda-emu cases and the whole-library stack
# cases, built by nvcc, on the device, cuBLAS path included), then the benchmarks (KDE versions
# at n = 4096 and 16384 against the peers, one training iteration on cuda and on cpu, a short
# mixture2d --device cuda run), then the gpu tests again under compute-sanitizer (memcheck,
# racecheck, synccheck) when it is installed, and print a summary. Exit status 0 only if all
# passed. Logs: build/cuda/gpu-check/.
set -uo pipefail
cd "$(dirname "$0")/.."
build=build/cuda
log=$build/gpu-check
mkdir -p "$log"
declare -a summary
status=0
# Each step is cut off after STEP_TIMEOUT seconds (default 300; BUILD_TIMEOUT for the build,
# SANITIZER_TIMEOUT for the sanitizer steps), so one slow step cannot eat a lent machine's time.
# The sanitizers skip API errors: the launch tests provoke bad launches on purpose.
step_timeout=${STEP_TIMEOUT:-300}
step() {  # step NAME COMMAND...: runs, logs to $log/NAME.log, records PASS/FAIL/TIMEOUT
  local name=$1
  shift
  local t0=$SECONDS rc=0
  local limit=${STEP_TIMEOUT:-$step_timeout}
  timeout "$limit" "$@" >"$log/$name.log" 2>&1 || rc=$?
  if ((rc == 0)); then
    summary+=("PASS  $name ($((SECONDS - t0)) s)")
  elif ((rc == 124)); then
    summary+=("TIMEOUT $name (cut off at ${limit} s): see $log/$name.log")
    status=1
  else
    summary+=("FAIL  $name ($((SECONDS - t0)) s, exit $rc): see $log/$name.log")
    status=1
  fi
  echo "${summary[-1]}"  # as it happens, so a cut-off run still shows how far it got
}

# A machine without the Debian build dependencies: use the ones carried in .gpu-deps/.
if [[ -d .gpu-deps ]] && ! pkg-config --exists stb 2>/dev/null; then
  # shellcheck source=scripts/gpu-deps.sh
  source scripts/gpu-deps.sh env
fi
# The peers (PyTorch CUDA, KeOps) run in the python3 that has torch, if it is not Debian's.
if [[ -z "${ENTROPIC_PYTHON:-}" ]] && py=$(command -v python3) && "$py" -c 'import torch' 2>/dev/null; then
  export ENTROPIC_PYTHON=$py
fi
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>/dev/null || echo "nvidia-smi: not found"
step configure cmake --preset cuda ${CUDA_ARCHS:+-DCMAKE_CUDA_ARCHITECTURES=$CUDA_ARCHS}
STEP_TIMEOUT=${BUILD_TIMEOUT:-1200} step build cmake --build --preset cuda -j "$(nproc)" --target test-cuda-gpu entropic_nvcc_check bench_kde bench_mixture_step bench_train_step mixture2d
# The gpu cases in one process (one CUDA context; `ctest --preset cuda` runs the same cases one
# process each, which costs a context start per case).
gpu_exe=$build/tests/cuda/test-cuda-gpu
step gpu-tests "$gpu_exe"

bench=$build/benchmarks
step bench-kde "$bench/bench_kde" --device cuda --n 4096,16384 --d 2,64,784 --versions all --csv "$log/bench_kde.csv"
# The library's table at shapes nobody measured (its rules are predictions: benchmarks/RESULTS.md,
# 2026-12-02): training batches and the small-n boundary, tiles (2), Gram (4), warp (3), library (0).
step bench-kde-small "$bench/bench_kde" --device cuda --n 64,256,1024 --d 2,32,33,784 --versions 2,3,4,0 --no-peers \
  --csv "$log/bench_kde_small.csv"
step bench-step-cuda "$bench/bench_mixture_step" --device cuda --repeats 100
step bench-step-cpu "$bench/bench_mixture_step" --device cpu --repeats 50
step bench-image-step-cuda "$bench/bench_train_step" --device cuda --repeats 50
step mixture2d-cuda "$build/examples/mixture2d" --device cuda --iters 3000 --fresh --quiet --out "$log/mixture2d"

sanitizer=$(command -v compute-sanitizer || ls /usr/local/cuda/bin/compute-sanitizer 2>/dev/null || true)
if [[ -n "$sanitizer" && -x "$gpu_exe" ]]; then
  for tool in memcheck racecheck synccheck; do
    STEP_TIMEOUT=${SANITIZER_TIMEOUT:-$step_timeout} step "sanitizer-$tool" "$sanitizer" --tool "$tool" --report-api-errors no \
      --error-exitcode 1 "$gpu_exe"
  done
else
  summary+=("SKIP  compute-sanitizer (not found)")
fi

echo
echo "== gpu-check benchmarks"
cat "$log/bench-kde.log" 2>/dev/null | tail -40
grep -h "full iteration\|products alone\|training on" "$log"/bench-step-*.log 2>/dev/null
grep -h "entropic\|cuda:" "$log/bench-image-step-cuda.log" 2>/dev/null
tail -1 "$log/mixture2d-cuda.log" 2>/dev/null

echo
echo "== gpu-check summary ($(date -u +%FT%TZ))"
grep -h "test cases:\|assertions:\|Status:" "$log/gpu-tests.log" 2>/dev/null
grep -h "ERROR SUMMARY" "$log"/sanitizer-*.log 2>/dev/null
printf '%s\n' "${summary[@]}"
exit $status
