"""Numerical check of every differentiable primitive of the derivative table.

Each entry of ``CASES`` names the primitive it covers (``chainrule.ops.REGISTRY``) and
draws, with hypothesis, a function built from public API calls and float64 inputs for
it. ``chainrule.autograd.gradcheck`` then compares the table's vjp with central
differences. Shapes are random (0-d where the op allows it, numel <= 12), binary ops get
broadcasting pairs, and inputs are given to the op contiguous, transposed or strided.
Values are kept away from kinks, poles and ties (those are pinned in
tests/autograd/test_kinks.py): every value domain below says how.

``test_every_differentiable_primitive_has_a_case`` fails when a primitive is added to the
table without a case here; each case also asserts that its function really records its
primitive. ``index_grad`` and ``put_along`` run only inside backward: they are checked by
tests/ops/test_gradgradcheck_table.py (second derivatives of getitem, gather, max(dim)).
"""

from __future__ import annotations

import functools
import math
import warnings
from dataclasses import dataclass, field

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import chainrule as cr
import chainrule.nn.functional as F
from chainrule.autograd import gradcheck
from chainrule.ops import REGISTRY
from chainrule.ops.apply import apply
from chainrule.ops.views import TO_DEVICE

# Primitives that only backward applies (rules of getitem / take_along / max(dim) / relu).
BACKWARD_ONLY = {"index_grad", "put_along", "threshold_backward"}
# Primitives whose backward raises, as PyTorch's does (tests/autograd/test_numeric_edges.py)
NO_DERIVATIVE = {
    "floor_divide",
    "remainder_scalar",
    "asinh_",
    "acosh_",
    "atanh_",
    "unique",
    "standard_gamma_grad",
    "scatter_legacy_reduce",
    "heaviside",
}

MAX_NUMEL = 12

# ------------------------------------------------------------------ value domains
# Each domain maps a shape to a strategy of float64 arrays of that shape.


def _floats(lo, hi):
    return st.floats(lo, hi, allow_nan=False, allow_infinity=False, width=64)


def _uniform(lo, hi):
    return lambda shape: hnp.arrays(np.float64, shape, elements=_floats(lo, hi))


REAL = _uniform(-2.0, 2.0)  # smooth everywhere: exp, sin, add, mul, ...
POS = _uniform(0.3, 2.5)  # log, sqrt, rsqrt, pow base: away from the pole/branch at 0
WIDE = _uniform(-6.0, 6.0)  # sigmoid: both branches of its stable forward
TAN = _uniform(-1.2, 1.2)  # tan: away from the poles at +-pi/2
LOG1P = _uniform(-0.6, 2.0)  # log1p: away from the pole at -1
UNIT = _uniform(-0.8, 0.8)  # asin, acos, atanh: away from the edges (and poles) at +-1
ABOVE1 = _uniform(1.2, 3.0)  # acosh: away from the edge of its domain at 1


def NONZERO(shape):
    """|x| in [0.3, 2], either sign: abs/sign kinks and 1/x poles are >= 0.3 away."""
    return st.tuples(
        hnp.arrays(np.bool_, shape), hnp.arrays(np.float64, shape, elements=_floats(0.3, 2.0))
    ).map(lambda t: np.where(t[0], -t[1], t[1]))


def OFFGRID(shape):
    """k/2 + 1/4 + u, |u| <= 0.2: at least 0.05 from every multiple of 0.5, so from the
    kinks of abs/relu/sign (0), the jumps of floor/ceil/trunc/round (integers and halves),
    clamp bounds chosen on the half grid, and the jumps of x % y for y on the half grid."""
    return st.tuples(
        hnp.arrays(np.int64, shape, elements=st.integers(-4, 3)),
        hnp.arrays(np.float64, shape, elements=_floats(-0.2, 0.2)),
    ).map(lambda t: t[0] * 0.5 + 0.25 + t[1])


def DEC1(shape):
    """At least 0.01 from the jumps of round(x, decimals=1) (odd multiples of 0.05)."""
    return st.tuples(
        hnp.arrays(np.int64, shape, elements=st.integers(-15, 15)),
        hnp.arrays(np.float64, shape, elements=_floats(-0.04, 0.04)),
    ).map(lambda t: t[0] * 0.1 + t[1])


def DISTINCT(shape):
    """Pairwise distinct values 0.3 apart: no ties for max/min/amax, no zero std."""
    return hnp.arrays(np.int64, shape, elements=st.integers(-20, 20), unique=True).map(
        lambda k: k * 0.3 + 0.05
    )


def GRID_A(shape):
    """k/2 + u, |u| <= 0.1 ..."""
    return st.tuples(
        hnp.arrays(np.int64, shape, elements=st.integers(-4, 4)),
        hnp.arrays(np.float64, shape, elements=_floats(-0.1, 0.1)),
    ).map(lambda t: t[0] * 0.5 + t[1])


def GRID_B(shape):
    """... and k/2 + 1/4 + u: an element of GRID_A and one of GRID_B differ by >= 0.05
    (maximum/minimum without ties, whatever the broadcasting pairs up)."""
    return GRID_A(shape).map(lambda a: a + 0.25)


def HALFSTEP(shape):
    """Non-zero multiples of 0.5: divisors for remainder (with x drawn OFFGRID)."""
    return hnp.arrays(np.int64, shape, elements=st.sampled_from([-4, -3, -2, -1, 1, 2, 3, 4])).map(
        lambda k: k * 0.5
    )


def WITH_ZEROS(shape):
    """Values of which some are exactly 0 (prod/cumprod: the exact path for zeros)."""
    return hnp.arrays(np.float64, shape, elements=st.one_of(st.just(0.0), _floats(-2.0, 2.0))).map(
        lambda a: _force_zero(a)
    )


def _force_zero(a):
    a = a.copy()
    if a.size:
        a.reshape(-1)[0] = 0.0
    return a


# ------------------------------------------------------------------------- shapes


def _numel(shape):
    return math.prod(shape)


@st.composite
def shapes(draw, min_dims=0, max_dims=3, max_numel=MAX_NUMEL, max_side=4):
    """A shape with min_dims..max_dims dims, sides >= 1 and at most max_numel elements."""
    n = draw(st.integers(min_dims, max_dims))
    out, budget = [], max_numel
    for _ in range(n):
        side = draw(st.integers(1, max(1, min(max_side, budget))))
        out.append(side)
        budget = max(1, budget // side)
    return tuple(out)


@st.composite
def bcast_pair(draw, max_numel=MAX_NUMEL, min_dims=0):
    """Two shapes that broadcast together (leading dims dropped, sides set to 1)."""
    full = draw(shapes(min_dims=min_dims, max_numel=max_numel))
    return tuple(_bcast_operand(draw, full) for _ in range(2))


def _bcast_operand(draw, full):
    lead = draw(st.integers(0, len(full)))
    s = full[lead:]
    ones = draw(st.lists(st.booleans(), min_size=len(s), max_size=len(s)))
    return tuple(1 if o else d for d, o in zip(s, ones, strict=True))


# Broadcasting pairs every binary op is also checked on (test_binary_explicit_pairs).
EXPLICIT_PAIRS = [
    ((3, 1), (1, 4)),
    ((2, 3), (3,)),
    ((), (2, 2)),
    ((2, 2), ()),
    ((1,), (2, 3)),
    ((2, 1, 3), (2, 1)),
]


def _dim(draw, ndim):
    """A dim index for a tensor of ndim dims, negative or not (0-d accepts 0 and -1)."""
    n = max(ndim, 1)
    return draw(st.integers(-n, n - 1))


def _dims(draw, ndim, min_size=1):
    """A tuple of distinct dims, each spelled negative or not."""
    picked = draw(st.lists(st.integers(0, ndim - 1), min_size=min_size, max_size=ndim, unique=True))
    return tuple(d - ndim if draw(st.booleans()) else d for d in picked)


def _factor(draw, numel, max_dims=3):
    """A random shape with ``numel`` elements (possibly with one -1 inferred)."""
    out, rest = [], numel
    for _ in range(draw(st.integers(0, max_dims - 1))):
        divs = [d for d in range(1, rest + 1) if rest % d == 0]
        d = draw(st.sampled_from(divs))
        out.append(d)
        rest //= d
    out.append(rest)
    out = draw(st.permutations(out))
    if draw(st.booleans()):
        out[draw(st.integers(0, len(out) - 1))] = -1
    return tuple(out)


# -------------------------------------------------------------------------- cases


@dataclass
class Case:
    """One check: ``draw(data, max_numel)`` gives (fn, [float64 arrays]) for gradcheck.

    prim: the REGISTRY name the case covers (fn must record it).
    layouts: whether inputs may be handed to fn transposed/strided (False for ``view``,
    which refuses non-contiguous inputs, as PyTorch does).
    tol: keyword arguments for gradcheck (tolerances of a float32 round trip).
    """

    prim: str
    label: str
    draw: object
    layouts: bool = True
    tol: dict = field(default_factory=dict)
    # binary elementwise cases: f and the two value domains, for the explicit pairs
    binary: tuple | None = None
    # False: the case sits on a point where PyTorch's rule is not twice differentiable
    second_order: bool = True

    @property
    def id(self) -> str:
        return f"{self.prim}:{self.label}"


def unary(prim, label, f, dom=REAL, min_dims=0, max_dims=3, **kw):
    def draw(data, max_numel=MAX_NUMEL):
        s = data.draw(shapes(min_dims, max_dims, max_numel))
        return f, [data.draw(dom(s))]

    return Case(prim, label, draw, **kw)


def binary(prim, label, f, dom_x=REAL, dom_y=REAL, **kw):
    def draw(data, max_numel=MAX_NUMEL):
        sx, sy = data.draw(bcast_pair(max_numel))
        return f, [data.draw(dom_x(sx)), data.draw(dom_y(sy))]

    return Case(prim, label, draw, binary=(f, dom_x, dom_y), **kw)


def shaped(prim, label, make, dom=REAL, min_dims=0, max_dims=3, **kw):
    """A unary case whose function depends on the drawn shape: make(draw, shape) -> fn."""

    def draw(data, max_numel=MAX_NUMEL):
        s = data.draw(shapes(min_dims, max_dims, max_numel))
        return make(data.draw, s), [data.draw(dom(s))]

    return Case(prim, label, draw, **kw)


def custom(prim, label, draw, **kw):
    return Case(prim, label, draw, **kw)


CASES: list[Case] = []
add = CASES.append

# ---------------------------------------------------------------- elementwise: arithmetic
add(unary("neg", "-x", lambda x: -x))
add(unary("neg", "neg()", cr.neg))
add(binary("add", "x + y", lambda x, y: x + y))
add(unary("add", "x + scalar", lambda x: x + 1.5))
add(unary("add", "scalar + x", lambda x: 2.5 + x))
add(unary("add", "x + x (same tensor twice)", lambda x: cr.add(x, x)))
add(binary("add", "add(alpha=2)", lambda x, y: cr.add(x, y, alpha=2)))
add(binary("sub", "x - y", lambda x, y: x - y))
add(unary("rsub", "scalar - x", lambda x: 3.0 - x))
add(binary("sub", "sub(alpha=0.5)", lambda x, y: cr.sub(x, y, alpha=0.5)))
add(unary("scale", "add(x, x, alpha=-1.5)", lambda x: cr.add(x, x.exp(), alpha=-1.5)))
add(binary("mul", "x * y", lambda x, y: x * y))
add(unary("mul", "x * scalar", lambda x: x * 3.0))
add(unary("mul", "x * x (same tensor twice)", lambda x: x * x))
add(binary("div", "x / y", lambda x, y: x / y, REAL, NONZERO))
add(unary("reciprocal", "scalar / x: reciprocal(x) * scalar", lambda x: 1.5 / x, NONZERO))
add(unary("div", "x / scalar", lambda x: x / 4.0))
# y = 0 exactly is avoided: there the x-rule is masked to 0 (PyTorch's choice, for 0 ** 0),
# which drops its derivative in y; gradgradcheck of x ** y fails at y = 0 in PyTorch too.
add(binary("pow_tensor", "x ** y, x > 0", lambda x, y: x**y, POS, NONZERO))
add(binary("pow_tensor", "pow(x, y)", cr.pow, POS, NONZERO))
add(binary("pow_tensor", "x ** y with y = 0 entries", cr.pow, POS, WITH_ZEROS, second_order=False))
add(unary("pow", "x ** 3, negative base", lambda x: x**3))
add(unary("pow", "x ** 0.5", lambda x: x**0.5, POS))
add(unary("pow", "x ** -2", lambda x: x**-2, NONZERO))
add(unary("pow", "x ** 0", lambda x: x**0))
add(unary("pow", "square()", cr.square))
add(unary("pow_scalar", "2.0 ** x (scalar base)", lambda x: 2.0**x))
add(unary("pow_scalar", "pow(0.5, x)", lambda x: cr.pow(0.5, x)))
add(binary("remainder", "x % y", lambda x, y: x % y, OFFGRID, HALFSTEP))
add(unary("remainder", "x % 1.5", lambda x: cr.remainder(x, 1.5), OFFGRID))


# ---------------------------------------------------------------- complex numbers
# Real float64 leaves made complex inside (gradcheck counts a complex output as its two
# real parts); away from 0, where abs and angle have their kinks.
def _z(x, y):
    return cr.complex(x, y)


add(binary("complex", "complex(x, y)", cr.complex))
add(binary("abs_complex", "complex(x, y).abs()", lambda x, y: _z(x, y).abs(), NONZERO, NONZERO))
add(binary("conj", "complex(x, y).conj() * complex(y, x)", lambda x, y: _z(x, y).conj() * _z(y, x)))
add(binary("real", "(z * w).real", lambda x, y: (_z(x, y) * _z(y, x)).real))
add(binary("imag", "(z * w).imag", lambda x, y: (_z(x, y) * _z(y, x)).imag))
add(binary("angle", "complex(x, y).angle()", lambda x, y: _z(x, y).angle(), NONZERO, NONZERO))
add(unary("angle", "angle of real x (zero gradient)", cr.angle, NONZERO))
add(binary("mul", "complex z * w", lambda x, y: _z(x, y) * _z(y, x)))
add(binary("div", "complex z / w", lambda x, y: _z(x, y) / _z(y, x), NONZERO, NONZERO))
add(unary("mul", "real x * complex scalar", lambda x: x * (2 - 1j)))
add(unary("exp", "exp of complex", lambda x: _z(x, x * x).exp()))
add(unary("log", "log of complex", lambda x: _z(x, 1 + x * x).log()))

# ---------------------------------------------------------------- elementwise: unary
add(unary("exp", "exp", cr.exp))
add(unary("expm1", "expm1", cr.expm1))
add(unary("log", "log", cr.log, POS))
add(unary("log2", "log2", cr.log2, POS))
add(unary("log10", "log10", cr.log10, POS))
add(unary("log1p", "log1p", cr.log1p, LOG1P))
add(unary("sqrt", "sqrt", cr.sqrt, POS))
add(unary("rsqrt", "rsqrt", cr.rsqrt, POS))
add(unary("sin", "sin", cr.sin))
add(unary("cos", "cos", cr.cos))
add(unary("tan", "tan", cr.tan, TAN))
add(unary("tanh", "tanh", cr.tanh))
add(unary("sigmoid", "sigmoid", cr.sigmoid, WIDE))
add(unary("sinh", "sinh", cr.sinh))
add(unary("cosh", "cosh", cr.cosh))
add(unary("asin", "asin", cr.asin, UNIT))
add(unary("asin", "arcsin (alias)", cr.arcsin, UNIT))
add(unary("acos", "acos", cr.acos, UNIT))
add(unary("acos", "x.arccos() (alias)", lambda x: x.arccos(), UNIT))
add(unary("atan", "atan", cr.atan, WIDE))
add(unary("asinh", "asinh", cr.asinh, WIDE))
add(unary("acosh", "acosh", cr.acosh, ABOVE1))
add(unary("atanh", "atanh", cr.atanh, UNIT))
# both operands >= 0.3 from 0: away from the origin (where the rule is masked to 0) and
# from the branch cut at y = 0, x < 0 (where atan2 jumps from pi to -pi)
add(binary("atan2", "atan2(y, x)", cr.atan2, NONZERO, NONZERO))
add(binary("atan2", "y.arctan2(x) (alias)", lambda y, x: y.arctan2(x), NONZERO, NONZERO))
add(unary("reciprocal", "reciprocal", cr.reciprocal, NONZERO))
add(unary("gelu", "F.gelu", F.gelu, WIDE))
add(unary("gelu", "F.gelu(approximate='tanh')", lambda x: F.gelu(x, approximate="tanh"), WIDE))
add(unary("leaky_relu", "F.leaky_relu(0.2)", lambda x: F.leaky_relu(x, 0.2), OFFGRID))
add(
    unary(
        "leaky_relu_inplace",
        "F.leaky_relu(inplace=True)",
        lambda x: F.leaky_relu(x.clone(), 0.1, inplace=True),
        OFFGRID,
    )
)
add(unary("elu", "F.elu(alpha=0.7)", lambda x: F.elu(x, 0.7), OFFGRID))
add(unary("elu_inplace", "F.elu(inplace=True)", lambda x: F.elu(x.clone(), inplace=True), OFFGRID))
add(unary("softplus", "F.softplus", F.softplus, WIDE))
# beta * x > threshold at x > 0.5: OFFGRID stays 0.05 away from that jump
add(unary("softplus", "F.softplus(2, 1)", lambda x: F.softplus(x, 2.0, 1.0), OFFGRID))
add(unary("abs", "abs", cr.abs, OFFGRID))
add(unary("abs", "abs(x) operator", lambda x: abs(x), OFFGRID))
add(unary("relu", "relu", cr.relu, OFFGRID))
add(unary("sign", "sign", cr.sign, OFFGRID))
add(unary("floor", "floor", cr.floor, OFFGRID))
add(unary("ceil", "ceil", cr.ceil, OFFGRID))
add(unary("trunc", "trunc", cr.trunc, OFFGRID))
add(unary("round", "round", cr.round, OFFGRID))
add(unary("round", "round(decimals=1)", lambda x: cr.round(x, decimals=1), DEC1))
add(unary("clamp", "clamp(-0.5, 1.0)", lambda x: cr.clamp(x, -0.5, 1.0), OFFGRID))
add(unary("clamp", "clamp(min=0)", lambda x: x.clamp(min=0.0), OFFGRID))
add(unary("clamp", "clamp(max=0.5)", lambda x: x.clamp(max=0.5), OFFGRID))
add(unary("clamp", "clip(int bounds)", lambda x: cr.clip(x, -1, 1), OFFGRID))
add(binary("maximum", "maximum", cr.maximum, GRID_A, GRID_B))
add(binary("maximum", "max(x, other)", lambda x, y: cr.max(x, y), GRID_B, GRID_A))
add(binary("clamp_tensor", "clamp(min=tensor)", lambda x, y: cr.clamp(x, min=y), GRID_A, GRID_B))
add(binary("minimum", "minimum", cr.minimum, GRID_A, GRID_B))
add(binary("minimum", "x.min(other)", lambda x, y: x.min(y), GRID_B, GRID_A))
add(binary("clamp_tensor", "clamp(max=tensor)", lambda x, y: cr.clamp(x, max=y), GRID_A, GRID_B))


def _thirds(offset):
    """k/4 + offset + u, |u| <= 0.02: x (offset 0), min (1/12) and max (1/6) bounds drawn
    from these are >= 0.04 apart, whatever the broadcasting pairs up (no ties)."""
    return lambda shape: st.tuples(
        hnp.arrays(np.int64, shape, elements=st.integers(-6, 6)),
        hnp.arrays(np.float64, shape, elements=_floats(-0.02, 0.02)),
    ).map(lambda t: t[0] * 0.25 + offset + t[1])


def _clamp_both(data, max_numel=MAX_NUMEL):
    full = data.draw(shapes(max_numel=max_numel))
    sx, slo, shi = (_bcast_operand(data.draw, full) for _ in range(3))
    doms = (_thirds(0.0)(sx), _thirds(1 / 12)(slo), _thirds(1 / 6)(shi))
    fn = data.draw(st.sampled_from([cr.clamp, lambda x, lo, hi: x.clip(lo, hi)]))
    return fn, [data.draw(d) for d in doms]


add(custom("clamp_tensor", "clamp(x, min, max), tensors broadcast (min > max too)", _clamp_both))
add(
    binary(
        "div_rounding",
        "div(rounding_mode='floor')",
        lambda x, y: cr.div(x, y, rounding_mode="floor"),
        OFFGRID,
        HALFSTEP,
    )
)
add(
    binary(
        "div_rounding",
        "div(rounding_mode='trunc')",
        lambda x, y: x.div(y, rounding_mode="trunc"),
        OFFGRID,
        HALFSTEP,
    )
)

# in place on a non-leaf: the same primitives, through Tensor._inplace
add(unary("exp", "exp_ in place", lambda x: (x * 1.0).exp_()))
add(unary("sin", "sin_ in place (rule needs the input)", lambda x: (x * 1.0).sin_()))
add(unary("asin", "asin_ in place", lambda x: (x * 1.0).asin_(), UNIT))
add(unary("cosh", "cosh_ in place", lambda x: (x * 1.0).cosh_()))
add(binary("atan2", "atan2_ in place", lambda y, x: (y + 0 * x).atan2_(x), NONZERO, NONZERO))
add(binary("mul", "mul_ in place", lambda x, y: (x + 0.0 * y).mul_(y)))
add(unary("clamp", "clamp_ in place", lambda x: (x * 1.0).clamp_(-0.5, 1.0), OFFGRID))
add(unary("pow", "pow_ in place", lambda x: (x + 0.0).pow_(3)))
add(binary("pow_tensor", "pow_(tensor) in place", lambda x, y: (x + 0 * y).pow_(y), POS, NONZERO))


@st.composite
def _where_args(draw, max_numel):
    full = draw(shapes(max_numel=max_numel))
    sc, sx, sy = (_bcast_operand(draw, full) for _ in range(3))
    cond = draw(hnp.arrays(np.bool_, sc))
    return cond, sx, sy


def _where_case(label, make):
    def draw(data, max_numel=MAX_NUMEL):
        cond, sx, sy = data.draw(_where_args(max_numel))
        c = cr.from_numpy(cond)
        return make(c), [data.draw(REAL(sx)), data.draw(REAL(sy))]

    return custom("where", label, draw)


add(_where_case("where(cond, x, y)", lambda c: lambda x, y: cr.where(c, x, y)))
add(_where_case("x.where(cond, y)", lambda c: lambda x, y: x.where(c, y)))


def _where_scalar(data, max_numel=MAX_NUMEL):
    s = data.draw(shapes(max_numel=max_numel))
    c = cr.from_numpy(data.draw(hnp.arrays(np.bool_, s)))
    return (lambda x: cr.where(c, x, 0.5)), [data.draw(REAL(s))]


add(custom("where", "where(cond, x, scalar)", _where_scalar))


def _masked_fill(data, max_numel=MAX_NUMEL):
    s = data.draw(shapes(max_numel=max_numel))
    m = cr.from_numpy(data.draw(hnp.arrays(np.bool_, s)))
    return (lambda x: x.masked_fill(m, 0.5)), [data.draw(REAL(s))]


def _masked_fill_broadcast(data, max_numel=MAX_NUMEL):
    # the mask broadcasts x (out of place, as PyTorch): x's gradient is summed back
    s = data.draw(shapes(min_dims=1, max_numel=max_numel))
    m = cr.from_numpy(data.draw(hnp.arrays(np.bool_, (2, *s))))
    return (lambda x: x.masked_fill(m, -1.0)), [data.draw(REAL(s))]


def _masked_fill_tensor(data, max_numel=MAX_NUMEL):
    # a 0-d value with history: its gradient is the sum of g over the mask
    s = data.draw(shapes(max_numel=max_numel))
    m = cr.from_numpy(data.draw(hnp.arrays(np.bool_, s)))
    return (lambda x, v: x.masked_fill(m, v)), [data.draw(REAL(s)), data.draw(REAL(()))]


add(custom("masked_fill", "masked_fill", _masked_fill))
add(custom("masked_fill", "masked_fill, the mask broadcasting x", _masked_fill_broadcast))
add(custom("masked_fill_tensor", "masked_fill(mask, 0-d tensor)", _masked_fill_tensor))
# in-place writes of tensor methods (chainrule/_methods.py)
add(unary("fill", "fill_ on a non-leaf", lambda x: (x * 1.0).fill_(2.0) * x))
add(unary("zero", "zero_ on a non-leaf", lambda x: (x * 1.0).zero_() + x.exp()))


def _fill_tensor_(data, max_numel=MAX_NUMEL):
    sx = data.draw(st.sampled_from([(), (3,), (2, 3)]))

    def f(x, v):
        y = x * 2.0
        y.fill_(v)  # v is 0-d: its gradient is the sum over y's
        return y * x

    return f, [data.draw(REAL(sx)), data.draw(REAL(()))]


add(custom("fill_tensor", "fill_(0-d tensor) on a non-leaf", _fill_tensor_))


def _copy_(data, max_numel=MAX_NUMEL):
    sx, ssrc = data.draw(bcast_pair(max_numel))
    full = np.broadcast_shapes(sx, ssrc)
    sx = full  # copy_ writes src broadcast to self's shape

    def f(x, src):
        y = x * 2.0
        y.copy_(src)
        return y * x

    return f, [data.draw(REAL(sx)), data.draw(REAL(ssrc))]


add(custom("copy", "copy_ (src broadcast)", _copy_))


def _remade_empty_view(x):
    z = x * 2.0
    v = z[..., :0]
    z.mul_(3.0)  # v is used after its base was written: made again (empty_view)
    return v.sum() + z.exp()


add(unary("empty_view", "an empty view made again", _remade_empty_view, min_dims=1))


def _uniform_(x):
    y = x * 2.0
    y.uniform_(generator=cr.Generator().manual_seed(0))  # the same data on every call
    return y * x


add(unary("fill_data", "uniform_ on a non-leaf", _uniform_))

# ---------------------------------------------------------------------- reductions


def _reduce_dims(draw, ndim):
    """None, an int dim, or a tuple of dims (axis spelled either way)."""
    kind = draw(st.sampled_from(["all", "int", "tuple"])) if ndim else "all"
    if kind == "all":
        return None
    if kind == "int":
        return _dim(draw, ndim)
    return _dims(draw, ndim)


def _sum_all(name):
    f = getattr(cr, name)
    return [
        unary(name, f"{name}(x)", f),
        unary(name, f"x.{name}()", lambda x: getattr(x, name)()),
        # a 0-d tensor has no dims to reduce: dim=0 means all of it
        unary(name, f"{name}(0-d, dim=0)", lambda x: f(x, 0), max_dims=0),
    ]


def _sum_dim(name):
    f = getattr(cr, name)

    def make(draw, s):
        d = _dim(draw, len(s)) if draw(st.booleans()) else _dims(draw, len(s))
        keep = draw(st.booleans())
        if draw(st.booleans()):
            return lambda x: f(x, dim=d, keepdim=keep)
        return lambda x: f(x, axis=d, keepdims=keep)  # the NumPy spelling d2l uses

    return shaped(f"{name}_dim", f"{name}(dim, keepdim)", make, min_dims=1)


for _name in ("sum", "mean"):
    CASES.extend(_sum_all(_name))
    add(_sum_dim(_name))


@st.composite
def _var_args(draw, max_numel):
    # at least 2 elements per reduced group: unbiased var/std defined, std > 0
    s = draw(shapes(min_dims=1, max_numel=max_numel).filter(lambda s: _numel(s) >= 2))
    big = [i for i, n in enumerate(s) if n >= 2]
    if draw(st.booleans()):
        d = None
    else:
        first = draw(st.sampled_from(big))
        more = draw(st.lists(st.integers(0, len(s) - 1), unique=True, max_size=len(s)))
        d = tuple(sorted({first, *more}))
    return s, d, draw(st.sampled_from([0, 1])), draw(st.booleans())


def _var_case(name):
    def draw(data, max_numel=MAX_NUMEL):
        s, d, corr, keep = data.draw(_var_args(max_numel))
        f = getattr(cr, name)
        if d is None:
            fn = (lambda x: f(x)) if corr == 1 else (lambda x: f(x, correction=0))
        else:
            fn = lambda x: f(x, dim=d, correction=corr, keepdim=keep)
        return fn, [data.draw(DISTINCT(s))]

    return custom(name, f"{name}(dim, correction, keepdim)", draw)


add(_var_case("var"))
add(_var_case("std"))
add(unary("var", "var(unbiased=False)", lambda x: x.var(unbiased=False), DISTINCT, min_dims=1))


def _prod_dim(draw, s):
    keep = draw(st.booleans())
    d = _dim(draw, len(s))
    return lambda x: x.prod(dim=d, keepdim=keep)


add(unary("prod", "prod()", lambda x: x.prod()))
add(unary("prod", "prod() with zeros", lambda x: x.prod(), WITH_ZEROS, min_dims=1))
add(shaped("prod_dim", "prod(dim)", _prod_dim, min_dims=1))
add(shaped("prod_dim", "prod(dim) with zeros", _prod_dim, WITH_ZEROS, min_dims=1))
add(unary("cumprod", "cumprod of a 0-d tensor", lambda x: cr.cumprod(x, dim=0), max_dims=0))


def _logsumexp(draw, s):
    d = _reduce_dims(draw, len(s))
    d = _dim(draw, len(s)) if d is None else d
    keep = draw(st.booleans())
    return lambda x: cr.logsumexp(x, dim=d, keepdim=keep)


add(shaped("logsumexp", "logsumexp(dim)", _logsumexp, WIDE))


def _amax(name):
    def make(draw, s):
        d = _reduce_dims(draw, len(s))
        keep = draw(st.booleans())
        f = getattr(cr, name)
        return (lambda x: f(x)) if d is None else (lambda x: f(x, dim=d, keepdim=keep))

    return make


add(shaped("amax", "amax(dim)", _amax("amax"), DISTINCT))
add(shaped("amin", "amin(dim)", _amax("amin"), DISTINCT))
add(unary("max_all", "x.max()", lambda x: x.max(), DISTINCT))
add(unary("min_all", "min(x)", cr.min, DISTINCT))


def _extreme_dim(name):
    def make(draw, s):
        d = _dim(draw, len(s))
        keep = draw(st.booleans())
        if draw(st.booleans()):
            return lambda x: getattr(x, name)(dim=d, keepdim=keep).values
        return lambda x: getattr(cr, name)(x, d, keep)[0]

    return make


add(shaped("max_dim", "max(dim).values", _extreme_dim("max"), DISTINCT, min_dims=1))
add(shaped("min_dim", "min(dim).values", _extreme_dim("min"), DISTINCT, min_dims=1))
add(unary("max_dim", "max(0-d, dim=0).values", lambda x: cr.max(x, 0).values, max_dims=0))
add(unary("min_dim", "min(0-d, -1, keepdim).values", lambda x: x.min(-1, True)[0], max_dims=0))


def _cum(name):
    def make(draw, s):
        d = _dim(draw, len(s))
        return lambda x: getattr(cr, name)(x, dim=d)

    return make


add(shaped("cumsum", "cumsum(dim)", _cum("cumsum"), min_dims=1))
add(shaped("cumprod", "cumprod(dim), no zeros", _cum("cumprod"), NONZERO, min_dims=1))
add(shaped("cumprod", "cumprod(dim) with zeros", _cum("cumprod"), WITH_ZEROS, min_dims=1))
add(unary("clone", "cumsum of 0-d is a clone", lambda x: x.cumsum(0), max_dims=0))


def _norm(draw, s):
    kind = draw(st.sampled_from(["dim", "linalg", "vector"]))
    d = _dim(draw, len(s))
    keep = draw(st.booleans())
    if kind == "dim":
        return lambda x: x.norm(dim=d, keepdim=keep)
    if kind == "linalg":
        return lambda x: cr.linalg.norm(x, dim=d, keepdim=keep)
    return lambda x: cr.linalg.vector_norm(x, dim=d, keepdim=keep)


add(shaped("norm2", "2-norm over dims (no zero rows)", _norm, NONZERO, min_dims=1))
add(shaped("norm_all", "x.norm(), also 0-d (nonzero)", lambda draw, s: lambda x: x.norm(), NONZERO))
add(unary("norm_p", "norm(p=1)", lambda x: x.norm(p=1), NONZERO))
add(unary("norm_p", "norm(p=inf)", lambda x: x.norm(p=float("inf")), DISTINCT))
add(unary("norm_p", "norm(p=-inf)", lambda x: x.norm(p=float("-inf")), DISTINCT))
add(unary("norm_p", "norm(p=0) (a count: zero gradient)", lambda x: x.norm(p=0), NONZERO))


def _norm_p(draw, s):
    p = draw(st.sampled_from([3, 0.5, -1, 1.5, 4, -2.5]))
    d = _reduce_dims(draw, len(s))
    keep = draw(st.booleans())
    if draw(st.booleans()):
        return lambda x: cr.linalg.vector_norm(x, ord=p, dim=d, keepdim=keep)
    return lambda x: x.norm(p=p, dim=d, keepdim=keep)


add(shaped("norm_p", "p-norms (3, 0.5, -1, 1.5, 4, -2.5) over dims", _norm_p, NONZERO))


def _softmax(name):
    def make(draw, s):
        d = _dim(draw, len(s))
        if draw(st.booleans()):
            return lambda x: getattr(cr, name)(x, d)
        return lambda x: getattr(cr.nn.functional, name)(x, dim=d)

    return make


add(shaped("softmax", "softmax(dim)", _softmax("softmax"), WIDE))
add(shaped("log_softmax", "log_softmax(dim)", _softmax("log_softmax"), WIDE))


# ---------------------------------------------------------------------- losses
PROB = _uniform(0.05, 0.95)  # binary cross-entropy's probabilities: away from its clamps
UNIT = _uniform(0.0, 1.0)  # its targets
SMALL = _uniform(-0.4, 0.4)  # |x - y| < 0.8: inside smooth_l1's quadratic part (beta = 1)


def _loss_case(prim, label, f, dom_x, dom_y, **kw):
    """A loss of (input, target), both of one drawn shape, both checked."""

    def draw(data, max_numel=MAX_NUMEL):
        s = data.draw(shapes(max_numel=max_numel))
        return f, [data.draw(dom_x(s)), data.draw(dom_y(s))]

    return custom(prim, label, draw, **kw)


def _weight_of(shape, last=False):
    """Weights 0.5..2 of ``shape`` (``last``: one per entry of the last dim)."""
    if last:
        shape = shape[-1:]
    return cr.from_numpy(np.linspace(0.5, 2.0, math.prod(shape)).reshape(shape))


for _r in ("mean", "sum", "none"):
    add(
        _loss_case(
            "mse_loss",
            f"F.mse_loss({_r})",
            lambda x, y, r=_r: F.mse_loss(x, y, reduction=r),
            REAL,
            REAL,
        )
    )
    add(
        _loss_case(
            "smooth_l1_loss",
            f"F.smooth_l1_loss({_r})",
            lambda x, y, r=_r: F.smooth_l1_loss(x, y, reduction=r),
            SMALL,
            SMALL,
        )
    )
    add(
        _loss_case(
            "binary_cross_entropy",
            f"F.binary_cross_entropy({_r})",
            lambda x, y, r=_r: F.binary_cross_entropy(x, y, reduction=r),
            PROB,
            UNIT,
        )
    )
    add(
        _loss_case(
            "binary_cross_entropy_with_logits",
            f"F.binary_cross_entropy_with_logits({_r})",
            lambda x, y, r=_r: F.binary_cross_entropy_with_logits(x, y, reduction=r),
            WIDE,
            UNIT,
        )
    )
# beta = 0.01: the two sides >= 0.05 apart, so off the seam
add(
    _loss_case(
        "smooth_l1_loss",
        "F.smooth_l1_loss(beta=0.01)",
        lambda x, y: F.smooth_l1_loss(x, y, beta=0.01),
        GRID_A,
        GRID_B,
    )
)


def _bce_weighted(data, max_numel=MAX_NUMEL):
    s = data.draw(shapes(max_numel=max_numel))
    w = _weight_of(s)
    f = lambda x, y: F.binary_cross_entropy(x, y, weight=w)  # noqa: E731
    return f, [data.draw(PROB(s)), data.draw(UNIT(s))]


def _bce_logits_weighted(data, max_numel=MAX_NUMEL):
    s = data.draw(shapes(max_numel=max_numel))
    w, pw = _weight_of(s), _weight_of(s, last=True) * 3.0
    f = lambda x, y: F.binary_cross_entropy_with_logits(x, y, w, pos_weight=pw, reduction="sum")  # noqa: E731
    return f, [data.draw(WIDE(s)), data.draw(UNIT(s))]


add(custom("binary_cross_entropy", "F.binary_cross_entropy(weight)", _bce_weighted))
add(
    custom(
        "binary_cross_entropy_with_logits",
        "F.binary_cross_entropy_with_logits(weight, pos_weight)",
        _bce_logits_weighted,
    )
)


def _nll(reduction, weighted=False, ignore=False, shapes=((3,), (2, 3), (4, 2))):
    def draw(data, max_numel=MAX_NUMEL):
        shape = data.draw(st.sampled_from(shapes))
        n_classes = shape[0] if len(shape) == 1 else shape[1]
        tshape = () if len(shape) == 1 else shape[:1] + shape[2:]
        t = data.draw(hnp.arrays(np.int64, tshape, elements=st.integers(0, n_classes - 1)))
        if ignore and t.size > 1:  # (all ignored is a NaN loss: test_losses_vs_torch.py)
            t.reshape(-1)[0] = -100
        target = cr.from_numpy(t)
        w = cr.from_numpy(np.linspace(0.5, 2.0, n_classes)) if weighted else None
        f = lambda x: F.nll_loss(x, target, weight=w, reduction=reduction)  # noqa: E731
        return f, [data.draw(REAL(shape))]

    return draw


for _r in ("mean", "sum", "none"):
    add(custom("nll_loss", f"F.nll_loss({_r})", _nll(_r)))
add(custom("nll_loss", "F.nll_loss(weight, an ignored target)", _nll("mean", True, True)))
add(custom("nll_loss", "F.nll_loss(weight, sum)", _nll("sum", True)))
_NLL_2D = ((2, 3, 2), (1, 2, 2, 2), (2, 2, 1, 2, 1))  # (3-d and 5-d: viewed as 4-d)
add(custom("nll_loss2d", "F.nll_loss(N, C, ...)", _nll("mean", shapes=_NLL_2D)))
add(
    custom(
        "nll_loss2d", "F.nll_loss(N, C, ..., weight, ignored)", _nll("none", True, True, _NLL_2D)
    )
)


# ---------------------------------------------------------------------- normalization
# x drawn DISTINCT (0.3 apart): every group's variance is well away from 0
def _layer_norm(k, affine=True):
    def draw(data, max_numel=MAX_NUMEL):
        s = data.draw(st.sampled_from([(4,), (3, 2), (2, 3), (2, 2, 2), (1, 3, 2)]))
        norm = s[len(s) - k :] if len(s) >= k else s
        x = data.draw(DISTINCT(s))
        if not affine:
            return (lambda x: F.layer_norm(x, norm)), [x]
        w, b = data.draw(NONZERO(norm)), data.draw(REAL(norm))
        return (lambda x, w, b: F.layer_norm(x, norm, w, b)), [x, w, b]

    return draw


add(custom("layer_norm", "F.layer_norm(last dim)", _layer_norm(1)))
add(custom("layer_norm", "F.layer_norm(last 2 dims)", _layer_norm(2)))
add(custom("layer_norm", "F.layer_norm(no affine)", _layer_norm(1, affine=False)))


def _batch_norm(training):
    def draw(data, max_numel=MAX_NUMEL):
        s = data.draw(st.sampled_from([(4, 2), (3, 3), (2, 2, 3), (2, 3, 1, 2)]))
        x, w, b = data.draw(DISTINCT(s)), data.draw(NONZERO(s[1:2])), data.draw(REAL(s[1:2]))
        rm = cr.from_numpy(np.linspace(-0.5, 0.5, s[1]))
        rv = cr.from_numpy(np.linspace(0.5, 2.0, s[1]))

        def f(x, w, b):
            if training:  # (running statistics off: a second call gives the same value)
                return F.batch_norm(x, None, None, w, b, training=True)
            return F.batch_norm(x, rm, rv, w, b, training=False)

        return f, [x, w, b]

    return draw


add(custom("batch_norm", "F.batch_norm(training)", _batch_norm(True)))
add(custom("batch_norm_eval", "F.batch_norm(eval)", _batch_norm(False)))


def _embedding(scale_grad_by_freq):
    def draw(data, max_numel=MAX_NUMEL):
        v = data.draw(st.integers(2, 4))
        ishape = data.draw(st.sampled_from([(), (3,), (2, 2)]))
        idx = cr.from_numpy(data.draw(hnp.arrays(np.int64, ishape, elements=st.integers(0, v - 1))))
        f = lambda w: F.embedding(idx, w, scale_grad_by_freq=scale_grad_by_freq)  # noqa: E731
        return f, [data.draw(REAL((v, 3)))]

    return draw


# (padding_idx withholds a true gradient, as PyTorch's: tests/nn/test_embedding_vs_torch.py)
add(custom("embedding", "F.embedding", _embedding(False)))

# -------------------------------------------------------------------------- shape ops


def _reshape(method):
    def make(draw, s):
        target = _factor(draw, _numel(s))
        return lambda x: getattr(x, method)(*target)

    return make


add(shaped("view", "view(shape)", _reshape("view"), layouts=False))
add(unary("view", "view_as", lambda x: x.view_as(x.exp()), layouts=False))
add(shaped("reshape", "reshape(shape)", _reshape("reshape")))
add(unary("reshape", "reshape(-1)", lambda x: x.reshape(-1)))
add(unary("reshape", "flatten()", lambda x: cr.flatten(x), min_dims=2))
add(unary("reshape", "flatten(1)", lambda x: x.flatten(1), min_dims=3))


@st.composite
def _with_ones(draw, max_numel):
    s = list(draw(shapes(max_dims=2, max_numel=max_numel)))
    for _ in range(draw(st.integers(0, 2))):
        s.insert(draw(st.integers(0, len(s))), 1)
    return tuple(s)


def _squeeze(kind):
    def draw(data, max_numel=MAX_NUMEL):
        s = data.draw(_with_ones(max_numel))
        if kind == "dim":  # (a 0-d tensor's one dim is 0, as PyTorch)
            d = _dim(data.draw, len(s)) if s else 0
            fn = lambda x: x.squeeze(d)
        elif kind == "dims":
            idx = st.integers(0, len(s) - 1) if s else st.nothing()
            ds = data.draw(st.lists(idx, unique=True, max_size=len(s)))
            fn = lambda x: x.squeeze(tuple(ds))
        else:
            fn = lambda x: cr.squeeze(x)
        return fn, [data.draw(REAL(s))]

    return draw


add(custom("squeeze", "squeeze()", _squeeze("all")))
add(custom("squeeze_dim", "squeeze(dim)", _squeeze("dim")))
add(custom("squeeze_dims", "squeeze(dims)", _squeeze("dims")))


def _constant_pad(data, max_numel=MAX_NUMEL):
    """F.pad(mode='constant') on up to all dims, each end padded or cropped (not past the
    dim's size), with a fill value."""
    s = data.draw(shapes(max_dims=3, max_numel=max_numel))
    pad = []
    for n in reversed(s[len(s) - data.draw(st.integers(1, len(s))) :] if s else ()):
        lo = data.draw(st.integers(-n, 2))
        hi = data.draw(st.integers(-(n - max(-lo, 0)), 2))
        pad += [lo, hi]
    value = data.draw(st.sampled_from([0.0, -1.5]))
    return (lambda x: cr.nn.functional.pad(x, tuple(pad), value=value)), [data.draw(REAL(s))]


add(custom("constant_pad_nd", "F.pad(constant, crops too)", _constant_pad))


def _index_pad(mode, k):
    """F.pad(mode) on the last k dims of a (k + 1)-d or (k + 2)-d input, each end padded
    within what the mode allows (reflect: less than the dim; circular: the kept part)."""

    def draw(data, max_numel=MAX_NUMEL):
        nd = k + data.draw(st.integers(1, 2))
        # (only a batch axis, in front of the channels, may be empty)
        s = tuple(data.draw(st.integers(0 if i == 0 and nd == k + 2 else 1, 3)) for i in range(nd))
        if math.prod(s) > max_numel:
            s = (1,) * (nd - k) + (1,) * (k - 1) + (2,)
        pad = []
        for n in reversed(s[nd - k :]):
            top = n - 1 if mode == "reflect" else 2
            lo = data.draw(st.integers(-(n - 1), top))
            hi = data.draw(st.integers(-(n - 1 - max(-lo, 0)), top))
            if mode == "circular":
                kept = n - max(-lo, 0) - max(-hi, 0)
                lo, hi = min(lo, kept), min(hi, kept)
            pad += [lo, hi]
        fn = lambda x: cr.nn.functional.pad(x, tuple(pad), mode=mode)
        return fn, [data.draw(REAL(s))]

    return draw


for _mode in ("reflect", "replicate", "circular"):
    for _k in (1, 2, 3):
        add(custom(f"{_mode}_pad{_k}d", f"F.pad({_mode}) of {_k} dims", _index_pad(_mode, _k)))


def _unsqueeze(draw, s):
    n = len(s) + 1
    d = draw(st.integers(-n, n - 1))
    return lambda x: x.unsqueeze(d)


add(shaped("unsqueeze", "unsqueeze(dim)", _unsqueeze))
add(unary("unsqueeze", "unsqueeze(-1) of 0-d", lambda x: cr.unsqueeze(x, -1), max_dims=0))


def _transpose(draw, s):
    d0, d1 = _dim(draw, len(s)), _dim(draw, len(s))
    return lambda x: x.transpose(d0, d1)


add(shaped("transpose", "transpose(d0, d1)", _transpose, min_dims=1))
add(shaped("transpose", "transpose 0-d (PyTorch allows dims 0/-1)", _transpose, max_dims=0))
add(unary("t", "t()", lambda x: x.t(), max_dims=2))  # a view at 0, 1 and 2 dims
add(unary("transpose", "mT", lambda x: x.mT, min_dims=2))
add(unary("transpose", "swapaxes(0, -1)", lambda x: cr.swapaxes(x, 0, -1), min_dims=2))


def _permute(draw, s):
    order = draw(st.permutations(range(len(s))))
    order = [d - len(s) if draw(st.booleans()) else d for d in order]
    return lambda x: x.permute(*order)


add(shaped("permute", "permute(dims)", _permute, min_dims=1))


def _diagonal(draw, s):
    n = len(s)
    d1 = draw(st.integers(-n, n - 1))
    d2 = draw(st.integers(-n, n - 1).filter(lambda d: d % n != d1 % n))
    off = draw(st.integers(-3, 3))
    return lambda x: x.diagonal(off, d1, d2) * 1.5


add(shaped("diagonal", "diagonal(offset, d1, d2)", _diagonal, min_dims=2))
add(unary("permute", "x.T", lambda x: x.T, min_dims=3))
add(unary("permute", "movedim(0, -1)", lambda x: x.movedim(0, -1), min_dims=2))


@st.composite
def _expand_args(draw, max_numel):
    full = draw(shapes(min_dims=0, max_numel=max_numel))
    src = _bcast_operand(draw, full)
    lead = len(full) - len(src)
    # -1 keeps a side: allowed where the source has that side already
    spelled = [
        -1 if i >= lead and src[i - lead] == n and draw(st.booleans()) else n
        for i, n in enumerate(full)
    ]
    return src, full, tuple(spelled)


def _expand(data, max_numel=MAX_NUMEL):
    src, full, spelled = data.draw(_expand_args(max_numel))
    kind = data.draw(st.sampled_from(["expand", "broadcast_to", "expand_as"]))
    if kind == "expand":
        fn = lambda x: x.expand(*spelled)
    elif kind == "broadcast_to":
        fn = lambda x: cr.broadcast_to(x, full)
    else:
        fn = lambda x: x.expand_as(cr.zeros(full, dtype=cr.float64))
    return fn, [data.draw(REAL(src))]


add(custom("expand", "expand/broadcast_to/expand_as", _expand))


def _meshgrid(data, max_numel=MAX_NUMEL):
    # meshgrid is a composite: a view and an expand per input (0-d inputs count as size 1)
    n = data.draw(st.integers(1, 3))
    sizes = [data.draw(st.sampled_from([(), (1,), (2,), (3,)])) for _ in range(n)]
    indexing = data.draw(st.sampled_from(["ij", "xy"]))

    def f(*xs):
        outs = cr.meshgrid(*xs, indexing=indexing)
        return cr.stack([o * (k + 1) for k, o in enumerate(outs)])  # one output, all grids

    return f, [data.draw(REAL(s)) for s in sizes]


add(custom("expand", "meshgrid (a view and an expand per input)", _meshgrid))


def _flip(draw, s):
    dims = _dims(draw, len(s), min_size=0) if s else (0,)
    return lambda x: x.flip(dims)


add(shaped("flip", "flip(dims)", _flip))
add(unary("clone", "clone()", lambda x: x.clone()))


def _contiguous(data, max_numel=MAX_NUMEL):
    # both transposed sides >= 2, else the transposed view is already contiguous
    s = data.draw(shapes(min_dims=2, max_numel=max_numel).filter(lambda s: min(s[-2:]) >= 2))
    return (lambda x: x.mT.contiguous()), [data.draw(REAL(s))]


add(custom("contiguous", "transposed view .contiguous()", _contiguous, layouts=False))
add(unary("to_copy", "to(float64, copy=True)", lambda x: x.to(cr.float64, copy=True)))
# a device move's rule on the CPU alone (to() never moves a tensor to where it is); the
# moves between devices are gradchecked in tests/test_devices.py, on a GPU or the fake one
add(
    unary(
        "to_device",
        "to_device cpu -> cpu",
        lambda x: apply(TO_DEVICE, x, dst=("cpu", None), src=("cpu", None)) * 1.0,
    )
)
# through float32: the finite differences are taken in float32, hence the tolerances
add(
    unary(
        "to_copy",
        "float32 round trip",
        lambda x: (x.float() * 2.0).double(),
        tol=dict(eps=1e-3, atol=1e-3, rtol=1e-2),
    )
)


def _repeat(draw, s):
    sizes = [draw(st.integers(1, 2)) for _ in range(len(s) + draw(st.integers(0, 1)))]
    return lambda x: x.repeat(*sizes) if sizes else x.repeat(())


add(shaped("repeat", "repeat(sizes)", _repeat))


@st.composite
def _cat_args(draw, max_numel):
    s = draw(shapes(min_dims=1, max_numel=max_numel))
    d = _dim(draw, len(s))
    k = draw(st.integers(1, 3))
    out = []
    for _ in range(k):
        t = list(s)
        t[d] = draw(st.integers(1, 3))
        out.append(tuple(t))
    return d, out


def _cat(data, max_numel=MAX_NUMEL):
    d, ss = data.draw(_cat_args(max_numel // 2 or 1))
    fn = (
        (lambda *xs: cr.cat(xs, dim=d))
        if data.draw(st.booleans())
        else (lambda *xs: cr.concat(list(xs), axis=d))
    )
    return fn, [data.draw(REAL(s)) for s in ss]


add(custom("cat", "cat(tensors, dim)", _cat))
add(unary("cat", "cat((x, x)) same tensor twice", lambda x: cr.cat((x, x), dim=-1), min_dims=1))


def _stack(data, max_numel=MAX_NUMEL):
    s = data.draw(shapes(max_numel=max_numel // 2 or 1))
    k = data.draw(st.integers(1, 3))
    d = data.draw(st.integers(-(len(s) + 1), len(s)))
    return (lambda *xs: cr.stack(xs, dim=d)), [data.draw(REAL(s)) for _ in range(k)]


add(custom("stack", "stack(tensors, dim)", _stack))

# ------------------------------------------------------------------------- indexing


def _select(draw, s):
    k = draw(st.integers(1, len(s)))
    idx = tuple(draw(st.integers(-n, n - 1)) for n in s[:k])
    return lambda x: x[idx if k > 1 else idx[0]]


add(shaped("select", "x[i] / x[i, j]", _select, min_dims=1))


def _slice_index(draw, s):
    out = []
    for n in s:
        kind = draw(st.sampled_from(["all", "range", "step", "int"]))
        if kind == "all":
            out.append(slice(None))
        elif kind == "range":
            a = draw(st.integers(-n, n - 1))
            b = draw(st.one_of(st.none(), st.integers(-n, n)))
            out.append(slice(a, b))
        elif kind == "step":
            out.append(slice(draw(st.integers(0, n - 1)), None, draw(st.integers(1, 3))))
        else:
            out.append(draw(st.integers(-n, n - 1)))
    if draw(st.booleans()):
        out.insert(draw(st.integers(0, len(out))), None)
    if not any(isinstance(i, slice) or i is None for i in out):
        out.append(Ellipsis)
    return tuple(out)


def _slice(draw, s):
    idx = _slice_index(draw, s)
    return lambda x: x[idx]


add(shaped("slice", "x[basic slices, ints, None, ...]", _slice))
add(unary("slice", "x[..., ::2]", lambda x: x[..., ::2], min_dims=1))


def _adv_index(draw, s):
    kind = draw(st.sampled_from(["ints", "list", "mask", "two", "later dim"]))
    n = s[0]
    if kind in ("ints", "list"):
        # repeated indices: their gradients must add up
        ii = draw(st.lists(st.integers(-n, n - 1), min_size=1, max_size=5))
        idx = cr.tensor(ii) if kind == "ints" else ii
        return lambda x: x[idx]
    if kind == "mask":
        m = cr.from_numpy(draw(hnp.arrays(np.bool_, s)))
        return lambda x: x[m]
    if kind == "two" and len(s) >= 2:
        k = draw(st.integers(1, 4))
        a = cr.tensor([draw(st.integers(0, n - 1)) for _ in range(k)])
        b = cr.tensor([draw(st.integers(0, s[1] - 1)) for _ in range(k)])
        return lambda x: x[a, b]
    if len(s) >= 2:
        ii = cr.tensor(draw(st.lists(st.integers(0, s[1] - 1), min_size=1, max_size=4)))
        return lambda x: x[:, ii]
    return lambda x: x[cr.tensor([0, 0])]


add(shaped("index", "x[int tensor / list / mask]", _adv_index, min_dims=1))


def _index_put(data, max_numel=MAX_NUMEL, kinds=("unique ints", "mask")):
    # advanced indices: index_put_; basic ones (slices, ints) write the view x[idx], as
    # PyTorch's setitem (copy_ or fill_ into it: CopySlices)
    s = data.draw(shapes(min_dims=1, max_numel=max_numel))
    kind = data.draw(st.sampled_from(kinds))
    n = s[0]
    if kind == "slice":
        idx = (slice(0, data.draw(st.integers(1, n))), Ellipsis)
    elif kind == "int":
        idx = data.draw(st.integers(-n, n - 1))
    elif kind == "unique ints":  # repeated writes: PyTorch keeps one of them; avoided here
        idx = cr.tensor(
            data.draw(st.lists(st.integers(0, n - 1), min_size=1, max_size=n, unique=True))
        )
    elif kind == "mask":
        idx = cr.from_numpy(data.draw(hnp.arrays(np.bool_, s)))
    else:
        idx = data.draw(st.integers(-n, n - 1))
    target = np.zeros(s)[idx._data if hasattr(idx, "_data") else idx].shape
    if kind == "scalar":

        def fn(x):
            y = x * 1.0
            y[idx] = 0.5
            return y

        return fn, [data.draw(REAL(s))]
    # the value broadcasts to x[idx]: drop leading dims, set sides to 1
    vs = _bcast_operand(data.draw, target)
    where = data.draw(st.sampled_from(["both", "value only"]))

    if where == "both":

        def fn(x, v):
            y = x * 1.0
            y[idx] = v
            return y * 2.0

        return fn, [data.draw(REAL(s)), data.draw(REAL(vs))]

    def fn(v):  # x does not require grad; only the written value does
        y = cr.ones(s, dtype=cr.float64)
        y[idx] = v
        return y * v.sum()

    return fn, [data.draw(REAL(vs))]


add(custom("index_put", "y[idx] = v (v broadcast)", _index_put))
add(
    custom(
        "copy_slices",
        "y[slice or int] = v or a number (setitem through the view)",
        functools.partial(_index_put, kinds=("slice", "int", "scalar")),
    )
)


_VIEWS = {  # view -> its minimum number of dims
    "rows": (lambda z: z[1:], 1),
    "select": (lambda z: z[0], 1),
    "T": (lambda z: z.T, 2),
    "transpose": (lambda z: z.transpose(0, -1), 1),
    "permute": (lambda z: z.permute(*range(z.ndim - 1, -1, -1)), 0),
    "view": (lambda z: z.view(-1), 0),
    "unsqueeze-squeeze": (lambda z: z.unsqueeze(0).squeeze(0), 0),
    "narrow of T": (lambda z: z.T.narrow(0, 0, 1), 2),
    "slice of slice": (lambda z: z[:, 1:][:, :1], 2),
    "diagonal": (lambda z: z.diagonal(), 2),
    "diagonal of T": (lambda z: z.T.diagonal(-1), 2),
}
_WRITES = {
    "mul_(w)": lambda v, w: v.mul_(w),
    "add_(w)": lambda v, w: v.add_(w),
    "copy_(w)": lambda v, w: v.copy_(w),
    # (exp_ saves its result: a write after it is refused, as in PyTorch)
    "mul_(w) then exp_": lambda v, w: v.mul_(w).exp_(),
    "[...] = w": lambda v, w: v.__setitem__(Ellipsis, w),
}


def _copy_slices(data, max_numel=MAX_NUMEL):
    """An in-place op through a view of a non-leaf: the base's history is copy_slices."""
    s = data.draw(shapes(min_dims=0, max_numel=max_numel))
    names = [k for k, (_, nd) in _VIEWS.items() if len(s) >= nd and (nd == 0 or s[0] > 1)]
    view, _ = _VIEWS[data.draw(st.sampled_from(names))]
    write = _WRITES[data.draw(st.sampled_from(sorted(_WRITES)))]
    vs = view(cr.zeros(s)).shape
    reuse = data.draw(st.booleans())  # the view also used after the write

    def fn(x, w):
        z = x * 1.5
        v = view(z)
        write(v, w)
        return z * 2.0 + (v.sum() if reuse else 0.0)

    return fn, [data.draw(REAL(s)), data.draw(REAL(tuple(vs)))]


add(custom("copy_slices", "view(z).op_(w) (view, then in place)", _copy_slices))


def _gather(data, max_numel=MAX_NUMEL):
    s = data.draw(shapes(min_dims=1, max_numel=max_numel))
    d = _dim(data.draw, len(s))
    ishape = list(s)
    ishape[d] = data.draw(st.integers(1, 4))
    index = data.draw(hnp.arrays(np.int64, tuple(ishape), elements=st.integers(0, s[d] - 1)))
    it = cr.from_numpy(index)
    return (lambda x: cr.gather(x, d, it)), [data.draw(REAL(s))]


add(custom("take_along", "gather(dim, index) with repeats", _gather))


def _gather_unique(data, max_numel=MAX_NUMEL):
    s = data.draw(shapes(min_dims=1, max_numel=max_numel))
    d = _dim(data.draw, len(s))
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    index = np.argsort(rng.random(s), axis=d)  # a permutation along d: no repeats
    it = cr.from_numpy(index)
    return (lambda x: x.gather(d, it)), [data.draw(REAL(s))]


add(custom("take_along", "gather(dim, permutation)", _gather_unique))


# ------------------------------------- writing into chosen positions (ops/scatter.py)
def _distinct_along(data, shape, d, k):
    """An index of ``shape`` with ``k`` on dim d whose values along d are distinct (first k
    of a permutation): scatter and index_copy with repeats keep one value (PyTorch does
    not say which), where a finite difference would see the others' derivative as 0."""
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    perm = np.argsort(rng.random(shape), axis=d)
    return np.take(perm, range(k), axis=d)


def _scatter_case(data, max_numel=MAX_NUMEL):
    s = data.draw(shapes(min_dims=1, max_numel=max_numel))
    d = _dim(data.draw, len(s))
    ishape = tuple(data.draw(st.integers(0, n)) for n in s)
    index = _distinct_along(data, s, d, ishape[d])
    index = index[tuple(slice(0, k) for k in ishape)]
    it = cr.from_numpy(np.ascontiguousarray(index))
    # src as large as x (only index's corner is read)
    return (lambda x, src: x.scatter(d, it, src)), [data.draw(REAL(s)), data.draw(REAL(s))]


add(custom("scatter", "scatter(dim, index, src), distinct indices", _scatter_case))


def _scatter_value_case(data, max_numel=MAX_NUMEL):
    s = data.draw(shapes(min_dims=1, max_numel=max_numel))
    d = _dim(data.draw, len(s))
    ishape = list(s)
    ishape[d] = data.draw(st.integers(0, 4))
    index = data.draw(hnp.arrays(np.int64, tuple(ishape), elements=st.integers(0, s[d] - 1)))
    it = cr.from_numpy(index)
    return (lambda x: x.scatter(d, it, -1.25)), [data.draw(REAL(s))]


add(custom("scatter_value", "scatter(dim, index, value) with repeats", _scatter_value_case))


def _scatter_add_case(data, max_numel=MAX_NUMEL):
    s = data.draw(shapes(min_dims=0, max_numel=max_numel))
    d = _dim(data.draw, len(s))
    ishape = list(s)
    if s:
        ishape[d] = data.draw(st.integers(0, 4))
    n = s[d] if s else 1
    index = data.draw(hnp.arrays(np.int64, tuple(ishape), elements=st.integers(0, n - 1)))
    it = cr.from_numpy(index)
    return (lambda x, src: cr.scatter_add(x, d, it, src)), [
        data.draw(REAL(s)),
        data.draw(REAL(tuple(ishape))),
    ]


add(custom("scatter_add", "scatter_add(dim, index, src) with repeats", _scatter_add_case))


def _index_add_case(data, max_numel=MAX_NUMEL):
    s = data.draw(shapes(min_dims=1, max_numel=max_numel))
    d = _dim(data.draw, len(s))
    k = data.draw(st.integers(0, 4))
    index = cr.from_numpy(data.draw(hnp.arrays(np.int64, (k,), elements=st.integers(0, s[d] - 1))))
    sshape = list(s)
    sshape[d] = k
    alpha = data.draw(st.sampled_from([1, 2.5, -0.5]))
    return (lambda x, src: x.index_add(d, index, src, alpha=alpha)), [
        data.draw(REAL(s)),
        data.draw(REAL(tuple(sshape))),
    ]


add(custom("index_add", "index_add(dim, index, source, alpha) with repeats", _index_add_case))


def _index_copy_case(data, max_numel=MAX_NUMEL):
    s = data.draw(shapes(min_dims=1, max_numel=max_numel))
    d = _dim(data.draw, len(s))
    k = data.draw(st.integers(0, s[d]))
    index = cr.from_numpy(_distinct_along(data, (s[d],), 0, k))
    sshape = list(s)
    sshape[d] = k
    return (lambda x, src: x.index_copy(d, index, src)), [
        data.draw(REAL(s)),
        data.draw(REAL(tuple(sshape))),
    ]


add(custom("index_copy", "index_copy(dim, index, source), distinct indices", _index_copy_case))


def _index_fill_case(data, max_numel=MAX_NUMEL):
    s = data.draw(shapes(min_dims=1, max_numel=max_numel))
    d = _dim(data.draw, len(s))
    k = data.draw(st.integers(0, 4))
    index = data.draw(hnp.arrays(np.int64, (k,), elements=st.integers(-s[d], s[d] - 1)))
    return cr.from_numpy(index), s, d


def _index_fill_number(data, max_numel=MAX_NUMEL):
    index, s, d = _index_fill_case(data, max_numel)
    return (lambda x: x.index_fill(d, index, 0.75)), [data.draw(REAL(s))]


def _index_fill_tensor(data, max_numel=MAX_NUMEL):
    index, s, d = _index_fill_case(data, max_numel)
    return (lambda x, v: x.index_fill(d, index, v)), [data.draw(REAL(s)), data.draw(REAL(()))]


add(custom("index_fill", "index_fill(dim, index, number)", _index_fill_number))
add(custom("index_fill_t", "index_fill(dim, index, 0-d tensor)", _index_fill_tensor))


def _masked_scatter_case(data, max_numel=MAX_NUMEL):
    s = data.draw(shapes(min_dims=0, max_numel=max_numel))
    ms = _bcast_operand(data.draw, s)  # the mask broadcasts to x
    mask = data.draw(hnp.arrays(np.bool_, ms))
    m = cr.from_numpy(mask)
    n = int(np.broadcast_to(mask, s).sum()) + data.draw(st.integers(0, 2))
    return (lambda x, src: x.masked_scatter(m, src)), [data.draw(REAL(s)), data.draw(REAL((n,)))]


add(custom("masked_scatter", "masked_scatter(mask, source)", _masked_scatter_case))


# composites whose last row carries PyTorch's name for the whole function (ops/shape.py)
def _roll_case(draw, s):
    dims = _dims(draw, len(s))
    shifts = tuple(draw(st.integers(-5, 5)) for _ in dims)
    return lambda x: cr.roll(x, shifts, dims)


add(shaped("roll", "roll(shifts, dims)", _roll_case, min_dims=1))
add(
    custom(
        "block_diag",
        "block_diag(a, b)",
        lambda data, max_numel=MAX_NUMEL: (
            cr.block_diag,
            [
                data.draw(REAL(data.draw(shapes(0, 2, max_numel // 2)))),
                data.draw(REAL(data.draw(shapes(0, 2, max_numel // 2)))),
            ],
        ),
    )
)


def _cross_case(data, max_numel=MAX_NUMEL):
    s = list(data.draw(shapes(min_dims=1, max_dims=2, max_numel=4)))
    d = _dim(data.draw, len(s))
    s[d] = 3
    return (lambda a, b: cr.linalg.cross(a, b, dim=d)), [data.draw(REAL(tuple(s))) for _ in "ab"]


add(custom("linalg_cross", "linalg.cross(a, b, dim)", _cross_case))


def _narrow_copy_case(draw, s):
    d = _dim(draw, len(s))
    n = s[d]
    start = draw(st.integers(0, n))
    length = draw(st.integers(0, n - start))
    return lambda x: cr.narrow_copy(x, d, start, length)


add(shaped("narrow_copy", "narrow_copy(dim, start, length)", _narrow_copy_case, min_dims=1))


def _scatter_reduce_case(reduce):
    def draw(data, max_numel=MAX_NUMEL):
        s = data.draw(shapes(min_dims=0, max_numel=max_numel))
        d = _dim(data.draw, len(s))
        ishape = list(s)
        if s:  # src no larger than max_numel (DISTINCT has 41 values)
            rest = max(1, math.prod(s) // s[d])
            ishape[d] = data.draw(st.integers(0, max(1, min(4, max_numel // rest))))
        n = s[d] if s else 1
        index = cr.from_numpy(
            data.draw(hnp.arrays(np.int64, tuple(ishape), elements=st.integers(0, n - 1)))
        )
        include_self = data.draw(st.booleans())
        if reduce in ("amax", "amin"):  # no ties: x on one grid, src on another
            xs, ss = DISTINCT(s), DISTINCT(tuple(ishape)).map(lambda a: a + 0.15)
        else:
            xs, ss = REAL(s), REAL(tuple(ishape))

        def fn(x, src):
            return x.scatter_reduce(d, index, src, reduce, include_self=include_self)

        return fn, [data.draw(xs), data.draw(ss)]

    return draw


for _r in ("sum", "mean", "amax", "amin"):
    add(custom("scatter_reduce", f"scatter_reduce({_r!r}) with repeats", _scatter_reduce_case(_r)))
# (prod's coefficients are constants to a second derivative: not twice differentiable)
add(
    custom(
        "scatter_reduce_prod",
        "scatter_reduce('prod') with repeats",
        _scatter_reduce_case("prod"),
        second_order=False,
    )
)


def _diag_embed_case(draw, s):
    n = len(s) + 1
    d1 = draw(st.integers(-n, n - 1))
    d2 = draw(st.integers(-n, n - 1).filter(lambda k: k % n != d1 % n))
    off = draw(st.integers(-2, 2))
    return lambda x: cr.diag_embed(x, off, d1, d2)


add(shaped("diag_embed", "diag_embed(offset, dim1, dim2)", _diag_embed_case, min_dims=1))
add(
    shaped(
        "diag_embed",
        "diag(1-d, offset)",
        lambda draw, s: lambda x: cr.diag(x, -1),
        max_dims=1,
        min_dims=1,
    )
)


# --------------------------------------------- selections under PyTorch's names (sorting)
def _sort_case(draw, s):
    d, desc = _dim(draw, len(s)), draw(st.booleans())
    return lambda x: cr.sort(x, d, descending=desc).values


def _topk_case(draw, s):
    d = _dim(draw, len(s))
    k = draw(st.integers(0, s[d] if s else 1))
    largest = draw(st.booleans())
    return lambda x: cr.topk(x, k, d, largest=largest).values


def _kthvalue_case(draw, s):
    d = _dim(draw, len(s))
    k = draw(st.integers(1, s[d] if s else 1))
    keep = draw(st.booleans())
    return lambda x: cr.kthvalue(x, k, d, keep).values


def _index_select_case(draw, s):
    d = _dim(draw, len(s))
    n = s[d] if s else 1
    ii = draw(st.lists(st.integers(0, n - 1), min_size=0, max_size=4))  # repeats add up
    it = cr.tensor(ii, dtype=cr.int64)
    return lambda x: cr.index_select(x, d, it)


def _repeat_interleave_case(draw, s):
    d = _dim(draw, len(s))
    n = s[d] if s else 1
    reps = cr.tensor(draw(st.lists(st.integers(0, 3), min_size=n, max_size=n)))
    return lambda x: x.repeat_interleave(reps, dim=d)


def _triangle_case(name):
    def make(draw, s):
        k = draw(st.integers(-2, 2))
        return lambda x: getattr(x, name)(k)

    return make


add(shaped("sort", "sort(dim, descending).values", _sort_case, DISTINCT, max_dims=3))
add(unary("sort", "msort", cr.msort, DISTINCT, min_dims=1))
add(unary("sort_stable", "sort(stable=True)", lambda x: x.sort(stable=True)[0], DISTINCT))
add(shaped("topk", "topk(k, dim, largest).values", _topk_case, DISTINCT, min_dims=1))
add(shaped("kthvalue", "kthvalue(k, dim, keepdim)", _kthvalue_case, DISTINCT, min_dims=1))
add(shaped("index_select", "index_select(dim, index)", _index_select_case, min_dims=1))
add(shaped("index_select", "repeat_interleave(tensor, dim)", _repeat_interleave_case, min_dims=1))
add(shaped("tril", "tril(diagonal)", _triangle_case("tril"), min_dims=2))
add(shaped("triu", "triu(diagonal)", _triangle_case("triu"), min_dims=2))
add(unary("tril", "tril_ on a non-leaf", lambda x: (x * 1.0).tril_() * x, min_dims=2, max_dims=2))


# ------------------------------------------------------------ special functions
def GAMMA_ARG(shape):
    """x in [0.2, 8] or negative and >= 0.2 from the poles (0, -1, -2, ...): lgamma,
    digamma and polygamma away from their poles."""
    return st.tuples(
        hnp.arrays(np.bool_, shape),
        hnp.arrays(np.float64, shape, elements=_floats(0.2, 8.0)),
        hnp.arrays(np.int64, shape, elements=st.integers(-4, -1)),
        hnp.arrays(np.float64, shape, elements=_floats(0.2, 0.8)),
    ).map(lambda t: np.where(t[0], t[2] + t[3], t[1]))


add(unary("lgamma", "lgamma", cr.lgamma, GAMMA_ARG))
add(unary("lgamma", "x.lgamma()", lambda x: x.lgamma(), POS))
add(unary("lgamma", "special.gammaln", cr.special.gammaln, GAMMA_ARG))
add(unary("digamma", "digamma", cr.digamma, GAMMA_ARG))
add(unary("digamma", "special.psi", cr.special.psi, POS))
add(unary("polygamma", "polygamma(1, x)", lambda x: cr.polygamma(1, x), GAMMA_ARG))
add(unary("polygamma", "polygamma(2, x)", lambda x: cr.polygamma(2, x), GAMMA_ARG))
add(unary("polygamma", "x.polygamma(3)", lambda x: x.polygamma(3), POS))
add(unary("erf", "erf", cr.erf, WIDE))
add(unary("erfc", "erfc", cr.erfc, WIDE))
add(unary("erfc", "special.ndtr", cr.special.ndtr, WIDE))
add(unary("erfinv", "erfinv", cr.erfinv, _uniform(-0.95, 0.95)))
add(unary("erfinv", "special.ndtri", cr.special.ndtri, _uniform(0.05, 0.95)))
add(binary("xlogy", "xlogy", cr.xlogy, NONZERO, POS))
add(unary("xlogy", "xlogy(x, 2.5)", lambda x: cr.xlogy(x, 2.5), NONZERO))
add(unary("xlogy", "xlogy(2.0, y)", lambda y: cr.xlogy(2.0, y), POS))


def _igamma_case(name):
    def draw(data, max_numel=MAX_NUMEL):
        sa, sx = data.draw(bcast_pair(max_numel))
        a = cr.from_numpy(np.asarray(data.draw(_uniform(0.3, 12.0)(sa))))
        # a is a constant (no derivative in a, as in PyTorch); x spans both of the
        # kernel's methods (series below a + 1, continued fraction above)
        # (a goes to x's device: the case also runs on a GPU, tests/test_devices_table.py)
        if name == "igamma":
            f = lambda x: cr.igamma(a.to(x.device), x)
        else:
            f = lambda x: cr.special.gammaincc(a.to(x.device), x)
        return f, [data.draw(_uniform(0.1, 20.0)(sx))]

    return draw


add(custom("igamma", "igamma(a, x) in x", _igamma_case("igamma")))
add(custom("igammac", "special.gammaincc(a, x) in x", _igamma_case("igammac")))


def _standard_gamma_at(quantile):
    """x = P^-1(alpha, u) at a fixed quantile u (SciPy's inverse, in the test only): the
    sample the implicit-reparameterization gradient differentiates."""
    sp = pytest.importorskip("scipy.special")
    from chainrule.ops.special import STANDARD_GAMMA

    def f(alpha):
        a = alpha.detach().cpu().numpy()
        sample = sp.gammaincinv(a, np.broadcast_to(quantile, a.shape))
        return apply(STANDARD_GAMMA, alpha, sample=sample)

    return f


add(
    unary(
        "standard_gamma",
        "Gamma(alpha, 1) sample at quantile 0.3 (implicit reparameterization)",
        _standard_gamma_at(0.3),
        _uniform(0.2, 6.0),
        second_order=False,  # its gradient has no derivative (PyTorch's neither)
    )
)
add(
    unary(
        "standard_gamma",
        "at quantile 0.9",
        _standard_gamma_at(0.9),
        _uniform(0.5, 30.0),
        second_order=False,
    )
)


# --------------------------------------------------------------------------- linalg


def _linalg(kind):
    def draw(data, max_numel=MAX_NUMEL):
        n = lambda: data.draw(st.integers(1, 3))
        if kind == "dot":
            k = data.draw(st.integers(1, max_numel))
            f = data.draw(st.sampled_from([cr.dot, cr.inner, cr.vdot, lambda a, b: a @ b]))
            return f, [data.draw(REAL((k,))), data.draw(REAL((k,)))]
        if kind == "mv":
            m, k = n(), n()
            f = data.draw(st.sampled_from([cr.mv, lambda a, b: a @ b, cr.matmul]))
            return f, [data.draw(REAL((m, k))), data.draw(REAL((k,)))]
        if kind == "mm":
            m, k, p = n(), n(), n()
            f = data.draw(st.sampled_from([cr.mm, lambda a, b: a @ b, lambda a, b: a.matmul(b)]))
            return f, [data.draw(REAL((m, k))), data.draw(REAL((k, p)))]
        if kind == "outer":
            f = data.draw(st.sampled_from([cr.outer, cr.ger, lambda a, b: a.outer(b)]))
            return f, [data.draw(REAL((n() + 1,))), data.draw(REAL((n(),)))]
        m, k, p, b = n(), n(), n(), data.draw(st.integers(1, 2))
        if kind == "vecmat":
            return (lambda a, c: a @ c), [data.draw(REAL((k,))), data.draw(REAL((k, p)))]
        # a contiguous batch against a matrix or vector folds into one mm or mv whichever
        # operand needs a gradient (the other foldings depend on which does: tests/ops/
        # test_matmul_fold.py compares them all with PyTorch)
        if kind == "fold_mm":
            pairs = [((b, m, k), (k, p))]
        elif kind == "fold_mv":
            pairs = [((b, m, k), (k,))]
        else:  # batched matmul, broadcasting over the batch dims, then unsafe_view
            pairs = [((b, m, k), (b, k, p)), ((b, 1, m, k), (2, k, p))]
        sa, sb = data.draw(st.sampled_from(pairs))
        return (lambda a, c: a @ c), [data.draw(REAL(sa)), data.draw(REAL(sb))]

    return draw


for _k in ("dot", "mv", "mm", "outer", "bmm"):
    add(custom(_k, f"{_k} (and its aliases)", _linalg(_k)))
add(custom("mm", "matmul folding a batch into mm", _linalg("fold_mm"), layouts=False))
add(custom("mv", "matmul folding a batch into mv", _linalg("fold_mv"), layouts=False))
add(custom("unsafe_view", "matmul's batched product reshaped", _linalg("bmm")))
add(custom("squeeze_", "vector @ matrix (mm, then the row dropped)", _linalg("vecmat")))


def _add_family(kind):
    """beta * input + alpha * product, input broadcasting to the product's shape."""

    def draw(data, max_numel=MAX_NUMEL):
        n = lambda: data.draw(st.integers(1, 3))
        m, k, p, b = n(), n(), n(), data.draw(st.integers(1, 2))
        beta = data.draw(st.sampled_from([1, 0.5]))
        alpha = data.draw(st.sampled_from([1, -2.0]))
        kw = {"beta": beta, "alpha": alpha}
        if kind == "addmm":
            out, ins = (m, p), [(m, k), (k, p)]
        elif kind == "addmv":
            out, ins = (m,), [(m, k), (k,)]
        elif kind == "addr":
            out, ins = (m, p), [(m,), (p,)]
        elif kind == "baddbmm":
            out, ins = (b, m, p), [(b, m, k), (b, k, p)]
        else:  # addbmm
            out, ins = (m, p), [(b, m, k), (b, k, p)]
        shape = out[data.draw(st.integers(0, len(out))) :]  # broadcasts to out
        f = getattr(cr, kind)
        return (lambda x, u, v: f(x, u, v, **kw)), [data.draw(REAL(s)) for s in [shape, *ins]]

    return draw


for _k in ("addmm", "addmv", "addr", "baddbmm", "addbmm"):
    add(custom(_k, f"{_k}(beta, alpha)", _add_family(_k)))


def _bmm(data, max_numel=MAX_NUMEL):
    b, m, k, p = (data.draw(st.integers(1, 2)) for _ in range(4))
    f = data.draw(st.sampled_from([cr.bmm, lambda a, c: a.bmm(c)]))
    return f, [data.draw(REAL((b, m, k))), data.draw(REAL((b, k, p)))]


add(custom("bmm", "torch.bmm / Tensor.bmm (3-d, no broadcasting)", _bmm))


@st.composite
def _svd_matrix(draw, max_numel=MAX_NUMEL):
    """U diag(s) V^T with singular values >= 0.3 apart and >= 0.4 from 0 (singular values
    have kinks where they meet each other or 0), random orthogonal U, V; maybe batched."""
    m, n = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    b = draw(st.integers(1, 2)) if m * n * 2 <= max_numel and draw(st.booleans()) else None
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    k = min(m, n)

    def one():
        sv = 0.4 + 0.3 * np.sort(
            draw(st.lists(st.integers(0, 8), min_size=k, max_size=k, unique=True))
        )
        u = np.linalg.qr(rng.standard_normal((m, m)))[0][:, :k]
        v = np.linalg.qr(rng.standard_normal((n, n)))[0][:, :k]
        return (u * sv) @ v.T

    return np.stack([one() for _ in range(b)]) if b else one()


def _svdvals(data, max_numel=MAX_NUMEL):
    a = data.draw(_svd_matrix(max_numel))
    kind = data.draw(st.sampled_from(["svdvals", "ord=2", "nuc", "ord=-2"]))
    if kind == "svdvals":
        fn = cr.linalg.svdvals
    elif kind == "nuc":
        fn = lambda A: cr.linalg.matrix_norm(A, ord="nuc")
    else:
        fn = lambda A: cr.linalg.matrix_norm(A, ord=2 if kind == "ord=2" else -2)
    return fn, [a]


add(custom("svdvals", "svdvals / matrix_norm(2, -2, nuc)", _svdvals))


def _square_batch_n(data, max_numel, n_max=3):
    """(n, batch shape) of a square matrix (or a batch of them) of at most max_numel."""
    n = data.draw(st.integers(1, n_max))
    b = data.draw(st.integers(1, 2)) if 2 * n * n <= max_numel and data.draw(st.booleans()) else 0
    return n, ((b,) if b else ())


def _invertible(data, shape, positive=False):
    """D (M + 2.5 I), M uniform in [-0.5, 0.5] (n <= 3): singular values >= 1, so well
    conditioned; D a diagonal of random signs (a negative determinant half the time)
    unless ``positive``."""
    n = shape[-1]
    m = data.draw(_uniform(-0.5, 0.5)(shape)) + 2.5 * np.eye(n)
    if positive:
        return m
    signs = data.draw(hnp.arrays(np.bool_, shape[:-1]))
    return np.where(signs[..., None], -m, m)


def _inv_case(data, max_numel=MAX_NUMEL):
    n, b = _square_batch_n(data, max_numel)
    f = data.draw(st.sampled_from([cr.linalg.inv, cr.inverse]))
    return f, [_invertible(data, b + (n, n))]


def _det_case(data, max_numel=MAX_NUMEL):
    n, b = _square_batch_n(data, max_numel)
    f = data.draw(st.sampled_from([cr.linalg.det, cr.det]))
    return f, [_invertible(data, b + (n, n))]


def _slogdet_case(data, max_numel=MAX_NUMEL):
    n, b = _square_batch_n(data, max_numel)
    kind = data.draw(st.sampled_from(["linalg", "torch", "logdet"]))
    if kind == "logdet":
        return cr.logdet, [_invertible(data, b + (n, n), positive=True)]
    f = cr.linalg.slogdet if kind == "linalg" else cr.slogdet
    return (lambda A: f(A).logabsdet), [_invertible(data, b + (n, n))]


def _sign_case(data, max_numel=MAX_NUMEL):
    n, b = _square_batch_n(data, max_numel)
    return (lambda A: cr.linalg.slogdet(A).sign * A.sum()), [_invertible(data, b + (n, n))]


def _solve_case(data, max_numel=MAX_NUMEL):
    n = data.draw(st.integers(1, 2 if max_numel < 12 else 3))
    k, b = data.draw(st.integers(1, 2)), data.draw(st.integers(1, 2))
    pairs = [
        ((n, n), (n,)),  # a vector
        ((n, n), (n, k)),  # a matrix
        ((b, n, n), (b, n)),  # a batch of vectors (B of A's shape less its last dim)
        ((b, n, n), (n,)),  # one vector for every matrix
        ((b, n, n), (b, n, k)),
        ((n, n), (b, n, k)),  # one matrix for every right-hand side
        ((b, 1, n, n), (2, n, k)),  # batch dims broadcast
    ]
    sa, sb = data.draw(st.sampled_from(pairs))
    return cr.linalg.solve, [_invertible(data, sa), data.draw(REAL(sb))]


def _cholesky_case(data, max_numel=MAX_NUMEL):
    n, b = _square_batch_n(data, max_numel)
    upper = data.draw(st.booleans())

    # M M^T + n I: symmetric positive-definite, eigenvalues >= n (the forward reads one
    # triangle; PyTorch's gradient, and so gradcheck, assume a symmetric input)
    def fn(M):
        eye = cr.eye(n, dtype=M.dtype, device=M.device)
        return cr.linalg.cholesky(M @ M.mT + n * eye, upper=upper)

    return fn, [data.draw(REAL(b + (n, n)))]


add(custom("inv", "linalg.inv / torch.inverse", _inv_case))
add(custom("det", "linalg.det / torch.det", _det_case))
add(custom("slogdet", "slogdet().logabsdet / logdet", _slogdet_case))
add(custom("slogdet_sign", "slogdet().sign (gradient zero)", _sign_case))
add(custom("solve", "linalg.solve (vectors, matrices, broadcasting)", _solve_case))
add(custom("cholesky", "linalg.cholesky(M M^T + n I, upper)", _cholesky_case))


def _cholesky_deprecated_case(data, max_numel=MAX_NUMEL):
    n, b = _square_batch_n(data, max_numel)
    upper = data.draw(st.booleans())

    def fn(M):
        eye = cr.eye(n, dtype=M.dtype, device=M.device)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # torch.cholesky is deprecated (a warning, once)
            return cr.cholesky(M @ M.mT + n * eye, upper=upper)

    return fn, [data.draw(REAL(b + (n, n)))]


add(custom("cholesky_deprecated", "torch.cholesky(M M^T + n I, upper)", _cholesky_deprecated_case))


@st.composite
def _symmetric_half(draw, max_numel=MAX_NUMEL):
    """Half of Q diag(w) Q^T (random orthogonal Q; eigenvalues w >= 0.3 apart), maybe
    batched: the functions below take M + M^T, so their input is symmetric under any
    perturbation and its eigenvalues are w."""
    n = draw(st.integers(1, 3))
    b = draw(st.integers(1, 2)) if 2 * n * n <= max_numel and draw(st.booleans()) else None
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))

    def one():
        w = 0.3 * np.array(draw(st.lists(st.integers(-8, 8), min_size=n, max_size=n, unique=True)))
        q = np.linalg.qr(rng.standard_normal((n, n)))[0]
        return (q * w) @ q.T / 2

    return np.stack([one() for _ in range(b)]) if b else one()


def _eigvalsh_case(data, max_numel=MAX_NUMEL):
    uplo = data.draw(st.sampled_from(["L", "U"]))
    f = data.draw(st.sampled_from(["eigvalsh", "eigh"]))
    if f == "eigh":
        return (lambda M: cr.linalg.eigh(M + M.mT, UPLO=uplo).eigenvalues), [
            data.draw(_symmetric_half(max_numel))
        ]
    return (lambda M: cr.linalg.eigvalsh(M + M.mT, UPLO=uplo)), [
        data.draw(_symmetric_half(max_numel))
    ]


def _eigh_vectors_case(data, max_numel=MAX_NUMEL):
    uplo = data.draw(st.sampled_from(["L", "U"]))

    def fn(M):
        v = cr.linalg.eigh(M + M.mT, UPLO=uplo).eigenvectors
        return v * v[..., :1, :]  # each column times its first entry: sign-invariant

    return fn, [data.draw(_symmetric_half(max_numel))]


@st.composite
def _tall_matrix(draw, max_numel=MAX_NUMEL):
    """A full-rank m x n matrix, m >= n (singular values >= 0.4), maybe batched."""
    a = draw(_svd_matrix(max_numel))
    return a if a.shape[-2] >= a.shape[-1] else np.swapaxes(a, -1, -2).copy()


def _wide_matrix(data, max_numel):
    """[X | Y], m < n, X = O (M + 2.5 I) with |M| <= 0.5 (singular values >= 1) and O a
    random rotation (LAPACK's Householder QR jumps at an exactly triangular X, where a
    reflection's sign flips: no such X); maybe batched."""
    m, extra = data.draw(st.integers(1, 2)), data.draw(st.integers(1, 2))
    b = (2,) if 2 * m * (m + extra) <= max_numel and data.draw(st.booleans()) else ()
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    rot = np.linalg.qr(rng.standard_normal(b + (m, m)))[0]
    x = rot @ (data.draw(_uniform(-0.5, 0.5)(b + (m, m))) + 2.5 * np.eye(m))
    return np.concatenate([x, data.draw(REAL(b + (m, extra)))], axis=-1)


def _qr_case(which):
    def draw(data, max_numel=MAX_NUMEL):
        wide = data.draw(st.booleans())
        a = _wide_matrix(data, max_numel) if wide else data.draw(_tall_matrix(max_numel))
        # complete: differentiable when m <= n (then the same as reduced)
        ok = a.shape[-2] <= a.shape[-1]
        mode = data.draw(st.sampled_from(["reduced", "complete"] if ok else ["reduced"]))
        return (lambda A: getattr(cr.linalg.qr(A, mode=mode), which)), [a]

    return draw


def _svd_case(which):
    def draw(data, max_numel=MAX_NUMEL):
        a = data.draw(_svd_matrix(max_numel))
        # full_matrices=True only when square: forward mode needs the thin factors otherwise
        full = a.shape[-1] == a.shape[-2] and data.draw(st.booleans())

        def fn(A):
            u, s, vh = cr.linalg.svd(A, full_matrices=full)
            k = s.shape[-1]
            u, vh = u[..., :k], vh[..., :k, :]
            if which == "U":  # column j of U times Vh[j, 0]: invariant to the pair's sign
                return u * vh[..., :, 0].unsqueeze(-2)
            return vh * u[..., 0, :].unsqueeze(-1)

        return fn, [a]

    return draw


def _distinct_eig_matrix(data, max_numel):
    """An n x n matrix (n <= 3, maybe batched) whose eigenvalues are >= 0.3 apart (eig's
    rules divide by their gaps): S diag(w) S^-1 with well-conditioned S."""
    n = data.draw(st.integers(1, 3))
    b = (2,) if 2 * n * n <= max_numel and data.draw(st.booleans()) else ()
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))

    def one():
        w = np.sort(rng.uniform(-2, 2, n))
        w = w + 0.4 * np.arange(n)  # gaps >= 0.4
        s = np.eye(n) + 0.3 * rng.standard_normal((n, n))
        return s @ np.diag(w) @ np.linalg.inv(s)

    return np.stack([one() for _ in range(b[0])]) if b else one()


def _eig_case(which):
    def draw(data, max_numel=MAX_NUMEL):
        a = _distinct_eig_matrix(data, max_numel)
        if which == "values":  # complex results: gradcheck counts their two real parts
            f = data.draw(st.sampled_from(["eigvals", "eig"]))
            return (
                lambda A: getattr(cr.linalg, f)(A)[0] if f == "eig" else cr.linalg.eigvals(A)
            ), [a]
        # |V|: invariant to each eigenvector's phase (a phase-dependent loss is refused)
        return (lambda A: cr.linalg.eig(A).eigenvectors.abs()), [a]

    return draw


add(custom("eigvals", "eigvals / eig()[0] (distinct eigenvalues)", _eig_case("values")))
add(custom("eig_vectors", "eig().eigenvectors.abs(), phase-invariant", _eig_case("vectors")))
add(custom("eigvalsh", "eigvalsh / eigh().eigenvalues (of M + M^T, UPLO)", _eigvalsh_case))
add(custom("eigh_vectors", "eigh().eigenvectors, sign-invariant", _eigh_vectors_case))
add(custom("qr_q", "qr().Q (tall, square, wide)", _qr_case("Q")))
add(custom("qr_r", "qr().R (tall, square, wide)", _qr_case("R")))
add(custom("svd_u", "svd().U, sign-invariant", _svd_case("U")))
add(custom("svd_vh", "svd().Vh, sign-invariant", _svd_case("Vh")))


# --------------------------------------------------------------- convolution, pooling
# Small random geometries (N, C, H, W <= 2, 4, 5, 5) with stride, padding, dilation and
# groups drawn; values REAL (convolution is bilinear: no kinks), DISTINCT for max pooling
# (no ties inside a window).
F = cr.nn.functional


@st.composite
def _conv_geometry(draw, nd=2):
    """(x shape, w shape, keyword arguments) of a valid convolution."""
    g = draw(st.sampled_from([1, 1, 2]))
    cg, og = draw(st.integers(1, 2)), draw(st.integers(1, 2))
    n = draw(st.integers(1, 2))
    sp = tuple(draw(st.integers(2, 5)) for _ in range(nd))
    k = tuple(draw(st.integers(1, 3)) for _ in range(nd))
    stride = tuple(draw(st.integers(1, 2)) for _ in range(nd))
    pad = tuple(draw(st.integers(0, 1)) for _ in range(nd))
    dil = tuple(draw(st.integers(1, 2)) for _ in range(nd))
    # effective kernel within the padded input
    k = tuple(
        max(1, min(kk, (s + 2 * p - 1) // d + 1))
        for kk, s, p, d in zip(k, sp, pad, dil, strict=True)
    )
    kw = {"stride": stride, "padding": pad, "dilation": dil, "groups": g}
    return (n, g * cg) + sp, (g * og, cg) + k, kw


def _conv2d_case(nd, bias):
    def draw(data, max_numel=MAX_NUMEL):
        xs, ws, kw = data.draw(_conv_geometry(nd))
        f = F.conv2d if nd == 2 else F.conv1d
        arrays = [data.draw(REAL(xs)), data.draw(REAL(ws))]
        if bias:
            arrays.append(data.draw(REAL((ws[0],))))
            return (lambda x, w, b: f(x, w, b, **kw)), arrays
        return (lambda x, w: f(x, w, **kw)), arrays

    return draw


add(custom("conv2d", "conv2d(stride, padding, dilation, groups)", _conv2d_case(2, False)))
add(custom("conv2d_bias", "conv2d with bias", _conv2d_case(2, True)))
add(custom("conv2d_bias", "conv1d with bias", _conv2d_case(1, True)))
add(custom("conv2d", "conv1d (conv2d on an added axis)", _conv2d_case(1, False)))


def _conv_transpose(data, max_numel=MAX_NUMEL, bias=False):
    xs, ws, kw = data.draw(_conv_geometry())
    # conv_transpose2d's input is conv2d's output; its weight is conv2d's weight
    s = kw["stride"]
    op = tuple(
        data.draw(st.integers(0, max(0, max(si, di) - 1)))
        for si, di in zip(s, kw["dilation"], strict=True)
    )
    ys = tuple(F.conv2d(cr.zeros(xs), cr.zeros(ws), **kw).shape)
    kw = dict(kw, output_padding=op)
    arrays = [data.draw(REAL(ys)), data.draw(REAL(ws))]
    if bias:
        arrays.append(data.draw(REAL((ws[1] * kw["groups"],))))
        return (lambda y, w, b: F.conv_transpose2d(y, w, b, **kw)), arrays
    return (lambda y, w: F.conv_transpose2d(y, w, **kw)), arrays


add(custom("conv2d_input", "conv_transpose2d (output_padding)", _conv_transpose))
add(
    custom(
        "conv2d_input_bias",
        "conv_transpose2d with bias",
        lambda data, max_numel=MAX_NUMEL: _conv_transpose(data, max_numel, bias=True),
    )
)


def _square_batch(data, max_numel=MAX_NUMEL):
    n = data.draw(st.integers(1, 3))
    b = data.draw(st.sampled_from([(), (2,)] if 2 * n * n <= max_numel else [()]))
    return b + (n, n)


def _cholesky(data, max_numel=MAX_NUMEL):
    s = _square_batch(data, max_numel)
    n = s[-1]
    upper = data.draw(st.booleans())
    f = lambda x: cr.linalg.cholesky(x @ x.mT + 2.0 * cr.eye(n, dtype=x.dtype), upper=upper)
    return f, [data.draw(REAL(s))]


def _solve_triangular(data, max_numel=MAX_NUMEL):
    s = _square_batch(data, max_numel)
    n, k = s[-1], data.draw(st.integers(1, 2))
    upper, left = data.draw(st.booleans()), data.draw(st.booleans())
    sb = s[:-2] + ((n, k) if left else (k, n))

    def f(a, b):
        a = a + 3.0 * cr.eye(n, dtype=a.dtype)  # the diagonal away from 0
        return cr.linalg.solve_triangular(a, b, upper=upper, left=left)

    return f, [data.draw(REAL(s)), data.draw(REAL(sb))]


add(custom("cholesky", "linalg.cholesky(X X^T + 2I) (upper or lower)", _cholesky))
add(
    custom(
        "solve_triangular", "linalg.solve_triangular (upper/lower, left/right)", _solve_triangular
    )
)


def _conv_weight(data, max_numel=MAX_NUMEL):
    from chainrule.ops.conv import CONV2D_WEIGHT

    xs, ws, kw = data.draw(_conv_geometry())
    out = F.conv2d(cr.zeros(xs, dtype=cr.float64), cr.zeros(ws, dtype=cr.float64), **kw)
    kw = dict(kw, kernel=ws[2:])
    return (lambda x, gy: apply(CONV2D_WEIGHT, x, gy, **kw)), [
        data.draw(REAL(xs)),
        data.draw(REAL(tuple(out.shape))),
    ]


add(custom("conv2d_weight", "conv2d's vjp in the weight (apply)", _conv_weight))


def _unfold(data, max_numel=MAX_NUMEL):
    xs, ws, kw = data.draw(_conv_geometry())
    p = {k: kw[k] for k in ("stride", "padding", "dilation")}
    x = data.draw(REAL(xs[data.draw(st.integers(0, 1)) :]))  # batched, or one sample
    return (lambda x: F.unfold(x, ws[2:], **p)), [x]


def _fold(data, max_numel=MAX_NUMEL):
    xs, ws, kw = data.draw(_conv_geometry())
    p = {k: kw[k] for k in ("stride", "padding", "dilation")}
    cols = tuple(F.unfold(cr.zeros(xs), ws[2:], **p).shape)
    return (lambda c: F.fold(c, xs[2:], ws[2:], **p)), [data.draw(REAL(cols))]


add(custom("unfold", "unfold (im2col)", _unfold))
add(custom("fold", "fold (col2im)", _fold))


@st.composite
def _pool_geometry(draw, dilation=True):
    n, c = draw(st.integers(1, 2)), draw(st.integers(1, 2))
    hw = tuple(draw(st.integers(2, 5)) for _ in range(2))
    k = tuple(draw(st.integers(1, min(3, s))) for s in hw)
    stride = tuple(draw(st.integers(1, 3)) for _ in range(2))
    d = tuple(draw(st.integers(1, 2)) if dilation else 1 for _ in range(2))
    d = tuple(di if di * (ki - 1) + 1 <= s else 1 for di, ki, s in zip(d, k, hw, strict=True))
    pad = tuple(draw(st.integers(0, (di * (ki - 1) + 1) // 2)) for di, ki in zip(d, k, strict=True))
    ceil = draw(st.booleans())
    return (n, c) + hw, {"kernel_size": k, "stride": stride, "padding": pad, "ceil_mode": ceil}, d


def _spread_out(data, shape):
    """Distinct values 0.1 apart in random order (no ties in any window), any size."""
    seed = data.draw(st.integers(0, 2**32 - 1))
    n = math.prod(shape)
    return np.random.default_rng(seed).permutation(n).reshape(shape) * 0.1 - 0.05 * n


def _max_pool(data, max_numel=MAX_NUMEL):
    xs, kw, d = data.draw(_pool_geometry())
    return (lambda x: F.max_pool2d(x, dilation=d, **kw)), [_spread_out(data, xs)]


add(custom("max_pool2d", "max_pool2d(stride, padding, dilation, ceil_mode)", _max_pool))


def _adaptive_max(data, max_numel=MAX_NUMEL):
    xs = (
        1,
        data.draw(st.integers(1, 2)),
        data.draw(st.integers(1, 5)),
        data.draw(st.integers(1, 5)),
    )
    os = (data.draw(st.integers(1, 4)), data.draw(st.integers(1, 4)))
    return (lambda x: F.adaptive_max_pool2d(x, os)), [_spread_out(data, xs)]


add(custom("adaptive_max_pool2d", "adaptive_max_pool2d (overlapping windows)", _adaptive_max))


def _avg_pool(data, max_numel=MAX_NUMEL):
    xs, kw, _ = data.draw(_pool_geometry(dilation=False))
    kw["count_include_pad"] = data.draw(st.booleans())
    kw["divisor_override"] = data.draw(st.sampled_from([None, None, 3]))
    return (lambda x: F.avg_pool2d(x, **kw)), [data.draw(REAL(xs))]


add(custom("avg_pool2d", "avg_pool2d(stride, padding, ceil_mode, count_include_pad)", _avg_pool))


def _adaptive_avg(data, max_numel=MAX_NUMEL):
    """adaptive_avg_pool2d to a size that divides the input's (not 1 x 1: that is a mean)."""
    oh, ow = data.draw(st.sampled_from([(1, 2), (2, 1), (2, 2), (2, 3)]))
    kh, kw = data.draw(st.integers(1, 2)), data.draw(st.integers(1, 2))
    n = data.draw(st.integers(0, 2))
    s = (n, 2, oh * kh, ow * kw) if data.draw(st.booleans()) else (2, oh * kh, ow * kw)
    fn = lambda x: cr.nn.functional.adaptive_avg_pool2d(x, (oh, ow))
    return fn, [data.draw(REAL(s))]


add(custom("adaptive_avg_pool2d", "adaptive_avg_pool2d (sizes that divide)", _adaptive_avg))


def _avg_pool_backward(data, max_numel=MAX_NUMEL):
    from chainrule.ops.conv import AVG_POOL2D_BACKWARD

    xs, kw, _ = data.draw(_pool_geometry(dilation=False))
    kw["count_include_pad"] = data.draw(st.booleans())
    out = F.avg_pool2d(cr.zeros(xs, dtype=cr.float64), **kw)
    p = {
        "kernel": kw["kernel_size"],
        "stride": kw["stride"],
        "padding": kw["padding"],
        "ceil_mode": kw["ceil_mode"],
        "count_include_pad": kw["count_include_pad"],
        "divisor_override": None,
    }
    return (lambda gy: apply(AVG_POOL2D_BACKWARD, gy, x_hw=xs[2:], **p)), [
        data.draw(REAL(tuple(out.shape)))
    ]


add(custom("avg_pool2d_backward", "avg_pool2d's vjp (apply)", _avg_pool_backward))


def _triangle(name):
    def make(draw, s):
        k = draw(st.integers(-1, 1))
        return (lambda x: cr.tril(x, k)) if name == "tril" else (lambda x: x.triu(k))

    return make


add(shaped("tril", "tril(k)", _triangle("tril"), min_dims=2))
add(shaped("triu", "x.triu(k)", _triangle("triu"), min_dims=2))


# ------------------------------------------------ more elementwise math (ops/math_extra.py)
def _ternary(doms, fns):
    """Three broadcasting inputs drawn from ``doms``, for one of ``fns``."""

    def draw(data, max_numel=MAX_NUMEL):
        full = data.draw(shapes(max_numel=max_numel))
        ss = [_bcast_operand(data.draw, full) for _ in range(3)]
        fn = data.draw(st.sampled_from(fns))
        return fn, [data.draw(d(s)) for d, s in zip(doms, ss, strict=True)]

    return draw


UNIT_OPEN = _uniform(0.1, 0.9)  # logit: inside (0, 1), away from eps = 0.05 and the poles
add(unary("clamp_min", "clamp_min(0.5)", lambda x: cr.clamp_min(x, 0.5), OFFGRID))
add(unary("clamp_min", "x.clamp_min_(-1) in place", lambda x: (x * 1.0).clamp_min_(-1), OFFGRID))
add(unary("clamp_max", "x.clamp_max(0.5)", lambda x: x.clamp_max(0.5), OFFGRID))
add(binary("clamp_min_tensor", "clamp_min(x, tensor)", cr.clamp_min, GRID_A, GRID_B))
add(binary("clamp_max_tensor", "clamp_max(x, tensor)", cr.clamp_max, GRID_A, GRID_B))
add(binary("hypot", "hypot(x, y)", cr.hypot, NONZERO, NONZERO))
add(binary("fmod", "fmod(x, y)", cr.fmod, OFFGRID, HALFSTEP))
add(unary("fmod_scalar", "fmod(x, 1.5)", lambda x: cr.fmod(x, 1.5), OFFGRID))
add(binary("logaddexp", "logaddexp(x, y)", cr.logaddexp, WIDE, WIDE))
add(binary("logaddexp2", "logaddexp2(x, y)", cr.logaddexp2, WIDE, WIDE))
add(binary("copysign", "copysign(x, y)", cr.copysign, NONZERO, NONZERO))
add(unary("copysign_scalar", "copysign(x, -1.0)", lambda x: cr.copysign(x, -1.0), NONZERO))
add(binary("fmax", "fmax(x, y)", cr.fmax, GRID_A, GRID_B))
add(binary("fmin", "x.fmin(y)", lambda x, y: x.fmin(y), GRID_B, GRID_A))
add(binary("lerp", "lerp(x, y, 0.3)", lambda x, y: cr.lerp(x, y, 0.3), REAL, REAL))
add(binary("lerp", "lerp(x, y, 0.8)", lambda x, y: x.lerp(y, 0.8), REAL, REAL))
add(custom("lerp_tensor", "lerp(x, y, w), w a tensor", _ternary((REAL, REAL, REAL), [cr.lerp])))
add(
    custom(
        "addcmul",
        "addcmul(x, t1, t2, value=)",
        _ternary((REAL, REAL, REAL), [cr.addcmul, lambda a, b, c: a.addcmul(b, c, value=-1.5)]),
    )
)
add(
    custom(
        "addcdiv",
        "addcdiv(x, t1, t2, value=)",
        _ternary((REAL, REAL, NONZERO), [cr.addcdiv, lambda a, b, c: a.addcdiv(b, c, value=0.5)]),
    )
)
add(unary("exp2", "exp2", cr.exp2))
add(unary("exp2", "x.exp2_() in place", lambda x: (x * 1.0).exp2_()))
add(unary("frac", "frac", cr.frac, OFFGRID))
add(unary("deg2rad", "deg2rad", cr.deg2rad))
add(unary("rad2deg", "x.rad2deg()", lambda x: x.rad2deg()))
add(unary("nan_to_num", "nan_to_num", cr.nan_to_num))
add(unary("nan_to_num", "x.exp().nan_to_num()", lambda x: x.exp().nan_to_num()))
# (away from 0: PyTorch's formula, kept, is 0 / 0 below |x| ~ 1e-160)
add(unary("sinc", "sinc", cr.sinc, NONZERO))
add(unary("logit", "logit", cr.logit, UNIT_OPEN))
add(unary("logit", "logit(eps=0.05)", lambda x: cr.logit(x, eps=0.05), UNIT_OPEN))


# ------------------------------------------------------ statistics (ops/stats.py)
# DISTINCT values: no ties, so a finite difference never moves a median, a mode (the
# smallest of distinct values) or a running maximum to another element.
def _along(fn):
    """make(draw, shape) for fn(x, dim), a dim drawn for the shape."""

    def make(draw, s):
        d = _dim(draw, len(s))
        return lambda x: fn(x, d)

    return make


def _values_of(f):
    return lambda x, d: f(x, d).values


add(unary("median", "median()", cr.median, DISTINCT))
add(unary("nanmedian", "x.nanmedian()", lambda x: x.nanmedian(), DISTINCT))
add(shaped("median_dim", "median(x, dim).values", _along(_values_of(cr.median)), DISTINCT))
add(
    shaped(
        "median_dim",
        "median(x, dim, keepdim=True)",
        _along(lambda x, d: cr.median(x, d, keepdim=True)[0]),
        DISTINCT,
    )
)
add(shaped("nanmedian_dim", "nanmedian(x, dim)", _along(_values_of(cr.nanmedian)), DISTINCT))
add(shaped("mode", "mode(x, dim) of distinct values", _along(_values_of(cr.mode)), DISTINCT))
add(shaped("cummax", "cummax(x, dim)", _along(_values_of(cr.cummax)), DISTINCT))
add(shaped("cummin", "x.cummin(dim)", _along(lambda x, d: x.cummin(d)[0]), DISTINCT))
add(shaped("logcumsumexp", "logcumsumexp(x, dim)", _along(cr.logcumsumexp), WIDE))
add(unary("nansum", "nansum()", cr.nansum))


def _nansum_dims(draw, s):
    d, k = _dims(draw, len(s), 0), draw(st.booleans())
    return lambda x: x.nansum(d, k)


add(shaped("nansum", "x.nansum(dims, keepdim)", _nansum_dims, min_dims=1))
add(
    unary(
        "nansum",
        "nansum(log(x)): NaN (x < 0) gets no gradient",
        lambda x: cr.nansum(x.log()),
        NONZERO,
    )
)

# ------------------------------------------------------------------------ harness


def graph_prims(outs) -> set:
    """Names of the primitives recorded in the graph behind ``outs``. (Internals on purpose:
    grad_fn names do not tell primitives apart, e.g. view/reshape are both ViewBackward0.)"""
    if isinstance(outs, cr.Tensor):
        outs = (outs,)
    seen, names = set(), set()
    stack = [o._node for o in outs if isinstance(o, cr.Tensor) and o._node is not None]
    while stack:
        n = stack.pop()
        if id(n) in seen:
            continue
        seen.add(id(n))
        prim = getattr(n, "prim", None)
        if prim is not None:
            names.add(prim.name)
        stack.extend(m for m in getattr(n, "next", ()) if m is not None)
    return names


def layouts_for(ndim):
    """How an input may reach the function: as is, transposed, or as a strided slice."""
    out = ["contiguous"]
    if ndim >= 1:
        out.append("strided")
    if ndim >= 2:
        out.append("transposed")
    return out


def with_layouts(fn, arrays, layouts):
    """(fn', leaf arrays): fn' receives each leaf through a transpose or a ::2 slice, so the
    op under test works on non-contiguous data (and the views' rules are chained in)."""
    leaves, views = [], []
    for a, lay in zip(arrays, layouts, strict=True):
        if lay == "transposed":
            leaves.append(np.swapaxes(a, -1, -2).copy(order="C"))
            views.append(lambda t: t.transpose(-1, -2))
        elif lay == "strided":
            b = np.full(a.shape[:-1] + (2 * a.shape[-1],), 7.0)  # junk between the elements
            b[..., ::2] = a
            leaves.append(b)
            views.append(lambda t: t[..., ::2])
        else:
            leaves.append(a.copy(order="C"))  # (np.ascontiguousarray makes 0-d 1-d)
            views.append(lambda t: t)

    def wrapped(*ts):
        return fn(*(v(t) for v, t in zip(views, ts, strict=True)))

    return wrapped, leaves


def draw_check(case, data, max_numel=MAX_NUMEL, *, layouts=True):
    """Draw a case's function and inputs; return (fn, leaves) ready for gradcheck."""
    fn, arrays = case.draw(data, max_numel)
    arrays = [np.asarray(a, dtype=np.float64) for a in arrays]
    if layouts and case.layouts:
        lays = [data.draw(st.sampled_from(layouts_for(a.ndim)), label="layout") for a in arrays]
    else:
        lays = ["contiguous"] * len(arrays)
    fn, leaf_arrays = with_layouts(fn, arrays, lays)
    # with several inputs, sometimes only some require grad (other save plans of the rules)
    if len(leaf_arrays) > 1:
        rg = data.draw(
            st.lists(st.booleans(), min_size=len(leaf_arrays), max_size=len(leaf_arrays)).filter(
                any
            ),
            label="requires_grad",
        )
    else:
        rg = [True]
    leaves = [
        cr.from_numpy(a.copy()).requires_grad_(r) for a, r in zip(leaf_arrays, rg, strict=True)
    ]
    return fn, leaves


def check_reaches(case, fn, leaves):
    out = fn(*leaves)
    assert case.prim in graph_prims(out), (
        f"case {case.id!r} does not record primitive {case.prim!r} "
        f"(records {sorted(graph_prims(out))})"
    )


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
@given(data=st.data())
def test_gradcheck(case, data):
    fn, leaves = draw_check(case, data)
    check_reaches(case, fn, leaves)
    assert gradcheck(fn, leaves, **case.tol)


BINARY = [c for c in CASES if c.binary is not None]


@pytest.mark.parametrize("pair", EXPLICIT_PAIRS, ids=[f"{a}x{b}" for a, b in EXPLICIT_PAIRS])
@pytest.mark.parametrize("case", BINARY, ids=[c.id for c in BINARY])
@settings(max_examples=3)
@given(data=st.data())
def test_binary_explicit_pairs(case, pair, data):
    """Every binary elementwise case on the named broadcasting pairs, both ways round."""
    f, dom_x, dom_y = case.binary
    sx, sy = pair
    x = cr.from_numpy(np.asarray(data.draw(dom_x(sx)))).requires_grad_()
    y = cr.from_numpy(np.asarray(data.draw(dom_y(sy)))).requires_grad_()
    assert gradcheck(f, (x, y))


def test_every_differentiable_primitive_has_a_case():
    differentiable = {n for n, p in REGISTRY.items() if p.vjp is not None}
    covered = {c.prim for c in CASES}
    missing = differentiable - covered - BACKWARD_ONLY - NO_DERIVATIVE
    assert not missing, f"differentiable primitives without a gradcheck case: {sorted(missing)}"
    unknown = covered - set(REGISTRY)
    assert not unknown, f"cases name primitives not in REGISTRY: {sorted(unknown)}"
    assert not {c.prim for c in CASES} & {n for n, p in REGISTRY.items() if p.vjp is None}
    assert BACKWARD_ONLY <= differentiable


def test_case_ids_are_unique():
    ids = [c.id for c in CASES]
    assert len(ids) == len(set(ids))


# -------------------------------------------------- inputs that are non-contiguous leaves

NONCONTIG_LEAF = [
    ("exp", cr.exp, REAL),
    ("mul", lambda x: x * x, REAL),
    ("sum(dim=0)", lambda x: x.sum(0), REAL),
    ("mm with itself", lambda x: x @ x.mT, REAL),
    ("x[0]", lambda x: x[0], REAL),
    ("reshape", lambda x: x.reshape(-1), REAL),
]


@pytest.mark.parametrize("layout", ["transposed", "strided"])
@pytest.mark.parametrize("label,fn,dom", NONCONTIG_LEAF, ids=[c[0] for c in NONCONTIG_LEAF])
@settings(max_examples=5)
@given(data=st.data())
def test_gradcheck_noncontiguous_leaf_inputs(label, fn, dom, layout, data):
    """gradcheck itself on leaves whose storage is not row-major (as torch.autograd.gradcheck
    accepts): the finite differences must perturb the leaf's own elements."""
    # both sides >= 2: no strides can flatten these leaves without a copy
    s = data.draw(shapes(min_dims=2, max_dims=2).filter(lambda s: min(s) >= 2))
    a = data.draw(dom(s))
    if layout == "transposed":
        arr = a.T.copy(order="C").T  # shape s, column-major
    else:
        arr = np.repeat(a, 2, axis=0)[::2]  # shape s, every other row of a larger array
    x = cr.from_numpy(arr).requires_grad_()
    assert not x.is_contiguous()
    assert gradcheck(fn, (x,))


# ---------------------------------------------- an op used twice in one graph

TWICE = [
    ("exp", cr.exp, REAL),
    ("sin", cr.sin, REAL),
    ("tanh", cr.tanh, REAL),
    ("sigmoid", cr.sigmoid, WIDE),
    ("sqrt", cr.sqrt, POS),
    ("log", cr.log, _uniform(1.5, 3.0)),  # log(x) stays > 0 for the second application
    ("reciprocal", cr.reciprocal, POS),
    ("mul by itself", lambda x: x * x, REAL),
    ("pow 3", lambda x: x**3, _uniform(-1.2, 1.2)),
    ("abs", cr.abs, OFFGRID),
    ("clamp", lambda x: x.clamp(-1.3, 1.3), OFFGRID),  # clamp(clamp(x)) still off the bounds
    ("cumsum", lambda x: x.cumsum(-1), REAL),
    ("flip", lambda x: x.flip(0), REAL),
    ("transpose", lambda x: x.mT, REAL),
    ("x[::-1 via index]", lambda x: x[cr.tensor([1, 0])], REAL),
    ("softmax-ish logsumexp", lambda x: x - cr.logsumexp(x, dim=-1, keepdim=True), REAL),
    ("matmul", lambda x: x @ x, REAL),
]


@pytest.mark.parametrize("label,f,dom", TWICE, ids=[t[0] for t in TWICE])
@settings(max_examples=10)
@given(data=st.data())
def test_op_used_twice_in_one_graph(label, f, dom, data):
    """y = f(x); z = f(y) + f(x): two nodes of the same primitive, and x reaching the
    output along two paths; the gradients of both uses must add up."""
    x = cr.from_numpy(data.draw(dom((2, 2)))).requires_grad_()

    def g(x):
        y = f(x)
        return f(y) + f(x)

    assert gradcheck(g, (x,))
    # and the same values as the chain rule written out by hand with backward()
    z = g(x)
    z.sum().backward()
    eps = 1e-6
    num = np.zeros(4)
    base = x.detach().numpy().reshape(-1).copy()
    for k in range(4):
        for sign in (1, -1):
            b = base.copy()
            b[k] += sign * eps
            num[k] += sign * g(cr.from_numpy(b.reshape(2, 2))).sum().item() / (2 * eps)
    np.testing.assert_allclose(x.grad.numpy().reshape(-1), num, rtol=1e-4, atol=1e-6)


def test_op_used_twice_matches_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    a = rng.uniform(0.5, 1.5, (3, 2))
    for name in ("exp", "sin", "tanh", "sqrt", "sigmoid"):
        grads = []
        for m in (cr, torch):
            x = m.tensor(a, dtype=m.float64, requires_grad=True)
            f = getattr(m, name)
            y = f(x)
            (f(y) + f(x) * y).sum().backward()
            grads.append(x.grad.detach().numpy())
        np.testing.assert_allclose(grads[0], grads[1], rtol=1e-12, atol=1e-14, err_msg=name)
