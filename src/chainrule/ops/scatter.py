"""THE TABLE, part 13: writing into chosen positions (scatter, index_add, diag_embed).

scatter, scatter_add, scatter_reduce, index_add, index_copy, index_fill, masked_scatter
and diag_embed, under PyTorch's names. Overwriting the positions ``idx`` of x with v has
index_put's rules (part 4): x's gradient is g with those positions zeroed, v's is g read
at them (``gather`` for scatter, ``index_select`` for index_copy). Adding v at ``idx`` is
``index_add`` below: x's gradient is g, v's is alpha * g read at ``idx`` (repeated
positions each read it). Reducing into x (scatter_reduce) has rules of its own, below.
``idx`` is a NumPy index tuple made by the functions (``chainrule.functions.scatter``):
arrays on every dim for scatter (its index, and the positions themselves elsewhere), one
array on ``dim`` for the index_* family, a mask for masked_scatter.

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
    batched_index_put,
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


# ------------------------------------------------------------------ scatter_reduce
# src reduced into x at idx by sum, prod, mean, amax or amin (x itself counted unless
# include_self=False). The rules are linear in g (in t), with coefficients found from the
# values: the count of each position's elements (mean), which of them equal the result
# (amax/amin: PyTorch shares g evenly among them, self and src alike, and counts x among
# them also when include_self=False, then gives it no share), the product of the others
# (prod). To a second derivative the coefficients are constants: exact for sum, mean,
# amax and amin (piecewise linear); prod has a row of its own, whose coefficients are
# computed on the values (a zero factor's is the product of the others, which the rule
# namespace cannot spell): not twice differentiable, and not in explicit graphs.
_UFUNC = {"sum": "add", "mean": "add", "prod": "multiply", "amax": "maximum", "amin": "minimum"}


def _start(xp, dtype, reduce):
    """What a position reduced without x starts from (the reduction's identity)."""
    if reduce in ("sum", "mean"):
        return 0
    if reduce == "prod":
        return 1
    if dtype.kind == "b":
        return reduce == "amin"
    if dtype.kind in "fc":
        return -xp.inf if reduce == "amax" else xp.inf
    info = xp.iinfo(dtype)
    return info.min if reduce == "amax" else info.max


def _counts(xp, shape, idx, src, dtype, base=0):
    """How many src elements land on each position of x (plus ``base``)."""
    n = xp.zeros(shape, dtype)
    _backend.scatter_add(xp, n, idx, xp.ones(src.shape, dtype))
    return n + base if base else n


def _reduce_fwd(xp, x, src, *, idx, reduce, include_self):
    out = xp.array(x, copy=True)
    if not include_self:  # the positions src reaches start from the identity, not from x
        _backend.setitem(xp, out, idx, _start(xp, x.dtype, reduce))
    op = _UFUNC[reduce]
    if op == "add":
        _backend.scatter_add(xp, out, idx, src)
    else:
        getattr(xp, op).at(out, idx, src)
    if reduce == "mean":
        n = _counts(xp, x.shape, idx, src, out.dtype, 1 if include_self else 0)
        n = xp.where(n == 0, 1, n)
        out = out // n if x.dtype.kind in "iu" else _backend.astype(out / n, x.dtype)
    return out


def _ones(ns, cond, like):
    """cond (bool) as 1s and 0s of like's dtype."""
    return ns.where(cond, ns.ones_like(like), ns.zeros_like(like))


def _scale(ns, x, src, out, idx, reduce, include_self):
    """(a, b): the x-shaped divisor of g and the src-shaped mask that the rules share:
    d out / d x = mask_x / a, d out[idx] / d src = b / a[idx]."""
    shape = tuple(x.shape)
    if reduce == "sum":
        return None, None
    if reduce == "mean":  # each position's count of elements (at least 1)
        n = ns.index_grad(ns.ones_like(src), idx, shape)
        return ns.maximum(n + 1 if include_self else n, 1.0), None
    on_src = _ones(ns, src == ns.getitem(out, idx), src)  # amax, amin: the equal ones
    share = _ones(ns, x == out, x) + ns.index_grad(on_src, idx, shape)
    return ns.maximum(share, 1.0), on_src  # (NaN results: nobody equals them)


def _zero_written(ns, gx, idx, x, include_self, batch):
    # include_self=False: out does not depend on x where src lands
    if include_self:
        return gx
    if batch:
        return batched_index_put(ns, gx, 0.0, idx, len(x.shape), batch)
    return ns.index_put(gx, 0.0, idx)


def _reduce_vjp_x(ns, g, x, src, out, idx, reduce, include_self, batch):
    a, _ = _scale(ns, x, src, out, idx, reduce, include_self)
    if reduce in ("amax", "amin"):
        g = g * _ones(ns, x == out, x)
    gx = g if a is None else g / a
    return _zero_written(ns, gx, idx, x, include_self, batch)


def _read(ns, g, idx, x, batch):
    return batched_getitem(ns, g, idx, len(x.shape), batch) if batch else ns.getitem(g, idx)


def _reduce_vjp_src(ns, g, x, src, out, idx, reduce, include_self, batch):
    a, b = _scale(ns, x, src, out, idx, reduce, include_self)
    gv = _read(ns, g if a is None else g / a, idx, x, batch)
    return gv if b is None else gv * b


def _reduce_jvp_x(ns, t, x, src, out, idx, reduce, include_self, batch):
    return _reduce_vjp_x(ns, t, x, src, out, idx, reduce, include_self, batch)


def _write(ns, tv, idx, x, batch):
    shape = tuple(x.shape)
    return batched_index_grad(ns, tv, idx, shape, batch) if batch else ns.index_grad(tv, idx, shape)


def _reduce_jvp_src(ns, t, x, src, out, idx, reduce, include_self, batch):
    a, b = _scale(ns, x, src, out, idx, reduce, include_self)
    tv = _write(ns, t if b is None else t * b, idx, x, batch)
    return tv if a is None else tv / a


SCATTER_REDUCE = defop(
    "scatter_reduce",
    _reduce_fwd,
    (_reduce_vjp_x, _reduce_vjp_src),
    grad_fn="ScatterReduceBackward0",
    tensor_params=("idx",),
    jvp=(_reduce_jvp_x, _reduce_jvp_src),
    kink="amax/amin: g shared evenly by the elements equal to the result (x counted also "
    "when include_self=False)",
)


def _prod_fwd(xp, x, src, *, idx, include_self):
    return _reduce_fwd(xp, x, src, idx=idx, reduce="prod", include_self=include_self)


def _prod_factor(x, src, out, idx, include_self, want):
    """d out / d x (want "x") or d out[idx] / d src ("src"), on the values: out / factor,
    and at a factor that is the one zero of its product, the product of the others."""
    x, src, out = (getattr(a, "_data", a) for a in (x, src, out))
    xp = _backend.namespace(x)
    dt = x.dtype
    if want == "x":
        ones_x = xp.where(x == 0, 1, x)
        others = _prod_fwd(xp, ones_x, src, idx=idx, include_self=True)
        return others / ones_x  # (include_self=False: zeroed by the rule where src lands)
    zero = src == 0
    nz = xp.zeros(x.shape, dt)  # zeros of src per position: a lone one gets the others'
    _backend.scatter_add(xp, nz, idx, _backend.astype(zero, dt))
    single = zero & (_backend.getitem(xp, nz, idx) == 1)
    others = _prod_fwd(xp, x, xp.where(single, 1, src), idx=idx, include_self=include_self)
    at = _backend.getitem(xp, out, idx) / xp.where(zero, 1, src)
    return xp.where(single, _backend.getitem(xp, others, idx), at)


def _prod_vjp_x(ns, g, x, src, out, idx, include_self, batch):
    gx = g * ns.const(_prod_factor(x, src, out, idx, include_self, "x"), g)
    return _zero_written(ns, gx, idx, x, include_self, batch)


def _prod_vjp_src(ns, g, x, src, out, idx, include_self, batch):
    fs = ns.const(_prod_factor(x, src, out, idx, include_self, "src"), g)
    return _read(ns, g, idx, x, batch) * fs


def _prod_jvp_x(ns, t, x, src, out, idx, include_self, batch):
    return _prod_vjp_x(ns, t, x, src, out, idx, include_self, batch)


def _prod_jvp_src(ns, t, x, src, out, idx, include_self, batch):
    fs = ns.const(_prod_factor(x, src, out, idx, include_self, "src"), t)
    return _write(ns, t * fs, idx, x, batch)


SCATTER_REDUCE_PROD = defop(
    "scatter_reduce_prod",
    _prod_fwd,
    (_prod_vjp_x, _prod_vjp_src),
    grad_fn="ScatterReduceBackward0",
    tensor_params=("idx",),
    jvp=(_prod_jvp_x, _prod_jvp_src),
    kink="a zero factor: the product of the others",
)


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
# scatter_reduce: complex values without a gradient, as PyTorch (which has no derivative
# for complex outputs: the function refuses to record one, and amax/amin refuse complex)
complex_as_is(SCATTER_REDUCE, SCATTER_REDUCE_PROD)
