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

from .. import _state as _modes
from .. import backend as _backend
from .. import dtypes as _dt
from .._state import tangent_of
from ..functions.tensor_ns import TensorNS
from ..ops.apply import apply
from ..ops.primitive import LINEAR, PASS
from ..ops.views import along_view
from ..tensor_base import TENSOR_TYPES, TensorBase

__all__ = [
    "dual_level",
    "make_dual",
    "unpack_dual",
    "enter_dual_level",
    "exit_dual_level",
    "UnpackedDualTensor",
    "DualLevel",
]


class DualLevel:
    """One dual level. A tensor's tangent is stored as ``(level, tangent, version)``; it
    counts only while that level is the active one, so leaving a level drops every tangent
    made in it. While a level is active, the recorder hands it every op (``push``)."""

    __slots__ = ("batch", "duals", "__weakref__")

    def __init__(self, batch: tuple = ()) -> None:
        # leading axes that tangents carry beyond their primal's shape: chainrule.func
        # pushes a whole basis of tangents (one Jacobian column each) in one pass
        self.batch = batch
        # tensors given a tangent here, cleared on exit: id -> weak reference (a WeakSet
        # would compare tensors with ==, which is elementwise)
        self.duals: dict = {}

    def attach(self, t, tangent) -> None:
        """Give ``t`` its tangent at this level, stamped with t's version: an in-place
        write that does not update the tangent (through another view of the storage)
        makes it stale, and reading a stale tangent raises instead of giving a wrong
        number."""
        t._fw = (self, tangent, t._vc[0])
        k = id(t)
        if k not in self.duals:
            duals = self.duals
            self.duals[k] = weakref.ref(t, lambda _r: duals.pop(k, None))

    def stale(self, t):
        """The tangent of ``t`` after its storage was written in place through another
        view or its base: for a view, its base's tangent viewed again (the tangents follow
        the writes, as the histories do); otherwise refused."""
        base = t._base
        if base is None:
            raise RuntimeError(_modes.ERR_STALE_TANGENT)
        bt = _modes.tangent_of(base)
        if bt is None:
            t._fw = None
            return None
        _modes.dual.level = None  # the view's tangent is computed, not pushed
        try:
            tangent = along_view(TensorNS, bt, t._view[1], self.batch)
        finally:
            _modes.dual.level = self
        self.attach(t, tangent)
        return tangent

    def push(self, prim, args, datas, params, res) -> None:
        """Forward mode through one op: the output's tangent from the inputs' tangents, by
        the op's jvp rules, summed over the inputs.

        Rules run on Tensors (``TensorNS``) with forward mode paused, so a tangent is
        itself recorded for reverse mode when its inputs require grad (reverse over
        forward)."""
        tans = []
        found = False
        for a in args:
            t = None
            if type(a) in TENSOR_TYPES:
                fw = getattr(a, "_fw", None)
                if fw is not None and fw[0] is self:
                    t = fw[1] if fw[2] == a._vc[0] else self.stale(a)
                    found = t is not None or found
            tans.append(t)
        out = res._data
        if not found or prim.vjp is None or out.dtype.kind not in "fc":
            return  # no tangent in; or the op is not differentiable (comparisons, argmax...)
        if prim.jvp is None:
            raise NotImplementedError(
                f"chainrule has no forward-mode rule (jvp) for {prim.name} yet; use reverse mode"
            )
        batch = self.batch
        nb = len(batch)
        plan = prim.plan
        _modes.dual.level = None
        try:
            if prim.jvp is LINEAR:  # the op itself, on the tangent
                (t,) = tans
                total = apply(prim, t, **params)
            elif plan.variadic:
                ts = [
                    t if t is not None else res._new(_zeros(batch + tuple(d.shape), out))
                    for t, d in zip(tans, datas)  # noqa: B905 - same length by construction
                ]
                total = _call_jvp(plan, 0, ts, args, datas, params, res, batch)
            else:
                total = None
                for i, t in enumerate(tans):
                    if t is None:
                        continue
                    if prim.broadcast:  # line the tangent's own axes up with the output's
                        k = out.ndim - (t._data.ndim - nb)
                        if k > 0:
                            t = t.reshape(batch + (1,) * k + tuple(datas[i].shape))
                    ti = _call_jvp(plan, i, t, args, datas, params, res, batch)
                    total = ti if total is None else total + ti
            if total._data.dtype != out.dtype and (out.dtype.kind == "c") != (
                total._data.dtype.kind == "c"
            ):  # a real tangent of a complex result, or the real part of a complex tangent
                cx = out.dtype.kind == "c"
                total = total.to(_dt.from_numpy_dtype(out.dtype)) if cx else total.real
            want = batch + tuple(out.shape)
            if tuple(total._data.shape) != want:
                total = total.expand(want)
        finally:
            _modes.dual.level = self
        self.attach(res, total)


def _call_jvp(plan, i, t, args, datas, params, res, batch):
    """Input i's jvp rule, called with the values it names."""
    rule = plan.jvps[i]
    if rule is PASS:
        return t
    vals = []
    for nm in plan.jvp_names[i]:
        if nm == "t":
            vals.append(t)
        elif nm == "ns":
            vals.append(TensorNS)
        elif nm == "out":
            vals.append(res)
        elif nm == "batch":
            vals.append(batch)
        elif nm in params:
            vals.append(params[nm])
        elif nm == "shapes":
            vals.append(tuple([getattr(d, "shape", None) for d in datas]))
        elif nm.endswith("_shape"):
            vals.append(datas[plan.input_names.index(nm[:-6])].shape)
        else:
            vals.append(args[plan.input_names.index(nm)])
    return rule(*vals)


_state = _modes.dual  # .level: the active DualLevel, or None (forward mode off)


def _zeros(shape, like):
    return _backend.namespace(like).zeros(shape, like.dtype)


def enter_dual_level(batch: tuple = ()) -> int:
    """Enter a new dual level (prefer ``with dual_level():``). Returns its index, 0."""
    if _state.level is not None:
        raise RuntimeError("Nested forward mode AD is not supported at the moment")
    _state.level = DualLevel(tuple(batch))
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
    if not isinstance(tensor, TensorBase) or not isinstance(tangent, TensorBase):
        raise TypeError("make_dual expects a Tensor primal and a Tensor tangent")
    if not (tensor.dtype.is_floating_point or tensor.dtype.is_complex):
        raise ValueError(
            f"Expected primal to be floating point or complex, but got: {tensor.dtype}"
        )
    if not (tangent.dtype.is_floating_point or tangent.dtype.is_complex):
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
    lvl.attach(out, tangent)
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
    primal = tensor._new(tensor._data)  # the value, with the primal's history, no tangent
    primal._vc = tensor._vc
    if tensor._base is not None:
        primal._base, primal._view = tensor._base, tensor._view
        primal._vver = tensor._vver
    else:  # a view of the tensor that takes nothing away (its history is the tensor's)
        primal._base, primal._view = tensor, (None, ())
        primal._vver = tensor._vc[0]
    primal._node = tensor._node
    primal._rg = tensor._rg
    return UnpackedDualTensor(primal, t)


def attach(t, level, tangent) -> None:
    """Give ``t`` its tangent at ``level`` (see ``DualLevel.attach``)."""
    level.attach(t, tangent)
