"""The recorded graph's data: a Node per recorded op (PyTorch's ``grad_fn``), an
AccumulateGrad per leaf that requires grad, and the edges between them.

A node knows its primitive (whose rules backward runs), where each input's gradient goes
(``next``: another Node, a leaf's AccumulateGrad, or None), and what its rules saved. The
recorder (``ops.apply``) builds nodes; the engine (``autograd.engine``) walks them.

>>> import chainrule as torch
>>> x = torch.ones(2, requires_grad=True)
>>> y = (x * 2).sum()
>>> y.grad_fn.name(), y.grad_fn.next_functions[0][0].name()
('SumBackward0', 'MulBackward0')
"""

from __future__ import annotations

from weakref import ref as _weakref


class Node:
    """A recorded op: what backward needs to run its rules (PyTorch's grad_fn).

    ``next`` lists, per input, the node its gradient flows to: another Node, an
    AccumulateGrad for a leaf that requires grad, or None. ``saved`` holds what the
    rules named (see ``ops.primitive``); ``checks`` pairs each saved tensor's version
    counter with its version when saved. ``shapes``/``dtypes``/``fits`` are set only when
    some input's gradient must be summed back or cast (broadcasting, promotion).
    """

    __slots__ = (
        "prim",
        "next",
        "saved",
        "checks",
        "shapes",
        "dtypes",
        "fits",
        "pre_hooks",
        "__weakref__",
    )

    def name(self) -> str:
        return self.prim.grad_fn

    @property
    def next_functions(self) -> tuple:
        return tuple(
            (n.next[0], n.saved["index"]) if isinstance(n, Node) and n.prim.selects else (n, 0)
            for n in self.next
        )

    @property
    def metadata(self) -> dict:
        return {}

    def register_hook(self, fn):
        """Hook on this node's incoming gradient (before its rules run)."""
        if self.pre_hooks is None:
            self.pre_hooks = []
        self.pre_hooks.append(fn)
        return RemovableHandle(self.pre_hooks, fn)

    register_prehook = register_hook

    def __repr__(self) -> str:
        return f"<{self.prim.grad_fn} object at {hex(id(self))}>"


class AccumulateGrad:
    """The graph node of a leaf that requires grad: backward adds into ``variable.grad``."""

    __slots__ = ("variable", "pre_hooks", "__weakref__")
    next = ()
    next_functions = ()

    def __init__(self, variable) -> None:
        self.variable = variable
        self.pre_hooks = None

    def __call__(self):
        return self  # so a tensor's _accum may hold it strongly or through a weakref alike

    def name(self) -> str:
        return "torch::autograd::AccumulateGrad"

    def __repr__(self) -> str:
        return f"<AccumulateGrad object at {hex(id(self))}>"


class RemovableHandle:
    """Returned by register_hook; ``remove()`` unregisters the hook."""

    __slots__ = ("_hooks", "_fn")

    def __init__(self, hooks: list, fn) -> None:
        self._hooks, self._fn = hooks, fn

    def remove(self) -> None:
        if self._fn in self._hooks:
            self._hooks.remove(self._fn)


def own_leaf():
    """The ``_accum`` of a view made a leaf by its own ``requires_grad_()`` before it has an
    AccumulateGrad: like a dead weak reference, it says "make one"."""
    return None


def edge(t):
    """The node a gradient for tensor ``t`` flows into: its grad_fn, or for a leaf its
    AccumulateGrad (made on first use and held weakly, as PyTorch does); None for a view
    with no history (taken in no_grad mode, or of a base that came to require grad later):
    it requires grad as its base does but gathers no gradient, unless ``requires_grad_()``
    was called on the view itself (``own_leaf``)."""
    n = t._node
    if n is not None:
        return n
    ref = getattr(t, "_accum", None)
    if ref is None and (t._base is not None or getattr(t, "_ngv", False)):
        # a view that requires grad only as its base does: it gathers no .grad (_ngv: a
        # symbolic one, which has no base: ops.apply._symbolic_view)
        return None
    acc = ref() if ref is not None else None
    if acc is None:
        acc = AccumulateGrad(t)
        t._accum = _weakref(acc)
    return acc
