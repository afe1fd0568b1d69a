"""What a picture or a trace shows, read off the recorded graph (no drawing here).

One ``Item`` per thing in the graph: the output, each op node (named like its grad_fn),
each leaf that requires grad (its AccumulateGrad), and each pruned input: an input that
needs no gradient, whose rule backward never runs (the lecture's pruned branches; such
an input leaves a ``None`` in ``node.next``). With ``inputs=``, op nodes and leaves that
lead to none of them are marked pruned too, as ``backward(inputs=...)`` skips them.

Names: the tensors in ``names`` (a mapping of name to Tensor) label the nodes that made
them, the leaves, and the constants whose values a node saved; other nodes get
``v1, v2, ...`` in forward order, other leaves ``leaf1, ...``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from .. import backend as _backend
from ..node import AccumulateGrad, edge
from ..tensor import Tensor
from .record import walk_nodes
from .rules import forward_text

__all__ = ["Item", "Edge", "Model", "describe", "fmt_value", "fmt_type", "caller_names"]


@dataclass
class Item:
    """One box of the picture: kind is "output", "op", "leaf" or "const"."""

    key: str
    kind: str
    title: str
    symbol: str
    node: object = None
    shape: tuple | None = None
    dtype: str | None = None
    requires_grad: bool = False
    expr: str | None = None
    saved: list = field(default_factory=list)
    freed: bool = False
    pruned: str | None = None
    adjoint: object = None


@dataclass
class Edge:
    """A gradient path: from ``src`` (the node whose rule runs) to its input ``index``."""

    src: str
    dst: str
    index: int
    adjoint: object = None
    pruned: str | None = None


@dataclass
class Model:
    """Everything ``graph`` draws and ``trace`` tells, for the graph behind ``output``."""

    root_symbol: str
    items: dict
    edges: list
    by_node: dict
    needed: set | None


def fmt_type(shape, dtype) -> str:
    """``float32[2, 3]`` (``?`` for what the graph did not record)."""
    dt = dtype if dtype is not None else "?"
    if shape is None:
        return f"{dt}[?]"
    return f"{dt}[{', '.join(str(s) for s in shape)}]"


def _num(v) -> str:
    if isinstance(v, bool):
        return str(v)
    if isinstance(v, float):
        if math.isnan(v) or math.isinf(v):
            return str(v)
        return f"{v:.4g}"
    return str(v)


def _nested(v) -> str:
    if isinstance(v, list):
        return "[" + ", ".join(_nested(e) for e in v) + "]"
    return _num(v)


def fmt_value(arr, max_values: int = 6) -> str | None:
    """The values of a small array as nested lists with 4 significant digits (None when it
    has more than ``max_values`` elements).

    >>> import numpy as np
    >>> fmt_value(np.array([7., 14., 1/3])), fmt_value(np.float32(7.0))
    ('[7, 14, 0.3333]', '7')
    """
    size = getattr(arr, "size", 1)
    if size > max_values:
        return None
    if hasattr(arr, "tolist"):
        return _nested(arr.tolist())
    if hasattr(arr, "__array_namespace__"):  # an array API array: no tolist of its own
        return _nested(_backend.tolist(arr))
    return _num(arr)


def caller_names(frame) -> dict:
    """The Tensors bound in a frame (locals first, then globals; names not starting with
    ``_``): the labels a learner gave them."""
    out: dict = {}
    seen: set = set()
    if frame is None:
        return out
    for scope in (frame.f_locals, frame.f_globals):
        for k, v in list(scope.items()):
            if k.startswith("_") or not isinstance(v, Tensor) or id(v) in seen:
                continue
            seen.add(id(v))
            out[k] = v
    return out


def _is_array(v) -> bool:
    return hasattr(v, "shape") and hasattr(v, "dtype") and not isinstance(v, type)


def _saved_lines(node) -> tuple[list, bool]:
    """(one line per saved value, whether backward freed the saved tensors)."""
    lines = []
    saved = node.saved
    ctx = saved.get("ctx")
    if ctx is not None:
        if ctx._freed:
            return [], True
        ts = [fmt_type(t._data.shape, t._data.dtype) for t in ctx._saved if t is not None]
        return ([f"ctx: {', '.join(ts)}"] if ts else []), False
    for k, v in saved.items():
        if _is_array(v):
            lines.append(f"{k}: {fmt_type(v.shape, v.dtype)}")
        else:
            lines.append(f"{k} = {v!r}")
    prim = node.prim
    freed = False
    if prim.vjp is not None:
        needs = tuple(c is not None for c in node.next)
        saves = prim.plan.saves(needs, needs)  # (what the rules that ran asked for)
        want = [n for n in saves if n == "out" or n in prim.plan.input_names]
        freed = any(n not in saved for n in want)
    return lines, freed


def describe(y, names: dict, rec=None, inputs=None, show_pruned: bool = True) -> Model:
    """Read the graph behind ``y`` into a Model (see the module docstring)."""
    root = edge(y) if y._rg else None
    nodes = walk_nodes([root]) if root is not None else []
    # labels from the names given
    node_sym: dict = {}
    leaf_sym: dict = {}
    data_sym: dict = {}
    for k, t in names.items():
        if not isinstance(t, Tensor):
            continue
        if t._node is not None:
            node_sym.setdefault(t._node, k)
        elif t._rg:
            leaf_sym.setdefault(id(t), k)
        data_sym.setdefault(id(t._data), k)

    needed = None
    if inputs is not None:
        needed = _ancestors(nodes, [edge(t) for t in inputs])

    # forward order (inputs before the ops that use them) for the automatic names
    symbols: dict = {}
    n_op = n_leaf = 0
    for n in _forward_order(nodes):
        if type(n) is AccumulateGrad:
            s = leaf_sym.get(id(n.variable))
            if s is None:
                n_leaf += 1
                s = f"leaf{n_leaf}"
        else:
            s = node_sym.get(n)
            if s is None and n is root and "out" not in names:
                s = "out"
            elif s is None:
                n_op += 1
                s = f"v{n_op}"
        symbols[n] = s
    root_symbol = symbols.get(root) or _first_name(names, y) or "out"
    if root is not None and type(root) is not AccumulateGrad:
        symbols[root] = root_symbol

    items: dict = {}
    by_node: dict = {}
    edges: list = []
    out = Item(
        "out",
        "output",
        root_symbol,
        root_symbol,
        shape=tuple(y._data.shape),
        dtype=str(y._data.dtype),
        requires_grad=bool(y._rg),
    )
    if rec is not None and root is not None and root in rec.received:
        out.adjoint = rec.received[root]
    items["out"] = out
    for k, n in enumerate(nodes):
        key = f"n{k}"
        by_node[n] = key
        if type(n) is AccumulateGrad:
            v = n.variable
            it = Item(
                key,
                "leaf",
                symbols[n],
                symbols[n],
                node=n,
                shape=tuple(v._data.shape),
                dtype=str(v._data.dtype),
                requires_grad=True,
            )
        else:
            lines, freed = _saved_lines(n)
            it = Item(key, "op", n.prim.grad_fn, symbols[n], node=n, saved=lines, freed=freed)
            it.requires_grad = True
        if needed is not None and n not in needed:
            it.pruned = "not needed for the requested inputs"
        if rec is not None:
            it.adjoint = rec.incoming(n)
        items[key] = it
    if root is not None:
        edges.append(Edge("out", by_node[root], 0, out.adjoint))

    n_const = 0
    for n in nodes:
        if type(n) is AccumulateGrad:
            continue
        key = by_node[n]
        args = []
        for i, c in enumerate(n.next):
            if c is not None:
                args.append(symbols[c])
                adj = rec.adjoint(n, i) if rec is not None else None
                pr = None
                if needed is not None and (c not in needed or n not in needed):
                    pr = "not needed for the requested inputs"
                edges.append(Edge(key, by_node[c], i, adj, pr))
                continue
            it = _const(n, i, data_sym, f"c{n_const}")
            n_const += 1
            args.append(it.symbol)
            if show_pruned:
                items[it.key] = it
                edges.append(Edge(key, it.key, i, None, it.pruned))
        params = {k: n.saved[k] for k in n.prim.plan.param_names if k in n.saved}
        if n.prim.selects:
            params = {}
        items[key].expr = f"{symbols[n]} = {forward_text(n.prim.name, args, params)}"
    return Model(root_symbol, items, edges, by_node, needed)


def _first_name(names, y):
    for k, t in names.items():
        if t is y:
            return k
    return None


def _const(node, i, data_sym, key) -> Item:
    """The Item for input ``i`` of ``node``, which needs no gradient."""
    prim = node.prim
    names = prim.plan.input_names
    nm = names[i] if i < len(names) else None
    v = node.saved.get(nm) if nm is not None else None
    shape = dtype = None
    if node.shapes is not None and i < len(node.shapes):  # kept where shapes differed
        shape = node.shapes[i]
        d = node.dtypes[i]
        dtype = str(d) if d is not None else None
    if isinstance(v, (int, float, complex)):  # a Python number the forward took
        return Item(key, "const", repr(v), repr(v), pruned="a constant: no gradient needed")
    symbol = "const"
    if _is_array(v):
        shape, dtype = tuple(v.shape), str(v.dtype)
        symbol = data_sym.get(id(v), symbol)
    return Item(
        key,
        "const",
        symbol,
        symbol,
        shape=shape,
        dtype=dtype,
        pruned="does not require grad: backward skips this branch",
    )


def _ancestors(nodes, targets) -> set:
    """The nodes with a path to one of ``targets`` (targets included)."""
    parents: dict = {}
    for n in nodes:
        for c in n.next:
            if c is not None:
                parents.setdefault(c, []).append(n)
    have = set(nodes)
    out = {t for t in targets if t in have}
    stack = list(out)
    while stack:
        c = stack.pop()
        for p in parents.get(c, ()):
            if p not in out:
                out.add(p)
                stack.append(p)
    return out


def _forward_order(nodes) -> list:
    """The nodes with every input before the op that uses it (iterative DFS postorder)."""
    if not nodes:
        return []
    order: list = []
    start = nodes[0]  # the root: every node is reachable from it
    done = {start}
    stack = [(start, iter([c for c in start.next if c is not None]))]
    while stack:
        n, it = stack[-1]
        c = next(it, None)
        if c is None:
            stack.pop()
            order.append(n)
        elif c not in done:
            done.add(c)
            stack.append((c, iter([d for d in c.next if d is not None])))
    return order
