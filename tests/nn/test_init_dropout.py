"""nn.init and Dropout without torch: bounds, statistics, determinism under
chainrule.manual_seed, no autograd history, and train/eval behaviour."""

import math

import numpy as np
import pytest

import chainrule as cr
import chainrule.nn.functional as F
from chainrule import nn
from chainrule.nn import init


# -------------------------------------------------------------------------- init
@pytest.mark.parametrize("fan_in,fan_out", [(1, 3), (20, 7), (300, 50)])
def test_linear_default_init_bound(fan_in, fan_out):
    cr.manual_seed(0)
    lin = nn.Linear(fan_in, fan_out)
    bound = 1 / math.sqrt(fan_in)
    w, b = lin.weight.detach().numpy(), lin.bias.detach().numpy()
    assert np.abs(w).max() <= bound and np.abs(b).max() <= bound
    if w.size >= 1000:  # U(-bound, bound): std = bound / sqrt(3), and both signs appear
        assert abs(w.std() - bound / math.sqrt(3)) < 0.05 * bound
        assert abs(w.mean()) < 0.05 * bound
    assert lin.weight.requires_grad and lin.weight.is_leaf and lin.weight.grad_fn is None


def test_linear_init_is_deterministic_and_dtype_follows():
    cr.manual_seed(3)
    a = nn.Linear(4, 2)
    cr.manual_seed(3)
    b = nn.Linear(4, 2)
    assert cr.equal(a.weight, b.weight) and cr.equal(a.bias, b.bias)
    assert not cr.equal(a.weight, nn.Linear(4, 2).weight)
    d = nn.Linear(4, 2, dtype=cr.float64)
    assert d.weight.dtype == cr.float64 and d.bias.dtype == cr.float64
    assert nn.Linear(4, 2, bias=False).bias is None


def test_init_functions_fill_in_place_without_history():
    cr.manual_seed(1)
    p = nn.Parameter(cr.empty(200, 100))
    for fn, check in [
        (lambda t: init.zeros_(t), lambda a: (a == 0).all()),
        (lambda t: init.ones_(t), lambda a: (a == 1).all()),
        (lambda t: init.constant_(t, 0.25), lambda a: (a == 0.25).all()),
        (lambda t: init.uniform_(t, -2, 3), lambda a: a.min() >= -2 and a.max() < 3),
        (lambda t: init.normal_(t, 1.0, 0.5), lambda a: abs(a.mean() - 1) < 0.01),
    ]:
        out = fn(p)
        assert out is p and p.grad_fn is None and p.requires_grad
        assert check(p.detach().numpy())


@pytest.mark.parametrize(
    "name,expected_std",
    [
        ("xavier_uniform_", math.sqrt(2 / (100 + 200))),
        ("xavier_normal_", math.sqrt(2 / (100 + 200))),
        ("kaiming_uniform_", math.sqrt(2) / math.sqrt(100)),  # leaky_relu, a=0 -> gain sqrt(2)
        ("kaiming_normal_", math.sqrt(2) / math.sqrt(100)),
    ],
)
def test_init_statistics(name, expected_std):
    cr.manual_seed(2)
    w = getattr(init, name)(cr.empty(200, 100))
    a = w.numpy()
    assert abs(a.std() - expected_std) < 0.03 * expected_std
    assert abs(a.mean()) < 0.03 * expected_std
    if name.endswith("uniform_"):
        assert np.abs(a).max() <= math.sqrt(3) * expected_std


def test_kaiming_modes_and_gain():
    cr.manual_seed(4)
    w = init.kaiming_uniform_(cr.empty(50, 10, 2), mode="fan_out", nonlinearity="relu")
    bound = math.sqrt(2) * math.sqrt(3 / (50 * 2))
    assert np.abs(w.numpy()).max() <= bound and np.abs(w.numpy()).max() > 0.9 * bound
    assert init.calculate_gain("tanh") == 5 / 3
    assert init.calculate_gain("leaky_relu", 0.2) == math.sqrt(2 / 1.04)
    assert init.calculate_gain("conv2d") == 1.0 and init.calculate_gain("selu") == 0.75
    with pytest.raises(ValueError, match="Unsupported nonlinearity foo"):
        init.calculate_gain("foo")
    with pytest.raises(ValueError, match="negative_slope True not a valid number"):
        init.calculate_gain("leaky_relu", True)
    with pytest.raises(ValueError, match="Mode fan_avg not supported"):
        init.kaiming_normal_(cr.empty(2, 2), mode="fan_avg")
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        init.kaiming_uniform_(cr.empty(3))
    with pytest.warns(UserWarning, match="Initializing zero-element tensors is a no-op"):
        assert init.kaiming_uniform_(cr.empty(0, 3)).shape == (0, 3)


def test_init_generator_argument():
    g1, g2 = cr.Generator().manual_seed(7), cr.Generator().manual_seed(7)
    a = init.normal_(cr.empty(5), generator=g1)
    b = init.normal_(cr.empty(5), generator=g2)
    assert cr.equal(a, b)


# ----------------------------------------------------------------------- Dropout
@pytest.mark.parametrize("p", [0.1, 0.5, 0.8])
def test_dropout_statistics_and_scaling(p):
    cr.manual_seed(0)
    x = cr.ones(200, 500)
    y = nn.Dropout(p)(x).numpy()
    kept = y != 0
    assert np.allclose(y[kept], 1 / (1 - p))  # survivors scaled by 1/(1-p)
    assert abs(kept.mean() - (1 - p)) < 0.01  # 100k draws: std of the rate ~0.0016
    assert abs(y.mean() - 1.0) < 0.03  # the expectation is kept


def test_dropout_train_eval_and_edge_probabilities():
    x = cr.randn(10, 10)
    drop = nn.Dropout(0.5)
    assert drop.training and not cr.equal(drop(x), x)
    drop.eval()
    assert drop(x) is x
    assert F.dropout(x, 0.5, training=False) is x
    assert F.dropout(x, 0.0) is x
    assert (F.dropout(x, 1.0) == 0).all()
    with pytest.raises(ValueError, match="dropout probability has to be between 0 and 1"):
        F.dropout(x, -0.1)


def test_dropout_gradient_uses_the_same_mask():
    cr.manual_seed(5)
    x = cr.ones(1000, requires_grad=True)
    y = F.dropout(x, 0.3)
    y.sum().backward()
    assert np.array_equal(x.grad.numpy(), y.detach().numpy())  # d(x*m)/dx = m


def test_dropout_is_deterministic_under_manual_seed_and_inplace():
    cr.manual_seed(11)
    a = F.dropout(cr.ones(50), 0.5)
    cr.manual_seed(11)
    x = cr.ones(50)
    b = F.dropout(x, 0.5, inplace=True)
    assert b is x and cr.equal(a, b)
