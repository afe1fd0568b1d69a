"""chainrule.linalg: norms (PyTorch's torch.linalg subset).

>>> import chainrule as torch
>>> torch.linalg.norm(torch.tensor([3.0, 4.0]))
tensor(5.)
"""

from __future__ import annotations

from .ops import reduction as _r

__all__ = ["norm", "vector_norm", "matrix_norm"]


def vector_norm(x, ord=2, dim=None, keepdim: bool = False, *, dtype=None):
    """The vector ``ord``-norm over ``dim`` (all elements by default).

    >>> import chainrule as torch
    >>> torch.linalg.vector_norm(torch.tensor([[3.0, -4.0]]), ord=1)
    tensor(7.)
    """
    return _r.norm(x, p=ord, dim=dim, keepdim=keepdim, dtype=dtype)


def matrix_norm(A, ord="fro", dim=(-2, -1), keepdim: bool = False, *, dtype=None):
    """The Frobenius norm of matrices (over the last two dims by default)."""
    if ord != "fro":
        raise NotImplementedError("chainrule.linalg.matrix_norm supports ord='fro' only")
    return _r.norm(A, p="fro", dim=dim, keepdim=keepdim, dtype=dtype)


def norm(A, ord=None, dim=None, keepdim: bool = False, *, dtype=None):
    """PyTorch's linalg.norm: 2-norm of the flattened input by default; Frobenius for a
    matrix with ord='fro'; a vector ord-norm over one dim.

    >>> import chainrule as torch
    >>> torch.linalg.norm(torch.ones(4, 9))
    tensor(6.)
    """
    if ord is None or ord == "fro":
        return _r.norm(A, p="fro", dim=dim, keepdim=keepdim, dtype=dtype)
    if isinstance(ord, str):
        raise NotImplementedError(f"chainrule.linalg.norm: ord={ord!r} is not supported yet")
    if A.ndim == 2 and dim is None:
        raise NotImplementedError("matrix norms other than 'fro' are not supported yet")
    return _r.norm(A, p=ord, dim=dim, keepdim=keepdim, dtype=dtype)
