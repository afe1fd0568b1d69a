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


def test_max_pool_windows_are_a_node():
    x = sym.var("x", (1, 1, 4, 4), cr.float64)
    y, idx = F.max_pool2d(x, 2, return_indices=True)
    assert "max_pool2d_indices(x" in str(y)
    v = np.arange(16.0)[::-1].reshape(1, 1, 4, 4).copy()
    ye, ie = F.max_pool2d(cr.from_numpy(v), 2, return_indices=True)
    assert y.eval(x=v).tolist() == ye.tolist()
    assert idx.eval(x=v).tolist() == ie.tolist()
