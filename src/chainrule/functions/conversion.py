"""Conversions of dtype and device, and new tensors like a given one: the Tensor methods
``to``, ``float()``/``long()``/..., ``type``, ``cpu``/``cuda`` and ``new_zeros``/
``new_tensor`` (``ConversionMethods``). A dtype change is the table's ``to_copy``
(recorded: the gradient is cast back).

>>> import chainrule as torch
>>> x = torch.tensor([1, 2])
>>> x.float(), x.to(torch.float64).dtype, x.type()
(tensor([1., 2.]), torch.float64, 'torch.LongTensor')
"""

from __future__ import annotations

import builtins

from .. import _convert
from .. import dtypes as _dt
from ..backend import namespace
from ..device import CPU, device
from ..ops.apply import apply
from ..ops.shape import TO_COPY
from ..tensor_base import TensorBase
from .shape import clone

_FROM_TYPE_NAME = {d.tensor_type: d for d in _dt._ALL}


def to(self, *args, dtype=None, device=None, copy=False, non_blocking=False):
    """self in another dtype (a recorded copy), or self when nothing changes.

    >>> import chainrule as torch
    >>> torch.tensor([1.5]).to(torch.int64)
    tensor([1])
    """
    for a in args:
        if isinstance(a, TensorBase):
            dtype = a.dtype
        elif isinstance(a, (_dt.dtype, type)) or a in (builtins.float, builtins.int, bool):
            dtype = a
        elif isinstance(a, (str, _Device)):
            device = a
    if device is not None and _Device(device) != CPU:
        raise RuntimeError(f"chainrule runs on the CPU (NumPy); device {device!r} is not available")
    if dtype is None:
        return clone(self) if copy else self
    d = _dt.to_dtype(dtype)
    if d.np == self._data.dtype and not copy:
        return self
    return apply(TO_COPY, self, np_dtype=d.np)


_Device = device


def _as(dtype):
    def method(self):
        return to(self, dtype)

    method.__name__ = method.__qualname__ = dtype.name if dtype.name != "float32" else "float"
    method.__doc__ = f"self as {dtype} (``self.to({dtype})``)."
    return method


def _new_like(self, kind, size, dtype, requires_grad):
    d = self._data
    np_dtype = _dt.to_dtype(dtype).np if dtype is not None else d.dtype
    arr = getattr(namespace(d), kind)(_convert.size_arg(size), np_dtype)
    return _leaf(self._new(arr), requires_grad)


def _leaf(t, requires_grad):
    if requires_grad:
        _convert.check_requires_grad(t._data.dtype)
        t.requires_grad = True
    return t


class ConversionMethods:
    """dtype and device conversions, and new tensors of self's dtype."""

    __slots__ = ()

    to = to
    float = _as(_dt.float32)
    double = _as(_dt.float64)
    half = _as(_dt.float16)
    long = _as(_dt.int64)
    int = _as(_dt.int32)
    short = _as(_dt.int16)
    bool = _as(_dt.bool)
    byte = _as(_dt.uint8)

    def type(self, dtype=None, non_blocking=False):
        """Without an argument the type name ('torch.FloatTensor'); with one, a conversion."""
        if dtype is None:
            return self.dtype.tensor_type
        if isinstance(dtype, str):
            dtype = _dt.to_dtype(_FROM_TYPE_NAME.get(dtype, dtype))
        return to(self, dtype)

    def type_as(self, other):
        """self in other's dtype."""
        return to(self, other.dtype)

    def cpu(self):
        """self (chainrule's tensors live on the CPU)."""
        return self

    def cuda(self, *args, **kwargs):
        raise RuntimeError("chainrule runs on the CPU (NumPy); CUDA is not available")

    def new_zeros(self, *size, dtype=None, requires_grad=False):
        """Zeros of ``size``, in self's dtype unless ``dtype`` says otherwise."""
        return _new_like(self, "zeros", size, dtype, requires_grad)

    def new_ones(self, *size, dtype=None, requires_grad=False):
        """Ones of ``size``, in self's dtype unless ``dtype`` says otherwise."""
        return _new_like(self, "ones", size, dtype, requires_grad)

    def new_tensor(self, data, dtype=None, requires_grad=False):
        """A tensor of ``data`` (a copy), in self's dtype unless ``dtype`` says otherwise."""
        dtype = dtype or self.dtype
        arr = _convert.cast(_convert.array_from(data, dtype), dtype)
        return _leaf(self._new(arr), requires_grad)
