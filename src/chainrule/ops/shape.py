"""THE TABLE, part 3: shape ops. Most are views: the result shares storage with its input
(a write through one shows in the other), as in PyTorch. Their rules move the gradient
back: reshape undoes reshape, transpose undoes transpose, expand sums (``sum_to``).
All are linear, so each one's jvp is the op itself applied to the tangent.
"""

from __future__ import annotations

import builtins

from .primitive import apply, defop
from .reduction import dims_arg


def _view_fwd(xp, x, *, shape):
    v = x.view()
    try:
        v.shape = shape  # NumPy refuses exactly when no view can have this shape
    except AttributeError:
        raise RuntimeError(
            "view size is not compatible with input tensor's size and stride (at least one "
            "dimension spans across two contiguous subspaces). Use .reshape(...) instead."
        ) from None
    return v


# Batch axes (``batch``): gradients and tangents may carry leading axes beyond the
# tensor's own (chainrule.func pushes a whole basis through one pass); rules keep them in
# front, shifting the op's dims by len(batch). The jvp of a linear op is the op itself,
# applied to the tangent.
def _unreshape(ns, g, x_shape, batch):
    return ns.reshape(g, batch + x_shape)


def _reshape_jvp(t, shape, batch):
    # reshape, not view: a tangent need not have its primal's strides
    return apply(RESHAPE, t, shape=batch + shape)


VIEW = defop("view", _view_fwd, _unreshape, view=True, jvp=_reshape_jvp)
RESHAPE = defop(
    "reshape",
    lambda xp, x, *, shape: xp.reshape(x, shape),
    _unreshape,
    grad_fn="ViewBackward0",
    view=True,
    jvp=_reshape_jvp,
)
SQUEEZE = defop(
    "squeeze",
    lambda xp, x, *, dim: xp.squeeze(x, axis=dim),
    _unreshape,
    view=True,
    jvp=lambda t, dim, batch: apply(SQUEEZE, t, dim=tuple(d + len(batch) for d in dim)),
)
UNSQUEEZE = defop(
    "unsqueeze",
    lambda xp, x, *, dim: xp.expand_dims(x, dim),
    _unreshape,
    view=True,
    jvp=lambda t, dim, batch: apply(UNSQUEEZE, t, dim=dim + len(batch)),
)


def _swap(ns, g, dim0, dim1, batch):
    if dim0 == dim1:
        return g
    nb = len(batch)
    return ns.swapaxes(g, dim0 + nb, dim1 + nb)


TRANSPOSE = defop(  # swapping a dim with itself (always so for 0-d) is the identity
    "transpose",
    lambda xp, x, *, dim0, dim1: x.view() if dim0 == dim1 else xp.swapaxes(x, dim0, dim1),
    _swap,
    view=True,
    jvp=lambda ns, t, dim0, dim1, batch: _swap(ns, t, dim0, dim1, batch),
)


def _batch_dims(dims, nb):
    """A permutation of a tensor's dims as one of its batched tangent/gradient (batch first)."""
    return tuple(range(nb)) + tuple(d + nb for d in dims)


def _permute_vjp(ns, g, dims, batch):
    inverse = tuple(sorted(range(len(dims)), key=dims.__getitem__))
    return ns.permute(g, _batch_dims(inverse, len(batch)) if batch else inverse)


PERMUTE = defop(
    "permute",
    lambda xp, x, *, dims: xp.transpose(x, dims),
    _permute_vjp,
    view=True,
    jvp=lambda ns, t, dims, batch: ns.permute(t, _batch_dims(dims, len(batch))),
)


def _expand_jvp(ns, t, x_shape, shape, batch):
    if batch:  # line the tangent's own axes up with the target's before broadcasting
        t = ns.reshape(t, batch + (1,) * (len(shape) - len(x_shape)) + x_shape)
    return ns.broadcast_to(t, batch + shape)


EXPAND = defop(
    "expand",
    lambda xp, x, *, shape: xp.broadcast_to(x, shape),
    lambda ns, g, x_shape, batch: ns.sum_to(g, x_shape, batch),
    view=True,
    jvp=_expand_jvp,
)


def _flip(ns, g, dims, batch):
    return ns.flip(g, tuple(d + len(batch) for d in dims) if batch else dims)


FLIP = defop(
    "flip",
    lambda xp, x, *, dims: xp.flip(x, dims).copy(),
    _flip,
    jvp=lambda ns, t, dims, batch: _flip(ns, t, dims, batch),
)
# clone keeps the memory layout (PyTorch's preserve_format): a transposed clone stays transposed
CLONE = defop("clone", lambda xp, x: x.copy(order="K"), lambda g: g, jvp=lambda t: apply(CLONE, t))
CONTIGUOUS = defop(
    "contiguous",
    lambda xp, x: xp.ascontiguousarray(x),
    lambda g: g,
    grad_fn="CloneBackward0",
    jvp=lambda t: contiguous(t),
)
TO_COPY = defop(
    "to_copy",
    lambda xp, x, *, np_dtype: x.astype(np_dtype),
    lambda g: g,  # the engine casts the gradient back to the input's dtype
    grad_fn="ToCopyBackward0",
    fit=True,
    jvp=lambda t, np_dtype: apply(TO_COPY, t, np_dtype=np_dtype),  # the tangent in out's dtype
)


def _repeat_vjp(ns, g, x_shape, sizes, batch):
    # g has shape batch + (r0*s0, r1*s1, ...): split each axis into (r, s), sum over the r's.
    lead = len(sizes) - len(x_shape)
    shape = (1,) * lead + tuple(x_shape)
    split = []
    for r, s in zip(sizes, shape, strict=True):
        split += [r, s]
    nb = len(batch)
    h = ns.reshape(g, batch + tuple(split))
    h = ns.sum(h, axis=tuple(range(nb, nb + 2 * len(sizes), 2)))
    return ns.reshape(h, batch + x_shape)


def _repeat_jvp(ns, t, x_shape, sizes, batch):
    if batch:  # the tangent's own axes last, padded to len(sizes); batch axes not tiled
        t = ns.reshape(t, batch + (1,) * (len(sizes) - len(x_shape)) + x_shape)
        sizes = (1,) * len(batch) + tuple(sizes)
    return apply(REPEAT, t, sizes=sizes)


REPEAT = defop("repeat", lambda xp, x, *, sizes: xp.tile(x, sizes), _repeat_vjp, jvp=_repeat_jvp)


def _cat_vjp(ns, g, shapes, dim, batch):
    out, start = [], 0
    lead = (slice(None),) * (dim + len(batch))
    for s in shapes:
        n = s[dim]
        out.append(ns.getitem(g, lead + (slice(start, start + n),)))
        start += n
    return out


CAT = defop(
    "cat",
    lambda xp, *xs, dim: xp.concatenate(xs, axis=dim),
    _cat_vjp,
    promote=True,
    jvp=lambda t, dim, batch: apply(CAT, *t, dim=dim + len(batch)),
)
STACK = defop(
    "stack",
    lambda xp, *xs, dim: xp.stack(xs, axis=dim),
    lambda ns, g, shapes, dim, batch: [
        ns.getitem(g, (slice(None),) * (dim + len(batch)) + (i,)) for i in range(len(shapes))
    ],
    promote=True,
    jvp=lambda t, dim, batch: apply(STACK, *t, dim=dim + len(batch)),
)


# ------------------------------------------------------------------ functions
def _shape_arg(shape):
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    elif len(shape) == 1 and hasattr(shape[0], "__iter__") and not isinstance(shape[0], int):
        shape = tuple(shape[0])
    return tuple(int(s) for s in shape)


def _infer(shape, numel):
    """Resolve one -1 in ``shape``, with PyTorch's errors."""
    if builtins.sum(1 for s in shape if s == -1) > 1:
        raise RuntimeError("only one dimension can be inferred")
    known = 1
    for s in shape:
        if s != -1:
            if s < 0:
                raise RuntimeError(f"invalid shape dimension {s}")
            known *= s
    if -1 in shape:
        if known == 0 or numel % known:
            raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
        shape = tuple(numel // known if s == -1 else s for s in shape)
    elif known != numel:
        raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
    return shape


def reshape(input, *shape):
    """The same elements in a new shape (-1 inferred); a view when possible, else a copy.

    >>> import chainrule as torch
    >>> torch.arange(12).reshape(3, -1).shape
    torch.Size([3, 4])
    """
    shape = _infer(_shape_arg(shape), input._data.size)
    return apply(RESHAPE, input, shape=shape)


def view(input, *shape):
    """A view with a new shape; refuses (like PyTorch) when the strides don't allow it.

    >>> import chainrule as torch
    >>> torch.arange(6).view(2, 3)
    tensor([[0, 1, 2],
            [3, 4, 5]])
    """
    if len(shape) == 1 and not isinstance(shape[0], (int, tuple, list)):
        from .. import dtypes

        d = dtypes.to_dtype(shape[0])
        if d.itemsize != input._data.itemsize:
            raise RuntimeError("view(dtype) with a different element size is not supported")
        from ..tensor import make

        return make(input._data.view(d.np))
    shape = _infer(_shape_arg(shape), input._data.size)
    return apply(VIEW, input, shape=shape)


def flatten(input, start_dim: int = 0, end_dim: int = -1):
    """Merge dims start_dim..end_dim into one.

    >>> import chainrule as torch
    >>> torch.zeros(2, 3, 4).flatten(1).shape
    torch.Size([2, 12])
    """
    shape = input._data.shape
    n = len(shape)
    if n == 0:
        return reshape(input, (1,))
    s, e = start_dim % n, end_dim % n
    if s > e:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    if s == e:
        return input
    mid = 1
    for d in shape[s : e + 1]:
        mid *= d
    return reshape(input, shape[:s] + (mid,) + shape[e + 1 :])


def squeeze(input, dim=None):
    """Drop dims of size 1 (all, or those in ``dim`` that have size 1).

    >>> import chainrule as torch
    >>> torch.zeros(1, 3, 1).squeeze().shape
    torch.Size([3])
    """
    shape = input._data.shape
    d = dims_arg(dim, None, len(shape))
    if d is None:
        d = tuple(i for i, s in enumerate(shape) if s == 1)
    else:
        d = tuple(i for i in d if shape[i] == 1)
    return apply(SQUEEZE, input, dim=d)


def unsqueeze(input, dim: int):
    """Insert a dim of size 1 at ``dim``.

    >>> import chainrule as torch
    >>> torch.zeros(3).unsqueeze(0).shape
    torch.Size([1, 3])
    """
    n = input._data.ndim + 1
    if not -n <= dim < n:
        raise IndexError(
            f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {dim})"
        )
    return apply(UNSQUEEZE, input, dim=dim % n)


def transpose(input, dim0: int, dim1: int):
    """Swap two dims (a view).

    >>> import chainrule as torch
    >>> torch.zeros(2, 3).transpose(0, 1).shape
    torch.Size([3, 2])
    """
    n = input._data.ndim
    d0, d1 = (_wrap(d, n) for d in (dim0, dim1))
    return apply(TRANSPOSE, input, dim0=d0, dim1=d1)


swapaxes = swapdims = transpose


def _wrap(d, n):
    m = builtins.max(n, 1)
    if not -m <= d < m:
        raise IndexError(
            f"Dimension out of range (expected to be in range of [{-m}, {m - 1}], but got {d})"
        )
    return d % m


def t(input):
    """Transpose of a tensor with at most 2 dims.

    >>> import chainrule as torch
    >>> torch.zeros(2, 3).t().shape
    torch.Size([3, 2])
    """
    if input._data.ndim > 2:
        raise RuntimeError(
            f"t() expects a tensor with <= 2 dimensions, but self is {input._data.ndim}D"
        )
    if input._data.ndim < 2:
        return input
    return transpose(input, 0, 1)


def permute(input, *dims):
    """Reorder dims (a view).

    >>> import chainrule as torch
    >>> torch.zeros(2, 3, 4).permute(2, 0, 1).shape
    torch.Size([4, 2, 3])
    """
    dims = _shape_arg(dims)
    n = input._data.ndim
    if len(dims) != n:
        raise RuntimeError(
            "permute(sparse_coo): number of dimensions in the tensor input does not match the "
            f"length of the desired ordering of dimensions i.e. input.dim() = {n} is not equal "
            f"to len(dims) = {len(dims)}"
        )
    dims = tuple(_wrap(d, n) for d in dims)
    if len(set(dims)) != n:
        raise RuntimeError("permute(): duplicate dims are not allowed.")
    return apply(PERMUTE, input, dims=dims)


def movedim(input, source, destination):
    """Move dims from ``source`` to ``destination`` positions.

    >>> import chainrule as torch
    >>> torch.zeros(2, 3, 4).movedim(0, -1).shape
    torch.Size([3, 4, 2])
    """
    n = input._data.ndim
    if n == 0:
        _wrap(source if isinstance(source, int) else 0, 0)
        return apply(VIEW, input, shape=())
    src = [source] if isinstance(source, int) else list(source)
    dst = [destination] if isinstance(destination, int) else list(destination)
    src, dst = [_wrap(s, n) for s in src], [_wrap(d, n) for d in dst]
    order = [i for i in range(n) if i not in src]
    for d, s in sorted(zip(dst, src, strict=True)):
        order.insert(d, s)
    return permute(input, order)


moveaxis = movedim


def T(input):
    n = input._data.ndim
    return input if n < 2 else permute(input, tuple(range(n - 1, -1, -1)))


def mT(input):
    if input._data.ndim < 2:
        raise RuntimeError(
            "tensor.mT is only supported on matrices or batches of matrices. Got 1-D tensor."
        )
    return transpose(input, -2, -1)


def expand(input, *sizes):
    """Broadcast to a larger shape without copying (-1 keeps a size).

    >>> import chainrule as torch
    >>> torch.tensor([[1], [2]]).expand(2, 3)
    tensor([[1, 1, 1],
            [2, 2, 2]])
    """
    sizes = _shape_arg(sizes)
    shape = input._data.shape
    lead = len(sizes) - len(shape)
    if lead < 0:
        raise RuntimeError(
            f"expand(torch.FloatTensor{{{list(shape)}}}, size={list(sizes)}): the number of sizes "
            f"provided ({len(sizes)}) must be greater or equal to the number of dimensions in "
            f"the tensor ({len(shape)})"
        )
    target = []
    for i, s in enumerate(sizes):
        if i < lead:
            if s < 0:
                raise RuntimeError("expand: -1 not allowed in leading, non-existing dimension")
            target.append(s)
            continue
        cur = shape[i - lead]
        if s == -1:
            s = cur
        if cur != s and cur != 1:
            raise RuntimeError(
                f"The expanded size of the tensor ({s}) must match the existing size ({cur}) at "
                f"non-singleton dimension {i}.  Target sizes: {list(sizes)}.  Tensor sizes: "
                f"{list(shape)}"
            )
        target.append(s)
    return apply(EXPAND, input, shape=tuple(target))


def expand_as(input, other):
    """expand to ``other``'s shape."""
    return expand(input, other._data.shape)


def broadcast_to(input, shape):
    """Same as expand."""
    return expand(input, tuple(shape))


def repeat(input, *sizes):
    """Tile the tensor ``sizes`` times along each dim (copies, unlike expand).

    >>> import chainrule as torch
    >>> torch.tensor([1, 2]).repeat(2)
    tensor([1, 2, 1, 2])
    """
    sizes = _shape_arg(sizes)
    if len(sizes) < input._data.ndim:
        raise RuntimeError(
            "Number of dimensions of repeat dims can not be smaller than number of dimensions "
            "of tensor"
        )
    return apply(REPEAT, input, sizes=sizes)


def flip(input, dims):
    """Reverse the order of elements along ``dims``.

    >>> import chainrule as torch
    >>> torch.flip(torch.arange(3), dims=[0])
    tensor([2, 1, 0])
    """
    if isinstance(dims, int):
        dims = (dims,)
    d = dims_arg(tuple(dims), None, input._data.ndim)
    return apply(FLIP, input, dims=d if d is not None else ())


def clone(input):
    """A copy with its own storage (recorded: the gradient passes through).

    >>> import chainrule as torch
    >>> torch.tensor([1, 2]).clone()
    tensor([1, 2])
    """
    return apply(CLONE, input)


def contiguous(input):
    """self when already contiguous (row-major), else a contiguous copy."""
    if input._data.flags.c_contiguous:
        return input
    return apply(CONTIGUOUS, input)


def cat(tensors, dim: int = 0, *, axis=None):
    """Concatenate along an existing dim.

    >>> import chainrule as torch
    >>> X = torch.arange(4).reshape(2, 2)
    >>> torch.cat((X, X), dim=1)
    tensor([[0, 1, 0, 1],
            [2, 3, 2, 3]])
    """
    if axis is not None:
        dim = axis
    tensors = list(tensors)
    if not tensors:
        raise RuntimeError("torch.cat(): expected a non-empty list of Tensors")
    # PyTorch skips 1-d empty tensors (legacy behaviour)
    ts = [t for t in tensors if not (t._data.ndim == 1 and t._data.shape[0] == 0)] or tensors[:1]
    n = ts[0]._data.ndim
    if n == 0:
        raise RuntimeError("zero-dimensional tensor (at position 0) cannot be concatenated")
    d = _wrap(dim, n)
    ref = ts[0]._data.shape
    for i, t in enumerate(ts):
        s = t._data.shape
        if len(s) != n:
            raise RuntimeError(f"Tensors must have same number of dimensions: got {n} and {len(s)}")
        for k in range(n):
            if k != d and s[k] != ref[k]:
                raise RuntimeError(
                    f"Sizes of tensors must match except in dimension {d}. Expected size "
                    f"{ref[k]} but got size {s[k]} for tensor number {i} in the list."
                )
    return apply(CAT, *ts, dim=d)


concat = concatenate = cat


def stack(tensors, dim: int = 0):
    """Join tensors of equal shape along a new dim.

    >>> import chainrule as torch
    >>> torch.stack([torch.tensor([1, 2]), torch.tensor([3, 4])], dim=1)
    tensor([[1, 3],
            [2, 4]])
    """
    tensors = list(tensors)
    if not tensors:
        raise RuntimeError("stack expects a non-empty TensorList")
    ref = tensors[0]._data.shape
    for i, t in enumerate(tensors):
        if t._data.shape != ref:
            raise RuntimeError(
                f"stack expects each tensor to be equal size, but got {list(ref)} at entry 0 "
                f"and {list(t._data.shape)} at entry {i}"
            )
    d = _wrap(dim, len(ref) + 1)
    return apply(STACK, *tensors, dim=d)


def _narrow(input, d, start, length):
    from .indexing import getitem

    return getitem(input, (slice(None),) * d + (slice(start, start + length),))


def split(tensor, split_size_or_sections, dim: int = 0):
    """Split into chunks of a given size (the last may be smaller) or of given sizes.

    >>> import chainrule as torch
    >>> [t.tolist() for t in torch.arange(5).split(2)]
    [[0, 1], [2, 3], [4]]
    """
    d = _wrap(dim, tensor._data.ndim)
    n = tensor._data.shape[d]
    if isinstance(split_size_or_sections, int):
        size = split_size_or_sections
        if size <= 0 and n > 0:
            raise RuntimeError(
                f"split_size can only be 0 if dimension size is 0, but got dimension size of {n}"
            )
        starts = list(range(0, n, size)) if size > 0 else [0]
        return tuple(_narrow(tensor, d, s, builtins.min(size, n - s)) for s in starts)
    sections = list(split_size_or_sections)
    if builtins.sum(sections) != n:
        raise RuntimeError(
            f"split_with_sizes expects split_sizes to sum exactly to {n} (input tensor's size "
            f"at dimension {d}), but got split_sizes={sections}"
        )
    out, s = [], 0
    for k in sections:
        out.append(_narrow(tensor, d, s, k))
        s += k
    return tuple(out)


def chunk(input, chunks: int, dim: int = 0):
    """Split into ``chunks`` pieces of size ceil(n / chunks) (fewer if it divides so).

    >>> import chainrule as torch
    >>> len(torch.arange(6).chunk(4))
    3
    """
    if chunks <= 0:
        raise RuntimeError("chunk expects `chunks` to be greater than 0, got: " + str(chunks))
    d = _wrap(dim, input._data.ndim)
    n = input._data.shape[d]
    size = -(-n // chunks) if n else 1
    return split(input, builtins.max(size, 1), d)


def unbind(input, dim: int = 0):
    """The slices along ``dim`` as a tuple.

    >>> import chainrule as torch
    >>> torch.unbind(torch.tensor([[1, 2], [3, 4]]))
    (tensor([1, 2]), tensor([3, 4]))
    """
    from .indexing import getitem

    d = _wrap(dim, input._data.ndim)
    return tuple(getitem(input, (slice(None),) * d + (i,)) for i in range(input._data.shape[d]))


def narrow(input, dim: int, start: int, length: int):
    """A view of ``length`` elements of ``dim`` from ``start``."""
    d = _wrap(dim, input._data.ndim)
    return _narrow(input, d, start % builtins.max(input._data.shape[d], 1), length)


def to_dtype(input, np_dtype):
    return apply(TO_COPY, input, np_dtype=np_dtype)
