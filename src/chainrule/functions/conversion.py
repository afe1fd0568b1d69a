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
from ..backend import device_key, namespace
from ..device import CPU, device
from ..device import resolve as _resolve_device
from ..ops.apply import apply
from ..ops.shape import TO_COPY
from ..ops.views import TO_DEVICE
from ..tensor_base import TensorBase
from .shape import clone

_FROM_TYPE_NAME = {d.tensor_type: d for d in _dt._ALL}


def to(
    self,
    *args,
    dtype=None,
    device=None,
    copy=False,
    non_blocking=False,
    memory_format=None,
    chunks=None,
):
    """self on another device and/or in another dtype (recorded copies: the gradient goes
    back), or self when nothing changes (``copy=True`` copies anyway). Takes a dtype, a
    device, both (``to('cuda', torch.float16)``), or a tensor whose device and dtype to take.
    ``chunks`` (chainrule's, for ``'dask'``): the Dask chunks (Dask's spelling: ``1000``,
    ``(1000, -1)``, ``'auto'``, the default); on a Dask tensor, a rechunk.

    >>> import chainrule as torch
    >>> torch.tensor([1.5]).to(torch.int64), torch.tensor([1.5]).to("cpu", torch.float64)
    (tensor([1]), tensor([1.5000], dtype=torch.float64))
    """
    for i, a in enumerate(args):
        if isinstance(a, TensorBase):
            dtype, device = a.dtype, a.device
        elif isinstance(a, (_dt.dtype, type)) or a in (builtins.float, builtins.int, bool):
            dtype = a
        elif isinstance(a, (str, _Device, builtins.int)) and i == 0:
            device = a
        elif isinstance(a, builtins.bool) and i >= 1:  # to(dtype, non_blocking, copy)
            pass
        else:
            raise TypeError(
                f"to() received an invalid combination of arguments - got "
                f"({', '.join(type(x).__name__ for x in args)})"
            )
    out = self
    if chunks is not None and device is None:
        device = self.device
    if device is not None:
        dst = _resolve_device(device)
        if dst != self.device or (chunks is not None and dst.type == "dask"):
            key = (dst.type, dst.index)
            if chunks is None:
                out = apply(TO_DEVICE, self, dst=key, src=device_key(self._data))
            else:
                out = apply(TO_DEVICE, self, dst=key, src=device_key(self._data), chunks=chunks)
            copy = False  # already a copy
    if dtype is not None:
        d = _dt.to_dtype(dtype)
        if d is not out.dtype or copy:  # (chainrule's dtypes: one object per dtype)
            out = apply(TO_COPY, out, np_dtype=d.np)  # copy=True: a copy as PyTorch's
            copy = False
    return clone(out) if copy else out


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

    def cpu(self, memory_format=None):
        """self on the CPU: self when it is there, else a copy (the gradient goes back).

        >>> import chainrule as torch
        >>> torch.ones(1).cpu().device
        device(type='cpu')
        """
        return to(self, device=CPU)

    def cuda(self, device=None, non_blocking=False, memory_format=None):
        """self on a GPU (``device``: an index or ``'cuda:N'``; the current one when None):
        self when it is there, else a copy. Raises when CuPy or a GPU is missing.

        >>> import chainrule as torch
        >>> torch.ones(1).cuda() if torch.cuda.is_available() else None
        """
        if device is None:
            device = "cuda"
        elif isinstance(device, builtins.int) and not isinstance(device, builtins.bool):
            device = _Device("cuda", device)
        d = _Device(device)
        if d.type != "cuda":
            raise RuntimeError(f"Invalid device, must be cuda device (got {d})")
        return to(self, device=d)

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
