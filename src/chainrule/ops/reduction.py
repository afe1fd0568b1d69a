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

import builtins
from collections import namedtuple
from math import isfinite as _isfinite  # a Python float check: no ufunc call on one number

from .. import dtypes as _dt
from .primitive import Primitive, apply, defop


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


SUM_DIM = defop("sum_dim", SUM.fwd, SUM.rules, grad_fn="SumBackward1", jvp=SUM.jvps)
MEAN = defop(
    "mean",
    lambda xp, x, *, dim, keepdim: _mean(xp, x, dim, keepdim),
    lambda ns, g, x_shape, dim, keepdim, batch: _mean_vjp(ns, g, x_shape, dim, keepdim, batch),
    jvp=lambda ns, t, x_shape, dim, keepdim: (
        _wsum(ns, t, x_shape, dim, keepdim) / _count(x_shape, dim)
    ),
)

MEAN_DIM = defop("mean_dim", MEAN.fwd, MEAN.rules, grad_fn="MeanBackward1", jvp=MEAN.jvps)


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


AMAX = defop(
    "amax",
    lambda xp, x, *, dim, keepdim: xp.max(x, axis=dim, keepdims=keepdim),
    _even_vjp,
    jvp=_even_jvp,
)
AMIN = defop(
    "amin",
    lambda xp, x, *, dim, keepdim: xp.min(x, axis=dim, keepdims=keepdim),
    _even_vjp,
    jvp=_even_jvp,
)
MAX_ALL = defop(
    "max_all",
    lambda xp, x, *, dim, keepdim: xp.max(x),
    _even_vjp,
    grad_fn="MaxBackward1",
    jvp=_even_jvp,
)
MIN_ALL = defop(
    "min_all",
    lambda xp, x, *, dim, keepdim: xp.min(x),
    _even_vjp,
    grad_fn="MinBackward1",
    jvp=_even_jvp,
)


def _select_fwd(xp, x, *, idx, dim, keepdim):
    v = xp.take_along_axis(x, idx, axis=dim)
    return v if keepdim else xp.squeeze(v, axis=dim)


def _batched_idx(idx, batch):
    """The index array repeated over leading batch axes (take/put along then line up)."""
    return _ns(idx).broadcast_to(idx, batch + idx.shape)


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


MAX_DIM = defop("max_dim", _select_fwd, _select_vjp, grad_fn="MaxBackward0", jvp=_select_jvp)
MIN_DIM = defop("min_dim", _select_fwd, _select_vjp, grad_fn="MinBackward0", jvp=_select_jvp)


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


# The tangent of svdvals as an op of its own (outside the registry, like an autograd
# Function's): linear in t, with the same adjoint as svdvals; not differentiable in x, so
# reverse over forward raises instead of treating the singular vectors as constants.
_SVDVALS_TANGENT = Primitive(
    "svdvals_tangent",
    _svdvals_tangent_fwd,
    (lambda ns, g, x: ns.svdvals_vjp(g, x), lambda g: _no_second_order()),
    "LinalgSvdJvpBackward0",
    False,
    False,
    False,
    False,
    jvp=(lambda t, x: apply(_SVDVALS_TANGENT, t, x), lambda t: _no_second_order()),
)

# d sigma_i = u_i^T dA v_i: the adjoint is U diag(g) V^T (distinct singular values).
SVDVALS = defop(
    "svdvals",
    _svdvals_fwd,
    lambda ns, g, x: ns.svdvals_vjp(g, x),
    grad_fn="LinalgSvdBackward0",
    jvp=lambda t, x: apply(_SVDVALS_TANGENT, t, x),
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
)


# ---------------------------------------------------------------- helpers
def dims_arg(dim, axis, ndim):
    """Normalize dim/axis (int, tuple or list; negative allowed) to a sorted tuple or None."""
    if type(dim) is int and axis is None and -ndim <= dim < ndim:
        return (dim % ndim,)  # the common call, one int dim in range
    if axis is not None:
        if dim is not None:
            raise TypeError("got both 'dim' and its alias 'axis'")
        dim = axis
    if dim is None:
        return None
    if isinstance(dim, int) or hasattr(dim, "__index__") and not isinstance(dim, (list, tuple)):
        dim = (int(dim),)
    if len(dim) == 0:
        return None
    n = builtins.max(ndim, 1)
    out = []
    for d in dim:
        if not -n <= d < n:
            raise IndexError(
                f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {d})"
            )
        d %= n
        if d in out:
            raise RuntimeError(f"dim {d} appears multiple times in the list of dims")
        out.append(d)
    if ndim == 0:
        return None
    return tuple(sorted(out))


def _keepdim(keepdim, keepdims) -> bool:
    return bool(keepdims if keepdims is not None else keepdim)


def _one_dim(dim, axis, ndim) -> int:
    d = dims_arg(dim, axis, ndim)
    if d is None:
        return 0
    if len(d) != 1:
        raise TypeError("expected a single dimension")
    return d[0]


def _as(input, dtype):
    return input if dtype is None else input.to(dtype)


# ------------------------------------------------------------------ functions
def sum(input, dim=None, keepdim=False, *, dtype=None, axis=None, keepdims=None):
    """Sum of all elements, or along ``dim`` (int or tuple). Integers sum to int64.

    >>> import chainrule as torch
    >>> X = torch.arange(6.).reshape(2, 3)
    >>> X.sum(), X.sum(axis=0), X.sum(1, keepdim=True).shape
    (tensor(15.), tensor([3., 5., 7.]), torch.Size([2, 1]))
    """
    input = _as(input, dtype)
    if input._data.dtype.kind in "biu" and dtype is None:
        input = input.to(_dt.int64)
    d = dims_arg(dim, axis, input.ndim)
    return apply(SUM if d is None else SUM_DIM, input, dim=d, keepdim=_keepdim(keepdim, keepdims))


def mean(input, dim=None, keepdim=False, *, dtype=None, axis=None, keepdims=None):
    """Arithmetic mean (floating inputs only, like PyTorch).

    >>> import chainrule as torch
    >>> torch.tensor([1., 2., 3., 4.]).mean()
    tensor(2.5000)
    """
    if dtype is None and dim is None and axis is None and input._data.dtype.kind == "f":
        return apply(MEAN, input, dim=None, keepdim=_keepdim(keepdim, keepdims))  # x.mean()
    input = _as(input, dtype)
    if not input.dtype.is_floating_point:
        raise RuntimeError(
            "mean(): could not infer output dtype. Input dtype must be either a floating point "
            f"or complex dtype. Got: {input.dtype.title}"
        )
    d = dims_arg(dim, axis, input.ndim)
    return apply(MEAN if d is None else MEAN_DIM, input, dim=d, keepdim=_keepdim(keepdim, keepdims))


def prod(input, dim=None, keepdim=False, *, dtype=None, axis=None, keepdims=None):
    """Product of all elements, or along one ``dim``; exact gradient also with zeros.

    >>> import chainrule as torch
    >>> torch.tensor([1., 2., 3., 4.]).prod()
    tensor(24.)
    """
    input = _as(input, dtype)
    if input._data.dtype.kind in "biu" and dtype is None:
        input = input.to(_dt.int64)
    d = dims_arg(dim, axis, input.ndim)
    return apply(PROD, input, dim=d, keepdim=_keepdim(keepdim, keepdims))


def _var_args(input, dim, unbiased, correction, keepdim, axis, keepdims):
    if not input.dtype.is_floating_point:
        raise RuntimeError("std and var only support floating point and complex dtypes")
    if isinstance(dim, bool):  # var(x, False): the old positional 'unbiased'
        unbiased, dim = dim, None
    if correction is None:
        correction = 1 if unbiased is None or unbiased else 0
    d = dims_arg(dim, axis, input.ndim)
    return dict(dim=d, correction=correction, keepdim=_keepdim(keepdim, keepdims))


def var(
    input, dim=None, unbiased=None, keepdim=False, *, correction=None, axis=None, keepdims=None
):
    """Variance, unbiased (correction=1) by default like PyTorch.

    >>> import chainrule as torch
    >>> torch.tensor([1., 2., 3., 4.]).var()
    tensor(1.6667)
    """
    return apply(VAR, input, **_var_args(input, dim, unbiased, correction, keepdim, axis, keepdims))


def std(
    input, dim=None, unbiased=None, keepdim=False, *, correction=None, axis=None, keepdims=None
):
    """Standard deviation, unbiased by default like PyTorch.

    >>> import chainrule as torch
    >>> torch.tensor([1., 2., 3., 4.]).std()
    tensor(1.2910)
    """
    return apply(STD, input, **_var_args(input, dim, unbiased, correction, keepdim, axis, keepdims))


def logsumexp(input, dim=None, keepdim=False, *, axis=None, keepdims=None):
    """log(sum(exp(x))) along ``dim``, computed stably.

    >>> import chainrule as torch
    >>> torch.logsumexp(torch.tensor([1000., 1000.]), dim=0)
    tensor(1000.6932)
    """
    if dim is None and axis is None:
        raise TypeError("logsumexp() missing required argument 'dim'")
    d = dims_arg(dim, axis, input.ndim)
    return apply(LOGSUMEXP, input, dim=d, keepdim=_keepdim(keepdim, keepdims))


def amax(input, dim=None, keepdim=False, *, axis=None, keepdims=None):
    """Maximum over ``dim`` (all dims by default); ties share the gradient evenly.

    >>> import chainrule as torch
    >>> torch.amax(torch.tensor([[1, 5], [7, 2]]), dim=1)
    tensor([5, 7])
    """
    d = dims_arg(dim, axis, input.ndim)
    _check_nonempty(input, d, "amax")
    return apply(AMAX, input, dim=d, keepdim=_keepdim(keepdim, keepdims))


def amin(input, dim=None, keepdim=False, *, axis=None, keepdims=None):
    """Minimum over ``dim`` (all dims by default); ties share the gradient evenly.

    >>> import chainrule as torch
    >>> torch.amin(torch.tensor([[1, 5], [7, 2]]), dim=1)
    tensor([1, 2])
    """
    d = dims_arg(dim, axis, input.ndim)
    _check_nonempty(input, d, "amin")
    return apply(AMIN, input, dim=d, keepdim=_keepdim(keepdim, keepdims))


def _check_nonempty(input, dims, name):
    """PyTorch refuses to reduce over an empty dim (there is no max of nothing)."""
    shape = input._data.shape
    if input._data.size == 0:
        if dims is None:
            raise RuntimeError(
                f"{name}(): Expected reduction dim to be specified for input.numel() == 0. "
                "Specify the reduction dim with the 'dim' argument."
            )
        for d in dims:
            if shape[d] == 0:
                raise IndexError(f"{name}(): Expected reduction dim {d} to have non-zero size.")


class _ReturnType(tuple):
    """A (values, indices) pair that prints like ``torch.return_types.max``."""

    _name = "max"

    def __new__(cls, values, indices):
        return tuple.__new__(cls, (values, indices))

    @property
    def values(self):
        return self[0]

    @property
    def indices(self):
        return self[1]

    def __repr__(self) -> str:
        return f"torch.return_types.{self._name}(\nvalues={self[0]!r},\nindices={self[1]!r})"


def _return_type(name):
    return type(name, (_ReturnType,), {"_name": name, "__slots__": ()})


max_type, min_type = _return_type("max"), _return_type("min")
sort_type = namedtuple("sort", ["values", "indices"])


def _extreme(input, dim, keepdim, axis, keepdims, other, full_prim, dim_prim, arg, rtype, name):
    from .elementwise import maximum, minimum

    if other is not None:
        return (maximum if name == "max" else minimum)(input, other)
    if dim is None and axis is None:
        if input._data.size == 0:
            raise RuntimeError(
                f"{name}(): Expected reduction dim to be specified for input.numel() == 0. "
                "Specify the reduction dim with the 'dim' argument."
            )
        return apply(full_prim, input, dim=None, keepdim=False)
    d = _one_dim(dim, axis, input.ndim)
    kd = _keepdim(keepdim, keepdims)
    data = input._data
    if data.ndim and data.shape[d] == 0:
        raise IndexError(f"{name}(): Expected reduction dim {d} to have non-zero size.")
    if data.ndim == 0:
        return rtype(apply(full_prim, input, dim=None, keepdim=False), _idx_tensor(data * 0))
    xp = _ns(data)
    idx = xp.expand_dims(arg(data, axis=d), d)
    values = apply(dim_prim, input, idx=idx, dim=d, keepdim=kd)
    return rtype(values, _idx_tensor(idx if kd else xp.squeeze(idx, axis=d)))


def _ns(data):
    from ..backend import namespace

    return namespace(data)


def _idx_tensor(a):
    from ..tensor import make

    return make(a.astype("int64"))


def max(input, dim=None, keepdim=False, *, axis=None, keepdims=None, out=None):
    """The maximum: of all elements, or along ``dim`` as (values, indices), or elementwise
    against another tensor.

    >>> import chainrule as torch
    >>> torch.tensor([[1, 5], [7, 2]]).max(dim=1)
    torch.return_types.max(
    values=tensor([5, 7]),
    indices=tensor([1, 0]))
    """
    other = dim if hasattr(dim, "_data") else None
    if other is not None:
        dim = None
    return _extreme(
        input,
        dim,
        keepdim,
        axis,
        keepdims,
        other,
        MAX_ALL,
        MAX_DIM,
        lambda a, axis: _ns(a).argmax(a, axis=axis),
        max_type,
        "max",
    )


def min(input, dim=None, keepdim=False, *, axis=None, keepdims=None, out=None):
    """The minimum: of all elements, or along ``dim`` as (values, indices).

    >>> import chainrule as torch
    >>> torch.tensor([[1, 5], [7, 2]]).min(dim=1).indices
    tensor([0, 1])
    """
    other = dim if hasattr(dim, "_data") else None
    if other is not None:
        dim = None
    return _extreme(
        input,
        dim,
        keepdim,
        axis,
        keepdims,
        other,
        MIN_ALL,
        MIN_DIM,
        lambda a, axis: _ns(a).argmin(a, axis=axis),
        min_type,
        "min",
    )


def argmax(input, dim=None, keepdim=False, *, axis=None, keepdims=None):
    """Index of the maximum (of the flattened tensor when ``dim`` is None).

    >>> import chainrule as torch
    >>> torch.tensor([[1, 5], [7, 2]]).argmax()
    tensor(2)
    """
    return _arg(input, dim, keepdim, axis, keepdims, "argmax")


def argmin(input, dim=None, keepdim=False, *, axis=None, keepdims=None):
    """Index of the minimum (of the flattened tensor when ``dim`` is None).

    >>> import chainrule as torch
    >>> torch.tensor([[1, 5], [7, 2]]).argmin(dim=0)
    tensor([0, 1])
    """
    return _arg(input, dim, keepdim, axis, keepdims, "argmin")


def _arg(input, dim, keepdim, axis, keepdims, name):
    data = input._data
    xp = _ns(data)
    if data.dtype.kind == "b":
        raise RuntimeError(f"{name}(): does not support bool input")
    kd = _keepdim(keepdim, keepdims)
    if dim is None and axis is None:
        if data.size == 0:
            raise RuntimeError(
                f"{name}(): Expected reduction dim to be specified for input.numel() == 0."
            )
        r = getattr(xp, name)(data)
        r = xp.asarray(r).reshape((1,) * data.ndim if kd else ())
        return _idx_tensor(r)
    d = _one_dim(dim, axis, data.ndim)
    if data.ndim and data.shape[d] == 0:
        raise IndexError(f"{name}(): Expected reduction dim {d} to have non-zero size.")
    return _idx_tensor(xp.asarray(getattr(xp, name)(data, axis=d, keepdims=kd)))


def all(input, dim=None, keepdim=False, *, axis=None, keepdims=None):
    """Whether all elements are true (non-zero).

    >>> import chainrule as torch
    >>> torch.tensor([1, 0]).all()
    tensor(False)
    """
    return _logical(input, dim, keepdim, axis, keepdims, "all")


def any(input, dim=None, keepdim=False, *, axis=None, keepdims=None):
    """Whether any element is true (non-zero).

    >>> import chainrule as torch
    >>> torch.tensor([1, 0]).any()
    tensor(True)
    """
    return _logical(input, dim, keepdim, axis, keepdims, "any")


def _logical(input, dim, keepdim, axis, keepdims, name):
    from ..tensor import make

    data = input._data
    xp = _ns(data)
    d = dims_arg(dim, axis, data.ndim)
    return make(xp.asarray(getattr(xp, name)(data, axis=d, keepdims=_keepdim(keepdim, keepdims))))


def count_nonzero(input, dim=None):
    """Number of non-zero elements.

    >>> import chainrule as torch
    >>> torch.count_nonzero(torch.tensor([1, 0, 3]))
    tensor(2)
    """
    from ..tensor import make

    data = input._data
    xp = _ns(data)
    d = dims_arg(dim, None, data.ndim)
    return make(xp.asarray(xp.count_nonzero(data, axis=d)).astype("int64"))


def nonzero(input, *, as_tuple=False):
    """Indices of non-zero elements: an (n, ndim) int64 tensor, or a tuple per dim.

    >>> import chainrule as torch
    >>> torch.nonzero(torch.tensor([0, 3, 0, 4]))
    tensor([[1],
            [3]])
    """
    from ..tensor import make

    data = input._data
    xp = _ns(data)
    idx = xp.nonzero(xp.atleast_1d(data))
    if as_tuple:
        return tuple(make(i.astype("int64")) for i in idx)
    return make(xp.stack(idx, axis=1).astype("int64") if idx else xp.zeros((0, 0), "int64"))


def cumsum(input, dim=None, *, dtype=None, axis=None):
    """Cumulative sum along ``dim``.

    >>> import chainrule as torch
    >>> torch.cumsum(torch.tensor([[1, 2], [3, 4]]), dim=0)
    tensor([[1, 2],
            [4, 6]])
    """
    input = _as(input, dtype)
    d = _one_dim(dim, axis, input.ndim)
    if input._data.dtype.kind in "biu":
        input = input.to(_dt.int64)
    if input.ndim == 0:
        return input.clone()
    return apply(CUMSUM, input, dim=d)


def cumprod(input, dim=None, *, dtype=None, axis=None):
    """Cumulative product along ``dim``.

    >>> import chainrule as torch
    >>> torch.cumprod(torch.tensor([1., 2., 3.]), dim=0)
    tensor([1., 2., 6.])
    """
    input = _as(input, dtype)
    d = _one_dim(dim, axis, input.ndim)
    if input._data.dtype.kind in "biu":
        input = input.to(_dt.int64)
    if input.ndim == 0:
        return input.clone()
    return apply(CUMPROD, input, dim=d)


def norm(input, p="fro", dim=None, keepdim=False, dtype=None, *, axis=None, keepdims=None):
    """Vector p-norm (p = 2, 1, inf, -inf, 0 or any number) or Frobenius norm ('fro').

    The 2-norm has its own rule (gradient 0 at the origin, as PyTorch); the others are
    composed from primitives.

    >>> import chainrule as torch
    >>> u = torch.tensor([3.0, -4.0])
    >>> torch.norm(u), torch.abs(u).sum(), u.norm(p=float('inf'))
    (tensor(5.), tensor(7.), tensor(4.))
    """
    if p == "fro" and dim is None and axis is None and dtype is None and not keepdim:
        if input._data.dtype.kind == "f":  # the common call, x.norm(): straight to the rule
            return apply(NORM_ALL, input)
    from . import elementwise as E

    input = _as(input, dtype)
    if not input.dtype.is_floating_point:
        raise RuntimeError(
            f"linalg.vector_norm: Expected a floating point or complex tensor as input. "
            f"Got {input.dtype.title}"
        )
    d = dims_arg(dim, axis, input.ndim)
    kd = _keepdim(keepdim, keepdims)
    if p == "fro" and d is not None and len(d) > 2:
        raise RuntimeError(
            f"linalg.matrix_norm: dim must be a 2-tuple. Got {' '.join(map(str, d))}"
        )
    if p is None or p == "fro" or p == 2:
        return apply(NORM2, input, dim=d, keepdim=kd)
    if p == "nuc":
        raise NotImplementedError("the nuclear norm is not provided yet")
    p = float(p)
    a = E.abs(input)
    if p == float("inf"):
        return amax(a, dim=d if d is not None else (), keepdim=kd)
    if p == float("-inf"):
        return amin(a, dim=d if d is not None else (), keepdim=kd)
    if p == 0:
        return sum(E.ne(input, 0).to(input.dtype), dim=d, keepdim=kd)
    if p == 1:
        return sum(a, dim=d, keepdim=kd)
    return E.pow(sum(E.pow(a, p), dim=d, keepdim=kd), 1.0 / p)
