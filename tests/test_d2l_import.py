"""d2l's helper package on chainrule: ``from d2l import torch as d2l`` with ``torch``
aliased to chainrule (``chainrule.as_torch()``), and its device helpers.

Each case runs in a fresh interpreter: the alias replaces ``torch`` in ``sys.modules``,
which the other tests (PyTorch as the oracle) must keep. d2l imports torchvision for its
image chapters; chainrule has no vision package yet, so these runs put a bare stand-in
module under that name (d2l touches nothing in it at import time).
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
D2L_DEPS = ("d2l", "pandas", "matplotlib", "matplotlib_inline", "IPython", "scipy", "PIL")
needs_d2l = pytest.mark.skipif(
    any(importlib.util.find_spec(m) is None for m in D2L_DEPS),
    reason="d2l or one of its dependencies is not installed (.ci/run installs them)",
)

PRELUDE = """
import sys, types
sys.path.insert(0, {tests!r})
import chainrule
chainrule.as_torch()
tv = types.ModuleType("torchvision")
tv.transforms = types.ModuleType("torchvision.transforms")
sys.modules["torchvision"], sys.modules["torchvision.transforms"] = tv, tv.transforms
"""


def _run(body: str) -> str:
    code = PRELUDE.format(tests=str(TESTS)) + textwrap.dedent(body)
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-3000:]
    return r.stdout.strip()


def test_as_torch_makes_import_torch_give_chainrule():
    out = _run(
        """
        import torch
        from torch import nn
        from torch.nn import functional as F
        from torch.utils import data
        import torch.optim
        assert torch is chainrule and nn is chainrule.nn and F is chainrule.nn.functional
        assert data is chainrule.utils.data and torch.optim is chainrule.optim
        device = "cuda" if torch.cuda.is_available() else "cpu"
        print(torch.ones(2, device=device).sum().item())
        """
    )
    assert out == "2.0"


def test_as_torch_refuses_when_pytorch_is_already_imported():
    pytest.importorskip("torch")
    code = (
        "import torch, chainrule\n"
        "try:\n    chainrule.as_torch()\nexcept RuntimeError as e:\n    print(e)"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert "PyTorch is already imported" in r.stdout


@needs_d2l
def test_d2l_imports_and_picks_the_cpu_without_a_gpu():
    out = _run(
        """
        from d2l import torch as d2l
        print(d2l.try_gpu(), d2l.try_all_gpus(), d2l.num_gpus(), d2l.cpu())
        X = d2l.tensor([[1.0, 2.0]], device=d2l.try_gpu())
        net = d2l.nn.Sequential(d2l.nn.Linear(2, 1)).to(d2l.try_gpu())
        print(net(X).shape, d2l.numpy(d2l.reduce_sum(X)))
        """
    )
    assert out.splitlines() == ["cpu [] 0 cpu", "torch.Size([1, 1]) 3.0"]


@needs_d2l
def test_d2l_finds_the_gpus_where_there_are_some():
    # the CuPy stand-in of tests/_fakecupy.py, with two GPUs
    out = _run(
        """
        import _fakecupy
        class MP:
            def setitem(self, d, k, v): d[k] = v
        _fakecupy.install(MP(), n_devices=2)
        from d2l import torch as d2l
        print(d2l.try_gpu(), d2l.try_gpu(1), d2l.try_gpu(5), d2l.num_gpus())
        print(d2l.try_all_gpus())
        X = d2l.ones((2, 3), device=d2l.try_gpu())
        net = d2l.nn.Linear(3, 1).to(d2l.try_gpu())
        print(net(X).device)
        """
    )
    assert out.splitlines() == [
        "cuda:0 cuda:1 cpu 2",
        "[device(type='cuda', index=0), device(type='cuda', index=1)]",
        "cuda:0",
    ]
