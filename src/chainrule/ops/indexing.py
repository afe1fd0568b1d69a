"""THE TABLE, part 4: indexing. ``x[idx]`` and ``x[idx] = v`` (index_put).

Basic indices (ints, slices, Ellipsis, None) give views, as in PyTorch; integer-array
and boolean-mask indices give copies. The adjoint of reading ``x[idx]`` is adding ``g``
into zeros at ``idx`` (repeated indices add up); the adjoint of writing is reading.
Forward mode: the tangent of ``x[idx]`` is ``t[idx]``; of a write, ``t_x`` with ``t_v``
written at ``idx``.
"""

from __future__ import annotations

from ..backend import namespace
from .primitive import apply, defop, has_advanced


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


_getitem_fwd = lambda xp, x, *, idx: x[idx]


def _basic_getitem_fwd(xp, x, *, idx):
    # ints and slices give a view, also when every axis is taken by an int: x[1] of a 1-d
    # tensor is a 0-d view (NumPy's x[1] would be a copy; x[1, ...] is the view)
    if any(i is Ellipsis for i in idx):
        return x[idx]
    return x[idx + (Ellipsis,)]


SELECT = defop("select", _basic_getitem_fwd, _get_vjp, view=True, jvp=_get_jvp)
SLICE = defop("slice", _basic_getitem_fwd, _get_vjp, view=True, jvp=_get_jvp)
# advanced (array) indexing always copies in NumPy (and CuPy, which follows it): not a view
INDEX = defop("index", _getitem_fwd, _get_vjp, jvp=_get_jvp)
# index_grad(g) = zeros with g added at idx: the adjoint of x[idx] (runs inside backward).
# It is linear in g: its vjp reads g[idx], its jvp is index_grad of the tangent.
INDEX_GRAD = defop(
    "index_grad",
    lambda xp, g, *, idx, shape: _index_grad(xp, g, idx, shape),
    lambda ns, g, idx, shape, batch: (
        batched_getitem(ns, g, idx, len(shape), batch) if batch else ns.getitem(g, idx)
    ),
    grad_fn="IndexBackwardBackward0",
    jvp=lambda ns, t, idx, shape, batch: (
        batched_index_grad(ns, t, idx, shape, batch) if batch else ns.index_grad(t, idx, shape)
    ),
)


def _index_grad(xp, g, idx, shape):
    from .primitive import index_grad_array

    return index_grad_array(xp, g, idx=idx, shape=shape)


def _index_put_fwd(xp, x, v, *, idx):
    out = xp.array(x, copy=True)  # an array even when x is a NumPy scalar
    out[idx] = v
    return out


def _put_vjp_x(ns, g, idx, x_shape, batch):  # overwritten positions: no gradient, no tangent
    if batch:
        return batched_index_put(ns, g, 0.0, idx, len(x_shape), batch)
    return ns.index_put(g, 0.0, idx)


def _put_vjp_v(ns, g, idx, x_shape, batch):  # summed back to v's shape by the engine
    return batched_getitem(ns, g, idx, len(x_shape), batch) if batch else ns.getitem(g, idx)


def _put_jvp_x(ns, t, idx, x_shape, batch):
    return _put_vjp_x(ns, t, idx, x_shape, batch)


def _put_jvp_v(ns, t, out, v_shape, idx, batch):
    # v's tangent (lined up with out by the engine) broadcast to x[idx], written into zeros
    target = tuple(out._data[idx].shape)
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
    jvp=lambda ns, t, x_shape, idx, dim, batch: _take_along(ns, t, idx, dim, x_shape, batch),
)
# put_along(g) = zeros with g added at idx along dim: the adjoint of take_along (inside
# backward). Linear in g: its vjp is take_along, its jvp put_along of the tangent.
PUT_ALONG = defop(
    "put_along",
    lambda xp, g, *, idx, dim, shape: _put_along(xp, g, idx, dim, shape),
    lambda ns, g, idx, dim, shape, batch: _take_along(ns, g, idx, dim, shape, batch),
    grad_fn="ScatterAddBackward0",
    jvp=lambda ns, t, idx, dim, shape, batch: _put_along_rule(ns, t, idx, dim, shape, batch),
)


def _put_along(xp, g, idx, dim, shape):
    from .primitive import put_along_array

    return put_along_array(xp, g, idx=idx, dim=dim, shape=shape)


def normalize_index(idx, shape=None, xp=None):
    """An index as a tuple of ints/slices/None/Ellipsis/arrays (Tensors unwrapped)."""
    if not isinstance(idx, tuple):
        idx = (idx,)
    if xp is None:
        from ..backend import default as xp
    out = []
    for i in idx:
        d = getattr(i, "_data", None)
        if d is not None:
            if d.dtype.kind == "f":
                raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
            # a 0-d integer tensor indexes like the int it holds (a view), as in PyTorch
            out.append(int(d) if d.ndim == 0 and d.dtype.kind == "i" else d)
        elif isinstance(i, list):  # a list index becomes an array, like NumPy and PyTorch
            a = xp.asarray(_unwrap_list(i))
            if a.size == 0:
                a = a.astype("int64")
            if a.dtype.kind == "f":
                raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
            out.append(a)
        elif isinstance(i, slice) and i.step is not None and i.step <= 0:
            raise ValueError("step must be greater than zero")
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


def _unwrap_list(v):
    if isinstance(v, (list, tuple)):
        return [_unwrap_list(e) for e in v]
    return v.item() if hasattr(v, "_data") else v


def _check_bounds(idx, shape):
    dim = 0
    for i in idx:
        if i is None:
            continue
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
                if dim + k < len(shape) and m != shape[dim + k]:
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
    return _index(x, idx, orig)


def _index(x, idx, orig):
    """x[idx] for an index that holds arrays (NumPy's errors in PyTorch's words). The
    node keeps the index tensors' arrays, so an in-place change to an index tensor
    before backward is refused, as in PyTorch (it would move the gradient)."""
    try:
        r = apply(INDEX, x, idx=idx)
    except (RuntimeError, IndexError) as e:
        raise IndexError(str(e).replace("axis", "dimension")) from None
    node = r._node
    if node is not None:
        for t in orig if type(orig) is tuple else (orig,):
            if getattr(t, "_vc", None) is not None:  # a Tensor used as an index
                if node.checks is None:
                    node.checks = []
                node.checks.append((t._vc, t._vc[0], t, "~index"))
    return r


def setitem(x, idx, value) -> None:
    """``x[idx] = value`` in place (value broadcast and cast to x's dtype).

    With grad recording this is PyTorch's index_put_: x's history is rebased so that
    gradients stay right (the written positions get no gradient from before).
    """
    from ..autograd.forward_ad import _state as _fw_state
    from ..autograd.forward_ad import tangent_of
    from ..autograd.grad_mode import _state
    from ..tensor import Tensor, _check_inplace, own

    idx = normalize_index(idx, x._data.shape, namespace(x._data))
    is_t = isinstance(value, Tensor)
    record = _state.enabled and (x._rg or (is_t and value._rg))
    dual = _fw_state.level is not None and (
        tangent_of(x) is not None or (is_t and tangent_of(value) is not None)
    )
    if not record and not dual:
        v = value._data if is_t else value
        try:
            own(x)[idx] = v
        except ValueError as e:
            if "read-only" in str(e):
                raise RuntimeError(
                    "unsupported operation: more than one element of the written-to tensor "
                    "refers to a single memory location. Please clone() the tensor before "
                    "performing the operation."
                ) from None
            target = list(x._data[idx].shape)
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
        _check_inplace(x)
    if is_t and value._data.dtype != x._data.dtype:
        value = value.to(x.dtype)
    x._inplace(INDEX_PUT, value, idx=idx)


def index_put(x, value, idx):
    """Out-of-place ``x[idx] = value`` (recorded): used by rules in create_graph mode."""
    return apply(INDEX_PUT, x, value, idx=idx)


def take_along(x, idx, dim):
    return apply(TAKE_ALONG, x, idx=idx, dim=dim)


def put_along(g, idx, dim, shape):
    return apply(PUT_ALONG, g, idx=idx, dim=dim, shape=tuple(shape))


def index_grad(g, idx, shape):
    return apply(INDEX_GRAD, g, idx=idx, shape=tuple(shape))


def gather(input, dim: int, index):
    """Values of ``input`` at ``index`` along ``dim`` (PyTorch's gather).

    >>> import chainrule as torch
    >>> torch.gather(torch.tensor([[1, 2], [3, 4]]), 1, torch.tensor([[0], [1]]))
    tensor([[1],
            [4]])
    """
    d = dim % max(input._data.ndim, 1)
    return apply(TAKE_ALONG, input, idx=index._data, dim=d)
