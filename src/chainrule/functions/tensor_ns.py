"""The rule namespace over Tensors: NumPy's names (as ``ops.namespaces.ArrayNS``) mapped
to chainrule's functions, so that rules run here are recorded and the backward pass is
itself differentiable (create_graph, hessian), and forward mode's tangents are tensors
that reverse mode can differentiate through.

>>> import chainrule as torch
>>> from chainrule.functions.tensor_ns import TensorNS
>>> TensorNS.sum(torch.ones(2, 3), axis=0)
tensor([2., 2., 2.])
"""

from __future__ import annotations

from ..backend import device_key as _device_key
from ..backend import namespace as _namespace
from ..ops.apply import apply
from ..ops.elementwise import MAXIMUM, MINIMUM, THRESHOLD_BACKWARD
from ..ops.indexing import INDEX_GRAD, INDEX_PUT, PUT_ALONG, TAKE_ALONG, TRIL, TRIU
from ..ops.linalg import (
    EIG_VECTORS,
    EIGH_VECTORS,
    EIGVALS,
    EIGVALSH,
    INV,
    SOLVE,
    SOLVE_TRIANGULAR,
    SVD_U,
    SVD_VH,
)
from ..ops.namespaces import sum_to
from ..ops.reduction import SVDVALS
from ..ops.shape import SQUEEZE
from ..ops.special import STANDARD_GAMMA_GRAD
from ..ops.views import TO_DEVICE
from . import elementwise, linalg, reduction, shape, special
from .indexing import getitem


class TensorNS:
    """NumPy's names over chainrule's functions (every method takes and gives Tensors)."""

    graph = True  # rules run on Tensors: their backward is recorded (create_graph)

    exp = staticmethod(elementwise.exp)
    log = staticmethod(elementwise.log)
    log1p = staticmethod(elementwise.log1p)
    expm1 = staticmethod(elementwise.expm1)
    sin = staticmethod(elementwise.sin)
    cos = staticmethod(elementwise.cos)
    tan = staticmethod(elementwise.tan)
    tanh = staticmethod(elementwise.tanh)
    sinh = staticmethod(elementwise.sinh)
    cosh = staticmethod(elementwise.cosh)
    rsqrt = staticmethod(elementwise.rsqrt)
    erf = staticmethod(special.erf)
    sqrt = staticmethod(elementwise.sqrt)
    sign = staticmethod(elementwise.sign)
    abs = staticmethod(elementwise.abs)
    conj = staticmethod(elementwise.conj)
    real = staticmethod(elementwise.real)
    imag = staticmethod(elementwise.imag)
    floor = staticmethod(elementwise.floor)
    lgamma = staticmethod(special.lgamma)
    digamma = staticmethod(special.digamma)
    polygamma = staticmethod(special.polygamma)

    @staticmethod
    def tril(x, k=0):
        return apply(TRIL, x, diagonal=k)

    @staticmethod
    def triu(x, k=0):
        return apply(TRIU, x, diagonal=k)

    @staticmethod
    def solve_triangular(a, b, upper):
        return apply(SOLVE_TRIANGULAR, a, b, upper=upper)

    @staticmethod
    def standard_gamma_grad(alpha, x):
        return apply(STANDARD_GAMMA_GRAD, alpha, x)

    @staticmethod
    def floor_divide(a, b):  # NumPy's (Python's) floor division, with a zero gradient
        return elementwise.div(a, b, rounding_mode="floor")

    @staticmethod
    def maximum(a, b):  # NumPy's: a number operand too (torch.maximum takes tensors only)
        return apply(MAXIMUM, a, b)

    @staticmethod
    def minimum(a, b):
        return apply(MINIMUM, a, b)

    matmul = staticmethod(linalg.matmul)

    @staticmethod
    def inv(a):  # the table's inverse: its own rules record the second derivative
        return apply(INV, a)

    @staticmethod
    def solve(a, b):  # A^-1 B, B a batch of matrices
        return apply(SOLVE, a, b, vec=False)

    @staticmethod
    def eigh(a, uplo):  # the table's rows, so that rules using them differentiate again
        return apply(EIGVALSH, a, uplo=uplo), apply(EIGH_VECTORS, a, uplo=uplo)

    @staticmethod
    def eig(a):  # (L, V): the table's rows
        return apply(EIGVALS, a), apply(EIG_VECTORS, a)

    @staticmethod
    def svd(a):  # thin: (U, S, Vh)
        return apply(SVD_U, a, full=False), apply(SVDVALS, a), apply(SVD_VH, a, full=False)

    @staticmethod
    def eye(n, like):  # a constant
        d = like._data
        return like._new(_namespace(d).eye(n, dtype=d.dtype))

    outer = staticmethod(linalg.outer)
    getitem = staticmethod(getitem)

    @staticmethod
    def singular_vectors(x):  # (U, V^T) of the thin SVD: the table's rows, differentiable
        return apply(SVD_U, x, full=False), apply(SVD_VH, x, full=False)

    @staticmethod
    def where(cond, a, b):
        if not hasattr(a, "_data") and not hasattr(b, "_data"):
            raise TypeError("where: one branch must be a tensor")
        return elementwise.where(cond, a, b)

    @staticmethod
    def sum(x, axis=None, keepdims=False):
        return reduction.sum(x, dim=axis, keepdim=keepdims)

    @staticmethod
    def mean(x, axis=None, keepdims=False):
        return reduction.mean(x, dim=axis, keepdim=keepdims)

    @staticmethod
    def cumsum(x, axis):
        return reduction.cumsum(x, dim=axis)

    @staticmethod
    def cumprod(x, axis):
        return reduction.cumprod(x, dim=axis)

    @staticmethod
    def reshape(x, shape_):
        return shape.reshape(x, tuple(shape_))

    @staticmethod
    def broadcast_to(x, shape_):
        return shape.expand(x, tuple(shape_))

    @staticmethod
    def swapaxes(x, a, b):
        return shape.transpose(x, a, b)

    @staticmethod
    def permute(x, axes):
        return shape.permute(x, tuple(axes))

    @staticmethod
    def expand_dims(x, axis):
        return shape.unsqueeze(x, axis)

    @staticmethod
    def moveaxis(x, source, destination):
        return shape.movedim(x, source, destination)

    @staticmethod
    def diagonal(x, offset, axis1, axis2):
        return shape.diagonal(x, offset, axis1, axis2)

    @staticmethod
    def squeeze(x, axis):
        return apply(SQUEEZE, x, dim=tuple(axis))  # exactly these axes (none: none)

    @staticmethod
    def flip(x, dims):
        return shape.flip(x, dims)

    @staticmethod
    def concatenate(xs, axis=0):
        return shape.cat(xs, dim=axis)

    @staticmethod
    def threshold_backward(g, out):
        return apply(THRESHOLD_BACKWARD, g, out)

    @staticmethod
    def move(t, key):  # a recorded move between devices (the gradient of one)
        return apply(TO_DEVICE, t, dst=key, src=_device_key(t._data))

    @staticmethod
    def const(a, like):
        """Array ``a`` as a constant Tensor beside ``like`` (no history)."""
        return like._new(a)

    @staticmethod
    def zeros_like(x):
        d = x._data
        return x._new(_namespace(d).zeros(d.shape, d.dtype))

    @staticmethod
    def ones_like(x):
        d = x._data
        return x._new(_namespace(d).ones(d.shape, d.dtype))

    @staticmethod
    def index_put(x, value, idx):
        """Out-of-place ``x[idx] = value`` (recorded)."""
        return apply(INDEX_PUT, x, value, idx=idx)

    @staticmethod
    def take_along(x, idx, dim):
        return apply(TAKE_ALONG, x, idx=idx, dim=dim)

    @staticmethod
    def put_along(g, idx, dim, shape_):
        return apply(PUT_ALONG, g, idx=idx, dim=dim, shape=tuple(shape_))

    @staticmethod
    def index_grad(g, idx, shape_):
        return apply(INDEX_GRAD, g, idx=idx, shape=tuple(shape_))

    @staticmethod
    def sum_to(g, shape_, batch=()):
        return sum_to(TensorNS, g, tuple(shape_), len(batch))
