"""chainrule.special: PyTorch's torch.special names over the table's special functions.

>>> import chainrule as torch
>>> torch.special.gammaln(torch.tensor([4.]))
tensor([1.7918])
>>> torch.special.ndtr(torch.tensor([0.]))
tensor([0.5000])
"""

from __future__ import annotations

import math
import operator

from .functions import elementwise as _e
from .functions import reduction as _r
from .functions import special as _s
from .functions.special import digamma, erf, erfc, erfinv, polygamma, xlogy

__all__ = [
    "digamma",
    "erf",
    "erfc",
    "erfinv",
    "expit",
    "expm1",
    "gammainc",
    "gammaincc",
    "gammaln",
    "log1p",
    "log_ndtr",
    "log_softmax",
    "logsumexp",
    "multigammaln",
    "ndtr",
    "ndtri",
    "polygamma",
    "psi",
    "softmax",
    "xlogy",
]

gammaln = _s.lgamma
gammainc = _s.igamma
gammaincc = _s.igammac
psi = digamma
expit = _e.sigmoid
expm1 = _e.expm1
log1p = _e.log1p
logsumexp = _r.logsumexp
softmax = _r.softmax
log_softmax = _r.log_softmax

_SQRT_HALF = math.sqrt(0.5)


def ndtr(input):
    """The standard normal CDF, 0.5 * erfc(-x / sqrt(2)) (exact in the lower tail)."""
    return 0.5 * erfc(input * -_SQRT_HALF)


def log_ndtr(input):
    """log of the standard normal CDF: log1p(-upper tail) for x > 0 (no digits lost where
    the CDF is near 1), log of the lower tail otherwise."""
    upper = 0.5 * erfc(input * _SQRT_HALF)
    return _e.where(input > 0, _e.log1p(-upper), _e.log(ndtr(input)))


def ndtri(input):
    """The inverse of ndtr: sqrt(2) * erfinv(2p - 1)."""
    return math.sqrt(2.0) * erfinv(2 * input - 1)


def multigammaln(input, p):
    """log of the multivariate gamma function of dimension p:
    p(p-1)/4 log(pi) + sum_{j<p} lgamma(x - j/2) (no check of x > (p - 1) / 2: PyTorch
    2.13 has none either)."""
    p = operator.index(p)
    if p < 1:
        raise RuntimeError("p has to be greater than or equal to 1")
    r = _s.lgamma(input)
    for j in range(1, p):
        r = r + _s.lgamma(input - j / 2)
    return r + p * (p - 1) / 4 * math.log(math.pi)
