"""Second derivatives of the derivative table: ``chainrule.autograd.gradgradcheck``.

gradgradcheck differentiates the vjp itself: the rules run on Tensors under
``create_graph=True`` (TensorNS), so the backward pass is recorded, and its Jacobian (with
respect to the inputs and to the incoming gradient) is compared with finite differences.
Every elementwise case of tests/ops/test_gradcheck_table.py is checked, and one case or
more of every reduction, shape, indexing and linear-algebra primitive, on small shapes
(numel <= 6), float64, with the same value domains (away from kinks and poles).

``index_grad`` and ``put_along`` exist only inside backward (the vjps of x[idx] and of
gather / max(dim)); they are checked here, where backward is itself differentiated.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_gradcheck_table import (
    BACKWARD_ONLY,
    CASES,
    DISTINCT,
    NO_DERIVATIVE,
    NONZERO,
    REAL,
    draw_check,
    graph_prims,
    shapes,
)

import chainrule as cr
from chainrule.autograd import grad, gradgradcheck
from chainrule.ops import REGISTRY, elementwise

SMALL = 6

# Primitives declared in elementwise.py, and the in-place writes of Tensor methods
ELEMENTWISE = {
    p.name for p in vars(elementwise).values() if isinstance(p, type(REGISTRY["exp"]))
} | {"fill", "zero", "copy", "fill_tensor", "fill_data"}

# Not twice differentiable: standard_gamma's gradient (standard_gamma_grad) has no
# derivative, as in PyTorch (svdvals is now: its rule differentiates through svd_u/svd_vh);
# scatter_reduce's prod: its rule's coefficients are computed on the values (ops/scatter.py)
NO_SECOND_ORDER = {"standard_gamma", "scatter_reduce_prod"}

# float32 round trip: finite differences in float32 are too coarse for a second derivative
SKIP_LABELS = {"float32 round trip"}


def _representative(cases):
    """All elementwise cases; of the other primitives, every case (they are few per
    primitive), except those without a second derivative."""
    out = []
    for c in cases:
        if c.prim in NO_SECOND_ORDER or c.label in SKIP_LABELS or not c.second_order:
            continue
        out.append(c)
    return out


GG_CASES = _representative(CASES)


@pytest.mark.parametrize("case", GG_CASES, ids=[c.id for c in GG_CASES])
@given(data=st.data())
def test_gradgradcheck(case, data):
    fn, leaves = draw_check(case, data, SMALL)
    assert gradgradcheck(fn, leaves, **case.tol)


def test_every_elementwise_primitive_is_gradgradchecked():
    differentiable = {n for n, p in REGISTRY.items() if p.vjp is not None}
    covered = {c.prim for c in GG_CASES}
    missing = (ELEMENTWISE & differentiable) - covered - NO_DERIVATIVE - BACKWARD_ONLY
    assert not missing, f"elementwise primitives without a gradgradcheck: {sorted(missing)}"


def test_most_primitives_are_gradgradchecked():
    """Beyond elementwise: every differentiable primitive but the documented exceptions."""
    differentiable = {n for n, p in REGISTRY.items() if p.vjp is not None}
    covered = {c.prim for c in GG_CASES} | BACKWARD_ONLY
    missing = differentiable - covered - NO_SECOND_ORDER - NO_DERIVATIVE
    assert not missing, f"primitives without a gradgradcheck: {sorted(missing)}"


def test_svdvals_second_derivative_matches_torch():
    """Reverse over reverse through singular values (matrix 2-norm, nuclear norm)."""
    torch = pytest.importorskip("torch")
    a = [[2.0, 0.3, -0.4], [0.1, 1.0, 0.5]]
    grads = []
    for m in (cr, torch):
        x = m.tensor(a, dtype=m.float64, requires_grad=True)
        s = m.linalg.svdvals(x)
        (g,) = m.autograd.grad(
            (s**3).sum() + m.linalg.matrix_norm(x, ord="nuc"), x, create_graph=True
        )
        (g.sin().sum()).backward()
        grads.append(x.grad.numpy() if m is cr else x.grad.detach().numpy())
    np.testing.assert_allclose(grads[0], grads[1], rtol=1e-10, atol=1e-12)


# ------------------------------------------- primitives that only backward applies


def _index_repeats(data):
    s = data.draw(shapes(min_dims=1, max_numel=SMALL))
    ii = data.draw(st.lists(st.integers(0, s[0] - 1), min_size=1, max_size=4))
    idx = cr.tensor(ii)
    return (lambda x: x[idx]), s, REAL


def _select(data):
    s = data.draw(shapes(min_dims=1, max_numel=SMALL))
    i = data.draw(st.integers(-s[0], s[0] - 1))
    return (lambda x: x[i]), s, REAL


def _slice(data):
    s = data.draw(shapes(min_dims=1, max_numel=SMALL))
    return (lambda x: x[..., ::2]), s, REAL


def _mask(data):
    s = data.draw(shapes(min_dims=1, max_numel=SMALL))
    m = cr.from_numpy(np.arange(int(np.prod(s))).reshape(s) % 2 == 0)
    return (lambda x: x[m]), s, REAL


def _gather(data):
    s = data.draw(shapes(min_dims=1, max_numel=SMALL))
    d = data.draw(st.integers(0, len(s) - 1))
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    idx = cr.from_numpy(np.argsort(rng.random(s), axis=d))  # a permutation: no repeats
    return (lambda x: cr.gather(x, d, idx)), s, REAL


def _gather_repeats(data):
    s = data.draw(shapes(min_dims=1, max_numel=SMALL))
    d = data.draw(st.integers(0, len(s) - 1))
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    idx = cr.from_numpy(rng.integers(0, s[d], size=s))
    return (lambda x: cr.gather(x, d, idx)), s, REAL


def _max_dim(data):
    s = data.draw(shapes(min_dims=1, max_numel=SMALL))
    d = data.draw(st.integers(-len(s), len(s) - 1))
    keep = data.draw(st.booleans())
    return (lambda x: x.max(dim=d, keepdim=keep).values), s, DISTINCT


def _relu(data):
    return cr.relu, data.draw(shapes(min_dims=0, max_numel=SMALL)), NONZERO


def _min_dim(data):
    s = data.draw(shapes(min_dims=1, max_numel=SMALL))
    d = data.draw(st.integers(-len(s), len(s) - 1))
    return (lambda x: cr.min(x, d)[0]), s, DISTINCT


BACKWARD_CASES = [
    ("index_grad", "x[int tensor with repeats]", _index_repeats),
    ("index_grad", "x[i]", _select),
    ("index_grad", "x[..., ::2]", _slice),
    ("index_grad", "x[mask]", _mask),
    ("put_along", "gather(dim, permutation)", _gather),
    ("put_along", "gather(dim, index with repeats)", _gather_repeats),
    ("put_along", "max(dim).values", _max_dim),
    ("put_along", "min(x, dim)[0]", _min_dim),
    ("threshold_backward", "relu", _relu),
]


@pytest.mark.parametrize(
    "prim,label,make", BACKWARD_CASES, ids=[f"{p}:{lab}" for p, lab, _ in BACKWARD_CASES]
)
@settings(max_examples=10)
@given(data=st.data())
def test_backward_only_primitive(prim, label, make, data):
    """The create_graph backward of these ops records ``prim``; gradgradcheck then checks
    ``prim``'s own rule (the derivative of the first-order gradient in its seed)."""
    fn, s, dom = make(data)
    x = cr.from_numpy(np.asarray(data.draw(dom(s)), dtype=np.float64)).requires_grad_()
    out = fn(x)
    seed = cr.from_numpy(np.ones(out.shape)).requires_grad_()
    (g,) = grad(out, x, seed, create_graph=True)
    assert prim in graph_prims(g), f"{label}: backward records {sorted(graph_prims(g))}"
    assert gradgradcheck(fn, (x,))


def test_backward_only_primitives_are_all_covered():
    assert {p for p, _, _ in BACKWARD_CASES} == BACKWARD_ONLY
    assert BACKWARD_ONLY <= {n for n, p in REGISTRY.items() if p.vjp is not None}


# ------------------------------------------------------ a few second derivatives by hand


def test_second_derivatives_closed_form():
    """d2/dx2 of a few table entries, against the formulas (not only finite differences)."""
    a = np.array([0.3, 0.7, 1.4])
    cases = [
        (cr.exp, np.exp(a)),
        (cr.sin, -np.sin(a)),
        (cr.tanh, -2 * np.tanh(a) * (1 - np.tanh(a) ** 2)),
        (cr.log, -1 / a**2),
        (cr.sqrt, -0.25 * a**-1.5),
        (cr.sigmoid, (s := 1 / (1 + np.exp(-a))) * (1 - s) * (1 - 2 * s)),
        (lambda x: x**3, 6 * a),
        (cr.reciprocal, 2 / a**3),
    ]
    for f, expected in cases:
        x = cr.tensor(a, dtype=cr.float64, requires_grad=True)
        (g,) = grad(f(x).sum(), x, create_graph=True)
        (h,) = grad(g.sum(), x)
        np.testing.assert_allclose(h.numpy(), expected, rtol=1e-12, atol=1e-14)
