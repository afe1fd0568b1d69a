"""Seeded random programs over the op set that chainrule shares with PyTorch.

``generate(seed)`` always gives the same program. The generator runs each candidate
statement on PyTorch as it goes, so it can read the pool's shapes, dtypes and flags from
real tensors instead of modelling them: a candidate PyTorch rejects is dropped (and the
pool rebuilt when it had side effects), except now and then, and always for the misuse
templates, where the error is the point ("a failing call changes nothing" is checked on
it). About one program in five is a misuse program, which draws misuse templates often.
"""

from __future__ import annotations

import ast
import random
import warnings

import torch

from .program import Program, Stmt, run_statement

MAX_NUMEL = 240  # a candidate whose result is larger is dropped
UNARY = (
    "abs neg exp log sin cos tan tanh sigmoid relu sqrt rsqrt square reciprocal sign floor "
    "ceil round trunc log1p expm1 log2 log10"
).split()
DOMAIN = {"log", "sqrt", "rsqrt", "reciprocal", "log1p", "log2", "log10"}
INPLACE_UNARY = (
    "relu_ exp_ neg_ abs_ sigmoid_ tanh_ zero_ sqrt_ sin_ cos_ log_ floor_ round_ sign_ "
    "ceil_ trunc_ reciprocal_"
).split()
BIN_OPS = ("+", "-", "*", "/", "//", "%", "**")
BIN_FUNCS = "add sub mul div maximum minimum pow remainder true_divide max min".split()
SCALARS = (2, -1, 0.5, 3.0, 0, 1.5, -2.5, 1, 0.25, -0.5)


class NoCandidate(Exception):
    """The pool has nothing this template can use."""


def _nested(values, shape):
    if not shape:
        return values[0]
    step = len(values) // shape[0] if shape[0] else 0
    return [_nested(values[i * step : (i + 1) * step], shape[1:]) for i in range(shape[0])]


def _numel(shape) -> int:
    n = 1
    for d in shape:
        n *= d
    return n


def _paren(e: str) -> str:
    """e, bracketed unless it is a name, an attribute, a subscript or a call."""
    if e.startswith("(") and e.endswith(")"):
        try:
            ast.parse(e[1:-1], mode="eval")
            return e
        except SyntaxError:
            pass
    node = ast.parse(e, mode="eval").body
    if isinstance(node, (ast.Name, ast.Attribute, ast.Subscript, ast.Call)):
        return e
    if isinstance(node, ast.Constant) and not e.startswith("-"):
        return e
    return f"({e})"


def _meta(t: torch.Tensor) -> torch.Tensor:
    return torch.empty(t.shape, dtype=t.dtype, device="meta")


def _fits(fn, *ts) -> bool:
    try:
        fn(*[_meta(t) for t in ts])
    except Exception:  # noqa: BLE001
        return False
    return True


def _broadcasts(a, b) -> bool:
    try:
        torch.broadcast_shapes(a, b)
    except RuntimeError:
        return False
    return True


def _safe(fn, *args) -> bool:
    """fn(*args), False where it raises (PyTorch refuses even to read a flag of some views)."""
    try:
        return bool(fn(*args))
    except Exception:  # noqa: BLE001
        return False


def _is_float(t) -> bool:
    return t.dtype.is_floating_point


class Generator:
    def __init__(self, seed: int):
        self.seed = seed
        self.rng = random.Random(seed)
        self.stmts: list[Stmt] = []
        self.env: dict = {"torch": torch}
        self.counter = 0
        self.errors = 0
        self.misuse = self.rng.random() < 0.2
        self.backwarded: list[str] = []  # losses backward ran through (not retained)
        self.losses: list[str] = []
        n, m = self.rng.randint(1, 4), self.rng.randint(1, 4)
        k = self.rng.randint(2, 3)
        self.shapes = [
            ((n, m), 6),
            ((m,), 3),
            ((n, 1), 2),
            ((1, m), 2),
            ((), 2),
            ((k, n, m), 2),
            ((m, n), 2),
            ((1,), 1),
            ((n,), 2),
            ((0, m), 0.5),
            ((k, 1, m), 1),
        ]

    # ------------------------------------------------------------------ pool
    def name(self) -> str:
        return f"v{self.counter}"

    def operands(self) -> list[tuple[str, torch.Tensor]]:
        out = []
        for name, v in self.env.items():
            if name.startswith("__") or name == "torch":
                continue
            if isinstance(v, torch.Tensor):
                out.append((name, v))
                if _safe(lambda v=v: v.is_leaf and v.grad is not None) and self.rng.random() < 0.5:
                    out.append((f"{name}.grad", v.grad))
            elif type(v).__module__ == "torch.return_types":
                out.append((f"{name}.values", v.values))
                out.append((f"{name}.indices", v.indices))
            elif isinstance(v, (tuple, list)):
                for i, e in enumerate(v[:4]):
                    if isinstance(e, torch.Tensor):
                        out.append((f"{name}[{i}]", e))
        return out

    def pick(self, pred=None, exclude=()) -> tuple[str, torch.Tensor]:
        cands = [(e, t) for e, t in self.operands() if (pred is None or _safe(pred, t))]
        cands = [c for c in cands if c[0] not in exclude]
        if not cands:
            raise NoCandidate
        weights = [1.0 + i for i in range(len(cands))]  # the recent ones more often
        return self.rng.choices(cands, weights)[0]

    def numeric(self, t) -> bool:
        if _is_float(t):
            return True
        return self.rng.random() < 0.15  # ints and bools now and then

    def floating(self, t) -> bool:
        return _is_float(t)

    def grad_float(self, t) -> bool:
        return _is_float(t) and t.requires_grad

    def scalar(self):
        return self.rng.choice(SCALARS)

    def shape_of_expr(self, e: str):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return eval(e, self.env).shape  # noqa: S307 - our own generated expression

    # ---------------------------------------------------------------- inputs
    def literal(self, shape, dtype: str, requires_grad: bool) -> str:
        rng = self.rng
        kw = []
        if dtype == "float64":
            kw.append("dtype=torch.float64")
        if requires_grad:
            kw.append("requires_grad=True")
        n = _numel(shape)
        if n == 0:
            args = ", ".join(map(str, shape))
            return f"torch.zeros({', '.join([args, *kw])})"
        if dtype in ("float32", "float64"):
            vals: list = []
            for _ in range(n):
                r = rng.random()
                if r < 0.08:
                    vals.append(0.0)
                elif r < 0.16 and vals:
                    vals.append(rng.choice(vals))
                else:
                    vals.append(round(rng.gauss(0.0, 1.5), rng.choice((1, 2))) + 0.0)
        elif dtype == "int64":
            vals = [rng.randint(-3, 4) for _ in range(n)]
        else:
            vals = [rng.random() < 0.5 for _ in range(n)]
        body = repr(_nested(vals, list(shape)))
        return f"torch.tensor({', '.join([body, *kw])})"

    def inputs(self) -> None:
        rng = self.rng
        count = rng.randint(2, 4)
        for i in range(count):
            shape = (
                self.shapes[0][0]
                if i == 0
                else rng.choices([s for s, _ in self.shapes], [w for _, w in self.shapes])[0]
            )
            r = rng.random()
            if i == 0 or r < 0.75:
                dtype = "float64" if rng.random() < 0.35 else "float32"
                rg = i == 0 or rng.random() < 0.75
            else:
                dtype = "int64" if r < 0.9 else "bool"
                rg = False
            if i > 0 and dtype.startswith("float") and rng.random() < 0.1:
                kw = ", dtype=torch.float64" if dtype == "float64" else ""
                kw += ", requires_grad=True" if rg else ""
                dims = ", ".join(map(str, shape)) if shape else "()"
                code = rng.choice(
                    [
                        f"{self.name()} = torch.ones({dims}{kw})",
                        f"{self.name()} = torch.full({shape!r}, 0.5{kw})",
                        f"{self.name()} = torch.zeros_like(v0)",
                        f"{self.name()} = torch.ones_like(v0, requires_grad=True)",
                    ]
                )
            else:
                code = f"{self.name()} = {self.literal(shape, dtype, rg)}"
            self.add(Stmt(code), must_keep=True)

    # ------------------------------------------------------------- templates
    def t_unary(self) -> str:
        rng = self.rng
        op = rng.choice(UNARY)
        e, _ = self.pick(self.numeric)
        if op in DOMAIN and rng.random() < 0.7:
            e = f"({e}.abs() + 0.5)"
        r = rng.random()
        if r < 0.45:
            rhs = f"torch.{op}({e})"
        elif r < 0.9:
            rhs = f"{_paren(e)}.{op}()"
        else:
            rhs = rng.choice([f"-{_paren(e)}", f"abs({e})", f"{_paren(e)} ** 2", f"+{_paren(e)}"])
        return f"{self.name()} = {rhs}"

    def operand_for(self, shape, pred=None, p_scalar=0.35) -> str:
        """A tensor operand that broadcasts with ``shape``, or a Python number."""
        if self.rng.random() < p_scalar:
            return repr(self.scalar())
        try:
            e, _ = self.pick(lambda t: (pred or self.numeric)(t) and _broadcasts(t.shape, shape))
        except NoCandidate:
            return repr(self.scalar())
        return e

    def t_binary(self) -> str:
        rng = self.rng
        a, ta = self.pick(self.numeric)
        b = self.operand_for(ta.shape)
        op = rng.choice(BIN_OPS)
        if op in ("**", "/") and not b[0].isdigit() and not b.startswith("-"):
            if rng.random() < 0.6:
                if op == "**":
                    a = f"({a}.abs() + 0.5)"
                else:
                    b = f"({b}.abs() + 0.5)"
        if op in ("//", "%") and rng.random() < 0.6:
            op = rng.choice(("+", "*"))  # less often: floor and remainder hide the rest
        x, y = (a, b) if rng.random() < 0.7 or op == "%" else (b, a)
        r = rng.random()
        if r < 0.55:
            rhs = f"{_paren(x)} {op} {_paren(y)}"
        else:
            fn = rng.choice(BIN_FUNCS)
            if x[0].isdigit() or x.startswith("-"):
                x, y = y, x
            if fn in ("add", "sub") and rng.random() < 0.3:
                rhs = f"torch.{fn}({x}, {y}, alpha={rng.choice((2, 0.5, -1))})"
            elif rng.random() < 0.5:
                rhs = f"torch.{fn}({x}, {y})"
            else:
                rhs = f"{_paren(x)}.{fn}({y})"
        return f"{self.name()} = {rhs}"

    def t_compare(self) -> str:
        rng = self.rng
        a, ta = self.pick(self.numeric)
        b = self.operand_for(ta.shape, p_scalar=0.6)
        if rng.random() < 0.6:
            op = rng.choice(("<", "<=", ">", ">=", "==", "!="))
            return f"{self.name()} = {_paren(a)} {op} {_paren(b)}"
        fn = rng.choice(("lt", "le", "gt", "ge", "eq", "ne"))
        return f"{self.name()} = torch.{fn}({a}, {b})"

    def mask_for(self, shape) -> str:
        """A bool tensor that broadcasts with shape: from the pool or a comparison."""
        try:
            if self.rng.random() < 0.5:
                e, _ = self.pick(lambda t: t.dtype == torch.bool and _broadcasts(t.shape, shape))
                return e
        except NoCandidate:
            pass
        a, _ = self.pick(lambda t: _is_float(t) and _broadcasts(t.shape, shape))
        return f"{_paren(a)} > {self.rng.choice((0, 0.5, -0.3))}"

    def t_logical(self) -> str:
        rng = self.rng
        m, tm = self.pick(lambda t: t.dtype == torch.bool)
        fn = rng.choice(("logical_and", "logical_or", "logical_xor", "logical_not", "~", "&", "|"))
        if fn == "logical_not":
            return f"{self.name()} = torch.logical_not({m})"
        if fn == "~":
            return f"{self.name()} = ~{_paren(m)}"
        other = self.mask_for(tm.shape)
        if fn in ("&", "|"):
            return f"{self.name()} = {_paren(m)} {fn} ({other})"
        return f"{self.name()} = torch.{fn}({m}, {other})"

    def t_where(self) -> str:
        rng = self.rng
        a, ta = self.pick(self.floating)
        cond = self.mask_for(ta.shape)
        b = self.operand_for(ta.shape, pred=self.floating, p_scalar=0.4)
        if rng.random() < 0.2:
            a, b = b, a
        if rng.random() < 0.85 or a[0].isdigit() or a.startswith("-"):
            return f"{self.name()} = torch.where({cond}, {a}, {b})"
        return f"{self.name()} = {_paren(a)}.where({cond}, {b})"

    def t_clamp(self) -> str:
        rng = self.rng
        a, ta = self.pick(self.numeric)
        r = rng.random()
        if r < 0.5:
            lo, hi = sorted(rng.sample((-1.0, -0.5, 0.0, 0.3, 1.0, 2), 2))
            args = rng.choice([f"min={lo}, max={hi}", f"min={lo}", f"max={hi}", f"{lo}, {hi}"])
        else:
            b = self.operand_for(ta.shape, pred=self.floating, p_scalar=0.0)
            args = rng.choice([f"min={b}", f"max={b}", f"{b}, {b} + 1"])
        fn = rng.choice(("clamp", "clip"))
        if rng.random() < 0.5:
            return f"{self.name()} = torch.{fn}({a}, {args})"
        return f"{self.name()} = {_paren(a)}.{fn}({args})"

    def dim(self, ndim: int, extra: int = 0) -> int:
        n = max(ndim, 1) + extra
        return self.rng.randrange(-n, n)

    def t_reduce(self) -> str:
        rng = self.rng
        a, ta = self.pick(self.numeric)
        nd = ta.ndim
        ops = (
            "sum mean prod amax amin max min argmax argmin std var logsumexp norm all any "
            "count_nonzero"
        ).split()
        op = rng.choice(ops)
        r = rng.random()
        recv = _paren(a)
        if op == "logsumexp" or (r < 0.6 and op != "norm"):
            d = self.dim(nd)
            if op in ("sum", "mean", "amax", "amin", "std", "var", "logsumexp") and nd >= 2:
                if rng.random() < 0.25:
                    d = tuple(sorted(rng.sample(range(nd), 2)))
            keep = rng.random() < 0.4
            if rng.random() < 0.15 and op in ("sum", "mean"):
                kws = f"axis={d}" + (", keepdims=True" if keep else "")
            else:
                kws = f"dim={d}" + (", keepdim=True" if keep else "")
            if op in ("std", "var") and rng.random() < 0.4:
                kws += rng.choice([", unbiased=False", ", correction=0"])
            if op in ("all", "any", "count_nonzero") and keep:
                kws = f"dim={d}"
            if rng.random() < 0.5:
                return f"{self.name()} = {recv}.{op}({kws})"
            return f"{self.name()} = torch.{op}({a}, {kws})"
        if op == "norm":
            p = rng.choice(("", "p=1", "p=2", "p=float('inf')", "p=3"))
            if nd and rng.random() < 0.4:
                p = (p + ", " if p else "") + f"dim={self.dim(nd)}"
            return f"{self.name()} = {recv}.norm({p})"
        if op in ("std", "var") and rng.random() < 0.3:
            return f"{self.name()} = {recv}.{op}(unbiased=False)"
        if rng.random() < 0.5:
            return f"{self.name()} = {recv}.{op}()"
        return f"{self.name()} = torch.{op}({a})"

    def t_scan(self) -> str:
        rng = self.rng
        a, ta = self.pick(self.floating)
        op = rng.choice(("cumsum", "cumprod", "softmax", "log_softmax"))
        d = self.dim(ta.ndim)
        if rng.random() < 0.5:
            return f"{self.name()} = torch.{op}({a}, dim={d})"
        return f"{self.name()} = {_paren(a)}.{op}({d})"

    def t_linalg(self) -> str:
        rng = self.rng
        op = rng.choice(("@", "matmul", "mm", "dot", "mv", "outer", "inner"))
        fn = {
            "@": torch.matmul,
            "matmul": torch.matmul,
            "mm": torch.mm,
            "dot": torch.dot,
            "mv": torch.mv,
            "outer": torch.outer,
            "inner": torch.inner,
        }[op]
        a, ta = self.pick(lambda t: _is_float(t) and t.ndim >= 1)
        cands = [(e, t) for e, t in self.operands() if _is_float(t) and _fits(fn, ta, t)]
        if cands and rng.random() < 0.85:
            b = rng.choice(cands)[0]
        elif ta.ndim == 2 and rng.random() < 0.7:
            b = f"{_paren(a)}.T"
        else:
            b, _ = self.pick(self.floating)
        if rng.random() < 0.3:
            a, b = b, a
        if op == "@":
            return f"{self.name()} = {_paren(a)} @ {_paren(b)}"
        if rng.random() < 0.5:
            return f"{self.name()} = torch.{op}({a}, {b})"
        return f"{self.name()} = {_paren(a)}.{op}({b})"

    def factor_shape(self, n: int) -> list:
        rng = self.rng
        dims = []
        rest = n
        for _ in range(rng.randint(0, 2)):
            divs = [d for d in range(1, rest + 1) if rest % d == 0] if rest else [0, 1, 2]
            d = rng.choice(divs)
            dims.append(d)
            rest = rest // d if d else rest
        if rest or not dims or 0 not in dims:
            dims.append(rest if n else rng.choice((0, 1)))
        if n and rng.random() < 0.3:
            dims[rng.randrange(len(dims))] = -1
        if n == 1 and rng.random() < 0.3:
            return []
        return dims

    def t_shape(self) -> str:
        rng = self.rng
        a, ta = self.pick(lambda t: self.numeric(t))
        nd, shape = ta.ndim, tuple(ta.shape)
        recv = _paren(a)
        v = self.name()
        op = rng.choice(
            (
                "reshape view transpose T mT t permute expand expand_as squeeze unsqueeze "
                "flatten flip narrow movedim repeat contiguous clone detach broadcast_to "
                "swapaxes view_as"
            ).split()
        )
        if op in ("reshape", "view"):
            dims = self.factor_shape(ta.numel())
            args = ", ".join(map(str, dims)) if dims else "()"
            if rng.random() < 0.3 and op == "reshape":
                return f"{v} = torch.reshape({a}, ({args}{',' if len(dims) == 1 else ''}))"
            return f"{v} = {recv}.{op}({args})"
        if op in ("transpose", "swapaxes"):
            d0, d1 = self.dim(nd), self.dim(nd)
            if rng.random() < 0.3:
                return f"{v} = torch.{op}({a}, {d0}, {d1})"
            return f"{v} = {recv}.{op}({d0}, {d1})"
        if op in ("T", "mT"):
            return f"{v} = {recv}.{op}"
        if op == "t":
            return f"{v} = {recv}.t()"
        if op == "permute":
            perm = list(range(nd))
            rng.shuffle(perm)
            if rng.random() < 0.3 and perm:
                perm[0] -= nd
            if rng.random() < 0.3:
                return f"{v} = torch.permute({a}, {tuple(perm)!r})"
            return f"{v} = {recv}.permute({', '.join(map(str, perm)) or '()'})"
        if op in ("expand", "broadcast_to", "expand_as", "view_as"):
            new = [
                rng.choice((1, 2, 3)) if s == 1 else (s if rng.random() < 0.7 else -1)
                for s in shape
            ]
            if rng.random() < 0.4:
                new = [rng.choice((2, 3))] + new
            if op == "expand":
                return f"{v} = {recv}.expand({', '.join(map(str, new)) or '()'})"
            if op == "broadcast_to":
                new = [s if s != -1 else shape[i - len(new) + nd] for i, s in enumerate(new)]
                return f"{v} = torch.broadcast_to({a}, {tuple(new)!r})"
            b, _ = self.pick(
                lambda t: t.shape == ta.shape if op == "view_as" else _broadcasts(t.shape, ta.shape)
            )
            return f"{v} = {recv}.{op}({b})"
        if op == "squeeze":
            if rng.random() < 0.4 or nd == 0:
                return f"{v} = {recv}.squeeze()"
            ones = [i for i, s in enumerate(shape) if s == 1]
            d = rng.choice(ones) if ones and rng.random() < 0.7 else self.dim(nd)
            if rng.random() < 0.3:
                return f"{v} = torch.squeeze({a}, {d})"
            return f"{v} = {recv}.squeeze({d})"
        if op == "unsqueeze":
            d = self.dim(nd, extra=1) if nd else rng.choice((0, -1))
            if rng.random() < 0.3:
                return f"{v} = torch.unsqueeze({a}, {d})"
            return f"{v} = {recv}.unsqueeze({d})"
        if op == "flatten":
            if rng.random() < 0.5 or nd < 2:
                return f"{v} = {recv}.flatten()"
            return f"{v} = torch.flatten({a}, {self.dim(nd)}{', -1' if rng.random() < 0.5 else ''})"
        if op == "flip":
            dims = sorted(rng.sample(range(nd), rng.randint(1, nd))) if nd else [0]
            return (
                f"{v} = {recv}.flip({', '.join(map(str, dims))})"
                if rng.random() < 0.3
                else f"{v} = torch.flip({a}, {dims!r})"
            )
        if op == "narrow":
            d = self.dim(nd)
            size = shape[d] if nd else 0
            start = rng.randint(0, max(size - 1, 0))
            length = rng.randint(0, size - start) if size else 0
            return f"{v} = {recv}.narrow({d}, {start}, {length})"
        if op == "movedim":
            return f"{v} = {recv}.movedim({self.dim(nd)}, {self.dim(nd)})"
        if op == "repeat":
            reps = [rng.choice((1, 2)) for _ in range(nd + rng.randint(0, 1))] or [2]
            return f"{v} = {recv}.repeat({', '.join(map(str, reps))})"
        return f"{v} = {recv}.{op}()"

    def t_join(self) -> str:
        rng = self.rng
        a, ta = self.pick(self.numeric)
        nd, shape = ta.ndim, tuple(ta.shape)
        v = self.name()
        op = rng.choice(("cat", "stack", "split", "chunk", "unbind", "cat", "split"))
        if op in ("cat", "stack"):
            d = self.dim(nd, extra=1 if op == "stack" else 0)

            def ok(t):
                if op == "stack":
                    return t.shape == ta.shape
                return t.ndim == nd and all(
                    s == u
                    for i, (s, u) in enumerate(zip(t.shape, shape, strict=True))
                    if i != d % max(nd, 1)
                )

            others = [e for e, t in self.operands() if ok(t)]
            parts = (
                [a] + [rng.choice(others) for _ in range(rng.randint(1, 2))] if others else [a, a]
            )
            if rng.random() < 0.3:
                parts.append(f"{_paren(a)} * 2")
            fn = rng.choice(("cat", "concat")) if op == "cat" else "stack"
            seq = f"[{', '.join(parts)}]" if rng.random() < 0.8 else f"({', '.join(parts)})"
            if rng.random() < 0.3 and d == 0:
                return f"{v} = torch.{fn}({seq})"
            return f"{v} = torch.{fn}({seq}, dim={d})"
        if nd == 0:
            raise NoCandidate
        d = self.dim(nd)
        size = shape[d]
        if op == "split":
            if rng.random() < 0.5 and size:
                sizes = []
                rest = size
                while rest:
                    s = rng.randint(1, rest)
                    sizes.append(s)
                    rest -= s
                arg = repr(sizes)
            else:
                arg = str(rng.randint(1, max(size, 1) + 1))
            if rng.random() < 0.5:
                return f"{v} = torch.split({a}, {arg}, dim={d})"
            return f"{v} = {_paren(a)}.split({arg}, {d})"
        if op == "chunk":
            return f"{v} = {_paren(a)}.chunk({rng.randint(1, 3)}, {d})"
        if rng.random() < 0.5:
            return f"{v} = torch.unbind({a}, {d})"
        return f"{v} = {_paren(a)}.unbind({d})"

    # -------------------------------------------------------------- indexing
    def int_list(self, size: int) -> str:
        k = self.rng.randint(1, 4)
        vals = [self.rng.randrange(-size, size) for _ in range(k)]
        if k > 1 and self.rng.random() < 0.6:
            vals[-1] = vals[0]  # a duplicate
        return repr(vals)

    def basic_part(self, size: int) -> str:
        rng = self.rng
        if size and rng.random() < 0.3:
            return str(rng.randrange(-size, size))
        return rng.choice((":", "1:", ":2", "::2", "-2:", "1:3", ":-1", "0:1"))

    def index(self, e: str, t: torch.Tensor, basic_only: bool = False) -> str:
        """A subscript for t (its text between the brackets)."""
        rng = self.rng
        shape = tuple(t.shape)
        nd = len(shape)
        if nd == 0:
            return rng.choice(("None", "...", "()", "None, None", "..., None"))
        r = 0.0 if basic_only else rng.random()
        j = rng.randrange(nd)
        lead = ":, " * j
        if r < 0.45:
            k = rng.randint(1, nd)
            parts = [self.basic_part(s) for s in shape[:k]]
            if rng.random() < 0.2:
                parts.insert(rng.randint(0, len(parts)), "None")
            if rng.random() < 0.15 and k < nd:
                parts = ["..."] + parts[1:]
            if rng.random() < 0.03:
                parts[0] = "::-1"
            return ", ".join(parts)
        if r < 0.65 and shape[j]:
            return lead + self.int_list(shape[j])
        if r < 0.75 and shape[j]:
            idx = [rng.randrange(0, shape[j]) for _ in range(rng.randint(1, 4))]
            if rng.random() < 0.3 and len(idx) >= 2:
                half = len(idx) // 2
                return lead + f"torch.tensor([{idx[:half]!r}, {idx[half : 2 * half]!r}])"
            return lead + f"torch.tensor({idx!r})"
        if r < 0.9:
            if rng.random() < 0.6:
                return f"{_paren(e)} > {rng.choice((0, 0.5, -0.3))}"
            bits = [rng.random() < 0.5 for _ in range(shape[0])]
            return f"torch.tensor({bits!r})"
        if nd >= 2 and shape[0] and shape[1]:
            k = rng.randint(1, 3)
            i0 = [rng.randrange(shape[0]) for _ in range(k)]
            i1 = [rng.randrange(shape[1]) for _ in range(k)]
            return f"{i0!r}, {i1!r}"
        if shape[0]:
            return f"{rng.randrange(shape[0])}, ..."
        return "..."

    def t_getitem(self) -> str:
        a, ta = self.pick(self.numeric)
        return f"{self.name()} = {_paren(a)}[{self.index(a, ta)}]"

    def value_for(self, shape) -> str:
        rng = self.rng
        r = rng.random()
        if r < 0.4:
            return repr(self.scalar())
        if r < 0.55:
            try:
                e, _ = self.pick(self.grad_float)
                return f"{_paren(e)}.sum()"
            except NoCandidate:
                return repr(self.scalar())
        try:
            e, _ = self.pick(
                lambda t: (
                    _is_float(t)
                    and _broadcasts(t.shape, shape)
                    and len(torch.broadcast_shapes(t.shape, shape)) == len(shape)
                    and torch.broadcast_shapes(t.shape, shape) == shape
                )
            )
            return e if rng.random() < 0.7 else f"{_paren(e)} * 2"
        except NoCandidate:
            return repr(self.scalar())

    def inplace_target(self) -> tuple[str, torch.Tensor]:
        """An operand to write to: mostly non-leaves and leaves without grad."""
        rng = self.rng
        if rng.random() < 0.07:
            return self.pick(lambda t: t.is_leaf and t.requires_grad)
        return self.pick(
            lambda t: (
                (not t.requires_grad or not t.is_leaf) and (_is_float(t) or rng.random() < 0.2)
            )
        )

    def t_setitem(self) -> str:
        rng = self.rng
        e, t = self.inplace_target()
        if "[" in e or "." in e:
            raise NoCandidate
        idx = self.index(e, t)
        try:
            sub = self.shape_of_expr(f"{_paren(e)}[{idx}]")
        except Exception:  # noqa: BLE001
            sub = t.shape
        val = self.value_for(tuple(sub))
        if rng.random() < 0.35:
            op = rng.choice(("+", "-", "*", "/"))
            return f"{_paren(e)}[{idx}] {op}= {val}"
        return f"{_paren(e)}[{idx}] = {val}"

    def view_expr(self, e: str, t: torch.Tensor) -> str:
        rng = self.rng
        nd = t.ndim
        forms = [f"{_paren(e)}[{self.index(e, t, basic_only=True)}]"] * 3
        if nd <= 2:
            forms.append(f"{_paren(e)}.T")
        if nd >= 2:
            forms += [f"{_paren(e)}.mT", f"{_paren(e)}.transpose(0, -1)"]
        forms += [
            f"{_paren(e)}.view(-1)",
            f"{_paren(e)}.unsqueeze(0)",
            f"{_paren(e)}.squeeze()",
            f"{_paren(e)}.flatten()",
            f"{_paren(e)}.detach()",
        ]
        if nd:
            forms.append(f"{_paren(e)}.narrow(0, 0, 1)")
            forms.append(f"{_paren(e)}[0]")
        if rng.random() < 0.05:
            forms = [f"{_paren(e)}.expand(2, *{_paren(e)}.shape)"]
        return rng.choice(forms)

    def t_inplace(self) -> str:
        rng = self.rng
        e, t = self.inplace_target()
        r = rng.random()
        recv = e if r < 0.45 else self.view_expr(e, t)
        try:
            shape = tuple(self.shape_of_expr(recv))
        except Exception:  # noqa: BLE001
            shape = tuple(t.shape)
        if rng.random() < 0.2 and "(" not in recv and "[" not in recv and "." not in recv:
            op = rng.choice(("+", "-", "*", "/"))
            return f"{recv} {op}= {self.operand_for_inplace(shape)}"
        if rng.random() < 0.4:
            return f"{_paren(recv)}.{rng.choice(INPLACE_UNARY)}()"
        fn = rng.choice(
            "add_ sub_ mul_ div_ pow_ clamp_ clip_ fill_ copy_ masked_fill_ add_ mul_".split()
        )
        if fn in ("add_", "sub_", "mul_", "div_"):
            arg = self.operand_for_inplace(shape)
            if fn in ("add_", "sub_") and rng.random() < 0.3:
                arg += f", alpha={rng.choice((2, 0.5))}"
        elif fn == "pow_":
            arg = repr(rng.choice((2, 0.5, 3, -1)))
        elif fn in ("clamp_", "clip_"):
            arg = rng.choice(("min=0", "max=0.5", "-0.5, 0.5", "min=-1.0, max=1.0"))
        elif fn == "fill_":
            arg = repr(self.scalar())
        elif fn == "copy_":
            arg = self.operand_for_inplace(shape, p_scalar=0.0)
            if arg[0].isdigit() or arg.startswith("-"):
                arg = f"torch.tensor({arg})"
        else:
            arg = f"{self.mask_for(shape)}, {self.scalar()!r}"
        return f"{_paren(recv)}.{fn}({arg})"

    def operand_for_inplace(self, shape, p_scalar=0.5) -> str:
        """A number or a tensor that broadcasts to exactly ``shape``."""
        if self.rng.random() < p_scalar:
            return repr(self.scalar())
        try:
            e, _ = self.pick(
                lambda t: (
                    _is_float(t)
                    and _broadcasts(t.shape, shape)
                    and tuple(torch.broadcast_shapes(t.shape, shape)) == shape
                )
            )
        except NoCandidate:
            return repr(self.scalar())
        return e

    # ------------------------------------------------------------- grad mode
    def t_gradmode(self) -> str:
        rng = self.rng
        v = self.name()
        r = rng.random()
        if r < 0.3:
            e, _ = self.pick()
            return f"{v} = {_paren(e)}.detach()"
        if r < 0.5:
            e, _ = self.pick()
            return f"{v} = {_paren(e)}.clone()"
        if r < 0.65:
            e, _ = self.pick(lambda t: _is_float(t) and t.is_leaf and not t.requires_grad)
            return f"{e}.requires_grad_()"
        if r < 0.8:
            e, _ = self.pick(lambda t: t.requires_grad and not t.is_leaf)
            return f"{e}.retain_grad()"
        e, _ = self.pick(lambda t: t.numel() == 1 or rng.random() < 0.1)
        return f"{v} = {_paren(e)}.{rng.choice(('item', 'tolist'))}()"

    def t_after_backward(self) -> tuple[str, bool]:
        """Use the grads: an SGD step under no_grad, zeroing, dropping."""
        rng = self.rng
        names = [
            n
            for n, t in self.env.items()
            if isinstance(t, torch.Tensor) and _safe(lambda t=t: t.is_leaf and t.grad is not None)
        ]
        if not names:
            raise NoCandidate
        n = rng.choice(names)
        r = rng.random()
        if r < 0.4:
            return rng.choice([f"{n} -= 0.1 * {n}.grad", f"{n}.sub_({n}.grad, alpha=0.1)"]), True
        if r < 0.6:
            return f"{n}.grad.zero_()", False
        if r < 0.75:
            return f"{n}.grad = None", False
        return f"{self.name()} = {n}.grad * 2", False

    # --------------------------------------------------------------- backward
    def loss_term(self, e: str) -> str:
        rng = self.rng
        p = _paren(e)
        return rng.choice(
            (
                f"({p} * torch.linspace(-1.0, 2.0, {p}.numel()).reshape({p}.shape)).sum()",
                f"{p}.sum()",
                f"({p} ** 2).mean()",
                f"{p}.abs().sum()",
                f"({p} * {p}).sum()",
            )
        )

    def t_loss(self) -> str:
        rng = self.rng
        terms = []
        used = []
        for _ in range(rng.randint(1, 2)):
            e, _ = self.pick(self.grad_float, exclude=used)
            used.append(e)
            terms.append(self.loss_term(e))
        return f"{self.name()} = {' + '.join(terms)}"

    def t_backward(self) -> str:
        rng = self.rng
        if not self.losses or rng.random() < 0.3:
            raise NoCandidate
        loss = rng.choice(self.losses)
        r = rng.random()
        if r < 0.45:
            return f"{loss}.backward()"
        if r < 0.7:
            return f"{loss}.backward(retain_graph=True)"
        if r < 0.8:
            leaf, _ = self.pick(lambda t: t.is_leaf and t.requires_grad)
            return f"{loss}.backward(inputs=[{leaf}])"
        if r < 0.9:
            return f"{loss}.backward(create_graph=True)"
        return f"torch.autograd.backward({loss})"

    def t_grad(self) -> str:
        rng = self.rng
        if not self.losses:
            raise NoCandidate
        loss = rng.choice(self.losses)
        wrt = []
        for _ in range(rng.randint(1, 2)):
            e, _ = self.pick(lambda t: _is_float(t) and t.requires_grad, exclude=wrt)
            if "[" in e or "." in e:
                continue
            wrt.append(e)
        if not wrt:
            raise NoCandidate
        kws = []
        if rng.random() < 0.6:
            kws.append("create_graph=True")
        elif rng.random() < 0.4:
            kws.append("retain_graph=True")
        if rng.random() < 0.7:
            kws.append("allow_unused=True")
        return (
            f"{self.name()} = torch.autograd.grad({loss}, [{', '.join(wrt)}]"
            + "".join(", " + k for k in kws)
            + ")"
        )

    def t_backward_nonscalar(self) -> str:
        e, _ = self.pick(lambda t: _is_float(t) and t.requires_grad and t.ndim > 0)
        p = _paren(e)
        if self.rng.random() < 0.5:
            return f"{p}.backward(torch.ones_like({p}))"
        return f"{p}.backward(torch.linspace(0.5, 1.5, {p}.numel()).reshape({p}.shape))"

    # ----------------------------------------------------------------- misuse
    def t_misuse(self) -> str:
        rng = self.rng
        v = self.name()
        kind = rng.randrange(14)
        if kind == 0:
            e, _ = self.pick(lambda t: t.is_leaf and t.requires_grad)
            return rng.choice(
                (f"{e}.add_(1.0)", f"{e}[0] = 0.0", f"{e}.mul_(2)", f"{e} += 1", f"{e}.zero_()")
            )
        if kind == 1:
            e, t = self.pick(lambda t: t.is_leaf and t.requires_grad and t.ndim > 0)
            return rng.choice((f"{e}[0].mul_(2)", f"{e}.view(-1).add_(1)", f"{e}[:1] += 1"))
        if kind == 2:
            if not self.backwarded:
                raise NoCandidate
            return f"{rng.choice(self.backwarded)}.backward()"
        if kind == 3:
            e, _ = self.pick(lambda t: t.requires_grad and t.numel() > 1)
            return f"{_paren(e)}.backward()"
        if kind == 4:
            return rng.choice(
                (
                    f"{v} = torch.tensor([1, 2, 3], requires_grad=True)",
                    f"{v} = torch.ones(2, dtype=torch.int64, requires_grad=True)",
                    f"{v} = torch.arange(3, requires_grad=True)",
                )
            )
        if kind == 5:
            e, _ = self.pick(lambda t: not _is_float(t) and t.is_leaf)
            return f"{e}.requires_grad_()"
        if kind == 6:
            a, ta = self.pick(lambda t: t.ndim > 0)
            b, _ = self.pick(lambda t: not _broadcasts(t.shape, ta.shape))
            return rng.choice(
                (
                    f"{v} = {a} + {b}",
                    f"{v} = {a} @ {b}",
                    f"{v} = torch.cat([{a}, {b}])",
                    f"{v} = torch.stack([{a}, {b}])",
                    f"{v} = torch.where({a} > 0, {a}, {b})",
                )
            )
        if kind == 7:
            a, ta = self.pick(lambda t: t.ndim >= 2 and t.shape[0] > 1 and t.shape[1] > 1)
            return rng.choice(
                (f"{v} = {_paren(a)}.T.view(-1)", f"{v} = {_paren(a)}.reshape({ta.numel() + 1})")
            )
        if kind == 8:
            a, _ = self.pick(lambda t: t.numel() > 1)
            return f"{v} = {_paren(a)}.item()"
        if kind == 9:
            a, _ = self.pick(lambda t: t.requires_grad)
            return f"{v} = {_paren(a)}.numpy()"
        if kind == 10:
            a, ta = self.pick(lambda t: t.ndim > 0)
            return rng.choice(
                (
                    f"{v} = {_paren(a)}[{ta.shape[0] + 2}]",
                    f"{v} = {_paren(a)}.sum(dim={ta.ndim + 1})",
                    f"{v} = {_paren(a)}[[0, {ta.shape[0]}]]",
                )
            )
        if kind == 11:
            c, tc = self.pick(lambda t: t.dtype != torch.bool)
            return f"{v} = torch.where({c}, {c}, 0.0)"
        if kind == 12:
            e, t = self.pick(lambda t: t.is_leaf and t.requires_grad)
            return rng.choice(
                (
                    f"{e}.grad = torch.zeros({t.numel() + 2})",
                    f"{e}.grad = torch.zeros({', '.join(map(str, t.shape)) or '()'}, "
                    "dtype=torch.int64)",
                )
            )
        e, t = self.pick(lambda t: not t.requires_grad and _is_float(t))
        return rng.choice((f"{_paren(e)}.sum().backward()", f"{e}.requires_grad_(False)"))

    # ------------------------------------------------------------------ driver
    def templates(self):
        after = any(
            isinstance(t, torch.Tensor) and _safe(lambda t=t: t.is_leaf and t.grad is not None)
            for t in self.env.values()
        )
        table = [
            (self.t_unary, 10),
            (self.t_binary, 14),
            (self.t_compare, 3),
            (self.t_logical, 1.5),
            (self.t_where, 3),
            (self.t_clamp, 3),
            (self.t_reduce, 8),
            (self.t_scan, 2),
            (self.t_linalg, 4),
            (self.t_shape, 10),
            (self.t_join, 5),
            (self.t_getitem, 8),
            (self.t_setitem, 6),
            (self.t_inplace, 10),
            (self.t_gradmode, 4),
            (self.t_loss, 5),
            (self.t_backward, 6),
            (self.t_grad, 3),
            (self.t_backward_nonscalar, 1),
            (self.t_misuse, 10 if self.misuse else 0.8),
        ]
        if after:
            table.append((self.t_after_backward, 4))
        return table

    def add(self, stmt: Stmt, must_keep: bool = False, expect_error: bool = False) -> bool:
        err = run_statement(stmt, self.env)
        if err is None:
            for name in stmt.defines:
                val = self.env.get(name)
                if isinstance(val, torch.Tensor) and (val.numel() > MAX_NUMEL or val.ndim > 5):
                    self.replay()
                    return False
            self.keep(stmt)
            return True
        keep = must_keep or (expect_error and self.errors < 4)
        keep = keep or (self.errors < 2 and self.rng.random() < 0.06)
        if keep:
            self.errors += 1
            self.keep(stmt)
            return True
        if not (stmt.defines and "_(" not in stmt.code and "backward" not in stmt.code):
            self.replay()
        return False

    def keep(self, stmt: Stmt) -> None:
        self.stmts.append(stmt)
        if self.name() in stmt.defines:
            self.counter += 1
        if stmt.op.startswith("backward") and "retain_graph" not in stmt.code:
            loss = stmt.code.split(".backward")[0]
            self.backwarded.append(loss)
        for name in stmt.defines:
            val = self.env.get(name)
            if (
                isinstance(val, torch.Tensor)
                and val.ndim == 0
                and _safe(lambda v=val: v.requires_grad)
            ):
                self.losses.append(name)

    def replay(self) -> None:
        self.env = {"torch": torch}
        for s in self.stmts:
            run_statement(s, self.env)

    def build(self) -> Program:
        rng = self.rng
        self.inputs()
        length = len(self.stmts) + rng.randint(5, 22)
        attempts = 0
        while len(self.stmts) < length and attempts < 150:
            attempts += 1
            table = self.templates()
            fn = rng.choices([f for f, _ in table], [w for _, w in table])[0]
            try:
                out = fn()
            except NoCandidate:
                continue
            code, no_grad = out if isinstance(out, tuple) else (out, rng.random() < 0.06)
            self.add(Stmt(code, no_grad), expect_error=fn == self.t_misuse)
        # most programs end with a loss and a backward pass through it
        if rng.random() < 0.8:
            for _ in range(10):
                try:
                    if self.add(Stmt(self.t_loss())):
                        break
                except NoCandidate:
                    break
            loss = self.losses[-1] if self.losses else None
            if loss is not None:
                r = rng.random()
                if r < 0.6:
                    self.add(Stmt(f"{loss}.backward()"))
                elif r < 0.8:
                    self.add(Stmt(f"{loss}.backward(retain_graph=True)"))
                    self.add(Stmt(f"{loss}.backward()"))
                else:
                    for _ in range(5):
                        try:
                            if self.add(Stmt(self.t_grad())):
                                break
                        except NoCandidate:
                            break
        return Program(tuple(self.stmts), self.seed)


def generate(seed: int) -> Program:
    """The program of a seed (the same one every time)."""
    return Generator(seed).build()
