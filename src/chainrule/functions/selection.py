"""Functions that order and pick elements: ``sort``, ``argsort``, ``msort``, ``topk``,
``kthvalue``, ``unique``, ``index_select``, ``repeat_interleave``, ``tril``/``triu``, and
``multinomial`` (picks categories at random: PyTorch's draws after the same seed)
(``SelectionMethods`` for the Tensor methods). Orders are computed here (a stable
argsort, NaN as the largest value, as PyTorch); the values are taken by the table's
selection rows, so gradients flow to the picked elements.

>>> import chainrule as torch
>>> torch.sort(torch.tensor([3, 1, 2])).indices, torch.topk(torch.tensor([3, 1, 2]), 2).values
(tensor([1, 2, 0]), tensor([3, 2]))
"""

from __future__ import annotations

import operator

from .. import backend as _backend
from .. import dtypes as _dt
from .. import random as _random
from .._convert import type_name
from ..backend import namespace
from ..ops.apply import apply, apply_inplace, complex_refusal
from ..ops.indexing import (
    ARGSORT,
    INDEX_SELECT,
    SORT,
    SORT_STABLE,
    TOPK,
    TRIL,
    TRIU,
    UNIQUE,
    argsort_array,
)
from ..ops.reduction import KTHVALUE
from ..ops.symbolic import DataDependentShape, SymArray
from ..tensor_base import TensorBase
from .args import wrap_dim
from .elementwise import _random_fill
from .reduction import _idx_tensor, _return_type, _with_indices

sort_type, topk_type, kthvalue_type = (_return_type(n) for n in ("sort", "topk", "kthvalue"))


_argsort = argsort_array  # (ops.indexing: the forward of the table's argsort too)


def _as_1d(input):
    """A 0-d tensor's one element as a 1-d tensor (sorting a 0-d tensor sorts that)."""
    return input.reshape(1) if input._data.ndim == 0 else input


def _sorted(input, dim, descending, prim, rtype, k=None):
    x = _as_1d(input)
    d = wrap_dim(dim, x._data.ndim)
    if type(x._data) is SymArray:  # an explicit graph: the indices are a node of it
        take = None if k is None else (0, k)
        indices = apply(ARGSORT, x, dim=d, descending=descending, take=take)
        values = apply(prim, x, idx=indices._data, dim=d)
    else:
        idx = _argsort(x._data, d, descending)
        if k is not None:
            idx = namespace(idx).take(idx, range(k), axis=d)
        values = apply(prim, x, idx=idx, dim=d)
        indices = _idx_tensor(x, idx)
    if input._data.ndim == 0:
        values, indices = values.reshape(()), indices.reshape(())
    return rtype(values, indices)


def sort(input, dim: int = -1, descending: bool = False, stable: bool = False, *, out=None):
    """Sorted values along ``dim`` and their indices (ties keep their order: chainrule's
    sort is always stable).

    >>> import chainrule as torch
    >>> torch.sort(torch.tensor([[3.0, 1.0, 2.0]]), descending=True).values
    tensor([[3., 2., 1.]])
    """
    return _sorted(input, dim, descending, SORT_STABLE if stable else SORT, sort_type)


def argsort(input, dim: int = -1, descending: bool = False, stable: bool = False):
    """The indices that sort ``input`` along ``dim``.

    >>> import chainrule as torch
    >>> torch.argsort(torch.tensor([3, 1, 2]))
    tensor([1, 2, 0])
    """
    if input._data.dtype.kind == "c":
        raise complex_refusal("sort", input.dtype.title)
    x = _as_1d(input)
    d = wrap_dim(dim, x._data.ndim)
    if type(x._data) is SymArray:
        idx = apply(ARGSORT, x, dim=d, descending=descending, take=None)
    else:
        idx = _idx_tensor(x, _argsort(x._data, d, descending))
    return idx.reshape(()) if input._data.ndim == 0 else idx


def msort(input):
    """``input`` sorted along its first dim (``sort(input, dim=0).values``)."""
    return sort(input, dim=0).values


def topk(input, k: int, dim: int = -1, largest: bool = True, sorted: bool = True, *, out=None):
    """The ``k`` largest (or smallest) values along ``dim``, in order, and their indices.

    >>> import chainrule as torch
    >>> torch.topk(torch.tensor([1.0, 5.0, 3.0]), 2)
    torch.return_types.topk(
    values=tensor([5., 3.]),
    indices=tensor([1, 2]))
    """
    x = _as_1d(input)
    d = wrap_dim(dim, x._data.ndim)
    if not 0 <= k <= x._data.shape[d]:
        raise RuntimeError("selected index k out of range")
    return _sorted(input, dim, largest, TOPK, topk_type, k)


def kthvalue(input, k: int, dim: int = -1, keepdim: bool = False, *, out=None):
    """The ``k``-th smallest value along ``dim`` (k counts from 1) and its index.

    >>> import chainrule as torch
    >>> torch.kthvalue(torch.tensor([3.0, 1.0, 2.0]), 2).values
    tensor(2.)
    """
    x = _as_1d(input)
    d = wrap_dim(dim, x._data.ndim)
    if not 1 <= k <= x._data.shape[d]:
        where = wrap_dim(dim, max(input.ndim, 1))
        raise RuntimeError(f"kthvalue(): selected number k out of range for dimension {where}")
    keep = keepdim and input._data.ndim > 0
    if type(x._data) is SymArray:  # an explicit graph: the index is a node of it
        idx_t = apply(ARGSORT, x, dim=d, descending=False, take=(k - 1, k))
        values = apply(KTHVALUE, x, idx=idx_t._data, dim=d, keepdim=keep)
        indices = idx_t._data if keep else idx_t.squeeze(d)._data
    else:
        xp = namespace(x._data)
        idx = xp.take(_argsort(x._data, d, False), [k - 1], axis=d)
        values = apply(KTHVALUE, x, idx=idx, dim=d, keepdim=keep)
        indices = idx if keep else xp.squeeze(idx, axis=d)
    if input._data.ndim == 0:
        values, indices = values.reshape(()), indices.reshape(())
    return _with_indices(kthvalue_type, values, x, indices)


def unique(
    input, sorted: bool = True, return_inverse: bool = False, return_counts: bool = False, dim=None
):
    """The distinct values (sorted), and optionally where each element went
    (``return_inverse``) and how often each value occurs (``return_counts``); with ``dim``,
    the distinct slices along it. Not differentiable (backward raises, as in PyTorch).

    >>> import chainrule as torch
    >>> torch.unique(torch.tensor([3, 1, 3, 2]), return_counts=True)
    (tensor([1, 2, 3]), tensor([1, 1, 2]))
    """
    data = input._data
    if data.dtype.kind == "c":
        raise complex_refusal("unique", input.dtype.title)
    if type(data) is SymArray:  # as many values as are distinct
        raise DataDependentShape("unique()")
    xp = namespace(data)
    axis = None if dim is None else wrap_dim(dim, data.ndim)
    vals, inverse, counts = xp.unique(data, return_inverse=True, return_counts=True, axis=axis)
    if axis is None:
        inverse = inverse.reshape(data.shape)  # the input's shape, as PyTorch's
    values = apply(UNIQUE, input, values=vals) if input._rg else input._new(vals)
    out = [values]
    if return_inverse:
        out.append(_idx_tensor(input, inverse.reshape(-1) if axis is not None else inverse))
    if return_counts:
        out.append(_idx_tensor(input, counts))
    return out[0] if len(out) == 1 else tuple(out)


def index_select(input, dim: int, index):
    """The slices of ``input`` at ``index`` (a 1-d integer tensor) along ``dim``.

    >>> import chainrule as torch
    >>> torch.index_select(torch.tensor([[1, 2, 3]]), 1, torch.tensor([2, 0]))
    tensor([[3, 1]])
    """
    if not isinstance(index, TensorBase):
        raise TypeError(
            f"index_select(): argument 'index' (position 3) must be Tensor, not "
            f"{type(index).__name__}"
        )
    if index._data.ndim > 1:
        raise IndexError("index_select(): Index is supposed to be a vector")
    if index._data.dtype.kind not in "iu":
        raise RuntimeError("index_select(): Expected dtype int32 or int64 for index")
    x = _as_1d(input)
    d = wrap_dim(dim, x._data.ndim)
    n = x._data.shape[d]
    idx = _backend.reshape(index._data, -1)
    # (on Dask, idx through a task that checks it when computed: NumPy's take would wrap)
    idx = _backend.checked(idx, _out_of_data, n, d == 1 and x._data.ndim > 1)
    return apply(INDEX_SELECT, x, idx=(slice(None),) * d + (idx,))


def _out_of_data(idx, start, n: int, dim1: bool):
    """index_select's error for an index outside 0..n-1, else None (backend.checked).
    PyTorch takes no negative index here; its CPU kernel for dim 1 of a tensor with more
    dims has an error of its own (naming the first bad index), the others IndexError."""
    bad = (idx < 0) | (idx >= n)
    if not bad.any():
        return None
    if dim1:
        first = int(idx[bad][0])
        return RuntimeError(f"INDICES element is out of DATA bounds, id={first} axis_dim={n}")
    return IndexError("index out of range in self")


def repeat_interleave(input, repeats=None, dim=None, *, output_size=None):
    """Each element (or slice along ``dim``) repeated ``repeats`` times in place
    (``repeats`` an int or one count per element); with one tensor argument of counts,
    the indices ``[0]*c0 + [1]*c1 + ...``.

    >>> import chainrule as torch
    >>> torch.repeat_interleave(torch.tensor([1, 2]), 2)
    tensor([1, 1, 2, 2])
    >>> torch.repeat_interleave(torch.tensor([2, 1]))
    tensor([0, 0, 1])
    """
    counts_t = input if repeats is None else repeats
    if type(getattr(counts_t, "_data", None)) is SymArray:  # as long as the counts add up to
        raise DataDependentShape("repeat_interleave() with a tensor of counts")
    if repeats is None:  # repeat_interleave(counts): the indices
        counts = input._data
        if counts.ndim > 1:
            raise RuntimeError("repeat_interleave only accept 1D vector as repeat")
        xp = namespace(counts)
        if counts.size and counts.min() < 0:
            raise RuntimeError("repeats can not be negative")
        return _idx_tensor(input, xp.repeat(xp.arange(counts.size), counts.reshape(-1)))
    x = input.reshape(-1) if dim is None else _as_1d(input)
    d = 0 if dim is None else wrap_dim(dim, x._data.ndim)
    n = x._data.shape[d]
    xp = _backend.default  # the counts and the index are made on the host
    if isinstance(repeats, TensorBase):
        r = _backend.to_numpy(repeats._data).reshape(-1)
    else:
        if repeats < 0:
            raise RuntimeError("Repeats must be non-negative")
        r = xp.asarray([repeats])
    if r.size and r.min() < 0:
        raise RuntimeError("repeats can not be negative")
    if r.size == 1:
        r = xp.broadcast_to(r, (n,))
    elif r.size != n:
        raise RuntimeError(
            f"repeats must have the same size as input along dim, but got repeats.size(0) = "
            f"{r.size} and input.size({d}) = {n}"
        )
    idx = _backend.move(xp.repeat(xp.arange(n), r), *_backend.device_key(x._data))
    return apply(INDEX_SELECT, x, idx=(slice(None),) * d + (idx,))


def _triangle(name, prim, input, diagonal):
    if input._data.ndim < 2:
        raise RuntimeError(f"{name}: input tensor must have at least 2 dimensions")
    return prim, {"diagonal": int(diagonal)}


def tril(input, diagonal: int = 0, *, out=None):
    """The lower triangle of the last two dims (on and below diagonal ``diagonal``); the
    rest zeros.

    >>> import chainrule as torch
    >>> torch.tril(torch.ones(2, 2))
    tensor([[1., 0.],
            [1., 1.]])
    """
    prim, params = _triangle("tril", TRIL, input, diagonal)
    return apply(prim, input, **params)


def triu(input, diagonal: int = 0, *, out=None):
    """The upper triangle of the last two dims (on and above diagonal ``diagonal``)."""
    prim, params = _triangle("triu", TRIU, input, diagonal)
    return apply(prim, input, **params)


def _int_or_none(v):
    """``v`` as an int where PyTorch's parser takes it for an ``int`` (not a bool)."""
    if type(v) is bool:
        return None
    if isinstance(v, TensorBase):
        v = v._data
        if v.ndim or v.dtype.kind not in "iu":
            return None
    try:
        return operator.index(v)
    except TypeError:
        return None


_FLOAT32_MAX_CONSECUTIVE_INT = 2**24  # the most categories (PyTorch's index math in float)


def multinomial(input, num_samples: int, replacement: bool = False, *, generator=None, out=None):
    """Indices drawn from the categories of ``input``'s last dim with probabilities
    proportional to its entries (a 1-d tensor: one distribution; 2-d: one per row),
    ``num_samples`` per distribution, int64. Without replacement (the default) a category
    is drawn at most once. PyTorch's draws after the same seed:

    * without replacement, or for one draw: q ~ Exp(1) per entry (``exponential_``), then
      the largest entries of ``input / q`` (argmax for one, else ``topk``);
    * with replacement, two or more draws: per row, a uniform and a binary search of the
      normalized cumulative sum per draw (``random.multinomial_with_replacement``).

    Zero-probability categories are never drawn, except without replacement when more draws
    are asked than there are nonzero ones (then PyTorch fills with zero-probability ones).

    >>> import chainrule as torch
    >>> _ = torch.manual_seed(0)
    >>> torch.multinomial(torch.tensor([0.1, 0.0, 0.6, 0.3]), 2)
    tensor([2, 3])
    >>> torch.multinomial(torch.tensor([[1.0, 3.0], [1.0, 0.0]]), 4, replacement=True)
    tensor([[1, 1, 0, 1],
            [0, 0, 0, 0]])
    """
    return _multinomial(input, num_samples, replacement, generator, out, 2)


def _multinomial(input, num_samples, replacement, generator, out, pos: int):
    """``multinomial``, its arguments checked with PyTorch's errors (``num_samples`` is
    argument ``pos``: 2 of the function, 1 of the method)."""
    name = "multinomial()"
    if not isinstance(input, TensorBase):
        raise TypeError(
            f"{name}: argument 'input' (position 1) must be Tensor, not {type_name(input)}"
        )
    n = _int_or_none(num_samples)
    if n is None:
        raise TypeError(
            f"{name}: argument 'num_samples' (position {pos}) must be int, not "
            f"{type_name(num_samples)}"
        )
    if type(replacement) is not bool:
        raise TypeError(
            f"{name}: argument 'replacement' (position {pos + 1}) must be bool, not "
            f"{type_name(replacement)}"
        )
    if generator is not None and not isinstance(generator, _random.Generator):
        raise TypeError(
            f"{name}: argument 'generator' must be torch.Generator, not {type_name(generator)}"
        )
    a = input._data
    if not 1 <= a.ndim <= 2:
        raise RuntimeError("prob_dist must be 1 or 2 dim")
    if a.dtype.kind != "f":
        raise RuntimeError(
            f"multinomial only supports floating-point dtypes for input, got: {input.dtype.title}"
        )
    if out is not None and out.dtype != _dt.int64:
        raise RuntimeError(f"multinomial expects Long tensor out, got: {out.dtype.title}")
    if n <= 0:
        raise RuntimeError("cannot sample n_sample <= 0 samples")
    k = a.shape[-1]
    if not replacement and n > k:
        raise RuntimeError(
            "cannot sample n_sample > prob_dist.size(-1) samples without replacement"
        )
    if k > _FLOAT32_MAX_CONSECUTIVE_INT:
        raise RuntimeError("number of categories cannot exceed 2^24")
    rows = a.shape[0] if a.ndim == 2 else 1
    probs = _backend.to_numpy(a).reshape(rows, k)
    if rows == 0:
        idx = _random.np.zeros((0, n), dtype=_random.np.int64)
    elif not replacement or n == 1:
        _random.check_multinomial(probs)
        q = _random_fill(input, generator, lambda g, m, d, c: _random.exponential(g, m, d))
        idx = _random.multinomial_top(probs, q.reshape(rows, k), n)
    else:
        g = _random.rng(generator, input.device if input.device.type == "cuda" else None)
        idx = _random.multinomial_with_replacement(g, probs, n)
    if a.ndim == 1:
        idx = idx.reshape(n)
    if input.device.type == "cuda":
        idx = _backend.move(idx, "cuda", input.device.index)
    result = input._new(idx)
    if out is None:
        return result
    if tuple(out.shape) == tuple(result.shape):
        return out.copy_(result)
    out.data = result  # (PyTorch resizes out)
    out._vc[0] += 1
    return out


class SelectionMethods:
    """Tensor methods of this module's functions."""

    __slots__ = ()

    sort = sort
    argsort = argsort
    msort = msort
    topk = topk
    kthvalue = kthvalue
    unique = unique
    index_select = index_select
    repeat_interleave = repeat_interleave
    tril = tril
    triu = triu

    def multinomial(self, num_samples: int, replacement: bool = False, *, generator=None):
        """``torch.multinomial(self, num_samples, replacement)``."""
        return _multinomial(self, num_samples, replacement, generator, None, 1)

    def tril_(self, diagonal: int = 0):
        """The lower triangle in place."""
        prim, params = _triangle("tril", TRIL, self, diagonal)
        return apply_inplace(prim, self, **params)

    def triu_(self, diagonal: int = 0):
        """The upper triangle in place."""
        prim, params = _triangle("triu", TRIU, self, diagonal)
        return apply_inplace(prim, self, **params)
