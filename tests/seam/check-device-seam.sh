#!/bin/sh
# The check of issue 16's "one device seam": outside ops/, core/ and cuda/ no file of
# include/entropic/ picks a backend itself. A line that names Device::cuda (a device branch)
# or cuda_kernels (the backend's kernels, which only the op layer calls) fails it, and is
# printed as file:line: text. Run from the repository root:  sh tests/seam/check-device-seam.sh .
root=${1:?usage: check-device-seam.sh <directory holding include/entropic>}
cd "$root" || exit 2
if [ ! -d include/entropic ]; then
  echo "check-device-seam: no include/entropic under $root"
  exit 2
fi
# dist/nccl.hpp is exempt: it is the NCCL backend, and its buffers are device memory by definition.
hits=$(grep -rnE 'Device::cuda|cuda_kernels' include/entropic | grep -vE '^include/entropic/(ops|core|cuda)/|^include/entropic/dist/nccl\.hpp:')
if [ -n "$hits" ]; then
  echo "check-device-seam: device dispatch outside include/entropic/{ops,core,cuda}/;"
  echo "route it through an op (the pattern of ops/reduce.hpp: validate, then cuda_kernels or cpu::):"
  echo "$hits"
  exit 1
fi
echo "check-device-seam: no Device::cuda or cuda_kernels outside include/entropic/{ops,core,cuda}/"
