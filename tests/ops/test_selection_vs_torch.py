"""sort, argsort, msort, topk, kthvalue, unique, index_select, repeat_interleave, tril
and triu against PyTorch: values, indices, dtypes, return types, grad_fn names,
gradients, NaN placement and errors (issue 12). Skipped without torch."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr

torch = pytest.importorskip("torch")

NAN = float("nan")
X = [[3.0, 1.0, 2.0, 1.0, NAN], [NAN, 0.0, -1.0, 5.0, 5.0], [2.0, 2.0, 2.0, -3.0, 0.5]]


def _both(f):
    """f on chainrule and on torch, from the same data; outcomes as comparable text."""
    out = []
    for m in (cr, torch):
        x = m.tensor(X, dtype=m.float64, requires_grad=True)
        try:
            out.append(("ok", f(m, x), x))
        except Exception as e:  # noqa: BLE001 - compared as text
            out.append((type(e).__name__, str(e), x))
    return out


def _same_tensor(a, b):
    assert a.dtype.name == str(b.dtype).removeprefix("torch.")
    np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())


CALLS = {
    "sort": lambda m, x: m.sort(x),
    "sort dim 0": lambda m, x: m.sort(x, dim=0),
    "sort descending stable": lambda m, x: m.sort(x, descending=True, stable=True),
    "sort ascending stable": lambda m, x: x.sort(stable=True),
    "topk": lambda m, x: m.topk(x[:2], 2),  # (the order PyTorch picks among ties varies)
    "topk smallest dim 0": lambda m, x: m.topk(x, 3, dim=0, largest=False),
    "topk 0": lambda m, x: x.topk(0),
    "kthvalue": lambda m, x: m.kthvalue(x[:, :4], 2),
    "kthvalue keepdim dim 0": lambda m, x: m.kthvalue(x[:, :4], 3, 0, True),
    "msort": lambda m, x: m.msort(x[:, 1:4]),
}


@pytest.mark.parametrize("name", list(CALLS))
def test_values_indices_and_gradients(name):
    (k1, ours, x1), (k2, theirs, x2) = _both(CALLS[name])
    assert k1 == k2 == "ok"
    assert type(ours).__name__ == type(theirs).__name__ or name == "msort"
    ours = ours if isinstance(ours, tuple) else (ours,)
    theirs = theirs if isinstance(theirs, tuple) else (theirs,)
    for a, b in zip(ours, theirs, strict=True):
        _same_tensor(a, b)
    v1, v2 = ours[0], theirs[0]
    assert type(v1.grad_fn).__name__ == type(v2.grad_fn).__name__
    w = np.arange(v1.numel(), dtype=np.float64).reshape(tuple(v1.shape)) + 1
    g1 = cr.autograd.grad((v1 * cr.tensor(w)).sum(), x1)[0]
    g2 = torch.autograd.grad((v2 * torch.tensor(w)).sum(), x2)[0]
    np.testing.assert_array_equal(g1.numpy(), g2.numpy())


def test_argsort_and_0d_tensors():
    for desc in (False, True):
        a = cr.argsort(cr.tensor(X), descending=desc)
        b = torch.argsort(torch.tensor(X), descending=desc, stable=True)
        _same_tensor(a, b)
    for f in (
        lambda m: m.sort(m.tensor(3.0)),
        lambda m: m.topk(m.tensor(3.0), 1),
        lambda m: m.kthvalue(m.tensor(3.0), 1),
        lambda m: m.argsort(m.tensor(3.0)),
    ):
        a, b = f(cr), f(torch)
        a, b = (a if isinstance(a, tuple) else (a,)), (b if isinstance(b, tuple) else (b,))
        for u, v in zip(a, b, strict=True):
            _same_tensor(u, v)


@pytest.mark.parametrize(
    "f",
    [
        lambda m, x: m.topk(x, 6),
        lambda m, x: m.topk(x, -1),
        lambda m, x: m.kthvalue(x, 0),
        lambda m, x: m.kthvalue(x, 6),
        lambda m, x: m.kthvalue(x, 4, dim=0),
        lambda m, x: m.index_select(x, 1, m.tensor([[0]])),
        lambda m, x: m.index_select(x, 1, m.tensor([5])),
        lambda m, x: m.index_select(x, 1, m.tensor([0, -1])),
        lambda m, x: m.index_select(x, 0, m.tensor([9])),  # (IndexError: another kernel)
        lambda m, x: m.index_select(x, -2, m.tensor([-1])),
        lambda m, x: m.index_select(x[0], 0, m.tensor([7])),
        lambda m, x: m.index_select(x.unsqueeze(0), 2, m.tensor([7])),
        lambda m, x: m.repeat_interleave(x, m.tensor([1, 2]), dim=0),
        lambda m, x: m.repeat_interleave(x, -1),
        lambda m, x: m.tril(x[0]),
        lambda m, x: m.triu(x[0, 0]),
    ],
)
def test_errors_match_torch(f):
    (k1, m1, _), (k2, m2, _) = _both(f)
    assert k1 == k2 != "ok"
    assert m1 == m2


def test_unique_as_torch():
    for kw in (
        {},
        {"return_inverse": True},
        {"return_counts": True},
        {"return_inverse": True, "return_counts": True},
    ):
        a = cr.unique(cr.tensor([3, 1, 2, 3, 1]), **kw)
        b = torch.unique(torch.tensor([3, 1, 2, 3, 1]), **kw)
        for u, v in zip(
            a if isinstance(a, tuple) else (a,), b if isinstance(b, tuple) else (b,), strict=True
        ):
            _same_tensor(u, v)
    rows = [[1, 2], [1, 2], [0, 5]]
    a = cr.unique(cr.tensor(rows), dim=0, return_inverse=True, return_counts=True)
    b = torch.unique(torch.tensor(rows), dim=0, return_inverse=True, return_counts=True)
    for u, v in zip(a, b, strict=True):
        _same_tensor(u, v)
    y = cr.unique(cr.tensor([3.0, 1.0], requires_grad=True))
    assert type(y.grad_fn).__name__ == "Unique2Backward0"
    with pytest.raises(NotImplementedError, match="the derivative for '_unique2' is not"):
        y.sum().backward()


def test_index_select_repeat_interleave_tril_triu_as_torch():
    # (f, whether grad_fn names agree: an int repeats gives PyTorch's ViewBackward0)
    calls = [
        (lambda m, x: m.index_select(x, 1, m.tensor([4, 0, 0, 2])), True),
        (lambda m, x: x.index_select(0, m.tensor(2)), True),
        (lambda m, x: m.repeat_interleave(x, 2), False),
        (lambda m, x: m.repeat_interleave(x, m.tensor([0, 2, 1]), dim=0), True),
        (lambda m, x: x.repeat_interleave(3, dim=1), False),
        (lambda m, x: m.tril(x), True),
        (lambda m, x: m.tril(x, -1), True),
        (lambda m, x: m.triu(x, 2), True),
        (lambda m, x: x.triu(-1), True),
        (lambda m, x: (x * 1).tril_(1), True),
        (lambda m, x: (x * 1).triu_(), True),
    ]
    for f, same_name in calls:
        (k1, a, x1), (k2, b, x2) = _both(f)
        assert k1 == k2 == "ok"
        _same_tensor(a, b)
        if same_name:
            assert type(a.grad_fn).__name__ == type(b.grad_fn).__name__
        g1 = cr.autograd.grad(a.sum(), x1)[0]
        g2 = torch.autograd.grad(b.sum(), x2)[0]
        np.testing.assert_array_equal(g1.numpy(), g2.numpy())
    np.testing.assert_array_equal(
        cr.repeat_interleave(cr.tensor([2, 0, 3])).numpy(),
        torch.repeat_interleave(torch.tensor([2, 0, 3])).numpy(),
    )
