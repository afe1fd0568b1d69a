"""Function transforms, modeled on torch.func and JAX: grad, grad_and_value, vjp, jvp,
jacrev, jacfwd, hessian, linearize, and ``jacobian`` with textbook layouts.

>>> import chainrule as torch
>>> from chainrule.func import grad, hessian, jacobian
>>> grad(lambda x: (x ** 3).sum())(torch.tensor([1., 2.]))
tensor([ 3., 12.])
"""

from .cost import Cost, cost
from .jacobian import JacobianChoice, jacobian, to_layout
from .transforms import grad, grad_and_value, hessian, jacfwd, jacrev, jvp, linearize, vjp

__all__ = [
    "grad",
    "grad_and_value",
    "vjp",
    "jvp",
    "jacrev",
    "jacfwd",
    "hessian",
    "linearize",
    "jacobian",
    "to_layout",
    "JacobianChoice",
    "cost",
    "Cost",
]
