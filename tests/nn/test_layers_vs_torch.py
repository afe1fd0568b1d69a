"""Differential tests of layers, activations and losses: the same weights and inputs in a
chainrule module and a PyTorch module give the same outputs, losses (every reduction) and
gradients, in float32 and float64. Skipped without torch."""

import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import chainrule as cr  # noqa: E402
import chainrule.nn.functional as F  # noqa: E402
from chainrule import nn  # noqa: E402

DTYPES = ["float32", "float64"]
TOL = {"float32": dict(rtol=2e-5, atol=2e-6), "float64": dict(rtol=1e-11, atol=1e-12)}


def pair(arr, dtype, requires_grad=False):
    """The same array as a chainrule and a torch tensor (independent storage)."""
    arr = np.asarray(arr)
    if arr.dtype.kind == "f":
        arr = arr.astype(dtype)
    a = cr.tensor(arr.copy(), requires_grad=requires_grad)
    b = torch.tensor(arr.copy(), requires_grad=requires_grad)
    return a, b


def close(ours, theirs, dtype):
    assert isinstance(ours, cr.Tensor)
    assert str(ours.dtype) == str(theirs.dtype)
    assert tuple(ours.shape) == tuple(theirs.shape)
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), **TOL[dtype])


def copy_weights(ours, theirs):
    """Load chainrule module ``ours``'s state into torch module ``theirs``."""
    sd = {k: torch.tensor(v.numpy().copy()) for k, v in ours.state_dict().items()}
    theirs.load_state_dict(sd)


def build_mlp(nn, dtype):
    lib = cr if nn is not torch.nn else torch
    return nn.Sequential(
        nn.Flatten(),
        nn.Linear(6, 5, dtype=getattr(lib, dtype)),
        nn.ReLU(),
        nn.Linear(5, 4, dtype=getattr(lib, dtype)),
        nn.Tanh(),
        nn.Linear(4, 3, bias=False, dtype=getattr(lib, dtype)),
        nn.Sigmoid(),
    )


@pytest.mark.parametrize("dtype", DTYPES)
def test_mlp_forward_and_parameter_gradients(dtype):
    cr.manual_seed(0)
    ours, theirs = build_mlp(nn, dtype), build_mlp(torch.nn, dtype)
    copy_weights(ours, theirs)
    rng = np.random.default_rng(0)
    x, tx = pair(rng.standard_normal((7, 2, 3)), dtype, requires_grad=True)
    y, ty = ours(x), theirs(tx)
    close(y, ty, dtype)
    g = rng.standard_normal(y.shape).astype(dtype)
    y.backward(cr.tensor(g))
    ty.backward(torch.tensor(g))
    close(x.grad, tx.grad, dtype)
    for (n1, p1), (n2, p2) in zip(ours.named_parameters(), theirs.named_parameters(), strict=True):
        assert n1 == n2
        close(p1.grad, p2.grad, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    "build",
    [
        lambda nn: nn.Softmax(dim=1),
        lambda nn: nn.Softmax(dim=0),
        lambda nn: nn.LogSoftmax(dim=-1),
        lambda nn: nn.LogSoftmax(dim=1),
        lambda nn: nn.ReLU(),
        lambda nn: nn.Flatten(0, 1),
        lambda nn: nn.Identity(),
    ],
)
def test_activation_modules(build, dtype):
    rng = np.random.default_rng(1)
    x, tx = pair(rng.standard_normal((4, 3, 2)) * 5, dtype, requires_grad=True)
    y, ty = build(nn)(x), build(torch.nn)(tx)
    close(y, ty, dtype)
    g = rng.standard_normal(y.shape).astype(dtype)
    y.backward(cr.tensor(g))
    ty.backward(torch.tensor(g))
    close(x.grad, tx.grad, dtype)


def test_softmax_is_stable_for_huge_logits():
    x = cr.tensor([[1000.0, 0.0, -1000.0]])
    tx = torch.tensor([[1000.0, 0.0, -1000.0]])
    close(F.softmax(x, dim=1), torch.softmax(tx, dim=1), "float32")
    close(F.log_softmax(x, dim=1), torch.log_softmax(tx, dim=1), "float32")


@pytest.mark.parametrize("ndim", [1, 2, 3, 4])
def test_implicit_softmax_dim_warns_and_matches(ndim):
    shape = (2, 3, 4, 5)[:ndim]
    x, tx = pair(np.random.default_rng(2).standard_normal(shape), "float64")
    with pytest.warns(UserWarning, match="Implicit dimension choice for softmax"):
        y = nn.Softmax()(x)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ty = torch.nn.Softmax()(tx)
    close(y, ty, "float64")


def test_inplace_relu_writes_into_its_input():
    x = cr.tensor([-1.0, 2.0])
    out = nn.ReLU(inplace=True)(x)
    assert out is x and x.tolist() == [0.0, 2.0]


# ------------------------------------------------------------------- losses
REDUCTIONS = ["mean", "sum", "none"]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_mse_loss(dtype, reduction):
    rng = np.random.default_rng(3)
    a, ta = pair(rng.standard_normal((5, 2)), dtype, requires_grad=True)
    b, tb = pair(rng.standard_normal((5, 2)), dtype)
    loss = nn.MSELoss(reduction=reduction)(a, b)
    tloss = torch.nn.MSELoss(reduction=reduction)(ta, tb)
    close(loss, tloss, dtype)
    loss.sum().backward()
    tloss.sum().backward()
    close(a.grad, ta.grad, dtype)


def test_mse_loss_warns_on_broadcasting_shapes_like_torch():
    a, ta = pair(np.zeros((3, 1)), "float32")
    b, tb = pair(np.ones(3), "float32")
    with pytest.warns(UserWarning) as ours:
        loss = F.mse_loss(a, b)
    with pytest.warns(UserWarning) as theirs:
        tloss = torch.nn.functional.mse_loss(ta, tb)
    assert str(ours[0].message) == str(theirs[0].message)
    close(loss, tloss, "float32")


CE_CASES = [
    # (input shape, target shape or "probs", kwargs)
    ((6, 4), None, {}),
    ((4,), None, {}),
    ((3, 5, 2, 2), None, {}),
    ((6, 4), None, {"weight": [1.0, 2.0, 0.5, 3.0]}),
    ((6, 4), None, {"ignore_index": 1}),
    ((6, 4), None, {"ignore_index": 1, "weight": [1.0, 2.0, 0.5, 3.0]}),
    ((6, 4), None, {"label_smoothing": 0.2}),
    ((6, 4), None, {"label_smoothing": 0.1, "weight": [1.0, 2.0, 0.5, 3.0], "ignore_index": 2}),
    ((3, 5, 2), None, {"label_smoothing": 0.3, "ignore_index": 0}),
    ((6, 4), "probs", {}),
    ((6, 4), "probs", {"weight": [1.0, 2.0, 0.5, 3.0], "label_smoothing": 0.2}),
    ((3, 4, 2), "probs", {}),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shape,kind,kwargs", CE_CASES)
def test_cross_entropy(shape, kind, kwargs, reduction, dtype):
    rng = np.random.default_rng(4)
    x, tx = pair(rng.standard_normal(shape) * 3, dtype, requires_grad=True)
    cdim = 0 if len(shape) == 1 else 1
    if kind == "probs":
        p = rng.random(shape)
        y, ty = pair(p / p.sum(axis=cdim, keepdims=True), dtype)
    else:
        tshape = shape[:cdim] + shape[cdim + 1 :]
        y, ty = pair(rng.integers(0, shape[cdim], tshape), dtype)
    kw, tkw = dict(kwargs), dict(kwargs)
    if "weight" in kwargs:
        kw["weight"], tkw["weight"] = pair(kwargs["weight"], dtype)
    loss = nn.CrossEntropyLoss(reduction=reduction, **kw)(x, y)
    tloss = torch.nn.CrossEntropyLoss(reduction=reduction, **tkw)(tx, ty)
    close(loss, tloss, dtype)
    g = rng.standard_normal(tuple(loss.shape)).astype(dtype)
    loss.backward(cr.tensor(g))
    tloss.backward(torch.tensor(g))
    close(x.grad, tx.grad, dtype)


def test_cross_entropy_is_stable_for_huge_logits():
    x, tx = pair([[1000.0, 0.0], [0.0, -1000.0], [50.0, 50.0]], "float32", requires_grad=True)
    y, ty = pair([1, 1, 0], "float32")
    loss, tloss = F.cross_entropy(x, y), torch.nn.functional.cross_entropy(tx, ty)
    close(loss, tloss, "float32")
    loss.backward()
    tloss.backward()
    close(x.grad, tx.grad, "float32")
    assert np.isfinite(x.grad.numpy()).all()


def test_cross_entropy_all_targets_ignored_gives_nan_like_torch():
    x, tx = pair(np.zeros((3, 4)), "float32")
    y, ty = pair([-100, -100, -100], "float32")
    with warnings.catch_warnings():
        # chainrule silences NumPy's 0/0 warning by a filter set at import, which pytest resets
        warnings.simplefilter("ignore", RuntimeWarning)
        loss = F.cross_entropy(x, y)
    assert np.isnan(loss.item()) and np.isnan(torch.nn.functional.cross_entropy(tx, ty).item())


def _error(fn):
    try:
        fn()
    except Exception as e:  # noqa: BLE001 - the exception is the result compared
        return type(e).__name__, str(e)
    return None


@pytest.mark.parametrize(
    "target",
    [[0, 1, 5], [0, 1, -1], [0.0, 1.0, 1.0], [0, 1], [[0, 1, 2]], ("int32", [0, 1, 2])],
)
def test_cross_entropy_target_errors_match_torch(target):
    if isinstance(target, tuple):
        y = cr.tensor(target[1], dtype=cr.int32)
        ty = torch.tensor(target[1], dtype=torch.int32)
    else:
        y, ty = cr.tensor(target), torch.tensor(target)
    ours = _error(lambda: F.cross_entropy(cr.zeros(3, 4), y))
    theirs = _error(lambda: torch.nn.functional.cross_entropy(torch.zeros(3, 4), ty))
    assert ours is not None and ours == theirs


def test_bad_reduction_matches_torch():
    ours = _error(lambda: F.mse_loss(cr.zeros(2), cr.zeros(2), reduction="avg"))
    theirs = _error(
        lambda: torch.nn.functional.mse_loss(torch.zeros(2), torch.zeros(2), reduction="avg")
    )
    assert ours == theirs


def test_legacy_reduction_flags():
    with pytest.warns(UserWarning, match="reduction='sum'"):
        assert nn.MSELoss(size_average=False).reduction == "sum"
    with pytest.warns(UserWarning, match="reduction='none'"):
        assert nn.CrossEntropyLoss(reduce=False).reduction == "none"


# ---------------------------------------------------------- gradcheck (no torch math)
@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"reduction": "none"},
        {"reduction": "sum", "ignore_index": 2},
        {"weight": "w", "label_smoothing": 0.25},
    ],
)
def test_cross_entropy_gradcheck(kwargs):
    from chainrule.autograd import gradcheck

    cr.manual_seed(5)
    x = cr.randn(5, 4, dtype=cr.float64, requires_grad=True)
    y = cr.tensor([0, 2, 3, 1, 2])
    kw = dict(kwargs)
    if kw.get("weight") == "w":
        kw["weight"] = cr.tensor([0.5, 1.0, 2.0, 1.5], dtype=cr.float64)
    assert gradcheck(lambda x: F.cross_entropy(x, y, **kw), (x,))


def test_softmax_and_linear_gradcheck():
    from chainrule.autograd import gradcheck

    cr.manual_seed(6)
    x = cr.randn(3, 4, dtype=cr.float64, requires_grad=True)
    w = cr.randn(2, 4, dtype=cr.float64, requires_grad=True)
    b = cr.randn(2, dtype=cr.float64, requires_grad=True)
    assert gradcheck(lambda x, w, b: F.softmax(F.linear(x, w, b), dim=1), (x, w, b))
    assert gradcheck(lambda x: F.log_softmax(x, dim=0), (x,))


@pytest.mark.parametrize(
    "shape,layout",
    [((3,), "c"), ((2, 3), "c"), ((5, 2, 3), "c"), ((5, 2, 3), "t"),
     ((5, 2, 2, 3), "c"), ((0, 3), "c"), ((5, 0, 3), "c")],
)  # fmt: skip
@pytest.mark.parametrize("bias", [True, False])
def test_linear_dispatch_like_torch(shape, layout, bias):
    """F.linear as PyTorch dispatches it: with a bias one addmm (a contiguous batch folded
    into rows and viewed back; a strided batch a matmul and an add), without one a matmul:
    the same values, gradients and grad_fn names."""
    rng = np.random.default_rng(3)
    a, w, b = rng.standard_normal(shape), rng.standard_normal((4, 3)), rng.standard_normal(4)
    got = []
    for lib, f in ((cr, F), (torch, torch.nn.functional)):
        x = lib.tensor(a if layout == "c" else np.ascontiguousarray(np.swapaxes(a, 0, -2)))
        x = x if layout == "c" else x.transpose(0, -2)
        x.requires_grad_()
        wt, bt = lib.tensor(w, requires_grad=True), lib.tensor(b, requires_grad=True)
        out = f.linear(x, wt, bt if bias else None)
        out.backward(lib.ones_like(out))
        grads = [t.grad.numpy() for t in ((x, wt, bt) if bias else (x, wt))]
        got.append((type(out.grad_fn).__name__, tuple(out.shape), out.detach().numpy(), grads))
    (n1, s1, v1, g1), (n2, s2, v2, g2) = got
    assert (n1, s1) == (n2, s2)
    np.testing.assert_allclose(v1, v2, rtol=1e-12, atol=1e-12)
    for p, q in zip(g1, g2, strict=True):
        np.testing.assert_allclose(p, q, rtol=1e-12, atol=1e-12)


def test_linear_dtype_errors_like_torch():
    for x, w, b in [("float32", "float32", "float64"), ("float32", "float64", "float32")]:
        msgs = []
        for lib in (cr, torch):
            args = [lib.ones(2, 3, dtype=getattr(lib, x)), lib.ones(4, 3, dtype=getattr(lib, w))]
            with pytest.raises(RuntimeError) as e:
                lib.nn.functional.linear(*args, lib.ones(4, dtype=getattr(lib, b)))
            msgs.append(str(e.value))
        assert msgs[0] == msgs[1]
