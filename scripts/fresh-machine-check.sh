#!/usr/bin/env bash
# Proves the README's two commands on a bare machine: builds a minimal Debian 12 root filesystem
# (mmdebstrap --variant=minbase, with only git and ca-certificates added), clones this repository's
# committed HEAD into it, mounts the CUDA toolkit read-only at /usr/local/cuda when this machine
# has one (it does not come from Debian), and inside runs
#   scripts/test.sh                  the test command, in full
#   scripts/demo.sh --iters N        the demo, shortened (default N 200), which must print its
#                                    metric lines and write both PNGs
#   images --iters 20                the image example on its default data (scikit-learn's digits)
# Everything those need must be installed by the project's own scripts: a package that only this
# machine happens to have is missing there. Debian's own, unpatched CMake is what configures.
# Needs root (chroot, mounts) and the Debian archive. Exit status 0 only if both commands pass.
#   scripts/fresh-machine-check.sh [--demo-iters N] [--demo-only] [--keep]
# (--demo-only skips the test command, a quicker look; --keep leaves the root for a look)
# ENTROPIC_FRESH_ROOT=DIR builds the root in DIR (default: a new directory under /var/tmp).
# Logs: build/fresh-machine-check/{test,demo,images}.log.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
args=("$@")
demo_iters=200
keep=0
demo_only=0
while (($#)); do
  case $1 in
    --demo-iters) demo_iters=$2; shift 2 ;;
    --keep) keep=1; shift ;;
    --demo-only) demo_only=1; shift ;;
    -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
    *) echo "fresh-machine-check: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
if [[ $(id -u) -ne 0 ]]; then
  if command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
    exec sudo -n "$0" "${args[@]}"
  fi
  echo "fresh-machine-check: needs root (chroot and mounts); run it with sudo" >&2
  exit 2
fi
if ! command -v mmdebstrap >/dev/null; then
  echo "fresh-machine-check: installing mmdebstrap"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends mmdebstrap >/dev/null ||
    { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends mmdebstrap >/dev/null; }
fi

root=${ENTROPIC_FRESH_ROOT:-$(mktemp -d /var/tmp/entropic-fresh.XXXXXX)}
mkdir -p "$root"
logs=$repo/build/fresh-machine-check
mkdir -p "$logs"
# Every mount is undone before the root is removed, and removal never crosses into a mount:
# ROOT/dev and ROOT/sys are this machine's own.
cleanup() {
  local rc=$?
  for m in $(awk -v r="$root" 'index($2, r) == 1 {print $2}' /proc/mounts | sort -r); do
    umount -l "$m" 2>/dev/null || true
  done
  if awk -v r="$root" 'index($2, r) == 1 {found = 1} END {exit !found}' /proc/mounts; then
    echo "fresh-machine-check: mounts remain under $root; not removing it" >&2
  elif ((keep)); then
    echo "fresh-machine-check: kept $root"
  else
    rm -rf --one-file-system "$root"
  fi
  exit $rc
}
trap cleanup EXIT

t0=$SECONDS
echo "== fresh-machine-check: a minimal Debian 12 root in $root"
mmdebstrap --quiet --variant=minbase --include=git,ca-certificates bookworm "$root"
echo "   built in $((SECONDS - t0)) s ($(chroot "$root" dpkg-query -W | wc -l) packages)"

cuda=""
if [[ -e /usr/local/cuda ]]; then
  cuda=$(readlink -f /usr/local/cuda)
  mkdir -p "$root/usr/local/cuda"
  mount --bind "$cuda" "$root/usr/local/cuda"
  mount -o remount,bind,ro "$root/usr/local/cuda"
  echo "   CUDA toolkit $cuda mounted read-only at /usr/local/cuda"
else
  echo "   no CUDA toolkit here: the check covers the CPU build only"
fi
mount -t proc proc "$root/proc"
mount --rbind /dev "$root/dev" && mount --make-rslave "$root/dev"
mount --rbind /sys "$root/sys" && mount --make-rslave "$root/sys"
cp /etc/resolv.conf "$root/etc/resolv.conf"
git clone -q "$repo" "$root/src/entropic"
echo "   cloned $(git -C "$repo" rev-parse --short HEAD) (committed work only)"

inside() {
  chroot "$root" env -i HOME=/root TERM=dumb LANG=C.UTF-8 \
    PATH=/usr/local/cuda/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    bash -c "cd /src/entropic && $1"
}

status=0
t=$SECONDS
echo "== fresh-machine-check: scripts/test.sh"
if ((demo_only)); then
  echo "   skipped (--demo-only)"
elif inside "scripts/test.sh" >"$logs/test.log" 2>&1; then
  echo "   PASS ($((SECONDS - t)) s); $(grep -c 'tests passed, 0 tests failed' "$logs/test.log") presets all passed"
else
  status=1
  echo "   FAIL ($((SECONDS - t)) s); the last lines of its log ($logs/test.log):"
  tail -40 "$logs/test.log" | sed 's/^/   | /'
fi
# Which FindCUDAToolkit configured: the check means something only with Debian's own module.
module=$(chroot "$root" sh -c 'ls /usr/share/cmake-*/Modules/FindCUDAToolkit.cmake 2>/dev/null | head -1')
[[ -n "$module" ]] && echo "   CMake module: $module, $(chroot "$root" dpkg -S "$module" 2>/dev/null | cut -d: -f1) $(chroot "$root" dpkg-query -W -f='${Version}' cmake-data 2>/dev/null), unmodified: $(chroot "$root" dpkg --verify cmake-data 2>/dev/null | grep -q FindCUDAToolkit && echo no || echo yes)"

t=$SECONDS
echo "== fresh-machine-check: scripts/demo.sh --iters $demo_iters"
if inside "scripts/demo.sh --iters $demo_iters" >"$logs/demo.log" 2>&1 &&
   [[ $(grep -c '^modes=[0-9]*/8 hq=' "$logs/demo.log") -eq 2 ]] &&
   [[ -s "$root/src/entropic/out/demo/lambda0/samples.png" && -s "$root/src/entropic/out/demo/entropic/samples.png" ]]; then
  echo "   PASS ($((SECONDS - t)) s): $(grep '^modes=' "$logs/demo.log" | tr '\n' ' ')and both samples.png written"
else
  status=1
  echo "   FAIL ($((SECONDS - t)) s); the last lines of its log ($logs/demo.log):"
  tail -30 "$logs/demo.log" | sed 's/^/   | /'
fi
# The other example that reads data by default: images trains on scikit-learn's digits, which only
# python3-sklearn installs (the demo alone would not notice it missing).
t=$SECONDS
echo "== fresh-machine-check: images (its default data), 20 iterations"
if inside "cmake --build --preset cpu --target images >/dev/null && build/cpu/examples/images --iters 20 --out out/fresh-images --fresh" >"$logs/images.log" 2>&1 &&
   ls "$root"/src/entropic/out/fresh-images/samples_*.png >/dev/null 2>&1; then
  echo "   PASS ($((SECONDS - t)) s): $(grep -o 'classes=[0-9]*/10' "$logs/images.log" | tail -1), samples written"
else
  status=1
  echo "   FAIL ($((SECONDS - t)) s); the last lines of its log ($logs/images.log):"
  tail -15 "$logs/images.log" | sed 's/^/   | /'
fi
echo "== fresh-machine-check: $([[ $status -eq 0 ]] && echo PASS || echo FAIL) in $((SECONDS - t0)) s"
exit $status
