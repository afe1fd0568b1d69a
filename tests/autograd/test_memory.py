"""Memory is part of correctness (DESIGN.md, principle 7).

- a training loop does not grow memory;
- saved tensors are released by backward (unless retain_graph);
- a graph nobody can reach is freed, by reference counting alone (no gc.collect(): PyTorch frees
  it at once too, and numpy buffers are large while the cyclic collector counts objects, not
  bytes, so a graph that waits for gc can hold a lot of memory in a loop);
- a chain of 100,000 ops backpropagates without RecursionError, in reasonable time.

tracemalloc sees numpy's buffers (numpy reports them to it), so the traced "current" memory is
a measure of the arrays chainrule keeps alive.
"""

import contextlib
import gc
import sys
import time
import tracemalloc
import weakref

import numpy as np
import pytest

import chainrule as cr

N = 200_000  # elements of the big float64 test vectors: 1.6 MB each
BIG = N * 8


@contextlib.contextmanager
def traced():
    already = tracemalloc.is_tracing()
    if not already:
        tracemalloc.start()
    try:
        yield
    finally:
        if not already:
            tracemalloc.stop()


@contextlib.contextmanager
def gc_disabled():
    was = gc.isenabled()
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def current():
    return tracemalloc.get_traced_memory()[0]


def big_leaf(seed=0):
    rng = np.random.default_rng(seed)
    return cr.tensor(rng.uniform(0.1, 1.0, N), dtype=cr.float64, requires_grad=True)


def test_tracemalloc_sees_numpy_buffers():
    # The measuring instrument itself: if this fails, the other tests here measure nothing.
    with traced():
        before = current()
        a = np.ones(N)
        assert current() - before >= BIG
        del a
        assert current() - before < BIG // 10


def _train(steps, record_at, X, y, w, b, lr=0.01):
    marks = {}
    for step in range(1, steps + 1):
        loss = ((X @ w + b - y) ** 2).mean()
        loss.backward()
        with cr.no_grad():
            w -= lr * w.grad
            b -= lr * b.grad
        w.grad.zero_()
        b.grad.zero_()
        if step in record_at:
            gc.collect()
            marks[step] = current()
    return marks, loss.item()


def _loop_data():
    rng = np.random.default_rng(0)
    Xn = rng.standard_normal((256, 8)).astype(np.float32)
    true_w = rng.standard_normal((8, 1)).astype(np.float32)
    X = cr.tensor(Xn)
    y = cr.tensor(Xn @ true_w + 0.5)
    w = cr.zeros((8, 1), requires_grad=True)
    b = cr.zeros(1, requires_grad=True)
    return X, y, w, b


def test_training_loop_does_not_grow_memory():
    X, y, w, b = _loop_data()
    w_id, b_id = id(w), id(b)
    with traced():
        marks, final_loss = _train(1000, {100, 1000}, X, y, w, b)
    # One leaked graph per step would be >= 256 * 4 bytes per step (the activations), i.e.
    # far over 900 KB after 900 steps; 64 KB leaves room for interpreter noise only.
    growth = marks[1000] - marks[100]
    assert growth < 64 * 1024, f"memory grew by {growth} bytes between step 100 and 1000"
    assert id(w) == w_id and id(b) == b_id
    assert w.is_leaf and w.requires_grad
    assert final_loss < 0.05, "the loop should also have learned something"


def test_training_loop_leaves_no_reference_cycles():
    # With the cyclic collector off, every step's graph must be freed by reference counting:
    # afterwards gc.collect() finds (almost) nothing unreachable. (Traced memory is not used
    # here: with gc off, CPython's free lists grow by a few hundred KB that only gc.collect()
    # releases, with or without cycles.)
    X, y, w, b = _loop_data()
    steps = 300
    with gc_disabled():
        for _ in range(steps):
            loss = ((X @ w + b - y) ** 2).mean()
            loss.backward()
            with cr.no_grad():
                w -= 0.01 * w.grad
                b -= 0.01 * b.grad
            w.grad.zero_()
            b.grad.zero_()
        found = gc.collect()
    assert found < steps // 10, (
        f"gc.collect() found {found} unreachable objects after {steps} steps with gc off: "
        "the graph of each step is held by a reference cycle"
    )


def test_saved_tensors_are_released_by_backward():
    x = big_leaf()
    with traced():
        base = current()
        loss = (x.exp().sin().tanh() * 2).sum()
        held = current() - base
        # The graph keeps some intermediates for backward (at least one N-vector).
        assert held >= BIG, "expected the graph to hold saved intermediates"
        loss.backward()
        after = current() - base
    # What may remain: x.grad (one N-vector) and small bookkeeping. Everything saved is gone.
    assert after < BIG + BIG // 4, (
        f"after backward {after} bytes remain above the baseline (x.grad is {BIG})"
    )
    assert x.grad.shape == x.shape
    assert loss.grad_fn is not None  # the output still exists; only its saved values went


def test_retain_graph_keeps_saved_tensors_until_last_backward():
    x = big_leaf()
    with traced():
        base = current()
        loss = (x.exp().sin().tanh() * 2).sum()
        held = current() - base
        loss.backward(retain_graph=True)
        retained = current() - base
        loss.backward()
        after = current() - base
    # x.grad (one N-vector) was added, and nothing the graph holds was let go.
    assert retained >= held + BIG - BIG // 8, "retain_graph=True must keep what backward needs"
    assert after < BIG + BIG // 4


def test_autograd_grad_releases_saved_tensors():
    x = big_leaf()
    with traced():
        base = current()
        loss = (x.exp() * x).sin().sum()
        (g,) = cr.autograd.grad(loss, x)
        after = current() - base
    assert after < BIG + BIG // 4  # g is one N-vector
    assert g.shape == x.shape and x.grad is None


def test_unreachable_graph_is_freed_without_gc():
    x = big_leaf()
    with gc_disabled(), traced():
        base = current()
        a = x.exp()  # exp saves its own output: a classic place for a reference cycle
        b = a.sin()
        c = b * a
        out = c.sum()
        assert current() - base >= 3 * BIG
        del a, b, c, out
        after = current() - base
    assert after < BIG // 4, f"{after} bytes of an unreachable graph are still alive with gc off"


def test_unreachable_graph_tensors_die_by_refcount():
    x = big_leaf()
    with gc_disabled():
        a = x.exp()
        b = a.sin()
        out = (b * a).sum()
        refs = [weakref.ref(t) for t in (a, b, out)]
        del a, b, out
        assert [r() is None for r in refs] == [True, True, True]


def test_graph_freed_after_backward_and_del():
    x = big_leaf()
    with gc_disabled(), traced():
        base = current()
        out = (x.exp() * x.sin()).sum()
        out.backward()
        del out
        after = current() - base
    assert after < BIG + BIG // 4  # x.grad only


def test_output_kept_but_input_graph_dropped_in_no_grad():
    x = big_leaf()
    with traced():
        base = current()
        with cr.no_grad():
            y = x.exp().sin().tanh()
        after = current() - base
    assert after < BIG + BIG // 4, "no_grad must not save anything for backward"
    assert not y.requires_grad


def test_long_chain_backward_is_iterative_and_fast():
    depth = 100_000
    limit = sys.getrecursionlimit()
    x = cr.tensor(1.0, dtype=cr.float64, requires_grad=True)
    y = x
    for i in range(depth):
        y = y * 1.0001 if i % 2 == 0 else y - 0.001
    t0 = time.perf_counter()
    y.backward()
    elapsed = time.perf_counter() - t0
    assert sys.getrecursionlimit() == limit, "the engine must not raise the recursion limit"
    np.testing.assert_allclose(x.grad.item(), 1.0001 ** (depth // 2), rtol=1e-9)
    assert elapsed < 10.0, f"backward over {depth} nodes took {elapsed:.1f} s"
    del y  # freeing the long chain must not crash either


def test_long_chain_autograd_grad_and_free_without_backward():
    depth = 100_000
    x = cr.tensor([1.0, 2.0], dtype=cr.float64, requires_grad=True)
    y = x
    for _ in range(depth):
        y = y + 1.0
    (g,) = cr.autograd.grad(y.sum(), x)
    assert g.tolist() == [1.0, 1.0]
    z = x
    for _ in range(depth):
        z = z * 1.0
    del z  # an unused deep graph is torn down without RecursionError


@pytest.mark.parametrize("retain", [False, True])
def test_saved_values_cleared_means_second_backward_fails(retain):
    x = big_leaf()
    loss = (x.exp() * x).sum()
    loss.backward(retain_graph=retain)
    if retain:
        loss.backward()
    with pytest.raises(RuntimeError, match="Trying to backward through the graph a second time"):
        loss.backward()
