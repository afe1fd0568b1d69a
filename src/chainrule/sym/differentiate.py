"""Differentiating explicit graphs: the gradient is itself a graph.

The lecture's "write out all the derivative expressions first": ``grad(c, [a, b])``
returns new symbolic graphs for dc/da and dc/db, built by the engine that runs eager
backward, with the table's vjp rules. The graph is given to the recorder as if it had
just run (``ops.apply.record``: a node per op, its saved values the graph's own nodes), and
``autograd.grad(..., create_graph=True)`` runs the rules on Tensors, which here hold
symbolic arrays: every rule's step becomes a node of the gradient graph. No derivative
formula lives here.

``jvp(c, {a: ta})`` is forward accumulation the same way: the forward-mode level pushes
tangents through each node with the table's jvp rules.

Both results are graphs like any other: printed, simplified, bound, and differentiated
again (second derivatives, Hessian-vector products).

>>> from chainrule import sym
>>> x = sym.var("x", ())
>>> (dx,) = sym.grad(x ** 3, [x])
>>> print(sym.simplify(dx))
3 * x ** 2
>>> sym.grad(dx, [x])[0].eval(x=2.0)
tensor(12.)
"""

from __future__ import annotations

import numpy

from .._state import dual as _dual
from ..autograd import forward_ad
from ..autograd.api import grad as _autograd_grad
from ..ops.apply import record
from ..ops.symbolic import SymArray, constant, walk
from ..tensor import Tensor
from .symbol import Symbol, wrap

__all__ = ["grad", "jvp", "vjp"]

_alloc = object.__new__


def _node(x, what: str) -> SymArray:
    d = getattr(x, "_data", None)
    if type(d) is not SymArray:
        raise TypeError(f"sym.{what}: expected symbolic values (chainrule.sym), got {x!r}")
    return d


def _known(s: SymArray, what: str, x) -> tuple:
    if s.shape is None or None in s.shape:
        raise ValueError(
            f"sym.{what}: the shape of {x} is {s.shape}; differentiating a graph needs its "
            "shapes (declare them in sym.var)"
        )
    return s.shape


def _leaf(n: SymArray, rg: bool = False) -> Tensor:
    t = Tensor._new(n)
    t._rg = rg
    return t


def _replay(order, leaves: dict, recorder) -> dict:
    """A tensor per node of ``order``: ``leaves`` (id -> tensor) where given, else a new
    tensor holding the node, passed to ``recorder(prim, args, datas, res, params)``."""
    tensors: dict = {}
    for n in order:
        t = leaves.get(id(n))
        if t is None:
            t = _leaf(n)
            if n.prim is not None:
                args = [tensors[id(x)] if type(x) is SymArray else x for x in n.inputs]
                recorder(n.prim, args, list(n.inputs), t, n.params or {})
        tensors[id(n)] = t
    return tensors


def _zeros(like: SymArray, x) -> Symbol:
    shape = _known(like, "grad", x)
    return wrap(constant(numpy.broadcast_to(numpy.zeros((), like.dtype), shape)))


def vjp(outputs, inputs, cotangents) -> list:
    """The gradients of ``sum(<outputs[i], cotangents[i]>)`` with respect to ``inputs``,
    as graphs (reverse accumulation; cotangents are symbols or values)."""
    return grad(outputs, inputs, grad_outputs=cotangents)


def grad(outputs, inputs, grad_outputs=None) -> list:
    """Symbolic gradients: graphs for d(outputs)/d(inputs), by reverse accumulation with
    the table's vjp rules (as ``chainrule.autograd.grad``; a non-scalar output needs
    ``grad_outputs``). An input the outputs do not depend on gets a zero constant.

    >>> from chainrule import sym
    >>> a = sym.var("a", ()); b = sym.var("b", ())
    >>> print(*sym.grad(a * b + a, [a, b]), sep="; ")
    1 + 1 * b; 1 * a
    """
    single = not isinstance(outputs, (list, tuple))
    outs = [outputs] if single else list(outputs)
    ins = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
    out_nodes = [_node(o, "grad") for o in outs]
    in_nodes = [_node(i, "grad") for i in ins]
    for n, x in zip(in_nodes, ins, strict=True):
        if n.dtype.kind not in "fc":
            raise TypeError(f"sym.grad: {x} is {n.dtype}: only floating values have gradients")
    if grad_outputs is None:
        seeds = []
        for n, o in zip(out_nodes, outs, strict=True):
            shape = _known(n, "grad", o)
            if shape != ():
                raise RuntimeError(
                    f"sym.grad: grad can be implicitly created only for scalar outputs ({o} "
                    f"has shape {shape}): give grad_outputs"
                )
            seeds.append(wrap(constant(numpy.ones((), n.dtype))))
    else:
        gos = [grad_outputs] if not isinstance(grad_outputs, (list, tuple)) else grad_outputs
        seeds = [
            g if isinstance(g, Symbol) else _as_const(g, n)
            for g, n in zip(gos, out_nodes, strict=True)
        ]
    order = walk(out_nodes + [s._data for s in seeds])
    for n in order:  # every node on the way needs its shape (the rules sum back broadcasts)
        _known(n, "grad", wrap(n))
    leaves = {id(n): _leaf(n, rg=True) for n in in_nodes}
    tensors = _replay(order, leaves, record)
    roots = [tensors[id(n)] for n in out_nodes]
    live = [(r, s) for r, s in zip(roots, seeds, strict=True) if r._rg]
    if not live:
        return [_zeros(n, x) for n, x in zip(in_nodes, ins, strict=True)]
    gs = _autograd_grad(
        [r for r, _ in live],
        [leaves[id(n)] for n in in_nodes],
        grad_outputs=[_leaf(s._data) for _, s in live],
        create_graph=True,
        retain_graph=True,
        allow_unused=True,
    )
    return [
        _zeros(n, x) if g is None else wrap(g._data)
        for g, n, x in zip(gs, in_nodes, ins, strict=True)
    ]


def _as_const(value, like: SymArray) -> Symbol:
    arr = numpy.asarray(getattr(value, "_data", value), dtype=like.dtype)
    return wrap(constant(arr))


def jvp(outputs, tangents: dict):
    """Symbolic directional derivatives: graphs for the tangents of ``outputs`` when the
    inputs in ``tangents`` move along their tangents (forward accumulation with the
    table's jvp rules). Tangents are symbols or values.

    >>> from chainrule import sym
    >>> x = sym.var("x", ()); v = sym.var("v", ())
    >>> print(sym.simplify(sym.jvp(x.sin() * x, {x: v})))
    v * cos(x) * x + v * sin(x)
    """
    single = not isinstance(outputs, (list, tuple))
    outs = [outputs] if single else list(outputs)
    out_nodes = [_node(o, "jvp") for o in outs]
    pairs = []
    for x, t in tangents.items():
        n = _node(x, "jvp")
        ts = t if isinstance(t, Symbol) else _as_const(t, n)
        if ts._data.shape != n.shape or ts._data.dtype != n.dtype:
            raise ValueError(
                f"sym.jvp: the tangent of {x} must have its shape and dtype "
                f"({n.shape}, {n.dtype}), got ({ts._data.shape}, {ts._data.dtype})"
            )
        pairs.append((n, ts))
    order = walk(out_nodes)
    with forward_ad.dual_level():
        lvl = _dual.level
        leaves = {}
        for n, ts in pairs:
            t = _leaf(n)
            lvl.attach(t, _leaf(ts._data))
            leaves[id(n)] = t

        def push(prim, args, datas, res, params):
            lvl.push(prim, args, datas, params, res)

        tensors = _replay(order, leaves, push)
        results = []
        for n, o in zip(out_nodes, outs, strict=True):
            fw = getattr(tensors[id(n)], "_fw", None)
            results.append(_zeros(n, o) if fw is None else wrap(fw[1]._data))
    return results[0] if single else results
