"""Monte-Carlo ICL risk of the reduced-Γ model at a given preconditioner Γ (docs/theory.md §1–2, §5).

One context: ``P`` pairs ``x_μ ~ N(0, Σ_c)``, labels ``y_μ = β·x_μ/√D + σ ε_μ``.  The model runs
``L`` steps of preconditioned gradient descent from zero with step ``1/L``,

    w_{ℓ+1} = w_ℓ + (1/L) Γ_ℓ Xᵀ(y − X w_ℓ)/P,

and the risk of the context is the exact test-point expectation
``(w − β/√D)ᵀ Σ_c (w − β/√D)`` (the irreducible ``σ²`` excluded, no query sampling).  At
``alpha = inf`` the sample covariance is replaced by ``Σ_c`` and ``Xᵀy/P`` by ``Σ_c β/√D`` (the
``P → ∞`` limit: the noise term ``σ Xᵀε/P`` vanishes).

Normalisation of the task.  In ``iso``, ``β ~ N(0, I)`` and the zero predictor has risk
``tr(I)/D = 1``.  In ``fs``/``rrs``, ``omega`` is the covariance of the *target vector* ``β/√D``
(so ``β ~ N(0, D Ω_c)``) and the zero predictor has risk ``Σ_k ω_k λ_k``; the caller normalises
that sum to 1 (docs/theory.md §9, power-law spectra).  With ``λ_k = 1``, ``ω_k = 1/D``, ``fs`` is
``iso`` draw for draw.

Everything is vectorised over a chunk of contexts (batched ``matmul``/``einsum``), and the
randomness comes only from the ``numpy.random.Generator`` built from ``seed``.  Results depend on
the chunk size (the order of the draws); the default chunk is a deterministic function of the
inputs, so equal inputs give equal results.
"""
from __future__ import annotations

import math
from typing import Any, NamedTuple

import numpy as np

from solvers.result import ConvergenceError, Result
from solvers.validate import (
    is_inf,
    require_choice,
    require_int,
    require_nonnegative,
    require_positive,
)

SETTINGS = ("iso", "fs", "rrs")
CHUNK_BYTES = 200_000_000  # memory budget for one chunk of contexts
#: refuse runs whose single context needs more memory than this (bytes) ...
MAX_CONTEXT_BYTES = 4_000_000_000
#: ... or whose estimated work exceeds this many floating-point operations (hours of CPU)
MAX_FLOPS = 5e13

__all__ = [
    "simulate",
    "sample_contexts",
    "haar_orthogonal",
    "projection",
    "gd_predictor",
    "gd_predictor_population",
    "context_risk",
    "Contexts",
]


# --------------------------------------------------------------------------------------------
# sampling
# --------------------------------------------------------------------------------------------
class Contexts(NamedTuple):
    """A chunk of ``n`` contexts.

    ``X`` (n, P, D) and ``y`` (n, P) are ``None`` for ``P = inf``.  ``beta`` (n, D) is the task
    vector (the target is ``beta/√D``).  ``sigma`` is the per-context covariance ``Σ_c`` in the
    form :func:`context_risk` takes: ``None`` (identity, iso), a vector (diagonal shared by all
    contexts, fs) or an (n, D, D) array (rrs, ``O_c Λ O_cᵀ``).
    """

    X: Any
    y: Any
    beta: np.ndarray
    sigma: Any


def haar_orthogonal(rng: np.random.Generator, shape: tuple) -> np.ndarray:
    """Haar-distributed orthogonal matrices of shape ``(..., D, D)``, or ``(..., D, N)`` with
    orthonormal columns for a non-square shape: QR of a Gaussian with the signs of ``diag(R)``
    moved into ``Q`` (without that correction QR is not Haar)."""
    G = rng.standard_normal(shape)
    Q, R = np.linalg.qr(G)
    signs = np.sign(np.diagonal(R, axis1=-2, axis2=-1))
    signs = np.where(signs == 0, 1.0, signs)
    return Q * signs[..., None, :]


def projection(rng: np.random.Generator, D: int, N: int) -> np.ndarray:
    """``P_N = AᵀA`` for a frozen ``A ∈ R^{N×D}`` with Haar-random orthonormal rows (width
    bottleneck, docs/theory.md §2)."""
    At = haar_orthogonal(rng, (D, N))  # D×N, orthonormal columns = rows of A
    return At @ At.T


def sample_contexts(setting: str, rng: np.random.Generator, n: int, D: int, P, lam=None,
                    omega=None, sigma2: float = 0.0) -> Contexts:
    """Draw ``n`` contexts of ``P`` labelled points in dimension ``D`` (``P = inf`` or ``None``:
    no points, only the task and the population covariance).

    iso: ``x ~ N(0, I)``, ``β ~ N(0, I)``.  fs: ``x ~ N(0, diag λ)``, ``β/√D ~ N(0, diag ω)``.
    rrs: as fs, then both rotated by a Haar ``O_c`` drawn per context.
    Returns :class:`Contexts` ``(X, y, beta, sigma)``.
    """
    require_choice("setting", setting, SETTINGS)
    population = P is None or is_inf(P)
    if setting == "iso":
        x_scale = None
        b_scale = None
    else:
        lam = np.asarray(lam, dtype=float)
        omega = np.asarray(omega, dtype=float)
        x_scale = np.sqrt(lam)
        b_scale = np.sqrt(D * omega)
    # draw order: X, beta, noise, rotation -- fs with λ=1, ω=1/D reproduces iso exactly
    X = None if population else rng.standard_normal((n, P, D))
    beta = rng.standard_normal((n, D))
    eps = None if (population or sigma2 == 0) else rng.standard_normal((n, P))
    if x_scale is not None:
        if X is not None:
            X = X * x_scale
        beta = beta * b_scale
    sigma = None if setting == "iso" else lam
    if setting == "rrs":
        O = haar_orthogonal(rng, (n, D, D))
        if X is not None:
            X = X @ np.swapaxes(O, -1, -2)  # rows x_μ -> O_c x_μ
        beta = np.einsum("nij,nj->ni", O, beta)
        sigma = (O * lam[None, None, :]) @ np.swapaxes(O, -1, -2)
    y = None
    if X is not None:
        y = X @ beta[..., None]
        y = y[..., 0] / math.sqrt(D)
        if eps is not None:
            y = y + math.sqrt(sigma2) * eps
    return Contexts(X, y, beta, sigma)


# --------------------------------------------------------------------------------------------
# the predictor
# --------------------------------------------------------------------------------------------
def _gamma_op(G, D: int):
    """Return ``u -> Γ u`` acting on a batch ``u`` of shape (n, D)."""
    G = np.asarray(G, dtype=float)
    if G.ndim == 0:
        g = float(G)
        return lambda u: g * u
    if G.shape == (D,):
        return lambda u: u * G
    if G.shape == (D, D):
        Gt = G.T
        return lambda u: u @ Gt
    raise ValueError(f"Gamma of shape {G.shape} is invalid: Gamma must be a scalar, a vector of "
                     f"length {D} or a {D}x{D} matrix (or a list of those, one per layer)")


def _layer_ops(Gamma, depth: int, D: int):
    """One ``u -> Γ_ℓ u`` per layer: tied (one Γ) or untied (a list / (L, D, D) array)."""
    per_layer = isinstance(Gamma, (list, tuple)) or (isinstance(Gamma, np.ndarray)
                                                     and Gamma.ndim == 3)
    if per_layer:
        if len(Gamma) != depth:
            raise ValueError(f"Gamma has {len(Gamma)} layers but depth={depth}: "
                             f"an untied Gamma must have exactly depth entries")
        return [_gamma_op(G, D) for G in Gamma]
    op = _gamma_op(Gamma, D)
    return [op] * depth


def _run_gd(b: np.ndarray, apply_S, ops, depth: int) -> np.ndarray:
    """``w_{ℓ+1} = w_ℓ + Γ_ℓ (b − S w_ℓ)/L`` from ``w_0 = 0``; ``w_1 = Γ_0 b / L`` skips a
    product with ``S``.  Cost: ``depth`` applications of ``S`` and ``Γ`` (never a matrix power)."""
    inv_L = 1.0 / depth
    w = ops[0](b) * inv_L
    for op in ops[1:]:
        w = w + op(b - apply_S(w)) * inv_L
    return w


def gd_predictor(X: np.ndarray, y: np.ndarray, Gamma, depth: int) -> np.ndarray:
    """Weights after ``depth`` steps of preconditioned GD on the in-context least squares,
    ``w_{ℓ+1} = w_ℓ + (1/L) Γ_ℓ Xᵀ(y − X w_ℓ)/P`` from zero (docs/theory.md §2).

    ``X`` (n, P, D) and ``y`` (n, P) (or one context, (P, D) and (P,)).  ``Gamma``: scalar,
    vector (diagonal), D×D matrix, or, for untied layers, a list of ``depth`` of those (or an
    (L, D, D) array); layer ``ℓ`` uses ``Gamma[ℓ]``.  Returns ``w`` of shape (n, D) (or (D,)).
    """
    X = np.asarray(X, dtype=float)
    y = np.asarray(y, dtype=float)
    single = X.ndim == 2
    if single:
        X, y = X[None], y[None]
    if X.ndim != 3 or y.shape != X.shape[:2]:
        raise ValueError(f"X of shape {X.shape} and y of shape {y.shape} are invalid: "
                         f"need X (n, P, D) and y (n, P)")
    depth = require_int("depth", depth, minimum=1)
    n, P, D = X.shape
    ops = _layer_ops(Gamma, depth, D)
    b = np.einsum("npd,np->nd", X, y) / P
    # With many steps and P not small against D, one D×D sample covariance per context is
    # cheaper than two P×D products per step.
    if depth > 1 and depth * (2 * P - D) > P * D:
        S = np.swapaxes(X, -1, -2) @ X / P

        def apply_S(w):
            return (S @ w[..., None])[..., 0]
    else:
        Xt = np.swapaxes(X, -1, -2)

        def apply_S(w):
            return (Xt @ (X @ w[..., None]))[..., 0] / P
    w = _run_gd(b, apply_S, ops, depth)
    return w[0] if single else w


def _sigma_op(Sigma, D: int):
    """``u -> Σ u`` on a batch (n, D) for Σ = None (identity), a vector, D×D, or (n, D, D)."""
    if Sigma is None:
        return lambda u: u
    Sigma = np.asarray(Sigma, dtype=float)
    if Sigma.shape == (D,):
        return lambda u: u * Sigma
    if Sigma.shape == (D, D):
        return lambda u: u @ Sigma.T
    if Sigma.ndim == 3 and Sigma.shape[1:] == (D, D):
        return lambda u: np.einsum("nij,nj->ni", Sigma, u)
    raise ValueError(f"Sigma of shape {Sigma.shape} is invalid: need None, ({D},), ({D}, {D}) "
                     f"or (n, {D}, {D})")


def gd_predictor_population(Sigma, beta: np.ndarray, Gamma, depth: int) -> np.ndarray:
    """The ``P → ∞`` limit of :func:`gd_predictor`: ``Σ̂ → Σ_c``, ``Xᵀy/P → Σ_c β/√D``, so the
    weight error is ``w_L − β/√D = −Π_ℓ (I − Γ_ℓ Σ_c/L) β/√D``.  ``beta`` (n, D); ``Sigma`` as
    in :func:`context_risk`."""
    beta = np.atleast_2d(np.asarray(beta, dtype=float))
    depth = require_int("depth", depth, minimum=1)
    D = beta.shape[-1]
    apply_S = _sigma_op(Sigma, D)
    ops = _layer_ops(Gamma, depth, D)
    b = apply_S(beta / math.sqrt(D))
    return _run_gd(b, apply_S, ops, depth)


def context_risk(w: np.ndarray, beta: np.ndarray, Sigma) -> np.ndarray:
    """Exact test-point risk of each context, ``(w − β/√D)ᵀ Σ_c (w − β/√D)`` (no ``σ²``).

    ``w``, ``beta`` (n, D); ``Sigma`` ``None`` (identity), (D,) diagonal, (D, D) shared or
    (n, D, D) per context.  Returns shape (n,)."""
    w = np.atleast_2d(np.asarray(w, dtype=float))
    beta = np.atleast_2d(np.asarray(beta, dtype=float))
    D = beta.shape[-1]
    e = w - beta / math.sqrt(D)
    return np.einsum("ni,ni->n", e, _sigma_op(Sigma, D)(e))


# --------------------------------------------------------------------------------------------
# the public entry point
# --------------------------------------------------------------------------------------------
def _require_spectrum(name: str, value, D: int, *, strictly_positive: bool) -> np.ndarray:
    valid = (f"a sequence of {D} (= dim) finite numbers "
             + ("> 0" if strictly_positive else ">= 0"))
    try:
        arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(f"{name}={value!r} is invalid: {name} must be {valid}") from None
    bad = (arr.shape != (D,) or not np.all(np.isfinite(arr))
           or not np.all(arr > 0 if strictly_positive else arr >= 0))
    if bad:
        shown = value if arr.size <= 8 else f"<array of shape {arr.shape}>"
        raise ValueError(f"{name}={shown!r} is invalid: {name} must be {valid}")
    return arr


def _require_gamma(gamma, D: int, depth: int):
    """Scalar ``γ ≥ 0`` (Γ = γI), length-D vector, D×D matrix, or (depth, D, D) for untied
    layers.  Returns (normalised Γ, JSON-friendly summary)."""
    valid = (f">= 0 (scalar), or a finite vector of length {D}, a {D}x{D} matrix, "
             f"or a ({depth}, {D}, {D}) array of per-layer matrices")
    if gamma is None:
        raise ValueError(f"gamma=None is invalid: the simulator needs gamma, {valid}")
    if np.ndim(gamma) == 0 and not isinstance(gamma, np.ndarray):
        g = float(require_nonnegative("gamma", gamma))
        return g, g
    try:
        arr = np.asarray(gamma, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(f"gamma={gamma!r} is invalid: gamma must be {valid}") from None
    if arr.ndim == 0:
        g = float(require_nonnegative("gamma", float(arr)))
        return g, g
    ok_shape = arr.shape in ((D,), (D, D), (depth, D, D))
    if not ok_shape or not np.all(np.isfinite(arr)):
        shown = gamma if arr.size <= 8 else f"<array of shape {arr.shape}>"
        raise ValueError(f"gamma={shown!r} is invalid: gamma must be {valid}")
    kind = {1: "diagonal", 2: "matrix", 3: "per-layer"}[arr.ndim]
    summary = {"kind": kind, "shape": list(arr.shape)}
    if arr.ndim == 1:
        summary["mean"] = float(arr.mean())
    elif arr.ndim == 2:
        summary["trace_over_dim"] = float(np.trace(arr)) / D
    else:
        summary["trace_over_dim"] = [float(np.trace(a)) / D for a in arr]
    return arr, summary


def _summarise(arr) -> Any:
    if arr is None:
        return None
    return {"shape": list(arr.shape), "min": float(arr.min()), "max": float(arr.max())}


def _default_chunk(setting: str, D: int, P, depth: int) -> int:
    Pn = 0 if P is None else P
    floats = 2 * Pn * D + 3 * Pn + 8 * D
    if setting == "rrs":
        floats += 4 * D * D  # Gaussian, Q, Σ_c, temporaries
    if depth > 1 and Pn and depth * (2 * Pn - D) > Pn * D:
        floats += D * D  # per-context sample covariance
    return max(1, CHUNK_BYTES // (8 * floats))


def _check_budget(setting, D, P, L, n_ctx):
    """Refuse, before allocating anything, a run that cannot fit in memory or finish: one context
    holds the P×D data and (rrs) D×D rotations; the work is ~contexts·(L·(4PD + 2D²) + 2D³)."""
    Pn = D if P is None else P
    per_ctx = 8.0 * (2 * Pn * D + 4 * D * D + 3 * Pn + 8 * D)
    if per_ctx > MAX_CONTEXT_BYTES:
        raise ValueError(f"dim={D}, context P={Pn} is invalid: one context needs "
                         f"{per_ctx / 1e9:.3g} GB, above the simulator's limit of "
                         f"{MAX_CONTEXT_BYTES / 1e9:.3g} GB per context; reduce dim or alpha")
    flops = float(n_ctx) * (L * (4.0 * Pn * D + 2.0 * D * D)
                            + (2.0 * D ** 3 if setting == "rrs" else 0.0))
    if flops > MAX_FLOPS:
        raise ValueError(f"contexts={n_ctx}, dim={D}, depth={L}, P={Pn} is invalid: about "
                         f"{flops:.2g} floating-point operations, above the simulator's limit "
                         f"of {MAX_FLOPS:.2g}; reduce contexts, dim, depth or alpha")


def simulate(setting: str, *, alpha, depth, gamma, sigma2=0.0, dim, contexts, seed=0,
             lam=None, omega=None, width=None, chunk=None, progress=False) -> Result:
    """Monte-Carlo ICL risk of ``depth`` steps of preconditioned GD with preconditioner ``gamma``
    (the reduced-Γ attention model, docs/theory.md §2) in ``setting`` ∈ {iso, fs, rrs}.

    Risk per context ``(w − β/√D)ᵀ Σ_c (w − β/√D)`` (exact over the test point, without
    ``σ²``), averaged over ``contexts`` contexts; ``stderr`` = sample std / √contexts.

    Parameters
    ----------
    alpha : ``P/D`` with ``P = round(alpha·dim) ≥ 1``, or ``inf`` (population covariance).
    depth : integer L ≥ 1 (``inf`` is not simulable).
    gamma : scalar γ (Γ = γI), vector (diagonal Γ), D×D matrix, or (L, D, D) per-layer Γ_ℓ.
    sigma2 : label-noise variance (no effect at ``alpha = inf``).
    dim, contexts : D ≥ 1 and the number of contexts ≥ 2.
    seed : integer seed or a ``numpy.random.Generator``.
    lam, omega : (fs, rrs) spectra of Σ and of the target covariance Ω, length D.
    width : N ≤ D: preconditioner ``P_N Γ P_N`` with ``P_N = AᵀA`` for one Haar ``A ∈ R^{N×D}``
        (orthonormal rows) drawn per call; ``None``/``inf`` = no bottleneck.
    chunk : contexts per vectorised batch (default: about 200 MB per chunk).
    progress : show a tqdm bar over contexts.
    """
    setting = require_choice("setting", setting, SETTINGS)
    D = require_int("dim", dim, minimum=1)
    n_ctx = require_int("contexts", contexts, minimum=2)
    L = require_int("depth", depth, minimum=1, allow_inf=True)
    if L == math.inf:
        raise ValueError("depth=inf is invalid: depth must be an integer >= 1 (finite) in the "
                         "simulator, which runs the layers one by one")
    alpha = require_positive("alpha", alpha, allow_inf=True)
    if alpha == math.inf:
        P = None
    else:
        P = int(round(float(alpha) * D))
        if P < 1:
            raise ValueError(f"alpha={alpha!r} is invalid: alpha*dim must round to a context "
                             f"length P >= 1 (dim={D})")
    sigma2 = float(require_nonnegative("sigma2", sigma2))
    _check_budget(setting, D, P, L, n_ctx)
    if isinstance(seed, np.random.Generator):
        rng, seed_out = seed, None
    else:
        seed_out = require_int("seed", seed, minimum=0)
        rng = np.random.default_rng(seed_out)
    if setting == "iso":
        for name, val in (("lam", lam), ("omega", omega)):
            if val is not None:
                raise ValueError(f"{name}=<given> is invalid: {name} must be omitted (None) "
                                 f"for setting='iso'")
    else:
        if lam is None or omega is None:
            missing = "lam" if lam is None else "omega"
            raise ValueError(f"{missing}=None is invalid: {missing} must be a sequence of {D} "
                             f"(= dim) numbers for setting={setting!r}")
        lam = _require_spectrum("lam", lam, D, strictly_positive=True)
        omega = _require_spectrum("omega", omega, D, strictly_positive=False)
    Gamma, gamma_summary = _require_gamma(gamma, D, L)
    if width is None or is_inf(width):
        N = math.inf
    else:
        N = require_int("width", width, minimum=1)
        if N > D:
            raise ValueError(f"width={width!r} is invalid: width must be an integer in "
                             f"[1, dim={D}] or inf")
    if chunk is None:
        chunk = _default_chunk(setting, D, P, L)
    else:
        chunk = require_int("chunk", chunk, minimum=1)
    chunk = min(chunk, n_ctx)

    if N != math.inf:
        PN = projection(rng, D, N)
        G = np.asarray(Gamma, dtype=float)
        if G.ndim == 0:
            Gamma = float(G) * PN
        elif G.ndim == 1:
            Gamma = (PN * G) @ PN
        else:
            Gamma = PN @ G @ PN  # broadcasts over layers for (L, D, D)

    from tqdm.auto import tqdm

    risks = np.empty(n_ctx)
    chunk_risks = []
    done = 0
    # a diverging iteration overflows: it is reported below as a ConvergenceError, not warned
    with np.errstate(over="ignore", invalid="ignore"), \
            tqdm(total=n_ctx, disable=not progress, unit="ctx", desc=f"simulate {setting}") as bar:
        while done < n_ctx:
            n = min(chunk, n_ctx - done)
            ctx = sample_contexts(setting, rng, n, D, P, lam, omega, sigma2)
            if P is None:
                w = gd_predictor_population(ctx.sigma, ctx.beta, Gamma, L)
            else:
                w = gd_predictor(ctx.X, ctx.y, Gamma, L)
            r = context_risk(w, ctx.beta, ctx.sigma)
            risks[done:done + n] = r
            chunk_risks.append(float(r.mean()))
            done += n
            bar.update(n)

    if not np.all(np.isfinite(risks)):
        bad = int(np.count_nonzero(~np.isfinite(risks)))
        raise ConvergenceError(
            f"the in-context GD iteration diverged in {bad} of {n_ctx} contexts (gamma="
            f"{gamma_summary}): the step exceeds the stability edge gamma*lambda_max(Sigma_hat)/L"
            f" < 2; use a smaller gamma", where=f"setting={setting}, depth={L}, dim={D}")
    mean = float(risks.mean())
    stderr = float(risks.std(ddof=1) / math.sqrt(n_ctx))
    params = {
        "alpha": math.inf if P is None else float(alpha),
        "context": math.inf if P is None else P,
        "depth": L,
        "gamma": gamma_summary,
        "sigma2": sigma2,
        "dim": D,
        "contexts": n_ctx,
        "width": N,
        "lam": _summarise(lam),
        "omega": _summarise(omega),
        "seed": seed_out,
    }
    return Result(
        setting=setting,
        params=params,
        risk=mean,
        gamma=gamma_summary,
        method="monte-carlo",
        stderr=stderr,
        dim=D,
        contexts=n_ctx,
        seed=seed_out,
        iterations=n_ctx,
        extra={"chunk": chunk, "chunk_risks": chunk_risks},
    )
