"""chainrule: automatic differentiation you can see.

PyTorch's tensor API on NumPy: ``import chainrule as torch`` runs the d2l preliminaries
with the same values, dtypes, shapes, printing and errors. Every derivative lives in one
table (``chainrule.ops``); the backward engine is ``chainrule.autograd.engine``. The
package reads in layers, bottom to top: see the README's Design section.

>>> import chainrule as torch
>>> x = torch.arange(4.0, requires_grad=True)
>>> y = 2 * torch.dot(x, x)
>>> y.backward(); x.grad
tensor([ 0.,  4.,  8., 12.])
"""

from __future__ import annotations

from math import e, inf, nan, pi  # torch.pi, torch.e, torch.inf, torch.nan: Python floats

from . import _allocator, autograd, backend, functions, linalg, ops, random, special
from ._print import set_printoptions
from .autograd import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from .creation import (
    arange,
    as_tensor,
    empty,
    empty_like,
    eye,
    from_dask,
    from_numpy,
    full,
    full_like,
    get_default_device,
    linspace,
    logspace,
    normal,
    ones,
    ones_like,
    rand,
    rand_like,
    randint,
    randint_like,
    randn,
    randn_like,
    randperm,
    set_default_device,
    tensor,
    tril_indices,
    triu_indices,
    zeros,
    zeros_like,
)
from .device import device
from .dtypes import (
    bool,
    cdouble,
    cfloat,
    complex64,
    complex128,
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
from .random import (
    Generator,
    default_generator,
    get_rng_state,
    initial_seed,
    manual_seed,
    seed,
    set_rng_state,
)
from .tensor import Size, Tensor

# exp, sum, cat, matmul, isclose, ... under PyTorch's names (Tensor's methods are the same
# functions, inherited from chainrule.functions' mixins)
globals().update(functions.public_functions())

__version__ = "0.1.0"

# the top-level names PyTorch gives some of torch.linalg
det = functions.decompositions.det
inverse = functions.decompositions.inv
logdet = functions.decompositions.logdet
slogdet = functions.decompositions.top_slogdet
svd = functions.decompositions.top_svd
qr = functions.decompositions.top_qr
cholesky = functions.decompositions.top_cholesky


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


_allocator.tune()  # keep freed array memory for reuse (see _allocator.py)

# the packages d2l reaches as torch.nn, torch.optim, torch.utils.data, ... (none of them
# imports an optional dependency at import time)
from . import compiler, cuda, data, distributions, func, nn, optim, sym, utils, viz
from .alias import as_torch
from .compiler import compile  # torch.compile (shadows the builtin here, as in torch)
from .distributions.continuous import standard_gamma as _standard_gamma
from .nn.functional import log_softmax, softmax  # torch.softmax, torch.log_softmax
from .serialization import load, save
