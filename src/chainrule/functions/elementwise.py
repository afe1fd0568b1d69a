"""The PyTorch-named elementwise functions, and the Tensor methods and operators that
share them (``ElementwiseMethods``): one path for ``x.exp()``, ``torch.exp(x)`` and, for
arithmetic, ``x * y``. Argument handling and PyTorch's error texts live here; each
function ends in its table entry (``chainrule.ops.elementwise``) through ``apply``.

>>> import chainrule as torch
>>> x = torch.tensor([1., 2.])
>>> torch.mul(x, 3), x * 3, x.mul(3)
(tensor([3., 6.]), tensor([3., 6.]), tensor([3., 6.]))
"""

from __future__ import annotations

import builtins
import math
import operator
import warnings

from .. import _state
from .. import backend as _backend
from .. import dtypes as _dt
from .. import random as _random
from .._convert import type_name
from ..backend import namespace
from ..ops.apply import apply, apply_inplace, compare, dask_overlaps, integer_filled
from ..ops.elementwise import (
    ABS,
    ACOS,
    ACOSH,
    ACOSH_,
    ADD,
    ANGLE,
    ASIN,
    ASINH,
    ASINH_,
    ATAN,
    ATAN2,
    ATANH,
    ATANH_,
    BITWISE_AND,
    BITWISE_NOT,
    BITWISE_OR,
    BITWISE_XOR,
    CEIL,
    CLAMP,
    CLAMP_T,
    COMPLEX,
    CONJ,
    COPY,
    COS,
    COSH,
    DIV,
    DIV_ROUNDING,
    EQ,
    EXP,
    EXPM1,
    FILL,
    FILL_DATA,
    FILL_T,
    FLOOR,
    FLOOR_DIVIDE,
    GE,
    GT,
    IMAG,
    ISCLOSE,
    ISFINITE,
    ISINF,
    ISNAN,
    LE,
    LOG,
    LOG1P,
    LOG2,
    LOG10,
    LOGICAL_AND,
    LOGICAL_NOT,
    LOGICAL_OR,
    LOGICAL_XOR,
    LT,
    MASKED_FILL,
    MASKED_FILL_T,
    MAXIMUM,
    MINIMUM,
    MUL,
    NE,
    NEG,
    POW,
    POW_S,
    POW_T,
    REAL,
    RECIPROCAL,
    RELU,
    REMAINDER,
    REMAINDER_S,
    ROUND,
    RSQRT,
    RSUB,
    SCALE,
    SIGMOID,
    SIGN,
    SIN,
    SINH,
    SQRT,
    SUB,
    TAN,
    TANH,
    TRUNC,
    WHERE,
    ZERO,
)
from ..ops.shape import TO_COPY
from ..ops.symbolic import constant, is_symbolic
from ..tensor_base import TENSOR_TYPES, TensorBase
from .args import tensors_only
from .indexing import nonzero, setitem


def _scalar_tensor(like, v):
    """A Python scalar as a 0-d tensor, of the dtype PyTorch gives it (beside a symbolic
    ``like``: a constant of its graph)."""
    dt = _dt.scalar_dtype(v).np
    if is_symbolic(like):
        return like._new(constant(_backend.default.asarray(v, dtype=dt)))
    return like._new(namespace(like._data).asarray(v, dtype=dt))


def neg(input):
    """-input.

    >>> import chainrule as torch
    >>> torch.neg(torch.tensor([1., -2.]))
    tensor([-1.,  2.])
    """
    return apply(NEG, input)


negative = neg


def positive(input):
    """``+input``: the tensor itself, as PyTorch (which refuses it for bool tensors).

    >>> import chainrule as torch
    >>> x = torch.tensor([1.0, -2.0])
    >>> +x is x
    True
    """
    if input._data.dtype.kind == "b":
        raise RuntimeError("The `+` operator, on a bool tensor is not supported.")
    return input


def add(input, other, *, alpha=1):
    """input + alpha * other, broadcasting.

    >>> import chainrule as torch
    >>> torch.add(torch.tensor([1, 2]), torch.tensor([10, 20]), alpha=2)
    tensor([21, 42])
    """
    if alpha != 1:
        other = _scaled(other, alpha)
    return apply(ADD, input, other)


def sub(input, other, *, alpha=1):
    """input - alpha * other, broadcasting.

    >>> import chainrule as torch
    >>> torch.sub(torch.tensor([5., 5.]), 1.5)
    tensor([3.5000, 3.5000])
    """
    if alpha != 1:
        other = _scaled(other, alpha)
    return apply(SUB, input, other)


subtract = sub


def mul(input, other):
    """input * other (Hadamard product), broadcasting.

    >>> import chainrule as torch
    >>> torch.mul(torch.tensor([1., 2.]), 3)
    tensor([3., 6.])
    """
    return apply(MUL, input, other)


multiply = mul


def div(input, other, *, rounding_mode=None):
    """input / other (true division: integers give float32), or floor/trunc division.

    >>> import chainrule as torch
    >>> torch.div(torch.tensor([1, 2]), 2)
    tensor([0.5000, 1.0000])
    """
    if rounding_mode is None:
        return apply(DIV, input, other)
    if rounding_mode in ("floor", "trunc"):  # a zero gradient (floor_divide has none)
        return apply(DIV_ROUNDING, input, other, rounding_mode=rounding_mode)
    raise ValueError(
        "div expected rounding_mode to be one of None, 'trunc', or 'floor' but found "
        f"'{rounding_mode}'"
    )


divide = true_divide = div


def _scaled(other, alpha):
    """alpha * other: a product of tensors is recorded, of Python numbers just computed."""
    if not isinstance(other, TensorBase):
        return other * alpha
    if other._data.dtype.kind == "f" and type(alpha) in (int, float):
        return apply(SCALE, other, alpha=alpha)  # saves nothing
    return apply(MUL, other, alpha)


def floor_divide(input, other):
    """Division rounded down (Python's //). As in PyTorch, it has no derivative: a result
    that requires grad refuses backward (``div(rounding_mode='floor')`` has the zero one).

    >>> import chainrule as torch
    >>> torch.floor_divide(torch.tensor([7, -7]), 2)
    tensor([ 3, -4])
    """
    return apply(FLOOR_DIVIDE, input, other)


def remainder(input, other):
    """Python's modulus: the result has the sign of ``other``.

    >>> import chainrule as torch
    >>> torch.remainder(torch.tensor([-3, 3]), 2)
    tensor([1, 1])
    """
    return apply(REMAINDER if isinstance(input, TensorBase) else REMAINDER_S, input, other)


def pow(input, exponent):
    """input ** exponent, broadcasting.

    >>> import chainrule as torch
    >>> torch.pow(torch.tensor([1., 2., 3.]), 2)
    tensor([1., 4., 9.])
    """
    return apply(pow_prim(input, exponent), input, exponent)


def pow_prim(base, exponent):
    """PyTorch's three pow overloads differ only in their grad_fn name (the table's
    ``pow``, ``pow_tensor`` and ``pow_scalar``)."""
    if hasattr(exponent, "_data"):
        return POW_T if hasattr(base, "_data") else POW_S
    return POW


def square(input):
    """input ** 2 (recorded as PowBackward0, as in PyTorch).

    >>> import chainrule as torch
    >>> torch.square(torch.tensor([-2, 3]))
    tensor([4, 9])
    """
    return apply(POW, input, 2)


def _unary(prim, name, example, result):
    def f(input):
        return apply(prim, input)

    f.__name__ = f.__qualname__ = name
    f.__doc__ = f"""Elementwise {name}.

    >>> import chainrule as torch
    >>> torch.{name}(torch.tensor({example}))
    {result}
    """
    return f


exp = _unary(EXP, "exp", "[0., 1.]", "tensor([1.0000, 2.7183])")
expm1 = _unary(EXPM1, "expm1", "[0.]", "tensor([0.])")
log = _unary(LOG, "log", "[1., 2.]", "tensor([0.0000, 0.6931])")
log2 = _unary(LOG2, "log2", "[1., 8.]", "tensor([0., 3.])")
log10 = _unary(LOG10, "log10", "[1., 100.]", "tensor([0., 2.])")
log1p = _unary(LOG1P, "log1p", "[0.]", "tensor([0.])")
sqrt = _unary(SQRT, "sqrt", "[4., 9.]", "tensor([2., 3.])")
rsqrt = _unary(RSQRT, "rsqrt", "[4.]", "tensor([0.5000])")
sin = _unary(SIN, "sin", "[0.]", "tensor([0.])")
cos = _unary(COS, "cos", "[0.]", "tensor([1.])")
tan = _unary(TAN, "tan", "[0.]", "tensor([0.])")
tanh = _unary(TANH, "tanh", "[0.]", "tensor([0.])")
sigmoid = _unary(SIGMOID, "sigmoid", "[0.]", "tensor([0.5000])")
sinh = _unary(SINH, "sinh", "[0., 1.]", "tensor([0.0000, 1.1752])")
cosh = _unary(COSH, "cosh", "[0., 1.]", "tensor([1.0000, 1.5431])")
asin = arcsin = _unary(ASIN, "asin", "[0., 1., 2.]", "tensor([0.0000, 1.5708,    nan])")
acos = arccos = _unary(ACOS, "acos", "[1., 0.]", "tensor([0.0000, 1.5708])")
atan = arctan = _unary(ATAN, "atan", "[0., 1.]", "tensor([0.0000, 0.7854])")
asinh = arcsinh = _unary(ASINH, "asinh", "[0., 1.]", "tensor([0.0000, 0.8814])")
acosh = arccosh = _unary(ACOSH, "acosh", "[1., 2.]", "tensor([0.0000, 1.3170])")
atanh = arctanh = _unary(ATANH, "atanh", "[0., 0.5, 1.]", "tensor([0.0000, 0.5493,    inf])")
reciprocal = _unary(RECIPROCAL, "reciprocal", "[2., 4.]", "tensor([0.5000, 0.2500])")
abs = _unary(ABS, "abs", "[-1., 2.]", "tensor([1., 2.])")
absolute = abs
relu = _unary(RELU, "relu", "[-1., 2.]", "tensor([0., 2.])")
sign = _unary(SIGN, "sign", "[-3., 0., 2.]", "tensor([-1.,  0.,  1.])")
floor = _unary(FLOOR, "floor", "[1.5, -1.5]", "tensor([ 1., -2.])")
ceil = _unary(CEIL, "ceil", "[1.5, -1.5]", "tensor([ 2., -1.])")
trunc = _unary(TRUNC, "trunc", "[1.5, -1.5]", "tensor([ 1., -1.])")
isnan = _unary(ISNAN, "isnan", "[1., float('nan')]", "tensor([False,  True])")
isinf = _unary(ISINF, "isinf", "[1., float('inf')]", "tensor([False,  True])")
isfinite = _unary(ISFINITE, "isfinite", "[1., float('inf')]", "tensor([ True, False])")
logical_not = _unary(LOGICAL_NOT, "logical_not", "[True, False]", "tensor([False,  True])")


# ---------------------------------------------------------------- complex numbers
def is_complex(input) -> bool:
    """Whether ``input`` holds complex numbers (complex64 or complex128).

    >>> import chainrule as torch
    >>> torch.is_complex(torch.tensor([1j])), torch.tensor([1.0]).is_complex()
    (True, False)
    """
    return input._data.dtype.kind == "c"


def real(input):
    """The real parts of a complex tensor (a real tensor is returned as it is). PyTorch's
    is a view of the complex tensor; chainrule's is a copy (writing to it leaves
    ``input`` unchanged).

    >>> import chainrule as torch
    >>> torch.real(torch.tensor([1 + 2j, -3j]))
    tensor([1., -0.])
    """
    if input._data.dtype.kind != "c":
        return input
    return apply(REAL, input)


def imag(input):
    """The imaginary parts of a complex tensor (a copy; PyTorch's is a view).

    >>> import chainrule as torch
    >>> torch.imag(torch.tensor([1 + 2j, -3j]))
    tensor([ 2., -3.])
    """
    if input._data.dtype.kind != "c":
        raise RuntimeError("imag is not implemented for tensors with non-complex dtypes.")
    return apply(IMAG, input)


def conj(input):
    """The complex conjugate (a real tensor is returned as it is).

    >>> import chainrule as torch
    >>> torch.conj(torch.tensor([1 + 2j]))
    tensor([1.-2.j])
    """
    if input._data.dtype.kind != "c":
        return input
    return apply(CONJ, input)


def angle(input):
    """The argument of each element, in radians (0 or pi for real numbers).

    >>> import chainrule as torch
    >>> torch.angle(torch.tensor([1j, -1]))
    tensor([1.5708, 3.1416])
    """
    return apply(ANGLE, input)


def complex(real, imag):
    """The complex tensor ``real + i imag`` from two real tensors of one floating dtype
    (float32 gives complex64, float64 complex128), broadcasting.

    >>> import chainrule as torch
    >>> torch.complex(torch.tensor([1., 2.]), torch.tensor([0., -1.]))
    tensor([1.+0.j, 2.-1.j])
    """
    tensors_only("complex", ("real", 1, real), ("imag", 2, imag))
    a, b = real._data.dtype, imag._data.dtype
    if a.kind != "f" or b.kind != "f" or a.char == "e" or b.char == "e":
        if a.kind != "f" or b.kind != "f":
            raise RuntimeError(
                "Expected both inputs to be Half, Float or Double tensors but got "
                f"{real.dtype.title} and {imag.dtype.title}"
            )
        raise TypeError("chainrule has no complex32 (PyTorch's ComplexHalf): use float32 parts")
    if a != b:
        raise RuntimeError(
            f"Expected object of scalar type {real.dtype.title} but got scalar type "
            f"{imag.dtype.title} for second argument"
        )
    return apply(COMPLEX, real, imag)


def sgn(input):
    """z / |z| for complex z (0 at 0), the sign for real numbers.

    >>> import chainrule as torch
    >>> torch.sgn(torch.tensor([3 + 4j, 0j]))
    tensor([0.6000+0.8000j, 0.0000+0.0000j])
    """
    if input._data.dtype.kind != "c":
        return sign(input)
    a = abs(input)
    return where(a == 0, 0.0, input / where(a == 0, 1.0, a))


conj_physical = conj  # (chainrule's conjugates are never lazy: always physical)


def resolve_conj(input):
    """``input`` itself: chainrule's conjugates are computed at once, never a lazy bit
    (PyTorch's ``conj()`` sets one, which ``resolve_conj`` materializes).

    >>> import chainrule as torch
    >>> torch.resolve_conj(torch.tensor([1j])).is_conj()
    False
    """
    return input


def is_conj(input) -> bool:
    """False: chainrule's tensors never carry PyTorch's lazy conjugate bit."""
    return False


def bitwise_not(input):
    """Elementwise bitwise not (logical not for bools); integers and bools only.

    >>> import chainrule as torch
    >>> torch.bitwise_not(torch.tensor([True, False]))
    tensor([False,  True])
    """
    if input._data.dtype.kind not in "biu":
        raise NotImplementedError(f"\"bitwise_not_cpu\" not implemented for '{input.dtype.title}'")
    return apply(BITWISE_NOT, input)


class _NotGiven:
    """round's ``decimals`` when it is not given (PyTorch refuses ``decimals=None``)."""

    def __repr__(self) -> str:
        return "<not given>"


_NO_DECIMALS = _NotGiven()
_ROUND_SIGNATURES = (
    " * (Tensor input, *, Tensor out = None)\n"
    " * (Tensor input, *, int decimals, Tensor out = None)\n"
)


def _round_kwargs(input, args, decimals, name: str, method: bool) -> dict:
    """round's ``decimals`` checked as PyTorch's parser and kernels do: keyword only, an
    int (not a bool), refused for integer and bool tensors once given (even 0)."""
    if args and method:
        raise TypeError(
            f"{name}() takes from 1 to 0 positional arguments but {len(args)} were given"
        )
    if (
        args
        or decimals is not _NO_DECIMALS
        and (type(decimals) is builtins.bool or not hasattr(decimals, "__index__"))
    ):
        got = ", ".join(
            [type_name(a) for a in args]
            + ([f"decimals={type_name(decimals)}"] if decimals is not _NO_DECIMALS else [])
        )
        if method:
            raise TypeError(f"{name}(): argument 'decimals' must be int, not {type_name(decimals)}")
        raise TypeError(
            f"{name}() received an invalid combination of arguments - got (Tensor, {got}), "
            f"but expected one of:\n{_ROUND_SIGNATURES}"
        )
    if decimals is _NO_DECIMALS:
        return {}
    decimals = decimals.__index__()
    if input._data.dtype.kind in "biu":
        kernel = "round_cpu" if decimals else "round_vml_cpu"
        raise NotImplementedError(f"\"{kernel}\" not implemented for '{input.dtype.title}'")
    return {"decimals": decimals}


def round(input, *args, decimals=_NO_DECIMALS):
    """Round half to even (like PyTorch), optionally to ``decimals`` places (an integer
    or bool tensor only without ``decimals``, as in PyTorch).

    >>> import chainrule as torch
    >>> torch.round(torch.tensor([0.5, 1.5, 2.7]))
    tensor([0., 2., 3.])
    >>> torch.round(torch.tensor([1.25, 31.4]), decimals=-1)
    tensor([ 0., 30.])
    """
    return apply(ROUND, input, **_round_kwargs(input, args, decimals, "round", False))


def clamp(input, min=None, max=None):
    """Limit values to [min, max]; either bound may be None, a number or a tensor
    (broadcasting). The gradient passes at the bounds: at a tie it all goes to the input.

    >>> import chainrule as torch
    >>> torch.clamp(torch.tensor([-2., 0.5, 3.]), min=0, max=1)
    tensor([0.0000, 0.5000, 1.0000])
    """
    if min is None and max is None:
        raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
    if isinstance(min, TensorBase) or isinstance(max, TensorBase):
        # (PyTorch refuses a tensor bound beside a number bound; here the number is a
        # constant bound)
        return apply(CLAMP_T, input, min, max)
    rt = _clamp_type(input, min, max, inplace=False)
    if rt.np != input._data.dtype:  # e.g. an int tensor clamped at 0.5 becomes float32
        input = input.to(rt)
    return apply(CLAMP, input, min=min, max=max)


_KIND_RANK = {"b": 0, "u": 1, "i": 1, "f": 2}


def _clamp_type(input, min, max, inplace: bool):
    """The result dtype of clamp with number bounds, refused as PyTorch's kernels refuse
    it: bool with bool bounds; in place, a result that self's dtype cannot hold."""
    rt = _dt.result_type(input, *(b for b in (min, max) if b is not None))
    if rt is _dt.bool:
        kernel = (
            "clamp_scalar_cpu"
            if min is not None and max is not None
            else ("clamp_min_scalar_cpu" if min is not None else "clamp_max_scalar_cpu")
        )
        raise NotImplementedError(f"\"{kernel}\" not implemented for 'Bool'")
    d = input._data.dtype
    if inplace and _KIND_RANK[rt.np.kind] > _KIND_RANK[d.kind]:
        raise RuntimeError(
            f"result type {rt.title} can't be cast to the desired output type "
            f"{_CPP_NAMES.get(d.name, d.name)}"
        )
    return rt


clip = clamp


def maximum(input, other):
    """Elementwise maximum of two tensors; at a tie each side gets half the gradient.

    >>> import chainrule as torch
    >>> torch.maximum(torch.tensor([1., 5.]), torch.tensor([3., 2.]))
    tensor([3., 5.])
    """
    tensors_only("maximum", ("input", 1, input), ("other", 2, other))
    return apply(MAXIMUM, input, other)


def minimum(input, other):
    """Elementwise minimum of two tensors; at a tie each side gets half the gradient.

    >>> import chainrule as torch
    >>> torch.minimum(torch.tensor([1., 5.]), torch.tensor([3., 2.]))
    tensor([1., 2.])
    """
    tensors_only("minimum", ("input", 1, input), ("other", 2, other))
    return apply(MINIMUM, input, other)


def atan2(input, other):
    """The angle of the point (other, input), elementwise, in (-pi, pi]: arctan(input /
    other) in the right quadrant (broadcasting; integers give the default float dtype).
    Both gradients are 0 at the origin, as in PyTorch.

    >>> import chainrule as torch
    >>> torch.atan2(torch.tensor([1., 1., 0.]), torch.tensor([1., -1., -1.]))
    tensor([0.7854, 2.3562, 3.1416])
    """
    tensors_only("atan2", ("input", 1, input), ("other", 2, other))
    return apply(ATAN2, input, other)


def arctan2(input, other):
    """``atan2`` (NumPy's name).

    >>> import chainrule as torch
    >>> torch.arctan2(torch.tensor([1.]), torch.tensor([0.]))
    tensor([1.5708])
    """
    tensors_only("arctan2", ("input", 1, input), ("other", 2, other))
    return apply(ATAN2, input, other)


def where(condition, input=None, other=None):
    """Elements of ``input`` where ``condition`` holds, else of ``other`` (broadcasting).

    >>> import chainrule as torch
    >>> x = torch.tensor([-1., 2.])
    >>> torch.where(x > 0, x, 0.)
    tensor([0., 2.])
    """
    if input is None and other is None:
        return nonzero(condition, as_tuple=True)
    cond = _bool_condition(condition)
    if not hasattr(input, "_data") and not hasattr(other, "_data"):
        input = _scalar_tensor(condition, input)
    r = apply(WHERE, input, other, cond=cond)
    node = r._node
    if node is not None and isinstance(condition, TensorBase):
        # PyTorch's WhereBackward0 saves the condition: changing it in place is refused
        if node.checks is None:
            node.checks = []
        node.checks.append((condition._vc, condition._vc[0], condition, "~condition"))
    return r


_UINT8_CONDITION = (
    "where received a uint8 condition tensor. This behavior is deprecated and will be removed "
    "in a future version of PyTorch. Use a boolean condition instead."
)


def _bool_condition(condition):
    """where's condition as a bool array: PyTorch takes bool (uint8 with a warning) only."""
    cond = condition._data if hasattr(condition, "_data") else condition
    kind = getattr(getattr(cond, "dtype", None), "kind", "b")
    if kind == "b":
        return cond
    if cond.dtype.name == "uint8":  # (a dtype's name: NumPy's and the array API's alike)
        warnings.warn(_UINT8_CONDITION, UserWarning, stacklevel=3)
        return cond != 0
    raise RuntimeError(
        "where expected condition to be a boolean tensor, but got a tensor with dtype "
        f"{_dt.from_numpy_dtype(cond.dtype).title}"
    )


# PyTorch names a mask's dtype by its C++ type in masked_fill's error
_CPP_NAMES = {
    "float32": "float",
    "float64": "double",
    "float16": "c10::Half",
    "int64": "long int",
    "int32": "int",
    "int16": "short int",
    "int8": "signed char",
    "uint8": "unsigned char",
}


def _saves_mask(r, mask):
    # PyTorch's MaskedFillBackward saves the mask: changing it in place before backward is
    # refused (where's condition likewise)
    node = r._node
    if node is not None and isinstance(mask, TensorBase):
        if node.checks is None:
            node.checks = []
        node.checks.append((mask._vc, mask._vc[0], mask, "~mask"))
    return r


def _check_value(value):
    if value._data.ndim:  # (PyTorch's text names the in-place op for both)
        raise RuntimeError(
            "masked_fill_ only supports a 0-dimensional value tensor, but got tensor "
            f"with {value._data.ndim} dimension(s)."
        )


def _check_mask(mask):
    m = mask._data if isinstance(mask, TensorBase) else mask
    d = getattr(m, "dtype", None)
    if d is not None and d.kind != "b":
        raise RuntimeError(
            "masked_fill_ only supports boolean masks, but got mask with dtype "
            f"{_CPP_NAMES.get(d.name, d.name)}"
        )


def _binary(prim, name, op, via=apply):
    def f(input, other):
        return via(prim, input, other)

    f.__name__ = f.__qualname__ = name
    f.__doc__ = f"""Elementwise ``input {op} other`` with broadcasting.

    >>> import chainrule as torch
    >>> torch.{name}(torch.tensor([1, 2]), torch.tensor([2, 2])).shape
    torch.Size([2])
    """
    return f


eq = _binary(EQ, "eq", "==", compare)
ne = not_equal = _binary(NE, "ne", "!=", compare)
lt = less = _binary(LT, "lt", "<", compare)
le = less_equal = _binary(LE, "le", "<=", compare)
gt = greater = _binary(GT, "gt", ">", compare)
ge = greater_equal = _binary(GE, "ge", ">=", compare)
logical_and = _binary(LOGICAL_AND, "logical_and", "and", compare)
logical_or = _binary(LOGICAL_OR, "logical_or", "or", compare)
logical_xor = _binary(LOGICAL_XOR, "logical_xor", "xor", compare)


def _integral(prim, input, other):
    """A bitwise op on integers and bools only: PyTorch's error names the operands' common
    dtype (``"bitwise_and_cpu" not implemented for 'Float'``)."""
    rt = _dt.result_type(input, other)
    if rt.is_floating_point or rt.is_complex:
        raise NotImplementedError(f"\"{prim.name}_cpu\" not implemented for '{rt.title}'")
    return apply(prim, input, other)


bitwise_and = _binary(BITWISE_AND, "bitwise_and", "&", _integral)
bitwise_or = _binary(BITWISE_OR, "bitwise_or", "|", _integral)
bitwise_xor = _binary(BITWISE_XOR, "bitwise_xor", "^", _integral)


def equal(input, other) -> bool:
    """True if both tensors have the same shape and elements.

    >>> import chainrule as torch
    >>> torch.equal(torch.tensor([1, 2]), torch.tensor([1, 2]))
    True
    """
    a, b = input._data, other._data
    if is_symbolic(input) or is_symbolic(other):  # a Python bool needs the values: refused
        if a.shape is not None and b.shape is not None and None not in a.shape + b.shape:
            if a.shape != b.shape:
                return False
        return builtins.bool(compare(EQ, input, other).all())  # (a symbol has no truth value)
    return a.shape == b.shape and _backend.all_true(a == b)


def allclose(
    input, other, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False
) -> bool:
    """Whether all elements are close: |a - b| <= atol + rtol * |b|.

    >>> import chainrule as torch
    >>> torch.allclose(torch.tensor([1.0]), torch.tensor([1.0 + 1e-9]))
    True
    """
    return builtins.bool(isclose(input, other, rtol, atol, equal_nan).all())


def isclose(input, other, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False):
    """Elementwise closeness: |a - b| <= atol + rtol * |b|.

    >>> import chainrule as torch
    >>> torch.isclose(torch.tensor([1.0, 2.0]), torch.tensor([1.0, 2.1]))
    tensor([ True, False])
    """
    b = other._data if isinstance(other, TensorBase) else other
    if isinstance(other, TensorBase) and other._data.dtype != input._data.dtype:
        raise RuntimeError(f"{input.dtype.title} did not match {other.dtype.title}")
    params = dict(rtol=rtol, atol=atol, equal_nan=equal_nan)
    if is_symbolic(input) or is_symbolic(other):  # an explicit graph: its node
        return apply(ISCLOSE, input, other, **params)
    return input._new(ISCLOSE.fwd(namespace(input._data), input._data, b, **params))


# ------------------------------------------------------------ Tensor methods
def _op(prim, swap: bool = False, via=apply):
    """A binary operator bound to its table entry: ``x * y``, or swapped, ``2 * x``
    (``__rmul__``). The entry is bound once, as a default: no lookups per call."""
    if swap:
        return lambda a, b, _f=via, _p=prim: _f(_p, b, a)
    return lambda a, b, _f=via, _p=prim: _f(_p, a, b)


def _cmp(prim, otherwise=None):
    """A comparison operator (``x < y``): a bool tensor, no gradient. ``==`` and ``!=``
    with an object that is no number or array answer ``otherwise``, as Python's do."""
    if otherwise is None:
        return lambda a, b, _f=compare, _p=prim: _f(_p, a, b)
    return lambda a, b: compare(prim, a, b) if _comparable(b) else otherwise


def _comparable(b) -> bool:
    return isinstance(b, (TensorBase, int, float, bool, builtins.complex)) or hasattr(b, "dtype")


def _inplace(prim, name: str):
    """``x.exp_()``: the op, written into x's storage (see ``ops.apply.apply_inplace``)."""

    def method(self, *args, **kwargs):
        return apply_inplace(prim, self, *args, **kwargs)

    method.__name__ = method.__qualname__ = name
    method.__doc__ = (
        f"In-place {prim.name.rstrip('_')}: writes into self's storage and returns self."
    )
    return method


class _no_grad_if_leaf:
    """Random fills of a leaf are not recorded (``nn.init`` fills parameters in place)."""

    def __init__(self, t) -> None:
        self.t = t

    def __enter__(self) -> None:
        self.prev = _state.grad.enabled
        if self.t._node is None:
            _state.grad.enabled = False

    def __exit__(self, *exc) -> None:
        _state.grad.enabled = self.prev


class ElementwiseMethods:
    """The elementwise part of Tensor's API: arithmetic and comparison operators, the
    methods that share the functions above, and their in-place forms (``add_``)."""

    __slots__ = ()

    # operators
    __add__ = _op(ADD)
    __radd__ = _op(ADD, swap=True)
    __sub__ = _op(SUB)
    __rsub__ = _op(RSUB, swap=True)
    __mul__ = _op(MUL)
    __rmul__ = _op(MUL, swap=True)
    __truediv__ = _op(DIV)
    # number / x is reciprocal(x) * number, as in PyTorch: the node saves the result, not x
    __rtruediv__ = lambda a, b, _f=apply: _f(MUL, _f(RECIPROCAL, a), b)  # noqa: E731
    __floordiv__ = _op(FLOOR_DIVIDE)
    __rfloordiv__ = _op(FLOOR_DIVIDE, swap=True)
    __mod__ = _op(REMAINDER)
    __rmod__ = _op(REMAINDER_S, swap=True)
    __and__ = _op(BITWISE_AND, via=_integral)
    __rand__ = _op(BITWISE_AND, swap=True, via=_integral)
    __or__ = _op(BITWISE_OR, via=_integral)
    __ror__ = _op(BITWISE_OR, swap=True, via=_integral)
    __xor__ = _op(BITWISE_XOR, via=_integral)
    __rxor__ = _op(BITWISE_XOR, swap=True, via=_integral)
    __eq__ = _cmp(EQ, otherwise=False)
    __ne__ = _cmp(NE, otherwise=True)
    __lt__ = _cmp(LT)
    __le__ = _cmp(LE)
    __gt__ = _cmp(GT)
    __ge__ = _cmp(GE)

    def __pow__(self, exponent):
        return apply(POW_T if type(exponent) in TENSOR_TYPES else POW, self, exponent)

    def __rpow__(self, base):
        return apply(POW_S, base, self)

    def __neg__(self):
        return apply(NEG, self)

    __pos__ = positive = positive

    def __abs__(self):
        return apply(ABS, self)

    def __invert__(self):
        k = self._data.dtype.kind
        if k not in "biu":
            raise TypeError(
                "~ (operator.invert) is only implemented on integer and Boolean-type tensors"
            )
        return apply(LOGICAL_NOT if k == "b" else BITWISE_NOT, self)

    # methods: the functions above, with the tensor as ``input``
    neg = negative = neg
    add = add
    sub = subtract = sub
    mul = multiply = mul
    div = divide = true_divide = div
    floor_divide = floor_divide
    remainder = remainder
    pow = pow
    square = square
    exp = exp
    expm1 = expm1
    log = log
    log2 = log2
    log10 = log10
    log1p = log1p
    sqrt = sqrt
    rsqrt = rsqrt
    sin = sin
    cos = cos
    tan = tan
    tanh = tanh
    sinh = sinh
    cosh = cosh
    asin = arcsin = asin
    acos = arccos = acos
    atan = arctan = atan
    asinh = arcsinh = asinh
    acosh = arccosh = acosh
    atanh = arctanh = atanh
    sigmoid = sigmoid
    reciprocal = reciprocal
    abs = absolute = abs
    angle = angle
    conj = conj_physical = conj
    resolve_conj = resolve_conj
    is_conj = is_conj
    sgn = sgn
    is_complex = is_complex

    @property
    def real(self):
        """The real parts (see ``chainrule.real``)."""
        return real(self)

    @property
    def imag(self):
        """The imaginary parts (see ``chainrule.imag``)."""
        return imag(self)

    relu = relu
    sign = sign
    floor = floor
    ceil = ceil
    trunc = trunc
    clamp = clip = clamp

    def maximum(self, other):
        """Elementwise maximum with another tensor (see ``torch.maximum``)."""
        tensors_only("maximum", ("other", 1, other))
        return apply(MAXIMUM, self, other)

    def minimum(self, other):
        """Elementwise minimum with another tensor (see ``torch.minimum``)."""
        tensors_only("minimum", ("other", 1, other))
        return apply(MINIMUM, self, other)

    def atan2(self, other):
        """The angle of the point (other, self), elementwise (see ``torch.atan2``)."""
        tensors_only("atan2", ("other", 1, other))
        return apply(ATAN2, self, other)

    def arctan2(self, other):
        """``atan2`` (NumPy's name)."""
        tensors_only("arctan2", ("other", 1, other))
        return apply(ATAN2, self, other)

    eq = eq
    ne = not_equal = ne
    lt = less = lt
    le = less_equal = le
    gt = greater = gt
    ge = greater_equal = ge
    logical_and = logical_and
    logical_or = logical_or
    logical_xor = logical_xor
    logical_not = logical_not
    bitwise_not = bitwise_not
    isnan = isnan
    isinf = isinf
    isfinite = isfinite
    isclose = isclose
    allclose = allclose
    equal = equal

    def where(self, condition, other):
        """``self`` where ``condition`` holds, else ``other``."""
        return where(condition, self, other)

    def masked_fill(self, mask, value):
        """A copy with ``value`` where ``mask`` (broadcasting) is True.

        >>> import chainrule as torch
        >>> torch.tensor([1., 2., 3.]).masked_fill(torch.tensor([True, False, True]), 0.)
        tensor([0., 2., 0.])
        """
        _check_mask(mask)
        m = _bool_condition(mask)
        if isinstance(value, TensorBase):
            _check_value(value)
            # a tensor value takes PyTorch's tensor overload (MaskedFillBackward1), with
            # or without history: its gradient flows, and a graph's or Dask's 0-d value is
            # never read as a number
            if value.dtype != self.dtype:
                value = value.to(self.dtype)
            return _saves_mask(apply(MASKED_FILL_T, self, value, mask=m), mask)
        return _saves_mask(apply(MASKED_FILL, self, mask=m, value=value), mask)

    # in place: the same entries, written into self's storage
    mul_ = _inplace(MUL, "mul_")
    div_ = _inplace(DIV, "div_")
    neg_ = _inplace(NEG, "neg_")
    exp_ = _inplace(EXP, "exp_")
    log_ = _inplace(LOG, "log_")
    sqrt_ = _inplace(SQRT, "sqrt_")
    abs_ = _inplace(ABS, "abs_")
    relu_ = _inplace(RELU, "relu_")
    sigmoid_ = _inplace(SIGMOID, "sigmoid_")
    tanh_ = _inplace(TANH, "tanh_")
    sin_ = _inplace(SIN, "sin_")
    cos_ = _inplace(COS, "cos_")
    sinh_ = _inplace(SINH, "sinh_")
    cosh_ = _inplace(COSH, "cosh_")
    asin_ = _inplace(ASIN, "asin_")
    arcsin_ = _inplace(ASIN, "arcsin_")
    acos_ = _inplace(ACOS, "acos_")
    arccos_ = _inplace(ACOS, "arccos_")
    atan_ = _inplace(ATAN, "atan_")
    arctan_ = _inplace(ATAN, "arctan_")
    # (no derivative in place, as in PyTorch: backward through them raises)
    asinh_ = _inplace(ASINH_, "asinh_")
    arcsinh_ = _inplace(ASINH_, "arcsinh_")
    acosh_ = _inplace(ACOSH_, "acosh_")
    arccosh_ = _inplace(ACOSH_, "arccosh_")
    atanh_ = _inplace(ATANH_, "atanh_")
    arctanh_ = _inplace(ATANH_, "arctanh_")

    def atan2_(self, other):
        """In-place atan2: the angle of (other, self) written into self's storage."""
        tensors_only("atan2_", ("other", 1, other))
        return apply_inplace(ATAN2, self, other)

    def arctan2_(self, other):
        """In-place ``arctan2`` (NumPy's name for atan2)."""
        tensors_only("arctan2_", ("other", 1, other))
        return apply_inplace(ATAN2, self, other)

    floor_ = _inplace(FLOOR, "floor_")
    ceil_ = _inplace(CEIL, "ceil_")

    def round(self, *args, decimals=_NO_DECIMALS):
        """Round half to even, optionally to ``decimals`` places (see ``torch.round``)."""
        return apply(ROUND, self, **_round_kwargs(self, args, decimals, "round", True))

    def round_(self, *args, decimals=_NO_DECIMALS):
        """In-place round: writes into self's storage and returns self."""
        return apply_inplace(ROUND, self, **_round_kwargs(self, args, decimals, "round_", True))

    trunc_ = _inplace(TRUNC, "trunc_")
    sign_ = _inplace(SIGN, "sign_")
    reciprocal_ = _inplace(RECIPROCAL, "reciprocal_")
    __imul__ = _inplace(MUL, "__imul__")
    __itruediv__ = _inplace(DIV, "__itruediv__")
    __ifloordiv__ = _inplace(FLOOR_DIVIDE, "__ifloordiv__")
    __imod__ = _inplace(REMAINDER, "__imod__")

    def add_(self, other, *, alpha=1):
        """self += alpha * other, in place."""
        if alpha != 1:
            other = _scaled(other, alpha)
        return apply_inplace(ADD, self, other)

    def sub_(self, other, *, alpha=1):
        """self -= alpha * other, in place."""
        if alpha != 1:
            other = _scaled(other, alpha)
        return apply_inplace(SUB, self, other)

    def __iadd__(self, other):
        return apply_inplace(ADD, self, other)

    def __isub__(self, other):
        return apply_inplace(SUB, self, other)

    def pow_(self, exponent):
        """self **= exponent, in place."""
        return apply_inplace(pow_prim(self, exponent), self, exponent)

    __ipow__ = pow_

    def clamp_(self, min=None, max=None):
        """Limit self to [min, max] in place."""
        if min is None and max is None:
            raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
        if isinstance(min, TensorBase) or isinstance(max, TensorBase):
            return apply_inplace(CLAMP_T, self, min, max)
        _clamp_type(self, min, max, inplace=True)
        return apply_inplace(CLAMP, self, min=min, max=max)

    clip_ = clamp_

    def fill_(self, value):
        """Every element set to ``value`` (the old values get no gradient)."""
        if isinstance(value, TensorBase):
            if value._data.ndim:
                raise RuntimeError(
                    "fill_ only supports 0-dimension value tensor but got tensor with "
                    f"{value._data.ndim} dimensions."
                )
            # the value's gradient is the sum over self's (PyTorch's FillBackward3)
            cast = value.to(self.dtype)
            apply_inplace(FILL_T, self, cast)
            if cast is not value and value._rg and _state.grad.enabled:
                integer_filled(FILL_T, self, value)  # an integer self records it, as there
            return self
        return apply_inplace(FILL, self, value=value)

    def zero_(self):
        """Every element set to 0."""
        return apply_inplace(ZERO, self, value=0)

    def copy_(self, src, non_blocking=False):
        """src's values (broadcast, cast to self's dtype) written into self."""
        if src is self and (_backend.has_internal_overlap(self._data) or dask_overlaps(self)):
            self._vc[0] += 1  # PyTorch copies nothing into itself (an expanded one too)
            return self
        if src._data.dtype != self._data.dtype:
            src = apply(TO_COPY, src, np_dtype=self._data.dtype)
        return apply_inplace(COPY, self, src)

    def masked_fill_(self, mask, value):
        """``value`` written where ``mask`` (broadcast to self's shape) is True."""
        _check_mask(mask)
        if isinstance(value, TensorBase):
            _check_value(value)
            if value._data.dtype != self._data.dtype:  # cast as PyTorch (index_put would not)
                value = value.to(self.dtype)
        m = mask._data if isinstance(mask, TensorBase) else mask
        shape = self._data.shape
        if m.shape != shape:  # the mask broadcasts to self, never self to the mask
            out = _state.broadcast_shape(shape, m.shape)
            if out != shape:
                raise RuntimeError(
                    f"output with shape {list(shape)} doesn't match the broadcast shape {list(out)}"
                )
            m = namespace(m).broadcast_to(m, shape)
        setitem(self, self._new(m), value)
        return self

    def uniform_(self, a=0.0, b=1.0, *, generator=None):
        """Fill with samples of U(a, b) (PyTorch's numbers after the same seed)."""
        data = _random_fill(self, generator, lambda g, n, d, c: _random.uniform(g, n, d, a, b))
        with _no_grad_if_leaf(self):
            return apply_inplace(FILL_DATA, self, data=data)

    def bernoulli_(self, p=0.5, *, generator=None):
        """Fill with 0 and 1: 1 with probability ``p`` (a number, or a tensor of
        probabilities that broadcasts to self). PyTorch's values after the same seed."""
        data = _random_fill(self, generator, _bernoulli_draw(self, p))
        with _no_grad_if_leaf(self):
            return apply_inplace(FILL_DATA, self, data=data)

    def bernoulli(self, p=None, *, generator=None):
        """``torch.bernoulli(self, p)``."""
        return bernoulli(self, p, generator=generator)

    def normal_(self, mean=0.0, std=1.0, *, generator=None):
        """Fill with samples of N(mean, std^2) (PyTorch's numbers after the same seed)."""
        data = _random_fill(
            self, generator, lambda g, n, d, c: _random.normal(g, n, d, mean, std, c)
        )
        with _no_grad_if_leaf(self):
            return apply_inplace(FILL_DATA, self, data=data)

    def exponential_(self, lambd=1.0, *, generator=None):
        """Fill with samples of Exp(lambd), density ``lambd * exp(-lambd * x)`` (PyTorch's
        numbers after the same seed).

        >>> import chainrule as torch
        >>> _ = torch.manual_seed(0)
        >>> torch.empty(3).exponential_()
        tensor([3.5083, 1.2304, 0.6150])
        """
        lambd = _float_arg("exponential_", "lambd", lambd)
        if not lambd > 0.0:
            raise RuntimeError(f"exponential_ expects lambda > 0.0, but found lambda={lambd:g}")
        if self._data.size and self._data.dtype.kind != "f":
            raise RuntimeError(
                "Exponential distribution is a continuous probability distribution. dtype must "
                f"be a floating point but you specified {self.dtype.title}"
            )
        return _fill_drawn(self, generator, lambda g, n, d: _random.exponential(g, n, d, lambd))

    def geometric_(self, p, *, generator=None):
        """Fill with samples of the number of Bernoulli(p) trials up to the first success
        (1, 2, ...): ``ceil(log(u) / log(1 - p))`` (PyTorch's numbers after the same seed).

        >>> import chainrule as torch
        >>> _ = torch.manual_seed(0)
        >>> torch.empty(3).geometric_(0.5)
        tensor([1., 1., 2.])
        """
        p = _float_arg("geometric_", "p", p)
        if not 0 < p < 1:
            raise RuntimeError(f"geometric_ expects p to be in (0, 1), but got p={p:g}")
        _dispatch_check("geometric_cpu", self, floats_only=False)
        return _fill_drawn(self, generator, lambda g, n, d: _random.geometric(g, n, d, p))

    def cauchy_(self, median=0.0, sigma=1.0, *, generator=None):
        """Fill with samples of the Cauchy distribution around ``median`` with scale
        ``sigma`` (PyTorch's numbers after the same seed).

        >>> import chainrule as torch
        >>> _ = torch.manual_seed(0)
        >>> torch.empty(3).cauchy_()
        tensor([10.5977,  0.7648, -0.1283])
        """
        median = _float_arg("cauchy_", "median", median)
        sigma = _float_arg("cauchy_", "sigma", sigma, 2)
        if not sigma > 0.0:
            raise RuntimeError(f"cauchy_ expects sigma > 0.0, but found sigma={sigma:g}")
        if self._data.dtype.kind != "f":
            raise RuntimeError(
                "Cauchy distribution is a continuous probability distribution. dtype must be a "
                f"floating point but you specified {_TYPE_META[self._data.dtype]}"
            )
        return _fill_drawn(self, generator, lambda g, n, d: _random.cauchy(g, n, d, median, sigma))

    def log_normal_(self, mean=1.0, std=2.0, *, generator=None):
        """Fill with samples whose log is N(mean, std^2) (PyTorch's numbers after the same
        seed; the normals come one at a time, sharing the generator's Box-Muller pair).

        >>> import chainrule as torch
        >>> _ = torch.manual_seed(0)
        >>> torch.empty(3).log_normal_(0.0, 0.5)
        tensor([2.1608, 0.8635, 0.3364])
        """
        mean = _float_arg("log_normal_", "mean", mean)
        std = _float_arg("log_normal_", "std", std, 2)
        if not std > 0.0:
            raise RuntimeError(f"log_normal_ expects std > 0.0, but found std={std:g}")
        _dispatch_check("log_normal_cpu", self)
        return _fill_drawn(self, generator, lambda g, n, d: _random.log_normal(g, n, d, mean, std))

    def random_(self, *args, generator=None, **kwargs):
        """Fill with uniform integers: ``random_(to)`` in [0, to), ``random_(from, to)`` in
        [from, to), ``random_(from, None)`` from ``from`` to the dtype's largest integer,
        ``random_()`` over the dtype's integers (for a float dtype the exact ones, up to
        2**mantissa bits). PyTorch's numbers after the same seed.

        >>> import chainrule as torch
        >>> _ = torch.manual_seed(0)
        >>> torch.empty(5, dtype=torch.int64).random_(10)
        tensor([4, 9, 3, 0, 3])
        """
        lo, hi = _random_range(self, args, kwargs)
        return _fill_drawn(self, generator, lambda g, n, d: _random_ints(g, n, d, lo, hi))


# the names C++'s TypeMeta gives dtypes in some of PyTorch's messages
_TYPE_META = {
    _random.np.dtype(k): v
    for k, v in [
        ("float16", "c10::Half"),
        ("float32", "float"),
        ("float64", "double"),
        ("int64", "long int"),
        ("int32", "int"),
        ("int16", "short int"),
        ("int8", "signed char"),
        ("uint8", "unsigned char"),
        ("bool", "bool"),
    ]
}


def _float_arg(name: str, arg: str, v, position: int = 1) -> float:
    """A ``float`` argument as PyTorch's parser takes it (a number, a one-element tensor)."""
    if isinstance(v, str) or not hasattr(v, "__float__"):
        raise TypeError(
            f"{name}(): argument '{arg}' (position {position}) must be float, not {type_name(v)}"
        )
    return builtins.float(v)


def _dispatch_check(kernel: str, t, floats_only: bool = True) -> None:
    """PyTorch's error for a dtype its kernel has no version for (raised only when there
    is something to fill)."""
    kind = t._data.dtype.kind
    if t._data.size and (kind == "b" or floats_only and kind != "f"):
        raise NotImplementedError(f"\"{kernel}\" not implemented for '{t.dtype.title}'")


def _fill_drawn(t, generator, draw):
    """``t`` filled in place with ``draw(generator, n, dtype)`` (values of t's own dtype, in
    the order of t's memory), as a fill that a leaf does not record."""
    data = _random_fill(t, generator, lambda g, n, d, c: draw(g, n, t.dtype.np))
    with _no_grad_if_leaf(t):
        return apply_inplace(FILL_DATA, t, data=data)


_I64_MIN, _I64_MAX = -(2**63), 2**63 - 1


def _random_range(t, args: tuple, kwargs: dict):
    """``random_``'s arguments as (from, to): (None, None) for ``random_()``, to None for
    ``random_(from, None)``; PyTorch's checks (``native/DistributionTemplates.h``), and
    ``from`` and ``to`` moved inward for a float dtype so that a value rounded to the dtype
    stays in [from, to)."""
    if len(args) > 2:
        raise TypeError(f"random_() takes 2 positional arguments but {len(args)} were given")
    lo = hi = None
    if kwargs.keys() - {"to"} or kwargs and len(args) == 2:
        ok = False
    elif kwargs:
        lo, hi, ok = (args[0] if args else 0), kwargs["to"], True
    elif len(args) == 2:
        lo, hi, ok = *args, args[1] is None or _is_int(args[1])
    elif args:
        lo, hi, ok = 0, args[0], True
    else:
        return None, None
    if not (ok and _is_int(lo) and (hi is None and len(args) == 2 or _is_int(hi))):
        got = [type_name(v) for v in args] + [f"{k}={type_name(v)}" for k, v in kwargs.items()]
        raise TypeError(
            f"random_() received an invalid combination of arguments - got ({', '.join(got)}"
            f"{', ' if kwargs else ''}), but expected one of:\n"
            " * (*, torch.Generator generator = None)\n"
            " * (int from, int to, *, torch.Generator generator = None)\n"
            " * (int to, *, torch.Generator generator = None)\n"
        )
    lo = operator.index(lo)
    hi = None if hi is None else operator.index(hi)
    for v in (lo, hi):
        if v is not None and not _I64_MIN <= v <= _I64_MAX:
            raise ValueError("Overflow when unpacking long long")
    dtype = t._data.dtype
    if hi is not None:
        if not lo < hi:
            raise RuntimeError(
                f"random_ expects 'from' to be less than 'to', but got from={lo} >= to={hi}"
            )
        if dtype.kind == "f":
            lo, hi = _update_from(lo, dtype), _update_to(hi, dtype)
            if not lo < hi:
                raise RuntimeError(
                    "random_ expects 'from' casted to dtype to be less than 'to' casted to "
                    f"dtype, but got from={lo} >= to={hi}"
                )
        _check_in_range(lo, hi - 1, dtype)
        return lo, hi
    if lo == _I64_MIN:
        return lo, None  # the full 64-bit range
    if dtype.kind == "f":
        to_inc = 2 ** (_random.np.finfo(dtype).nmant + 1)
        lo = _update_from(lo, dtype)
        if not lo < to_inc:
            raise RuntimeError(
                "random_ expects 'from' casted to dtype to be less than or equal to 'to_inc' "
                f"casted to dtype, but got from={lo} > to_inc={to_inc}"
            )
    else:
        to_inc = 1 if dtype.kind == "b" else int(_random.np.iinfo(dtype).max)
    _check_in_range(lo, to_inc, dtype)
    return lo, to_inc + 1


def _is_int(v) -> bool:
    return type(v) is not bool and hasattr(v, "__index__")


def _as_dtype_int(v: int, dtype) -> int:
    """``static_cast<int64_t>(static_cast<scalar_t>(v))`` (x86: inf and NaN give INT64_MIN)."""
    x = _random.np.array(v, dtype=_random.np.int64)
    x = x.astype(_random.np.float32 if dtype == _random.np.float16 else dtype).astype(dtype)
    x = builtins.float(x)
    return builtins.int(x) if math.isfinite(x) and builtins.abs(x) < 2**63 else _I64_MIN


def _update_from(lo: int, dtype) -> int:
    digits = _random.np.finfo(dtype).nmant + 1
    plus_1 = _as_dtype_int(lo + 1, dtype)
    if plus_1 < lo:
        lo = plus_1 + (1 << (builtins.abs(lo + 1).bit_length() - 1 - digits + 1))
    return lo


def _update_to(hi: int, dtype) -> int:
    digits = _random.np.finfo(dtype).nmant + 1
    minus_1 = _as_dtype_int(hi - 1, dtype)
    if minus_1 >= hi:
        hi = minus_1 - (1 << (builtins.abs(hi - 1).bit_length() - 1 - digits + 1))
    return hi


def _check_in_range(lo: int, to_inc: int, dtype) -> None:
    meta = _TYPE_META[dtype]
    info = _random.np.finfo(dtype) if dtype.kind == "f" else None
    if dtype.kind == "b":
        low, high = 0, 1
    elif info is not None:
        low, high = builtins.float(info.min), builtins.float(info.max)
    else:
        low, high = int(_random.np.iinfo(dtype).min), int(_random.np.iinfo(dtype).max)
    for v, name in ((lo, "from"), (to_inc, "to - 1")):
        if not low <= v <= high:
            raise RuntimeError(f"{name} is out of bounds for {meta}")
    if info is not None:
        digits = info.nmant + 1
        for v, name in ((lo, "from"), (to_inc, "to - 1")):
            if not -(2**digits) <= v <= 2**digits:
                warnings.warn(
                    f"{name} is out of bounds [-(2^{digits}), 2^{digits}]. Due to precision "
                    f"limitations {meta} can support discrete uniform distribution only within "
                    "this range. This warning will become an error in version 1.7 release, "
                    "please fix the code in advance",
                    stacklevel=4,
                )


def _random_ints(g, n: int, dtype, lo, hi):
    """``random_``'s draw for (from, to) from ``_random_range``."""
    if n == 0:  # (PyTorch returns before the kernel's checks)
        return _random.np.zeros(0, dtype)
    if lo is None:
        return _random.random_words(g, n, dtype)
    if hi is None:  # [-2**63, 2**63): a 64-bit word as int64
        if dtype not in (_random.np.int64, _random.np.float64, _random.np.float32):
            if dtype.kind in "iu":
                raise RuntimeError(
                    "random_full_64_bits_range_kernel_cpu handles only int64, double, float "
                    "and bfloat16"
                )
            title = _dt.from_numpy_dtype(dtype).title
            raise NotImplementedError(
                f"\"random_full_64_bits_range_kernel_cpu\" not implemented for '{title}'"
            )
        return g._random64(n).view(_random.np.int64).astype(dtype)
    v = _random.integers(g, n, lo, hi)
    if dtype == _random.np.float16:
        v = v.astype(_random.np.float32)
    return v.astype(dtype)


def _memory_order(a):
    """The axes of array ``a`` from the outermost in memory (None: C-contiguous)."""
    a = _backend.strided(a)
    if a is None or a.flags.c_contiguous:
        return None
    strides = a.strides
    return sorted(range(a.ndim), key=lambda i: -builtins.abs(strides[i]))


def _random_fill(t, generator, draw, dtype=None):
    """Values for a random fill of ``t``: ``draw(generator, n, dtype, contiguous)`` gives
    them in the order of ``t``'s memory, as PyTorch's kernels fill a tensor (a transposed
    one column by column), computed in ``t``'s float dtype (double for other dtypes)."""
    a = t._data
    d = t.dtype.np if a.dtype.kind == "f" else _random.np.dtype("float64")  # on the host
    g = _random.rng(generator, t.device if t.device.type == "cuda" else None)
    order = _memory_order(a)
    values = draw(g, a.size, d, order is None)
    if order is None:
        values = values.reshape(a.shape)
    else:
        values = values.reshape([a.shape[i] for i in order]).transpose(_random.np.argsort(order))
    if t.device.type == "dask":  # drawn on the host, in t's chunks
        return _backend.move(values, "dask", chunks=a.chunks)
    return values


def _bernoulli_draw(t, p):
    """The draw of ``bernoulli_(p)`` for ``_random_fill``: ``p`` a number in [0, 1] or a
    tensor of probabilities that broadcasts to ``t``."""
    if not isinstance(p, TensorBase):
        if not 0 <= p <= 1:
            raise RuntimeError(f"bernoulli_ expects p to be in [0, 1], but got p={p}")
        return lambda g, n, d, c: _random.bernoulli(g, n, p)
    probs = _backend.to_numpy(p._data)
    if probs.dtype.kind != "f":
        title = _dt.from_numpy_dtype(probs.dtype).title
        raise NotImplementedError(f"\"bernoulli_tensor_cpu_p_\" not implemented for '{title}'")
    probs = _random.np.broadcast_to(probs, t._data.shape)
    order = _memory_order(t._data)
    if order is not None:
        probs = probs.transpose(order)
    return lambda g, n, d, c: _random.bernoulli(g, n, probs.ravel())


def bernoulli(input, p=None, *, generator=None):
    """Samples of 0 and 1 in ``input``'s dtype: 1 with probability ``input`` (elementwise),
    or ``p`` (a number) for every element. PyTorch's values after the same seed. The result
    records no history (PyTorch's gradient of it is zero).

    >>> import chainrule as torch
    >>> _ = torch.manual_seed(0)
    >>> torch.bernoulli(torch.tensor([0.0, 1.0, 0.5, 0.5]))
    tensor([0., 1., 1., 1.])
    """
    if not isinstance(input, TensorBase):
        raise TypeError(
            f"bernoulli(): argument 'input' (position 1) must be Tensor, not {type_name(input)}"
        )
    if p is None and input._data.dtype.kind != "f":
        raise NotImplementedError(
            f"\"bernoulli_tensor_cpu_p_\" not implemented for '{input.dtype.title}'"
        )
    draw = _bernoulli_draw(input, input if p is None else p)
    data = _random_fill(input, generator, draw).astype(input._data.dtype)
    if input.device.type == "cuda":
        data = _backend.move(data, "cuda", input.device.index)
    return input._new(data)
