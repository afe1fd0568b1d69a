"""torch.linalg's inverses, determinants, solves and decompositions: PyTorch's argument
checks and errors, return types, and the rows of ``ops/linalg.py`` they run. Re-exported
by ``chainrule.linalg``; ``torch.inverse``/``det``/``logdet``/``slogdet`` and the Tensor
methods of those names use them too.

>>> import chainrule as torch
>>> torch.linalg.inv(torch.eye(2) * 2)
tensor([[0.5000, 0.0000],
        [0.0000, 0.5000]])
"""

from __future__ import annotations

import warnings
from collections import namedtuple

from .. import backend as _backend
from .._state import LinAlgError
from ..ops.apply import apply, complex_refusal
from ..ops.linalg import (
    CHOLESKY,
    CHOLESKY_DEPRECATED,
    DET,
    EIG_VECTORS,
    EIGH_VECTORS,
    EIGVALS,
    EIGVALSH,
    INV,
    QR_Q,
    QR_R,
    SLOGDET,
    SLOGDET_SIGN,
    SOLVE,
    SVD_U,
    SVD_VH,
    _not_pd_order,
    _zero_pivot,
)
from ..ops.reduction import SVDVALS
from . import elementwise as E


def _return_type(name, fields):
    """A named tuple that prints as ``torch.return_types.<name>``."""
    base = namedtuple(name, fields)

    def __repr__(self):
        body = ",\n".join(f"{f}={v!r}" for f, v in zip(fields, self, strict=True))
        return f"torch.return_types.{name}(\n{body})"

    return type(name, (base,), {"__slots__": (), "__repr__": __repr__})


inv_ex_type = _return_type("linalg_inv_ex", ["inverse", "info"])
cholesky_ex_type = _return_type("linalg_cholesky_ex", ["L", "info"])
slogdet_type = _return_type("linalg_slogdet", ["sign", "logabsdet"])
_top_slogdet_type = _return_type("slogdet", ["sign", "logabsdet"])
eigh_type = _return_type("linalg_eigh", ["eigenvalues", "eigenvectors"])
eig_type = _return_type("linalg_eig", ["eigenvalues", "eigenvectors"])
qr_type = _return_type("linalg_qr", ["Q", "R"])
svd_type = _return_type("linalg_svd", ["U", "S", "Vh"])


def _square(A, name: str) -> None:
    """PyTorch's checks of a batch of square matrices of a floating dtype."""
    d = A._data
    if d.ndim < 2:
        raise RuntimeError(f"{name}: The input tensor A must have at least 2 dimensions.")
    if d.shape[-1] != d.shape[-2]:
        raise RuntimeError(
            f"{name}: A must be batches of square matrices, but they are {d.shape[-2]} by "
            f"{d.shape[-1]} matrices"
        )
    _floating(A, name)


# PyTorch's CPU kernel behind each function, named in its error for float16/bfloat16
_KERNELS = {
    "linalg.det": "lu_cpu",
    "linalg.solve": "lu_cpu",
    "linalg.cholesky": "cholesky_cpu",
    "cholesky": "cholesky_cpu",
    "linalg.eigh": "linalg_eigh_cpu",
    "linalg.qr": "geqrf_cpu",
    "linalg.svd": "linalg_svd_cpu",
}


def _floating(A, name: str, complex_ok: bool = False) -> None:
    """A floating dtype of single precision or more (LAPACK's), with PyTorch's errors;
    complex dtypes where ``complex_ok`` (else chainrule's refusal: not opened to them yet)."""
    dt = A._data.dtype
    if dt.kind == "c":
        if complex_ok:
            return
        raise complex_refusal(name, A.dtype.title)
    if dt.kind != "f":
        raise RuntimeError(
            f"{name}: Expected a floating point or complex tensor as input. Got {A.dtype.title}"
        )
    if dt.itemsize < 4:
        kernel = _KERNELS.get(name)
        if kernel is not None:
            raise NotImplementedError(f"\"{kernel}\" not implemented for '{A.dtype.title}'")
        raise RuntimeError(f"{name}: Low precision dtypes not supported. Got {A.dtype.title}")


def inv(A):
    """The inverse of a square matrix (or of each in a batch). A singular matrix raises
    ``LinAlgError`` with PyTorch's text (the first zero pivot of its LU factorization);
    a nearly singular one gives large numbers, as LAPACK does.

    >>> import chainrule as torch
    >>> torch.linalg.inv(torch.tensor([[2.0, 0.0], [0.0, 4.0]]))
    tensor([[0.5000, 0.0000],
            [0.0000, 0.2500]])
    """
    _square(A, "linalg.inv")
    return apply(INV, A)


def det(A):
    """The determinant of a square matrix (or of each in a batch). Its gradient (Jacobi's
    formula, det(A) A^-T) needs A invertible: at a singular A it raises (PyTorch gives
    zeros there, though the adjugate is not zero).

    >>> import chainrule as torch
    >>> torch.linalg.det(torch.tensor([[2.0, 1.0], [0.0, 3.0]]))
    tensor(6.)
    """
    _square(A, "linalg.det")
    return apply(DET, A)


def slogdet(A):
    """(sign, logabsdet) of det(A), a named tuple as PyTorch's: the sign (0 for a singular
    matrix, its gradient zero) and log|det A| (-inf for a singular matrix; its gradient
    A^-T needs A invertible: at a singular A it raises, where PyTorch gives infinities).

    >>> import chainrule as torch
    >>> torch.linalg.slogdet(torch.tensor([[0.0, 2.0], [3.0, 0.0]])).sign
    tensor(-1.)
    """
    return _slogdet(A, "linalg.slogdet")


def _slogdet(A, name, rtype=slogdet_type):
    _square(A, name)
    return rtype(apply(SLOGDET_SIGN, A), apply(SLOGDET, A))


def top_slogdet(A):
    """torch.slogdet: linalg.slogdet, returned as ``torch.return_types.slogdet``."""
    return _slogdet(A, "linalg.slogdet", _top_slogdet_type)


def logdet(A):
    """log det A: log|det A| where det A > 0, NaN where it is negative, -inf at 0 (PyTorch's
    torch.logdet, a ``where`` over slogdet).

    >>> import chainrule as torch
    >>> torch.logdet(torch.eye(3) * 2)
    tensor(2.0794)
    """
    sign, logabs = _slogdet(A, "logdet")
    return E.where(sign < 0, float("nan"), logabs)


def solve(A, B, *, left: bool = True):
    """X with A X = B for a square invertible A: B a batch of matrices (..., n, k), or of
    vectors (..., n) when B is 1-d or has A's shape less its last dim (PyTorch's rule);
    batch dims broadcast. ``left=False`` (X A = B) is not implemented.

    >>> import chainrule as torch
    >>> torch.linalg.solve(torch.tensor([[2.0, 0.0], [0.0, 4.0]]), torch.tensor([1.0, 1.0]))
    tensor([0.5000, 0.2500])
    """
    if not left:
        raise NotImplementedError("chainrule's linalg.solve supports left=True only")
    _square(A, "linalg.solve")
    a, b = A._data, B._data
    if a.dtype != b.dtype:
        raise RuntimeError(
            "linalg.solve: Expected A and B to have the same dtype, but found A of type "
            f"{A.dtype.title} and B of type {B.dtype.title} instead"
        )
    n = a.shape[-1]
    vec = b.ndim == 1 or (b.ndim == a.ndim - 1 and b.shape == a.shape[:-1])
    if (vec and b.shape[-1] != n) or (not vec and (b.ndim < 2 or b.shape[-2] != n)):
        rows, cols = (b.shape[-1], 1) if vec or b.ndim < 2 else b.shape[-2:]
        raise RuntimeError(
            f"linalg.solve: Incompatible shapes of A and B for the equation AX = B "
            f"({n}x{n} and {rows}x{cols})"
        )
    return apply(SOLVE, A, B, vec=vec)


def cholesky(A, *, upper: bool = False):
    """The Cholesky factor of a symmetric positive-definite matrix (or batch): lower L with
    A = L L^T, or with ``upper=True`` U = L^T (A = U^T U). Only one triangle of A is read
    (the lower; the upper with ``upper=True``); the gradient is symmetric, as PyTorch's.
    A matrix that is not positive-definite raises ``LinAlgError`` with PyTorch's text.

    >>> import chainrule as torch
    >>> torch.linalg.cholesky(torch.tensor([[4.0, 2.0], [2.0, 2.0]]))
    tensor([[2., 0.],
            [1., 1.]])
    """
    _square(A, "linalg.cholesky")
    return apply(CHOLESKY, A, upper=bool(upper))


def _uplo(UPLO: str) -> str:
    if not isinstance(UPLO, str) or UPLO.upper() not in ("L", "U"):
        raise RuntimeError(f"Expected UPLO argument to be 'L' or 'U', but got {UPLO}")
    return UPLO.upper()


def _eigh_checks(A, name, UPLO):
    uplo = _uplo(UPLO)
    d = A._data
    if d.ndim >= 2 and d.shape[-1] == d.shape[-2] and d.dtype.kind != "f":
        raise NotImplementedError(f"\"linalg_eigh_cpu\" not implemented for '{A.dtype.title}'")
    _square(A, "linalg.eigh")
    return uplo


def eigh(A, UPLO: str = "L"):
    """Eigenvalues (ascending) and orthonormal eigenvectors (the columns) of a symmetric
    matrix (or batch), a named tuple as PyTorch's. Only one triangle of A is read (the
    lower, or the upper with ``UPLO='U'``); the gradient is symmetric, as PyTorch's. The
    eigenvectors' gradient assumes distinct eigenvalues (at a tie it is inf or NaN, as in
    PyTorch), and each eigenvector's sign is LAPACK's choice (a loss should not depend on
    it). The two outputs are two rows of the table: the forward decomposes A once for each.

    >>> import chainrule as torch
    >>> torch.linalg.eigh(torch.tensor([[2.0, 0.0], [0.0, 1.0]])).eigenvalues
    tensor([1., 2.])
    """
    uplo = _eigh_checks(A, "linalg.eigh", UPLO)
    return eigh_type(apply(EIGVALSH, A, uplo=uplo), apply(EIGH_VECTORS, A, uplo=uplo))


def _eig_checks(A, name: str = "linalg.eig") -> None:
    d = A._data
    if d.dtype.kind in "biu":  # PyTorch asks for the complex type of the input's first
        raise RuntimeError(f"Unknown Complex ScalarType for {A.dtype.title}")
    if d.ndim < 2:
        raise RuntimeError(f"{name}: The input tensor A must have at least 2 dimensions.")
    if d.shape[-1] != d.shape[-2]:
        raise RuntimeError(
            f"{name}: A must be batches of square matrices, but they are {d.shape[-2]} by "
            f"{d.shape[-1]} matrices"
        )
    if d.dtype.kind == "f" and d.dtype.itemsize < 4:
        raise NotImplementedError(f"\"linalg_eig_out_cpu\" not implemented for '{A.dtype.title}'")


def eig(A):
    """Eigenvalues and eigenvectors (the columns) of a square matrix (or batch), as complex
    tensors (complex64 for float32 input, complex128 for float64), a named tuple as
    PyTorch's. LAPACK's geev computes them, as in PyTorch: the same order, each
    eigenvector of unit norm with LAPACK's phase. Gradients are PyTorch's, for distinct
    eigenvalues; a loss that depends on the eigenvectors' phases (say ``V.real.sum()``)
    refuses backward, as there (``V.abs()``, ``L``, ``A @ V`` are fine). Each output is a
    row of the table: the forward decomposes A once for each.

    >>> import chainrule as torch
    >>> torch.linalg.eig(torch.tensor([[2, 1], [2, 3]], dtype=torch.float64))
    torch.return_types.linalg_eig(
    eigenvalues=tensor([1.+0.j, 4.+0.j], dtype=torch.complex128),
    eigenvectors=tensor([[-0.7071+0.j, -0.4472+0.j],
            [ 0.7071+0.j, -0.8944+0.j]], dtype=torch.complex128))
    """
    _eig_checks(A)
    return eig_type(apply(EIGVALS, A), apply(EIG_VECTORS, A))


def eigvals(A):
    """The eigenvalues of a square matrix (or batch), complex (see ``eig``).

    >>> import chainrule as torch
    >>> torch.linalg.eigvals(torch.tensor([[0.0, -1.0], [1.0, 0.0]]))
    tensor([0.+1.j, 0.-1.j])
    """
    _eig_checks(A, "linalg.eigvals")
    return apply(EIGVALS, A)


def eigvalsh(A, UPLO: str = "L"):
    """The eigenvalues of a symmetric matrix (or batch), ascending (see ``eigh``).

    >>> import chainrule as torch
    >>> torch.linalg.eigvalsh(torch.tensor([[2.0, 1.0], [1.0, 2.0]]))
    tensor([1., 3.])
    """
    uplo = _eigh_checks(A, "linalg.eigh", UPLO)
    return apply(EIGVALSH, A, uplo=uplo)


def qr(A, mode: str = "reduced"):
    """A = Q R, Q with orthonormal columns and R upper triangular, a named tuple as
    PyTorch's. ``mode``: 'reduced' (Q m x k, R k x n, k = min(m, n)), 'complete' (Q m x m,
    R m x n) or 'r' (R only; Q is empty). Gradients as PyTorch's, for A whose first
    min(m, n) columns have full rank; 'complete' with m > n and 'r' raise PyTorch's errors
    in backward. Q and R are two rows of the table: the forward factors A once for each.

    >>> import chainrule as torch
    >>> torch.linalg.qr(torch.tensor([[3.0, 0.0], [4.0, 5.0]])).R.abs()
    tensor([[5., 4.],
            [0., 3.]])
    """
    if mode not in ("reduced", "complete", "r"):
        raise RuntimeError(
            f"qr received unrecognized mode '{mode}' but expected one of 'reduced' (default), "
            "'r', or 'complete'"
        )
    d = A._data
    if d.ndim < 2:
        raise RuntimeError("linalg.qr: The input tensor A must have at least 2 dimensions.")
    _floating(A, "linalg.qr")
    r = apply(QR_R, A, mode=mode)
    if mode == "r":
        q = A._new(_backend.namespace(d).zeros((0,), dtype=d.dtype))
    else:
        q = apply(QR_Q, A, mode=mode)
    return qr_type(q, r)


def svd(A, full_matrices: bool = True, *, driver=None):
    """A = U diag(S) Vh, singular values descending, a named tuple as PyTorch's.
    ``full_matrices=True`` (the default) gives square U (m x m) and Vh (n x n); False the
    thin factors (k = min(m, n) columns of U, rows of Vh). Gradients as PyTorch's: they
    assume distinct non-zero singular values; with full_matrices=True only the first k
    columns of U (rows of Vh) carry one (as PyTorch), and forward mode needs
    full_matrices=False unless A is square. Each singular vector's sign is LAPACK's
    choice: a loss should depend on U and Vh only through sign-invariant terms (PyTorch
    checks this for complex inputs only; chainrule has none). U, S and Vh are three rows
    of the table: the forward decomposes A once for each. ``driver`` is ignored (CUDA).

    >>> import chainrule as torch
    >>> torch.linalg.svd(torch.tensor([[3.0, 0.0], [0.0, -2.0]])).S
    tensor([3., 2.])
    """
    d = A._data
    if d.ndim < 2:
        raise RuntimeError("linalg.svd: The input tensor A must have at least 2 dimensions.")
    _floating(A, "linalg.svd")
    full = bool(full_matrices)
    return svd_type(apply(SVD_U, A, full=full), apply(SVDVALS, A), apply(SVD_VH, A, full=full))


# ----------------------------------------- torch.svd, torch.qr, torch.cholesky (older API)
_svd_old_type = _return_type("svd", ["U", "S", "V"])
_qr_old_type = _return_type("qr", ["Q", "R"])
_warned: set = set()


def _deprecated(name: str, text: str) -> None:
    """PyTorch's deprecation warning, once per process (as its TORCH_WARN_ONCE)."""
    if name not in _warned:
        _warned.add(name)
        warnings.warn(text, UserWarning, stacklevel=3)


def top_svd(input, some: bool = True, compute_uv: bool = True):
    """torch.svd: (U, S, V) with V = Vh^T (not Vh), thin unless ``some=False``; with
    ``compute_uv=False`` U and V are zeros of the full sizes, as PyTorch's.

    >>> import chainrule as torch
    >>> torch.svd(torch.tensor([[3.0, 0.0], [0.0, -2.0]])).S
    tensor([3., 2.])
    """
    if not compute_uv:
        d = input._data
        if d.ndim < 2:
            raise RuntimeError("linalg.svd: The input tensor A must have at least 2 dimensions.")
        _floating(input, "linalg.svd")
        xp = _backend.namespace(d)
        m, n = d.shape[-2:]
        zeros = lambda k: input._new(xp.zeros(d.shape[:-2] + (k, k), dtype=d.dtype))  # noqa: E731
        return _svd_old_type(zeros(m), apply(SVDVALS, input), zeros(n))
    u, s, vh = svd(input, full_matrices=not some)
    return _svd_old_type(u, s, vh.mT)


def top_qr(input, some: bool = True):
    """torch.qr (deprecated): ``linalg.qr(A, 'reduced' if some else 'complete')``."""
    _deprecated(
        "qr",
        "torch.qr is deprecated in favor of torch.linalg.qr and will be removed in a future "
        "PyTorch release.\nThe boolean parameter 'some' has been replaced with a string "
        "parameter 'mode'.\nQ, R = torch.qr(A, some)\nshould be replaced with\nQ, R = "
        "torch.linalg.qr(A, 'reduced' if some else 'complete')",
    )
    return _qr_old_type(*qr(input, "reduced" if some else "complete"))


def top_cholesky(input, upper: bool = False):
    """torch.cholesky (deprecated): ``linalg.cholesky``, its node ``CholeskyBackward0``."""
    _deprecated(
        "cholesky",
        "torch.cholesky is deprecated in favor of torch.linalg.cholesky and will be removed "
        "in a future PyTorch release.\nL = torch.cholesky(A)\nshould be replaced with\nL = "
        "torch.linalg.cholesky(A)\nand\nU = torch.cholesky(A, upper=True)\nshould be "
        "replaced with\nU = torch.linalg.cholesky(A).mH\nThis transform will produce "
        "equivalent results for all valid (symmetric positive definite) inputs.",
    )
    d = input._data
    if d.ndim >= 2 and d.shape[-1] == d.shape[-2] and d.dtype.kind != "f":
        raise NotImplementedError(f"\"cholesky_cpu\" not implemented for '{input.dtype.title}'")
    _square(input, "cholesky")
    return apply(CHOLESKY_DEPRECATED, input, upper=bool(upper))  # (its error names cholesky)


# ------------------------------------------------------------------ inv_ex, cholesky_ex
def _infos(A, test):
    """LAPACK's info per matrix of A (int32, A's batch shape): ``test``'s code."""
    d = A._data
    xp = _backend.namespace(d)
    flat = d.reshape((-1,) + tuple(d.shape[-2:]))
    info = xp.asarray([test(xp, flat[i]) for i in range(flat.shape[0])], dtype=xp.int32)
    return info.reshape(d.shape[:-2])


def _ex(A, prim, name, check_errors, test, **params):
    """(result, info): the row's result where it succeeds; NaN matrices where LAPACK
    fails (PyTorch leaves LAPACK's partial values there), ``info`` their codes."""
    d = A._data
    xp = _backend.namespace(d)
    try:
        out = apply(prim, A, **params)
    except LinAlgError as e:
        if check_errors:
            raise LinAlgError(str(e).replace(f"{name}:", f"{name}_ex:", 1)) from None
        info = _infos(A, test)
        bad = A._new(info[..., None, None] != 0)
        eye = A._new(xp.eye(d.shape[-1], dtype=d.dtype))
        out = E.where(bad, float("nan"), apply(prim, E.where(bad, eye, A), **params))
        return out, A._new(info)
    return out, A._new(xp.zeros(d.shape[:-2], dtype=xp.int32))


def inv_ex(A, *, check_errors: bool = False):
    """(inverse, info) as PyTorch's: info 0 where A is invertible, else the 1-based index
    of the first zero pivot of its LU factorization; with ``check_errors`` a singular A
    raises. Where info > 0 the inverse is NaN (PyTorch's holds LAPACK's partial values).

    >>> import chainrule as torch
    >>> torch.linalg.inv_ex(torch.tensor([[1.0, 2.0], [2.0, 4.0]])).info
    tensor(2, dtype=torch.int32)
    """
    _square(A, "linalg.inv")
    return inv_ex_type(*_ex(A, INV, "linalg.inv", check_errors, _zero_pivot))


def cholesky_ex(A, *, upper: bool = False, check_errors: bool = False):
    """(L, info) as PyTorch's: info 0 where A is positive-definite, else the order of its
    first leading minor that is not; with ``check_errors`` such an A raises. Where info > 0
    L is NaN (PyTorch's holds LAPACK's partial factor).

    >>> import chainrule as torch
    >>> torch.linalg.cholesky_ex(torch.tensor([[1.0, 2.0], [2.0, 1.0]])).info
    tensor(2, dtype=torch.int32)
    """
    _square(A, "linalg.cholesky")
    upper = bool(upper)

    def order(xp, a):  # the triangle the factorization reads
        return _not_pd_order(xp, a.T if upper else a)

    out, info = _ex(A, CHOLESKY, "linalg.cholesky", check_errors, order, upper=upper)
    return cholesky_ex_type(out, info)
