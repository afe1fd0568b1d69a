"""Lazy modules on ``cuda``: moved before their first call (``.cuda()``, ``device=``),
they materialize there. Runs on real CuPy where a GPU is present, else on the stand-in in
``tests/_fakecupy.py``."""

from __future__ import annotations

import io

import _fakecupy
import numpy as np
import pytest

import chainrule as cr
from chainrule import backend, nn


@pytest.fixture
def cp(monkeypatch):
    real = backend.cupy_or_none()
    if real is not None and not getattr(real, "FAKE", False):
        return real
    return _fakecupy.install(monkeypatch, n_devices=2)


def lazy_net(**kwargs):
    return nn.Sequential(
        nn.LazyConv2d(4, 3, **kwargs), nn.LazyBatchNorm2d(**kwargs), nn.Flatten(),
        nn.LazyLinear(2, **kwargs),
    )  # fmt: skip


@pytest.mark.parametrize("how", ["cuda()", "device="])
def test_a_lazy_network_materializes_on_the_gpu_with_the_cpus_values(cp, how):
    x = np.random.default_rng(0).standard_normal((2, 3, 6, 6)).astype("float32")
    cr.manual_seed(0)
    cpu = lazy_net()
    y = cpu(cr.tensor(x))
    cr.manual_seed(0)
    gpu = lazy_net().cuda() if how == "cuda()" else lazy_net(device="cuda")
    w = gpu[0].weight
    assert repr(w) == "<UninitializedParameter>" and w.device.type == "cuda" and w.is_cuda
    assert gpu[1].running_mean.device.type == "cuda"
    assert gpu[1].num_batches_tracked.device.type == "cuda"
    opt = cr.optim.SGD(gpu.parameters(), lr=0.1)
    out = gpu(cr.tensor(x, device="cuda"))
    assert out.device.type == "cuda" and gpu[0].weight is w and w.device.type == "cuda"
    assert all(t.device.type == "cuda" for t in gpu.state_dict().values())
    np.testing.assert_allclose(out.detach().cpu().numpy(), y.detach().numpy(), rtol=1e-5, atol=1e-6)
    out.sum().backward()
    opt.step()
    assert w.device.type == "cuda"


def test_an_uninitialized_state_dict_saved_on_the_gpu_loads_there_or_where_mapped(cp):
    buf = io.BytesIO()
    cr.save(nn.LazyLinear(2).cuda().state_dict(), buf)
    back = cr.load(io.BytesIO(buf.getvalue()))
    assert repr(back["weight"]) == "<UninitializedParameter>"
    assert back["weight"].device.type == "cuda"
    back = cr.load(io.BytesIO(buf.getvalue()), map_location="cpu")
    assert back["weight"].device.type == "cpu"
    w = nn.UninitializedParameter(device="cuda")
    w.materialize((2, 3))
    assert type(w) is nn.Parameter and w.device.type == "cuda"
