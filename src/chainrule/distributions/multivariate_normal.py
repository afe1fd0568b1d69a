"""The multivariate normal N(loc, Sigma), parameterized by ``covariance_matrix``,
``precision_matrix`` or ``scale_tril`` (the Cholesky factor L, Sigma = L L^T); everything is
computed from L with the table's cholesky and triangular solves, so gradients reach every
parameterization.

>>> import chainrule as torch
>>> from chainrule.distributions import MultivariateNormal
>>> d = MultivariateNormal(torch.zeros(2), torch.eye(2))
>>> d.log_prob(torch.zeros(2))
tensor(-1.8379)
"""

from __future__ import annotations

import math

from .. import functions as F
from ..creation import eye, randn
from ..linalg import cholesky, solve_triangular
from ..tensor import Size
from . import constraints
from .continuous import _size
from .distribution import Distribution
from .utils import broadcast_shape, lazy_property

__all__ = ["MultivariateNormal"]


def _batch_mv(bmat, bvec):
    return F.linalg.matmul(bmat, bvec.unsqueeze(-1)).squeeze(-1)


def _batch_mahalanobis(L, x):
    """x^T (L L^T)^-1 x per batch element: |L^-1 x|^2."""
    shape = broadcast_shape(L.shape[:-1], x.shape)
    Lb = L.expand(tuple(shape[:-1]) + tuple(L.shape[-2:]))
    xb = x.expand(shape)
    m = solve_triangular(Lb, xb.unsqueeze(-1), upper=False).squeeze(-1)
    return m.pow(2).sum(-1)


def _half_log_det(L):
    return L.diagonal(0, -2, -1).log().sum(-1)


def _precision_to_scale_tril(P):
    # L with L L^T = P^-1, from the Cholesky factor of P with rows and columns reversed
    Lf = cholesky(P.flip((-2, -1)))
    L_inv = Lf.flip((-2, -1)).mT
    n = P.shape[-1]
    Id = eye(n, dtype=P.dtype).expand(tuple(L_inv.shape))
    return solve_triangular(L_inv, Id, upper=False)


class MultivariateNormal(Distribution):
    """PyTorch's ``MultivariateNormal``."""

    arg_constraints = {
        "loc": constraints.real_vector,
        "covariance_matrix": constraints.positive_definite,
        "precision_matrix": constraints.positive_definite,
        "scale_tril": constraints.lower_cholesky,
    }
    support = constraints.real_vector
    has_rsample = True

    def __init__(
        self,
        loc,
        covariance_matrix=None,
        precision_matrix=None,
        scale_tril=None,
        validate_args=None,
    ) -> None:
        if loc.dim() < 1:
            raise ValueError("loc must be at least one-dimensional.")
        given = [m is not None for m in (covariance_matrix, scale_tril, precision_matrix)]
        if sum(given) != 1:
            raise ValueError(
                "Exactly one of covariance_matrix or precision_matrix or scale_tril may be "
                "specified."
            )
        m = next(x for x in (scale_tril, covariance_matrix, precision_matrix) if x is not None)
        if m.dim() < 2:
            name = (
                "scale_tril matrix"
                if scale_tril is not None
                else "covariance_matrix"
                if covariance_matrix is not None
                else "precision_matrix"
            )
            raise ValueError(
                f"{name} must be at least two-dimensional, with optional leading batch dimensions"
            )
        batch_shape = broadcast_shape(m.shape[:-2], loc.shape[:-1])
        mshape = tuple(batch_shape) + (-1, -1)
        if scale_tril is not None:
            self.scale_tril = scale_tril.expand(mshape)
        elif covariance_matrix is not None:
            self.covariance_matrix = covariance_matrix.expand(mshape)
        else:
            self.precision_matrix = precision_matrix.expand(mshape)
        self.loc = loc.expand(tuple(batch_shape) + (-1,))
        event_shape = self.loc.shape[-1:]
        super().__init__(batch_shape, event_shape, validate_args=validate_args)
        if scale_tril is not None:
            self._unbroadcasted_scale_tril = scale_tril
        elif covariance_matrix is not None:
            self._unbroadcasted_scale_tril = cholesky(covariance_matrix)
        else:
            self._unbroadcasted_scale_tril = _precision_to_scale_tril(precision_matrix)

    def _mshape(self):
        return tuple(self._batch_shape) + tuple(self._event_shape) * 2

    @lazy_property
    def scale_tril(self):
        return self._unbroadcasted_scale_tril.expand(self._mshape())

    @lazy_property
    def covariance_matrix(self):
        L = self._unbroadcasted_scale_tril
        return F.linalg.matmul(L, L.mT).expand(self._mshape())

    @lazy_property
    def precision_matrix(self):
        L = self._unbroadcasted_scale_tril
        n = L.shape[-1]
        Id = eye(n, dtype=L.dtype).expand(tuple(L.shape))
        L_inv = solve_triangular(L, Id, upper=False)
        return F.linalg.matmul(L_inv.mT, L_inv).expand(self._mshape())

    @property
    def mean(self):
        return self.loc

    @property
    def mode(self):
        return self.loc

    @property
    def variance(self):
        L = self._unbroadcasted_scale_tril
        return L.pow(2).sum(-1).expand(tuple(self._batch_shape) + tuple(self._event_shape))

    def rsample(self, sample_shape=()):
        shape = _size(sample_shape, self)
        eps = randn(tuple(shape), dtype=self.loc.dtype, device=self.loc.device)
        return self.loc + _batch_mv(self._unbroadcasted_scale_tril, eps)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        diff = value - self.loc
        M = _batch_mahalanobis(self._unbroadcasted_scale_tril, diff)
        half_log_det = _half_log_det(self._unbroadcasted_scale_tril)
        return -0.5 * (self._event_shape[0] * math.log(2 * math.pi) + M) - half_log_det

    def entropy(self):
        half_log_det = _half_log_det(self._unbroadcasted_scale_tril)
        H = 0.5 * self._event_shape[0] * (1.0 + math.log(2 * math.pi)) + half_log_det
        return H if len(self._batch_shape) == 0 else H.expand(tuple(self._batch_shape))

    def expand(self, batch_shape, _instance=None):
        batch_shape = Size(batch_shape)
        new = object.__new__(type(self))
        n = self._event_shape[0]
        new.loc = self.loc.expand(tuple(batch_shape) + (n,))
        new._unbroadcasted_scale_tril = self._unbroadcasted_scale_tril
        for k in ("covariance_matrix", "scale_tril", "precision_matrix"):
            if k in self.__dict__:
                new.__dict__[k] = self.__dict__[k].expand(tuple(batch_shape) + (n, n))
        new._batch_shape = batch_shape
        new._event_shape = self._event_shape
        new._validate_args = self._validate_args
        return new


def kl_mvn_mvn(p, q):
    """KL between two multivariate normals (registered in ``kl``)."""
    if p.event_shape != q.event_shape:
        raise ValueError(
            "KL-divergence between two Multivariate Normals with different event shapes "
            "cannot be computed"
        )
    pL, qL = p._unbroadcasted_scale_tril, q._unbroadcasted_scale_tril
    half_term1 = _half_log_det(qL) - _half_log_det(pL)
    combined = tuple(broadcast_shape(qL.shape[:-2], pL.shape[:-2]))
    n = p.event_shape[0]
    q_scale_tril = qL.expand(combined + (n, n))
    p_scale_tril = pL.expand(combined + (n, n))
    term2 = solve_triangular(q_scale_tril, p_scale_tril, upper=False).pow(2).sum((-2, -1))
    term3 = _batch_mahalanobis(qL, q.loc - p.loc)
    return half_term1 + 0.5 * (term2 + term3 - n)
