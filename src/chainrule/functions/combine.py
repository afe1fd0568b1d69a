"""Stacking, splitting, rolling, diagonals and products of several tensors, under
PyTorch's names: hstack/vstack/dstack/column_stack, atleast_1d/2d/3d, tensor_split and
hsplit/vsplit/dsplit, roll, tile, rot90, diag/diag_embed/diagflat/trace, block_diag,
cartesian_prod, kron, cross, take, take_along_dim, masked_select; and the Tensor methods
that share them (``CombineMethods``).

Every function here is a composite of the table's rows (cat, reshape, flip, getitem,
gather, ...): no derivative of its own, so the gradients are those of the rows it uses.
Where the last row is all PyTorch's function is, it carries PyTorch's node name (roll,
block_diag, linalg.cross, narrow_copy, kron, diag_embed); the others print their last
row's name (trace: SumBackward0 where PyTorch prints TraceBackward0).

>>> import chainrule as torch
>>> torch.hstack((torch.tensor([1, 2]), torch.tensor([3])))
tensor([1, 2, 3])
>>> torch.roll(torch.arange(4), 1)
tensor([3, 0, 1, 2])
"""

from __future__ import annotations

import math
import warnings

from .. import _state
from .. import backend as _backend
from .. import dtypes as _dt
from ..backend import device_key, namespace
from ..ops.apply import apply
from ..ops.indexing import SELECT, _diagonal_index
from ..ops.scatter import DIAG_EMBED
from ..ops.shape import BLOCK_DIAG, LINALG_CROSS, NARROW_COPY, ROLL, UNSAFE_VIEW
from ..tensor_base import TensorBase, new
from . import reduction as _reduction
from .args import wrap_dim
from .indexing import gather, getitem
from .shape import (
    _multi,
    cat,
    expand,
    flip,
    meshgrid,
    narrow,
    repeat,
    reshape,
    stack,
    transpose,
    unsqueeze,
)
from .shape import diagonal as _diagonal


def _tensor_list(tensors: tuple) -> list:
    """``f(a, b)`` or ``f([a, b])``: the tensors as a list."""
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        return list(tensors[0])
    return list(tensors)


# ------------------------------------------------------------------ at least n dims
def _atleast(tensors: tuple, one):
    """PyTorch's atleast_nd: a tensor for one tensor argument, a tuple otherwise (also
    for one list or tuple of tensors)."""
    if len(tensors) == 1 and isinstance(tensors[0], TensorBase):
        return one(tensors[0])
    return tuple(one(t) for t in _tensor_list(tensors))


def _atleast_1d(t):
    return reshape(t, (1,)) if t._data.ndim == 0 else t


def _atleast_2d(t):
    n = t._data.ndim
    return reshape(t, (1, 1)) if n == 0 else unsqueeze(t, 0) if n == 1 else t


def _atleast_3d(t):
    n = t._data.ndim
    if n == 0:
        return reshape(t, (1, 1, 1))
    if n == 1:  # (n,) -> (1, n, 1), as NumPy's
        return unsqueeze(unsqueeze(t, 0), -1)
    return unsqueeze(t, -1) if n == 2 else t


def atleast_1d(*tensors):
    """``input`` viewed with at least one dim (a 0-d tensor becomes shape (1,)); several
    tensors (or one list of them) give a tuple.

    >>> import chainrule as torch
    >>> torch.atleast_1d(torch.tensor(1.5))
    tensor([1.5000])
    """
    return _atleast(tensors, _atleast_1d)


def atleast_2d(*tensors):
    """``input`` viewed with at least two dims (a 1-d tensor becomes one row).

    >>> import chainrule as torch
    >>> torch.atleast_2d(torch.tensor([1, 2])).shape
    torch.Size([1, 2])
    """
    return _atleast(tensors, _atleast_2d)


def atleast_3d(*tensors):
    """``input`` viewed with at least three dims: (n,) -> (1, n, 1), (m, n) -> (m, n, 1).

    >>> import chainrule as torch
    >>> torch.atleast_3d(torch.tensor([1, 2])).shape
    torch.Size([1, 2, 1])
    """
    return _atleast(tensors, _atleast_3d)


# ------------------------------------------------------------------ stacking
def _nonempty(tensors, name: str) -> list:
    tensors = list(tensors)
    if not tensors:
        raise RuntimeError(f"{name} expects a non-empty TensorList")
    return tensors


def hstack(tensors):
    """Concatenate column-wise: along dim 0 for 1-d tensors, dim 1 otherwise (0-d ones
    count as 1-d).

    >>> import chainrule as torch
    >>> torch.hstack([torch.ones(2, 1), torch.zeros(2, 2)])
    tensor([[1., 0., 0.],
            [1., 0., 0.]])
    """
    ts = [_atleast_1d(t) for t in _nonempty(tensors, "hstack")]
    return cat(ts, 0 if ts[0]._data.ndim == 1 else 1)


def vstack(tensors):
    """Concatenate row-wise: 0-d and 1-d tensors become rows first.

    >>> import chainrule as torch
    >>> torch.vstack([torch.tensor([1, 2]), torch.tensor([3, 4])])
    tensor([[1, 2],
            [3, 4]])
    """
    return cat([_atleast_2d(t) for t in _nonempty(tensors, "vstack")], 0)


row_stack = vstack


def dstack(tensors):
    """Concatenate depth-wise (dim 2), after ``atleast_3d``.

    >>> import chainrule as torch
    >>> torch.dstack([torch.tensor([1, 2]), torch.tensor([3, 4])]).shape
    torch.Size([1, 2, 2])
    """
    return cat([_atleast_3d(t) for t in _nonempty(tensors, "dstack")], 2)


def column_stack(tensors):
    """Tensors as columns side by side: 0-d and 1-d ones become (n, 1) columns, then
    ``hstack``.

    >>> import chainrule as torch
    >>> torch.column_stack([torch.tensor([1, 2]), torch.tensor([3, 4])])
    tensor([[1, 3],
            [2, 4]])
    """
    ts = _nonempty(tensors, "column_stack")
    return cat([reshape(t, (t._data.size, 1)) if t._data.ndim <= 1 else t for t in ts], 1)


# ------------------------------------------------------------------ reshaping
def ravel(input):
    """The elements as one contiguous 1-d tensor (a view when possible).

    >>> import chainrule as torch
    >>> torch.ravel(torch.tensor([[1, 2], [3, 4]]))
    tensor([1, 2, 3, 4])
    """
    return reshape(input, (-1,))


def select(input, dim: int, index: int):
    """The slice at ``index`` along ``dim``, that dim removed (a view): ``x.select(0, i)``
    is ``x[i]``.

    >>> import chainrule as torch
    >>> torch.arange(6).reshape(2, 3).select(1, -1)
    tensor([2, 5])
    """
    n = input._data.ndim
    if n == 0:
        raise IndexError("select() cannot be applied to a 0-dim tensor.")
    d = wrap_dim(dim, n)
    size = input._data.shape[d]
    index = int(index)
    if not -size <= index < size:
        raise IndexError(
            f"select(): index {index} out of range for tensor of size "
            f"{list(input._data.shape)} at dimension {d}"
        )
    # (SELECT directly: x[:, i] goes through getitem's slice row, SliceBackward0)
    return apply(SELECT, input, idx=(slice(None),) * d + (index % size,))


def unflatten(input, dim: int, sizes):
    """Dim ``dim`` split into ``sizes`` (one of them may be -1, inferred).

    >>> import chainrule as torch
    >>> torch.arange(6).unflatten(0, (2, -1)).shape
    torch.Size([2, 3])
    """
    shape = input._data.shape
    if not shape:
        raise RuntimeError(
            f"unflatten got an unexpected error:\nDimension specified as {dim} but tensor has "
            "no dimensions"
        )
    d = wrap_dim(dim, len(shape))
    sizes = [int(s) for s in sizes]
    if not sizes:
        raise RuntimeError("unflatten: sizes must be non-empty")
    n = shape[d] if shape else 1
    if sizes.count(-1) > 1:
        raise RuntimeError("unflatten got an unexpected error:\nonly one dimension can be inferred")
    known = math.prod(s for s in sizes if s != -1)
    if (-1 in sizes and (known == 0 or n % known)) or (-1 not in sizes and known != n):
        raise RuntimeError(
            f"unflatten: Provided sizes {sizes} don't multiply up to the size of dim {dim} "
            f"({n}) in the input tensor"
        )
    return reshape(input, tuple(shape[:d]) + tuple(sizes) + tuple(shape[d + 1 :]))


# ------------------------------------------------------------------ splitting
def _indices_arg(indices_or_sections, name: str):
    """An int (sections) or a list of split indices; a tensor gives either (0-d: sections)."""
    if isinstance(indices_or_sections, TensorBase):
        a = indices_or_sections._data
        if a.ndim > 1:
            raise RuntimeError(
                f"{name} expected tensor_indices_or_sections to be a zero-dimensional or "
                f"one-dimensional tensor, but got a tensor with {a.ndim} dims"
            )
        if indices_or_sections.dtype != _dt.int64:
            raise RuntimeError(
                f"{name} expected tensor_indices_or_sections to have dtype of long, but got "
                f"{indices_or_sections.dtype.title}"
            )
        return int(a) if a.ndim == 0 else [int(i) for i in indices_or_sections.tolist()]
    if isinstance(indices_or_sections, int):
        return int(indices_or_sections)
    return [int(i) for i in indices_or_sections]


def tensor_split(
    input,
    indices_or_sections=None,
    dim: int = 0,
    *,
    sections=None,
    indices=None,
    tensor_indices_or_sections=None,
):
    """Views of ``input`` split along ``dim``: into ``n`` nearly equal parts (the first
    ``size % n`` one longer), or at the given indices (``[1, 4]``: ``x[:1], x[1:4], x[4:]``).

    >>> import chainrule as torch
    >>> torch.tensor_split(torch.arange(5), 2)
    (tensor([0, 1, 2]), tensor([3, 4]))
    >>> torch.tensor_split(torch.arange(5), [1, 4])
    (tensor([0]), tensor([1, 2, 3]), tensor([4]))
    """
    # (PyTorch's overloads name the argument sections=, indices= or
    # tensor_indices_or_sections=)
    for alt in (sections, indices, tensor_indices_or_sections):
        if alt is not None:
            indices_or_sections = alt
    n = input._data.ndim
    if n == 0:
        raise RuntimeError(
            "tensor_split expected at least a 1-dimensional tensor, but got a tensor with 0 dims"
        )
    arg = _indices_arg(indices_or_sections, "tensor_split")
    d = wrap_dim(dim, n)
    size = input._data.shape[d]
    if isinstance(arg, int):
        if arg <= 0:
            raise RuntimeError(f"number of sections must be larger than 0, got {arg}")
        q, r = divmod(size, arg)
        bounds, s = [], 0
        for i in range(arg):
            e = s + q + (1 if i < r else 0)
            bounds.append((s, e))
            s = e
    else:  # indices, clamped to the dim; a bound below the previous one gives an empty part
        edges = [0] + [min(max(i if i >= 0 else i + size, 0), size) for i in arg]
        edges.append(size)
        bounds = [(s, max(s, e)) for s, e in zip(edges, edges[1:], strict=False)]
    parts = [getitem(input, (slice(None),) * d + (slice(s, e),)) for s, e in bounds]
    return _multi(parts, "TensorSplit")


def _split_along(input, indices_or_sections, dim: int, least: int, name: str):
    """hsplit/vsplit/dsplit: tensor_split along ``dim``, sections dividing the dim exactly."""
    n = input._data.ndim
    if n < least:
        raise RuntimeError(
            f"torch.{name} requires a tensor with at least {least} dimension, but got a "
            f"tensor with {n} dimensions!"
        )
    if isinstance(indices_or_sections, int):
        size = input._data.shape[dim]
        k = indices_or_sections
        if k == 0 or size % k:
            raise RuntimeError(
                f"torch.{name} attempted to split along dimension {dim}, but the size of the "
                f"dimension {size} is not divisible by the split_size {k}!"
            )
    return tensor_split(input, indices_or_sections, dim)


def hsplit(input, indices_or_sections):
    """Split column-wise: along dim 1 (dim 0 for a 1-d tensor).

    >>> import chainrule as torch
    >>> [t.shape for t in torch.hsplit(torch.zeros(2, 4), 2)]
    [torch.Size([2, 2]), torch.Size([2, 2])]
    """
    d = 0 if input._data.ndim == 1 else 1
    return _split_along(input, indices_or_sections, d, 1, "hsplit")


def vsplit(input, indices_or_sections):
    """Split row-wise (dim 0) a tensor of at least 2 dims.

    >>> import chainrule as torch
    >>> torch.vsplit(torch.arange(4).reshape(2, 2), 2)[1]
    tensor([[2, 3]])
    """
    return _split_along(input, indices_or_sections, 0, 2, "vsplit")


def dsplit(input, indices_or_sections):
    """Split depth-wise (dim 2) a tensor of at least 3 dims.

    >>> import chainrule as torch
    >>> torch.dsplit(torch.zeros(1, 2, 4), [1])[1].shape
    torch.Size([1, 2, 3])
    """
    return _split_along(input, indices_or_sections, 2, 3, "dsplit")


# ------------------------------------------------------------------ moving elements around
def _roll_one(x, shift: int, d: int):
    n = x._data.shape[d]
    s = shift % n if n else 0
    if s == 0:  # nothing moves: a copy, still roll's node (as PyTorch's)
        return apply(ROLL, x, dim=d, skip=())
    lead = (slice(None),) * d
    # the last s elements come first: a cat of two slices (cat's rule, roll's name)
    parts = (getitem(x, lead + (slice(n - s, n),)), getitem(x, lead + (slice(0, n - s),)))
    return apply(ROLL, *parts, dim=d, skip=())


def roll(input, shifts, dims=None):
    """Elements shifted by ``shifts`` along ``dims``, wrapping around; with no dims, of the
    flattened tensor (then reshaped back). A copy, as PyTorch's.

    >>> import chainrule as torch
    >>> torch.roll(torch.tensor([[1, 2], [3, 4]]), 1, 1)
    tensor([[2, 1],
            [4, 3]])
    """
    shifts = (shifts,) if isinstance(shifts, int) else tuple(int(s) for s in shifts)
    dims = () if dims is None else (dims,) if isinstance(dims, int) else tuple(dims)
    if not shifts:
        raise RuntimeError("`shifts` required")
    if not dims and input._data.ndim == 1:
        dims = (0,)  # (the flattened tensor is the tensor)
    if not dims:
        if len(shifts) != 1:
            raise RuntimeError(
                f"shifts and dimensions must align. shifts: {len(shifts)}, dims:{len(dims)}"
            )
        flat = reshape(input, (-1,))
        out = _roll_one(flat, shifts[0], 0)
        return reshape(out, input._data.shape)
    if len(shifts) != len(dims):
        raise RuntimeError(
            f"shifts and dimensions must align. shifts: {len(shifts)}, dims:{len(dims)}"
        )
    n = input._data.ndim
    out = input
    for s, d in zip(shifts, dims, strict=True):
        out = _roll_one(out, s, wrap_dim(d, n))
    return out


def tile(input, dims):
    """``input`` repeated ``dims[i]`` times along each dim; ``dims`` shorter than the
    tensor's dims is padded with 1s in front (``repeat`` is the other way round).

    >>> import chainrule as torch
    >>> torch.tile(torch.tensor([[1, 2]]), (2,))
    tensor([[1, 2, 1, 2]])
    """
    dims = (dims,) if isinstance(dims, int) else tuple(int(d) for d in dims)
    n = input._data.ndim
    if len(dims) < n:
        dims = (1,) * (n - len(dims)) + dims
    return repeat(input, dims)


def flipud(input):
    """Reversed along dim 0.

    >>> import chainrule as torch
    >>> torch.flipud(torch.tensor([1, 2, 3]))
    tensor([3, 2, 1])
    """
    if input._data.ndim < 1:
        raise RuntimeError("Input must be >= 1-d.")
    return flip(input, (0,))


def fliplr(input):
    """Reversed along dim 1 (left-right).

    >>> import chainrule as torch
    >>> torch.fliplr(torch.tensor([[1, 2], [3, 4]]))
    tensor([[2, 1],
            [4, 3]])
    """
    if input._data.ndim < 2:
        raise RuntimeError("Input must be >= 2-d.")
    return flip(input, (1,))


def rot90(input, k: int = 1, dims=(0, 1)):
    """Rotated by 90 degrees ``k`` times in the plane of ``dims``, from the first dim's
    direction towards the second's.

    >>> import chainrule as torch
    >>> torch.rot90(torch.tensor([[1, 2], [3, 4]]))
    tensor([[2, 4],
            [1, 3]])
    """
    dims = list(dims)
    n = input._data.ndim
    if len(dims) != 2:
        raise RuntimeError(f"expected total rotation dims == 2, but got dims = {len(dims)}")
    if n < 2:
        raise RuntimeError(f"expected total dims >= 2, but got total dims = {n}")
    d0, d1 = wrap_dim(dims[0], n), wrap_dim(dims[1], n)
    if d0 == d1:
        raise RuntimeError(
            f"expected rotation dims to be different, but got dim0 = {dims[0]} and dim1 = {dims[1]}"
        )
    k %= 4
    if k == 1:
        return transpose(flip(input, (d1,)), d0, d1)
    if k == 2:
        return flip(input, (d0, d1))
    if k == 3:
        return transpose(flip(input, (d0,)), d0, d1)
    return input.clone()


def narrow_copy(input, dim: int, start: int, length: int):
    """``narrow`` as a new tensor (its own storage).

    >>> import chainrule as torch
    >>> torch.narrow_copy(torch.arange(5), 0, 1, 2)
    tensor([1, 2])
    """
    return apply(NARROW_COPY, narrow(input, dim, start, length))  # (clone's rule)


# ------------------------------------------------------------------ diagonals
def diag_embed(input, offset: int = 0, dim1: int = -2, dim2: int = -1):
    """A tensor whose diagonal (``offset``, over the new ``dim1``, ``dim2``) holds the last
    dim of ``input``; zeros elsewhere.

    >>> import chainrule as torch
    >>> torch.diag_embed(torch.tensor([1, 2]))
    tensor([[1, 0],
            [0, 2]])
    """
    shape = tuple(input._data.shape)
    n = len(shape) + 1
    d1, d2 = wrap_dim(dim1, n), wrap_dim(dim2, n)
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    offset = int(offset)
    m = (shape[-1] if shape else 1) + abs(offset)
    rest = list(shape[:-1])
    out_shape = [m if i in (d1, d2) else rest.pop(0) for i in range(n)]
    x = input
    # the diagonal's elements written into zeros: the adjoint of reading a diagonal, which
    # is DIAG_EMBED's row (index_grad's rules under PyTorch's name)
    idx, pos = _diagonal_index(tuple(out_shape), offset, d1, d2)
    # the positions made where x is (an op's index arrays live on its input's device)
    key = device_key(x._data)
    idx = tuple(_backend.move(i, *key) if hasattr(i, "shape") else i for i in idx)
    x = x if pos == x._data.ndim - 1 else x.movedim(-1, pos)
    return apply(DIAG_EMBED, x, idx=idx, shape=tuple(out_shape))


def diag(input, diagonal: int = 0):
    """A 1-d tensor put on the diagonal of a square matrix, or a 2-d tensor's diagonal
    (a copy), ``diagonal`` above the main one (below if negative).

    >>> import chainrule as torch
    >>> torch.diag(torch.tensor([1, 2]))
    tensor([[1, 0],
            [0, 2]])
    >>> torch.diag(torch.tensor([[1, 2], [3, 4]]), 1)
    tensor([2])
    """
    n = input._data.ndim
    if n == 1:
        return diag_embed(input, diagonal, 0, 1)
    if n == 2:
        return _diagonal(input, diagonal).clone()
    raise RuntimeError(f"diag(): Supports 1D or 2D tensors. Got {n}D")


def diagflat(input, offset: int = 0):
    """The flattened input on the diagonal of a square matrix.

    >>> import chainrule as torch
    >>> torch.diagflat(torch.tensor([[1, 2]]))
    tensor([[1, 0],
            [0, 2]])
    """
    return diag_embed(reshape(input, (-1,)), offset, 0, 1)


def trace(input):
    """The sum of a matrix's main diagonal (integers sum to int64, as ``sum``).

    >>> import chainrule as torch
    >>> torch.trace(torch.arange(9).reshape(3, 3))
    tensor(12)
    """
    if input._data.ndim != 2:
        raise RuntimeError(f"trace: expected a matrix, but got tensor with dim {input._data.ndim}")
    if input._data.dtype.kind == "b":
        raise NotImplementedError("\"trace\" not implemented for 'Bool'")
    return _reduction.sum(_diagonal(input))


# ------------------------------------------------------------------ several tensors into one
def block_diag(*tensors):
    """The tensors (0-d, 1-d as one row, or 2-d) as blocks on a diagonal, zeros elsewhere;
    of their promoted dtype.

    >>> import chainrule as torch
    >>> torch.block_diag(torch.tensor([[1, 2]]), torch.tensor(3))
    tensor([[1, 2, 0],
            [0, 0, 3]])
    """
    for i, t in enumerate(tensors):
        if t._data.ndim > 2:
            raise RuntimeError(
                "torch.block_diag: Input tensors must have 2 or fewer dimensions. Input "
                f"{i} has {t._data.ndim} dimensions"
            )
    if not tensors:
        return new(_backend.default.zeros((1, 0), _dt.get_default_dtype().np))
    dt = tensors[0].dtype
    for t in tensors[1:]:
        dt = _dt.promote_types(dt, t.dtype)
    blocks = [reshape(t, (1, -1) if t._data.ndim < 2 else t._data.shape) for t in tensors]
    blocks = [b if b.dtype == dt else b.to(dt) for b in blocks]
    width = sum(b._data.shape[1] for b in blocks)
    rows, left = [], 0
    for b in blocks:
        r, c = b._data.shape
        xp = namespace(b._data)
        pad = [b._new(xp.zeros((r, w), b._data.dtype)) for w in (left, width - left - c)]
        # the zeros are created next to the block (same device), then one cat per row
        rows.append(cat([pad[0], b, pad[1]], 1))
        left += c
    return apply(BLOCK_DIAG, *rows, dim=0, skip=())  # (cat's rule, block_diag's name)


def cartesian_prod(*tensors):
    """The cartesian product of 1-d tensors as rows of an (N, k) tensor (one tensor: itself).

    >>> import chainrule as torch
    >>> torch.cartesian_prod(torch.tensor([1, 2]), torch.tensor([3, 4]))
    tensor([[1, 3],
            [1, 4],
            [2, 3],
            [2, 4]])
    """
    for t in tensors:
        if t._data.ndim != 1:
            raise RuntimeError(f"Expect a 1D vector, but got shape {list(t._data.shape)}")
    if len(tensors) == 1:
        return tensors[0]
    grids = meshgrid(*tensors, indexing="ij")
    return stack([reshape(g, (-1,)) for g in grids], 1)


def kron(input, other):
    """The Kronecker product: every element of ``input`` times the whole ``other``
    (dims matched from the end, the shorter padded with 1s in front).

    >>> import chainrule as torch
    >>> torch.kron(torch.tensor([1, 2]), torch.tensor([1, 10]))
    tensor([ 1, 10,  2, 20])
    """
    n = max(input._data.ndim, other._data.ndim)
    a = reshape(input, (1,) * (n - input._data.ndim) + tuple(input._data.shape))
    b = reshape(other, (1,) * (n - other._data.ndim) + tuple(other._data.shape))
    sa, sb = a._data.shape, b._data.shape
    # a's dims interleaved with b's: (a0, 1, a1, 1, ...) * (1, b0, 1, b1, ...), then merged
    a = reshape(a, tuple(s for d in sa for s in (d, 1)))
    b = reshape(b, tuple(s for d in sb for s in (1, d)))
    # (a reshape of the fresh product: PyTorch's _unsafe_view)
    return apply(UNSAFE_VIEW, a * b, shape=tuple(x * y for x, y in zip(sa, sb, strict=True)))


_CROSS_NO_DIM = (
    "Using torch.cross without specifying the dim arg is deprecated.\n"
    "Please either pass the dim explicitly or simply use torch.linalg.cross.\n"
    "The default value of dim will change to agree with that of linalg.cross in a future "
    "release."
)


def linalg_cross(input, other, *, dim: int = -1):
    """The cross product of 3-vectors along ``dim`` (the inputs broadcast).

    >>> import chainrule as torch
    >>> torch.linalg.cross(torch.tensor([1., 0, 0]), torch.tensor([0., 1, 0]))
    tensor([0., 0., 1.])
    """
    n = input._data.ndim
    if n != other._data.ndim:
        raise RuntimeError("linalg.cross: inputs must have the same number of dimensions.")
    d = wrap_dim(dim, n)
    sa, sb = input._data.shape[d], other._data.shape[d]
    if sa != 3 or sb != 3:
        raise RuntimeError(
            f"linalg.cross: inputs dimension {dim} must have length 3. Got {sa} and {sb}"
        )
    shape = _state.broadcast_shape(input._data.shape, other._data.shape)
    if input._data.shape != shape:
        input = expand(input, shape)
    if other._data.shape != shape:
        other = expand(other, shape)
    lead = (slice(None),) * d
    a = [getitem(input, lead + (i,)) for i in range(3)]
    b = [getitem(other, lead + (i,)) for i in range(3)]
    # (a1 b2 - a2 b1, a2 b0 - a0 b2, a0 b1 - a1 b0): products of the table's rows
    parts = [a[(i + 1) % 3] * b[(i + 2) % 3] - a[(i + 2) % 3] * b[(i + 1) % 3] for i in range(3)]
    return apply(LINALG_CROSS, *parts, dim=d)  # (stack's rule, linalg.cross's name)


def cross(input, other, dim=None):
    """``torch.cross``: the cross product along ``dim``; without ``dim``, along the first
    dim of size 3 (deprecated, with PyTorch's warning).

    >>> import chainrule as torch
    >>> torch.cross(torch.tensor([[1, 0, 0]]), torch.tensor([[0, 1, 0]]), dim=1)
    tensor([[0, 0, 1]])
    """
    if dim is None:
        warnings.warn(_CROSS_NO_DIM, UserWarning, stacklevel=2)
        shape = _state.broadcast_shape(input._data.shape, other._data.shape)
        dim = next((i for i, s in enumerate(shape) if s == 3), -1)
    return linalg_cross(input, other, dim=dim)


# ------------------------------------------------------------------ picking elements
def take(input, index):
    """Elements of the flattened ``input`` at ``index`` (result shaped as ``index``).

    >>> import chainrule as torch
    >>> torch.take(torch.tensor([[4, 3], [5, 7]]), torch.tensor([0, 3]))
    tensor([4, 7])
    """
    if index.dtype != _dt.int64:
        raise RuntimeError(f"take(): Expected a long tensor for index, but got {index.dtype.title}")
    n = input._data.size
    # checked now, or on a lazy (Dask) index when it is computed
    idx = _backend.checked(index._data, _take_out_of_range, n)
    return getitem(reshape(input, (-1,)), (index if idx is index._data else index._new(idx),))


def _take_out_of_range(block, start, n):
    # (module level: Dask's workers pickle a check by its name)
    if not block.size:
        return None
    xp = namespace(block)
    for bad in (int(xp.min(block)), int(xp.max(block))):
        if not -n <= bad < n:
            return IndexError(
                f"out of range: tried to access index {bad} on a tensor of {n} elements."
            )
    return None


def take_along_dim(input, indices, dim=None):
    """Values of ``input`` at ``indices`` along ``dim`` (``gather``, with the two broadcast
    against each other except along ``dim``); with no dim, of the flattened tensors.

    >>> import chainrule as torch
    >>> x = torch.tensor([[10, 30, 20], [60, 40, 50]])
    >>> torch.take_along_dim(x, x.argmax(1, keepdim=True), 1)
    tensor([[30],
            [60]])
    """
    if indices.dtype != _dt.int64:
        raise RuntimeError(
            f"torch.take_along_dim(): dtype of indices should be Long but got {indices.dtype.title}"
        )
    if dim is None:
        return gather(reshape(input, (-1,)), 0, reshape(indices, (-1,)))
    n = input._data.ndim
    if indices._data.ndim != n:
        raise RuntimeError(
            "torch.take_along_dim(): input and indices should have the same number of "
            f"dimensions, but got {n} dimensions for input, and {indices._data.ndim} "
            "dimensions for indices"
        )
    d = wrap_dim(dim, n)
    si, sx = list(input._data.shape), list(indices._data.shape)
    si[d] = sx[d] = 1
    b = list(_state.broadcast_shape(tuple(si), tuple(sx)))
    bx, bi = list(b), list(b)
    bx[d], bi[d] = input._data.shape[d], indices._data.shape[d]
    x = input if tuple(bx) == input._data.shape else expand(input, bx)
    if tuple(bi) != indices._data.shape:
        indices = expand(indices, bi)
    return gather(x, d, indices)


def masked_select(input, mask):
    """The elements of ``input`` where ``mask`` is True, as a 1-d tensor (the two broadcast).

    >>> import chainrule as torch
    >>> x = torch.tensor([[1, 2], [3, 4]])
    >>> torch.masked_select(x, x > 2)
    tensor([3, 4])
    """
    if mask._data.dtype.kind != "b":
        raise RuntimeError("masked_select: expected BoolTensor for mask")
    sx, sm = tuple(input._data.shape), tuple(mask._data.shape)
    shape = _state.broadcast_shape(sm, sx)
    x = input if sx == shape else expand(input, shape)
    m = mask if sm == shape else expand(mask, shape)
    if not shape:  # a 0-d pair: x[mask] would keep no dim to select along
        x, m = reshape(x, (1,)), reshape(m, (1,))
    return getitem(x, (m,))


class CombineMethods:
    """The Tensor methods of this module: ``x.ravel()``, ``x.roll(1)``, ``x.diag()``..."""

    __slots__ = ()

    ravel = ravel
    select = select
    unflatten = unflatten
    tensor_split = tensor_split
    hsplit = hsplit
    vsplit = vsplit
    dsplit = dsplit
    roll = roll
    narrow_copy = narrow_copy
    diag = diag
    diag_embed = diag_embed
    diagflat = diagflat
    trace = trace
    kron = kron
    take = take
    take_along_dim = take_along_dim
    masked_select = masked_select
    fliplr = fliplr
    flipud = flipud
    rot90 = rot90

    def tile(self, *dims):
        """``torch.tile(self, dims)``: ``x.tile(2, 1)`` or ``x.tile((2, 1))``.

        >>> import chainrule as torch
        >>> torch.tensor([1, 2]).tile(2)
        tensor([1, 2, 1, 2])
        """
        return tile(self, dims[0] if len(dims) == 1 and not isinstance(dims[0], int) else dims)

    def cross(self, other, dim=None):
        """``torch.cross(self, other, dim)``.

        >>> import chainrule as torch
        >>> torch.tensor([1., 0, 0]).cross(torch.tensor([0., 1, 0]), dim=0)
        tensor([0., 0., 1.])
        """
        return cross(self, other, dim)
