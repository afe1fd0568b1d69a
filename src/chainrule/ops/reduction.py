"""THE TABLE, part 2: reductions. Forward, vector-Jacobian and Jacobian-vector rules side
by side.

A reduction's gradient is the incoming gradient spread back over the reduced axes
(``_spread``); its tangent is the input's tangent reduced the same way, weighted by the
local derivative (``_wsum``). Ties follow PyTorch: full max/min and amax/amin share the
gradient evenly among equal values (and their tangent is the mean of the tied tangents);
max/min along a dim give it to the returned index. Both spellings d2l uses work:
``dim=``/``axis=`` and ``keepdim=``/``keepdims=``.

Gradients and tangents may carry leading batch axes (``batch``: chainrule.func pushes a
whole basis through one pass): rules count axes from the end, or put ``batch`` in front.

Forwards accumulate as PyTorch's CPU kernels do (``_sum``, ``_scan``): float16 in float32,
and float32 in float64 where NumPy would add element after element (its scans, and sums
over an axis that is not the contiguous last one); NumPy's own pairwise sum is kept where
it applies. tests/ops/test_precision.py measures every reduction and scan against float64
and against PyTorch.
"""

from __future__ import annotations

import math
from math import isfinite as _isfinite  # a Python float check: no ufunc call on one number

from .. import backend as _backend
from .._state import LinAlgError
from ..backend import astype as _astype
from ..backend import c_order, namespace
from .apply import apply
from .namespaces import array_ns
from .primitive import Primitive, alias, complex_as_is, defop
from .symbolic import is_symbolic

_INF = float("inf")


def _kshape(x_shape, dim) -> tuple:
    """x's shape with the reduced axes kept as size 1."""
    if dim is None:
        return (1,) * len(x_shape)
    return tuple(1 if i in dim else s for i, s in enumerate(x_shape))


def _lift(ns, g, x_shape, dim, keepdim, batch):
    """g with the reduced axes back as size 1: broadcastable against x (batch axes kept)."""
    if keepdim and dim is not None:
        return g
    return ns.reshape(g, batch + _kshape(x_shape, dim))


def _spread(ns, g, x_shape, dim, keepdim, batch):
    """g, reshaped to keep the reduced axes as size 1 and broadcast back to ``x_shape``."""
    if not keepdim or dim is None:  # (_lift inlined: this runs in every backward of a sum)
        g = ns.reshape(g, batch + _kshape(x_shape, dim))
    return ns.broadcast_to(g, batch + tuple(x_shape) if batch else x_shape)


def _keep(ns, v, x_shape, dim, keepdim):
    """A reduced value reshaped to keepdim form (broadcastable against x)."""
    if keepdim and dim is not None:
        return v
    return ns.reshape(v, _kshape(x_shape, dim))


def _axes(x_shape, dim) -> tuple:
    """The reduced axes counted from the end: the same axes of a tangent with batch axes."""
    n = len(x_shape)
    return tuple(range(-n, 0)) if dim is None else tuple(d - n for d in dim)


def _wsum(ns, wt, x_shape, dim, keepdim):
    """Sum of a weighted tangent over the reduced axes (a 0-d x has none to reduce)."""
    axes = _axes(x_shape, dim)
    return ns.sum(wt, axis=axes, keepdims=keepdim) if axes else wt


def _count(x_shape, dim) -> int:
    n = 1
    for i, s in enumerate(x_shape):
        if dim is None or i in dim:
            n *= s
    return n


def _per(a: float, n: int) -> float:
    """a / n, inf for n = 0 (as PyTorch: var/std of one element with correction 1 is nan)."""
    return a / n if n else float("inf")


def _like(count, ref):
    """An integer ``count`` as a divisor in ``ref``'s dtype: NumPy would widen float32 / int64
    to float64 (a Tensor needs nothing: PyTorch's promotion keeps the float dtype)."""
    return count if hasattr(count, "_data") else _backend.astype(count, ref.dtype)


# ---------------------------------------------------------------- accumulation
def _strided(x, dim) -> bool:
    """Whether NumPy adds the elements along ``dim`` one after another: unless they are the
    last axes of a C-contiguous array (there it sums pairwise)."""
    if dim[-1] != x.ndim - 1 or dim[-1] - dim[0] != len(dim) - 1:
        return True
    flags = getattr(x, "flags", None)  # (an array without flags: take the careful path)
    return flags is None or not flags.c_contiguous


def sum_dtype(xp, x, dim):
    """The dtype ``_sum`` adds ``x`` in over ``dim``, None for x's own: float16 in float32;
    float32 where NumPy would add element after element (``_strided``), in float64. It
    reads x's dtype, number of dims and C order, nothing else: the lowering of explicit
    graphs asks it of a stand-in with those, and calls NumPy's reduce itself
    (sym/lower.py)."""
    c = x.dtype.char
    if c == "e":
        return xp.float32
    if c == "f" and dim is not None and _strided(x, dim):
        return xp.float64
    return None


def _sum(xp, x, dim, keepdim):
    """x summed over ``dim`` as PyTorch's CPU kernels do: float16 accumulated in float32;
    float32 where NumPy would add element after element, in float64 (``sum_dtype``)."""
    acc = sum_dtype(xp, x, dim)
    if xp is _backend.numpy and x.dtype.kind in "fc":
        # the ufunc NumPy's x.sum calls, without its Python wrapper (as much time as the
        # adding on a batch of logits); floats only: sum widens bools and small integers
        s = xp.add.reduce(x, dim, acc, None, keepdim)
    elif hasattr(x, "sum"):  # NumPy's method (CuPy's, Dask's); the array API's xp.sum
        s = x.sum(axis=dim, dtype=acc, keepdims=keepdim)
    else:
        s = xp.sum(x, axis=dim, dtype=acc, keepdims=keepdim)
    return s if acc is None else _astype(s, x.dtype)


def _scan(scan, xp, x, dim):
    """cumsum or cumprod accumulated as PyTorch's CPU kernels do: float16 in float32, float32
    in float64 (NumPy's scans go element after element in the input's dtype)."""
    c = x.dtype.char
    if c == "e" or c == "f":
        s = scan(x, axis=dim, dtype=xp.float32 if c == "e" else xp.float64)
        return _backend.astype(s, x.dtype)
    return scan(x, axis=dim)


def _in_float32(fwd):
    """A forward that computes a float16 input in float32 and rounds the result once (as
    PyTorch's CPU kernels do for half: squares and exponentials would overflow or lose
    digits in float16)."""

    def run(xp, x, **params):
        if x.dtype.char == "e":
            return fwd(xp, x.astype(xp.float32), **params).astype(x.dtype)
        return fwd(xp, x, **params)

    run.__name__ = run.__qualname__ = fwd.__name__
    run.__doc__ = fwd.__doc__
    run.__wrapped__ = fwd
    return run


SUM = defop(
    "sum",
    lambda xp, x, *, dim, keepdim: c_order(_sum(xp, x, dim, keepdim)),
    lambda ns, g, x_shape, dim, keepdim, batch: _spread(ns, g, x_shape, dim, keepdim, batch),
    jvp=lambda ns, t, x_shape, dim, keepdim: _wsum(ns, t, x_shape, dim, keepdim),
)


def _mean(xp, x, dim, keepdim):
    if x.size == 0:  # nan, as PyTorch, without NumPy's "Mean of empty slice" warning
        return xp.sum(x, axis=dim, keepdims=keepdim) / 0
    if x.dtype.itemsize >= 4:
        # the sum and division x.mean() does (its pairwise sum too), without its Python
        # wrapper, which costs more than the arithmetic on a batch of losses; float32 over
        # a strided axis sums in float64 (``_sum``)
        if dim is not None and x.dtype.char == "f" and _strided(x, dim):
            s = xp.sum(x, axis=dim, dtype=xp.float64, keepdims=keepdim)
            return _backend.astype(s / _count(x.shape, dim), x.dtype)
        return xp.add.reduce(x, axis=dim, keepdims=keepdim) / _count(x.shape, dim)
    return x.mean(axis=dim, keepdims=keepdim)  # float16: NumPy's mean sums in float32


def _mean_vjp(ns, g, x_shape, dim, keepdim, batch):
    # divided before it is spread: one pass over the reduced gradient, not over x's shape
    # (an empty x has nothing to divide)
    n = _count(x_shape, dim)
    return _spread(ns, g / n if n else g, x_shape, dim, keepdim, batch)


SUM_DIM = alias(SUM, "sum_dim", grad_fn="SumBackward1")  # PyTorch's sum(dim=...) overload
MEAN = defop(
    "mean",
    lambda xp, x, *, dim, keepdim: c_order(_mean(xp, x, dim, keepdim)),
    lambda ns, g, x_shape, dim, keepdim, batch: _mean_vjp(ns, g, x_shape, dim, keepdim, batch),
    jvp=lambda ns, t, x_shape, dim, keepdim: (
        _wsum(ns, t, x_shape, dim, keepdim) / _count(x_shape, dim)
    ),
)

MEAN_DIM = alias(MEAN, "mean_dim", grad_fn="MeanBackward1")


def _centered(ns, x, dim):
    """x minus its mean over dim: the forward's own mean (``_mean``) on arrays as on Tensors
    (whose ``ns.mean`` is MEAN), so that a constant row is centered to exact zeros."""
    xp = getattr(ns, "xp", None)  # ArrayNS holds its array module; TensorNS has none
    m = ns.mean(x, axis=dim, keepdims=True) if xp is None else _mean(xp, x, dim, True)
    return x - m


_WIDER = {"e": "float32", "f": "float64"}


def _dof(x_shape, dim, correction):
    """Degrees of freedom n - correction, at least 0 (PyTorch: var is inf or nan there)."""
    n = _count(x_shape, dim) - correction
    return n if n > 0 else 0


def _variance(xp, x, dim, correction, keepdim):
    # two passes, as the rules see it: the mean (accumulated as PyTorch does), then the
    # squares of the centered values
    c = _centered(array_ns(xp), x, dim)
    return _sum(xp, c * c, dim, keepdim) / _dof(x.shape, dim, correction)


def _var_fwd(xp, x, *, dim, correction, keepdim):
    # in the dtype PyTorch accumulates in (float16 in float32, float32 in float64: squares
    # that would overflow stay finite), rounded once
    w = _WIDER.get(x.dtype.char)
    if w is None:
        return _variance(xp, x, dim, correction, keepdim)
    return _backend.astype(_variance(xp, _backend.astype(x, w), dim, correction, keepdim), x.dtype)


def _std_fwd(xp, x, *, dim, correction, keepdim):
    w = _WIDER.get(x.dtype.char)
    if w is None:
        return xp.sqrt(_variance(xp, x, dim, correction, keepdim))
    v = _variance(xp, _backend.astype(x, w), dim, correction, keepdim)
    return _backend.astype(xp.sqrt(v), x.dtype)


def _var_vjp(ns, g, x, dim, correction, keepdim, batch):
    scale = _per(2.0, _dof(x.shape, dim, correction))
    return _spread(ns, g, x.shape, dim, keepdim, batch) * _centered(ns, x, dim) * scale


def _var_jvp(ns, t, x, dim, correction, keepdim):
    scale = _per(2.0, _dof(x.shape, dim, correction))
    return _wsum(ns, _centered(ns, x, dim) * t, x.shape, dim, keepdim) * scale


def _std_vjp(ns, g, x, out, dim, correction, keepdim, batch):
    # 0 where the std is 0 (PyTorch's subgradient: a constant row), not 0 / 0
    # (selected, not multiplied by a 0/1 mask: an inf or NaN g still gives 0 there)
    n = _dof(x.shape, dim, correction)
    kept = _keep(ns, out, x.shape, dim, keepdim)
    r = _spread(ns, g, x.shape, dim, keepdim, batch) * _centered(ns, x, dim)
    r = r / (_nonzero(ns, kept) * n)
    return ns.where(kept == 0, 0.0, r)


def _std_jvp(ns, t, x, out, dim, correction, keepdim):
    n = _dof(x.shape, dim, correction)
    return _wsum(ns, _centered(ns, x, dim) * t, x.shape, dim, keepdim) / (_nonzero(ns, out) * n)


VAR = defop("var", _var_fwd, _var_vjp, jvp=_var_jvp)
STD = defop(
    "std",
    _std_fwd,
    _std_vjp,
    jvp=_std_jvp,
    kink="0 where the std is 0 (a constant row; PyTorch's subgradient)",
)


def _prod_grad(ns, x, dim):
    """d prod / d x_i = the product of the other elements (of x's shape)."""
    if dim is None:
        return ns.reshape(_prod_others(ns, ns.reshape(x, (-1,)), 0), x.shape)
    return _prod_others(ns, x, dim[0])


# ``out`` is not read: naming it saves it, so that an in-place change of the result before
# backward is refused, as PyTorch's ProdBackward saves its result
def _prod_vjp(ns, g, x, out, dim, keepdim, batch):
    # PyTorch's cases: a 0-d x or a dim of size 1 passes g on; over all elements, two
    # zeros or more give zeros (g never multiplies them: no NaN from an inf g), except
    # under create_graph, where PyTorch always takes the twice-differentiable product rule
    if dim is None:
        if not x.shape:
            return g
        d = getattr(x, "_data", x)
        if _backend.lazy(d):  # (values unknown: the product rule, its two-zeros case a where)
            r = _lift(ns, g, x.shape, dim, keepdim, batch) * _prod_grad(ns, x, dim)
            return r if ns.graph else ns.where(ns.sum(d == 0) > 1, 0.0, r)
        if not is_symbolic(x):  # (a graph cannot count its zeros: the product rule, which
            zeros = int(ns.sum(x == 0))  # create_graph takes, gives the same values)
            if math.prod(x.shape) == 1 and zeros:  # the one zero: g as it is
                return _spread(ns, g, x.shape, dim, keepdim, batch)
            if not ns.graph and zeros > 1:
                return ns.zeros_like(_spread(ns, g, x.shape, dim, keepdim, batch))
        # g times the others, broadcast (no separate spread pass)
        return _lift(ns, g, x.shape, dim, keepdim, batch) * _prod_grad(ns, x, dim)
    if x.shape[dim[0]] == 1:
        return _spread(ns, g, x.shape, dim, keepdim, batch)
    return _spread(ns, g, x.shape, dim, keepdim, batch) * _prod_grad(ns, x, dim)


def _prod_others(ns, x, d):
    # exclusive cumulative products from both sides: exact also where x has zeros
    # (g * out / x is not)
    ones = ns.ones_like(ns.getitem(x, (slice(None),) * d + (slice(0, 1),)))
    n = x.shape[d]
    head = ns.getitem(x, (slice(None),) * d + (slice(0, n - 1),))
    tail = ns.getitem(x, (slice(None),) * d + (slice(1, n),))
    left = ns.cumprod(ns.concatenate([ones, head], axis=d), axis=d)
    right = ns.flip(ns.cumprod(ns.flip(ns.concatenate([tail, ones], axis=d), (d,)), axis=d), (d,))
    return left * right


def _prod_fwd(xp, x, *, dim, keepdim):
    if x.dtype.char == "e":  # float16 multiplied in float32, as PyTorch
        return xp.prod(x, axis=dim, keepdims=keepdim, dtype=xp.float32).astype(x.dtype)
    return xp.prod(x, axis=dim, keepdims=keepdim)


PROD = defop(
    "prod",
    _prod_fwd,
    _prod_vjp,
    jvp=lambda ns, t, x, dim, keepdim: _wsum(ns, _prod_grad(ns, x, dim) * t, x.shape, dim, keepdim),
)
PROD_DIM = alias(PROD, "prod_dim", grad_fn="ProdBackward1")  # PyTorch's prod(dim=...)


def _logsumexp_fwd(xp, x, *, dim, keepdim):
    """log(sum(exp(x))) over dim, each row shifted by its max (no overflow)."""
    # ufunc reductions, not xp.max / xp.sum: their Python wrappers cost more than the
    # arithmetic on a batch of logits (so does a decorator's frame: float16 by hand)
    if x.dtype.char == "e":  # computed in float32, rounded once (as _in_float32)
        return _logsumexp_fwd(xp, x.astype(xp.float32), dim=dim, keepdim=keepdim).astype(x.dtype)
    m = _backend.max_keepdims(xp, x, dim)  # empty dims: -inf
    if m.size and not _backend.lazy(m) and _isfinite(xp.add.reduce(m, axis=None)):
        # every shift finite (one sum tells: inf or nan anywhere makes it non-finite, and
        # a finite sum that overflows only takes the careful path): each row's sum
        # holds its max's exp(0) = 1, so the log needs no guard (a Dask array, whose
        # values are unknown until computed, takes the careful path)
        r = xp.log(_sum(xp, xp.exp(x - m), dim, True)) + m
    else:
        finite = xp.isfinite(m)
        m = xp.where(finite, m, 0)  # all -inf (or inf) rows: shift by 0
        s = _sum(xp, xp.exp(x - m), dim, True)
        with _backend.quiet(xp):  # log(0) = -inf, as PyTorch, without a warning
            r = xp.log(s) + m
    return r if keepdim else xp.squeeze(r, axis=dim)


def _softmax(ns, x, out, dim, keepdim):
    """d logsumexp / d x: the softmax weights exp(x - lse)."""
    return ns.exp(x - _keep(ns, out, x.shape, dim, keepdim))


@_in_float32
def _log_softmax_fwd(xp, x, *, dim):
    # x - max - log(sum(exp(x - max))): the shifted logits keep their digits (x - lse would
    # round them to the ulp of a large lse); a row holding inf or only -inf gives NaN, as
    # in PyTorch
    d = (dim,) if x.ndim else None
    s = x - _backend.max_keepdims(xp, x, d)
    return c_order(s - xp.log(_sum(xp, xp.exp(s), d, True)))


@_in_float32
def _softmax_fwd(xp, x, *, dim):
    d = (dim,) if x.ndim else None
    e = xp.exp(x - _backend.max_keepdims(xp, x, d))
    return c_order(e / _sum(xp, e, d, True))


def _over(ns, v, out, dim):
    """v summed over the softmax dim (counted from the end: batch axes ride in front); a 0-d
    softmax has a dim of one element: v itself."""
    return ns.sum(v, axis=dim - out.ndim, keepdims=True) if out.ndim else v


def _log_softmax_vjp(ns, g, out, dim):
    # g - softmax * sum(g)
    return g - ns.exp(out) * _over(ns, g, out, dim)


def _softmax_vjp(ns, g, out, dim):
    # softmax * (g - sum(g * softmax))
    return out * (g - _over(ns, g * out, out, dim))


def _log_softmax_jvp(ns, t, out, dim):
    # t - sum(softmax * t)
    return t - _over(ns, ns.exp(out) * t, out, dim)


LOG_SOFTMAX = defop(
    "log_softmax",
    _log_softmax_fwd,  # its own rule for stability and precision
    _log_softmax_vjp,
    jvp=_log_softmax_jvp,
)
SOFTMAX = defop(
    "softmax",
    _softmax_fwd,  # its own rule for stability and precision
    _softmax_vjp,
    jvp=lambda ns, t, out, dim: _softmax_vjp(ns, t, out, dim),  # a symmetric Jacobian
)

LOGSUMEXP = defop(
    "logsumexp",
    _logsumexp_fwd,  # its own rule for stability
    # g only reshaped, not spread: the product broadcasts it
    lambda ns, g, x, out, dim, keepdim, batch: (
        _lift(ns, g, x.shape, dim, keepdim, batch) * _softmax(ns, x, out, dim, keepdim)
    ),
    to_float=True,
    jvp=lambda ns, t, x, out, dim, keepdim: _wsum(
        ns, _softmax(ns, x, out, dim, keepdim) * t, x.shape, dim, keepdim
    ),
)


def _even_vjp(ns, g, x, out, dim, keepdim, batch):
    # ties share the gradient evenly
    mask = x == _keep(ns, out, x.shape, dim, keepdim)
    count = _like(ns.sum(mask, axis=dim, keepdims=True), x)
    return _spread(ns, g, x.shape, dim, keepdim, batch) * _like(mask, x) / count


def _even_jvp(ns, t, x, out, dim, keepdim):
    # the mean of the tied elements' tangents (PyTorch's rule; the adjoint of _even_vjp)
    mask = x == _keep(ns, out, x.shape, dim, keepdim)
    count = _like(ns.sum(mask, axis=dim, keepdims=keepdim), x)
    return _wsum(ns, t * _like(mask, x), x.shape, dim, keepdim) / count


def _even_all_vjp(ns, g, x, out, dim, keepdim, batch):
    # ties share the gradient evenly; a NaN maximum (minimum) is tied with every NaN. The
    # ties are selected, not masked by multiplying, as PyTorch's max()/min() (an inf or NaN
    # gradient stays off the others; amax/amin multiply, as PyTorch's do)
    if is_symbolic(out) or _backend.lazy(out):  # (a graph, a Dask array: the NaN case is
        # a node too, not a Python branch)
        mask = ns.where(out != out, x != x, x == _keep(ns, out, x.shape, dim, keepdim))
    else:
        mask = x != x if out != out else x == _keep(ns, out, x.shape, dim, keepdim)
    count = _like(ns.sum(mask, axis=dim, keepdims=True), x)
    return ns.where(mask, _spread(ns, g, x.shape, dim, keepdim, batch) / count, 0.0)


_EVEN = "tied maxima (minima) share the gradient evenly"
AMAX = defop(
    "amax",
    lambda xp, x, *, dim, keepdim: xp.max(x, axis=dim, keepdims=keepdim),
    _even_vjp,
    jvp=_even_jvp,
    kink=_EVEN,
)
AMIN = defop(
    "amin",
    lambda xp, x, *, dim, keepdim: xp.min(x, axis=dim, keepdims=keepdim),
    _even_vjp,
    jvp=_even_jvp,
    kink=_EVEN,
)
MAX_ALL = defop(
    "max_all",
    lambda xp, x, *, dim, keepdim: xp.max(x),
    _even_all_vjp,
    grad_fn="MaxBackward1",
    jvp=_even_jvp,
    kink=_EVEN,
)
MIN_ALL = defop(
    "min_all",
    lambda xp, x, *, dim, keepdim: xp.min(x),
    _even_all_vjp,
    grad_fn="MinBackward1",
    jvp=_even_jvp,
    kink=_EVEN,
)


# A 0-d x has one element, its own maximum (idx a 0-d zero): the value and its gradient
# pass through, as in PyTorch (MaxBackward0, which saves the index only).
def _select_fwd(xp, x, *, idx, dim, keepdim):
    if idx.ndim == 0:
        return xp.array(x, copy=True)
    v = xp.take_along_axis(x, idx, axis=dim)
    return v if keepdim else xp.squeeze(v, axis=dim)


def _batched_idx(idx, batch):
    """The index array repeated over leading batch axes (take/put along then line up)."""
    return namespace(idx).broadcast_to(idx, batch + idx.shape)


def _select_vjp(ns, g, x_shape, idx, dim, keepdim, batch):
    # the selected index alone gets the gradient
    if idx.ndim == 0:
        return g
    nb = len(batch)
    if not keepdim:
        g = ns.expand_dims(g, dim + nb)
    if nb:
        return ns.put_along(g, _batched_idx(idx, batch), dim + nb, batch + tuple(x_shape))
    return ns.put_along(g, idx, dim, x_shape)


def _select_jvp(ns, t, out, idx, dim, keepdim, batch):
    # the tangent of the selected element
    if idx.ndim == 0:
        return t
    if batch:
        idx = _batched_idx(idx, batch)
    v = ns.take_along(t, idx, dim + len(batch))
    return v if keepdim else ns.reshape(v, batch + tuple(out.shape))


MAX_DIM = defop(
    "max_dim",
    _select_fwd,
    _select_vjp,
    grad_fn="MaxBackward0",
    jvp=_select_jvp,
    tensor_params=("idx",),
    kink="the returned index gets the whole gradient",
)
MIN_DIM = alias(MAX_DIM, "min_dim", grad_fn="MinBackward0")  # the index comes from argmin
KTHVALUE = alias(MAX_DIM, "kthvalue", grad_fn="KthvalueBackward0")  # the index: the k-th


def _reverse_cumsum(ns, g, d):
    return ns.flip(ns.cumsum(ns.flip(g, (d,)), axis=d), (d,))


CUMSUM = defop(
    "cumsum",
    lambda xp, x, *, dim: c_order(_scan(xp.cumsum, xp, x, dim)),
    lambda ns, g, dim, batch: _reverse_cumsum(ns, g, dim + len(batch)),
    jvp=lambda ns, t, dim, batch: ns.cumsum(t, axis=dim + len(batch)),
)


def _at(lead, a, b):
    """Index of positions a..b-1 along the axis that has ``lead`` axes before it."""
    return (slice(None),) * lead + (slice(a, b),)


def _cumprod_without(ns, x, dim, i):
    """cumprod of x along dim with x_i replaced by 1: d out_j / d x_i for j >= i."""
    n = x.shape[dim]
    ones = ns.ones_like(ns.getitem(x, _at(dim, i, i + 1)))
    parts = [ns.getitem(x, _at(dim, 0, i)), ones, ns.getitem(x, _at(dim, i + 1, n))]
    return ns.cumprod(ns.concatenate(parts, axis=dim), axis=dim)


def _cumprod_fwd(xp, x, *, dim):
    if x.ndim == 0:  # a 0-d tensor is its own cumulative product
        return xp.array(x, copy=True)
    return c_order(_scan(xp.cumprod, xp, x, dim))


def _cumprod_vjp(ns, g, x, out, dim, batch):
    # sum_{j >= i} g_j * out_j / x_i where x has no zeros; with zeros, PyTorch's two rules.
    # Recorded (create_graph): the exact products of the others, quadratic in the length
    # of ``dim`` and differentiable again. Not recorded: linear, for a slice whose first
    # zero is at k, the sum above over j < k only before k; at k, out_{k-1} times the sum of
    # g_j * x_{k+1} ... x_j over k <= j < the next zero; 0 after k. It leaves out the terms
    # a zero makes exactly 0, so an infinite g there gives no NaN (the recorded rule's does,
    # as PyTorch's).
    if x.ndim == 0 or x.shape[dim] == 1 or not math.prod(x.shape):  # PyTorch: g as it is
        return g
    lead = len(batch) + dim  # dim of g (and of the result)
    # A graph cannot look for zeros before it picks a formula: it takes the exact rule, as
    # create_graph does, differentiable again; but where a term g_j * (the others) is not
    # finite though the others hold a zero of x (an infinite g meets a zero), the term is
    # 0, the value the first-order rule gives without create_graph (it leaves such terms
    # out): a graph's gradient is eager's, not NaN. The choice is a node (where), taken at
    # evaluation; a finite term keeps its exact value and derivative.
    # A lazy x (Dask) cannot be looked at either: recorded, it takes the exact rule (the
    # CPU's with zeros); not recorded, the linear rule below, which is the no-zeros formula
    # term for term on a slice without zeros, so it gives the CPU's values in both cases
    # (per element, not per block: Dask's cumsum crosses its chunks as it does in forward)
    symbolic = is_symbolic(x)
    lazy = _backend.lazy(getattr(x, "_data", x))
    if not symbolic and not lazy and not _backend.any_true(x == 0):
        return _reverse_cumsum(ns, g * out, lead) / x
    n = x.shape[dim]
    if hasattr(x, "_data"):
        if symbolic:
            zero = x == 0
            seen = ns.cumsum(zero, axis=dim)  # zeros up to and including each position
        total = []
        for i in range(n):
            cp = ns.getitem(_cumprod_without(ns, x, dim, i), _at(dim, i, n))
            term = ns.getitem(g, _at(lead, i, n)) * cp
            if symbolic:  # the zeros among x_k, k <= j, k != i: cp_ij holds a zero
                held = ns.getitem(seen, _at(dim, i, n)) > ns.getitem(zero, _at(dim, i, i + 1))
                term = ns.where(held & ~term.isfinite(), 0.0, term)
            total.append(ns.sum(term, axis=lead, keepdims=True))
        return ns.concatenate(total, axis=lead)
    zero = x == 0
    seen = ns.cumsum(zero, axis=dim)  # zeros up to and including each position
    before, run = seen == 0, seen == 1
    first = zero & run
    head = _reverse_cumsum(ns, ns.where(before, g * out, 0.0), lead) / ns.where(before, x, 1.0)
    prefix = ns.getitem(ns.cumprod(ns.where(before, x, 1.0), axis=dim), _at(dim, n - 1, n))
    tail = ns.cumprod(ns.where(run & ~first, x, 1.0), axis=dim)  # x_{k+1} ... x_j
    at_k = prefix * ns.sum(ns.where(run, g * tail, 0.0), axis=lead, keepdims=True)
    return ns.where(before, head, ns.where(first, at_k, 0.0))


def _cumprod_jvp(ns, t, x, out, dim, batch):
    # out_j * cumsum(t / x)_j where x has no zeros; else, exactly, the sum over i of
    # t_i times the product of the x_k, k <= j, k != i (for j >= i)
    if x.ndim == 0:
        return t
    lead = len(batch) + dim  # dim of t (and of the tangent)
    # (a graph's or a Dask array's zeros are unknown: the exact sum, quadratic in the
    # length of dim, which is the CPU's rule where x has zeros)
    lazy = is_symbolic(x) or _backend.lazy(getattr(x, "_data", x))
    if not lazy and not _backend.any_true(x == 0):
        return out * ns.cumsum(t / x, axis=lead)
    n = x.shape[dim]
    total = None
    for i in range(n):
        cp = ns.getitem(_cumprod_without(ns, x, dim, i), _at(dim, i, n))
        share = ns.getitem(t, _at(lead, i, i + 1)) * cp
        if i:
            zeros = ns.zeros_like(ns.getitem(t, _at(lead, 0, i)))
            share = ns.concatenate([zeros, share], axis=lead)
        total = share if total is None else total + share
    return total


CUMPROD = defop(
    "cumprod",
    _cumprod_fwd,
    _cumprod_vjp,
    jvp=_cumprod_jvp,
)


@_in_float32
def _norm2_fwd(xp, x, *, dim, keepdim):
    if dim is None and not keepdim:
        return _norm_all_fwd(xp, x)
    return xp.sqrt(_sum(xp, x * x, dim, keepdim))


def _nonzero(ns, r):
    """A norm as a divisor: inf where it is 0, so that the derivative there is 0 (PyTorch's
    subgradient at the origin, not 0/0)."""
    return ns.where(r == 0, float("inf"), r)


_ORIGIN = "0 at the origin (PyTorch's subgradient)"


NORM2 = defop(
    "norm2",
    _norm2_fwd,  # its own rule: PyTorch's subgradient 0 at the origin
    lambda ns, g, x, out, dim, keepdim, batch: (
        _spread(ns, g, x.shape, dim, keepdim, batch)
        * x
        / _nonzero(ns, _keep(ns, out, x.shape, dim, keepdim))
    ),
    grad_fn="LinalgVectorNormBackward0",
    to_float=True,
    jvp=lambda ns, t, x, out, dim, keepdim: (
        _wsum(ns, x * t, x.shape, dim, keepdim) / _nonzero(ns, out)
    ),
    kink=_ORIGIN,
)


@_in_float32
def _norm_p_fwd(xp, x, *, p, dim, keepdim):
    a = xp.abs(x)
    if p == _INF:
        return xp.max(a, axis=dim, keepdims=keepdim)
    if p == -_INF:
        return xp.min(a, axis=dim, keepdims=keepdim)
    if p == 0:  # the number of non-zero entries
        return _sum(xp, _backend.astype(x != 0, x.dtype), dim, keepdim)
    if p == 1:
        return _sum(xp, a, dim, keepdim)
    return _sum(xp, a**p, dim, keepdim) ** (1.0 / p)


def _norm_p_grad(ns, x, out, p, dim, keepdim):
    """d ||x||_p / dx = sign(x) (|x| / ||x||)^(p-1), with PyTorch's subgradients: 0 at zero
    entries (where p < 1 would give inf) and where the norm is 0; ties of the inf-norm
    (-inf: the smallest) share evenly; the 0-"norm" (a count) has none."""
    if p == 0:
        return ns.zeros_like(x)
    if p == 1:  # PyTorch's sgn: 0 at NaN too
        return ns.where(x == x, ns.sign(x), 0.0)
    r = _keep(ns, out, x.shape, dim, keepdim)
    if p == _INF or p == -_INF:  # (no tie where the norm is NaN: 0, as PyTorch)
        tie = ns.abs(x) == r
        count = ns.maximum(ns.sum(tie, axis=dim, keepdims=True), 1)
        return ns.where(x == x, ns.sign(x), 0.0) * _like(tie, x) / _like(count, x)
    x0, r0 = x == 0, r == 0
    q = ns.abs(ns.where(x0, 1.0, x)) / ns.where(r0, 1.0, r)  # no 0 / 0, no 0 ** -k
    return ns.where(x0, 0.0, ns.sign(x) * ns.where(r0, 0.0, q ** (p - 1)))


NORM_P = defop(
    "norm_p",
    _norm_p_fwd,  # the p-norms but 2 (which has NORM2): one rule for their subgradients
    lambda ns, g, x, out, p, dim, keepdim, batch: (
        _lift(ns, g, x.shape, dim, keepdim, batch) * _norm_p_grad(ns, x, out, p, dim, keepdim)
    ),
    grad_fn="LinalgVectorNormBackward0",
    to_float=True,
    jvp=lambda ns, t, x, out, p, dim, keepdim: _wsum(
        ns, _norm_p_grad(ns, x, out, p, dim, keepdim) * t, x.shape, dim, keepdim
    ),
    kink="0 at zero entries and where the norm is 0; inf-norm ties share evenly",
)


_SVD_NAN = (
    "linalg.svd: The algorithm failed to converge because the input matrix contained "
    "non-finite values."
)


def _finite_matrices(ns, x):
    """(x, None) when every matrix of x is finite; else x with each matrix that holds an
    inf zeroed, and the mask of those matrices (LAPACK never returns on inf: PyTorch's
    answer there is NaN). A NaN is refused with PyTorch's error. Arrays or Tensors. A lazy
    x (Dask) cannot be looked at: every matrix takes the masked path (the same values), and
    the NaN check is a task on the mask, run when it is computed."""
    d = getattr(x, "_data", x)  # (arrays, or Tensors in a rule)
    if _backend.lazy(d):
        xp = namespace(d)
        nan = _backend.checked(_matrix_any(xp, d != d), _svd_nan_error, tuple(d.shape[:-2]))
        bad = _matrix_any(xp, ~(d * 0 == 0)) | nan  # (nan is False: it carries the check)
        bad = bad if d is x else ns.const(bad, x)  # (ns: a module, or a rule's namespace)
        return ns.where(bad, 0.0, x), bad
    ok = x * 0 == 0  # False at inf and nan
    if _backend.all_true(ok):
        return x, None
    if _backend.any_true(x != x):
        _backend.checked(_matrix_any(namespace(d), d != d), _svd_nan_error, tuple(d.shape[:-2]))
    bad = ns.sum(~ok, axis=(-2, -1), keepdims=True) > 0
    return ns.where(bad, 0.0, x), bad


def _matrix_any(xp, m):
    """Per matrix of m (..., r, c): whether any of its elements is true, as (..., 1, 1)."""
    return xp.any(m, axis=(-2, -1), keepdims=True)


def _svd_nan_error(nan, start, batch: tuple):
    """svd's error for the first matrix marked in ``nan`` (a block of per-matrix flags,
    (..., 1, 1), at ``start`` of a batch of shape ``batch``), or None when none is."""
    if not _backend.any_true(nan):
        return None
    xp = namespace(nan)
    local = int(xp.argmax(_astype(_backend.reshape(nan, (-1,)), xp.int8)))
    pre = f"(Batch element {_batch_index(nan.shape[:-2], start, local, batch)}): " if batch else ""
    return LinAlgError(_SVD_NAN.replace("linalg.svd: ", "linalg.svd: " + pre, 1))


def _batch_index(shape: tuple, start: tuple, local: int, batch: tuple) -> int:
    """The flat index in a batch of shape ``batch`` of the ``local``-th (flat) element of a
    block of it of shape ``shape`` whose first element is at ``start`` (a check's block,
    chainrule.backend.checked, naming "(Batch element k)" as the CPU does)."""
    idx = []
    for n in reversed(tuple(shape)[: len(batch)]):
        idx.append(local % n)
        local //= n
    flat = 0
    for s, i, n in zip(start[: len(batch)], reversed(idx), batch, strict=True):
        flat = flat * n + s + i
    return flat


def _svdvals_fwd(xp, x):
    x, bad = _finite_matrices(xp, x)
    s = xp.linalg.svd(x, compute_uv=False)
    return s if bad is None else xp.where(bad[..., 0], xp.nan, s)


def _no_second_order():
    raise NotImplementedError(
        "chainrule has no second derivative through singular values (matrix 2-norm, "
        "nuclear norm) yet"
    )


def _svdvals_tangent_fwd(xp, t, x):
    x, bad = _finite_matrices(xp, x)
    u, _, vh = xp.linalg.svd(x, full_matrices=False)
    r = xp.sum(u * (t @ xp.swapaxes(vh, -1, -2)), axis=-2)  # u_i^T t v_i for each i
    return r if bad is None else xp.where(bad[..., 0], xp.nan, r)


def _svdvals_vjp(ns, g, x):
    # d sigma_i = u_i^T dA v_i: the adjoint is U diag(g) V^T (distinct singular values);
    # NaN for a matrix holding inf (never handed to LAPACK; a graph, which cannot look,
    # hands it on: its evaluation refuses it there)
    x, bad = (x, None) if is_symbolic(x) else _finite_matrices(ns, x)
    u, vh = ns.singular_vectors(x)
    r = ns.matmul(u * ns.expand_dims(g, -2), vh)
    return r if bad is None else ns.where(bad, float("nan"), r)


# The tangent of svdvals as an op of its own (outside the registry, like an autograd
# Function's): linear in t, with the same adjoint as svdvals; not differentiable in x, so
# reverse over forward raises instead of treating the singular vectors as constants.
_SVDVALS_TANGENT = Primitive(
    "svdvals_tangent",
    _svdvals_tangent_fwd,
    vjp=(_svdvals_vjp, lambda g: _no_second_order()),
    jvp=(lambda t, x: apply(_SVDVALS_TANGENT, t, x), lambda t: _no_second_order()),
    grad_fn="LinalgSvdJvpBackward0",
)

SVDVALS = defop(
    "svdvals",
    _svdvals_fwd,
    _svdvals_vjp,
    grad_fn="LinalgSvdBackward0",
    jvp=lambda t, x: apply(_SVDVALS_TANGENT, t, x),
    kink="distinct singular values assumed (at a tie the rule is one of many)",
)


def _norm_all_fwd(xp, x):
    if x.ndim == 0:
        return xp.abs(x)  # the norm of a number is its absolute value
    if x.dtype.char == "e":  # float16 squared and summed in float32 (as PyTorch)
        return _norm_all_fwd(xp, x.astype(xp.float32)).astype(x.dtype)
    return xp.sqrt(xp.vdot(x, x))  # one BLAS call


def _norm_all_vjp(ns, g, x, out, batch):
    if batch:  # g's entries would line up with x's last axes otherwise
        g = ns.reshape(g, batch + (1,) * x.ndim)
    return g * x / _nonzero(ns, out)


NORM_ALL = defop(  # x.norm() over all elements: no parameters to carry (the common call)
    "norm_all",
    _norm_all_fwd,
    _norm_all_vjp,
    grad_fn="LinalgVectorNormBackward0",
    to_float=True,
    jvp=lambda ns, t, x, out: _wsum(ns, x * t, x.shape, None, False) / _nonzero(ns, out),
    kink=_ORIGIN,
)


# ---------------------------------------------------------------- truth queries
# Whether any / all elements are true (non-zero), and how many are: bool results (uint8
# for a uint8 input, as PyTorch), int64 counts, and no derivative (PyTorch's are not
# differentiable). The eager functions run these forwards on the data; an explicit graph
# (chainrule.sym) holds them as nodes.
def _truth_fwd(xp, name, x, dim, keepdim):
    r = xp.asarray(getattr(xp, name)(x, axis=dim, keepdims=keepdim))
    return _astype(r, "uint8") if x.dtype.name == "uint8" else r


ANY = defop("any", lambda xp, x, *, dim, keepdim: _truth_fwd(xp, "any", x, dim, keepdim))
ALL = defop("all", lambda xp, x, *, dim, keepdim: _truth_fwd(xp, "all", x, dim, keepdim))
COUNT_NONZERO = defop(
    "count_nonzero",
    lambda xp, x, *, dim: _astype(xp.asarray(xp.count_nonzero(x, axis=dim)), "int64"),
)


# complex values pass through sums as they are (ops.primitive: rules real-linear in g)
complex_as_is(SUM, SUM_DIM, MEAN, MEAN_DIM, CUMSUM)
complex_as_is(ANY, ALL, COUNT_NONZERO)  # (a complex number is true where it is not 0)
