"""KL(p || q) by type pair: ``register_kl`` adds a rule, ``kl_divergence`` finds the most
specific one (by the classes' method resolution order), as PyTorch's.

>>> import chainrule as torch
>>> from chainrule.distributions import Normal, kl_divergence
>>> kl_divergence(Normal(0.0, 1.0), Normal(1.0, 1.0))
tensor(0.5000)
"""

from __future__ import annotations

import math

from .. import functions as F
from .continuous import Beta, Exponential, ExponentialFamily, Gamma, Normal, Uniform
from .discrete import Bernoulli, Binomial, Categorical, Poisson
from .multivariate_normal import MultivariateNormal, kl_mvn_mvn
from .utils import softplus

__all__ = ["kl_divergence", "register_kl"]

E = F.elementwise
S = F.special

_KL_REGISTRY: dict = {}


def register_kl(type_p, type_q):
    """Decorator: ``@register_kl(Normal, Normal) def kl(p, q): ...``."""
    if not (isinstance(type_p, type) and isinstance(type_q, type)):
        raise TypeError(
            f"Expected type_p and type_q to be subclasses of Distribution but got {type_p} "
            f"and {type_q}"
        )

    def decorator(fun):
        _KL_REGISTRY[type_p, type_q] = fun
        return fun

    return decorator


def _dispatch(type_p, type_q):
    matches = [
        (tp, tq) for tp, tq in _KL_REGISTRY if issubclass(type_p, tp) and issubclass(type_q, tq)
    ]
    if not matches:
        return None
    # the most specific pair: nearest in both MROs
    best = min(matches, key=lambda m: (type_p.__mro__.index(m[0]), type_q.__mro__.index(m[1])))
    return _KL_REGISTRY[best]


def kl_divergence(p, q):
    """KL(p || q), per batch element."""
    fun = _dispatch(type(p), type(q))
    if fun is None:
        if isinstance(p, ExponentialFamily) and isinstance(q, ExponentialFamily):
            raise NotImplementedError(
                "The cross KL-divergence between different exponential families cannot "
                "                            be computed using Bregman divergences"
            )
        raise NotImplementedError(
            f"No KL(p || q) is implemented for p type {p.__class__.__name__} and q type "
            f"{q.__class__.__name__}"
        )
    return fun(p, q)


@register_kl(Normal, Normal)
def _kl_normal_normal(p, q):
    var_ratio = (p.scale / q.scale).pow(2)
    t1 = ((p.loc - q.loc) / q.scale).pow(2)
    return 0.5 * (var_ratio + t1 - 1 - var_ratio.log())


@register_kl(Bernoulli, Bernoulli)
def _kl_bernoulli_bernoulli(p, q):
    t1 = p.probs * (softplus(-q.logits) - softplus(-p.logits))
    t1 = E.where(q.probs == 0, math.inf, t1)
    t1 = E.where(p.probs == 0, 0.0, t1)
    t2 = (1 - p.probs) * (softplus(q.logits) - softplus(p.logits))
    t2 = E.where(q.probs == 1, math.inf, t2)
    t2 = E.where(p.probs == 1, 0.0, t2)
    return t1 + t2


@register_kl(Categorical, Categorical)
def _kl_categorical_categorical(p, q):
    t = p.probs * (p.logits - q.logits)
    shape = tuple(t.shape)
    t = E.where((q.probs == 0).expand(shape), math.inf, t)
    t = E.where((p.probs == 0).expand(shape), 0.0, t)
    return t.sum(-1)


@register_kl(Binomial, Binomial)
def _kl_binomial_binomial(p, q):
    if bool((p.total_count < q.total_count).any()):
        raise NotImplementedError(
            "KL between Binomials where q.total_count > p.total_count is not implemented"
        )
    kl = p.total_count * (p.probs * (p.logits - q.logits) + (-p.probs).log1p() - (-q.probs).log1p())
    return E.where(p.total_count > q.total_count, math.inf, kl)


@register_kl(Exponential, Exponential)
def _kl_exponential_exponential(p, q):
    rate_ratio = q.rate / p.rate
    t1 = -rate_ratio.log()
    return t1 + rate_ratio - 1


@register_kl(Gamma, Gamma)
def _kl_gamma_gamma(p, q):
    t1 = q.concentration * (p.rate / q.rate).log()
    t2 = S.lgamma(q.concentration) - S.lgamma(p.concentration)
    t3 = (p.concentration - q.concentration) * S.digamma(p.concentration)
    t4 = (q.rate - p.rate) * (p.concentration / p.rate)
    return t1 + t2 + t3 + t4


@register_kl(Beta, Beta)
def _kl_beta_beta(p, q):
    a1, b1, a2, b2 = p.concentration1, p.concentration0, q.concentration1, q.concentration0
    s1, s2 = a1 + b1, a2 + b2
    t1 = S.lgamma(s1) - S.lgamma(a1) - S.lgamma(b1)
    t2 = S.lgamma(s2) - S.lgamma(a2) - S.lgamma(b2)
    d1 = S.digamma(s1)
    t3 = (a1 - a2) * (S.digamma(a1) - d1) + (b1 - b2) * (S.digamma(b1) - d1)
    return t1 - t2 + t3


@register_kl(Uniform, Uniform)
def _kl_uniform_uniform(p, q):
    result = ((q.high - q.low) / (p.high - p.low)).log()
    return E.where((q.low > p.low) | (q.high < p.high), math.inf, result)


@register_kl(Poisson, Poisson)
def _kl_poisson_poisson(p, q):
    return p.rate * (p.rate.log() - q.rate.log()) - (p.rate - q.rate)


register_kl(MultivariateNormal, MultivariateNormal)(kl_mvn_mvn)
