"""Pytrees through the transforms: dicts, tuples and lists of tensors as inputs and outputs
of grad, vjp, jvp, jacrev and jacfwd (argnums an int or a tuple), and has_aux. Results keep
the caller's structure (types, keys and their order); values are checked against finite
differences or closed forms."""

from __future__ import annotations

import numpy as np
import pytest
from func_helpers import assert_tree_close, fd_jacobian, np_of, t64

from chainrule.func import grad, grad_and_value, jacfwd, jacrev, jvp, vjp

rng = np.random.default_rng(5)


def _r(*shape):
    return t64(rng.uniform(-1, 1, size=shape))


def loss(params, x):
    """A scalar of a nested dict of parameters and an input."""
    W, b = params["layer"]
    h = (W @ x + b).tanh()
    return (h * params["scale"]).sum() + params["extra"]["c"] ** 2


def _params():
    return {"layer": [_r(3, 2), _r(3)], "scale": _r(), "extra": {"c": _r()}}


def _fd_tree(f, tree, *rest):
    """Finite-difference gradient of scalar f(tree, *rest) with respect to every leaf of
    a dict/list tree, returned in the same structure."""
    if isinstance(tree, dict):
        return {k: _fd_tree(lambda v, *r, k=k: f({**tree, k: v}, *r), tree[k], *rest) for k in tree}
    if isinstance(tree, (list, tuple)):
        out = [
            _fd_tree(
                lambda v, *r, i=i: f(
                    type(tree)(v if j == i else t for j, t in enumerate(tree)), *r
                ),
                t,
                *rest,
            )
            for i, t in enumerate(tree)
        ]
        return type(tree)(out)
    return fd_jacobian(lambda v: f(v, *rest), tree)[0]


def test_grad_of_a_nested_dict():
    params, x = _params(), _r(2)
    g = grad(loss)(params, x)
    assert_tree_close(g, _fd_tree(loss, params, x), rtol=1e-6, atol=1e-8)
    assert list(g) == ["layer", "scale", "extra"] and isinstance(g["layer"], list)


def test_grad_argnums_tuple_and_int():
    params, x = _params(), _r(2)
    gp, gx = grad(loss, argnums=(0, 1))(params, x)
    assert_tree_close(gp, _fd_tree(loss, params, x), rtol=1e-6, atol=1e-8)
    (ref_x,) = fd_jacobian(lambda x: loss(params, x), x)
    np.testing.assert_allclose(np_of(gx), ref_x, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(np_of(grad(loss, argnums=1)(params, x)), np_of(gx))
    np.testing.assert_allclose(np_of(grad(loss, argnums=-1)(params, x)), np_of(gx))
    (gx1,) = grad(loss, argnums=(1,))(params, x)  # a 1-tuple stays a tuple
    np.testing.assert_allclose(np_of(gx1), np_of(gx))


@pytest.mark.parametrize("kind", (tuple, list))
def test_grad_of_a_sequence(kind):
    a, b = _r(3), _r(3)
    f = lambda ab: (ab[0] * ab[1].exp()).sum()
    g = grad(f)(kind([a, b]))
    assert type(g) is kind and len(g) == 2
    np.testing.assert_allclose(np_of(g[0]), np.exp(np_of(b)), rtol=1e-12)
    np.testing.assert_allclose(np_of(g[1]), np_of(a) * np.exp(np_of(b)), rtol=1e-12)


def _multi(d, pair):
    """dict and tuple in, dict (holding a list) out."""
    a = d["a"]
    y, z = pair
    return {"s": (a * y).sin(), "t": [(a.sum() * z).tanh(), z.exp()]}


def test_vjp_with_trees_in_and_out():
    a, y, z = _r(3), _r(3), _r(2)
    out, vjp_fn = vjp(_multi, {"a": a}, (y, z))
    assert_tree_close(out, _multi({"a": a}, (y, z)))
    ct = {"s": _r(3), "t": [_r(2), _r(2)]}
    gd, gpair = vjp_fn(ct)
    assert isinstance(gd, dict) and list(gd) == ["a"]
    assert isinstance(gpair, tuple) and len(gpair) == 2

    def scalar(a, y, z):
        o = _multi({"a": a}, (y, z))
        return (
            (o["s"] * ct["s"]).sum()
            + (o["t"][0] * ct["t"][0]).sum()
            + (o["t"][1] * ct["t"][1]).sum()
        )

    ra, ry, rz = fd_jacobian(scalar, a, y, z)
    np.testing.assert_allclose(np_of(gd["a"]), ra, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(np_of(gpair[0]), ry, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(np_of(gpair[1]), rz, rtol=1e-6, atol=1e-8)


def test_jvp_with_trees_in_and_out():
    a, y, z = _r(3), _r(3), _r(2)
    ta, ty, tz = _r(3), _r(3), _r(2)
    out, tan = jvp(_multi, ({"a": a}, (y, z)), ({"a": ta}, (ty, tz)))
    assert_tree_close(out, _multi({"a": a}, (y, z)))
    assert isinstance(tan, dict) and list(tan) == ["s", "t"] and isinstance(tan["t"], list)
    eps = 1e-6

    def at(s):
        return _multi({"a": a + s * ta}, (y + s * ty, z + s * tz))

    hi, lo = at(eps), at(-eps)
    want = {
        "s": (np_of(hi["s"]) - np_of(lo["s"])) / (2 * eps),
        "t": [(np_of(hi["t"][i]) - np_of(lo["t"][i])) / (2 * eps) for i in range(2)],
    }
    assert_tree_close(tan, want, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("jac", (jacrev, jacfwd), ids=("jacrev", "jacfwd"))
def test_jacobians_with_trees_in_and_out(jac):
    a, y, z = _r(3), _r(3), _r(2)
    d, pair = {"a": a}, (y, z)
    J0 = jac(_multi)(d, pair)  # argnums=0: each output leaf holds a dict like d
    J01 = jac(_multi, argnums=(0, 1))(d, pair)  # each output leaf holds (dict, tuple)
    J1 = jac(_multi, argnums=1)(d, pair)

    outs = {"s": lambda o: o["s"], "t0": lambda o: o["t"][0], "t1": lambda o: o["t"][1]}
    ref = {
        k: fd_jacobian(lambda a, y, z, g=g: g(_multi({"a": a}, (y, z))), a, y, z)
        for k, g in outs.items()
    }
    want0 = {"s": {"a": ref["s"][0]}, "t": [{"a": ref["t0"][0]}, {"a": ref["t1"][0]}]}
    assert_tree_close(J0, want0, rtol=1e-6, atol=1e-8)
    want1 = {
        "s": (ref["s"][1], ref["s"][2]),
        "t": [(ref["t0"][1], ref["t0"][2]), (ref["t1"][1], ref["t1"][2])],
    }
    assert_tree_close(J1, want1, rtol=1e-6, atol=1e-8)
    want01 = {
        "s": ({"a": ref["s"][0]}, (ref["s"][1], ref["s"][2])),
        "t": [
            ({"a": ref["t0"][0]}, (ref["t0"][1], ref["t0"][2])),
            ({"a": ref["t1"][0]}, (ref["t1"][1], ref["t1"][2])),
        ],
    }
    assert_tree_close(J01, want01, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("jac", (jacrev, jacfwd), ids=("jacrev", "jacfwd"))
def test_jacobian_shapes_follow_each_leaf(jac):
    """Each Jacobian leaf has shape out_leaf.shape + in_leaf.shape."""
    x, M = _r(2), _r(3, 4)
    J = jac(lambda t: (t[0].sum() * t[1], t[1][0] * t[0][1]), argnums=0)((x, M))
    assert isinstance(J, tuple) and len(J) == 2
    assert [tuple(j.shape) for j in J[0]] == [(3, 4, 2), (3, 4, 3, 4)]
    assert [tuple(j.shape) for j in J[1]] == [(4, 2), (4, 3, 4)]


# --------------------------------------------------------------------------- has_aux


def _with_aux(x):
    y = (x * x).sum()
    return y, {"norm": x.norm(), "parts": [x.sin(), x.cos()]}


def _check_aux(aux, x):
    assert isinstance(aux, dict) and list(aux) == ["norm", "parts"]
    np.testing.assert_allclose(aux["norm"].item(), np.linalg.norm(np_of(x)), rtol=1e-12)
    np.testing.assert_allclose(np_of(aux["parts"][0]), np.sin(np_of(x)), rtol=1e-12)
    assert not aux["norm"].requires_grad and not aux["parts"][0].requires_grad


def test_grad_has_aux():
    x = _r(3)
    g, aux = grad(_with_aux, has_aux=True)(x)
    np.testing.assert_allclose(np_of(g), 2 * np_of(x), rtol=1e-12)
    _check_aux(aux, x)
    g2, (value, aux2) = grad_and_value(_with_aux, has_aux=True)(x)
    np.testing.assert_allclose(np_of(g2), np_of(g))
    np.testing.assert_allclose(value.item(), (np_of(x) ** 2).sum(), rtol=1e-12)
    _check_aux(aux2, x)


def test_vjp_has_aux():
    x = _r(3)
    out, vjp_fn, aux = vjp(lambda x: (x.exp(), x.sum()), x, has_aux=True)
    np.testing.assert_allclose(np_of(out), np.exp(np_of(x)), rtol=1e-12)
    np.testing.assert_allclose(aux.item(), np_of(x).sum(), rtol=1e-12)
    (g,) = vjp_fn(t64([1.0, 2.0, 3.0]))
    np.testing.assert_allclose(np_of(g), np.exp(np_of(x)) * [1, 2, 3], rtol=1e-12)


@pytest.mark.parametrize("jac", (jacrev, jacfwd), ids=("jacrev", "jacfwd"))
def test_jacobian_has_aux(jac):
    x = _r(3)
    J, aux = jac(lambda x: (x.sin(), {"c": x.cos()}), has_aux=True)(x)
    np.testing.assert_allclose(np_of(J), np.diag(np.cos(np_of(x))), rtol=1e-12)
    assert list(aux) == ["c"]
    np.testing.assert_allclose(np_of(aux["c"]), np.cos(np_of(x)), rtol=1e-12)
    (Jx, Jy), aux = jac(lambda x, y: (x * y, (y,)), argnums=(0, 1), has_aux=True)(x, x.cos())
    np.testing.assert_allclose(np_of(Jx), np.diag(np.cos(np_of(x))), rtol=1e-12)
    np.testing.assert_allclose(np_of(Jy), np.diag(np_of(x)), rtol=1e-12)
    assert isinstance(aux, tuple) and len(aux) == 1


def test_jvp_has_aux():
    x, t = _r(3), _r(3)
    out, tan, aux = jvp(lambda x: (x.exp(), [x * 2]), (x,), (t,), has_aux=True)
    np.testing.assert_allclose(np_of(out), np.exp(np_of(x)), rtol=1e-12)
    np.testing.assert_allclose(np_of(tan), np.exp(np_of(x)) * np_of(t), rtol=1e-12)
    assert isinstance(aux, list)
    np.testing.assert_allclose(np_of(aux[0]), 2 * np_of(x), rtol=1e-12)
