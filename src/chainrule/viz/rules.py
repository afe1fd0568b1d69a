"""How a node's forward and its rules read, taken from the derivative table itself.

chainrule keeps every derivative in one table (``chainrule.ops``); this module knows no
formula. It finds the source of the rule a node runs (a ``lambda`` in the table, or a
named helper with its leading comment or docstring) and renames the rule's parameters
to the tensors of the node, so a trace shows ``g * x`` for the ``w`` input of
``a = <x, w>``. Forward expressions use operator notation for the common ops.
"""

from __future__ import annotations

import ast
import inspect
import os
import tokenize

from ..ops.primitive import PASS

__all__ = ["forward_text", "rule_text", "source_text"]

# forward notation only (no derivatives): the infix operator of binary ops
_INFIX = {
    "add": "+",
    "sub": "-",
    "mul": "*",
    "div": "/",
    "pow": "**",
    "pow_tensor": "**",
    "pow_scalar": "**",
    "remainder": "%",
    "mm": "@",
    "mv": "@",
    "bmm": "@",
}

_trees: dict = {}  # source file -> (text, ast)
_lambdas: dict = {}  # a rule's code object -> its Lambda node (or None)


def forward_text(prim_name: str, args: list[str], params: dict | None = None) -> str:
    """The op in notation, e.g. ``a - y``, ``<x, w>``, ``exp(b)``, ``sum(b)``.

    >>> forward_text("sub", ["a", "y"]), forward_text("dot", ["x", "w"])
    ('a - y', '<x, w>')
    """
    if prim_name in _INFIX and len(args) == 2:
        return f"{args[0]} {_INFIX[prim_name]} {args[1]}"
    if prim_name == "neg" and len(args) == 1:
        return f"-{args[0]}"
    if prim_name == "dot" and len(args) == 2:
        return f"<{args[0]}, {args[1]}>"
    shown = [
        f"{k}={v!r}"
        for k, v in (params or {}).items()
        if k in ("dim", "shape", "dims") and v is not None
    ]
    return f"{prim_name}({', '.join(list(args) + shown)})"


def _tree(path: str):
    t = _trees.get(path)
    if t is None:
        with open(path, encoding="utf-8") as f:
            src = f.read()
        t = _trees[path] = (src, ast.parse(src))
    return t


def _lambda_node(fn):
    """The ast of a lambda rule (None when its source cannot be found): the lambda whose
    body span holds every source position of the rule's code."""
    code = fn.__code__
    if code in _lambdas:
        return _lambdas[code]
    _lambdas[code] = found = _find_lambda(fn, code)
    return found


def _find_lambda(fn, code):
    try:
        src, tree = _tree(inspect.getsourcefile(fn))
    except (OSError, TypeError, SyntaxError):
        return None
    pos = [(ln, col, eln, ecol) for ln, eln, col, ecol in code.co_positions() if ln and ecol]
    args = list(code.co_varnames[: code.co_argcount])
    for node in ast.walk(tree):
        if isinstance(node, ast.Lambda) and [a.arg for a in node.args.args] == args:
            b = node.body
            start, stop = (b.lineno, b.col_offset), (b.end_lineno, b.end_col_offset)
            if pos and all(start <= (ln, c) and (el, ec) <= stop for ln, c, el, ec in pos):
                return node
    return None


class _Rename(ast.NodeTransformer):
    def __init__(self, names: dict) -> None:
        self.names = names

    def visit_Attribute(self, node):
        # ns.matmul(...) reads as matmul(...): the namespace is the engine's plumbing
        if isinstance(node.value, ast.Name) and node.value.id == "ns":
            return ast.copy_location(ast.Name(id=node.attr, ctx=node.ctx), node)
        return self.generic_visit(node)

    def visit_Name(self, node):
        if node.id in self.names:
            return ast.copy_location(ast.Name(id=self.names[node.id], ctx=node.ctx), node)
        return node


def _where(fn) -> str:
    try:
        path = inspect.getsourcefile(fn)
        line = fn.__code__.co_firstlineno
    except (OSError, TypeError, AttributeError):
        return ""
    parts = os.path.normpath(path).split(os.sep)
    if "chainrule" in parts:
        parts = parts[len(parts) - 1 - parts[::-1].index("chainrule") :]
    return f"{'/'.join(parts)}:{line}"


def _summary(fn) -> str:
    """The first clause of a named rule's docstring or leading comment (where the table
    states it): its first paragraph or comment block, up to a ``;`` outside brackets."""
    doc = inspect.getdoc(fn)
    if doc:
        text = doc.split("\n\n")[0]
    else:
        try:
            lines = inspect.getsourcelines(fn)[0]
        except (OSError, TypeError):
            return ""
        text = " ".join(_leading_comment(lines))
    return _first_clause(" ".join(text.split()).replace("``", ""))


def _leading_comment(lines: list[str]) -> list[str]:
    """The comment on a def's line and the comment lines right below it, before its code."""
    comment: list[str] = []
    in_body = False
    try:
        for tok in tokenize.generate_tokens(iter(lines).__next__):
            if tok.type == tokenize.COMMENT:
                comment.append(tok.string.lstrip("#").strip())
            elif tok.type == tokenize.NEWLINE:  # the end of the def's own (logical) line
                in_body = True
            elif in_body and (tok.type != tokenize.NL or comment and not tok.line.strip()):
                break  # the first code, or a blank line after the comment
    except tokenize.TokenError:
        pass
    return comment


def _first_clause(text: str) -> str:
    depth = 0
    for i, c in enumerate(text):
        depth += (c in "([{") - (c in ")]}")
        if c == ";" and depth == 0:
            return text[:i]
    return text


def source_text(fn, symbols: dict | None = None) -> tuple[str, str, str]:
    """(code, summary, where) of a forward or rule of the table, read from its source.

    A lambda gives its body, its names renamed by ``symbols`` and ``ns.f(...)`` read as
    ``f(...)`` (the namespace is the engine's plumbing); a named function gives its call
    and its first comment or docstring line (a closure also the values it closes over).
    ``where`` is ``chainrule/<file>:<line>``, relative to the package.

    >>> from chainrule.ops import REGISTRY
    >>> source_text(REGISTRY["sin"].vjp[0])[:2]
    ('g * cos(x)', '')
    >>> source_text(REGISTRY["pow"].vjp[0])[:2]
    ('_pow_dx(ns, g, x, y)', 'd/dx x**y = y * x**(y-1)')
    """
    params = ", ".join(inspect.signature(fn).parameters)
    where = _where(fn)
    if getattr(fn, "__name__", "") == "<lambda>":
        node = _lambda_node(fn)
        if node is None:
            return f"lambda {params}: ...", "", where
        body = _Rename(dict(symbols or {})).visit(ast.parse(ast.unparse(node.body), mode="eval"))
        return ast.unparse(body), "", where
    summary = _summary(fn)
    # a closure made by a helper (``_rounding("floor", ...)``) reads as helper.name, with
    # the plain values it closes over: they are what tells its siblings apart
    name = getattr(fn, "__qualname__", type(fn).__name__).replace(".<locals>", "")
    code = getattr(fn, "__code__", None)
    cells = zip(code.co_freevars, fn.__closure__ or (), strict=True) if code else ()
    values = [f"{n}={c.cell_contents!r}" for n, c in cells if _plain(c)]
    summary = "; ".join(s for s in (summary, ", ".join(values)) if s)
    return f"{name}({params})", summary, where


def _plain(cell) -> bool:
    try:
        value = cell.cell_contents
    except ValueError:  # an empty cell
        return False
    return value is None or isinstance(value, (bool, int, float, str))


def rule_text(prim, i: int, symbols: dict) -> tuple[str, str]:
    """(what the rule for input ``i`` computes, where it is written) for a node's primitive.

    ``symbols`` maps the rule's parameter names (the forward's input names, ``out``) to
    what they are in this graph. A lambda rule is shown renamed (``g * x``); a named rule
    by its name and its own comment; a user's Function by its backward.

    >>> from chainrule.ops import REGISTRY
    >>> rule_text(REGISTRY["mul"], 1, {"x": "a", "y": "b"})[0]
    'g * a'
    """
    rules = prim.vjp
    if rules is None:
        return "no rule (not differentiable)", ""
    r = 0 if prim.plan.variadic else i
    if r >= len(rules):
        return f"rule {r} of {prim.grad_fn}", ""
    fn = rules[r]
    if fn is PASS:  # the table's marker for a rule that hands g on unchanged
        return "g", ""
    if (
        prim.name.endswith("_output")
        or getattr(fn, "__name__", "") == "<lambda>"
        and any("ctx" == n for n in prim.plan.rule_names[r])
    ):
        return f"{prim.grad_fn[: -len('Backward')]}.backward (user-defined Function)", ""
    text, summary, where = source_text(fn, symbols)
    return (f"{text}: {summary}" if summary else text), where
