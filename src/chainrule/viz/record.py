"""Watching a backward pass: the adjoint that flows along every edge of the graph.

The engine calls each function in ``chainrule.autograd.engine.observers`` with every
gradient a node's rule hands to one of its inputs. ``record()`` adds one such observer
for the length of a ``with`` block and keeps a copy of each gradient, so that
``chainrule.viz.graph`` and ``chainrule.viz.trace`` can show them afterwards.
"""

from __future__ import annotations

from ..autograd import engine as _engine
from ..autograd.api import grad
from ..node import AccumulateGrad, edge
from ..tensor import Tensor

__all__ = ["Recording", "record", "walk_nodes"]


def _array(g):
    """A private copy of a gradient (a raw array, or a Tensor under create_graph): the
    engine may later add into the same buffer (gradient accumulation)."""
    arr = getattr(g, "_data", g)
    grads = getattr(arr, "grads", None)
    if grads is not None:
        # a multi-output Function's gradients (a GradList): shown as the first output's,
        # the one its selector hands on (the others are shown on their own edges)
        arr = next((x for x in grads if x is not None), None)
        arr = getattr(arr, "_data", arr)
        if arr is None:
            return None
    return arr.copy() if hasattr(arr, "copy") else arr


def walk_nodes(roots) -> list:
    """Every node reachable from ``roots`` (Nodes and AccumulateGrads), breadth first."""
    seen = set()
    order = []
    queue = [n for n in roots if n is not None]
    while queue:
        nxt = []
        for n in queue:
            if n in seen:
                continue
            seen.add(n)
            order.append(n)
            nxt.extend(c for c in n.next if c is not None)
        queue = nxt
    return order


class Recording:
    """The adjoints seen during the backward passes run inside ``record()``.

    ``edges[(node, i)]``: the gradient node's rule handed to its input ``i``;
    ``received[node]``: the total adjoint a node received before its rules ran (only for
    the nodes behind the outputs given to ``record``, the output's seed included);
    ``order``: the nodes in the order backward visited them. Gradients of several passes
    in one block add up, as ``.grad`` does. The recording holds the nodes it saw.

    >>> import chainrule as torch
    >>> from chainrule import viz
    >>> w = torch.tensor([1., 2.], requires_grad=True)
    >>> z = (3 * w).sum()
    >>> with viz.record(z) as rec:
    ...     z.backward()
    >>> rec.adjoint(z.grad_fn, 0).tolist()
    [1.0, 1.0]
    """

    def __init__(self) -> None:
        self.edges: dict = {}
        self.received: dict = {}
        self.order: list = []
        self._seen: set = set()
        self._into: dict | None = None  # node -> sum of the recorded edges into it

    def _visit(self, node) -> None:
        if node not in self._seen:
            self._seen.add(node)
            self.order.append(node)

    def _edge(self, node, i, child, g) -> None:
        self._visit(node)
        self._into = None
        key = (node, i)
        arr = _array(g)
        prev = self.edges.get(key)
        self.edges[key] = arr if prev is None else prev + arr

    def _receive(self, node, g) -> None:
        self._visit(node)
        grads = getattr(getattr(g, "_data", g), "grads", None)
        if grads is not None:  # a multi-output Function receives one gradient per output
            self.received[node] = tuple(None if x is None else _array(x) for x in grads)
            return
        arr = _array(g)
        prev = self.received.get(node)
        self.received[node] = arr if prev is None else prev + arr

    def adjoint(self, node, i: int):
        """The gradient ``node`` passed to its input ``i`` (a backend array), or None."""
        return self.edges.get((node, i))

    def incoming(self, node):
        """The adjoint ``node`` received: recorded directly, else the sum of the recorded
        edges into it from the nodes this recording saw (None when nothing arrived)."""
        if node in self.received:
            return self.received[node]
        if self._into is None:
            into: dict = {}
            for (parent, i), g in self.edges.items():
                c = parent.next[i]
                into[c] = g if c not in into else into[c] + g
            self._into = into
        return self._into.get(node)

    def __len__(self) -> int:
        return len(self.edges)

    def __repr__(self) -> str:
        return f"<Recording of {len(self.edges)} edge adjoints over {len(self.order)} nodes>"


class record:
    """Record the adjoints of the backward passes run inside a ``with`` block.

    Pass the outputs you will call backward on (``record(loss)``) to also capture the
    adjoint each node receives, starting with the seed ``d loss/d loss``; without them only
    the gradients along edges are recorded. Nothing is changed in the graph: the observer
    and hooks are removed when the block ends, even on error.

    >>> import chainrule as torch
    >>> from chainrule import viz
    >>> x = torch.tensor(3., requires_grad=True)
    >>> y = x * x
    >>> with viz.record(y) as rec:
    ...     y.backward()
    >>> float(rec.incoming(y.grad_fn)), float(rec.adjoint(y.grad_fn, 0))
    (1.0, 3.0)
    """

    def __init__(self, *outputs) -> None:
        self.recording = Recording()
        self._outputs = outputs
        self._hooked: list = []

    def __enter__(self) -> Recording:
        rec = self.recording
        roots = [edge(t) for t in self._outputs if t._rg]
        try:
            for node in walk_nodes(roots):
                self._hook(node, rec)
        except BaseException:
            self._unhook()
            raise
        _engine.observers.append(rec._edge)
        return rec

    def _hook(self, node, rec) -> None:
        def hook(g, node=node):
            if g is not None and getattr(g, "_data", None) is not None:
                rec._receive(node, g)

        had = node.pre_hooks
        if had is None:
            node.pre_hooks = []
        node.pre_hooks.append(hook)
        self._hooked.append((node, hook, had is None))

    def _unhook(self) -> None:
        for node, hook, was_none in self._hooked:
            hooks = node.pre_hooks
            if hooks is not None and hook in hooks:
                hooks.remove(hook)
            if was_none and not hooks:
                node.pre_hooks = None
        self._hooked = []

    def __exit__(self, *exc) -> None:
        try:
            obs = _engine.observers
            fn = self.recording._edge
            for i in range(len(obs) - 1, -1, -1):
                if obs[i] == fn:
                    del obs[i]
                    break
        finally:
            self._unhook()


def run_recorded(y, inputs=None, gradient=None) -> tuple:
    """Run reverse accumulation from ``y`` under a recording, leaving ``.grad`` and the
    graph as they were (``autograd.grad`` with ``retain_graph=True``).

    Returns (recording, gradients of the inputs); inputs default to every leaf that
    requires grad behind ``y``.
    """
    if not y._rg:
        raise RuntimeError(
            "element 0 of tensors does not require grad and does not have a grad_fn: "
            "nothing to differentiate (create the leaves with requires_grad=True)"
        )
    if inputs is None:
        inputs = [n.variable for n in walk_nodes([edge(y)]) if type(n) is AccumulateGrad]
    elif isinstance(inputs, Tensor):
        inputs = [inputs]
    inputs = list(inputs)
    with record(y) as rec:
        grads = grad(y, inputs, grad_outputs=gradient, retain_graph=True, allow_unused=True)
    return rec, inputs, grads
