"""Unfold and Fold: sliding blocks to columns (im2col) and back (col2im), as modules.
The math is ``nn.functional.unfold`` / ``fold`` (the table's ``unfold`` and ``fold``).

>>> import chainrule as torch
>>> torch.nn.Unfold(kernel_size=(2, 3), padding=1)
Unfold(kernel_size=(2, 3), dilation=1, padding=1, stride=1)
>>> torch.nn.Unfold(2)(torch.ones(4, 3, 5, 5)).shape
torch.Size([4, 12, 16])
"""

from __future__ import annotations

from ..tensor import Tensor
from . import functional as F
from .module import Module


class Unfold(Module):
    """(N, C, H, W) -> (N, C * kH * kW, L): every sliding block as a column."""

    def __init__(self, kernel_size, dilation=1, padding=0, stride=1) -> None:
        super().__init__()
        self.kernel_size = kernel_size
        self.dilation = dilation
        self.padding = padding
        self.stride = stride

    def forward(self, input: Tensor) -> Tensor:
        return F.unfold(input, self.kernel_size, self.dilation, self.padding, self.stride)

    def extra_repr(self) -> str:
        return (
            f"kernel_size={self.kernel_size}, dilation={self.dilation}, "
            f"padding={self.padding}, stride={self.stride}"
        )


class Fold(Module):
    """(N, C * kH * kW, L) -> (N, C, *output_size): columns summed back into an image.

    >>> from chainrule import nn
    >>> nn.Fold(output_size=(6, 5), kernel_size=2)
    Fold(output_size=(6, 5), kernel_size=2, dilation=1, padding=0, stride=1)
    """

    def __init__(self, output_size, kernel_size, dilation=1, padding=0, stride=1) -> None:
        super().__init__()
        self.output_size = output_size
        self.kernel_size = kernel_size
        self.dilation = dilation
        self.padding = padding
        self.stride = stride

    def forward(self, input: Tensor) -> Tensor:
        return F.fold(
            input, self.output_size, self.kernel_size, self.dilation, self.padding, self.stride
        )

    def extra_repr(self) -> str:
        return (
            f"output_size={self.output_size}, kernel_size={self.kernel_size}, "
            f"dilation={self.dilation}, padding={self.padding}, stride={self.stride}"
        )
