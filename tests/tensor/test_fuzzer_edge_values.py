"""Values and gradients at edge values (0, -0.0, inf, NaN; incoming gradients of inf and
NaN) where the fuzzer found chainrule's NaN against PyTorch's number (issue 11 §3): pow
with tensor and number exponents (PyTorch's 1 / sqrt for the exponent -0.5), cumprod at
zeros, relu and reciprocal, abs and sign at NaN.

Each case runs in both libraries (skipped without PyTorch); every rule changed here is
gradchecked in float64.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

import chainrule as cr
from chainrule.autograd import gradcheck

try:
    import torch
except ImportError:  # the comparisons skip; the gradchecks still run
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="PyTorch is not installed")

INF, NAN = math.inf, math.nan
EDGES = [0.0, -0.0, 1.0, -1.0, 2.0, -2.0, 0.5, -0.5, 3.0, INF, -INF, NAN]
INCOMING = [1.0, -1.0, 0.0, INF, NAN]


def assert_same_numbers(c, t, rtol):
    """Equal arrays, NaN where NaN, infinities of the same sign; finite values close."""
    c, t = np.asarray(c, dtype=np.float64), np.asarray(t, dtype=np.float64)
    assert np.array_equal(np.isnan(c), np.isnan(t)), (c, t)
    finite = np.isfinite(t)
    assert np.array_equal(c[~finite & ~np.isnan(t)], t[~finite & ~np.isnan(t)]), (c, t)
    np.testing.assert_allclose(c[finite], t[finite], rtol=rtol, atol=0)


def value_and_grads(lib, fn, arrays, g, dtype):
    xs = [lib.tensor(a, dtype=getattr(lib, dtype), requires_grad=True) for a in arrays]
    y = fn(lib, *xs)
    y.backward(lib.full(y.shape, g, dtype=y.dtype))
    return [y.detach().numpy()] + [x.grad.numpy() for x in xs]


def assert_edges_as_torch(fn, arrays, dtype="float64"):
    rtol = 1e-12 if dtype == "float64" else 1e-5
    for g in INCOMING:
        for c, t in zip(
            value_and_grads(cr, fn, arrays, g, dtype),
            value_and_grads(torch, fn, arrays, g, dtype),
            strict=True,
        ):
            assert_same_numbers(c, t, rtol)


# -------------------------------------------------------------------------------- pow

BASES, EXPONENTS = zip(*itertools.product(EDGES, EDGES), strict=True)


@needs_torch
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_pow_of_tensors_at_edge_values_as_torch(dtype):
    assert_edges_as_torch(lambda L, x, y: x**y, (BASES, EXPONENTS), dtype)


@needs_torch
@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("exponent", EDGES + [-1.5, 1.5, -3.0])
def test_pow_with_a_number_exponent_at_edge_values_as_torch(exponent, dtype):
    # the exponent 0 gives a zero gradient whatever comes in; -0.5 is 1 / sqrt (so
    # (-0.0) ** -0.5 = -inf and (-inf) ** -0.5 = nan), in the value and in the gradient of 0.5
    assert_edges_as_torch(lambda L, x: x**exponent, (EDGES,), dtype)
    assert_edges_as_torch(lambda L, x: L.pow(x, exponent), (EDGES,), dtype)


@needs_torch
@pytest.mark.parametrize("base", EDGES + [-1.5, 1.5])
def test_pow_of_a_number_base_at_edge_values_as_torch(base):
    # 0 ** y: 0 for y >= 0, -inf for y < 0 (also y = -inf) in d/dy
    assert_edges_as_torch(lambda L, y: base**y, (EDGES,))


@needs_torch
def test_pow_half_exponents_of_negative_zero_as_torch():
    for lib in (cr, torch):
        x = lib.tensor([-0.0, -INF, 4.0])
        assert str((x**-0.5).tolist()) == "[-inf, nan, 0.5]"
        assert str((x**0.5).tolist()) == "[-0.0, nan, 2.0]"
        assert str(x.pow(-0.5).dtype) == str(lib.float32)
    h = cr.tensor([-0.0, 4.0], dtype=cr.float16) ** -0.5
    assert h.dtype == cr.float16 and h.tolist() == [-INF, 0.5]


@pytest.mark.parametrize("exponent", [-0.5, 0.5, 0, 2, -1.5])
def test_pow_with_a_number_exponent_gradchecks(exponent):
    x = cr.tensor([0.3, 1.7, 2.5], dtype=cr.float64, requires_grad=True)
    assert gradcheck(lambda t: t**exponent, (x,))
    assert cr.autograd.gradgradcheck(lambda t: t**exponent, (x,))


def test_pow_of_tensors_and_of_a_number_base_gradcheck():
    x = cr.tensor([0.3, 1.7, 2.5], dtype=cr.float64, requires_grad=True)
    y = cr.tensor([-0.5, 0.0, 1.5], dtype=cr.float64, requires_grad=True)
    assert gradcheck(lambda a, b: a**b, (x, y))
    assert gradcheck(lambda b: 2.5**b, (y,))


# ---------------------------------------------------------------------------- cumprod

CUMPROD_CASES = [
    [0.0, 0.0, 0.0, 0.0],
    [2.0, 0.0, 0.0, 0.0],
    [2.0, 0.0, 3.0, 4.0],
    [2.0, 0.0, 3.0, 0.0],
    [2.0, 3.0, 0.0, 4.0],
    [2.0, 3.0, 4.0, 5.0],
    [2.0, INF, 4.0, 5.0],
    [2.0, INF, 0.0, 5.0],
    [2.0, NAN, 0.0, 5.0],
    [0.0, INF, 4.0, 5.0],
    [1.0, 0.0, INF, 5.0],
    [0.0],
]


@needs_torch
@pytest.mark.parametrize("x", CUMPROD_CASES)
def test_cumprod_gradient_at_zeros_as_torch(x):
    # an infinite (or NaN) incoming gradient where a zero makes the derivative exactly 0
    # is left out, as in PyTorch: cumprod of zeros with g = inf is [inf, 0, 0, 0]
    assert_edges_as_torch(lambda L, t: t.cumprod(0), (x,))
    for i in range(len(x)):
        for g in (INF, NAN):
            gs = [1.0] * len(x)
            gs[i] = g
            out = []
            for lib in (cr, torch):
                t = lib.tensor(x, dtype=lib.float64, requires_grad=True)
                t.cumprod(0).backward(lib.tensor(gs, dtype=lib.float64))
                out.append(t.grad.numpy())
            assert_same_numbers(*out, rtol=1e-12)


@needs_torch
@pytest.mark.parametrize("dim", [0, 1, -1])
def test_cumprod_gradient_of_slices_with_zeros_in_other_places_as_torch(dim):
    x = np.array([[0.0, 2.0, 3.0], [4.0, 0.0, 0.0], [5.0, 6.0, 7.0], [0.0, 0.0, 1.0]])
    assert_edges_as_torch(lambda L, t: t.cumprod(dim) * 1.0, (x,))


@needs_torch
@pytest.mark.parametrize("x", CUMPROD_CASES)
def test_cumprod_gradient_with_create_graph_as_torch(x):
    # recorded, PyTorch takes the product formula (differentiable again), where an
    # infinite g at an exact zero gives NaN
    out = []
    for lib in (cr, torch):
        t = lib.tensor(x, dtype=lib.float64, requires_grad=True)
        g = lib.full((len(x),), INF, dtype=lib.float64)
        (r,) = lib.autograd.grad(t.cumprod(0), [t], g, create_graph=True)
        out.append(r.detach().numpy())
    assert_same_numbers(*out, rtol=1e-12)


@pytest.mark.parametrize("dim", [0, 1])
def test_cumprod_with_zeros_gradchecks(dim):
    x = np.array([[0.0, 2.0, 3.0], [4.0, 0.0, 0.0], [5.0, 6.0, 7.0], [0.0, 0.0, 1.5]])
    t = cr.tensor(x, requires_grad=True)
    assert gradcheck(lambda a: a.cumprod(dim), (t,))
    assert cr.autograd.gradgradcheck(lambda a: a.cumprod(dim), (t,))


# ----------------------------------------------------------- relu, reciprocal, abs, sign


@needs_torch
@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize(
    "name", ["relu", "reciprocal", "abs", "sign", "sqrt", "rsqrt", "exp", "log", "tanh"]
)
def test_unary_gradients_at_edge_values_as_torch(name, dtype):
    # relu selects (0 where out <= 0, whatever comes in); reciprocal squares out first,
    # so 0 * out * out is NaN where out * out overflows, as PyTorch's
    xs = EDGES + [1e-30, 1e30]
    assert_edges_as_torch(lambda L, x: getattr(L, name)(x), (xs,), dtype)


@pytest.mark.parametrize("name", ["relu", "reciprocal"])
def test_relu_and_reciprocal_gradcheck(name):
    x = cr.tensor([-1.5, -0.3, 0.4, 2.0], dtype=cr.float64, requires_grad=True)
    assert gradcheck(getattr(cr, name), (x,))
    assert cr.autograd.gradgradcheck(getattr(cr, name), (x,))
