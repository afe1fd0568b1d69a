"""``chainrule.viz.graph``: a picture of the graph that backward walks.

DOT text needs nothing beyond chainrule; SVG needs the ``graphviz`` Python package and
Graphviz's ``dot`` program (the optional extra ``viz``), imported only when asked for.
"""

from __future__ import annotations

import inspect

from .model import Model, caller_names, describe, fmt_type, fmt_value
from .picture import Picture, _q
from .record import run_recorded
from .symbolic import draw_symbolic, is_symbolic

__all__ = ["Graph", "graph"]

_STYLE = {
    "output": 'style="rounded,filled", fillcolor="#c8e6c9"',
    "op": 'style="rounded,filled", fillcolor="#ffffff"',
    "leaf": 'style="rounded,filled", fillcolor="#bbdefb"',
    "const": 'style="rounded,dashed", color="#9e9e9e", fontcolor="#757575"',
}
_PRUNED = 'style="rounded,dashed", color="#9e9e9e", fontcolor="#757575"'


class Graph(Picture):
    """The computation graph behind a tensor, as ``chainrule.viz.graph`` returns it.

    ``.source`` (or ``.dot``): DOT text. ``.svg()``: SVG text (graphviz package and the
    ``dot`` program). ``.save(path)``: ``.svg`` or ``.dot`` by the file's suffix. In
    Jupyter it shows itself as SVG, or as text when Graphviz is missing. ``.items`` and
    ``.edges`` hold what is drawn, for programs.

    >>> import chainrule as torch
    >>> from chainrule import viz
    >>> w = torch.ones(2, requires_grad=True)
    >>> g = viz.graph((w * w).sum(), names={"w": w})
    >>> "MulBackward0" in g.source and "SumBackward0" in g.source
    True
    """

    def __init__(self, model: Model, max_values: int = 6, title: str | None = None) -> None:
        self.model = model
        self.items = model.items
        self.edges = model.edges
        self.max_values = max_values
        self.title = title

    # ------------------------------------------------------------------ text
    def _adj(self, arr, target_symbol: str) -> str:
        r = self.model.root_symbol
        name = f"d{r}/d{target_symbol}"
        val = fmt_value(arr, self.max_values)
        typ = fmt_type(arr.shape, arr.dtype) if hasattr(arr, "shape") else ""
        return f"{name} = {val}\n{typ}" if val is not None else f"{name}\n{typ}"

    def _label(self, it) -> str:
        if it.kind == "output":
            lines = [it.symbol, fmt_type(it.shape, it.dtype)]
            if self.model.by_node:  # the first node is the root
                head = self.items[next(iter(self.model.by_node.values()))]
                if head.kind == "op":
                    lines.append(f"grad_fn={head.title}")
            return "\n".join(lines)
        if it.kind == "op":
            lines = [it.title]
            if it.expr:
                lines.append(it.expr)
            if it.freed:
                lines.append("saved: freed by backward")
            lines += [f"saved {s}" for s in it.saved if not it.freed or " = " in s]
            if it.pruned:
                lines.append(f"(pruned: {it.pruned})")
            return "\n".join(lines)
        if it.kind == "leaf":
            lines = [it.symbol, fmt_type(it.shape, it.dtype), "requires_grad=True"]
            if it.adjoint is not None:
                lines.append(f"adjoint {self._adj(it.adjoint, it.symbol).splitlines()[0]}")
            if it.pruned:
                lines.append(f"(pruned: {it.pruned})")
            return "\n".join(lines)
        # a pruned input (constant, or a tensor that does not require grad)
        if it.shape is None and it.dtype is None and it.pruned.startswith("a constant"):
            return f"{it.symbol}\nconstant\n(pruned)"
        lines = [it.symbol]
        if it.shape is not None:
            lines.append(fmt_type(it.shape, it.dtype))
        lines += ["requires_grad=False", "(pruned)"]
        return "\n".join(lines)

    @property
    def source(self) -> str:
        """The graph in Graphviz's DOT language: edges run from each op to its inputs, the
        way the adjoints flow in backward; dashed grey marks what backward prunes."""
        out = [
            "digraph chainrule {",
            "  graph [rankdir=TB, fontname=Helvetica, fontsize=11"
            + (f", label={_q(self.title)}, labelloc=t" if self.title else "")
            + "];",
            '  node [shape=box, fontname=Helvetica, fontsize=10, margin="0.15,0.06"];',
            "  edge [fontname=Helvetica, fontsize=9];",
        ]
        for key, it in self.items.items():
            style = _PRUNED if it.pruned and it.kind != "const" else _STYLE[it.kind]
            out.append(f"  {key} [label={_q(self._label(it))}, {style}];")
        for e in self.edges:
            attrs = []
            dst = self.items[e.dst]
            if e.adjoint is not None:
                attrs.append(f"label={_q(self._adj(e.adjoint, dst.symbol))}")
            elif e.pruned:
                attrs.append('label="pruned"')
            elif self.items[e.src].kind != "output":
                attrs.append(f"label={_q(f'input {e.index}')}")
            if e.pruned:
                attrs.append('style=dashed, color="#9e9e9e", fontcolor="#757575"')
            out.append(f"  {e.src} -> {e.dst}" + (f" [{', '.join(attrs)}]" if attrs else "") + ";")
        out.append("}")
        return "\n".join(out) + "\n"

    dot = source

    def __str__(self) -> str:
        lines = [repr(self)]
        for it in self.items.values():
            if it.kind == "op":
                lines.append(f"  {it.title:<22} {it.expr or ''}")
            elif it.kind == "leaf":
                lines.append(f"  {'leaf':<22} {it.symbol}: {fmt_type(it.shape, it.dtype)}")
            elif it.kind == "const":
                lines.append(f"  {'pruned input':<22} {it.symbol}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        kinds = [it.kind for it in self.items.values()]
        leaves = ", ".join(it.symbol for it in self.items.values() if it.kind == "leaf")
        return (
            f"<chainrule.viz.Graph of {self.model.root_symbol}: {kinds.count('op')} ops, "
            f"leaves {leaves or '-'}, {kinds.count('const')} pruned inputs>"
        )


def graph(
    y,
    *,
    names: dict | None = None,
    adjoints=None,
    backward: bool = False,
    gradient=None,
    inputs=None,
    show_pruned: bool = True,
    max_values: int = 6,
) -> Graph:
    """The computation graph that ``y.backward()`` walks, ready to draw.

    One box per op, named like its grad_fn (``MulBackward0``), with what it computes
    (``b = a - y``) and the shapes of the tensors it saved for backward; one per leaf that
    requires grad (blue) with its shape and dtype; the output in green. Arrows run from
    each op to its inputs, the direction adjoints flow. Inputs that need no gradient
    (constants, tensors without requires_grad) are the branches backward prunes: drawn
    dashed and grey, or left out with ``show_pruned=False``. With ``inputs=[...]``, the
    ops and leaves that lead to none of them are drawn pruned as well.

    Adjoints on the edges (``dz/db = 7``, with shape; the values when at most
    ``max_values``): either ``backward=True``, which runs reverse accumulation itself
    without touching ``.grad`` or freeing the graph (as ``autograd.grad`` with
    ``retain_graph=True``; ``gradient`` seeds a non-scalar ``y``), or the recording of a
    backward you ran: ``with viz.record(y) as rec: y.backward()`` then
    ``graph(y, adjoints=rec)``. After a backward without ``retain_graph`` the saved
    tensors show as freed.

    Labels: ``names`` maps names to tensors; by default the tensors bound to names where
    graph is called (``names={}`` turns that off). Others read ``v1, v2, ...``.

    >>> import chainrule as torch
    >>> from chainrule import viz
    >>> x = torch.tensor([1., 2., 3.]); w = torch.tensor([1., 0., -1.], requires_grad=True)
    >>> y = torch.tensor(1.)
    >>> a = torch.dot(x, w); b = a - y; z = b ** 2
    >>> g = viz.graph(z, backward=True)
    >>> print(g)  # doctest: +NORMALIZE_WHITESPACE
    <chainrule.viz.Graph of z: 3 ops, leaves w, 3 pruned inputs>
      PowBackward0           z = b ** 2
      SubBackward0           b = a - const
      DotBackward0           a = <x, w>
      leaf                   w: float32[3]
      pruned input           2
      pruned input           const
      pruned input           x
    """
    if names is None:
        frame = inspect.currentframe()
        names = caller_names(frame.f_back if frame is not None else None)
        del frame
    if is_symbolic(y):  # an explicit graph (chainrule.sym): drawn as written
        return draw_symbolic(y, names)
    rec = adjoints
    if backward:
        if adjoints is not None:
            raise ValueError("chainrule.viz.graph: give adjoints= or backward=True, not both")
        rec, inputs_used, _ = run_recorded(y, inputs, gradient)
    if inputs is not None and not isinstance(inputs, (list, tuple)):
        inputs = [inputs]
    model = describe(y, names, rec, inputs, show_pruned)
    return Graph(model, max_values)
