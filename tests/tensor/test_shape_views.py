"""Shape attributes, shape functions, and which results are views of their base, as in PyTorch."""

import numpy as np
import pytest
from _util import check, shares_memory

import chainrule as cr


def m34(dtype=None):
    """tensor([[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 10, 11]])"""
    return cr.arange(12, dtype=dtype).reshape(3, 4)


# --------------------------------------------------------------------------- shape / Size


def test_shape_is_a_size_tuple():
    x = cr.zeros(2, 3)
    s = x.shape
    assert isinstance(s, tuple)
    assert s == (2, 3)
    assert s[0] == 2 and s[-1] == 3
    assert list(s) == [2, 3]
    a, b = s
    assert (a, b) == (2, 3)
    assert repr(s) == "torch.Size([2, 3])"
    assert str(s) == "torch.Size([2, 3])"
    assert hash(s) == hash((2, 3))


def test_size_slices_and_sums_stay_sizes():
    s = cr.zeros(2, 3, 4).shape
    assert repr(s[1:]) == "torch.Size([3, 4])"
    assert type(s[1:]) is type(s)
    assert repr(s + (5,)) == "torch.Size([2, 3, 4, 5])"
    assert s.numel() == 24


@pytest.mark.parametrize(
    "make,text",
    [
        (lambda: cr.tensor(1.0), "torch.Size([])"),
        (lambda: cr.tensor([]), "torch.Size([0])"),
        (lambda: cr.zeros(0, 3), "torch.Size([0, 3])"),
        (lambda: cr.zeros(1, 1, 1), "torch.Size([1, 1, 1])"),
    ],
)
def test_size_repr_edge_cases(make, text):
    assert repr(make().shape) == text
    assert repr(make().size()) == text


def test_size_dim_ndim_numel_len():
    x = cr.zeros(2, 3, 4)
    assert x.size() == (2, 3, 4)
    assert x.size(0) == 2 and x.size(-1) == 4 and x.size(1) == 3
    assert x.size(dim=1) == 3
    assert x.dim() == 3 and x.ndim == 3
    assert x.numel() == 24
    assert len(x) == 2
    z = cr.tensor(5)
    assert z.dim() == 0 and z.ndim == 0 and z.numel() == 1 and z.shape == ()
    e = cr.zeros(0, 3)
    assert e.numel() == 0 and len(e) == 0 and e.dim() == 2


def test_len_of_zero_dim_raises():
    with pytest.raises(TypeError, match="len\\(\\) of a 0-d tensor"):
        len(cr.tensor(1.0))


def test_size_out_of_range_raises():
    with pytest.raises(IndexError, match="Dimension out of range"):
        cr.zeros(2, 3).size(2)


# --------------------------------------------------------------------------- reshape / view


@pytest.mark.parametrize(
    "args,shape",
    [
        ((4, 3), (4, 3)),
        (((4, 3),), (4, 3)),
        (([4, 3],), (4, 3)),
        ((-1,), (12,)),
        ((-1, 6), (2, 6)),
        ((2, -1, 3), (2, 2, 3)),
        ((12, 1), (12, 1)),
        ((1, 12, 1), (1, 12, 1)),
    ],
)
@pytest.mark.parametrize("method", ["reshape", "view"])
def test_reshape_and_view_shapes(method, args, shape):
    x = m34()
    y = getattr(x, method)(*args)
    check(y, np.arange(12).reshape(shape), cr.int64)


def test_reshape_function_and_zero_dim_and_empty():
    check(cr.reshape(m34(), (-1,)), np.arange(12), cr.int64)
    z = cr.tensor(3.0)
    assert z.reshape(1).shape == (1,)
    assert z.reshape(1, 1).shape == (1, 1)
    assert cr.tensor([7.0]).reshape(()).shape == ()
    assert cr.tensor([7.0]).view([]).shape == ()
    e = cr.zeros(0, 4)
    assert e.reshape(4, 0).shape == (4, 0)
    assert e.reshape(-1, 2).shape == (0, 2)


def test_flatten():
    x = cr.arange(24).reshape(2, 3, 4)
    check(x.flatten(), np.arange(24), cr.int64)
    assert x.flatten(1).shape == (2, 12)
    assert x.flatten(start_dim=1).shape == (2, 12)
    assert x.flatten(0, 1).shape == (6, 4)
    assert x.flatten(-2, -1).shape == (2, 12)
    assert cr.flatten(x).shape == (24,)
    assert cr.tensor(1.0).flatten().shape == (1,)
    check(x.transpose(0, 2).flatten(), np.arange(24).reshape(2, 3, 4).transpose(2, 1, 0).ravel())


def test_squeeze_unsqueeze():
    x = cr.zeros(1, 3, 1)
    assert x.squeeze().shape == (3,)
    assert x.squeeze(0).shape == (3, 1)
    assert x.squeeze(-1).shape == (1, 3)
    assert x.squeeze(1).shape == (1, 3, 1)  # not of size 1: unchanged
    assert x.squeeze((0, 2)).shape == (3,)
    assert cr.squeeze(x).shape == (3,)
    assert cr.zeros(1, 1).squeeze().shape == ()
    y = cr.arange(3)
    assert y.unsqueeze(0).shape == (1, 3)
    assert y.unsqueeze(1).shape == (3, 1)
    assert y.unsqueeze(-1).shape == (3, 1)
    assert y.unsqueeze(-2).shape == (1, 3)
    assert cr.unsqueeze(y, 0).shape == (1, 3)
    assert cr.tensor(1.0).unsqueeze(0).shape == (1,)
    check(y.unsqueeze(1), [[0], [1], [2]], cr.int64)


def test_transpose_permute_T_mT():
    x = m34()
    check(x.T, np.arange(12).reshape(3, 4).T, cr.int64)
    check(x.t(), np.arange(12).reshape(3, 4).T, cr.int64)
    check(x.transpose(0, 1), np.arange(12).reshape(3, 4).T, cr.int64)
    check(cr.transpose(x, 1, 0), np.arange(12).reshape(3, 4).T, cr.int64)
    b = cr.arange(24).reshape(2, 3, 4)
    ref = np.arange(24).reshape(2, 3, 4)
    check(b.mT, ref.transpose(0, 2, 1), cr.int64)
    check(b.transpose(-1, -2), ref.transpose(0, 2, 1), cr.int64)
    check(b.permute(2, 0, 1), ref.transpose(2, 0, 1), cr.int64)
    check(b.permute((2, 0, 1)), ref.transpose(2, 0, 1), cr.int64)
    check(b.permute(-1, 0, 1), ref.transpose(2, 0, 1), cr.int64)
    check(cr.permute(b, (1, 2, 0)), ref.transpose(1, 2, 0), cr.int64)
    assert cr.zeros(0, 2).T.shape == (2, 0)


def test_expand_expand_as_repeat():
    col = cr.tensor([[1], [2], [3]])
    check(col.expand(3, 4), np.repeat([[1], [2], [3]], 4, axis=1), cr.int64)
    check(col.expand(-1, 2), [[1, 1], [2, 2], [3, 3]], cr.int64)
    check(col.expand((2, 3, 2)), np.broadcast_to([[1], [2], [3]], (2, 3, 2)), cr.int64)
    check(col.expand_as(cr.zeros(3, 5)), np.broadcast_to([[1], [2], [3]], (3, 5)), cr.int64)
    check(cr.tensor(7.0).expand(2, 2), [[7.0, 7.0], [7.0, 7.0]], cr.float32)
    r = cr.arange(3)
    check(r.repeat(2), [0, 1, 2, 0, 1, 2], cr.int64)
    check(r.repeat(2, 2), np.tile(np.arange(3), (2, 2)), cr.int64)
    check(col.repeat(1, 2), [[1, 1], [2, 2], [3, 3]], cr.int64)
    check(col.repeat(2, 1, 1), np.tile([[1], [2], [3]], (2, 1, 1)), cr.int64)
    assert r.repeat(0).shape == (0,)


def test_cat_concat_stack():
    a = cr.tensor([[1, 2]])
    b = cr.tensor([[3, 4], [5, 6]])
    check(cr.cat((a, b)), [[1, 2], [3, 4], [5, 6]], cr.int64)
    check(cr.cat([a, b], dim=0), [[1, 2], [3, 4], [5, 6]], cr.int64)
    check(cr.concat((a, b), dim=-2), [[1, 2], [3, 4], [5, 6]], cr.int64)
    check(cr.cat((b, b), 1), [[3, 4, 3, 4], [5, 6, 5, 6]], cr.int64)
    check(cr.cat((cr.zeros(0, 2, dtype=cr.int64), a)), [[1, 2]], cr.int64)
    # cat promotes dtypes like arithmetic
    assert cr.cat((cr.tensor([1.0]), cr.tensor([1]))).dtype == cr.float32
    assert cr.cat((cr.tensor([1.0]), cr.tensor([1.0], dtype=cr.float64))).dtype == cr.float64
    check(cr.stack((a[0], b[0])), [[1, 2], [3, 4]], cr.int64)
    check(cr.stack([a[0], b[0]], dim=1), [[1, 3], [2, 4]], cr.int64)
    check(cr.stack([a[0], b[0]], dim=-1), [[1, 3], [2, 4]], cr.int64)
    check(cr.stack([cr.tensor(1.0), cr.tensor(2.0)]), [1.0, 2.0], cr.float32)


def test_split_and_chunk():
    x = cr.arange(5)
    parts = x.split(2)
    assert isinstance(parts, tuple)
    assert [p.tolist() for p in parts] == [[0, 1], [2, 3], [4]]
    assert [p.tolist() for p in cr.split(x, [1, 4])] == [[0], [1, 2, 3, 4]]
    assert [p.tolist() for p in x.chunk(3)] == [[0, 1], [2, 3], [4]]
    # torch.chunk uses chunks of ceil(n / chunks) and may give fewer chunks
    assert [p.tolist() for p in cr.arange(6).chunk(4)] == [[0, 1], [2, 3], [4, 5]]
    m = m34()
    cols = m.split(2, dim=1)
    check(cols[0], [[0, 1], [4, 5], [8, 9]], cr.int64)
    rows = cr.chunk(m, 3, dim=0)
    assert len(rows) == 3 and rows[2].tolist() == [[8, 9, 10, 11]]


def test_flip():
    x = m34()
    ref = np.arange(12).reshape(3, 4)
    check(x.flip(0), ref[::-1], cr.int64)
    check(x.flip(1), ref[:, ::-1], cr.int64)
    check(x.flip((0, 1)), ref[::-1, ::-1], cr.int64)
    check(cr.flip(x, [-1]), ref[:, ::-1], cr.int64)


def test_flip_copies_like_torch():
    # Unlike NumPy's flip, torch.flip returns new memory.
    x = cr.arange(4.0)
    f = x.flip(0)
    f[0] = 100.0
    assert x.tolist() == [0.0, 1.0, 2.0, 3.0]
    assert not shares_memory(f, x)


def test_clone_is_independent():
    x = m34(cr.float32)
    c = x.clone()
    check(c, np.arange(12.0).reshape(3, 4), cr.float32)
    c[0, 0] = -1
    assert x[0, 0].item() == 0
    t = x.T.clone()  # clone of a non-contiguous tensor keeps values
    check(t, np.arange(12.0).reshape(3, 4).T, cr.float32)
    assert not shares_memory(t, x)
    e = cr.zeros(0, dtype=cr.float64).clone()
    assert e.shape == (0,) and e.dtype == cr.float64


# --------------------------------------------------------------------------- contiguity


@pytest.mark.parametrize(
    "make,expected",
    [
        (lambda x: x, True),
        (lambda x: x.T, False),
        (lambda x: x.transpose(0, 1), False),
        (lambda x: x[1:3], True),
        (lambda x: x[1], True),
        (lambda x: x[:, 1], False),
        (lambda x: x[::2], False),
        (lambda x: x[:, ::2], False),
        (lambda x: x[:, 1:3], False),
        (lambda x: x.unsqueeze(0), True),
        (lambda x: x.reshape(4, 3), True),
        (lambda x: x.T.contiguous(), True),
        (lambda x: x[:, :1].expand(3, 4), False),
        (lambda x: x[0:1].T, True),  # size-1 dims do not count
        (lambda x: x.flip(0), True),
        (lambda x: x.T.clone(), False),  # clone keeps the layout (preserve_format)
        (lambda x: x.T.clone().contiguous(), True),
    ],
)
def test_is_contiguous(make, expected):
    assert make(m34()).is_contiguous() is expected


def test_contiguous_returns_self_or_copy():
    x = m34()
    assert x.contiguous() is x
    y = x.T
    c = y.contiguous()
    assert c is not y
    assert c.is_contiguous()
    check(c, np.arange(12).reshape(3, 4).T, cr.int64)
    c[0, 0] = 99
    assert x[0, 0].item() == 0


# --------------------------------------------------------------------------- views share storage

VIEWS = {
    "basic slice": lambda x: x[1:3],
    "strided slice": lambda x: x[::2, 1::2],
    "int index": lambda x: x[1],
    "column": lambda x: x[:, 2],
    "ellipsis+None": lambda x: x[..., None],
    "view": lambda x: x.view(-1),
    "view 2x6": lambda x: x.view(2, 6),
    "reshape contiguous": lambda x: x.reshape(6, 2),
    "flatten": lambda x: x.flatten(),
    "transpose": lambda x: x.transpose(0, 1),
    "T": lambda x: x.T,
    "t": lambda x: x.t(),
    "permute": lambda x: x.permute(1, 0),
    "unsqueeze": lambda x: x.unsqueeze(0),
    "squeeze": lambda x: x.unsqueeze(1).squeeze(1),
    "split part": lambda x: x.split(2)[1],
    "chunk part": lambda x: x.chunk(2, dim=1)[1],
    "view_as": lambda x: x.view_as(cr.zeros(4, 3)),
}


@pytest.mark.parametrize("make", VIEWS.values(), ids=VIEWS.keys())
def test_write_through_view_shows_in_base(make):
    base = m34(cr.float32)
    v = make(base)
    assert shares_memory(v, base)
    v.fill_(-1.0)
    assert (base.numpy() == -1.0).sum() == v.numel()
    # and writes into the base show through the view
    base.zero_()
    assert (v.numpy() == 0).all()


def test_setitem_through_view():
    base = m34(cr.float32)
    v = base.T
    v[0, 1] = 100.0  # base[1, 0]
    assert base[1, 0].item() == 100.0
    r = base.view(12)
    r[11] = -5.0
    assert base[2, 3].item() == -5.0
    base[0] = 7.0
    assert r[:4].tolist() == [7.0, 7.0, 7.0, 7.0]


def test_expand_is_a_view():
    base = cr.tensor([[1.0], [2.0], [3.0]])
    e = base.expand(3, 4)
    assert shares_memory(e, base)
    base[1, 0] = 20.0
    assert e[1].tolist() == [20.0, 20.0, 20.0, 20.0]
    e2 = base.expand_as(cr.zeros(2, 3, 4))
    base.mul_(2)
    assert e2[1, 2].tolist() == [6.0, 6.0, 6.0, 6.0]


def test_views_of_views_chain():
    base = cr.arange(24.0).reshape(2, 3, 4)
    v = base.permute(2, 0, 1)[1:, :, ::2].unsqueeze(0)
    v.fill_(0.0)
    ref = np.arange(24.0).reshape(2, 3, 4)
    ref.transpose(2, 0, 1)[1:, :, ::2] = 0.0
    check(base, ref, cr.float32)


def test_in_place_op_on_view_changes_base():
    base = m34(cr.float32)
    base[:, 1].add_(100)
    assert base[:, 1].tolist() == [101.0, 105.0, 109.0]
    row = base[0]
    row *= 2
    assert base[0].tolist() == [0.0, 202.0, 4.0, 6.0]


# ---------------------------------------------------- view() refuses, reshape copies when it must

VIEW_ERROR = (
    "view size is not compatible with input tensor's size and stride (at least one dimension "
    "spans across two contiguous subspaces). Use .reshape(...) instead."
)


@pytest.mark.parametrize(
    "make,shape",
    [
        (lambda x: x.T, (-1,)),
        (lambda x: x.T, (2, 6)),
        (lambda x: x[:, ::3], (6,)),
        (lambda x: x.permute(1, 0), (12,)),
        (lambda x: x[:, 1:3], (6,)),
    ],
)
def test_view_of_non_contiguous_raises_torch_error(make, shape):
    y = make(m34())
    with pytest.raises(RuntimeError) as err:
        y.view(*shape)
    assert VIEW_ERROR in str(err.value)


def test_view_on_non_contiguous_is_allowed_when_strides_fit():
    # PyTorch only refuses when the new shape cannot be expressed with strides.
    x = m34()
    y = x.T
    v = y.view(4, 3)
    assert shares_memory(v, x)
    w = y.view(4, 3, 1)
    w[0, 0, 0] = 50
    assert x[0, 0].item() == 50


@pytest.mark.parametrize(
    "make,shape",
    [
        (lambda x: x.T, (-1,)),
        (lambda x: x.T, (2, 6)),
        (lambda x: x[:, ::3], (6,)),
        (lambda x: x[:, 1:3], (6,)),
        (lambda x: x[:, :1].expand(3, 4), (12,)),
    ],
)
def test_reshape_copies_when_it_must(make, shape):
    base = m34(cr.float32)
    y = make(base)
    expected = y.numpy().reshape(shape).copy()
    r = y.reshape(*shape)
    check(r, expected, cr.float32)
    assert not shares_memory(r, base)
    r.fill_(-1.0)
    assert (base.numpy() >= 0).all()


@pytest.mark.parametrize(
    "make,shape",
    [
        (lambda x: x, (6, 2)),
        (lambda x: x[1:], (8,)),
        (lambda x: x.T, (4, 3, 1)),
        (lambda x: x.T, (1, 4, 3)),
        (lambda x: x[:, :2], (3, 2, 1)),
        (lambda x: x.unsqueeze(0), (3, 4)),
        (lambda x: x[:, ::2], (6,)),  # strides 4 = 2 * 2: the two dims merge
    ],
)
def test_reshape_does_not_copy_when_it_need_not(make, shape):
    base = m34(cr.float32)
    r = make(base).reshape(*shape)
    assert shares_memory(r, base)
    r.fill_(-1.0)
    assert (base.numpy() == -1.0).sum() == r.numel()


def test_contiguous_copy_does_not_share():
    base = m34(cr.float32)
    c = base.T.contiguous()
    assert not shares_memory(c, base)
    assert c.view(-1).tolist() == np.arange(12.0).reshape(3, 4).T.ravel().tolist()
