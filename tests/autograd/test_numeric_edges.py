"""Numeric edges where a derivative used to be silently wrong (issue 11, section 2): NaN
gradients where PyTorch gives 0, float64 gradients of float32 inputs, clamp's ties, LAPACK
on inf, and the errors and rules PyTorch has for where, ~, bitwise ops and floor_divide.

Each behaviour is pinned against PyTorch (values, dtypes, gradients, tangents, error texts;
skipped without torch), and every new or changed rule is gradchecked in float64, reverse
and forward mode (tests/ops/test_gradcheck_table.py holds the random cases).
"""

from __future__ import annotations

import itertools
import warnings

import numpy as np
import pytest

import chainrule as cr
import chainrule.autograd.forward_ad as cr_fwad
from chainrule.autograd import gradcheck, gradgradcheck

try:
    import torch
    import torch.autograd.forward_ad as torch_fwad
except ImportError:  # the comparisons skip; the gradchecks still run
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="PyTorch is not installed")
INF = float("inf")
NAN = float("nan")


def _np(t):
    """A tensor of either library as a NumPy array (gradients may be None)."""
    if t is None:
        return None
    return t.detach().numpy() if hasattr(t, "detach") else np.asarray(t)


def run_both(fn, *values, dtype="float32", grad=True):
    """fn(lib, *tensors) in torch and chainrule; for each: output, dtype, grad_fn name and
    the inputs' gradients after sum().backward()."""
    out = []
    for lib in (torch, cr):
        xs = [lib.tensor(v, dtype=getattr(lib, dtype), requires_grad=grad) for v in values]
        y = fn(lib, *xs)
        if grad:
            y.sum().backward()
        out.append(
            dict(
                value=_np(y),
                dtype=str(y.dtype),
                grad_fn=type(y.grad_fn).__name__ if y.grad_fn is not None else None,
                grads=[_np(x.grad) for x in xs],
                grad_dtypes=[str(x.grad.dtype) if x.grad is not None else None for x in xs],
            )
        )
    return out


def assert_same(t, c, *, grad_fn=True, signed_zeros=False):
    np.testing.assert_allclose(c["value"], t["value"], rtol=1e-6, atol=1e-7, equal_nan=True)
    assert c["dtype"] == t["dtype"]
    if grad_fn:
        assert c["grad_fn"] == t["grad_fn"]
    assert c["grad_dtypes"] == t["grad_dtypes"]
    for gc, gt in zip(c["grads"], t["grads"], strict=True):
        np.testing.assert_allclose(gc, gt, rtol=1e-5, atol=1e-6, equal_nan=True)
        if signed_zeros and gt is not None:
            assert (np.signbit(gc) == np.signbit(gt)).all()


def fw_tangent(lib, fn, primals, tangents):
    """The tangent of fn(*primals) in a library's forward mode."""
    fwad = torch_fwad if lib is torch else cr_fwad
    with fwad.dual_level():
        duals = [
            fwad.make_dual(lib.tensor(p), lib.tensor(t))
            for p, t in zip(primals, tangents, strict=True)
        ]
        return _np(fwad.unpack_dual(fn(lib, *duals)).tangent)


def f64(*shape, seed=0, lo=-2.0, hi=2.0):
    rng = np.random.default_rng(seed)
    return cr.tensor(rng.uniform(lo, hi, shape), dtype=cr.float64, requires_grad=True)


# ---------------------------------------------------------------- std / var
STD_CASES = {
    "std of a constant vector": (lambda L, x: x.std(), [2.0, 2.0, 2.0]),
    "std over dim, one constant row": (lambda L, x: x.std(1), [[1.0, 1.0, 1.0], [1.0, 2.0, 4.0]]),
    "std(correction=0) of one element": (lambda L, x: x.std(correction=0), [3.0]),
    "std(keepdim) of a constant column": (
        lambda L, x: x.std(0, keepdim=True),
        [[5.0, 1.0], [5.0, 2.0]],
    ),
    "var of a constant vector": (lambda L, x: x.var(), [2.0, 2.0, 2.0]),
    "hand-written LayerNorm, a constant row": (
        lambda L, x: (x - x.mean(-1, keepdim=True)) / (x.std(-1, keepdim=True) + 1e-5),
        [[2.0, 2.0, 2.0], [1.0, 2.0, 4.0]],
    ),
}


@needs_torch
@pytest.mark.parametrize("name", list(STD_CASES))
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_zero_variance_gives_zero_gradient_as_torch(name, dtype):
    fn, v = STD_CASES[name]
    t, c = run_both(fn, v, dtype=dtype)
    assert_same(t, c)
    assert not np.isnan(c["grads"][0]).any()


@needs_torch
def test_zero_variance_tangent_is_zero_as_torch():
    for fn in (lambda L, x: x.std(), lambda L, x: x.var(), lambda L, x: x.std(0)):
        ct = fw_tangent(cr, fn, [[1.0, 1.0, 1.0]], [[1.0, 2.0, 3.0]])
        tt = fw_tangent(torch, fn, [[1.0, 1.0, 1.0]], [[1.0, 2.0, 3.0]])
        np.testing.assert_allclose(ct, tt)
        assert ct == 0


def test_std_var_gradcheck_reverse_and_forward():
    x = f64(3, 4)
    for f in (
        lambda x: x.std(),
        lambda x: x.std(1, keepdim=True),
        lambda x: x.var(0, correction=0),
        lambda x: cr.std(x, dim=(0, 1)),
    ):
        assert gradcheck(f, (x,), check_forward_ad=True, check_batched_grad=True)
        assert gradgradcheck(f, (x,))


@needs_torch
def test_var_with_no_degrees_of_freedom_warns_as_torch():
    for lib in (torch, cr):
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            v = lib.tensor([1.0]).var()
            s = lib.tensor([1.0, 2.0]).std(correction=2)
        assert np.isnan(_np(v)) and np.isinf(_np(s))
        texts = [str(m.message) for m in w if m.category is UserWarning]
        assert any(
            t.startswith("var(): degrees of freedom is <= 0. Correction should") for t in texts
        )
        assert any(t.startswith("std(): degrees of freedom is <= 0.") for t in texts)


# ------------------------------------------------------------------------ p-norms
PS = [3, 0.5, -1, 1.5, 4, 1, 2, INF, -INF, -2, 0.3, 0]
NORM_VALUES = {
    "zero entry": [0.0, 1.0, -2.0],
    "all zeros": [0.0, 0.0],
    "ties": [2.0, -2.0, 1.0],
    "rows, one zero row": [[0.0, 1.0, -2.0], [0.0, 0.0, 0.0]],
}


@needs_torch
@pytest.mark.parametrize("p", PS, ids=str)
@pytest.mark.parametrize("values", list(NORM_VALUES))
@pytest.mark.parametrize(
    "call",
    [
        lambda L, x, p: x.norm(p=p),
        lambda L, x, p: L.linalg.vector_norm(x, ord=p, dim=-1),
        lambda L, x, p: L.linalg.vector_norm(x, ord=p, dim=0, keepdim=True),
    ],
    ids=["norm(p)", "vector_norm(dim=-1)", "vector_norm(dim=0, keepdim)"],
)
def test_p_norm_subgradients_as_torch(p, values, call):
    """PyTorch's subgradient at zero entries and at a zero norm: no NaN, the same signs."""
    t, c = run_both(lambda L, x: call(L, x, p), NORM_VALUES[values])
    if p == 0:  # PyTorch's backward of the 0-"norm" (a count) gives None; chainrule zeros
        assert t["grads"] == [None] and (c["grads"][0] == 0).all()
        t["grads"], t["grad_dtypes"] = c["grads"], c["grad_dtypes"]
    assert_same(t, c, signed_zeros=True)
    assert c["grad_fn"] == "LinalgVectorNormBackward0"


@needs_torch
@pytest.mark.parametrize("p", [3, 0.5, -1, INF, 1, 0])
def test_p_norm_tangents_as_torch(p):
    for v in ([0.0, 1.0, -2.0], [0.0, 0.0, 0.0], [2.0, -2.0, 1.0]):
        f = lambda L, x: x.norm(p=p)  # noqa: E731
        tan = [1.0, 2.0, 3.0]
        ct, tt = fw_tangent(cr, f, [v], [tan]), fw_tangent(torch, f, [v], [tan])
        np.testing.assert_allclose(ct, tt, rtol=1e-5)


@pytest.mark.parametrize("p", [3, 0.5, -1, 1.5, -2.5, 1, INF, -INF])
def test_p_norm_gradcheck_reverse_and_forward(p):
    x = f64(2, 3, lo=0.3, hi=2.0)
    with cr.no_grad():
        x.mul_(cr.tensor([[1.0, -1.0, 1.0], [-1.0, 1.0, 1.0]], dtype=cr.float64))
    for f in (lambda x: x.norm(p=p), lambda x: cr.linalg.vector_norm(x, ord=p, dim=1)):
        assert gradcheck(f, (x,), check_forward_ad=True, check_batched_grad=True)
        assert gradgradcheck(f, (x,))


@needs_torch
def test_empty_norms_without_identity_raise_as_torch():
    for call in (
        lambda L: L.zeros(0).norm(p=INF),
        lambda L: L.zeros(0).norm(p=-1),
        lambda L: L.linalg.vector_norm(L.zeros(2, 0), ord=-INF, dim=1),
    ):
        msgs = []
        for lib in (torch, cr):
            with pytest.raises(RuntimeError) as e:
                call(lib)
            msgs.append(str(e.value))
        assert msgs[0] == msgs[1]
    assert float(cr.zeros(0).norm(p=3)) == float(torch.zeros(0).norm(p=3)) == 0.0


# ------------------------------------------------------- float32 stays float32
DTYPE_CASES = {
    "amax tie": lambda L, x: x.amax(),
    "max() tie": lambda L, x: x.max(),
    "amin(dim) tie": lambda L, x: x.amin(0),
    "norm(inf)": lambda L, x: x.norm(p=INF),
    "matrix_norm(2)": lambda L, x: L.linalg.matrix_norm(x, ord=2),
    "matrix_norm(-2)": lambda L, x: L.linalg.matrix_norm(x, ord=-2),
    "matrix_norm(nuc)": lambda L, x: L.linalg.matrix_norm(x, ord="nuc"),
    "matrix_norm(1)": lambda L, x: L.linalg.matrix_norm(x, ord=1),
    "matrix_norm(inf)": lambda L, x: L.linalg.matrix_norm(x, ord=INF),
}


@needs_torch
@pytest.mark.parametrize("name", list(DTYPE_CASES))
@pytest.mark.parametrize("dtype", ["float32", "float16"])
def test_gradients_keep_the_input_dtype_as_torch(name, dtype):
    if dtype == "float16" and "matrix_norm" in name and name[-2] in "2c":
        pytest.skip("PyTorch has no float16 SVD on CPU")
    t, c = run_both(DTYPE_CASES[name], [[3.0, 1.0], [3.0, 2.0]], dtype=dtype)
    assert c["grad_dtypes"] == t["grad_dtypes"] == [f"torch.{dtype}"]
    np.testing.assert_allclose(c["grads"][0], t["grads"][0], rtol=2e-3, atol=1e-3)


# ------------------------------------------------------------- svd on inf
@needs_torch
@pytest.mark.parametrize("ordv", [2, "nuc", -2])
def test_matrix_norm_of_inf_is_nan_as_torch_and_returns(ordv):
    """LAPACK never returns on a matrix holding inf: the input is checked first."""
    t, c = run_both(
        lambda L, x: L.linalg.matrix_norm(x, ord=ordv), [[1.0, INF], [3.0, 4.0]], dtype="float64"
    )
    assert_same(t, c, grad_fn=False)
    assert np.isnan(c["value"]) and np.isnan(c["grads"][0]).all()


@needs_torch
def test_svdvals_of_a_batch_with_inf_as_torch():
    v = [[[1.0, 2.0], [3.0, 4.0]], [[1.0, INF], [3.0, 4.0]]]
    t, c = run_both(lambda L, x: L.linalg.svdvals(x), v, dtype="float64")
    assert_same(t, c)
    tt = fw_tangent(torch, lambda L, x: L.linalg.svdvals(x), [v], [np.ones((2, 2, 2)).tolist()])
    ct = fw_tangent(cr, lambda L, x: L.linalg.svdvals(x), [v], [np.ones((2, 2, 2)).tolist()])
    np.testing.assert_allclose(ct, tt, rtol=1e-5, equal_nan=True)


@needs_torch
def test_svd_of_nan_raises_as_torch():
    for call in (
        lambda L: L.linalg.svdvals(L.tensor([[1.0, NAN], [3.0, 4.0]])),
        lambda L: L.linalg.matrix_norm(L.tensor([[1.0, NAN], [3.0, 4.0]]), ord=2),
    ):
        msgs = []
        for lib in (torch, cr):
            with pytest.raises(RuntimeError) as e:
                call(lib)
            msgs.append(str(e.value))
        assert msgs[0] == msgs[1]


# --------------------------------------------------------------------- clamp
@needs_torch
@pytest.mark.parametrize("xv,lv,hv", list(itertools.product([0.0, 1.0, 2.0], repeat=3)))
def test_clamp_tensor_bounds_ties_as_torch(xv, lv, hv):
    """The input gets the whole gradient at a tie (maximum/minimum would split it); every
    ordering of x, min and max, in reverse and forward mode."""
    t, c = run_both(lambda L, x, lo, hi: L.clamp(x, lo, hi), [xv], [lv], [hv])
    assert_same(t, c)
    f = lambda L, x, lo, hi: L.clamp(x, lo, hi)  # noqa: E731
    tans = [[1.0], [10.0], [100.0]]
    prim = [[xv], [lv], [hv]]
    np.testing.assert_array_equal(fw_tangent(cr, f, prim, tans), fw_tangent(torch, f, prim, tans))


@needs_torch
@pytest.mark.parametrize("bound", ["min", "max"])
@pytest.mark.parametrize("xv,bv", list(itertools.product([0.0, 1.0, 2.0], repeat=2)))
def test_clamp_one_tensor_bound_as_torch(bound, xv, bv):
    t, c = run_both(lambda L, x, b: L.clamp(x, **{bound: b}), [xv, 1.0], [bv, 1.0])
    assert_same(t, c)
    f = lambda L, x, b: L.clamp(x, **{bound: b})  # noqa: E731
    prim, tans = [[xv], [bv]], [[1.0], [10.0]]
    np.testing.assert_array_equal(fw_tangent(cr, f, prim, tans), fw_tangent(torch, f, prim, tans))


@needs_torch
def test_clamp_tensor_bounds_broadcast_and_dtypes_as_torch():
    # broadcasting the bounds (PyTorch 2.13's backward raises where x itself is broadcast
    # against both bounds: that case is gradchecked below instead)
    t, c = run_both(
        lambda L, x, lo, hi: L.clamp(x, lo, hi) * L.arange(6.0).reshape(2, 3),
        [[1.0, 2.0, 3.0], [0.0, 2.5, 9.0]],
        [[2.0], [0.0]],
        [2.5, 2.5, 1.0],
    )
    assert_same(t, c, grad_fn=False)
    for call in (
        lambda L: L.clamp(L.tensor([1.0, 2, 3]), min=L.tensor([2.5], dtype=L.float64)),
        lambda L: L.clamp(L.tensor([1, 2, 3]), min=L.tensor([2.5])),
        lambda L: L.clamp(L.tensor([1, 2, 3]), min=L.tensor(2.5, dtype=L.float64)),
        lambda L: L.clamp(L.tensor([1.0, 2, 3], dtype=L.float16), L.tensor(2.5, dtype=L.float64)),
        lambda L: L.clamp(L.tensor([1, 2, 3]), L.tensor([2]), L.tensor([2])),
        lambda L: L.tensor([1.0, 2.0, 3.0]).clamp_(L.tensor([2.0, 2.0, 2.0]), L.tensor([2.5])),
    ):
        r = [call(lib) for lib in (torch, cr)]
        assert str(r[0].dtype) == str(r[1].dtype)
        np.testing.assert_array_equal(_np(r[1]), _np(r[0]))


def test_clamp_tensor_bounds_gradcheck_reverse_and_forward():
    x = cr.tensor([[0.1, 0.6, 1.2]], dtype=cr.float64, requires_grad=True)
    lo = cr.tensor([[0.3], [-1.0]], dtype=cr.float64, requires_grad=True)
    hi = cr.tensor([1.0, 0.2, 0.9], dtype=cr.float64, requires_grad=True)  # hi < lo too
    for f in (
        lambda x, lo, hi: cr.clamp(x, lo, hi),
        lambda x, lo, hi: x.clamp(min=lo) * hi,
        lambda x, lo, hi: cr.clip(x, max=hi) * lo,
    ):
        assert gradcheck(f, (x, lo, hi), check_forward_ad=True, check_batched_grad=True)
        assert gradgradcheck(f, (x, lo, hi))


@needs_torch
def test_clamp_in_place_with_tensor_bounds_as_torch():
    def f(L, a, lo):
        x = a * 1
        x.clamp_(lo)
        return x

    t, c = run_both(f, [1.0, 2.0, 3.0], [2.0, 2.0, 2.0])
    assert_same(t, c)


# --------------------------------------------------- where, ~, bitwise: errors
def _errors(call):
    out = []
    for lib in (torch, cr):
        with pytest.raises(Exception) as e:
            call(lib)
        out.append((type(e.value).__name__, str(e.value)))
    return out


ERROR_CASES = {
    "where(float condition)": lambda L: L.where(L.tensor([1.0, 0.0]), L.ones(2), L.zeros(2)),
    "where(int64 condition)": lambda L: L.where(L.tensor([1, 0]), L.ones(2), L.zeros(2)),
    "where(float16 condition, scalars)": lambda L: L.where(L.tensor([1.0], dtype=L.float16), 1, 0),
    "where(int8 condition)": lambda L: L.where(L.tensor([1], dtype=L.int8), L.ones(1), 0.0),
    "x.where(float condition)": lambda L: L.ones(2).where(L.tensor([1.0, 0.0]), 0.0),
    "masked_fill(float mask)": lambda L: L.ones(2).masked_fill(L.tensor([1.0, 0.0]), 0.0),
    "masked_fill(int64 mask)": lambda L: L.ones(2).masked_fill(L.tensor([1, 0]), 0.0),
    "masked_fill_(uint8 mask)": lambda L: L.ones(2).masked_fill_(
        L.tensor([1, 0], dtype=L.uint8), 0
    ),
    "masked_fill_(float16 mask)": lambda L: L.ones(1).masked_fill_(L.ones(1, dtype=L.float16), 0),
    "~float": lambda L: ~L.ones(2),
    "~float64": lambda L: ~L.ones(2, dtype=L.float64),
    "bitwise_not(float)": lambda L: L.bitwise_not(L.ones(2)),
    "float & float": lambda L: L.ones(2) & L.ones(2),
    "float | int": lambda L: L.ones(2) | L.tensor([1, 0]),
    "int ^ float": lambda L: L.tensor([1, 0]) ^ L.ones(2),
    "int & 1.5": lambda L: L.tensor([1, 0]) & 1.5,
    "1 & float": lambda L: 1 & L.ones(2),
    "float16 & bool": lambda L: L.ones(2, dtype=L.float16) & True,
    "bitwise_or(float64, int)": lambda L: L.bitwise_or(L.ones(1, dtype=L.float64), L.tensor([1])),
}


@needs_torch
@pytest.mark.parametrize("name", list(ERROR_CASES))
def test_errors_as_torch(name):
    t, c = _errors(ERROR_CASES[name])
    assert c == t


@needs_torch
def test_where_with_a_uint8_condition_warns_and_works_as_torch():
    for lib in (torch, cr):
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            r = lib.where(lib.tensor([1, 0], dtype=lib.uint8), lib.tensor([1.0, 2.0]), 0.0)
        np.testing.assert_array_equal(_np(r), [1.0, 0.0])
        if lib is cr:  # PyTorch warns once per process: its text is checked here
            assert any(
                "where received a uint8 condition tensor. This behavior is deprecated"
                in str(m.message)
                for m in w
            )


@needs_torch
def test_bitwise_on_integers_and_bools_still_work_as_torch():
    for call in (
        lambda L: ~L.tensor([1, 0]),
        lambda L: ~L.tensor([True, False]),
        lambda L: ~L.tensor([1, 0], dtype=L.uint8),
        lambda L: L.tensor([3, 6]) & L.tensor([5, 5]),
        lambda L: L.tensor([True, False]) ^ True,
        lambda L: L.tensor([3], dtype=L.int8) | 4,
    ):
        r = [call(lib) for lib in (torch, cr)]
        assert str(r[0].dtype) == str(r[1].dtype)
        np.testing.assert_array_equal(_np(r[1]), _np(r[0]))


# ------------------------------------------------------------ floor_divide
@needs_torch
@pytest.mark.parametrize(
    "call",
    [
        lambda L, x, y: x // 1,
        lambda L, x, y: L.floor_divide(x, y),
        lambda L, x, y: 3 // x,
        lambda L, x, y: x.floor_divide(2.5),
    ],
    ids=["x // 1", "floor_divide(x, y)", "3 // x", "x.floor_divide(2.5)"],
)
def test_floor_divide_requires_grad_and_has_no_derivative_as_torch(call):
    out = []
    for lib in (torch, cr):
        x = lib.tensor([1.5, -2.5], requires_grad=True)
        y = lib.tensor([2.0, 3.0], requires_grad=True)
        r = call(lib, x, y)
        with pytest.raises(RuntimeError) as e:
            r.sum().backward()
        out.append((_np(r).tolist(), r.requires_grad, type(r.grad_fn).__name__, str(e.value)))
    assert out[1] == out[0]
    assert out[1][2] == "NotImplemented"


@needs_torch
def test_floor_divide_forward_mode_refused_as_torch():
    msgs = []
    for lib in (torch, cr):
        fwad = torch_fwad if lib is torch else cr_fwad
        with fwad.dual_level():
            d = fwad.make_dual(lib.tensor([1.5]), lib.tensor([1.0]))
            with pytest.raises(NotImplementedError) as e:
                d // 1
            msgs.append(str(e.value))
    assert msgs[0] == msgs[1]


@needs_torch
@pytest.mark.parametrize("mode", ["floor", "trunc"])
def test_div_rounding_mode_has_a_zero_gradient_as_torch(mode):
    t, c = run_both(
        lambda L, x, y: L.div(x, y, rounding_mode=mode),
        [1.5, -2.5, 7.0, -7.0],
        [2.0, 2.0, -2.0, 2.0],
    )
    assert_same(t, c)
    assert c["grad_fn"] == "DivBackward2"
    f = lambda L, x, y: L.div(x, y, rounding_mode=mode)  # noqa: E731
    prim, tans = [[1.5, -7.0], [2.0, 2.0]], [[1.0, 1.0], [1.0, 1.0]]
    np.testing.assert_array_equal(fw_tangent(cr, f, prim, tans), fw_tangent(torch, f, prim, tans))


@needs_torch
@pytest.mark.parametrize("mode", ["floor", "trunc"])
def test_div_rounding_mode_values_and_dtypes_as_torch(mode):
    for a, b in (
        ([7, -7, 7, -7, 0, 1], [2, 2, -2, -2, 3, -5]),
        ([2**62 + 1, -(2**62) - 1], [3, 3]),  # exact in int64 (no trip through floats)
        ([-7.5, 7.5, 1e10, -0.5, 1.0, -1.0], [2.0, -2.0, 3.0, 0.3, 0.0, 0.0]),
    ):
        r = [lib.div(lib.tensor(a), lib.tensor(b), rounding_mode=mode) for lib in (torch, cr)]
        assert str(r[0].dtype) == str(r[1].dtype)
        np.testing.assert_array_equal(_np(r[1]), _np(r[0]))
    r = [lib.div(lib.tensor([7, -7]), 2.5, rounding_mode=mode) for lib in (torch, cr)]
    assert str(r[0].dtype) == str(r[1].dtype)
    np.testing.assert_array_equal(_np(r[1]), _np(r[0]))
    r = [
        lib.div(lib.tensor([7, -7], dtype=lib.int32), 2, rounding_mode=mode) for lib in (torch, cr)
    ]
    assert str(r[0].dtype) == str(r[1].dtype)
    np.testing.assert_array_equal(_np(r[1]), _np(r[0]))


def test_div_rounding_mode_gradcheck_reverse_and_forward():
    x = cr.tensor([0.3, -1.2, 2.7], dtype=cr.float64, requires_grad=True)
    y = cr.tensor([0.7, 1.1, -0.8], dtype=cr.float64, requires_grad=True)
    for mode in ("floor", "trunc"):
        f = lambda x, y, mode=mode: cr.div(x, y, rounding_mode=mode)  # noqa: E731
        assert gradcheck(f, (x, y), check_forward_ad=True)


# ---------------------------------------------------------- nll / cross_entropy
LOSS_CASES = {
    f"{fn} {red}{' weighted' if w else ''}{' smoothed' if ls else ''}": (fn, red, w, ls)
    for fn in ("cross_entropy", "nll_loss")
    for red in ("mean", "sum", "none")
    for w in (False, True)
    for ls in ((False, True) if fn == "cross_entropy" else (False,))
}


@needs_torch
@pytest.mark.parametrize("name", list(LOSS_CASES))
@pytest.mark.parametrize("targets", [[-100, -100], [2, -100], [1, 0]])
def test_ignore_index_losses_as_torch(name, targets):
    """Every target ignored: PyTorch's loss (NaN for the mean) and a zero gradient."""
    fn, red, w, ls = LOSS_CASES[name]

    def f(L, x):
        kw = dict(reduction=red)
        if w:
            kw["weight"] = L.tensor([1.0, 2.0, 3.0])
        if ls:
            kw["label_smoothing"] = 0.1
        return getattr(L.nn.functional, fn)(x, L.tensor(targets), **kw)

    t, c = run_both(f, [[-1.0, -2.0, -3.0], [-0.5, -0.1, -0.2]])
    assert_same(t, c, grad_fn=False, signed_zeros=True)


@needs_torch
def test_zero_class_weights_give_torch_nan_gradient():
    """Targets weighted 0 (none ignored): PyTorch's mean is 0 / 0 with NaN gradients."""
    t, c = run_both(
        lambda L, x: L.nn.functional.cross_entropy(
            x, L.tensor([0, 1]), weight=L.tensor([0.0, 0.0, 1.0])
        ),
        [[1.0, 2.0, 3.0], [0.5, 0.1, 0.2]],
    )
    assert_same(t, c, grad_fn=False)


@needs_torch
@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_softmax_of_0d_twice_differentiable_as_torch(name):
    """A 0-d softmax is 1 (log_softmax 0) whatever x is: its gradient is 0, and under
    create_graph it is still connected to the graph, as PyTorch's (the fuzzer's seed 270)."""
    out = []
    for lib in (torch, cr):
        v = lib.ones(3, requires_grad=True).sum()
        (g,) = lib.autograd.grad(getattr(v, name)(0), [v], create_graph=True)
        out.append((float(g), g.requires_grad))
    assert out[1] == out[0] == (0.0, True)


# ---------------------------------------------- special values in reductions (sweep)
SPECIAL_REDUCTIONS = {
    "norm(p=1)' at nan": (lambda L, x: x.norm(p=1), [NAN, 1.0, 0.0]),
    "norm(p=inf)' with nan": (lambda L, x: x.norm(p=INF), [NAN, 2.0, -1.0]),
    "norm(p=-inf)' with nan": (lambda L, x: x.norm(p=-INF), [NAN, 2.0, -1.0]),
    "max() of nans: shared": (lambda L, x: x.max(), [NAN, 2.0, NAN]),
    "min() of nans: shared": (lambda L, x: x.min(), [NAN, 2.0, NAN]),
    "std overflows no more": (lambda L, x: x.std(), [1e30, 2.0, -1.0]),
    "var(correction=0) of 1e20s": (lambda L, x: x.var(correction=0), [1e20, -1e20]),
}


@needs_torch
@pytest.mark.parametrize("name", list(SPECIAL_REDUCTIONS))
def test_special_values_in_reductions_as_torch(name):
    fn, v = SPECIAL_REDUCTIONS[name]
    t, c = run_both(fn, v)
    assert_same(t, c, signed_zeros=True)


# --------------------------------------------- special values elementwise (sweep)
SPECIAL_ELEMENTWISE = {
    "sign(nan) = 0": (lambda L, x: x.sign(), [NAN, -0.0, 0.0, -2.0]),
    "abs'(nan) = 0": (lambda L, x: x.abs(), [NAN, -1.0, 0.0]),
    "relu'(nan) = 1": (lambda L, x: x.relu(), [NAN, -1.0, 0.0]),
    "maximum with nan": (lambda L, x: L.maximum(x, x.detach() * 0 + NAN), [NAN, 1.0, 0.0]),
    "minimum with nan": (lambda L, x: L.minimum(x, x.detach() * 0 + NAN), [NAN, 1.0, 0.0]),
    "maximum(nan, 1)": (lambda L, x: L.maximum(x, x.detach() * 0 + 1), [NAN, 1.0, 0.0]),
    "0 ** x, x < 0": (lambda L, x: L.pow(0.0, x), [-1.0, 0.0, 1.0]),
    "zeros ** x": (lambda L, x: L.pow(L.zeros(3), x), [-1.0, 0.0, 1.0]),
    "clamp(nan, 0, 1)": (lambda L, x: L.clamp(x, 0, 1), [NAN, 2.0, 0.5]),
}


@needs_torch
@pytest.mark.parametrize("name", list(SPECIAL_ELEMENTWISE))
def test_special_values_elementwise_as_torch(name):
    fn, v = SPECIAL_ELEMENTWISE[name]
    t, c = run_both(fn, v)
    assert_same(t, c, signed_zeros=True)


@needs_torch
@pytest.mark.parametrize("name", ["sigmoid", "rsqrt"])
def test_float16_composites_round_once_as_torch(name):
    """sigmoid and rsqrt of float16 are computed in float32 and rounded once (twice, in
    float16, they were one ulp off for a third of all inputs)."""
    a = (np.random.default_rng(0).standard_normal(4096) * 4).astype(np.float16)
    if name == "rsqrt":
        a = np.abs(a) + np.float16(0.01)
    r = [_np(getattr(lib, name)(lib.from_numpy(a.copy()))) for lib in (torch, cr)]
    np.testing.assert_array_equal(r[1], r[0])


@needs_torch
def test_rxor_as_torch():
    r = [True ^ lib.tensor([True, False]) for lib in (torch, cr)]
    np.testing.assert_array_equal(_np(r[1]), _np(r[0]))


# ------------------------------------------------- inf and nan are values, not errors
WARNINGS_AS_ERRORS = """
import warnings
import chainrule as torch
warnings.simplefilter("error")  # after the import: it overrides chainrule's own filter
x = torch.tensor([0.0, 1.0, -1.0], requires_grad=True)
y = torch.log(x)
assert y[0].item() == float("-inf")
y.sum().backward()
assert x.grad[0].item() == float("inf")
assert (torch.tensor([1.0]) / 0).item() == float("inf")
(g,) = torch.autograd.grad(torch.log(x).sum(), [x], create_graph=True)
assert g[0].item() == float("inf")
assert torch.cat([x / 0, x]).sum().isnan().item()
print("ok")
"""


def test_log_of_zero_under_a_warnings_error_filter_is_minus_inf_as_torch():
    import subprocess
    import sys

    r = subprocess.run(
        [sys.executable, "-c", WARNINGS_AS_ERRORS], capture_output=True, text=True, timeout=120
    )
    assert r.returncode == 0, r.stderr[-2000:]
    assert r.stdout.strip() == "ok"
