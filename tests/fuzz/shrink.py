"""Shrinking: the smallest program that still shows the same disagreement.

A candidate is kept when it disagrees in the same class (``Disagreement.key``: the kind
and the op). Statements go in chunks, then one by one, each with the statements that
use the names it defines; then each remaining statement is simplified by rewrites
(drop a keyword, leave the no_grad block, round the numbers of a literal, unwrap the
``(x.abs() + 0.5)`` guard, use a plain ``.sum()`` as the loss), and the deletions run
again, until nothing more goes.
"""

from __future__ import annotations

import ast
import re
import time

import numpy as np

from .execute import Outcome, execute
from .program import Program, Stmt

KWARGS = re.compile(
    r", (retain_graph|create_graph|allow_unused|keepdim|keepdims|unbiased|correction|alpha)"
    r"=[^,)]+"
)
GUARD = re.compile(r"\((\w+(?:\[[^\]]*\])?)\.abs\(\) \+ 0\.5\)")
LINSPACE = re.compile(
    r"\((\w+(?:\[\d+\])?) \* torch\.linspace\(-1\.0, 2\.0, \1\.numel\(\)\)\.reshape\(\1\.shape\)\)"
)
LITERAL = re.compile(r"torch\.tensor\((\[[-\d.,\[\] e]*\])")
NUMBER = re.compile(r"(?<![\w.])-?\d+\.\d+")


def _without(program: Program, drop: set[int]) -> Program:
    """program without the statements in drop and those that read what they define."""
    gone: set[str] = set()
    keep = []
    for i, s in enumerate(program):
        if i in drop or any(name in gone for name in s.reads):
            gone.update(s.defines)
            continue
        keep.append(s)
    return program.replace(keep)


def rewrites(stmt: Stmt):
    """Simpler versions of one statement."""
    code = stmt.code
    if stmt.no_grad:
        yield Stmt(code)
    for m in KWARGS.finditer(code):
        yield Stmt(code[: m.start()] + code[m.end() :], stmt.no_grad)
    for pat, rep in ((GUARD, r"\1"), (LINSPACE, r"\1")):
        new = pat.sub(rep, code)
        if new != code:
            yield Stmt(new, stmt.no_grad)
    if ", requires_grad=True" in code:
        yield Stmt(code.replace(", requires_grad=True", ""), stmt.no_grad)
    if ", dtype=torch.float64" in code:
        yield Stmt(code.replace(", dtype=torch.float64", ""), stmt.no_grad)
    if code.count("torch.tensor(") == 1 and NUMBER.search(code):
        yield Stmt(NUMBER.sub(lambda m: str(float(round(float(m.group())))), code), stmt.no_grad)
        yield Stmt(NUMBER.sub("1.0", code), stmt.no_grad)
    m = LITERAL.search(code)
    if m:
        try:
            shape = np.shape(ast.literal_eval(m.group(1)))
        except (ValueError, SyntaxError):
            shape = None
        if shape is not None and all(shape):
            dims = ", ".join(map(str, shape)) if shape else "()"
            for fill in ("ones", "zeros"):
                yield Stmt(
                    code[: m.start()] + f"torch.{fill}({dims}" + code[m.end() :], stmt.no_grad
                )
    if " + " in code and code.endswith(".sum()") and "= " in code:
        lhs, rhs = code.split(" = ", 1)
        terms = rhs.split(" + ")
        if len(terms) == 2 and all(t.endswith(("sum()", "mean()")) for t in terms):
            for t in terms:
                yield Stmt(f"{lhs} = {t}", stmt.no_grad)


class Shrinker:
    def __init__(
        self, outcome: Outcome, budget_s: float = 30.0, max_runs: int = 600, execute=execute
    ):
        d = outcome.disagreement
        assert d is not None
        self.key = d.key
        self.best = outcome.program.replace(outcome.program.stmts[: d.index + 1])
        self.outcome = outcome
        self.deadline = time.monotonic() + budget_s
        self.runs_left = max_runs
        self.execute = execute  # program -> an outcome with .disagreement (key, index)

    def tries(self, candidate: Program) -> bool:
        if self.runs_left <= 0 or time.monotonic() > self.deadline:
            return False
        self.runs_left -= 1
        out = self.execute(candidate)
        d = out.disagreement
        if d is not None and d.key == self.key:
            self.best = candidate.replace(candidate.stmts[: d.index + 1])
            self.outcome = out
            return True
        return False

    def deletions(self) -> bool:
        progress = False
        size = max(len(self.best) // 2, 1)
        while size >= 1:
            i = 0
            while i < len(self.best):
                if self.tries(_without(self.best, set(range(i, i + size)))):
                    progress = True
                else:
                    i += size
            if size == 1:
                break
            size //= 2
        return progress

    def simplifications(self) -> bool:
        progress = False
        i = 0
        while i < len(self.best):
            for alt in rewrites(self.best[i]):
                if alt == self.best[i]:
                    continue
                stmts = list(self.best.stmts)
                stmts[i] = alt
                if self.tries(self.best.replace(stmts)):
                    progress = True
                    break
            else:
                i += 1
        return progress

    def run(self) -> Outcome:
        while self.deletions() | self.simplifications():
            pass
        renamed = renumber(self.best)
        for program in (renamed, self.best):
            out = self.execute(program)
            if out.disagreement is not None and out.disagreement.key == self.key:
                return out
        return self.outcome


def renumber(program: Program) -> Program:
    """Names v0, v1, ... in the order the program defines them."""
    names: dict[str, str] = {}
    for s in program:
        for n in s.defines:
            names.setdefault(n, f"v{len(names)}")
    rx = re.compile(r"\bv\d+\b")
    stmts = [
        Stmt(rx.sub(lambda m: names.get(m.group(), m.group()), s.code), s.no_grad) for s in program
    ]
    return program.replace(stmts)


def shrink(outcome: Outcome, budget_s: float = 30.0, execute=execute) -> Outcome:
    """The outcome of the smallest program found that disagrees in the same class;
    ``execute`` runs a candidate (the compiled mode passes its own: compiled.check)."""
    return Shrinker(outcome, budget_s, execute=execute).run()
