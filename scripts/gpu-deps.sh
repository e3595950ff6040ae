#!/usr/bin/env bash
# The Debian packages the build needs, for a GPU machine that has nvcc and CMake but neither
# these packages nor a network (the lent machines of this workplace are such):
#   scripts/gpu-deps.sh fetch          here, where apt works: downloads the .debs (~2 MB) into
#                                      .gpu-deps/ (git-ignored; carry that folder over)
#   source scripts/gpu-deps.sh env     there: unpacks them under /tmp/entropic-deps (never over
#                                      /) and exports the paths that CMake, pkg-config, the
#                                      compiler and the loader read
# scripts/gpu-check.sh runs the second step itself when .gpu-deps/ is present and pkg-config
# cannot find stb.
pkgs=(doctest-dev libstb-dev libstb0 zlib1g-dev zlib1g pkg-config pkgconf pkgconf-bin libpkgconf3)
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
case "${1:-}" in
  fetch)
    set -euo pipefail
    mkdir -p "$here/.gpu-deps"
    cd "$here/.gpu-deps"
    apt-get download "${pkgs[@]}"
    ls -l "$here/.gpu-deps"
    ;;
  env)
    root=/tmp/entropic-deps
    mkdir -p "$root"
    for f in "$here"/.gpu-deps/*.deb; do
      if command -v dpkg-deb >/dev/null; then
        dpkg-deb -x "$f" "$root"
      else  # a .deb is an ar archive holding data.tar.*
        (cd "$root" && ar p "$f" "$(ar t "$f" | grep '^data.tar')" | tar -x -a -f - 2>/dev/null ||
         ar p "$f" "$(ar t "$f" | grep '^data.tar')" | tar -xJ)
      fi
    done
    lib=$root/usr/lib/x86_64-linux-gnu
    for l in "$lib"/*.so; do  # absolute links (libz.so -> /lib/...) point into the unpacked tree
      t=$(readlink "$l")
      [[ "$t" == /* && -e "$root$t" ]] && ln -sf "$root$t" "$l"
    done
    for pc in "$lib"/pkgconfig/*.pc "$root"/usr/share/pkgconfig/*.pc; do
      [[ -f "$pc" ]] && sed -i "s|^prefix=/usr\$|prefix=$root/usr|" "$pc"
    done
    export PATH="$root/usr/bin:$PATH"
    export LD_LIBRARY_PATH="$lib:$root/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
    export LIBRARY_PATH="$lib${LIBRARY_PATH:+:$LIBRARY_PATH}"
    export PKG_CONFIG_PATH="$lib/pkgconfig:$root/usr/share/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
    export CMAKE_PREFIX_PATH="$root/usr${CMAKE_PREFIX_PATH:+:$CMAKE_PREFIX_PATH}"
    export CPATH="$root/usr/include${CPATH:+:$CPATH}"
    echo "entropic: build dependencies unpacked under $root"
    ;;
  *)
    echo "usage: scripts/gpu-deps.sh fetch | source scripts/gpu-deps.sh env" >&2
    return 2 2>/dev/null || exit 2
    ;;
esac
