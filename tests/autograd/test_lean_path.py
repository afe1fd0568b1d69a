"""apply's fast path (one tensor, or two of one dtype or with a Python number: operands
that need no promotion) must record exactly what the general path (``_promote``) records:
the same node, the same saved values, the same fix-up flags, hence the same gradients.
Both end in the one recorder of their arity (``ops/apply.py``)."""

import numpy as np
import pytest

import chainrule as cr
from chainrule.ops import REGISTRY


def _rand(*shape, dtype=cr.float64, rg=True, seed=0):
    rng = np.random.default_rng(seed + len(shape))
    return cr.tensor(rng.uniform(0.5, 2.0, shape), dtype=dtype, requires_grad=rg)


CASES = {
    "add, broadcast bias": lambda a, b, c: a + c,
    "sub": lambda a, b, c: a - b,
    "mul": lambda a, b, c: a * b,
    "div, broadcast": lambda a, b, c: b / c,
    "matmul": lambda a, b, c: a @ b.T,
    "relu, exp, tanh": lambda a, b, c: cr.relu(a - 1).exp().tanh(),
    "logsumexp": lambda a, b, c: cr.logsumexp(a, dim=1, keepdim=True),
    "mean": lambda a, b, c: (a * b).mean(),
    "maximum, tie": lambda a, b, c: cr.maximum(a, a.detach()),
    "int operand (general path)": lambda a, b, c: a * cr.arange(3),
    "float32 with float64 (general path)": lambda a, b, c: a.float() * b,
    "view operand (general path)": lambda a, b, c: a[:, 1:] * b[:, :2],
    "scalar operand (general path)": lambda a, b, c: 2.0 * a - 1,
}


def _record(f):
    a, b, c = _rand(4, 3), _rand(4, 3, seed=1), _rand(3, seed=2)
    y = f(a, b, c)
    node = y.grad_fn
    saved = {
        k: (np.asarray(v).copy() if hasattr(v, "shape") else v)
        for k, v in node.saved.items()
        if k != "~fw"
    }
    meta = (
        node.name(),
        [type(n).__name__ if n is not None else None for n in node.next],
        node.shapes,
        getattr(node, "fits", None) if node.shapes is not None else None,
    )
    y.sum().backward()
    return (
        y.detach().numpy(),
        meta,
        saved,
        [t.grad.numpy() for t in (a, b, c) if t.grad is not None],
    )


@pytest.mark.parametrize("name", list(CASES))
def test_lean_path_records_what_the_general_path_records(name, monkeypatch):
    lean = _record(CASES[name])
    for prim in REGISTRY.values():
        monkeypatch.setattr(prim.plan, "fast", False)
    general = _record(CASES[name])
    np.testing.assert_array_equal(lean[0], general[0])
    assert lean[1] == general[1]
    assert lean[2].keys() == general[2].keys()
    for k in lean[2]:
        np.testing.assert_array_equal(lean[2][k], general[2][k])
    assert len(lean[3]) == len(general[3])
    for g1, g2 in zip(lean[3], general[3], strict=True):
        np.testing.assert_array_equal(g1, g2)


def test_lean_path_keeps_version_checks():
    # the saved output of exp is checked against in-place changes, as on the general path
    x = _rand(3)
    y = x.exp()
    y.add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


def test_lean_path_remakes_a_stale_view_s_history_as_the_general_path_does():
    # a view's base changed history after the view was taken: the view's history is made
    # again from the base's (as in PyTorch), on either path
    w = _rand(3)
    for fast in (True, False):
        base = cr.zeros(2, 3, dtype=cr.float64)
        v = base[0]
        base[1] = w
        with pytest.MonkeyPatch.context() as m:
            if not fast:
                m.setattr(REGISTRY["mul"].plan, "fast", False)
            y = v * w
        assert y.grad_fn.name() == "MulBackward0"
        assert y.grad_fn.next_functions[0][0].name() == "SelectBackward0"
        y.sum().backward()
        np.testing.assert_array_equal(w.grad.numpy(), np.zeros(3))  # v is base's row 0
        w.grad = None


def test_lean_path_is_off_under_no_grad_and_forward_mode():
    x = _rand(3)
    with cr.no_grad():
        assert (x * x).grad_fn is None
    with cr.autograd.forward_ad.dual_level():
        d = cr.autograd.forward_ad.make_dual(x.detach(), cr.ones(3, dtype=cr.float64))
        t = cr.autograd.forward_ad.unpack_dual(d * d).tangent
    np.testing.assert_allclose(t.numpy(), 2 * x.detach().numpy())
