"""Validation errors (PyTorch's texts), KL divergences (values and gradients against
PyTorch), sampling (shapes, dtypes, seeded moments) and rsample's gradients."""

from __future__ import annotations

import math

import numpy as np
import pytest

import chainrule as cr

torch = pytest.importorskip("torch")


def _message(fn, mod):
    with pytest.raises(Exception) as info:
        fn(mod)
    return type(info.value).__name__, str(info.value)


BAD = [
    lambda m: m.distributions.Normal(m.tensor([0.0, 1.0]), m.tensor([1.0, -1.0])),
    lambda m: m.distributions.Normal(0.0, 1.0).log_prob(m.tensor(float("nan"))),
    lambda m: m.distributions.Normal(0.0, 1.0).log_prob(1.0),
    lambda m: m.distributions.Normal(m.zeros(3), 1.0).log_prob(m.ones(2)),
    lambda m: m.distributions.Bernoulli(probs=m.tensor([1.5])),
    lambda m: m.distributions.Bernoulli(m.tensor([0.5]), m.tensor([0.5])),
    lambda m: m.distributions.Bernoulli(),
    lambda m: m.distributions.Bernoulli(m.tensor(0.3)).log_prob(m.tensor(0.5)),
    lambda m: m.distributions.Uniform(0.0, 1.0).log_prob(m.tensor(2.0)),
    lambda m: m.distributions.Uniform(1.0, 0.0),
    lambda m: m.distributions.Categorical(m.tensor([0.5, -1.0])),
    lambda m: m.distributions.Categorical(probs=m.tensor([0.5, 0.5])).log_prob(m.tensor(2)),
    lambda m: m.distributions.Exponential(m.tensor(0.0)),
    lambda m: m.distributions.Exponential(1.0).log_prob(m.tensor(-1.0)),
    lambda m: m.distributions.Poisson(m.tensor(1.0)).log_prob(m.tensor(0.5)),
    lambda m: m.distributions.Poisson(m.tensor(-1.0)),
    lambda m: m.distributions.Binomial(m.tensor(5.0), probs=m.tensor(0.3)).log_prob(m.tensor(7.0)),
    lambda m: m.distributions.Binomial(m.tensor(2.5), probs=m.tensor(0.3)),
    lambda m: m.distributions.Gamma(1.0, -1.0),
    lambda m: m.distributions.Gamma(1.0, 1.0).log_prob(m.tensor(-2.0)),
    lambda m: m.distributions.Beta(1.0, 1.0).log_prob(m.tensor(1.5)),
    lambda m: m.distributions.Multinomial(3, m.tensor([0.2, 0.8])).log_prob(m.tensor([3.0, 1.0])),
]


@pytest.mark.parametrize("bad", BAD)
def test_validation_errors_as_torch(bad):
    assert _message(bad, cr) == _message(bad, torch)


def test_validate_args_false_and_default():
    d = cr.distributions.Normal(0.0, -1.0, validate_args=False)
    assert math.isnan(d.log_prob(cr.tensor(0.0)).item())
    cr.distributions.Distribution.set_default_validate_args(False)
    try:
        cr.distributions.Exponential(-1.0)
    finally:
        cr.distributions.Distribution.set_default_validate_args(True)
    with pytest.raises(ValueError):
        cr.distributions.Exponential(-1.0)


def test_beta_validation_names_beta():
    # PyTorch's Beta validates through its Dirichlet (the message names Dirichlet); here
    # Beta's own parameter is named
    with pytest.raises(ValueError, match="Expected parameter concentration0"):
        cr.distributions.Beta(1.0, -1.0)


rng = np.random.default_rng(3)

KL_PAIRS = [
    ("Normal", lambda m, t: m.distributions.Normal(t[0], t[1].exp()), 4),
    ("Bernoulli", lambda m, t: m.distributions.Bernoulli(logits=t[0]), 2),
    ("Bernoulli probs", lambda m, t: m.distributions.Bernoulli(probs=t[0].sigmoid()), 2),
    ("Exponential", lambda m, t: m.distributions.Exponential(t[0].exp()), 2),
    ("Gamma", lambda m, t: m.distributions.Gamma(t[0].exp(), t[1].exp()), 4),
    ("Beta", lambda m, t: m.distributions.Beta(t[0].exp(), t[1].exp()), 4),
    ("Poisson", lambda m, t: m.distributions.Poisson(t[0].exp()), 2),
    ("Uniform", lambda m, t: m.distributions.Uniform(t[0] - 1, t[1].exp()), 4),
    ("Binomial", lambda m, t: m.distributions.Binomial(5, logits=t[0]), 2),
]


@pytest.mark.parametrize("name,make,n", KL_PAIRS, ids=[k[0] for k in KL_PAIRS])
def test_kl_values_and_grads_as_torch(name, make, n):
    a = rng.normal(size=(n, 3)) * 0.7
    res = []
    for mod in (cr, torch):
        ts = [mod.tensor(r, dtype=mod.float64, requires_grad=True) for r in a]
        k = n // 2
        p, q = make(mod, ts[:k]), make(mod, ts[k:])
        kl = mod.distributions.kl_divergence(p, q)
        fin = np.isfinite(kl.detach().numpy())
        loss = mod.where(mod.tensor(fin), kl, mod.zeros_like(kl)).sum()
        grads = mod.autograd.grad(loss, ts)
        res.append((kl.detach().numpy(), [g.numpy() for g in grads]))
    np.testing.assert_allclose(res[0][0], res[1][0], rtol=1e-9, atol=1e-12)
    # through PyTorch's trigamma (good to ~1e-10)
    rtol, atol = (1e-7, 1e-8) if name in ("Gamma", "Beta") else (1e-10, 1e-12)
    for ga, gb in zip(res[0][1], res[1][1], strict=True):
        np.testing.assert_allclose(ga, gb, rtol=rtol, atol=atol)


def test_kl_categorical_and_infinities_as_torch():
    pa = np.array([[0.2, 0.3, 0.5], [0.0, 0.5, 0.5]])
    qa = np.array([[0.1, 0.1, 0.8], [0.5, 0.5, 0.0]])
    out = []
    for mod in (cr, torch):
        p = mod.distributions.Categorical(mod.tensor(pa, dtype=mod.float64))
        q = mod.distributions.Categorical(mod.tensor(qa, dtype=mod.float64))
        b1 = mod.distributions.Bernoulli(mod.tensor([0.0, 1.0, 0.3], dtype=mod.float64))
        b2 = mod.distributions.Bernoulli(mod.tensor([0.5, 1.0, 0.0], dtype=mod.float64))
        u = mod.distributions.kl_divergence(
            mod.distributions.Uniform(0.0, 2.0), mod.distributions.Uniform(0.0, 1.0)
        )
        out.append(
            [
                mod.distributions.kl_divergence(p, q).numpy(),
                mod.distributions.kl_divergence(b1, b2).numpy(),
                u.numpy(),
            ]
        )
    for x, y in zip(*out, strict=True):
        np.testing.assert_allclose(x, y, rtol=1e-12)


def test_kl_not_implemented_as_torch():
    for make in (
        lambda m: (m.distributions.Poisson(1.0), m.distributions.Normal(0.0, 1.0)),
        lambda m: (m.distributions.Categorical(m.ones(2)), m.distributions.Normal(0.0, 1.0)),
    ):
        msgs = [
            _message(lambda m, make=make: m.distributions.kl_divergence(*make(m)), mod)
            for mod in (cr, torch)
        ]
        assert msgs[0] == msgs[1]


def test_register_kl_most_specific():
    class MyNormal(cr.distributions.Normal):
        pass

    @cr.distributions.register_kl(MyNormal, cr.distributions.Normal)
    def _kl(p, q):
        return cr.tensor(42.0)

    assert (
        cr.distributions.kl_divergence(MyNormal(0.0, 1.0), cr.distributions.Normal(0.0, 1.0)).item()
        == 42
    )
    assert (
        cr.distributions.kl_divergence(cr.distributions.Normal(0.0, 1.0), MyNormal(0.0, 1.0)).item()
        == 0
    )


# --------------------------------------------------------------------------- sampling
MOMENTS = [
    ("Normal", lambda m: m.distributions.Normal(m.tensor([0.0, 3.0]), m.tensor([1.0, 0.5]))),
    ("Uniform", lambda m: m.distributions.Uniform(m.tensor([-1.0, 2.0]), m.tensor([1.0, 5.0]))),
    ("Exponential", lambda m: m.distributions.Exponential(m.tensor([0.5, 4.0]))),
    (
        "Gamma",
        lambda m: m.distributions.Gamma(m.tensor([0.3, 1.0, 7.5]), m.tensor([1.0, 2.0, 0.5])),
    ),
    ("Beta", lambda m: m.distributions.Beta(m.tensor([0.5, 2.0]), m.tensor([0.5, 5.0]))),
    ("Poisson", lambda m: m.distributions.Poisson(m.tensor([0.0, 0.7, 4.0, 30.0, 400.0]))),
    ("Bernoulli", lambda m: m.distributions.Bernoulli(m.tensor([0.1, 0.5, 0.9]))),
    (
        "Binomial",
        lambda m: m.distributions.Binomial(m.tensor([3.0, 10.0, 300.0]), m.tensor([0.2, 0.5, 0.9])),
    ),
    (
        "Categorical",
        lambda m: m.distributions.Categorical(m.tensor([[0.2, 0.3, 0.5], [0.9, 0.05, 0.05]])),
    ),
    ("Multinomial", lambda m: m.distributions.Multinomial(10, m.tensor([0.2, 0.3, 0.5]))),
]


@pytest.mark.parametrize("name,make", MOMENTS, ids=[k[0] for k in MOMENTS])
def test_sample_shapes_dtypes_moments(name, make):
    cr.manual_seed(0)
    d, t = make(cr), make(torch)
    for shape in ((), (2,), (3, 1)):
        a, b = d.sample(shape), t.sample(shape)
        assert tuple(a.shape) == tuple(b.shape) and str(a.dtype) == str(b.dtype), shape
        assert a.requires_grad is False
    n = 20000
    x = d.sample((n,)).double().numpy()
    if name == "Categorical":
        freq = np.stack([(x == k).mean(0) for k in range(3)], -1)
        np.testing.assert_allclose(freq, d.probs.numpy(), atol=0.015)
        return
    mean, var = d.mean.double().numpy(), d.variance.double().numpy()
    se = np.sqrt(var / n)
    assert (np.abs(x.mean(0) - mean) <= 5 * se + 1e-12).all(), (x.mean(0), mean)
    np.testing.assert_allclose(x.var(0), var, rtol=0.06, atol=1e-12)


def test_sampling_is_seeded():
    d = cr.distributions.Gamma(cr.tensor([0.5, 3.0]), 1.0)
    cr.manual_seed(5)
    a = d.sample((4,))
    cr.manual_seed(5)
    assert cr.equal(a, d.sample((4,)))


def test_poisson_sample_log_prob_support():
    cr.manual_seed(1)
    d = cr.distributions.Poisson(cr.tensor([2.0, 50.0]))
    x = d.sample((100,))
    assert bool((x == x.round()).all()) and bool((x >= 0).all())
    assert bool(d.log_prob(x).isfinite().all())


# --------------------------------------------------------------------------- rsample
def test_rsample_gradients_normal_uniform_exponential():
    cr.manual_seed(2)
    loc = cr.tensor([0.5, -1.0], dtype=cr.float64, requires_grad=True)
    scale = cr.tensor([2.0, 0.5], dtype=cr.float64, requires_grad=True)
    x = cr.distributions.Normal(loc, scale).rsample((3,))
    gl, gs = cr.autograd.grad(x.sum(), [loc, scale])
    np.testing.assert_allclose(gl.numpy(), [3.0, 3.0])
    eps = (x.detach() - loc.detach()) / scale.detach()
    np.testing.assert_allclose(gs.numpy(), eps.sum(0).numpy(), rtol=1e-12)

    low = cr.tensor(1.0, dtype=cr.float64, requires_grad=True)
    high = cr.tensor(3.0, dtype=cr.float64, requires_grad=True)
    u = cr.distributions.Uniform(low, high).rsample((5,))
    gl, gh = cr.autograd.grad(u.sum(), [low, high])
    frac = (u.detach() - 1.0) / 2.0
    np.testing.assert_allclose(gh.numpy(), frac.sum().numpy(), rtol=1e-12)
    np.testing.assert_allclose(gl.numpy(), (1 - frac).sum().numpy(), rtol=1e-12)

    rate = cr.tensor(2.0, dtype=cr.float64, requires_grad=True)
    e = cr.distributions.Exponential(rate).rsample((4,))
    (gr,) = cr.autograd.grad(e.sum(), rate)
    np.testing.assert_allclose(gr.numpy(), (-e.detach() / 2.0).sum().numpy(), rtol=1e-12)


def test_gamma_rsample_gradient_is_implicit_reparameterization():
    sp = pytest.importorskip("scipy.special")
    cr.manual_seed(4)
    alpha = cr.tensor([0.2, 1.0, 3.5, 40.0], dtype=cr.float64, requires_grad=True)
    x = cr.distributions.Gamma(alpha, 1.0).rsample()
    (g,) = cr.autograd.grad(x.sum(), alpha)
    a, xv = alpha.detach().numpy(), x.detach().numpy()
    u = sp.gammainc(a, xv)  # the sample's quantile, held fixed
    h = 1e-6 * a
    num = (sp.gammaincinv(a + h, u) - sp.gammaincinv(a - h, u)) / (2 * h)
    np.testing.assert_allclose(g.numpy(), num, rtol=1e-5)
    # and PyTorch's own (approximate) _standard_gamma_grad at the same samples
    ref = torch._standard_gamma_grad(torch.tensor(a), torch.tensor(xv)).numpy()
    np.testing.assert_allclose(g.numpy(), ref, rtol=2e-3)


def test_gamma_beta_rsample_loss_gradients_flow():
    cr.manual_seed(6)
    c = cr.tensor([1.5, 2.0], dtype=cr.float64, requires_grad=True)
    r = cr.tensor([1.0, 3.0], dtype=cr.float64, requires_grad=True)
    x = cr.distributions.Gamma(c, r).rsample((1000,))
    gc, gr = cr.autograd.grad(x.mean(0).sum(), [c, r])
    # d E[x]/dc = 1/r, d E[x]/dr = -c/r^2 (Monte Carlo, loose)
    np.testing.assert_allclose(gc.numpy(), [1.0, 1 / 3.0], rtol=0.15)
    np.testing.assert_allclose(gr.numpy(), [-1.5, -2.0 / 9.0], rtol=0.15)
    a = cr.tensor(2.0, dtype=cr.float64, requires_grad=True)
    b = cr.tensor(3.0, dtype=cr.float64, requires_grad=True)
    y = cr.distributions.Beta(a, b).rsample((4000,))
    ga, gb = cr.autograd.grad(y.mean(), [a, b])
    # E[y] = a / (a + b): d/da = b / (a+b)^2 = 0.12, d/db = -a/(a+b)^2 = -0.08
    np.testing.assert_allclose([ga.item(), gb.item()], [0.12, -0.08], rtol=0.15)
    assert (
        cr.distributions.Gamma(1.0, 1.0).has_rsample and cr.distributions.Beta(1.0, 1.0).has_rsample
    )


def test_standard_gamma_as_torch_function():
    cr.manual_seed(0)
    a = cr.tensor([0.5, 2.0], requires_grad=True)
    x = cr._standard_gamma(a)
    assert x.grad_fn.name() == "StandardGammaBackward0" and x.dtype == cr.float32
    x.sum().backward()
    assert a.grad is not None and bool((a.grad > 0).all())
