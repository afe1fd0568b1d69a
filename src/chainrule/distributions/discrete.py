"""Discrete distributions: Bernoulli, Categorical, Poisson, Binomial, Multinomial.

Bernoulli, Categorical, Binomial and Multinomial take ``probs`` or ``logits`` (one of
them); the other is derived on first use (``lazy_property``) and differentiable through.
Samples carry no gradient (``has_rsample`` is False, as in PyTorch).

>>> import chainrule as torch
>>> from chainrule.distributions import Bernoulli
>>> Bernoulli(probs=torch.tensor(0.25)).log_prob(torch.tensor(1.0))
tensor(-1.3863)
"""

from __future__ import annotations

import math

import numpy as np

from .. import functions as F
from ..autograd import no_grad
from ..creation import arange, from_numpy, full_like
from ..tensor import Size
from . import _sampling, constraints
from .continuous import ExponentialFamily
from .distribution import Distribution
from .utils import (
    _finfo,
    bce_with_logits,
    broadcast_all,
    lazy_property,
    logits_to_probs,
    probs_to_logits,
)

__all__ = ["Bernoulli", "Binomial", "Categorical", "Multinomial", "Poisson"]

E = F.elementwise
S = F.special
R = F.reduction

_ONE_OF = "Either `probs` or `logits` must be specified, but not both."


def _np(t):
    return t.detach().cpu().numpy()


def _sample_tensor(arr, like, dtype=None):
    """Drawn values (a NumPy array) as a tensor of like's dtype (or ``dtype``), on its
    device."""
    t = from_numpy(np.ascontiguousarray(arr).astype(dtype or _finfo(like).dtype))
    return t if like.device.type == "cpu" else t.to(like.device)


class Bernoulli(ExponentialFamily):
    """1 with probability ``probs`` (or sigmoid(``logits``)), else 0."""

    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.boolean
    has_enumerate_support = True

    def __init__(self, probs=None, logits=None, validate_args=None) -> None:
        if (probs is None) == (logits is None):
            raise ValueError(_ONE_OF)
        if probs is not None:
            (self.probs,) = broadcast_all(probs)
            param = self.probs
        else:
            (self.logits,) = broadcast_all(logits)
            param = self.logits
        self._param = param
        super().__init__(param.shape, validate_args=validate_args)

    @lazy_property
    def logits(self):
        return probs_to_logits(self.probs, is_binary=True)

    @lazy_property
    def probs(self):
        return logits_to_probs(self.logits, is_binary=True)

    @property
    def param_shape(self):
        return self._param.size()

    @property
    def mean(self):
        return self.probs

    @property
    def mode(self):
        mode = (self.probs >= 0.5).to(self.probs.dtype)
        return E.where(self.probs == 0.5, math.nan, mode)

    @property
    def variance(self):
        return self.probs * (1 - self.probs)

    def sample(self, sample_shape=()):
        shape = tuple(self._extended_shape(sample_shape))
        with no_grad():
            p = np.broadcast_to(_np(self.probs), shape)
            return _sample_tensor(_sampling.uniform(shape) < p, self.probs)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        logits, value = broadcast_all(self.logits, value)
        return -bce_with_logits(logits, value)

    def entropy(self):
        return bce_with_logits(self.logits, self.probs)

    def enumerate_support(self, expand: bool = True):
        values = arange(2, dtype=self._param.dtype).reshape((-1,) + (1,) * len(self.batch_shape))
        if expand:
            values = values.expand((-1,) + tuple(self.batch_shape))
        return values

    def expand(self, batch_shape, _instance=None):
        new = super().expand(batch_shape, _instance)
        new._param = new.__dict__.get("probs", new.__dict__.get("logits"))
        return new


class Categorical(Distribution):
    """One of K categories, with probabilities ``probs`` (normalized over the last dim) or
    ``logits`` (unnormalized log-probabilities)."""

    arg_constraints = {"probs": constraints.simplex, "logits": constraints.real_vector}
    has_enumerate_support = True

    def __init__(self, probs=None, logits=None, validate_args=None) -> None:
        if (probs is None) == (logits is None):
            raise ValueError(_ONE_OF)
        if probs is not None:
            if probs.dim() < 1:
                raise ValueError("`probs` parameter must be at least one-dimensional.")
            self.probs = probs / probs.sum(-1, keepdim=True)
        else:
            if logits.dim() < 1:
                raise ValueError("`logits` parameter must be at least one-dimensional.")
            self.logits = logits - R.logsumexp(logits, dim=-1, keepdim=True)
        self._param = self.probs if probs is not None else self.logits
        self._num_events = self._param.size()[-1]
        batch_shape = self._param.size()[:-1] if self._param.ndim > 1 else Size()
        super().__init__(batch_shape, validate_args=validate_args)

    @lazy_property
    def logits(self):
        return probs_to_logits(self.probs)

    @lazy_property
    def probs(self):
        return logits_to_probs(self.logits)

    @property
    def support(self):
        return constraints.integer_interval(0, self._num_events - 1)

    @property
    def param_shape(self):
        return self._param.size()

    @property
    def mean(self):
        return self._nan()

    def _nan(self):
        return full_like(self._param.detach()[..., 0], math.nan)

    @property
    def mode(self):
        return self.probs.argmax(-1)

    @property
    def variance(self):
        return self._nan()

    def sample(self, sample_shape=()):
        """Category indices, int64, of shape ``sample_shape + batch_shape``: as PyTorch, one
        ``multinomial`` call with replacement on the probabilities as rows (one row per
        batch element, ``sample_shape.numel()`` draws each), transposed, so the values
        after the same seed are PyTorch's.

        >>> import chainrule as torch
        >>> from chainrule.distributions import Categorical
        >>> _ = torch.manual_seed(0)
        >>> Categorical(torch.tensor([0.25, 0.5, 0.25])).sample((4,))
        tensor([2, 1, 1, 2])
        """
        sample_shape = Size(sample_shape)
        with no_grad():
            probs_2d = self.probs.reshape(-1, self._num_events)
            samples_2d = F.selection.multinomial(probs_2d, sample_shape.numel(), True).T
            return samples_2d.reshape(self._extended_shape(sample_shape))

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        value = value.long().unsqueeze(-1)
        shape = np.broadcast_shapes(tuple(value.shape), tuple(self.logits.shape))
        log_pmf = self.logits.expand(shape)
        value = value.expand(shape)[..., :1]
        return log_pmf.gather(-1, value).squeeze(-1)

    def entropy(self):
        min_real = float(_finfo(self.logits).min)
        logits = self.logits.clamp(min=min_real)
        p_log_p = logits * self.probs
        return -p_log_p.sum(-1)

    def enumerate_support(self, expand: bool = True):
        values = arange(self._num_events).reshape((-1,) + (1,) * len(self.batch_shape))
        if expand:
            values = values.expand((-1,) + tuple(self.batch_shape))
        return values

    def expand(self, batch_shape, _instance=None):
        batch_shape = Size(batch_shape)
        new = object.__new__(type(self))
        shape = tuple(batch_shape) + (self._num_events,)
        for k, v in self.__dict__.items():
            new.__dict__[k] = v.expand(shape) if k in ("probs", "logits") else v
        new._param = new.__dict__.get("probs", new.__dict__.get("logits"))
        new._batch_shape = batch_shape
        return new


class Poisson(ExponentialFamily):
    """Counts with mean ``rate``."""

    arg_constraints = {"rate": constraints.nonnegative}
    support = constraints.nonnegative_integer

    def __init__(self, rate, validate_args=None) -> None:
        (self.rate,) = broadcast_all(rate)
        super().__init__(self.rate.shape, validate_args=validate_args)

    @property
    def mean(self):
        return self.rate

    @property
    def mode(self):
        return self.rate.floor()

    @property
    def variance(self):
        return self.rate

    def sample(self, sample_shape=()):
        shape = tuple(self._extended_shape(sample_shape))
        with no_grad():
            rate = np.broadcast_to(_np(self.rate).astype(np.float64), shape)
            return _sample_tensor(_sampling.poisson(rate), self.rate)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        rate, value = broadcast_all(self.rate, value)
        return S.xlogy(value, rate) - rate - S.lgamma(value + 1)


def _clamp_by_zero(x):
    # clamp(min=0) with gradient 1/2 at 0 (PyTorch's)
    return (x.clamp(min=0) + x - x.clamp(max=0)) / 2


class Binomial(Distribution):
    """The number of successes in ``total_count`` trials with success probability
    ``probs`` (or sigmoid(``logits``))."""

    arg_constraints = {
        "total_count": constraints.nonnegative_integer,
        "probs": constraints.unit_interval,
        "logits": constraints.real,
    }
    has_enumerate_support = True

    def __init__(self, total_count=1, probs=None, logits=None, validate_args=None) -> None:
        if (probs is None) == (logits is None):
            raise ValueError(_ONE_OF)
        if probs is not None:
            self.total_count, self.probs = broadcast_all(total_count, probs)
            self.total_count = self.total_count.type_as(self.probs)
        else:
            self.total_count, self.logits = broadcast_all(total_count, logits)
            self.total_count = self.total_count.type_as(self.logits)
        self._param = self.probs if probs is not None else self.logits
        super().__init__(self._param.size(), validate_args=validate_args)

    @lazy_property
    def logits(self):
        return probs_to_logits(self.probs, is_binary=True)

    @lazy_property
    def probs(self):
        return logits_to_probs(self.logits, is_binary=True)

    @property
    def support(self):
        return constraints.integer_interval(0, self.total_count)

    @property
    def param_shape(self):
        return self._param.size()

    @property
    def mean(self):
        return self.total_count * self.probs

    @property
    def mode(self):
        return ((self.total_count + 1) * self.probs).floor().clamp(max=self.total_count)

    @property
    def variance(self):
        return self.total_count * self.probs * (1 - self.probs)

    def sample(self, sample_shape=()):
        shape = tuple(self._extended_shape(sample_shape))
        with no_grad():
            n = np.broadcast_to(_np(self.total_count).astype(np.float64), shape)
            p = np.broadcast_to(_np(self.probs).astype(np.float64), shape)
            return _sample_tensor(_sampling.binomial(n, p), self.probs)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        n = self.total_count
        log_factorial_n = S.lgamma(n + 1)
        log_factorial_k = S.lgamma(value + 1)
        log_factorial_nmk = S.lgamma(n - value + 1)
        logits = self.logits
        normalize_term = (
            n * _clamp_by_zero(logits) + n * E.log1p(E.exp(-logits.abs())) - log_factorial_n
        )
        return value * logits - log_factorial_k - log_factorial_nmk - normalize_term

    def entropy(self):
        total_count = int(self.total_count.max().item())
        if not bool((self.total_count == total_count).all()):
            raise NotImplementedError("Inhomogeneous total count not supported by `entropy`.")
        log_prob = self.log_prob(self.enumerate_support(False))
        return -(E.exp(log_prob) * log_prob).sum(0)

    def enumerate_support(self, expand: bool = True):
        total_count = int(self.total_count.max().item())
        if not bool((self.total_count == total_count).all()):
            raise NotImplementedError(
                "Inhomogeneous total count not supported by `enumerate_support`."
            )
        values = arange(1 + total_count, dtype=self._param.dtype)
        values = values.reshape((-1,) + (1,) * len(self.batch_shape))
        if expand:
            values = values.expand((-1,) + tuple(self.batch_shape))
        return values

    def expand(self, batch_shape, _instance=None):
        new = super().expand(batch_shape, _instance)
        new._param = new.__dict__.get("probs", new.__dict__.get("logits"))
        return new


class Multinomial(Distribution):
    """Counts of ``total_count`` draws from K categories (``probs`` or ``logits`` over
    the last dim)."""

    arg_constraints = {"probs": constraints.simplex, "logits": constraints.real_vector}

    def __init__(self, total_count=1, probs=None, logits=None, validate_args=None) -> None:
        if not isinstance(total_count, int):
            raise NotImplementedError("inhomogeneous total_count is not supported")
        self.total_count = total_count
        self._categorical = Categorical(probs=probs, logits=logits)
        self._binomial = Binomial(total_count=total_count, probs=self._categorical.probs)
        batch_shape = self._categorical.batch_shape
        event_shape = self._categorical.param_shape[-1:]
        super().__init__(batch_shape, event_shape, validate_args)

    @property
    def support(self):
        return constraints.multinomial(self.total_count)

    @property
    def logits(self):
        return self._categorical.logits

    @property
    def probs(self):
        return self._categorical.probs

    @property
    def param_shape(self):
        return self._categorical.param_shape

    @property
    def mean(self):
        return self.probs * self.total_count

    @property
    def variance(self):
        return self.total_count * self.probs * (1 - self.probs)

    def sample(self, sample_shape=()):
        """Counts of shape ``sample_shape + batch_shape + (K,)`` in the dtype of ``probs``:
        as PyTorch, ``total_count`` categorical draws per sample (one ``Categorical.sample``
        call), counted per category, so the values after the same seed are PyTorch's.

        >>> import chainrule as torch
        >>> from chainrule.distributions import Multinomial
        >>> _ = torch.manual_seed(0)
        >>> Multinomial(10, torch.tensor([0.25, 0.5, 0.25])).sample()
        tensor([1., 6., 3.])
        """
        sample_shape = Size(sample_shape)
        k = self._categorical._num_events
        draws = self._categorical.sample(Size((self.total_count,)) + sample_shape)
        # (total_count, *sample_shape, *batch_shape) -> one row of draws per count vector
        draws = np.moveaxis(_np(draws), 0, -1).reshape(-1, self.total_count)
        rows = draws.shape[0]
        counts = np.bincount((draws + k * np.arange(rows)[:, None]).ravel(), minlength=rows * k)
        return _sample_tensor(counts.reshape(self._extended_shape(sample_shape)), self.probs)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        logits, value = broadcast_all(self.logits, value)
        log_factorial_n = S.lgamma(value.sum(-1) + 1)
        log_factorial_xs = S.lgamma(value + 1).sum(-1)
        logits = E.where((value == 0) & (logits == -math.inf), 0.0, logits)
        log_powers = (logits * value).sum(-1)
        return log_factorial_n - log_factorial_xs + log_powers

    def entropy(self):
        n = float(self.total_count)
        cat_entropy = self._categorical.entropy()
        term1 = n * cat_entropy - math.lgamma(n + 1)
        support = self._binomial.enumerate_support(expand=False)[1:]
        binomial_probs = E.exp(self._binomial.log_prob(support))
        weights = S.lgamma(support + 1)
        term2 = (binomial_probs * weights).sum(0).sum(-1)
        return term1 + term2

    def expand(self, batch_shape, _instance=None):
        batch_shape = Size(batch_shape)
        new = object.__new__(type(self))
        new.total_count = self.total_count
        new._categorical = self._categorical.expand(batch_shape)
        new._binomial = Binomial(total_count=self.total_count, probs=new._categorical.probs)
        new._batch_shape = batch_shape
        new._event_shape = self._event_shape
        new._validate_args = self._validate_args
        return new
