"""``chainrule.viz.trace``: reverse accumulation told step by step, as in the lecture.

For z = (<x, w> - y)^2 written a = <x, w>, b = a - y, z = b**2, backward starts from
dz/dz = 1 and visits z's node, then b's, then a's, each time multiplying the adjoint it
received by the local derivative of its op and handing the product to its inputs, until
the leaves hold dz/dw = 2b x. Inputs that need no gradient are never visited.
"""

from __future__ import annotations

import inspect
import re
import sys

from ..node import edge
from ..ops.primitive import PASS
from ..tensor import Tensor
from .model import caller_names, describe, fmt_type, fmt_value
from .record import run_recorded
from .rules import rule_text

__all__ = ["trace"]

_NAMED = re.compile(r"^\w+\(([\w, ]*)\)")


def _value(arr, max_values: int) -> str:
    if isinstance(arr, tuple):  # one gradient per output of a multi-output Function
        return "(" + ", ".join("None" if a is None else _value(a, max_values) for a in arr) + ")"
    v = fmt_value(arr, max_values)
    typ = fmt_type(arr.shape, arr.dtype) if hasattr(arr, "shape") else ""
    return f"{v}  ({typ})" if v is not None else f"({typ})"


def trace(
    y,
    inputs=None,
    file=None,
    *,
    gradient=None,
    names: dict | None = None,
    show: bool = True,
    max_values: int = 6,
) -> str:
    """Run reverse accumulation from ``y`` and tell each step; returns the text.

    For every node in the order backward visits it: the op (named like its grad_fn) and
    what it computed, the adjoint it receives (``dz/db``), and for each input the rule it
    runs (read from chainrule's derivative table: the local derivative times the adjoint)
    and the adjoint it passes on. Inputs that need no gradient are reported as pruned
    branches, and so are nodes that lead to none of ``inputs`` when they are given
    (default: every leaf that requires grad). Leaves show the gradient backward would add
    to their ``.grad``.

    The trace runs like ``autograd.grad(y, inputs, retain_graph=True)``: it changes no
    ``.grad`` and leaves the graph usable, so ``y.backward()`` still works after it (run
    it before a backward that frees the graph). ``gradient`` seeds a non-scalar ``y``.
    Printed to ``file`` (default stdout) unless ``show=False``; ``names`` labels tensors
    as in ``chainrule.viz.graph`` (default: the names at the call site).

    >>> import chainrule as torch
    >>> from chainrule import viz
    >>> w = torch.tensor(3., requires_grad=True)
    >>> z = w ** 2
    >>> text = viz.trace(z, show=False)
    >>> "dz/dw = 6" in text
    True
    """
    if names is None:
        frame = inspect.currentframe()
        names = caller_names(frame.f_back if frame is not None else None)
        del frame
    if inputs is not None and isinstance(inputs, Tensor):
        inputs = [inputs]
    rec, used, grads = run_recorded(y, inputs, gradient)
    model = describe(y, names, rec, inputs)
    items, r = model.items, model.root_symbol
    lines = []
    root = edge(y)
    head = items[model.by_node[root]]
    what = head.expr if head.kind == "op" else f"{r} (a leaf)"
    lines.append(
        f"Reverse accumulation of {what}, {fmt_type(tuple(y.shape), y._data.dtype)}: from the "
        "output back to the leaves."
    )
    lines.append(
        f"Each node receives the adjoint d{r}/d(its output) and passes adjoint x local "
        "derivative to each input."
    )
    lines.append("")
    out_edges: dict = {}
    for e in model.edges:
        out_edges.setdefault(e.src, []).append(e)
    step = 0
    for node in rec.order:
        key = model.by_node.get(node)
        if key is None:
            continue
        it = items[key]
        step += 1
        got = rec.incoming(node)
        if it.kind == "leaf":
            lines.append(f"step {step}  leaf {it.symbol}  {fmt_type(it.shape, it.dtype)}")
            if got is not None:
                lines.append(f"  receives  d{r}/d{it.symbol} = {_value(got, max_values)}")
            lines.append(f"  (backward adds this to {it.symbol}.grad)")
            continue
        lines.append(f"step {step}  {it.title}  {it.expr}")
        if got is not None:
            seed = "  (the seed)" if node is root else ""
            lines.append(f"  receives  d{r}/d{it.symbol} = {_value(got, max_values)}{seed}")
        prim = node.prim
        syms = _rule_symbols(node, model, out_edges.get(key, ()))
        for e in out_edges.get(key, ()):
            dst = items[e.dst]
            label = f"input {e.index} ({dst.symbol})"
            if dst.kind == "const" or e.pruned:
                reason = dst.pruned if dst.kind == "const" else e.pruned
                lines.append(f"  pruned    {label}: {reason}")
                continue
            text, where = rule_text(prim, e.index, syms)
            named = _NAMED.match(text) if _is_named(prim, e.index) else None
            if named:
                # a named rule: say which tensors its parameters are in this graph
                params = named.group(1).split(", ")
                given = ", ".join(f"{k} = {syms[k]}" for k in params if k in syms)
                text = f"{text}, with {given}" if given else text
            text += f"; g = d{r}/d{it.symbol}"
            lines.append(f"  to {label}: rule {text}" + (f"  [{where}]" if where else ""))
            if e.adjoint is not None:
                lines.append(
                    f"            passes d{r}/d{dst.symbol} = {_value(e.adjoint, max_values)}"
                )
    skipped = [it for it in items.values() if it.pruned and it.kind in ("op", "leaf")]
    if skipped:
        lines.append("")
        lines.append(
            "Not visited (no path to the requested inputs): "
            + ", ".join(
                f"{it.title} ({it.symbol})" if it.kind == "op" else f"leaf {it.symbol}"
                for it in skipped
            )
        )
    lines.append("")
    for t, g in zip(used, grads, strict=True):
        nm = _name_of(t, model)
        if g is None:
            lines.append(f"d{r}/d{nm}: no path from {r} (unused)")
        else:
            lines.append(f"d{r}/d{nm} = {_value(g._data, max_values)}")
    text = "\n".join(lines) + "\n"
    if show:
        print(text, end="", file=file if file is not None else sys.stdout)
    return text


def _is_named(prim, i: int) -> bool:
    """Whether the rule for input i is a named helper of the table (not a lambda, not a
    user's Function)."""
    rules = prim.vjp or ()
    r = 0 if prim.plan.variadic else i
    fn = rules[r] if r < len(rules) else None
    names = prim.plan.rule_names[r] if fn is not None else ()
    return fn is not None and fn is not PASS and fn.__name__ != "<lambda>" and "ctx" not in names


def _name_of(t, model) -> str:
    node = edge(t)
    key = model.by_node.get(node)
    return model.items[key].symbol if key is not None else "input"


def _rule_symbols(node, model, edges) -> dict:
    """The rule's parameter names mapped to this graph's tensors: each input by the
    forward's parameter name, and ``out`` for the node's own output."""
    prim = node.prim
    key = model.by_node[node]
    syms = {"out": model.items[key].symbol}
    children = {e.index: model.items[e.dst].symbol for e in edges}
    for i, nm in enumerate(prim.plan.input_names):
        if i in children:
            syms[nm] = children[i]
    return syms
