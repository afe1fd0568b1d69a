"""Dropout: random zeroing while training, the identity in eval mode.

>>> import chainrule as torch
>>> drop = torch.nn.Dropout(p=0.5).eval()
>>> drop(torch.ones(3))
tensor([1., 1., 1.])
"""

from __future__ import annotations

from ..tensor import Tensor
from . import functional as F
from .module import Module


class Dropout(Module):
    """In training mode, zero each element with probability ``p`` and scale the others by
    1/(1-p); after ``eval()`` pass the input through unchanged.

    >>> from chainrule import nn
    >>> nn.Dropout(0.2)
    Dropout(p=0.2, inplace=False)
    """

    def __init__(self, p: float = 0.5, inplace: bool = False) -> None:
        super().__init__()
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
        self.p = p
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.dropout(input, self.p, self.training, self.inplace)

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace={self.inplace}"
