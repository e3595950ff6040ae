"""Peer for bench_entropy_scale: the Kozachenko-Leonenko entropy through scipy's cKDTree.

Usage: knn_entropy_peer.py --repeats R --workers W
Prints 'HAVE scipy <version>' or 'MISSING scipy <reason>', then 'READY', then reads one request
per line on stdin: '<n> <d> <k> <floor> <path of x, float64 (n, d)>' and answers
'RESULT <median_s> <min_s> <max_s> <H>'. The timed call builds the tree, queries the k + 1
nearest points of every sample (the sample itself is one of them at distance 0, so column k is
its k-th nearest other sample, duplicates included) and sums the logs, as bench_entropy_scale
times ours. W is cKDTree.query's `workers` (-1: all cores; the build is serial either way).
One warm-up call when R > 1.
"""
import argparse
import math
import sys
import time

try:
    import numpy as np
    from scipy.spatial import cKDTree
    from scipy.special import digamma, gammaln
    import scipy
except ImportError as e:  # the benchmark still runs and says the peer is not available
    np = None
    missing = str(e)


def kl_entropy(x, k, floor, workers):
    n, d = x.shape
    dist, _ = cKDTree(x).query(x, k=k + 1, workers=workers)
    rho = np.maximum(dist[:, k], floor)
    log_vd = 0.5 * d * math.log(math.pi) - gammaln(0.5 * d + 1.0)
    return float(digamma(n) - digamma(k) + log_vd + d * np.mean(np.log(rho)))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--workers", type=int, default=-1)
    a = ap.parse_args()
    if np is None:
        print("MISSING scipy " + missing, flush=True)
        return
    print("HAVE scipy " + scipy.__version__, flush=True)
    print("READY", flush=True)
    for line in sys.stdin:
        parts = line.split()
        if not parts:
            continue
        n, d, k = int(parts[0]), int(parts[1]), int(parts[2])
        floor, path = float(parts[3]), parts[4]
        x = np.fromfile(path, dtype=np.float64).reshape(n, d)
        if a.repeats > 1:
            kl_entropy(x, k, floor, a.workers)
        times, h = [], 0.0
        for _ in range(max(1, a.repeats)):
            t0 = time.perf_counter()
            h = kl_entropy(x, k, floor, a.workers)
            times.append(time.perf_counter() - t0)
        times.sort()
        print("RESULT %.6f %.6f %.6f %.17g" % (times[len(times) // 2], times[0], times[-1], h), flush=True)


if __name__ == "__main__":
    main()
