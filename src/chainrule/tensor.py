"""class Tensor: a backend array, its autograd bookkeeping, and everything a tensor can do.

What a tensor *holds* is ``TensorBase`` (tensor_base.py). What it can *do* is read here:
its attributes and autograd methods in the class body, and its math in the mixins it
inherits, one per part of the derivative table (``chainrule.functions``): the methods
there are the same functions as ``torch.exp``, ``torch.sum``, ... so ``x.exp()`` and
``torch.exp(x)`` take one path (DESIGN.md: the tensor is thin).

>>> import chainrule as torch
>>> x = torch.arange(4.0, requires_grad=True)
>>> y = torch.dot(x, x)
>>> y
tensor(14., grad_fn=<DotBackward0>)
>>> y.backward(); x.grad
tensor([0., 2., 4., 6.])
"""

from __future__ import annotations

import warnings
import weakref

from . import _state
from . import backend as _backend
from . import dtypes as _dt
from ._print import tensor_repr
from .autograd import backward as _backward
from .autograd.engine import grad_lock
from .backend import ndarray as _ndarray
from .device import CPU, device
from .device import of as _device_of
from .functions import (
    CombineMethods,
    ConversionMethods,
    ElementwiseMethods,
    IndexingMethods,
    LinalgMethods,
    MathExtraMethods,
    ReductionMethods,
    ScatterMethods,
    SelectionMethods,
    ShapeMethods,
    SpecialMethods,
    StatisticsMethods,
)
from .functions.args import wrap_dim
from .functions.linalg import CPP_NAMES
from .node import RemovableHandle, edge, own_leaf
from .ops.apply import dask_detach, dask_persisted, dask_rehome, refresh_view, symbolic_detach
from .ops.symbolic import SymArray
from .tensor_base import TensorBase, own

_alloc = object.__new__


class Size(tuple):
    """A tensor's shape: a tuple that prints like PyTorch's ``torch.Size([2, 3])``.

    >>> import chainrule as torch
    >>> torch.zeros(2, 3).shape
    torch.Size([2, 3])
    """

    __slots__ = ()

    def __repr__(self) -> str:
        return f"torch.Size({list(self)})"

    __str__ = __repr__

    def numel(self) -> int:
        n = 1
        for s in self:
            n *= s
        return n

    def __getitem__(self, i):
        r = tuple.__getitem__(self, i)
        return Size(r) if isinstance(i, slice) else r

    def __add__(self, other):
        return Size(tuple(self) + tuple(other))


class Tensor(
    TensorBase,
    ElementwiseMethods,
    ReductionMethods,
    ShapeMethods,
    IndexingMethods,
    LinalgMethods,
    SelectionMethods,
    SpecialMethods,
    ConversionMethods,
    MathExtraMethods,
    StatisticsMethods,
    CombineMethods,
    ScatterMethods,
):
    """An n-dimensional array that records the operations on it for autograd.

    Build tensors with :func:`chainrule.tensor`, :func:`chainrule.arange`, ...

    >>> import chainrule as torch
    >>> torch.tensor([[1, 2], [3, 4]]).T
    tensor([[1, 3],
            [2, 4]])
    """

    __slots__ = ()
    __array_priority__ = 1000  # NumPy defers binary operators to Tensor's

    def __init__(self, data=None, *args, **kwargs) -> None:
        raise TypeError("use chainrule.tensor(data) to build a tensor")

    @staticmethod
    def _new(arr) -> Tensor:
        # every op's result comes from here: a plain Tensor, also for Parameter inputs
        return _alloc(Tensor)._init(arr)

    # ------------------------------------------------------------ attributes
    @property
    def shape(self) -> Size:
        return Size(self._data.shape)

    def size(self, dim: int | None = None):
        """The shape, or its length along ``dim``.

        >>> import chainrule as torch
        >>> torch.zeros(2, 3).size(), torch.zeros(2, 3).size(-1)
        (torch.Size([2, 3]), 3)
        """
        if dim is None:
            return Size(self._data.shape)
        return self._data.shape[wrap_dim(dim, self._data.ndim)]

    @property
    def dtype(self) -> _dt.dtype:
        return _dt.from_numpy_dtype(self._data.dtype)

    @property
    def device(self) -> device:
        d = self._data
        return CPU if type(d) is _ndarray else _device_of(d)

    @property
    def ndim(self) -> int:
        return self._data.ndim

    def dim(self) -> int:
        """Number of dimensions."""
        return self._data.ndim

    ndimension = dim

    def numel(self) -> int:
        """Number of elements.

        >>> import chainrule as torch
        >>> torch.zeros(2, 3).numel()
        6
        """
        return int(self._data.size)

    nelement = numel

    def element_size(self) -> int:
        return self._data.itemsize

    @property
    def is_cuda(self) -> bool:
        return self.device.type == "cuda"

    @property
    def is_cpu(self) -> bool:
        return self.device.type == "cpu"

    def get_device(self) -> int:
        """The GPU index of a CUDA tensor, -1 on the CPU.

        >>> import chainrule as torch
        >>> torch.zeros(1).get_device()
        -1
        """
        d = self.device
        return -1 if d.index is None else d.index

    @property
    def layout(self) -> str:
        return "torch.strided"

    def is_floating_point(self) -> bool:
        return self._data.dtype.kind == "f"

    def is_contiguous(self, memory_format=None) -> bool:
        a = _backend.strided(self._data)
        if a is None:
            raise RuntimeError(_backend.NO_LAYOUT.format("is_contiguous"))
        return bool(a.flags.c_contiguous)

    def stride(self, dim: int | None = None):
        """Steps in elements between neighbours along each dim (as PyTorch)."""
        a = _backend.strided(self._data)
        if a is None:
            raise RuntimeError(_backend.NO_LAYOUT.format("stride"))
        s = a.strides
        size = a.itemsize
        return tuple(k // size for k in s) if dim is None else s[dim] // size

    def data_ptr(self) -> int:
        a = _backend.strided(own(self))
        if a is None:
            raise RuntimeError(_backend.NO_LAYOUT.format("data_ptr"))
        return int(a.__array_interface__["data"][0])

    def untyped_storage(self) -> _Storage:
        return _Storage(self)

    # -------------------------------------------------------- autograd state
    @property
    def _version(self) -> int:
        """How many times the storage was changed in place (shared with views)."""
        return self._vc[0]

    @property
    def is_leaf(self) -> bool:
        b = self._base
        if b is not None and (self._vver != self._vc[0] or b._rg and not self._rg):
            refresh_view(self)  # the base was written in place since: the view's history too
        return self._node is None

    @property
    def grad_fn(self):
        b = self._base
        if b is not None and (self._vver != self._vc[0] or b._rg and not self._rg):
            refresh_view(self)
        n = self._node
        if n is not None and n.prim.selects:  # output i of a multi-output Function
            return n.next[0]
        return n

    @property
    def grad(self):
        grad = getattr(self, "_grad", None)
        if grad is None and self._node is not None and not getattr(self, "_retains", False):
            warnings.warn(
                "The .grad attribute of a Tensor that is not a leaf Tensor is being accessed. "
                "Its .grad attribute won't be populated during autograd.backward(). If you "
                "indeed want the .grad field to be populated for a non-leaf Tensor, use "
                ".retain_grad() on the non-leaf Tensor. If you access the non-leaf Tensor by "
                "mistake, make sure you access the leaf Tensor instead. See "
                "github.com/pytorch/pytorch/pull/30531 for more information.",
                UserWarning,
                stacklevel=2,
            )
        return grad

    @grad.setter
    def grad(self, value) -> None:
        if value is not None:  # PyTorch's checks, in its order and words
            if not isinstance(value, Tensor):
                raise TypeError(
                    "assigned grad expected to be a Tensor or None but got grad of type "
                    f"{type(value).__name__}"
                )
            if value._data.dtype != self._data.dtype:
                got = value.dtype.name
                raise RuntimeError(
                    f"attempting to assign a gradient with dtype '{CPP_NAMES.get(got, got)}' to "
                    f"a tensor with grad_dtype '{self.dtype.title}'. The gradient must match "
                    "the tensor's grad_dtype (defaults to the tensor's dtype). You can set the "
                    "tensor's grad_dtype attribute with a specific dtype, or None to allow any "
                    "dtype. Set grad_dtype with caution. Diverging the dtypes of a tensor and "
                    "its gradient may break downstream systems that assume they match."
                )
            if value._data.shape != self._data.shape:
                raise RuntimeError(
                    f"attempting to assign a gradient of size '{list(value._data.shape)}' to a "
                    f"tensor of size '{list(self._data.shape)}'. Please ensure that the "
                    "gradient and the tensor are the same size"
                )
        self._grad = value

    @property
    def data(self) -> Tensor:
        """The same storage without history (like ``detach()``, but sharing the version)."""
        return _detached(self)

    @data.setter
    def data(self, value: Tensor) -> None:
        if type(self._data) is not _ndarray and _backend.is_dask(self._data):
            dask_rehome(self)  # (its views keep the old array, as on the CPU its memory)
        self._data = value._data

    @property
    def requires_grad(self) -> bool:
        b = self._base
        if b is not None:
            if self._view[0] is not None:  # PyTorch reads it without checking the view
                return self._rg or b._rg
            if self._vver != self._vc[0] or b._rg and not self._rg:
                refresh_view(self)
        return self._rg

    @requires_grad.setter
    def requires_grad(self, value: bool) -> None:
        if value and self._data.dtype.kind not in "fc":
            raise RuntimeError(
                "only Tensors of floating point and complex dtype can require gradients"
            )
        if self._node is not None and not value:
            raise RuntimeError(_state.ERR_LEAF_REQUIRES_GRAD_FLAG)
        self._rg = bool(value)
        if value and self._node is None and self._base is not None and not hasattr(self, "_accum"):
            self._accum = own_leaf  # a view made a leaf of its own: it gathers .grad

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        """Set ``requires_grad`` in place and return self.

        >>> import chainrule as torch
        >>> torch.ones(2).requires_grad_()
        tensor([1., 1.], requires_grad=True)
        """
        if self._node is not None:
            if requires_grad:
                return self
            raise RuntimeError(_state.ERR_LEAF_REQUIRES_GRAD_FLAG)
        if requires_grad and self._data.dtype.kind not in "fc":
            raise RuntimeError("only Tensors of floating point dtype can require gradients")
        self.requires_grad = requires_grad
        return self

    def retain_grad(self) -> None:
        """Keep ``.grad`` for this non-leaf tensor after backward.

        >>> import chainrule as torch
        >>> x = torch.ones(2, requires_grad=True); y = x * 3; y.retain_grad()
        >>> y.sum().backward(); y.grad
        tensor([1., 1.])
        """
        if not self.requires_grad:
            raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
        if self._node is None or getattr(self, "_retains", False):
            return
        ref = weakref.ref(self)

        def keep(g):
            # as PyTorch's: a copy first, then added out of place (recorded under
            # create_graph), under the lock that guards .grad (backward in several threads)
            t = ref()
            if t is not None:
                with grad_lock(t):
                    cur = getattr(t, "_grad", None)
                    t._grad = g.clone() if cur is None else cur + g
            return None

        keep._retain = True  # runs after the user's hooks, as in PyTorch
        self._retains = keep  # (it moves to the tensor's next history: ops.apply.set_node)
        self._node.register_hook(keep)

    @property
    def retains_grad(self) -> bool:
        return bool(getattr(self, "_retains", False))

    def register_hook(self, hook) -> RemovableHandle:
        """Call ``hook(grad)`` when the gradient for this tensor is computed; a returned
        tensor replaces the gradient. Returns a handle with ``remove()``.

        >>> import chainrule as torch
        >>> x = torch.ones(2, requires_grad=True)
        >>> h = x.register_hook(lambda g: g * 2)
        >>> x.sum().backward(); x.grad
        tensor([2., 2.])
        """
        if not self.requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        node = self._node if self._node is not None else edge(self)
        if node.pre_hooks is None:
            node.pre_hooks = []
        hooks = node.pre_hooks
        pos = len(hooks)
        while pos and getattr(hooks[pos - 1], "_retain", False):
            pos -= 1
        hooks.insert(pos, hook)
        if self._node is None:
            self._accum = node  # held strongly now, so the hook outlives this call
        return RemovableHandle(node.pre_hooks, hook)

    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None) -> None:
        """Accumulate d(self)/d(leaf) into every leaf's ``.grad`` (reverse mode).

        >>> import chainrule as torch
        >>> x = torch.arange(4.0, requires_grad=True)
        >>> (x * x).sum().backward(); x.grad
        tensor([0., 2., 4., 6.])
        """
        _backward(self, gradient, retain_graph, create_graph, inputs=inputs)

    def detach(self) -> Tensor:
        """A tensor sharing storage with self, cut from the graph.

        >>> import chainrule as torch
        >>> x = torch.ones(2, requires_grad=True); (x * 2).detach().requires_grad
        False
        """
        return _detached(self)

    def detach_(self) -> Tensor:
        """Cut self from the graph in place."""
        if self._base is not None and self._base.requires_grad:
            raise RuntimeError(
                "Can't detach views in-place. Use detach() instead. If you are using "
                "DistributedDataParallel (DDP) for training, and gradient_as_bucket_view is set "
                "as True, gradients are views of DDP buckets, and hence detach_() cannot be "
                "called on these gradients. To fix this error, please refer to the "
                "Optimizer.zero_grad() function in torch/optim/optimizer.py as the solution."
            )
        self._node = None
        self._rg = False
        return self

    # ---------------------------------------------------------------- interop
    def numpy(self, *, force: bool = False):
        """The data as a NumPy array sharing memory (refused for a tensor that requires
        grad while grad mode is on, as PyTorch: use ``detach()``, ``no_grad`` or ``force``).
        A ``'dask'`` tensor is computed (a new array).

        >>> import chainrule as torch
        >>> torch.tensor([1, 2]).numpy()
        array([1, 2])
        """
        if force:
            return _backend.to_numpy(own(self))
        if self.requires_grad and _state.grad.enabled:
            raise RuntimeError(_state.ERR_NUMPY_REQUIRES_GRAD)
        a = own(self)
        if type(a) is not _ndarray:
            _cpu_only(self)
            a = _backend.to_numpy(a)  # (the strict test backend: a copy on the CPU)
        return a

    def __array__(self, dtype=None, copy=None):
        if self.requires_grad and _state.grad.enabled:
            raise RuntimeError(_state.ERR_NUMPY_REQUIRES_GRAD)
        a = own(self)
        if type(a) is not _ndarray:
            _cpu_only(self)
            a = _backend.to_numpy(a)
        return a if dtype is None else a.astype(dtype, copy=False)

    def item(self):
        """The value of a one-element tensor as a Python number.

        >>> import chainrule as torch
        >>> torch.tensor([3.5]).item()
        3.5
        """
        if self._data.size != 1:
            raise RuntimeError(
                f"a Tensor with {self._data.size} elements cannot be converted to Scalar"
            )
        return _backend.item(self._data)

    def tolist(self):
        """The data as (nested) Python lists.

        >>> import chainrule as torch
        >>> torch.arange(3).tolist()
        [0, 1, 2]
        """
        return _backend.tolist(self._data)

    # ------------------------------------------------------------------ Dask
    def compute(self) -> Tensor:
        """The value of a ``'dask'`` tensor, computed, as a CPU tensor (Dask's ``compute``;
        the same as ``.cpu()``, so the gradient goes back); any other tensor is returned
        as it is.

        >>> import chainrule as torch
        >>> x = torch.arange(4.0).to("dask", chunks=2)
        >>> (x * 2).compute()
        tensor([0., 2., 4., 6.])
        """
        if not _backend.is_dask(self._data):
            return self
        return self.to("cpu")

    def persist(self) -> Tensor:
        """Compute a ``'dask'`` tensor's chunks and keep them (Dask's ``persist``): in the
        workers' memory when a ``dask.distributed`` Client is active, else in this
        process. Returns self, whose data is now the persisted array: the same values,
        so nothing else changes (a leaf stays a leaf with its ``requires_grad`` and
        ``.grad``; a result keeps its ``grad_fn``, and its gradient still flows). Later
        ops start from the held chunks instead of replaying the graph that made them:
        persist data that several steps read (``X = X.persist()``), and parameters
        after each update (the optimizers do this for you). A tensor on another device
        is returned as it is.

        >>> import chainrule as torch
        >>> x = torch.ones(4, requires_grad=True).to("dask", chunks=2)
        >>> y = (x * 3).persist()
        >>> y.grad_fn is not None, len(y._data.dask) == y._data.npartitions
        (True, True)
        """
        persist(self)
        return self

    def __float__(self) -> float:
        v = self.item()
        if type(v) is complex:
            raise RuntimeError("value cannot be converted to type double without overflow")
        return float(v)

    def __int__(self) -> int:
        v = self.item()
        if type(v) is complex:
            raise RuntimeError("value cannot be converted to type int64_t without overflow")
        return int(v)

    def __index__(self) -> int:
        if self._data.dtype.kind not in "iub" or self._data.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return int(self.item())

    def __bool__(self) -> bool:
        d = self._data
        if d.size == 1:
            try:  # (NumPy's arrays and scalars have item; the standard's arrays do not)
                return bool(d.item())
            except AttributeError:
                return bool(_backend.item(d))
        raise RuntimeError(
            "Boolean value of Tensor with more than one value is ambiguous"
            if d.size > 1
            else "Boolean value of Tensor with no values is ambiguous"
        )

    def __complex__(self) -> complex:
        return complex(self.item())

    def __len__(self) -> int:
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __iter__(self):
        # raised by iter() itself, not by the first next(): numpy.iterable() (which
        # matplotlib asks) must say False for a 0-d tensor, as for PyTorch's
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self._data.shape[0]))

    def __hash__(self) -> int:
        return id(self)

    def __repr__(self, *, tensor_contents=None) -> str:
        return tensor_repr(self)

    __str__ = __repr__

    def __format__(self, spec: str) -> str:
        if self._data.ndim == 0:
            return self.item().__format__(spec)
        return object.__format__(self, spec)

    def __reduce_ex__(self, proto):
        return (_rebuild, (self._data, self.requires_grad))

    def __deepcopy__(self, memo):
        if self._node is not None:
            raise RuntimeError(
                "Only Tensors created explicitly by the user (graph leaves) support the "
                "deepcopy protocol at the moment."
            )
        t = make(_backend.copy(self._data))
        if self.requires_grad:
            t.requires_grad = True
        if getattr(self, "_grad", None) is not None:
            t._grad = make(_backend.copy(self._grad._data))
        memo[id(self)] = t
        return t


class _Storage:
    """Enough of PyTorch's storage to compare identities (``data_ptr``)."""

    def __init__(self, t) -> None:
        base = _backend.strided(own(t))  # (an adapter's arrays: their host view)
        while base.base is not None and hasattr(base.base, "__array_interface__"):
            base = base.base
        self._base = base

    def data_ptr(self) -> int:
        return int(self._base.__array_interface__["data"][0])


def make(arr, requires_grad: bool = False) -> Tensor:
    """Wrap a backend array as a leaf tensor (no copy)."""
    t = _alloc(Tensor)._init(arr)
    if requires_grad:
        t.requires_grad = True
    return t


def persist(*tensors) -> None:
    """Persist the ``'dask'`` tensors among ``tensors`` together, in one ``dask.persist``
    call (chunks their graphs share are computed once), swapping each one's data for its
    persisted array in place (same values: no version change). Others are left alone."""
    todo = [t for t in tensors if _backend.is_dask(t._data)]
    if not todo:
        return
    import dask  # (there since the tensors hold Dask arrays)

    for t, arr in zip(todo, dask.persist(*[t._data for t in todo]), strict=True):
        t._data = arr
    for t in todo:
        dask_persisted(t)  # (its views, detach() too: from the held chunks)


def _detached(t: Tensor) -> Tensor:
    if type(t._data) is SymArray:  # an explicit graph: a node that stops gradients
        return symbolic_detach(t)
    d = t._new(own(t))
    d._vc = t._vc  # detach shares storage and the version counter
    if type(d._data) is not _ndarray and _backend.is_dask(d._data):
        dask_detach(t, d)  # (its storage: Dask arrays share no memory, see ops.dask_views)
    return d


def _rebuild(data, requires_grad):
    return make(data, requires_grad)


Tensor.__module__ = "chainrule"  # its public name: chainrule.Tensor
Size.__module__ = "chainrule"


def _cpu_only(t) -> None:
    """PyTorch's refusal to view a GPU tensor's memory as a NumPy array."""
    d = t.device
    if d.type not in ("cpu", "dask"):  # (a Dask tensor is computed: see numpy())
        raise TypeError(
            f"can't convert {d} device type tensor to numpy. Use Tensor.cpu() to copy the "
            "tensor to host memory first."
        )
