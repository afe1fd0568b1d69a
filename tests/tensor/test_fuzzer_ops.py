"""Op-level disagreements with PyTorch that the fuzzer found (issue 11 §3): inner of n-d
tensors, round's default decimals, mT of 0-d tensors, outer's dims, maximum's operand,
masked_fill_'s broadcast, split/chunk of empty dims, numpy() under no_grad and others.

Each behaviour is pinned against PyTorch (values, dtypes, gradients, error types and
texts; the comparisons skip without torch), and every rule built or changed here is
gradchecked in float64.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import chainrule as cr
from chainrule.autograd import gradcheck

try:
    import torch
except ImportError:  # the comparisons skip; the gradchecks still run
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="PyTorch is not installed")


def outcome(lib, fn):
    """fn(lib) as (kind, text): ('ok', repr of the result) or (exception type, message)."""
    try:
        r = fn(lib)
    except Exception as e:  # noqa: BLE001 - the exception is the outcome compared
        return type(e).__name__, str(e)
    return "ok", repr(r)


def same_outcome(fn):
    """fn gives the same repr (or raises the same exception and text) in both libraries."""
    assert outcome(cr, fn) == outcome(torch, fn)


def backward_both(fn, *arrays, dtype="float64"):
    """fn(lib, *leaves) in both libraries, then backward with a ramp as the incoming
    gradient: each library's (output, leaves' gradients) as NumPy arrays."""
    out = []
    for lib in (cr, torch):
        xs = [lib.tensor(a, dtype=getattr(lib, dtype), requires_grad=True) for a in arrays]
        y = fn(lib, *xs)
        g = lib.arange(y.numel(), dtype=y.dtype).reshape(y.shape) + 1
        y.backward(g)
        grads = [None if x.grad is None else x.grad.numpy() for x in xs]
        out.append((y.detach().numpy(), str(y.dtype), grads))
    return out


def assert_backward_same(fn, *arrays, dtype="float64"):
    (yc, dc, gc), (yt, dt, gt) = backward_both(fn, *arrays, dtype=dtype)
    assert dc == dt
    np.testing.assert_allclose(yc, yt, rtol=1e-6, atol=1e-12)
    for a, b in zip(gc, gt, strict=True):
        assert (a is None) == (b is None)
        if a is not None:
            np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-12)


# ------------------------------------------------------------------------------ inner

INNER_SHAPES = [
    ((2, 3), (4, 3)),
    ((3,), (3,)),
    ((2, 3), (3,)),
    ((3,), (2, 3)),
    ((2, 2, 3), (4, 3)),
    ((2, 3), (2, 2, 3)),
    ((), (2, 3)),
    ((2, 3), ()),
    ((), ()),
    ((0, 3), (3,)),
    ((2, 0), (5, 0)),
    ((0,), (0,)),
]


@needs_torch
@pytest.mark.parametrize("a, b", INNER_SHAPES)
@pytest.mark.parametrize("spelling", ["function", "method"])
def test_inner_contracts_the_last_dims_as_torch(a, b, spelling):
    rng = np.random.default_rng(0)
    A, B = rng.standard_normal(a), rng.standard_normal(b)
    f = (lambda L, x, y: L.inner(x, y)) if spelling == "function" else (lambda L, x, y: x.inner(y))
    assert_backward_same(f, A, B)


@pytest.mark.parametrize("a, b", INNER_SHAPES)
def test_inner_gradchecks(a, b):
    rng = np.random.default_rng(1)
    x = cr.tensor(rng.standard_normal(a), requires_grad=True)
    y = cr.tensor(rng.standard_normal(b), requires_grad=True)
    assert gradcheck(cr.inner, (x, y))


@needs_torch
@pytest.mark.parametrize(
    "fn",
    [
        lambda L: L.inner(L.ones(2, 3), L.ones(4, dtype=L.float64)),
        lambda L: L.inner(L.ones(3), L.ones(4, dtype=L.float64)),
        lambda L: L.inner(L.ones(3), L.ones(3, dtype=L.float64)),
        lambda L: L.inner(L.ones(2, 3), L.ones(3, dtype=L.float64)),
        lambda L: L.inner(L.tensor(2.0), L.ones(3, dtype=L.float64)),
        lambda L: L.inner(L.tensor(2), L.ones(3)),
        lambda L: L.inner(L.tensor([[2, 3]]), L.tensor([[3, 1]])),
        lambda L: L.inner(L.ones(2, 3, dtype=L.bool), L.ones(3, dtype=L.bool)),
        lambda L: L.inner(L.ones(3, dtype=L.bool), L.ones(3, dtype=L.bool)),
        lambda L: L.inner(L.ones((), dtype=L.bool), L.ones(3, dtype=L.bool)),
    ],
)
def test_inner_dtypes_and_errors_as_torch(fn):
    same_outcome(fn)


# ------------------------------------------------------------------------------ round

ROUND_VALUES = [0.5, 1.5, 2.5, -0.5, -2.5, 0.05, 0.15, 0.25, 2.675, 1234.5678, 1e-30, 3e38]


@needs_torch
@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
@pytest.mark.parametrize("decimals", [None, 0, 1, 2, 3, -1, -2, 39, -39, 309, -309])
@pytest.mark.parametrize("spelling", ["torch.round", "round", "round_"])
def test_round_values_and_dtypes_as_torch(dtype, decimals, spelling):
    kw = {} if decimals is None else {"decimals": decimals}
    outs = []
    for lib in (cr, torch):
        x = lib.tensor(ROUND_VALUES, dtype=getattr(lib, dtype))
        if spelling == "torch.round":
            y = lib.round(x, **kw)
        elif spelling == "round":
            y = x.round(**kw)
        else:
            y = x.round_(**kw)
            assert y is x
        outs.append((y.numpy(), str(y.dtype)))
    (c, dc), (t, dt) = outs
    assert dc == dt
    np.testing.assert_array_equal(c, t)
    np.testing.assert_array_equal(np.signbit(c), np.signbit(t))


@needs_torch
@pytest.mark.parametrize(
    "fn",
    [
        lambda L: L.tensor([1, 5, 15]).round(),
        lambda L: L.tensor([1, 5, 15]).round_(),
        lambda L: L.round(L.tensor([1, 5, 15])),
        lambda L: L.tensor([1, 5, 15]).round(decimals=0),
        lambda L: L.tensor([1, 5, 15]).round(decimals=-1),
        lambda L: L.tensor([1, 5, 15]).round_(decimals=1),
        lambda L: L.tensor([True]).round(),
        lambda L: L.tensor([True]).round_(),
        lambda L: L.tensor([True]).round(decimals=0),
        lambda L: L.tensor([True]).round(decimals=1),
        lambda L: L.tensor([0.5]).round(1),
        lambda L: L.tensor([0.5]).round_(1),
        lambda L: L.round(L.tensor([0.5]), 1),
        lambda L: L.tensor([0.5]).round(decimals=1.5),
        lambda L: L.tensor([0.5]).round_(decimals=None),
        lambda L: L.round(L.tensor([0.5]), decimals=None),
        lambda L: L.round(L.tensor([0.5]), decimals=True),
        lambda L: L.round(L.tensor([0.25]), decimals=np.int64(1)),
        lambda L: L.round(L.tensor([0.25]), decimals=L.tensor(1)),
    ],
)
def test_round_arguments_and_errors_as_torch(fn):
    same_outcome(fn)


@needs_torch
@pytest.mark.parametrize("decimals", [None, 1])
def test_round_has_a_zero_gradient_as_torch(decimals):
    kw = {} if decimals is None else {"decimals": decimals}
    assert_backward_same(lambda L, x: (x * 1).round_(**kw) + x.round(**kw), [0.26, -1.7])


# ------------------------------------------------------------------ mT, mH, H, adjoint

MATRIX_TRANSPOSES = {
    "mT": lambda x: x.mT,
    "mH": lambda x: x.mH,
    "H": lambda x: x.H,
    "adjoint": lambda x: x.adjoint(),
    "torch.adjoint": lambda x: (cr if isinstance(x, cr.Tensor) else torch).adjoint(x),
}


@needs_torch
@pytest.mark.parametrize("shape", [(3,), (2, 3), (2, 3, 4), (0, 2), (2, 0, 3)])
@pytest.mark.parametrize("name", list(MATRIX_TRANSPOSES))
def test_matrix_transposes_as_torch(shape, name):
    f = MATRIX_TRANSPOSES[name]

    def fn(L):
        y = f(L.arange(float(np.prod(shape))).reshape(shape))
        return y.shape, y.is_contiguous()

    same_outcome(fn)
    if outcome(cr, fn)[0] == "ok":
        assert_backward_same(lambda L, x: f(x * 1), np.arange(np.prod(shape)).reshape(shape))


@needs_torch
@pytest.mark.parametrize("name", list(MATRIX_TRANSPOSES))
def test_matrix_transposes_of_0d_are_the_tensor_itself_with_a_warning(name, monkeypatch):
    from chainrule.functions import shape

    monkeypatch.setattr(shape, "_WARNED", set())  # PyTorch warns once per process
    x = cr.tensor(1.5, requires_grad=True)
    with pytest.warns(UserWarning, match="is deprecated on 0-D tensors"):
        assert MATRIX_TRANSPOSES[name](x) is x
    t = torch.tensor(1.5, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert MATRIX_TRANSPOSES[name](t) is t


# ------------------------------------------------------------------------------ outer


@needs_torch
@pytest.mark.parametrize("a, b", [((2, 2), (2,)), ((2,), (2, 2)), ((), (2,)), ((2,), ()), ((), ())])
@pytest.mark.parametrize("name", ["outer", "ger", "method"])
def test_outer_refuses_all_but_1d_as_torch(a, b, name):
    def fn(L):
        x, y = L.ones(a), L.ones(b)
        return x.outer(y) if name == "method" else getattr(L, name)(x, y)

    same_outcome(fn)


@needs_torch
@pytest.mark.parametrize("a, b", [((2,), (3,)), ((0,), (3,)), ((1,), (0,))])
def test_outer_of_vectors_as_torch(a, b):
    rng = np.random.default_rng(2)
    assert_backward_same(lambda L, x, y: L.outer(x, y), rng.random(a), rng.random(b))
    same_outcome(lambda L: L.outer(L.ones(2, dtype=L.int64), L.ones(2, dtype=L.bool)))


# -------------------------------------------------------------------- maximum, minimum


@needs_torch
@pytest.mark.parametrize("name", ["maximum", "minimum"])
@pytest.mark.parametrize(
    "call",
    [
        lambda L, f: getattr(L, f)(L.ones(2), 1.5),
        lambda L, f: getattr(L, f)(L.ones(2), 1),
        lambda L, f: getattr(L, f)(1.5, L.ones(2)),
        lambda L, f: getattr(L, f)(L.ones(2), np.float64(1.5)),
        lambda L, f: getattr(L, f)(L.ones(2), [1.0, 2.0]),
        lambda L, f: getattr(L, f)(L.ones(2), None),
        lambda L, f: getattr(L.ones(2), f)(1.5),
        lambda L, f: getattr(L.ones(2), f)(True),
        lambda L, f: getattr(L.ones(2), f)(L.tensor(3.0)),
        lambda L, f: getattr(L, f)(L.ones(2), L.tensor([0, 3])),
    ],
)
def test_maximum_minimum_take_tensors_only_as_torch(name, call):
    same_outcome(lambda L: call(L, name))


# ------------------------------------------------------------------------ masked_fill_


@needs_torch
@pytest.mark.parametrize(
    "shape, mask",
    [
        ((2, 2), [False, True]),
        ((3, 4), [[False], [True], [True]]),
        ((3,), [[False], [True]]),
        ((3,), [False, True]),
        ((3, 1), [[False, True]]),
        ((), [True]),
        ((), True),
        ((2, 3), True),
        ((0, 2), [True, False]),
        ((2, 0), [[True], [False]]),
    ],
)
def test_masked_fill_broadcasts_the_mask_to_self_as_torch(shape, mask):
    same_outcome(lambda L: L.zeros(shape).masked_fill_(L.tensor(mask), 1.5))
    same_outcome(
        lambda L: L.zeros(6)[::2][: shape[-1] if shape else 1].masked_fill_(L.tensor(mask), 2.0)
    )


@needs_torch
@pytest.mark.parametrize(
    "fn",
    [
        lambda L: L.zeros(2).masked_fill_(L.tensor(True), L.tensor(3.0)),
        lambda L: L.zeros(2).masked_fill_(L.tensor(True), L.tensor([3.0])),
        lambda L: L.zeros(2, dtype=L.int64).masked_fill_(L.tensor(True), 2.7),
        lambda L: L.zeros(2, dtype=L.int64).masked_fill_(L.tensor(True), L.tensor(2.7)),
        lambda L: L.zeros(2).masked_fill_(L.tensor([True, False]), L.tensor(2)),
        lambda L: L.zeros(2).masked_fill_(L.tensor([1, 0]), 2.7),
    ],
)
def test_masked_fill_values_and_errors_as_torch(fn):
    same_outcome(fn)


@needs_torch
@pytest.mark.parametrize("mask", [[False, True], [False, False], [[True], [False]]])
@pytest.mark.parametrize("value_requires_grad", [False, True])
def test_masked_fill_gradients_as_torch(mask, value_requires_grad):
    grads = []
    for lib in (cr, torch):
        x = lib.ones(2, 2, requires_grad=True)
        v = lib.tensor(3.0, requires_grad=value_requires_grad)
        y = x * 2
        y.masked_fill_(lib.tensor(mask), v)
        assert y.requires_grad
        (y * lib.arange(4.0).reshape(2, 2)).sum().backward()
        grads.append((x.grad.numpy(), None if v.grad is None else v.grad.numpy()))
    (xc, vc), (xt, vt) = grads
    np.testing.assert_array_equal(xc, xt)
    assert (vc is None) == (vt is None)
    if vc is not None:
        np.testing.assert_array_equal(vc, vt)


# ------------------------------------------------------------------------- split, chunk

SPLIT_ARGS = [2, 1, 0, -1, [0], [0, 0], [], [1, 2], [3, 0], [4, -1]]


@needs_torch
@pytest.mark.parametrize("shape", [(0, 2), (2, 0), (3,), (5,), (0,), ()])
@pytest.mark.parametrize("dim", [0, -1])
@pytest.mark.parametrize("arg", SPLIT_ARGS, ids=str)
def test_split_pieces_as_torch(shape, dim, arg):
    same_outcome(lambda L: [tuple(p.shape) for p in L.split(L.zeros(shape), arg, dim=dim)])


@needs_torch
@pytest.mark.parametrize("shape", [(0, 2), (2, 0), (3,), (5,), (6,), (0,), ()])
@pytest.mark.parametrize("dim", [0, -1])
@pytest.mark.parametrize("chunks", [1, 2, 3, 4, 0, -1])
def test_chunk_pieces_as_torch(shape, dim, chunks):
    same_outcome(lambda L: [tuple(p.shape) for p in L.chunk(L.zeros(shape), chunks, dim)])
    same_outcome(lambda L: [tuple(p.shape) for p in L.zeros(shape).chunk(chunks, dim=dim)])


@needs_torch
@pytest.mark.parametrize("shape", [(0, 2), (2, 0), (5, 2)])
def test_gradients_through_the_pieces_of_split_and_chunk(shape):
    def fn(L, x):
        parts = list(L.chunk(x * 1, 3, dim=0)) + list(L.split(x * 2, 2, dim=0))
        return L.cat([p.reshape(-1) for p in parts] + [x.reshape(-1)[:0]])

    assert_backward_same(fn, np.arange(np.prod(shape), dtype=float).reshape(shape))


# ---------------------------------------------------------------------------- numpy()


@needs_torch
@pytest.mark.parametrize("mode", ["grad", "no_grad", "set_grad_enabled(False)"])
@pytest.mark.parametrize(
    "call",
    [
        lambda L, x: x.numpy(),
        lambda L, x: x.numpy(force=True),
        lambda L, x: np.asarray(x),
        lambda L, x: (x * 2).numpy(),
    ],
)
def test_numpy_of_a_tensor_requiring_grad_follows_grad_mode_as_torch(mode, call):
    def fn(L):
        x = L.ones(2, requires_grad=True)
        ctx = {  # (set_grad_enabled acts when made: make only the one asked for)
            "grad": L.enable_grad,
            "no_grad": L.no_grad,
            "set_grad_enabled(False)": lambda: L.set_grad_enabled(False),
        }[mode]
        with ctx():
            return call(L, x)

    same_outcome(fn)


def test_numpy_under_no_grad_shares_memory():
    x = cr.ones(2, requires_grad=True)
    with cr.no_grad():
        a = x.numpy()
    a[0] = 5.0
    assert x.detach().numpy()[0] == 5.0


# --------------------------------------------------------------------------- +x (bool)


@needs_torch
@pytest.mark.parametrize(
    "call", [lambda L, x: +x, lambda L, x: L.positive(x), lambda L, x: x.positive()]
)
@pytest.mark.parametrize("dtype", ["bool", "int64", "float32"])
def test_positive_is_the_tensor_itself_and_refuses_bool_as_torch(call, dtype):
    same_outcome(lambda L: (lambda x: call(L, x) is x)(L.ones(2, dtype=getattr(L, dtype))))


# ------------------------------------------------------------------ cat of empty inputs


def _cat_case(L, specs, dim):
    out = []
    for shape, dtype, rg in specs:
        out.append(L.zeros(shape, dtype=getattr(L, dtype), requires_grad=rg))
    y = L.cat(out, dim=dim)
    return tuple(y.shape), str(y.dtype), y.requires_grad


F, D, I, B = "float32", "float64", "int64", "bool"


@needs_torch
@pytest.mark.parametrize(
    "specs, dim",
    [
        ([((0,), F, False), ((1,), I, False)], 0),
        ([((0,), D, False), ((2,), F, False)], 0),
        ([((0,), F, True), ((1,), F, False)], 0),
        ([((0,), F, False), ((2, 3), F, False)], 0),
        ([((2, 3), F, False), ((0,), D, True)], 1),
        ([((0, 3), F, False), ((2, 3), F, False)], 0),
        ([((0, 4), F, False), ((2, 3), F, False)], 0),
        ([((2, 0), F, False), ((2, 3), F, False)], 0),
        ([((2, 0), F, False), ((2, 3), F, False)], 1),
        ([((0,), F, False), ((0,), F, False)], 1),
        ([((0,), F, False)], 2),
        ([((0,), F, False), ((2, 3), F, False)], 5),
        ([((0,), F, False), ((2, 3), F, False)], -1),
        ([((0,), B, False), ((2, 3), I, False)], 0),
        ([((2,), B, False), ((0,), D, False)], 0),
        ([((0, 2), D, True), ((2, 2), F, False)], 0),
        ([((), F, False), ((2,), F, False)], 0),
        ([((0,), F, False), ((), F, False)], 0),
        ([((0, 1, 2), F, False), ((3, 3), F, False)], 0),
        ([((1, 0), F, False), ((3, 3), F, False)], 0),
        ([], 0),
    ],
)
def test_cat_counts_empty_inputs_as_torch(specs, dim):
    same_outcome(lambda L: _cat_case(L, specs, dim))


@needs_torch
@pytest.mark.parametrize(
    "shapes, dim", [([(0,), (2, 3), (0,), (1, 3)], 0), ([(2, 3), (0,)], 1), ([(0,), (3,)], 0)]
)
def test_cat_gradients_with_1d_empty_inputs_as_torch(shapes, dim):
    arrays = [np.arange(float(np.prod(s))).reshape(s) for s in shapes]
    assert_backward_same(lambda L, *xs: L.cat(xs, dim=dim), *arrays)
    xs = [cr.tensor(a, requires_grad=True) for a in arrays]
    assert gradcheck(lambda *xs: cr.cat(xs, dim=dim), xs)


# ------------------------------------------------------------- clamp of integer tensors

CLAMP_BOUNDS = [
    {"max": 0.5},
    {"min": 0},
    {"min": True},
    {"max": True},
    {"min": True, "max": True},
    {"min": 1},
    {"min": 0.5, "max": 1},
    {"min": 1, "max": 0.5},
]


@needs_torch
@pytest.mark.parametrize("dtype", ["bool", "int64", "int32", "float16", "float32"])
@pytest.mark.parametrize("bounds", CLAMP_BOUNDS, ids=str)
@pytest.mark.parametrize("name", ["clamp_", "clip_", "clamp"])
def test_clamp_with_number_bounds_refuses_as_torch(dtype, bounds, name):
    same_outcome(lambda L: getattr(L.tensor([1, 0], dtype=getattr(L, dtype)), name)(**bounds))


# ------------------------------------------------------------- min/max(dim) over NaNs

NAN = float("nan")


@needs_torch
@pytest.mark.parametrize("name", ["min", "max"])
@pytest.mark.parametrize(
    "value", [NAN, [NAN], [1.0, NAN, NAN, 3.0], [[NAN, 1.0], [2.0, NAN]], 2.5], ids=str
)
@pytest.mark.parametrize("keepdim", [False, True])
def test_min_max_with_a_dim_index_nans_as_torch(name, value, keepdim):
    same_outcome(lambda L: getattr(L, name)(L.tensor(value), dim=0, keepdim=keepdim))


# ------------------------------------------------------------ products of mixed dtypes

PRODUCT_SHAPES = [
    ((3,), (3, 3)),
    ((3, 3), (3,)),
    ((3, 3), (3, 3)),
    ((2, 3, 3), (3,)),
    ((3,), (2, 3, 3)),
    ((2, 3, 3), (2, 3, 3)),
    ((3,), (3,)),
    ((2, 3, 3), (3, 3)),
    ((3, 3), (2, 3, 3)),
    ((3,), (4, 3)),
]


@needs_torch
@pytest.mark.parametrize("a, b", PRODUCT_SHAPES)
@pytest.mark.parametrize("dtype", ["float64", "int64", "float32"])
def test_matmul_of_mixed_dtypes_raises_as_torch(a, b, dtype):
    same_outcome(lambda L: L.matmul(L.ones(a, dtype=getattr(L, dtype)), L.ones(b)).shape)
    same_outcome(lambda L: (L.ones(b) @ L.ones(a, dtype=getattr(L, dtype))).shape)


@needs_torch
@pytest.mark.parametrize(
    "fn",
    [
        lambda L: L.dot(L.ones(3, dtype=L.float64), L.ones(3)),
        lambda L: L.mv(L.ones(3, 3, dtype=L.float64), L.ones(3)),
        lambda L: L.mv(L.ones(3, 3), L.ones(3, dtype=L.float64)),
        lambda L: L.mm(L.ones(3, 3), L.ones(3, 3, dtype=L.float64)),
        lambda L: L.ones(3).dot(L.ones(3, dtype=L.int64)),
    ],
)
def test_dot_mv_mm_of_mixed_dtypes_raise_as_torch(fn):
    same_outcome(fn)


# -------------------------------------------------------------------------- remainder

REMAINDER_PAIRS = [
    ([-0.5, 0.5, 1.0, -1.0, 7.3, 0.3], [-0.1, 0.1, -math.inf, math.inf, 2.0, -0.1]),
    ([5.0, -5.0, 0.0, 1e-3], [3.0, 3.0, -2.0, 0.1]),
]


@needs_torch
@pytest.mark.parametrize("a, b", REMAINDER_PAIRS)
@pytest.mark.parametrize(
    "fn",
    [
        lambda L, x, y: x.remainder(y),
        lambda L, x, y: x % y,
        lambda L, x, y: L.remainder(x, y),
    ],
)
def test_remainder_gradients_floor_divide_as_torch(a, b, fn):
    # d/dy remainder(x, y) = -(x // y), Python's floor division: -0.5 // -0.1 is 4
    # (floor(-0.5 / -0.1) would be 5)
    assert_backward_same(fn, a, b)


def _number_remainder_backward(L, spelling, mode):
    y = L.tensor([3.0, -0.1], requires_grad=True)
    z = 2.5 % y if spelling == "operator" else L.remainder(2.5, y)
    if mode == "forward":
        import importlib

        fwad = importlib.import_module(L.__name__ + ".autograd.forward_ad")
        with fwad.dual_level():
            return fwad.unpack_dual(2.5 % fwad.make_dual(y.detach(), L.ones(2))).tangent
    return (str(z), z.grad_fn.name(), z.sum().backward())


@needs_torch
@pytest.mark.parametrize("spelling", ["operator", "function"])
@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_remainder_of_a_number_has_no_derivative_as_torch(spelling, mode):
    # PyTorch's remainder(Scalar, Tensor) has no derivative: grad_fn NotImplemented, and
    # backward (or forward mode) raises
    same_outcome(lambda L: _number_remainder_backward(L, spelling, mode))


def test_remainder_gradient_with_create_graph_as_first_order():
    x = cr.tensor([-0.5, 7.3], dtype=cr.float64, requires_grad=True)
    y = cr.tensor([-0.1, 2.0], dtype=cr.float64, requires_grad=True)
    gx, gy = cr.autograd.grad((x % y).sum(), [x, y], create_graph=True)
    assert gy.tolist() == [-4.0, -3.0] and gx.tolist() == [1.0, 1.0]
    assert gy.grad_fn is not None  # recorded (its own gradient is zero)


def test_remainder_gradchecks():
    x = cr.tensor([-0.55, 7.3, 2.2], dtype=cr.float64, requires_grad=True)
    y = cr.tensor([-0.2, 2.0, 0.7], dtype=cr.float64, requires_grad=True)
    assert gradcheck(cr.remainder, (x, y))
    assert cr.autograd.gradgradcheck(cr.remainder, (x, y))


# ---------------------------------------------------------- index_put's dtypes


def _put(x, idx, value):
    x[idx] = value
    return x


def _mask(L, *values):
    return L.tensor(list(values))


INDEX_PUT_DTYPES = [
    # one boolean mask and a value of one element: masked_fill_, which casts
    lambda L: _put(L.zeros(3), _mask(L, True, False, True), L.ones((), dtype=L.float64)),
    lambda L: _put(L.zeros(3), _mask(L, True, False, True), L.ones(1, 1, dtype=L.float64)),
    lambda L: _put(L.zeros(3), [True, False, True], L.ones((), dtype=L.float64)),
    lambda L: _put(L.zeros(3, dtype=L.int64), _mask(L, True, False, True), L.tensor(2.7)),
    lambda L: _put(L.zeros(2, 3), (_mask(L, True, False), 0), L.ones(1, dtype=L.float64)),
    lambda L: _put(L.zeros(2, 3), (_mask(L, True, False), None), L.ones((), dtype=L.float64)),
    lambda L: _put(L.zeros(2, 3), (..., _mask(L, True, False, True)), L.tensor(2, dtype=L.int64)),
    lambda L: _put(L.zeros(2, 3), L.ones(2, 3, dtype=L.bool), L.ones((), dtype=L.float16)),
    lambda L: _put(L.zeros(0), L.tensor([], dtype=L.bool), L.ones((), dtype=L.float64)),
    lambda L: _put(L.zeros(3), _mask(L, True, False, True), L.ones(1, 1)),
    # anything else: index_put_ refuses another dtype (after the shapes, before the bounds)
    lambda L: _put(L.zeros(3), _mask(L, True, False, True), L.ones(2, dtype=L.float64)),
    lambda L: _put(L.zeros(3), L.tensor([0, 2]), L.ones((), dtype=L.float64)),
    lambda L: _put(L.zeros(3), L.tensor([0, 2]), L.ones(2, dtype=L.int64)),
    lambda L: _put(L.zeros(3), [0, 2], L.ones(2, dtype=L.float64)),
    lambda L: _put(L.zeros(3), L.tensor([0, 5]), L.ones(2, dtype=L.float64)),
    lambda L: _put(L.zeros(3), L.tensor([0, 1]), L.ones(3, dtype=L.float64)),
    lambda L: _put(L.zeros(3, dtype=L.int64), L.tensor([0, 2]), L.ones(2, dtype=L.int32)),
    lambda L: _put(L.zeros(3, dtype=L.bool), L.tensor([0, 2]), L.ones(2)),
    lambda L: _put(L.tensor(0.0), L.tensor(True), L.ones((), dtype=L.float64)),
    lambda L: _put(L.zeros(3), L.tensor(True), L.ones((), dtype=L.float64)),
    lambda L: _put(L.zeros(0), L.tensor([], dtype=L.int64), L.ones((), dtype=L.float64)),
    lambda L: _put(
        L.zeros(2, 3),
        (_mask(L, True, False), _mask(L, True, False, True)),
        L.ones(1, dtype=L.float64),
    ),
    lambda L: _put(L.zeros(3), L.tensor([0, 2]), L.ones(2, dtype=L.float64, requires_grad=True)),
    # basic indices copy (and cast)
    lambda L: _put(L.zeros(3), slice(0, 2), L.ones(2, dtype=L.float64)),
    lambda L: _put(L.zeros(3, dtype=L.int64), 0, L.tensor(2.5)),
]


@needs_torch
@pytest.mark.parametrize("fn", INDEX_PUT_DTYPES)
def test_setitem_with_another_dtype_as_torch(fn):
    same_outcome(fn)


def test_setitem_of_one_element_through_a_mask_has_its_gradient():
    v = cr.ones(1, 1, dtype=cr.float64, requires_grad=True)
    x = cr.zeros(3, dtype=cr.float64, requires_grad=True) * 1
    x[cr.tensor([True, False, True])] = v * 2
    x.sum().backward()
    assert v.grad.shape == (1, 1) and v.grad.item() == 4.0


@needs_torch
@pytest.mark.parametrize("dtype", ["int64", "int32", "bool", "uint8"])
@pytest.mark.parametrize(
    "write",
    [
        lambda L, x: _put(x[0], (), L.tensor(math.nan)),
        lambda L, x: _put(x, slice(1, None), L.tensor([math.nan, math.inf])),
        lambda L, x: _put(x, 0, L.tensor(-math.inf, dtype=L.float64)),
    ],
)
def test_setitem_casts_nan_and_inf_into_integers_as_torch(dtype, write):
    # NaN into an integer tensor is PyTorch's cast (INT64_MIN), not NumPy's ValueError
    same_outcome(lambda L: write(L, L.zeros(3, dtype=getattr(L, dtype))))


# ------------------------------------------------ narrow, mv and indices: check order

ODD_ARGUMENTS = [
    lambda L: L.tensor(1.0).narrow(0, 0, 0),
    lambda L: L.tensor(1.0).narrow(5, 9, -1),
    lambda L: L.ones(3).narrow(2, 4, -1),
    lambda L: L.ones(3).narrow(1, 0, 1),
    lambda L: L.ones(3).narrow(0, 2, 2),
    lambda L: L.ones(3).narrow(0, 4, 0),
    lambda L: L.ones(3).narrow(0, -4, 1),
    lambda L: L.ones(3).narrow(0, -1, 1),
    lambda L: L.ones(3).narrow(0, 3, 0),
    lambda L: L.ones(0).narrow(0, 1, 0),
    lambda L: L.narrow(L.ones(2, 3), 1, L.tensor(1), 2),
    lambda L: L.tensor(1.0).mv(L.ones(2)),
    lambda L: L.tensor(1.0).mv(L.tensor(1.0)),
    lambda L: L.ones(2, 2).mv(L.tensor(1.0)),
    lambda L: L.ones(2).mv(L.ones(2)),
    lambda L: L.ones(2, 2, 2).mv(L.ones(2)),
    lambda L: L.ones(3)[::-1, 0:1],
    lambda L: L.ones(3)[::0],
    lambda L: L.ones(3)[::-1],
    lambda L: L.ones(3)[::0, 0],
    lambda L: L.ones(3)[L.tensor([True, False, True]), 0],
    lambda L: L.ones(3)[L.tensor([0]), ::-1],
    lambda L: L.tensor(1.0)[0:1],
    lambda L: L.tensor(1.0)[::-1],
    lambda L: L.tensor(1.0)[::0],
    lambda L: L.tensor(1.0)[0],
    lambda L: L.tensor(1.0)[0, 0],
    lambda L: L.tensor(1.0)[None, 0:1],
    lambda L: L.tensor(1.0)[..., 0:1],
    lambda L: L.ones(2, 2)[::-1, 5],
    lambda L: L.ones(2, 2)[5, ::-1],
    lambda L: L.ones(2, 2)[None, 1, ..., ::2],
]


@needs_torch
@pytest.mark.parametrize("fn", ODD_ARGUMENTS)
def test_odd_arguments_raise_as_torch(fn):
    # PyTorch's order of checks: narrow's 0-d, length, dim, start, end; mv's 0-d input
    # first; an index's count of dims before its steps, then steps and bounds in order
    same_outcome(fn)
