"""Indexing, index assignment with broadcasting, in-place operations (object and storage kept)."""

import numpy as np
import pytest
from _util import check, shares_memory

import chainrule as cr

REF = np.arange(12).reshape(3, 4)
REF3 = np.arange(24).reshape(2, 3, 4)


def m34(dtype=None):
    return cr.arange(12, dtype=dtype).reshape(3, 4)


def t3():
    return cr.arange(24).reshape(2, 3, 4)


def _np_index(idx):
    """The NumPy spelling of an index that uses chainrule tensors."""
    if isinstance(idx, tuple):
        return tuple(_np_index(i) for i in idx)
    if isinstance(idx, cr.Tensor):
        return idx.numpy()
    return idx


# --------------------------------------------------------------------------- reading

BASIC = {
    "int": lambda: 1,
    "negative int": lambda: -1,
    "most negative": lambda: -3,
    "two ints": lambda: (1, 2),
    "negative pair": lambda: (-1, -2),
    "tuple index is multi-dim": lambda: (0, 2),
    "slice": lambda: slice(1, 3),
    "open slice": lambda: slice(None),
    "slice past end": lambda: slice(1, 100),
    "empty slice": lambda: slice(5, None),
    "step": lambda: slice(None, None, 2),
    "steps both": lambda: (slice(None, None, 3), slice(None, None, 2)),
    "start:stop:step": lambda: (slice(0, 3, 2), slice(1, 4, 2)),
    "negative slice bounds": lambda: (slice(-2, None), slice(None, -1)),
    "row slice col int": lambda: (slice(1, 3), 1),
    "int col": lambda: (slice(None), 2),
    "ellipsis": lambda: Ellipsis,
    "ellipsis last": lambda: (Ellipsis, 1),
    "ellipsis first": lambda: (1, Ellipsis),
    "None": lambda: None,
    "None middle": lambda: (slice(None), None),
    "None both ends": lambda: (None, Ellipsis, None),
    "None and int": lambda: (None, 1, None, slice(1, 3)),
}


@pytest.mark.parametrize("idx", BASIC.values(), ids=BASIC.keys())
def test_basic_indexing_matches_numpy(idx):
    i = idx()
    x = m34()
    y = x[i]
    check(y, REF[i], cr.int64)
    assert y.shape == REF[i].shape


ADVANCED = {
    "int list": lambda: [0, 2],
    "negative int list": lambda: [-1, 0],
    "repeated": lambda: [1, 1, 0],
    "int tensor": lambda: cr.tensor([0, 2]),
    "int32 tensor": lambda: cr.tensor([2, 0], dtype=cr.int32),
    "2-d int tensor": lambda: cr.tensor([[0, 1], [1, 2]]),
    "pairs": lambda: ([0, 2], [1, 3]),
    "broadcast pairs": lambda: ([[0], [2]], [1, 3]),
    "int and list": lambda: (1, [0, 2]),
    "slice and list": lambda: (slice(None), [0, 3]),
    "slice and tensor": lambda: (slice(1, None), cr.tensor([3, 0])),
    "empty list": lambda: [],
    "empty tensor": lambda: cr.tensor([], dtype=cr.int64),
    "0-d tensor": lambda: cr.tensor(1),
    "bool mask": lambda: m34() > 5,
    "row mask": lambda: cr.tensor([True, False, True]),
    "row mask list": lambda: [True, False, True],
    "col mask": lambda: (slice(None), cr.tensor([True, False, True, False])),
    "all-false mask": lambda: cr.zeros(3, dtype=cr.bool),
    "mask and int": lambda: (cr.tensor([False, True, True]), 0),
}


@pytest.mark.parametrize("idx", ADVANCED.values(), ids=ADVANCED.keys())
def test_advanced_indexing_matches_numpy(idx):
    i = idx()
    y = m34()[i]
    expected = REF[_np_index(i)]
    check(y, expected, cr.int64)


@pytest.mark.parametrize(
    "idx",
    [
        lambda: ([0, 1], slice(None), [0, 1]),  # separated advanced indices go first
        lambda: (slice(None), [0, 1], [0, 1]),  # adjacent ones stay in place
        lambda: (Ellipsis, [0, 3]),
        lambda: (cr.tensor([True, False]), slice(None), 2),
        lambda: (None, [1, 0], Ellipsis, None),
        lambda: t3() > 20,
        lambda: (slice(None), t3()[0] > 5),
    ],
)
def test_advanced_indexing_3d(idx):
    i = idx()
    check(t3()[i], REF3[_np_index(i)], cr.int64)


def test_int_with_separated_array_index_follows_torch_not_numpy():
    # PyTorch applies an int index first (a select), so the int does not count as an
    # advanced index that would move the array dims to the front as NumPy does.
    y = t3()[1, :, cr.tensor([[0], [3]])]
    check(y, REF3[1][:, [[0], [3]]], cr.int64)
    assert y.shape == (3, 2, 1)


def test_chained_indexing_and_zero_dim_results():
    x = m34()
    assert repr(x[1][2]) == "tensor(6)"
    assert x[1, 2].shape == ()
    assert x[1, 2].item() == 6
    z = cr.tensor(5.0)
    check(z[()], 5.0, cr.float32)
    check(z[...], 5.0, cr.float32)
    check(z[None], [5.0], cr.float32)


def test_indexing_float64_and_empty():
    d = cr.arange(6, dtype=cr.float64).reshape(2, 3)
    check(d[:, [2, 0]], [[2.0, 0.0], [5.0, 3.0]], cr.float64)
    e = cr.zeros(0, 3)
    assert e[:, 1].shape == (0,)
    assert e[e > 0].shape == (0,)
    assert e[[]].shape == (0, 3)


def test_indexing_non_contiguous_view():
    y = m34().T  # (4, 3)
    check(y[1], [1, 5, 9], cr.int64)
    check(y[[0, 3], 1:], [[4, 8], [7, 11]], cr.int64)
    check(y[y % 2 == 0], REF.T[REF.T % 2 == 0], cr.int64)
    check(y[::2, ::2], REF.T[::2, ::2], cr.int64)


def test_basic_index_is_view_advanced_index_is_copy():
    x = m34(cr.float32)
    v = x[1:, ::2]
    v[0, 0] = 100.0
    assert x[1, 0].item() == 100.0
    c = x[[0, 1]]
    c[0, 0] = -7.0
    assert x[0, 0].item() == 0.0
    m = x[x > 5]
    m.fill_(0.0)
    assert x[2, 3].item() == 11.0
    assert not shares_memory(c, x)


def test_zero_d_integer_tensor_indexes_like_an_int_as_in_torch():
    """x[torch.tensor(1)] is x[1] in PyTorch: a view (SelectBackward0); next to a list it
    is an advanced index (IndexBackward0). A 0-d bool tensor adds an axis, as NumPy's."""
    torch = pytest.importorskip("torch")
    cases = [
        lambda m: (m.tensor(1),),
        lambda m: (m.tensor(-1), m.tensor(2)),
        lambda m: (m.tensor(1), [0, 2]),
        lambda m: ([0, 1], m.tensor(2)),
        lambda m: (m.tensor(True),),
    ]
    for case in cases:
        ours = cr.arange(6.0).reshape(2, 3).requires_grad_()
        theirs = torch.arange(6.0).reshape(2, 3).requires_grad_()
        a, b = ours[case(cr)], theirs[case(torch)]
        assert tuple(a.shape) == tuple(b.shape)
        assert a.grad_fn.name() == b.grad_fn.name()
        np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())
        # a write through the result shows in the base exactly when PyTorch's does
        x, t = cr.arange(6.0).reshape(2, 3), torch.arange(6.0).reshape(2, 3)
        x[case(cr)].fill_(100.0)
        t[case(torch)].fill_(100.0)
        np.testing.assert_array_equal(x.numpy(), t.numpy())
    with pytest.raises(IndexError, match="index 5 is out of bounds for dimension 0 with size 2"):
        cr.arange(6.0).reshape(2, 3)[cr.tensor(5)]


@pytest.mark.parametrize(
    "idx,exc,msg",
    [
        (3, IndexError, "index 3 is out of bounds for dimension 0 with size 3"),
        (-4, IndexError, "index -4 is out of bounds for dimension 0 with size 3"),
        ((0, 0, 0), IndexError, "too many indices for tensor of dimension 2"),
        ([0, 5], IndexError, "index 5 is out of bounds for dimension 0 with size 3"),
        (slice(None, None, -1), ValueError, "step must be greater than zero"),
    ],
)
def test_bad_indices_raise(idx, exc, msg):
    with pytest.raises(exc) as err:
        m34()[idx]
    assert msg in str(err.value)


def test_mask_of_wrong_shape_raises():
    with pytest.raises(IndexError, match="The shape of the mask \\[2\\] at index 0 does not match"):
        m34()[cr.tensor([True, False])]


# --------------------------------------------------------------------------- assignment

SETS = {
    "int, scalar": (lambda: (1, 2), lambda: 9),
    "negative int, scalar": (lambda: (-1, -1), lambda: 9),
    "row, scalar": (lambda: 0, lambda: 12),
    "rows slice, scalar": (lambda: (slice(0, 2), slice(None)), lambda: 12),
    "row, broadcast vector": (lambda: 1, lambda: cr.tensor([1, 2, 3, 4])),
    "all, broadcast row": (lambda: slice(None), lambda: cr.tensor([1, 2, 3, 4])),
    "all, broadcast column": (lambda: slice(None), lambda: cr.tensor([[1], [2], [3]])),
    "column": (lambda: (slice(None), 1), lambda: cr.tensor([7, 8, 9])),
    "column block, broadcast": (
        lambda: (slice(None), slice(1, 3)),
        lambda: cr.tensor([[7], [8], [9]]),
    ),
    "steps": (lambda: (slice(None, None, 2), slice(None, None, 3)), lambda: -5),
    "steps, tensor": (
        lambda: (slice(None, None, 2), slice(1, None, 2)),
        lambda: cr.tensor([[1, 2], [3, 4]]),
    ),
    "ellipsis": (lambda: (Ellipsis, 0), lambda: -1),
    "ellipsis all": (lambda: Ellipsis, lambda: 3),
    "None": (lambda: (None, 1), lambda: cr.tensor([[1, 2, 3, 4]])),
    "int list, scalar": (lambda: [0, 2], lambda: 0),
    "int list, rows": (lambda: [0, 2], lambda: cr.tensor([[1, 1, 1, 1], [2, 2, 2, 2]])),
    "int list, broadcast": (lambda: [2, 0], lambda: cr.tensor([5, 6, 7, 8])),
    "int tensor": (lambda: cr.tensor([1]), lambda: 4),
    "pairs": (lambda: ([0, 2], [1, 3]), lambda: cr.tensor([-1, -2])),
    "pairs, scalar": (lambda: ([0, 1, 2], [0, 1, 2]), lambda: 0),
    "slice and list": (lambda: (slice(None), [0, 3]), lambda: cr.tensor([[1], [2], [3]])),
    "mask, scalar": (lambda: m34() > 5, lambda: 0),
    "mask, values": (lambda: m34() > 8, lambda: cr.tensor([-9, -10, -11])),
    "mask, one value": (lambda: m34() % 2 == 0, lambda: cr.tensor([100])),
    "row mask, broadcast": (
        lambda: cr.tensor([True, False, True]),
        lambda: cr.tensor([1, 2, 3, 4]),
    ),
    "col mask": (lambda: (slice(None), cr.tensor([True, False, False, True])), lambda: 0),
    "empty mask": (lambda: cr.zeros(3, 4, dtype=cr.bool), lambda: 1),
    "0-d tensor value": (lambda: (0, 0), lambda: cr.tensor(42)),
}


@pytest.mark.parametrize("idx,value", SETS.values(), ids=SETS.keys())
def test_setitem_broadcasts_like_numpy(idx, value):
    i, v = idx(), value()
    x = m34()
    before = id(x)
    handle = x.numpy()
    x[i] = v
    ref = REF.copy()
    ref[_np_index(i)] = v.numpy() if isinstance(v, cr.Tensor) else v
    check(x, ref, cr.int64)
    assert id(x) == before
    assert shares_memory(x, handle)


def test_setitem_with_mask_from_itself():
    y = m34(cr.float32)
    y[y > 5] = y[y > 5] * 10
    check(y, np.where(REF > 5, REF * 10, REF), cr.float32)


def test_setitem_casts_to_target_dtype():
    x = m34()
    x[0] = 1.7
    check(x[0], [1, 1, 1, 1], cr.int64)
    x[1] = cr.tensor([0.5, 1.5, 2.5, 3.5], dtype=cr.float64)
    check(x[1], [0, 1, 2, 3], cr.int64)
    f = cr.zeros(3)
    f[1] = cr.tensor(2, dtype=cr.int64)
    f[2] = True
    check(f, [0.0, 2.0, 1.0], cr.float32)
    d = cr.zeros(2, dtype=cr.float64)
    d[:] = cr.tensor([0.1, 0.2], dtype=cr.float64)
    check(d, [0.1, 0.2], cr.float64, exact=True)


def test_setitem_zero_dim_and_empty():
    z = cr.tensor(1.0)
    z[()] = 5
    assert repr(z) == "tensor(5.)"
    z[...] = 3
    assert repr(z) == "tensor(3.)"
    e = cr.zeros(0, 2)
    e[:] = 1.0
    assert e.shape == (0, 2)


def test_setitem_on_non_contiguous_view_writes_base():
    x = m34()
    y = x.T
    y[1:3, 0] = cr.tensor([-1, -2])
    assert x[0].tolist() == [0, -1, -2, 3]
    y[y > 9] = 0
    assert x[2].tolist() == [8, 9, 0, 0]


def test_setitem_shape_mismatch_raises():
    x = m34()
    with pytest.raises(RuntimeError, match="must match the existing size"):
        x[:, 1] = cr.tensor([1, 2])
    with pytest.raises(RuntimeError, match="shape mismatch: value tensor of shape \\[2\\]"):
        x[x > 5] = cr.tensor([1, 2])


# --------------------------------------------------------------------------- in place

INPLACE = {
    "add_": (lambda x: x.add_(2), lambda a: a + 2),
    "add_ tensor": (lambda x: x.add_(cr.tensor([1.0, 2.0, 3.0, 4.0])), lambda a: a + [1, 2, 3, 4]),
    "add_ alpha": (lambda x: x.add_(cr.ones(4), alpha=3), lambda a: a + 3),
    "sub_": (lambda x: x.sub_(1.5), lambda a: a - 1.5),
    "sub_ alpha": (lambda x: x.sub_(cr.ones(3, 1), alpha=2), lambda a: a - 2),
    "mul_": (lambda x: x.mul_(cr.tensor([[2.0], [3.0], [4.0]])), lambda a: a * [[2], [3], [4]]),
    "div_": (lambda x: x.div_(4), lambda a: a / 4),
    "zero_": (lambda x: x.zero_(), lambda a: a * 0),
    "fill_": (lambda x: x.fill_(7), lambda a: a * 0 + 7),
    "fill_ 0-d tensor": (lambda x: x.fill_(cr.tensor(2.5)), lambda a: a * 0 + 2.5),
    "copy_": (lambda x: x.copy_(cr.arange(12.0).reshape(3, 4) * -1), lambda a: -a),
    "copy_ broadcast": (
        lambda x: x.copy_(cr.tensor([1.0, 2, 3, 4])),
        lambda a: a * 0 + [1, 2, 3, 4],
    ),
    "copy_ int64 src": (lambda x: x.copy_(cr.ones(3, 4, dtype=cr.int64)), lambda a: a * 0 + 1),
    "copy_ float64 0-d src": (
        lambda x: x.copy_(cr.tensor(5.0, dtype=cr.float64)),
        lambda a: a * 0 + 5,
    ),
    "clamp_ both": (lambda x: x.clamp_(2, 9), lambda a: np.clip(a, 2, 9)),
    "clamp_ min": (lambda x: x.clamp_(min=4), lambda a: np.maximum(a, 4)),
    "clamp_ max": (lambda x: x.clamp_(max=4), lambda a: np.minimum(a, 4)),
}


@pytest.mark.parametrize("op,ref", INPLACE.values(), ids=INPLACE.keys())
def test_inplace_methods_keep_object_and_storage(op, ref):
    x = m34(cr.float32)
    before = id(x)
    handle = x.numpy()
    out = op(x)
    assert out is x
    assert id(x) == before
    assert x.dtype == cr.float32 and x.shape == (3, 4)
    assert shares_memory(x, handle)
    expected = ref(REF.astype(np.float32))
    np.testing.assert_allclose(handle, expected, rtol=1e-6)


AUGMENTED = {
    "+=": (lambda x, y: x.__iadd__(y), np.add),
    "-=": (lambda x, y: x.__isub__(y), np.subtract),
    "*=": (lambda x, y: x.__imul__(y), np.multiply),
    "/=": (lambda x, y: x.__itruediv__(y), np.divide),
}


@pytest.mark.parametrize("op,ref", AUGMENTED.values(), ids=AUGMENTED.keys())
@pytest.mark.parametrize(
    "other",
    [
        lambda: 2.0,
        lambda: 3,
        lambda: cr.full((3, 4), 2.0),
        lambda: cr.tensor([1.0, 2, 3, 4]),
        lambda: cr.tensor([[2], [4], [8]]),
        lambda: cr.tensor(2.0, dtype=cr.float64),
    ],
    ids=["float", "int", "same shape", "row", "int column", "0-d float64"],
)
def test_augmented_assignment_keeps_object_and_storage(op, ref, other):
    x = m34(cr.float32)
    handle = x.numpy()
    before = id(x)
    y = other()
    result = op(x, y)
    assert result is x
    assert id(x) == before
    assert x.dtype == cr.float32
    yv = y.numpy() if isinstance(y, cr.Tensor) else y
    np.testing.assert_allclose(handle, ref(REF.astype(np.float32), yv), rtol=1e-6)


def test_augmented_operators_as_statements():
    x = m34(cr.float32)
    view = x[1]
    before = id(x)
    x += 1
    x -= 2
    x *= 3
    x /= 3
    assert id(x) == before
    check(view, [4.0 - 1, 5.0 - 1, 6.0 - 1, 7.0 - 1], cr.float32)
    x[:] = x + 1
    assert id(x) == before
    check(x, REF.astype(np.float32), cr.float32)


def test_integer_in_place_keeps_dtype():
    i = cr.tensor([5, 7])
    i += 2
    i *= 3
    check(i, [21, 27], cr.int64)
    i //= 2
    check(i, [10, 13], cr.int64)
    i %= 4
    check(i, [2, 1], cr.int64)
    f = cr.tensor([1.0, 2.0])
    f += cr.tensor([1, 2])  # integer into float is fine
    check(f, [2.0, 4.0], cr.float32)


@pytest.mark.parametrize(
    "op",
    [
        lambda i: i.div_(2),
        lambda i: i.mul_(2.5),
        lambda i: i.__iadd__(cr.tensor([1.5, 1.5])),
        lambda i: i.__itruediv__(2),
    ],
    ids=["div_", "mul_ float", "+= float tensor", "/= int"],
)
def test_integer_in_place_that_needs_float_raises(op):
    with pytest.raises(
        RuntimeError, match="result type Float can't be cast to the desired output type Long"
    ):
        op(cr.tensor([1, 2]))


def test_in_place_broadcast_that_grows_the_target_raises():
    f = cr.ones(2)
    with pytest.raises(
        RuntimeError, match="output with shape \\[2\\] doesn't match the broadcast shape \\[2, 2\\]"
    ):
        f += cr.ones(2, 2)


def test_in_place_on_0d_empty_float64_and_views():
    z = cr.tensor(1.5, dtype=cr.float64)
    z.mul_(2)
    assert repr(z) == "tensor(3., dtype=torch.float64)"
    e = cr.zeros(0)
    e.add_(1)
    e.fill_(3)
    assert e.shape == (0,)
    x = m34(cr.float32)
    x.T.mul_(2)  # through a transposed view
    check(x, REF * 2.0, cr.float32)
    x[:, ::2].zero_()
    check(x, np.where(np.arange(4) % 2 == 0, 0, REF * 2.0), cr.float32)
    x.view(-1)[:3].fill_(-1)
    assert x[0, :3].tolist() == [-1.0, -1.0, -1.0]


def test_in_place_does_not_touch_aliases_it_should_not():
    a = m34(cr.float32)
    b = a.clone()
    a.add_(1)
    check(b, REF, cr.float32)
    c = a + 0
    a.zero_()
    check(c, REF + 1.0, cr.float32)


def test_rebinding_is_not_in_place():
    x = m34(cr.float32)
    before = id(x)
    x = x + 1
    assert id(x) != before
