"""Forward mode of the reductions against PyTorch's (torch.autograd.forward_ad).

Each case runs the same call in chainrule and in torch on a dual tensor (float64 primal
and tangent) and compares the value and the tangent: dims and keepdim variants, 0-d and
empty inputs where torch allows them, and ties in max/min/amax/amin, where torch's
tangent is the mean of the tied elements' tangents (full reductions and amax/amin) or the
tangent at the returned index (max/min along a dim).
"""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
import chainrule.autograd.forward_ad as cf

torch = pytest.importorskip("torch")
tf = torch.autograd.forward_ad

_rng = np.random.default_rng(0)
X23 = _rng.uniform(-2, 2, (2, 3))
X234 = _rng.uniform(-2, 2, (2, 3, 4))
POS23 = _rng.uniform(0.5, 2, (2, 3))
TIES = np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 0.0]])  # ties at the max and min of rows
ALL_TIED = np.full((2, 2), 1.5)
ZEROS = np.array([[0.0, 2.0, -1.5], [1.0, 0.0, 0.0]])  # prod/cumprod with zeros
SCALAR = np.array(0.7)
EMPTY = np.zeros((0, 3))

CASES = [
    # (label, input, f(module, x))
    ("sum()", X23, lambda m, x: x.sum()),
    ("sum(dim=1)", X234, lambda m, x: m.sum(x, dim=1)),
    ("sum(dim=(0,2), keepdim)", X234, lambda m, x: m.sum(x, dim=(0, 2), keepdim=True)),
    ("sum(dim=-1) 0-d", SCALAR, lambda m, x: m.sum(x, dim=-1)),
    ("sum() empty", EMPTY, lambda m, x: x.sum()),
    ("sum(dim=0) empty", EMPTY, lambda m, x: x.sum(dim=0)),
    ("mean()", X23, lambda m, x: x.mean()),
    ("mean(dim=(1,2))", X234, lambda m, x: x.mean(dim=(1, 2))),
    ("mean(dim=0, keepdim) 0-d", SCALAR, lambda m, x: x.mean(dim=0, keepdim=True)),
    ("mean() empty", EMPTY, lambda m, x: x.mean()),
    ("var()", X23, lambda m, x: x.var()),
    ("var(dim=1, correction=0)", X234, lambda m, x: x.var(dim=1, correction=0)),
    ("var(dim=(0,2), keepdim)", X234, lambda m, x: x.var(dim=(0, 2), keepdim=True)),
    ("std()", X23, lambda m, x: x.std()),
    ("std(dim=-1, keepdim)", X234, lambda m, x: x.std(dim=-1, keepdim=True)),
    ("std(dim=0, correction=0)", X23, lambda m, x: x.std(dim=0, correction=0)),
    ("prod()", X23, lambda m, x: x.prod()),
    ("prod(dim=1, keepdim)", X234, lambda m, x: x.prod(dim=1, keepdim=True)),
    ("prod() with zeros", ZEROS, lambda m, x: x.prod()),
    ("prod(dim=0) with zeros", ZEROS, lambda m, x: x.prod(dim=0)),
    ("prod(dim=1) with zeros", ZEROS, lambda m, x: x.prod(dim=1)),
    ("prod() 0-d", SCALAR, lambda m, x: x.prod()),
    ("prod() empty", EMPTY, lambda m, x: x.prod()),
    ("logsumexp(dim=1)", X234, lambda m, x: m.logsumexp(x, dim=1)),
    ("logsumexp(dim=(0,2), keepdim)", X234, lambda m, x: m.logsumexp(x, (0, 2), True)),
    ("logsumexp(dim=0) 0-d", SCALAR, lambda m, x: m.logsumexp(x, dim=0)),
    ("amax()", X23, lambda m, x: m.amax(x)),
    ("amax(dim=1)", X234, lambda m, x: m.amax(x, dim=1)),
    ("amin(dim=(0,2), keepdim)", X234, lambda m, x: m.amin(x, dim=(0, 2), keepdim=True)),
    ("amax(dim=1) ties", TIES, lambda m, x: m.amax(x, dim=1)),
    ("amin(dim=1) ties", TIES, lambda m, x: m.amin(x, dim=1)),
    ("amax() all tied", ALL_TIED, lambda m, x: m.amax(x)),
    ("amax(dim=1) empty rows", EMPTY, lambda m, x: m.amax(x, dim=1)),
    ("max() ties", TIES, lambda m, x: x.max()),
    ("min() ties", TIES, lambda m, x: x.min()),
    ("max() all tied", ALL_TIED, lambda m, x: m.max(x)),
    ("max() 0-d", SCALAR, lambda m, x: x.max()),
    ("max(dim=1)", X234, lambda m, x: x.max(dim=1).values),
    ("min(dim=0, keepdim)", X234, lambda m, x: x.min(dim=0, keepdim=True).values),
    ("max(dim=1) ties", TIES, lambda m, x: x.max(dim=1).values),
    ("min(dim=-1) ties", TIES, lambda m, x: m.min(x, -1)[0]),
    ("max(dim=0) 0-d", SCALAR, lambda m, x: x.max(dim=0).values),
    ("cumsum(dim=1)", X234, lambda m, x: m.cumsum(x, dim=1)),
    ("cumsum(dim=-1)", X23, lambda m, x: x.cumsum(-1)),
    ("cumsum(dim=0) 0-d", SCALAR, lambda m, x: x.cumsum(0)),
    ("cumsum(dim=1) empty", EMPTY, lambda m, x: x.cumsum(1)),
    ("cumprod(dim=2)", X234, lambda m, x: m.cumprod(x, dim=2)),
    ("cumprod(dim=1) with zeros", ZEROS, lambda m, x: m.cumprod(x, dim=1)),
    ("cumprod(dim=0) with zeros", ZEROS, lambda m, x: m.cumprod(x, dim=0)),
    ("norm()", X23, lambda m, x: x.norm()),
    ("norm() 0-d", SCALAR, lambda m, x: x.norm()),
    ("norm() at 0", np.zeros((2, 2)), lambda m, x: x.norm()),
    ("norm() empty", EMPTY, lambda m, x: x.norm()),
    ("norm(dim=1, keepdim)", X234, lambda m, x: x.norm(dim=1, keepdim=True)),
    ("vector_norm(dim=(0,2))", X234, lambda m, x: m.linalg.vector_norm(x, dim=(0, 2))),
    ("norm(dim=0) zero column", ZEROS[:, 1:], lambda m, x: x.norm(dim=1)),
    ("svdvals", X234, lambda m, x: m.linalg.svdvals(x)),
    ("matrix_norm(ord=2)", X23, lambda m, x: m.linalg.matrix_norm(x, ord=2)),
    ("matrix_norm(ord='nuc')", POS23, lambda m, x: m.linalg.matrix_norm(x, ord="nuc")),
]


def _tangent_for(x):
    return np.arange(1.0, x.size + 1.0).reshape(x.shape) * 0.5 - 1.0


def _torch_dual(f, x, t):
    with tf.dual_level():
        y = f(torch, tf.make_dual(torch.tensor(x), torch.tensor(t)))
        primal, tangent = tf.unpack_dual(y)
        tangent = np.zeros(primal.shape) if tangent is None else tangent.numpy()
        return primal.detach().numpy(), tangent


def _chainrule_dual(f, x, t):
    with cf.dual_level():
        y = f(cr, cf.make_dual(cr.tensor(x), cr.tensor(t)))
        primal, tangent = cf.unpack_dual(y)
        assert tangent is not None, "no tangent came out"
        return primal.numpy(), tangent.numpy()


@pytest.mark.parametrize(("label", "x", "f"), CASES, ids=[c[0] for c in CASES])
def test_value_and_tangent_match_torch(label, x, f):
    t = _tangent_for(x)
    want_y, want_t = _torch_dual(f, x, t)
    got_y, got_t = _chainrule_dual(f, x, t)
    assert got_y.shape == want_y.shape and got_t.shape == want_t.shape
    np.testing.assert_allclose(got_y, want_y, rtol=1e-10, atol=1e-12, equal_nan=True)
    np.testing.assert_allclose(got_t, want_t, rtol=1e-10, atol=1e-12, equal_nan=True)


def test_float32_tangent_keeps_the_dtype():
    x = X23.astype(np.float32)
    with cf.dual_level():
        y = cf.make_dual(cr.tensor(x), cr.ones(2, 3)).logsumexp(dim=1)
        assert cf.unpack_dual(y).tangent.dtype == cr.float32


def test_svdvals_has_no_reverse_over_forward():
    # the singular vectors depend on x: reverse mode through svdvals' tangent says so
    x = cr.tensor(X23, requires_grad=True)
    with cf.dual_level():
        tangent = cf.unpack_dual(cr.linalg.svdvals(cf.make_dual(x, cr.ones(2, 3)))).tangent
    with pytest.raises(NotImplementedError, match="second derivative"):
        tangent.sum().backward()
