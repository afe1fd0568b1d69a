"""Every gradcheck case of the derivative table, run again with its inputs on ``'dask'``
(lazy, chunked Dask arrays, small uneven chunks so that every op crosses chunk
boundaries): forward values and gradients must equal the CPU's, keep the CPU's dtypes
exactly (float32 too: Dask must not widen them), and stay on ``'dask'``, lazy.

Tensors the cases make themselves are made on ``'dask'`` too (``set_default_device``),
as PyTorch code would; the cases that capture a CPU tensor with dimensions (a condition,
a gather index, a target) must raise PyTorch's device error (x[...] takes CPU indices
and masks, as PyTorch does on a GPU). What Dask cannot do (a Dask mask's selection, of
unknown size) must raise an error that names the workaround; an in-place write through a
view reaches its base as on the CPU (ops.dask_views: tests/test_dask_views.py). Building
the graphs, forward and backward, computes nothing (Dask callbacks count), in every case:
the checks of values (BCE's input range, nll's targets, linalg's NaN and failure checks)
are tasks that raise when computed, and the rules that look at values (prod's zeros,
cumprod's) take their general formulas on Dask.
"""

from __future__ import annotations

import sys

import numpy as np
import pytest
from _table_cases import table_cases
from hypothesis import given, settings
from hypothesis import strategies as st

da = pytest.importorskip("dask.array")

import chainrule as cr  # noqa: E402

TABLE = table_cases()
# cases whose draw captures a CPU tensor with dimensions (a condition, a mask, an index, a
# target) made by from_numpy, which always gives a CPU tensor: PyTorch's device error is
# the right answer, as on a GPU (tests/test_devices_table.py). Masks and index arrays
# given to x[...] are the exception, as in PyTorch: they may stay on the CPU
CPU_CAPTURED = {
    "where:where(cond, x, y)",
    "where:x.where(cond, y)",
    "where:where(cond, x, scalar)",
    "masked_fill:masked_fill",
    "masked_fill:masked_fill, the mask broadcasting x",
    "masked_fill_tensor:masked_fill(mask, 0-d tensor)",
    "take_along:gather(dim, index) with repeats",
    "take_along:gather(dim, permutation)",
    "scatter:scatter(dim, index, src), distinct indices",
    "scatter_value:scatter(dim, index, value) with repeats",
    "scatter_add:scatter_add(dim, index, src) with repeats",
    "index_add:index_add(dim, index, source, alpha) with repeats",
    "index_copy:index_copy(dim, index, source), distinct indices",
    "index_fill:index_fill(dim, index, number)",
    "index_fill_t:index_fill(dim, index, 0-d tensor)",
    "masked_scatter:masked_scatter(mask, source)",
    "scatter_reduce:scatter_reduce('sum') with repeats",
    "scatter_reduce:scatter_reduce('mean') with repeats",
    "scatter_reduce:scatter_reduce('amax') with repeats",
    "scatter_reduce:scatter_reduce('amin') with repeats",
    "scatter_reduce_prod:scatter_reduce('prod') with repeats",
    "binary_cross_entropy:F.binary_cross_entropy(weight)",
    "binary_cross_entropy_with_logits:F.binary_cross_entropy_with_logits(weight, pos_weight)",
    "nll_loss2d:F.nll_loss(N, C, ...)",
    "nll_loss2d:F.nll_loss(N, C, ..., weight, ignored)",
    "nll_loss:F.nll_loss(mean)",
    "nll_loss:F.nll_loss(none)",
    "nll_loss:F.nll_loss(sum)",
    "nll_loss:F.nll_loss(weight, an ignored target)",
    "nll_loss:F.nll_loss(weight, sum)",
    "batch_norm_eval:F.batch_norm(eval)",
    # PyTorch's embedding wants its indices where its weight is (CuPy takes NumPy's)
    "embedding:F.embedding",
    # the sample is computed by SciPy on the CPU, in the test, and given as a CPU array
    "standard_gamma:Gamma(alpha, 1) sample at quantile 0.3 (implicit reparameterization)",
    "standard_gamma:at quantile 0.9",
}
# what Dask cannot do, and the error that says so (and names the workaround)
# (a view's in-place write reaches its base on 'dask' too: ops.dask_views; tests/test_dask_views.py)
DASK_CANNOT: dict[str, str] = {}
CPU_ONLY = {"to_device:to_device cpu -> cpu"}  # moves to the CPU by construction
CASES = [c for c in TABLE.CASES if c.id not in CPU_ONLY]


def _tensors(out):
    return [
        o for o in (out if isinstance(out, (tuple, list)) else [out]) if isinstance(o, cr.Tensor)
    ]


def _on_dask(f, *args):
    cr.set_default_device("dask")
    try:
        return f(*args)
    finally:
        cr.set_default_device(None)


def _same(d, c):
    assert d.device.type == "dask", f"a result on {d.device}"
    assert isinstance(d._data, da.Array), f"data of type {type(d._data).__name__}"
    assert d.dtype == c.dtype, f"dtype {d.dtype} on dask, {c.dtype} on the cpu"
    rtol, atol = (1e-6, 1e-9) if c.dtype in (cr.float64, cr.complex128) else (1e-4, 1e-5)
    got = d.detach().cpu().numpy()
    assert got.dtype == c.detach().numpy().dtype  # (the computed chunks' dtype too)
    np.testing.assert_allclose(got, c.detach().numpy(), rtol=rtol, atol=atol, equal_nan=True)


# a case's own request for values, which the count leaves out: the standard_gamma cases
# compute their sample from alpha with SciPy (alpha.cpu()), as a user would
_ASKING = {"cpu", "numpy", "item", "tolist", "compute", "persist"}


def _asked_by_a_case() -> bool:
    """Whether the computation starting now was asked for by a case's own code (a value
    method of chainrule called from the table's tests), not started inside chainrule."""
    f = sys._getframe(2)  # (above Count._start)
    called = None
    while f is not None:
        name = f.f_code.co_filename.replace("\\", "/")
        if name == __file__.replace("\\", "/"):
            return False  # (this file's own requests count: .cpu() in a test below)
        if "/tests/" in name:
            return called is not None and called.f_code.co_name in _ASKING
        if "chainrule" in f.f_code.co_filename:
            called = f  # (the chainrule frame nearest the test's)
        f = f.f_back
    return False


class _Computes:
    """Counts the Dask computations chainrule starts while a graph is built (each
    ``compute``, ``persist`` or ``.cpu()`` starts one), not those a test asks for."""

    def __init__(self) -> None:
        from dask.callbacks import Callback

        outer = self
        self.n = 0

        class Count(Callback):
            def _start(self, dsk):
                if not _asked_by_a_case():
                    outer.n += 1

        self.cb = Count()

    def __enter__(self):
        self.cb.__enter__()
        return self

    def __exit__(self, *exc):
        self.cb.__exit__(*exc)


def _run(case, data, dtype):
    fn, leaves = TABLE.draw_check(case, data)
    if dtype is not None:
        leaves = [x.detach().to(dtype).requires_grad_(x.requires_grad) for x in leaves]
    try:
        outs = _tensors(fn(*leaves))
    except RuntimeError:
        if dtype is None:
            raise
        return  # (a case that mixes its float64 tensors with float32 leaves: no reference)
    chunks = data.draw(st.sampled_from([2, 3]), label="chunks")
    dleaves = [x.detach().to("dask", chunks=chunks).requires_grad_(x.requires_grad) for x in leaves]
    if case.id in CPU_CAPTURED:
        # a 0-d CPU tensor joins a Dask one as a number does (PyTorch's rule for a GPU): with
        # 0-d draws the case runs; else PyTorch's device error
        try:
            _on_dask(fn, *dleaves)
        except RuntimeError as e:
            assert "Expected all tensors to be on the same device" in str(e), str(e)
            return
        # (it ran: its CPU tensors were 0-d; test_cpu_tensors_meeting_dask_ones pins both)
    if case.id in DASK_CANNOT:
        with pytest.raises((RuntimeError, IndexError), match=DASK_CANNOT[case.id]):
            _on_dask(fn, *dleaves)
        return
    with _Computes() as counted:
        douts = _tensors(_on_dask(fn, *dleaves))
    assert counted.n == 0, "the forward computed"
    assert len(douts) == len(outs)
    for d, c in zip(douts, outs, strict=True):
        _same(d, c)
    wanted = [i for i, o in enumerate(outs) if o.requires_grad]
    if not wanted:
        return
    seeds = [cr.ones_like(outs[i]) for i in wanted]
    wrt = [i for i, x in enumerate(leaves) if x.requires_grad]
    cpu_grads = cr.autograd.grad(
        [outs[i] for i in wanted], [leaves[i] for i in wrt], seeds, allow_unused=True
    )
    with _Computes() as counted:
        dask_grads = _on_dask(
            lambda: cr.autograd.grad(
                [douts[i] for i in wanted],
                [dleaves[i] for i in wrt],
                [s.to("dask", chunks=chunks) for s in seeds],
                allow_unused=True,
            )
        )
    assert counted.n == 0, "the backward computed"
    for d, c in zip(dask_grads, cpu_grads, strict=True):
        assert (d is None) == (c is None)
        if c is not None:
            _same(d, c)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
@settings(max_examples=2, deadline=None)
@given(data=st.data())
def test_case_on_dask_equals_the_cpu(case, data):
    _run(case, data, None)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
@settings(max_examples=1, deadline=None)
@given(data=st.data())
def test_case_in_float32_on_dask_keeps_its_dtypes(case, data):
    # Dask's creation functions and NumPy scalars in its graphs widen float32 to float64
    # where NumPy would not: the dtypes must be the CPU's, results and gradients
    _run(case, data, cr.float32)


def test_backward_on_dask_computes_nothing_until_asked():
    g = cr.Generator().manual_seed(0)
    x = cr.randn(10, 4, generator=g).to("dask", chunks=3)
    y = cr.randn(10, 1, generator=g).to("dask", chunks=3)
    w1 = cr.randn(4, 5, generator=g).to("dask", chunks=2).requires_grad_()
    b1 = cr.zeros(5, device="dask").requires_grad_()
    w2 = cr.randn(5, 1, generator=g).to("dask", chunks=2).requires_grad_()
    with _Computes() as c:
        h = cr.nn.functional.relu(x @ w1 + b1)
        loss = ((h @ w2 - y) ** 2).mean() + cr.sigmoid(h).sum() * 1e-3
        loss.backward()
        assert c.n == 0, "forward and backward computed something"
        grads = [p.grad for p in (w1, b1, w2)]
        assert all(isinstance(p._data, da.Array) for p in grads)
        assert [p.dtype for p in grads] == [cr.float32] * 3
        w2.grad.cpu()
        assert c.n == 1
    # the same numbers as on the CPU
    ps = [p.detach().cpu().requires_grad_() for p in (w1, b1, w2)]
    h = cr.nn.functional.relu(x.cpu() @ ps[0] + ps[1])
    (((h @ ps[2] - y.cpu()) ** 2).mean() + cr.sigmoid(h).sum() * 1e-3).backward()
    for p, q in zip((w1, b1, w2), ps, strict=True):
        np.testing.assert_allclose(p.grad.cpu().numpy(), q.grad.numpy(), rtol=1e-5, atol=1e-7)


DEVICE_ERR = (
    "Expected all tensors to be on the same device, but found at least two devices, dask and cpu!"
)


def test_cpu_tensors_meeting_dask_ones():
    x = cr.arange(6.0).reshape(2, 3).to("dask", chunks=2).requires_grad_()
    # a CPU tensor with dimensions, a CPU mask, condition or gather index: PyTorch's error
    for f in (
        lambda: x + cr.ones(3),
        lambda: cr.ones(3) * x,
        lambda: cr.where(cr.ones(2, 3) > 0, x, 0.0),
        lambda: x.masked_fill(cr.ones(2, 3) > 0, 1.0),
        lambda: x.gather(1, cr.zeros(2, 1, dtype=cr.int64)),
    ):
        with pytest.raises(RuntimeError, match=DEVICE_ERR):
            f()
    # a 0-d CPU tensor joins as a number does; its gradient goes back to the CPU
    c = cr.tensor(2.0, requires_grad=True)
    y = (x * c).sum()
    assert isinstance(y._data, da.Array)
    gx, gc = cr.autograd.grad(y, [x, c])
    assert gx.device.type == "dask" and gc.device.type == "cpu"
    assert gc.item() == 15.0
    # x[...] takes CPU index arrays and masks, as PyTorch takes them on a GPU: known sizes
    r = x[cr.tensor([1, 0, 1])]
    assert isinstance(r._data, da.Array) and r.shape == (3, 3)
    m = x[cr.tensor([[True, False, True], [False, False, True]])]
    assert m.shape == (3,)
    (g,) = cr.autograd.grad(m.sum() + r.sum(), [x])
    np.testing.assert_array_equal(g.cpu().numpy(), [[2, 1, 2], [2, 2, 3]])
    # ... and Dask index arrays, lazily (x[i], index_select, gather, embedding)
    i = cr.tensor([1, 1]).to("dask")
    with _Computes() as c:
        outs = [
            x[i],
            x.index_select(0, i),
            x.gather(0, cr.tensor([[0, 1, 1]]).to("dask")),
            cr.nn.functional.embedding(i, x),
        ]
        (g,) = cr.autograd.grad(sum(o.sum() for o in outs), [x])
    assert c.n == 0
    assert all(isinstance(o._data, da.Array) for o in outs)
    np.testing.assert_array_equal(g.cpu().numpy(), [[1, 0, 0], [6, 7, 7]])


def test_what_dask_cannot_do_says_what_to_do():
    x = cr.arange(6.0).to("dask", chunks=4)
    # a Dask mask's selection has a size that depends on the values
    with pytest.raises((RuntimeError, IndexError), match=r"compute it first.*torch\.where"):
        x[x > 2]
    # a write through a view that holds an element twice (an expand), as on the CPU
    e = x[:1].expand(3)
    with pytest.raises(RuntimeError, match=r"more than one element.*clone\(\)"):
        e.add_(1)
    e.fill_(7.0)  # (fill_ writes one value: allowed, as on the CPU)
    # writes through views reach the base (tests/test_dask_views.py)
    x[1:3] = 5.0
    x[0] += 1  # (x[0] is a view: Python's += writes it first)
    x.view(2, 3)[1].mul_(2)
    np.testing.assert_array_equal(x.cpu().numpy(), [8, 5, 5, 6, 8, 10])
