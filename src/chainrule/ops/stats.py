"""THE TABLE, part 12: statistics. The ones with rules of their own: nansum, median,
nanmedian, mode, cummax, cummin, logcumsumexp.

The rest of chainrule's statistics (nanmean, quantile, cov, corrcoef, cdist, diff,
renorm, aminmax) are composites of other rows (``chainrule.functions.statistics``); these
need a row for PyTorch's choices:

- nansum: PyTorch's node name, NansumBackward0 (the rule: 1 where x is not NaN);
- median and nanmedian of all elements: PyTorch's ``evenly_distribute_backward`` (tied
  elements share the gradient; a NaN result gives it to the NaNs), the rule of max();
- median, nanmedian and mode along a dim, cummax and cummin: the gradient goes to the
  returned indices (a scan's repeated index adds up), the rule of max(dim), reused here
  under PyTorch's node names;
- logcumsumexp: a stable forward (``logaddexp`` scanned, no overflow or underflow of exp)
  and a stable rule: d out_i / d x_j = exp(x_j - out_i) for j <= i, an exponent <= 0.
"""

from __future__ import annotations

import math

from .. import backend as _backend
from ..backend import c_order
from .primitive import alias, defop
from .reduction import MAX_DIM, _even_all_vjp, _even_jvp, _spread, _sum, _wsum


# ------------------------------------------------------------------ nansum
# sum with NaN read as 0: a row for PyTorch's node name (NansumBackward0) where a learner
# sees it; the gradient is 1 where x is not NaN, 0 where it is (selected, as PyTorch's)
def _nansum(xp, x, *, dim, keepdim):
    return c_order(_sum(xp, xp.where(x != x, xp.zeros_like(x), x), dim, keepdim))


NANSUM = defop(
    "nansum",
    _nansum,
    lambda ns, g, x, dim, keepdim, batch: ns.where(
        x != x, 0.0, _spread(ns, g, x.shape, dim, keepdim, batch)
    ),
    jvp=lambda ns, t, x, dim, keepdim: _wsum(ns, ns.where(x != x, 0.0, t), x.shape, dim, keepdim),
    kink="0 where x is NaN",
)


# ------------------------------------------------------------------ median of everything


def _median_all(xp, x, *, dim, keepdim):
    # the lower of the two middle values; NaN if any element is NaN (PyTorch's median).
    # Selections, no Python branch on values: a lazy (Dask) array stays lazy
    flat = xp.reshape(x, (-1,))
    n = flat.shape[0]
    if n == 0:
        return xp.asarray(math.nan, dtype=x.dtype)
    mid = xp.sort(flat)[(n - 1) // 2]
    if x.dtype.kind not in "fc":
        return mid
    return xp.where(xp.any(flat != flat), xp.asarray(math.nan, dtype=x.dtype), mid)


def _nanmedian_all(xp, x, *, dim, keepdim):
    # the lower median of the values that are not NaN (sorted first; NaN if there are none)
    if x.dtype.kind not in "fc":
        return _median_all(xp, x, dim=dim, keepdim=keepdim)
    flat = xp.reshape(x, (-1,))
    n = flat.shape[0]
    if n == 0:
        return xp.asarray(math.nan, dtype=x.dtype)
    s = xp.sort(flat)  # NaN last
    m = xp.sum(_backend.astype(flat == flat, "int64"))
    at = (xp.maximum(m, 1) - 1) // 2
    # the element at a computed position, by a one-hot selection (no eager indexing)
    hit = xp.arange(n) == at
    v = xp.sum(xp.where(hit, s, xp.zeros_like(s)))
    return xp.where(m == 0, xp.asarray(math.nan, dtype=x.dtype), _backend.astype(v, x.dtype))


_EVEN = "elements equal to the median share the gradient evenly (a NaN result: the NaNs)"
MEDIAN_ALL = defop(
    "median", _median_all, _even_all_vjp, jvp=_even_jvp, grad_fn="MedianBackward0", kink=_EVEN
)
NANMEDIAN_ALL = defop(
    "nanmedian",
    _nanmedian_all,
    _even_all_vjp,
    jvp=_even_jvp,
    grad_fn="NanmedianBackward0",
    kink=_EVEN,
)


# --------------------------------------------- along a dim: the returned index's element
# (max(dim)'s row: forward take_along_axis of the indices, gradient put back at them; with
# keepdim and indices of x's own shape, as cummax's, repeated indices add up)
def _take_fwd(xp, x, *, idx, dim, keepdim):
    return MAX_DIM.fwd(xp, x, idx=idx, dim=dim, keepdim=keepdim)


MEDIAN_DIM = alias(MAX_DIM, "median_dim", grad_fn="MedianBackward1", fwd=_take_fwd)
NANMEDIAN_DIM = alias(MEDIAN_DIM, "nanmedian_dim", grad_fn="NanmedianBackward1")
MODE = alias(MEDIAN_DIM, "mode", grad_fn="ModeBackward0")
CUMMAX = alias(MEDIAN_DIM, "cummax", grad_fn="CummaxBackward0")
CUMMIN = alias(MEDIAN_DIM, "cummin", grad_fn="CumminBackward0")


# ------------------------------------------------------------------ logcumsumexp
def _logcumsumexp(xp, x, *, dim):
    if xp is _backend.numpy:  # NumPy's ufunc scan: logaddexp pair after pair
        return xp.logaddexp.accumulate(x, axis=dim)
    # (namespaces without ufuncs: the same scan, one step per position along dim)
    n = x.shape[dim]
    steps = [xp.take(x, xp.asarray([0]), axis=dim)]
    for i in range(1, n):
        steps.append(xp.logaddexp(steps[-1], xp.take(x, xp.asarray([i]), axis=dim)))
    return xp.concatenate(steps, axis=dim) if steps else xp.asarray(x, copy=True)


def _weights(ns, x, out, dim):
    """W[..., i, j] = exp(x_j - out_i) for j <= i, else 0 (dim moved last): the Jacobian of
    one row. Its exponents are <= 0 (out_i is at least each x_j, j <= i), so nothing
    overflows; the n x n matrix per row is the price of a rule that is its own derivative."""
    xm = ns.moveaxis(x, dim, -1)
    om = ns.moveaxis(out, dim, -1)
    diff = ns.expand_dims(xm, -2) - ns.expand_dims(om, -1)
    lower = ns.tril(ns.ones_like(diff)) > 0  # j <= i
    return ns.exp(ns.where(lower, diff, -math.inf))


def _logcumsumexp_vjp(ns, g, x, out, dim, batch):
    # grad x_j = sum_{i >= j} g_i exp(x_j - out_i)
    nb = len(batch)
    d = dim if dim >= 0 else dim + x.ndim
    w = _weights(ns, x, out, d)
    gm = ns.moveaxis(g, d + nb, -1)
    r = ns.sum(ns.expand_dims(gm, -1) * w, axis=-2)
    return ns.moveaxis(r, -1, d + nb)


def _logcumsumexp_jvp(ns, t, x, out, dim, batch):
    # tangent of out_i = sum_{j <= i} t_j exp(x_j - out_i)
    nb = len(batch)
    d = dim if dim >= 0 else dim + x.ndim
    w = _weights(ns, x, out, d)
    tm = ns.moveaxis(t, d + nb, -1)
    r = ns.sum(w * ns.expand_dims(tm, -2), axis=-1)
    return ns.moveaxis(r, -1, d + nb)


LOGCUMSUMEXP = defop(
    "logcumsumexp",
    _logcumsumexp,
    _logcumsumexp_vjp,
    jvp=_logcumsumexp_jvp,
)
