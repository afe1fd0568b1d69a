"""Flatten: merge dimensions (by default all but the batch dimension).

>>> import chainrule as torch
>>> torch.nn.Flatten()(torch.zeros(2, 3, 4)).shape
torch.Size([2, 12])
"""

from __future__ import annotations

from ..tensor import Tensor
from . import functional as F
from .module import Module


class Flatten(Module):
    """Merge dims ``start_dim..end_dim`` into one (default: keep dim 0, the batch).

    >>> from chainrule import nn
    >>> nn.Flatten()
    Flatten(start_dim=1, end_dim=-1)
    """

    def __init__(self, start_dim: int = 1, end_dim: int = -1) -> None:
        super().__init__()
        self.start_dim = start_dim
        self.end_dim = end_dim

    def forward(self, input: Tensor) -> Tensor:
        return F.flatten(input, self.start_dim, self.end_dim)

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"
