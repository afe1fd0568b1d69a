"""Optimizers on 'dask' parameters: the same steps as on NumPy, and a graph that does not
grow (parameters and optimizer state persisted together after each step)."""

import numpy as np
import pytest

import chainrule as torch

da = pytest.importorskip("dask.array")
import dask  # noqa: E402

OPTIMIZERS = {
    "sgd": lambda p: torch.optim.SGD(p, lr=0.05),
    "sgd_momentum": lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9, nesterov=True),
    "adam": lambda p: torch.optim.Adam(p, lr=0.05),
    "adamw": lambda p: torch.optim.AdamW(p, lr=0.05, weight_decay=0.01),
    "rmsprop": lambda p: torch.optim.RMSprop(p, lr=0.01),
}


def _data():
    g = np.random.default_rng(0)
    X = g.standard_normal((200, 4)).astype(np.float32)
    y = X @ np.array([[1.0], [-2.0], [3.0], [0.5]], np.float32) + 0.1
    return torch.from_numpy(X), torch.from_numpy(y)


def _train(device, make, steps, set_to_none=True):
    X, y = _data()
    torch.manual_seed(1)
    model = torch.nn.Linear(4, 1).to(device)
    if device == "dask":
        X, y = X.to("dask", chunks=64), y.to("dask", chunks=64)  # (uneven: 64, 64, 64, 8)
    opt = make(model.parameters())
    sizes = []
    for _ in range(steps):
        opt.zero_grad(set_to_none=set_to_none)
        loss = ((model(X) - y) ** 2).mean()
        loss.backward()
        opt.step()
        if device == "dask":
            sizes.append(
                [len(p._data.dask) for p in model.parameters()]
                + [
                    len(v._data.dask)
                    for p in model.parameters()
                    for v in opt.state[p].values()
                    if isinstance(v, torch.Tensor) and v.device.type == "dask"
                ]
            )
    return model, opt, sizes


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
@pytest.mark.parametrize("set_to_none", [True, False])
def test_dask_steps_match_numpy_and_the_graph_stays_the_same_size(name, set_to_none):
    ref, _, _ = _train("cpu", OPTIMIZERS[name], 20, set_to_none)
    model, opt, sizes = _train("dask", OPTIMIZERS[name], 20, set_to_none)
    assert sizes[0] == sizes[1] == sizes[-1]  # step 20's graph holds no earlier step's
    assert all(n == 1 for n in sizes[-1])  # (persisted: one task per chunk)
    for p, q in zip(model.parameters(), ref.parameters(), strict=True):
        assert p.device == torch.device("dask") and p.is_leaf and p.dtype == torch.float32
        assert p.grad.dtype == torch.float32
        np.testing.assert_allclose(p.detach().numpy(), q.detach().numpy(), rtol=1e-5, atol=1e-5)


def test_state_is_persisted_with_the_parameters_in_one_call(monkeypatch):
    calls = []
    real = dask.persist

    def spy(*args, **kwargs):
        calls.append(len(args))
        return real(*args, **kwargs)

    monkeypatch.setattr(dask, "persist", spy)
    _train("dask", OPTIMIZERS["adam"], 3)
    # weight, bias and their exp_avg and exp_avg_sq (the step counts live on the CPU)
    assert calls == [6, 6, 6]


def test_zero_grad_on_dask():
    w = torch.ones(3, device="dask", requires_grad=True)
    opt = torch.optim.SGD([w], lr=0.1)
    (w * 2).sum().backward()
    (w * 2).sum().backward()
    np.testing.assert_array_equal(w.grad.numpy(), [4.0, 4.0, 4.0])  # (accumulated)
    assert w.grad.device == torch.device("dask") and w.grad.dtype == torch.float32
    opt.zero_grad(set_to_none=False)
    np.testing.assert_array_equal(w.grad.numpy(), [0.0, 0.0, 0.0])
    opt.zero_grad()
    assert w.grad is None


def test_cpu_parameters_are_not_persisted(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("persisted a CPU parameter")

    monkeypatch.setattr(dask, "persist", refuse)
    _train("cpu", OPTIMIZERS["adam"], 2)


class _CountComputes:
    def __enter__(self):
        from dask.callbacks import Callback

        counter = self

        class C(Callback):
            def _start(self, dsk):
                counter.n += 1

        self.n, self.cb = 0, C()
        self.cb.__enter__()
        return self

    def __exit__(self, *exc):
        self.cb.__exit__(*exc)


def test_backward_computes_nothing_and_a_step_computes_once():
    X, y = _data()
    X, y = X.to("dask", chunks=64), y.to("dask", chunks=64)
    w = torch.zeros(4, 1, device="dask", requires_grad=True)
    opt = torch.optim.SGD([w], lr=0.1, momentum=0.9)
    for _ in range(2):
        with _CountComputes() as c:
            opt.zero_grad()
            loss = ((X @ w - y) ** 2).mean()
            loss.backward()
        assert c.n == 0
        with _CountComputes() as c:
            opt.step()
        assert c.n == 1  # (parameters and momentum buffers: one dask.persist)


def test_a_step_graph_has_no_rechunk_or_setitem():
    from dask.array.optimization import optimize

    X, y = _data()
    X, y = X.to("dask", chunks=50), y.to("dask", chunks=50)
    w = torch.zeros(4, 1, device="dask", requires_grad=True)
    ((X @ w - y) ** 2).mean().backward()
    assert w.grad._data.chunks == w._data.chunks
    with torch.no_grad():
        w.add_(w.grad, alpha=-0.1)  # (what the step writes; persisted by opt.step())
    arr = w._data
    keys = [str(k) for k in dict(optimize(arr.__dask_graph__(), arr.__dask_keys__()))]
    assert not any("rechunk" in k or "setitem" in k for k in keys), keys
    Xr = X.detach().requires_grad_()  # a reduction's gradient: broadcast in X's chunks
    (Xr * 2).mean().backward()
    assert Xr.grad._data.chunks == X._data.chunks


def test_a_closure_loss_is_persisted_with_the_step():
    # step(closure)'s loss joins the step's one persist: reading it costs no second pass
    # over the data (its forward is the gradients' own), and it is the CPU's loss
    losses = {}
    for device in ("cpu", "dask"):
        X, y = _data()
        if device == "dask":
            X, y = X.to("dask", chunks=64), y.to("dask", chunks=64)
        torch.manual_seed(1)
        model = torch.nn.Linear(4, 1).to(device)
        opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)

        def closure(model=model, opt=opt, X=X, y=y):
            opt.zero_grad()
            loss = torch.nn.functional.mse_loss(model(X), y)
            loss.backward()
            return loss

        losses[device] = []
        for _ in range(3):
            with _CountComputes() as c:
                loss = opt.step(closure)
            if device == "dask":
                assert c.n == 1 and loss.device == torch.device("dask")
                assert len(loss._data.dask) == 1  # (persisted: its chunk, computed)
                assert loss.requires_grad  # (the closure ran with gradients on)
            losses[device].append(loss.item())
    np.testing.assert_allclose(losses["dask"], losses["cpu"], rtol=1e-5)
