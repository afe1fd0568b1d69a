"""chainrule.func returns what torch.func returns: plain tensors, unless a result depends on
a tensor that requires grad from outside the transforms (issue 11, section 2).

``hessian(f)(x)`` and ``jacfwd(jacrev(f))(x)`` returned a tensor that required grad and held
a graph back to the inner transform's own inputs, so ``.numpy()`` raised; every forward
transform over a reverse one did the same (``jvp(grad(f))``, ``jacfwd(vjp_fn)``, ...). Each
case here runs in both libraries, on float64 and float32 data, and compares per result
tensor: requires_grad, whether it has a grad_fn, dtype, shape and values.
"""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
import chainrule.func as F

torch = pytest.importorskip("torch")
tF = pytest.importorskip("torch.func")


def _f(x):
    return (x.sin() * x).sum()


def _g(x):
    return x.sin() * x


def _pulled_back(m, F, y):
    """vjp_fn of _g at y applied to ones: a reverse transform inside a forward one."""
    return F.vjp(_g, y)[1](m.ones_like(y))[0]


# name -> case(m, F, x, w): m the library, F its func module, x a plain input, w a tensor
# that requires grad (closed over, or given as the input)
CASES = {
    "grad": lambda m, F, x, w: F.grad(_f)(x),
    "grad_and_value": lambda m, F, x, w: F.grad_and_value(_f)(x),
    "grad of grad": lambda m, F, x, w: F.grad(lambda y: F.grad(_f)(y).sum())(x),
    "vjp": lambda m, F, x, w: F.vjp(_g, x)[0],
    "vjp_fn": lambda m, F, x, w: F.vjp(_g, x)[1](m.ones_like(x)),
    "jvp": lambda m, F, x, w: F.jvp(_g, (x,), (m.ones_like(x),)),
    "jacrev": lambda m, F, x, w: F.jacrev(_g)(x),
    "jacfwd": lambda m, F, x, w: F.jacfwd(_g)(x),
    "hessian": lambda m, F, x, w: F.hessian(_f)(x),
    "jacfwd(jacrev)": lambda m, F, x, w: F.jacfwd(F.jacrev(_f))(x),
    "jacrev(jacrev)": lambda m, F, x, w: F.jacrev(F.jacrev(_f))(x),
    "jacrev(jacfwd)": lambda m, F, x, w: F.jacrev(F.jacfwd(_f))(x),
    "jacrev(grad)": lambda m, F, x, w: F.jacrev(F.grad(_f))(x),
    "jacfwd(grad)": lambda m, F, x, w: F.jacfwd(F.grad(_f))(x),
    "grad(jacfwd)": lambda m, F, x, w: F.grad(lambda y: F.jacfwd(_g)(y).sum())(x),
    "jvp(grad)": lambda m, F, x, w: F.jvp(F.grad(_f), (x,), (m.ones_like(x),)),
    "jvp(jacrev)": lambda m, F, x, w: F.jvp(F.jacrev(_g), (x,), (m.ones_like(x),)),
    "jvp(vjp_fn)": lambda m, F, x, w: F.jvp(
        lambda y: _pulled_back(m, F, y), (x,), (m.ones_like(x),)
    ),
    "jacfwd(vjp_fn)": lambda m, F, x, w: F.jacfwd(lambda y: _pulled_back(m, F, y))(x),
    "vjp(jacfwd)": lambda m, F, x, w: F.vjp(F.jacfwd(_g), x)[0],
    "vjp(jacfwd) vjp_fn": lambda m, F, x, w: F.vjp(F.jacfwd(_g), x)[1](m.ones(3, 3, dtype=x.dtype)),
    "hessian with aux": lambda m, F, x, w: F.jacfwd(
        F.jacrev(lambda y: (_f(y), y * 2), has_aux=True), has_aux=True
    )(x),
    "jacfwd aux": lambda m, F, x, w: F.jacfwd(lambda y: (_g(y), y * 2), has_aux=True)(x),
    "jvp aux": lambda m, F, x, w: F.jvp(
        lambda y: (_g(y), y * 2), (x,), (m.ones_like(x),), has_aux=True
    ),
    "linearize jvp_fn": lambda m, F, x, w: F.linearize(_g, x)[1](m.ones_like(x)),
    # a closed-over tensor that requires grad: the results keep their graph to it
    "closure grad": lambda m, F, x, w: F.grad(lambda y: (y * w).sum())(x),
    "closure jacfwd": lambda m, F, x, w: F.jacfwd(lambda y: y * w)(x),
    "closure hessian": lambda m, F, x, w: F.hessian(lambda y: (y * y * w).sum())(x),
    "closure jvp": lambda m, F, x, w: F.jvp(lambda y: y * w, (x,), (m.ones_like(x),)),
    "closure jvp constant": lambda m, F, x, w: F.jvp(lambda y: w * 2, (x,), (m.ones_like(x),)),
    "closure jacfwd(jacrev)": lambda m, F, x, w: F.jacfwd(F.jacrev(lambda y: _f(y) * w[0]))(x),
    "closure jvp aux": lambda m, F, x, w: F.jvp(
        lambda y: (y * 2, w * y), (x,), (m.ones_like(x),), has_aux=True
    ),
    # an input that requires grad: the results keep their graph to it
    "input hessian": lambda m, F, x, w: F.hessian(_f)(w),
    "input jacfwd(jacrev)": lambda m, F, x, w: F.jacfwd(F.jacrev(_f))(w),
    "input jvp(grad)": lambda m, F, x, w: F.jvp(F.grad(_f), (w,), (m.ones_like(x),)),
    "tangent requires grad": lambda m, F, x, w: F.jvp(_g, (x,), (w,)),
}


def _leaves(r):
    if isinstance(r, (tuple, list)):
        return [t for item in r for t in _leaves(item)]
    return [r] if hasattr(r, "requires_grad") else []


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name", list(CASES))
def test_results_carry_a_graph_exactly_where_torch_func_does(name, dtype):
    def run(m, Fm):
        x = m.tensor([0.5, 1.0, 2.0], dtype=getattr(m, dtype))
        w = m.tensor([1.0, 2.0, 3.0], dtype=getattr(m, dtype), requires_grad=True)
        return _leaves(CASES[name](m, Fm, x, w))

    ours, theirs = run(cr, F), run(torch, tF)
    assert len(ours) == len(theirs)
    tol = 1e-12 if dtype == "float64" else 1e-5
    for a, b in zip(ours, theirs, strict=True):
        assert (a.requires_grad, a.grad_fn is None) == (b.requires_grad, b.grad_fn is None)
        assert str(a.dtype) == str(b.dtype)
        assert tuple(a.shape) == tuple(b.shape)
        if not a.requires_grad:
            a.numpy()  # the issue's symptom: this raised for a plain-looking Hessian
        np.testing.assert_allclose(
            a.detach().numpy(), b.detach().numpy(), rtol=tol, atol=tol, err_msg=name
        )


def test_the_issue_example_hessian_is_a_plain_tensor():
    x = cr.tensor([1.0, 2.0])
    A = cr.tensor([[1.0, 2.0], [0.0, 3.0]])
    for h in (F.hessian(lambda v: v @ A @ v)(x), F.jacfwd(F.jacrev(lambda v: v @ A @ v))(x)):
        assert not h.requires_grad and h.grad_fn is None
        np.testing.assert_array_equal(h.numpy(), [[2.0, 2.0], [2.0, 6.0]])


def test_a_hessian_of_a_closure_still_differentiates_to_the_closed_over_tensor():
    # kept where it leads outside: d/dw of sum(hessian) of sum(y*y*w) is 2 per element
    def run(m, Fm):
        w = m.tensor([1.0, 2.0, 3.0], dtype=m.float64, requires_grad=True)
        x = m.tensor([0.5, 1.0, 2.0], dtype=m.float64)
        Fm.hessian(lambda y: (y * y * w).sum())(x).sum().backward()
        return w.grad

    np.testing.assert_array_equal(run(cr, F).numpy(), run(torch, tF).numpy())
