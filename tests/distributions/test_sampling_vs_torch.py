"""Categorical and Multinomial samples are PyTorch's (issue 12): both draw through
``multinomial`` as torch.distributions does (Categorical: one call with replacement on the
probabilities as rows, ``sample_shape.numel()`` draws each; Multinomial: the counts of
``total_count`` categorical draws), so after the same seed the samples are equal.

The probabilities here are multiples of 1/64: their sums are exact in any order, so
chainrule's normalized ``probs`` equal PyTorch's bit for bit (for arbitrary float
probabilities a sum's rounding may differ in the last bit, and then, rarely, a draw near a
category's edge)."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr

torch = pytest.importorskip("torch")
TD, CD = torch.distributions, cr.distributions

rng = np.random.default_rng(3)
SEEDS = [0, 1, 2**32 + 7]


def dyadic(shape, zeros: float = 0.2) -> np.ndarray:
    """Weights in {0, 1/64, ..., 1}: some zero, never a whole row."""
    w = rng.integers(0, 65, shape) / 64.0
    w[rng.random(shape) < zeros] = 0
    w[..., -1] = np.maximum(w[..., -1], 0.5)
    return w


def same(a, b) -> None:
    a, b = a.detach().numpy(), b.detach().numpy()
    assert a.dtype == b.dtype and a.shape == b.shape, (a.dtype, b.dtype, a.shape, b.shape)
    assert np.array_equal(a, b), np.argwhere(a != b)[:5]


def both(make, sample_shape, seed):
    """(chainrule's sample, PyTorch's) after manual_seed(seed), then one rand each."""
    out = []
    for lib, dist in ((cr, CD), (torch, TD)):
        lib.manual_seed(seed)
        d = make(lib, dist)
        out.append((d.sample(sample_shape), lib.rand(2)))
    (c, c_next), (t, t_next) = out
    same(c, t)
    same(c_next, t_next)
    return c


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("shape", [(1,), (3,), (8,), (100,), (4, 3), (2, 3, 5)])
def test_categorical_samples_are_pytorchs(dtype, shape):
    w = dyadic(shape)
    for seed in SEEDS:
        for sample_shape in [(), (1,), (5,), (2, 4), (1000,)]:

            def make(lib, dist):
                return dist.Categorical(probs=lib.tensor(w, dtype=getattr(lib, dtype)))

            x = both(make, sample_shape, seed)
            assert tuple(x.shape) == sample_shape + shape[:-1] and x.dtype == cr.int64
            drawn = np.take_along_axis(
                np.broadcast_to(w, x.shape + w.shape[-1:]), x.numpy()[..., None], -1
            )
            assert np.all(drawn > 0)  # never a zero-probability category


def test_categorical_from_logits_of_equal_probabilities():
    """logits give probs through a softmax; with equal logits in a row both libraries get
    1/K exactly, so the samples match."""
    for k in (2, 4, 16):
        logits = np.zeros((3, k))
        logits[1] = 2.5

        def make(lib, dist, logits=logits):
            return dist.Categorical(logits=lib.tensor(logits))

        both(make, (7,), 0)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("shape", [(3,), (6,), (2, 4)])
@pytest.mark.parametrize("total_count", [1, 5, 10])
def test_multinomial_samples_are_pytorchs(dtype, shape, total_count):
    w = dyadic(shape)
    for seed in SEEDS:
        for sample_shape in [(), (1,), (3,), (2, 2)]:

            def make(lib, dist):
                return dist.Multinomial(total_count, lib.tensor(w, dtype=getattr(lib, dtype)))

            x = both(make, sample_shape, seed)
            assert x.dtype == getattr(cr, dtype)
            assert np.all(x.numpy().sum(-1) == total_count)
            assert np.all(x.numpy()[..., np.broadcast_to(w, x.shape) == 0] == 0)


def test_zero_probability_categories_are_never_drawn():
    p = np.array([0.0, 0.25, 0.0, 0.75])
    for seed in SEEDS:
        x = both(lambda lib, dist: dist.Categorical(lib.tensor(p)), (500,), seed)
        assert set(x.tolist()) <= {1, 3}
        y = both(lambda lib, dist: dist.Multinomial(20, lib.tensor(p)), (50,), seed)
        assert np.all(y.numpy()[:, [0, 2]] == 0)


def test_no_draws_raise_as_pytorch():
    for make, shape in [
        (lambda lib, dist: dist.Categorical(lib.tensor([0.5, 0.5])), (0,)),
        (lambda lib, dist: dist.Categorical(lib.tensor([0.5, 0.5])), (2, 0)),
        (lambda lib, dist: dist.Multinomial(0, lib.tensor([0.5, 0.5])), ()),
    ]:
        with pytest.raises(RuntimeError, match="cannot sample n_sample <= 0 samples"):
            make(torch, TD).sample(shape)
        with pytest.raises(RuntimeError, match="cannot sample n_sample <= 0 samples"):
            make(cr, CD).sample(shape)


def test_counts_and_frequencies_follow_the_probabilities():
    """A fixed seed: deterministic, so it cannot fail by chance; 5 standard errors wide."""
    p = np.array([0.125, 0.0, 0.375, 0.5])
    cr.manual_seed(7)
    x = CD.Categorical(cr.tensor(p)).sample((20_000,)).numpy()
    freq = np.bincount(x, minlength=4) / x.size
    assert np.all(np.abs(freq - p) <= 5 * np.sqrt(p * (1 - p) / x.size)), freq
    counts = CD.Multinomial(40, cr.tensor(p)).sample((500,)).numpy()
    mean = counts.mean(0)
    assert np.all(np.abs(mean - 40 * p) <= 5 * np.sqrt(40 * p * (1 - p) / 500)), mean
    assert np.all(counts.sum(-1) == 40) and np.all(counts[:, 1] == 0)
