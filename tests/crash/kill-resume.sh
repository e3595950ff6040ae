#!/usr/bin/env bash
# Kills a mixture2d training run with SIGKILL at random moments, resumes it each time, and
# requires what a user relies on after a crash:
#   - after every kill, the checkpoint (when there is one yet) loads with the library's reader,
#     its iteration never goes back, and log.csv holds rows 1..m with m at least that iteration;
#   - the resumed run ends with an uninterrupted run's log (same rows, seconds aside), its
#     samples.csv and its final checkpoint, byte for byte.
# A third of the kills wait for a checkpoint's temporary file to appear, so some land inside
# checkpoint writes whatever the machine's speed; a .tmp left behind by a kill proves one did.
#
# usage: kill-resume.sh MIXTURE2D CHECK_CHECKPOINT WORKDIR
# env:   ENTROPIC_CRASH_SEED (kill schedule, default 15), ENTROPIC_CRASH_KILLS (default 24),
#        ENTROPIC_CRASH_ITERS (default 200)
set -euo pipefail
mixture=$1
checker=$2
work=$3
seed=${ENTROPIC_CRASH_SEED:-15}
kills=${ENTROPIC_CRASH_KILLS:-24}
iters=${ENTROPIC_CRASH_ITERS:-200}
every=4
RANDOM=$seed
# One thread: the same arithmetic in every process, and room for ctest's other job on 2 cores.
export ENTROPIC_NUM_THREADS=1
args=(--dataset ring --iters "$iters" --checkpoint-every "$every" --log-every 1 --quiet)
ref=$work/uninterrupted
run=$work/killed
ck=$run/checkpoint.safetensors
tmp=$ck.tmp
rm -rf "$work"
mkdir -p "$work"
echo "kill-resume: seed $seed (rerun with ENTROPIC_CRASH_SEED=$seed), $kills kills, $iters iterations, checkpoint every $every"

fail() {
  echo "kill-resume: FAILED (seed $seed): $*" >&2
  exit 1
}
now_ms() { date +%s%3N; }
sleep_ms() { sleep "$(printf '%d.%03d' $(($1 / 1000)) $(($1 % 1000)))"; }

t0=$(now_ms)
"$mixture" "${args[@]}" --out "$ref" --fresh >"$work/uninterrupted.out" 2>&1 ||
  { cat "$work/uninterrupted.out"; fail "the uninterrupted run failed"; }
t_ref=$(($(now_ms) - t0))
echo "kill-resume: uninterrupted run ${t_ref} ms"
# Random kills are spread over [0, 3 t_ref / kills]: startup and the work lost since the last
# checkpoint take their share, so the kills reach about halfway and the last resume still has
# work left.
span=$((3 * t_ref / kills + 1))

landed=0 targeted=0 torn=0 kills_done=0 last_it=0 runs=0
checkpoint_iters=()
# Past the planned kills, up to 10 more aimed ones until one has landed inside a write, so a
# fast disk cannot leave that case untested.
for ((k = 1; k <= kills || (landed == 0 && k <= kills + 10); k++)); do
  runs=$((runs + 1))
  "$mixture" "${args[@]}" --out "$run" >"$work/run-$k.out" 2>&1 &
  pid=$!
  mode=$((k % 3))
  [ "$k" -le "$kills" ] || mode=0
  case $mode in
    0)  # at a checkpoint write: wait until the stale .tmp of a previous kill is gone (the
        # trainer removes it on start), then until a new one appears, then a few ms more
      targeted=$((targeted + 1))
      while kill -0 "$pid" 2>/dev/null && [ -e "$tmp" ]; do :; done
      while kill -0 "$pid" 2>/dev/null && [ ! -e "$tmp" ]; do :; done
      sleep_ms $((RANDOM % 4))
      ;;
    1) sleep_ms $((RANDOM % 300)) ;;  # while starting: loading, cutting the log back
    2) sleep_ms $((RANDOM % span)) ;;
  esac
  kill -9 "$pid" 2>/dev/null || true
  rc=0
  { wait "$pid"; } 2>/dev/null || rc=$?  # quiet: bash would report every kill as "Killed"
  if [ "$rc" -eq 0 ]; then
    echo "kill-resume: run $k finished before its kill"
    break
  fi
  [ "$rc" -eq 137 ] || { cat "$work/run-$k.out"; fail "run $k exited with status $rc before it was killed"; }
  kills_done=$((kills_done + 1))
  # A .tmp counts only when it is not the one an earlier kill left, which a kill during the
  # next start-up (before the trainer removes it) still finds.
  if [ -e "$tmp" ]; then
    id=$(stat -c '%i %z' "$tmp")
    [ "$id" != "${last_tmp_id:-}" ] && landed=$((landed + 1))
    last_tmp_id=$id
  fi
  it=0
  if [ -e "$ck" ]; then
    it=$("$checker" "$ck") || fail "kill $k left a checkpoint that does not load"
    [ "$it" -ge "$last_it" ] || fail "kill $k: the checkpoint went back from iteration $last_it to $it"
    [ $((it % every)) -eq 0 ] || fail "kill $k: checkpoint at iteration $it, not a multiple of $every"
    last_it=$it
  fi
  checkpoint_iters+=("$it")
  if [ -e "$run/log.csv" ]; then
    # A last line without its newline would be dropped on resume; count it, check the rest.
    [ -n "$(tail -c1 "$run/log.csv")" ] && torn=$((torn + 1))
    rows=$(awk -F, -v bad=0 'NR == 1 && $1 != "iter" { bad = 1 } NR > 1 && $1 != NR - 1 { bad = 1 }
                             END { print bad ? -1 : NR - 1 }' <(head -n "$(wc -l <"$run/log.csv")" "$run/log.csv"))
    [ "$rows" -ge 0 ] || fail "kill $k: log.csv rows are not iterations 1, 2, 3, ...: $(head -c 400 "$run/log.csv")"
    [ "$rows" -ge "$it" ] || fail "kill $k: log.csv has $rows rows but the checkpoint is at iteration $it"
  fi
done
[ "$kills_done" -ge 20 ] || fail "only $kills_done kills before the run finished; raise ENTROPIC_CRASH_ITERS"
[ "$landed" -ge 1 ] || fail "none of $targeted kills aimed at checkpoint writes landed inside one"

runs=$((runs + 1))
"$mixture" "${args[@]}" --out "$run" >"$work/final.out" 2>&1 || { cat "$work/final.out"; fail "the last resume failed"; }
[ ! -e "$tmp" ] || fail "a checkpoint .tmp file is left after the run finished"
cmp "$ref/samples.csv" "$run/samples.csv" || fail "samples.csv differs from the uninterrupted run's"
cmp "$ref/checkpoint.safetensors" "$ck" || fail "the final checkpoint differs from the uninterrupted run's"
# The seconds column differs between runs; every other column must match.
cut -d, -f1-6 "$ref/log.csv" >"$work/log-uninterrupted"
cut -d, -f1-6 "$run/log.csv" >"$work/log-killed"
diff "$work/log-uninterrupted" "$work/log-killed" >"$work/log.diff" ||
  { head -20 "$work/log.diff"; fail "log.csv differs from the uninterrupted run's"; }
[ "$(wc -l <"$run/log.csv")" -eq $((iters + 1)) ] || fail "log.csv does not have $iters rows"
echo "kill-resume: checkpoint iteration after each kill: ${checkpoint_iters[*]}"
echo "kill-resume: PASSED: $kills_done kills ($targeted aimed at checkpoint writes, $landed left a partial" \
  "checkpoint .tmp behind, i.e. landed inside a write), $torn torn log lines, $runs runs;" \
  "samples, checkpoint and log equal the uninterrupted run's; $(($(now_ms) - t0)) ms"
