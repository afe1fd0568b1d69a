"""The PyTorch-named products: dot, mv, mm, outer and matmul (which dispatches on the
operands' dims, as PyTorch does), with PyTorch's shape and dtype errors; and the Tensor
methods that share them (``LinalgMethods``, with ``@``). The rules are the table's
(``chainrule.ops.linalg``).

>>> import chainrule as torch
>>> A = torch.ones(2, 3)
>>> (A @ torch.ones(3)).shape, torch.matmul(torch.ones(5, 2, 3), torch.ones(3, 4)).shape
(torch.Size([2]), torch.Size([5, 2, 4]))
"""

from __future__ import annotations

import math

from ..ops.apply import apply
from ..ops.linalg import BMM, DOT, MM, MV, OUTER, SOLVE_TRIANGULAR
from . import decompositions as _dec
from .args import tensors_only

# the C++ type names PyTorch's errors print (mm's dtype mismatch, .grad's assignment)
CPP_NAMES = {
    "float32": "float",
    "float64": "double",
    "float16": "c10::Half",
    "bfloat16": "c10::BFloat16",
    "int64": "long int",
    "int32": "int",
    "int16": "short int",
    "int8": "signed char",
    "uint8": "unsigned char",
    "bool": "bool",
    "complex64": "c10::complex<float>",
    "complex128": "c10::complex<double>",
}


def _check_same(x, y, name):
    """PyTorch's error for operands of two dtypes (no promotion in products), in the words
    of the kernel that meets them: mm (and what folds to it), addmv, dot or bmm."""
    if x._data.dtype == y._data.dtype:
        return
    a, b = x.dtype, y.dtype
    if name == "mm":
        msg = (
            "expected m1 and m2 to have the same dtype, but got: "
            f"{CPP_NAMES.get(a.name, a.name)} != {CPP_NAMES.get(b.name, b.name)}"
        )
    elif name == "mv":
        msg = (
            "addmv input tensors must have the same dtype, but got "
            f"{b.title}, {a.title}, and {b.title}"
        )
    elif name == "dot":
        msg = f"dot : expected both vectors to have same dtype, but found {a.title} and {b.title}"
    else:
        msg = f"expected scalar type {a.title} but found {b.title}"
    raise RuntimeError(msg)


def dot(input, tensor):
    """Inner product of two 1-d tensors.

    >>> import chainrule as torch
    >>> x = torch.arange(4.0)
    >>> torch.dot(x, x)
    tensor(14.)
    """
    if input._data.ndim != 1 or tensor._data.ndim != 1:
        raise RuntimeError(
            f"1D tensors expected, but got {input._data.ndim}D and {tensor._data.ndim}D tensors"
        )
    if input._data.shape != tensor._data.shape:
        raise RuntimeError(
            f"inconsistent tensor size, expected tensor [{input._data.shape[0]}] and src "
            f"[{tensor._data.shape[0]}] to have the same number of elements, but got "
            f"{input._data.shape[0]} and {tensor._data.shape[0]} elements respectively"
        )
    _check_same(input, tensor, "dot")
    return apply(DOT, input, tensor)


vdot = dot


def inner(input, other):
    """Inner product over the last dims: ``out[i..., j...] = sum_k input[i..., k] *
    other[j..., k]`` (a 0-d operand multiplies), as a reshape, ``mm`` and a reshape.

    >>> import chainrule as torch
    >>> torch.inner(torch.ones(2, 3), torch.ones(4, 3)).shape
    torch.Size([2, 4])
    """
    a, b = input._data, other._data
    if a.ndim == 0 or b.ndim == 0:
        return input * other
    if a.shape[-1] != b.shape[-1]:
        raise RuntimeError(
            "inner() the last dimension must match on both input tensors but got shapes "
            f"{list(a.shape)} and {list(b.shape)}"
        )
    if a.dtype != b.dtype:
        raise RuntimeError("both inputs should have same dtype")
    if a.dtype.kind == "b":
        kernel = "dot" if a.ndim == b.ndim == 1 else "addmm_impl_cpu_"
        raise NotImplementedError(f"\"{kernel}\" not implemented for 'Bool'")
    if a.shape[-1] == 1:  # PyTorch's tensordot sums the first operand over a size-1 dim:
        input = input.sum(-1, keepdim=True)  # dot or mm then saves that, not input's view
    if a.ndim == b.ndim == 1:
        return apply(DOT, input, other)
    k = a.shape[-1]
    m, n = math.prod(a.shape[:-1]), math.prod(b.shape[:-1])
    x, y = input.reshape(m, k), other.reshape(n, k)
    return apply(MM, x, y.transpose(0, 1)).reshape(*a.shape[:-1], *b.shape[:-1])


def mv(input, vec):
    """Matrix-vector product.

    >>> import chainrule as torch
    >>> torch.mv(torch.eye(2), torch.tensor([1., 2.]))
    tensor([1., 2.])
    """
    if input._data.ndim == 0:  # PyTorch sizes its result from input's dim 0 first
        raise IndexError("Dimension specified as 0 but tensor has no dimensions")
    if input._data.ndim != 2 or vec._data.ndim != 1:  # as addmv (the 1 is its bias's dims)
        raise RuntimeError(
            f"vector + matrix @ vector expected, got 1, {input._data.ndim}, {vec._data.ndim}"
        )
    if input._data.shape[1] != vec._data.shape[0]:
        raise RuntimeError(
            f"size mismatch, got input ({input._data.shape[0]}), mat ({input._data.shape[0]}x"
            f"{input._data.shape[1]}), vec ({vec._data.shape[0]})"
        )
    _check_same(input, vec, "mv")
    return apply(MV, input, vec)


def mm(input, mat2):
    """Matrix-matrix product.

    >>> import chainrule as torch
    >>> torch.mm(torch.ones(2, 3), torch.ones(3, 4)).shape
    torch.Size([2, 4])
    """
    a, b = input._data, mat2._data
    if a.ndim != 2:
        raise RuntimeError("self must be a matrix")
    if b.ndim != 2:
        raise RuntimeError("mat2 must be a matrix")
    if a.shape[1] != b.shape[0]:
        raise RuntimeError(
            f"mat1 and mat2 shapes cannot be multiplied ({a.shape[0]}x{a.shape[1]} and "
            f"{b.shape[0]}x{b.shape[1]})"
        )
    _check_same(input, mat2, "mm")
    return apply(MM, input, mat2)


def bmm(input, mat2):
    """Batched matrix product of two 3-d tensors, (b, n, m) @ (b, m, p) -> (b, n, p), with
    PyTorch's checks: no broadcasting (``matmul`` broadcasts), one dtype, no bool.

    >>> import chainrule as torch
    >>> torch.bmm(torch.ones(2, 3, 4), torch.ones(2, 4, 5)).shape
    torch.Size([2, 3, 5])
    """
    return _bmm(input, mat2, "bmm")


def _bmm(input, mat2, name: str, method: bool = False):
    tensors_only(name, *([] if method else [("input", 1, input)]), ("mat2", 2 - method, mat2))
    a, b = input._data, mat2._data
    if a.ndim != 3:
        raise RuntimeError("batch1 must be a 3D tensor")
    if b.ndim != 3:
        raise RuntimeError("batch2 must be a 3D tensor")
    if b.shape[:2] != (a.shape[0], a.shape[2]):
        raise RuntimeError(
            "Expected size for first two dimensions of batch2 tensor to be: "
            f"[{a.shape[0]}, {a.shape[2]}] but got: [{b.shape[0]}, {b.shape[1]}]."
        )
    if a.dtype.kind == "b":
        raise NotImplementedError("\"bmm\" not implemented for 'Bool'")
    _check_same(input, mat2, "bmm")
    # the table's batched-matmul entry: its grad_fn is already PyTorch's BmmBackward0, and
    # the checks above leave nothing for it to broadcast (no alias entry needed)
    return apply(BMM, input, mat2)


def outer(input, vec2):
    """Outer product of two vectors.

    >>> import chainrule as torch
    >>> torch.outer(torch.tensor([1, 2]), torch.tensor([1, 10]))
    tensor([[ 1, 10],
            [ 2, 20]])
    """
    for name, v in (("self", input), ("vec2", vec2)):
        if v._data.ndim != 1:
            raise RuntimeError(f"outer: Expected 1-D argument {name}, but got {v._data.ndim}-D")
    return apply(OUTER, input, vec2)


ger = outer


def matmul(input, other):
    """Matrix product with NumPy/PyTorch rules: 1-d, 2-d and batched (broadcast) operands.

    >>> import chainrule as torch
    >>> torch.matmul(torch.ones(5, 2, 3), torch.ones(3, 4)).shape
    torch.Size([5, 2, 4])
    """
    a, b = input._data, other._data
    if a.ndim == 2 and b.ndim == 2 and a.shape[1] == b.shape[0] and a.dtype == b.dtype:
        return apply(MM, input, other)  # the common case, without mm's checks again
    if a.ndim == 0 or b.ndim == 0:
        raise RuntimeError(
            f"both arguments to matmul need to be at least 1D, but they are {a.ndim}D and {b.ndim}D"
        )
    if a.ndim == 1 and b.ndim == 1:
        return dot(input, other)
    if a.ndim == 2 and b.ndim == 1:
        return mv(input, other)
    if a.ndim == 2 and b.ndim == 2:
        return mm(input, other)
    k_a = a.shape[-1]
    k_b = b.shape[0] if b.ndim == 1 else b.shape[-2]
    if k_a != k_b:
        if b.ndim == 1:
            raise RuntimeError(
                f"size mismatch, got input ({a.shape[-2] if a.ndim > 1 else 1}), mat "
                f"({'x'.join(map(str, a.shape))}), vec ({b.shape[0]})"
            )
        raise RuntimeError(
            "Expected size for first two dimensions of batch2 tensor to be: "
            f"[{a.shape[0] if a.ndim > 2 else 1}, {k_a}] but got: "
            f"[{b.shape[0] if b.ndim > 2 else 1}, {k_b}]."
            if a.ndim == 3 and b.ndim == 3
            else "mat1 and mat2 shapes cannot be multiplied "
            f"({'x'.join(map(str, (1,) * (a.ndim == 1) + a.shape[-2:]))} and "
            f"{'x'.join(map(str, b.shape[-2:]))})"
        )
    # (a 1-d or batched left operand against a matrix or vector folds into one mm)
    _check_same(input, other, "mv" if b.ndim == 1 else "mm" if b.ndim == 2 else "bmm")
    if a.ndim == 1:  # (k,) @ (..., k, n): as a row matrix, then drop the row axis
        return apply(BMM, input.unsqueeze(0), other).squeeze(-2)
    if b.ndim == 1:  # (..., m, k) @ (k,): as a column matrix, then drop the column axis
        return apply(BMM, input, other.unsqueeze(-1)).squeeze(-1)
    return apply(BMM, input, other)


def _square(name: str, a) -> None:
    if a.ndim < 2:
        raise RuntimeError(f"{name}: The input tensor A must have at least 2 dimensions.")
    if a.shape[-1] != a.shape[-2]:
        raise RuntimeError(
            f"{name}: A must be batches of square matrices, but they are {a.shape[-2]} by "
            f"{a.shape[-1]} matrices"
        )


def solve_triangular(A, B, *, upper, left=True, unitriangular=False):
    """X with A X = B (``left=False``: X A = B), A triangular (``upper`` says which
    triangle is read); batch dims broadcast."""
    if unitriangular:
        raise NotImplementedError("solve_triangular(unitriangular=True) is not supported yet")
    _square("linalg.solve_triangular", A)
    if B.ndim < 2:
        raise RuntimeError(
            "linalg.solve_triangular: The input tensor B must have at least 2 dimensions."
        )
    if not left:
        return solve_triangular(A.mT, B.mT, upper=not upper).mT
    if A.shape[-1] != B.shape[-2]:
        raise RuntimeError(
            "linalg.solve_triangular: Incompatible shapes of A and B for the equation AX = B "
            f"({A.shape[-2]}x{A.shape[-1]} and {B.shape[-2]}x{B.shape[-1]})"
        )
    batch = _broadcast_batch(tuple(A.shape[:-2]), tuple(B.shape[:-2]))
    A = A.expand(batch + tuple(A.shape[-2:])) if tuple(A.shape[:-2]) != batch else A
    B = B.expand(batch + tuple(B.shape[-2:])) if tuple(B.shape[:-2]) != batch else B
    return apply(SOLVE_TRIANGULAR, A, B, upper=upper)


def _broadcast_batch(a: tuple, b: tuple) -> tuple:
    n = max(len(a), len(b))
    a, b = (1,) * (n - len(a)) + a, (1,) * (n - len(b)) + b
    out = []
    for x, y in zip(a, b, strict=True):
        if x != y and 1 not in (x, y):
            raise RuntimeError(
                f"The size of tensor a ({x}) must match the size of tensor b ({y}) at "
                "non-singleton dimension"
            )
        out.append(max(x, y))
    return tuple(out)


class LinalgMethods:
    """The linear-algebra part of Tensor's API: ``x @ y``, ``x.mm(y)``, ``x.dot(y)``..."""

    __slots__ = ()

    dot = dot
    inner = inner
    mv = mv
    mm = mm
    matmul = __matmul__ = matmul

    def bmm(self, mat2):
        """Batched matrix product with ``mat2`` (see ``torch.bmm``)."""
        return _bmm(self, mat2, "bmm", method=True)

    outer = outer

    def __rmatmul__(self, other):
        return matmul(other, self)

    def inverse(self):
        """The inverse matrix (see ``torch.linalg.inv``)."""
        return _dec.inv(self)

    def det(self):
        """The determinant (see ``torch.linalg.det``)."""
        return _dec.det(self)

    def logdet(self):
        """log det (see ``torch.logdet``)."""
        return _dec.logdet(self)

    def slogdet(self):
        """(sign, logabsdet) of the determinant (see ``torch.slogdet``)."""
        return _dec.top_slogdet(self)
