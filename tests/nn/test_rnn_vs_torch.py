"""Recurrent layers against PyTorch: RNN, GRU, LSTM and their cells with torch's weights
give torch's outputs, final states and gradients (inputs, initial states, every
parameter), in float32 and float64; the same parameter names, reprs and errors.
Skipped without torch."""

import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import chainrule as cr  # noqa: E402
from chainrule import nn  # noqa: E402

DTYPES = ["float32", "float64"]
TOL = {"float32": dict(rtol=1e-4, atol=1e-5), "float64": dict(rtol=1e-10, atol=1e-12)}
T, B, I, H = 5, 3, 4, 6


def close(ours, theirs, dtype):
    assert isinstance(ours, cr.Tensor)
    assert str(ours.dtype) == str(theirs.dtype)
    assert tuple(ours.shape) == tuple(theirs.shape)
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), **TOL[dtype])


def twins(kind, dtype, *args, **kwargs):
    """A torch module and a chainrule one with torch's weights (through state_dict)."""
    theirs = getattr(torch.nn, kind)(*args, **kwargs, dtype=getattr(torch, dtype))
    ours = getattr(nn, kind)(*args, **kwargs, dtype=getattr(cr, dtype))
    sd = theirs.state_dict()
    assert list(ours.state_dict()) == list(sd)
    for k, v in ours.state_dict().items():
        assert tuple(v.shape) == tuple(sd[k].shape)
    ours.load_state_dict({k: cr.tensor(v.numpy().copy()) for k, v in sd.items()})
    return ours, theirs


def pair(rng, shape, dtype):
    arr = rng.standard_normal(shape).astype(dtype)
    return cr.tensor(arr.copy(), requires_grad=True), torch.tensor(arr, requires_grad=True)


def as_tuple(state):
    return state if isinstance(state, tuple) else (state,)


def backward_random(rng, outs, touts, dtype):
    """Backward of the same random linear loss of all outputs in both libraries."""
    loss, tloss = 0.0, 0.0
    for o, t in zip(outs, touts, strict=True):
        w = rng.standard_normal(tuple(t.shape)).astype(dtype)
        loss = loss + (o * cr.tensor(w)).sum()
        tloss = tloss + (t * torch.tensor(w)).sum()
    loss.backward()
    tloss.backward()


CONFIGS = [
    dict(),
    dict(num_layers=2),
    dict(bidirectional=True),
    dict(num_layers=2, bidirectional=True),
    dict(batch_first=True),
    dict(bias=False, num_layers=2),
    dict(num_layers=2, bidirectional=True, batch_first=True, bias=False),
]


def _check_layer(kind, config, dtype, unbatched=False, with_h0=True, extra=None, proj=0):
    kwargs = dict(config, **(extra or {}))
    ours, theirs = twins(kind, dtype, I, H, **kwargs)
    rng = np.random.default_rng(0)
    if unbatched:
        shape = (T, I)
    else:
        shape = (B, T, I) if kwargs.get("batch_first") else (T, B, I)
    x, tx = pair(rng, shape, dtype)
    layers = kwargs.get("num_layers", 1) * (2 if kwargs.get("bidirectional") else 1)
    hshape = (layers, H) if unbatched else (layers, B, H)
    args, targs, leaves = (), (), []
    if with_h0:
        states = [pair(rng, hshape[:-1] + (proj or H,), dtype)]
        if kind == "LSTM":
            states.append(pair(rng, hshape, dtype))
        leaves = states
        if kind == "LSTM":
            args, targs = (tuple(s[0] for s in states),), (tuple(s[1] for s in states),)
        else:
            args, targs = (states[0][0],), (states[0][1],)
    out, state = ours(x, *args)
    tout, tstate = theirs(tx, *targs)
    close(out, tout, dtype)
    for a, b in zip(as_tuple(state), as_tuple(tstate), strict=True):
        close(a, b, dtype)
    backward_random(rng, (out, *as_tuple(state)), (tout, *as_tuple(tstate)), dtype)
    close(x.grad, tx.grad, dtype)
    for a, b in leaves:
        close(a.grad, b.grad, dtype)
    named = zip(ours.named_parameters(), theirs.named_parameters(), strict=True)
    for (n1, p1), (n2, p2) in named:
        assert n1 == n2
        close(p1.grad, p2.grad, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    "config", CONFIGS, ids=lambda c: ",".join(f"{k}={v}" for k, v in c.items())
)
@pytest.mark.parametrize("kind", ["RNN", "GRU", "LSTM"])
def test_layers_match_torch(kind, config, dtype):
    _check_layer(kind, config, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kind", ["RNN", "GRU", "LSTM"])
@pytest.mark.parametrize("config", [dict(), dict(num_layers=2, bidirectional=True)])
def test_unbatched_and_default_state(kind, config, dtype):
    _check_layer(kind, config, dtype, unbatched=True)
    _check_layer(kind, config, dtype, unbatched=True, with_h0=False)
    _check_layer(kind, dict(config, batch_first=True), dtype, unbatched=True)
    _check_layer(kind, config, dtype, with_h0=False)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    "config",
    [
        dict(proj_size=2),
        dict(proj_size=3, num_layers=2, bidirectional=True),
        dict(proj_size=2, num_layers=2, bias=False, batch_first=True),
    ],
)
def test_lstm_with_projections(config, dtype):
    _check_layer("LSTM", config, dtype, proj=config["proj_size"])
    _check_layer("LSTM", config, dtype, unbatched=True, proj=config["proj_size"])
    _check_layer("LSTM", config, dtype, with_h0=False)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("config", [dict(), dict(num_layers=2, bidirectional=True)])
def test_rnn_relu(config, dtype):
    _check_layer("RNN", config, dtype, extra=dict(nonlinearity="relu"))


@pytest.mark.parametrize("kind", ["RNN", "GRU", "LSTM"])
def test_dropout_in_eval_mode_is_no_dropout(kind):
    ours, theirs = twins(kind, "float64", I, H, num_layers=2, dropout=0.5)
    ours.eval()
    plain = getattr(nn, kind)(I, H, num_layers=2, dtype=cr.float64)
    plain.load_state_dict(ours.state_dict())
    x = cr.tensor(np.random.default_rng(1).standard_normal((T, B, I)))
    a, b = ours(x), plain(x)
    np.testing.assert_array_equal(a[0].detach().numpy(), b[0].detach().numpy())
    theirs.eval()
    close(a[0], theirs(torch.tensor(x.numpy()))[0], "float64")


def test_dropout_in_training_mode_drops_between_layers_only():
    gru = nn.GRU(I, H, num_layers=2, dropout=0.5, dtype=cr.float64)
    x = cr.tensor(np.random.default_rng(2).standard_normal((T, B, I)))
    cr.manual_seed(0)
    a, ha = gru(x)
    cr.manual_seed(0)
    b, hb = gru(x)
    np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())  # seeded: repeats
    c, hc = gru.eval()(x)
    assert not np.allclose(a.detach().numpy(), c.detach().numpy())  # layer 2 saw dropouts
    np.testing.assert_array_equal(ha[0].detach().numpy(), hc[0].detach().numpy())  # not 1
    with pytest.warns(UserWarning, match="non-zero dropout expects num_layers greater than 1"):
        nn.GRU(I, H, dropout=0.5)


# ------------------------------------------------------------------- cells
def _check_cell(kind, dtype, batched=True, with_h=True, **kwargs):
    ours, theirs = twins(kind, dtype, I, H, **kwargs)
    rng = np.random.default_rng(3)
    x, tx = pair(rng, (B, I) if batched else (I,), dtype)
    hshape = (B, H) if batched else (H,)
    args, targs, leaves = (), (), []
    if with_h:
        leaves = [pair(rng, hshape, dtype) for _ in range(2 if kind == "LSTMCell" else 1)]
        if kind == "LSTMCell":
            args, targs = (tuple(a for a, _ in leaves),), (tuple(b for _, b in leaves),)
        else:
            args, targs = (leaves[0][0],), (leaves[0][1],)
    out, tout = as_tuple(ours(x, *args)), as_tuple(theirs(tx, *targs))
    for a, b in zip(out, tout, strict=True):
        close(a, b, dtype)
    backward_random(rng, out, tout, dtype)
    close(x.grad, tx.grad, dtype)
    for a, b in leaves:
        close(a.grad, b.grad, dtype)
    for (n1, p1), (n2, p2) in zip(ours.named_parameters(), theirs.named_parameters(), strict=True):
        assert n1 == n2
        close(p1.grad, p2.grad, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("batched", [True, False])
@pytest.mark.parametrize("with_h", [True, False])
@pytest.mark.parametrize(
    "kind, kwargs",
    [
        ("RNNCell", {}),
        ("RNNCell", dict(nonlinearity="relu", bias=False)),
        ("GRUCell", {}),
        ("GRUCell", dict(bias=False)),
        ("LSTMCell", {}),
        ("LSTMCell", dict(bias=False)),
    ],
)
def test_cells_match_torch(kind, kwargs, with_h, batched, dtype):
    _check_cell(kind, dtype, batched, with_h, **kwargs)


def test_cells_step_the_layers():
    """Running a cell over time gives the one-layer module's outputs (the same weights)."""
    cell = nn.GRUCell(I, H, dtype=cr.float64)
    layer = nn.GRU(I, H, dtype=cr.float64)
    layer.load_state_dict({k + "_l0": v for k, v in cell.state_dict().items()})
    x = cr.tensor(np.random.default_rng(4).standard_normal((T, B, I)))
    h = None
    outs = []
    for t in range(T):
        h = cell(x[t], h)
        outs.append(h)
    out, h_n = layer(x)
    tol = dict(rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(cr.stack(outs).detach().numpy(), out.detach().numpy(), **tol)
    np.testing.assert_allclose(h.detach().numpy(), h_n[0].detach().numpy(), **tol)


# ------------------------------------------------------------------- gradcheck
@pytest.mark.parametrize("kind", ["GRU", "LSTM"])
def test_gradcheck_one_layer(kind):
    module = getattr(nn, kind)(2, 3, dtype=cr.float64)
    rng = np.random.default_rng(5)
    x = cr.tensor(rng.standard_normal((4, 2, 2)), requires_grad=True)
    h0 = cr.tensor(rng.standard_normal((1, 2, 3)), requires_grad=True)
    params = list(module.parameters())

    if kind == "GRU":

        def f(x, h0, *ps):
            out, h_n = module(x, h0)
            return out, h_n

        inputs = (x, h0, *params)
    else:
        c0 = cr.tensor(rng.standard_normal((1, 2, 3)), requires_grad=True)

        def f(x, h0, c0, *ps):
            out, (h_n, c_n) = module(x, (h0, c0))
            return out, h_n, c_n

        inputs = (x, h0, c0, *params)
    assert cr.autograd.gradcheck(f, inputs)


@pytest.mark.parametrize("kind", ["GRU", "LSTM"])
def test_forward_mode_like_torch(kind):
    ours, theirs = twins(kind, "float64", 3, 4, num_layers=2, bidirectional=True)
    rng = np.random.default_rng(6)
    x, v = rng.standard_normal((5, 2, 3)), rng.standard_normal((5, 2, 3))
    _, t1 = cr.func.jvp(lambda x: ours(x)[0], (cr.tensor(x),), (cr.tensor(v),))
    _, t2 = torch.func.jvp(lambda x: theirs(x)[0], (torch.tensor(x),), (torch.tensor(v),))
    close(t1, t2, "float64")


# ------------------------------------------------------------------- structure
@pytest.mark.parametrize(
    "args, kwargs",
    [
        (("GRU", 28, 256), dict(num_layers=2, batch_first=True)),
        (("RNN", 3, 4), dict(nonlinearity="relu")),
        (
            ("RNN", 3, 4),
            dict(num_layers=2, bias=False, batch_first=True, dropout=0.5, bidirectional=True),
        ),
        (("LSTM", 3, 4), dict(bidirectional=True)),
        (("LSTM", 3, 4), dict(proj_size=2, num_layers=2, bidirectional=True, bias=False)),
        (("RNNCell", 3, 4), dict(bias=False, nonlinearity="relu")),
        (("GRUCell", 3, 4), {}),
        (("LSTMCell", 3, 4), dict(bias=False)),
    ],
)
def test_repr_and_parameters_like_torch(args, kwargs):
    kind, *sizes = args
    ours = getattr(nn, kind)(*sizes, **kwargs)
    theirs = getattr(torch.nn, kind)(*sizes, **kwargs)
    assert repr(ours) == repr(theirs)
    assert [(n, tuple(p.shape)) for n, p in ours.named_parameters()] == [
        (n, tuple(p.shape)) for n, p in theirs.named_parameters()
    ]
    if hasattr(theirs, "_flat_weights_names"):
        assert ours._flat_weights_names == theirs._flat_weights_names
        assert [[tuple(p.shape) for p in w] for w in ours.all_weights] == [
            [tuple(p.shape) for p in w] for w in theirs.all_weights
        ]


@pytest.mark.parametrize("kind", ["RNN", "GRU", "LSTM", "RNNCell", "GRUCell", "LSTMCell"])
def test_init_is_uniform_within_one_over_sqrt_hidden(kind):
    cr.manual_seed(0)
    module = getattr(nn, kind)(10, 64)
    bound = 1 / 8
    for p in module.parameters():
        a = p.detach().numpy()
        assert np.abs(a).max() <= bound
        assert a.max() > 0.8 * bound and a.min() < -0.8 * bound


def _error(fn):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            fn()
        except Exception as e:  # noqa: BLE001 - the type is compared
            return type(e), str(e)
    return None


def z(lib, *shape, dtype="float32"):
    return lib.zeros(*shape, dtype=getattr(lib, dtype))


LAYER_CALLS = {
    "1-d input": lambda L, m: m(z(L, 5)),
    "4-d input": lambda L, m: m(z(L, 5, 2, 3, 1)),
    "input size": lambda L, m: m(z(L, 5, 2, 4)),
    "unbatched input size": lambda L, m: m(z(L, 5, 4)),
    "unbatched, 3-d h0": lambda L, m: m(z(L, 5, 3), z(L, 2, 2, 4)),
    "batched, 2-d h0": lambda L, m: m(z(L, 5, 2, 3), z(L, 2, 4)),
    "h0 layers": lambda L, m: m(z(L, 5, 2, 3), z(L, 1, 2, 4)),
    "h0 batch": lambda L, m: m(z(L, 5, 2, 3), z(L, 2, 3, 4)),
    "unbatched h0 size": lambda L, m: m(z(L, 5, 3), z(L, 2, 3)),
    "input dtype": lambda L, m: m(z(L, 5, 2, 3, dtype="float64")),
    "integer input": lambda L, m: m(z(L, 5, 2, 3, dtype="int64")),
    "h0 dtype": lambda L, m: m(z(L, 5, 2, 3), z(L, 2, 2, 4, dtype="float64")),
    "empty sequence": lambda L, m: m(z(L, 0, 2, 3)),
}


def _lstm_state(call):
    """The same call with an LSTM's (h0, c0) pair in place of h0."""

    def run(L, m):
        class Wrap:
            def __call__(self, x, h=None):
                return m(x) if h is None else m(x, (h, h))

        return call(L, Wrap())

    return run


@pytest.mark.parametrize("case", list(LAYER_CALLS))
@pytest.mark.parametrize("kind", ["RNN", "GRU", "LSTM"])
def test_layer_errors_like_torch(kind, case):
    call = LAYER_CALLS[case]
    oracle = kind
    if kind == "LSTM":
        call = _lstm_state(call)
        if case == "h0 dtype":
            # PyTorch's LSTM answers with a oneDNN error ("get_mkldnn_dtype: unsupported
            # data type") here; chainrule gives the error its RNN and GRU give
            oracle = "GRU"
    ours = _error(lambda: call(cr, getattr(nn, kind)(3, 4, 2)))
    theirs_call = LAYER_CALLS[case] if oracle != kind else call
    theirs = _error(lambda: theirs_call(torch, getattr(torch.nn, oracle)(3, 4, 2)))
    assert theirs is not None
    assert ours == theirs


def test_lstm_state_errors_like_torch():
    for call in (
        lambda L, m: m(z(L, 5, 2, 3), (z(L, 2, 2, 4), z(L, 2, 3, 4))),
        lambda L, m: m(z(L, 5, 3), (z(L, 2, 4), z(L, 2, 2, 4))),
        lambda L, m: m(z(L, 5, 2, 3), (z(L, 2, 2, 4),) * 3),
        lambda L, m: m(z(L, 5, 2, 3), (z(L, 2, 2, 4), z(L, 2, 4))),
    ):
        ours = _error(lambda: call(cr, nn.LSTM(3, 4, 2)))  # noqa: B023
        theirs = _error(lambda: call(torch, torch.nn.LSTM(3, 4, 2)))  # noqa: B023
        assert theirs is not None and ours == theirs


def test_lstm_projection_state_errors_like_torch():
    for call in (
        lambda L, m: m(z(L, 5, 2, 3), (z(L, 2, 2, 4), z(L, 2, 2, 4))),
        lambda L, m: m(z(L, 5, 2, 3), (z(L, 2, 2, 2), z(L, 2, 2, 2))),
        lambda L, m: m(z(L, 5, 3), (z(L, 2, 4), z(L, 2, 4))),
    ):
        ours = _error(lambda: call(cr, nn.LSTM(3, 4, 2, proj_size=2)))  # noqa: B023
        theirs = _error(lambda: call(torch, torch.nn.LSTM(3, 4, 2, proj_size=2)))  # noqa: B023
        assert theirs is not None and ours == theirs


CELL_CALLS = {
    "3-d input": lambda L, m, s: m(z(L, 2, 2, 3)),
    "input size": lambda L, m, s: m(z(L, 2, 5)),
    "unbatched input size": lambda L, m, s: m(z(L, 5)),
    "hidden batch": lambda L, m, s: m(z(L, 2, 3), s(z(L, 3, 4))),
    "hidden size": lambda L, m, s: m(z(L, 2, 3), s(z(L, 2, 5))),
    "3-d hidden": lambda L, m, s: m(z(L, 2, 3), s(z(L, 2, 2, 4))),
    "unbatched input, batched hidden": lambda L, m, s: m(z(L, 3), s(z(L, 2, 4))),
    "batched input, unbatched hidden": lambda L, m, s: m(z(L, 2, 3), s(z(L, 4))),
    "input dtype": lambda L, m, s: m(z(L, 2, 3, dtype="float64")),
    "integer input": lambda L, m, s: m(z(L, 2, 3, dtype="int64")),
}


@pytest.mark.parametrize("case", list(CELL_CALLS))
@pytest.mark.parametrize("kind", ["RNNCell", "GRUCell", "LSTMCell"])
def test_cell_errors_like_torch(kind, case):
    state = (lambda h: (h, h)) if kind == "LSTMCell" else (lambda h: h)
    ours = _error(lambda: CELL_CALLS[case](cr, getattr(nn, kind)(3, 4), state))
    theirs = _error(lambda: CELL_CALLS[case](torch, getattr(torch.nn, kind)(3, 4), state))
    assert theirs is not None
    assert ours == theirs


@pytest.mark.parametrize(
    "build",
    [
        lambda nn: nn.RNN(3, 4, nonlinearity="sigmoid"),
        lambda nn: nn.GRU(3, 4, dropout=1.5),
        lambda nn: nn.GRU(3, 4, dropout=True),
        lambda nn: nn.GRU(3, 0),
        lambda nn: nn.GRU(3, 2.0),
        lambda nn: nn.LSTM(3, 4, num_layers=0),
        lambda nn: nn.GRU(3, 4, proj_size=2),
        lambda nn: nn.LSTM(3, 4, proj_size=4),
        lambda nn: nn.LSTM(3, 4, proj_size=-1),
    ],
)
def test_constructor_errors_like_torch(build):
    ours, theirs = _error(lambda: build(nn)), _error(lambda: build(torch.nn))
    assert theirs is not None and ours == theirs


def test_empty_batch():
    out, h = nn.GRU(3, 4)(cr.zeros(5, 0, 3))
    assert tuple(out.shape) == (5, 0, 4) and tuple(h.shape) == (1, 0, 4)
