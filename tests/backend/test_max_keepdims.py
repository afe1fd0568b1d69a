"""backend.max_keepdims, the shift of logsumexp, softmax and log_softmax: over many short
rows it compares across a transposed copy instead of reducing each row. The max is the
same number; the forwards that shift by it give the same bits either way (which zero or
which NaN of a row the max is does not reach their results)."""

from __future__ import annotations

import numpy as np
import pytest

from chainrule import backend
from chainrule.ops.reduction import LOG_SOFTMAX, LOGSUMEXP, SOFTMAX


def _rows(shape, dtype, rng):
    x = rng.standard_normal(shape).astype(dtype)
    flat = x.reshape(-1, shape[-1])
    flat[0] = 0.0
    flat[1, :2] = [-0.0, 0.0]  # both zeros the max
    flat[2] = -0.0
    flat[2, 3] = 0.0
    flat[3, 1] = np.inf
    flat[4] = -np.inf
    flat[5, 2] = np.nan
    flat[6, 0], flat[6, 1] = np.nan, -np.nan
    flat[7, :] = -5.0
    flat[7, 0] = -0.0
    return x


SHAPES = [(128, 10), (64, 32), (4, 16, 10), (40, 4), (128, 33), (16, 10)]


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_the_max_is_the_rows_max(shape, dtype):
    x = _rows(shape, dtype, np.random.default_rng(0))
    for axis in [(x.ndim - 1,), -1, x.ndim - 1]:
        got = backend.max_keepdims(np, x, axis)
        want = np.maximum.reduce(x, axis=axis, keepdims=True, initial=-np.inf)
        assert got.shape == want.shape and got.dtype == want.dtype
        np.testing.assert_array_equal(got, want)  # NaN as NaN, either zero as zero
    got = backend.max_keepdims(np, x.T if x.ndim == 2 else x, 0)  # other axes: reduce
    np.testing.assert_array_equal(got, np.max(x.T if x.ndim == 2 else x, 0, keepdims=True))


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_the_shifted_forwards_keep_their_bits(shape, dtype, monkeypatch):
    x = _rows(shape, dtype, np.random.default_rng(1))
    d = x.ndim - 1
    calls = [
        lambda: LOGSUMEXP.fwd(np, x, dim=(d,), keepdim=True),
        lambda: LOG_SOFTMAX.fwd(np, x, dim=d),
        lambda: SOFTMAX.fwd(np, x, dim=d),
    ]
    with np.errstate(all="ignore"):
        got = [f() for f in calls]
        monkeypatch.setattr(backend, "_SHORT_ROW_MAX", 0)  # each row reduced on its own
        want = [f() for f in calls]
    for g, w in zip(got, want, strict=True):
        assert g.dtype == w.dtype and g.shape == w.shape
        ok = (g.view(np.uint8) == w.view(np.uint8)).reshape(g.shape + (-1,)).all(-1)
        # bit for bit, but for which NaN: the row holding two NaNs may show either
        ok |= np.isnan(g) & np.isnan(w)
        assert ok.all()
