"""Linear (an affine map with PyTorch's default initialization) and Identity.

>>> import chainrule as torch
>>> layer = torch.nn.Linear(3, 2)
>>> layer(torch.ones(4, 3)).shape
torch.Size([4, 2])
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


class Linear(Module):
    """y = x @ weight.T + bias, with weight of shape (out_features, in_features).

    Initialized as PyTorch does: weight by ``kaiming_uniform_(a=sqrt(5))`` and bias from
    U(-1/sqrt(in_features), 1/sqrt(in_features)), so every entry lies within that bound.

    >>> from chainrule import nn
    >>> nn.Linear(2, 1)
    Linear(in_features=2, out_features=1, bias=True)
    """

    def __init__(
        self, in_features: int, out_features: int, bias: bool = True, device=None, dtype=None
    ) -> None:
        super().__init__()
        self.in_features = in_features
        self.out_features = out_features
        self.weight = Parameter(creation.empty(out_features, in_features, dtype=dtype))
        if bias:
            self.bias = Parameter(creation.empty(out_features, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Draw fresh weights (and bias) from PyTorch's default distribution."""
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in = self.in_features
            bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0.0
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input: Tensor) -> Tensor:
        return F.linear(input, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (
            f"in_features={self.in_features}, out_features={self.out_features}, "
            f"bias={self.bias is not None}"
        )


class LazyLinear(LazyModuleMixin, Linear):
    """A Linear layer whose ``in_features`` is read from its first input (d2l's
    ``nn.LazyLinear(1)``). Until then ``weight`` and ``bias`` are
    ``UninitializedParameter`` objects; the first call gives them their shapes and
    PyTorch's initialization in place (the same objects, so an optimizer built before
    updates them), and the module becomes a ``Linear``, as in PyTorch.

    >>> import chainrule as torch
    >>> layer = torch.nn.LazyLinear(2); layer
    LazyLinear(in_features=0, out_features=2, bias=True)
    >>> layer.weight
    <UninitializedParameter>
    >>> layer(torch.ones(5, 3)).shape, layer
    (torch.Size([5, 2]), Linear(in_features=3, out_features=2, bias=True))
    """

    cls_to_become = Linear

    def __init__(self, out_features: int, bias: bool = True, device=None, dtype=None) -> None:
        super().__init__(0, 0, False)  # no bias yet: it would be replaced at once
        self.weight = UninitializedParameter(device=device, dtype=dtype)
        self.out_features = out_features
        if bias:
            self.bias = UninitializedParameter(device=device, dtype=dtype)

    def reset_parameters(self) -> None:
        """PyTorch's initialization, once the parameters have their shapes."""
        if not self.has_uninitialized_params() and self.in_features != 0:
            super().reset_parameters()

    def initialize_parameters(self, input: Tensor) -> None:
        """Take ``in_features`` from ``input``'s last dim and initialize the parameters."""
        if self.has_uninitialized_params():
            with no_grad():
                self.in_features = int(input.shape[-1])
                self.weight.materialize((self.out_features, self.in_features))
                if self.bias is not None:
                    self.bias.materialize((self.out_features,))
                self.reset_parameters()
        if self.in_features == 0:  # (parameters loaded by load_state_dict)
            if input.shape[-1] != self.weight.shape[-1]:
                raise AssertionError(
                    f"The in_features inferred from input: {input.shape[-1]} is not equal to "
                    f"in_features from self.weight: {self.weight.shape[-1]}"
                )
            self.in_features = int(input.shape[-1])


class Identity(Module):
    """Returns its input unchanged (a placeholder layer).

    >>> import chainrule as torch
    >>> torch.nn.Identity()(torch.ones(2))
    tensor([1., 1.])
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__()

    def forward(self, input: Tensor) -> Tensor:
        return input


class NonDynamicallyQuantizableLinear(Linear):
    """A Linear under another name: PyTorch's class for ``MultiheadAttention.out_proj``
    (the name tells its quantization tools to leave it alone); kept so the repr matches.

    >>> from chainrule.nn.linear import NonDynamicallyQuantizableLinear
    >>> NonDynamicallyQuantizableLinear(2, 2)
    NonDynamicallyQuantizableLinear(in_features=2, out_features=2, bias=True)
    """
