"""THE TABLE, part 1: elementwise math. Forward and vector-Jacobian rule side by side.

Read a line as the derivative table on the lecture slide: ``exp -> g * exp(x)`` is
written ``lambda g, out: g * out``. Subgradients at kinks follow PyTorch: abs'(0) = 0,
relu'(0) = 0, maximum/minimum give half to each side at a tie, clamp passes the
gradient at its bounds. Broadcast inputs get their gradient summed back by the engine
(``broadcast=True``), through the one helper ``sum_to``.

Forward mode needs no second column here: an elementwise op's Jacobian is diagonal, so
each vjp rule, fed the tangent instead of the gradient, is its jvp rule (``_defew``).
``PASS`` is a rule that hands the gradient on unchanged.

The PyTorch-named functions over these entries (argument handling, errors) are in
``chainrule.functions.elementwise``.
"""

from __future__ import annotations

import math

from .. import backend as _backend
from . import special_kernels as _special
from .primitive import DIAGONAL, LINEAR, PASS, Primitive, alias, complex_as_is, defop, holomorphic


def _defew(name: str, fwd, vjp, **kw) -> Primitive:
    """``defop`` for an elementwise entry: each per-input Jacobian is diagonal, so the vjp
    rules, given the tangent ``t`` as ``g``, are the jvp rules too (``jvp=DIAGONAL``). Rules
    stay elementwise in ``g`` (no sums inside), and a leading batch axis on ``g`` broadcasts
    through them."""
    return defop(name, fwd, vjp, jvp=DIAGONAL, **kw)


# Piecewise constant: the derivative is 0 wherever it exists (PyTorch returns zeros).
_zero = lambda ns, g: ns.zeros_like(g)
_STEPS = "piecewise constant: 0 everywhere, also at the jumps"


# ---------------------------------------------------------------- arithmetic
_BOOL_SUB = (
    "Subtraction, the `-` operator, with a bool tensor is not supported. If you are trying to "
    "invert a mask, use the `~` or `logical_not()` operator instead."
)
_BOOL_NEG = (
    "Negation, the `-` operator, on a bool tensor is not supported. If you are trying to "
    "invert a mask, use the `~` or `logical_not()` operator instead."
)


def _neg(xp, x):
    if x.dtype.kind == "b":
        raise RuntimeError(_BOOL_NEG)
    return xp.negative(x)


def _sub(xp, x, y):
    bx = getattr(getattr(x, "dtype", None), "kind", "") == "b"
    by = getattr(getattr(y, "dtype", None), "kind", "") == "b"
    if bx and by:
        raise RuntimeError(
            "Subtraction, the `-` operator, with two bool tensors is not supported. Use the `^` "
            "or `logical_xor()` operator instead."
        )
    if bx or by:
        raise RuntimeError(_BOOL_SUB)
    return x - y


def _int_div_check(y):
    # integer division by zero raises in PyTorch (NumPy would give 0 and warn): y, checked
    # (on Dask, y through a task that checks it when computed: backend.checked)
    if getattr(y, "dtype", None) is not None and y.dtype.kind in "iu":
        return _backend.checked(y, _zero_divisor)
    if isinstance(y, int) and y == 0:
        raise RuntimeError("ZeroDivisionError")
    return y


def _zero_divisor(y, start):
    return RuntimeError("ZeroDivisionError") if _backend.any_true(y == 0) else None


def _is_int(v) -> bool:
    d = getattr(v, "dtype", None)
    return d.kind in "iub" if d is not None else isinstance(v, int)


def _floor_divide(xp, x, y):
    if _is_int(x) and _is_int(y):
        y = _int_div_check(y)
    return xp.floor_divide(x, y)


def _remainder(xp, x, y):
    if _is_int(x) and _is_int(y):
        y = _int_div_check(y)
    return xp.remainder(x, y)


_generic = _backend.scalar_type
_as_array = _backend.as_array


def _pow(xp, x, y):
    # integer tensors to negative integer tensor powers: 0, except bases 1 and -1 (PyTorch)
    xd, yd = getattr(x, "dtype", None), getattr(y, "dtype", None)
    if yd is not None and yd.kind in "iu" and (xd is None or xd.kind in "iu") and (y < 0).any():
        base = xp.asarray(x)
        r = base ** xp.abs(y)
        odd = (y % 2) != 0
        neg = xp.where(base == 1, 1, xp.where(base == -1, xp.where(odd, -1, 1), 0))
        return xp.where(y < 0, neg, r).astype(r.dtype)
    if yd is None and xd is not None and xd.kind == "f" and y == -0.5:
        return _rsqrt(xp, x)  # PyTorch's kernel: -0.0 ** -0.5 = -inf, -inf ** -0.5 = nan
    if yd is None and xd is not None and xd.kind == "f" and y == 0.5:
        return xp.sqrt(x)  # PyTorch's kernel (C's pow of a NumPy scalar: -inf ** 0.5 = inf)
    # a NumPy scalar (what an op on 0-d data gives) taken as the 0-d array: NumPy's scalar
    # ** rounds otherwise than its ufunc (3.0 ** np.float32(0.125) = 1.1472027, on a 0-d
    # array 1.1472026), and a 0-d tensor's data is the one or the other by its history (a
    # view of it makes it an array, tensor_base.own; a graph's evaluation does not)
    if isinstance(y, _generic):
        y = _as_array(y)
    if isinstance(x, _generic):
        x = _as_array(x)
    return x**y


def _scalar_pow(ns, x, e):
    """x ** e for a number e, with PyTorch's special exponent -0.5 (1 / sqrt(x)) also on raw
    arrays (NumPy takes sqrt for 0.5 itself; a Tensor x goes through ``_pow``)."""
    if e == -0.5 and not hasattr(x, "_data") and x.dtype.kind == "f":
        return 1 / ns.sqrt(x)
    return x**e


def _no_bool_operand(args):
    # mixed operands reach here before promotion would turn a bool into a number
    for a in args:
        if isinstance(a, bool) or getattr(getattr(a, "_data", None), "dtype", None) == "bool":
            raise RuntimeError(_BOOL_SUB)


NEG = _defew("neg", _neg, lambda g: -g)
ADD = _defew("add", lambda xp, x, y: x + y, (PASS, PASS), promote=True, broadcast=True)
SUB = _defew(
    "sub", _sub, (PASS, lambda g: -g), promote=True, broadcast=True, check=_no_bool_operand
)
RSUB = alias(SUB, "rsub", grad_fn="RsubBackward1")  # number - x
# beta * input + alpha * product: the add that ends addmm and its kin (their products are
# part 5's rows, their scalings mul), under the names PyTorch prints for the whole op
ADDMM = alias(ADD, "addmm", grad_fn="AddmmBackward0")
ADDMV = alias(ADD, "addmv", grad_fn="AddmvBackward0")
ADDR = alias(ADD, "addr", grad_fn="AddrBackward0")
BADDBMM = alias(ADD, "baddbmm", grad_fn="BaddbmmBackward0")
ADDBMM = alias(ADD, "addbmm", grad_fn="AddbmmBackward0")
MUL = _defew(
    "mul",
    lambda xp, x, y: x * y,
    (lambda g, y: g * y, lambda g, x: g * x),
    promote=True,
    broadcast=True,
)
# alpha * other inside add/sub(alpha=): a parameter, not an input, so the node saves
# nothing (PyTorch keeps alpha in AddBackward0/SubBackward0: a second backward works)
SCALE = _defew("scale", lambda xp, x, *, alpha: x * alpha, lambda g, alpha: g * alpha)
DIV = _defew(
    "div",
    lambda xp, x, y: x / y,
    (lambda g, y: g / y, lambda g, x, y: -g * x / (y * y)),
    promote=True,
    to_float=True,
    broadcast=True,
)


def _pow_dx(ns, g, x, y):
    # d/dx x**y = y * x**(y-1); PyTorch's 0 where y == 0 (even at x == 0, whatever g
    # is), and its order of products: g * (y * x**(y-1))
    if not hasattr(y, "shape"):
        return ns.zeros_like(g) if y == 0 else g * (y * _scalar_pow(ns, x, y - 1))
    return ns.where(y == 0, 0.0, g * (y * x ** (y - 1)))


def _pow_dy(ns, g, x, y, out):
    # d/dy x**y = x**y * log(x); where x == 0, PyTorch's 0 for y >= 0 (the product's limit)
    # and x**y * log(0) = -inf for y < 0
    if not hasattr(x, "shape"):  # a Python scalar base
        if x == 0:
            return g * ns.where(y >= 0, 0.0, out * -math.inf)
        return g * (out * (math.log(x) if x > 0 else math.nan))
    return g * (out * ns.log(ns.where((x == 0) & (y >= 0), 1.0, x)))


POW = _defew(  # tensor ** scalar
    "pow",
    _pow,
    (_pow_dx, _pow_dy),
    promote=True,
    broadcast=True,
    kink="d/dx is 0 where y == 0 (also at x == 0); d/dy is 0 where x == 0 and y >= 0",
)
POW_T = alias(POW, "pow_tensor", grad_fn="PowBackward1")  # tensor ** tensor
POW_S = alias(POW, "pow_scalar", grad_fn="PowBackward2")  # scalar ** tensor
REMAINDER = _defew(
    "remainder",
    _remainder,
    # d/dy = -(x // y), the floor division that rounds as Python's (and PyTorch's): from
    # x - fmod(x, y), not floor(x / y), which rounds up where x / y is just below an integer
    (PASS, lambda ns, g, x, y: -g * ns.floor_divide(x, y)),
    promote=True,
    broadcast=True,
)


def _remainder_s_vjp(g):
    # remainder(number, tensor) has no derivative in PyTorch: backward raises, as there
    raise RuntimeError("derivative for aten::remainder is not implemented")


def _remainder_s_jvp(t):
    raise NotImplementedError(
        "Trying to use forward AD with aten::remainder that does not support it."
    )


REMAINDER_S = defop(  # number % tensor
    "remainder_scalar",
    _remainder,
    (_remainder_s_vjp, _remainder_s_vjp),
    grad_fn="NotImplemented",
    promote=True,
    broadcast=True,
    jvp=(_remainder_s_jvp, _remainder_s_jvp),
    kink="no derivative: backward raises, as in PyTorch",
)


def _floor_divide_vjp(g):
    # PyTorch has no derivative for floor_divide (x // y): backward raises, as there
    raise RuntimeError("derivative for aten::floor_divide is not implemented")


def _floor_divide_jvp(t):
    raise NotImplementedError(
        "Trying to use forward AD with aten::floor_divide that does not support it."
    )


FLOOR_DIVIDE = defop(
    "floor_divide",
    _floor_divide,
    (_floor_divide_vjp, _floor_divide_vjp),
    grad_fn="NotImplemented",
    promote=True,
    broadcast=True,
    jvp=(_floor_divide_jvp, _floor_divide_jvp),
    kink="no derivative: backward raises, as in PyTorch (div(rounding_mode=) has the zero one)",
)


def _div_rounding(xp, x, y, *, rounding_mode):
    if _is_int(x) and _is_int(y):  # exact integer division (no trip through floats)
        y = _int_div_check(y)
        q = xp.floor_divide(x, y)
        if rounding_mode != "trunc":
            return q
        return q + _backend.astype((q < 0) & (q * y != x), q.dtype)
    if rounding_mode == "floor":
        return xp.floor_divide(x, y)
    return xp.trunc(x / y)


DIV_ROUNDING = _defew(  # div(x, y, rounding_mode='floor' or 'trunc')
    "div_rounding",
    _div_rounding,
    (_zero, _zero),
    grad_fn="DivBackward2",
    promote=True,
    broadcast=True,
    kink=_STEPS,
)

# ------------------------------------------------------------ unary functions
EXP = _defew("exp", lambda xp, x: xp.exp(x), lambda g, out: g * out, to_float=True)
EXPM1 = _defew("expm1", lambda xp, x: xp.expm1(x), lambda g, out: g * (out + 1), to_float=True)
LOG = _defew("log", lambda xp, x: xp.log(x), lambda g, x: g / x, to_float=True)
LOG2 = _defew("log2", lambda xp, x: xp.log2(x), lambda g, x: g / (x * math.log(2.0)), to_float=True)


def _log10(xp, x):
    # NumPy's float32 log10 is an ulp off at about half the inputs, exact powers of ten too
    # (log10(100) = 2.0000002); PyTorch's is 2 there: through float64 and rounded once,
    # which gives PyTorch's float32 values but for a few ties in 10^5 inputs
    dt = getattr(x, "dtype", None)
    if xp is _backend.numpy and dt is not None and dt.kind == "f" and dt.itemsize <= 4:
        return xp.log10(x, dtype=xp.float64).astype(dt)
    return xp.log10(x)


LOG10 = _defew("log10", _log10, lambda g, x: g / (x * math.log(10.0)), to_float=True)
LOG1P = _defew(
    "log1p",
    lambda xp, x: xp.log1p(x),
    lambda g, x: g / (1 + x),
    to_float=True,
    grad_fn="Log1PBackward0",  # (PyTorch's spelling)
)
SQRT = _defew(
    "sqrt",
    lambda xp, x: xp.sqrt(x),
    lambda g, out: g / (2 * out),
    to_float=True,
    kink="sqrt'(0) = inf",
)


def _rsqrt(xp, x):
    if x.dtype.char == "e":  # float16 through float32, rounded once (as PyTorch)
        return _rsqrt(xp, x.astype(xp.float32)).astype(x.dtype)
    return 1 / xp.sqrt(x)


RSQRT = _defew("rsqrt", _rsqrt, lambda g, out: -0.5 * g * out**3, to_float=True)
SIN = _defew("sin", lambda xp, x: xp.sin(x), lambda ns, g, x: g * ns.cos(x), to_float=True)
COS = _defew("cos", lambda xp, x: xp.cos(x), lambda ns, g, x: -g * ns.sin(x), to_float=True)
TAN = _defew("tan", lambda xp, x: xp.tan(x), lambda g, out: g * (1 + out * out), to_float=True)
TANH = _defew("tanh", lambda xp, x: xp.tanh(x), lambda g, out: g * (1 - out * out), to_float=True)
# hyperbolic and inverse trigonometric functions, with PyTorch's formulas (derivatives.yaml):
# at the edges of a domain they give what those give (asin'(+-1) = inf, acosh'(1) = inf,
# atanh'(+-1) = inf), and NaN outside it, as the forward does. NumPy's names (arcsin, ...)
# are the ones NumPy, CuPy and Dask all have.
SINH = _defew("sinh", lambda xp, x: xp.sinh(x), lambda ns, g, x: g * ns.cosh(x), to_float=True)
COSH = _defew("cosh", lambda xp, x: xp.cosh(x), lambda ns, g, x: g * ns.sinh(x), to_float=True)
ASIN = _defew(
    "asin",
    lambda xp, x: xp.arcsin(x),
    lambda ns, g, x: g * ns.rsqrt(-x * x + 1),
    to_float=True,
    kink="asin'(+-1) = inf",
)
ACOS = _defew(
    "acos",
    lambda xp, x: xp.arccos(x),
    lambda ns, g, x: g * -ns.rsqrt(-x * x + 1),
    to_float=True,
    kink="acos'(+-1) = -inf",
)
ATAN = _defew("atan", lambda xp, x: xp.arctan(x), lambda g, x: g / (x * x + 1), to_float=True)
ASINH = _defew(
    "asinh", lambda xp, x: xp.arcsinh(x), lambda ns, g, x: g * ns.rsqrt(x * x + 1), to_float=True
)
ACOSH = _defew(
    "acosh",
    lambda xp, x: xp.arccosh(x),
    lambda ns, g, x: g * ns.rsqrt(x * x - 1),
    to_float=True,
    kink="acosh'(1) = inf",
)
ATANH = _defew(
    "atanh",
    lambda xp, x: xp.arctanh(x),
    lambda g, x: g / (1 - x * x),
    to_float=True,
    kink="atanh'(+-1) = inf",
)


def _no_derivative_in_place(prim: Primitive) -> Primitive:
    """The in-place form of ``prim`` as PyTorch has it for asinh_, acosh_ and atanh_: no
    derivative (its AsinhBackward1, ... raise in backward; forward mode refuses the op)."""
    name = prim.name

    def vjp(g):
        raise NotImplementedError(
            f"the derivative for 'inplace version of {name}' is not implemented."
        )

    def jvp(t):
        raise NotImplementedError(
            f"Trying to use forward AD with {name}_ that does not support it because it has not "
            "been implemented yet.\nPlease file an issue to PyTorch at "
            "https://github.com/pytorch/pytorch/issues/new?template=feature-request.yml so that "
            "we can prioritize its implementation."
        )

    return defop(
        f"{name}_",
        prim.fwd,
        (vjp,),
        jvp=(jvp,),
        grad_fn=prim.grad_fn[:-1] + "1",
        to_float=True,
        kink="no derivative in place: backward raises, as in PyTorch",
    )


ASINH_ = _no_derivative_in_place(ASINH)  # x.asinh_()
ACOSH_ = _no_derivative_in_place(ACOSH)
ATANH_ = _no_derivative_in_place(ATANH)


def _atan2_recip(ns, y, x):
    # 1 / (y^2 + x^2), and 0 where that is 0 (PyTorch's masked_fill): at the origin both
    # gradients are 0
    d = y * y + x * x
    return ns.where(d == 0, 0.0, 1 / d)


# atan2(y, x), the angle of the point (x, y): d/dy = x / (x^2 + y^2), d/dx = -y / (x^2 + y^2).
# Forward mode has PyTorch's formula without the mask (its tangent at the origin is NaN),
# so the jvp rules are written out.
ATAN2 = defop(
    "atan2",
    lambda xp, y, x: xp.arctan2(y, x),
    (
        lambda ns, g, y, x: g * x * _atan2_recip(ns, y, x),
        lambda ns, g, y, x: g * -y * _atan2_recip(ns, y, x),
    ),
    jvp=(lambda t, y, x: x * t / (y * y + x * x), lambda t, y, x: -y * t / (y * y + x * x)),
    promote=True,
    to_float=True,
    broadcast=True,
    kink="both gradients are 0 at the origin (x = y = 0); the tangent there is NaN",
)
SIGMOID = _defew(
    "sigmoid",
    lambda xp, x: _sigmoid(xp, x),
    lambda g, out: g * out * (1 - out),
    to_float=True,
)
RECIPROCAL = _defew(  # PyTorch's order: out * out first (0 * inf is NaN where it overflows)
    "reciprocal", lambda xp, x: 1 / x, lambda g, out: -g * (out * out), to_float=True
)


def _no_bool(kernel):
    def check(x):
        if x.dtype.kind == "b":
            raise NotImplementedError(f"\"{kernel}\" not implemented for 'Bool'")

    return check


def _relu(xp, x):
    if x.dtype.kind == "b":
        raise RuntimeError("Boolean inputs not supported for relu")
    return _backend.astype(xp.maximum(x, 0), x.dtype, copy=False)


def _abs(xp, x):
    _no_bool("abs_cpu")(x)
    return xp.abs(x)


# abs' is PyTorch's sgn: 0 at 0 and at NaN
ABS = _defew(
    "abs", _abs, lambda ns, g, x: g * ns.where(x == x, ns.sign(x), 0.0), kink="abs'(0) = 0"
)
# relu passes g where out is not <= 0 (NaN too): threshold_backward below
RELU = _defew("relu", _relu, lambda ns, g, out: ns.threshold_backward(g, out), kink="relu'(0) = 0")
# threshold_backward(g, r) = 0 where r <= 0, else g, for relu's result r: relu's adjoint,
# run inside backward. It selects (0 * inf would be NaN), and under create_graph it is
# recorded with r as an input, as PyTorch's: its derivative in r is zero, yet the gradient
# it gives requires grad where r does.
THRESHOLD_BACKWARD = _defew(
    "threshold_backward",
    lambda xp, g, r: _backend.threshold_backward(xp, g, r),
    (lambda ns, g, r: ns.threshold_backward(g, r), lambda ns, g: ns.zeros_like(g)),
    grad_fn="ThresholdBackwardBackward0",
    broadcast=True,
)


def _sigmoid(xp, x):
    # exp of a negative argument only: no overflow for large |x|; float16 through float32,
    # rounded once (as PyTorch)
    if x.dtype.char == "e":
        return _sigmoid(xp, x.astype(xp.float32)).astype(x.dtype)
    e = xp.exp(-xp.abs(x))
    d = 1 + e
    if xp is not _backend.numpy:
        return _backend.astype(xp.where(x >= 0, 1 / d, e / d), x.dtype, copy=False)
    # both branches are finite (or NaN together): a blend is exact and beats NumPy's where,
    # which branches on the sign's pattern (backend.select)
    pos = x >= 0
    return ((1 / d) * pos + (e / d) * ~pos).astype(x.dtype, copy=False)


def _rounding(fn, kernel):
    def fwd(xp, x):
        _no_bool(kernel)(x)
        return x.copy() if x.dtype.kind in "iu" else getattr(xp, fn)(x)

    return fwd


def _round(xp, x, *, decimals=0):
    _no_bool("round_vml_cpu")(x)
    if x.dtype.kind in "iu":
        return x.copy()
    if not decimals:
        return xp.round(x)
    # PyTorch's steps: scale by 10**|decimals| in x's precision (float16 in float32),
    # round half to even, scale back; a scale that overflows gives inf or NaN, as there
    y = x.astype(xp.float32) if x.dtype.char == "e" else x
    d = abs(decimals)
    with _backend.quiet(xp):
        # 10**d beyond float32 (or float64) is inf
        scale = xp.asarray(10.0**d if d <= 308 else math.inf, dtype=xp.float64)
        scale = _backend.astype(scale, y.dtype)
        r = xp.round(y * scale) / scale if decimals > 0 else xp.round(y / scale) * scale
    return _backend.astype(xp.asarray(r), x.dtype, copy=False)


def _sign(xp, x):
    if x.dtype.kind == "b":
        return x.copy()
    if x.dtype.kind == "f":  # sign(nan) = 0, as PyTorch
        return _backend.astype(xp.where(x == x, xp.sign(x), 0), x.dtype, copy=False)
    return xp.sign(x)


SIGN = _defew("sign", _sign, _zero, kink=_STEPS)
FLOOR = _defew("floor", _rounding("floor", "floor_vml_cpu"), _zero, kink=_STEPS)
CEIL = _defew("ceil", _rounding("ceil", "ceil_vml_cpu"), _zero, kink=_STEPS)
ROUND = _defew("round", _round, _zero, kink=_STEPS)
TRUNC = _defew("trunc", _rounding("trunc", "trunc_vml_cpu"), _zero, kink=_STEPS)


def _clamp_fwd(xp, x, *, min, max):
    r = x
    if min is not None:
        r = xp.maximum(r, min)
    if max is not None:
        r = xp.minimum(r, max)
    return _backend.astype(r, x.dtype, copy=False) if r is not x else _backend.copy(x)


def _clamp_vjp(ns, g, x, min, max):
    # The gradient passes where min <= x <= max, bounds included (PyTorch's subgradient 1);
    # selected, not multiplied by a mask (0 * inf would be NaN)
    if min is not None and max is not None:
        return ns.where((x >= min) & (x <= max), g, 0.0)
    if min is not None:
        return ns.where(x >= min, g, 0.0)
    return ns.where(x <= max, g, 0.0)


CLAMP = _defew(
    "clamp",
    _clamp_fwd,
    _clamp_vjp,
    grad_fn="ClampBackward1",
    kink="the gradient passes at the bounds (min <= x <= max)",
)


# clamp with tensor bounds (either may be None): max(x, lo), then min(., hi). At a tie the
# input gets the whole gradient (maximum/minimum would split it); a bound gets it where
# it is the result: lo where x < lo < hi (none at x < lo == hi), hi where x > hi or lo > hi.
# PyTorch's forward mode ties otherwise: with one bound, the bound's tangent at x == bound;
# with both, lo's at x < lo == hi.
def _clamp_t_fwd(xp, x, lo, hi):
    r = x if lo is None else xp.maximum(x, lo)
    return r if hi is None else xp.minimum(r, hi)


def _x_passes(x, lo, hi, reverse=True):
    """Where x is the result: lo <= x <= hi (forward mode, one bound: strictly inside)."""
    if lo is None:
        return x <= hi if reverse else x < hi
    if hi is None:
        return x >= lo if reverse else x > lo
    return (x >= lo) & (x <= hi)


def _lo_wins(x, lo, hi, reverse=True):
    if hi is None:
        return x < lo if reverse else x <= lo
    return (x < lo) & ((lo < hi) if reverse else (lo <= hi))


def _hi_wins(x, lo, hi, reverse=True):
    if lo is None:
        return x > hi if reverse else x >= hi
    return (x > hi) | (lo > hi)


CLAMP_T = defop(
    "clamp_tensor",
    _clamp_t_fwd,
    (  # selections, not products with a mask (0 * inf would be NaN)
        lambda ns, g, x, lo, hi: ns.where(_x_passes(x, lo, hi), g, 0.0),
        lambda ns, g, x, lo, hi: ns.where(_lo_wins(x, lo, hi), g, 0.0),
        lambda ns, g, x, lo, hi: ns.where(_hi_wins(x, lo, hi), g, 0.0),
    ),
    grad_fn="ClampBackward0",
    promote=True,
    broadcast=True,
    jvp=(
        lambda t, x, lo, hi: t * _x_passes(x, lo, hi, reverse=False),
        lambda t, x, lo, hi: t * _lo_wins(x, lo, hi, reverse=False),
        lambda t, x, lo, hi: t * _hi_wins(x, lo, hi, reverse=False),
    ),
    kink="ties give all to x; lo where x < lo < hi, hi where x > hi or lo > hi",
)

# Ties give half of the gradient to each side, as in PyTorch; a NaN side (the result) gets
# all of it (neither side is smaller).
_TIES = "at a tie each side gets half the gradient"
MAXIMUM = _defew(
    "maximum",
    lambda xp, x, y: xp.maximum(x, y),
    (
        lambda ns, g, x, y: ns.where(x == y, g / 2, ns.where(x < y, 0.0, g)),
        lambda ns, g, x, y: ns.where(x == y, g / 2, ns.where(y < x, 0.0, g)),
    ),
    promote=True,
    broadcast=True,
    kink=_TIES,
)
MINIMUM = _defew(
    "minimum",
    lambda xp, x, y: xp.minimum(x, y),
    (
        lambda ns, g, x, y: ns.where(x == y, g / 2, ns.where(x > y, 0.0, g)),
        lambda ns, g, x, y: ns.where(x == y, g / 2, ns.where(y > x, 0.0, g)),
    ),
    promote=True,
    broadcast=True,
    kink=_TIES,
)
WHERE = _defew(
    "where",
    lambda xp, x, y, *, cond: xp.where(cond, x, y),
    (
        lambda ns, g, cond: ns.where(cond, g, 0.0),
        lambda ns, g, cond: ns.where(cond, 0.0, g),
    ),
    promote=True,
    broadcast=True,
    fit=True,  # the condition (a parameter) broadcasts too, even against one tensor input
    tensor_params=("cond",),
)

# masked_fill has rows of its own, not where's: PyTorch's node names (MaskedFillBackward0
# for a number, MaskedFillBackward1 for a 0-d tensor with history) and its inputs (x, then
# the value); the mask is a parameter, as where's condition, and broadcasts x (fit)
MASKED_FILL = _defew(
    "masked_fill",
    lambda xp, x, *, mask, value: xp.where(mask, xp.full_like(x, value), x),
    lambda ns, g, mask: ns.where(mask, 0.0, g),
    broadcast=True,
    fit=True,
    tensor_params=("mask",),
    grad_fn="MaskedFillBackward0",
)
MASKED_FILL_T = _defew(
    "masked_fill_tensor",
    lambda xp, x, value, *, mask: xp.where(mask, value, x),
    (
        lambda ns, g, mask: ns.where(mask, 0.0, g),
        lambda ns, g, mask: ns.where(mask, g, 0.0),  # (summed to the 0-d value by broadcast)
    ),
    promote=True,
    broadcast=True,
    fit=True,
    tensor_params=("mask",),
    grad_fn="MaskedFillBackward1",
)

# ------------------------------------------------------------- activations
# Each has a row of its own, not a composite of the rows above: PyTorch's node names
# (GeluBackward0, ...) where a learner sees them, and PyTorch's choices at the edges
# (leaky_relu'(0) and elu'(0) take the left side; softplus is x itself past threshold).
_SQRT1_2 = 1.0 / math.sqrt(2.0)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)
_GELU_K = math.sqrt(2.0 / math.pi)  # the tanh approximation's scale
_GELU_C = 0.044715


def _gelu(xp, x, *, approximate):
    if approximate == "tanh":
        return 0.5 * x * (1 + xp.tanh(_GELU_K * (x + _GELU_C * (x * x * x))))
    return 0.5 * x * (1 + _special.erf(xp, x * _SQRT1_2))


def _gelu_vjp(ns, g, x, approximate):
    # x * Phi(x): Phi(x) + x * phi(x); the tanh form's derivative by the product rule
    if approximate == "tanh":
        t = ns.tanh(_GELU_K * (x + _GELU_C * (x * x * x)))
        dt = (1 - t * t) * (_GELU_K * (1 + 3 * _GELU_C * (x * x)))
        return g * (0.5 * (1 + t) + 0.5 * x * dt)
    return g * (0.5 * (1 + ns.erf(x * _SQRT1_2)) + x * ns.exp(-0.5 * (x * x)) * _INV_SQRT_2PI)


GELU = _defew("gelu", _gelu, _gelu_vjp)
LEAKY_RELU = _defew(
    "leaky_relu",
    lambda xp, x, *, negative_slope: xp.where(x > 0, x, x * negative_slope),
    lambda ns, g, x, negative_slope: ns.where(x > 0, g, g * negative_slope),
    kink="leaky_relu'(0) = negative_slope (the left side), as PyTorch",
)


def _elu(xp, x, *, alpha):
    with _backend.quiet(xp):  # expm1 of the positive side is thrown away (may overflow)
        return xp.where(x > 0, x, alpha * xp.expm1(xp.minimum(x, 0)))


ELU = _defew(
    "elu",
    _elu,
    # exp of x below 0 only (no overflow); selected with where, so the second derivative
    # at 0 is PyTorch's 0 (minimum would split a tie)
    lambda ns, g, x, alpha: ns.where(x > 0, g, g * (alpha * ns.exp(ns.where(x < 0, x, 0.0)))),
    kink="elu'(0) = alpha (the left side), as PyTorch",
)


# The in-place forms (F.leaky_relu(x, inplace=True), F.elu(x, inplace=True)) overwrite x,
# so their rules read the result instead (x > 0 where out > 0; elu' = out + alpha below 0)
def _leaky_relu_inplace_vjp(ns, g, out, negative_slope):
    if negative_slope < 0:  # the sign of out no longer tells the side: refused, as PyTorch
        raise RuntimeError(
            "In-place leakyReLu backward calculation is triggered with a negative slope which "
            "is not supported. This is caused by calling in-place forward function with a "
            "negative slope, please call out-of-place version instead. File an issue at "
            "https://github.com/pytorch/pytorch if you do require supporting in-place "
            "leakRelu backward calculation with negative slope"
        )
    return ns.where(out > 0, g, g * negative_slope)


LEAKY_RELU_INPLACE = _defew(
    "leaky_relu_inplace",
    LEAKY_RELU.fwd,
    _leaky_relu_inplace_vjp,
    grad_fn="LeakyReluBackward1",
    kink=LEAKY_RELU.kink,
)
ELU_INPLACE = _defew(
    "elu_inplace",
    _elu,
    lambda ns, g, out, alpha: ns.where(out > 0, g, g * (out + alpha)),
    grad_fn="EluBackward1",
    kink=ELU.kink,
)


def _softplus(xp, x, *, beta, threshold):
    # log(1 + exp(bx)) / beta as max(bx, 0) + log1p(exp(-|bx|)): exp never overflows;
    # PyTorch's x itself where bx > threshold
    bx = x * beta
    sp = (xp.maximum(bx, 0) + xp.log1p(xp.exp(-xp.abs(bx)))) / beta
    return _backend.astype(xp.where(bx > threshold, x, sp), x.dtype, copy=False)


# d/dx = sigmoid(bx) = 1 - exp(-beta * out) (beta * out >= 0: no overflow), as -expm1
SOFTPLUS = _defew(
    "softplus",
    _softplus,
    lambda ns, g, x, out, beta, threshold: ns.where(
        x * beta > threshold, g, -g * ns.expm1(-beta * out)
    ),
    kink="1 past the threshold (where the forward is x itself)",
)

# ------------------------------------------------------ values written over
# fill_, zero_, copy_ and the random fills: the old values get no gradient.
FILL = _defew(
    "fill", lambda xp, x, *, value: xp.full_like(x, value), _zero, grad_fn="FillBackward2"
)
ZERO = alias(FILL, "zero", grad_fn="ZeroBackward0")  # x.zero_()
COPY = _defew(
    "copy",
    lambda xp, x, src: _backend.astype(xp.broadcast_to(src, x.shape), x.dtype),
    (_zero, PASS),  # src is broadcast to x's shape: its gradient is summed back
    broadcast=True,
    grad_fn="CopyBackwards",
)
FILL_T = alias(COPY, "fill_tensor", grad_fn="FillBackward3")  # x.fill_(v), v 0-d with history
FILL_DATA = _defew(
    "fill_data",
    # the data is drawn on the CPU: it goes to x's device
    lambda xp, x, *, data: _backend.astype(_backend.move(data, *_backend.device_key(x)), x.dtype),
    _zero,
    grad_fn="FillBackward0",
)

# ------------------------------------------------------- comparisons, logic
# Boolean results carry no gradient (rule None).
# Python's operators dispatch to the array's own type: cheaper than ufunc objects on scalars.


def _identity_refused(r):
    # ``array == node`` where the node is symbolic (chainrule.sym): both sides decline,
    # and Python compares identities (a bool). A TypeError sends apply to the graph.
    if type(r) is bool:
        raise TypeError("== between an array and a symbolic value")
    return r


EQ = defop("eq", lambda xp, x, y: _identity_refused(x == y), None)
NE = defop("ne", lambda xp, x, y: _identity_refused(x != y), None)
LT = defop("lt", lambda xp, x, y: x < y, None)
LE = defop("le", lambda xp, x, y: x <= y, None)
GT = defop("gt", lambda xp, x, y: x > y, None)
GE = defop("ge", lambda xp, x, y: x >= y, None)
LOGICAL_AND = defop("logical_and", lambda xp, x, y: xp.logical_and(x, y), None)
LOGICAL_OR = defop("logical_or", lambda xp, x, y: xp.logical_or(x, y), None)
LOGICAL_XOR = defop("logical_xor", lambda xp, x, y: xp.logical_xor(x, y), None)
LOGICAL_NOT = defop("logical_not", lambda xp, x: xp.logical_not(x), None)


BITWISE_NOT = defop("bitwise_not", lambda xp, x: xp.invert(x), None)
BITWISE_AND = defop("bitwise_and", lambda xp, x, y: x & y, None, promote=True)
BITWISE_OR = defop("bitwise_or", lambda xp, x, y: x | y, None, promote=True)
BITWISE_XOR = defop("bitwise_xor", lambda xp, x, y: x ^ y, None, promote=True)
ISNAN = defop("isnan", lambda xp, x: xp.isnan(x), None)
ISINF = defop("isinf", lambda xp, x: xp.isinf(x), None)
ISFINITE = defop("isfinite", lambda xp, x: xp.isfinite(x), None)
ISCLOSE = defop(  # |x - y| <= atol + rtol * |y|, elementwise (NumPy's and PyTorch's test)
    "isclose",
    lambda xp, x, y, *, rtol, atol, equal_nan: xp.asarray(
        xp.isclose(x, y, rtol=rtol, atol=atol, equal_nan=equal_nan)
    ),
    None,
)


# ---------------------------------------------------------------- complex numbers
# A complex input z = x + iy gets PyTorch's gradient dL/dx + i dL/dy (ops.primitive). The
# rows above that are holomorphic take complex inputs with their rules conjugated
# (``holomorphic``); those whose rules are real-linear in g take them as written
# (``complex_as_is``); every other row refuses them (``ops.apply.complex_refusal``).
# The rows below are complex-only or not holomorphic: each states its rule.


def _is_complex(a) -> bool:
    """Whether array or Tensor ``a`` holds complex numbers."""
    d = a.dtype
    return d.kind == "c" if hasattr(d, "kind") else d.is_complex


def _sgn(ns, x, out):
    """z / |z| (0 at 0): abs's derivative direction, PyTorch's sgn; ``out`` is |z|."""
    return ns.where(out == 0, 0.0, x / ns.where(out == 0, 1.0, out))


def _complex_fwd(xp, re, im):
    # the parts side by side, read as complex numbers: re + 1j * im would make 0 * inf NaN
    return _backend.complex_from(xp, re, im)


# |z| of a complex z: the gradient g * z / |z| (0 at 0, PyTorch's sgn); the tangent the
# real part of conj(t) * z / |z|
ABS_COMPLEX = defop(
    "abs_complex",
    lambda xp, x: xp.abs(x),
    lambda ns, g, x, out: g * _sgn(ns, x, out),
    jvp=lambda ns, t, x, out: ns.real(ns.conj(t) * _sgn(ns, x, out)),
    grad_fn="AbsBackward0",
    kink="0 at z = 0",
)
# conj(x + iy) = x - iy: the gradient conj(g); linear, so the tangent is conj(t)
CONJ = defop(
    "conj", lambda xp, x: xp.conj(x), lambda ns, g: ns.conj(g), jvp=LINEAR, grad_fn="ConjBackward0"
)
# Re z and Im z (copies; PyTorch's are views through view_as_real, hence its node name):
# a real g goes back as g and as i g; the engine casts g to z's dtype (fit)
REAL = defop(
    "real",
    lambda xp, x: _backend.copy(xp.real(x)),
    PASS,
    jvp=LINEAR,
    grad_fn="SelectBackward0",
    fit=True,
)
IMAG = defop(
    "imag",
    lambda xp, x: _backend.copy(xp.imag(x)),
    lambda g: g * 1j,
    jvp=LINEAR,
    grad_fn="SelectBackward0",
)
# complex(re, im) = re + i im: re gets Re g, im gets Im g
COMPLEX = defop(
    "complex",
    _complex_fwd,
    (lambda ns, g: ns.real(g), lambda ns, g: ns.imag(g)),
    jvp=(lambda t: t * (1 + 0j), lambda t: t * 1j),
    broadcast=True,
)


def _angle_vjp(ns, g, x):
    # PyTorch's angle_backward: g * z / |z|^2 * i (0 at 0); real inputs get zeros
    if not _is_complex(x):
        return ns.zeros_like(g)
    r2 = ns.real(x * ns.conj(x))
    return ns.where(r2 == 0, 0.0, g * x * 1j / ns.where(r2 == 0, 1.0, r2))


def _angle_jvp(ns, t, x):
    # d angle = Re(t * conj(z) * -i) / |z|^2; constant (0 or pi) for real inputs
    if not _is_complex(x):
        return ns.zeros_like(t)
    r2 = ns.real(x * ns.conj(x))
    return ns.where(r2 == 0, 0.0, ns.real(t * ns.conj(x) * -1j) / ns.where(r2 == 0, 1.0, r2))


def _angle(xp, x):
    if x.dtype.kind == "c":
        return xp.angle(x)
    # real x: 0 or pi (NaN stays NaN), as PyTorch (NumPy's angle(-0.0) would be pi)
    return _backend.astype(xp.where(x < 0, math.pi, xp.where(x == x, 0.0, x)), x.dtype)


ANGLE = defop(
    "angle", _angle, _angle_vjp, jvp=_angle_jvp, to_float=True, kink="0 at z = 0 (and for real x)"
)

holomorphic(ADD, SUB, RSUB, MUL, DIV, EXP, EXPM1, LOG, LOG1P, SQRT, RSQRT, SIN, COS, TAN, TANH)
holomorphic(SINH, COSH, RECIPROCAL, POW, LOG2, LOG10)
holomorphic(ADDMM, ADDMV, ADDR, BADDBMM, ADDBMM)
complex_as_is(NEG, SCALE, WHERE, COPY, FILL, ZERO, FILL_T, FILL_DATA)
complex_as_is(EQ, NE, ISNAN, ISINF, ISFINITE, LOGICAL_AND, LOGICAL_OR, LOGICAL_XOR, LOGICAL_NOT)
complex_as_is(ISCLOSE)
complex_as_is(CONJ, REAL, IMAG, ANGLE, ABS_COMPLEX)
ABS.cx = ABS_COMPLEX  # (|z| is real: a row of its own, not ABS's rule conjugated)
