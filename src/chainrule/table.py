"""The derivative table on one page: ``python -m chainrule table`` writes docs/TABLE.md.

Every entry of ``chainrule.ops.REGISTRY``, grouped by the part of the table that declares
it, with its forward, its vjp rule per input, its jvp, its kink policy and its flags. All of
it is read from the declarations (rules as source text, through ``viz.rules``; the legend
from the docstrings of ``ops.primitive``), so the page cannot say anything the code does not.

>>> from chainrule.table import render
>>> "- vjp: x: `g * out`" in render()
True
"""

from __future__ import annotations

import dis
import inspect
import re
import sys
from types import ModuleType

from .ops import (
    REGISTRY,
    conv,
    elementwise,
    indexing,
    linalg,
    loss,
    math_extra,
    norm,
    primitive,
    reduction,
    scatter,
    shape,
    special,
    stats,
    views,
)
from .ops.primitive import DIAGONAL, LINEAR, PASS, Primitive
from .viz.rules import source_text

__all__ = ["PARTS", "FLAGS", "parts", "render"]

# The table's parts in reading order (each module's docstring numbers it: part 1 to 13).
PARTS: tuple[ModuleType, ...] = (
    elementwise,
    reduction,
    shape,
    indexing,
    linalg,
    views,
    loss,
    norm,
    conv,
    special,
    math_extra,
    stats,
    scatter,
)
FLAGS = ("promote", "to_float", "broadcast", "view", "fit")
# An alias (``primitive.alias``) renames an entry and shares all of this with it.
_SHARED = ("fwd", "vjp", "jvp", "kink", "check", *FLAGS)
_WIDTH = 100  # a vjp or jvp line longer than this gets one line per input
# What a marker stands for, in an entry (the legend has the docstring's longer words).
_MARKERS = {
    PASS: "unchanged",
    DIAGONAL: "each vjp rule, with the tangent t for g",
    LINEAR: "the op itself, on the tangent t",
}
COMMAND = "python -m chainrule table --out docs/TABLE.md"


def parts() -> list[tuple[ModuleType | str, list[Primitive]]]:
    """The registry's entries grouped by the module that declares them, in file order: the
    eight parts first, then any module elsewhere that registers entries (by its name).

    >>> [(m.__name__, len(ps)) for m, ps in parts()][2]
    ('chainrule.ops.shape', 24)
    """
    registered = {id(p) for p in REGISTRY.values()}
    seen: set[int] = set()
    out: list[tuple[ModuleType | str, list[Primitive]]] = []
    for module in PARTS:  # a module's dict keeps the order its names were assigned
        found = [
            v for v in vars(module).values() if isinstance(v, Primitive) and id(v) in registered
        ]
        out.append((module, [p for p in found if id(p) not in seen and not seen.add(id(p))]))
    others: dict[str, list[Primitive]] = {}
    for p in REGISTRY.values():
        if id(p) not in seen:
            others.setdefault(getattr(p.fwd, "__module__", "?"), []).append(p)
    out += [(sys.modules.get(name, name), ps) for name, ps in others.items()]
    return out


def render() -> str:
    """The whole table as Markdown (what docs/TABLE.md holds).

    >>> text = render()
    >>> text.startswith("# The derivative table"), "### clone" in text
    (True, True)
    """
    lines = _legend()
    for module, prims in parts():
        lines += _part(module, prims)
    return "\n".join(lines).rstrip("\n") + "\n"


# ------------------------------------------------------------------------- the legend
def _legend() -> list[str]:
    doc = inspect.cleandoc(primitive.__doc__ or "")
    blocks = [b for b in _indented_blocks(doc) if not b[0].lstrip().startswith(">>>")]
    fields = _fields(inspect.cleandoc(Primitive.__doc__ or ""))
    wanted = ("fwd", "vjp", "jvp", "grad_fn", "kink", *FLAGS)
    return [
        "# The derivative table",
        "",
        "Generated from `chainrule.ops.REGISTRY`, the declarations themselves. Do not edit;",
        f"run `{COMMAND}`",
        "(tests/test_table_doc.py fails while this page is out of date).",
        "",
        "Each entry below is one declaration (`defop`) in `chainrule/ops/<part>.py`:",
        "",
        *(f"    {line}" for k in wanted for line in fields.get(k, [])),
        "",
        "A rule is shown as its source: the body of its `lambda`, or the call of a named",
        "function with its leading comment after `#`; `ns.f(...)` reads `f(...)`. A rule",
        "names what it needs by its parameters (`chainrule/ops/primitive.py`):",
        "",
        *(line for block in blocks for line in [*block, ""]),
        "The functions of a part that its lambdas call are listed at the end of the part.",
        "",
    ]


def _indented_blocks(doc: str) -> list[list[str]]:
    """The runs of lines indented by four spaces (the docstring's tables)."""
    blocks: list[list[str]] = []
    prev = False
    for line in doc.splitlines():
        indented = line.startswith("    ")
        if indented and prev:
            blocks[-1].append(line)
        elif indented:
            blocks.append([line])
        prev = indented
    return blocks


def _fields(doc: str) -> dict[str, list[str]]:
    """The ``name   text`` lines of a class docstring, by name (with continuation lines)."""
    out: dict[str, list[str]] = {}
    last = None
    for line in doc.splitlines():
        m = re.match(r"(\w+) {2,}\S", line)
        if m:
            last = m.group(1)
            out[last] = [line]
        elif last and line.startswith(" ") and line.strip():
            out[last].append(line)
        else:
            last = None
    return out


# --------------------------------------------------------------------------- a part
def _part(module: ModuleType | str, prims: list[Primitive]) -> list[str]:
    name = module if isinstance(module, str) else module.__name__
    title, path = _title(module), name.replace(".", "/") + ".py"
    count = f"{len(prims)} {'entry' if len(prims) == 1 else 'entries'}"
    lines = [f"## {title}", "", f"`{path}`: {count}.", ""]
    first: dict[tuple, Primitive] = {}
    quiet = []
    for p in prims:
        key = tuple(id(getattr(p, k)) for k in _SHARED)
        if key in first:
            lines += [f"### {p.name}", f"- alias of `{first[key].name}`, grad_fn `{p.grad_fn}`", ""]
            continue
        first[key] = p
        if p.vjp is None and p.jvp is None:
            quiet.append(p)
        else:
            lines += _entry(p)
    if quiet:
        lines += ["### Not differentiable", "No vjp, no jvp: the result carries no gradient.", ""]
        for p in quiet:
            flags = _flags(p)
            lines.append(f"- `{p.name}`: {_shown(p.fwd)}" + (f" · {flags}" if flags != "—" else ""))
        lines.append("")
    lines += _helpers(prims)
    return lines


def _title(module: ModuleType | str) -> str:
    """``Part 1: elementwise math`` from the module docstring's ``THE TABLE, part 1: ...``."""
    if isinstance(module, str):
        return module
    doc = " ".join((module.__doc__ or "").split("\n\n")[0].split())
    m = re.match(r"THE TABLE, (part \d+: [^.]*)", doc)
    name = module.__name__.rsplit(".", 1)[-1]
    return m.group(1)[0].upper() + m.group(1)[1:] if m else name


def _entry(p: Primitive) -> list[str]:
    kink = _prose(p.kink) if p.kink else "—"
    lines = [
        f"### {p.name}",
        f"- grad_fn `{p.grad_fn}` · flags: {_flags(p)} · kink: {kink}",
        f"- forward: {_shown(p.fwd)}",
    ]
    labels = _labels(p)
    if p.vjp is None:
        lines.append("- vjp: none (not differentiable)")
    else:
        lines += _rules("vjp", labels, p.vjp)
    if p.jvp is None:
        lines.append("- jvp: none (no forward mode)")
    elif p.jvp is DIAGONAL or p.jvp is LINEAR:
        lines.append(f"- jvp: {p.jvp.name}: {_MARKERS[p.jvp]}")
    else:
        lines += _rules("jvp", labels, p.jvp)
    return [*lines, ""]


def _labels(p: Primitive) -> list[str]:
    """Input names, one per rule; a variadic forward's one rule is labelled ``*xs``."""
    if p.plan.variadic:
        star = [
            q.name
            for q in inspect.signature(p.fwd).parameters.values()
            if q.kind == q.VAR_POSITIONAL
        ]
        return [f"*{star[0]}"]
    return list(p.plan.input_names)


def _rules(kind: str, labels: list[str], rules: tuple) -> list[str]:
    items = [f"{_label(labels, i)}: {_rule(r)}" for i, r in enumerate(rules)]
    one = f"- {kind}: " + " · ".join(items)
    if len(one) <= _WIDTH:
        return [one]
    return [f"- {kind}:", *(f"  - {item}" for item in items)]


def _label(labels: list[str], i: int) -> str:
    return labels[i] if i < len(labels) else f"input {i}"  # more rules than inputs


def _rule(rule) -> str:
    if rule is PASS:
        return f"`g` ({PASS.name}: {_MARKERS[PASS]})"
    return _shown(rule)


def _shown(fn) -> str:
    """A function of the table as a code span: its source, its leading comment after ``#``."""
    code, summary, _ = source_text(fn)
    return _code(f"{code}  # {summary}" if summary else code)


def _flags(p: Primitive) -> str:
    return ", ".join(f for f in FLAGS if getattr(p, f)) or "—"


def _helpers(prims: list[Primitive]) -> list[str]:
    """The part's own functions that its lambdas call (``_spread``, ``_wsum``, ...), each
    with its leading comment: what a reader of the rules above needs to look up."""
    found: dict[str, object] = {}
    for p in prims:
        rules = [p.fwd, *(p.vjp or ()), *(p.jvp if isinstance(p.jvp, tuple) else ())]
        for fn in rules:
            if getattr(fn, "__name__", "") != "<lambda>":
                continue  # a named function comes with its own comment
            for ins in dis.get_instructions(fn):  # the module-level names the lambda reads
                helper = fn.__globals__.get(ins.argval) if ins.opname == "LOAD_GLOBAL" else None
                if inspect.isfunction(helper) and helper.__module__ == fn.__module__:
                    found.setdefault(ins.argval, helper)
    if not found:
        return []
    return ["### Helpers the rules call", "", *(f"- {_shown(h)}" for h in found.values()), ""]


# ------------------------------------------------------------------ Markdown pieces
def _code(text: str) -> str:
    """``text`` as a Markdown code span (fenced past any backticks it holds)."""
    run = max((len(m) for m in re.findall(r"`+", text)), default=0)
    fence = "`" * (run + 1)
    pad = " " if run else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _prose(text: str) -> str:
    """Plain text with Markdown's emphasis and tag characters escaped."""
    return re.sub(r"([*_`\[\]]|<(?=[A-Za-z/!]))", r"\\\1", text)
