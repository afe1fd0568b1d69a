"""THE TABLE, part 5: linear algebra. dot, mv, mm, outer and batched matmul.

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
