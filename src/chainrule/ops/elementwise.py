"""THE TABLE, part 1: elementwise math. Forward and vector-Jacobian rule side by side.

Read a line as the derivative table on the lecture slide: ``exp -> g * exp(x)`` is
written ``lambda g, out: g * out``. Subgradients at kinks follow PyTorch: abs'(0) = 0,
relu'(0) = 0, maximum/minimum give half to each side at a tie, clamp passes the
gradient at its bounds. Broadcast inputs get their gradient summed back by the engine
(``broadcast=True``), through the one helper ``sum_to``.

Forward mode needs no second column here: an elementwise op's Jacobian is diagonal, so
each vjp rule, fed the tangent instead of the gradient, is its jvp rule (``_defew``).
"""

from __future__ import annotations

import math

from .primitive import DIAGONAL, Primitive, apply, compare, defop


def _defew(name: str, fwd, vjp, **kw) -> Primitive:
    """``defop`` for an elementwise entry: each per-input Jacobian is diagonal, so the vjp
    rules, given the tangent ``t`` as ``g``, are the jvp rules too (``jvp=DIAGONAL``). Rules
    stay elementwise in ``g`` (no sums inside), and a leading batch axis on ``g`` broadcasts
    through them."""
    return defop(name, fwd, vjp, jvp=DIAGONAL, **kw)


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
    # integer division by zero raises in PyTorch (NumPy would give 0 and warn)
    if getattr(y, "dtype", None) is not None and y.dtype.kind in "iu":
        if (y == 0).any():
            raise RuntimeError("ZeroDivisionError")
    elif isinstance(y, int) and y == 0:
        raise RuntimeError("ZeroDivisionError")


def _is_int(v) -> bool:
    d = getattr(v, "dtype", None)
    return d.kind in "iub" if d is not None else isinstance(v, int)


def _floor_divide(xp, x, y):
    if _is_int(x) and _is_int(y):
        _int_div_check(y)
    return xp.floor_divide(x, y)


def _remainder(xp, x, y):
    if _is_int(x) and _is_int(y):
        _int_div_check(y)
    return xp.remainder(x, y)


def _pow(xp, x, y):
    # integer tensors to negative integer tensor powers: 0, except bases 1 and -1 (PyTorch)
    xd, yd = getattr(x, "dtype", None), getattr(y, "dtype", None)
    if yd is not None and yd.kind in "iu" and (xd is None or xd.kind in "iu") and (y < 0).any():
        base = xp.asarray(x)
        r = base ** xp.abs(y)
        odd = (y % 2) != 0
        neg = xp.where(base == 1, 1, xp.where(base == -1, xp.where(odd, -1, 1), 0))
        return xp.where(y < 0, neg, r).astype(r.dtype)
    return x**y


NEG = _defew("neg", _neg, lambda g: -g)
ADD = _defew(
    "add", lambda xp, x, y: x + y, (lambda g: g, lambda g: g), promote=True, broadcast=True
)
SUB = _defew("sub", _sub, (lambda g: g, lambda g: -g), promote=True, broadcast=True)


def _no_bool_operand(args):
    # mixed operands reach here before promotion would turn a bool into a number
    for a in args:
        if isinstance(a, bool) or getattr(getattr(a, "_data", None), "dtype", None) == "bool":
            raise RuntimeError(_BOOL_SUB)


SUB.check = _no_bool_operand
MUL = _defew(
    "mul",
    lambda xp, x, y: x * y,
    (lambda g, y: g * y, lambda g, x: g * x),
    promote=True,
    broadcast=True,
)
DIV = _defew(
    "div",
    lambda xp, x, y: x / y,
    (lambda g, y: g / y, lambda g, x, y: -g * x / (y * y)),
    promote=True,
    to_float=True,
    broadcast=True,
)


def _pow_dx(ns, g, x, y):
    # d/dx x**y = y * x**(y-1); PyTorch gives 0 where y == 0 (even at x == 0).
    if not hasattr(y, "shape"):
        return g * 0 if y == 0 else g * y * x ** (y - 1)
    return ns.where(y == 0, 0.0, g * y * x ** (y - 1))


def _pow_dy(ns, g, x, out):
    # d/dy x**y = x**y * log(x); PyTorch masks x == 0 (where the product is 0 anyway).
    if not hasattr(x, "shape"):  # a Python scalar base
        return g * out * (math.log(x) if x > 0 else math.nan if x < 0 else 0.0)
    return g * out * ns.log(ns.where(x == 0, 1.0, x))


POW = _defew("pow", _pow, (_pow_dx, _pow_dy), promote=True, broadcast=True)  # tensor ** scalar
POW_T = _defew(  # tensor ** tensor
    "pow_tensor", _pow, (_pow_dx, _pow_dy), grad_fn="PowBackward1", promote=True, broadcast=True
)
POW_S = _defew(  # scalar ** tensor
    "pow_scalar", _pow, (_pow_dx, _pow_dy), grad_fn="PowBackward2", promote=True, broadcast=True
)
REMAINDER = _defew(
    "remainder",
    _remainder,
    (lambda g: g, lambda ns, g, x, y: -g * ns.floor(x / y)),
    promote=True,
    broadcast=True,
)
FLOOR_DIVIDE = defop("floor_divide", _floor_divide, None, promote=True, broadcast=True)

# ------------------------------------------------------------ unary functions
EXP = _defew("exp", lambda xp, x: xp.exp(x), lambda g, out: g * out, to_float=True)
EXPM1 = _defew("expm1", lambda xp, x: xp.expm1(x), lambda g, out: g * (out + 1), to_float=True)
LOG = _defew("log", lambda xp, x: xp.log(x), lambda g, x: g / x, to_float=True)
LOG2 = _defew("log2", lambda xp, x: xp.log2(x), lambda g, x: g / (x * math.log(2.0)), to_float=True)
LOG10 = _defew(
    "log10", lambda xp, x: xp.log10(x), lambda g, x: g / (x * math.log(10.0)), to_float=True
)
LOG1P = _defew("log1p", lambda xp, x: xp.log1p(x), lambda g, x: g / (1 + x), to_float=True)
SQRT = _defew("sqrt", lambda xp, x: xp.sqrt(x), lambda g, out: g / (2 * out), to_float=True)
RSQRT = _defew(
    "rsqrt", lambda xp, x: 1 / xp.sqrt(x), lambda g, out: -0.5 * g * out**3, to_float=True
)
SIN = _defew("sin", lambda xp, x: xp.sin(x), lambda ns, g, x: g * ns.cos(x), to_float=True)
COS = _defew("cos", lambda xp, x: xp.cos(x), lambda ns, g, x: -g * ns.sin(x), to_float=True)
TAN = _defew("tan", lambda xp, x: xp.tan(x), lambda g, out: g * (1 + out * out), to_float=True)
TANH = _defew("tanh", lambda xp, x: xp.tanh(x), lambda g, out: g * (1 - out * out), to_float=True)
SIGMOID = _defew(
    "sigmoid",
    lambda xp, x: _sigmoid(xp, x),
    lambda g, out: g * out * (1 - out),
    to_float=True,
)
RECIPROCAL = _defew("reciprocal", lambda xp, x: 1 / x, lambda g, out: -g * out * out, to_float=True)


def _no_bool(kernel):
    def check(x):
        if x.dtype.kind == "b":
            raise NotImplementedError(f"\"{kernel}\" not implemented for 'Bool'")

    return check


def _relu(xp, x):
    if x.dtype.kind == "b":
        raise RuntimeError("Boolean inputs not supported for relu")
    return xp.maximum(x, 0).astype(x.dtype, copy=False)


def _abs(xp, x):
    _no_bool("abs_cpu")(x)
    return xp.abs(x)


ABS = _defew("abs", _abs, lambda ns, g, x: g * ns.sign(x))
RELU = _defew("relu", _relu, lambda g, out: g * (out > 0))


def _sigmoid(xp, x):
    # exp of a negative argument only: no overflow for large |x|.
    e = xp.exp(-xp.abs(x))
    return xp.where(x >= 0, 1 / (1 + e), e / (1 + e)).astype(x.dtype)


# Piecewise constant: the derivative is 0 wherever it exists (PyTorch returns zeros).
_zero = lambda ns, g: ns.zeros_like(g)


def _rounding(fn, kernel):
    def fwd(xp, x):
        _no_bool(kernel)(x)
        return x.copy() if x.dtype.kind in "iu" else getattr(xp, fn)(x)

    return fwd


def _round(xp, x, *, decimals):
    _no_bool("round_vml_cpu")(x)
    return x.copy() if x.dtype.kind in "iu" else xp.round(x, decimals)


SIGN = _defew("sign", lambda xp, x: x.copy() if x.dtype.kind == "b" else xp.sign(x), _zero)
FLOOR = _defew("floor", _rounding("floor", "floor_vml_cpu"), _zero)
CEIL = _defew("ceil", _rounding("ceil", "ceil_vml_cpu"), _zero)
ROUND = _defew("round", _round, _zero)
TRUNC = _defew("trunc", _rounding("trunc", "trunc_vml_cpu"), _zero)


def _clamp_fwd(xp, x, *, min, max):
    r = x
    if min is not None:
        r = xp.maximum(r, min)
    if max is not None:
        r = xp.minimum(r, max)
    return r.astype(x.dtype, copy=False) if r is not x else x.copy()


def _clamp_vjp(g, x, min, max):
    # The gradient passes where min <= x <= max, bounds included (PyTorch's subgradient 1).
    if min is not None and max is not None:
        return g * ((x >= min) & (x <= max))
    if min is not None:
        return g * (x >= min)
    return g * (x <= max)


CLAMP = _defew("clamp", _clamp_fwd, _clamp_vjp, grad_fn="ClampBackward1")

# Ties give half of the gradient to each side, as in PyTorch.
MAXIMUM = _defew(
    "maximum",
    lambda xp, x, y: xp.maximum(x, y),
    (
        lambda ns, g, x, y: ns.where(x == y, g / 2, ns.where(x > y, g, 0.0)),
        lambda ns, g, x, y: ns.where(x == y, g / 2, ns.where(y > x, g, 0.0)),
    ),
    promote=True,
    broadcast=True,
)
MINIMUM = _defew(
    "minimum",
    lambda xp, x, y: xp.minimum(x, y),
    (
        lambda ns, g, x, y: ns.where(x == y, g / 2, ns.where(x < y, g, 0.0)),
        lambda ns, g, x, y: ns.where(x == y, g / 2, ns.where(y < x, g, 0.0)),
    ),
    promote=True,
    broadcast=True,
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
)

# ------------------------------------------------------ values written over
# fill_, zero_, copy_ and the random fills: the old values get no gradient.
FILL = _defew("fill", lambda xp, x, *, value: xp.full_like(x, value), _zero)
COPY = _defew(
    "copy",
    lambda xp, x, src: xp.broadcast_to(src, x.shape).astype(x.dtype),
    (_zero, lambda g: g),  # src is broadcast to x's shape: its gradient is summed back
    broadcast=True,
)
FILL_DATA = _defew(
    "fill_data", lambda xp, x, *, data: data.astype(x.dtype), _zero, grad_fn="FillBackward0"
)

# ------------------------------------------------------- comparisons, logic
# Boolean results carry no gradient (rule None).
# Python's operators dispatch to the array's own type: cheaper than ufunc objects on scalars.
EQ = defop("eq", lambda xp, x, y: x == y, None)
NE = defop("ne", lambda xp, x, y: x != y, None)
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


# -------------------------------------------------------------- the functions
def neg(input):
    """-input.

    >>> import chainrule as torch
    >>> torch.neg(torch.tensor([1., -2.]))
    tensor([-1.,  2.])
    """
    return apply(NEG, input)


negative = neg


def add(input, other, *, alpha=1):
    """input + alpha * other, broadcasting.

    >>> import chainrule as torch
    >>> torch.add(torch.tensor([1, 2]), torch.tensor([10, 20]), alpha=2)
    tensor([21, 42])
    """
    if alpha != 1:
        other = apply(MUL, other, alpha)
    return apply(ADD, input, other)


def sub(input, other, *, alpha=1):
    """input - alpha * other, broadcasting.

    >>> import chainrule as torch
    >>> torch.sub(torch.tensor([5., 5.]), 1.5)
    tensor([3.5000, 3.5000])
    """
    if alpha != 1:
        other = apply(MUL, other, alpha)
    return apply(SUB, input, other)


subtract = sub


def mul(input, other):
    """input * other (Hadamard product), broadcasting.

    >>> import chainrule as torch
    >>> torch.mul(torch.tensor([1., 2.]), 3)
    tensor([3., 6.])
    """
    return apply(MUL, input, other)


multiply = mul


def div(input, other, *, rounding_mode=None):
    """input / other (true division: integers give float32), or floor/trunc division.

    >>> import chainrule as torch
    >>> torch.div(torch.tensor([1, 2]), 2)
    tensor([0.5000, 1.0000])
    """
    if rounding_mode is None:
        return apply(DIV, input, other)
    if rounding_mode == "floor":
        return apply(FLOOR_DIVIDE, input, other)
    if rounding_mode == "trunc":
        q = apply(DIV, input, other)
        r = apply(TRUNC, q)
        return r if _is_float(input, other) else r.to(_result_dtype(input, other))
    raise ValueError(
        "div expected rounding_mode to be one of None, 'trunc', or 'floor' but found "
        f"'{rounding_mode}'"
    )


divide = true_divide = div


def _is_float(*xs):
    from ..dtypes import result_type

    return result_type(*xs).is_floating_point


def _result_dtype(*xs):
    from ..dtypes import result_type

    return result_type(*xs)


def floor_divide(input, other):
    """Division rounded down (Python's //).

    >>> import chainrule as torch
    >>> torch.floor_divide(torch.tensor([7, -7]), 2)
    tensor([ 3, -4])
    """
    return apply(FLOOR_DIVIDE, input, other)


def remainder(input, other):
    """Python's modulus: the result has the sign of ``other``.

    >>> import chainrule as torch
    >>> torch.remainder(torch.tensor([-3, 3]), 2)
    tensor([1, 1])
    """
    return apply(REMAINDER, input, other)


def pow(input, exponent):
    """input ** exponent, broadcasting.

    >>> import chainrule as torch
    >>> torch.pow(torch.tensor([1., 2., 3.]), 2)
    tensor([1., 4., 9.])
    """
    return apply(pow_prim(input, exponent), input, exponent)


def pow_prim(base, exponent):
    """PyTorch's three pow overloads differ only in their grad_fn name."""
    if hasattr(exponent, "_data"):
        return POW_T if hasattr(base, "_data") else POW_S
    return POW


def square(input):
    """input ** 2 (recorded as PowBackward0, as in PyTorch).

    >>> import chainrule as torch
    >>> torch.square(torch.tensor([-2, 3]))
    tensor([4, 9])
    """
    return apply(POW, input, 2)


def _unary(prim, name, example, result):
    def f(input):
        return apply(prim, input)

    f.__name__ = f.__qualname__ = name
    f.__doc__ = f"""Elementwise {name}.

    >>> import chainrule as torch
    >>> torch.{name}(torch.tensor({example}))
    {result}
    """
    return f


exp = _unary(EXP, "exp", "[0., 1.]", "tensor([1.0000, 2.7183])")
expm1 = _unary(EXPM1, "expm1", "[0.]", "tensor([0.])")
log = _unary(LOG, "log", "[1., 2.]", "tensor([0.0000, 0.6931])")
log2 = _unary(LOG2, "log2", "[1., 8.]", "tensor([0., 3.])")
log10 = _unary(LOG10, "log10", "[1., 100.]", "tensor([0., 2.])")
log1p = _unary(LOG1P, "log1p", "[0.]", "tensor([0.])")
sqrt = _unary(SQRT, "sqrt", "[4., 9.]", "tensor([2., 3.])")
rsqrt = _unary(RSQRT, "rsqrt", "[4.]", "tensor([0.5000])")
sin = _unary(SIN, "sin", "[0.]", "tensor([0.])")
cos = _unary(COS, "cos", "[0.]", "tensor([1.])")
tan = _unary(TAN, "tan", "[0.]", "tensor([0.])")
tanh = _unary(TANH, "tanh", "[0.]", "tensor([0.])")
sigmoid = _unary(SIGMOID, "sigmoid", "[0.]", "tensor([0.5000])")
reciprocal = _unary(RECIPROCAL, "reciprocal", "[2., 4.]", "tensor([0.5000, 0.2500])")
abs = _unary(ABS, "abs", "[-1., 2.]", "tensor([1., 2.])")
absolute = abs
relu = _unary(RELU, "relu", "[-1., 2.]", "tensor([0., 2.])")
sign = _unary(SIGN, "sign", "[-3., 0., 2.]", "tensor([-1.,  0.,  1.])")
floor = _unary(FLOOR, "floor", "[1.5, -1.5]", "tensor([ 1., -2.])")
ceil = _unary(CEIL, "ceil", "[1.5, -1.5]", "tensor([ 2., -1.])")
trunc = _unary(TRUNC, "trunc", "[1.5, -1.5]", "tensor([ 1., -1.])")
isnan = _unary(ISNAN, "isnan", "[1., float('nan')]", "tensor([False,  True])")
isinf = _unary(ISINF, "isinf", "[1., float('inf')]", "tensor([False,  True])")
isfinite = _unary(ISFINITE, "isfinite", "[1., float('inf')]", "tensor([ True, False])")
logical_not = _unary(LOGICAL_NOT, "logical_not", "[True, False]", "tensor([False,  True])")
bitwise_not = _unary(BITWISE_NOT, "bitwise_not", "[True, False]", "tensor([False,  True])")


def round(input, *, decimals: int = 0):
    """Round half to even (like PyTorch), optionally to ``decimals`` places.

    >>> import chainrule as torch
    >>> torch.round(torch.tensor([0.5, 1.5, 2.7]))
    tensor([0., 2., 3.])
    """
    return apply(ROUND, input, decimals=decimals)


def clamp(input, min=None, max=None):
    """Limit values to [min, max]; either bound may be None. The gradient passes at the bounds.

    >>> import chainrule as torch
    >>> torch.clamp(torch.tensor([-2., 0.5, 3.]), min=0, max=1)
    tensor([0.0000, 0.5000, 1.0000])
    """
    if min is None and max is None:
        raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
    from ..dtypes import result_type

    rt = result_type(input, *(b for b in (min, max) if b is not None))
    if rt.np != input._data.dtype:  # e.g. an int tensor clamped at 0.5 becomes float32
        input = input.to(rt)
    if hasattr(min, "_data") or hasattr(max, "_data"):
        r = input
        if min is not None:
            r = maximum(r, min) if hasattr(min, "_data") else apply(CLAMP, r, min=min, max=None)
        if max is not None:
            r = minimum(r, max) if hasattr(max, "_data") else apply(CLAMP, r, min=None, max=max)
        return r
    return apply(CLAMP, input, min=min, max=max)


clip = clamp


def maximum(input, other):
    """Elementwise maximum; at a tie each side gets half the gradient.

    >>> import chainrule as torch
    >>> torch.maximum(torch.tensor([1., 5.]), torch.tensor([3., 2.]))
    tensor([3., 5.])
    """
    return apply(MAXIMUM, input, other)


def minimum(input, other):
    """Elementwise minimum; at a tie each side gets half the gradient.

    >>> import chainrule as torch
    >>> torch.minimum(torch.tensor([1., 5.]), torch.tensor([3., 2.]))
    tensor([1., 2.])
    """
    return apply(MINIMUM, input, other)


def where(condition, input=None, other=None):
    """Elements of ``input`` where ``condition`` holds, else of ``other`` (broadcasting).

    >>> import chainrule as torch
    >>> x = torch.tensor([-1., 2.])
    >>> torch.where(x > 0, x, 0.)
    tensor([0., 2.])
    """
    cond = condition._data if hasattr(condition, "_data") else condition
    if input is None and other is None:
        from .reduction import nonzero

        return nonzero(condition, as_tuple=True)
    if not hasattr(input, "_data") and not hasattr(other, "_data"):
        from ..creation import tensor

        input = tensor(input)
    return apply(WHERE, input, other, cond=cond)


def _binary(prim, name, op, via=apply):
    def f(input, other):
        return via(prim, input, other)

    f.__name__ = f.__qualname__ = name
    f.__doc__ = f"""Elementwise ``input {op} other`` with broadcasting.

    >>> import chainrule as torch
    >>> torch.{name}(torch.tensor([1, 2]), torch.tensor([2, 2])).shape
    torch.Size([2])
    """
    return f


eq = _binary(EQ, "eq", "==", compare)
ne = not_equal = _binary(NE, "ne", "!=", compare)
lt = less = _binary(LT, "lt", "<", compare)
le = less_equal = _binary(LE, "le", "<=", compare)
gt = greater = _binary(GT, "gt", ">", compare)
ge = greater_equal = _binary(GE, "ge", ">=", compare)
logical_and = _binary(LOGICAL_AND, "logical_and", "and", compare)
logical_or = _binary(LOGICAL_OR, "logical_or", "or", compare)
logical_xor = _binary(LOGICAL_XOR, "logical_xor", "xor", compare)
bitwise_and = _binary(BITWISE_AND, "bitwise_and", "&")
bitwise_or = _binary(BITWISE_OR, "bitwise_or", "|")
bitwise_xor = _binary(BITWISE_XOR, "bitwise_xor", "^")
