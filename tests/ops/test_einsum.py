"""einsum and tensordot (chainrule.functions.einsum): composites over bmm/mm, mul, sum and
views, so their gradients are the table's. Checked here on random equations drawn with
hypothesis (operands with repeated indices, ellipses that broadcast, 0-d operands,
implicit and explicit outputs, one to three operands): values against NumPy's einsum,
gradients by gradcheck in reverse and forward mode, second order by gradgradcheck. With
PyTorch installed, the same equations (size-1 indices broadcasting too) against torch:
values, dtypes, shapes, strides, grad_fn names, gradients; and PyTorch's error texts."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import chainrule as cr
from chainrule.autograd import gradcheck, gradgradcheck


@pytest.fixture(scope="module")
def torch():
    torch = pytest.importorskip("torch")
    # chainrule contracts left to right, as PyTorch does without the opt_einsum package;
    # where that package is installed (JAX brings it), PyTorch reorders the contractions
    # and its layouts (is_contiguous) differ: the reference is PyTorch's own order
    oe = torch.backends.opt_einsum
    was = oe.enabled
    oe.enabled = False
    yield torch
    oe.enabled = was


rng = np.random.default_rng(12)


@st.composite
def equations(draw, max_ops: int = 3, broadcast_labels: bool = False, max_size: int = 3):
    """(equation, operand shapes): up to ``max_ops`` operands over the indices a-e, each
    with up to 3 of them (repeats take diagonals), some with an ellipsis (its dims
    broadcast: a size may be 1); the output implicit, or explicit in a random order.
    ``broadcast_labels``: an index may also have size 1 in some operands (PyTorch's
    einsum broadcasts it; NumPy's does not)."""
    letters = "abcde"
    size = {c: draw(st.integers(1, max_size)) for c in letters}
    ell = draw(st.lists(st.integers(1, max_size), max_size=2)) if draw(st.booleans()) else None
    subs, shapes, used, any_ell = [], [], [], False
    for _ in range(draw(st.integers(1, max_ops))):
        labels = draw(st.lists(st.sampled_from(letters), max_size=3))
        dims = []
        for c in labels:
            one = broadcast_labels and c not in labels[: labels.index(c)] and draw(st.booleans())
            dims.append(1 if one and labels.count(c) == 1 else size[c])
        used += labels
        if ell is not None and draw(st.booleans()):
            any_ell = True
            k = draw(st.integers(0, len(ell)))
            edims = [draw(st.sampled_from([d, 1])) for d in ell[len(ell) - k :]]
            at = draw(st.integers(0, len(labels)))
            subs.append("".join(labels[:at]) + "..." + "".join(labels[at:]))
            shapes.append(tuple(dims[:at] + edims + dims[at:]))
        else:
            subs.append("".join(labels))
            shapes.append(tuple(dims))
    eq = ",".join(subs)
    if draw(st.booleans()):  # explicit output: some of the indices, in any order
        out = draw(st.permutations(sorted(set(used))))
        out = out[: draw(st.integers(0, len(out)))]
        if any_ell:  # NumPy wants the ellipsis in the output
            at = draw(st.integers(0, len(out)))
            out = out[:at] + ["..."] + out[at:]
        eq += "->" + "".join(out)
    return eq, shapes


def _arrays(shapes, dtype=np.float64):
    return [rng.standard_normal(s).astype(dtype) for s in shapes]


# ----------------------------------------------------------------- without PyTorch


@given(equations())
def test_einsum_values_as_numpy(case):
    eq, shapes = case
    arrays = _arrays(shapes)
    got = cr.einsum(eq, *[cr.tensor(a) for a in arrays])
    want = np.einsum(eq, *arrays)
    assert got.shape == want.shape and got.dtype == cr.float64
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-10, atol=1e-12)
    # the list form gives the same
    np.testing.assert_allclose(cr.einsum(eq, [cr.tensor(a) for a in arrays]).numpy(), want)


@settings(max_examples=15)
@given(equations(max_size=2))
def test_einsum_gradcheck_reverse_and_forward(case):
    eq, shapes = case
    xs = [cr.tensor(a, requires_grad=True) for a in _arrays(shapes)]
    assert gradcheck(lambda *ts: cr.einsum(eq, *ts), xs, check_forward_ad=True)


@settings(max_examples=8)
@given(equations(max_ops=2, max_size=2))
def test_einsum_gradgradcheck(case):
    eq, shapes = case
    xs = [cr.tensor(a, requires_grad=True) for a in _arrays(shapes)]
    assert gradgradcheck(lambda *ts: cr.einsum(eq, *ts), xs)


@pytest.mark.parametrize(
    "eq,shapes",
    [
        ("ij,jk->ik", [(2, 3), (3, 4)]),
        ("bij,bjk->bik", [(2, 2, 3), (2, 3, 2)]),
        ("ii->i", [(3, 3)]),
        ("...ij,...j->...i", [(2, 1, 3, 2), (4, 2)]),
        ("i,j", [(3,), (2,)]),
        ("bn,anm,bm->ba", [(2, 3), (2, 3, 2), (2, 2)]),
    ],
)
def test_einsum_second_order_forward_over_reverse(eq, shapes):
    xs = [cr.tensor(a, requires_grad=True) for a in _arrays(shapes)]
    assert gradgradcheck(lambda *ts: cr.einsum(eq, *ts), xs, check_fwd_over_rev=True)


def test_einsum_sublist_format_and_spaces():
    a, b = _arrays([(2, 3), (3, 4)])
    want = a @ b
    A, B = cr.tensor(a), cr.tensor(b)
    np.testing.assert_allclose(cr.einsum(A, [0, 1], B, [1, 2], [0, 2]).numpy(), want)
    np.testing.assert_allclose(cr.einsum(A, [0, 1], B, [1, 2]).numpy(), want)
    np.testing.assert_allclose(cr.einsum(" i j , j k -> i k ", A, B).numpy(), want)
    x = cr.tensor(_arrays([(2, 3, 4)])[0])
    moved = np.moveaxis(x.numpy(), 2, 0)
    np.testing.assert_allclose(cr.einsum(x, [..., 1], [1, ...]).numpy(), moved)
    with pytest.raises(ValueError, match=r"not within the valid range \[0, 52\)"):
        cr.einsum(A, [0, 52])


def test_einsum_contracts_with_one_batched_product_per_pair():
    """A contraction is a bmm over the shared dims, not a broadcast product of all of them."""
    a = cr.tensor(_arrays([(4, 5, 6)])[0], requires_grad=True)
    b = cr.tensor(_arrays([(6, 5, 7)])[0], requires_grad=True)
    r = cr.einsum("ijk,kjl->il", a, b)
    names, todo, seen = set(), [r.grad_fn], set()
    while todo:
        n = todo.pop()
        if n is None or id(n) in seen:
            continue
        seen.add(id(n))
        names.add(type(n).__name__)
        todo.extend(f for f, _ in n.next_functions)
    assert "BmmBackward0" in names and "MulBackward0" not in names
    np.testing.assert_allclose(
        r.detach().numpy(), np.einsum("ijk,kjl->il", a.detach().numpy(), b.detach().numpy())
    )


@given(st.data())
def test_tensordot_as_numpy_with_gradients(data):
    n_keep_a = data.draw(st.integers(0, 2))
    n_keep_b = data.draw(st.integers(0, 2))
    n_con = data.draw(st.integers(0, 2))
    con = [data.draw(st.integers(1, 3)) for _ in range(n_con)]
    ka = [data.draw(st.integers(1, 3)) for _ in range(n_keep_a)]
    kb = [data.draw(st.integers(1, 3)) for _ in range(n_keep_b)]
    pa = data.draw(st.permutations(range(n_keep_a + n_con)))  # where a's dims go
    pb = data.draw(st.permutations(range(n_keep_b + n_con)))
    shape_a = [0] * len(pa)
    shape_b = [0] * len(pb)
    for i, s in enumerate(ka + con):
        shape_a[pa[i]] = s
    for i, s in enumerate(con + kb):
        shape_b[pb[i]] = s
    dims_a = [pa[n_keep_a + i] for i in range(n_con)]
    dims_b = [pb[i] for i in range(n_con)]
    a, b = _arrays([tuple(shape_a), tuple(shape_b)])
    want = np.tensordot(a, b, axes=(dims_a, dims_b))
    A = cr.tensor(a, requires_grad=True)
    B = cr.tensor(b, requires_grad=True)
    got = cr.tensordot(A, B, dims=(dims_a, dims_b))
    np.testing.assert_allclose(got.detach().numpy(), want, rtol=1e-10, atol=1e-12)
    got = cr.tensordot(A, B, dims=cr.tensor([dims_a, dims_b]) if n_con > 1 else (dims_a, dims_b))
    np.testing.assert_allclose(got.detach().numpy(), want, rtol=1e-10, atol=1e-12)
    f = lambda x, y: cr.tensordot(x, y, dims=(dims_a, dims_b))  # noqa: E731
    assert gradcheck(f, (A, B), check_forward_ad=True)


def test_tensordot_int_dims_and_second_order():
    a, b = _arrays([(2, 3, 4), (3, 4, 2)])
    A, B = cr.tensor(a, requires_grad=True), cr.tensor(b, requires_grad=True)
    for n in (0, 1, 2):
        if n == 1:
            continue  # (4 against 3)
        np.testing.assert_allclose(
            cr.tensordot(A, B, n).detach().numpy(), np.tensordot(a, b, n), rtol=1e-12
        )
    np.testing.assert_allclose(
        cr.tensordot(A, B, cr.tensor(2)).detach().numpy(), np.tensordot(a, b, 2)
    )
    assert gradgradcheck(lambda x, y: cr.tensordot(x, y), (A, B), check_fwd_over_rev=True)


# ------------------------------------------------------------------- against PyTorch


def _both(torch, shapes, dtype="float64"):
    arrays = _arrays(shapes, dtype)
    return [cr.from_numpy(a.copy()) for a in arrays], [torch.from_numpy(a.copy()) for a in arrays]


def _check_same(ours, theirs, rtol=1e-10):
    assert tuple(ours.shape) == tuple(theirs.shape)
    assert str(ours.dtype) == str(theirs.dtype)
    np.testing.assert_allclose(
        ours.detach().numpy().astype(float),
        theirs.detach().numpy().astype(float),
        rtol=rtol,
        atol=1e-12,
    )


@settings(max_examples=40)
@given(equations(max_ops=4, broadcast_labels=True))
def test_einsum_as_torch(torch, case):
    """Values, dtype, shape, grad_fn name and gradients of every operand. (Not the strides:
    where a product broadcasts, chainrule's mul lays its result out as NumPy does, which
    can differ from PyTorch's TensorIterator; the fixed cases below pin bmm's layouts.)"""
    eq, shapes = case
    ours, theirs = _both(torch, shapes)
    for t in ours + theirs:
        t.requires_grad_()
    r, ref = cr.einsum(eq, *ours), torch.einsum(eq, *theirs)
    _check_same(r, ref)
    assert type(r.grad_fn).__name__ == type(ref.grad_fn).__name__, eq
    g = rng.standard_normal(tuple(ref.shape))
    gs = cr.autograd.grad(r, ours, cr.tensor(g), allow_unused=True)
    ref_gs = torch.autograd.grad(ref, theirs, torch.tensor(g), allow_unused=True)
    for a, b in zip(gs, ref_gs, strict=True):
        assert (a is None) == (b is None)
        if a is not None:
            _check_same(a, b)


@pytest.mark.parametrize(
    "eq,shapes",
    [
        ("ij,jk->ik", [(2, 3), (3, 4)]),
        ("ij,jk", [(2, 3), (3, 4)]),
        ("ij,jk->ki", [(2, 3), (3, 4)]),
        ("i,i->", [(3,), (3,)]),
        ("i,j->ij", [(3,), (4,)]),
        ("ii->i", [(3, 3)]),
        ("ii", [(3, 3)]),
        ("ij->ji", [(3, 4)]),
        ("ji", [(3, 4)]),
        ("ij->", [(3, 4)]),
        ("ij->ij", [(3, 4)]),
        ("...ij->...ji", [(2, 3, 4)]),
        ("iij->j", [(3, 3, 4)]),
        ("->", [()]),
        (",->", [(), ()]),
        ("i,->i", [(3,), ()]),
        ("Ij,jK", [(2, 3), (3, 4)]),
        ("aB,Ba", [(2, 3), (3, 2)]),
        ("ij,jk->ik", [(2, 0), (0, 4)]),
        ("ij,jk->ik", [(0, 3), (3, 4)]),
        ("ii->", [(0, 0)]),
        ("i,i->i", [(1,), (3,)]),
        ("...,...->...", [(2, 1), (3,)]),
        ("bij,bjk->bik", [(1, 2, 3), (4, 3, 2)]),
        ("ijk,jkl,lm->im", [(2, 3, 4), (3, 4, 2), (2, 5)]),
        ("aa...", [(2, 2, 3, 4)]),  # a diagonal before the ellipsis
        ("ab...a,b", [(2, 3, 4, 5, 2), (3,)]),
        ("a,b...", [(2,), (3, 2)]),
    ],
)
def test_einsum_fixed_cases_as_torch(torch, eq, shapes):
    ours, theirs = _both(torch, shapes)
    r, ref = cr.einsum(eq, *ours), torch.einsum(eq, *theirs)
    _check_same(r, ref)
    assert r.is_contiguous() == ref.is_contiguous()
    for t in ours + theirs:
        t.requires_grad_()
    r, ref = cr.einsum(eq, *ours), torch.einsum(eq, *theirs)
    assert type(r.grad_fn).__name__ == type(ref.grad_fn).__name__


@pytest.mark.parametrize(
    "dtypes",
    [
        ("int64", "int64"),
        ("int32", "int32"),
        ("float32", "float32"),
        ("float16", "float16"),
        ("bool", "bool"),
        ("float32", "float64"),
    ],
)
@pytest.mark.parametrize("eq", ["i,j->ij", "ij->", "ij,jk->ik", "ii"])
def test_einsum_dtypes_as_torch(torch, eq, dtypes):
    shapes = {"i,j->ij": [(2,), (3,)], "ij->": [(2, 3)], "ij,jk->ik": [(2, 3), (3, 2)]}.get(
        eq, [(3, 3)]
    )
    arrays = [rng.integers(-3, 4, s).astype(dt) for s, dt in zip(shapes, dtypes, strict=False)]
    ours, theirs = (
        outcome(lambda: cr.einsum(eq, *map(cr.from_numpy, arrays))),
        outcome(lambda: torch.einsum(eq, *map(torch.from_numpy, arrays))),
    )
    assert ours[0] == theirs[0]
    if ours[0] == "ok":
        _check_same(ours[1], theirs[1], rtol=1e-3)
    else:
        assert ours == theirs


def outcome(call):
    try:
        return ("ok", call())
    except Exception as e:  # compared with PyTorch's
        return ("error", type(e).__name__, str(e))


EINSUM_ERRORS = [
    ("ij,jk->ik", [(2, 3)]),
    ("ij->ik", [(2, 3), (3, 4)]),
    ("ij", [(2, 3), (3, 4)]),
    ("ijk,jk->ik", [(2, 3), (3, 4)]),
    ("i,jk->ik", [(2, 3), (3, 4)]),
    ("ij,jk->iK1", [(2, 3), (3, 4)]),
    ("ij,jk->ii", [(2, 3), (3, 4)]),
    ("ij,jk->iz", [(2, 3), (3, 4)]),
    ("i1,jk->ik", [(2, 3), (3, 4)]),
    ("ij,kk->ik", [(2, 3), (3, 4)]),
    ("ij,ik->jk", [(2, 3), (3, 4)]),
    ("..ij,jk->ik", [(2, 3), (3, 4)]),
    ("i...j...,jk->ik", [(2, 3), (3, 4)]),
    ("ij,jk->i..k", [(2, 3), (3, 4)]),
    ("ij,jk->i...k...", [(2, 3), (3, 4)]),
    ("ij,jk->i-k", [(2, 3), (3, 4)]),
    ("ij,jk->->ik", [(2, 3), (3, 4)]),
    ("ij,jk,->ik", [(2, 3), (3, 4)]),
    ("", [(2, 3)]),
    ("i->", [()]),
    ("ß", [(3,)]),
    ("é,i", [(3,), (3,)]),
    ("ij,jk->IK", [(2, 3), (3, 4)]),
    ("ii->i", [(2, 3)]),
    ("i,i->i", [(2,), (3,)]),
    ("...,...->...", [(2,), (3,)]),
    ("...ij,...jk", [(5, 2, 3), (4, 3, 2)]),
    ("ij...k", [(2, 3)]),
    ("ij...,jk", [(2, 3), (3, 4, 1)]),
]


@pytest.mark.parametrize("eq,shapes", EINSUM_ERRORS)
def test_einsum_errors_as_torch(torch, eq, shapes):
    ours, theirs = _both(torch, shapes, "float32")
    got, want = outcome(lambda: cr.einsum(eq, *ours)), outcome(lambda: torch.einsum(eq, *theirs))
    assert want[0] == "error", want
    assert got == want


@pytest.mark.parametrize(
    "call",
    [
        lambda m: m.einsum("ij", []),
        lambda m: m.einsum("ij,jk->ik"),
        lambda m: m.einsum("ij,jk->ik", m.ones(2, 3), 3),
        lambda m: m.einsum(3, m.ones(2, 3)),
        lambda m: m.einsum("ij,jk->ik", [m.ones(2, 3), m.ones(3, 4)], m.ones(3, 4)),
        lambda m: m.einsum("ij,jk->ik", m.ones(2, 3), m.ones(3, 4, dtype=m.float64)),
        lambda m: m.einsum("ij,jk->ik", m.ones(2, 3), m.ones(3, 4, dtype=m.int64)),
        lambda m: m.einsum("ij,jk->ik", m.ones(2, 3, dtype=m.bool), m.ones(3, 4, dtype=m.bool)),
        lambda m: m.einsum(m.ones(2, 3), [0, 52]),
    ],
)
def test_einsum_argument_errors_as_torch(torch, call):
    got, want = outcome(lambda: call(cr)), outcome(lambda: call(torch))
    assert want[0] == "error", want
    assert got == want


@pytest.mark.parametrize(
    "dims",
    [
        2,
        0,
        ([1, 2], [0, 1]),
        [[1, 2], [0, 1]],
        ([-2], [0]),
        ([], []),
        "tensor([[1, 2], [0, 1]])",
        "tensor(2)",
        "tensor([2])",
        "tensor([[1], [0]])",
        "tensor(2.7)",
    ],
)
def test_tensordot_dims_forms_as_torch(torch, dims):
    ours, theirs = _both(torch, [(2, 3, 4), (3, 4, 5)])
    for t in ours + theirs:
        t.requires_grad_()
    d_ours = eval(dims, {"tensor": cr.tensor}) if isinstance(dims, str) else dims
    d_theirs = eval(dims, {"tensor": torch.tensor}) if isinstance(dims, str) else dims
    r, ref = cr.tensordot(*ours, dims=d_ours), torch.tensordot(*theirs, dims=d_theirs)
    _check_same(r, ref)
    assert type(r.grad_fn).__name__ == type(ref.grad_fn).__name__
    g = rng.standard_normal(tuple(ref.shape))
    gs = cr.autograd.grad(r, ours, cr.tensor(g))
    ref_gs = torch.autograd.grad(ref, theirs, torch.tensor(g))
    for a, b in zip(gs, ref_gs, strict=True):
        _check_same(a, b)


@pytest.mark.parametrize(
    "shapes,dims",
    [
        ([(2, 3, 4), (1, 4, 5)], ([1, 2], [0, 1])),
        ([(2, 1, 4), (3, 4, 5)], ([1, 2], [0, 1])),
        ([(), ()], 0),
        ([(), (3, 4)], 0),
        ([(3,), (3,)], 1),
        ([(0, 3), (3, 2)], 1),
        ([(2, 0), (0, 2)], 1),
    ],
)
def test_tensordot_edge_shapes_as_torch(torch, shapes, dims):
    ours, theirs = _both(torch, shapes)
    _check_same(cr.tensordot(*ours, dims=dims), torch.tensordot(*theirs, dims=dims))


T = lambda m, *s, dt=None: m.ones(s, dtype=None if dt is None else getattr(m, dt))  # noqa: E731


@pytest.mark.parametrize(
    "call",
    [
        lambda m: m.tensordot(T(m, 2, 3, 4), T(m, 3, 4, 5), dims=(1, 0)),
        lambda m: m.tensordot(T(m, 2, 3, 4), T(m, 3, 4, 5), dims=m.tensor([1, 0])),
        lambda m: m.tensordot(T(m, 2, 3, 4), T(m, 3, 4, 5), dims=m.tensor([[1, 2, 0], [0, 1, 2]])),
        lambda m: m.tensordot(T(m, 2, 3, 4), T(m, 3, 4, 5), dims=-1),
        lambda m: m.tensordot(T(m, 2, 3, 4), T(m, 3, 4, 5), dims=4),
        lambda m: m.tensordot(T(m, 2, 3, 4), T(m, 3, 4, 5), dims=3),
        lambda m: m.tensordot(T(m, 2, 3, 4), T(m, 3, 4, 5), dims=1),
        lambda m: m.tensordot(T(m, 2, 3, 4), T(m, 3, 4, 5), dims=m.tensor(-1)),
        lambda m: m.tensordot(T(m, 2, 3, 4), T(m, 3, 4, 5), dims=True),
        lambda m: m.tensordot(T(m, 2, 3, 4), T(m, 3, 4, 5), dims=1.5),
        lambda m: m.tensordot(T(m, 2, 3, 4), T(m, 3, 4, 5), dims="x"),
        lambda m: m.tensordot(T(m, 2, 3, 4), T(m, 3, 4, 5), dims=([1, 2], [0])),
        lambda m: m.tensordot(T(m, 2, 3, 4), T(m, 3, 4, 5), dims=([1, 2], [0, 2])),
        lambda m: m.tensordot(T(m, 2, 3, 4), T(m, 3, 4, 5), dims=([1, 5], [0, 1])),
        lambda m: m.tensordot(T(m, 2, 3, 4), T(m, 3, 4, 5), dims=([1, 1], [0, 0])),
        lambda m: m.tensordot(T(m, 2, 3, 4), T(m, 3, 4, 5), dims=([1, 2, 0],)),
        lambda m: m.tensordot(T(m, 2, 3, 4), T(m, 3, 4, 5, dt="float64"), dims=([1, 2], [0, 1])),
        lambda m: m.tensordot(T(m, 2, 3, 4, dt="bool"), T(m, 3, 4, 5, dt="bool")),
        lambda m: m.tensordot(T(m, 3), 3, dims=1),
        lambda m: m.tensordot(3, T(m, 3), dims=1),
        lambda m: m.tensordot(T(m, 3), 3, dims=([0], [0])),
        lambda m: m.tensordot(
            T(m, 2, 3, 4), T(m, 3, 4, 5), dims=(m.tensor([1, 2]), m.tensor([0, 1]))
        ),
        lambda m: m.tensordot(T(m, 2, 3, 4), T(m, 3, 4, 5), dims=[]),
        lambda m: m.tensordot(T(m, 2, 3, 4), T(m, 3, 4, 5), dims=(1, 0, 2)),
        lambda m: m.tensordot(T(m, 2, 3, 4), T(m, 3, 4, 5), dims=m.tensor([[1.0, 2], [0, 1]])),
        lambda m: m.tensordot(
            T(m, 2, 3, 4), T(m, 3, 4, 5), dims=m.tensor([[1, 2], [0, 1], [0, 1]])
        ),
        lambda m: m.tensordot(T(m, 2, 3, 4), T(m, 3, 4, 5), dims=m.tensor([], dtype=m.int64)),
    ],
)
def test_tensordot_errors_as_torch(torch, call):
    got, want = outcome(lambda: call(cr)), outcome(lambda: call(torch))
    assert want[0] == "error", want
    assert got == want


# ----------------------------------------------------------------- on the GPU backend


def test_einsum_and_tensordot_on_cuda_give_the_cpus_values_and_gradients(monkeypatch):
    """Through the backend seam: real CuPy where there is a GPU, else the stand-in that
    refuses NumPy's functions (tests/_fakecupy.py)."""
    import _fakecupy

    from chainrule import backend

    real = backend.cupy_or_none()
    if real is None or getattr(real, "FAKE", False):
        _fakecupy.install(monkeypatch, n_devices=1)
    arrays = _arrays([(2, 3, 3), (3, 4), (2, 4)])
    results = []
    for dev in ("cpu", "cuda"):
        a, b, c = (cr.tensor(x, device=dev, requires_grad=True) for x in arrays)
        r = cr.einsum("bii,ij,bj->b", a, b, c) + cr.tensordot(a, b, dims=([2], [0])).sum((1, 2))
        r.sum().backward()
        results.append([r, a.grad, b.grad, c.grad])
    for g, want in zip(results[1], results[0], strict=True):
        assert g.device == cr.device("cuda", 0)
        np.testing.assert_allclose(g.cpu().detach().numpy(), want.detach().numpy(), rtol=1e-12)
