"""chainrule.distributions against torch.distributions: shapes, log_prob, entropy, moments,
cdf/icdf, and the gradients of log_prob and entropy in the parameters, for parameter
shapes that broadcast; float64 (values to 1e-12) and float32."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr

torch = pytest.importorskip("torch")
TD = torch.distributions

rng = np.random.default_rng(7)


def pos(shape, lo=0.3, hi=3.0):
    return rng.uniform(lo, hi, shape)


def real(shape):
    return rng.normal(size=shape)


def unit(shape):
    return rng.uniform(0.05, 0.95, shape)


# name: (class name, {param: domain}, value maker(batch shape) -> array, extra kwargs)
SPECS = {
    "Normal": ("Normal", {"loc": real, "scale": pos}, real, {}),
    "Uniform": (
        "Uniform",
        {"low": lambda s: rng.uniform(-2, -0.5, s), "high": pos},
        lambda s: rng.uniform(-0.4, 0.25, s),
        {},
    ),
    "Exponential": ("Exponential", {"rate": pos}, pos, {}),
    "Gamma": ("Gamma", {"concentration": pos, "rate": pos}, pos, {}),
    "Beta": ("Beta", {"concentration1": pos, "concentration0": pos}, unit, {}),
    "Poisson": ("Poisson", {"rate": pos}, lambda s: rng.integers(0, 6, s).astype(float), {}),
    "Bernoulli(probs)": (
        "Bernoulli",
        {"probs": unit},
        lambda s: rng.integers(0, 2, s).astype(float),
        {},
    ),
    "Bernoulli(logits)": (
        "Bernoulli",
        {"logits": real},
        lambda s: rng.integers(0, 2, s).astype(float),
        {},
    ),
    "Binomial(probs)": (
        "Binomial",
        {"probs": unit},
        lambda s: rng.integers(0, 6, s).astype(float),
        {"total_count": 5.0},
    ),
    "Binomial(logits)": (
        "Binomial",
        {"logits": real},
        lambda s: rng.integers(0, 4, s).astype(float),
        {"total_count": 3.0},
    ),
}

SHAPES = [((), ()), ((3,), ()), ((2, 1), (3,)), ((4,), (2, 4)), ((), (2, 3))]


def _make(mod, cls, params, kw, dtype, grad):
    ts = {
        k: mod.tensor(v, dtype=dtype, requires_grad=grad) if isinstance(v, np.ndarray) else v
        for k, v in params.items()
    }
    d = getattr(mod.distributions, cls)(**ts, **kw)
    return d, ts


def _np(t):
    return t.detach().numpy()


@pytest.mark.parametrize("shapes", SHAPES, ids=str)
@pytest.mark.parametrize("name", list(SPECS))
def test_values_and_grads_float64(name, shapes):
    cls, doms, value_of, kw = SPECS[name]
    params = {}
    for (k, dom), s in zip(doms.items(), shapes * 2, strict=False):
        params[k] = np.asarray(dom(s), dtype=np.float64)
    res = {}
    batch = np.broadcast_shapes(*(p.shape for p in params.values()))
    value = value_of((2,) + batch)
    quantiles = unit((2,) + batch)
    for mod in (cr, torch):
        d, ts = _make(mod, cls, params, kw, mod.float64, True)
        v = mod.tensor(value, dtype=mod.float64)
        lp = d.log_prob(v)
        out = {"batch": tuple(d.batch_shape), "event": tuple(d.event_shape), "log_prob": _np(lp)}
        out["mean"] = _np(d.mean)
        out["variance"] = _np(d.variance)
        out["stddev"] = _np(d.stddev)
        try:
            ent = d.entropy()
            out["entropy"] = _np(ent)
        except NotImplementedError:
            ent = None
        if cls in ("Normal", "Uniform", "Exponential", "Gamma"):
            out["cdf"] = _np(d.cdf(v))
        if cls in ("Normal", "Uniform", "Exponential"):
            q = mod.tensor(quantiles, dtype=mod.float64)
            out["icdf"] = _np(d.icdf(q))
        loss = lp.sum() + (ent.sum() if ent is not None else 0)
        grads = mod.autograd.grad(loss, [t for t in ts.values() if hasattr(t, "grad")])
        out["grads"] = [_np(g) for g in grads]
        res[mod.__name__] = out
    a, b = res["chainrule"], res["torch"]
    assert a["batch"] == b["batch"] and a["event"] == b["event"]
    for k in b:
        if k in ("batch", "event"):
            continue
        if k == "grads":
            # entropy's gradient goes through trigamma, PyTorch's good to ~1e-10 only
            rtol, atol = (1e-8, 1e-8) if cls in ("Gamma", "Beta") else (1e-10, 1e-12)
            for ga, gb in zip(a[k], b[k], strict=True):
                np.testing.assert_allclose(ga, gb, rtol=rtol, atol=atol, err_msg=f"{name} grad")
        else:
            np.testing.assert_allclose(a[k], b[k], rtol=1e-11, atol=1e-12, err_msg=f"{name} {k}")


@pytest.mark.parametrize("name", list(SPECS))
def test_float32(name):
    cls, doms, value_of, kw = SPECS[name]
    params = {k: np.asarray(dom((3,))) for k, dom in doms.items()}
    value = value_of((3,))
    res = []
    for mod in (cr, torch):
        d, _ = _make(mod, cls, params, kw, mod.float32, False)
        v = mod.tensor(value, dtype=mod.float32)
        lp = d.log_prob(v)
        res.append((lp.dtype, _np(lp), _np(d.mean), str(d.sample((2,)).dtype)))
    assert str(res[0][0]) == str(res[1][0])
    np.testing.assert_allclose(res[0][1], res[1][1], rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(res[0][2], res[1][2], rtol=1e-6)
    assert res[0][3] == res[1][3]


CAT_SHAPES = [(4,), (3, 4), (2, 3, 5)]


@pytest.mark.parametrize("shape", CAT_SHAPES, ids=str)
@pytest.mark.parametrize("form", ["probs", "logits"])
def test_categorical_and_multinomial(shape, form):
    p = rng.uniform(0.1, 2.0, shape) if form == "probs" else rng.normal(size=shape)
    k = shape[-1]
    res = []
    for mod in (cr, torch):
        t = mod.tensor(p, dtype=mod.float64, requires_grad=True)
        d = mod.distributions.Categorical(**{form: t})
        value = mod.tensor(np.arange(2 * int(np.prod(shape[:-1]))).reshape((2,) + shape[:-1]) % k)
        lp = d.log_prob(value)
        ent = d.entropy()
        m = mod.distributions.Multinomial(6, **{form: t})
        counts = np.zeros((2,) + shape)
        counts[..., 0] = 2
        counts[..., -1] += 4
        mlp = m.log_prob(mod.tensor(counts, dtype=mod.float64))
        ment = m.entropy()
        (g,) = mod.autograd.grad(lp.sum() + ent.sum() + mlp.sum() + ment.sum(), t)
        res.append(
            dict(
                shapes=(
                    tuple(d.batch_shape),
                    tuple(d.event_shape),
                    tuple(m.batch_shape),
                    tuple(m.event_shape),
                ),
                lp=_np(lp),
                ent=_np(ent),
                probs=_np(d.probs),
                logits=_np(d.logits),
                mlp=_np(mlp),
                ment=_np(ment),
                mmean=_np(m.mean),
                mvar=_np(m.variance),
                g=_np(g),
            )
        )
    a, b = res
    assert a.pop("shapes") == b.pop("shapes")
    for key in a:
        # PyTorch's Multinomial.entropy takes lgamma(total_count + 1) of an int64 tensor,
        # in float32 (7.7e-8 off at n = 6); chainrule's is float64
        tol = 1e-7 if key == "ment" else 1e-11
        np.testing.assert_allclose(a[key], b[key], rtol=tol, atol=1e-12, err_msg=key)


def test_binomial_entropy_and_enumerate_support():
    p = rng.uniform(0.1, 0.9, (3,))
    a = cr.distributions.Binomial(4, probs=cr.tensor(p, dtype=cr.float64))
    b = torch.distributions.Binomial(4, probs=torch.tensor(p, dtype=torch.float64))
    np.testing.assert_allclose(_np(a.entropy()), _np(b.entropy()), rtol=1e-12)
    np.testing.assert_array_equal(_np(a.enumerate_support()), _np(b.enumerate_support()))
    with pytest.raises(NotImplementedError, match="Inhomogeneous total count"):
        cr.distributions.Binomial(cr.tensor([3.0, 4.0]), probs=cr.tensor(0.3)).entropy()


def test_expand_as_torch():
    for mod in (cr, torch):
        d = mod.distributions.Normal(mod.zeros(2), 1.0).expand((3, 2))
        assert repr(d) == "Normal(loc: torch.Size([3, 2]), scale: torch.Size([3, 2]))"
        assert tuple(d.batch_shape) == (3, 2)
        assert tuple(d.sample().shape) == (3, 2)
    c = cr.distributions.Categorical(cr.ones(3)).expand((2,))
    assert tuple(c.batch_shape) == (2,) and tuple(c.sample((4,)).shape) == (4, 2)
    b = cr.distributions.Bernoulli(cr.tensor(0.3)).expand((5,))
    assert tuple(b.log_prob(cr.ones(5)).shape) == (5,)


REPRS = [
    lambda m: m.distributions.Normal(0.0, 1.0),
    lambda m: m.distributions.Normal(m.zeros(3), 1.0),
    lambda m: m.distributions.Bernoulli(logits=m.tensor([0.2])),
    lambda m: m.distributions.Categorical(m.ones(2, 3)),
    lambda m: m.distributions.Binomial(5, m.tensor(0.3)),
    lambda m: m.distributions.Multinomial(3, m.tensor([0.2, 0.8])),
    lambda m: m.distributions.Uniform(0.0, 1.0),
    lambda m: m.distributions.Gamma(1.0, 2.0),
    lambda m: m.distributions.Beta(1.0, 2.0),
    lambda m: m.distributions.Poisson(3.0),
    lambda m: m.distributions.Exponential(2.0),
]


@pytest.mark.parametrize("make", REPRS)
def test_repr_as_torch(make):
    assert repr(make(cr)) == repr(make(torch))


def test_support_and_constraint_reprs():
    for name in ("Normal", "Exponential", "Gamma", "Beta", "Poisson", "Bernoulli"):
        a, b = getattr(cr.distributions, name), getattr(torch.distributions, name)
        assert repr(a.support) == repr(b.support), name
        for k, c in b.arg_constraints.items():
            assert repr(a.arg_constraints[k]) == repr(c), (name, k)
