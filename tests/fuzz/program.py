"""Programs as data: a list of one-line statements over a pool of named tensors.

A statement is one line of Python that names the library ``torch`` (so the same text runs
with ``import torch`` and with ``import chainrule as torch``), and whether it runs under
``torch.no_grad()``. Everything else the fuzzer needs is read from the line's syntax tree:
the names it defines, the names it reads, and the name of its op (``add``, ``setitem``,
``view.mul_``, ...), which is how disagreements are classified. Programs therefore
round-trip through their printed form: ``Program.parse(program.render())``.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from functools import cached_property

BINOPS = {
    ast.Add: "add",
    ast.Sub: "sub",
    ast.Mult: "mul",
    ast.Div: "div",
    ast.FloorDiv: "floor_divide",
    ast.Mod: "remainder",
    ast.Pow: "pow",
    ast.MatMult: "matmul",
    ast.BitAnd: "and",
    ast.BitOr: "or",
    ast.BitXor: "xor",
}
COMPARES = {
    ast.Lt: "lt",
    ast.LtE: "le",
    ast.Gt: "gt",
    ast.GtE: "ge",
    ast.Eq: "eq",
    ast.NotEq: "ne",
}
UNARY = {ast.USub: "neg", ast.UAdd: "pos", ast.Invert: "invert", ast.Not: "not"}
LIBRARY = "torch"  # the name a program calls the library by


def _is_view_expr(e: ast.expr) -> bool:
    """A receiver that is not a plain name: ``x[0]``, ``x.T``, ``x.view(-1)``..."""
    return not isinstance(e, ast.Name)


def expr_op(e: ast.expr) -> str:
    """The name of an expression's outermost operation."""
    if isinstance(e, ast.Call):
        f = e.func
        if isinstance(f, ast.Attribute):
            owner = f.value
            if isinstance(owner, ast.Attribute) and isinstance(owner.value, ast.Name):
                if owner.value.id == LIBRARY:  # torch.autograd.grad, torch.linalg.norm
                    return f"{owner.attr}.{f.attr}"
            return f.attr
        if isinstance(f, ast.Name):
            return f.id
        return "call"
    if isinstance(e, ast.BinOp):
        return BINOPS.get(type(e.op), type(e.op).__name__)
    if isinstance(e, ast.UnaryOp):
        return UNARY.get(type(e.op), type(e.op).__name__)
    if isinstance(e, ast.Compare):
        return COMPARES.get(type(e.ops[0]), "compare")
    if isinstance(e, ast.Subscript):
        return "getitem"
    if isinstance(e, ast.Attribute):
        return e.attr
    if isinstance(e, ast.Name):
        return "alias"
    return type(e).__name__.lower()


def stmt_op(node: ast.stmt) -> str:
    """The op a statement is classified by."""
    if isinstance(node, ast.Assign):
        target = node.targets[0]
        if isinstance(target, ast.Subscript):
            return "setitem"
        if isinstance(target, ast.Attribute):
            return f"set_{target.attr}"
        return expr_op(node.value)
    if isinstance(node, ast.AugAssign):
        op = "i" + BINOPS.get(type(node.op), type(node.op).__name__)
        if isinstance(node.target, ast.Subscript):
            return "setitem." + op
        return op
    if isinstance(node, ast.Expr):
        e = node.value
        op = expr_op(e)
        if (
            isinstance(e, ast.Call)
            and isinstance(e.func, ast.Attribute)
            and op.endswith("_")
            and not op.startswith("_")
            and _is_view_expr(e.func.value)
        ):
            return "view." + op
        return op
    return type(node).__name__.lower()


@dataclass(frozen=True)
class Stmt:
    """One statement: a line of Python, run under ``torch.no_grad()`` when ``no_grad``."""

    code: str
    no_grad: bool = False

    @cached_property
    def tree(self) -> ast.stmt:
        body = ast.parse(self.code).body
        if len(body) != 1:
            raise ValueError(f"not one statement: {self.code!r}")
        return body[0]

    @cached_property
    def defines(self) -> tuple[str, ...]:
        """Names this statement (re)binds: ``v3 = ...``, ``v4, v5 = ...``."""
        node = self.tree
        if not isinstance(node, ast.Assign):
            return ()
        out = []
        for target in node.targets:
            for n in ast.walk(target):
                if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store):
                    out.append(n.id)
        return tuple(out)

    @cached_property
    def reads(self) -> tuple[str, ...]:
        """Names of the pool this statement uses (in-place targets included)."""
        names = []
        for n in ast.walk(self.tree):
            if isinstance(n, ast.Name) and n.id != LIBRARY and n.id not in self.defines:
                if n.id not in names:
                    names.append(n.id)
        return tuple(names)

    @cached_property
    def op(self) -> str:
        return stmt_op(self.tree) + ("[no_grad]" if self.no_grad else "")

    @cached_property
    def compiled(self):
        return compile(self.source(), "<fuzz>", "exec")

    def __reduce__(self):  # pickle the text only (not the cached tree and code)
        return (Stmt, (self.code, self.no_grad))

    def source(self) -> str:
        if self.no_grad:
            return f"with {LIBRARY}.no_grad():\n    {self.code}"
        return self.code


HEADER = "import torch  # or: import chainrule as torch (the same program)"


@dataclass(frozen=True)
class Program:
    stmts: tuple[Stmt, ...]
    seed: int | None = None

    def __len__(self) -> int:
        return len(self.stmts)

    def __iter__(self):
        return iter(self.stmts)

    def __getitem__(self, i):
        return self.stmts[i]

    def replace(self, stmts) -> Program:
        return Program(tuple(stmts), self.seed)

    def render(self, marks: dict[int, str] | None = None, header: bool = True) -> str:
        """Runnable source; ``marks[i]`` is a comment put after statement i. Consecutive
        no_grad statements share one ``with`` block."""
        marks = marks or {}
        lines = [HEADER] if header else []
        in_block = False
        for i, s in enumerate(self.stmts):
            if s.no_grad and not in_block:
                lines.append(f"with {LIBRARY}.no_grad():")
            in_block = s.no_grad
            line = ("    " if s.no_grad else "") + s.code
            if i in marks:
                line += "  # <-- " + marks[i]
            lines.append(line)
        return "\n".join(lines)

    @classmethod
    def parse(cls, text: str, seed: int | None = None) -> Program:
        """The inverse of render: comments, blank lines and imports are skipped."""
        stmts = []
        block = False
        for raw in text.splitlines():
            code = raw.split("  #", 1)[0].rstrip()
            if raw.lstrip().startswith("#") or not code.strip():
                continue
            stripped = code.strip()
            if stripped.startswith(("import ", "from ")):
                continue
            if stripped == f"with {LIBRARY}.no_grad():":
                block = True
                continue
            indented = code.startswith((" ", "\t"))
            block = block and indented
            stmts.append(Stmt(stripped, no_grad=block))
        return cls(tuple(stmts), seed)


def run_statement(stmt: Stmt, env: dict) -> BaseException | None:
    """Run one statement in ``env`` (warnings silenced); the exception it raised, if any."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            exec(stmt.compiled, env)
        except Exception as e:  # noqa: BLE001 - any exception is a result to compare
            return e
    return None
