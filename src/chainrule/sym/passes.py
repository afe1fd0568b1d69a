"""Passes over explicit graphs: each returns a new graph with the same values.

- ``fold``: constant folding. A node whose inputs are all constants is computed once
  (by its forward, as evaluation would) and becomes a constant.
- ``cse``: common-subexpression elimination. Nodes of the same primitive, parameters and
  inputs are one node (the rules of backward often rebuild a value the forward has).
- ``dce``: dead-code elimination. Only what the requested outputs need is kept: in this
  representation a graph *is* what its outputs reach, so this is the walk from them;
  ``sym.function`` runs only that (the lecture's pruning), and the other passes drop
  whatever their rewrites leave unused.
- ``simplify``: algebra that is exact in floating point, so results do not change:
  x * 1, 1 * x, x / 1, x - 0, x ** 1, neg(neg(x)), the cast to x's own dtype, a transpose of
  a transpose, a reshape of a reshape, a reshape or expand to x's own shape, and a sum
  over axes of size 1 that keeps them (what summing a broadcast back leaves when nothing
  was broadcast). Also x + 0 and 0 + x: the same value, except that -0.0 + 0 is +0.0.
  A rewrite applies only where x already has the node's shape and dtype (x * 1 with a
  1 of a larger shape broadcasts x, and stays). Not done: x * 0 (inf, nan), reassociation
  ((a + b) + c), distributing: those change floating-point results.
- ``optimize``: all of them, to a fixed point.
- ``remat``: recomputation. A cheap elementwise value that a far-away node reads again
  (a gradient graph's backward part reading the forward's values) is computed a second
  time near that use, from values kept anyway, instead of being held in between. It
  trades computation for memory: the lowering (``sym.function``) applies it where it
  lowers the peak. Not part of ``optimize`` (``cse`` would merge the copies back).

>>> from chainrule import sym
>>> x = sym.var("x", (3,))
>>> y = (x * 1).exp() + (x * 1).exp()
>>> sym.node_count(y), sym.node_count(sym.optimize(y))
(6, 3)
>>> print(sym.optimize(y))
exp(x) + exp(x)
"""

from __future__ import annotations

import numpy

from ..ops.plan import DIAGONAL
from ..ops.symbolic import SymArray, constant, param_syms, walk
from .evaluate import run
from .printing import fill_value
from .symbol import Symbol, wrap

__all__ = ["fold", "cse", "dce", "simplify", "optimize", "node_count", "remat"]


# ------------------------------------------------------------------ machinery
def _nodes(outputs):
    single = not isinstance(outputs, (list, tuple))
    outs = [outputs] if single else list(outputs)
    nodes = []
    for o in outs:
        d = getattr(o, "_data", o)
        if type(d) is not SymArray:
            raise TypeError(f"sym passes take symbolic values, got {o!r}")
        nodes.append(d)
    return single, nodes


def _result(single, nodes):
    out = [wrap(n) for n in nodes]
    return out[0] if single else out


def _map_params(params, new):
    if not params or not param_syms(params):
        return params
    out = {}
    for k, v in params.items():
        if type(v) is SymArray:
            v = new[id(v)]
        elif type(v) in (tuple, list) and any(type(x) is SymArray for x in v):
            v = type(v)(new[id(x)] if type(x) is SymArray else x for x in v)
        out[k] = v
    return out


def rebuild(nodes: list, rewrite) -> list:
    """The graph of ``nodes`` rebuilt bottom-up: each node with its inputs replaced by
    their rebuilt nodes, then given to ``rewrite(node)``, which returns it or a node of the
    same shape and dtype that computes the same values."""
    new: dict = {}
    for n in walk(nodes):
        if n.prim is None:
            m = n
        else:
            ins = tuple(new[id(x)] if type(x) is SymArray else x for x in n.inputs)
            params = _map_params(n.params, new)
            same = params is n.params and all(a is b for a, b in zip(ins, n.inputs, strict=True))
            m = n if same else SymArray(n.prim, ins, params, n.shape, n.dtype)
        r = rewrite(m)
        new[id(n)] = m if r is None else r
    return [new[id(n)] for n in nodes]


def node_count(outputs) -> int:
    """How many nodes the outputs reach (variables and constants included)."""
    return len(walk(_nodes(outputs)[1]))


# ------------------------------------------------------------------ the passes
def dce(outputs):
    """Only what ``outputs`` need (see the module docstring): the same outputs, whose
    graph is by construction what they reach."""
    single, nodes = _nodes(outputs)
    return _result(single, nodes)


def _is_const(x) -> bool:
    return type(x) is not SymArray or x.value is not None


def fold(outputs):
    """Constant folding: nodes computed from constants only become constants."""
    single, nodes = _nodes(outputs)

    def rewrite(n):
        if n.prim is None or not all(_is_const(x) for x in n.inputs):
            return None
        if not all(p.value is not None for p in param_syms(n.params)):
            return None
        (v,) = run(walk([n]), {}, [n])
        if not hasattr(v, "shape"):
            v = numpy.asarray(v)
        v = numpy.asarray(v)
        f = fill_value(constant(v))
        if f is not None and v.ndim:  # keep a fill as one element, broadcast
            v = numpy.broadcast_to(numpy.asarray(f, v.dtype), v.shape)
        return constant(v)

    return _result(single, rebuild(nodes, rewrite))


def _key_of(x, canon):
    if type(x) is SymArray:
        return ("n", id(canon.get(id(x), x)))
    return _pkey(x)


def _pkey(v):
    if type(v) in (tuple, list):
        return (type(v).__name__, tuple(_pkey(x) for x in v))
    if isinstance(v, slice):
        return ("slice", _pkey(v.start), _pkey(v.stop), _pkey(v.step))
    if isinstance(v, numpy.dtype):
        return ("dtype", v.str)
    if hasattr(v, "shape") and hasattr(v, "dtype"):
        return ("array", id(v))
    try:
        hash(v)
    except TypeError:
        return ("id", id(v))
    return (type(v).__name__, v)


def cse(outputs):
    """Common-subexpression elimination: one node per (primitive, parameters, inputs);
    constants with one value throughout (1, zeros of a shape) are one node per value."""
    single, nodes = _nodes(outputs)
    table: dict = {}

    def rewrite(n):
        if n.prim is None:
            if n.value is None:
                return None
            f = fill_value(n)
            if f is None:
                return None
            key = ("const", n.dtype.str, n.shape, type(f).__name__, f)
        else:
            pk = tuple(
                (k, _pkey(v) if type(v) is not SymArray else ("n", id(v)))
                for k, v in (n.params or {}).items()
            )
            key = (n.prim.name, tuple(_key_of(x, {}) for x in n.inputs), pk)
        found = table.get(key)
        if found is None:
            table[key] = n
            return None
        return found

    return _result(single, rebuild(nodes, rewrite))


def _value(x):
    """The one value of a Python number or a constant fill, else None."""
    if type(x) is SymArray:
        return fill_value(x) if x.value is not None else None
    return x


def _is(x, v) -> bool:
    u = _value(x)
    return u is not None and not isinstance(u, bool) and u == v


def _fits(x, n) -> bool:
    """x can stand for node n: a node of n's shape and dtype."""
    return type(x) is SymArray and x.shape == n.shape and x.dtype == n.dtype


_RESHAPES = ("reshape", "view", "unsafe_view")
_SWAPS = ("transpose", "t")


def _simplify_one(n):
    p = n.prim
    if p is None:
        return None
    name = p.name
    ins = n.inputs
    if name == "mul" and len(ins) == 2:
        if _is(ins[1], 1) and _fits(ins[0], n):
            return ins[0]
        if _is(ins[0], 1) and _fits(ins[1], n):
            return ins[1]
    elif name == "add" and len(ins) == 2:
        if _is(ins[1], 0) and _fits(ins[0], n):
            return ins[0]
        if _is(ins[0], 0) and _fits(ins[1], n):
            return ins[1]
    elif name == "sub" and len(ins) == 2:
        if _is(ins[1], 0) and _fits(ins[0], n):
            return ins[0]
    elif name == "div" and len(ins) == 2:
        if _is(ins[1], 1) and _fits(ins[0], n):
            return ins[0]
    elif name == "pow" and len(ins) == 2:
        if _is(ins[1], 1) and _fits(ins[0], n):
            return ins[0]
    elif name == "neg":
        x = ins[0]
        if type(x) is SymArray and x.prim is not None and x.prim.name == "neg":
            if _fits(x.inputs[0], n):
                return x.inputs[0]
    elif name == "to_copy":
        if _fits(ins[0], n):
            return ins[0]
    elif name in _SWAPS:
        x = ins[0]
        if type(x) is SymArray and x.prim is not None and x.prim.name in _SWAPS:
            if _same_swap(n, x) and _fits(x.inputs[0], n):
                return x.inputs[0]
        if name == "transpose" and n.params["dim0"] == n.params["dim1"] and _fits(x, n):
            return x
    elif name == "permute":
        x = ins[0]
        if type(x) is SymArray and x.prim is not None and x.prim.name == "permute":
            p0, q = x.params["dims"], n.params["dims"]
            dims = tuple(p0[i] for i in q)
            inner = x.inputs[0]
            if dims == tuple(range(len(dims))):
                return inner if _fits(inner, n) else None
            return SymArray(n.prim, (inner,), {"dims": dims}, n.shape, n.dtype)
        if tuple(n.params["dims"]) == tuple(range(len(n.params["dims"]))) and _fits(x, n):
            return x
    elif name in _RESHAPES or name == "expand":
        x = ins[0]
        if _fits(x, n):
            return x
        if name in _RESHAPES and type(x) is SymArray and x.prim is not None:
            if x.prim.name in _RESHAPES:  # reshape of a reshape: one reshape
                inner = x.inputs[0]
                if _fits(inner, n):
                    return inner
                return SymArray(n.prim, (inner,), dict(n.params), n.shape, n.dtype)
    elif name in ("sum", "sum_dim"):
        x = ins[0]
        if n.params.get("keepdim") and _fits(x, n) and x.size is not None and x.size > 0:
            return x  # summed over axes of size 1 only
    return None


def _same_swap(a, b) -> bool:
    """Two transposes that undo each other (t, or the same pair of dims)."""
    if a.prim.name == "t" or b.prim.name == "t":
        return a.prim.name == b.prim.name == "t"
    return {a.params["dim0"], a.params["dim1"]} == {b.params["dim0"], b.params["dim1"]}


def simplify(outputs):
    """Algebraic simplification that keeps values (see the module docstring).

    >>> from chainrule import sym
    >>> x = sym.var("x", (2, 3))
    >>> print(sym.simplify(-(-(x.T.T * 1))))
    x
    """
    single, nodes = _nodes(outputs)

    def rewrite(n):
        r = _simplify_one(n)
        while r is not None and r is not n:  # a rewrite may enable another at its root
            n, r = r, _simplify_one(r)
        return n

    return _result(single, rebuild(nodes, rewrite))


def optimize(outputs):
    """fold, simplify and cse until the graph stops shrinking."""
    single, nodes = _nodes(outputs)
    count = len(walk(nodes))
    for _ in range(10):
        nodes = _nodes(fold(nodes))[1]
        nodes = _nodes(simplify(nodes))[1]
        nodes = _nodes(cse(nodes))[1]
        c = len(walk(nodes))
        if c >= count:
            break
        count = c
    return _result(single, nodes)


# ------------------------------------------------------------------ recomputation
def _cheap(n) -> bool:
    """An elementwise primitive (its Jacobian is diagonal: ``jvp=DIAGONAL``) of node
    inputs no larger than its output, and no graph values among its parameters."""
    if n.prim is None or n.prim.jvp is not DIAGONAL or param_syms(n.params):
        return False
    if n.size is None:
        return False
    return all(
        type(x) is not SymArray or (x.size is not None and x.size <= n.size) for x in n.inputs
    )


def remat(outputs: Symbol | list, *, depth: int = 16, window: int = 64) -> Symbol | list:
    """Recompute cheap elementwise values near their late uses (see the module docstring).

    In the order the graph runs (``walk``), a use of a value is late when more than
    ``window`` nodes run between the value and its user. Each late use of a cheap
    elementwise value ``v`` (``_cheap``) reads a copy of ``v`` instead, computed from
    copies of its cheap inputs in turn, back to values that stay: inputs, constants,
    values that are not cheap, and, every ``depth`` cheap steps along a chain, one value
    kept whole (so recomputing is at most ``depth`` ops deep, and a chain of n ops keeps
    about n / depth values for its backward instead of every value its rules read).
    The copies are new nodes: ``walk`` places them just before their first user.

    >>> from chainrule import sym
    >>> x = sym.var("x", (4,))
    >>> y = x
    >>> for _ in range(100):
    ...     y = (y * 1.0001).tanh()
    >>> (dx,) = sym.grad(y.sum(), [x])
    >>> sym.node_count(dx) < sym.node_count(sym.remat(dx, depth=8))
    True
    """
    single, nodes = _nodes(outputs)
    new_nodes, _ = remat_nodes(nodes, depth=depth, window=window)
    return _result(single, new_nodes)


def remat_nodes(nodes: list, *, depth: int = 16, window: int = 64) -> tuple[list, dict]:
    """``remat`` on graph nodes: the new output nodes, and for each node of the new graph
    that is not one of the old (a copy, or a node rebuilt on copies), id -> the old node
    whose value it computes."""
    order = walk(nodes)
    pos = {id(n): i for i, n in enumerate(order)}
    _byid = {id(n): n for n in order}
    # recompute depth of a copy of each cheap node; 0: the node itself is read
    cost: dict = {}
    for n in order:
        if not _cheap(n):
            cost[id(n)] = 0
            continue
        c = 1 + max((cost[id(x)] for x in n.inputs if type(x) is SymArray), default=0)
        cost[id(n)] = c if c <= depth else 0
    copies: dict = {}
    new: dict = {}  # id(node) -> its rebuilt node

    def copy(v):
        if cost[id(v)] == 0:
            return new[id(v)]
        c = copies.get(id(v))
        if c is None:
            ins = tuple(copy(x) if type(x) is SymArray else x for x in v.inputs)
            c = SymArray(v.prim, ins, v.params, v.shape, v.dtype)
            copies[id(v)] = c
        return c

    for n in order:
        if n.prim is None:
            new[id(n)] = n
            continue
        p = pos[id(n)]
        ins = tuple(
            (copy(x) if cost[id(x)] > 0 and p - pos[id(x)] > window else new[id(x)])
            if type(x) is SymArray
            else x
            for x in n.inputs
        )
        params = _map_params(n.params, new)
        same = params is n.params and all(a is b for a, b in zip(ins, n.inputs, strict=True))
        new[id(n)] = n if same else SymArray(n.prim, ins, params, n.shape, n.dtype)
    origin = {id(new[id(n)]): n for n in order if new[id(n)] is not n}
    origin.update({id(c): _byid[k] for k, c in copies.items()})
    return [new[id(n)] for n in nodes], origin
