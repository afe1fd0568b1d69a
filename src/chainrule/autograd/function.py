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

from ..ops import primitive as _p
from . import grad_mode as _gm
from .graph import ERR_BACKWARD_TWICE


class FunctionCtx:
    """The ``ctx`` passed to forward and backward: saved tensors and which inputs need grad."""

    def __init__(self) -> None:
        self._saved = ()
        self._versions = ()
        self._freed = False
        self.needs_input_grad = ()
        self.materialize_grads = True
        self._cls = None

    def save_for_backward(self, *tensors) -> None:
        self._saved = tensors
        self._versions = tuple(t._version[0] if t is not None else None for t in tensors)

    @property
    def saved_tensors(self) -> tuple:
        if self._freed:
            raise RuntimeError(ERR_BACKWARD_TWICE)
        for t, v in zip(self._saved, self._versions, strict=True):
            if t is not None and t._version[0] != v:
                raise RuntimeError(
                    "one of the variables needed for gradient computation has been modified by "
                    f"an inplace operation: [{list(t._data.shape)}] is at version "
                    f"{t._version[0]}; expected version {v} instead."
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
        Tensor = _p._Tensor
        tensor_mode = not isinstance(ns, _p.ArrayNS)
        gt = g if tensor_mode else Tensor.__new__(Tensor)._init(g)
        with _gm.set_grad_enabled(tensor_mode):
            grads = self._cls.backward(self, gt)
        if not isinstance(grads, tuple):
            grads = (grads,)
        n = len(self.needs_input_grad)
        if len(grads) < n:
            raise RuntimeError(
                f"function {self._cls.__name__}Backward returned an incorrect number of "
                f"gradients (expected {n}, got {len(grads)})"
            )
        out = []
        for gr in grads[:n]:
            if gr is None:
                out.append(None)
            elif tensor_mode:
                out.append(gr)
            else:
                out.append(gr._data if isinstance(gr, Tensor) else gr)
        return out


def _function_prim(cls):
    prim = cls.__dict__.get("_chainrule_prim")
    if prim is None:
        prim = _p.Primitive(
            cls.__name__,
            lambda xp, *inputs, ctx: None,
            (lambda ns, g, ctx: ctx._run_backward(ns, g),),
            cls.__name__ + "Backward",
            False,
            False,
            False,
            False,
            True,
        )
        cls._chainrule_prim = prim
    return prim


class Function:
    """Subclass with static ``forward(ctx, *args)`` and ``backward(ctx, *grads)``, then call
    ``apply``. backward returns one gradient (or None) per forward input."""

    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise NotImplementedError("You must implement the forward function for custom autograd.Function.")

    @staticmethod
    def backward(ctx, *grads):
        raise NotImplementedError("You must implement either the backward or vjp method for your custom autograd.Function to use it with backward mode AD.")

    @classmethod
    def apply(cls, *args, **kwargs):
        Tensor = _p._Tensor
        ctx = FunctionCtx()
        ctx._cls = cls
        ctx.needs_input_grad = tuple(isinstance(a, Tensor) and a._rg for a in args)
        with _gm.no_grad():
            out = cls.forward(ctx, *args, **kwargs)
        if not (_gm.is_grad_enabled() and any(ctx.needs_input_grad)):
            return out
        if not isinstance(out, Tensor):
            raise NotImplementedError(
                "chainrule's autograd.Function supports forward returning a single Tensor"
            )
        if out._node is not None or any(out is a for a in args):
            out = _p._Tensor.__new__(Tensor)._init(out._data)
        node = _p.Node.__new__(_p.Node)
        node.prim = _function_prim(cls)
        node.next = tuple(
            _p.edge(a) if need else None for a, need in zip(args, ctx.needs_input_grad, strict=True)
        )
        node.shapes = tuple(getattr(getattr(a, "_data", None), "shape", None) for a in args)
        node.dtypes = tuple(getattr(getattr(a, "_data", None), "dtype", None) for a in args)
        node.saved = {"ctx": ctx}
        node.checks = []  # nothing to check here; non-None so that backward frees ctx
        node.pre_hooks = None
        out._node = node
        out._rg = True
        return out
