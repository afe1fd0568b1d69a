"""Creation functions at their edges, each call pinned against PyTorch 2.13 (values, dtype,
shape, or the exception's type and text): numbers that do not fit a dtype, Python's float,
int and bool as dtypes, dtype inference over nested data, arange's length with float
arguments, sizes that are not ints, random float functions asked for an integer dtype, and
PyTorch's errors for arguments of the wrong kind.

Skipped as a whole where torch is not installed.
"""

import builtins
import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import chainrule as cr  # noqa: E402


def _run(lib, expr: str):
    env = {"t": lib, "np": np, "nan": float("nan"), "inf": float("inf")}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return eval(expr, env)


def assert_like_torch(expr: str) -> None:
    """``expr`` (with ``t`` the library) gives the same on chainrule as on PyTorch: the same
    exception type and text, or a tensor of the same dtype, shape and values, or another
    result that prints the same (a dtype, a shape)."""
    try:
        theirs = _run(torch, expr)
    except Exception as e:  # noqa: BLE001 - any exception PyTorch raises is the contract
        with pytest.raises(Exception) as ours:
            _run(cr, expr)
        assert type(ours.value) is type(e), f"{type(ours.value).__name__}: {ours.value}"
        assert str(ours.value) == str(e)
        return
    ours = _run(cr, expr)
    if not isinstance(theirs, torch.Tensor):
        assert str(ours) == str(theirs)
        return
    assert isinstance(ours, cr.Tensor)
    assert str(ours.dtype) == str(theirs.dtype)
    assert tuple(ours.shape) == tuple(theirs.shape)
    assert ours.requires_grad == theirs.requires_grad
    got, want = ours.detach().numpy(), theirs.detach().numpy()
    if want.dtype.kind == "f":
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=0, equal_nan=True)
    else:
        np.testing.assert_array_equal(got, want)


def _cases(text: str) -> list:
    return [line.strip() for line in text.strip().splitlines() if line.strip()]


# --------------------------------------------------------------------------- float, int, bool
PYTHON_TYPES = _cases(
    """
    t.tensor([1, 2], dtype=float)
    t.tensor([1.5, 2], dtype=int)
    t.tensor([0, 2], dtype=bool)
    t.zeros(2, dtype=int)
    t.ones(2, dtype=float)
    t.empty(2, dtype=bool).dtype
    t.full((2,), 1, dtype=float)
    t.arange(3, dtype=float)
    t.eye(2, dtype=float)
    t.linspace(0, 1, 3, dtype=float)
    t.rand(2, dtype=float).dtype
    t.randn(2, dtype=float).dtype
    t.randperm(3, dtype=float).dtype
    t.zeros_like(t.zeros(2), dtype=float)
    t.ones(2).to(float)
    t.ones(2).to(int)
    t.ones(2).to(bool)
    t.ones(2).to(dtype=float)
    t.ones(2).new_zeros(2, dtype=float)
    t.ones(2).new_tensor([1], dtype=float)
    t.as_tensor([1, 2], dtype=float)
    """
)


@pytest.mark.parametrize("expr", PYTHON_TYPES)
def test_python_float_int_bool_as_dtypes_as_torch(expr):
    assert_like_torch(expr)


def test_python_float_is_float64_whatever_the_default_dtype():
    assert cr.float is cr.float32  # chainrule.float, the dtype, is another thing
    for default in (cr.float32, cr.float64):
        cr.set_default_dtype(default)
        try:
            assert cr.tensor([1], dtype=builtins.float).dtype == cr.float64
            assert cr.zeros(1, dtype=builtins.float).dtype == cr.float64
        finally:
            cr.set_default_dtype(cr.float32)
