"""Convolution layers: Conv1d, Conv2d and ConvTranspose2d (and their lazy forms), with
PyTorch's arguments, default initialization (weight by ``kaiming_uniform_(a=sqrt(5))``,
bias from U(-1/sqrt(fan_in), 1/sqrt(fan_in))) and printing. The math is
``nn.functional.conv1d/conv2d/conv_transpose2d`` (the table's ``chainrule.ops.conv``).

>>> import chainrule as torch
>>> layer = torch.nn.Conv2d(1, 6, kernel_size=5, padding=2)
>>> layer
Conv2d(1, 6, kernel_size=(5, 5), stride=(1, 1), padding=(2, 2))
>>> layer(torch.ones(4, 1, 28, 28)).shape
torch.Size([4, 6, 28, 28])
"""

from __future__ import annotations

import math

from .. import creation
from ..autograd.grad_mode import no_grad
from ..tensor import Tensor
from . import functional as F
from . import init
from .lazy import LazyModuleMixin
from .module import Module
from .parameter import Parameter, UninitializedParameter

_PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


def _ntuple(v, n: int) -> tuple:
    if isinstance(v, int):
        return (v,) * n
    t = tuple(v)
    return t * n if len(t) == 1 and n > 1 else t


class _ConvNd(Module):
    """What the convolution layers share: arguments, parameters, initialization, repr."""

    _nd = 2
    _transposed = False

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size,
        stride=1,
        padding=0,
        dilation=1,
        groups: int = 1,
        bias: bool = True,
        padding_mode: str = "zeros",
        output_padding=0,
        device=None,
        dtype=None,
    ) -> None:
        super().__init__()
        nd = self._nd
        if groups <= 0:
            raise ValueError("groups must be a positive integer")
        if in_channels % groups != 0:
            raise ValueError("in_channels must be divisible by groups")
        if out_channels % groups != 0:
            raise ValueError("out_channels must be divisible by groups")
        kernel_size = _ntuple(kernel_size, nd)
        stride = _ntuple(stride, nd)
        dilation = _ntuple(dilation, nd)
        if isinstance(padding, str):
            if padding not in ("valid", "same"):
                raise ValueError(
                    f"Invalid padding string {padding!r}, should be one of {{'valid', 'same'}}"
                )
            if padding == "same" and any(s != 1 for s in stride):
                raise ValueError("padding='same' is not supported for strided convolutions")
        else:
            padding = _ntuple(padding, nd)
        if padding_mode not in _PADDING_MODES:
            raise ValueError(
                "padding_mode must be one of {'zeros', 'replicate', 'reflect', 'circular'}, "
                f"but got padding_mode={padding_mode!r}"
            )
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.kernel_size = kernel_size
        self.stride = stride
        self.padding = padding
        self.dilation = dilation
        self.transposed = self._transposed
        self.output_padding = _ntuple(output_padding, nd)
        self.groups = groups
        self.padding_mode = padding_mode
        # F.pad's argument for padding modes other than zeros: last dim first
        if isinstance(padding, str):
            rev = []
            if padding == "same":
                for d, k in zip(reversed(dilation), reversed(kernel_size), strict=True):
                    total = d * (k - 1)
                    rev += [total // 2, total - total // 2]
            else:
                rev = [0, 0] * nd
            self._reversed_padding_repeated_twice = rev
        else:
            self._reversed_padding_repeated_twice = [p for p in reversed(padding) for _ in (0, 1)]
        if self._transposed:
            shape = (in_channels, out_channels // groups) + kernel_size
        else:
            shape = (out_channels, in_channels // groups) + kernel_size
        self.weight = Parameter(creation.empty(*shape, dtype=dtype))
        if bias:
            self.bias = Parameter(creation.empty(out_channels, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Draw fresh weights (and bias) from PyTorch's default distribution."""
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in, _ = init._calculate_fan_in_and_fan_out(self.weight)
            if fan_in != 0:
                bound = 1 / math.sqrt(fan_in)
                init.uniform_(self.bias, -bound, bound)

    def extra_repr(self) -> str:
        nd = self._nd
        s = (
            f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
            f"stride={self.stride}"
        )
        if isinstance(self.padding, str):
            s += f", padding={self.padding}"
        elif self.padding != (0,) * nd:
            s += f", padding={self.padding}"
        if self.dilation != (1,) * nd:
            s += f", dilation={self.dilation}"
        if self.output_padding != (0,) * nd:
            s += f", output_padding={self.output_padding}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        if self.padding_mode != "zeros":
            s += f", padding_mode={self.padding_mode}"
        return s

    def _conv_forward(self, input: Tensor, fn) -> Tensor:
        if self.padding_mode != "zeros":
            mode = self.padding_mode
            padded = F.pad(input, self._reversed_padding_repeated_twice, mode=mode)
            return fn(padded, self.weight, self.bias, self.stride, 0, self.dilation, self.groups)
        return fn(
            input, self.weight, self.bias, self.stride, self.padding, self.dilation, self.groups
        )


class Conv1d(_ConvNd):
    """1-d convolution over (N, C, L) or (C, L): weight (out, in / groups, k).

    >>> from chainrule import nn
    >>> nn.Conv1d(3, 4, 5)
    Conv1d(3, 4, kernel_size=(5,), stride=(1,))
    """

    _nd = 1

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size,
        stride=1,
        padding=0,
        dilation=1,
        groups: int = 1,
        bias: bool = True,
        padding_mode: str = "zeros",
        device=None,
        dtype=None,
    ) -> None:
        super().__init__(
            in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias,
            padding_mode, dtype=dtype,
        )  # fmt: skip

    def forward(self, input: Tensor) -> Tensor:
        return self._conv_forward(input, F.conv1d)


class Conv2d(_ConvNd):
    """2-d convolution over (N, C, H, W) or (C, H, W): weight (out, in / groups, kH, kW).

    >>> from chainrule import nn
    >>> nn.Conv2d(3, 6, 3, stride=2, groups=3, bias=False)
    Conv2d(3, 6, kernel_size=(3, 3), stride=(2, 2), groups=3, bias=False)
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size,
        stride=1,
        padding=0,
        dilation=1,
        groups: int = 1,
        bias: bool = True,
        padding_mode: str = "zeros",
        device=None,
        dtype=None,
    ) -> None:
        super().__init__(
            in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias,
            padding_mode, dtype=dtype,
        )  # fmt: skip

    def forward(self, input: Tensor) -> Tensor:
        return self._conv_forward(input, F.conv2d)


class ConvTranspose2d(_ConvNd):
    """Transposed 2-d convolution (the gradient of Conv2d in its input): weight
    (in, out / groups, kH, kW); ``output_size`` in forward picks the output_padding.

    >>> from chainrule import nn
    >>> nn.ConvTranspose2d(3, 4, 3, stride=2, output_padding=1)
    ConvTranspose2d(3, 4, kernel_size=(3, 3), stride=(2, 2), output_padding=(1, 1))
    """

    _transposed = True

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size,
        stride=1,
        padding=0,
        output_padding=0,
        groups: int = 1,
        bias: bool = True,
        dilation=1,
        padding_mode: str = "zeros",
        device=None,
        dtype=None,
    ) -> None:
        if padding_mode != "zeros":
            raise ValueError('Only "zeros" padding mode is supported for ConvTranspose2d')
        super().__init__(
            in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias,
            padding_mode, output_padding, dtype=dtype,
        )  # fmt: skip

    def _output_padding(self, input: Tensor, output_size) -> tuple:
        if output_size is None:
            return self.output_padding
        want = [int(s) for s in output_size][-2:]
        lo, hi = [], []
        for d in range(2):
            n = input.shape[input.dim() - 2 + d]
            least = (
                (n - 1) * self.stride[d]
                - 2 * self.padding[d]
                + self.dilation[d] * (self.kernel_size[d] - 1)
                + 1
            )
            lo.append(least)
            hi.append(least + self.stride[d] - 1)
        if any(not a <= w <= b for a, w, b in zip(lo, want, hi, strict=True)):
            raise ValueError(
                f"requested an output size of {list(output_size)}, but valid sizes range from "
                f"{lo} to {hi} (for an input of {input.shape[-2:]})"
            )
        return tuple(w - a for w, a in zip(want, lo, strict=True))

    def forward(self, input: Tensor, output_size=None) -> Tensor:
        op = self._output_padding(input, output_size)
        return F.conv_transpose2d(
            input, self.weight, self.bias, self.stride, self.padding, op, self.groups,
            self.dilation,
        )  # fmt: skip


class _LazyConvXdMixin(LazyModuleMixin):
    """What the lazy convolutions share: ``in_channels`` read from the first input's
    channel dim (dim 1, or dim 0 of an unbatched input), then the weight and bias
    materialized and initialized as the eager layer's."""

    def _lazy_init(self, out_channels: int, bias: bool, device, dtype) -> None:
        # the eager __init__ ran with 0 channels and no bias: nothing to replace but these
        self.weight = UninitializedParameter(device=device, dtype=dtype)
        self.out_channels = out_channels
        if bias:
            self.bias = UninitializedParameter(device=device, dtype=dtype)

    def reset_parameters(self) -> None:
        """PyTorch's initialization, once the parameters have their shapes."""
        if not self.has_uninitialized_params() and self.in_channels != 0:
            super().reset_parameters()

    def initialize_parameters(self, input: Tensor, *args, **kwargs) -> None:
        """Take ``in_channels`` from ``input`` and initialize the parameters."""
        if self.has_uninitialized_params():
            self.in_channels = self._get_in_channels(input)
            if self.in_channels % self.groups != 0:
                raise ValueError("in_channels must be divisible by groups")
            if self.transposed:
                shape = (self.in_channels, self.out_channels // self.groups, *self.kernel_size)
            else:
                shape = (self.out_channels, self.in_channels // self.groups, *self.kernel_size)
            with no_grad():
                self.weight.materialize(shape)
                if self.bias is not None:
                    self.bias.materialize((self.out_channels,))
                self.reset_parameters()
        if self.in_channels == 0:  # parameters loaded by load_state_dict (PyTorch leaves 0)
            self.in_channels = self._get_in_channels(input)

    def _get_in_channels(self, input: Tensor) -> int:
        unbatched = self._nd + 1
        if input.dim() not in (unbatched, unbatched + 1):
            raise RuntimeError(
                f"Expected {unbatched}D (unbatched) or {unbatched + 1}D (batched) input to "
                f"{type(self).__name__}, but got input of size: {input.shape}"
            )
        return int(input.shape[1] if input.dim() == unbatched + 1 else input.shape[0])


class LazyConv1d(_LazyConvXdMixin, Conv1d):
    """A Conv1d whose ``in_channels`` is read from its first input; it becomes a Conv1d.

    >>> import chainrule as torch
    >>> layer = torch.nn.LazyConv1d(4, kernel_size=3); layer
    LazyConv1d(0, 4, kernel_size=(3,), stride=(1,))
    >>> layer(torch.ones(2, 5, 8)).shape, layer
    (torch.Size([2, 4, 6]), Conv1d(5, 4, kernel_size=(3,), stride=(1,)))
    """

    cls_to_become = Conv1d

    def __init__(
        self,
        out_channels: int,
        kernel_size,
        stride=1,
        padding=0,
        dilation=1,
        groups: int = 1,
        bias: bool = True,
        padding_mode: str = "zeros",
        device=None,
        dtype=None,
    ) -> None:
        super().__init__(
            0, 0, kernel_size, stride, padding, dilation, groups, False, padding_mode,
            dtype=dtype,
        )  # fmt: skip
        self._lazy_init(out_channels, bias, device, dtype)


class LazyConv2d(_LazyConvXdMixin, Conv2d):
    """A Conv2d whose ``in_channels`` is read from its first input (d2l's
    ``nn.LazyConv2d(6, kernel_size=5, padding=2)``). Until then ``weight`` and ``bias``
    are ``UninitializedParameter`` objects; the first call gives them their shapes and
    PyTorch's initialization in place (the same objects, so an optimizer built before
    updates them), and the module becomes a ``Conv2d``, as in PyTorch.

    >>> import chainrule as torch
    >>> layer = torch.nn.LazyConv2d(6, kernel_size=5, padding=2)
    >>> layer
    LazyConv2d(0, 6, kernel_size=(5, 5), stride=(1, 1), padding=(2, 2))
    >>> layer(torch.ones(2, 3, 8, 8)).shape, layer
    (torch.Size([2, 6, 8, 8]), Conv2d(3, 6, kernel_size=(5, 5), stride=(1, 1), padding=(2, 2)))
    """

    cls_to_become = Conv2d

    def __init__(
        self,
        out_channels: int,
        kernel_size,
        stride=1,
        padding=0,
        dilation=1,
        groups: int = 1,
        bias: bool = True,
        padding_mode: str = "zeros",
        device=None,
        dtype=None,
    ) -> None:
        super().__init__(
            0, 0, kernel_size, stride, padding, dilation, groups, False, padding_mode,
            dtype=dtype,
        )  # fmt: skip
        self._lazy_init(out_channels, bias, device, dtype)


class LazyConvTranspose2d(_LazyConvXdMixin, ConvTranspose2d):
    """A ConvTranspose2d whose ``in_channels`` is read from its first input; it becomes a
    ConvTranspose2d (weight of shape (in, out / groups, kH, kW)).

    >>> import chainrule as torch
    >>> layer = torch.nn.LazyConvTranspose2d(2, kernel_size=2, stride=2)
    >>> layer(torch.ones(1, 3, 4, 4)).shape, layer.weight.shape
    (torch.Size([1, 2, 8, 8]), torch.Size([3, 2, 2, 2]))
    """

    cls_to_become = ConvTranspose2d

    def __init__(
        self,
        out_channels: int,
        kernel_size,
        stride=1,
        padding=0,
        output_padding=0,
        groups: int = 1,
        bias: bool = True,
        dilation=1,
        padding_mode: str = "zeros",
        device=None,
        dtype=None,
    ) -> None:
        super().__init__(
            0, 0, kernel_size, stride, padding, output_padding, groups, False, dilation,
            padding_mode, dtype=dtype,
        )  # fmt: skip
        self._lazy_init(out_channels, bias, device, dtype)
