"""addmm, addmv, addr, baddbmm, addbmm (``beta * input + alpha * product``) and their Tensor
methods and in-place forms: composites over mm / mv / outer / bmm, add and mul, so their
gradients are the table's. Without PyTorch: values against NumPy on random shapes drawn
with hypothesis (input broadcasting, beta and alpha 0, 1 or other), gradcheck in reverse
and forward mode, gradgradcheck, in-place forms. With PyTorch: values and dtypes per
dtype, the handling of beta = 0 and alpha = 0 (NaN ignored or not, zero gradients),
gradients, and PyTorch's error texts."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import chainrule as cr
from chainrule.autograd import gradcheck, gradgradcheck


@pytest.fixture(scope="module")
def torch():
    return pytest.importorskip("torch")


rng = np.random.default_rng(7)

# name: (operand shapes for sizes b, n, k, p; output shape; the product in NumPy)
FAMILY = {
    "addmm": (lambda b, n, k, p: [(n, k), (k, p)], lambda b, n, k, p: (n, p), np.matmul),
    "addmv": (lambda b, n, k, p: [(n, k), (k,)], lambda b, n, k, p: (n,), np.matmul),
    "addr": (lambda b, n, k, p: [(n,), (p,)], lambda b, n, k, p: (n, p), np.outer),
    "baddbmm": (
        lambda b, n, k, p: [(b, n, k), (b, k, p)],
        lambda b, n, k, p: (b, n, p),
        np.matmul,
    ),
    "addbmm": (
        lambda b, n, k, p: [(b, n, k), (b, k, p)],
        lambda b, n, k, p: (n, p),
        lambda x, y: np.matmul(x, y).sum(0),
    ),
}
COEFFICIENTS = st.sampled_from([1, 0, 0.5, -2.0, 3])


@st.composite
def cases(draw, name: str, lo: int = 1):
    """(input shape, operand shapes, output shape, beta, alpha): input broadcasts to the
    output (fewer dims, or size 1 in some)."""
    b, n, k, p = (draw(st.integers(lo, 3)) for _ in range(4))
    shapes, out, _ = FAMILY[name]
    out_shape = out(b, n, k, p)
    if name == "addmv":  # a vector, a number, or a one-element vector
        inp = draw(st.sampled_from([out_shape, (), (1,)]))
    else:
        drop = draw(st.integers(0, len(out_shape)))
        inp = tuple(draw(st.sampled_from([d, 1])) for d in out_shape[drop:])
    return inp, shapes(b, n, k, p), out_shape, draw(COEFFICIENTS), draw(COEFFICIENTS)


def _reference(name, x, ops, beta, alpha):
    """beta * x + alpha * product, x ignored when beta is 0 (as PyTorch)."""
    prod = FAMILY[name][2](*ops)
    return alpha * prod + (0 if beta == 0 else beta * x)


# ----------------------------------------------------------------- without PyTorch


@pytest.mark.parametrize("name", list(FAMILY))
@settings(max_examples=12)
@given(data=st.data())
def test_values_and_gradients(name, data):
    inp, shapes, out_shape, beta, alpha = data.draw(cases(name))
    x = rng.standard_normal(inp)
    ops = [rng.standard_normal(s) for s in shapes]
    f = getattr(cr, name)
    ts = [cr.tensor(a, requires_grad=True) for a in [x, *ops]]
    r = f(*ts, beta=beta, alpha=alpha)
    assert tuple(r.shape) == out_shape and r.dtype == cr.float64
    np.testing.assert_allclose(
        r.detach().numpy(), _reference(name, x, ops, beta, alpha), rtol=1e-10, atol=1e-12
    )
    # the method gives the same
    np.testing.assert_allclose(
        getattr(ts[0], name)(*ts[1:], beta=beta, alpha=alpha).detach().numpy(),
        r.detach().numpy(),
    )
    g = lambda *t: f(*t, beta=beta, alpha=alpha)  # noqa: E731
    assert gradcheck(g, ts, check_forward_ad=True)


@pytest.mark.parametrize("name", list(FAMILY))
@pytest.mark.parametrize("beta,alpha", [(1, 1), (0.5, -2.0), (0, 1), (1, 0)])
def test_second_order(name, beta, alpha):
    shapes, out, _ = FAMILY[name]
    out_shape = out(2, 2, 3, 2)
    ts = [
        cr.tensor(rng.standard_normal(s), requires_grad=True)
        for s in [out_shape[-1:], *shapes(2, 2, 3, 2)]
    ]
    g = lambda *t: getattr(cr, name)(*t, beta=beta, alpha=alpha)  # noqa: E731
    assert gradgradcheck(g, ts, check_fwd_over_rev=True)


@pytest.mark.parametrize("name", list(FAMILY))
def test_beta_zero_ignores_nan_and_inf_in_input(name):
    shapes, out, _ = FAMILY[name]
    ops = [cr.tensor(rng.standard_normal(s)) for s in shapes(2, 3, 4, 2)]
    x = cr.full(out(2, 3, 4, 2), math.nan, dtype=cr.float64)
    x[..., 0] = math.inf
    x.requires_grad_()
    r = getattr(cr, name)(x, *ops, beta=0)
    assert bool(r.isfinite().all())
    r.sum().backward()
    assert x.grad is not None and not bool(x.grad.any())  # zero, not None


@pytest.mark.parametrize("name", list(FAMILY))
def test_in_place_forms(name):
    """x.addmm_(...) writes addmm(x, ...) into x and returns x; the gradient goes through."""
    shapes, out, _ = FAMILY[name]
    out_shape = out(2, 3, 4, 2)
    ops = [cr.tensor(rng.standard_normal(s), requires_grad=True) for s in shapes(2, 3, 4, 2)]
    x0 = cr.tensor(rng.standard_normal(out_shape), requires_grad=True)

    def f(x0, *ops):
        x = x0 * 1
        y = getattr(x, name + "_")(*ops, beta=0.5, alpha=2)
        assert y is x
        return x

    want = getattr(cr, name)(x0, *ops, beta=0.5, alpha=2)
    np.testing.assert_allclose(f(x0, *ops).detach().numpy(), want.detach().numpy())
    assert gradcheck(f, [x0, *ops], check_forward_ad=True)


def test_addbmm_is_one_matrix_product():
    """The batches side by side, one mm: no (b, n, p) intermediate."""
    b1 = cr.tensor(rng.standard_normal((4, 2, 3)), requires_grad=True)
    b2 = cr.tensor(rng.standard_normal((4, 3, 5)), requires_grad=True)
    r = cr.addbmm(cr.zeros(2, 5, dtype=cr.float64), b1, b2)
    names, todo = set(), [r.grad_fn]
    while todo:
        n = todo.pop()
        if n is not None:
            names.add(type(n).__name__)
            todo.extend(f for f, _ in n.next_functions)
    assert "MmBackward0" in names and "BmmBackward0" not in names and "SumBackward1" not in names


def test_integer_coefficients_truncate():
    """An integer result takes beta and alpha truncated (PyTorch's Scalar conversion)."""
    one = cr.ones(2, 2, dtype=cr.int64)
    assert cr.addmm(one, one, one, beta=1.7, alpha=2.9).tolist() == [[5, 5], [5, 5]]
    assert cr.addmm(one, one, one, alpha=0.5).tolist() == [[1, 1], [1, 1]]
    u = cr.ones(2, 2, dtype=cr.uint8)
    assert cr.addmm(u, u, u, alpha=-1).tolist() == [[255, 255], [255, 255]]


# ------------------------------------------------------------------- against PyTorch


def outcome(call):
    try:
        return ("ok", call())
    except Exception as e:  # compared with PyTorch's
        return ("error", type(e).__name__, str(e))


def _same(ours, theirs, rtol=1e-6):
    assert tuple(ours.shape) == tuple(theirs.shape)
    assert str(ours.dtype) == str(theirs.dtype)
    np.testing.assert_allclose(
        ours.detach().numpy().astype(float),
        theirs.detach().numpy().astype(float),
        rtol=rtol,
        atol=1e-6,
        equal_nan=True,
    )


@pytest.mark.parametrize("name", list(FAMILY))
@pytest.mark.parametrize(
    "dtype", ["float32", "float64", "float16", "int64", "int32", "int16", "uint8", "bool"]
)
@pytest.mark.parametrize("beta,alpha", [(1, 1), (2, 3), (0, 1), (1, 0), (0.5, 2.5), (-1, 1)])
def test_dtypes_and_coefficients_as_torch(torch, name, dtype, beta, alpha):
    shapes, out, _ = FAMILY[name]
    arrays = [rng.integers(0, 3, s).astype(dtype) for s in [out(2, 3, 2, 2), *shapes(2, 3, 2, 2)]]
    got = outcome(lambda: getattr(cr, name)(*map(cr.from_numpy, arrays), beta=beta, alpha=alpha))
    want = outcome(
        lambda: getattr(torch, name)(*map(torch.from_numpy, arrays), beta=beta, alpha=alpha)
    )
    assert got[0] == want[0], (got, want)
    if want[0] == "ok":
        _same(got[1], want[1], rtol=1e-2 if dtype == "float16" else 1e-6)
    else:
        assert got == want


@pytest.mark.parametrize("name", list(FAMILY))
@pytest.mark.parametrize("where", ["input", "operand"])
@pytest.mark.parametrize("beta,alpha", [(0, 1), (1, 0), (0, 0), (2, 0)])
def test_nan_handling_and_gradients_as_torch(torch, name, where, beta, alpha):
    """beta = 0 ignores input's NaN; alpha = 0 ignores the operands' NaN in addmm, addmv
    and addbmm (PyTorch's kernels skip the product) but not in baddbmm and addr. The
    gradients (zeros where a term is ignored) are PyTorch's."""
    shapes, out, _ = FAMILY[name]
    arrays = [rng.standard_normal(s) for s in [out(2, 3, 2, 2), *shapes(2, 3, 2, 2)]]
    arrays[0 if where == "input" else 1][..., 0] = np.nan
    res = []
    for m in (cr, torch):
        ts = [m.tensor(a, requires_grad=True) for a in arrays]
        r = getattr(m, name)(*ts, beta=beta, alpha=alpha)
        r.backward(m.ones_like(r))
        res.append((r, [t.grad for t in ts]))
    _same(res[0][0], res[1][0], rtol=1e-12)
    for a, b in zip(res[0][1], res[1][1], strict=True):
        _same(a, b, rtol=1e-12)


@pytest.mark.parametrize("name", list(FAMILY))
def test_broadcast_input_gradients_as_torch(torch, name):
    shapes, out, _ = FAMILY[name]
    out_shape = out(2, 3, 4, 2)
    for inp in [out_shape, out_shape[-1:], (), (1,) * len(out_shape)]:
        arrays = [rng.standard_normal(s) for s in [inp, *shapes(2, 3, 4, 2)]]
        res = []
        for m in (cr, torch):
            ts = [m.tensor(a, requires_grad=True) for a in arrays]
            r = getattr(m, name)(*ts, beta=0.5, alpha=-1.5)
            gs = m.autograd.grad((r * r).sum(), ts)
            res.append((r, gs))
        _same(res[0][0], res[1][0], rtol=1e-12)
        for a, b in zip(res[0][1], res[1][1], strict=True):
            _same(a, b, rtol=1e-10)


T = lambda m, *s, dt=None: m.ones(s, dtype=None if dt is None else getattr(m, dt))  # noqa: E731
D, L, B, H = "float64", "int64", "bool", "float16"

ERRORS = [
    # addmm
    lambda m: m.addmm(T(m, 3), T(m, 2, 3), T(m, 3, 4)),
    lambda m: m.addmm(T(m, 3, 2, 4), T(m, 2, 3), T(m, 3, 4)),
    lambda m: m.addmm(T(m, 2, 4), T(m, 5, 2, 3), T(m, 3, 4)),
    lambda m: m.addmm(T(m, 2, 4), T(m, 3), T(m, 3, 4)),
    lambda m: m.addmm(T(m, 2, 4), T(m, 2, 3), T(m, 3)),
    lambda m: m.addmm(T(m, 2, 4), T(m, 2, 3), T(m, 2, 4)),
    lambda m: m.addmm(T(m, 2, 4, dt=D), T(m, 2, 3), T(m, 3, 4)),
    lambda m: m.addmm(T(m, 2, 4), T(m, 2, 3, dt=D), T(m, 3, 4)),
    lambda m: m.addmm(T(m, 2, 4), T(m, 2, 3), T(m, 3, 4, dt=D)),
    lambda m: m.addmm(T(m, 2, 4, dt=L), T(m, 2, 3), T(m, 3, 4)),
    lambda m: m.addmm(T(m, 5, dt=D), T(m, 2, 3), T(m, 3, 4)),
    lambda m: m.addmm(T(m, 2, 4), T(m, 2, 3, 1, dt=D), T(m, 3, 4)),
    lambda m: m.addmm(T(m, 2, 4, dt=B), T(m, 2, 3, dt=B), T(m, 3, 4, dt=B)),
    lambda m: m.addmm(1.0, T(m, 2, 3), T(m, 3, 4)),
    lambda m: m.addmm(T(m, 2, 4), 1.0, T(m, 3, 4)),
    lambda m: m.addmm(T(m, 2, 4), T(m, 2, 3), T(m, 3, 4), beta=1j),
    lambda m: m.addmm(T(m, 2, 4), T(m, 2, 3), T(m, 3, 4), alpha=1e300),
    lambda m: m.addmm(T(m, 2, 4, dt=L), T(m, 2, 3, dt=L), T(m, 3, 4, dt=L), alpha=2**63),
    lambda m: m.addmm(
        T(m, 2, 4, dt="int8"), T(m, 2, 3, dt="int8"), T(m, 3, 4, dt="int8"), beta=200
    ),
    lambda m: T(m, 2, 4).addmm(1.0, T(m, 3, 4)),
    lambda m: T(m, 2, 4).addmm(T(m, 2, 3), 2),
    # addmv
    lambda m: m.addmv(T(m, 3), T(m, 2, 3), T(m, 3)),
    lambda m: m.addmv(T(m, 2, 2), T(m, 2, 3), T(m, 3)),
    lambda m: m.addmv(T(m, 2), T(m, 5, 2, 3), T(m, 3)),
    lambda m: m.addmv(T(m, 2), T(m, 2, 3), T(m, 4)),
    lambda m: m.addmv(T(m, 2, dt=D), T(m, 2, 3), T(m, 3)),
    lambda m: m.addmv(T(m, 2), T(m, 2, 3, dt=D), T(m, 3)),
    lambda m: m.addmv(T(m, 2), T(m, 2, 3), T(m, 3, dt=D)),
    lambda m: m.addmv(T(m, 3, dt=D), T(m, 2, 3), T(m, 3)),
    lambda m: m.addmv(T(m, 2), T(m), T(m, 3)),
    lambda m: m.addmv(T(m, 2), T(m, 3), T(m, 3)),
    lambda m: m.addmv(T(m, 2), T(m, 2, 3), T(m, 3, 1)),
    lambda m: m.addmv(T(m, 2), T(m, 2, 3), T(m)),
    lambda m: m.addmv(T(m, 2, dt=B), T(m, 2, 3, dt=B), T(m, 3, dt=B)),
    lambda m: m.addmv(T(m, 1, 2), T(m, 2, 3), T(m, 3)),
    lambda m: m.addmv(T(m, 2), T(m, 2, 3), T(m, 4, dt=D)),
    lambda m: m.addmv(T(m, 2), T(m, 2, 3), [1.0, 2.0, 3.0]),
    # addr
    lambda m: m.addr(T(m, 2, 4), T(m, 3), T(m, 4)),
    lambda m: m.addr(T(m, 3, 4), T(m, 2, 3), T(m, 4)),
    lambda m: m.addr(T(m, 3, 4), T(m, 3), T(m, 2, 3)),
    lambda m: m.addr(T(m, 3, 4), T(m), T(m, 4)),
    lambda m: m.addr(T(m, 1, 3, 4), T(m, 3), T(m, 4)),
    lambda m: m.addr(T(m, 3, 4, dt=B), T(m, 3, dt=B), T(m, 4, dt=B), beta=2.0),
    lambda m: m.addr(T(m, 3, 4, dt=B), T(m, 3, dt=B), T(m, 4, dt=B), alpha=1.5),
    lambda m: m.addr(T(m, 3, 4, dt=L), T(m, 3, dt=L), T(m, 4, dt=L), alpha=0.5),
    lambda m: m.addr(T(m, 3, 4, dt=L), T(m, 3, dt=L), T(m, 4, dt=L), beta=True),
    lambda m: m.addr(T(m, 3, 4), T(m, 3), T(m, 4), alpha=True),
    lambda m: m.addr(T(m, 3, 4, dt=L), T(m, 3, dt=L), T(m, 4, dt=L), beta=1j),
    lambda m: m.addr(T(m, 3, 4), T(m, 3), T(m, 4), beta=1j),
    lambda m: m.addr(T(m, 3, 4), T(m, 3), 2.0),
    # baddbmm
    lambda m: m.baddbmm(T(m, 3, 2, 4), T(m, 5, 2, 3), T(m, 5, 3, 4)),
    lambda m: m.baddbmm(T(m, 5, 2, 4), T(m, 2, 3), T(m, 5, 3, 4)),
    lambda m: m.baddbmm(T(m, 5, 2, 4), T(m, 5, 2), T(m, 5, 3, 4)),
    lambda m: m.baddbmm(T(m, 5, 2, 4), T(m, 5, 2, 3), T(m, 3, 4)),
    lambda m: m.baddbmm(T(m, 5, 2, 4), T(m, 5, 2, 3, 1), T(m, 5, 3, 4)),
    lambda m: m.baddbmm(T(m, 5, 2, 4), T(m, 5, 2, 3), T(m, 5, 3, 4, 1)),
    lambda m: m.baddbmm(T(m, 5, 2, 4), T(m, 5, 2, 3), T(m, 4, 3, 4)),
    lambda m: m.baddbmm(T(m, 5, 2, 4), T(m, 5, 2, 3), T(m, 5, 2, 4)),
    lambda m: m.baddbmm(T(m, 5, 2, 4, dt=D), T(m, 5, 2, 3), T(m, 5, 3, 4)),
    lambda m: m.baddbmm(T(m, 5, 2, 4, dt=L), T(m, 5, 2, 3), T(m, 5, 3, 4)),
    lambda m: m.baddbmm(T(m, 5, 2, 4, dt=H), T(m, 5, 2, 3), T(m, 5, 3, 4)),
    lambda m: m.baddbmm(T(m, 5, 2, 4), T(m, 5, 2, 3, dt=D), T(m, 5, 3, 4)),
    lambda m: m.baddbmm(T(m, 5, 2, 4), T(m, 5, 2, 3), T(m, 5, 3, 4, dt=D)),
    lambda m: m.baddbmm(T(m, 5, 2, 4, dt=B), T(m, 5, 2, 3, dt=B), T(m, 5, 3, 4, dt=B)),
    lambda m: m.baddbmm(T(m, 5, 2, 4), T(m, 5, 2, 3), 3),
    lambda m: m.baddbmm(T(m, 2, 4), T(m), T(m, 5, 3, 4)),
    # addbmm
    lambda m: m.addbmm(T(m, 5, 2, 4), T(m, 5, 2, 3), T(m, 5, 3, 4)),
    lambda m: m.addbmm(T(m, 2, 4), T(m, 2, 3), T(m, 5, 3, 4)),
    lambda m: m.addbmm(T(m, 2, 4), T(m, 5, 2, 3), T(m, 3, 4)),
    lambda m: m.addbmm(T(m, 2, 4), T(m, 5, 2, 3, 1), T(m, 5, 3, 4)),
    lambda m: m.addbmm(T(m, 2, 4), T(m, 5, 2, 3), T(m, 5, 3, 4, 1)),
    lambda m: m.addbmm(T(m, 2, 4), T(m, 5), T(m, 5, 3, 4)),
    lambda m: m.addbmm(T(m, 2, 4), T(m), T(m, 5, 3, 4)),
    lambda m: m.addbmm(T(m, 3, 4), T(m, 5, 2, 3), T(m, 5, 3, 4)),
    lambda m: m.addbmm(T(m, 2, 4), T(m, 5, 2, 3), T(m, 4, 3, 4)),
    lambda m: m.addbmm(T(m, 2, 4), T(m, 5, 2, 3), T(m, 5, 2, 4)),
    lambda m: m.addbmm(T(m, 2, 4, dt=D), T(m, 5, 2, 3), T(m, 5, 3, 4)),
    lambda m: m.addbmm(T(m, 2, 4), T(m, 5, 2, 3, dt=D), T(m, 5, 3, 4)),
    lambda m: m.addbmm(T(m, 2, 4), T(m, 5, 2, 3), T(m, 5, 3, 4, dt=D)),
    lambda m: m.addbmm(T(m, 2, 4, dt=D), T(m, 5, 2, 3), T(m, 4, 3, 4)),
    lambda m: m.addbmm(T(m, 2, 4, dt=B), T(m, 5, 2, 3, dt=B), T(m, 5, 3, 4, dt=B)),
    # in-place forms
    lambda m: T(m, 2, 4, dt=None).requires_grad_().addmm_(T(m, 2, 3), T(m, 3, 4)),
    lambda m: T(m, 4).addmm_(T(m, 2, 3), T(m, 3, 4)),
    lambda m: T(m, 1, 4).addmm_(T(m, 2, 3), T(m, 3, 4)),
    lambda m: T(m, 2, 4).addmm_(1.0, T(m, 3, 4)),
    lambda m: T(m, 2, 4).baddbmm_(T(m, 5, 2, 3), T(m, 5, 3, 4)),
    lambda m: T(m, 1).addmv_(T(m, 2, 3), T(m, 3)),
    lambda m: T(m, 4).addr_(T(m, 3), T(m, 4)),
    lambda m: T(m, 4).addr_(T(m, 3, 1), T(m, 4)),
    lambda m: T(m, 3, 4, 2).addr_(T(m, 3), T(m, 4)),
    lambda m: T(m, 1, 4).addr_(T(m, 3), T(m, 4)),
    lambda m: T(m).addr_(T(m, 3), T(m, 4)),
    lambda m: T(m, 3, 4, dt=L).addr_(T(m, 3), T(m, 4)),
    lambda m: T(m, 2, 2).addr_(1.0, T(m, 4)),
]


@pytest.mark.parametrize("call", ERRORS)
def test_errors_as_torch(torch, call):
    got, want = outcome(lambda: call(cr)), outcome(lambda: call(torch))
    assert want[0] == "error", want
    assert got == want


@pytest.mark.parametrize(
    "call",
    [
        lambda m: m.addr(T(m, 3, 4, dt=L), T(m, 3), T(m, 4), alpha=2.5),
        lambda m: m.addr(T(m, 3, 4), T(m, 3, dt=L), T(m, 4)),
        lambda m: m.addr(T(m, 3, 4, dt=B), T(m, 3, dt=B), T(m, 4, dt=L)),
        lambda m: m.addr(T(m, 3, 4, dt=H), T(m, 3), T(m, 4)),
        lambda m: m.addr(T(m, 3, 4, dt=D), T(m, 3), T(m, 4), beta=0),
        lambda m: m.addr(T(m, 3, 4, dt=B), T(m, 3, dt=B), T(m, 4, dt=B), beta=0, alpha=0),
        lambda m: m.addr(T(m, 3, 4, dt=B), T(m, 3, dt=B), m.zeros(4, dtype=m.bool), beta=5),
        lambda m: m.addmm(T(m, 2, 4), T(m, 2, 3), T(m, 3, 4), beta=m.tensor(2.0)),
        lambda m: m.addmm(T(m, 2, 4), T(m, 2, 3), T(m, 3, 4), beta=1 + 0j, alpha=True),
        lambda m: m.addmm(T(m, 2, 4), T(m, 2, 0), T(m, 0, 4)),
        lambda m: m.addmm(T(m, 2, 4) * math.nan, T(m, 2, 0), T(m, 0, 4), beta=0),
        lambda m: m.addbmm(T(m, 2, 4), T(m, 0, 2, 3), T(m, 0, 3, 4), beta=0.5),
        lambda m: m.addbmm(T(m, 2, 4, dt=L), T(m, 0, 2, 3), T(m, 0, 3, 4)),
        lambda m: m.baddbmm(T(m, 0, 2, 4), T(m, 0, 2, 3), T(m, 0, 3, 4)),
        lambda m: m.addmv(T(m), T(m, 2, 3), T(m, 3)),
        lambda m: T(m, 3, 4, dt=H).addr_(T(m, 3), T(m, 4)),
        lambda m: T(m, 2, 4).addbmm_(T(m, 5, 2, 3), T(m, 5, 3, 4), beta=0),
    ],
)
def test_edge_values_as_torch(torch, call):
    got, want = outcome(lambda: call(cr)), outcome(lambda: call(torch))
    assert got[0] == want[0] == "ok", (got, want)
    _same(got[1], want[1])


def test_the_family_on_cuda_gives_the_cpus_values_and_gradients(monkeypatch):
    """Through the backend seam: real CuPy where there is a GPU, else the stand-in that
    refuses NumPy's functions (tests/_fakecupy.py); beta=0's zero term too."""
    import _fakecupy

    from chainrule import backend

    real = backend.cupy_or_none()
    if real is None or getattr(real, "FAKE", False):
        _fakecupy.install(monkeypatch, n_devices=1)
    for name, (shapes, out, _) in FAMILY.items():
        arrays = [rng.standard_normal(s) for s in [out(2, 3, 4, 2), *shapes(2, 3, 4, 2)]]
        results = []
        for dev in ("cpu", "cuda"):
            ts = [cr.tensor(a, device=dev, requires_grad=True) for a in arrays]
            r = getattr(cr, name)(*ts, beta=0, alpha=2) + getattr(cr, name)(*ts, beta=0.5)
            r.sum().backward()
            results.append([r] + [t.grad for t in ts])
        for g, want in zip(results[1], results[0], strict=True):
            assert g.device == cr.device("cuda", 0)
            np.testing.assert_allclose(g.cpu().detach().numpy(), want.detach().numpy(), rtol=1e-12)
