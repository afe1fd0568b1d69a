"""sinh, cosh, asin, acos, atan, asinh, acosh, atanh and atan2 against PyTorch on the values
where they are delicate: 0 (signed), +-1 (the edges of asin, acos, atanh, acosh), values
outside a domain (NaN), +-inf, NaN, empty and 0-d tensors, integer and bool inputs (the
default float dtype), float16/float64; the gradients there (inf at an edge, NaN outside,
0 for atan2 at the origin, with PyTorch's signs of zero); grad_fn names, the NumPy-named
aliases, the in-place forms and the errors.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import chainrule as cr
import chainrule.autograd.forward_ad as cr_fwad

torch = pytest.importorskip("torch")

UNARY = ["sinh", "cosh", "asin", "acos", "atan", "asinh", "acosh", "atanh"]
ALIASES = {
    "arcsin": "asin",
    "arccos": "acos",
    "arctan": "atan",
    "arcsinh": "asinh",
    "arccosh": "acosh",
    "arctanh": "atanh",
    "arctan2": "atan2",
}
INF, NAN = float("inf"), float("nan")
EDGES = [0.0, -0.0, 1.0, -1.0, 0.5, -0.5, 2.0, -2.0, 1e-30, 30.0, -800.0, INF, -INF, NAN]
# (NumPy and PyTorch's float kernels may differ in the last bits: a few ulp)
ULP = {np.float16: 2e-3, np.float32: 2e-6, np.float64: 1e-13}


def same_values(a, b, rtol):
    """Equal up to rtol, with NaN where NaN, inf where inf (signed) and 0's sign."""
    a, b = np.asarray(a), np.asarray(b)
    assert a.dtype == b.dtype and a.shape == b.shape, (a.dtype, b.dtype, a.shape, b.shape)
    np.testing.assert_array_equal(np.isnan(a), np.isnan(b))
    np.testing.assert_array_equal(np.isinf(a), np.isinf(b))
    np.testing.assert_allclose(a, b, rtol=rtol, atol=0, equal_nan=True)
    zeros = b == 0
    np.testing.assert_array_equal(np.signbit(a[zeros]), np.signbit(b[zeros]))


def run(lib, name, *arrays, grad=None):
    """(value, gradients) of lib.<name> on float arrays (gradients of sum(g * out))."""
    xs = [lib.tensor(a, requires_grad=a.dtype.kind == "f") for a in arrays]
    out = getattr(lib, name)(*xs)
    grads = []
    if out.requires_grad:
        g = np.ones(out.shape, out.detach().numpy().dtype) if grad is None else grad
        out.backward(lib.tensor(g))
        grads = [x.grad.numpy() for x in xs]
    return out.detach().numpy(), grads, out


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
@pytest.mark.parametrize("name", UNARY)
def test_unary_at_the_edges(name, dtype):
    x = np.array(EDGES, dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no NumPy RuntimeWarning reaches the user
        ours, (g_ours,), out = run(cr, name, x)
    theirs, (g_theirs,), tout = run(torch, name, x)
    same_values(ours, theirs, ULP[dtype])
    same_values(g_ours, g_theirs, ULP[dtype])
    assert type(out.grad_fn).__name__ == type(tout.grad_fn).__name__
    assert out.grad_fn.name() == f"{name.capitalize()}Backward0"


@pytest.mark.parametrize("name", UNARY)
def test_unary_with_a_zero_gradient_at_the_edges(name):
    # 0 * inf is NaN where the derivative is infinite, as in PyTorch
    x = np.array([-2.0, -1.0, 0.0, 1.0, 2.0, INF, NAN])
    g = np.zeros_like(x)
    (ours, (g_ours,), _), (theirs, (g_theirs,), _) = (run(m, name, x, grad=g) for m in (cr, torch))
    same_values(g_ours, g_theirs, 1e-13)


@pytest.mark.parametrize(
    "data",
    [[0, 1, -1, 2, 5], [True, False]],
    ids=["int64", "bool"],
)
@pytest.mark.parametrize("name", UNARY)
def test_integer_and_bool_inputs_give_float32(name, data):
    ours, theirs = getattr(cr, name)(cr.tensor(data)), getattr(torch, name)(torch.tensor(data))
    assert ours.dtype == cr.float32 and theirs.dtype == torch.float32
    same_values(ours.numpy(), theirs.numpy(), 2e-6)
    i32 = np.array(data, np.int32) if isinstance(data[0], int) and data[0] is not True else None
    if i32 is not None:
        ours = getattr(cr, name)(cr.from_numpy(i32))
        same_values(ours.numpy(), getattr(torch, name)(torch.from_numpy(i32)).numpy(), 2e-6)


@pytest.mark.parametrize("name", UNARY)
def test_empty_and_0d(name):
    for shape in [(0,), (2, 0), ()]:
        x = np.full(shape, 0.5)
        ours, theirs = getattr(cr, name)(cr.tensor(x)), getattr(torch, name)(torch.tensor(x))
        assert tuple(ours.shape) == tuple(theirs.shape) and ours.dtype == cr.float64
        same_values(ours.numpy(), theirs.numpy(), 1e-13)
    x = cr.tensor(0.5, requires_grad=True)
    getattr(cr, name)(x).backward()
    t = torch.tensor(0.5, requires_grad=True)
    getattr(torch, name)(t).backward()
    same_values(x.grad.numpy(), t.grad.numpy(), 1e-6)


def test_the_default_dtype_is_followed():
    cr.set_default_dtype(cr.float64)
    try:
        assert cr.asin(cr.tensor([0, 1])).dtype == cr.float64
        assert cr.atan2(cr.tensor([1]), cr.tensor([2])).dtype == cr.float64
    finally:
        cr.set_default_dtype(cr.float32)


@pytest.mark.parametrize("alias,name", list(ALIASES.items()))
def test_aliases(alias, name):
    assert hasattr(torch, alias) and hasattr(torch.Tensor, alias)  # (they are PyTorch's)
    x = cr.tensor([1.25, 2.5] if name == "acosh" else [0.25, -0.5], requires_grad=True)
    args = (x, cr.tensor([1.0, -2.0])) if name == "atan2" else (x,)
    r, expect = getattr(cr, alias)(*args), getattr(cr, name)(*args)
    assert cr.equal(r, expect)
    assert type(r.grad_fn).__name__ == type(expect.grad_fn).__name__
    assert cr.equal(getattr(x, alias)(*args[1:]), expect)  # the Tensor method
    y = x.detach().clone()
    assert getattr(y, alias + "_")(*args[1:]) is y and cr.equal(y, expect.detach())


NO_DERIVATIVE_IN_PLACE = ["asinh", "acosh", "atanh"]  # PyTorch's AsinhBackward1, ... raise


@pytest.mark.parametrize("name", [n for n in UNARY if n not in NO_DERIVATIVE_IN_PLACE] + ["atan2"])
def test_in_place(name):
    other = [np.array([1.0, -2.0, 0.5])] if name == "atan2" else []
    x = np.array([0.25, -0.5, 0.75])
    results = []
    for m in (cr, torch):
        leaf = m.tensor(x, requires_grad=True)
        y = leaf * 1.0
        r = getattr(y, name + "_")(*(m.tensor(o) for o in other))
        assert r is y
        r.sum().backward()
        results.append((y.detach().numpy(), leaf.grad.numpy(), type(y.grad_fn).__name__))
    same_values(results[0][0], results[1][0], 1e-13)
    same_values(results[0][1], results[1][1], 1e-13)
    assert results[0][2] == results[1][2]


@pytest.mark.parametrize("alias", [False, True])
@pytest.mark.parametrize("name", NO_DERIVATIVE_IN_PLACE)
def test_in_place_without_a_derivative_as_torch(name, alias):
    method = ("arc" + name[1:] if alias else name) + "_"
    x = np.array([1.25, 1.5]) if name == "acosh" else np.array([0.25, -0.5])
    seen = []
    for m, fwad in ((cr, cr_fwad), (torch, torch.autograd.forward_ad)):
        y = m.tensor(x, requires_grad=True) * 1.0
        r = getattr(y, method)()
        assert r is y and r.requires_grad
        with pytest.raises(NotImplementedError) as e:
            r.sum().backward()
        with fwad.dual_level():
            d = fwad.make_dual(m.tensor(x), m.tensor(np.ones(2)))
            with pytest.raises(NotImplementedError) as f:
                getattr(d, method)()
        plain = m.tensor(x)
        getattr(plain, method)()  # without history it just computes
        seen.append((type(y.grad_fn).__name__, str(e.value), str(f.value), plain.numpy()))
    assert seen[0][:3] == seen[1][:3]
    assert seen[0][0] == f"{name.capitalize()}Backward1"
    same_values(seen[0][3], seen[1][3], 1e-13)


@pytest.mark.parametrize("name", UNARY + ["atan2"])
def test_in_place_on_an_integer_tensor_is_refused(name):
    msgs = []
    for m in (cr, torch):
        x = m.tensor([1, 2])
        args = (m.tensor([1.0, 2.0]),) if name == "atan2" else ()
        with pytest.raises(RuntimeError) as e:
            getattr(x, name + "_")(*args)
        msgs.append(str(e.value))
    assert msgs[0] == msgs[1] == "result type Float can't be cast to the desired output type Long"


# --------------------------------------------------------------------------------- atan2


def test_atan2_at_the_origin_and_on_the_axes():
    # signed zeros pick the quadrant; both gradients are 0 at the origin (PyTorch's mask),
    # with PyTorch's signs of zero
    z = [0.0, -0.0]
    y = np.array([a for a in z + [1.0, -1.0, INF, -INF, NAN] for _ in range(7)])
    x = np.array([b for _ in range(7) for b in z + [1.0, -1.0, INF, -INF, NAN]])
    ours, g_ours, out = run(cr, "atan2", y, x)
    theirs, g_theirs, tout = run(torch, "atan2", y, x)
    same_values(ours, theirs, 1e-15)
    for a, b in zip(g_ours, g_theirs, strict=True):
        same_values(a, b, 1e-15)
    assert g_ours[0][0] == 0 and g_ours[1][0] == 0  # at (0, 0)
    assert out.grad_fn.name() == tout.grad_fn.name() == "Atan2Backward0"


@pytest.mark.parametrize(
    "dy,dx",
    [
        ("int64", "int64"),
        ("int32", "int64"),
        ("bool", "bool"),
        ("int64", "float64"),
        ("float32", "float64"),
        ("float16", "float16"),
        ("float16", "float32"),
        ("int32", "float16"),
        ("uint8", "int8"),
    ],
)
def test_atan2_promotes_as_torch(dy, dx):
    y, x = np.array([1, 0, 3]).astype(dy), np.array([2, 1, 0]).astype(dx)
    ours = cr.atan2(cr.from_numpy(y), cr.from_numpy(x))
    theirs = torch.atan2(torch.from_numpy(y), torch.from_numpy(x))
    assert str(ours.dtype) == str(theirs.dtype)
    same_values(ours.numpy(), theirs.numpy(), 1e-3 if "float16" in (dy, dx) else 1e-6)


def test_atan2_0d_operand_keeps_the_tensors_dtype():
    y = torch.tensor([1.0, 2.0], dtype=torch.float16)
    ours = cr.atan2(cr.tensor([1.0, 2.0], dtype=cr.float16), cr.tensor(1.0))
    assert str(ours.dtype) == str(torch.atan2(y, torch.tensor(1.0)).dtype) == "torch.float16"


@pytest.mark.parametrize("sy,sx", [((3, 1), (1, 4)), ((), (2, 3)), ((2, 3), (3,)), ((0, 1), (3,))])
def test_atan2_broadcasts_and_sums_gradients_back(sy, sx):
    rng = np.random.default_rng(0)
    y, x = rng.uniform(0.5, 2, sy), rng.uniform(-2, -0.5, sx)
    (ours, g_ours, _), (theirs, g_theirs, _) = (run(m, "atan2", y, x) for m in (cr, torch))
    same_values(ours, theirs, 1e-13)
    for a, b in zip(g_ours, g_theirs, strict=True):
        same_values(a, b, 1e-13)


def test_atan2_in_place_keeps_selfs_dtype_and_shape():
    for m in (cr, torch):
        y = m.tensor([1.0, 2.0])
        assert y.atan2_(m.tensor([1.0, 2.0], dtype=m.float64)).dtype == m.float32
        y.atan2_(m.tensor([1, 2]))
        assert y.dtype == m.float32
    msgs = []
    for m in (cr, torch):
        with pytest.raises(RuntimeError) as e:
            m.tensor([1.0, 2.0]).atan2_(m.tensor([[1.0], [2.0]]))
        msgs.append(str(e.value))
    assert msgs[0] == msgs[1]


@pytest.mark.parametrize(
    "call",
    [
        lambda m: m.atan2(m.tensor([1.0]), 2.0),
        lambda m: m.atan2(2.0, m.tensor([1.0])),
        lambda m: m.arctan2(m.tensor([1.0]), 2),
        lambda m: m.atan2(m.tensor([1.0]), None),
        lambda m: m.tensor([1.0]).atan2(2.0),
        lambda m: m.tensor([1.0]).arctan2(2.0),
        lambda m: m.tensor([1.0]).atan2_(2.0),
        lambda m: m.tensor([1.0]).arctan2_(2.0),
        lambda m: m.atan2(m.tensor([1.0, 2.0]), m.tensor([1.0, 2.0, 3.0])),
    ],
)
def test_atan2_errors_as_torch(call):
    errors = []
    for m in (cr, torch):
        with pytest.raises(Exception) as e:  # noqa: B017 - compared with torch's below
            call(m)
        errors.append((type(e.value), str(e.value)))
    assert errors[0] == errors[1]
