"""torch.bmm against PyTorch: values, dtypes, shapes, gradients, the grad_fn name and the
exact error texts (dims, batch and inner sizes, dtypes, bool, non-tensors)."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr

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


# ---------------------------------------------------------------------------------- bmm


@pytest.mark.parametrize(
    "dtype", ["float32", "float64", "float16", "int64", "int32", "uint8", "int16", "int8"]
)
@pytest.mark.parametrize(
    "shapes",
    [
        ((2, 3, 4), (2, 4, 5)),
        ((0, 2, 3), (0, 3, 1)),
        ((3, 2, 0), (3, 0, 4)),
        ((1, 1, 1), (1, 1, 1)),
    ],
)
def test_bmm_values_and_dtypes(dtype, shapes):
    a = rng.integers(-3, 4, shapes[0]).astype(dtype)
    b = rng.integers(-3, 4, shapes[1]).astype(dtype)
    ours = cr.bmm(cr.from_numpy(a), cr.from_numpy(b))
    theirs = torch.bmm(torch.from_numpy(a), torch.from_numpy(b))
    assert str(ours.dtype) == str(theirs.dtype) and tuple(ours.shape) == tuple(theirs.shape)
    np.testing.assert_allclose(ours.numpy().astype(float), theirs.numpy().astype(float))
    assert cr.equal(cr.from_numpy(a).bmm(cr.from_numpy(b)), ours)


def test_bmm_gradients_and_grad_fn():
    a, b = rng.standard_normal((3, 2, 4)), rng.standard_normal((3, 4, 5))
    g = rng.standard_normal((3, 2, 5))
    got = []
    for m in (cr, torch):
        x, y = m.tensor(a, requires_grad=True), m.tensor(b, requires_grad=True)
        r = m.bmm(x, y)
        r.backward(m.tensor(g))
        got.append((r.detach().numpy(), x.grad.numpy(), y.grad.numpy(), type(r.grad_fn).__name__))
    for o, t in zip(got[0][:3], got[1][:3], strict=True):
        np.testing.assert_allclose(o, t, rtol=1e-12)
    assert got[0][3] == got[1][3] == "BmmBackward0"
    x = cr.tensor(a, requires_grad=True)
    assert type(x.bmm(cr.tensor(b)).grad_fn).__name__ == "BmmBackward0"


A = lambda m, *s, dtype=None: m.ones(*s, dtype=None if dtype is None else getattr(m, dtype))


@pytest.mark.parametrize(
    "call",
    [
        lambda m: m.bmm(A(m, 2, 3), A(m, 2, 3, 4)),
        lambda m: m.bmm(A(m, 2, 2, 3), A(m, 3, 4)),
        lambda m: m.bmm(A(m, 2, 2, 3, 1), A(m, 2, 3, 4)),
        lambda m: m.bmm(A(m, 2), A(m, 2, 3, 4)),
        lambda m: m.bmm(A(m, 2, 2, 3), A(m, 2)),
        lambda m: m.bmm(A(m, 2, 2, 3), A(m, 3, 3, 4)),
        lambda m: m.bmm(A(m, 2, 2, 3), A(m, 2, 4, 4)),
        lambda m: m.bmm(A(m, 1, 2, 3), A(m, 2, 3, 4)),  # no broadcasting of the batch
        lambda m: m.bmm(A(m, 2, 2, 3), A(m, 1, 3, 4)),
        lambda m: m.bmm(A(m, 2, 2, 3), A(m, 2, 3, 4, dtype="float64")),
        lambda m: m.bmm(A(m, 2, 2, 3, dtype="float64"), A(m, 2, 3, 4)),
        lambda m: m.bmm(A(m, 2, 2, 3, dtype="int64"), A(m, 2, 3, 4)),
        lambda m: m.bmm(A(m, 2, 2, 3), A(m, 2, 3, 4, dtype="float16")),
        lambda m: m.bmm(A(m, 2, 2, 3), A(m, 2, 3, 4, dtype="bool")),
        lambda m: m.bmm(A(m, 2, 2, 3, dtype="bool"), A(m, 2, 3, 4, dtype="bool")),
        lambda m: m.bmm(A(m, 2, 2, 3, dtype="bool"), A(m, 2, 3, 4)),
        lambda m: m.bmm(A(m, 2, 2, 3, dtype="bool"), A(m, 2, 4, 4, dtype="bool")),
        lambda m: m.bmm(A(m, 2, 2, 3), A(m, 3, 4, 4, dtype="float64")),
        lambda m: m.bmm(A(m, 2, 2, 3), 1.0),
        lambda m: m.bmm(2, A(m, 2, 2, 3)),
        lambda m: A(m, 2, 2, 3).bmm(1.0),
        lambda m: A(m, 2, 2, 3).bmm(A(m, 2, 4, 3)),
    ],
)
def test_bmm_errors_as_torch(call):
    same_errors(call)
