"""Details the d2l book's code meets (issue 12): arange with float steps gives PyTorch's
CPU values to the last bit (PyTorch computes them with fused multiply-adds in vector
blocks, not as ``start + i * step``, and the difference moves kinks: its
``arange(-8.0, 8.0, 0.1)`` holds no exact 0); ``stack(axis=)``; a 0-d tensor is not
iterable (matplotlib asks ``numpy.iterable``)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import chainrule as cr

torch = pytest.importorskip("torch")


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@settings(max_examples=60)
@given(
    start=st.floats(-100, 100),
    step=st.floats(0.001, 3.0),
    n=st.integers(0, 300),
    negative=st.booleans(),
)
def test_float_arange_is_pytorchs_bit_for_bit(dtype, start, step, n, negative):
    step = -step if negative else step
    end = start + step * n
    ours = cr.arange(start, end, step, dtype=getattr(cr, dtype)).numpy()
    theirs = torch.arange(start, end, step, dtype=getattr(torch, dtype)).numpy()
    assert ours.shape == theirs.shape
    np.testing.assert_array_equal(ours, theirs)


@pytest.mark.parametrize("args", [(-8.0, 8.0, 0.1), (-2.0, 2.0, 0.01), (0, 3, 0.1), (-1, 1, 0.1)])
def test_the_books_ranges_and_their_kinks(args):
    x = cr.arange(*args, requires_grad=True)
    t = torch.arange(*args, requires_grad=True)
    np.testing.assert_array_equal(x.detach().numpy(), t.detach().numpy())
    cr.relu(x).sum().backward()
    torch.relu(t).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), t.grad.numpy())  # relu'(0) = 0 where 0 is


def test_a_large_arange_matches_pytorch_on_one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # several threads start vector blocks at their own chunks
    try:
        theirs = torch.arange(-3.0, 30000.0, 0.31).numpy()
    finally:
        torch.set_num_threads(threads)
    np.testing.assert_array_equal(cr.arange(-3.0, 30000.0, 0.31).numpy(), theirs)


def test_stack_takes_axis_and_a_0d_tensor_is_not_iterable_as_in_pytorch():
    for m in (cr, torch):
        s = m.stack([m.ones(2), m.zeros(2)], axis=1)
        assert tuple(s.shape) == (2, 2) and s[0].tolist() == [1.0, 0.0]
        assert not np.iterable(m.tensor(1.0)) and np.iterable(m.ones(2))
        with pytest.raises(TypeError, match="iteration over a 0-d tensor"):
            iter(m.tensor(1.0))
