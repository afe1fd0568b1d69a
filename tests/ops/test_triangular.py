"""tril, triu, linalg.cholesky and linalg.solve_triangular against PyTorch: values,
gradients (first and second order), forward mode, errors."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr

torch = pytest.importorskip("torch")
rng = np.random.default_rng(5)


@pytest.mark.parametrize("k", [-1, 0, 2])
@pytest.mark.parametrize("shape", [(3, 3), (2, 3, 4), (4, 2)])
def test_tril_triu_as_torch(shape, k):
    a = rng.normal(size=shape)
    for name in ("tril", "triu"):
        ours = getattr(cr, name)(cr.tensor(a), k).numpy()
        ref = getattr(torch, name)(torch.tensor(a), k).numpy()
        np.testing.assert_array_equal(ours, ref)
        assert getattr(cr.tensor(a), name)(k).shape == tuple(shape)


def _spd(shape):
    a = rng.normal(size=shape)
    return a @ np.swapaxes(a, -1, -2) + np.eye(shape[-1])


@pytest.mark.parametrize("shape", [(1, 1), (3, 3), (2, 4, 4)])
@pytest.mark.parametrize("upper", [False, True])
def test_cholesky_values_and_grads_as_torch(shape, upper):
    A = _spd(shape)
    w = rng.normal(size=shape)
    out = []
    for m in (cr, torch):
        x = m.tensor(A, dtype=m.float64, requires_grad=True)
        L = m.linalg.cholesky(x, upper=upper)
        (g,) = m.autograd.grad((L * m.tensor(w)).sum(), x, create_graph=True)
        (gg,) = m.autograd.grad((g * g).sum(), x)
        out.append((L.detach().numpy(), g.detach().numpy(), gg.numpy(), type(L.grad_fn).__name__))
    for a, b in zip(out[0][:3], out[1][:3], strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)
    if not upper:
        assert out[0][3] == out[1][3]


@pytest.mark.parametrize("upper", [False, True])
@pytest.mark.parametrize("left", [True, False])
@pytest.mark.parametrize("sa,sb", [((3, 3), (3, 2)), ((2, 3, 3), (3, 3)), ((3, 3), (4, 3, 3))])
def test_solve_triangular_as_torch(sa, sb, upper, left):
    A = rng.normal(size=sa) + 3 * np.eye(sa[-1])
    B = rng.normal(size=sb if left else sb[:-2] + (sb[-1], sb[-2]))
    out = []
    for m in (cr, torch):
        a = m.tensor(A, requires_grad=True)
        b = m.tensor(B, requires_grad=True)
        x = m.linalg.solve_triangular(a, b, upper=upper, left=left)
        ga, gb = m.autograd.grad((x * x).sum(), [a, b])
        out.append((x.detach().numpy(), ga.numpy(), gb.numpy()))
    for a, b in zip(*out, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


def test_forward_mode_cholesky_as_torch():
    import torch.autograd.forward_ad as fwd

    A, T = _spd((3, 3)), rng.normal(size=(3, 3))
    T = T + T.T
    _, ours = cr.func.jvp(cr.linalg.cholesky, (cr.tensor(A),), (cr.tensor(T),))
    with fwd.dual_level():
        d = fwd.make_dual(torch.tensor(A), torch.tensor(T))
        ref = fwd.unpack_dual(torch.linalg.cholesky(d)).tangent
    np.testing.assert_allclose(ours.numpy(), ref.numpy(), rtol=1e-10, atol=1e-12)


ERRORS = [
    lambda m: m.tril(m.ones(3)),
    lambda m: m.linalg.cholesky(m.ones(3)),
    lambda m: m.linalg.cholesky(m.ones(2, 3)),
    lambda m: m.linalg.cholesky(m.tensor([[1.0, 2.0], [2.0, 1.0]])),
    lambda m: m.linalg.cholesky(m.tensor([[[1.0, 0.0], [0.0, 1.0]], [[1.0, 2.0], [2.0, 1.0]]])),
    lambda m: m.linalg.solve_triangular(m.eye(3), m.ones(2, 1), upper=False),
]


@pytest.mark.parametrize("bad", ERRORS)
def test_errors_as_torch(bad):
    msgs = []
    for m in (cr, torch):
        with pytest.raises(Exception) as info:
            bad(m)
        msgs.append((type(info.value).__name__, str(info.value)))
    assert msgs[0] == msgs[1]
