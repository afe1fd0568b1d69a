"""Collation: turning a list of samples into one batch (PyTorch's ``default_collate``).

Tensors are stacked along a new first dimension; numbers become a 1-d tensor (Python
floats as float64, ints as int64, as PyTorch does); tuples, lists and dicts are collated
field by field; strings are kept as a list.

>>> import chainrule as torch
>>> from chainrule.data import default_collate
>>> default_collate([(torch.ones(2), 1), (torch.zeros(2), 0)])
[tensor([[1., 1.],
        [0., 0.]]), tensor([1, 0])]
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from ..creation import as_tensor, tensor
from ..dtypes import float64
from ..functions.shape import stack
from ..tensor import Tensor

__all__ = ["default_collate", "default_convert"]

_COLLATE_ERROR = (
    "default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; found {}"
)


def _is_namedtuple(x) -> bool:
    return isinstance(x, tuple) and hasattr(x, "_fields")


def _rebuild_like(elem, values):
    """A mapping/sequence of elem's own type holding ``values`` when that type allows it."""
    try:
        return type(elem)(values)
    except TypeError:  # a type whose constructor takes something else
        return values


def default_collate(batch: list):
    """Merge a list of samples into a batch.

    >>> from chainrule.data import default_collate
    >>> default_collate([{"x": 1.5, "y": 0}, {"x": 2.5, "y": 1}])
    {'x': tensor([1.5000, 2.5000], dtype=torch.float64), 'y': tensor([0, 1])}
    """
    elem = batch[0]
    if isinstance(elem, Tensor):
        return stack(list(batch), 0)
    if isinstance(elem, np.ndarray):
        if elem.dtype.kind in "OSUV":
            raise TypeError(_COLLATE_ERROR.format(elem.dtype))
        return stack([as_tensor(b) for b in batch], 0)
    if isinstance(elem, np.generic):
        return as_tensor(np.asarray(batch))
    if isinstance(elem, float):
        return tensor(batch, dtype=float64)
    if isinstance(elem, int):  # bool included: tensor() keeps True/False as torch.bool
        return tensor(batch)
    if isinstance(elem, (str, bytes)):
        return batch
    if isinstance(elem, Mapping):
        return _rebuild_like(elem, {k: default_collate([d[k] for d in batch]) for k in elem})
    if _is_namedtuple(elem):
        return type(elem)(*(default_collate(s) for s in zip(*batch, strict=True)))
    if isinstance(elem, Sequence):
        size = len(elem)
        if any(len(e) != size for e in batch):
            raise RuntimeError("each element in list of batch should be of equal size")
        fields = [default_collate(s) for s in zip(*batch, strict=True)]
        if isinstance(elem, tuple):
            return fields  # PyTorch returns a list for tuples too
        return _rebuild_like(elem, fields)
    raise TypeError(_COLLATE_ERROR.format(type(elem)))


def default_convert(data):
    """What a DataLoader with ``batch_size=None`` does to each sample: NumPy arrays become
    tensors (recursively inside dicts, tuples and lists; a plain tuple comes back as a list,
    as in PyTorch); everything else is left alone.

    >>> import numpy as np
    >>> from chainrule.data import default_convert
    >>> default_convert((np.arange(2), "a"))
    [tensor([0, 1]), 'a']
    """
    if isinstance(data, np.ndarray) and data.dtype.kind not in "OSUV":
        return as_tensor(data)
    if isinstance(data, np.generic) and data.dtype.kind not in "OSUV":
        return as_tensor(data)
    if isinstance(data, Mapping):
        return _rebuild_like(data, {k: default_convert(v) for k, v in data.items()})
    if _is_namedtuple(data):
        return type(data)(*(default_convert(d) for d in data))
    if isinstance(data, tuple):
        return [default_convert(d) for d in data]
    if isinstance(data, Sequence) and not isinstance(data, (str, bytes)):
        return _rebuild_like(data, [default_convert(d) for d in data])
    return data
