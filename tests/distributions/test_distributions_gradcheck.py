"""gradcheck and gradgradcheck (chainrule.autograd) of log_prob, entropy, cdf and KL in the
parameters of every distribution: they are composites of table ops, so first and second
derivatives both hold."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
from chainrule.autograd import gradcheck, gradgradcheck

D = cr.distributions
rng = np.random.default_rng(11)


def t(a):
    return cr.tensor(np.asarray(a, dtype=np.float64), requires_grad=True)


V_REAL = cr.tensor(rng.normal(size=(2, 3)), dtype=cr.float64)
V_POS = cr.tensor(rng.uniform(0.2, 3, (2, 3)), dtype=cr.float64)
V_UNIT = cr.tensor(rng.uniform(0.1, 0.9, (2, 3)), dtype=cr.float64)
V_COUNT = cr.tensor(rng.integers(0, 5, (2, 3)), dtype=cr.float64)
V_BIN = cr.tensor(rng.integers(0, 2, (2, 3)), dtype=cr.float64)

CASES = [
    ("Normal log_prob", lambda a, b: D.Normal(a, b.exp()).log_prob(V_REAL), 2),
    (
        "Normal entropy+cdf",
        lambda a, b: D.Normal(a, b.exp()).entropy() + D.Normal(a, b.exp()).cdf(V_REAL),
        2,
    ),
    ("Normal icdf", lambda a, b: D.Normal(a, b.exp()).icdf(V_UNIT), 2),
    (
        "Uniform log_prob+entropy",
        lambda a, b: (
            D.Uniform(a - 2, b.exp() + 3).log_prob(V_REAL) + D.Uniform(a - 2, b.exp() + 3).entropy()
        ),
        2,
    ),
    (
        "Exponential",
        lambda a: D.Exponential(a.exp()).log_prob(V_POS) + D.Exponential(a.exp()).entropy(),
        1,
    ),
    (
        "Gamma",
        lambda a, b: (
            D.Gamma(a.exp(), b.exp()).log_prob(V_POS) + D.Gamma(a.exp(), b.exp()).entropy()
        ),
        2,
    ),
    (
        "Beta",
        lambda a, b: D.Beta(a.exp(), b.exp()).log_prob(V_UNIT) + D.Beta(a.exp(), b.exp()).entropy(),
        2,
    ),
    ("Poisson", lambda a: D.Poisson(a.exp()).log_prob(V_COUNT), 1),
    (
        "Bernoulli logits",
        lambda a: D.Bernoulli(logits=a).log_prob(V_BIN) + D.Bernoulli(logits=a).entropy(),
        1,
    ),
    (
        "Bernoulli probs",
        lambda a: (
            D.Bernoulli(probs=a.sigmoid()).log_prob(V_BIN)
            + D.Bernoulli(probs=a.sigmoid()).entropy()
        ),
        1,
    ),
    (
        "Binomial",
        lambda a: D.Binomial(4, logits=a).log_prob(V_COUNT) + D.Binomial(4, logits=a).entropy(),
        1,
    ),
    ("KL Normal", lambda a, b: D.kl_divergence(D.Normal(a, b.exp()), D.Normal(b, a.exp())), 2),
    ("KL Gamma", lambda a, b: D.kl_divergence(D.Gamma(a.exp(), b.exp()), D.Gamma(b.exp(), 1.5)), 2),
    (
        "KL Beta",
        lambda a, b: D.kl_divergence(D.Beta(a.exp(), b.exp()), D.Beta(b.exp(), a.exp())),
        2,
    ),
]


@pytest.mark.parametrize("name,f,n", CASES, ids=[c[0] for c in CASES])
def test_gradcheck_and_gradgradcheck(name, f, n):
    args = [t(rng.normal(size=(3,)) * 0.5) for _ in range(n)]
    assert gradcheck(f, args)
    assert gradgradcheck(f, args)


def test_categorical_multinomial_gradcheck():
    v = cr.tensor([[0, 2], [1, 1]])
    counts = cr.tensor([[1.0, 0.0, 3.0], [2.0, 2.0, 0.0]], dtype=cr.float64)

    def f(logits):
        c = D.Categorical(logits=logits)
        m = D.Multinomial(4, logits=logits)
        return c.log_prob(v).sum(0) + c.entropy() + m.log_prob(counts) + m.entropy()

    x = t(rng.normal(size=(2, 3)))
    assert gradcheck(f, [x])
    assert gradgradcheck(f, [x])
