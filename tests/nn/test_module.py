"""nn.Module, Parameter and Sequential: registration, traversal, modes, state dicts and
printing. The tests that compare strings and errors with PyTorch skip without torch; the
rest need only chainrule."""

import copy
import pickle

import numpy as np
import pytest

import chainrule as cr
from chainrule import nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.hidden = nn.Linear(3, 4)
        self.act = nn.ReLU()
        self.out = nn.Sequential(nn.Linear(4, 2), nn.Tanh())
        self.scale = nn.Parameter(cr.ones(1))
        self.register_buffer("count", cr.zeros(1))
        self.register_buffer("scratch", cr.zeros(2), persistent=False)
        self.note = "plain attribute"

    def forward(self, x):
        return self.out(self.act(self.hidden(x))) * self.scale


# ------------------------------------------------------------------ registration
def test_attributes_register_parameters_modules_and_buffers():
    net = Net()
    assert [n for n, _ in net.named_parameters()] == [
        "scale",
        "hidden.weight",
        "hidden.bias",
        "out.0.weight",
        "out.0.bias",
    ]
    assert [n for n, _ in net.named_children()] == ["hidden", "act", "out"]
    assert [n for n, _ in net.named_modules()] == ["", "hidden", "act", "out", "out.0", "out.1"]
    assert [n for n, _ in net.named_buffers()] == ["count", "scratch"]
    assert list(net.state_dict()) == [
        "scale",
        "count",
        "hidden.weight",
        "hidden.bias",
        "out.0.weight",
        "out.0.bias",
    ]
    assert net.note == "plain attribute" and "note" not in net._parameters
    assert [n for n, _ in net.named_parameters(recurse=False)] == ["scale"]
    assert all(isinstance(p, nn.Parameter) for p in net.parameters())


def test_shared_parameters_and_modules_are_listed_once():
    lin = nn.Linear(2, 2)
    seq = nn.Sequential(lin, nn.ReLU(), lin)
    assert len(list(seq.parameters())) == 2
    assert len(list(seq.modules())) == 3
    assert [n for n, _ in seq.named_parameters(remove_duplicate=False)] == [
        "0.weight",
        "0.bias",
        "2.weight",
        "2.bias",
    ]


def test_reassigning_and_deleting_attributes():
    net = Net()
    net.hidden = nn.Linear(3, 5)  # replace a module
    assert net.hidden.out_features == 5
    net.scale = None  # a declared but absent parameter
    assert net.scale is None and "scale" not in net.state_dict()
    net.scale = nn.Parameter(cr.ones(2))
    assert net.scale.shape == (2,)
    del net.act
    assert "act" not in dict(net.named_children())
    with pytest.raises(AttributeError, match="'Net' object has no attribute 'act'"):
        _ = net.act
    assert [n for n, _ in net.named_children()] == ["hidden", "out"]  # order kept
    # a module name can become a parameter, but not the other way round (as in PyTorch)
    net.thing = nn.ReLU()
    net.thing = nn.Parameter(cr.ones(1))
    assert "thing" in net._parameters and "thing" not in net._modules
    with pytest.raises(
        TypeError, match="cannot assign 'chainrule.nn.activation.ReLU' as parameter 'thing'"
    ):
        net.thing = nn.ReLU()


def test_registration_errors():
    lin = nn.Linear(2, 3)
    with pytest.raises(TypeError, match="cannot assign 'torch.FloatTensor' as parameter 'weight'"):
        lin.weight = cr.zeros(3, 2)
    with pytest.raises(TypeError, match="cannot assign 'int' object to buffer 'b'"):
        lin.register_buffer("b", 3)
    with pytest.raises(KeyError, match="t contain"):
        lin.register_buffer("a.b", None)
    with pytest.raises(KeyError, match="attribute 'in_features' already exists"):
        lin.register_buffer("in_features", cr.zeros(1))

    class Early(nn.Module):
        def __init__(self):
            self.w = nn.Parameter(cr.ones(1))

    with pytest.raises(AttributeError, match="before Module.__init__"):
        Early()
    with pytest.raises(NotImplementedError, match=r"Module \[Module\] is missing the required"):
        nn.Module()(1)


def test_call_runs_forward_and_gradients_reach_parameters():
    cr.manual_seed(0)
    net = Net()
    net(cr.randn(5, 3)).sum().backward()
    assert all(p.grad is not None and p.grad.shape == p.shape for p in net.parameters())
    net.zero_grad()
    assert all(p.grad is None for p in net.parameters())


def test_zero_grad_without_set_to_none_keeps_zero_tensors():
    lin = nn.Linear(2, 1)
    lin(cr.ones(1, 2)).sum().backward()
    g = lin.weight.grad
    lin.zero_grad(set_to_none=False)
    assert lin.weight.grad is g and float(g.abs().sum()) == 0.0


def test_train_eval_reach_every_submodule():
    net = nn.Sequential(nn.Linear(2, 2), nn.Sequential(nn.Dropout()))
    assert all(m.training for m in net.modules())
    assert net.eval() is net
    assert not any(m.training for m in net.modules())
    net.train()
    assert all(m.training for m in net.modules())
    with pytest.raises(ValueError, match="training mode is expected to be boolean"):
        net.train("yes")


def test_requires_grad_and_apply_and_dtype_conversion():
    net = Net()
    net.requires_grad_(False)
    assert not any(p.requires_grad for p in net.parameters())
    seen = []
    net.apply(lambda m: seen.append(type(m).__name__))
    assert seen[-1] == "Net" and seen.count("Linear") == 2
    params = list(net.parameters())
    net.double()
    assert all(p.dtype == cr.float64 for p in net.parameters())
    assert [id(p) for p in net.parameters()] == [id(p) for p in params]  # same objects
    assert net.count.dtype == cr.float64
    assert net(cr.ones(1, 3, dtype=cr.float64)).dtype == cr.float64


# ------------------------------------------------------------------- state dict
def test_state_dict_round_trip_and_sharing():
    cr.manual_seed(1)
    a, b = Net(), Net()
    sd = a.state_dict()
    assert not any(v.requires_grad for v in sd.values())
    assert np.shares_memory(sd["hidden.weight"].numpy(), a.hidden.weight.detach().numpy())
    assert repr(b.load_state_dict(sd)) == "<All keys matched successfully>"
    for (na, pa), (nb, pb) in zip(a.state_dict().items(), b.state_dict().items(), strict=True):
        assert na == nb and cr.equal(pa, pb)
    # loading copies: b's parameters are b's own storage
    assert not np.shares_memory(b.hidden.weight.detach().numpy(), a.hidden.weight.detach().numpy())
    x = cr.randn(4, 3)
    assert cr.equal(a(x), b(x))
    assert all(
        v is a.state_dict(keep_vars=True)[k] for k, v in a.state_dict(keep_vars=True).items()
    )


def test_load_state_dict_non_strict_and_assign():
    lin = nn.Linear(2, 1)
    res = lin.load_state_dict({"weight": cr.zeros(1, 2), "extra": cr.zeros(1)}, strict=False)
    assert res.missing_keys == ["bias"] and res.unexpected_keys == ["extra"]
    assert float(lin.weight.abs().sum()) == 0.0
    w = cr.ones(1, 2)
    lin.load_state_dict({"weight": w, "bias": cr.ones(1)}, assign=True)
    assert isinstance(lin.weight, nn.Parameter) and lin.weight.requires_grad
    assert np.shares_memory(lin.weight.detach().numpy(), w.numpy())


def test_parameter_basics():
    p = nn.Parameter(cr.tensor([1.0, 2.0]))
    assert isinstance(p, cr.Tensor) and p.requires_grad and p.is_leaf
    assert type(p * 2) is cr.Tensor and type(p.detach()) is cr.Tensor
    q = copy.deepcopy(p)
    assert type(q) is nn.Parameter and q is not p and cr.equal(q, p) and q.requires_grad
    r = pickle.loads(pickle.dumps(p))
    assert type(r) is nn.Parameter and cr.equal(r, p)
    frozen = nn.Parameter(cr.arange(3), requires_grad=False)
    assert not frozen.requires_grad
    with pytest.raises(RuntimeError, match="Only Tensors of floating point"):
        nn.Parameter(cr.arange(3))
    assert nn.Parameter().shape == (0,)


def test_deepcopy_module_is_independent():
    a = nn.Sequential(nn.Linear(2, 2))
    b = copy.deepcopy(a)
    with cr.no_grad():
        b[0].weight.add_(1.0)
    assert not cr.equal(a[0].weight, b[0].weight)
    assert isinstance(b[0].weight, nn.Parameter)


# ------------------------------------------------------------------- Sequential
def test_sequential_list_behaviour():
    r, t, s = nn.ReLU(), nn.Tanh(), nn.Sigmoid()
    seq = nn.Sequential(r, t)
    assert len(seq) == 2 and seq[0] is r and seq[-1] is t and list(seq) == [r, t]
    assert seq.append(s) is seq and seq[2] is s
    assert list(seq[1:]) == [t, s] and isinstance(seq[1:], nn.Sequential)
    with pytest.raises(IndexError, match="index 3 is out of range"):
        seq[3]
    seq[0] = nn.Identity()
    assert isinstance(seq[0], nn.Identity)
    x = cr.tensor([-1.0, 0.5])
    assert cr.allclose(seq(x), cr.sigmoid(cr.tanh(x)))


# ----------------------------------------------------------------- vs PyTorch
def _torch():
    return pytest.importorskip("torch")


def _both(build):
    """build(nn) in each library, returning both results."""
    torch = _torch()
    return build(nn), build(torch.nn)


@pytest.mark.parametrize(
    "build",
    [
        lambda nn: nn.Sequential(nn.Linear(2, 1)),
        lambda nn: nn.Sequential(
            nn.Flatten(),
            nn.Linear(4, 8, bias=False),
            nn.ReLU(inplace=True),
            nn.Sequential(nn.Tanh(), nn.Dropout(0.2), nn.Sigmoid()),
            nn.Softmax(dim=1),
            nn.LogSoftmax(1),
            nn.Softmax(),
            nn.MSELoss(),
            nn.CrossEntropyLoss(),
            nn.Identity(),
            nn.Dropout(0.1, True),
        ),
        lambda nn: nn.Module(),
        lambda nn: nn.Linear(3, 2),
        lambda nn: nn.Sequential(),
    ],
)
def test_repr_matches_torch(build):
    ours, theirs = _both(build)
    assert repr(ours) == repr(theirs)


def test_custom_module_repr_matches_torch():
    torch = _torch()

    def build(nn):
        class Block(nn.Module):
            def __init__(self):
                super().__init__()
                self.inner = nn.Sequential(nn.Linear(2, 2), nn.ReLU())
                self.w = nn.Parameter(torch.zeros(1) if nn is torch.nn else cr.zeros(1))

            def extra_repr(self):
                return "custom=1\nsecond line"

        m = nn.Module()
        m.block = Block()
        return m

    ours, theirs = _both(build)
    assert repr(ours) == repr(theirs)


def test_parameter_repr_matches_torch():
    torch = _torch()
    for data, rg in [([0.0, 1.5], True), ([[1.0, 2.0]], False)]:
        for dt in ("float32", "float64"):
            ours = nn.Parameter(cr.tensor(data, dtype=getattr(cr, dt)), requires_grad=rg)
            theirs = torch.nn.Parameter(torch.tensor(data, dtype=getattr(torch, dt)), rg)
            assert repr(ours) == repr(theirs)
            assert str(ours) == str(theirs)


def test_sequential_edits_match_torch():
    def run(nn):
        seq = nn.Sequential(nn.ReLU(), nn.Tanh(), nn.Sigmoid())
        del seq[0]
        seq.append(nn.ReLU())
        seq.insert(0, nn.Tanh())
        seq.insert(-1, nn.Sigmoid())
        seq.extend([nn.Identity()])
        del seq[1:3]
        return repr(seq) + repr(seq[-1]) + repr(seq[::2])

    ours, theirs = _both(run)
    assert ours == theirs


def _error(fn):
    try:
        fn()
    except Exception as e:  # noqa: BLE001 - the exception itself is the result compared
        return type(e).__name__, str(e)
    return None


@pytest.mark.parametrize(
    "state",
    [
        {"weight": [[0.0, 0.0]]},
        {"weight": [[0.0, 0.0]], "bias": [0.0], "foo": [0.0], "bar.x": [0.0]},
        {"foo": [0.0]},
        {"weight": [[0.0, 0.0, 0.0]], "bias": [0.0, 0.0]},
        {"weight": 3, "bias": [0.0]},
    ],
)
@pytest.mark.parametrize("strict", [True, False])
def test_load_state_dict_errors_match_torch(state, strict):
    torch = _torch()

    def load(lib, nn):
        sd = {k: (lib.tensor(v) if isinstance(v, list) else v) for k, v in state.items()}
        return repr(nn.Linear(2, 1).load_state_dict(sd, strict=strict))

    ours = _error(lambda: load(cr, nn)) or load(cr, nn)
    theirs = _error(lambda: load(torch, torch.nn)) or load(torch, torch.nn)
    assert ours == theirs


def test_module_errors_match_torch():
    torch = _torch()
    cases = [
        lambda nn, lib: setattr(nn.Linear(2, 3), "weight", lib.zeros(3, 2)),
        lambda nn, lib: nn.Linear(2, 3).foo,
        lambda nn, lib: nn.Module()(1),
        lambda nn, lib: nn.Sequential(nn.ReLU())[3],
        lambda nn, lib: nn.Module().register_buffer("a", 3),
        lambda nn, lib: nn.Module().register_buffer("a.b", None),
        lambda nn, lib: nn.Linear(2, 3).train("x"),
        lambda nn, lib: nn.Parameter(lib.arange(3)),
        lambda nn, lib: nn.Dropout(1.5),
    ]
    for case in cases:
        assert _error(lambda c=case: c(nn, cr)) == _error(lambda c=case: c(torch.nn, torch))
