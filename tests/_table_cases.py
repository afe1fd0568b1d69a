"""The derivative table's gradcheck cases (tests/ops/test_gradcheck_table.py), loaded once
by path for the suites that rerun them on another device (GPU, Dask)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path


def table_cases():
    """The module of tests/ops/test_gradcheck_table.py (not a package: loaded by path)."""
    path = Path(__file__).resolve().parent / "ops" / "test_gradcheck_table.py"
    name = "_gradcheck_table_for_devices"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, path)
        mod = importlib.util.module_from_spec(spec)
        sys.modules[name] = mod
        spec.loader.exec_module(mod)
    return sys.modules[name]
