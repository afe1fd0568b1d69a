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

import functools as _functools

import dask.array as _da
import numpy as _np

ndarray = _da.Array  # the array type
ADAPTER = False  # Dask arrays have NumPy's methods (astype, reshape, sum...)
VALUES = True  # no memory, strides or views: chainrule.backend's view helpers copy

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

    def at(self, a, idx, b=None) -> None:
        _ufunc_at(self, a, idx, b)  # (below, with the table's other spellings)

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
    if isinstance(idx, ndarray):  # a lazy index: one task over x (_take_along_lazy)
        return _take_along_lazy(x, idx, axis)
    full = list(_np.ix_(*[_np.arange(n) for n in idx.shape]))
    full[axis] = _np.asarray(idx)
    full = _np.broadcast_arrays(*full)
    return x.vindex[tuple(full)]


def may_share_memory(a, b) -> bool:
    """Dask arrays are values: no two share memory."""
    return False


def asnumpy(a):
    """The computed value of a Dask array as a NumPy array."""
    return _np.asarray(a.compute()) if isinstance(a, ndarray) else _np.asarray(a)


# ---------------------------------------------------- the derivative table on Dask arrays
# NumPy's spellings the table's forwards and rules use, where Dask's differ or it has none
# (tests/test_dask_table.py runs every case of the table here): creation functions that
# keep a positional dtype (Dask's would drop it and give float64), the special functions'
# kernels per chunk, scatter-add (``add.at``), indexing Dask refuses, sort/argsort, reshape
# beyond merging and splitting dims, and linalg per matrix (``apply_gufunc``). What needs
# more than one task over a whole array says so (``getitem``, ``setitem``, ``_ufunc_at``).


def _dtype_kw(args, kwargs, at: int):
    # NumPy takes dtype positionally (np.zeros(shape, dtype)); Dask's creation functions
    # take **kwargs and would drop it, giving float64
    if len(args) > at:
        kwargs = dict(kwargs, dtype=args[at])
        args = args[:at]
    return args, kwargs


def zeros(*args, **kwargs):
    args, kwargs = _dtype_kw(args, kwargs, 1)
    return _da.zeros(*args, **kwargs)


def ones(*args, **kwargs):
    args, kwargs = _dtype_kw(args, kwargs, 1)
    return _da.ones(*args, **kwargs)


def empty(*args, **kwargs):
    args, kwargs = _dtype_kw(args, kwargs, 1)
    return _da.empty(*args, **kwargs)


def full(*args, **kwargs):
    args, kwargs = _dtype_kw(args, kwargs, 2)
    if "dtype" not in kwargs:  # NumPy: the fill value's dtype (Dask's would be int64)
        kwargs["dtype"] = _np.asarray(args[1]).dtype
    return _da.full(*args, **kwargs)


def per_block(kernel, *args):
    """``kernel(numpy, *args)`` chunk by chunk, one task per chunk: an elementwise NumPy
    kernel (the special functions' series and loops, chainrule.ops.special_kernels) whose
    graph on Dask arrays would be thousands of tasks, or would compute to test convergence.
    The arguments that are not Dask arrays (an order ``n``, a number) go in as they are."""
    lazy = [a for a in args if isinstance(a, ndarray)]
    fixed = tuple(None if isinstance(a, ndarray) else (a,) for a in args)
    probe = [_np.ones(1, a.dtype) if isinstance(a, ndarray) else a for a in args]
    dtype = _np.asarray(kernel(_np, *probe)).dtype
    # (a partial of module-level functions: Dask names the tasks by its arguments)
    return _da.core.elemwise(_functools.partial(_run_kernel, kernel, fixed), *lazy, dtype=dtype)


def _run_kernel(kernel, fixed, *blocks):
    blocks = iter(blocks)
    return kernel(_np, *[next(blocks) if f is None else f[0] for f in fixed])


def _np_ufunc_at(name, a, idx, b):
    a = _np.array(a, copy=True)
    getattr(_np, name).at(a, idx, b)
    return a


def _ufunc_at(uf, a, idx, b) -> None:
    """NumPy's ``ufunc.at(a, idx, b)`` on Dask array ``a``: repeated indices each apply
    (``add.at``: the scatter-add of index gradients, chainrule.backend.scatter_add). One
    task over the whole of ``a`` (the index arrays, Dask's or NumPy's, go in as they
    are), and ``a`` takes the new graph in place, as Dask's own ``a[idx] = v`` does."""
    import dask

    shape, dtype = a.shape, a.dtype
    task = dask.delayed(_np_ufunc_at, pure=True)(uf.__name__, a, idx, b)
    _rebind(a, _da.from_delayed(task, shape, dtype=dtype, meta=a._meta).rechunk(a.chunks))


def indices(dimensions, dtype=int, sparse: bool = False):
    """NumPy's ``indices``; ``sparse=True`` (open grids, Dask has none) gives NumPy's, the
    positions of an index into a Dask array (known at graph-building time)."""
    if sparse:
        return _np.indices(dimensions, dtype=dtype, sparse=True)
    return _da.indices(dimensions, dtype=dtype)


def ascontiguousarray(a, dtype=None):
    """``a`` (Dask arrays have no memory layout), in ``dtype`` when given."""
    return a if dtype is None else a.astype(dtype)


def _handle(a):
    """A new Array object over ``a``'s graph: an in-place write (``a[idx] = v`` rebuilds
    the graph of the object written) then leaves ``a`` as it was, as a copy would."""
    return _da.Array(a.dask, a.name, a.chunks, meta=a._meta)


def array(a, dtype=None, copy=True, **kwargs):
    """NumPy's ``array``: a Dask array, a new object (a copy: see ``_handle``)."""
    a = _da.asarray(a, dtype=dtype, **kwargs)
    return _handle(a) if copy else a


def reshape(a, shape, copy=None):
    """``a`` in ``shape`` (``copy`` is the standard's: Dask arrays are values, no views).
    Dask reshapes by merging or splitting dims; any other reshape goes through 1-d."""
    try:
        return a.reshape(shape)
    except NotImplementedError:
        return a.reshape(-1).reshape(shape)


def _along(fn, a, axis, **kwargs):
    # fn(NumPy array, axis=-1) on ``axis``, each run on whole lines (Dask rechunks them)
    a = _da.moveaxis(a, axis, -1)
    a = a.rechunk({a.ndim - 1: -1})
    out = _da.apply_gufunc(
        lambda b: fn(b, axis=-1, **kwargs),
        "(n)->(n)",
        a,
        allow_rechunk=True,
        output_dtypes=fn(_np.ones((1,), a.dtype), axis=-1, **kwargs).dtype,
    )
    return _da.moveaxis(out, -1, axis)


def argsort(a, axis=-1, kind=None):
    """NumPy's ``argsort`` along ``axis`` (Dask has none): each line sorted whole."""
    return _along(_np.argsort, a, axis, kind=kind)


def sort(a, axis=-1, kind=None):
    """NumPy's ``sort`` along ``axis`` (Dask's ``topk`` aside, it has none)."""
    return _along(_np.sort, a, axis, kind=kind)


def _gufunc(fn, signature, *args, sizes=None, dtypes, **kwargs):
    # NumPy's batched linalg, each matrix whole in one chunk (Dask rechunks the matrix
    # axes; the batch axes stay chunked): Dask's own decompositions want special chunks
    # (each matrix whole first: Dask's own allow_rechunk fails on irregular chunks)
    cores = [len(c.split(",")) for c in signature.split("->")[0][1:-1].split("),(")]
    args = [
        a.rechunk({a.ndim - 1 - i: -1 for i in range(k)}) for a, k in zip(args, cores, strict=True)
    ]
    return _da.apply_gufunc(
        (lambda *a: fn(*a, **kwargs)) if kwargs else fn,
        signature,
        *args,
        output_dtypes=dtypes,
        output_sizes=sizes,
    )


def _cdt(a):
    return _np.result_type(a.dtype, _np.complex64)


class _Linalg:
    """NumPy's ``linalg`` over Dask arrays: each function NumPy's, per matrix, the batch
    of matrices chunked (``apply_gufunc``). A matrix is held whole by one task."""

    LinAlgError = _np.linalg.LinAlgError

    @staticmethod
    def inv(a):
        return _gufunc(_np.linalg.inv, "(m,m)->(m,m)", a, dtypes=a.dtype)

    @staticmethod
    def det(a):
        return _gufunc(_np.linalg.det, "(m,m)->()", a, dtypes=a.dtype)

    @staticmethod
    def slogdet(a):
        return tuple(_gufunc(_np.linalg.slogdet, "(m,m)->(),()", a, dtypes=(a.dtype, a.dtype)))

    @staticmethod
    def solve(a, b):
        if b.ndim == 1:  # NumPy: a vector right-hand side
            return _gufunc(_np.linalg.solve, "(m,m),(m)->(m)", a, b, dtypes=b.dtype)
        return _gufunc(_np.linalg.solve, "(m,m),(m,n)->(m,n)", a, b, dtypes=b.dtype)

    @staticmethod
    def cholesky(a):
        return _gufunc(_np.linalg.cholesky, "(m,m)->(m,m)", a, dtypes=a.dtype)

    @staticmethod
    def eigh(a, UPLO="L"):  # noqa: N803 - NumPy's name
        f = _np.linalg.eigh
        return tuple(_gufunc(f, "(m,m)->(m),(m,m)", a, dtypes=(a.dtype, a.dtype), UPLO=UPLO))

    @staticmethod
    def eigvalsh(a, UPLO="L"):  # noqa: N803
        return _gufunc(_np.linalg.eigvalsh, "(m,m)->(m)", a, dtypes=a.dtype, UPLO=UPLO)

    @staticmethod
    def eig(a):
        c = _cdt(a)  # (NumPy's eig is real when every eigenvalue is: Dask needs one dtype)
        f = lambda m: tuple(r.astype(c, copy=False) for r in _np.linalg.eig(m))  # noqa: E731
        return tuple(_gufunc(f, "(m,m)->(m),(m,m)", a, dtypes=(c, c)))

    @staticmethod
    def eigvals(a):
        c = _cdt(a)
        f = lambda m: _np.linalg.eigvals(m).astype(c, copy=False)  # noqa: E731
        return _gufunc(f, "(m,m)->(m)", a, dtypes=c)

    @staticmethod
    def qr(a, mode="reduced"):
        m, n = a.shape[-2:]
        k = min(m, n) if mode == "reduced" else m
        sizes = {"k": k}
        if mode == "r":
            return _gufunc(_np.linalg.qr, "(m,n)->(k,n)", a, sizes=sizes, dtypes=a.dtype, mode=mode)
        qr = _gufunc(
            _np.linalg.qr,
            "(m,n)->(m,k),(k,n)",
            a,
            sizes=sizes,
            dtypes=(a.dtype, a.dtype),
            mode=mode,
        )
        return tuple(qr)

    @staticmethod
    def svd(a, full_matrices=True, compute_uv=True):
        m, n = a.shape[-2:]
        k = min(m, n)
        if not compute_uv:
            return _gufunc(
                _np.linalg.svd, "(m,n)->(k)", a, sizes={"k": k}, dtypes=a.dtype, compute_uv=False
            )
        p, q = (m, n) if full_matrices else (k, k)
        return tuple(
            _gufunc(
                _np.linalg.svd,
                "(m,n)->(m,p),(k),(q,n)",
                a,
                sizes={"k": k, "p": p, "q": q},
                dtypes=(a.dtype,) * 3,
                full_matrices=full_matrices,
            )
        )


linalg = _Linalg()


def _rebind(a, y) -> None:
    # ``a`` takes ``y``'s graph in place, as Dask's own ``a[idx] = v`` does
    a._meta, a.dask, a._name, a._chunks = y._meta, y.dask, y.name, y.chunks


def _np_getitem(a, idx):
    return a[idx]


def _np_setitem(a, idx, v):
    a = _np.array(a, copy=True)
    a[idx] = v
    return a


def _index_shape(a, idx):
    # the shape of a[idx] by NumPy's rules, from a stand-in of no memory
    stand = _np.broadcast_to(_np.empty((), a.dtype), a.shape)
    idx = tuple(_np.zeros(i.shape, i.dtype) if isinstance(i, ndarray) else i for i in idx)
    return stand[idx].shape


def getitem(a, idx):
    """``a[idx]`` with NumPy's meaning of ``idx``: Dask's own indexing, or where Dask has
    none (several integer-array indices: NumPy's pointwise indexing), one task over ``a``.
    A NumPy mask is its positions (``nonzero``): known sizes, where Dask's would be NaN."""
    if type(idx) is not tuple:
        idx = (idx,)
    if any(type(i) is _np.ndarray and i.dtype == bool for i in idx):
        idx = sum(
            (
                tuple(i.nonzero()) if type(i) is _np.ndarray and i.dtype == bool else (i,)
                for i in idx
            ),
            (),
        )
    try:
        return a[idx]
    except (NotImplementedError, AssertionError, ValueError, TypeError):
        # (NumPy's indexing of a stand-in below raises NumPy's error for a wrong index)
        import dask

        shape = _index_shape(a, idx)
        task = dask.delayed(_np_getitem, pure=True)(a, idx)
        return _da.from_delayed(task, shape, dtype=a.dtype, meta=a._meta)


def setitem(a, idx, v) -> None:
    """``a[idx] = v`` in place (``a`` takes the new graph), with NumPy's meaning of ``idx``:
    Dask's own assignment, or where Dask has none, one task over ``a``."""
    if a.size == 0 or getattr(v, "size", 1) == 0:
        return  # nothing to write (Dask's assignment refuses empty values)
    try:
        a[idx] = v
    except (NotImplementedError, ValueError, IndexError):
        import dask

        task = dask.delayed(_np_setitem, pure=True)(a, idx, v)
        y = _da.from_delayed(task, a.shape, dtype=a.dtype, meta=a._meta).rechunk(a.chunks)
        _rebind(a, y)


def take(a, indices, axis=None):
    """NumPy's ``take`` (a ``range`` of indices too)."""
    if isinstance(indices, range):
        indices = _np.arange(indices.start, indices.stop, indices.step)
    return _da.take(a, indices, axis=axis)


def _take_along_lazy(x, idx, axis: int):
    """``take_along_axis`` with a Dask index (its values unknown until computed): NumPy's,
    one task over ``x``."""
    import dask

    shape = _np.broadcast_shapes(
        tuple(1 if d == axis else n for d, n in enumerate(x.shape)), idx.shape
    )
    task = dask.delayed(_np.take_along_axis, pure=True)(x, idx, axis)
    return _da.from_delayed(task, shape, dtype=x.dtype, meta=x._meta)


# ------------------------------------------------------------------------------------------
# Training on Dask (issue 14, h-dtrain): minimal fixes on the training path. Kept in this
# section, at the end, so that it merges apart from the table's work above.


# (ones/zeros/empty with NumPy's positional dtype: the table's section above)

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


def new_handle(a):
    """A new Array object over ``a``'s graph (the same value): what a view of a tensor on
    'dask' holds, so that ``assign`` to one object leaves the other as it was until it is
    given its own new value (``chainrule.ops.dask_views``: a write through a view)."""
    return _da.Array(a.dask, a.name, a.chunks, meta=a._meta)


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
