"""Creating tensors: from data, ranges, constants and random numbers (PyTorch's names).

Floats default to float32 (``get_default_dtype``), integers to int64, as in PyTorch.
Arguments are read as PyTorch's argument parser reads them, with its errors: a size is
ints (``zeros(2.5)`` raises), a number that does not fit the dtype raises, and a random
float function refuses an integer dtype.

>>> import chainrule as torch
>>> torch.tensor([[1, 2], [3, 4]]).dtype, torch.arange(4.0)
(torch.int64, tensor([0., 1., 2., 3.]))
"""

from __future__ import annotations

import builtins
import math

from . import _convert, _state, backend
from . import dtypes as _dt
from . import random as _random
from ._convert import is_number, scalar_to, type_name
from .device import device as _device_cls
from .device import place as _place
from .device import resolve as _resolve_device
from .tensor import Tensor, make

xp = backend.default
_adopt = backend.adopt


_default_device: list = [None]  # set_default_device's device (None: the CPU)


def set_default_device(device) -> None:
    """Where creation functions put tensors when no ``device=`` is given (None: the CPU),
    as PyTorch's ``torch.set_default_device``; ``from_numpy`` and the ``*_like`` functions
    are not affected.

    >>> import chainrule as torch
    >>> torch.set_default_device("cpu"); torch.zeros(1).device
    device(type='cpu')
    >>> torch.set_default_device(None)
    """
    _default_device[0] = None if device is None else _device_cls(device)


def get_default_device():
    """The device creation functions use when none is given.

    >>> import chainrule as torch
    >>> torch.get_default_device()
    device(type='cpu')
    """
    d = _default_device[0]
    return _device_cls("cpu") if d is None else _resolve_device(d)


def _finish(arr, dtype, requires_grad, device=None) -> Tensor:
    """A leaf tensor of ``arr`` cast to ``dtype`` on ``device`` (None: the default device,
    the CPU unless set), requiring grad if asked. Data is made on the CPU and copied once
    to a GPU."""
    arr = _convert.cast(arr, dtype)
    if device is None:
        device = _default_device[0]
    if device is not None:
        arr = _place(arr, device)
    if _adopt is not None:  # the strict test backend (chainrule.backend): hand the array over
        arr = _adopt(arr)
    if requires_grad:
        _convert.check_requires_grad(arr.dtype)
    t = make(arr)
    if requires_grad:
        t.requires_grad = True
    return t


# ------------------------------------------------------------------ PyTorch's argument errors
# The signatures PyTorch lists when no overload of a function takes the arguments given.
_TAIL = (
    "torch.dtype dtype = None, torch.layout layout = None, torch.device device = None, "
    "bool pin_memory = False, bool requires_grad = False)"
)
_OUT = "Tensor out = None, " + _TAIL
_SIGNATURES = {
    "rand": (
        "(tuple of ints size, *, torch.Generator generator, " + _OUT,
        "(tuple of ints size, *, " + _OUT,
    ),
    "randint": (
        "(int high, tuple of ints size, *, torch.Generator generator, " + _OUT,
        "(int high, tuple of ints size, *, " + _OUT,
        "(int low, int high, tuple of ints size, *, torch.Generator generator, " + _OUT,
        "(int low, int high, tuple of ints size, *, " + _OUT,
    ),
    "arange": (
        "(Number end, *, " + _OUT,
        "(Number start, Number end, *, " + _TAIL,
        "(Number start, Number end, Number step = 1, *, " + _OUT,
    ),
    "linspace": tuple(
        f"({a} start, {b} end, int steps, *, " + _OUT
        for a, b in (("Tensor", "Tensor"), ("Number", "Tensor"), ("Tensor", "Number"))
        + (("Number", "Number"),)
    ),
    "logspace": tuple(
        f"({a} start, {b} end, int steps, float base = 10.0, *, " + _OUT
        for a, b in (("Tensor", "Tensor"), ("Number", "Tensor"), ("Tensor", "Number"))
        + (("Number", "Number"),)
    ),
    "eye": ("(int n, *, " + _OUT, "(int n, int m, *, " + _OUT),
    "normal": (
        "(Tensor mean, Tensor std, *, torch.Generator generator = None, Tensor out = None)",
        "(Tensor mean, float std = 1, *, torch.Generator generator = None, Tensor out = None)",
        "(float mean, Tensor std, *, torch.Generator generator = None, Tensor out = None)",
        "(float mean, float std, tuple of ints size, *, torch.Generator generator = None, " + _OUT,
    ),
}
_SIGNATURES["randn"] = _SIGNATURES["rand"]
_SIGNATURES["randperm"] = (
    "(int n, *, torch.Generator generator, " + _OUT,
    "(int n, *, " + _OUT,
)


def _arg_type(v) -> str:
    if isinstance(v, _dt.dtype):
        return "torch.dtype"
    if isinstance(v, _random.Generator):
        return "torch.Generator"
    return type_name(v)


def _invalid(name: str, args: tuple, **kwargs) -> TypeError:
    """PyTorch's error when no signature of ``name`` takes the arguments: ``args`` are the
    positional ones, ``kwargs`` the keywords given (None: not given)."""
    got = [_arg_type(a) for a in args]
    got += [f"{k}={_arg_type(v)}" for k, v in kwargs.items() if v is not None and v is not False]
    listed = "".join(f" * {s}\n" for s in _SIGNATURES[name])
    return TypeError(
        f"{name}() received an invalid combination of arguments - got ({', '.join(got)}), "
        f"but expected one of:\n{listed}"
    )


def _int_arg(v):
    """``v`` as an int if PyTorch takes it for an ``int`` argument (not a bool), else None."""
    if type(v) is builtins.bool:
        return None
    a = v._data if isinstance(v, Tensor) else v
    if isinstance(a, builtins.int):
        return builtins.int(a)
    if isinstance(a, (xp.integer, xp.ndarray)) and a.dtype.kind in "iu" and a.ndim == 0:
        return builtins.int(a)
    return None


def _source(name: str, generator, given: tuple, device=None, **kwargs):
    """The NumPy random source of ``generator`` (None: the default one of ``device``); a
    generator that is not one matches none of the function's signatures."""
    if generator is not None and not isinstance(generator, _random.Generator):
        raise _invalid(name, given, generator=generator, **kwargs)
    if device is None:
        device = _default_device[0]
    return _random.rng(generator, None if device is None else _resolve_device(device))


def _not_implemented(kernel: str, d) -> NotImplementedError:
    return NotImplementedError(f"\"{kernel}\" not implemented for '{d.title}'")


def _number(v):
    """A Number argument as a Python number."""
    if isinstance(v, Tensor):
        v = v._data
    return v.item() if isinstance(v, (xp.generic, xp.ndarray)) else v


def _is_floating(v) -> bool:
    if isinstance(v, Tensor):
        v = v._data
    if isinstance(v, (xp.generic, xp.ndarray)):
        return v.dtype.kind == "f"
    return isinstance(v, builtins.float)


# ------------------------------------------------------------------ from data
def tensor(
    data, *, dtype=None, device=None, requires_grad: bool = False, pin_memory=False
) -> Tensor:
    """A new tensor (always a copy) from nested lists, scalars, NumPy arrays or tensors.

    >>> import chainrule as torch
    >>> torch.tensor([1.0, 2, 4, 8]), torch.tensor(3), torch.tensor([True, False])
    (tensor([1., 2., 4., 8.]), tensor(3), tensor([ True, False]))
    """
    if device is None and isinstance(data, Tensor):
        device = data.device  # a copy of a tensor stays on its device
    return _finish(_convert.array_from(data, dtype), dtype, requires_grad, device)


def as_tensor(data, dtype=None, device=None) -> Tensor:
    """Like ``tensor`` but shares memory with a NumPy array (or returns a tensor itself)
    when no conversion is needed.

    >>> import chainrule as torch, numpy as np
    >>> a = np.zeros(2); t = torch.as_tensor(a); a[0] = 1; t
    tensor([1., 0.], dtype=torch.float64)
    """
    if isinstance(data, Tensor):
        if dtype is None and device is None:
            return data
        return data.to(device=device, dtype=dtype)
    if type(data).__module__.partition(".")[0] == "cupy":  # a GPU array: shared, as NumPy's
        _dt.from_numpy_dtype(data.dtype)
        return _finish(data, dtype, False, device)
    if hasattr(data, "__array__") and not isinstance(data, (list, tuple, xp.generic)):
        arr = xp.asarray(data)
        _dt.from_numpy_dtype(arr.dtype)
        return _finish(arr, dtype, False, device)
    return tensor(data, dtype=dtype, device=device)


def from_numpy(ndarray) -> Tensor:
    """A tensor sharing memory with a NumPy array (writes show in both).

    >>> import chainrule as torch, numpy as np
    >>> a = np.arange(3); t = torch.from_numpy(a); t[0] = 7; a
    array([7, 1, 2])
    """
    if not isinstance(ndarray, xp.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(ndarray).__name__})")
    _dt.from_numpy_dtype(ndarray.dtype)
    if _adopt is not None:  # the strict test backend copies (no shared memory there)
        return make(_adopt(ndarray))
    return make(ndarray)


def from_dask(array, requires_grad: bool = False) -> Tensor:
    """A ``'dask'`` tensor holding ``array``, a ``dask.array.Array`` (no copy, nothing
    computed: the tensor's ops extend its graph). Use it for data that Dask makes or
    loads chunk by chunk (``da.from_zarr``, ``da.random``, ``da.map_blocks``), which
    then never has to fit in this process; ``.to('dask', chunks=...)`` is the way for
    an array already in memory. ``.compute()``, ``.cpu()``, ``.numpy()`` and ``.item()``
    compute a value; ``.persist()`` keeps the chunks computed (on the workers, when a
    ``dask.distributed`` Client is active).

    >>> import chainrule as torch, dask.array as da
    >>> X = torch.from_dask(da.ones((6, 2), chunks=(3, 2), dtype="float32"))
    >>> X.device, X.shape
    (device(type='dask'), torch.Size([6, 2]))
    >>> (X @ torch.ones(2, 1, device="dask")).sum().item()
    12.0
    """
    if not backend.is_dask(array):
        raise TypeError(f"expected a dask.array.Array (got {type(array).__name__})")
    _dt.from_numpy_dtype(array.dtype)  # (a dtype chainrule has, or a clear error)
    return make(array, requires_grad)


# ------------------------------------------------------------------ constants
def _float(dtype):
    return _dt.to_dtype(dtype) if dtype is not None else _dt.get_default_dtype()


def _size(name: str, args: tuple, size, negative=None) -> tuple:
    """The size of ``zeros(2, 3)``, ``zeros((2, 3))`` or ``zeros(size=(2, 3))``."""
    if not args and size is None:
        raise TypeError(f'{name}() missing 1 required positional arguments: "size"')
    return _convert.size_arg(args, name, size, negative=negative)


def zeros(
    *size_args, size=None, dtype=None, device=None, requires_grad: bool = False, out=None
) -> Tensor:
    """A tensor of zeros.

    >>> import chainrule as torch
    >>> torch.zeros(2, 3).shape, torch.zeros((2,), dtype=torch.int64)
    (torch.Size([2, 3]), tensor([0, 0]))
    """
    shape = _size("zeros", size_args, size, "zeros: Dimension size must be non-negative.")
    return _finish(xp.zeros(shape, _float(dtype).np), None, requires_grad, device)


def ones(
    *size_args, size=None, dtype=None, device=None, requires_grad: bool = False, out=None
) -> Tensor:
    """A tensor of ones.

    >>> import chainrule as torch
    >>> torch.ones(2)
    tensor([1., 1.])
    """
    shape = _size("ones", size_args, size)
    return _finish(xp.ones(shape, _float(dtype).np), None, requires_grad, device)


def empty(*size_args, size=None, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """An uninitialized tensor (chainrule fills it with zeros)."""
    shape = _size("empty", size_args, size)
    return _finish(xp.zeros(shape, _float(dtype).np), None, requires_grad, device)


def _fill(name: str, fill_value, d):
    """A fill value checked as PyTorch checks it, as a value of dtype ``d`` (None: the
    dtype PyTorch gives the value)."""
    if not is_number(fill_value):
        raise TypeError(
            f"{name}(): argument 'fill_value' (position 2) must be Number, "
            f"not {type_name(fill_value)}"
        )
    if d is None:
        d = _convert.number_dtype(fill_value)
    return scalar_to(fill_value, d), d


def full(size, fill_value, *, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """A tensor filled with ``fill_value`` (dtype inferred from it, like PyTorch).

    >>> import chainrule as torch
    >>> torch.full((2,), 7), torch.full((2,), 0.5)
    (tensor([7, 7]), tensor([0.5000, 0.5000]))
    """
    if not isinstance(size, (list, tuple)):
        raise TypeError(
            f"full(): argument 'size' (position 1) must be tuple of ints, not {type_name(size)}"
        )
    shape = _convert.size_arg((size,), "full")
    v, d = _fill("full", fill_value, _dt.to_dtype(dtype) if dtype is not None else None)
    return _finish(xp.full(shape, v, d.np), None, requires_grad, device)


def eye(
    n: int, m: int | None = None, *, dtype=None, device=None, requires_grad: bool = False
) -> Tensor:
    """The identity matrix (n x m).

    >>> import chainrule as torch
    >>> torch.eye(2)
    tensor([[1., 0.],
            [0., 1.]])
    """
    rows = _int_arg(n)
    if rows is None:
        raise TypeError(f"eye(): argument 'n' (position 1) must be int, not {type_name(n)}")
    cols = rows if m is None else _int_arg(m)
    if cols is None:
        raise _invalid("eye", (n, m), dtype=dtype)
    if rows < 0:
        raise RuntimeError(f"n must be greater or equal to 0, got {rows}")
    if cols < 0:
        raise RuntimeError(f"m must be greater or equal to 0, got {cols}")
    return _finish(xp.eye(rows, cols, dtype=_float(dtype).np), None, requires_grad, device)


def _tri_indices(name: str, row: int, col: int, offset: int, dtype, device) -> Tensor:
    """The (2, N) row and column indices of a triangle of a row x col matrix, row-major."""
    if row < 0:
        raise RuntimeError(f"row must be non-negative, got{row}")
    if col < 0:
        raise RuntimeError(f"col must be non-negative, got{col}")
    d = _dt.int64 if dtype is None else _dt.to_dtype(dtype)
    if d.np.kind not in "iu":
        raise NotImplementedError(f"\"{name}\" not implemented for '{d.title}'")
    tri = xp.tril_indices if name == "tril_indices" else xp.triu_indices
    r, c = tri(row, offset, col)
    return _finish(xp.stack([r, c]).astype(d.np), None, False, device)


def tril_indices(row: int, col: int, offset: int = 0, *, dtype=None, device=None) -> Tensor:
    """The indices of the lower triangle of a row x col matrix (``offset`` diagonals up
    from the main one), as a (2, N) tensor: row indices, then column indices.

    >>> import chainrule as torch
    >>> torch.tril_indices(2, 2)
    tensor([[0, 1, 1],
            [0, 0, 1]])
    """
    return _tri_indices("tril_indices", row, col, offset, dtype, device)


def triu_indices(row: int, col: int, offset: int = 0, *, dtype=None, device=None) -> Tensor:
    """The indices of the upper triangle of a row x col matrix, as ``tril_indices``.

    >>> import chainrule as torch
    >>> torch.triu_indices(2, 2)
    tensor([[0, 0, 1],
            [0, 1, 1]])
    """
    return _tri_indices("triu_indices", row, col, offset, dtype, device)


def _like(name: str, input, dtype):
    """The shape and dtype of a ``*_like`` function's result."""
    if not isinstance(input, Tensor):
        raise TypeError(
            f"{name}(): argument 'input' (position 1) must be Tensor, not {type_name(input)}"
        )
    return input._data.shape, _dt.to_dtype(dtype) if dtype is not None else input.dtype


def _like_device(input, device):
    """A ``*_like`` result's device: ``device``, else ``input``'s (as PyTorch)."""
    return device if device is not None else input.device


def zeros_like(input, *, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """Zeros with ``input``'s shape and dtype.

    >>> import chainrule as torch
    >>> torch.zeros_like(torch.tensor([1, 2]))
    tensor([0, 0])
    """
    shape, d = _like("zeros_like", input, dtype)
    return _finish(xp.zeros(shape, d.np), None, requires_grad, _like_device(input, device))


def ones_like(input, *, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """Ones with ``input``'s shape and dtype."""
    shape, d = _like("ones_like", input, dtype)
    return _finish(xp.ones(shape, d.np), None, requires_grad, _like_device(input, device))


def empty_like(input, *, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """Like zeros_like (chainrule initializes)."""
    shape, d = _like("empty_like", input, dtype)
    return _finish(xp.zeros(shape, d.np), None, requires_grad, _like_device(input, device))


def full_like(input, fill_value, *, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """``fill_value`` with ``input``'s shape and dtype.

    >>> import chainrule as torch
    >>> torch.full_like(torch.zeros(2), 3)
    tensor([3., 3.])
    """
    shape, d = _like("full_like", input, dtype)
    v, d = _fill("full_like", fill_value, d)
    return _finish(xp.full(shape, v, d.np), None, requires_grad, _like_device(input, device))


# ------------------------------------------------------------------ ranges
_NO_STEP = object()  # arange's step when not given (PyTorch's one-argument form takes none)


def _unsupported_range(s, e) -> RuntimeError:
    return RuntimeError(f"unsupported range: {float(s):g} -> {float(e):g}")


def _wrap64(v: int) -> int:
    """``v`` as C's int64 arithmetic leaves it (wrapping around)."""
    return (v + 2**63) % 2**64 - 2**63


def arange(
    start=0, end=None, step=_NO_STEP, *, dtype=None, device=None, requires_grad: bool = False
) -> Tensor:
    """Values from start (inclusive) to end (exclusive) by step; int64 unless any bound is
    a float.

    As in PyTorch, the length is computed in double from the arguments as given, except
    for int64, where the arguments are truncated to integers first; the values are
    ``start + i * step`` (in double for float32/64, in float for float16, in int64 for the
    integer dtypes, which then wrap). PyTorch's vectorized kernel can round a float value
    differently in the last bit.

    >>> import chainrule as torch
    >>> torch.arange(4), torch.arange(1, 2.5, 0.5), torch.arange(0, 5, 1.5, dtype=torch.int64)
    (tensor([0, 1, 2, 3]), tensor([1.0000, 1.5000, 2.0000]), tensor([0, 1, 2, 3, 4]))
    """
    if end is None and step is _NO_STEP and type(start) is int and dtype is None and start >= 0:
        return _finish(xp.arange(start, dtype=xp.int64), None, requires_grad, device)  # arange(n)
    st = 1 if step is _NO_STEP else step
    if type(start) is int and type(end) is int and type(st) is int and dtype in (None, _dt.int64):
        if (
            st
            and (st > 0) == (end >= start)
            and builtins.max(abs(start), abs(end), abs(st)) < 2**62
        ):
            return _finish(xp.arange(start, end, st, dtype=xp.int64), None, requires_grad, device)
    given = (start,) if end is None else (start, end)
    if end is None:  # arange(end), and (a chainrule leniency) arange(end, step=...)
        if not is_number(start):
            raise TypeError(
                f"arange(): argument 'end' (position 1) must be Number, not {type_name(start)}"
            )
        start, end = 0, start
    if not (is_number(start) and is_number(end) and (step is _NO_STEP or is_number(step))):
        raise _invalid("arange", given + (() if step is _NO_STEP else (step,)), dtype=dtype)
    if step is _NO_STEP:
        step = 1
    floating = _is_floating(start) or _is_floating(end) or _is_floating(step)
    s, e, st = _number(start), _number(end), _number(step)
    for v in (s, e, st):
        _convert.check_scalar_int(v)
    if dtype is None:
        d = _dt.get_default_dtype() if floating else _dt.int64
    else:
        d = _dt.to_dtype(dtype)
    if d is _dt.bool:
        raise _not_implemented("arange_cpu", d)
    # PyTorch's checks, in double
    fs, fe, fst = float(s), float(e), float(st)
    if not (fst > 0 or fst < 0):
        raise RuntimeError("step must be nonzero")
    if not (math.isfinite(fs) and math.isfinite(fe)):
        raise _unsupported_range(s, e)
    if not (fst > 0 and fe >= fs or fst < 0 and fe <= fs):
        raise RuntimeError("upper bound and lower bound inconsistent with step sign")
    if d.is_floating_point:
        n = math.ceil((fe - fs) / fst)
    else:  # the bounds are truncated to int64 (checked), the values computed in int64
        xs, xe, xst = (scalar_to(v, _dt.int64) for v in (s, e, st))
        if d is _dt.int64:
            if xst == 0:
                raise ValueError("step must be nonzero")
            q = _wrap64(_wrap64(xe - xs) + xst - ((xst > 0) - (xst < 0)))
            n = abs(q) // abs(xst) * (1 if (q >= 0) == (xst > 0) else -1)
        else:
            n = math.ceil((fe - fs) / fst)
    if not 0 <= n <= 2**63 - 1:
        raise RuntimeError("invalid size, possible overflow?")
    if d is _dt.float16:
        arr = (xp.float32(fs) + xp.arange(n, dtype=xp.float32) * xp.float32(fst)).astype(d.np)
    elif d.is_floating_point:
        arr = _torch_arange(fs, fst, n, d.np)
    else:
        arr = (xs + xp.arange(n, dtype=xp.int64) * xst).astype(d.np)
    return _finish(arr, None, requires_grad, device)


def _two_sum(a, b):
    """``(s, t)`` with ``s = fl(a + b)`` and ``a + b = s + t`` exactly (Knuth)."""
    s = a + b
    v = s - a
    return s, (a - (s - v)) + (b - v)


def _fma(a, b, c):
    """``a * b + c`` rounded once (a fused multiply-add), in float64 arrays: the product's
    rounding error by Dekker's splitting, the three terms summed exactly (two-sums), and a
    rounding tie broken by what is left below it, as one rounding would."""
    p = a * b
    t = 134217729.0 * a  # 2**27 + 1: splits a 53-bit mantissa into two halves
    ah = t - (t - a)
    t = 134217729.0 * b
    bh = t - (t - b)
    al, bl = a - ah, b - bh
    e = ((ah * bh - p) + ah * bl + al * bh) + al * bl  # a * b = p + e exactly
    s1, t1 = _two_sum(p, c)
    u, w = _two_sum(t1, e)
    r, res = _two_sum(s1, u)  # a * b + c = r + res + w exactly
    tie = (res != 0) & (abs(res) == xp.spacing(abs(r)) / 2)
    return xp.where(tie & (w != 0) & ((w > 0) == (res > 0)), r + 2 * res, r)


def _torch_arange(start: float, step: float, n: int, np_dtype):
    """PyTorch's CPU values of a float arange, which are not ``start + i * step`` in the
    last place (and that moves kinks: PyTorch's ``arange(-8.0, 8.0, 0.1)`` holds no exact
    0). Its kernel runs in double with fused multiply-adds, 32-byte vectors two at a time
    from element 0: in a block it takes ``base = start + step * p`` (p the vector's first
    index; rounded to float32 for float32) and ``base + j * step`` per lane j; the elements
    after the last pair of vectors are ``start + step * i``. This is PyTorch on one thread;
    above 32768 elements several threads may start blocks elsewhere."""
    width = 32 // xp.dtype(np_dtype).itemsize
    i = xp.arange(n, dtype=xp.float64)
    first = xp.floor(i / width) * width
    base = _fma(first, step, start)
    if np_dtype == xp.float32:
        base = base.astype(xp.float32).astype(xp.float64)
    paired = n // (2 * width) * (2 * width)
    vals = xp.where(i < paired, _fma(i - first, step, base), _fma(i, step, start))
    return vals.astype(np_dtype)


def _steps(name: str, start, end, steps, dtype) -> int:
    n = _int_arg(steps)
    if n is None or not is_number(start) or not is_number(end):
        raise _invalid(name, (start, end, steps), dtype=dtype)
    if n < 0:
        raise RuntimeError("number of steps must be non-negative")
    return n


def _spaced(start, end, n: int, d):
    """PyTorch's linspace kernel: start and end in dtype ``d`` (checked), the step in
    double for an integer dtype (else in ``d``), the first half of the values counted from
    start and the second half back from end, so that both ends are exact. An integer
    dtype's values are truncated doubles."""
    acc = d.np.type if d.is_floating_point else xp.float64
    lo, hi = acc(scalar_to(start, d)), acc(scalar_to(end, d))
    step = (hi - lo) / acc(n - 1)
    half = n // 2
    i = xp.arange(n, dtype=acc)
    return xp.concatenate((lo + step * i[:half], hi - step * (acc(n - 1) - i[half:])))


def linspace(
    start, end, steps: int, *, dtype=None, device=None, requires_grad: bool = False
) -> Tensor:
    """``steps`` evenly spaced values from start to end, both included.

    >>> import chainrule as torch
    >>> torch.linspace(0, 1, 5), torch.linspace(0, 10, 5, dtype=torch.int64)
    (tensor([0.0000, 0.2500, 0.5000, 0.7500, 1.0000]), tensor([ 0,  2,  5,  7, 10]))
    """
    n = _steps("linspace", start, end, steps, dtype)
    d = _float(dtype)
    if d is _dt.bool:
        raise _not_implemented("linspace_cpu", d)
    if n <= 1:  # PyTorch reads end only for two steps or more
        arr = xp.full(n, scalar_to(start, d) if n else 0, d.np)
    else:
        arr = _spaced(start, end, n, d)
        if not d.is_floating_point:
            arr = xp.trunc(arr)
    return _finish(arr.astype(d.np), None, requires_grad, device)


def logspace(
    start, end, steps: int, base: float = 10.0, *, dtype=None, device=None, requires_grad=False
) -> Tensor:
    """``base ** linspace(start, end, steps)``, the exponents spaced as ``linspace`` spaces
    them (for an integer dtype: from start and end as integers, the powers truncated).

    >>> import chainrule as torch
    >>> torch.logspace(0, 2, 3), torch.logspace(0, 3, 4, base=2, dtype=torch.int64)
    (tensor([  1.,  10., 100.]), tensor([1, 2, 4, 8]))
    """
    n = _steps("logspace", start, end, steps, dtype)
    d = _float(dtype)
    if d is _dt.bool:
        raise _not_implemented("logspace_cpu", d)
    acc = d.np.type if d.is_floating_point else xp.float64
    with xp.errstate(over="ignore", invalid="ignore"):
        if n <= 1:  # one step: base ** start (in double), checked as a fill value
            v = (xp.float64(base) ** xp.float64(_number(start))).item()
            return _finish(
                xp.full(n, scalar_to(v, d) if n else 0, d.np), None, requires_grad, device
            )
        arr = acc(base) ** _spaced(start, end, n, d)
        if not d.is_floating_point:  # a double to an integer: truncated, and wrapped as C does
            arr = arr.astype(xp.int64)
    return _finish(arr.astype(d.np), None, requires_grad, device)


# ------------------------------------------------------------------ random
# The random source (Generator, manual_seed, ...) is chainrule.random; these draw from it.
def _random_size(name: str, args: tuple, size, **kwargs) -> tuple:
    if not args and size is None or len(args) > 1 and _int_arg(args[0]) is None:
        raise _invalid(name, args, **kwargs)
    return _convert.size_arg(args, name, size)


def rand(
    *size_args, size=None, generator=None, dtype=None, device=None, requires_grad: bool = False
) -> Tensor:
    """Uniform samples on [0, 1).

    >>> import chainrule as torch
    >>> torch.rand(2, 3).shape
    torch.Size([2, 3])
    """
    shape = _random_size("rand", size_args, size, generator=generator, dtype=dtype)
    source = _source("rand", generator, size_args, device, dtype=dtype)
    d = _float(dtype)
    if not d.is_floating_point:
        raise _not_implemented("check_uniform_bounds", d)
    arr = _random.uniform(source, math.prod(shape), d.np).reshape(shape)
    return _finish(arr, None, requires_grad, device)


def randn(
    *size_args, size=None, generator=None, dtype=None, device=None, requires_grad: bool = False
) -> Tensor:
    """Standard normal samples.

    >>> import chainrule as torch
    >>> torch.randn(size=(), requires_grad=True).shape
    torch.Size([])
    """
    shape = _random_size("randn", size_args, size, generator=generator, dtype=dtype)
    source = _source("randn", generator, size_args, device, dtype=dtype)
    d = _float(dtype)
    if not d.is_floating_point:
        raise _not_implemented("normal_kernel_cpu", d)
    arr = _random.normal(source, math.prod(shape), d.np).reshape(shape)
    return _finish(arr, None, requires_grad, device)


def _tuple_size(name: str, given: tuple, size, **kwargs) -> tuple:
    """A ``tuple of ints size`` argument of a function with several signatures: anything
    else matches none of them."""
    if not isinstance(size, (list, tuple)) or not builtins.all(
        _int_arg(s) is not None or type(s) is builtins.bool for s in size
    ):
        raise _invalid(name, given, **kwargs)
    return _convert.size_arg((size,), name)


# How PyTorch names a dtype when randint's bounds do not fit it.
_RANDINT_NAME = {
    _dt.int8: "signed char",
    _dt.int16: "short int",
    _dt.int32: "int",
    _dt.uint8: "unsigned char",
    _dt.bool: "bool",
    _dt.float16: "c10::Half",
}


def randint(
    low=0,
    high=None,
    size=None,
    *,
    generator=None,
    dtype=None,
    device=None,
    requires_grad: bool = False,
) -> Tensor:
    """Uniform integers in [low, high); int64 by default. ``randint(high, size)`` or
    ``randint(low, high, size)``.

    >>> import chainrule as torch
    >>> torch.randint(0, 10, (3,)).dtype, torch.randint(5, (2, 2)).shape
    (torch.int64, torch.Size([2, 2]))
    """
    given = tuple(a for a in (low, high, size) if a is not None)
    if size is None and isinstance(high, (list, tuple)):
        low, high, size = 0, low, high  # randint(high, size)
    elif size is None and high is not None and _int_arg(low) is not None:
        if _int_arg(high) is not None:
            raise TypeError(
                f"randint(): argument 'size' (position 2) must be tuple of ints, "
                f"not {type_name(high)}"
            )
    lo, hi = _int_arg(low), _int_arg(high) if high is not None else None
    if lo is None or hi is None or not isinstance(size, (list, tuple)):
        raise _invalid("randint", given, dtype=dtype, generator=generator)
    if not (-(2**63) <= lo < 2**63 and -(2**63) <= hi < 2**63):
        raise ValueError("Overflow when unpacking long long")
    shape = _tuple_size("randint", given, size, dtype=dtype, generator=generator)
    source = _source("randint", generator, given, device, dtype=dtype)
    if lo >= hi:
        raise RuntimeError(
            f"random_ expects 'from' to be less than 'to', but got from={lo} >= to={hi}"
        )
    d = _dt.to_dtype(dtype) if dtype is not None else _dt.int64
    if d in _RANDINT_NAME:
        if d is _dt.float16:  # (PyTorch warns beyond 2**11, where float16 skips integers)
            bound_lo, bound_hi = -65504, 65504
        elif d is _dt.bool:
            bound_lo, bound_hi = 0, 1
        else:
            bound_lo, bound_hi = _convert._LIMITS[d]
        if not bound_lo <= lo <= bound_hi:
            raise RuntimeError(f"from is out of bounds for {_RANDINT_NAME[d]}")
        if not bound_lo <= hi - 1 <= bound_hi:
            raise RuntimeError(f"to - 1 is out of bounds for {_RANDINT_NAME[d]}")
    arr = _random.integers(source, math.prod(shape), lo, hi).reshape(shape)
    return _finish(arr.astype(d.np), None, requires_grad, device)


# The largest n randperm takes for a floating dtype (every integer below it exact).
_RANDPERM_FLOAT = {
    _dt.float16: (2049, "2049", "Half"),
    _dt.float32: (2**24 + 1, "2^24+1", "Float"),
    _dt.float64: (2**53 + 1, "2^53+1", "Double"),
}


def randperm(
    n: int, *, generator=None, dtype=None, device=None, requires_grad: bool = False
) -> Tensor:
    """A random permutation of 0..n-1.

    >>> import chainrule as torch
    >>> sorted(torch.randperm(4).tolist())
    [0, 1, 2, 3]
    """
    k = _int_arg(n)
    if k is None and (dtype is not None or generator is not None):
        raise _invalid("randperm", (n,), generator=generator, dtype=dtype)
    if k is None:
        raise TypeError(f"randperm(): argument 'n' (position 1) must be int, not {type_name(n)}")
    source = _source("randperm", generator, (n,), device, dtype=dtype)
    if k < 0:
        raise RuntimeError(f"Trying to create tensor with negative dimension {k}: [{k}]")
    d = _dt.to_dtype(dtype) if dtype is not None else _dt.int64
    if d is _dt.bool:
        raise _not_implemented("randperm", d)
    if d.is_floating_point:
        most, text, title = _RANDPERM_FLOAT[d]
        if k > most:
            raise RuntimeError(f"n cannot be greater than {text} for {title} type.")
    elif k and d is not _dt.int64:
        scalar_to(k - 1, d)  # the largest value must fit
    return _finish(_random.permutation(source, k).astype(d.np), None, requires_grad, device)


def rand_like(
    input, *, dtype=None, device=None, requires_grad: bool = False, generator=None
) -> Tensor:
    """Uniform samples in [0, 1) with ``input``'s shape, dtype and device.

    >>> import chainrule as torch
    >>> torch.rand_like(torch.zeros(2, 3)).shape
    torch.Size([2, 3])
    """
    shape, d = _like("rand_like", input, dtype)
    device = _like_device(input, device)
    return rand(shape, generator=generator, dtype=d, device=device, requires_grad=requires_grad)


def randn_like(
    input, *, dtype=None, device=None, requires_grad: bool = False, generator=None
) -> Tensor:
    """Standard normal samples with ``input``'s shape, dtype and device."""
    shape, d = _like("randn_like", input, dtype)
    device = _like_device(input, device)
    return randn(shape, generator=generator, dtype=d, device=device, requires_grad=requires_grad)


def randint_like(
    input, low=0, high=None, *, dtype=None, device=None, requires_grad=False, generator=None
) -> Tensor:
    """Uniform integers in [low, high) (``randint_like(x, high)`` or ``(x, low, high)``),
    with ``input``'s shape, dtype and device.

    >>> import chainrule as torch
    >>> torch.randint_like(torch.zeros(2, dtype=torch.int32), 3).dtype
    torch.int32
    """
    if high is None:
        low, high = 0, low
    shape, d = _like("randint_like", input, dtype)
    device = _like_device(input, device)
    return randint(
        low, high, shape, generator=generator, dtype=d, device=device, requires_grad=requires_grad
    )


def _std_error(std) -> RuntimeError:
    return RuntimeError(f"normal expects std >= 0.0, but found std {float(std):g}")


def normal(
    mean=0.0,
    std=1.0,
    size=None,
    *,
    generator=None,
    dtype=None,
    device=None,
    requires_grad: bool = False,
) -> Tensor:
    """Normal samples with the given mean and std: numbers with ``size``, or tensors (the
    result has their broadcast shape, and the dtype of the tensor mean, else of std).

    >>> import chainrule as torch
    >>> torch.normal(0, 0.01, size=(3, 2)).shape
    torch.Size([3, 2])
    """
    tm, ts = isinstance(mean, Tensor), isinstance(std, Tensor)
    if tm or ts:
        if size is not None or dtype is not None:
            given = (mean, std) + (() if size is None else (size,))
            raise _invalid("normal", given, dtype=dtype)
        if tm and not ts and not is_number(std) or ts and not tm and not is_number(mean):
            raise _invalid("normal", (mean, std))
        d = mean.dtype if tm else std.dtype
        if not d.is_floating_point:
            raise _not_implemented("normal_kernel_cpu", d)
        if device is None:
            device = mean.device if tm else std.device
        m = backend.to_numpy(mean._data) if tm else _number(mean)
        s = backend.to_numpy(std._data) if ts else _number(std)
        if ts:
            if xp.any(~(s >= 0)):
                raise RuntimeError("normal expects all elements of std >= 0.0")
        elif not s >= 0:
            raise _std_error(s)
        shape = _state.broadcast_shape(xp.shape(m), xp.shape(s))
    else:
        if size is None or not is_number(mean) or not is_number(std):
            given = (mean, std) + ((size,) if size is not None else ())
            raise _invalid("normal", given, dtype=dtype)
        shape = _tuple_size("normal", (mean, std, size), size, dtype=dtype)
        d = _float(dtype)
        if not d.is_floating_point:
            raise _not_implemented("normal_kernel_cpu", d)
        m, s = _number(mean), _number(std)
        if not s >= 0:
            raise _std_error(s)
    given = (mean, std) + (() if size is None else (size,))
    source = _source("normal", generator, given, device, dtype=dtype)
    n = math.prod(shape)
    if not (tm or ts):
        arr = _random.normal(source, n, d.np, m, s)
    elif not ts:  # as PyTorch: N(0, std) samples, then + mean
        arr = _random.normal(source, n, d.np, 0.0, s) + xp.asarray(m, dtype=d.np).ravel()
    else:  # N(0, 1) samples, * std, + mean (each rounded to the dtype)
        arr = _random.normal(source, n, d.np).reshape(shape) * xp.asarray(s, dtype=d.np)
        arr = arr + xp.asarray(m, dtype=d.np)
    return _finish(xp.asarray(arr).reshape(shape).astype(d.np), None, requires_grad, device)
