"""Parameter: a Tensor that a Module registers as something to train.

>>> import chainrule as torch
>>> torch.nn.Parameter(torch.zeros(2))
Parameter containing:
tensor([0., 0.], requires_grad=True)
"""

from __future__ import annotations

from ..creation import empty
from ..tensor import Tensor, make, own


class Parameter(Tensor):
    """A leaf tensor that requires grad by default; assigning one to a Module attribute
    registers it in ``module.parameters()``. It shares storage with ``data``.

    Arithmetic on a Parameter gives a plain Tensor, as in PyTorch.

    >>> import chainrule as torch
    >>> p = torch.nn.Parameter(torch.ones(3))
    >>> (p * 2).sum().backward(); p.grad
    tensor([2., 2., 2.])
    """

    def __new__(cls, data: Tensor | None = None, requires_grad: bool = True) -> Parameter:
        if data is None:
            data = empty(0)
        if not isinstance(data, Tensor):
            raise TypeError(
                f"Parameter(data) expects a Tensor, got {type(data).__name__}: "
                "wrap it with chainrule.tensor(...) first"
            )
        if requires_grad and data._data.dtype.kind not in "fc":
            raise RuntimeError(
                "Only Tensors of floating point and complex dtype can require gradients"
            )
        p = Tensor.__new__(cls)._init(own(data))
        p._vc = data._vc  # the same storage, so the same version counter (like detach)
        p._rg = bool(requires_grad)
        return p

    def __init__(self, data: Tensor | None = None, requires_grad: bool = True) -> None:
        pass  # everything happens in __new__ (Tensor.__init__ refuses direct construction)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()

    __str__ = __repr__

    def __deepcopy__(self, memo) -> Parameter:
        if id(self) in memo:
            return memo[id(self)]
        p = Parameter(self.detach().clone(), self.requires_grad)
        grad = getattr(self, "_grad", None)
        if grad is not None:
            p._grad = grad.detach().clone()
        memo[id(self)] = p
        return p

    def __reduce_ex__(self, proto):
        return (_rebuild_parameter, (own(self), self.requires_grad))


def _rebuild_parameter(data, requires_grad: bool) -> Parameter:
    return Parameter(make(data), requires_grad)


Parameter.__module__ = "chainrule.nn"
