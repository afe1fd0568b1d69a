"""Differential tests against torch.func: the same functions (written once with the names
both libraries share), the same float64 data with hypothesis-drawn shapes, through grad,
grad_and_value, vjp, jvp, jacrev, jacfwd, hessian and compositions; the results must have
the same pytree structure, shapes, dtypes and values. Misuse must raise what torch raises."""

from __future__ import annotations

import re
from collections import namedtuple

import numpy as np
import pytest
from func_helpers import assert_tree_close
from hypothesis import Phase, given, settings
from hypothesis import strategies as st

import chainrule as cr
import chainrule.func as CF

torch = pytest.importorskip("torch")
TF = pytest.importorskip("torch.func")


class S(tuple):
    """An input's shape in an input template (a plain tuple there is a pytree node)."""


def _tree_map(fn, tree):
    if isinstance(tree, S):
        return fn(tree)
    if isinstance(tree, dict):
        return {k: _tree_map(fn, v) for k, v in tree.items()}
    if isinstance(tree, (tuple, list)) and not hasattr(tree, "_fields"):
        return type(tree)(_tree_map(fn, v) for v in tree)
    if hasattr(tree, "_fields"):  # a namedtuple
        return type(tree)(*(_tree_map(fn, v) for v in tree))
    return fn(tree)


def _leaves(tree) -> list:
    out = []
    _tree_map(lambda x: out.append(x), tree)
    return out


def _convert(tree, lib):
    """A tree of NumPy arrays as tensors of ``lib`` (float64)."""
    if lib is torch:
        return _tree_map(lambda a: torch.from_numpy(np.array(a, dtype=np.float64)), tree)
    return _tree_map(lambda a: cr.tensor(np.array(a, dtype=np.float64), dtype=cr.float64), tree)


def _like(tree, gen):
    """Random NumPy arrays shaped like the tensors of ``tree``."""
    return _tree_map(lambda t: gen.normal(size=tuple(t.shape)), tree)


# --------------------------------------------------------------------------- the functions


def f_tanh_wx(m, W, x):
    return (W @ x).tanh()


def f_broadcast(m, a, b):
    return a.exp() * b.sin() + a / (1 + b * b)


def f_matmul(m, A, B):
    return (A @ B).sigmoid() * A.sum()


def f_index_reshape(m, x):
    r, c = x.shape
    return (x[:, :1] * x.reshape(c, r).T.flip(0)).cumsum(dim=1)


def f_reductions(m, x):
    return m.cat([x.sum(dim=0) ** 2, x.mean(dim=1).exp(), x.logsumexp(dim=0)])


def f_dict_in_tuple_out(m, p, x):
    return (x @ p["w"] + p["b"]).tanh(), (x * p["w"]).sum()


def f_list_out(m, x, y):
    return [x * y, m.stack([x.sin(), y.cos()])]


def f_norms(m, x):
    return (x * x + 1).sqrt() * x.norm() - x.abs().mean()


# name: (function, input template from drawn sizes (a, b, c))
CASES = {
    "tanh_Wx": (f_tanh_wx, lambda a, b, c: [S((a, b)), S((b,))]),
    "broadcast": (f_broadcast, lambda a, b, c: [S((a, 1)), S((1, b))]),
    "matmul": (f_matmul, lambda a, b, c: [S((a, b)), S((b, c))]),
    "index_reshape": (f_index_reshape, lambda a, b, c: [S((a, b))]),
    "reductions": (f_reductions, lambda a, b, c: [S((a, b))]),
    "dict_in_tuple_out": (
        f_dict_in_tuple_out,
        lambda a, b, c: [{"w": S((b,)), "b": S(())}, S((a, b))],
    ),
    "list_out": (f_list_out, lambda a, b, c: [S((b,)), S((b,))]),
    "norms": (f_norms, lambda a, b, c: [S((a, b))]),
}


def _scalar(m, out):
    """A scalar of every output leaf, nonlinear so that Hessians are not trivial."""
    total = None
    for leaf in _leaves(out):
        s = (leaf * leaf.tanh()).sum()
        total = s if total is None else total + s
    return total


def _run(transform, lib, fn, args, argnums, gen_seed):
    """Apply ``transform`` with ``lib`` (torch or chainrule) and return a pytree of
    results. Random cotangents/tangents are drawn from ``gen_seed`` so both libraries
    get the same ones."""
    m = torch if lib == "torch" else cr
    F = TF if lib == "torch" else CF
    f = lambda *a: fn(m, *a)
    s = lambda *a: _scalar(m, fn(m, *a))
    gen = np.random.default_rng(gen_seed)
    if transform == "grad":
        return F.grad(s, argnums=argnums)(*args)
    if transform == "grad_and_value":
        return F.grad_and_value(s, argnums=argnums)(*args)
    if transform == "vjp":
        out, vjp_fn = F.vjp(f, *args)
        ct = _convert(_like(out, gen), m)
        return out, vjp_fn(ct)
    if transform == "jvp":
        tangents = _convert(_like(tuple(args), gen), m)
        return F.jvp(f, tuple(args), tangents)
    if transform == "jacrev":
        return F.jacrev(f, argnums=argnums)(*args)
    if transform == "jacfwd":
        return F.jacfwd(f, argnums=argnums)(*args)
    if transform == "hessian":
        return F.hessian(s)(*args)
    if transform == "jacrev_jacfwd":
        return F.jacrev(F.jacfwd(s))(*args)
    if transform == "jacrev_jacrev":
        return F.jacrev(F.jacrev(f))(*args)
    if transform == "jvp_of_grad":
        tangents = _convert(_like((args[0],), gen), m)
        return F.jvp(lambda x: F.grad(s)(x, *args[1:]), (args[0],), tangents)
    raise AssertionError(transform)


TRANSFORMS = (
    "grad",
    "grad_and_value",
    "vjp",
    "jvp",
    "jacrev",
    "jacfwd",
    "hessian",
    "jacrev_jacfwd",
    "jacrev_jacrev",
    "jvp_of_grad",
)


@pytest.mark.parametrize("transform", TRANSFORMS)
@pytest.mark.parametrize("case", sorted(CASES))
# no shrinking: the drawn sizes are already small, and a failure should stay quick to report
@settings(max_examples=6, phases=(Phase.explicit, Phase.reuse, Phase.generate))
@given(
    sizes=st.tuples(st.integers(1, 3), st.integers(1, 3), st.integers(1, 3)),
    seed=st.integers(0, 2**16),
    all_args=st.booleans(),
)
def test_same_as_torch_func(case, transform, sizes, seed, all_args):
    fn, template = CASES[case]
    gen = np.random.default_rng(seed)
    data = _tree_map(lambda shape: gen.uniform(-1.2, 1.2, size=shape), template(*sizes))
    argnums = tuple(range(len(data))) if all_args and len(data) > 1 else 0
    want = _run(transform, "torch", fn, _convert(data, torch), argnums, seed + 1)
    got = _run(transform, "chainrule", fn, _convert(data, cr), argnums, seed + 1)
    assert_tree_close(got, want, rtol=1e-9, atol=1e-11)


def test_namedtuple_inputs_are_pytrees_as_in_torch():
    P = namedtuple("P", "a b")
    data = P(np.array([0.5, -1.0]), np.array([2.0, 0.25]))
    f = lambda p: (p.a * p.b.exp()).sum()
    want = TF.grad(f)(_convert(data, torch))
    got = CF.grad(f)(_convert(data, cr))
    assert_tree_close(got, want)


def test_grad_closure_over_a_parameter_as_torch():
    """torch.func.grad's result stays differentiable in a closed-over tensor that
    requires grad (the outer autograd level)."""
    gen = np.random.default_rng(3)
    W0, x0 = gen.normal(size=(3, 2)), gen.normal(size=(2,))
    res = {}
    for name, m, F in (("torch", torch, TF), ("cr", cr, CF)):
        W = _convert(W0, m).requires_grad_()
        g = F.grad(lambda x, W=W: (W @ x).tanh().sum())(_convert(x0, m))
        assert g.requires_grad
        (g * g).sum().backward()
        res[name] = (g.detach(), W.grad)
    assert_tree_close(res["cr"], res["torch"], rtol=1e-10, atol=1e-12)


def _c(m):
    return _convert(np.array([0.5, -1.5]), m)


# calls that are legal but easy to get wrong: outputs that do not depend on the inputs,
# unused arguments, vjp_fn called twice
EDGES = {
    "grad of a constant": lambda m, F: F.grad(lambda a: m.tensor(1.0, dtype=m.float64))(_c(m)),
    "grad of an unused argument": lambda m, F: F.grad(lambda a, b: b.sum())(_c(m), _c(m)),
    "jacrev of a constant": lambda m, F: F.jacrev(lambda a: m.ones(3, dtype=m.float64))(_c(m)),
    "jacfwd of a constant": lambda m, F: F.jacfwd(lambda a: m.ones(3, dtype=m.float64))(_c(m)),
    "jvp of a constant": lambda m, F: F.jvp(
        lambda a: m.ones(3, dtype=m.float64), (_c(m),), (_c(m),)
    ),
    "jacrev of the identity": lambda m, F: F.jacrev(lambda a: a)(_c(m)),
    "jacfwd of the identity": lambda m, F: F.jacfwd(lambda a: a)(_c(m)),
    "vjp_fn twice": lambda m, F: (lambda fn: (fn(_c(m)), fn(2 * _c(m))))(
        F.vjp(lambda a: a.exp() * a, _c(m))[1]
    ),
    "jacrev of a 0-d input": lambda m, F: F.jacrev(lambda a: m.stack([a.sin(), a * a]))(
        _convert(np.array(0.3), m)
    ),
    "jacfwd of a 0-d output": lambda m, F: F.jacfwd(lambda a: (a * a).sum())(_c(m)),
    "grad_and_value has_aux": lambda m, F: F.grad_and_value(
        lambda a: ((a * a).sum(), {"c": a.cos()}), has_aux=True
    )(_c(m)),
}


@pytest.mark.parametrize("name", sorted(EDGES))
def test_edge_cases_as_torch(name):
    assert_tree_close(EDGES[name](cr, CF), EDGES[name](torch, TF))


def test_jacobian_torch_layout_is_torch_func_jacrev():
    gen = np.random.default_rng(11)
    data = [gen.normal(size=(3, 2)), gen.normal(size=(2,))]
    want = TF.jacrev(lambda W, x: f_tanh_wx(torch, W, x), argnums=(0, 1))(*_convert(data, torch))
    for mode in ("forward", "reverse", "auto"):
        got = CF.jacobian(lambda W, x: f_tanh_wx(cr, W, x), *_convert(data, cr), mode=mode)
        assert_tree_close(got, want, rtol=1e-12, atol=1e-14)


# --------------------------------------------------------------------------- misuse

X = np.array([1.0, 2.0])
XI = np.array([1, 2])


def _x(m):
    return _convert(X, m)


def _xi(m):
    return m.tensor(XI.tolist())


AUX = r"output of function f should be a tuple: \(output, aux\) if has_aux is True"

# name, call(m, F), None to compare the whole message or a regex both messages match
ERRORS = [
    ("grad non-scalar", lambda m, F: F.grad(m.sin)(_x(m)), None),
    ("grad returns non-tensor", lambda m, F: F.grad(lambda a: 3.0)(_x(m)), None),
    ("grad argnums out of range", lambda m, F: F.grad(lambda a: a.sum(), argnums=1)(_x(m)), None),
    (
        "grad negative argnums out of range",
        lambda m, F: F.grad(lambda a: a.sum(), argnums=-2)(_x(m)),
        None,
    ),
    ("grad empty argnums", lambda m, F: F.grad(lambda a: a.sum(), argnums=())(_x(m)), None),
    (
        "grad argnums of floats",
        lambda m, F: F.grad(lambda a: a.sum(), argnums=(0.5,))(_x(m)),
        None,
    ),
    ("jacrev argnums out of range", lambda m, F: F.jacrev(m.sin, argnums=2)(_x(m)), None),
    ("jacfwd argnums out of range", lambda m, F: F.jacfwd(m.sin, argnums=2)(_x(m)), None),
    ("jvp primals a list", lambda m, F: F.jvp(m.sin, [_x(m)], (_x(m),)), None),
    ("jvp primals a tensor", lambda m, F: F.jvp(m.sin, _x(m), (_x(m),)), None),
    (
        "jvp tangents a list",
        lambda m, F: F.jvp(m.sin, (_x(m),), [_x(m)]),
        "same python structure",
    ),
    (
        "jvp tangents of another structure",
        lambda m, F: F.jvp(m.sin, (_x(m),), (_x(m), _x(m))),
        "same python structure",
    ),
    (
        "jvp tangent of another size",
        lambda m, F: F.jvp(m.sin, (_x(m),), (m.ones(3, dtype=m.float64),)),
        None,
    ),
    ("grad has_aux not a tuple", lambda m, F: F.grad(lambda a: a.sum(), has_aux=True)(_x(m)), None),
    (
        "grad has_aux a 3-tuple",
        lambda m, F: F.grad(lambda a: (a.sum(), a, a), has_aux=True)(_x(m)),
        None,
    ),
    ("vjp has_aux not a tuple", lambda m, F: F.vjp(m.sin, _x(m), has_aux=True), None),
    ("jvp has_aux not a tuple", lambda m, F: F.jvp(m.sin, (_x(m),), (_x(m),), has_aux=True), None),
    ("jacrev has_aux not a tuple", lambda m, F: F.jacrev(m.sin, has_aux=True)(_x(m)), AUX),
    ("jacfwd has_aux not a tuple", lambda m, F: F.jacfwd(m.sin, has_aux=True)(_x(m)), AUX),
    (
        "grad aux not tensors",
        lambda m, F: F.grad(lambda a: (a.sum(), 3), has_aux=True)(_x(m)),
        None,
    ),
    ("grad integer input", lambda m, F: F.grad(lambda a: a.sum())(_xi(m)), None),
    ("vjp integer input", lambda m, F: F.vjp(lambda a: a * 2, _xi(m)), None),
    ("jacrev integer input", lambda m, F: F.jacrev(lambda a: a * 2)(_xi(m)), None),
    ("jacfwd integer input", lambda m, F: F.jacfwd(lambda a: a * 2)(_xi(m)), None),
    ("jvp integer input", lambda m, F: F.jvp(lambda a: a * 2, (_xi(m),), (_xi(m),)), None),
    ("vjp non-tensor output", lambda m, F: F.vjp(lambda a: 3.0, _x(m)), "(?i)tensors"),
    ("jacrev non-tensor output", lambda m, F: F.jacrev(lambda a: 3.0)(_x(m)), "(?i)tensors"),
    ("jacfwd non-tensor output", lambda m, F: F.jacfwd(lambda a: 3.0)(_x(m)), "(?i)tensors"),
    (
        "vjp cotangents of another structure",
        lambda m, F: F.vjp(lambda a: (a, a), _x(m))[1]((_x(m),)),
        "Expected pytree structure of cotangents to be the same as pytree structure of "
        "outputs to the function",
    ),
    (
        "vjp cotangent of another shape",
        lambda m, F: F.vjp(lambda a: a * 1, _x(m))[1](m.ones(3, dtype=m.float64)),
        None,
    ),
]


def _raised(call, m, F):
    with pytest.raises(Exception) as e:
        call(m, F)
    return e.value


@pytest.mark.parametrize("call,key", [e[1:] for e in ERRORS], ids=[e[0] for e in ERRORS])
def test_misuse_raises_as_torch(call, key):
    want = _raised(call, torch, TF)
    got = _raised(call, cr, CF)
    assert type(got).__name__ == type(want).__name__, (got, want)
    if key is None:
        assert str(got) == str(want)
    else:
        assert re.search(key, str(want)), f"the test's key does not match torch: {want}"
        assert re.search(key, str(got)), str(got)
