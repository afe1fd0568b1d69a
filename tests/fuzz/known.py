"""Known disagreements: the classes the CI fuzz test tolerates until their fix lands.

Each entry names one defect: a precise predicate over the disagreement (its kind, its op,
the error text, the statement), the issue-11 item it belongs to, a one-line reason, and
its minimal program (``example``), which tests/fuzz/test_fuzz.py runs as a probe: when an
example stops disagreeing the way its entry says, the defect is fixed and the test asks for
the entry to be deleted. The list only shrinks; a new disagreement is a bug to fix, not
an entry to add (unless it is filed, and then with its own precise predicate).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .execute import Disagreement, written
from .program import Program, Stmt

VIEW_OPS = {
    "getitem",
    "T",
    "mT",
    "t",
    "transpose",
    "swapaxes",
    "permute",
    "view",
    "view_as",
    "reshape",
    "expand",
    "expand_as",
    "broadcast_to",
    "squeeze",
    "unsqueeze",
    "flatten",
    "narrow",
    "movedim",
    "split",
    "chunk",
    "unbind",
    "values",
    "indices",
}


@dataclass(frozen=True)
class Known:
    name: str
    item: str  # where in issue 11 it belongs ("11 §1", "11 §2", "11 §3" for fuzzer finds)
    reason: str
    match: Callable[[Disagreement, Program], bool]
    example: str  # a minimal program that shows it (the probe)
    accepted: bool = False  # not a chainrule defect (ACCEPTED below)


def stmt(d: Disagreement, p: Program) -> Stmt:
    return p[d.index]


def base_op(d: Disagreement) -> str:
    return d.op.removesuffix("[no_grad]")


def writes_in_place(d: Disagreement, p: Program) -> bool:
    s = stmt(d, p)
    return any(n not in s.defines for n in written(s))


def raises(d: Disagreement, lib: str, exc: str, text: str) -> bool:
    """``lib`` alone raised ``exc`` with ``text`` in its message."""
    msg = d.cr_error if lib == "chainrule" else d.torch_error
    return d.kind == f"{lib} raises {exc}" and text in msg


def _uses(p: Program, d: Disagreement, pattern: str) -> bool:
    rx = re.compile(pattern)
    return any(rx.search(s.code) for s in p.stmts[: d.index + 1])


def nan_where_torch_is_not(d: Disagreement) -> bool:
    return d.nan_where_torch_is_not()


def defined_by(p: Program, d: Disagreement, name: str, pattern: str) -> bool:
    """The statement that defines ``name`` (before the disagreement) matches pattern."""
    name = re.split(r"[.\[]", name)[0]
    for s in p.stmts[: d.index + 1]:
        if name in s.defines:
            return re.search(pattern, s.code) is not None
    return False


def wrt_defined_by(p: Program, d: Disagreement, pattern: str) -> bool:
    """An input of the autograd.grad call at the disagreement is defined by pattern."""
    m = re.search(r"autograd\.grad\(\w+, \[([^\]]*)\]", stmt(d, p).code)
    return bool(m) and any(defined_by(p, d, n.strip(), pattern) for n in m.group(1).split(","))


GRAD_OPS = ("backward", "autograd.grad", "autograd.backward")
MIN_MAX = r"(\b(amin|amax|min|max)\(|norm\(p=float\('inf'\))"
TENSOR_BOUND = r"(\.(clamp|clip)\([^)]*\bv\d|torch\.(clamp|clip)\(\w+(\[\d+\])?, [^)]*\bv\d)"
ADVANCED_INDEX = r"\w\[[^\]]*(\[|torch\.tensor\(| > )"
TRANSPOSE_1D = r"(\.(T|t\(\))|\.transpose\((-?\d+), \3\))$"
INTEGER = ("(torch.int64)", "(torch.bool)")

KNOWN: list[Known] = [
    # ---------------------------------------------------- 11 §1: in-place on views
    # ------------------------------------------------ 11 §2: silent wrong results
    # ------------------------------------- 11 §3: found by this fuzzer (not yet filed)
]


def _opposite_infinities(d: Disagreement) -> bool:
    """Where the values differ, they are infinities of opposite signs."""
    a = d.arrays()
    if a is None:
        return False
    c, t = a
    differ = (c != t) & ~(np.isnan(c) & np.isnan(t))
    return bool(differ.any() and np.all(np.isinf(c[differ]) & (c[differ] == -t[differ])))


# Differences that are not chainrule defects: PyTorch's result there is undefined or a
# PyTorch quirk. Tolerated for good, and reported apart from KNOWN.
ACCEPTED: list[Known] = [
    Known(
        "PyTorch's result depends on aliasing",
        "not a defect",
        "an in-place op whose operand shares memory with its target (x.add_(x.t()[:1]) where "
        "x.contiguous() is x): PyTorch reads what it has already written, chainrule does not",
        lambda d, p: d.aliased,
        "",
        accepted=True,
    ),
    Known(
        "autograd.grad results that share memory",
        "not a defect",
        "torch.autograd.grad may return one tensor for two inputs (y and y.movedim(-1, -1)); "
        "requires_grad_() on one then shows on the other",
        lambda d, p: (
            base_op(d).removeprefix("view.") == "requires_grad_"
            and d.kind == "requires_grad"
            and not d.detail.startswith(stmt(d, p).code.split(".requires_grad_")[0] + ".")
        ),
        "",
        accepted=True,
    ),
]


def classify(d: Disagreement, p: Program) -> Known | None:
    """The known class a disagreement belongs to, or None (a new one)."""
    for k in KNOWN + ACCEPTED:
        try:
            if k.match(d, p):
                return k
        except Exception:  # noqa: BLE001 - a predicate that cannot read this one does not match
            continue
    return None
