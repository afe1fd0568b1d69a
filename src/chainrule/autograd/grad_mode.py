"""Grad mode: whether ops record the graph (thread-local, like PyTorch).

>>> import chainrule as torch
>>> x = torch.ones(2, requires_grad=True)
>>> with torch.no_grad():
...     y = x * 2
>>> y.requires_grad
False
"""

from __future__ import annotations

import functools
import inspect

from .. import _state as _modes

__all__ = ["no_grad", "enable_grad", "set_grad_enabled", "is_grad_enabled"]

_state = _modes.grad  # .enabled: thread-local, on in a new thread (as in PyTorch)


def is_grad_enabled() -> bool:
    """Whether operations on tensors that require grad are recorded.

    >>> import chainrule as torch
    >>> torch.is_grad_enabled()
    True
    """
    return _state.enabled


class _GradMode:
    """Base of the grad-mode context managers; instances also work as decorators."""

    _mode = True

    def __enter__(self) -> None:
        self._prev = _state.enabled
        _state.enabled = self._mode

    def __exit__(self, *exc) -> None:
        _state.enabled = self._prev

    def __call__(self, fn):
        mode = self._mode
        if inspect.isgeneratorfunction(fn):
            return _generator_in_mode(fn, mode)

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            return _in_mode(mode, fn, *args, **kwargs)

        return wrapper


def _in_mode(mode: bool, fn, *args, **kwargs):
    """``fn(*args, **kwargs)`` with grad mode set to ``mode``, restored after."""
    prev = _state.enabled
    _state.enabled = mode
    try:
        return fn(*args, **kwargs)
    finally:
        _state.enabled = prev


def _generator_in_mode(fn, mode: bool):
    """A decorated generator function: its body runs in ``mode`` each time it resumes
    (``next``, ``send``, ``throw``, ``close``), and the caller's mode is back while it is
    suspended at a ``yield``, as in PyTorch. (Setting the mode around the call alone would
    do nothing: calling a generator function runs none of its body.)"""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        gen = fn(*args, **kwargs)
        resume, value = gen.send, None
        while True:
            try:
                out = _in_mode(mode, resume, value)
            except StopIteration as stop:
                return stop.value
            try:
                value = yield out
            except GeneratorExit:  # closed while suspended: the body's finally runs in mode
                _in_mode(mode, gen.close)
                raise
            except BaseException as exc:  # thrown in: passed on to the body
                resume, value = gen.throw, exc
            else:
                resume = gen.send

    return wrapper


class _BareDecorator(_GradMode):
    """Also usable bare, as ``@no_grad`` (without parentheses), like PyTorch."""

    def __new__(cls, orig_func=None):
        self = super().__new__(cls)
        if orig_func is not None and callable(orig_func):
            return self(orig_func)
        return self

    def __init__(self, orig_func=None) -> None:
        pass


class no_grad(_BareDecorator):
    """Context manager and decorator that turns graph recording off.

    >>> import chainrule as torch
    >>> @torch.no_grad()
    ... def step(w):
    ...     return w * 2
    >>> step(torch.ones(1, requires_grad=True)).requires_grad
    False
    """

    _mode = False


class enable_grad(_BareDecorator):
    """Context manager and decorator that turns graph recording on (inside no_grad).

    >>> import chainrule as torch
    >>> with torch.no_grad(), torch.enable_grad():
    ...     torch.is_grad_enabled()
    True
    """

    _mode = True


class set_grad_enabled(_GradMode):
    """Set grad mode to ``mode``; as a function call it takes effect at once.

    >>> import chainrule as torch
    >>> with torch.set_grad_enabled(False):
    ...     torch.is_grad_enabled()
    False
    """

    def __init__(self, mode: bool) -> None:
        self._prev = _state.enabled
        self._mode = bool(mode)
        _state.enabled = self._mode  # PyTorch applies it immediately, not on __enter__

    def __enter__(self) -> None:
        pass

    def __exit__(self, *exc) -> None:
        _state.enabled = self._prev

    def __call__(self, fn):
        _state.enabled = self._prev  # used as a decorator: undo the immediate effect
        return super().__call__(fn)
