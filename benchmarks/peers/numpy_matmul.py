"""Peer timings for bench_gemm: numpy.matmul on the same shapes, with the same repeats.

Usage: numpy_matmul.py --repeats R --min-time S
Prints 'BLAS <description>' lines and 'READY', then reads one shape per line on stdin
(dtype,ta,tb,M,N,K) and answers each with 'RESULT <median> <min> <max>' in GFLOP/s. The
benchmark interleaves its own timing of a shape with ours, so both see the same machine load.
Transposed operands are passed as .T views, which NumPy hands to BLAS as transpose flags
(no copy), the same work our gemm does; out= keeps allocation out of the timing.
"""
import argparse
import ctypes
import sys
import time

import numpy as np


def blas_description():
    lines = []
    np.ones((2, 2), np.float32) @ np.ones((2, 2), np.float32)  # make sure BLAS is loaded
    libs = set()
    with open("/proc/self/maps") as f:
        for line in f:
            path = line.split()[-1]
            if "blas" in path.lower() or "mkl" in path.lower():
                libs.add(path)
    configs = []
    for path in sorted(libs):
        lines.append("loaded " + path)
        try:
            lib = ctypes.CDLL(path)
            lib.openblas_get_config.restype = ctypes.c_char_p
            config = "%s, %d threads" % (lib.openblas_get_config().decode(),
                                         lib.openblas_get_num_threads())
        except (OSError, AttributeError):
            continue
        if config not in configs:  # libblas, liblapack and libopenblas are one library
            configs.append(config)
            lines.append("openblas_get_config: " + config)
    try:
        import threadpoolctl

        for info in threadpoolctl.threadpool_info():
            lines.append("threadpoolctl: %s %s %s threads=%s" % (
                info.get("internal_api"), info.get("version"), info.get("architecture"),
                info.get("num_threads")))
    except ImportError:
        pass
    return lines


def time_shape(dtype, ta, tb, m, n, k, repeats, min_time):
    rng = np.random.default_rng(0)
    a = rng.uniform(-1, 1, (k, m) if ta else (m, k)).astype(dtype)
    b = rng.uniform(-1, 1, (n, k) if tb else (k, n)).astype(dtype)
    op_a = a.T if ta else a
    op_b = b.T if tb else b
    c = np.empty((m, n), dtype)
    flops = 2.0 * m * n * k
    calls = 1
    while True:  # calibrate: one sample lasts at least min_time
        t0 = time.perf_counter()
        for _ in range(calls):
            np.matmul(op_a, op_b, out=c)
        dt = time.perf_counter() - t0
        if dt >= min_time:
            break
        calls *= 2
    samples = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _ in range(calls):
            np.matmul(op_a, op_b, out=c)
        samples.append(flops * calls / (time.perf_counter() - t0) / 1e9)
    samples.sort()
    return samples[len(samples) // 2], samples[0], samples[-1]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--repeats", type=int, default=15)
    p.add_argument("--min-time", type=float, default=0.005)
    args = p.parse_args()
    for line in blas_description():
        print("BLAS", line, flush=True)
    print("READY", flush=True)
    for line in iter(sys.stdin.readline, ""):
        dt, ta, tb, m, n, k = line.strip().split(",")
        med, lo, hi = time_shape(np.float32 if dt == "float" else np.float64, ta == "1",
                                 tb == "1", int(m), int(n), int(k), args.repeats, args.min_time)
        print("RESULT %.3f %.3f %.3f" % (med, lo, hi), flush=True)


if __name__ == "__main__":
    main()
