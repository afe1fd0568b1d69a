"""The PyTorch-named special functions (lgamma, digamma, polygamma, erf, erfc, erfinv,
xlogy, igamma, igammac) and their Tensor methods (``SpecialMethods``); each ends in its table entry
(``chainrule.ops.special``). ``chainrule.special`` gathers them under torch.special's names.

>>> import chainrule as torch
>>> torch.lgamma(torch.tensor([1., 5.]))
tensor([0.0000, 3.1781])
"""

from __future__ import annotations

import operator

from ..ops.apply import apply, apply_inplace
from ..ops.special import DIGAMMA, ERF, ERFC, ERFINV, IGAMMA, IGAMMAC, LGAMMA, POLYGAMMA, XLOGY
from .elementwise import _unary  # the PyTorch-named unary function of a row

lgamma = _unary(LGAMMA, "lgamma", "[0.5, 3.]", "tensor([0.5724, 0.6931])")
digamma = _unary(DIGAMMA, "digamma", "[1., 0.]", "tensor([-0.5772,    -inf])")
erf = _unary(ERF, "erf", "[0., 1.]", "tensor([0.0000, 0.8427])")
erfc = _unary(ERFC, "erfc", "[0., 1.]", "tensor([1.0000, 0.1573])")
erfinv = _unary(ERFINV, "erfinv", "[0., 0.5]", "tensor([0.0000, 0.4769])")
for _f in (lgamma, digamma, erf, erfc, erfinv):
    _f.__module__ = __name__  # exported with this module's functions (public_functions)


def _order(n) -> int:
    try:
        n = operator.index(n)
    except TypeError:
        raise TypeError(
            f"polygamma(): argument 'n' (position 1) must be int, not {type(n).__name__}"
        ) from None
    if n < 0:
        raise RuntimeError("polygamma(n, x) does not support negative n.")
    return n


def polygamma(n, input):
    """The n-th derivative of digamma (n = 0: digamma itself), elementwise.

    >>> import chainrule as torch
    >>> torch.polygamma(1, torch.tensor([1.]))
    tensor([1.6449])
    """
    return apply(POLYGAMMA, input, n=_order(n))


def _is_tensor(v) -> bool:
    return hasattr(v, "_data")


def xlogy(input, other):
    """``input * log(other)``, and 0 where input is 0 (unless other is nan).

    >>> import chainrule as torch
    >>> torch.xlogy(torch.tensor([0., 2.]), torch.tensor([0., 3.]))
    tensor([0.0000, 2.1972])
    """
    if not _is_tensor(input) and not _is_tensor(other):
        raise TypeError(
            "xlogy() received an invalid combination of arguments - got "
            f"({type(input).__name__}, {type(other).__name__})"
        )
    return apply(XLOGY, input, other)


def igamma(input, other):
    """P(input, other), the regularized lower incomplete gamma function
    (torch.special.gammainc); differentiable in ``other`` only, as in PyTorch.

    >>> import chainrule as torch
    >>> torch.igamma(torch.tensor([1.0]), torch.tensor([2.0]))
    tensor([0.8647])
    """
    return apply(IGAMMA, input, other)


def igammac(input, other):
    """Q(input, other) = 1 - P(input, other), the regularized upper incomplete gamma
    function (torch.special.gammaincc)."""
    return apply(IGAMMAC, input, other)


class SpecialMethods:
    """The special functions as Tensor methods, and their in-place forms."""

    __slots__ = ()

    lgamma = lgamma
    digamma = digamma
    erf = erf
    erfc = erfc
    erfinv = erfinv
    xlogy = xlogy
    igamma = igamma
    igammac = igammac

    def polygamma(self, n):
        """The n-th derivative of digamma at self (see ``torch.polygamma``)."""
        return apply(POLYGAMMA, self, n=_order(n))

    def lgamma_(self):
        """In-place lgamma."""
        return apply_inplace(LGAMMA, self)

    def digamma_(self):
        """In-place digamma."""
        return apply_inplace(DIGAMMA, self)

    def polygamma_(self, n):
        """In-place polygamma(n, self)."""
        return apply_inplace(POLYGAMMA, self, n=_order(n))

    def erf_(self):
        """In-place erf."""
        return apply_inplace(ERF, self)

    def erfc_(self):
        """In-place erfc."""
        return apply_inplace(ERFC, self)

    def erfinv_(self):
        """In-place erfinv."""
        return apply_inplace(ERFINV, self)

    def xlogy_(self, other):
        """In-place xlogy(self, other)."""
        return apply_inplace(XLOGY, self, other)
