"""Gradients PyTorch selects rather than multiplies, at the edges the fuzzer found: std
where the std is 0 (with an inf or NaN incoming gradient), and prod over zeros (two
zeros or more give constant zeros; a dim of size 1 passes the gradient on)."""

from __future__ import annotations

import math

import pytest

import chainrule as cr

torch = pytest.importorskip("torch")

SEEDS = [float("nan"), float("inf"), -float("inf"), 1.5]


def _grad(L, make, x, g, create_graph=False):
    x = L.tensor(x, dtype=L.float64, requires_grad=True)
    y = make(x)
    (gx,) = L.autograd.grad(y, [x], L.full(y.shape, g, dtype=L.float64), create_graph=create_graph)
    return [None if math.isnan(v) else v for v in gx.flatten().tolist()], gx.requires_grad


STD = {
    "std": lambda x: x.std(),
    "std(dim=0, correction=0)": lambda x: x.std(dim=0, correction=0),
    "std(dim=1, keepdim)": lambda x: x.std(dim=-1, keepdim=True),
}


@pytest.mark.parametrize("g", SEEDS)
@pytest.mark.parametrize("make", STD.values(), ids=STD.keys())
@pytest.mark.parametrize("x", [[0.0, 0.0, 0.0], [[1.0, 1.0], [1.0, 2.0]], 2.0])
def test_std_where_it_is_zero(make, x, g):
    try:
        want = _grad(torch, make, x, g)
    except (IndexError, RuntimeError) as e:  # (a dim a 0-d tensor lacks): chainrule raises too
        with pytest.raises(type(e)):
            _grad(cr, make, x, g)
        return
    assert _grad(cr, make, x, g) == want


PROD = {
    "prod()": lambda x: x.prod(),
    "prod(0)": lambda x: x.prod(0),
}


@pytest.mark.parametrize("g", SEEDS)
@pytest.mark.parametrize("make", PROD.values(), ids=PROD.keys())
@pytest.mark.parametrize(
    "x", [[0.0, 0.0, 3.0], [0.0, 2.0, 3.0], [1.0, 2.0, 3.0], [0.0], [[0.0, 1.0]], [[0.0], [0.0]]]
)
@pytest.mark.parametrize("create_graph", [False, True])
def test_prod_over_zeros(make, x, g, create_graph):
    assert _grad(cr, make, x, g, create_graph) == _grad(torch, make, x, g, create_graph)


EXTREMES = {
    "max()": lambda x: x.max(),
    "min()": lambda x: x.min(),
    "amax(0)": lambda x: x.amax(0),
    "amin(0)": lambda x: x.amin(0),
}


@pytest.mark.parametrize("g", SEEDS)
@pytest.mark.parametrize("make", EXTREMES.values(), ids=EXTREMES.keys())
@pytest.mark.parametrize(
    "x", [[1.0, float("nan"), 3.0, float("nan")], [1.0, 1.0, 3.0], [2.0, 5.0, 5.0]]
)
def test_max_min_over_all_select_their_ties(make, x, g):
    """max()/min() give the tied (or NaN) elements g / count and the others 0, also for an
    inf or NaN g; amax/amin multiply by the mask, as PyTorch's do."""
    assert _grad(cr, make, x, g) == _grad(torch, make, x, g)
