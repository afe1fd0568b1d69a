"""Arrays from Python data, with PyTorch's dtype inference (bool < int < float, floats
in the default dtype) and its errors for ragged lists: what ``chainrule.tensor`` and
``Tensor.new_tensor`` build their data from.

>>> from chainrule._convert import array_from
>>> array_from([1, 2.5]).dtype, array_from([[1], [2]]).dtype
(dtype('float32'), dtype('int64'))
"""

from __future__ import annotations

import builtins

from . import backend
from . import dtypes as _dt
from .tensor_base import TensorBase

xp = backend.default


def array_from(data, dtype=None):
    """A new array (always a copy) of nested lists, scalars, arrays or tensors. With
    ``dtype`` None the dtype is inferred as PyTorch does; else the caller casts."""
    if isinstance(data, TensorBase):
        return data._data.copy()
    if hasattr(data, "__array__") and not isinstance(data, (list, tuple)):
        arr = xp.array(data, copy=True)
        _dt.from_numpy_dtype(arr.dtype)  # refuses dtypes chainrule does not have
        return arr
    d = _infer_dtype(data)
    _check_ragged(data)
    arr = xp.asarray(_to_nested(data), dtype=d.np if dtype is None else None)
    if arr.dtype == object:
        raise ValueError("expected sequence of equal-length lists to build a tensor")
    return xp.array(arr, copy=False)


def cast(arr, dtype):
    """``arr`` in ``dtype`` (a chainrule dtype, a name, or None: as it is)."""
    if dtype is not None:
        d = _dt.to_dtype(dtype)
        if arr.dtype != d.np:
            arr = arr.astype(d.np)
    return arr


def check_requires_grad(np_dtype) -> None:
    """The factory functions' refusal of requires_grad=True for integers (PyTorch's text)."""
    if xp.dtype(np_dtype).kind not in "fc":
        raise RuntimeError("Only Tensors of floating point and complex dtype can require gradients")


def _infer_dtype(data):
    """PyTorch's dtype inference for nested Python data: bool < int < float."""
    kinds = set()

    def walk(v):
        if isinstance(v, (list, tuple)):
            for e in v:
                walk(e)
        elif isinstance(v, TensorBase):
            kinds.add(("t", v.dtype))
        elif isinstance(v, builtins.bool):
            kinds.add("b")
        elif isinstance(v, builtins.int):
            kinds.add("i")
        elif isinstance(v, builtins.float):
            kinds.add("f")
        elif isinstance(v, complex):
            raise TypeError("complex tensors are not supported by chainrule")
        elif hasattr(v, "dtype"):
            kinds.add(("t", _dt.from_numpy_dtype(v.dtype)))
        else:
            raise TypeError(f"Could not infer dtype of {type(v).__name__}")

    walk(data)
    if "f" in kinds:
        return _dt.get_default_dtype()
    tds = [k[1] for k in kinds if isinstance(k, tuple)]
    if tds:
        r = tds[0]
        for d in tds[1:]:
            r = _dt.promote_types(r, d)
        if "i" in kinds and r.category < 1:
            r = _dt.int64
        return r
    if "i" in kinds:
        return _dt.int64
    if "b" in kinds:
        return _dt.bool
    return _dt.get_default_dtype()  # empty list


def _to_nested(data):
    if isinstance(data, TensorBase):
        return data._data
    if isinstance(data, (list, tuple)):
        return [_to_nested(d) for d in data]
    return data


def _check_ragged(data, dim=0):
    """PyTorch's error for nested lists of unequal lengths."""
    if not isinstance(data, (list, tuple)) or not data:
        return
    first = data[0]
    n = len(first) if isinstance(first, (list, tuple)) else None
    for e in data:
        m = len(e) if isinstance(e, (list, tuple)) else None
        if m != n:
            if n is None or m is None:
                raise ValueError(
                    f"expected sequence of length {n} at dim {dim + 1} (got {m})"
                    if n is not None
                    else f"expected a number at dim {dim + 1} (got a sequence)"
                )
            raise ValueError(f"expected sequence of length {n} at dim {dim + 1} (got {m})")
        _check_ragged(e, dim + 1)


def size_arg(size: tuple) -> tuple:
    """A size given as ``(2, 3)`` or ``((2, 3),)``, with PyTorch's error for a negative."""
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    size = tuple(int(s) for s in size)
    for s in size:
        if s < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {s}: {list(size)}")
    return size
