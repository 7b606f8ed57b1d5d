"""Power-law spectral sums at D = ∞ by Hurwitz-zeta moments: exact, with cached γ-free parts.

Spectrum (spec §6): ``λ_k = k^{−ν}``, ``ω_kλ_k = k^{−s}/Z``, ``s = νβ + 1``, ``Z = ζ(s)``.
Every sum the flows need has the form

    S = (1/Z) Σ_k k^{−s − jμ} g(k^{−μ}),      g(y) = Σ_m c_m y^m,

with a step ``μ`` (``ν`` for RRS, ``s + 2ν`` for FS) and a kernel g analytic at 0 (a polynomial
``(1 − γy/L)^n``, ``e^{−cy}`` or ``(1 + by)^{−e}``).  Split at a head ``K``:

    S = (1/Z) [ Σ_{k≤K} k^{−s−jμ} g(k^{−μ})  +  Σ_m c_m M_{m+j} ],   M_i = ζ(s + iμ, K + 1).

The moments ``M_i`` do not depend on γ or t: they are computed once per ``(ν, β, μ, K,
precision)`` and cached, so a γ-point costs K closed-form kernel values plus a short polynomial.
``K = 0`` is the plain ζ-moment polynomial ``Σ_j C(n, j)(−γ/L)^j ζ(s + jν)`` of finite depth.

* **Cancellation.** The m-series alternates; its absolute sum is at most ``e^{X}`` times the
  value, ``X = |c|(K+1)^{−μ}`` (``X`` = the largest kernel argument in the tail).  K is the
  smallest power of two with ``X ≤ X_MAX``, so at most ``~X_MAX·log10(e)·2`` digits cancel; the
  working precision is raised by the cancellation measured from ``Σ|terms|`` (and the sum redone
  if the first estimate was short).
* **Truncation.** ``M_{i+1} ≤ (K+1)^{−μ} M_i`` and ``|c_{m+1}/c_m|`` decreases in m for these
  kernels, so once the term ratio ``ρ < 1`` the rest of the series is below ``|term|ρ/(1 − ρ)``:
  a bound, not an estimate.
* **Moments.** ``ζ(x, N)`` for the whole family ``x = s + iμ`` by a direct sum up to ``N'`` plus
  Euler–Maclaurin at ``N'`` (``k^{−x}`` is completely monotone, so the remainder is below the first
  omitted term).  mpmath's own ``zeta(x, a)`` loses digits for large ``x`` and ``a`` (at 60
  digits asked, ``zeta(40, 65)`` has 18 correct and ``zeta(40, 300)`` 10), so it is not used.
* **L = ∞ asymptotics** (:func:`exp_asymptotic`): ``Σ_k k^{−a} e^{−ck^{−ν}} = Γ(α)c^{−α}/ν + E``,
  ``α = (a − 1)/ν`` (Mellin transform: the only pole right of the contour is ζ's), and ``E`` is
  the Poisson/saddle-point remainder, exponentially small in ``c^{1/(ν+1)}`` with the derived
  envelope of :func:`exp_remainder_bound`.
"""
from __future__ import annotations

import math
from functools import lru_cache

import mpmath

from solvers.cache import register_memo
from solvers.result import ConvergenceError

__all__ = ["PowerLawSums", "power_law_sums", "exact_key", "Kernel", "binomial_kernel", "exp_kernel",
           "power_kernel", "exp_asymptotic", "exp_remainder_bound"]

#: largest kernel argument |c|(K+1)^{−μ} in the tail (digits lost to cancellation ≲ 0.87·X_MAX)
X_MAX = 16.0
#: heads beyond this many modes are not used (the caller falls back to Euler–Maclaurin)
K_MAX = 1 << 14


class Kernel:
    """``g(y) = Σ_m p_m (arg·y)^m``: γ-free coefficients with ``p_0 = 1`` and exact ratios
    ``pstep(m) = p_{m+1}/p_m`` (mpf; ``|pstep|`` non-increasing in m), times the powers of one
    scalar ``arg`` (γ- or t-dependent).  ``degree``: None (infinite series) or the polynomial
    degree; ``value(y)``: closed form for the head; ``x_max``: largest tail argument
    ``|arg|(K+1)^{−μ}`` allowed (inside the Taylor radius); ``key``: identifies the p_m."""

    __slots__ = ("key", "arg", "pstep", "degree", "value", "x_max", "_fstep")

    def __init__(self, key, arg, pstep, degree, value, x_max=X_MAX):
        self.key, self.arg, self.pstep = key, arg, pstep
        self.degree, self.value, self.x_max = degree, value, x_max
        self._fstep = {}

    def pratio(self, m):
        """``|p_{m+1}/p_m|`` as a float."""
        r = self._fstep.get(m)
        if r is None:
            r = self._fstep[m] = abs(float(self.pstep(m)))
        return r

    @property
    def size(self):
        """Scale of the kernel's argument: ``|arg|·(degree or 1)`` (``n|c|`` = 2γ for RRS)."""
        return abs(self.arg) * (self.degree if self.degree is not None else 1)

    def ratio(self, m):
        """``|c_{m+1}/c_m|`` of the full coefficients ``c_m = p_m arg^m`` (float)."""
        return self.pratio(m) * abs(float(self.arg))


def binomial_kernel(n, c):
    """``(1 + c y)^n`` for an integer ``n ≥ 0`` (RRS at depth L: ``c = −γ/L``, ``n = 2L − j``)."""
    n = int(n)

    def value(y):
        x = c * y
        if n <= 64:
            return (1 + x) ** n
        if x > -1:
            return mpmath.exp(n * mpmath.log1p(x))
        if x == -1:
            return mpmath.mpf(0)
        mag = mpmath.exp(n * mpmath.log(-1 - x))
        return mag if n % 2 == 0 else -mag
    return Kernel(("binomial", n), c, lambda m: mpmath.mpf(n - m) / (m + 1), n, value)


def exp_kernel(c):
    """``e^{c y}`` (RRS at L = ∞: ``c = −2γ``; FS at depth 1)."""
    return Kernel(("exp",), c, lambda m: mpmath.mpf(1) / (m + 1), None,
                  lambda y: mpmath.exp(c * y))


def power_kernel(e, b):
    """``(1 + b y)^{−e}``, ``e > 0``, radius ``1/|b|`` (FS at depth L ≥ 2 and L = ∞)."""
    return Kernel(("power", exact_key(e)), b, lambda m: -(e + m) / (m + 1), None,
                  lambda y: mpmath.exp(-e * mpmath.log1p(b * y)), x_max=0.5)


@register_memo
@lru_cache(maxsize=None)
def _bernoulli_fraction(j):
    """``B_{2j}/(2j)!`` as an exact ``(p, q)`` pair of integers."""
    p, q = mpmath.bernfrac(2 * j)
    return int(p), int(q) * math.factorial(2 * j)


@register_memo
@lru_cache(maxsize=None)
def _bernoulli_ratio(j, prec):
    """``B_{2j}/(2j)!`` at binary precision ``prec``."""
    p, q = _bernoulli_fraction(j)
    with mpmath.workprec(prec):
        return mpmath.mpf(p) / q


def _direct(S, members, a0, step, k0, k1):
    """Add ``Σ_{k0≤k<k1} k^{−(a0 + i·step)}`` to ``S[i]`` for the sorted indices ``members``
    (``k^{−a0}(k^{−step})^i`` by products along i)."""
    for k in range(k0, k1):
        lk = mpmath.log(k)
        t = mpmath.exp(-(a0 + members[0] * step) * lk)
        q = mpmath.exp(-step * lk)
        prev = members[0]
        for i in members:
            if i != prev:
                t *= q if i - prev == 1 else q ** (i - prev)
                prev = i
            S[i] += t
            if not t:
                break


def _hurwitz_family(a0, step, N, J, prec):
    """``(M, err)``: ``M_i = ζ(a0 + i·step, N)`` for ``i = 0..J`` at binary precision ``prec``
    and a bound on the absolute error of each.

    ``Σ_{N≤k<N'} k^{−x}`` directly (``k^{−a0}(k^{−step})^i`` by repeated products, shared by the
    family), then Euler–Maclaurin at ``N'``; the remainder is below the first omitted term
    (k^{−x} is completely monotone).  Members whose Euler–Maclaurin series at N' stalls before
    the working precision (large x: the terms shrink like ((x + 2j)/(2πN'))²) take more direct
    terms and try again at 2N'."""
    with mpmath.workprec(prec + 20):
        dig = prec * 0.30103
        Np = max(N, int(0.8 * dig) + 8)
        S = [mpmath.mpf(0)] * (J + 1)
        _direct(S, list(range(J + 1)), a0, step, N, Np)
        errs = [None] * (J + 1)
        jmax = int(2 * dig) + 10
        pending = list(range(J + 1))
        while pending:
            lN = mpmath.log(Np)
            inv2 = mpmath.mpf(1) / (Np * Np)
            failed = []
            for i in pending:
                x = a0 + i * step
                base = mpmath.exp(-x * lN)     # Np^{−x}
                em = Np * base / (x - 1) + base / 2
                rising = x                     # (x)_{2j−1}
                pw = base / Np                 # Np^{−x−2j+1}
                goal = mpmath.mag(S[i] + em) - prec - 10      # log2 of the target
                prev = None
                for jj in range(1, jmax):
                    term = _bernoulli_ratio(jj, prec + 20) * rising * pw
                    mt = mpmath.mag(term)
                    if prev is not None and mt > prev:
                        break                  # asymptotic series: smallest term reached
                    if mt <= goal:
                        errs[i] = abs(term)
                        break
                    # a ratio that cannot reach the target within jmax terms: give up early
                    if prev is not None and jj > 4 and mt + (mt - prev) * (jmax - jj) > goal:
                        break
                    em += term
                    prev = mt
                    rising *= (x + 2 * jj - 1) * (x + 2 * jj)
                    pw *= inv2
                if errs[i] is None:
                    failed.append(i)
                else:
                    S[i] += em
            if failed:
                if Np > 1 << 20:
                    raise ConvergenceError("Hurwitz zeta family did not converge",
                                           where=f"N={Np}, members {failed[:3]}...")
                _direct(S, failed, a0, step, Np, 2 * Np)
                Np *= 2
            pending = failed
        out = []
        for i in range(J + 1):
            errs[i] = errs[i] + abs(S[i]) * mpmath.mpf(2) ** (-prec)
            out.append(+S[i])
        return out, errs


def exact_key(x) -> str:
    """A string that reproduces ``x`` exactly: an mpf by its binary mantissa/exponent, anything
    else (int, float, decimal string) by ``str`` (floats through their shortest repr, as
    :class:`solvers.spectra.PowerLaw` reads them)."""
    if isinstance(x, mpmath.mpf):
        man, exp = x.man_exp
        return f"bin:{man}:{exp}"
    return str(x)


def _from_key(key):
    if key.startswith("bin:"):
        _, man, exp = key.split(":")
        return mpmath.mpf((int(man), int(exp)))
    return mpmath.mpf(key)


class PowerLawSums:
    """Cached head tables and Hurwitz moment families of one power law ``(ν, β)``, with
    ``dim = D`` modes (None: D = ∞).  A truncation only changes the moments,
    ``ζ(x, K+1) − ζ(x, D+1)``, and the normaliser ``Z = ζ(s) − ζ(s, D+1)``."""

    def __init__(self, nu, beta, dim=None):
        self.nu_key, self.beta_key = str(nu), str(beta)
        self.dim = None if dim is None or math.isinf(float(dim)) else int(dim)
        self._heads = {}
        self._families = {}
        self._tails = {}
        self._hints = {}
        self._const = {}
        self.evaluations = 0

    # -- constants ---------------------------------------------------------------------------
    def constants(self, prec):
        """``(ν, β, s, Z)`` as mpf at binary precision ``prec``."""
        c = self._const.get(prec)
        if c is None:
            with mpmath.workprec(prec + 10):
                nu, beta = _from_key(self.nu_key), _from_key(self.beta_key)
                s = nu * beta + 1
                Z = mpmath.zeta(s)
                if self.dim is not None:   # ζ(s, D+1) by the same family machinery
                    Z -= _hurwitz_family(s, nu, self.dim + 1, 0, prec + 10)[0][0]
                c = (nu, beta, s, Z)
            self._const[prec] = c
        return c

    def step(self, kind, prec):
        """The family's step μ: ``"nu"`` → ν (RRS), ``"fs"`` → s + 2ν (FS: ω_kλ_k³ ∝ k^{−μ})."""
        nu, _, s, _ = self.constants(prec)
        return nu if kind == "nu" else s + 2 * nu

    def head(self, K, prec):
        """``(λ_k, ω_kλ_k)`` for k = 1..K (lists of mpf) at binary precision ``prec``."""
        best = None
        for (k0, p0), tab in self._heads.items():
            if p0 >= prec and k0 >= K and (best is None or (p0, k0) < best[0]):
                best = ((p0, k0), tab)
        if best is not None:
            return best[1]
        nu, _, s, Z = self.constants(prec)
        with mpmath.workprec(prec + 10):
            lam, wl = [], []
            for k in range(1, K + 1):
                lk = mpmath.log(k)
                lam.append(mpmath.exp(-nu * lk))
                wl.append(mpmath.exp(-s * lk) / Z)
        self._heads[(K, prec)] = (lam, wl)
        return lam, wl

    def family(self, kind, K, J, prec):
        """``(M, err)`` with ``M_i = ζ(s + iμ, K+1)`` for at least ``i ≤ J``, at ≥ ``prec`` bits
        (``ζ(s + iμ, K+1) − ζ(s + iμ, D+1)`` for a truncated spectrum).

        Cached per (kind, K); a longer request appends a block (members are independent: the
        block from ``J0`` is the family of ``s + J0·μ``), a more precise one recomputes with 64
        bits to spare, so that the slightly different precisions of later sums reuse it."""
        fam = self._families.get((kind, K))
        if fam is None or fam[2] < prec:
            fam = ([], [], prec + 64)
            self._families[(kind, K)] = fam
        M, E, p = fam
        if len(M) <= J:
            n_new = max(J + 1 - len(M), 32)
            _, _, s, _ = self.constants(p)
            mu = self.step(kind, p)
            with mpmath.workprec(p + 20):
                a0 = s + len(M) * mu
            m_new, e_new = _hurwitz_family(a0, mu, K + 1, n_new - 1, p)
            if self.dim is not None:   # both positive, the second much smaller: no cancellation
                m_d, e_d = _hurwitz_family(a0, mu, self.dim + 1, n_new - 1, p)
                m_new = [a - b for a, b in zip(m_new, m_d)]
                e_new = [a + b for a, b in zip(e_new, e_d)]
            M.extend(m_new)
            E.extend(e_new)
        return M, E

    # -- the sum -----------------------------------------------------------------------------
    def choose_head(self, kernel, kind, prec):
        """Smallest K (0 or a power of two minus one) with ``|c|(K+1)^{−μ} ≤ kernel.x_max``; None
        if it would exceed :data:`K_MAX`."""
        size, x_max = float(kernel.size), kernel.x_max
        if size <= x_max:
            return 0
        mu = float(self.step(kind, prec))
        need = (size / x_max) ** (1 / mu)
        K1 = 1 << max(1, math.ceil(math.log2(need)))
        if self.dim is not None and K1 - 1 >= self.dim:
            return self.dim if self.dim <= K_MAX else None   # every mode explicit
        return K1 - 1 if K1 - 1 <= K_MAX else None

    def wsum(self, kernel, kind="nu", shift=0, dps=30, atol=None, rtol=None, K=None):
        """``(value, error)`` of ``(1/Z) Σ_k k^{−s−shift·μ} g(k^{−μ})`` (see the module docstring)
        to absolute error ``atol`` or relative error ``rtol`` (default ``10^{−dps}``).

        ``kind="nu"``: ``Σ_k ω_kλ_k^{1+shift} g(λ_k)``;  ``kind="fs"``: the argument of g is
        ``k^{−(s+2ν)} = Z ω_kλ_k³``.  Returns None when the head would exceed :data:`K_MAX`
        (caller falls back to Euler–Maclaurin)."""
        self.evaluations += 1
        if rtol is None and atol is None:
            rtol = mpmath.mpf(10) ** (-dps)
        prec0 = int((dps + 5) * 3.33) + 8
        if K is None:
            K = self.choose_head(kernel, kind, prec0)
            if K is None:
                return None
        hint = self._hints.get((kernel.key, kind, shift, K))
        if hint is not None:
            extra = hint
        elif K == 0 and kernel.degree is not None:  # full polynomial: (1 + |c|)^n cancels
            extra = int(kernel.degree * math.log10(1 + abs(float(kernel.arg))))
        else:
            extra = int(2 * min(float(kernel.size), kernel.x_max) * 0.4343) + 1
        for _ in range(6):
            # digits rounded up to a multiple of 8: cached coefficient tables are shared
            digits = -(-(dps + 5 + extra) // 8) * 8
            prec = int(digits * 3.33) + 8
            val, abs_sum, trunc = self._sum(kernel, kind, shift, K, prec)
            err = abs_sum * mpmath.mpf(2) ** (-prec + 8) + trunc
            target = max(atol or 0, (rtol or 0) * abs(val))
            if err <= target:
                self._hints[(kernel.key, kind, shift, K)] = extra
                return val, err
            # mpmath's log10: err/target may exceed the float range (a huge step)
            extra += int(mpmath.log10(err / target) if target else 30) + 3
        return val, err

    def _tail_table(self, kernel, kind, shift, K, J, prec):
        """``a_m = p_m ζ(s + (m+shift)μ, K+1)/Z`` for m < J (mpf), ``log|a_m|`` (float) and the
        family's largest relative error; cached per (kernel coefficients, kind, shift, K, prec)
        and extended on demand."""
        if kernel.degree is not None:
            J = min(J, kernel.degree + 1)
        key = (kernel.key, kind, shift, K, prec)
        tab = self._tails.get(key)
        if tab is None:
            tab = self._tails[key] = [[], [], 0.0, None]   # a, log|a|, rel, last p_m
        a, la = tab[0], tab[1]
        if len(a) >= J:
            return tab
        M, Merr = self.family(kind, K, J + shift + 1, prec)
        with mpmath.workprec(prec + 10):
            Z = self.constants(prec)[3]
            p = tab[3]
            for m in range(len(a), J):
                p = mpmath.mpf(1) if m == 0 else p * kernel.pstep(m - 1)
                v = p * M[m + shift] / Z
                a.append(v)
                la.append(float(mpmath.log(abs(v))) if v else -math.inf)
                tab[2] = max(tab[2], float(Merr[m + shift] / M[m + shift]))
            tab[3] = p
        return tab

    def _sum(self, kernel, kind, shift, K, prec):
        """(value, Σ|terms| (for rounding), truncation bound) at binary precision ``prec``."""
        with mpmath.workprec(prec):
            head = abs_head = mpmath.mpf(0)
            if K:
                nu, _, s, Z = self.constants(prec)
                lam, wl = self.head(K, prec)
                for k in range(K):
                    l, w = lam[k], wl[k]
                    y = l if kind == "nu" else w * Z * l * l
                    t = w * y ** shift * kernel.value(y) if shift else w * kernel.value(y)
                    head += t
                    abs_head += abs(t)
            if self.dim is not None and K >= self.dim:      # every mode in the head
                return head, abs_head, mpmath.mpf(0)
            mu_f = float(self.step(kind, prec))
            lq = -mu_f * math.log(K + 1.0)          # log (K+1)^{−μ}: M_{i+1} ≤ e^{lq} M_i
            arg = kernel.arg
            larg = math.log(abs(float(arg))) if arg else -math.inf
            deg = kernel.degree
            farg, eq = abs(float(arg)), math.exp(lq)
            J = 48 if deg is None else min(deg + 1, 48)
            while True:
                a, la, rel, _ = self._tail_table(kernel, kind, shift, K, J, prec)
                # terms τ_m = |a_m| |arg|^m (logs); stop when the geometric bound of the rest is
                # below 2^{−prec} Σ τ (negligible next to the rounding bound)
                top = -math.inf
                n_terms, trunc_log = None, -math.inf
                lim = -prec * 0.6931
                for m in range(len(a)):
                    lt = la[m] + (m * larg if m else 0.0)
                    top = max(top, lt)
                    if deg is not None and m >= deg:
                        n_terms = m + 1
                        break
                    r = kernel.pratio(m) * farg * eq
                    if r == 0:                       # arg = 0: the rest vanishes
                        n_terms = m + 1
                        break
                    if r < 1 and lt + math.log(r / (1 - r)) < top + lim:
                        n_terms, trunc_log = m + 1, lt + math.log(r / (1 - r))
                        break
                if n_terms is not None:
                    break
                J = len(a) + 32
                if J > 1 << 14:
                    raise ConvergenceError("zeta-moment series did not converge",
                                           where=f"kernel={kernel.key}, arg={mpmath.nstr(arg, 8)}")
            tail = mpmath.mpf(0)
            for m in range(n_terms - 1, -1, -1):
                tail = tail * arg + a[m]
            # Σ τ_m (float, via the largest term) for the rounding / family-error bound
            tau = math.fsum(math.exp(la[m] + (m * larg if m else 0.0) - top)
                            for m in range(n_terms))
            abs_tail = mpmath.mpf(tau) * mpmath.exp(top)
            abs_sum = abs_head + abs_tail * (1 + rel * 2 ** prec)
            trunc = mpmath.exp(trunc_log) if trunc_log > -math.inf else mpmath.mpf(0)
            return head + tail, abs_sum, trunc


@register_memo
@lru_cache(maxsize=64)
def power_law_sums(nu_key: str, beta_key: str, dim=None) -> PowerLawSums:
    """The cached :class:`PowerLawSums` of ``(ν, β)`` (keys: :func:`exact_key` strings) and
    ``dim`` (None or inf: D = ∞)."""
    return PowerLawSums(nu_key, beta_key, dim)


def exp_asymptotic(sums: PowerLawSums, shift, c, prec):
    """``(value, error bound)`` of ``(1/Z) Σ_k k^{−s−shift·ν} e^{−ck^{−ν}}`` from the Mellin
    asymptotics ``Γ(α)c^{−α}/(νZ)``, ``α = β + shift``, error :func:`exp_remainder_bound`."""
    nu, beta, s, Z = sums.constants(prec)
    with mpmath.workprec(prec):
        a = s + shift * nu
        al = beta + shift
        val = mpmath.gamma(al) * c ** (-al) / (nu * Z)
        return val, exp_remainder_bound(a, nu, c) / Z


def exp_remainder_bound(a, nu, c):
    """Bound on ``|Σ_k k^{−a}e^{−ck^{−ν}} − Γ(α)c^{−α}/ν|``.

    Poisson summation (f and all its derivatives vanish at k = 0) leaves
    ``2 Re Σ_{m≥1} ∫_0^∞ x^{−a} e^{−cx^{−ν} + 2πimx} dx``.  Each integral has one saddle,
    ``x*^{ν+1} = i cν/(2πm)``, with ``Re φ(x*) = −(1 + 1/ν) sin(π/(2ν+2)) 2πm |x*|`` and
    ``|φ''| = cν(ν+1)|x*|^{−ν−2}``: magnitude ``2|x*|^{−a} e^{Re φ} √(2π/|φ''|)``.  The sum over m
    converges super-exponentially; m ≤ 3 is kept and the whole is doubled for the O(1/|x*|)
    corrections of the saddle-point approximation (measured within 0.4 % of the true remainder's
    envelope on ν ∈ {1.1, 1.5, 3}, β ∈ {0.3, 1}, c ∈ [100, 2000])."""
    out = mpmath.mpf(0)
    sn = mpmath.sin(mpmath.pi / (2 * (nu + 1)))
    for m in range(1, 4):
        w = 2 * mpmath.pi * m
        r = (c * nu / w) ** (1 / (nu + 1))
        expo = -w * r * (1 + 1 / nu) * sn
        d2 = c * nu * (nu + 1) * r ** (-nu - 2)
        out += 2 * r ** (-a) * mpmath.exp(expo) * mpmath.sqrt(2 * mpmath.pi / d2)
    return 2 * out
