"""``sym.function``: a graph made callable, lowered to Python per signature.

``Function`` (evaluate.py) binds values and interprets the graph. This one, the
``sym.function`` users get, runs ``sym.optimize`` on the graph once, and for each
signature of its inputs (array type, shape, dtype and strides of each) lowers the optimized graph
to a straight-line Python function of backend calls with reused buffers (``lower.py``),
compiled and cached. ``f.source`` is the text of the last signature lowered,
``f.source_for(*values)`` that of the values' signature; ``f.lowerings`` holds them all.

The first call of a signature is interpreted (the probe: its values give each node's
shape, dtype and type) and returns the interpreter's results; later calls run the
generated code. ``lower=False`` keeps the interpreter for every call.

>>> import numpy as np
>>> from chainrule import sym
>>> a = sym.var("a", (None,)); b = sym.var("b", (None,))
>>> f = sym.function([a, b], a * b + a)
>>> f(np.ones(2, np.float32), np.ones(2, np.float32))  # interpreted, then lowered
tensor([2., 2.])
>>> f(np.ones(2, np.float32), np.full(2, 3, np.float32))  # the generated code
tensor([4., 4.])
>>> tuple(f(np.ones(5, np.float32), np.ones(5, np.float32)).shape)  # a new shape: lowered
(5,)
>>> len(f.lowerings)
2
"""

from __future__ import annotations

from typing import Any

import numpy

from ..ops.symbolic import walk
from ..tensor import Tensor
from . import evaluate as _evaluate
from .evaluate import bind, run
from .lower import Lowered, Probe, lower
from .passes import optimize, remat_nodes
from .printing import type_text

__all__ = ["Function", "function"]

_MIB = 2**20
_ndarray = numpy.ndarray


class Function(_evaluate.Function):
    """A graph made callable, lowered per signature (see the module docstring).

    ``lower``: False interprets every call. ``remat``: None recomputes cheap elementwise
    values in the backward part where the lowering estimates that it lowers the peak
    memory by a quarter and by at least 1 MiB; True always, False never
    (``sym.passes.remat``).

    >>> import numpy as np
    >>> from chainrule import sym
    >>> x = sym.var("x", (2,))
    >>> f = sym.Function([x], x * 3, lower=False)
    >>> f(np.ones(2, np.float32)), f.lowerings
    (tensor([3., 3.]), {})
    """

    def __init__(
        self, inputs: list, outputs, *, lower: bool = True, remat: bool | None = None
    ) -> None:
        super().__init__(inputs, outputs)
        self.lower = lower
        self.remat = remat
        self.lowerings: dict = {}
        self._last: Lowered | None = None
        self._opt: list | None = None

    # ------------------------------------------------------------------ calling
    def __call__(self, *values: Any):
        if not self.lower or len(values) != len(self.inputs):
            return super().__call__(*values)  # the interpreter (or its error)
        low = None
        arrays = []
        for x in values:  # NumPy arrays (or tensors of them) of a signature seen before
            if type(x) is not _ndarray:  # passed bind's checks then: they hold again
                x = getattr(x, "_data", None) if isinstance(x, Tensor) else None
                if type(x) is not _ndarray:
                    break
            arrays.append(x)
        else:
            low = self.lowerings.get(
                tuple([(_ndarray, a.shape, a.dtype, a.strides) for a in arrays])
            )
        if low is None:
            arrays = [bind(v, x) for v, x in zip(self.inputs, values, strict=True)]
            key = _signature(arrays)
            low = self.lowerings.get(key)
            if low is None:
                outs = self._lower(key, arrays)
                out = [Tensor._new(a) for a in outs]
                return out[0] if self.single else tuple(out)
        try:
            outs = low.fn(*arrays)
        except Exception:
            self._interpret(arrays)  # the interpreter's error, naming the node
            raise  # the interpreter succeeded: a bug of the lowering, shown as it is
        if self.single:
            return Tensor._new(outs)
        if len(self.outputs) == 1:
            return (Tensor._new(outs),)
        return tuple([Tensor._new(a) for a in outs])

    def _optimized(self) -> list:
        if self._opt is None:
            self._opt = list(optimize(self.outputs))
            self._opt = [o._data for o in self._opt]
        return self._opt

    def _interpret(self, arrays, observe=None) -> list:
        nodes = self._optimized()
        env = {id(v): a for v, a in zip(self.inputs, arrays, strict=True)}
        return run(walk(nodes), env, nodes, observe)

    def _lower(self, key, arrays) -> list:
        nodes = self._optimized()
        env = {id(v): a for v, a in zip(self.inputs, arrays, strict=True)}
        probe = Probe(walk(nodes), env)
        outs = self._interpret(arrays, probe)
        meta = probe.meta
        label = ", ".join(
            f"{v.name}: {type_text(_shaped(v, a))}"
            for v, a in zip(self.inputs, arrays, strict=True)
        )
        low = lower(self.inputs, nodes, meta, label)
        # recomputing can only pay where the estimated peak leaves 1 MiB to win
        if self.remat or (self.remat is None and low.peak_estimate >= _MIB):
            rnodes, origin = remat_nodes(nodes)
            if origin:
                rmeta = dict(meta)
                for k, v in origin.items():
                    rmeta[k] = meta[id(v)]
                rlow = lower(self.inputs, rnodes, rmeta, label + "; recomputing")
                rlow.remat = True
                gain = low.peak_estimate - rlow.peak_estimate
                if self.remat or (gain >= _MIB and rlow.peak_estimate <= 0.75 * low.peak_estimate):
                    low = rlow
        self.lowerings[key] = low
        self._last = low
        return outs

    # ------------------------------------------------------------------ looking
    @property
    def source(self) -> str:
        """The generated Python text of the signature lowered last (call ``f`` first).

        >>> import numpy as np
        >>> from chainrule import sym
        >>> x = sym.var("x", (2,)); f = sym.function([x], -x)
        >>> _ = f(np.ones(2, np.float32))
        >>> f.source.splitlines()[0]
        'def lowered(x):'
        """
        if self._last is None:
            raise RuntimeError(
                "sym.function: nothing is lowered yet; call the function (or "
                "f.source_for(*values)) first"
            )
        return self._last.source

    def source_for(self, *values) -> str:
        """The generated Python text for the signature of ``values`` (lowering it, with
        one call, if it is new).

        >>> import numpy as np
        >>> from chainrule import sym
        >>> x = sym.var("x", (2,))
        >>> print(sym.function([x], x.exp()).source_for(np.zeros(2, np.float32)))
        def lowered(x):
            # sym.function (x: float32[2]): 1 nodes, 1 backend calls with out=, 0 table forwards;
            # 0 buffers (0 bytes)
            v1 = _exp(x)  # exp float32[2] (returned: a fresh array)
            return v1
        <BLANKLINE>
        """
        arrays = [bind(v, x) for v, x in zip(self.inputs, values, strict=True)]
        key = _signature(arrays)
        if key not in self.lowerings:
            self(*values)
        return self.lowerings[key].source

    def clear_buffers(self) -> None:
        """Drop the buffers kept between calls (each signature makes new ones when next
        called): frees their memory, and lets a measurement see them allocated.

        >>> import numpy as np
        >>> from chainrule import sym
        >>> x = sym.var("x", (2,)); f = sym.function([x], (x * 2).exp() * 2)
        >>> _ = f(np.ones(2, np.float32)); _ = f(np.ones(2, np.float32))
        >>> low = f.lowerings[next(iter(f.lowerings))]
        >>> len(low.pool), f.clear_buffers(), len(low.pool)
        (1, None, 0)
        """
        for low in self.lowerings.values():
            low.pool.clear()

    def __repr__(self) -> str:
        names = ", ".join(v.name for v in self.inputs)
        k = len(self.lowerings)
        return (
            f"<sym.function of ({names}): {k} signature{'s' * (k != 1)} lowered, "
            f"{len(self.order)} nodes>"
        )


def _signature(arrays) -> tuple:
    """The cache key of bound values: each one's array type, shape, dtype and strides
    (the layout: the generated code's buffers are laid out as the probe's values were,
    and a view or a copy can depend on it)."""
    return tuple((type(a), a.shape, a.dtype, getattr(a, "strides", None)) for a in arrays)


class _Shaped:
    __slots__ = ("shape", "dtype")

    def __init__(self, shape, dtype) -> None:
        self.shape, self.dtype = shape, dtype


def _shaped(v, a) -> _Shaped:
    return _Shaped(tuple(a.shape), a.dtype)


def function(inputs: list, outputs, *, lower: bool = True, remat: bool | None = None) -> Function:
    """A callable for the graph from ``inputs`` (variables) to ``outputs`` (one symbol,
    or a list of them): the lecture's "bind data later". Each signature of the inputs
    is lowered to Python once (``f.source``); ``lower=False`` interprets instead.

    >>> from chainrule import sym
    >>> a = sym.var("a"); b = sym.var("b")
    >>> f = sym.function([a, b], [2 * a + b, a * b])
    >>> f(1.0, 3.0)
    (tensor(5.), tensor(3.))
    """
    return Function(inputs, outputs, lower=lower, remat=remat)
