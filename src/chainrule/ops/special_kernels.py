"""Special functions on backend arrays: log-gamma, digamma and polygamma, erf, erfc, erfinv,
the incomplete gamma functions.

The numerics behind the table's part ``ops.special`` (and the rule namespace ``ArrayNS``,
whose ``digamma``/``polygamma`` the derivative rules call). Each takes the array namespace
``xp`` and a floating array and computes in float64 whatever the input's precision
(float32 and float16 are rounded once at the end), by textbook methods a reader can check:

lgamma      for 0.5 <= x < 6 the power series around 2 (after the recurrence); elsewhere for
            x >= 0 the recurrence Gamma(x + 1) = x Gamma(x) lifts x to z >= 10, where
            Stirling's series with Bernoulli numbers is exact to float64; for x < 0 the
            reflection lgamma(x) = log(pi / |sin(pi x)|) - lgamma(1 - x)
polygamma   psi^(n) for n >= 0 (n = 0 is digamma): the same lift with
            psi^(n)(x) = psi^(n)(x + 1) - (-1)^(n+1) n! / x^(n+1) and the asymptotic series
            at z >= 10 + n; for x < 0 the n-th derivative of psi(1-x) - psi(x) = pi cot(pi x),
            a polynomial in cot(pi x) (``_cot_derivative``)
erf, erfc   the series erf(x) = 2/sqrt(pi) exp(-x^2) sum 2^k x^(2k+1) / (1*3*...*(2k+1))
            (all terms positive: no cancellation) for |x| < 2, Laplace's continued fraction
            for erfc from 1 on; exp(-x^2) is formed from x split in two (no rounding of x^2)
erfinv      a closed-form first guess refined by Halley steps on erf (on erfc near +-1)
gammainc    the regularized incomplete gamma functions P and Q: the series of P below
            x = a + 1, Legendre's continued fraction of Q above (modified Lentz)
standard_gamma_grad   the gamma sampler's implicit-reparameterization gradient

At the poles: lgamma(x) = inf at 0, -0 and the negative integers; digamma(0) = -inf,
digamma(-0) = inf, digamma(-k) = nan; polygamma(n, pole) = (-1)^(n+1) inf. These are
PyTorch's values, except PyTorch's trigamma at the negative integers (a large finite number
from sin(pi x) rounding, e.g. 6.6e32 at -1; here inf).

>>> import numpy as np
>>> from chainrule.ops.special_kernels import lgamma, polygamma
>>> lgamma(np, np.array([1.0, 3.0, 0.5])).round(12).tolist()
[0.0, 0.69314718056, 0.572364942925]
>>> polygamma(np, 1, np.array([1.0])).round(12).tolist()  # pi^2 / 6
[1.644934066848]
"""

from __future__ import annotations

import math
from fractions import Fraction

from .. import backend as _backend

# Bernoulli numbers B_2, B_4, ..., B_20
_B2K = [
    Fraction(1, 6),
    Fraction(-1, 30),
    Fraction(1, 42),
    Fraction(-1, 30),
    Fraction(5, 66),
    Fraction(-691, 2730),
    Fraction(7, 6),
    Fraction(-3617, 510),
    Fraction(43867, 798),
    Fraction(-174611, 330),
]
_HALF_LOG_2PI = 0.5 * math.log(2 * math.pi)
_LIFT = 10.0  # the asymptotic series are used from here on (10 terms)


def _per_block(kernel):
    """``kernel(xp, *args)``, elementwise, run per chunk on a backend that asks for it (Dask:
    the kernels' loops and selections would make graphs of thousands of tasks per chunk;
    ``xp.per_block`` runs the NumPy kernel on each chunk as one task)."""

    def run(xp, *args):
        if xp is not _default:
            each = getattr(xp, "per_block", None)
            if each is not None:
                return each(kernel, *args)
        return kernel(xp, *args)

    run.__name__ = run.__qualname__ = kernel.__name__
    run.__doc__ = kernel.__doc__
    run.kernel = kernel
    return run


_default = _backend.default


def _f64(xp, x):
    return xp.asarray(x, dtype=xp.float64)


def _back(xp, r, x):
    return _backend.astype(r, x.dtype, copy=False) if x.dtype != xp.float64 else r


def _frac_pi(xp, x):
    """x - round(x), exactly: sin(pi x) and cot(pi x) from it lose nothing to pi * x."""
    return x - xp.round(x)


def _lift(xp, x, lo):
    """(z, steps): z = x + k >= lo with k the smallest such non-negative integer per element
    (x >= 0), and the list of boolean masks of the elements lifted at each step."""
    z = x
    masks = []
    for _ in range(int(lo) + 1):
        m = z < lo
        if not _backend.any_true(m):
            break
        masks.append((m, z))
        z = xp.where(m, z + 1.0, z)
    return z, masks


# --------------------------------------------------------------------------- lgamma
def _lgamma_pos(xp, x):
    """lgamma for x >= 0 (and nan)."""
    z, masks = _lift(xp, x, _LIFT)
    p = xp.ones_like(x)
    for m, zk in masks:
        p = xp.where(m, p * zk, p)
        # keep p in range: lift at most ~16 factors of size <= 16, so no overflow
    r = z * z
    s = xp.zeros_like(x)
    zp = z
    for k, b in enumerate(_B2K, start=1):
        s = s + float(b / (2 * k * (2 * k - 1))) / zp
        zp = zp * r
    st = (z - 0.5) * xp.log(z) - z + _HALF_LOG_2PI + s
    return xp.where(xp.isinf(x), xp.inf, st - xp.log(p))


def _zeta_minus_one(k: int) -> float:
    """zeta(k) - 1 = sum_{n >= 2} n^-k: 200 terms (smallest first) and the Euler-Maclaurin
    tail (its next term is below 1e-18)."""
    n = 200
    s = math.fsum(m ** -float(k) for m in range(n - 1, 1, -1))
    # tail sum_{m >= n} m^-k = n^(1-k)/(k-1) + n^-k/2 + k n^(-k-1)/12 - k(k+1)(k+2) n^(-k-3)/720
    s += n ** (1.0 - k) / (k - 1) + 0.5 * n**-k + k * n ** (-k - 1.0) / 12
    s -= k * (k + 1) * (k + 2) * n ** (-k - 3.0) / 720
    return s


_EULER_GAMMA = 0.5772156649015329
# lgamma(2 + z) = (1 - gamma) z + sum_{k >= 2} (-1)^k (zeta(k) - 1) / k z^k, for |z| <= 1/2
_LGAMMA2 = [0.0, 1.0 - _EULER_GAMMA] + [(-1) ** k * _zeta_minus_one(k) / k for k in range(2, 32)]


def _lgamma_mid(xp, x):
    """lgamma for 0.5 <= x < 6: moved to y in [1.5, 2.5) by Gamma(x + 1) = x Gamma(x), then
    the power series around 2 (exactly 0 at x = 1 and x = 2, as PyTorch's)."""
    y = xp.where(x < 1.5, x + 1.0, x)
    p = xp.where(x < 1.5, 1.0 / x, 1.0)
    for _ in range(4):
        m = y >= 2.5
        y = xp.where(m, y - 1.0, y)
        p = xp.where(m, p * y, p)
    z = y - 2.0
    s = xp.full_like(x, _LGAMMA2[-1])
    for c in reversed(_LGAMMA2[:-1]):
        s = s * z + c
    return s + xp.log(p)


@_per_block
def lgamma(xp, x):
    """log |Gamma(x)|, elementwise (inf at 0 and the negative integers)."""
    a = _f64(xp, x)
    with _backend.quiet(xp):
        neg = a < 0
        b = xp.where(neg, 1.0 - a, a)
        mid = (b >= 0.5) & (b < 6.0)
        pos = xp.where(mid, _lgamma_mid(xp, xp.where(mid, b, 2.0)), _lgamma_pos(xp, b))
        f = _frac_pi(xp, a)
        refl = math.log(math.pi) - xp.log(xp.abs(xp.sin(math.pi * f))) - pos
        r = xp.where(neg, xp.where(xp.isinf(a), xp.inf, refl), pos)
    return _back(xp, r, x)


# ------------------------------------------------------------------ digamma, polygamma
def _cot_derivative(n: int) -> list[int]:
    """Coefficients (lowest power first) of the polynomial Q_n with
    d^n/du^n cot(u) = Q_n(cot u): Q_0 = c, Q_{m+1} = -(1 + c^2) Q_m'(c)."""
    q = [0, 1]
    for _ in range(n):
        d = [i * q[i] for i in range(1, len(q))]  # Q'
        nq = [0] * (len(d) + 2)
        for i, c in enumerate(d):
            nq[i] -= c
            nq[i + 2] -= c
        q = nq
    return q


def _polygamma_pos(xp, n: int, x):
    """psi^(n)(x) for x >= 0 by the lift and the asymptotic series."""
    lo = _LIFT + n
    z, masks = _lift(xp, x, lo)
    acc = xp.zeros_like(x)
    for m, zk in masks:
        acc = xp.where(m, acc + (1.0 / zk if n == 0 else zk ** -(n + 1.0)), acc)
    zi = 1.0 / z
    z2 = zi * zi
    if n == 0:
        s = xp.zeros_like(x)
        zp = z2
        for k, b in enumerate(_B2K, start=1):
            s = s + float(b / (2 * k)) * zp
            zp = zp * z2
        return xp.log(z) - 0.5 * zi - s - acc
    sign = 1.0 if n % 2 else -1.0
    # (n-1)!/z^n + n!/(2 z^(n+1)) + sum_k B_2k (2k+n-1)!/(2k)! / z^(2k+n)
    zn = zi**n
    s = math.factorial(n - 1) + math.factorial(n) * 0.5 * zi
    zp = z2
    for k, b in enumerate(_B2K, start=1):
        c = b * Fraction(math.factorial(2 * k + n - 1), math.factorial(2 * k))
        s = s + float(c) * zp
        zp = zp * z2
    return sign * (s * zn + math.factorial(n) * acc)


@_per_block
def polygamma(xp, n: int, x):
    """psi^(n)(x), the n-th derivative of digamma (n = 0: digamma), elementwise."""
    a = _f64(xp, x)
    with _backend.quiet(xp):
        if n > 0:
            a = xp.where(a == 0, 0.0, a)  # -0 is 0 here (a pole of one sign)
        neg = a < 0
        pos = _polygamma_pos(xp, n, xp.where(neg, 1.0 - a, a))
        f = _frac_pi(xp, a)
        # cot(pi f), from tan of an argument <= pi/4 (exact 0.5 - |f|): no digits lost
        # near f = +-1/2, where cot is small
        af = xp.abs(f)
        c = xp.where(
            af <= 0.25, 1.0 / xp.tan(math.pi * f), xp.sign(f) * xp.tan(math.pi * (0.5 - af))
        )
        coefs = _cot_derivative(n)
        q = xp.full_like(a, float(coefs[-1]))  # Horner (no 0 * inf at c = +-inf)
        for coef in reversed(coefs[:-1]):
            q = q * c + coef
        refl = (-1.0) ** n * pos - math.pi ** (n + 1) * q
        r = xp.where(neg, refl, pos)
        pole = neg & (f == 0)
        if n == 0:
            r = xp.where(pole | xp.isneginf(a), xp.nan, r)
            r = xp.where(xp.isposinf(a), xp.inf, r)
        else:
            r = xp.where(pole, (-1.0) ** (n + 1) * xp.inf, r)
            if n == 1:
                r = xp.where(xp.isposinf(a), 0.0, xp.where(xp.isneginf(a), xp.nan, r))
            else:  # PyTorch's (Hurwitz zeta's) values at the infinities
                r = xp.where(xp.isposinf(a), xp.nan, r)
                r = xp.where(xp.isneginf(a), (-1.0) ** (n + 1) * xp.inf, r)
    return _back(xp, r, x)


@_per_block
def digamma(xp, x):
    """psi(x) = d/dx lgamma(x), elementwise."""
    return polygamma(xp, 0, x)


# ---------------------------------------------------------------------- erf, erfc
_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)
_SPLIT = 2.0  # erf's series below, erfc's continued fraction from here on


def _exp_minus_sq(xp, x):
    """exp(-x^2) without the rounding of x^2: x = h + l with h on a 1/64 grid (h^2 exact)."""
    h = xp.floor(x * 64.0) / 64.0
    lo = x - h
    return xp.exp(-h * h) * xp.exp(-lo * (x + h))


def _erf_series(xp, x):
    """erf(x) for |x| <= _SPLIT: 2/sqrt(pi) exp(-x^2) sum_k 2^k x^(2k+1) / (2k+1)!!."""
    t = x
    s = x
    x2 = 2.0 * x * x
    for k in range(1, 200):
        t = t * x2 / (2 * k + 1)
        s = s + t
        if not _backend.any_true(xp.abs(t) > 1e-17 * xp.abs(s)):
            break
    return _TWO_OVER_SQRT_PI * _exp_minus_sq(xp, x) * s


def _erfc_cf(xp, x):
    """erfc(x) for x >= 1: exp(-x^2)/sqrt(pi) / (x + (1/2)/(x + 1/(x + (3/2)/(x + ...)))),
    evaluated from the tail (200 terms: float64 precision from x = 1 on)."""
    t = x
    for k in range(200, 0, -1):
        t = x + (0.5 * k) / t
    return _exp_minus_sq(xp, x) / (math.sqrt(math.pi) * t)


@_per_block
def erf(xp, x):
    """The error function, elementwise."""
    a = _f64(xp, x)
    with _backend.quiet(xp):
        ax = xp.abs(a)
        small = ax < _SPLIT
        s = _erf_series(xp, xp.where(small, a, 0.0))
        c = 1.0 - _erfc_cf(xp, xp.minimum(xp.where(small, _SPLIT, ax), 30.0))
        r = xp.where(small, s, xp.where(a < 0, -c, c))
        r = xp.where(a == 0, a, r)  # erf(-0) = -0
    return _back(xp, r, x)


@_per_block
def erfc(xp, x):
    """1 - erf(x), accurate where it is small (x large), elementwise: 1 - erf(x) below
    x = 1 (at most a digit lost there), the continued fraction from 1 on."""
    a = _f64(xp, x)
    with _backend.quiet(xp):
        small = a < 1.0
        s = 1.0 - erf(xp, xp.where(small, a, 0.0))
        c = _erfc_cf(xp, xp.minimum(xp.where(small, 1.0, a), 30.0))
        r = xp.where(small, s, c)
    return _back(xp, r, x)


# ------------------------------------------------------------------------- erfinv
@_per_block
def erfinv(xp, x):
    """The inverse of erf on [-1, 1] (+-inf at +-1, nan outside), elementwise."""
    a = _f64(xp, x)
    with _backend.quiet(xp):
        ax = xp.abs(a)
        # Winitzki's closed form (relative error ~ 2e-3), then Halley's method
        k = 0.147
        ln = xp.log1p(-ax * ax)
        u = 2.0 / (math.pi * k) + 0.5 * ln
        y = xp.sqrt(xp.sqrt(u * u - ln / k) - u)
        y = xp.where(ax < 1, y, 1.0)
        tail = ax > 0.5
        target = xp.where(tail, 1.0 - ax, ax)  # exact (Sterbenz) where used
        for _ in range(4):
            fy = xp.where(tail, erfc(xp, y) - target, erf(xp, y) - target)
            d = _TWO_OVER_SQRT_PI * _exp_minus_sq(xp, y)
            step = xp.where(tail, -fy / d, fy / d)  # f / f'
            y = y - step / (1.0 + y * step)
        y = xp.where(ax == 1, xp.inf, xp.where(ax > 1, xp.nan, y))
        r = xp.where(a < 0, -y, xp.where(a == 0, a, y))
    return _back(xp, r, x)


# ------------------------------------------------------ the incomplete gamma function
def _igamma_parts(xp, a, x):
    """(P, Q), the regularized lower and upper incomplete gamma functions, for a > 0, x > 0:
    the series P = x^a e^-x / Gamma(a+1) sum_n x^n / ((a+1)...(a+n)) where x < a + 1, else
    Legendre's continued fraction for Q (modified Lentz), each to float64 precision."""
    ser = x < a + 1
    # series (on the elements that use it; the others get a harmless stand-in)
    aa, xx = xp.where(ser, a, 1.0), xp.where(ser, x, 0.5)
    term = 1.0 / aa
    total = term
    ap = aa
    for _ in range(5000):
        ap = ap + 1.0
        term = term * xx / ap
        total = total + term
        if not _backend.any_true(xp.abs(term) > 1e-17 * xp.abs(total)):
            break
    p_ser = total * xp.exp(aa * xp.log(xx) - xx - lgamma(xp, aa))
    # continued fraction
    aa, xx = xp.where(ser, 1.0, a), xp.where(ser, 3.0, x)
    tiny = 1e-300
    b = xx + 1.0 - aa
    c = xp.full_like(b, 1.0 / tiny)
    d = 1.0 / b
    h = d
    done = ser  # (those take the series)
    for i in range(1, 5000):
        an = -i * (i - aa)
        b = b + 2.0
        d = an * d + b
        d = xp.where(xp.abs(d) < tiny, tiny, d)
        c = b + an / c
        c = xp.where(xp.abs(c) < tiny, tiny, c)
        d = 1.0 / d
        step = d * c
        h = xp.where(done, h, h * step)  # converged elements stay (no drift of roundings)
        done = done | (xp.abs(step - 1.0) <= 4.5e-16)
        if _backend.all_true(done):
            break
    q_cf = xp.exp(aa * xp.log(xx) - xx - lgamma(xp, aa)) * h
    return xp.where(ser, p_ser, 1.0 - q_cf), xp.where(ser, 1.0 - p_ser, q_cf)


def _igamma(xp, a, x, upper: bool):
    aa, xx = _f64(xp, a), _f64(xp, x)
    with _backend.quiet(xp):
        ok = (aa > 0) & (xx > 0) & xp.isfinite(aa) & xp.isfinite(xx)
        p, q = _igamma_parts(xp, xp.where(ok, aa, 1.0), xp.where(ok, xx, 1.0))
        r = q if upper else p
        # the edges, as PyTorch's: x = 0 gives P = 0; x = inf gives P = 1; a = inf gives
        # P = 0; a = 0 (x > 0) gives P = 1; nan for a < 0, x < 0, a = x = 0 and nan inputs
        lo = xp.where((xx == 0) & (aa > 0), 0.0, xp.nan)
        lo = xp.where((xx == xp.inf) & (aa > 0) & xp.isfinite(aa), 1.0, lo)
        lo = xp.where((aa == xp.inf) & (xx >= 0) & xp.isfinite(xx), 0.0, lo)
        lo = xp.where((aa == 0) & (xx > 0), 1.0, lo)
        edge = lo if not upper else xp.where(xp.isnan(lo), xp.nan, 1.0 - lo)
        r = xp.where(ok, r, edge)
    dtype = xp.result_type(getattr(a, "dtype", xp.float64), getattr(x, "dtype", xp.float64))
    return _backend.astype(r, dtype, copy=False)


@_per_block
def gammainc(xp, a, x):
    """P(a, x), the regularized lower incomplete gamma function, elementwise."""
    return _igamma(xp, a, x, upper=False)


@_per_block
def gammaincc(xp, a, x):
    """Q(a, x) = 1 - P(a, x), accurate where it is small, elementwise."""
    return _igamma(xp, a, x, upper=True)


# ------------------------------------------------------- the gamma sampler's gradient
@_per_block
def standard_gamma_grad(xp, alpha, x):
    """dx/dalpha for x ~ Gamma(alpha, 1) drawn by inversion at a fixed quantile u = P(alpha, x)
    (implicit reparameterization): -(dP/dalpha) / (dP/dx), P the regularized lower incomplete
    gamma function. dP/dx = x^(alpha-1) e^-x / Gamma(alpha); dP/dalpha from the series
    P = sum_n t_n, t_n = e^-x x^(alpha+n) / Gamma(alpha+n+1), whose terms differentiate to
    t_n (log x - psi(alpha+n+1)), with psi(alpha+n+1) = psi(alpha+1) + sum_{j<=n} 1/(alpha+j)."""
    a = _f64(xp, alpha)
    v = _f64(xp, x)
    with _backend.quiet(xp):
        logx = xp.log(v)
        t = xp.exp(-v + a * logx - lgamma(xp, a + 1.0))
        psi = digamma(xp, a + 1.0)
        s = t * (logx - psi)
        for n in range(1, 20000):
            t = t * v / (a + n)
            psi = psi + 1.0 / (a + n)
            d = t * (logx - psi)
            s = s + d
            # terms grow while x > alpha + n, then fall off
            if n > 8 and not _backend.any_true((xp.abs(d) > 1e-17 * xp.abs(s)) | (v > a + n)):
                break
        dpdx = xp.exp((a - 1.0) * logx - v - lgamma(xp, a))
        r = -s / dpdx
    return _back(xp, r, x)
