"""THE TABLE, part 5: linear algebra. dot, mv, mm, outer, batched matmul; Cholesky
and triangular solves (the multivariate normal's pieces).

For Y = X W the rules are the textbook's: dX = G W^T, dW = X^T G (reverse), and
dY = dX W + X dW (forward: each jvp rule is the product with one factor's tangent).
Batched inputs broadcast over the leading dims; the engine sums the gradient back
(``sum_to``). Gradients and tangents may carry leading batch axes (``batch``): products
are written over the last axes (matmul, ``[..., None]``) so that those axes ride along.

The PyTorch-named functions (``matmul``'s dispatch on dims, the shape errors) are in
``chainrule.functions.linalg``.
"""

from __future__ import annotations

from .primitive import defop


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


# --------------------------------------- Cholesky, triangular solves (tril/triu: indexing.py)
def _mT(ns, x):
    return ns.swapaxes(x, -1, -2)


def _phi(ns, x):
    """The lower triangle of x with its diagonal halved."""
    return 0.5 * (ns.tril(x, 0) + ns.tril(x, -1))


def _cholesky_vjp(ns, g, out):
    # A = L L^T: dA = L^-T Phi(L^T G) L^-1, symmetrized (Murray 2016; PyTorch's)
    lt = _mT(ns, out)
    p = _phi(ns, ns.matmul(lt, g))
    y = ns.solve_triangular(lt, p, True)  # L^-T P
    ga = _mT(ns, ns.solve_triangular(lt, _mT(ns, y), True))  # (L^-T P) L^-1
    return 0.5 * (ga + _mT(ns, ga))


def _cholesky_jvp(ns, t, out):
    # dL = L Phi(L^-1 dA L^-T)
    w = ns.solve_triangular(out, t, False)  # L^-1 dA
    v = ns.solve_triangular(out, _mT(ns, w), False)  # L^-1 (L^-1 dA)^T = (L^-1 dA L^-T)^T
    return ns.matmul(out, _phi(ns, _mT(ns, v)))


class _LinAlgError(RuntimeError):
    """PyTorch's torch.linalg.LinAlgError (a RuntimeError; its class prints _LinAlgError)."""


def _cholesky(xp, a):
    try:
        return xp.linalg.cholesky(a)
    except xp.linalg.LinAlgError:
        raise _LinAlgError(_not_positive_definite(xp, a)) from None


def _not_positive_definite(xp, a) -> str:
    """PyTorch's text: which leading minor (of which batch element) is not positive."""
    flat = a.reshape((-1,) + a.shape[-2:])
    for i, m in enumerate(flat):
        for k in range(1, m.shape[-1] + 1):
            try:
                xp.linalg.cholesky(m[:k, :k])
            except xp.linalg.LinAlgError:
                where = f"(Batch element {i}): " if a.ndim > 2 else ""
                return (
                    f"linalg.cholesky: {where}The factorization could not be completed because "
                    f"the input is not positive-definite (the leading minor of order {k} is "
                    "not positive-definite)."
                )
    return "linalg.cholesky: The factorization could not be completed"


# L = cholesky(A), lower, A symmetric positive definite (only its lower triangle is read)
CHOLESKY = defop(
    "cholesky",
    _cholesky,
    _cholesky_vjp,
    jvp=(_cholesky_jvp,),
    grad_fn="LinalgCholeskyExBackward0",
)


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
