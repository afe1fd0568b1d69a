"""Symbolic arrays: the data of a tensor of an explicit graph (``chainrule.sym``).

An explicit graph is written with the same operators and functions as eager tensors.
What makes it symbolic is the array inside the tensor: a ``SymArray`` has a shape and a
dtype but no values. It is a node of the graph: a variable (bound later), a constant, or
a primitive of the table applied to other nodes (``prim``, ``inputs``, ``params``).

The recorder (``ops.apply``) asks for the namespace of its input arrays as always; for a
``SymArray`` that is ``SYMBOLIC``, and instead of running the primitive's forward it calls
``node``, which makes the graph node. Everything before that point (the functions'
argument parsing and errors, PyTorch's dtype promotion, which casts with ``astype``) and
after it (the autograd node, the forward-mode push) is the eager code, unchanged: a
symbolic graph is made by the one table, and differentiated by its rules.

``node`` finds the output's shape and dtype by running the primitive's forward on
stand-ins: arrays of ones of the inputs' shapes and dtypes, broadcast from one element (a
square stand-in is the identity where ones are singular, for the linalg rows). That is the
forward's own shape logic, so no op has a second, symbolic implementation. A dimension
given as None (known at bind time) is tried as 2 and as 3: the output dimensions that
follow it are None too; where those trials fail (a None size meeting a known one), the
output's shape is unknown (None), as it is for inputs of unknown shape.

>>> import numpy as np
>>> from chainrule.ops.symbolic import variable, node
>>> from chainrule.ops import REGISTRY
>>> a = variable("a", (None, 3), np.float32)
>>> c = node(REGISTRY["mul"], [2.0, a], {})
>>> c.shape, c.dtype
((None, 3), dtype('float32'))
"""

from __future__ import annotations

import warnings
import weakref
from types import ModuleType

from .. import backend as _backend
from .primitive import REGISTRY

# stand-ins and constants are arrays of the default backend (NumPy), on the CPU
_np = _backend.default

__all__ = [
    "SymArray",
    "SYMBOLIC",
    "variable",
    "constant",
    "node",
    "shaped_node",
    "walk",
    "param_syms",
    "Versions",
    "known_contiguous",
    "is_symbolic",
    "DataDependentShape",
]

NO_VALUE = (
    "a symbolic value has no data until it is bound: evaluate it first "
    "(c.eval(a=...) or chainrule.sym.function)"
)


class DataDependentShape(TypeError):
    """A function whose result's shape depends on the values (nonzero, unique, one_hot
    without num_classes, ...) was given a symbolic value: an explicit graph's shapes are
    known before it is bound, so it cannot hold it. ``what`` names the function."""

    def __init__(self, what: str) -> None:
        super().__init__(
            f"chainrule.sym: {what}: the shape of its result depends on the values, which an "
            "explicit graph does not have before it is bound (bind the graph first)"
        )
        self.what = what


def _refuse(name: str):
    raise AttributeError(
        f"chainrule.sym: {name!r} of the array namespace was asked for a symbolic value; "
        "only the table's primitives (through chainrule's functions and operators) build "
        "symbolic graphs"
    )


# The namespace of symbolic arrays: the recorder sees it and makes a node instead of
# running a forward; anything else that asks it for an array function is refused clearly.
SYMBOLIC = ModuleType("chainrule.symbolic", "the array namespace of symbolic arrays")
SYMBOLIC.__getattr__ = _refuse


def _fill(value):
    def make(shape, dtype=None, *args, **kwargs):
        dt = _np.dtype(dtype if dtype is not None else _np.float64)
        shape = (shape,) if isinstance(shape, int) else tuple(shape)
        return constant(_np.broadcast_to(_np.asarray(value, dt), shape))

    return make


# what the namespace does give: constants (a rule's zeros_like, ones_like: no computation)
SYMBOLIC.zeros = SYMBOLIC.empty = _fill(0)
SYMBOLIC.ones = _fill(1)
SYMBOLIC.full = lambda shape, fill_value, dtype=None, **kw: _fill(fill_value)(shape, dtype)
# (autograd.grad's seed for a scalar output: ones_like)
SYMBOLIC.ones_like = lambda x, dtype=None, **kw: _fill(1)(x.shape, dtype or x.dtype)
SYMBOLIC.eye = lambda n, m=None, k=0, dtype=None, **kw: constant(
    _np.eye(n, m, k, dtype=_np.dtype(dtype if dtype is not None else _np.float64))
)
# and the moves of an index array that a rule makes before it gathers (max_pool2d's): the
# table's reshape and expand
SYMBOLIC.reshape = lambda a, shape, **kw: a.reshape(shape)
SYMBOLIC.broadcast_to = lambda a, shape: node(
    REGISTRY["expand"], [a], {"shape": tuple(int(d) for d in shape)}
)


class _Flags:
    __slots__ = ()
    c_contiguous = True  # a symbolic array has no layout: the recorder's layout steps skip
    f_contiguous = False
    writeable = False


class SymArray:
    """A node of an explicit graph, standing where an array would.

    prim     the primitive (``ops.REGISTRY``) that makes it; None for a variable or constant
    inputs   the forward's positional inputs: SymArrays and Python numbers
    params   the forward's keyword parameters (they may hold SymArrays: a mask, an index)
    shape    a tuple (entries may be None: known at bind time), or None: unknown
    dtype    the NumPy dtype
    name     a variable's name (None otherwise)
    value    a constant's array (None otherwise)

    A SymArray is compared and hashed by identity: it is a node, not a value.
    """

    __slots__ = ("prim", "inputs", "params", "shape", "dtype", "name", "value", "__weakref__")

    __array_ufunc__ = None  # NumPy defers to us, and we refuse: a real op met a symbolic one
    base = None  # owns no storage: the recorder's view bookkeeping leaves it alone
    flags = _Flags()

    def __init__(self, prim, inputs, params, shape, dtype, name=None, value=None) -> None:
        self.prim = prim
        self.inputs = tuple(inputs)
        self.params = params
        self.shape = None if shape is None else tuple(shape)
        self.dtype = _np.dtype(dtype)
        self.name = name
        self.value = value

    @property
    def kind(self) -> str:
        """'var', 'const' or 'op'."""
        if self.prim is not None:
            return "op"
        return "var" if self.value is None else "const"

    @property
    def ndim(self) -> int:
        if self.shape is None:  # (an AttributeError: getattr(x, "ndim", 0) still works)
            raise AttributeError("the rank of this symbolic value is not known")
        return len(self.shape)

    @property
    def size(self):
        if self.shape is None or None in self.shape:
            return None
        n = 1
        for d in self.shape:
            n *= d
        return n

    def astype(self, dtype, copy: bool = True) -> SymArray:
        """A cast (PyTorch's promotion casts operands): the table's ``to_copy``."""
        return node(REGISTRY["to_copy"], [self], {"np_dtype": _np.dtype(dtype)})

    def __array__(self, *args, **kwargs):
        raise TypeError(NO_VALUE)

    def __bool__(self):
        raise TypeError(
            "a symbolic value has no truth value: control flow that depends on data is not "
            "part of an explicit graph (bind the graph, or use chainrule.where)"
        )

    def __float__(self):
        raise TypeError(NO_VALUE)

    __int__ = __index__ = __float__

    def __setitem__(self, index, value):
        raise TypeError(
            "chainrule.sym: a write into a symbolic value's array: an explicit graph takes "
            "in-place writes only through chainrule's in-place ops and x[idx] = v (each "
            "makes a new node), not into the array itself"
        )

    def reshape(self, *shape) -> SymArray:
        """``a.reshape(shape)``, as a rule moves an index array: the table's reshape."""
        shape = shape[0] if len(shape) == 1 and type(shape[0]) in (tuple, list) else shape
        return node(REGISTRY["reshape"], [self], {"shape": tuple(int(d) for d in shape)})

    def __getitem__(self, idx) -> SymArray:
        """``a[idx]``, as a rule that reads a region's shape asks it: the table's index."""
        return node(REGISTRY["index"], [self], {"idx": idx if type(idx) is tuple else (idx,)})

    def item(self, *args):
        raise TypeError(NO_VALUE)

    tolist = item

    def __getattr__(self, name: str):
        raise AttributeError(
            f"chainrule.sym: a symbolic value has no {name!r}: this computation needs the "
            "data (a data-dependent step outside the table's primitives), which an "
            "explicit graph does not have before it is bound"
        )

    def __repr__(self) -> str:
        what = self.name if self.kind == "var" else (self.prim.name if self.prim else "const")
        return f"<SymArray {what}: {self.dtype}{list(self.shape or ['?'])}>"


_backend._NAMESPACES[SymArray] = SYMBOLIC


def variable(name: str, shape, dtype) -> SymArray:
    """A placeholder, bound at evaluation."""
    return SymArray(None, (), None, shape, dtype, name=name)


def constant(value) -> SymArray:
    """A constant node holding a backend array (a real tensor met a symbolic one)."""
    return SymArray(None, (), None, value.shape, value.dtype, value=value)


def is_symbolic(a) -> bool:
    """Whether ``a`` (an array, or a tensor of one) is a node of an explicit graph: for
    the few rules that look at values (a zero, a NaN) before they choose a formula."""
    return type(getattr(a, "_data", a)) is SymArray


def param_syms(params) -> list:
    """The SymArrays among a node's parameters (top level, or in a tuple or list)."""
    found = []
    if params:
        for v in params.values():
            if type(v) is SymArray:
                found.append(v)
            elif type(v) in (tuple, list):
                found.extend(x for x in v if type(x) is SymArray)
    return found


def walk(outputs) -> list:
    """The nodes the outputs depend on, each once, inputs before their users (iterative)."""
    order: list = []
    seen: set = set()
    stack = [(o, False) for o in reversed(outputs) if type(o) is SymArray]
    while stack:
        n, done = stack.pop()
        if done:
            order.append(n)
            continue
        if id(n) in seen:
            continue
        seen.add(id(n))
        stack.append((n, True))
        deps = [x for x in n.inputs if type(x) is SymArray] + param_syms(n.params)
        for d in reversed(deps):
            if id(d) not in seen:
                stack.append((d, False))
    return order


# ------------------------------------------------------------ shape inference
def node(prim, datas, params) -> SymArray:
    """The graph node for ``prim`` applied to ``datas`` (SymArrays, arrays and numbers):
    its output's shape and dtype are those of the forward run on stand-ins."""
    datas = [constant(d) if _is_array(d) else d for d in datas]
    params = dict(params)
    shape, dtype = _infer(prim, datas, params)
    return SymArray(prim, datas, params, shape, dtype)


def shaped_node(prim, datas, params, shape, dtype) -> SymArray:
    """The graph node for ``prim`` on ``datas`` whose output's shape and dtype the caller
    knows: a check that passes its input through when its values pass (class indices in
    range), a rule's helper of the same shape. Its forward is not run on stand-ins, whose
    values (ones) could fail a check that the bound values pass."""
    datas = [constant(d) if _is_array(d) else d for d in datas]
    return SymArray(prim, datas, dict(params), shape, dtype)


def _is_array(d) -> bool:
    return type(d) is not SymArray and hasattr(d, "shape") and hasattr(d, "dtype")


def _infer(prim, datas, params):
    syms = [d for d in datas if type(d) is SymArray] + param_syms(params)
    if prim.fwd is REGISTRY["index"].fwd and any(
        s.dtype.kind == "b" and s.value is None for s in param_syms(params)
    ):  # x[mask] of a mask known at bind time: as many elements as it has True values
        return _masked_shape(prim, datas, params)
    if all(s.shape is not None and None not in s.shape for s in syms):
        out = _dry(prim, datas, params, None)  # errors here are the eager op's errors
        return out.shape, out.dtype
    try:
        a = _dry(prim, datas, params, 2)
        if any(s.shape is None for s in syms):  # unknown rank: only the dtype is known
            return None, a.dtype
        b = _dry(prim, datas, params, 3)
    except Exception:  # noqa: BLE001 - a None size met a known one: shape known at bind time
        first = next(s for s in syms)
        return None, _fallback_dtype(prim, params, first)
    if a.ndim != b.ndim:
        return None, a.dtype
    return tuple(x if x == y else None for x, y in zip(a.shape, b.shape, strict=True)), a.dtype


def _masked_shape(prim, datas, params):
    """x[..., mask, ...] with a symbolic mask: the result's dims, None where the number
    of True values decides (the forward on an all-True mask and on one with a False)."""
    syms = [d for d in datas if type(d) is SymArray] + param_syms(params)
    a = _dry(prim, datas, params, 2)
    if any(s.shape is None or None in s.shape for s in syms):
        return None, a.dtype

    def one_false(v):
        if type(v) is SymArray and v.dtype.kind == "b" and v.value is None and v.size:
            m = _np.ones(v.shape, bool)
            m.reshape(-1)[0] = False
            return constant(m)
        return v

    other = {
        k: type(v)(one_false(x) for x in v) if type(v) in (tuple, list) else one_false(v)
        for k, v in params.items()
    }
    b = _dry(prim, datas, other, None)
    if a.ndim != b.ndim:
        return None, a.dtype
    return tuple(x if x == y else None for x, y in zip(a.shape, b.shape, strict=True)), a.dtype


def _fallback_dtype(prim, params, first):
    if "np_dtype" in params:
        return _np.dtype(params["np_dtype"])
    return first.dtype


def _dry(prim, datas, params, probe):
    """The forward on stand-ins (ones; where that fails, the identity's stack, writable)."""
    try:
        return _run(prim, datas, params, probe, eye=False)
    except Exception as e:  # noqa: BLE001 - singular ones (linalg rows), a write: retry
        try:
            return _run(prim, datas, params, probe, eye=True)
        except Exception:  # noqa: BLE001 - the first error is the one to tell
            raise e from None


def _run(prim, datas, params, probe, eye):
    args = [_stand_in(d, probe, eye) if type(d) is SymArray else d for d in datas]
    ps = {k: _param_stand_in(v, probe, eye) for k, v in params.items()}
    xp = _backend.namespace(next((a for a in args if hasattr(a, "dtype")), _np.zeros(0)))
    with _np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = prim.fwd(xp, *args, **ps)
    if not hasattr(out, "shape"):
        out = _np.asarray(out)
    return out


def _param_stand_in(v, probe, eye):
    # an integer parameter is an index (argmax's, argsort's): 0 is in bounds wherever
    # the dim it indexes is not empty
    if type(v) is SymArray:
        return _stand_in(v, probe, eye, index=True)
    if type(v) in (tuple, list) and any(type(x) is SymArray for x in v):
        return type(v)(
            _stand_in(x, probe, eye, index=True) if type(x) is SymArray else x for x in v
        )
    return v


def _stand_in(s: SymArray, probe, eye: bool, index: bool = False):
    if s.value is not None:
        return s.value
    shape = () if s.shape is None else tuple(probe if d is None else d for d in s.shape)
    if index and s.dtype.kind in "iu":
        return _np.broadcast_to(_np.zeros((), s.dtype), shape)
    if not eye:
        return _np.broadcast_to(_np.ones((), s.dtype), shape)
    out = _np.ones(shape, s.dtype)
    if len(shape) >= 2 and shape[-1] == shape[-2]:
        out[...] = _np.eye(shape[-1], dtype=s.dtype)
    return out


# ------------------------------------------------------------ in-place writes
# An explicit graph is functional: an in-place op on a symbolic tensor makes a new node,
# and the tensor (with every tensor sharing its storage: views, detached aliases) names
# the new value from then on (ops.apply, ``_symbolic_inplace``). What the storage holds
# now is kept with its version counter, which those tensors share.


# Set by chainrule.compile while it traces: called with each tensor about to be written in
# place (the compiler refuses the writes into its inputs that it cannot write back, and
# the function runs eagerly). None otherwise.
WRITE_CHECK = None

# Set by chainrule.compile while it traces: called (with retain_graph) when ``backward()``
# accumulates gradients of a symbolic output into leaves' ``.grad`` (autograd.api).
ON_BACKWARD = None

# chainrule.sym's Symbol class, registered when chainrule.sym is imported: every result of
# an op on symbolic inputs is a Symbol, also where the first symbolic input is a plain
# tensor holding a node (chainrule.compile swaps nodes into a module's parameters), so that
# each result has a storage of its own that in-place writes and views track (Versions).
SYMBOL = None


class Versions(list):
    """The version counter ``[n]`` of a symbolic tensor's storage, with the node the
    storage holds now (``root``: each view of it is its view chain applied to that) and,
    where the graph cannot tell whether two tensors share memory in eager chainrule (a
    reshape of a value of unknown layout), why writes to it are refused (``poisoned``).

    ``owner``: a plain tensor (not a ``Symbol``, which reads its node afresh) that holds
    the storage's root while chainrule.compile traces (a parameter, an optimizer's state):
    a write through one of its views sets its node to the new root."""

    __slots__ = ("root", "poisoned", "owner")

    def __init__(self, root, owner=None) -> None:
        super().__init__((0,))
        self.root = root
        self.poisoned = None
        self.owner = owner


_CONTIGUOUS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def known_contiguous(n: SymArray) -> bool:
    """Whether eager chainrule holds the value of node ``n`` in row-major (C) order, for
    certain: variables (bound to row-major arrays), constants that are, and ops whose
    forward, run on row-major stand-ins of row-major inputs, gives row-major output.
    False where that is not so or not known (shapes known at bind time only)."""
    stack = [n]
    while stack:
        m = stack[-1]
        if m in _CONTIGUOUS:
            stack.pop()
            continue
        if m.shape is None or None in m.shape:
            _CONTIGUOUS[m] = False
        elif m.prim is None:
            _CONTIGUOUS[m] = m.value is None or bool(m.value.flags.c_contiguous)
        else:
            deps = [x for x in m.inputs if type(x) is SymArray] + param_syms(m.params)
            todo = [d for d in deps if d not in _CONTIGUOUS]
            if todo:
                stack.extend(todo)
                continue
            ok = all(_CONTIGUOUS[d] for d in deps)
            if ok:
                try:
                    out = _run(m.prim, m.inputs, m.params or {}, None, eye=True)
                    ok = bool(getattr(out, "flags", _Flags).c_contiguous)
                except Exception:  # noqa: BLE001 - not known: refused where it matters
                    ok = False
            _CONTIGUOUS[m] = ok
        stack.pop()
    return _CONTIGUOUS[n]
