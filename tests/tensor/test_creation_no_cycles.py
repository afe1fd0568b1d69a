"""Creating tensors leaves no reference cycles behind: everything made is freed by reference
counting alone, so the cyclic garbage collector finds nothing (no torch needed)."""

import gc

import numpy as np
import pytest

import chainrule as cr

CALLS = {
    "nested list": lambda: cr.tensor([[1, 2], [3, 4]]),
    "list of floats": lambda: cr.tensor([1.5, 2.5, 3.5]),
    "number": lambda: cr.tensor(3.0),
    "numpy scalar": lambda: cr.tensor(np.float32(2.0)),
    "tensors in a list": lambda: cr.tensor([cr.tensor(1.0), np.float32(2.0)]),
    "empty lists": lambda: cr.tensor([[], []]),
    "ragged list refused": lambda: _refused(lambda: cr.tensor([[1, 2], [3]])),
    "overflow refused": lambda: _refused(lambda: cr.tensor([300], dtype=cr.uint8)),
    "int16": lambda: cr.tensor([1, 2], dtype=cr.int16),
    "new_tensor": lambda: cr.zeros(2).new_tensor([[1.0], [2.0]]),
    "arange": lambda: cr.arange(0, 5, 1.5, dtype=cr.int64),
    "zeros": lambda: cr.zeros(2, 3),
    "full": lambda: cr.full((2,), 3),
    "linspace": lambda: cr.linspace(0, 1, 5),
    "rand": lambda: cr.rand(2),
    "randint": lambda: cr.randint(0, 5, (3,)),
}


def _refused(fn):
    try:
        fn()
    except (RuntimeError, ValueError):
        return
    raise AssertionError("expected an error")


def _garbage_after(fn, repeat: int = 20) -> int:
    """How many objects the cyclic collector frees after ``repeat`` calls of ``fn``."""
    fn()  # first-call caches (imports, lazily built tables) are not garbage
    gc.collect()
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        gc.collect()
        for _ in range(repeat):
            fn()
        return gc.collect()
    finally:
        if was_enabled:
            gc.enable()


@pytest.mark.parametrize("call", list(CALLS), ids=list(CALLS))
def test_creation_leaves_no_reference_cycles(call):
    assert _garbage_after(CALLS[call]) == 0
