"""Arrays from Python data, read as PyTorch reads them: what ``chainrule.tensor`` and
``Tensor.new_tensor`` build their data from, and the size and scalar arguments of the
factory functions, with PyTorch's errors.

Nested sequences: the shape follows the first elements down, every sequence at a level
must have that level's length, and tensors inside a list are numbers (one element each).
The dtype is PyTorch's promotion over all the numbers (a Python bool is bool, an int
int64, a float the default dtype; NumPy scalars and tensors bring their own dtype). A
number that does not fit an integer dtype is refused, as PyTorch refuses it.

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

_SEQ = (list, tuple, range)
_PY_NUMBERS = frozenset((builtins.bool, builtins.int, builtins.float))
_HEAPTYPE = 1 << 9  # Py_TPFLAGS_HEAPTYPE: a class defined in Python


def type_name(v) -> str:
    """The name PyTorch's argument parser gives the type of ``v`` in its errors: ``float``,
    ``Tensor``, ``numpy.float64``."""
    if isinstance(v, TensorBase):
        return "Tensor"
    t = type(v)
    if t.__module__ == "builtins" or t.__flags__ & _HEAPTYPE:
        return t.__name__
    return f"{t.__module__}.{t.__name__}"


def overflow(name: str) -> RuntimeError:
    """PyTorch's error for a number that does not fit the dtype it is stored in. ``name``
    is how PyTorch names the type there: ``int32`` when reading data (``tensor``),
    ``int``/``int64_t``/``c10::Half`` for a fill value (see ``scalar_to``)."""
    return RuntimeError(f"value cannot be converted to type {name} without overflow")


# ------------------------------------------------------------------ data -> array
# Nested data is read twice at most. The quick reading takes nested lists and tuples of
# Python numbers that fit the dtype (the common case), a level at a time, in bulk. Anything
# else (arrays, tensors or NumPy scalars inside lists, ragged lists, numbers that do not
# fit, things that are not numbers) is read again the way PyTorch reads it, one element
# after another, so that the values and the first error are PyTorch's.


class _Irregular(Exception):
    """The quick reading's signal to read the data again, element by element."""


def array_from(data, dtype=None):
    """A new array (always a copy) of nested sequences, numbers, arrays or tensors.

    With ``dtype`` None the dtype is inferred as PyTorch does; else the numbers are
    stored in ``dtype`` and one that does not fit an integer dtype raises. Arrays and
    tensors are copied as they are (the caller casts them, wrapping as PyTorch does)."""
    t = type(data)
    if t in _PY_NUMBERS and dtype is None:  # one Python number: the quickest case
        if t is builtins.float:
            return xp.array(data, dtype=_dt.get_default_dtype().np)
        if t is builtins.bool or -(2**63) <= data < 2**63:
            return xp.array(data, dtype=xp.bool_ if t is builtins.bool else xp.int64)
        raise ValueError("Overflow when unpacking long long")
    if isinstance(data, TensorBase):
        return backend.copy(data._data)
    if hasattr(data, "__array__") and not isinstance(data, (_SEQ, xp.generic)):
        arr = xp.array(data, copy=True)
        _dt.from_numpy_dtype(arr.dtype)  # refuses dtypes chainrule does not have
        return arr
    if isinstance(data, (str, bytes)):
        raise TypeError(f"new(): invalid data type '{type(data).__name__}'")
    shape = _shape(data)
    try:
        return _quick(data, shape, dtype)
    except _Irregular:
        return _exact(data, shape, dtype)


def _is_seq(x) -> bool:
    """Whether PyTorch reads ``x`` as a sequence (a dimension) rather than a number."""
    if isinstance(x, _SEQ):
        return True
    return isinstance(x, xp.ndarray) and x.ndim > 0


def _shape(data) -> tuple:
    """The shape PyTorch reads: the lengths of the first elements, down to a number (or to
    an empty sequence). A tensor inside a list is a number."""
    shape = []
    x = data
    while _is_seq(x):
        shape.append(len(x))
        if not len(x):
            break
        x = x[0]
    if isinstance(x, str):
        raise ValueError("too many dimensions 'str'")
    return tuple(shape)


def _quick(data, shape, dtype):
    """Nested lists and tuples of Python numbers that fit, read a level at a time."""
    if 0 in shape:
        raise _Irregular  # PyTorch still infers the dtype from all of it
    if not shape:
        leaves = [data]
    elif len(shape) == 1:
        leaves = data
    else:
        leaves = data
        for n in shape[1:]:
            items = []
            for s in leaves:
                if type(s) is not list and type(s) is not tuple or len(s) != n:
                    raise _Irregular
                items.extend(s)
            leaves = items
    kinds = set(map(type, leaves))
    if not kinds <= _PY_NUMBERS:
        raise _Irregular
    if dtype is not None:
        d = _dt.to_dtype(dtype)
    elif builtins.float in kinds:
        d = _dt.get_default_dtype()
    else:
        d = _dt.int64 if builtins.int in kinds else _dt.bool
    if d.is_floating_point or d.is_complex or d is _dt.bool:
        with xp.errstate(over="ignore"):  # 3e38 as float16 is inf, as PyTorch's, unwarned
            arr = xp.array(leaves, dtype=d.np)
    else:
        arr = _quick_ints(leaves, d, builtins.float in kinds)
    return arr if len(shape) == 1 else arr.reshape(shape)


def _quick_ints(values, d, has_float):
    """Python numbers in an integer dtype, when they all fit (else _Irregular)."""
    lo, hi = _LIMITS[d]
    if has_float:  # floats are truncated, if in range (not nan, not inf)
        out = []
        for v in values:
            if type(v) is builtins.float:
                if not lo <= v <= hi:
                    raise _Irregular
                v = builtins.int(v)
            out.append(v)
        values = out
    mn, mx = builtins.min(values), builtins.max(values)
    if d.is_signed:
        if mn < lo or mx > hi:
            raise _Irregular
    elif mx > hi or mn < -hi:  # unsigned takes -max..max: negative integers wrap (PyTorch)
        raise _Irregular
    elif mn < 0:
        return xp.array(values, dtype=xp.int64).astype(d.np)
    return xp.array(values, dtype=d.np)


def _exact(data, shape, dtype):
    """Any data, read as PyTorch reads it: the dtype inferred from everything (when not
    given), then each element stored in order, depth first, each checked on its way."""
    d = _infer(data) if dtype is None else _dt.to_dtype(dtype)
    out = []
    if 0 not in shape:
        _store(data, shape, 0, d, out)
    if d.is_floating_point or d.is_complex or d is _dt.bool or not out:
        arr = xp.array(out, dtype=d.np)
    else:  # checked: they fit, but negative numbers wrap into an unsigned dtype
        arr = xp.array(out, dtype=xp.int64).astype(d.np)
    return arr.reshape(shape)


def _infer(obj):
    """PyTorch's dtype of nested data: promotion over all of it (a bool is bool, an int
    int64, a float the default dtype; NumPy scalars, arrays and tensors bring theirs; an
    empty sequence counts as the default dtype)."""
    if isinstance(obj, TensorBase):
        return _dt.from_numpy_dtype(obj._data.dtype)
    if isinstance(obj, (xp.generic, xp.ndarray)) and not isinstance(obj, str):
        return _dt.from_numpy_dtype(obj.dtype)
    if isinstance(obj, builtins.bool):
        return _dt.bool
    if isinstance(obj, builtins.int):
        return _dt.int64
    if isinstance(obj, builtins.float):
        return _dt.get_default_dtype()
    if isinstance(obj, (str, bytes)):
        raise TypeError(f"new(): invalid data type '{type(obj).__name__}'")
    if isinstance(obj, complex):
        return _dt.default_complex()
    if isinstance(obj, _SEQ):
        if not len(obj):
            return _dt.get_default_dtype()
        d = None
        for e in obj:
            e = _infer(e)
            d = e if d is None else _dt.promote_types(d, e)
        return d
    raise RuntimeError(f"Could not infer dtype of {type(obj).__name__}")


def _store(obj, shape, dim, d, out) -> None:
    """Append the numbers of ``obj`` (at depth ``dim``) to ``out``, as values of ``d``."""
    if dim == len(shape):
        out.append(_number_as(obj, d))
        return
    if isinstance(obj, TensorBase):
        obj = obj._data
    if not _is_seq(obj):
        raise TypeError("not a sequence")
    n = shape[dim]
    if len(obj) != n:
        raise ValueError(f"expected sequence of length {n} at dim {dim} (got {len(obj)})")
    for e in obj:
        _store(e, shape, dim + 1, d, out)


def _number_as(v, d):
    """One element as a value of dtype ``d``, read as PyTorch reads it: a float or a
    one-element tensor into a floating dtype; an integer, or a Python float, into an
    integer or bool dtype (any other object goes through ``__index__``), refused when
    it does not fit."""
    if d.is_complex:
        if isinstance(v, (TensorBase, xp.ndarray)):
            a = v._data if isinstance(v, TensorBase) else v
            if a.size != 1:
                raise ValueError("only one element tensors can be converted to Python scalars")
            return a.item()
        if isinstance(v, (builtins.int, builtins.float, complex, xp.number, xp.bool_)):
            return v.item() if isinstance(v, xp.generic) else v
        raise TypeError(f"must be real number, not {type_name(v)}")
    if d.is_floating_point:
        if isinstance(v, (TensorBase, xp.ndarray)):
            a = v._data if isinstance(v, TensorBase) else v
            if a.size != 1:
                raise ValueError("only one element tensors can be converted to Python scalars")
            return a.item()
        if isinstance(v, (builtins.int, builtins.float, xp.number, xp.bool_)):
            return v.item() if isinstance(v, xp.generic) else v
        raise TypeError(f"must be real number, not {type_name(v)}")
    if d is _dt.bool:
        numeric = isinstance(v, (builtins.int, builtins.float, xp.bool_))
        return builtins.bool(v if numeric else _index(v))
    if isinstance(v, builtins.float):  # also NumPy's float64, a Python float
        lo, hi = _LIMITS[d]
        if not lo <= v <= hi:
            raise overflow(d.name)
        return builtins.int(v)
    i = _index(v)
    if not -(2**63) <= i < 2**63:
        raise ValueError("Overflow when unpacking long long")
    lo, hi = _LIMITS[d]
    if not (lo <= i <= hi if d.is_signed else -hi <= i <= hi):
        raise overflow(d.name)
    return i


def _index(v) -> int:
    """``v.__index__()`` as PyTorch's reading of an integer takes it."""
    if isinstance(v, TensorBase):
        a = v._data
        if a.size != 1 or a.dtype.kind not in "iub":
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return builtins.int(a.item())
    if isinstance(v, (builtins.int, xp.integer)):
        return builtins.int(v)
    raise TypeError(f"'{type_name(v)}' object cannot be interpreted as an integer")


# The range of each integer dtype, as Python ints.
_LIMITS = {
    d: (builtins.int(xp.iinfo(d.np).min), builtins.int(xp.iinfo(d.np).max))
    for d in (_dt.int8, _dt.int16, _dt.int32, _dt.int64, _dt.uint8)
}


def cast(arr, dtype):
    """``arr`` in ``dtype`` (a chainrule dtype, a name, or None: as it is)."""
    if dtype is not None:
        d = _dt.to_dtype(dtype)
        if arr.dtype != d.np:
            arr = arr.astype(d.np)
    return arr


def check_requires_grad(np_dtype) -> None:
    """The factory functions' refusal of requires_grad=True for integers (PyTorch's text)."""
    kind = getattr(np_dtype, "kind", None) or xp.dtype(np_dtype).kind
    if kind not in "fc":
        raise RuntimeError("Only Tensors of floating point and complex dtype can require gradients")


# ------------------------------------------------------------------ a fill value
# How PyTorch names a dtype when a fill value (a Scalar) does not fit it.
_SCALAR_NAME = {
    _dt.float16: "c10::Half",
    _dt.float32: "float",
    _dt.float64: "double",
    _dt.int8: "int8_t",
    _dt.int16: "int16_t",
    _dt.int32: "int",
    _dt.int64: "int64_t",
    _dt.uint8: "uint8_t",
}


def is_number(v) -> bool:
    """Whether ``v`` is what PyTorch's argument parser takes as a Number."""
    if isinstance(v, (builtins.int, builtins.float, xp.number, xp.bool_)):
        return not isinstance(v, (complex, xp.complexfloating))
    return isinstance(v, TensorBase) and v._data.ndim == 0


def number_dtype(v):
    """The dtype a factory gives a Number fill value (``full``): bool, int64 or the default
    float dtype, by the value's kind (a tensor's or NumPy scalar's width does not count)."""
    if isinstance(v, TensorBase):
        v = v._data
    if isinstance(v, (builtins.bool, xp.bool_)):
        return _dt.bool
    if isinstance(v, (builtins.int, xp.integer)):
        return _dt.int64
    if isinstance(v, xp.ndarray) or isinstance(v, xp.generic):
        kind = v.dtype.kind
        return _dt.bool if kind == "b" else _dt.int64 if kind in "iu" else _dt.get_default_dtype()
    return _dt.get_default_dtype()


def check_scalar_int(v) -> None:
    """PyTorch holds a Python int argument (a Scalar) in 64 bits, signed or unsigned."""
    if isinstance(v, builtins.int) and not -(2**63) <= v < 2**64:
        raise OverflowError(
            "int too big to convert" if v > 0 else "can't convert negative int to unsigned"
        )


def scalar_to(v, d):
    """The Python number ``v`` (a Number, see ``is_number``) as a value of dtype ``d``,
    with PyTorch's checks for a fill value: an integer dtype refuses nan and numbers out of
    its range (negative integers wrap into an unsigned one, as PyTorch allows), a floating
    one refuses finite numbers beyond its largest."""
    if isinstance(v, TensorBase):
        v = v._data
    if isinstance(v, (xp.generic, xp.ndarray)):
        v = v.item()
    if d is _dt.bool:
        return builtins.bool(v)
    check_scalar_int(v)
    name = _SCALAR_NAME[d]
    if d.is_floating_point:
        if v - v == 0:  # finite (inf and nan are values)
            big = float(xp.finfo(d.np).max)
            if not -big <= v <= big:
                raise overflow(name)
        return v
    lo, hi = _LIMITS[d]
    if isinstance(v, builtins.float):
        if not lo <= v <= hi:
            raise overflow(name)
        return builtins.int(v)
    if d.is_signed and not lo <= v <= hi or not d.is_signed and not -hi <= v <= hi:
        raise overflow(name)
    return v % (hi + 1) if v < 0 and not d.is_signed else v


# ------------------------------------------------------------------ a size argument
def _size_int(v, first: bool):
    """``v`` as a dimension if PyTorch takes it as one (an int, a NumPy integer, a
    one-element integer tensor; a bool only after the first place), else None."""
    t = type(v)
    if t is builtins.int:
        return v
    if t is builtins.bool:
        return None if first else builtins.int(v)
    if isinstance(v, builtins.int) and not isinstance(v, builtins.bool):
        return builtins.int(v)
    a = v._data if isinstance(v, TensorBase) else v
    if isinstance(a, (xp.ndarray, xp.generic)) and a.dtype.kind in "iu":
        if isinstance(v, TensorBase) or a.ndim == 0:
            if a.size == 1:
                return builtins.int(a.item())
    return None


def size_arg(args: tuple, name: str = "", size=None, *, negative: str | None = None) -> tuple:
    """The size of a factory function, given as ``(2, 3)`` (varargs), ``((2, 3),)`` or
    ``size=(2, 3)``, as a tuple of ints; PyTorch's errors for anything else, and for a
    negative dimension (``negative``, if given, is the function's own text for it).
    ``name`` is the function's name in the errors."""
    f = f"{name}(): " if name else ""
    if size is not None:
        if args:
            raise TypeError(f"{name}() got multiple values for argument 'size'")
        if not isinstance(size, (list, tuple)):
            raise TypeError(f"{f}argument 'size' must be tuple of ints, not {type_name(size)}")
        if size and _size_int(size[0], True) is None:
            raise TypeError(f"{f}argument 'size' must be tuple of ints, not {type_name(size)}")
        seq = size
    elif len(args) == 1 and isinstance(args[0], (list, tuple)):
        seq = args[0]
        if seq and _size_int(seq[0], True) is None:
            raise TypeError(
                f"{f}argument 'size' (position 1) must be tuple of ints, but found element "
                f"of type {type_name(seq[0])} at pos 0"
            )
    elif len(args) == 1 and _size_int(args[0], True) is None:
        raise TypeError(
            f"{f}argument 'size' (position 1) must be tuple of ints, not {type_name(args[0])}"
        )
    elif len(args) > 1 and _size_int(args[0], True) is None:
        raise TypeError(f"{name}() takes 1 positional argument but {len(args)} were given")
    else:
        seq = args
    dims = []
    for i, v in enumerate(seq):
        s = v if type(v) is builtins.int else _size_int(v, i == 0)
        if s is None:
            raise TypeError(
                f"{f}argument 'size' failed to unpack the object at pos {i + 1} with error "
                f'"type must be tuple of ints,but got {type_name(v)}"'
            )
        dims.append(s)
    for s in dims:
        if s < 0:
            raise RuntimeError(
                negative or f"Trying to create tensor with negative dimension {s}: {dims}"
            )
    return tuple(dims)
