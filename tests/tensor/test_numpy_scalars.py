"""NumPy scalars as operands behave as Python numbers do in PyTorch (weak dtypes)."""

import numpy as np
import pytest

import chainrule as cr


@pytest.mark.parametrize(
    "make, scalar, expected",
    [
        (lambda: cr.ones(2), np.float64(2.0), cr.float32),
        (lambda: cr.ones(2), np.int64(3), cr.float32),
        (lambda: cr.tensor([1, 2]), np.float32(1.5), cr.float32),
        (lambda: cr.tensor([1, 2]), np.int32(2), cr.int64),
        (lambda: cr.ones(2, dtype=cr.float64), np.float32(2.0), cr.float64),
    ],
)
def test_numpy_scalar_operand_dtype(make, scalar, expected):
    assert (make() * scalar).dtype is expected
    assert (scalar + make()).dtype is expected


def test_gradient_keeps_input_dtype_with_numpy_scalar():
    x = cr.ones(2, requires_grad=True)
    (x * np.float64(2.0)).sum().backward()
    assert x.grad.dtype is cr.float32
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 2.0])
