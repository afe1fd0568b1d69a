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
    Known(
        "a failing backward has already changed .grad",
        "11 §2",
        "backward that meets a modified saved tensor raises after accumulating into some "
        "leaves' .grad (PyTorch: those leaves keep their old .grad in the same program)",
        lambda d, p: d.kind.startswith("changed on failure"),
        """
v0 = torch.ones(3, requires_grad=True)
v1 = torch.ones(1, requires_grad=True)
v2 = (v1 ** 2).mean()
v3 = torch.std(v0, dim=0)
v3.view(-1).pow_(-1)
v2.backward(retain_graph=True)
v4 = v3.sum() + v2.abs().sum()
v4.backward(retain_graph=True)
""",
    ),
    # ------------------------------------- 11 §3: found by this fuzzer (not yet filed)
    Known(
        "gradients masked by multiplying: NaN where PyTorch selects",
        "11 §3 fuzzer",
        "clamp/clip, maximum/minimum and writes through views (x[i] = v) multiply the incoming "
        "gradient by a 0/1 mask, so 0 * NaN or 0 * inf gives NaN where PyTorch's selection "
        "gives 0 (and maximum with a NaN operand gives a number where PyTorch gives NaN)",
        lambda d, p: (
            base_op(d) in GRAD_OPS
            and d.kind in ("grad value", "value")
            and (nan_where_torch_is_not(d) or d.nan_where_chainrule_is_not())
            and _uses(p, d, r"(clamp|clip|maximum|minimum|\] [-+*/]?= )")
        ),
        """
v0 = torch.ones(1, requires_grad=True)
v1 = v0.clamp(max=0.5)
v1.backward(torch.tensor([float('nan')]))
""",
    ),
    Known(
        "a backward of a no_grad unbind of a view crashes",
        "11 §3 fuzzer",
        "backward on an output of unbind taken under no_grad from a view raises "
        "AttributeError ('NoneType' object has no attribute 'next'); PyTorch: "
        "'element 0 of tensors does not require grad'",
        lambda d, p: base_op(d) in GRAD_OPS and "AttributeError" in d.kind,
        """
v0 = torch.ones(2, 1, requires_grad=True)
v1 = v0.T
with torch.no_grad():
    v2 = torch.unbind(v1, 0)
v2[0].backward(torch.ones(2))
""",
    ),
    Known(
        "create_graph gradients through relu do not require grad",
        "11 §3 fuzzer",
        "autograd.grad(relu(y), [y], create_graph=True) gives a constant (requires_grad=False); "
        "PyTorch's requires grad (relu's backward reads its output), with the same values",
        lambda d, p: (
            base_op(d) == "autograd.grad"
            and d.kind == "requires_grad"
            and "create_graph=True" in stmt(d, p).code
            and _uses(p, d, r"relu")
        ),
        """
v0 = torch.ones(2, requires_grad=True)
v1 = v0.sum()
v2 = torch.relu(v1)
v3 = torch.autograd.grad(v2, [v1], create_graph=True)
""",
    ),
    Known(
        "create_graph gradients through an empty write require grad",
        "11 §3 fuzzer",
        "x[:] = v on an empty view x, then autograd.grad(..., create_graph=True): the "
        "gradient of x's base requires grad (PyTorch's does not; both are zeros)",
        lambda d, p: (
            base_op(d) == "autograd.grad"
            and d.kind == "requires_grad"
            and "create_graph=True" in stmt(d, p).code
            and "chainrule True, torch False" in d.detail
        ),
        """
v0 = torch.ones(1, 3, requires_grad=True)
v1 = v0 * 2
v2 = v1.narrow(1, 2, 0)
v2[:] = v0.sum()
v3 = v2.abs().sum()
v4 = torch.autograd.grad(v3, [v1], create_graph=True)
""",
    ),
    Known(
        "an integer tensor written with a value that requires grad",
        "11 §3 fuzzer",
        "x[idx] = v on an int64/bool x with a v that requires grad: PyTorch records it (x "
        "requires grad), chainrule does not (a PyTorch quirk; pin chainrule's choice)",
        lambda d, p: (
            base_op(d).startswith("setitem")
            and d.kind == "requires_grad"
            and d.detail.endswith(INTEGER)
        ),
        """
v0 = torch.tensor([1, 2])
v0[torch.tensor([True, False])] = torch.ones(1, requires_grad=True)
""",
    ),
]


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
