"""Tensor's methods and operators, bound to the ops: one path for ``x.exp()``,
``torch.exp(x)`` and, for arithmetic, ``x * y`` (DESIGN.md: the tensor is thin)."""

from __future__ import annotations

from . import dtypes as _dt
from .ops import elementwise as E
from .ops import indexing as I
from .ops import linalg as L
from .ops import reduction as R
from .ops import shape as S
from .ops.primitive import apply, compare
from .tensor import _CPU, Tensor, own
from .tensor import device as _Device

# ---------------------------------------------------------------- operators
# each operator binds its primitive once (no module lookups per call: the hot path)
_ops = {
    "__add__": lambda a, b, _f=apply, _p=E.ADD: _f(_p, a, b),
    "__radd__": lambda a, b, _f=apply, _p=E.ADD: _f(_p, b, a),
    "__sub__": lambda a, b, _f=apply, _p=E.SUB: _f(_p, a, b),
    "__rsub__": lambda a, b, _f=apply, _p=E.SUB: _f(_p, b, a),
    "__mul__": lambda a, b, _f=apply, _p=E.MUL: _f(_p, a, b),
    "__rmul__": lambda a, b, _f=apply, _p=E.MUL: _f(_p, b, a),
    "__truediv__": lambda a, b, _f=apply, _p=E.DIV: _f(_p, a, b),
    "__rtruediv__": lambda a, b, _f=apply, _p=E.DIV: _f(_p, b, a),
    "__floordiv__": lambda a, b, _f=apply, _p=E.FLOOR_DIVIDE: _f(_p, a, b),
    "__rfloordiv__": lambda a, b, _f=apply, _p=E.FLOOR_DIVIDE: _f(_p, b, a),
    "__mod__": lambda a, b, _f=apply, _p=E.REMAINDER: _f(_p, a, b),
    "__rmod__": lambda a, b, _f=apply, _p=E.REMAINDER: _f(_p, b, a),
    "__pow__": lambda a, b: apply(E.POW_T if type(b) is Tensor else E.POW, a, b),
    "__rpow__": lambda a, b: apply(E.POW_S, b, a),
    "__matmul__": L.matmul,
    "__rmatmul__": lambda a, b: L.matmul(b, a),
    "__neg__": lambda a, _f=apply, _p=E.NEG: _f(_p, a),
    "__pos__": lambda a: a,
    "__abs__": lambda a, _f=apply, _p=E.ABS: _f(_p, a),
    "__invert__": lambda a: (
        apply(E.BITWISE_NOT, a) if a._data.dtype.kind != "b" else apply(E.LOGICAL_NOT, a)
    ),
    "__and__": lambda a, b, _f=apply, _p=E.BITWISE_AND: _f(_p, a, b),
    "__or__": lambda a, b, _f=apply, _p=E.BITWISE_OR: _f(_p, a, b),
    "__xor__": lambda a, b, _f=apply, _p=E.BITWISE_XOR: _f(_p, a, b),
    "__rand__": lambda a, b, _f=apply, _p=E.BITWISE_AND: _f(_p, b, a),
    "__ror__": lambda a, b, _f=apply, _p=E.BITWISE_OR: _f(_p, b, a),
    "__eq__": lambda a, b: compare(E.EQ, a, b) if _cmp_ok(b) else False,
    "__ne__": lambda a, b: compare(E.NE, a, b) if _cmp_ok(b) else True,
    "__lt__": lambda a, b, _f=compare, _p=E.LT: _f(_p, a, b),
    "__le__": lambda a, b, _f=compare, _p=E.LE: _f(_p, a, b),
    "__gt__": lambda a, b, _f=compare, _p=E.GT: _f(_p, a, b),
    "__ge__": lambda a, b, _f=compare, _p=E.GE: _f(_p, a, b),
    "__getitem__": I.getitem,
}


def _cmp_ok(b) -> bool:
    return isinstance(b, (Tensor, int, float, bool)) or hasattr(b, "dtype")


for _k, _v in _ops.items():
    setattr(Tensor, _k, _v)

# ------------------------------------------------------------------ methods
_METHODS = {
    E: "neg negative add sub subtract mul multiply div divide true_divide floor_divide remainder "
    "pow square exp expm1 log log2 log10 log1p sqrt rsqrt sin cos tan tanh sigmoid reciprocal "
    "abs absolute relu sign floor ceil trunc round clamp clip maximum minimum eq ne lt le gt ge "
    "greater less greater_equal less_equal not_equal logical_and logical_or logical_xor "
    "logical_not bitwise_not isnan isinf isfinite",
    R: "sum mean prod var std logsumexp amax amin max min argmax argmin all any cumsum cumprod "
    "norm count_nonzero nonzero",
    S: "reshape view flatten squeeze unsqueeze transpose swapaxes swapdims t permute movedim "
    "moveaxis expand expand_as repeat flip clone contiguous split chunk unbind narrow",
    L: "dot mv mm matmul outer inner",
    I: "gather",
}
for _mod, _names in _METHODS.items():
    for _n in _names.split():
        setattr(Tensor, _n, getattr(_mod, _n))

Tensor.T = property(S.T)
Tensor.mT = property(S.mT)
Tensor.H = property(S.T)
Tensor.where = lambda self, condition, other: E.where(condition, self, other)


def _reshape_as(self, other):
    return S.reshape(self, other._data.shape)


def _view_as(self, other):
    return S.view(self, other._data.shape)


Tensor.reshape_as = _reshape_as
Tensor.isclose = lambda self, other, rtol=1e-05, atol=1e-08, equal_nan=False: _isclose()(
    self, other, rtol, atol, equal_nan
)
Tensor.allclose = lambda self, other, rtol=1e-05, atol=1e-08, equal_nan=False: _allclose()(
    self, other, rtol, atol, equal_nan
)
Tensor.equal = lambda self, other: _equal()(self, other)


def _isclose():
    import chainrule

    return chainrule.isclose


def _allclose():
    import chainrule

    return chainrule.allclose


def _equal():
    import chainrule

    return chainrule.equal


Tensor.view_as = _view_as
Tensor.is_contiguous = lambda self, memory_format=None: bool(self._data.flags.c_contiguous)
Tensor.data_ptr = lambda self: int(own(self).__array_interface__["data"][0])
Tensor.untyped_storage = lambda self: _Storage(self)
Tensor.stride = lambda self, dim=None: (
    tuple(s // self._data.itemsize for s in self._data.strides)
    if dim is None
    else self._data.strides[dim] // self._data.itemsize
)


class _Storage:
    """Enough of PyTorch's storage to compare identities (``data_ptr``)."""

    def __init__(self, t) -> None:
        base = own(t)
        while base.base is not None and hasattr(base.base, "__array_interface__"):
            base = base.base
        self._base = base

    def data_ptr(self) -> int:
        return int(self._base.__array_interface__["data"][0])


# --------------------------------------------------------------- conversion
def _to(self, *args, dtype=None, device=None, copy=False, non_blocking=False):
    for a in args:
        if isinstance(a, Tensor):
            dtype = a.dtype
        elif isinstance(a, (_dt.dtype, type)) or a in (float, int, bool):
            dtype = a
        elif isinstance(a, (str, _Device)):
            device = a
    if device is not None and _Device(device) != _CPU:
        raise RuntimeError(f"chainrule runs on the CPU (NumPy); device {device!r} is not available")
    if dtype is None:
        return self.clone() if copy else self
    d = _dt.to_dtype(dtype)
    if d.np == self._data.dtype and not copy:
        return self
    return S.to_dtype(self, d.np)


Tensor.to = _to
Tensor.cpu = lambda self: self
Tensor.float = lambda self: _to(self, _dt.float32)
Tensor.double = lambda self: _to(self, _dt.float64)
Tensor.half = lambda self: _to(self, _dt.float16)
Tensor.long = lambda self: _to(self, _dt.int64)
Tensor.int = lambda self: _to(self, _dt.int32)
Tensor.short = lambda self: _to(self, _dt.int16)
Tensor.bool = lambda self: _to(self, _dt.bool)
Tensor.byte = lambda self: _to(self, _dt.uint8)

_FROM_TYPE_NAME = {d.tensor_type: d for d in _dt._ALL}


def _type(self, dtype=None, non_blocking=False):
    """Without an argument the type name ('torch.FloatTensor'); with one, a conversion."""
    if dtype is None:
        return self.dtype.tensor_type
    if isinstance(dtype, str):
        dtype = _dt.to_dtype(_FROM_TYPE_NAME.get(dtype, dtype))
    return _to(self, dtype)


Tensor.type = _type
Tensor.type_as = lambda self, other: _to(self, other.dtype)


def _cuda(self, *a, **k):
    raise RuntimeError("chainrule runs on the CPU (NumPy); CUDA is not available")


Tensor.cuda = _cuda

# ----------------------------------------------------------------- in place
FILL, COPY, FILL_DATA = E.FILL, E.COPY, E.FILL_DATA


def _inplace_of(prim, **fixed):
    def method(self, *args, **kwargs):
        return self._inplace(prim, *args, **fixed, **kwargs)

    method.__name__ = prim.name + "_"
    method.__doc__ = f"In-place {prim.name}: writes into self's storage and returns self."
    return method


def _add_(self, other, *, alpha=1):
    if alpha != 1:
        other = apply(E.MUL, other, alpha)
    return self._inplace(E.ADD, other)


def _sub_(self, other, *, alpha=1):
    if alpha != 1:
        other = apply(E.MUL, other, alpha)
    return self._inplace(E.SUB, other)


def _clamp_(self, min=None, max=None):
    if min is None and max is None:
        raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
    return self._inplace(E.CLAMP, min=min, max=max)


def _fill_(self, value):
    if isinstance(value, Tensor):
        if value._data.ndim:
            raise RuntimeError(
                "fill_ only supports 0-dimension value tensor but got tensor with "
                f"{value._data.ndim} dimensions."
            )
        value = value.item()
    return self._inplace(FILL, value=value)


def _copy_(self, src, non_blocking=False):
    if src._data.dtype != self._data.dtype:
        src = S.to_dtype(src, self._data.dtype)
    return self._inplace(COPY, src)


def _masked_fill(self, mask, value):
    v = value.item() if isinstance(value, Tensor) and value._data.ndim == 0 else value
    return E.where(mask, apply(FILL, self, value=v), self)


def _masked_fill_(self, mask, value):
    m = mask._data if isinstance(mask, Tensor) else mask
    I.setitem(self, Tensor_from(m), value)
    return self


def Tensor_from(arr):
    from .tensor import make

    return make(arr)


Tensor.add_ = _add_
Tensor.sub_ = _sub_
Tensor.mul_ = _inplace_of(E.MUL)
Tensor.div_ = _inplace_of(E.DIV)
Tensor.pow_ = lambda self, e: self._inplace(E.pow_prim(self, e), e)
Tensor.clamp_ = _clamp_
Tensor.clip_ = _clamp_
Tensor.fill_ = _fill_
Tensor.zero_ = lambda self: _fill_(self, 0)
Tensor.copy_ = _copy_
Tensor.masked_fill = _masked_fill
Tensor.masked_fill_ = _masked_fill_
for _p_name in (
    "neg exp log sqrt abs relu sigmoid tanh sin cos floor ceil round trunc sign reciprocal".split()
):
    setattr(Tensor, _p_name + "_", _inplace_of(getattr(E, _p_name.upper())))
Tensor.__iadd__ = lambda self, o: _add_(self, o)
Tensor.__isub__ = lambda self, o: _sub_(self, o)
Tensor.__imul__ = lambda self, o: self._inplace(E.MUL, o)
Tensor.__itruediv__ = lambda self, o: self._inplace(E.DIV, o)
Tensor.__ipow__ = lambda self, o: self._inplace(E.pow_prim(self, o), o)
Tensor.__ifloordiv__ = lambda self, o: self._inplace(E.FLOOR_DIVIDE, o)
Tensor.__imod__ = lambda self, o: self._inplace(E.REMAINDER, o)


def _uniform_(self, a=0.0, b=1.0, *, generator=None):
    from .creation import _rng

    with _no_grad_if_leaf(self):
        return self._inplace(FILL_DATA, data=_rng(generator).uniform(a, b, self._data.shape))


def _normal_(self, mean=0.0, std=1.0, *, generator=None):
    from .creation import _rng

    with _no_grad_if_leaf(self):
        return self._inplace(
            FILL_DATA, data=mean + std * _rng(generator).standard_normal(self._data.shape)
        )


class _no_grad_if_leaf:
    def __init__(self, t) -> None:
        self.t = t

    def __enter__(self):
        from .autograd.grad_mode import _state

        self.prev = _state.enabled
        if self.t._node is None:
            _state.enabled = False

    def __exit__(self, *exc):
        from .autograd.grad_mode import _state

        _state.enabled = self.prev


Tensor.uniform_ = _uniform_
Tensor.normal_ = _normal_
Tensor.new_zeros = lambda self, *size, dtype=None, requires_grad=False: _new(
    self, "zeros", size, dtype, requires_grad
)
Tensor.new_ones = lambda self, *size, dtype=None, requires_grad=False: _new(
    self, "ones", size, dtype, requires_grad
)
Tensor.new_tensor = lambda self, data, dtype=None, requires_grad=False: _new_tensor(
    self, data, dtype, requires_grad
)


def _new(self, kind, size, dtype, requires_grad):
    from . import creation

    return getattr(creation, kind)(*size, dtype=dtype or self.dtype, requires_grad=requires_grad)


def _new_tensor(self, data, dtype, requires_grad):
    from . import creation

    return creation.tensor(data, dtype=dtype or self.dtype, requires_grad=requires_grad)


del _k, _v, _mod, _names, _n, _p_name
