"""chainrule.autograd.saved_memory: reverse mode's O(n) memory, and its release."""

import pytest

import chainrule as torch
from chainrule.autograd.memory import saved_memory


def chain(x, n):
    h = x
    for _ in range(n):
        h = torch.sin(h)  # each sin saves its input: one array per op
    return h


@pytest.mark.parametrize("dtype, size", [(torch.float32, 4), (torch.float64, 8)])
def test_grows_linearly_with_chain_length(dtype, size):
    x = torch.ones(100, dtype=dtype, requires_grad=True) * 0.01
    mems = [saved_memory(chain(x, n)) for n in range(1, 7)]
    assert mems == [n * 100 * size for n in range(1, 7)]


def test_zero_after_backward_kept_with_retain_graph():
    x = torch.ones(50, requires_grad=True)
    y = chain(torch.sin(x), 3).sum()
    before = saved_memory(y)
    assert before == 4 * 50 * 4  # each of the 4 sins saves its input
    y.backward(retain_graph=True)
    assert saved_memory(y) == before
    y.backward()
    assert saved_memory(y) == 0


def test_each_array_once_and_leaves_only_when_saved():
    x = torch.ones(10, requires_grad=True)
    w = torch.ones(10, requires_grad=True)
    assert saved_memory(x * x) == 40  # x saved twice: one array
    assert saved_memory(x * w) == 80
    assert saved_memory(x + w) == 0  # add needs no values: leaves' data not counted
    assert saved_memory(x) == 0
    assert saved_memory(torch.ones(3)) == 0
    c = torch.ones(10)  # only x needs a gradient: mul keeps c (for x's rule), not x
    assert saved_memory(x * c) == 40
    y = x * c
    assert saved_memory([y, y * y]) == 80  # a list of outputs: the graph behind all


def test_saved_view_counts_its_base_once():
    x = torch.ones(4, 5, requires_grad=True)
    xt = x.t()  # a view sharing x's storage
    assert saved_memory(xt * xt) == x.numel() * 4
    assert saved_memory(xt * x.t()) == x.numel() * 4


def test_function_ctx_saved_tensors():
    class Square(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return 2 * x * g

    x = torch.ones(8, requires_grad=True)
    y = Square.apply(x)
    assert saved_memory(y) == 32
    y.sum().backward()
    assert saved_memory(y) == 0


def test_exported_from_autograd():
    import chainrule.autograd as ag

    assert ag.saved_memory is saved_memory and "saved_memory" in ag.__all__
