"""torch.meshgrid against PyTorch: values, shapes, strides, gradients (summed back through
the expanded views), grad_fn names, the warning without ``indexing`` and the exact error
texts (its error for a tensor of more than one dim embeds the tensor as ATen's C++ printer
writes it: ``chainrule._print.cpp_repr``, checked here against PyTorch's)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import chainrule as cr
import chainrule.functions.shape as cr_shape

torch = pytest.importorskip("torch")

rng = np.random.default_rng(0)


def outcome(call, lib):
    """What call(lib) gives: ('ok', result) or ('error', type name, message)."""
    try:
        return ("ok", call(lib))
    except Exception as e:  # compared with PyTorch's below
        return ("error", type(e).__name__, str(e))


def same_errors(call):
    ours, theirs = outcome(call, cr), outcome(call, torch)
    assert ours[0] == theirs[0] == "error", (ours, theirs)
    assert ours == theirs


# ----------------------------------------------------------------------------- meshgrid


@pytest.mark.parametrize("indexing", ["ij", "xy"])
@pytest.mark.parametrize(
    "shapes",
    [
        [(3,), (2,)],
        [(3,)],
        [(2,), (3,), (4,)],
        [(3,), ()],
        [(), ()],
        [(0,), (2,)],
        [(1,), (4,), (2,)],
    ],
)
def test_meshgrid_as_torch(shapes, indexing):
    arrays = [rng.standard_normal(s) for s in shapes]
    grid = [int(np.prod(s)) for s in shapes]
    if indexing == "xy" and len(grid) >= 2:
        grid[0], grid[1] = grid[1], grid[0]
    weights = [rng.standard_normal(grid) for _ in shapes]  # a weight per output element
    results = []
    for m in (cr, torch):
        ts = [m.tensor(a, requires_grad=True) for a in arrays]
        out = m.meshgrid(*ts, indexing=indexing)
        assert type(out) is tuple and len(out) == len(ts)
        loss = m.tensor(0.0, dtype=m.float64)
        for o, w in zip(out, weights, strict=True):
            loss = loss + (o * m.tensor(w)).sum()
        loss.backward()
        results.append(
            (
                [(o.detach().numpy(), o.shape, o.stride(), type(o.grad_fn).__name__) for o in out],
                [t.grad.numpy() for t in ts],
            )
        )
        # the old form: one list (or tuple) of tensors
        for seq in (list(ts), tuple(ts)):
            again = m.meshgrid(seq, indexing=indexing)
            assert all(m.equal(a, b) for a, b in zip(again, out, strict=True))
    (o_cr, g_cr), (o_t, g_t) = results
    for a, b in zip(o_cr, o_t, strict=True):
        np.testing.assert_array_equal(a[0], b[0])
        assert (tuple(a[1]), a[2], a[3]) == (tuple(b[1]), b[2], b[3])
    for a, b in zip(g_cr, g_t, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-12)


def test_meshgrid_outputs_are_views_of_the_inputs():
    x, y = cr.arange(3.0), cr.arange(2.0)
    X, Y = cr.meshgrid(x, y, indexing="ij")
    assert X._base is x and Y._base is y
    x[0] = 7.0
    assert X[0].tolist() == [7.0, 7.0]
    z = cr.arange(6)[::2]  # a non-contiguous input
    np.testing.assert_array_equal(
        cr.meshgrid(z, z, indexing="xy")[0].numpy(),
        torch.meshgrid(torch.arange(6)[::2], torch.arange(6)[::2], indexing="xy")[0].numpy(),
    )


def test_meshgrid_warns_once_without_indexing():
    cr_shape._WARNED.discard("meshgrid")
    x = cr.arange(3.0)
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        X, Y = cr.meshgrid(x, x)  # 'ij'
        cr.meshgrid(x, x, indexing=None)
        cr.meshgrid(x, x, indexing="ij")
    assert [str(m.message) for m in w] == [
        "torch.meshgrid: in an upcoming release, it will be required to pass the indexing argument."
    ]
    assert w[0].category is UserWarning and w[0].filename == __file__
    # PyTorch's text is the same, with where in ATen it was raised appended
    with warnings.catch_warnings(record=True) as wt:
        warnings.simplefilter("always")
        torch.meshgrid(torch.arange(3.0), torch.arange(3.0), indexing=None)
    assert not wt or str(wt[0].message).startswith(str(w[0].message))
    assert cr.equal(X, cr.meshgrid(x, x, indexing="ij")[0])


T = lambda m, v, dtype=None: m.tensor(v, dtype=None if dtype is None else getattr(m, dtype))


@pytest.mark.parametrize(
    "call",
    [
        lambda m: m.meshgrid(indexing="ij"),
        lambda m: m.meshgrid([], indexing="xy"),
        lambda m: m.meshgrid(T(m, [1.0]), T(m, [1]), indexing="ij"),
        lambda m: m.meshgrid(T(m, [1.0]), T(m, [1.0], "float64"), indexing="xy"),
        lambda m: m.meshgrid(T(m, [[1.0]]), T(m, [1.0], "float64"), indexing="ij"),
        lambda m: m.meshgrid(T(m, [1.0]), T(m, [1.0]), indexing="foo"),
        lambda m: m.meshgrid(T(m, [[1.0]]), indexing="foo"),
        lambda m: m.meshgrid(T(m, [1.0]), [1.0, 2.0], indexing="ij"),
        lambda m: m.meshgrid([T(m, [1.0])], [T(m, [1.0])], indexing="ij"),
        lambda m: m.meshgrid(T(m, [1.0]), 5, indexing="ij"),
        lambda m: m.meshgrid(T(m, [1.0]), m.ones(2, 2), indexing="ij"),
        lambda m: m.meshgrid(m.ones(2, 2), T(m, [1.0]), indexing="xy"),
        lambda m: m.meshgrid(T(m, [1.0]), m.ones(2, 1, 2), T(m, [1.0]), indexing="xy"),
        lambda m: m.meshgrid(m.arange(6).reshape(2, 3), indexing="ij"),
        lambda m: m.meshgrid(T(m, [[True, False]]), indexing="ij"),
        lambda m: m.meshgrid(m.ones(0, 2), indexing="ij"),
    ],
)
def test_meshgrid_errors_as_torch(call):
    same_errors(call)


# ------------------------------------------------------ ATen's printer, in meshgrid's error


def _printed(lib, a):
    try:
        lib.meshgrid(lib.from_numpy(a), indexing="ij")
    except RuntimeError as e:
        return str(e)
    raise AssertionError("no error")


SPECIAL = [
    np.array([[1.0, -50.0]]),
    np.array([[1000.5, 2.0]]),
    np.array([[1e-5, 1.0]]),
    np.array([[1e10, 1.0]]),
    np.array([[1e120, 0.5]]),
    np.array([[1234567.5, 1000000.5]]),  # scaled: "1e+06 *"
    np.array([[0.001234, 0.002]]),
    np.array([[0.0, -0.0]]),
    np.array([[np.nan, np.inf, -np.inf]]),
    np.array([[np.nan, 1.5]]),
    np.array([[123456789.0, 1.0]]),
    np.array([[12345678901.0, 1.0]]),
    np.full((3, 40), 1.5),  # more columns than a line holds: "Columns 1 to ..."
    np.full((2, 30), 123456.5),
    np.arange(24.0).reshape(2, 3, 4) / 7,
    np.arange(24).reshape(2, 3, 2, 2),
    np.ones((2, 2), np.float16),
    np.ones((2, 2), np.int32),
    np.ones((2, 2), np.uint8),
    np.ones((2, 2), np.int8),
    np.ones((2, 2), np.int16),
    np.zeros((0, 3)),
    np.zeros((2, 0, 3)),
]


@pytest.mark.parametrize("a", SPECIAL, ids=range(len(SPECIAL)))
def test_cpp_printing_as_torch(a):
    assert _printed(cr, a) == _printed(torch, a)


@pytest.mark.parametrize("seed", range(30))
def test_cpp_printing_as_torch_random(seed):
    r = np.random.default_rng(seed)
    ndim = int(r.integers(2, 5))
    shape = tuple(int(s) for s in r.integers(1, 4, ndim))
    kind = r.integers(0, 4)
    scale = 10.0 ** r.integers(-6, 8)
    if kind == 0:
        a = r.integers(-1000, 1000, shape).astype(np.float64)
    elif kind == 1:
        a = r.standard_normal(shape) * scale
    elif kind == 2:
        a = (r.standard_normal(shape) * scale).astype(np.float32)
    else:
        a = r.integers(-100, 100, shape)
    assert _printed(cr, a) == _printed(torch, a)
