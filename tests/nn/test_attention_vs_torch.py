"""Attention against PyTorch: nn.MultiheadAttention and F.scaled_dot_product_attention give
torch's outputs, attention weights and gradients (inputs and every parameter) in float32
and float64, with bool and float masks, batch_first, unbatched inputs, kdim/vdim,
add_bias_kv/add_zero_attn and seeded dropout; the same seeded initialization, parameter
names, state_dict, repr and errors. Skipped without torch."""

import math
import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import chainrule as cr  # noqa: E402
import chainrule.nn.functional as F  # noqa: E402
from chainrule import nn  # noqa: E402

TF = torch.nn.functional
DTYPES = ["float32", "float64"]
TOL = {"float32": dict(rtol=1e-4, atol=1e-5), "float64": dict(rtol=1e-10, atol=1e-12)}
E, H, L, S, N = 8, 2, 4, 5, 3


def close(ours, theirs, dtype, equal_nan=False):
    assert isinstance(ours, cr.Tensor)
    assert str(ours.dtype) == str(theirs.dtype)
    assert tuple(ours.shape) == tuple(theirs.shape)
    np.testing.assert_allclose(
        ours.detach().numpy(), theirs.detach().numpy(), equal_nan=equal_nan, **TOL[dtype]
    )


def twins(dtype, *args, **kwargs):
    """Both modules built after the same seed: their weights must already be equal."""
    torch.manual_seed(7)
    theirs = torch.nn.MultiheadAttention(*args, **kwargs, dtype=getattr(torch, dtype))
    cr.manual_seed(7)
    ours = nn.MultiheadAttention(*args, **kwargs, dtype=getattr(cr, dtype))
    sd, osd = theirs.state_dict(), ours.state_dict()
    assert list(osd) == list(sd)
    for k, v in osd.items():
        np.testing.assert_array_equal(v.numpy(), sd[k].numpy(), err_msg=k)
    return ours, theirs


def pair(rng, shape, dtype, grad=True):
    arr = rng.standard_normal(shape).astype(dtype)
    return (
        cr.tensor(arr.copy(), requires_grad=grad),
        torch.tensor(arr, requires_grad=grad),
    )


def mask_pair(arr):
    return cr.tensor(arr.copy()), torch.tensor(arr)


def backward_random(rng, outs, touts, dtype):
    """Backward of the same random linear loss of all outputs in both libraries."""
    loss, tloss = 0.0, 0.0
    for o, t in zip(outs, touts, strict=True):
        if t is None:
            assert o is None
            continue
        w = rng.standard_normal(tuple(t.shape)).astype(dtype)
        loss = loss + (o * cr.tensor(w)).sum()
        tloss = tloss + (t * torch.tensor(w)).sum()
    loss.backward()
    tloss.backward()


def check_grads(ours, theirs, leaves, dtype):
    for (n, p), (tn, tp) in zip(ours.named_parameters(), theirs.named_parameters(), strict=True):
        assert n == tn
        close(p.grad, tp.grad, dtype)
    for x, tx in leaves:
        close(x.grad, tx.grad, dtype)


# --------------------------------------------------------------- construction


CONFIGS = [
    dict(),
    dict(bias=False),
    dict(batch_first=True),
    dict(kdim=3, vdim=6),
    dict(add_bias_kv=True),
    dict(add_zero_attn=True),
    dict(add_bias_kv=True, add_zero_attn=True, kdim=3, vdim=6, bias=False),
]


@pytest.mark.parametrize("config", CONFIGS)
def test_seeded_init_names_and_repr(config):
    ours, theirs = twins("float32", E, H, **config)  # (asserts equal weights)
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    for (_, p), (_, tp) in zip(ours.named_parameters(), theirs.named_parameters(), strict=True):
        assert tuple(p.shape) == tuple(tp.shape)
    assert repr(ours) == repr(theirs)
    assert repr(ours.out_proj) == repr(theirs.out_proj)
    assert isinstance(ours.out_proj, nn.Linear)
    for attr in ("embed_dim", "kdim", "vdim", "num_heads", "head_dim", "dropout", "batch_first"):
        assert getattr(ours, attr) == getattr(theirs, attr), attr
    assert ours._qkv_same_embed_dim == theirs._qkv_same_embed_dim
    assert (ours.bias_k is None) == (theirs.bias_k is None)


def test_seeded_init_float64_and_continuing_stream():
    twins("float64", 6, 3, add_bias_kv=True)
    # the stream after construction is where torch's is
    assert float(cr.rand(())) == float(torch.rand((), dtype=torch.float32))


def test_load_torch_state_dict_round_trip():
    theirs = torch.nn.MultiheadAttention(E, H, kdim=3, vdim=6, add_bias_kv=True)
    ours = nn.MultiheadAttention(E, H, kdim=3, vdim=6, add_bias_kv=True)
    ours.load_state_dict({k: cr.tensor(v.numpy().copy()) for k, v in theirs.state_dict().items()})
    for k, v in ours.state_dict().items():
        np.testing.assert_array_equal(v.numpy(), theirs.state_dict()[k].numpy())
    again = nn.MultiheadAttention(E, H, kdim=3, vdim=6, add_bias_kv=True)
    again.load_state_dict(ours.state_dict())
    rng = np.random.default_rng(0)
    q, _ = pair(rng, (L, N, E), "float32", grad=False)
    k, _ = pair(rng, (S, N, 3), "float32", grad=False)
    v, _ = pair(rng, (S, N, 6), "float32", grad=False)
    a, b = ours(q, k, v), again(q, k, v)
    np.testing.assert_array_equal(a[0].detach().numpy(), b[0].detach().numpy())


def test_constructor_errors():
    for args, exc, msg in [
        ((7, 2), AssertionError, "embed_dim must be divisible by num_heads"),
        ((0, 2), ValueError, "got embed_dim=0 and num_heads=2 instead"),
        ((8, 0), ValueError, "got embed_dim=8 and num_heads=0 instead"),
    ]:
        with pytest.raises(exc) as theirs:
            torch.nn.MultiheadAttention(*args)
        with pytest.raises(exc) as ours:
            nn.MultiheadAttention(*args)
        assert str(ours.value) == str(theirs.value)
        assert msg in str(ours.value)


# --------------------------------------------------------------- forward and backward


def inputs(rng, config, dtype, unbatched=False, kind="distinct"):
    """(query, key, value) pairs; kind 'self' passes one tensor three times, 'kv' one
    tensor as key and value (PyTorch's projections take other paths for those)."""
    kd, vd = config.get("kdim", E), config.get("vdim", E)
    lead = (
        (lambda n: (n,))
        if unbatched
        else ((lambda n: (N, n)) if config.get("batch_first") else (lambda n: (n, N)))
    )
    q = pair(rng, (*lead(L), E), dtype)
    if kind == "self":
        return [q, q, q], [q]
    k = pair(rng, (*lead(S), kd), dtype)
    if kind == "kv":
        return [q, k, k], [q, k]
    v = pair(rng, (*lead(S), vd), dtype)
    return [q, k, v], [q, k, v]


def run(ours, theirs, args, **kw):
    okw = {k: v[0] if isinstance(v, tuple) else v for k, v in kw.items()}
    tkw = {k: v[1] if isinstance(v, tuple) else v for k, v in kw.items()}
    out = ours(*(a for a, _ in args), **okw)
    tout = theirs(*(t for _, t in args), **tkw)
    return out, tout


def compare(ours, theirs, args, leaves, dtype, rng, equal_nan=False, **kw):
    (o, w), (to, tw) = run(ours, theirs, args, **kw)
    close(o, to, dtype, equal_nan)
    if tw is None:
        assert w is None
    else:
        close(w, tw, dtype, equal_nan)
    if not equal_nan:
        backward_random(rng, (o, w), (to, tw), dtype)
        check_grads(ours, theirs, leaves, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("config", CONFIGS)
@pytest.mark.parametrize("need_weights", [True, False])
def test_forward_backward(config, dtype, need_weights):
    ours, theirs = twins(dtype, E, H, **config)
    rng = np.random.default_rng(1)
    args, leaves = inputs(rng, config, dtype)
    compare(ours, theirs, args, leaves, dtype, rng, need_weights=need_weights)


@pytest.mark.parametrize("kind", ["self", "kv"])
@pytest.mark.parametrize("batch_first", [False, True])
def test_shared_inputs(kind, batch_first):
    ours, theirs = twins("float64", E, H, batch_first=batch_first)
    rng = np.random.default_rng(2)
    args, leaves = inputs(rng, dict(batch_first=batch_first), "float64", kind=kind)
    compare(ours, theirs, args, leaves, "float64", rng)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("config", [dict(), dict(add_bias_kv=True, add_zero_attn=True)])
@pytest.mark.parametrize("need_weights", [True, False])
def test_unbatched(config, dtype, need_weights):
    ours, theirs = twins(dtype, E, H, batch_first=True, **config)
    rng = np.random.default_rng(3)
    args, leaves = inputs(rng, config, dtype, unbatched=True)
    kpm = mask_pair(np.array([False, True, False, False, False]))
    am = mask_pair(rng.standard_normal((H, L, S)).astype(dtype))
    compare(ours, theirs, args, leaves, dtype, rng, need_weights=need_weights)
    compare(
        ours,
        theirs,
        args,
        leaves,
        dtype,
        rng,
        need_weights=need_weights,
        key_padding_mask=kpm,
        attn_mask=am,
        average_attn_weights=False,
    )


def masks(rng, dtype):
    bool2 = rng.random((L, S)) < 0.3
    bool2[:, 0] = False  # (no row masked everywhere)
    bool3 = rng.random((N * H, L, S)) < 0.3
    bool3[..., 1] = False
    kpm = rng.random((N, S)) < 0.3
    kpm[:, 2] = False
    return {
        "bool2": mask_pair(bool2),
        "float2": mask_pair(rng.standard_normal((L, S)).astype(dtype)),
        "bool3": mask_pair(bool3),
        "float3": mask_pair(rng.standard_normal((N * H, L, S)).astype(dtype)),
        "kpm_bool": mask_pair(kpm),
        "kpm_float": mask_pair(np.where(kpm, -np.inf, 0.0).astype(dtype)),
    }


MASK_CASES = [
    dict(attn_mask="bool2"),
    dict(attn_mask="float2"),
    dict(attn_mask="bool3"),
    dict(attn_mask="float3"),
    dict(key_padding_mask="kpm_bool"),
    dict(key_padding_mask="kpm_float"),
    dict(attn_mask="bool2", key_padding_mask="kpm_bool"),
    dict(attn_mask="float3", key_padding_mask="kpm_float"),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", MASK_CASES)
@pytest.mark.parametrize("need_weights", [True, False])
@pytest.mark.parametrize("average", [True, False])
def test_masks(case, dtype, need_weights, average):
    ours, theirs = twins(dtype, E, H, add_zero_attn=dtype == "float32")
    rng = np.random.default_rng(4)
    args, leaves = inputs(rng, {}, dtype)
    m = masks(rng, dtype)
    kw = {k: m[v] for k, v in case.items()}
    compare(
        ours,
        theirs,
        args,
        leaves,
        dtype,
        rng,
        need_weights=need_weights,
        average_attn_weights=average,
        **kw,
    )


def test_mismatched_mask_types_warn_once_as_torch():
    ours, theirs = twins("float64", E, H)
    rng = np.random.default_rng(5)
    args, leaves = inputs(rng, {}, "float64")
    m = masks(rng, "float64")
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        compare(
            ours,
            theirs,
            args,
            leaves,
            "float64",
            rng,
            attn_mask=m["float2"],
            key_padding_mask=m["kpm_bool"],
        )
    texts = [str(w.message) for w in rec if "mismatched" in str(w.message)]
    assert len(texts) == 2  # one from each library
    assert texts[0] == texts[1]


@pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")
@pytest.mark.parametrize("need_weights", [True, False])
def test_row_masked_everywhere(need_weights):
    # need_weights=True: NaN rows (softmax of -inf), as torch; False: torch's SDPA gives 0
    ours, theirs = twins("float64", E, H)
    rng = np.random.default_rng(6)
    args, leaves = inputs(rng, {}, "float64")
    kpm = np.zeros((N, S), dtype=bool)
    kpm[1] = True
    compare(
        ours,
        theirs,
        args,
        leaves,
        "float64",
        rng,
        equal_nan=True,
        need_weights=need_weights,
        key_padding_mask=mask_pair(kpm),
    )


@pytest.mark.parametrize("need_weights", [True, False])
def test_is_causal_hint(need_weights):
    ours, theirs = twins("float64", E, H)
    rng = np.random.default_rng(7)
    q = pair(rng, (L, N, E), "float64")
    causal = np.triu(np.ones((L, L), dtype=bool), 1)
    compare(
        ours,
        theirs,
        [q, q, q],
        [q],
        "float64",
        rng,
        need_weights=need_weights,
        attn_mask=mask_pair(causal),
        is_causal=True,
    )


@pytest.mark.parametrize("need_weights", [True, False])
@pytest.mark.parametrize("config", [dict(), dict(batch_first=True, add_zero_attn=True)])
def test_dropout_draws_match_torch(need_weights, config):
    ours, theirs = twins("float64", E, H, dropout=0.4, **config)
    rng = np.random.default_rng(8)
    args, leaves = inputs(rng, config, "float64")
    torch.manual_seed(3)
    cr.manual_seed(3)
    compare(ours, theirs, args, leaves, "float64", rng, need_weights=need_weights)
    ours.eval(), theirs.eval()
    compare(ours, theirs, args, leaves, "float64", rng, need_weights=need_weights)


# --------------------------------------------------------------- errors


def both_raise(call):
    with pytest.raises(Exception) as theirs:
        call(torch, torch.nn)
    with pytest.raises(Exception) as ours:
        call(cr, nn)
    assert type(ours.value) is type(theirs.value)
    assert str(ours.value) == str(theirs.value)


MHA_ERRORS = [
    lambda t, m, x: m(x, x, t.randn(4, 3, 7)),
    lambda t, m, x: m(x, x[:2], x),
    lambda t, m, x: m(x, x[0], x[0]),
    lambda t, m, x: m(x[0], x, x),
    lambda t, m, x: m(x[0, 0], x[0, 0], x[0, 0]),
    lambda t, m, x: m(t.randn(4, 3, 6), t.randn(4, 3, 6), t.randn(4, 3, 6)),
    lambda t, m, x: m(x, x, x, attn_mask=t.zeros(4, 5)),
    lambda t, m, x: m(x, x, x, attn_mask=t.zeros(7, 4, 4)),
    lambda t, m, x: m(x, x, x, attn_mask=t.zeros(4)),
    lambda t, m, x: m(x, x, x, attn_mask=t.zeros(4, 4, dtype=t.int64)),
    lambda t, m, x: m(x, x, x, key_padding_mask=t.zeros(4, 3, dtype=t.bool)),
    lambda t, m, x: m(x, x, x, key_padding_mask=t.zeros(3, 5, dtype=t.bool)),
    lambda t, m, x: m(x, x, x, key_padding_mask=t.zeros(3, dtype=t.bool)),
    lambda t, m, x: m(x, x, x, key_padding_mask=t.zeros(3, 4, dtype=t.int64)),
    lambda t, m, x: m(x, x, x, is_causal=True),
    lambda t, m, x: m(x[0], x[0], x[0], attn_mask=t.zeros(3, 4, 4)),
    lambda t, m, x: m(x[0], x[0], x[0], key_padding_mask=t.zeros(1, 4, dtype=t.bool)),
]


@pytest.mark.parametrize("i", range(len(MHA_ERRORS)))
def test_forward_errors(i):
    def call(lib, nnlib):
        lib.manual_seed(0)
        m = nnlib.MultiheadAttention(8, 2)
        MHA_ERRORS[i](lib, m, lib.zeros(4, 3, 8))

    both_raise(call)


@pytest.mark.parametrize(
    "shapes",
    [((4, 3, 8), (4, 3, 3), (5, 3, 5)), ((4, 3, 8), (4, 3, 4), (4, 3, 5))],
)
def test_kdim_vdim_errors(shapes):
    def call(lib, nnlib):
        m = nnlib.MultiheadAttention(8, 2, kdim=3, vdim=5)
        m(*(lib.zeros(*s) for s in shapes))

    both_raise(call)


# --------------------------------------------------------------- scaled_dot_product_attention


SDPA_CASES = [
    dict(q=(2, 3, 4, 5), k=(2, 3, 6, 5), v=(2, 3, 6, 7)),
    dict(q=(4, 5), k=(6, 5), v=(6, 3)),
    dict(q=(2, 4, 5), k=(2, 6, 5), v=(2, 6, 3), scale=0.3),
    dict(q=(2, 4, 5), k=(2, 6, 5), v=(2, 6, 3), scale=-0.7),
    dict(q=(2, 3, 4, 5), k=(2, 3, 6, 5), v=(2, 3, 6, 7), is_causal=True),
    dict(q=(2, 3, 6, 5), k=(2, 3, 4, 5), v=(2, 3, 4, 7), is_causal=True),
    dict(q=(2, 3, 4, 5), k=(2, 3, 6, 5), v=(2, 3, 6, 7), mask=("bool", (4, 6))),
    dict(q=(2, 3, 4, 5), k=(2, 3, 6, 5), v=(2, 3, 6, 7), mask=("float", (3, 1, 6))),
    dict(q=(2, 3, 4, 5), k=(2, 3, 6, 5), v=(2, 3, 6, 7), mask=("bool", (2, 3, 4, 6))),
    dict(q=(1, 4, 4, 5), k=(1, 2, 6, 5), v=(1, 2, 6, 3), gqa=True),
]


def sdpa_pair(rng, case, dtype):
    q, k, v = (pair(rng, case[n], dtype) for n in ("q", "k", "v"))
    kw, tkw = {}, {}
    if "mask" in case:
        kind, shape = case["mask"]
        if kind == "bool":
            arr = rng.random(shape) < 0.7
            arr[..., 0] = True
        else:
            arr = rng.standard_normal(shape).astype(dtype)
        kw["attn_mask"], tkw["attn_mask"] = mask_pair(arr)
    for name in ("scale", "is_causal"):
        if name in case:
            kw[name] = tkw[name] = case[name]
    if case.get("gqa"):
        kw["enable_gqa"] = tkw["enable_gqa"] = True
    return (q, k, v), kw, tkw


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", range(len(SDPA_CASES)))
def test_sdpa(case, dtype):
    rng = np.random.default_rng(10 + case)
    qkv, kw, tkw = sdpa_pair(rng, SDPA_CASES[case], dtype)
    out = F.scaled_dot_product_attention(*(a for a, _ in qkv), **kw)
    tout = TF.scaled_dot_product_attention(*(t for _, t in qkv), **tkw)
    close(out, tout, dtype)
    backward_random(rng, (out,), (tout,), dtype)
    for a, t in qkv:
        close(a.grad, t.grad, dtype)


def test_sdpa_masked_rows_give_zeros_and_zero_gradients():
    rng = np.random.default_rng(20)
    (q, tq), (k, tk), (v, tv) = (pair(rng, (2, 4, 3), "float64") for _ in range(3))
    mask = np.ones((4, 4), dtype=bool)
    mask[2] = False
    m, tm = mask_pair(mask)
    out = F.scaled_dot_product_attention(q, k, v, attn_mask=m)
    tout = TF.scaled_dot_product_attention(tq, tk, tv, attn_mask=tm)
    close(out, tout, "float64")
    assert not np.isnan(out.detach().numpy()).any()
    backward_random(rng, (out,), (tout,), "float64")
    for a, t in ((q, tq), (k, tk), (v, tv)):
        close(a.grad, t.grad, "float64")


def test_sdpa_dropout_draws_match_torch():
    rng = np.random.default_rng(21)
    (q, tq), (k, tk), (v, tv) = (pair(rng, (2, 3, 4, 5), "float32") for _ in range(3))
    torch.manual_seed(5)
    cr.manual_seed(5)
    out = F.scaled_dot_product_attention(q, k, v, dropout_p=0.3)
    tout = TF.scaled_dot_product_attention(tq, tk, tv, dropout_p=0.3)
    close(out, tout, "float32")


SDPA_ERRORS = [
    lambda t, x: F_of(t).scaled_dot_product_attention(
        x, x, x, attn_mask=t.ones(4, 4, dtype=t.bool), is_causal=True
    ),
    lambda t, x: F_of(t).scaled_dot_product_attention(x, x, x.double()),
    lambda t, x: F_of(t).scaled_dot_product_attention(x[0, 0, 0], x[0, 0, 0], x[0, 0, 0]),
    lambda t, x: F_of(t).scaled_dot_product_attention(
        x, x, x, attn_mask=t.zeros(4, 4, dtype=t.int64)
    ),
    lambda t, x: F_of(t).scaled_dot_product_attention(x, x[:, :2], x[:, :2], enable_gqa=True),
    lambda t, x: F_of(t).scaled_dot_product_attention(
        x[0], x[0], x[0], attn_mask=t.zeros(2, 3, 4, 4)
    ),
    lambda t, x: F_of(t).scaled_dot_product_attention(
        x[0], x[0], x[0], attn_mask=t.ones(2, 3, 4, 4, dtype=t.bool)
    ),
    lambda t, x: F_of(t).scaled_dot_product_attention(x, x, x, attn_mask=t.zeros(5, 4)),
]


def F_of(lib):
    return TF if lib is torch else F


@pytest.mark.parametrize("i", range(len(SDPA_ERRORS)))
def test_sdpa_errors(i):
    # torch's math path (which chainrule follows): its CPU flash kernel accepts attn_mask
    # with is_causal (and applies both) where the math path refuses
    from torch.nn.attention import SDPBackend, sdpa_kernel

    with sdpa_kernel(SDPBackend.MATH):
        both_raise(lambda lib, _: SDPA_ERRORS[i](lib, lib.zeros(2, 3, 4, 5)))


@pytest.mark.parametrize(
    "kw",
    [
        dict(),
        dict(is_causal=True),
        dict(scale=0.5),
        dict(mask="float"),
        dict(mask="bool"),
    ],
)
def test_sdpa_gradcheck(kw):
    from chainrule.autograd import gradcheck

    rng = np.random.default_rng(30)
    q, k, v = (
        cr.tensor(rng.standard_normal((2, 3, 2)), dtype=cr.float64, requires_grad=True)
        for _ in range(3)
    )
    kw = dict(kw)
    kind = kw.pop("mask", None)
    if kind == "float":
        kw["attn_mask"] = cr.tensor(rng.standard_normal((3, 3)))
    elif kind == "bool":
        kw["attn_mask"] = cr.tensor([[True, False, True], [False, False, False], [True] * 3])
    assert gradcheck(lambda q, k, v: F.scaled_dot_product_attention(q, k, v, **kw), (q, k, v))


def test_mha_functional_gradcheck():
    from chainrule.autograd import gradcheck

    cr.manual_seed(0)
    m = nn.MultiheadAttention(4, 2, dtype=cr.float64)
    rng = np.random.default_rng(31)
    x = cr.tensor(rng.standard_normal((3, 2, 4)), requires_grad=True)
    w = m.in_proj_weight

    def f(x, w):
        return F.multi_head_attention_forward(
            x, x, x, 4, 2, w, m.in_proj_bias, None, None, False, 0.0,
            m.out_proj.weight, m.out_proj.bias,
        )  # fmt: skip

    assert gradcheck(f, (x, w))


def test_docstring_example_values():
    q = k = cr.tensor([[1.0, 0.0], [0.0, 1.0]])
    v = cr.tensor([[1.0, 2.0], [3.0, 4.0]])
    out = F.scaled_dot_product_attention(q, k, v, is_causal=True)
    t = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    tout = TF.scaled_dot_product_attention(
        t, t, torch.tensor([[1.0, 2.0], [3.0, 4.0]]), is_causal=True
    )
    close(out, tout, "float32")
    assert math.isclose(float(out[1, 0]), 2.3395, abs_tol=1e-4)
