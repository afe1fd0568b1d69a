"""Grad-mode decorators on generator functions (issue 11, section 2).

Calling a generator function runs none of its body, so setting the mode around the call did
nothing: ``@no_grad()`` on a generator left grad on inside it. PyTorch wraps a generator so
that its body runs in the mode each time it resumes (``next``, ``send``, ``throw``,
``close``) and the caller's mode is back while it waits at a ``yield``. Each case runs in
both libraries and compares what the body and the caller saw.
"""

from __future__ import annotations

import inspect

import pytest

import chainrule as cr

torch = pytest.importorskip("torch")

DECORATORS = {
    "no_grad()": lambda m: m.no_grad(),
    "no_grad bare": lambda m: m.no_grad,
    "enable_grad()": lambda m: m.enable_grad(),
    "set_grad_enabled(False)": lambda m: m.set_grad_enabled(False),
    "set_grad_enabled(True)": lambda m: m.set_grad_enabled(True),
}


def _trace(m, decorate, outer_enabled):
    """What a decorated generator sees at each step, and what its caller sees between."""
    x = m.ones(2, requires_grad=True)
    seen = []

    @decorate(m)
    def gen(n):
        got = None
        try:
            for _ in range(n):
                got = yield (m.is_grad_enabled(), (x * 2).requires_grad, got)
            return "done"
        finally:
            seen.append(("finally", m.is_grad_enabled()))

    with m.set_grad_enabled(outer_enabled):
        g = gen(3)
        seen.append(("caller", m.is_grad_enabled()))
        seen.append(next(g))
        seen.append(("caller", m.is_grad_enabled()))
        seen.append(g.send("a"))
        seen.append(g.send("b"))
        try:
            g.send("c")
        except StopIteration as stop:
            seen.append(("returned", stop.value))
        seen.append(("caller", m.is_grad_enabled()))
        seen.append(("is generator function", inspect.isgeneratorfunction(gen)))
    return seen


@pytest.mark.parametrize("outer", [True, False], ids=["grad on outside", "grad off outside"])
@pytest.mark.parametrize("name", list(DECORATORS))
def test_a_decorated_generator_runs_in_the_mode_each_time_it_resumes(name, outer):
    ours = _trace(cr, DECORATORS[name], outer)
    assert ours == _trace(torch, DECORATORS[name], outer)


def _throw_and_close(m):
    seen = []

    @m.no_grad()
    def gen():
        try:
            yield 1
        except ValueError as e:
            seen.append(("caught", str(e), m.is_grad_enabled()))
            yield 2
        finally:
            seen.append(("finally", m.is_grad_enabled()))

    g = gen()
    next(g)
    seen.append(("thrown in", g.throw(ValueError("boom")), m.is_grad_enabled()))
    g.close()
    seen.append(("closed", m.is_grad_enabled()))

    @m.no_grad()
    def failing():
        yield 1
        raise KeyError("k")

    f = failing()
    next(f)
    try:
        next(f)
    except KeyError as e:
        seen.append(("raised", str(e), m.is_grad_enabled()))
    return seen


def test_throw_close_and_errors_run_in_the_mode_as_in_torch():
    assert _throw_and_close(cr) == _throw_and_close(torch)


def test_a_plain_function_decorator_is_unchanged():
    def run(m):
        @m.no_grad()
        def step(w):
            return (w * 2).requires_grad, m.is_grad_enabled()

        return step(m.ones(1, requires_grad=True)), m.is_grad_enabled()

    assert run(cr) == run(torch) == ((False, False), True)
