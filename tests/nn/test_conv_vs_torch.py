"""Convolution and pooling against PyTorch: the same weights and inputs in chainrule and
torch give the same outputs and gradients (float32 and float64, random geometries, empty
batches, non-contiguous inputs), the same reprs, grad_fn names and error texts; default
initialization within PyTorch's bounds; LazyConv2d materializes on its first call.
Skipped without torch."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import chainrule as cr  # noqa: E402
import chainrule.nn.functional as F  # noqa: E402
from chainrule import nn  # noqa: E402

TF = torch.nn.functional
TOL = {"float32": dict(rtol=1e-4, atol=1e-5), "float64": dict(rtol=1e-10, atol=1e-11)}
RNG = np.random.default_rng(12)


def both(arr, dtype="float64", rg=True):
    arr = np.asarray(arr).astype(dtype)
    return (
        cr.tensor(arr.copy(), requires_grad=rg),
        torch.tensor(arr.copy(), requires_grad=rg),
    )


def check(f_cr, f_t, arrays, dtype="float64", grad_fn=None, same_grad_fn=True):
    """f on the same arrays in both libraries: output, every input's gradient, the grad_fn
    name (``grad_fn``: the name expected; ``same_grad_fn=False`` where chainrule composes
    what PyTorch has one node for)."""
    ins = [both(a, dtype) for a in arrays]
    out_c = f_cr(*[c for c, _ in ins])
    out_t = f_t(*[t for _, t in ins])
    assert tuple(out_c.shape) == tuple(out_t.shape)
    assert str(out_c.dtype) == str(out_t.dtype)
    np.testing.assert_allclose(out_c.detach().numpy(), out_t.detach().numpy(), **TOL[dtype])
    if grad_fn is not None:
        assert type(out_t.grad_fn).__name__ == grad_fn
    if same_grad_fn:
        assert out_c.grad_fn.name() == type(out_t.grad_fn).__name__
    g = RNG.standard_normal(tuple(out_t.shape)).astype(dtype)
    out_c.backward(cr.tensor(g))
    out_t.backward(torch.tensor(g))
    for c, t in ins:
        close(c.grad.numpy(), t.grad.numpy(), dtype)


def close(ours, theirs, dtype):
    """Equal within the dtype's tolerance; in float32 an element that sums thousands of
    terms (a weight's gradient) is compared at the scale of the largest one."""
    tol = dict(TOL[dtype])
    if dtype == "float32" and theirs.size:
        tol["atol"] = max(tol["atol"], 1e-5 * float(np.abs(theirs).max()))
    np.testing.assert_allclose(ours, theirs, **tol)


def errors_alike(f_cr, f_t):
    with pytest.raises(Exception) as et:
        f_t()
    with pytest.raises(type(et.value)) as ec:
        f_cr()
    assert str(ec.value) == str(et.value)


# ------------------------------------------------------------------------ functional
CONV2D = [
    ((2, 3, 9, 8), (4, 3, 3, 3), {}),
    ((2, 3, 9, 8), (4, 3, 3, 2), {"stride": 2, "padding": 1}),
    ((1, 4, 7, 7), (6, 2, 3, 3), {"groups": 2, "dilation": 2, "padding": (2, 1)}),
    ((3, 4, 6, 10), (4, 1, 2, 3), {"groups": 4, "stride": (1, 3)}),
    ((2, 3, 7, 6), (5, 3, 4, 3), {"padding": "same"}),
    ((2, 3, 7, 6), (5, 3, 2, 2), {"padding": "same", "dilation": 2}),
    ((2, 3, 7, 6), (5, 3, 3, 3), {"padding": "valid"}),
    ((0, 3, 7, 6), (5, 3, 3, 3), {"padding": 1}),  # an empty batch
    ((3, 7, 6), (5, 3, 3, 3), {"padding": 1}),  # unbatched
]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("xs,ws,kw", CONV2D, ids=[str(c[2]) + str(c[0]) for c in CONV2D])
@pytest.mark.parametrize("bias", [False, True])
def test_conv2d(xs, ws, kw, bias, dtype):
    arrays = [RNG.standard_normal(xs), RNG.standard_normal(ws)]
    if bias:
        arrays.append(RNG.standard_normal(ws[0]))
    check(
        lambda *a: F.conv2d(*a, **kw),
        lambda *a: TF.conv2d(*a, **kw),
        arrays,
        dtype,
        grad_fn="ConvolutionBackward0" if len(xs) == 4 else None,
        same_grad_fn=len(xs) == 4,  # unbatched: chainrule's squeeze is SqueezeBackward0
    )


@pytest.mark.parametrize(
    "xs,ws,kw",
    [
        ((2, 3, 10), (4, 3, 3), {}),
        ((2, 4, 11), (6, 2, 3), {"stride": 2, "padding": 2, "dilation": 2, "groups": 2}),
        ((3, 11), (6, 3, 4), {"padding": "same"}),
    ],
)
def test_conv1d(xs, ws, kw):
    check(
        lambda x, w, b: F.conv1d(x, w, b, **kw),
        lambda x, w, b: TF.conv1d(x, w, b, **kw),
        [RNG.standard_normal(xs), RNG.standard_normal(ws), RNG.standard_normal(ws[0])],
        same_grad_fn=len(xs) == 3,
    )


@pytest.mark.parametrize(
    "xs,ws,kw",
    [
        ((2, 3, 5, 4), (3, 4, 3, 3), {}),
        ((2, 3, 5, 4), (3, 2, 3, 2), {"stride": 2, "padding": 1, "output_padding": 1}),
        ((1, 4, 4, 4), (4, 3, 3, 3), {"groups": 2, "dilation": 2, "stride": (2, 1)}),
        ((4, 4, 4), (4, 3, 2, 2), {"stride": 2}),
    ],
)
def test_conv_transpose2d(xs, ws, kw):
    """conv_transpose2d is the table's conv2d_input: conv2d's gradient in its input."""
    check(
        lambda x, w: F.conv_transpose2d(x, w, **kw),
        lambda x, w: TF.conv_transpose2d(x, w, **kw),
        [RNG.standard_normal(xs), RNG.standard_normal(ws)],
        grad_fn="ConvolutionBackward0" if len(xs) == 4 else None,
        same_grad_fn=len(xs) == 4,
    )


def test_conv2d_noncontiguous_input_and_weight():
    x = RNG.standard_normal((3, 2, 6, 7))
    w = RNG.standard_normal((3, 4, 3, 2))
    check(
        lambda x, w: F.conv2d(x.permute(1, 0, 3, 2)[:, :, ::2], w.transpose(0, 1), padding=1),
        lambda x, w: TF.conv2d(x.permute(1, 0, 3, 2)[:, :, ::2], w.transpose(0, 1), padding=1),
        [x, w],
    )


def test_conv2d_second_order_matches_torch():
    """create_graph through conv2d: the grad of a function of the gradient."""
    xs = RNG.standard_normal((2, 2, 5, 5))
    ws = RNG.standard_normal((3, 2, 3, 3))
    res = []
    for lib, fn in ((cr, F.conv2d), (torch, TF.conv2d)):
        x = lib.tensor(xs, requires_grad=True)
        w = lib.tensor(ws, requires_grad=True)
        y = fn(x, w, stride=2, padding=1)
        (gx,) = lib.autograd.grad((y**2).sum(), x, create_graph=True)
        (gw,) = lib.autograd.grad((gx**2).sum(), w)
        res.append(gw.detach().numpy())
    np.testing.assert_allclose(res[0], res[1], rtol=1e-10)


POOL = [
    {"kernel_size": 2},
    {"kernel_size": 3, "stride": 2, "padding": 1},
    {"kernel_size": 3, "stride": 2, "padding": 1, "ceil_mode": True},
    {"kernel_size": (3, 2), "stride": (2, 1), "padding": (1, 0)},
    {"kernel_size": 2, "stride": 3, "ceil_mode": True},
]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("kw", POOL, ids=str)
def test_max_pool2d(kw, dtype):
    check(
        lambda x: F.max_pool2d(x, **kw),
        lambda x: TF.max_pool2d(x, **kw),
        [RNG.standard_normal((2, 3, 9, 8))],
        dtype,
        grad_fn="MaxPool2DWithIndicesBackward0",
    )


def test_max_pool2d_dilation_indices_and_ties():
    """Dilation; return_indices as PyTorch (flat into H * W); ties (a constant input and
    small integers) send the gradient to the first maximum in the window, as PyTorch."""
    special = RNG.standard_normal((1, 2, 6, 6))
    special[0, 0, 1, 1] = special[0, 0, 3, 4] = np.nan  # NaN wins and propagates
    special[0, 1, :3, :3] = -np.inf  # windows of -inf only: the first element inside
    for arr in (
        RNG.standard_normal((2, 2, 8, 9)),
        np.ones((1, 2, 5, 5)),
        RNG.integers(0, 3, (2, 2, 6, 6)),
        special,
    ):
        for kw in (
            {"kernel_size": 3, "dilation": 2, "padding": 1},
            {"kernel_size": 2, "stride": 1},
        ):
            check(
                lambda x, kw=kw: F.max_pool2d(x, **kw),
                lambda x, kw=kw: TF.max_pool2d(x, **kw),
                [arr],
            )
            _, ic = F.max_pool2d(cr.tensor(arr), return_indices=True, **kw)
            _, it = TF.max_pool2d(torch.tensor(arr), return_indices=True, **kw)
            np.testing.assert_array_equal(ic.numpy(), it.numpy())
            assert str(ic.dtype) == "torch.int64"


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize(
    "kw",
    POOL
    + [
        {"kernel_size": 3, "stride": 2, "padding": 1, "count_include_pad": False},
        {
            "kernel_size": 3,
            "stride": 2,
            "padding": 1,
            "ceil_mode": True,
            "count_include_pad": False,
        },
        {"kernel_size": 3, "padding": 1, "divisor_override": 2},
    ],
    ids=str,
)
def test_avg_pool2d(kw, dtype):
    check(
        lambda x: F.avg_pool2d(x, **kw),
        lambda x: TF.avg_pool2d(x, **kw),
        [RNG.standard_normal((2, 3, 9, 8))],
        dtype,
        grad_fn="AvgPool2DBackward0",
    )


def test_pool1d():
    """(grad_fn: PyTorch's squeeze(dim) is SqueezeBackward1, chainrule's SqueezeBackward0)"""
    x = [RNG.standard_normal((2, 3, 11))]
    kw = {"same_grad_fn": False}
    check(lambda x: F.max_pool1d(x, 3, 2, 1), lambda x: TF.max_pool1d(x, 3, 2, 1), x, **kw)
    check(lambda x: F.avg_pool1d(x, 3, 2, 1), lambda x: TF.avg_pool1d(x, 3, 2, 1), x, **kw)


@pytest.mark.parametrize("size", [1, (1, 1), 3, (4, 2), (5, 7), (2, None), (9, 8), (12, 3)])
def test_adaptive_pools(size):
    x = [RNG.standard_normal((2, 3, 9, 8))]
    # (a composite but for 1 x 1, where PyTorch also takes a mean)
    check(
        lambda x: F.adaptive_avg_pool2d(x, size),
        lambda x: TF.adaptive_avg_pool2d(x, size),
        x,
        same_grad_fn=size in (1, (1, 1)),
    )
    check(lambda x: F.adaptive_max_pool2d(x, size), lambda x: TF.adaptive_max_pool2d(x, size), x)
    _, ic = F.adaptive_max_pool2d(cr.tensor(x[0]), size, return_indices=True)
    _, it = TF.adaptive_max_pool2d(torch.tensor(x[0]), size, return_indices=True)
    np.testing.assert_array_equal(ic.numpy(), it.numpy())


def test_pool_grad_fn_names():
    x, t = both(RNG.standard_normal((2, 3, 8, 8)))
    assert (
        F.adaptive_avg_pool2d(x, 1).grad_fn.name()
        == type(TF.adaptive_avg_pool2d(t, 1).grad_fn).__name__
    )
    assert F.adaptive_max_pool2d(x, 3).grad_fn.name() == "AdaptiveMaxPool2DBackward0"
    assert type(TF.adaptive_max_pool2d(t, 3).grad_fn).__name__ == "AdaptiveMaxPool2DBackward0"


def test_avg_pool2d_of_integers_truncates_as_pytorch():
    a = RNG.integers(-9, 9, (2, 3, 5, 5))
    for kw in ({"kernel_size": 2}, {"kernel_size": 3, "padding": 1, "count_include_pad": False}):
        ours = F.avg_pool2d(cr.tensor(a), **kw)
        theirs = TF.avg_pool2d(torch.tensor(a), **kw)
        assert str(ours.dtype) == str(theirs.dtype)
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def test_empty_batch_pools():
    for f, g in ((F.max_pool2d, TF.max_pool2d), (F.avg_pool2d, TF.avg_pool2d)):
        check(lambda x, f=f: f(x, 2), lambda x, g=g: g(x, 2), [np.zeros((0, 3, 4, 4))])


@pytest.mark.parametrize(
    "pad,mode",
    [
        ((1, 2), "constant"),
        ((1, 2, 0, 3), "constant"),
        ((-1, 2, 1, -2), "constant"),
        ((2, 1, 1, 3), "reflect"),
        ((2, 1, 1, 3), "replicate"),
        ((2, 1, 1, 3), "circular"),
        ((1, 1, 1, 1, 1, 1), "constant"),
    ],
)
def test_pad(pad, mode):
    x = [RNG.standard_normal((2, 3, 5, 4))]
    # one node as PyTorch's, but circular: PyTorch copies slices, chainrule indexes once
    kw = {"same_grad_fn": mode != "circular"}
    check(lambda x: F.pad(x, pad, mode=mode), lambda x: TF.pad(x, pad, mode=mode), x, **kw)
    if mode == "constant":
        check(lambda x: F.pad(x, pad, value=2.5), lambda x: TF.pad(x, pad, value=2.5), x, **kw)


def _pad_grid():
    """Pads from -3 to 3 per end on the last dim (-3, -1, 0, 2 on two), shapes of 2 to 5
    dims: PyTorch's values and gradients, or the same error (type and text)."""
    for shape in [(2, 4), (1, 1), (2, 2, 3), (1, 2, 3, 2), (1, 2, 2, 1, 3)]:
        k = min(len(shape) - 1, 3)
        amounts = range(-3, 4) if k == 1 else (-3, -1, 0, 2)
        for mode in ("constant", "reflect", "replicate", "circular"):
            for ends in itertools.product(amounts, repeat=2 * min(k, 2)):
                yield shape, ends + (0,) * (2 * k - len(ends)), mode


def _pad_defined_in_torch(shape, pad, mode):
    """Circular pads wider than what a crop keeps read PyTorch's uninitialized memory or
    overlap its copies (its gradient then counts one copy only): no reference there."""
    if mode != "circular":
        return True
    for j in range(len(pad) // 2):
        lo, hi = pad[2 * j], pad[2 * j + 1]
        kept = shape[-1 - j] - max(-lo, 0) - max(-hi, 0)
        if kept <= 0 or lo > kept or hi > kept:
            return False
    return True


def test_pad_grid_against_torch():
    n = 0
    for shape, pad, mode in _pad_grid():
        if not _pad_defined_in_torch(shape, pad, mode):
            continue
        a = np.arange(math.prod(shape), dtype=np.float64).reshape(shape)
        got = []
        for lib, f in ((cr, F), (torch, TF)):
            try:
                x = lib.tensor(a, requires_grad=True)
                y = f.pad(x, pad, mode=mode)
                y.backward(lib.tensor(np.arange(y.numel(), dtype=np.float64).reshape(y.shape)))
                got.append(("ok", tuple(y.shape), y.detach().numpy(), x.grad.numpy()))
            except (RuntimeError, NotImplementedError) as e:
                got.append((type(e).__name__, str(e)))
        ours, theirs = got
        where = f"{shape} {pad} {mode}"
        if theirs[0] != "ok" and "numel: integer multiplication overflow" in theirs[1]:
            # PyTorch's overflow on a negative size: chainrule names the negative size
            assert ours[0] == "RuntimeError" and "negative dimension" in ours[1], where
            continue
        assert ours[0] == theirs[0], (where, ours, theirs)
        if ours[0] == "ok":
            assert ours[1] == theirs[1], where
            np.testing.assert_array_equal(ours[2], theirs[2], err_msg=where)
            if math.prod(ours[1]):  # (PyTorch leaves an empty output's gradient unwritten)
                np.testing.assert_array_equal(ours[3], theirs[3], err_msg=where)
        else:
            assert ours[1] == theirs[1], where
        n += 1
    assert n > 2000


@pytest.mark.parametrize(
    "kw",
    [{"kernel_size": (2, 3), "padding": 1, "stride": 2}, {"kernel_size": 2, "dilation": 2}],
    ids=str,
)
@pytest.mark.parametrize("xs", [(2, 3, 6, 5), (3, 6, 5)], ids=str)
def test_unfold_fold(kw, xs):
    check(
        lambda x: F.unfold(x, **kw),
        lambda x: TF.unfold(x, **kw),
        [RNG.standard_normal(xs)],
        grad_fn="Im2ColBackward0",
    )
    cols = tuple(TF.unfold(torch.zeros(xs), **kw).shape)
    check(
        lambda c: F.fold(c, xs[-2:], **kw),
        lambda c: TF.fold(c, xs[-2:], **kw),
        [RNG.standard_normal(cols)],
        grad_fn="Col2ImBackward0",
    )
    assert repr(nn.Unfold(**kw)) == repr(torch.nn.Unfold(**kw))
    assert repr(nn.Fold(xs[-2:], **kw)) == repr(torch.nn.Fold(xs[-2:], **kw))


# --------------------------------------------------------------------------- errors
def _conv_errors():
    x = np.zeros((2, 3, 8, 8), np.float32)
    return [
        ("conv2d", (x, np.zeros((6, 1, 5, 5), np.float32)), {}),
        ("conv2d", (x[0, 0], np.zeros((6, 1, 5, 5), np.float32)), {}),
        ("conv2d", (x, np.zeros((6, 3, 9, 9), np.float32)), {}),
        ("conv2d", (x, np.zeros((6, 3, 3, 3), np.float32)), {"groups": 2}),
        ("conv2d", (x, np.zeros((5, 3, 3, 3), np.float32)), {"groups": 3}),
        ("conv2d", (x, np.zeros((6, 3, 3, 3), np.float32), np.zeros(5, np.float32)), {}),
        ("conv2d", (x, np.zeros((6, 3, 3, 3))), {}),
        ("conv2d", (x, np.zeros((6, 3, 3, 3), np.float32)), {"stride": 2, "padding": "same"}),
        ("conv2d", (x, np.zeros((6, 3, 3, 3), np.float32)), {"padding": "foo"}),
        ("conv2d", (x, np.zeros((6, 3, 3, 3), np.float32)), {"padding": -1}),
        ("conv2d", (x, np.zeros((6, 3, 3, 3), np.float32)), {"stride": 0}),
        ("conv2d", (x[0, 0:1], np.zeros((6, 2, 3, 3), np.float32)), {}),
        ("conv1d", (x[0], np.zeros((6, 2, 3), np.float32)), {}),
        ("conv1d", (x, np.zeros((6, 3, 3), np.float32)), {}),
        ("conv_transpose2d", (x, np.zeros((4, 2, 3, 3), np.float32)), {}),
        ("max_pool2d", (x, 2), {"padding": 2}),
        ("max_pool2d", (np.zeros((1, 1, 2, 2), np.float32), 3), {}),
        ("max_pool2d", (x[0, 0], 2), {}),
        ("max_pool2d", (np.zeros((2, 2, 0, 8), np.float32), 2), {}),
        ("avg_pool2d", (np.zeros((1, 1, 2, 2), np.float32), 3), {}),
        ("avg_pool2d", (x, 2), {"padding": 2}),
        ("adaptive_avg_pool2d", (x[0, 0], 2), {}),
        ("adaptive_max_pool2d", (x[0, 0], 2), {}),
        ("pad", (x, (1,)), {}),
        ("pad", (x, (1,) * 10), {}),
        ("pad", (x, (1, 1)), {"mode": "foo"}),
        ("pad", (x, (9, 9, 1, 1)), {"mode": "reflect"}),
        ("conv2d", (x.astype(np.int64), np.zeros((6, 3, 3, 3), np.float32)), {}),
        ("conv2d", (x, np.zeros((6, 3, 3, 3), np.float32), np.zeros(6)), {}),
        ("max_pool2d", (x, 2), {"stride": 0}),
        ("max_pool2d", (x, 0), {}),
        ("max_pool2d", (x, 0, 1), {}),
        ("max_pool2d", (x, 2), {"dilation": 0}),
        ("avg_pool2d", (x, 2), {"divisor_override": 0}),
        ("unfold", (x[0, 0], 2), {}),
        ("unfold", (x, 9), {}),
        ("fold", (np.zeros((2, 12, 7), np.float32), (6, 5), 2), {}),
        ("fold", (np.zeros((2, 13, 20), np.float32), (6, 5), 2), {}),
        ("fold", (np.zeros((2, 2, 13, 20), np.float32), (6, 5), 2), {}),
    ]


@pytest.mark.parametrize("name,args,kw", _conv_errors(), ids=lambda v: str(v)[:40])
def test_error_texts(name, args, kw):
    def conv(lib):
        return [lib.tensor(a) if isinstance(a, np.ndarray) else a for a in args]

    errors_alike(
        lambda: getattr(F, name)(*conv(cr), **kw), lambda: getattr(TF, name)(*conv(torch), **kw)
    )


# --------------------------------------------------------------------------- modules
def _copy(ours, theirs):
    theirs.load_state_dict(
        {k: torch.tensor(v.numpy().copy()) for k, v in ours.state_dict().items()}
    )


MODULES = [
    ("Conv2d", (1, 6, 5), {"padding": 2}, (4, 1, 28, 28)),
    (
        "Conv2d",
        (3, 6, 3),
        {"stride": (2, 1), "dilation": 2, "groups": 3, "bias": False},
        (2, 3, 9, 9),
    ),
    ("Conv2d", (3, 4, 4), {"padding": "same"}, (2, 3, 7, 6)),
    ("Conv2d", (3, 4, 3), {"padding": 1, "padding_mode": "reflect"}, (2, 3, 7, 6)),
    ("Conv2d", (3, 4, 3), {"padding": (1, 2), "padding_mode": "circular"}, (2, 3, 7, 6)),
    ("Conv2d", (3, 4, 3), {"padding": 1, "padding_mode": "replicate"}, (2, 3, 7, 6)),
    ("Conv1d", (3, 4, 5), {"padding": 2}, (2, 3, 11)),
    ("ConvTranspose2d", (3, 4, 3), {"stride": 2, "output_padding": 1}, (2, 3, 5, 5)),
    ("ConvTranspose2d", (4, 2, 3), {"groups": 2, "bias": False, "padding": 1}, (2, 4, 5, 5)),
    ("MaxPool2d", (2,), {}, (2, 3, 8, 8)),
    ("MaxPool2d", (3,), {"stride": 2, "padding": 1, "ceil_mode": True}, (2, 3, 8, 8)),
    ("AvgPool2d", (2,), {}, (2, 3, 8, 8)),
    ("AvgPool2d", (3, 2, 1), {"ceil_mode": True, "count_include_pad": False}, (2, 3, 8, 8)),
    ("AdaptiveAvgPool2d", ((1, 1),), {}, (2, 3, 8, 8)),
    ("AdaptiveAvgPool2d", (3,), {}, (2, 3, 8, 8)),
    ("AdaptiveMaxPool2d", ((2, None),), {}, (2, 3, 8, 8)),
    ("MaxPool1d", (2,), {}, (2, 3, 8)),
    ("AvgPool1d", (3,), {}, (2, 3, 8)),
]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name,args,kw,xs", MODULES, ids=[m[0] + str(m[2]) for m in MODULES])
def test_modules(name, args, kw, xs, dtype):
    cr_dtype = getattr(cr, dtype)
    ours = getattr(nn, name)(*args, **kw)
    theirs = getattr(torch.nn, name)(*args, **kw)
    assert repr(ours) == repr(theirs)
    ours = ours.to(cr_dtype)
    theirs = theirs.to(getattr(torch, dtype))
    assert sorted(n for n, _ in ours.named_parameters()) == sorted(
        n for n, _ in theirs.named_parameters()
    )
    _copy(ours, theirs)
    # composites where PyTorch has one node (see test_pool1d, test_adaptive_pools)
    same = name not in ("MaxPool1d", "AvgPool1d") and args[0] not in (3,) or name[0] == "C"
    check(ours, theirs, [RNG.standard_normal(xs)], dtype, same_grad_fn=same)
    for (n, p), (_, q) in zip(ours.named_parameters(), theirs.named_parameters(), strict=True):
        assert p.grad is not None, n
        close(p.grad.numpy(), q.grad.numpy(), dtype)


def test_module_reprs():
    cases = [
        ("Conv2d", (1, 6, 5), {"padding": 2}),
        ("Conv2d", (3, 6, 3), {"bias": False, "groups": 3, "dilation": 2, "stride": (2, 1)}),
        ("Conv2d", (3, 6, 3), {"padding": "same"}),
        ("Conv2d", (3, 6, 3), {"padding_mode": "reflect"}),
        ("Conv1d", (3, 4, 5), {}),
        ("ConvTranspose2d", (3, 4, 3), {"stride": 2, "output_padding": 1}),
        ("LazyConv2d", (6, 5), {"padding": 2}),
        ("MaxPool2d", (2,), {}),
        ("MaxPool2d", (3,), {"stride": 2, "padding": 1, "ceil_mode": True}),
        ("AvgPool2d", (3, 2, 1), {"ceil_mode": True, "divisor_override": 2}),
        ("AdaptiveAvgPool2d", ((1, 1),), {}),
        ("AdaptiveAvgPool2d", (7,), {}),
        ("AdaptiveMaxPool2d", ((2, None),), {}),
        ("MaxPool1d", (2,), {}),
        ("AvgPool1d", (3,), {}),
    ]
    for name, args, kw in cases:
        assert repr(getattr(nn, name)(*args, **kw)) == repr(getattr(torch.nn, name)(*args, **kw))
    seq = [nn.Conv2d(1, 6, 5, padding=2), nn.Sigmoid(), nn.AvgPool2d(2, stride=2)]
    tseq = [
        torch.nn.Conv2d(1, 6, 5, padding=2),
        torch.nn.Sigmoid(),
        torch.nn.AvgPool2d(2, stride=2),
    ]
    assert repr(nn.Sequential(*seq)) == repr(torch.nn.Sequential(*tseq))


def test_default_init_bounds_and_shapes():
    cr.manual_seed(0)
    m = nn.Conv2d(4, 8, (3, 2), groups=2)
    t = torch.nn.Conv2d(4, 8, (3, 2), groups=2)
    assert m.weight.shape == t.weight.shape and m.bias.shape == t.bias.shape
    fan_in = 2 * 3 * 2
    bound = 1 / math.sqrt(fan_in)  # kaiming_uniform(a=sqrt(5)) and the bias share it
    for p in (m.weight, m.bias):
        a = p.detach().numpy()
        assert np.abs(a).max() <= bound and np.abs(a).max() > bound / 2
    tt = nn.ConvTranspose2d(4, 6, 3, groups=2)
    assert tuple(tt.weight.shape) == (4, 3, 3, 3)
    assert np.abs(tt.weight.detach().numpy()).max() <= 1 / math.sqrt(3 * 9)


def test_module_errors():
    for args, kw in [
        ((3, 4, 3), {"groups": 2}),
        ((4, 3, 3), {"groups": 2}),
        ((4, 4, 3), {"groups": 0}),
        ((4, 4, 3), {"padding": "same", "stride": 2}),
    ]:
        errors_alike(
            lambda args=args, kw=kw: nn.Conv2d(*args, **kw),
            lambda args=args, kw=kw: torch.nn.Conv2d(*args, **kw),
        )
    # (PyTorch prints these sets in its process's hash order)
    with pytest.raises(ValueError, match="Invalid padding string 'foo', should be one of {"):
        nn.Conv2d(4, 4, 3, padding="foo")
    with pytest.raises(ValueError, match="padding_mode must be one of"):
        nn.Conv2d(4, 4, 3, padding_mode="foo")
    errors_alike(
        lambda: nn.ConvTranspose2d(4, 4, 3, padding_mode="reflect"),
        lambda: torch.nn.ConvTranspose2d(4, 4, 3, padding_mode="reflect"),
    )
    m, t = nn.ConvTranspose2d(3, 4, 3, stride=2), torch.nn.ConvTranspose2d(3, 4, 3, stride=2)
    _copy(m, t)
    assert m(cr.ones(1, 3, 5, 5), output_size=[12, 12]).shape == (1, 4, 12, 12)
    np.testing.assert_allclose(
        m(cr.ones(1, 3, 5, 5), output_size=[12, 12]).detach().numpy(),
        t(torch.ones(1, 3, 5, 5), output_size=[12, 12]).detach().numpy(),
        rtol=1e-5,
        atol=1e-6,
    )
    errors_alike(
        lambda: m(cr.ones(1, 3, 5, 5), output_size=[14, 14]),
        lambda: t(torch.ones(1, 3, 5, 5), output_size=[14, 14]),
    )


def test_lazy_conv2d():
    layer = nn.LazyConv2d(6, kernel_size=5, padding=2)
    opt = cr.optim.SGD(layer.parameters(), lr=0.1)
    w = layer.weight
    out = layer(cr.ones(2, 3, 8, 8))
    assert out.shape == (2, 6, 8, 8)
    assert type(layer) is nn.Conv2d and layer.in_channels == 3
    assert repr(layer) == "Conv2d(3, 6, kernel_size=(5, 5), stride=(1, 1), padding=(2, 2))"
    assert layer.weight is w and tuple(w.shape) == (6, 3, 5, 5)
    assert np.abs(w.detach().numpy()).max() <= 1 / math.sqrt(75)
    out.sum().backward()
    before = w.detach().numpy().copy()
    opt.step()
    assert not np.allclose(before, w.detach().numpy())


def test_lenet_forward_backward_matches_torch():
    """d2l's LeNet (sigmoid, avg pooling) in both libraries, same weights, one step."""

    def lenet(m):
        return m.Sequential(
            m.Conv2d(1, 6, kernel_size=5, padding=2), m.Sigmoid(), m.AvgPool2d(2, stride=2),
            m.Conv2d(6, 16, kernel_size=5), m.Sigmoid(), m.AvgPool2d(2, stride=2),
            m.Flatten(), m.Linear(16 * 5 * 5, 120), m.Sigmoid(), m.Linear(120, 84), m.Sigmoid(),
            m.Linear(84, 10),
        )  # fmt: skip

    ours, theirs = lenet(nn), lenet(torch.nn)
    _copy(ours, theirs)
    x = RNG.standard_normal((8, 1, 28, 28)).astype(np.float32)
    y = RNG.integers(0, 10, 8)
    lc = F.cross_entropy(ours(cr.tensor(x)), cr.tensor(y))
    lt = TF.cross_entropy(theirs(torch.tensor(x)), torch.tensor(y))
    np.testing.assert_allclose(lc.item(), lt.item(), rtol=1e-5)
    lc.backward()
    lt.backward()
    for p, q in zip(ours.parameters(), theirs.parameters(), strict=True):
        np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), rtol=1e-4, atol=1e-6)
