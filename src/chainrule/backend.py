"""The array-namespace seam.

Ops never import NumPy: they ask ``namespace(array)`` for the module that owns an array
(``numpy``; ``cupy`` for CUDA tensors) and call ``xp.exp``, ``xp.matmul``... on it. NumPy
is the embedded default and the only required dependency.

The Python array API standard is the contract between the table and a backend. The table
speaks NumPy's names (NumPy and CuPy are the backends that run it at speed, and NumPy's
methods are several times cheaper than its functions); a backend that offers only the
standard gets an *adapter namespace*: NumPy's names written over the standard, one module
per backend. ``chainrule.backend_strict`` is the first, over ``array-api-strict``, the
reference implementation that refuses everything beyond the standard.

Choosing the array backend (a test/development switch, read once at import): with the
environment variable ``CHAINRULE_ARRAY_BACKEND=array_api_strict``, creation functions
(``tensor``, ``zeros``, ``arange``, ``rand``..., ``from_numpy``, which then copies) still
compute on NumPy and hand their result over as an array-api-strict array (``adopt``), so
every op after that runs through the adapter; ``.numpy()`` and printing convert back; the
device stays ``'cpu'``. Unset (or ``numpy``), nothing changes: ``adopt`` is None and the
creation functions skip it with one test, so NumPy stays the zero-overhead default.
What chainrule needs beyond the standard, and where each backend gives it, is listed in
``backend_strict``'s docstring (dtype kinds, scatter-add, warning control, strided views).

>>> import numpy as np
>>> from chainrule.backend import namespace
>>> namespace(np.zeros(2)).__name__
'numpy'
"""

from __future__ import annotations

import importlib
import os
from types import ModuleType

import numpy

# array type -> array module; filled lazily so optional backends are imported only when used.
_NAMESPACES: dict[type, ModuleType] = {numpy.ndarray: numpy}
for _t in (numpy.float16, numpy.float32, numpy.float64, numpy.int8, numpy.int16, numpy.int32):
    _NAMESPACES[_t] = numpy
for _t in (numpy.int64, numpy.uint8, numpy.bool_, numpy.complex64, numpy.complex128):
    _NAMESPACES[_t] = numpy

# Optional backends by the top-level package of their array type, and the extra to install.
# Dask's namespace is chainrule's adapter over dask.array (NumPy's names it lacks).
_OPTIONAL = {"cupy": ("cupy", "gpu"), "dask": ("chainrule.backend_dask", "dask")}

default = numpy  # the namespace used to create new tensors (chainrule.zeros, ...)
ndarray = numpy.ndarray  # the default array type (fast-path type checks)
scalar_type = numpy.generic  # NumPy ufuncs return these for 0-d results


as_array = numpy.asarray  # a NumPy scalar (NumPy's 0-d result) as a 0-d array

# The array backend new tensors get (module docstring): "numpy", or "array_api_strict" in
# the tests' second pass. ``adopt`` turns a NumPy array into that backend's (None: NumPy).
ARRAY_BACKEND = os.environ.get("CHAINRULE_ARRAY_BACKEND", "numpy") or "numpy"
adopt = None
if ARRAY_BACKEND == "array_api_strict":
    from . import backend_strict as _strict

    _strict.install()
    _NAMESPACES[_strict.ndarray] = _strict
    adopt = _strict.adopt
elif ARRAY_BACKEND != "numpy":
    raise ImportError(
        f"CHAINRULE_ARRAY_BACKEND={ARRAY_BACKEND!r}: chainrule knows 'numpy' (the default) "
        "and 'array_api_strict' (tests)"
    )


def may_share_memory(a, b) -> bool:
    """Whether two arrays of one backend may overlap (cheap bounds check)."""
    xp = namespace(a)
    if namespace(b) is not xp:  # arrays of two backends (devices) share nothing
        return False
    f = getattr(xp, "may_share_memory", None)
    return bool(f(a, b)) if f is not None else False


def namespace(array) -> ModuleType:
    """The array module of ``array`` (numpy for ndarrays and NumPy scalars)."""
    try:
        return _NAMESPACES[type(array)]
    except KeyError:
        pass
    top = type(array).__module__.partition(".")[0]
    if top in _OPTIONAL:
        mod = load(top)
        _NAMESPACES[type(array)] = mod
        return mod
    if hasattr(array, "__array_namespace__"):  # an array that names its own (array API)
        return array.__array_namespace__()
    raise TypeError(f"chainrule has no backend for arrays of type {type(array).__name__}")


def load(name: str) -> ModuleType:
    """Import an optional backend, with an error naming the extra that provides it."""
    modname, extra = _OPTIONAL[name]
    try:
        return importlib.import_module(modname)
    except ImportError as e:
        if e.name is not None and not e.name.startswith(name):
            raise  # (a failure inside chainrule's own adapter is not a missing package)
        raise ImportError(
            f"the {name} backend needs the optional dependency {name!r}: "
            f"pip install 'chainrule[{extra}]'"
        ) from e


# ------------------------------------------------------------------- devices
# NumPy arrays live on the CPU; CuPy arrays on the GPU they were made on. CuPy is imported
# only when a CUDA device is asked about, and a missing package or GPU raises
# AssertionError as PyTorch's "Torch not compiled with CUDA enabled" does, naming the extra.


def device_key(arr) -> tuple:
    """``('cpu', None)``, ``('cuda', n)`` or ``('dask', None)``: where ``arr`` lives."""
    if type(arr) in CPU_TYPES:
        return _CPU_KEY
    if getattr(namespace(arr), "__name__", "").startswith("cupy"):
        return ("cuda", int(arr.device.id))
    if is_dask(arr):
        return DASK_KEY
    return _CPU_KEY  # host-memory backends (array-api-strict in tests)


_CPU_KEY = ("cpu", None)
DASK_KEY = ("dask", None)


def is_dask(arr) -> bool:
    """Whether ``arr`` is a (lazy, chunked) Dask array.

    >>> import numpy as np
    >>> is_dask(np.zeros(2))
    False
    """
    return type(arr).__module__.startswith("dask.")


def lazy(a) -> bool:
    """Whether ``a``'s values are unknown until computed (a Dask array): a rule that looks
    at values to skip work (a NaN check, a tie) takes its general formula instead."""
    return type(a) is not numpy.ndarray and is_dask(a)


CPU_TYPES = frozenset(  # NumPy's array and scalar types
    t for t, m in _NAMESPACES.items() if m is numpy
)


def cupy_or_none():
    """The CuPy module when it imports and sees a GPU, else None (never raises)."""
    try:
        cp = load("cupy")
        return cp if cp.cuda.runtime.getDeviceCount() > 0 else None
    except Exception:  # no package, no driver, no device: all mean "no CUDA"
        return None


def cuda():
    """The CuPy module, or AssertionError saying what is missing (the package or a GPU)."""
    try:
        cp = load("cupy")
    except ImportError:
        raise AssertionError(
            "chainrule has no CUDA here: CuPy is not installed. Install it with "
            "pip install 'chainrule[gpu]' (a CuPy wheel for CUDA 12)"
        ) from None
    try:
        n = cp.cuda.runtime.getDeviceCount()
    except Exception as e:
        raise AssertionError(
            f"chainrule has no CUDA here: CuPy is installed but found no CUDA device ({e}). "
            "A GPU and its driver are needed; pip install 'chainrule[gpu]' gives only CuPy"
        ) from None
    if n == 0:
        raise AssertionError(
            "chainrule has no CUDA here: CuPy is installed but found no CUDA device. "
            "A GPU and its driver are needed; pip install 'chainrule[gpu]' gives only CuPy"
        )
    return cp


def cuda_count() -> int:
    """How many GPUs CuPy sees (0 without CuPy or a GPU)."""
    cp = cupy_or_none()
    return 0 if cp is None else int(cp.cuda.runtime.getDeviceCount())


def cuda_current() -> int:
    """The current GPU's index (CuPy's current device)."""
    return int(cuda().cuda.runtime.getDevice())


def move(arr, kind: str, index: int | None = None, chunks="auto"):
    """``arr`` on device ``(kind, index)``: the same array when it is already there, else a
    copy (NumPy scalars become 0-d arrays on a GPU). To ``'dask'``: a Dask array of
    ``chunks`` (Dask's spelling; ``'auto'`` by default); from ``'dask'``: computed."""
    here = device_key(arr)
    if kind == "cpu":
        if here[0] == "dask":
            arr = to_numpy(arr)
            here = _CPU_KEY
        if adopt is not None:  # a NumPy seed or tangent joins the strict backend's arrays
            return adopt(arr) if here[0] == "cpu" else adopt(namespace(arr).asnumpy(arr))
        return arr if here[0] == "cpu" else namespace(arr).asnumpy(arr)
    if kind == "dask":
        da = load("dask")
        if here[0] == "dask":
            return arr if chunks in ("auto", None) else arr.rechunk(chunks)
        host = numpy.asarray(to_numpy(arr))  # (a GPU's array comes to the host first)
        return da.asarray(host, chunks="auto" if chunks is None else chunks)
    if here == (kind, index):
        return arr
    cp = cuda()
    with cp.cuda.Device(index):
        return cp.array(arr, copy=True)


def to_numpy(arr):
    """``arr`` as a NumPy array (a copy when it lives on a GPU; computed when it is a Dask
    array): for printing and saving."""
    if type(arr) in CPU_TYPES:
        return arr
    if is_dask(arr):
        return numpy.asarray(arr.compute())
    return namespace(arr).asnumpy(arr) if hasattr(namespace(arr), "asnumpy") else arr


# ----------------------------------------------- array methods the standard spells as functions
# NumPy's methods cost a fraction of its functions (x.astype 0.2 us, np.astype 0.8 us;
# x.reshape 0.14 us, np.reshape 0.76 us), so the table calls the method where the array has
# one and the standard's function (``xp.astype``, ``xp.reshape``) where it has not.


def astype(a, dtype, copy: bool = True):
    """``a`` cast to ``dtype`` (NumPy's ``a.astype``; the array API's ``xp.astype``)."""
    m = getattr(a, "astype", None)
    if m is not None:
        return m(dtype, copy=copy)
    return namespace(a).astype(a, dtype, copy=copy)


def reshape(a, shape):
    """``a`` in ``shape`` (NumPy's ``a.reshape``; the array API's ``xp.reshape``)."""
    if type(a) is numpy.ndarray:
        return a.reshape(shape)
    if is_dask(a):  # (Dask's method reshapes only by merging or splitting dims)
        return namespace(a).reshape(a, shape)
    m = getattr(a, "reshape", None)
    return m(shape) if m is not None else namespace(a).reshape(a, shape)


def permute(a, axes):
    """``a`` with its axes in the order ``axes`` (NumPy's ``a.transpose(axes)``; the array
    API's ``xp.permute_dims``)."""
    m = getattr(a, "transpose", None)
    return m(axes) if m is not None else namespace(a).permute_dims(a, tuple(axes))


def swapaxes(a, i: int, j: int):
    """``a`` with axes ``i`` and ``j`` swapped (NumPy's ``a.swapaxes``)."""
    m = getattr(a, "swapaxes", None)
    return m(i, j) if m is not None else namespace(a).swapaxes(a, i, j)


def copy(a, order: str = "C"):
    """A copy of ``a`` (NumPy's ``a.copy(order)``; the array API's ``xp.asarray(a,
    copy=True)``, which has no memory order)."""
    m = getattr(a, "copy", None)
    if m is None:
        return namespace(a).asarray(a, copy=True)
    return m(order=order) if type(a) is numpy.ndarray or not is_dask(a) else m()


def item(a):
    """The Python number of a one-element array (``a.item()``; the standard: ``float(a)``...)."""
    m = getattr(a, "item", None)
    if m is not None:
        return m()
    k = a.dtype.kind
    a = namespace(a).reshape(a, ())
    return bool(a) if k == "b" else int(a) if k in "iu" else complex(a) if k == "c" else float(a)


def any_true(a) -> bool:
    """Whether any element of ``a`` is true (``a.any()``; the standard: ``xp.any(a)``)."""
    m = getattr(a, "any", None)
    return bool(m() if m is not None else namespace(a).any(a))


def all_true(a) -> bool:
    """Whether every element of ``a`` is true (``a.all()``; the standard: ``xp.all(a)``)."""
    m = getattr(a, "all", None)
    return bool(m() if m is not None else namespace(a).all(a))


def checked(a, find, *args, whole: int = 0):
    """``a`` itself, once ``find`` has found nothing wrong in its values: the checks that
    raise PyTorch's errors on values (BCE's input range, nll's class targets, a matrix's
    NaN), now on a concrete array and at compute time on a lazy one.

    ``find(block, start, *args)`` returns the exception to raise, or None, for a block of
    ``a`` whose first element is ``a[start]`` (``start`` a tuple: a batch index in the
    message). A concrete array is one block, checked now. A lazy (Dask) array is not looked
    at: the check becomes a task per block on its data path, which passes the block on or
    raises when the block is computed, so that building a graph computes nothing (where
    several blocks fail, the error is that of the first one computed, not necessarily the
    one the CPU names). ``whole`` trailing axes are whole in every block (a check per
    matrix: 2). ``find`` must be a module-level function: Dask's distributed workers pickle
    a task's function by its name.

    >>> import numpy as np
    >>> def negative(block, start):
    ...     return ValueError(f"negative at {start}") if (block < 0).any() else None
    >>> checked(np.arange(3), negative)
    array([0, 1, 2])
    """
    if lazy(a):
        return namespace(a).checked(a, find, args, whole)
    e = find(a, (0,) * a.ndim, *args)
    if e is not None:
        raise e
    return a


def tolist(a):
    """``a`` as (nested) Python lists (``a.tolist()``; the standard has none: by the host)."""
    m = getattr(a, "tolist", None)
    return m() if m is not None else to_numpy(a).tolist()


ERR_VIEW = (
    "view size is not compatible with input tensor's size and stride (at least one "
    "dimension spans across two contiguous subspaces). Use .reshape(...) instead."
)


def view(xp, x, *, shape):
    """``x`` in ``shape`` without a copy (PyTorch's view), or RuntimeError where no view can
    have that shape. NumPy: setting a view's shape refuses exactly then; the standard:
    ``reshape(copy=False)``, which refuses where it would have to copy."""
    if type(x) is numpy.ndarray:
        v = x.view()
        try:
            v.shape = shape
            return v
        except AttributeError:
            pass
    elif x.size == 0:  # no elements, no memory to share: any layout will do
        return xp.reshape(x, tuple(shape))
    else:
        try:
            return xp.reshape(x, tuple(shape), copy=False)
        except (AttributeError, ValueError):
            pass
    raise RuntimeError(ERR_VIEW)


def alias(xp, x):
    """A new array object over ``x``'s elements (``x.view()``; the standard: a reshape to
    its own shape, which shares memory where the backend has views)."""
    if xp is not numpy and getattr(xp, "VALUES", False):  # (Dask's view() casts the dtype)
        return x
    m = getattr(x, "view", None)
    return m() if m is not None else xp.reshape(x, x.shape, copy=False)


def complex_from(xp, re, im):
    """The complex array ``re + 1j * im``, exactly (the arithmetic would make 0 * inf NaN):
    NumPy and CuPy read the parts side by side as complex numbers (``view``); an adapter
    namespace (the standard has no such view, nor a constructor from parts) brings its own
    ``complex_from``."""
    if xp is not numpy and getattr(xp, "ADAPTER", False):
        return xp.complex_from(re, im)
    if xp is not numpy and getattr(xp, "VALUES", False):  # no memory to view: per chunk
        return xp.per_block(lambda _, r, i: complex_from(numpy, r, i), re, im)
    re, im = xp.broadcast_arrays(re, im)
    cdt = xp.complex64 if re.dtype == xp.float32 else xp.complex128
    return xp.ascontiguousarray(xp.stack((re, im), axis=-1)).view(cdt)[..., 0]


# ------------------------------------------------------- kernels that differ per backend
def getitem(xp, a, idx):
    """``a[idx]`` with NumPy's meaning of ``idx`` (the table's indices are NumPy's). The
    standard's indexing is narrower (every axis indexed; integer arrays with integer arrays
    only, a mask alone): an adapter namespace spells the index its way (``xp.getitem``)."""
    if xp is not numpy and (getattr(xp, "ADAPTER", False) or getattr(xp, "VALUES", False)):
        return xp.getitem(a, idx)
    return a[idx]


def setitem(xp, a, idx, v) -> None:
    """``a[idx] = v`` in place, with NumPy's meaning of ``idx`` (see :func:`getitem`)."""
    if xp is not numpy and (getattr(xp, "ADAPTER", False) or getattr(xp, "VALUES", False)):
        xp.setitem(a, idx, v)
    else:
        a[idx] = v


def scatter_add(xp, z, idx, g) -> None:
    """``z[idx] += g`` in place, with repeated indices adding up (a plain ``+=`` would keep
    one of them): the adjoint of gathering. NumPy and CuPy spell it ``add.at``."""
    xp.add.at(z, idx, g)


# a row max over a last axis this short, of this many rows, is taken across the rows
# (measured, float32: (128, 10) 6.3 -> 2.8 us, (1024, 10) 43 -> 7 us; (128, 64) no gain)
_SHORT_ROW_MAX = 32
_SHORT_ROW_MIN_ROWS = 32


def max_keepdims(xp, x, axis):
    """The max over ``axis`` (None: all), kept as size-1 dims, -inf over an empty axis: the
    shift of a softmax. NumPy's ufunc reduce is the cheap call; CuPy has no
    ``maximum.reduce``, and the array API's ``max`` refuses empty axes.

    NumPy reduces each row on its own, which is slow for many short rows (a batch of 10
    logits): there the rows are transposed into a copy and compared element-wise down its
    columns. The max is the same number either way; only which of a row's zeros (+0 or
    -0) or of its NaNs it is may differ, and no shift depends on that (x - m, then exp,
    sums and logs: a row holding both zeros sums to at least 2; a NaN row is NaN)."""
    if xp is numpy:
        n = x.shape[-1] if x.ndim >= 2 else 0
        if (
            0 < n <= _SHORT_ROW_MAX
            and (axis == (x.ndim - 1,) or axis == (-1,) or axis == x.ndim - 1 or axis == -1)
            and x.size >= n * _SHORT_ROW_MIN_ROWS
            and type(x) is numpy.ndarray
        ):
            cols = numpy.ascontiguousarray(x.reshape(-1, n).T)
            return numpy.maximum.reduce(cols, axis=0).reshape(x.shape[:-1] + (1,))
        return numpy.maximum.reduce(x, axis=axis, keepdims=True, initial=-numpy.inf)
    if x.size == 0:
        axes = range(x.ndim) if axis is None else [a % x.ndim for a in numpy.atleast_1d(axis)]
        shape = tuple(1 if d in axes else n for d, n in enumerate(x.shape))
        return xp.full(shape, -numpy.inf, dtype=x.dtype)
    return xp.max(x, axis=axis, keepdims=True)


def quiet(xp):
    """A context in which ``xp``'s floating-point warnings stay silent: inf and nan are
    values, as in PyTorch (NumPy's switch where the backend has none of its own)."""
    errstate = getattr(xp, "errstate", None) or numpy.errstate
    return errstate(all="ignore")


def diagonal_view(xp, x, offset: int, dim1: int, dim2: int):
    """The diagonal of ``x`` over dims ``dim1`` and ``dim2`` as a *writable* view, the
    diagonal last (PyTorch's layout; NumPy's own ``diagonal`` is read-only)."""
    if xp is not numpy and getattr(xp, "ADAPTER", False):  # strides on its host view
        return xp.from_host(diagonal_view(numpy, xp.host_view(x), offset, dim1, dim2))
    if xp is not numpy and getattr(xp, "VALUES", False):  # no memory to view (Dask)
        return xp.diagonal(x, offset, dim1, dim2)
    idx = [slice(None)] * x.ndim
    if offset >= 0:
        idx[dim2] = slice(offset, None)
    else:
        idx[dim1] = slice(-offset, None)
    sub = x[tuple(idx)]
    n = max(0, min(sub.shape[dim1], sub.shape[dim2]))
    keep = [d for d in range(x.ndim) if d not in (dim1, dim2)]
    shape = tuple(sub.shape[d] for d in keep) + (n,)
    strides = tuple(sub.strides[d] for d in keep) + (sub.strides[dim1] + sub.strides[dim2],)
    return xp.lib.stride_tricks.as_strided(sub, shape, strides)


def expand_view(xp, x, shape):
    """``x`` broadcast to ``shape`` as a *writable* view (PyTorch's expand: a dim of size 1
    grows with stride 0). NumPy's own ``broadcast_to`` is read-only; writes that would hit
    one element twice are refused by the caller (``has_internal_overlap``)."""
    if xp is not numpy and getattr(xp, "ADAPTER", False):  # strides on its host view
        return xp.from_host(expand_view(numpy, xp.host_view(x), shape))
    if xp is not numpy and getattr(xp, "VALUES", False):  # no memory to view (Dask)
        return xp.broadcast_to(x, tuple(shape))
    lead = len(shape) - x.ndim
    strides = (0,) * lead + tuple(
        0 if n == 1 and s != 1 else st
        for n, s, st in zip(x.shape, shape[lead:], x.strides, strict=True)
    )
    if xp is not numpy:  # CuPy's as_strided has no ``writeable``: its views always are
        return xp.lib.stride_tricks.as_strided(x, shape, strides)
    return xp.lib.stride_tricks.as_strided(x, shape, strides, writeable=x.flags.writeable)


def windows(xp, x, kernel: tuple, stride: tuple, dilation: tuple):
    """The sliding windows over the last two axes of ``x`` as a read-only view of shape
    ``(..., kh, kw, OH, OW)`` (no copy: element ``[..., i, j, p, q]`` is
    ``x[..., p * sh + i * dh, q * sw + j * dw]``). Convolution reshapes it into the matrix
    of one BLAS product (im2col)."""
    if xp is not numpy and getattr(xp, "ADAPTER", False):  # strides on its host view
        return xp.from_host(windows(numpy, xp.host_view(x), kernel, stride, dilation))
    (kh, kw), (sh, sw), (dh, dw) = kernel, stride, dilation
    h, w = x.shape[-2:]
    oh = (h - dh * (kh - 1) - 1) // sh + 1
    ow = (w - dw * (kw - 1) - 1) // sw + 1
    if xp is not numpy and getattr(xp, "VALUES", False):  # no memory to view (Dask):
        # the kh * kw strided slices, stacked (element [..., i, j, p, q] as above)
        oh, ow = max(oh, 0), max(ow, 0)
        rows = [
            xp.stack(
                [
                    x[
                        ...,
                        i * dh : i * dh + (oh - 1) * sh + 1 : sh,
                        j * dw : j * dw + (ow - 1) * sw + 1 : sw,
                    ]
                    if oh and ow
                    else x[..., :oh, :ow]
                    for j in range(kw)
                ],
                axis=-3,
            )
            for i in range(kh)
        ]
        return xp.stack(rows, axis=-4)
    a, b = x.strides[-2:]
    shape = x.shape[:-2] + (kh, kw, max(oh, 0), max(ow, 0))
    strides = x.strides[:-2] + (a * dh, b * dw, a * sh, b * sw)
    if xp is not numpy:
        return xp.lib.stride_tricks.as_strided(x, shape, strides)
    return xp.lib.stride_tricks.as_strided(x, shape, strides, writeable=False)


def has_internal_overlap(a) -> bool:
    """Whether two elements of ``a`` share memory for certain (PyTorch's test: a dim of
    size > 1 with stride 0, as expand makes); writing such a tensor is refused."""
    if not getattr(a, "size", 0):  # NumPy gives empty arrays zero strides
        return False
    if type(a) is not numpy.ndarray and not hasattr(a, "strides"):
        a = strided(a)
        if a is None:  # no memory layout at all: nothing shares an element
            return False
    return any(st == 0 and n > 1 for n, st in zip(a.shape, a.strides, strict=True))


def _dense(a) -> bool:
    """Whether ``a``'s elements fill its memory span once each (some permutation of a
    contiguous layout), the only case where PyTorch checks overlap."""
    if type(a) is not numpy.ndarray and not hasattr(a, "strides"):
        a = strided(a)
        if a is None:  # no memory layout at all: nothing to check
            return False
    span = a.itemsize + sum(
        (n - 1) * abs(st) for n, st in zip(a.shape, a.strides, strict=True) if n > 1
    )
    return span == a.size * a.itemsize and not has_internal_overlap(a)


def overlaps(a, b) -> bool:
    """Whether ``a`` and ``b`` share memory, where PyTorch can tell (both dense)."""
    return may_share_memory(a, b) and _dense(a) and _dense(b)


def partial_overlap(a, b) -> bool:
    """Whether ``a`` and ``b`` share some memory without being the same elements in the
    same layout (PyTorch's partial overlap: an in-place op reading ``b`` into ``a`` would
    read values it already wrote). Like PyTorch, checked only for dense layouts."""
    if not overlaps(a, b):
        return False
    if type(a) is not numpy.ndarray and not hasattr(a, "strides"):
        a, b = strided(a), strided(b)
    # the same layout: strides of size-1 dims do not count (NumPy and PyTorch pick them freely)
    same = a.shape == b.shape and all(
        n == 1 or sa == sb for n, sa, sb in zip(a.shape, a.strides, b.strides, strict=True)
    )
    return not (same and a.__array_interface__["data"][0] == b.__array_interface__["data"][0])


# below this many elements NumPy's where is as fast as the bitwise select (measured on
# float32: two array sides from 8192 elements, one +0 side from 1024)
_SELECT_BITS_MIN = 1 << 13
_SELECT_ZERO_MIN = 1 << 10


_INT_OF_SIZE = {n: numpy.dtype(f"i{n}") for n in (1, 2, 4, 8)}


def _is_zero(v) -> bool:
    """v is the number +0 (the bits of a float zero are all clear)."""
    return isinstance(v, (int, float)) and v == 0 and str(v)[0] != "-"


def select(xp, cond, a, b):
    """``xp.where(cond, a, b)``. NumPy's where branches on every element, so on a mask
    with no pattern (relu's, a sign's) it runs several times slower than plain arithmetic.
    For large float arrays of one shape (or a +0 for either side) this selects on the
    bits instead: ``(a & m) | (b & ~m)`` with m all ones where cond holds (with a +0 side,
    the other's bits times cond as integers), exact for every value (NaN, infinities, the
    sign of zero)."""
    if xp is not numpy or getattr(cond, "size", 0) < _SELECT_ZERO_MIN:
        return xp.where(cond, a, b)
    arrays = [v for v in (a, b) if not _is_zero(v)]
    if (
        not arrays
        or getattr(cond, "dtype", None) != numpy.bool_
        or (len(arrays) == 2 and cond.size < _SELECT_BITS_MIN)
        or any(
            not isinstance(v, numpy.ndarray) or v.shape != cond.shape or v.dtype.kind != "f"
            for v in arrays
        )
        or (len(arrays) == 2 and a.dtype != b.dtype)
    ):
        return xp.where(cond, a, b)
    dtype = arrays[0].dtype
    it = numpy.dtype(f"i{dtype.itemsize}")
    # one side +0: the other's bits times the mask (an integer times 0 or 1 keeps or
    # clears every bit, one pass fewer than building an all-ones mask)
    if _is_zero(b):
        return numpy.multiply(a.view(it), cond, dtype=it).view(dtype)
    if _is_zero(a):
        return numpy.multiply(b.view(it), numpy.logical_not(cond), dtype=it).view(dtype)
    m = cond.astype(it)
    numpy.negative(m, out=m)  # 1 -> all ones
    out = numpy.bitwise_and(a.view(it), m)
    numpy.invert(m, out=m)
    numpy.bitwise_and(b.view(it), m, out=m)
    return numpy.bitwise_or(out, m, out=out).view(dtype)


def threshold_backward(xp, g, r, out=None):
    """relu's adjoint (PyTorch's threshold_backward at 0): +0 where ``r <= 0``, else ``g``
    (where r is NaN too). A selection, not ``g * (r > 0)``: 0 * inf would be NaN. On a
    NumPy float ``g`` of ``r``'s shape it is ``select``'s +0 side done in one place: g's
    bits times the kept mask as integers, written into ``out`` where one is given (the
    compiled code's buffer: ``sym.lower``), else a new array."""
    if (
        xp is numpy
        and type(g) is numpy.ndarray
        and type(r) is numpy.ndarray
        and g.shape == r.shape
        and g.dtype.kind == "f"
        and g.size >= _SELECT_ZERO_MIN
    ):
        keep = numpy.less_equal(r, 0)
        numpy.logical_not(keep, out=keep)
        it = _INT_OF_SIZE[g.dtype.itemsize]
        if out is None:
            return numpy.multiply(g.view(it), keep, dtype=it).view(g.dtype)
        numpy.multiply(g.view(it), keep, dtype=it, out=out.view(it))
        return out
    v = select(xp, r <= 0, 0, g)
    if out is None:
        return v
    numpy.copyto(out, v)
    return out


def strided(a):
    """``a`` with NumPy's layout facts (``strides``, ``flags``, its address): ``a`` itself
    where its array has them (NumPy, CuPy); else a host NumPy view of its memory where its
    namespace gives one (an adapter: ``host_view``, by DLPack); else None (no layout)."""
    if hasattr(a, "strides"):
        return a
    f = getattr(namespace(a), "host_view", None)
    return f(a) if f is not None else None


NO_LAYOUT = "{}: this tensor's array backend shows no memory layout (no strides, no DLPack)"


def c_contiguous(a) -> bool:
    """Whether ``a`` is laid out in C order (NumPy's flag); the standard has no memory
    layout, so an array of a backend without one counts as its own contiguous layout."""
    a = strided(a)
    return True if a is None else bool(a.flags.c_contiguous)


def c_order(a):
    """``a`` in C order: PyTorch's layout for the new result of an index, cat, stack, a
    reduction or a scan, where NumPy keeps its input's order (a transposed input gives a
    transposed result, and then view() and flatten() differ from PyTorch's)."""
    f = getattr(a, "flags", None)
    return a if f is None or f.c_contiguous else namespace(a).ascontiguousarray(a)


def layout_of(out, first):
    """``out`` in ``first``'s memory order when both have one shape: PyTorch's elementwise
    results follow their first operand's layout, where NumPy's follow C order as soon as
    the operands disagree (a transposed x + a C-ordered y)."""
    if out.shape != first.shape or getattr(out, "strides", None) is None:
        return out
    order = sorted(range(first.ndim), key=lambda d: -abs(first.strides[d]))
    if order == sorted(range(out.ndim), key=lambda d: -abs(out.strides[d])):
        return out
    xp = namespace(out)
    re = xp.empty([out.shape[d] for d in order], out.dtype)
    re = re.transpose([order.index(d) for d in range(out.ndim)])
    re[...] = out
    return re
