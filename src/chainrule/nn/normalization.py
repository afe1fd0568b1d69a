"""Normalization layers: LayerNorm, BatchNorm1d, BatchNorm2d (and their lazy forms).

>>> import chainrule as torch
>>> from chainrule import nn
>>> bn = nn.BatchNorm1d(2)
>>> bn(torch.tensor([[1.0, 0.0], [3.0, 4.0]]))
tensor([[-1.0000, -1.0000],
        [ 1.0000,  1.0000]], grad_fn=<NativeBatchNormBackward0>)
>>> bn.running_mean, bn.num_batches_tracked
(tensor([0.2000, 0.2000]), tensor(1))
"""

from __future__ import annotations

from .. import creation
from ..autograd.grad_mode import no_grad
from ..dtypes import int64
from ..tensor import Tensor
from . import functional as F
from .lazy import LazyModuleMixin
from .module import Module
from .parameter import Parameter, UninitializedBuffer, UninitializedParameter


class LayerNorm(Module):
    """Standardize each sample over its last dims (``normalized_shape``), then an
    elementwise affine map (``weight`` ones, ``bias`` zeros at first) unless
    ``elementwise_affine=False``; ``bias=False`` keeps the scale only.

    >>> from chainrule import nn
    >>> nn.LayerNorm(4)
    LayerNorm((4,), eps=1e-05, elementwise_affine=True, bias=True)
    """

    def __init__(
        self,
        normalized_shape,
        eps: float = 1e-5,
        elementwise_affine: bool = True,
        bias: bool = True,
        device=None,
        dtype=None,
    ) -> None:
        super().__init__()
        if isinstance(normalized_shape, int):
            normalized_shape = (normalized_shape,)
        self.normalized_shape = tuple(normalized_shape)
        self.eps = eps
        self.elementwise_affine = elementwise_affine
        if elementwise_affine:
            self.weight = Parameter(creation.ones(*self.normalized_shape, dtype=dtype))
            if bias:
                self.bias = Parameter(creation.zeros(*self.normalized_shape, dtype=dtype))
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)

    def reset_parameters(self) -> None:
        """weight to ones, bias to zeros."""
        if self.weight is not None:
            self.weight._data[...] = 1
            self.weight._vc[0] += 1
        if self.bias is not None:
            self.bias._data[...] = 0
            self.bias._vc[0] += 1

    def forward(self, input: Tensor) -> Tensor:
        return F.layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (
            f"{self.normalized_shape}, eps={self.eps}, elementwise_affine="
            f"{self.elementwise_affine}, bias={self.bias is not None}"
        )


class _BatchNorm(Module):
    """What BatchNorm1d and BatchNorm2d share: per-channel ``weight`` and ``bias`` (if
    ``affine``), and the buffers ``running_mean``, ``running_var`` and
    ``num_batches_tracked`` (if ``track_running_stats``). In training the batch's
    statistics normalize and the running ones move toward them by ``momentum``
    (``momentum=None``: their cumulative average); in evaluation the running ones
    normalize (or the batch's, without ``track_running_stats``)."""

    _dims: tuple[int, ...] = ()

    def __init__(
        self,
        num_features: int,
        eps: float = 1e-5,
        momentum: float | None = 0.1,
        affine: bool = True,
        track_running_stats: bool = True,
        device=None,
        dtype=None,
        *,
        bias: bool = True,
    ) -> None:
        super().__init__()
        self.num_features = num_features
        self.eps = eps
        self.momentum = momentum
        self.affine = affine
        self.track_running_stats = track_running_stats
        self._bias = affine and bias
        if affine:
            self.weight = Parameter(creation.ones(num_features, dtype=dtype))
            if bias:
                self.bias = Parameter(creation.zeros(num_features, dtype=dtype))
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        if track_running_stats:
            self.register_buffer("running_mean", creation.zeros(num_features, dtype=dtype))
            self.register_buffer("running_var", creation.ones(num_features, dtype=dtype))
            self.register_buffer("num_batches_tracked", creation.tensor(0, dtype=int64))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)

    def reset_running_stats(self) -> None:
        """running_mean to zeros, running_var to ones, num_batches_tracked to 0."""
        if self.track_running_stats:
            for t, v in (
                (self.running_mean, 0),
                (self.running_var, 1),
                (self.num_batches_tracked, 0),
            ):
                t._data[...] = v
                t._vc[0] += 1

    def reset_parameters(self) -> None:
        """The running statistics reset, weight to ones and bias to zeros."""
        self.reset_running_stats()
        if self.weight is not None:
            self.weight._data[...] = 1
            self.weight._vc[0] += 1
        if self.bias is not None:
            self.bias._data[...] = 0
            self.bias._vc[0] += 1

    def _check_input_dim(self, input: Tensor) -> None:
        if input.ndim not in self._dims:
            want = " or ".join(f"{d}D" for d in self._dims)
            raise ValueError(f"expected {want} input (got {input.ndim}D input)")

    def forward(self, input: Tensor) -> Tensor:
        self._check_input_dim(input)
        factor = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats and self.num_batches_tracked is not None:
            n = self.num_batches_tracked
            n._data[...] = n._data + 1
            n._vc[0] += 1
            factor = 1.0 / float(n._data) if self.momentum is None else self.momentum
        # the batch's statistics in training, and in evaluation without running ones
        use_batch = self.training or (self.running_mean is None and self.running_var is None)
        keep = not self.training or self.track_running_stats
        return F.batch_norm(
            input,
            self.running_mean if keep else None,
            self.running_var if keep else None,
            self.weight,
            self.bias,
            use_batch,
            factor,
            self.eps,
        )

    def extra_repr(self) -> str:
        return (
            f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
            f"affine={self.affine}, bias={self._bias}, "
            f"track_running_stats={self.track_running_stats}"
        )


class BatchNorm1d(_BatchNorm):
    """Batch normalization of (N, C) or (N, C, L) inputs, per channel C.

    >>> from chainrule import nn
    >>> nn.BatchNorm1d(3)
    BatchNorm1d(3, eps=1e-05, momentum=0.1, affine=True, bias=True, track_running_stats=True)
    """

    _dims = (2, 3)


class BatchNorm2d(_BatchNorm):
    """Batch normalization of (N, C, H, W) inputs, per channel C.

    >>> from chainrule import nn
    >>> nn.BatchNorm2d(4, affine=False)
    BatchNorm2d(4, eps=1e-05, momentum=0.1, affine=False, bias=False, track_running_stats=True)
    """

    _dims = (4,)


class _LazyNormBase(LazyModuleMixin):
    """What the lazy BatchNorms share: ``num_features`` read from the first input's dim
    1; until then ``weight`` and ``bias`` are UninitializedParameters and the running
    statistics UninitializedBuffers (``num_batches_tracked`` is a tensor from the start),
    materialized in place on the first call, when the module becomes its eager class."""

    def __init__(
        self,
        eps: float = 1e-5,
        momentum: float | None = 0.1,
        affine: bool = True,
        track_running_stats: bool = True,
        device=None,
        dtype=None,
        *,
        bias: bool = True,
    ) -> None:
        # no affine, no statistics yet: nothing built that would be replaced at once
        super().__init__(0, eps, momentum, False, False, dtype=dtype, bias=False)
        self.affine = affine
        self.track_running_stats = track_running_stats
        self._bias = affine and bias
        if affine:
            self.weight = UninitializedParameter(device=device, dtype=dtype)
            if bias:
                self.bias = UninitializedParameter(device=device, dtype=dtype)
        if track_running_stats:
            self.running_mean = UninitializedBuffer(device=device, dtype=dtype)
            self.running_var = UninitializedBuffer(device=device, dtype=dtype)
            self.num_batches_tracked = creation.tensor(0, dtype=int64, device=device)

    def reset_parameters(self) -> None:
        """The eager reset (ones, zeros, fresh statistics) once the shapes are known."""
        if not self.has_uninitialized_params() and self.num_features != 0:
            super().reset_parameters()

    def initialize_parameters(self, input: Tensor) -> None:
        """Take ``num_features`` from ``input``'s dim 1 and initialize."""
        if self.has_uninitialized_params():
            self.num_features = int(input.shape[1])
            with no_grad():
                for t in (self.weight, self.bias, self.running_mean, self.running_var):
                    if t is not None:
                        t.materialize((self.num_features,))
                self.reset_parameters()
        if self.num_features == 0:  # parameters loaded by load_state_dict (PyTorch leaves 0)
            self.num_features = int(input.shape[1])


class LazyBatchNorm1d(_LazyNormBase, _BatchNorm):
    """BatchNorm1d with ``num_features`` taken from the first input; it becomes a
    BatchNorm1d.

    >>> import chainrule as torch
    >>> bn = torch.nn.LazyBatchNorm1d(); bn.running_mean
    <UninitializedBuffer>
    >>> _ = bn(torch.ones(4, 3)); bn
    BatchNorm1d(3, eps=1e-05, momentum=0.1, affine=True, bias=True, track_running_stats=True)
    """

    cls_to_become = BatchNorm1d
    _dims = BatchNorm1d._dims


class LazyBatchNorm2d(_LazyNormBase, _BatchNorm):
    """BatchNorm2d with ``num_features`` taken from the first input; it becomes a
    BatchNorm2d.

    >>> import chainrule as torch
    >>> bn = torch.nn.LazyBatchNorm2d(); _ = bn(torch.ones(2, 3, 4, 4)); bn.weight.shape
    torch.Size([3])
    """

    cls_to_become = BatchNorm2d
    _dims = BatchNorm2d._dims
