"""Argument handling shared by the PyTorch-named functions: ``dim``/``axis`` and
``keepdim``/``keepdims`` (both spellings d2l uses), dims wrapped and checked with
PyTorch's errors.

>>> from chainrule.functions.args import dims_arg
>>> dims_arg(-1, None, 3), dims_arg(None, (0, 2), 3)
((2,), (0, 2))
"""

from __future__ import annotations

import builtins

from .._convert import type_name
from ..tensor_base import TensorBase


def dims_arg(dim, axis, ndim):
    """Normalize dim/axis (int, tuple or list; negative allowed) to a sorted tuple or None."""
    if type(dim) is int and axis is None and -ndim <= dim < ndim:
        return (dim % ndim,)  # the common call, one int dim in range
    if axis is not None:
        if dim is not None:
            raise TypeError("got both 'dim' and its alias 'axis'")
        dim = axis
    if dim is None:
        return None
    if isinstance(dim, int) or hasattr(dim, "__index__") and not isinstance(dim, (list, tuple)):
        dim = (int(dim),)
    if len(dim) == 0:
        return None
    n = builtins.max(ndim, 1)
    out = []
    for d in dim:
        if not -n <= d < n:
            raise IndexError(
                f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {d})"
            )
        d %= n
        if d in out:
            raise RuntimeError(f"dim {d} appears multiple times in the list of dims")
        out.append(d)
    if ndim == 0:
        return None
    return tuple(sorted(out))


def keepdim_arg(keepdim, keepdims) -> bool:
    """``keepdim=`` or its alias ``keepdims=``."""
    return bool(keepdims if keepdims is not None else keepdim)


def one_dim(dim, axis, ndim) -> int:
    """A single dim (``dim=`` or ``axis=``), wrapped; 0 when none is given."""
    d = dims_arg(dim, axis, ndim)
    if d is None:
        return 0
    if len(d) != 1:
        raise TypeError("expected a single dimension")
    return d[0]


def wrap_dim(dim: int, ndim: int) -> int:
    """``dim`` in [0, ndim) (negative counts from the end; a 0-d tensor takes -1 and 0)."""
    n = builtins.max(ndim, 1)
    if not -n <= dim < n:
        raise IndexError(
            f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {dim})"
        )
    return dim % n


def tensors_only(name: str, *named) -> None:
    """PyTorch's parser error for a non-Tensor operand of a Tensor-only function (maximum
    and bmm take no Python number): ``named`` is (argument name, position, value) triples."""
    for arg, position, v in named:
        if not isinstance(v, TensorBase):
            raise TypeError(
                f"{name}(): argument '{arg}' (position {position}) must be Tensor, not "
                f"{type_name(v)}"
            )
