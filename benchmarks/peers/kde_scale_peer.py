"""Peer for bench_entropy_scale's KDE table: scikit-learn's KernelDensity with its rtol.

Usage: kde_scale_peer.py
Prints 'HAVE sklearn <version>' or 'MISSING sklearn <reason>', then 'READY', then reads one
request per line on stdin: '<n> <d> <sigma> <rtol> <nq> <path of x, float64 (n, d)>' and
answers 'RESULT <fit_s> <query_s> <H_q>': KernelDensity(bandwidth=sigma, kernel='gaussian',
rtol=rtol) (tree algorithm 'auto', atol 0) fitted on all n samples (fit_s), then score_samples
on the first nq of them (query_s), H_q = -mean of those log densities (self term included, as
ours). With nq < n the caller scales query_s by n / nq: the work is per query point, and the
whole sample at n = 10^6 would take hours. scikit-learn runs on one thread.
"""
import sys
import time

try:
    import numpy as np
    import sklearn
    from sklearn.neighbors import KernelDensity
except ImportError as e:  # the benchmark still runs and says the peer is not available
    KernelDensity = None
    missing = str(e)


def main():
    if KernelDensity is None:
        print("MISSING sklearn " + missing, flush=True)
        return
    print("HAVE sklearn " + sklearn.__version__, flush=True)
    print("READY", flush=True)
    for line in sys.stdin:
        parts = line.split()
        if not parts:
            continue
        n, d = int(parts[0]), int(parts[1])
        sigma, rtol, nq, path = float(parts[2]), float(parts[3]), int(parts[4]), parts[5]
        x = np.fromfile(path, dtype=np.float64).reshape(n, d)
        t0 = time.perf_counter()
        kd = KernelDensity(bandwidth=sigma, kernel="gaussian", rtol=rtol).fit(x)
        t1 = time.perf_counter()
        lp = kd.score_samples(x[:nq])
        t2 = time.perf_counter()
        print("RESULT %.6f %.6f %.17g" % (t1 - t0, t2 - t1, -float(np.mean(lp))), flush=True)


if __name__ == "__main__":
    main()
