"""Compiled against eager: each generated program run through ``chainrule.compile``.

The reference is eager chainrule, not PyTorch. A program's leading statements that read
nothing from the pool (``v0 = torch.tensor(...)``, ``torch.ones(...)``) are its *inputs*;
the rest, up to the first statement that raises eagerly, is the *body*, written out as a
Python function of the inputs that returns every name the body defines::

    def program(v0, v1, v2):
        v3 = v0.exp()
        with torch.no_grad():
            v4 = v3 + v1
        return (v3, v4)

Two variants of each program: ``whole`` (every statement: in-place writes, backward(),
``.grad`` reads; most of these must fall back, and give eager's numbers) and ``pure``
(without those statements and what uses their results: what a graph can hold unless
the body reads values; most of these compile).

The function is compiled once (``chainrule.compile``) and called three times, each call
beside an eager call of the same function on equal, fresh inputs:

1. ``first``: the inputs as the program makes them (the trace);
2. ``cached``: floats flipped and rescaled, the same shapes (the cached graph runs: the
   graph must read values, not bake them);
3. ``retrace``: every axis longer than 1 doubled (another signature: a second trace);
   only where eager runs the body on them (literal shapes in the body often forbid it).

After each call the two sides must agree on: every output (type, structure, dtype,
shape, requires_grad, values), the inputs afterwards (values: in-place writes of a
fallback; ``.grad``: a fallback's ``backward()``), the gradients of a fixed weighted sum of
the float outputs that require grad with respect to the inputs that require grad (taken
by ``autograd.grad`` outside the function: it runs the compiled backward graph), and
whether the call raised (and with which type).

Tolerances. Forward values must be bitwise equal (NaN equals NaN): the graph runs the
same table forwards on the same NumPy arrays as eager, so any difference is a change of
computation. A forward value that differs by rounding only is still a mismatch, kind
``value (rounding)``, reported apart from real ones. Gradients may differ by rounding
(the compiler's docstring: a broadcast gradient is summed by the table's ``sum`` in the
graph, by ``add.reduce`` in eager), so they are compared with rtol 1e-6 (float64) or
1e-5 (float32, float16: 1e-3) and an absolute tolerance of rtol times the largest
magnitude of eager's gradient (summation order moves a cancelling sum by that much), and
differences within it are counted, not failed. Integers and bools: exact.

A function the compiler refuses falls back to eager with a ``UserWarning`` (its reason
is what the report groups by) and must give eager's results exactly. The mode reads
only ``chainrule.compile``'s public face (the function, its warnings, ``traces`` and
``fallbacks``), so a new lowering of ``sym`` graphs is tested by the same campaign.
"""

from __future__ import annotations

import ast
import functools
import linecache
import re
import signal
import traceback
import warnings
from collections import Counter
from dataclasses import dataclass, field

import numpy as np

import chainrule as cr

from .program import Program, Stmt, run_statement
from .shrink import _without

TIMEOUT_S = 20.0
GRAD_RTOL = {"float64": 1e-6, "float32": 1e-5, "float16": 1e-3, "bfloat16": 1e-2}
CALLS = ("first", "cached", "retrace")
REDUCTIONS = {"sum", "mean", "prod", "std", "var", "norm", "logsumexp", "amax", "amin"}
# autograd.grad(..., allow_unused=True) through a compiled call: zeros for an input the
# outputs do not depend on, where eager gives None (fixed: the compiled call gives None)
ZERO_GRAD = "zero gradient for an unused input (eager: None)"


@dataclass
class Mismatch:
    """Where a compiled call and the eager call part ways."""

    kind: str  # "value", "value (rounding)", "grad value", "dtype", "compiled raises", ...
    call: str  # "first", "cached", "retrace"
    op: str  # the op of the statement that defined the output ("" for inputs, grads)
    subject: str  # "v3", "v0.grad", "d v0", ""
    detail: str
    index: int = 0  # the last statement of the program (shrink keeps programs up to it)
    code: str = ""  # the statement that defined the output

    @property
    def key(self) -> str:
        return f"{self.kind} | {self.call}" + (f" | {self.op}" if self.op else "")

    def describe(self) -> str:
        return f"{self.kind} at the {self.call} call, {self.subject or 'the call'}: {self.detail}"


@dataclass
class CompiledOutcome:
    program: Program  # inputs + body (cut before the first statement eager raises at)
    status: str = "empty"  # "compiled", "fallback", "empty" (no body), "error"
    reasons: list = field(default_factory=list)  # fallback reasons (grouped text, op)
    mismatch: Mismatch | None = None
    soft: list = field(default_factory=list)  # (kind, detail): within tolerance
    retraced: bool = False  # the third call ran (eager accepted the doubled shapes)
    error: str = ""  # a harness error (status "error")
    traces: list = field(default_factory=list)  # compiled.traces after each call
    notes: list = field(default_factory=list)  # known mismatches (KNOWN): the check goes on

    @property
    def disagreement(self):  # the name shrink.py reads
        return self.mismatch


# ----------------------------------------------------------------- the function
def split(program: Program) -> tuple[list[Stmt], list[Stmt]]:
    """(inputs, body): the leading statements that read nothing from the pool, and the
    rest."""
    inputs = []
    for s in program:
        if s.no_grad or s.reads or len(s.defines) != 1 or "set_default" in s.code:
            break
        inputs.append(s)
    return inputs, list(program.stmts[len(inputs) :])


def _imperative(s: Stmt) -> bool:
    """An in-place write, a backward pass, a read of ``.grad``, a flag set in place."""
    node = s.tree
    if isinstance(node, ast.AugAssign | ast.Expr):
        return True
    if isinstance(node, ast.Assign) and not all(
        isinstance(t, ast.Name | ast.Tuple) for t in node.targets
    ):
        return True
    return bool(re.search(r"\.grad\b(?!\()", s.code)) or "_(" in s.code or "backward" in s.code


def pure(program: Program) -> Program:
    """The program without its imperative statements and those that use what they
    define: what a compiler can hold in one graph, unless it reads values."""
    inputs, body = split(program)
    drop = {len(inputs) + i for i, s in enumerate(body) if _imperative(s)}
    return _without(program, drop)


def cut(program: Program) -> Program:
    """The program up to (without) the first statement that raises in eager chainrule:
    a function stops at its first error, a fuzz program goes on."""
    env = {"torch": cr}
    keep = []
    with np.errstate(all="ignore"):
        try:
            for s in program:
                if run_statement(s, env) is not None:
                    break
                keep.append(s)
        finally:
            cr.set_default_dtype(cr.float32)
    return program.replace(keep)


def source(inputs: list[Stmt], body: list[Stmt]) -> tuple[str, dict[int, int]]:
    """The body as ``def program(<inputs>)``; and which statement each line holds."""
    args = [s.defines[0] for s in inputs]
    lines = [f"def program({', '.join(args)}):"]
    where: dict[int, int] = {}
    defined: list[str] = []
    block = False
    for i, s in enumerate(body):
        if s.no_grad and not block:
            lines.append("    with torch.no_grad():")
        block = s.no_grad
        lines.append(("        " if s.no_grad else "    ") + s.code)
        where[len(lines)] = len(inputs) + i
        for n in s.defines:
            if n not in defined and n not in args:
                defined.append(n)
    lines.append(f"    return ({''.join(n + ', ' for n in defined)})")
    return "\n".join(lines) + "\n", where


_serial = [0]


def make_function(inputs: list[Stmt], body: list[Stmt]):
    """(the Python function, its file name, line -> statement index)."""
    text, where = source(inputs, body)
    _serial[0] += 1
    filename = f"<fuzz-compiled-{_serial[0]}>"
    lines = text.splitlines(keepends=True)
    linecache.cache[filename] = (len(text), None, lines, filename)
    scope = {"torch": cr}
    exec(compile(text, filename, "exec"), scope)  # noqa: S102 - our own generated program
    return scope["program"], filename, where


# ----------------------------------------------------------------- inputs
def make_inputs(inputs: list[Stmt]) -> list:
    env = {"torch": cr}
    for s in inputs:
        e = run_statement(s, env)
        if e is not None:
            raise e
    return [env[s.defines[0]] for s in inputs]


def _fresh(x, data=None):
    if not isinstance(x, cr.Tensor):
        return x
    t = (x.detach() if data is None else data).clone()
    if x.requires_grad:
        t.requires_grad_()
    return t


def perturbed(xs: list) -> list:
    """Other values of the same shapes: floats flipped, times 1.25, plus 0.125."""
    out = []
    for x in xs:
        if isinstance(x, cr.Tensor) and x.dtype.is_floating_point:
            d = x.detach()
            if d.ndim:
                d = d.flip(tuple(range(d.ndim)))
            out.append(_fresh(x, d * 1.25 + 0.125))
        else:
            out.append(_fresh(x))
    return out


def doubled(xs: list) -> list | None:
    """Every axis longer than 1 twice as long (broadcasting between inputs holds); None
    where no axis is longer than 1."""
    out, grew = [], False
    for x in xs:
        if isinstance(x, cr.Tensor) and x.ndim:
            reps = [2 if s > 1 else 1 for s in x.shape]
            grew = grew or 2 in reps
            out.append(_fresh(x, x.detach().repeat(*reps)))
        else:
            out.append(_fresh(x))
    return out if grew else None


def copies(xs: list) -> list:
    return [_fresh(x) for x in xs]


# ----------------------------------------------------------------- one call, both sides
@dataclass
class Result:
    outputs: object = None
    error: BaseException | None = None
    inputs: list = field(default_factory=list)
    grads: object = None  # tuple of gradients or an exception
    warnings: list = field(default_factory=list)


def _tensors(tree, path: str = "out"):
    """(path, tensor) of every tensor in a result."""
    if isinstance(tree, cr.Tensor):
        yield path, tree
    elif isinstance(tree, (tuple, list)):
        for i, t in enumerate(tree):
            yield from _tensors(t, f"{path}[{i}]")


def _harness_grads(outputs, inputs, mask=None):
    """d(sum of w * output)/d(input) for float outputs and inputs that require grad
    (only the outputs ``mask`` keeps, where given); None where none do."""
    wrt = [x for x in inputs if isinstance(x, cr.Tensor) and x.requires_grad]
    outs = [
        t
        for i, (_, t) in enumerate(_tensors(outputs))
        if t.dtype.is_floating_point
        and t.requires_grad
        and t.numel() > 0
        and (mask is None or mask[i])
    ]
    if not wrt or not outs:
        return None
    try:
        loss = None
        for t in outs:
            w = cr.linspace(-1.0, 2.0, t.numel(), dtype=t.dtype).reshape(t.shape)
            term = (t * w).sum()
            loss = term if loss is None else loss + term
        return cr.autograd.grad(loss, wrt, allow_unused=True)
    except Exception as e:  # noqa: BLE001 - compared like a result
        return e


def call(fn, xs: list) -> Result:
    r = Result(inputs=xs)
    cr.manual_seed(0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with np.errstate(all="ignore"):
            try:
                try:
                    r.outputs = fn(*xs)
                except Exception as e:  # noqa: BLE001 - compared like a result
                    r.error = e
            finally:
                cr.set_default_dtype(cr.float32)
    r.warnings = [str(w.message) for w in caught if str(w.message).startswith("chainrule.compile")]
    return r


# ----------------------------------------------------------------- comparing
def _arrays_equal(a: np.ndarray, b: np.ndarray) -> bool:
    if a.dtype.kind in "fc":
        return bool(np.array_equal(a, b, equal_nan=True))
    return bool(np.array_equal(a, b))


def _close(a: np.ndarray, b: np.ndarray, dtype: str) -> bool:
    """Within the gradient tolerance (see the module docstring); b is eager's."""
    rtol = GRAD_RTOL.get(dtype)
    if rtol is None:
        return False
    a64, b64 = a.astype(np.float64), b.astype(np.float64)
    if not np.array_equal(np.isnan(a64), np.isnan(b64)):
        return False
    inf = np.isinf(a64) | np.isinf(b64)
    if not np.array_equal(a64[inf], b64[inf]):
        return False
    finite = b64[~np.isnan(b64) & ~inf]
    atol = rtol * max(1.0, float(np.max(np.abs(finite))) if finite.size else 0.0)
    return bool(np.allclose(a64[~inf], b64[~inf], rtol=rtol, atol=atol, equal_nan=True))


def _fmt(a) -> str:
    if isinstance(a, np.ndarray):
        with np.printoptions(precision=17, threshold=12, edgeitems=3):
            return np.array2string(a, separator=", ").replace("\n", "")
    return repr(a)


def compare(c, e, path: str, grad: bool = False):
    """The first difference of compiled c from eager e: (kind, detail) or None; kind
    ``... (rounding)`` where values differ within the gradient tolerance only."""
    pre = "grad " if grad else ""
    if isinstance(e, cr.Tensor):
        if not isinstance(c, cr.Tensor):
            return pre + "type", f"{path}: compiled gives {type(c).__name__}, eager a Tensor"
        if c.dtype != e.dtype:
            return pre + "dtype", f"{path}: compiled {c.dtype}, eager {e.dtype}"
        if tuple(c.shape) != tuple(e.shape):
            return pre + "shape", f"{path}: compiled {tuple(c.shape)}, eager {tuple(e.shape)}"
        if not grad and c.requires_grad != e.requires_grad:
            return "requires_grad", f"{path}: compiled {c.requires_grad}, eager {e.requires_grad}"
        a, b = np.asarray(c.detach()._data), np.asarray(e.detach()._data)
        if not _arrays_equal(a, b):
            dt = str(e.dtype).replace("torch.", "").replace("chainrule.", "")
            kind = pre + "value" + (" (rounding)" if _close(a, b, dt) else "")
            return kind, f"{path}: compiled {_fmt(a)}, eager {_fmt(b)} ({dt})"
        return None
    if isinstance(e, (tuple, list)):
        if type(c) is not type(e):
            return pre + "type", f"{path}: compiled {type(c).__name__}, eager {type(e).__name__}"
        if len(c) != len(e):
            return pre + "length", f"{path}: compiled {len(c)} items, eager {len(e)}"
        for i, (ci, ei) in enumerate(zip(c, e, strict=True)):
            diff = compare(ci, ei, f"{path}[{i}]", grad)
            if diff:
                return diff
        return None
    if isinstance(e, np.ndarray):
        if not isinstance(c, np.ndarray) or c.dtype != e.dtype or not _arrays_equal(c, e):
            return pre + "value", f"{path}: compiled {_fmt(c)}, eager {_fmt(e)}"
        return None
    if type(c) is not type(e):
        return pre + "type", f"{path}: compiled {type(c).__name__} {c!r}, eager {e!r}"
    if isinstance(e, float):
        if not (c == e or (c != c and e != e)):
            return pre + "value", f"{path}: compiled {c!r}, eager {e!r}"
        return None
    if c != e:
        return pre + "value", f"{path}: compiled {c!r}, eager {e!r}"
    return None


def _error(e) -> str:
    return f"{type(e).__name__}: {str(e).strip().splitlines()[0] if str(e).strip() else ''}"


def compare_results(c: Result, e: Result, names: list[str], ops: dict, arg_names: list[str]):
    """The differences of the compiled call c from the eager call e: a list of (kind, op,
    subject, detail), in the order checked; and the within-tolerance differences."""
    soft: list = []
    if (c.error is None) != (e.error is None):
        if c.error is not None:
            return [("compiled raises", "", "", _error(c.error))], soft
        return [("compiled does not raise", "", "", f"eager raised {_error(e.error)}")], soft
    if c.error is not None:
        if type(c.error) is not type(e.error):
            kind = f"error type {type(c.error).__name__} vs {type(e.error).__name__}"
            return [(kind, "", "", f"compiled {_error(c.error)}; eager {_error(e.error)}")], soft
        return [], soft
    diffs = []
    checks = []
    if isinstance(e.outputs, tuple) and isinstance(c.outputs, tuple):
        if len(c.outputs) != len(e.outputs):
            detail = f"{len(c.outputs)} outputs, eager {len(e.outputs)}"
            return [("length", "", "", detail)], soft
        for n, co, eo in zip(names, c.outputs, e.outputs, strict=True):
            checks.append((n, ops.get(n, ""), co, eo, False))
    else:
        checks.append(("out", "", c.outputs, e.outputs, False))
    for n, ci, ei in zip(arg_names, c.inputs, e.inputs, strict=True):
        checks.append((n + " (input, after)", "", ci, ei, False))
        if isinstance(ei, cr.Tensor):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # (an input written in place: not a leaf)
                gc, ge = ci.grad, ei.grad
            if (gc is None) != (ge is None):
                detail = f"compiled {'None' if gc is None else 'a tensor'}, eager " + (
                    "None" if ge is None else "a tensor"
                )
                diffs.append(("grad None", "", f"{n}.grad", detail))
            elif ge is not None:
                checks.append((f"{n}.grad", "", gc, ge, True))
    if isinstance(e.grads, Exception) or isinstance(c.grads, Exception):
        if type(e.grads) is not type(c.grads):
            detail = (
                f"compiled {_error(c.grads) if isinstance(c.grads, Exception) else 'gradients'}"
                f", eager {_error(e.grads) if isinstance(e.grads, Exception) else 'gradients'}"
            )
            diffs.append(("harness grad raises", "", "autograd.grad", detail))
    elif (e.grads is None) != (c.grads is None):
        detail = f"compiled {c.grads}, eager {e.grads}"
        diffs.append(("harness grad", "", "autograd.grad", detail))
    elif e.grads is not None and [_requires_grad(x) for x in c.inputs] != [
        _requires_grad(x) for x in e.inputs
    ]:
        pass  # (an input's requires_grad differs afterwards: the inputs' check says so)
    elif e.grads is not None:
        wrt = [n for n, x in zip(arg_names, e.inputs, strict=True) if _requires_grad(x)]
        for n, gc, ge in zip(wrt, c.grads, e.grads, strict=True):
            if ge is None and gc is not None and not np.any(np.asarray(gc.detach()._data)):
                detail = f"d/d{n}: compiled zeros {tuple(gc.shape)}, eager None"
                diffs.append((ZERO_GRAD, "", f"d/d{n}", detail))
            elif (gc is None) != (ge is None):
                diffs.append(("grad None", "", f"d/d{n}", f"compiled {gc}, eager {ge}"))
            elif ge is not None:
                checks.append((f"d/d{n}", "", gc, ge, True))
    for subject, op, co, eo, grad in checks:
        diff = compare(co, eo, subject, grad)
        if diff is None:
            continue
        kind, detail = diff
        if grad and kind.endswith("(rounding)"):
            soft.append((kind, detail))
            continue
        diffs.append((kind, op, subject, detail))
    return diffs, soft


def _requires_grad(x) -> bool:
    return isinstance(x, cr.Tensor) and x.requires_grad


# ----------------------------------------------------------------- fallback reasons
_WHERE = re.compile(r" at (<fuzz-compiled-\d+>|\S+\.py):(\d+)")
_ERROR = re.compile(r" \((\w+(?:Error|Exception)): ")


def reason(text: str, filename: str, where: dict, program: Program) -> tuple[str, str]:
    """(the reason a fallback warning gives, grouped; the op of the statement it names)."""
    text = text.removeprefix("chainrule.compile: program ")
    text = text.removesuffix("; running it eagerly for these inputs")
    op = ""
    m = _WHERE.search(text)
    if m and m.group(1) == filename and int(m.group(2)) in where:
        op = program[where[int(m.group(2))]].op
    if text.startswith("could not be traced"):
        errors = list(_ERROR.finditer(text))
        detail = text[errors[-1].start() + 2 : -1] if errors else ""
        return f"could not be traced ({re.sub(r'[0-9]+', 'N', detail)[:100]})", op
    if m:
        text = text[: m.start()]
    if text.startswith("returns a "):
        return text.split(":")[0], op
    return text.split(" (", 1)[0], op


# ----------------------------------------------------------------- a program
VARIANTS = ("whole", "pure")


def check(program: Program, variant: str = "whole") -> CompiledOutcome:
    """Run ``program``'s body compiled and eagerly, three calls each; the first mismatch.
    ``variant="pure"``: the program without its imperative statements (see ``pure``)."""
    if variant == "pure":
        program = pure(program)
    program = cut(program)
    inputs, body = split(program)
    out = CompiledOutcome(program)
    if not body or not inputs:
        return out
    fn, filename, where = make_function(inputs, body)
    try:
        return _check(out, inputs, body, fn, filename, where)
    finally:
        linecache.cache.pop(filename, None)


def _check(out, inputs, body, fn, filename, where) -> CompiledOutcome:
    program = out.program
    arg_names = [s.defines[0] for s in inputs]
    steps = any("backward(" in s.code for s in body)  # an imperative step
    names = []
    ops, codes = {}, {}
    for s in body:
        for n in s.defines:
            ops[n], codes[n] = s.op, s.code
            if n not in names and n not in arg_names:
                names.append(n)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        base = make_inputs(inputs)
    compiled = cr.compile(fn)
    for label in CALLS:
        if label == "first":
            xs = base
        elif label == "cached":
            xs = perturbed(base)
        else:
            xs = doubled(base)
            if xs is None:
                break
        e = call(fn, copies(xs))
        if label == "retrace" and e.error is not None:
            break  # the body's literal shapes do not allow the doubled inputs
        fallbacks = compiled.fallbacks
        c = call(compiled, copies(xs))
        out.traces.append(compiled.traces)
        if c.error is None and e.error is None:
            # the gradients of the outputs that require grad on both sides (where one
            # side's flag is wrong, that is a mismatch of its own)
            flags = [[t.requires_grad for _, t in _tensors(r.outputs)] for r in (c, e)]
            mask = (
                [a and b for a, b in zip(*flags, strict=True)]
                if len(flags[0]) == len(flags[1])
                else None
            )
            for r in (c, e):
                with np.errstate(all="ignore"):
                    r.grads = _harness_grads(r.outputs, r.inputs, mask)
        if label == "retrace":
            out.retraced = True
        if label == "first":
            out.status = "fallback" if c.warnings or compiled.fallbacks > fallbacks else "compiled"
        for w in c.warnings:
            r = reason(w, filename, where, program)
            if label == "first":
                out.reasons.append(r)
        diffs, soft = compare_results(c, e, names, ops, arg_names)
        out.soft.extend(soft)
        for kind, op, subject, detail in diffs:
            if kind == "requires_grad" and out.status == "compiled" and steps:
                kind = "requires_grad after backward()"  # (a compiled step: see KNOWN)
            if label == "first" and out.status == "fallback":
                kind = "fallback: " + kind
            m = Mismatch(kind, label, op, subject, detail, len(program) - 1, codes.get(subject, ""))
            if c.error is not None and kind == "compiled raises":
                tb = "".join(traceback.format_exception(c.error, limit=-4))
                m.detail += "\n" + tb.rstrip()
            if classify(m) is None:  # the first unknown difference ends the check
                out.mismatch = m
                return out
            if all(n.key != m.key for n in out.notes):  # a known one is noted; on we go
                out.notes.append(m)
    return out


class _Timeout(Exception):
    pass


def _alarm(signum, frame):
    raise _Timeout


def run_seed(seed: int) -> dict:
    """Generate one program and check each variant: {variant: outcome}."""
    from .generate import generate

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            program = generate(seed)
        except Exception:  # noqa: BLE001
            program = None
    return {v: run_program(program, seed, v) for v in VARIANTS}


def run_program(program, seed: int, variant: str) -> CompiledOutcome:
    """Check one variant of a program; a hang or a harness error is an outcome too."""
    import threading

    use_alarm = hasattr(signal, "setitimer") and threading.current_thread() is (
        threading.main_thread()
    )
    if use_alarm:
        old = signal.signal(signal.SIGALRM, _alarm)
        signal.setitimer(signal.ITIMER_REAL, TIMEOUT_S)
    if program is None:
        out = CompiledOutcome(Program((), seed), status="error", error="generate failed")
        return out
    try:
        return check(program, variant)
    except _Timeout:
        out = CompiledOutcome(program, status="error")
        out.mismatch = Mismatch("hang", "first", "", "", f"no result in {TIMEOUT_S:.0f} s")
        return out
    except Exception:  # noqa: BLE001 - the harness must not stop a long run
        out = CompiledOutcome(program, status="error", error=traceback.format_exc(limit=4))
        return out
    finally:
        if use_alarm:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, old)


def render(out: CompiledOutcome) -> str:
    """The program as a compiled function, runnable as it is."""
    inputs, body = split(out.program)
    text, _ = source(inputs, body)
    lines = ["import chainrule as torch", ""]
    lines += [s.code for s in inputs]
    lines += ["", text.rstrip(), "", "compiled = torch.compile(program)"]
    args = ", ".join(s.defines[0] for s in inputs)
    lines.append(f"print(program({args}))")
    lines.append(f"print(compiled({args}))")
    return "\n".join(lines)


# ----------------------------------------------------------------- many programs
@dataclass
class Report:
    """One variant's figures over many programs."""

    variant: str = "whole"
    n: int = 0
    status: Counter = field(default_factory=Counter)
    reasons: Counter = field(default_factory=Counter)  # reason -> programs
    reason_ops: dict = field(default_factory=dict)  # reason -> Counter of ops
    retraced: int = 0
    cache_missed: int = 0  # compiled programs whose second call (same shapes) traced again
    soft: Counter = field(default_factory=Counter)
    classes: dict = field(default_factory=dict)  # key -> [count, seeds, example, minimal]
    errors: list = field(default_factory=list)  # (seed, traceback)
    seconds: float = 0.0

    def add(self, out: CompiledOutcome) -> None:
        self.n += 1
        self.status[out.status] += 1
        self.retraced += out.retraced
        if out.status == "compiled" and len(out.traces) >= 2 and out.traces[1] > out.traces[0]:
            self.cache_missed += 1
        for r, op in dict.fromkeys(out.reasons):  # (once per program and reason)
            self.reasons[r] += 1
            self.reason_ops.setdefault(r, Counter())[op] += 1
        for kind, _ in out.soft:
            self.soft[kind] += 1
        if out.status == "error" and out.mismatch is None:
            self.errors.append((out.program.seed, out.error))
        keys = {}  # (a known class once per program, whichever call showed it)
        for m in ([out.mismatch] if out.mismatch else []) + out.notes:
            known = classify(m)
            keys.setdefault(f"known: {known.name}" if known else m.key, m)
        for key, m in keys.items():
            entry = self.classes.setdefault(key, [0, [], None, None])
            entry[0] += 1
            entry[1].append(out.program.seed)
            if entry[2] is None or len(out.program) < len(entry[2].program):
                entry[2] = CompiledOutcome(out.program, out.status, mismatch=m)

    def mismatches(self) -> int:
        return sum(e[0] for e in self.classes.values())

    def unknown(self) -> list[str]:
        """The keys of the classes no known entry matches."""
        return [k for k in self.classes if not k.startswith("known: ")]

    def shrink(self, budget_s: float = 20.0) -> None:
        """Shrink each new class's example (a known class has its own small example)."""
        from .shrink import shrink

        for entry in self.classes.values():
            m = entry[2].mismatch
            if entry[3] is None and m.kind != "hang" and classify(m) is None:
                run = functools.partial(check, variant=self.variant)
                entry[3] = shrink(entry[2], budget_s=budget_s, execute=run)

    def summary(self) -> str:
        n = max(self.n, 1)
        ran = self.status["compiled"] + self.status["fallback"]
        what = {
            "whole": "whole programs (in-place writes, backward, .grad and all)",
            "pure": "pure programs (without in-place writes, backward and .grad reads)",
        }[self.variant]
        fell = self.status["fallback"]
        lines = [
            f"== {what}",
            f"{self.n} programs, {self.seconds:.0f} s; with a body to compile: {ran} "
            f"(the rest: no statement after the inputs before the first error)",
            f"  compiled fully: {self.status['compiled']} ({100 * self.status['compiled'] / n:.1f}%"
            f" of all, {100 * self.status['compiled'] / max(ran, 1):.1f}% of those with a body)",
            f"  fell back:      {fell} ({100 * fell / n:.1f}%)",
            f"  harness errors: {len(self.errors)}",
            f"  retraced with doubled shapes: {self.retraced}; compiled programs whose "
            f"second call (same signature) traced again: {self.cache_missed}",
            f"  mismatches with eager: {self.mismatches()} (program, class) pairs in "
            f"{len(self.classes)} class(es), {len(self.unknown())} of them not known",
        ]
        if self.soft:
            lines.append(
                "  gradients within tolerance but not bitwise: "
                + ", ".join(f"{k}: {v}" for k, v in self.soft.items())
            )
        if self.reasons:
            lines.append("fallback reasons (programs; the ops of the statements named):")
            for r, count in self.reasons.most_common():
                top = ", ".join(f"{op or '?'} {c}" for op, c in self.reason_ops[r].most_common(5))
                lines.append(f"  {count:6d}  {r}  [{top}]")
        return "\n".join(lines)

    def examples(self) -> str:
        blocks = []
        for key, (count, seeds, example, minimal) in sorted(
            self.classes.items(), key=lambda kv: (kv[0].startswith("known: "), -kv[1][0])
        ):
            shown = minimal or example
            head = f"=== {key}: {count} program(s), e.g. seeds {seeds[:6]}"
            known = classify(example.mismatch)
            if known:  # its diagnosis and the shortest program that showed it
                blocks.append(
                    f"{head}\n    {known.diagnosis}\n    e.g. at the {shown.mismatch.call} "
                    f"call: {shown.mismatch.describe()[:300]}"
                )
                continue
            head += "  NEW"
            what = "minimal program" if minimal else "program"
            blocks.append(
                "\n".join(
                    [
                        head,
                        f"--- {what} (from seed {shown.program.seed}):",
                        render(shown),
                        "--- " + shown.mismatch.describe(),
                    ]
                )
            )
        for seed, tb in self.errors[:5]:
            blocks.append(f"=== harness error at seed {seed}:\n{tb}")
        return "\n\n".join(blocks)


def run(seeds, time_limit: float | None = None, progress=None) -> dict:
    """{variant: Report} over the seeds' programs."""
    import time

    reports = {v: Report(v) for v in VARIANTS}
    start = time.monotonic()
    for seed in seeds:
        for v, out in run_seed(seed).items():
            reports[v].add(out)
        n = reports[VARIANTS[0]].n
        if progress and n % 250 == 0:
            progress(n, reports, time.monotonic() - start)
        if time_limit and time.monotonic() - start > time_limit:
            break
    for r in reports.values():
        r.seconds = time.monotonic() - start
    return reports


# ----------------------------------------------------------------- known mismatches
@dataclass(frozen=True)
class Known:
    """A filed mismatch class: tolerated by the CI campaign, its example a strict-xfail
    probe (when the example stops showing it, the entry must go)."""

    name: str
    diagnosis: str
    match: object  # Mismatch -> bool
    example: str  # a program (inputs, then the body)
    variant: str = "pure"
    strict: bool = True  # False: main and this branch's base differ on it (see diagnosis)


KNOWN = [
    Known(
        "a constant that requires grad, written in place after the graph read it",
        "a tensor the function computes from no argument that requires grad "
        "(ones_like(x, requires_grad=True) and what is computed from it) is run at trace "
        "time; where a graph node reads it (a constant of the graph) and fn then writes it "
        "in place, eager's autograd.grad of the outputs raises (a saved value modified by an "
        "in-place operation; a multi-output view, unbind's, whose base was written), the "
        "compiled call's backward reads the constant and does not",
        lambda m: (
            m.kind == "harness grad raises"
            and ("modified by an inplace" in m.detail or "modified inplace" in m.detail)
        ),
        "v0 = torch.ones(3, requires_grad=True)\nv1 = torch.ones_like(v0, requires_grad=True)\n"
        "v2 = v1 * 2\nv3 = v2[0:2]\nv4 = v3 * v0[0:2]\nv2.mul_(2)\n",
        variant="whole",
    ),
    Known(
        "contiguous() under no_grad keeps requires_grad in a graph",
        "with no_grad, x.contiguous() of an x that requires grad is x itself (a view: "
        "requires_grad=True) where x is contiguous, else a copy (requires_grad=False, as "
        "PyTorch). Which one depends on x's layout, and the graph's layouts differ from "
        "eager's (see 'a reduction sums in another order'): eager copies, the graph's "
        "result requires grad",
        lambda m: (
            (
                m.kind == "requires_grad"
                and m.op.startswith("contiguous")
                and "compiled True, eager False" in m.detail
            )
            or (
                # the same cause the other way: a reshape/flatten/view under no_grad of a value
                # whose layout the graph does not know is not marked a view (ops.apply's
                # _symbolic_view), so it does not require grad where eager's view does
                m.kind == "requires_grad"
                and m.op.removesuffix("[no_grad]") in ("flatten", "reshape", "view", "view_as")
                and m.op.endswith("[no_grad]")
                and "compiled False, eager True" in m.detail
            )
        ),
        "v0 = torch.ones(3, 3, requires_grad=True)\nv1 = torch.log10(v0.T.mm(v0))\n"
        "v2 = v1.swapaxes(1, 0)\nwith torch.no_grad():\n    v3 = v2.contiguous()\n",
    ),
    Known(
        "view fails in a graph where eager's layout allows it",
        "the cause of 'a reduction sums in another order': eager's elementwise result on a "
        "transposed view keeps the view's stride order, the graph's is C-contiguous; so "
        "x.mT.clip(y, y + 1).reciprocal().T is contiguous in eager and .view(-1) works, "
        "while the graph's evaluation of view raises (sym: evaluating view ... failed)",
        lambda m: m.kind == "compiled raises" and _view_numel(m.detail) not in (None, 1),
        "v0 = torch.ones(4, 4)\nv1 = torch.zeros(4, 4)\n"
        "v2 = v0.mT.clip(v1, v1 + 1).reciprocal().T.view(-1)\n",
    ),
    Known(
        "a reduction sums in another order (intermediate layouts differ)",
        "an elementwise op on a strided view (expand, broadcast_to, .T) returns, in eager, an "
        "array in the view's stride order (pow of a (2,3,4) broadcast of (1,4): strides "
        "(24, 8, 48); x.T * w: (4, 12)); the graph's is C-contiguous. NumPy's sums then add "
        "in another order (and eager's float32 sum over a strided array accumulates in "
        "float64, ops/reduction.py _sum), so a mean or sum differs in the last bits: "
        "float64 102.90559999999999 vs ...98; float32 0.7874999 vs 0.7875004",
        lambda m: (
            m.kind == "value (rounding)"
            and (m.op in REDUCTIONS or any(f".{r}(" in m.code for r in REDUCTIONS))
        ),
        "v0 = torch.tensor([[-3.3, -1.9, -0.58, -3.3]], dtype=torch.float64)\n"
        "v1 = torch.broadcast_to(v0 / 0.25, (2, 3, 4))\nv2 = (v1 ** 2).mean()\n",
    ),
    Known(
        "the outputs of a compiled step do not require grad",
        "a function that calls backward() compiles as an imperative step (compiler.py: "
        "'The returned loss is not differentiable again'): its graph is not differentiated, "
        "so every output comes back without requires_grad; eager's outputs that require "
        "grad still do (the loss, with its graph freed; what backward did not free, or what "
        "was computed after it, differentiable)",
        lambda m: m.kind == "requires_grad after backward()" and "compiled False" in m.detail,
        "v0 = torch.ones(2, requires_grad=True)\nv1 = v0.flatten()\nv2 = v1[1]\n"
        "v2.backward(retain_graph=True)\nv1.grad = None\n",
        variant="whole",
    ),
]


def _view_numel(detail: str) -> int | None:
    """The size of the result of a view the graph failed to evaluate, from the error."""
    m = re.search(r"evaluating view \(\w+\[([\d, ]*)\]\)", detail)
    if m is None:
        return None
    n = 1
    for d in m.group(1).split(","):
        n *= int(d) if d.strip() else 1
    return n


def classify(m: Mismatch) -> Known | None:
    for k in KNOWN:
        if k.match(m):
            return k
    return None


def probe(k: Known) -> CompiledOutcome:
    """Check a known class's example."""
    return check(Program.parse(k.example), k.variant)


def shows(k: Known, out: CompiledOutcome) -> bool:
    return any(k.match(m) for m in ([out.mismatch] if out.mismatch else []) + out.notes)
