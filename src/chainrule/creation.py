"""Creating tensors: from data, ranges, constants and random numbers (PyTorch's names).

Floats default to float32 (``get_default_dtype``), integers to int64, as in PyTorch.

>>> import chainrule as torch
>>> torch.tensor([[1, 2], [3, 4]]).dtype, torch.arange(4.0)
(torch.int64, tensor([0., 1., 2., 3.]))
"""

from __future__ import annotations

import builtins
import math

from . import _convert, backend
from . import dtypes as _dt
from . import random as _random
from .tensor import Tensor, make

xp = backend.default


def _finish(arr, dtype, requires_grad) -> Tensor:
    """A leaf tensor of ``arr`` cast to ``dtype``, requiring grad if asked."""
    arr = _convert.cast(arr, dtype)
    if requires_grad:
        _convert.check_requires_grad(arr.dtype)
    t = make(arr)
    if requires_grad:
        t.requires_grad = True
    return t


def tensor(
    data, *, dtype=None, device=None, requires_grad: bool = False, pin_memory=False
) -> Tensor:
    """A new tensor (always a copy) from nested lists, scalars, NumPy arrays or tensors.

    >>> import chainrule as torch
    >>> torch.tensor([1.0, 2, 4, 8]), torch.tensor(3), torch.tensor([True, False])
    (tensor([1., 2., 4., 8.]), tensor(3), tensor([ True, False]))
    """
    return _finish(_convert.array_from(data, dtype), dtype, requires_grad)


def as_tensor(data, dtype=None, device=None) -> Tensor:
    """Like ``tensor`` but shares memory with a NumPy array (or returns a tensor itself)
    when no conversion is needed.

    >>> import chainrule as torch, numpy as np
    >>> a = np.zeros(2); t = torch.as_tensor(a); a[0] = 1; t
    tensor([1., 0.], dtype=torch.float64)
    """
    if isinstance(data, Tensor):
        return data if dtype is None or _dt.to_dtype(dtype) is data.dtype else data.to(dtype)
    if hasattr(data, "__array__") and not isinstance(data, (list, tuple)):
        arr = xp.asarray(data)
        _dt.from_numpy_dtype(arr.dtype)
        return _finish(arr, dtype, False)
    return tensor(data, dtype=dtype)


def from_numpy(ndarray) -> Tensor:
    """A tensor sharing memory with a NumPy array (writes show in both).

    >>> import chainrule as torch, numpy as np
    >>> a = np.arange(3); t = torch.from_numpy(a); t[0] = 7; a
    array([7, 1, 2])
    """
    if not isinstance(ndarray, xp.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(ndarray).__name__})")
    _dt.from_numpy_dtype(ndarray.dtype)
    return make(ndarray)


_size = _convert.size_arg


def _float(dtype):
    return _dt.to_dtype(dtype) if dtype is not None else _dt.get_default_dtype()


def zeros(
    *size_args, size=None, dtype=None, device=None, requires_grad: bool = False, out=None
) -> Tensor:
    """A tensor of zeros.

    >>> import chainrule as torch
    >>> torch.zeros(2, 3).shape, torch.zeros((2,), dtype=torch.int64)
    (torch.Size([2, 3]), tensor([0, 0]))
    """
    return _finish(
        xp.zeros(_size(size_args if size is None else (size,)), _float(dtype).np),
        None,
        requires_grad,
    )


def ones(
    *size_args, size=None, dtype=None, device=None, requires_grad: bool = False, out=None
) -> Tensor:
    """A tensor of ones.

    >>> import chainrule as torch
    >>> torch.ones(2)
    tensor([1., 1.])
    """
    return _finish(
        xp.ones(_size(size_args if size is None else (size,)), _float(dtype).np),
        None,
        requires_grad,
    )


def empty(*size_args, size=None, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """An uninitialized tensor (chainrule fills it with zeros)."""
    return zeros(*size_args, size=size, dtype=dtype, requires_grad=requires_grad)


def _fill_dtype(fill_value):
    if isinstance(fill_value, Tensor):
        return fill_value.dtype
    return _dt.scalar_dtype(fill_value)


def full(size, fill_value, *, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """A tensor filled with ``fill_value`` (dtype inferred from it, like PyTorch).

    >>> import chainrule as torch
    >>> torch.full((2,), 7), torch.full((2,), 0.5)
    (tensor([7, 7]), tensor([0.5000, 0.5000]))
    """
    d = _dt.to_dtype(dtype) if dtype is not None else _fill_dtype(fill_value)
    v = fill_value.item() if isinstance(fill_value, Tensor) else fill_value
    return _finish(
        xp.full(_size((size,) if isinstance(size, int) else (size,)), v, d.np), None, requires_grad
    )


def eye(
    n: int, m: int | None = None, *, dtype=None, device=None, requires_grad: bool = False
) -> Tensor:
    """The identity matrix (n x m).

    >>> import chainrule as torch
    >>> torch.eye(2)
    tensor([[1., 0.],
            [0., 1.]])
    """
    return _finish(xp.eye(n, n if m is None else m, dtype=_float(dtype).np), None, requires_grad)


def _like_dtype(input, dtype):
    return _dt.to_dtype(dtype) if dtype is not None else input.dtype


def zeros_like(input, *, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """Zeros with ``input``'s shape and dtype.

    >>> import chainrule as torch
    >>> torch.zeros_like(torch.tensor([1, 2]))
    tensor([0, 0])
    """
    return _finish(xp.zeros(input._data.shape, _like_dtype(input, dtype).np), None, requires_grad)


def ones_like(input, *, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """Ones with ``input``'s shape and dtype."""
    return _finish(xp.ones(input._data.shape, _like_dtype(input, dtype).np), None, requires_grad)


def empty_like(input, *, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """Like zeros_like (chainrule initializes)."""
    return zeros_like(input, dtype=dtype, requires_grad=requires_grad)


def full_like(input, fill_value, *, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """``fill_value`` with ``input``'s shape and dtype.

    >>> import chainrule as torch
    >>> torch.full_like(torch.zeros(2), 3)
    tensor([3., 3.])
    """
    return _finish(
        xp.full(input._data.shape, fill_value, _like_dtype(input, dtype).np), None, requires_grad
    )


def arange(
    start=0, end=None, step=1, *, dtype=None, device=None, requires_grad: bool = False
) -> Tensor:
    """Values from start (inclusive) to end (exclusive) by step; int64 unless any bound is
    a float.

    >>> import chainrule as torch
    >>> torch.arange(4), torch.arange(1, 2.5, 0.5)
    (tensor([0, 1, 2, 3]), tensor([1.0000, 1.5000, 2.0000]))
    """
    if end is None and type(start) is int and start >= 0 and dtype is None and type(step) is int:
        if step == 1:
            return _finish(xp.arange(start, dtype=xp.int64), None, requires_grad)  # arange(n)
    if end is None:
        start, end = 0, start
    vals = [v.item() if isinstance(v, Tensor) else v for v in (start, end, step)]
    if step == 0:
        raise RuntimeError("step must be nonzero")
    if (vals[1] - vals[0]) * vals[2] < 0:
        raise RuntimeError("upper bound and lower bound inconsistent with step sign")
    if dtype is None:
        is_float = builtins.any(isinstance(v, builtins.float) for v in vals)
        d = _dt.get_default_dtype() if is_float else _dt.int64
    else:
        d = _dt.to_dtype(dtype)
    n = builtins.max(0, math.ceil((vals[1] - vals[0]) / vals[2]))
    # computed as start + i * step in double, like PyTorch (not by repeated addition)
    if d.is_floating_point:
        arr = (vals[0] + xp.arange(n, dtype=xp.float64) * vals[2]).astype(d.np)
    else:
        arr = xp.arange(vals[0], vals[1], vals[2], dtype=d.np)[:n]
    return _finish(arr, None, requires_grad)


def linspace(
    start, end, steps: int, *, dtype=None, device=None, requires_grad: bool = False
) -> Tensor:
    """``steps`` evenly spaced values from start to end, both included.

    >>> import chainrule as torch
    >>> torch.linspace(0, 1, 5)
    tensor([0.0000, 0.2500, 0.5000, 0.7500, 1.0000])
    """
    if steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    return _finish(xp.linspace(start, end, steps).astype(_float(dtype).np), None, requires_grad)


def logspace(
    start, end, steps: int, base: float = 10.0, *, dtype=None, requires_grad=False
) -> Tensor:
    """base ** linspace(start, end, steps)."""
    return _finish(
        xp.logspace(start, end, steps, base=base).astype(_float(dtype).np), None, requires_grad
    )


# ------------------------------------------------------------------ random
# The random source (Generator, manual_seed, ...) is chainrule.random; these draw from it.
def rand(
    *size_args, size=None, generator=None, dtype=None, device=None, requires_grad: bool = False
) -> Tensor:
    """Uniform samples on [0, 1).

    >>> import chainrule as torch
    >>> torch.rand(2, 3).shape
    torch.Size([2, 3])
    """
    d = _float(dtype)
    return _finish(
        _random.rng(generator).random(_size(size_args if size is None else (size,))).astype(d.np),
        None,
        requires_grad,
    )


def randn(
    *size_args, size=None, generator=None, dtype=None, device=None, requires_grad: bool = False
) -> Tensor:
    """Standard normal samples.

    >>> import chainrule as torch
    >>> torch.randn(size=(), requires_grad=True).shape
    torch.Size([])
    """
    d = _float(dtype)
    return _finish(
        _random.rng(generator)
        .standard_normal(_size(size_args if size is None else (size,)))
        .astype(d.np),
        None,
        requires_grad,
    )


def randint(
    low=0,
    high=None,
    size=None,
    *,
    generator=None,
    dtype=None,
    device=None,
    requires_grad: bool = False,
) -> Tensor:
    """Uniform integers in [low, high); int64 by default.

    >>> import chainrule as torch
    >>> torch.randint(0, 10, (3,)).dtype
    torch.int64
    """
    if size is None:
        low, high, size = 0, low, high
    if high is None or size is None:
        raise TypeError("randint() missing required arguments: high and size")
    if high <= low:
        raise RuntimeError(
            f"random_ expects 'from' to be less than 'to', but got from={low} >= to={high}"
        )
    d = _dt.to_dtype(dtype) if dtype is not None else _dt.int64
    arr = _random.rng(generator).integers(
        low, high, size=_size((size,) if isinstance(size, int) else (size,))
    )
    return _finish(arr.astype(d.np), None, requires_grad)


def randperm(n: int, *, generator=None, dtype=None, device=None) -> Tensor:
    """A random permutation of 0..n-1.

    >>> import chainrule as torch
    >>> sorted(torch.randperm(4).tolist())
    [0, 1, 2, 3]
    """
    d = _dt.to_dtype(dtype) if dtype is not None else _dt.int64
    return _finish(_random.rng(generator).permutation(n).astype(d.np), None, False)


def normal(
    mean=0.0,
    std=1.0,
    size=None,
    *,
    generator=None,
    dtype=None,
    device=None,
    requires_grad: bool = False,
) -> Tensor:
    """Normal samples with the given mean and std (floats with ``size``, or tensors).

    >>> import chainrule as torch
    >>> torch.normal(0, 0.01, size=(3, 2)).shape
    torch.Size([3, 2])
    """
    m = mean._data if isinstance(mean, Tensor) else mean
    s = std._data if isinstance(std, Tensor) else std
    if size is None:
        shape = xp.broadcast_shapes(xp.shape(m), xp.shape(s))
        if not isinstance(mean, Tensor) and not isinstance(std, Tensor):
            raise TypeError("normal() received an invalid combination of arguments: give size=")
    else:
        shape = _size((size,) if isinstance(size, int) else (size,))
    if xp.any(xp.asarray(s) < 0):
        raise RuntimeError(f"normal expects std >= 0.0, but found std {s}")
    d = _float(dtype) if not isinstance(mean, Tensor) else mean.dtype
    arr = m + s * _random.rng(generator).standard_normal(shape)
    return _finish(xp.asarray(arr).astype(d.np), None, requires_grad)
