#!/usr/bin/env bash
# mixture2d on a full disk: the checkpoint that does not fit must stop the run with a message
# that says so, leave the previous checkpoint loadable and no .tmp behind, and a later run with
# room again must resume from it and finish. Two ways to fill the disk:
#   - ulimit -f with SIGXFSZ ignored (anyone): writes past the limit fail with EFBIG;
#   - a 16 MB tmpfs (root, where mount is allowed; skipped otherwise): one 10.7 MB checkpoint
#     fits, the temporary copy of the next one does not, so the write fails with ENOSPC.
# Where it can mount, it also runs mixture2d on a read-only filesystem, the unwritable output
# directory that root's permissions cannot otherwise produce.
#
# usage: full-disk.sh MIXTURE2D CHECK_CHECKPOINT WORKDIR
set -euo pipefail
mixture=$1
checker=$2
work=$3
export ENTROPIC_NUM_THREADS=1
args=(--dataset ring --checkpoint-every 5 --log-every 1 --quiet)
rm -rf "$work"
mkdir -p "$work"

fail() {
  echo "full-disk: FAILED: $*" >&2
  exit 1
}

# Runs mixture2d, which must fail with a message matching $2; then checks what it left.
expect_full() {
  local dir=$1 pattern=$2 out=$3
  shift 3
  if "$@" >"$out" 2>&1; then fail "mixture2d finished although its checkpoint could not be written"; fi
  grep -q -- "$pattern" "$out" || { cat "$out"; fail "the message does not say '$pattern'"; }
  echo "full-disk: mixture2d said: $(tail -1 "$out")"
  [ ! -e "$dir/checkpoint.safetensors.tmp" ] || fail "a .tmp file was left in $dir"
  local it
  it=$("$checker" "$dir/checkpoint.safetensors") || fail "the previous checkpoint in $dir does not load"
  [ "$it" -eq 5 ] || fail "the checkpoint in $dir is at iteration $it, expected the previous one (5)"
}

# ulimit: the first checkpoint (iteration 5) is written with room; the run resumed to 10 then
# meets a 4 MB file size limit at its checkpoint.
dir=$work/ulimit
"$mixture" "${args[@]}" --iters 5 --out "$dir" >"$work/ulimit-first.out" 2>&1 || { cat "$work/ulimit-first.out"; fail "first run"; }
expect_full "$dir" "File too large: the file size limit is reached" "$work/ulimit.out" \
  bash -c 'trap "" XFSZ; ulimit -f 4096; exec "$@"' _ "$mixture" "${args[@]}" --iters 10 --out "$dir"
"$mixture" "${args[@]}" --iters 10 --out "$dir" >"$work/ulimit-resume.out" 2>&1 || { cat "$work/ulimit-resume.out"; fail "the resume with room failed"; }
[ "$("$checker" "$dir/checkpoint.safetensors")" -eq 10 ] || fail "the resumed run did not reach iteration 10"
[ "$(wc -l <"$dir/log.csv")" -eq 11 ] || fail "log.csv of the resumed run does not have rows 1..10"

# tmpfs: a real ENOSPC.
dir=$work/tmpfs
mkdir -p "$dir"
if [ "$(id -u)" -ne 0 ] || ! mount -t tmpfs -o size=16m tmpfs "$dir" 2>/dev/null; then
  echo "full-disk: tmpfs part skipped (cannot mount a tmpfs here)"
  echo "full-disk: PASSED (file size limit)"
  exit 0
fi
ro=$work/read-only
mkdir -p "$ro"
trap 'umount "$dir" 2>/dev/null || true; umount "$ro" 2>/dev/null || true' EXIT
expect_full "$dir" "No space left on device: the disk is full" "$work/tmpfs.out" \
  "$mixture" "${args[@]}" --iters 10 --out "$dir"

mount -t tmpfs -o ro,size=1m tmpfs "$ro" || fail "cannot mount a read-only tmpfs although a tmpfs mounted"
if "$mixture" "${args[@]}" --iters 10 --out "$ro" >"$work/read-only.out" 2>&1; then fail "mixture2d ran on a read-only filesystem"; fi
grep -q "cannot open $ro/log.csv for writing (Read-only file system)" "$work/read-only.out" ||
  { cat "$work/read-only.out"; fail "the read-only output directory is not named with its errno"; }
echo "full-disk: mixture2d said: $(tail -1 "$work/read-only.out")"
echo "full-disk: PASSED (file size limit, a full tmpfs, a read-only tmpfs)"
