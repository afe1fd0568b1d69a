"""The lecture's matrix-calculus examples and its shape table, through
``chainrule.func.jacobian(..., layout=...)``.

Numerator layout (the lecture's): for y of shape S_y and x of shape S_x the derivative has
shape S_y + reversed(S_x); denominator layout is its full reversal; "torch" is S_y + S_x.
Every expected value below comes from a NumPy finite-difference Jacobian (PyTorch layout)
rearranged by hand with an einsum written out per case, never from chainrule's own
rearranging code.
"""

from __future__ import annotations

import numpy as np
import pytest
from func_helpers import fd_jacobian, np_of, t64

import chainrule as cr
from chainrule.func import jacobian, to_layout

MODES = ("forward", "reverse", "auto")
rng = np.random.default_rng(1234)

# distinct sizes, so that a swapped pair of axes cannot go unnoticed
M, L, N, K = 2, 3, 4, 5
Y_SHAPES = {"scalar": (), "vector": (M,), "matrix": (M, L)}
X_SHAPES = {"scalar": (), "vector": (N,), "matrix": (N, K)}

# (y, x): torch-layout shape, numerator shape, denominator shape, and the einsums that
# take the torch layout (y axes a, b; x axes c, d) to numerator and denominator layout
TABLE = [
    ("scalar", "scalar", (), (), (), "->", "->"),
    ("scalar", "vector", (N,), (N,), (N,), "c->c", "c->c"),
    ("scalar", "matrix", (N, K), (K, N), (N, K), "cd->dc", "cd->cd"),
    ("vector", "scalar", (M,), (M,), (M,), "a->a", "a->a"),
    ("vector", "vector", (M, N), (M, N), (N, M), "ac->ac", "ac->ca"),
    ("vector", "matrix", (M, N, K), (M, K, N), (N, K, M), "acd->adc", "acd->cda"),
    ("matrix", "scalar", (M, L), (M, L), (L, M), "ab->ab", "ab->ba"),
    ("matrix", "vector", (M, L, N), (M, L, N), (N, L, M), "abc->abc", "abc->cba"),
    ("matrix", "matrix", (M, L, N, K), (M, L, K, N), (N, K, L, M), "abcd->abdc", "abcd->cdba"),
]


def _mixing(y_shape, x_shape):
    """A nonlinear f with S_x -> S_y whose every output depends on every input
    differently: y = tanh(W sin(vec x) + c), reshaped."""
    ny, nx = int(np.prod(y_shape)), int(np.prod(x_shape))
    W = t64(rng.normal(size=(ny, nx)))
    c = t64(rng.normal(size=(ny,)))

    def f(x):
        return (W @ x.reshape(nx).sin() + c).tanh().reshape(y_shape)

    return f


@pytest.mark.parametrize("mode", ("forward", "reverse"))
@pytest.mark.parametrize(
    "ykind,xkind,torch_shape,num_shape,den_shape,to_num,to_den",
    TABLE,
    ids=[f"d{y}/d{x}" for y, x, *_ in TABLE],
)
def test_shape_table(ykind, xkind, torch_shape, num_shape, den_shape, to_num, to_den, mode):
    f = _mixing(Y_SHAPES[ykind], X_SHAPES[xkind])
    x = t64(rng.normal(size=X_SHAPES[xkind]))
    (ref,) = fd_jacobian(f, x)
    assert ref.shape == torch_shape

    want = {
        "torch": ref,
        "numerator": np.einsum(to_num, ref),
        "denominator": np.einsum(to_den, ref),
    }
    shapes = {"torch": torch_shape, "numerator": num_shape, "denominator": den_shape}
    for layout in ("torch", "numerator", "denominator"):
        J = jacobian(f, x, layout=layout, mode=mode)
        assert isinstance(J, cr.Tensor)
        assert tuple(J.shape) == shapes[layout], layout
        assert J.dtype == cr.float64
        np.testing.assert_allclose(np_of(J), want[layout], rtol=1e-6, atol=1e-8, err_msg=layout)


@pytest.mark.parametrize("mode", ("forward", "reverse"))
@pytest.mark.parametrize("xkind", ("scalar", "vector", "matrix"))
def test_keep_row_gives_the_scalar_its_axis(xkind, mode):
    """A scalar y: numerator layout with keep_row=True is the row 1 x reversed(S_x) (the
    lecture's row vector), denominator layout the column S_x x 1; without it the axis is
    absent. A non-scalar y is unaffected by keep_row."""
    xs = X_SHAPES[xkind]
    f = _mixing((), xs)
    x = t64(rng.normal(size=xs))
    (ref,) = fd_jacobian(f, x)
    num = ref.T  # a scalar y: numerator layout is the x axes reversed
    got = jacobian(f, x, layout="numerator", mode=mode, keep_row=True)
    assert tuple(got.shape) == (1,) + xs[::-1]
    np.testing.assert_allclose(np_of(got), num[None], rtol=1e-6, atol=1e-8)
    got = jacobian(f, x, layout="denominator", mode=mode, keep_row=True)
    assert tuple(got.shape) == xs + (1,)
    np.testing.assert_allclose(np_of(got), ref[..., None], rtol=1e-6, atol=1e-8)
    assert tuple(jacobian(f, x, layout="numerator", mode=mode).shape) == xs[::-1]

    g = _mixing((M,), xs)
    plain = jacobian(g, x, layout="numerator", mode=mode)
    kept = jacobian(g, x, layout="numerator", mode=mode, keep_row=True)
    assert tuple(kept.shape) == tuple(plain.shape) == (M,) + xs[::-1]
    np.testing.assert_allclose(np_of(kept), np_of(plain))


def test_to_layout_rearranges_a_given_jacobian():
    ref = rng.normal(size=(M, L, N, K))
    J = t64(ref)
    assert to_layout(J, (M, L), (N, K), "torch") is J
    np.testing.assert_array_equal(
        np_of(to_layout(J, (M, L), (N, K), "numerator")), np.einsum("abcd->abdc", ref)
    )
    np.testing.assert_array_equal(
        np_of(to_layout(J, (M, L), (N, K), "denominator")), np.einsum("abcd->cdba", ref)
    )
    with pytest.raises(ValueError, match="numerator"):
        to_layout(J, (M, L), (N, K), "row-major")


# --------------------------------------------------------------------------- the lecture's
# identities, x a vector of length N, in numerator layout


def _x():
    return t64(rng.normal(size=(N,)))


def _u_v():
    B = t64(rng.normal(size=(M, N)))
    C = t64(rng.normal(size=(M, N)))
    return (lambda x: (B @ x).tanh()), (lambda x: (C @ x).sin())


def _num(f, x, mode, **kw):
    return np_of(jacobian(f, x, layout="numerator", mode=mode, **kw))


@pytest.mark.parametrize("mode", MODES)
def test_derivative_of_a_constant_is_zero(mode):
    x = _x()
    a = t64(2.5)
    got = _num(lambda x: a, x, mode)
    assert got.shape == (N,)
    np.testing.assert_array_equal(got, np.zeros(N))
    assert _num(lambda x: a, x, mode, keep_row=True).shape == (1, N)
    av = t64([1.0, -2.0])
    got = _num(lambda x: av, x, mode)
    np.testing.assert_array_equal(got, np.zeros((2, N)))


@pytest.mark.parametrize("mode", MODES)
def test_dx_dx_is_identity(mode):
    x = _x()
    np.testing.assert_allclose(_num(lambda x: x, x, mode), np.eye(N))
    np.testing.assert_allclose(_num(lambda x: x * 1.0, x, mode), np.eye(N))


@pytest.mark.parametrize("mode", MODES)
def test_d_Ax_dx_is_A(mode):
    A = rng.normal(size=(M, N))
    At = t64(A)
    np.testing.assert_allclose(_num(lambda x: At @ x, _x(), mode), A, rtol=1e-12)


@pytest.mark.parametrize("mode", MODES)
def test_d_xT_A_dx_is_A_transpose(mode):
    A = rng.normal(size=(N, K))
    At = t64(A)
    got = _num(lambda x: x @ At, _x(), mode)
    assert got.shape == (K, N)
    np.testing.assert_allclose(got, A.T, rtol=1e-12)


@pytest.mark.parametrize("mode", MODES)
def test_d_au_dx_is_a_du_dx(mode):
    u, _ = _u_v()
    x = _x()
    (du,) = fd_jacobian(u, x)
    for a in (2.5, t64(-0.75)):
        scale = float(a) if isinstance(a, float) else a.item()
        got = _num(lambda x, a=a: a * u(x), x, mode)
        np.testing.assert_allclose(got, scale * du, rtol=1e-6, atol=1e-9)
        np.testing.assert_allclose(got, scale * _num(u, x, mode), rtol=1e-12)


@pytest.mark.parametrize("mode", MODES)
def test_d_Au_dx_is_A_du_dx(mode):
    u, _ = _u_v()
    A = rng.normal(size=(3, M))
    At = t64(A)
    x = _x()
    (du,) = fd_jacobian(u, x)
    got = _num(lambda x: At @ u(x), x, mode)
    assert got.shape == (3, N)
    np.testing.assert_allclose(got, A @ du, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("mode", MODES)
def test_d_u_plus_v_dx_is_sum(mode):
    u, v = _u_v()
    x = _x()
    (du,), (dv,) = fd_jacobian(u, x), fd_jacobian(v, x)
    got = _num(lambda x: u(x) + v(x), x, mode)
    np.testing.assert_allclose(got, du + dv, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(got, _num(u, x, mode) + _num(v, x, mode), rtol=1e-12)


@pytest.mark.parametrize("mode", MODES)
def test_d_inner_product_dx(mode):
    u, v = _u_v()
    x = _x()
    (du,), (dv,) = fd_jacobian(u, x), fd_jacobian(v, x)
    uu, vv = np_of(u(x)), np_of(v(x))
    want = uu @ dv + vv @ du  # u^T dv/dx + v^T du/dx
    got = _num(lambda x: cr.dot(u(x), v(x)), x, mode)
    assert got.shape == (N,)
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-9)
    row = _num(lambda x: cr.dot(u(x), v(x)), x, mode, keep_row=True)
    assert row.shape == (1, N)
    np.testing.assert_allclose(row[0], want, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("mode", MODES)
def test_d_squared_norm_dx_is_2xT(mode):
    x = _x()
    want = 2 * np_of(x)
    np.testing.assert_allclose(_num(lambda x: (x * x).sum(), x, mode), want, rtol=1e-12)
    np.testing.assert_allclose(_num(lambda x: x.norm() ** 2, x, mode), want, rtol=1e-12)
    row = _num(lambda x: cr.dot(x, x), x, mode, keep_row=True)
    np.testing.assert_allclose(row, want[None], rtol=1e-12)


@pytest.mark.parametrize("mode", MODES)
def test_d_sum_dx_is_ones_row(mode):
    x = _x()
    got = _num(lambda x: x.sum(), x, mode)
    assert got.shape == (N,)
    np.testing.assert_array_equal(got, np.ones(N))
    row = _num(lambda x: x.sum(), x, mode, keep_row=True)
    assert row.shape == (1, N)
    np.testing.assert_array_equal(row, np.ones((1, N)))
    col = np_of(jacobian(lambda x: x.sum(), x, layout="denominator", mode=mode, keep_row=True))
    assert col.shape == (N, 1)
    np.testing.assert_array_equal(col, np.ones((N, 1)))


@pytest.mark.parametrize("mode", ("forward", "reverse"))
def test_several_inputs_and_outputs(mode):
    """Several inputs give a tuple (one Jacobian per input); several outputs a tuple of
    those; each entry in the chosen layout."""
    A = rng.normal(size=(M, L))
    X = rng.normal(size=(L, K))
    w = rng.normal(size=(K,))

    def f(A, X, w):
        return (A @ X).tanh(), (X * w).sum(dim=0)

    ins = (t64(A), t64(X), t64(w))
    (refs0, refs1) = (fd_jacobian(lambda *a, i=i: f(*a)[i], *ins) for i in range(2))
    got = jacobian(f, *ins, layout="numerator", mode=mode)
    assert isinstance(got, tuple) and len(got) == 2
    for out_j, refs in zip(got, (refs0, refs1), strict=True):
        assert isinstance(out_j, tuple) and len(out_j) == 3
        for J, ref, x in zip(out_j, refs, ins, strict=True):
            ny = ref.ndim - x.dim()
            perm = list(range(ny)) + list(range(ref.ndim - 1, ny - 1, -1))
            np.testing.assert_allclose(np_of(J), np.transpose(ref, perm), rtol=1e-6, atol=1e-8)
