"""``chainrule.viz.graph`` of an explicit graph (``chainrule.sym``): the graph as written.

An explicit graph has no backward pass of its own to draw: it is data, nodes and the
edges between them, and its gradient is another graph of the same kind (``sym.grad``).
So the picture shows the nodes as ``Symbol.listing`` numbers them: each variable (blue,
its name, dtype and shape), each constant (dashed grey, its value when all its elements
are equal), each op of the table (its primitive, its node number, dtype and shape, its
parameters), and the outputs (green, named as in the caller). Arrows run the way the
data flows, from an input to the op that uses it, labelled ``input i`` (or the parameter
that holds it: a mask, an index); the outputs are drawn on top, as in the pictures of
eager graphs. A value and its gradient graphs drawn together show the nodes they share.

>>> from chainrule import sym, viz
>>> a = sym.var("a", (3,)); b = sym.var("b", (3,))
>>> c = 2 * a + b
>>> print(viz.graph(c))
<chainrule.viz.SymbolGraph of c: 2 ops, variables a, b, 1 constant>
  %0 var a                 float32[3]
  %1 mul(2, %0)            float32[3]
  %2 var b                 float32[3]
  %3 add(%1, %2)           float32[3]  <- c
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..ops.symbolic import SymArray, walk
from ..sym.printing import array_text, fill_value, number_text, param_text, type_text
from .picture import Picture, _q

__all__ = ["SymbolGraph", "draw_symbolic", "is_symbolic"]

_STYLE = {
    "output": 'shape=box, style="rounded,filled", fillcolor="#c8e6c9"',
    "op": 'shape=box, style="rounded,filled", fillcolor="#ffffff"',
    "var": 'shape=box, style="rounded,filled", fillcolor="#bbdefb"',
    "const": 'shape=box, style="rounded,dashed", color="#9e9e9e", fontcolor="#757575"',
}


@dataclass
class SymItem:
    """One box: kind is "var", "const", "op" or "output"; ``lines`` its label."""

    key: str
    kind: str
    lines: list = field(default_factory=list)
    node: SymArray | None = None


@dataclass
class SymEdge:
    """Data flowing from ``src`` into ``dst`` as its ``label`` (``input 0``, ``mask``)."""

    src: str
    dst: str
    label: str = ""


def is_symbolic(y) -> bool:
    """Whether ``y`` (a tensor, or a list or tuple of them) is a graph of chainrule.sym."""
    ys = y if isinstance(y, (list, tuple)) else [y]
    return bool(ys) and all(type(getattr(t, "_data", None)) is SymArray for t in ys)


class SymbolGraph(Picture):
    """An explicit graph as ``chainrule.viz.graph`` draws it.

    ``.source`` (or ``.dot``): DOT text; ``.svg()``, ``.save(path)`` and Jupyter as for
    ``viz.Graph``. ``.items`` (key -> SymItem) and ``.edges`` hold what is drawn.

    >>> from chainrule import sym, viz
    >>> x = sym.var("x", ())
    >>> y = x * x
    >>> (dx,) = sym.grad(y, [x])
    >>> g = viz.graph([y, dx], names={"y": y, "dx": dx})
    >>> [it.lines[0] for it in g.items.values() if it.kind == "output"]
    ['y', 'dx']
    """

    def __init__(self, items: dict, edges: list, outputs: list, listing: list) -> None:
        self.items = items
        self.edges = edges
        self.outputs = outputs
        self._listing = listing

    @property
    def source(self) -> str:
        """The graph in Graphviz's DOT language (data flows up, from inputs to ops)."""
        out = [
            "digraph chainrule_sym {",
            "  graph [rankdir=BT, fontname=Helvetica, fontsize=11];",
            '  node [fontname=Helvetica, fontsize=10, margin="0.15,0.06"];',
            "  edge [fontname=Helvetica, fontsize=9];",
        ]
        for key, it in self.items.items():
            out.append(f"  {key} [label={_q(chr(10).join(it.lines))}, {_STYLE[it.kind]}];")
        for e in self.edges:
            attr = f" [label={_q(e.label)}]" if e.label else ""
            out.append(f"  {e.src} -> {e.dst}{attr};")
        out.append("}")
        return "\n".join(out) + "\n"

    dot = source

    def __repr__(self) -> str:
        kinds = [it.kind for it in self.items.values()]
        names = [it.lines[0] for it in self.items.values() if it.kind == "var"]
        outs = ", ".join(self.outputs)
        nconst = kinds.count("const")
        return (
            f"<chainrule.viz.SymbolGraph of {outs}: {kinds.count('op')} ops, variables "
            f"{', '.join(names) or '-'}, {nconst} constant{'' if nconst == 1 else 's'}>"
        )

    def __str__(self) -> str:
        return "\n".join([repr(self), *(f"  {line}" for line in self._listing)])


def draw_symbolic(y, names: dict) -> SymbolGraph:
    """The picture of the graphs behind ``y`` (a Symbol, or a list of them); ``names``
    maps names to symbols (outputs and inner nodes take them as labels)."""
    ys = list(y) if isinstance(y, (list, tuple)) else [y]
    outs = [t._data for t in ys]
    label: dict = {}
    for k, v in names.items():
        d = getattr(v, "_data", None)
        if type(d) is SymArray and d.kind == "op":
            label.setdefault(id(d), k)
    order = walk(outs)
    num = {id(n): i for i, n in enumerate(order)}

    def ref(x):
        return f"%{num[id(x)]}" if type(x) is SymArray else number_text(x)

    items: dict = {}
    edges: list = []
    listing: list = []
    for i, n in enumerate(order):
        key = f"n{i}"
        if n.kind == "var":
            items[key] = SymItem(key, "var", [n.name, f"%{i}  {type_text(n)}"], n)
            body = f"var {n.name}"
        elif n.kind == "const":
            text = _const_text(n)
            items[key] = SymItem(key, "const", [text, f"%{i}  const {type_text(n)}"], n)
            body = "const" if text == "const" else f"const {text}"
        else:
            title = n.prim.name if id(n) not in label else f"{label[id(n)]} = {n.prim.name}"
            lines = [title, f"%{i}  {type_text(n)}"]
            many = len(n.inputs) > 1
            for j, x in enumerate(n.inputs):
                what = f"input {j}" if many else ""
                if type(x) is SymArray:
                    edges.append(SymEdge(f"n{num[id(x)]}", key, what))
                else:  # a Python number: a small constant box of its own
                    lit = f"{key}_in{j}"
                    items[lit] = SymItem(lit, "const", [number_text(x), "number"])
                    edges.append(SymEdge(lit, key, what))
            for k, v in (n.params or {}).items():
                syms = [v] if type(v) is SymArray else []
                if type(v) in (tuple, list):
                    syms = [x for x in v if type(x) is SymArray]
                for s in syms:
                    edges.append(SymEdge(f"n{num[id(s)]}", key, k))
                lines.append(f"{k}={param_text(v, ref)}")
            items[key] = SymItem(key, "op", lines, n)
            args = [ref(x) for x in n.inputs]
            args += [f"{k}={param_text(v, ref)}" for k, v in (n.params or {}).items()]
            body = f"{n.prim.name}({', '.join(args)})"
        listing.append(f"{f'%{i} {body}':<24} {type_text(n)}")
    out_names = []
    for k, o in enumerate(outs):
        name = label.get(id(o)) or next(
            (nm for nm, v in names.items() if getattr(v, "_data", None) is o), None
        )
        if name is None:
            name = f"out {k}" if len(outs) > 1 else "out"
        out_names.append(name)
        key = f"out{k}"
        items[key] = SymItem(key, "output", [name, type_text(o)])
        edges.append(SymEdge(f"n{num[id(o)]}", key))
        listing[num[id(o)]] += f"  <- {name}"
    return SymbolGraph(items, edges, out_names, listing)


def _const_text(n: SymArray) -> str:
    f = fill_value(n)
    if f is not None:
        return number_text(f)
    text = array_text(n.value, "const")  # its values where small (the box shows its type)
    return "const" if text.startswith("const(") else text
