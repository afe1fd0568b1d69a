"""MultivariateNormal against PyTorch: the three parameterizations, broadcasting of loc
against the matrix's batch, log_prob / entropy / moments / KL and their gradients,
validation texts, rsample shapes and moments, gradcheck of log_prob."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
from chainrule.autograd import gradcheck, gradgradcheck

torch = pytest.importorskip("torch")
rng = np.random.default_rng(21)


def _spd(shape):
    a = rng.normal(size=shape)
    return a @ np.swapaxes(a, -1, -2) + np.eye(shape[-1])


SHAPES = [
    ((3,), (3, 3)),
    ((2, 3), (3, 3)),
    ((3,), (2, 3, 3)),
    ((4, 1, 2), (3, 2, 2)),
    ((1,), (1, 1)),
]


@pytest.mark.parametrize("form", ["covariance_matrix", "precision_matrix", "scale_tril"])
@pytest.mark.parametrize("shapes", SHAPES, ids=str)
def test_values_and_grads_as_torch(form, shapes):
    sl, sm = shapes
    loc, C = rng.normal(size=sl), _spd(sm)
    batch = np.broadcast_shapes(sl[:-1], sm[:-2])
    v = rng.normal(size=(2,) + batch + sl[-1:])
    out = []
    for m in (cr, torch):
        c = m.tensor(C, dtype=m.float64, requires_grad=True)
        lc = m.tensor(loc, dtype=m.float64, requires_grad=True)
        arg = m.linalg.cholesky(c) if form == "scale_tril" else c
        d = m.distributions.MultivariateNormal(lc, **{form: arg})
        lp, ent = d.log_prob(m.tensor(v, dtype=m.float64)), d.entropy()
        gc, gl = m.autograd.grad(lp.sum() + ent.sum(), [c, lc])
        vals = [
            lp,
            ent,
            d.mean,
            d.variance,
            d.stddev,
            d.covariance_matrix,
            d.precision_matrix,
            d.scale_tril,
        ]
        out.append(
            (
                tuple(d.batch_shape),
                tuple(d.event_shape),
                repr(d),
                [x.detach().numpy() for x in vals],
                gc.numpy(),
                gl.numpy(),
            )
        )
    a, b = out
    assert a[:3] == b[:3]
    for x, y in zip(a[3], b[3], strict=True):
        np.testing.assert_allclose(x, y, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(a[4], b[4], rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(a[5], b[5], rtol=1e-9, atol=1e-12)


def test_kl_as_torch():
    P, Q = _spd((2, 3, 3)), _spd((3, 3))
    lp, lq = rng.normal(size=(3,)), rng.normal(size=(2, 3))
    out = []
    for m in (cr, torch):
        ts = [m.tensor(x, dtype=m.float64, requires_grad=True) for x in (P, Q, lp, lq)]
        p = m.distributions.MultivariateNormal(ts[2], covariance_matrix=ts[0])
        q = m.distributions.MultivariateNormal(ts[3], scale_tril=m.linalg.cholesky(ts[1]))
        kl = m.distributions.kl_divergence(p, q)
        out.append([kl.detach().numpy()] + [g.numpy() for g in m.autograd.grad(kl.sum(), ts)])
    for x, y in zip(*out, strict=True):
        np.testing.assert_allclose(x, y, rtol=1e-9, atol=1e-12)


BAD = [
    lambda m: m.distributions.MultivariateNormal(m.zeros(2), m.tensor([[1.0, 2.0], [2.0, 1.0]])),
    lambda m: m.distributions.MultivariateNormal(
        m.zeros(2), scale_tril=m.tensor([[1.0, 1.0], [0.0, 1.0]])
    ),
    lambda m: m.distributions.MultivariateNormal(m.zeros(2)),
    lambda m: m.distributions.MultivariateNormal(m.tensor(0.0), m.eye(2)),
    lambda m: m.distributions.MultivariateNormal(m.zeros(2), m.ones(2)),
    lambda m: m.distributions.MultivariateNormal(m.zeros(2), m.eye(2)).log_prob(m.zeros(3)),
    lambda m: m.linalg.cholesky(m.tensor([[1.0, 2.0], [2.0, 1.0]])),
]


@pytest.mark.parametrize("bad", BAD)
def test_errors_as_torch(bad):
    msgs = []
    for m in (cr, torch):
        with pytest.raises(Exception) as info:
            bad(m)
        msgs.append((type(info.value).__name__, str(info.value)))
    assert msgs[0] == msgs[1]


def test_rsample_shapes_moments_and_gradient():
    cr.manual_seed(0)
    L = np.array([[1.0, 0.0], [0.8, 0.5]])
    loc = cr.tensor([1.0, -2.0], dtype=cr.float64, requires_grad=True)
    st = cr.tensor(L, requires_grad=True)
    d = cr.distributions.MultivariateNormal(loc, scale_tril=st)
    t = torch.distributions.MultivariateNormal(
        torch.tensor([1.0, -2.0], dtype=torch.float64), scale_tril=torch.tensor(L)
    )
    for shape in ((), (3,), (2, 4)):
        a, b = d.sample(shape), t.sample(shape)
        assert tuple(a.shape) == tuple(b.shape) and str(a.dtype) == str(b.dtype)
    x = d.rsample((20000,))
    xs = x.detach().numpy()
    np.testing.assert_allclose(xs.mean(0), [1.0, -2.0], atol=0.03)
    np.testing.assert_allclose(np.cov(xs.T), L @ L.T, atol=0.03)
    gl, gs = cr.autograd.grad(x.sum(), [loc, st])
    np.testing.assert_allclose(gl.numpy(), [20000.0, 20000.0])
    eps = np.linalg.solve(L, (xs - [1.0, -2.0]).T).T
    np.testing.assert_allclose(gs.numpy(), np.ones((2, 1)) * eps.sum(0)[None, :], rtol=1e-9)


def test_gradcheck_log_prob_and_kl():
    v = cr.tensor(rng.normal(size=(2, 3)), dtype=cr.float64)

    def f(loc, a):
        cov = a @ a.mT + cr.eye(3, dtype=a.dtype)
        d = cr.distributions.MultivariateNormal(loc, covariance_matrix=cov)
        q = cr.distributions.MultivariateNormal(loc * 0.5, precision_matrix=cov)
        return d.log_prob(v) + d.entropy() + cr.distributions.kl_divergence(d, q)

    args = [
        cr.tensor(rng.normal(size=s), dtype=cr.float64, requires_grad=True) for s in ((3,), (3, 3))
    ]
    assert gradcheck(f, args)
    assert gradgradcheck(f, args)
