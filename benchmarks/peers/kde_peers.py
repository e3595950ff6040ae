"""Peer timings for bench_kde: the idiomatic KDE entropy in PyTorch and scikit-learn.

Usage: kde_peers.py --repeats R [--budget S] [--device cpu|cuda]
Prints 'HAVE <lib>' / 'MISSING <lib>' / 'INFO <text>' lines and 'READY', then reads one
request per line on stdin: '<peer> <n> <d> <fwd|fwd+bwd> <sigma> <path of x, float32 (n, d)>'
and answers 'RESULT <median_ms> <min_ms> <max_ms> <H>' or 'SKIP <reason>'. Peers:
  torch-cdist  H from torch.cdist(x, x) ** 2, logsumexp; backward by autograd
  torch-gemm   the same with |x_i|^2 + |x_j|^2 - 2 x x^T (clamped at 0)
  sklearn      KernelDensity(bandwidth=sigma).fit(x).score_samples(x) (forward only)
Same contract as bench_kde: self term included, H = -mean log p. One warm-up call, then
R calls; a call slower than --budget seconds is reported alone (R = 1, no warm-up).
sklearn is skipped above n^2 d = 2^31 (its exact tree search takes about a minute there).
With --device cuda the GPU peers instead (each announced 'MISSING <peer> <reason>' when it
can't run): torch-cuda-cdist and torch-cuda-gemm (the two above on torch.cuda, synchronised
before the clock stops), keops (pykeops LazyTensor: ((x_i - x_j)^2).sum(-1) scaled, logsumexp
over j, autograd for the backward).
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
LazyTensor = None  # pykeops.torch.LazyTensor, imported only for --device cuda
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


def keops_entropy(x, n, d, sigma):
    x_i = LazyTensor(x[:, None, :])
    x_j = LazyTensor(x[None, :, :])
    e = ((x_i - x_j) ** 2).sum(-1) * (-0.5 / (sigma * sigma))
    lse = e.logsumexp(dim=1).view(-1)
    log_p = lse - math.log(n) - 0.5 * d * math.log(2 * math.pi * sigma * sigma)
    return -log_p.mean()


def make_call(peer, x, n, d, sigma, backward):
    if peer.startswith("torch-") or peer == "keops":
        cuda = peer.startswith("torch-cuda-") or peer == "keops"
        gemm = peer.endswith("-gemm")
        xt = torch.from_numpy(x)
        if cuda:
            xt = xt.cuda()
        if peer == "keops":
            def entropy(v):
                return keops_entropy(v, n, d, sigma)
        else:
            def entropy(v):
                return torch_entropy(v, n, d, sigma, gemm)

        def done(h):
            value = float(h)
            if cuda:
                torch.cuda.synchronize()
            return value
        if not backward:
            def call():
                with torch.no_grad():
                    return done(entropy(xt))
            return call
        leaf = xt.clone().requires_grad_(True)

        def call():
            leaf.grad = None
            h = entropy(leaf)
            h.backward()
            return done(h)
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
    p.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    args = p.parse_args()
    if args.device == "cuda":
        announce_cuda()
        serve(args)
        return
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
    serve(args)


def announce_cuda():
    """HAVE / MISSING lines for the GPU peers, with the reason when one can't run."""
    global LazyTensor
    if torch is None:
        print("MISSING torch-cuda python3 torch is not installed", flush=True)
        print("MISSING keops needs torch, which is not installed", flush=True)
        return
    if not torch.cuda.is_available():
        print("MISSING torch-cuda torch %s sees no CUDA device (torch.cuda.is_available() is False)"
              % torch.__version__, flush=True)
        print("MISSING keops needs torch.cuda, which sees no CUDA device", flush=True)
        return
    print("HAVE torch-cuda", flush=True)
    print("INFO peer torch %s on %s" % (torch.__version__, torch.cuda.get_device_name(0)), flush=True)
    try:
        import pykeops
        from pykeops.torch import LazyTensor as lazy
        LazyTensor = lazy
        print("HAVE keops", flush=True)
        print("INFO peer keops %s" % pykeops.__version__, flush=True)
    except Exception as e:  # ImportError, or a KeOps build/compiler failure on import
        print("MISSING keops pykeops can't be imported: %s" % str(e).splitlines()[0][:120], flush=True)


def serve(args):
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
