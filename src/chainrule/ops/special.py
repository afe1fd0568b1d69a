"""THE TABLE, part 10: special functions (log-gamma and its derivatives, the error function).

Read as the table on the slide: ``lgamma -> digamma``, ``digamma -> polygamma(1, .)``,
``polygamma(n, .) -> polygamma(n + 1, .)``, ``erf -> 2/sqrt(pi) exp(-x^2)``,
``erfinv -> sqrt(pi)/2 exp(erfinv(x)^2)``, ``igamma(a, x) -> (in x) the gamma density``,
``standard_gamma(alpha) -> the sampler's implicit gradient``. The chain lgamma -> digamma
-> polygamma is closed, so every order of derivative is a row of this table
(``ns.digamma`` and ``ns.polygamma`` run on arrays in first-order backward and on Tensors
under create_graph).
The numerics (series, recurrences, reflection) are ``ops.special_kernels``.

>>> from chainrule.ops import REGISTRY
>>> REGISTRY["lgamma"].grad_fn, REGISTRY["polygamma"].grad_fn
('LgammaBackward0', 'PolygammaBackward0')
"""

from __future__ import annotations

import math

from .. import backend as _backend
from . import special_kernels as K
from .primitive import DIAGONAL, defop

_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)
_HALF_SQRT_PI = 0.5 * math.sqrt(math.pi)


def _defew(name, fwd, vjp, **kw):
    # elementwise: the Jacobian is diagonal, so the vjp rules are the jvp rules too
    return defop(name, fwd, vjp, jvp=DIAGONAL, to_float=True, **kw)


LGAMMA = _defew("lgamma", lambda xp, x: K.lgamma(xp, x), lambda ns, g, x: g * ns.digamma(x))
DIGAMMA = _defew("digamma", lambda xp, x: K.digamma(xp, x), lambda ns, g, x: g * ns.polygamma(1, x))
POLYGAMMA = _defew(
    "polygamma",
    lambda xp, x, *, n: K.polygamma(xp, n, x),
    lambda ns, g, x, n: g * ns.polygamma(n + 1, x),
)
ERF = _defew(
    "erf", lambda xp, x: K.erf(xp, x), lambda ns, g, x: g * (_TWO_OVER_SQRT_PI * ns.exp(-(x * x)))
)
ERFC = _defew(
    "erfc",
    lambda xp, x: K.erfc(xp, x),
    lambda ns, g, x: g * (-_TWO_OVER_SQRT_PI * ns.exp(-(x * x))),
)
ERFINV = _defew(
    "erfinv",
    lambda xp, x: K.erfinv(xp, x),
    lambda ns, g, out: g * (_HALF_SQRT_PI * ns.exp(out * out)),
)


def _log_number(y: float) -> float:
    """log of a Python number operand, keeping it a weak Python float (x's dtype wins,
    as in PyTorch: xlogy(float32, 2.5) is float32), with log's values off its domain."""
    if y > 0:
        return math.log(y)
    return -math.inf if y == 0 else math.nan


def _xlogy(xp, x, y):
    # x * log(y), and 0 where x == 0 unless y is nan (PyTorch's)
    r = x * (xp.log(y) if hasattr(y, "shape") else _log_number(y))
    return _backend.astype(xp.where((x == 0) & (y == y), 0, r), r.dtype, copy=False)


def _xlogy_dx(ns, g, x, y):
    # log(y) where x != 0; 0 where x == 0 (also at y == 0, where log(y) is -inf)
    log_y = ns.log(y) if hasattr(y, "shape") else _log_number(y)
    return ns.where(x == 0, 0.0, g * log_y)


XLOGY = _defew(
    "xlogy",
    _xlogy,
    (_xlogy_dx, lambda g, x, y: g * x / y),
    promote=True,
    broadcast=True,
    kink="d/dx is 0 where x == 0",
)


# The regularized incomplete gamma functions P(a, x) and Q(a, x) = 1 - P(a, x): their
# derivative in x is the gamma density x^(a-1) e^-x / Gamma(a); in a PyTorch has none
# (backward raises, as there).
def _igamma_da(g):
    raise RuntimeError("the derivative for 'igamma: input' is not implemented.")


def _igammac_da(g):
    raise RuntimeError("the derivative for 'igammac: input' is not implemented.")


def _igamma_da_fwd(t):
    raise NotImplementedError("Trying to use forward AD with igamma that does not support it.")


def _gamma_density(ns, x, a):
    return ns.exp((a - 1) * ns.log(x) - x - ns.lgamma(a))


IGAMMA = defop(
    "igamma",
    lambda xp, a, x: K.gammainc(xp, a, x),
    (_igamma_da, lambda ns, g, a, x: g * _gamma_density(ns, x, a)),
    jvp=(_igamma_da_fwd, lambda ns, t, a, x: t * _gamma_density(ns, x, a)),
    promote=True,
    to_float=True,
    broadcast=True,
    kink="no derivative in a: backward raises, as in PyTorch",
)
IGAMMAC = defop(
    "igammac",
    lambda xp, a, x: K.gammaincc(xp, a, x),
    (_igammac_da, lambda ns, g, a, x: -g * _gamma_density(ns, x, a)),
    jvp=(_igamma_da_fwd, lambda ns, t, a, x: -t * _gamma_density(ns, x, a)),
    promote=True,
    to_float=True,
    broadcast=True,
    kink="no derivative in a: backward raises, as in PyTorch",
)


# The gamma sampler: the sample is drawn outside the table (chainrule.distributions) and
# handed in; its derivative in alpha is the implicit-reparameterization gradient
# (-(dP/dalpha) / (dP/dx) at the sample, P the regularized incomplete gamma), as PyTorch's
# _standard_gamma. That gradient itself is not differentiable (PyTorch's neither).
def _no_derivative(g):
    raise RuntimeError("derivative for aten::_standard_gamma_grad is not implemented")


def _no_forward(t):
    raise NotImplementedError(
        "Trying to use forward AD with aten::_standard_gamma_grad that does not support it."
    )


STANDARD_GAMMA_GRAD = defop(
    "standard_gamma_grad",
    lambda xp, alpha, x: K.standard_gamma_grad(xp, alpha, x),
    (_no_derivative, _no_derivative),
    jvp=(_no_forward, _no_forward),
    grad_fn="NotImplemented",
    kink="no derivative: backward raises, as in PyTorch",
)
STANDARD_GAMMA = defop(
    "standard_gamma",
    lambda xp, alpha, *, sample: xp.asarray(sample, dtype=alpha.dtype),
    lambda ns, g, alpha, out: g * ns.standard_gamma_grad(alpha, out),
    jvp=DIAGONAL,
    grad_fn="StandardGammaBackward0",
)
