"""``jacobian``'s accumulation modes: forward and reverse agree on randomly composed
functions, ``mode="auto"`` picks forward mode exactly when the inputs have fewer elements
than the outputs, ``explain=True`` reports the choice, and bad options are refused."""

from __future__ import annotations

import numpy as np
import pytest
from func_helpers import fd_jacobian, np_of, t64
from hypothesis import given, settings
from hypothesis import strategies as st

import chainrule as cr
import chainrule.autograd.forward_ad as fwAD
from chainrule.func import JacobianChoice, jacobian

LAYOUTS = ("torch", "numerator", "denominator")

# Steps of a random function on a 2-D tensor: each takes (x, rng) and returns a 2-D tensor.
UNARY = {
    "tanh": lambda x, r: x.tanh(),
    "sin": lambda x, r: x.sin(),
    "cos": lambda x, r: cr.cos(x),
    "sigmoid": lambda x, r: x.sigmoid(),
    "exp": lambda x, r: (0.3 * x).exp(),
    "square": lambda x, r: x * x,
    "rational": lambda x, r: x / (1 + x * x),
    "log1p": lambda x, r: (x * x).log1p(),
    "sqrt": lambda x, r: (1 + x * x).sqrt(),
    "pow": lambda x, r: (x * x + 0.5) ** 1.5,
}
SHAPE = {
    "T": lambda x, r: x.T,
    "flip": lambda x, r: x.flip(0),
    "reshape": lambda x, r: x.reshape(x.shape[1], x.shape[0]),
    "cumsum": lambda x, r: x.cumsum(dim=1),
    "sum0": lambda x, r: x.sum(dim=0, keepdim=True),
    "lse1": lambda x, r: x.logsumexp(dim=1, keepdim=True),
    "mean_bcast": lambda x, r: x * x.mean(dim=0, keepdim=True),
    "matmul": lambda x, r: x @ t64(r.normal(size=(x.shape[1], 3))),
    "rows": lambda x, r: x[::2],
    "cols": lambda x, r: x[:, 1:] if x.shape[1] > 1 else x,
    "stack": lambda x, r: cr.stack([x, x.sin()], dim=0).sum(dim=0),
    "cat": lambda x, r: cr.cat([x, 2 * x], dim=1),
}
STEPS = sorted(UNARY) + sorted(SHAPE)


@st.composite
def random_functions(draw):
    """(f, x, y): f(x, y) = a random chain of steps applied to x + sin(y)."""
    r, c = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    names = draw(st.lists(st.sampled_from(STEPS), min_size=1, max_size=5))
    seed = draw(st.integers(0, 2**16))
    gen = np.random.default_rng(seed)
    x = t64(gen.uniform(-1.5, 1.5, size=(r, c)))
    y = t64(gen.uniform(-1.5, 1.5, size=(c,)))

    def f(x, y):
        h = x + y.sin()
        step_rng = np.random.default_rng(seed)  # the same matrices on every call
        for n in names:
            h = {**UNARY, **SHAPE}[n](h, step_rng)
        return h

    return f, x, y, names


@settings(max_examples=25)
@given(random_functions())
def test_forward_and_reverse_agree_on_random_functions(case):
    f, x, y, _ = case
    fd = fd_jacobian(f, x, y)
    for layout in LAYOUTS:
        fw = jacobian(f, x, y, layout=layout, mode="forward")
        rv = jacobian(f, x, y, layout=layout, mode="reverse")
        assert isinstance(fw, tuple) and isinstance(rv, tuple) and len(fw) == len(rv) == 2
        for a, b in zip(fw, rv, strict=True):
            assert tuple(a.shape) == tuple(b.shape)
            np.testing.assert_allclose(np_of(a), np_of(b), rtol=1e-10, atol=1e-12)
        if layout == "torch":
            for a, ref in zip(fw, fd, strict=True):
                np.testing.assert_allclose(np_of(a), ref, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("name", STEPS)
def test_forward_and_reverse_agree_on_each_step(name):
    """Every step at least once (hypothesis may not draw them all)."""
    gen = np.random.default_rng(7)
    x, y = t64(gen.uniform(-1, 1, size=(3, 4))), t64(gen.uniform(-1, 1, size=(4,)))
    step = {**UNARY, **SHAPE}[name]

    def f(x, y):
        return step(x * y.cos(), np.random.default_rng(0)).tanh()

    fw = jacobian(f, x, y, mode="forward")
    rv = jacobian(f, x, y, mode="reverse")
    for a, b, ref in zip(fw, rv, fd_jacobian(f, x, y), strict=True):
        np.testing.assert_allclose(np_of(a), ref, rtol=1e-5, atol=1e-7)
        np.testing.assert_allclose(np_of(b), ref, rtol=1e-5, atol=1e-7)


def _recording(g):
    """g, recording on each call whether its input arrived as a dual tensor (forward
    mode) or as a plain tensor (reverse mode)."""
    seen = []

    def f(*xs):
        seen.append(fwAD.unpack_dual(xs[0]).tangent is not None)
        return g(*xs)

    return f, seen


@pytest.mark.parametrize(
    "n_in,n_out,want",
    [
        (2, 5, "forward"),
        (5, 2, "reverse"),
        (4, 4, "reverse"),
        (1, 2, "forward"),
        (3, 1, "reverse"),
    ],
)
def test_auto_picks_forward_when_inputs_are_fewer(n_in, n_out, want):
    W = t64(np.random.default_rng(n_in * 10 + n_out).normal(size=(n_out, n_in)))
    f, seen = _recording(lambda x: (W @ x).tanh())
    x = t64(np.linspace(-1, 1, n_in))
    J, choice = jacobian(f, x, explain=True)
    assert isinstance(choice, JacobianChoice)
    assert choice.mode == want
    assert seen[-1] == (want == "forward"), "the mode reported is not the one that ran"
    assert (choice.input_numel, choice.output_numel) == (n_in, n_out)
    assert choice.layout == "torch"
    assert isinstance(choice.reason, str)
    assert str(n_in) in choice.reason and str(n_out) in choice.reason
    assert str(choice).startswith(want)
    np.testing.assert_allclose(np_of(J), np_of(jacobian(f, x)), rtol=1e-15)
    (ref,) = fd_jacobian(lambda x: (W @ x).tanh(), x)
    np.testing.assert_allclose(np_of(J), ref, rtol=1e-6, atol=1e-9)


def test_auto_counts_every_input_and_output():
    x, y = t64([0.1, 0.2]), t64([0.3, -0.4])  # 4 input elements

    def three(x, y):
        return (x * y).sum().reshape(1), x + y  # 1 + 2 = 3 output elements

    def five(x, y):
        return x * y, cr.cat([x, y, x[:1]])  # 2 + 5 = 7 output elements

    _, c3 = jacobian(three, x, y, explain=True)
    _, c7 = jacobian(five, x, y, explain=True)
    assert (c3.mode, c3.input_numel, c3.output_numel) == ("reverse", 4, 3)
    assert (c7.mode, c7.input_numel, c7.output_numel) == ("forward", 4, 7)


@pytest.mark.parametrize("mode", ("forward", "reverse"))
def test_explain_with_an_explicit_mode(mode):
    f, seen = _recording(lambda x: x.sin() * 2)
    x = t64([0.5, 1.0, 1.5])
    J, choice = jacobian(f, x, mode=mode, layout="numerator", explain=True)
    assert choice.mode == mode and choice.layout == "numerator"
    assert seen[-1] == (mode == "forward")
    assert choice.input_numel == 3
    np.testing.assert_allclose(np_of(J), np.diag(2 * np.cos([0.5, 1.0, 1.5])), rtol=1e-12)
    assert isinstance(jacobian(f, x, mode=mode), cr.Tensor)  # no explain: the tensor alone


def test_bad_layout_and_mode_name_the_options():
    x = t64([1.0, 2.0])
    with pytest.raises(ValueError, match="layout") as e:
        jacobian(cr.sin, x, layout="row")
    for name in LAYOUTS:
        assert repr(name) in str(e.value) or name in str(e.value)
    assert "row" in str(e.value)
    with pytest.raises(ValueError, match="mode") as e:
        jacobian(cr.sin, x, mode="backward")
    for name in ("auto", "forward", "reverse"):
        assert name in str(e.value)
    assert "backward" in str(e.value)
