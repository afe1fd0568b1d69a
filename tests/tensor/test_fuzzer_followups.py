"""Single disagreements the long fuzzer run found, pinned against PyTorch: argmin/argmax
of an empty tensor raise IndexError; a stale multi-output view indexed by a mask raises
PyTorch's view error (not an IndexError); grad_fn names Log1PBackward0, RsubBackward1."""

from __future__ import annotations

import pytest

import chainrule as cr

torch = pytest.importorskip("torch")


def outcome(lib, program):
    try:
        r = program(lib)
    except Exception as e:  # noqa: BLE001 - the error is the outcome compared
        return type(e).__name__, str(e)
    return r


def _stale_piece_masked(L):
    v0 = L.ones(3, requires_grad=True)
    v1 = v0.chunk(3, 0)
    with L.no_grad():
        v1[2].sigmoid_()
    return v1[2][L.tensor([True])]


PROGRAMS = {
    "argmin of empty": lambda L: L.tensor([]).argmin(),
    "argmax of empty": lambda L: L.zeros(0, 2).argmax(),
    "max of empty": lambda L: L.tensor([]).max(),
    "stale piece masked": _stale_piece_masked,
    "log1p's node": lambda L: type(L.ones(2, requires_grad=True).log1p().grad_fn).__name__,
    "number - x's node": lambda L: type((2 - L.ones(2, requires_grad=True)).grad_fn).__name__,
    "x - number's node": lambda L: type((L.ones(2, requires_grad=True) - 2).grad_fn).__name__,
}


@pytest.mark.parametrize("program", PROGRAMS.values(), ids=PROGRAMS.keys())
def test_as_pytorch(program):
    assert outcome(cr, program) == outcome(torch, program)


def test_number_minus_x_gradient():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    (3.0 - x).pow(2).sum().backward()
    assert x.grad.tolist() == [-4.0, -2.0]
