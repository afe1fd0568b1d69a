"""ModuleList, ModuleDict, ParameterList and forward (pre-)hooks against PyTorch: reprs,
indexing, append/extend/insert/pop, registration (parameters(), state_dict() keys),
errors; hooks that observe, replace the input or the output, with kwargs, prepend, and
handles that remove them. Skipped without torch."""

import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import chainrule as cr  # noqa: E402
from chainrule import nn  # noqa: E402


def _error(fn):
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fn()
    except Exception as e:  # noqa: BLE001 - the type and the text are what is compared
        return type(e), str(e)
    return None


def both(build):
    return build(nn, cr), build(torch.nn, torch)


def same(ours, theirs):
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]


def test_module_list_like_torch():
    def build(m, L):
        return m.ModuleList([m.Linear(2, 3), m.ReLU(), m.ReLU(), m.Linear(3, 1)])

    ours, theirs = both(build)
    same(ours, theirs)
    for lst, m in ((ours, nn), (theirs, torch.nn)):
        lst.append(m.Tanh())
        lst.extend([m.ReLU(), m.ReLU()])
        lst.insert(1, m.Linear(3, 3))
        lst.insert(2, m.Sigmoid())  # (a negative index is a KeyError in PyTorch)
        lst += [m.Identity()]
        del lst[0]
        lst[0] = m.Linear(4, 4)
        assert type(lst.pop(2)).__name__ == "ReLU"
    same(ours, theirs)
    same(ours[1:4], theirs[1:4])
    same(ours[::-2], theirs[::-2])
    assert type(ours[1:3]).__name__ == "ModuleList"
    assert [type(m).__name__ for m in ours] == [type(m).__name__ for m in theirs]
    assert repr(ours[-1]) == repr(theirs[-1])
    same(ours + ours[:2], theirs + theirs[:2])
    assert repr(nn.ModuleList()) == repr(torch.nn.ModuleList()) == "ModuleList()"


def test_module_list_inside_a_model_trains():
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.layers = nn.ModuleList([nn.Linear(2, 2) for _ in range(3)])

        def forward(self, x):
            for layer in self.layers:
                x = layer(x).relu()
            return x

    net = Net()
    assert [n for n, _ in net.named_parameters()][:2] == ["layers.0.weight", "layers.0.bias"]
    assert len(list(net.parameters())) == 6
    net(cr.ones(4, 2)).sum().backward()
    assert all(p.grad is not None for p in net.parameters())


def test_module_dict_like_torch():
    def build(m, L):
        return m.ModuleDict({"enc": m.Linear(2, 3), "act": m.ReLU()})

    ours, theirs = both(build)
    same(ours, theirs)
    for d, m in ((ours, nn), (theirs, torch.nn)):
        d["dec"] = m.Linear(3, 2)
        d.update([("norm", m.LayerNorm(3)), ("act", m.Tanh())])
        d.update({"drop": m.Dropout(0.1)})
        del d["enc"]
        assert type(d.pop("drop")).__name__ == "Dropout"
    same(ours, theirs)
    assert list(ours) == list(theirs) == list(ours.keys())
    assert "dec" in ours and "enc" not in ours and len(ours) == len(theirs)
    assert [type(v).__name__ for v in ours.values()] == [type(v).__name__ for v in theirs.values()]
    ours.clear()
    theirs.clear()
    same(ours, theirs)


def test_parameter_list_like_torch():
    def build(m, L):
        return m.ParameterList([L.ones(2), m.Parameter(L.zeros(2, 3, dtype=L.float64))])

    ours, theirs = both(build)
    same(ours, theirs)
    for lst, m, L in ((ours, nn, cr), (theirs, torch.nn, torch)):
        lst.append(L.ones(4))
        lst.extend([m.Parameter(L.ones(()))])
        lst += [L.zeros(1, 1)]
        lst[0] = L.full((5,), 2.0)
    same(ours, theirs)
    assert len(ours) == len(theirs) == 5
    assert all(isinstance(p, nn.Parameter) and p.requires_grad for p in ours)
    same(ours[1:3], theirs[1:3])
    np.testing.assert_array_equal(ours[-5].detach().numpy(), theirs[-5].detach().numpy())
    assert repr(nn.ParameterList()) == repr(torch.nn.ParameterList())


def test_parameter_list_in_a_model():
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.ws = nn.ParameterList([cr.ones(2) for _ in range(3)])

        def forward(self, x):
            for w in self.ws:
                x = x * w
            return x

    net = Net()
    assert list(net.state_dict()) == ["ws.0", "ws.1", "ws.2"]
    net(cr.full((2,), 2.0)).sum().backward()
    np.testing.assert_array_equal(net.ws[1].grad.numpy(), [2.0, 2.0])


ERRORS = {
    "module list index": lambda m, L: m.ModuleList([m.ReLU()])[3],
    "module list not a module": lambda m, L: m.ModuleList([1]),
    "module list extend": lambda m, L: m.ModuleList().extend(m.ReLU()),
    "module dict key": lambda m, L: m.ModuleDict()["x"],
    "module dict not a module": lambda m, L: m.ModuleDict({"a": 1}),
    "module dict update": lambda m, L: m.ModuleDict().update(3),
    "module dict update pairs": lambda m, L: m.ModuleDict().update([("a", m.ReLU(), 1)]),
    "parameter list index": lambda m, L: m.ParameterList([L.ones(1)])[2],
    "parameter list long": lambda m, L: m.ParameterList([L.ones(1, dtype=L.int64)]),
    "module list forward": lambda m, L: m.ModuleList([m.ReLU()])(L.ones(1)),
}


@pytest.mark.parametrize("name", list(ERRORS))
def test_errors_match_torch(name):
    ours = _error(lambda: ERRORS[name](nn, cr))
    theirs = _error(lambda: ERRORS[name](torch.nn, torch))
    assert theirs is not None
    assert ours == theirs


# ------------------------------------------------------------------ hooks
def _run_hooks(m, L):
    """A log of what the hooks saw and the outputs, for one library."""
    log = []
    lin = m.Linear(2, 2)
    with torch.no_grad() if L is torch else cr.no_grad():
        lin.weight.copy_(L.tensor([[1.0, 2.0], [3.0, 4.0]]))
        lin.bias.copy_(L.tensor([0.5, -0.5]))
    x = L.tensor([[1.0, -1.0]])

    h1 = lin.register_forward_pre_hook(lambda mod, args: log.append(("pre", args[0].tolist())))
    h2 = lin.register_forward_hook(lambda mod, args, out: log.append(("post", out.tolist())))
    log.append(("out", lin(x).tolist()))
    h3 = lin.register_forward_pre_hook(lambda mod, args: args[0] * 2)  # replaces the input
    h4 = lin.register_forward_hook(lambda mod, args, out: out + 100)  # replaces the output
    log.append(("out", lin(x).tolist()))
    h5 = lin.register_forward_pre_hook(lambda mod, args: (args[0] + 1,), prepend=True)
    log.append(("out", lin(x).tolist()))
    h6 = lin.register_forward_hook(
        lambda mod, args, kwargs, out: log.append(("kw", sorted(kwargs), out.tolist())),
        with_kwargs=True,
    )
    h7 = lin.register_forward_pre_hook(
        lambda mod, args, kwargs: ((args[0] * 0,), kwargs), with_kwargs=True
    )
    log.append(("out", lin(x).tolist()))
    for h in (h1, h2, h3, h4, h5, h6, h7):
        h.remove()
    h7.remove()  # twice is harmless
    log.append(("out", lin(x).tolist()))
    with lin.register_forward_hook(lambda mod, args, out: out * 0):
        log.append(("out", lin(x).tolist()))
    log.append(("out", lin(x).tolist()))
    return log


def test_forward_hooks_match_torch():
    ours, theirs = _run_hooks(nn, cr), _run_hooks(torch.nn, torch)
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs, strict=True):
        assert a[0] == b[0]
        np.testing.assert_allclose(
            np.array(a[-1], dtype=float), np.array(b[-1], dtype=float), rtol=1e-6
        )


def test_hook_on_a_submodule_sees_activations_and_gradients_flow():
    net = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 1))
    acts = {}
    net[1].register_forward_hook(lambda m, args, out: acts.__setitem__("relu", out))
    y = net(cr.ones(2, 3))
    assert acts["relu"].shape == (2, 4)
    y.sum().backward()
    assert net[0].weight.grad is not None
    assert isinstance(net[1].register_forward_hook(lambda *a: None).id, int)
