"""The reverse-mode API: requires_grad, leaves, .grad, backward(), autograd.grad(), grad_fn graph.

Texts and names are PyTorch 2.13's (see shared/pytorch-semantics.md); values are analytic.
"""

import math
import warnings

import numpy as np
import pytest

import chainrule as cr

FLOAT_ONLY = r"(?i)only Tensors of floating point (and complex )?dtype can require gradients"
NON_LEAF_GRAD_WARNING = (
    r"The \.grad attribute of a Tensor that is not a leaf Tensor is being accessed\. "
    r"Its \.grad attribute won't be populated during autograd\.backward\(\)\. "
    r"If you indeed want the \.grad field to be populated for a non-leaf Tensor, "
    r"use \.retain_grad\(\) on the non-leaf Tensor\."
)
BACKWARD_TWICE = (
    r"Trying to backward through the graph a second time \(or directly access saved tensors "
    r"after they have already been freed\)\. .*Specify retain_graph=True"
)
IMPLICIT_SCALAR = r"grad can be implicitly created only for scalar outputs"
NO_GRAD_FN = r"element 0 of tensors does not require grad and does not have a grad_fn"
UNUSED = (
    r"appears to not have been used in the graph\. "
    r"Set allow_unused=True if this is the desired behavior\."
)


def vec(*values, requires_grad=True):
    return cr.tensor(list(values), dtype=cr.float64, requires_grad=requires_grad)


def close(t, expected, rtol=1e-12, atol=0.0):
    np.testing.assert_allclose(
        t.detach().numpy(), np.asarray(expected, dtype=float), rtol=rtol, atol=atol
    )


# ---------------------------------------------------------------- requires_grad and leaves


@pytest.mark.parametrize("dtype_name", ["int64", "int32", "bool"])
def test_requires_grad_refused_on_non_float_dtypes(dtype_name):
    dtype = getattr(cr, dtype_name)
    t = cr.zeros(3, dtype=dtype)
    with pytest.raises(RuntimeError, match=FLOAT_ONLY):
        t.requires_grad_()
    with pytest.raises(RuntimeError, match=FLOAT_ONLY):
        t.requires_grad = True
    with pytest.raises(RuntimeError, match=FLOAT_ONLY):
        cr.tensor([1, 0, 1], dtype=dtype, requires_grad=True)
    assert not t.requires_grad
    # Setting False is always allowed.
    t.requires_grad_(False)
    assert not t.requires_grad


def test_requires_grad_refusal_texts_match_torch_per_path():
    """PyTorch words it three ways: factory functions (capitalized), requires_grad_() (no
    'complex'), and setting the attribute."""
    torch = pytest.importorskip("torch")
    paths = [
        lambda m: m.tensor([1, 2], requires_grad=True),
        lambda m: m.zeros(2, dtype=m.int64, requires_grad=True),
        lambda m: m.arange(3, requires_grad=True),
        lambda m: m.tensor([1, 2]).requires_grad_(),
        lambda m: setattr(m.tensor([1, 2]), "requires_grad", True),
    ]
    for path in paths:
        with pytest.raises(RuntimeError) as theirs:
            path(torch)
        with pytest.raises(RuntimeError, match=f"^{theirs.value}$"):
            path(cr)


def test_requires_grad_on_integer_arange():
    with pytest.raises(RuntimeError, match=FLOAT_ONLY):
        cr.arange(4).requires_grad_()


@pytest.mark.parametrize("dtype_name", ["float32", "float64"])
def test_requires_grad_on_float_dtypes(dtype_name):
    dtype = getattr(cr, dtype_name)
    t = cr.ones(2, dtype=dtype).requires_grad_()
    assert t.requires_grad and t.is_leaf and t.grad is None
    (t * 3).sum().backward()
    assert t.grad.dtype == dtype
    close(t.grad, [3.0, 3.0])


def test_requires_grad_returns_self():
    t = cr.ones(2)
    assert t.requires_grad_() is t


def test_is_leaf_and_grad_fn():
    x = vec(1.0, 2.0)
    c = vec(1.0, 2.0, requires_grad=False)
    assert x.is_leaf and x.grad_fn is None
    assert c.is_leaf and not c.requires_grad
    y = x * 2
    assert not y.is_leaf and y.requires_grad and y.grad_fn is not None
    # Results of ops on tensors that don't require grad are leaves without history.
    d = c * 2
    assert d.is_leaf and not d.requires_grad and d.grad_fn is None
    # requires_grad propagates from any input.
    e = c * x
    assert e.requires_grad and not e.is_leaf
    with cr.no_grad():
        f = x * 2
    assert f.is_leaf and not f.requires_grad and f.grad_fn is None


def test_grad_is_none_until_backward_and_only_leaves_get_it():
    x = vec(1.0, 2.0, 3.0)
    c = vec(1.0, 1.0, 1.0, requires_grad=False)
    y = x * c
    z = y.sum()
    assert x.grad is None
    z.backward()
    close(x.grad, [1, 1, 1])
    assert c.grad is None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert y.grad is None
        assert z.grad is None


def test_gradients_accumulate_into_leaves():
    x = vec(1.0, 2.0)
    for k in range(1, 4):
        (x * x).sum().backward()
        close(x.grad, np.array([2.0, 4.0]) * k)
    x.grad.zero_()
    close(x.grad, [0, 0])
    (x * 5).sum().backward()
    close(x.grad, [5, 5])
    x.grad = None
    (x * 7).sum().backward()
    close(x.grad, [7, 7])


def test_leaf_used_several_times_sums_its_adjoints():
    x = vec(3.0)
    z = x * x + x * 4 + x.exp() + x
    z.sum().backward()
    close(x.grad, [2 * 3.0 + 4 + math.exp(3.0) + 1])


def test_diamond_graph_visits_shared_node_once_with_summed_adjoint():
    x = vec(0.5, -1.5)
    a = x.sin()
    b = a * 2
    c = a * a
    (b + c).sum().backward()
    xn = np.array([0.5, -1.5])
    close(x.grad, (2 + 2 * np.sin(xn)) * np.cos(xn))


# ---------------------------------------------------------------- retain_grad and the warning


def test_retain_grad_populates_non_leaf_grad():
    x = vec(1.0, 2.0)
    y = x * 3
    assert not y.retains_grad
    y.retain_grad()
    assert y.retains_grad
    z = (y * y).sum()
    z.backward()
    close(y.grad, [6.0, 12.0])
    close(x.grad, [18.0, 36.0])
    # A leaf "retains" trivially; retain_grad on a leaf is a no-op.
    x.retain_grad()
    assert x.grad is not None


def test_reading_grad_of_non_leaf_warns():
    x = vec(1.0, 2.0)
    y = x * 2
    with pytest.warns(UserWarning, match=NON_LEAF_GRAD_WARNING):
        assert y.grad is None
    y.sum().backward()
    with pytest.warns(UserWarning, match=NON_LEAF_GRAD_WARNING):
        assert y.grad is None


def test_no_warning_for_leaf_or_retained_or_non_requiring():
    x = vec(1.0, 2.0)
    y = x * 2
    y.retain_grad()
    c = vec(1.0, requires_grad=False) * 2  # computed, but a leaf (no grad needed)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert x.grad is None
        assert y.grad is None
        assert c.grad is None
        y.sum().backward()
        close(y.grad, [1, 1])
        close(x.grad, [2, 2])


# ---------------------------------------------------------------- backward() arguments


def test_backward_with_gradient_argument():
    x = vec(1.0, 2.0, 3.0)
    y = x * x
    y.backward(gradient=vec(1.0, 0.1, 0.01, requires_grad=False))
    close(x.grad, [2.0, 0.4, 0.06])


def test_backward_gradient_positional_and_on_matrix():
    x = cr.tensor([[1.0, 2.0], [3.0, 4.0]], dtype=cr.float64, requires_grad=True)
    y = x.exp()
    g = cr.tensor([[1.0, 0.0], [2.0, -1.0]], dtype=cr.float64)
    y.backward(g)
    close(x.grad, np.exp([[1.0, 2.0], [3.0, 4.0]]) * np.array([[1, 0], [2, -1]]))


def test_backward_gradient_shape_mismatch_raises():
    x = vec(1.0, 2.0, 3.0)
    with pytest.raises(RuntimeError, match="Mismatch in shape"):
        (x * 2).backward(cr.ones(4, dtype=cr.float64))


def test_non_scalar_backward_without_gradient_raises():
    x = vec(1.0, 2.0)
    with pytest.raises(RuntimeError, match=IMPLICIT_SCALAR):
        (x * 2).backward()
    assert x.grad is None


def test_one_element_non_scalar_output_seeds_ones():
    # Only numel() != 1 needs an explicit gradient: shape (1,) or (1, 1) is fine.
    x = vec(2.0)
    (x * x).backward()
    close(x.grad, [4.0])
    x2 = cr.tensor([[2.0]], dtype=cr.float64, requires_grad=True)
    (x2 * 3).backward()
    close(x2.grad, [[3.0]])


def test_backward_on_tensor_without_grad_fn_raises():
    with pytest.raises(RuntimeError, match=NO_GRAD_FN):
        cr.ones(3).sum().backward()
    with pytest.raises(RuntimeError, match=NO_GRAD_FN):
        cr.ones(3).backward(cr.ones(3))
    x = vec(1.0)
    with cr.no_grad():
        y = x * 2
    with pytest.raises(RuntimeError, match=NO_GRAD_FN):
        y.backward()


def test_backward_twice_raises_retain_graph_error():
    x = vec(1.0, 2.0)
    z = (x.exp() * x).sum()
    z.backward()
    with pytest.raises(RuntimeError, match=BACKWARD_TWICE):
        z.backward()


def test_backward_twice_through_shared_subgraph_raises():
    x = vec(1.0, 2.0)
    y = x.sin()
    z1 = (y * y).sum()
    z2 = (y * 3).sum()
    z1.backward()
    # y's node was freed by the first backward: going through it again must fail, not be wrong.
    with pytest.raises(RuntimeError, match=BACKWARD_TWICE):
        z2.backward()


def test_retain_graph_allows_second_backward_and_accumulates():
    x = vec(1.0, 2.0)
    z = (x.exp() * x).sum()
    z.backward(retain_graph=True)
    z.backward(retain_graph=True)
    z.backward()
    xn = np.array([1.0, 2.0])
    close(x.grad, 3 * (np.exp(xn) * xn + np.exp(xn)))
    with pytest.raises(RuntimeError, match=BACKWARD_TWICE):
        z.backward()


def test_backward_inputs_restricts_accumulation():
    x = vec(1.0, 2.0)
    w = vec(3.0, 4.0)
    z = (x * w).sum()
    z.backward(inputs=[x], retain_graph=True)
    close(x.grad, [3.0, 4.0])
    assert w.grad is None
    z.backward(inputs=w)  # a single tensor is accepted too
    close(w.grad, [1.0, 2.0])
    close(x.grad, [3.0, 4.0])


def test_backward_inputs_may_name_a_non_leaf():
    x = vec(1.0, 2.0)
    y = x * 2
    z = (y * y).sum()
    z.backward(inputs=[y])
    close(y.grad, [4.0, 8.0])
    assert x.grad is None


# ---------------------------------------------------------------- autograd.grad


def test_autograd_grad_returns_tuple_and_never_accumulates():
    x = vec(1.0, 2.0)
    w = vec(3.0, 4.0)
    z = (x * w).sum()
    gx, gw = cr.autograd.grad(z, [x, w])
    close(gx, [3.0, 4.0])
    close(gw, [1.0, 2.0])
    assert x.grad is None and w.grad is None
    (gx2,) = cr.autograd.grad((x * x).sum(), x)
    close(gx2, [2.0, 4.0])
    assert x.grad is None
    assert not gx.requires_grad


def test_autograd_grad_does_not_touch_existing_grad():
    x = vec(1.0, 2.0)
    (x * 10).sum().backward()
    (g,) = cr.autograd.grad((x * x).sum(), x)
    close(g, [2.0, 4.0])
    close(x.grad, [10.0, 10.0])


def test_autograd_grad_with_grad_outputs():
    x = vec(1.0, 2.0, 3.0)
    y = x * x
    (g,) = cr.autograd.grad(y, x, grad_outputs=vec(1.0, -1.0, 0.5, requires_grad=False))
    close(g, [2.0, -4.0, 3.0])
    # A list of outputs with a list of grad_outputs: contributions add up.
    x2 = vec(1.0, 2.0)
    a, b = x2 * 2, x2 * x2
    (g2,) = cr.autograd.grad(
        [a, b], [x2], grad_outputs=[cr.ones(2, dtype=cr.float64), cr.ones(2, dtype=cr.float64)]
    )
    close(g2, [2.0 + 2.0, 2.0 + 4.0])


def test_autograd_grad_non_scalar_without_grad_outputs_raises():
    x = vec(1.0, 2.0)
    with pytest.raises(RuntimeError, match=IMPLICIT_SCALAR):
        cr.autograd.grad(x * 2, x)


def test_autograd_grad_retain_graph():
    x = vec(1.0, 2.0)
    z = (x.sin() * x).sum()
    (g1,) = cr.autograd.grad(z, x, retain_graph=True)
    (g2,) = cr.autograd.grad(z, x)
    close(g1, g2.detach().numpy())
    with pytest.raises(RuntimeError, match=BACKWARD_TWICE):
        cr.autograd.grad(z, x)


def test_autograd_grad_allow_unused():
    x = vec(1.0, 2.0)
    unused = vec(5.0)
    with pytest.raises(RuntimeError, match=UNUSED):
        cr.autograd.grad((x * 2).sum(), [x, unused])
    gx, gu = cr.autograd.grad((x * 2).sum(), [x, unused], allow_unused=True)
    close(gx, [2.0, 2.0])
    assert gu is None


def test_autograd_grad_on_input_without_grad_raises():
    x = vec(1.0, 2.0)
    with pytest.raises(RuntimeError, match=NO_GRAD_FN):
        cr.autograd.grad(cr.ones(2).sum(), x)


# ---------------------------------------------------------------- grad_fn names and structure


def _mk():
    a = cr.tensor([[0.5, 1.5, 2.0], [1.0, 0.25, 3.0]], requires_grad=True)
    b = cr.tensor([[2.0, 1.0, 0.5], [0.5, 2.0, 1.0]], requires_grad=True)
    v = cr.tensor([1.0, 2.0, 3.0], requires_grad=True)
    return a, b, v


GRAD_FN_NAMES = [
    ("a + b", lambda a, b, v: a + b, "AddBackward0"),
    ("a + 1", lambda a, b, v: a + 1, "AddBackward0"),
    ("1 + a", lambda a, b, v: 1 + a, "AddBackward0"),
    ("a - b", lambda a, b, v: a - b, "SubBackward0"),
    ("a * b", lambda a, b, v: a * b, "MulBackward0"),
    ("2 * a", lambda a, b, v: 2 * a, "MulBackward0"),
    ("a / b", lambda a, b, v: a / b, "DivBackward0"),
    ("a / 2", lambda a, b, v: a / 2, "DivBackward0"),
    ("-a", lambda a, b, v: -a, "NegBackward0"),
    ("a ** 2", lambda a, b, v: a**2, "PowBackward0"),
    ("a ** b", lambda a, b, v: a**b, "PowBackward1"),
    ("exp", lambda a, b, v: a.exp(), "ExpBackward0"),
    ("log", lambda a, b, v: a.log(), "LogBackward0"),
    ("sin", lambda a, b, v: a.sin(), "SinBackward0"),
    ("cos", lambda a, b, v: a.cos(), "CosBackward0"),
    ("tanh", lambda a, b, v: a.tanh(), "TanhBackward0"),
    ("sigmoid", lambda a, b, v: a.sigmoid(), "SigmoidBackward0"),
    ("relu", lambda a, b, v: a.relu(), "ReluBackward0"),
    ("abs", lambda a, b, v: a.abs(), "AbsBackward0"),
    ("sqrt", lambda a, b, v: a.sqrt(), "SqrtBackward0"),
    ("sum", lambda a, b, v: a.sum(), "SumBackward0"),
    ("sum(dim)", lambda a, b, v: a.sum(dim=1), "SumBackward1"),
    ("mean", lambda a, b, v: a.mean(), "MeanBackward0"),
    ("mean(dim)", lambda a, b, v: a.mean(dim=0), "MeanBackward1"),
    ("max", lambda a, b, v: a.max(), "MaxBackward1"),
    ("max(dim)", lambda a, b, v: a.max(dim=1).values, "MaxBackward0"),
    ("prod", lambda a, b, v: a.prod(), "ProdBackward0"),
    ("cumsum", lambda a, b, v: a.cumsum(dim=1), "CumsumBackward0"),
    ("logsumexp", lambda a, b, v: a.logsumexp(dim=1), "LogsumexpBackward0"),
    ("dot", lambda a, b, v: cr.dot(v, v), "DotBackward0"),
    ("mv", lambda a, b, v: cr.mv(a, v), "MvBackward0"),
    ("mm", lambda a, b, v: cr.mm(a, b.T), "MmBackward0"),
    ("matmul 2-d", lambda a, b, v: a @ b.T, "MmBackward0"),
    ("cat", lambda a, b, v: cr.cat([a, b]), "CatBackward0"),
    ("stack", lambda a, b, v: cr.stack([a, b]), "StackBackward0"),
    ("where", lambda a, b, v: cr.where(a > 1, a, b), "WhereBackward0"),
    ("masked_fill", lambda a, b, v: a.masked_fill(a > 1, 0.0), "MaskedFillBackward0"),
    ("masked_fill(0-d)", lambda a, b, v: a.masked_fill(a > 1, v[0]), "MaskedFillBackward1"),
    (
        "masked_fill(const)",
        lambda a, b, v: a.masked_fill(a > 1, cr.tensor(0.0)),
        "MaskedFillBackward1",
    ),
    ("clamp", lambda a, b, v: a.clamp(0.5, 1.0), "ClampBackward1"),
    ("maximum", lambda a, b, v: cr.maximum(a, b), "MaximumBackward0"),
    ("view", lambda a, b, v: a.view(6), "ViewBackward0"),
    ("reshape", lambda a, b, v: a.reshape(3, 2), "ViewBackward0"),
    ("transpose", lambda a, b, v: a.transpose(0, 1), "TransposeBackward0"),
    ("permute", lambda a, b, v: a.permute(1, 0), "PermuteBackward0"),
    ("unsqueeze", lambda a, b, v: a.unsqueeze(0), "UnsqueezeBackward0"),
    ("expand", lambda a, b, v: v.expand(2, 3), "ExpandBackward0"),
    ("slice", lambda a, b, v: a[:, 1:], "SliceBackward0"),
    ("select", lambda a, b, v: a[1], "SelectBackward0"),
    ("index", lambda a, b, v: v[[0, 2]], "IndexBackward0"),
    ("clone", lambda a, b, v: a.clone(), "CloneBackward0"),
    ("norm", lambda a, b, v: v.norm(), "LinalgVectorNormBackward0"),
]


@pytest.mark.parametrize("label,fn,name", GRAD_FN_NAMES, ids=[g[0] for g in GRAD_FN_NAMES])
def test_grad_fn_names_follow_pytorch(label, fn, name):
    out = fn(*_mk())
    assert out.grad_fn.name() == name
    assert repr(out.grad_fn).startswith("<" + name)


def test_grad_fn_shows_in_repr():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    assert repr(x * 2) == "tensor([2., 4.], grad_fn=<MulBackward0>)"
    assert repr((x * 2).sum()) == "tensor(6., grad_fn=<SumBackward0>)"


def test_next_functions_accumulate_grad_for_leaves_and_none_for_constants():
    x = vec(1.0, 2.0)
    w = vec(3.0, 4.0)
    c = vec(1.0, 1.0, requires_grad=False)
    y = x * w
    nf = y.grad_fn.next_functions
    assert len(nf) == 2
    (nx, ix), (nw, iw) = nf
    assert ix == 0 and iw == 0
    assert "AccumulateGrad" in nx.name() and "AccumulateGrad" in nw.name()
    assert nx.variable is x and nw.variable is w
    # A constant operand has no node: (None, 0).
    (n0, _), (n1, i1) = (x * c).grad_fn.next_functions
    assert "AccumulateGrad" in n0.name()
    assert n1 is None and i1 == 0
    (m0, _), (m1, _) = (c * x).grad_fn.next_functions
    assert m0 is None and "AccumulateGrad" in m1.name()


def test_next_functions_chain():
    x = vec(1.0, 2.0)
    z = (x.exp() * 2).sum()
    sum_node = z.grad_fn
    assert sum_node.name() == "SumBackward0"
    mul_node = sum_node.next_functions[0][0]
    assert mul_node.name() == "MulBackward0"
    exp_node = mul_node.next_functions[0][0]
    assert exp_node.name() == "ExpBackward0"
    acc = exp_node.next_functions[0][0]
    assert "AccumulateGrad" in acc.name() and acc.variable is x
    assert acc.next_functions == ()


def test_next_functions_output_index_for_multi_output_node():
    class SinCos(cr.autograd.Function):
        @staticmethod
        def forward(ctx, t):
            ctx.save_for_backward(t)
            return t.sin(), t.cos()

        @staticmethod
        def backward(ctx, gs, gc):
            (t,) = ctx.saved_tensors
            return gs * t.cos() - gc * t.sin()

    x = vec(0.5, 1.0)
    s, c = SinCos.apply(x)
    z = s * c
    (ns, i_s), (nc, i_c) = z.grad_fn.next_functions
    assert ns is nc  # one node, two of its outputs
    assert ns.name() == "SinCosBackward"
    assert (i_s, i_c) == (0, 1)
    z.sum().backward()
    close(x.grad, np.cos(2 * np.array([0.5, 1.0])))


# ---------------------------------------------------------------- pruning


def test_backward_inputs_prunes_other_branches():
    calls = []
    x = vec(1.0, 2.0)
    w = vec(3.0, 4.0)
    a = x * 2
    b = w * 3
    b.register_hook(lambda g: calls.append("b"))
    w.register_hook(lambda g: calls.append("w"))
    (a * b).sum().backward(inputs=[x])
    close(x.grad, [18.0, 24.0])
    assert calls == [], "the branch leading only to w must not be visited"
    assert w.grad is None


def test_autograd_grad_prunes_other_branches():
    class Boom(cr.autograd.Function):
        @staticmethod
        def forward(ctx, t):
            return t * 1

        @staticmethod
        def backward(ctx, g):
            raise AssertionError("a branch that no requested input needs was visited")

    calls = []
    x = vec(1.0, 2.0)
    w = vec(3.0, 4.0)
    b = Boom.apply(w)
    b.register_hook(lambda g: calls.append("b"))
    z = (x * b).sum()
    (gx,) = cr.autograd.grad(z, x)
    close(gx, [3.0, 4.0])
    assert calls == []


def test_constant_branches_are_not_part_of_the_graph():
    class Boom(cr.autograd.Function):
        @staticmethod
        def forward(ctx, t):
            return t * 1

        @staticmethod
        def backward(ctx, g):
            raise AssertionError("a branch that needs no gradient was visited")

    x = vec(1.0, 2.0)
    c = Boom.apply(vec(3.0, 4.0, requires_grad=False))
    assert not c.requires_grad and c.grad_fn is None
    (x * c + c.exp()).sum().backward()
    close(x.grad, [3.0, 4.0])


# ---------------------------------------------------------------- create_graph and higher order


def d1_d2(fn, x0):
    x = cr.tensor(x0, dtype=cr.float64, requires_grad=True)
    y = fn(x)
    (g,) = cr.autograd.grad(y.sum(), x, create_graph=True)
    assert g.requires_grad and g.grad_fn is not None
    (h,) = cr.autograd.grad(g.sum(), x)
    return g, h


X0 = [-1.3, -0.2, 0.4, 1.1, 2.0]
XN = np.array(X0)
SECOND_ORDER = [
    ("x**3", lambda x: x**3, 3 * XN**2, 6 * XN),
    ("x*x*x", lambda x: x * x * x, 3 * XN**2, 6 * XN),
    ("x**4", lambda x: x**4, 4 * XN**3, 12 * XN**2),
    ("sin", lambda x: x.sin(), np.cos(XN), -np.sin(XN)),
    ("cos", lambda x: x.cos(), -np.sin(XN), -np.cos(XN)),
    ("exp", lambda x: x.exp(), np.exp(XN), np.exp(XN)),
    ("tanh", lambda x: x.tanh(), 1 - np.tanh(XN) ** 2, -2 * np.tanh(XN) * (1 - np.tanh(XN) ** 2)),
    (
        "sigmoid",
        lambda x: x.sigmoid(),
        1 / (1 + np.exp(-XN)) * (1 - 1 / (1 + np.exp(-XN))),
        (s := 1 / (1 + np.exp(-XN))) * (1 - s) * (1 - 2 * s),
    ),
    (
        "log(x^2+1)",
        lambda x: (x * x + 1).log(),
        2 * XN / (XN**2 + 1),
        (2 - 2 * XN**2) / (XN**2 + 1) ** 2,
    ),
    (
        "1/(x^2+1)",
        lambda x: 1 / (x * x + 1),
        -2 * XN / (XN**2 + 1) ** 2,
        (6 * XN**2 - 2) / (XN**2 + 1) ** 3,
    ),
    ("sqrt(x^2+1)", lambda x: (x * x + 1).sqrt(), XN / np.sqrt(XN**2 + 1), 1 / (XN**2 + 1) ** 1.5),
]


@pytest.mark.parametrize("label,fn,d1,d2", SECOND_ORDER, ids=[s[0] for s in SECOND_ORDER])
def test_second_derivatives(label, fn, d1, d2):
    g, h = d1_d2(fn, X0)
    close(g, d1, rtol=1e-10, atol=1e-12)
    close(h, d2, rtol=1e-10, atol=1e-12)


def test_third_derivative_of_x4():
    x = cr.tensor(X0, dtype=cr.float64, requires_grad=True)
    (g1,) = cr.autograd.grad((x**4).sum(), x, create_graph=True)
    (g2,) = cr.autograd.grad(g1.sum(), x, create_graph=True)
    (g3,) = cr.autograd.grad(g2.sum(), x)
    close(g3, 24 * XN, rtol=1e-12)


def test_mixed_partials_x_times_y():
    x = cr.tensor(1.5, dtype=cr.float64, requires_grad=True)
    y = cr.tensor(-2.0, dtype=cr.float64, requires_grad=True)
    f = x * y
    gx, gy = cr.autograd.grad(f, [x, y], create_graph=True)
    assert gx.item() == -2.0 and gy.item() == 1.5
    (dxy,) = cr.autograd.grad(gx, y, retain_graph=True)
    assert dxy.item() == 1.0
    dxx = cr.autograd.grad(gx, x, allow_unused=True)[0]
    assert dxx is None or dxx.item() == 0.0

    # f = x^2 y: d2f/dxdy = 2x, d2f/dx2 = 2y, d2f/dy2 = 0.
    f = x * x * y
    gx, gy = cr.autograd.grad(f, [x, y], create_graph=True)
    hxx, hxy = cr.autograd.grad(gx, [x, y], retain_graph=True)
    (hyx,) = cr.autograd.grad(gy, x)
    assert hxx.item() == 2 * -2.0
    assert hxy.item() == 2 * 1.5
    assert hyx.item() == 2 * 1.5


def test_hessian_vector_product_of_quadratic_form():
    rng = np.random.default_rng(3)
    An, xn, vn = rng.standard_normal((4, 4)), rng.standard_normal(4), rng.standard_normal(4)
    A = cr.tensor(An, dtype=cr.float64)
    x = cr.tensor(xn, dtype=cr.float64, requires_grad=True)
    f = x @ A @ x
    (g,) = cr.autograd.grad(f, x, create_graph=True)
    close(g, (An + An.T) @ xn, rtol=1e-12)
    (hv,) = cr.autograd.grad(g, x, grad_outputs=cr.tensor(vn, dtype=cr.float64))
    close(hv, (An + An.T) @ vn, rtol=1e-12)


def test_backward_create_graph_gives_grad_with_history():
    x = cr.tensor(X0, dtype=cr.float64, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # PyTorch warns about a possible reference cycle here
        (x**3).sum().backward(create_graph=True)
    g = x.grad
    assert g.requires_grad and g.grad_fn is not None
    close(g, 3 * XN**2)
    x.grad = None
    g.sum().backward()
    close(x.grad, 6 * XN)


def test_create_graph_implies_retain_graph():
    x = cr.tensor(X0, dtype=cr.float64, requires_grad=True)
    z = (x.sin() * x).sum()
    cr.autograd.grad(z, x, create_graph=True)
    (g,) = cr.autograd.grad(z, x)  # graph was retained
    close(g, np.cos(XN) * XN + np.sin(XN))


def test_grad_without_create_graph_has_no_history():
    x = cr.tensor(X0, dtype=cr.float64, requires_grad=True)
    (x**3).sum().backward()
    assert not x.grad.requires_grad and x.grad.grad_fn is None
    (g,) = cr.autograd.grad((x**3).sum(), x)
    assert not g.requires_grad and g.grad_fn is None


def test_second_order_through_matmul_and_reductions():
    # f(w) = sum(tanh(X w)); H = X^T diag(-2 t (1 - t^2)) X with t = tanh(X w).
    rng = np.random.default_rng(4)
    Xn, wn, vn = rng.standard_normal((5, 3)), rng.standard_normal(3), rng.standard_normal(3)
    X = cr.tensor(Xn, dtype=cr.float64)
    w = cr.tensor(wn, dtype=cr.float64, requires_grad=True)
    (g,) = cr.autograd.grad((X @ w).tanh().sum(), w, create_graph=True)
    t = np.tanh(Xn @ wn)
    close(g, Xn.T @ (1 - t**2), rtol=1e-12)
    (hv,) = cr.autograd.grad(g, w, grad_outputs=cr.tensor(vn, dtype=cr.float64))
    H = Xn.T @ np.diag(-2 * t * (1 - t**2)) @ Xn
    close(hv, H @ vn, rtol=1e-10)


def test_masked_fill_refuses_a_value_with_dimensions():
    # PyTorch's error (the value was ignored: x came back unchanged)
    x = cr.ones(3)
    for f in (x.masked_fill, x.masked_fill_):
        with pytest.raises(
            RuntimeError,
            match=r"only supports a 0-dimensional value tensor, "
            r"but got tensor with 1 dimension\(s\)",
        ):
            f(cr.tensor([True, False, True]), cr.ones(3))
    assert x.tolist() == [1.0, 1.0, 1.0]
