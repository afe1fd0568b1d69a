"""THE TABLE, part 11: writing into chosen positions (scatter, index_add, diag_embed).

scatter, scatter_add, index_add, index_copy, index_fill, masked_scatter and diag_embed.

Each is one of two rows, under PyTorch's names. Overwriting the positions ``idx`` of x
with v is index_put (part 4): x's gradient is g with those positions zeroed, v's is g
read at them (``gather`` for scatter, ``index_select`` for index_copy). Adding v at
``idx`` is ``index_add`` below: x's gradient is g, v's is alpha * g read at ``idx``
(repeated positions each read it). ``idx`` is a NumPy index tuple made by the functions
(``chainrule.functions.scatter``): arrays on every dim for scatter (its index, and the
positions themselves elsewhere), one array on ``dim`` for the index_* family, a mask for
masked_scatter.

>>> from chainrule.ops import REGISTRY
>>> REGISTRY["scatter_add"].grad_fn
'ScatterAddBackward0'
"""

from __future__ import annotations

from .. import backend as _backend
from .indexing import (
    INDEX_GRAD,
    INDEX_PUT,
    _index_put_fwd,
    batched_getitem,
    batched_index_grad,
)
from .namespaces import array_ns, has_advanced
from .primitive import PASS, Primitive, alias, complex_as_is, defop


def _write_fwd(xp, x, v, *, idx):
    # index_put's forward (part 4): a copy of x with v written at idx
    return _index_put_fwd(xp, x, v, idx=idx)


def _overwrite(name: str, grad_fn: str) -> Primitive:
    """A row that overwrites x at idx with v: index_put's rules (part 4) under PyTorch's
    name for the function (x's gradient zero at idx, v's read there)."""
    return defop(
        name,
        _write_fwd,
        INDEX_PUT.vjp,
        jvp=INDEX_PUT.jvp,
        grad_fn=grad_fn,
        broadcast=True,
        tensor_params=("idx",),
    )


SCATTER = _overwrite("scatter", "ScatterBackward0")  # src tensor
SCATTER_VALUE = _overwrite("scatter_value", "ScatterBackward1")  # a number
INDEX_COPY = _overwrite("index_copy", "IndexCopyBackward0")
INDEX_FILL = _overwrite("index_fill", "IndexFillBackward0")  # a number
INDEX_FILL_T = _overwrite("index_fill_t", "IndexFillBackward1")  # a 0-d tensor
MASKED_SCATTER = _overwrite("masked_scatter", "MaskedScatterBackward0")


def _embed_fwd(xp, v, *, idx, shape):
    # index_grad's forward (part 4): zeros of shape with v added at idx
    return array_ns(xp).index_grad(v, idx, shape)


# the last dim written on a diagonal of zeros: the adjoint of reading a diagonal, which is
# index_grad's row (part 4; its vjp reads the diagonal back)
DIAG_EMBED = defop(
    "diag_embed",
    _embed_fwd,
    INDEX_GRAD.vjp,
    jvp=INDEX_GRAD.jvp,
    grad_fn="DiagEmbedBackward0",
    tensor_params=("idx",),
)


def _add_fwd(xp, x, v, *, idx, alpha):
    out = xp.array(x, copy=True)  # an array even when x is a NumPy scalar
    if alpha != 1:
        v = _backend.astype(v * alpha, out.dtype)
    if has_advanced(idx):
        _backend.scatter_add(xp, out, idx, v)  # repeated positions add up
    else:
        _backend.setitem(xp, out, idx, _backend.getitem(xp, out, idx) + v)
    return out


def _add_vjp_v(ns, g, idx, alpha, x_shape, batch):
    # every position of v was added once at its place: g read there (gather, index_select)
    gv = batched_getitem(ns, g, idx, len(x_shape), batch) if batch else ns.getitem(g, idx)
    return gv if alpha == 1 else gv * alpha


def _add_jvp_v(ns, t, idx, alpha, x_shape, batch):
    shape = tuple(x_shape)
    tv = batched_index_grad(ns, t, idx, shape, batch) if batch else ns.index_grad(t, idx, shape)
    return tv if alpha == 1 else tv * alpha


# x with alpha * v added at idx (index_add; scatter_add's alpha is 1). Linear in both.
INDEX_ADD = defop(
    "index_add",
    _add_fwd,
    (PASS, _add_vjp_v),
    tensor_params=("idx",),
    jvp=(PASS, _add_jvp_v),
)
SCATTER_ADD = alias(INDEX_ADD, "scatter_add", grad_fn="ScatterAddBackward0")


def _legacy_fwd(xp, x, v, *, idx, reduce):
    out = xp.array(x, copy=True)
    (xp.add if reduce == "add" else xp.multiply).at(out, idx, v)
    return out


def _no_derivative(g):
    raise RuntimeError("derivative for aten::scatter is not implemented")


def _no_jvp(t):
    raise RuntimeError("derivative for aten::scatter is not implemented")


# scatter's deprecated reduce='add' | 'multiply': PyTorch has no derivative for it (its
# node is NotImplemented, whose backward raises); forward mode raises likewise
SCATTER_LEGACY_REDUCE = defop(
    "scatter_legacy_reduce",
    _legacy_fwd,
    (_no_derivative, _no_derivative),
    grad_fn="NotImplemented",
    tensor_params=("idx",),
    jvp=(_no_jvp, _no_jvp),
    kink="no derivative: backward raises, as in PyTorch",
)

complex_as_is(SCATTER, SCATTER_VALUE, INDEX_COPY, INDEX_FILL, INDEX_FILL_T, MASKED_SCATTER)
complex_as_is(DIAG_EMBED, INDEX_ADD, SCATTER_ADD)
