"""THE TABLE, part 4b: writing into chosen positions. scatter, scatter_add, index_add,
index_copy, index_fill, masked_scatter and diag_embed.

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
from .indexing import INDEX_GRAD, INDEX_PUT, batched_getitem, batched_index_grad
from .namespaces import has_advanced
from .primitive import PASS, alias, complex_as_is, defop

# overwriting: index_put's forward and rules (part 4) under the names PyTorch prints
SCATTER = alias(INDEX_PUT, "scatter", grad_fn="ScatterBackward0")  # src tensor
SCATTER_VALUE = alias(INDEX_PUT, "scatter_value", grad_fn="ScatterBackward1")  # a number
INDEX_COPY = alias(INDEX_PUT, "index_copy", grad_fn="IndexCopyBackward0")
INDEX_FILL = alias(INDEX_PUT, "index_fill", grad_fn="IndexFillBackward0")  # a number
INDEX_FILL_T = alias(INDEX_PUT, "index_fill_t", grad_fn="IndexFillBackward1")  # 0-d tensor
MASKED_SCATTER = alias(INDEX_PUT, "masked_scatter", grad_fn="MaskedScatterBackward0")
# the last dim written on a diagonal of zeros: the adjoint of reading a diagonal, which is
# index_grad's row (zeros with v added at idx; its vjp reads the diagonal back)
DIAG_EMBED = alias(INDEX_GRAD, "diag_embed", grad_fn="DiagEmbedBackward0")


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
