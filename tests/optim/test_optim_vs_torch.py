"""Differential tests of the optimizers and StepLR: from the same parameters, the same
gradients at every step give the same multi-step trajectories as PyTorch, for every SGD
option combination, Adam, AdamW and amsgrad, in float32 and float64; state dicts, reprs
and errors match too. Skipped without torch."""

import itertools

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import chainrule as cr  # noqa: E402
import chainrule.nn  # noqa: E402,F401  (binds cr.nn and cr.optim)
import chainrule.optim  # noqa: E402,F401

TOL = {"float32": dict(rtol=1e-5, atol=1e-6), "float64": dict(rtol=1e-12, atol=1e-13)}
STEPS = 6


def _loss(lib, params, k):
    """A smooth non-quadratic loss whose gradient changes with the parameters and step k."""
    w, b = params
    x = lib.tensor([[0.5, -1.0, 2.0], [1.5, 0.3, -0.7]], dtype=w.dtype) * (1 + 0.1 * k)
    return ((x @ w).tanh() + b).pow(2).sum() + (w * w * w).sum() * 0.1


def run(lib, make_opt, dtype, steps=STEPS, sched=None):
    """Parameters after each step, and the lr after each step, in library ``lib``."""
    rng = np.random.default_rng(0)
    w0 = rng.standard_normal((3, 2)).astype(dtype)
    b0 = rng.standard_normal(2).astype(dtype)
    mod = cr.nn if lib is cr else torch.nn
    params = [mod.Parameter(lib.tensor(w0)), mod.Parameter(lib.tensor(b0))]
    opt = make_opt(lib, params)
    scheduler = sched(lib, opt) if sched else None
    ids = [id(p) for p in params]
    traj, lrs = [], []
    for k in range(steps):
        opt.zero_grad()
        _loss(lib, params, k).backward()
        opt.step()
        if scheduler:
            scheduler.step()
            lrs.append(scheduler.get_last_lr())
        traj.append([p.detach().numpy().copy() for p in params])
    # updated in place: the optimizer still holds the very same objects
    assert [id(p) for g in opt.param_groups for p in g["params"]] == ids
    return traj, lrs, opt, params


def assert_same_trajectory(make_opt, dtype, **kw):
    ours, olrs, _, _ = run(cr, make_opt, dtype, **kw)
    theirs, tlrs, _, _ = run(torch, make_opt, dtype, **kw)
    for step, (a, b) in enumerate(zip(ours, theirs, strict=True)):
        for pa, pb in zip(a, b, strict=True):
            np.testing.assert_allclose(pa, pb, **TOL[dtype], err_msg=f"step {step}")
    assert olrs == tlrs  # the same float operations in the same order


SGD_OPTIONS = [
    dict(momentum=m, dampening=d, nesterov=n, weight_decay=wd, maximize=mx)
    for m, d, n, wd, mx in itertools.product(
        [0, 0.9], [0, 0.3], [False, True], [0, 0.05], [False, True]
    )
    if not (n and (m == 0 or d != 0))
]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize(
    "kw", SGD_OPTIONS, ids=lambda kw: "-".join(f"{k}={v}" for k, v in kw.items())
)
def test_sgd_trajectory(kw, dtype):
    assert_same_trajectory(lambda lib, ps: lib.optim.SGD(ps, lr=0.05, **kw), dtype)


ADAM_OPTIONS = [
    ("Adam", dict()),
    ("Adam", dict(weight_decay=0.1)),
    ("Adam", dict(amsgrad=True, weight_decay=0.05)),
    ("Adam", dict(maximize=True, betas=(0.5, 0.9), eps=1e-3)),
    ("Adam", dict(decoupled_weight_decay=True, weight_decay=0.2)),
    ("AdamW", dict()),
    ("AdamW", dict(weight_decay=0.3, amsgrad=True)),
    ("AdamW", dict(betas=(0.8, 0.99), maximize=True)),
]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name,kw", ADAM_OPTIONS, ids=lambda v: str(v))
def test_adam_trajectory(name, kw, dtype):
    assert_same_trajectory(lambda lib, ps: getattr(lib.optim, name)(ps, lr=0.05, **kw), dtype)


@pytest.mark.parametrize("step_size,gamma", [(1, 0.5), (3, 0.1), (2, 0.9)])
def test_steplr_lrs_and_trajectory(step_size, gamma):
    def sched(lib, opt):
        return lib.optim.lr_scheduler.StepLR(opt, step_size=step_size, gamma=gamma)

    assert_same_trajectory(
        lambda lib, ps: lib.optim.SGD(ps, lr=0.1, momentum=0.5),
        "float64",
        steps=8,
        sched=sched,
    )


def test_param_groups_with_their_own_hyperparameters():
    def make(lib, ps):
        return lib.optim.Adam([{"params": [ps[0]], "lr": 0.2}, {"params": [ps[1]]}], lr=0.01)

    assert_same_trajectory(make, "float64")
    _, _, opt, _ = run(cr, make, "float64", steps=1)
    _, _, topt, _ = run(torch, make, "float64", steps=1)
    assert repr(opt) == repr(topt)


@pytest.mark.parametrize(
    "make",
    [
        lambda lib, ps: lib.optim.SGD(ps, lr=0.1, momentum=0.9),
        lambda lib, ps: lib.optim.SGD(ps),
        lambda lib, ps: lib.optim.Adam(ps, lr=0.1, amsgrad=True),
        lambda lib, ps: lib.optim.AdamW(ps),
    ],
)
def test_repr_and_state_dict_layout_match_torch(make):
    _, _, opt, _ = run(cr, make, "float32", steps=2)
    _, _, topt, _ = run(torch, make, "float32", steps=2)
    assert repr(opt) == repr(topt)
    sd, tsd = opt.state_dict(), topt.state_dict()
    assert sd["param_groups"] == tsd["param_groups"]
    assert sd["state"].keys() == tsd["state"].keys()
    for k in sd["state"]:
        assert list(sd["state"][k]) == list(tsd["state"][k])
        for name, v in sd["state"][k].items():
            tv = tsd["state"][k][name]
            assert str(v.dtype) == str(tv.dtype) and tuple(v.shape) == tuple(tv.shape)
            np.testing.assert_allclose(v.numpy(), tv.numpy(), rtol=1e-5, atol=1e-7)


def _error(fn):
    try:
        fn()
    except Exception as e:  # noqa: BLE001 - the exception itself is the result compared
        return type(e).__name__, str(e)
    return None


ERRORS = [
    lambda lib, p: lib.optim.SGD([p], lr=-1),
    lambda lib, p: lib.optim.SGD([p], momentum=-1),
    lambda lib, p: lib.optim.SGD([p], weight_decay=-1),
    lambda lib, p: lib.optim.SGD([p], nesterov=True),
    lambda lib, p: lib.optim.SGD([p], nesterov=True, momentum=0.9, dampening=0.1),
    lambda lib, p: lib.optim.SGD(p),
    lambda lib, p: lib.optim.SGD([]),
    lambda lib, p: lib.optim.SGD([1.0]),
    lambda lib, p: lib.optim.SGD([p * 2]),
    lambda lib, p: lib.optim.SGD([{"params": [p]}, {"params": [p]}]),
    lambda lib, p: lib.optim.Adam([p], lr=-1),
    lambda lib, p: lib.optim.Adam([p], eps=-1),
    lambda lib, p: lib.optim.Adam([p], betas=(1.0, 0.9)),
    lambda lib, p: lib.optim.Adam([p], betas=(0.9, -0.1)),
    lambda lib, p: lib.optim.AdamW([p], weight_decay=-1),
    lambda lib, p: lib.optim.SGD([p]).load_state_dict({"state": {}, "param_groups": []}),
    lambda lib, p: lib.optim.SGD([p]).load_state_dict(
        {"state": {}, "param_groups": [{"params": [0, 1]}]}
    ),
    lambda lib, p: lib.optim.lr_scheduler.StepLR(3, 2),
    lambda lib, p: lib.optim.lr_scheduler.StepLR(lib.optim.SGD([p]), 2, last_epoch=3),
]


@pytest.mark.parametrize("case", ERRORS)
def test_errors_match_torch(case):
    ours = _error(lambda: case(cr, cr.zeros(1, requires_grad=True)))
    theirs = _error(lambda: case(torch, torch.zeros(1, requires_grad=True)))
    assert ours is not None and ours == theirs
