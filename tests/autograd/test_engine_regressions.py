"""Engine regressions found in review."""

import numpy as np
import pytest

import chainrule as cr
from chainrule.node import Node


class _NoGrad(cr.autograd.Function):
    """Passes its input through but gives it no gradient (backward returns None)."""

    @staticmethod
    def forward(ctx, t):
        return t * 1

    @staticmethod
    def backward(ctx, g):
        return None


def test_node_that_receives_no_gradient_still_releases_its_inputs():
    # y's node receives no gradient at all (only path: through _NoGrad); x is also reached
    # by another path, which must still arrive in x.grad.
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    y = x * 3
    z = _NoGrad.apply(y).sum() + (x * 5).sum()
    z.backward()
    np.testing.assert_array_equal(x.grad.numpy(), [5.0, 5.0])


def test_function_returning_none_for_one_path():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    y = x * 3
    z = _NoGrad.apply(y).sum() + (y * 2).sum()
    z.backward()
    np.testing.assert_array_equal(x.grad.numpy(), [6.0, 6.0])


def test_where_condition_broadcasts_a_single_tensor_input():
    # the condition is larger than the only tensor input: the gradient is summed back
    x = cr.tensor([1.0, 2.0, 3.0, 4.0], requires_grad=True)
    cond = cr.tensor([[True, False, True, True]] * 3)
    cr.where(cond, x, 0.0).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 0.0, 3.0, 3.0])


def test_grad_fn_class_is_named_as_in_pytorch():
    # code and tutorials read type(y.grad_fn).__name__ (issue 11)
    torch = pytest.importorskip("torch")
    for lib in (cr, torch):
        x = lib.ones(2, requires_grad=True)
        names = [type(f(x).grad_fn).__name__ for f in (lambda t: t * 2, lambda t: t.sum())]
        assert names == ["MulBackward0", "SumBackward0"], lib
    assert isinstance(cr.ones(2, requires_grad=True).exp().grad_fn, Node)
