"""Helpers of the distributions: broadcasting parameters, probabilities and logits.

>>> import chainrule as torch
>>> from chainrule.distributions.utils import broadcast_all
>>> [t.shape for t in broadcast_all(torch.zeros(3), 1.0)]
[torch.Size([3]), torch.Size([3])]
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from .. import functions as F
from ..creation import tensor
from ..dtypes import get_default_dtype
from ..tensor import Tensor

__all__ = ["broadcast_all", "clamp_probs", "lazy_property", "logits_to_probs", "probs_to_logits"]


def broadcast_all(*values):
    """Numbers become tensors (of the first tensor's dtype, else the default dtype); all are
    expanded to their common shape."""
    if not all(isinstance(v, (Tensor, numbers.Number)) for v in values):
        raise ValueError("Input arguments must all be instances of numbers.Number or torch.Tensor.")
    like = next((v for v in values if isinstance(v, Tensor)), None)
    dtype = like.dtype if like is not None else get_default_dtype()
    device = like.device if like is not None else None  # numbers join the tensors' device
    ts = [v if isinstance(v, Tensor) else tensor(v, dtype=dtype, device=device) for v in values]
    shape = np.broadcast_shapes(*(tuple(t.shape) for t in ts))
    return tuple(t.expand(shape) for t in ts)


def broadcast_shape(*shapes) -> tuple:
    return tuple(np.broadcast_shapes(*(tuple(s) for s in shapes)))


def _finfo(t):
    return np.finfo(np.dtype(str(t.dtype).replace("torch.", "")))


def clamp_probs(probs):
    """probs clamped to [eps, 1 - eps] of their dtype."""
    eps = float(_finfo(probs).eps)
    return probs.clamp(min=eps, max=1 - eps)


def softplus(x):
    """log(1 + exp(x)), without overflow: max(x, 0) + log1p(exp(-|x|))."""
    return F.elementwise.relu(x) + F.elementwise.log1p(F.elementwise.exp(-x.abs()))


def logits_to_probs(logits, is_binary: bool = False):
    return F.elementwise.sigmoid(logits) if is_binary else F.reduction.softmax(logits, -1)


def probs_to_logits(probs, is_binary: bool = False):
    ps = clamp_probs(probs)
    if is_binary:
        return ps.log() - (-ps).log1p()
    return ps.log()


def bce_with_logits(logits, target):
    """PyTorch's binary_cross_entropy_with_logits(reduction='none'):
    max(l, 0) - l * t + log1p(exp(-|l|))."""
    return F.elementwise.relu(logits) - logits * target + (-logits.abs()).exp().log1p()


class lazy_property:
    """A property computed once per instance and stored in its ``__dict__`` (so it shows
    in ``repr`` afterwards, as PyTorch's)."""

    def __init__(self, fn) -> None:
        self.fn = fn
        self.__doc__ = fn.__doc__
        self.__name__ = fn.__name__

    def __get__(self, obj, cls=None):
        if obj is None:
            return self
        value = self.fn(obj)
        obj.__dict__[self.__name__] = value
        return value


SQRT_2PI_LOG = 0.5 * math.log(2 * math.pi)
