"""NumPy's names over array-api-strict: the adapter namespace of the strict test backend.

The derivative table calls NumPy's names on the namespace of its inputs (``xp.add.reduce``,
``xp.concatenate``, ``xp.where``...). For NumPy and CuPy that namespace is the library
itself. For a library that offers only the Python array API standard, it is an adapter like
this module: each NumPy name the table uses, written over the standard's functions (and
nothing else), so that running chainrule's tests on ``array_api_strict`` shows which ops
lean on NumPy-only behaviour. It is used only when ``CHAINRULE_ARRAY_BACKEND=
array_api_strict`` (see ``chainrule.backend``); NumPy never pays for it.

What the standard lacks, and how this adapter gives it (each a stated exception):

- ``dtype.kind`` (NumPy's one-letter kind: ``'f'``, ``'c'``, ``'i'``, ``'u'``, ``'b'``).
  The table reads it in apply's hot path (an attribute, ~15 ns); a helper function there
  would cost every NumPy op. So :func:`install` gives array-api-strict's ``DType`` class
  read-only ``kind``, ``itemsize``, ``char`` and ``name`` properties (derived from the
  dtype, the same facts ``xp.isdtype`` and ``xp.finfo`` give), and NumPy dtypes passed to
  this module's creation functions are translated by name. Dtype introspection is
  therefore the one part of the contract the strict run does not check.
- NumPy's indexing (``x[idx]`` with a partial index, a slice beside an integer array, a
  mask beside other indices, a write through integer arrays): the standard indexes every
  axis, integer arrays only with integer arrays, a mask only alone, and writes through
  no integer array. :func:`index_key` spells a NumPy index with the standard's (the same
  elements, the same result shape); :func:`getitem` and :func:`setitem` use it, the
  table reaches them through ``backend.getitem``/``backend.setitem`` and the array
  namespace's ``getitem``/``index_grad``.
- memory layout (strides, overlap, contiguity) and strided views (a writable ``expand``
  or ``diagonal``, conv's windows): the standard names no layout. Its interchange
  protocol does carry one: DLPack. :func:`host_view` is a NumPy array over a strict
  array's own memory (``np.from_dlpack``, no copy), :func:`from_host` hands a strided
  view of it back (``xp.from_dlpack``), so the backend layer builds those views, and
  reads strides and overlap, on the host view: writes through them reach the array, as
  PyTorch's views do. (array-api-strict keeps its arrays in host memory; a device
  backend would need its own.)
- complex from real and imaginary parts (``torch.complex``): the standard has no
  constructor from parts and no view of float pairs as complex, and ``re + 1j * im``
  makes ``0 * inf`` NaN; :func:`complex_from` joins the parts on the host (NumPy).
- scatter-add (``add.at``): :func:`scatter_add` over the standard, by a one-hot matrix
  product (exact for repeated indices; O(n * m) memory, fine for tests); ``multiply.at``,
  ``maximum.at``, ``minimum.at`` (scatter_reduce) by a reduction over the same matrix.
- floating-point warnings (``errstate``): the standard names none, but array-api-strict
  lets NumPy's through, so NumPy's ``errstate`` silences them.
- NumPy's signatures of the standard's functions (``argsort(kind=)``, ``linalg.qr(mode=
  "r")``, ``eigh(UPLO=)``, ``svd(compute_uv=)``, ``tril(x, k)``, ``cumsum(dtype=)``...)
  and a few NumPy names (``bincount``, ``unique``, ``isclose``, ``take`` of a list):
  written over the standard's. ``linalg.LinAlgError`` is NumPy's (the standard names no
  errors, and array-api-strict lets NumPy's through).
- float16: not a dtype of the standard; tests that need it skip (tests/strict_skips.py).
"""

from __future__ import annotations

import builtins
import math
import sys

import array_api_strict as _s
import numpy as _np

ndarray = type(_s.asarray(0))  # the array type (the public module does not name it)

ADAPTER = True  # NumPy's names over the standard; arrays without NumPy's methods
nan, inf, pi, e, newaxis = _s.nan, _s.inf, _s.pi, _s.e, None

_NAMES = (
    "bool int8 int16 int32 int64 uint8 uint16 uint32 uint64 float32 float64 complex64 complex128"
)
_BY_NAME = {n: getattr(_s, n) for n in _NAMES.split()}
bool_ = _s.bool
for _n, _d in _BY_NAME.items():
    if _n != "bool":
        setattr(sys.modules[__name__], _n, _d)


def dtype_of(d):
    """A strict dtype for any dtype spelling (a strict dtype, a NumPy dtype or type, a name,
    a Python type); None stays None."""
    if d is None or isinstance(d, _s._dtypes.DType):
        return d
    if d is bool:
        return _s.bool
    if d is float:
        return _s.float64
    if d is int:
        return _s.int64
    if d is complex:
        return _s.complex128
    return _BY_NAME[_np.dtype(d).name]


def install() -> None:
    """Give strict dtypes NumPy's ``kind``/``itemsize``/``char`` (read-only facts the table
    reads in its hot path; see the module's docstring)."""
    dt = _s._dtypes.DType
    if not hasattr(dt, "kind"):
        dt.kind = property(lambda d: d._np_dtype.kind)
        dt.itemsize = property(lambda d: d._np_dtype.itemsize)
        dt.char = property(lambda d: d._np_dtype.char)
        dt.name = property(lambda d: d._np_dtype.name)


def asnumpy(a):
    """A strict array as a NumPy array (printing, saving, host-side checks)."""
    return _np.asarray(a)


def adopt(a):
    """A NumPy array, NumPy scalar or Python number as a strict array (creation functions
    make NumPy arrays; under this backend they are handed over here)."""
    if isinstance(a, ndarray):
        return a
    a = _np.asarray(a)
    if a.dtype.kind not in "biufc":
        return a
    return _s.asarray(a)


# ------------------------------------------------------------------ creation
def asarray(a, dtype=None, copy=None):
    if isinstance(a, (list, tuple)) and any(isinstance(v, ndarray) for v in a):
        return stack([asarray(v) for v in a])
    if not isinstance(a, (ndarray, bool, int, float, complex)):
        a = adopt(a)
    return _s.asarray(a, dtype=dtype_of(dtype), copy=copy)


def array(a, dtype=None, copy=True):
    return asarray(a, dtype=dtype, copy=copy or None)


def zeros(shape, dtype=None):
    return _s.zeros(shape, dtype=dtype_of(dtype) or _s.float64)


def ones(shape, dtype=None):
    return _s.ones(shape, dtype=dtype_of(dtype) or _s.float64)


def empty(shape, dtype=None):
    return _s.empty(shape, dtype=dtype_of(dtype) or _s.float64)


def full(shape, fill_value, dtype=None):
    return _s.full(shape, fill_value, dtype=dtype_of(dtype))


def zeros_like(a, dtype=None):
    return _s.zeros_like(a, dtype=dtype_of(dtype))


def ones_like(a, dtype=None):
    return _s.ones_like(a, dtype=dtype_of(dtype))


def full_like(a, fill_value, dtype=None):
    return _s.full_like(a, fill_value, dtype=dtype_of(dtype))


def empty_like(a, dtype=None):
    return _s.empty_like(a, dtype=dtype_of(dtype))


def eye(n, m=None, k=0, dtype=None):
    return _s.eye(n, m, k=k, dtype=dtype_of(dtype) or _s.float64)


def arange(*args, dtype=None):
    return _s.arange(*args, dtype=dtype_of(dtype))


def ascontiguousarray(a):
    """``a`` in C order: itself where it is, else a C-ordered copy (the layout is read, and
    the copy made, on the host view: the standard has no memory layout)."""
    h = host_view(a)
    return a if h.flags.c_contiguous else from_host(_np.ascontiguousarray(h))


def copy(a):
    return _s.asarray(a, copy=True)


# ------------------------------------------------------------------ dtypes
def astype(a, dtype, copy=True):
    return _s.astype(a, dtype_of(dtype), copy=copy)


def result_type(*args):
    return _s.result_type(*(dtype_of(a) if not isinstance(a, ndarray) else a for a in args))


def finfo(d):
    return _s.finfo(dtype_of(d))


def iinfo(d):
    return _s.iinfo(dtype_of(d))


# ------------------------------------------------------------------ shapes
def reshape(a, shape, copy=None):
    return _s.reshape(a, tuple(shape) if not isinstance(shape, int) else (shape,), copy=copy)


def transpose(a, axes=None):
    if axes is None:
        axes = tuple(range(a.ndim))[::-1]
    return _s.permute_dims(a, tuple(axes))


def swapaxes(a, i, j):
    axes = list(range(a.ndim))
    axes[i], axes[j] = axes[j], axes[i]
    return _s.permute_dims(a, tuple(axes))


def moveaxis(a, src, dst):
    return _s.moveaxis(a, src, dst)


def squeeze(a, axis=None):
    if axis is None:
        axis = tuple(d for d, n in enumerate(a.shape) if n == 1)
    return _s.squeeze(a, axis=axis)


def expand_dims(a, axis):
    if isinstance(axis, tuple):
        return _s.expand_dims(a, axis=axis) if len(axis) != 1 else _s.expand_dims(a, axis=axis[0])
    return _s.expand_dims(a, axis=axis)


def concatenate(arrays, axis=0):
    return _s.concat(list(arrays), axis=axis)


def stack(arrays, axis=0):
    return _s.stack(list(arrays), axis=axis)


def broadcast_to(a, shape):
    return _s.broadcast_to(a, tuple(shape))


def flip(a, axis=None):
    return _s.flip(a, axis=axis)


def diagonal(a, offset=0, axis1=0, axis2=1):
    a = _s.moveaxis(a, (axis1, axis2), (-2, -1))
    return _s.linalg.diagonal(a, offset=offset)


def ravel(a):
    return _s.reshape(a, (-1,))


def shape(a):
    return a.shape


# ------------------------------------------------------------------ elementwise
def _names(**kw):
    for numpy_name, std_name in kw.items():
        setattr(sys.modules[__name__], numpy_name, getattr(_s, std_name))


_names(
    power="pow",
    arcsin="asin",
    arccos="acos",
    arctan="atan",
    arcsinh="asinh",
    arccosh="acosh",
    arctanh="atanh",
    arctan2="atan2",
    invert="bitwise_invert",
    bitwise_not="bitwise_invert",
    true_divide="divide",
)


def where(cond, a, b):
    if not isinstance(a, ndarray) and not isinstance(b, ndarray):  # the standard: one array
        a = _s.asarray(a)  # (NumPy: a Python float is float64, an int int64)
    return _s.where(cond, a, b)


def tril(a, k=0):
    return _s.tril(a, k=k)


def triu(a, k=0):
    return _s.triu(a, k=k)


def take(a, indices, axis=None):
    if not isinstance(indices, ndarray):  # NumPy takes a list or a range
        indices = _s.asarray(list(indices), dtype=_s.int64)
    if axis is None:
        a, axis = ravel(a), 0
    return _s.take(a, indices, axis=axis)


def isclose(a, b, rtol=1e-05, atol=1e-08, equal_nan=False):
    """NumPy's: ``|a - b| <= atol + rtol * |b|`` where both are finite, else equal."""
    if not isinstance(b, ndarray):
        b = _s.asarray(b, dtype=a.dtype)
    fin = _s.logical_and(_s.isfinite(a), _s.isfinite(b))
    close = _s.where(fin, _s.abs(a - b) <= atol + rtol * _s.abs(b), a == b)
    if equal_nan:
        close = _s.logical_or(close, _s.logical_and(_s.isnan(a), _s.isnan(b)))
    return close


def conjugate(a):
    return _s.conj(a)


def isposinf(a):
    return _s.logical_and(_s.isinf(a), a > 0)


def isneginf(a):
    return _s.logical_and(_s.isinf(a), a < 0)


def angle(a):
    return _s.atan2(_s.imag(a), _s.real(a))


# ------------------------------------------------------------------ reductions
class _Reducer:
    """NumPy's ``add.reduce``/``add.at`` pair for one operation, over the standard."""

    def __init__(self, op, reduce):
        self._op, self._reduce = op, reduce

    def __call__(self, *args, **kw):
        return self._op(*args, **kw)

    def reduce(self, a, axis=0, keepdims=False, dtype=None, initial=None):
        if isinstance(axis, list):
            axis = tuple(axis)
        if dtype is not None:  # accumulate in dtype, as NumPy does
            a = astype(a, dtype)
        elif a.dtype == _s.bool and self._op in (_s.add, _s.multiply):
            a = astype(a, _s.int64)  # NumPy counts bools as ints
        return self._reduce(a, axis=axis, keepdims=keepdims)

    def at(self, z, idx, g):
        if self._op is _s.add:
            scatter_add(z, idx, g)
            return
        # (multiply, maximum, minimum: scatter_reduce) each position's values reduced over
        # a one-hot matrix whose other entries hold the operation's identity, then applied
        n = math.prod(z.shape)
        pos = getitem(_s.reshape(_s.arange(n, dtype=_s.int64), z.shape), idx)
        if not math.prod(pos.shape):
            return
        g = _s.broadcast_to(g, pos.shape) if g.shape != pos.shape else g
        onehot = _s.reshape(pos, (-1, 1)) == _s.reshape(_s.arange(n), (1, -1))
        if self._op is _s.multiply:
            start = 1
        elif _s.isdtype(z.dtype, "real floating"):
            start = -math.inf if self._op is _s.maximum else math.inf
        else:
            info = _s.iinfo(z.dtype)
            start = info.min if self._op is _s.maximum else info.max
        fill = _s.full((1, n), start, dtype=z.dtype)
        reduced = self._reduce(_s.where(onehot, _s.reshape(g, (-1, 1)), fill), axis=0)
        reduced = _s.astype(reduced, z.dtype)  # (the standard's prod widens integers)
        flat = _s.reshape(z, (-1,))
        hit = _s.any(onehot, axis=0)
        z[...] = _s.reshape(_s.where(hit, self._op(flat, reduced), flat), z.shape)


add = _Reducer(_s.add, _s.sum)
multiply = _Reducer(_s.multiply, _s.prod)
maximum = _Reducer(_s.maximum, _s.max)
minimum = _Reducer(_s.minimum, _s.min)


def _axis(axis):
    return tuple(axis) if isinstance(axis, list) else axis


def sum(a, axis=None, keepdims=False, dtype=None):
    if a.dtype == _s.bool:  # NumPy counts bools as ints
        a = _s.astype(a, dtype_of(dtype) or _s.int64)
    return _s.sum(a, axis=_axis(axis), keepdims=keepdims, dtype=dtype_of(dtype))


def prod(a, axis=None, keepdims=False, dtype=None):
    return _s.prod(a, axis=_axis(axis), keepdims=keepdims, dtype=dtype_of(dtype))


def mean(a, axis=None, keepdims=False):
    return _s.mean(a, axis=_axis(axis), keepdims=keepdims)


def cumsum(a, axis=None, dtype=None):
    if axis is None:
        a, axis = ravel(a), 0
    if a.dtype == _s.bool or dtype is not None:  # NumPy counts bools as ints
        a = _s.astype(a, dtype_of(dtype) or _s.int64)
    return _s.cumulative_sum(a, axis=axis)


def cumprod(a, axis=None, dtype=None):
    if axis is None:
        a, axis = ravel(a), 0
    if dtype is not None:
        a = _s.astype(a, dtype_of(dtype))
    return _s.cumulative_prod(a, axis=axis)


def count_nonzero(a, axis=None):
    return _s.count_nonzero(a, axis=axis)


# ------------------------------------------------------------------ linear algebra
def outer(a, b):
    return _s.reshape(a, (-1, 1)) * _s.reshape(b, (1, -1))


def dot(a, b):
    if a.ndim == 0 or b.ndim == 0:
        return a * b
    return _s.matmul(a, b) if b.ndim <= 2 else _s.tensordot(a, b, axes=([-1], [-2]))


def vdot(a, b):
    return _s.sum(_s.conj(ravel(a)) * ravel(b))


# ------------------------------------------------------------------ indexing
def take_along_axis(a, idx, axis):
    return _s.take_along_axis(a, idx, axis=axis)


def indices(shape, sparse=False):
    out = []
    for d, n in enumerate(shape):
        s = [1] * len(shape)
        s[d] = n
        r = _s.reshape(_s.arange(n, dtype=_s.int64), tuple(s))
        out.append(r if sparse else _s.broadcast_to(r, tuple(shape)))
    return tuple(out)


def _is_array(i) -> bool:
    return isinstance(i, ndarray)


def index_key(shape, idx) -> tuple:
    """NumPy's index ``idx`` into an array of ``shape``, spelt as the standard allows: it
    indexes every axis (no implicit trailing ``:``), and an integer array goes only with
    other integer arrays and ints (no slices, no newaxis), a boolean mask only alone. So a
    mixed index becomes integer arrays alone: a slice the positions it takes, a mask its
    ``nonzero``, each shaped to land on the axis NumPy gives it (the broadcast array axes in
    place when the array indices are adjacent, else first). The same elements, the same
    result shape."""
    idx = idx if isinstance(idx, tuple) else (idx,)
    # (index arrays the table made on the host, NumPy's, join this backend)
    idx = tuple(_s.asarray(i) if isinstance(i, _np.ndarray) else i for i in idx)
    n_used = builtins.sum(
        (i.ndim if _is_array(i) and i.dtype == _s.bool else 1)
        for i in idx
        if i is not None and i is not Ellipsis
    )
    out = []
    for i in idx:  # the ellipsis (or the end) spelt out as slices
        if i is Ellipsis:
            out += [slice(None)] * (len(shape) - n_used)
        else:
            out.append(i)
    if not builtins.any(i is Ellipsis for i in idx):
        out += [slice(None)] * (len(shape) - n_used)
    if not builtins.any(_is_array(i) for i in out):
        return tuple(out)
    if len(out) == 1:  # one integer array on a 1-d array, or a mask over every axis
        return tuple(out)
    # entries: ("adv", array) or ("dim", positions or None for a new axis)
    entries, d = [], 0
    for i in out:
        if _is_array(i) and i.dtype == _s.bool:
            entries += [("adv", a) for a in _s.nonzero(i)]
            d += i.ndim
        elif _is_array(i) or isinstance(i, int):
            entries.append(("adv", i if _is_array(i) else _s.asarray(i, dtype=_s.int64)))
            d += 1
        elif i is None:
            entries.append(("new", None))
        else:
            entries.append(("dim", _s.arange(*i.indices(shape[d]), dtype=_s.int64)))
            d += 1
    kinds = [k for k, _ in entries]
    first = kinds.index("adv")
    last = len(kinds) - 1 - kinds[::-1].index("adv")
    adjacent = builtins.all(k == "adv" for k in kinds[first : last + 1])
    bshape = _s.broadcast_shapes(*(a.shape for k, a in entries if k == "adv"))
    others = [(n, a) for n, (k, a) in enumerate(entries) if k != "adv"]
    # the result's axes: the other entries' in order, the broadcast block at ``at``
    at = builtins.sum(1 for n, _ in others if n < first) if adjacent else 0
    rank = len(others) + len(bshape)
    key = []
    for n, (k, a) in enumerate(entries):
        if k == "adv":
            lead = (1,) * (at + len(bshape) - a.ndim)
            key.append(_s.reshape(a, lead + a.shape + (1,) * (rank - len(lead) - a.ndim)))
        elif k == "dim":
            j = [m for m, _ in others].index(n)
            axis = j if j < at else j + len(bshape)
            key.append(_s.reshape(a, (1,) * axis + a.shape + (1,) * (rank - axis - 1)))
    # (a new axis is a result axis that no array spans: size 1 in the broadcast)
    return tuple(key)


def getitem(a, idx):
    """``a[idx]`` with NumPy's meaning of ``idx`` (see :func:`index_key`)."""
    return a[index_key(a.shape, idx)]


def setitem(a, idx, v) -> None:
    """``a[idx] = v`` with NumPy's meaning of ``idx``. The standard writes through ints,
    slices and a lone mask only, so an integer-array write is a select over the flat
    positions (the last write to a position wins, as NumPy's)."""
    key = index_key(a.shape, idx)
    if not builtins.any(_is_array(i) for i in key) or (len(key) == 1 and key[0].dtype == _s.bool):
        if builtins.any(i is None for i in key):
            # the standard writes through no new axis: drop them, and reshape v to match
            target = a[key].shape
            key = tuple(i for i in key if i is not None)
            v = _s.reshape(_s.broadcast_to(asarray(v, dtype=a.dtype), target), a[key].shape)
        a[key] = v
        return
    n = math.prod(a.shape)
    pos = _s.reshape(_s.reshape(_s.arange(n, dtype=_s.int64), a.shape)[key], (-1, 1))
    m = pos.shape[0]
    vals = _s.reshape(_s.broadcast_to(asarray(v, dtype=a.dtype), key_shape(key)), (-1,))
    hit = pos == _s.reshape(_s.arange(n, dtype=_s.int64), (1, -1))  # (m, n)
    last = _s.max(_s.where(hit, _s.reshape(_s.arange(m, dtype=_s.int64), (-1, 1)), -1), axis=0)
    new = _s.take(vals, _s.clip(last, 0, None)) if m else _s.zeros((n,), dtype=a.dtype)
    a[...] = _s.reshape(_s.where(last >= 0, new, _s.reshape(a, (-1,))), a.shape)


def key_shape(key) -> tuple:
    """The shape an integer-array key gives (its arrays broadcast)."""
    return tuple(_s.broadcast_shapes(*(i.shape for i in key)))


def scatter_add(z, idx, g) -> None:
    """``z[idx] += g`` with repeated indices adding up, over the standard: the flat
    positions of ``idx`` in ``z``, then one one-hot matrix product."""
    pos = getitem(_s.reshape(_s.arange(math.prod(z.shape), dtype=_s.int64), z.shape), idx)
    g = _s.broadcast_to(g, pos.shape) if g.shape != pos.shape else g
    onehot = _s.astype(
        _s.reshape(pos, (-1, 1)) == _s.reshape(_s.arange(math.prod(z.shape)), (1, -1)), g.dtype
    )
    z[...] = z + _s.reshape(_s.matmul(_s.reshape(g, (1, -1)), onehot), z.shape)


def bincount(a, minlength=0):
    n = builtins.max(minlength, int(_s.max(a)) + 1 if a.shape[0] else 0)
    return _s.sum(_s.astype(_s.reshape(a, (-1, 1)) == _s.arange(n), _s.int64), axis=0)


def unique(a):
    return _s.unique_values(a)


# ------------------------------------------------------------------ sorting
def argsort(a, axis=-1, kind=None):
    """NumPy's ``kind="stable"`` is the standard's ``stable=True`` (its default)."""
    return _s.argsort(a, axis=axis, stable=True)


def sort(a, axis=-1, kind=None):
    return _s.sort(a, axis=axis, stable=True)


# ---------------------------------------------- what the table needs beyond the standard
def complex_from(re, im):
    """``re + 1j * im`` exactly. The standard has no constructor from parts and no view of
    float pairs as complex, and the arithmetic makes ``0 * inf`` NaN; so the parts are
    joined on the host (NumPy, as the creation functions compute) and handed back."""
    re, im = _s.broadcast_arrays(re, im)
    pair = _np.stack((asnumpy(re), asnumpy(im)), axis=-1)
    cdt = _np.complex64 if re.dtype == _s.float32 else _np.complex128
    return _s.asarray(_np.ascontiguousarray(pair).view(cdt)[..., 0])


def host_view(a):
    """A NumPy array over ``a``'s own memory, no copy, by DLPack (``np.from_dlpack``: the
    standard's interchange protocol, which carries strides). The standard names no memory
    layout; the backend layer reads it (strides, overlap) and makes strided views (expand,
    diagonal, conv's windows) on this host view, then hands them back (``from_host``)."""
    return _np.from_dlpack(a)


def from_host(h):
    """A NumPy array (a strided view from ``host_view``) as a strict array over the same
    memory (DLPack again): writes through it reach the array it was taken from."""
    return _s.from_dlpack(h)


def may_share_memory(a, b) -> bool:
    return bool(_np.may_share_memory(host_view(a), host_view(b)))


# ------------------------------------------------------------------ everything else
def errstate(**kw):
    """The standard says nothing of floating-point warnings; array-api-strict computes with
    NumPy and lets NumPy's through (``log(0)``: RuntimeWarning), so NumPy's switch."""
    return _np.errstate(**kw)


def __getattr__(name):  # the standard's own name where it matches NumPy's
    try:
        return getattr(_s, name)
    except AttributeError:
        raise AttributeError(
            f"array-api-strict adapter: NumPy's {name!r} is not adapted over the array API "
            "standard (chainrule.backend_strict)"
        ) from None


# ------------------------------------------------------------------ NumPy's linalg names
class _Linalg:
    """``numpy.linalg``'s signatures over the standard's ``linalg`` extension."""

    # The standard names no errors; array-api-strict lets NumPy's through (a singular
    # matrix raises numpy.linalg.LinAlgError), so that is the one to catch.
    LinAlgError = _np.linalg.LinAlgError

    def __getattr__(self, name):
        return getattr(_s.linalg, name)

    @staticmethod
    def _lower(x, uplo):
        # the standard's eigh reads one triangle (NumPy's default, the lower); the upper
        # one is the lower one of the conjugate transpose
        if uplo == "L":
            return x
        return (
            _s.conj(_s.matrix_transpose(x))
            if _s.isdtype(x.dtype, "complex floating")
            else (_s.matrix_transpose(x))
        )

    def eigh(self, x, UPLO="L"):  # noqa: N803 (NumPy's name)
        return _s.linalg.eigh(self._lower(x, UPLO))

    def eigvalsh(self, x, UPLO="L"):  # noqa: N803 (NumPy's name)
        return _s.linalg.eigvalsh(self._lower(x, UPLO))

    @staticmethod
    def qr(x, mode="reduced"):
        if mode == "r":
            return _s.linalg.qr(x)[1]
        return _s.linalg.qr(x, mode=mode)

    @staticmethod
    def svd(x, full_matrices=True, compute_uv=True):
        if not compute_uv:
            return _s.linalg.svdvals(x)
        return _s.linalg.svd(x, full_matrices=full_matrices)


linalg = _Linalg()
