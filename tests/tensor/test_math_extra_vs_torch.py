"""chainrule.functions.math_extra against PyTorch: values, dtypes, shapes, errors and
gradients of clamp_min, fmod, hypot, logaddexp, lerp, nan_to_num, ... and of the in-place
forms (``x.log10_()``, ``x.eq_(y)``...)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import chainrule as cr

torch = pytest.importorskip("torch")
from _vs_torch import run, same_result, tensors  # noqa: E402

INF, NAN = math.inf, math.nan
DTYPES = ["int64", "int32", "bool", "float32", "float64"]


_both, _same, _run = tensors, same_result, run  # (tests/tensor/_vs_torch.py)


SPECIAL = np.array([-INF, -2.5, -1.0, -0.5, -0.0, 0.0, 0.25, 0.5, 1.0, 1.5, 3.0, INF, NAN])


def _values(dtype):
    if dtype == "bool":
        return np.array([True, False, True])
    if dtype.startswith("int"):
        return np.array([-3, -1, 0, 2, 5], dtype=dtype)
    return SPECIAL.astype(dtype)


UNARY = {
    "exp2": lambda m, x: m.exp2(x),
    "frac": lambda m, x: m.frac(x),
    "deg2rad": lambda m, x: m.deg2rad(x),
    "rad2deg": lambda m, x: m.rad2deg(x),
    "nan_to_num": lambda m, x: m.nan_to_num(x),
    "nan_to_num(1, 2, -3)": lambda m, x: m.nan_to_num(x, 1.0, 2.0, -3.0),
    "signbit": lambda m, x: m.signbit(x),
    "isposinf": lambda m, x: m.isposinf(x),
    "isneginf": lambda m, x: m.isneginf(x),
    "isreal": lambda m, x: m.isreal(x),
    "sinc": lambda m, x: m.sinc(x),
    "logit": lambda m, x: m.logit(x),
    "logit(eps)": lambda m, x: m.logit(x, eps=0.1),
    "clamp_min": lambda m, x: m.clamp_min(x, 0.5),
    "clamp_min int": lambda m, x: m.clamp_min(x, 1),
    "clamp_max": lambda m, x: x.clamp_max(-0.5),
    "fmod scalar": lambda m, x: m.fmod(x, 1.5),
    "fmod int scalar": lambda m, x: m.fmod(x, 2),
    "fmod by 0": lambda m, x: m.fmod(x, 0),
    "copysign scalar": lambda m, x: m.copysign(x, -1),
    "float_power": lambda m, x: m.float_power(x, 2),
    "float_power base": lambda m, x: m.float_power(2, x),
    "frexp": lambda m, x: m.frexp(x),
    "square": lambda m, x: m.square(x),
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", list(UNARY))
def test_unary_values_dtypes_errors(name, dtype):
    _run(UNARY[name], _values(dtype))


@pytest.mark.parametrize("name", ["exp2", "sinc", "logit", "frac", "nan_to_num", "signbit"])
@pytest.mark.parametrize("shape", [(), (0,), (2, 0, 3)])
def test_unary_empty_and_0d(name, shape):
    _run(UNARY[name], np.full(shape, 0.25, dtype=np.float32))


def test_nan_to_num_defaults_by_dtype():
    for dt in ("float16", "float32", "float64"):
        _run(lambda m, x: m.nan_to_num(x), np.array([NAN, INF, -INF, 1.0], dtype=dt))


BINARY = {
    "hypot": lambda m, x, y: m.hypot(x, y),
    "fmod": lambda m, x, y: m.fmod(x, y),
    "logaddexp": lambda m, x, y: m.logaddexp(x, y),
    "logaddexp2": lambda m, x, y: m.logaddexp2(x, y),
    "copysign": lambda m, x, y: m.copysign(x, y),
    "fmax": lambda m, x, y: m.fmax(x, y),
    "fmin": lambda m, x, y: x.fmin(y),
    "heaviside": lambda m, x, y: m.heaviside(x, y),
    "gcd": lambda m, x, y: m.gcd(x, y),
    "lcm": lambda m, x, y: m.lcm(x, y),
    "ldexp": lambda m, x, y: m.ldexp(x, y),
    "float_power": lambda m, x, y: m.float_power(x, y),
    "clamp_min tensor": lambda m, x, y: m.clamp_min(x, y),
    "clamp_max tensor": lambda m, x, y: x.clamp_max(y),
    "lerp": lambda m, x, y: m.lerp(x, y, 0.3),
    "lerp 0.75": lambda m, x, y: m.lerp(x, y, 0.75),
    "lerp tensor weight": lambda m, x, y: m.lerp(x, y, m.full_like(x, 0.6)),
    "addcmul": lambda m, x, y: m.addcmul(x, y, y, value=2),
    "addcmul 0.5": lambda m, x, y: m.addcmul(x, y, y, value=0.5),
    "addcdiv": lambda m, x, y: m.addcdiv(x, y, y + 7, value=0.5),
}

PAIR_DTYPES = [
    ("float32", "float32"),
    ("float64", "float32"),
    ("int64", "int64"),
    ("int32", "int64"),
    ("int64", "float32"),
    ("bool", "bool"),
]


@pytest.mark.parametrize("dtypes", PAIR_DTYPES, ids=["-".join(d) for d in PAIR_DTYPES])
@pytest.mark.parametrize("name", list(BINARY))
def test_binary_values_dtypes_errors(name, dtypes):
    x = _values(dtypes[0])
    y = _values(dtypes[1])[::-1].copy()
    n = min(len(x), len(y))
    _run(BINARY[name], x[:n], y[:n])


@pytest.mark.parametrize("name", list(BINARY))
def test_binary_broadcasting(name):
    rng = np.random.default_rng(0)
    x = rng.uniform(0.5, 3.0, (2, 1, 3)).astype(np.float32)
    y = rng.uniform(0.5, 3.0, (4, 1)).astype(np.float32)
    _run(BINARY[name], x, y, rtol=1e-5)


def test_fmod_integer_division_by_zero():
    _run(lambda m, x, y: m.fmod(x, y), np.array([3, 4]), np.array([1, 0]))


def test_number_operands_refused_where_torch_refuses():
    for name in ("hypot", "logaddexp", "fmax", "fmin"):
        _run(lambda m, x, n=name: getattr(m, n)(x, 2.0), np.array([1.0], dtype=np.float32))


def test_lerp_dtype_mismatch():
    _run(lambda m, x, y: m.lerp(x, y, 0.5), np.ones(2, np.float32), np.ones(2))
    _run(lambda m, x, y: m.lerp(x, x, y), np.ones(2, np.float32), np.ones(2))


@settings(max_examples=30, deadline=None)
@given(
    dt=st.sampled_from(["float32", "float64"]),
    shapes=hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=3, max_side=3),
    data=st.data(),
)
def test_binary_hypothesis(dt, shapes, data):
    elems = st.floats(-5, 5, width=32)
    x = data.draw(hnp.arrays(dt, shapes.input_shapes[0], elements=elems))
    y = data.draw(hnp.arrays(dt, shapes.input_shapes[1], elements=elems))
    for name in ("hypot", "fmod", "logaddexp", "logaddexp2", "copysign", "fmax", "fmin", "lerp"):
        _run(BINARY[name], x, y, rtol=1e-5, atol=1e-5)


# ------------------------------------------------------------------ gradients
def _grads(f, *arrays, composite=False):
    """Gradients of f's (first) output on both libraries, and its node's name (but for a
    composite, whose last node is another row's: ldexp is input * exp2(other) here)."""
    out = []
    for m in (cr, torch):
        xs = [m.tensor(a, dtype=m.float64, requires_grad=True) for a in arrays]
        y = f(m, *xs)
        y = y[0] if isinstance(y, tuple) else y
        y.backward(m.ones_like(y))
        out.append(([(x.grad.numpy() if x.grad is not None else None) for x in xs], y))
    (gc, yc), (gt, yt) = out
    if not composite:
        assert yc.grad_fn.name() == yt.grad_fn.name()
    for a, b in zip(gc, gt, strict=True):
        if b is None:
            assert a is None or not a.any()
        else:
            np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12, equal_nan=True)


KINKS = np.array([-2.0, -1.0, -0.5, 0.0, 0.0, 0.5, 1.0, 1.5, 2.0])
OTHER = np.array([1.0, -1.0, 0.5, 0.0, 1.0, 0.5, NAN, 1.5, -3.0])

GRAD_BINARY = {
    "hypot": lambda m, x, y: m.hypot(x, y),
    "fmod": lambda m, x, y: m.fmod(x, y),
    "logaddexp": lambda m, x, y: m.logaddexp(x, y),
    "logaddexp2": lambda m, x, y: m.logaddexp2(x, y),
    "copysign": lambda m, x, y: m.copysign(x, y),
    "fmax": lambda m, x, y: m.fmax(x, y),
    "fmin": lambda m, x, y: m.fmin(x, y),
    "clamp_min": lambda m, x, y: m.clamp_min(x, y),
    "clamp_max": lambda m, x, y: m.clamp_max(x, y),
    "lerp": lambda m, x, y: m.lerp(x, y, 0.3),
    "lerp tensor": lambda m, x, y: m.lerp(x, y, y * x),
    "addcmul": lambda m, x, y: m.addcmul(x, y, x, value=2.0),
    "addcdiv": lambda m, x, y: m.addcdiv(x, y, x + 5, value=2.0),
    "ldexp": lambda m, x, y: m.ldexp(x, y),
    "float_power": lambda m, x, y: m.float_power(x.abs() + 1, y),
}


@pytest.mark.parametrize("name", list(GRAD_BINARY))
def test_gradients_at_kinks_match_torch(name):
    y = np.nan_to_num(OTHER, nan=0.25) if name in ("fmod", "ldexp", "float_power") else OTHER
    if name == "fmod":
        y = np.where(y == 0, 2.0, y)
    _grads(GRAD_BINARY[name], KINKS, y, composite=name in ("ldexp", "float_power"))


GRAD_UNARY = {
    "exp2": lambda m, x: m.exp2(x),
    "frac": lambda m, x: m.frac(x),
    "deg2rad": lambda m, x: m.deg2rad(x),
    "rad2deg": lambda m, x: m.rad2deg(x),
    "nan_to_num": lambda m, x: m.nan_to_num(x),
    "sinc": lambda m, x: m.sinc(x),
    "logit": lambda m, x: m.logit(x),
    "logit eps": lambda m, x: m.logit(x, 0.2),
    "clamp_min": lambda m, x: m.clamp_min(x, 0.5),
    "clamp_max": lambda m, x: m.clamp_max(x, 0.5),
    "fmod": lambda m, x: m.fmod(x, 0.75),
    "copysign": lambda m, x: m.copysign(x, -1.0),
    "frexp": lambda m, x: m.frexp(x),
}


@pytest.mark.parametrize("name", list(GRAD_UNARY))
def test_unary_gradients_match_torch(name):
    x = np.array([-INF, -1.5, -0.5, 0.0, 0.1, 0.2, 0.5, 0.8, 1.0, 1.5, INF, NAN])
    if name in ("exp2", "frexp", "frac", "fmod", "sinc"):
        x = x[np.isfinite(x)]
    _grads(GRAD_UNARY[name], x, composite=name == "frexp")


# ------------------------------------------------------------------ in place
INPLACE = {
    "clamp_min_": lambda x: x.clamp_min_(0.5),
    "clamp_max_": lambda x: x.clamp_max_(0.5),
    "clamp_min_ float bound": lambda x: x.clamp_min_(1.5),
    "fmod_": lambda x: x.fmod_(2),
    "hypot_": lambda x: x.hypot_(x.clone()),
    "copysign_": lambda x: x.copysign_(-1),
    "exp2_": lambda x: x.exp2_(),
    "frac_": lambda x: x.frac_(),
    "deg2rad_": lambda x: x.deg2rad_(),
    "rad2deg_": lambda x: x.rad2deg_(),
    "nan_to_num_": lambda x: x.nan_to_num_(),
    "sinc_": lambda x: x.sinc_(),
    "logit_": lambda x: x.logit_(0.25),
    "lerp_": lambda x: x.lerp_(x.clone() * 2, 0.5),
    "addcmul_": lambda x: x.addcmul_(x.clone(), x.clone()),
    "addcdiv_": lambda x: x.addcdiv_(x.clone(), x.clone() + 7),
    "float_power_": lambda x: x.float_power_(2),
    "ldexp_": lambda x: x.ldexp_(x.clone()),
    "gcd_": lambda x: x.gcd_(x.clone() + 2),
    "lcm_": lambda x: x.lcm_(x.clone() + 2),
    "heaviside_": lambda x: x.heaviside_(x.clone()),
    "log10_": lambda x: x.log10_(),
    "log2_": lambda x: x.log2_(),
    "log1p_": lambda x: x.log1p_(),
    "expm1_": lambda x: x.expm1_(),
    "rsqrt_": lambda x: x.rsqrt_(),
    "square_": lambda x: x.square_(),
    "tan_": lambda x: x.tan_(),
    "eq_": lambda x: x.eq_(1),
    "ne_": lambda x: x.ne_(1),
    "lt_": lambda x: x.lt_(0.5),
    "le_": lambda x: x.le_(1),
    "gt_": lambda x: x.gt_(0.5),
    "ge_": lambda x: x.ge_(1),
    "logical_and_": lambda x: x.logical_and_(x.clone()),
    "logical_or_": lambda x: x.logical_or_(x.clone() * 0),
    "logical_xor_": lambda x: x.logical_xor_(x.clone()),
    "logical_not_": lambda x: x.logical_not_(),
    "bitwise_and_": lambda x: x.bitwise_and_(x.clone()),
    "bitwise_or_ int": lambda x: x.bitwise_or_(3),
    "bitwise_xor_": lambda x: x.bitwise_xor_(x.clone()),
    "bitwise_not_": lambda x: x.bitwise_not_(),
    "&=": lambda x: x.__iand__(x.clone()),
    "fix_": lambda x: x.fix_(),
    "absolute_": lambda x: x.absolute_(),
    "negative_": lambda x: x.negative_(),
    "multiply_": lambda x: x.multiply_(2),
    "remainder_": lambda x: x.remainder_(2),
    "floor_divide_": lambda x: x.floor_divide_(2),
    "subtract_": lambda x: x.subtract_(x.clone()),
    "divide_": lambda x: x.divide_(2),
    "divide_ floor": lambda x: x.divide_(2, rounding_mode="floor"),
    "true_divide_": lambda x: x.true_divide_(4),
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", list(INPLACE))
def test_inplace_values_dtypes_errors(name, dtype):
    def f(m, x):
        r = INPLACE[name](x)
        assert r is x
        return x

    _run(f, _values(dtype))


@pytest.mark.parametrize(
    "name", ["clamp_min_", "exp2_", "frac_", "log10_", "sinc_", "logit_", "lerp_", "addcmul_"]
)
def test_inplace_gradients_and_grad_fn(name):
    def f(m, x):
        y = x * 1.0
        INPLACE[name](y)
        return y

    _grads(f, np.array([0.3, 0.6, 0.9]))


# ------------------------------------------------------------------ forward mode
FWD = {
    "fmax": lambda m, a, b: m.fmax(a, b),
    "fmin": lambda m, a, b: m.fmin(a, b),
    "clamp_min tensor": lambda m, a, b: m.clamp_min(a, b),
    "clamp_max tensor": lambda m, a, b: m.clamp_max(a, b),
    "clamp_min": lambda m, a, b: m.clamp_min(a, 0.5) + 0 * b,
    "nan_to_num of 0 / 0": lambda m, a, b: m.nan_to_num(a / b),
    "copysign": lambda m, a, b: m.copysign(a, b),
    "hypot": lambda m, a, b: m.hypot(a, b),
    "lerp": lambda m, a, b: m.lerp(a, b, a),
    "logaddexp": lambda m, a, b: m.logaddexp(a, b),
    "logit eps": lambda m, a, b: m.logit(a, 0.5) + 0 * b,
    "fmod": lambda m, a, b: m.fmod(a, b + 3),
    "sinc": lambda m, a, b: m.sinc(a) + 0 * b,
}


@pytest.mark.parametrize("name", list(FWD))
def test_forward_mode_at_ties_and_nans_matches_torch(name):
    """Tangents (chainrule.func.jvp vs torch.func.jvp) where PyTorch's forward formula
    chooses otherwise than its reverse one: fmax's and clamp_min's ties, NaN bounds."""
    import torch.func as tf

    import chainrule.func as cf

    x = np.array([0.0, 0.5, 1.0, -1.0, 2.0, 0.2, 0.8])
    y = np.array([0.0, 0.5, 2.0, -1.0, 1.0, NAN, 0.8])
    outs = []
    for m, fm in ((cr, cf), (torch, tf)):
        a, b = m.tensor(x, dtype=m.float64), m.tensor(y, dtype=m.float64)
        ta, tb = m.arange(1.0, 8.0, dtype=m.float64), m.full_like(b, 10.0)
        _, t = fm.jvp(lambda p, q, m=m: FWD[name](m, p, q), (a, b), (ta, tb))
        outs.append(t.detach().numpy())
    np.testing.assert_allclose(outs[0], outs[1], equal_nan=True)


def test_heaviside_has_no_derivative_as_in_torch():
    for m in (cr, torch):
        x = m.tensor([1.0, 0.0], requires_grad=True)
        y = m.heaviside(x, m.tensor(0.5))
        assert y.requires_grad and "grad_fn=<NotImplemented>" in repr(y)
    with pytest.raises(RuntimeError, match="derivative for aten::heaviside is not implemented"):
        cr.heaviside(cr.tensor([1.0, 0.0], requires_grad=True), cr.tensor(0.5)).sum().backward()
