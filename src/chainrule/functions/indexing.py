"""Indexing with PyTorch's names and errors: ``x[idx]`` (a view for ints and slices, a
copy for integer arrays and masks), ``x[idx] = v`` (in place, recorded as index_put),
``gather`` and ``nonzero``; and the Tensor methods that share them (``IndexingMethods``).
The rules are the table's (``chainrule.ops.indexing``).

>>> import chainrule as torch
>>> X = torch.arange(6).reshape(2, 3)
>>> X[1], X[:, ::2], X[X > 3]
(tensor([3, 4, 5]), tensor([[0, 2],
        [3, 5]]), tensor([4, 5]))
"""

from __future__ import annotations

import warnings

from .. import _state
from .. import backend as _backend
from ..backend import namespace
from ..ops.apply import (
    ERR_WRITE_SYMBOLIC,
    apply,
    apply_inplace,
    check_inplace,
    dask_check_writable,
    dask_overlaps,
    dask_standins,
    dask_written,
    index_put_expanded,
    integer_filled,
    symbolic_unknown_layout,
)
from ..ops.elementwise import FILL_T
from ..ops.indexing import INDEX, INDEX_PUT, SELECT, SLICE, TAKE_ALONG
from ..ops.namespaces import has_advanced
from ..ops.symbolic import SYMBOLIC, DataDependentShape, SymArray
from ..tensor_base import TensorBase, own


def normalize_index(idx, shape=None, xp=None):
    """An index as a tuple of ints/slices/None/Ellipsis/arrays (Tensors unwrapped)."""
    if not isinstance(idx, tuple):
        if shape is not None and len(shape) == 0 and isinstance(idx, slice):
            _check_step(idx)
            raise IndexError("slice() cannot be applied to a 0-dim tensor.")
        if shape is not None and len(shape) == 0 and type(idx) is int:
            raise IndexError(
                "invalid index of a 0-dim tensor. Use `tensor.item()` in Python or "
                "`tensor.item<T>()` in C++ to convert a 0-dim tensor to a number"
            )
        idx = (idx,)
    elif shape is not None:  # PyTorch counts the indexed dims before it reads any index
        n = sum(getattr(i, "ndim", 1) if _is_mask(i) else 1 for i in idx if _indexes_a_dim(i))
        if n > len(shape):
            raise IndexError(f"too many indices for tensor of dimension {len(shape)}")
    if xp is None or xp is SYMBOLIC:  # (a list index of a symbolic x: a constant array)
        xp = _backend.default
    out = []
    for i in idx:
        d = getattr(i, "_data", None)
        if d is not None:
            if d.dtype.kind == "f":
                raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
            # a 0-d integer tensor indexes like the int it holds (a view), as in PyTorch
            if type(d) is SymArray:  # an index known at bind time: a node of the graph
                out.append(d)
                continue
            out.append(int(d) if d.ndim == 0 and d.dtype.kind == "i" else d)
        elif isinstance(i, list):  # a list index becomes an array, like NumPy and PyTorch
            a = xp.asarray(_unwrap_list(i))
            if a.size == 0:
                a = a.astype("int64")
            if a.dtype.kind == "f":
                raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
            out.append(a)
        elif isinstance(i, slice) and shape is None:
            _check_step(i)
            out.append(i)
        elif isinstance(i, float):
            raise IndexError(
                "only integers, slices (`:`), ellipsis (`...`), None and long or byte Variables "
                "are valid indices (got float)"
            )
        else:
            out.append(i)
    if shape is not None:
        _check_bounds(out, shape)
    return tuple(out)


def _check_step(s: slice) -> None:
    if s.step is not None and s.step <= 0:
        raise ValueError(
            "slice step cannot be zero" if s.step == 0 else "step must be greater than zero"
        )


def _is_mask(i) -> bool:
    d = getattr(i, "_data", i)
    return getattr(getattr(d, "dtype", None), "kind", "") == "b"


def _indexes_a_dim(i) -> bool:
    return i is not None and i is not Ellipsis and not isinstance(i, bool)


def _unwrap_list(v):
    if isinstance(v, (list, tuple)):
        return [_unwrap_list(e) for e in v]
    return v.item() if hasattr(v, "_data") else v


def _check_bounds(idx, shape):
    dim = 0
    for i in idx:
        if i is None:
            continue
        if isinstance(i, slice):  # the steps are read in order with the bounds
            _check_step(i)
        if i is Ellipsis:
            n_real = sum(1 for j in idx if j is not None and j is not Ellipsis)
            dim += len(shape) - n_real
            continue
        if isinstance(i, int) and not isinstance(i, bool):
            if dim >= len(shape):
                raise IndexError(f"too many indices for tensor of dimension {len(shape)}")
            if not -shape[dim] <= i < shape[dim]:
                raise IndexError(
                    f"index {i} is out of bounds for dimension {dim} with size {shape[dim]}"
                )
        kind = getattr(getattr(i, "dtype", None), "kind", "")
        if kind == "b" and i.ndim:
            for k, m in enumerate(i.shape):
                if dim + k < len(shape) and m != shape[dim + k] and None not in (m, shape[dim + k]):
                    raise IndexError(
                        f"The shape of the mask {list(i.shape)} at index {k} does not match the "
                        f"shape of the indexed tensor {list(shape)} at index {dim + k}"
                    )
            dim += i.ndim
        else:
            dim += 1


def getitem(x, idx):
    """``x[idx]``: a view for basic indices, a copy for integer-array and mask indices.

    >>> import chainrule as torch
    >>> X = torch.arange(12).reshape(3, 4)
    >>> X[-1], X[1:3, ::2]
    (tensor([ 8,  9, 10, 11]), tensor([[ 4,  6],
            [ 8, 10]]))
    """
    if type(idx) is tuple and 0 < len(idx) <= x._data.ndim:
        # the common gather x[rows, cols] with integer tensors: nothing to normalize, and
        # NumPy checks the bounds
        arrs = []
        for i in idx:
            a = getattr(i, "_data", None)
            if a is None or a.dtype.kind not in "iu" or a.ndim == 0:
                break
            arrs.append(a)
        else:
            return _index(x, tuple(arrs), idx)
    orig = idx
    idx = normalize_index(idx, x._data.shape, namespace(x._data))
    if not has_advanced(idx):
        prim = SELECT if all(isinstance(i, int) for i in idx) else SLICE
        return apply(prim, x, idx=idx)
    if any(type(i) is int for i in idx):
        # PyTorch applies integer indices first (as selects), then the array indices; NumPy
        # would treat an int next to arrays as an array index and move dims differently.
        first = tuple(slice(None) if hasattr(i, "shape") else i for i in idx)
        rest = tuple(i for i in idx if type(i) is not int)
        rest = tuple(slice(None) if i is None or isinstance(i, slice) else i for i in rest)
        x = apply(SLICE, x, idx=first)
        idx = rest
    r = _index(x, idx, orig)
    if type(r._data) is SymArray and any(
        type(i) is SymArray and i.ndim == 0 and i.dtype.kind in "iu" for i in idx
    ):  # x[i] of an integer known at bind time: a view in eager chainrule, a copy here
        what = "x[i] with an index known at bind time (eager chainrule's x[i] is a view)"
        symbolic_unknown_layout(x, what)
        symbolic_unknown_layout(r, what)
    return r


def _index(x, idx, orig):
    """x[idx] for an index that holds arrays (NumPy's errors in PyTorch's words). The
    node keeps the index tensors' arrays, so an in-place change to an index tensor
    before backward is refused, as in PyTorch (it would move the gradient)."""
    try:
        r = apply(INDEX, x, idx=idx)
    except (RuntimeError, IndexError) as e:
        if "modified inplace" in str(e):  # a stale view's error stays PyTorch's
            raise
        raise IndexError(str(e).replace("axis", "dimension")) from None
    node = r._node
    if node is not None:
        for t in orig if type(orig) is tuple else (orig,):
            if getattr(t, "_vc", None) is not None:  # a Tensor used as an index
                if node.checks is None:
                    node.checks = []
                node.checks.append((t._vc, t._vc[0], t, "~index"))
    return r


_WARN_INDEX_PUT_EXPANDED = (
    "Use of index_put_ on expanded tensors is deprecated. Please clone() the tensor before "
    "performing this operation. This also applies to advanced indexing e.g. "
    "tensor[indices] = tensor"
)


def _is_masked_fill(idx, value) -> bool:
    """x[idx] = value is PyTorch's masked_fill_ (inside index_put_): one boolean mask of
    one or more dims is the only tensor in the index, and value has one element."""
    arrays = [i for i in idx if hasattr(i, "shape")]
    return (
        value._data.size == 1
        and len(arrays) == 1
        and arrays[0].dtype.kind == "b"
        and arrays[0].ndim > 0
    )


def _refuse_other_dtype(x, idx, value) -> None:
    """index_put_ takes a value of x's dtype only; the shapes are checked first (a value
    that does not fit gets the write's shape error), the bounds after."""
    try:
        target = _backend.getitem(namespace(x._data), x._data, idx).shape
        fits = namespace(value._data).broadcast_shapes(value._data.shape, target) == target
    except IndexError:
        fits = True
    except ValueError:
        fits = False
    if fits:
        raise RuntimeError(
            "Index put requires the source and destination dtypes match, got "
            f"{x.dtype.title} for the destination and {value.dtype.title} for the source."
        )


def setitem(x, idx, value) -> None:
    """``x[idx] = value`` in place (value broadcast and cast to x's dtype).

    With grad recording this is PyTorch's index_put_: x's history is rebased so that
    gradients stay right (the written positions get no gradient from before).
    """
    idx = normalize_index(idx, x._data.shape, namespace(x._data))
    is_t = isinstance(value, TensorBase)
    if is_t and has_advanced(idx):
        if _is_masked_fill(idx, value):  # it casts, and takes any shape of one element
            if value._data.ndim:
                value = value.reshape(())
        elif value._data.dtype != x._data.dtype:
            _refuse_other_dtype(x, idx, value)
    if type(x._data) is SymArray:  # an explicit graph: the write is a new node (apply_inplace)
        _symbolic_setitem(x, idx, value)
        return
    if is_t and type(value._data) is SymArray:
        raise TypeError(ERR_WRITE_SYMBOLIC)
    record = _state.grad.enabled and (x._rg or (is_t and value._rg))
    dual = _state.dual.level is not None and (
        _state.tangent_of(x) is not None or (is_t and _state.tangent_of(value) is not None)
    )
    if is_t:
        xd, vd = x._data, value._data
        if type(xd) is not _backend.ndarray and value._vc is x._vc and _backend.is_dask(xd):
            # one storage on 'dask': the CPU's tests on NumPy stand-ins (ops.dask_views)
            xd, vd = dask_standins(x, value) or (xd, vd)
    if is_t and _backend.may_share_memory(xd, vd):
        # PyTorch: x[basic] = v copies into the view x[basic] (refused where they partly
        # overlap); index_put_ refuses any overlap of x and v
        if has_advanced(idx):
            # (x[mask] = v of one element is PyTorch's masked_fill_, which does not check)
            mask_fill = len(idx) == 1 and getattr(getattr(idx[0], "dtype", None), "kind", "") == "b"
            if not (mask_fill and vd.size == 1) and _backend.overlaps(xd, vd):
                raise RuntimeError(_state.ERR_PARTIAL_OVERLAP)
        else:
            region = _backend.getitem(namespace(xd), xd, idx)
            try:  # v is broadcast to the region first (x[None] = x is the same elements)
                v = namespace(region).broadcast_to(vd, region.shape)
            except ValueError:
                v = None  # a shape error, raised by the write below
            if v is not None and _backend.partial_overlap(region, v):
                raise RuntimeError(_state.ERR_PARTIAL_OVERLAP)
    if _backend.has_internal_overlap(own(x)):
        # an expanded x: writable where the region hits each element once (PyTorch's
        # x[i] = v is a copy_ into the view x[i])
        if has_advanced(idx):
            warnings.warn(_WARN_INDEX_PUT_EXPANDED, UserWarning, stacklevel=3)
            if (record or dual) and x._base is not None:
                if is_t and value._data.dtype != x._data.dtype:
                    value = value.to(x.dtype)
                index_put_expanded(INDEX_PUT, x, idx, value)  # its backward refuses, as PyTorch's
                return
        elif _backend.has_internal_overlap(_backend.getitem(namespace(x._data), x._data, idx)):
            raise RuntimeError(_state.ERR_OVERLAP)
        elif record or dual:
            if not is_t:
                value = x._new(namespace(x._data).asarray(value, dtype=x._data.dtype))
            getitem(x, idx).copy_(value)
            return
    elif type(x._data) is not _backend.ndarray and dask_overlaps(x):
        # an expanded view on 'dask' (no strides to test): written through the view of
        # the region, which holds each element once or is refused (ops.dask_views)
        if has_advanced(idx):
            raise RuntimeError(_state.ERR_OVERLAP)
        if not is_t:
            value = x._new(namespace(x._data).asarray(value, dtype=x._data.dtype))
        getitem(x, idx).copy_(value)
        return
    if not record and not dual:
        if is_t and value._data.dtype != x._data.dtype:
            value = value.to(x.dtype)  # PyTorch's casts (NaN into an integer tensor too)
        v = value._data if is_t else value
        try:
            dst = own(x)
            if type(dst) is _backend.ndarray:
                dst[idx] = v
            else:  # (a backend whose indexing is not NumPy's: the seam spells it)
                dask_check_writable(x)
                _backend.setitem(namespace(dst), dst, idx, v)
                if _backend.is_dask(dst):  # (into its base and other views, as on the CPU)
                    dask_written(x)
        except ValueError as e:
            if "read-only" in str(e):
                raise RuntimeError(_state.ERR_OVERLAP) from None
            target = list(_backend.getitem(namespace(x._data), x._data, idx).shape)
            vs = list(getattr(v, "shape", ()))
            if has_advanced(idx):
                raise RuntimeError(
                    f"shape mismatch: value tensor of shape {vs} cannot be broadcast to "
                    f"indexing result of shape {target}"
                ) from None
            bad = next(
                (k, t, w)
                for k, (t, w) in enumerate(zip(target[::-1], vs[::-1], strict=False))
                if t != w and w != 1
            )
            k = len(target) - 1 - bad[0]
            raise RuntimeError(
                f"The expanded size of the tensor ({bad[1]}) must match the existing size "
                f"({bad[2]}) at non-singleton dimension {k}.  Target sizes: {target}.  Tensor "
                f"sizes: {vs}"
            ) from None
        x._vc[0] += 1
        return
    if record:
        check_inplace(x)
    if all(i is Ellipsis for i in idx):
        _write_whole(x, value)
        return
    if not has_advanced(idx):
        _write_region(x, idx, value)
        return
    filled = None
    if is_t and value._data.dtype != x._data.dtype:
        if record and value._rg and x._data.dtype.kind not in "fc" and _fills(x, idx, value):
            filled = value  # PyTorch's fill_ (masked_fill_) records this write, cast or not
        value = value.to(x.dtype)
    apply_inplace(INDEX_PUT, x, value, idx=idx)
    if filled is not None:
        integer_filled(FILL_T, x, filled)


def _symbolic_setitem(x, idx, value) -> None:
    """``x[idx] = value`` for symbolic x: index_put's node, which x names from then on."""
    if not isinstance(value, TensorBase):
        if not isinstance(value, (int, float, bool)):
            value = x._new(_backend.default.asarray(value, dtype=x._data.dtype))
    elif value._data.dtype != x._data.dtype:
        value = value.to(x.dtype)
    apply_inplace(INDEX_PUT, x, value, idx=idx)


def _fills(x, idx, value) -> bool:
    """x[idx] = value goes through PyTorch's fill_ (a 0-d value into a region that is
    not 0-d) or masked_fill_ (one mask, one element), not copy_ or index_put_."""
    if has_advanced(idx):
        return _is_masked_fill(idx, value)
    return value._data.ndim == 0 and _backend.getitem(namespace(x._data), x._data, idx).ndim > 0


def _write_whole(x, value) -> None:
    """``x[...] = value`` with history: PyTorch writes x itself, not a region of it (its
    history is CopyBackwards or FillBackward, which free nothing of their own)."""
    if not isinstance(value, TensorBase):
        value = x._new(namespace(x._data).asarray(value, dtype=x._data.dtype))
        if x._data.ndim:  # a number fills (FillBackward3), except into a 0-d x (a copy)
            apply_inplace(FILL_T, x, value)
            return
    if not value._data.ndim and x._data.ndim:  # a 0-d value fills (FillBackward3)
        x.fill_(value)
        return
    lead = value._data.ndim - x._data.ndim  # leading 1s of value go, as in PyTorch's setitem
    if lead > 0 and all(n == 1 for n in value._data.shape[:lead]):
        value = value.reshape(value._data.shape[lead:])
    x.copy_(value)


def _write_region(x, idx, value) -> None:
    """``x[basic] = value`` with history: PyTorch writes the view ``x[basic]`` (fill_ for a
    number or a 0-d value into a region with dims, else copy_), so x's history is
    CopySlices, as a write through any view."""
    region = getitem(x, idx)
    if isinstance(value, TensorBase) and _backend.may_share_memory(own(x), value._data):
        value = value.clone()  # (only a full overlap gets here: x[None] = x writes x itself)
    if not isinstance(value, TensorBase) or (not value._data.ndim and region._data.ndim):
        region.fill_(value)
        return
    lead = value._data.ndim - region._data.ndim  # leading 1s of value go, as in PyTorch
    if lead > 0 and all(n == 1 for n in value._data.shape[:lead]):
        value = value.reshape(value._data.shape[lead:])
    region.copy_(value)


def gather(input, dim: int, index):
    """Values of ``input`` at ``index`` along ``dim`` (PyTorch's gather).

    >>> import chainrule as torch
    >>> torch.gather(torch.tensor([[1, 2], [3, 4]]), 1, torch.tensor([[0], [1]]))
    tensor([[1],
            [4]])
    """
    d = dim % max(input._data.ndim, 1)
    return apply(TAKE_ALONG, input, idx=index._data, dim=d)


def nonzero(input, *, as_tuple=False):
    """Indices of non-zero elements: an (n, ndim) int64 tensor, or a tuple per dim.

    >>> import chainrule as torch
    >>> torch.nonzero(torch.tensor([0, 3, 0, 4]))
    tensor([[1],
            [3]])
    """
    data = input._data
    if type(data) is SymArray:  # as many rows as non-zero values
        raise DataDependentShape("nonzero()")
    xp = namespace(data)
    idx = xp.nonzero(xp.atleast_1d(data))
    if as_tuple:
        return tuple(input._new(i.astype("int64")) for i in idx)
    return input._new(xp.stack(idx, axis=1).astype("int64") if idx else xp.zeros((0, 0), "int64"))


class IndexingMethods:
    """The indexing part of Tensor's API: ``x[idx]``, ``x[idx] = v``, ``x.gather(...)``."""

    __slots__ = ()

    __getitem__ = getitem
    gather = gather

    def __setitem__(self, idx, value) -> None:
        setitem(self, idx, value)
