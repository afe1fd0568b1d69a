"""chainrule.linalg: norms, inverses, determinants, solves and factorizations (PyTorch's
torch.linalg subset).

Each function checks its arguments as PyTorch does and runs one row of the derivative
table (``ops/linalg.py``). ``eig``/``eigvals`` return complex tensors, as PyTorch's; the
others take real matrices only so far. Not here: ``lu``, ``lstsq``, ``pinv``,
``matrix_power``, ``solve(left=False)``.

>>> import chainrule as torch
>>> torch.linalg.norm(torch.tensor([3.0, 4.0]))
tensor(5.)
"""

from __future__ import annotations

from ._state import LinAlgError
from .functions import elementwise as E
from .functions import linalg as _la
from .functions import reduction as _r
from .functions import shape as S
from .functions.combine import linalg_cross as cross
from .functions.decompositions import (
    cholesky,
    cholesky_ex,
    det,
    eig,
    eigh,
    eigvals,
    eigvalsh,
    inv,
    inv_ex,
    qr,
    slogdet,
    solve,
    svd,
)
from .ops.apply import apply
from .ops.reduction import SVDVALS

__all__ = [
    "norm",
    "vector_norm",
    "matrix_norm",
    "svdvals",
    "cross",
    "inv",
    "det",
    "slogdet",
    "solve",
    "cholesky",
    "inv_ex",
    "cholesky_ex",
    "eig",
    "eigvals",
    "eigh",
    "eigvalsh",
    "qr",
    "svd",
    "solve_triangular",
    "LinAlgError",
]


def vector_norm(x, ord=2, dim=None, keepdim: bool = False, *, dtype=None):
    """The vector ``ord``-norm over ``dim`` (all elements by default).

    >>> import chainrule as torch
    >>> torch.linalg.vector_norm(torch.tensor([[3.0, -4.0]]), ord=1)
    tensor(7.)
    """
    return _r.norm(x, p=ord, dim=dim, keepdim=keepdim, dtype=dtype)


def svdvals(A):
    """Singular values of a matrix (or batch), in descending order.

    >>> import chainrule as torch
    >>> torch.linalg.svdvals(torch.tensor([[3.0, 0.0], [0.0, -2.0]]))
    tensor([3., 2.])
    """
    if A.ndim < 2:
        raise RuntimeError("linalg.svd: The input tensor A must have at least 2 dimensions.")
    return apply(SVDVALS, A)


def matrix_norm(A, ord="fro", dim=(-2, -1), keepdim: bool = False, *, dtype=None):
    """Matrix norms: 'fro', 'nuc', 1, -1, 2, -2, inf, -inf (over two dims, the last two by
    default), composed from reductions and singular values.

    >>> import chainrule as torch
    >>> A = torch.tensor([[1.0, -2.0], [3.0, 4.0]])
    >>> torch.linalg.matrix_norm(A, ord=1), torch.linalg.matrix_norm(A, ord=float('inf'))
    (tensor(6.), tensor(7.))
    """
    if dtype is not None:
        A = A.to(dtype)
    if A.ndim < 2:
        raise RuntimeError(
            "linalg.matrix_norm: The input tensor A must have at least 2 dimensions."
        )
    r, c = (d % A.ndim for d in dim)
    if ord == "fro":
        return _r.norm(A, p="fro", dim=(r, c), keepdim=keepdim)
    if ord in ("nuc", 2, -2):
        moved = S.movedim(A, (r, c), (-2, -1))
        sv = svdvals(moved)
        out = sv.sum(-1) if ord == "nuc" else sv.amax(-1) if ord == 2 else sv.amin(-1)
        if keepdim:
            for d in sorted((r, c)):
                out = out.unsqueeze(d)
        return out
    if ord in (1, -1, float("inf"), float("-inf")):
        over, keep = (r, c) if ord in (1, -1) else (c, r)
        s = _r.sum(E.abs(A), dim=over, keepdim=True)
        out = _r.amax(s, dim=keep, keepdim=True) if ord > 0 else _r.amin(s, dim=keep, keepdim=True)
        return out if keepdim else S.squeeze(out, (r, c))
    raise RuntimeError(f"linalg.matrix_norm: Order {ord} not supported.")


def norm(A, ord=None, dim=None, keepdim: bool = False, *, dtype=None):
    """PyTorch's linalg.norm: the 2-norm of the flattened input by default; with ``ord``, a
    vector norm of a 1-d input (or over one dim) or a matrix norm of a 2-d input (or over
    two dims).

    >>> import chainrule as torch
    >>> torch.linalg.norm(torch.ones(4, 9))
    tensor(6.)
    """
    if isinstance(dim, int):
        dim = (dim,)
    if ord is None:
        return _r.norm(A, p=2, dim=dim, keepdim=keepdim, dtype=dtype)
    if (dim is not None and len(dim) == 2) or (dim is None and A.ndim == 2):
        return matrix_norm(A, ord, dim if dim is not None else (-2, -1), keepdim, dtype=dtype)
    if dim is None and A.ndim != 1:
        raise RuntimeError(
            f"linalg.norm: If dim is not specified but ord is, the input must be 1D or 2D. "
            f"Got {A.ndim}D."
        )
    if isinstance(ord, str):
        raise RuntimeError(f"linalg.vector_norm: Order {ord} not supported.")
    return _r.norm(A, p=ord, dim=dim, keepdim=keepdim, dtype=dtype)


solve_triangular = _la.solve_triangular
