"""Symbol: a tensor of an explicit graph, and the placeholders it starts from.

A ``Symbol`` is a ``chainrule.Tensor`` whose data is a ``SymArray`` (ops/symbolic.py): a
graph node with a shape and a dtype but no values. Every operator, method and function of
chainrule takes it where it takes a tensor; the recorder then builds a node of the graph
instead of computing (the same table, the same argument checks and dtype promotion).

>>> from chainrule import sym
>>> a = sym.var("a"); b = sym.var("b")
>>> c = 2 * a + b
>>> print(c)
2 * a + b
>>> c.eval(a=1.0, b=3.0)
tensor(5.)
"""

from __future__ import annotations

from typing import Any

from .. import dtypes as _dt
from ..creation import as_tensor
from ..ops import symbolic as _symbolic
from ..ops.apply import symbolic_current
from ..ops.symbolic import SymArray, Versions, constant, variable
from ..tensor import Tensor
from ..tensor_base import TensorBase
from . import printing
from .evaluate import evaluate_named

__all__ = ["Symbol", "var", "const", "wrap"]

_alloc = object.__new__
_DATA = TensorBase.__dict__["_data"]


class Symbol(Tensor):
    """A symbolic tensor: a node of an explicit graph (``chainrule.sym``).

    ``str(c)`` reads as an expression; ``c.listing()`` lists its nodes; ``c.eval(a=...)``
    binds the variables and computes it; ``chainrule.sym.grad(c, [a])`` differentiates it.
    ``shape`` holds None where a size is known only at bind time, and is None itself when
    not even the rank is known.

    >>> from chainrule import sym
    >>> x = sym.var("x", (None, 3))
    >>> (x * x).sum(1).shape
    (None,)
    """

    # _dver: the version of the storage its node was read at; _chain: how a view was taken
    # from its storage's root (None: not a view). See ops.apply, in-place ops on symbols.
    # _ngv: a view taken in no_grad mode of a value that requires grad (ops.apply's
    # _symbolic_view): eager's requires grad as its base does
    __slots__ = ("_dver", "_chain", "_ngv")

    def _init(self, arr) -> Symbol:
        _DATA.__set__(self, arr)
        self._node = None
        self._vc = Versions(arr)
        self._base = None
        self._rg = False
        self._dver = 0
        self._chain = None
        self._ngv = False
        return self

    @property
    def _data(self):
        # the node it names now: after an in-place op wrote its storage through another
        # tensor (a view, an alias), read afresh from the storage's new value
        if self._dver != self._vc[0]:
            return symbolic_current(self)
        return _DATA.__get__(self, Symbol)

    @_data.setter
    def _data(self, arr) -> None:  # x.data = y: x names y's value, a storage of its own
        _DATA.__set__(self, arr)
        self._vc = Versions(arr)
        self._dver = 0
        self._chain = None

    @staticmethod
    def _new(arr) -> Tensor:
        # results of symbolic inputs are Symbols; anything else a plain Tensor (as every
        # tensor class's _new must: chainrule.tensor_base.new asks any of them)
        if type(arr) is SymArray:
            return _alloc(Symbol)._init(arr)
        return Tensor._new(arr)

    # ------------------------------------------------------------ attributes
    @property
    def shape(self):  # type: ignore[override]
        s = self._data.shape
        return None if s is None else tuple(s)

    @property
    def name(self) -> str | None:
        """A variable's name (None for other nodes)."""
        return self._data.name

    @property
    def node(self) -> SymArray:
        """The graph node this symbol stands for."""
        return self._data

    def numel(self) -> int:
        n = self._data.size
        if n is None:
            raise TypeError(f"the shape of {self} is not known before it is bound")
        return n

    def __len__(self) -> int:
        s = self._data.shape
        if not s or s[0] is None:
            raise TypeError(f"len() of a symbolic value of shape {s}")
        return s[0]

    def __bool__(self) -> bool:
        return bool(self._data)  # refused: control flow on data is no part of the graph

    # ------------------------------------------------------------- printing
    def __repr__(self, *, tensor_contents=None) -> str:
        return f"Symbol({printing.expression(self._data)}, {printing.type_text(self._data)})"

    def __str__(self) -> str:
        return printing.expression(self._data)

    def __format__(self, spec: str) -> str:
        return format(str(self), spec)

    def listing(self) -> str:
        """The graph as a numbered listing, one line per node: its op, inputs, dtype and
        shape (variables and constants first, each node after its inputs).

        >>> from chainrule import sym
        >>> a = sym.var("a", (3,)); b = sym.var("b", (3,))
        >>> print((2 * a + b).listing())
        %0 = var a               float32[3]
        %1 = mul(2, %0)          float32[3]
        %2 = var b               float32[3]
        %3 = add(%1, %2)         float32[3]
        """
        return printing.listing([self._data])

    # ------------------------------------------------------------- binding
    def eval(self, bindings: dict | None = None, /, **values: Any) -> Tensor:
        """The value of this graph with its variables bound by name (``a=...``) or by
        symbol (a dict ``{a: ...}``): Tensors, arrays, numbers or nested lists.

        >>> from chainrule import sym
        >>> a = sym.var("a", (2,))
        >>> (a * a).eval(a=[1.0, 2.0])
        tensor([1., 4.])
        """
        return evaluate_named([self._data], bindings, values)[0]


def wrap(node: SymArray) -> Symbol:
    """The Symbol of a graph node."""
    return _alloc(Symbol)._init(node)


_symbolic.SYMBOL = Symbol  # results of ops on symbolic inputs are Symbols (ops.apply)


def var(name: str, shape: tuple | None = None, dtype: _dt.dtype | None = None) -> Symbol:
    """A placeholder of an explicit graph: bound to a value only when the graph is
    evaluated. ``shape`` None: any shape; entries None: a size given at bind time.
    ``dtype``: chainrule.float32 by default (the default dtype).

    >>> from chainrule import sym
    >>> import chainrule
    >>> w = sym.var("w", (3,), chainrule.float64)
    >>> w
    Symbol(w, float64[3])
    """
    if not isinstance(name, str) or not name.isidentifier():
        raise ValueError(f"sym.var: the name must be an identifier, got {name!r}")
    if shape is not None:
        if isinstance(shape, int):
            shape = (shape,)
        shape = tuple(shape)
        for s in shape:
            if s is not None and (not isinstance(s, int) or s < 0):
                raise ValueError(
                    f"sym.var {name!r}: shape entries are sizes >= 0 or None, got {shape}"
                )
    d = _dt.get_default_dtype() if dtype is None else dtype
    return wrap(variable(name, shape, d.np))


def const(value) -> Symbol:
    """A constant of an explicit graph (a tensor, an array or a number).

    >>> from chainrule import sym
    >>> print(sym.const(2.0) * sym.var("x"))
    2 * x
    """
    t = value if isinstance(value, Tensor) else as_tensor(value)
    return wrap(constant(t._data))
