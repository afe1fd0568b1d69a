"""matmul as PyTorch dispatches it: a batched operand against a matrix or vector folds into
one mm or mv (its gradient is then one product, not a batch of products summed); other
batched products are one bmm reshaped. Compared with PyTorch for every pairing of which
operand needs a gradient and of layouts: values, gradients, the result's layout and the
grad_fn a learner sees."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import chainrule as cr

try:
    import torch
except ImportError:  # the comparison skips; the folding test below still runs
    torch = None

SHAPES = [
    ((2, 3, 4), (4, 5)),
    ((4,), (2, 4, 5)),
    ((2, 3, 4), (4,)),
    ((3, 4), (2, 4, 5)),
    ((2, 3, 4), (2, 4, 5)),
    ((1, 3, 4), (2, 4, 5)),
    ((2, 3, 4), (1, 4, 5)),
    ((2, 1, 3, 4), (5, 4, 2)),
    ((0, 3, 4), (4, 2)),
    ((3, 4), (0, 4, 5)),
    ((4,), (0, 4, 5)),
    ((2, 3, 4), (4, 0)),
    ((3, 4), (5, 4, 0)),
    ((2, 2, 3, 0), (0, 5)),
]


def _run(lib, A, B, ra, rb, transposed):
    a = lib.tensor(A, requires_grad=ra)
    b = lib.tensor(B, requires_grad=rb)
    if transposed and a.dim() >= 3:  # a batch whose last two axes are swapped in memory
        a = a.transpose(-1, -2).contiguous().transpose(-1, -2)
    out = lib.matmul(a, b)
    if out.requires_grad:
        out.backward(lib.ones_like(out) * 1.5)
    name = type(out.grad_fn).__name__ if out.grad_fn is not None else None
    grads = [
        t.grad.numpy() if t.requires_grad and t.is_leaf else None for t in (a, b)
    ]  # (a transposed a is not a leaf)
    return name, tuple(out.shape), out.is_contiguous(), out.detach().numpy(), grads


@pytest.mark.skipif(torch is None, reason="PyTorch is the oracle here")
@pytest.mark.parametrize("shapes", SHAPES, ids=str)
@pytest.mark.parametrize("ra,rb", [(True, True), (True, False), (False, True), (False, False)])
@pytest.mark.parametrize("transposed", [False, True])
def test_matmul_dispatch_like_torch(shapes, ra, rb, transposed):
    rng = np.random.default_rng(0)
    A, B = rng.standard_normal(shapes[0]), rng.standard_normal(shapes[1])
    ours = _run(cr, A, B, ra, rb, transposed)
    theirs = _run(torch, A, B, ra, rb, transposed)
    assert ours[:3] == theirs[:3]
    np.testing.assert_allclose(ours[3], theirs[3], rtol=1e-12, atol=1e-12)
    for g, h in itertools.zip_longest(ours[4], theirs[4]):
        assert (g is None) == (h is None)
        if g is not None:
            np.testing.assert_allclose(g, h, rtol=1e-12, atol=1e-12)


def test_linear_on_a_batch_of_sequences_is_one_product():
    """nn.Linear on (batch, time, features) folds into one mm, as in PyTorch: the
    weight's gradient is one product over batch * time rows, with no (batch, in, out)
    intermediate of per-sample gradients."""
    x = cr.randn(4, 7, 3)
    lin = cr.nn.Linear(3, 5)
    out = lin(x)
    assert out.shape == (4, 7, 5)
    prims = set()
    stack = [out.grad_fn]
    while stack:
        node = stack.pop()
        if node is None:
            continue
        prims.add(type(node).__name__)
        stack.extend(n for n, _ in node.next_functions)
    assert "MmBackward0" in prims and "BmmBackward0" not in prims
    out.sum().backward()
    np.testing.assert_allclose(
        lin.weight.grad.numpy(),
        np.ones((5, 28)) @ x.numpy().reshape(28, 3),
        rtol=1e-5,
    )
