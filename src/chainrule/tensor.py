"""class Tensor: a backend array plus autograd bookkeeping. All math lives in ``ops``.

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

import numpy as _np

from . import dtypes as _dt
from .autograd import grad_mode as _gm
from .ops import primitive as _p

_grad_state = _gm._state


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


class device:
    """Where a tensor's data lives; only ``cpu`` (NumPy) for now.

    >>> import chainrule as torch
    >>> torch.zeros(1).device
    device(type='cpu')
    """

    __slots__ = ("type", "index")

    def __init__(self, type: str = "cpu", index: int | None = None) -> None:
        if isinstance(type, device):
            type, index = type.type, type.index
        self.type, self.index = type, index

    def __repr__(self) -> str:
        return f"device(type='{self.type}')"

    def __str__(self) -> str:
        return self.type

    def __eq__(self, other) -> bool:
        if isinstance(other, str):
            other = device(other)
        return isinstance(other, device) and other.type == self.type

    def __hash__(self) -> int:
        return hash(self.type)


_CPU = device("cpu")


class Tensor:
    """An n-dimensional array that records the operations on it for autograd.

    Build tensors with :func:`chainrule.tensor`, :func:`chainrule.arange`, ...

    >>> import chainrule as torch
    >>> torch.tensor([[1, 2], [3, 4]]).T
    tensor([[1, 3],
            [2, 4]])
    """

    __slots__ = (
        "_data",
        "_node",
        "_grad",
        "_vc",
        "_base",
        "_vnode",
        "_accum",
        "_retains",
        "_rg",
        "_fw",
        "__weakref__",
    )
    __array_priority__ = 1000  # NumPy defers binary operators to Tensor's

    def __init__(self, data=None, *args, **kwargs) -> None:
        raise TypeError("use chainrule.tensor(data) to build a tensor")

    def __init_subclass__(cls, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        _p._TENSOR_TYPES.add(cls)  # subclasses (nn.Parameter, later) take the fast paths too

    def _init(self, arr) -> Tensor:
        # _grad, _accum, _retains and _vnode stay unset until needed (read with getattr)
        self._data = arr
        self._node = None
        self._vc = [0]
        self._base = None
        self._rg = False
        return self

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
        return self._data.shape[_wrap_dim(dim, self._data.ndim)]

    @property
    def dtype(self) -> _dt.dtype:
        return _dt.from_numpy_dtype(self._data.dtype)

    @property
    def device(self) -> device:
        return _CPU

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
    def _version(self) -> int:
        """How many times the storage was changed in place (shared with views)."""
        return self._vc[0]

    @property
    def is_leaf(self) -> bool:
        return self._node is None

    @property
    def grad_fn(self):
        n = self._node
        if n is not None and n.prim.selects:  # output i of a multi-output Function
            return n.next[0]
        return n

    @property
    def is_cuda(self) -> bool:
        return False

    @property
    def layout(self) -> str:
        return "torch.strided"

    def is_floating_point(self) -> bool:
        return self._data.dtype.kind == "f"

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
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError(
                    f"assigned grad expected to be a Tensor or None but got {type(value).__name__}"
                )
            if value._data.shape != self._data.shape:
                raise RuntimeError("assigned grad has data of a different size")
        self._grad = value

    @property
    def data(self) -> Tensor:
        """The same storage without history (like ``detach()``, but sharing the version)."""
        return _detached(self)

    @data.setter
    def data(self, value: Tensor) -> None:
        self._data = value._data

    @property
    def requires_grad(self) -> bool:
        return self._rg

    @requires_grad.setter
    def requires_grad(self, value: bool) -> None:
        if value and self._data.dtype.kind not in "fc":
            raise RuntimeError(
                "only Tensors of floating point and complex dtype can require gradients"
            )
        if self._node is not None and not value:
            raise RuntimeError(
                "you can only change requires_grad flags of leaf variables. If you want to use "
                "a computed variable in a subgraph that doesn't require differentiation use "
                "var_no_grad = var.detach()."
            )
        self._rg = bool(value)

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        """Set ``requires_grad`` in place and return self.

        >>> import chainrule as torch
        >>> torch.ones(2).requires_grad_()
        tensor([1., 1.], requires_grad=True)
        """
        if self._node is not None:
            if requires_grad:
                return self
            raise RuntimeError(
                "you can only change requires_grad flags of leaf variables. If you want to use "
                "a computed variable in a subgraph that doesn't require differentiation use "
                "var_no_grad = var.detach()."
            )
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
        self._retains = True
        import weakref

        ref = weakref.ref(self)

        def keep(g):
            t = ref()
            if t is not None:
                if getattr(t, "_grad", None) is None or g.requires_grad:
                    t._grad = g if g.requires_grad else g.clone()
                else:
                    t._grad = t._grad + g
            return None

        keep._retain = True  # runs after the user's hooks, as in PyTorch
        self._node.register_hook(keep)

    @property
    def retains_grad(self) -> bool:
        return getattr(self, "_retains", False)

    def register_hook(self, hook):
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
        node = self._node if self._node is not None else _p.edge(self)
        if node.pre_hooks is None:
            node.pre_hooks = []
        hooks = node.pre_hooks
        pos = len(hooks)
        while pos and getattr(hooks[pos - 1], "_retain", False):
            pos -= 1
        hooks.insert(pos, hook)
        if self._node is None:
            self._accum = node  # held strongly now, so the hook outlives this call
        return _p._RemovableHandle(node.pre_hooks, hook)

    # ------------------------------------------------------------- autograd
    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None) -> None:
        """Accumulate d(self)/d(leaf) into every leaf's ``.grad`` (reverse mode).

        >>> import chainrule as torch
        >>> x = torch.arange(4.0, requires_grad=True)
        >>> (x * x).sum().backward(); x.grad
        tensor([0., 2., 4., 6.])
        """
        _autograd().backward(self, gradient, retain_graph, create_graph, inputs=inputs)

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
        """The data as a NumPy array sharing memory.

        >>> import chainrule as torch
        >>> torch.tensor([1, 2]).numpy()
        array([1, 2])
        """
        if self.requires_grad and not force:
            raise RuntimeError(
                "Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() "
                "instead."
            )
        return own(self)

    def __array__(self, dtype=None, copy=None):
        if self.requires_grad:
            raise RuntimeError(
                "Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() "
                "instead."
            )
        a = own(self)
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
        return self._data.item()

    def tolist(self):
        """The data as (nested) Python lists.

        >>> import chainrule as torch
        >>> torch.arange(3).tolist()
        [0, 1, 2]
        """
        return self._data.tolist()

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __index__(self) -> int:
        if self._data.dtype.kind not in "iub" or self._data.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return int(self.item())

    def __bool__(self) -> bool:
        d = self._data
        if d.size == 1:
            return bool(d.item())
        if d.size != 1:
            raise RuntimeError(
                "Boolean value of Tensor with more than one value is ambiguous"
                if self._data.size > 1
                else "Boolean value of Tensor with no values is ambiguous"
            )
        return bool(self.item())

    def __complex__(self) -> complex:
        return complex(self.item())

    def __len__(self) -> int:
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __iter__(self):
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        for i in range(self._data.shape[0]):
            yield self[i]

    def __hash__(self) -> int:
        return id(self)

    def __repr__(self, *, tensor_contents=None) -> str:
        from ._print import tensor_repr

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
        t = Tensor.__new__(Tensor)._init(self._data.copy())
        if self.requires_grad:
            t.requires_grad = True
        if getattr(self, "_grad", None) is not None:
            t._grad = Tensor.__new__(Tensor)._init(self._grad._data.copy())
        memo[id(self)] = t
        return t

    # --------------------------------------------------------------- in place
    def _inplace(self, prim, *args, **params) -> Tensor:
        """Run ``prim(self, *args)`` and write the result into self's storage.

        With grad recording, self's history is rebased onto the new node (PyTorch's
        semantics for non-leaf tensors); a leaf that requires grad, or a view of a
        tensor that requires grad, is refused with the fix in the message.
        """
        record = _grad_state.enabled and (
            self.requires_grad or any(isinstance(a, Tensor) and a.requires_grad for a in args)
        )
        src = self
        if record:
            _check_inplace(self)
            needs = (self.requires_grad,) + tuple(
                isinstance(a, Tensor) and a.requires_grad for a in args
            )
            if prim.input_names[0] in prim.saves(needs):
                # the rule needs the value before the write: keep a copy with self's history
                src = Tensor.__new__(Tensor)._init(self._data.copy())
                src._node = self._node
                src._rg = self._rg
                fw = getattr(self, "_fw", None)
                if fw is not None:
                    _fwad().attach(src, fw[0], fw[1])
        r = _p.apply(prim, src, *args, **params)
        _write(self, r._data)
        if record and r._node is not None:
            self._node = r._node
            self._rg = True
        fw = getattr(r, "_fw", None)
        if fw is not None:  # forward mode: the tangent of the new value
            _fwad().attach(self, fw[0], fw[1])
        elif getattr(self, "_fw", None) is not None:
            self._fw = None  # the new value has no tangent (zero)
        return self

    def __setitem__(self, idx, value) -> None:
        from .ops import indexing

        indexing.setitem(self, idx, value)

    # Tensor math is attached below from ``ops`` (one path for methods and functions).


def own(t: Tensor):
    """t's data as an array that can be shared and written. Ops on 0-d tensors keep NumPy's
    scalar results as they come (a ufunc on a scalar is ~8x cheaper than on a 0-d array);
    such data becomes a 0-d array here, where storage identity starts to matter: views,
    detach, numpy(), in-place writes."""
    d = t._data
    if type(d) is not _ndarray and isinstance(d, _np.generic):
        d = t._data = _np.array(d)
    return d


_ndarray = _np.ndarray


def _autograd():
    global _AUTOGRAD
    if _AUTOGRAD is None:  # imported on first use (import cycle), then kept: backward is hot
        from . import autograd

        _AUTOGRAD = autograd
    return _AUTOGRAD


_AUTOGRAD = None


def _fwad():
    from .autograd import forward_ad

    return forward_ad


def _check_inplace(t: Tensor) -> None:
    if t._node is None and t.requires_grad:
        raise RuntimeError(
            "a leaf Variable that requires grad is being used in an in-place operation."
        )
    base = t._base
    if base is not None and (base.requires_grad or t.requires_grad):
        if base._node is None and base.requires_grad:
            raise RuntimeError(
                "a view of a leaf Variable that requires grad is being used in an in-place "
                "operation."
            )
        raise RuntimeError(
            "in-place operation on a view of a tensor that requires grad: chainrule does not "
            "rebase the history of views. Use clone() to make the view a tensor of its own "
            "before modifying it in place, or modify the base tensor instead."
        )


_CAN_CAST = {("f", "i"), ("f", "u"), ("f", "b"), ("i", "b"), ("u", "b")}


def _write(t: Tensor, out) -> None:
    """Write ``out`` into t's storage: same shape, a dtype PyTorch can cast to, writable."""
    dst = own(t)
    if out.shape != dst.shape:
        if out.ndim > dst.ndim or any(
            o != d and o != 1 for o, d in zip(out.shape[::-1], dst.shape[::-1], strict=False)
        ):
            raise RuntimeError(
                f"output with shape {list(dst.shape)} doesn't match the broadcast shape "
                f"{list(_np.broadcast_shapes(out.shape, dst.shape))}"
            )
    if out.dtype != dst.dtype and (out.dtype.kind, dst.dtype.kind) in _CAN_CAST:
        raise RuntimeError(
            f"result type {_dt.from_numpy_dtype(out.dtype).name.capitalize()} can't be cast to "
            f"the desired output type {_dt.from_numpy_dtype(dst.dtype).name.capitalize()}".replace(
                "Float32", "Float"
            )
            .replace("Float64", "Double")
            .replace("Int64", "Long")
            .replace("Int32", "Int")
        )
    try:
        dst[...] = out
    except ValueError as e:
        if "read-only" not in str(e):
            raise
        raise RuntimeError(
            "unsupported operation: more than one element of the written-to tensor refers to a "
            "single memory location. Please clone() the tensor before performing the operation."
        ) from None
    t._vc[0] += 1


def _detached(t: Tensor) -> Tensor:
    d = Tensor.__new__(Tensor)._init(own(t))
    d._vc = t._vc  # detach shares storage and the version counter
    return d


def _rebuild(data, requires_grad):
    t = Tensor.__new__(Tensor)._init(data)
    if requires_grad:
        t.requires_grad = True
    return t


def _wrap_dim(dim: int, ndim: int) -> int:
    n = max(ndim, 1)
    if not -n <= dim < n:
        raise IndexError(
            f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {dim})"
        )
    return dim % n


def make(arr, requires_grad: bool = False) -> Tensor:
    """Wrap a backend array as a leaf tensor (no copy)."""
    t = Tensor.__new__(Tensor)._init(arr)
    if requires_grad:
        t.requires_grad = True
    return t


Tensor.__module__ = "chainrule"  # its public name: chainrule.Tensor
Size.__module__ = "chainrule"
_p._Tensor = Tensor
_p._TENSOR_TYPES.add(Tensor)
_p._own = own
