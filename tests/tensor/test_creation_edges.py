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


# ------------------------------------------------------------------ numbers that do not fit
TENSOR_OVERFLOW = _cases(
    """
    t.tensor([2**40], dtype=t.int32)
    t.tensor(2**40, dtype=t.int32)
    t.tensor([2**31], dtype=t.int32)
    t.tensor([-2**31 - 1], dtype=t.int32)
    t.tensor([2**31 - 1, -2**31], dtype=t.int32)
    t.tensor([300], dtype=t.uint8)
    t.tensor([-1, -255], dtype=t.uint8)
    t.tensor([-256], dtype=t.uint8)
    t.tensor([128], dtype=t.int8)
    t.tensor([40000], dtype=t.int16)
    t.tensor(nan, dtype=t.int64)
    t.tensor([inf], dtype=t.int64)
    t.tensor([-inf], dtype=t.int32)
    t.tensor([nan], dtype=t.uint8)
    t.tensor([1e20], dtype=t.int64)
    t.tensor([2.5e9], dtype=t.int32)
    t.tensor([2147483647.5], dtype=t.int32)
    t.tensor([1.7, -1.7], dtype=t.int32)
    t.tensor([-0.5], dtype=t.uint8)
    t.tensor([255.9], dtype=t.uint8)
    t.tensor([2**63])
    t.tensor(2**63)
    t.tensor([-2**63 - 1])
    t.tensor([1, 2**64])
    t.tensor([2**63], dtype=t.uint8)
    t.tensor([2**63], dtype=t.float32)
    t.tensor([1.5, 2**70])
    t.tensor([2**1030], dtype=t.float64)
    t.tensor([nan, inf, 2.5, 2**70, 0], dtype=t.bool)
    t.tensor([[1, 2], [3, 2**40]], dtype=t.int32)
    t.tensor([True, 2**40], dtype=t.int32)
    t.tensor([1.5, 2**40], dtype=t.int32)
    t.tensor([np.int64(2**40)], dtype=t.int32)
    t.tensor(np.int64(2**40), dtype=t.int32)
    t.tensor(np.float64(np.nan), dtype=t.int32)
    t.tensor([np.uint8(200)], dtype=t.int8)
    t.tensor([t.tensor(2**40)], dtype=t.int32)
    t.tensor([t.tensor(-300)], dtype=t.uint8)
    t.tensor(np.array([2**40]), dtype=t.int32)
    t.tensor(t.tensor([2**40]), dtype=t.int32)
    t.as_tensor([2**40], dtype=t.int32)
    t.as_tensor(np.array([2**40]), dtype=t.int32)
    t.zeros(2).new_tensor([2**40], dtype=t.int32)
    t.zeros(2, dtype=t.int32).new_tensor([2**40])
    t.tensor([[1, 2**40], [3]], dtype=t.int32)
    t.tensor([[1, 2], [3]], dtype=t.int32)
    t.tensor([[-300, nan], [2**63, 1.5]], dtype=t.int16)
    """
)


@pytest.mark.parametrize("expr", TENSOR_OVERFLOW)
def test_tensor_refuses_numbers_that_do_not_fit_as_torch(expr):
    assert_like_torch(expr)


# --------------------------------------------------------------------------- dtype inference
INFERENCE = _cases(
    """
    t.tensor([t.tensor(1, dtype=t.uint8), 300])
    t.tensor([t.tensor(1, dtype=t.int32), 3])
    t.tensor([t.tensor(1, dtype=t.int8), t.tensor(1, dtype=t.uint8)])
    t.tensor([t.tensor(1., dtype=t.float64), 1.5])
    t.tensor([t.tensor(1., dtype=t.float16), 1])
    t.tensor([t.tensor(True), 1])
    t.tensor([np.int32(1), 3])
    t.tensor([np.float64(1), 3])
    t.tensor([np.float32(1), 3])
    t.tensor([np.float16(1), True])
    t.tensor([np.bool_(True), False])
    t.tensor(np.float64(5))
    t.tensor(np.int32(5))
    t.tensor([t.tensor([1.]), t.tensor([3.])])
    t.tensor([t.tensor([1, 2]), t.tensor([3, 4])])
    t.tensor([t.tensor([1., 2.]), t.tensor([3., 4.])])
    t.tensor([[1., 2.], t.tensor([3., 4.])])
    t.tensor([np.array([1., 2.]), np.array([3., 4.])])
    t.tensor([np.array([1., 2.]), np.array([3., 4., 5.])])
    t.tensor([np.array([1, 2], dtype=np.int32), [3, 4]])
    t.tensor([[], []])
    t.tensor([[], [1]])
    t.tensor([[1], []])
    t.tensor(range(3))
    t.tensor([range(2), range(2)])
    t.tensor([np.float32(1.5)], dtype=t.int32)
    t.tensor([np.float64(1.5)], dtype=t.int32)
    t.tensor([t.tensor(1.5)], dtype=t.int32)
    t.tensor([np.bool_(True), 3])
    t.tensor([[1, 2], 3])
    t.tensor([1, [2, 3]])
    t.tensor([1., [2, 3]])
    t.tensor([1, [2, 3]], dtype=t.float16)
    t.tensor(['a'])
    t.tensor('a')
    t.tensor(b'ab')
    t.tensor([1, 'a'])
    t.tensor(None)
    t.tensor([1, None])
    t.tensor([[1], [None]])
    t.tensor({1: 2})
    t.tensor({1, 2})
    """
)


@pytest.mark.parametrize("expr", INFERENCE)
def test_tensor_reads_nested_data_as_torch(expr):
    assert_like_torch(expr)


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


# --------------------------------------------------------------------------- seeds
SEEDS = _cases(
    """
    t.manual_seed(-1).initial_seed()
    t.manual_seed(2**64 - 1).initial_seed()
    t.manual_seed(2**64)
    t.manual_seed(-2**63 - 1)
    t.manual_seed(True).initial_seed()
    t.manual_seed('3').initial_seed()
    t.manual_seed(t.tensor(3)).initial_seed()
    t.Generator().manual_seed(-5).initial_seed()
    t.Generator().manual_seed(1.5)
    t.Generator().initial_seed()
    """
)


@pytest.mark.parametrize("expr", SEEDS)
def test_seeds_as_torch(expr):
    try:
        assert_like_torch(expr)
    finally:
        cr.manual_seed(0)
        torch.manual_seed(0)


def test_negative_seed_gives_the_same_stream_as_its_64_bit_twin():
    a = cr.rand(3, generator=cr.Generator().manual_seed(-1))
    b = cr.rand(3, generator=cr.Generator().manual_seed(2**64 - 1))
    assert cr.equal(a, b)
