"""Writing values into chosen positions, under PyTorch's names: scatter, scatter_add,
index_add, index_copy, index_fill, masked_scatter, with their in-place variants and
PyTorch's checks; and the Tensor methods that share them (``ScatterMethods``). The rules
are the table's (``chainrule.ops.scatter``): each function builds the NumPy index of the
positions it writes and runs one row.

>>> import chainrule as torch
>>> torch.zeros(3).scatter_add(0, torch.tensor([0, 0, 2]), torch.tensor([1., 2., 3.]))
tensor([3., 0., 3.])
>>> torch.zeros(2, 2).index_fill(1, torch.tensor([1]), 7.)
tensor([[0., 7.],
        [0., 7.]])
"""

from __future__ import annotations

from .. import _state
from .. import backend as _backend
from ..backend import device_key, namespace
from ..ops.apply import apply, apply_inplace
from ..ops.scatter import (
    INDEX_ADD,
    INDEX_COPY,
    INDEX_FILL,
    INDEX_FILL_T,
    MASKED_SCATTER,
    SCATTER,
    SCATTER_ADD,
    SCATTER_LEGACY_REDUCE,
    SCATTER_REDUCE,
    SCATTER_REDUCE_PROD,
    SCATTER_VALUE,
)
from ..ops.symbolic import SymArray
from ..tensor_base import TensorBase
from .args import wrap_dim
from .indexing import getitem
from .shape import expand, reshape


# ------------------------------------------------------------------ shared checks
def _same_device(input, *others) -> None:
    """An index, mask or source where ``input`` is (PyTorch moves none of them)."""
    here = device_key(input._data)
    for t in others:
        there = device_key(t._data)
        if there != here:
            name = lambda k: k[0] if k[1] is None else f"{k[0]}:{k[1]}"  # noqa: E731
            raise RuntimeError(
                "Expected all tensors to be on the same device, but found at least two "
                f"devices, {name(here)} and {name(there)}!"
            )


def _index_dtype(index, name: str) -> None:
    if index._data.dtype.kind not in "iu" or index._data.dtype.itemsize not in (4, 8):
        raise RuntimeError(f"{name}: Expected dtype int32/int64 for index")


def _bounds(index, size: int, d: int, *, negative=False, err=RuntimeError, name=""):
    """index's array, once every index is in [0, size) along dim d ([-size, size) where
    PyTorch wraps them): checked now, or on a lazy (Dask) array when it is computed."""
    lo = -size if negative else 0
    return _backend.checked(index._data, _out_of_bounds, lo, size, d, err, name)


def _out_of_bounds(block, start, lo, size, d, err, name):
    # (module level: Dask's workers pickle a check by its name)
    if not block.size:
        return None
    xp = namespace(block)
    for i in (int(xp.min(block)), int(xp.max(block))):
        if not lo <= i < size:
            return err(f"{name}index {i} is out of bounds for dimension {d} with size {size}")
    return None


def _number(x, value):
    """A number as a 0-d tensor of x's dtype where x is (cast as PyTorch casts: 1.5 into
    an integer tensor is 1); for an explicit graph's x, a constant."""
    xp = _backend.default if type(x._data) is SymArray else namespace(x._data)
    return x._new(_backend.astype(xp.asarray(value), x._data.dtype))


def _as_1d(t):
    """A 0-d tensor as shape (1,): PyTorch lets the dim=0 functions take 0-d tensors,
    which a NumPy index cannot address."""
    return reshape(t, (1,)) if t._data.ndim == 0 else t


# ------------------------------------------------------------------ scatter
def _scatter_index(input, dim: int, index, src, name: str):
    """(d, idx, src): scatter's dim wrapped, the NumPy index tuple of the positions it
    writes (index on dim d, the positions themselves elsewhere), and src cut to index's
    shape (a view; PyTorch reads only that corner of src)."""
    _index_dtype(index, f"{name}()")
    n = input._data.ndim
    d = wrap_dim(dim, n)
    si = tuple(index._data.shape)
    if index._data.ndim != max(n, 0) and index._data.size:
        raise RuntimeError("Index tensor must have the same number of dimensions as self tensor")
    shape = tuple(input._data.shape)
    if src is not None and index._data.size:
        if src._data.ndim != index._data.ndim:
            raise RuntimeError("Index tensor must have the same number of dimensions as src tensor")
        ss = tuple(src._data.shape)
        if any(si[k] > ss[k] or (k != d and si[k] > shape[k]) for k in range(len(si))):
            raise RuntimeError(
                f"Expected index {list(si)} to be no larger than self {list(shape)} apart from "
                f"dimension {d} and to be no larger size than src {list(ss)}"
            )
    elif index._data.size and any(k != d and si[k] > shape[k] for k in range(len(si))):
        raise RuntimeError(
            f"Expected index {list(si)} to be no larger than self {list(shape)} apart from "
            f"dimension {d}"
        )
    a = _bounds(index, shape[d] if shape else 1, d)
    a = _backend.astype(a, "int64") if a.dtype.itemsize != 8 else a
    xp = namespace(a)
    # the positions themselves on the other dims, each an arange shaped to broadcast
    full = [
        _backend.reshape(xp.arange(k), tuple(-1 if j == i else 1 for j in range(a.ndim)))
        for i, k in enumerate(a.shape)
    ]
    if a.ndim:
        full[d] = a
    if src is not None and tuple(src._data.shape) != si and src._data.ndim:
        src = getitem(src, tuple(slice(0, k) for k in si))
    return d, tuple(full), src


def _scatter(input, dim, index, src, value, reduce, inplace: bool):
    name = "scatter"
    is_t = isinstance(src, TensorBase)
    if src is not None and not is_t:
        src, value = None, src  # scatter(x, dim, index, 2.0): the value overload
    if src is not None and src._data.dtype != input._data.dtype:
        raise RuntimeError(f"{name}(): Expected self.dtype to be equal to src.dtype")
    x0 = input
    if input._data.ndim == 0:  # (NumPy cannot index a 0-d array by position)
        input, index = reshape(input, (1,)), _as_1d(index)
        src = _as_1d(src) if src is not None else None
    _same_device(input, index)
    d, idx, src = _scatter_index(input, dim, index, src, name)
    if reduce is not None:
        return _legacy_reduce(x0, input, idx, src, value, reduce, inplace)
    if src is None:
        v = _number(input, value)
        prim, arg = SCATTER_VALUE, v
    else:
        prim, arg = SCATTER, src
    return _run(prim, x0, input, (arg,), inplace, idx=idx)


def _legacy_reduce(x0, input, idx, src, value, reduce, inplace):
    """scatter's deprecated ``reduce='add' | 'multiply'``: the values, and a node whose
    backward raises, as PyTorch's (it has no derivative for them)."""
    if reduce not in ("add", "multiply"):
        raise RuntimeError("reduce argument must be either add or multiply.")
    v = src if src is not None else _number(input, value)
    return _run(SCATTER_LEGACY_REDUCE, x0, input, (v,), inplace, idx=idx, reduce=reduce)


def scatter(input, dim: int, index, src=None, value=None, *, reduce=None):
    """A copy of ``input`` with ``src[i][j]`` (or the number ``value``) written at
    ``[index[i][j]][j]`` for dim 0 (at ``[i][index[i][j]]`` for dim 1, ...). Where an index
    repeats, one of the values is kept, as in PyTorch (which does not say which).

    >>> import chainrule as torch
    >>> torch.zeros(2, 3).scatter(1, torch.tensor([[2], [0]]), torch.tensor([[1.], [2.]]))
    tensor([[0., 0., 1.],
            [2., 0., 0.]])
    """
    return _scatter(input, dim, index, src, value, reduce, False)


def scatter_add(input, dim: int, index, src):
    """A copy of ``input`` with ``src``'s values added at ``index`` along ``dim`` (as
    ``scatter``; repeated indices add up).

    >>> import chainrule as torch
    >>> torch.ones(3).scatter_add(0, torch.tensor([2, 2]), torch.tensor([1., 2.]))
    tensor([1., 1., 4.])
    """
    return _scatter_add(input, dim, index, src, False)


def _scatter_add(input, dim, index, src, inplace: bool):
    name = "scatter_add_" if inplace else "scatter_add"
    if not isinstance(src, TensorBase):
        raise TypeError(
            f"{name}(): argument 'src' (position 3) must be Tensor, not {type(src).__name__}"
        )
    if src._data.dtype != input._data.dtype:  # (PyTorch's message names scatter here)
        raise RuntimeError("scatter(): Expected self.dtype to be equal to src.dtype")
    x0 = input
    if input._data.ndim == 0:
        input, index, src = reshape(input, (1,)), _as_1d(index), _as_1d(src)
    _same_device(input, index)
    _, idx, src = _scatter_index(input, dim, index, src, name)
    return _run(SCATTER_ADD, x0, input, (src,), inplace, idx=idx, alpha=1)


_REDUCES = {"sum": "sum", "prod": "prod", "mean": "mean", "amax": "amax", "amin": "amin"}
_REDUCES.update(max="amax", min="amin")  # (PyTorch takes these spellings too)


def _scatter_reduce(input, dim, index, src, reduce, include_self, inplace: bool):
    r = _REDUCES.get(reduce) if isinstance(reduce, str) else None
    if r is None:
        raise RuntimeError(
            f"reduce argument must be either sum, prod, mean, amax or amin, got {reduce}"
        )
    if src._data.dtype != input._data.dtype:
        raise RuntimeError("scatter(): Expected self.dtype to be equal to src.dtype")
    if r in ("amax", "amin") and input._data.dtype.kind == "c":
        raise NotImplementedError(
            f"\"scatter_gather_tensor_cpu_reduce_{r}\" not implemented for '{input.dtype.title}'"
        )
    if (
        input._data.dtype.kind == "c"
        and _state.grad.enabled
        and (input.requires_grad or src.requires_grad)
    ):
        raise RuntimeError(
            "scatter_reduce does not support automatic differentiation for outputs with "
            "complex dtype."
        )
    if r == "mean" and input._data.dtype.kind == "b":
        raise NotImplementedError(
            "\"scatter_gather_tensor_cpu_reduce_mean\" not implemented for 'Bool'"
        )
    x0 = input
    if input._data.ndim == 0:
        input, index, src = reshape(input, (1,)), _as_1d(index), _as_1d(src)
    _same_device(input, index)
    _, idx, src = _scatter_index(input, dim, index, src, "scatter_reduce")
    if r == "prod":  # (a row of its own: ops/scatter.py says why)
        return _run(
            SCATTER_REDUCE_PROD, x0, input, (src,), inplace, idx=idx, include_self=include_self
        )
    return _run(
        SCATTER_REDUCE, x0, input, (src,), inplace, idx=idx, reduce=r, include_self=include_self
    )


def scatter_reduce(input, dim: int, index, src, reduce: str, *, include_self: bool = True):
    """A copy of ``input`` with ``src``'s values reduced into the positions ``index`` names
    along ``dim`` (as ``scatter``) by ``reduce``: 'sum', 'prod', 'mean', 'amax' or 'amin';
    ``include_self=False`` leaves input's values out where src lands. Integer 'mean'
    rounds down, as PyTorch's.

    >>> import chainrule as torch
    >>> x = torch.tensor([1., 2.])
    >>> x.scatter_reduce(0, torch.tensor([0, 0, 1]), torch.tensor([5., 3., 4.]), "amax")
    tensor([5., 4.])
    >>> x.scatter_reduce(0, torch.tensor([0, 0]), torch.tensor([5., 3.]), "mean",
    ...                  include_self=False)
    tensor([4., 2.])
    """
    return _scatter_reduce(input, dim, index, src, reduce, include_self, False)


# ------------------------------------------------------------------ the index_* family
def _along(input, dim, index, name: str, *, negative=False, err=RuntimeError, prefix=False):
    """(x, d, idx): x (a 0-d tensor as shape (1,)), dim wrapped, and the NumPy index of
    the slices ``index`` picks along it."""
    if index._data.ndim > 1:
        raise IndexError(
            f"{name}(): Index is supposed to be a vector, but got dim: {index._data.ndim} with "
            f"type: {index.dtype.title} and size: {list(index._data.shape)}"
        )
    if index._data.dtype.kind not in "iu":
        raise RuntimeError(
            f"{name}(): Expected dtype int32/int64 for index but got: {index.dtype.title}"
        )
    _same_device(input, index)
    x = _as_1d(input)
    d = wrap_dim(dim, input._data.ndim)
    where = f"{name}(): " if prefix else ""
    a = _bounds(index, x._data.shape[d], d, negative=negative, err=err, name=where)
    a = _backend.reshape(a, (1,)) if a.ndim == 0 else a
    return x, d, (slice(None),) * d + (a,)


def _like(source, x, d, k):
    """source shaped as the region of x it writes, x's shape with k on dim d (a 0-d input
    made 1-d, a 0-d source into one slice: the checks leave k elements either way)."""
    region = tuple(k if i == d else n for i, n in enumerate(x._data.shape))
    return source if tuple(source._data.shape) == region else reshape(source, region)


def _add_fits(input, d, index, source) -> None:
    """index_add's checks of source against input and index, in PyTorch's order."""
    S, T, k = tuple(input._data.shape), tuple(source._data.shape), index._data.size
    if d >= max(len(T), 1):
        raise RuntimeError(
            f"index_add_(): Indexing dim {d} is out of bounds of the source tensor with dim "
            f"{len(T)}"
        )
    if not T and k != 1:
        raise IndexError("Dimension specified as 0 but tensor has no dimensions")
    if T and T[d] != k:
        raise RuntimeError(
            f"index_add_(): Number of indices ({k}) should be equal to source.size(dim): "
            f"({T[d]}), for dim: {d}"
        )
    want = tuple(k if i == d else n for i, n in enumerate(S))
    if T != want:
        raise RuntimeError(
            "source tensor shape must match self tensor shape, excluding the specified "
            f"dimension. Got self.shape = {list(S)} source.shape = {list(T)}"
        )


def _copy_fits(input, d, index, source) -> None:
    """index_copy's checks of source against input and index, in PyTorch's order (a 0-d
    input or source counts as a scalar)."""
    S, T, k = tuple(input._data.shape), tuple(source._data.shape), index._data.size
    if S and T and len(S) != len(T):
        raise IndexError(
            "index_copy_(): When source and destination are not scalars, their dimensionality "
            f"must match. Source dimensionality ({len(T)}), destination dimensionality "
            f"({len(S)})"
        )
    if not T and k != 1:
        raise IndexError(
            f"index_copy_(): When source is scalar, index should have one element (got {k})"
        )
    if T and T[min(d, len(T) - 1)] != k:
        raise IndexError(
            f"index_copy_(): Number of indices ({k}) should be equal to source.size(dim) "
            f"({T[min(d, len(T) - 1)]})"
        )
    dst = [n for i, n in enumerate(S) if i != d]
    src = [n for i, n in enumerate(T) if i != d]
    if dst != src:
        raise RuntimeError(
            "index_copy_(): Source/destination tensor must have same slice shapes. "
            f"Destination slice shape: {' '.join(map(str, dst))} at dimension {d} and source "
            f"slice shape: {' '.join(map(str, src))} at dimension 0."
        )


def _run(prim, input, x, args, inplace: bool, *, as_0d=None, idx, **params):
    """prim on x (input, or a 0-d input as 1-d, or input broadcast), in place into input
    or as a new tensor; ``as_0d``: x is a 0-d input made 1-d (default: when input is 0-d)."""
    if any(getattr(i, "size", 1) == 0 for i in idx) and x._data.ndim:
        # nothing to write: an empty basic index (the array API has no empty array index),
        # a tensor argument viewed with the shape it selects, (0, ...)
        idx = (slice(0, 0),)
        empty = (0,) + tuple(x._data.shape[1:])
        args = tuple(reshape(a, empty) if a._data.ndim else a for a in args)
    params["idx"] = idx
    if inplace and x is input:
        return apply_inplace(prim, input, *args, **params)
    out = apply(prim, x, *args, **params)
    if as_0d if as_0d is not None else input._data.ndim == 0:
        out = reshape(out, ())
    if inplace:
        input.copy_(out)
        return input
    return out


def _index_add(input, dim, index, source, alpha, inplace: bool):
    if source._data.dtype != input._data.dtype:
        raise RuntimeError(
            f"index_add_(): self ({input.dtype.title}) and source ({source.dtype.title}) must "
            "have the same scalar type"
        )
    x, d, idx = _along(input, dim, index, "index_add_")
    _add_fits(input, d, index, source)
    return _run(
        INDEX_ADD, input, x, (_like(source, x, d, index._data.size),), inplace, idx=idx, alpha=alpha
    )


def index_add(input, dim: int, index, source, *, alpha=1):
    """A copy of ``input`` with ``alpha * source`` added at the slices ``index`` picks
    along ``dim`` (repeated indices add up).

    >>> import chainrule as torch
    >>> torch.zeros(2, 3).index_add(1, torch.tensor([0, 0]), torch.ones(2, 2), alpha=2)
    tensor([[4., 0., 0.],
            [4., 0., 0.]])
    """
    return _index_add(input, dim, index, source, alpha, False)


def _index_copy(input, dim, index, source, inplace: bool):
    if source._data.dtype != input._data.dtype:
        raise RuntimeError(
            "index_copy_(): self and source expected to have the same dtype, but got (self) "
            f"{input.dtype.title} and (source) {source.dtype.title}"
        )
    x, d, idx = _along(input, dim, index, "index_copy_", err=IndexError, prefix=True)
    _copy_fits(input, d, index, source)
    return _run(INDEX_COPY, input, x, (_like(source, x, d, index._data.size),), inplace, idx=idx)


def index_copy(input, dim: int, index, source):
    """A copy of ``input`` with the slices ``index`` picks along ``dim`` replaced by
    ``source``'s (where an index repeats, one of them is kept).

    >>> import chainrule as torch
    >>> torch.zeros(3).index_copy(0, torch.tensor([2, 0]), torch.tensor([1., 2.]))
    tensor([2., 0., 1.])
    """
    return _index_copy(input, dim, index, source, False)


def _index_fill(input, dim, index, value, inplace: bool):
    x, d, idx = _along(input, dim, index, "index_fill_", negative=True, err=IndexError)
    # each slice once (filling twice is filling once): a tensor value's gradient then
    # counts every filled slice once, as PyTorch's
    a = idx[-1]
    if a.size:
        xp = namespace(a)
        a = (getattr(xp, "unique_values", None) or xp.unique)(a % x._data.shape[d])
    idx = idx[:-1] + (a,)
    if isinstance(value, TensorBase):
        if value._data.ndim:
            raise RuntimeError(
                "index_fill_ only supports a 0-dimensional value tensor, but got tensor with "
                f"{value._data.ndim} dimension(s)."
            )
        v = value if value._data.dtype == x._data.dtype else value.to(x.dtype)
        return _run(INDEX_FILL_T, input, x, (v,), inplace, idx=idx)
    v = _number(x, value)
    return _run(INDEX_FILL, input, x, (v,), inplace, idx=idx)


def index_fill(input, dim: int, index, value):
    """A copy of ``input`` with ``value`` (a number or 0-d tensor) in the slices ``index``
    picks along ``dim``.

    >>> import chainrule as torch
    >>> torch.zeros(2, 2).index_fill(0, torch.tensor([-1]), 5)
    tensor([[0., 0.],
            [5., 5.]])
    """
    return _index_fill(input, dim, index, value, False)


# ------------------------------------------------------------------ masked_scatter
def _masked_scatter(input, mask, source, inplace: bool):
    if mask._data.dtype.kind != "b":
        raise RuntimeError(
            "masked_scatter_ only supports boolean masks, but got mask with dtype "
            f"{mask.dtype.title}"
        )
    if source._data.dtype != input._data.dtype:
        raise RuntimeError(
            "masked_scatter: expected self and source to have same dtypes but got"
            f"{input.dtype.title} and {source.dtype.title}"
        )
    _same_device(input, mask)
    shape, ms = tuple(input._data.shape), tuple(mask._data.shape)
    if inplace and ms != shape:  # the mask is expanded to self (never self to the mask)
        _check_expands(mask, shape)
    full = _state.broadcast_shape(ms, shape)
    x = input if full == shape else expand(input, full)
    m = mask._data
    m = m if m.shape == full else namespace(m).broadcast_to(m, full)
    n = int(namespace(m).sum(m))
    if n > source._data.size:
        raise RuntimeError("Number of elements of source < number of ones in mask")
    # the first n elements of source, in order, go to the True places in order
    v = getitem(reshape(source, (-1,)), (slice(0, n),))
    if not full:  # a 0-d x: a 1-element view for the mask to index
        x, m = reshape(x, (1,)), _backend.reshape(m, (1,))
    return _run(MASKED_SCATTER, input, x, (v,), inplace, as_0d=not full, idx=(m,))


def _check_expands(mask, shape: tuple) -> None:
    """PyTorch's errors of ``mask.expand(shape)``."""
    ms = tuple(mask._data.shape)
    if len(ms) > len(shape):
        raise RuntimeError(
            f"expand(CPUBoolType{{{list(ms)}}}, size={list(shape)}): the number of sizes "
            f"provided ({len(shape)}) must be greater or equal to the number of dimensions in "
            f"the tensor ({len(ms)})"
        )
    for k in range(1, len(ms) + 1):
        if ms[-k] not in (1, shape[-k]):
            raise RuntimeError(
                f"The expanded size of the tensor ({shape[-k]}) must match the existing size "
                f"({ms[-k]}) at non-singleton dimension {len(shape) - k}.  Target sizes: "
                f"{list(shape)}.  Tensor sizes: {list(ms)}"
            )


def masked_scatter(input, mask, source):
    """A copy of ``input`` with the elements of ``source``, in order, written where
    ``mask`` (broadcast with ``input``) is True.

    >>> import chainrule as torch
    >>> torch.zeros(4).masked_scatter(torch.tensor([True, False, True, False]),
    ...                               torch.tensor([1., 2., 3.]))
    tensor([1., 0., 2., 0.])
    """
    return _masked_scatter(input, mask, source, False)


class ScatterMethods:
    """The Tensor methods of this module, out of place and in place: ``x.scatter(...)``,
    ``x.scatter_(...)``, ``x.index_add_(...)``..."""

    __slots__ = ()

    scatter = scatter
    scatter_add = scatter_add
    scatter_reduce = scatter_reduce
    index_add = index_add
    index_copy = index_copy
    index_fill = index_fill
    masked_scatter = masked_scatter

    def scatter_(self, dim: int, index, src=None, value=None, *, reduce=None):
        """``scatter`` written into self.

        >>> import chainrule as torch
        >>> torch.zeros(3).scatter_(0, torch.tensor([1]), 5.)
        tensor([0., 5., 0.])
        """
        return _scatter(self, dim, index, src, value, reduce, True)

    def scatter_reduce_(self, dim: int, index, src, reduce: str, *, include_self: bool = True):
        """``scatter_reduce`` written into self.

        >>> import chainrule as torch
        >>> torch.ones(2).scatter_reduce_(0, torch.tensor([0, 0]), torch.tensor([3., 4.]), "prod")
        tensor([12.,  1.])
        """
        return _scatter_reduce(self, dim, index, src, reduce, include_self, True)

    def scatter_add_(self, dim: int, index, src):
        """``scatter_add`` written into self.

        >>> import chainrule as torch
        >>> torch.ones(2).scatter_add_(0, torch.tensor([1, 1]), torch.tensor([2., 3.]))
        tensor([1., 6.])
        """
        return _scatter_add(self, dim, index, src, True)

    def index_add_(self, dim: int, index, source, *, alpha=1):
        """``index_add`` written into self.

        >>> import chainrule as torch
        >>> torch.zeros(2).index_add_(0, torch.tensor([1]), torch.tensor([2.]), alpha=3)
        tensor([0., 6.])
        """
        return _index_add(self, dim, index, source, alpha, True)

    def index_copy_(self, dim: int, index, source):
        """``index_copy`` written into self.

        >>> import chainrule as torch
        >>> torch.zeros(2).index_copy_(0, torch.tensor([1]), torch.tensor([2.]))
        tensor([0., 2.])
        """
        return _index_copy(self, dim, index, source, True)

    def index_fill_(self, dim: int, index, value):
        """``index_fill`` written into self.

        >>> import chainrule as torch
        >>> torch.zeros(2).index_fill_(0, torch.tensor([0]), -1.)
        tensor([-1.,  0.])
        """
        return _index_fill(self, dim, index, value, True)

    def masked_scatter_(self, mask, source):
        """``masked_scatter`` written into self (the mask broadcast to self's shape).

        >>> import chainrule as torch
        >>> torch.zeros(3).masked_scatter_(torch.tensor([False, True, True]), torch.ones(3))
        tensor([0., 1., 1.])
        """
        return _masked_scatter(self, mask, source, True)
