"""Forward mode of the elementwise table against PyTorch's dual tensors.

The same function runs under ``forward_ad.dual_level()`` in chainrule and in torch, on the
same primals and tangents; primal and tangent values and dtypes must agree. Covered: unary
functions, binary ops with broadcasting (tangents on one side or both), Python scalar
operands, mixed dtypes (a float32 primal with a float64 tangent keeps a float64 tangent,
as torch does) and the kinks, where the subgradient torch picks is the contract: abs and
relu at 0, clamp at its bounds, maximum/minimum at ties.
"""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
import chainrule.autograd.forward_ad as cr_fw

torch = pytest.importorskip("torch")
torch_fw = pytest.importorskip("torch.autograd.forward_ad")


def _run(lib, fw, f, primals, tangents):
    """f(*duals) in ``lib``; returns (primal, tangent or None) as NumPy arrays."""
    with fw.dual_level():
        args = []
        for p, t in zip(primals, tangents, strict=True):
            x = lib.tensor(p)  # keeps the array's dtype (float32 or float64)
            if t is not None:
                x = fw.make_dual(x, lib.tensor(t))
            args.append(x)
        out = fw.unpack_dual(f(lib, *args))
        tan = out.tangent
        return out.primal.detach().numpy(), None if tan is None else tan.detach().numpy()


def check(f, primals, tangents, rtol=1e-12, atol=1e-12):
    p_cr, t_cr = _run(cr, cr_fw, f, primals, tangents)
    p_t, t_t = _run(torch, torch_fw, f, primals, tangents)
    assert p_cr.dtype == p_t.dtype and p_cr.shape == p_t.shape
    np.testing.assert_allclose(p_cr, p_t, rtol=rtol, atol=atol)
    assert (t_cr is None) == (t_t is None)
    if t_t is not None:
        assert t_cr.dtype == t_t.dtype, (t_cr.dtype, t_t.dtype)
        assert t_cr.shape == t_t.shape
        np.testing.assert_allclose(t_cr, t_t, rtol=rtol, atol=atol)


rng = np.random.default_rng(0)


def _pos(*shape, dtype=np.float64):
    return rng.uniform(0.3, 1.3, shape).astype(dtype)


def _real(*shape, dtype=np.float64):
    return rng.uniform(-1.2, 1.2, shape).astype(dtype)


# ------------------------------------------------------------------------------ unary
UNARY = [
    "exp",
    "expm1",
    "log",
    "log2",
    "log10",
    "log1p",
    "sqrt",
    "rsqrt",
    "sin",
    "cos",
    "tan",
    "tanh",
    "sigmoid",
    "reciprocal",
    "abs",
    "relu",
    "neg",
    "sign",
    "floor",
    "ceil",
    "trunc",
    "round",
]


@pytest.mark.parametrize("name", UNARY)
def test_unary(name):
    # positive primals: inside every domain (log, sqrt, ...) and away from the kinks
    check(lambda m, x: getattr(m, name)(x), [_pos(2, 3)], [_real(2, 3)])


def _unit(*shape, dtype=np.float64):
    return rng.uniform(-0.9, 0.9, shape).astype(dtype)


def _above1(*shape, dtype=np.float64):
    return rng.uniform(1.1, 3.0, shape).astype(dtype)


# hyperbolic and inverse trigonometric functions, each inside its domain
TRIG = {
    "sinh": _real,
    "cosh": _real,
    "atan": _real,
    "asinh": _real,
    "asin": _unit,
    "acos": _unit,
    "atanh": _unit,
    "acosh": _above1,
}


@pytest.mark.parametrize("name", list(TRIG))
def test_hyperbolic_and_inverse_trigonometric(name):
    dom = TRIG[name]
    check(lambda m, x: getattr(m, name)(x), [dom(2, 3)], [_real(2, 3)])
    check(lambda m, x: getattr(m, name)(x), [dom()], [_real()])  # 0-d
    check(lambda m, x: getattr(m, name)(x), [dom(3, dtype=np.float32)], [_real(3)], 1e-6, 1e-6)


@pytest.mark.parametrize("name", ["exp", "sin", "sqrt", "tanh", "sigmoid", "abs", "relu"])
def test_unary_0d(name):
    check(lambda m, x: getattr(m, name)(x), [_pos()], [_real()])


def test_a_chain_of_ops():
    f = lambda m, x: m.tanh(m.exp(x) * m.sin(x)) / (1 + x * x)
    check(f, [_real(4)], [_real(4)])


# ----------------------------------------------------------------------------- binary
BINARY = {
    "add": lambda m, x, y: x + y,
    "add(alpha)": lambda m, x, y: m.add(x, y, alpha=2),
    "sub": lambda m, x, y: x - y,
    "mul": lambda m, x, y: x * y,
    "div": lambda m, x, y: x / y,
    "pow": lambda m, x, y: x**y,
    "maximum": lambda m, x, y: m.maximum(x, y),
    "minimum": lambda m, x, y: m.minimum(x, y),
    "remainder": lambda m, x, y: m.remainder(x, y),
    "atan2": lambda m, x, y: m.atan2(x, y),
}
PAIRS = [((3, 1), (1, 4)), ((2, 3), (3,)), ((), (2, 2)), ((2, 2), ()), ((2, 1, 3), (2, 1))]


@pytest.mark.parametrize("sides", ["both", "x", "y"])
@pytest.mark.parametrize("pair", PAIRS, ids=[f"{a}x{b}" for a, b in PAIRS])
@pytest.mark.parametrize("name", list(BINARY))
def test_binary_broadcasting(name, pair, sides):
    sx, sy = pair
    x = _pos(*sx)
    y = _pos(*sy) + 1.5  # no ties with x (maximum), no jump of x % y (x < y)
    tx = _real(*sx) if sides in ("both", "x") else None
    ty = _real(*sy) if sides in ("both", "y") else None
    check(BINARY[name], [x, y], [tx, ty])


SCALAR = {
    "x + 2": lambda m, x: x + 2,
    "2.5 - x": lambda m, x: 2.5 - x,
    "x * 3": lambda m, x: x * 3,
    "3 / x": lambda m, x: 3 / x,
    "x / 4.0": lambda m, x: x / 4.0,
    "x ** 2": lambda m, x: x**2,
    "x ** 0.5": lambda m, x: x**0.5,
    "x ** 0": lambda m, x: x**0,
    "2.0 ** x": lambda m, x: 2.0**x,
    "x % 1.5": lambda m, x: x % 1.5,
    "clamp(0.5, 1.0)": lambda m, x: m.clamp(x, 0.5, 1.0),
    "where(x > 0.8, x, 0.5)": lambda m, x: m.where(x > 0.8, x, 0.5),
}


@pytest.mark.parametrize("name", list(SCALAR))
def test_scalar_operands(name):
    check(SCALAR[name], [_pos(5)], [_real(5)])


# ------------------------------------------------------------------------ mixed dtypes


@pytest.mark.parametrize(
    "name,f",
    [
        ("exp", lambda m, x: m.exp(x)),
        ("sin", lambda m, x: m.sin(x)),
        ("x * 2", lambda m, x: x * 2),
        ("x + 1", lambda m, x: x + 1),
        ("abs", lambda m, x: m.abs(x)),
        ("clamp", lambda m, x: m.clamp(x, 0.5, 1.0)),
        ("x / 3", lambda m, x: x / 3),
    ],
)
def test_float32_primal_float64_tangent(name, f):
    # float32 arithmetic on the primal side: compare at float32 precision
    check(f, [_pos(3, dtype=np.float32)], [_real(3)], rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("f", [lambda m, x, y: x * y, lambda m, x, y: x / y + x])
def test_float32_and_float64_operands(f):
    x, y = _pos(3, dtype=np.float32), _pos(3)
    check(f, [x, y], [_real(3, dtype=np.float32), _real(3)], rtol=1e-6, atol=1e-6)
    check(f, [x, y], [None, _real(3)], rtol=1e-6, atol=1e-6)


# ------------------------------------------------------------------------------ kinks


def test_abs_and_relu_at_zero():
    x = np.array([-1.0, 0.0, 0.0, 2.0])
    t = np.array([3.0, 5.0, -7.0, 11.0])
    check(lambda m, x: m.abs(x), [x], [t])
    check(lambda m, x: m.relu(x), [x], [t])


def test_clamp_at_its_bounds():
    x = np.array([-1.0, -0.5, 0.0, 1.0, 2.0])
    t = np.array([3.0, 5.0, 7.0, 11.0, 13.0])
    check(lambda m, x: m.clamp(x, -0.5, 1.0), [x], [t])
    check(lambda m, x: m.clamp(x, min=-0.5), [x], [t])
    check(lambda m, x: m.clamp(x, max=1.0), [x], [t])


@pytest.mark.parametrize("name", ["maximum", "minimum"])
def test_maximum_minimum_ties(name):
    x = np.array([0.0, 1.0, 2.0, -1.0])
    y = np.array([0.0, 1.0, 1.0, 3.0])
    tx = np.array([3.0, 5.0, 7.0, 11.0])
    ty = np.array([13.0, -17.0, 19.0, 23.0])
    f = lambda m, x, y: getattr(m, name)(x, y)
    check(f, [x, y], [tx, ty])
    check(f, [x, y], [tx, None])
    check(f, [x, y], [None, ty])


def test_atan2_at_the_origin():
    # torch's tangent formula has no mask: (x t_y - y t_x) / (x^2 + y^2) is NaN at (0, 0)
    y = np.array([0.0, 0.0, 1.0, -0.0])
    x = np.array([0.0, -0.0, 0.0, 2.0])
    ty = np.array([3.0, 5.0, 7.0, 11.0])
    tx = np.array([13.0, -17.0, 19.0, 23.0])
    f = lambda m, y, x: m.atan2(y, x)
    check(f, [y, x], [ty, tx])
    check(f, [y, x], [ty, None])
    check(f, [y, x], [None, tx])


def test_tangent_only_through_the_other_operand():
    # x carries no tangent: the output's tangent comes from y alone
    check(lambda m, x, y: m.exp(x) * y, [_real(3), _real(3)], [None, _real(3)])
