"""chainrule.functions.statistics against PyTorch: values, dtypes, shapes, indices, errors
and gradients of nansum, median, mode, quantile, cummax, logcumsumexp, cov, histc,
bincount, searchsorted, cdist, diff, renorm, ... and the in-place cumsum_, t_, squeeze_..."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import chainrule as cr

torch = pytest.importorskip("torch")
from _vs_torch import run, same_result, tensors  # noqa: E402

NAN, INF = math.nan, math.inf


_both, _same, _run = tensors, same_result, run  # (tests/tensor/_vs_torch.py)


M = np.array([[3.0, 1.0, 2.0, 1.0], [5.0, 5.0, 4.0, 4.0], [2.0, NAN, 1.0, 0.0]])
TIES = np.array([[1, 2, 2, 1, 3], [4, 4, 5, 5, 5], [7, 7, 7, 7, 7]])

CALLS = {
    "nansum": lambda m, x: m.nansum(x),
    "nansum dim": lambda m, x: m.nansum(x, 1, keepdim=True),
    "nanmean": lambda m, x: m.nanmean(x),
    "nanmean dim": lambda m, x: x.nanmean(dim=-1),
    "median": lambda m, x: m.median(x),
    "median dim": lambda m, x: m.median(x, 1),
    "median dim 0 keepdim": lambda m, x: x.median(0, keepdim=True),
    "median dim -1": lambda m, x: m.median(x, -1),
    "nanmedian": lambda m, x: m.nanmedian(x),
    "nanmedian dim": lambda m, x: m.nanmedian(x, 1),
    "mode": lambda m, x: m.mode(x),
    "mode dim 0": lambda m, x: x.mode(0, keepdim=True),
    "cummax": lambda m, x: m.cummax(x, 1),
    "cummin": lambda m, x: m.cummin(x, 0),
    "cummax -1": lambda m, x: x.cummax(-1),
    "logcumsumexp": lambda m, x: m.logcumsumexp(x, 1),
    "aminmax": lambda m, x: m.aminmax(x),
    "aminmax dim": lambda m, x: m.aminmax(x, dim=0, keepdim=True),
    "quantile": lambda m, x: m.quantile(x, 0.4),
    "quantile dim": lambda m, x: m.quantile(x, 0.25, dim=1),
    "quantile q tensor keepdim": lambda m, x: m.quantile(
        x, m.tensor([0.1, 0.5, 1.0], dtype=x.dtype), dim=0, keepdim=True
    ),
    "nanquantile": lambda m, x: m.nanquantile(x, 0.5, dim=1),
    "nanquantile all keepdim": lambda m, x: m.nanquantile(x, 0.7, keepdim=True),
    "cov": lambda m, x: m.cov(x),
    "cov correction 0": lambda m, x: m.cov(x, correction=0),
    "corrcoef": lambda m, x: m.corrcoef(x),
    "histc": lambda m, x: m.histc(x, bins=4),
    "histc range": lambda m, x: m.histc(x, bins=3, min=1, max=4),
    "diff": lambda m, x: m.diff(x),
    "diff n=2 dim 0": lambda m, x: m.diff(x, n=2, dim=0),
    "diff prepend": lambda m, x: x.diff(prepend=x[:, :1], append=x[:, -2:]),
    "renorm": lambda m, x: m.renorm(x, 2, 0, 3.0),
    "renorm p1 dim1": lambda m, x: x.renorm(1, 1, 2.0),
    "count_nonzero": lambda m, x: m.count_nonzero(x, dim=1),
    # (NaN coordinates left out: PyTorch's inf-norm keeps or drops them by the order of a
    # std::max, which is no contract)
    "cdist": lambda m, x: m.cdist(x, x),
    "cdist p1": lambda m, x: m.cdist(x, x[:2], p=1.0),
    "cdist inf": lambda m, x: m.cdist(m.nan_to_num(x)[None], m.nan_to_num(x)[None, :1], p=INF),
}

INPUTS = {
    "float32": M.astype(np.float32),
    "float64 no nan": np.nan_to_num(M, nan=6.0),
    "int64 ties": TIES,
    "int32": TIES.astype(np.int32),
    "bool": TIES > 3,
}


@pytest.mark.parametrize("inp", list(INPUTS))
@pytest.mark.parametrize("name", list(CALLS))
def test_values_dtypes_indices_errors(name, inp):
    _run(CALLS[name], INPUTS[inp], rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("name", list(CALLS))
@pytest.mark.parametrize("shape", [(), (0,), (3, 0), (0, 2), (1,)])
def test_empty_and_0d(name, shape):
    _run(CALLS[name], np.ones(shape, np.float32))


@settings(max_examples=40, deadline=None)
@given(
    a=hnp.arrays(
        st.sampled_from([np.float64, np.int64]),
        hnp.array_shapes(min_dims=1, max_dims=3, max_side=5),
        elements=st.integers(-3, 3),
    ),
    data=st.data(),
)
def test_index_choices_with_ties(a, data):
    """PyTorch's indices among tied values: median (the stable order's lower middle),
    mode (the last occurrence), cummax/cummin (the later of equal values)."""
    d = data.draw(st.integers(-a.ndim, a.ndim - 1))
    for f in (
        lambda m, x: m.median(x, d),
        lambda m, x: m.mode(x, d),
        lambda m, x: m.cummax(x, d),
        lambda m, x: m.cummin(x, d),
    ):
        _run(f, a)
    _run(lambda m, x: m.median(x), a)


@settings(max_examples=30, deadline=None)
@given(
    a=hnp.arrays(
        np.float64,
        hnp.array_shapes(min_dims=1, max_dims=3, max_side=5),
        elements=st.floats(-5, 5) | st.just(NAN),
    ),
    q=st.floats(0, 1),
    interp=st.sampled_from(["linear", "lower", "higher", "midpoint", "nearest"]),
    data=st.data(),
)
def test_quantile_modes_hypothesis(a, q, interp, data):
    d = data.draw(st.none() | st.integers(-a.ndim, a.ndim - 1))
    for fn in ("quantile", "nanquantile"):
        _run(lambda m, x, fn=fn: getattr(m, fn)(x, q, d, interpolation=interp), a, rtol=1e-9)
    _run(lambda m, x: m.nanmedian(x) if d is None else m.nanmedian(x, d), a)
    _run(lambda m, x: m.median(x) if d is None else m.median(x, d), a)
    _run(lambda m, x: m.logcumsumexp(x, 0), a, rtol=1e-9)


def test_quantile_errors():
    x = np.arange(4.0, dtype=np.float32)
    _run(lambda m, x: m.quantile(x, 1.5), x)
    _run(lambda m, x: m.quantile(x, 0.5, interpolation="foo"), x)
    _run(lambda m, x: m.quantile(x, m.tensor([0.5], dtype=m.float64)), x)
    _run(lambda m, x: m.quantile(x, m.tensor([[0.5]])), x)
    _run(lambda m, x: m.quantile(x.long(), 0.5), x)


def test_median_of_bools_and_logcumsumexp_of_ints_refused():
    _run(lambda m, x: m.median(x), np.array([True, False]))
    _run(lambda m, x: m.logcumsumexp(x, 0), np.array([1, 2]))
    _run(lambda m, x: m.nanmean(x), np.array([1, 2]))
    _run(lambda m, x: m.median(x, 1), np.zeros((3, 0)))
    _run(lambda m, x: m.mode(x, 1), np.zeros((3, 0)))


def test_logcumsumexp_is_stable():
    _run(lambda m, x: m.logcumsumexp(x, 0), np.array([-1000.0, 0.0, 1000.0, 1000.0]))
    _run(lambda m, x: m.logcumsumexp(x, 0), np.array([-INF, 1.0, -INF]))


COV_ARGS = {
    "1-d": (np.array([1.0, 2.0, 4.0]), {}),
    "ints": (np.array([[1, 2, 4], [3, 3, 0]]), {}),
    "fweights": (np.array([[1.0, 2, 4], [3, 3, 0]]), {"fweights": np.array([1, 2, 3])}),
    "aweights": (np.array([[1.0, 2, 4], [3, 3, 0]]), {"aweights": np.array([0.5, 2.0, 1.0])}),
    "both": (
        np.array([[1.0, 2, 4], [3, 3, 0]]),
        {"fweights": np.array([2, 1, 1]), "aweights": np.array([0.5, 2.0, 1.0])},
    ),
    "correction 3": (np.array([1.0, 2.0]), {"correction": 3}),
    "float fweights": (np.array([[1.0, 2, 3]]), {"fweights": np.array([1.0, 2, 3])}),
    "negative fweights": (np.array([[1.0, 2, 3]]), {"fweights": np.array([1, -2, 3])}),
    "int aweights": (np.array([[1.0, 2, 3]]), {"aweights": np.array([1, 2, 3])}),
    "3-d": (np.zeros((2, 2, 2)), {}),
}


@pytest.mark.parametrize("name", list(COV_ARGS))
def test_cov(name):
    a, kw = COV_ARGS[name]

    def f(m, x):
        return m.cov(x, **{k: (m.tensor(v) if k != "correction" else v) for k, v in kw.items()})

    _run(f, a)
    if name in ("1-d", "ints", "fweights", "aweights"):
        _run(lambda m, x: m.corrcoef(x), a)


COUNTING = {
    "bincount": (lambda m, x: m.bincount(x), np.array([0, 2, 2, 5])),
    "bincount minlength": (lambda m, x: m.bincount(x, minlength=8), np.array([0, 2, 2])),
    "bincount empty": (lambda m, x: m.bincount(x), np.zeros(0, np.int64)),
    "bincount weights": (lambda m, x: m.bincount(x, m.tensor([1.0, 2, 3])), np.array([0, 2, 2])),
    "bincount int weights": (lambda m, x: m.bincount(x, m.tensor([1, 2, 3])), np.array([0, 2, 2])),
    "bincount float64 weights": (
        lambda m, x: x.bincount(m.tensor([1.0, 2, 3], dtype=m.float64)),
        np.array([0, 2, 2]),
    ),
    "bincount negative": (lambda m, x: m.bincount(x), np.array([-1])),
    "bincount 2-d": (lambda m, x: m.bincount(x), np.array([[1]])),
    "bincount float": (lambda m, x: m.bincount(x), np.array([1.0])),
    "bincount minlength -1": (lambda m, x: m.bincount(x, minlength=-1), np.array([1])),
    "bincount weights length": (lambda m, x: m.bincount(x, m.tensor([1.0, 2])), np.array([1])),
    "histc": (lambda m, x: m.histc(x, bins=4), np.array([1.0, 2, 1, 4], np.float32)),
    "histc same values": (lambda m, x: m.histc(x, bins=3), np.array([1.0, 1.0])),
    "histc ints": (lambda m, x: m.histc(x, bins=2), np.array([1, 2])),
    "histc bins 0": (lambda m, x: m.histc(x, bins=0), np.array([1.0])),
    "histc min > max": (lambda m, x: m.histc(x, min=2, max=1), np.array([1.0])),
    "searchsorted": (
        lambda m, x: m.searchsorted(x, m.tensor([3, 6, 0, 9])),
        np.array([1, 3, 5, 7]),
    ),
    "searchsorted right": (
        lambda m, x: m.searchsorted(x, m.tensor([3, 5]), right=True),
        np.array([1, 3, 5, 7]),
    ),
    "searchsorted side": (
        lambda m, x: m.searchsorted(x, m.tensor([3, 5]), side="right", out_int32=True),
        np.array([1, 3, 5, 7]),
    ),
    "searchsorted opposite": (
        lambda m, x: m.searchsorted(x, m.tensor([3]), side="left", right=True),
        np.array([1, 3]),
    ),
    "searchsorted scalar": (lambda m, x: m.searchsorted(x, 3), np.array([1, 3, 5])),
    "searchsorted rows": (
        lambda m, x: m.searchsorted(x, m.tensor([[3, 6], [1, 2]])),
        np.array([[1, 3, 5], [0, 2, 4]]),
    ),
    "searchsorted rows mismatch": (
        lambda m, x: m.searchsorted(x, m.tensor([[3, 6], [1, 2]])),
        np.array([[1, 3, 5]]),
    ),
    "searchsorted sorter": (
        lambda m, x: m.searchsorted(x, m.tensor([2, 4]), sorter=m.argsort(x)),
        np.array([5, 1, 3]),
    ),
    "bucketize": (
        lambda m, x: m.bucketize(x, m.tensor([2, 4, 6, 8])),
        np.array([[1, 5], [9, 4]]),
    ),
    "bucketize right": (
        lambda m, x: m.bucketize(x, m.tensor([2.0, 4, 6]), right=True),
        np.array([2.0, 4.0, 7.0], np.float32),
    ),
    "bucketize scalar": (lambda m, x: m.bucketize(3, x), np.array([1, 3, 5])),
}


@pytest.mark.parametrize("name", list(COUNTING))
def test_counting(name):
    f, a = COUNTING[name]
    _run(f, a)


CDIST = {
    "2-d": ((3, 2), (4, 2), 2.0),
    "batched broadcast": ((2, 3, 2), (1, 4, 2), 2.0),
    "p=1": ((3, 2), (2, 2), 1.0),
    "p=0": ((3, 2), (2, 2), 0.0),
    "p=3": ((3, 2), (2, 2), 3.0),
    "1-d": ((3,), (3,), 2.0),
    "columns": ((2, 3), (2, 4), 2.0),
}


@pytest.mark.parametrize("name", list(CDIST))
def test_cdist(name):
    s1, s2, p = CDIST[name]
    rng = np.random.default_rng(1)
    a, b = rng.integers(-2, 3, s1).astype(np.float64), rng.integers(-2, 3, s2).astype(np.float64)
    _run(lambda m, x, y: m.cdist(x, y, p=p), a, b)
    _run(lambda m, x, y: m.cdist(x.long(), y.long()), a, b)


def test_diff_and_renorm_errors():
    _run(lambda m, x: m.diff(x), np.array(1.0))
    _run(lambda m, x: m.diff(x, n=-1), np.array([1.0]))
    _run(lambda m, x: m.diff(x, n=5), np.array([1.0, 2.0]))
    _run(lambda m, x: m.diff(x), np.array([True, False, False]))
    _run(lambda m, x: m.renorm(x, 2, 0, 1), np.ones((2, 2), np.int64))
    _run(lambda m, x: m.renorm(x, -1, 0, 1), np.ones((2, 2)))


# ------------------------------------------------------------------ gradients
def _grads(f, a, composite=False):
    out = []
    for m in (cr, torch):
        x = m.tensor(a, dtype=m.float64, requires_grad=True)
        y = f(m, x)
        y = y[0] if isinstance(y, tuple) else y
        y.backward(m.ones_like(y) * m.arange(1.0, y.numel() + 1, dtype=m.float64).reshape(y.shape))
        out.append((x.grad.numpy(), y))
    (gc, yc), (gt, yt) = out
    if not composite:
        assert yc.grad_fn.name() == yt.grad_fn.name()
    np.testing.assert_allclose(gc, gt, rtol=1e-9, atol=1e-12, equal_nan=True)


G = np.array([[3.0, 1.0, 2.0, 1.0, 2.0], [5.0, 5.0, 4.0, 4.0, 0.5], [2.0, 0.0, 1.0, 0.0, 7.0]])
GRADS = {
    "median": (lambda m, x: m.median(x), False),
    "median nan": (lambda m, x: m.median(x * m.tensor([1.0, NAN, 1, 1, 1], dtype=x.dtype)), False),
    "median dim": (lambda m, x: m.median(x, 1), False),
    "nanmedian": (lambda m, x: m.nanmedian(x), False),
    "nanmedian dim": (lambda m, x: m.nanmedian(x, 0, keepdim=True), False),
    "mode": (lambda m, x: m.mode(x, 1), False),
    "cummax": (lambda m, x: m.cummax(x, 1), False),
    "cummin": (lambda m, x: m.cummin(x, 0), False),
    "logcumsumexp": (lambda m, x: m.logcumsumexp(x, 1), False),
    "logcumsumexp dim 0": (lambda m, x: m.logcumsumexp(x, 0), False),
    "nansum": (lambda m, x: m.nansum(x * m.tensor([1.0, NAN, 1, 1, 1], dtype=x.dtype)), False),
    "nansum dim": (lambda m, x: m.nansum(m.log(x - 0.5), 1, keepdim=True), False),
    "nanmean": (lambda m, x: m.nanmean(m.log(x - 0.5), 1), True),
    "quantile": (lambda m, x: m.quantile(x, 0.3, dim=1), True),
    "quantile midpoint": (lambda m, x: m.quantile(x, 0.4, interpolation="midpoint"), True),
    "nanquantile": (lambda m, x: m.nanquantile(m.log(x - 0.5), 0.6, dim=1), True),
    "aminmax": (lambda m, x: m.aminmax(x, dim=1)[1], True),
    "cov": (lambda m, x: m.cov(x), True),
    "cov weights": (
        lambda m, x: m.cov(x, fweights=m.tensor([1, 2, 1, 1, 3]), aweights=x[0].abs() + 1),
        True,
    ),
    "corrcoef": (lambda m, x: m.corrcoef(x), True),
    "cdist": (lambda m, x: m.cdist(x, x[:2]), True),
    "cdist p1": (lambda m, x: m.cdist(x, x[:2], p=1), True),
    "diff": (lambda m, x: m.diff(x, n=2, dim=0), True),
    "renorm": (lambda m, x: m.renorm(x, 2, 0, 5.0), True),
}


@pytest.mark.parametrize("name", list(GRADS))
def test_gradients_match_torch(name):
    f, composite = GRADS[name]
    _grads(f, G, composite)


# ------------------------------------------------------------------ in place
INPLACE = {
    "cumsum_": lambda x: x.cumsum_(0),
    "cumprod_": lambda x: x.cumprod_(-1),
    "t_": lambda x: x.t_(),
    "transpose_": lambda x: x.transpose_(0, 1),
    "swapaxes_": lambda x: x.swapaxes_(0, -1),
    "swapdims_": lambda x: x.swapdims_(1, 0),
    "squeeze_": lambda x: x.unsqueeze_(0).squeeze_(),
    "squeeze_ dim": lambda x: x.unsqueeze_(1).squeeze_(1),
    "unsqueeze_": lambda x: x.unsqueeze_(-1),
    "renorm_": lambda x: x.renorm_(2, 0, 1.0),
}


@pytest.mark.parametrize("dtype", ["float32", "int64", "int32", "bool"])
@pytest.mark.parametrize("name", list(INPLACE))
def test_inplace(name, dtype):
    def f(m, x):
        r = INPLACE[name](x)
        assert r is x
        return x

    _run(f, (TIES[:2, :3] > 3) if dtype == "bool" else TIES[:2, :3].astype(dtype))


def test_inplace_scan_gradients():
    for name in ("cumsum_", "cumprod_"):

        def f(m, x, name=name):
            y = x * 1.0
            INPLACE[name](y)
            return y

        _grads(f, G[:2, :3])


def test_inplace_shape_change_of_a_leaf_requiring_grad_is_refused():
    _run(lambda m, x: x.requires_grad_().t_(), np.ones((2, 3)))
