"""Arithmetic, elementwise math, logic, reductions, linear algebra, NumPy interop and printing.

Expected values come from NumPy formulas or are the ones PyTorch 2.13 gives (hard-coded).
"""

import math

import numpy as np
import pytest
from _util import check, shares_memory

import chainrule as cr

F32, F64, I64, BOOL = cr.float32, cr.float64, cr.int64, cr.bool
INF, NAN = math.inf, math.nan


# --------------------------------------------------------------------------- arithmetic


@pytest.mark.parametrize(
    "expr,expected,dtype",
    [
        (lambda x: x + 2, [3.0, 4.0, 6.0], F32),
        (lambda x: 2 + x, [3.0, 4.0, 6.0], F32),
        (lambda x: x - 2, [-1.0, 0.0, 2.0], F32),
        (lambda x: 2 - x, [1.0, 0.0, -2.0], F32),
        (lambda x: x * 1.5, [1.5, 3.0, 6.0], F32),
        (lambda x: 1.5 * x, [1.5, 3.0, 6.0], F32),
        (lambda x: x / 4, [0.25, 0.5, 1.0], F32),
        (lambda x: 4 / x, [4.0, 2.0, 1.0], F32),
        (lambda x: x // 3, [0.0, 0.0, 1.0], F32),
        (lambda x: 7 // x, [7.0, 3.0, 1.0], F32),
        (lambda x: x % 3, [1.0, 2.0, 1.0], F32),
        (lambda x: 7 % x, [0.0, 1.0, 3.0], F32),
        (lambda x: x**2, [1.0, 4.0, 16.0], F32),
        (lambda x: 2**x, [2.0, 4.0, 16.0], F32),
        (lambda x: x**0.5, [1.0, math.sqrt(2), 2.0], F32),
        (lambda x: -x, [-1.0, -2.0, -4.0], F32),
        (lambda x: +x, [1.0, 2.0, 4.0], F32),
        (lambda x: x + x, [2.0, 4.0, 8.0], F32),
        (lambda x: x * x - x / x, [0.0, 3.0, 15.0], F32),
    ],
)
def test_arithmetic_with_python_scalars(expr, expected, dtype):
    check(expr(cr.tensor([1.0, 2.0, 4.0])), expected, dtype)


def test_floor_division_and_remainder_follow_python_signs():
    check(cr.tensor([-7.0, 7.0]) // 2, [-4.0, 3.0], F32)
    check(cr.tensor([-7, 7]) // 2, [-4, 3], I64)
    check(2 // cr.tensor([3, -3]), [0, -1], I64)
    check(cr.tensor([-7.0, 7.0]) % 3, [2.0, 1.0], F32)
    check(7 % cr.tensor([3, -3]), [1, -2], I64)
    check(cr.tensor([-7, 7]) % -3, [-1, -2], I64)


def test_integer_arithmetic():
    i = cr.tensor([1, 2, 3])
    check(i + 1, [2, 3, 4], I64)
    check(i * i, [1, 4, 9], I64)
    check(i**2, [1, 4, 9], I64)
    check(2**i, [2, 4, 8], I64)
    check(i / 2, [0.5, 1.0, 1.5], F32)
    check(2 / i, [2.0, 1.0, 2 / 3], F32)
    check(-i, [-1, -2, -3], I64)


def test_division_by_zero_and_float64():
    check(cr.tensor([1.0, -1.0, 0.0]) / 0, [INF, -INF, NAN], F32)
    check(cr.tensor([1, 0]) / cr.tensor([0, 0]), [INF, NAN], F32)
    d = cr.tensor([1.0, 2.0], dtype=F64)
    check(d / 3, [1 / 3, 2 / 3], F64, rtol=1e-15)
    check(1 / d, [1.0, 0.5], F64)


def test_arithmetic_broadcasting_zero_dim_and_empty():
    a = cr.arange(3.0).reshape(3, 1)
    b = cr.arange(2.0)
    check(a * 10 + b, [[0.0, 1.0], [10.0, 11.0], [20.0, 21.0]], F32)
    check(cr.tensor(2.0) * cr.tensor(3.0), 6.0, F32)
    check(cr.tensor(2.0) + b, [2.0, 3.0], F32)
    e = cr.zeros(0, 2)
    check(e + b, np.zeros((0, 2)), F32)
    check(cr.zeros(2, 0) * 3, np.zeros((2, 0)), F32)
    t = cr.arange(6.0).reshape(2, 3).T  # non-contiguous operand
    check(t + cr.tensor([1.0, 2.0]), np.arange(6.0).reshape(2, 3).T + [1, 2], F32)


def test_broadcast_mismatch_raises_torch_message():
    with pytest.raises(RuntimeError) as err:
        cr.ones(2, 3) + cr.ones(2, 2)
    assert (
        "The size of tensor a (3) must match the size of tensor b (2) at non-singleton dimension 1"
        in str(err.value)
    )


# --------------------------------------------------------------------------- unary math

X = np.array([0.25, 0.5, 1.0, 2.0, 3.5], dtype=np.float32)
Y = np.array([-2.5, -0.5, 0.0, 0.3, 1.7], dtype=np.float32)


def _sigmoid(a):
    return 1 / (1 + np.exp(-a))


UNARY = {
    # name: (numpy reference, input)
    "neg": (np.negative, Y),
    "abs": (np.abs, Y),
    "exp": (np.exp, Y),
    "log": (np.log, X),
    "log2": (np.log2, X),
    "log10": (np.log10, X),
    "log1p": (np.log1p, X),
    "expm1": (np.expm1, Y),
    "sqrt": (np.sqrt, X),
    "rsqrt": (lambda a: 1 / np.sqrt(a), X),
    "square": (np.square, Y),
    "sin": (np.sin, Y),
    "cos": (np.cos, Y),
    "tan": (np.tan, Y),
    "tanh": (np.tanh, Y),
    "sigmoid": (_sigmoid, Y),
    "relu": (lambda a: np.maximum(a, 0), Y),
    "sign": (np.sign, Y),
    "floor": (np.floor, Y),
    "ceil": (np.ceil, Y),
    "round": (np.round, Y),
    "reciprocal": (np.reciprocal, X),
}


@pytest.mark.parametrize("name", UNARY.keys())
@pytest.mark.parametrize("np_dtype", [np.float32, np.float64], ids=["float32", "float64"])
def test_unary_function_and_method(name, np_dtype):
    ref, data = UNARY[name]
    data = data.astype(np_dtype)
    t = cr.tensor(data)
    expected = ref(data.astype(np.float64))
    rtol = 1e-6 if np_dtype == np.float32 else 1e-12
    check(getattr(cr, name)(t), expected, t.dtype, rtol=rtol, atol=rtol)
    check(getattr(t, name)(), expected, t.dtype, rtol=rtol, atol=rtol)


@pytest.mark.parametrize("name", UNARY.keys())
def test_unary_on_non_contiguous_zero_dim_and_empty(name):
    ref, data = UNARY[name]
    m = cr.tensor(np.stack([data, data[::-1]]).astype(np.float32)).T
    check(getattr(cr, name)(m), ref(m.numpy().astype(np.float64)), F32, rtol=1e-6, atol=1e-6)
    z = cr.tensor(float(data[-1]))
    check(getattr(cr, name)(z), ref(np.float64(data[-1])), F32, rtol=1e-6, atol=1e-6)
    assert getattr(cr, name)(cr.zeros(0, 3)).shape == (0, 3)


INT_RESULT = ["neg", "abs", "square", "sign", "floor", "ceil", "round", "relu"]
FLOAT_RESULT = ["exp", "log", "sqrt", "sin", "tanh", "sigmoid", "reciprocal", "rsqrt", "expm1"]


@pytest.mark.parametrize("name", INT_RESULT)
def test_unary_on_integers_keeps_int64(name):
    i = cr.tensor([-2, 0, 3])
    ref, _ = UNARY[name]
    check(getattr(cr, name)(i), ref(np.array([-2, 0, 3])), I64)


@pytest.mark.parametrize("name", FLOAT_RESULT)
def test_unary_on_integers_gives_float32(name):
    i = cr.tensor([1, 2, 3])
    ref, _ = UNARY[name]
    check(getattr(cr, name)(i), ref(np.array([1.0, 2.0, 3.0])), F32, rtol=1e-6)


def test_unary_special_values():
    check(cr.log(cr.tensor([0.0, -1.0])), [-INF, NAN], F32)
    check(cr.sqrt(cr.tensor([-1.0])), [NAN], F32)
    check(cr.exp(cr.tensor([-INF, INF])), [0.0, INF], F32)
    check(cr.sign(cr.tensor([-2.0, 0.0, 3.0])), [-1.0, 0.0, 1.0], F32)
    # round half to even, like torch.round
    check(cr.round(cr.tensor([0.5, 1.5, 2.5, -0.5, -1.5])), [0.0, 2.0, 2.0, -0.0, -2.0], F32)
    check(cr.relu(cr.tensor([-1.0, 0.0, 2.0])), [0.0, 0.0, 2.0], F32)
    check(cr.sigmoid(cr.tensor([-100.0, 0.0, 100.0])), [0.0, 0.5, 1.0], F32)


# --------------------------------------------------------------------------- clamp / max / where


def test_clamp_and_clip():
    x = cr.tensor([-2.0, 0.5, 3.0])
    check(x.clamp(-1, 1), [-1.0, 0.5, 1.0], F32)
    check(x.clamp(min=0), [0.0, 0.5, 3.0], F32)
    check(x.clamp(max=0), [-2.0, 0.0, 0.0], F32)
    check(cr.clamp(x, min=-1.0, max=1.0), [-1.0, 0.5, 1.0], F32)
    check(cr.clip(x, 0, 1), [0.0, 0.5, 1.0], F32)
    check(x.clip(max=2), [-2.0, 0.5, 2.0], F32)
    check(x.clamp(min=3, max=2), [2.0, 2.0, 2.0], F32)  # min > max gives max
    check(x.clamp(min=cr.tensor([0.0, 1.0, 2.0])), [0.0, 1.0, 3.0], F32)
    check(x.clamp(min=cr.tensor([-3.0]), max=cr.tensor([0.0, 0.0, 2.0])), [-2.0, 0.0, 2.0], F32)
    check(cr.tensor([-2, 0, 3]).clamp(0, 2), [0, 0, 2], I64)
    check(cr.tensor([-2, 0, 3]).clamp(min=0.5), [0.5, 0.5, 3.0], F32)
    check(cr.tensor(5.0).clamp(max=1), 1.0, F32)
    check(cr.tensor([NAN]).clamp(0, 1), [NAN], F32)


def test_clamp_without_bounds_raises():
    with pytest.raises(RuntimeError, match="At least one of 'min' or 'max' must not be None"):
        cr.clamp(cr.tensor([1.0]))


def test_maximum_minimum_where():
    a = cr.tensor([1.0, 5.0, NAN])
    b = cr.tensor([2.0, 0.0, 0.0])
    check(cr.maximum(a, b), [2.0, 5.0, NAN], F32)
    check(cr.minimum(a, b), [1.0, 0.0, NAN], F32)
    check(a.maximum(b), [2.0, 5.0, NAN], F32)
    check(cr.maximum(cr.tensor([1, 5]), cr.tensor([2.0, 0.0])), [2.0, 5.0], F32)
    check(cr.maximum(cr.tensor([[1], [4]]), cr.tensor([2, 3])), [[2, 3], [4, 4]], I64)
    cond = cr.tensor([True, False, True])
    check(cr.where(cond, cr.tensor([1, 2, 3]), cr.tensor([-1, -2, -3])), [1, -2, 3], I64)
    check(cr.where(cond, cr.tensor([1, 2, 3]), 0.5), [1.0, 0.5, 3.0], F32)
    check(cr.where(cond, 1.0, 0.0), [1.0, 0.0, 1.0], F32)
    check(cr.where(cond, 1, 0), [1, 0, 1], I64)
    x = cr.tensor([[-1.0, 2.0], [3.0, -4.0]])
    check(cr.where(x > 0, x, cr.zeros(1)), [[0.0, 2.0], [3.0, 0.0]], F32)
    check(
        cr.where(cr.tensor([[True], [False]]), cr.tensor([1.0, 2.0]), -1.0),
        [[1.0, 2.0], [-1.0, -1.0]],
        F32,
    )


# --------------------------------------------------------------------------- comparisons and logic


@pytest.mark.parametrize(
    "expr,expected",
    [
        (lambda a, b: a == b, [False, True, False]),
        (lambda a, b: a != b, [True, False, True]),
        (lambda a, b: a < b, [True, False, False]),
        (lambda a, b: a <= b, [True, True, False]),
        (lambda a, b: a > b, [False, False, True]),
        (lambda a, b: a >= b, [False, True, True]),
        (lambda a, b: a == 2, [False, True, False]),
        (lambda a, b: 2 < a, [False, False, True]),
        (lambda a, b: 2.5 >= a, [True, True, False]),
        (lambda a, b: cr.eq(a, b), [False, True, False]),
        (lambda a, b: cr.gt(a, 1), [False, True, True]),
        (lambda a, b: a.lt(b), [True, False, False]),
        (lambda a, b: a.ne(b), [True, False, True]),
        (lambda a, b: a.ge(2), [False, True, True]),
        (lambda a, b: a.le(b), [True, True, False]),
    ],
)
def test_comparisons_give_bool(expr, expected):
    a = cr.tensor([1, 2, 3])
    b = cr.tensor([2.0, 2.0, 2.0])
    check(expr(a, b), expected, BOOL)


def test_comparison_broadcast_and_nan():
    check(cr.tensor([1, 2]) > cr.tensor([[1], [2]]), [[False, True], [False, False]], BOOL)
    n = cr.tensor([NAN, 1.0])
    check(n == n, [False, True], BOOL)
    check(n != n, [True, False], BOOL)


def test_logical_ops():
    a = cr.tensor([True, True, False, False])
    b = cr.tensor([True, False, True, False])
    check(cr.logical_and(a, b), [True, False, False, False], BOOL)
    check(cr.logical_or(a, b), [True, True, True, False], BOOL)
    check(cr.logical_not(a), [False, False, True, True], BOOL)
    check(a.logical_and(b), [True, False, False, False], BOOL)
    check(a & b, [True, False, False, False], BOOL)
    check(a | b, [True, True, True, False], BOOL)
    check(a ^ b, [False, True, True, False], BOOL)
    check(~a, [False, False, True, True], BOOL)
    # non-bool inputs count nonzero as True
    check(cr.logical_and(cr.tensor([1.0, 0.0]), cr.tensor([2, 2])), [True, False], BOOL)
    check(cr.logical_not(cr.tensor([0, 3])), [True, False], BOOL)


def test_all_any():
    m = cr.tensor([[True, False], [True, True]])
    check(m.all(), False, BOOL)
    check(m.any(), True, BOOL)
    check(cr.all(m, dim=1), [False, True], BOOL)
    check(m.any(dim=0), [True, True], BOOL)
    check(m.all(dim=0, keepdim=True), [[True, False]], BOOL)
    check(m.all(axis=1), [False, True], BOOL)
    check(cr.tensor([1.0, 0.0]).any(), True, BOOL)
    check(cr.tensor([1.0, 0.5]).all(), True, BOOL)
    check(cr.zeros(0, dtype=BOOL).all(), True, BOOL)
    check(cr.zeros(0, dtype=BOOL).any(), False, BOOL)
    assert bool((cr.arange(3) < 5).all()) is True


def test_isnan_isinf_isclose_allclose_equal():
    x = cr.tensor([NAN, INF, -INF, 1.0])
    check(cr.isnan(x), [True, False, False, False], BOOL)
    check(cr.isinf(x), [False, True, True, False], BOOL)
    check(x.isnan(), [True, False, False, False], BOOL)
    check(cr.isnan(cr.tensor([1, 2])), [False, False], BOOL)
    a = cr.tensor([1.0, NAN, 2.0])
    b = cr.tensor([1.0 + 1e-9, NAN, 2.1])
    check(cr.isclose(a, b), [True, False, False], BOOL)
    check(cr.isclose(a, b, equal_nan=True), [True, True, False], BOOL)
    check(cr.isclose(a, b, rtol=0.1, equal_nan=True), [True, True, True], BOOL)
    check(a.isclose(b, atol=0.2, rtol=0), [True, False, True], BOOL)
    assert cr.allclose(cr.tensor([1.0, 2.0]), cr.tensor([1.0, 2.000001])) is True
    assert cr.allclose(cr.tensor([1.0]), cr.tensor([1.1])) is False
    assert cr.allclose(a, a, equal_nan=True) is True
    assert cr.tensor([1.0]).allclose(cr.tensor([1.0])) is True
    assert cr.equal(cr.tensor([1, 2]), cr.tensor([1, 2])) is True
    assert cr.equal(cr.tensor([1, 2]), cr.tensor([1, 3])) is False
    assert cr.equal(cr.tensor([1, 2]), cr.tensor([[1, 2]])) is False  # shapes differ
    assert cr.tensor([1.0]).equal(cr.tensor([1.0])) is True


# --------------------------------------------------------------------------- reductions

A = np.array([[1.0, 5.0, 5.0], [7.0, 2.0, 7.0]], dtype=np.float32)


def a23():
    return cr.tensor(A)


def test_full_reductions():
    a = a23()
    check(a.sum(), 27.0, F32)
    check(a.mean(), 4.5, F32)
    check(a.prod(), 2450.0, F32)
    check(a.max(), 7.0, F32)
    check(a.min(), 1.0, F32)
    check(cr.sum(a), 27.0, F32)
    check(cr.max(a), 7.0, F32)
    check(a.amax(), 7.0, F32)
    check(a.amin(), 1.0, F32)
    check(a.argmax(), 3, I64)  # flat index of the first maximum
    check(a.argmin(), 0, I64)
    check(a.std(), A.std(ddof=1), F32, rtol=1e-6)
    check(a.var(), A.var(ddof=1), F32, rtol=1e-6)
    check(a.var(unbiased=False), A.var(), F32, rtol=1e-6)
    check(a.var(correction=0), A.var(), F32, rtol=1e-6)
    check(a.std(unbiased=False), A.std(), F32, rtol=1e-6)
    assert a.sum().shape == ()


def test_reduction_dtypes():
    i = cr.tensor([[1, 2], [3, 4]])
    check(i.sum(), 10, I64)
    check(i.prod(), 24, I64)
    check(i.max(), 4, I64)
    check(cr.tensor([True, True, False]).sum(), 2, I64)
    check(cr.tensor([1, 2, 3], dtype=cr.int32).sum(), 6, I64)
    check(i.sum(dtype=F64), 10.0, F64)
    check(cr.tensor([1.0, 2.0], dtype=F64).mean(), 1.5, F64)
    check(i.float().mean(), 2.5, F32)
    with pytest.raises(RuntimeError, match="mean\\(\\): could not infer output dtype"):
        i.mean()


def test_reductions_of_empty():
    e = cr.zeros(0)
    check(e.sum(), 0.0, F32)
    check(e.prod(), 1.0, F32)
    check(e.mean(), NAN, F32)
    check(cr.zeros(0, 3).sum(dim=0), [0.0, 0.0, 0.0], F32)
    check(cr.zeros(0, 3).sum(dim=1), np.zeros(0), F32)
    with pytest.raises(RuntimeError, match="Expected reduction dim to be specified"):
        e.max()


@pytest.mark.parametrize(
    "fn,ref",
    [
        ("sum", np.sum),
        ("mean", np.mean),
        ("amax", np.amax),
        ("amin", np.amin),
        ("std", lambda a, axis, keepdims: np.std(a, axis=axis, ddof=1, keepdims=keepdims)),
        ("var", lambda a, axis, keepdims: np.var(a, axis=axis, ddof=1, keepdims=keepdims)),
        (
            "logsumexp",
            lambda a, axis, keepdims: np.log(np.sum(np.exp(a), axis=axis, keepdims=keepdims)),
        ),
    ],
)
@pytest.mark.parametrize(
    "dim",
    [0, 1, -1, (0, 1), [0, 2], (2,), (-1, 0)],
    ids=["0", "1", "-1", "tuple", "list", "1-tuple", "negative tuple"],
)
@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("spelling", ["dim/keepdim", "axis/keepdims", "positional"])
def test_reductions_along_dims(fn, ref, dim, keepdim, spelling):
    data = np.arange(24, dtype=np.float64).reshape(2, 3, 4) / 10
    t = cr.tensor(data, dtype=F32)
    if spelling == "dim/keepdim":
        out = getattr(t, fn)(dim=dim, keepdim=keepdim)
    elif spelling == "axis/keepdims":
        out = getattr(t, fn)(axis=dim, keepdims=keepdim)
    elif fn in ("std", "var"):  # their second positional parameter is `unbiased`
        out = getattr(t, fn)(dim, keepdim=keepdim)
    else:
        out = getattr(t, fn)(dim, keepdim)
    axis = tuple(dim) if isinstance(dim, list) else dim
    check(out, ref(data, axis=axis, keepdims=keepdim), F32, rtol=1e-5, atol=1e-6)


def test_prod_along_one_dim():
    t = cr.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    check(t.prod(dim=1), [6.0, 120.0], F32)
    check(t.prod(0, keepdim=True), [[4.0, 10.0, 18.0]], F32)
    check(cr.prod(t, axis=1, keepdims=True), [[6.0], [120.0]], F32)


def test_max_min_along_dim_return_named_tuple():
    a = a23()
    out = a.max(dim=1)
    assert isinstance(out, tuple)
    values, indices = out
    check(values, [5.0, 7.0], F32)
    check(indices, [1, 0], I64)  # ties: the first index
    check(out.values, [5.0, 7.0], F32)
    check(out.indices, [1, 0], I64)
    check(out[0], [5.0, 7.0], F32)
    m = cr.min(a, 0)
    check(m.values, [1.0, 2.0, 5.0], F32)
    check(m.indices, [0, 1, 0], I64)
    k = a.max(axis=1, keepdims=True)
    check(k.values, [[5.0], [7.0]], F32)
    check(k.indices, [[1], [0]], I64)
    k = a.min(dim=-1, keepdim=True)
    check(k.values, [[1.0], [2.0]], F32)
    i = cr.tensor([[3, 1], [0, 9]])
    check(i.max(0).values, [3, 9], I64)
    assert repr(cr.tensor([[1, 5], [7, 2]]).max(dim=1)) == (
        "torch.return_types.max(\nvalues=tensor([5, 7]),\nindices=tensor([1, 0]))"
    )


def test_argmax_argmin_along_dim():
    a = a23()
    check(a.argmax(dim=1), [1, 0], I64)
    check(a.argmin(dim=0), [0, 1, 0], I64)
    check(cr.argmax(a, dim=1, keepdim=True), [[1], [0]], I64)
    check(a.argmax(axis=0), [1, 0, 1], I64)
    check(cr.argmin(a), 0, I64)


def test_std_var_along_dim_and_corrections():
    a = a23()
    check(a.std(dim=1), A.std(axis=1, ddof=1), F32, rtol=1e-6)
    check(a.var(axis=0, keepdims=True), A.var(axis=0, ddof=1, keepdims=True), F32, rtol=1e-6)
    check(a.var(dim=1, unbiased=False), A.var(axis=1), F32, rtol=1e-6)
    check(a.std(dim=0, correction=0), A.std(axis=0), F32, rtol=1e-6)
    check(cr.var(a, 1), A.var(axis=1, ddof=1), F32, rtol=1e-6)
    check(cr.std(a), A.std(ddof=1), F32, rtol=1e-6)


def test_logsumexp_is_stable():
    check(cr.logsumexp(cr.tensor([1000.0, 1000.0]), dim=0), 1000.0 + math.log(2), F32)
    check(cr.tensor([-1000.0, -1000.0]).logsumexp(0), -1000.0 + math.log(2), F32)
    check(cr.tensor([[1.0, 2.0], [3.0, 4.0]]).logsumexp(1), [2.3132617, 4.3132617], F32)
    check(cr.tensor([-INF, -INF]).logsumexp(0), -INF, F32)


def test_cumsum_cumprod():
    t = cr.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    check(t.cumsum(dim=1), [[1.0, 3.0, 6.0], [4.0, 9.0, 15.0]], F32)
    check(t.cumsum(0), [[1.0, 2.0, 3.0], [5.0, 7.0, 9.0]], F32)
    check(t.cumsum(axis=-1), [[1.0, 3.0, 6.0], [4.0, 9.0, 15.0]], F32)
    check(cr.cumsum(t, dim=0), [[1.0, 2.0, 3.0], [5.0, 7.0, 9.0]], F32)
    check(t.cumprod(dim=1), [[1.0, 2.0, 6.0], [4.0, 20.0, 120.0]], F32)
    check(cr.cumprod(t, 0), [[1.0, 2.0, 3.0], [4.0, 10.0, 18.0]], F32)
    check(cr.tensor([1, 2, 3]).cumsum(0), [1, 3, 6], I64)
    check(cr.tensor([1, 2, 3]).cumprod(0), [1, 2, 6], I64)
    check(cr.tensor([True, True]).cumsum(0), [1, 2], I64)
    check(cr.zeros(0).cumsum(0), np.zeros(0), F32)
    check(cr.tensor(3.0).cumsum(0), 3.0, F32)


def test_norms():
    v = cr.tensor([3.0, -4.0])
    m = cr.tensor([[1.0, -2.0], [3.0, 4.0]])
    check(v.norm(), 5.0, F32)
    check(v.norm(p=2), 5.0, F32)
    check(v.norm(p=1), 7.0, F32)
    check(v.norm(p=INF), 4.0, F32)
    check(v.norm(float("inf")), 4.0, F32)
    check(m.norm(), math.sqrt(30), F32)
    check(m.norm(p="fro"), math.sqrt(30), F32)
    check(m.norm(dim=1), [math.sqrt(5), 5.0], F32)
    check(m.norm(p=1, dim=0, keepdim=True), [[4.0, 6.0]], F32)
    check(m.norm(dim=(0, 1)), math.sqrt(30), F32)
    check(cr.norm(v), 5.0, F32)
    check(cr.norm(m, p=INF, dim=1), [2.0, 4.0], F32)
    check(cr.norm(cr.ones(4, 9)), 6.0, F32)
    check(cr.norm(cr.tensor([3.0, 4.0], dtype=F64)), 5.0, F64)
    check(cr.zeros(0).norm(), 0.0, F32)


def test_linalg_norm():
    v = cr.tensor([3.0, -4.0])
    m = cr.tensor([[1.0, -2.0], [3.0, 4.0]])
    M = np.array([[1.0, -2.0], [3.0, 4.0]])
    check(cr.linalg.norm(v), 5.0, F32)
    check(cr.linalg.norm(v, ord=1), 7.0, F32)
    check(cr.linalg.norm(v, INF), 4.0, F32)
    check(cr.linalg.norm(m), math.sqrt(30), F32)  # Frobenius
    check(cr.linalg.norm(m, ord="fro"), math.sqrt(30), F32)
    check(cr.linalg.norm(m, ord=1), 6.0, F32)  # max column sum
    check(cr.linalg.norm(m, ord=INF), 7.0, F32)  # max row sum
    check(cr.linalg.norm(m, ord=2), np.linalg.norm(M, 2), F32, rtol=1e-5)
    check(cr.linalg.norm(m, dim=1), [math.sqrt(5), 5.0], F32)
    check(cr.linalg.norm(m, ord=1, dim=0, keepdim=True), [[4.0, 6.0]], F32)


# --------------------------------------------------------------------------- linear algebra


def test_dot_mv_mm_outer():
    x = cr.tensor([1.0, 2.0, 3.0])
    y = cr.tensor([4.0, 5.0, 6.0])
    M = cr.tensor([[1.0, 0.0, 2.0], [0.0, 1.0, -1.0]])
    check(cr.dot(x, y), 32.0, F32)
    check(x.dot(y), 32.0, F32)
    check(cr.mv(M, x), [7.0, -1.0], F32)
    check(M.mv(x), [7.0, -1.0], F32)
    check(cr.mm(M, M.T), [[5.0, -2.0], [-2.0, 2.0]], F32)
    check(M.mm(M.T), [[5.0, -2.0], [-2.0, 2.0]], F32)
    check(cr.outer(x, y), np.outer([1, 2, 3], [4, 5, 6]), F32)
    check(x.outer(cr.tensor([1, 2])), [[1.0, 2.0], [2.0, 4.0], [3.0, 6.0]], F32)
    check(cr.dot(cr.tensor([1, 2]), cr.tensor([3, 4])), 11, I64)
    check(cr.mm(cr.tensor([[1, 2]]), cr.tensor([[3], [4]])), [[11]], I64)
    d = cr.tensor([1.0, 2.0], dtype=F64)
    check(cr.dot(d, d), 5.0, F64)


@pytest.mark.parametrize(
    "sa,sb",
    [
        ((3,), (3,)),
        ((2, 3), (3,)),
        ((3,), (3, 4)),
        ((2, 3), (3, 4)),
        ((5, 2, 3), (5, 3, 4)),
        ((5, 2, 3), (3, 4)),
        ((3,), (5, 3, 4)),
        ((5, 2, 3), (3,)),
        ((2, 1, 2, 3), (5, 3, 2)),
        ((0, 3), (3, 2)),
        ((2, 0), (0, 3)),
    ],
)
def test_matmul_and_operator(sa, sb):
    rng = np.random.default_rng(0)
    a = rng.standard_normal(sa).astype(np.float32)
    b = rng.standard_normal(sb).astype(np.float32)
    expected = np.matmul(a.astype(np.float64), b.astype(np.float64))
    ta, tb = cr.tensor(a), cr.tensor(b)
    check(ta @ tb, expected, F32, rtol=1e-5, atol=1e-5)
    check(cr.matmul(ta, tb), expected, F32, rtol=1e-5, atol=1e-5)
    check(ta.matmul(tb), expected, F32, rtol=1e-5, atol=1e-5)


def test_matmul_non_contiguous_and_reflected():
    a = cr.arange(6.0).reshape(3, 2).T  # (2, 3), non-contiguous
    b = cr.arange(3.0)
    check(a @ b, np.arange(6.0).reshape(3, 2).T @ np.arange(3.0), F32)
    check(a.T @ a, np.arange(6.0).reshape(3, 2) @ np.arange(6.0).reshape(3, 2).T, F32)
    check(cr.tensor([1, 2]) @ cr.tensor([[1, 0], [0, 1]]), [1, 2], I64)


def test_matmul_shape_errors():
    with pytest.raises(
        RuntimeError, match="mat1 and mat2 shapes cannot be multiplied \\(2x3 and 2x3\\)"
    ):
        cr.ones(2, 3) @ cr.ones(2, 3)
    with pytest.raises(RuntimeError):
        cr.mv(cr.ones(2, 3), cr.ones(2))
    with pytest.raises(RuntimeError, match="1D tensors expected"):
        cr.dot(cr.ones(2, 2), cr.ones(2, 2))


# --------------------------------------------------------------------------- interop


def test_numpy_shares_memory():
    t = cr.tensor([[1.0, 2.0], [3.0, 4.0]])
    a = t.numpy()
    assert isinstance(a, np.ndarray) and a.dtype == np.float32 and a.shape == (2, 2)
    a[0, 0] = 10.0
    assert t[0, 0].item() == 10.0
    t.add_(1)
    assert a[1, 1] == 5.0
    v = t.T
    assert shares_memory(v.numpy(), a)
    assert v.numpy().shape == (2, 2)
    assert cr.tensor([1, 2]).numpy().dtype == np.int64
    assert cr.tensor([True]).numpy().dtype == np.bool_
    assert cr.tensor(2.0).numpy().shape == ()


def test_np_asarray_and_array_protocol():
    t = cr.arange(6.0).reshape(2, 3)
    a = np.asarray(t)
    assert a.dtype == np.float32 and a.shape == (2, 3)
    assert shares_memory(t, a)
    b = np.asarray(t, dtype=np.float64)
    assert b.dtype == np.float64
    np.testing.assert_array_equal(np.array(t), np.arange(6.0).reshape(2, 3))


def test_item():
    assert cr.tensor([3.5]).item() == 3.5 and type(cr.tensor([3.5]).item()) is float
    assert cr.tensor(7).item() == 7 and type(cr.tensor(7).item()) is int
    assert cr.tensor([[True]]).item() is True
    assert type(cr.tensor(1.5, dtype=F64).item()) is float
    assert cr.tensor(0.1).item() == float(np.float32(0.1))
    with pytest.raises(
        RuntimeError, match="a Tensor with 2 elements cannot be converted to Scalar"
    ):
        cr.tensor([1.0, 2.0]).item()


def test_tolist():
    assert cr.tensor([[1, 2], [3, 4]]).tolist() == [[1, 2], [3, 4]]
    assert type(cr.tensor([1, 2]).tolist()[0]) is int
    assert type(cr.tensor([1.0]).tolist()[0]) is float
    assert cr.tensor([True, False]).tolist() == [True, False]
    assert cr.tensor(2.5).tolist() == 2.5
    assert cr.zeros(0, 2).tolist() == []
    assert cr.arange(4).reshape(2, 2).T.tolist() == [[0, 2], [1, 3]]


def test_python_number_conversions():
    assert float(cr.tensor([3.5])) == 3.5
    assert int(cr.tensor([3.5])) == 3
    assert int(cr.tensor(-3.5)) == -3
    assert type(int(cr.tensor([7]))) is int
    assert bool(cr.tensor([0.0])) is False
    assert bool(cr.tensor(3)) is True
    assert float(cr.tensor([[2]])) == 2.0
    assert math.isnan(float(cr.tensor(NAN)))
    with pytest.raises(
        RuntimeError, match="Boolean value of Tensor with more than one value is ambiguous"
    ):
        bool(cr.tensor([1, 2]))
    with pytest.raises((ValueError, RuntimeError)):
        float(cr.tensor([1.0, 2.0]))
    # a one-element tensor works as a Python index
    assert [10, 20, 30][cr.tensor(1)] == 20


def test_construction_from_pandas_like_arrays():
    # df.to_numpy() of a numeric frame is float64 and often Fortran-ordered or read-only
    a = np.asfortranarray(np.array([[3.0, 1.0, 0.0], [2.0, 0.0, 1.0]]))
    check(cr.tensor(a), a, F64)
    ro = np.array([127500, 106000])
    ro.setflags(write=False)
    t = cr.tensor(ro)
    check(t, [127500, 106000], I64)
    t[0] = 1  # a copy: writable even though the source was not
    assert ro[0] == 127500
    check(cr.tensor(np.array([[1, 0], [0, 1]], dtype=bool)), [[True, False], [False, True]], BOOL)


def test_construction_from_pandas_frame():
    pd = pytest.importorskip("pandas")
    df = pd.DataFrame({"a": [1.0, 2.0], "b": [3.0, 4.0]})
    check(cr.tensor(df.to_numpy()), [[1.0, 3.0], [2.0, 4.0]], F64)
    check(cr.tensor(df.values, dtype=F32), [[1.0, 3.0], [2.0, 4.0]], F32)
    check(cr.tensor(df["a"].to_numpy()), [1.0, 2.0], F64)


# --------------------------------------------------------------------------- printing

PRINTED = [
    (lambda: cr.tensor([-1, 20, 300]), "tensor([ -1,  20, 300])"),
    (lambda: cr.tensor([1, 2], dtype=cr.int32), "tensor([1, 2], dtype=torch.int32)"),
    (
        lambda: cr.tensor([1.5, 2], dtype=cr.float16),
        "tensor([1.5000, 2.0000], dtype=torch.float16)",
    ),
    (lambda: cr.tensor([1.5, 2], dtype=F64), "tensor([1.5000, 2.0000], dtype=torch.float64)"),
    (lambda: cr.tensor([1.0, 2.0], dtype=F64), "tensor([1., 2.], dtype=torch.float64)"),
    (lambda: cr.tensor([0.1, -2.25, 3.0]), "tensor([ 0.1000, -2.2500,  3.0000])"),
    (lambda: cr.tensor([-1.0, 0.0, 1.0]), "tensor([-1.,  0.,  1.])"),
    (lambda: cr.tensor([NAN, INF, -INF, 1.0]), "tensor([nan, inf, -inf, 1.])"),
    (lambda: cr.tensor([NAN, 1.5]), "tensor([   nan, 1.5000])"),
    (lambda: cr.tensor([1e10, 1.0]), "tensor([1.0000e+10, 1.0000e+00])"),
    (lambda: cr.tensor([1e-5, 1.0]), "tensor([1.0000e-05, 1.0000e+00])"),
    (lambda: cr.tensor([12345678.0, 1.0]), "tensor([1.2346e+07, 1.0000e+00])"),
    (lambda: cr.tensor([0.001, 1000.0]), "tensor([1.0000e-03, 1.0000e+03])"),
    (
        lambda: cr.exp(cr.tensor([1.0, 2, 4, 8])),
        "tensor([2.7183e+00, 7.3891e+00, 5.4598e+01, 2.9810e+03])",
    ),
    (lambda: cr.tensor([1 / 3, 2 / 3]), "tensor([0.3333, 0.6667])"),
    (lambda: cr.tensor([-0.0, 1.0]), "tensor([-0., 1.])"),
    (lambda: cr.tensor([True, False]), "tensor([ True, False])"),
    (lambda: cr.tensor(True), "tensor(True)"),
    (lambda: cr.tensor(3.5), "tensor(3.5000)"),
    (lambda: cr.tensor(-7), "tensor(-7)"),
    (lambda: cr.tensor(2.0, dtype=F64), "tensor(2., dtype=torch.float64)"),
    (lambda: cr.tensor(2, dtype=cr.int32), "tensor(2, dtype=torch.int32)"),
    (lambda: cr.tensor(NAN), "tensor(nan)"),
    (lambda: cr.tensor(1e20), "tensor(1.0000e+20)"),
    (lambda: cr.tensor([]), "tensor([])"),
    (lambda: cr.tensor([], dtype=I64), "tensor([], dtype=torch.int64)"),
    (lambda: cr.tensor([], dtype=F64), "tensor([], dtype=torch.float64)"),
    (lambda: cr.zeros(0, dtype=BOOL), "tensor([], dtype=torch.bool)"),
    (lambda: cr.zeros(0, 3), "tensor([], size=(0, 3))"),
    (lambda: cr.zeros(2, 0, dtype=I64), "tensor([], size=(2, 0), dtype=torch.int64)"),
    (lambda: cr.tensor([123456789012, 1]), "tensor([123456789012,            1])"),
    (
        lambda: cr.tensor([[1.0], [2.0]], dtype=F64),
        "tensor([[1.],\n        [2.]], dtype=torch.float64)",
    ),
    (
        lambda: cr.arange(8).reshape(2, 2, 2),
        "tensor([[[0, 1],\n         [2, 3]],\n\n        [[4, 5],\n         [6, 7]]])",
    ),
    (
        lambda: cr.arange(6.0).reshape(2, 3).T,
        "tensor([[0., 3.],\n        [1., 4.],\n        [2., 5.]])",
    ),
    (lambda: cr.arange(10.0)[::3], "tensor([0., 3., 6., 9.])"),
    (lambda: cr.sigmoid(cr.tensor([-1.0, 0.0, 1.0])), "tensor([0.2689, 0.5000, 0.7311])"),
    (
        lambda: cr.arange(30.0),
        "tensor([ 0.,  1.,  2.,  3.,  4.,  5.,  6.,  7.,  8.,  9., 10., 11., 12., 13.,\n"
        "        14., 15., 16., 17., 18., 19., 20., 21., 22., 23., 24., 25., 26., 27.,\n"
        "        28., 29.])",
    ),
    (
        lambda: cr.arange(40),
        "tensor([ 0,  1,  2,  3,  4,  5,  6,  7,  8,  9, 10, 11, 12, 13, 14, 15, 16, 17,\n"
        "        18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35,\n"
        "        36, 37, 38, 39])",
    ),
    (lambda: cr.arange(2000), "tensor([   0,    1,    2,  ..., 1997, 1998, 1999])"),
]


@pytest.mark.parametrize("make,text", PRINTED, ids=[t for _, t in PRINTED])
def test_repr_like_pytorch(make, text):
    t = make()
    assert repr(t) == text
    assert str(t) == text


def test_print_and_format(capsys):
    print(cr.tensor([0.0, 2.0, 4.0, 6.0]))
    assert capsys.readouterr().out == "tensor([0., 2., 4., 6.])\n"
    assert f"{cr.tensor([1, 2])}" == "tensor([1, 2])"
    assert f"{cr.tensor(2.5):.2f}" == "2.50"  # a 0-d tensor formats like its number
    assert repr([cr.tensor(1), cr.tensor(2.0)]) == "[tensor(1), tensor(2.)]"


def test_repr_of_summarized_2d():
    expected = (
        "tensor([[   0,    1,    2,  ...,   37,   38,   39],\n"
        "        [  40,   41,   42,  ...,   77,   78,   79],\n"
        "        [  80,   81,   82,  ...,  117,  118,  119],\n"
        "        ...,\n"
        "        [1880, 1881, 1882,  ..., 1917, 1918, 1919],\n"
        "        [1920, 1921, 1922,  ..., 1957, 1958, 1959],\n"
        "        [1960, 1961, 1962,  ..., 1997, 1998, 1999]])"
    )
    assert repr(cr.arange(2000).reshape(50, 40)) == expected
