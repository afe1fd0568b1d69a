"""Creation functions, dtypes and PyTorch's type promotion (values as PyTorch 2.13 gives them)."""

import numpy as np
import pytest
from _util import check, shares_memory

import chainrule as cr

F32, F64, I32, I64, BOOL = cr.float32, cr.float64, cr.int32, cr.int64, cr.bool


# --------------------------------------------------------------------------- tensor()


@pytest.mark.parametrize(
    "data,dtype,shape",
    [
        ([1.0, 2.0], F32, (2,)),
        ([1, 2.0], F32, (2,)),  # any float makes the whole tensor float
        ([1, 2], I64, (2,)),
        ([True, False], BOOL, (2,)),
        ([True, 1], I64, (2,)),
        (3, I64, ()),
        (3.5, F32, ()),
        (True, BOOL, ()),
        ([], F32, (0,)),
        ([[1, 2], [3, 4]], I64, (2, 2)),
        ([[[1.0]]], F32, (1, 1, 1)),
    ],
)
def test_tensor_default_dtypes(data, dtype, shape):
    t = cr.tensor(data)
    assert isinstance(t, cr.Tensor)
    assert t.dtype == dtype
    assert t.shape == shape
    np.testing.assert_array_equal(t.numpy(), np.array(data))


def test_default_dtype_is_float32():
    assert cr.get_default_dtype() == F32
    assert cr.zeros(2).dtype == F32
    assert cr.ones(2).dtype == F32
    assert cr.rand(2).dtype == F32
    assert cr.randn(2).dtype == F32
    assert cr.full((2,), 1.0).dtype == F32
    assert cr.tensor(1.0).dtype == F32


@pytest.mark.parametrize(
    "np_dtype,dtype",
    [
        (np.float64, F64),
        (np.float32, F32),
        (np.int64, I64),
        (np.int32, I32),
        (np.bool_, BOOL),
        (np.float16, cr.float16),
    ],
)
def test_tensor_from_numpy_keeps_dtype_and_copies(np_dtype, dtype):
    a = np.arange(6).reshape(2, 3).astype(np_dtype)
    t = cr.tensor(a)
    assert t.dtype == dtype
    assert t.shape == (2, 3)
    assert not shares_memory(t, a)
    a[0, 0] = 1  # the tensor is a copy
    assert t.numpy()[0, 0] == 0


def test_tensor_from_0d_numpy_array_and_numpy_scalar():
    assert cr.tensor(np.array(2.0)).dtype == F64
    assert cr.tensor(np.array(2.0)).shape == ()
    assert cr.tensor(np.float64(2.0)).dtype == F64
    assert cr.tensor(np.int32(2)).dtype == I32


def test_tensor_with_dtype_argument():
    t = cr.tensor([[1, 2], [3, 4]], dtype=cr.float64)
    check(t, [[1.0, 2.0], [3.0, 4.0]], F64)
    assert repr(t) == "tensor([[1., 2.],\n        [3., 4.]], dtype=torch.float64)"
    check(cr.tensor([1.7, -1.7], dtype=cr.int64), [1, -1], I64)
    check(cr.tensor([0, 2], dtype=cr.bool), [False, True], BOOL)


def test_tensor_from_non_contiguous_numpy_array():
    a = np.arange(12.0).reshape(3, 4)[:, ::2].T
    t = cr.tensor(a)
    check(t, a, F64)


def test_tensor_of_ragged_list_raises():
    with pytest.raises(ValueError, match="expected sequence of length 2 at dim 1 \\(got 3\\)"):
        cr.tensor([[1, 2], [3, 4, 5]])


# --------------------------------------------------------------------------- as_tensor / from_numpy


def test_from_numpy_shares_memory_both_ways():
    a = np.arange(6, dtype=np.float64).reshape(2, 3)
    t = cr.from_numpy(a)
    assert t.dtype == F64
    assert shares_memory(t, a)
    a[0, 1] = 10.0
    assert t[0, 1].item() == 10.0
    t[1, 2] = -1.0
    assert a[1, 2] == -1.0
    t.add_(1)
    assert a[0, 0] == 1.0


@pytest.mark.parametrize("np_dtype", [np.int64, np.int32, np.float32, np.bool_])
def test_from_numpy_dtypes(np_dtype):
    a = np.zeros(3, dtype=np_dtype)
    t = cr.from_numpy(a)
    assert t.numpy().dtype == np.dtype(np_dtype)
    assert shares_memory(t, a)


def test_as_tensor_shares_when_it_can():
    a = np.arange(4, dtype=np.float32)
    t = cr.as_tensor(a)
    assert t.dtype == F32
    assert shares_memory(t, a)
    a[0] = 7
    assert t[0].item() == 7
    # a dtype change needs a copy
    u = cr.as_tensor(a, dtype=cr.float64)
    assert u.dtype == F64
    assert not shares_memory(u, a)
    # a tensor passes through unchanged
    x = cr.tensor([1.0, 2.0])
    assert cr.as_tensor(x) is x
    assert cr.as_tensor(x, dtype=cr.float64) is not x
    # python data gives the default dtypes
    assert cr.as_tensor([1, 2]).dtype == I64
    assert cr.as_tensor([1.0, 2]).dtype == F32


# --------------------------------------------------------------------------- ranges


@pytest.mark.parametrize(
    "args,kwargs,expected,dtype",
    [
        ((5,), {}, [0, 1, 2, 3, 4], I64),
        ((5.0,), {}, [0.0, 1, 2, 3, 4], F32),
        ((2.5,), {}, [0.0, 1, 2], F32),
        ((1, 10, 3), {}, [1, 4, 7], I64),
        ((10, 0, -3), {}, [10, 7, 4, 1], I64),
        ((0, 1, 0.25), {}, [0, 0.25, 0.5, 0.75], F32),
        ((0, 5, 2.0), {}, [0.0, 2, 4], F32),
        ((5,), {"dtype": cr.float64}, [0.0, 1, 2, 3, 4], F64),
        ((0,), {}, np.zeros(0, dtype=np.int64), I64),
        ((3, 3), {}, np.zeros(0, dtype=np.int64), I64),
        ((-2, 2), {}, [-2, -1, 0, 1], I64),
    ],
)
def test_arange(args, kwargs, expected, dtype):
    check(cr.arange(*args, **kwargs), expected, dtype)


def test_arange_keywords():
    check(cr.arange(start=1, end=4), [1, 2, 3], I64)
    check(cr.arange(0, 6, step=2), [0, 2, 4], I64)
    assert repr(cr.arange(0, 1, 0.25)) == "tensor([0.0000, 0.2500, 0.5000, 0.7500])"


@pytest.mark.parametrize(
    "args,kwargs,expected,dtype",
    [
        ((0, 1, 5), {}, [0, 0.25, 0.5, 0.75, 1.0], F32),
        ((-1, 1, 3), {"dtype": cr.float64}, [-1.0, 0.0, 1.0], F64),
        ((0, 10, 1), {}, [0.0], F32),
        ((2, 3), {"steps": 3}, [2.0, 2.5, 3.0], F32),
        ((0, 1, 0), {}, np.zeros(0), F32),
    ],
)
def test_linspace(args, kwargs, expected, dtype):
    check(cr.linspace(*args, **kwargs), expected, dtype)


def test_linspace_repr():
    assert repr(cr.linspace(0, 1, 5)) == "tensor([0.0000, 0.2500, 0.5000, 0.7500, 1.0000])"


# --------------------------------------------------------------------------- filled tensors


@pytest.mark.parametrize("fn,value", [("zeros", 0), ("ones", 1)])
@pytest.mark.parametrize("args", [((2, 3),), (2, 3), ([2, 3],)], ids=["tuple", "varargs", "list"])
def test_zeros_ones_shapes(fn, value, args):
    t = getattr(cr, fn)(*args)
    check(t, np.full((2, 3), value, dtype=np.float32), F32)


@pytest.mark.parametrize("fn", ["zeros", "ones"])
def test_zeros_ones_dtypes_and_edge_shapes(fn):
    f = getattr(cr, fn)
    assert f(2, dtype=cr.int64).dtype == I64
    assert f(2, dtype=cr.bool).dtype == BOOL
    assert f(2, dtype=cr.float64).dtype == F64
    assert f(()).shape == ()
    assert f(0).shape == (0,)
    assert f(2, 0, 3).shape == (2, 0, 3)
    assert f(2, 0, 3).numel() == 0


def test_full():
    check(cr.full((2, 2), 7), [[7, 7], [7, 7]], I64)
    check(cr.full((2,), 7.0), [7.0, 7.0], F32)
    check(cr.full((2,), True), [True, True], BOOL)
    check(cr.full([3], 2, dtype=cr.float64), [2.0, 2.0, 2.0], F64)
    check(cr.full((), 1.5), 1.5, F32)


def test_eye():
    check(cr.eye(3), np.eye(3), F32)
    check(cr.eye(2, 3), np.eye(2, 3), F32)
    check(cr.eye(2, dtype=cr.int64), np.eye(2, dtype=np.int64), I64)
    assert repr(cr.eye(2, 3)) == "tensor([[1., 0., 0.],\n        [0., 1., 0.]])"
    assert cr.eye(0).shape == (0, 0)


def test_like_functions_keep_shape_and_dtype():
    x = cr.tensor([[1, 2, 3]])
    check(cr.zeros_like(x), [[0, 0, 0]], I64)
    check(cr.ones_like(x), [[1, 1, 1]], I64)
    check(cr.full_like(x, 2.5), [[2, 2, 2]], I64)  # cast to x's integer dtype
    check(cr.ones_like(x, dtype=cr.float64), [[1.0, 1.0, 1.0]], F64)
    check(cr.full_like(x, 2.5, dtype=cr.float32), [[2.5, 2.5, 2.5]], F32)
    y = cr.arange(6.0).reshape(2, 3).T  # non-contiguous input
    check(cr.zeros_like(y), np.zeros((3, 2)), F32)
    e = cr.zeros(0, 2, dtype=cr.float64)
    check(cr.ones_like(e), np.zeros((0, 2)), F64)
    assert cr.zeros_like(x) is not x


# --------------------------------------------------------------------------- random


def test_rand_randn_shapes_ranges_dtypes():
    cr.manual_seed(0)
    u = cr.rand(1000)
    assert u.dtype == F32 and u.shape == (1000,)
    a = u.numpy()
    assert a.min() >= 0.0 and a.max() < 1.0
    assert 0.4 < a.mean() < 0.6
    n = cr.randn(2000)
    assert n.dtype == F32
    assert abs(float(n.mean())) < 0.1
    assert 0.9 < float(n.std()) < 1.1
    assert cr.rand(2, 3).shape == (2, 3)
    assert cr.rand((2, 3)).shape == (2, 3)
    assert cr.randn(2, 3, dtype=cr.float64).dtype == F64
    assert cr.randn(()).shape == ()
    assert cr.rand(0).shape == (0,)


def test_randint_forms():
    cr.manual_seed(1)
    t = cr.randint(0, 10, (1000,))
    assert t.dtype == I64 and t.shape == (1000,)
    a = t.numpy()
    assert a.min() >= 0 and a.max() <= 9
    assert len(np.unique(a)) == 10
    h = cr.randint(3, (2, 2))  # high only
    assert h.shape == (2, 2) and h.dtype == I64
    assert set(h.numpy().ravel()) <= {0, 1, 2}
    k = cr.randint(-5, -2, size=(50,))
    assert set(k.numpy().ravel()) <= {-5, -4, -3}


def test_normal_forms():
    cr.manual_seed(2)
    t = cr.normal(2.0, 3.0, size=(4000,))
    assert t.dtype == F32 and t.shape == (4000,)
    assert abs(float(t.mean()) - 2.0) < 0.2
    assert abs(float(t.std()) - 3.0) < 0.2
    u = cr.normal(0.0, 1.0, (2, 3))
    assert u.shape == (2, 3)
    m = cr.normal(cr.zeros(5), cr.ones(5) * 1e-6)
    assert m.shape == (5,)
    assert float(m.abs().max()) < 1e-4
    means = cr.tensor([0.0, 100.0, -100.0])
    v = cr.normal(means, 0.001)
    np.testing.assert_allclose(v.numpy(), [0.0, 100.0, -100.0], atol=0.1)


@pytest.mark.parametrize(
    "make",
    [
        lambda: cr.rand(5),
        lambda: cr.randn(2, 3),
        lambda: cr.randint(0, 100, (6,)),
        lambda: cr.normal(0.0, 1.0, size=(4,)),
        lambda: cr.randn(3, dtype=cr.float64),
    ],
    ids=["rand", "randn", "randint", "normal", "randn64"],
)
def test_manual_seed_is_deterministic(make):
    cr.manual_seed(42)
    a = make()
    b = make()
    cr.manual_seed(42)
    c = make()
    cr.manual_seed(43)
    d = make()
    np.testing.assert_array_equal(a.numpy(), c.numpy())
    assert not np.array_equal(a.numpy(), b.numpy())  # the stream moves on
    assert not np.array_equal(a.numpy(), d.numpy())  # another seed, another stream


def test_manual_seed_covers_a_sequence_of_calls():
    cr.manual_seed(7)
    first = [cr.rand(3).numpy(), cr.randn(3).numpy(), cr.randint(0, 9, (3,)).numpy()]
    cr.manual_seed(7)
    second = [cr.rand(3).numpy(), cr.randn(3).numpy(), cr.randint(0, 9, (3,)).numpy()]
    for a, b in zip(first, second, strict=True):
        np.testing.assert_array_equal(a, b)


# --------------------------------------------------------------------------- promotion


def _ints():
    return cr.tensor([1, 2])


@pytest.mark.parametrize(
    "expr,dtype",
    [
        # int tensor with python scalars
        (lambda: _ints() + 2.5, F32),
        (lambda: 2.5 + _ints(), F32),
        (lambda: _ints() * 2, I64),
        (lambda: _ints() + True, I64),
        (lambda: _ints() / 2, F32),  # true division
        (lambda: _ints() / _ints(), F32),
        (lambda: _ints() // _ints(), I64),
        (lambda: _ints() % 2, I64),
        (lambda: _ints() ** 2, I64),
        (lambda: _ints() ** 2.0, F32),
        (lambda: 2 ** _ints(), I64),
        (lambda: 2.0 ** _ints(), F32),
        # a python scalar never widens within its category
        (lambda: cr.tensor([1, 2], dtype=cr.int32) + 2, I32),
        (lambda: cr.tensor([1, 2], dtype=cr.int32) + 2.5, F32),
        (lambda: cr.tensor([1.0], dtype=cr.float64) * 2.0, F64),
        (lambda: cr.tensor([1.0], dtype=cr.float16) + 1.5, cr.float16),
        # tensor with tensor
        (lambda: cr.tensor([1.0]) + cr.tensor([1.0], dtype=cr.float64), F64),
        (lambda: cr.tensor([1.0], dtype=cr.float64) * cr.tensor([1.0]), F64),
        (lambda: cr.tensor([1], dtype=cr.int32) + _ints(), I64),
        (lambda: cr.tensor([1.0], dtype=cr.float16) + cr.tensor([1.0]), F32),
        (lambda: _ints() + cr.tensor([1.0, 2.0]), F32),
        (lambda: _ints() * cr.tensor([1.0, 2.0], dtype=cr.float64), F64),
        # bool
        (lambda: cr.tensor([True, False]) + cr.tensor([True, True]), BOOL),
        (lambda: cr.tensor([True, False]) + 1, I64),
        (lambda: cr.tensor([True, False]) * 2.5, F32),
        (lambda: cr.tensor([True]) + cr.tensor([1], dtype=cr.int32), I32),
        # comparisons
        (lambda: _ints() > 1, BOOL),
        (lambda: cr.tensor([1.0]) == 1, BOOL),
        (lambda: _ints() <= cr.tensor([1.5, 2.5]), BOOL),
        (lambda: cr.tensor([1.0]) != cr.tensor([1.0], dtype=cr.float64), BOOL),
    ],
)
def test_promotion(expr, dtype):
    assert expr().dtype == dtype


@pytest.mark.parametrize(
    "expr,dtype",
    [
        # a 0-dim tensor in the same category does not widen an n-dim one
        (lambda: cr.tensor([1.0, 2.0]) + cr.tensor(1.0, dtype=cr.float64), F32),
        (lambda: cr.tensor([1, 2], dtype=cr.int32) + cr.tensor(1), I32),
        # ... but a 0-dim tensor of a higher category brings its own dtype
        (lambda: cr.tensor([1, 2]) + cr.tensor(1.0, dtype=cr.float64), F64),
        (lambda: cr.tensor([1, 2]) + cr.tensor(1.5), F32),
        (lambda: cr.tensor([True]) + cr.tensor(3), I64),
        # two 0-dim tensors promote normally
        (lambda: cr.tensor(1, dtype=cr.int32) + cr.tensor(2), I64),
        (lambda: cr.tensor(1.0) + cr.tensor(2.0, dtype=cr.float64), F64),
    ],
)
def test_promotion_zero_dim_vs_n_dim(expr, dtype):
    assert expr().dtype == dtype


def test_promotion_values():
    check(_ints() + 2.5, [3.5, 4.5], F32)
    check(_ints() / _ints(), [1.0, 1.0], F32)
    check(cr.tensor([7, -7]) // 2, [3, -4], I64)  # floor division, like Python
    check(cr.tensor([7, -7]) % 3, [1, 2], I64)  # sign of the divisor, like Python
    check(cr.tensor([True, False]) + cr.tensor([True, True]), [True, True], BOOL)
    check(cr.tensor([1, 2]) ** -1.0, [1.0, 0.5], F32)


def test_promote_types_and_result_type():
    assert cr.promote_types(cr.int32, cr.float32) == F32
    assert cr.promote_types(cr.int64, cr.float16) == cr.float16
    assert cr.promote_types(cr.bool, cr.int32) == I32
    assert cr.promote_types(cr.uint8, cr.int8) == cr.int16
    assert cr.result_type(cr.tensor([1, 2]), 1.0) == F32


# --------------------------------------------------------------------------- conversions


def test_conversion_methods():
    f = cr.tensor([-1.7, 0.0, 2.7])
    check(f.double(), [-1.7, 0.0, 2.7], F64, rtol=1e-6)
    check(f.long(), [-1, 0, 2], I64)  # truncation toward zero
    check(f.int(), [-1, 0, 2], I32)
    check(f.bool(), [True, False, True], BOOL)
    check(f.half(), [-1.7, 0.0, 2.7], cr.float16, rtol=1e-3)
    check(cr.tensor([1, 0]).float(), [1.0, 0.0], F32)
    check(cr.tensor([True, False]).long(), [1, 0], I64)


def test_to_dtype_forms():
    f = cr.tensor([1.5, 2.5])
    assert f.to(cr.float64).dtype == F64
    assert f.to(dtype=cr.int32).dtype == I32
    assert f.to(cr.tensor([1], dtype=cr.int64)).dtype == I64  # dtype of another tensor
    assert f.to("cpu").dtype == F32
    assert f.to("cpu", cr.float64).dtype == F64


def test_conversions_to_same_dtype_return_self():
    f = cr.tensor([1.0, 2.0])
    assert f.to(cr.float32) is f
    assert f.float() is f
    assert f.to("cpu") is f
    d = f.double()
    assert d is not f
    d[0] = 5.0  # a converted tensor owns its data
    assert f[0].item() == 1.0


def test_type_method():
    assert cr.tensor([1.0]).type() == "torch.FloatTensor"
    assert cr.tensor([1.0], dtype=cr.float64).type() == "torch.DoubleTensor"
    assert cr.tensor([1]).type() == "torch.LongTensor"
    assert cr.tensor([1], dtype=cr.int32).type() == "torch.IntTensor"
    assert cr.tensor([True]).type() == "torch.BoolTensor"
    assert cr.tensor([1.0]).type(cr.float64).dtype == F64
    assert cr.tensor([1.0]).type("torch.LongTensor").dtype == I64


def test_conversion_of_empty_and_zero_dim():
    e = cr.tensor([])
    assert e.long().dtype == I64 and e.long().shape == (0,)
    z = cr.tensor(2.9)
    assert z.long().item() == 2 and z.long().shape == ()


def test_dtype_objects():
    assert repr(cr.float32) == "torch.float32"
    assert str(cr.int64) == "torch.int64"
    assert cr.float32.is_floating_point and not cr.int64.is_floating_point
    assert cr.float == cr.float32 and cr.double == cr.float64
    assert cr.long == cr.int64 and cr.int == cr.int32
    assert cr.tensor([1.0]).is_floating_point()
    assert not cr.tensor([1]).is_floating_point()
    assert cr.float64.itemsize == 8


def test_device_is_cpu():
    t = cr.tensor([1.0])
    assert str(t.device) == "cpu"
    assert cr.zeros(2, device="cpu").shape == (2,)
