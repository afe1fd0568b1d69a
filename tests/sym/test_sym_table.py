"""Every case of the derivative table's gradcheck (tests/ops/test_gradcheck_table.py),
built as an explicit graph: its value, its gradient graph (sym.grad, reverse), its
tangent graph (sym.jvp, forward) and their optimized graphs, bound to the drawn inputs,
equal eager chainrule's values and autograd's gradients; the generated function that
``sym.function`` lowers each of them to equals the interpreter bitwise.

Functions that look at values before their primitive hold what they find as nodes
(argsort, argmax, the windows' maxima) or check it when the graph is evaluated;
in-place ops make a new node per write (tests/sym/test_sym_inplace.py). The few cases
that are not explicit graphs are listed in ``NOT_SYMBOLIC``: each must still refuse with
a clear error, never a wrong number.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "ops"))
from test_gradcheck_table import CASES  # noqa: E402

import chainrule as cr  # noqa: E402
from chainrule import sym  # noqa: E402

# case ids whose function does not build a symbolic graph: a random draw made from the
# data by the case itself (standard_gamma's quantiles, NumPy on the values), and a tensor
# with data written with a symbolic value (index_put's "value only" draw: refused, as a
# write that its other views could not see; its "both" draw is a graph)
# median/nanmedian/mode along a dim and cummax/cummin read their indices from the values
# eagerly (NumPy's stable order, libstdc++'s nth_element, counts): refused in graphs;
# scatter_reduce's prod, whose rule computes its coefficients on the values (ops/scatter.py)
NOT_SYMBOLIC_PRIMS = {
    "index_put",
    "standard_gamma",
    "median_dim",
    "nanmedian_dim",
    "mode",
    "cummax",
    "cummin",
    "scatter_reduce_prod",
}


def _bindings(vars_, arrays):
    return {v: a for v, a in zip(vars_, arrays, strict=True)}


def _build(case, data):
    fn, arrays = case.draw(data, 12)
    arrays = [np.array(a, dtype=np.float64, order="C") for a in arrays]  # (0-d stays 0-d)
    vars_ = [sym.var(f"x{i}", a.shape, cr.float64) for i, a in enumerate(arrays)]
    return fn, arrays, vars_


def _close(a, b, what):
    a = np.asarray(a.detach().numpy() if isinstance(a, cr.Tensor) else a)
    b = np.asarray(b.detach().numpy() if isinstance(b, cr.Tensor) else b)
    assert a.shape == b.shape, f"{what}: shape {a.shape} vs {b.shape}"
    np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12, err_msg=what)


def _lowered(vars_, outs, values, what):
    """The generated function (a sym.function's second call for a signature) equals the
    interpreter running the optimized graph: bitwise (NaN and the sign of zero aside)."""
    f = sym.function(vars_, outs)
    f(*values)  # the first call lowers
    got = f(*values)
    want = sym.function(vars_, sym.optimize(outs), lower=False)(*values)
    got, want = (got, want) if isinstance(outs, (list, tuple)) else ((got,), (want,))
    assert len(f.lowerings) == 1, what
    for a, b in zip(got, want, strict=True):
        a, b = a.detach().numpy(), b.detach().numpy()
        assert a.dtype == b.dtype and a.shape == b.shape, what
        np.testing.assert_array_equal(a, b, err_msg=f"{what}: lowered vs interpreted")
    return got


SYMBOLIC = [c for c in CASES if c.prim not in NOT_SYMBOLIC_PRIMS]


@pytest.mark.parametrize("case", SYMBOLIC, ids=[c.id for c in SYMBOLIC])
@settings(max_examples=1)
@given(data=st.data())
def test_symbolic_equals_eager(case, data):
    fn, arrays, vars_ = _build(case, data)
    out = fn(*vars_)
    assert isinstance(out, sym.Symbol), case.id
    leaves = [cr.from_numpy(a.copy()).requires_grad_() for a in arrays]
    eager = fn(*leaves)
    # the value, and the value of the optimized graph
    env = _bindings(vars_, arrays)
    _close(out.eval(env), eager, f"{case.id}: value")
    _close(sym.optimize(out).eval(env), eager, f"{case.id}: optimized value")
    _lowered(vars_, out, arrays, f"{case.id}: value")
    cplx = eager.dtype.is_complex  # (eig's values: a complex cotangent, as PyTorch's)
    if not (eager.dtype.is_floating_point or cplx) or not eager.requires_grad:
        return
    # reverse: the gradient graphs with a cotangent variable g
    gshape = tuple(eager.shape)
    g = sym.var("g", gshape, cr.complex128 if cplx else cr.float64)
    gv = np.asarray(
        data.draw(st.lists(st.floats(-2, 2), min_size=eager.numel(), max_size=eager.numel())),
        dtype=np.float64,
    )
    if cplx:
        gv = gv + 1j * np.sin(np.arange(gv.size))
    gv = gv.reshape(gshape)
    want = cr.autograd.grad(eager, leaves, cr.from_numpy(gv.copy()), allow_unused=True)
    grads = sym.grad(out, vars_, grad_outputs=g)
    f = sym.function([*vars_, g], grads)
    fo = sym.function([*vars_, g], sym.optimize(grads))
    got, goto = f(*arrays, gv), fo(*arrays, gv)
    gotl = _lowered([*vars_, g], grads, [*arrays, gv], f"{case.id}: grads")
    for i, w in enumerate(want):
        w = np.zeros(arrays[i].shape) if w is None else w
        _close(got[i], w, f"{case.id}: grad {i}")
        _close(goto[i], w, f"{case.id}: optimized grad {i}")
        _close(gotl[i], w, f"{case.id}: lowered grad {i}")
    # forward: the tangent graph along each input's tangent variable
    ts = [sym.var(f"t{i}", a.shape, cr.float64) for i, a in enumerate(arrays)]
    tan = sym.jvp(out, dict(zip(vars_, ts, strict=True)))
    tvals = [np.cos(np.arange(a.size, dtype=np.float64)).reshape(a.shape) for a in arrays]
    with cr.autograd.forward_ad.dual_level():
        duals = [
            cr.autograd.forward_ad.make_dual(cr.from_numpy(a.copy()), cr.from_numpy(t))
            for a, t in zip(arrays, tvals, strict=True)
        ]
        want_t = cr.autograd.forward_ad.unpack_dual(fn(*duals)).tangent
    if want_t is None:
        want_t = np.zeros(gshape, np.complex128 if cplx else np.float64)
    _close(sym.function([*vars_, *ts], tan)(*arrays, *tvals), want_t, f"{case.id}: jvp")
    tl = _lowered([*vars_, *ts], tan, [*arrays, *tvals], f"{case.id}: jvp")
    _close(tl[0], want_t, f"{case.id}: lowered jvp")


NOT_SYMBOLIC = [c for c in CASES if c.prim in NOT_SYMBOLIC_PRIMS]


@pytest.mark.parametrize("case", NOT_SYMBOLIC, ids=[c.id for c in NOT_SYMBOLIC])
@settings(max_examples=2)
@given(data=st.data())
def test_not_symbolic_refuses_clearly(case, data):
    """A case outside explicit graphs either raises an error or gives the right value
    (some draws take a path that is symbolic): never a wrong number."""
    fn, arrays, vars_ = _build(case, data)
    try:
        out = fn(*vars_)
    except (TypeError, AttributeError, RuntimeError, NotImplementedError, ValueError) as e:
        assert str(e), case.id  # an error with a message (PyTorch's own, or sym's)
        return
    eager = fn(*[cr.from_numpy(a.copy()) for a in arrays])
    _close(out.eval(_bindings(vars_, arrays)), eager, f"{case.id}: value")
