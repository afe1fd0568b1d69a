"""Convolution and pooling on ``cuda``: the same values and gradients as on the CPU. Runs
on real CuPy where a GPU is present, else on the stand-in in ``tests/_fakecupy.py`` (which
refuses NumPy functions on its arrays, as CuPy does), so the kernels' device paths are
tested without a GPU."""

from __future__ import annotations

import _fakecupy
import numpy as np
import pytest

import chainrule as cr
import chainrule.nn.functional as F
from chainrule import backend, nn


@pytest.fixture
def cp(monkeypatch):
    real = backend.cupy_or_none()
    if real is not None and not getattr(real, "FAKE", False):
        return real
    return _fakecupy.install(monkeypatch, n_devices=2)


CASES = [
    ("conv2d", lambda x, w, b: F.conv2d(x, w, b, stride=2, padding=1, groups=1)),
    ("conv2d same", lambda x, w, b: F.conv2d(x, w, b, padding="same")),
    ("conv_transpose2d", lambda x, w, b: F.conv_transpose2d(x, w, b[:3], 2)),
    ("conv1d", lambda x, w, b: F.conv1d(x[:, :, 0], w[:, :, 0], b, padding=1)),
    ("max_pool2d", lambda x, w, b: F.max_pool2d(x, 3, 2, 1, ceil_mode=True)),
    ("avg_pool2d", lambda x, w, b: F.avg_pool2d(x, 3, 2, 1, count_include_pad=False)),
    ("adaptive pools", lambda x, w, b: F.adaptive_avg_pool2d(x, 3) + F.adaptive_max_pool2d(x, 3)),
    ("unfold/fold", lambda x, w, b: F.fold(F.unfold(x, 2, padding=1), (6, 7), 2, padding=1)),
    ("pad", lambda x, w, b: F.pad(x, (1, 2, 2, 1), mode="reflect") + 0),
]


@pytest.mark.parametrize("name,f", CASES, ids=[c[0] for c in CASES])
def test_same_values_and_gradients_on_cuda(cp, name, f):
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal(s) for s in ((2, 3, 6, 7), (4, 3, 3, 3), (4,))]
    if name == "conv_transpose2d":
        arrays[0] = rng.standard_normal((2, 4, 6, 7))
    results = []
    for device in ("cpu", "cuda"):
        ts = [cr.tensor(a, device=device, requires_grad=True) for a in arrays]
        out = f(*ts)
        assert out.device.type == device
        (out * out).sum().backward()
        grads = [t.grad.cpu().numpy() if t.grad is not None else None for t in ts]
        results.append((out.detach().cpu().numpy(), grads))
    (o1, g1), (o2, g2) = results
    np.testing.assert_allclose(o2, o1, rtol=1e-10, atol=1e-12)
    for a, b in zip(g1, g2, strict=True):
        assert (a is None) == (b is None)
        if a is not None:
            np.testing.assert_allclose(b, a, rtol=1e-10, atol=1e-12)


def test_lenet_layers_on_cuda(cp):
    net = nn.Sequential(
        nn.LazyConv2d(6, kernel_size=5, padding=2), nn.Sigmoid(), nn.MaxPool2d(2),
        nn.Conv2d(6, 4, 3), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
    )  # fmt: skip
    net(cr.zeros(1, 1, 12, 12))  # materialize the lazy layer on the CPU
    net.to("cuda")
    out = net(cr.ones(2, 1, 12, 12, device="cuda"))
    assert out.shape == (2, 4) and out.device.type == "cuda"
    out.sum().backward()
    assert net[0].weight.grad.device.type == "cuda"
