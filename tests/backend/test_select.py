"""backend.select is NumPy's where, bit for bit: on large float arrays it selects on the
bits (NumPy's where branches per element and is slow on a patternless mask), so every
value must come through exactly: NaN, infinities, the sign of zero; other inputs fall back
to where."""

from __future__ import annotations

import numpy as np
import pytest

from chainrule import backend
from chainrule.ops.elementwise import SIGMOID

SHAPE = (4, 8, 32, 33)  # above the size where the bitwise path starts


def _specials(a):
    flat = a.reshape(-1)
    flat[:50] = np.nan
    flat[50:100] = np.inf
    flat[100:150] = -np.inf
    flat[150:200] = -0.0
    flat[200:250] = 0.0
    return a


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(
    "which", ["zero_else", "else_zero", "two", "neg_zero", "scalar", "strided", "ints"]
)
def test_select_equals_where_bit_for_bit(dtype, which):
    rng = np.random.default_rng(0)
    a = _specials(rng.standard_normal(SHAPE).astype(dtype))
    b = _specials(rng.standard_normal(SHAPE).astype(dtype)[::-1].copy())
    cond = rng.random(SHAPE) < 0.5
    args = {
        "zero_else": (0, a),
        "else_zero": (a, 0.0),
        "two": (a, b),
        "neg_zero": (-0.0, a),  # not +0: where's path
        "scalar": (a, 1.5),
        "strided": (a.transpose(1, 0, 2, 3), 0),
        "ints": (a.astype(np.int32), 0),
    }[which]
    c = cond.transpose(1, 0, 2, 3) if which == "strided" else cond
    got, want = backend.select(np, c, *args), np.where(c, *args)
    assert got.dtype == want.dtype and got.shape == want.shape
    assert np.ascontiguousarray(got).tobytes() == np.ascontiguousarray(want).tobytes()


def test_sigmoid_blend_is_the_two_branch_formula():
    """The forward blends 1 / (1 + e) and e / (1 + e) by the sign (no where): the same
    bits as selecting them, NaN staying NaN."""
    rng = np.random.default_rng(1)
    x = _specials(rng.standard_normal(SHAPE).astype(np.float32))
    e = np.exp(-np.abs(x))
    want = np.where(x >= 0, 1 / (1 + e), e / (1 + e))
    got = SIGMOID.fwd(np, x)
    np.testing.assert_array_equal(got, want)
    assert got.dtype == np.float32


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
@pytest.mark.parametrize("n", [1023, 1024, 8191, 8192])
@pytest.mark.parametrize("which", ["zero_else", "else_zero", "two"])
def test_select_at_the_thresholds(dtype, n, which):
    """Either side of where each bitwise path starts (a +0 side from 1024 elements, two
    arrays from 8192), in every float width: the bits of where's result."""
    rng = np.random.default_rng(n)
    a = _specials(rng.standard_normal(n).astype(dtype))
    b = rng.standard_normal(n).astype(dtype)
    cond = rng.random(n) < 0.5
    args = {"zero_else": (0, a), "else_zero": (a, 0), "two": (a, b)}[which]
    got, want = backend.select(np, cond, *args), np.where(cond, *args)
    assert got.dtype == want.dtype
    assert got.tobytes() == want.tobytes()


def test_select_with_a_mask_that_is_not_bool():
    """A 0/1 float or integer condition is where's truthiness (2.0 selects), not a factor."""
    n = 4096
    a = np.arange(n, dtype=np.float32) + 1
    cond = np.tile(np.array([0.0, 2.0, -1.0, 0.5]), n // 4)
    np.testing.assert_array_equal(backend.select(np, cond, a, 0), np.where(cond, a, 0))
    np.testing.assert_array_equal(
        backend.select(np, cond.astype(np.int64), 0, a), np.where(cond.astype(np.int64), 0, a)
    )


def _bit_patterns(dtype, n, rng):
    """n values of every class of ``dtype``: random bit patterns (NaNs of both signs and
    any payload, subnormals, infinities) with signed zeros and plain numbers mixed in."""
    it = np.dtype(f"i{np.dtype(dtype).itemsize}")
    info = np.iinfo(it)
    v = rng.integers(info.min, info.max, size=n, dtype=it, endpoint=True).view(dtype)
    v = v.copy()
    v[: n // 2] = _specials(rng.standard_normal(n // 2).astype(dtype))
    return rng.permutation(v)


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
@pytest.mark.parametrize("n", [1023, 1024, 5000])
@pytest.mark.parametrize("into", [None, "fresh", "over_g", "over_r"])
def test_threshold_backward_is_where_bit_for_bit(dtype, n, into):
    """relu's adjoint: where(r <= 0, 0, g) in its bits (NaN in r passes g, NaN and inf in
    g pass where kept), below and above the bitwise path's size, new or written into
    ``out`` (a buffer of its own, or over g or r, as compiled code may)."""
    rng = np.random.default_rng(n)
    g, r = _bit_patterns(dtype, n, rng), _bit_patterns(dtype, n, rng)
    want = np.where(r <= 0, 0, g)
    out = {None: None, "fresh": np.empty_like(g), "over_g": g, "over_r": r}[into]
    got = backend.threshold_backward(np, g, r, out)
    if out is not None:
        assert got is out
    assert got.dtype == want.dtype and got.tobytes() == want.tobytes()


def test_threshold_backward_broadcasts_and_takes_other_types():
    rng = np.random.default_rng(5)
    g = rng.standard_normal((64, 32)).astype(np.float32)
    r = rng.standard_normal(32).astype(np.float32)
    np.testing.assert_array_equal(backend.threshold_backward(np, g, r), np.where(r <= 0, 0, g))
    gi = np.arange(-2048, 2048, dtype=np.int32)
    ri = gi[::-1].copy()
    out = np.empty_like(gi)
    assert backend.threshold_backward(np, gi, ri, out) is out
    np.testing.assert_array_equal(out, np.where(ri <= 0, 0, gi))
