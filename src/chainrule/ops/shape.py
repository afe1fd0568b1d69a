"""THE TABLE, part 3: shape ops. Most are views: the result shares storage with its input
(a write through one shows in the other), as in PyTorch. Their rules move the gradient
back: reshape undoes reshape, transpose undoes transpose, expand sums (``sum_to``).
All are linear, so each one's jvp is the op itself applied to the tangent (``LINEAR``,
or with the dims shifted past the tangent's batch axes).

The PyTorch-named functions over these entries are in ``chainrule.functions.shape``.
"""

from __future__ import annotations

from .. import backend as _backend
from .apply import apply
from .primitive import LINEAR, PASS, alias, complex_as_is, defop


def _view_fwd(xp, x, *, shape):
    if type(x) is not _backend.ndarray:  # another backend: its view (backend.view)
        return _backend.view(xp, x, shape=shape)
    v = x.view()
    try:
        v.shape = shape  # NumPy refuses exactly when no view can have this shape
    except AttributeError:
        raise RuntimeError(_backend.ERR_VIEW) from None
    return v


# Batch axes (``batch``): gradients and tangents may carry leading axes beyond the
# tensor's own (chainrule.func pushes a whole basis through one pass); rules keep them in
# front, shifting the op's dims by len(batch). The jvp of a linear op is the op itself,
# applied to the tangent.
def _unreshape(ns, g, x_shape, batch):
    return ns.reshape(g, batch + x_shape)


def _reshape_jvp(ns, t, shape, batch):
    # reshape, not view: a tangent need not have its primal's strides
    return ns.reshape(t, batch + shape)


VIEW = defop("view", _view_fwd, _unreshape, view=True, jvp=_reshape_jvp)
# matmul's reshape of a product it has just made (PyTorch's _unsafe_view): nobody else holds
# the product, so no view bookkeeping; a row of its own for PyTorch's grad_fn name
UNSAFE_VIEW = defop(
    "unsafe_view",
    lambda xp, x, *, shape: xp.reshape(x, shape),
    _unreshape,
    grad_fn="UnsafeViewBackward0",
    jvp=_reshape_jvp,
)
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
    jvp=lambda ns, t, dim, batch: ns.squeeze(t, tuple(d + len(batch) for d in dim)),
)
# PyTorch's overloads of squeeze: squeeze() is 0, squeeze(dim) 1, squeeze(dims) 2
SQUEEZE_DIM = alias(SQUEEZE, "squeeze_dim", grad_fn="SqueezeBackward1")
SQUEEZE_DIMS = alias(SQUEEZE, "squeeze_dims", grad_fn="SqueezeBackward2")
SQUEEZE_ = alias(SQUEEZE, "squeeze_", grad_fn="SqueezeBackward4")  # in place: x.squeeze_(d)
UNSQUEEZE = defop(
    "unsqueeze",
    lambda xp, x, *, dim: xp.expand_dims(x, dim),
    _unreshape,
    view=True,
    jvp=lambda ns, t, dim, batch: ns.expand_dims(t, dim + len(batch)),
)


def _swap(ns, g, dim0, dim1, batch):
    if dim0 == dim1:
        return g
    nb = len(batch)
    return ns.swapaxes(g, dim0 + nb, dim1 + nb)


TRANSPOSE = defop(  # swapping a dim with itself (always so for 0-d) is the identity
    "transpose",
    lambda xp, x, *, dim0, dim1: (
        _backend.alias(xp, x) if dim0 == dim1 else xp.swapaxes(x, dim0, dim1)
    ),
    _swap,
    view=True,
    jvp=lambda ns, t, dim0, dim1, batch: _swap(ns, t, dim0, dim1, batch),
)
T = alias(TRANSPOSE, "t", grad_fn="TBackward0")  # x.t(): PyTorch's own node (a view at any dim)


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
    lambda xp, x, *, shape: _backend.expand_view(xp, x, shape),  # writable, as PyTorch's
    lambda ns, g, x_shape, batch: ns.sum_to(g, x_shape, batch),
    view=True,
    jvp=_expand_jvp,
)


def _flip(ns, g, dims, batch):
    return ns.flip(g, tuple(d + len(batch) for d in dims) if batch else dims)


FLIP = defop(
    "flip",
    lambda xp, x, *, dims: _backend.copy(xp.flip(x, dims), "K"),  # keeps the layout, as PyTorch
    _flip,
    jvp=lambda ns, t, dims, batch: _flip(ns, t, dims, batch),
)
# clone keeps the memory layout (PyTorch's preserve_format): a transposed clone stays transposed
CLONE = defop("clone", lambda xp, x: _backend.copy(x, "K"), PASS, jvp=LINEAR)
CONTIGUOUS = defop(
    "contiguous",
    lambda xp, x: xp.ascontiguousarray(x),
    PASS,
    grad_fn="CloneBackward0",
    jvp=LINEAR,
)
TO_COPY = defop(
    "to_copy",
    lambda xp, x, *, np_dtype: _backend.astype(x, np_dtype),
    PASS,  # the engine casts the gradient back to the input's dtype
    grad_fn="ToCopyBackward0",
    fit=True,
    jvp=LINEAR,  # the tangent in out's dtype
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


def _cat_vjp(ns, g, shapes, dim, skip, batch):
    out, start = [], 0
    lead = (slice(None),) * (dim + len(batch))
    for i, s in enumerate(shapes):
        if i in skip:  # a 1-d empty input left out of the forward: an empty gradient
            out.append(
                ns.reshape(ns.getitem(g, lead + (slice(0, 0),)), (*g.shape[: len(batch)], 0))
            )
            continue
        n = s[dim]
        out.append(ns.getitem(g, lead + (slice(start, start + n),)))
        start += n
    return out


# cat: the pieces of g along dim. ``skip`` lists the 1-d empty inputs that PyTorch leaves
# out of the concatenation of n-d tensors (a legacy rule) but not out of dtype and grad.
CAT = defop(
    "cat",
    lambda xp, *xs, dim, skip: _backend.c_order(
        xp.concatenate([x for i, x in enumerate(xs) if i not in skip], axis=dim)
    ),
    _cat_vjp,
    promote=True,
    jvp=lambda t, dim, skip, batch: apply(CAT, *t, dim=dim + len(batch), skip=skip),
)
STACK = defop(
    "stack",
    lambda xp, *xs, dim: _backend.c_order(xp.stack(xs, axis=dim)),
    lambda ns, g, shapes, dim, batch: [
        ns.getitem(g, (slice(None),) * (dim + len(batch)) + (i,)) for i in range(len(shapes))
    ],
    promote=True,
    jvp=lambda t, dim, batch: apply(STACK, *t, dim=dim + len(batch)),
)


def _constant_pad_fwd(xp, x, *, pad, value):
    """x inside a frame of ``value``: ``pad`` is (before, after) of the last dim, then of
    the one before, ...; a negative amount crops instead (PyTorch's constant_pad_nd)."""
    shape, src, dst = list(x.shape), [slice(None)] * x.ndim, [slice(None)] * x.ndim
    for k in range(len(pad) // 2):
        d = x.ndim - 1 - k
        lo, hi = pad[2 * k], pad[2 * k + 1]
        kept = x.shape[d] - max(-lo, 0) - max(-hi, 0)
        if kept < 0:  # PyTorch crops with narrow: its words
            raise RuntimeError("narrow(): length must be non-negative.")
        src[d] = slice(max(-lo, 0), max(-lo, 0) + kept)
        dst[d] = slice(max(lo, 0), max(lo, 0) + kept)
        shape[d] = x.shape[d] + lo + hi
    out = xp.full(tuple(shape), value, dtype=x.dtype)
    out[tuple(dst)] = x[tuple(src)]
    return out


def _unpad(ns, g, pad):
    # linear in x, and its adjoint is the same frame taken off: pad with the amounts negated
    # (a crop's adjoint puts zeros back); counted from the last dim, so batch axes ride along
    neg = tuple(-p for p in pad)
    if ns.graph:
        return apply(CONSTANT_PAD, g, pad=neg, value=0)
    return _constant_pad_fwd(ns.xp, g, pad=neg, value=0)


# constant_pad_nd: g with the frame cut off; tangent: t framed by zeros (value is constant)
CONSTANT_PAD = defop(
    "constant_pad_nd",
    _constant_pad_fwd,
    _unpad,
    grad_fn="ConstantPadNdBackward0",
    jvp=lambda ns, t, pad: _unpad(ns, t, tuple(-p for p in pad)),
)


# complex values pass through as they are (ops.primitive: rules real-linear in g)
complex_as_is(VIEW, RESHAPE, SQUEEZE, UNSQUEEZE, TRANSPOSE, T, PERMUTE, EXPAND, FLIP, CLONE)
complex_as_is(CONTIGUOUS, TO_COPY, REPEAT, CAT, STACK)
complex_as_is(UNSAFE_VIEW, SQUEEZE_DIM, SQUEEZE_DIMS, SQUEEZE_, CONSTANT_PAD)

# the last row of a composite function under the name PyTorch prints for the whole of it
# (as addmm's add): roll and block_diag end in a cat, linalg.cross in a stack (of its three
# components), narrow_copy in a clone (chainrule.functions.combine)
ROLL = alias(CAT, "roll", grad_fn="RollBackward0")
BLOCK_DIAG = alias(CAT, "block_diag", grad_fn="BlockDiagBackward0")
LINALG_CROSS = alias(STACK, "linalg_cross", grad_fn="LinalgCrossBackward0")
NARROW_COPY = alias(CLONE, "narrow_copy", grad_fn="NarrowCopyBackward0")
complex_as_is(ROLL, BLOCK_DIAG, LINALG_CROSS, NARROW_COPY)
