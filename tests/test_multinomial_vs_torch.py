"""``multinomial`` (issue 12): after the same seed, chainrule's draws are PyTorch's CPU draws,
index for index, and leave the generator where PyTorch leaves it.

PyTorch takes two paths (``native/Distributions.cpp``): without replacement, or for one draw,
q ~ Exp(1) per probability and the top entries of p / q (argmax, or ``topk`` whose order of
equal values comes from libstdc++'s sorts: ``chainrule._cpp_sort``); with replacement and
two or more draws, a uniform and a binary search of the cumulative sum per draw. Both are
checked here on 1-d and 2-d inputs, float32 and float64, with and without zero
probabilities. PyTorch 2.13 (CPU) is the oracle; the tests that need it skip without it.
"""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
from chainrule import _cpp_sort

try:
    import torch
except ImportError:  # the comparisons skip; the checks of chainrule alone still run
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="PyTorch is the oracle")

SEEDS = [0, 1, 42, 2**32 + 7, -1]
DTYPES = ["float32", "float64"]
rng = np.random.default_rng(12)


def probabilities(shape, dtype: str, zeros: float = 0.3) -> np.ndarray:
    """Random weights (not normalized), about ``zeros`` of them exactly 0 (never a whole
    row)."""
    p = rng.random(shape).astype(dtype)
    p[p < zeros] = 0
    p[..., 0] = np.maximum(p[..., 0], 0.5)
    return p


def draw_both(p: np.ndarray, n: int, replacement: bool, seed: int, **kw):
    """multinomial in both libraries after ``manual_seed(seed)``, then one rand each (so
    that the generators' positions are compared too)."""
    torch.manual_seed(seed)
    t = torch.multinomial(torch.from_numpy(p), n, replacement, **kw)
    t_next = torch.rand(3)
    cr.manual_seed(seed)
    c = cr.multinomial(cr.tensor(p), n, replacement, **kw)
    c_next = cr.rand(3)
    return t, c, t_next, c_next


def same(t, c) -> None:
    a, b = t.numpy(), c.numpy()
    assert a.dtype == b.dtype and a.shape == b.shape, (a.dtype, b.dtype, a.shape, b.shape)
    assert np.array_equal(a, b), np.argwhere(a != b)[:5]


def check(p, n, replacement, seed) -> None:
    t, c, t_next, c_next = draw_both(p, n, replacement, seed)
    same(t, c)
    same(t_next, c_next)


# ------------------------------------------------------------------------ the two paths
@needs_torch
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("k", [1, 3, 100, 5000])
@pytest.mark.parametrize("replacement", [False, True])
def test_1d_as_pytorch(dtype, k, replacement):
    for seed in SEEDS:
        p = probabilities(k, dtype)
        for n in sorted({1, 2, min(k, 7), k, 3 * k} if replacement else {1, min(k, 2), k}):
            check(p, n, replacement, seed)


@needs_torch
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(1, 4), (5, 3), (4, 100), (3, 5000)])
@pytest.mark.parametrize("replacement", [False, True])
def test_2d_as_pytorch(dtype, shape, replacement):
    k = shape[-1]
    for seed in SEEDS[:3]:
        p = probabilities(shape, dtype)
        for n in sorted({1, 2, min(k, 5), k}):
            check(p, n, replacement, seed)


@needs_torch
def test_many_draws_with_replacement_as_pytorch():
    for dtype in DTYPES:
        check(probabilities((3, 10), dtype), 10_000, True, 5)
        check(probabilities(1000, dtype, zeros=0.9), 20_000, True, 6)


@needs_torch
@pytest.mark.parametrize("dtype", DTYPES)
def test_tiny_and_unnormalized_probabilities_as_pytorch(dtype):
    # the kernel divides the cumulative sum by its last value, in the dtype, one entry at a
    # time; the exponential path divides each entry by its q
    for scale in (1e-30, 1e-3, 1.0, 1e6):
        p = (probabilities(50, dtype) * scale).astype(dtype)
        for seed in SEEDS[:2]:
            check(p, 1, True, seed)
            check(p, 4, True, seed)
            check(p, 10, False, seed)


@needs_torch
@pytest.mark.parametrize("k", [5, 64, 200, 1000])
def test_zero_probabilities_fill_in_pytorchs_order(k):
    """Without replacement, more draws than nonzero probabilities: PyTorch's topk orders the
    zeros (all tied at p / q = 0) as libstdc++'s partial_sort (k * 64 <= n) or
    nth_element and sort leave them."""
    for dtype in DTYPES:
        for nonzero in (1, 2, 3):
            p = np.zeros(k, dtype)
            p[rng.choice(k, nonzero, replace=False)] = rng.random(nonzero) + 0.1
            for n in sorted({nonzero + 1, max(1, k // 64), k // 2, k}):
                if n > nonzero:
                    check(p, n, False, 3)
        rows = np.zeros((4, k), dtype)
        rows[:, 0] = 1.0
        rows[1, k // 2] = 2.0
        check(rows, k, False, 4)
        check(rows, 2, False, 4)


@needs_torch
def test_zero_probabilities_never_drawn():
    p = np.array([0.0, 0.3, 0.0, 0.0, 0.7, 0.0], np.float32)
    for replacement, n in ((True, 1), (True, 5000), (False, 1), (False, 2)):
        t, c, _, _ = draw_both(p, n, replacement, 9)
        same(t, c)
        assert set(c.tolist()) <= {1, 4}


# ------------------------------------------------------------------------ inputs and state
@needs_torch
def test_generator_objects():
    p = probabilities((3, 20), "float32")
    for replacement, n in ((False, 5), (True, 1), (True, 7)):
        tg, cg = torch.Generator().manual_seed(11), cr.Generator().manual_seed(11)
        torch.manual_seed(0)
        cr.manual_seed(0)
        for _ in range(2):  # the generator moves on, the default one stays
            a = torch.multinomial(torch.from_numpy(p), n, replacement, generator=tg)
            b = cr.multinomial(cr.tensor(p), n, replacement, generator=cg)
            same(a, b)
        same(torch.rand(2), cr.rand(2))
        same(torch.rand(2, generator=tg), cr.rand(2, generator=cg))


@needs_torch
def test_non_contiguous_and_float16_inputs():
    p = probabilities((6, 8), "float64")
    for replacement, n in ((False, 3), (True, 1), (True, 3)):
        # q ~ Exp(1) fills a tensor laid out as the input (a transposed one column by column)
        for view in (lambda x: x.T, lambda x: x[:, ::2], lambda x: x[1:4].T, lambda x: x[2]):
            torch.manual_seed(2)
            a = torch.multinomial(view(torch.from_numpy(p)), n, replacement)
            cr.manual_seed(2)
            b = cr.multinomial(view(cr.tensor(p)), n, replacement)
            same(a, b)
        h = probabilities((3, 9), "float16")
        t, c, t_next, c_next = draw_both(h, n, replacement, 8)
        same(t, c)
        same(t_next, c_next)


@needs_torch
def test_method_out_and_empty_batches():
    p = probabilities((2, 6), "float32")
    torch.manual_seed(1)
    cr.manual_seed(1)
    same(torch.from_numpy(p).multinomial(3), cr.tensor(p).multinomial(3))
    same(torch.from_numpy(p).multinomial(4, True), cr.tensor(p).multinomial(4, replacement=True))
    to, co = torch.empty(7, dtype=torch.long), cr.empty(7, dtype=cr.int64)
    a = torch.multinomial(torch.from_numpy(p), 2, out=to)
    b = cr.multinomial(cr.tensor(p), 2, out=co)
    assert b is co and a is to
    same(to, co)
    same(torch.multinomial(torch.from_numpy(p), 2), cr.multinomial(cr.tensor(p), 2, out=co))
    for shape, n, replacement in (((0, 3), 2, True), ((0, 3), 2, False)):
        e = np.ones(shape, np.float32)
        t, c, t_next, c_next = draw_both(e, n, replacement, 0)
        same(t, c)
        same(t_next, c_next)
    x = cr.tensor(p, requires_grad=True)
    r = cr.multinomial(x, 2)
    assert r.dtype == cr.int64 and not r.requires_grad


def _error(f):
    try:
        f()
    except Exception as e:  # noqa: BLE001 - compared with PyTorch's
        return type(e).__name__, str(e).splitlines()[0]
    return None


BAD = [
    ("0-d", lambda m, T: m.multinomial(T(0.5), 1)),
    ("3-d", lambda m, T: m.multinomial(m.ones(2, 2, 2), 1)),
    ("integers", lambda m, T: m.multinomial(T([1, 2]), 1)),
    ("bools", lambda m, T: m.multinomial(T([True, False]), 1, True)),
    ("n = 0", lambda m, T: m.multinomial(T([1.0, 2]), 0)),
    ("n < 0", lambda m, T: m.multinomial(T([1.0, 2]), -1, True)),
    ("n > k", lambda m, T: m.multinomial(T([1.0, 2]), 3)),
    ("zeros, 1 draw", lambda m, T: m.multinomial(T([0.0, 0]), 1)),
    ("zeros, kernel", lambda m, T: m.multinomial(T([0.0, 0]), 2, True)),
    ("a zero row", lambda m, T: m.multinomial(T([[1.0, 1], [0, 0]]), 2)),
    ("a zero row, kernel", lambda m, T: m.multinomial(T([[1.0, 1], [0, 0]]), 2, True)),
    ("negative", lambda m, T: m.multinomial(T([-1.0, 2]), 1)),
    ("negative, kernel", lambda m, T: m.multinomial(T([-1.0, 2]), 2, True)),
    ("nan, kernel", lambda m, T: m.multinomial(T([float("nan"), 2]), 2, True)),
    ("inf, kernel", lambda m, T: m.multinomial(T([float("inf"), 2]), 2, True)),
    ("inf then -1, kernel", lambda m, T: m.multinomial(T([float("inf"), -1]), 2, True)),
    ("nan", lambda m, T: m.multinomial(T([float("nan"), 2]), 1)),
    ("inf", lambda m, T: m.multinomial(T([float("inf"), 2]), 2)),
    ("empty, 1 draw", lambda m, T: m.multinomial(m.empty(0), 1, True)),
    ("empty, kernel", lambda m, T: m.multinomial(m.empty(0), 2, True)),
    ("no categories", lambda m, T: m.multinomial(m.empty(2, 0), 2, True)),
    ("too many categories", lambda m, T: m.multinomial(m.empty(2**24 + 1), 1)),
    ("float n", lambda m, T: m.multinomial(T([1.0, 2]), 1.5)),
    ("bool n", lambda m, T: m.multinomial(T([1.0, 2]), True)),
    ("method float n", lambda m, T: T([1.0, 2]).multinomial(2.0)),
    ("int replacement", lambda m, T: m.multinomial(T([1.0, 2]), 2, 1)),
    ("list input", lambda m, T: m.multinomial([1.0, 2], 1)),
    ("int generator", lambda m, T: m.multinomial(T([1.0, 2]), 1, generator=3)),
    ("float out", lambda m, T: m.multinomial(T([1.0, 2]), 1, out=m.empty(3))),
]


@needs_torch
@pytest.mark.parametrize("name, call", BAD, ids=[b[0] for b in BAD])
def test_errors_as_pytorch(name, call):
    torch.manual_seed(0)
    cr.manual_seed(0)
    expected = _error(lambda: call(torch, torch.tensor))
    assert expected is not None
    assert _error(lambda: call(cr, cr.tensor)) == expected
    same(torch.rand(2), cr.rand(2))  # (the rows before a bad one drew theirs)


@needs_torch
def test_a_bad_row_raises_after_the_rows_above_drew():
    p = [[1.0, 2.0, 3.0], [1.0, 1.0, 1.0], [0.0, -1.0, 1.0]]
    torch.manual_seed(4)
    cr.manual_seed(4)
    with pytest.raises(RuntimeError, match="entry < 0"):
        torch.multinomial(torch.tensor(p), 5, True)
    with pytest.raises(RuntimeError, match="entry < 0"):
        cr.multinomial(cr.tensor(p), 5, True)
    same(torch.rand(3), cr.rand(3))


# ------------------------------------------------------------------- without PyTorch too
def test_frequencies_follow_the_probabilities():
    """A fixed seed: deterministic, so it cannot fail by chance; 5 standard errors wide."""
    p = np.array([0.1, 0.0, 0.2, 0.3, 0.4])
    n = 40_000
    cr.manual_seed(2024)
    for replacement_draws in (
        cr.multinomial(cr.tensor(p), n, True),
        cr.cat([cr.multinomial(cr.tensor(p), 1) for _ in range(2000)]),
    ):
        x = replacement_draws.numpy()
        freq = np.bincount(x, minlength=5) / x.size
        assert freq[1] == 0
        assert np.all(np.abs(freq - p) <= 5 * np.sqrt(p * (1 - p) / x.size) + 1e-12), freq
    # without replacement: the first of two draws follows p; the second never repeats it
    draws = np.stack([cr.multinomial(cr.tensor(p), 2).numpy() for _ in range(2000)])
    assert np.all(draws[:, 0] != draws[:, 1]) and not np.any(draws == 1)
    freq = np.bincount(draws[:, 0], minlength=5) / len(draws)
    assert np.all(np.abs(freq - p) <= 5 * np.sqrt(p * (1 - p) / len(draws)) + 1e-12), freq


def test_without_replacement_draws_every_nonzero_category_once():
    cr.manual_seed(0)
    p = cr.tensor([[0.5, 0.0, 0.25, 0.25], [0.0, 1.0, 1.0, 0.0]])
    x = cr.multinomial(p, 4)
    assert x.shape == (2, 4) and x.dtype == cr.int64
    assert sorted(x[0].tolist()) == [0, 1, 2, 3] and x[0, 3].item() == 1
    assert set(x[1, :2].tolist()) == {1, 2}


def _less(a, b):
    return a < b


@pytest.mark.parametrize("n", [0, 1, 2, 3, 4, 16, 17, 40, 300])
def test_cpp_sorts_sort(n):
    """The libstdc++ algorithms sort (or select) like Python, whatever their order of ties."""
    r = np.random.default_rng(n)
    for levels in (2, 5, 1000):
        key = r.integers(0, levels, n).tolist()
        a = key.copy()
        _cpp_sort.sort(a, 0, n, _less)
        assert a == sorted(key)
        for m in {0, 1, n // 2, n}:
            a = key.copy()
            _cpp_sort.partial_sort(a, 0, m, n, _less)
            assert a[:m] == sorted(key)[:m] and sorted(a) == sorted(key)
            if m < n:
                a = key.copy()
                _cpp_sort.nth_element(a, 0, m, n, _less)
                assert a[m] == sorted(key)[m] and sorted(a) == sorted(key)
                assert max(a[:m], default=a[m]) <= a[m] <= min(a[m:])


def _topk_step_by_step(key: list, k: int) -> list:
    n = len(key)
    a = list(range(n))

    def greater(x, y):
        return key[x] > key[y]

    if k * 64 <= n:
        _cpp_sort.partial_sort(a, 0, k, n, greater)
    else:
        _cpp_sort.nth_element(a, 0, k - 1, n, greater)
        _cpp_sort.sort(a, 0, k - 1, greater)
    return a[:k]


@pytest.mark.parametrize("small", [16, 40, 256])
def test_cpp_sort_shortcuts_change_nothing(small):
    """topk_order's array partitions, filtered heap and stable last pass give what the
    step-by-step functions give, equal keys included."""
    r = np.random.default_rng(small)
    for n in [17, 30, 100, 257, 1000, 3000]:
        for k in sorted({1, 2, max(1, n // 64), n // 64 + 1, n // 3, n - 1, n}):
            for levels in (1, 2, 5, 50, 10**6):
                key = r.integers(0, levels, n)
                assert _cpp_sort.topk_order(key, k, small) == _topk_step_by_step(key.tolist(), k)


@needs_torch
def test_cpp_sort_orders_ties_as_pytorchs_topk():
    r = np.random.default_rng(1)
    for n in [1, 2, 5, 16, 17, 64, 65, 129, 200, 1000, 5000, 50_000]:
        for k in sorted({1, 2, max(1, n // 64), n // 64 + 1, n // 2, n - 1, n} - {0}):
            if k > n:
                continue
            for levels in (1, 2, 3, 10):
                v = r.integers(0, levels, n).astype(np.float32)
                expected = torch.topk(torch.from_numpy(v), k).indices.tolist()
                assert _cpp_sort.topk_order(v.tolist(), k) == expected, (n, k, levels)
