"""Lowering an explicit graph to a straight-line Python function.

``sym.function`` interprets a graph node by node (``evaluate.run``). For speed it lowers
the optimized graph instead, once per signature (the inputs' array types, shapes, dtypes
and strides), into the source text of a Python function: one line per node, in the order the
interpreter would run them (reductions earlier: see Order below), each a backend call. The
text is ``compile()``d and cached; ``f.source`` prints it.

What a line calls, and nothing else (no op's math is written twice):

- the primitive's forward, ``prim.fwd(xp, ...)``, as the interpreter does; or
- for the entries of ``OUT_CALLS`` (elementwise ufuncs and ``mm``), the NumPy function
  that the forward itself calls, given a buffer to write into (``out=``); or the backend
  kernel it calls, where that takes ``out=`` as a ufunc does (``KERNELS``: relu's
  adjoint). A test checks every entry against its forward (values and dtypes); anything
  not in the map, not on NumPy arrays, or 0-d (where NumPy's forward returns a scalar)
  calls the forward. A number operand of float arithmetic is bound as a 0-d array of
  the result's dtype (``operand``: NumPy takes it four times faster than a Python float,
  same values); of a float maximum or minimum (relu), as a constant array of the
  result's shape, up to ``FULL_OPERAND_BYTES`` (NumPy's vectorized loops for them take
  two arrays, not an array and a scalar: three times faster, and exact either way).
- for the views of ``VIEW_METHODS`` (permute) on a NumPy array, the array's method that
  the forward calls through NumPy's function (``x.transpose(dims)``);
- for a sum of a C-ordered NumPy float array, the reduce the forward calls
  (``numpy.add.reduce``, in the dtype ``ops.reduction.sum_dtype`` gives, cast back):
  a bias gradient's sum without the forward's Python layers around it.

Order: the interpreter's (``walk``), but for nodes whose value is smaller than their
largest input (reductions: a bias gradient's sum), which run right after the last of
their inputs is made (``schedule``), while it is still in cache, rather than after
unrelated work (a matmul that evicts it). Their small values live longer; no input
lives longer. The values do not change: the graph is functional.

Buffers: an intermediate written through ``out=`` lives in a (C-ordered) buffer, where
the forward's own result was C-ordered too (else the line makes a fresh array by the
forward's call, so that every value has the layout the interpreter's has: a reshape views
or copies by it, a sum adds in its order). Once its last user has run, the buffer is
free and a later op of the same shape and dtype writes into it (an elementwise op may
write over its own dying input: NumPy ufuncs allow exact overlap). A value a forward
made as a view of its inputs keeps their buffers alive as long as it lives. What the
function returns never lives in a buffer: outputs, and whatever an output may be a view
of, are fresh arrays of each call.

Buffers are made per call; when they total at most ``POOL_BYTES``, a set is kept between
calls instead (a list: a set in use is popped off it, so that calls on several threads
or re-entrant calls each get their own). A graph whose buffers exceed it allocates them
at first use and drops each after its last (``del``), so that the peak is what is live.

The first call for a signature runs the interpreter on the optimized graph (``Probe``),
whose values give every node's type, shape, dtype, layout, and whether its forward
returned a view of an input; it returns those results, and lowers. Later
calls run the generated function. Should that raise, the interpreter runs the call again
to raise its own error (which names the node); a generated function that fails where the
interpreter does not is a bug of the lowering, and its error is raised.

NumPy's floating-point warnings are silenced for generated code as for the table's
forwards (``MODULE``): inf and nan are values.

Recomputation (``passes.remat``): for a graph whose backward part reads many cheap
elementwise values of the forward, the lowering also tries the graph with those values
recomputed near their late uses, and keeps it when its estimated peak is lower by a
quarter and by at least 1 MiB (``remat=None``; ``True`` or ``False`` forces the choice).

>>> import numpy as np
>>> from chainrule import sym
>>> x = sym.var("x", (3,))
>>> f = sym.function([x], (x * 2).exp() + 1)
>>> f(np.ones(3, np.float32))  # the first call: interpreted, and lowered
tensor([8.3891, 8.3891, 8.3891])
>>> print(f.source)  # doctest: +NORMALIZE_WHITESPACE
def lowered(x):
    # sym.function (x: float32[3]): 3 nodes, 3 backend calls with out=, 0 table forwards;
    # 1 buffer (12 bytes), kept between calls
    _bufs = _pool.pop() if _pool else _new_buffers()
    b0, = _bufs
    _multiply(x, _k0, b0)  # mul float32[3]
    _exp(b0, b0)  # exp float32[3]
    v3 = _add(b0, _k1)  # add float32[3] (returned: a fresh array)
    _pool.append(_bufs)
    return v3
"""

from __future__ import annotations

import keyword
import re
import warnings
from typing import Any

import numpy

from .. import backend as _backend
from ..ops.primitive import REGISTRY
from ..ops.reduction import SUM, sum_dtype
from ..ops.symbolic import SymArray, param_syms, walk
from .printing import type_text

__all__ = [
    "OUT_CALLS",
    "KERNELS",
    "VIEW_METHODS",
    "FULL_OPERAND_BYTES",
    "POOL_BYTES",
    "Lowered",
    "Probe",
    "lower",
    "out_call_prims",
    "call_out",
    "operand",
]

POOL_BYTES = 64 * 2**20  # buffers kept between calls when they total at most this
FULL_OPERAND_BYTES = 4 * 2**20  # a maximum's number as a constant array up to this size

# The generated functions' module name. inf and nan are values, as in the table's forwards
# (ops/__init__.py filters their NumPy warnings the same way): the calls a generated
# function makes itself warn as little as the forwards they stand for.
MODULE = "chainrule.sym.lowered"
warnings.filterwarnings("ignore", category=RuntimeWarning, module=re.escape(MODULE) + "$")

_NUMBERS = (int, float, bool)

# primitive name -> (NumPy function, its positional arguments before out): an int is the
# forward's input of that index, ("k", v) the number v, ("p", name) the forward's keyword
# parameter. Each entry is the call its forward makes (ops/elementwise.py, ops/linalg.py):
# add is ``x + y``, relu ``xp.maximum(x, 0)``, reciprocal ``1 / x``, scale ``x * alpha``.
_BINARY = (0, 1)
_UNARY = (0,)
OUT_CALLS: dict[str, tuple[str, tuple]] = {
    "add": ("add", _BINARY),
    "sub": ("subtract", _BINARY),
    "mul": ("multiply", _BINARY),
    "div": ("divide", _BINARY),
    "scale": ("multiply", (0, ("p", "alpha"))),
    "reciprocal": ("divide", (("k", 1), 0)),
    "neg": ("negative", _UNARY),
    "abs": ("absolute", _UNARY),
    "relu": ("maximum", (0, ("k", 0))),
    "maximum": ("maximum", _BINARY),
    "minimum": ("minimum", _BINARY),
    "exp": ("exp", _UNARY),
    "expm1": ("expm1", _UNARY),
    "log": ("log", _UNARY),
    "log2": ("log2", _UNARY),
    # (not log10: its float32 forward goes through float64, ops/elementwise.py)
    "log1p": ("log1p", _UNARY),
    "sqrt": ("sqrt", _UNARY),
    "sin": ("sin", _UNARY),
    "cos": ("cos", _UNARY),
    "tan": ("tan", _UNARY),
    "tanh": ("tanh", _UNARY),
    "sinh": ("sinh", _UNARY),
    "cosh": ("cosh", _UNARY),
    "asin": ("arcsin", _UNARY),
    "acos": ("arccos", _UNARY),
    "atan": ("arctan", _UNARY),
    "asinh": ("arcsinh", _UNARY),
    "acosh": ("arccosh", _UNARY),
    "atanh": ("arctanh", _UNARY),
    "atan2": ("arctan2", _BINARY),
    "eq": ("equal", _BINARY),
    "ne": ("not_equal", _BINARY),
    "lt": ("less", _BINARY),
    "le": ("less_equal", _BINARY),
    "gt": ("greater", _BINARY),
    "ge": ("greater_equal", _BINARY),
    "logical_and": ("logical_and", _BINARY),
    "logical_or": ("logical_or", _BINARY),
    "logical_xor": ("logical_xor", _BINARY),
    "logical_not": ("logical_not", _UNARY),
    "bitwise_not": ("invert", _UNARY),
    "bitwise_and": ("bitwise_and", _BINARY),
    "bitwise_or": ("bitwise_or", _BINARY),
    "bitwise_xor": ("bitwise_xor", _BINARY),
    "isnan": ("isnan", _UNARY),
    "isinf": ("isinf", _UNARY),
    "isfinite": ("isfinite", _UNARY),
    "mm": ("matmul", _BINARY),
    "threshold_backward": ("threshold_backward", _BINARY),
}
# the calls above that are not NumPy ufuncs: backend kernels the forward calls, which take
# out= as a ufunc does (optional: a new array without; the lowering calls them on NumPy
# arrays only)
KERNELS = {
    "threshold_backward": lambda g, r, out=None: _backend.threshold_backward(numpy, g, r, out),
}
# rows that only rename another (ops.primitive.alias: the same forward) share its call
for _name, _p in list(REGISTRY.items()):
    if _name not in OUT_CALLS:
        for _known, _call in list(OUT_CALLS.items()):
            if _known in REGISTRY and REGISTRY[_known].fwd is _p.fwd:
                OUT_CALLS[_name] = _call
                break
# not elementwise: the output buffer may not be one of the inputs' (matmul)
_NOT_IN_PLACE = {"matmul"}
# NumPy deprecates their out as a third positional argument: given as out=
_OUT_KEYWORD = {"maximum", "minimum"}
# Arithmetic whose loop runs in the result's dtype: a number operand is bound as a 0-d
# array of that dtype, which NumPy's ufunc call takes several times faster than a Python
# number, with the same values (NEP 50: a Python number meeting a float array is
# converted to the array's dtype, the result's dtype, before the loop runs).
_ARITHMETIC = {"add", "subtract", "multiply", "divide", "maximum", "minimum", "arctan2"}
# NumPy's vectorized (SIMD) loops of these take two contiguous arrays: with a scalar
# operand the loop runs element by element, three times slower (maximum(x, 0) on 32768
# float32: 12.5 us, against 3.9 us with an array of zeros). Their results are one of the
# operands, so every loop gives the same bits (NaN payloads and the sign of zero too: a
# test compares them on every bit pattern's class).
_FULL_OPERAND = {"maximum", "minimum"}


# views whose forward, on a NumPy array, is the array's own method: a line calls that
# method (the forward's xp.transpose(x, dims) is x.transpose(dims) behind a Python
# wrapper that costs more than making the view). A test checks each against its forward.
VIEW_METHODS: dict[str, tuple[str, str]] = {"permute": ("transpose", "dims")}


def _function(fname: str):
    """The callable a generated line names ``_<fname>``: a backend kernel or NumPy's ufunc."""
    return KERNELS.get(fname) or getattr(numpy, fname)


def _pick(inputs, params, t):
    if type(t) is int:
        return inputs[t]
    return t[1] if t[0] == "k" else params[t[1]]


def operand(v, fname: str, out_dtype, shape=None):
    """An operand as a generated ``out=`` call passes it: a number in arithmetic with a
    float or complex result as a 0-d array of the result's dtype (``_ARITHMETIC``); a
    number (not NaN) in a float maximum or minimum of result ``shape`` as a read-only
    array of that shape, up to ``FULL_OPERAND_BYTES`` (``_FULL_OPERAND``); anything else
    as it is.

    >>> import numpy as np
    >>> operand(1.5, "multiply", np.float32), operand(1.5, "less", np.bool_)
    (array(1.5, dtype=float32), 1.5)
    >>> operand(0, "maximum", np.float32, (2, 2))
    array([[0., 0.],
           [0., 0.]], dtype=float32)
    """
    if type(v) in _NUMBERS and fname in _ARITHMETIC and numpy.dtype(out_dtype).kind in "fc":
        dt = numpy.dtype(out_dtype)
        if (
            fname in _FULL_OPERAND
            and shape
            and dt.kind == "f"
            and v == v
            and dt.itemsize * _size(shape) <= FULL_OPERAND_BYTES
        ):
            a = numpy.full(shape, v, dt)
            a.flags.writeable = False
            return a
        return numpy.asarray(v, out_dtype)
    return v


def _size(shape) -> int:
    n = 1
    for s in shape:
        n *= s
    return n


def call_out(name: str, inputs: list, params: dict, out):
    """``OUT_CALLS[name]`` on ``inputs`` (arrays and numbers) and ``params``, written into
    ``out``: what a generated line does (its test checks it against the forward).

    >>> import numpy as np
    >>> from chainrule.sym.lower import call_out
    >>> call_out("relu", [np.array([-1.0, 2.0])], {}, np.empty(2))
    array([0., 2.])
    """
    fname, template = OUT_CALLS[name]
    args = [operand(_pick(inputs, params, t), fname, out.dtype, out.shape) for t in template]
    return _function(fname)(*args, out=out)


def out_call_prims() -> list[str]:
    """The primitives whose forward the lowering may replace by a NumPy call with
    ``out=`` (``OUT_CALLS``).

    >>> from chainrule.sym.lower import out_call_prims
    >>> "tanh" in out_call_prims()
    True
    """
    return sorted(OUT_CALLS)


class Lowered:
    """One signature's generated function: ``fn`` (the compiled callable), ``source``
    (its text), and what the lowering found: ``n_out_calls`` (lines calling a NumPy
    function with ``out=`` or a fresh result), ``n_forwards`` (lines calling a table
    forward), ``n_buffers`` and ``buffer_bytes``, ``pooled`` (buffers kept between
    calls), ``peak_estimate`` (bytes of intermediates live at once, by the schedule) and
    ``remat`` (the recomputing graph was chosen).

    >>> import numpy as np
    >>> from chainrule import sym
    >>> x = sym.var("x", (4,))
    >>> f = sym.function([x], (x.exp() * 2).sin())
    >>> _ = f(np.ones(4, np.float32))
    >>> f.lowerings[next(iter(f.lowerings))]
    <lowered: 4 nodes, 3 out= calls, 0 table forwards, 1 buffers (16 bytes, pooled)>
    """

    __slots__ = (
        "fn",
        "source",
        "n_out_calls",
        "n_forwards",
        "n_buffers",
        "buffer_bytes",
        "pooled",
        "peak_estimate",
        "remat",
        "pool",
        "nodes",
    )

    def __repr__(self) -> str:
        return (
            f"<lowered: {self.nodes} nodes, {self.n_out_calls} out= calls, "
            f"{self.n_forwards} table forwards, {self.n_buffers} buffers "
            f"({self.buffer_bytes} bytes{', pooled' if self.pooled else ''})"
            f"{', recomputing' if self.remat else ''}>"
        )


# ------------------------------------------------------------------ metadata
class _Meta:
    """What the probe run saw of a node's value."""

    __slots__ = ("shape", "dtype", "nbytes", "ndarray", "number", "view", "xp", "aliases", "c")

    def __init__(self, value, xp, aliases=True) -> None:
        self.aliases = aliases
        self.ndarray = type(value) is numpy.ndarray
        self.number = type(value) in _NUMBERS
        self.shape = getattr(value, "shape", None)
        self.dtype = getattr(value, "dtype", None)
        self.nbytes = int(getattr(value, "nbytes", 0) or 0)
        self.view = self.ndarray and value.base is not None
        self.c = self.ndarray and value.flags.c_contiguous  # a C-ordered buffer fits it
        self.xp = xp


def _node_xp(n, vals):
    """The namespace the interpreter gives node ``n``'s forward (its first array input's)."""
    for x in n.inputs:
        v = vals[id(x)] if type(x) is SymArray else x
        if type(v) not in _NUMBERS:
            return _backend.namespace(v)
    return _backend.default


def _aliases(n, v, vals) -> bool:
    """Whether node ``n``'s value ``v`` may share memory with one of its inputs' (a
    view, or an input handed back): what the probe's forward did. Anything but an
    ndarray, a NumPy scalar or a number counts as aliasing (conservative)."""
    if type(v) in _NUMBERS or isinstance(v, numpy.generic):
        return False
    if type(v) is not numpy.ndarray:
        return True
    for x in list(n.inputs) + param_syms(n.params):
        if type(x) is SymArray:
            u = vals[id(x)]
            if type(u) is numpy.ndarray:
                if numpy.may_share_memory(v, u):
                    return True
            elif not isinstance(u, numpy.generic) and type(u) not in _NUMBERS:
                return True
    return False


class Probe:
    """``observe`` for ``evaluate.run``: collects each node's ``_Meta`` (what the
    interpreter's value was: type, shape, dtype, layout, a view of an input or not).

    >>> import numpy as np
    >>> from chainrule import sym
    >>> from chainrule.ops.symbolic import walk
    >>> from chainrule.sym.evaluate import run
    >>> x = sym.var("x", (2, 3)); y = x.T.exp()
    >>> order = walk([y.node]); env = {id(x.node): np.ones((2, 3), np.float32)}
    >>> probe = Probe(order, env); _ = run(order, env, [y.node], probe)
    >>> [(probe.meta[id(n)].aliases, probe.meta[id(n)].c) for n in order[1:]]
    [(True, False), (False, False)]
    """

    def __init__(self, order, env) -> None:
        self.meta: dict = {}
        for n in order:
            if n.prim is None:
                v = n.value if n.value is not None else env.get(id(n))
                self.meta[id(n)] = _Meta(v, None, False)

    def __call__(self, n, value, vals) -> None:
        self.meta[id(n)] = _Meta(value, _node_xp(n, vals), _aliases(n, value, vals))


# ------------------------------------------------------------------ code generation
_RESERVED = re.compile(r"^(?:[bv]\d+|in\d+|xp\d*)$")


def _arg_names(inputs) -> list[str]:
    names, seen = [], set()
    for k, v in enumerate(inputs):
        nm = v.name
        if (
            not nm
            or not nm.isidentifier()
            or keyword.iskeyword(nm)
            or nm.startswith("_")
            or _RESERVED.match(nm)
            or nm in seen
            or nm == "lowered"
        ):
            nm = f"in{k}"
        seen.add(nm)
        names.append(nm)
    return names


class _Gen:
    """Writes the function for one schedule (``order``) and its values' metadata."""

    def __init__(self, inputs, outputs, order, meta) -> None:
        self.inputs, self.outputs, self.order, self.meta = inputs, outputs, order, meta
        self.glob: dict[str, Any] = {}
        self._gname: dict = {}  # (kind, key) -> global name
        self.name: dict = {}
        self.buffer_of: dict = {}  # id(node) -> the buffer its value is written to

    # -- globals
    def bind(self, prefix: str, value, key=None) -> str:
        k = (prefix, id(value) if key is None else key)
        nm = self._gname.get(k)
        if nm is None:
            nm = f"_{prefix}{len([1 for q in self._gname if q[0] == prefix])}"
            self._gname[k] = nm
            self.glob[nm] = value
        return nm

    def number(self, v) -> str:
        return self.bind("k", v, key=(type(v).__name__, repr(v)))

    def ufunc(self, fname: str) -> str:
        nm = "_" + fname
        self.glob[nm] = _function(fname)
        return nm

    def forward(self, prim) -> str:
        nm = self._gname.get(("f", id(prim.fwd)))
        if nm is None:
            base = "_fwd_" + re.sub(r"\W", "_", prim.name)
            nm, i = base, 1
            while nm in self.glob:
                nm, i = f"{base}_{i}", i + 1
            self._gname[("f", id(prim.fwd))] = nm
            self.glob[nm] = prim.fwd
        return nm

    def xp_name(self, xp) -> str:
        nm = self._gname.get(("xp", id(xp)))
        if nm is None:
            n = len([1 for q in self._gname if q[0] == "xp"])
            nm = "xp" if n == 0 else f"xp{n}"
            self._gname[("xp", id(xp))] = nm
            self.glob[nm] = xp
        return nm

    def operand(self, x) -> str:
        if type(x) is SymArray:
            return self.name[id(x)]
        if type(x) in _NUMBERS:
            return self.number(x)
        return self.bind("c", x)

    def param(self, v) -> str:
        if type(v) is SymArray:
            return self.name[id(v)]
        if type(v) in (tuple, list) and any(type(x) is SymArray for x in v):
            inner = ", ".join(self.param(x) for x in v)
            return f"({inner},)" if type(v) is tuple else f"[{inner}]"
        if type(v) in _NUMBERS:
            return self.number(v)
        return self.bind("p", v)

    # -- the walk
    def generate(self, label: str) -> Lowered:
        order, meta = self.order, self.meta
        n_nodes = len(order)
        args = _arg_names(self.inputs)
        for v, a in zip(self.inputs, args, strict=True):
            self.name[id(v)] = a
        last: dict = {}  # id -> index of the last node reading it
        for i, n in enumerate(order):
            for x in n.inputs:
                if type(x) is SymArray:
                    last[id(x)] = i
            for x in param_syms(n.params):
                last[id(x)] = i
        for o in self.outputs:
            last[id(o)] = n_nodes
        # what an output may be (a view of): fresh arrays, never buffers
        escape: set = set()
        stack = list(self.outputs)
        while stack:
            n = stack.pop()
            if id(n) in escape:
                continue
            escape.add(id(n))
            if n.prim is not None and not self._out_call(n) and self.meta[id(n)].aliases:
                stack.extend(x for x in n.inputs if type(x) is SymArray)
                stack.extend(param_syms(n.params))
        refs: dict = {}  # id(value) -> buffers it may reference
        count: dict = {}  # buffer -> live values referencing it
        free: dict = {}  # (shape, dtype) -> free buffers
        buffers: list = []  # buffer -> (shape, dtype)
        events: list = []  # (line, bytes): +alloc / -free, for the peak estimate
        buf_first: dict = {}
        buf_last: dict = {}  # buffer -> last line naming it
        value_line: dict = {}  # fallback value -> (line of definition, bytes)
        body: list = []
        n_out = n_fwd = 0

        pending: list = []  # values to drop after the current line

        def release(x, line):
            if id(x) in value_line:  # a table forward's result: drop it after this line
                pending.append(x)
            for b in refs.pop(id(x), ()):
                count[b] -= 1
                if count[b] == 0:
                    free.setdefault(buffers[b], []).append(b)

        def dying(n, i):
            seen, out = set(), []
            for x in list(n.inputs) + param_syms(n.params):
                if type(x) is SymArray and id(x) not in seen and last.get(id(x)) == i:
                    seen.add(id(x))
                    if x.prim is not None:
                        out.append(x)
            return out

        for i, n in enumerate(order):
            if n.prim is None:
                if n.kind == "const":
                    self.name[id(n)] = self.bind("c", n.value)
                continue
            m = meta[id(n)]
            named = [
                self.buffer_of[id(x)]
                for x in list(n.inputs) + param_syms(n.params)
                if type(x) is SymArray and id(x) in self.buffer_of
            ]
            comment = f"  # {n.prim.name} {type_text(n)}"
            call = self._out_call(n)
            die = dying(n, i)
            if call is not None:
                fname, template = call
                operands = [self._template_operand(n, t, fname, m.dtype) for t in template]
                fn = self.ufunc(fname)
                if id(n) in escape or not m.c:  # a fresh array: returned (or a view of it
                    # is), or laid out otherwise than a buffer (the forward's own call)
                    nm = f"v{i}"
                    body.append(
                        f"{nm} = {fn}({', '.join(operands)}){comment}"
                        + " (returned: a fresh array)" * (n in self.outputs)
                    )
                    self.name[id(n)] = nm
                    value_line[id(n)] = (len(body) - 1, m.nbytes)
                    for x in die:
                        release(x, i)
                else:
                    if fname not in _NOT_IN_PLACE:
                        for x in die:
                            release(x, i)
                    key = (m.shape, m.dtype.str)
                    pool = free.get(key)
                    if pool:
                        b = pool.pop()
                    else:
                        b = len(buffers)
                        buffers.append(key)
                        count[b] = 0
                    nm = f"b{b}"
                    self.buffer_of[id(n)] = b
                    o = f"out={nm}" if fname in _OUT_KEYWORD else nm
                    body.append(f"{fn}({', '.join(operands)}, {o}){comment}")
                    buf_first.setdefault(b, len(body) - 1)
                    self.name[id(n)] = nm
                    refs[id(n)] = (b,)
                    count[b] += 1
                    if fname in _NOT_IN_PLACE:
                        for x in die:
                            release(x, i)
                n_out += 1
            else:
                meth = self._view_method(n)
                reduce = self._sum_call(n)
                if meth is not None:
                    arg = self.param(n.params[meth[1]])
                    expr = f"{self.operand(n.inputs[0])}.{meth[0]}({arg})"
                elif reduce is not None:
                    expr = reduce
                else:
                    xp = self.xp_name(m.xp)
                    ops = [self.operand(x) for x in n.inputs]
                    kws = [f"{k}={self.param(v)}" for k, v in (n.params or {}).items()]
                    expr = f"{self.forward(n.prim)}({', '.join([xp, *ops, *kws])})"
                if m.number:
                    expr = f"{self.bind('as_array', _backend.as_array, key='as_array')}({expr})"
                nm = f"v{i}"
                body.append(f"{nm} = {expr}{comment}")
                self.name[id(n)] = nm
                value_line[id(n)] = (len(body) - 1, 0 if m.view else m.nbytes)
                bs = set()
                for x in list(n.inputs) + param_syms(n.params) if m.aliases else ():
                    if type(x) is SymArray:
                        bs.update(refs.get(id(x), ()))
                refs[id(n)] = tuple(bs)
                for b in bs:
                    count[b] += 1
                for x in die:
                    release(x, i)
                n_fwd += 1
            for x in pending:
                body.append(f"del {self.name[id(x)]}")
                ln, nb = value_line.pop(id(x))
                events.append((ln, nb))
                events.append((len(body), -nb))
            pending.clear()
            for b in refs.get(id(n), ()):
                buf_last[b] = len(body) - 1
            for b in named:  # the buffers this line names
                buf_last[b] = len(body) - 1
            if last.get(id(n)) is None:  # a node nothing reads (cannot happen in a walk)
                release(n, i)
        for ln, nb in value_line.values():  # live to the end (outputs)
            events.append((ln, nb))
        total = sum(numpy.dtype(d).itemsize * int(numpy.prod(s)) for s, d in buffers)
        pooled = total <= POOL_BYTES
        nbuf = len(buffers)
        sizes = [numpy.dtype(d).itemsize * int(numpy.prod(s)) for s, d in buffers]
        if pooled:
            events.append((0, total))
        else:  # allocated at first write, dropped after the last line naming them
            inserts: dict = {}
            for b in range(nbuf):
                events.append((buf_first[b], sizes[b]))
                events.append((buf_last[b] + 1, -sizes[b]))
                inserts.setdefault(buf_first[b], []).append(("before", b))
                inserts.setdefault(buf_last[b], []).append(("after", b))
            new_body = []
            for ln, text in enumerate(body):
                for kind, b in inserts.get(ln, ()):
                    if kind == "before":
                        s, d = buffers[b]
                        e = self.bind("empty", numpy.empty, key="empty")
                        new_body.append(
                            f"b{b} = {e}({self.bind('s', s, key=('s', s))}, "
                            f"{self.bind('d', numpy.dtype(d), key=('d', d))})"
                        )
                new_body.append(text)
                for kind, b in inserts.get(ln, ()):
                    if kind == "after":
                        new_body.append(f"del b{b}")
            body = new_body
        peak = _peak(events)
        # the function's text
        outs = [
            self.operand(o) if o.prim is not None or o.kind != "var" else self.name[id(o)]
            for o in self.outputs
        ]
        head = [
            f"def lowered({', '.join(args)}):",
            f"    # sym.function ({label}): {n_out + n_fwd} nodes, {n_out} backend calls with "
            f"out=, {n_fwd} table forwards;",
            f"    # {nbuf} buffer{'s' * (nbuf != 1)} ({total} bytes)"
            + (", kept between calls" if pooled and nbuf else "")
            + ("" if pooled or not nbuf else ", made per call"),
        ]
        pool: list = []
        if pooled and nbuf:
            shapes = [(s, numpy.dtype(d)) for s, d in buffers]

            def new_buffers(shapes=shapes):
                return [numpy.empty(s, d) for s, d in shapes]

            self.glob["_pool"] = pool
            self.glob["_new_buffers"] = new_buffers
            head.append("    _bufs = _pool.pop() if _pool else _new_buffers()")
            head.append(f"    {', '.join(f'b{b}' for b in range(nbuf))}, = _bufs")
        tail = ["_pool.append(_bufs)"] if pooled and nbuf else []
        ret = outs[0] if len(outs) == 1 else ", ".join(outs)
        tail.append(f"return {ret}" if len(outs) == 1 else f"return ({ret},)")
        source = "\n".join(head + ["    " + ln for ln in body + tail]) + "\n"
        code = compile(source, f"<chainrule.sym lowered {label}>", "exec")
        ns = dict(self.glob)
        ns["__name__"] = MODULE
        exec(code, ns)  # noqa: S102 - our own generated text, shown as f.source
        low = Lowered()
        low.fn = ns["lowered"]
        low.source = source
        low.n_out_calls, low.n_forwards = n_out, n_fwd
        low.n_buffers, low.buffer_bytes, low.pooled = nbuf, total, pooled
        low.peak_estimate = peak
        low.remat = False
        low.pool = pool
        low.nodes = n_nodes
        return low

    def _out_call(self, n):
        """The entry of OUT_CALLS for node ``n`` if its call may replace the forward here:
        NumPy arrays in, an n-d NumPy array out (a 0-d result is NumPy's scalar: the
        forward runs, so the types stay the interpreter's)."""
        call = OUT_CALLS.get(n.prim.name)
        if call is None:
            return None
        m = self.meta[id(n)]
        if m.xp is not _backend.numpy or not m.ndarray or not m.shape:
            return None
        for x in n.inputs:
            if type(x) is SymArray:
                mx = self.meta.get(id(x))
                if mx is None or not (mx.ndarray or mx.number or mx.dtype is not None):
                    return None
            elif type(x) not in _NUMBERS and type(x) is not numpy.ndarray:
                return None
        for t in call[1]:
            if type(t) is tuple and t[0] == "p":
                v = (n.params or {}).get(t[1])
                if type(v) not in _NUMBERS:
                    return None
        if n.params and any(k != "alpha" for k in n.params):
            return None
        if len(n.inputs) < sum(1 for t in call[1] if type(t) is int):
            return None
        return call

    def _view_method(self, n):
        """The entry of VIEW_METHODS for node ``n`` if its method may stand for the forward
        here: a NumPy array in and out, the method's one parameter the node's only one."""
        meth = VIEW_METHODS.get(n.prim.name)
        if meth is None or self.meta[id(n)].xp is not _backend.numpy:
            return None
        if len(n.inputs) != 1 or type(n.inputs[0]) is not SymArray:
            return None
        mx = self.meta.get(id(n.inputs[0]))
        if mx is None or not mx.ndarray or not self.meta[id(n)].ndarray:
            return None
        if not n.params or set(n.params) != {meth[1]}:
            return None
        return meth

    def _sum_call(self, n):
        """The text of the reduce that node ``n``'s forward makes, if ``n`` is a sum (or
        an alias) of a C-ordered NumPy float array whose value was C-ordered or a NumPy
        scalar: ``numpy.add.reduce(x, dim, acc, None, keepdim)``, cast back to x's
        dtype where ``acc`` (``sum_dtype``, asked of a stand-in of x's dtype, number of
        dims and C order) is another dtype; else None (the forward runs)."""
        if n.prim.fwd is not SUM.fwd or len(n.inputs) != 1 or type(n.inputs[0]) is not SymArray:
            return None
        m, mx = self.meta[id(n)], self.meta.get(id(n.inputs[0]))
        if m.xp is not _backend.numpy or mx is None or not mx.ndarray or not mx.c:
            return None
        if mx.dtype.kind not in "fc" or set(n.params or ()) != {"dim", "keepdim"}:
            return None
        if not (m.c if m.ndarray else isinstance(m.dtype, numpy.dtype) and not m.number):
            return None
        dim, keepdim = n.params["dim"], n.params["keepdim"]
        # sum_dtype reads x's dtype, its number of dims and its C order only: a stand-in
        acc = sum_dtype(numpy, numpy.empty((1,) * len(mx.shape), mx.dtype), dim)
        add = self.bind("add_reduce", numpy.add.reduce, key="add_reduce")
        text = (
            f"{add}({self.operand(n.inputs[0])}, {self.param(dim)}, "
            f"{self._dtype_name(acc) if acc else None}, "
            f"None, {self.param(keepdim)})"
        )
        if acc is not None:
            text += f".astype({self._dtype_name(mx.dtype)})"
        return text

    def _dtype_name(self, dt) -> str:
        dt = numpy.dtype(dt)
        return self.bind("d", dt, key=("d", dt.str))

    def _template_operand(self, n, t, fname, out_dtype) -> str:
        v = _pick(n.inputs, n.params, t)
        if type(v) in _NUMBERS:
            a = operand(v, fname, out_dtype, self.meta[id(n)].shape)
            if a is not v:  # bound once, as the array
                key = (a.dtype.str, a.shape, type(v).__name__, repr(v))
                return self.bind("k", a, key=key)
            return self.number(v)
        return self.operand(v)


def _peak(events) -> int:
    live = peak = 0
    for _, d in sorted(events, key=lambda e: (e[0], e[1] > 0)):
        live += d
        peak = max(peak, live)
    return peak


def lower(inputs, outputs, meta, label: str) -> Lowered:
    """The generated function of the graph from ``inputs`` (variable nodes) to
    ``outputs`` (nodes), with ``meta`` (id -> what the probe run saw) for each node of
    ``walk(outputs)`` (see the module docstring).

    >>> import numpy as np
    >>> from chainrule import sym
    >>> from chainrule.ops.symbolic import walk
    >>> from chainrule.sym.evaluate import run
    >>> x = sym.var("x", (3,)); y = (x * x).node
    >>> env = {id(x.node): np.arange(3, dtype=np.float32)}
    >>> probe = Probe(walk([y]), env); _ = run(walk([y]), env, [y], probe)
    >>> low = lower([x.node], [y], probe.meta, "x: float32[3]")
    >>> low.fn(np.arange(3, dtype=np.float32))
    array([0., 1., 4.], dtype=float32)
    """
    order = schedule(walk(outputs), meta)
    return _Gen(inputs, outputs, order, meta).generate(label)


def schedule(order, meta) -> list:
    """``order`` (a topological order of nodes) with each node that shrinks its input (its
    value has fewer bytes than its largest array input; not a view) moved up to right
    after the last of its inputs in the new order; the others keep their order.

    >>> import numpy as np
    >>> from chainrule import sym
    >>> from chainrule.ops.symbolic import walk
    >>> from chainrule.sym.evaluate import run
    >>> x = sym.var("x", (4, 3)); e = x.exp(); y = [(e @ e.T).sum(), e.sum(0)]
    >>> order = walk([v.node for v in y]); env = {id(x.node): np.ones((4, 3), np.float32)}
    >>> probe = Probe(order, env); _ = run(order, env, [v.node for v in y], probe)
    >>> [n.prim.name for n in schedule(order, probe.meta) if n.prim is not None]
    ['exp', 'sum_dim', 'permute', 'mm', 'sum']
    """
    key: dict = {}  # id -> its place in the new order, compared as tuples
    after: dict = {}  # id -> how many nodes were moved up behind it so far
    for rank, n in enumerate(order):
        key[id(n)] = (rank,)
        if n.prim is None:
            continue
        m = meta.get(id(n))
        ins = [x for x in list(n.inputs) + param_syms(n.params) if type(x) is SymArray]
        if m is None or not ins or m.aliases or m.view:
            continue
        biggest = max(getattr(meta.get(id(x)), "nbytes", 0) for x in ins)
        if m.nbytes < biggest:
            last = max(ins, key=lambda x: key[id(x)])
            k = after.get(id(last), 0)
            after[id(last)] = k + 1
            key[id(n)] = key[id(last)] + (k,)
    return sorted(order, key=lambda n: key[id(n)])
