"""Every autograd example of the lecture (L3_4) and its notes, with the values they print.

Sources: shared/seeds/002_* (notes on autograd) and 004_* section 1.7.3 (code and results),
plus d2l's `y = 2 * torch.dot(x, x)` variant. No torch needed: the expected values are the
ones printed in the material (and checked against PyTorch 2.13 when these tests were written).
"""

import numpy as np
import pytest

import chainrule as cr


@pytest.fixture
def x():
    x = cr.arange(4.0)
    assert repr(x) == "tensor([0., 1., 2., 3.])"
    x.requires_grad_(True)
    return x


def test_arange_requires_grad_prints_and_grad_defaults_to_none(x):
    assert repr(x) == "tensor([0., 1., 2., 3.], requires_grad=True)"
    assert x.requires_grad
    assert x.is_leaf
    assert x.grad is None
    # "equivalent to x = torch.arange(4.0, requires_grad=True)"
    x2 = cr.arange(4.0, requires_grad=True)
    assert repr(x2) == "tensor([0., 1., 2., 3.], requires_grad=True)"
    assert x2.grad is None


def test_dot_gradient_notes_version(x):
    y = cr.dot(x, x)
    assert repr(y) == "tensor(14., grad_fn=<DotBackward0>)"
    y.backward()
    assert repr(x.grad) == "tensor([0., 2., 4., 6.])"
    assert repr(x.grad == 2 * x) == "tensor([True, True, True, True])"


def test_two_dot_gradient_book_version(x):
    y = 2 * cr.dot(x, x)
    assert repr(y) == "tensor(28., grad_fn=<MulBackward0>)"
    y.backward()
    assert repr(x.grad) == "tensor([ 0.,  4.,  8., 12.])"
    assert repr(x.grad == 4 * x) == "tensor([True, True, True, True])"


def test_zero_then_sum_gives_ones(x):
    (2 * cr.dot(x, x)).backward()
    g = x.grad
    x.grad.zero_()
    assert x.grad is g, "zero_() clears the gradient in place, it does not allocate"
    assert repr(x.grad) == "tensor([0., 0., 0., 0.])"
    y = x.sum()
    assert repr(y) == "tensor(6., grad_fn=<SumBackward0>)"
    y.backward()
    assert repr(x.grad) == "tensor([1., 1., 1., 1.])"


def test_gradients_accumulate_without_zero(x):
    # The notes: without x.grad.zero_() the result adds to the previous one: [1, 3, 5, 7].
    cr.dot(x, x).backward()
    x.sum().backward()
    assert repr(x.grad) == "tensor([1., 3., 5., 7.])"
    # And with the book's y = 2 * dot(x, x): [0, 4, 8, 12] + 1.
    x.grad.zero_()
    (2 * cr.dot(x, x)).backward()
    x.sum().backward()
    assert repr(x.grad) == "tensor([ 1.,  5.,  9., 13.])"


def test_grad_storage_is_reused_across_backwards(x):
    cr.dot(x, x).backward()
    g = x.grad
    x.sum().backward()
    assert x.grad is g, "accumulation writes into the existing .grad tensor"


def test_non_scalar_hadamard_sum_backward(x):
    x.sum().backward()
    x.grad.zero_()
    y = x * x
    assert repr(y) == "tensor([0., 1., 4., 9.], grad_fn=<MulBackward0>)"
    y.sum().backward()
    assert repr(x.grad) == "tensor([0., 2., 4., 6.])"


def test_non_scalar_backward_with_ones_is_the_same(x):
    # "equivalent to y.backward(torch.ones(len(x)))"
    y = x * x
    y.backward(cr.ones(len(x)))
    assert repr(x.grad) == "tensor([0., 2., 4., 6.])"


def test_detach_treats_u_as_constant(x):
    y = x * x
    u = y.detach()
    assert repr(u) == "tensor([0., 1., 4., 9.])"
    assert not u.requires_grad and u.grad_fn is None
    z = u * x
    z.sum().backward()
    assert repr(x.grad == u) == "tensor([True, True, True, True])"
    # The book continues: y itself still has its history.
    x.grad.zero_()
    y.sum().backward()
    assert repr(x.grad == 2 * x) == "tensor([True, True, True, True])"


def f(a):
    """The lecture's function with Python control flow (while and if depend on a)."""
    b = a * 2
    while b.norm() < 1000:
        b = b * 2
    if b.sum() > 0:
        c = b
    else:
        c = 100 * b
    return c


def expected_factor(a):
    """f is linear in a along the path taken: f(a) = k * a with k a power of two (times 100)."""
    b = abs(a) * 2.0
    k = 2.0
    while b < 1000:
        b *= 2.0
        k *= 2.0
    return k if a > 0 else 100.0 * k


@pytest.mark.parametrize("seed", [0, 1, 2, 3, 4, 5, 6, 7])
def test_control_flow_randn(seed):
    cr.manual_seed(seed)
    a = cr.randn(size=(), requires_grad=True)
    assert a.shape == () and a.dim() == 0
    assert a.requires_grad and a.is_leaf
    d = f(a)
    d.backward()
    # Exact: f is k * a on the path taken, so a.grad is the power of two k (or 100 k).
    assert a.grad.item() == expected_factor(a.item())
    # The lecture's check a.grad == d / a (exact for most a; float rounding of 100 * b can
    # change the last bit of d / a, in PyTorch too, so compare closely here).
    np.testing.assert_allclose(a.grad.item(), (d / a).item(), rtol=1e-6)


@pytest.mark.parametrize("value", [0.3, -0.3, 1.7, -2.5, 0.001])
def test_control_flow_prints_true(value):
    a = cr.tensor(value, requires_grad=True)
    d = f(a)
    d.backward()
    assert a.grad.item() == expected_factor(value)
    assert repr(a.grad == d / a) == "tensor(True)"


def test_control_flow_graph_depends_on_input():
    # The same Python function builds a different graph for a different a: a small a takes more
    # doublings than a big one, and the gradient follows the path actually taken.
    small = cr.tensor(0.001, requires_grad=True)
    big = cr.tensor(600.0, requires_grad=True)
    f(small).backward()
    f(big).backward()
    assert small.grad.item() == 2.0**20
    assert big.grad.item() == 2.0


def test_chain_rule_example_1_inner_product_loss():
    # z = (<x, w> - y)^2: dz/dw = 2 (<x, w> - y) x, dz/dx = 2 (<x, w> - y) w.
    rng = np.random.default_rng(0)
    xn, wn = rng.standard_normal(5), rng.standard_normal(5)
    yn = 0.7
    x = cr.tensor(xn, dtype=cr.float64, requires_grad=True)
    w = cr.tensor(wn, dtype=cr.float64, requires_grad=True)
    y = cr.tensor(yn, dtype=cr.float64)
    z = (cr.dot(x, w) - y) ** 2
    assert z.dtype == cr.float64
    z.backward()
    r = xn @ wn - yn
    np.testing.assert_allclose(z.item(), r**2, rtol=1e-12)
    np.testing.assert_allclose(w.grad.numpy(), 2 * r * xn, rtol=1e-12)
    np.testing.assert_allclose(x.grad.numpy(), 2 * r * wn, rtol=1e-12)
    assert y.grad is None


def test_chain_rule_example_2_least_squares():
    # z = ||X w - y||^2: dz/dw = 2 X^T (X w - y).
    rng = np.random.default_rng(1)
    Xn, wn, yn = rng.standard_normal((6, 4)), rng.standard_normal(4), rng.standard_normal(6)
    X = cr.tensor(Xn, dtype=cr.float64)
    y = cr.tensor(yn, dtype=cr.float64)
    expected = 2 * Xn.T @ (Xn @ wn - yn)

    w = cr.tensor(wn, dtype=cr.float64, requires_grad=True)
    z = ((X @ w - y) ** 2).sum()
    z.backward()
    np.testing.assert_allclose(z.item(), np.sum((Xn @ wn - yn) ** 2), rtol=1e-12)
    np.testing.assert_allclose(w.grad.numpy(), expected, rtol=1e-12)

    # The same loss written with the norm: ||.||^2.
    w2 = cr.tensor(wn, dtype=cr.float64, requires_grad=True)
    (cr.mv(X, w2) - y).norm().pow(2).backward()
    np.testing.assert_allclose(w2.grad.numpy(), expected, rtol=1e-10)

    # And as a column vector w (4, 1), the lecture's shapes.
    w3 = cr.tensor(wn.reshape(4, 1), dtype=cr.float64, requires_grad=True)
    ((cr.mm(X, w3) - y.reshape(6, 1)) ** 2).sum().backward()
    assert w3.grad.shape == (4, 1)
    np.testing.assert_allclose(w3.grad.numpy(), expected.reshape(4, 1), rtol=1e-12)


def test_implicit_graph_records_everything_two_a_plus_b():
    # The MXNet example of the notes, c = 2 * a + b, in the implicit (PyTorch) style.
    a = cr.ones((2, 1), requires_grad=True)
    b = cr.ones((2, 1), requires_grad=True)
    c = 2 * a + b
    assert c.grad_fn.name() == "AddBackward0"
    c.sum().backward()
    assert repr(a.grad) == "tensor([[2.],\n        [2.]])"
    assert repr(b.grad) == "tensor([[1.],\n        [1.]])"
