"""Explicit graphs of class-index targets: cross_entropy and nll_loss with targets known at
bind time (reductions, class weights, ignore_index, label smoothing, 1-d to 5-d inputs),
one_hot with num_classes. The targets' range is checked when the graph is evaluated (a
node that passes them through); values, gradients (sym.grad), tangents (sym.jvp) and the
generated function equal eager chainrule's, and chainrule.compile traces a classifier's
training step without falling back. Functions whose result's shape depends on the values
refuse symbolic values with a clear error."""

from __future__ import annotations

import copy
import itertools
import warnings

import numpy as np
import pytest

import chainrule as cr
import chainrule.nn.functional as F
from chainrule import nn, sym
from chainrule.ops.symbolic import DataDependentShape

RNG = np.random.default_rng(7)

# input shape, target shape (classes on dim 1; dim 0 for one sample)
SHAPES = {
    1: ((5,), ()),
    2: ((4, 5), (4,)),
    3: ((3, 5, 2), (3, 2)),
    4: ((2, 5, 2, 3), (2, 2, 3)),
    5: ((2, 5, 1, 2, 2), (2, 1, 2, 2)),
}


def _targets(tshape, ignored):
    t = RNG.integers(0, 5, tshape)
    ii = -100
    if ignored == "some":
        ii = 7
        t.reshape(-1)[0] = ii
    elif ignored == "all":
        ii = 3
        t[...] = ii
    return t, ii


def _loss(kind, reduction, ii, smoothing):
    def f(x, t, w):
        if kind == "cross_entropy":
            return F.cross_entropy(
                x, t, weight=w, ignore_index=ii, reduction=reduction, label_smoothing=smoothing
            )
        logp = F.log_softmax(x, 1 if x.ndim > 1 else 0)
        return F.nll_loss(logp, t, weight=w, ignore_index=ii, reduction=reduction)

    return f


def _np(t):
    return t.detach().numpy()


CASES = [
    (kind, nd, reduction, weight, ignored, smoothing)
    for kind, nd, reduction, weight, ignored, smoothing in itertools.product(
        ["cross_entropy", "nll_loss"],
        [1, 2, 4],
        ["none", "sum", "mean"],
        [None, "const", "var"],
        ["none", "some", "all"],
        [0.0, 0.2],
    )
    if not (kind == "nll_loss" and smoothing)
] + [
    ("cross_entropy", nd, reduction, "const", "some", 0.1)
    for nd in (3, 5)
    for reduction in ("none", "mean")
]


@pytest.mark.parametrize("kind, nd, reduction, weight, ignored, smoothing", CASES)
def test_class_target_losses_equal_eager(kind, nd, reduction, weight, ignored, smoothing):
    xs, ts = SHAPES[nd]
    xv = RNG.standard_normal(xs)
    tv, ii = _targets(ts, ignored)
    wv = RNG.random(5) + 0.5
    f = _loss(kind, reduction, ii, smoothing)
    x = sym.var("x", xs, cr.float64)
    t = sym.var("t", ts, cr.int64)
    w = sym.var("w", (5,), cr.float64)
    wt = {None: None, "const": cr.from_numpy(wv), "var": w}[weight]
    out = f(x, t, wt)
    xe = cr.from_numpy(xv.copy()).requires_grad_()
    we = None if weight is None else cr.from_numpy(wv)
    want = f(xe, cr.from_numpy(tv), we)
    env = {x: xv, t: tv, w: wv} if weight == "var" else {x: xv, t: tv}
    got = out.eval(env)
    assert got.dtype == want.dtype
    np.testing.assert_allclose(_np(got), _np(want), rtol=1e-12, atol=1e-15)
    # reverse mode: the gradient graph along a cotangent g
    g = sym.var("g", tuple(want.shape), cr.float64)
    gv = RNG.standard_normal(tuple(want.shape))
    (gx,) = sym.grad(out, [x], grad_outputs=g)
    (ge,) = cr.autograd.grad(want, xe, cr.from_numpy(gv))
    np.testing.assert_allclose(_np(gx.eval({**env, g: gv})), _np(ge), rtol=1e-12, atol=1e-15)
    # forward mode: the tangent graph
    tx = sym.var("tx", xs, cr.float64)
    txv = np.cos(np.arange(xv.size, dtype=np.float64)).reshape(xs)
    tan = sym.jvp(out, {x: tx})
    fad = cr.autograd.forward_ad
    with fad.dual_level():
        d = fad.make_dual(cr.from_numpy(xv.copy()), cr.from_numpy(txv))
        want_t = fad.unpack_dual(f(d, cr.from_numpy(tv), we)).tangent
    got_t = tan.eval({**env, tx: txv})
    np.testing.assert_allclose(_np(got_t), _np(want_t), rtol=1e-12, atol=1e-15)
    # the generated function
    ins = [x, t, *([w] if weight == "var" else []), g]
    vals = [xv, tv, *([wv] if weight == "var" else []), gv]
    fn = sym.function(ins, [out, gx])
    fn(*vals)
    lo = fn(*vals)
    np.testing.assert_allclose(_np(lo[0]), _np(want), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(_np(lo[1]), _np(ge), rtol=1e-12, atol=1e-15)


def test_targets_are_checked_when_the_graph_is_evaluated():
    x = sym.var("x", (3, 4), cr.float64)
    t = sym.var("t", (3,), cr.int64)
    loss = F.cross_entropy(x, t, ignore_index=9)
    assert "class_targets(t, n_classes=4, ignore_index=9)" in str(loss)
    xv = np.zeros((3, 4))
    assert loss.eval(x=xv, t=[0, 9, 3]).item() == pytest.approx(np.log(4))
    with pytest.raises(IndexError, match="Target 4 is out of bounds"):
        F.cross_entropy(cr.from_numpy(xv), cr.tensor([0, 4, 1]))  # eager's error
    for bad, v in (([0, 4, 1], 4), ([-1, 0, 0], -1)):
        with pytest.raises(RuntimeError, match=f"Target {v} is out of bounds"):
            loss.eval(x=xv, t=bad)
    one = F.nll_loss(sym.var("y", (2, 1), cr.float64), sym.var("u", (2,), cr.int64))
    assert one.eval(y=[[-1.0], [-2.0]], u=[0, 0]).item() == 1.5  # (a 1-class input)


def test_one_hot_with_num_classes_is_a_graph():
    t = sym.var("t", (2, 3), cr.int64)
    y = F.one_hot(t, 4)
    assert y.shape == (2, 3, 4) and y.dtype == cr.int64
    tv = np.array([[0, 3, 1], [2, 2, 0]])
    assert cr.equal(y.eval(t=tv), F.one_hot(cr.from_numpy(tv), 4))
    assert cr.equal(F.one_hot(t, 1 + 3).eval(t=tv), y.eval(t=tv))
    for bad, msg in (([[0, 4, 1], [0, 0, 0]], "smaller than"), ([[-1] * 3] * 2, "non-negative")):
        with pytest.raises(RuntimeError, match=msg):
            F.one_hot(cr.tensor(bad), 4)  # eager
        with pytest.raises(RuntimeError, match=msg):
            y.eval(t=bad)
    u = sym.var("u", (3,), cr.int64)
    assert F.one_hot(u, 1).eval(u=[0, 0, 0]).tolist() == [[1], [1], [1]]  # (1 class)
    with pytest.raises(RuntimeError, match="smaller than num_classes"):
        F.one_hot(u, -3)
    assert F.one_hot(sym.var("e", (0,), cr.int64), 4).eval(e=np.zeros(0, np.int64)).shape == (0, 4)


def test_a_real_tensor_indexed_by_a_symbolic_index_is_a_graph():
    w = cr.tensor([0.5, 2.0, 3.0])
    i = sym.var("i", (4,), cr.int64)
    y = w[i] * 2
    assert y.eval(i=[2, 0, 0, 1]).tolist() == [6.0, 1.0, 1.0, 4.0]


@pytest.mark.parametrize(
    "fn, what",
    [
        (lambda x: cr.nonzero(x > 0), "nonzero()"),
        (lambda x: (x > 0).nonzero(), "nonzero()"),
        (lambda x: cr.where(x > 0), "nonzero()"),
        (lambda x: cr.unique(x), "unique()"),
        (lambda x: F.one_hot(x.long()), "one_hot() without num_classes"),
        (lambda x: cr.repeat_interleave(x.long()), "repeat_interleave() with a tensor of counts"),
        (lambda x: x.repeat_interleave(x.long()), "repeat_interleave() with a tensor of counts"),
    ],
)
def test_shapes_that_depend_on_values_are_refused_clearly(fn, what):
    x = sym.var("x", (3,), cr.float64)
    with pytest.raises(DataDependentShape, match=r"shape of its result depends on the values"):
        fn(x)
    try:
        fn(x)
    except DataDependentShape as e:
        assert e.what == what and isinstance(e, TypeError)
    assert x.repeat_interleave(2).eval(x=[1.0, 2.0, 3.0]).tolist() == [1, 1, 2, 2, 3, 3]


def test_compiled_classifier_step_with_cross_entropy_does_not_fall_back():
    cr.manual_seed(3)
    net = nn.Sequential(nn.Linear(6, 16), nn.ReLU(), nn.Linear(16, 4))
    ref = copy.deepcopy(net)

    def make(m):
        opt = cr.optim.SGD(m.parameters(), lr=0.1)

        def step(x, y):
            opt.zero_grad()
            out = m(x)
            loss = F.cross_entropy(out, y, label_smoothing=0.1, ignore_index=3)
            loss.backward()
            opt.step()
            return loss, (out.argmax(1) == y).float().mean()

        return step

    fast, slow = cr.compile(make(net)), make(ref)
    for _ in range(4):
        x, y = cr.randn(8, 6), cr.randint(0, 4, (8,))
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # no fallback
            got = fast(x, y)
        want = slow(x, y)
        for a, b in zip(got, want, strict=True):
            assert float(a) == pytest.approx(float(b), rel=1e-6, abs=1e-7)
    assert fast.fallbacks == 0
    for p, q in zip(net.parameters(), ref.parameters(), strict=True):
        np.testing.assert_allclose(p.detach().numpy(), q.detach().numpy(), rtol=1e-5, atol=1e-6)
    # a compiled call whose targets are out of range raises (the graph's check)
    with pytest.raises(RuntimeError, match="Target 4 is out of bounds"):
        fast(cr.randn(8, 6), cr.tensor([0, 1, 2, 4, 0, 1, 2, 3]))


@pytest.mark.parametrize("num_classes", [5])
def test_compiled_one_hot_and_nll_do_not_fall_back(num_classes):
    def f(x, y):
        target = F.one_hot(y, num_classes).to(x.dtype)
        return F.nll_loss(F.log_softmax(x, 1), y, reduction="sum"), (x * target).sum(1)

    c = cr.compile(f)
    for _ in range(2):
        x, y = cr.randn(6, num_classes), cr.randint(0, num_classes, (6,))
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            got = c(x, y)
        for a, b in zip(got, f(x, y), strict=True):
            assert a.dtype == b.dtype and cr.allclose(a, b, rtol=1e-6, atol=1e-6)
    assert c.traces == 1 and c.fallbacks == 0
