"""L1Loss, SmoothL1Loss, NLLLoss, BCELoss, BCEWithLogitsLoss (and MSELoss's new node)
against PyTorch: losses for every reduction, gradients of input and target, grad_fn
names, reprs, state_dict keys, values at the edges, and errors. Skipped without torch."""

import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import chainrule as cr  # noqa: E402
import chainrule.nn.functional as F  # noqa: E402
from chainrule import nn  # noqa: E402

TOL = {"float32": dict(rtol=1e-5, atol=1e-6), "float64": dict(rtol=1e-11, atol=1e-12)}
REDUCTIONS = ["mean", "sum", "none"]
rng = np.random.default_rng(0)


def both(arr, dtype=None, requires_grad=False):
    arr = np.asarray(arr)
    if dtype is not None and arr.dtype.kind == "f":
        arr = arr.astype(dtype)
    return (
        cr.tensor(arr.copy(), requires_grad=requires_grad),
        torch.tensor(arr.copy(), requires_grad=requires_grad),
    )


def close(a, b, tol):
    assert str(a.dtype) == str(b.dtype)
    assert tuple(a.shape) == tuple(b.shape)
    np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), **tol)


def _error(fn):
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fn()
    except Exception as e:  # noqa: BLE001 - the type and the text are what is compared
        return type(e), str(e)
    return None


def _compare(build, x, t, dtype, grad_fn, target_grad=True, **tol):
    """Module pair from ``build(nn)``; input and (float) target both need gradients."""
    tol = tol or TOL[dtype]
    ours, theirs = build(nn), build(torch.nn)
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    a, ta = both(x, dtype, requires_grad=True)
    b, tb = both(t, dtype, requires_grad=target_grad)
    y, ty = ours(a, b), theirs(ta, tb)
    assert type(y.grad_fn).__name__ == type(ty.grad_fn).__name__
    assert grad_fn in (None, type(ty.grad_fn).__name__)
    close(y, ty, tol)
    g = rng.standard_normal(tuple(y.shape)).astype(dtype)
    y.backward(cr.tensor(g))
    ty.backward(torch.tensor(g))
    close(a.grad, ta.grad, tol)
    if target_grad:
        close(b.grad, tb.grad, tol)


def _w(lib, values):
    return lib.tensor(np.asarray(values, dtype=np.float32))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_mse_and_l1(dtype, reduction):
    x, t = rng.standard_normal((4, 3)), rng.standard_normal((4, 3))
    t[0, 0] = x[0, 0]  # |x - y| = 0: L1's subgradient 0
    names = {"mean": "MeanBackward0", "sum": "SumBackward0", "none": "AbsBackward0"}
    _compare(lambda m: m.MSELoss(reduction=reduction), x, t, dtype, "MseLossBackward0")
    _compare(lambda m: m.L1Loss(reduction=reduction), x, t, dtype, names[reduction])


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("beta", [1.0, 0.5, 0.0, 3.0])
def test_smooth_l1(dtype, reduction, beta):
    x, t = rng.standard_normal((5, 2)) * 2, rng.standard_normal((5, 2))
    t[0] = x[0] + beta  # on the seam |x - y| = beta
    t[1, 0] = x[1, 0]  # x == y
    _compare(
        lambda m: m.SmoothL1Loss(reduction=reduction, beta=beta),
        x,
        t,
        dtype,
        "SmoothL1LossBackward0" if beta else None,  # beta = 0: F.l1_loss's nodes
    )


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
def test_bce(dtype, reduction, weighted):
    p = rng.uniform(0.02, 0.98, (4, 3))
    p[0] = [0.0, 1.0, 0.5]  # the clamp of the logs at -100 and the 1e-12 floor
    t = rng.uniform(0, 1, (4, 3))
    t[0] = [1.0, 0.0, 0.5]
    t[1] = [0.0, 1.0, 1.0]

    def build(m):
        lib = cr if m is nn else torch
        w = _w(lib, np.linspace(0.5, 2, 12).reshape(4, 3)).to(getattr(lib, dtype))
        return m.BCELoss(weight=w if weighted else None, reduction=reduction)

    # (the target's gradient is inf at p = 0 and 1, as PyTorch's)
    _compare(build, p, t, dtype, "BinaryCrossEntropyBackward0")


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weights", ["none", "weight", "pos_weight", "both"])
def test_bce_with_logits(dtype, reduction, weights):
    x = rng.standard_normal((4, 3)) * 3
    x[0] = [1000.0, -1000.0, 0.0]  # stable for huge logits
    t = rng.uniform(0, 1, (4, 3))
    t[0] = [0.0, 1.0, 0.5]

    def build(m):
        lib = cr if m is nn else torch
        dt = getattr(lib, dtype)
        w = _w(lib, np.linspace(0.5, 2, 12).reshape(4, 3)).to(dt)
        pw = _w(lib, [0.5, 1.0, 3.0]).to(dt)
        return m.BCEWithLogitsLoss(
            weight=w if weights in ("weight", "both") else None,
            pos_weight=pw if weights in ("pos_weight", "both") else None,
            reduction=reduction,
        )

    _compare(build, x, t, dtype, "BinaryCrossEntropyWithLogitsBackward0")


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize(
    "shape,kw",
    [
        ((5, 4), {}),
        ((5, 4), dict(weight=[0.5, 1.0, 2.0, 0.1])),
        ((5, 4), dict(ignore_index=2)),
        ((5, 4), dict(weight=[0.5, 1.0, 2.0, 0.1], ignore_index=1)),
        ((4,), {}),
        ((2, 4, 3), dict(weight=[0.5, 1.0, 2.0, 0.1])),
        ((2, 4, 3, 2), dict(ignore_index=0)),
        ((2, 4, 1, 3, 2), dict(weight=[0.5, 1.0, 2.0, 0.1])),
    ],
)
def test_nll(dtype, reduction, shape, kw):
    x = rng.standard_normal(shape)
    tshape = () if len(shape) == 1 else shape[:1] + shape[2:]
    t = rng.integers(0, shape[0] if len(shape) == 1 else shape[1], tshape)

    def build(m):
        lib = cr if m is nn else torch
        args = dict(kw)
        if "weight" in args:
            args["weight"] = _w(lib, args["weight"]).to(getattr(lib, dtype))
        return m.NLLLoss(reduction=reduction, **args)

    # (N, C, d...): NllLoss2DBackward0, or a view of it for 'none', as PyTorch's
    _compare(build, x, t, dtype, "NllLossBackward0" if len(shape) <= 2 else None, False)


def test_cross_entropy_shows_nll_node_like_torch():
    x, tx = both(rng.standard_normal((3, 4)), "float32", requires_grad=True)
    t, tt = both(np.array([0, 3, 1]))
    assert type(F.cross_entropy(x, t).grad_fn).__name__ == "NllLossBackward0"
    assert type(torch.nn.functional.cross_entropy(tx, tt).grad_fn).__name__ == "NllLossBackward0"


def test_nll_all_ignored_is_nan_with_zero_gradient_like_torch():
    x, tx = both(rng.standard_normal((2, 3)), "float64", requires_grad=True)
    t, tt = both(np.array([1, 1]))
    y, ty = F.nll_loss(x, t, ignore_index=1), torch.nn.functional.nll_loss(tx, tt, ignore_index=1)
    assert np.isnan(y.item()) and np.isnan(ty.item())
    y.backward()
    ty.backward()
    close(x.grad, tx.grad, TOL["float64"])


@pytest.mark.parametrize(
    "fn,tfn",
    [
        (F.mse_loss, torch.nn.functional.mse_loss),
        (F.smooth_l1_loss, torch.nn.functional.smooth_l1_loss),
        (
            lambda x, y: F.binary_cross_entropy(x.sigmoid(), y),
            lambda x, y: torch.nn.functional.binary_cross_entropy(x.sigmoid(), y),
        ),
        (
            lambda x, y: F.binary_cross_entropy_with_logits(x, y, pos_weight=cr.tensor([2.0, 0.5])),
            lambda x, y: torch.nn.functional.binary_cross_entropy_with_logits(
                x, y, pos_weight=torch.tensor([2.0, 0.5])
            ),
        ),
    ],
)
def test_second_derivatives_match_torch(fn, tfn):
    x, tx = both(rng.standard_normal((3, 2)), "float32", requires_grad=True)
    y, ty = both(rng.uniform(0, 1, (3, 2)), "float32", requires_grad=True)
    gx, gy = cr.autograd.grad(fn(x, y), (x, y), create_graph=True)
    tgx, tgy = torch.autograd.grad(tfn(tx, ty), (tx, ty), create_graph=True)
    ((gx * gx).sum() + (gx * gy).sum()).backward()
    ((tgx * tgx).sum() + (tgx * tgy).sum()).backward()
    close(x.grad, tx.grad, TOL["float32"])
    close(y.grad, ty.grad, TOL["float32"])


def test_mse_and_l1_broadcast_with_torchs_warning():
    for name in ("mse_loss", "l1_loss", "smooth_l1_loss"):
        x, tx = both(rng.standard_normal((3, 1)), "float32", requires_grad=True)
        t, tt = both(rng.standard_normal(3), "float32")
        with pytest.warns(UserWarning, match="different to the input size") as ours:
            y = getattr(F, name)(x, t)
        with pytest.warns(UserWarning) as theirs:
            ty = getattr(torch.nn.functional, name)(tx, tt)
        assert str(ours[0].message) == str(theirs[0].message)
        close(y, ty, TOL["float32"])
        y.backward()
        ty.backward()
        close(x.grad, tx.grad, TOL["float32"])


def _pairs(make):
    return (lambda: make(cr, F), lambda: make(torch, torch.nn.functional))


ERRORS = {
    "bce input out of range": lambda L, G: G.binary_cross_entropy(L.tensor([1.5]), L.tensor([1.0])),
    "bce shapes": lambda L, G: G.binary_cross_entropy(L.tensor([0.5]), L.tensor([[1.0]])),
    "bce dtypes": lambda L, G: G.binary_cross_entropy(
        L.tensor([0.5], dtype=L.float64), L.tensor([1.0])
    ),
    "bce weight requires grad": lambda L, G: G.binary_cross_entropy(
        L.tensor([0.5]), L.tensor([1.0]), weight=L.ones(1, requires_grad=True)
    ),
    "bce logits shapes": lambda L, G: G.binary_cross_entropy_with_logits(
        L.tensor([0.5]), L.tensor([[1.0]])
    ),
    "bce logits pos_weight requires grad": lambda L, G: G.binary_cross_entropy_with_logits(
        L.tensor([0.5]), L.tensor([1.0]), pos_weight=L.ones(1, requires_grad=True)
    ),
    "smooth l1 negative beta": lambda L, G: G.smooth_l1_loss(L.ones(2), L.ones(2), beta=-1.0),
    "nll weight size": lambda L, G: G.nll_loss(
        L.zeros(3, 4), L.tensor([0, 1, 2]), weight=L.ones(2)
    ),
    "nll target out of bounds": lambda L, G: G.nll_loss(L.zeros(2, 3), L.tensor([0, 3])),
    "nll float target": lambda L, G: G.nll_loss(L.zeros(2, 3), L.tensor([0.0, 1.0])),
    "nll weight requires grad": lambda L, G: G.nll_loss(
        L.zeros(2, 3), L.tensor([0, 1]), weight=L.ones(3, requires_grad=True)
    ),
    "bad reduction": lambda L, G: G.l1_loss(L.ones(2), L.ones(2), reduction="avg"),
}


@pytest.mark.parametrize("name", list(ERRORS))
def test_errors_match_torch(name):
    ours, theirs = (_error(f) for f in _pairs(ERRORS[name]))
    assert theirs is not None
    assert ours == theirs


@pytest.mark.parametrize(
    "cls", ["L1Loss", "SmoothL1Loss", "NLLLoss", "BCELoss", "BCEWithLogitsLoss"]
)
def test_legacy_reduction_flags(cls):
    for flags in (dict(size_average=False), dict(reduce=False)):
        with pytest.warns(UserWarning) as ours:
            a = getattr(nn, cls)(**flags)
        with pytest.warns(UserWarning) as theirs:
            b = getattr(torch.nn, cls)(**flags)
        assert a.reduction == b.reduction
        assert str(ours[0].message) == str(theirs[0].message)
