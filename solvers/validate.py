"""Validation of public inputs: one place, one wording.

Every helper returns the normalised value (``math.inf`` for the accepted spellings of
infinity) or raises ``ValueError`` naming the parameter, its value and the valid range.
"""
from __future__ import annotations

import decimal
import fractions
import math
import numbers
import sys

import mpmath
import numpy as np

INF_SPELLINGS = ("inf", "+inf", "infinity", "+infinity")


def _fail(name, value, valid):
    raise ValueError(f"{name}={value!r} is invalid: {name} must be {valid}")


#: the largest working precision accepted (mpmath cost grows faster than linearly in digits)
MAX_DPS = 1000


def _normalise(value):
    """Plain Python/mpmath form of the numeric types users pass: numpy scalars and 0-d arrays,
    ``Decimal`` (exact, through its text), ``Fraction`` (exact ratio at 80 digits)."""
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value.item()
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, decimal.Decimal):
        if value.is_nan():
            return math.nan
        if value.is_infinite():
            return math.inf if value > 0 else -math.inf
        if value == value.to_integral_value():
            return int(value)
        with mpmath.workdps(80):
            return mpmath.mpf(str(value))
    if isinstance(value, fractions.Fraction):
        if value.denominator == 1:
            return int(value)
        with mpmath.workdps(80):
            return mpmath.mpf(value.numerator) / value.denominator
    return value


def as_number(name, value, valid, *, allow_inf=False):
    """Parse ``value`` (number, numeric string, mpf, numpy scalar, Decimal, Fraction) to a
    float-compatible number; anything else is a ValueError naming ``name``."""
    if isinstance(value, (bool, np.bool_)) or value is None or isinstance(value, (bytes,
                                                                                   bytearray)):
        _fail(name, value, valid)
    value = _normalise(value)
    if isinstance(value, str):
        s = value.strip().lower()
        if s in INF_SPELLINGS:
            value = math.inf
        else:
            try:
                if len(s) > 100:
                    raise ValueError
                if any(ch in s for ch in ".en"):
                    float(s)  # rejects what mpmath would accept but is not a plain number
                    with mpmath.workdps(80):  # keep decimal strings exact: "0.1" stays 0.1
                        value = mpmath.mpf(s)
                else:
                    value = int(s)
            except ValueError:
                _fail(name, value, valid)
    if not isinstance(value, (int, float, mpmath.mpf)):
        _fail(name, value, valid)
    try:
        as_float = float(value)
    except (TypeError, ValueError, OverflowError):
        _fail(name, value, valid)
    if math.isnan(as_float):
        _fail(name, value, valid)
    if math.isinf(as_float):
        if isinstance(value, mpmath.mpf) and mpmath.isfinite(value):
            # a finite number beyond the float range (1e400): read as inf it would silently
            # change the answer (a finite gamma's risk is finite, gamma = inf's is not)
            _fail(name, value, valid + f" (a finite value at most {sys.float_info.max:.3g}"
                  + ("; inf for the limit)" if allow_inf else ")"))
        if as_float > 0 and allow_inf:
            return math.inf
        _fail(name, value, valid)
    return value


def require_positive(name, value, *, allow_inf=False):
    valid = "> 0" + (" or inf" if allow_inf else " (finite)")
    v = as_number(name, value, valid, allow_inf=allow_inf)
    if not float(v) > 0:
        _fail(name, value, valid)
    return v


def require_nonnegative(name, value, *, allow_inf=False):
    valid = ">= 0" + (" or inf" if allow_inf else "")
    v = as_number(name, value, valid, allow_inf=allow_inf)
    if not float(v) >= 0:
        _fail(name, value, valid)
    return v


def require_int(name, value, *, minimum=1, allow_inf=False, maximum=None):
    """An integer >= ``minimum`` (<= ``maximum`` if given; or inf).  Integral floats such as 4.0
    are accepted."""
    valid = f"an integer >= {minimum}" + (f" and <= {maximum}" if maximum is not None else "") \
        + (" or inf" if allow_inf else "")
    v = as_number(name, value, valid, allow_inf=allow_inf)
    if v == math.inf:
        return v
    if isinstance(v, numbers.Integral):
        iv = int(v)
    elif isinstance(v, mpmath.mpf):   # exact ("1e30" is 10**30, not its nearest float)
        if v.man != 0 and v.exp < 0:    # mantissa normalised odd: integral iff exp >= 0
            _fail(name, value, valid)
        iv = int(v)
    else:
        f = float(v)
        if not f.is_integer():
            _fail(name, value, valid)
        iv = int(f)
    if iv < minimum or (maximum is not None and iv > maximum):
        _fail(name, value, valid)
    return iv


#: the largest finite sizes the solvers are run at.  Beyond them the work or memory grows
#: without bound (measured: the optimal gamma of iso at depth 1e6, or of rrs at dim 1e6, takes
#: more than two minutes — rrs at depth 1e7 about 5 s; finite width 1e5 takes 0.4 GB, finite
#: context 1e6 more than 1.3 GB); the limit itself, inf, is computed exactly.  ``depth_iso``:
#: the iso setting (its quadrature grows with the depth); ``dim`` applies to the searches (the
#: optimal gamma, the gradient flow) and to finite context — at a given gamma and alpha = inf the
#: spectral sums take any dim.  ``times``: points of one gradient-flow time series (one solve
#: each); ``step``: SGD steps of the closed forms; ``model_size``: D and P of the symbolic matrix
#: identities (the symbolic work grows factorially).
WORK_LIMITS = {"depth": 10 ** 7, "depth_iso": 10 ** 5, "dim": 10 ** 5, "width": 10 ** 5,
               "context": 10 ** 5, "times": 1000, "step": 10 ** 6, "model_size": 8,
               # closed-form laws (sympy): a finite depth above 10⁴ or ν, β above 100 make the
               # exact Gamma/Beta/zeta algebra take minutes (depth 10⁴: ~5 s; ν = β = 100: ~4 s)
               "law_depth": 10 ** 4, "law_exponent": 100}


def require_work_limit(name, value, limit=None, why=""):
    """``value`` unchanged if it is at most ``WORK_LIMITS[name]`` (or ``limit``), infinite, or
    not a number (the solver's own validation names that); else ValueError naming the limit."""
    limit = WORK_LIMITS[name] if limit is None else limit
    if value is None or isinstance(value, (bool, bytes, bytearray)):
        return value
    try:
        x = float(_normalise(value))
    except (TypeError, ValueError, OverflowError):
        return value
    if math.isfinite(x) and x > limit:
        tail = ("; inf (the limit) is computed exactly" if name in ("depth", "dim", "width",
                                                                   "context") else "")
        raise ValueError(f"{name}={value!r} is invalid: {name} must be <= {limit}{why} (the "
                         f"work limit: larger values take hours or exhaust memory{tail})")
    return value


def require_work_limits(params, setting=None) -> None:
    """:func:`require_work_limit` for the sizes among ``params`` (a mapping) in ``setting``."""
    def finite(name):
        v = params.get(name)
        return v is not None and not is_inf(v)
    iso = setting == "iso"
    require_work_limit("depth", params.get("depth"),
                       WORK_LIMITS["depth_iso"] if iso else WORK_LIMITS["depth"],
                       " in setting 'iso'" if iso else "")
    if params.get("gamma") is None or finite("alpha") or finite("context"):
        require_work_limit("dim", params.get("dim"), why=" for an optimal gamma, a flow or a "
                                                        "finite context")
    for name in ("width", "context"):
        require_work_limit(name, params.get(name))


def require_gamma_work(gamma, depth, spec):
    """``gamma`` unchanged unless, at a finite depth L on a power-law spectrum (λ_k = k^{−ν}),
    it pushes more than ``WORK_LIMITS['dim']`` modes past zero (γλ_k/L > 1 ⇔
    k < (γ/L)^{1/ν}): the landscape sums those modes one by one, so the work grows without
    bound with γ (γ = 1e10 at ν = 1.5, L = 2: minutes; 1e300: forever).  Explicit spectra sum
    their own modes; at L = inf the kernel e^{−2γλ} needs no such sum."""
    from solvers.spectra import PowerLaw
    if not isinstance(spec, PowerLaw) or is_inf(depth) or is_inf(gamma):
        return gamma
    limit = WORK_LIMITS["dim"]
    nu = float(spec.nu)
    top = float(depth) * float(limit) ** nu   # the γ at which `limit` modes overshoot
    if spec.is_finite and spec.dim <= limit:
        # every mode is summed anyway; only the size of the numbers grows: bound γ/L itself
        top = float(depth) * 1e100
    if float(gamma) > top:
        raise ValueError(f"gamma={gamma!r} is invalid: gamma must be <= {top:.3g} at depth="
                         f"{depth}, nu={spec.nu} (the work limit: larger steps push more than "
                         f"{limit} modes past zero, or build numbers too large to sum; the "
                         "landscape then grows like (gamma/L)^(2L))")
    return gamma


def require_dps(dps):
    return require_int("dps", dps, minimum=15, maximum=MAX_DPS)


def require_choice(name, value, choices):
    if value not in choices:
        _fail(name, value, "one of " + ", ".join(repr(c) for c in choices))
    return value


def is_inf(x) -> bool:
    try:
        return math.isinf(float(x))
    except (TypeError, ValueError, OverflowError):
        return False


def require_alpha_or_context(alpha, context):
    """Exactly one of ``alpha`` (P/D > 0) and ``context`` (absolute P > 0), either may be inf;
    returns the validated pair (the other stays None)."""
    if (alpha is None) == (context is None):
        raise ValueError(f"alpha={alpha!r}, context={context!r} is invalid: give exactly one of "
                         "alpha (P/D, > 0) and context (absolute P, > 0)")
    if alpha is not None:
        return require_positive("alpha", alpha, allow_inf=True), None
    return None, require_positive("context", context, allow_inf=True)
