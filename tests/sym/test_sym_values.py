"""Explicit graphs of functions that look at values before their primitive: what they find
(sort's order, max's index, a window's maximum) is a node of the graph; what they check
(binary_cross_entropy's range) is checked when the graph is evaluated."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
import chainrule.nn.functional as F
from chainrule import sym

X = np.array([[0.5, -1.0, 3.0, 2.0], [4.0, 0.0, -2.0, 1.0], [1.0, 1.5, 0.25, -3.0]])


def test_indices_are_nodes():
    x = sym.var("x", (3, 4), cr.float64)
    r = x.max(1)
    assert str(r.values) == "max_dim(x, idx=argmax(x, dim=1, keepdim=True), dim=1, keepdim=False)"
    assert str(r.indices) == "squeeze_dim(argmax(x, dim=1, keepdim=True), dim=(1,))"
    e = cr.from_numpy(X).max(1)
    assert r.indices.eval(x=X).tolist() == e.indices.tolist()
    assert r.values.eval(x=X).tolist() == e.values.tolist()
    s = x.sort(0, descending=True)
    assert "argsort(x, dim=0, descending=True" in str(s.values)
    assert s.indices.eval(x=X).tolist() == cr.from_numpy(X).sort(0, descending=True)[1].tolist()
    k = x.topk(2, 1)
    assert k.indices.eval(x=X).tolist() == cr.from_numpy(X).topk(2, 1).indices.tolist()
    assert x.argmin().eval(x=X).item() == 11


def test_an_index_found_from_values_is_differentiated_through():
    x = sym.var("x", (3, 4), cr.float64)
    y = (x.reshape(-1)[x.argmax()] * x.sum()).exp()  # the largest element's index: a node
    (g,) = sym.grad(y, [x])
    xe = cr.from_numpy(X.copy()).requires_grad_()
    ye = (xe.reshape(-1)[xe.argmax()] * xe.sum()).exp()
    ye.backward()
    np.testing.assert_allclose(g.eval(x=X).numpy(), xe.grad.numpy(), rtol=1e-12)
    # eager's x[i] is a view, the graph's a copy: writes to either are refused
    v = x.reshape(-1)[x.argmax()]
    with pytest.raises(RuntimeError, match="index known at bind time"):
        v.add_(1.0)


def test_a_mask_known_at_bind_time_leaves_its_size_open():
    x = sym.var("x", (3, 4), cr.float64)
    assert x[x > 0].shape == (None,)
    assert x[:, x[0] > 0].shape == (3, None)
    assert x[x > 0].sum().eval(x=X).item() == X[X > 0].sum()


def test_binary_cross_entropy_checks_its_range_at_evaluation():
    p = sym.var("p", (3,), cr.float64)
    t = sym.var("t", (3,), cr.float64)
    loss = F.binary_cross_entropy(p, t)
    assert "probabilities(p)" in str(loss)
    want = F.binary_cross_entropy(
        cr.tensor([0.2, 0.5, 0.9]).double(), cr.tensor([0.0, 1.0, 1.0]).double()
    )
    assert loss.eval(p=[0.2, 0.5, 0.9], t=[0.0, 1.0, 1.0]).item() == pytest.approx(want.item())
    with pytest.raises(RuntimeError, match="all elements of input should be between 0 and 1"):
        loss.eval(p=[0.2, 1.5, 0.9], t=[0.0, 1.0, 1.0])
    (gp,) = sym.grad(loss, [p])  # the check passes the gradient through
    pe = cr.tensor([0.2, 0.5, 0.9], dtype=cr.float64, requires_grad=True)
    F.binary_cross_entropy(pe, cr.tensor([0.0, 1.0, 1.0]).double()).backward()
    np.testing.assert_allclose(
        gp.eval(p=[0.2, 0.5, 0.9], t=[0.0, 1.0, 1.0]).numpy(), pe.grad.numpy()
    )


@pytest.mark.parametrize("values", [[2.0, 3.0, 4.0], [2.0, 0.0, 4.0], [0.0, 3.0, 0.0]])
def test_prod_and_cumprod_gradients_with_and_without_zeros(values):
    x = sym.var("x", (3,), cr.float64)
    for f in (lambda t: t.prod(), lambda t: t.cumprod(0).sum()):
        (g,) = sym.grad(f(x), [x])
        xe = cr.tensor(values, dtype=cr.float64, requires_grad=True)
        f(xe).backward()
        np.testing.assert_allclose(g.eval(x=values).numpy(), xe.grad.numpy(), rtol=1e-12)


CUMPROD_X = [
    [[2.0, 3.0, -4.0, 0.5], [1.5, -0.5, 2.0, 3.0]],  # no zero
    [[2.0, 0.0, 4.0, 0.5], [1.5, -0.5, 2.0, 0.0]],  # one zero per row
    [[0.0, 3.0, 0.0, 0.5], [0.0, 0.0, 2.0, -1.0]],  # two
    [[0.0, 0.0, 0.0, 0.0], [1.0, 2.0, 0.0, 3.0]],
]
INF = float("inf")
CUMPROD_W = [  # the incoming gradient (a weight of each cumprod output)
    [[0.5, -1.0, 2.0, 1.5], [1.0, 1.0, -3.0, 0.25]],
    [[0.5, -1.0, 2.0, INF], [1.0, -INF, -3.0, 0.25]],  # infinite, past the zeros
    [[INF, -INF, 2.0, 1.0], [1.0, 1.0, -3.0, INF]],
    [[0.5, float("nan"), 2.0, 1.0], [1.0, 1.0, 1.0, 1.0]],
]


@pytest.mark.parametrize("dim", [0, 1, -1])
@pytest.mark.parametrize("w", CUMPROD_W)
@pytest.mark.parametrize("values", CUMPROD_X)
def test_cumprod_gradient_in_a_graph_is_eagers(values, w, dim):
    # a graph cannot look for zeros before it picks the rule; its gradient must still be
    # eager's first-order one, also where an infinite (or NaN) incoming gradient meets a
    # zero (eager leaves out the terms a zero makes 0; the exact products would give NaN)
    wt = cr.tensor(w, dtype=cr.float64)
    x = sym.var("x", (2, 4), cr.float64)
    (g,) = sym.grad((x.cumprod(dim) * wt).sum(), [x])
    xe = cr.tensor(values, dtype=cr.float64, requires_grad=True)
    with np.errstate(all="ignore"):
        (xe.cumprod(dim) * wt).sum().backward()
        got = g.eval(x=values).numpy()
    np.testing.assert_allclose(got, xe.grad.numpy(), rtol=1e-12, atol=1e-12)  # nan == nan


def test_cumprod_gradient_in_a_graph_remainder_at_zero():
    # the fuzzer's program: d/dy remainder(x, y) is -inf at y = 0 (compiled.py's KNOWN)
    def f(v):
        return cr.remainder(cr.full((1, 3), 0.5, dtype=cr.float64), cr.cumprod(v, dim=1))

    x = sym.var("x", (1, 3), cr.float64)
    (g,) = sym.grad(f(x).sum(), [x])
    xe = cr.zeros(1, 3, dtype=cr.float64, requires_grad=True)
    f(xe).sum().backward()
    assert xe.grad.tolist() == [[-INF, 0.0, 0.0]]
    assert g.eval(x=np.zeros((1, 3))).tolist() == [[-INF, 0.0, 0.0]]


@pytest.mark.parametrize("values", CUMPROD_X)
def test_cumprod_graph_gradient_differentiates_again(values):
    # the second derivative of the graph's gradient at zeros: eager's create_graph (the
    # exact rule, as PyTorch) and central differences of the gradient graph (a polynomial)
    rng = np.random.default_rng(1)
    wt = cr.tensor(rng.standard_normal((2, 4)))
    v = rng.standard_normal((2, 4))
    x = sym.var("x", (2, 4), cr.float64)
    (g,) = sym.grad((x.cumprod(1) * wt).sum(), [x])
    (hv,) = sym.grad((g * cr.tensor(v)).sum(), [x])
    got = hv.eval(x=values).numpy()
    xe = cr.tensor(values, dtype=cr.float64, requires_grad=True)
    (ge,) = cr.autograd.grad((xe.cumprod(1) * wt).sum(), [xe], create_graph=True)
    (he,) = cr.autograd.grad((ge * cr.tensor(v)).sum(), [xe])
    np.testing.assert_allclose(got, he.numpy(), rtol=1e-12, atol=1e-12)
    eps = 1e-6
    a = np.asarray(values)
    fd = (g.eval(x=a + eps * v).numpy() - g.eval(x=a - eps * v).numpy()) / (2 * eps)
    np.testing.assert_allclose(got, fd, rtol=1e-6, atol=1e-6)  # H is symmetric: H v


def test_max_pool_windows_are_a_node():
    x = sym.var("x", (1, 1, 4, 4), cr.float64)
    y, idx = F.max_pool2d(x, 2, return_indices=True)
    assert "max_pool2d_indices(x" in str(y)
    v = np.arange(16.0)[::-1].reshape(1, 1, 4, 4).copy()
    ye, ie = F.max_pool2d(cr.from_numpy(v), 2, return_indices=True)
    assert y.eval(x=v).tolist() == ye.tolist()
    assert idx.eval(x=v).tolist() == ie.tolist()


POW_FORMS = {
    "number ** s": lambda s, t: 3.0**s + t,
    "s ** number": lambda s, t: s**0.3 - t,
    "s ** t": lambda s, t: s.abs() ** t,
    "pow(s, 2.5)": lambda s, t: cr.pow(s.abs(), 2.5) * t,
}


@pytest.mark.parametrize("dtype", [cr.float32, cr.float64])
@pytest.mark.parametrize("form", list(POW_FORMS))
def test_pow_of_0d_results_bitwise_eagers(form, dtype):
    # an op on 0-d data gives NumPy's scalar; NumPy's scalar ** rounds otherwise than its
    # ufunc on a 0-d array (which eager's data becomes once a view of it is taken): pow's
    # value must not depend on which it is, in eager, in a graph and in its lowering
    f = POW_FORMS[form]
    rng = np.random.default_rng(3)
    w = cr.tensor([[-1.0], [2.0]], dtype=dtype)
    x = sym.var("x", (2, 1), dtype)
    y = sym.var("y", (), dtype)
    graph = f((x * w).sum().detach(), y * 1.0)
    lowered = sym.function([x, y], graph)
    interpreted = sym.function([x, y], graph, lower=False)
    for _ in range(40):
        xv = rng.uniform(0.1, 2.0, (2, 1)).astype(np.dtype(dtype.name))
        yv = np.asarray(rng.uniform(-2.0, 2.0), np.dtype(dtype.name))
        s, t = (cr.from_numpy(xv) * w).sum(), cr.from_numpy(yv) * 1.0
        assert type(s._data) is not np.ndarray  # NumPy's scalar (the case at stake)
        plain = f(s, t).numpy()
        s[...], t[...]  # views: the data become 0-d arrays (tensor_base.own)
        assert type(s._data) is np.ndarray and type(t._data) is np.ndarray
        viewed = f(s, t).numpy()
        want = plain.tobytes()
        assert viewed.tobytes() == want
        assert graph.eval(x=xv, y=yv).numpy().tobytes() == want
        assert interpreted(xv, yv).numpy().tobytes() == want
        assert lowered(xv, yv).numpy().tobytes() == want
        lowered(xv, yv)  # (the lowered function's second call: the generated code)
        assert lowered(xv, yv).numpy().tobytes() == want


@pytest.mark.parametrize("op", ["eq", "ne"])
def test_comparing_an_array_with_a_symbolic_value_is_a_node(op):
    # ndarray == SymArray: both decline and Python compares identities (False): the
    # comparison must be a node of the graph, not a constant bool (the compiled fuzzer)
    x = sym.var("x", (4, 2), cr.float64)
    c = cr.tensor([1.0, 2.0, 0.5, 3.0], dtype=cr.float64)
    for r in (getattr(cr, op)(c, x.mean()), getattr(cr, op)(x.mean(), c)):
        assert r.shape == (4,)
        xv = np.full((4, 2), 2.0)
        want = getattr(cr, op)(c, cr.from_numpy(xv).mean())
        assert r.eval(x=xv).tolist() == want.tolist()


EIG_LOSSES = {
    "eigvals.real": lambda a: cr.linalg.eigvals(a).real,
    "eigvals.abs": lambda a: cr.linalg.eigvals(a).abs(),
    "eig()[0] times its conjugate": lambda a: (
        (cr.linalg.eig(a)[0] * cr.linalg.eig(a)[0].conj()).real
    ),
    "|eigenvectors|": lambda a: cr.linalg.eig(a).eigenvectors.abs(),
}


@pytest.mark.parametrize("name", list(EIG_LOSSES))
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_eig_graphs_with_complex_values_equal_eager(name, seed):
    f = EIG_LOSSES[name]
    rng = np.random.default_rng(seed)
    a = rng.standard_normal((2, 3, 3))  # real matrices: complex pairs of eigenvalues
    a[1] = [[0.0, -2.0, 0.0], [1.0, 0.5, 0.0], [0.0, 0.0, 3.0]]
    x = sym.var("x", a.shape, cr.float64)
    g = sym.var("g", a.shape[:-1] + ((3,) if name == "|eigenvectors|" else ()), cr.float64)
    t = sym.var("t", a.shape, cr.float64)
    out = f(x)
    (gx,) = sym.grad(out, [x], grad_outputs=g)
    (hx,) = sym.grad((gx * t).sum(), [x])  # second order
    tan = sym.jvp(out, {x: t})
    xe = cr.from_numpy(a.copy()).requires_grad_()
    want = f(xe)
    gv = rng.standard_normal(tuple(want.shape))
    tv = np.cos(np.arange(a.size, dtype=np.float64)).reshape(a.shape)
    (ge,) = cr.autograd.grad(want, xe, cr.from_numpy(gv), create_graph=True)
    (he,) = cr.autograd.grad((ge * cr.from_numpy(tv)).sum(), xe)
    fad = cr.autograd.forward_ad
    with fad.dual_level():
        te = fad.unpack_dual(f(fad.make_dual(cr.from_numpy(a.copy()), cr.from_numpy(tv)))).tangent
    fn = sym.function([x, g, t], [out, gx, hx, tan])
    fn(a, gv, tv)
    for got in (fn(a, gv, tv), [o.eval({x: a, g: gv, t: tv}) for o in (out, gx, hx, tan)]):
        for v, w in zip(got, (want, ge, he, te), strict=True):
            assert v.dtype == w.dtype
            np.testing.assert_allclose(v.numpy(), w.detach().numpy(), rtol=1e-9, atol=1e-10)


def test_an_eig_loss_that_depends_on_the_phases_is_refused_when_evaluated():
    x = sym.var("x", (3, 3), cr.float64)
    (g,) = sym.grad(cr.linalg.eig(x).eigenvectors.real.sum(), [x])
    assert "eig_phase_checked(" in str(g)
    a = np.array([[0.0, -2.0, 0.0], [1.0, 0.5, 0.0], [0.0, 0.0, 3.0]])  # a complex pair
    with pytest.raises(RuntimeError, match="specified up to multiplication by e"):
        cr.linalg.eig(cr.from_numpy(a).requires_grad_()).eigenvectors.real.sum().backward()
    with pytest.raises(RuntimeError, match="specified up to multiplication by e"):
        g.eval(x=a)


def test_compiled_eig_losses_do_not_fall_back():
    import warnings

    def f(a):
        return cr.linalg.eigvals(a).abs().sum() + cr.linalg.eig(a).eigenvectors.abs().sum()

    c = cr.compile(f)
    for seed in range(3):
        a = cr.from_numpy(np.random.default_rng(seed).standard_normal((3, 3))).requires_grad_()
        b = a.detach().clone().requires_grad_()
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            got = c(a)
            got.backward()
        want = f(b)
        want.backward()
        np.testing.assert_allclose(got.item(), want.item(), rtol=1e-12)
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-9, atol=1e-12)
    assert c.traces == 1 and c.fallbacks == 0
