"""Printing explicit graphs: as an expression, and as a numbered listing of nodes.

The expression reads as the code that built it would (``2 * a + b``; ``<x, w>`` for a
dot product, as the lecture writes it); each shared node is written out where it is used.
The listing shows the graph as it is: one line per node, inputs before their users, each
shared node once.

>>> from chainrule import sym
>>> x = sym.var("x", (3,)); w = sym.var("w", (3,))
>>> print((x @ w - 1) ** 2)
(<x, w> - 1) ** 2
"""

from __future__ import annotations

import numpy

from ..dtypes import from_numpy_dtype
from ..ops.symbolic import SymArray, walk

__all__ = [
    "expression",
    "listing",
    "type_text",
    "number_text",
    "array_text",
    "param_text",
    "fill_value",
]

# op name -> (operator, precedence, associative on the left); higher binds tighter
_INFIX = {
    "add": ("+", 1),
    "sub": ("-", 1),
    "rsub": ("-", 1),
    "mul": ("*", 2),
    "div": ("/", 2),
    "mm": ("@", 2),
    "mv": ("@", 2),
    "bmm": ("@", 2),
    "pow": ("**", 4),
    "pow_scalar": ("**", 4),
    "pow_tensor": ("**", 4),
}
_ATOM = 9


def type_text(s: SymArray) -> str:
    """``float32[3, None]``: a node's dtype and shape (``[?]``: shape not known)."""
    name = from_numpy_dtype(s.dtype).name if s.dtype.kind != "b" else "bool"
    if s.shape is None:
        return f"{name}[?]"
    return f"{name}[{', '.join('None' if d is None else str(d) for d in s.shape)}]"


def number_text(v) -> str:
    """A number as an expression shows it: ``2`` for 2.0, ``0.5``, ``True``."""
    if isinstance(v, (bool, numpy.bool_)):
        return str(bool(v))
    if isinstance(v, (int, numpy.integer)):
        return str(int(v))
    f = float(v)
    return str(int(f)) if f.is_integer() and abs(f) < 1e16 else repr(f)


def fill_value(s: SymArray):
    """The one value of a constant whose elements are all equal (a scalar, ones, ...),
    else None."""
    v = s.value
    if v is None or v.size == 0 or v.size > 1_000_000:
        return None
    first = v.reshape(-1)[0]
    if v.size == 1 or bool((v == first).all()):
        return first.item()
    return None


# a constant or an index array with more elements is shown by its dtype and shape
SMALL = 16


def array_text(v, large: str = "array") -> str:
    """An array the graph holds (a constant, an index) as text: NumPy's repr on one line
    where it has ``SMALL`` elements or fewer (its values are what the graph computes with),
    else ``large(float32[100, 3])``, its dtype and shape.

    >>> import numpy as np
    >>> array_text(np.array([0, 2])), array_text(np.eye(2, dtype=np.float32))
    ('array([0, 2])', 'array([[1., 0.], [0., 1.]], dtype=float32)')
    >>> array_text(np.zeros((10, 3)), "const")
    'const(float64[10, 3])'
    """
    if isinstance(v, (numpy.ndarray, numpy.generic)) and v.size <= SMALL:
        return " ".join(numpy.array_repr(numpy.asarray(v), max_line_width=10**6).split())
    name = "bool" if v.dtype.kind == "b" else from_numpy_dtype(numpy.dtype(v.dtype)).name
    return f"{large}({name}[{', '.join(str(d) for d in v.shape)}])"


def _const_text(s: SymArray) -> str:
    f = fill_value(s)
    return number_text(f) if f is not None else array_text(s.value, "const")


def param_text(v, text_of) -> str:
    """A node's parameter as text; ``text_of`` names the nodes it holds (a mask, an index)."""
    if type(v) is SymArray:
        return text_of(v)
    if type(v) is tuple and v and all(type(s) is tuple and hasattr(s[0], "fwd") for s in v):
        # a view chain (write_view): its view ops, outermost first: select(idx=(0,)).T
        return ".".join(
            p.name + "(" + ", ".join(f"{k}={param_text(x, text_of)}" for k, x in ps.items()) + ")"
            for p, ps, _ in v
        )
    if type(v) in (tuple, list):
        inner = ", ".join(param_text(x, text_of) for x in v)
        return f"({inner},)" if type(v) is tuple and len(v) == 1 else f"({inner})"
    if isinstance(v, numpy.dtype):
        return from_numpy_dtype(v).name
    if isinstance(v, numpy.generic):  # a NumPy number (an index): as a number
        return number_text(v)
    if isinstance(v, slice):
        a = "" if v.start is None else v.start
        b = "" if v.stop is None else v.stop
        return f"{a}:{b}" + ("" if v.step is None else f":{v.step}")
    if hasattr(v, "shape") and hasattr(v, "dtype"):
        return array_text(v)
    if isinstance(v, float):
        return number_text(v)
    return repr(v)


def expression(out: SymArray) -> str:
    """The graph behind ``out`` as one expression."""
    texts: dict = {}  # id(node) -> (text, precedence)

    def text_of(s):
        return texts[id(s)][0]

    for n in walk([out]):
        texts[id(n)] = _node_expr(n, texts, text_of)
    return texts[id(out)][0]


def _operand(x, texts, need: int) -> str:
    if type(x) is SymArray:
        t, p = texts[id(x)]
    else:
        t = number_text(x)
        p = 3 if t.startswith("-") else _ATOM
    return f"({t})" if p < need else t


def _node_expr(n: SymArray, texts, text_of) -> tuple:
    kind = n.kind
    if kind == "var":
        return n.name, _ATOM
    if kind == "const":
        t = _const_text(n)
        return t, 3 if t.startswith("-") else _ATOM
    name = n.prim.name
    ins = n.inputs
    if name in _INFIX and len(ins) == 2 and not n.params:
        op, p = _INFIX[name]
        if op == "**":  # right-associative
            return f"{_operand(ins[0], texts, p + 1)} ** {_operand(ins[1], texts, p)}", p
        return f"{_operand(ins[0], texts, p)} {op} {_operand(ins[1], texts, p + 1)}", p
    if name == "neg":
        return f"-{_operand(ins[0], texts, 3)}", 3
    if name == "scale":
        return f"{number_text(n.params['alpha'])} * {_operand(ins[0], texts, 3)}", 2
    if name == "dot":
        return f"<{_operand(ins[0], texts, 0)}, {_operand(ins[1], texts, 0)}>", _ATOM
    if name == "to_copy":
        return f"{param_text(n.params['np_dtype'], text_of)}({_operand(ins[0], texts, 0)})", _ATOM
    if name == "t":
        return f"{_operand(ins[0], texts, _ATOM)}.T", _ATOM
    args = [_operand(x, texts, 0) for x in ins]
    args += [f"{k}={param_text(v, text_of)}" for k, v in (n.params or {}).items()]
    return f"{name}({', '.join(args)})", _ATOM


def listing(outputs: list) -> str:
    """Every node behind ``outputs`` on its own line: ``%i = op(inputs, params)`` and
    its dtype and shape; outputs are marked ``<- out i`` when there are several."""
    order = walk(outputs)
    num = {id(n): i for i, n in enumerate(order)}

    def ref(x):
        return f"%{num[id(x)]}" if type(x) is SymArray else number_text(x)

    lines = []
    for i, n in enumerate(order):
        if n.kind == "var":
            body = f"var {n.name}"
        elif n.kind == "const":  # (its value where small: its type follows on the line)
            text = _const_text(n)
            body = "const" if text.startswith("const(") else f"const {text}"
        else:
            args = [ref(x) for x in n.inputs]
            args += [f"{k}={param_text(v, ref)}" for k, v in (n.params or {}).items()]
            body = f"{n.prim.name}({', '.join(args)})"
        line = f"%{i} = {body}"
        lines.append(f"{line:<24} {type_text(n)}")
    if len(outputs) > 1:
        for k, o in enumerate(outputs):
            j = num[id(o)]
            lines[j] += f"  <- out {k}"
    return "\n".join(lines)


def node_count(outputs: list) -> int:
    """How many nodes the outputs depend on (variables and constants included)."""
    return len(walk(outputs))
