"""Writes of a whole tensor (x[...] = v, fill_, zero_, copy_) and max/min(dim) of a 0-d
tensor, pinned against PyTorch: their grad_fn names, what their nodes save (a second
backward), and the gradient of a fill_ value that requires grad."""

from __future__ import annotations

import pytest

import chainrule as cr

torch = pytest.importorskip("torch")


def outcome(lib, program):
    try:
        r = program(lib)
    except Exception as e:  # noqa: BLE001 - the error is the outcome compared
        return type(e).__name__, str(e)[:60]
    return [x.tolist() if hasattr(x, "tolist") else x for x in r]


def twice(z):
    """Backward twice without retain_graph: refused where a node saved something."""
    z.sum().backward()
    z.sum().backward()


PROGRAMS = {
    "0-d z[...] = x.sum()": lambda L: (
        lambda x, z: (z.__setitem__(Ellipsis, x.sum()), type(z.grad_fn).__name__, twice(z), x.grad)
    )(L.ones(3, requires_grad=True), L.zeros(())),
    "z[...] = x (1-d)": lambda L: (
        lambda x, z: (z.__setitem__(Ellipsis, x), type(z.grad_fn).__name__, twice(z), x.grad)
    )(L.ones(3, requires_grad=True), L.zeros(3)),
    "z[...] = x[None, None]": lambda L: (
        lambda x, z: (z.__setitem__(Ellipsis, x[None, None]), z, type(z.grad_fn).__name__)
    )(L.ones(3, requires_grad=True), L.zeros(3)),
    "0-d z[()] = x": lambda L: (
        lambda x, z: (z.__setitem__((), x), type(z.grad_fn).__name__, twice(z), x.grad)
    )(L.ones((), requires_grad=True), L.zeros(())),
    "z[...] = 5 (non-leaf)": lambda L: (
        lambda x: (lambda z: (z.__setitem__(Ellipsis, 5.0), type(z.grad_fn).__name__, z))(x * 2)
    )(L.ones(3, requires_grad=True)),
    "fill_(v) with v requiring grad": lambda L: (
        lambda x, v: (lambda z: (z.fill_(v), type(z.grad_fn).__name__, z.sum().backward(), v.grad))(
            x * 2
        )
    )(L.ones(3, requires_grad=True), L.tensor(2.0, requires_grad=True)),
    "fill_(number)": lambda L: (lambda z: (z.fill_(2.0), type(z.grad_fn).__name__))(
        L.ones(3, requires_grad=True) * 2
    ),
    "zero_()": lambda L: (lambda z: (z.zero_(), type(z.grad_fn).__name__))(
        L.ones(3, requires_grad=True) * 2
    ),
    "copy_": lambda L: (lambda z: (z.copy_(L.ones(3)), type(z.grad_fn).__name__))(
        L.ones(3, requires_grad=True) * 2
    ),
}


@pytest.mark.parametrize("program", PROGRAMS.values(), ids=PROGRAMS.keys())
def test_whole_writes_as_pytorch(program):
    assert outcome(cr, program) == outcome(torch, program)


@pytest.mark.parametrize("fn", ["max", "min"])
def test_max_min_with_dim_of_a_0d_tensor_save_only_the_index(fn):
    def program(L):
        x = L.tensor(2.0, requires_grad=True)
        r = getattr(x, fn)(dim=0)
        r.values[()].pow_(2)  # PyTorch saves neither x nor the values: no version error
        r.values.backward(retain_graph=True)
        out = [type(r.values.grad_fn).__name__, r.indices, x.grad]
        r.values.backward()
        try:
            r.values.backward()
        except RuntimeError as e:
            out.append(str(e)[:40])
        return out

    assert outcome(cr, program) == outcome(torch, program)


def test_max_dim_of_a_0d_tensor_is_not_refused_after_its_input_changes():
    def program(L):
        v0 = L.ones(1, 4, requires_grad=True)
        v1 = (v0 * v0).sum()
        v2 = L.min(v1, dim=0)
        v1 += -1
        v2.values.backward()
        return [v0.grad]

    assert outcome(cr, program) == outcome(torch, program)


def test_add_and_sub_with_alpha_save_nothing():
    """PyTorch keeps alpha in AddBackward0/SubBackward0, so a second backward through
    them works (alpha * other is no saved product)."""

    def program(L):
        v0 = L.ones(3, requires_grad=True)
        v4 = L.sub(v0, v0, alpha=2)
        (v4 * 1).sum().backward()
        L.prod(v4).backward()
        return [v0.grad, type(v4.grad_fn).__name__]

    assert outcome(cr, program) == outcome(torch, program)


def test_a_no_grad_view_operand_saves_nothing_for_its_gradient():
    """A view taken in no_grad mode requires grad but its gradient goes nowhere: what only
    its gradient needs is not saved, so changing it in place later is no error."""

    def program(L):
        v0 = L.ones(3, 1, requires_grad=True)
        v4 = v0 * 2
        with L.no_grad():
            v7 = v0.narrow(-1, 0, 1)
        v8 = L.remainder(v4, v7)
        v4.add_(1)  # remainder's d/dy would read v4: it is not needed
        v8.sum().backward()
        return [v0.grad, v7.requires_grad]

    assert outcome(cr, program) == outcome(torch, program)


@pytest.mark.parametrize(
    "op",
    [
        lambda L, a, b: L.cat([a, b]),
        lambda L, a, b: L.cat([a, b, a]),
        lambda L, a, b: L.stack([a, b]),
        lambda L, a, b: a * b,
        lambda L, a, b: a.clamp(b, b + 1),
        lambda L, a, b: L.cat([a.unsqueeze(0)] * 3, dim=1).norm(p=3),
    ],
)
def test_ops_of_no_grad_views_backward_as_pytorch(op):
    def program(L):
        x = L.ones(3, requires_grad=True)
        with L.no_grad():
            a, b = x[0:2], x[1:3]
        y = op(L, a, b)
        y.sum().backward()
        return [y.requires_grad, x.grad]

    assert outcome(cr, program) == outcome(torch, program)
