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
"""

from __future__ import annotations

from math import isfinite as _isfinite  # a Python float check: no ufunc call on one number

from ..backend import namespace
from .apply import apply
from .primitive import Primitive, alias, defop


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


SUM = defop(
    "sum",
    lambda xp, x, *, dim, keepdim: x.sum(axis=dim, keepdims=keepdim),
    lambda ns, g, x_shape, dim, keepdim, batch: _spread(ns, g, x_shape, dim, keepdim, batch),
    jvp=lambda ns, t, x_shape, dim, keepdim: _wsum(ns, t, x_shape, dim, keepdim),
)


def _mean(xp, x, dim, keepdim):
    if x.size == 0:  # nan, as PyTorch, without NumPy's "Mean of empty slice" warning
        return x.sum(axis=dim, keepdims=keepdim) / 0
    if x.dtype.itemsize >= 4:
        # the sum and division x.mean() does (its pairwise sum too), without its Python
        # wrapper, which costs more than the arithmetic on a batch of losses; float16
        # keeps x.mean(), which sums in float32
        return xp.add.reduce(x, axis=dim, keepdims=keepdim) / _count(x.shape, dim)
    return x.mean(axis=dim, keepdims=keepdim)


def _mean_vjp(ns, g, x_shape, dim, keepdim, batch):
    # divided before it is spread: one pass over the reduced gradient, not over x's shape
    # (an empty x has nothing to divide)
    n = _count(x_shape, dim)
    return _spread(ns, g / n if n else g, x_shape, dim, keepdim, batch)


SUM_DIM = alias(SUM, "sum_dim", grad_fn="SumBackward1")  # PyTorch's sum(dim=...) overload
MEAN = defop(
    "mean",
    lambda xp, x, *, dim, keepdim: _mean(xp, x, dim, keepdim),
    lambda ns, g, x_shape, dim, keepdim, batch: _mean_vjp(ns, g, x_shape, dim, keepdim, batch),
    jvp=lambda ns, t, x_shape, dim, keepdim: (
        _wsum(ns, t, x_shape, dim, keepdim) / _count(x_shape, dim)
    ),
)

MEAN_DIM = alias(MEAN, "mean_dim", grad_fn="MeanBackward1")


def _centered(ns, x, dim):
    return x - ns.mean(x, axis=dim, keepdims=True)


def _var_vjp(ns, g, x, dim, correction, keepdim, batch):
    scale = _per(2.0, _count(x.shape, dim) - correction)
    return _spread(ns, g, x.shape, dim, keepdim, batch) * _centered(ns, x, dim) * scale


def _var_jvp(ns, t, x, dim, correction, keepdim):
    scale = _per(2.0, _count(x.shape, dim) - correction)
    return _wsum(ns, _centered(ns, x, dim) * t, x.shape, dim, keepdim) * scale


def _std_vjp(ns, g, x, out, dim, correction, keepdim, batch):
    n = _count(x.shape, dim) - correction
    s = _keep(ns, out, x.shape, dim, keepdim)
    return _spread(ns, g, x.shape, dim, keepdim, batch) * _centered(ns, x, dim) / (s * n)


def _std_jvp(ns, t, x, out, dim, correction, keepdim):
    n = _count(x.shape, dim) - correction
    return _wsum(ns, _centered(ns, x, dim) * t, x.shape, dim, keepdim) / (out * n)


VAR = defop(
    "var",
    lambda xp, x, *, dim, correction, keepdim: xp.var(
        x, axis=dim, ddof=correction, keepdims=keepdim
    ),
    _var_vjp,
    jvp=_var_jvp,
)
STD = defop(
    "std",
    lambda xp, x, *, dim, correction, keepdim: xp.std(
        x, axis=dim, ddof=correction, keepdims=keepdim
    ),
    _std_vjp,
    jvp=_std_jvp,
)


def _prod_grad(ns, x, dim):
    """d prod / d x_i = the product of the other elements (of x's shape)."""
    if dim is None:
        return ns.reshape(_prod_others(ns, ns.reshape(x, (-1,)), 0), x.shape)
    return _prod_others(ns, x, dim[0])


def _prod_vjp(ns, g, x, dim, keepdim, batch):
    if dim is None:  # g times the others, broadcast (no separate spread pass)
        return _lift(ns, g, x.shape, dim, keepdim, batch) * _prod_grad(ns, x, dim)
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


PROD = defop(
    "prod",
    lambda xp, x, *, dim, keepdim: xp.prod(x, axis=dim, keepdims=keepdim),
    _prod_vjp,
    jvp=lambda ns, t, x, dim, keepdim: _wsum(ns, _prod_grad(ns, x, dim) * t, x.shape, dim, keepdim),
)


def _logsumexp_fwd(xp, x, *, dim, keepdim):
    # ufunc reductions, not xp.max / xp.sum: their Python wrappers cost more than the
    # arithmetic on a batch of logits
    m = xp.maximum.reduce(x, axis=dim, keepdims=True, initial=-xp.inf)  # empty dims: -inf
    if m.size and _isfinite(xp.add.reduce(m, axis=None)):
        # every shift finite (one sum tells: inf or nan anywhere makes it non-finite, and
        # a finite sum that overflows only takes the careful path): each row's sum
        # holds its max's exp(0) = 1, so the log needs no guard
        r = xp.log(xp.add.reduce(xp.exp(x - m), axis=dim, keepdims=True)) + m
    else:
        finite = xp.isfinite(m)
        m = xp.where(finite, m, 0)  # all -inf (or inf) rows: shift by 0
        s = xp.add.reduce(xp.exp(x - m), axis=dim, keepdims=True)
        with xp.errstate(divide="ignore"):  # log(0) = -inf, as PyTorch, without a warning
            r = xp.log(s) + m
    return r if keepdim else xp.squeeze(r, axis=dim)


def _softmax(ns, x, out, dim, keepdim):
    """d logsumexp / d x: the softmax weights exp(x - lse)."""
    return ns.exp(x - _keep(ns, out, x.shape, dim, keepdim))


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
    count = ns.sum(mask, axis=dim, keepdims=True)
    return _spread(ns, g, x.shape, dim, keepdim, batch) * mask / count


def _even_jvp(ns, t, x, out, dim, keepdim):
    # the mean of the tied elements' tangents (PyTorch's rule; the adjoint of _even_vjp)
    mask = x == _keep(ns, out, x.shape, dim, keepdim)
    count = ns.sum(mask, axis=dim, keepdims=keepdim)
    return _wsum(ns, t * mask, x.shape, dim, keepdim) / count


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
    _even_vjp,
    grad_fn="MaxBackward1",
    jvp=_even_jvp,
    kink=_EVEN,
)
MIN_ALL = defop(
    "min_all",
    lambda xp, x, *, dim, keepdim: xp.min(x),
    _even_vjp,
    grad_fn="MinBackward1",
    jvp=_even_jvp,
    kink=_EVEN,
)


def _select_fwd(xp, x, *, idx, dim, keepdim):
    v = xp.take_along_axis(x, idx, axis=dim)
    return v if keepdim else xp.squeeze(v, axis=dim)


def _batched_idx(idx, batch):
    """The index array repeated over leading batch axes (take/put along then line up)."""
    return namespace(idx).broadcast_to(idx, batch + idx.shape)


def _select_vjp(ns, g, x_shape, idx, dim, keepdim, batch):
    # the selected index alone gets the gradient
    nb = len(batch)
    if not keepdim:
        g = ns.expand_dims(g, dim + nb)
    if nb:
        return ns.put_along(g, _batched_idx(idx, batch), dim + nb, batch + tuple(x_shape))
    return ns.put_along(g, idx, dim, x_shape)


def _select_jvp(ns, t, out, idx, dim, keepdim, batch):
    # the tangent of the selected element
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
    kink="the returned index gets the whole gradient",
)
MIN_DIM = alias(MAX_DIM, "min_dim", grad_fn="MinBackward0")  # the index comes from argmin


def _reverse_cumsum(ns, g, d):
    return ns.flip(ns.cumsum(ns.flip(g, (d,)), axis=d), (d,))


CUMSUM = defop(
    "cumsum",
    lambda xp, x, *, dim: xp.cumsum(x, axis=dim),
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


def _cumprod_vjp(ns, g, x, out, dim, batch):
    # sum_{j >= i} g_j * out_j / x_i where x has no zeros; exact product of the others
    # (quadratic in the length of ``dim``) where it does.
    lead = len(batch) + dim  # dim of g (and of the result)
    if not bool((x == 0).any()):
        return _reverse_cumsum(ns, g * out, lead) / x
    n = x.shape[dim]
    total = []
    for i in range(n):
        cp = ns.getitem(_cumprod_without(ns, x, dim, i), _at(dim, i, n))
        total.append(ns.sum(ns.getitem(g, _at(lead, i, n)) * cp, axis=lead, keepdims=True))
    return ns.concatenate(total, axis=lead)


def _cumprod_jvp(ns, t, x, out, dim, batch):
    # out_j * cumsum(t / x)_j where x has no zeros; else, exactly, the sum over i of
    # t_i times the product of the x_k, k <= j, k != i (for j >= i)
    lead = len(batch) + dim  # dim of t (and of the tangent)
    if not bool((x == 0).any()):
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
    "cumprod", lambda xp, x, *, dim: xp.cumprod(x, axis=dim), _cumprod_vjp, jvp=_cumprod_jvp
)


def _norm2_fwd(xp, x, *, dim, keepdim):
    if dim is None and not keepdim:
        return _norm_all_fwd(xp, x)
    return xp.sqrt(xp.sum(x * x, axis=dim, keepdims=keepdim))


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


def _svdvals_fwd(xp, x):
    return xp.linalg.svd(x, compute_uv=False)


def _no_second_order():
    raise NotImplementedError(
        "chainrule has no second derivative through singular values (matrix 2-norm, "
        "nuclear norm) yet"
    )


def _svdvals_tangent_fwd(xp, t, x):
    u, _, vh = xp.linalg.svd(x, full_matrices=False)
    return (u * (t @ xp.swapaxes(vh, -1, -2))).sum(axis=-2)  # u_i^T t v_i for each i


def _svdvals_vjp(ns, g, x):
    # d sigma_i = u_i^T dA v_i: the adjoint is U diag(g) V^T (distinct singular values)
    u, vh = ns.singular_vectors(x)
    return ns.matmul(u * ns.expand_dims(g, -2), vh)


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
