"""Checks of values on ``'dask'``: computed when asked, raising the CPU's errors.

A check that looks at values (BCE's input range, nll's class targets, an index's bounds,
svd's NaN, cholesky's positive-definiteness, eig's infs and its phase condition) cannot
look at a lazy array: it becomes a task on the data path (``chainrule.backend.checked``),
so that building the graphs, forward and backward, computes nothing, and computing the
result raises the exception the CPU raises (type and message) or gives the CPU's values.
The rules that looked at values to pick a formula (prod's and cumprod's zeros) take their
general formulas on Dask, with the CPU's values, also with an infinite gradient.

(Not under tests/ops or tests/nn: those run again on array-api-strict arrays, which
cannot go to Dask.)
"""

from __future__ import annotations

import re

import numpy as np
import pytest

da = pytest.importorskip("dask.array")

import chainrule as cr  # noqa: E402
from chainrule import backend  # noqa: E402

F = cr.nn.functional


class _Computes:
    """Counts Dask computations (each ``compute``, ``persist`` or ``.cpu()`` starts one)."""

    def __enter__(self):
        from dask.callbacks import Callback

        outer = self
        self.n = 0

        class Count(Callback):
            def _start(self, dsk):
                outer.n += 1

        self.cb = Count()
        self.cb.__enter__()
        return self

    def __exit__(self, *exc):
        self.cb.__exit__(*exc)


def _dask(t, chunks=2, requires_grad=False):
    return t.detach().to("dask", chunks=chunks).requires_grad_(requires_grad)


def _cpu_error(f, *args) -> BaseException:
    with pytest.raises(Exception) as e:
        f(*args)
    return e.value


def _raises_when_computed(f, cpu_args, dask_args):
    """f on the CPU raises; on Dask, f builds without computing and its result raises
    the CPU's exception, type and message, when computed."""
    err = _cpu_error(f, *cpu_args)
    with _Computes() as c:
        out = f(*dask_args)
    assert c.n == 0, "building the graph computed"
    assert isinstance(out._data, da.Array)
    with pytest.raises(type(err), match=f"^{re.escape(str(err))}$"):
        out.cpu()
    return err


def _negative(block, start, limit):  # (module level: a Dask task's function)
    if (block < limit).any():
        return ValueError(f"below {limit} in the block at {start}")
    return None


def test_checked_raises_now_on_arrays_and_when_computed_on_dask():
    a = np.arange(6.0).reshape(2, 3)
    assert backend.checked(a, _negative, 0) is a
    with pytest.raises(ValueError, match=r"below 1 in the block at \(0, 0\)"):
        backend.checked(a, _negative, 1)
    x = da.from_array(a, chunks=(1, 2))
    with _Computes() as c:
        ok, bad = backend.checked(x, _negative, 0), backend.checked(x, _negative, 5)
        assert c.n == 0
    np.testing.assert_array_equal(ok.compute(), a)  # (values passed on as they are)
    assert ok.chunks == x.chunks and ok.dtype == x.dtype
    with pytest.raises(ValueError, match=r"below 5 in the block at \((0, 0|0, 2|1, 0)\)"):
        bad.compute()  # (one of the blocks that fail: the first one computed)
    with pytest.raises(ValueError, match=r"below 0 in the block at \(1, 2\)"):
        backend.checked(x - 10.0 * (da.arange(6).reshape(2, 3) == 5), _negative, 0).compute()
    # whole trailing axes: each block holds whole matrices (a check per matrix)
    assert backend.checked(x, _negative, 0, whole=2).chunks == ((2,), (3,))


def test_binary_cross_entropy_checks_its_input_when_computed():
    y = cr.tensor([1.0, 0.0, 1.0, 0.0, 1.0])
    for x in (cr.tensor([0.2, 0.5, 1.5, 0.1, 0.3]), cr.tensor([0.2, float("nan"), 0.5, 0, 1])):
        for red in ("mean", "none"):
            f = lambda x, y, red=red: F.binary_cross_entropy(x, y, reduction=red)  # noqa: E731
            err = _raises_when_computed(f, (x, y), (_dask(x), _dask(y)))
            assert type(err) is RuntimeError
            assert str(err) == "all elements of input should be between 0 and 1"
    # and the gradient of a checked input: the check is on its way too
    x = _dask(cr.tensor([0.2, 0.5, 1.5, 0.1, 0.3]), requires_grad=True)
    with _Computes() as c:
        (g,) = cr.autograd.grad(F.binary_cross_entropy(x, _dask(y)), [x])
    assert c.n == 0
    with pytest.raises(RuntimeError, match="between 0 and 1"):
        g.cpu()
    # ... under create_graph and in forward mode too; the loss's graph is the CPU's
    with _Computes() as c:
        (g,) = cr.autograd.grad(F.binary_cross_entropy(x, _dask(y)), [x], create_graph=True)
        (gg,) = cr.autograd.grad(g.sum(), [x])
        tangent = cr.func.jvp(
            lambda x: F.binary_cross_entropy(x, _dask(y)), (x.detach(),), (_dask(cr.ones(5)),)
        )[1]
    assert c.n == 0
    for t in (g.detach(), gg, tangent):
        with pytest.raises(RuntimeError, match="between 0 and 1"):
            t.cpu()
    loss = F.binary_cross_entropy(x, _dask(y))
    (x_node, _) = loss.grad_fn.next_functions[0]  # (no node of the check: the CPU's graph)
    assert type(x_node).__name__ == "AccumulateGrad"
    # in range: the CPU's values
    x = cr.tensor([0.2, 0.5, 1.0, 0.0, 0.3], requires_grad=True)
    xd = _dask(x, requires_grad=True)
    loss, lossd = F.binary_cross_entropy(x, y), F.binary_cross_entropy(xd, _dask(y))
    (g,), (gd,) = cr.autograd.grad(loss, [x]), cr.autograd.grad(lossd, [xd])
    np.testing.assert_allclose(lossd.cpu().item(), loss.item(), rtol=1e-6)
    np.testing.assert_allclose(gd.cpu().numpy(), g.numpy(), rtol=1e-6)


def test_nll_loss_checks_its_dask_targets_when_computed():
    x = cr.randn(5, 3, generator=cr.Generator().manual_seed(0)).log_softmax(1)
    w = cr.tensor([1.0, 2.0, 3.0])
    for bad in ([0, 2, 3, 1, 0], [0, -1, 1, 1, -100], [0, 1, 1, 2, 7]):
        t = cr.tensor(bad)
        for red in ("mean", "sum", "none"):
            f = lambda x, t, w, red=red: F.nll_loss(x, t, weight=w, reduction=red)  # noqa: E731
            err = _raises_when_computed(f, (x, t, w), (_dask(x), _dask(t), _dask(w)))
            assert type(err) is IndexError and re.fullmatch(
                r"Target -?\d+ is out of bounds\.", str(err)
            )
    # good targets (one ignored, or all): the CPU's losses and gradients, lazily
    for good in ([0, 2, 1, 1, -100], [-100] * 5):
        t = cr.tensor(good)
        for red in ("mean", "sum", "none"):
            xc = x.detach().requires_grad_()
            xd = _dask(x, requires_grad=True)
            loss = F.nll_loss(xc, t, weight=w, reduction=red)
            with _Computes() as c:
                lossd = F.nll_loss(xd, _dask(t), weight=_dask(w), reduction=red)
                (gd,) = cr.autograd.grad(lossd.sum(), [xd])
            assert c.n == 0
            (g,) = cr.autograd.grad(loss.sum(), [xc])
            assert lossd.dtype == loss.dtype and gd.dtype == g.dtype
            np.testing.assert_allclose(lossd.detach().cpu().numpy(), loss.detach().numpy())
            np.testing.assert_allclose(gd.cpu().numpy(), g.numpy(), rtol=1e-6)


def test_cross_entropy_checks_its_dask_targets_when_computed():
    x = cr.randn(4, 3, generator=cr.Generator().manual_seed(1))
    t = cr.tensor([0, 3, 1, 2])
    err = _raises_when_computed(F.cross_entropy, (x, t), (_dask(x), _dask(t)))
    assert type(err) is IndexError and str(err) == "Target 3 is out of bounds."


@pytest.mark.parametrize("bad", [[0, 3], [-1, 0], [1, 2, 0, -4]])
def test_index_select_and_embedding_check_a_dask_index_when_computed(bad):
    x = cr.arange(6.0).reshape(3, 2)
    i = cr.tensor(bad)
    # NumPy's take would wrap a negative index, and Dask's would not look: PyTorch's error
    _raises_when_computed(lambda x, i: x.index_select(0, i), (x, i), (_dask(x), _dask(i)))
    err = _raises_when_computed(lambda x, i: F.embedding(i, x), (x, i), (_dask(x), _dask(i)))
    assert type(err) is IndexError and str(err) == "index out of range in self"
    # and the gradient, which reads the index too
    xd = _dask(x, requires_grad=True)
    with _Computes() as c:
        (g,) = cr.autograd.grad(F.embedding(_dask(i), xd).sum(), [xd])
    assert c.n == 0
    with pytest.raises(IndexError, match="index out of range in self"):
        g.cpu()


def test_index_select_and_embedding_with_good_dask_indices_equal_the_cpu():
    x = cr.arange(6.0).reshape(3, 2).requires_grad_()
    i = cr.tensor([2, 0, 2, 1])
    xd = _dask(x, requires_grad=True)
    for f in (lambda x, i: x.index_select(0, i), lambda x, i: F.embedding(i, x)):
        out = f(x, i)
        with _Computes() as c:
            outd = f(xd, _dask(i))
            (gd,) = cr.autograd.grad(outd.sum(), [xd])
        assert c.n == 0
        (g,) = cr.autograd.grad(out.sum(), [x])
        np.testing.assert_array_equal(outd.detach().cpu().numpy(), out.detach().numpy())
        np.testing.assert_array_equal(gd.cpu().numpy(), g.numpy())


def _spd(*batch, n=3, seed=0):
    m = cr.randn(*batch, n, n, generator=cr.Generator().manual_seed(seed), dtype=cr.float64)
    return m @ m.mT + n * cr.eye(n, dtype=cr.float64)


def test_svd_refuses_a_nan_matrix_when_computed_naming_its_batch_element():
    x = _spd(2, 3)
    x[1, 1, 0, 2] = float("nan")  # batch element 4
    x[0, 2, 1, 1] = float("inf")  # (an inf matrix: NaN values, no error)
    for f in (cr.linalg.svdvals, lambda x: cr.linalg.svd(x)[0], lambda x: cr.linalg.svd(x)[2]):
        err = _raises_when_computed(f, (x,), (_dask(x, chunks=(1, 2, 3, 3)),))
        assert type(err) is cr.linalg.LinAlgError and "(Batch element 4): " in str(err)
    x = _spd(n=2)
    x[0, 1] = float("nan")
    err = _raises_when_computed(cr.linalg.svdvals, (x,), (_dask(x),))
    assert str(err).startswith("linalg.svd: The algorithm failed to converge")
    # an inf: NaN singular values, lazily, and the CPU's gradient elsewhere
    x = _spd(3)
    x[1, 0, 0] = float("inf")
    x.requires_grad_()
    xd = _dask(x, chunks=(2, 2, 3), requires_grad=True)
    with _Computes() as c:
        sd = cr.linalg.svdvals(xd)
        (gd,) = cr.autograd.grad(sd[0].sum() + sd[2].sum(), [xd])
    assert c.n == 0
    s = cr.linalg.svdvals(x)
    (g,) = cr.autograd.grad(s[0].sum() + s[2].sum(), [x])
    np.testing.assert_allclose(sd.detach().cpu().numpy(), s.detach().numpy(), equal_nan=True)
    np.testing.assert_allclose(gd.cpu().numpy(), g.numpy(), equal_nan=True, atol=1e-12)


@pytest.mark.parametrize("upper", [False, True])
def test_cholesky_refuses_a_matrix_that_is_not_positive_definite_when_computed(upper):
    x = _spd(2, 3, n=4)
    x[1, 2, 2, 2] = -50.0  # batch element 5, the leading minor of order 3
    f = lambda x: cr.linalg.cholesky(x, upper=upper)  # noqa: E731
    err = _raises_when_computed(f, (x,), (_dask(x, chunks=(1, 2, 4, 4)),))
    assert type(err) is cr.linalg.LinAlgError
    assert "(Batch element 5): " in str(err) and "order 3 " in str(err)
    x = _spd(n=3)
    x[0, 0] = float("nan")  # (a NaN pivot is not positive)
    _raises_when_computed(f, (x,), (_dask(x),))
    _raises_when_computed(cr.cholesky, (x,), (_dask(x),))


def test_eig_refuses_infs_and_nans_when_computed():
    x = _spd(n=3)
    x[2, 1] = float("inf")
    for f in (cr.linalg.eigvals, lambda x: cr.linalg.eig(x)[1]):
        err = _raises_when_computed(f, (x,), (_dask(x),))
        assert str(err) == "torch.linalg.eig: input tensor should not contain infs or NaNs."


def test_eig_refuses_a_phase_dependent_loss_when_its_gradient_is_computed():
    x = cr.tensor([[2.0, 1.0], [-1.0, 2.0]], dtype=cr.float64)  # complex eigenvectors

    def grad_of_phase_dependent(x):
        x = x.detach().requires_grad_()
        v = cr.linalg.eig(x)[1]
        return cr.autograd.grad(v.real.sum(), [x])[0]

    err = _raises_when_computed(grad_of_phase_dependent, (x,), (_dask(x),))
    assert type(err) is RuntimeError and str(err).startswith("linalg_eig_backward:")

    def grad_of_abs(x):  # phase-invariant: the CPU's gradient
        x = x.detach().requires_grad_()
        return cr.autograd.grad(cr.linalg.eig(x)[1].abs().sum(), [x])[0]

    np.testing.assert_allclose(grad_of_abs(_dask(x)).cpu().numpy(), grad_of_abs(x).numpy())


@pytest.mark.parametrize(
    "values",
    [
        [2.0, 3.0, -1.5, 0.5],
        [2.0, 0.0, -1.5, 0.5],  # one zero
        [0.0, 3.0, 0.0, 0.5],  # two zeros
        [0.0, 0.0, 0.0, 0.0],
    ],
)
@pytest.mark.parametrize("seed", [1.0, float("inf"), float("nan")])
def test_prod_gradient_on_dask_equals_the_cpu(values, seed):
    x = cr.tensor(values, requires_grad=True)
    xd = _dask(x, requires_grad=True)
    for f in (lambda x: x.prod(), lambda x: x.reshape(2, 2).prod()):
        (g,) = cr.autograd.grad(f(x), [x], cr.tensor(seed))
        with _Computes() as c:
            (gd,) = cr.autograd.grad(f(xd), [xd], _dask(cr.tensor(seed)))
        assert c.n == 0
        assert gd.dtype == g.dtype
        np.testing.assert_array_equal(gd.cpu().numpy(), g.numpy())  # (0 where the CPU's is)


@pytest.mark.parametrize(
    "values",
    [
        [[2.0, 3.0, -1.5, 0.5, 1.25], [1.0, 2.0, 0.5, 4.0, -1.0]],
        [[2.0, 0.0, -1.5, 0.5, 1.25], [0.0, 2.0, 0.0, 4.0, 0.0]],  # zeros, one and more
    ],
)
@pytest.mark.parametrize("big", [1.0, float("inf")])
@pytest.mark.parametrize("dim", [0, 1])
def test_cumprod_gradient_on_dask_equals_the_cpu(values, big, dim):
    x = cr.tensor(values, requires_grad=True)
    xd = _dask(x, requires_grad=True)
    seed = cr.ones(2, 5)
    seed[1, 3] = big  # (an infinite g meeting a zero: 0, not NaN, as on the CPU)
    (g,) = cr.autograd.grad(x.cumprod(dim), [x], seed)
    with _Computes() as c:
        (gd,) = cr.autograd.grad(xd.cumprod(dim), [xd], _dask(seed))
    assert c.n == 0
    assert gd.dtype == g.dtype
    np.testing.assert_allclose(gd.cpu().numpy(), g.numpy(), rtol=1e-6, equal_nan=True)
    # under create_graph (the exact rule) and in forward mode: the CPU's values too
    (g2,) = cr.autograd.grad(x.cumprod(dim), [x], seed, create_graph=True)
    (gd2,) = cr.autograd.grad(xd.cumprod(dim), [xd], _dask(seed), create_graph=True)
    np.testing.assert_allclose(
        gd2.detach().cpu().numpy(), g2.detach().numpy(), rtol=1e-6, equal_nan=True
    )
    t = cr.linspace(-1, 1, 10).reshape(2, 5)
    jv = cr.func.jvp(lambda x: x.cumprod(dim), (x.detach(),), (t,))[1]
    with _Computes() as c:
        jvd = cr.func.jvp(lambda x: x.cumprod(dim), (_dask(x),), (_dask(t),))[1]
    assert c.n == 0
    np.testing.assert_allclose(jvd.cpu().numpy(), jv.numpy(), rtol=1e-6)


def test_checked_graphs_pickle_for_distributed_workers():
    # (dask.distributed ships tasks pickled: a check's function must be importable by name)
    import pickle

    x, y = _dask(cr.tensor([0.2, 1.5])), _dask(cr.tensor([1.0, 0.0]))
    w = _dask(cr.arange(6.0).reshape(3, 2))
    m = _dask(_spd(2, n=3))
    m_bad = _dask(_spd(2, n=3) * cr.tensor([1.0, -1.0], dtype=cr.float64).reshape(2, 1, 1))
    for out, err in (
        (F.binary_cross_entropy(x, y), RuntimeError),
        (F.nll_loss(w.log_softmax(1), _dask(cr.tensor([0, 2, 1]))), IndexError),
        (F.embedding(_dask(cr.tensor([0, -1])), w), IndexError),
        (cr.linalg.cholesky(m_bad), cr.linalg.LinAlgError),
    ):
        again = pickle.loads(pickle.dumps(out._data))
        with pytest.raises(err):
            again.compute()
    np.testing.assert_array_equal(
        pickle.loads(pickle.dumps(cr.linalg.cholesky(m)._data)).compute(),
        cr.linalg.cholesky(m).cpu().numpy(),
    )


def test_integer_division_by_zero_raises_when_computed():
    a, b = cr.tensor([5, -7, 9]), cr.tensor([2, 0, 3])
    for f in (
        lambda a, b: a // b,
        lambda a, b: a % b,
        lambda a, b: cr.div(a, b, rounding_mode="trunc"),
        lambda a, b: cr.div(a, b, rounding_mode="floor"),
    ):
        err = _raises_when_computed(f, (a, b), (_dask(a), _dask(b)))
        assert type(err) is RuntimeError and str(err) == "ZeroDivisionError"
        good = cr.tensor([2, 1, -3])
        np.testing.assert_array_equal(f(_dask(a), _dask(good)).cpu().numpy(), f(a, good).numpy())


@pytest.mark.parametrize("targets", [[0, 1, 2, 3, -100, 1], [-100] * 6, [0, 1, 2, 3, 3, 1]])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_cross_entropy_with_label_smoothing_and_dask_targets_is_lazy(targets, weighted, reduction):
    # (the smoothing term's ignored targets: a where, as for a graph's targets)
    g = cr.Generator().manual_seed(2)
    x, w, t = (
        cr.randn(6, 4, generator=g).requires_grad_(),
        cr.rand(4, generator=g),
        cr.tensor(targets),
    )
    xd = _dask(x, chunks=3, requires_grad=True)
    kw = {"label_smoothing": 0.2, "reduction": reduction}
    loss = F.cross_entropy(x, t, weight=w if weighted else None, **kw)
    with _Computes() as c:
        lossd = F.cross_entropy(xd, _dask(t, chunks=3), weight=_dask(w) if weighted else None, **kw)
        (gd,) = cr.autograd.grad(lossd.sum(), [xd])
    assert c.n == 0
    (gc,) = cr.autograd.grad(loss.sum(), [x])
    np.testing.assert_allclose(lossd.detach().cpu().numpy(), loss.detach().numpy(), rtol=1e-6)
    np.testing.assert_allclose(gd.cpu().numpy(), gc.numpy(), rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("bad", [[0, 3, 1], [0, -2, 1]])
def test_one_hot_checks_dask_indices_when_computed(bad):
    i = cr.tensor(bad)
    f = lambda i: F.one_hot(i, 3)  # noqa: E731
    err = _raises_when_computed(f, (i,), (_dask(i),))
    assert type(err) is RuntimeError and str(err).startswith("Class values must be")
    good = cr.tensor([0, 2, 1, 2])
    np.testing.assert_array_equal(f(_dask(good)).cpu().numpy(), f(good).numpy())


def test_dropout_on_dask_computes_nothing_and_draws_the_cpus_mask():
    x = cr.randn(4, 6, generator=cr.Generator().manual_seed(3))
    cr.manual_seed(5)
    y = F.dropout(x, 0.4)
    cr.manual_seed(5)
    with _Computes() as c:
        yd = F.dropout(_dask(x, chunks=(2, 3)), 0.4)
    assert c.n == 0 and yd.dtype == y.dtype and yd._data.chunks == ((2, 2), (3, 3))
    np.testing.assert_array_equal(yd.cpu().numpy(), y.numpy())


@pytest.mark.parametrize("dim", [0, 1])
def test_mode_and_nanmedian_along_a_dim_on_dask_compute_nothing(dim):
    nan = float("nan")
    x = cr.tensor(
        [[1.0, 2, 2, 1, 3, 3, 3], [4, 4, 5, 5, 5, 4, 4], [nan] * 7, [1, nan, 2, 2, 0, 1, 9]]
    )
    for f in (cr.mode, cr.nanmedian, cr.median):
        want = f(x, dim)
        with _Computes() as c:
            got = f(_dask(x), dim)
        assert c.n == 0
        np.testing.assert_array_equal(got.indices.cpu().numpy(), want.indices.numpy())
        np.testing.assert_array_equal(got.values.cpu().numpy(), want.values.numpy())
