"""Run a program on chainrule and on PyTorch side by side, comparing after every statement.

After each statement both pools are compared in full (every name, also those the statement
did not mention, so a write through a view or a side effect shows up where it lands):
values with dtype-aware tolerances, dtype, shape, requires_grad, is_leaf and ``.grad``
(None-ness, dtype, shape, values); tuples, lists, ``max(dim)``'s (values, indices) and
Python numbers likewise. A statement must raise in both or in neither, with the same
exception type; one that raises in both must change nothing that it did not change in
PyTorch (values, grads: by the full comparison; version counters: before against after).
The first disagreement ends the program. The message of an error and a tensor's
``grad_fn`` name are softer checks: recorded, never a failure.
"""

from __future__ import annotations

import ast
import difflib
import warnings
from dataclasses import dataclass, field

import numpy as np
import torch

import chainrule as cr

from .program import Program, Stmt, run_statement, stmt_op

# (rtol, atol) per dtype: float32 results of a chain of ops differ by a few ulps between
# NumPy's and PyTorch's kernels (transcendentals, summation order)
TOLERANCE = {
    "torch.float16": (1e-2, 1e-3),
    "torch.bfloat16": (2e-2, 1e-2),
    "torch.float32": (1e-4, 1e-5),
    "torch.float64": (1e-7, 1e-9),
}
LIBS = {"chainrule": cr, "torch": torch}


@dataclass
class Disagreement:
    """The first place chainrule and PyTorch part ways in a program."""

    kind: str  # "chainrule raises", "value", "grad value", "error type", ...
    op: str  # the statement's op (program.stmt_op)
    index: int  # which statement
    subject: str  # what was compared: "v3", "v3.grad", "v5[1]", "" for raises
    detail: str  # chainrule's and PyTorch's results, in words
    cr_error: str = ""  # "RuntimeError: ..." where chainrule raised
    torch_error: str = ""
    values: tuple | None = None  # (chainrule's, PyTorch's) arrays of a value disagreement

    aliased: bool = False  # an in-place statement whose operand shares the target's memory

    def arrays(self):
        """(chainrule's, PyTorch's) values as float64 arrays, or None."""
        if self.values is None:
            return None
        try:
            return tuple(np.asarray(v, dtype=np.float64) for v in self.values)
        except (TypeError, ValueError):
            return None

    def nan_where_torch_is_not(self) -> bool:
        """chainrule has a NaN where PyTorch has a number."""
        a = self.arrays()
        return a is not None and bool(np.any(np.isnan(a[0]) & ~np.isnan(a[1])))

    def nan_where_chainrule_is_not(self) -> bool:
        """PyTorch has a NaN where chainrule has a number."""
        a = self.arrays()
        return a is not None and bool(np.any(np.isnan(a[1]) & ~np.isnan(a[0])))

    @property
    def key(self) -> str:
        """The disagreement's class: what the shrinker keeps and the report counts."""
        return f"{self.kind} | {self.op}"

    @property
    def error(self) -> str:
        """The first line of whichever error there is (chainrule's first)."""
        return (self.cr_error or self.torch_error).split("\n")[0]

    def describe(self) -> str:
        lines = [f"{self.kind} at statement {self.index} ({self.op}): {self.detail}"]
        if self.cr_error:
            lines.append(f"  chainrule raised {self.cr_error}")
        if self.torch_error:
            lines.append(f"  torch raised {self.torch_error}")
        return "\n".join(lines)


@dataclass
class Outcome:
    program: Program
    disagreement: Disagreement | None = None
    soft: list = field(default_factory=list)  # (kind, op, detail): reported, not failed
    steps: int = 0  # statements run

    @property
    def agrees(self) -> bool:
        return self.disagreement is None


# ----------------------------------------------------------------- reading a value
class Err:
    """An attribute read that raised (PyTorch refuses to read some flags of some views)."""

    def __init__(self, e: BaseException):
        self.name = type(e).__name__

    def __eq__(self, other):
        return isinstance(other, Err) and other.name == self.name

    def __repr__(self):
        return f"<raises {self.name}>"


def _get(fn):
    try:
        return fn()
    except Exception as e:  # noqa: BLE001
        return Err(e)


def _data(t, lib: str):
    if lib == "torch":  # force: PyTorch's ZeroTensor (a second-order zero) has no numpy view
        return _get(lambda: t.detach().numpy(force=True))
    return _get(lambda: np.asarray(t._data))  # the storage itself: reading it changes nothing


def _grad_fn_name(t):
    fn = _get(lambda: t.grad_fn)
    return None if fn is None else type(fn).__name__


def _fmt(a) -> str:
    if isinstance(a, np.ndarray):
        with np.printoptions(precision=6, threshold=24, edgeitems=3, suppress=False):
            return np.array2string(a, separator=", ").replace("\n", "")
    return repr(a)


def _close(a: np.ndarray, b: np.ndarray, dtype: str) -> bool:
    if a.shape != b.shape:
        return False
    if dtype in TOLERANCE:
        rtol, atol = TOLERANCE[dtype]
        a64, b64 = a.astype(np.float64), b.astype(np.float64)
        if not np.array_equal(np.isnan(a64), np.isnan(b64)):
            return False
        inf = np.isinf(a64) | np.isinf(b64)
        if not np.array_equal(a64[inf], b64[inf]):
            return False
        return bool(np.allclose(a64[~inf], b64[~inf], rtol=rtol, atol=atol, equal_nan=True))
    return bool(np.array_equal(a, b))


def compare(c, t, path: str, grad: bool = False):
    """The first difference between chainrule's c and PyTorch's t: (kind, detail, arrays)
    or None; arrays is (chainrule's, PyTorch's) values where they differ in value."""
    diff = _compare(c, t, path, grad)
    if diff is not None and len(diff) == 2:
        return (*diff, None)
    return diff


def _compare(c, t, path: str, grad: bool = False):
    pre = "grad " if grad else ""
    if isinstance(t, torch.Tensor):
        if not isinstance(c, cr.Tensor):
            return pre + "type", f"{path}: chainrule gives {type(c).__name__}, torch a Tensor"
        dc, dt = str(_get(lambda: c.dtype)), str(t.dtype)
        if dc != dt:
            return pre + "dtype", f"{path}: chainrule {dc}, torch {dt}"
        sc, st = _get(lambda: tuple(c.shape)), tuple(t.shape)
        if sc != st:
            return pre + "shape", f"{path}: chainrule {sc}, torch {st}"
        ac, at = _data(c, "chainrule"), _data(t, "torch")
        if isinstance(ac, Err) or isinstance(at, Err):
            if type(ac) is not type(at):
                return pre + "read", f"{path} data: chainrule {ac!r}, torch {at!r}"
        elif not _close(ac, at, dt):
            return pre + "value", f"{path}: chainrule {_fmt(ac)}, torch {_fmt(at)} ({dt})", (ac, at)
        for attr in ("requires_grad", "is_leaf"):
            vc, vt = _get(lambda a=attr: getattr(c, a)), _get(lambda a=attr: getattr(t, a))
            if vc != vt:
                return pre + attr, f"{path}.{attr}: chainrule {vc!r}, torch {vt!r} ({dt})"
        if grad:
            return None
        gc, gt = _get(lambda: c.grad), _get(lambda: t.grad)
        if isinstance(gt, Err) or isinstance(gc, Err):
            if gc != gt:
                return "grad read", f"{path}.grad: chainrule {gc!r}, torch {gt!r}"
            return None
        if (gc is None) != (gt is None):
            return "grad None", f"{path}.grad: chainrule {_short(gc)}, torch {_short(gt)}"
        if gt is not None:
            return compare(gc, gt, f"{path}.grad", grad=True)
        return None
    if type(t).__module__ == "torch.return_types":
        for name in ("values", "indices"):
            if not hasattr(c, name):
                return pre + "type", f"{path}: chainrule {type(c).__name__} has no .{name}"
            diff = compare(getattr(c, name), getattr(t, name), f"{path}.{name}", grad)
            if diff:
                return diff
        return None
    if isinstance(t, (tuple, list)):
        if type(c) is not type(t):
            return pre + "type", f"{path}: chainrule {type(c).__name__}, torch {type(t).__name__}"
        if len(c) != len(t):
            return pre + "length", f"{path}: chainrule {len(c)} items, torch {len(t)}"
        for i, (ci, ti) in enumerate(zip(c, t, strict=True)):
            diff = compare(ci, ti, f"{path}[{i}]", grad)
            if diff:
                return diff
        return None
    if isinstance(t, np.ndarray):
        if not isinstance(c, np.ndarray):
            return pre + "type", f"{path}: chainrule {type(c).__name__}, torch ndarray"
        if c.dtype != t.dtype or not _close(c, t, "torch." + str(t.dtype)):
            return pre + "value", f"{path}: chainrule {_fmt(c)}, torch {_fmt(t)}", (c, t)
        return None
    if type(c) is not type(t):
        return pre + "type", f"{path}: chainrule {type(c).__name__} {c!r}, torch {type(t).__name__}"
    if isinstance(t, float):
        if not _close(np.array(c), np.array(t), "torch.float32"):
            return pre + "value", f"{path}: chainrule {c!r}, torch {t!r}"
        return None
    if isinstance(t, (int, bool, str, type(None))) and c != t:
        return pre + "value", f"{path}: chainrule {c!r}, torch {t!r}"
    return None


def _short(g) -> str:
    if g is None:
        return "None"
    return f"a tensor of shape {tuple(g.shape)}"


def pool(env: dict) -> list[str]:
    return [k for k in env if k != "torch" and not k.startswith("__")]


def _versions(env: dict) -> dict:
    out = {}
    for k in pool(env):
        v = env[k]
        items = v if isinstance(v, (tuple, list)) else (v,)
        for i, x in enumerate(items):
            if isinstance(x, (cr.Tensor, torch.Tensor)):
                out[(k, i)] = _get(lambda x=x: x._version)
    return out


def _snapshot(env: dict) -> dict:
    """Copies of what a failing statement must leave alone: data, grads, versions."""
    out = {}
    for k in pool(env):
        v = env[k]
        items = v if isinstance(v, (tuple, list)) else (v,)
        for i, x in enumerate(items):
            if isinstance(x, cr.Tensor):
                g = _get(lambda x=x: x.grad)
                out[(k, i)] = (
                    x,
                    _get(lambda x=x: np.array(x._data, copy=True)),
                    g if not isinstance(g, cr.Tensor) else np.array(g._data, copy=True),
                    _get(lambda x=x: x._version),
                )
    return out


def _unchanged(snapshot: dict | None, env: dict) -> bool:
    if snapshot is None:
        return False
    for (k, i), (x, data, grad, version) in snapshot.items():
        v = env.get(k)
        items = v if isinstance(v, (tuple, list)) else (v,)
        if i >= len(items) or items[i] is not x:
            return False
        if _get(lambda x=x: x._version) != version:
            return False
        now = _get(lambda x=x: x.grad)
        if (now is None) != (grad is None):
            return False
        if now is not None and not np.array_equal(np.asarray(now._data), grad, equal_nan=True):
            return False
        if not np.array_equal(np.asarray(x._data), data, equal_nan=True):
            return False
    return True


def _to_torch(v):
    if isinstance(v, cr.Tensor):
        t = torch.from_numpy(np.array(v._data, copy=True))
        if t.is_floating_point() and v.requires_grad:
            t.requires_grad_()
        return t
    if isinstance(v, (tuple, list)) and type(v) in (tuple, list):
        return type(v)(_to_torch(x) for x in v)
    return v


def _same_inputs_agree(stmt: Stmt, env_c: dict, env_t: dict) -> bool:
    """Does PyTorch, run on chainrule's inputs, give chainrule's result? Only for a pure
    statement (``v = expression``: no in-place write, no backward)."""
    node = stmt.tree
    if not (isinstance(node, ast.Assign) and len(stmt.defines) == 1):
        return False
    if set(written(stmt)) != set(stmt.defines):
        return False
    if "backward" in stmt.code or "grad" in stmt.code or "_(" in stmt.code:
        return False
    env = dict(env_t)
    for name in stmt.reads:
        if name in env_c:
            env[name] = _to_torch(env_c[name])
    if run_statement(stmt, env) is not None:
        return False
    name = stmt.defines[0]
    diff = compare(env_c[name], env[name], name)
    return diff is None or "value" not in diff[0]


def _aliased(stmt: Stmt, env: dict) -> bool:
    """Does an in-place statement read a tensor (other than its target) that shares the
    target's memory in PyTorch? Then PyTorch's result depends on the order it writes in."""
    roots = [n for n in written(stmt) if n not in stmt.defines]
    if not roots:
        return False

    def ptr(v):
        try:
            return v.untyped_storage().data_ptr()
        except Exception:  # noqa: BLE001
            return None

    def tensors(v):
        if isinstance(v, torch.Tensor):
            return [v]
        if isinstance(v, (tuple, list)):
            return [x for x in v if isinstance(x, torch.Tensor)]
        return []

    targets = {ptr(t) for n in roots for t in tensors(env.get(n))} - {None}
    others = [t for n in stmt.reads if n not in roots for t in tensors(env.get(n))]
    return any(ptr(t) in targets for t in others)


def _error(e: BaseException) -> str:
    return f"{type(e).__name__}: {str(e).strip()}"


def _root(node) -> str | None:
    while isinstance(node, (ast.Subscript, ast.Attribute, ast.Call)):
        node = node.value if not isinstance(node, ast.Call) else node.func
    return node.id if isinstance(node, ast.Name) else None


def written(stmt: Stmt) -> tuple[str, ...]:
    """The names a statement defines or writes in place (its results)."""
    node = stmt.tree
    out = list(stmt.defines)
    if isinstance(node, (ast.Assign, ast.AugAssign)):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        out += [r for r in map(_root, targets) if r]
    elif isinstance(node, ast.Expr) and stmt_op(node).endswith("_"):
        r = _root(node.value)
        if r:
            out.append(r)
    return tuple(out)


def compare_pools(env_c: dict, env_t: dict, stmt: Stmt):
    """The first difference between the pools, results of the statement first."""
    names_t, names_c = pool(env_t), pool(env_c)
    if set(names_t) != set(names_c):
        only_c = sorted(set(names_c) - set(names_t))
        only_t = sorted(set(names_t) - set(names_c))
        return "names", "", f"only chainrule defines {only_c}, only torch {only_t}", None
    results = written(stmt)
    order = [n for n in results if n in env_t] + [n for n in names_t if n not in results]
    for name in order:
        diff = compare(env_c[name], env_t[name], name)
        if diff:
            kind, detail, arrays = diff
            if name not in results and not kind.startswith("grad"):
                kind += " of another tensor"
            return kind, name, detail, arrays
    return None


FLOAT64 = Stmt("torch.set_default_dtype(torch.float64)")


def execute(program: Program, recheck: bool = True) -> Outcome:
    """Run ``program`` on both libraries; the first disagreement, if any.

    A value that differs beyond the tolerance is checked once more with float64 as the
    default dtype (the same program, ``torch.set_default_dtype(torch.float64)`` first): if
    that run gets past the statement, the difference was float32 rounding amplified by the
    program (1 ulp of a float32 log, divided by a difference of nearly equal numbers, or
    flipping a comparison), and the float64 run's outcome stands for the program.
    """
    out = _guarded(program)
    d = out.disagreement
    if recheck and d is not None and "value" in d.kind and program.stmts[:1] != (FLOAT64,):
        again = _guarded(program.replace((FLOAT64, *program.stmts)))
        d64 = again.disagreement
        # past the statement, or at it with another class (a real one the rounding hid)
        if (
            d64 is None
            or d64.index > d.index + 1
            or (d64.index == d.index + 1 and d64.key != d.key)
        ):
            again.soft.append(("float32 rounding", d.op, d.detail))
            return again
    return out


def _guarded(program: Program) -> Outcome:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with np.errstate(all="ignore"):
            try:
                return _execute(program)
            finally:
                cr.set_default_dtype(cr.float32)
                torch.set_default_dtype(torch.float32)


def _execute(program: Program) -> Outcome:
    env = {"chainrule": {"torch": cr}, "torch": {"torch": torch}}
    out = Outcome(program)
    for i, stmt in enumerate(program):
        out.steps = i + 1
        before_c, before_t = _versions(env["chainrule"]), _versions(env["torch"])
        et = run_statement(stmt, env["torch"])
        snapshot = _snapshot(env["chainrule"]) if et is not None else None
        ec = run_statement(stmt, env["chainrule"])
        if (et is None) != (ec is None):
            if ec is not None:
                kind = f"chainrule raises {type(ec).__name__}"
            else:
                kind = f"torch raises {type(et).__name__}"
            out.disagreement = Disagreement(
                kind,
                stmt.op,
                i,
                "",
                "one library raised, the other did not",
                cr_error=_error(ec) if ec else "",
                torch_error=_error(et) if et else "",
            )
            return out
        if et is not None:
            cr_msg, torch_msg = _error(ec), _error(et)
            if type(et).__name__ != type(ec).__name__:
                out.disagreement = Disagreement(
                    f"error type {type(ec).__name__} vs {type(et).__name__}",
                    stmt.op,
                    i,
                    "",
                    "both raised, different exception types",
                    cr_error=cr_msg,
                    torch_error=torch_msg,
                )
                return out
            a, b = str(ec).strip().split("\n")[0], str(et).strip().split("\n")[0]
            if difflib.SequenceMatcher(None, a, b).ratio() < 0.6:
                out.soft.append(("message", stmt.op, f"chainrule: {a!r}; torch: {b!r}"))
        diff = compare_pools(env["chainrule"], env["torch"], stmt)
        if diff is not None and et is not None and _unchanged(snapshot, env["chainrule"]):
            # both raised; chainrule changed nothing, PyTorch did (its backward accumulates
            # into some leaves before it meets the error): chainrule is right, and the
            # pools have parted, so the program ends here
            out.soft.append(("torch changed state on failure", stmt.op, diff[2]))
            return out
        if diff is not None and et is None and "value" in diff[0]:
            if _same_inputs_agree(stmt, env["chainrule"], env["torch"]):
                # PyTorch's own kernel, given chainrule's inputs, gives chainrule's result:
                # rounding in the inputs, amplified by a discontinuity (floor, a comparison)
                out.soft.append(("input rounding amplified", stmt.op, diff[2]))
                return out
        if diff is not None:
            kind, subject, detail, arrays = diff
            if et is not None:
                kind = "changed on failure: " + kind
            out.disagreement = Disagreement(
                kind,
                stmt.op,
                i,
                subject,
                detail,
                cr_error=_error(ec) if ec else "",
                torch_error=_error(et) if et else "",
                values=arrays,
                aliased=et is None and _aliased(stmt, env["torch"]),
            )
            return out
        if et is not None:
            after_c, after_t = _versions(env["chainrule"]), _versions(env["torch"])
            for key, v in after_c.items():
                if v != before_c.get(key) and after_t.get(key) == before_t.get(key):
                    name = key[0] if key[1] == 0 else f"{key[0]}[{key[1]}]"
                    out.disagreement = Disagreement(
                        "changed on failure: version",
                        stmt.op,
                        i,
                        name,
                        f"{name}._version went {before_c.get(key)!r} -> {v!r} in chainrule; "
                        "unchanged in torch",
                        cr_error=_error(ec),
                        torch_error=_error(et),
                    )
                    return out
        for name in stmt.defines:
            vc, vt = env["chainrule"].get(name), env["torch"].get(name)
            if isinstance(vt, torch.Tensor) and isinstance(vc, cr.Tensor):
                gc, gt = _grad_fn_name(vc), _grad_fn_name(vt)
                if gc != gt:
                    out.soft.append(("grad_fn", stmt.op, f"{name}: chainrule {gc}, torch {gt}"))
    return out
