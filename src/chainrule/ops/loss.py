"""THE TABLE, part 7: losses, with the reduction inside. As PyTorch's kernels, so its nodes.

A composite (``(x - y) ** 2`` then ``mean``) would give the same numbers in most places;
these are rows of their own because PyTorch's nodes are (``MseLossBackward0``,
``BinaryCrossEntropyBackward0``, ``NllLossBackward0``: what a learner sees on a loss) and
because at the edges PyTorch's values are its kernels' (binary cross-entropy clamps its
logs at -100 and its gradient's denominator at 1e-12; a composite's gradient at 0 or 1
would be 0 or NaN).

Every loss takes ``reduction`` ('none', 'mean', 'sum'). A rule spreads the incoming
gradient of the reduced loss over the elements (``_spread``: a mean's share is 1/N) and
multiplies by the elementwise derivative; a jvp rule reduces the elementwise tangent as
the forward reduces (``_reduce_tangent``). Constant tensors (class weights, targets of
nll) are keyword parameters, handed to rules as arrays; ``ns.const`` makes them operands.

>>> from chainrule.ops import REGISTRY
>>> REGISTRY["mse_loss"].grad_fn, REGISTRY["nll_loss"].grad_fn
('MseLossBackward0', 'NllLossBackward0')
"""

from __future__ import annotations

import math

from .. import backend as _backend
from ..backend import namespace as _namespace
from .apply import apply
from .primitive import PASS, alias, defop
from .symbolic import is_symbolic, shaped_node

# PyTorch's floor of x (1 - x) in binary cross-entropy's gradient: 1e-12 as a float32,
# also in float64 (the kernel's constant)
_EPSILON = 9.999999960041972e-13
_LOG_FLOOR = -100.0  # PyTorch's clamp of the logs in binary cross-entropy


def _numel(x) -> int:
    return math.prod(x.shape)


def _reduce(xp, loss, reduction: str):
    if reduction == "none":
        return loss
    total = xp.sum(loss)
    return total / loss.size if reduction == "mean" else total


def _spread(ns, g, x, reduction: str):
    """The gradient of the reduced loss, as a per-element factor (leading batch axes of g
    stay in front): g itself for 'none', g for 'sum', g / N for 'mean'."""
    if reduction == "none":
        return g
    g = ns.reshape(g, tuple(g.shape) + (1,) * len(x.shape))
    return g / _numel(x) if reduction == "mean" else g


def _reduce_tangent(ns, v, x, reduction: str):
    """An elementwise tangent reduced as the forward reduces (over x's own axes)."""
    if reduction == "none" or not len(x.shape):
        return v
    total = ns.sum(v, axis=tuple(range(-len(x.shape), 0)))
    return total / _numel(x) if reduction == "mean" else total


def _weighted(ns, v, weight):
    return v if weight is None else v * ns.const(weight, v)


# ------------------------------------------------------------------ squared error
MSE_LOSS = defop(
    "mse_loss",
    lambda xp, x, y, *, reduction: _reduce(xp, (x - y) * (x - y), reduction),
    (
        lambda ns, g, x, y, reduction: _spread(ns, g, x, reduction) * (2 * (x - y)),
        lambda ns, g, x, y, reduction: _spread(ns, g, x, reduction) * (-2 * (x - y)),
    ),
    jvp=(
        lambda ns, t, x, y, reduction: _reduce_tangent(ns, t * (2 * (x - y)), x, reduction),
        lambda ns, t, x, y, reduction: _reduce_tangent(ns, t * (-2 * (x - y)), x, reduction),
    ),
    promote=True,
)


# ------------------------------------------------------------------ smooth L1
def _smooth_l1(xp, x, y, *, beta, reduction):
    d = xp.abs(x - y)  # (beta = 0 is F.l1_loss, never this row)
    return _reduce(xp, xp.where(d < beta, (0.5 / beta) * d * d, d - 0.5 * beta), reduction)


def _smooth_l1_d(ns, x, y, beta):
    # d/dx: (x - y) / beta inside |x - y| < beta, its sign outside (equal at the seam)
    d = x - y
    return ns.where(ns.abs(d) < beta, d / beta, ns.sign(d))


SMOOTH_L1_LOSS = defop(
    "smooth_l1_loss",
    _smooth_l1,
    (
        lambda ns, g, x, y, beta, reduction: (
            _spread(ns, g, x, reduction) * _smooth_l1_d(ns, x, y, beta)
        ),
        lambda ns, g, x, y, beta, reduction: (
            -_spread(ns, g, x, reduction) * _smooth_l1_d(ns, x, y, beta)
        ),
    ),
    jvp=(
        lambda ns, t, x, y, beta, reduction: _reduce_tangent(
            ns, t * _smooth_l1_d(ns, x, y, beta), x, reduction
        ),
        lambda ns, t, x, y, beta, reduction: _reduce_tangent(
            ns, -t * _smooth_l1_d(ns, x, y, beta), x, reduction
        ),
    ),
    promote=True,
)


# ------------------------------------------------------------------ binary cross-entropy
def _bce(xp, x, y, *, weight, reduction):
    if _backend.lazy(x):  # (on Dask the input's check is a task: binary_cross_entropy
        x = check_probabilities(x)  # checks arrays of values before the call)
    log_x = xp.maximum(xp.log(x), _LOG_FLOOR)
    log_1mx = xp.maximum(xp.log1p(-x), _LOG_FLOOR)
    loss = (y - 1) * log_1mx - y * log_x
    return _reduce(xp, loss if weight is None else loss * weight, reduction)


def _lazy_checked(x):
    """x, on Dask through the input's check: a gradient or tangent computed without the
    loss still refuses an input outside [0, 1], as the loss does (Dask merges the tasks)."""
    d = getattr(x, "_data", x)
    if not _backend.lazy(d):
        return x
    return check_probabilities(d) if d is x else apply(PROBABILITIES, x)


def _bce_dx(ns, x, y, weight):
    # PyTorch's (x - y) / max(x (1 - x), 1e-12): finite at x = 0 and x = 1
    x = _lazy_checked(x)
    return _weighted(ns, (x - y) / ns.maximum((1 - x) * x, _EPSILON), weight)


def _bce_dy(ns, x, weight):
    x = _lazy_checked(x)
    return _weighted(ns, ns.log1p(-x) - ns.log(x), weight)  # unclamped, as PyTorch's


def check_probabilities(x):
    """binary_cross_entropy's check of its input: every element in [0, 1] (PyTorch's).
    Returns x; on Dask, x through a task that checks it when computed (backend.checked)."""
    return _backend.checked(x, _not_probabilities)


def _not_probabilities(x, start):
    if _backend.all_true((x >= 0) & (x <= 1)):  # (NaN is not: it raises, as PyTorch)
        return None
    return RuntimeError("all elements of input should be between 0 and 1")


def _checked_probabilities(xp, x):
    return check_probabilities(x)


# The same check in an explicit graph (chainrule.sym), which has no values before it is
# bound: a node that passes its input through and checks it when the graph is evaluated
# (and on Dask in a recorded rule: when computed)
PROBABILITIES = defop(
    "probabilities",
    _checked_probabilities,
    PASS,
    jvp=PASS,  # (not LINEAR: the check is no part of the tangent)
    register=False,
)


BINARY_CROSS_ENTROPY = defop(
    "binary_cross_entropy",
    _bce,
    (
        lambda ns, g, x, y, weight, reduction: (
            _spread(ns, g, x, reduction) * _bce_dx(ns, x, y, weight)
        ),
        lambda ns, g, x, weight, reduction: _spread(ns, g, x, reduction) * _bce_dy(ns, x, weight),
    ),
    jvp=(
        lambda ns, t, x, y, weight, reduction: _reduce_tangent(
            ns, t * _bce_dx(ns, x, y, weight), x, reduction
        ),
        lambda ns, t, x, weight, reduction: _reduce_tangent(
            ns, t * _bce_dy(ns, x, weight), x, reduction
        ),
    ),
    promote=True,
    kink="logs clamped at -100; d/dx's denominator x (1 - x) floored at 1e-12",
)


def _softplus_neg(ns, x):
    """-log(sigmoid(x)) = log(1 + exp(-x)), as max(-x, 0) + log1p(exp(-|x|)): no overflow."""
    return ns.maximum(-x, 0.0) + ns.log1p(ns.exp(-ns.abs(x)))


def _bce_logits(xp, x, y, *, weight, pos_weight, reduction):
    sp = xp.maximum(-x, 0) + xp.log1p(xp.exp(-xp.abs(x)))
    if pos_weight is None:
        loss = (1 - y) * x + sp
    else:  # pos_weight scales the positive term -y log(sigmoid(x))
        loss = (1 - y) * x + (1 + (pos_weight - 1) * y) * sp
    return _reduce(xp, loss if weight is None else loss * weight, reduction)


def _bce_logits_dx(ns, x, y, weight, pos_weight):
    sig = ns.exp(-_softplus_neg(ns, x))
    if pos_weight is None:
        d = sig - y
    else:
        pw = ns.const(pos_weight, x)
        d = (1 + (pw - 1) * y) * sig - pw * y
    return _weighted(ns, d, weight)


def _bce_logits_dy(ns, x, weight, pos_weight):
    d = -x if pos_weight is None else (ns.const(pos_weight, x) - 1) * _softplus_neg(ns, x) - x
    return _weighted(ns, d, weight)


BINARY_CROSS_ENTROPY_WITH_LOGITS = defop(
    "binary_cross_entropy_with_logits",
    _bce_logits,
    (
        lambda ns, g, x, y, weight, pos_weight, reduction: (
            _spread(ns, g, x, reduction) * _bce_logits_dx(ns, x, y, weight, pos_weight)
        ),
        lambda ns, g, x, weight, pos_weight, reduction: (
            _spread(ns, g, x, reduction) * _bce_logits_dy(ns, x, weight, pos_weight)
        ),
    ),
    jvp=(
        lambda ns, t, x, y, weight, pos_weight, reduction: _reduce_tangent(
            ns, t * _bce_logits_dx(ns, x, y, weight, pos_weight), x, reduction
        ),
        lambda ns, t, x, weight, pos_weight, reduction: _reduce_tangent(
            ns, t * _bce_logits_dy(ns, x, weight, pos_weight), x, reduction
        ),
    ),
    promote=True,
)


# ------------------------------------------------------------------ negative log likelihood
def check_class_targets(target, n_classes: int, ignore_index: int):
    """nll_loss's check of its class-index targets: each one not ignored is a class.
    Returns target; on Dask, target through a task that checks it when computed."""
    return _backend.checked(target, _not_classes, n_classes, ignore_index)


def _not_classes(target, start, n_classes: int, ignore_index: int):
    valid = target[target != ignore_index]
    if valid.size:
        bad = valid[(valid < 0) | (valid >= n_classes)]
        if bad.size:
            return IndexError(f"Target {int(_backend.reshape(bad, (-1,))[0])} is out of bounds.")
    return None


def _checked_targets(xp, target, *, n_classes, ignore_index):
    return check_class_targets(target, n_classes, ignore_index)


# The same check in an explicit graph (chainrule.sym), whose targets have no values before
# it is bound: a node that passes them through and checks them when the graph is evaluated
# (made by ``symbolic.shaped_node``: ones, the stand-ins, are no class of a 1-class input)
CLASS_TARGETS = defop("class_targets", _checked_targets, register=False)


def _nll_pick(xp, target, weight, ignore_index, dtype):
    """(index of each target, safe to gather; each target's weight, 0 where ignored)."""
    if is_symbolic(target) or is_symbolic(weight):  # (a graph's: the same, as its nodes)
        ins, ps = [target] + ([] if weight is None else [weight]), {"ignore_index": ignore_index}
        safe = shaped_node(_NLL_SAFE, ins, ps, target.shape, target.dtype)
        ps["np_dtype"] = dtype
        return safe, shaped_node(_NLL_WEIGHTS, ins, ps, target.shape, dtype)
    valid = target != ignore_index
    safe = xp.where(valid, target, 0)
    w = (
        xp.ones(target.shape, dtype)
        if weight is None
        else _backend.astype(_at(weight, safe), dtype)
    )
    return safe, _backend.astype(xp.where(valid, w, 0), dtype)


def _at(weight, safe):
    """weight[safe]; on Dask, a take of the flattened index (Dask indexes with one 1-d
    array of integers without computing it; an n-d one it would compute)."""
    if not (_backend.lazy(safe) or _backend.lazy(weight)):
        return weight[safe]
    xp = _namespace(safe if _backend.lazy(safe) else weight)
    flat = xp.take(xp.asarray(weight), _backend.reshape(safe, (-1,)), axis=0)
    return _backend.reshape(flat, tuple(safe.shape))


def _nll_divided(ns, v, target, w, ignore_index):
    """A 'mean' gradient or tangent: v over the targets' weight sum; where every target is
    ignored, v * 0 (0, not 0 / 0, as PyTorch; targets of weight 0 only: its NaN)."""
    if is_symbolic(target) or is_symbolic(w):  # (a graph: the sum, or inf where none is left)
        div = shaped_node(_NLL_DIVISOR, [target, w], {"ignore_index": ignore_index}, (), w.dtype)
        return v / ns.const(div, v)
    if _backend.lazy(target) or _backend.lazy(w):  # (Dask: the choice a where, computed later)
        xp = _namespace(target if _backend.lazy(target) else w)
        return v / ns.const(_nll_divisor(xp, target, w, ignore_index=ignore_index), v)
    xp = _namespace(target)
    return v / xp.sum(w) if _backend.any_true(target != ignore_index) else v * 0


def _nll_divisor(xp, target, w, *, ignore_index):
    inf = xp.asarray(math.inf, dtype=w.dtype)  # (v / inf: v * 0, with v's NaNs and signs)
    if _backend.lazy(target) or _backend.lazy(w):
        return xp.where(xp.any(target != ignore_index), xp.sum(w), inf)
    if _backend.any_true(target != ignore_index):
        return xp.sum(w)
    return inf


# the rules' helpers on a graph's targets (nodes of no derivative, outside the registry)
_NLL_SAFE = defop(
    "nll_safe",
    lambda xp, target, weight=None, *, ignore_index: _nll_pick(
        xp, target, weight, ignore_index, target.dtype
    )[0],
    register=False,
)
_NLL_WEIGHTS = defop(
    "nll_weights",
    lambda xp, target, weight=None, *, ignore_index, np_dtype: _nll_pick(
        xp, target, weight, ignore_index, np_dtype
    )[1],
    register=False,
)
_NLL_DIVISOR = defop("nll_divisor", _nll_divisor, register=False)


def _nll(xp, x, *, target, weight, ignore_index, reduction):
    cdim = 0 if x.ndim == 1 else 1
    safe, w = _nll_pick(xp, target, weight, ignore_index, x.dtype)
    picked = xp.take_along_axis(x, xp.expand_dims(safe, cdim), axis=cdim)
    loss = -xp.squeeze(picked, axis=cdim) * w
    if reduction == "mean":  # the weighted mean: all ignored is 0 / 0 = nan, as PyTorch
        return xp.sum(loss) / xp.sum(w)
    return _reduce(xp, loss, reduction)


def _nll_index(safe, cdim: int, batch: tuple):
    """The gather index of the targets: the class dim inserted, batch axes in front."""
    shape = tuple(safe.shape)
    idx = _backend.reshape(safe, shape[:cdim] + (1,) + shape[cdim:])
    return _namespace(idx).broadcast_to(idx, tuple(batch) + idx.shape) if batch else idx


def _nll_vjp(ns, g, x_shape, target, weight, ignore_index, reduction, batch):
    # -g times each target's weight (over the weight sum for 'mean') at its class, 0 where
    # ignored (all ignored: 0, not 0 / 0, as PyTorch)
    cdim, nb = (0 if len(x_shape) == 1 else 1), len(batch)
    xp = _namespace(target)
    safe, w = _nll_pick(xp, target, weight, ignore_index, getattr(g, "_data", g).dtype)
    if reduction != "none":
        g = ns.reshape(g, tuple(g.shape) + (1,) * target.ndim)
    coef = -g * ns.const(w, g)
    if reduction == "mean":
        coef = _nll_divided(ns, coef, target, w, ignore_index)
    coef = ns.broadcast_to(coef, tuple(batch) + target.shape)
    idx = _nll_index(safe, cdim, batch)
    return ns.put_along(ns.expand_dims(coef, nb + cdim), idx, nb + cdim, tuple(batch) + x_shape)


def _nll_jvp(ns, t, x_shape, target, weight, ignore_index, reduction, batch):
    cdim, nb = (0 if len(x_shape) == 1 else 1), len(batch)
    xp = _namespace(target)
    safe, w = _nll_pick(xp, target, weight, ignore_index, getattr(t, "_data", t).dtype)
    idx = _nll_index(safe, cdim, batch)
    picked = ns.squeeze(ns.take_along(t, idx, nb + cdim), (nb + cdim,))
    v = -picked * ns.const(w, picked)
    if reduction == "none" or not target.ndim:
        total = v
    else:
        total = ns.sum(v, axis=tuple(range(-target.ndim, 0)))
    if reduction == "mean":
        return _nll_divided(ns, total, target, w, ignore_index)
    return total


NLL_LOSS = defop(
    "nll_loss",
    _nll,
    _nll_vjp,
    jvp=_nll_jvp,
    tensor_params=("target",),
    kink="ignored targets get no gradient; all ignored: a NaN loss with a zero gradient",
)
# (N, C, H, W) inputs: PyTorch's node of the same rules (3-d and 5-d or more are viewed
# as 4-d by nll_loss, as there)
NLL_LOSS_2D = alias(NLL_LOSS, "nll_loss2d", grad_fn="NllLoss2DBackward0")
