"""Small helpers shared by the tensor tests (no torch needed)."""

from __future__ import annotations

import numpy as np

import chainrule as cr


def check(t, expected, dtype=None, *, exact=None, rtol=1e-6, atol=1e-6):
    """Assert that ``t`` is a chainrule Tensor holding ``expected`` (shape and values).

    ``dtype`` is a chainrule dtype to compare with ``t.dtype``. Integer and bool tensors are
    compared exactly; floating ones with ``rtol``/``atol`` unless ``exact=True``.
    """
    assert isinstance(t, cr.Tensor), f"expected a Tensor, got {type(t).__name__}"
    expected = np.asarray(expected)
    assert tuple(t.shape) == expected.shape, f"shape {tuple(t.shape)} != {expected.shape}"
    if dtype is not None:
        assert t.dtype == dtype, f"dtype {t.dtype} != {dtype}"
    got = t.numpy()
    if exact is None:
        exact = got.dtype.kind in "biu"
    if exact:
        np.testing.assert_array_equal(got, expected)
    else:
        np.testing.assert_allclose(got, expected, rtol=rtol, atol=atol, equal_nan=True)


def shares_memory(a, b) -> bool:
    """Whether two tensors (or a tensor and an ndarray) see the same memory."""
    a = a.numpy() if isinstance(a, cr.Tensor) else a
    b = b.numpy() if isinstance(b, cr.Tensor) else b
    return bool(np.shares_memory(a, b))
