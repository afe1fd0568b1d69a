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
from ..ops.primitive import defop
from ..ops.symbolic import SymArray, constant, walk
from ..ops.symbolic import node as symbolic_node
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
    ``grad_outputs``). An input the outputs do not depend on gets a zero constant. Where
    some shape is known only at bind time, each gradient is a ``grad_at_bind`` node: the
    graph is differentiated when the values are bound (it cannot be differentiated again).

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
    gos = None
    if grad_outputs is not None:
        gos = [grad_outputs] if not isinstance(grad_outputs, (list, tuple)) else grad_outputs
        gos = [
            g if isinstance(g, Symbol) else _as_const(g, n)
            for g, n in zip(gos, out_nodes, strict=True)
        ]
    whole = walk(out_nodes + [g._data for g in gos or ()])
    _not_again(whole, "grad")
    if any(n.shape is None or None in n.shape for n in whole):
        return _at_bind(out_nodes, in_nodes, gos, whole)
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
        seeds = gos
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


# ------------------------------------------------ shapes known only at bind time
# The rules need every shape (a broadcast is summed back over the axes it added), so a
# graph with sizes left to bind time is differentiated when they are known: its gradient
# is a node, ``grad_at_bind``, whose forward takes the bound values of the graph's
# variables, makes the graph again with their shapes declared, differentiates that by the
# rules as above, and evaluates it (the gradient graphs are kept, one per set of shapes;
# each input's node evaluates them, nothing is kept between evaluations).


class _Bound:
    """d(outputs)/d(inputs) of a graph whose shapes are known only at bind time."""

    def __init__(self, outs, ins, seeds, order) -> None:
        self.outs, self.ins, self.seeds, self.order = outs, ins, seeds, order
        self.variables = [n for n in order if n.kind == "var"]
        self.graphs: dict = {}  # (shapes, dtypes) of the bound values -> sym.Function

    def __repr__(self) -> str:
        from .printing import expression

        outs = ", ".join(expression(o) for o in self.outs)
        ins = ", ".join(expression(i) for i in self.ins)
        return f"d({outs})/d({ins})"

    def values(self, arrays) -> list:
        """The gradients' arrays for the variables' bound arrays (in ``variables``)."""
        key = tuple((tuple(a.shape), str(a.dtype)) for a in arrays)
        f = self.graphs.get(key)
        if f is None:
            f = self.graphs[key] = self._specialize(arrays)
        return [t._data for t in f(*arrays)]

    def _specialize(self, arrays):
        from .evaluate import Function

        made: dict = {}
        news = []
        for v, a in zip(self.variables, arrays, strict=True):
            nv = made[id(v)] = SymArray(None, (), None, tuple(a.shape), v.dtype, name=v.name)
            news.append(nv)

        def m(x):
            return made[id(x)] if type(x) is SymArray else x

        for n in self.order:  # the graph again, its shapes found from the bound ones
            if n.kind == "op":
                params = {
                    k: type(p)(m(x) for x in p) if type(p) in (tuple, list) else m(p)
                    for k, p in (n.params or {}).items()
                }
                made[id(n)] = symbolic_node(n.prim, [m(x) for x in n.inputs], params)
            elif n.kind == "const":
                made[id(n)] = n
        seeds = None if self.seeds is None else [wrap(made[id(g._data)]) for g in self.seeds]
        gs = grad(
            [wrap(made[id(o)]) for o in self.outs],
            [wrap(made[id(i)]) for i in self.ins],
            grad_outputs=seeds,
        )
        return Function([wrap(v) for v in news], gs)


def _grad_at_bind(xp, *arrays, of, wrt):
    return of.values(arrays)[wrt]


GRAD_AT_BIND = defop("grad_at_bind", _grad_at_bind, register=False)


def _at_bind(out_nodes, in_nodes, gos, order) -> list:
    order = walk(out_nodes + [g._data for g in gos or ()] + in_nodes)  # (inputs not used too)
    spec = _Bound(out_nodes, in_nodes, gos, order)
    return [
        wrap(SymArray(GRAD_AT_BIND, spec.variables, {"of": spec, "wrt": k}, n.shape, n.dtype))
        for k, n in enumerate(in_nodes)
    ]


def _not_again(order, what: str) -> None:
    if any(n.prim is GRAD_AT_BIND for n in order):
        raise ValueError(
            f"sym.{what}: this graph holds a gradient made when its shapes are bound "
            "(grad_at_bind): it cannot be differentiated again before then; declare the "
            "shapes in sym.var to differentiate it twice"
        )


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
    _not_again(order, "jvp")
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
