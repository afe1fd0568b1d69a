"""GELU, LeakyReLU, ELU, Softplus (modules and functional forms) and F.one_hot against
PyTorch: values, input gradients, grad_fn names, reprs and errors. Skipped without torch."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import chainrule as cr  # noqa: E402
import chainrule.nn.functional as F  # noqa: E402
from chainrule import nn  # noqa: E402

TOL = {"float32": dict(rtol=2e-6, atol=2e-7), "float64": dict(rtol=1e-12, atol=1e-14)}
# kinks, thresholds and large magnitudes, beside ordinary values
EDGES = [-40.0, -3.0, -1.0, -1e-3, 0.0, 1e-3, 0.5, 1.0, 2.5, 10.0, 19.99, 20.0, 20.01, 90.0]


def _values(dtype):
    rng = np.random.default_rng(0)
    return np.concatenate([np.array(EDGES), rng.standard_normal(30) * 3]).astype(dtype)


def _error(fn):
    try:
        fn()
    except Exception as e:  # noqa: BLE001 - the type and the text are what is compared
        return type(e), str(e)
    return None


ACTS = [
    ("GELU()", lambda m: m.GELU(), "GeluBackward0"),
    ("GELU(tanh)", lambda m: m.GELU(approximate="tanh"), "GeluBackward0"),
    ("LeakyReLU()", lambda m: m.LeakyReLU(), "LeakyReluBackward0"),
    ("LeakyReLU(0.3)", lambda m: m.LeakyReLU(0.3), "LeakyReluBackward0"),
    ("LeakyReLU(-0.5)", lambda m: m.LeakyReLU(-0.5), "LeakyReluBackward0"),
    ("ELU()", lambda m: m.ELU(), "EluBackward0"),
    ("ELU(0.5)", lambda m: m.ELU(alpha=0.5), "EluBackward0"),
    ("Softplus()", lambda m: m.Softplus(), "SoftplusBackward0"),
    ("Softplus(2, 5)", lambda m: m.Softplus(beta=2.0, threshold=5.0), "SoftplusBackward0"),
    ("Softplus(0.5)", lambda m: m.Softplus(beta=0.5), "SoftplusBackward0"),
]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("label,build,grad_fn", ACTS, ids=[a[0] for a in ACTS])
def test_activation_values_gradients_and_names(label, build, grad_fn, dtype):
    v = _values(dtype)
    g = np.random.default_rng(1).standard_normal(v.shape).astype(dtype)
    ours, theirs = build(nn), build(torch.nn)
    assert repr(ours) == repr(theirs)
    x = cr.tensor(v.copy(), requires_grad=True)
    tx = torch.tensor(v.copy(), requires_grad=True)
    y, ty = ours(x), theirs(tx)
    assert type(y.grad_fn).__name__ == grad_fn == type(ty.grad_fn).__name__
    assert str(y.dtype) == str(ty.dtype)
    tol = TOL[dtype]
    if label.startswith("GELU") and dtype == "float32":
        # 1 + erf(x / sqrt 2) cancels in float32 for x < -2: a ulp of erf (SciPy's against
        # PyTorch's) becomes ~1e-4 relative there; chainrule's is the closer to exact
        tol = dict(rtol=2e-6, atol=1e-6)
    np.testing.assert_allclose(y.detach().numpy(), ty.detach().numpy(), **tol)
    y.backward(cr.tensor(g))
    ty.backward(torch.tensor(g))
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), **tol)


@pytest.mark.parametrize(
    "name,kw,grad_fn",
    [
        ("leaky_relu", dict(negative_slope=0.2), "LeakyReluBackward1"),
        ("elu", dict(alpha=0.8), "EluBackward1"),
    ],
)
def test_inplace_forms_write_their_input(name, kw, grad_fn):
    v = _values("float64")
    leaf, tleaf = cr.tensor(v, requires_grad=True), torch.tensor(v, requires_grad=True)
    x, tx = leaf * 1.0, tleaf * 1.0
    y = getattr(F, name)(x, inplace=True, **kw)
    ty = getattr(torch.nn.functional, name)(tx, inplace=True, **kw)
    assert y is x and ty is tx
    assert type(y.grad_fn).__name__ == grad_fn == type(ty.grad_fn).__name__
    np.testing.assert_allclose(x.detach().numpy(), tx.detach().numpy(), rtol=1e-12)
    (y * y).sum().backward()
    (ty * ty).sum().backward()
    np.testing.assert_allclose(leaf.grad.numpy(), tleaf.grad.numpy(), rtol=1e-12)


def test_module_inplace_reprs():
    for m in (lambda nn: nn.LeakyReLU(0.2, inplace=True), lambda nn: nn.ELU(0.5, True)):
        assert repr(m(nn)) == repr(m(torch.nn))


def test_second_derivatives_match_torch():
    # (without x = 20.0, softplus's threshold itself: there PyTorch's second derivative
    # is 0, chainrule's the smooth side's sigmoid'(20) = 2e-9)
    v = np.delete(_values("float64"), EDGES.index(20.0))
    for f, tf in [
        (F.gelu, torch.nn.functional.gelu),
        (lambda x: F.gelu(x, "tanh"), lambda x: torch.nn.functional.gelu(x, approximate="tanh")),
        (F.elu, torch.nn.functional.elu),
        (F.softplus, torch.nn.functional.softplus),
    ]:
        x, tx = cr.tensor(v, requires_grad=True), torch.tensor(v, requires_grad=True)
        (g,) = cr.autograd.grad(f(x).sum(), x, create_graph=True)
        (tg,) = torch.autograd.grad(tf(tx).sum(), tx, create_graph=True)
        g.sum().backward()
        tg.sum().backward()
        np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_erf_matches_torch():
    v = _values("float32")
    np.testing.assert_allclose(
        cr.erf(cr.tensor(v)).numpy(), torch.erf(torch.tensor(v)).numpy(), rtol=1e-6, atol=1e-7
    )


def test_gelu_bad_approximate_errors_like_torch():
    ours = _error(lambda: F.gelu(cr.ones(2), approximate="x"))
    theirs = _error(lambda: torch.nn.functional.gelu(torch.ones(2), approximate="x"))
    assert ours == theirs


@pytest.mark.parametrize(
    "values,num_classes",
    [([0, 2, 1], -1), ([0, 2, 1], 5), ([[1, 0], [3, 3]], -1), ([], 4), (5, -1)],
)
def test_one_hot_matches_torch(values, num_classes):
    a = np.array(values, dtype=np.int64)
    ours = F.one_hot(cr.tensor(a), num_classes)
    theirs = torch.nn.functional.one_hot(torch.tensor(a), num_classes)
    assert str(ours.dtype) == str(theirs.dtype)
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


@pytest.mark.parametrize(
    "make,num_classes",
    [
        (lambda lib: lib.tensor([1.0]), -1),
        (lambda lib: lib.tensor([1], dtype=lib.int32), -1),
        (lambda lib: lib.tensor([-1]), -1),
        (lambda lib: lib.tensor([3]), 3),
        (lambda lib: lib.tensor([], dtype=lib.int64), -1),
        (lambda lib: lib.tensor([1]), -2),
    ],
)
def test_one_hot_errors_match_torch(make, num_classes):
    ours = _error(lambda: F.one_hot(make(cr), num_classes))
    theirs = _error(lambda: torch.nn.functional.one_hot(make(torch), num_classes))
    assert ours == theirs and ours is not None


def test_inplace_leaky_relu_with_negative_slope_refuses_backward_like_torch():
    ours_x, theirs_x = (
        cr.tensor([1.0, -2.0], requires_grad=True),
        torch.tensor([1.0, -2.0], requires_grad=True),
    )
    y = F.leaky_relu(ours_x * 1, -0.1, inplace=True)
    ty = torch.nn.functional.leaky_relu(theirs_x * 1, -0.1, inplace=True)
    np.testing.assert_allclose(y.detach().numpy(), ty.detach().numpy())
    assert _error(lambda: y.sum().backward()) == _error(lambda: ty.sum().backward())
