"""nn.functional: the layers' math as functions, composed from chainrule ops (so autograd
and every derivative come from the ops table; nothing here knows a derivative).

>>> import chainrule as torch
>>> import chainrule.nn.functional as F
>>> F.cross_entropy(torch.tensor([[2.0, 0.0]]), torch.tensor([0]))
tensor(0.1269)
"""

from __future__ import annotations

import warnings

from .. import creation
from ..functions import conv as _conv
from ..functions import elementwise as E
from ..functions import indexing
from ..functions import reduction as R
from ..functions import shape as S
from ..tensor import Tensor, make

# convolution, pooling and padding (their argument parsing and errors: functions/conv.py)
conv1d = _conv.conv1d
conv2d = _conv.conv2d
conv_transpose2d = _conv.conv_transpose2d
max_pool1d = _conv.max_pool1d
max_pool2d = _conv.max_pool2d
avg_pool1d = _conv.avg_pool1d
avg_pool2d = _conv.avg_pool2d
adaptive_avg_pool2d = _conv.adaptive_avg_pool2d
adaptive_max_pool2d = _conv.adaptive_max_pool2d
pad = _conv.pad
unfold = _conv.unfold
fold = _conv.fold

_REDUCTIONS = ("none", "mean", "sum")


def _reduce(loss: Tensor, reduction: str) -> Tensor:
    if reduction == "mean":
        return R.mean(loss)
    if reduction == "sum":
        return R.sum(loss)
    return loss


def _check_reduction(reduction: str) -> None:
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{reduction} is not a valid value for reduction")


# ------------------------------------------------------------------ layers
def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """``input @ weight.T + bias``: an affine map with weight of shape (out, in).

    >>> import chainrule as torch
    >>> import chainrule.nn.functional as F
    >>> F.linear(torch.ones(1, 2), torch.tensor([[1.0, 2.0]]), torch.tensor([0.5]))
    tensor([[3.5000]])
    """
    out = input @ S.t(weight) if weight._data.ndim == 2 else input @ weight
    return out if bias is None else out + bias


def relu(input: Tensor, inplace: bool = False) -> Tensor:
    """max(x, 0), with relu'(0) = 0 as in PyTorch.

    >>> import chainrule as torch
    >>> torch.nn.functional.relu(torch.tensor([-1.0, 0.0, 2.0]))
    tensor([0., 0., 2.])
    """
    return input.relu_() if inplace else E.relu(input)


def sigmoid(input: Tensor) -> Tensor:
    """1 / (1 + exp(-x)).

    >>> import chainrule as torch
    >>> torch.nn.functional.sigmoid(torch.tensor([0.0]))
    tensor([0.5000])
    """
    return E.sigmoid(input)


def tanh(input: Tensor) -> Tensor:
    """Hyperbolic tangent.

    >>> import chainrule as torch
    >>> torch.nn.functional.tanh(torch.tensor([0.0]))
    tensor([0.])
    """
    return E.tanh(input)


def _softmax_dim(name: str, ndim: int) -> int:
    warnings.warn(
        f"Implicit dimension choice for {name} has been deprecated. Change the call to include "
        "dim=X as an argument.",
        UserWarning,
        stacklevel=3,
    )
    return 0 if ndim in (0, 1, 3) else 1


def log_softmax(input: Tensor, dim: int | None = None, dtype=None) -> Tensor:
    """x - max - log(sum(exp(x - max))) along ``dim``: stable and precise for large logits
    (``chainrule.log_softmax``).

    >>> import chainrule as torch
    >>> torch.nn.functional.log_softmax(torch.tensor([0.0, 0.0]), dim=0)
    tensor([-0.6931, -0.6931])
    """
    if dim is None:
        dim = _softmax_dim("log_softmax", input.ndim)
    return R.log_softmax(input, dim, dtype)


def softmax(input: Tensor, dim: int | None = None, dtype=None) -> Tensor:
    """exp(x - max) / sum(exp(x - max)) along ``dim``: never overflows
    (``chainrule.softmax``).

    >>> import chainrule as torch
    >>> torch.nn.functional.softmax(torch.tensor([1000.0, 1000.0]), dim=0)
    tensor([0.5000, 0.5000])
    """
    if dim is None:
        dim = _softmax_dim("softmax", input.ndim)
    return R.softmax(input, dim, dtype)


def dropout(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zero each element with probability ``p`` and scale the rest by 1/(1-p), so the
    expected value is unchanged; the identity when not ``training``. Uses chainrule's RNG
    (``chainrule.manual_seed`` makes it repeatable).

    >>> import chainrule as torch
    >>> torch.nn.functional.dropout(torch.ones(4), p=0.5, training=False)
    tensor([1., 1., 1., 1.])
    """
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if not training or p == 0.0:
        return input
    if p == 1.0:
        scale = creation.zeros_like(input)
    else:
        keep = creation.rand(*input.shape, dtype=input.dtype) >= p
        scale = keep.to(input.dtype) * (1.0 / (1.0 - p))
    return input.mul_(scale) if inplace else input * scale


def flatten(input: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    """Merge dims ``start_dim..end_dim`` into one."""
    return S.flatten(input, start_dim, end_dim)


# ------------------------------------------------------------------ losses
def mse_loss(input: Tensor, target: Tensor, reduction: str = "mean") -> Tensor:
    """Mean (or sum, or elementwise) squared error. Warns, as PyTorch does, when the
    shapes differ (a (n, 1) prediction against an (n,) target broadcasts to (n, n)).

    >>> import chainrule as torch
    >>> torch.nn.functional.mse_loss(torch.tensor([1.0, 3.0]), torch.tensor([0.0, 0.0]))
    tensor(5.)
    """
    if target.shape != input.shape:
        warnings.warn(
            f"Using a target size ({target.shape}) that is different to the input size "
            f"({input.shape}). This will likely lead to incorrect results due to broadcasting. "
            "Please ensure they have the same size.",
            UserWarning,
            stacklevel=2,
        )
    _check_reduction(reduction)
    diff = input - target
    return _reduce(diff * diff, reduction)


def _class_dim(input: Tensor) -> int:
    return 0 if input.ndim == 1 else 1


def _check_class_target(input: Tensor, target: Tensor) -> None:
    if target.dtype.name not in ("int64", "uint8"):
        raise RuntimeError(
            f"expected target dtype to be Long or Byte, but got {target.dtype.title}"
        )
    if input.ndim >= 2 and target.ndim >= 1 and input.shape[0] != target.shape[0]:
        raise ValueError(
            f"Expected input batch_size ({input.shape[0]}) to match target batch_size "
            f"({target.shape[0]})."
        )
    expected = input.shape[:1] + input.shape[2:] if input.ndim >= 2 else ()
    if tuple(target.shape) != tuple(expected):
        raise RuntimeError(
            f"Expected target size {list(expected)}, got {list(target.shape)}: class-index "
            "targets have the input's shape without the class dimension"
        )


def nll_loss(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,
    ignore_index: int = -100,
    reduction: str = "mean",
) -> Tensor:
    """Negative log likelihood of class-index ``target`` under log-probabilities ``input``
    (classes on dim 1, or dim 0 for a single sample). With ``weight``, the mean is
    weighted; targets equal to ``ignore_index`` contribute nothing.

    >>> import chainrule as torch
    >>> logp = torch.tensor([[-0.1, -2.0], [-3.0, -0.2]])
    >>> torch.nn.functional.nll_loss(logp, torch.tensor([0, 1]))
    tensor(0.1500)
    """
    _check_reduction(reduction)
    _check_class_target(input, target)
    cdim = _class_dim(input)
    n_classes = input.shape[cdim]
    t = target._data
    ignored = t == ignore_index
    any_ignored = bool(ignored.any())
    valid = t[~ignored] if any_ignored else t
    if valid.size:
        bad = valid[(valid < 0) | (valid >= n_classes)]
        if bad.size:
            raise IndexError(f"Target {int(bad.reshape(-1)[0])} is out of bounds.")
    if any_ignored:  # any class index will do for the gather; the mask zeroes it after
        target = E.where(_tensor(ignored), 0, target)
    picked = S.squeeze(_gather(input, cdim, target), cdim)
    loss = -picked
    w = None
    if weight is not None:
        w = weight[target]
        loss = loss * w
    if any_ignored:  # an ignored target: a loss of 0 and no gradient, as in PyTorch
        loss = E.where(_tensor(ignored), 0.0, loss)
        keep = _tensor(~ignored).to(input.dtype)
        w = keep if w is None else w * keep
    if reduction == "mean" and w is not None:
        return _weighted_mean(R.sum(loss), R.sum(w), ignored)
    return _reduce(loss, reduction)


def _weighted_mean(total: Tensor, weight_sum, ignored) -> Tensor:
    """total / weight_sum; where every target is ignored, NaN with a zero gradient, as in
    PyTorch (0 / 0 would make the gradient NaN; targets weighted 0 do get PyTorch's NaN)."""
    if ignored.size and ignored.all():
        return total * 0.0 + float("nan")
    return total / weight_sum


def _gather(input: Tensor, dim: int, target: Tensor) -> Tensor:
    return indexing.gather(input, dim, S.unsqueeze(target, dim))


def _tensor(arr) -> Tensor:
    return make(arr)


def cross_entropy(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,
    ignore_index: int = -100,
    reduction: str = "mean",
    label_smoothing: float = 0.0,
) -> Tensor:
    """Softmax cross-entropy from raw scores (logits), stable through logsumexp.

    ``target`` holds class indices (int64, shape of ``input`` without the class dim 1)
    or class probabilities (floating, same shape as ``input``).

    >>> import chainrule as torch
    >>> logits = torch.tensor([[1000.0, 0.0], [0.0, 1000.0]])
    >>> torch.nn.functional.cross_entropy(logits, torch.tensor([0, 0]))
    tensor(500.)
    """
    _check_reduction(reduction)
    if not 0.0 <= label_smoothing <= 1.0:
        raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing}")
    cdim = _class_dim(input)
    logp = log_softmax(input, cdim)
    n_classes = input.shape[cdim]
    if target.is_floating_point() and target.shape == input.shape:
        return _soft_cross_entropy(logp, target, weight, cdim, reduction, label_smoothing)
    loss = nll_loss(logp, target, weight, ignore_index, reduction)
    if label_smoothing == 0.0:
        return loss
    # mixing the one-hot target with the uniform distribution adds eps * mean_c(-logp_c * w_c)
    per_class = -logp if weight is None else -logp * _class_shape(weight, input.ndim, cdim)
    smooth = R.sum(per_class, cdim)
    ignored = target._data == ignore_index
    if ignored.any():
        smooth = E.where(_tensor(ignored), 0.0, smooth)
    if reduction == "mean":
        if weight is not None:
            t = E.where(_tensor(ignored), 0, target)
            w = weight[t] * _tensor(~ignored).to(input.dtype)
            smooth = _weighted_mean(R.sum(smooth), R.sum(w), ignored)
        else:
            smooth = _weighted_mean(R.sum(smooth), float((~ignored).sum()), ignored)
    else:
        smooth = _reduce(smooth, reduction)
    eps = label_smoothing
    return loss * (1.0 - eps) + smooth * (eps / n_classes)


def _class_shape(weight: Tensor, ndim: int, cdim: int) -> Tensor:
    """``weight`` (C,) shaped to broadcast along the class dim of an ndim-d input."""
    shape = [1] * ndim
    shape[cdim] = weight.shape[0]
    return S.reshape(weight, tuple(shape))


def _soft_cross_entropy(logp, target, weight, cdim, reduction, label_smoothing):
    n_classes = logp.shape[cdim]
    if label_smoothing:
        target = target * (1.0 - label_smoothing) + label_smoothing / n_classes
    per_class = -logp * target
    if weight is not None:
        per_class = per_class * _class_shape(weight, logp.ndim, cdim)
    loss = R.sum(per_class, cdim)
    if reduction == "mean":
        # PyTorch divides by the number of samples (not by a weight sum) for soft targets
        n = logp.shape[0] if logp.ndim >= 2 else 1
        for s in logp.shape[2:]:
            n *= s
        return R.sum(loss) / float(n)
    return _reduce(loss, reduction)
