"""What a gradient hook returns is checked as PyTorch checks it (issue 11, section 2).

A hook registered with ``register_hook`` (on a leaf or on a non-leaf) may replace the
gradient, but only with a tensor of the same dtype and shape: anything else used to flow on
into ``.grad`` (``h.register_hook(lambda g: g.sum().reshape(1))`` left a (1,) gradient that
``SGD.step()`` then broadcast over the weights). PyTorch raises, in this order:
``TypeError: expected Variable, but hook returned 'float'`` for a non-tensor,
``hook '<name>' has changed the type of value (was torch.FloatTensor got ...)`` for a dtype,
``hook '<name>' has changed the size of value`` for a shape; ``<name>`` is the hook's
``__name__``, or ``<unknown>``. And a gradient a hook saw (or returned) may be kept by the
user: a later backward must not add into it in place. Each case runs in both libraries.
"""

from __future__ import annotations

import functools

import numpy as np
import pytest

import chainrule as cr

torch = pytest.importorskip("torch")


def _outcome(fn):
    """(exception type name, message) or ("ok", None)."""
    try:
        fn()
    except Exception as e:  # noqa: BLE001 - compared with PyTorch's, whatever it is
        return type(e).__name__, str(e)
    return "ok", None


def _named_hook(g):
    return g[:1]


class _CallableHook:
    def __call__(self, g):
        return g[:1]


class _NamedCallable:
    __name__ = "custom"

    def __call__(self, g):
        return g[:1]


# hook factories: m is the library module (chainrule or torch)
HOOKS = {
    "sum-reshape": lambda m: lambda g: g.sum().reshape(1),
    "slice": lambda m: lambda g: g[:2],
    "reshape 1x3": lambda m: lambda g: g.reshape(1, 3),
    "double": lambda m: lambda g: g.double(),
    "half": lambda m: lambda g: g.half(),
    "long": lambda m: lambda g: g.long(),
    "double and smaller": lambda m: lambda g: g[:1].double(),
    "float number": lambda m: lambda g: 3.0,
    "numpy array": lambda m: lambda g: np.ones(3, dtype=np.float32),
    "tuple": lambda m: lambda g: (g,),
    "named function": lambda m: _named_hook,
    "callable object": lambda m: _CallableHook(),
    "callable with __name__": lambda m: _NamedCallable(),
    "partial": lambda m: functools.partial(lambda g, k: g[:k], k=1),
}


def _leaf_case(m, make_hook):
    w = m.ones(3, requires_grad=True)
    w.register_hook(make_hook(m))
    outcome = _outcome(lambda: (w * 2).sum().backward())
    return outcome, w.grad


def _nonleaf_case(m, make_hook):
    x = m.ones(3, requires_grad=True)
    h = x * 2
    h.register_hook(make_hook(m))
    outcome = _outcome(lambda: (h * 3).sum().backward())
    return outcome, x.grad


def _grad_case(m, make_hook, create_graph):
    x = m.ones(3, requires_grad=True)
    h = x * 2
    h.register_hook(make_hook(m))
    return _outcome(lambda: m.autograd.grad((h * 3).sum(), x, create_graph=create_graph)), None


@pytest.mark.parametrize("hook", list(HOOKS))
@pytest.mark.parametrize("where", ["leaf", "non-leaf", "grad", "grad create_graph"])
def test_a_hook_returning_a_wrong_value_raises_as_in_torch(hook, where):
    def run(m):
        if where == "leaf":
            return _leaf_case(m, HOOKS[hook])
        if where == "non-leaf":
            return _nonleaf_case(m, HOOKS[hook])
        return _grad_case(m, HOOKS[hook], create_graph=where == "grad create_graph")

    (kind, msg), grad = run(cr)
    (t_kind, t_msg), t_grad = run(torch)
    assert t_kind != "ok"  # (every hook here is refused by PyTorch)
    assert (kind, msg) == (t_kind, t_msg)
    assert grad is None and t_grad is None  # nothing landed in .grad


@pytest.mark.parametrize("dtype", ["float64", "float16"])
def test_dtype_message_names_the_leaf_dtype_as_torch(dtype):
    def run(m):
        w = m.ones(3, dtype=getattr(m, dtype), requires_grad=True)
        w.register_hook(lambda g: g.float())
        return _outcome(lambda: (w * 2).sum().backward())

    assert run(cr) == run(torch)


def test_a_zero_d_leaf_hook_that_adds_an_axis_raises_as_in_torch():
    def run(m):
        w = m.tensor(1.0, requires_grad=True)
        w.register_hook(lambda g: g.reshape(1))
        return _outcome(lambda: (w * 2).backward())

    assert run(cr) == run(torch)


def test_the_issue_example_no_longer_broadcasts_through_sgd():
    def run(m):
        lin = m.nn.Linear(3, 1)
        with m.no_grad():
            lin.weight.copy_(m.tensor([[1.0, 2.0, 3.0]]))
            lin.bias.zero_()
        opt = m.optim.SGD(lin.parameters(), lr=0.1)
        h = lin(m.ones(2, 3))
        h.register_hook(lambda g: g.sum().reshape(1))
        out = _outcome(lambda: h.sum().backward())
        if out[0] == "ok":
            opt.step()
        return out, lin.weight.detach().numpy().copy()

    (kind, msg), w = run(cr)
    expected = ("RuntimeError", "hook '<lambda>' has changed the size of value")
    assert (kind, msg) == run(torch)[0] == expected
    np.testing.assert_array_equal(w, [[1.0, 2.0, 3.0]])


@pytest.mark.parametrize(
    "hook",
    [
        lambda m: lambda g: g * 2,
        lambda m: lambda g: m.ones(1).expand(3),  # a broadcast view of the right shape
        lambda m: lambda g: None,
        lambda m: lambda g: g.mul_(2),  # in place, returned
    ],
    ids=["scaled", "expanded view", "None", "in place"],
)
@pytest.mark.parametrize("where", ["leaf", "non-leaf"])
def test_hooks_of_the_right_shape_and_dtype_work_as_in_torch(hook, where):
    def run(m):
        (kind, msg), grad = (_leaf_case if where == "leaf" else _nonleaf_case)(m, hook)
        assert kind == "ok", msg
        return grad

    g, t_g = run(cr), run(torch)
    assert g.dtype == cr.float32 and t_g.dtype == torch.float32
    assert tuple(g.shape) == tuple(t_g.shape)
    np.testing.assert_array_equal(g.numpy(), t_g.numpy())


def test_a_hook_result_that_requires_grad_gives_a_plain_grad_as_in_torch():
    def run(m):
        x = m.ones(3, requires_grad=True)
        w = m.full((3,), 2.0, requires_grad=True)
        h = x * 2
        h.register_hook(lambda g: g * w)
        h.sum().backward()
        return x.grad

    g, t_g = run(cr), run(torch)
    assert g.requires_grad is t_g.requires_grad is False
    np.testing.assert_array_equal(g.numpy(), t_g.numpy())


def test_a_tensor_a_hook_returns_is_not_changed_by_later_accumulation():
    # PyTorch copies a gradient someone else holds before accumulating into it; chainrule
    # stored the hook's tensor as .grad and the next backward added into it in place
    def run(m):
        c = m.ones(3)
        w = m.ones(3, requires_grad=True)
        w.register_hook(lambda g: c)
        (w * 2).sum().backward()
        (w * 2).sum().backward()
        return c.numpy().copy(), w.grad.numpy().copy(), w.grad is c

    c, g, same = run(cr)
    t_c, t_g, t_same = run(torch)
    np.testing.assert_array_equal(c, t_c)
    np.testing.assert_array_equal(g, t_g)
    assert same is t_same is False


@pytest.mark.parametrize("where", ["leaf", "non-leaf"])
def test_a_gradient_a_hook_kept_is_not_changed_by_later_accumulation(where):
    def run(m):
        kept = []
        x = m.ones(3, requires_grad=True)
        h = x if where == "leaf" else x + 0
        h.register_hook(lambda g: kept.append(g))
        (h * 2).sum().backward()
        (x * 2).sum().backward()
        return [k.numpy().copy() for k in kept], x.grad.numpy().copy()

    kept, g = run(cr)
    t_kept, t_g = run(torch)
    assert len(kept) == len(t_kept)
    for a, b in zip(kept, t_kept, strict=True):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(g, t_g)
