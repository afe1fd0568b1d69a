"""Forward-mode accumulation with dual tensors (PyTorch's ``torch.autograd.forward_ad``).

A dual tensor carries, next to its value (the primal), a tangent: the directional
derivative of that value along one chosen input direction. Every op pushes tangents
forward with its Jacobian-vector rule from the table (``jvp=`` in ``ops/``), from the
inside out, as the lecture's forward accumulation: nothing is saved for later, so a chain
of n ops needs O(1) extra memory, and one pass gives one column of the Jacobian.

>>> import chainrule as torch
>>> import chainrule.autograd.forward_ad as fwAD
>>> x = torch.tensor([1., 2.])
>>> with fwAD.dual_level():
...     y = fwAD.make_dual(x, torch.ones(2)) ** 2
...     fwAD.unpack_dual(y).tangent
tensor([2., 4.])
"""

from __future__ import annotations

import contextlib
import weakref
from typing import NamedTuple

from ..ops import primitive as _p

__all__ = [
    "dual_level",
    "make_dual",
    "unpack_dual",
    "enter_dual_level",
    "exit_dual_level",
    "UnpackedDualTensor",
]


class _Level:
    """One dual level. A tensor's tangent is stored as ``(level, tangent)``; it counts only
    while that level is the active one, so leaving a level drops every tangent made in it."""

    __slots__ = ("batch", "duals", "__weakref__")

    def __init__(self, batch: tuple = ()) -> None:
        # leading axes that tangents carry beyond their primal's shape: chainrule.func
        # pushes a whole basis of tangents (one Jacobian column each) in one pass
        self.batch = batch
        # tensors given a tangent here, cleared on exit: id -> weak reference (a WeakSet
        # would compare tensors with ==, which is elementwise)
        self.duals: dict = {}

    def add(self, t) -> None:
        k = id(t)
        if k not in self.duals:
            duals = self.duals
            self.duals[k] = weakref.ref(t, lambda _r: duals.pop(k, None))


class _State:
    __slots__ = ("level",)

    def __init__(self) -> None:
        self.level = None  # the active _Level, or None: forward mode off (no cost per op)


_state = _State()


def enter_dual_level(batch: tuple = ()) -> int:
    """Enter a new dual level (prefer ``with dual_level():``). Returns its index, 0."""
    if _state.level is not None:
        raise RuntimeError("Nested forward mode AD is not supported at the moment")
    _state.level = _Level(tuple(batch))
    return 0


def exit_dual_level(*, level: int | None = None) -> None:
    """Leave the active dual level: every tangent created in it is dropped."""
    lvl = _state.level
    if lvl is None:
        raise RuntimeError("Dual level must be a positive number.")
    _state.level = None
    for r in list(lvl.duals.values()):  # tangents die with their level (their memory too)
        t = r()
        if t is not None:
            t._fw = None
    lvl.duals.clear()


@contextlib.contextmanager
def dual_level():
    """Context in which dual tensors live; their tangents vanish when it exits.

    >>> import chainrule as torch
    >>> import chainrule.autograd.forward_ad as fwAD
    >>> with fwAD.dual_level():
    ...     d = fwAD.make_dual(torch.tensor(3.), torch.tensor(1.))
    ...     fwAD.unpack_dual(d * d).tangent
    tensor(6.)
    """
    enter_dual_level()
    try:
        yield 0
    finally:
        exit_dual_level()


def make_dual(tensor, tangent, *, level: int | None = None):
    """A view of ``tensor`` that carries ``tangent`` as its forward gradient.

    >>> import chainrule as torch
    >>> import chainrule.autograd.forward_ad as fwAD
    >>> with fwAD.dual_level():
    ...     fwAD.make_dual(torch.tensor([1., 2.]), torch.tensor([0., 1.]))
    tensor([1., 2.], tangent=tensor([0., 1.]))
    """
    lvl = _state.level
    if lvl is None:
        raise RuntimeError(
            "Trying to create a dual Tensor for forward AD but no level exists, make sure to "
            "enter_dual_level() first."
        )
    Tensor = _p._Tensor
    if not isinstance(tensor, Tensor) or not isinstance(tangent, Tensor):
        raise TypeError("make_dual expects a Tensor primal and a Tensor tangent")
    if not tensor.dtype.is_floating_point:
        raise ValueError(
            f"Expected primal to be floating point or complex, but got: {tensor.dtype}"
        )
    if not tangent.dtype.is_floating_point:
        raise ValueError(
            f"Expected tangent to be floating point or complex, but got: {tangent.dtype}"
        )
    want = lvl.batch + tuple(tensor.shape)
    if tuple(tangent.shape) != want:
        raise RuntimeError(
            "Trying to set a forward gradient that has a different size than that of the "
            f"original Tensor, this is not supported. Tensor is of size {list(want)} while "
            f"the given forward gradient is of size {list(tangent.shape)}."
        )
    out = tensor.view_as(tensor)  # shares storage and history with the primal, as PyTorch
    attach(out, lvl, tangent)
    return out


class UnpackedDualTensor(NamedTuple):
    """(primal, tangent) of a dual tensor; tangent is None for a tensor that has none."""

    primal: object
    tangent: object


def unpack_dual(tensor, *, level: int | None = None) -> UnpackedDualTensor:
    """The primal (a view without the tangent) and the tangent of ``tensor``.

    >>> import chainrule as torch
    >>> import chainrule.autograd.forward_ad as fwAD
    >>> fwAD.unpack_dual(torch.tensor(1.))
    UnpackedDualTensor(primal=tensor(1.), tangent=None)
    """
    t = tangent_of(tensor)
    if t is None:
        return UnpackedDualTensor(tensor, None)
    primal = _p._Tensor.__new__(_p._Tensor)
    primal._init(tensor._data)  # the value, with the primal's history but no tangent
    primal._vc = tensor._vc
    primal._base = tensor._base if tensor._base is not None else tensor
    primal._vnode = primal._base._node
    primal._node = tensor._node
    primal._rg = tensor._rg
    return UnpackedDualTensor(primal, t)


def tangent_of(tensor):
    """The tangent of ``tensor`` at the active level, or None."""
    fw = getattr(tensor, "_fw", None)
    if fw is None or fw[0] is not _state.level:
        return None
    if fw[2] != tensor._vc[0]:
        stale_tangent()
    return fw[1]


def attach(t, level, tangent) -> None:
    """Give ``t`` its tangent at ``level``, stamped with t's version: an in-place write
    that does not update the tangent (through another view of the storage) makes it
    stale, and reading a stale tangent raises instead of giving a wrong number."""
    t._fw = (level, tangent, t._vc[0])
    level.add(t)


def stale_tangent():
    raise RuntimeError(
        "this tensor's tangent is out of date: its storage was changed in place through "
        "another view (chainrule does not carry tangents between a view and its base). "
        "clone() the view before changing it in place, or take the view again afterwards."
    )
