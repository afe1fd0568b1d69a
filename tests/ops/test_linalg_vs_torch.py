"""torch.linalg's inverses, determinants, solves and factorizations against PyTorch:
values, gradients (batched, float32 and float64), grad_fn names, return types, errors.
The derivative rules themselves are gradchecked in test_gradcheck_table.py."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr

torch = pytest.importorskip("torch")

RNG = np.random.default_rng(12)


def _pair(a, dtype="float64", rg=True):
    return (
        cr.tensor(a, dtype=getattr(cr, dtype), requires_grad=rg),
        torch.tensor(a, dtype=getattr(torch, dtype), requires_grad=rg),
    )


def _invertible(shape):
    n = shape[-1]
    return RNG.standard_normal(shape) * 0.3 + 2.0 * np.eye(n) * RNG.choice(
        [-1, 1], shape[:-1] + (1,)
    )


def _spd(shape):
    m = RNG.standard_normal(shape)
    return m @ np.swapaxes(m, -1, -2) + shape[-1] * np.eye(shape[-1])


def _close(c, t, tol):
    np.testing.assert_allclose(c.detach().numpy(), t.detach().numpy(), rtol=tol, atol=tol)


def _check(fc, ft, arrays, dtype="float64", name=None):
    """Same values and gradients (of a weighted sum of the outputs) as PyTorch."""
    tol = 1e-10 if dtype == "float64" else 2e-4
    cs, ts = zip(*(_pair(a, dtype) for a in arrays), strict=True)
    yc, yt = fc(*cs), ft(*ts)
    _close(yc, yt, tol)
    if name is not None:
        assert type(yc.grad_fn).__name__ == type(yt.grad_fn).__name__ == name
    w = RNG.standard_normal(tuple(yt.shape))
    (yc * cr.tensor(w, dtype=yc.dtype)).sum().backward()
    (yt * torch.tensor(w, dtype=yt.dtype)).sum().backward()
    for c, t in zip(cs, ts, strict=True):
        if t.grad is None:  # PyTorch leaves an undefined gradient (slogdet's sign): zeros here
            assert not c.grad.detach().numpy().any()
            continue
        _close(c.grad, t.grad, tol * 10)


SHAPES = [(1, 1), (3, 3), (2, 3, 3), (2, 1, 4, 4)]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("shape", SHAPES)
def test_inv_det_slogdet_match_torch(shape, dtype):
    a = _invertible(shape)
    _check(cr.linalg.inv, torch.linalg.inv, [a], dtype, "LinalgInvExBackward0")
    _check(cr.inverse, torch.inverse, [a], dtype, "LinalgInvExBackward0")
    _check(cr.linalg.det, torch.linalg.det, [a], dtype, "LinalgDetBackward0")
    _check(cr.det, torch.det, [a], dtype, "LinalgDetBackward0")
    for f in ("sign", "logabsdet"):
        _check(
            lambda x, f=f: getattr(cr.linalg.slogdet(x), f),
            lambda x, f=f: getattr(torch.linalg.slogdet(x), f),
            [a],
            dtype,
            "LinalgSlogdetBackward0",
        )
    spd = _spd(shape)
    _check(cr.logdet, torch.logdet, [spd], dtype, "WhereBackward0")


def test_logdet_and_slogdet_edges():
    for a in ([[0.0, 1.0], [1.0, 0.0]], [[0.0, 0.0], [0.0, 0.0]], [[1.0, 2.0], [2.0, 4.0]]):
        c, t = cr.tensor(a), torch.tensor(a)
        _close(cr.logdet(c), torch.logdet(t), 1e-6)
        sc, st = cr.linalg.slogdet(c), torch.linalg.slogdet(t)
        _close(sc.sign, st.sign, 0)
        _close(sc.logabsdet, st.logabsdet, 1e-6)
    r = cr.slogdet(cr.eye(2))
    assert repr(r).startswith("torch.return_types.slogdet(\nsign=tensor(1.)")
    r = cr.linalg.slogdet(cr.eye(2))
    assert repr(r) == repr(torch.linalg.slogdet(torch.eye(2)))
    sign, logabs = r
    assert r.sign is sign and r.logabsdet is logabs
    _close(cr.linalg.det(cr.zeros(0, 0)), torch.linalg.det(torch.zeros(0, 0)), 0)


SOLVE_SHAPES = [
    ((3, 3), (3,)),
    ((3, 3), (3, 2)),
    ((2, 3, 3), (2, 3)),  # a batch of vectors: B is A's shape less its last dim
    ((2, 3, 3), (3,)),
    ((2, 3, 3), (3, 2)),
    ((3, 3), (2, 3, 1)),
    ((2, 1, 3, 3), (4, 3, 2)),
    ((2, 3, 3), (2, 3, 3)),
]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("sa,sb", SOLVE_SHAPES)
def test_solve_matches_torch(sa, sb, dtype):
    a, b = _invertible(sa), RNG.standard_normal(sb)
    _check(cr.linalg.solve, torch.linalg.solve, [a, b], dtype, "LinalgSolveExBackward0")


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("upper", [False, True])
@pytest.mark.parametrize("shape", SHAPES)
def test_cholesky_matches_torch(shape, upper, dtype):
    # through M M^T + n I, so that the gradient reaching M is the same whatever convention
    # is used for the triangle that is not read
    def f(mod):
        n = shape[-1]
        eye = mod.eye(n, dtype=getattr(mod, dtype))
        return lambda m: mod.linalg.cholesky(m @ m.mT + n * eye, upper=upper)

    _check(f(cr), f(torch), [RNG.standard_normal(shape)], dtype)
    s = _spd(shape)
    _check(
        lambda x: cr.linalg.cholesky(x, upper=upper),
        lambda x: torch.linalg.cholesky(x, upper=upper),
        [s],
        dtype,
        "LinalgCholeskyExBackward0",
    )


def test_cholesky_reads_one_triangle_as_torch():
    a = _spd((3, 3))
    a[0, 2] = 100.0  # junk in the upper triangle
    for upper in (False, True):
        b = a if not upper else a.T.copy()
        _close(
            cr.linalg.cholesky(cr.tensor(b), upper=upper),
            torch.linalg.cholesky(torch.tensor(b), upper=upper),
            1e-12,
        )


def _raises_same(fc, ft):
    with pytest.raises(RuntimeError) as et:
        ft()
    with pytest.raises(RuntimeError) as ec:
        fc()
    assert str(ec.value) == str(et.value)
    # torch.linalg.LinAlgError where PyTorch raises one
    assert ("LinAlg" in type(ec.value).__name__) == ("LinAlg" in type(et.value).__name__)
    return ec.value


SINGULAR = [[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [1.0, 0.0, 1.0]]
NOT_PD = [[1.0, 2.0, 0.0], [2.0, 1.0, 0.0], [0.0, 0.0, 1.0]]


@pytest.mark.parametrize("batched", [False, True])
def test_errors_match_torch(batched):
    def mats(rows):
        m = np.array(rows)
        return np.stack([np.eye(3), m]) if batched else m

    s, p = mats(SINGULAR), mats(NOT_PD)
    e = _raises_same(lambda: cr.linalg.inv(cr.tensor(s)), lambda: torch.linalg.inv(torch.tensor(s)))
    assert isinstance(e, cr.linalg.LinAlgError) and isinstance(e, RuntimeError)
    _raises_same(
        lambda: cr.linalg.solve(cr.tensor(s), cr.ones(3, dtype=cr.float64)),
        lambda: torch.linalg.solve(torch.tensor(s), torch.ones(3, dtype=torch.float64)),
    )
    for upper in (False, True):
        _raises_same(
            lambda u=upper: cr.linalg.cholesky(cr.tensor(p), upper=u),
            lambda u=upper: torch.linalg.cholesky(torch.tensor(p), upper=u),
        )


@pytest.mark.parametrize("name", ["inv", "det", "slogdet", "cholesky", "logdet", "inverse"])
@pytest.mark.parametrize("shape", [(2, 3), (3,)])
def test_shape_errors_match_torch(name, shape):
    fc = getattr(cr.linalg, name, None) or getattr(cr, name)
    ft = getattr(torch.linalg, name, None) or getattr(torch, name)
    _raises_same(lambda: fc(cr.ones(*shape)), lambda: ft(torch.ones(*shape)))


def test_dtype_and_solve_shape_errors_match_torch():
    _raises_same(
        lambda: cr.linalg.inv(cr.eye(2, dtype=cr.int64)),
        lambda: torch.linalg.inv(torch.eye(2, dtype=torch.int64)),
    )
    for sa, sb in [((2, 3), (2,)), ((3, 3), (2,)), ((3, 3), (2, 3))]:
        _raises_same(
            lambda sa=sa, sb=sb: cr.linalg.solve(cr.ones(*sa), cr.ones(*sb)),
            lambda sa=sa, sb=sb: torch.linalg.solve(torch.ones(*sa), torch.ones(*sb)),
        )
    _raises_same(
        lambda: cr.linalg.solve(cr.eye(3), cr.ones(3, dtype=cr.float64)),
        lambda: torch.linalg.solve(torch.eye(3), torch.ones(3, dtype=torch.float64)),
    )


def test_second_derivatives_match_torch():
    a = _invertible((2, 3, 3))
    b = RNG.standard_normal((2, 3))
    outs = []
    for mod in (cr, torch):
        x = mod.tensor(a, requires_grad=True)
        y = mod.tensor(b, requires_grad=True)
        z = (mod.linalg.solve(x, y) ** 2).sum() + mod.linalg.inv(x).sum() * mod.linalg.det(x).sum()
        z = z + mod.linalg.cholesky(x @ x.mT).sum()
        gx, gy = mod.autograd.grad(z, (x, y), create_graph=True)
        (gx.sin().sum() + gy.cos().sum()).backward()
        outs.append((x.grad.detach().numpy(), y.grad.detach().numpy()))
    for c, t in zip(*outs, strict=True):
        np.testing.assert_allclose(c, t, rtol=1e-9, atol=1e-10)
