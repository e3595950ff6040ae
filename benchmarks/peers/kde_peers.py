"""Peer timings for bench_kde: the idiomatic KDE entropy in PyTorch and scikit-learn.

Usage: kde_peers.py --repeats R [--budget S]
Prints 'HAVE <lib>' / 'MISSING <lib>' / 'INFO <text>' lines and 'READY', then reads one
request per line on stdin: '<peer> <n> <d> <fwd|fwd+bwd> <sigma> <path of x, float32 (n, d)>'
and answers 'RESULT <median_ms> <min_ms> <max_ms> <H>' or 'SKIP <reason>'. Peers:
  torch-cdist  H from torch.cdist(x, x) ** 2, logsumexp; backward by autograd
  torch-gemm   the same with |x_i|^2 + |x_j|^2 - 2 x x^T (clamped at 0)
  sklearn      KernelDensity(bandwidth=sigma).fit(x).score_samples(x) (forward only)
Same contract as bench_kde: self term included, H = -mean log p. One warm-up call, then
R calls; a call slower than --budget seconds is reported alone (R = 1, no warm-up).
sklearn is skipped above n^2 d = 2^31 (its exact tree search takes about a minute there).
"""
import argparse
import math
import os
import sys
import time

import numpy as np

try:
    import torch
except ImportError:
    torch = None
try:
    from sklearn.neighbors import KernelDensity
    import sklearn
except ImportError:
    KernelDensity = None


def torch_entropy(x, n, d, sigma, gemm):
    if gemm:
        sq = (x * x).sum(1)
        d2 = (sq[:, None] + sq[None, :] - 2.0 * (x @ x.T)).clamp_min(0.0)
    else:
        d2 = torch.cdist(x, x).pow(2)
    lse = torch.logsumexp(d2 * (-0.5 / (sigma * sigma)), dim=1)
    log_p = lse - math.log(n) - 0.5 * d * math.log(2 * math.pi * sigma * sigma)
    return -log_p.mean()


def make_call(peer, x, n, d, sigma, backward):
    if peer.startswith("torch-"):
        gemm = peer == "torch-gemm"
        xt = torch.from_numpy(x)
        if not backward:
            def call():
                with torch.no_grad():
                    return float(torch_entropy(xt, n, d, sigma, gemm))
            return call
        leaf = xt.clone().requires_grad_(True)

        def call():
            leaf.grad = None
            h = torch_entropy(leaf, n, d, sigma, gemm)
            h.backward()
            return float(h)
        return call
    if peer == "sklearn":
        if backward:
            return None

        def call():
            kde = KernelDensity(bandwidth=sigma, kernel="gaussian").fit(x)
            return float(-kde.score_samples(x).mean())
        return call
    return None


def time_call(call, repeats, budget):
    t0 = time.perf_counter()
    h = call()
    first = (time.perf_counter() - t0) * 1e3
    if first > budget * 1e3:
        return first, first, first, h
    samples = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        h = call()
        samples.append((time.perf_counter() - t0) * 1e3)
    samples.sort()
    return samples[len(samples) // 2], samples[0], samples[-1], h


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--repeats", type=int, default=7)
    p.add_argument("--budget", type=float, default=5.0)
    args = p.parse_args()
    if torch is not None:
        torch.set_num_threads(os.cpu_count())  # as many threads as bench_kde uses
        print("HAVE torch", flush=True)
        print("INFO peer torch %s, %d threads, BLAS: %s" % (
            torch.__version__, torch.get_num_threads(),
            " ".join(l.strip() for l in torch.__config__.show().splitlines() if "BLAS" in l)[:160]),
            flush=True)
    else:
        print("MISSING torch", flush=True)
    if KernelDensity is not None:
        print("HAVE sklearn", flush=True)
        print("INFO peer sklearn %s (KernelDensity, tree algorithm 'auto', exact: rtol = atol = 0)"
              % sklearn.__version__, flush=True)
    else:
        print("MISSING sklearn", flush=True)
    print("READY", flush=True)
    for line in iter(sys.stdin.readline, ""):
        peer, n, d, pas, sigma, path = line.split()
        n, d, sigma = int(n), int(d), float(sigma)
        x = np.fromfile(path, dtype=np.float32).reshape(n, d)
        call = make_call(peer, x, n, d, sigma, pas == "fwd+bwd")
        if call is None:
            print("SKIP not applicable", flush=True)
            continue
        if peer == "sklearn" and n * n * d > 2 ** 31:
            print("SKIP too slow (one call took 59 s at n 4096 d 784 here)", flush=True)
            continue
        try:
            med, lo, hi, h = time_call(call, args.repeats, args.budget)
        except (RuntimeError, MemoryError) as e:
            print("SKIP failed: %s" % str(e).splitlines()[0][:120], flush=True)
            continue
        print("RESULT %.4f %.4f %.4f %.10g" % (med, lo, hi, h), flush=True)


if __name__ == "__main__":
    main()
