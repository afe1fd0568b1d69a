"""torch.linalg's inverses, determinants, solves and factorizations against PyTorch:
values, gradients (batched, float32 and float64), grad_fn names, return types, errors.
The derivative rules themselves are gradchecked in test_gradcheck_table.py."""

from __future__ import annotations

import warnings

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


# ------------------------------------------------------------- eigh, qr, svd


def _distinct_spd(shape):
    """Symmetric, with eigenvalues 1, 2, ..., n (distinct) in a random basis."""
    n = shape[-1]
    q = np.linalg.qr(RNG.standard_normal(shape))[0]
    return (q * np.arange(1.0, n + 1)) @ np.swapaxes(q, -1, -2)


def _sign_fixed(v, axis):
    """Columns (axis=-2) or rows (axis=-1) of v with the largest entry made positive."""
    i = np.argmax(np.abs(v), axis=axis)
    big = np.take_along_axis(v, np.expand_dims(i, axis), axis)
    return v * np.sign(big)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("uplo", ["L", "U"])
@pytest.mark.parametrize("shape", SHAPES)
def test_eigh_matches_torch(shape, uplo, dtype):
    a = _distinct_spd(shape)
    tol = 1e-10 if dtype == "float64" else 2e-4
    rc = cr.linalg.eigh(cr.tensor(a, dtype=getattr(cr, dtype)), UPLO=uplo)
    rt = torch.linalg.eigh(torch.tensor(a, dtype=getattr(torch, dtype)), UPLO=uplo)
    _close(rc.eigenvalues, rt.eigenvalues, tol)
    np.testing.assert_allclose(
        _sign_fixed(rc.eigenvectors.numpy(), -2),
        _sign_fixed(rt.eigenvectors.numpy(), -2),
        rtol=tol * 10,
        atol=tol * 10,
    )
    _check(
        lambda x: cr.linalg.eigvalsh(x, UPLO=uplo),
        lambda x: torch.linalg.eigvalsh(x, UPLO=uplo),
        [a],
        dtype,
        "LinalgEighBackward0",
    )
    for mod in (cr, torch):  # grad_fn of both outputs
        r = mod.linalg.eigh(mod.tensor(a, requires_grad=True))
        assert type(r.eigenvectors.grad_fn).__name__ == "LinalgEighBackward0"

    def loss(mod):  # the eigenvectors through a sign-invariant function
        def f(x):
            w, v = mod.linalg.eigh(x, UPLO=uplo)
            return (v * v[..., :1, :]) * w.unsqueeze(-2) + v.abs()

        return f

    _check(loss(cr), loss(torch), [a], dtype)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("shape", [(3, 3), (4, 2), (2, 4, 3), (2, 3, 4)])
@pytest.mark.parametrize("mode", ["reduced", "complete", "r"])
def test_qr_matches_torch(shape, mode, dtype):
    a = RNG.standard_normal(shape)
    tol = 1e-10 if dtype == "float64" else 2e-4
    rc = cr.linalg.qr(cr.tensor(a, dtype=getattr(cr, dtype)), mode=mode)
    rt = torch.linalg.qr(torch.tensor(a, dtype=getattr(torch, dtype)), mode=mode)
    assert repr(type(rc)).count("linalg_qr") and rc._fields == ("Q", "R")
    for c, t in zip(rc, rt, strict=True):
        assert tuple(c.shape) == tuple(t.shape)
        _close(c, t, tol)
    m, n = shape[-2:]
    if mode == "r" or (mode == "complete" and m > n):
        for mod in (cr, torch):
            r = mod.linalg.qr(mod.tensor(a, requires_grad=True), mode=mode)
            assert type(r.R.grad_fn).__name__ == "LinalgQrBackward0"
        _raises_same(
            lambda: cr.linalg.qr(cr.tensor(a, requires_grad=True), mode=mode).R.sum().backward(),
            lambda: (
                torch.linalg.qr(torch.tensor(a, requires_grad=True), mode=mode).R.sum().backward()
            ),
        )
        return
    for which in ("Q", "R"):
        _check(
            lambda x, w=which: getattr(cr.linalg.qr(x, mode=mode), w),
            lambda x, w=which: getattr(torch.linalg.qr(x, mode=mode), w),
            [a],
            dtype,
            "LinalgQrBackward0",
        )


def _svd_input(shape):
    """Singular values 1, 2, ..., k in random bases: distinct and away from 0."""
    m, n = shape[-2:]
    k = min(m, n)
    u = np.linalg.qr(RNG.standard_normal(shape[:-2] + (m, m)))[0][..., :k]
    v = np.linalg.qr(RNG.standard_normal(shape[:-2] + (n, n)))[0][..., :k]
    return (u * np.arange(1.0, k + 1)) @ np.swapaxes(v, -1, -2)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("full", [True, False])
@pytest.mark.parametrize("shape", [(3, 3), (4, 2), (2, 3), (2, 4, 3), (2, 3, 4)])
def test_svd_matches_torch(shape, full, dtype):
    a = _svd_input(shape)
    tol = 1e-10 if dtype == "float64" else 2e-4
    rc = cr.linalg.svd(cr.tensor(a, dtype=getattr(cr, dtype)), full_matrices=full)
    rt = torch.linalg.svd(torch.tensor(a, dtype=getattr(torch, dtype)), full_matrices=full)
    assert rc._fields == ("U", "S", "Vh")
    for c, t in zip(rc, rt, strict=True):
        assert tuple(c.shape) == tuple(t.shape)
    _close(rc.S, rt.S, tol)
    k = min(shape[-2:])
    # U diag(S) Vh rebuilds A; the thin factors agree with PyTorch's up to the pairs' signs
    u, vh = rc.U.numpy()[..., :k], rc.Vh.numpy()[..., :k, :]
    np.testing.assert_allclose((u * rc.S.numpy()[..., None, :]) @ vh, a, atol=tol * 10)
    for mod in (cr, torch):
        r = mod.linalg.svd(mod.tensor(a, requires_grad=True), full_matrices=full)
        assert {type(t.grad_fn).__name__ for t in r} == {"LinalgSvdBackward0"}

    def loss(mod):  # sign-invariant in each (u_j, v_j) pair
        def f(x):
            u, s, vh = mod.linalg.svd(x, full_matrices=full)
            u, vh = u[..., :k], vh[..., :k, :]
            a = (u * vh[..., :, :1].mT).sum(-1) * s.sum(-1, keepdim=True)
            return a.sum(-1) + (vh * u[..., :1, :].mT).sum((-2, -1))

        return f

    _check(loss(cr), loss(torch), [a], dtype)


def test_eigh_qr_svd_argument_errors_match_torch():
    for fc, ft in [
        (
            lambda: cr.linalg.eigh(cr.eye(2), UPLO="X"),
            lambda: torch.linalg.eigh(torch.eye(2), UPLO="X"),
        ),
        (
            lambda: cr.linalg.qr(cr.eye(2), mode="x"),
            lambda: torch.linalg.qr(torch.eye(2), mode="x"),
        ),
        (lambda: cr.linalg.eigh(cr.ones(3)), lambda: torch.linalg.eigh(torch.ones(3))),
        (
            lambda: cr.linalg.eigvalsh(cr.ones(2, 3)),
            lambda: torch.linalg.eigvalsh(torch.ones(2, 3)),
        ),
        (lambda: cr.linalg.qr(cr.ones(3)), lambda: torch.linalg.qr(torch.ones(3))),
        (lambda: cr.linalg.svd(cr.ones(3)), lambda: torch.linalg.svd(torch.ones(3))),
        (
            lambda: cr.linalg.qr(cr.eye(2, dtype=cr.int64)),
            lambda: torch.linalg.qr(torch.eye(2, dtype=torch.int64)),
        ),
        (
            lambda: cr.linalg.svd(cr.eye(2, dtype=cr.int64)),
            lambda: torch.linalg.svd(torch.eye(2, dtype=torch.int64)),
        ),
    ]:
        _raises_same(fc, ft)
    with pytest.raises(NotImplementedError) as ec:
        cr.linalg.eigh(cr.eye(2, dtype=cr.int64))
    with pytest.raises(NotImplementedError) as et:
        torch.linalg.eigh(torch.eye(2, dtype=torch.int64))
    assert str(ec.value) == str(et.value)
    assert torch.linalg.eigvalsh(torch.eye(2), UPLO="u").shape == (2,)
    assert cr.linalg.eigvalsh(cr.eye(2), UPLO="u").shape == (2,)


def test_eigh_svd_second_derivatives_match_torch():
    a = _distinct_spd((2, 3, 3))
    b = _svd_input((3, 2))
    outs = []
    for mod in (cr, torch):
        x = mod.tensor(a, requires_grad=True)
        y = mod.tensor(b, requires_grad=True)
        w, v = mod.linalg.eigh(x)
        u, s, vh = mod.linalg.svd(y, full_matrices=False)
        q, r = mod.linalg.qr(y)
        z = (w**2).sum() + (v * v[..., :1, :]).sum() + (u * vh[:, :1].mT).sum() + s.prod()
        z = z + (q * r.diagonal().unsqueeze(0)).sum() + r.exp().sum()
        gx, gy = mod.autograd.grad(z, (x, y), create_graph=True)
        ((gx**2).sum() + gy.sin().sum()).backward()
        outs.append((x.grad.detach().numpy(), y.grad.detach().numpy()))
    for c, t in zip(*outs, strict=True):
        np.testing.assert_allclose(c, t, rtol=1e-8, atol=1e-9)


def test_det_gradient_at_a_singular_matrix_raises_clearly():
    # PyTorch gives zeros there (the adjugate is not zero): chainrule refuses
    for f in (cr.linalg.det, lambda x: cr.linalg.slogdet(x).logabsdet):
        x = cr.tensor(SINGULAR, dtype=cr.float64, requires_grad=True)
        y = f(x)
        with pytest.raises(RuntimeError, match="singular matrix"):
            y.backward()


@pytest.mark.parametrize("name", ["inverse", "det", "logdet", "slogdet"])
def test_tensor_methods_match_torch(name):
    a = _spd((2, 3, 3))
    c, t = _pair(a)
    rc, rt = getattr(c, name)(), getattr(t, name)()
    if name == "slogdet":
        assert repr(rc).startswith("torch.return_types.slogdet(")
        rc, rt = rc.logabsdet, rt.logabsdet
    _close(rc, rt, 1e-10)
    assert type(rc.grad_fn).__name__ == type(rt.grad_fn).__name__


def test_older_top_level_svd_qr_cholesky_match_torch():
    a = _svd_input((2, 4, 3))
    for some in (True, False):
        rc, rt = cr.svd(cr.tensor(a), some=some), torch.svd(torch.tensor(a), some=some)
        assert rc._fields == ("U", "S", "V") and repr(rc).startswith("torch.return_types.svd(")
        for c, t in zip(rc, rt, strict=True):
            assert tuple(c.shape) == tuple(t.shape)
        _close(rc.S, rt.S, 1e-12)
        k = 3
        u, v = rc.U.numpy()[..., :k], rc.V.numpy()[..., :k]
        np.testing.assert_allclose((u * rc.S.numpy()[..., None, :]) @ np.swapaxes(v, -1, -2), a)
    rc = cr.svd(cr.tensor(a), compute_uv=False)
    rt = torch.svd(torch.tensor(a), compute_uv=False)
    for c, t in zip(rc, rt, strict=True):
        _close(c, t, 1e-12)
    _check(lambda x: cr.svd(x).V.abs(), lambda x: torch.svd(x).V.abs(), [a], name="AbsBackward0")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for some in (True, False):
            rc, rt = cr.qr(cr.tensor(a), some=some), torch.qr(torch.tensor(a), some=some)
            assert repr(rc).startswith("torch.return_types.qr(")
            for c, t in zip(rc, rt, strict=True):
                _close(c, t, 1e-12)
        _check(lambda x: cr.qr(x).Q, lambda x: torch.qr(x).Q, [a], name="LinalgQrBackward0")
        s = _spd((2, 3, 3))
        for upper in (False, True):
            _check(
                lambda x, u=upper: cr.cholesky(x, upper=u),
                lambda x, u=upper: torch.cholesky(x, upper=u),
                [s],
                name="CholeskyBackward0",
            )
        p = np.array(NOT_PD)
        _raises_same(lambda: cr.cholesky(cr.tensor(p)), lambda: torch.cholesky(torch.tensor(p)))
        _raises_same(lambda: cr.cholesky(cr.ones(2, 3)), lambda: torch.cholesky(torch.ones(2, 3)))


def test_deprecation_warnings_as_torch():
    import chainrule.functions.decompositions as dec

    dec._warned.clear()
    a = cr.eye(2)
    with pytest.warns(UserWarning, match="torch.qr is deprecated"):
        cr.qr(a)
    with pytest.warns(UserWarning, match="torch.cholesky is deprecated"):
        cr.cholesky(a)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # once per process, as PyTorch's TORCH_WARN_ONCE
        cr.qr(a)
        cr.cholesky(a)


def test_nan_matrices_as_torch():
    """A NaN matrix in a batch: NaN results for inv, solve, det, slogdet (not a singular
    error), PyTorch's not-positive-definite error for cholesky, its LinAlgError for svd."""
    nan = float("nan")
    a = np.stack([np.eye(2), [[nan, 1.0], [1.0, 1.0]]])
    a32 = cr.tensor(a, dtype=cr.float32)
    assert cr.linalg.inv(a32).dtype == cr.linalg.solve(a32, cr.ones(2)).dtype == cr.float32
    for name in ("inv", "det"):
        _close(
            getattr(cr.linalg, name)(cr.tensor(a)), getattr(torch.linalg, name)(torch.tensor(a)), 0
        )
    for c, t in zip(
        cr.linalg.slogdet(cr.tensor(a)), torch.linalg.slogdet(torch.tensor(a)), strict=True
    ):
        _close(c, t, 0)
    _close(
        cr.linalg.solve(cr.tensor(a), cr.ones(2, dtype=cr.float64)),
        torch.linalg.solve(torch.tensor(a), torch.ones(2, dtype=torch.float64)),
        0,
    )
    _raises_same(
        lambda: cr.linalg.cholesky(cr.tensor(a)), lambda: torch.linalg.cholesky(torch.tensor(a))
    )
    _raises_same(lambda: cr.linalg.svd(cr.tensor(a)), lambda: torch.linalg.svd(torch.tensor(a)))


def _same_error(fc, ft):
    """Both raise the same type (RuntimeError or NotImplementedError) with one text."""
    with pytest.raises((RuntimeError, NotImplementedError)) as et:
        ft()
    kind = NotImplementedError if isinstance(et.value, NotImplementedError) else RuntimeError
    with pytest.raises(kind) as ec:
        fc()
    assert str(ec.value) == str(et.value)


LOW_PRECISION = ["inv", "det", "slogdet", "cholesky", "eigh", "eigvalsh", "qr", "svd", "solve"]


@pytest.mark.parametrize("name", LOW_PRECISION)
def test_half_precision_errors_match_torch(name):
    def call(mod):
        a = mod.eye(2, dtype=mod.float16)
        f = getattr(mod.linalg, name)
        return (lambda: f(a, a)) if name == "solve" else (lambda: f(a))

    _same_error(call(cr), call(torch))


@pytest.mark.parametrize("name", ["logdet", "inverse", "det", "slogdet"])
def test_half_precision_errors_of_top_level_names_match_torch(name):
    _same_error(
        lambda: getattr(cr, name)(cr.eye(2, dtype=cr.float16)),
        lambda: getattr(torch, name)(torch.eye(2, dtype=torch.float16)),
    )


def test_inv_ex_and_cholesky_ex_match_torch():
    s = np.stack([np.eye(3), np.array(SINGULAR), _invertible((3, 3))])
    p = np.stack([_spd((3, 3)), np.array(NOT_PD)])
    for fc, ft, a, first in [
        (cr.linalg.inv_ex, torch.linalg.inv_ex, s, "inverse"),
        (cr.linalg.cholesky_ex, torch.linalg.cholesky_ex, p, "L"),
        (
            lambda x, **k: cr.linalg.cholesky_ex(x, upper=True, **k),
            lambda x, **k: torch.linalg.cholesky_ex(x, upper=True, **k),
            np.swapaxes(p, -1, -2).copy(),
            "L",
        ),
    ]:
        rc, rt = fc(cr.tensor(a)), ft(torch.tensor(a))
        assert rc._fields == (first, "info")
        assert rc.info.dtype == cr.int32
        np.testing.assert_array_equal(rc.info.numpy(), rt.info.numpy())
        ok = rt.info.numpy() == 0
        _close(rc[0][ok], rt[0][ok], 1e-12)
        assert np.isnan(rc[0].numpy()[~ok]).all()  # PyTorch: LAPACK's partial values
        _raises_same(
            lambda fc=fc, a=a: fc(cr.tensor(a), check_errors=True),
            lambda ft=ft, a=a: ft(torch.tensor(a), check_errors=True),
        )
    a = _invertible((2, 3, 3))
    _check(
        lambda x: cr.linalg.inv_ex(x).inverse,
        lambda x: torch.linalg.inv_ex(x).inverse,
        [a],
        name="LinalgInvExBackward0",
    )
    _check(
        lambda x: cr.linalg.cholesky_ex(x).L,
        lambda x: torch.linalg.cholesky_ex(x).L,
        [_spd((2, 3, 3))],
        name="LinalgCholeskyExBackward0",
    )
