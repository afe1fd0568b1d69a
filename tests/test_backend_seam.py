"""The backend seam (DESIGN.md principle 4): ops reach array functions only through the
namespace of their inputs, so that CuPy and Dask arrays can flow through the same code."""

import ast
import pathlib

import numpy as np

import chainrule as torch
from chainrule import backend

OPS = pathlib.Path(torch.__file__).parent / "ops"


def test_no_module_in_ops_imports_numpy():
    for path in OPS.glob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names = [node.module or ""]
            for n in names:
                assert n.split(".")[0] not in ("numpy", "cupy", "dask"), f"{path.name} imports {n}"


class _CountingNumpy:
    """A stand-in array module: numpy's functions, counting the calls made through it."""

    def __init__(self):
        self.calls = 0

    def __getattr__(self, name):
        f = getattr(np, name)
        if callable(f):

            def counted(*a, **k):
                self.calls += 1
                return f(*a, **k)

            return counted
        return f


class _Arr(np.ndarray):
    """An array type of its own, so that backend.namespace can route it to the stand-in."""


def test_ops_call_the_namespace_of_their_inputs():
    fake = _CountingNumpy()
    backend._NAMESPACES[_Arr] = fake
    try:
        x = torch.from_numpy(np.array([0.5, 1.0, 2.0]).view(_Arr))
        x.requires_grad_()
        before = fake.calls
        y = torch.exp(x).sum()
        assert fake.calls > before  # exp went through the input's namespace
        y.backward()
        np.testing.assert_allclose(x.grad.numpy(), np.exp([0.5, 1.0, 2.0]))
    finally:
        del backend._NAMESPACES[_Arr]


def test_missing_optional_backend_names_the_extra(monkeypatch):
    import pytest

    def unavailable(name):
        raise ImportError(f"No module named {name!r}")

    monkeypatch.setattr(backend.importlib, "import_module", unavailable)
    with pytest.raises(ImportError, match=r"pip install 'chainrule\[gpu\]'"):
        backend.load("cupy")
    with pytest.raises(ImportError, match=r"pip install 'chainrule\[dask\]'"):
        backend.load("dask")
