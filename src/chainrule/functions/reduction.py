"""The PyTorch-named reductions, and the Tensor methods that share them
(``ReductionMethods``). Argument handling, return types (``torch.return_types.max``) and
PyTorch's error texts live here; the derivatives are the table's
(``chainrule.ops.reduction``). Non-differentiable queries (argmax, all, any,
count_nonzero) run their rows' forwards on the arrays directly (no recording), and make
nodes of an explicit graph (chainrule.sym).

>>> import chainrule as torch
>>> X = torch.arange(6.).reshape(2, 3)
>>> torch.sum(X, dim=1), X.sum(axis=0), X.max()
(tensor([ 3., 12.]), tensor([3., 5., 7.]), tensor(5.))
"""

from __future__ import annotations

import warnings
from collections import namedtuple

from .. import backend as _backend
from .. import dtypes as _dt
from ..backend import namespace
from ..ops.apply import apply
from ..ops.indexing import ARGMAX, ARGMIN
from ..ops.reduction import (
    ALL,
    AMAX,
    AMIN,
    ANY,
    COUNT_NONZERO,
    CUMPROD,
    CUMSUM,
    LOG_SOFTMAX,
    LOGSUMEXP,
    MAX_ALL,
    MAX_DIM,
    MEAN,
    MEAN_DIM,
    MIN_ALL,
    MIN_DIM,
    NORM2,
    NORM_ALL,
    NORM_P,
    PROD,
    PROD_DIM,
    SOFTMAX,
    STD,
    SUM,
    SUM_DIM,
    VAR,
)
from ..ops.symbolic import SYMBOLIC
from .args import dims_arg, keepdim_arg, one_dim
from .elementwise import maximum, minimum
from .indexing import nonzero


def _as(input, dtype):
    return input if dtype is None else input.to(dtype)


# ------------------------------------------------------------------ functions
def sum(input, dim=None, keepdim=False, *, dtype=None, axis=None, keepdims=None):
    """Sum of all elements, or along ``dim`` (int or tuple). Integers sum to int64.

    >>> import chainrule as torch
    >>> X = torch.arange(6.).reshape(2, 3)
    >>> X.sum(), X.sum(axis=0), X.sum(1, keepdim=True).shape
    (tensor(15.), tensor([3., 5., 7.]), torch.Size([2, 1]))
    """
    input = _as(input, dtype)
    if input._data.dtype.kind in "biu" and dtype is None:
        input = input.to(_dt.int64)
    d = dims_arg(dim, axis, input.ndim)
    return apply(
        SUM if d is None else SUM_DIM, input, dim=d, keepdim=keepdim_arg(keepdim, keepdims)
    )


def mean(input, dim=None, keepdim=False, *, dtype=None, axis=None, keepdims=None):
    """Arithmetic mean (floating inputs only, like PyTorch).

    >>> import chainrule as torch
    >>> torch.tensor([1., 2., 3., 4.]).mean()
    tensor(2.5000)
    """
    if dtype is None and dim is None and axis is None and input._data.dtype.kind in "fc":
        return apply(MEAN, input, dim=None, keepdim=keepdim_arg(keepdim, keepdims))  # x.mean()
    input = _as(input, dtype)
    if not (input.dtype.is_floating_point or input.dtype.is_complex):
        raise RuntimeError(
            "mean(): could not infer output dtype. Input dtype must be either a floating point "
            f"or complex dtype. Got: {input.dtype.title}"
        )
    d = dims_arg(dim, axis, input.ndim)
    return apply(
        MEAN if d is None else MEAN_DIM, input, dim=d, keepdim=keepdim_arg(keepdim, keepdims)
    )


def prod(input, dim=None, keepdim=False, *, dtype=None, axis=None, keepdims=None):
    """Product of all elements, or along one ``dim``; exact gradient also with zeros.

    >>> import chainrule as torch
    >>> torch.tensor([1., 2., 3., 4.]).prod()
    tensor(24.)
    """
    input = _as(input, dtype)
    if input._data.dtype.kind in "biu" and dtype is None:
        input = input.to(_dt.int64)
    d = dims_arg(dim, axis, input.ndim)
    prim = PROD if d is None else PROD_DIM
    return apply(prim, input, dim=d, keepdim=keepdim_arg(keepdim, keepdims))


def _var_args(input, dim, unbiased, correction, keepdim, axis, keepdims, name):
    if not (input.dtype.is_floating_point or input.dtype.is_complex):
        raise RuntimeError("std and var only support floating point and complex dtypes")
    if isinstance(dim, bool):  # var(x, False): the old positional 'unbiased'
        unbiased, dim = dim, None
    if correction is None:
        correction = 1 if unbiased is None or unbiased else 0
    d = dims_arg(dim, axis, input.ndim)
    shape = input._data.shape
    n = 1
    for i, s in enumerate(shape):
        n *= s if d is None or i in d else 1
    if n - correction <= 0 and input._data.size:  # the result is inf or nan: PyTorch warns
        warnings.warn(
            f"{name}(): degrees of freedom is <= 0. Correction should be strictly less than "
            "the reduction factor (input numel divided by output numel).",
            UserWarning,
            stacklevel=3,
        )
    return dict(dim=d, correction=correction, keepdim=keepdim_arg(keepdim, keepdims))


def var(
    input, dim=None, unbiased=None, keepdim=False, *, correction=None, axis=None, keepdims=None
):
    """Variance, unbiased (correction=1) by default like PyTorch.

    >>> import chainrule as torch
    >>> torch.tensor([1., 2., 3., 4.]).var()
    tensor(1.6667)
    """
    args = _var_args(input, dim, unbiased, correction, keepdim, axis, keepdims, "var")
    return apply(VAR, input, **args)


def std(
    input, dim=None, unbiased=None, keepdim=False, *, correction=None, axis=None, keepdims=None
):
    """Standard deviation, unbiased by default like PyTorch.

    >>> import chainrule as torch
    >>> torch.tensor([1., 2., 3., 4.]).std()
    tensor(1.2910)
    """
    args = _var_args(input, dim, unbiased, correction, keepdim, axis, keepdims, "std")
    return apply(STD, input, **args)


def logsumexp(input, dim=None, keepdim=False, *, axis=None, keepdims=None):
    """log(sum(exp(x))) along ``dim``, computed stably.

    >>> import chainrule as torch
    >>> torch.logsumexp(torch.tensor([1000., 1000.]), dim=0)
    tensor(1000.6932)
    """
    if dim is None and axis is None:
        raise TypeError("logsumexp() missing required argument 'dim'")
    d = dims_arg(dim, axis, input.ndim)
    return apply(LOGSUMEXP, input, dim=d, keepdim=keepdim_arg(keepdim, keepdims))


def softmax(input, dim, dtype=None):
    """exp(x) / sum(exp(x)) along ``dim``, computed with the row's maximum subtracted (so it
    never overflows) and in float32 for float16, as PyTorch.

    >>> import chainrule as torch
    >>> torch.softmax(torch.tensor([1000.0, 1000.0]), dim=0)
    tensor([0.5000, 0.5000])
    """
    return _softmax_like(SOFTMAX, input, dim, dtype)


def log_softmax(input, dim, dtype=None):
    """x - max - log(sum(exp(x - max))) along ``dim``: stable for large logits, and precise
    (x - logsumexp(x) would lose the digits below a large logsumexp's ulp).

    >>> import chainrule as torch
    >>> torch.log_softmax(torch.tensor([0.0, 0.0]), dim=0)
    tensor([-0.6931, -0.6931])
    """
    return _softmax_like(LOG_SOFTMAX, input, dim, dtype)


def _softmax_like(prim, input, dim, dtype):
    if dtype is not None:
        input = input.to(dtype)
    elif not (input.dtype.is_floating_point or input.dtype.is_complex):
        name = "softmax" if prim is SOFTMAX else "log_softmax"
        raise RuntimeError(
            f"\"{name}_lastdim_kernel_impl\" not implemented for '{input.dtype.title}'"
        )
    return apply(prim, input, dim=one_dim(dim, None, input.ndim))


def amax(input, dim=None, keepdim=False, *, axis=None, keepdims=None):
    """Maximum over ``dim`` (all dims by default); ties share the gradient evenly.

    >>> import chainrule as torch
    >>> torch.amax(torch.tensor([[1, 5], [7, 2]]), dim=1)
    tensor([5, 7])
    """
    d = dims_arg(dim, axis, input.ndim)
    _check_nonempty(input, d, "amax")
    return apply(AMAX, input, dim=d, keepdim=keepdim_arg(keepdim, keepdims))


def amin(input, dim=None, keepdim=False, *, axis=None, keepdims=None):
    """Minimum over ``dim`` (all dims by default); ties share the gradient evenly.

    >>> import chainrule as torch
    >>> torch.amin(torch.tensor([[1, 5], [7, 2]]), dim=1)
    tensor([1, 2])
    """
    d = dims_arg(dim, axis, input.ndim)
    _check_nonempty(input, d, "amin")
    return apply(AMIN, input, dim=d, keepdim=keepdim_arg(keepdim, keepdims))


def _check_nonempty(input, dims, name):
    """PyTorch refuses to reduce over an empty dim (there is no max of nothing)."""
    shape = input._data.shape
    if input._data.size == 0:
        if dims is None:
            raise RuntimeError(
                f"{name}(): Expected reduction dim to be specified for input.numel() == 0. "
                "Specify the reduction dim with the 'dim' argument."
            )
        for d in dims:
            if shape[d] == 0:
                raise IndexError(f"{name}(): Expected reduction dim {d} to have non-zero size.")


class _ReturnType(tuple):
    """A (values, indices) pair that prints like ``torch.return_types.max``."""

    _name = "max"

    def __new__(cls, values, indices):
        return tuple.__new__(cls, (values, indices))

    @classmethod
    def _make(cls, iterable):
        """One from an iterable of (values, indices), as a namedtuple's ``_make`` (the
        pytrees of chainrule.func and chainrule.compile rebuild it so)."""
        return cls(*iterable)

    @property
    def values(self):
        return self[0]

    @property
    def indices(self):
        return self[1]

    def __repr__(self) -> str:
        return f"torch.return_types.{self._name}(\nvalues={self[0]!r},\nindices={self[1]!r})"


def _return_type(name):
    return type(name, (_ReturnType,), {"_name": name, "__slots__": ()})


max_type, min_type = _return_type("max"), _return_type("min")
sort_type = namedtuple("sort", ["values", "indices"])


def _extreme(input, dim, keepdim, axis, keepdims, other, full_prim, dim_prim, arg, rtype, name):
    if other is not None:
        return (maximum if name == "max" else minimum)(input, other)
    if dim is None and axis is None:
        if input._data.size == 0:
            raise RuntimeError(
                f"{name}(): Expected reduction dim to be specified for input.numel() == 0. "
                "Specify the reduction dim with the 'dim' argument."
            )
        return apply(full_prim, input, dim=None, keepdim=False)
    d = one_dim(dim, axis, input.ndim)
    kd = keepdim_arg(keepdim, keepdims)
    data = input._data
    if data.ndim and data.shape[d] == 0:
        raise IndexError(f"{name}(): Expected reduction dim {d} to have non-zero size.")
    xp = _ns(data)
    if data.ndim == 0:  # the one element is the extreme (also a NaN): index 0
        idx = xp.zeros((), "int64")
        return _with_indices(rtype, apply(dim_prim, input, idx=idx, dim=0, keepdim=kd), input, idx)
    if xp is SYMBOLIC:  # an explicit graph: the index is a node of it (argmax, argmin)
        idx_t = apply(ARGMAX if name == "max" else ARGMIN, input, dim=d, keepdim=True)
        values = apply(dim_prim, input, idx=idx_t._data, dim=d, keepdim=kd)
        return rtype(values, idx_t if kd else idx_t.squeeze(d))
    idx = xp.expand_dims(arg(data, axis=d), d)
    values = apply(dim_prim, input, idx=idx, dim=d, keepdim=kd)
    return _with_indices(rtype, values, input, idx if kd else xp.squeeze(idx, axis=d))


def _with_indices(rtype, values, input, idx):
    """(values, indices); values' node saves the indices tensor it returns, as PyTorch's
    MaxBackward0 does: changing them in place makes backward refuse."""
    indices = _idx_tensor(input, idx)
    node = values._node
    if node is not None:
        if node.checks is None:
            node.checks = []
        node.checks.append((indices._vc, indices._vc[0], indices, "~indices"))
    return rtype(values, indices)


_ns = namespace


def _idx_tensor(like, a):
    """Indices as an int64 tensor (argmax, max(dim)'s indices)."""
    return like._new(_backend.astype(a, "int64"))


def max(input, dim=None, keepdim=False, *, axis=None, keepdims=None, out=None):
    """The maximum: of all elements, or along ``dim`` as (values, indices), or elementwise
    against another tensor.

    >>> import chainrule as torch
    >>> torch.tensor([[1, 5], [7, 2]]).max(dim=1)
    torch.return_types.max(
    values=tensor([5, 7]),
    indices=tensor([1, 0]))
    """
    other = dim if hasattr(dim, "_data") else None
    if other is not None:
        dim = None
    return _extreme(
        input,
        dim,
        keepdim,
        axis,
        keepdims,
        other,
        MAX_ALL,
        MAX_DIM,
        lambda a, axis: _ns(a).argmax(a, axis=axis),
        max_type,
        "max",
    )


def min(input, dim=None, keepdim=False, *, axis=None, keepdims=None, out=None):
    """The minimum: of all elements, or along ``dim`` as (values, indices).

    >>> import chainrule as torch
    >>> torch.tensor([[1, 5], [7, 2]]).min(dim=1).indices
    tensor([0, 1])
    """
    other = dim if hasattr(dim, "_data") else None
    if other is not None:
        dim = None
    return _extreme(
        input,
        dim,
        keepdim,
        axis,
        keepdims,
        other,
        MIN_ALL,
        MIN_DIM,
        lambda a, axis: _ns(a).argmin(a, axis=axis),
        min_type,
        "min",
    )


def argmax(input, dim=None, keepdim=False, *, axis=None, keepdims=None):
    """Index of the maximum (of the flattened tensor when ``dim`` is None).

    >>> import chainrule as torch
    >>> torch.tensor([[1, 5], [7, 2]]).argmax()
    tensor(2)
    """
    return _arg(input, dim, keepdim, axis, keepdims, "argmax")


def argmin(input, dim=None, keepdim=False, *, axis=None, keepdims=None):
    """Index of the minimum (of the flattened tensor when ``dim`` is None).

    >>> import chainrule as torch
    >>> torch.tensor([[1, 5], [7, 2]]).argmin(dim=0)
    tensor([0, 1])
    """
    return _arg(input, dim, keepdim, axis, keepdims, "argmin")


def _arg(input, dim, keepdim, axis, keepdims, name):
    data = input._data
    xp = _ns(data)
    if data.dtype.kind == "b":
        raise RuntimeError(f"{name}(): does not support bool input")
    if data.dtype.kind == "c":
        raise RuntimeError(f"{name}(): does not support complex input")
    kd = keepdim_arg(keepdim, keepdims)
    if xp is SYMBOLIC:  # an explicit graph: the index is a node of it
        d = None if dim is None and axis is None else one_dim(dim, axis, data.ndim)
        return apply(ARGMAX if name == "argmax" else ARGMIN, input, dim=d, keepdim=kd)
    if dim is None and axis is None:
        if data.size == 0:  # (an IndexError here, unlike max()'s, as in PyTorch)
            raise IndexError(
                f"{name}(): Expected reduction dim to be specified for input.numel() == 0."
            )
        r = getattr(xp, name)(data)
        r = xp.asarray(r).reshape((1,) * data.ndim if kd else ())
        return _idx_tensor(input, r)
    d = one_dim(dim, axis, data.ndim)
    if data.ndim and data.shape[d] == 0:
        raise IndexError(f"{name}(): Expected reduction dim {d} to have non-zero size.")
    return _idx_tensor(input, xp.asarray(getattr(xp, name)(data, axis=d, keepdims=kd)))


def all(input, dim=None, keepdim=False, *, axis=None, keepdims=None):
    """Whether all elements are true (non-zero).

    >>> import chainrule as torch
    >>> torch.tensor([1, 0]).all()
    tensor(False)
    """
    return _logical(input, dim, keepdim, axis, keepdims, "all")


def any(input, dim=None, keepdim=False, *, axis=None, keepdims=None):
    """Whether any element is true (non-zero).

    >>> import chainrule as torch
    >>> torch.tensor([1, 0]).any()
    tensor(True)
    """
    return _logical(input, dim, keepdim, axis, keepdims, "any")


def _logical(input, dim, keepdim, axis, keepdims, name):
    d = dims_arg(dim, axis, input._data.ndim)
    kd = keepdim_arg(keepdim, keepdims)
    return _query(ANY if name == "any" else ALL, input, dim=d, keepdim=kd)


def count_nonzero(input, dim=None):
    """Number of non-zero elements (int64), of all or along ``dim`` (int or tuple).

    >>> import chainrule as torch
    >>> torch.count_nonzero(torch.tensor([1, 0, 3]))
    tensor(2)
    """
    return _query(COUNT_NONZERO, input, dim=dims_arg(dim, None, input._data.ndim))


def _query(prim, input, **params):
    """A row with no derivative (any, all, count_nonzero): its forward on the data, or in
    an explicit graph, its node."""
    data = input._data
    xp = _ns(data)
    if xp is SYMBOLIC:
        return apply(prim, input, **params)
    return input._new(prim.fwd(xp, data, **params))


def cumsum(input, dim=None, *, dtype=None, axis=None):
    """Cumulative sum along ``dim``.

    >>> import chainrule as torch
    >>> torch.cumsum(torch.tensor([[1, 2], [3, 4]]), dim=0)
    tensor([[1, 2],
            [4, 6]])
    """
    input = _as(input, dtype)
    d = one_dim(dim, axis, input.ndim)
    if input._data.dtype.kind in "biu":
        input = input.to(_dt.int64)
    if input.ndim == 0:
        return input.clone()
    return apply(CUMSUM, input, dim=d)


def cumprod(input, dim=None, *, dtype=None, axis=None):
    """Cumulative product along ``dim``.

    >>> import chainrule as torch
    >>> torch.cumprod(torch.tensor([1., 2., 3.]), dim=0)
    tensor([1., 2., 6.])
    """
    input = _as(input, dtype)
    d = one_dim(dim, axis, input.ndim)
    if input._data.dtype.kind in "biu":
        input = input.to(_dt.int64)
    return apply(CUMPROD, input, dim=d)


def norm(input, p="fro", dim=None, keepdim=False, dtype=None, *, axis=None, keepdims=None):
    """Vector p-norm (p = 2, 1, inf, -inf, 0 or any number) or Frobenius norm ('fro').

    The 2-norm has its own rule, the other p one more (``ops.reduction.NORM_P``): PyTorch's
    subgradients (0 at the origin and at zero entries, inf-norm ties share evenly).

    >>> import chainrule as torch
    >>> u = torch.tensor([3.0, -4.0])
    >>> torch.norm(u), torch.abs(u).sum(), u.norm(p=float('inf'))
    (tensor(5.), tensor(7.), tensor(4.))
    """
    if p == "fro" and dim is None and axis is None and dtype is None and not keepdim:
        if input._data.dtype.kind == "f":  # the common call, x.norm(): straight to the rule
            return apply(NORM_ALL, input)
    input = _as(input, dtype)
    if not (input.dtype.is_floating_point or input.dtype.is_complex):
        raise RuntimeError(
            f"linalg.vector_norm: Expected a floating point or complex tensor as input. "
            f"Got {input.dtype.title}"
        )
    d = dims_arg(dim, axis, input.ndim)
    kd = keepdim_arg(keepdim, keepdims)
    if p == "fro" and d is not None and len(d) > 2:
        raise RuntimeError(
            f"linalg.matrix_norm: dim must be a 2-tuple. Got {' '.join(map(str, d))}"
        )
    if p is None or p == "fro" or p == 2:
        return apply(NORM2, input, dim=d, keepdim=kd)
    if p == "nuc":
        raise NotImplementedError("the nuclear norm is not provided yet")
    p = float(p)
    if p < 0 or p == float("inf"):  # no identity: an empty reduction has no value
        shape = input._data.shape
        if input._data.size == 0 and d is None:
            raise RuntimeError(
                f"linalg.vector_norm cannot compute the {p:g} norm on an empty tensor because "
                "the operation does not have an identity"
            )
        for i in d or ():
            if shape[i] == 0:
                raise RuntimeError(
                    f"linalg.vector_norm cannot compute the {p:g} norm on the dimension {i}"
                    "because this dimension is empty and the operation does not have an identity"
                )
    return apply(NORM_P, input, p=p, dim=d, keepdim=kd)


class ReductionMethods:
    """The reduction part of Tensor's API: ``x.sum()``, ``x.max(dim=1)``, ``x.norm()``..."""

    __slots__ = ()

    sum = sum
    mean = mean
    prod = prod
    var = var
    std = std
    logsumexp = logsumexp
    amax = amax
    amin = amin
    max = max
    min = min
    argmax = argmax
    argmin = argmin
    all = all
    any = any
    cumsum = cumsum
    cumprod = cumprod
    norm = norm
    softmax = softmax
    log_softmax = log_softmax
    count_nonzero = count_nonzero
    nonzero = nonzero
