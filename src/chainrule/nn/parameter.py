"""Parameter: a Tensor that a Module registers as something to train; and the
uninitialized parameters and buffers of the lazy modules (``nn.LazyLinear``, ...), which
have no shape until their module sees its first input.

>>> import chainrule as torch
>>> torch.nn.Parameter(torch.zeros(2))
Parameter containing:
tensor([0., 0.], requires_grad=True)
>>> torch.nn.LazyLinear(3).weight
<UninitializedParameter>
"""

from __future__ import annotations

import inspect
import os
import sys
from typing import Any

from .. import dtypes as _dt
from ..creation import empty
from ..device import device as _device
from ..tensor import Size, Tensor, make, own


class Parameter(Tensor):
    """A leaf tensor that requires grad by default; assigning one to a Module attribute
    registers it in ``module.parameters()``. It shares storage with ``data``.

    Arithmetic on a Parameter gives a plain Tensor, as in PyTorch.

    >>> import chainrule as torch
    >>> p = torch.nn.Parameter(torch.ones(3))
    >>> (p * 2).sum().backward(); p.grad
    tensor([2., 2., 2.])
    """

    def __new__(cls, data: Tensor | None = None, requires_grad: bool = True) -> Parameter:
        if data is None:
            data = empty(0)
        if not isinstance(data, Tensor):
            raise TypeError(
                f"Parameter(data) expects a Tensor, got {type(data).__name__}: "
                "wrap it with chainrule.tensor(...) first"
            )
        if requires_grad and data._data.dtype.kind not in "fc":
            raise RuntimeError(
                "Only Tensors of floating point and complex dtype can require gradients"
            )
        p = Tensor.__new__(cls)._init(own(data))
        p._vc = data._vc  # the same storage, so the same version counter (like detach)
        p._rg = bool(requires_grad)
        return p

    def __init__(self, data: Tensor | None = None, requires_grad: bool = True) -> None:
        pass  # everything happens in __new__ (Tensor.__init__ refuses direct construction)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()

    __str__ = __repr__

    def __deepcopy__(self, memo) -> Parameter:
        if id(self) in memo:
            return memo[id(self)]
        p = Parameter(self.detach().clone(), self.requires_grad)
        grad = getattr(self, "_grad", None)
        if grad is not None:
            p._grad = grad.detach().clone()
        memo[id(self)] = p
        return p

    def __reduce_ex__(self, proto):
        return (_rebuild_parameter, (own(self), self.requires_grad))


def _rebuild_parameter(data, requires_grad: bool) -> Parameter:
    return Parameter(make(data), requires_grad)


Parameter.__module__ = "chainrule.nn"


# ----------------------------------------------------------- uninitialized tensors
_PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep


def _entry_point() -> str:
    """The chainrule function that the caller's code called, for the error text (as
    PyTorch names the function it refused): the outermost of the chainrule frames on
    top of the stack."""
    f, entry = sys._getframe(1), None
    while f is not None and f.f_code.co_filename.startswith(_PACKAGE):
        entry, f = f, f.f_back
    if entry is None:
        return "<unknown function>"
    code, names = entry.f_code, entry.f_locals
    for fn in entry.f_globals.values():  # the function: a module's, maybe a closure
        if getattr(fn, "__code__", None) is code:
            cells = fn.__closure__ or ()
            if all(
                names.get(n) is _contents(c) for n, c in zip(code.co_freevars, cells, strict=True)
            ):
                return repr(fn)  # <function linear at 0x...>
    return f"<function {getattr(code, 'co_qualname', code.co_name)}>"


def _contents(cell):
    try:
        return cell.cell_contents
    except ValueError:  # an empty cell
        return _contents


class _Unmaterialized:
    """The data of an uninitialized parameter or buffer. It keeps an empty array of the
    dtype and on the device that ``materialize`` will use; any other use (every op reads
    a tensor's data through this object) raises PyTorch's error for it."""

    __slots__ = ("array", "kind", "persistent")

    def __init__(self, array, kind: str, persistent: bool = True) -> None:
        self.array = array
        self.kind = kind
        self.persistent = persistent

    def refuse(self, *args, where: str | None = None, **kwargs):
        """Raise PyTorch's error for a use of an uninitialized tensor, naming ``where``
        (by default the chainrule function the caller called)."""
        raise ValueError(
            f"Attempted to use an uninitialized parameter in {where or _entry_point()}. "
            "This error happens when you are using a `LazyModule` or explicitly manipulating "
            f"`torch.nn.parameter.{self.kind}` objects. When using LazyModules Call `forward` "
            "with a dummy batch to initialize the parameters before calling torch functions"
        )

    def __getattr__(self, name: str):  # an array attribute: shape, dtype, ndim, ...
        if name.startswith("__"):  # protocols asked with a default (copy, NumPy)
            raise AttributeError(name)
        self.refuse()

    # NumPy's and the array API's entry points, and the operators an op may apply to it
    __array__ = __array_ufunc__ = __array_function__ = __array_namespace__ = refuse
    __getitem__ = __setitem__ = __len__ = __iter__ = __bool__ = __float__ = refuse
    __int__ = __index__ = __neg__ = __pos__ = __abs__ = __invert__ = refuse
    __add__ = __radd__ = __sub__ = __rsub__ = __mul__ = __rmul__ = refuse
    __truediv__ = __rtruediv__ = __floordiv__ = __rfloordiv__ = __mod__ = __rmod__ = refuse
    __pow__ = __rpow__ = __matmul__ = __rmatmul__ = refuse
    __and__ = __rand__ = __or__ = __ror__ = __xor__ = __rxor__ = refuse
    __lt__ = __le__ = __gt__ = __ge__ = refuse


def _refused(name: str):
    """A Tensor method that refuses, naming itself in the error."""

    def method(self, *args, **kwargs):
        self._data.refuse(where=f"<method '{name}' of 'chainrule.Tensor' objects>")

    method.__name__ = method.__qualname__ = name
    return method


class UninitializedTensorMixin:
    """What UninitializedParameter and UninitializedBuffer share: no shape until
    ``materialize(shape)``, which gives the tensor its data (uninitialized memory, as
    ``torch.empty``) and turns it, the same object, into ``cls_to_become``. Until then
    only its dtype and device can be read or changed (``to``, ``float()``, ``cuda()``,
    ...); any other use raises, as in PyTorch.

    >>> import chainrule as torch
    >>> w = torch.nn.UninitializedParameter()
    >>> w.materialize((2, 3)); type(w).__name__, w.shape
    ('Parameter', torch.Size([2, 3]))
    """

    __slots__ = ()
    cls_to_become: type
    _data: Any  # an _Unmaterialized

    def materialize(self, shape, device=None, dtype=None) -> None:
        """Give the tensor ``shape`` (on ``device``, in ``dtype``: by default its own) and
        make it a ``cls_to_become`` in place, so whoever holds it (a module, an optimizer)
        holds the materialized tensor."""
        held = self._data.array
        if device is None:
            device = make(held).device
        if dtype is None:
            dtype = _dt.from_numpy_dtype(held.dtype)
        shape = (shape,) if isinstance(shape, int) else tuple(shape)
        self._data = empty(shape, dtype=dtype, device=device)._data
        self.__class__ = self.cls_to_become

    @property
    def shape(self):
        raise RuntimeError(
            "Can't access the shape of an uninitialized parameter or buffer. "
            "This error usually happens in `load_state_dict` when trying to load "
            "an uninitialized parameter into an initialized one. "
            "Call `forward` to initialize the parameters before accessing their attributes."
        )

    def share_memory_(self):
        raise RuntimeError(
            "Can't share memory on an uninitialized parameter or buffer. "
            "Call `forward` to initialize the parameters before calling "
            "`module.share_memory()`."
        )

    def __repr__(self) -> str:
        return f"<{type(self).__name__}>"

    __str__ = __repr__

    # what may be asked of it (PyTorch's list): the placeholder's dtype and device
    @property
    def dtype(self) -> _dt.dtype:
        return _dt.from_numpy_dtype(self._data.array.dtype)

    @property
    def device(self) -> _device:
        return make(self._data.array).device

    @property
    def is_cuda(self) -> bool:
        return self.device.type == "cuda"

    @property
    def is_cpu(self) -> bool:
        return self.device.type == "cpu"

    @property
    def ndim(self) -> int:
        return self._data.array.ndim  # (PyTorch lets ndim through: 1)

    def size(self, dim: int | None = None):
        n = self._data.array.shape
        return Size(n) if dim is None else n[dim]  # PyTorch's answer: torch.Size([0])

    def get_device(self) -> int:
        return make(self._data.array).get_device()

    def is_floating_point(self) -> bool:
        return self._data.array.dtype.kind == "f"

    def is_complex(self) -> bool:
        return self._data.array.dtype.kind == "c"

    @property
    def requires_grad(self) -> bool:
        return self._rg

    @requires_grad.setter
    def requires_grad(self, value: bool) -> None:
        if value and self._data.array.dtype.kind not in "fc":
            raise RuntimeError(
                "only Tensors of floating point and complex dtype can require gradients"
            )
        self._rg = bool(value)

    @property
    def data(self) -> Tensor:
        """The placeholder: an empty tensor of the dtype and device to materialize in."""
        return make(self._data.array)

    @data.setter
    def data(self, value: Tensor) -> None:
        held = self._data
        self._data = _Unmaterialized(own(value), held.kind, held.persistent)

    def _converted(self, method: str, *args, **kwargs):
        """self with its placeholder converted by the Tensor method ``method``: self when
        nothing changes, else a new uninitialized tensor of this class."""
        held = self._data
        arr = getattr(make(held.array), method)(*args, **kwargs)._data
        if arr is held.array:
            return self
        out = Tensor.__new__(type(self))._init(_Unmaterialized(arr, held.kind, held.persistent))
        out._rg = self._rg and arr.dtype.kind in "fc"
        return out

    def to(self, *args, **kwargs):
        return self._converted("to", *args, **kwargs)

    def cpu(self, *args, **kwargs):
        return self._converted("cpu", *args, **kwargs)

    def cuda(self, *args, **kwargs):
        return self._converted("cuda", *args, **kwargs)

    def float(self):
        return self._converted("float")

    def double(self):
        return self._converted("double")

    def half(self):
        return self._converted("half")

    def short(self):
        return self._converted("short")

    def int(self):
        return self._converted("int")

    def long(self):
        return self._converted("long")


# Every other Tensor method and operator is refused by name, as PyTorch refuses them (its
# ``__torch_function__``); functions (``torch.add(w, 1)``) are refused by the data itself.
_KEPT = {"__init__", "__hash__", "__repr__", "__str__", "__reduce_ex__", "__deepcopy__"}
for _cls in Tensor.__mro__[:-1]:
    for _name, _value in vars(_cls).items():
        if (
            inspect.isfunction(_value)
            and _name not in _KEPT
            and _name not in vars(UninitializedTensorMixin)
            and (_name.startswith("__") or not _name.startswith("_"))
        ):
            setattr(UninitializedTensorMixin, _name, _refused(_name))


def is_lazy(param: Any) -> bool:
    """Whether ``param`` is an UninitializedParameter or UninitializedBuffer.

    >>> import chainrule as torch
    >>> torch.nn.parameter.is_lazy(torch.nn.LazyLinear(2).weight)
    True
    """
    return isinstance(param, UninitializedTensorMixin)


def _placeholder(device, dtype):
    return own(empty(0, dtype=dtype, device=device))


class UninitializedParameter(UninitializedTensorMixin, Parameter):
    """A Parameter whose shape is not known yet (a lazy module's, until its first
    input). Its repr is ``<UninitializedParameter>``; reading its shape or computing with
    it raises. ``materialize(shape)`` makes it a Parameter in place; ``device`` and
    ``dtype`` here are the ones it will materialize with.

    >>> import chainrule as torch
    >>> w = torch.nn.UninitializedParameter(); w
    <UninitializedParameter>
    >>> w + 1  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: Attempted to use an uninitialized parameter in ...
    >>> w.materialize((2,)); w
    Parameter containing:
    tensor([0., 0.], requires_grad=True)
    """

    cls_to_become = Parameter

    def __new__(cls, requires_grad: bool = True, device=None, dtype=None) -> UninitializedParameter:
        arr = _placeholder(device, dtype)
        if requires_grad and arr.dtype.kind not in "fc":
            raise RuntimeError(
                "Only Tensors of floating point and complex dtype can require gradients"
            )
        p = Tensor.__new__(cls)._init(_Unmaterialized(arr, cls.__name__))
        p._rg = bool(requires_grad)
        return p

    def __init__(self, requires_grad: bool = True, device=None, dtype=None) -> None:
        pass

    def __deepcopy__(self, memo) -> UninitializedParameter:
        if id(self) not in memo:
            memo[id(self)] = type(self)(self.requires_grad, self.device, self.dtype)
        return memo[id(self)]

    def __reduce_ex__(self, proto):
        return (type(self), (self.requires_grad, None, self.dtype))


class UninitializedBuffer(UninitializedTensorMixin, Tensor):
    """A buffer whose shape is not known yet (a lazy BatchNorm's running statistics):
    like UninitializedParameter, but ``materialize`` makes it a plain Tensor, and it
    does not require grad by default.

    >>> import chainrule as torch
    >>> b = torch.nn.UninitializedBuffer(); b
    <UninitializedBuffer>
    >>> b.materialize((3,)); type(b).__name__, b.shape
    ('Tensor', torch.Size([3]))
    """

    __slots__ = ()
    cls_to_become = Tensor

    def __new__(
        cls, requires_grad: bool = False, device=None, dtype=None, persistent: bool = True
    ) -> UninitializedBuffer:
        arr = _placeholder(device, dtype)
        b = Tensor.__new__(cls)._init(_Unmaterialized(arr, cls.__name__, persistent))
        b.requires_grad = requires_grad
        return b

    def __init__(
        self, requires_grad: bool = False, device=None, dtype=None, persistent: bool = True
    ) -> None:
        pass

    @property
    def persistent(self) -> bool:
        """Whether a module keeps it in its ``state_dict`` (``register_buffer``'s flag)."""
        return self._data.persistent

    def __deepcopy__(self, memo) -> UninitializedBuffer:
        if id(self) not in memo:
            memo[id(self)] = type(self)(
                self.requires_grad, self.device, self.dtype, self.persistent
            )
        return memo[id(self)]

    def __reduce_ex__(self, proto):
        return (type(self), (self.requires_grad, None, self.dtype, self.persistent))


UninitializedParameter.__module__ = UninitializedBuffer.__module__ = "chainrule.nn.parameter"
UninitializedTensorMixin.__module__ = "chainrule.nn.parameter"
