"""Every docstring example in the package runs and prints what it says (the examples are
the first thing a reader tries: a stale one is a wrong answer)."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import chainrule

# modules that need an optional extra: their examples run where it is installed
EXTRAS = {"chainrule.backend_dask": "dask"}


def _modules() -> list[str]:
    names = ["chainrule"]
    for info in pkgutil.walk_packages(chainrule.__path__, "chainrule."):
        if info.name.rsplit(".", 1)[-1] != "__main__":
            names.append(info.name)
    return sorted(names)


@pytest.mark.parametrize("name", _modules())
def test_examples_in_docstrings_run(name):
    if name in EXTRAS:
        pytest.importorskip(EXTRAS[name])
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS, verbose=False, report=False)
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples failed in {name}"
