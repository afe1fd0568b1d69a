"""Explicit graphs of the functions that answer questions about values: any, all,
count_nonzero, isclose, where with numbers. Each is a node of the table (no derivative,
as in PyTorch), so ``chainrule.sym`` graphs and ``chainrule.compile`` hold them; their
values and dtypes are eager chainrule's, and eager's are PyTorch's."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import chainrule as cr
from chainrule import sym

try:
    import torch
except ImportError:  # pragma: no cover - PyTorch is an optional oracle
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="PyTorch is the oracle")

RNG = np.random.default_rng(13)
X = RNG.standard_normal((3, 4))
X[1] = 0.0  # a row without a true element
X[2, 1] = 0.0

DTYPES = {
    "float64": cr.float64,
    "float32": cr.float32,
    "int64": cr.int64,
    "uint8": cr.uint8,
    "bool": cr.bool,
    "complex128": cr.complex128,
}


def _data(name: str) -> np.ndarray:
    if name == "bool":
        return X > 0
    if name in ("int64", "uint8"):
        return (np.abs(X) * 3).astype(name)
    if name == "complex128":
        return X + 1j * np.where(X > 1, 0.0, X)
    return X.astype(name)


QUERIES = {
    "any": lambda m, t: t.any(),
    "all": lambda m, t: t.all(),
    "any(1)": lambda m, t: t.any(1),
    "all(dim=0, keepdim)": lambda m, t: t.all(dim=0, keepdim=True),
    "torch.any(dim=(0, 1))": lambda m, t: m.any(t, dim=(0, 1)),
    "torch.all(axis=1, keepdims)": lambda m, t: m.all(t, axis=1, keepdims=True),
    "count_nonzero": lambda m, t: t.count_nonzero(),
    "count_nonzero(dim=1)": lambda m, t: t.count_nonzero(dim=1),
    "torch.count_nonzero((0, 1))": lambda m, t: m.count_nonzero(t, (0, 1)),
}


def _eager(fn, name):
    return fn(cr, cr.from_numpy(_data(name).copy()))


@pytest.mark.parametrize("dt", list(DTYPES))
@pytest.mark.parametrize("q", list(QUERIES))
def test_queries_are_nodes_with_eager_values(q, dt):
    fn = QUERIES[q]
    x = sym.var("x", (3, 4), DTYPES[dt])
    out = fn(cr, x)
    assert isinstance(out, sym.Symbol)
    want = _eager(fn, dt)
    assert out.dtype == want.dtype and tuple(out.shape) == tuple(want.shape)
    got = out.eval(x=_data(dt))
    assert got.dtype == want.dtype and got.tolist() == want.tolist()
    f = sym.function([x], out)  # the generated function too
    f(_data(dt))
    assert f(_data(dt)).tolist() == want.tolist()


@needs_torch
@pytest.mark.parametrize("dt", list(DTYPES))
@pytest.mark.parametrize("q", list(QUERIES))
def test_eager_queries_are_pytorchs(q, dt):
    fn = QUERIES[q]
    want = fn(torch, torch.from_numpy(_data(dt).copy()))
    got = _eager(fn, dt)
    assert str(got.dtype) == str(want.dtype) and got.tolist() == want.tolist()


def test_query_nodes_print_and_count():
    x = sym.var("x", (3, 4), cr.float64)
    y = (x > 0).any(1)
    assert str(y) == "any(gt(x, 0), dim=(1,), keepdim=False)"
    assert sym.node_count(y) == 3  # x, gt, any
    assert str(cr.count_nonzero(x)) == "count_nonzero(x, dim=None)"
    assert sym.node_count(cr.isclose(x, 2 * x)) == 3  # x, mul (2 is a number), isclose


def test_a_graph_with_queries_is_differentiated_as_eager():
    def f(t):
        return (t * (t > 0).all(1, keepdim=True)).sum() + cr.where((t > 0).any(), t, 0.0).sum() * (
            cr.count_nonzero(t, 1).sum()
        )

    x = sym.var("x", (3, 4), cr.float64)
    (g,) = sym.grad(f(x), [x])
    for v in (X, np.abs(X) + 1, -np.abs(X)):
        xe = cr.from_numpy(v.copy()).requires_grad_()
        f(xe).backward()
        np.testing.assert_array_equal(g.eval(x=v).numpy(), xe.grad.numpy())
    t = sym.var("t", (3, 4), cr.float64)
    tan = sym.jvp(f(x), {x: t})
    with cr.autograd.forward_ad.dual_level():
        d = cr.autograd.forward_ad.make_dual(cr.from_numpy(X.copy()), cr.from_numpy(np.cos(X)))
        want = cr.autograd.forward_ad.unpack_dual(f(d)).tangent
    np.testing.assert_allclose(tan.eval(x=X, t=np.cos(X)).numpy(), want.numpy(), rtol=1e-12)


@pytest.mark.parametrize("equal_nan", [False, True])
def test_isclose_is_a_node(equal_nan):
    a = sym.var("a", (4,), cr.float64)
    b = sym.var("b", (4,), cr.float64)
    av = np.array([1.0, 2.0, np.nan, 1e-9])
    bv = np.array([1.0 + 1e-7, 2.1, np.nan, 0.0])
    for out, args in (
        (cr.isclose(a, b, rtol=1e-5, atol=1e-8, equal_nan=equal_nan), (av, bv)),
        (cr.isclose(a, cr.from_numpy(bv), equal_nan=equal_nan), (av, None)),
        (cr.isclose(cr.from_numpy(av), b, equal_nan=equal_nan), (None, bv)),
    ):
        want = cr.isclose(cr.from_numpy(av), cr.from_numpy(bv), equal_nan=equal_nan)
        env = {k: v for k, v in zip((a, b), args, strict=True) if v is not None}
        got = out.eval(env)
        assert got.dtype == cr.bool and got.tolist() == want.tolist()
    if torch is not None:
        t = torch.isclose(torch.from_numpy(av), torch.from_numpy(bv), equal_nan=equal_nan)
        assert t.tolist() == want.tolist()


def test_isclose_of_0d_tensors_holds_an_array():
    r = cr.isclose(cr.tensor(1.0), cr.tensor(1.0))
    assert type(r._data) is np.ndarray and r.item() is True


def test_python_bools_of_symbolic_values_are_refused():
    x = sym.var("x", (3,), cr.float64)
    for f in (lambda: cr.allclose(x, x), lambda: cr.equal(x, x + 1)):
        with pytest.raises(TypeError, match="no truth value"):
            f()
    assert cr.equal(x, sym.var("y", (4,), cr.float64)) is False  # shapes differ: known


def test_where_with_two_numbers_is_a_node():
    x = sym.var("x", (3, 4), cr.float64)
    for a, b in ((1.0, 0.0), (1, 0), (True, 2.5)):
        out = cr.where(x > 0, a, b)
        want = cr.where(cr.from_numpy(X) > 0, a, b)
        got = out.eval(x=X)
        assert got.dtype == want.dtype and got.tolist() == want.tolist()
        if torch is not None:
            assert str(torch.where(torch.from_numpy(X) > 0, a, b).dtype) == str(want.dtype)
    assert str(cr.where(x > 0, 1.0, 0.0)) == "where(1, 0, cond=gt(x, 0))"


COMPILED = {
    "any": lambda x: (x > 0).any(),
    "all(dim)": lambda x: x.all(1),
    "count_nonzero": lambda x: (cr.count_nonzero(x), cr.count_nonzero(x, dim=0)),
    "isfinite().all()": lambda x: cr.isfinite(x).all(),
    "isclose": lambda x: cr.isclose(x, x.round(decimals=1), atol=0.06),
    "where(numbers)": lambda x: cr.where(x > 0, 1.0, -1.0),
    "loss gated by any": lambda x: (x * x).sum() * (x > 0).any(),
}


@pytest.mark.parametrize("name", list(COMPILED))
def test_compile_no_longer_falls_back(name):
    fn = COMPILED[name]
    c = cr.compile(fn)
    for v in (X, -np.abs(X), np.zeros((3, 4))):
        x = cr.from_numpy(v.astype(np.float32))
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # no fallback warning
            got = c(x)
        want = fn(x)
        got, want = (got, want) if isinstance(want, tuple) else ((got,), (want,))
        for g, w in zip(got, want, strict=True):
            assert g.dtype == w.dtype and cr.equal(g, w)
    assert c.traces == 1 and c.fallbacks == 0


def test_compiled_gradient_through_a_query_is_eagers():
    def f(x):
        return (x * x).sum() * (x > 0).any() + x.abs().sum() * cr.count_nonzero(x)

    c = cr.compile(f)
    for v in (X, -np.abs(X)):
        a = cr.from_numpy(v.copy()).requires_grad_()
        b = cr.from_numpy(v.copy()).requires_grad_()
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            c(a).backward()
        f(b).backward()
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-12)
    assert c.fallbacks == 0


def test_masked_fill_with_a_0d_tensor_value_is_a_graph_and_passes_its_gradient():
    x = sym.var("x", (3, 4), cr.float64)
    v = sym.var("v", (), cr.float64)
    out = x.masked_fill(x > 0, v * 2)
    (gx, gv) = sym.grad(out.sum(), [x, v])
    xe = cr.from_numpy(X.copy()).requires_grad_()
    ve = cr.tensor(1.5, dtype=cr.float64, requires_grad=True)
    want = xe.masked_fill(xe > 0, ve * 2)
    want.sum().backward()
    assert out.eval(x=X, v=1.5).tolist() == want.tolist()
    assert gx.eval(x=X).tolist() == xe.grad.tolist()  # (v does not reach it)
    assert gv.eval(x=X).item() == ve.grad.item() == 2 * (X > 0).sum()
    if torch is not None:  # eager's gradient of the value is PyTorch's (it was None)
        xt = torch.from_numpy(X.copy()).float().requires_grad_()
        vt = torch.tensor(1.5, dtype=torch.float64, requires_grad=True)
        xc = cr.from_numpy(X.copy()).float().requires_grad_()
        vc = cr.tensor(1.5, dtype=cr.float64, requires_grad=True)
        yt, yc = xt.masked_fill(xt > 0, vt), xc.masked_fill(xc > 0, vc)
        assert str(yt.dtype) == str(yc.dtype) and yt.tolist() == yc.tolist()
        yt.sum().backward()
        yc.sum().backward()
        assert vt.grad.item() == vc.grad.item() and xt.grad.tolist() == xc.grad.tolist()
