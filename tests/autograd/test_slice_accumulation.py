"""The engine sums the gradients of many slices of one tensor (x[0], x[1], ... of an RNN's
time loop) into one array of its own, in place, touching only each slice's part
(``Primitive.accumulate``). The sums must be the ones PyTorch gets, whatever else feeds
the same tensor, and the array handed on must belong to no one else."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import chainrule as cr  # noqa: E402


def both(fn, arr):
    x = cr.tensor(arr.copy(), requires_grad=True)
    tx = torch.tensor(arr.copy(), requires_grad=True)
    fn(cr, x).backward()
    fn(torch, tx).backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-12, atol=0)
    return x


CASES = {
    "rows": lambda L, x: sum((x[t] * (t + 1.0)).sum() for t in range(x.shape[0])),
    "rows twice": lambda L, x: sum((x[t] * x[t]).sum() + x[t].sum() for t in range(3)),
    "rows and whole": lambda L, x: (x * 2.0).sum() + x[1].sum() + (x[0] * 3.0).sum(),
    "whole between rows": lambda L, x: x[0].sum() + L.tanh(x).sum() + x[2].sum() + x.sum(),
    "slices of slices": lambda L, x: sum(
        (x[t][:, :2] * 2.0).sum() + L.sigmoid(x[t][:, 2:]).sum() for t in range(3)
    ),
    "overlapping": lambda L, x: x[0:2].sum() + (x[1:3] * 5.0).sum() + x[1].sum(),
    "int index": lambda L, x: x[0, 1, 2] * 3.0 + x[0, 1, 2] + x[2, 0, 0],
    "chain": lambda L, x: L.stack([x[t] * x[t - 1] for t in range(1, 3)]).sum(),
}


@pytest.mark.parametrize("case", list(CASES))
def test_slice_gradients_sum_like_torch(case):
    both(CASES[case], np.random.default_rng(0).standard_normal((3, 2, 4)))


def test_the_summed_gradient_is_nobody_elses():
    x = cr.tensor(np.ones((3, 2)), requires_grad=True)
    y = cr.tensor(np.ones((3, 2)), requires_grad=True)
    shared = x + y  # its gradient goes to x and to y: they must not share one array
    (shared[0].sum() + shared[1].sum() * 2.0 + shared[2].sum()).backward()
    assert not np.shares_memory(x.grad.numpy(), y.grad.numpy())
    np.testing.assert_array_equal(x.grad.numpy(), [[1, 1], [2, 2], [1, 1]])
    x.grad.add_(1.0)
    np.testing.assert_array_equal(y.grad.numpy(), [[1, 1], [2, 2], [1, 1]])


def test_retain_grad_and_hooks_see_the_whole_sum():
    x = cr.tensor(np.arange(6.0).reshape(3, 2), requires_grad=True)
    h = x * 1.0
    h.retain_grad()
    seen = []
    h.register_hook(lambda g: seen.append(g.numpy().copy()))
    sum(h[t].sum() * (t + 1.0) for t in range(3)).backward()
    expected = [[1, 1], [2, 2], [3, 3]]
    np.testing.assert_array_equal(h.grad.numpy(), expected)
    np.testing.assert_array_equal(seen[0], expected)
    np.testing.assert_array_equal(x.grad.numpy(), expected)


def test_create_graph_still_differentiates_through_slices():
    x = cr.tensor(np.array([1.0, 2.0, 3.0]), requires_grad=True)
    y = sum(x[i] ** 3 for i in range(3)) + x[0] * x[1]
    (g,) = cr.autograd.grad(y, x, create_graph=True)
    (gg,) = cr.autograd.grad(g.sum(), x)
    np.testing.assert_allclose(gg.numpy(), [6 * 1 + 1, 6 * 2 + 1, 6 * 3])
