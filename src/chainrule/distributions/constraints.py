"""Constraints: what a parameter or a value must satisfy, with PyTorch's names and reprs
(``GreaterThan(lower_bound=0.0)``), used by ``validate_args``.

>>> import chainrule as torch
>>> from chainrule.distributions import constraints
>>> constraints.positive, constraints.positive.check(torch.tensor([1.0, -1.0]))
(GreaterThan(lower_bound=0.0), tensor([ True, False]))
"""

from __future__ import annotations

import numpy as np

from ..creation import from_numpy

__all__ = [
    "Constraint",
    "boolean",
    "dependent",
    "greater_than",
    "greater_than_eq",
    "integer_interval",
    "interval",
    "less_than",
    "lower_cholesky",
    "multinomial",
    "nonnegative",
    "nonnegative_integer",
    "positive",
    "positive_definite",
    "real",
    "real_vector",
    "simplex",
    "unit_interval",
]


class Constraint:
    """A region of values: ``check(value)`` is a bool tensor (per batch element for a
    constraint on events, ``event_dim`` > 0)."""

    is_discrete = False
    event_dim = 0

    def check(self, value):
        raise NotImplementedError

    def __repr__(self) -> str:
        return self.__class__.__name__[1:] + "()"


class _Dependent(Constraint):
    """A constraint that depends on other parameters (not checked on its own)."""

    def check(self, value):
        raise ValueError("Cannot determine validity of dependent constraint")


def is_dependent(constraint) -> bool:
    return isinstance(constraint, _Dependent)


class _Real(Constraint):
    def check(self, value):
        return value == value  # not nan


class _RealVector(Constraint):
    event_dim = 1

    def check(self, value):
        return (value == value).all(-1)

    def __repr__(self) -> str:
        return "IndependentConstraint(Real(), 1)"


class _Boolean(Constraint):
    is_discrete = True

    def check(self, value):
        return (value == 0) | (value == 1)


class _Bound(Constraint):
    def __init__(self, bound) -> None:
        self._bound = bound


class _GreaterThan(_Bound):
    def check(self, value):
        return value > self._bound

    def __repr__(self) -> str:
        return f"GreaterThan(lower_bound={self._bound})"


class _GreaterThanEq(_Bound):
    def check(self, value):
        return value >= self._bound

    def __repr__(self) -> str:
        return f"GreaterThanEq(lower_bound={self._bound})"


class _LessThan(_Bound):
    def check(self, value):
        return value < self._bound

    def __repr__(self) -> str:
        return f"LessThan(upper_bound={self._bound})"


class _Interval(Constraint):
    def __init__(self, lower_bound, upper_bound) -> None:
        self.lower_bound, self.upper_bound = lower_bound, upper_bound

    def check(self, value):
        return (self.lower_bound <= value) & (value <= self.upper_bound)

    def __repr__(self) -> str:
        return f"Interval(lower_bound={self.lower_bound}, upper_bound={self.upper_bound})"


class _IntegerInterval(_Interval):
    is_discrete = True

    def check(self, value):
        return (value % 1 == 0) & super().check(value)

    def __repr__(self) -> str:
        return f"IntegerInterval(lower_bound={self.lower_bound}, upper_bound={self.upper_bound})"


class _IntegerGreaterThan(_Bound):
    is_discrete = True

    def check(self, value):
        return (value % 1 == 0) & (value >= self._bound)

    def __repr__(self) -> str:
        return f"IntegerGreaterThan(lower_bound={self._bound})"


class _Simplex(Constraint):
    event_dim = 1

    def check(self, value):
        return (value >= 0).all(-1) & ((value.sum(-1) - 1).abs() < 1e-6)


class _Multinomial(Constraint):
    is_discrete = True
    event_dim = 1

    def __init__(self, upper_bound) -> None:
        self.upper_bound = upper_bound

    def check(self, value):
        return (value >= 0).all(-1) & (value.sum(-1) <= self.upper_bound)


class _LowerCholesky(Constraint):
    event_dim = 2

    def check(self, value):
        n = value.shape[-1]
        lower = (value == _tril(value)).reshape(*value.shape[:-2], n * n).all(-1)
        diag = value.diagonal(0, -2, -1) > 0
        return lower & diag.all(-1)


class _PositiveDefinite(Constraint):
    event_dim = 2

    def check(self, value):
        a = value.detach().numpy()
        sym = np.all(np.abs(a - np.swapaxes(a, -1, -2)) <= 1e-6 * (1 + np.abs(a)), axis=(-2, -1))
        try:
            ok = np.linalg.eigvalsh(a).min(-1) > 0
        except np.linalg.LinAlgError:
            ok = np.zeros(a.shape[:-2], bool)
        return from_numpy(np.asarray(sym & ok))


def _tril(value):
    n = value.shape[-1]
    return value * from_numpy(np.tril(np.ones((n, n), dtype=bool)))


dependent = _Dependent()
real = _Real()
real_vector = _RealVector()
boolean = _Boolean()
positive = _GreaterThan(0.0)
nonnegative = _GreaterThanEq(0.0)
unit_interval = _Interval(0.0, 1.0)
nonnegative_integer = _IntegerGreaterThan(0)
simplex = _Simplex()
lower_cholesky = _LowerCholesky()
positive_definite = _PositiveDefinite()
greater_than = _GreaterThan
greater_than_eq = _GreaterThanEq
less_than = _LessThan
interval = _Interval
integer_interval = _IntegerInterval
multinomial = _Multinomial
