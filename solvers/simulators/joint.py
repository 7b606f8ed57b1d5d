"""Monte Carlo of the RRS model with a width bottleneck and a finite context, exact in (β, ε).

Same model as :func:`solvers.simulators.reduced.simulate` (``setting='rrs'``, ``width=N``, finite
``alpha``), sampled in the frame of each context: ``Σ = Λ`` diagonal, a Haar rank-N projection
``P̃ = QQᵀ`` per context (``Q`` = QR of a D×N Gaussian; only its column space matters) and
``P`` points ``x ~ N(0, Λ)``.  Instead of running the L GD steps on sampled ``β`` and ``ε`` the
expectation over both is taken exactly per context.  With ``K = QᵀΣ̂Q`` (N×N) and
``B = QᵀΣ̂`` one has ``(P̃Σ̂)^k = Q K^{k−1} B`` for ``k ≥ 1``, hence

    p(P̃Σ̂) = I − γ Q ψ(γK) B,        ψ(u) = [1 − (1 − u/L)^L]/u   (L = ∞: (1 − e^{−u})/u),

so (``Ψ = γψ(γK)``, ``w = ωλ``)

    bias  = Σ_k ω_kλ_k − 2 Tr[Ψ B diag(w) Q] + Tr[Ψ (QᵀΛQ) Ψ (B diag(ω) Bᵀ)],
    noise = (σ²/P) Tr[(QᵀΛQ) Ψ² K]

(``ε`` enters through ``e = σψ(M)P̃Xᵀε/P`` and ``ψ(M)Q = Qψ(K)``).  One context costs
``O(PDN + DN² + N³)`` instead of ``L`` passes over sampled data, any depth including ``L = ∞``
is exact, and averaging over β removes its (large) variance for power-law tasks.  The
equivalence with the GD simulator is a test (``tests/test_joint.py``).
"""
from __future__ import annotations

import math

import numpy as np

from solvers.result import Result
from solvers.validate import is_inf, require_int, require_nonnegative, require_positive

__all__ = ["simulate_joint", "filter_psi"]

CHUNK_BYTES = 100_000_000


def filter_psi(u, depth):
    """``ψ(u) = [1 − (1 − u/L)^L]/u`` elementwise for ``u ≥ 0`` (``L = ∞``: ``(1 − e^{−u})/u``),
    ``ψ(0) = 1``, stable for small u (series) and for ``u/L ≥ 1`` (direct power)."""
    u = np.maximum(np.asarray(u, dtype=float), 0.0)
    small = u < 1e-8
    us = np.where(small, 1.0, u)
    if is_inf(depth):
        num = -np.expm1(-us)
        series = 1 - 0.5 * u
    else:
        L = float(depth)
        y = us / L
        with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
            stable = -np.expm1(L * np.log1p(-np.minimum(y, 0.5)))
            num = np.where(y < 0.5, stable, 1 - (1 - y) ** L)
        series = 1 - 0.5 * u * (L - 1) / L
    return np.where(small, series, num / us)


def simulate_joint(*, width, alpha, depth, gamma, lam, omega, sigma2=0.0, contexts, seed=0,
                   chunk=None) -> Result:
    """Monte-Carlo excess risk of RRS with ``Γ = γP_N`` (rank-N Haar projection), ``P =
    round(alpha·D)`` context points, ``depth`` GD steps (``inf`` allowed), label noise σ².

    Exact over the task β (covariance ``diag(omega)`` of ``β/√D``) and the label noise; sampled
    over the projection and the context points.  ``lam``, ``omega``: the D modes.  Returns a
    :class:`Result` with ``risk`` (mean), ``stderr`` and in ``extra`` the median, the bias and
    variance means and their standard errors."""
    lam = np.asarray(lam, dtype=float)
    om = np.asarray(omega, dtype=float)
    if lam.ndim != 1 or om.shape != lam.shape or not np.all(lam > 0) or not np.all(om >= 0):
        raise ValueError("lam/omega are invalid: need equal-length 1-D arrays, lam > 0, "
                         "omega >= 0")
    D = len(lam)
    N = require_int("width", width, minimum=1)
    if N > D:
        raise ValueError(f"width={width!r} is invalid: width must be an integer in [1, {D}]")
    alpha = require_positive("alpha", alpha)
    P = int(round(float(alpha) * D))
    if P < 1:
        raise ValueError(f"alpha={alpha!r} is invalid: alpha*dim must round to >= 1")
    L = require_int("depth", depth, minimum=1, allow_inf=True)
    g = float(require_nonnegative("gamma", gamma))
    s2 = float(require_nonnegative("sigma2", sigma2))
    n_ctx = require_int("contexts", contexts, minimum=2)
    seed = require_int("seed", seed, minimum=0)
    if chunk is None:
        chunk = max(1, CHUNK_BYTES // (8 * (P * D + 2 * D * N + 4 * N * N + P * N)))
    chunk = min(require_int("chunk", chunk, minimum=1), n_ctx)
    rng = np.random.default_rng(seed)
    sl = np.sqrt(lam)
    wl = om * lam
    bias = np.empty(n_ctx)
    var = np.empty(n_ctx)
    done = 0
    while done < n_ctx:
        n = min(chunk, n_ctx - done)
        Q, _ = np.linalg.qr(rng.standard_normal((n, D, N)))
        X = rng.standard_normal((n, P, D)) * sl
        XQ = X @ Q
        B = np.swapaxes(XQ, 1, 2) @ X / P                   # Qᵀ Σ̂   (n, N, D)
        K = np.swapaxes(XQ, 1, 2) @ XQ / P                  # Qᵀ Σ̂ Q (n, N, N), symmetric
        mu, V = np.linalg.eigh(K)
        ps = g * filter_psi(g * mu, L)
        Vt = np.swapaxes(V, 1, 2)
        Psi = (V * ps[:, None, :]) @ Vt
        QLQ = np.swapaxes(Q, 1, 2) @ (Q * lam[None, :, None])
        BOB = (B * om) @ np.swapaxes(B, 1, 2)
        BWQ = (B * wl) @ Q
        t2 = np.einsum("nij,nji->n", Psi, BWQ)
        t3 = np.einsum("nij,nji->n", Psi @ QLQ, Psi @ BOB)
        bias[done:done + n] = wl.sum() - 2 * t2 + t3
        h = ps * ps * np.maximum(mu, 0.0)
        var[done:done + n] = (s2 / P) * np.einsum("nij,nji->n", QLQ, (V * h[:, None, :]) @ Vt)
        done += n
    r = bias + var
    sq = math.sqrt(n_ctx)
    return Result("rrs", {"width": N, "alpha": float(alpha), "context": P, "depth": L,
                          "gamma": g, "sigma2": s2, "dim": D, "contexts": n_ctx, "seed": seed},
                  float(r.mean()), gamma=g, method="monte-carlo, exact in task and label noise",
                  stderr=float(r.std(ddof=1) / sq), dim=D, contexts=n_ctx, seed=seed,
                  iterations=n_ctx,
                  extra={"median": float(np.median(r)), "bias": float(bias.mean()),
                         "bias_stderr": float(bias.std(ddof=1) / sq),
                         "variance": float(var.mean()),
                         "variance_stderr": float(var.std(ddof=1) / sq), "chunk": chunk})
