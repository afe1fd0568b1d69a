"""Transforms compose: grad of grad, hessian, jacfwd/jacrev nested both ways, vjp of jvp,
jvp of grad (forward over reverse), closures over tensors, and Python control flow."""

from __future__ import annotations

import numpy as np
import pytest
from func_helpers import fd_jacobian, np_of, t64
from hypothesis import given, settings
from hypothesis import strategies as st

import chainrule as cr
from chainrule.func import grad, hessian, jacfwd, jacrev, jvp, linearize, vjp

floats = st.floats(-3.0, 3.0, allow_nan=False)
rng = np.random.default_rng(99)


@given(floats)
def test_grad_grad_sin_is_minus_sin(v):
    x = t64(v)
    d2 = grad(grad(cr.sin))(x)
    assert d2.shape == () and d2.dtype == cr.float64
    np.testing.assert_allclose(d2.item(), -np.sin(v), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(grad(cr.sin)(x).item(), np.cos(v), rtol=1e-12, atol=1e-15)


@given(floats)
def test_third_derivatives(v):
    x = t64(v)
    np.testing.assert_allclose(grad(grad(grad(cr.sin)))(x).item(), -np.cos(v), atol=1e-12)
    np.testing.assert_allclose(grad(grad(grad(lambda x: x**5)))(x).item(), 60 * v**2, rtol=1e-12)
    np.testing.assert_allclose(
        grad(grad(grad(lambda x: (2 * x).exp())))(x).item(), 8 * np.exp(2 * v), rtol=1e-12
    )
    np.testing.assert_allclose(
        grad(grad(grad(lambda x: x.tanh() * x)))(x).item(),
        _third_of_x_tanh(v),
        rtol=1e-9,
        atol=1e-12,
    )


def _third_of_x_tanh(v):
    # d^3/dx^3 x tanh(x) = 3 t'' + x t''' with t = tanh
    t = np.tanh(v)
    s = 1 - t * t  # t'
    t2 = -2 * t * s  # t''
    t3 = -2 * s * s + 4 * t * t * s  # t'''
    return 3 * t2 + v * t3


@given(st.integers(1, 5), st.integers(0, 2**16))
def test_hessian_of_quadratic_form_is_A_plus_AT(n, seed):
    gen = np.random.default_rng(seed)
    A = gen.normal(size=(n, n))
    At = t64(A)
    x = t64(gen.normal(size=(n,)))
    H = hessian(lambda x: x @ At @ x)(x)
    assert tuple(H.shape) == (n, n)
    np.testing.assert_allclose(np_of(H), A + A.T, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(np_of(grad(lambda x: x @ At @ x)(x)), (A + A.T) @ np_of(x))


W34 = rng.normal(size=(3, 4))

# nonlinear f: R^4 -> R^m (vectors), written with the ops the lecture uses
NONLINEAR = {
    "tanh": lambda x: x.tanh(),
    "exp_product": lambda x: x.exp() * x.sin(),
    "matmul_tanh": lambda x: (t64(W34) @ x).tanh(),
    "outer_sum": lambda x: (x.reshape(4, 1) * x.reshape(1, 4)).tanh().sum(dim=0),
    "indexing": lambda x: x[1:] * x[:-1] + x[::2].sum() * x[0],
    "reshape": lambda x: (x.reshape(2, 2) @ x.reshape(2, 2).T).reshape(-1).sin(),
    "sum_norm": lambda x: (x * x).sum().sqrt() * x,
    "softmax": lambda x: x.exp() / x.exp().sum(),
}


@pytest.mark.parametrize("name", sorted(NONLINEAR))
def test_second_order_jacobians_agree_both_ways(name):
    f = NONLINEAR[name]
    x = t64(rng.uniform(-1, 1, size=(4,)))
    ff = jacfwd(jacrev(f))(x)
    rr = jacrev(jacrev(f))(x)
    rf = jacrev(jacfwd(f))(x)
    m = f(x).shape[0]
    for J in (ff, rr, rf):
        assert tuple(J.shape) == (m, 4, 4)
    (ref,) = fd_jacobian(jacrev(f), x)  # numerical derivative of the (checked) Jacobian
    np.testing.assert_allclose(np_of(jacrev(f)(x)), fd_jacobian(f, x)[0], rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(np_of(ff), ref, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(np_of(rr), np_of(ff), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(np_of(rf), np_of(ff), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name", sorted(NONLINEAR))
def test_hessian_equals_nested_jacobians(name):
    f = NONLINEAR[name]
    s = lambda x: f(x).sum() * f(x)[0]  # a scalar with mixed second derivatives
    x = t64(rng.uniform(-1, 1, size=(4,)))
    H = hessian(s)(x)
    np.testing.assert_allclose(np_of(H), np_of(jacrev(jacrev(s))(x)), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(np_of(H), np_of(H).T, rtol=1e-10, atol=1e-12)


def test_vjp_of_jvp():
    W = t64(rng.normal(size=(3, 4)))
    f = lambda x: (W @ x).tanh() * x[:3]
    x, t = t64(rng.normal(size=(4,))), t64(rng.normal(size=(4,)))
    ct = t64(rng.normal(size=(3,)))

    def directional(x, t):
        return jvp(f, (x,), (t,))[1]

    out, vjp_fn = vjp(directional, x, t)
    J = np_of(jacrev(f)(x))
    np.testing.assert_allclose(np_of(out), J @ np_of(t), rtol=1e-12)
    gx, gt = vjp_fn(ct)
    # the directional derivative is linear in t: its pullback in t is J^T ct
    np.testing.assert_allclose(np_of(gt), J.T @ np_of(ct), rtol=1e-10, atol=1e-12)
    # in x it is d/dx <ct, J(x) t>
    (ref,) = fd_jacobian(lambda x: (directional(x, t) * ct).sum(), x)
    np.testing.assert_allclose(np_of(gx), ref, rtol=1e-6, atol=1e-8)


def test_jvp_of_grad_is_hessian_vector_product():
    A = t64(rng.normal(size=(4, 4)))
    f = lambda x: (A @ x).tanh().sum() + (x**3).sum()
    x, v = t64(rng.normal(size=(4,))), t64(rng.normal(size=(4,)))
    g, hv = jvp(grad(f), (x,), (v,))
    np.testing.assert_allclose(np_of(g), np_of(grad(f)(x)), rtol=1e-14)
    H = np_of(hessian(f)(x))
    np.testing.assert_allclose(np_of(hv), H @ np_of(v), rtol=1e-10, atol=1e-12)
    (ref,) = fd_jacobian(grad(f), x)
    np.testing.assert_allclose(H, ref, rtol=1e-6, atol=1e-7)


def test_linearize_is_jvp_at_a_fixed_point():
    f = lambda x: x.sin() * x.exp().sum()
    x = t64(rng.normal(size=(3,)))
    out, jvp_fn = linearize(f, x)
    np.testing.assert_allclose(np_of(out), np_of(f(x)), rtol=1e-14)
    (J,) = fd_jacobian(f, x)
    for _ in range(2):  # jvp_fn can be called again, with other tangents
        t = t64(rng.normal(size=(3,)))
        np.testing.assert_allclose(np_of(jvp_fn(t)), J @ np_of(t), rtol=1e-6, atol=1e-8)


def test_vjp_fn_can_be_called_twice():
    x = t64(rng.normal(size=(3,)))
    _, vjp_fn = vjp(lambda x: x.tanh() * x, x)
    (J,) = fd_jacobian(lambda x: x.tanh() * x, x)
    for _ in range(2):
        ct = t64(rng.normal(size=(3,)))
        (g,) = vjp_fn(ct)
        np.testing.assert_allclose(np_of(g), J.T @ np_of(ct), rtol=1e-6, atol=1e-8)


def test_grad_closing_over_a_constant_tensor():
    W = t64(rng.normal(size=(3, 4)))
    x = t64(rng.normal(size=(4,)))
    g = grad(lambda x: (W @ x).tanh().sum())(x)
    y = np.tanh(np_of(W) @ np_of(x))
    np.testing.assert_allclose(np_of(g), np_of(W).T @ (1 - y * y), rtol=1e-12)
    assert not g.requires_grad and g.grad_fn is None


def test_grad_closing_over_a_tensor_that_requires_grad():
    """The gradient stays differentiable in the closed-over parameter, as torch.func."""
    W0 = rng.normal(size=(3, 4))
    W = t64(W0).requires_grad_()
    x = t64(rng.normal(size=(4,)))
    g = grad(lambda x: (W @ x).tanh().sum())(x)
    assert g.requires_grad
    g.sum().backward()
    (ref,) = fd_jacobian(lambda W: (W.T @ (1 - (W @ x).tanh() ** 2)).sum(), t64(W0))
    np.testing.assert_allclose(np_of(W.grad), ref, rtol=1e-6, atol=1e-8)
    assert x.grad is None


def lecture_f(a):
    """The lecture's function with Python control flow (a while loop and an if)."""
    b = a * 2
    while b.norm() < 1000:
        b = b * 2
    if b.sum() > 0:
        c = b
    else:
        c = 100 * b
    return c


@given(st.floats(-2.0, 2.0).filter(lambda v: abs(v) > 1e-3))
def test_grad_through_control_flow(v):
    a = t64(v)
    d = lecture_f(a)
    want = (d / a).item()  # f is linear in a on the branch taken: f(a) = k a
    np.testing.assert_allclose(grad(lecture_f)(a).item(), want, rtol=1e-12)
    np.testing.assert_allclose(jvp(lecture_f, (a,), (t64(1.0),))[1].item(), want, rtol=1e-12)
    assert grad(grad(lecture_f))(a).item() == 0.0


@settings(max_examples=10)
@given(st.lists(st.floats(-2.0, 2.0).filter(lambda v: abs(v) > 1e-3), min_size=1, max_size=4))
def test_jacobians_through_control_flow(vs):
    a = t64(vs)
    k = (lecture_f(a)[0] / a[0]).item()
    want = k * np.eye(len(vs))
    np.testing.assert_allclose(np_of(jacrev(lecture_f)(a)), want, rtol=1e-12)
    np.testing.assert_allclose(np_of(jacfwd(lecture_f)(a)), want, rtol=1e-12)


def test_grad_through_a_data_dependent_loop():
    def f(x):
        acc = x * 0
        i = 0
        while acc.sum() < 5 and i < 20:  # iterations depend on the value of x
            acc = acc + x.sin() ** 2 + 0.1
            i += 1
        return acc.sum()

    x = t64([0.3, -1.2, 0.8])
    n = 0
    acc = np.zeros(3)
    while acc.sum() < 5 and n < 20:
        acc += np.sin(np_of(x)) ** 2 + 0.1
        n += 1
    want = n * 2 * np.sin(np_of(x)) * np.cos(np_of(x))
    np.testing.assert_allclose(np_of(grad(f)(x)), want, rtol=1e-12)
    np.testing.assert_allclose(np_of(jacfwd(f)(x)), want, rtol=1e-12)
