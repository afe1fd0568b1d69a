"""How a differentiable primitive is declared, applied and recorded.

A primitive is declared once with ``defop``: its forward on backend arrays and one
vector-Jacobian rule per differentiable input. A rule names what it needs by its
parameter names, and the node saves exactly that and nothing more:

    g        the incoming gradient (adjoint of the output)
    out      the output of the forward
    x, y...  the forward's inputs, by the forward's parameter names
    x_shape  the shape of input x (saved instead of x when that is all a rule needs)
    dim...   the forward's keyword parameters
    ns       the namespace the rule runs on

Rules are written with operators and ``ns`` functions that exist both for raw arrays
(``ArrayNS``: NumPy names over the array's backend) and for Tensors (``TensorNS``: the
same names over chainrule ops). First-order backward runs rules on raw arrays (cheap);
``create_graph=True`` runs the same rules on Tensors, so the backward pass is itself
recorded and differentiable (DESIGN.md, principle 2).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from weakref import ref as _weakref

from .. import backend as _backend
from .. import dtypes as _dt
from ..autograd import forward_ad as _fwad
from ..autograd import grad_mode as _gm
from ..backend import _NAMESPACES, namespace

_grad_state = _gm._state
_fw_state = _fwad._state
_ndarray = _backend.ndarray
_as_array = _backend.as_array
_PY_NUMBERS = (int, float, bool)
_generic = _backend.scalar_type

# Names a rule can ask for that are not inputs or keyword parameters.
_SPECIAL = ("g", "ns", "out")

REGISTRY: dict[str, Primitive] = {}


_IDENTITY_CODE = (lambda g: g).__code__.co_code


def _invoker(rule, names):
    """``lambda g, ns, batch, saved: rule(<its named values>)``, compiled once per rule.
    A rule that hands g on unchanged (add, sub's first input, clone, ...) becomes the
    invoker itself: one call fewer per gradient through it."""
    code = getattr(rule, "__code__", None)
    if names == ("g",) and code is not None and code.co_code == _IDENTITY_CODE:
        return lambda g, ns, batch, saved: g
    special = {"g": "g", "ns": "ns", "batch": "batch"}
    args = ", ".join(special.get(n, f"saved[{n!r}]") for n in names)
    return eval(f"lambda g, ns, batch, saved: _rule({args})", {"_rule": rule})  # noqa: S307


# ``defop(..., jvp=DIAGONAL)``: an elementwise op, whose vjp rules are its jvp rules too
DIAGONAL = "diagonal"


class Primitive:
    """One entry of the derivative table: forward, vjp rules, and how to type its inputs."""

    __slots__ = (
        "name",
        "fwd",
        "rules",
        "rule_names",
        "input_names",
        "param_names",
        "grad_fn",
        "promote",
        "to_float",
        "broadcast",
        "view",
        "variadic",
        "fit",
        "fit_always",
        "kept",
        "selects",
        "cast",
        "check",
        "jvps",
        "jvp_names",
        "invokers",
        "_save_cache",
        "_plan_cache",
        "_steps_cache",
        "lean",
    )

    def __init__(
        self, name, fwd, vjp, grad_fn, promote, to_float, broadcast, view, fit=False, jvp=None
    ):
        self.name = name
        self.fwd = fwd
        sig = list(inspect.signature(fwd).parameters.values())[1:]  # drop xp
        self.input_names = tuple(p.name for p in sig if p.kind == p.POSITIONAL_OR_KEYWORD)
        self.param_names = tuple(p.name for p in sig if p.kind == p.KEYWORD_ONLY)
        # cat/stack take any number of inputs: one rule returns a gradient for each
        self.variadic = any(p.kind == p.VAR_POSITIONAL for p in sig)
        if vjp is not None and not isinstance(vjp, tuple):
            vjp = (vjp,)
        self.rules = vjp
        self.rule_names = (
            None if vjp is None else tuple(tuple(inspect.signature(r).parameters) for r in vjp)
        )
        # one small function per rule that calls it with its named values: the engine's
        # hot loop makes one call per rule, with no argument list to build
        self.invokers = (
            None
            if vjp is None
            else tuple(_invoker(r, names) for r, names in zip(vjp, self.rule_names))  # noqa: B905
        )
        if vjp is not None:
            known = set(_SPECIAL) | set(self.input_names) | set(self.param_names)
            known |= {n + "_shape" for n in self.input_names} | {"shapes", "batch"}
            for names in self.rule_names:
                for n in names:
                    if n not in known:
                        raise TypeError(f"rule of {name} asks for unknown value {n!r}")
        self.jvp_names = None
        if jvp is DIAGONAL:
            # every per-input Jacobian is diagonal (an elementwise op), hence symmetric:
            # J t = J^T t, so the vjp rules, given the tangent as g, are the jvp rules
            jvp = vjp
            names = self.rule_names
            self.jvp_names = tuple(tuple("t" if n == "g" else n for n in r) for r in names)
        elif jvp is not None and not isinstance(jvp, tuple):
            jvp = (jvp,)
        self.jvps = jvp
        if jvp is not None and self.jvp_names is None:
            self.jvp_names = tuple(tuple(inspect.signature(r).parameters) for r in jvp)
            known = {"t", "ns", "out", "batch", "shapes"} | set(self.input_names)
            known |= set(self.param_names) | {n + "_shape" for n in self.input_names}
            for names in self.jvp_names:
                for n in names:
                    if n not in known:
                        raise TypeError(f"jvp rule of {name} asks for unknown value {n!r}")
        self.grad_fn = grad_fn or "".join(w.capitalize() for w in name.split("_")) + "Backward0"
        self.promote = promote
        self.to_float = to_float
        self.broadcast = broadcast
        self.view = view
        # the engine fixes a gradient's shape/dtype only where a rule may not give the input's:
        # always (cat, to), or when two tensors meet (broadcasting, promotion)
        self.fit_always = bool(fit or self.variadic)
        self.fit = bool(self.fit_always or promote or broadcast)
        # what backward keeps after freeing the saved inputs and outputs
        used = {n for names in (self.rule_names or ()) for n in names}
        self.kept = used & (
            set(self.param_names) | {n + "_shape" for n in self.input_names} | {"shapes"}
        )
        self.cast = promote or to_float
        # apply's lean path takes ops whose output is a new array (not a view), with rules
        self.lean = vjp is not None and not view and not self.variadic
        self.selects = False  # an output selector of a multi-output node (autograd.Function)
        self.check = None  # optional check of the original operands (before promotion)
        self._save_cache: dict = {}
        self._plan_cache: dict = {}  # mask -> saver
        self._steps_cache: dict = {}  # mask -> plan

    def saves(self, needs: tuple) -> tuple:
        """The names to save when the inputs flagged in ``needs`` want a gradient."""
        try:
            return self._save_cache[needs]
        except KeyError:
            pass
        names: list[str] = []
        for i, need in enumerate(needs):
            if need:
                for n in self.rule_names[0 if self.variadic else i]:
                    if n not in ("g", "ns", "batch") and n not in names:
                        names.append(n)
        out = self._save_cache[needs] = tuple(names)
        return out

    def plan(self, mask: int) -> tuple:
        """(name, kind, input index) for each value to save when the inputs whose bits are
        set in ``mask`` want a gradient: kind 0 input, 1 output, 2 parameter, 3 input
        shape, 4 all input shapes."""
        try:
            return self._steps_cache[mask]
        except KeyError:
            pass
        n = len(self.input_names) or mask.bit_length()
        plan = []
        for name in self.saves(tuple(bool(mask >> i & 1) for i in range(n))):
            if name == "out":
                plan.append((name, 1, -1))
            elif name == "shapes":
                plan.append((name, 4, -1))
            elif name in self.param_names:
                plan.append((name, 2, -1))
            elif name in self.input_names:
                plan.append((name, 0, self.input_names.index(name)))
            else:
                plan.append((name, 3, self.input_names.index(name[:-6])))
        out = self._steps_cache[mask] = tuple(plan)
        return out

    def saver(self, mask: int):
        """``(args, datas, params, out, res, TT) -> (saved, checks)`` for ``mask``: the
        ``plan`` as one function compiled once, so recording an op runs no loop over it.
        ``checks`` pairs each saved tensor's version counter with its version now."""
        items, checks = [], []
        for name, kind, i in self.plan(mask):
            if kind == 0:  # an input: its (promoted) array, checked against in-place changes
                items.append(f"{name!r}: datas[{i}]")
                checks.append(
                    f"*([(args[{i}]._vc, args[{i}]._vc[0], args[{i}], {name!r})] "
                    f"if type(args[{i}]) in TT else [])"
                )
            elif kind == 1:  # the output
                items.append(f"{name!r}: out")
                checks.append(f"(res._vc, res._vc[0], None, {name!r})")
            elif kind == 2:
                items.append(f"{name!r}: params[{name!r}]")
            elif kind == 3:
                items.append(f"{name!r}: datas[{i}].shape")
            else:
                items.append(f"{name!r}: tuple([getattr(d, 'shape', None) for d in datas])")
        chk = f"[{', '.join(checks)}]" if checks else "None"
        code = f"lambda args, datas, params, out, res, TT: ({{{', '.join(items)}}}, {chk})"
        fn = self._plan_cache[mask] = eval(code)  # noqa: S307 - built from rule names only
        return fn

    def __repr__(self) -> str:
        return f"<primitive {self.name}>"


def defop(
    name: str,
    fwd: Callable,
    vjp=None,
    *,
    grad_fn: str | None = None,
    promote: bool = False,
    to_float: bool = False,
    broadcast: bool = False,
    view: bool = False,
    fit: bool = False,
    jvp=None,
) -> Primitive:
    """Declare a primitive (see the module docstring) and return it.

    vjp: one rule per input (reverse mode), jvp: one rule per input (forward mode). A jvp
    rule gets its input's tangent as ``t`` and returns that input's share of the output's
    tangent; the shares add up. Tangents and gradients may carry leading batch axes
    (``batch``: chainrule.func pushes a whole basis through one pass), so rules index axes
    from the end, or ask for ``batch``. A variadic primitive's one jvp rule gets the list
    of all tangents (zeros where an input has none).

    promote: bring tensor inputs to PyTorch's common dtype before the forward.
    to_float: integer and bool inputs are computed in the default float dtype (exp, /, ...).
    broadcast: the forward broadcasts its inputs; gradients are summed back by ``sum_to``.
    view: the output may share storage with input 0 (reshape, slicing, transpose, ...).

    >>> from chainrule.ops.primitive import defop
    >>> cube = defop("cube", lambda xp, x: x * x * x, lambda g, x: 3 * g * x * x)
    >>> cube.grad_fn
    'CubeBackward0'
    """
    prim = Primitive(name, fwd, vjp, grad_fn, promote, to_float, broadcast, view, fit, jvp)
    REGISTRY[name] = prim
    return prim


# --------------------------------------------------------------------------- apply


def apply(prim: Primitive, *args, **params):
    """Run ``prim`` on Tensors and Python scalars; record a node when grad is needed.

    Every op comes through here, so it is written flat: that keeps an op's own overhead
    near a microsecond. Steps: input arrays in the op's dtype, forward, output tensor, and,
    when an input wants a gradient, the node. The most common call (one tensor, or two of
    one dtype, no views, grad mode on, no forward mode) goes to ``_record1``/``_record2``,
    which record the same node without the general path's loops and bookkeeping.
    """
    TT = _TENSOR_TYPES
    if prim.lean and _grad_state.enabled and _fw_state.level is None:
        # 0. the common case, recorded without the general machinery below: one tensor or
        # two of one dtype, neither a view (so no stale history to check), no promotion
        n = len(args)
        if n == 2:
            a0, a1 = args
            if type(a0) in TT and type(a1) in TT and a0._base is None and a1._base is None:
                d0 = a0._data
                d1 = a1._data
                if d0.dtype is d1.dtype and (d0.dtype.kind == "f" or not prim.to_float):
                    return _record2(prim, a0, a1, d0, d1, params)
        elif n == 1:
            a0 = args[0]
            if type(a0) in TT and a0._base is None:
                d0 = a0._data
                if d0.dtype.kind == "f" or not prim.to_float:
                    return _record1(prim, a0, d0, params)
    # 1. the input arrays, in PyTorch's result dtype where the op promotes
    if prim.cast:
        datas = None
        if len(args) == 2:  # fast paths: a tensor with a tensor of its dtype or a scalar
            a0, a1 = args
            if type(a0) in TT:
                d0 = a0._data
                k = d0.dtype.kind
                if type(a1) in TT:
                    d1 = a1._data
                    if d0.dtype == d1.dtype and (k == "f" or not prim.to_float):
                        datas = [d0, d1]
                elif (
                    k == "f"
                    and type(a1) in _SCALAR_TYPES
                    or (type(a1) is int and k in "iu" and not prim.to_float)
                ):
                    datas = [d0, a1]
            elif type(a1) in TT and type(a0) in _SCALAR_TYPES:  # 2 * x, 1 - x, 1 / x
                d1 = a1._data
                k = d1.dtype.kind
                if k == "f" or (type(a0) is int and k in "iu" and not prim.to_float):
                    datas = [a0, d1]
        elif len(args) == 1 and type(args[0]) in TT:
            d0 = args[0]._data
            if d0.dtype.kind == "f" or not prim.to_float:
                datas = [d0]
        if datas is None:
            datas = _promote(prim, args)
    elif len(args) == 1:
        a0 = args[0]
        datas = [a0._data if type(a0) in TT else a0]
    elif len(args) == 2:
        a0, a1 = args
        datas = [a0._data if type(a0) in TT else a0, a1._data if type(a1) in TT else a1]
    else:
        datas = [a._data if type(a) in TT else a for a in args]
    if prim.view:  # a view shares storage: its input must own an array to share
        datas[0] = _own(args[0])
    x0 = datas[0]
    xp = _NAMESPACES.get(type(x0)) or _first_ns(datas)

    # 2. forward, and the output tensor
    try:
        out = prim.fwd(xp, *datas, **params) if params else prim.fwd(xp, *datas)
    except ValueError as e:
        raise _torch_error(e, datas) from None
    if type(out) in _PY_NUMBERS:
        out = _as_array(out)  # a Python number from some backend call (NumPy scalars stay)
    res = _Tensor.__new__(_Tensor)
    res._data = out
    if (
        prim.view
        and (out is x0 or getattr(out, "base", out) is not None)  # NumPy's copies have none
        and _backend.may_share_memory(out, x0)
    ):
        a0 = args[0]
        res._vc = a0._vc
        base = res._base = a0._base if a0._base is not None else a0
        res._vnode = base._node
    else:
        res._vc = [0]
        res._base = None
    if not _grad_state.enabled or prim.rules is None:
        res._node = None
        res._rg = False
        if _fw_state.level is not None:  # forward mode: push the inputs' tangents through
            _push_tangents(prim, args, datas, params, res)
        return res

    # 3. which inputs want a gradient (bit i for input i), and where their gradients go
    mask = 0
    bit = 1
    tensors = 0
    nxt = []
    for a in args:
        if type(a) in TT:
            tensors += 1
            if a._base is not None and a._base._node is not a._vnode:
                _stale_view()
            if a._rg:
                mask |= bit
                nxt.append(a._node or edge(a))
            else:
                nxt.append(None)
        else:
            nxt.append(None)
        bit <<= 1
    if not mask or out.dtype.kind not in "fc":  # integer and bool results get no gradient
        res._node = None
        res._rg = False
        if _fw_state.level is not None:
            _push_tangents(prim, args, datas, params, res)
        return res

    # 4. the node, and what the needed rules use
    node = Node.__new__(Node)
    node.prim = prim
    node.next = nxt
    node.pre_hooks = None
    node.shapes = None
    if prim.fit and (tensors > 1 or prim.fit_always):
        # shapes and dtypes are kept only when broadcasting or promotion happened, and
        # ``fits`` flags the inputs whose gradient backward must fix up (sum back to the
        # input's shape, cast to its dtype); a tensor that requires grad keeps its shape
        # and floating dtype against Python scalars
        fits = 0
        bit = 1
        oshape = out.shape
        odtype = out.dtype
        for a, d in zip(args, datas):  # noqa: B905 - same length by construction
            if mask & bit and (d.shape != oshape or a._data.dtype is not odtype):
                fits |= bit
            bit <<= 1
        if fits:
            shapes = []
            dtypes = []
            for a, d in zip(args, datas):  # noqa: B905 - same length by construction
                shapes.append(getattr(d, "shape", None))
                dtypes.append(a._data.dtype if type(a) in TT else None)
            node.shapes = tuple(shapes)
            node.dtypes = tuple(dtypes)
            node.fits = fits
    saver = prim._plan_cache.get(mask)
    if saver is None:
        saver = prim.saver(mask)
    saved, checks = saver(args, datas, params, out, res, TT)
    node.saved = saved
    node.checks = checks
    res._node = node
    res._rg = True
    if _fw_state.level is not None:
        # after recording: a jvp rule that uses ``out`` then differentiates through it
        # (reverse over forward)
        _push_tangents(prim, args, datas, params, res)
        fw = getattr(res, "_fw", None)
        if fw is not None and "out" in saved:  # create_graph's backward sees out's tangent
            saved["~fw"] = fw
    return res


def _lean_forward(prim, datas, params):
    """The lean path's forward and output tensor (its history is set by the caller)."""
    xp = _NAMESPACES.get(type(datas[0])) or _first_ns(datas)
    try:
        out = prim.fwd(xp, *datas, **params) if params else prim.fwd(xp, *datas)
    except ValueError as e:
        raise _torch_error(e, datas) from None
    if type(out) in _PY_NUMBERS:
        out = _as_array(out)
    res = _Tensor.__new__(_Tensor)
    res._data = out
    res._vc = [0]
    res._base = None
    res._node = None
    res._rg = False
    return res


def _record2(prim, a0, a1, d0, d1, params):
    """apply's lean path for two tensors of one dtype, neither a view (grad mode on, no
    forward mode): the same tensor and node as the general path, with no loops (and one
    function per arity, unrolled: this is every binary op's path)."""
    datas = [d0, d1]
    res = _lean_forward(prim, datas, params)
    r0 = a0._rg
    r1 = a1._rg
    if not (r0 or r1):
        return res
    node = Node.__new__(Node)
    node.prim = prim
    node.next = [(a0._node or edge(a0)) if r0 else None, (a1._node or edge(a1)) if r1 else None]
    node.pre_hooks = None
    node.shapes = None
    mask = (1 if r0 else 0) | (2 if r1 else 0)
    if prim.fit:  # fix-ups where broadcasting or the output's dtype calls for them
        out = res._data
        s = out.shape
        t = out.dtype
        fits = (1 if r0 and (d0.shape != s or d0.dtype is not t) else 0) | (
            2 if r1 and (d1.shape != s or d1.dtype is not t) else 0
        )
        if fits:
            node.shapes = (d0.shape, d1.shape)
            node.dtypes = (d0.dtype, d1.dtype)
            node.fits = fits
    saver = prim._plan_cache.get(mask) or prim.saver(mask)
    node.saved, node.checks = saver((a0, a1), datas, params, res._data, res, _TENSOR_TYPES)
    res._node = node
    res._rg = True
    return res


def _record1(prim, a0, d0, params):
    """apply's lean path for one tensor that is not a view (see _record2)."""
    datas = [d0]
    res = _lean_forward(prim, datas, params)
    if not a0._rg or res._data.dtype.kind not in "fc":  # .long() etc.: no gradient
        return res
    node = Node.__new__(Node)
    node.prim = prim
    node.next = [a0._node or edge(a0)]
    node.pre_hooks = None
    node.shapes = None
    out = res._data
    if prim.fit_always and (d0.shape != out.shape or d0.dtype is not out.dtype):
        node.shapes = (d0.shape,)
        node.dtypes = (d0.dtype,)
        node.fits = 1
    saver = prim._plan_cache.get(1) or prim.saver(1)
    node.saved, node.checks = saver((a0,), datas, params, out, res, _TENSOR_TYPES)
    res._node = node
    res._rg = True
    return res


def _push_tangents(prim, args, datas, params, res):
    """Forward mode: the output's tangent from the inputs' tangents, by the jvp rules.

    Rules run on Tensors (``TensorNS``) with forward mode paused, so a tangent is itself
    recorded for reverse mode when its inputs require grad (reverse over forward)."""
    lvl = _fw_state.level
    TT = _TENSOR_TYPES
    tans = []
    found = False
    for a in args:
        t = None
        if type(a) in TT:
            fw = getattr(a, "_fw", None)
            if fw is not None and fw[0] is lvl:
                if fw[2] != a._vc[0]:
                    _fwad.stale_tangent()
                t = fw[1]
                found = True
        tans.append(t)
    out = res._data
    if not found or prim.rules is None or out.dtype.kind not in "fc":
        return  # no tangent in; or the op is not differentiable (comparisons, argmax, ...)
    if prim.jvps is None:
        raise NotImplementedError(
            f"chainrule has no forward-mode rule (jvp) for {prim.name} yet; use reverse mode"
        )
    batch = lvl.batch
    nb = len(batch)
    ns = _tensor_ns()
    _fw_state.level = None
    try:
        if prim.variadic:
            ts = [
                t if t is not None else _zeros_tangent(batch + tuple(d.shape), out.dtype)
                for t, d in zip(tans, datas)  # noqa: B905 - same length by construction
            ]
            total = _call_jvp(prim, 0, ts, args, datas, params, res, ns, batch)
        else:
            total = None
            for i, t in enumerate(tans):
                if t is None:
                    continue
                if prim.broadcast:  # line the tangent's own axes up with the output's
                    k = out.ndim - (t._data.ndim - nb)
                    if k > 0:
                        t = t.reshape(batch + (1,) * k + tuple(datas[i].shape))
                ti = _call_jvp(prim, i, t, args, datas, params, res, ns, batch)
                total = ti if total is None else total + ti
        want = batch + tuple(out.shape)
        if tuple(total._data.shape) != want:
            total = total.expand(want)
    finally:
        _fw_state.level = lvl
    res._fw = (lvl, total, res._vc[0])
    lvl.add(res)


def _call_jvp(prim, i, t, args, datas, params, res, ns, batch):
    vals = []
    for nm in prim.jvp_names[i]:
        if nm == "t":
            vals.append(t)
        elif nm == "ns":
            vals.append(ns)
        elif nm == "out":
            vals.append(res)
        elif nm == "batch":
            vals.append(batch)
        elif nm in params:
            vals.append(params[nm])
        elif nm == "shapes":
            vals.append(tuple([getattr(d, "shape", None) for d in datas]))
        elif nm.endswith("_shape"):
            vals.append(datas[prim.input_names.index(nm[:-6])].shape)
        else:
            vals.append(args[prim.input_names.index(nm)])
    return prim.jvps[i](*vals)


def _zeros_tangent(shape, dtype):
    arr = _backend.default.zeros(shape, dtype)
    return _Tensor.__new__(_Tensor)._init(arr)


def _tensor_ns():
    from . import TensorNS

    return TensorNS


_SCALAR_TYPES = (int, float)
_TENSOR_TYPES: set = set()  # Tensor and its subclasses (registered by Tensor.__init_subclass__)


def _promote(prim, args):
    """Arrays of the inputs cast to the op's dtype by PyTorch's rules (scalars stay Python
    numbers): the general case, after apply's fast paths."""
    Tensor = _Tensor
    # NumPy scalars take part as Python numbers do, as in PyTorch (NumPy would let a
    # float64 scalar widen a float32 tensor)
    args = [a.item() if isinstance(a, _generic) else a for a in args]
    if prim.check is not None:
        prim.check(args)
    target = _dt.result_type(*(a for a in args if a is not None))
    if prim.to_float and not target.is_floating_point:
        target = _dt.get_default_dtype()
    tnp = target.np
    out = []
    for a in args:
        if isinstance(a, Tensor):
            d = a._data
            out.append(d if d.dtype == tnp else d.astype(tnp))
        else:
            out.append(a)
    return out


def compare(prim: Primitive, input, other):
    """Apply a comparison: its bool result carries no gradient, so it needs no dtype
    bookkeeping (NumPy compares mixed dtypes exactly) and no recording; only the forward.
    Functions (``torch.lt``) and operators (``<``) both come here."""
    a = getattr(input, "_data", input)
    b = getattr(other, "_data", other)
    xp = _NAMESPACES.get(type(a)) or _first_ns((a, b))
    try:
        out = prim.fwd(xp, a, b)
    except ValueError as e:
        raise _torch_error(e, (a, b)) from None
    if type(out) is bool:
        out = _as_array(out)
    res = _Tensor.__new__(_Tensor)
    res._data = out
    res._node = None
    res._rg = False
    res._vc = [0]
    res._base = None
    return res


def _torch_error(e, datas):
    """PyTorch's message for NumPy's broadcast failure; other errors as RuntimeError."""
    if "broadcast" in str(e):
        shapes = [getattr(d, "shape", ()) for d in datas]
        if len(shapes) >= 2:
            a, b = shapes[0], shapes[1]
            n = max(len(a), len(b))
            for i in range(1, n + 1):
                sa = a[-i] if i <= len(a) else 1
                sb = b[-i] if i <= len(b) else 1
                if sa != sb and sa != 1 and sb != 1:
                    return RuntimeError(
                        f"The size of tensor a ({sa}) must match the size of tensor b ({sb}) "
                        f"at non-singleton dimension {n - i}"
                    )
    return RuntimeError(str(e))


def _stale_view():
    raise RuntimeError(
        "a view is used after its base tensor's history was changed by an in-place operation "
        "(chainrule does not regenerate a view's history). Take the view again after the "
        "in-place operation, or clone() it before."
    )


def _first_ns(datas):
    for d in datas:
        if not isinstance(d, (int, float, bool)):
            return namespace(d)
    return _backend.default


class Node:
    """A recorded op: what backward needs to run its rules (PyTorch's grad_fn).

    ``next_functions`` lists, per input, the node its gradient flows to:
    another Node, an AccumulateGrad for a leaf that requires grad, or None.
    """

    __slots__ = (
        "prim",
        "next",
        "saved",
        "checks",
        "shapes",
        "dtypes",
        "fits",
        "pre_hooks",
        "__weakref__",
    )

    def name(self) -> str:
        return self.prim.grad_fn

    @property
    def next_functions(self) -> tuple:
        return tuple(
            (n.next[0], n.saved["index"]) if n is not None and _selects(n) else (n, 0)
            for n in self.next
        )

    @property
    def metadata(self) -> dict:
        return {}

    def register_hook(self, fn):
        """Hook on this node's incoming gradient (before its rules run)."""
        if self.pre_hooks is None:
            self.pre_hooks = []
        self.pre_hooks.append(fn)
        return _RemovableHandle(self.pre_hooks, fn)

    register_prehook = register_hook

    def __repr__(self) -> str:
        return f"<{self.prim.grad_fn} object at {hex(id(self))}>"


def _selects(n) -> bool:
    return type(n) is Node and n.prim.selects


class AccumulateGrad:
    """The graph node of a leaf that requires grad: backward adds into ``variable.grad``."""

    __slots__ = ("variable", "pre_hooks", "__weakref__")
    next = ()
    next_functions = ()

    def __init__(self, variable) -> None:
        self.variable = variable
        self.pre_hooks = None

    def __call__(self):
        return self  # so Tensor._accum may hold it strongly or through a weakref alike

    def name(self) -> str:
        return "torch::autograd::AccumulateGrad"

    def __repr__(self) -> str:
        return f"<AccumulateGrad object at {hex(id(self))}>"


class _RemovableHandle:
    """Returned by register_hook; ``remove()`` unregisters the hook."""

    __slots__ = ("_hooks", "_fn")

    def __init__(self, hooks: list, fn) -> None:
        self._hooks, self._fn = hooks, fn

    def remove(self) -> None:
        if self._fn in self._hooks:
            self._hooks.remove(self._fn)


def edge(t):
    """The node a gradient for tensor ``t`` flows into."""
    n = t._node
    if n is not None:
        return n
    ref = getattr(t, "_accum", None)
    acc = ref() if ref is not None else None
    if acc is None:
        acc = AccumulateGrad(t)
        t._accum = _weakref(acc)
    return acc


# ---------------------------------------------------------------- rule namespaces


class ArrayNS:
    """NumPy-named functions over one backend's arrays, plus the table's helpers."""

    def __init__(self, xp) -> None:
        self.xp = xp
        for n in (
            "exp",
            "log",
            "sin",
            "cos",
            "tan",
            "tanh",
            "sqrt",
            "sign",
            "abs",
            "where",
            "expand_dims",
            "matmul",
            "zeros_like",
            "ones_like",
            "maximum",
            "minimum",
            "moveaxis",
            "transpose",
            "flip",
            "cumsum",
            "concatenate",
            "stack",
            "squeeze",
            "log1p",
            "expm1",
            "outer",
            "diagonal",
            "take_along_axis",
            "floor",
            "mean",
            "cumprod",
        ):
            setattr(self, n, getattr(xp, n))

    # NumPy's function wrappers cost microseconds; array methods, ufunc reductions and a
    # plain fill do not (backward runs these per node)
    @staticmethod
    def reshape(a, shape):
        return a.reshape(shape)

    @staticmethod
    def swapaxes(a, i, j):
        return a.swapaxes(i, j)

    def sum(self, a, axis=None, keepdims=False):
        return self.xp.add.reduce(a, axis=axis, keepdims=keepdims)

    def broadcast_to(self, a, shape):
        """``a`` broadcast to ``shape``, materialized (writable, contiguous: the gradient
        buffer that backward hands on, with no copy needed later)."""
        if a.shape == tuple(shape):
            return a
        out = self.xp.empty(shape, a.dtype)
        out[...] = a
        return out

    def permute(self, a, axes):
        return self.xp.transpose(a, axes)

    def index_put(self, g, v, idx):
        out = self.xp.array(g, copy=True)
        out[idx] = v
        return out

    def svdvals_vjp(self, g, x):
        u, _, vh = self.xp.linalg.svd(x, full_matrices=False)
        return (u * g[..., None, :]) @ vh

    def take_along(self, g, idx, dim):
        return self.xp.take_along_axis(g, idx, axis=dim)

    def astype(self, a, np_dtype):
        return a.astype(np_dtype)

    def zeros(self, shape, np_dtype):
        return self.xp.zeros(shape, np_dtype)

    def sum_to(self, g, shape, batch=()):
        return sum_to_array(self.xp, g, shape=shape, nb=len(batch))

    def index_grad(self, g, idx, shape):
        return index_grad_array(self.xp, g, idx=idx, shape=shape)

    def getitem(self, g, idx):
        return g[idx]

    def put_along(self, g, idx, dim, shape):
        return put_along_array(self.xp, g, idx=idx, dim=dim, shape=shape)


_array_ns_cache: dict = {}


def array_ns(xp) -> ArrayNS:
    ns = _array_ns_cache.get(xp)
    if ns is None:
        ns = _array_ns_cache[xp] = ArrayNS(xp)
    return ns


def sum_to_array(xp, g, *, shape, nb=0):
    """Sum ``g`` over the axes that broadcasting added or stretched, back to ``shape``
    (after ``nb`` leading batch axes, which stay)."""
    if g.shape[nb:] == shape:
        return g
    lead = g.ndim - nb - len(shape)
    off = lead + nb
    stretched = tuple(i + off for i, s in enumerate(shape) if s == 1 and g.shape[i + off] != 1)
    added = tuple(range(nb, off))
    if not stretched:  # only leading axes were added (a bias): one sum, a fresh array
        return xp.add.reduce(g, axis=added)
    r = xp.add.reduce(g, axis=added + stretched, keepdims=True)
    return r.reshape(g.shape[:nb] + tuple(shape))


def has_advanced(idx) -> bool:
    """Whether an index tuple holds arrays (integer or boolean): NumPy 'advanced' indexing."""
    for i in idx:
        if hasattr(i, "shape") or isinstance(i, list):
            return True
    return False


def index_grad_array(xp, g, *, idx, shape):
    """Adjoint of ``x[idx]``: zeros of x's shape with ``g`` added at ``idx`` (repeats add up)."""
    z = xp.zeros(shape, g.dtype)
    if has_advanced(idx):
        xp.add.at(z, idx, g)
    else:
        z[idx] = g
    return z


def put_along_array(xp, g, *, idx, dim, shape):
    """Adjoint of take_along_axis: zeros of ``shape`` with ``g`` placed at ``idx`` on ``dim``."""
    z = xp.zeros(shape, g.dtype)
    full = list(xp.indices(idx.shape, sparse=True))
    full[dim] = idx
    xp.add.at(z, tuple(full), g)  # repeated indices add up (put_along_axis would overwrite)
    return z


_Tensor = None  # set by chainrule.tensor (import cycle: Tensor's methods call ops)
_own = None  # chainrule.tensor.own, set likewise
