"""chainrule.functions.scatter against PyTorch: scatter, scatter_add, index_add,
index_copy, index_fill, masked_scatter and their in-place variants (values, dtypes,
shapes, errors, node names, gradients of both inputs), on 0-d, empty, non-contiguous
inputs and negative dims. Skipped where torch is not installed."""

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
    n = int(np.prod(shape)) if shape else 1
    return L.arange(n, dtype=dtype or L.float32).reshape(shape) + 1


def T(L, *shape):
    """A non-contiguous (transposed) tensor of ``shape``."""
    return A(L, *shape[::-1]).permute(*range(len(shape) - 1, -1, -1))


I = lambda L, v: L.tensor(v, dtype=L.int64)  # noqa: E731
B = lambda L, v: L.tensor(v, dtype=L.bool)  # noqa: E731
Z = lambda L, *s: L.zeros(*s)  # noqa: E731


def inplace(method: str, make, *args, **kw):
    """x.<method>(*args) on a fresh x = make(L): the returned tensor and x itself."""

    def f(L):
        x = make(L)
        r = getattr(x, method)(*(a(L) if callable(a) else a for a in args), **kw)
        return (r, x)

    return f


CASES = {
    # scatter: src tensor, value, dims, shapes
    "scatter src": lambda L: Z(L, 2, 3).scatter(1, I(L, [[2, 0], [1, 1]]), A(L, 2, 3)),
    "scatter dim 0": lambda L: L.scatter(Z(L, 3, 2), 0, I(L, [[2, 0]]), T(L, 2, 2)),
    "scatter negative dim": lambda L: Z(L, 2, 3).scatter(-1, I(L, [[2], [0]]), A(L, 2, 1)),
    "scatter value": lambda L: Z(L, 2, 3).scatter(1, I(L, [[2], [0]]), 5.0),
    "scatter value kw": lambda L: Z(L, 2, 3).scatter(1, I(L, [[2], [0]]), value=-1),
    "scatter int": lambda L: A(L, 3, dtype=L.int64).scatter(0, I(L, [0]), I(L, [9])),
    "scatter int32 index": lambda L: Z(L, 3).scatter(0, I(L, [2]).int(), A(L, 1)),
    "scatter 0-d": lambda L: Z(L).scatter(0, I(L, 0), L.tensor(5.0)),
    "scatter empty index": lambda L: Z(L, 3).scatter(0, I(L, []), A(L, 2)),
    "scatter empty index 2-d": lambda L: Z(L, 2, 3).scatter(1, L.zeros(2, 0, dtype=L.int64), 1.0),
    "scatter non-contiguous self": lambda L: T(L, 2, 3).scatter(0, I(L, [[1, 0, 1]]), -A(L, 1, 3)),
    "scatter src bigger": lambda L: Z(L, 2, 2).scatter(1, I(L, [[1]]), A(L, 3, 3)),
    "scatter dtype": lambda L: Z(L, 2, 3).scatter(1, I(L, [[0]]), A(L, 1, 1).double()),
    "scatter float index": lambda L: Z(L, 2, 3).scatter(1, L.tensor([[0.0]]), 1.0),
    "scatter out of bounds": lambda L: Z(L, 2, 3).scatter(1, I(L, [[3]]), 1.0),
    "scatter negative index": lambda L: Z(L, 2, 3).scatter(1, I(L, [[-1]]), 1.0),
    "scatter index too big": lambda L: Z(L, 2, 3).scatter(1, L.zeros(3, 1).long(), A(L, 3, 3)),
    "scatter index bigger than src": lambda L: Z(L, 2, 3).scatter(1, I(L, [[0, 0]]), A(L, 1, 1)),
    "scatter index ndim": lambda L: Z(L, 2, 3).scatter(1, I(L, [0]), A(L, 1)),
    "scatter bad dim": lambda L: Z(L, 2, 3).scatter(2, I(L, [[0]]), 1.0),
    "scatter reduce add": lambda L: Z(L, 2, 3).scatter(
        0, I(L, [[1, 0], [1, 1]]), A(L, 2, 2), reduce="add"
    ),
    "scatter reduce multiply": lambda L: A(L, 2, 3).scatter(
        0, I(L, [[1, 0], [1, 1]]), A(L, 2, 2), reduce="multiply"
    ),
    "scatter reduce value": lambda L: Z(L, 2, 3).scatter(0, I(L, [[1, 1]]), 2.0, reduce="add"),
    "scatter reduce bad": lambda L: Z(L, 2, 3).scatter(0, I(L, [[1]]), 2.0, reduce="mean"),
    "scatter_": inplace("scatter_", lambda L: Z(L, 2, 3), 1, lambda L: I(L, [[2], [0]]), 7.0),
    "scatter_ src": inplace(
        "scatter_", lambda L: Z(L, 3), 0, lambda L: I(L, [1]), lambda L: A(L, 1)
    ),
    "scatter_ 0-d": inplace("scatter_", lambda L: Z(L), 0, lambda L: I(L, 0), 3.0),
    "scatter_ reduce": inplace(
        "scatter_",
        lambda L: A(L, 3),
        0,
        lambda L: I(L, [1, 1]),
        lambda L: A(L, 2),
        reduce="multiply",
    ),
    # scatter_add
    "scatter_add": lambda L: Z(L, 2, 3).scatter_add(1, I(L, [[2, 2], [0, 1]]), A(L, 2, 3)),
    "scatter_add fn": lambda L: L.scatter_add(T(L, 3, 2), 0, I(L, [[2, 0], [2, 2]]), T(L, 2, 2)),
    "scatter_add int": lambda L: A(L, 3, dtype=L.int64).scatter_add(0, I(L, [0, 0]), I(L, [4, 5])),
    "scatter_add 0-d": lambda L: A(L).scatter_add(0, I(L, 0), L.tensor(2.0)),
    "scatter_add empty": lambda L: A(L, 3).scatter_add(0, I(L, []), A(L, 0)),
    "scatter_add value": lambda L: Z(L, 3).scatter_add(0, I(L, [0]), 2.0),
    "scatter_add dtype": lambda L: Z(L, 3).scatter_add(0, I(L, [0]), A(L, 1).double()),
    "scatter_add_": inplace(
        "scatter_add_", lambda L: A(L, 2, 2), -1, lambda L: I(L, [[0, 0]]), lambda L: A(L, 1, 2)
    ),
    # index_add
    "index_add": lambda L: Z(L, 2, 3).index_add(1, I(L, [0, 0]), A(L, 2, 2)),
    "index_add alpha": lambda L: L.index_add(Z(L, 3, 2), 0, I(L, [2, 0]), T(L, 2, 2), alpha=-1.5),
    "index_add int alpha": lambda L: Z(L, 3, dtype=L.int32).index_add(
        0, I(L, [0]), A(L, 1, dtype=L.int32), alpha=2
    ),
    "index_add 0-d index": lambda L: Z(L, 2, 3).index_add(1, I(L, 1), A(L, 2, 1)),
    "index_add 0-d": lambda L: Z(L).index_add(0, I(L, [0]), L.tensor(2.0)),
    "index_add empty": lambda L: Z(L, 2, 3).index_add(1, I(L, []), A(L, 2, 0)),
    "index_add int32 index": lambda L: Z(L, 3).index_add(0, I(L, [1]).int(), A(L, 1)),
    "index_add count": lambda L: Z(L, 2, 3).index_add(1, I(L, [0, 0]), A(L, 2, 3)),
    "index_add source shape": lambda L: Z(L, 3).index_add(0, I(L, [0]), A(L, 1, 1)),
    "index_add source dim": lambda L: Z(L, 2, 3).index_add(1, I(L, 1), A(L, 2)),
    "index_add out of bounds": lambda L: Z(L, 2, 3).index_add(1, I(L, [0, 3]), A(L, 2, 2)),
    "index_add negative index": lambda L: Z(L, 2, 3).index_add(1, I(L, [-1]), A(L, 2, 1)),
    "index_add 2-d index": lambda L: Z(L, 2, 3).index_add(1, I(L, [[0]]), A(L, 2, 1)),
    "index_add dtype": lambda L: Z(L, 2, 3).index_add(1, I(L, [0]), A(L, 2, 1).double()),
    "index_add float index": lambda L: Z(L, 2, 3).index_add(1, L.tensor([0.0]), A(L, 2, 1)),
    "index_add scalar source": lambda L: Z(L, 3).index_add(0, I(L, [0]), L.tensor(2.0)),
    "index_add scalar source, 2 indices": lambda L: Z(L, 3).index_add(0, I(L, [0, 1]), A(L)),
    "index_add scalar source dim 1": lambda L: Z(L, 2, 3).index_add(1, I(L, [0]), A(L)),
    "index_add 0-d self, 1-d source": lambda L: Z(L).index_add(0, I(L, [0]), A(L, 1)),
    "index_add 0-d self, 2 indices": lambda L: Z(L).index_add(0, I(L, [0, 0]), A(L, 2)),
    "index_add_": inplace(
        "index_add_", lambda L: A(L, 2, 3), 0, lambda L: I(L, [1, 1]), lambda L: A(L, 2, 3), alpha=2
    ),
    # index_copy
    "index_copy": lambda L: Z(L, 2, 3).index_copy(1, I(L, [2, 0]), A(L, 2, 2)),
    "index_copy fn": lambda L: L.index_copy(T(L, 3, 2), 0, I(L, [1]), A(L, 1, 2)),
    "index_copy 0-d": lambda L: Z(L).index_copy(0, I(L, [0]), L.tensor(3.0)),
    "index_copy count": lambda L: Z(L, 2, 3).index_copy(1, I(L, [2, 0]), A(L, 2, 3)),
    "index_copy dtype": lambda L: Z(L, 2, 3).index_copy(1, I(L, [2]), A(L, 2, 1).int()),
    "index_copy out of bounds": lambda L: Z(L, 2, 3).index_copy(1, I(L, [-1]), A(L, 2, 1)),
    "index_copy ndim": lambda L: Z(L, 2, 3).index_copy(0, I(L, [0]), L.ones(3)),
    "index_copy scalar source": lambda L: Z(L, 3).index_copy(0, I(L, [1]), L.tensor(2.0)),
    "index_copy scalar source, 2 indices": lambda L: Z(L, 3).index_copy(0, I(L, [0, 1]), A(L)),
    "index_copy scalar source into 2-d": lambda L: Z(L, 2, 3).index_copy(1, I(L, [0]), A(L)),
    "index_copy 0-d self": lambda L: Z(L).index_copy(0, I(L, [0]), A(L, 1)),
    "index_copy 0-d self, 2-d source": lambda L: Z(L).index_copy(0, I(L, [0]), A(L, 1, 1)),
    "index_copy slice shapes": lambda L: Z(L, 2, 3, 4).index_copy(1, I(L, [0]), A(L, 3, 1, 5)),
    "index_copy slice shapes dim 0": lambda L: Z(L, 2, 3).index_copy(0, I(L, [0]), A(L, 1, 4)),
    "index_copy_": inplace(
        "index_copy_", lambda L: Z(L, 2, 3), -1, lambda L: I(L, [1]), lambda L: A(L, 2, 1)
    ),
    # index_fill
    "index_fill": lambda L: Z(L, 2, 3).index_fill(1, I(L, [2, 0]), 5),
    "index_fill negative index": lambda L: L.index_fill(T(L, 2, 3), -1, I(L, [-1]), -2.5),
    "index_fill tensor": lambda L: Z(L, 2, 3).index_fill(0, I(L, [1]), L.tensor(4.0)),
    "index_fill int tensor": lambda L: Z(L, 2, 3).index_fill(0, I(L, [1]), I(L, 4)),
    "index_fill int": lambda L: Z(L, 2, dtype=L.int64).index_fill(0, I(L, [1]), 1.5),
    "index_fill bool": lambda L: L.zeros(3, dtype=L.bool).index_fill(0, I(L, [1]), True),
    "index_fill 0-d": lambda L: Z(L).index_fill(0, I(L, [0]), 1),
    "index_fill 0-d index": lambda L: Z(L, 3).index_fill(0, I(L, 1), 1),
    "index_fill 1-d value": lambda L: Z(L, 2, 3).index_fill(1, I(L, [2]), L.tensor([5.0])),
    "index_fill out of bounds": lambda L: Z(L, 2, 3).index_fill(1, I(L, [3]), 5),
    "index_fill_": inplace("index_fill_", lambda L: Z(L, 2, 3), 1, lambda L: I(L, [0]), 3.0),
    # masked_scatter
    "masked_scatter": lambda L: Z(L, 2, 3).masked_scatter(B(L, [True, False, True]), A(L, 10)),
    "masked_scatter 2-d source": lambda L: L.masked_scatter(T(L, 2, 3), T(L, 2, 3) > 3, T(L, 3, 2)),
    "masked_scatter broadcast self": lambda L: Z(L, 3).masked_scatter(
        B(L, [[True, False, True], [False, True, True]]), A(L, 4)
    ),
    "masked_scatter 0-d": lambda L: Z(L).masked_scatter(B(L, True), A(L, 2)),
    "masked_scatter 0-d broadcast": lambda L: Z(L).masked_scatter(B(L, [True, False]), A(L, 2)),
    "masked_scatter 0-d, 1-element mask": lambda L: Z(L).masked_scatter(B(L, [True]), A(L, 2)),
    "masked_scatter none": lambda L: Z(L, 3).masked_scatter(B(L, [False] * 3), A(L, 0)),
    "masked_scatter short source": lambda L: Z(L, 2, 3).masked_scatter(B(L, [1, 0, 1]), A(L, 3)),
    "masked_scatter not bool": lambda L: Z(L, 2, 3).masked_scatter(I(L, [1, 0, 1]), A(L, 9)),
    "masked_scatter dtype": lambda L: Z(L, 3).masked_scatter(B(L, [1, 0, 1]), I(L, [1, 2])),
    "masked_scatter mismatch": lambda L: Z(L, 3).masked_scatter(B(L, [1, 0]), A(L, 9)),
    "masked_scatter_": inplace(
        "masked_scatter_",
        lambda L: Z(L, 2, 3),
        lambda L: B(L, [[True], [False]]),
        lambda L: A(L, 4),
    ),
    "masked_scatter_ mask too big": inplace(
        "masked_scatter_",
        lambda L: Z(L, 3),
        lambda L: L.ones(2, 3, dtype=L.bool),
        lambda L: A(L, 7),
    ),
    "masked_scatter_ mismatch": inplace(
        "masked_scatter_", lambda L: Z(L, 3), lambda L: L.ones(2, dtype=L.bool), lambda L: A(L, 7)
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_values_dtypes_shapes_errors(name):
    check(CASES[name])


# ------------------------------------------------------------------ node names
def _leaves(L):
    return L.ones(2, 3, requires_grad=True) * 1, L.ones(2, 3, requires_grad=True) * 1


NAMES = {
    "scatter": lambda L, x, s: x.scatter(1, I(L, [[0], [2]]), s),
    "scatter value": lambda L, x, s: x.scatter(1, I(L, [[0], [2]]), 2.0),
    "scatter_add": lambda L, x, s: x.scatter_add(1, I(L, [[0], [2]]), s),
    "index_add": lambda L, x, s: x.index_add(0, I(L, [1, 1]), s),
    "index_copy": lambda L, x, s: x.index_copy(0, I(L, [1, 0]), s),
    "index_fill": lambda L, x, s: x.index_fill(0, I(L, [1]), 2.0),
    "index_fill tensor": lambda L, x, s: x.index_fill(0, I(L, [1]), s[0, 0]),
    "masked_scatter": lambda L, x, s: x.masked_scatter(B(L, [True, False, True]), s),
    "scatter_ in place": lambda L, x, s: x.scatter_(1, I(L, [[0], [2]]), s),
    "index_add_ in place": lambda L, x, s: x.index_add_(0, I(L, [1, 1]), s),
}


@pytest.mark.parametrize("name", sorted(NAMES))
def test_grad_fn_names(name):
    check(lambda L: NAMES[name](L, *_leaves(L)), grad_fn=True)


def test_legacy_reduce_has_no_derivative():
    for lib in (cr, torch):
        x = lib.zeros(3, requires_grad=True)
        y = x.scatter(0, I(lib, [0]), lib.ones(1), reduce="add")
        assert y.grad_fn.name().endswith("NotImplemented")
        with pytest.raises(RuntimeError, match="derivative for aten::scatter is not implemented"):
            y.sum().backward()


# ------------------------------------------------------------------ gradients
GRADS = {
    "scatter src": (lambda L, x, s: x.scatter(1, I(L, [[2, 0, 1], [1, 1, 0]]), s), (2, 3), (2, 3)),
    "scatter value": (lambda L, x: x.scatter(-1, I(L, [[2], [0]]), 3.0), (2, 3)),
    "scatter 0-d": (lambda L, x, s: x.scatter(0, I(L, 0), s), (), ()),
    "scatter_add": (lambda L, x, s: x.scatter_add(1, I(L, [[2, 2], [0, 2]]), s), (2, 3), (2, 2)),
    "scatter_add of T": (lambda L, x, s: x.T.scatter_add(0, I(L, [[1, 1]]), s), (2, 3), (1, 2)),
    "index_add": (lambda L, x, s: x.index_add(1, I(L, [0, 0, 2]), s, alpha=2.0), (2, 3), (2, 3)),
    "index_add 0-d": (lambda L, x, s: x.index_add(0, I(L, [0]), s), (), ()),
    "index_copy": (lambda L, x, s: x.index_copy(0, I(L, [2, 0]), s), (3, 2), (2, 2)),
    "index_fill": (lambda L, x: x.index_fill(1, I(L, [-1]), 2.0), (2, 3)),
    "index_fill tensor": (lambda L, x, v: x.index_fill(1, I(L, [0, 2]), v), (2, 3), ()),
    # (a repeated index: the value's gradient counts the slice once, as PyTorch's)
    "index_fill tensor repeats": (lambda L, x, v: x.index_fill(1, I(L, [0, 0, 2]), v), (2, 3), ()),
    "masked_scatter": (
        lambda L, x, s: x.masked_scatter(B(L, [[True], [False]]), s),
        (2, 3),
        (2, 3),
    ),
    "masked_scatter broadcast": (
        lambda L, x, s: x.masked_scatter(B(L, [[True, False, True], [False, True, False]]), s),
        (3,),
        (5,),
    ),
    "scatter_ in place": (
        lambda L, x, s: (x * 1).scatter_(1, I(L, [[2, 0, 1], [1, 1, 0]]), s),
        (2, 3),
        (2, 3),
    ),
    "scatter_add_ in place": (
        lambda L, x, s: (x * 1).scatter_add_(0, I(L, [[1, 1, 0]]), s),
        (2, 3),
        (1, 3),
    ),
    "index_add_ in place": (
        lambda L, x, s: (x * 1).index_add_(0, I(L, [1, 1]), s, alpha=-0.5),
        (2, 3),
        (2, 3),
    ),
    "index_copy_ in place": (lambda L, x, s: (x * 1).index_copy_(1, I(L, [1]), s), (2, 3), (2, 1)),
    "index_fill_ in place": (lambda L, x, v: (x * 1).index_fill_(0, I(L, [1]), v), (2, 3), ()),
    "masked_scatter_ in place": (
        lambda L, x, s: (x * 1).masked_scatter_(B(L, [True, False, True]), s),
        (2, 3),
        (6,),
    ),
}


@pytest.mark.parametrize("name", sorted(GRADS))
def test_gradients(name):
    f, *shapes = GRADS[name]
    rng = np.random.default_rng(1)
    check_grads(f, *[rng.standard_normal(s) for s in shapes])


def test_src_bigger_than_index():
    # PyTorch reads only index's corner of src; its backward then refuses ("returned an
    # invalid gradient ... got [1, 2] but expected [3, 2]"): chainrule gives the gradient,
    # zero where src was not read
    for f in (cr.Tensor.scatter, cr.Tensor.scatter_add):
        s = cr.arange(6.0).reshape(3, 2).requires_grad_()
        f(cr.zeros(2, 3), 0, cr.tensor([[1, 0]]), s.T).sum().backward()
        np.testing.assert_array_equal(s.grad.numpy(), [[1, 0], [1, 0], [0, 0]])


# ------------------------------------------------------------------ scatter_reduce
REDUCE_DATA = [
    # ties with self and within src (amax/amin), one zero in src (prod)
    ([[2.0, 0.0, 1.0], [3.0, -1.0, 0.0]], [[2.0, 2.0, 0.0], [0.0, -1.0, 5.0]]),
    # a zero in x where src lands, two zeros in src at one position, none at another
    ([[0.0, 4.0, 1.0], [3.0, 2.0, -2.0]], [[2.0, -3.0, 0.5], [0.0, 0.0, 5.0]]),
]
REDUCE_INDEX = [[0, 0, 2], [1, 1, 1]]


@pytest.mark.parametrize("include_self", [True, False])
@pytest.mark.parametrize("reduce", ["sum", "prod", "mean", "amax", "amin"])
@pytest.mark.parametrize("data", range(len(REDUCE_DATA)))
def test_scatter_reduce_gradients(reduce, include_self, data):
    x, src = REDUCE_DATA[data]

    def f(L, x, s):
        return x.scatter_reduce(1, I(L, REDUCE_INDEX), s, reduce, include_self=include_self)

    check_grads(f, x, src)
    check(lambda L: f(L, L.tensor(x, requires_grad=True) * 1, L.tensor(src)), grad_fn=True)


@pytest.mark.parametrize("reduce", ["sum", "prod", "mean", "amax", "amin", "max", "min"])
def test_scatter_reduce_values(reduce):
    def f(L, dt, inc):
        return L.tensor([5, -5, 0, 1, 7], dtype=getattr(L, dt)).scatter_reduce(
            0,
            I(L, [0, 1, 1, 0, 3, 1]),
            L.tensor([2, 2, -1, 3, 9, -4], dtype=getattr(L, dt)),
            reduce,
            include_self=inc,
        )

    for dt in ("int64", "int32", "float32", "float64"):
        for inc in (True, False):
            check(lambda L, dt=dt, inc=inc: f(L, dt, inc))


REDUCE_CASES = {
    "2-d negative dim": lambda L: L.scatter_reduce(
        T(L, 2, 3), -1, I(L, [[2, 2], [0, 0]]), A(L, 2, 3), "amin", include_self=False
    ),
    "src bigger": lambda L: Z(L, 2, 3).scatter_reduce(0, I(L, [[1, 1]]), A(L, 3, 3), "sum"),
    "0-d": lambda L: A(L).scatter_reduce(0, I(L, 0), L.tensor(4.0), "prod"),
    "empty index": lambda L: A(L, 3).scatter_reduce(0, I(L, []), A(L, 0), "mean"),
    "bool sum": lambda L: B(L, [True, False]).scatter_reduce(0, I(L, [1, 1]), B(L, [1, 0]), "sum"),
    "bool amin": lambda L: B(L, [True, True]).scatter_reduce(0, I(L, [1]), B(L, [0]), "amin"),
    "bool mean": lambda L: B(L, [True]).scatter_reduce(0, I(L, [0]), B(L, [1]), "mean"),
    "nan": lambda L: L.tensor([1.0, float("nan")]).scatter_reduce(
        0, I(L, [0, 1]), L.tensor([float("nan"), 1.0]), "amax"
    ),
    "complex": lambda L: [
        L.tensor([1 + 2j, 3 - 1j, 0.5j]).scatter_reduce(0, I(L, [0, 0, 2]), L.ones(3) * 1j, r)
        for r in ("sum", "mean", "prod")
    ],
    "complex amax": lambda L: L.tensor([1j]).scatter_reduce(0, I(L, [0]), L.tensor([1j]), "amax"),
    "complex with grad": lambda L: L.tensor([1j], requires_grad=True).scatter_reduce(
        0, I(L, [0]), L.tensor([1j]), "sum"
    ),
    "bad reduce": lambda L: Z(L, 3).scatter_reduce(0, I(L, [0]), A(L, 1), "add"),
    "dtype": lambda L: Z(L, 3).scatter_reduce(0, I(L, [0]), A(L, 1).double(), "sum"),
    "out of bounds": lambda L: Z(L, 3).scatter_reduce(0, I(L, [3]), A(L, 1), "sum"),
    "in place": inplace(
        "scatter_reduce_", lambda L: A(L, 4), 0, lambda L: I(L, [1, 1]), lambda L: A(L, 2), "prod"
    ),
}


@pytest.mark.parametrize("name", sorted(REDUCE_CASES))
def test_scatter_reduce_cases(name):
    check(REDUCE_CASES[name])


def test_scatter_reduce_in_place_gradients():
    def f(L, x, s):
        return (x * 1).scatter_reduce_(0, I(L, [[1, 1, 0]]), s, "amax", include_self=False)

    check_grads(f, [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], [[7.0, 7.0, 0.0]])


def test_forward_mode():
    import chainrule.autograd.forward_ad as fwAD

    x = cr.randn(2, 3, dtype=cr.float64)
    t = cr.randn(2, 3, dtype=cr.float64)
    idx = cr.tensor([[1, 1, 0]])
    with fwAD.dual_level():
        d = fwAD.make_dual(x, t)
        for f in (
            lambda z: z.scatter(0, idx, z.exp()),
            lambda z: z.scatter_add(0, idx, z * z),
            lambda z: z.index_add(1, cr.tensor([0, 0, 2]), z.sin(), alpha=3.0),
            lambda z: z.index_copy(1, cr.tensor([2, 0, 1]), z * 2),
            lambda z: z.index_fill(0, cr.tensor([1]), z[0, 0]),
            lambda z: z.masked_scatter(z > 0, z.flip(0)),
            lambda z: z.scatter_reduce(0, idx, z.exp(), "prod"),
            lambda z: z.scatter_reduce(1, idx.expand(2, 3), z * 3, "mean", include_self=False),
            lambda z: z.scatter_reduce(0, idx, z.flip(1), "amax"),
        ):
            got = fwAD.unpack_dual(f(d)).tangent
            eps = 1e-6
            want = (f(x + eps * t) - f(x - eps * t)) / (2 * eps)
            np.testing.assert_allclose(got.numpy(), want.numpy(), atol=1e-6)


def test_inplace_on_leaf_refused():
    x = cr.zeros(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        x.index_add_(0, cr.tensor([0]), cr.ones(1))


# ------------------------------------------------------------------ drawn inputs
@settings(max_examples=40, deadline=None)
@given(hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4), st.data())
def test_scatter_add_and_index_add_drawn(shape, data):
    nd = len(shape)
    dim = data.draw(st.integers(-nd, nd - 1))
    ishape = tuple(data.draw(st.integers(0, s)) for s in shape)
    ishape = ishape[: dim % nd] + (data.draw(st.integers(0, 4)),) + ishape[dim % nd + 1 :]
    index = data.draw(hnp.arrays(np.int64, ishape, elements=st.integers(0, shape[dim] - 1)))
    src = np.arange(int(np.prod(ishape)), dtype=np.float64).reshape(ishape) + 1
    x = np.linspace(-1, 1, int(np.prod(shape))).reshape(shape)
    check(lambda L: L.tensor(x).scatter_add(dim, L.tensor(index), L.tensor(src)))
    k = data.draw(st.integers(0, 4))
    sel = data.draw(hnp.arrays(np.int64, (k,), elements=st.integers(0, shape[dim] - 1)))
    sshape = list(shape)
    sshape[dim] = k
    source = np.arange(int(np.prod(sshape)), dtype=np.float64).reshape(sshape)
    check(lambda L: L.tensor(x).index_add(dim, L.tensor(sel), L.tensor(source), alpha=0.5))
    check(lambda L: L.tensor(x).index_fill(dim, L.tensor(sel), -3.0))


def test_explicit_graphs():
    """Each function on a chainrule.sym variable: bound later, the eager values."""
    from chainrule import sym

    a = sym.var("a", shape=(2, 3))
    val = cr.arange(6.0).reshape(2, 3)
    i = cr.tensor([[0, 2, 1]])
    for f in (
        lambda x: x.scatter(1, i, x * 2),
        lambda x: x.scatter(1, i, 7.0),
        lambda x: x.scatter_add(1, i, x),
        lambda x: x.scatter_reduce(1, i, x, "amax"),
        lambda x: x.index_add(1, cr.tensor([0, 0]), x[:, :2], alpha=2),
        lambda x: x.index_copy(0, cr.tensor([1]), x[:1]),
        lambda x: x.index_fill(0, cr.tensor([1]), 2.0),
        lambda x: x.masked_scatter(cr.tensor([True, False, True]), x),
    ):
        np.testing.assert_array_equal(f(a).eval(a=val).numpy(), f(val).numpy())


@settings(max_examples=40, deadline=None)
@given(
    hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4),
    st.data(),
    st.sampled_from(["sum", "prod", "mean", "amax", "amin"]),
    st.booleans(),
)
def test_scatter_reduce_drawn(shape, data, reduce, include_self):
    """Values (small integers as float64 and int64: ties and zeros happen) and gradients
    (float64, distinct values: no ties) against PyTorch."""
    nd = len(shape)
    dim = data.draw(st.integers(-nd, nd - 1))
    ishape = tuple(data.draw(st.integers(0, s)) for s in shape)
    ishape = ishape[: dim % nd] + (data.draw(st.integers(0, 4)),) + ishape[dim % nd + 1 :]
    index = data.draw(hnp.arrays(np.int64, ishape, elements=st.integers(0, shape[dim] - 1)))
    x = data.draw(hnp.arrays(np.int64, shape, elements=st.integers(-3, 3)))
    src = data.draw(hnp.arrays(np.int64, ishape, elements=st.integers(-3, 3)))
    for dt in ("int64", "float64"):
        check(
            lambda L, dt=dt: L.tensor(x, dtype=getattr(L, dt)).scatter_reduce(
                dim,
                L.tensor(index),
                L.tensor(src, dtype=getattr(L, dt)),
                reduce,
                include_self=include_self,
            )
        )
    k = x.size + src.size
    vals = np.random.default_rng(k).permutation(k) * 0.25 + 0.5  # distinct and non-zero
    xs, ss = vals[: x.size].reshape(shape), vals[x.size :].reshape(ishape)

    def f(L, a, b):
        return a.scatter_reduce(dim, L.tensor(index), b, reduce, include_self=include_self)

    check_grads(f, xs, ss)
