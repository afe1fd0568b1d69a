"""Integer-array indexing on Dask arrays, block by block (issue 14): the scatter behind
index gradients (``add.at``), assignment, pointwise ``x[i, j]`` and ``take_along_axis``
(gather, sort) where Dask has none of its own. Each must give NumPy's values bit for bit
(repeats, negatives, broadcasting, slices beside arrays, empty and 0-d indices), raise
NumPy's IndexError for a position out of bounds (a NumPy index when the graph is built,
a Dask index when it is computed), compute nothing while building, and build a graph
whose tasks each read at most one block of the big array (never a task over all of it).

Here and not under tests/ops: CI reruns those on array-api-strict arrays, which cannot
go to Dask."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

da = pytest.importorskip("dask.array")

import dask  # noqa: E402
from dask.callbacks import Callback  # noqa: E402
from dask.core import flatten, get_dependencies  # noqa: E402

import chainrule as cr  # noqa: E402
from chainrule import backend_dask as bd  # noqa: E402


class Watch(Callback):
    """Counts the graphs Dask runs (``_start``) and the largest result of one task."""

    def __init__(self):
        super().__init__()
        self.n, self.biggest = 0, 0

    def _start(self, dsk):
        self.n += 1

    def _posttask(self, key, result, dsk, state, worker_id):
        name = key[0] if isinstance(key, tuple) else key
        if not str(name).startswith("finalize"):  # (compute's joining of the chunks)
            self.biggest = max(self.biggest, getattr(result, "nbytes", 0))


def blocks_read(y, x) -> int:
    """The most blocks of ``x`` that one task of ``y``'s graph reads directly."""
    dsk = dict(y.__dask_graph__())
    xkeys = set(flatten(x.__dask_keys__()))
    return max(len(get_dependencies(dsk, k) & xkeys) for k in dsk if k not in xkeys)


def n_tasks(y) -> int:
    return len(dict(y.__dask_graph__()))


def lazy(a, chunks=2):
    return da.from_array(np.asarray(a), chunks=chunks)


def add_at(x, idx, b):
    z = bd.array(x)  # (a new object: add.at writes it in place)
    bd.add.at(z, idx, b)
    return z


RNG = np.random.default_rng(0)


# ------------------------------------------------------------------ the graphs' shape


@pytest.mark.parametrize("dask_index", [False, True])
def test_scatter_add_is_a_task_per_block(dask_index):
    x = da.zeros((1000, 8), chunks=(100, 4))
    rows = RNG.integers(-1000, 1000, 300)
    g = RNG.standard_normal((300, 8))
    idx = lazy(rows, 64) if dask_index else rows
    with Watch() as w:
        z = add_at(x, (idx,), lazy(g, 64))
        assert w.n == 0  # (building computes nothing)
    assert blocks_read(z, x) <= 1 and z.chunks == x.chunks
    ref = np.zeros((1000, 8))
    np.add.at(ref, rows, g)
    with Watch() as w:
        out = z.compute()
    assert np.array_equal(out, ref)
    # no task holds the whole array: a block, or the values (a Dask index: one chunk,
    # every task's; a NumPy index: a chunk of them, or a block's own)
    block, chunk = 100 * 4 * 8, 64 * 8 * 8
    assert w.biggest <= (max(block, g.nbytes) if dask_index else max(block, chunk))
    # a task per block of x; the tasks scale with the blocks
    assert len(z.__dask_graph__().layers[z.name]) == x.npartitions
    z2 = add_at(da.zeros((1000, 8), chunks=(50, 4)), (idx,), lazy(g, 64))
    assert 1.4 * n_tasks(z) < n_tasks(z2) < 2.4 * n_tasks(z)


def test_scatter_add_of_a_big_dask_index_goes_in_pieces(monkeypatch):
    # values larger than a block: the Dask index and its values in pieces of about a
    # block, a chain of tasks per block (a piece each); no task holds all the values
    monkeypatch.setattr(bd, "_PIECE_MIN", 0)
    x = da.zeros((1000, 8), chunks=(100, 8))
    rows = RNG.integers(-1000, 1000, 3000)
    g = RNG.standard_normal((3000, 8))
    z = add_at(x, (lazy(rows, 700),), lazy(g, 700))
    assert blocks_read(z, x) <= 1
    with Watch() as w:
        out = z.compute()
    ref = np.zeros((1000, 8))
    np.add.at(ref, rows, g)
    assert np.array_equal(out, ref)
    assert w.biggest <= 2 * 100 * 8 * 8 < g.nbytes / 4


def test_put_along_a_tall_array_sends_a_block_only_the_pieces_it_reaches(monkeypatch):
    # gather's adjoint: add.at(z, (rows grid, idx)); the grid is NumPy's, so each block's
    # chain holds only the pieces of idx whose rows fall in it (not every piece)
    monkeypatch.setattr(bd, "_PIECE_MIN", 0)
    x = da.zeros((4000, 8), chunks=(500, 8))
    idx = RNG.integers(-8, 8, (4000, 3))
    g = RNG.standard_normal((4000, 3))
    grid = np.arange(4000)[:, None]
    z = add_at(x, (grid, lazy(idx, 1000)), lazy(g, 1000))
    layer = dict(z.__dask_graph__().layers[z.name])
    pieces = {k[1] for k in layer if k[0].endswith("-piece")}
    assert len(pieces) > 4 and len(layer) < 3 * x.npartitions
    ref = np.zeros((4000, 8))
    np.add.at(ref, (grid, idx), g)
    assert np.array_equal(z.compute(), ref)


def test_scatter_add_of_a_numpy_index_leaves_blocks_it_misses_alone():
    x = da.zeros((1000, 8), chunks=(100, 8))
    z = add_at(x, (np.array([5, 5, 901]),), 1.0)
    layer = dict(z.__dask_graph__().layers[z.name])
    # two blocks reached (0 and 9): two tasks; the other 8 blocks are x's own keys
    tasks = sorted(k[1] for k, v in layer.items() if v[0] is bd._scatter_block)
    assert tasks == [0, 9] and len(layer) == 10


@pytest.mark.parametrize("dask_index", [False, True])
def test_pointwise_getitem_reads_a_block_per_task(dask_index):
    xn = RNG.standard_normal((1000, 8))
    x = da.from_array(xn, chunks=(100, 8))
    i, j = RNG.integers(-1000, 1000, (2, 50)), RNG.integers(-8, 8, (1, 50))
    idx = (lazy(i, 30), lazy(j, 30)) if dask_index else (i, j)
    with Watch() as w:
        y = bd.getitem(x, idx)
        assert w.n == 0
    assert blocks_read(y, x) <= 1
    with Watch() as w:
        out = y.compute()
    assert np.array_equal(out, xn[i, j]) and y.shape == (2, 50)
    assert w.biggest < x.nbytes / 4


@pytest.mark.parametrize("dask_index", [False, True])
def test_setitem_of_several_arrays_is_a_task_per_block(dask_index):
    xn = RNG.standard_normal((1000, 8))
    x = da.from_array(xn, chunks=(100, 4))
    i, j = np.array([3, 3, -1, 500]), np.array([0, 0, 7, -8])
    z = bd.array(x)
    with Watch() as w:
        bd.setitem(z, (lazy(i), lazy(j)) if dask_index else (i, j), np.array([1.0, 2, 3, 4]))
        assert w.n == 0
    assert blocks_read(z, x) <= 1 and z.chunks == x.chunks
    ref = xn.copy()
    ref[i, j] = [1.0, 2, 3, 4]
    assert np.array_equal(z.compute(), ref)


@pytest.mark.parametrize("dask_index", [False, True])
@pytest.mark.parametrize("chunks", [(100, 8), (100, 3)])
def test_take_along_axis_reads_a_block_per_task(dask_index, chunks):
    xn = RNG.standard_normal((1000, 8))
    x = da.from_array(xn, chunks=chunks)
    for axis, shape in ((1, (1000, 5)), (0, (40, 8))):
        idx = RNG.integers(-xn.shape[axis], xn.shape[axis], shape)
        # (a chunk size under x's: axis 0 stays in blocks, gathered pointwise; within
        # Dask's chunk size it is made one chunk)
        with Watch() as w, dask.config.set({"array.chunk-size": "16KiB"}):
            y = bd.take_along_axis(x, lazy(idx, 30) if dask_index else idx, axis)
            assert w.n == 0
        # axis 1 of 8: x's blocks along it joined (8 x 100 rows: within the chunk size)
        assert blocks_read(y, x) <= (1 if axis == 0 else x.numblocks[1])
        with Watch() as w:
            out = y.compute()
        assert np.array_equal(out, np.take_along_axis(xn, idx, axis))
        assert w.biggest < x.nbytes / 4


# ----------------------------------------------------------- NumPy's values, drawn


@st.composite
def indexed(draw, arrays_min=1):
    """(array, chunks, index): 0-3 dims, uneven chunks, an index of slices (any step)
    and integer arrays (negatives, repeats, broadcast shapes; a Python int too)."""
    nd = draw(st.integers(1, 3))
    shape = tuple(draw(st.lists(st.integers(1, 6), min_size=nd, max_size=nd)))
    chunks = tuple(draw(st.integers(1, n)) for n in shape)
    kinds = draw(
        st.lists(st.sampled_from("sai"), min_size=nd, max_size=nd).filter(
            lambda k: sum(c != "s" for c in k) >= arrays_min
        )
    )
    bshape = tuple(draw(st.lists(st.integers(0, 3), max_size=2)))
    idx = []
    for n, k in zip(shape, kinds, strict=True):
        if k == "s":
            start = draw(st.none() | st.integers(-n - 1, n + 1))
            stop = draw(st.none() | st.integers(-n - 1, n + 1))
            idx.append(slice(start, stop, draw(st.sampled_from([None, 1, 2, -1, -2]))))
        elif k == "i":
            idx.append(draw(st.integers(-n, n - 1)))
        else:
            mine = tuple(draw(st.sampled_from([1, m])) for m in bshape)  # broadcast
            size = int(np.prod(mine))
            vals = draw(st.lists(st.integers(-n, n - 1), min_size=size, max_size=size))
            idx.append(np.array(vals, dtype=np.int64).reshape(mine))
    return np.arange(np.prod(shape)).reshape(shape), chunks, tuple(idx)


def as_dask_index(idx, chunk):
    return tuple(lazy(i, chunk) if isinstance(i, np.ndarray) else i for i in idx)


SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))


@SETTINGS
@given(indexed(0), st.sampled_from(["float64", "int64", "float32"]), st.booleans(), st.data())
def test_scatter_add_equals_numpys(case, dtype, dask_index, data):
    base, chunks, idx = case
    xn = (base * 0.37 - 1).astype(dtype)
    out_shape = xn[idx].shape
    vals = (RNG.standard_normal(out_shape) * 3).astype(dtype)
    if data.draw(st.booleans()) and vals.ndim:  # values that broadcast
        vals = vals[:1]
    ref = xn.copy()
    np.add.at(ref, idx, vals)
    x = da.from_array(xn, chunks=chunks)
    i = as_dask_index(idx, data.draw(st.integers(1, 3))) if dask_index else idx
    v = lazy(vals, 2) if data.draw(st.booleans()) and np.ndim(vals) else vals
    with pytest.MonkeyPatch.context() as mp:
        if data.draw(st.booleans()):  # a Dask index in pieces (of about a block each)
            mp.setattr(bd, "_PIECE_MIN", 0)
        z = add_at(x, i, v)
    assert blocks_read(z, x) <= 1
    out = z.compute()
    assert out.dtype == ref.dtype and z.chunks == x.chunks
    assert np.array_equal(out, ref)


@SETTINGS
@given(indexed(0), st.booleans(), st.data())
def test_scatter_set_equals_numpys(case, dask_index, data):
    base, chunks, idx = case
    xn = base * 0.5
    vals = RNG.standard_normal(xn[idx].shape)
    ref = xn.copy()
    ref[idx] = vals  # (a repeated position keeps its last value)
    x = da.from_array(xn, chunks=chunks)
    i = as_dask_index(idx, data.draw(st.integers(1, 3))) if dask_index else idx
    with pytest.MonkeyPatch.context() as mp:
        if data.draw(st.booleans()):
            mp.setattr(bd, "_PIECE_MIN", 0)
        z = bd._scatter(None, x, i, vals)
    assert np.array_equal(z.compute(), ref)


@SETTINGS
@given(indexed(), st.booleans(), st.data())
def test_pointwise_getitem_equals_numpys(case, dask_index, data):
    base, chunks, idx = case
    xn = base * 1.5
    x = da.from_array(xn, chunks=chunks)
    i = as_dask_index(idx, data.draw(st.integers(1, 3))) if dask_index else idx
    y = bd._gather(x, i)
    assert y.shape == xn[idx].shape
    assert np.array_equal(y.compute(), xn[idx])
    assert np.array_equal(bd.getitem(x, i).compute(), xn[idx])


@SETTINGS
@given(st.data())
def test_take_along_axis_equals_numpys(data):
    nd = data.draw(st.integers(1, 3))
    shape = tuple(data.draw(st.lists(st.integers(1, 5), min_size=nd, max_size=nd)))
    axis = data.draw(st.integers(-nd, nd - 1))
    ishape = [data.draw(st.sampled_from([1, n])) for n in shape]  # broadcast either way
    ishape[axis] = data.draw(st.integers(0, 6))
    xshape = [
        n if data.draw(st.booleans()) or m == 1 else 1 for n, m in zip(shape, ishape, strict=True)
    ]
    xshape[axis] = shape[axis]
    xn = RNG.standard_normal(xshape)
    idx = RNG.integers(-shape[axis], shape[axis], ishape)
    x = da.from_array(xn, chunks=tuple(data.draw(st.integers(1, n)) for n in xshape))
    ref = np.take_along_axis(xn, idx, axis)
    for i in (idx, lazy(idx, data.draw(st.integers(1, 3)))):
        y = bd.take_along_axis(x, i, axis)
        assert y.shape == ref.shape
        assert np.array_equal(y.compute(), ref)


def test_edge_indices():
    xn = np.arange(24.0).reshape(4, 6)
    x = da.from_array(xn, chunks=(3, 4))
    for idx in [
        (np.array([], int), np.array([], int)),
        (np.array(2), np.array(-1)),
        (1, np.array([0, 0])),
        (slice(None, None, -1), np.array([[0], [3]])),
        (Ellipsis, np.array([[0], [3]]), np.array([1, -1])),
    ]:
        assert np.array_equal(bd.getitem(x, idx).compute(), xn[idx])
        ref = xn.copy()
        np.add.at(ref, idx, 1.0)
        assert np.array_equal(add_at(x, idx, 1.0).compute(), ref)
    # a negative step from below -n: none (Dask's own slicing reads it as all)
    v = da.from_array(np.arange(5), chunks=1)
    for sl in (slice(-6, None, -1), slice(-7, -6, -1), slice(None, -6, -1), slice(7, 2, -2)):
        assert np.array_equal(bd.getitem(v, sl).compute(), np.arange(5)[sl])
    # a complex and a bool array
    c = xn + 1j * xn
    ref = c.copy()
    np.add.at(ref, (np.array([1, 1]), np.array([2, 2])), 1j)
    out = add_at(da.from_array(c, chunks=2), (np.array([1, 1]), np.array([2, 2])), 1j)
    assert np.array_equal(out.compute(), ref)
    b = da.from_array(xn > 10, chunks=2)
    assert np.array_equal(
        bd.getitem(b, (np.array([0, 3]), np.array([0, 5]))).compute(), [False, True]
    )
    # a 0-d array
    z = bd.array(da.from_array(np.array(2.0)))
    bd.add.at(z, (), 3.0)
    assert z.compute() == 5.0


def test_out_of_bounds_raises_numpys_index_error():
    x = da.zeros((10, 3), chunks=4)
    with pytest.raises(IndexError, match="index 10 is out of bounds for axis 0 with size 10"):
        add_at(x, (np.array([1, 10]),), 1.0)  # a NumPy index: when the graph is built
    with pytest.raises(IndexError, match="out of bounds"):
        bd.getitem(x, (np.array([1, 2]), np.array([0, -4])))
    for build in (
        lambda i: add_at(x, (i,), 1.0),
        lambda i: bd.getitem(x, (i, np.array([0, 1]))),
        lambda i: bd._scatter(None, x, (i, 0), 1.0),
    ):
        y = build(lazy([1, 10]))  # a Dask index: when computed
        with pytest.raises(IndexError, match="out of bounds"):
            y.compute()
    for axis, idx in ((1, np.full((10, 1), 3)), (0, np.full((1, 3), -11))):
        with pytest.raises(IndexError):  # (axis 1: one chunk; axis 0: three)
            bd.take_along_axis(x, lazy(idx), axis).compute()


# ------------------------------------------------------ gradients through chainrule


def _cpu_and_dask_grads(fn, *, dask_index):
    """fn(x, to_index) on the CPU and on 'dask': (the CPU's gradient, Dask's, the graphs
    run while building the Dask one)."""
    xn = RNG.standard_normal((50, 6)).astype(np.float32)
    x = cr.tensor(xn, requires_grad=True)
    (g_cpu,) = cr.autograd.grad(fn(x, lambda t: t).sum(), [x])
    xd = cr.tensor(xn).to("dask", chunks=(7, 4)).requires_grad_()
    move = (lambda t: t.to("dask", chunks=3)) if dask_index else (lambda t: t)
    with Watch() as w:
        (g,) = cr.autograd.grad(fn(xd, move).sum(), [xd])
    return g_cpu, g, w.n


I = [3, 3, -1, 49, 0, 3]
J = [[0], [5], [-6]]


@pytest.mark.parametrize("dask_index", [False, True])
@pytest.mark.parametrize(
    "fn",
    [
        lambda x, m: x[m(cr.tensor(I))] * 2,
        lambda x, m: x[m(cr.tensor(I)), m(cr.tensor(J))] * 3,
        lambda x, m: x[1:40:3, m(cr.tensor([1, 1, -1]))],
    ],
    ids=["x[i]", "x[i, j]", "x[slice, i]"],
)
def test_index_gradients_equal_the_cpus(fn, dask_index):
    g_cpu, g, n = _cpu_and_dask_grads(fn, dask_index=dask_index)
    assert n == 0 and isinstance(g._data, da.Array)
    assert g.dtype == g_cpu.dtype and g._data.chunks == ((7,) * 7 + (1,), (4, 2))
    assert np.array_equal(g.cpu().numpy(), g_cpu.numpy())


@pytest.mark.parametrize(
    "fn",
    [
        lambda x, m: x.index_select(0, m(cr.tensor([3, 3, 49, 0]))),
        lambda x, m: cr.nn.functional.embedding(m(cr.tensor([[3, 3], [49, 0]])), x) * 2,
        lambda x, m: x.gather(1, m(cr.tensor(np.tile([[0, 5, 5]], (50, 1))))),
        lambda x, m: x.gather(0, m(cr.tensor([[0, 49, 3, 3, 3, 0]] * 4))),
        lambda x, m: x.sort(dim=1).values * cr.arange(6.0).to(x.device),
    ],
    ids=["index_select", "embedding", "gather1", "gather0", "sort"],
)
def test_selection_gradients_equal_the_cpus(fn):
    g_cpu, g, n = _cpu_and_dask_grads(fn, dask_index=True)
    assert n == 0 and isinstance(g._data, da.Array)
    assert np.array_equal(g.cpu().numpy(), g_cpu.numpy())


def test_embedding_gradient_of_a_big_table_has_no_whole_table_task():
    w = cr.from_dask(da.zeros((20000, 16), chunks=(1000, 16), dtype="float32"))
    w.requires_grad_()
    i = cr.from_dask(lazy(RNG.integers(0, 20000, (64, 8)), 16))
    with Watch() as c:
        (g,) = cr.autograd.grad(cr.nn.functional.embedding(i, w).sum(), [w])
        assert c.n == 0
    with dask.config.set(scheduler="sync"), Watch() as c:
        gn = g.cpu().numpy()
    assert c.biggest <= 1000 * 16 * 4 * 2  # a block of rows (and the index), not the table
    ref = np.zeros((20000, 16), np.float32)
    np.add.at(ref, i.cpu().numpy(), 1.0)
    assert np.array_equal(gn, ref)


def test_on_a_cluster_of_worker_processes():
    # the tasks travel pickled: each carries its block's entries, not the whole index
    distributed = pytest.importorskip("distributed")
    xn = RNG.standard_normal((600, 4))
    rows, cols = RNG.integers(-600, 600, 200), RNG.integers(-4, 4, 200)
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster),
    ):
        x = da.from_array(xn, chunks=(100, 4))
        for i, j in ((rows, cols), (lazy(rows, 50), lazy(cols, 50))):
            ref = np.zeros_like(xn)
            np.add.at(ref, (rows, cols), 1.5)
            assert np.array_equal(add_at(da.zeros_like(x), (i, j), 1.5).compute(), ref)
            assert np.array_equal(bd.getitem(x, (i, j)).compute(), xn[rows, cols])


def test_setitem_and_take_in_numpys_forms():
    xn = np.zeros((6, 4))
    for idx, v in [
        ((np.array([1, 1, -1]),), np.arange(12.0).reshape(3, 4)),
        ((lazy([1, 1, -1], 1),), np.arange(12.0).reshape(3, 4)),
        ((2, np.array([0, 0])), np.array([5.0, 6])),  # (Dask's own: a TypeError)
        ((np.array([1, 1, -1]), np.array([0, 1, 1])), 7.0),
        ((0, slice(None), None)[:2], 3.0),
    ]:
        x = bd.array(da.from_array(xn, chunks=2))
        bd.setitem(x, idx, v)
        ref = xn.copy()
        ref[tuple(np.asarray(i) if isinstance(i, da.Array) else i for i in idx)] = v
        assert np.array_equal(x.compute(), ref)
    yn = np.arange(24.0).reshape(4, 6)
    y = da.from_array(yn, chunks=2)
    for ind, axis in [
        (np.array([[0, -1], [2, 2]]), 1),
        (range(1, 3), 0),
        (np.array([5, 0]), None),
        (lazy([[0, 3], [1, 1]], 1), 0),  # (a Dask index of two dims: Dask's own refuses)
        (np.array(2), 1),
    ]:
        ref = np.take(yn, np.asarray(ind), axis=axis)
        r = bd.take(y, ind, axis=axis)
        assert r.shape == ref.shape and np.array_equal(r.compute(), ref)
