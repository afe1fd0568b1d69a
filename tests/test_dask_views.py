"""In-place writes through views of tensors on ``'dask'`` (issue 14): PyTorch's semantics.

On the CPU a view shares its base's memory: a write through the view shows in the base
and in every other view of it, and autograd gives the base a CopySlices history. Dask
arrays share no memory, so chainrule keeps the sharing itself (``ops.dask_views``): each
test runs the same code on the CPU and on 'dask' and wants the same values (base, views,
results), the same gradients and the same errors, while building the graphs computes
nothing. (Kept beside the other Dask suites, not under tests/ops or tests/autograd,
which CI reruns on array-api-strict arrays that cannot go to 'dask'.)
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

da = pytest.importorskip("dask.array")

import chainrule as cr  # noqa: E402
from chainrule._state import ERR_OVERLAP  # noqa: E402


class _Computes:
    """Counts Dask computations (each ``compute``, ``persist`` or ``.cpu()`` starts one)."""

    def __init__(self) -> None:
        from dask.callbacks import Callback

        outer = self
        self.n = 0

        class Count(Callback):
            def _start(self, dsk):
                outer.n += 1

        self.cb = Count()

    def __enter__(self):
        self.cb.__enter__()
        return self

    def __exit__(self, *exc):
        self.cb.__exit__(*exc)


def _value(t):
    return t.detach().cpu().numpy() if t.device.type == "dask" else t.detach().numpy()


def _same(d, c) -> None:
    assert d.device.type == "dask", d.device
    assert isinstance(d._data, da.Array)
    assert d.dtype == c.dtype and tuple(d.shape) == tuple(c.shape)
    np.testing.assert_allclose(_value(d), _value(c), rtol=1e-6, atol=1e-6)


def _base(shape=(3, 4), dtype=cr.float32):
    return cr.arange(float(np.prod(shape))).reshape(shape).to(dtype)


def _on_both(fn, shape=(3, 4), dtype=cr.float32):
    """fn(x) on the CPU and on 'dask' (x: arange in ``shape``, chunks of 2): x and every
    tensor fn returns equal; building computes nothing."""
    x = _base(shape, dtype)
    xd = x.to("dask", chunks=2)
    outs = fn(x)
    with _Computes() as c:
        douts = fn(xd)
    assert c.n == 0, "building computed"
    _same(xd, x)
    outs = outs if isinstance(outs, tuple) else (outs,)
    douts = douts if isinstance(douts, tuple) else (douts,)
    for d, o in zip(douts, outs, strict=True):
        if isinstance(o, cr.Tensor):
            _same(d, o)
    return xd


# ------------------------------------------------------------------ the write kinds
def _iadd(x):
    x[0] += 1  # (Python: x[0] is a view, written by +=, then x[0] = it)
    return x[0]


def _detach_add(x):
    y = x.detach()
    y.add_(1)  # (detach shares storage, in PyTorch too)
    return y


def _no_grad_zero(x):
    w = x.clone().requires_grad_()
    with cr.no_grad():
        w[:, 0].zero_()
    return w


def _detach_of_view(x):
    d = x[1].detach()
    d.mul_(-1)
    return d


def _data_of_view(x):
    x.t().data.add_(0.5)
    return x.t()


def _setitem_of_view(x):
    v = x[1:]
    v[:, 2] = 40.0
    v[0, :2] = cr.tensor([7.0, 8.0], device=x.device)
    return v


def _view_of_view(x):
    v = x.view(2, 6)[:, 1:].t()
    v[2:4].sub_(100)
    return v


def _expand_row(x):
    e = x[:1].expand(5, 4)
    e[3].add_(1)  # (one row of the expansion holds each element once)
    return e


def _expand_fill(x):
    e = x[:, :1].expand(3, 4)
    e.fill_(-2.0)  # (fill_ of an expanded view: one value, as PyTorch lets it)
    return e


WRITES = {
    "x[1:3].add_(1)": lambda x: x[1:3].add_(1),
    "x.view(-1).zero_()": lambda x: x.view(-1).zero_(),
    "x.view(2, 6) * 2 (view, then mul_)": lambda x: x.view(2, 6).mul_(2),
    "x[0] += 1": _iadd,
    "x.t().mul_(2)": lambda x: x.t().mul_(2),
    "x.permute(1, 0)[1].copy_(...)": lambda x: x.permute(1, 0)[1].copy_(
        cr.ones(3, device=x.device) * 9
    ),
    "x.unsqueeze(0).squeeze(0)[2].neg_()": lambda x: x.unsqueeze(0).squeeze(0)[2].neg_(),
    "x[:, ::2].T[1].sub_(3)": lambda x: x[:, ::2].T[1].sub_(3),
    "x.diagonal().add_(100)": lambda x: x.diagonal().add_(100),
    "x.T.diagonal(-1).mul_(0)": lambda x: x.T.diagonal(-1).mul_(0),
    "x.narrow(1, 1, 2).clamp_(2, 5)": lambda x: x.narrow(1, 1, 2).clamp_(2, 5),
    "x[2][1:] = 5 (setitem on a view)": lambda x: x[2].__setitem__(slice(1, None), 5.0),
    "v[...] = 0": lambda x: x[1].__setitem__(Ellipsis, 0.0),
    "y = x.detach(); y.add_(1)": _detach_add,
    "x[1].detach().mul_(-1)": _detach_of_view,
    "x.t().data.add_(0.5)": _data_of_view,
    "no_grad: w[:, 0].zero_()": _no_grad_zero,
    "setitem on a view of a slice": _setitem_of_view,
    "view of a view of a view": _view_of_view,
    "x[:1].expand(5, 4)[3].add_(1)": _expand_row,
    "x[:, :1].expand(3, 4).fill_(-2)": _expand_fill,
}


@pytest.mark.parametrize("name", list(WRITES))
def test_a_write_through_a_view_reaches_the_base(name):
    _on_both(WRITES[name])


def test_integer_and_bool_tensors():
    _on_both(lambda x: x[1:].add_(2), dtype=cr.int64)
    _on_both(lambda x: x.t()[0].fill_(7), dtype=cr.int32)
    _on_both(lambda x: x.view(-1)[::3].fill_(True), dtype=cr.bool)


def test_the_examples_of_the_issue():
    x = cr.arange(6.0).to("dask", chunks=4)
    x[1:3].add_(1)
    x.view(2, 3).zero_()
    x[0] += 1
    x.view(2, 3).t().mul_(2)
    y = x.detach()
    y.add_(1)
    np.testing.assert_array_equal(x.cpu().numpy(), [3, 1, 1, 1, 1, 1])
    w = cr.ones(3, 2, device="dask").requires_grad_()
    with cr.no_grad():
        w[:, 0].zero_()
    np.testing.assert_array_equal(w.detach().cpu().numpy(), [[0, 1]] * 3)
    assert w.requires_grad and w.grad_fn is None


# ------------------------------------------------------------ other views see it
def _views(x):
    return (x[1], x[:, 2], x.t(), x.view(-1), x.diagonal(), x[1:, ::2], x.detach(), x[0].detach())


def _other_views_see_it(write):
    def fn(x):
        vs = _views(x)
        write(x, vs)
        return vs

    return fn


@pytest.mark.parametrize(
    "write",
    [
        lambda x, vs: x.mul_(10),  # the base itself
        lambda x, vs: vs[0].add_(1),  # a row
        lambda x, vs: vs[1].fill_(-1),  # a column
        lambda x, vs: vs[2][3].sub_(5),  # a row of the transpose
        lambda x, vs: vs[3][::5].zero_(),  # a strided slice of the flat view
        lambda x, vs: vs[4].add_(100),  # the diagonal
        lambda x, vs: vs[6].add_(0.25),  # the detached alias
        lambda x, vs: vs[7].mul_(3),  # a detached row
        lambda x, vs: x.__setitem__((slice(None), 0), 9.0),  # x[:, 0] = 9
    ],
    ids=[
        "base",
        "row",
        "column",
        "row of t()",
        "flat slice",
        "diagonal",
        "detach",
        "detach row",
        "setitem on base",
    ],
)
def test_every_other_view_sees_the_write(write):
    _on_both(_other_views_see_it(write))


def test_views_see_a_sequence_of_writes():
    def fn(x):
        vs = _views(x)
        for i, v in enumerate(vs):
            v.add_(i + 1)
            vs[(i + 3) % len(vs)].mul_(0.5)
        return vs

    _on_both(fn)


def test_reshape_is_a_copy_where_the_cpu_copies():
    def fn(x):
        r = x.t().reshape(-1)  # a copy on the CPU (the transpose is not contiguous)
        r.add_(1)
        v = x.reshape(2, 6)  # a view on the CPU
        v.mul_(2)
        return r, v

    _on_both(fn)


def test_a_view_the_cpu_refuses_is_a_value_whose_writes_are_refused():
    # x.t().view(-1) fails on the CPU (x.t() is not row-major); on 'dask' the layout of a
    # base is not known (an elementwise result of x.t() is transposed on the CPU, and its
    # .t().view(-1) a view), so it is read as a value and its writes are refused
    x = _base()
    with pytest.raises(RuntimeError, match="view size is not compatible"):
        x.t().view(-1)
    xd = _base().to("dask", chunks=2)
    v = xd.t().view(-1)
    np.testing.assert_array_equal(v.cpu().numpy(), x.t().reshape(-1).numpy())
    for write in (
        lambda: v.add_(1),
        lambda: v.__setitem__(0, 5.0),
        lambda: v[1:].zero_(),
        lambda: v.detach().mul_(2),
    ):
        with pytest.raises(RuntimeError, match=r"cannot follow.*\.reshape.*clone\(\)"):
            write()
    np.testing.assert_array_equal(xd.cpu().numpy(), x.numpy())
    y = (xd.t() * 1).t().view(-1)  # (a view on the CPU, where x.t() * 1 is transposed)
    np.testing.assert_array_equal(y.cpu().numpy(), x.reshape(-1).numpy())


def test_a_write_that_holds_an_element_twice_is_refused():
    for dev in ("cpu", "dask"):
        x = _base().to(dev)
        e = x[:1].expand(3, 4)
        with pytest.raises(RuntimeError, match="more than one element"):
            e.add_(1)
        with pytest.raises(RuntimeError, match="more than one element"):
            e[:, 1] = 5.0
        with pytest.raises(RuntimeError, match="more than one element"):
            e[:, 1:3].mul_(2)
        e.copy_(e)  # (PyTorch copies nothing into itself)
        np.testing.assert_array_equal(_value(x), np.arange(12.0).reshape(3, 4))
        assert x._version == 1
    assert "clone()" in ERR_OVERLAP  # (the fix, named)


def test_dead_views_are_forgotten():
    from chainrule.ops import dask_views

    x = _base().to("dask", chunks=2)
    before = len(dask_views._ALIASES)
    for _ in range(20):
        x[1].add_(1)
        x.t()[0].mul_(1)
    assert len(dask_views._ALIASES) == before
    np.testing.assert_array_equal(x.cpu().numpy()[1], np.arange(4.0, 8.0) + 20)


# --------------------------------------------------------------------- autograd
VIEWS = {
    "rows": lambda z: z[1:],
    "select": lambda z: z[0],
    "T": lambda z: z.T,
    "permute": lambda z: z.permute(1, 0),
    "view": lambda z: z.view(-1),
    "unsqueeze-squeeze": lambda z: z.unsqueeze(0).squeeze(0),
    "narrow of T": lambda z: z.T.narrow(0, 0, 1),
    "slice of slice": lambda z: z[:, 1:][:, :1],
    "diagonal": lambda z: z.diagonal(),
    "diagonal of T": lambda z: z.T.diagonal(-1),
    "expanded row": lambda z: z[:1].expand(4, 4)[2],
}
INPLACE = {
    "mul_(w)": lambda v, w: v.mul_(w),
    "add_(w)": lambda v, w: v.add_(w),
    "copy_(w)": lambda v, w: v.copy_(w),
    "mul_(w) then exp_": lambda v, w: v.mul_(w).exp_(),
    "[...] = w": lambda v, w: v.__setitem__(Ellipsis, w),
}


@pytest.mark.parametrize(
    ("view", "write", "reuse"),
    list(itertools.product(VIEWS, INPLACE, [False, True])),
)
def test_gradients_through_a_write_to_a_view(view, write, reuse):
    g = np.random.default_rng(0)
    x = cr.from_numpy(g.standard_normal((4, 4)).astype(np.float32)).requires_grad_()
    vs = tuple(VIEWS[view](cr.zeros(4, 4)).shape)
    w = cr.from_numpy(g.standard_normal(vs).astype(np.float32)).requires_grad_()

    def fn(x, w):
        z = x * 1.5
        v = VIEWS[view](z)
        other = z.t()[1]  # another view of z, taken before the write
        INPLACE[write](v, w)
        out = z * 2.0 + other.sum()
        return (out + v.sum()) if reuse else out

    out = fn(x, w)
    xd = x.detach().to("dask", chunks=3).requires_grad_()
    wd = w.detach().to("dask", chunks=3).requires_grad_()
    with _Computes() as c:
        dout = fn(xd, wd)
        assert dout.grad_fn.name() == out.grad_fn.name()
        seed = cr.ones_like(out)
        gd = cr.autograd.grad(dout, [xd, wd], seed.to("dask", chunks=3))
    assert c.n == 0, "building computed"
    _same(dout, out)
    for d, cpu in zip(gd, cr.autograd.grad(out, [x, w], seed), strict=True):
        _same(d, cpu)


def test_backward_and_forward_mode_through_a_written_view():
    import chainrule.autograd.forward_ad as fwAD

    def run(dev):
        x = cr.arange(6.0).reshape(2, 3).to(dev).requires_grad_()
        z = x * 2
        z[1, 1:].mul_(z[0, :2].clone())
        assert z.grad_fn.name() == "CopySlices"
        z.sum().backward()
        with fwAD.dual_level():
            p = fwAD.make_dual(cr.arange(6.0).reshape(2, 3).to(dev), cr.ones(2, 3).to(dev))
            q = p * 3
            q.t()[0].mul_(p[:, 1])
            tangent = fwAD.unpack_dual(q).tangent
        return x.grad, z, tangent

    for d, c in zip(run("dask"), run("cpu"), strict=True):
        _same(d, c)


# ------------------------------------------------------------ PyTorch's errors
ERR_VERSION = "one of the variables needed for gradient computation has been modified by an inplace"


def _error(fn):
    for dev in ("cpu", "dask"):
        x = cr.arange(6.0).reshape(2, 3).to(dev).requires_grad_()
        with pytest.raises(RuntimeError) as e:
            fn(x)
        yield str(e.value)


def _read_then_written(read, write):
    # z = x * 1; s = sin(read(z)) saves what it reads; write(z); backward through s
    def fn(x):
        z = x * 1
        s = read(z).sin()
        write(z)
        s.sum().backward()

    return fn


@pytest.mark.parametrize(
    "fn",
    [
        _read_then_written(lambda z: z[0], lambda z: z.add_(1)),
        _read_then_written(lambda z: z, lambda z: z[1].mul_(2)),
        _read_then_written(lambda z: z[:, 2], lambda z: z.t()[2].zero_()),
        _read_then_written(lambda z: z, lambda z: z.detach()[0].add_(1)),
        _read_then_written(lambda z: z.t()[1:], lambda z: z.__setitem__((0, 1), 5.0)),
    ],
    ids=[
        "a view, then its base written",
        "the base, then written through a view",
        "a view, then another view written",
        "the base, then a detached alias written",
        "a view, then the base's setitem",
    ],
)
def test_the_version_counter_is_shared(fn):
    cpu, dask = _error(fn)
    assert ERR_VERSION in cpu
    assert cpu == dask


def test_leaf_and_no_grad_view_errors_are_the_cpus():
    def leaf_view(x):
        x[0].add_(1)

    def no_grad_view(x):
        z = x * 1
        with cr.no_grad():
            v = z[0]
        v.add_(1)

    def multi(x):
        a, _ = (x * 1).unbind(0)
        a.mul_(2)

    for fn in (leaf_view, no_grad_view, multi):
        cpu, dask = _error(fn)
        assert cpu == dask, (cpu, dask)


# --------------------------------------------------------------------- training
def test_an_optimizer_after_a_no_grad_write_through_a_view():
    def run(dev):
        cr.manual_seed(0)
        model = cr.nn.Linear(4, 3).to(dev)
        opt = cr.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
        X = cr.arange(24.0).reshape(6, 4).to(dev) / 10
        for _ in range(3):
            opt.zero_grad()
            model(X).square().mean().backward()
            opt.step()
            with cr.no_grad():
                model.weight[:, 0].zero_()  # (a pruned input, kept at zero)
                model.bias[1:].clamp_(-0.1, 0.1)
        return model.weight, model.bias

    for d, c in zip(run("dask"), run("cpu"), strict=True):
        _same(d, c)


def test_views_follow_a_persisted_base():
    x = _base().to("dask", chunks=2)
    d = x.detach()
    v = x[1]
    x.persist()
    with _Computes() as c:
        d.add_(1)  # (d held x's array object before persist swapped it)
        v.mul_(2)
    assert c.n == 0
    want = np.arange(12.0).reshape(3, 4) + 1
    want[1] *= 2
    for t in (x, d):
        np.testing.assert_array_equal(t.cpu().numpy(), want)
    np.testing.assert_array_equal(v.cpu().numpy(), want[1])


def test_partial_overlap_is_refused_as_on_the_cpu():
    def cases(x):
        yield lambda: x[1:].add_(x[:-1])
        yield lambda: x.__setitem__(slice(1, None), x[:-1])
        yield lambda: x.view(-1)[1:5].mul_(x.view(-1)[:4])

    for dev in ("cpu", "dask"):
        x = _base().to(dev)
        for f in cases(x):
            with pytest.raises(RuntimeError, match="some elements of the input tensor"):
                f()
    # the same elements in the same layout, or none shared: allowed
    _on_both(lambda x: (x[1:].add_(x[1:]), x[0].mul_(x[2]), x.__setitem__(0, x[1])))


def test_views_a_write_does_not_reach_keep_their_graphs():
    def fn(x):
        rows = list(x)
        col = x[:, 1]
        flat = x.view(-1)
        for i, r in enumerate(rows):
            r.add_(i + 1)
        return (*rows, col, flat)

    _on_both(fn)
    x = _base().to("dask", chunks=2)
    rows = list(x)
    col = x[:, 1]
    names = [t._data.name for t in (*rows, col)]
    rows[0].add_(1)
    after = [t._data.name for t in (*rows, col)]
    assert after[1:3] == names[1:3]  # (other rows: not re-derived)
    assert after[0] != names[0] and after[3] != names[3]  # (the column: re-derived)


def test_data_assignment_leaves_the_views_with_the_old_values():
    def fn(x):
        v = x[0]
        t = x.t()
        x.data = cr.zeros(5, device=x.device)
        x.add_(1)
        v.add_(1)
        return v, t, x

    x = _base()
    xd = x.to("dask", chunks=2)
    for d, c in zip(fn(xd), fn(x), strict=True):
        _same(d, c)


def test_contiguous_of_a_transposed_view_is_a_copy():
    def fn(x):
        c = x.t().contiguous()  # (a copy on the CPU: x's writes do not reach it, nor its x)
        f = x.t().contiguous().view(-1)
        r = x.contiguous()  # (x itself)
        c.add_(1)
        x.mul_(2)
        return c, f, r

    _on_both(fn)


def test_aliases_the_cpu_returns_are_the_same_tensor():
    for dev in ("cpu", "dask"):
        v = _base().to(dev)[1]
        assert v.float() is v and v.contiguous() is v and v.real is v  # (PyTorch's too)


def test_augmented_assignment_to_an_index_with_history():
    def fn(dev):
        g = np.random.default_rng(1)
        x = cr.from_numpy(g.standard_normal((3, 4)).astype(np.float32)).to(dev).requires_grad_()
        w = cr.from_numpy(g.standard_normal(4).astype(np.float32)).to(dev).requires_grad_()
        z = x * 2  # (not exp: it saves its result, which the writes would change)
        z[1] += w  # (z[1].__iadd__(w), then z[1] = it)
        z[:, 2] *= w[:3]
        zt = z.t()
        zt[0] -= 1.0
        out = (z * z).sum()
        return (out, *cr.autograd.grad(out, [x, w]))

    with _Computes() as c:
        douts = fn("dask")
    assert c.n == 0
    for d, o in zip(douts, fn("cpu"), strict=True):
        _same(d, o)
