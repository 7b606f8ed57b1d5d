"""Benchmark: throughput of the training simulator (reduced-Γ model, one SGD gradient).

Measures contexts per second for computing the loss and the analytic gradient with respect to
all L matrices Γ_ℓ (untied) at D = 256, L = 8, in three ways:

* ``vectorised``: :func:`solvers.simulators.training.reduced_loss_and_grad` on the whole batch (batched
  matmul forward, backprop through the L GD steps), excluding data generation;
* ``loop``: a straightforward per-context Python loop doing the same forward/backward pass one
  context at a time (same numbers — checked);
* ``sampling``: the cost of drawing the batch (:func:`solvers.simulators.training.sample_batch`), which
  dominates a training step.

Peak memory of one vectorised step is measured with ``tracemalloc`` (numpy reports its buffers
to it) and the process's maximum resident set size with ``resource``.
At D = 256 one context's pass is already BLAS-bound (matrix–vector products of size D²), so
batching gains little; at small D the per-context Python overhead dominates the loop.  On a
loaded machine set ``OPENBLAS_NUM_THREADS=1`` (oversubscribed BLAS threads slow both versions).
Run:  python benchmarks/training.py [--dim 256] [--also-dim 32] [--depth 8] [--alpha 1]
                                    [--batch 64] [--queries 64]
"""
import argparse
import resource
import tracemalloc

import numpy as np

from solvers.simulators import training as T
from timing import timed


def loop_loss_and_grad(Gammas, batch):
    """Per-context reference: the same loss/gradient, one context at a time (no batching)."""
    L = len(Gammas)
    n, K = batch.yq.shape
    grads = [np.zeros_like(G) for G in Gammas]
    loss = 0.0
    for i in range(n):
        X, y, Xq, yq = batch.X[i], batch.y[i], batch.Xq[i], batch.yq[i]
        P = X.shape[0]
        b = X.T @ y / P
        w = np.zeros_like(b)
        rs = []
        for G in Gammas:
            r = b - X.T @ (X @ w) / P
            rs.append(r)
            w = w + G @ r / L
        d = Xq @ w - yq
        loss += float(d @ d)
        g = Xq.T @ d * (2.0 / (n * K))
        for ell in range(L - 1, -1, -1):
            grads[ell] += np.outer(g, rs[ell]) / L
            g = g - X.T @ (X @ (Gammas[ell].T @ g)) / (P * L)
    return loss / (n * K), grads


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dim", type=int, default=256)
    ap.add_argument("--also-dim", type=int, default=32,
                    help="a second, small dimension where per-context Python overhead shows")
    ap.add_argument("--depth", type=int, default=8)
    ap.add_argument("--alpha", type=float, default=1.0)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--queries", type=int, default=64)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    for D in (args.dim, args.also_dim):
        run(args, D)


def run(args, D):
    L, B = args.depth, args.batch
    P = int(round(args.alpha * D))
    rng = np.random.default_rng(0)
    Gammas = [np.eye(D) * 0.5 + 0.01 * rng.standard_normal((D, D)) for _ in range(L)]
    t_sample, batch = timed(
        lambda: T.sample_batch("iso", rng, B, D, P, args.queries, sigma2=0.1), args.repeat)
    t_vec, (lv, gv) = timed(lambda: T.reduced_loss_and_grad(Gammas, batch), args.repeat)
    t_loop, (ll, gl) = timed(lambda: loop_loss_and_grad(Gammas, batch), args.repeat)
    err = max(np.max(np.abs(a - b)) / np.max(np.abs(b)) for a, b in zip(gv, gl))
    assert abs(lv - ll) <= 1e-12 * abs(ll) and err < 1e-12, (lv, ll, err)

    tracemalloc.start()
    T.reduced_loss_and_grad(Gammas, batch)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    batch_mb = sum(a.nbytes for a in (batch.X, batch.y, batch.Xq, batch.yq)) / 2 ** 20
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux

    print(f"reduced-Gamma SGD gradient, D={D}, L={L} (untied), P={P}, K={args.queries}, "
          f"batch={B}")
    print(f"{'method':>12} {'time/batch [s]':>15} {'contexts/s':>12}")
    for name, t in (("vectorised", t_vec), ("loop", t_loop), ("sampling", t_sample),
                    ("vec+sample", t_vec + t_sample)):
        print(f"{name:>12} {t:15.4f} {B / t:12.1f}")
    print(f"speed-up of the vectorised gradient over the per-context loop: {t_loop / t_vec:.2f}x"
          f"  (max relative gradient difference {err:.1e})")
    print(f"peak traced memory of one gradient step: {peak / 2 ** 20:.1f} MiB "
          f"(batch data {batch_mb:.1f} MiB); max RSS {rss:.0f} MiB")


if __name__ == "__main__":
    main()
