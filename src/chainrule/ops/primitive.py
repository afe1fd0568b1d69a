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

import numpy as _np  # only for NumPy scalar results and the ndarray type; ops use xp

from .. import dtypes as _dt
from ..autograd import grad_mode as _gm
from ..backend import namespace

_grad_state = _gm._state
_ndarray = _np.ndarray
_generic = _np.generic

# Names a rule can ask for that are not inputs or keyword parameters.
_SPECIAL = ("g", "ns", "out")

REGISTRY: dict[str, Primitive] = {}


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
        "_save_cache",
    )

    def __init__(self, name, fwd, vjp, grad_fn, promote, to_float, broadcast, view):
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
        if vjp is not None:
            known = set(_SPECIAL) | set(self.input_names) | set(self.param_names)
            known |= {n + "_shape" for n in self.input_names} | {"shapes"}
            for names in self.rule_names:
                for n in names:
                    if n not in known:
                        raise TypeError(f"rule of {name} asks for unknown value {n!r}")
        self.grad_fn = grad_fn or "".join(w.capitalize() for w in name.split("_")) + "Backward0"
        self.promote = promote
        self.to_float = to_float
        self.broadcast = broadcast
        self.view = view
        self._save_cache: dict = {}

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
                    if n not in ("g", "ns") and n not in names:
                        names.append(n)
        out = self._save_cache[needs] = tuple(names)
        return out

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
) -> Primitive:
    """Declare a primitive (see the module docstring) and return it.

    promote: bring tensor inputs to PyTorch's common dtype before the forward.
    to_float: integer and bool inputs are computed in the default float dtype (exp, /, ...).
    broadcast: the forward broadcasts its inputs; gradients are summed back by ``sum_to``.
    view: the output may share storage with input 0 (reshape, slicing, transpose, ...).

    >>> from chainrule.ops.primitive import defop
    >>> cube = defop("cube", lambda xp, x: x * x * x, lambda g, x: 3 * g * x * x)
    >>> cube.grad_fn
    'CubeBackward0'
    """
    prim = Primitive(name, fwd, vjp, grad_fn, promote, to_float, broadcast, view)
    REGISTRY[name] = prim
    return prim


# --------------------------------------------------------------------------- apply


def apply(prim: Primitive, *args, **params):
    """Run ``prim`` on Tensors and Python scalars; record a node when grad is needed."""
    Tensor = _Tensor
    # Arrays and dtype. Fast path: every tensor input already has the result dtype.
    datas = [a._data if type(a) is Tensor or isinstance(a, Tensor) else a for a in args]
    if prim.promote or prim.to_float:
        datas = _promote(prim, args, datas)
    x0 = datas[0]
    xp = namespace(x0) if not isinstance(x0, (int, float, bool)) else _first_ns(datas)
    try:
        out = prim.fwd(xp, *datas, **params)
    except ValueError as e:
        raise _torch_error(e, datas) from None
    if type(out) is not _ndarray and isinstance(out, _generic):
        out = _np.asarray(out)
    res = Tensor.__new__(Tensor)
    res._data = out
    res._node = None
    res._grad = None
    res._base = None
    res._accum = None
    res._retains = False
    res._rg = False
    if prim.view:
        a0 = args[0]
        if _np.may_share_memory(out, a0._data):
            res._version = a0._version
            base = res._base = a0._base if a0._base is not None else a0
            res._vnode = base._node
        else:
            res._version = [0]
    else:
        res._version = [0]
    if not _grad_state.enabled or prim.rules is None:
        return res
    needs = []
    for a in args:
        if type(a) is Tensor:
            if a._base is not None and a._base._node is not a._vnode:
                _stale_view()
            needs.append(a._rg)
        else:
            needs.append(False)
    needs = tuple(needs)
    if True not in needs:
        return res
    _record(prim, args, datas, params, needs, res)
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
    return namespace(_np.asarray(0))


def _promote(prim, args, datas):
    """Cast tensor inputs to the op's dtype by PyTorch's rules (scalars stay Python numbers)."""
    Tensor = _Tensor
    first = None
    same = True
    for a in args:
        if type(a) is Tensor:
            if first is None:
                first = a._data.dtype
            elif a._data.dtype != first:
                same = False
                break
        elif isinstance(a, Tensor):
            same = False
            break
    if same and first is not None:
        cat = _dt.from_numpy_dtype(first).category
        for a in args:
            if type(a) is not Tensor and a is not None:
                if isinstance(a, float) and cat < 2 or isinstance(a, int) and cat < 1:
                    same = False
                    break
    if same and first is not None:
        target = _dt.from_numpy_dtype(first)
    else:
        target = _dt.result_type(*(a for a in args if a is not None))
    if prim.to_float and not target.is_floating_point:
        target = _dt.get_default_dtype()
    tnp = target.np
    out = []
    for a, d in zip(args, datas, strict=True):
        if isinstance(a, Tensor) and d.dtype != tnp:
            d = d.astype(tnp)
        out.append(d)
    return out


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
        "params",
        "released",
        "pre_hooks",
        "seq",
        "__weakref__",
    )

    def name(self) -> str:
        return self.prim.grad_fn

    @property
    def next_functions(self) -> tuple:
        return tuple((n, 0) for n in self.next)

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


_seq = [0]


def edge(t):
    """The node a gradient for tensor ``t`` flows into."""
    n = t._node
    if n is not None:
        return n
    acc = t._accum() if t._accum is not None else None
    if acc is None:
        acc = AccumulateGrad(t)
        t._accum = _weakref(acc)
    return acc


def _record(prim, args, datas, params, needs, res):
    Tensor = _Tensor
    node = Node.__new__(Node)
    node.prim = prim
    node.next = tuple(edge(a) if need else None for a, need in zip(args, needs, strict=True))
    node.shapes = tuple(getattr(d, "shape", None) for d in datas)
    node.dtypes = tuple(a._data.dtype if type(a) is Tensor else None for a in args)
    node.params = params
    node.released = False
    node.pre_hooks = None
    _seq[0] += 1
    node.seq = _seq[0]
    saved = {}
    checks = None
    for name in prim.saves(needs):
        if name == "out":
            saved["out"] = res._data
            checks = checks or []
            checks.append((res._version, res._version[0], "out", res._data))
        elif name in params:
            saved[name] = params[name]
        elif name == "shapes":
            saved[name] = node.shapes
        elif name.endswith("_shape") and name not in prim.input_names:
            saved[name] = node.shapes[prim.input_names.index(name[:-6])]
        else:
            a = args[prim.input_names.index(name)]
            saved[name] = a
            if type(a) is Tensor:
                checks = checks or []
                checks.append((a._version, a._version[0], a, None))
    node.saved = saved
    node.checks = checks
    res._node = node
    res._rg = True


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
            "sum",
            "reshape",
            "broadcast_to",
            "swapaxes",
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

    def permute(self, a, axes):
        return self.xp.transpose(a, axes)

    def index_put(self, g, v, idx):
        out = g.copy()
        out[idx] = v
        return out

    def take_along(self, g, idx, dim):
        return self.xp.take_along_axis(g, idx, axis=dim)

    def astype(self, a, np_dtype):
        return a.astype(np_dtype)

    def zeros(self, shape, np_dtype):
        return self.xp.zeros(shape, np_dtype)

    def sum_to(self, g, shape):
        return sum_to_array(self.xp, g, shape=shape)

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


def sum_to_array(xp, g, *, shape):
    """Sum ``g`` over the axes that broadcasting added or stretched, back to ``shape``."""
    if g.shape == shape:
        return g
    lead = g.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(
        i + lead for i, s in enumerate(shape) if s == 1 and g.shape[i + lead] != 1
    )
    r = xp.sum(g, axis=axes, keepdims=True) if axes else g
    return r.reshape(shape)


def has_advanced(idx) -> bool:
    """Whether an index tuple holds arrays (integer or boolean): NumPy 'advanced' indexing."""
    return any(hasattr(i, "shape") or isinstance(i, list) for i in idx)


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
    xp.put_along_axis(z, idx, g, axis=dim)
    return z


_Tensor = None  # set by chainrule.tensor (import cycle: Tensor's methods call ops)


def _weakref(obj):
    import weakref

    return weakref.ref(obj)
