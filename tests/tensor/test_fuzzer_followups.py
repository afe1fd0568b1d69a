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


def _int_written(dtype, how):
    def program(L):
        v0 = L.ones(2, requires_grad=True)
        x = L.zeros(3, dtype=getattr(L, dtype))
        if how == "x[:2] = v":
            x[:2] = v0.sum()
        elif how == "x[0] = v":
            x[0] = v0.sum()
        elif how == "x[mask] = v":
            x[L.tensor([True, False, True])] = v0.sum()
        elif how == "x.fill_(v)":
            x.fill_(v0.sum())
        out = [x.tolist(), x.requires_grad, x.is_leaf]
        for use in (lambda: x * 2, lambda: x[0], lambda: x.sum(), lambda: x == 1):
            try:
                r = use()
                out.append(r.requires_grad)
            except RuntimeError as e:
                out.append(str(e))
        f = x.float()
        out.append(f.requires_grad)
        return out

    return program


@pytest.mark.parametrize("how", ["x[:2] = v", "x[0] = v", "x[mask] = v", "x.fill_(v)"])
@pytest.mark.parametrize("dtype", ["int64", "bool"])
def test_an_integer_tensor_written_with_a_value_that_requires_grad(dtype, how):
    """PyTorch's fill_ (and masked_fill_) record such a write: the integer tensor then
    requires grad, and integer results of it are refused ('Autograd not support dtype');
    copy_ (x[0] = v on 1-d) does not record."""
    program = _int_written(dtype, how)
    assert outcome(cr, program) == outcome(torch, program)


def _int_views(L):
    v0 = L.tensor(1.0, requires_grad=True)
    v1 = L.tensor([[True, True]])
    v2 = v1[::2, None]
    v2[0:1] = v0  # written through a view: the base records it
    x = L.zeros(2, dtype=L.bool)
    e = x.expand(3, 2)  # a view taken before the write requires grad after it
    x[L.tensor([True, False])] = v0 * 2
    w = L.zeros(3, 4, dtype=L.bool)
    w[...] = v0  # a 0-d value fills
    return [v1.requires_grad, v2.requires_grad, e.requires_grad, w.requires_grad, w.tolist()]


def test_views_of_an_integer_tensor_written_with_a_value_that_requires_grad():
    assert outcome(cr, _int_views) == outcome(torch, _int_views)


@pytest.mark.parametrize("x", [-float("inf"), -0.0, 0.0, 4.0, -4.0, float("inf")])
def test_pow_one_half_is_sqrt_as_pytorch(x):
    """PyTorch's kernel takes sqrt for the exponent 0.5 (C's pow gives -inf ** 0.5 = inf)."""

    def program(L):
        return str((L.tensor(x) ** 0.5).item())

    assert outcome(cr, program) == outcome(torch, program)


@pytest.mark.parametrize("shape", [(1, 2), (0, 3), ()])
def test_cumprod_passes_the_gradient_on_where_pytorch_does(shape):
    """Over a dim of size 1, or an empty or 0-d tensor, PyTorch's cumprod backward is the
    incoming gradient itself: under create_graph it needs no grad when that does not."""

    def program(L):
        x = L.ones(shape, requires_grad=True) * 2
        y = x.cumprod(0) if shape else x.cumprod(0)
        (g,) = L.autograd.grad(y.sum(), [x], create_graph=True)
        return [g.tolist(), g.requires_grad]

    assert outcome(cr, program) == outcome(torch, program)


def test_copying_an_expanded_tensor_into_itself_as_pytorch():
    def program(L):
        x = L.ones(2, 3)
        e = x.expand(3, 2, 3)
        e.copy_(e)  # no overlap error: nothing is copied
        return [x.tolist(), x._version]

    assert outcome(cr, program) == outcome(torch, program)


def test_where_refuses_backward_after_its_condition_changed_in_place():
    def program(L):
        x = L.ones(2, requires_grad=True)
        c = L.tensor([True, False])
        y = L.where(c, x, x * 2)
        c.view(-1).copy_(L.tensor(True))
        y.sum().backward()
        return [x.grad]

    assert outcome(cr, program)[0] == outcome(torch, program)[0] == "RuntimeError"
    assert "is at version 1; expected version 0" in outcome(cr, program)[1]


@pytest.mark.parametrize("value", [1.0, 0.0, 2.5])
def test_prod_of_one_element_under_create_graph(value):
    def program(L):
        v1 = L.full((1,), value, requires_grad=True)[:, None]
        (g,) = L.autograd.grad(L.prod(v1), [v1], create_graph=True)
        return [g.tolist(), g.requires_grad]

    assert outcome(cr, program) == outcome(torch, program)
