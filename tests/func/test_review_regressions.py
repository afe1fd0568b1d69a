"""Regressions found in review: each test pins one bug that was fixed."""

from __future__ import annotations

import math

import numpy as np
import pytest

import chainrule as cr
import chainrule.autograd.forward_ad as fwAD
from chainrule.func import grad, hessian, jacfwd, jacobian, jvp
from chainrule.utils.checkpoint import checkpoint


def test_jacfwd_keeps_the_graph_to_closed_over_tensors():
    w = cr.tensor([1.0, 2.0, 3.0], dtype=cr.float64, requires_grad=True)
    x = cr.tensor([0.3, -1.2, 2.0], dtype=cr.float64)
    L = jacfwd(lambda v: (w * v).sin())(x).sum() + (w**2).sum()
    L.backward()
    # J = diag(w cos(w x)): d/dw_i [w_i cos(w_i x_i) + w_i^2]
    wn, xn = np.array([1.0, 2.0, 3.0]), np.array([0.3, -1.2, 2.0])
    expected = np.cos(wn * xn) - wn * xn * np.sin(wn * xn) + 2 * wn
    np.testing.assert_allclose(w.grad.numpy(), expected)


def test_hessian_keeps_the_graph_to_closed_over_tensors():
    w = cr.tensor(2.0, dtype=cr.float64, requires_grad=True)
    H = hessian(lambda v: (w * v).sin().sum())(cr.tensor([0.5], dtype=cr.float64))
    H.sum().backward()  # H = -w^2 sin(w x); dH/dw = -2w sin(wx) - w^2 x cos(wx)
    expected = -2 * 2.0 * math.sin(1.0) - 4.0 * 0.5 * math.cos(1.0)
    assert w.grad.item() == pytest.approx(expected)


def test_refused_nesting_leaves_no_state_behind():
    x = cr.tensor([1.0, 2.0])
    with pytest.raises(RuntimeError, match="one level of forward mode"):
        jvp(lambda v: jvp(cr.sin, (v,), (cr.ones(2),))[1], (x,), (cr.ones(2),))
    g = grad(lambda v: v.sin().sum())(x)
    assert g.grad_fn is None and not g.requires_grad


def test_gradient_of_a_constant_is_zero_even_at_inf():
    g = grad(lambda v: cr.tensor(2.0))(cr.tensor([math.inf, 1.0]))
    assert g.tolist() == [0.0, 0.0]


def test_tangents_do_not_outlive_their_level_or_transform():
    with fwAD.dual_level():
        d = fwAD.make_dual(cr.ones(2), cr.ones(2))
        e = d * 2
    assert d._fw is None and e._fw is None
    out, aux = jacfwd(lambda v: (v * 2, v * 3), has_aux=True)(cr.ones(3))
    assert getattr(aux, "_fw", None) is None


def test_checkpoint_passes_tangents():
    w = cr.tensor([1.0, 2.0])
    J = jacfwd(lambda x: checkpoint(lambda a: (a * w).sin(), x))(cr.tensor([1.0, 2.0]))
    np.testing.assert_allclose(np.diag(J.numpy()), np.cos([1.0, 4.0]) * [1.0, 2.0], rtol=1e-6)


class _NumpySin(cr.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return cr.tensor(np.sin(x.numpy()))

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * x.cos()


class _NumpySinJvp(_NumpySin):
    @staticmethod
    def jvp(ctx, t):
        (x,) = ctx.saved_tensors
        return t * x.cos()


def test_function_without_jvp_refuses_forward_mode():
    with pytest.raises(NotImplementedError, match="must implement the jvp function"):
        jvp(_NumpySin.apply, (cr.tensor([1.0]),), (cr.ones(1),))


def test_function_with_jvp_works_in_forward_mode():
    x = cr.tensor([1.0, 2.0])
    _, t = jvp(_NumpySinJvp.apply, (x,), (cr.ones(2),))
    np.testing.assert_allclose(t.numpy(), np.cos([1.0, 2.0]), rtol=1e-6)


def test_jacobian_explains_an_explicit_mode_with_the_output_size():
    _, why = jacobian(cr.sin, cr.ones(3), mode="forward", explain=True)
    assert why.output_numel == 3 and "outputs 3" in why.reason


def test_jacobian_of_a_dict_output_is_a_clear_type_error():
    with pytest.raises(TypeError, match="dict"):
        jacobian(lambda v: {"a": v}, cr.ones(2))


def test_viz_trace_shows_a_multi_output_function_s_gradients():
    class Split(cr.autograd.Function):
        @staticmethod
        def forward(ctx, t):
            return t * 2, t * 3

        @staticmethod
        def backward(ctx, ga, gb):
            return ga * 2 + gb * 3

    x = cr.tensor([1.0, 2.0], requires_grad=True)
    a, b = Split.apply(x)
    text = cr.viz.trace((a * b).sum(), show=False)
    assert "GradList" not in text
    assert "([3, 6]" in text and "[2, 4]" in text


def test_vjp_checks_the_cotangents_structure_and_float_outputs_as_torch():
    x = cr.ones(3)
    _, vjp_fn = cr.func.vjp(lambda a: a * 2, x)
    with pytest.raises(RuntimeError, match=r"cotangents: \(\*,\), primal output: \*"):
        vjp_fn((cr.ones(3),))
    with pytest.raises(RuntimeError, match="must be floating-point or complex Tensors"):
        cr.func.jacrev(lambda a: (a > 0).long())(x)
