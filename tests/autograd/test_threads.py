"""Autograd from several threads at once (issue 11, section 2).

- Backward passes in several threads that meet at one leaf add into its ``.grad`` without
  losing updates (PyTorch's accumulation is thread-safe; chainrule lost some in 7 of 10
  runs of 4 threads x 300 backwards into one 200x200 weight).
- Threads training their own models get what training each alone gets.
- The modes are per thread: grad mode (as in PyTorch), the forward-mode dual level and the
  ``chainrule.func`` transforms running (a transform in another thread is not an outer one).
  PyTorch keeps one process-wide dual level, so two threads cannot both use forward mode
  there (``Nested forward mode AD is not supported``); chainrule gives each thread its own,
  and its results are compared with PyTorch's run one thread at a time.

The sums are exact in float32 (small integers), so an update lost shows as a wrong number,
not as a rounding difference.
"""

from __future__ import annotations

import threading

import numpy as np
import pytest

import chainrule as cr

torch = pytest.importorskip("torch")

THREADS = 4


def _run_threads(target, n=THREADS):
    """Run ``target(i)`` in n threads started together; re-raise the first error."""
    barrier = threading.Barrier(n)
    errors = []

    def body(i):
        try:
            barrier.wait()
            target(i)
        except BaseException as e:  # noqa: BLE001 - re-raised in the main thread
            errors.append(e)

    threads = [threading.Thread(target=body, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]


# ------------------------------------------------------------------ one shared leaf


def _accumulate_concurrently(m, how, steps=300, size=200):
    """THREADS threads each run ``steps`` backward passes into one (size, size) leaf;
    thread i's pass adds i + 1 to every element. Returns the leaf's .grad as NumPy."""
    w = m.zeros(size, size, requires_grad=True)
    if how == "hooked leaf":
        w.register_hook(lambda g: g)  # the leaf's gradient goes the hooks' way
    xs = [m.full((size, size), float(i + 1)) for i in range(THREADS)]

    def work(i):
        x = xs[i]
        for _ in range(steps):
            if how == "create_graph":
                (w * x).sum().backward(create_graph=True)
            elif how == "inputs non-leaf":
                h = w * 1.0
                (h * x).sum().backward(inputs=[h])
            else:
                (w * x).sum().backward()

    if how == "inputs non-leaf":  # the .grad of a non-leaf given as inputs= accumulates
        h_shared = w * 1.0

        def work(i):  # noqa: F811 - one non-leaf shared by every thread
            x = xs[i]
            for _ in range(steps):
                (h_shared * x).sum().backward(inputs=[h_shared], retain_graph=True)

        _run_threads(work)
        return h_shared.grad.detach().numpy().copy()
    _run_threads(work)
    return w.grad.detach().numpy().copy()


@pytest.mark.filterwarnings("ignore:Using backward\\(\\) with create_graph=True")
@pytest.mark.parametrize("how", ["plain", "hooked leaf", "create_graph", "inputs non-leaf"])
def test_backward_from_threads_into_one_leaf_loses_nothing(how):
    steps = 300 if how == "plain" else 60
    expected = steps * sum(range(1, THREADS + 1))
    for _ in range(2 if how == "plain" else 1):
        g = _accumulate_concurrently(cr, how, steps=steps)
        assert g.dtype == np.float32 and g.shape == (200, 200)
        assert (g == expected).all(), f"lost updates: min {g.min()}, expected {expected}"
    if how == "inputs non-leaf":
        # PyTorch guards a leaf's .grad only: from threads, a non-leaf's .grad given as
        # inputs= comes out as garbage there (or the process crashes), so chainrule is held
        # to the exact sum alone
        return
    t_g = _accumulate_concurrently(torch, how, steps=steps)
    np.testing.assert_array_equal(g, t_g)


def test_threads_accumulating_into_small_leaves_and_a_0d_one():
    # many short passes: the race on "is .grad there yet" and on the version counter
    def run(m):
        a = m.zeros(3, requires_grad=True)
        s = m.tensor(0.0, requires_grad=True)

        def work(i):
            for _ in range(500):
                (a * (i + 1) + s).sum().backward()

        _run_threads(work)
        return a.grad.numpy().copy(), s.grad.numpy().copy()

    (a, s), (t_a, t_s) = run(cr), run(torch)
    np.testing.assert_array_equal(a, [500.0 * 10] * 3)
    np.testing.assert_array_equal(s, 500.0 * 3 * THREADS)
    np.testing.assert_array_equal(a, t_a)
    np.testing.assert_array_equal(s, t_s)
    assert s.shape == t_s.shape == ()


# ------------------------------------------------------------------ threads training


def _data(i):
    rng = np.random.default_rng(i)
    X = rng.standard_normal((64, 5)).astype(np.float32)
    y = (X @ rng.standard_normal(5) > 0).astype(np.int64)
    weights = [
        rng.standard_normal((16, 5)).astype(np.float32) * 0.5,
        np.zeros(16, np.float32),
        rng.standard_normal((2, 16)).astype(np.float32) * 0.5,
        np.zeros(2, np.float32),
    ]
    return X, y, weights


def _train(m, i, steps=40):
    """Train thread i's model (its own data, weights, optimizer); returns its weights."""
    X, y, weights = _data(i)
    model = m.nn.Sequential(m.nn.Linear(5, 16), m.nn.ReLU(), m.nn.Linear(16, 2))
    with m.no_grad():
        for p, w in zip(model.parameters(), weights, strict=True):
            p.copy_(m.tensor(w))
    opt = m.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    X, y = m.tensor(X), m.tensor(y)
    for _ in range(steps):
        opt.zero_grad()
        loss = m.nn.functional.cross_entropy(model(X), y)
        loss.backward()
        opt.step()
    return [p.detach().numpy().copy() for p in model.parameters()]


def test_threads_training_their_own_models_get_what_training_alone_gets():
    alone = [_train(cr, i) for i in range(THREADS)]
    together = [None] * THREADS

    def work(i):
        together[i] = _train(cr, i)

    _run_threads(work)
    for i in range(THREADS):
        for a, b in zip(alone[i], together[i], strict=True):
            np.testing.assert_array_equal(b, a)  # exactly: nothing leaked between threads
    # and training alone is PyTorch's training (one model: PyTorch is slow on a busy host)
    for b, t in zip(together[0], _train(torch, 0), strict=True):
        assert b.dtype == t.dtype and b.shape == t.shape
        np.testing.assert_allclose(b, t, rtol=1e-4, atol=1e-5)


# ------------------------------------------------------------------ modes per thread


def test_no_grad_in_one_thread_does_not_reach_another():
    inside, other = threading.Event(), threading.Event()
    seen = {}

    def quiet():
        with cr.no_grad():
            inside.set()
            other.wait(10)

    def busy():
        inside.wait(10)
        x = cr.ones(2, requires_grad=True)
        seen["enabled"] = cr.is_grad_enabled()
        seen["recorded"] = (x * 2).requires_grad
        other.set()

    a, b = threading.Thread(target=quiet), threading.Thread(target=busy)
    a.start(), b.start()
    a.join(), b.join()
    assert seen == {"enabled": True, "recorded": True}  # as in PyTorch: thread-local


def test_each_thread_has_its_own_dual_level():
    import chainrule.autograd.forward_ad as fwAD

    inside, done = threading.Event(), threading.Event()
    seen = {}

    def holder():
        with fwAD.dual_level():
            x = fwAD.make_dual(cr.ones(2), cr.ones(2))
            inside.set()
            done.wait(10)
            seen["holder"] = fwAD.unpack_dual(x * 3).tangent.tolist()

    def other():
        inside.wait(10)
        try:  # no level here: the other thread's level is not this thread's
            fwAD.make_dual(cr.ones(2), cr.ones(2))
        except RuntimeError as e:
            seen["no level"] = str(e)
        y = cr.ones(2) * 2  # an op here is not pushed through the other thread's level
        seen["untouched"] = getattr(y, "_fw", None) is None
        with fwAD.dual_level():  # and this thread may enter one of its own meanwhile
            z = fwAD.make_dual(cr.ones(2), cr.full((2,), 5.0))
            seen["other"] = fwAD.unpack_dual(z * 2).tangent.tolist()
        done.set()

    a, b = threading.Thread(target=holder), threading.Thread(target=other)
    a.start(), b.start()
    a.join(), b.join()
    assert seen == {
        "holder": [3.0, 3.0],
        "no level": "Trying to create a dual Tensor for forward AD but no level exists, make "
        "sure to enter_dual_level() first.",
        "untouched": True,
        "other": [10.0, 10.0],
    }


def _forward_transforms(m, F, i):
    x = m.tensor([0.5, 1.0, 2.0], dtype=m.float64)
    f = lambda v: (v.sin() * (i + 1)) * v  # noqa: E731
    out = [F.jacfwd(f)(x), *F.jvp(f, (x,), (m.ones(3, dtype=m.float64),))]
    out.append(F.hessian(lambda v: f(v).sum())(x))
    return out


def test_forward_mode_transforms_in_several_threads_at_once():
    import torch.func as tF

    import chainrule.func as F

    results = [None] * THREADS

    def work(i):
        for _ in range(20):
            results[i] = _forward_transforms(cr, F, i)

    _run_threads(work)
    for i in range(THREADS):
        for r, t in zip(results[i], _forward_transforms(torch, tF, i), strict=True):
            assert not r.requires_grad and r.grad_fn is None
            assert r.dtype == cr.float64 and tuple(r.shape) == tuple(t.shape)
            np.testing.assert_allclose(r.numpy(), t.numpy(), rtol=1e-12, atol=1e-12)


def test_a_transform_in_another_thread_is_not_an_outer_one():
    # chainrule.func counted the transforms running in a process-wide counter: a grad
    # called while another thread was inside a transform believed itself nested and
    # returned a tensor holding a graph
    import chainrule.func as F

    inside, done = threading.Event(), threading.Event()
    seen = {}

    def f(v):
        inside.set()
        done.wait(10)
        return (v * v).sum()

    def outer():
        seen["outer"] = F.grad(f)(cr.ones(2))

    def other():
        inside.wait(10)
        seen["other"] = F.grad(lambda v: (v**3).sum())(cr.ones(2))
        seen["other jacrev"] = F.jacrev(lambda v: v**3)(cr.ones(2))
        done.set()

    a, b = threading.Thread(target=outer), threading.Thread(target=other)
    a.start(), b.start()
    a.join(), b.join()
    for key, value in [("outer", [2.0, 2.0]), ("other", [3.0, 3.0])]:
        assert seen[key].tolist() == value
        assert not seen[key].requires_grad and seen[key].grad_fn is None
    assert not seen["other jacrev"].requires_grad
