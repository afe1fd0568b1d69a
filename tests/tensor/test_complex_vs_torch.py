"""Complex tensors against PyTorch: dtypes and promotion, printing, values, the errors of
ops PyTorch (or chainrule, so far) refuses for complex inputs, and gradients in PyTorch's
convention (dL/dx + i dL/dy for z = x + iy), in reverse and forward mode.

Skipped as a whole where torch is not installed.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from hypothesis import given  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from hypothesis.extra import numpy as hnp  # noqa: E402

import chainrule as cr  # noqa: E402
from chainrule.autograd import gradcheck, gradgradcheck  # noqa: E402

LIBS = (cr, torch)


def _both(f):
    """f run on chainrule and on torch: (result or exception) for each."""
    out = []
    for lib in LIBS:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                out.append(f(lib))
            except Exception as e:  # noqa: BLE001 - compared below
                out.append(e)
    return out


def _same(ours, theirs):
    if isinstance(theirs, Exception):
        assert isinstance(ours, Exception), f"PyTorch raised {theirs!r}, chainrule gave {ours!r}"
        assert type(ours) is type(theirs)
        assert str(ours) == str(theirs)
        return
    assert not isinstance(ours, Exception), f"chainrule raised {ours!r}, PyTorch gave {theirs!r}"
    if isinstance(theirs, torch.Tensor):
        assert str(ours.dtype) == str(theirs.dtype)
        assert tuple(ours.shape) == tuple(theirs.shape)
        np.testing.assert_allclose(
            ours.detach().numpy(), theirs.detach().resolve_conj().numpy(), rtol=1e-5, atol=1e-6
        )
    elif isinstance(theirs, (tuple, list)):
        assert len(ours) == len(theirs)
        for a, b in zip(ours, theirs, strict=True):
            _same(a, b)
    else:
        assert ours == theirs or (isinstance(theirs, float) and np.isclose(ours, theirs))


# ------------------------------------------------------------------------- dtypes


def test_names_and_attributes():
    assert cr.cfloat is cr.complex64 and cr.cdouble is cr.complex128
    for name in ("complex64", "complex128"):
        ours, theirs = getattr(cr, name), getattr(torch, name)
        assert repr(ours) == repr(theirs)
        assert ours.is_complex and not ours.is_floating_point and ours.is_signed
        assert ours.itemsize == theirs.itemsize
        assert repr(ours.to_real()) == repr(theirs.to_real())
    assert cr.float64.to_complex() is cr.complex128 and cr.float32.to_complex() is cr.complex64
    assert not cr.float32.is_complex


ALL = ("float16", "float32", "float64", "int64", "int32", "uint8", "bool")


@pytest.mark.parametrize("a", ALL + ("complex64", "complex128"))
@pytest.mark.parametrize("b", ("complex64", "complex128"))
def test_promote_types(a, b):
    ours = cr.promote_types(getattr(cr, a), getattr(cr, b))
    assert repr(ours) == repr(torch.promote_types(getattr(torch, a), getattr(torch, b)))


@pytest.mark.parametrize(
    "make",
    [
        lambda L: L.ones(2) + 1j,
        lambda L: L.ones(2, dtype=L.float64) + 1j,
        lambda L: L.ones(2, dtype=L.int32) * 1j,
        lambda L: L.tensor([True, False]) + 1j,
        lambda L: L.ones(2) + L.tensor(1j, dtype=L.complex128),
        lambda L: L.tensor(1.0, dtype=L.float64) + L.ones(2, dtype=L.cfloat),
        lambda L: L.ones(2, dtype=L.int64) + L.tensor(1j, dtype=L.complex128),
        lambda L: L.ones(2, dtype=L.float64) * L.ones(2, dtype=L.cfloat),
        lambda L: L.ones(2, dtype=L.cfloat) / L.ones(2, dtype=L.cdouble),
        lambda L: L.tensor([1, 2]) / (1 + 1j),
        lambda L: L.tensor([1 + 2j, 3]),
        lambda L: L.tensor([True, 1j]),
        lambda L: L.tensor(np.array([1 + 1j], dtype=np.complex64)),
        lambda L: L.tensor([1, 2], dtype=L.cfloat),
        lambda L: L.zeros(2, dtype=L.cdouble),
        lambda L: L.ones_like(L.tensor([1j])),
    ],
)
def test_dtypes_of_results(make):
    _same(*_both(make))


def test_default_complex_follows_the_default_float():
    cr.set_default_dtype(cr.float64)
    try:
        assert cr.tensor([1j]).dtype is cr.complex128
        assert repr(cr.tensor([1j])) == "tensor([0.+1.j])"
        assert repr(cr.tensor([1j], dtype=cr.cfloat)) == "tensor([0.+1.j], dtype=torch.complex64)"
    finally:
        cr.set_default_dtype(cr.float32)
    assert cr.tensor([1j]).dtype is cr.complex64


# ------------------------------------------------------------------------ printing

PRINTED = [
    [1 + 2j, -3.5 - 0.25j],
    [1, 4],
    [1e-5 + 1j, 100 + 2j],
    [[1e10 + 1j, -2 - 3e-3j], [0j, 1]],
    [0j],
    [complex(-0.0, -0.0)],
    [complex(0, -0.0)],
    [float("nan") + 1j, complex(float("inf"), -float("inf"))],
    2.5 - 1j,
    [0.6 + 0j, 0.5, -0.25j],
    [1e20j, 1],
    [123456.5 + 1j],
    [[1 + 1j] * 3] * 2,
    [1e-10 + 1e10j],
]


@pytest.mark.parametrize("data", PRINTED, ids=range(len(PRINTED)))
@pytest.mark.parametrize("dtype", [None, "complex128"])
def test_printing(data, dtype):
    ours, theirs = (
        repr(L.tensor(data, dtype=None if dtype is None else getattr(L, dtype))) for L in LIBS
    )
    assert ours == theirs


@pytest.mark.parametrize("shape", [(30,), (5, 7), (2, 3, 4), (40, 40), (1200,), (3, 500)])
def test_printing_wide_and_summarized(shape):
    g = np.random.default_rng(sum(shape))
    a = g.standard_normal(shape) * 10.0 ** g.integers(-3, 3) + 1j * g.standard_normal(shape)
    for arr in (a, a.astype(np.complex64)):
        assert repr(cr.tensor(arr)) == repr(torch.tensor(arr))


def test_printing_suffixes():
    for make in (
        lambda L: L.tensor([1j], requires_grad=True),
        lambda L: L.tensor([], dtype=L.cfloat),
        lambda L: L.zeros(2, 0, dtype=L.cdouble),
        lambda L: L.tensor([1 + 2j], requires_grad=True) * 2,
        lambda L: L.tensor([1 + 2j], requires_grad=True).abs(),
        lambda L: L.tensor([1 + 2j], requires_grad=True).real,
        lambda L: L.complex(L.ones(2, requires_grad=True), L.zeros(2)),
    ):
        ours, theirs = _both(lambda L, m=make: repr(m(L)))
        assert ours == theirs


# ---------------------------------------------------------------------- values, errors

Z = [1 + 2j, -3.5 - 0.25j, 0.5j]

CALLS = {
    "real": lambda L, z: z.real,
    "imag": lambda L, z: z.imag,
    "abs": lambda L, z: z.abs(),
    "abs()": lambda L, z: abs(z),
    "angle": lambda L, z: z.angle(),
    "conj": lambda L, z: z.conj(),
    "sgn": lambda L, z: L.sgn(z),
    "neg": lambda L, z: -z,
    "add": lambda L, z: z + z * 2j,
    "sub": lambda L, z: 1 - z,
    "mul": lambda L, z: z * (2 - 1j),
    "div": lambda L, z: z / (z + 1),
    "rdiv": lambda L, z: 2 / z,
    "exp": lambda L, z: z.exp(),
    "log": lambda L, z: z.log(),
    "log2": lambda L, z: z.log2(),
    "sqrt": lambda L, z: z.sqrt(),
    "rsqrt": lambda L, z: z.rsqrt(),
    "sin": lambda L, z: z.sin(),
    "cos": lambda L, z: z.cos(),
    "tanh": lambda L, z: z.tanh(),
    "pow": lambda L, z: z**2,
    "pow complex exponent": lambda L, z: z ** (0.5 + 1j),
    "square": lambda L, z: z.square(),
    "reciprocal": lambda L, z: z.reciprocal(),
    "sum": lambda L, z: z.sum(),
    "mean": lambda L, z: z.mean(),
    "cumsum": lambda L, z: z.cumsum(0),
    "matmul": lambda L, z: z @ z,
    "mm": lambda L, z: z.reshape(3, 1) @ z.reshape(1, 3),
    "mm mixed dtypes": lambda L, z: z.reshape(3, 1) @ L.ones(1, 2),
    "eq": lambda L, z: z == z,
    "eq scalar": lambda L, z: z == (1 + 2j),
    "ne": lambda L, z: z != 1,
    "isnan": lambda L, z: z.isnan(),
    "isclose": lambda L, z: L.isclose(z, z),
    "allclose": lambda L, z: L.allclose(z, z + 1e-9),
    "equal": lambda L, z: L.equal(z, z),
    "where": lambda L, z: L.where(L.tensor([True, False, True]), z, 0),
    "cat with real": lambda L, z: L.cat([z, L.ones(2)]),
    "stack": lambda L, z: L.stack([z, z]),
    "index": lambda L, z: z[1],
    "slice": lambda L, z: z[1:],
    "item": lambda L, z: z[0].item(),
    "tolist": lambda L, z: z.tolist(),
    "numpy": lambda L, z: z.numpy().tolist(),
    "bool": lambda L, z: bool(z[0]),
    "float": lambda L, z: float(z[0]),
    "int": lambda L, z: int(z[0]),
    "is_complex": lambda L, z: (z.is_complex(), L.is_complex(z), z.is_floating_point()),
    "to float": lambda L, z: z.to(L.float32),
    "real to complex": lambda L, z: L.tensor([1.0, 2.0]).to(L.complex128),
    "type": lambda L, z: z.type(),
    "add_ into real": lambda L, z: L.ones(2).add_(1j),
    "setitem": lambda L, z: (lambda a: (a.__setitem__(0, 5j), a)[1])(z.clone()),
    "complex": lambda L, z: L.complex(L.tensor([1.0, 2.0]), L.tensor([0.5, -1.0])),
    "complex broadcast": lambda L, z: L.complex(L.ones(2, 1), L.zeros(3)),
    "complex float64": lambda L, z: L.complex(
        L.ones(2, dtype=L.float64), L.zeros(2, dtype=L.float64)
    ),
    "complex int": lambda L, z: L.complex(L.tensor([1]), L.tensor([2])),
    "complex mixed": lambda L, z: L.complex(L.tensor([1.0]), L.tensor([2.0], dtype=L.float64)),
    "imag of real": lambda L, z: L.tensor([1.0]).imag,
    "real of real": lambda L, z: L.tensor([1.0, -2.0]).real,
    "conj of real": lambda L, z: L.tensor([1.0, -2.0]).conj(),
    "angle of real": lambda L, z: L.tensor([-1.0, 0.0, 2.0]).angle(),
    "angle of int": lambda L, z: L.tensor([-1, 2]).angle(),
    "sgn of real": lambda L, z: L.tensor([-2.0, 0.0, 3.0]).sgn(),
    # refused by PyTorch too: its errors
    "lt": lambda L, z: z < z,
    "gt scalar": lambda L, z: z > 1,
    "le": lambda L, z: L.le(z, z),
    "sort": lambda L, z: z.sort(),
    "argsort": lambda L, z: z.argsort(),
    "topk": lambda L, z: z.topk(1),
    "max": lambda L, z: z.max(),
    "max(dim)": lambda L, z: z.max(0),
    "min(dim)": lambda L, z: z.min(0),
    "amax": lambda L, z: z.amax(),
    "argmax": lambda L, z: z.argmax(),
    "argmin": lambda L, z: z.argmin(),
    "maximum": lambda L, z: L.maximum(z, z),
    "clamp": lambda L, z: z.clamp(0, 1),
    "relu": lambda L, z: z.relu(),
    "floor": lambda L, z: z.floor(),
    "ceil": lambda L, z: z.ceil(),
    "round": lambda L, z: z.round(),
    "sign": lambda L, z: z.sign(),
    "remainder": lambda L, z: z % 2,
    "floor_divide": lambda L, z: z // 2,
    "softmax": lambda L, z: z.softmax(0),
    "atan2": lambda L, z: L.atan2(z, z),
    "mse_loss": lambda L, z: L.nn.functional.mse_loss(z, z),
    "gelu": lambda L, z: L.nn.functional.gelu(z),
    "unique": lambda L, z: L.unique(z),
    "invert": lambda L, z: ~z,
    "bitwise_and": lambda L, z: z & z,
}


@pytest.mark.parametrize("name", list(CALLS))
@pytest.mark.parametrize("dtype", ["complex64", "complex128"])
def test_values_and_errors(name, dtype):
    f = CALLS[name]
    _same(*_both(lambda L: f(L, L.tensor(Z, dtype=getattr(L, dtype)))))


@pytest.mark.parametrize(
    "call",
    [
        lambda z: z.var(),
        lambda z: z.prod(),
        lambda z: z.sigmoid(),
        lambda z: z.norm(),
        lambda z: 2**z,
        lambda z: z**z,
        lambda z: cr.linalg.inv(z.reshape(1, 1)),
    ],
)
def test_ops_not_open_to_complex_yet_raise(call):
    """What chainrule has not opened to complex numbers says so (never a wrong number)."""
    with pytest.raises(NotImplementedError, match="does not support complex tensors"):
        call(cr.tensor([1 + 2j]))


# ------------------------------------------------------------------------ gradients


def _cplx(g, *shape):
    return cr.complex(
        cr.tensor(g.standard_normal(shape)), cr.tensor(g.standard_normal(shape))
    ).requires_grad_()


GRADCHECKED = {
    "mul": (lambda a, b: a * b, "zz"),
    "mul real": (lambda a, b: a * b, "zx"),
    "div": (lambda a, b: a / b, "zz"),
    "real / complex": (lambda a, b: b / a, "zx"),
    "sub real": (lambda a, b: a - b, "zx"),
    "broadcast": (lambda a, b: a.reshape(3, 1) * b, "zx"),
    "real * complex scalar": (lambda a: a * (2 - 1j), "x"),
    "complex scalar - real": (lambda a: 1j - a, "x"),
    "exp": (cr.exp, "z"),
    "log": (cr.log, "z"),
    "sqrt": (cr.sqrt, "z"),
    "rsqrt": (cr.rsqrt, "z"),
    "sin": (cr.sin, "z"),
    "cosh": (cr.cosh, "z"),
    "tanh": (cr.tanh, "z"),
    "reciprocal": (cr.reciprocal, "z"),
    "2 / z": (lambda a: 2 / a, "z"),
    "pow": (lambda a: a**3, "z"),
    "pow complex exponent": (lambda a: a ** (0.5 + 1j), "z"),
    "abs": (cr.abs, "z"),
    "abs squared": (lambda a: a.abs() ** 2, "z"),
    "angle": (cr.angle, "z"),
    "angle of real": (cr.angle, "x"),
    "real": (lambda a: a.real, "z"),
    "imag": (lambda a: a.imag, "z"),
    "conj": (cr.conj, "z"),
    "sgn": (cr.sgn, "z"),
    "complex": (cr.complex, "xx"),
    "sum": (lambda a: a.sum(), "z"),
    "mean of z*z": (lambda a: (a * a).mean(), "z"),
    "sum(dim)": (lambda a: (a * a).reshape(1, 3).sum(1), "z"),
    "index": (lambda a: a[1:] * a[0], "z"),
    "reshape, T": (lambda a: a.reshape(3, 1).T.exp(), "z"),
    "cat": (lambda a, b: cr.cat([a, b]).exp(), "zz"),
    "where": (lambda a: cr.where(a.real > 0, a, a * a), "z"),
    "dot": (lambda a, b: a @ b, "zz"),
}


@pytest.mark.parametrize("name", list(GRADCHECKED))
def test_gradcheck(name):
    f, kinds = GRADCHECKED[name]
    g = np.random.default_rng(len(name))
    args = [
        _cplx(g, 3) if k == "z" else cr.tensor(g.standard_normal(3), requires_grad=True)
        for k in kinds
    ]
    assert gradcheck(f, args, check_forward_ad=True, check_batched_grad=True)
    assert gradgradcheck(f, args)


@pytest.mark.parametrize(
    "f,shapes",
    [
        (lambda a, b: a @ b, ((2, 3), (3, 2))),
        (lambda a, b: a @ b, ((2, 3), (3,))),
        (lambda a, b: a @ b, ((2, 2, 3), (2, 3, 2))),
        (lambda a, b: cr.outer(a, b), ((2,), (3,))),
    ],
)
def test_gradcheck_products(f, shapes):
    g = np.random.default_rng(0)
    args = [_cplx(g, *s) for s in shapes]
    assert gradcheck(f, args, check_forward_ad=True)


LOSSES = {
    "|z w|": lambda L, z, w, x: (z * w).abs().sum(),
    "Re(exp(z) x)": lambda L, z, w, x: (z.exp() * x).real.sum(),
    "Im(z / w + x)": lambda L, z, w, x: (z / w + x).imag.sum(),
    "angle(z x)": lambda L, z, w, x: (z * x).angle().sum(),
    "|complex(x, x^2) z|": lambda L, z, w, x: (L.complex(x, x * x) * z).abs().sum(),
    "|Z W|": lambda L, z, w, x: (z.reshape(2, 2) @ w.reshape(2, 2)).abs().sum(),
    "Re(sgn(z) w)": lambda L, z, w, x: (L.sgn(z) * w).real.sum(),
    "Im(conj(z) w)": lambda L, z, w, x: (z.conj() * w).imag.sum(),
    "|z^2.5 + i x|": lambda L, z, w, x: (z**2.5 + 1j * x).abs().sum(),
    "mean |sqrt z + log w|": lambda L, z, w, x: (z.sqrt() + w.log()).abs().mean(),
    "|(x + i)(2 - 3i) - i z|": lambda L, z, w, x: ((x + 1j) * (2 - 3j) - 1j * z).abs().sum(),
}


@pytest.mark.parametrize("name", list(LOSSES))
def test_gradients_match_torch(name):
    f = LOSSES[name]
    g = np.random.default_rng(1)
    zn = g.standard_normal(4) + 1j * g.standard_normal(4)
    wn = g.standard_normal(4) + 1j * g.standard_normal(4)
    xn = g.standard_normal(4)
    res = []
    for L in LIBS:
        ts = [L.tensor(a, requires_grad=True) for a in (zn, wn, xn)]
        out = f(L, *ts)
        out.backward()
        res.append([out] + [t.grad for t in ts])
    for ours, theirs in zip(*res, strict=True):
        if theirs is None:
            assert ours is None
        else:
            _same(ours, theirs)


@given(
    hnp.arrays(
        np.complex128,
        hnp.array_shapes(max_dims=3, max_side=4),
        elements=st.complex_numbers(max_magnitude=10, allow_nan=False, allow_infinity=False),
    ),
)
def test_random_shapes_against_torch(a):
    for f in (
        lambda L, t: (t * t.conj() + t.exp() / (1 + t.abs())).sum(),
        lambda L, t: L.stack([t.real, t.imag, t.angle()]),
        lambda L, t: t.reshape(-1).flip(0) * (2 - 1j),
    ):
        ours, theirs = (f(L, L.tensor(a)) for L in LIBS)
        _same(ours, theirs)
