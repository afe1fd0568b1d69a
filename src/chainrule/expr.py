"""A small, safe expression language for the command line: ``sum(x*x)``, ``arange(4.)``.

``chainrule grad "sum(x*x)" --x "arange(4.)"`` must turn text typed in a terminal into
tensors without running arbitrary code. Python's own parser (``ast``) reads the text; this
module then walks the tree itself and evaluates only what is on the lists below: numbers,
lists and tuples of them, the names of variables, calls of whitelisted chainrule functions
and tensor methods, the ``.T``/``.mT`` attributes, indexing with integers and slices, and
the operators ``+ - * / ** @`` and unary ``-``/``+``. Anything else (other names, other
attributes, dunders, strings, lambdas, comprehensions, ...) is refused with an
``ExprError`` naming it. Nothing is passed to ``eval`` or ``exec``.

>>> import chainrule
>>> evaluate("sum(x * x)", {"x": chainrule.arange(4.0)})
tensor(14.)
"""

from __future__ import annotations

import ast
import math
import operator
from collections.abc import Mapping
from typing import Any

import chainrule

__all__ = ["ExprError", "FUNCTIONS", "METHODS", "ATTRIBUTES", "evaluate", "parse_value"]

MAX_LENGTH = 2000  # characters: a command-line expression, not a program
MAX_ELEMENTS = 10_000_000  # a tensor made from the command line: 40 MB of float32 at most

# The chainrule functions an expression may call (names that do not exist are dropped, so
# the list may name functions that later modules add).
FUNCTIONS = frozenset(
    name
    for name in """
    tensor arange linspace ones zeros full eye rand randn ones_like zeros_like full_like
    sum mean prod max min amax amin norm logsumexp cumsum std var
    exp log log1p expm1 sqrt square abs sin cos tan tanh sigmoid relu softmax log_softmax
    maximum minimum clamp where
    dot matmul mm mv outer inner
    reshape transpose t flatten squeeze unsqueeze cat stack
    """.split()
    if hasattr(chainrule, name)
)

# The tensor methods an expression may call: x.sum(), x.reshape(2, 2), ...
METHODS = frozenset(
    """
    sum mean prod max min amax amin norm logsumexp cumsum std var
    exp log log1p expm1 sqrt square abs sin cos tan tanh sigmoid relu pow clamp
    dot matmul mm mv outer inner
    reshape view transpose t flatten squeeze unsqueeze float double
    """.split()
)

ATTRIBUTES = frozenset({"T", "mT"})

# Values that a bare name may stand for besides the variables.
CONSTANTS = {
    "pi": math.pi,
    "e": math.e,
    "float32": chainrule.float32,
    "float64": chainrule.float64,
    "int64": chainrule.int64,
    "int32": chainrule.int32,
}

# Functions that allocate a tensor of a requested size, checked before they run.
_SIZED = {"ones", "zeros", "full", "rand", "randn", "eye", "empty"}

_BINARY = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.Pow: operator.pow,
    ast.MatMult: operator.matmul,
}
_BINARY_TEXT = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**"}
_BINARY_TEXT[ast.MatMult] = "@"
_UNARY = {ast.USub: operator.neg, ast.UAdd: operator.pos}
_OPERATOR_TEXT = {
    ast.FloorDiv: "//",
    ast.Mod: "%",
    ast.LShift: "<<",
    ast.RShift: ">>",
    ast.BitOr: "|",
    ast.BitAnd: "&",
    ast.BitXor: "^",
    ast.Not: "not",
    ast.Invert: "~",
}


class ExprError(ValueError):
    """An expression that the command-line parser does not accept, with the reason."""


def evaluate(text: str, variables: Mapping[str, Any] | None = None) -> Any:
    """Evaluate ``text`` with ``variables`` bound, allowing only the whitelisted forms.

    >>> import chainrule
    >>> evaluate("(x @ x.T).sum()", {"x": chainrule.ones(2, 3)})
    tensor(12.)
    >>> evaluate("__import__('os')")
    Traceback (most recent call last):
    ...
    chainrule.expr.ExprError: '__import__' is not allowed: names starting with '_' are never allowed
    """
    if len(text) > MAX_LENGTH:
        raise ExprError(f"expression is {len(text)} characters long; the limit is {MAX_LENGTH}")
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as e:
        raise ExprError(f"cannot parse {text!r}: {e.msg}") from None
    except (RecursionError, MemoryError):
        raise ExprError(f"expression {text[:40]!r}... is nested too deeply") from None
    evaluator = _Evaluator(dict(variables or {}))
    try:
        return evaluator.visit(tree.body)
    except ExprError:
        raise
    except RecursionError:
        raise ExprError("expression is nested too deeply") from None
    except MemoryError:
        raise ExprError("expression needs more memory than there is") from None
    except Exception as e:  # a chainrule error (shapes, dtypes): say which expression hit it
        raise ExprError(f"{text}: {type(e).__name__}: {e}") from None


def parse_value(text: str) -> chainrule.Tensor:
    """Parse a variable's value (``arange(4.)``, ``[1., 2.]``, ``3``) into a tensor.

    >>> parse_value("[[1., 2.], [3., 4.]]").shape
    torch.Size([2, 2])
    """
    value = evaluate(text)
    if isinstance(value, chainrule.Tensor):
        return value
    if isinstance(value, (int, float, list, tuple)) and not isinstance(value, bool):
        try:
            return chainrule.tensor(value)
        except Exception as e:
            raise ExprError(f"{text!r} is not a tensor: {e}") from None
    raise ExprError(f"{text!r} is a {type(value).__name__}, not a tensor or a number")


def _forbidden_name(name: str) -> str | None:
    if name.startswith("_"):
        return "names starting with '_' are never allowed"
    return None


class _Evaluator:
    """Walks the tree node by node; a node type without a ``visit_`` method is refused."""

    def __init__(self, variables: dict[str, Any]):
        self.variables = variables

    def visit(self, node: ast.AST) -> Any:
        method = getattr(self, f"visit_{type(node).__name__}", None)
        if method is None:
            raise ExprError(f"{_describe(node)} is not allowed in an expression")
        return method(node)

    def visit_Constant(self, node: ast.Constant) -> Any:
        if isinstance(node.value, (bool, int, float)) or node.value is None:
            return node.value
        raise ExprError(f"the constant {node.value!r} is not allowed: only numbers")

    def visit_List(self, node: ast.List) -> list:
        return [self.visit(item) for item in node.elts]

    def visit_Tuple(self, node: ast.Tuple) -> tuple:
        return tuple(self.visit(item) for item in node.elts)

    def visit_Name(self, node: ast.Name) -> Any:
        name = node.id
        reason = _forbidden_name(name)
        if reason:
            raise ExprError(f"{name!r} is not allowed: {reason}")
        if name in self.variables:
            return self.variables[name]
        if name in CONSTANTS:
            return CONSTANTS[name]
        if name in FUNCTIONS:
            raise ExprError(f"{name!r} is a function: call it, as in {name}(...)")
        raise ExprError(f"unknown name {name!r}: give its value with --{name} VALUE")

    def visit_UnaryOp(self, node: ast.UnaryOp) -> Any:
        op = _UNARY.get(type(node.op))
        if op is None:
            raise ExprError(f"the operator {_OPERATOR_TEXT.get(type(node.op), '?')} is not allowed")
        return op(self._operand(node.operand))

    def visit_BinOp(self, node: ast.BinOp) -> Any:
        op = _BINARY.get(type(node.op))
        if op is None:
            text = _OPERATOR_TEXT.get(type(node.op), type(node.op).__name__)
            raise ExprError(f"the operator {text} is not allowed: use + - * / ** @")
        left, right = self._operand(node.left), self._operand(node.right)
        _check_result(_BINARY_TEXT[type(node.op)], [left, right])
        if op is operator.pow and not isinstance(left, chainrule.Tensor):
            if not isinstance(right, chainrule.Tensor):
                # Python's integer power can take forever (9**9**9); floats overflow at once.
                try:
                    return float(left) ** float(right)
                except OverflowError:
                    raise ExprError(f"{left} ** {right} is too large") from None
        return op(left, right)

    def _operand(self, node: ast.AST) -> Any:
        value = self.visit(node)
        # Lists are data for tensor(...), not operands: [0] * 10**9 would build a huge list.
        if not isinstance(value, (int, float, chainrule.Tensor)) or value is None:
            raise ExprError(
                f"{_source(node)} is a {type(value).__name__}; operators take numbers and "
                f"tensors (write tensor({_source(node)}) for a tensor)"
            )
        return value

    def visit_Attribute(self, node: ast.Attribute) -> Any:
        receiver = self.visit(node.value)  # first, so that errors go left to right
        reason = _forbidden_name(node.attr)
        if reason:
            raise ExprError(f"the attribute {node.attr!r} is not allowed: {reason}")
        if node.attr not in ATTRIBUTES:
            allowed = ", ".join(f".{a}" for a in sorted(ATTRIBUTES))
            raise ExprError(f"the attribute .{node.attr} is not allowed (allowed: {allowed})")
        return getattr(self._require_tensor(receiver, node.value, f".{node.attr}"), node.attr)

    def _require_tensor(self, value: Any, node: ast.AST, what: str) -> chainrule.Tensor:
        if not isinstance(value, chainrule.Tensor):
            kind = type(value).__name__
            raise ExprError(f"{what} needs a tensor, and {_source(node)} is a {kind}")
        return value

    def visit_Subscript(self, node: ast.Subscript) -> Any:
        tensor = self._require_tensor(self.visit(node.value), node.value, "indexing")
        return tensor[self._index(node.slice)]

    def _index(self, node: ast.AST) -> Any:
        if isinstance(node, ast.Slice):
            return slice(
                *(
                    None if n is None else self._integer(n)
                    for n in (node.lower, node.upper, node.step)
                )
            )
        if isinstance(node, ast.Tuple):
            return tuple(self._index(item) for item in node.elts)
        if isinstance(node, ast.Constant) and node.value is None:
            return None
        return self._integer(node)

    def _integer(self, node: ast.AST) -> int:
        value = self.visit(node)
        if not isinstance(value, int) or isinstance(value, bool):
            raise ExprError(f"an index must be an integer, a slice or None, not {_source(node)}")
        return value

    def visit_Call(self, node: ast.Call) -> Any:
        # The callee is checked before any argument is evaluated, so the error names it.
        func = node.func
        if isinstance(func, ast.Name):
            name = func.id
            reason = _forbidden_name(name)
            if reason:
                raise ExprError(f"{name!r} is not allowed: {reason}")
            if name not in FUNCTIONS:
                allowed = ", ".join(sorted(FUNCTIONS))
                raise ExprError(f"the function {name}() is not allowed; allowed: {allowed}")
            args, kwargs = self._arguments(node)
            _check_size(name, args, kwargs)
            _check_result(name, list(args) + list(kwargs.values()))
            return getattr(chainrule, name)(*args, **kwargs)
        if isinstance(func, ast.Attribute):
            name = func.attr
            receiver = self.visit(func.value)  # first, so that errors go left to right
            reason = _forbidden_name(name)
            if reason:
                raise ExprError(f"the method {name!r} is not allowed: {reason}")
            if name not in METHODS:
                allowed = ", ".join(sorted(METHODS))
                raise ExprError(f"the method .{name}() is not allowed; allowed: {allowed}")
            tensor = self._require_tensor(receiver, func.value, f".{name}()")
            args, kwargs = self._arguments(node)
            _check_result(name, [tensor, *args, *kwargs.values()])
            return getattr(tensor, name)(*args, **kwargs)
        raise ExprError(f"only named functions can be called, not {_source(func)}")

    def _arguments(self, node: ast.Call) -> tuple[list, dict]:
        args = []
        for arg in node.args:
            if isinstance(arg, ast.Starred):
                raise ExprError("*arguments are not allowed")
            args.append(self.visit(arg))
        kwargs = {}
        for keyword in node.keywords:
            if keyword.arg is None:
                raise ExprError("**arguments are not allowed")
            reason = _forbidden_name(keyword.arg)
            if reason:
                raise ExprError(f"the keyword {keyword.arg!r} is not allowed: {reason}")
            if keyword.arg in {"out", "generator"}:
                raise ExprError(f"the keyword {keyword.arg}= is not allowed")
            kwargs[keyword.arg] = self.visit(keyword.value)
        return args, kwargs


def _check_result(name: str, operands: list) -> None:
    """Refuse, before computing it, a result with more than MAX_ELEMENTS elements: every
    whitelisted operation makes at most the broadcast size of its tensor operands, except
    the products (outer, @) and the joins (cat, stack), bounded here by their own sizes."""
    tensors = []
    for v in operands:
        if isinstance(v, (list, tuple)):
            tensors.extend(t for t in v if isinstance(t, chainrule.Tensor))
        elif isinstance(v, chainrule.Tensor):
            tensors.append(v)
    if not tensors:
        return
    sizes = [t.numel() for t in tensors]
    if name in ("outer", "ger") or name in ("@", "matmul", "mm", "mv", "dot", "inner"):
        count = math.prod(sizes)  # a bound: the product's size is at most this
        if name not in ("outer", "ger") and len(tensors) == 2:
            a, b = (tuple(t.shape) for t in tensors)
            if a and b:  # inner contracts the last dims of both, the others the matmul way
                kept = b[:-1] if name == "inner" else b[:-2] + b[-1:]
                count = math.prod(a[:-1]) * math.prod(kept)
    elif name in ("cat", "stack", "concat"):
        count = sum(sizes)
    else:
        try:
            count = math.prod(_broadcast_shape([tuple(t.shape) for t in tensors]))
        except ValueError:  # shapes that do not broadcast: the operation itself will say so
            return
    if count > MAX_ELEMENTS:
        raise ExprError(
            f"{name} would make about {count:.0f} elements; the command line allows {MAX_ELEMENTS}"
        )


def _broadcast_shape(shapes) -> tuple:
    n = max(len(s) for s in shapes)
    out = []
    for i in range(1, n + 1):
        sides = {s[-i] for s in shapes if len(s) >= i} - {1}
        if len(sides) > 1:
            raise ValueError("shapes do not broadcast")
        out.append(sides.pop() if sides else 1)
    return tuple(reversed(out))


def _size_number(v):
    """A size given as a number or a one-element integer tensor, as a float; else None."""
    if isinstance(v, chainrule.Tensor):
        if v.numel() != 1 or v.dtype.is_floating_point:
            raise ExprError("a size must be an integer")
        return float(v.item())
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return float(v)
    return None


def _check_size(name: str, args: list, kwargs: dict) -> None:
    """Refuse to allocate more than MAX_ELEMENTS before the allocation happens."""
    if name not in _SIZED and name not in ("arange", "linspace"):
        return
    numbers = [_size_number(a) for a in args]
    numbers = [n for n in numbers if n is not None]
    if name == "eye":
        numbers = numbers + [
            _size_number(kwargs[k]) for k in ("n", "m") if k in kwargs and _size_number(kwargs[k])
        ]
    if name == "arange" and numbers:
        start, end = (0.0, numbers[0]) if len(numbers) == 1 else (numbers[0], numbers[1])
        step = numbers[2] if len(numbers) > 2 else 1.0
        count = (end - start) / step if step else 0.0
    elif name == "linspace":
        count = float(args[2] if len(args) > 2 else kwargs.get("steps", 0))
    elif name == "eye":
        count = math.prod(numbers[:2]) if len(numbers) > 1 else (numbers[0] ** 2 if numbers else 0)
    elif name in _SIZED:
        if name == "full":
            size = args[0] if args else kwargs.get("size", ())
        elif len(args) == 1 and isinstance(args[0], (list, tuple)):
            size = args[0]
        else:
            size = kwargs.get("size", args)
        dims = size if isinstance(size, (list, tuple)) else [size]
        count = math.prod(_size_number(d) or 0.0 for d in dims)
    else:
        return
    if count > MAX_ELEMENTS:
        raise ExprError(
            f"{name}(...) would make {count:.0f} elements; the command line allows {MAX_ELEMENTS}"
        )


def _source(node: ast.AST) -> str:
    try:
        return ast.unparse(node)
    except Exception:
        return type(node).__name__


def _describe(node: ast.AST) -> str:
    kinds = {
        "Lambda": "a lambda",
        "ListComp": "a list comprehension",
        "GeneratorExp": "a generator expression",
        "DictComp": "a dict comprehension",
        "SetComp": "a set comprehension",
        "Dict": "a dict",
        "Set": "a set",
        "Compare": "a comparison",
        "BoolOp": "and/or",
        "IfExp": "if/else",
        "NamedExpr": "the := operator",
        "JoinedStr": "an f-string",
        "Await": "await",
        "Yield": "yield",
        "Starred": "*unpacking",
    }
    kind = kinds.get(type(node).__name__, type(node).__name__)
    return f"{kind} ({_source(node)})"
