"""More PyTorch-named elementwise functions (clamp_min, fmod, hypot, logaddexp, lerp,
nan_to_num, ...) and the Tensor methods that share them (``MathExtraMethods``), with their
in-place forms; plus the in-place forms PyTorch has of functions elsewhere (``log10_``,
``eq_``, ``cumsum_``, ``transpose_``...).

The derivatives are the table's (``chainrule.ops.math_extra``); functions without a row
of their own are composites of other functions (said beside each), so their gradients
come from those rows.

>>> import chainrule as torch
>>> torch.hypot(torch.tensor([3., 5.]), torch.tensor([4., 12.]))
tensor([ 5., 13.])
"""

from __future__ import annotations

from .. import backend as _backend
from .. import dtypes as _dt
from ..backend import namespace
from ..ops.apply import apply, apply_inplace, compare
from ..ops.elementwise import (
    ABS,
    BITWISE_AND,
    BITWISE_NOT,
    BITWISE_OR,
    BITWISE_XOR,
    DIV,
    DIV_ROUNDING,
    EQ,
    EXPM1,
    FLOOR_DIVIDE,
    GE,
    GT,
    LE,
    LOG1P,
    LOG2,
    LOG10,
    LOGICAL_AND,
    LOGICAL_NOT,
    LOGICAL_OR,
    LOGICAL_XOR,
    LT,
    MUL,
    NE,
    NEG,
    POW,
    REMAINDER,
    RSQRT,
    TAN,
    TRUNC,
)
from ..ops.math_extra import (
    ADDCDIV,
    ADDCMUL,
    CLAMP_MAX,
    CLAMP_MAX_T,
    CLAMP_MIN,
    CLAMP_MIN_T,
    COPYSIGN,
    COPYSIGN_S,
    DEG2RAD,
    EXP2,
    FMAX,
    FMIN,
    FMOD,
    FMOD_S,
    FRAC,
    GCD,
    HEAVISIDE,
    HYPOT,
    ISNEGINF,
    ISPOSINF,
    ISREAL,
    LCM,
    LERP,
    LERP_T,
    LOGADDEXP,
    LOGADDEXP2,
    LOGIT,
    NAN_TO_NUM,
    RAD2DEG,
    SIGNBIT,
    SINC,
)
from ..tensor_base import TensorBase
from .args import tensors_only
from .elementwise import _CPP_NAMES, _clamp_type, _inplace, _integral, div, pow, trunc

# PyTorch's names of dtypes in its kernels' errors ("hypot_cpu" not implemented for 'Long')
_TITLES = {
    "bool": "Bool",
    "uint8": "Byte",
    "int8": "Char",
    "int16": "Short",
    "int32": "Int",
    "int64": "Long",
}


def _floats_only(kernel: str, *ts) -> None:
    """Refuse integer and bool operands' common dtype as PyTorch's float kernels do."""
    rt = _dt.result_type(*ts) if len(ts) > 1 else ts[0].dtype
    if not (rt.is_floating_point or rt.is_complex):
        raise NotImplementedError(f"\"{kernel}\" not implemented for '{rt.title}'")


def _is_tensor(v) -> bool:
    return isinstance(v, TensorBase)


# ------------------------------------------------------------------ clamp's halves
def clamp_min(input, min):
    """max(input, min) elementwise: ``clamp(input, min=min)``; ``min`` a number or a tensor
    (broadcasting). The gradient passes at the bound.

    >>> import chainrule as torch
    >>> torch.clamp_min(torch.tensor([-1., 0.5, 2.]), 0.)
    tensor([0.0000, 0.5000, 2.0000])
    """
    if _is_tensor(min):
        return apply(CLAMP_MIN_T, input, min, None)
    rt = _clamp_type(input, min, None, inplace=False)
    if rt.np != input._data.dtype:  # an integer tensor clamped at 0.5 becomes float32
        input = input.to(rt)
    return apply(CLAMP_MIN, input, min=min, max=None)


def clamp_max(input, max):
    """min(input, max) elementwise: ``clamp(input, max=max)``.

    >>> import chainrule as torch
    >>> torch.clamp_max(torch.tensor([-1., 0.5, 2.]), 1.)
    tensor([-1.0000,  0.5000,  1.0000])
    """
    if _is_tensor(max):
        return apply(CLAMP_MAX_T, input, None, max)
    rt = _clamp_type(input, None, max, inplace=False)
    if rt.np != input._data.dtype:
        input = input.to(rt)
    return apply(CLAMP_MAX, input, min=None, max=max)


# ------------------------------------------------------------------ two inputs
def fmod(input, other):
    """C's remainder: ``input - trunc(input / other) * other``, the sign of ``input``
    (``remainder`` has the sign of ``other``). Integer division by zero raises.

    >>> import chainrule as torch
    >>> torch.fmod(torch.tensor([-5., 5.]), 3)
    tensor([-2.,  2.])
    """
    if _is_tensor(other):
        if _dt.result_type(input, other) is _dt.bool:
            raise NotImplementedError("\"fmod_cpu\" not implemented for 'Bool'")
        return apply(FMOD, input, other)
    return apply(FMOD_S, input, other)


def _float_binary(prim, name: str, doc_example: str, doc_result: str):
    def f(input, other):
        tensors_only(name, ("input", 1, input), ("other", 2, other))
        _floats_only(f"{name}_cpu", input, other)
        return apply(prim, input, other)

    f.__name__ = f.__qualname__ = name
    f.__doc__ = f"""Elementwise {name} of two tensors (broadcasting; floating dtypes only).

    >>> import chainrule as torch
    >>> torch.{name}({doc_example})
    {doc_result}
    """
    return f


hypot = _float_binary(HYPOT, "hypot", "torch.tensor([3.]), torch.tensor([4.])", "tensor([5.])")
logaddexp = _float_binary(
    LOGADDEXP, "logaddexp", "torch.tensor([0.]), torch.tensor([0.])", "tensor([0.6931])"
)
logaddexp2 = _float_binary(
    LOGADDEXP2, "logaddexp2", "torch.tensor([1.]), torch.tensor([1.])", "tensor([2.])"
)


def _ignoring_nan(prim, name: str, example: str, result: str):
    def f(input, other):
        tensors_only(name, ("input", 1, input), ("other", 2, other))
        return apply(prim, input, other)

    f.__name__ = f.__qualname__ = name
    f.__doc__ = f"""Elementwise {name[1:]}imum that ignores NaN (NaN only where both are);
    at a tie ``input`` gets all of the gradient.

    >>> import chainrule as torch
    >>> torch.{name}(torch.tensor([1., float('nan')]), torch.tensor({example}))
    {result}
    """
    return f


fmax = _ignoring_nan(FMAX, "fmax", "[2., 3.]", "tensor([2., 3.])")
fmin = _ignoring_nan(FMIN, "fmin", "[2., 3.]", "tensor([1., 3.])")


def copysign(input, other):
    """|input| with the sign of ``other`` (a tensor or a number); a float result.

    >>> import chainrule as torch
    >>> torch.copysign(torch.tensor([1., -2.]), -1)
    tensor([-1., -2.])
    """
    return apply(COPYSIGN if _is_tensor(other) else COPYSIGN_S, input, other)


def heaviside(input, values):
    """The step function: 0 where input < 0 (and NaN), 1 where input > 0, ``values`` where
    input == 0. Both tensors of one dtype; no gradient.

    >>> import chainrule as torch
    >>> torch.heaviside(torch.tensor([-1., 0., 2.]), torch.tensor([0.5]))
    tensor([0.0000, 0.5000, 1.0000])
    """
    tensors_only("heaviside", ("input", 1, input), ("values", 2, values))
    if input._data.dtype != values._data.dtype:
        raise RuntimeError("heaviside is not yet implemented for tensors with different dtypes.")
    return apply(HEAVISIDE, input, values)


def gcd(input, other):
    """Greatest common divisor, elementwise (integer tensors; gcd(0, 0) = 0).

    >>> import chainrule as torch
    >>> torch.gcd(torch.tensor([4, -6, 0]), torch.tensor([6, 4, 0]))
    tensor([2, 2, 0])
    """
    return _integer_pair(GCD, "gcd", input, other)


def lcm(input, other):
    """Least common multiple, elementwise (integer tensors; non-negative).

    >>> import chainrule as torch
    >>> torch.lcm(torch.tensor([4, -6]), torch.tensor([6, 4]))
    tensor([12, 12])
    """
    return _integer_pair(LCM, "lcm", input, other)


def _integer_pair(prim, name, input, other):
    tensors_only(name, ("input", 1, input), ("other", 2, other))
    rt = _dt.result_type(input, other)
    if rt.is_floating_point or rt.is_complex or rt is _dt.bool:
        raise NotImplementedError(f"\"{name}_cpu\" not implemented for '{rt.title}'")
    return apply(prim, input, other)


def ldexp(input, other):
    """input * 2 ** other (a float result). Composite of exp2 and mul.

    >>> import chainrule as torch
    >>> torch.ldexp(torch.tensor([1., 3.]), torch.tensor([2, -1]))
    tensor([4.0000, 1.5000])
    """
    tensors_only("ldexp", ("input", 1, input), ("other", 2, other))
    return input * exp2(other)


def float_power(input, exponent):
    """input ** exponent computed in double precision (complex128 for complex operands).
    Composite of a cast to float64 and pow.

    >>> import chainrule as torch
    >>> torch.float_power(torch.tensor([2, 3]), 2)
    tensor([4., 9.], dtype=torch.float64)
    """
    dt = _double_for(input, exponent)
    if _is_tensor(input):
        input = input.to(dt)
    if _is_tensor(exponent):
        exponent = exponent.to(dt)
    return pow(input, exponent)


def _double_for(*operands):
    for v in operands:
        d = v.dtype if _is_tensor(v) else None
        if (d is not None and d.is_complex) or isinstance(v, complex):
            return _dt.complex128
    return _dt.float64


class frexp_type(tuple):
    """(mantissa, exponent), printed as ``torch.return_types.frexp``."""

    __slots__ = ()

    def __new__(cls, mantissa, exponent):
        return tuple.__new__(cls, (mantissa, exponent))

    @property
    def mantissa(self):
        return self[0]

    @property
    def exponent(self):
        return self[1]

    def __repr__(self) -> str:
        return f"torch.return_types.frexp(\nmantissa={self[0]!r},\nexponent={self[1]!r})"


def frexp(input):
    """(mantissa, exponent) with input = mantissa * 2 ** exponent, |mantissa| in [0.5, 1)
    (exponent int32). The mantissa is a composite (input / 2 ** exponent), so its gradient
    is 1 / 2 ** exponent, as PyTorch's.

    >>> import chainrule as torch
    >>> torch.frexp(torch.tensor([8., 0.75]))
    torch.return_types.frexp(
    mantissa=tensor([0.5000, 0.7500]),
    exponent=tensor([4, 0], dtype=torch.int32))
    """
    if not input.dtype.is_floating_point:
        raise RuntimeError("torch.frexp() only supports floating-point dtypes")
    data = input._data
    _, e = namespace(data).frexp(data)
    exponent = input._new(e.astype("int32"))
    mantissa = input / exp2(exponent).to(input.dtype)
    return frexp_type(mantissa, exponent)


def addcmul(input, tensor1, tensor2, *, value=1):
    """input + value * tensor1 * tensor2 (broadcasting).

    >>> import chainrule as torch
    >>> torch.addcmul(torch.tensor([1.]), torch.tensor([2.]), torch.tensor([3.]), value=0.5)
    tensor([4.])
    """
    rt = _dt.result_type(input, tensor1, tensor2)
    if rt is _dt.bool:
        raise NotImplementedError("\"addcmul_cpu_out\" not implemented for 'Bool'")
    return apply(ADDCMUL, input, tensor1, tensor2, value=_value_in(rt, value))


_ADDCDIV_INT = (
    "Integer division with addcdiv is no longer supported, and in a future  release addcdiv "
    "will perform a true division of tensor1 and tensor2. The historic addcdiv behavior can be "
    "implemented as (input + value * torch.trunc(tensor1 / tensor2)).to(input.dtype) for "
    "integer inputs and as (input + value * tensor1 / tensor2) for float inputs. The future "
    "addcdiv behavior is just the latter implementation: (input + value * tensor1 / tensor2), "
    "for all dtypes."
)


def addcdiv(input, tensor1, tensor2, *, value=1):
    """input + value * tensor1 / tensor2 (broadcasting; integer tensor1 and tensor2 are
    refused, as PyTorch refuses them).

    >>> import chainrule as torch
    >>> torch.addcdiv(torch.tensor([1.]), torch.tensor([2.]), torch.tensor([4.]), value=2)
    tensor([2.])
    """
    if not (tensor1.dtype.is_floating_point or tensor1.dtype.is_complex) and not (
        tensor2.dtype.is_floating_point or tensor2.dtype.is_complex
    ):
        raise RuntimeError(_ADDCDIV_INT)
    rt = _dt.result_type(input, tensor1, tensor2)
    return apply(ADDCDIV, input, tensor1, tensor2, value=_value_in(rt, value))


def _value_in(rt, value):
    # PyTorch casts the scalar to the result's dtype (an int result truncates 0.5 to 0)
    if not (rt.is_floating_point or rt.is_complex) and not isinstance(value, bool):
        return int(value)
    return value


def lerp(input, end, weight):
    """input + weight * (end - input), ``weight`` a number or a tensor (broadcasting);
    floating tensors of one dtype.

    >>> import chainrule as torch
    >>> torch.lerp(torch.tensor([0., 10.]), torch.tensor([10., 20.]), 0.25)
    tensor([ 2.5000, 12.5000])
    """
    tensored = _is_tensor(weight)
    for name, t in (("end", end), ("weight", weight)):
        if _is_tensor(t) and t.dtype != input.dtype:
            raise RuntimeError(
                f"expected dtype {_c_name(input.dtype)} for `{name}` but got dtype "
                f"{_c_name(t.dtype)}"
            )
    if not (input.dtype.is_floating_point or input.dtype.is_complex):
        kernel = "lerp_kernel_tensor" if tensored else "lerp_kernel_scalar"
        raise NotImplementedError(f"\"{kernel}\" not implemented for '{input.dtype.title}'")
    if tensored:
        return apply(LERP_T, input, end, weight)
    return apply(LERP, input, end, weight=weight)


def _c_name(d) -> str:
    return _CPP_NAMES.get(d.np.name, d.np.name)


# ------------------------------------------------------------------ one input
def exp2(input):
    """2 ** input, elementwise (a float result).

    >>> import chainrule as torch
    >>> torch.exp2(torch.tensor([0, 3]))
    tensor([1., 8.])
    """
    return apply(EXP2, input)


def frac(input):
    """The fractional part, input - trunc(input) (the sign of input; floats only).

    >>> import chainrule as torch
    >>> torch.frac(torch.tensor([1.5, -2.25]))
    tensor([ 0.5000, -0.2500])
    """
    return apply(FRAC, input)


def deg2rad(input):
    """Degrees to radians (a float result).

    >>> import chainrule as torch
    >>> torch.deg2rad(torch.tensor([180., 90.]))
    tensor([3.1416, 1.5708])
    """
    return apply(DEG2RAD, input)


def rad2deg(input):
    """Radians to degrees (a float result).

    >>> import chainrule as torch
    >>> torch.rad2deg(torch.tensor([3.141592653589793]))
    tensor([180.])
    """
    return apply(RAD2DEG, input)


def _nan_to_num_args(input, nan, posinf, neginf) -> dict:
    """The replacements, with PyTorch's defaults: 0 for NaN, the dtype's largest and
    smallest finite values for inf and -inf."""
    d = input._data.dtype
    if d.kind in "fc":
        big = float(_backend.numpy.finfo(d.name).max)  # (a dtype fact: NumPy's, any backend)
        posinf = big if posinf is None else posinf
        neginf = -big if neginf is None else neginf
    return {"nan": 0.0 if nan is None else nan, "posinf": posinf, "neginf": neginf}


def nan_to_num(input, nan=0.0, posinf=None, neginf=None):
    """NaN, inf and -inf replaced by ``nan``, ``posinf``, ``neginf`` (by default 0 and the
    dtype's largest and smallest finite values). The gradient passes where input is finite.

    >>> import chainrule as torch
    >>> torch.nan_to_num(torch.tensor([float('nan'), float('inf'), 1.5]), posinf=9.)
    tensor([0.0000, 9.0000, 1.5000])
    """
    return apply(NAN_TO_NUM, input, **_nan_to_num_args(input, nan, posinf, neginf))


def sinc(input):
    """The normalized sinc, sin(pi x) / (pi x), 1 at 0 (a float result).

    >>> import chainrule as torch
    >>> torch.sinc(torch.tensor([0., 0.5]))
    tensor([1.0000, 0.6366])
    """
    return apply(SINC, input)


def logit(input, eps=None):
    """log(p / (1 - p)), with p clamped to [eps, 1 - eps] when ``eps`` is given.

    >>> import chainrule as torch
    >>> torch.logit(torch.tensor([0.5, 0.75, 1.]), eps=1e-6)
    tensor([ 0.0000,  1.0986, 13.8023])
    """
    return apply(LOGIT, input, eps=eps)


def signbit(input):
    """Whether the sign bit is set (True for -0.0 and negative NaN too).

    >>> import chainrule as torch
    >>> torch.signbit(torch.tensor([-1., -0., 0., 2.]))
    tensor([ True,  True, False, False])
    """
    return apply(SIGNBIT, input)


def isposinf(input):
    """Whether each element is +inf.

    >>> import chainrule as torch
    >>> torch.isposinf(torch.tensor([float('inf'), -float('inf'), 1.]))
    tensor([ True, False, False])
    """
    return apply(ISPOSINF, input)


def isneginf(input):
    """Whether each element is -inf.

    >>> import chainrule as torch
    >>> torch.isneginf(torch.tensor([float('inf'), -float('inf'), 1.]))
    tensor([False,  True, False])
    """
    return apply(ISNEGINF, input)


def isreal(input):
    """Whether each element is real (a zero imaginary part; always True for real dtypes).

    >>> import chainrule as torch
    >>> torch.isreal(torch.tensor([1., 2.]))
    tensor([True, True])
    """
    return apply(ISREAL, input)


# ------------------------------------------------------------ Tensor methods
def _compare_inplace(prim, name: str):
    """``x.eq_(y)``: the comparison's result (bools) written into x in x's dtype."""

    def method(self, other):
        r = compare(prim, self, other)
        return _write_cast(self, r)

    method.__name__ = method.__qualname__ = name
    method.__doc__ = f"In-place ``{prim.name}``: the result, in self's dtype, written into self."
    return method


def _write_cast(self, r):
    # a bool or integer result written into self in self's dtype: no gradient flows through
    # a comparison, so this is a copy_ of the cast result
    if r.dtype != self.dtype:
        rank = {"b": 0, "u": 1, "i": 1, "f": 2, "c": 3}
        if rank[r._data.dtype.kind] > rank[self._data.dtype.kind]:
            raise RuntimeError(
                f"result type {r.dtype.title} can't be cast to the desired output type "
                f"{self.dtype.title}"
            )
        r = r.to(self.dtype)
    return self.copy_(r)


def _clamp_min_(self, min):
    if _is_tensor(min):
        return apply_inplace(CLAMP_MIN_T, self, min, None)
    _clamp_type(self, min, None, inplace=True)
    return apply_inplace(CLAMP_MIN, self, min=min, max=None)


def _clamp_max_(self, max):
    if _is_tensor(max):
        return apply_inplace(CLAMP_MAX_T, self, None, max)
    _clamp_type(self, None, max, inplace=True)
    return apply_inplace(CLAMP_MAX, self, min=None, max=max)


class MathExtraMethods:
    """The part of Tensor's API above: ``x.hypot(y)``, ``x.lerp_(y, 0.5)``, ``x.log10_()``..."""

    __slots__ = ()

    clamp_min = clamp_min
    clamp_max = clamp_max
    fmod = fmod
    hypot = hypot
    logaddexp = logaddexp
    logaddexp2 = logaddexp2
    fmax = fmax
    fmin = fmin
    copysign = copysign
    heaviside = heaviside
    gcd = gcd
    lcm = lcm
    ldexp = ldexp
    float_power = float_power
    frexp = frexp
    addcmul = addcmul
    addcdiv = addcdiv
    lerp = lerp
    exp2 = exp2
    frac = frac
    deg2rad = deg2rad
    rad2deg = rad2deg
    nan_to_num = nan_to_num
    sinc = sinc
    logit = logit
    signbit = signbit
    isposinf = isposinf
    isneginf = isneginf
    isreal = isreal

    # in place: the rows above written into self's storage (PyTorch's dtype rule: a result
    # self's dtype cannot hold is refused, ``ops.apply.apply_inplace``)
    clamp_min_ = _clamp_min_
    clamp_max_ = _clamp_max_

    def fmod_(self, other):
        """In-place ``fmod``."""
        return apply_inplace(FMOD if _is_tensor(other) else FMOD_S, self, other)

    def hypot_(self, other):
        """In-place ``hypot``."""
        tensors_only("hypot_", ("other", 1, other))
        _floats_only("hypot_cpu", self, other)
        return apply_inplace(HYPOT, self, other)

    def copysign_(self, other):
        """In-place ``copysign``."""
        return apply_inplace(COPYSIGN if _is_tensor(other) else COPYSIGN_S, self, other)

    def heaviside_(self, values):
        """In-place ``heaviside``."""
        heaviside(self, values)  # (its checks)
        return apply_inplace(HEAVISIDE, self, values)

    def gcd_(self, other):
        """In-place ``gcd``."""
        _integer_pair(GCD, "gcd", self, other)
        return apply_inplace(GCD, self, other)

    def lcm_(self, other):
        """In-place ``lcm``."""
        _integer_pair(LCM, "lcm", self, other)
        return apply_inplace(LCM, self, other)

    def ldexp_(self, other):
        """In-place ``ldexp`` (composite: self *= 2 ** other)."""
        tensors_only("ldexp_", ("other", 1, other))
        if not (self.dtype.is_floating_point or self.dtype.is_complex):
            raise RuntimeError(f"ldexp can't be cast to the desired output type {self.dtype.title}")
        return self.mul_(exp2(other))

    def float_power_(self, exponent):
        """In-place ``float_power``: self must be float64 (complex128), the result's dtype."""
        dt = _double_for(self, exponent)
        if self.dtype != dt:
            raise RuntimeError(
                f"the base given to float_power_ has dtype {self.dtype.title} but the "
                f"operation's result requires dtype {dt.title}"
            )
        if _is_tensor(exponent):
            exponent = exponent.to(dt)
        return self.pow_(exponent)

    def addcmul_(self, tensor1, tensor2, *, value=1):
        """In-place ``addcmul``."""
        addcmul(self.detach(), tensor1.detach(), tensor2.detach(), value=value)  # (checks)
        rt = _dt.result_type(self, tensor1, tensor2)
        return apply_inplace(ADDCMUL, self, tensor1, tensor2, value=_value_in(rt, value))

    def addcdiv_(self, tensor1, tensor2, *, value=1):
        """In-place ``addcdiv``."""
        addcdiv(self.detach(), tensor1.detach(), tensor2.detach(), value=value)  # (checks)
        rt = _dt.result_type(self, tensor1, tensor2)
        return apply_inplace(ADDCDIV, self, tensor1, tensor2, value=_value_in(rt, value))

    def lerp_(self, end, weight):
        """In-place ``lerp``."""
        lerp(self.detach(), end.detach(), weight.detach() if _is_tensor(weight) else weight)
        if _is_tensor(weight):
            return apply_inplace(LERP_T, self, end, weight)
        return apply_inplace(LERP, self, end, weight=weight)

    exp2_ = _inplace(EXP2, "exp2_")
    frac_ = _inplace(FRAC, "frac_")
    deg2rad_ = _inplace(DEG2RAD, "deg2rad_")
    rad2deg_ = _inplace(RAD2DEG, "rad2deg_")
    sinc_ = _inplace(SINC, "sinc_")

    def nan_to_num_(self, nan=0.0, posinf=None, neginf=None):
        """In-place ``nan_to_num``."""
        return apply_inplace(NAN_TO_NUM, self, **_nan_to_num_args(self, nan, posinf, neginf))

    def logit_(self, eps=None):
        """In-place ``logit``."""
        return apply_inplace(LOGIT, self, eps=eps)

    # in-place forms of functions defined elsewhere (rows of ops.elementwise)
    log10_ = _inplace(LOG10, "log10_")
    log2_ = _inplace(LOG2, "log2_")
    log1p_ = _inplace(LOG1P, "log1p_")
    expm1_ = _inplace(EXPM1, "expm1_")
    rsqrt_ = _inplace(RSQRT, "rsqrt_")
    tan_ = _inplace(TAN, "tan_")

    def square_(self):
        """In-place ``square`` (self ** 2, PowBackward0)."""
        return apply_inplace(POW, self, 2)

    eq_ = _compare_inplace(EQ, "eq_")
    ne_ = not_equal_ = _compare_inplace(NE, "ne_")
    lt_ = less_ = _compare_inplace(LT, "lt_")
    le_ = less_equal_ = _compare_inplace(LE, "le_")
    gt_ = greater_ = _compare_inplace(GT, "gt_")
    ge_ = greater_equal_ = _compare_inplace(GE, "ge_")
    logical_and_ = _compare_inplace(LOGICAL_AND, "logical_and_")
    logical_or_ = _compare_inplace(LOGICAL_OR, "logical_or_")
    logical_xor_ = _compare_inplace(LOGICAL_XOR, "logical_xor_")

    def logical_not_(self):
        """In-place ``logical_not``: the result cast to self's dtype, written into self."""
        return _write_cast(self, apply(LOGICAL_NOT, self))

    def bitwise_not_(self):
        """In-place ``bitwise_not``."""
        k = self._data.dtype.kind
        if k not in "biu":
            raise NotImplementedError(
                f"\"bitwise_not_cpu\" not implemented for '{self.dtype.title}'"
            )
        return _write_cast(self, apply(LOGICAL_NOT if k == "b" else BITWISE_NOT, self))

    def bitwise_and_(self, other):
        """In-place ``bitwise_and`` (a result self's dtype cannot hold is refused)."""
        return _write_cast(self, _integral(BITWISE_AND, self, other))

    def bitwise_or_(self, other):
        """In-place ``bitwise_or``."""
        return _write_cast(self, _integral(BITWISE_OR, self, other))

    def bitwise_xor_(self, other):
        """In-place ``bitwise_xor``."""
        return _write_cast(self, _integral(BITWISE_XOR, self, other))

    __iand__ = bitwise_and_
    __ior__ = bitwise_or_
    __ixor__ = bitwise_xor_

    # PyTorch's other spellings, and in-place forms of arithmetic rows
    fix = trunc
    fix_ = _inplace(TRUNC, "fix_")
    absolute_ = _inplace(ABS, "absolute_")
    negative_ = _inplace(NEG, "negative_")
    multiply_ = _inplace(MUL, "multiply_")
    remainder_ = _inplace(REMAINDER, "remainder_")
    floor_divide_ = _inplace(FLOOR_DIVIDE, "floor_divide_")

    def subtract_(self, other, *, alpha=1):
        """In-place ``subtract`` (``sub_``)."""
        return self.sub_(other, alpha=alpha)

    def divide_(self, other, *, rounding_mode=None):
        """In-place ``divide``: true division, or floor/trunc division (``rounding_mode``)."""
        if rounding_mode is None:
            return apply_inplace(DIV, self, other)
        div(
            self.detach(),
            other.detach() if _is_tensor(other) else other,
            rounding_mode=rounding_mode,
        )
        return apply_inplace(DIV_ROUNDING, self, other, rounding_mode=rounding_mode)

    def true_divide_(self, other):
        """In-place ``true_divide`` (``div_``)."""
        return apply_inplace(DIV, self, other)
