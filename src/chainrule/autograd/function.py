"""User-defined differentiable operations (PyTorch's torch.autograd.Function).

>>> import chainrule as torch
>>> class Cube(torch.autograd.Function):
...     @staticmethod
...     def forward(ctx, x):
...         ctx.save_for_backward(x)
...         return x ** 3
...     @staticmethod
...     def backward(ctx, g):
...         (x,) = ctx.saved_tensors
...         return 3 * x ** 2 * g
>>> x = torch.tensor(2., requires_grad=True)
>>> y = Cube.apply(x); y.backward(); x.grad
tensor(12.)
"""

from __future__ import annotations

from .. import backend as _backend
from .._state import ERR_BACKWARD_TWICE
from ..node import Node, edge
from ..ops.namespaces import ArrayNS
from ..ops.primitive import Primitive
from ..tensor_base import TensorBase
from . import forward_ad as _fwad
from . import grad_mode as _gm


class FunctionCtx:
    """The ``ctx`` passed to forward and backward: saved tensors and which inputs need grad."""

    def __init__(self) -> None:
        self._saved = ()
        self._versions = ()
        self._freed = False
        self.needs_input_grad = ()
        self.materialize_grads = True
        self._cls = None
        self._in_shapes = ()  # the inputs' shapes (None for non-tensors), set by apply

    def save_for_backward(self, *tensors) -> None:
        self._saved = tensors
        self._versions = tuple(t._vc[0] if t is not None else None for t in tensors)

    @property
    def saved_tensors(self) -> tuple:
        if self._freed:
            raise RuntimeError(ERR_BACKWARD_TWICE)
        for t, v in zip(self._saved, self._versions, strict=True):
            if t is not None and t._vc[0] != v:
                raise RuntimeError(
                    "one of the variables needed for gradient computation has been modified by "
                    f"an inplace operation: [{list(t._data.shape)}] is at version "
                    f"{t._vc[0]}; expected version {v} instead."
                )
        return self._saved

    def mark_non_differentiable(self, *tensors) -> None:
        pass

    def mark_dirty(self, *tensors) -> None:
        pass

    def set_materialize_grads(self, value: bool) -> None:
        self.materialize_grads = value

    def _free(self) -> None:
        self._saved = ()
        self._freed = True

    def _run_backward(self, ns, g):
        tensor_mode = not isinstance(ns, ArrayNS)
        new = self._new  # makes Tensors without importing Tensor
        gs = list(g.grads) if isinstance(g, GradList) else [g]
        for i, gi in enumerate(gs):
            if gi is None:  # an output that received no gradient: zeros (materialize_grads)
                if not self.materialize_grads:  # (set_materialize_grads(False): None)
                    continue
                shape, dtype, xp = self._out_meta[i]
                gs[i] = new(xp.zeros(shape, dtype))
            elif not tensor_mode:
                gs[i] = new(gi)
        with _gm.set_grad_enabled(tensor_mode):
            grads = self._cls.backward(self, *gs)
        if not isinstance(grads, tuple):
            grads = (grads,)
        n = len(self.needs_input_grad)
        if len(grads) < n:
            raise RuntimeError(
                f"function {self._cls.__name__}Backward returned an incorrect number of "
                f"gradients (expected {n}, got {len(grads)})"
            )
        out = []
        for i, gr in enumerate(grads[:n]):
            want = self._in_shapes[i] if i < len(self._in_shapes) else None
            got = getattr(gr, "shape", None)
            if got is not None and want is not None and not _expandable(want, tuple(got)):
                # PyTorch's check: a gradient the engine can sum back to the input's shape
                raise RuntimeError(
                    f"Function {self._cls.__name__}Backward returned an invalid gradient at "
                    f"index {i} - got {list(got)} but expected shape compatible with "
                    f"{list(want)}"
                )
            if gr is None:
                out.append(None)
            elif tensor_mode:
                out.append(gr)
            else:
                out.append(gr._data if isinstance(gr, TensorBase) else gr)
        return out


def _expandable(shape: tuple, target: tuple) -> bool:
    """Whether ``shape`` broadcasts to ``target`` (trailing axes equal or 1)."""
    if len(shape) > len(target):
        return False
    return all(s in (1, t) for s, t in zip(shape[::-1], target[::-1]))  # noqa: B905


class GradList:
    """The gradients of a multi-output node's outputs (None where none arrived)."""

    __slots__ = ("grads",)

    def __init__(self, grads) -> None:
        self.grads = grads

    def __add__(self, other):
        return GradList(
            [
                a if b is None else b if a is None else a + b
                for a, b in zip(self.grads, other.grads, strict=True)
            ]
        )


def _one_hot(g, index, count):
    grads = [None] * count
    grads[index] = g
    return GradList(grads)


def _selector_prim(cls):
    prim = cls.__dict__.get("_chainrule_select")
    if prim is None:
        prim = Primitive(
            cls.__name__ + "_output",
            lambda xp, fn, *, index, count: None,
            vjp=lambda g, index, count: _one_hot(g, index, count),
            grad_fn=cls.__name__ + "Backward",
            selects=True,
        )
        cls._chainrule_select = prim
    return prim


def _function_prim(cls):
    prim = cls.__dict__.get("_chainrule_prim")
    if prim is None:
        prim = Primitive(
            cls.__name__,
            lambda xp, *inputs, ctx: None,
            vjp=lambda ns, g, ctx: ctx._run_backward(ns, g),
            grad_fn=cls.__name__ + "Backward",
            fit=True,
        )
        cls._chainrule_prim = prim
    return prim


def _input_tangents(cls, args):
    """The inputs' tangents at the active dual level (zeros for tensors without one;
    None for non-tensors), or None when no input has a tangent."""
    if _fwad._state.level is None:
        return None
    tans = [_fwad.tangent_of(a) if isinstance(a, TensorBase) else None for a in args]
    if all(t is None for t in tans):
        return None
    if cls.jvp is Function.jvp:
        Function.jvp(None)  # raises PyTorch's error: no forward-mode rule
    batch = _fwad._state.level.batch
    return [
        a._new(_backend.namespace(a._data).zeros(batch + a._data.shape, a._data.dtype))
        if t is None and isinstance(a, TensorBase)
        else t
        for a, t in zip(args, tans, strict=True)
    ]


def _with_tangents(cls, ctx, out, tangents):
    """Attach the tangents ``cls.jvp`` gives to the forward's outputs."""
    lvl = _fwad._state.level
    _fwad._state.level = None  # the rule itself runs without forward mode
    try:
        res = cls.jvp(ctx, *tangents)
    finally:
        _fwad._state.level = lvl
    outs = (out,) if isinstance(out, TensorBase) else tuple(out)
    res = (res,) if isinstance(res, TensorBase) or res is None else tuple(res)
    if len(res) != len(outs):
        raise RuntimeError(
            f"function {cls.__name__}.jvp returned {len(res)} tangents for {len(outs)} outputs"
        )
    fresh = []
    for o, t in zip(outs, res, strict=True):
        if any(o is a for a in tangents) or getattr(o, "_fw", None) is not None:
            o = o._new(o._data)  # not an input's own object
        if t is not None:
            _fwad.attach(o, lvl, t)
        fresh.append(o)
    return fresh[0] if isinstance(out, TensorBase) else tuple(fresh)


class Function:
    """Subclass with static ``forward(ctx, *args)`` and ``backward(ctx, *grads)``, then call
    ``apply``. backward returns one gradient (or None) per forward input."""

    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise NotImplementedError(
            "You must implement the forward function for custom autograd.Function."
        )

    @staticmethod
    def backward(ctx, *grads):
        raise NotImplementedError(
            "You must implement either the backward or vjp method for your custom "
            "autograd.Function to use it with backward mode AD."
        )

    @staticmethod
    def jvp(ctx, *tangents):
        """Forward mode: the outputs' tangents from the inputs' (one per forward input;
        None for non-tensor inputs). Define it to use the Function under forward mode."""
        raise NotImplementedError(
            "You must implement the jvp function for custom autograd.Function to use it with "
            "forward mode AD."
        )

    @classmethod
    def apply(cls, *args, **kwargs):
        Tensor = TensorBase
        ctx = FunctionCtx()
        ctx._cls = cls
        ctx.needs_input_grad = tuple(isinstance(a, Tensor) and a._rg for a in args)
        tangents = _input_tangents(cls, args)
        with _gm.no_grad():
            out = cls.forward(ctx, *args, **kwargs)
        if tangents is not None:
            out = _with_tangents(cls, ctx, out, tangents)
        if not (_gm.is_grad_enabled() and any(ctx.needs_input_grad)):
            return out
        outs = (out,) if isinstance(out, Tensor) else tuple(out)
        if not all(isinstance(o, Tensor) for o in outs):
            raise TypeError("autograd.Function.forward must return a Tensor or a tuple of Tensors")
        outs = tuple(
            o._new(o._data) if o._node is not None or any(o is a for a in args) else o for o in outs
        )
        ctx._out_meta = [(o._data.shape, o._data.dtype, _backend.namespace(o._data)) for o in outs]
        ctx._new = outs[0]._new  # a static method: holds no reference to the output
        prim = _function_prim(cls)
        node = Node.__new__(prim.plan.node_cls)
        node.prim = prim
        node.next = tuple(
            edge(a) if need else None for a, need in zip(args, ctx.needs_input_grad, strict=True)
        )
        node.shapes = tuple(getattr(getattr(a, "_data", None), "shape", None) for a in args)
        ctx._in_shapes = node.shapes
        node.dtypes = tuple(getattr(getattr(a, "_data", None), "dtype", None) for a in args)
        node.fits = -1  # every input's gradient is checked against its shape and dtype
        node.saved = {"ctx": ctx}
        node.checks = []  # nothing to check here; non-None so that backward frees ctx
        node.pre_hooks = None
        if tangents is not None:  # the new output tensors keep the tangents
            olds = (out,) if isinstance(out, Tensor) else tuple(out)
            for o, old in zip(outs, olds, strict=True):
                fw = getattr(old, "_fw", None)
                if o is not old and fw is not None:
                    _fwad.attach(o, fw[0], fw[1])
        if len(outs) == 1:
            outs[0]._node = node
            outs[0]._rg = True
            return outs[0]
        sel = _selector_prim(cls)
        for i, o in enumerate(outs):
            s = Node.__new__(sel.plan.node_cls)
            s.prim = sel
            s.next = [node]
            s.saved = {"index": i, "count": len(outs)}
            s.checks = None
            s.pre_hooks = None
            s.shapes = None
            o._node = s
            o._rg = o._data.dtype.kind == "f"
        return outs
