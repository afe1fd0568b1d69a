"""Optimizers without torch: resuming from a state dict, zero_grad, closures, StepLR's
state, and d2l's linear regression recovering known parameters with nn + optim."""

import numpy as np
import pytest

import chainrule as cr
from chainrule import nn, optim


def _run(make, steps, params=None, opt=None):
    """Final parameters after ``steps`` of a small non-quadratic problem."""
    if params is None:
        rng = np.random.default_rng(0)
        params = [nn.Parameter(cr.tensor(rng.standard_normal(s))) for s in [(3, 2), (2,)]]
        opt = make(cr, params)
    x0 = cr.tensor([[0.5, -1.0, 2.0], [1.5, 0.3, -0.7]], dtype=cr.float64)
    for k in steps:
        w, b = params
        opt.zero_grad()
        loss = ((x0 * (1 + 0.1 * k) @ w).tanh() + b).pow(2).sum() + (w * w * w).sum() * 0.1
        loss.backward()
        opt.step()
    return [p.detach().numpy().copy() for p in params], opt, params


@pytest.mark.parametrize(
    "make",
    [
        lambda lib, ps: lib.optim.SGD(ps, lr=0.05, momentum=0.9, nesterov=True),
        lambda lib, ps: lib.optim.Adam(ps, lr=0.05, amsgrad=True),
    ],
)
def test_state_dict_resume_continues_the_same_trajectory(make):
    full, _, _ = _run(make, range(6))
    # run 3 steps, save, build a fresh optimizer on fresh parameters, load, run 3 more
    _, opt, params = _run(make, range(3))
    saved = opt.state_dict()
    fresh = [nn.Parameter(p.detach().clone()) for p in params]
    opt2 = make(cr, fresh)
    opt2.load_state_dict(saved)
    assert opt2.state[fresh[0]] is not opt.state[params[0]]
    resumed, _, _ = _run(make, range(3, 6), params=fresh, opt=opt2)
    for a, b in zip(full, resumed, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-13)
    # loading copied the state: stepping the resumed optimizer left the saved one alone
    assert saved["state"][0] is not opt2.state_dict()["state"][0]


def test_load_state_dict_casts_floating_state_to_parameter_dtype():
    p = nn.Parameter(cr.ones(2))
    opt = optim.Adam([p])
    p.grad = cr.ones(2)
    opt.step()
    sd = opt.state_dict()
    sd["state"][0]["exp_avg"] = sd["state"][0]["exp_avg"].double()
    opt.load_state_dict(sd)
    assert opt.state[p]["exp_avg"].dtype == cr.float32
    assert opt.state[p]["step"].dtype == cr.float32


def test_zero_grad_and_params_without_grad():
    a, b = nn.Parameter(cr.ones(2)), nn.Parameter(cr.ones(2))
    opt = optim.SGD([a, b], lr=1.0, momentum=0.9)
    (a * 2).sum().backward()
    opt.step()
    assert b.tolist() == [1.0, 1.0] and b not in opt.state  # no grad: skipped, no state
    assert a.tolist() == [-1.0, -1.0]
    g = a.grad
    opt.zero_grad(set_to_none=False)
    assert a.grad is g and a.grad.tolist() == [0.0, 0.0]
    opt.zero_grad()
    assert a.grad is None


def test_step_closure_and_no_grad():
    p = nn.Parameter(cr.tensor([2.0]))
    opt = optim.SGD([p], lr=0.1)

    def closure():
        opt.zero_grad()
        loss = (p * p).sum()
        loss.backward()
        return loss

    loss = opt.step(closure)
    assert loss.item() == 4.0 and p.item() == pytest.approx(1.6)
    assert p.grad_fn is None and p.is_leaf  # the update was not recorded


def test_steplr_state_and_closed_form():
    p = nn.Parameter(cr.ones(1))
    opt = optim.SGD([p], lr=1.0)
    sched = optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
    assert opt.param_groups[0]["initial_lr"] == 1.0 and sched.last_epoch == 0
    for _ in range(3):
        opt.step()
        sched.step()
    state = sched.state_dict()
    assert state["last_epoch"] == 3 and state["_last_lr"] == [0.5] and "optimizer" not in state
    with pytest.warns(UserWarning, match="epoch parameter"):
        sched.step(6)
    assert sched.get_last_lr() == [0.125]
    other = optim.lr_scheduler.StepLR(optim.SGD([p], lr=1.0), step_size=2)
    other.load_state_dict(state)
    assert other.last_epoch == 3 and other.gamma == 0.5


def test_linear_regression_recovers_true_parameters():
    """d2l 3.3: y = Xw + b + noise with w = [2, -3.4], b = 4.2, minibatch SGD on MSELoss."""
    cr.manual_seed(0)
    true_w, true_b = cr.tensor([2.0, -3.4]), 4.2
    X = cr.normal(0, 1, (1000, 2))
    y = (X @ true_w + true_b + cr.normal(0, 0.01, (1000,))).reshape(-1, 1)
    net = nn.Sequential(nn.Linear(2, 1))
    net[0].weight.data.normal_(0, 0.01)
    net[0].bias.data.fill_(0)
    loss = nn.MSELoss()
    trainer = optim.SGD(net.parameters(), lr=0.03)
    for _epoch in range(3):
        for i in cr.randperm(1000).reshape(-1, 10):
            trainer.zero_grad()
            loss(net(X[i]), y[i]).backward()
            trainer.step()
    final = loss(net(X), y).item()
    assert final < 2e-4  # the noise variance is 1e-4
    w_err = (net[0].weight.data.reshape(true_w.shape) - true_w).abs().max().item()
    b_err = abs(net[0].bias.data.item() - true_b)
    assert w_err < 5e-3 and b_err < 5e-3
