"""Binding an explicit graph to values, and evaluating it.

Evaluation runs the primitives' forwards (the table, on backend arrays) in topological
order: no recording, no promotion (the graph's casts are nodes of their own). Binding
checks each value against its variable before anything runs: the dtype (a Tensor or an
array must have the variable's; numbers and lists are converted to it), the rank and
every size the variable declares. Errors name the variable, expected versus given.

>>> import chainrule
>>> from chainrule import sym
>>> a = sym.var("a", (None, 2)); b = sym.var("b", (2,))
>>> f = sym.function([a, b], a * b)
>>> f([[1.0, 2.0]], chainrule.tensor([3.0, 4.0]))
tensor([[3., 8.]])
"""

from __future__ import annotations

from typing import Any

import numpy

from .. import backend as _backend
from ..dtypes import from_numpy_dtype
from ..ops.symbolic import SymArray, param_syms, walk
from ..tensor import Tensor
from .printing import listing, type_text

__all__ = ["Function", "function", "evaluate", "bind", "BindError"]

_NUMBERS = (int, float, bool)


class BindError(TypeError):
    """A value that does not fit its variable (dtype, rank or size), or a missing one."""


def _dtype_name(d) -> str:
    return "bool" if numpy.dtype(d).kind == "b" else from_numpy_dtype(numpy.dtype(d)).name


def bind(v: SymArray, value: Any):
    """``value`` as a backend array for variable ``v``, checked against it."""
    if isinstance(value, Tensor):
        arr = value._data
        if type(arr) is SymArray:
            raise BindError(f"sym: variable {v.name!r} was given a symbolic value ({value})")
        exact = True
    elif hasattr(value, "shape") and hasattr(value, "dtype"):  # an array of some backend
        arr, exact = value, True
    else:  # a number or nested lists: converted to the variable's dtype
        arr, exact = numpy.asarray(value), False
        if arr.dtype == object:
            raise BindError(f"sym: variable {v.name!r} cannot take a {type(value).__name__}")
        if (
            arr.dtype.kind == "f"
            and v.dtype.kind in "iub"
            or (arr.dtype.kind in "iu" and v.dtype.kind == "b")
        ):
            raise BindError(
                f"sym: variable {v.name!r} is {_dtype_name(v.dtype)}, given "
                f"{_dtype_name(arr.dtype)} values"
            )
        arr = arr.astype(v.dtype)
    if exact and arr.dtype != v.dtype:
        raise BindError(
            f"sym: variable {v.name!r} is {_dtype_name(v.dtype)}, given "
            f"{_dtype_name(arr.dtype)} (convert it, e.g. value.to(chainrule."
            f"{_dtype_name(v.dtype)}))"
        )
    if v.shape is not None:
        shape = tuple(arr.shape)
        if len(shape) != len(v.shape) or any(
            d is not None and d != s for d, s in zip(v.shape, shape, strict=False)
        ):
            want = "(" + ", ".join("None" if d is None else str(d) for d in v.shape) + ")"
            raise BindError(
                f"sym: variable {v.name!r} has shape {want}, given shape {tuple(shape)}"
            )
    return arr


def _unbound(v: SymArray) -> BindError:
    return BindError(f"sym: variable {v.name!r} ({type_text(v)}) is not bound to a value")


def _sub_params(params, vals):
    out = {}
    for k, p in params.items():
        if type(p) is SymArray:
            p = vals[id(p)]
        elif type(p) in (tuple, list) and any(type(x) is SymArray for x in p):
            p = type(p)(vals[id(x)] if type(x) is SymArray else x for x in p)
        out[k] = p
    return out


def run(order: list, env: dict, outputs: list, observe=None) -> list:
    """Evaluate the nodes of ``order`` (``walk(outputs)``) with the variables' arrays
    in ``env`` (id of the node -> array); return the outputs' arrays. A value is dropped
    after its last reader has run. ``observe(node, value, values)``, if given, sees each
    op's result as its forward returned it, with the values computed so far (id ->
    value; the node's inputs are still among them): the lowering's probe."""
    last: dict = {}
    for i, n in enumerate(order):
        for x in n.inputs:
            if type(x) is SymArray:
                last[id(x)] = i
        for x in param_syms(n.params):
            last[id(x)] = i
    for o in outputs:
        last[id(o)] = len(order)
    vals: dict = {}
    for i, n in enumerate(order):
        if n.prim is None:
            if n.value is not None:
                vals[id(n)] = n.value
                continue
            arr = env.get(id(n))
            if arr is None:
                raise _unbound(n)
            vals[id(n)] = arr
            continue
        args = [vals[id(x)] if type(x) is SymArray else x for x in n.inputs]
        params = _sub_params(n.params, vals) if n.params else n.params
        x0 = next((a for a in args if type(a) not in _NUMBERS), None)
        xp = _backend.default if x0 is None else _backend.namespace(x0)
        try:
            out = n.prim.fwd(xp, *args, **params) if params else n.prim.fwd(xp, *args)
        except Exception as e:
            raise RuntimeError(f"sym: evaluating {n.prim.name} ({type_text(n)}) failed: {e}") from e
        if observe is not None:
            observe(n, out, vals)
        if type(out) in _NUMBERS:
            out = _backend.as_array(out)
        vals[id(n)] = out
        for x in (*n.inputs, *param_syms(n.params)):
            if type(x) is SymArray and last.get(id(x)) == i:
                vals.pop(id(x), None)
    return [vals[id(o)] for o in outputs]


def evaluate(outputs: list, env: dict) -> list:
    """The arrays of ``outputs`` (SymArrays), with ``env``: variable node -> value."""
    order = walk(outputs)
    bound = {id(v): bind(v, x) for v, x in env.items()}
    return run(order, bound, outputs)


def _variables(order) -> list:
    return [n for n in order if n.kind == "var"]


def evaluate_named(outputs: list, bindings: dict | None, values: dict) -> list:
    """``Symbol.eval``: variables bound by name (``values``) or by symbol (``bindings``)."""
    order = walk(outputs)
    byname: dict = {}
    for v in _variables(order):
        if v.name in byname and byname[v.name] is not v:
            raise BindError(
                f"sym: two different variables are named {v.name!r} in this graph: bind "
                "them by symbol (c.eval({a: ...}))"
            )
        byname[v.name] = v
    env: dict = {}
    for key, x in (bindings or {}).items():
        node = key._data if isinstance(key, Tensor) else key
        if type(node) is not SymArray or node.kind != "var":
            raise BindError(f"sym: only variables can be bound, not {key}")
        env[id(node)] = bind(node, x)
    for name, x in values.items():
        v = byname.get(name)
        if v is None:
            raise BindError(
                f"sym: this graph has no variable named {name!r} (its variables: "
                f"{', '.join(sorted(byname)) or 'none'})"
            )
        env[id(v)] = bind(v, x)
    return [Tensor._new(a) for a in run(order, env, outputs)]


class Function:
    """A graph made callable: ``f(*values)`` binds the inputs in order and returns the
    outputs' values (a tuple when the outputs were given as a list or tuple)."""

    def __init__(self, inputs, outputs) -> None:
        self.single = not isinstance(outputs, (list, tuple))
        outs = [outputs] if self.single else list(outputs)
        self.outputs = [_node(o, "output") for o in outs]
        self.inputs = [_node(i, "input") for i in inputs]
        for i in self.inputs:
            if i.kind != "var":
                raise TypeError(f"sym.function: inputs must be variables (sym.var), not {i}")
        if len({id(i) for i in self.inputs}) != len(self.inputs):
            raise ValueError("sym.function: a variable is listed twice among the inputs")
        self.order = walk(self.outputs)  # only what the outputs need (dead code is dropped)
        known = {id(i) for i in self.inputs}
        for v in _variables(self.order):
            if id(v) not in known:
                raise BindError(
                    f"sym.function: the outputs depend on variable {v.name!r}, which is "
                    "not among the inputs"
                )

    def __call__(self, *values):
        if len(values) != len(self.inputs):
            names = ", ".join(v.name for v in self.inputs)
            raise TypeError(
                f"sym.function of ({names}) takes {len(self.inputs)} values, given {len(values)}"
            )
        env = {id(v): bind(v, x) for v, x in zip(self.inputs, values, strict=True)}
        out = [Tensor._new(a) for a in run(self.order, env, self.outputs)]
        return out[0] if self.single else tuple(out)

    def listing(self) -> str:
        """The nodes it runs, one per line (see ``Symbol.listing``)."""
        return listing(self.outputs)

    def __repr__(self) -> str:
        names = ", ".join(v.name for v in self.inputs)
        return f"<sym.function of ({names}): {len(self.order)} nodes>"


def _node(x, what: str) -> SymArray:
    d = getattr(x, "_data", None)
    if type(d) is not SymArray:
        raise TypeError(f"sym.function: each {what} must be a symbolic value, got {x!r}")
    return d


def function(inputs: list, outputs) -> Function:
    """A callable for the graph from ``inputs`` (variables) to ``outputs`` (one symbol,
    or a list of them): the lecture's "bind data later".

    >>> from chainrule import sym
    >>> a = sym.var("a"); b = sym.var("b")
    >>> f = sym.function([a, b], [2 * a + b, a * b])
    >>> f(1.0, 3.0)
    (tensor(5.), tensor(3.))
    """
    return Function(inputs, outputs)
