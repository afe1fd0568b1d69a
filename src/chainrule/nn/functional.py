"""nn.functional: the layers' math as functions, composed from chainrule ops (so autograd
and every derivative come from the ops table; nothing here knows a derivative).

>>> import chainrule as torch
>>> import chainrule.nn.functional as F
>>> F.cross_entropy(torch.tensor([[2.0, 0.0]]), torch.tensor([0]))
tensor(0.1269)
"""

from __future__ import annotations

import math
import warnings

from .. import backend as _backend
from .. import creation
from .. import dtypes as _dtypes
from .. import random as _random
from ..backend import namespace as _namespace
from ..functions import conv as _conv
from ..functions import elementwise as E
from ..functions import indexing
from ..functions import linalg as _linalg
from ..functions import reduction as R
from ..functions import shape as S
from ..ops import elementwise as ops_ew
from ..ops import indexing as ops_indexing
from ..ops import loss as ops_loss
from ..ops import norm as ops_norm
from ..ops.apply import apply, apply_inplace
from ..ops.elementwise import ADDMM
from ..ops.symbolic import DataDependentShape, SymArray, shaped_node
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
    x, w = input._data, weight._data
    if bias is None or w.ndim != 2:
        out = input @ S.t(weight) if w.ndim == 2 else input @ weight
        return out if bias is None else out + bias
    # with a bias, PyTorch's one addmm: a contiguous batch (or a vector) folded into rows,
    # the result viewed back (ViewBackward0); a strided batch is a matmul and an add
    if x.ndim == 2 or x.ndim == 1 or (x.ndim > 2 and _backend.c_contiguous(x)):
        wt = S.t(weight)
        _linalg._addmm_checks(bias, input, wt)
        rows = input if x.ndim == 2 else S.reshape(input, (-1, x.shape[-1]))
        out = apply(ADDMM, bias, _linalg.matmul(rows, wt))
        return out if x.ndim == 2 else S.view(out, x.shape[:-1] + (w.shape[0],))
    return input @ S.t(weight) + bias


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


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    """x * Phi(x), Phi the standard normal CDF (``approximate='tanh'``: PyTorch's tanh
    formula 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))).

    >>> import chainrule as torch
    >>> torch.nn.functional.gelu(torch.tensor([-1.0, 0.0, 1.0]))
    tensor([-0.1587,  0.0000,  0.8413])
    """
    if approximate not in ("none", "tanh"):
        raise RuntimeError("approximate argument must be either none or tanh.")
    return apply(ops_ew.GELU, input, approximate=approximate)


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """x where x > 0, else ``negative_slope * x``.

    >>> import chainrule as torch
    >>> torch.nn.functional.leaky_relu(torch.tensor([-2.0, 3.0]), 0.1)
    tensor([-0.2000,  3.0000])
    """
    if inplace:
        return apply_inplace(ops_ew.LEAKY_RELU_INPLACE, input, negative_slope=negative_slope)
    return apply(ops_ew.LEAKY_RELU, input, negative_slope=negative_slope)


def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """x where x > 0, else ``alpha * (exp(x) - 1)``.

    >>> import chainrule as torch
    >>> torch.nn.functional.elu(torch.tensor([-1.0, 2.0]))
    tensor([-0.6321,  2.0000])
    """
    if inplace:
        return apply_inplace(ops_ew.ELU_INPLACE, input, alpha=alpha)
    return apply(ops_ew.ELU, input, alpha=alpha)


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """log(1 + exp(beta x)) / beta, a smooth relu; x itself where ``beta * x > threshold``.

    >>> import chainrule as torch
    >>> torch.nn.functional.softplus(torch.tensor([0.0, 30.0]))
    tensor([ 0.6931, 30.0000])
    """
    return apply(ops_ew.SOFTPLUS, input, beta=beta, threshold=threshold)


def one_hot(tensor: Tensor, num_classes: int = -1) -> Tensor:
    """Class indices (int64) to one-hot rows: a new last dim of size ``num_classes``
    (-1: one more than the largest index).

    >>> import chainrule as torch
    >>> torch.nn.functional.one_hot(torch.tensor([0, 2]), 3)
    tensor([[1, 0, 0],
            [0, 0, 1]])
    """
    if tensor.dtype.name != "int64":
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    t = tensor._data
    if num_classes == -1:
        if type(t) is SymArray:  # one more class than the largest index
            raise DataDependentShape("one_hot() without num_classes")
        if t.size == 0:
            raise RuntimeError("Can not infer total number of classes from empty tensor.")
        num_classes = int(_backend.namespace(t).max(t)) + 1
    if type(t) is SymArray:  # an explicit graph: the indices are checked when it is evaluated
        if num_classes < 0:  # (no class values are smaller than it, as below)
            raise RuntimeError("Class values must be smaller than num_classes.")
        params = {"num_classes": num_classes}
        ind = shaped_node(ops_indexing.ONE_HOT_INDICES, [t], params, t.shape, t.dtype)
        tensor = tensor._new(ind)
    elif t.size:  # (on Dask: the indices through a task that checks them when computed)
        checked = ops_indexing.check_one_hot(t, num_classes)
        tensor = tensor if checked is t else tensor._new(checked)
    elif num_classes < 0:
        raise RuntimeError("Class values must be smaller than num_classes.")
    classes = creation.arange(num_classes, device=tensor.device)
    return (S.unsqueeze(tensor, -1) == classes).to(tensor.dtype)


def layer_norm(
    input: Tensor,
    normalized_shape,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    eps: float = 1e-5,
) -> Tensor:
    """Standardize over the last ``len(normalized_shape)`` dims (mean 0, biased variance
    1, with ``eps`` added to it), then scale by ``weight`` and shift by ``bias``.

    >>> import chainrule as torch
    >>> torch.nn.functional.layer_norm(torch.tensor([[1.0, 3.0]]), (2,))
    tensor([[-1.0000,  1.0000]])
    """
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    k = len(shape)
    if k == 0 or input.ndim < k or tuple(input.shape[input.ndim - k :]) != shape:
        raise RuntimeError(
            f"Given normalized_shape={list(shape)}, expected input with shape "
            f"[*{''.join(', ' + str(n) for n in shape)}], but got input of size"
            f"{list(input.shape)}"
        )
    axes = tuple(range(-k, 0))
    return apply(
        ops_norm.LAYER_NORM,
        input,
        1.0 if weight is None else weight,
        0.0 if bias is None else bias,
        axes=axes,
        eps=eps,
    )


def _channel_shaped(t: Tensor | None, ndim: int, fill: float):
    """A per-channel (C,) tensor shaped (C, 1, ...) to broadcast against dim 1 of an
    ndim-d input; ``fill`` (a number) where there is none."""
    if t is None:
        return fill
    return S.reshape(t, (t.shape[0],) + (1,) * (ndim - 2)) if ndim > 2 else t


def batch_norm(
    input: Tensor,
    running_mean: Tensor | None,
    running_var: Tensor | None,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    training: bool = False,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> Tensor:
    """Standardize each channel (dim 1) over the batch and every other dim, then scale by
    ``weight`` and shift by ``bias`` (per channel). ``training``: with the batch's mean
    and biased variance, and the running statistics (if given) move toward the batch's
    mean and *unbiased* variance by ``momentum``, in place; else with the running ones.

    >>> import chainrule as torch
    >>> x = torch.tensor([[1.0], [3.0]])
    >>> torch.nn.functional.batch_norm(x, None, None, training=True)
    tensor([[-1.0000],
            [ 1.0000]])
    """
    if input.ndim < 2:
        raise ValueError(f"expected 2D or more input (got {input.ndim}D input)")
    c = input.shape[1]
    for name, t in (("running_mean", running_mean), ("running_var", running_var)):
        if t is not None and t.numel() != c:
            raise RuntimeError(f"{name} should contain {c} elements not {t.numel()}")
    w = _channel_shaped(weight, input.ndim, 1.0)
    b = _channel_shaped(bias, input.ndim, 0.0)
    axes = (0, *range(2, input.ndim))
    if not training:
        if running_mean is None or running_var is None:
            raise RuntimeError("running_mean must be defined in evaluation mode")
        cshape = (c,) + (1,) * (input.ndim - 2)
        return apply(
            ops_norm.BATCH_NORM_EVAL,
            input,
            w,
            b,
            mean=_backend.reshape(running_mean._data, cshape),
            var=_backend.reshape(running_var._data, cshape),
            eps=eps,
        )
    n = input.numel() // c if c else 0
    if n <= 1:
        raise ValueError(
            f"Expected more than 1 value per channel when training, got input size {input.shape}"
        )
    if running_mean is not None or running_var is not None:
        _update_running_stats(input._data, axes, n, running_mean, running_var, momentum)
    neg = tuple(a - input.ndim for a in axes)  # counted from the end (batch axes lead)
    return apply(ops_norm.BATCH_NORM, input, w, b, axes=neg, eps=eps)


def _update_running_stats(x, axes, n, running_mean, running_var, momentum) -> None:
    """running = (1 - momentum) * running + momentum * batch statistic, in place (no
    history): the batch's mean, and its unbiased variance (n / (n - 1) times the biased)."""
    xp = _namespace(x)
    mean = xp.mean(x, axis=axes)
    var = xp.mean((x - xp.reshape(mean, (1, -1) + (1,) * (x.ndim - 2))) ** 2, axis=axes)
    for t, stat in ((running_mean, mean), (running_var, var * (n / (n - 1)))):
        if t is not None:
            d = t._data
            d[...] = _backend.astype((1 - momentum) * d + momentum * stat, d.dtype, copy=False)
            t._vc[0] += 1


def embedding(
    input: Tensor,
    weight: Tensor,
    padding_idx: int | None = None,
    max_norm: float | None = None,
    norm_type: float = 2.0,
    scale_grad_by_freq: bool = False,
    sparse: bool = False,
) -> Tensor:
    """Rows of ``weight`` picked by the integer ``input``: shape ``input.shape + (dim,)``.
    Row ``padding_idx`` gets no gradient; with ``max_norm``, every picked row whose
    ``norm_type``-norm exceeds it is first scaled down to it, in ``weight`` itself.

    >>> import chainrule as torch
    >>> w = torch.tensor([[0.0, 0.0], [1.0, 2.0], [3.0, 4.0]])
    >>> torch.nn.functional.embedding(torch.tensor([2, 1]), w)
    tensor([[3., 4.],
            [1., 2.]])
    """
    if input.dtype.name not in ("int64", "int32"):
        raise RuntimeError(
            "Expected tensor for argument #1 'indices' to have one of the following scalar "
            f"types: Long, Int; but got {_tensor_type(input)} instead (while checking "
            "arguments for embedding)"
        )
    if sparse:
        raise NotImplementedError("chainrule has no sparse gradients: use sparse=False")
    n = weight.shape[0]
    if padding_idx is not None:
        if padding_idx > 0 and padding_idx >= n:
            raise AssertionError("Padding_idx must be within num_embeddings")
        if padding_idx < 0:
            if padding_idx < -n:
                raise AssertionError("Padding_idx must be within num_embeddings")
            padding_idx += n
    # (on Dask, idx through a task that checks it when computed: NumPy's take would wrap)
    idx = _backend.checked(input._data, _out_of_range, n)
    if max_norm is not None:
        _renorm_rows(weight, idx, max_norm, norm_type)
    return apply(
        ops_indexing.EMBEDDING,
        weight,
        indices=_backend.astype(idx, _backend.namespace(idx).int64, copy=False),
        padding_idx=padding_idx,
        scale_grad_by_freq=scale_grad_by_freq,
    )


def _out_of_range(idx, start, n: int):
    """embedding's error for an index outside 0..n-1, else None (backend.checked)."""
    xp = _backend.namespace(idx)
    if idx.size and (int(xp.min(idx)) < 0 or int(xp.max(idx)) >= n):
        return IndexError("index out of range in self")
    return None


def _tensor_type(t: Tensor) -> str:
    return f"torch.{t.dtype.title}Tensor"  # PyTorch's legacy type name: torch.FloatTensor


def _renorm_rows(weight: Tensor, idx, max_norm: float, norm_type: float) -> None:
    """PyTorch's embedding_renorm_: each picked row with norm > max_norm is scaled by
    max_norm / (norm + 1e-7), in place and without history."""
    xp = _namespace(idx)
    w = weight._data
    rows = xp.unique(_backend.reshape(idx, (-1,)))
    if not rows.size:
        return
    sub = _backend.getitem(xp, w, rows)
    if norm_type == float("inf"):
        norms = xp.max(xp.abs(sub), axis=1)
    else:
        norms = xp.sum(xp.abs(sub) ** norm_type, axis=1) ** (1.0 / norm_type)
    big = norms > max_norm
    if _backend.any_true(big):
        scale = _backend.astype(max_norm / (norms[big] + 1e-7), w.dtype)
        _backend.setitem(xp, w, rows[big], sub[big] * scale[:, None])
        weight._vc[0] += 1


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
    else:  # as PyTorch: a Bernoulli(1 - p) mask (in the input's memory order), / (1 - p)
        mask = E._random_fill(input, None, lambda g, n, d, c: _random.dropout_mask(g, n, p, d))
        if _backend.lazy(mask):  # (on Dask already, in input's chunks: no round trip)
            scale = make(_backend.astype(mask, input._data.dtype, copy=False))
        else:
            scale = creation.tensor(mask, dtype=input.dtype, device=input.device)
    return input.mul_(scale) if inplace else input * scale


def flatten(input: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    """Merge dims ``start_dim..end_dim`` into one."""
    return S.flatten(input, start_dim, end_dim)


# ------------------------------------------------------------------ losses
def _legacy_reduction(size_average, reduce, reduction: str) -> str:
    """The reduction named by PyTorch's deprecated ``size_average``/``reduce`` flags, if any
    (with PyTorch's warning); else ``reduction``, checked."""
    if size_average is None and reduce is None:
        _check_reduction(reduction)
        return reduction
    if reduce is False:
        new = "none"
    else:
        new = "sum" if size_average is False else "mean"
    warnings.warn(
        f"size_average and reduce args will be deprecated, please use reduction='{new}' instead.",
        UserWarning,
        stacklevel=3,
    )
    return new


def _broadcast_pair(input: Tensor, target: Tensor) -> tuple[Tensor, Tensor]:
    """input and target expanded to one shape, with PyTorch's warning when they differ (a
    (n, 1) prediction against an (n,) target broadcasts to (n, n))."""
    if target.shape == input.shape:
        return input, target
    warnings.warn(
        f"Using a target size ({target.shape}) that is different to the input size "
        f"({input.shape}). This will likely lead to incorrect results due to broadcasting. "
        "Please ensure they have the same size.",
        UserWarning,
        stacklevel=3,
    )
    a, b = tuple(input.shape), tuple(target.shape)
    n = max(len(a), len(b))
    a, b = (1,) * (n - len(a)) + a, (1,) * (n - len(b)) + b
    shape = []
    for k, (p, q) in enumerate(zip(a, b, strict=True)):
        if p != q and p != 1 and q != 1:
            raise RuntimeError(
                f"The size of tensor a ({p}) must match the size of tensor b ({q}) at "
                f"non-singleton dimension {k}"
            )
        shape.append(q if p == 1 else p)
    return S.broadcast_to(input, tuple(shape)), S.broadcast_to(target, tuple(shape))


def _no_grad_weight(fn: str, name: str, w: Tensor | None) -> None:
    if w is not None and w.requires_grad:
        raise RuntimeError(
            f"The function '{fn}' is not differentiable with respect to argument '{name}'. "
            "This input cannot have requires_grad True."
        )


def mse_loss(
    input: Tensor,
    target: Tensor,
    size_average=None,
    reduce=None,
    reduction: str = "mean",
) -> Tensor:
    """Mean (or sum, or elementwise) squared error. Warns, as PyTorch does, when the
    shapes differ (a (n, 1) prediction against an (n,) target broadcasts to (n, n)).

    >>> import chainrule as torch
    >>> torch.nn.functional.mse_loss(torch.tensor([1.0, 3.0]), torch.tensor([0.0, 0.0]))
    tensor(5.)
    """
    reduction = _legacy_reduction(size_average, reduce, reduction)
    input, target = _broadcast_pair(input, target)
    return apply(ops_loss.MSE_LOSS, input, target, reduction=reduction)


def l1_loss(
    input: Tensor,
    target: Tensor,
    size_average=None,
    reduce=None,
    reduction: str = "mean",
) -> Tensor:
    """Mean (or sum, or elementwise) absolute error |x - y|, composed as PyTorch's is
    (``abs`` then ``mean``: its grad_fn is MeanBackward0); the gradient is 0 where x == y.

    >>> import chainrule as torch
    >>> torch.nn.functional.l1_loss(torch.tensor([1.0, -3.0]), torch.tensor([0.0, 0.0]))
    tensor(2.)
    """
    reduction = _legacy_reduction(size_average, reduce, reduction)
    input, target = _broadcast_pair(input, target)
    return _reduce(E.abs(input - target), reduction)


def smooth_l1_loss(
    input: Tensor,
    target: Tensor,
    size_average=None,
    reduce=None,
    reduction: str = "mean",
    beta: float = 1.0,
) -> Tensor:
    """Squared error / (2 beta) where |x - y| < beta, |x - y| - beta / 2 beyond (the
    Huber loss over beta); beta = 0 is the L1 loss.

    >>> import chainrule as torch
    >>> torch.nn.functional.smooth_l1_loss(torch.tensor([0.5, 3.0]), torch.zeros(2))
    tensor(1.3125)
    """
    reduction = _legacy_reduction(size_average, reduce, reduction)
    if beta < 0:
        raise RuntimeError("smooth_l1_loss does not support negative values for beta.")
    if beta == 0:  # PyTorch's: the L1 loss itself (its nodes too)
        return l1_loss(input, target, reduction=reduction)
    input, target = _broadcast_pair(input, target)
    return apply(ops_loss.SMOOTH_L1_LOSS, input, target, beta=float(beta), reduction=reduction)


def _weight_array(weight: Tensor | None, shape: tuple, dtype):
    """A constant weight's array, broadcast to ``shape``, in the input's (NumPy) dtype."""
    if weight is None:
        return None
    w = weight._data
    try:
        w = _namespace(w).broadcast_to(w, shape)
    except ValueError as e:
        raise RuntimeError(
            f"weight of shape {list(weight.shape)} cannot broadcast to the input's shape "
            f"{list(shape)}"
        ) from e
    return _backend.astype(w, dtype, copy=False)


def binary_cross_entropy(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,
    size_average=None,
    reduce=None,
    reduction: str = "mean",
) -> Tensor:
    """-(y log x + (1 - y) log(1 - x)) for probabilities x, each log clamped at -100 as in
    PyTorch (so x = 0 or 1 gives 100, not inf); ``weight`` rescales each element.

    >>> import chainrule as torch
    >>> torch.nn.functional.binary_cross_entropy(torch.tensor([0.5, 0.0]), torch.ones(2))
    tensor(50.3466)
    """
    reduction = _legacy_reduction(size_average, reduce, reduction)
    if target.shape != input.shape:
        raise ValueError(
            f"Using a target size ({target.shape}) that is different to the input size "
            f"({input.shape}) is deprecated. Please ensure they have the same size."
        )
    _no_grad_weight("binary_cross_entropy", "weight", weight)
    x = input._data
    if type(x) is SymArray:  # an explicit graph: the check is a node, run at evaluation
        input = apply(ops_loss.PROBABILITIES, input)
    elif not _backend.lazy(x):  # (on Dask: a task in the op's forward and rules)
        ops_loss.check_probabilities(x)
    if target.dtype != input.dtype:
        raise RuntimeError(f"Found dtype {target.dtype.title} but expected {input.dtype.title}")
    w = _weight_array(weight, tuple(input.shape), x.dtype)
    return apply(ops_loss.BINARY_CROSS_ENTROPY, input, target, weight=w, reduction=reduction)


def binary_cross_entropy_with_logits(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,
    size_average=None,
    reduce=None,
    reduction: str = "mean",
    pos_weight: Tensor | None = None,
) -> Tensor:
    """Binary cross-entropy of sigmoid(x), computed from the logits x without forming the
    sigmoid: (1 - y) x + log(1 + exp(-x)), stable for any x. ``pos_weight`` (broadcast
    along the last dim: one per class) scales the positive term, ``weight`` each element.

    >>> import chainrule as torch
    >>> F = torch.nn.functional
    >>> F.binary_cross_entropy_with_logits(torch.tensor([1000.0, -1000.0]), torch.ones(2))
    tensor(500.)
    """
    reduction = _legacy_reduction(size_average, reduce, reduction)
    if target.shape != input.shape:
        raise ValueError(
            f"Target size ({target.shape}) must be the same as input size ({input.shape})"
        )
    fn = "binary_cross_entropy_with_logits"
    _no_grad_weight(fn, "weight", weight)
    _no_grad_weight(fn, "pos_weight", pos_weight)
    shape, dt = tuple(input.shape), input._data.dtype
    return apply(
        ops_loss.BINARY_CROSS_ENTROPY_WITH_LOGITS,
        input,
        target,
        weight=_weight_array(weight, shape, dt),
        pos_weight=_weight_array(pos_weight, shape, dt),
        reduction=reduction,
    )


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
    size_average=None,
    ignore_index: int = -100,
    reduce=None,
    reduction: str = "mean",
) -> Tensor:
    """Negative log likelihood of class-index ``target`` under log-probabilities ``input``
    (classes on dim 1, or dim 0 for a single sample). With ``weight``, the mean is
    weighted; targets equal to ``ignore_index`` contribute nothing (all ignored: NaN).

    >>> import chainrule as torch
    >>> logp = torch.tensor([[-0.1, -2.0], [-3.0, -0.2]])
    >>> torch.nn.functional.nll_loss(logp, torch.tensor([0, 1]))
    tensor(0.1500)
    """
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_class_target(input, target)
    cdim = _class_dim(input)
    n_classes = input.shape[cdim]
    if weight is not None and (weight.ndim != 1 or weight.shape[0] != n_classes):
        raise RuntimeError(
            f"weight tensor should be defined either for all {n_classes} classes or no "
            f"classes but got weight tensor of shape: {list(weight.shape)}"
        )
    _no_grad_weight("nll_loss_forward", "weight", weight)
    t = target._data
    if type(t) is SymArray:  # an explicit graph: the targets are checked when it is evaluated
        params = {"n_classes": n_classes, "ignore_index": ignore_index}
        t = shaped_node(ops_loss.CLASS_TARGETS, [t], params, t.shape, t.dtype)
    else:  # (on Dask: t through a task that checks it when computed)
        t = ops_loss.check_class_targets(t, n_classes, ignore_index)
    w = None if weight is None else weight._data
    if input.ndim <= 2:
        return apply(
            ops_loss.NLL_LOSS,
            input,
            target=t,
            weight=w,
            ignore_index=ignore_index,
            reduction=reduction,
        )
    # more dims: PyTorch's 2-d kernel on (N, C, H, W), viewed back for 'none'
    n, c = input.shape[0], input.shape[1]
    rest = math.prod(input.shape[2:])
    if input.ndim == 4:
        x4, t4 = input, t
    elif input.ndim == 3:
        x4, t4 = S.unsqueeze(input, 3), t[..., None]
    else:
        x4, t4 = S.reshape(input, (n, c, 1, rest)), _backend.reshape(t, (n, 1, rest))
    out = apply(
        ops_loss.NLL_LOSS_2D,
        x4,
        target=t4,
        weight=w,
        ignore_index=ignore_index,
        reduction=reduction,
    )
    if reduction == "none" and input.ndim != 4:
        out = S.reshape(out, tuple(target.shape))
    return out


def _weighted_mean(total: Tensor, weight_sum, ignored) -> Tensor:
    """total / weight_sum; where every target is ignored, NaN with a zero gradient, as in
    PyTorch (0 / 0 would make the gradient NaN; targets weighted 0 do get PyTorch's NaN)."""
    if ignored.size and _backend.all_true(ignored):
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
    size_average=None,
    ignore_index: int = -100,
    reduce=None,
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
    reduction = _legacy_reduction(size_average, reduce, reduction)
    if not 0.0 <= label_smoothing <= 1.0:
        raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing}")
    cdim = _class_dim(input)
    logp = log_softmax(input, cdim)
    n_classes = input.shape[cdim]
    if target.is_floating_point() and target.shape == input.shape:
        return _soft_cross_entropy(logp, target, weight, cdim, reduction, label_smoothing)
    loss = nll_loss(logp, target, weight, ignore_index=ignore_index, reduction=reduction)
    if label_smoothing == 0.0:
        return loss
    # mixing the one-hot target with the uniform distribution adds eps * mean_c(-logp_c * w_c)
    per_class = -logp if weight is None else -logp * _class_shape(weight, input.ndim, cdim)
    smooth = R.sum(per_class, cdim)
    eps = label_smoothing
    if type(target._data) is SymArray or _backend.lazy(target._data):  # (Dask: as a graph's)
        smooth = _graph_smoothing(smooth, target, weight, ignore_index, reduction, input.dtype)
        return loss * (1.0 - eps) + smooth * (eps / n_classes)
    ignored = target._data == ignore_index
    if _backend.any_true(ignored):
        smooth = E.where(_tensor(ignored), 0.0, smooth)
    if reduction == "mean":
        if weight is not None:
            t = E.where(_tensor(ignored), 0, target)
            w = weight[t] * _tensor(~ignored).to(input.dtype)
            smooth = _weighted_mean(R.sum(smooth), R.sum(w), ignored)
        else:
            smooth = _weighted_mean(
                R.sum(smooth), float(_backend.namespace(ignored).sum(~ignored)), ignored
            )
    else:
        smooth = _reduce(smooth, reduction)
    return loss * (1.0 - eps) + smooth * (eps / n_classes)


def _graph_smoothing(smooth, target, weight, ignore_index, reduction, dtype):
    """cross_entropy's smoothing term for the targets of an explicit graph (or Dask's, whose
    values are not known before they are computed): eager's steps, with the ignored targets
    a node instead of a Python branch on their values (each ``where`` is always taken:
    where nothing is ignored it changes nothing)."""
    ignored = target == ignore_index
    smooth = E.where(ignored, 0.0, smooth)
    if reduction != "mean":
        return _reduce(smooth, reduction)
    if weight is not None:
        weight_sum = R.sum(weight[E.where(ignored, 0, target)] * (~ignored).to(dtype))
    else:
        weight_sum = R.sum(~ignored).to(dtype)
    # every target ignored: NaN with a zero gradient (_weighted_mean), the sum not divided
    none_left = R.all(ignored)
    total = R.sum(smooth)
    nan = total * 0.0 + float("nan")
    return E.where(none_left, nan, total / E.where(none_left, 1.0, weight_sum))


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


# ------------------------------------------------------------------ attention
# Composites of table ops (matmul/bmm/baddbmm, softmax, dropout, masked_fill, views): no rule
# of their own, so every gradient comes from the table. PyTorch's math path, step for step.


def _safe_softmax(x: Tensor, dim: int) -> Tensor:
    """softmax, except that a row whose entries are all -inf gives zeros (not NaN), as
    PyTorch's attention math does; the row is zeroed before the softmax too, so no NaN
    reaches the backward pass either."""
    dead = R.all(x == float("-inf"), dim, keepdim=True)
    return E.where(dead, 0.0, R.softmax(E.where(dead, 0.0, x), dim))


def _float_mask(mask: Tensor, dtype, keep: bool) -> Tensor:
    """A bool mask as an additive float one: -inf where ``mask`` is ``keep`` is not."""
    blocked = ~mask if keep else mask
    return creation.zeros(tuple(mask.shape), dtype=dtype, device=mask.device).masked_fill_(
        blocked, float("-inf")
    )


def _check_sdpa(query: Tensor, key: Tensor, value: Tensor, attn_mask: Tensor | None) -> None:
    if not (query.dtype == key.dtype == value.dtype):
        raise RuntimeError(
            "Expected query, key, and value to have the same dtype, but got query.dtype: "
            f"{_linalg._c_name(query)} key.dtype: {_linalg._c_name(key)} and value.dtype: "
            f"{_linalg._c_name(value)} instead."
        )
    if query.ndim < 2 or key.ndim < 2 or value.ndim < 2:
        raise RuntimeError(
            "Expected query, key, and value to all be  at least 2 dimensional, but got "
            f"query.dim: {query.ndim} key.dim: {key.ndim} and value.dim: {value.ndim} instead."
        )
    if attn_mask is not None and attn_mask.dtype.name != "bool":
        if not attn_mask.is_floating_point() and attn_mask.dtype != query.dtype:
            raise RuntimeError(
                "Expected attn_mask dtype to be bool or float or to match query dtype, but got "
                f"attn_mask.dtype: {_linalg._c_name(attn_mask)} and  query.dtype: "
                f"{_linalg._c_name(query)} instead."
            )


def scaled_dot_product_attention(
    query: Tensor,
    key: Tensor,
    value: Tensor,
    attn_mask: Tensor | None = None,
    dropout_p: float = 0.0,
    is_causal: bool = False,
    *,
    scale: float | None = None,
    enable_gqa: bool = False,
) -> Tensor:
    """softmax(query @ key^T * scale + mask) @ value, over the last two dims (any batch dims
    in front, broadcast). ``scale`` defaults to 1/sqrt(E), E = query.size(-1). A bool
    ``attn_mask`` says where attention may go (True takes part); a float one is added to the
    scores. ``is_causal`` masks the upper triangle (query i sees keys 0..i). ``dropout_p``
    drops attention weights (always, as PyTorch: pass 0.0 when not training).
    ``enable_gqa``: key and value may have fewer heads (dim -3), repeated to the query's.

    PyTorch's math path: scores are (query * sqrt(scale)) @ (key * sqrt(scale))^T, and a row
    masked everywhere gives zeros, not NaN.

    >>> import chainrule as torch
    >>> import chainrule.nn.functional as F
    >>> q = k = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    >>> v = torch.tensor([[1.0, 2.0], [3.0, 4.0]])
    >>> F.scaled_dot_product_attention(q, k, v, is_causal=True)
    tensor([[1.0000, 2.0000],
            [2.3395, 3.3395]])
    """
    _check_sdpa(query, key, value, attn_mask)
    L, S_len = query.shape[-2], key.shape[-2]
    if is_causal:
        if attn_mask is not None:
            raise RuntimeError(
                "_scaled_dot_product_attention: Explicit attn_mask should not be set when "
                "is_causal=True"
            )
        causal = creation.ones(L, S_len, dtype=_dtypes.bool, device=query.device)
        attn_mask = causal.tril()
    if attn_mask is not None and attn_mask.dtype.name == "bool":
        attn_mask = _float_mask(attn_mask, query.dtype, keep=True)
    if enable_gqa and query.ndim >= 3 and key.ndim >= 3:
        hq, hk, hv = query.shape[-3], key.shape[-3], value.shape[-3]
        if hq % hk or hq % hv:
            # (PyTorch's message, cut short as it prints it)
            raise RuntimeError(
                "Number of heads in key and value must divide the number of heads in "
            )
        key = key.repeat_interleave(hq // hk, dim=-3)
        value = value.repeat_interleave(hq // hv, dim=-3)
    if scale is None:
        scale = 1.0 / math.sqrt(query.shape[-1])
    root = math.sqrt(abs(scale))
    q = query * (-root if scale < 0 else root)
    attn = _linalg.matmul(q, S.transpose(key, -2, -1) * root)
    if attn_mask is not None:  # (PyTorch adds it in place: the scores keep their shape)
        scores = attn + attn_mask.to(attn.dtype)
        if scores.shape != attn.shape:
            raise RuntimeError(
                f"output with shape {list(attn.shape)} doesn't match the broadcast shape "
                f"{list(scores.shape)}"
            )
        attn = _safe_softmax(scores, -1)
    else:
        attn = R.softmax(attn, -1)
    if dropout_p > 0.0:
        attn = dropout(attn, dropout_p)
    return _linalg.matmul(attn, value)


def _mha_shape_check(query, key, value, key_padding_mask, attn_mask, num_heads) -> bool:
    """PyTorch's checks of the ranks MultiheadAttention accepts; True if batched."""
    if query.ndim == 3:
        if key.ndim != 3 or value.ndim != 3:
            raise AssertionError(
                "For batched (3-D) `query`, expected `key` and `value` to be 3-D but found "
                f"{key.ndim}-D and {value.ndim}-D tensors respectively"
            )
        if key_padding_mask is not None and key_padding_mask.ndim != 2:
            raise AssertionError(
                "For batched (3-D) `query`, expected `key_padding_mask` to be `None` or 2-D "
                f"but found {key_padding_mask.ndim}-D tensor instead"
            )
        if attn_mask is not None and attn_mask.ndim not in (2, 3):
            raise AssertionError(
                "For batched (3-D) `query`, expected `attn_mask` to be `None`, 2-D or 3-D "
                f"but found {attn_mask.ndim}-D tensor instead"
            )
        return True
    if query.ndim == 2:
        if key.ndim != 2 or value.ndim != 2:
            raise AssertionError(
                "For unbatched (2-D) `query`, expected `key` and `value` to be 2-D but found "
                f"{key.ndim}-D and {value.ndim}-D tensors respectively"
            )
        if key_padding_mask is not None and key_padding_mask.ndim != 1:
            raise AssertionError(
                "For unbatched (2-D) `query`, expected `key_padding_mask` to be `None` or 1-D "
                f"but found {key_padding_mask.ndim}-D tensor instead"
            )
        if attn_mask is not None:
            if attn_mask.ndim not in (2, 3):
                raise AssertionError(
                    "For unbatched (2-D) `query`, expected `attn_mask` to be `None`, 2-D or "
                    f"3-D but found {attn_mask.ndim}-D tensor instead"
                )
            expected = (num_heads, query.shape[0], key.shape[0])
            if attn_mask.ndim == 3 and tuple(attn_mask.shape) != expected:
                raise AssertionError(
                    f"Expected `attn_mask` shape to be {expected} but got {attn_mask.shape}"
                )
        return False
    raise AssertionError(
        "query should be unbatched 2D or batched 3D tensor but received "
        f"{query.ndim}-D query tensor"
    )


def _canonical_mask(mask, mask_name, other_type, other_name, target_type, check_other=True):
    """A bool mask becomes an additive float one (-inf where True); float masks pass."""
    if mask is None:
        return None
    is_bool = mask.dtype.name == "bool"
    if not is_bool and not mask.is_floating_point():
        raise AssertionError(f"only bool and floating types of {mask_name} are supported")
    if check_other and other_type is not None and mask.dtype != other_type:
        warnings.warn(
            f"Support for mismatched {mask_name} and {other_name} is deprecated. Use same type "
            "for both instead.",
            UserWarning,
            stacklevel=3,
        )
    return _float_mask(mask, target_type, keep=False) if is_bool else mask


def _in_projection(query, key, value, w_q, w_k, w_v, b_q, b_k, b_v):
    for name, w, x in (("query", w_q, query), ("key", w_k, key), ("value", w_v, value)):
        want = (query.shape[-1], x.shape[-1])
        if tuple(w.shape) != want:
            raise AssertionError(f"expecting {name} weights shape of {want}, but got {w.shape}")
    for name, b in (("query", b_q), ("key", b_k), ("value", b_v)):
        if b is not None and tuple(b.shape) != (query.shape[-1],):
            raise AssertionError(
                f"expecting {name} bias shape of {(query.shape[-1],)}, but got {b.shape}"
            )
    return linear(query, w_q, b_q), linear(key, w_k, b_k), linear(value, w_v, b_v)


def _in_projection_packed(query, key, value, w, b):
    """q, k, v from the packed (3E, E) weight: one product for self-attention, as PyTorch."""
    if key is value and query is key:
        return S.chunk(linear(query, w, b), 3, -1)
    if key is value:  # one product for key and value
        E_ = query.shape[-1]
        w_q, w_kv = S.split(w, [E_, 2 * E_])
        b_q, b_kv = (None, None) if b is None else S.split(b, [E_, 2 * E_])
        k, v = S.chunk(linear(key, w_kv, b_kv), 2, -1)
        return linear(query, w_q, b_q), k, v
    w_q, w_k, w_v = S.chunk(w, 3)
    b_q, b_k, b_v = (None, None, None) if b is None else S.chunk(b, 3)
    return linear(query, w_q, b_q), linear(key, w_k, b_k), linear(value, w_v, b_v)


def multi_head_attention_forward(
    query: Tensor,
    key: Tensor,
    value: Tensor,
    embed_dim_to_check: int,
    num_heads: int,
    in_proj_weight: Tensor | None,
    in_proj_bias: Tensor | None,
    bias_k: Tensor | None,
    bias_v: Tensor | None,
    add_zero_attn: bool,
    dropout_p: float,
    out_proj_weight: Tensor,
    out_proj_bias: Tensor | None,
    training: bool = True,
    key_padding_mask: Tensor | None = None,
    need_weights: bool = True,
    attn_mask: Tensor | None = None,
    use_separate_proj_weight: bool = False,
    q_proj_weight: Tensor | None = None,
    k_proj_weight: Tensor | None = None,
    v_proj_weight: Tensor | None = None,
    static_k: Tensor | None = None,
    static_v: Tensor | None = None,
    average_attn_weights: bool = True,
    is_causal: bool = False,
) -> tuple[Tensor, Tensor | None]:
    """The math of ``nn.MultiheadAttention`` (sequence-first: query (L, N, E), key and value
    (S, N, kdim/vdim), or unbatched (L, E)): project, split into heads, attend, merge, project
    out. Returns (output, weights); weights are None unless ``need_weights``, averaged over
    heads if ``average_attn_weights``. With ``need_weights=False`` the heads go through
    ``scaled_dot_product_attention``, as in PyTorch.

    >>> import chainrule as torch
    >>> mha = torch.nn.MultiheadAttention(4, 2)
    >>> x = torch.ones(3, 1, 4)
    >>> out, w = torch.nn.functional.multi_head_attention_forward(
    ...     x, x, x, 4, 2, mha.in_proj_weight, mha.in_proj_bias, None, None, False, 0.0,
    ...     mha.out_proj.weight, mha.out_proj.bias)
    >>> out.shape, w.shape
    (torch.Size([3, 1, 4]), torch.Size([1, 3, 3]))
    """
    is_batched = _mha_shape_check(query, key, value, key_padding_mask, attn_mask, num_heads)
    if not is_batched:
        query, key, value = (S.unsqueeze(t, 1) for t in (query, key, value))
        if key_padding_mask is not None:
            key_padding_mask = S.unsqueeze(key_padding_mask, 0)
    tgt_len, bsz, embed_dim = query.shape
    src_len = key.shape[0]
    key_padding_mask = _canonical_mask(
        key_padding_mask,
        "key_padding_mask",
        None if attn_mask is None else attn_mask.dtype,
        "attn_mask",
        query.dtype,
    )
    if is_causal and attn_mask is None:
        raise RuntimeError(
            "Need attn_mask if specifying the is_causal hint. You may use the Transformer "
            "module method `generate_square_subsequent_mask` to create this mask."
        )
    if is_causal and key_padding_mask is None and not need_weights:
        attn_mask = None  # the hint is trusted: the causal mask is made by the attention
    else:
        attn_mask = _canonical_mask(attn_mask, "attn_mask", None, "", query.dtype, False)
        if key_padding_mask is not None:
            is_causal = False
    if embed_dim != embed_dim_to_check:
        raise AssertionError(
            f"was expecting embedding dimension of {embed_dim_to_check}, but got {embed_dim}"
        )
    head_dim = embed_dim // num_heads
    if head_dim * num_heads != embed_dim:
        raise AssertionError(f"embed_dim {embed_dim} not divisible by num_heads {num_heads}")
    if use_separate_proj_weight:
        if tuple(key.shape[:2]) != tuple(value.shape[:2]):
            raise AssertionError(
                f"key's sequence and batch dims {key.shape[:2]} do not match value's "
                f"{value.shape[:2]}"
            )
    elif tuple(key.shape) != tuple(value.shape):
        raise AssertionError(f"key shape {key.shape} does not match value shape {value.shape}")

    if not use_separate_proj_weight:
        if in_proj_weight is None:
            raise AssertionError("use_separate_proj_weight is False but in_proj_weight is None")
        q, k, v = _in_projection_packed(query, key, value, in_proj_weight, in_proj_bias)
    else:
        for name, w in (("q", q_proj_weight), ("k", k_proj_weight), ("v", v_proj_weight)):
            if w is None:
                raise AssertionError(
                    f"use_separate_proj_weight is True but {name}_proj_weight is None"
                )
        b_q, b_k, b_v = (None,) * 3 if in_proj_bias is None else S.chunk(in_proj_bias, 3)
        q, k, v = _in_projection(
            query, key, value, q_proj_weight, k_proj_weight, v_proj_weight, b_q, b_k, b_v
        )

    if attn_mask is not None:
        if attn_mask.ndim == 2:
            if tuple(attn_mask.shape) != (tgt_len, src_len):
                raise RuntimeError(
                    f"The shape of the 2D attn_mask is {attn_mask.shape}, but should be "
                    f"{(tgt_len, src_len)}."
                )
            attn_mask = S.unsqueeze(attn_mask, 0)
        elif tuple(attn_mask.shape) != (bsz * num_heads, tgt_len, src_len):
            raise RuntimeError(
                f"The shape of the 3D attn_mask is {attn_mask.shape}, but should be "
                f"{(bsz * num_heads, tgt_len, src_len)}."
            )

    if bias_k is not None and bias_v is not None:
        if static_k is not None:
            raise AssertionError("bias cannot be added to static key.")
        if static_v is not None:
            raise AssertionError("bias cannot be added to static value.")
        k = S.cat([k, S.repeat(bias_k, (1, bsz, 1))])
        v = S.cat([v, S.repeat(bias_v, (1, bsz, 1))])
        if attn_mask is not None:
            attn_mask = pad(attn_mask, (0, 1))
        if key_padding_mask is not None:
            key_padding_mask = pad(key_padding_mask, (0, 1))
    elif bias_k is not None:
        raise AssertionError("bias_k is set but bias_v is None")
    elif bias_v is not None:
        raise AssertionError("bias_v is set but bias_k is None")

    # heads: (L, N, E) -> (N * heads, L, head_dim)
    q = S.transpose(S.reshape(q, (tgt_len, bsz * num_heads, head_dim)), 0, 1)
    k = _static_or_heads(k, static_k, "static_k", bsz * num_heads, head_dim)
    v = _static_or_heads(v, static_v, "static_v", bsz * num_heads, head_dim)

    if add_zero_attn:
        zeros = (bsz * num_heads, 1, head_dim)
        k = S.cat([k, creation.zeros(zeros, dtype=k.dtype, device=k.device)], 1)
        v = S.cat([v, creation.zeros(zeros, dtype=v.dtype, device=v.device)], 1)
        if attn_mask is not None:
            attn_mask = pad(attn_mask, (0, 1))
        if key_padding_mask is not None:
            key_padding_mask = pad(key_padding_mask, (0, 1))

    src_len = k.shape[1]
    if key_padding_mask is not None:
        if key_padding_mask.shape[0] != bsz:
            raise AssertionError(
                f"Expected key_padded_mask.shape[0] to be {bsz}, but got "
                f"{key_padding_mask.shape[0]}"
            )
        if key_padding_mask.shape[1] != src_len:
            raise AssertionError(
                f"Expected key_padded_mask.shape[1] to be {src_len}, but got "
                f"{key_padding_mask.shape[1]}"
            )
        key_padding_mask = S.reshape(
            S.expand(S.view(key_padding_mask, (bsz, 1, 1, src_len)), (-1, num_heads, -1, -1)),
            (bsz * num_heads, 1, src_len),
        )
        attn_mask = key_padding_mask if attn_mask is None else attn_mask + key_padding_mask

    if not training:
        dropout_p = 0.0

    if need_weights:
        q_scaled = q * math.sqrt(1.0 / float(head_dim))
        if is_causal and attn_mask is None:
            raise AssertionError("FIXME: is_causal not implemented for need_weights")
        kt = S.transpose(k, -2, -1)
        if attn_mask is not None:
            weights = _linalg.baddbmm(attn_mask, q_scaled, kt)
        else:
            weights = _linalg.bmm(q_scaled, kt)
        weights = R.softmax(weights, -1)  # (a row masked everywhere is NaN here, as PyTorch)
        if dropout_p > 0.0:
            weights = dropout(weights, p=dropout_p)
        out = _linalg.bmm(weights, v)
        out = S.reshape(S.transpose(out, 0, 1), (tgt_len * bsz, embed_dim))
        out = linear(out, out_proj_weight, out_proj_bias)
        out = S.view(out, (tgt_len, bsz, out.shape[1]))
        weights = S.view(weights, (bsz, num_heads, tgt_len, src_len))
        if average_attn_weights:
            weights = R.mean(weights, 1)
        if not is_batched:
            out, weights = S.squeeze(out, 1), S.squeeze(weights, 0)
        return out, weights

    if attn_mask is not None:
        if attn_mask.shape[0] == 1 and attn_mask.ndim == 3:
            attn_mask = S.unsqueeze(attn_mask, 0)
        else:
            attn_mask = S.reshape(attn_mask, (bsz, num_heads, -1, src_len))
    q = S.reshape(q, (bsz, num_heads, tgt_len, head_dim))
    k = S.reshape(k, (bsz, num_heads, src_len, head_dim))
    v = S.reshape(v, (bsz, num_heads, src_len, head_dim))
    out = scaled_dot_product_attention(q, k, v, attn_mask, dropout_p, is_causal)
    out = S.reshape(S.permute(out, (2, 0, 1, 3)), (bsz * tgt_len, embed_dim))
    out = linear(out, out_proj_weight, out_proj_bias)
    out = S.view(out, (tgt_len, bsz, out.shape[1]))
    if not is_batched:
        out = S.squeeze(out, 1)
    return out, None


def _static_or_heads(t, static, name, heads, head_dim):
    """(S, N, E) -> (N * heads, S, head_dim), or the given ``static_k``/``static_v``."""
    if static is None:
        return S.transpose(S.reshape(t, (t.shape[0], heads, head_dim)), 0, 1)
    if static.shape[0] != heads:
        raise AssertionError(f"expecting {name}.size(0) of {heads}, but got {static.shape[0]}")
    if static.shape[2] != head_dim:
        raise AssertionError(f"expecting {name}.size(2) of {head_dim}, but got {static.shape[2]}")
    return static
