#!/usr/bin/env bash
# Installs the Debian packages the project needs, only those that are missing: the build
# (compiler, CMake, doctest, stb, zlib) and the data the examples and tests read by default
# (python3-sklearn ships the 8x8 digits as digits.csv.gz; `images` and its test read it), and
# python3-scipy, whose cKDTree is bench_entropy_scale's peer (the benchmark runs without it), and
# Open MPI (libopenmpi-dev, openmpi-bin) for data-parallel training and its tests under mpirun.
# Usage: scripts/deps.sh [extra packages...]
set -euo pipefail
need=(cmake g++ make pkg-config doctest-dev libstb-dev zlib1g-dev libopenmpi-dev openmpi-bin python3-sklearn python3-scipy "$@")
missing=()
for p in "${need[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0
sudo=""
[[ $(id -u) -ne 0 ]] && sudo="sudo"
echo "entropic: installing Debian packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -q
$sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
