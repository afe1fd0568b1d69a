"""Explicit graphs: printing, binding and its errors, differentiation (first and second
order) against eager autograd, and the passes (values kept, node counts for CSE/DCE),
also on random expression DAGs."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import chainrule as cr
from chainrule import sym
from chainrule.sym import BindError


def test_lecture_example_prints_and_binds():
    a = sym.var("a")
    b = sym.var("b")
    c = 2 * a + b
    assert str(c) == "2 * a + b"
    assert c.eval(a=2.0, b=1.0).item() == 5.0
    f = sym.function([a, b], [c])
    (r,) = f(cr.tensor([1.0, 2.0]), np.array([1.0, 1.0], np.float32))
    assert r.tolist() == [3.0, 5.0]


def test_listing_one_line_per_node():
    a = sym.var("a", (3,))
    b = sym.var("b", (3,))
    lines = (2 * a + b).listing().splitlines()
    assert len(lines) == 4
    assert lines[1].startswith("%1 = mul(2, %0)") and lines[1].endswith("float32[3]")


def test_constants_and_index_arrays_print_their_values_where_small():
    x = sym.var("x", (4, 3))
    assert str(x[np.array([0, 2])]) == "index(x, idx=(array([0, 2]),))"
    assert str(x[np.int64(2)]) == "index(x, idx=(2,))"
    assert str(x[:, cr.tensor([True, False, True])]) == (
        "index(x, idx=(:, array([ True, False, True])))"
    )
    assert str(x * cr.tensor([1.0, 2.0, 3.0])) == "x * array([1., 2., 3.], dtype=float32)"
    m = cr.arange(6, dtype=cr.float64).reshape(2, 3)
    assert str(sym.const(m)) == "array([[0., 1., 2.], [3., 4., 5.]])"  # one line
    assert str(x * 2.0) == "x * 2"  # a number, and a constant of equal elements, as a number
    assert str(x * cr.ones(3)) == "x * 1"
    # large ones by their dtype and shape (17 elements and more)
    assert str(x[np.arange(17) % 4]) == "index(x, idx=(array(int64[17]),))"
    big = x * cr.arange(48.0).reshape(4, 4, 3)
    assert str(big) == "x * const(float32[4, 4, 3])"
    lines = big.listing().splitlines()
    assert lines[1].split() == ["%1", "=", "const", "float32[4,", "4,", "3]"]
    small = (x * cr.tensor([1.0, 2.0, 3.0])).listing().splitlines()
    assert small[1].startswith("%1 = const array([1., 2., 3.], dtype=float32)")


def test_closed_form_gradient_of_the_lecture():
    x = sym.var("x", (3,))
    w = sym.var("w", (3,))
    y = sym.var("y", ())
    z = (x @ w - y) ** 2
    (gw,) = sym.grad(z, [w])
    assert str(sym.optimize(gw)) == "2 * (<x, w> - y) * x"
    xv, wv, yv = [1.0, 2.0, 3.0], [1.0, 0.0, -1.0], 1.0
    xe = cr.tensor(xv)
    we = cr.tensor(wv, requires_grad=True)
    ((xe @ we - yv) ** 2).backward()
    assert gw.eval(x=xv, w=wv, y=yv).tolist() == we.grad.tolist()


def test_bind_errors_name_the_variable():
    a = sym.var("a", (None, 3))
    b = sym.var("b", (3,), cr.float64)
    c = a * b
    with pytest.raises(BindError, match=r"'a' has shape \(None, 3\), given shape \(2, 4\)"):
        c.eval(a=np.zeros((2, 4), np.float32), b=np.zeros(3))
    with pytest.raises(BindError, match="'b' is float64, given float32"):
        c.eval(a=np.zeros((2, 3), np.float32), b=np.zeros(3, np.float32))
    with pytest.raises(BindError, match="'b' .* is not bound"):
        c.eval(a=np.zeros((2, 3), np.float32))
    with pytest.raises(BindError, match="no variable named 'q'"):
        c.eval(q=1.0)
    with pytest.raises(BindError, match="'n' is int64, given float64 values"):
        sym.var("n", (), cr.int64).eval(n=1.5)
    with pytest.raises(BindError, match="not among the inputs"):
        sym.function([a], c)
    f = sym.function([a, b], c)
    with pytest.raises(TypeError, match="takes 2 values, given 1"):
        f(np.zeros((1, 3), np.float32))
    assert f(np.ones((2, 3), np.float32), np.ones(3)).dtype == cr.float64


def test_shape_errors_at_construction_are_pytorchs():
    with pytest.raises(RuntimeError, match="must match the size of tensor b"):
        sym.var("a", (2,)) + sym.var("b", (3,))


def test_data_dependent_control_flow_is_refused():
    a = sym.var("a", ())
    with pytest.raises(TypeError, match="no truth value"):
        bool(a > 0)


def test_real_tensor_first_makes_a_constant():
    a = sym.var("a", (2,))
    c = cr.ones(2) * 3 + a
    assert isinstance(c, sym.Symbol)
    assert c.eval(a=[1.0, 2.0]).tolist() == [4.0, 5.0]


def test_second_derivatives_and_hvp():
    x = sym.var("x", (3,), cr.float64)
    v = sym.var("v", (3,), cr.float64)
    f = (x.sin() * x).sum() + (x @ x) ** 2
    (g,) = sym.grad(f, [x])
    (hv,) = sym.grad(g @ v, [x])  # Hessian-vector product, reverse over reverse
    hv_fwd = sym.jvp(g, {x: v})  # forward over reverse
    xv = np.array([0.3, -1.2, 2.0])
    vv = np.array([1.0, 0.5, -2.0])
    h = cr.func.hessian(lambda t: (t.sin() * t).sum() + (t @ t) ** 2)(cr.tensor(xv))
    want = h.numpy() @ vv
    for expr in (hv, hv_fwd, sym.optimize(hv)):
        np.testing.assert_allclose(expr.eval(x=xv, v=vv).numpy(), want, rtol=1e-12)


def test_unused_input_gets_zeros():
    a = sym.var("a", (2,))
    b = sym.var("b", (2,))
    ga, gb = sym.grad((a * a).sum(), [a, b])
    assert gb.eval().tolist() == [0.0, 0.0]


def test_cse_merges_and_dce_prunes():
    x = sym.var("x", (4,))
    y = x.exp() * 2 + x.exp() * 2  # the same subexpression built twice
    assert sym.node_count(y) == 6  # x, exp, mul, exp, mul, add
    assert sym.node_count(sym.cse(y)) == 4  # x, exp, mul, add
    z = (x @ x - 1) ** 2
    (gx,) = sym.grad(z, [x])
    nodes = {n.prim.name for n in _walk(gx) if n.prim is not None}
    assert "pow" in nodes  # the rule of ** uses x ** 1 ...
    gx = sym.optimize(gx)
    assert "pow" not in {n.prim.name for n in _walk(gx) if n.prim is not None}
    f = sym.function([x], sym.dce(gx))
    assert repr(f).endswith(f"{sym.node_count(gx)} nodes>")


def _walk(s):
    from chainrule.ops.symbolic import walk

    return walk([s._data])


def test_simplify_exact_rules():
    x = sym.var("x", (2, 3))
    assert str(sym.simplify(cr.neg(-(x.T.T * 1)))) == "x"
    assert str(sym.simplify(x.reshape(3, 2).reshape(6).reshape(2, 3))) == "x"
    assert str(sym.simplify(x / 1 - 0)) == "x"
    # x * 1 where the 1 broadcasts x to a larger shape is not x: it stays
    one = sym.const(np.ones((4, 2, 3), np.float32))
    assert sym.node_count(sym.simplify(x * one)) == 3
    assert sym.node_count(sym.fold(sym.const(2.0) * sym.const(3.0) + x)) == 3


# ------------------------------------------------------ random expression DAGs
UNARY = [
    lambda t: t.exp(),
    lambda t: t.sin(),
    lambda t: t.tanh(),
    lambda t: -t,
    lambda t: t * 1,
    lambda t: t + 0,
    lambda t: t.T.T if t.ndim == 2 else t,
    lambda t: t.sum(0, keepdim=True),
    lambda t: (t * t).sqrt(),
]
BINARY = [
    lambda a, b: a + b,
    lambda a, b: a * b,
    lambda a, b: a - b,
    lambda a, b: a / (b * b + 1),
    lambda a, b: cr.maximum(a, b),
]


@st.composite
def programs(draw):
    n_in = draw(st.integers(1, 3))
    steps = []
    for _ in range(draw(st.integers(1, 10))):
        if draw(st.booleans()):
            steps.append(("u", draw(st.integers(0, len(UNARY) - 1)), draw(st.integers(0, 10**6))))
        else:
            steps.append(
                (
                    "b",
                    draw(st.integers(0, len(BINARY) - 1)),
                    draw(st.integers(0, 10**6)),
                    draw(st.integers(0, 10**6)),
                )
            )
    shape = draw(st.sampled_from([(3,), (2, 3), (1, 3)]))
    shapes = [draw(st.sampled_from([shape, shape[-1:], ()])) for _ in range(n_in)]
    return shapes, steps


def run_program(steps, inputs):
    vals = list(inputs)
    for s in steps:
        if s[0] == "u":
            vals.append(UNARY[s[1]](vals[s[2] % len(vals)]))
        else:
            vals.append(BINARY[s[1]](vals[s[2] % len(vals)], vals[s[3] % len(vals)]))
    out = vals[-1]
    for v in vals[len(inputs) : -1]:  # every value reaches the output (no dead branches)
        out = out + v.sum()
    return out.sum()


@settings(max_examples=25)
@given(prog=programs(), seed=st.integers(0, 1000))
def test_random_dags_eager_vs_symbolic_vs_optimized(prog, seed):
    shapes, steps = prog
    rng = np.random.default_rng(seed)
    arrays = [rng.uniform(-1, 1, s) for s in shapes]
    vars_ = [sym.var(f"x{i}", s, cr.float64) for i, s in enumerate(shapes)]
    leaves = [cr.tensor(a, requires_grad=True) for a in arrays]
    eager = run_program(steps, leaves)
    grads = cr.autograd.grad(eager, leaves, allow_unused=True)
    out = run_program(steps, vars_)
    sg = sym.grad(out, vars_)
    opt = sym.optimize([out, *sg])
    assert sym.node_count(opt) <= sym.node_count([out, *sg])
    for outs in ([out, *sg], opt):
        vals = sym.function(vars_, outs)(*arrays)
        np.testing.assert_allclose(vals[0].item(), eager.item(), rtol=1e-12)
        for g, w in zip(vals[1:], grads, strict=True):
            w = np.zeros(g.shape) if w is None else w.numpy()
            np.testing.assert_allclose(g.numpy(), w, rtol=1e-12, atol=1e-14)


def _eager_grads(fn, arrays):
    leaves = [cr.tensor(a, requires_grad=True) for a in arrays]
    fn(*leaves).backward()
    return [t.grad.numpy() for t in leaves]


def test_gradient_of_a_graph_whose_shapes_are_bound_later():
    x = sym.var("x", (None, 3), cr.float64)  # rows known at bind time only
    w = sym.var("w", (3,), cr.float64)
    b = sym.var("b", (None,), cr.float64)  # as many as x's rows, or 1: broadcast
    q = sym.var("q", (2,), cr.float64)  # not used by z: its gradient is zeros

    def z_of(x, w, b):
        return (((x * w).sum(1) * b - 1) ** 2).sum()

    dx, dw, db, dq = sym.grad(z_of(x, w, b), [x, w, b, q])
    assert dx.shape == (None, 3) and dw.shape == (3,) and db.shape == (None,)
    assert str(dx).startswith("grad_at_bind(")
    f = sym.function([x, w, b, q], [dx, dw, db, dq])
    for rows, nb in [(2, 2), (5, 5), (4, 1)]:
        xv = np.arange(rows * 3, dtype=np.float64).reshape(rows, 3) / 7
        wv = np.linspace(-1, 1, 3)
        bv = np.linspace(0.5, 2, nb)
        want = _eager_grads(z_of, [xv, wv, bv])
        got = f(xv, wv, bv, np.ones(2))
        for g, w_ in zip(got[:3], want, strict=True):
            np.testing.assert_allclose(g.numpy(), w_, rtol=1e-12)
        assert got[3].tolist() == [0.0, 0.0]
    assert len(dx.node.params["of"].graphs) == 3  # one gradient graph per set of shapes
    # a non-scalar output with its cotangent, also of a shape known at bind time
    g = sym.var("g", (None,), cr.float64)
    (gx,) = sym.grad((x * x).sum(1), [x], grad_outputs=g)
    assert gx.eval(x=np.ones((2, 3)), g=[1.0, 2.0]).tolist() == [[2.0] * 3, [4.0] * 3]
    # errors come when the shapes are: a non-scalar output without a cotangent
    v = sym.var("v", (None,), cr.float64)
    (bad,) = sym.grad(v.exp(), [v])
    with pytest.raises(RuntimeError, match="only for scalar outputs"):
        bad.eval(v=np.ones(3))


def test_a_gradient_made_at_bind_time_is_not_differentiated_again():
    x = sym.var("x", (None,), cr.float64)
    (dx,) = sym.grad((x**3).sum(), [x])
    with pytest.raises(ValueError, match="declare the shapes"):
        sym.grad(dx.sum(), [x])
    with pytest.raises(ValueError, match="declare the shapes"):
        sym.jvp(dx, {x: x})
    assert dx.eval(x=[1.0, 2.0]).tolist() == [3.0, 12.0]


def test_gradients_made_without_create_graph_are_cut_from_the_graph():
    # as eager's: backward()'s .grad and autograd.grad's results have no history, and
    # sym.grad does not differentiate through them (a detach node)
    w = sym.var("w", (3,)).requires_grad_()
    (w * w).sum().backward()
    (g,) = cr.autograd.grad((w * w).sum(), [w])
    for t in (w.grad, g):
        assert not t.requires_grad and t.grad_fn is None
        assert cr.equal(sym.grad(t.sum(), [w])[0].eval(), cr.zeros(3))
    (g,) = cr.autograd.grad((w * w).sum(), [w], create_graph=True)
    assert cr.equal(sym.grad(g.sum(), [w])[0].eval(), cr.full((3,), 2.0))


def test_a_drawn_graph_shows_small_constants_by_value():
    from chainrule.viz.symbolic import draw_symbolic

    x = sym.var("x", (3,))
    g = draw_symbolic(x * cr.tensor([1.0, 2.0, 3.0]) + cr.arange(30.0).reshape(10, 3), {})
    consts = [it.lines[0] for it in g.items.values() if it.kind == "const"]
    assert consts == ["array([1., 2., 3.], dtype=float32)", "const"]
    assert [line.split()[1:3] for line in str(g).splitlines()[1:] if " const" in line] == [
        ["const", "array([1.,"],
        ["const", "float32[10,"],
    ]
