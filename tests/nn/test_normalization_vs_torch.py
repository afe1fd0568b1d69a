"""LayerNorm, BatchNorm1d/2d (and lazy forms), F.layer_norm and F.batch_norm against
PyTorch: outputs, gradients of input and parameters, running statistics over several
steps (momentum and momentum=None), train/eval, reprs, state_dict keys, errors.
Skipped without torch."""

import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import chainrule as cr  # noqa: E402
import chainrule.nn.functional as F  # noqa: E402
from chainrule import nn  # noqa: E402

TOL = {"float32": dict(rtol=1e-4, atol=2e-5), "float64": dict(rtol=1e-10, atol=1e-11)}
rng = np.random.default_rng(0)


def close(a, b, tol):
    assert str(a.dtype) == str(b.dtype)
    assert tuple(a.shape) == tuple(b.shape)
    np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), **tol)


def randomize(ours, theirs):
    """Random parameters in ours, copied with the buffers into theirs."""
    for p in ours.parameters():
        with cr.no_grad():  # (through copy_: the array backend may not be NumPy's)
            p.copy_(cr.tensor(rng.standard_normal(p.shape), dtype=p.dtype))
    theirs.load_state_dict(
        {k: torch.tensor(v.numpy().copy()) for k, v in ours.state_dict().items()}
    )


def _error(fn):
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fn()
    except Exception as e:  # noqa: BLE001 - the type and the text are what is compared
        return type(e), str(e)
    return None


def step(ours, theirs, shape, dtype, tol):
    """One forward and backward through both; outputs and every gradient compared."""
    x = rng.standard_normal(shape).astype(dtype) * 2 + 0.5
    a, ta = cr.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    y, ty = ours(a), theirs(ta)
    assert type(y.grad_fn).__name__ == type(ty.grad_fn).__name__
    close(y, ty, tol)
    g = rng.standard_normal(y.shape).astype(dtype)
    y.backward(cr.tensor(g))
    ty.backward(torch.tensor(g))
    close(a.grad, ta.grad, tol)
    named = dict(theirs.named_parameters())
    for name, p in ours.named_parameters():
        close(p.grad, named[name].grad, tol)


def same_state(ours, theirs, tol):
    sd, tsd = ours.state_dict(), theirs.state_dict()
    assert list(sd) == list(tsd)
    for k in sd:
        close(sd[k], tsd[k], tol)


LAYER_NORMS = [
    ((4, 5), lambda m, dt: m.LayerNorm(5, dtype=dt)),
    ((2, 3, 4), lambda m, dt: m.LayerNorm((3, 4), eps=1e-3, dtype=dt)),
    ((2, 3, 4), lambda m, dt: m.LayerNorm([4], elementwise_affine=False, dtype=dt)),
    ((3, 4), lambda m, dt: m.LayerNorm(4, bias=False, dtype=dt)),
    ((6,), lambda m, dt: m.LayerNorm(6, dtype=dt)),
]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("shape,build", LAYER_NORMS)
def test_layer_norm(shape, build, dtype):
    ours, theirs = build(nn, getattr(cr, dtype)), build(torch.nn, getattr(torch, dtype))
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    randomize(ours, theirs)
    step(ours, theirs, shape, dtype, TOL[dtype])


def test_layer_norm_second_derivative_matches_torch():
    x = rng.standard_normal((3, 4))
    w, b = rng.standard_normal(4), rng.standard_normal(4)
    ours = [cr.tensor(v, requires_grad=True) for v in (x, w, b)]
    theirs = [torch.tensor(v, requires_grad=True) for v in (x, w, b)]
    gs = cr.autograd.grad(
        (F.layer_norm(ours[0], (4,), ours[1], ours[2]) ** 3).sum(), ours, create_graph=True
    )
    tgs = torch.autograd.grad(
        (torch.nn.functional.layer_norm(theirs[0], (4,), theirs[1], theirs[2]) ** 3).sum(),
        theirs,
        create_graph=True,
    )
    sum((g * g).sum() for g in gs).backward()
    sum((g * g).sum() for g in tgs).backward()
    for a, b in zip(ours, theirs, strict=True):
        close(a.grad, b.grad, TOL["float64"])


BATCH_NORMS = [
    ((8, 3), lambda m, dt: m.BatchNorm1d(3, dtype=dt)),
    ((5, 3, 4), lambda m, dt: m.BatchNorm1d(3, momentum=0.3, dtype=dt)),
    ((6, 2), lambda m, dt: m.BatchNorm1d(2, momentum=None, dtype=dt)),
    ((6, 2), lambda m, dt: m.BatchNorm1d(2, affine=False, eps=1e-3, dtype=dt)),
    ((6, 2), lambda m, dt: m.BatchNorm1d(2, bias=False, dtype=dt)),
    ((6, 2), lambda m, dt: m.BatchNorm1d(2, track_running_stats=False, dtype=dt)),
    ((4, 3, 2, 5), lambda m, dt: m.BatchNorm2d(3, dtype=dt)),
    ((2, 2, 3, 3), lambda m, dt: m.BatchNorm2d(2, momentum=None, affine=False, dtype=dt)),
    ((2, 2, 3, 3), lambda m, dt: m.BatchNorm2d(2, track_running_stats=False, dtype=dt)),
]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("shape,build", BATCH_NORMS)
def test_batch_norm_train_then_eval(shape, build, dtype):
    ours, theirs = build(nn, getattr(cr, dtype)), build(torch.nn, getattr(torch, dtype))
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert [n for n, _ in ours.named_buffers()] == [n for n, _ in theirs.named_buffers()]
    randomize(ours, theirs)
    tol = TOL[dtype]
    for _ in range(3):
        step(ours, theirs, shape, dtype, tol)
        same_state(ours, theirs, tol)
    ours.eval()
    theirs.eval()
    step(ours, theirs, shape, dtype, tol)
    same_state(ours, theirs, tol)  # evaluation leaves the statistics alone


def test_num_batches_tracked_and_reset():
    bn = nn.BatchNorm1d(2)
    for _ in range(3):
        bn(cr.randn(4, 2))
    assert bn.num_batches_tracked.item() == 3
    assert str(bn.num_batches_tracked.dtype) == "torch.int64"
    bn.reset_running_stats()
    assert bn.num_batches_tracked.item() == 0
    np.testing.assert_array_equal(bn.running_var.numpy(), np.ones(2, np.float32))


def test_functional_batch_norm_matches_torch():
    x = rng.standard_normal((5, 3, 2))
    rm, rv = rng.standard_normal(3), rng.uniform(0.5, 2, 3)
    for training in (True, False):
        a, ta = cr.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        m, tm = cr.tensor(rm.copy()), torch.tensor(rm.copy())
        v, tv = cr.tensor(rv.copy()), torch.tensor(rv.copy())
        y = F.batch_norm(a, m, v, training=training, momentum=0.2, eps=1e-3)
        ty = torch.nn.functional.batch_norm(ta, tm, tv, training=training, momentum=0.2, eps=1e-3)
        close(y, ty, TOL["float64"])
        close(m, tm, TOL["float64"])
        close(v, tv, TOL["float64"])
        y.sum().backward()
        ty.sum().backward()
        close(a.grad, ta.grad, TOL["float64"])


def test_lazy_batch_norm():
    for lazy, shape in (("LazyBatchNorm1d", (4, 3)), ("LazyBatchNorm2d", (2, 3, 2, 2))):
        ours, theirs = getattr(nn, lazy)(), getattr(torch.nn, lazy)()
        assert repr(ours) == repr(theirs)
        params = list(ours.parameters())
        x = rng.standard_normal(shape).astype(np.float32)
        close(ours(cr.tensor(x)), theirs(torch.tensor(x)), TOL["float32"])
        assert repr(ours) == repr(theirs)
        assert type(ours).__name__ == type(theirs).__name__
        assert all(p is q for p, q in zip(params, ours.parameters(), strict=True))
        same_state(ours, theirs, TOL["float32"])


ERRORS = {
    "layer norm shape": lambda L, m, G: m.LayerNorm(4)(L.zeros(4, 3)),
    "layer norm shape 2": lambda L, m, G: G.layer_norm(L.zeros(2, 3), (3, 2)),
    "bn1d 4d": lambda L, m, G: m.BatchNorm1d(3)(L.zeros(2, 3, 4, 5)),
    "bn2d 2d": lambda L, m, G: m.BatchNorm2d(3)(L.zeros(2, 3)),
    "one value per channel": lambda L, m, G: m.BatchNorm1d(3)(L.zeros(1, 3)),
    "channels": lambda L, m, G: m.BatchNorm1d(4)(L.zeros(2, 3)),
    "eval without stats": lambda L, m, G: G.batch_norm(L.zeros(2, 3), None, None),
}


@pytest.mark.parametrize("name", list(ERRORS))
def test_errors_match_torch(name):
    ours = _error(lambda: ERRORS[name](cr, nn, F))
    theirs = _error(lambda: ERRORS[name](torch, torch.nn, torch.nn.functional))
    assert theirs is not None
    assert ours == theirs
