"""Explicit graphs: declare variables, write the expression, bind data later.

The lecture names two ways to build a computation graph. Implicit construction (PyTorch,
chainrule's tensors) records what runs. Explicit construction (TensorFlow 1, Theano,
MXNet's ``sym``) writes the graph first and binds data later, "like deriving by hand:
first write out all the derivative expressions, then substitute values". ``chainrule.sym``
is the explicit one, made of the same table: a ``Symbol`` is a tensor whose data is a
graph node, so every chainrule operator and function builds graphs.

>>> from chainrule import sym
>>> a = sym.var("a"); b = sym.var("b")
>>> c = 2 * a + b
>>> print(c)
2 * a + b
>>> c.eval(a=2.0, b=1.0)
tensor(5.)
"""

from __future__ import annotations

from .compiled import Function, function
from .differentiate import grad, jvp, vjp
from .evaluate import BindError
from .passes import cse, dce, fold, node_count, optimize, remat, simplify
from .symbol import Symbol, const, var

__all__ = [
    "Symbol",
    "var",
    "const",
    "function",
    "Function",
    "BindError",
    "grad",
    "jvp",
    "vjp",
    "fold",
    "cse",
    "dce",
    "simplify",
    "optimize",
    "remat",
    "node_count",
]
