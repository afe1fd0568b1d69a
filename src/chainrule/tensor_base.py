"""What a tensor holds: a backend array and its autograd bookkeeping.

``TensorBase`` is the data of ``chainrule.Tensor`` (tensor.py), which adds what a tensor
can do. The split keeps the package in layers: the recorder, the table and the engine
work on these fields and never import the public class; where they make a new tensor
they ask one they hold for it (``t._new(array)``), so results are always plain
``chainrule.Tensor`` objects (also when an input is an ``nn.Parameter``).

>>> import chainrule as torch
>>> from chainrule.tensor_base import TensorBase
>>> isinstance(torch.zeros(2), TensorBase)
True
"""

from __future__ import annotations

from . import backend as _backend

# Tensor and its subclasses (nn.Parameter, ...): the recorder's fast type test is
# ``type(a) in TENSOR_TYPES``, cheaper than isinstance for the common cases.
TENSOR_TYPES: set = set()


class TensorBase:
    """The fields of a tensor (``__slots__``: no per-tensor dict).

    _data    the backend array (NumPy's scalar for some 0-d results, see ``own``)
    _node    the Node that made it (its grad_fn), None for a leaf
    _rg      requires_grad
    _vc      version counter ``[n]``, shared by views of one storage
    _base    the tensor a view was taken from, its root (None when not a view)
    _view    a view's (kind, chain): chain is how it was taken from its base, a tuple of
             (primitive, parameters, input shape); kind is None, or says the view may not
             be written in place with grad recording ("no_grad", "multi": see ops.apply)
    _vver    the version when the view's history was made: once the storage is written,
             the view's history is made again from the base's on its next use (a view
             never made again, one with a kind, is refused then where a gradient is at
             stake); a view requires grad whenever its base does (PyTorch)
    _grad    .grad; _accum: a leaf's AccumulateGrad; _retains: the retain_grad() hook
    _fw      forward mode: (dual level, tangent, version when attached)

    _grad, _accum, _retains, _view, _vver and _fw stay unset until needed.
    """

    __slots__ = (
        "_data",
        "_node",
        "_grad",
        "_vc",
        "_base",
        "_view",
        "_vver",
        "_accum",
        "_retains",
        "_rg",
        "_fw",
        "__weakref__",
    )

    def __init_subclass__(cls, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        TENSOR_TYPES.add(cls)

    def _init(self, arr) -> TensorBase:
        self._data = arr
        self._node = None
        self._vc = [0]
        self._base = None
        self._rg = False
        return self

    @staticmethod
    def _new(arr) -> TensorBase:
        """A new leaf tensor holding ``arr`` (no copy), of the public tensor class. A
        static method: ``t._new`` holds no reference to ``t``."""
        raise NotImplementedError  # chainrule.Tensor defines it


def new(arr) -> TensorBase:
    """A new plain tensor holding ``arr``, made where no tensor is at hand to ask
    (``torch.mul(2, 3)``): every registered tensor class's ``_new`` makes a plain
    ``chainrule.Tensor``, so any of them serves."""
    for cls in TENSOR_TYPES:
        return cls._new(arr)
    raise RuntimeError("chainrule.Tensor is not defined yet")


def own(t: TensorBase):
    """t's data as an array that can be shared and written. Ops on 0-d tensors keep NumPy's
    scalar results as they come (a ufunc on a scalar is ~8x cheaper than on a 0-d array);
    such data becomes a 0-d array here, where storage identity starts to matter: views,
    detach, numpy(), in-place writes."""
    d = t._data
    if type(d) is not _ndarray and isinstance(d, _scalar):
        d = t._data = _backend.as_array(d)
    return d


_ndarray = _backend.ndarray
_scalar = _backend.scalar_type
