"""THE TABLE, part 11: more elementwise math. hypot, fmod, logaddexp, logit, fmax, ...

Each row here is elementwise, so its vjp rules are its jvp rules (``DIAGONAL``, as in
``ops.elementwise``). These get rows of their own rather than being composed from part 1,
for one of three reasons, said beside each: a stable forward (hypot, logaddexp: no
overflow of x * x or exp(x)), PyTorch's choice at a kink or pole (fmax's ties, logit's eps,
copysign at 0, sinc at 0), or PyTorch's node name where a learner sees it
(``Exp2Backward0``, ``ClampMinBackward0``).

Forwards use the array API standard's functions where it has them (hypot, copysign,
logaddexp, trunc, remainder...), and NumPy's own (fmod, sinc, exp2) only where the
namespace offers them, so the rows run on NumPy, CuPy, Dask and array-api-strict alike.

The PyTorch-named functions over these rows are ``chainrule.functions.math_extra``.
"""

from __future__ import annotations

import math

from .. import backend as _backend
from .elementwise import CLAMP, CLAMP_T, _defew, _int_div_check, _is_int
from .primitive import PASS, alias, defop
from .reduction import _like

_LN2 = math.log(2.0)
_PI = math.pi


def _isnan(x):
    return x != x


# ------------------------------------------------------------------ clamp's halves
# clamp_min(x, v) = clamp(x, min=v): clamp's forwards and rules under PyTorch's node names
def _clamp_min_fwd(xp, x, *, min, max):
    return CLAMP.fwd(xp, x, min=min, max=max)  # (max is None: clamp's rule reads both)


CLAMP_MIN = alias(CLAMP, "clamp_min", grad_fn="ClampMinBackward0", fwd=_clamp_min_fwd)
CLAMP_MAX = alias(CLAMP_MIN, "clamp_max", grad_fn="ClampMaxBackward0")  # (min is None)


def _clamp_half_t_fwd(xp, x, lo, hi):
    return CLAMP_T.fwd(xp, x, lo, hi)  # (one of lo, hi is None)


def _x_kept(x, lo, hi):
    """Where clamp_min (clamp_max) keeps x: x >= lo (x <= hi); False against a NaN bound."""
    return x >= lo if hi is None else x <= hi


# clamp's rules in reverse mode; forward mode is PyTorch's formula for these two ops,
# not clamp's: x's tangent where x is kept (at a tie too), else the bound's (a NaN too)
CLAMP_MIN_T = defop(
    "clamp_min_tensor",
    _clamp_half_t_fwd,
    CLAMP_T.vjp,
    grad_fn="ClampMinBackward1",
    promote=True,
    broadcast=True,
    jvp=(
        lambda t, x, lo, hi: t * _x_kept(x, lo, hi),
        lambda t, x, lo: t * ~(x >= lo),
        lambda t, x, hi: t * ~(x <= hi),
    ),
    kink="reverse: ties give all to x; forward: x's tangent at a tie, the bound's where it is NaN",
)
CLAMP_MAX_T = alias(CLAMP_MIN_T, "clamp_max_tensor", grad_fn="ClampMaxBackward1")


# ------------------------------------------------------------------ two inputs
def _hypot(xp, x, y):
    return xp.hypot(x, y)  # scaled inside: no overflow of x * x


# d hypot = (x dx + y dy) / hypot: PyTorch's formula, NaN at (0, 0) as there (0 / 0)
HYPOT = _defew(
    "hypot",
    _hypot,
    (lambda g, x, out: g * (x / out), lambda g, y, out: g * (y / out)),
    promote=True,
    broadcast=True,
    kink="NaN at (0, 0) (0 / 0), as PyTorch",
)


def _fmod(xp, x, y):
    if _is_int(x) and _is_int(y):
        _int_div_check(y)  # PyTorch raises ZeroDivisionError for integers
    f = getattr(xp, "fmod", None)
    if f is not None:
        return f(x, y)
    # the standard has only remainder (the sign of y): fmod has the sign of x
    r = xp.remainder(x, y)
    return xp.where((r != 0) & ((r < 0) != (x < 0)), r - y, r)


def _trunc_div(ns, x, y):
    """trunc(x / y) with no derivative of its own (a step function)."""
    q = x / y
    return ns.where(q < 0, -ns.floor(-q), ns.floor(q))


# fmod(x, y) = x - trunc(x / y) * y: d/dx = 1, d/dy = -trunc(x / y) (PyTorch's)
FMOD = _defew(
    "fmod",
    _fmod,
    (PASS, lambda ns, g, x, y: -g * _trunc_div(ns, x, y)),
    promote=True,
    broadcast=True,
    grad_fn="FmodBackward1",
    kink="jumps where x / y is an integer: the one-sided slopes 1 and -trunc(x / y)",
)
FMOD_S = alias(FMOD, "fmod_scalar", grad_fn="FmodBackward0")  # fmod(x, number)


def _logaddexp_x(ns, g, x, y):
    # d/dx log(e^x + e^y) = 1 / (1 + e^(y - x)): PyTorch's form (exp of a difference)
    return g / (1 + ns.exp(y - x))


def _logaddexp_y(ns, g, x, y):
    return g / (1 + ns.exp(x - y))


LOGADDEXP = _defew(
    "logaddexp",
    lambda xp, x, y: xp.logaddexp(x, y),
    (_logaddexp_x, _logaddexp_y),
    promote=True,
    broadcast=True,
)


def _logaddexp2(xp, x, y):
    f = getattr(xp, "logaddexp2", None)
    if f is not None:
        return f(x, y)
    return xp.logaddexp(x * _LN2, y * _LN2) / _LN2


def _pow2(ns, d):
    return ns.exp(d * _LN2)


LOGADDEXP2 = _defew(
    "logaddexp2",
    _logaddexp2,
    (
        lambda ns, g, x, y: g / (1 + _pow2(ns, y - x)),
        lambda ns, g, x, y: g / (1 + _pow2(ns, x - y)),
    ),
    promote=True,
    broadcast=True,
)


def _copysign(xp, x, y):
    return xp.copysign(x, y)


# copysign(x, y) = |x| sgn(y): d/dx = out / x, 0 at x == 0 (PyTorch's); d/dy = 0
COPYSIGN = _defew(
    "copysign",
    _copysign,
    (
        lambda ns, g, x, out: ns.where(x == 0, 0.0, g * (out / ns.where(x == 0, 1.0, x))),
        lambda ns, g: ns.zeros_like(g),
    ),
    promote=True,
    to_float=True,
    broadcast=True,
    kink="d/dx is 0 at x == 0; d/dy is 0 everywhere",
)
COPYSIGN_S = alias(COPYSIGN, "copysign_scalar", grad_fn="CopysignBackward1")  # y a number


def _fmax(xp, x, y):
    # the larger, a NaN side ignored (NaN only where both are)
    return xp.where(_isnan(y), x, xp.where(_isnan(x), y, xp.maximum(x, y)))


def _fmin(xp, x, y):
    return xp.where(_isnan(y), x, xp.where(_isnan(x), y, xp.minimum(x, y)))


# PyTorch's rules: at a tie x gets all of it (not maximum's halves); a NaN y sends it to x
def _x_wins_max(x, y):
    return (x >= y) | _isnan(y)


def _x_wins_min(x, y):
    return (x <= y) | _isnan(y)


_FTIES = "a tie gives x all of the gradient; a NaN side gives it to the other"


def _x_above(x, y):
    # fmax's forward mode (PyTorch's formula): x's tangent only where x > y (or y is NaN);
    # at a tie y's, though reverse mode gives the tie to x
    return (x > y) | _isnan(y)


FMAX = defop(
    "fmax",
    _fmax,
    (
        lambda ns, g, x, y: ns.where(_x_wins_max(x, y), g, 0.0),
        lambda ns, g, x, y: ns.where(_x_wins_max(x, y), 0.0, g),
    ),
    jvp=(lambda t, x, y: t * _x_above(x, y), lambda t, x, y: t * ~_x_above(x, y)),
    promote=True,
    broadcast=True,
    kink=_FTIES + " (forward mode: y's tangent at a tie, as PyTorch's)",
)
FMIN = _defew(
    "fmin",
    _fmin,
    (
        lambda ns, g, x, y: ns.where(_x_wins_min(x, y), g, 0.0),
        lambda ns, g, x, y: ns.where(_x_wins_min(x, y), 0.0, g),
    ),
    promote=True,
    broadcast=True,
    kink=_FTIES,
)


# lerp(a, b, w) = a + w (b - a); PyTorch's kernel computes b - (b - a)(1 - w) where |w| >=
# 0.5 (exact at w == 1). The weight a number (LerpBackward0) or a tensor (LerpBackward1).
def _lerp(xp, a, b, w):
    d = b - a
    if isinstance(w, (int, float)):
        return a + w * d if abs(w) < 0.5 else b - d * (1 - w)
    return xp.where(abs(w) < 0.5, a + w * d, b - d * (1 - w))


def _lerp_s(xp, a, b, *, weight):
    return _lerp(xp, a, b, weight)


LERP = _defew(
    "lerp",
    _lerp_s,
    (lambda g, weight: g * (1 - weight), lambda g, weight: g * weight),
    promote=True,
    broadcast=True,
)
LERP_T = _defew(
    "lerp_tensor",
    _lerp,
    (
        lambda g, w: g * (1 - w),
        lambda g, w: g * w,
        lambda g, a, b: g * (b - a),
    ),
    promote=True,
    broadcast=True,
    grad_fn="LerpBackward1",
)


# addcmul(x, t1, t2, value) = x + value * t1 * t2; addcdiv: x + value * t1 / t2
ADDCMUL = _defew(
    "addcmul",
    lambda xp, x, t1, t2, *, value: x + value * (t1 * t2),
    (PASS, lambda g, t2, value: g * (t2 * value), lambda g, t1, value: g * (t1 * value)),
    promote=True,
    broadcast=True,
)
ADDCDIV = _defew(
    "addcdiv",
    lambda xp, x, t1, t2, *, value: x + value * (t1 / t2),
    (
        PASS,
        lambda g, t2, value: g * (value / t2),
        lambda g, t1, t2, value: -g * (value * t1 / (t2 * t2)),
    ),
    promote=True,
    broadcast=True,
)


# ------------------------------------------------------------------ one input
def _exp2(xp, x):
    f = getattr(xp, "exp2", None)
    return f(x) if f is not None else xp.pow(2.0, x)


EXP2 = _defew("exp2", _exp2, lambda g, out: g * (out * _LN2), to_float=True)


def _no_int(kernel):
    def check(x):
        k = x.dtype.kind
        if k in "biu":
            raise NotImplementedError(
                f"\"{kernel}\" not implemented for '{_KIND_NAMES.get(x.dtype.name, k)}'"
            )

    return check


_KIND_NAMES = {
    "bool": "Bool",
    "int64": "Long",
    "int32": "Int",
    "int16": "Short",
    "int8": "Char",
    "uint8": "Byte",
}


def _frac(xp, x):
    _no_int("frac_cpu")(x)
    return x - xp.trunc(x)


FRAC = _defew("frac", _frac, PASS, kink="jumps at the integers: the slope 1 on both sides")
_D2R = _PI / 180.0
_R2D = 180.0 / _PI
DEG2RAD = _defew(
    "deg2rad", lambda xp, x: x * _D2R, lambda g: g * _D2R, to_float=True, grad_fn="Deg2RadBackward0"
)
RAD2DEG = _defew(
    "rad2deg", lambda xp, x: x * _R2D, lambda g: g * _R2D, to_float=True, grad_fn="Rad2DegBackward0"
)


def _nan_to_num(xp, x, *, nan, posinf, neginf):
    if x.dtype.kind not in "fc":
        return _backend.copy(x)  # integers and bools hold no NaN or inf
    r = xp.where(_isnan(x), xp.asarray(nan, dtype=x.dtype), x)
    r = xp.where(r == math.inf, xp.asarray(posinf, dtype=x.dtype), r)
    return xp.where(r == -math.inf, xp.asarray(neginf, dtype=x.dtype), r)


# the gradient passes where x is finite, 0 where it was replaced: PyTorch's product with
# the mask (not a selection: a NaN or inf gradient stays NaN there, as in PyTorch)
NAN_TO_NUM = _defew(
    "nan_to_num",
    _nan_to_num,
    lambda ns, g, x: g * _like((x == x) & (ns.abs(x) != math.inf), g),
    kink="0 where x is NaN or infinite (replaced by a constant)",
)


def _sinc(xp, x):
    # sin(pi x) / (pi x), 1 at 0 (NumPy's sinc is this normalized one)
    f = getattr(xp, "sinc", None)
    if f is not None:
        return f(x)
    px = x * _PI
    return xp.where(x == 0, xp.ones_like(x), xp.sin(px) / xp.where(x == 0, 1.0, px))


def _sinc_vjp(ns, g, x):
    # (pi x cos(pi x) - sin(pi x)) / (pi x^2); 0 at x == 0 (the limit), as PyTorch
    px = x * _PI
    x1 = ns.where(x == 0, 1.0, x)
    px1 = x1 * _PI
    d = (px1 * ns.cos(px1) - ns.sin(px1)) / (px1 * x1)
    return ns.where(px == 0, 0.0, g * d)


SINC = _defew("sinc", _sinc, _sinc_vjp, to_float=True, kink="sinc'(0) = 0 (the limit)")


def _logit(xp, x, *, eps):
    if eps is not None:
        x = (
            xp.clip(x, eps, 1 - eps)
            if hasattr(xp, "clip")
            else xp.minimum(xp.maximum(x, eps), 1 - eps)
        )
    return xp.log(x / (1 - x))


def _logit_vjp(ns, g, x, eps):
    # 1 / (x (1 - x)); outside [eps, 1 - eps] 0 (x was clamped), without eps NaN outside
    # [0, 1] (PyTorch's)
    d = g / (x * (1 - x))
    if eps is None:
        return ns.where((x < 0) | (x > 1), math.nan, d)
    return ns.where((x < eps) | (x > 1 - eps), 0.0, d)


LOGIT = _defew(
    "logit",
    _logit,
    _logit_vjp,
    to_float=True,
    kink="0 outside [eps, 1 - eps] (clamped); NaN outside [0, 1] without eps",
)


# ------------------------------------------------------------------ no derivative
# Boolean results, integer-only ops and a step function: rule None (no gradient flows).
def _signbit(xp, x):
    if x.dtype.kind == "b":
        return xp.zeros_like(x)
    if x.dtype.kind in "iu":
        return x < 0
    return xp.signbit(x)


SIGNBIT = defop("signbit", _signbit, None)


def _inf_test(sign):
    def fwd(xp, x):
        if x.dtype.kind in "biu":
            return xp.zeros(x.shape, dtype=xp.bool)
        if x.dtype.kind == "c":
            x = xp.real(x)
        return x == sign * math.inf

    return fwd


ISPOSINF = defop("isposinf", _inf_test(1), None)
ISNEGINF = defop("isneginf", _inf_test(-1), None)


def _isreal(xp, x):
    if x.dtype.kind != "c":
        return xp.ones(x.shape, dtype=xp.bool)
    return xp.imag(x) == 0


ISREAL = defop("isreal", _isreal, None)


# heaviside: values where x == 0, else x > 0 (NaN gives 0, as PyTorch's kernel). PyTorch
# has no derivative for it: the result requires grad, and backward raises (as floor_divide)
def _heaviside_vjp(g):
    raise RuntimeError("derivative for aten::heaviside is not implemented")


def _heaviside_jvp(t):
    raise NotImplementedError(
        "Trying to use forward AD with aten::heaviside that does not support it."
    )


HEAVISIDE = defop(
    "heaviside",
    lambda xp, x, values: _backend.astype(
        xp.where(x == 0, values, x > 0), xp.result_type(x, values), copy=False
    ),
    (_heaviside_vjp, _heaviside_vjp),
    grad_fn="NotImplemented",
    broadcast=True,
    jvp=(_heaviside_jvp, _heaviside_jvp),
    kink="no derivative: backward raises, as in PyTorch",
)
GCD = defop("gcd", lambda xp, x, y: xp.gcd(x, y), None, promote=True, broadcast=True)
LCM = defop("lcm", lambda xp, x, y: xp.lcm(x, y), None, promote=True, broadcast=True)
