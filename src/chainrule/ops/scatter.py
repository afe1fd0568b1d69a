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


# ------------------------------------------------------------------ scatter_reduce
# src reduced into x at idx by sum, prod, mean, amax or amin (x itself counted unless
# include_self=False). Its rules are linear in g (in t) with coefficients computed from
# the values (``_factors``): d out / d x = fx (elementwise), d out[idx] / d src = fs.
# PyTorch's choices: amax/amin share g evenly among every element equal to the result
# (self and src alike); prod's coefficient for the one zero of a product is the product
# of the others. The coefficients are constants to a second derivative: exact for sum,
# mean, amax and amin (piecewise linear), not for prod (d2/dx2 of a product is not 0).
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


def _factors(x, src, out, idx, reduce, include_self, want):
    """(fx, fs): d out / d x elementwise and d out[idx] / d src, on the raw arrays
    (``want``: "x" or "src", the one to compute)."""
    x, src, out = (getattr(a, "_data", a) for a in (x, src, out))
    xp = _backend.namespace(x)
    dt = x.dtype
    if include_self:
        keep = None
    else:  # where src lands, x does not count
        keep = _counts(xp, x.shape, idx, src, dt) == 0
    if reduce == "sum":
        if want == "x":
            return xp.ones(x.shape, dt) if keep is None else _backend.astype(keep, dt)
        return xp.ones(src.shape, dt)
    if reduce == "mean":
        n = _counts(xp, x.shape, idx, src, dt, 1 if include_self else 0)
        inv = 1 / xp.where(n == 0, 1, n)
        if want == "x":
            return inv if keep is None else xp.where(keep, inv, 0)
        return _backend.getitem(xp, inv, idx)
    if reduce in ("amax", "amin"):
        at = _backend.getitem(xp, out, idx)
        # (PyTorch counts x among the elements equal to the result also when it is
        # left out by include_self=False, and then gives it no share)
        on_x = x == out
        on_src = src == at
        share = _backend.astype(on_x, dt)  # how many equal the result, per position
        _backend.scatter_add(xp, share, idx, _backend.astype(on_src, dt))
        share = xp.where(share == 0, 1, share)  # (NaN results: nobody equals them)
        if want == "x":
            return xp.where(on_x if keep is None else on_x & keep, 1 / share, 0)
        return xp.where(on_src, 1 / _backend.getitem(xp, share, idx), 0)
    # prod: the product of the others, also where a factor is 0
    if want == "x":
        ones_x = xp.where(x == 0, 1, x)
        others = _reduce_fwd(xp, ones_x, src, idx=idx, reduce="prod", include_self=True)
        fx = others / ones_x
        return fx if keep is None else xp.where(keep, fx, 0)
    zero = src == 0
    nz = xp.zeros(x.shape, dt)  # zeros of src per position: a lone one gets the others'
    _backend.scatter_add(xp, nz, idx, _backend.astype(zero, dt))
    single = zero & (_backend.getitem(xp, nz, idx) == 1)
    others = _reduce_fwd(
        xp, x, xp.where(single, 1, src), idx=idx, reduce="prod", include_self=include_self
    )
    at = _backend.getitem(xp, out, idx) / xp.where(zero, 1, src)
    return xp.where(single, _backend.getitem(xp, others, idx), at)


def _reduce_vjp_x(ns, g, x, src, out, idx, reduce, include_self):
    return g * ns.const(_factors(x, src, out, idx, reduce, include_self, "x"), g)


def _reduce_vjp_src(ns, g, x, src, out, idx, reduce, include_self, x_shape, batch):
    gv = batched_getitem(ns, g, idx, len(x_shape), batch) if batch else ns.getitem(g, idx)
    return gv * ns.const(_factors(x, src, out, idx, reduce, include_self, "src"), g)


def _reduce_jvp_x(ns, t, x, src, out, idx, reduce, include_self):
    return _reduce_vjp_x(ns, t, x, src, out, idx, reduce, include_self)


def _reduce_jvp_src(ns, t, x, src, out, idx, reduce, include_self, x_shape, batch):
    tv = t * ns.const(_factors(x, src, out, idx, reduce, include_self, "src"), t)
    shape = tuple(x_shape)
    return batched_index_grad(ns, tv, idx, shape, batch) if batch else ns.index_grad(tv, idx, shape)


SCATTER_REDUCE = defop(
    "scatter_reduce",
    _reduce_fwd,
    (_reduce_vjp_x, _reduce_vjp_src),
    tensor_params=("idx",),
    jvp=(_reduce_jvp_x, _reduce_jvp_src),
    kink="amax/amin: g shared evenly by the elements equal to the result; prod: the "
    "product of the others at a zero factor",
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
