"""Large-γ asymptotics of the finite-depth power-law sums of RRS (D = ∞).

At depth L every RRS sum is (:mod:`solvers.zeta_moments`, ``λ_k = k^{−ν}``, ``ω_kλ_k = k^{−s}/Z``)

    S = (1/Z) Σ_k k^{−a} (1 − w_k)^n,        w_k = γk^{−ν}/L,   a = s + jν,  n ≈ 2L.

The ζ-moment route sums a head of ``~(γ/8)^{1/ν}`` modes explicitly (thousands when γ ~ 10⁶).
For large γ the sum is instead, with ``x_L = (γ/L)^{1/ν}`` (where ``w = 1``):

* **overshooting modes** ``k ≤ x_L`` (``w_k ≥ 1``): a handful, summed explicitly with their sign;
* **the rest** is ``Σ_{k∈ℤ} f̃(k)`` for ``f̃(x) = x^{−a}(1 − γx^{−ν}/L)^n`` on ``x > x_L`` and 0
  below — a ``C^{n−1}`` function, so Poisson summation applies:
  ``Σ_k f̃(k) = ∫ f̃ + E``, and the integral is a complete beta function
  (``v = γx^{−ν}/L``):  ``∫_{x_L}^∞ f̃ = (γ/L)^{−α} B(α, n + 1)/ν``,  ``α = (a − 1)/ν``.
* **E** (the Fourier modes m ≥ 1) is the Poisson remainder of the L = ∞ sum with
  ``c = nγ/L`` (:func:`solvers.zeta_moments.exp_remainder_bound`: a saddle point at
  ``|x*| = (cν/2πm)^{1/(ν+1)}``, remainder ``~exp(−κ c^{1/(ν+1)})``), perturbed by the factor
  ``(1 − w)^n e^{nw} = exp(n(log(1 − w) + w))`` of modulus at most
  ``exp(n|w|²/(2(1 − |w|)))`` with ``|w| = (γ/L)|x*|^{−ν}`` at the m = 1 saddle (the largest).
  The envelope is used only where ``|w| ≤ 1/4``; the caller uses the result only where the
  envelope is far below its target (the error is then exponentially small: e.g. ``e^{−2700}``
  relative at γ = 2·10⁶), so the envelope's own O(1) slack is immaterial.  Measured against the
  exact ζ-moment sums in ``tests/test_depth_asymptotics.py``.
"""
from __future__ import annotations

import mpmath

from solvers import zeta_moments as zm

__all__ = ["binomial_asymptotic", "remainder_envelope"]

#: largest |w| at the m = 1 saddle for which the perturbation envelope is used
W_MAX = 0.25


def remainder_envelope(a, nu, n, g, L):
    """Bound on the Poisson remainder ``|Σ_k f̃(k) − ∫ f̃|`` (module docstring), or None where
    the saddle is too close to the branch point ``w = 1`` (``|w| > W_MAX``)."""
    c = n * g / L
    r1 = (c * nu / (2 * mpmath.pi)) ** (1 / (nu + 1))
    w = g / L * r1 ** (-nu)
    if w > W_MAX:
        return None
    return zm.exp_remainder_bound(a, nu, c) * mpmath.exp(n * w * w / (2 * (1 - w)))


def binomial_asymptotic(sums, shift, n, g, L, prec):
    """``(value, error)`` of ``(1/Z) Σ_k k^{−s−shift·ν} (1 − γk^{−ν}/L)^n`` for a D = ∞ power
    law (``sums``: :class:`solvers.zeta_moments.PowerLawSums`), or None where the remainder
    envelope does not apply.  ``error`` = envelope/Z + rounding."""
    # n·log(w − 1) amplifies the rounding of w by nw/(w − 1): log2(n) + 16 more bits keep the
    # overshooting modes at the caller's precision (there are only a few)
    wprec = prec + int(n).bit_length() + 16
    nu, beta, s, Z = sums.constants(wprec)
    with mpmath.workprec(wprec):
        g = mpmath.mpf(g)
        Lm = mpmath.mpf(L)
        a = s + shift * nu
        env = remainder_envelope(a, nu, n, g, Lm)
        if env is None:
            return None
        al = beta + shift
        integral = (g / Lm) ** (-al) * mpmath.beta(al, n + 1) / nu
        over = abs_over = mpmath.mpf(0)
        kmax = int(mpmath.floor((g / Lm) ** (1 / nu)))
        for k in range(1, kmax + 1):
            lk = mpmath.log(k)
            w = g * mpmath.exp(-nu * lk) / Lm
            if w < 1:      # rounding at the boundary: an ordinary mode (f̃ covers it)
                continue
            mag = mpmath.exp(n * mpmath.log(w - 1) - a * lk) if w > 1 else mpmath.mpf(0)
            over += mag if n % 2 == 0 else -mag
            # w carries a relative rounding error ~2^{−prec}, which n·log(w − 1) amplifies
            # by nw/(w − 1)
            abs_over += mag * (n * w / (w - 1) + a * lk + 8) if w > 1 else 0
        val = (over + integral) / Z
        # rounding: the overshooting modes as above, a few ulps of the Γ-ratio and the power
        rnd = (abs_over + 16 * (al + 1) * integral) * mpmath.mpf(2) ** (-wprec) / Z
    return +val, env / Z + rnd + abs(val) * mpmath.mpf(2) ** (-prec)
