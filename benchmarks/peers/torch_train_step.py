"""Peer timing for bench_train_step: one iteration of the seed's image GAN in PyTorch eager.

Usage: torch_train_step.py --repeats R --threads T [--lambda L]
Same networks as entropic/gan/image_networks.hpp (G 100-128-256-512-1024-784 with
BatchNorm1d(eps=0.8) and LeakyReLU(0.2), Tanh; D 784-512-256-1 with LeakyReLU(0.2)), the loss
from logits (BCEWithLogitsLoss, what our objective computes), Adam(2e-4, (0.5, 0.999)), batch 64,
random data; the same order as GanTrainer::step (D step on real + detached fake, then G step).
With --lambda > 0 the G loss subtracts lambda * the Gaussian KDE entropy of G(z) (median-heuristic
bandwidth as a constant, logsumexp over the |x|^2 + |y|^2 - 2 x y^T distances).
Prints one line: 'RESULT <median ms> <min ms> <torch version> <threads>'.
"""
import argparse
import math
import time

import torch
import torch.nn as nn


def kde_entropy(x):
    n, d = x.shape
    sq = (x * x).sum(1)
    d2 = (sq[:, None] + sq[None, :] - 2 * x @ x.T).clamp_min(0)
    with torch.no_grad():
        iu = torch.triu_indices(n, n, 1)
        sigma2 = d2[iu[0], iu[1]].median() / (2 * math.log(n + 1))
    lse = torch.logsumexp(-d2 / (2 * sigma2), 1)
    log_p = lse - math.log(n) - 0.5 * d * math.log(2 * math.pi * sigma2)
    return -log_p.mean()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=50)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--lambda", dest="lam", type=float, default=0.0)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)

    def block(i, o, bn=True):
        layers = [nn.Linear(i, o)]
        if bn:
            layers.append(nn.BatchNorm1d(o, 0.8))
        layers.append(nn.LeakyReLU(0.2, inplace=True))
        return layers

    G = nn.Sequential(*block(100, 128, bn=False), *block(128, 256), *block(256, 512), *block(512, 1024),
                      nn.Linear(1024, 784), nn.Tanh())
    D = nn.Sequential(nn.Linear(784, 512), nn.LeakyReLU(0.2, inplace=True), nn.Linear(512, 256),
                      nn.LeakyReLU(0.2, inplace=True), nn.Linear(256, 1))
    loss = nn.BCEWithLogitsLoss()
    og = torch.optim.Adam(G.parameters(), lr=2e-4, betas=(0.5, 0.999))
    od = torch.optim.Adam(D.parameters(), lr=2e-4, betas=(0.5, 0.999))
    B = 64
    ones, zeros = torch.ones(B, 1), torch.zeros(B, 1)

    def step():
        real = torch.rand(B, 784) * 2 - 1
        with torch.no_grad():
            fake = G(torch.randn(B, 100))
        dl = (loss(D(real), ones) + loss(D(fake), zeros)) / 2
        od.zero_grad()
        dl.backward()
        od.step()
        fake = G(torch.randn(B, 100))
        gl = loss(D(fake), ones)
        if a.lam > 0:
            gl = gl - a.lam * kde_entropy(fake)
        og.zero_grad()
        gl.backward()
        og.step()

    for _ in range(5):
        step()
    ts = []
    for _ in range(a.repeats):
        t0 = time.perf_counter()
        step()
        ts.append((time.perf_counter() - t0) * 1e3)
    ts.sort()
    print(f"RESULT {ts[len(ts) // 2]:.3f} {ts[0]:.3f} {torch.__version__} {torch.get_num_threads()}", flush=True)


if __name__ == "__main__":
    main()
