"""The PyTorch-named products: dot, mv, mm, outer and matmul (which dispatches on the
operands' dims, as PyTorch does), with PyTorch's shape and dtype errors; the BLAS-shaped
``beta * input + alpha * product`` family (addmm, addmv, addr, baddbmm, addbmm, composites
over those products); and the Tensor methods that share them (``LinalgMethods``, with
``@``, and the in-place ``addmm_``...). The rules are the table's (``chainrule.ops.linalg``).

>>> import chainrule as torch
>>> A = torch.ones(2, 3)
>>> (A @ torch.ones(3)).shape, torch.matmul(torch.ones(5, 2, 3), torch.ones(3, 4)).shape
(torch.Size([2]), torch.Size([5, 2, 4]))
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from .. import backend as _backend
from .._convert import type_name
from ..backend import namespace
from ..dtypes import promote_types
from ..ops.apply import apply, symbolic_layout
from ..ops.elementwise import ADDBMM, ADDMM, ADDMV, ADDR, BADDBMM, WHERE
from ..ops.linalg import BMM, DOT, MM, MV, OUTER, SOLVE_TRIANGULAR
from ..ops.shape import SQUEEZE_, UNSAFE_VIEW
from ..ops.symbolic import SymArray
from ..tensor_base import TensorBase
from . import decompositions as _dec
from .args import tensors_only

if TYPE_CHECKING:
    from ..tensor import Tensor

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
    _check_same(input, other, "mv" if b.ndim == 1 else "mm" if b.ndim == 2 else "bmm")
    if a.ndim == 1 and b.ndim == 2:  # a row matrix, its row axis dropped (PyTorch's squeeze_)
        return apply(SQUEEZE_, apply(MM, input.unsqueeze(0), other), dim=(0,))
    if a.ndim == 1:  # (k,) @ (..., k, n): as a row matrix
        if _should_fold(input, other):
            return _folded(input, other)
        out = apply(BMM, input.unsqueeze(0), other)
        return apply(UNSAFE_VIEW, out, shape=out._data.shape[:-2] + out._data.shape[-1:])
    if _should_fold(input, other):
        return _folded(input, other)
    if a.ndim == 3 and b.ndim == 3 and a.shape[0] != b.shape[0]:
        # a batch of one that needs a gradient: PyTorch drops its batch axis (and may fold)
        if a.shape[0] == 1 and input.requires_grad:
            return matmul(input.squeeze(0), other)
        if b.shape[0] == 1 and other.requires_grad:
            return matmul(input, other.squeeze(0))
    out = apply(BMM, input, other.unsqueeze(-1) if b.ndim == 1 else other)
    if b.ndim == 1:
        return apply(UNSAFE_VIEW, out, shape=out._data.shape[:-1])
    return apply(UNSAFE_VIEW, out, shape=out._data.shape)


def _should_fold(x, y) -> bool:
    """PyTorch's test for folding a batched operand against a matrix or vector into one
    2-d product (mm or mv) instead of a batched one: always when the smaller operand
    requires grad (its gradient is then one product, not a batch of them summed), else
    when the batch axes merge without a copy."""
    a, b = x._data, y._data
    larger = a.ndim >= b.ndim
    big, small = (a, b) if larger else (b, a)
    if not (big.ndim >= 3 and small.ndim <= 2):
        return False
    if (y if larger else x).requires_grad:
        return True
    if a.ndim == 2:  # the product would come out transposed: a copy to turn it back
        return False
    if big.size == 0:
        return True
    if type(big) is SymArray:  # an explicit graph: the strides eager chainrule would have
        big = symbolic_layout(x if larger else y)
    else:
        big = _backend.strided(big)  # (an adapter's arrays: their host view's layout)
    if big is None:  # not known, or a backend without memory layout: the batched product
        return False
    if not larger:  # the transposed batched operand: its last two axes swap
        shape, strides = big.shape[:-2] + big.shape[:-3:-1], big.strides[:-2] + big.strides[:-3:-1]
    else:
        shape, strides = big.shape, big.strides
    return all(strides[i] == strides[i + 1] * shape[i + 1] for i in range(big.ndim - 2))


def _folded(x, y):
    """The batched operand's leading axes merged into the rows of one mm (or mv); with the
    batched operand on the right, the product is taken transposed and turned back."""
    transpose = y._data.ndim > x._data.ndim
    t1 = y.mT if transpose else x
    t2 = (x.t() if x._data.ndim == 2 else x) if transpose else y
    k = t1._data.shape[-1]
    shape = t1._data.shape[:-1]
    flat = t1.reshape(math.prod(shape), k)  # (not -1: k may be 0)
    if t2._data.ndim == 2:
        out = apply(UNSAFE_VIEW, apply(MM, flat, t2), shape=shape + t2._data.shape[1:])
        return out.mT.contiguous() if transpose else out
    return apply(UNSAFE_VIEW, apply(MV, flat, t2), shape=shape)


# ------------------------------------------------ beta * input + alpha * (a product)
# PyTorch's BLAS-shaped functions: addmm (gemm), addmv (gemv), addr (ger), baddbmm and
# addbmm. Composites: the product is the table's mm / mv / outer / bmm, and the rest
# is add and mul, so their gradients are those rows' (the grad_fn is the last op's,
# AddBackward0, where PyTorch prints AddmmBackward0 and friends).

# the C++ type a Scalar is converted to in PyTorch's kernels (its overflow error names it)
_SCALAR_CPP = {
    "float32": "float",
    "float16": "float",
    "bfloat16": "float",
    "float64": "double",
    "int64": "int64_t",
    "int32": "int",
    "int16": "int16_t",
    "int8": "int8_t",
    "uint8": "uint8_t",
    "bool": "bool",
}
_FLOAT32_MAX = 3.4028234663852886e38


def _coefficient(v, name: str, dt, fn: str):
    """``beta`` or ``alpha`` as a number of the result's dtype ``dt`` (a backend dtype), as
    PyTorch converts a Scalar: truncated for integer results, except addr's, which refuses
    a float for them; a bool only for bool results (addr); a 0-d tensor gives its value."""
    if isinstance(v, TensorBase):
        v = v.item()
    if not isinstance(v, (int, float, complex)):
        raise TypeError(f"{fn}(): argument '{name}' must be Number, not {type_name(v)}")
    kind = dt.kind
    if fn == "addr":
        if isinstance(v, bool) and kind != "b":
            raise RuntimeError(f"Boolean {name} only supported for Boolean results.")
        if kind in "biu" and isinstance(v, (float, complex)):
            raise RuntimeError(
                f"For integral input tensors, argument {name} must not be a floating point number."
            )
    over = RuntimeError(
        f"value cannot be converted to type {_SCALAR_CPP.get(dt.name, dt.name)} without overflow"
    )
    if isinstance(v, complex):
        if v.imag != 0:
            raise over
        v = v.real
    if kind == "b":
        return bool(v)
    if kind in "iu":  # checked before truncating toward zero, as C++ converts
        bits = 8 * dt.itemsize
        if kind == "u":  # a negative number wraps round (two's complement)
            fits = -(2**bits) < v < 2**bits
        else:
            fits = -(2 ** (bits - 1)) <= v <= 2 ** (bits - 1) - 1
        if not fits:  # NaN too
            raise over
        return int(v) % 2**bits if kind == "u" else int(v)
    if dt.itemsize <= 4 and math.isfinite(v) and abs(v) > _FLOAT32_MAX:
        raise over
    return float(v)


def _zero_term(x):
    """Zeros shaped like x that still pass x a (zero) gradient: PyTorch's beta=0 ignores
    input, its NaN and inf included, but gives it a zero gradient, not None."""
    xp = namespace(x._data)
    never = xp.zeros((), dtype=x._data.dtype) != 0  # a 0-d False of x's backend
    return apply(WHERE, x, False if x._data.dtype.kind == "b" else 0, cond=never)


def _blend(input, shape: tuple, beta, alpha, product, mats, alpha_zero_drops: bool, add):
    """``beta * input + alpha * product()`` with PyTorch's special cases: beta == 0 ignores
    input (its NaN and inf too); alpha == 0 ignores the product where PyTorch's kernel does
    (``alpha_zero_drops``: addmm, addmv, addbmm; baddbmm and addr multiply by 0). input
    broadcasts to ``shape`` (the product's shape; checked by the caller)."""
    p = None
    if alpha != 0 or not alpha_zero_drops:
        p = product()
        if alpha != 1:
            p = p * alpha
    elif any(m._rg for m in mats):
        p = _zero_term(product())
    x = input if p is not None or tuple(input._data.shape) == shape else input.expand(shape)
    if beta != 0:
        x = x if beta == 1 else x * beta
    elif input._rg:
        x = _zero_term(x)
    else:
        x = None
    if p is not None:  # (``add``: the sum under the op's name, AddmmBackward0...)
        return p if x is None else apply(add, x, p)
    if x is None:  # both ignored
        return _zero_term(input.detach().expand(shape))
    return x.clone() if beta == 1 else x  # a new tensor, never input itself


def _fits(input, shape: tuple) -> None:
    """PyTorch's error for an input that does not broadcast to the result's shape (expand's)."""
    if tuple(input._data.shape) != shape:
        input.detach().expand(shape)


def _dim(t, d: int) -> int:
    """t's size at dim d, with PyTorch's error (a 0-d tensor has its own)."""
    if t._data.ndim == 0:
        raise IndexError(f"Dimension specified as {d} but tensor has no dimensions")
    return t.size(d)


def _addmm_checks(input, mat1, mat2) -> None:
    """addmm's dtype checks, in PyTorch's order (addbmm meets them in its first addmm)."""
    for who, a in (("self", input), ("mat1", mat1)):
        if a._data.dtype != mat2._data.dtype:
            raise RuntimeError(
                f"{who} and mat2 must have the same dtype, but got {a.dtype.title} and "
                f"{mat2.dtype.title}"
            )


def addmm(input, mat1, mat2, *, beta: float = 1, alpha: float = 1) -> Tensor:
    """``beta * input + alpha * (mat1 @ mat2)``, input broadcast to the product's shape.
    With ``beta=0`` input is ignored (NaN and inf in it too), as in PyTorch; all three
    tensors share one dtype.

    >>> import chainrule as torch
    >>> torch.addmm(torch.tensor([1.0, 2.0]), torch.ones(2, 3), torch.ones(3, 2), alpha=2)
    tensor([[7., 8.],
            [7., 8.]])
    """
    return _addmm(input, mat1, mat2, beta, alpha)


def _addmm(input, mat1, mat2, beta, alpha, method: str = ""):
    _tensors(method or "addmm", method, input, ("mat1", mat1), ("mat2", mat2))
    _addmm_checks(input, mat1, mat2)
    a, b = mat1._data, mat2._data
    for who, m in (("mat1", a), ("mat2", b)):
        if m.ndim != 2:
            raise RuntimeError(f"{who} must be a matrix, got {m.ndim}-D tensor")
    if a.shape[1] != b.shape[0]:
        raise RuntimeError(
            f"mat1 and mat2 shapes cannot be multiplied ({a.shape[0]}x{a.shape[1]} and "
            f"{b.shape[0]}x{b.shape[1]})"
        )
    shape = (a.shape[0], b.shape[1])
    _fits(input, shape)
    if a.dtype.kind == "b":
        raise NotImplementedError("\"addmm_impl_cpu_\" not implemented for 'Bool'")
    beta = _coefficient(beta, "beta", a.dtype, "addmm")
    alpha = _coefficient(alpha, "alpha", a.dtype, "addmm")
    return _blend(
        input, shape, beta, alpha, lambda: apply(MM, mat1, mat2), (mat1, mat2), True, ADDMM
    )


def addmv(input, mat, vec, *, beta: float = 1, alpha: float = 1) -> Tensor:
    """``beta * input + alpha * (mat @ vec)``: a matrix times a vector, plus a vector (or a
    number, or a one-element vector, broadcast). ``beta=0`` ignores input.

    >>> import chainrule as torch
    >>> torch.addmv(torch.tensor([1.0, 2.0]), torch.eye(2), torch.tensor([3.0, 4.0]))
    tensor([4., 6.])
    """
    return _addmv(input, mat, vec, beta, alpha)


def _addmv(input, mat, vec, beta, alpha, method: str = ""):
    _tensors(method or "addmv", method, input, ("mat", mat), ("vec", vec))
    s, m, v = input._data, mat._data, vec._data
    if not (m.ndim == 2 and v.ndim == 1 and s.ndim <= 1):
        raise RuntimeError(f"vector + matrix @ vector expected, got {s.ndim}, {m.ndim}, {v.ndim}")
    if m.shape[1] != v.shape[0] or (m.shape[0] != s.size and s.size != 1):
        raise RuntimeError(
            f"size mismatch, got input ({s.shape[0] if s.ndim else 1}), mat "
            f"({m.shape[0]}x{m.shape[1]}), vec ({v.shape[0]})"
        )
    if not s.dtype == m.dtype == v.dtype:
        raise RuntimeError(
            "addmv input tensors must have the same dtype, but got "
            f"{input.dtype.title}, {mat.dtype.title}, and {vec.dtype.title}"
        )
    if m.dtype.kind == "b":
        raise NotImplementedError("\"addmv_impl_cpu\" not implemented for 'Bool'")
    beta = _coefficient(beta, "beta", m.dtype, "addmv")
    alpha = _coefficient(alpha, "alpha", m.dtype, "addmv")
    return _blend(
        input, (m.shape[0],), beta, alpha, lambda: apply(MV, mat, vec), (mat, vec), True, ADDMV
    )


def addr(input, vec1, vec2, *, beta: float = 1, alpha: float = 1) -> Tensor:
    """``beta * input + alpha * outer(vec1, vec2)``: the outer product of two vectors plus
    a matrix (or anything that broadcasts to it). Unlike addmm, the dtypes promote; for
    bool tensors it is ``input or (vec1 and vec2)``. ``beta=0`` ignores input.

    >>> import chainrule as torch
    >>> torch.addr(torch.zeros(2, 2), torch.tensor([1.0, 2.0]), torch.tensor([1.0, 3.0]))
    tensor([[1., 3.],
            [2., 6.]])
    """
    return _addr(input, vec1, vec2, beta, alpha)


def _addr(input, vec1, vec2, beta, alpha, method: str = ""):
    _tensors(method or "addr", method, input, ("vec1", vec1), ("vec2", vec2))
    for who, v in (("vec1", vec1), ("vec2", vec2)):
        if v._data.ndim != 1:
            raise RuntimeError(f"addr: Expected 1-D argument {who}, but got {v._data.ndim}-D")
    shape = (vec1._data.shape[0], vec2._data.shape[0])
    _fits(input, shape)
    rt = promote_types(promote_types(input.dtype, vec1.dtype), vec2.dtype)
    beta = _coefficient(beta, "beta", rt.np, "addr")
    alpha = _coefficient(alpha, "alpha", rt.np, "addr")
    input, vec1, vec2 = (t if t.dtype == rt else t.to(rt) for t in (input, vec1, vec2))
    if rt.np.kind == "b":  # logical: (beta and input) or (alpha and vec1 and vec2)
        x = input.expand(shape)
        if not alpha:
            return x.clone() if beta else _zero_term(x)
        p = apply(OUTER, vec1, vec2)
        return x | p if beta else p
    return _blend(
        input, shape, beta, alpha, lambda: apply(OUTER, vec1, vec2), (vec1, vec2), False, ADDR
    )


def baddbmm(input, batch1, batch2, *, beta: float = 1, alpha: float = 1) -> Tensor:
    """``beta * input + alpha * bmm(batch1, batch2)``: batched matrix products, plus a
    tensor that broadcasts to their (b, n, p) shape. ``beta=0`` ignores input.

    >>> import chainrule as torch
    >>> torch.baddbmm(torch.ones(2, 1, 3), torch.ones(2, 2, 4), torch.ones(2, 4, 3)).shape
    torch.Size([2, 2, 3])
    """
    return _baddbmm(input, batch1, batch2, beta, alpha)


def _baddbmm(input, batch1, batch2, beta, alpha, method: str = ""):
    _tensors(method or "baddbmm", method, input, ("batch1", batch1), ("batch2", batch2))
    shape = (_dim(batch1, 0), _dim(batch1, 1), _dim(batch2, 2))
    _fits(input, shape)
    if input._data.dtype != batch1._data.dtype:
        raise RuntimeError(
            f"Input dtypes must be the same, got: input {_c_name(input)}, batch1: "
            f"{_c_name(batch1)}, batch2: {_c_name(batch2)}"
        )
    a, b = batch1._data, batch2._data
    for who, m in (("batch1", a), ("batch2", b)):
        if m.ndim != 3:
            raise RuntimeError(f"{who} must be a 3D tensor")
    if b.shape[:2] != (a.shape[0], a.shape[2]):
        raise RuntimeError(
            "Expected size for first two dimensions of batch2 tensor to be: "
            f"[{a.shape[0]}, {a.shape[2]}] but got: [{b.shape[0]}, {b.shape[1]}]."
        )
    _check_same(batch1, batch2, "bmm")
    if a.dtype.kind == "b":
        raise NotImplementedError("\"baddbmm\" not implemented for 'Bool'")
    beta = _coefficient(beta, "beta", a.dtype, "baddbmm")
    alpha = _coefficient(alpha, "alpha", a.dtype, "baddbmm")
    return _blend(
        input,
        shape,
        beta,
        alpha,
        lambda: apply(BMM, batch1, batch2),
        (batch1, batch2),
        False,
        BADDBMM,
    )


def addbmm(input, batch1, batch2, *, beta: float = 1, alpha: float = 1) -> Tensor:
    """``beta * input + alpha * sum_b batch1[b] @ batch2[b]``: batched matrix products
    summed over the batch, plus a tensor that broadcasts to (n, p); computed as one matrix
    product of the batches laid side by side. ``beta=0`` ignores input.

    >>> import chainrule as torch
    >>> torch.addbmm(torch.zeros(2, 3), torch.ones(4, 2, 5), torch.ones(4, 5, 3))
    tensor([[20., 20., 20.],
            [20., 20., 20.]])
    """
    return _addbmm(input, batch1, batch2, beta, alpha)


def _addbmm(input, batch1, batch2, beta, alpha, method: str = ""):
    _tensors(method or "addbmm", method, input, ("batch1", batch1), ("batch2", batch2))
    shape = (_dim(batch1, 1), _dim(batch2, 2))
    _fits(input, shape)
    a, b = batch1._data, batch2._data
    for who, m in (("batch1", a), ("batch2", b)):
        if m.ndim != 3:
            raise RuntimeError(f"{who} must be a 3D tensor")
    if a.shape[0] != b.shape[0]:
        raise RuntimeError(
            f"batch1 and batch2 must have same number of batches, got {a.shape[0]} and {b.shape[0]}"
        )
    if a.shape[2] != b.shape[1]:
        raise RuntimeError(
            f"Incompatible matrix sizes for bmm ({a.shape[1]}x{a.shape[2]} and "
            f"{b.shape[1]}x{b.shape[2]})"
        )
    if a.shape[0]:  # PyTorch meets the dtypes in its first addmm (none for no batches)
        _addmm_checks(input, batch1, batch2)
        if a.dtype.kind == "b":
            raise NotImplementedError("\"addmm_impl_cpu_\" not implemented for 'Bool'")
    beta = _coefficient(beta, "beta", input._data.dtype, "addbmm")
    alpha = _coefficient(alpha, "alpha", input._data.dtype, "addbmm")

    def product():  # the batches side by side: (n, b*k) @ (b*k, p), one mm
        n, k = a.shape[1], a.shape[0] * a.shape[2]
        lhs = batch1.permute(1, 0, 2).reshape(n, k)
        return apply(MM, lhs, batch2.reshape(k, b.shape[2]))

    if not a.shape[0]:  # no batches: beta * input, in input's dtype, as PyTorch
        return _blend(input, shape, beta, 0, product, (), True, ADDBMM)
    return _blend(input, shape, beta, alpha, product, (batch1, batch2), True, ADDBMM)


def _c_name(t) -> str:
    return CPP_NAMES.get(t.dtype.name, t.dtype.name)


def _inplace(self, r):
    """An in-place form (``addmm_``): the out-of-place result, written into self, which must
    have its shape and a dtype the result casts to (PyTorch's errors)."""
    if tuple(r._data.shape) != tuple(self._data.shape):
        raise RuntimeError(
            f"Bad in-place call: input tensor size {list(self._data.shape)} and output tensor "
            f"size {list(r._data.shape)} should match"
        )
    if _KIND[r._data.dtype.kind] > _KIND[self._data.dtype.kind]:
        raise RuntimeError(
            f"result type {r.dtype.title} can't be cast to the desired output type "
            f"{self.dtype.title}"
        )
    return self.copy_(r)


_KIND = {"b": 0, "u": 1, "i": 1, "f": 2, "c": 3}


def _tensors(name: str, method: str, input, *named) -> None:
    """PyTorch's parser error for an operand that is not a Tensor: positions count from 1,
    self not counted in a method (``x.addmm(m1, m2)``: m1 is position 1)."""
    first = [] if method else [("input", 1, input)]
    tensors_only(
        name, *first, *((who, k + 2 - bool(method), v) for k, (who, v) in enumerate(named))
    )


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

    def addmm(self, mat1, mat2, *, beta: float = 1, alpha: float = 1) -> Tensor:
        """beta * self + alpha * (mat1 @ mat2) (see ``torch.addmm``)."""
        return _addmm(self, mat1, mat2, beta, alpha, "addmm")

    def addmm_(self, mat1, mat2, *, beta: float = 1, alpha: float = 1) -> Tensor:
        """In place: self = beta * self + alpha * (mat1 @ mat2).

        >>> import chainrule as torch
        >>> x = torch.ones(2, 2)
        >>> x.addmm_(torch.eye(2), torch.eye(2), beta=2)
        tensor([[3., 2.],
                [2., 3.]])
        """
        return _inplace(self, _addmm(self, mat1, mat2, beta, alpha, "addmm_"))

    def addmv(self, mat, vec, *, beta: float = 1, alpha: float = 1) -> Tensor:
        """beta * self + alpha * (mat @ vec) (see ``torch.addmv``)."""
        return _addmv(self, mat, vec, beta, alpha, "addmv")

    def addmv_(self, mat, vec, *, beta: float = 1, alpha: float = 1) -> Tensor:
        """In place: self = beta * self + alpha * (mat @ vec).

        >>> import chainrule as torch
        >>> torch.zeros(2).addmv_(torch.eye(2), torch.tensor([1.0, 2.0]), alpha=3)
        tensor([3., 6.])
        """
        return _inplace(self, _addmv(self, mat, vec, beta, alpha, "addmv_"))

    def addr(self, vec1, vec2, *, beta: float = 1, alpha: float = 1) -> Tensor:
        """beta * self + alpha * outer(vec1, vec2) (see ``torch.addr``)."""
        return _addr(self, vec1, vec2, beta, alpha, "addr")

    def addr_(self, vec1, vec2, *, beta: float = 1, alpha: float = 1) -> Tensor:
        """In place: self = beta * self + alpha * outer(vec1, vec2); self must be the
        outer product's shape, and of a dtype the result casts to.

        >>> import chainrule as torch
        >>> torch.ones(2, 2).addr_(torch.tensor([1.0, 2.0]), torch.tensor([1.0, 0.0]))
        tensor([[2., 1.],
                [3., 1.]])
        """
        _tensors("addr_", "addr_", self, ("vec1", vec1), ("vec2", vec2))
        for who, v in (("vec1", vec1), ("vec2", vec2)):
            if v._data.ndim != 1:
                raise RuntimeError(f"addr: Expected 1-D argument {who}, but got {v._data.ndim}-D")
        if self._data.ndim != 2:
            raise RuntimeError(f"2D tensor expected, got {self._data.ndim}D tensor for input")
        if self._data.shape != (vec1._data.shape[0], vec2._data.shape[0]):
            raise RuntimeError(
                f"size mismatch, input: {list(self._data.shape)}, v1: [{vec1._data.shape[0]}], "
                f"v2: [{vec2._data.shape[0]}]"
            )
        return _inplace(self, _addr(self, vec1, vec2, beta, alpha, "addr_"))

    def baddbmm(self, batch1, batch2, *, beta: float = 1, alpha: float = 1) -> Tensor:
        """beta * self + alpha * bmm(batch1, batch2) (see ``torch.baddbmm``)."""
        return _baddbmm(self, batch1, batch2, beta, alpha, "baddbmm")

    def baddbmm_(self, batch1, batch2, *, beta: float = 1, alpha: float = 1) -> Tensor:
        """In place: self = beta * self + alpha * bmm(batch1, batch2).

        >>> import chainrule as torch
        >>> torch.ones(2, 1, 1).baddbmm_(torch.ones(2, 1, 3), torch.ones(2, 3, 1)).flatten()
        tensor([4., 4.])
        """
        return _inplace(self, _baddbmm(self, batch1, batch2, beta, alpha, "baddbmm_"))

    def addbmm(self, batch1, batch2, *, beta: float = 1, alpha: float = 1) -> Tensor:
        """beta * self + alpha * (the sum over b of batch1[b] @ batch2[b]) (see
        ``torch.addbmm``)."""
        return _addbmm(self, batch1, batch2, beta, alpha, "addbmm")

    def addbmm_(self, batch1, batch2, *, beta: float = 1, alpha: float = 1) -> Tensor:
        """In place: self = beta * self + alpha * (the sum over b of batch1[b] @ batch2[b]).

        >>> import chainrule as torch
        >>> torch.zeros(1, 1).addbmm_(torch.ones(3, 1, 2), torch.ones(3, 2, 1), beta=0)
        tensor([[6.]])
        """
        return _inplace(self, _addbmm(self, batch1, batch2, beta, alpha, "addbmm_"))

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
