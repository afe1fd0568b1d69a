"""``backward(inputs=[...])`` adds each input's gradient into its ``.grad`` once.

Found sweeping the engine for gradients that reach ``.grad`` wrong (issue 11, section 2): a
non-leaf given in ``inputs`` that also called ``retain_grad()`` got its gradient twice (the
retain_grad hook stored it, then backward added it again), and one named twice in
``inputs`` got it twice. Each case runs in both libraries.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import chainrule as cr

torch = pytest.importorskip("torch")


def _grads(m, case):
    x = m.ones(3, requires_grad=True)
    h = x * 2
    if case == "retain_grad":
        h.retain_grad()
        (h * 3).sum().backward(inputs=[h])
    elif case == "retain_grad, with the leaf":
        h.retain_grad()
        (h * 3).sum().backward(inputs=[h, x])
    elif case == "retain_grad, gradient given":
        h.retain_grad()
        h.backward(m.ones(3), inputs=[h])
    elif case == "retain_grad, twice":
        h.retain_grad()
        (h * 3).sum().backward(inputs=[h], retain_graph=True)
        (h * 3).sum().backward(inputs=[h])
    elif case == "retain_grad and a hook":
        h.retain_grad()
        h.register_hook(lambda g: g * 10)
        (h * 3).sum().backward(inputs=[h])
    elif case == "named twice":
        (h * 3).sum().backward(inputs=[h, h])
    elif case == "leaf named twice":
        (h * 3).sum().backward(inputs=[x, x])
    elif case == "plain, twice":
        (h * 3).sum().backward(inputs=[h], retain_graph=True)
        (h * 3).sum().backward(inputs=[h])
    grads = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # (reading a non-leaf's .grad that was not kept warns)
        for t in (h, x):
            g = t.grad
            grads.append(None if g is None else (str(g.dtype), tuple(g.shape), g.numpy().copy()))
    return grads


@pytest.mark.parametrize(
    "case",
    [
        "retain_grad",
        "retain_grad, with the leaf",
        "retain_grad, gradient given",
        "retain_grad, twice",
        "retain_grad and a hook",
        "named twice",
        "leaf named twice",
        "plain, twice",
    ],
)
def test_an_input_gets_its_gradient_once_as_in_torch(case):
    ours, theirs = _grads(cr, case), _grads(torch, case)
    for a, b in zip(ours, theirs, strict=True):
        assert (a is None) == (b is None)
        if a is not None:
            assert a[:2] == b[:2]
            np.testing.assert_array_equal(a[2], b[2])
