"""Simulators that train: the reduced-Γ model and the full deep linear-attention model by
online SGD with analytic gradients (numpy, vectorised over the batch, seeded).

Online SGD (both models).  Each step draws a fresh batch of ``batch`` contexts of ``P = αD``
labelled pairs and ``queries`` labelled query points each (query labels carry the same noise
``σε``; at ``alpha = inf`` the context enters through its population covariance) and takes

    θ ← θ − lr · (D/2) · ∇_θ ℓ̂,     ℓ̂ = mean over the batch's queries of (f(x) − y)².

The factor ``D/2`` makes ``lr`` the η of the SGD theory (:func:`solvers.analysis.dynamics.sgd_theory`):
at depth 1 in ISO, ``E[−(D/2)∇_Γ ℓ̂] = I − cΓ``, and one step advances the scalar gradient flow
``dγ/dt = −dR/dγ`` by ``lr/2`` (the per-mode FS flow by ``lr·D/2``).

Reduced model (docs/theory.md §2).  Layer ℓ updates the in-context weights by
``w_{ℓ+1} = w_ℓ + L⁻¹ Γ̃_ℓ r_ℓ``, ``r_ℓ = b − Σ̂ w_ℓ``, ``b = Xᵀy/P``, ``w_0 = 0``, with
``Γ̃_ℓ = P_N Γ_ℓ P_N`` under a width bottleneck; prediction ``f(x) = xᵀw_L``.  Backprop:
``g_L = ∂ℓ̂/∂w_L = (2/(BK)) Σ_k δ_k x_k``; ``∂ℓ̂/∂Γ̃_ℓ = L⁻¹ Σ_batch g_{ℓ+1} r_ℓᵀ``;
``g_ℓ = (I − L⁻¹Σ̂Γ̃_ℓᵀ) g_{ℓ+1}``; ``∂ℓ̂/∂Γ_ℓ = P_N (∂ℓ̂/∂Γ̃_ℓ) P_N``; tied layers sum over ℓ.

Full model (:mod:`solvers.simulators.attention`).  Manual backprop through the masked residual recursion
(:func:`attention_loss_and_grad`), checked against finite differences in the tests.
"""
from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

import numpy as np

from solvers.simulators.attention import AttentionWeights, random_weights
from solvers.result import ReprMixin, fields_to_dict
from solvers.simulators.reduced import (MAX_CONTEXT_BYTES, MAX_FLOPS, SETTINGS, context_risk,
                                        gd_predictor, gd_predictor_population, projection,
                                        sample_contexts)
from solvers.validate import (WORK_LIMITS, is_inf, require_choice, require_int,
                              require_nonnegative, require_positive, require_work_limit)

__all__ = ["TrainResult", "train_reduced", "reduced_loss_and_grad", "population_risk_and_grad",
           "attention_loss_and_grad",
           "train_attention", "Batch", "sample_batch"]

#: a training run whose final risk exceeds this multiple of its initial risk has diverged
DIVERGED_FACTOR = 10.0


@dataclass(frozen=True)
class TrainResult(ReprMixin):
    """Outcome of a training run: final ICL risk (``risk``, ``stderr`` over the evaluation
    contexts), the learning curve (``steps``, ``curve``, ``curve_stderr``), a summary of the
    learned parameters (``gamma``: ``tr Γ_ℓ/D`` per layer) and, outside ``to_dict``, the final
    parameters (``state``)."""

    setting: str
    params: Mapping[str, Any]
    risk: float
    stderr: float
    steps: Sequence[int]
    curve: Sequence[float]
    curve_stderr: Sequence[float]
    gamma: Any = None
    converged: bool = True
    method: str = ""
    dim: int | None = None
    seed: int | None = None
    state: Any = field(default=None, repr=False, compare=False)
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def value(self):
        return self.risk

    def to_dict(self) -> dict:
        return fields_to_dict(self, None, skip=("state",))


# --------------------------------------------------------------------------- data


@dataclass(frozen=True)
class Batch:
    """One training batch: context ``X`` (n, P, D) / ``y`` (n, P) (``None`` at α = ∞, then
    ``sigma`` is the population covariance), task ``beta`` (n, D), queries ``Xq`` (n, K, D),
    labels ``yq`` (n, K)."""

    X: Any
    y: Any
    beta: np.ndarray
    sigma: Any
    Xq: np.ndarray
    yq: np.ndarray


def sample_batch(setting, rng, n, D, P, K, lam=None, omega=None, sigma2=0.0) -> Batch:
    """``n`` contexts with ``P`` pairs (``None``/inf: population) and ``K`` noisy queries from the
    same context distribution: one draw of ``P + K`` points split in two (so the queries share
    the context's task, covariance and rotation)."""
    population = P is None or is_inf(P)
    ctx = sample_contexts(setting, rng, n, D, K if population else P + K, lam, omega, sigma2)
    if population:
        return Batch(None, None, ctx.beta, ctx.sigma, ctx.X, ctx.y)
    return Batch(ctx.X[:, :P], ctx.y[:, :P], ctx.beta, ctx.sigma, ctx.X[:, P:], ctx.y[:, P:])


def _sigma_apply(sigma, D):
    if sigma is None:
        return lambda u: u
    sigma = np.asarray(sigma)
    if sigma.ndim == 1:
        return lambda u: u * sigma
    return lambda u: np.einsum("nij,nj->ni", sigma, u)


def _context_ops(batch: Batch, D: int):
    """``b`` (n, D) and ``u -> Σ̂ u`` for the batch (population covariance at α = ∞)."""
    if batch.X is None:
        apply_S = _sigma_apply(batch.sigma, D)
        return apply_S(batch.beta / math.sqrt(D)), apply_S
    X, y = batch.X, batch.y
    P = X.shape[1]
    # Row-vector products (n,1,P)@(n,P,D) keep X contiguous, so each stacked product goes to
    # BLAS; a transposed view (Xᵀ @ v) falls back to numpy's slow non-BLAS loop.
    b = (y[:, None, :] @ X)[:, 0, :] / P

    def apply_S(u):
        return (((X @ u[..., None])[..., 0])[:, None, :] @ X)[:, 0, :] / P
    return b, apply_S


# --------------------------------------------------------------------------- reduced model


def _backprop(Gammas, b, apply_S, out_grad, proj):
    """Forward ``w_{ℓ+1} = w_ℓ + L⁻¹Γ̃_ℓ r_ℓ`` from ``w_0 = 0`` and backward pass.
    ``out_grad(w_L) -> (loss, ∂loss/∂w_L)``.  Returns ``(loss, [∂loss/∂Γ_ℓ])``."""
    L = len(Gammas)
    eff = [G if proj is None else proj @ G @ proj for G in Gammas]
    w = np.zeros_like(b)
    rs = []
    for G in eff:  # forward, keeping the residuals r_ℓ = b − Σ̂ w_ℓ
        r = b - apply_S(w) if rs else b
        rs.append(r)
        w = w + (r @ G.T) / L
    loss, g = out_grad(w)
    grads = [None] * L
    for ell in range(L - 1, -1, -1):
        grad = g.T @ rs[ell] / L
        grads[ell] = grad if proj is None else proj @ grad @ proj
        if ell:
            g = g - apply_S(g @ eff[ell]) / L
    return loss, grads


def reduced_loss_and_grad(Gammas: Sequence[np.ndarray], batch: Batch, proj=None):
    """Query MSE ``ℓ̂`` of the reduced model and ``∂ℓ̂/∂Γ_ℓ`` for every layer (analytic backprop).

    ``Gammas``: list of L (D, D) matrices (tied layers: the same object L times; sum the
    returned per-layer gradients).  ``proj``: ``P_N`` (D, D) or None.  Returns
    ``(loss, [grad_ℓ])``."""
    D = batch.beta.shape[-1]
    b, apply_S = _context_ops(batch, D)
    Xq, yq = batch.Xq, batch.yq
    n, K = yq.shape

    def out_grad(w):
        delta = (Xq @ w[..., None])[..., 0] - yq
        g = (delta[:, None, :] @ Xq)[:, 0, :] * (2.0 / (n * K))
        return float(np.mean(delta ** 2)), g
    return _backprop(Gammas, b, apply_S, out_grad, proj)


def population_risk_and_grad(Gammas: Sequence[np.ndarray], lam, omega, proj=None):
    """Exact ICL risk at ``α = ∞`` with fixed ``Σ = diag(lam)``, ``Ω = diag(omega)`` (target
    covariance) and its gradient: ``R = Σ_i e_iᵀ Σ e_i``, ``e_i = −Π_ℓ(I − Γ̃_ℓΣ/L) √ω_i u_i``
    (one "context" per basis vector ``u_i``), so ``∂R/∂w_L = 2Σe``.  Returns ``(R, [∂R/∂Γ_ℓ])``.
    """
    lam = np.asarray(lam, dtype=float)
    t = np.diag(np.sqrt(np.asarray(omega, dtype=float)))  # rows: targets √ω_i u_i

    def apply_S(u):
        return u * lam

    def out_grad(w):
        e = w - t
        return float(np.sum(e * e * lam)), 2.0 * e * lam
    return _backprop(Gammas, apply_S(t), apply_S, out_grad, proj)


def _eval_risk(setting, rng, Gammas, proj, D, P, L, n_eval, lam, omega, sigma2, chunk=256):
    """Monte-Carlo ICL risk (mean, stderr) of the current Γ on fresh contexts (exact over the
    test point, without σ²; :func:`solvers.simulators.reduced.context_risk`)."""
    G = [g if proj is None else proj @ g @ proj for g in Gammas]
    risks = []
    done = 0
    while done < n_eval:
        m = min(chunk, n_eval - done)
        ctx = sample_contexts(setting, rng, m, D, P, lam, omega, sigma2)
        if ctx.X is None:
            w = gd_predictor_population(ctx.sigma, ctx.beta, G, L)
        else:
            w = gd_predictor(ctx.X, ctx.y, G, L)
        risks.append(context_risk(w, ctx.beta, ctx.sigma))
        done += m
    r = np.concatenate(risks)
    return float(r.mean()), float(r.std(ddof=1) / math.sqrt(len(r)))


def _common(setting, alpha, depth, dim, steps, lr, batch, queries, sigma2, lam, omega, width,
            seed, eval_every, eval_contexts):
    setting = require_choice("setting", setting, SETTINGS)
    D = require_int("dim", dim, minimum=1)
    L = require_int("depth", depth, minimum=1)
    steps = require_int("steps", steps, minimum=0)
    lr = float(require_positive("lr", lr))
    B = require_int("batch", batch, minimum=1)
    K = require_int("queries", queries, minimum=1)
    sigma2 = float(require_nonnegative("sigma2", sigma2))
    alpha = require_positive("alpha", alpha, allow_inf=True)
    if is_inf(alpha):
        P = None
    else:
        P = int(round(float(alpha) * D))
        if P < 1:
            raise ValueError(f"alpha={alpha!r} is invalid: alpha*dim must round to P >= 1")
    if setting == "iso":
        if lam is not None or omega is not None:
            raise ValueError("lam=<given> is invalid: lam and omega must be omitted for 'iso'")
    else:
        if lam is None or omega is None:
            raise ValueError(f"lam=None is invalid: setting={setting!r} needs lam and omega "
                             f"(sequences of dim={D} numbers)")
        lam = np.asarray(lam, dtype=float)
        omega = np.asarray(omega, dtype=float)
        if lam.shape != (D,) or omega.shape != (D,) or np.any(lam <= 0) or np.any(omega < 0):
            raise ValueError(f"lam/omega are invalid: need {D} values, lam > 0, omega >= 0")
    if width is None or is_inf(width):
        N = None
    else:
        N = require_int("width", width, minimum=1)
        if N > D:
            raise ValueError(f"width={width!r} is invalid: width must be in [1, dim={D}] or inf")
    seed = require_int("seed", seed, minimum=0)
    eval_every = require_int("eval_every", eval_every if eval_every is not None
                             else max(1, steps // 20 or 1), minimum=1)
    eval_contexts = require_int("eval_contexts", eval_contexts, minimum=2)
    _check_training_budget(setting, D, L, steps, B, K, P, eval_every, eval_contexts)
    return (setting, D, L, steps, lr, B, K, sigma2, alpha, P, lam, omega, N, seed, eval_every,
            eval_contexts)


def _check_training_budget(setting, D, L, steps, B, K, P, eval_every, n_eval):
    """Refuse, before allocating anything, a training run that cannot fit in memory or finish
    (as :func:`solvers.simulators.reduced._check_budget` does for one simulation): one SGD step
    holds ``B`` contexts of ``P + K`` points (and, rrs, their D×D rotations) plus the L-layer
    backprop tape, and costs ~``B·L·(4(P + K)D + 2D²)`` operations; the Python loop itself
    bounds the steps (the closed forms' SGD step limit, ``WORK_LIMITS['step']``)."""
    require_work_limit("steps", steps, WORK_LIMITS["step"])
    Pn = 0 if P is None else P
    per_batch = 8.0 * B * (2.0 * (Pn + K) * D + 4.0 * L * D + (4.0 * D * D if setting == "rrs"
                                                               else 0.0))
    if per_batch > MAX_CONTEXT_BYTES:
        raise ValueError(f"batch={B}, queries={K}, dim={D}, context P={Pn} is invalid: one SGD "
                         f"step needs {per_batch / 1e9:.3g} GB, above the simulator's limit of "
                         f"{MAX_CONTEXT_BYTES / 1e9:.3g} GB; reduce batch, queries, dim or alpha")
    Pe = D if P is None else P
    evals = steps // eval_every + 2
    flops = (float(steps) * B * L * (4.0 * (Pn + K) * D + 2.0 * D * D)
             + float(evals) * n_eval * L * (4.0 * Pe * D + 2.0 * D * D))
    if flops > MAX_FLOPS:
        raise ValueError(f"steps={steps}, batch={B}, queries={K}, dim={D}, depth={L}, "
                         f"contexts={n_eval} is invalid: about {flops:.2g} floating-point "
                         f"operations, above the simulator's limit of {MAX_FLOPS:.2g}; reduce "
                         "steps, batch, queries, contexts, dim or depth")


def _quiet(func):
    """Run ``func`` without numpy's overflow/invalid warnings: a diverging run overflows by
    design, is detected (non-finite weights or a risk far above the start) and reported as
    ``converged=False``; the warnings would only add lines to stderr."""
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            return func(*args, **kwargs)
    return wrapper


@_quiet
def train_reduced(setting, *, alpha, depth, dim, steps, lr, batch, queries, sigma2=0.0,
                  lam=None, omega=None, width=None, tied=True, seed=0, eval_every=None,
                  eval_contexts=256, init=0.0, gradient="sgd", progress=False) -> TrainResult:
    """Train the reduced-Γ model (``depth`` GD steps with preconditioner Γ, or untied Γ_ℓ) by
    online SGD, ``Γ ← Γ − lr·(D/2)∇_Γ ℓ̂``, from ``Γ = init·I``; evaluate the ICL risk on
    ``eval_contexts`` fresh contexts every ``eval_every`` steps (and at 0 and ``steps``).

    ``batch`` = B contexts per step, ``queries`` = K query points per context; ``lam``/``omega``
    the spectra (fs, rrs); ``width`` = N: rank-N projection ``P_N Γ P_N`` (one Haar ``P_N`` per
    run).  Training and evaluation draw from independent streams of ``seed``.

    ``gradient="population"`` (iso/fs at ``alpha = inf`` only): deterministic gradient descent
    on the exact risk (:func:`population_risk_and_grad`) — the discretised gradient flow; the
    curve is then exact (stderr 0) and ``batch``/``queries``/``eval_contexts`` are unused.

    Returns a :class:`TrainResult`; ``state`` holds the final Γ (tied) or list of Γ_ℓ, and
    ``extra['layer_spread']`` the largest ``|Γ_ℓ − Γ_0|`` entry over layers at the end.
    """
    (setting, D, L, steps, lr, B, K, sigma2, alpha, P, lam, omega, N, seed, eval_every,
     n_eval) = _common(setting, alpha, depth, dim, steps, lr, batch, queries, sigma2, lam,
                       omega, width, seed, eval_every, eval_contexts)
    init = float(require_nonnegative("init", init))
    require_choice("gradient", gradient, ("sgd", "population"))
    if gradient == "population":
        if P is not None or setting == "rrs":
            raise ValueError(f"gradient='population' is invalid for setting={setting!r}, "
                             f"alpha={alpha!r}: it needs setting 'iso' or 'fs' with alpha=inf")
        lam_p = np.ones(D) if setting == "iso" else lam
        om_p = np.full(D, 1.0 / D) if setting == "iso" else omega
    rng_train, rng_eval, rng_proj = (np.random.default_rng([seed, i]) for i in range(3))
    proj = None if N is None else projection(rng_proj, D, N)
    n_par = 1 if tied else L
    params = [init * np.eye(D) for _ in range(n_par)]

    def layers():
        return params * L if tied else params

    from tqdm.auto import tqdm

    eval_steps, curve, curve_se, losses = [], [], [], []
    scale = lr * D / 2
    for step in tqdm(range(steps + 1), disable=not progress, desc=f"train {setting}",
                     unit="step"):
        if gradient == "population":
            loss, grads = population_risk_and_grad(layers(), lam_p, om_p, proj)
        if step % eval_every == 0 or step == steps:
            m, se = ((loss, 0.0) if gradient == "population" else
                     _eval_risk(setting, rng_eval, layers(), proj, D, P, L, n_eval, lam, omega,
                                sigma2))
            eval_steps.append(step)
            curve.append(m)
            curve_se.append(se)
        if step == steps:
            break
        if gradient == "sgd":
            bt = sample_batch(setting, rng_train, B, D, P, K, lam, omega, sigma2)
            loss, grads = reduced_loss_and_grad(layers(), bt, proj)
        losses.append(loss)
        if tied:
            params[0] = params[0] - scale * sum(grads)
        else:
            params = [G - scale * g for G, g in zip(params, grads)]
        if not all(np.all(np.isfinite(G)) for G in params):
            break  # diverged: report the curve so far, converged=False
    # diverged: the weights overflowed, or the risk ended far above where it started (training
    # from Gamma = 0 starts at the zero predictor; a run ending 10x above it is unstable, e.g. a
    # learning rate beyond the SGD stability edge)
    finite = all(np.all(np.isfinite(G)) for G in params) and bool(np.isfinite(curve[-1])) \
        and not curve[-1] > DIVERGED_FACTOR * curve[0]
    spread = 0.0 if tied else float(max(np.max(np.abs(G - params[0])) for G in params))
    summary = [float(np.trace(G)) / D for G in params]
    return TrainResult(
        setting, {"alpha": alpha, "depth": L, "dim": D, "steps": steps, "lr": lr, "batch": B,
                  "queries": K, "sigma2": sigma2, "width": N if N is not None else math.inf,
                  "tied": tied, "seed": seed, "eval_contexts": n_eval, "init": init,
                  "gradient": gradient},
        curve[-1], curve_se[-1], eval_steps, curve, curve_se,
        gamma=summary[0] if tied else summary, converged=finite,
        method=("online SGD, analytic backprop through the L GD steps; Monte-Carlo ICL risk"
                if gradient == "sgd" else "gradient descent on the exact alpha=inf risk"),
        dim=D, seed=seed, state=params[0] if tied else params,
        extra={"layer_spread": spread, "train_loss": losses[-1] if losses else None,
               "flow_time_per_step": lr / 2})


# --------------------------------------------------------------------------- full model


def _layer_mats(weights: AttentionWeights):
    return [weights.layer(ell) for ell in range(weights.depth)]


def attention_loss_and_grad(weights: AttentionWeights, X, y, Xq, yq, *, mask=(-1.0, 1.0)):
    """Query MSE of :func:`solvers.simulators.attention.forward` and its gradient with respect to every
    weight, by manual backprop through the masked residual recursion
    ``H ← H + s·(LP)⁻¹ (H W_qᵀ) C``, ``C = (H_c W_kᵀ)ᵀ(H_c W_vᵀ)`` (training tokens ``H_c``).

    Returns ``(loss, grads)``, ``grads`` an :class:`AttentionWeights`-shaped dict with keys
    ``W_x, w_y, W_q, W_k, W_v, w_o``; per-layer lists for ``W_q, W_k, W_v`` (sum them for tied
    weights)."""
    X, y, Xq, yq = (np.asarray(a, dtype=float) for a in (X, y, Xq, yq))
    B, P, D = X.shape
    K = Xq.shape[1]
    L = weights.depth
    s_t, s_q = (float(s) for s in mask)
    W_x = np.asarray(weights.W_x, dtype=float)
    w_y = np.asarray(weights.w_y, dtype=float)
    w_o = np.asarray(weights.w_o, dtype=float)
    mats = _layer_mats(weights)
    sc = 1.0 / (L * P)
    H = X @ W_x.T + y[..., None] * w_y
    Hq = Xq @ W_x.T
    tape = []
    for W_q, W_k, W_v in mats:
        Kt, Vt = H @ W_k.T, H @ W_v.T
        C = np.swapaxes(Kt, -1, -2) @ Vt
        Q, Qq = H @ W_q.T, Hq @ W_q.T
        tape.append((H, Hq, Kt, Vt, C, Q, Qq))
        H = H + (s_t * sc) * (Q @ C)
        Hq = Hq + (s_q * sc) * (Qq @ C)
    f = Hq @ w_o
    delta = f - yq
    loss = float(np.mean(delta ** 2))
    df = delta * (2.0 / (B * K))
    g_wo = np.einsum("bk,bkn->n", df, Hq)
    dHq = df[..., None] * w_o
    dH = np.zeros_like(H)
    gq, gk, gv = [None] * L, [None] * L, [None] * L
    for ell in range(L - 1, -1, -1):
        W_q, W_k, W_v = mats[ell]
        H0, Hq0, Kt, Vt, C, Q, Qq = tape[ell]
        a, aq = s_t * sc, s_q * sc
        Ct = np.swapaxes(C, -1, -2)
        dQ, dQq = a * (dH @ Ct), aq * (dHq @ Ct)
        dC = a * (np.swapaxes(Q, -1, -2) @ dH) + aq * (np.swapaxes(Qq, -1, -2) @ dHq)
        dK = Vt @ np.swapaxes(dC, -1, -2)
        dV = Kt @ dC
        gq[ell] = np.einsum("bpi,bpj->ij", dQ, H0) + np.einsum("bpi,bpj->ij", dQq, Hq0)
        gk[ell] = np.einsum("bpi,bpj->ij", dK, H0)
        gv[ell] = np.einsum("bpi,bpj->ij", dV, H0)
        dH = dH + dQ @ W_q + dK @ W_k + dV @ W_v
        dHq = dHq + dQq @ W_q
    g_wx = np.einsum("bpn,bpd->nd", dH, X) + np.einsum("bkn,bkd->nd", dHq, Xq)
    g_wy = np.einsum("bpn,bp->n", dH, y)
    return loss, {"W_x": g_wx, "w_y": g_wy, "W_q": gq, "W_k": gk, "W_v": gv, "w_o": g_wo}


def _attention_risk(weights, setting, rng, D, P, n_eval, lam, omega, sigma2, n_query=64):
    """ICL excess risk of the network on fresh contexts: query MSE against the noise-free
    target ``β·x/√D`` (Monte Carlo over contexts and ``n_query`` queries each)."""
    from solvers.simulators.attention import forward

    bt = sample_batch(setting, rng, n_eval, D, P, n_query, lam, omega, 0.0)
    if sigma2:  # context labels carry noise; the target of the risk does not
        noise = rng.standard_normal(bt.y.shape) * math.sqrt(sigma2)
        bt = Batch(bt.X, bt.y + noise, bt.beta, bt.sigma, bt.Xq, bt.yq)
    f = forward(weights, bt.X, bt.y, bt.Xq)
    per_ctx = np.mean((f - bt.yq) ** 2, axis=1)
    return float(per_ctx.mean()), float(per_ctx.std(ddof=1) / math.sqrt(n_eval))


@_quiet
def train_attention(setting, *, alpha, depth, dim, width, steps, lr, batch, queries,
                    sigma2=0.0, lam=None, omega=None, tied=True, init_scale=0.5, seed=0,
                    eval_every=None, eval_contexts=256, progress=False) -> TrainResult:
    """Train the full deep linear-attention model (``W_x, w_y, W_q, W_k, W_v, w_o``, residual
    width ``width`` ≥ 1, mask of docs/theory.md §2) by online SGD with analytic gradients,
    ``θ ← θ − lr·(D/2)∇_θ ℓ̂``, from :func:`solvers.simulators.attention.random_weights` of scale
    ``init_scale``.  Finite ``alpha`` only (the network reads the context tokens).

    Returns a :class:`TrainResult` (``state`` = final :class:`AttentionWeights`; ``gamma`` =
    ``tr Γ_eff/D`` of the effective preconditioner ``(w_o·W_v w_y) W_xᵀW_qᵀW_kW_x`` of layer 0).
    """
    (setting, D, L, steps, lr, B, K, sigma2, alpha, P, lam, omega, _, seed, eval_every,
     n_eval) = _common(setting, alpha, depth, dim, steps, lr, batch, queries, sigma2, lam,
                       omega, None, seed, eval_every, eval_contexts)
    if P is None:
        raise ValueError("alpha=inf is invalid for train_attention: the network needs a finite "
                         "context (alpha > 0 finite)")
    N = require_int("width", width, minimum=1)
    init_scale = float(require_positive("init_scale", init_scale))
    rng_train, rng_eval, rng_init = (np.random.default_rng([seed, i]) for i in range(3))
    w = random_weights(rng_init, D, N, L, tied=tied, scale=init_scale)
    scale = lr * D / 2

    def step_weights(w, g):
        def upd(M, G):
            if isinstance(M, (list, tuple)):
                return [m - scale * gg for m, gg in zip(M, G)]
            return M - scale * sum(G)
        return AttentionWeights(w.W_x - scale * g["W_x"], w.w_y - scale * g["w_y"],
                                upd(w.W_q, g["W_q"]), upd(w.W_k, g["W_k"]),
                                upd(w.W_v, g["W_v"]), w.w_o - scale * g["w_o"], depth=L)

    from tqdm.auto import tqdm

    eval_steps, curve, curve_se = [], [], []
    ok = True
    for step in tqdm(range(steps + 1), disable=not progress, desc="train attention",
                     unit="step"):
        if step % eval_every == 0 or step == steps:
            m, se = _attention_risk(w, setting, rng_eval, D, P, n_eval, lam, omega, sigma2)
            eval_steps.append(step)
            curve.append(m)
            curve_se.append(se)
        if step == steps:
            break
        bt = sample_batch(setting, rng_train, B, D, P, K, lam, omega, sigma2)
        _, g = attention_loss_and_grad(w, bt.X, bt.y, bt.Xq, bt.yq)
        w = step_weights(w, g)
        if not np.all(np.isfinite(w.W_x)):
            ok = False
            break
    Wq, Wk, Wv = w.layer(0)
    Geff = float(w.w_o @ Wv @ w.w_y) * (w.W_x.T @ Wq.T @ Wk @ w.W_x)
    return TrainResult(
        setting, {"alpha": alpha, "depth": L, "dim": D, "width": N, "steps": steps, "lr": lr,
                  "batch": B, "queries": K, "sigma2": sigma2, "tied": tied, "seed": seed,
                  "init_scale": init_scale, "eval_contexts": n_eval},
        curve[-1], curve_se[-1], eval_steps, curve, curve_se,
        gamma=float(np.trace(Geff)) / D, converged=ok,
        method="online SGD on all attention weights, manual backprop; Monte-Carlo ICL risk",
        dim=D, seed=seed, state=w)
