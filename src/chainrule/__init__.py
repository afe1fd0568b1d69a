"""chainrule: automatic differentiation you can see.

PyTorch's tensor API on NumPy: ``import chainrule as torch`` runs the d2l preliminaries
with the same values, dtypes, shapes, printing and errors. Every derivative lives in one
table (``chainrule.ops``); the backward engine is ``chainrule.autograd.graph``.

>>> import chainrule as torch
>>> x = torch.arange(4.0, requires_grad=True)
>>> y = 2 * torch.dot(x, x)
>>> y.backward(); x.grad
tensor([ 0.,  4.,  8., 12.])
"""

from __future__ import annotations

from . import _allocator, autograd, backend, linalg, ops
from ._print import set_printoptions
from .autograd import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from .creation import (
    Generator,
    arange,
    as_tensor,
    default_generator,
    empty,
    empty_like,
    eye,
    from_numpy,
    full,
    full_like,
    initial_seed,
    linspace,
    logspace,
    manual_seed,
    normal,
    ones,
    ones_like,
    rand,
    randint,
    randn,
    randperm,
    seed,
    tensor,
    zeros,
    zeros_like,
)
from .dtypes import (
    bool,
    double,
    dtype,
    float,
    float16,
    float32,
    float64,
    get_default_dtype,
    half,
    int,
    int8,
    int16,
    int32,
    int64,
    long,
    promote_types,
    result_type,
    set_default_dtype,
    short,
    uint8,
)
from .tensor import Size, Tensor, device

globals().update(ops.public_functions())  # exp, sum, cat, matmul, ... under PyTorch's names
from . import _methods  # noqa: E402,F401  binds Tensor methods and operators to ops

__version__ = "0.1.0"


def is_tensor(obj) -> bool:
    """Whether ``obj`` is a chainrule Tensor.

    >>> import chainrule as torch
    >>> torch.is_tensor(torch.zeros(1)), torch.is_tensor([1])
    (True, False)
    """
    return isinstance(obj, Tensor)


def numel(input) -> int:
    """Number of elements of ``input``."""
    return input.numel()


def equal(input, other) -> bool:
    """True if both tensors have the same shape and elements.

    >>> import chainrule as torch
    >>> torch.equal(torch.tensor([1, 2]), torch.tensor([1, 2]))
    True
    """
    return input._data.shape == other._data.shape and builtins_bool(
        (input._data == other._data).all()
    )


def allclose(
    input, other, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False
) -> bool:
    """Whether all elements are close: |a - b| <= atol + rtol * |b|.

    >>> import chainrule as torch
    >>> torch.allclose(torch.tensor([1.0]), torch.tensor([1.0 + 1e-9]))
    True
    """
    return builtins_bool(isclose(input, other, rtol, atol, equal_nan).all())


def isclose(input, other, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False):
    """Elementwise closeness: |a - b| <= atol + rtol * |b|.

    >>> import chainrule as torch
    >>> torch.isclose(torch.tensor([1.0, 2.0]), torch.tensor([1.0, 2.1]))
    tensor([ True, False])
    """
    from .tensor import make

    b = other._data if isinstance(other, Tensor) else other
    if isinstance(other, Tensor) and other._data.dtype != input._data.dtype:
        raise RuntimeError(f"{input.dtype.title} did not match {other.dtype.title}")
    return make(
        backend.namespace(input._data).isclose(
            input._data, b, rtol=rtol, atol=atol, equal_nan=equal_nan
        )
    )


import builtins as _builtins  # noqa: E402

builtins_bool = _builtins.bool
_allocator.tune()  # keep freed array memory for reuse (see _allocator.py)

# the packages d2l reaches as torch.nn, torch.optim, torch.utils.data, ... (none of them
# imports an optional dependency at import time)
from . import data, func, nn, optim, utils, viz
from .nn.functional import log_softmax, softmax  # torch.softmax, torch.log_softmax
from .serialization import load, save
