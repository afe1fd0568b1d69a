"""nn.LazyLinear (d2l's concise models) and the top-level softmax / log_softmax."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr


def test_lazy_linear_takes_its_input_size_from_the_first_call():
    layer = cr.nn.LazyLinear(3)
    assert repr(layer) == "LazyLinear(in_features=0, out_features=3, bias=True)"
    weight = layer.weight
    opt = cr.optim.SGD(layer.parameters(), lr=0.1)  # built before the first call
    y = layer(cr.ones(2, 4))
    assert y.shape == (2, 3) and type(layer) is cr.nn.Linear
    assert repr(layer) == "Linear(in_features=4, out_features=3, bias=True)"
    assert layer.weight is weight and weight.shape == (3, 4)
    assert float(weight.abs().max()) <= 0.5  # PyTorch's bound 1/sqrt(in_features)
    before = weight.detach().clone()
    y.sum().backward()
    opt.step()  # the optimizer updates the materialized parameter
    assert not np.allclose(weight.detach().numpy(), before.numpy())


def test_lazy_linear_in_a_sequential_matches_torch_shapes():
    torch = pytest.importorskip("torch")
    for lib in (cr, torch):
        net = lib.nn.Sequential(lib.nn.LazyLinear(8), lib.nn.ReLU(), lib.nn.LazyLinear(1))
        assert tuple(net(lib.ones(2, 5)).shape) == (2, 1)
    assert repr(net).replace("torch", "") == repr(
        cr.nn.Sequential(cr.nn.Linear(5, 8), cr.nn.ReLU(), cr.nn.Linear(8, 1))
    )


def test_top_level_softmax_matches_torch():
    torch = pytest.importorskip("torch")
    x = np.array([[1.0, 2.0, 3.0], [0.0, 0.0, 1.0]])
    for name in ("softmax", "log_softmax"):
        ours = getattr(cr, name)(cr.tensor(x), dim=1).numpy()
        theirs = getattr(torch, name)(torch.tensor(x), dim=1).numpy()
        np.testing.assert_allclose(ours, theirs, rtol=1e-12)
