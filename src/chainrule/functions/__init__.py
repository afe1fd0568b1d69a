"""The PyTorch-named functions over the derivative table, and Tensor's methods.

Each module pairs with a part of the table (``chainrule.ops``): it parses PyTorch's
arguments (``dim=``/``axis=``, ``keepdim=``/``keepdims=``), raises PyTorch's errors,
builds return types, and ends in ``apply(ENTRY, ...)``. Each also defines the Tensor
methods that share its functions (``ElementwiseMethods``, ...): ``chainrule.Tensor``
inherits them, so ``x.exp()``, ``torch.exp(x)`` and ``x * y`` take one path.

>>> from chainrule.functions import public_functions
>>> "matmul" in public_functions() and "normalize_index" not in public_functions()
True
"""

from __future__ import annotations

import inspect

from . import (
    combine,
    conv,
    conversion,
    decompositions,
    einsum,
    elementwise,
    indexing,
    linalg,
    math_extra,
    reduction,
    scatter,
    selection,
    shape,
    special,
    statistics,
    tensor_ns,
)
from .combine import CombineMethods
from .conversion import ConversionMethods
from .elementwise import ElementwiseMethods
from .indexing import IndexingMethods
from .linalg import LinalgMethods
from .math_extra import MathExtraMethods
from .reduction import ReductionMethods
from .scatter import ScatterMethods
from .selection import SelectionMethods
from .shape import ShapeMethods
from .special import SpecialMethods
from .statistics import StatisticsMethods

# used by rules and Tensor methods, not PyTorch functions of their own
_INTERNAL = {
    "to_dtype",
    "normalize_index",
    "setitem",
    "getitem",
    "pow_prim",
    "solve_triangular",
    "linalg_cross",  # torch.linalg.cross
}


def public_functions() -> dict:
    """The PyTorch-named functions (what ``chainrule`` exports: exp, sum, cat, matmul...)."""
    out = {}
    for mod in (
        elementwise,
        reduction,
        shape,
        linalg,
        einsum,
        indexing,
        selection,
        special,
        math_extra,
        statistics,
        combine,
        scatter,
    ):
        for k, v in vars(mod).items():
            if (
                k[0] != "_"
                and k.islower()
                and inspect.isfunction(v)
                and v.__module__ == mod.__name__
                and k not in _INTERNAL
            ):
                out[k] = v
    return out


__all__ = [
    "CombineMethods",
    "ConversionMethods",
    "ElementwiseMethods",
    "IndexingMethods",
    "LinalgMethods",
    "MathExtraMethods",
    "ReductionMethods",
    "ScatterMethods",
    "SelectionMethods",
    "ShapeMethods",
    "SpecialMethods",
    "StatisticsMethods",
    "combine",
    "conv",
    "conversion",
    "decompositions",
    "einsum",
    "elementwise",
    "indexing",
    "linalg",
    "math_extra",
    "public_functions",
    "reduction",
    "scatter",
    "selection",
    "shape",
    "special",
    "statistics",
    "tensor_ns",
]
