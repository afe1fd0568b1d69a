"""THE TABLE, part 5: linear algebra. dot, mv, mm, outer, batched matmul; inv, det,
slogdet, solve, cholesky (and the factorizations after them); triangular solves.

For Y = X W the rules are the textbook's: dX = G W^T, dW = X^T G (reverse), and
dY = dX W + X dW (forward: each jvp rule is the product with one factor's tangent).
Batched inputs broadcast over the leading dims; the engine sums the gradient back
(``sum_to``). Gradients and tangents may carry leading batch axes (``batch``): products
are written over the last axes (matmul, ``[..., None]``) so that those axes ride along.

The PyTorch-named functions (``matmul``'s dispatch on dims, the shape errors) are in
``chainrule.functions.linalg``.
"""

from __future__ import annotations

from .. import backend as _backend
from .._state import LinAlgError
from .apply import apply
from .primitive import PASS, complex_as_is, defop, holomorphic
from .reduction import _batch_index, _finite_matrices
from .symbolic import is_symbolic


def _lift(ns, s, batch):
    # a batch of scalars (or vectors) against a vector: one more trailing axis to broadcast
    return s if not batch else ns.expand_dims(s, -1)


def _times(g, v):
    # dot's gradient g v: g is one scalar, or a batch of them (B,) to pair with v (n,) as
    # (B, 1) (g's own shape is (), so any axis it has is a batch axis)
    return g * v if g.ndim == 0 else g[..., None] * v


# dot: x . y -> (g y, g x); tangent: t . y, x . t
DOT = defop(
    "dot",
    lambda xp, x, y: xp.dot(x, y),
    (lambda g, y: _times(g, y), lambda g, x: _times(g, x)),
    jvp=(lambda ns, t, y: ns.matmul(t, y), lambda ns, t, x: ns.matmul(t, x)),
)
# mv: X y -> (g y^T, X^T g = g X); tangent: T y, X t
MV = defop(
    "mv",
    lambda xp, x, y: xp.matmul(x, y),
    (lambda g, y: g[..., None] * y, lambda ns, g, x: ns.matmul(g, x)),
    jvp=(
        lambda ns, t, y: ns.matmul(t, y),
        lambda ns, t, x, batch: (
            ns.matmul(x, t) if not batch else ns.matmul(t, ns.swapaxes(x, 0, 1))
        ),
    ),
)
# mm: X Y -> (G Y^T, X^T G); tangent: T Y, X T
MM = defop(
    "mm",
    lambda xp, x, y: xp.matmul(x, y),
    # x and y are 2-d (arrays or Tensors alike): .T, one call fewer than ns.swapaxes
    (lambda ns, g, y: ns.matmul(g, y.T), lambda ns, g, x: ns.matmul(x.T, g)),
    jvp=(lambda ns, t, y: ns.matmul(t, y), lambda ns, t, x: ns.matmul(x, t)),
)
# outer: x y^T -> (G y, x^T G); tangent: t y^T, x t^T
OUTER = defop(
    "outer",
    lambda xp, x, y: xp.outer(x, y),
    (lambda ns, g, y: ns.matmul(g, y), lambda ns, g, x: ns.matmul(x, g)),
    promote=True,
    jvp=(
        lambda ns, t, y, batch: ns.outer(t, y) if not batch else _lift(ns, t, batch) * y,
        lambda ns, t, x, batch: (
            ns.outer(x, t) if not batch else ns.expand_dims(x, -1) * ns.expand_dims(t, -2)
        ),
    ),
)


# batched matmul (broadcasting): the same as mm over the last two axes
BMM = defop(
    "bmm",
    lambda xp, x, y: xp.matmul(x, y),
    (
        lambda ns, g, y: ns.matmul(g, ns.swapaxes(y, -1, -2)),
        lambda ns, g, x: ns.matmul(ns.swapaxes(x, -1, -2), g),
    ),
    grad_fn="BmmBackward0",
    promote=True,
    broadcast=True,
    jvp=(lambda ns, t, y: ns.matmul(t, y), lambda ns, t, x: ns.matmul(x, t)),
)


# ------------------------------------------------------------ factorizations and solves
# Matrices are the last two axes; every rule below is written with matmul, swapaxes and
# ns.inv / ns.solve over those axes, so leading axes (a batch of matrices, and the batch
# axes a gradient or tangent may carry) ride along by broadcasting. The rules name the
# op's output (``out``), so under create_graph they differentiate through the recorded
# result and are themselves differentiable (the inverse inside them is the INV row).


def _mT(ns, a):
    return ns.swapaxes(a, -1, -2)


def _first_bad(xp, x, test):
    """(batch index, test's code) of the first matrix of x for which ``test`` is non-zero,
    or None. Only on the error path: a Python loop over the matrices."""
    flat = x.reshape((-1,) + tuple(x.shape[-2:]))
    for b in range(flat.shape[0]):
        k = test(xp, flat[b])
        if k:
            return b, k
    return None


def _zero_pivot(xp, a):
    """1-based index of the first exactly zero pivot of a's LU factorization with partial
    pivoting (LAPACK getrf's ``info``), 0 when there is none."""
    a = xp.array(a, dtype=xp.float64, copy=True)
    n = a.shape[-1]
    for j in range(n):
        p = j + int(xp.argmax(xp.abs(a[j:, j])))
        if a[p, j] == 0:
            return j + 1
        if p != j:
            a[[j, p]] = a[[p, j]]
        a[j + 1 :, j] /= a[j, j]
        a[j + 1 :, j + 1 :] -= xp.outer(a[j + 1 :, j], a[j, j + 1 :])
    return 0


def _not_pd_order(xp, a):
    """Order of the first leading minor of a (its lower triangle read) that is not
    positive-definite (LAPACK potrf's ``info``), 0 when there is none."""
    n = a.shape[-1]
    low = xp.zeros((n, n), dtype=xp.float64)
    for j in range(n):
        d = float(a[j, j]) - float((low[j, :j] ** 2).sum())
        if not d > 0:  # also NaN
            return j + 1
        low[j, j] = d**0.5
        for i in range(j + 1, n):
            low[i, j] = (float(a[i, j]) - float((low[i, :j] * low[j, :j]).sum())) / low[j, j]
    return 0


def _prefix(x, b):
    return f"(Batch element {b}): " if x.ndim > 2 else ""


def _singular_error(xp, x, fn: str) -> LinAlgError:
    bad = _first_bad(xp, x, _zero_pivot) or (0, x.shape[-1])
    b, k = bad
    if fn == "solve":
        return LinAlgError(
            f"torch.linalg.solve: {_prefix(x, b)}The solver failed because the input matrix "
            "is singular."
        )
    return LinAlgError(
        f"linalg.inv: {_prefix(x, b)}The diagonal element {k} is zero, the inversion could "
        "not be completed because the input matrix is singular."
    )


def _nan_where(xp, x):
    """(mask of the matrices of x holding a NaN, x with those zeroed), or (None, x)."""
    bad = xp.any(xp.isnan(x), axis=(-2, -1))
    if not bad.any():
        return None, x
    return bad, xp.where(bad[..., None, None], 0, x)


def _inv_fwd(xp, x):
    try:
        return xp.linalg.inv(x)
    except xp.linalg.LinAlgError:
        bad, x0 = _nan_where(xp, x)  # a NaN matrix gives NaN (as PyTorch), not an error
        if bad is not None:
            return xp.where(
                bad[..., None, None],
                xp.nan,
                _inv_fwd(xp, x0 + xp.eye(x.shape[-1], dtype=x.dtype) * bad[..., None, None]),
            )
        raise _singular_error(xp, x, "inv") from None


# inv: X^-1 -> -X^-T G X^-T; tangent: -X^-1 T X^-1
INV = defop(
    "inv",
    _inv_fwd,
    lambda ns, g, out: -ns.matmul(_mT(ns, out), ns.matmul(g, _mT(ns, out))),
    grad_fn="LinalgInvExBackward0",
    jvp=lambda ns, t, out: -ns.matmul(out, ns.matmul(t, out)),
    kink="invertible matrices only (the inverse of a singular matrix raises)",
)


def _scale(ns, s, m):
    # a batch of numbers s (...) times a batch of matrices m (..., n, n)
    return ns.expand_dims(ns.expand_dims(s, -1), -1) * m


def _trace_inv(ns, t, x):
    # tr(X^-1 T) = sum(X^-T * T): the derivative of log|det X| along T
    return ns.sum(_mT(ns, ns.inv(x)) * t, axis=(-2, -1))


# det: det X -> g det X X^-T (Jacobi's formula); tangent: det X tr(X^-1 T)
def _det_fwd(xp, x):
    d = xp.linalg.det(x)
    bad = xp.any(xp.isnan(x), axis=(-2, -1))  # LAPACK's LU may not see a NaN: PyTorch's is NaN
    return xp.where(bad, xp.nan, d) if _backend.lazy(bad) or _backend.any_true(bad) else d


def _slogdet_fwd(xp, x, which):
    r = xp.linalg.slogdet(x)[which]
    bad = xp.any(xp.isnan(x), axis=(-2, -1))  # PyTorch: sign 0, logabsdet NaN
    if _backend.lazy(bad) or _backend.any_true(bad):
        return xp.where(bad, 0.0 if which == 0 else xp.nan, r)
    return r


DET = defop(
    "det",
    _det_fwd,
    lambda ns, g, x, out: _scale(ns, g * out, _mT(ns, ns.inv(x))),
    grad_fn="LinalgDetBackward0",
    jvp=lambda ns, t, x, out: out * _trace_inv(ns, t, x),
    kink="invertible matrices only (the gradient at a singular matrix raises; PyTorch gives 0)",
)
# slogdet: log|det X| -> g X^-T; tangent: tr(X^-1 T)
SLOGDET = defop(
    "slogdet",
    lambda xp, x: _slogdet_fwd(xp, x, 1),
    lambda ns, g, x: _scale(ns, g, _mT(ns, ns.inv(x))),
    grad_fn="LinalgSlogdetBackward0",
    jvp=lambda ns, t, x: _trace_inv(ns, t, x),
    kink="invertible matrices only (the gradient at a singular matrix raises; PyTorch's is inf)",
)
# the sign of det X (real input): piecewise constant, its gradient zero (as PyTorch's)
SLOGDET_SIGN = defop(
    "slogdet_sign",
    lambda xp, x: _slogdet_fwd(xp, x, 0),
    lambda ns, g, x: _scale(ns, ns.zeros_like(g), ns.zeros_like(x)),
    grad_fn="LinalgSlogdetBackward0",
    jvp=lambda ns, out: ns.zeros_like(out),
)


# solve: X = A^-1 B. With ``vec`` B (and X) is a batch of vectors (..., n), else of
# matrices (..., n, k); the rules work on matrices (a vector as an n x 1 column).
def _col(ns, v, vec):
    return ns.expand_dims(v, -1) if vec else v


def _uncol(ns, m, vec):
    return ns.getitem(m, (Ellipsis, 0)) if vec else m


def _solve_fwd(xp, a, b, *, vec):
    try:
        if vec:
            return xp.linalg.solve(a, b[..., None])[..., 0]
        return xp.linalg.solve(a, b)
    except xp.linalg.LinAlgError:
        bad, a0 = _nan_where(xp, a)  # a NaN matrix gives NaN (as PyTorch), not an error
        if bad is not None:
            x = _solve_fwd(
                xp, a0 + xp.eye(a.shape[-1], dtype=a.dtype) * bad[..., None, None], b, vec=vec
            )
            mask = bad[..., None] if vec else bad[..., None, None]
            return xp.where(mask, xp.nan, x)
        raise _singular_error(xp, xp.broadcast_to(a, _batch_of(a, b, vec)), "solve") from None


def _batch_of(a, b, vec):
    bb = b.shape[:-1] if vec else b.shape[:-2]
    n = a.shape[-1]
    return tuple(_broadcast_shapes(a.shape[:-2], bb)) + (n, n)


def _broadcast_shapes(s, t):
    s, t = tuple(s), tuple(t)
    k = max(len(s), len(t))
    s, t = (1,) * (k - len(s)) + s, (1,) * (k - len(t)) + t
    return [max(i, j) if min(i, j) != 0 else 0 for i, j in zip(s, t, strict=True)]


def _solve_vjp_b(ns, g, a, vec):
    # dB = A^-T G
    return _uncol(ns, ns.solve(_mT(ns, a), _col(ns, g, vec)), vec)


def _solve_vjp_a(ns, g, a, out, vec):
    # dA = -(A^-T G) X^T
    gb = ns.solve(_mT(ns, a), _col(ns, g, vec))
    return -ns.matmul(gb, _mT(ns, _col(ns, out, vec)))


SOLVE = defop(
    "solve",
    _solve_fwd,
    (_solve_vjp_a, _solve_vjp_b),
    grad_fn="LinalgSolveExBackward0",
    broadcast=True,
    # tangent: A^-1 (T_B - T_A X)
    jvp=(
        lambda ns, t, a, out, vec: -_uncol(ns, ns.solve(a, ns.matmul(t, _col(ns, out, vec))), vec),
        lambda ns, t, a, vec: _uncol(ns, ns.solve(a, _col(ns, t, vec)), vec),
    ),
    kink="invertible A only (a singular A raises)",
)


# cholesky: A = L L^T (upper: A = U^T U, U = L^T), L lower triangular. Over symmetric
# perturbations dA: dL = L Phi(L^-1 dA L^-T), Phi(X) the lower triangle of X with its
# diagonal halved; the adjoint: A's gradient is sym(L^-T Phi(L^T G) L^-1), symmetric as
# PyTorch's (the forward reads one triangle of A; the gradient is that of a symmetric A).
def _phi(ns, m):
    return 0.5 * (ns.tril(m, 0) + ns.tril(m, -1))


def _sym(ns, m):
    return 0.5 * (m + _mT(ns, m))


def _cholesky_fwd(xp, x, *, upper, fn="linalg.cholesky"):
    a = xp.swapaxes(x, -1, -2) if upper else x  # upper: A's upper triangle is read
    if _backend.lazy(a):  # (Dask: each block of matrices checked when it is computed; the
        # check factors them itself, as NumPy's error is not PyTorch's)
        a = _backend.checked(a, _not_pd, tuple(a.shape[:-2]), fn, whole=2)
        low = xp.linalg.cholesky(a)
        return xp.swapaxes(low, -1, -2) if upper else low
    try:
        low = xp.linalg.cholesky(a)
        if _backend.any_true(xp.isnan(low)):  # a NaN pivot is not positive (LAPACK, in PyTorch)
            raise xp.linalg.LinAlgError
    except xp.linalg.LinAlgError:
        raise _not_pd_error(xp, a, (0,) * a.ndim, tuple(a.shape[:-2]), fn) from None
    return xp.swapaxes(low, -1, -2) if upper else low


def _not_pd(a, start, batch, fn):
    """cholesky's error where a matrix of the block ``a`` (of a batch of shape ``batch``,
    from ``start``) is not positive-definite, else None (chainrule.backend.checked)."""
    xp = _backend.namespace(a)
    try:
        if not _backend.any_true(xp.isnan(xp.linalg.cholesky(a))):
            return None
    except xp.linalg.LinAlgError:
        pass
    return _not_pd_error(xp, a, start, batch, fn)


def _not_pd_error(xp, a, start, batch, fn) -> LinAlgError:
    b, k = _first_bad(xp, a, _not_pd_order) or (0, a.shape[-1])
    b = _batch_index(a.shape[:-2], start, b, batch)
    return LinAlgError(
        f"{fn}: {_prefix(a, b)}The factorization could not be completed "
        f"because the input is not positive-definite (the leading minor of order {k} is "
        "not positive-definite)."
    )


def _cholesky_vjp(ns, g, out, upper):
    low, gl = (_mT(ns, out), _mT(ns, g)) if upper else (out, g)
    li = ns.inv(low)
    return _sym(ns, ns.matmul(_mT(ns, li), ns.matmul(_phi(ns, ns.matmul(_mT(ns, low), gl)), li)))


def _cholesky_jvp(ns, t, out, upper):
    low = _mT(ns, out) if upper else out
    li = ns.inv(low)
    d = ns.matmul(low, _phi(ns, ns.matmul(li, ns.matmul(_sym(ns, t), _mT(ns, li)))))
    return _mT(ns, d) if upper else d


CHOLESKY = defop(
    "cholesky",
    _cholesky_fwd,
    _cholesky_vjp,
    grad_fn="LinalgCholeskyExBackward0",
    jvp=_cholesky_jvp,
    kink="symmetric positive-definite A; its gradient is symmetric (as PyTorch's)",
)
# torch.cholesky (deprecated): the same rules under its own node name, and its own name in
# the error (on Dask the error is raised when computed, after torch.cholesky has returned)
CHOLESKY_DEPRECATED = defop(
    "cholesky_deprecated",
    lambda xp, x, *, upper: _cholesky_fwd(xp, x, upper=upper, fn="cholesky"),
    _cholesky_vjp,
    grad_fn="CholeskyBackward0",
    jvp=_cholesky_jvp,
    kink=CHOLESKY.kink,
)


# ------------------------------------------------ decompositions with several outputs
# PyTorch's eigh, qr and svd return several tensors from one node. Here each output is a
# row of its own (the same grad_fn name as PyTorch's one node), whose forward computes the
# decomposition and whose rules are the share of PyTorch's joint rule that belongs to its
# output: the joint vjp is linear in the outputs' gradients, so the shares add up to it.
# A rule that needs another output recomputes it from x and its own output (R = Q^T A,
# Q = A R^-1), or through ``ns.eigh`` / ``ns.svd``, which under create_graph are these
# same rows, so the rules are differentiable again. The cost: the forward computes the
# decomposition once per output asked for, and a backward may compute it again.


def _eye_mask(ns, like, n):
    """(1 - I, I) as arrays or constant Tensors of like's dtype."""
    eye = ns.eye(n, like)
    return 1 - eye, eye


def _inv_gaps(ns, w):
    """F_ij = 1 / (w_j - w_i) off the diagonal, 0 on it (distinct w assumed)."""
    off, eye = _eye_mask(ns, w, w.shape[-1])
    return off / (ns.expand_dims(w, -2) - ns.expand_dims(w, -1) + eye)


# eigh: A = V diag(w) V^T (symmetric A; one triangle read, by ``uplo``). Over symmetric
# dA, with C = V^T dA V: dw = diag(C), dV = V (F o C). The adjoints: V diag(g_w) V^T
# and V (F o skew(V^T G_V)) V^T, symmetric as PyTorch's (distinct eigenvalues assumed).
def _eigvalsh_vjp(ns, g, x, uplo):
    v = ns.eigh(x, uplo)[1]
    return ns.matmul(v * ns.expand_dims(g, -2), _mT(ns, v))


def _eigvalsh_jvp(ns, t, x, uplo):
    v = ns.eigh(x, uplo)[1]
    return ns.sum(v * ns.matmul(t, v), axis=-2)  # v_i^T T v_i


def _eigh_vectors_vjp(ns, g, x, out, uplo):
    j = ns.matmul(_mT(ns, out), g)
    k = 0.5 * (j - _mT(ns, j)) * _inv_gaps(ns, ns.eigh(x, uplo)[0])
    return ns.matmul(out, ns.matmul(k, _mT(ns, out)))


def _eigh_vectors_jvp(ns, t, x, out, uplo):
    c = ns.matmul(_mT(ns, out), ns.matmul(_sym(ns, t), out))
    return ns.matmul(out, c * _inv_gaps(ns, ns.eigh(x, uplo)[0]))


_EIGH_KINK = "distinct eigenvalues assumed for the eigenvectors' rules; symmetric gradient"
EIGVALSH = defop(
    "eigvalsh",
    lambda xp, x, *, uplo: xp.linalg.eigvalsh(x, UPLO=uplo),
    _eigvalsh_vjp,
    grad_fn="LinalgEighBackward0",
    jvp=_eigvalsh_jvp,
    kink="symmetric gradient (one triangle of A is read)",
)
EIGH_VECTORS = defop(
    "eigh_vectors",
    lambda xp, x, *, uplo: xp.linalg.eigh(x, UPLO=uplo)[1],
    _eigh_vectors_vjp,
    grad_fn="LinalgEighBackward0",
    jvp=_eigh_vectors_jvp,
    kink=_EIGH_KINK,
)


# qr (reduced; complete only when m <= n): A = Q R. Tall or square A: with C = Q^T dA R^-1
# and Omega = Q^T dQ (skew, from the strictly lower part of C): dR = (triu(C) +
# tril(C, -1)^T) R, dQ = dA R^-1 - Q (triu(C) + tril(C, -1)^T). The adjoint:
# dA = (G_Q + Q P) R^-T with N = G_R R^T - Q^T G_Q and P = triu(N) + tril(N^T, -1); each
# output's row keeps its share of N. Wide A: see _qr_square_adjoint.
def _qr_check(x, mode):
    m, n = x.shape[-2:]
    if mode == "r":
        raise RuntimeError(
            "The derivative of linalg.qr depends on Q, which is not computed when mode='r'. "
            "Please use linalg.qr(A, mode='reduced') if you are going to differentiate "
            "through linalg.qr."
        )
    if mode == "complete" and m > n:
        raise RuntimeError(
            "The QR decomposition is not differentiable when mode='complete' and nrows > ncols."
        )


def _times_inv_rt(ns, a, r):
    return _mT(ns, ns.solve(r, _mT(ns, a)))  # A R^-T


def _times_inv_r(ns, a, r):
    return _mT(ns, ns.solve(_mT(ns, r), _mT(ns, a)))  # A R^-1


def _qr_p(ns, n):
    return ns.triu(n, 0) + ns.tril(_mT(ns, n), -1)


def _upper_part(ns, c):
    return ns.triu(c, 0) + _mT(ns, ns.tril(c, -1))


def _cols(ns, a, lo, hi=None):
    return ns.getitem(a, (Ellipsis, slice(None), slice(lo, hi)))


# A wide A (m < n) is [X | Y] with X square: Q R_X = X is the square case, and R's other
# columns are V = Q^T Y. So V's gradient G_V reaches Q as Y G_V^T and Y as Q G_V.
def _qr_square_adjoint(ns, gq, gr, q, r):
    """The adjoint (G_Q + Q P) R^-T of the square or tall case (gq or gr may be None)."""
    n = 0
    if gr is not None:
        n = ns.matmul(gr, _mT(ns, r))
    if gq is not None:
        n = n - ns.matmul(_mT(ns, q), gq)
    a = ns.matmul(q, _qr_p(ns, n))
    return _times_inv_rt(ns, a if gq is None else gq + a, r)


def _qr_q_vjp(ns, g, x, out, mode):
    _qr_check(x, mode)
    m, n = x.shape[-2:]
    if m >= n:
        return _qr_square_adjoint(ns, g, None, out, ns.matmul(_mT(ns, out), x))
    xx, y = _cols(ns, x, 0, m), _cols(ns, x, m)
    gx = _qr_square_adjoint(ns, g, None, out, ns.matmul(_mT(ns, out), xx))
    return ns.concatenate([gx, ns.matmul(gx, ns.zeros_like(y))], axis=-1)


def _qr_r_vjp(ns, g, x, out, mode):
    _qr_check(x, mode)
    m, n = x.shape[-2:]
    if m >= n:
        return _qr_square_adjoint(ns, None, g, _times_inv_r(ns, x, out), out)
    u, gu, gv = _cols(ns, out, 0, m), _cols(ns, g, 0, m), _cols(ns, g, m)
    xx, y = _cols(ns, x, 0, m), _cols(ns, x, m)
    q = _times_inv_r(ns, xx, u)
    gx = _qr_square_adjoint(ns, ns.matmul(y, _mT(ns, gv)), gu, q, u)
    return ns.concatenate([gx, ns.matmul(q, gv)], axis=-1)


def _qr_square_tangents(ns, t, q, r):
    """(dQ, dR) of the square or tall case: dR = U(C) R, dQ = T R^-1 - Q U(C), with
    C = Q^T T R^-1 and U(C) = triu(C) + tril(C, -1)^T."""
    d = _times_inv_r(ns, t, r)
    up = _upper_part(ns, ns.matmul(_mT(ns, q), d))
    return d - ns.matmul(q, up), ns.matmul(up, r)


def _qr_q_jvp(ns, t, x, out, mode):
    _qr_check(x, mode)
    m, n = x.shape[-2:]
    k = min(m, n)
    r = ns.matmul(_mT(ns, out), _cols(ns, x, 0, k))
    return _qr_square_tangents(ns, _cols(ns, t, 0, k), out, r)[0]


def _qr_r_jvp(ns, t, x, out, mode):
    _qr_check(x, mode)
    m, n = x.shape[-2:]
    if m >= n:
        return _qr_square_tangents(ns, t, _times_inv_r(ns, x, out), out)[1]
    u, xx, y = _cols(ns, out, 0, m), _cols(ns, x, 0, m), _cols(ns, x, m)
    q = _times_inv_r(ns, xx, u)
    dq, du = _qr_square_tangents(ns, _cols(ns, t, 0, m), q, u)
    dv = ns.matmul(_mT(ns, dq), y) + ns.matmul(_mT(ns, q), _cols(ns, t, m))
    return ns.concatenate([du, dv], axis=-1)


_QR_KINK = "A (its first min(m, n) columns) of full rank; not for mode 'r', nor 'complete' if m > n"
QR_Q = defop(
    "qr_q",
    lambda xp, x, *, mode: xp.linalg.qr(x, mode=mode)[0],
    _qr_q_vjp,
    grad_fn="LinalgQrBackward0",
    jvp=_qr_q_jvp,
    kink=_QR_KINK,
)
QR_R = defop(
    "qr_r",
    lambda xp, x, *, mode: xp.linalg.qr(x, mode=mode) if mode == "r" else xp.linalg.qr(x, mode)[1],
    _qr_r_vjp,
    grad_fn="LinalgQrBackward0",
    jvp=_qr_r_jvp,
    kink=_QR_KINK,
)


# svd: A = U diag(S) V^T, k = min(m, n) (S is the svdvals row of reduction.py). With
# F_ij = 1 / (s_j^2 - s_i^2) off the diagonal and P = U^T dA V:
#   dU = U (F o (P S + S P^T)) + (I - U U^T) dA V S^-1
#   dV = V (F o (S P + P^T S)) + (I - V V^T) dA^T U S^-1
# and the adjoints (J = U^T G_U, K = V^T G_V):
#   U [(F o (J - J^T)) S] V^T + (I - U U^T) G_U S^-1 V^T
#   U [S (F o (K - K^T))] V^T + U S^-1 G_V^T (I - V V^T)
# Distinct non-zero singular values assumed. With full_matrices=True only the first k
# columns of U (rows of Vh) carry a gradient, as in PyTorch.
def _svd_fwd(xp, x, which, full):
    x, bad = _finite_matrices(xp, x)
    r = xp.linalg.svd(x, full_matrices=full)[which]
    return r if bad is None else xp.where(bad, xp.nan, r)


def _svd_u_vjp(ns, g, x, full):
    u, s, vh = ns.svd(x)
    k = s.shape[-1]
    if full:
        g = ns.getitem(g, (Ellipsis, slice(None), slice(0, k)))
    j = ns.matmul(_mT(ns, u), g)
    inner = _inv_gaps(ns, s * s) * (j - _mT(ns, j)) * ns.expand_dims(s, -2)
    r = ns.matmul(u, inner)
    if x.shape[-2] > k:
        r = r + (g - ns.matmul(u, j)) / ns.expand_dims(s, -2)
    return ns.matmul(r, vh)


def _svd_vh_vjp(ns, g, x, full):
    u, s, vh = ns.svd(x)
    k = s.shape[-1]
    if full:
        g = ns.getitem(g, (Ellipsis, slice(0, k), slice(None)))
    kk = ns.matmul(vh, _mT(ns, g))
    inner = ns.expand_dims(s, -1) * (_inv_gaps(ns, s * s) * (kk - _mT(ns, kk)))
    r = ns.matmul(ns.matmul(u, inner), vh)
    if x.shape[-1] > k:
        r = r + ns.matmul(u / ns.expand_dims(s, -2), g - ns.matmul(ns.matmul(g, _mT(ns, vh)), vh))
    return r


def _svd_jvp_check(x, full):
    if full and x.shape[-1] != x.shape[-2]:
        raise NotImplementedError(
            "chainrule has no forward-mode derivative of linalg.svd with full_matrices=True "
            "for a non-square input; use full_matrices=False"
        )


def _svd_u_jvp(ns, t, x, full):
    _svd_jvp_check(x, full)
    u, s, vh = ns.svd(x)
    tv = ns.matmul(t, _mT(ns, vh))
    p = ns.matmul(_mT(ns, u), tv)
    f = _inv_gaps(ns, s * s)
    sym = p * ns.expand_dims(s, -2) + ns.expand_dims(s, -1) * _mT(ns, p)
    return ns.matmul(u, f * sym) + (tv - ns.matmul(u, p)) / ns.expand_dims(s, -2)


def _svd_vh_jvp(ns, t, x, full):
    _svd_jvp_check(x, full)
    u, s, vh = ns.svd(x)
    v = _mT(ns, vh)
    tu = ns.matmul(_mT(ns, t), u)
    p = ns.matmul(_mT(ns, u), ns.matmul(t, v))
    f = _inv_gaps(ns, s * s)
    sym = ns.expand_dims(s, -1) * p + _mT(ns, p) * ns.expand_dims(s, -2)
    dv = ns.matmul(v, f * sym) + (tu - ns.matmul(v, _mT(ns, p))) / ns.expand_dims(s, -2)
    return _mT(ns, dv)


_SVD_KINK = "distinct non-zero singular values assumed"
SVD_U = defop(
    "svd_u",
    lambda xp, x, *, full: _svd_fwd(xp, x, 0, full),
    _svd_u_vjp,
    grad_fn="LinalgSvdBackward0",
    jvp=_svd_u_jvp,
    kink=_SVD_KINK,
)
SVD_VH = defop(
    "svd_vh",
    lambda xp, x, *, full: _svd_fwd(xp, x, 2, full),
    _svd_vh_vjp,
    grad_fn="LinalgSvdBackward0",
    jvp=_svd_vh_jvp,
    kink=_SVD_KINK,
)


# ------------------------------------------------------------ triangular solves
def _solve_tri(xp, a, b, *, upper):
    t = xp.triu(a) if upper else xp.tril(a)
    return xp.linalg.solve(t, b)


# X = A^-1 B for triangular A (the other triangle of A is not read): dB = A^-T G,
# dA = -dB X^T on A's triangle; tangent: A^-1 (dB - dA X)
SOLVE_TRIANGULAR = defop(
    "solve_triangular",
    _solve_tri,
    (
        lambda ns, g, a, out, upper: _tri(
            ns, -ns.matmul(ns.solve_triangular(_mT(ns, a), g, not upper), _mT(ns, out)), upper
        ),
        lambda ns, g, a, upper: ns.solve_triangular(_mT(ns, a), g, not upper),
    ),
    jvp=(
        lambda ns, t, a, out, upper: (
            -ns.solve_triangular(a, ns.matmul(_tri(ns, t, upper), out), upper)
        ),
        lambda ns, t, a, upper: ns.solve_triangular(a, t, upper),
    ),
    grad_fn="LinalgSolveTriangularBackward0",
    promote=True,
)


def _tri(ns, x, upper):
    return ns.triu(x, 0) if upper else ns.tril(x, 0)


# ------------------------------------------------------------------------ eig
# A V = V diag(L) for a general square A: LAPACK's geev (NumPy's eig calls the same
# routine, so values and their order are PyTorch's up to rounding), complex even for real
# A, each eigenvector of unit norm with LAPACK's phase (its largest component real). The
# rules are PyTorch's linalg_eig_backward and linalg_eig_jvp, for distinct eigenvalues:
#   gA = V^-H (diag(gL) + (P - V^H V Re(diag P)) / conj(E)) V^H,  P = V^H gV,
# E_ij = L_j - L_i (1 on the diagonal), with Re of it for a real A. The phase of each
# eigenvector is a choice, so a loss must not depend on it: Im(diag P) != 0 raises, as in
# PyTorch. Tangents: dP = V^-1 dA V, dL = diag(dP), dV = V C - V Re(diag(V^H V C)) with
# C = dP / E off the diagonal (0 on it).
_EIG_PHASE = (
    "linalg_eig_backward: The eigenvectors in the complex case are specified up to "
    "multiplication by e^{i phi}. The specified loss function depends on this quantity, so "
    "it is ill-defined."
)


def _eig_fwd(xp, x, *, vectors=True):
    cdt = xp.complex64 if x.dtype in (xp.float32, xp.complex64) else xp.complex128
    if x.size == 0:
        w = xp.empty(x.shape[:-1], dtype=cdt)
        return xp.empty(x.shape, dtype=cdt) if vectors else w
    x = _backend.checked(x, _not_finite)  # (on Dask: a task, run when x is computed)
    if not vectors:
        return _backend.astype(xp.linalg.eigvals(x), cdt, copy=False)
    return _backend.astype(xp.linalg.eig(x)[1], cdt, copy=False)


def _not_finite(x, start):
    """eig's error where x holds an inf or a NaN, else None (chainrule.backend.checked)."""
    if _backend.all_true(_backend.namespace(x).isfinite(x)):
        return None
    return RuntimeError("torch.linalg.eig: input tensor should not contain infs or NaNs.")


def _mH(ns, a):
    return ns.conj(_mT(ns, a))


def _diag_embed(ns, d, like):
    return ns.expand_dims(d, -1) * ns.eye(d.shape[-1], like)


def _gaps(ns, L):
    """E_ij = L_j - L_i, with 1 on the diagonal (where nothing is divided)."""
    e = ns.expand_dims(L, -2) - ns.expand_dims(L, -1)
    return e + ns.eye(L.shape[-1], e)


def _eig_pullback(ns, x, v, inner):
    """V^-H inner V^H, the real part of it for a real A (PyTorch's handle_r_to_c)."""
    vh = _mH(ns, v)
    ga = ns.solve(vh, ns.matmul(inner, vh))
    return ga if _is_cplx(x) else ns.real(ga)


def _is_cplx(a) -> bool:
    d = a.dtype
    return d.kind == "c" if hasattr(d, "kind") else d.is_complex


def _eigvals_vjp(ns, g, x):
    _, v = ns.eig(x)
    return _eig_pullback(ns, x, v, _diag_embed(ns, g, g))


def _phase_error(p, start):
    """The loss does not depend on the eigenvectors' phases: Im diag(V^H gV) is 0
    (PyTorch's allclose(Im d, 0, rtol=atol=1e-2)), or the gradient is refused: its error,
    else None (chainrule.backend.checked, on whole matrices)."""
    xp = _backend.namespace(p)
    if _backend.all_true(abs(xp.imag(xp.diagonal(p, 0, -2, -1))) <= 1e-2):
        return None
    return RuntimeError(_EIG_PHASE)


def _phase_checked(xp, p):
    return _backend.checked(p, _phase_error, whole=2)


# The same check in an explicit graph (chainrule.sym), whose gradients have no values
# before it is bound, or on Dask under create_graph: a node that passes V^H gV through and
# checks it when evaluated (on Dask: when computed)
_PHASE_CHECKED = defop("eig_phase_checked", _phase_checked, PASS, jvp=PASS, register=False)


def _eig_vectors_vjp(ns, g, x, out):
    v = out
    p = ns.matmul(_mH(ns, v), g)
    if is_symbolic(p) or (hasattr(p, "_data") and _backend.lazy(p._data)):
        p = apply(_PHASE_CHECKED, p)
    elif hasattr(p, "_data"):  # (a Tensor of values, under create_graph: checked now)
        _phase_checked(None, p._data)
    else:  # (arrays: checked now, or on Dask a task on V^H gV's way to the gradient)
        p = _phase_checked(None, p)
    d = ns.diagonal(p, 0, -2, -1)
    lam, _ = ns.eig(x)
    p = p - ns.matmul(_mH(ns, v), v * ns.expand_dims(ns.real(d), -2))
    return _eig_pullback(ns, x, v, p / ns.conj(_gaps(ns, lam)))


def _eig_dp(ns, t, x, v):
    """V^-1 dA V (dA complex)."""
    t = t if _is_cplx(t) else t * (1 + 0j)
    return ns.solve(v, ns.matmul(t, v))


def _eigvals_jvp(ns, t, x):
    _, v = ns.eig(x)
    return ns.diagonal(_eig_dp(ns, t, x, v), 0, -2, -1)


def _eig_vectors_jvp(ns, t, x, out):
    lam, _ = ns.eig(x)
    dp = _eig_dp(ns, t, x, out)
    c = dp / _gaps(ns, lam)
    c = c - _diag_embed(ns, ns.diagonal(c, 0, -2, -1), c)
    dv = ns.matmul(out, c)
    norm = ns.real(ns.diagonal(ns.matmul(_mH(ns, out), dv), 0, -2, -1))
    return dv - out * ns.expand_dims(norm, -2)


_EIG_KINK = "distinct eigenvalues assumed; a loss may not depend on the eigenvectors' phases"
EIGVALS = defop(
    "eigvals",
    lambda xp, x: _eig_fwd(xp, x, vectors=False),
    _eigvals_vjp,
    grad_fn="LinalgEigBackward0",
    jvp=_eigvals_jvp,
    kink=_EIG_KINK,
)
EIG_VECTORS = defop(
    "eig_vectors",
    _eig_fwd,
    _eig_vectors_vjp,
    grad_fn="LinalgEigBackward0",
    jvp=_eig_vectors_jvp,
    kink=_EIG_KINK,
)

# products are holomorphic in each factor: complex inputs get the rules conjugated (and
# inv, solve: inside eig's rules; torch.linalg.inv/solve still refuse complex inputs)
holomorphic(DOT, MV, MM, OUTER, BMM, INV, SOLVE)
complex_as_is(EIGVALS, EIG_VECTORS, _PHASE_CHECKED)
