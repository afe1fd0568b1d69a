"""Samplers on arrays, drawing their uniform and normal variates from chainrule's random
functions (``chainrule.rand``/``randn``: the seeded stream), so ``manual_seed`` repeats them.
The values are not PyTorch's (its samplers differ); their laws are the same.

gamma      Marsaglia and Tsang (2000): for shape a >= 1, d = a - 1/3, c = 1/sqrt(9d),
           x = d (1 + c z)^3 accepted when log u < z^2/2 + d - d v + d log v; for a < 1,
           gamma(a + 1) * u^(1/a)
poisson    inversion (sequential search) for rate < 10; Hormann's transformed rejection
           (PTRS, 1993) from 10 on
binomial   the sum of Bernoulli draws, in blocks (cost grows with the count)
"""

from __future__ import annotations

import numpy as np

from ..creation import rand, randn
from ..dtypes import float64 as _F64
from ..ops import special_kernels as K


def uniform(shape) -> np.ndarray:
    return rand(tuple(shape), dtype=_F64).numpy()


def normal(shape) -> np.ndarray:
    return randn(tuple(shape), dtype=_F64).numpy()


def standard_gamma(alpha: np.ndarray) -> np.ndarray:
    """Gamma(alpha, 1) draws, one per element of alpha (float64)."""
    alpha = np.asarray(alpha, dtype=np.float64)
    small = alpha < 1
    a = np.where(small, alpha + 1.0, alpha)
    d = a - 1.0 / 3.0
    c = 1.0 / np.sqrt(9.0 * d)
    out = np.full(alpha.shape, np.nan)
    todo = np.isfinite(alpha) & (alpha > 0)
    for _ in range(1000):
        if not todo.any():
            break
        z = normal(alpha.shape)
        u = uniform(alpha.shape)
        v = (1.0 + c * z) ** 3
        with np.errstate(all="ignore"):
            ok = (v > 0) & (np.log(u) < 0.5 * z * z + d - d * v + d * np.log(v))
        take = todo & ok
        out = np.where(take, d * v, out)
        todo = todo & ~ok
    if small.any():
        u = uniform(alpha.shape)
        with np.errstate(all="ignore"):
            out = np.where(small, out * u ** (1.0 / alpha), out)
    return np.maximum(out, np.finfo(np.float64).tiny)  # PyTorch's floor at the tiniest


def poisson(rate: np.ndarray) -> np.ndarray:
    """Poisson(rate) draws, one per element (float64 counts)."""
    rate = np.asarray(rate, dtype=np.float64)
    out = np.zeros(rate.shape)
    small = rate < 10
    if small.any():
        lam = np.where(small, rate, 0.0)
        u = uniform(rate.shape)
        k = np.zeros(rate.shape)
        p = np.exp(-lam)
        cdf = p.copy()
        for _ in range(200):
            more = small & (u > cdf)
            if not more.any():
                break
            k = np.where(more, k + 1, k)
            p = np.where(more, p * lam / np.maximum(k, 1), p)
            cdf = np.where(more, cdf + p, cdf)
        out = np.where(small, k, out)
    big = ~small
    if big.any():
        lam = np.where(big, rate, 100.0)
        slam = np.sqrt(lam)
        loglam = np.log(lam)
        b = 0.931 + 2.53 * slam
        a = -0.059 + 0.02483 * b
        invalpha = 1.1239 + 1.1328 / (b - 3.4)
        vr = 0.9277 - 3.6224 / (b - 2)
        todo = big.copy()
        res = np.zeros(rate.shape)
        for _ in range(1000):
            if not todo.any():
                break
            u = uniform(rate.shape) - 0.5
            v = uniform(rate.shape)
            us = 0.5 - np.abs(u)
            k = np.floor((2 * a / us + b) * u + lam + 0.43)
            quick = (us >= 0.07) & (v <= vr)
            with np.errstate(all="ignore"):
                lhs = np.log(v) + np.log(invalpha) - np.log(a / (us * us) + b)
                rhs = -lam + k * loglam - K.lgamma(np, k + 1)
            reject = (k < 0) | ((us < 0.013) & (v > us))
            ok = quick | (~reject & (lhs <= rhs))
            take = todo & ok
            res = np.where(take, k, res)
            todo = todo & ~ok
        out = np.where(big, res, out)
    return np.where(rate == 0, 0.0, out)


def binomial(count: np.ndarray, p: np.ndarray) -> np.ndarray:
    """Binomial(count, p) draws (float64), elementwise over broadcast count and p."""
    count, p = np.broadcast_arrays(np.asarray(count, np.float64), np.asarray(p, np.float64))
    n_max = int(count.max()) if count.size else 0
    out = np.zeros(count.shape)
    block = 256
    for start in range(0, n_max, block):
        m = min(block, n_max - start)
        u = uniform(count.shape + (m,))
        live = (start + np.arange(m)) < count[..., None]
        out = out + ((u < p[..., None]) & live).sum(-1)
    return out
