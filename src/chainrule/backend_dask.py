"""NumPy's names over ``dask.array``: the namespace of tensors on the ``'dask'`` device.

A tensor on ``'dask'`` holds a chunked, lazy ``dask.array.Array``: every op adds tasks to
its graph and nothing is computed until a value is asked for (``.item()``, ``.cpu()``,
``.numpy()``, printing a small tensor, ``Tensor.compute()``/``persist()``). Dask arrays
carry NumPy dtypes and most of NumPy's functions and methods, so the table runs on
``dask.array`` itself; this module is ``dask.array`` (any name not defined here is
Dask's) with the NumPy names the table uses that Dask spells differently or lacks:

- ufunc methods (``xp.add.reduce``, ``xp.maximum.reduce``): Dask's ufuncs have none; the
  ufuncs here are Dask's with ``reduce`` as the matching Dask reduction.
- memory: Dask arrays are values, never views of each other's memory
  (``may_share_memory`` is False), and have no strides.
- floating-point warnings (``errstate``): NumPy's, which the chunks' NumPy calls obey.

Imported only when a Dask array meets chainrule (``chainrule.backend.namespace``); a
missing Dask raises an ImportError naming ``pip install 'chainrule[dask]'``.

>>> import chainrule as torch
>>> x = torch.arange(6.0).to("dask", chunks=4)
>>> (x * 2).sum().item()
30.0
"""

from __future__ import annotations

import dask.array as _da
import numpy as _np

ndarray = _da.Array  # the array type
ADAPTER = False  # Dask arrays have NumPy's methods (astype, reshape, sum...)

errstate = _np.errstate
finfo, iinfo, bool_ = _np.finfo, _np.iinfo, _np.bool_


def __getattr__(name: str):
    # everything else is dask.array's own
    return getattr(_da, name)


class _Ufunc:
    """A Dask ufunc with NumPy's ``reduce`` (the Dask reduction of the same operation)."""

    __slots__ = ("f", "red", "__name__")

    def __init__(self, f, red) -> None:
        self.f, self.red, self.__name__ = f, red, f.__name__

    def __call__(self, *args, **kwargs):
        return self.f(*args, **kwargs)

    def reduce(self, x, axis=0, dtype=None, keepdims=False):
        if dtype is not None:
            return self.red(x, axis=axis, dtype=dtype, keepdims=keepdims)
        return self.red(x, axis=axis, keepdims=keepdims)

    def __getattr__(self, name: str):
        return getattr(self.f, name)


add = _Ufunc(_da.add, _da.sum)
multiply = _Ufunc(_da.multiply, _da.prod)
maximum = _Ufunc(_da.maximum, _da.max)
minimum = _Ufunc(_da.minimum, _da.min)
logical_and = _Ufunc(_da.logical_and, _da.all)
logical_or = _Ufunc(_da.logical_or, _da.any)


def take_along_axis(x, idx, axis: int):
    """NumPy's ``take_along_axis``: ``x``'s elements at ``idx`` along ``axis`` (Dask's
    pointwise ``vindex``, the other axes' positions broadcast)."""
    axis = axis % x.ndim
    full = list(_np.ix_(*[_np.arange(n) for n in idx.shape]))
    full[axis] = _np.asarray(idx.compute() if isinstance(idx, ndarray) else idx)
    full = _np.broadcast_arrays(*full)
    return x.vindex[tuple(full)]


def may_share_memory(a, b) -> bool:
    """Dask arrays are values: no two share memory."""
    return False


def asnumpy(a):
    """The computed value of a Dask array as a NumPy array."""
    return _np.asarray(a.compute()) if isinstance(a, ndarray) else _np.asarray(a)


# ------------------------------------------------------------------------------------------
# Training on Dask (issue 14, h-dtrain): minimal fixes on the training path. Kept in this
# section, at the end, so that it merges apart from the table's work above.


def _dtype_positional(f):
    """Dask's ``ones``/``zeros``/``empty`` with NumPy's positional ``dtype`` (Dask's own
    wrappers drop a positional dtype and make float64: backward's seed of a float32 loss
    then made float64 gradients)."""

    def g(shape, dtype=None, *args, **kwargs):
        return f(shape, *args, dtype=dtype, **kwargs)

    g.__name__ = f.__name__
    return g


ones = _dtype_positional(_da.ones)
zeros = _dtype_positional(_da.zeros)
empty = _dtype_positional(_da.empty)

# Arrays are lazy values: backward's broadcast gradients (a sum's or mean's) stay Dask's
# broadcast_to, not an empty buffer filled by a setitem (ArrayNS.broadcast_to, materialized
# for NumPy), which added a setitem and a rechunk-merge per chunk to every step.
LAZY = True


def assign(dst, value) -> None:
    """``dst[...] = value`` for the whole array (an in-place op's write: ``p.add_(g)``, a
    momentum buffer's ``mul_``): what Dask's ``__setitem__`` does, this Array object
    taking the value's graph, so that tensors sharing it (``detach()``) see the write;
    without Dask's setitem tasks, and about 10 ms less of Dask's graph building per write
    in an optimizer's step. ``value``: broadcastable to dst, in a dtype it casts to."""
    if not isinstance(value, ndarray):
        value = _da.asarray(value)
    if value.dtype != dst.dtype:
        value = value.astype(dst.dtype)
    if value.shape != dst.shape:
        value = _da.broadcast_to(value, dst.shape)
    if value.chunks != dst.chunks:
        value = value.rechunk(dst.chunks)
    dst._meta, dst.dask, dst._name, dst._chunks = value._meta, value.dask, value.name, value.chunks


class ChunkedShape(tuple):
    """A shape that also carries the chunks of the array it was read from: what backward
    rules get as ``x_shape`` for a Dask input (``ops.plan``), so that a gradient broadcast
    back to it (a sum's or mean's) is chunked as the input was. Pickled (into a task) as
    a plain tuple."""

    def __new__(cls, shape, chunks):
        t = tuple.__new__(cls, shape)
        t.chunks = chunks
        return t

    def __reduce__(self):
        return (tuple, (tuple(self),))


def saved_shape(a):
    return ChunkedShape(a.shape, a.chunks)


def broadcast_to(x, shape, chunks=None):
    """Dask's ``broadcast_to``; the axes it creates or stretches (from size 1) take the
    chunks ``shape`` carries (a ``ChunkedShape``), else one chunk each (Dask's default,
    which the partner of an elementwise op then has to rechunk: a task per chunk)."""
    if chunks is None:
        chunks = getattr(shape, "chunks", None)
    shape = tuple(shape)
    if not isinstance(x, ndarray):
        x = _da.asarray(x)
    if chunks is None or len(chunks) != len(shape):
        return _da.broadcast_to(x, shape)
    lead = len(shape) - x.ndim
    if lead:
        x = x.reshape((1,) * lead + x.shape)
    chunks = tuple(
        c if (n == 1 and s != 1) else xc
        for c, s, n, xc in zip(chunks, shape, x.shape, x.chunks, strict=True)
    )
    # per block, a NumPy broadcast view (no memory) to the block's shape, which a Dask
    # zeros of those chunks carries (itself a broadcast view): blockwise tasks that Dask
    # fuses into their consumer's (no broadcast piece sent between workers)
    like = _da.zeros(shape, dtype=x.dtype, chunks=chunks)
    ind = tuple(range(len(shape)))
    return _da.blockwise(_broadcast_like, ind, x, ind, like, ind, dtype=x.dtype, meta=x._meta)


def _broadcast_like(b, like):
    return _np.broadcast_to(b, like.shape)
