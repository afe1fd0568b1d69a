"""THE TABLE, part 4: indexing. ``x[idx]`` and ``x[idx] = v`` (index_put).

Basic indices (ints, slices, Ellipsis, None) give views, as in PyTorch; integer-array
and boolean-mask indices give copies. The adjoint of reading ``x[idx]`` is adding ``g``
into zeros at ``idx`` (repeated indices add up); the adjoint of writing is reading.
Forward mode: the tangent of ``x[idx]`` is ``t[idx]``; of a write, ``t_x`` with ``t_v``
written at ``idx``.

The PyTorch-named functions (index normalization, ``x[idx] = v``, gather) are in
``chainrule.functions.indexing``.
"""

from __future__ import annotations

from .. import backend as _backend
from ..backend import namespace
from .namespaces import array_ns, has_advanced
from .primitive import LINEAR, alias, complex_as_is, defop


# Batch axes (see primitive.defop): a gradient or tangent may carry leading axes beyond
# the indexed tensor's own. Basic indices take them with leading ``:``s. Array indices
# cannot: NumPy moves the indexed axes to the front when array indices are not next to
# each other, past the batch axes. So there the batch axes go to the back, where no index
# reaches them, for the indexing, and come to the front again after.
def _expand_ellipsis(idx, ndim):
    """``idx`` with its Ellipsis spelled out as ``:``s (for ``ndim`` indexed dims), so that
    trailing axes beyond those stay untouched."""
    if not any(i is Ellipsis for i in idx):
        return idx
    used = 0
    for i in idx:
        if i is None or i is Ellipsis or isinstance(i, bool):
            continue
        kind = getattr(getattr(i, "dtype", None), "kind", "")
        used += i.ndim if kind == "b" else 1
    k = next(j for j, i in enumerate(idx) if i is Ellipsis)
    return idx[:k] + (slice(None),) * (ndim - used) + idx[k + 1 :]


def _to_back(ns, a, nb):
    n = len(a.shape)
    return ns.permute(a, tuple(range(nb, n)) + tuple(range(nb)))


def _to_front(ns, a, nb):
    n = len(a.shape)
    return ns.permute(a, tuple(range(n - nb, n)) + tuple(range(n - nb)))


def batched_getitem(ns, a, idx, ndim, batch):
    """``a[idx]`` per batch element: ``a`` is batch + (a shape of ``ndim`` dims)."""
    nb = len(batch)
    if not has_advanced(idx):
        return ns.getitem(a, (slice(None),) * nb + idx)
    r = ns.getitem(_to_back(ns, a, nb), _expand_ellipsis(idx, ndim))
    return _to_front(ns, r, nb)


def batched_index_grad(ns, g, idx, shape, batch):
    """``index_grad`` per batch element: zeros of batch + ``shape``, ``g`` added at ``idx``."""
    nb = len(batch)
    if not has_advanced(idx):
        return ns.index_grad(g, (slice(None),) * nb + idx, batch + tuple(shape))
    z = ns.index_grad(_to_back(ns, g, nb), _expand_ellipsis(idx, len(shape)), shape + batch)
    return _to_front(ns, z, nb)


def batched_index_put(ns, a, v, idx, ndim, batch):
    """``index_put`` per batch element; ``v`` a number or batch + the indexed shape."""
    nb = len(batch)
    if not has_advanced(idx):
        return ns.index_put(a, v, (slice(None),) * nb + idx)
    if not isinstance(v, (int, float)):
        v = _to_back(ns, v, nb)
    r = ns.index_put(_to_back(ns, a, nb), v, _expand_ellipsis(idx, ndim))
    return _to_front(ns, r, nb)


def _get_vjp(ns, g, idx, x_shape, batch):
    if batch:
        return batched_index_grad(ns, g, idx, tuple(x_shape), batch)
    return ns.index_grad(g, idx, x_shape)


def _get_jvp(ns, t, idx, x_shape, batch):
    return batched_getitem(ns, t, idx, len(x_shape), batch) if batch else ns.getitem(t, idx)


_getitem_fwd = lambda xp, x, *, idx: _backend.c_order(
    x[idx] if xp is _backend.numpy else _backend.getitem(xp, x, idx)
)


def _basic_getitem_fwd(xp, x, *, idx):
    # ints and slices give a view, also when every axis is taken by an int: x[1] of a 1-d
    # tensor is a 0-d view (NumPy's x[1] would be a copy; x[1, ...] is the view)
    if any(i is Ellipsis for i in idx):
        return x[idx]
    return x[idx + (Ellipsis,)]


def _get_accumulate(buf, g, idx):
    # the vjp, index_grad(g), added into an array that holds the others' sum
    if type(buf) is _backend.ndarray:
        buf[idx] += g
    else:
        xp = _backend.namespace(buf)
        _backend.setitem(xp, buf, idx, _backend.getitem(xp, buf, idx) + g)


SELECT = defop(
    "select", _basic_getitem_fwd, _get_vjp, view=True, jvp=_get_jvp, accumulate=_get_accumulate
)
SLICE = alias(SELECT, "slice", grad_fn="SliceBackward0")  # x[1:3]: PyTorch's other name
# advanced (array) indexing always copies in NumPy (and CuPy, which follows it): not a view
INDEX = defop("index", _getitem_fwd, _get_vjp, jvp=_get_jvp, tensor_params=("idx",))
# F.pad's reflect, replicate and circular modes: one index over the padded dims, under
# PyTorch's names (per mode and number of padded dims; circular is PyTorch's copies)
REFLECT_PAD1D = alias(INDEX, "reflect_pad1d", grad_fn="ReflectionPad1DBackward0")
REFLECT_PAD2D = alias(INDEX, "reflect_pad2d", grad_fn="ReflectionPad2DBackward0")
REFLECT_PAD3D = alias(INDEX, "reflect_pad3d", grad_fn="ReflectionPad3DBackward0")
REPLICATE_PAD1D = alias(INDEX, "replicate_pad1d", grad_fn="ReplicationPad1DBackward0")
REPLICATE_PAD2D = alias(INDEX, "replicate_pad2d", grad_fn="ReplicationPad2DBackward0")
REPLICATE_PAD3D = alias(INDEX, "replicate_pad3d", grad_fn="ReplicationPad3DBackward0")
CIRCULAR_PAD1D = alias(INDEX, "circular_pad1d", grad_fn="IndexBackward0")
CIRCULAR_PAD2D = alias(INDEX, "circular_pad2d", grad_fn="IndexBackward0")
CIRCULAR_PAD3D = alias(INDEX, "circular_pad3d", grad_fn="IndexBackward0")
PAD_INDEX = {
    ("reflect", 1): REFLECT_PAD1D,
    ("reflect", 2): REFLECT_PAD2D,
    ("reflect", 3): REFLECT_PAD3D,
    ("replicate", 1): REPLICATE_PAD1D,
    ("replicate", 2): REPLICATE_PAD2D,
    ("replicate", 3): REPLICATE_PAD3D,
    ("circular", 1): CIRCULAR_PAD1D,
    ("circular", 2): CIRCULAR_PAD2D,
    ("circular", 3): CIRCULAR_PAD3D,
}
# index_grad(v) = zeros with v added at idx: the adjoint of x[idx] (runs inside backward,
# on a gradient v). It is linear in v: its vjp reads g[idx], its jvp is index_grad of t.
INDEX_GRAD = defop(
    "index_grad",
    lambda xp, v, *, idx, shape: _index_grad(xp, v, idx, shape),
    lambda ns, g, idx, shape, batch: (
        batched_getitem(ns, g, idx, len(shape), batch) if batch else ns.getitem(g, idx)
    ),
    grad_fn="IndexBackwardBackward0",
    tensor_params=("idx",),
    jvp=lambda ns, t, idx, shape, batch: (
        batched_index_grad(ns, t, idx, shape, batch) if batch else ns.index_grad(t, idx, shape)
    ),
)


def _index_grad(xp, v, idx, shape):
    return array_ns(xp).index_grad(v, idx, shape)


def _diagonal_index(x_shape, offset, dim1, dim2):
    """(idx, pos): ``x[idx]`` picks the diagonal with integer arrays on dim1 and dim2;
    NumPy puts its axis at ``pos`` (in their place when adjacent, else first)."""
    n = max(0, min(x_shape[dim1] - max(-offset, 0), x_shape[dim2] - max(offset, 0)))
    xp = _backend.default
    idx = [slice(None)] * len(x_shape)
    idx[dim1] = xp.arange(n) + max(-offset, 0)
    idx[dim2] = xp.arange(n) + max(offset, 0)
    return tuple(idx), (min(dim1, dim2) if abs(dim1 - dim2) == 1 else 0)


def _diagonal_vjp(ns, g, x_shape, offset, dim1, dim2, batch):
    # g put on the diagonal of zeros: the diagonal's axis (last) moved to where x[idx] has it
    idx, pos = _diagonal_index(x_shape, offset, dim1, dim2)
    g = ns.moveaxis(g, -1, pos + len(batch))
    if batch:
        return batched_index_grad(ns, g, idx, tuple(x_shape), batch)
    return ns.index_grad(g, idx, x_shape)


DIAGONAL_VIEW = defop(  # x.diagonal(offset, dim1, dim2): a view, the diagonal's axis last
    "diagonal",
    lambda xp, x, *, offset, dim1, dim2: _backend.diagonal_view(xp, x, offset, dim1, dim2),
    _diagonal_vjp,
    view=True,
    jvp=lambda ns, t, offset, dim1, dim2, batch: ns.diagonal(
        t, offset, dim1 + len(batch), dim2 + len(batch)
    ),
)


def _index_put_fwd(xp, x, v, *, idx):
    out = xp.array(x, copy=True)  # an array even when x is a NumPy scalar
    _backend.setitem(xp, out, idx, v)
    return out


def _put_vjp_x(ns, g, idx, x_shape, batch):  # overwritten positions: no gradient, no tangent
    if batch:
        return batched_index_put(ns, g, 0.0, idx, len(x_shape), batch)
    return ns.index_put(g, 0.0, idx)


def _put_vjp_v(ns, g, idx, x_shape, v_shape, batch):
    # g at the written places, summed back over the axes v was broadcast along (also where
    # x[idx] has more axes than x: ``z[None] = v`` on a 0-d z)
    gv = batched_getitem(ns, g, idx, len(x_shape), batch) if batch else ns.getitem(g, idx)
    return ns.sum_to(gv, v_shape, batch)


def _put_jvp_x(ns, t, idx, x_shape, batch):
    return _put_vjp_x(ns, t, idx, x_shape, batch)


def _put_jvp_v(ns, t, out, v_shape, idx, batch):
    # v's tangent (lined up with out by the engine) broadcast to x[idx], written into zeros
    target = tuple(_backend.getitem(_backend.namespace(out._data), out._data, idx).shape)
    core = tuple(v_shape)[max(0, len(v_shape) - len(target)) :]  # NumPy drops leading 1s
    t = ns.reshape(t, batch + (1,) * (len(target) - len(core)) + core)
    t = ns.broadcast_to(t, batch + target)
    zeros = ns.broadcast_to(ns.zeros_like(out), batch + tuple(out.shape))
    return batched_index_put(ns, zeros, t, idx, out.ndim, batch)


INDEX_PUT = defop(
    "index_put",
    _index_put_fwd,
    (_put_vjp_x, _put_vjp_v),
    grad_fn="IndexPutBackward0",
    broadcast=True,
    tensor_params=("idx",),
    jvp=(_put_jvp_x, _put_jvp_v),
)


def _along(idx, dim, ndim, batch):
    """(idx, dim) for a gradient/tangent with leading batch axes: idx repeated over them."""
    if not batch:
        return idx, dim
    nb = len(batch)
    return namespace(idx).broadcast_to(idx, batch + idx.shape), dim % max(ndim, 1) + nb


def _take_along(ns, g, idx, dim, shape, batch):
    i, d = _along(idx, dim, len(shape), batch)
    return ns.take_along(g, i, d)


def _put_along_rule(ns, g, idx, dim, shape, batch):
    i, d = _along(idx, dim, len(shape), batch)
    return ns.put_along(g, i, d, batch + tuple(shape))


TAKE_ALONG = defop(
    "take_along",
    lambda xp, x, *, idx, dim: xp.take_along_axis(x, idx, axis=dim),
    lambda ns, g, x_shape, idx, dim, batch: _put_along_rule(ns, g, idx, dim, x_shape, batch),
    grad_fn="GatherBackward0",
    tensor_params=("idx",),
    jvp=lambda ns, t, x_shape, idx, dim, batch: _take_along(ns, t, idx, dim, x_shape, batch),
)
# put_along(v) = zeros with v added at idx along dim: the adjoint of take_along (inside
# backward). Linear in v: its vjp is take_along, its jvp put_along of the tangent.
PUT_ALONG = defop(
    "put_along",
    lambda xp, v, *, idx, dim, shape: _put_along(xp, v, idx, dim, shape),
    lambda ns, g, idx, dim, shape, batch: _take_along(ns, g, idx, dim, shape, batch),
    grad_fn="ScatterAddBackward0",
    tensor_params=("idx",),
    jvp=lambda ns, t, idx, dim, shape, batch: _put_along_rule(ns, t, idx, dim, shape, batch),
)


def _put_along(xp, v, idx, dim, shape):
    return array_ns(xp).put_along(v, idx, dim, shape)


# ------------------------------------------------- selections under PyTorch's own names
# sort and topk pick elements along a dim by indices their function computed (argsort):
# take_along's rules under PyTorch's names; index_select is x[..., index] along one dim.
SORT = alias(TAKE_ALONG, "sort", grad_fn="SortBackward0")
SORT_STABLE = alias(TAKE_ALONG, "sort_stable", grad_fn="SortBackward1")  # sort(stable=)
TOPK = alias(TAKE_ALONG, "topk", grad_fn="TopkBackward0")
INDEX_SELECT = alias(INDEX, "index_select", grad_fn="IndexSelectBackward0")


def argsort_array(data, d: int, descending: bool):
    """A stable argsort along d (NaN sorts as the largest, as in PyTorch)."""
    xp = namespace(data)
    if not descending:
        return xp.argsort(data, axis=d, kind="stable")
    # stable and descending: sort the reversed array ascending, then reverse back
    n = data.shape[d]
    return n - 1 - xp.flip(xp.argsort(xp.flip(data, axis=d), axis=d, kind="stable"), axis=d)


def _argsort_fwd(xp, x, *, dim, descending, take):
    idx = argsort_array(x, dim, descending)
    if take is not None:  # the first k (topk), the k-th alone (kthvalue): positions a..b-1
        idx = xp.take(idx, range(*take), axis=dim)
    return _backend.astype(idx, "int64")


def _arg_fwd(xp, name, x, dim, keepdim):
    if dim is None:  # of the flattened x
        r = xp.asarray(getattr(xp, name)(x)).reshape((1,) * x.ndim if keepdim else ())
    else:
        r = xp.asarray(getattr(xp, name)(x, axis=dim, keepdims=keepdim))
    return _backend.astype(r, "int64")


# Indices found from values: integers, with no derivative. The eager functions (sort,
# topk, kthvalue, max(dim), argmax) compute them on the data before their primitive; an
# explicit graph (chainrule.sym) has no data then, so it holds them as these nodes.
ARGSORT = defop("argsort", _argsort_fwd)
ARGMAX = defop("argmax", lambda xp, x, *, dim, keepdim: _arg_fwd(xp, "argmax", x, dim, keepdim))
ARGMIN = defop("argmin", lambda xp, x, *, dim, keepdim: _arg_fwd(xp, "argmin", x, dim, keepdim))


def check_one_hot(indices, num_classes: int):
    """one_hot's check of its class indices: each in [0, num_classes). Returns indices; on
    Dask, indices through a task that checks them when computed (backend.checked)."""
    return _backend.checked(indices, _not_one_hot, num_classes)


def _not_one_hot(indices, start, num_classes: int):
    xp = namespace(indices)
    if not indices.size:
        return None
    if int(xp.min(indices)) < 0:
        return RuntimeError("Class values must be non-negative.")
    if int(xp.max(indices)) >= num_classes:
        return RuntimeError("Class values must be smaller than num_classes.")
    return None


def _checked_one_hot(xp, indices, *, num_classes):
    return check_one_hot(indices, num_classes)


# The same check in an explicit graph (chainrule.sym), whose indices have no values before
# it is bound: a node that passes them through and checks them when the graph is evaluated
# (made by ``symbolic.shaped_node``: no stand-in values)
ONE_HOT_INDICES = defop("one_hot_indices", _checked_one_hot, register=False)

# tril / triu keep the lower / upper triangle of the last two dims (diagonal k): linear,
# so the gradient keeps the same triangle
TRIL = defop(
    "tril",
    lambda xp, x, *, diagonal: xp.tril(x, k=diagonal),
    lambda ns, g, diagonal: ns.tril(g, diagonal),
    jvp=LINEAR,
)
TRIU = defop(
    "triu",
    lambda xp, x, *, diagonal: xp.triu(x, k=diagonal),
    lambda ns, g, diagonal: ns.triu(g, diagonal),
    jvp=LINEAR,
)


def _unique_vjp(g):
    # PyTorch has no derivative for unique: its output has a node whose backward raises
    raise NotImplementedError("the derivative for '_unique2' is not implemented.")


def _unique_jvp(t):
    raise NotImplementedError(
        "Trying to use forward AD with _unique2 that does not support it because it has "
        "not been implemented yet."
    )


UNIQUE = defop(  # the values were computed by the function; the row gives them the node
    "unique",
    lambda xp, x, *, values: values,
    _unique_vjp,
    grad_fn="Unique2Backward0",
    jvp=_unique_jvp,
    kink="no derivative: backward raises, as in PyTorch",
)


# embedding(weight, indices) = weight[indices]: rows of a table. A row of its own for
# PyTorch's rules beside its name (EmbeddingBackward0): the row ``padding_idx`` gets no
# gradient, and ``scale_grad_by_freq`` divides each row's gradient by how often it was
# picked. Forward mode is the plain gather (PyTorch's too).
def _embedding_vjp(ns, g, weight_shape, indices, padding_idx, scale_grad_by_freq, batch):
    xp = namespace(indices)
    if padding_idx is not None or scale_grad_by_freq:
        scale = xp.ones(indices.shape, getattr(g, "_data", g).dtype)
        if padding_idx is not None:
            scale = _backend.astype(xp.where(indices == padding_idx, 0, scale), scale.dtype)
        if scale_grad_by_freq:
            counts = xp.bincount(_backend.reshape(indices, (-1,)), minlength=weight_shape[0])
            counts = _backend.astype(_backend.getitem(xp, counts, indices), xp.float64)
            scale = _backend.astype(scale / counts, scale.dtype)
        g = g * ns.const(scale[..., None], g)
    idx = (slice(None),) * len(batch) + (indices,)
    # (unbatched: weight_shape itself, which for a Dask weight carries its chunks)
    shape = tuple(batch) + tuple(weight_shape) if batch else weight_shape
    return ns.index_grad(g, idx, shape)


EMBEDDING = defop(
    "embedding",
    lambda xp, weight, *, indices, padding_idx, scale_grad_by_freq: (
        weight[indices] if xp is _backend.numpy else _backend.getitem(xp, weight, indices)
    ),
    _embedding_vjp,
    jvp=lambda ns, t, indices, batch: ns.getitem(t, (slice(None),) * len(batch) + (indices,)),
    tensor_params=("indices",),
    kink="row padding_idx gets no gradient; scale_grad_by_freq: 1 / count per row",
)


# complex values pass through as they are (ops.primitive: rules real-linear in g); sort,
# topk and unique refuse them (PyTorch's errors)
complex_as_is(SELECT, SLICE, INDEX, INDEX_GRAD, DIAGONAL_VIEW, INDEX_PUT, TAKE_ALONG, PUT_ALONG)
complex_as_is(INDEX_SELECT, TRIL, TRIU, EMBEDDING)
complex_as_is(REFLECT_PAD1D, REFLECT_PAD2D, REFLECT_PAD3D, REPLICATE_PAD1D, REPLICATE_PAD2D)
complex_as_is(REPLICATE_PAD3D, CIRCULAR_PAD1D, CIRCULAR_PAD2D, CIRCULAR_PAD3D)
