"""Adagrad, RMSprop, Adadelta and the schedules d2l uses (MultiStepLR, ExponentialLR,
LambdaLR, CosineAnnealingLR, OneCycleLR) against PyTorch step by step: the same
parameter trajectories (to float tolerance), the very same learning rates (and momenta
that OneCycleLR cycles), reprs, state dicts and errors. Skipped without torch."""

from __future__ import annotations

import math

import numpy as np
import pytest

import chainrule as cr

torch = pytest.importorskip("torch")

TOL = {"float32": dict(rtol=2e-5, atol=2e-6), "float64": dict(rtol=1e-11, atol=1e-12)}


def _loss(lib, params, k):
    w, b = params
    x = lib.tensor([[0.5, -1.0, 2.0], [1.5, 0.3, -0.7]], dtype=w.dtype) * (1 + 0.1 * k)
    return ((x @ w).tanh() + b).pow(2).sum() + (w * w * w).sum() * 0.1


def _run(lib, make_opt, dtype, steps=8, sched=None):
    rng = np.random.default_rng(0)
    w0 = rng.standard_normal((3, 2)).astype(dtype)
    b0 = rng.standard_normal(2).astype(dtype)
    params = [lib.nn.Parameter(lib.tensor(w0)), lib.nn.Parameter(lib.tensor(b0))]
    opt = make_opt(lib, params)
    s = sched(lib, opt) if sched else None
    traj, lrs, moms = [], [], []
    for k in range(steps):
        opt.zero_grad()
        _loss(lib, params, k).backward()
        opt.step()
        if s is not None:
            s.step()
            lrs.append(s.get_last_lr())
            g = opt.param_groups[0]
            moms.append(g.get("momentum", g.get("betas")))
        traj.append([p.detach().numpy().copy() for p in params])
    return traj, lrs, moms, opt, s


def _same(make_opt, dtype="float32", **kw):
    ours, olrs, omoms, oopt, _ = _run(cr, make_opt, dtype, **kw)
    theirs, tlrs, tmoms, topt, _ = _run(torch, make_opt, dtype, **kw)
    for step, (a, b) in enumerate(zip(ours, theirs, strict=True)):
        for pa, pb in zip(a, b, strict=True):
            np.testing.assert_allclose(pa, pb, **TOL[dtype], err_msg=f"step {step}")
    assert olrs == tlrs and omoms == tmoms  # the same float operations in the same order
    return oopt, topt


OPTIMIZERS = [
    ("Adagrad", {}),
    ("Adagrad", dict(lr=0.1, lr_decay=0.05, weight_decay=0.01, initial_accumulator_value=0.3)),
    ("Adagrad", dict(lr=0.1, eps=1e-3, maximize=True)),
    ("RMSprop", {}),
    ("RMSprop", dict(lr=0.01, alpha=0.9, momentum=0.8)),
    ("RMSprop", dict(lr=0.01, centered=True, weight_decay=0.1)),
    ("RMSprop", dict(lr=0.01, centered=True, momentum=0.5, maximize=True)),
    ("Adadelta", {}),
    ("Adadelta", dict(lr=0.5, rho=0.8, eps=1e-4, weight_decay=0.05)),
    ("Adadelta", dict(maximize=True)),
]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name, kw", OPTIMIZERS, ids=[f"{n}{kw}" for n, kw in OPTIMIZERS])
def test_trajectory(name, kw, dtype):
    ours, theirs = _same(lambda lib, ps: getattr(lib.optim, name)(ps, **kw), dtype)
    assert repr(ours) == repr(theirs)
    sd, tsd = ours.state_dict(), theirs.state_dict()
    assert sd["param_groups"] == tsd["param_groups"]
    for k, st in sd["state"].items():
        assert sorted(st) == sorted(tsd["state"][k])
        for key, v in st.items():
            np.testing.assert_allclose(v.numpy(), tsd["state"][k][key].numpy(), **TOL[dtype])
            assert v.dtype.name == str(tsd["state"][k][key].dtype).removeprefix("torch.")


def test_adagrad_has_its_state_before_the_first_step_as_pytorch():
    for lib in (cr, torch):
        p = lib.nn.Parameter(lib.ones(2))
        st = lib.optim.Adagrad([p], initial_accumulator_value=0.5).state_dict()["state"][0]
        assert st["step"].item() == 0 and st["sum"].tolist() == [0.5, 0.5]


@pytest.mark.parametrize(
    "name, kw, message",
    [
        ("Adagrad", dict(lr=-1), "Invalid learning rate: -1"),
        ("Adagrad", dict(lr_decay=-1), "Invalid lr_decay value: -1"),
        ("Adagrad", dict(initial_accumulator_value=-1), "Invalid initial_accumulator_value"),
        ("Adagrad", dict(eps=-1), "Invalid epsilon value: -1"),
        ("RMSprop", dict(alpha=-1), "Invalid alpha value: -1"),
        ("RMSprop", dict(momentum=-1), "Invalid momentum value: -1"),
        ("Adadelta", dict(rho=2), "Invalid rho value: 2"),
        ("Adadelta", dict(weight_decay=-1), "Invalid weight_decay value: -1"),
    ],
)
def test_errors_match_torch(name, kw, message):
    for lib in (cr, torch):
        with pytest.raises(ValueError) as e:
            getattr(lib.optim, name)([lib.nn.Parameter(lib.ones(1))], **kw)
        assert message in str(e.value)


SGD = lambda lib, ps: lib.optim.SGD(ps, lr=0.1, momentum=0.9)  # noqa: E731
ADAM = lambda lib, ps: lib.optim.Adam(ps, lr=0.01)  # noqa: E731
SCHEDULES = [
    ("MultiStepLR", lambda lib, o: lib.optim.lr_scheduler.MultiStepLR(o, [2, 5, 5], 0.3)),
    ("ExponentialLR", lambda lib, o: lib.optim.lr_scheduler.ExponentialLR(o, 0.7)),
    ("LambdaLR", lambda lib, o: lib.optim.lr_scheduler.LambdaLR(o, lambda e: 1 / (e + 1))),
    ("CosineAnnealingLR", lambda lib, o: lib.optim.lr_scheduler.CosineAnnealingLR(o, 3)),
    (
        "CosineAnnealingLR eta_min",
        lambda lib, o: lib.optim.lr_scheduler.CosineAnnealingLR(o, T_max=4, eta_min=0.01),
    ),
    ("OneCycleLR", lambda lib, o: lib.optim.lr_scheduler.OneCycleLR(o, 1.0, total_steps=10)),
    (
        "OneCycleLR linear three-phase",
        lambda lib, o: lib.optim.lr_scheduler.OneCycleLR(
            o, 0.5, epochs=2, steps_per_epoch=5, anneal_strategy="linear", three_phase=True
        ),
    ),
]


@pytest.mark.parametrize("opt", [SGD, ADAM], ids=["SGD", "Adam"])
@pytest.mark.parametrize("label, sched", SCHEDULES, ids=[s[0] for s in SCHEDULES])
def test_schedule_rates_and_trajectory(label, sched, opt):
    _same(opt, sched=sched, steps=10 if "OneCycle" in label else 8)


def test_schedule_errors_and_state_dicts_match_torch():
    for lib in (cr, torch):
        o = lib.optim.SGD([lib.nn.Parameter(lib.ones(1))], lr=0.1)
        with pytest.raises(ValueError, match="Expected 1 lr_lambdas, but got 2"):
            lib.optim.lr_scheduler.LambdaLR(o, [lambda e: 1, lambda e: 2])
        with pytest.raises(ValueError, match="You must define either total_steps"):
            lib.optim.lr_scheduler.OneCycleLR(o, 1.0)
        with pytest.raises(ValueError, match="Expected float between 0 and 1 pct_start"):
            lib.optim.lr_scheduler.OneCycleLR(o, 1.0, total_steps=5, pct_start=2)
        s = lib.optim.lr_scheduler.OneCycleLR(o, 1.0, total_steps=2)
        for _ in range(2):
            s.step()
        with pytest.raises(ValueError, match="Tried to step 3 times"):
            s.step()
        o2 = lib.optim.Adagrad([lib.nn.Parameter(lib.ones(1))])
        with pytest.raises(ValueError, match="optimizer must support momentum"):
            lib.optim.lr_scheduler.OneCycleLR(o2, 1.0, total_steps=5)
    states = []
    for lib in (cr, torch):
        o = lib.optim.SGD([lib.nn.Parameter(lib.ones(1))], lr=0.1)
        s = lib.optim.lr_scheduler.LambdaLR(o, lambda e: 0.5**e)
        s.step()
        states.append(s.state_dict())
    assert states[0]["lr_lambdas"] == states[1]["lr_lambdas"] == [None]
    assert states[0]["last_epoch"] == states[1]["last_epoch"] == 1
    assert math.isclose(states[0]["_last_lr"][0], states[1]["_last_lr"][0])
