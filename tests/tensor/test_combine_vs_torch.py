"""chainrule.functions.combine against PyTorch: stacking, splitting, rolling, diagonals,
products and picks (values, dtypes, shapes, errors, gradients), on 0-d, empty,
non-contiguous inputs and negative dims. Skipped where torch is not installed."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from _vs_torch import check, check_grads  # noqa: E402
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from hypothesis.extra import numpy as hnp  # noqa: E402

import chainrule as cr  # noqa: E402


def A(L, *shape, dtype=None):
    """arange of ``shape`` (float32 unless dtype), as a tensor of library L."""
    n = int(np.prod(shape)) if shape else 1
    t = L.arange(n, dtype=dtype or L.float32).reshape(shape)
    return t


def T(L, *shape):
    """A non-contiguous (transposed) tensor of ``shape``."""
    return A(L, *shape[::-1]).permute(*range(len(shape) - 1, -1, -1))


I = lambda L, v: L.tensor(v, dtype=L.int64)  # noqa: E731

# ------------------------------------------------------------------ values and errors
CASES = {
    # at least n dims: tensors or tuples as PyTorch
    "atleast_1d 0-d": lambda L: L.atleast_1d(L.tensor(2.0)),
    "atleast_1d two": lambda L: L.atleast_1d(L.tensor(2.0), A(L, 2, 2)),
    "atleast_1d list": lambda L: L.atleast_1d([L.tensor(2.0)]),
    "atleast_1d tuple": lambda L: L.atleast_1d((A(L, 3),)),
    "atleast_2d": lambda L: [L.atleast_2d(A(L, *s)) for s in [(), (3,), (2, 3), (1, 2, 3)]],
    "atleast_3d": lambda L: [L.atleast_3d(A(L, *s)) for s in [(), (3,), (2, 3), (1, 2, 3, 1)]],
    "atleast_3d tuple": lambda L: L.atleast_3d(A(L, 2), A(L, 2, 2)),
    # stacking
    "hstack 1-d": lambda L: L.hstack([A(L, 2), L.tensor(5.0), A(L, 0)]),
    "hstack 2-d": lambda L: L.hstack((A(L, 2, 1), T(L, 2, 3))),
    "hstack mixed dtypes": lambda L: L.hstack((A(L, 2, dtype=L.int64), A(L, 2))),
    "hstack empty list": lambda L: L.hstack([]),
    "hstack mismatch": lambda L: L.hstack([A(L, 2, 1), A(L, 3, 1)]),
    "vstack": lambda L: L.vstack([A(L, 3), T(L, 2, 3), L.ones(1, 3)]),
    "vstack 0-d": lambda L: L.vstack([L.tensor(1.0), L.tensor(2.0)]),
    "row_stack": lambda L: L.row_stack([A(L, 3), A(L, 3)]),
    "vstack empty list": lambda L: L.vstack([]),
    "dstack": lambda L: L.dstack([A(L, 3), A(L, 3)]),
    "dstack 2-d": lambda L: L.dstack([T(L, 2, 3), A(L, 2, 3, 2)]),
    "dstack empty list": lambda L: L.dstack([]),
    "column_stack": lambda L: L.column_stack([A(L, 3), T(L, 3, 2), L.ones(3, 1)]),
    "column_stack 0-d": lambda L: L.column_stack([L.tensor(1.0), L.tensor(2.0)]),
    "column_stack empty list": lambda L: L.column_stack([]),
    # reshaping
    "ravel": lambda L: [L.ravel(T(L, 2, 3)), A(L).ravel(), A(L, 0, 2).ravel()],
    "select": lambda L: [A(L, 2, 3).select(-1, -1), L.select(T(L, 2, 3), 0, 1)],
    "select 0-d": lambda L: A(L).select(0, 0),
    "select out of range": lambda L: A(L, 2, 3).select(1, 3),
    "select bad dim": lambda L: A(L, 2).select(1, 0),
    "unflatten": lambda L: [A(L, 6, 2).unflatten(0, (2, 3)), A(L, 2, 6).unflatten(-1, (-1, 2))],
    "unflatten 0-d": lambda L: L.unflatten(A(L), 0, (1, 1)),
    "unflatten bad": lambda L: A(L, 6).unflatten(0, (4, -1)),
    "unflatten two -1": lambda L: A(L, 6).unflatten(0, (-1, -1)),
    "unflatten empty sizes": lambda L: A(L, 6).unflatten(0, ()),
    # splitting
    "tensor_split sections": lambda L: L.tensor_split(A(L, 7), 3),
    "tensor_split more sections": lambda L: A(L, 2, 3).tensor_split(5, dim=-1),
    "tensor_split indices": lambda L: L.tensor_split(A(L, 6), [4, 2, 9, -1]),
    "tensor_split tensor 0-d": lambda L: L.tensor_split(A(L, 6), I(L, 2)),
    "tensor_split tensor 1-d": lambda L: L.tensor_split(T(L, 3, 6), I(L, [1, 4]), 1),
    "tensor_split keywords": lambda L: [
        L.tensor_split(A(L, 6), sections=4),
        A(L, 6).tensor_split(indices=[2], dim=0),
        L.tensor_split(A(L, 6), tensor_indices_or_sections=I(L, [1])),
    ],
    "tensor_split tensor 2-d": lambda L: L.tensor_split(A(L, 6), I(L, [[1]])),
    "tensor_split float tensor": lambda L: L.tensor_split(A(L, 6), L.tensor([1.0])),
    "tensor_split 0 sections": lambda L: L.tensor_split(A(L, 6), 0),
    "tensor_split 0-d": lambda L: L.tensor_split(A(L), 1),
    "tensor_split empty": lambda L: L.tensor_split(A(L, 0), 2),
    "hsplit": lambda L: [L.hsplit(A(L, 6), 3), L.hsplit(T(L, 2, 4), [1, 3])],
    "hsplit indivisible": lambda L: L.hsplit(A(L, 6), 4),
    "hsplit 0-d": lambda L: L.hsplit(A(L), 1),
    "vsplit": lambda L: L.vsplit(A(L, 4, 2), 2),
    "vsplit 1-d": lambda L: L.vsplit(A(L, 6), 2),
    "dsplit": lambda L: A(L, 1, 2, 4).dsplit([1]),
    "dsplit indivisible": lambda L: L.dsplit(A(L, 1, 2, 3), 2),
    # moving elements
    "roll flat": lambda L: [L.roll(A(L, 2, 3), s) for s in (1, -1, 7, 0)],
    "roll dims": lambda L: L.roll(T(L, 2, 3), (1, -2), (0, -1)),
    "roll same dim twice": lambda L: L.roll(A(L, 4), (1, 1), (0, 0)),
    "roll 0-d": lambda L: L.roll(A(L), 1),
    "roll empty": lambda L: L.roll(A(L, 0, 2), 1, 1),
    "roll misaligned": lambda L: L.roll(A(L, 4), (1, 2), (0,)),
    "roll no shifts": lambda L: L.roll(A(L, 4), (), ()),
    "tile": lambda L: [L.tile(A(L, 2, 2), (2,)), A(L, 2).tile(2, 1, 2), A(L).tile((3,))],
    "tile negative": lambda L: L.tile(A(L, 2), (-1,)),
    "flipud fliplr": lambda L: [L.flipud(T(L, 2, 3)), L.fliplr(T(L, 2, 3)), L.flipud(A(L, 3))],
    "flipud 0-d": lambda L: L.flipud(A(L)),
    "fliplr 1-d": lambda L: L.fliplr(A(L, 3)),
    "rot90": lambda L: [L.rot90(T(L, 2, 3), k) for k in range(-5, 6)],
    "rot90 dims": lambda L: [A(L, 2, 3, 4).rot90(1, (2, 0)), A(L, 2, 3, 4).rot90(3, [-1, -2])],
    "rot90 1-d": lambda L: L.rot90(A(L, 3)),
    "rot90 same dims": lambda L: L.rot90(A(L, 2, 3), 1, (0, -2)),
    "rot90 three dims": lambda L: L.rot90(A(L, 2, 3), 1, (0, 1, 1)),
    "narrow_copy": lambda L: [L.narrow_copy(T(L, 3, 4), 1, 1, 2), A(L, 5).narrow_copy(0, -2, 2)],
    "narrow_copy too long": lambda L: L.narrow_copy(A(L, 6), 0, 5, 2),
    "swapaxes swapdims": lambda L: [T(L, 2, 3, 4).swapaxes(0, -1), A(L, 2, 3).swapdims(1, 0)],
    # diagonals
    "diag 1-d": lambda L: [L.diag(A(L, 3), k) for k in (-2, 0, 1)],
    "diag 2-d": lambda L: [L.diag(T(L, 3, 4), k) for k in (-5, -1, 0, 2, 4)],
    "diag int": lambda L: L.diag(A(L, 2, dtype=L.int64)),
    "diag empty": lambda L: [L.diag(A(L, 0)), L.diag(A(L, 0, 3))],
    "diag 3-d": lambda L: L.diag(A(L, 1, 2, 3)),
    "diag 0-d": lambda L: L.diag(A(L)),
    "diag_embed": lambda L: [
        L.diag_embed(A(L, 2, 3)),
        L.diag_embed(T(L, 2, 3), 1, 0, 2),
        L.diag_embed(A(L, 2), -1, 1, 0),
        A(L, 2, 3).diag_embed(-2, -1, 0),
        A(L, 2, 2).diag_embed(0, 2, 0),
    ],
    "diag_embed 0-d": lambda L: L.diag_embed(A(L)),
    "diag_embed same dims": lambda L: L.diag_embed(A(L, 2), 0, 1, -1),
    "diagflat": lambda L: [L.diagflat(T(L, 2, 2)), L.diagflat(A(L), -1), A(L, 3).diagflat(2)],
    "trace": lambda L: [
        L.trace(T(L, 3, 4)),
        A(L, 2, 2, dtype=L.int32).trace(),
        L.trace(A(L, 0, 2)),
    ],
    "trace 1-d": lambda L: L.trace(A(L, 3)),
    "trace bool": lambda L: L.trace(L.ones(2, 2, dtype=L.bool)),
    "tril_indices": lambda L: [
        L.tril_indices(3, 3),
        L.tril_indices(3, 4, 1),
        L.tril_indices(4, 3, -2),
        L.tril_indices(0, 3),
        L.tril_indices(3, 2, -5),
        L.tril_indices(2, 2, dtype=L.int32),
    ],
    "triu_indices": lambda L: [
        L.triu_indices(3, 3),
        L.triu_indices(2, 4, -1),
        L.triu_indices(3, 3, 9),
    ],
    "tril_indices negative": lambda L: L.tril_indices(-1, 3),
    "triu_indices negative col": lambda L: L.triu_indices(3, -3),
    "tril_indices float": lambda L: L.tril_indices(3, 3, dtype=L.float32),
    # several into one
    "block_diag": lambda L: L.block_diag(A(L), A(L, 2), T(L, 2, 3), A(L, 0, 2)),
    "block_diag dtypes": lambda L: L.block_diag(
        A(L, 1, dtype=L.int64), L.ones(2, 1, dtype=L.int32)
    ),
    "block_diag promote": lambda L: L.block_diag(A(L, 1, dtype=L.int64), A(L, 1)),
    "block_diag none": lambda L: L.block_diag(),
    "block_diag 3-d": lambda L: L.block_diag(A(L, 1, 1, 1)),
    "cartesian_prod": lambda L: L.cartesian_prod(A(L, 2), A(L, 3), A(L, 1)),
    "cartesian_prod one": lambda L: L.cartesian_prod(A(L, 3)),
    "cartesian_prod 2-d": lambda L: L.cartesian_prod(A(L, 2, 3)),
    "cartesian_prod empty": lambda L: L.cartesian_prod(A(L, 2), A(L, 0)),
    "kron": lambda L: [
        L.kron(A(L, 2, 3), A(L, 2, 2)),
        L.kron(A(L, 2), A(L, 3, 2)),
        L.kron(A(L), A(L, 2)),
        A(L, 2, 1, 2).kron(A(L, 3)),
        L.kron(A(L, 2, dtype=L.int64), A(L, 2)),
        L.kron(A(L, 0, 2), A(L, 2, 2)),
    ],
    "linalg.cross": lambda L: [
        L.linalg.cross(A(L, 2, 3), T(L, 3, 2).T.flip(0)),
        L.linalg.cross(A(L, 3, 2), A(L, 3, 1) + 1, dim=0),
        L.linalg.cross(A(L, 1, 3), A(L, 4, 3) ** 2),
        L.linalg.cross(A(L, 3, dtype=L.int64), A(L, 3, dtype=L.int64).flip(0)),
    ],
    "linalg.cross bad size": lambda L: L.linalg.cross(A(L, 2), A(L, 2)),
    "linalg.cross ndim": lambda L: L.linalg.cross(A(L, 3), A(L, 2, 3)),
    "linalg.cross not broadcastable": lambda L: L.linalg.cross(A(L, 2, 3), A(L, 4, 3)),
    "cross dim": lambda L: [
        L.cross(A(L, 3, 2), A(L, 3, 2) ** 2, dim=-2),
        A(L, 3).cross(A(L, 3) + 1, 0),
    ],
    "cross no dim": lambda L: L.cross(A(L, 2, 3), A(L, 2, 3) ** 2),
    "cross no dim broadcast": lambda L: L.cross(A(L, 3, 1), A(L, 3, 2)),
    # picks
    "take": lambda L: [L.take(T(L, 2, 3), I(L, [[5, 0], [-1, 2]])), A(L).take(I(L, 0))],
    "take empty": lambda L: L.take(A(L, 0), I(L, [])),
    "take out of range": lambda L: L.take(A(L, 6), I(L, [7])),
    "take negative out of range": lambda L: L.take(A(L, 6), I(L, [-7])),
    "take float index": lambda L: L.take(A(L, 6), L.tensor([1.0])),
    "take_along_dim": lambda L: [
        L.take_along_dim(T(L, 2, 3), I(L, [[0, 2, 2]]), 1),
        L.take_along_dim(A(L, 2, 3), I(L, [[1], [0]]), -1),
        L.take_along_dim(A(L, 2, 3), I(L, [[1, 0, 1]]), 0),
        L.take_along_dim(A(L, 2, 3), I(L, [5, 0])),
        A(L, 2, 1).take_along_dim(I(L, [[0, 0, 0]]), 1),
    ],
    "take_along_dim ndim": lambda L: L.take_along_dim(A(L, 2, 3), I(L, [0]), 1),
    "take_along_dim shapes": lambda L: L.take_along_dim(A(L, 2, 3), I(L, [[0], [0], [0]]), 1),
    "take_along_dim int32": lambda L: L.take_along_dim(A(L, 2, 3), I(L, [[0]]).int(), 1),
    "take_along_dim bad dim": lambda L: L.take_along_dim(A(L, 2, 3), I(L, [[0]]), 2),
    "masked_select": lambda L: [
        L.masked_select(T(L, 2, 3), T(L, 2, 3) > 2),
        L.masked_select(A(L, 2, 3), L.tensor([True, False, True])),
        L.masked_select(A(L, 3), L.tensor([[True], [False]])),
        L.masked_select(A(L), L.tensor(True)),
        A(L, 0, 3).masked_select(A(L, 0, 3) > 0),
    ],
    "masked_select not bool": lambda L: L.masked_select(A(L, 3), I(L, [1, 0, 1])),
    "masked_select mismatch": lambda L: L.masked_select(A(L, 2, 3), L.ones(2, dtype=L.bool)),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_values_dtypes_shapes_errors(name):
    check(CASES[name])


def test_atleast_no_tensors():
    check(lambda L: L.atleast_2d())


# ------------------------------------------------------------------ gradients
GRADS = {
    "hstack": (lambda L, a, b: L.hstack([a, b.T]), (2, 3), (2, 2)),
    "vstack": (lambda L, a, b: L.vstack([a, b]), (3,), (2, 3)),
    "dstack": (lambda L, a, b: L.dstack([a, b]), (2, 3), (2, 3)),
    "column_stack": (lambda L, a, b: L.column_stack([a, b]), (3,), (3, 2)),
    "atleast_3d": (lambda L, a: L.atleast_3d(a), (3,)),
    "ravel of T": (lambda L, a: a.T.ravel(), (2, 3)),
    "select": (lambda L, a: a.select(-1, 1), (2, 3)),
    "unflatten": (lambda L, a: a.unflatten(1, (2, -1)), (2, 4)),
    "tensor_split": (lambda L, a: L.tensor_split(a, [1, 3], 1), (2, 4)),
    "hsplit": (lambda L, a: L.hsplit(a.T, 2), (4, 3)),
    "roll flat": (lambda L, a: L.roll(a, 2), (2, 3)),
    "roll dims": (lambda L, a: L.roll(a.T, (1, -1), (0, 1)), (2, 3)),
    "tile": (lambda L, a: L.tile(a, (2, 1, 2)), (2, 3)),
    "rot90": (lambda L, a: L.rot90(a, 3, (1, 0)), (2, 3)),
    "narrow_copy": (lambda L, a: a.narrow_copy(1, 1, 2), (2, 3)),
    "diag 1-d": (lambda L, a: L.diag(a, -1), (3,)),
    "diag 2-d": (lambda L, a: L.diag(a.T, 1), (4, 3)),
    "diag_embed": (lambda L, a: L.diag_embed(a, 1, 0, 2), (2, 3)),
    "diagflat": (lambda L, a: L.diagflat(a), (2, 2)),
    "trace": (lambda L, a: L.trace(a), (3, 4)),
    "block_diag": (lambda L, a, b: L.block_diag(a, b), (2,), (2, 3)),
    "cartesian_prod": (lambda L, a, b: L.cartesian_prod(a, b), (2,), (3,)),
    "kron": (lambda L, a, b: L.kron(a, b), (2, 3), (2, 2)),
    "kron broadcast": (lambda L, a, b: L.kron(a, b), (3,), (2, 2)),
    "linalg.cross": (lambda L, a, b: L.linalg.cross(a, b), (2, 3), (1, 3)),
    "cross dim 0": (lambda L, a, b: L.cross(a, b, dim=0), (3, 2), (3, 2)),
    "take": (lambda L, a: L.take(a, L.tensor([[1, 1], [-1, 0]])), (2, 3)),
    "take_along_dim": (lambda L, a: L.take_along_dim(a, L.tensor([[0, 0, 1]]), 0), (2, 3)),
    "take_along_dim flat": (lambda L, a: L.take_along_dim(a, L.tensor([3, 3])), (2, 3)),
    "masked_select": (lambda L, a: L.masked_select(a, L.tensor([True, False, True])), (2, 3)),
}


@pytest.mark.parametrize("name", sorted(GRADS))
def test_gradients(name):
    f, *shapes = GRADS[name]
    rng = np.random.default_rng(0)
    check_grads(f, *[rng.standard_normal(s) for s in shapes])


NAMED = {
    "diag_embed": lambda L, x: L.diag_embed(x),
    "diag 1-d": lambda L, x: L.diag(x[0]),
    "roll": lambda L, x: L.roll(x, 1, 0),
    "roll flat": lambda L, x: L.roll(x[0], 0),
    "block_diag": lambda L, x: L.block_diag(x, x[0]),
    "linalg.cross": lambda L, x: L.linalg.cross(x, x.flip(0), dim=0),
    "cross": lambda L, x: L.cross(x, x.flip(1), dim=1),
    "narrow_copy": lambda L, x: L.narrow_copy(x, 1, 1, 2),
    "kron": lambda L, x: L.kron(x, x),
    "tile": lambda L, x: L.tile(x, (2,)),
    "select": lambda L, x: x.select(1, 0),
    "tensor_split": lambda L, x: L.tensor_split(x, 2)[0],
    "hstack": lambda L, x: L.hstack([x, x]),
    "cartesian_prod": lambda L, x: L.cartesian_prod(x[0], x[1]),
    "flipud": lambda L, x: L.flipud(x),
    "take_along_dim": lambda L, x: L.take_along_dim(x, L.tensor([[0]]), 1),
}


@pytest.mark.parametrize("name", sorted(NAMED))
def test_grad_fn_names(name):
    check(lambda L: NAMED[name](L, L.ones(3, 3, requires_grad=True) * 2), grad_fn=True)


def test_kron_non_contiguous():
    # (PyTorch 2.13's kron raises a view error for a transposed operand; chainrule gives
    # the product, the same as of a contiguous copy)
    a, b = cr.arange(6.0).reshape(3, 2).T, cr.arange(4.0).reshape(2, 2).T
    ta, tb = torch.arange(6.0).reshape(3, 2).T, torch.arange(4.0).reshape(2, 2).T
    want = torch.kron(ta.contiguous(), tb.contiguous())
    np.testing.assert_array_equal(cr.kron(a, b).numpy(), want.numpy())


def test_cross_warns_without_dim():
    with pytest.warns(UserWarning, match="Using torch.cross without specifying the dim"):
        cr.cross(cr.ones(3), cr.ones(3))


def test_views_and_copies():
    x = cr.arange(6.0).reshape(2, 3).clone()
    assert x.select(1, 0)._base is x and x.ravel()._base is x
    assert np.shares_memory(x.tensor_split(2, 1)[1].numpy(), x.numpy())
    r = cr.roll(x, 0)  # a copy even with nothing to roll, as PyTorch's
    assert not np.shares_memory(r.numpy(), x.numpy())
    assert not np.shares_memory(cr.narrow_copy(x, 0, 0, 1).numpy(), x.numpy())


def test_forward_mode():
    import chainrule.autograd.forward_ad as fwAD

    x = cr.randn(2, 3, dtype=cr.float64)
    t = cr.randn(2, 3, dtype=cr.float64)
    with fwAD.dual_level():
        d = fwAD.make_dual(x, t)
        for f in (
            lambda z: cr.roll(z, 1, 1),
            lambda z: cr.kron(z, z),
            lambda z: cr.diag_embed(z),
            lambda z: cr.masked_select(z, z > 0),
        ):
            got = fwAD.unpack_dual(f(d)).tangent
            eps = 1e-6
            want = (f(x + eps * t) - f(x - eps * t)) / (2 * eps)
            np.testing.assert_allclose(got.numpy(), want.numpy(), atol=1e-6)


# ------------------------------------------------------------------ drawn inputs
@settings(max_examples=40, deadline=None)
@given(
    hnp.array_shapes(min_dims=1, max_dims=3, min_side=0, max_side=4),
    st.data(),
)
def test_roll_tensor_split_drawn(shape, data):
    a = np.arange(int(np.prod(shape)), dtype=np.float32).reshape(shape)
    nd = len(shape)
    dim = data.draw(st.integers(-nd, nd - 1))
    shift = data.draw(st.integers(-6, 6))
    sections = data.draw(st.integers(1, 5))
    idx = data.draw(st.lists(st.integers(-6, 6), max_size=3))
    check(lambda L: L.roll(L.tensor(a), shift, dim))
    check(lambda L: L.tensor_split(L.tensor(a), sections, dim))
    check(lambda L: L.tensor_split(L.tensor(a), idx, dim))
    reps = tuple(data.draw(st.lists(st.integers(0, 2), max_size=4)))
    check(lambda L: L.tile(L.tensor(a), reps))


@settings(max_examples=30, deadline=None)
@given(
    hnp.array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=3),
    hnp.array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=3),
)
def test_kron_drawn(sa, sb):
    a = np.arange(int(np.prod(sa)), dtype=np.float64).reshape(sa) - 2
    b = np.arange(int(np.prod(sb)), dtype=np.float64).reshape(sb) * 0.5
    check(lambda L: L.kron(L.tensor(a), L.tensor(b)))


def test_explicit_graphs():
    """Each composite on a chainrule.sym variable: bound later, the eager values."""
    from chainrule import sym

    a = sym.var("a", shape=(2, 3))
    val = cr.arange(6.0).reshape(2, 3)
    for f in (
        lambda x: cr.roll(x, 1, 1),
        lambda x: cr.kron(x, x),
        lambda x: cr.diag_embed(x, 1),
        lambda x: cr.hstack([x, x]),
        lambda x: cr.rot90(x, 3),
        lambda x: cr.trace(x),
        lambda x: cr.take(x, cr.tensor([1, -1])),
        lambda x: cr.masked_select(x, cr.tensor([True, False, True])),
        lambda x: cr.block_diag(x, x[0]),
        lambda x: cr.linalg.cross(x, x.flip(1)),
        lambda x: cr.tensor_split(x, 2, 1)[1],
    ):
        np.testing.assert_array_equal(f(a).eval(a=val).numpy(), f(val).numpy())


@settings(max_examples=40, deadline=None)
@given(hnp.array_shapes(min_dims=1, max_dims=3, min_side=0, max_side=3), st.data())
def test_diag_embed_and_take_along_dim_drawn(shape, data):
    a = np.arange(int(np.prod(shape)), dtype=np.float32).reshape(shape) + 1
    n = len(shape) + 1
    d1 = data.draw(st.integers(-n, n - 1))
    d2 = data.draw(st.integers(-n, n - 1).filter(lambda k: k % n != d1 % n))
    off = data.draw(st.integers(-3, 3))
    check(lambda L: L.diag_embed(L.tensor(a), off, d1, d2))
    dim = data.draw(st.integers(-len(shape), len(shape) - 1))
    ishape = tuple(data.draw(st.sampled_from([1, s])) for s in shape)
    ishape = ishape[: dim % len(shape)] + (data.draw(st.integers(0, 3)),)
    ishape += tuple(data.draw(st.sampled_from([1, s])) for s in shape[len(ishape) :])
    if shape[dim] == 0:
        return
    index = data.draw(hnp.arrays(np.int64, ishape, elements=st.integers(0, shape[dim] - 1)))
    check(lambda L: L.take_along_dim(L.tensor(a), L.tensor(index), dim))
