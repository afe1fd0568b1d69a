"""Continuous distributions: Normal, Uniform, Exponential, Gamma, Beta.

Every density, moment and sample is a composite of chainrule ops, so gradients flow to
the parameters through ``log_prob``, ``entropy``, ``cdf`` and ``rsample``. rsample is
reparameterized: ``loc + scale * eps`` (Normal), ``low + u (high - low)`` (Uniform),
``-log(1 - u) / rate`` (Exponential), and for Gamma and Beta the implicit-reparameterization
gradient of the gamma sampler (the table's ``standard_gamma``, PyTorch's _standard_gamma).

>>> import chainrule as torch
>>> from chainrule.distributions import Normal
>>> Normal(0.0, 2.0).log_prob(torch.tensor(1.0))
tensor(-1.7371)
"""

from __future__ import annotations

import math
import numbers

from .. import functions as F
from ..creation import empty, full_like, rand, randn, zeros_like
from ..ops.apply import apply
from ..ops.special import STANDARD_GAMMA
from . import _sampling, constraints
from .distribution import Distribution
from .utils import SQRT_2PI_LOG, _finfo, broadcast_all

__all__ = ["Beta", "Exponential", "Gamma", "Normal", "Uniform", "standard_gamma"]

E = F.elementwise
S = F.special


class ExponentialFamily(Distribution):
    """Marks the exponential families (KL between two different ones is refused with
    PyTorch's text)."""


def _size(sample_shape, d):
    return d._extended_shape(sample_shape)


class Normal(ExponentialFamily):
    """The normal distribution N(loc, scale^2)."""

    arg_constraints = {"loc": constraints.real, "scale": constraints.positive}
    support = constraints.real
    has_rsample = True

    def __init__(self, loc, scale, validate_args=None) -> None:
        self.loc, self.scale = broadcast_all(loc, scale)
        super().__init__(self.loc.shape, validate_args=validate_args)

    @property
    def mean(self):
        return self.loc

    @property
    def mode(self):
        return self.loc

    @property
    def stddev(self):
        return self.scale

    @property
    def variance(self):
        return self.stddev.pow(2)

    def rsample(self, sample_shape=()):
        shape = _size(sample_shape, self)
        eps = randn(tuple(shape), dtype=self.loc.dtype, device=self.loc.device)
        return self.loc + eps * self.scale

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        var = self.scale**2
        log_scale = (
            math.log(self.scale) if isinstance(self.scale, numbers.Real) else self.scale.log()
        )
        return -((value - self.loc) ** 2) / (2 * var) - log_scale - SQRT_2PI_LOG

    def cdf(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return 0.5 * (1 + S.erf((value - self.loc) * self.scale.reciprocal() / math.sqrt(2)))

    def icdf(self, value):
        return self.loc + self.scale * S.erfinv(2 * value - 1) * math.sqrt(2)

    def entropy(self):
        return 0.5 + 0.5 * math.log(2 * math.pi) + self.scale.log()


class Uniform(Distribution):
    """The uniform distribution on [low, high)."""

    has_rsample = True

    @property
    def arg_constraints(self):
        return {
            "low": constraints.less_than(self.high),
            "high": constraints.greater_than(self.low),
        }

    @property
    def support(self):
        return constraints.interval(self.low, self.high)

    def __init__(self, low, high, validate_args=None) -> None:
        self.low, self.high = broadcast_all(low, high)
        super().__init__(self.low.shape, validate_args=validate_args)

    @property
    def mean(self):
        return (self.high + self.low) / 2

    @property
    def mode(self):
        return full_like(self.high, math.nan)

    @property
    def stddev(self):
        return (self.high - self.low) / 12**0.5

    @property
    def variance(self):
        return (self.high - self.low).pow(2) / 12

    def rsample(self, sample_shape=()):
        shape = _size(sample_shape, self)
        u = rand(tuple(shape), dtype=self.low.dtype, device=self.low.device)
        return self.low + u * (self.high - self.low)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        lb = (self.low <= value).to(self.low.dtype)
        ub = (self.high > value).to(self.low.dtype)
        return (lb * ub).log() - (self.high - self.low).log()

    def cdf(self, value):
        if self._validate_args:
            self._validate_sample(value)
        result = (value - self.low) / (self.high - self.low)
        return result.clamp(min=0, max=1)

    def icdf(self, value):
        return value * (self.high - self.low) + self.low

    def entropy(self):
        return (self.high - self.low).log()


class Exponential(ExponentialFamily):
    """The exponential distribution with rate ``rate``."""

    arg_constraints = {"rate": constraints.positive}
    support = constraints.nonnegative
    has_rsample = True

    def __init__(self, rate, validate_args=None) -> None:
        (self.rate,) = broadcast_all(rate)
        super().__init__(self.rate.shape, validate_args=validate_args)

    @property
    def mean(self):
        return self.rate.reciprocal()

    @property
    def mode(self):
        return zeros_like(self.rate)

    @property
    def stddev(self):
        return self.rate.reciprocal()

    @property
    def variance(self):
        return self.rate.pow(-2)

    def rsample(self, sample_shape=()):
        """``Exp(1)`` draws divided by ``rate`` (differentiable in ``rate``), as PyTorch's:
        its numbers after the same seed."""
        shape = _size(sample_shape, self)
        e = empty(tuple(shape), dtype=self.rate.dtype, device=self.rate.device)
        return e.exponential_() / self.rate

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return self.rate.log() - self.rate * value

    def cdf(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return 1 - E.exp(-self.rate * value)

    def icdf(self, value):
        return -(-value).log1p() / self.rate

    def entropy(self):
        return 1.0 - self.rate.log()


def standard_gamma(concentration):
    """Gamma(concentration, 1) draws with the implicit-reparameterization gradient
    (PyTorch's ``torch._standard_gamma``)."""
    sample = _sampling.standard_gamma(concentration.detach().cpu().numpy())
    tiny = float(_finfo(concentration).tiny)
    sample = sample.astype(_finfo(concentration).dtype).clip(min=tiny)
    return apply(STANDARD_GAMMA, concentration, sample=sample)


class Gamma(ExponentialFamily):
    """The gamma distribution with shape ``concentration`` and ``rate``."""

    arg_constraints = {"concentration": constraints.positive, "rate": constraints.positive}
    support = constraints.nonnegative
    has_rsample = True

    def __init__(self, concentration, rate, validate_args=None) -> None:
        self.concentration, self.rate = broadcast_all(concentration, rate)
        super().__init__(self.concentration.shape, validate_args=validate_args)

    @property
    def mean(self):
        return self.concentration / self.rate

    @property
    def mode(self):
        return ((self.concentration - 1) / self.rate).clamp(min=0)

    @property
    def variance(self):
        return self.concentration / self.rate.pow(2)

    def rsample(self, sample_shape=()):
        shape = tuple(_size(sample_shape, self))
        value = standard_gamma(self.concentration.expand(shape)) / self.rate.expand(shape)
        tiny = float(_finfo(value).tiny)
        return value.clamp(min=tiny)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return (
            S.xlogy(self.concentration, self.rate)
            + S.xlogy(self.concentration - 1, value)
            - self.rate * value
            - S.lgamma(self.concentration)
        )

    def cdf(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return S.igamma(self.concentration, self.rate * value)

    def entropy(self):
        a = self.concentration
        return a - self.rate.log() + S.lgamma(a) + (1.0 - a) * S.digamma(a)


class Beta(ExponentialFamily):
    """The beta distribution on [0, 1] with concentrations ``concentration1`` (a) and
    ``concentration0`` (b). PyTorch builds it on a Dirichlet; here it stands alone (its
    repr is PyTorch's, ``Beta()``)."""

    arg_constraints = {
        "concentration1": constraints.positive,
        "concentration0": constraints.positive,
    }
    support = constraints.unit_interval
    has_rsample = True

    def __init__(self, concentration1, concentration0, validate_args=None) -> None:
        self._c1, self._c0 = broadcast_all(concentration1, concentration0)
        super().__init__(self._c1.shape, validate_args=validate_args)

    @property
    def concentration1(self):
        return self._c1

    @property
    def concentration0(self):
        return self._c0

    @property
    def mean(self):
        return self._c1 / (self._c1 + self._c0)

    @property
    def mode(self):
        return (self._c1 - 1) / (self._c1 + self._c0 - 2)

    @property
    def variance(self):
        total = self._c1 + self._c0
        return self._c1 * self._c0 / (total.pow(2) * (total + 1))

    def rsample(self, sample_shape=()):
        shape = tuple(_size(sample_shape, self))
        x = standard_gamma(self._c1.expand(shape))
        y = standard_gamma(self._c0.expand(shape))
        return x / (x + y)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        a, b = self._c1, self._c0
        return (
            S.xlogy(a - 1, value)
            + S.xlogy(b - 1, 1 - value)
            + S.lgamma(a + b)
            - S.lgamma(a)
            - S.lgamma(b)
        )

    def entropy(self):
        a, b = self._c1, self._c0
        total = a + b
        lbeta = S.lgamma(a) + S.lgamma(b) - S.lgamma(total)
        return (
            lbeta - (a - 1) * S.digamma(a) - (b - 1) * S.digamma(b) + (total - 2) * S.digamma(total)
        )
