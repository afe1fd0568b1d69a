"""Reverse-mode autograd with PyTorch's API: backward, grad, Function, gradcheck.

The engine that walks the graph is ``engine.py``; ``backward`` and ``grad`` (``api.py``)
are its entry points; forward mode is ``forward_ad.py``.

>>> import chainrule as torch
>>> x = torch.tensor([1., 2.], requires_grad=True)
>>> torch.autograd.grad((x * x).sum(), x)
(tensor([2., 4.]),)
"""

from __future__ import annotations

from . import forward_ad
from .api import backward, grad
from .function import Function, FunctionCtx
from .grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from .gradcheck import GradcheckError, gradcheck, gradgradcheck
from .memory import saved_memory

__all__ = [
    "backward",
    "grad",
    "Function",
    "FunctionCtx",
    "gradcheck",
    "gradgradcheck",
    "GradcheckError",
    "no_grad",
    "enable_grad",
    "set_grad_enabled",
    "is_grad_enabled",
    "saved_memory",
]
