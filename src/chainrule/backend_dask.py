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
# beyond merging and splitting dims, and linalg per matrix (``apply_gufunc``). Scatter and
# indexing go block by block; the rare index forms that take one task over an array say so.


def _dtype_kw(args, kwargs, at: int):
    # NumPy takes dtype positionally (np.zeros(shape, dtype)); Dask's creation functions
    # take **kwargs and would drop it, giving float64
    if len(args) > at:
        kwargs = dict(kwargs, dtype=args[at])
        args = args[:at]
    return args, kwargs


def zeros(*args, **kwargs):
    args, kwargs = _dtype_kw(args, kwargs, 1)
    # a shape that carries chunks (ChunkedShape: a Dask input's, in backward) keeps them:
    # x[idx]'s gradient (zeros, then a scatter-add per block) is chunked as x is
    chunks = getattr(args[0], "chunks", None) if args else None
    if chunks is not None and "chunks" not in kwargs and len(chunks) == len(args[0]):
        kwargs["chunks"] = chunks
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
    (``add.at``: the scatter-add of index gradients, chainrule.backend.scatter_add), and
    ``a`` takes the new graph in place, as Dask's own ``a[idx] = v`` does. Chunked: a task
    per block of ``a`` that the index reaches (``_scatter``, with the indexing section
    below); an index outside its forms (``None``, a Dask mask) is one task over ``a``."""
    y = _scatter(uf.__name__, a, idx, b)
    if y is None:
        import dask

        shape, dtype = a.shape, a.dtype
        task = dask.delayed(_np_ufunc_at, pure=True)(uf.__name__, a, idx, b)
        y = _da.from_delayed(task, shape, dtype=dtype, meta=a._meta).rechunk(a.chunks)
    _rebind(a, y)


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


def _mask_positions(idx):
    # a NumPy mask as its positions (``nonzero``): known sizes, where Dask's would be NaN
    if type(idx) is not tuple:
        idx = (idx,)
    if not any(type(i) is _np.ndarray and i.dtype == bool for i in idx):
        return idx
    return sum(
        (tuple(i.nonzero()) if type(i) is _np.ndarray and i.dtype == bool else (i,) for i in idx),
        (),
    )


def _plain_slices(shape, idx):
    # slices as NumPy reads them, spelt out: Dask misreads a negative step from below -n
    # (x[-6::-1] of 5 elements: all of them, not none)
    if len(idx) > len(shape) or any(
        i is None
        or i is Ellipsis
        or isinstance(i, bool)
        or getattr(getattr(i, "dtype", None), "kind", "") == "b"
        for i in idx
    ):
        return idx
    return tuple(
        i if not isinstance(i, slice) else _plain(*i.indices(n))
        for i, n in zip(idx, shape, strict=False)
    )


def _plain(start, stop, step):
    if not len(range(start, stop, step)):
        return slice(0, 0)
    return slice(start, stop if stop >= 0 else None, step)


def _dask_reads(idx) -> bool:
    """Whether Dask's own indexing reads ``idx`` as NumPy does: one integer array at most,
    of one dim, not apart from an int (beside an array NumPy counts ints as arrays, and
    puts their dims first when a slice stands between). Else it refuses or mis-shapes."""
    arrays = [k for k, i in enumerate(idx) if isinstance(i, (_np.ndarray, ndarray, list))]
    if not arrays:
        return True
    if len(arrays) > 1 or _np.ndim(idx[arrays[0]]) != 1:
        return False
    ints = [
        k
        for k, i in enumerate(idx)
        if isinstance(i, (int, _np.integer)) and not isinstance(i, (bool, _np.bool_))
    ]
    at = sorted(arrays + ints)
    return at == list(range(at[0], at[-1] + 1))


def getitem(a, idx):
    """``a[idx]`` with NumPy's meaning of ``idx``: Dask's own indexing, or where Dask has
    none (several integer-array indices: NumPy's pointwise indexing; a Dask index of more
    than one dimension), chunked by ``_gather``. A NumPy mask is its positions
    (``nonzero``): known sizes, where Dask's would be NaN. Only an index outside these
    forms is one task over ``a``."""
    idx = _plain_slices(a.shape, _mask_positions(idx))
    if not _dask_reads(idx):
        y = _gather(a, idx)
        if y is not None:
            return y
    try:
        return a[idx]
    except (NotImplementedError, AssertionError, ValueError, TypeError):
        y = _gather(a, idx)
        if y is not None:
            return y
        # (NumPy's indexing of a stand-in below raises NumPy's error for a wrong index)
        import dask

        shape = _index_shape(a, idx)
        task = dask.delayed(_np_getitem, pure=True)(a, idx)
        return _da.from_delayed(task, shape, dtype=a.dtype, meta=a._meta)


def setitem(a, idx, v) -> None:
    """``a[idx] = v`` in place (``a`` takes the new graph), with NumPy's meaning of ``idx``:
    Dask's own assignment, or where Dask has none (several integer arrays, a Dask index
    array), chunked by ``_scatter`` (a repeated position keeps its last value, as NumPy's
    does); only an index outside its forms is one task over ``a``."""
    if a.size == 0 or getattr(v, "size", 1) == 0:
        return  # nothing to write (Dask's assignment refuses empty values)
    idx = _plain_slices(a.shape, _mask_positions(idx))
    y = None if _dask_reads(idx) else _scatter(None, a, idx, v)
    if y is not None:
        _rebind(a, y)
        return
    try:
        a[idx] = v
    except (NotImplementedError, ValueError, IndexError, TypeError):
        y = _scatter(None, a, idx, v)
        if y is None:
            import dask

            task = dask.delayed(_np_setitem, pure=True)(a, idx, v)
            y = _da.from_delayed(task, a.shape, dtype=a.dtype, meta=a._meta).rechunk(a.chunks)
        _rebind(a, y)


def take(a, indices, axis=None):
    """NumPy's ``take`` (a ``range`` of indices too): ``a[..., indices]`` on ``axis``
    (``getitem``: Dask's own, or chunked where Dask has none, as a Dask index of several
    dims); ``axis`` None: of the flattened ``a``."""
    if isinstance(indices, range):
        indices = _np.arange(indices.start, indices.stop, indices.step)
    if axis is None:
        a, axis = a.reshape(-1), 0
    if not isinstance(indices, ndarray):
        indices = _np.asarray(indices)
    return getitem(a, (slice(None),) * (axis % a.ndim) + (indices,))


def take_along_axis(x, idx, axis: int):
    """NumPy's ``take_along_axis``: ``x``'s elements at ``idx`` along ``axis``, the other
    axes broadcast. Chunked either way: where ``axis`` is one chunk of ``x`` (a sort's
    axis), or can be made one within Dask's chunk size (``array.chunk-size``), one task per
    block of ``idx`` beside its block of ``x`` (``_take_along_lazy``); else (a gather
    along a long axis) pointwise indexing (``_gather``), which splits the work by
    ``x``'s blocks."""
    axis = axis % x.ndim
    if x.numblocks[axis] > 1:
        import dask
        from dask.utils import parse_bytes

        block = x.shape[axis] * x.dtype.itemsize
        block *= int(_np.prod([max(c) for d, c in enumerate(x.chunks) if d != axis]))
        if block <= parse_bytes(dask.config.get("array.chunk-size")):
            x = x.rechunk({axis: -1})
    if x.numblocks[axis] == 1:
        return _take_along_lazy(x, idx, axis)
    if not isinstance(idx, ndarray):
        idx = _np.asarray(idx)
    # x[i0, ..., idx, ...] with open grids: a grid per other axis, zeros where x's dim is 1
    # and idx's is not (the broadcast one)
    full = []
    for d, n in enumerate(x.shape):
        shape = [1] * x.ndim
        if d == axis:
            full.append(idx)
            continue
        shape[d] = n
        full.append(_np.arange(n).reshape(shape))
    y = _gather(x, tuple(full))
    if y is None:  # (an index Dask's shapes do not know: NaN sizes)
        return _take_along_one_task(x, idx, axis)
    return y


def _take_along_lazy(x, idx, axis: int):
    """``take_along_axis`` where ``axis`` of ``x`` is one chunk: NumPy's per block of
    ``idx`` (a Dask index, values unknown until computed, or NumPy's), beside the block of
    ``x`` of the same positions on the other axes (Dask's ``blockwise`` aligns the chunks
    and broadcasts the dims of size 1). Per task: one block of each."""
    if idx.ndim != x.ndim or any(_np.isnan(n) for n in idx.shape):
        return _take_along_one_task(x, idx, axis)  # (NumPy's error, or unknown sizes)
    if not isinstance(idx, ndarray):  # x's chunks where the sizes agree, else one
        chunks = [c if n == m else -1 for c, n, m in zip(x.chunks, x.shape, idx.shape, strict=True)]
        chunks[axis] = -1
        idx = _da.from_array(_np.asarray(idx), chunks=tuple(chunks))
    ind = tuple(range(x.ndim))
    x_ind = ind[:axis] + (x.ndim,) + ind[axis + 1 :]  # x's axis: its own, contracted
    return _da.blockwise(
        _take_along_block,
        ind,
        x,
        x_ind,
        idx,
        ind,
        axis=axis,
        dtype=x.dtype,
        meta=x._meta,
        concatenate=True,
    )


def _take_along_block(x, idx, axis):
    return _np.take_along_axis(x, idx, axis)


def _take_along_one_task(x, idx, axis: int):
    # an index of unknown sizes: NumPy's take_along_axis, one task over x
    import dask

    shape = _np.broadcast_shapes(
        tuple(1 if d == axis else n for d, n in enumerate(x.shape)), idx.shape
    )
    task = dask.delayed(_np.take_along_axis, pure=True)(x, idx, axis)
    return _da.from_delayed(task, shape, dtype=x.dtype, meta=x._meta)


# ------------------------------------------------- integer-array indexing, block by block
# NumPy's advanced indexing where Dask has none: several integer arrays (pointwise), a
# Dask index of several dims, and the scatters (``ufunc.at``, assignment). Each task holds
# one block of ``a`` (plus the index and the values it needs), never the whole of ``a``:
# the gradient of an embedding table of 10^7 rows is a task per block of rows, and only
# the blocks a NumPy index reaches (the others stay the zeros' own blocks, no task).


class _Index:
    """An index into an array of ``shape``, in the one form the chunked paths read:

    - ``parts``: per axis, a slice or an integer array (NumPy's or Dask's). A Python int
      is a 0-d array: beside arrays NumPy counts it advanced, alone it picks the same
      positions, and ``a[idx]`` has the same shape either way.
    - ``adv``: the axes of arrays; ``bshape``: their broadcast shape.
    - ``p``: where the arrays' dims go in ``a[idx]`` (NumPy's rule: in place of the arrays
      when their axes are adjacent, else first); ``out``: the shape of ``a[idx]``.
    - ``lazy``: whether an array is Dask's (its values unknown until computed)."""

    __slots__ = ("parts", "adv", "bshape", "p", "out", "lazy", "slices")

    def __init__(self, shape, parts):
        self.parts = parts
        self.adv = [d for d, i in enumerate(parts) if not isinstance(i, slice)]
        self.slices = [d for d, i in enumerate(parts) if isinstance(i, slice)]
        self.bshape = _np.broadcast_shapes(*[parts[d].shape for d in self.adv])
        adv = self.adv
        together = adv == list(range(adv[0], adv[-1] + 1)) if adv else True
        self.p = adv[0] if adv and together else 0
        lens = [len(range(*parts[d].indices(shape[d]))) for d in self.slices]
        self.out = tuple(lens[: self.p]) + (self.bshape if adv else ()) + tuple(lens[self.p :])
        self.lazy = any(isinstance(parts[d], ndarray) for d in adv)

    def shape_only(self):
        """This index without its arrays (what a block's task needs of it: a task that
        carried the arrays would carry all of a NumPy index, or a Dask index's graph)."""
        new = _Index.__new__(_Index)
        for k in self.__slots__:
            setattr(new, k, getattr(self, k))
        new.parts = None
        return new


def _parse(shape, idx):
    """``idx`` (NumPy's meaning, masks already positions) as an ``_Index`` into ``shape``,
    or None where it is not of that form (a ``None`` axis, a mask of Dask's, an array of
    unknown size, too many indices): the caller's one-task path then gives NumPy's
    error or answer. A NumPy index out of bounds raises NumPy's IndexError here."""
    if type(idx) is not tuple:
        idx = (idx,)
    parts = []
    for i in idx:
        if isinstance(i, list):
            i = _np.asarray(i)
        if isinstance(i, (int, _np.integer)) and not isinstance(i, bool):
            i = _np.asarray(i)
        if i is Ellipsis or isinstance(i, slice):
            parts.append(i)
        elif isinstance(i, (_np.ndarray, ndarray)) and i.dtype.kind in "iu":
            if any(_np.isnan(n) for n in i.shape):
                return None
            parts.append(i)
        else:
            return None
    dots = [k for k, i in enumerate(parts) if i is Ellipsis]
    if len(dots) > 1:
        return None
    if dots:
        at = dots[0]
        parts[at : at + 1] = [slice(None)] * (len(shape) - len(parts) + 1)
    if len(parts) > len(shape):
        return None
    parts += [slice(None)] * (len(shape) - len(parts))
    try:
        ix = _Index(shape, parts)
    except ValueError:  # arrays that do not broadcast together
        return None
    for d in ix.adv:
        if isinstance(parts[d], _np.ndarray):
            _check_bounds(parts[d], shape[d], d)
    return ix


def _check_bounds(c, n, axis) -> None:
    # NumPy's IndexError for a position outside [-n, n)
    if c.size and (c.min() < -n or c.max() >= n):
        bad = c[(c < -n) | (c >= n)].flat[0]
        raise IndexError(f"index {bad} is out of bounds for axis {axis} with size {n}")


def _coords(arrays, sizes, axes):
    """The index arrays broadcast together and flattened (C order: NumPy's order of the
    positions), negatives wrapped, each checked against its axis's size."""
    out = []
    for c, n, d in zip(_np.broadcast_arrays(*arrays), sizes, axes, strict=True):
        c = _np.asarray(c, dtype=_np.intp).ravel()
        _check_bounds(c, n, d)
        out.append(_np.where(c < 0, c + n, c))
    return out


def _slice_in_block(sl: slice, n: int, lo: int, hi: int):
    """The positions ``j`` of slice ``sl`` (of an axis of ``n``) that fall in block
    [lo, hi), as ``(j0, j1, local)``: ``range(j0, j1)`` and the slice of the block that
    they are; None if none."""
    start, _, step = sl.indices(n)
    length = len(range(*sl.indices(n)))
    if step > 0:
        j0, j1 = -(-(lo - start) // step), -(-(hi - start) // step)
    else:  # positions fall: start - j|step| in [lo, hi)
        s = -step
        j0, j1 = (start - hi) // s + 1, (start - lo) // s + 1
    j0, j1 = max(j0, 0), min(j1, length)
    if j0 >= j1:
        return None
    first = start + j0 * step - lo
    stop = first + (j1 - j0) * step
    return j0, j1, slice(first, stop if stop >= 0 else None, step)


class _Block:
    """What a block's scatter task needs besides the block, the values and a Dask index
    (an object, so that Dask reads no keys or tasks in it): the block's slices, and either
    its entries (``pos`` into the flattened broadcast index, ``coords`` in the block: a
    NumPy index, sorted out when the graph is built) or its bounds on the arrays' axes
    (``lo``/``hi``: a Dask index, sorted out in the task)."""

    __slots__ = ("local", "cuts", "ix", "pos", "coords", "lo", "hi", "sizes", "bnd", "own")
    __slots__ += ("vshape", "offset")  # the values' shape on the arrays' dims; pos's start

    def __init__(self, **kw):
        for k in self.__slots__:
            setattr(self, k, kw.get(k))


def _scatter_block(op, block, b, spec, *arrays):
    """One block of ``ufunc.at(a, idx, b)`` (``op`` a ufunc's name) or of ``a[idx] = b``
    (``op`` None): the entries of the index in this block, in the index's order (so that
    repeats add, or overwrite, in NumPy's order: the same bits)."""
    out = _np.array(block, copy=True)
    ix = spec.ix
    if arrays:  # a Dask index: its entries in this block, found now
        cs = _coords(arrays, spec.sizes, ix.adv)
        inside = _np.ones(cs[0].shape, bool)
        for c, lo, hi in zip(cs, spec.lo, spec.hi, strict=True):
            inside &= (c >= lo) & (c < hi)
        pos = _np.flatnonzero(inside)
        coords = [c[pos] - lo for c, lo in zip(cs, spec.lo, strict=True)]
    else:
        pos, coords = spec.pos, spec.coords
    if ix.adv and not pos.size:
        return out
    local = list(spec.local)
    for d, c in zip(ix.adv, coords, strict=True):
        local[d] = c
    vals = _block_values(b, spec, pos)
    if op is None:
        out[tuple(local)] = vals
    else:
        getattr(_np, op).at(out, tuple(local), vals)
    return out


def _block_values(b, spec, pos):
    # the values for this block's entries: b (broadcastable to a[idx]) cut to the block's
    # part of each slice axis and, on the arrays' dims, to the entries ``pos``
    if _np.ndim(b) == 0:
        return b
    ix = spec.ix
    p, nb = ix.p, len(ix.bshape)
    if spec.own:  # this block's values already, its entries' dims as one at p
        dims = [r if r < p else r + 1 for r in range(len(ix.slices))]
        cuts = [c if b.shape[r] != 1 else slice(None) for r, c in zip(dims, spec.cuts, strict=True)]
        return b[tuple(cuts[:p]) + (slice(None),) + tuple(cuts[p:])]
    b = _np.reshape(b, spec.bnd)
    cuts = [
        c if b.shape[r] != 1 else slice(None)
        for r, c in zip(_slice_dims(ix), spec.cuts, strict=True)
    ]
    if not ix.adv:
        return b[tuple(cuts)]
    b = _np.broadcast_to(b, b.shape[:p] + spec.vshape + b.shape[p + nb :])  # (a view)
    mid = _np.unravel_index(pos + spec.offset, spec.vshape) if nb else (None,)
    return b[tuple(cuts[:p]) + tuple(mid) + tuple(cuts[p:])]


def _slice_dims(ix):
    # the dims of a[idx] that the slice axes give, in order
    nb = len(ix.bshape) if ix.adv else 0
    return [r if r < ix.p else r + nb for r in range(len(ix.slices))]


def _single_key(x):
    # x as one chunk, and that chunk's key
    x = x.rechunk(-1) if x.ndim else x
    return x, (x.name,) + (0,) * x.ndim


_PIECE_MIN = 1 << 16  # bytes: no smaller pieces (their tasks would cost more than they do)


def _index_pieces(ix, a, b, bnd, deps):
    """A Dask index (and the values, where they are not broadcast along it) cut along the
    index's first dim into pieces of about one block of ``a`` each, so that no task holds
    more: ``(pieces, arrays, vpieces)``: the pieces' row ranges, per piece the keys (or
    NumPy arrays) of the index's arrays, per piece the values' key (None: values whole).
    One piece (the whole index, as it is) when it and the values fit in a block."""
    p, bshape = ix.p, ix.bshape
    nb = len(bshape)
    block = _np.prod([max(c) if c else 0 for c in a.chunks]) * a.dtype.itemsize
    block = max(block, _PIECE_MIN)
    own = nb and _np.ndim(b) and bnd[p] == bshape[0] and bshape[0] > 1
    size = int(_np.prod(bshape)) * 8 * len(ix.adv)  # (the index, as intp)
    if own:
        itemsize = (b if isinstance(b, (ndarray, _np.ndarray)) else _np.asarray(b)).dtype.itemsize
        size = max(size, int(_np.prod(bnd)) * itemsize)
    rows = bshape[0] if nb else 1
    if not nb or size <= block or rows <= 1:
        arrays = []
        for d in ix.adv:
            x = ix.parts[d]
            if isinstance(x, ndarray):
                x, key = _single_key(x)
                deps.append(x)
                x = key
            arrays.append(x)
        return [(0, rows)], [arrays], None
    step = max(1, int(rows * block // size))
    pieces = [(r, min(r + step, rows)) for r in range(0, rows, step)]
    chunks = (step,) + (-1,) * (nb - 1)
    keys = []
    for d in ix.adv:
        x = _da.broadcast_to(_da.asarray(ix.parts[d]), bshape).rechunk(chunks)
        deps.append(x)
        keys.append([(x.name, j) + (0,) * (nb - 1) for j in range(len(pieces))])
    arrays = [list(k) for k in zip(*keys, strict=True)]
    if not own:
        return pieces, arrays, None
    v = _da.asarray(b).reshape(bnd)
    v = v.rechunk({r: step if r == p else -1 for r in range(v.ndim)})
    deps.append(v)
    vpieces = [(v.name,) + (0,) * p + (j,) + (0,) * (v.ndim - p - 1) for j in range(len(pieces))]
    return pieces, arrays, vpieces


def _reach(ix, shape, pieces):
    """Per piece of a Dask index, the positions its NumPy arrays (a gather's grids, known
    now) take, as ``(axis, min, max)``; None for an empty piece."""
    out = []
    for r0, r1 in pieces:
        lims = []
        for d in ix.adv:
            c = ix.parts[d]
            if isinstance(c, ndarray):
                continue
            if c.ndim and c.ndim == len(ix.bshape) and c.shape[0] != 1:  # (else: all of it)
                c = c[r0:r1]
            if not c.size:
                lims = None
                break
            c = _np.where(c < 0, c + shape[d], c)
            lims.append((d, int(c.min()), int(c.max())))
        out.append(lims)
    return out


def _scatter(op, a, idx, b):
    """``ufunc.at(a, idx, b)`` (``op`` the ufunc's name) or ``a[idx] = b`` (``op`` None),
    as a new Dask array with ``a``'s chunks; None where ``idx`` is not an ``_Index``.

    One task per block of ``a``, holding that block only. A NumPy index is sorted into
    blocks now: the blocks it does not reach stay ``a``'s own (no task), and each task gets
    only its own entries of the index and, where the values are not broadcast along the
    index, its own values (one Dask gather of the values in the blocks' order, cut into a
    chunk per block). A Dask index (values unknown until computed) is read by every
    block's task, which masks it by the block's bounds: whole (one chunk, with the values)
    when that fits in about a block, else in pieces of about a block, a chain of tasks per
    block (``_index_pieces``). The tasks check the bounds: NumPy's IndexError at compute
    time."""
    import itertools

    from dask.base import tokenize
    from dask.highlevelgraph import HighLevelGraph

    ix = _parse(a.shape, idx)
    if ix is None:
        return None
    bshape = b.shape if isinstance(b, ndarray) else _np.shape(b)
    try:
        if any(_np.isnan(n) for n in bshape) or _np.broadcast_shapes(bshape, ix.out) != ix.out:
            return None
    except ValueError:
        return None  # (the one-task path raises NumPy's error)
    bnd = (1,) * (len(ix.out) - len(bshape)) + tuple(bshape)
    p, nb = ix.p, len(ix.bshape)
    bounds = [_np.cumsum((0,) + c) for c in a.chunks]
    # each slice axis: per block, the slice's part in it (None: none)
    cut = {
        d: [_slice_in_block(ix.parts[d], a.shape[d], *bounds[d][k : k + 2]) for k in range(nk)]
        for d, nk in zip(ix.slices, [a.numblocks[d] for d in ix.slices], strict=True)
    }
    name = f"scatter-{op or 'set'}-" + tokenize(a.name, op, b, idx)
    dsk, deps, arrays = {}, [a], []
    groups = None  # a NumPy index's entries per block of its axes
    pieces = [(0, ix.bshape[0] if nb else 1)]  # a Dask index's, along its first dim
    if ix.lazy:
        pieces, arrays, vpieces = _index_pieces(ix, a, b, bnd, deps)
    else:  # a NumPy index: its entries sorted by block, in their order within a block
        cs = _coords([ix.parts[d] for d in ix.adv], [a.shape[d] for d in ix.adv], ix.adv)
        nblk = [a.numblocks[d] for d in ix.adv]
        ks = [
            _np.searchsorted(bounds[d][1:], c, side="right")
            for d, c in zip(ix.adv, cs, strict=True)
        ]
        groups = {}
        if ix.adv and cs[0].size:
            flat = _np.ravel_multi_index(ks, nblk) if len(ks) > 1 else ks[0]
            order = _np.argsort(flat, kind="stable")
            ids, starts = _np.unique(flat[order], return_index=True)
            ends = list(starts[1:]) + [order.size]
            for g, (i, s, e) in enumerate(zip(ids, starts, ends, strict=True)):
                pos = order[s:e]
                key = _np.unravel_index(i, nblk) if len(ks) > 1 else (i,)
                key = tuple(int(k) for k in key)
                lo = [bounds[d][k] for d, k in zip(ix.adv, key, strict=True)]
                groups[key] = (pos, [c[pos] - o for c, o in zip(cs, lo, strict=True)], g)
        elif not ix.adv:
            groups[()] = (_np.zeros(1, _np.intp), [], 0)
    # the values: per block its own (a NumPy index, values not broadcast along it), else
    # whole, one chunk (a NumPy array: once in the graph, not in every task)
    sort = bool(groups) and nb > 0 and bnd[p : p + nb] == ix.bshape and _np.ndim(b) > 0
    if sort:
        counts = tuple(int(e - s) for s, e in zip(starts, ends, strict=True))
        flat_shape = bnd[:p] + (int(_np.prod(ix.bshape)),) + bnd[p + nb :]
        at = (slice(None),) * p + (order,)
        if isinstance(b, ndarray):
            b = b.reshape(bnd).reshape(flat_shape)[at]
            b = b.rechunk({d: counts if d == p else -1 for d in range(b.ndim)})
            deps.append(b)
            per_block = [
                (b.name,) + (0,) * p + (g,) + (0,) * (b.ndim - p - 1) for g in range(len(counts))
            ]
        else:
            b = _np.reshape(b, bnd).reshape(flat_shape)[at]
            per_block = _np.split(b, _np.cumsum(counts)[:-1], axis=p)
    elif ix.lazy and vpieces is not None:
        values = None
    elif isinstance(b, ndarray):
        b, values = _single_key(b)
        deps.append(b)
    elif _np.ndim(b):
        values = ("scatter-values-" + tokenize(b),)
        dsk[values] = _np.asarray(b)
    else:
        values = b
    reach = _reach(ix, a.shape, pieces) if ix.lazy else [[]]
    light = ix.shape_only()
    rest = int(_np.prod(ix.bshape[1:])) if nb else 1
    for blk in itertools.product(*[range(n) for n in a.numblocks]):
        src = (a.name,) + blk
        slices = [cut[d][blk[d]] for d in ix.slices]
        entries = None if groups is None else groups.get(tuple(blk[d] for d in ix.adv))
        if any(s is None for s in slices) or (groups is not None and entries is None):
            dsk[(name,) + blk] = src  # no entry here: a's own block
            continue
        local = [None] * a.ndim  # (the arrays' axes: the entries' coordinates, in the task)
        for d, s in zip(ix.slices, slices, strict=True):
            local[d] = s[2]
        # a Dask index in pieces: a chain of tasks per block, a piece each, in the index's
        # order (a piece's entries add after those of the pieces before it, as in NumPy);
        # only the pieces whose NumPy arrays (a gather's grids) reach the block
        todo = [
            j
            for j, lims in enumerate(reach)
            if lims is not None
            and all(bounds[d][blk[d]] <= hi and lo < bounds[d][blk[d] + 1] for d, lo, hi in lims)
        ]
        if not todo:
            dsk[(name,) + blk] = src
            continue
        prev = src
        for j in todo:
            r0, r1 = pieces[j]
            spec = _Block(
                local=local,
                cuts=[slice(s[0], s[1]) for s in slices],
                ix=light,
                bnd=bnd,
                sizes=[a.shape[d] for d in ix.adv],
                lo=[int(bounds[d][blk[d]]) for d in ix.adv],
                hi=[int(bounds[d][blk[d] + 1]) for d in ix.adv],
                own=sort,
                vshape=ix.bshape,
                offset=r0 * rest,
            )
            if entries is not None:
                spec.pos, spec.coords, g = entries
                if sort:
                    values = per_block[g]
            if ix.lazy and vpieces is not None:  # this piece's values, indexed from 0
                values, spec.offset = vpieces[j], 0
                spec.vshape = (r1 - r0,) + ix.bshape[1:]
                spec.bnd = bnd[:p] + (r1 - r0,) + bnd[p + 1 :]
            key = (name,) + blk if j == todo[-1] else (name + "-piece", j) + blk
            piece = arrays[j] if ix.lazy else ()
            dsk[key] = (_scatter_block, op, prev, values, spec, *piece)
            prev = key
    graph = HighLevelGraph.from_collections(name, dsk, dependencies=deps)
    return _da.Array(graph, name, a.chunks, meta=a._meta)


def _gather(a, idx):
    """``a[idx]`` for an ``_Index`` with arrays (None otherwise), chunked. A NumPy index:
    Dask's pointwise ``vindex``, which sorts the points by block of ``a``; it puts the
    arrays' dims first and flattens them, which NumPy's order then undoes. A Dask index:
    the arrays' axes made one (moved together, merged by a reshape), the index raveled
    into it (checked against the bounds per chunk, NumPy's IndexError at compute time)
    and Dask's chunked indexing by a 1-d Dask index on that axis."""
    ix = _parse(a.shape, idx)
    if ix is None or not ix.adv:
        return None
    nb, p, adv = len(ix.bshape), ix.p, ix.adv
    rest = [ix.out[r] for r in _slice_dims(ix)]
    if 0 in ix.out:  # nothing to select (vindex and Dask's reshape refuse it)
        return _da.zeros(ix.out, dtype=a.dtype, chunks=-1)
    if not ix.lazy:
        key = list(ix.parts)
        for d, c in zip(adv, _np.broadcast_arrays(*[ix.parts[d] for d in adv]), strict=True):
            key[d] = c.reshape(-1)
        y = a.vindex[tuple(key)]
        y = y.reshape(ix.bshape + tuple(rest)) if nb != 1 else y
        if p:
            y = _da.moveaxis(y, tuple(range(nb)), tuple(range(p, p + nb)))
        return y
    sizes = [a.shape[d] for d in adv]
    order = adv + ix.slices if p == 0 and adv != list(range(len(adv))) else None
    t = a[tuple(slice(None) if d in adv else s for d, s in enumerate(ix.parts))]
    t = t.transpose(order) if order else t
    q = 0 if order else p
    merged = int(_np.prod(sizes, dtype=_np.int64))
    if len(adv) > 1:
        t = t.reshape(t.shape[:q] + (merged,) + t.shape[q + len(adv) :])
    arrays = [_da.asarray(ix.parts[d]) for d in adv]
    flat = _da.core.elemwise(
        _functools.partial(_ravel_checked, tuple(sizes), tuple(adv)), *arrays, dtype=_np.intp
    )
    flat = flat.reshape(-1) if flat.ndim != 1 else flat
    y = t[(slice(None),) * q + (flat,)]
    return y.reshape(ix.out) if y.shape != ix.out else y


def _ravel_checked(sizes, axes, *cs):
    # the flat position (C order over the arrays' axes) of each entry, NumPy's IndexError
    # for one out of bounds
    shape = _np.broadcast_shapes(*[c.shape for c in cs])
    flat = _coords(cs, sizes, axes)
    return _np.ravel_multi_index(flat, sizes).reshape(shape) if flat else _np.zeros(shape)


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


# ------------------------------------------------------------------------------------------
# Checks of values at compute time (issue 14, h-lazy): chainrule.backend.checked on a Dask
# array, a pass-through task per block that raises PyTorch's error when its block fails.
# Kept in this section, at the end, so that it merges apart from the sections above.


def checked(a, find, args: tuple, whole: int):
    """``a``, each block passed on by a task that first runs ``find(block, start, *args)``
    and raises the exception it returns (chainrule.backend.checked)."""
    if whole:  # (each matrix whole in one block: its check sees all of it)
        a = a.rechunk({a.ndim - 1 - i: -1 for i in range(whole)})
    # (meta given: Dask does not call the check on an empty stand-in to learn the type)
    return a.map_blocks(_checked_block, find, args, dtype=a.dtype, meta=a._meta)


def _checked_block(block, find, args, block_info=None):
    start = tuple(lo for lo, _ in block_info[0]["array-location"])
    e = find(block, start, *args)
    if e is not None:
        raise e
    return block


def per_line(kernel, a, axis: int, size: int, dtype):
    """``kernel(block, axis)``, a NumPy kernel over whole lines along ``axis`` (a row's
    mode), one task per block of ``a`` rechunked to hold them; its result has ``size``
    elements along ``axis``. (A value check's sibling: the kernel reads values, lazily.)"""
    a = a.rechunk({axis: -1})
    chunks = tuple((size,) if i == axis else c for i, c in enumerate(a.chunks))
    meta = _np.empty((0,) * a.ndim, dtype=dtype)
    return a.map_blocks(kernel, axis, chunks=chunks, dtype=dtype, meta=meta)
