"""Memory layouts (strides) of new results as PyTorch's: they decide whether view()
works and whether flatten()/reshape() give a view that in-place writes reach."""

from __future__ import annotations

import pytest

import chainrule as cr

torch = pytest.importorskip("torch")


def _x(lib):
    return lib.arange(12.0).reshape(3, 4)


def _x3(lib):
    return lib.arange(24.0).reshape(2, 3, 4)


CASES = {
    "x[:, idx]": lambda L: _x(L)[:, [0, 2, 1]],
    "x[idx]": lambda L: _x(L)[[0, 2]],
    "xT[idx]": lambda L: _x(L).T[[0, 2]],
    "xT[:, idx]": lambda L: _x(L).T[:, [0, 2]],
    "x[:, idx, None]": lambda L: _x(L)[:, [0, 2], None],
    "x3[:, idx, :]": lambda L: _x3(L)[:, [0, 2], :],
    "x3[:, :, idx]": lambda L: _x3(L)[:, :, [0, 2]],
    "x3[0, :, idx]": lambda L: _x3(L)[0, :, [0, 2]],
    "x3[idx, :, idx]": lambda L: _x3(L)[[0, 1], :, [0, 2]],
    "xT[:, mask]": lambda L: _x(L).T[:, L.tensor([True, False, True])],
    "cat xT": lambda L: L.cat([_x(L).T, _x(L).T]),
    "cat xT dim 1": lambda L: L.cat([_x(L).T, _x(L).T], 1),
    "stack xT": lambda L: L.stack([_x(L).T, _x(L).T]),
    "where xT": lambda L: L.where(_x(L).T > 3, _x(L).T, _x(L).T),
    "xT + 1": lambda L: _x(L).T + 1,
    "xT.exp()": lambda L: _x(L).T.exp(),
    "xT.clone()": lambda L: _x(L).T.clone(),
    "flip xT": lambda L: _x(L).T.flip(0),
    "sum of a permuted": lambda L: _x3(L).permute(2, 0, 1).sum(1),
    "mean of a permuted": lambda L: _x3(L).permute(2, 0, 1).mean(1, keepdim=True),
    "cumsum xT": lambda L: _x(L).T.cumsum(0),
    "cumprod xT": lambda L: _x(L).T.cumprod(1),
    "softmax xT": lambda L: _x(L).T.softmax(0),
    "log_softmax xT": lambda L: _x(L).T.log_softmax(1),
    "xT @ x": lambda L: _x(L).T @ _x(L),
    # mixed layouts: the first operand's wins, as PyTorch's TensorIterator
    "xT + yC": lambda L: _x(L).T + L.ones(4, 3),
    "yC + xT": lambda L: L.ones(4, 3) + _x(L).T,
    "xT * yC": lambda L: _x(L).T * L.ones(4, 3),
    "xT ** yC": lambda L: _x(L).T ** L.ones(4, 3),
    "maximum(xT, yC)": lambda L: L.maximum(_x(L).T, L.ones(4, 3)),
    "xT.clip(yC, yC + 1)": lambda L: _x(L).T.clip(L.ones(4, 3), L.ones(4, 3) + 1),
    "where(condT, yC, zC)": lambda L: L.where(_x(L).T > 3, L.ones(4, 3), L.zeros(4, 3)),
    "where(condC, xT, -0.5)": lambda L: L.where(L.ones(4, 3) > 0, _x(L).T, -0.5),
    "xT + row": lambda L: _x(L).T + L.ones(3),
    "x3 permuted + C": lambda L: _x3(L).permute(2, 0, 1) + L.ones(4, 2, 3),
}


@pytest.mark.parametrize("make", CASES.values(), ids=CASES.keys())
def test_strides_as_pytorch(make):
    assert make(cr).stride() == make(torch).stride()


def test_flatten_of_an_advanced_index_is_a_view_as_in_pytorch():
    for L in (cr, torch):
        v = L.zeros(2, 2)[:, [0, 1, 1, 0]]
        v.flatten().add_(1)  # a view of v: the write reaches it
        assert v.tolist() == [[1.0] * 4] * 2


@pytest.mark.parametrize("shapes", [((1,), (1,)), ((4, 1), (3, 1)), ((2, 3, 1), (4, 1))])
def test_inner_over_a_size_1_dim_saves_no_view_of_its_first_operand(shapes):
    """PyTorch's tensordot sums the first operand over a size-1 dim first, so writing that
    operand in place afterwards does not make backward refuse (the second is saved)."""

    def outcome(L):
        w = L.ones(shapes[1], requires_grad=True)
        a = L.ones(shapes[0], requires_grad=True) * 2
        r = L.inner(a, w)
        a.sub_(1)
        r.sum().backward()
        return w.grad.tolist()

    assert outcome(cr) == outcome(torch)
