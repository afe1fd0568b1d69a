"""dtype objects and PyTorch's type promotion.

A chainrule dtype wraps a NumPy dtype. Its repr is PyTorch's (``torch.float32``) so that
output copied from d2l compares verbatim; ``import chainrule as torch`` is the contract.

>>> import chainrule as torch
>>> torch.float32, torch.tensor([1, 2]).dtype
(torch.float32, torch.int64)
>>> torch.promote_types(torch.float64, torch.complex64), torch.tensor([1 + 2j]).dtype
(torch.complex128, torch.complex64)
"""

from __future__ import annotations

import numpy as np

from . import backend as _backend

__all__ = [
    "dtype",
    "float16",
    "float32",
    "float64",
    "int8",
    "int16",
    "int32",
    "int64",
    "uint8",
    "bool",
    "complex64",
    "complex128",
    "cfloat",
    "cdouble",
    "half",
    "float",
    "double",
    "short",
    "int",
    "long",
    "get_default_dtype",
    "set_default_dtype",
    "promote_types",
    "result_type",
]

_builtin_bool, _builtin_int, _builtin_float = bool, int, float

# Category of a dtype for promotion: bool < integer < floating < complex.
_BOOL, _INT, _FLOAT, _COMPLEX = 0, 1, 2, 3
_CATEGORY = {"b": _BOOL, "i": _INT, "u": _INT, "f": _FLOAT, "c": _COMPLEX}


class dtype:
    """A tensor element type, e.g. ``chainrule.float32``.

    >>> import chainrule as torch
    >>> torch.float64.is_floating_point, torch.int64.itemsize, torch.cfloat.is_complex
    (True, 8, True)
    """

    __slots__ = (
        "name",
        "title",
        "np",
        "category",
        "itemsize",
        "is_floating_point",
        "is_signed",
        "is_complex",
    )

    def __init__(self, name: str, np_dtype, title: str) -> None:
        self.name = name
        self.title = title  # PyTorch's scalar-type name in messages: Float, Long, ...
        self.np = np.dtype(np_dtype)
        kind = self.np.kind
        self.category = _CATEGORY[kind]
        self.itemsize = self.np.itemsize
        self.is_floating_point = self.category == _FLOAT
        self.is_complex = self.category == _COMPLEX
        self.is_signed = kind in "fic"

    def __repr__(self) -> str:
        return f"torch.{self.name}"

    @property
    def tensor_type(self) -> str:
        """The legacy type name, e.g. 'torch.FloatTensor' (Tensor.type(), error messages)."""
        return f"torch.{self.title}Tensor"

    def __reduce__(self):
        return (_by_name, (self.name,))

    def to_real(self) -> dtype:
        """The dtype of a complex dtype's parts (complex64 -> float32); others are their own.

        >>> import chainrule as torch
        >>> torch.complex128.to_real(), torch.float32.to_real()
        (torch.float64, torch.float32)
        """
        return _REAL_OF.get(self, self)

    def to_complex(self) -> dtype:
        """The complex dtype with parts of this floating dtype (float32 -> complex64).

        >>> import chainrule as torch
        >>> torch.float64.to_complex()
        torch.complex128
        """
        if self.is_complex:
            return self
        if self.category != _FLOAT:
            raise RuntimeError(f"to_complex is only supported for floating point types, got {self}")
        if self is float16:
            raise TypeError(
                "chainrule has no complex32 (PyTorch's ComplexHalf): use float32 or float64 parts"
            )
        return _COMPLEX_OF[self]


float16 = half = dtype("float16", np.float16, "Half")
float32 = float = dtype("float32", np.float32, "Float")
float64 = double = dtype("float64", np.float64, "Double")
int8 = dtype("int8", np.int8, "Char")
int16 = short = dtype("int16", np.int16, "Short")
int32 = int = dtype("int32", np.int32, "Int")
int64 = long = dtype("int64", np.int64, "Long")
uint8 = dtype("uint8", np.uint8, "Byte")
bool = dtype("bool", np.bool_, "Bool")
complex64 = cfloat = dtype("complex64", np.complex64, "ComplexFloat")
complex128 = cdouble = dtype("complex128", np.complex128, "ComplexDouble")

_ALL = (float16, float32, float64, int8, int16, int32, int64, uint8, bool, complex64, complex128)
_REAL_OF = {complex64: float32, complex128: float64}
_COMPLEX_OF = {float32: complex64, float64: complex128}
_FROM_NP = {d.np: d for d in _ALL}
_NAMES = {d.name: d for d in _ALL}


def _by_name(name: str) -> dtype:
    return _NAMES[name]


def from_numpy_dtype(np_dtype) -> dtype:
    """The chainrule dtype of a NumPy dtype; raises TypeError for unsupported ones."""
    try:
        return _FROM_NP[np_dtype]
    except KeyError:
        pass
    try:
        return _FROM_NP[np.dtype(np_dtype)]
    except (KeyError, TypeError):
        raise TypeError(
            f"can't convert np.ndarray of type {np.dtype(np_dtype)}. The only supported types are: "
            "float64, float32, float16, complex64, complex128, int64, int32, int16, int8, uint8, "
            "and bool."
        ) from None


if _backend.adopt is not None:  # the strict test backend (chainrule.backend): its dtypes too
    _from_numpy_only = from_numpy_dtype
    _STRICT_DTYPE = type(_backend._strict.float64)

    def from_numpy_dtype(np_dtype) -> dtype:
        """The chainrule dtype of a NumPy or array-api-strict dtype."""
        if type(np_dtype) is _STRICT_DTYPE:
            return _NAMES[np_dtype.name]
        return _from_numpy_only(np_dtype)


def to_dtype(d) -> dtype:
    """Accept a chainrule dtype, a NumPy dtype/type, a python type or a string name.

    Python's ``float``, ``int`` and ``bool`` mean float64, int64 and bool, as in PyTorch
    (``chainrule.float`` is another thing: the dtype float32).

    >>> import builtins, chainrule as torch
    >>> torch.tensor([1], dtype=builtins.float).dtype, torch.zeros(1, dtype=builtins.int).dtype
    (torch.float64, torch.int64)
    """
    if isinstance(d, dtype):
        return d
    if d is _builtin_float:
        return float64
    if d is _builtin_int:
        return int64
    if d is _builtin_bool:
        return bool
    if d is complex:
        return complex128
    if isinstance(d, str):
        name = d[6:] if d.startswith("torch.") else d
        if name in _NAMES:
            return _NAMES[name]
        aliases = {
            "float": float32,
            "double": float64,
            "long": int64,
            "int": int32,
            "half": float16,
            "cfloat": complex64,
            "cdouble": complex128,
        }
        if name in aliases:
            return aliases[name]
        raise TypeError(f"invalid dtype name: {d!r}")
    return from_numpy_dtype(d)


_default = [float32]


def get_default_dtype() -> dtype:
    """The dtype of floating tensors made from Python floats (float32 unless changed).

    >>> import chainrule as torch
    >>> torch.get_default_dtype()
    torch.float32
    """
    return _default[0]


def default_complex() -> dtype:
    """The dtype of complex tensors made from Python complex numbers: complex64, or
    complex128 when the default float dtype is float64 (as PyTorch).

    >>> import chainrule as torch
    >>> torch.tensor([1j]).dtype
    torch.complex64
    """
    return complex128 if _default[0] is float64 else complex64


def set_default_dtype(d: dtype) -> None:
    """Set the default floating dtype (float32 or float64, as PyTorch allows here).

    >>> import chainrule as torch
    >>> torch.set_default_dtype(torch.float64); torch.tensor([1.]).dtype
    torch.float64
    >>> torch.set_default_dtype(torch.float32)
    """
    d = to_dtype(d)
    if not d.is_floating_point:
        raise TypeError("only floating-point types are supported as the default type")
    _default[0] = d


def promote_types(a: dtype, b: dtype) -> dtype:
    """PyTorch's promote_types: the smallest dtype both can be cast to safely.

    >>> import chainrule as torch
    >>> torch.promote_types(torch.int32, torch.float32)
    torch.float32
    """
    if a is b:
        return a
    if a.category != b.category:
        hi, lo = (a, b) if a.category > b.category else (b, a)
        if hi.category == _COMPLEX and lo is float64:
            return complex128  # the complex dtype wide enough for float64's values
        if hi.category >= _FLOAT or lo.category == _BOOL:
            return hi
    # Same category (or int/int): NumPy agrees with PyTorch here, except uint8 with int8.
    if {a, b} == {uint8, int8}:
        return int16
    return _FROM_NP[np.promote_types(a.np, b.np)]


def _combine(higher, lower):
    """PyTorch's combine_categories: a higher tier wins unless a lower one has a higher category."""
    if higher is None:
        return lower
    if lower is None:
        return higher
    if higher.category == _COMPLEX:
        return higher
    if lower.category == _COMPLEX:  # a float tensor keeps its precision: float64 -> complex128
        return higher.to_complex() if higher.category == _FLOAT else lower
    if higher.category == _FLOAT:
        return higher
    if higher is bool or lower.category == _FLOAT:
        return promote_types(higher, lower)
    return higher


def scalar_dtype(v) -> dtype:
    """The dtype PyTorch gives a Python scalar taking part in an op (a 'wrapped number')."""
    if isinstance(v, _builtin_bool):
        return bool
    if isinstance(v, _builtin_int):
        return int64
    if isinstance(v, _builtin_float):
        return _default[0]
    if isinstance(v, complex):
        return default_complex()
    if isinstance(v, np.generic):
        return from_numpy_dtype(v.dtype)
    raise TypeError(f"unsupported scalar type {type(v).__name__}")


def result_type(*operands) -> dtype:
    """dtype of an op on tensors and scalars, by PyTorch's three tiers.

    Tensors with dims outrank 0-d tensors, which outrank Python scalars, unless a lower
    tier brings a higher category (bool < int < float).

    >>> import chainrule as torch
    >>> torch.result_type(torch.tensor([1, 2]), 1.5)
    torch.float32
    """
    dim_r = zero_r = wrap_r = None
    for o in operands:
        d = getattr(o, "dtype", None)
        if isinstance(d, dtype):
            if o.ndim:
                dim_r = d if dim_r is None else promote_types(dim_r, d)
            else:
                zero_r = d if zero_r is None else promote_types(zero_r, d)
        else:
            s = scalar_dtype(o)
            wrap_r = s if wrap_r is None else promote_types(wrap_r, s)
    return _combine(dim_r, _combine(zero_r, wrap_r))
