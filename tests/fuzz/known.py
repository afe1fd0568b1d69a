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


def _chainrule_nan_torch_not(d: Disagreement) -> bool:
    """chainrule's side of the detail has a nan, PyTorch's has none."""
    m = re.search(r"chainrule (.*), torch (.*)", d.detail)
    return bool(m) and "nan" in m.group(1) and "nan" not in m.group(2)


def defined_by(p: Program, d: Disagreement, name: str, pattern: str) -> bool:
    """The statement that defines ``name`` (before the disagreement) matches pattern."""
    for s in p.stmts[: d.index + 1]:
        if name in s.defines:
            return re.search(pattern, s.code) is not None
    return False


MIN_MAX = r"\b(amin|amax|min|max)\("
TENSOR_BOUND = r"(\.(clamp|clip)\([^)]*\bv\d|torch\.(clamp|clip)\(\w+(\[\d+\])?, [^)]*\bv\d)"
ADVANCED_INDEX = r"\w\[[^\]]*(\[|torch\.tensor\(| > )"

KNOWN: list[Known] = [
    # ---------------------------------------------------- 11 §1: in-place on views
    Known(
        "views do not follow their base's new history",
        "11 §1",
        "a view made under no_grad or by split/unbind/chunk, whose base then changes in place "
        "with grad on, is refused by PyTorch at its next use (even reading .is_leaf), and a "
        "base's requires_grad_() makes its views non-leaves; chainrule lets them through",
        lambda d, p: (
            d.kind.startswith("is_leaf")
            and (writes_in_place(d, p) or base_op(d) == "requires_grad_")
            and ("of another tensor" in d.kind or "torch <raises RuntimeError>" in d.detail)
        ),
        """
v0 = torch.ones(4, 1)
v1 = torch.round(v0)
v2 = v1[0]
v1.tanh_()
v2.requires_grad_()
v1.requires_grad_()
""",
    ),
    Known(
        "retain_grad() stays on the version before an in-place write",
        "11 §1",
        "x.retain_grad(), then x changed in place through a view: x.grad is the gradient of "
        "the old version (PyTorch moves retain_grad to the new one)",
        lambda d, p: (
            d.kind == "grad value"
            and _uses(p, d, r"\.retain_grad\(\)")
            and any(any(n not in s.defines for n in written(s)) for s in p.stmts[: d.index])
        ),
        """
v0 = torch.ones(2, requires_grad=True)
v1 = v0 * 1
v1.retain_grad()
v1[:1].mul_(0)
v1.sum().backward()
""",
    ),
    # ------------------------------------------------ 11 §2: silent wrong results
    Known(
        "x // y does not require grad",
        "11 §2",
        "floor_divide of a tensor that requires grad gives requires_grad=False",
        lambda d, p: d.kind == "requires_grad" and base_op(d) == "floor_divide",
        """
v0 = torch.tensor([1.5, 2.5], requires_grad=True)
v1 = v0 // 1
""",
    ),
    Known(
        "std with zero variance has a NaN gradient",
        "11 §2",
        "the gradient of std where the variance is 0 is NaN (PyTorch: 0)",
        lambda d, p: (
            d.kind in ("grad value", "value")
            and base_op(d) in ("backward", "autograd.grad", "autograd.backward")
            and _chainrule_nan_torch_not(d)
            and _uses(p, d, r"\bstd\(")
        ),
        """
v0 = torch.ones(2, requires_grad=True)
v1 = v0.std()
v1.backward()
""",
    ),
    Known(
        "clamp with tensor bounds splits the gradient at a tie",
        "11 §2",
        "clamp(x, min=t) where x == t gives x half the gradient (PyTorch: all of it)",
        lambda d, p: d.kind == "grad value" and _uses(p, d, TENSOR_BOUND),
        """
v0 = torch.ones(2, requires_grad=True)
v1 = torch.clamp(v0, min=torch.ones(2))
v1.sum().backward()
""",
    ),
    Known(
        "square and pow refuse an in-place change of their output",
        "11 §2",
        "x.square() (or x ** 2) saves its output, so changing the output in place makes "
        "backward raise; PyTorch saves x and lets it through",
        lambda d, p: (
            base_op(d) in ("backward", "autograd.grad", "autograd.backward")
            and raises(d, "chainrule", "RuntimeError", "which is output 0 of Pow")
        ),
        """
v0 = torch.ones(2, requires_grad=True)
v1 = v0.square()
v1 += 1.5
v1.sum().backward()
""",
    ),
    Known(
        "where accepts a non-bool condition",
        "11 §2",
        "torch.where with a float or int condition is accepted (PyTorch raises)",
        lambda d, p: (
            base_op(d) == "where"
            and raises(d, "torch", "RuntimeError", "condition to be a boolean tensor")
        ),
        """
v0 = torch.tensor([1.0, 0.0])
v1 = torch.where(v0, v0, 0.0)
""",
    ),
    # ------------------------------------- 11 §3: found by this fuzzer (not yet filed)
    Known(
        "masked_fill_ indexes with the mask instead of broadcasting it",
        "11 §3 fuzzer",
        "x.masked_fill_(mask, v) uses mask as an index: a (2,) mask on a (2, 2) x fills "
        "rows, not columns; a (3, 1) mask on (3, 4) raises IndexError (masked_fill is right)",
        lambda d, p: (
            base_op(d).removeprefix("view.") == "masked_fill_"
            and ("value" in d.kind or "IndexError" in d.kind)
        ),
        """
v0 = torch.zeros(2, 2)
v0.masked_fill_(torch.tensor([False, True]), 1.0)
""",
    ),
    Known(
        "the gradient of min/max/amin/amax is float64",
        "11 §3 fuzzer",
        "amax/amin/max/min of a float32 tensor give a float64 gradient: ops/reduction.py "
        "divides by an int64 count array (g * mask / count), which NumPy promotes",
        lambda d, p: (
            d.kind in ("grad dtype", "dtype")
            and "chainrule torch.float64, torch torch.float32" in d.detail
            and _uses(p, d, MIN_MAX)
        ),
        """
v0 = torch.ones(2, 2, requires_grad=True)
v1 = v0.amin()
v1.backward()
""",
    ),
    Known(
        "Tensor.softmax and Tensor.log_softmax are missing",
        "11 §3 fuzzer",
        "x.softmax(dim) and x.log_softmax(dim) raise AttributeError (torch.softmax works)",
        lambda d, p: (
            base_op(d) in ("softmax", "log_softmax")
            and raises(d, "chainrule", "AttributeError", "has no attribute")
        ),
        """
v0 = torch.ones(4)
v1 = v0.softmax(0)
""",
    ),
    Known(
        "inner of n-d tensors is refused",
        "11 §3 fuzzer",
        "torch.inner / Tensor.inner accept only 1-D tensors (PyTorch: contracts last dims)",
        lambda d, p: (
            base_op(d) == "inner" and raises(d, "chainrule", "RuntimeError", "1D tensors expected")
        ),
        """
v0 = torch.ones(1, 3)
v1 = torch.inner(v0, v0)
""",
    ),
    Known(
        "outer accepts n-d tensors",
        "11 §3 fuzzer",
        "torch.outer of a 2-D tensor is accepted (PyTorch: 'Expected 1-D argument')",
        lambda d, p: base_op(d) == "outer" and raises(d, "torch", "RuntimeError", "Expected 1-D"),
        """
v0 = torch.ones(2, 2)
v1 = torch.outer(v0, torch.ones(2))
""",
    ),
    Known(
        "round_() requires decimals",
        "11 §3 fuzzer",
        "Tensor.round_() without arguments raises TypeError (missing 'decimals')",
        lambda d, p: (
            base_op(d).removeprefix("view.") == "round_"
            and raises(d, "chainrule", "TypeError", "decimals")
        ),
        """
v0 = torch.ones(3)
v0.round_()
""",
    ),
    Known(
        "T and t() of a 0-d or 1-D tensor return the tensor itself",
        "11 §3 fuzzer",
        "x.T / x.t() on 0-d and 1-D tensors give x itself, not a view: same object, is_leaf "
        "True, the same .grad, excluded from the graph",
        lambda d, p: (
            (base_op(d) in ("T", "t") and d.kind in ("is_leaf", "is_leaf of another"))
            or (
                d.kind in ("grad None", "requires_grad of another tensor")
                and defined_by(p, d, d.subject, r"\.(T|t\(\))$")
            )
            or (
                base_op(d) == "requires_grad_"
                and defined_by(p, d, stmt(d, p).reads[0], r"\.(T|t\(\))$")
            )
            or (
                base_op(d) == "autograd.grad"
                and raises(d, "torch", "RuntimeError", "appears to not have been used")
                and _uses(p, d, r"\.(T|t\(\))$")
            )
        ),
        """
v0 = torch.ones(3, requires_grad=True)
v1 = v0.T
""",
    ),
    Known(
        "mT of a 0-d tensor is refused",
        "11 §3 fuzzer",
        "x.mT on a 0-d tensor raises 'Got 1-D tensor' (PyTorch: the identity, deprecated)",
        lambda d, p: base_op(d) == "mT" and raises(d, "chainrule", "RuntimeError", "Got 1-D"),
        """
v0 = torch.tensor(1.0)
v1 = v0.mT
""",
    ),
    Known(
        "in-place writes to expanded tensors are refused",
        "11 §3 fuzzer",
        "expand/expand_as/broadcast_to give read-only arrays (NumPy's broadcast_to), even to "
        "the same shape; PyTorch writes them (and lets fill_/zero_ write overlapping ones)",
        lambda d, p: raises(
            d, "chainrule", "RuntimeError", "more than one element of the written-to tensor"
        ),
        """
v0 = torch.ones(2, 2)
v1 = v0.expand_as(v0)
v1.mul_(2)
""",
    ),
    Known(
        "backward after backward(create_graph=True)",
        "11 §3 fuzzer",
        "a second backward into a .grad made with create_graph=True raises ValueError "
        "('output array is read-only') or accumulates a grad that does not require grad",
        lambda d, p: (
            base_op(d) == "backward"
            and _uses(p, d, "create_graph=True")
            and (
                raises(d, "chainrule", "ValueError", "read-only") or d.kind == "grad requires_grad"
            )
        ),
        """
v0 = torch.ones(2, requires_grad=True)
v1 = (v0 * v0).sum()
v1.backward(create_graph=True)
v1.backward()
""",
    ),
    Known(
        "autograd.grad runs or frees more of the graph than it needs",
        "11 §3 fuzzer",
        "autograd.grad(y, [x]) checks saved versions beyond the inputs asked for, and with "
        "the output among the inputs it frees the graph (PyTorch stops at the inputs)",
        lambda d, p: (
            (
                base_op(d) == "autograd.grad"
                and raises(d, "chainrule", "RuntimeError", "modified by an inplace operation")
            )
            or (
                base_op(d) in ("backward", "autograd.grad")
                and raises(d, "chainrule", "RuntimeError", "backward through the graph a second")
                and _uses(p, d, r"autograd\.grad\((\w+), \[[^\]]*\b\1\b")
            )
        ),
        """
v0 = torch.ones(2, requires_grad=True)
v1 = v0 * 1
v2 = v1 * v1
v1.mul_(2)
v3 = torch.autograd.grad(v2.sum(), [v2])
""",
    ),
    Known(
        "split and chunk of an empty dimension give no pieces",
        "11 §3 fuzzer",
        "split/chunk along a dimension of size 0 return () (PyTorch: one empty piece, or as "
        "many as chunks asked for)",
        lambda d, p: d.kind == "length" and base_op(d) in ("split", "chunk"),
        """
v0 = torch.zeros(0, 2)
v1 = torch.split(v0, 2)
""",
    ),
    Known(
        "sign(nan) is nan",
        "11 §3 fuzzer",
        "sign and sign_ of nan give nan, and so does abs's gradient at nan (PyTorch: 0)",
        lambda d, p: (
            _chainrule_nan_torch_not(d)
            and (
                base_op(d) in ("sign", "sign_", "view.sign_")
                or (d.kind in ("value", "grad value") and _uses(p, d, r"\babs\(|\.abs\("))
            )
        ),
        """
v0 = torch.tensor([float('nan')])
v1 = v0.sign()
""",
    ),
    Known(
        "maximum and minimum accept a Python number",
        "11 §3 fuzzer",
        "torch.maximum(x, 1.5) works (PyTorch raises TypeError: 'other' must be Tensor)",
        lambda d, p: (
            base_op(d) in ("maximum", "minimum")
            and raises(d, "torch", "TypeError", "must be Tensor")
        ),
        """
v0 = torch.ones(2)
v1 = torch.maximum(v0, 1.5)
""",
    ),
    Known(
        "index_put with another dtype is accepted",
        "11 §3 fuzzer",
        "x[mask] = v with v of another float dtype casts (PyTorch: 'Index put requires the "
        "source and destination dtypes match')",
        lambda d, p: raises(d, "torch", "RuntimeError", "Index put requires the source"),
        """
v0 = torch.ones(3, 2)
v0[torch.tensor([True, False, True])] = torch.ones(2, dtype=torch.float64)
""",
    ),
    Known(
        "in-place from an overlapping operand is not refused",
        "11 §3 fuzzer",
        "x[None] += x writes from a tensor that shares memory with the target (PyTorch: "
        "'some elements of the input tensor and the written-to tensor refer to a single "
        "memory location')",
        lambda d, p: raises(d, "torch", "RuntimeError", "refer to a single memory location"),
        """
v0 = torch.tensor(1.0)
v0[None] += v0
""",
    ),
    Known(
        "numpy() under no_grad is refused",
        "11 §3 fuzzer",
        "x.numpy() of a tensor that requires grad raises even under no_grad (PyTorch allows)",
        lambda d, p: d.op == "numpy[no_grad]" and d.kind == "chainrule raises RuntimeError",
        """
v0 = torch.ones(1, requires_grad=True)
with torch.no_grad():
    v1 = v0.numpy()
""",
    ),
    Known(
        "advanced indexing gives NumPy's memory layout",
        "11 §3 fuzzer",
        "x[:, idx] is not C-contiguous (NumPy's layout), so contiguous()/flatten() of it "
        "copy where PyTorch returns a view (an in-place write then does not reach the "
        "original) and .T.view(-1) works where PyTorch refuses",
        lambda d, p: (
            _uses(p, d, ADVANCED_INDEX)
            and (
                raises(d, "torch", "RuntimeError", "view size is not compatible")
                or ("value" in d.kind and writes_in_place(d, p))
            )
        ),
        """
v0 = torch.ones(2, 1)
v1 = v0[:, [0, 0]]
v2 = v1 * 1
v3 = v2.contiguous()
v3[0].add_(0.5)
""",
    ),
]


def classify(d: Disagreement, p: Program) -> Known | None:
    """The known class a disagreement belongs to, or None (a new one)."""
    for k in KNOWN:
        try:
            if k.match(d, p):
                return k
        except Exception:  # noqa: BLE001 - a predicate that cannot read this one does not match
            continue
    return None
