"""PyTorch's statistics: nansum, nanmean, median, nanmedian, mode, quantile, nanquantile,
cummax, cummin, logcumsumexp, aminmax, cov, corrcoef, histc, bincount, bucketize,
searchsorted, cdist, renorm, diff; and the Tensor methods that share them
(``StatisticsMethods``), with the in-place forms PyTorch has (``cumsum_``, ``renorm_``)
and the in-place shape methods (``t_``, ``squeeze_``, ``transpose_``...).

Rows of their own (``chainrule.ops.stats``): median, nanmedian, mode, cummax, cummin and
logcumsumexp. Everything else is a composite of other functions (said beside each), so
its gradient comes from their rows. Counting functions (histc, bincount, bucketize,
searchsorted) have no gradient, as in PyTorch.

>>> import chainrule as torch
>>> torch.median(torch.tensor([3., 1., 2., 4.]))
tensor(2.)
"""

from __future__ import annotations

import math
import warnings

from .. import _cpp_sort
from .. import backend as _backend
from .. import dtypes as _dt
from ..backend import namespace
from ..ops.apply import apply, apply_inplace
from ..ops.reduction import CUMPROD, CUMSUM
from ..ops.stats import (
    CUMMAX,
    CUMMIN,
    LOGCUMSUMEXP,
    MEDIAN_ALL,
    MEDIAN_DIM,
    MODE,
    NANMEDIAN_ALL,
    NANMEDIAN_DIM,
    NANSUM,
)
from ..ops.symbolic import SymArray
from ..tensor_base import TensorBase
from .args import dims_arg, wrap_dim
from .elementwise import isnan, where
from .reduction import _return_type, _with_indices, amax, amin, norm, sum
from .selection import sort
from .shape import cat

median_type = _return_type("median")
nanmedian_type = _return_type("nanmedian")
mode_type = _return_type("mode")
cummax_type = _return_type("cummax")
cummin_type = _return_type("cummin")


def _title(t) -> str:
    return t.dtype.title


# ------------------------------------------------------------------ nan-ignoring sums
def nansum(input, dim=None, keepdim=False, *, dtype=None):
    """Sum treating NaN as zero (integers sum to int64, as ``sum``). The gradient is 1
    where input is not NaN, 0 where it is.

    >>> import chainrule as torch
    >>> torch.nansum(torch.tensor([1., float('nan'), 2.]))
    tensor(3.)
    """
    if input.dtype.is_complex:
        raise RuntimeError("nansum does not support complex inputs")
    if dtype is not None:
        input = input.to(dtype)
    if not input.dtype.is_floating_point:  # no NaN to skip: sum's row
        return sum(input, dim, keepdim)
    return apply(NANSUM, input, dim=dims_arg(dim, None, input.ndim), keepdim=keepdim)


def nanmean(input, dim=None, keepdim=False, *, dtype=None):
    """Mean of the elements that are not NaN (NaN where there are none). Composite of
    nansum and a count.

    >>> import chainrule as torch
    >>> torch.nanmean(torch.tensor([[1., float('nan')], [2., 4.]]), dim=1)
    tensor([1., 3.])
    """
    if not (input.dtype.is_floating_point or input.dtype.is_complex) and dtype is None:
        raise RuntimeError(
            "nanmean(): expected input to have floating point or complex dtype but got "
            f"{_title(input)}"
        )
    if dtype is not None:
        input = input.to(dtype)
    count = sum(~isnan(input), dim, keepdim)
    return nansum(input, dim, keepdim) / count


# ------------------------------------------------------------------ medians and mode
def _no_bool(name, input):
    if input.dtype is _dt.bool:
        raise NotImplementedError(f"\"{name}\" not implemented for 'Bool'")


def _nonempty_dim(name, input, d):
    if input._data.ndim and input._data.shape[d] == 0:
        raise IndexError(f"{name}(): Expected reduction dim {d} to have non-zero size.")


def _not_symbolic(input, name: str) -> None:
    """Refuse an explicit graph (chainrule.sym) where the indices are read from the values
    eagerly: a clear error, never a wrong number."""
    if type(input._data) is SymArray:
        raise NotImplementedError(
            f"chainrule.sym: {name} reads its indices from the values; it is not available "
            "in explicit graphs yet (sort or kthvalue are)"
        )


def _by_index(prim, rtype, input, dim, keepdim, pick):
    """(values, indices) along ``dim``: ``pick(xp, data, d)`` gives the chosen index per row
    (keepdim shape); the values are the elements there, and get the gradient there."""
    _not_symbolic(input, rtype._name + "(dim)")
    data = input._data
    xp = namespace(data)
    if data.ndim == 0:  # the one element: index 0
        idx = xp.zeros((), dtype=xp.int64)
        return _with_indices(rtype, apply(prim, input, idx=idx, dim=0, keepdim=keepdim), input, idx)
    d = wrap_dim(dim, data.ndim)
    idx = _backend.astype(pick(xp, data, d), "int64")
    values = apply(prim, input, idx=idx, dim=d, keepdim=keepdim)
    return _with_indices(rtype, values, input, idx if keepdim else xp.squeeze(idx, axis=d))


def _median_index(xp, data, d, ignore_nan):
    """PyTorch's index: the lower middle of a stable ascending order (ties by position),
    NaN last. median: a row with a NaN gives its first NaN; nanmedian: the middle of the
    values that are not NaN (position 0 when all are)."""
    order = xp.argsort(data, axis=d, kind="stable")
    n = data.shape[d]
    if data.dtype.kind not in "fc":
        return xp.take(order, xp.asarray([(n - 1) // 2]), axis=d)
    nans = data != data
    valid = n - xp.sum(nans, axis=d, keepdims=True)
    if ignore_nan:
        pos = xp.where(valid > 0, (valid - 1) // 2, 0)
        idx = xp.take_along_axis(order, _backend.astype(pos, "int64"), axis=d)
        if _backend.lazy(valid) or _backend.any_true(valid == 0):  # (Dask: always the where)
            # all NaN: PyTorch's nth_element sees them all as equal, and which comes
            # first follows libstdc++'s steps (the same for every such row of length n)
            a = list(range(n))
            _cpp_sort.nth_element(a, 0, 0, n, lambda i, j: False)
            idx = xp.where(valid == 0, a[0], idx)
        return idx
    mid = xp.take(order, xp.asarray([(n - 1) // 2]), axis=d)
    first_nan = xp.argmax(_backend.astype(nans, "int8"), axis=d, keepdims=True)
    return xp.where(valid < n, first_nan, mid)


def median(input, dim=None, keepdim=False):
    """The lower median: of all elements (NaN if any is NaN), or along ``dim`` as
    (values, indices). Tied elements share the gradient of the whole median; along a dim
    the returned index gets it.

    >>> import chainrule as torch
    >>> torch.median(torch.tensor([[3., 1., 2., 1.], [5., 5., 4., 4.]]), dim=1)
    torch.return_types.median(
    values=tensor([1., 4.]),
    indices=tensor([3, 3]))
    """
    _no_bool("median_cpu" if dim is None else "median_out", input)
    if dim is None:
        return apply(MEDIAN_ALL, input, dim=None, keepdim=False)
    d = wrap_dim(dim, input._data.ndim)
    _nonempty_dim("median", input, d)
    pick = lambda xp, a, d: _median_index(xp, a, d, False)  # noqa: E731
    return _by_index(MEDIAN_DIM, median_type, input, d, keepdim, pick)


def nanmedian(input, dim=None, keepdim=False):
    """The lower median of the elements that are not NaN; of all, or along ``dim`` as
    (values, indices).

    >>> import chainrule as torch
    >>> torch.nanmedian(torch.tensor([1., float('nan'), 3., 2.]))
    tensor(2.)
    """
    _no_bool("median_cpu" if dim is None else "median_out", input)
    if dim is None:
        return apply(NANMEDIAN_ALL, input, dim=None, keepdim=False)
    d = wrap_dim(dim, input._data.ndim)
    _nonempty_dim("median", input, d)  # (PyTorch's text names median)
    pick = lambda xp, a, d: _median_index(xp, a, d, True)  # noqa: E731
    return _by_index(NANMEDIAN_DIM, nanmedian_type, input, d, keepdim, pick)


def _mode_index(xp, data, d):
    """Per row: the most frequent value (the smallest of equally frequent ones), at its
    last position, as PyTorch's CPU kernel (on Dask: per block, each row whole in one)."""
    if _backend.lazy(data):
        return xp.per_line(_mode_rows, data, d, 1, "int64")
    idx = _mode_rows(_backend.to_numpy(data), d)
    return _backend.move(idx, *_backend.device_key(data)) if xp is not _backend.numpy else idx


def _mode_rows(a, d):
    np = _backend.numpy
    a = np.moveaxis(a, d, -1)
    rows = a.reshape(-1, a.shape[-1])
    out = np.empty(rows.shape[0], dtype=np.int64)
    for r, row in enumerate(rows):
        vals, counts = np.unique(row, return_counts=True)
        v = vals[np.argmax(counts)]
        hit = (row == v) | ((row != row) & (v != v))
        out[r] = row.shape[0] - 1 - np.argmax(hit[::-1])
    return np.moveaxis(out.reshape(a.shape[:-1] + (1,)), -1, d)


def mode(input, dim=-1, keepdim=False):
    """The most frequent value along ``dim`` (the smallest of equally frequent ones) and
    its last index, as (values, indices); the gradient goes to that index.

    >>> import chainrule as torch
    >>> torch.mode(torch.tensor([[1, 2, 2, 1, 3], [4, 4, 5, 5, 5]]))
    torch.return_types.mode(
    values=tensor([1, 5]),
    indices=tensor([3, 4]))
    """
    d = wrap_dim(dim, input._data.ndim)
    _nonempty_dim("mode", input, d)
    return _by_index(MODE, mode_type, input, d, keepdim, _mode_index)


# ------------------------------------------------------------------ scans
def _scan_index(xp, data, d, larger: bool):
    """cummax's (cummin's) indices: a new extreme, or an equal one, moves the index on
    (ties take the later position); a NaN sticks, and a later NaN moves it too."""
    n = data.shape[d]
    xm = xp.moveaxis(data, d, 0)
    floats = data.dtype.kind in "fc"
    best = xm[0, ...]
    at = xp.zeros(best.shape, dtype=xp.int64)
    out = [at]
    for i in range(1, n):
        v = xm[i, ...]
        take = (v >= best) if larger else (v <= best)
        if floats:
            take = (v != v) | ((best == best) & take)
        best = xp.where(take, v, best)
        at = xp.where(take, xp.full(at.shape, i, dtype=xp.int64), at)
        out.append(at)
    return xp.moveaxis(xp.stack(out, axis=0), 0, d)


def _cum_extreme(prim, rtype, input, dim, larger):
    _not_symbolic(input, prim.name)
    data = input._data
    if data.ndim == 0 and dim not in (0, -1):
        raise IndexError(f"{prim.name}(): Expected reduction dim -1 or 0 for scalar but got {dim}")
    xp = namespace(data)
    if data.size == 0:  # (PyTorch checks no dim of an empty tensor)
        idx = xp.zeros(data.shape, dtype=xp.int64)
        return _with_indices(rtype, input.clone(), input, idx)
    d = wrap_dim(dim, data.ndim)
    if data.ndim == 0:
        idx = xp.zeros((), dtype=xp.int64)
        return _with_indices(rtype, apply(prim, input, idx=idx, dim=0, keepdim=True), input, idx)
    idx = _scan_index(xp, data, d, larger)
    return _with_indices(rtype, apply(prim, input, idx=idx, dim=d, keepdim=True), input, idx)


def cummax(input, dim):
    """Running maximum along ``dim`` and where it was found (ties: the later index; a NaN
    stays). Each input element gets the gradient of the outputs that chose it.

    >>> import chainrule as torch
    >>> torch.cummax(torch.tensor([1., 3., 2., 3.]), 0)
    torch.return_types.cummax(
    values=tensor([1., 3., 3., 3.]),
    indices=tensor([0, 1, 1, 3]))
    """
    return _cum_extreme(CUMMAX, cummax_type, input, dim, True)


def cummin(input, dim):
    """Running minimum along ``dim`` and where it was found (ties: the later index).

    >>> import chainrule as torch
    >>> torch.cummin(torch.tensor([3., 1., 2., 1.]), 0).indices
    tensor([0, 1, 1, 3])
    """
    return _cum_extreme(CUMMIN, cummin_type, input, dim, False)


def logcumsumexp(input, dim):
    """log(cumsum(exp(input))) along ``dim``, computed stably (floating inputs only).

    >>> import chainrule as torch
    >>> torch.logcumsumexp(torch.tensor([0., 0., 1000.]), 0)
    tensor([0.0000e+00, 6.9315e-01, 1.0000e+03])
    """
    if not (input.dtype.is_floating_point or input.dtype.is_complex):
        raise NotImplementedError(f"\"logcumsumexp_out_cpu\" not implemented for '{_title(input)}'")
    d = wrap_dim(dim, input._data.ndim)
    if input._data.ndim == 0:
        return apply(LOGCUMSUMEXP, input.reshape(1), dim=0).reshape(())
    return apply(LOGCUMSUMEXP, input, dim=d)


class aminmax_type(tuple):
    """(min, max), printed as ``torch.return_types.aminmax``."""

    __slots__ = ()

    def __new__(cls, min, max):
        return tuple.__new__(cls, (min, max))

    @property
    def min(self):
        return self[0]

    @property
    def max(self):
        return self[1]

    def __repr__(self) -> str:
        return f"torch.return_types.aminmax(\nmin={self[0]!r},\nmax={self[1]!r})"


def aminmax(input, *, dim=None, keepdim=False):
    """(amin, amax) together, of all elements or along ``dim``. Composite of amin and amax
    (tied extremes share the gradient evenly).

    >>> import chainrule as torch
    >>> torch.aminmax(torch.tensor([[1, 5], [7, 2]]), dim=1)
    torch.return_types.aminmax(
    min=tensor([1, 2]),
    max=tensor([5, 7]))
    """
    shape = input._data.shape
    if dim is not None:
        d = wrap_dim(dim, len(shape))
        if shape and shape[d] == 0:
            raise IndexError(f"aminmax: Expected reduction dim {d} to have non-zero size.")
    if input._data.size == 0 and dim is None:
        raise RuntimeError(
            "aminmax(): cannot compute aminmax over an empty dimension as the operation has no "
            "identity."
        )
    if dim is None:
        r = (amin(input), amax(input))
        if keepdim:
            r = tuple(t.reshape((1,) * input.ndim) for t in r)
        return aminmax_type(*r)
    return aminmax_type(amin(input, dim, keepdim), amax(input, dim, keepdim))


# ------------------------------------------------------------------ quantiles
_MODES = ("linear", "lower", "higher", "midpoint", "nearest")


def _quantile(input, q, dim, keepdim, interpolation, ignore_nan, name):
    if not input.dtype.is_floating_point or input.dtype is _dt.float16:
        raise RuntimeError(f"{name}() input tensor must be either float or double dtype")
    if _is_tensor(q):
        if q.dtype != input.dtype:
            raise RuntimeError(f"{name}() q tensor must be same dtype as the input tensor")
        if q.ndim > 1:
            raise RuntimeError(f"{name}() q must be a scalar or 1D tensor")
        qa = _backend.to_numpy(q._data)
    else:
        qa = _backend.numpy.asarray(q, dtype=input._data.dtype)
    if interpolation not in _MODES:
        raise RuntimeError(
            f"{name}() interpolation must be one of linear, lower, higher, midpoint or "
            f"nearest, but got {interpolation}"
        )
    if input._data.size == 0:
        raise RuntimeError(f"{name}() input tensor must be non-empty")
    np = _backend.numpy
    if ((qa < 0) | (qa > 1)).any():
        if qa.ndim == 0:
            raise RuntimeError(f"{name}() q must be in the range [0, 1] but got {float(qa)}")
        raise RuntimeError(f"{name}() q values must be in the range [0, 1]")
    # the sorted values along the reduced dim, moved last (NaN sort last)
    if dim is None:
        x, d = input.reshape(-1), 0
    else:
        d = wrap_dim(dim, input.ndim)
        x = input.reshape(1) if input.ndim == 0 else input
    s = sort(x, dim=d).values.movedim(d, -1)
    sd = _backend.to_numpy(s._data)
    n = sd.shape[-1]
    dt = sd.dtype
    # ranks in the input's dtype, as PyTorch computes them (q * (count - 1))
    qv = qa.reshape(-1).astype(dt)
    nans = np.isnan(sd).sum(-1, keepdims=True)
    if ignore_nan:
        count = n - nans
        ranks = qv * (count - 1).astype(dt)
        ranks = np.where(count == 0, np.asarray(n - 1, dt), ranks)  # all NaN: a NaN
    else:
        ranks = np.broadcast_to(qv * np.asarray(n - 1, dt), sd.shape[:-1] + qv.shape)
        ranks = np.where(nans > 0, np.asarray(n - 1, dt), ranks)  # any NaN: NaN
    ranks = ranks.astype(dt)
    if interpolation == "lower":
        ranks = np.floor(ranks)
    elif interpolation == "higher":
        ranks = np.ceil(ranks)
    elif interpolation == "nearest":
        ranks = np.round(ranks)  # half to even, as PyTorch's round
    below = ranks.astype(np.int64)
    take = lambda idx: s.gather(-1, s._new(_backend.move(idx, *_backend.device_key(s._data))))  # noqa: E731
    r = take(below)
    if interpolation in ("linear", "midpoint"):
        above = np.ceil(ranks).astype(np.int64)
        if interpolation == "linear":
            w = (ranks - below).astype(dt)
        else:
            w = np.where(above == below, 0.0, 0.5).astype(dt)
        wt = s._new(_backend.move(w, *_backend.device_key(s._data)))
        r = take(below).lerp(take(above), wt)
    # r: reduced shape + (len(q),): q's axis first, or none for a scalar q
    if keepdim:
        if dim is None:
            r = r.reshape((1,) * input.ndim + (r.shape[-1],))
        elif input.ndim:
            r = r.unsqueeze(d)
    r = r.movedim(-1, 0) if qa.ndim == 1 else r.squeeze(-1)
    return r


def _is_tensor(v) -> bool:
    return isinstance(v, TensorBase)


def quantile(input, q, dim=None, keepdim=False, *, interpolation="linear"):
    """The q-th quantiles (q a number or a 1-D tensor in [0, 1]) of all elements or along
    ``dim``; NaN where a reduced row holds a NaN. Composite of sort, gather and lerp.

    >>> import chainrule as torch
    >>> torch.quantile(torch.tensor([1., 2., 3., 4.]), torch.tensor([0.25, 0.5]))
    tensor([1.7500, 2.5000])
    """
    return _quantile(input, q, dim, keepdim, interpolation, False, "quantile")


def nanquantile(input, q, dim=None, keepdim=False, *, interpolation="linear"):
    """``quantile`` of the values that are not NaN (NaN where a row has none).

    >>> import chainrule as torch
    >>> torch.nanquantile(torch.tensor([1., float('nan'), 3.]), 0.5)
    tensor(2.)
    """
    return _quantile(input, q, dim, keepdim, interpolation, True, "quantile")  # (its errors')


# ------------------------------------------------------------------ covariance
def cov(input, *, correction=1, fweights=None, aweights=None):
    """Covariance of the variables in the rows of ``input`` (observations in columns), with
    optional integer frequency and float observation weights. Composite of sum, mm.

    >>> import chainrule as torch
    >>> torch.cov(torch.tensor([[0., 1., 2.], [2., 1., 0.]]))
    tensor([[ 1., -1.],
            [-1.,  1.]])
    """
    if input.ndim > 2:
        raise RuntimeError(
            "cov(): expected input to have two or fewer dimensions but got an input with "
            f"{input.ndim} dimensions"
        )
    if input.dtype is _dt.bool:
        raise RuntimeError("cov(): bool dtype is not supported for input")
    x = input.reshape(1, -1) if input.ndim < 2 else input
    n = x.shape[1]
    w = None
    if fweights is not None:
        if fweights.ndim > 1:
            raise RuntimeError(
                f"cov(): expected fweights to have one or fewer dimensions but got fweights "
                f"with {fweights.ndim} dimensions"
            )
        if fweights.dtype.is_floating_point or fweights.dtype.is_complex:
            raise RuntimeError(
                "cov(): expected fweights to have integral dtype but got fweights with "
                f"{_title(fweights)} dtype"
            )
        _weights_len("fweights", fweights, n)
        if _backend.any_true(fweights._data < 0):
            raise RuntimeError("cov(): fweights cannot be negative")
        w = fweights
    if aweights is not None:
        if aweights.ndim > 1:
            raise RuntimeError(
                f"cov(): expected aweights to have one or fewer dimensions but got aweights "
                f"with {aweights.ndim} dimensions"
            )
        if not aweights.dtype.is_floating_point:
            raise RuntimeError(
                "cov(): expected aweights to have floating point dtype but got aweights with "
                f"{_title(aweights)} dtype"
            )
        _weights_len("aweights", aweights, n)
        if _backend.any_true(aweights._data < 0):
            raise RuntimeError("cov(): aweights cannot be negative")
        w = aweights if w is None else w * aweights
    if w is None:
        w_sum = n
        avg = x.sum(1) / n
    else:
        w_sum = w.sum()
        avg = (x * w).sum(1) / w_sum
    if w is None:
        norm_factor = w_sum - correction
    elif aweights is not None and correction != 0:
        norm_factor = w_sum - correction * (w * aweights).sum() / w_sum
    else:
        norm_factor = w_sum - correction
    nf = float(norm_factor) if _is_tensor(norm_factor) else norm_factor
    if nf <= 0:
        warnings.warn(
            "cov(): degrees of freedom is <= 0. Correction should be strictly less than the "
            "number of observations.",
            UserWarning,
            stacklevel=2,
        )
        norm_factor = 0 * norm_factor if _is_tensor(norm_factor) else 0
    xm = x - avg.unsqueeze(1)
    xw = xm if w is None else xm * w
    c = (xm @ xw.t().conj()) / norm_factor
    return c.squeeze()


def _weights_len(name, w, n):
    if w.numel() != n:
        raise RuntimeError(
            f"cov(): expected {name} to have the same numel as there are observations in the "
            f"input but got {w.numel()} != {n}"
        )


def corrcoef(input):
    """Pearson correlation coefficients of the rows of ``input``, clipped to [-1, 1].
    Composite of cov, sqrt and div.

    >>> import chainrule as torch
    >>> torch.corrcoef(torch.tensor([[0., 1., 2.], [2., 1.5, 0.]]))
    tensor([[ 1.0000, -0.9608],
            [-0.9608,  1.0000]])
    """
    if input.ndim > 2:
        raise RuntimeError(
            "corrcoef(): expected input to have two or fewer dimensions but got an input with "
            f"{input.ndim} dimensions"
        )
    c = cov(input)
    if c.ndim == 0:
        return c / c
    d = c.diagonal()
    stddev = d.real.sqrt() if d.dtype.is_complex else d.sqrt()
    c = c / stddev.unsqueeze(1)
    c = c / stddev.unsqueeze(0)
    return c if c.dtype.is_complex else c.clamp(-1, 1)


# ------------------------------------------------------------------ counting
def histc(input, bins=100, min=0, max=0):
    """Histogram of ``bins`` equal bins between ``min`` and ``max`` (the data's range when
    both are 0); elements outside are ignored. The input's dtype; no gradient.

    >>> import chainrule as torch
    >>> torch.histc(torch.tensor([1., 2., 1., 4.]), bins=4, min=0, max=4)
    tensor([0., 2., 1., 1.])
    """
    if not input.dtype.is_floating_point:
        kernel = "linspace_cpu" if input.dtype is _dt.bool else "histogram_cpu"
        raise NotImplementedError(f"\"{kernel}\" not implemented for '{_title(input)}'")
    if bins <= 0:
        raise RuntimeError(f"torch.histogram(): bins must be > 0, but got {bins} for dimension 0")
    np = _backend.numpy
    a = _backend.to_numpy(input._data).reshape(-1)
    lo, hi = float(min), float(max)
    if lo == hi and a.size:
        lo, hi = float(a.min()), float(a.max())
    if lo == hi:
        lo, hi = lo - 1, hi + 1
    if lo > hi:
        raise RuntimeError("torch.histc: max must be larger than min")
    if not (math.isfinite(lo) and math.isfinite(hi)):
        raise RuntimeError(f"torch.histc: range of [{_c_float(lo)}, {_c_float(hi)}] is not finite")
    a = a[(a >= lo) & (a <= hi)]
    pos = ((a.astype(np.float64) - lo) / (hi - lo) * bins).astype(np.int64)
    pos = np.minimum(pos, bins - 1)  # max itself falls in the last bin
    counts = np.bincount(pos, minlength=bins).astype(input._data.dtype)
    return input._new(_backend.move(counts, *_backend.device_key(input._data)))


def _c_float(v: float) -> str:
    """A float as C's printf writes it in PyTorch's message (NaN from a min: '-nan')."""
    return "-nan" if v != v else ("inf" if v > 0 else "-inf") if math.isinf(v) else f"{v:g}"


def bincount(input, weights=None, minlength=0):
    """Count of each value of a 1-D tensor of non-negative integers (int64), or the sum
    of ``weights`` at each (float64 for integer weights, else the weights' dtype).

    >>> import chainrule as torch
    >>> torch.bincount(torch.tensor([0, 2, 2, 3]))
    tensor([1, 0, 2, 1])
    """
    if input.dtype.is_floating_point or input.dtype.is_complex:
        raise NotImplementedError(f"\"bincount_cpu\" not implemented for '{_title(input)}'")
    if minlength < 0:
        raise RuntimeError("minlength should be >= 0")
    np = _backend.numpy
    a = _backend.to_numpy(input._data)
    if a.ndim != 1 or (a.size and a.min() < 0):
        raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
    if weights is not None:
        if weights.ndim != 1 or weights.shape[0] != a.shape[0]:
            raise RuntimeError("weights should be 1-d and have the same length as input")
        wd = weights._data.dtype
        out_dt = wd if wd.kind == "f" and wd.itemsize >= 4 else np.float64
        r = np.bincount(a, _backend.to_numpy(weights._data).astype(np.float64), minlength)
        r = r.astype(out_dt)
    else:
        r = np.bincount(a, minlength=minlength).astype(np.int64)
    return input._new(_backend.move(r, *_backend.device_key(input._data)))


def searchsorted(sorted_sequence, input, *, out_int32=False, right=False, side=None, sorter=None):
    """Indices where ``input``'s values would be inserted into ``sorted_sequence`` (1-D, or
    rows matching input's leading dims) to keep it sorted: the first such place, or the
    last with ``right=True`` / ``side='right'``. int64 (int32 with ``out_int32``).

    >>> import chainrule as torch
    >>> torch.searchsorted(torch.tensor([1, 3, 5, 7]), torch.tensor([3, 6, 9]))
    tensor([1, 3, 4])
    """
    if side is not None:
        if side not in ("left", "right"):
            raise RuntimeError(
                f"torch.searchsorted(): side can only be 'left' or 'right' but got {side}"
            )
        if right and side == "left":
            raise RuntimeError(
                "torch.searchsorted(): side and right can't be set to opposites, got side of "
                "left while right was True"
            )
        right = side == "right"
    np = _backend.numpy
    seq = _backend.to_numpy(sorted_sequence._data)
    scalar = not _is_tensor(input)
    vals = np.asarray(input) if scalar else _backend.to_numpy(input._data)
    if sorter is not None:
        seq = np.take_along_axis(seq, _backend.to_numpy(sorter._data), axis=-1)
    which = "right" if right else "left"
    if seq.ndim <= 1:
        r = np.searchsorted(seq.reshape(-1), vals, side=which)
    else:
        if vals.ndim != seq.ndim or vals.shape[:-1] != seq.shape[:-1]:
            raise RuntimeError(
                "torch.searchsorted(): boundaries tensor should be 1 dimension or the first "
                "N-1 dimensions of boundaries tensor and input value tensor must match, but "
                f"we got boundaries tensor {list(seq.shape)} and input value tensor "
                f"{list(vals.shape)}"
            )
        rows_s = seq.reshape(-1, seq.shape[-1])
        rows_v = vals.reshape(-1, vals.shape[-1])
        r = np.stack(
            [np.searchsorted(s, v, side=which) for s, v in zip(rows_s, rows_v, strict=True)]
        )
        r = r.reshape(vals.shape)
    r = np.asarray(r).astype(np.int32 if out_int32 else np.int64)
    return sorted_sequence._new(_backend.move(r, *_backend.device_key(sorted_sequence._data)))


def bucketize(input, boundaries, *, out_int32=False, right=False):
    """The bucket of each value of ``input`` between the sorted 1-D ``boundaries``:
    ``searchsorted(boundaries, input, right=right)``.

    >>> import chainrule as torch
    >>> torch.bucketize(torch.tensor([1, 5, 9]), torch.tensor([2, 4, 6, 8]))
    tensor([0, 2, 4])
    """
    if boundaries.ndim != 1:
        raise RuntimeError(f"boundaries tensor must be 1 dimension, but got dim({boundaries.ndim})")
    return searchsorted(boundaries, input, out_int32=out_int32, right=right)


# ------------------------------------------------------------------ distances, diff
def cdist(x1, x2, p=2.0, compute_mode="use_mm_for_euclid_dist_if_necessary"):
    """p-norm distances between each row of x1 (..., P, M) and each row of x2 (..., R, M):
    (..., P, R), batch dims broadcasting. Composite of a broadcast difference and
    ``norm(dim=-1)`` (its subgradient 0 at a zero distance, as PyTorch's cdist).

    >>> import chainrule as torch
    >>> torch.cdist(torch.tensor([[0., 0.], [1., 1.]]), torch.tensor([[3., 4.]]))
    tensor([[5.0000],
            [3.6056]])
    """
    if x1.ndim < 2:
        raise RuntimeError(f"cdist only supports at least 2D tensors, X1 got: {x1.ndim}D")
    if x2.ndim < 2:
        raise RuntimeError(f"cdist only supports at least 2D tensors, X2 got: {x2.ndim}D")
    if x1.shape[-1] != x2.shape[-1]:
        raise RuntimeError(
            f"X1 and X2 must have the same number of columns. X1: {x1.shape[-1]} X2: {x2.shape[-1]}"
        )
    for name, t in (("X1", x1), ("X2", x2)):
        if not t.dtype.is_floating_point:
            raise RuntimeError(
                f"cdist only supports floating-point dtypes, {name} got: {_title(t)}"
            )
    if p < 0:
        raise RuntimeError("cdist only supports non-negative p values")
    d = x1.unsqueeze(-2) - x2.unsqueeze(-3)
    if d.shape[-1] == 0:  # no coordinates: every distance is 0
        return d.sum(-1)
    if p == 0:  # the count of differing coordinates (no gradient: a step function)
        return (d != 0).sum(-1).to(d.dtype) + 0 * d.sum(-1)
    return norm(d, p=p, dim=-1)


def diff(input, n=1, dim=-1, prepend=None, append=None):
    """n-th forward difference along ``dim`` (``prepend``/``append`` joined first); bools
    give ``!=``. Composite of cat, narrow and sub.

    >>> import chainrule as torch
    >>> torch.diff(torch.tensor([1, 3, 6, 10]), n=2)
    tensor([1, 1])
    """
    if input.ndim == 0:
        raise RuntimeError("diff expects input to be at least one-dimensional")
    if n < 0:
        raise RuntimeError(f"order must be non-negative but got {n}")
    d = wrap_dim(dim, input.ndim)
    parts = [t for t in (prepend, input, append) if t is not None]
    if len(parts) > 1:
        parts = [t if _is_tensor(t) else input.new_tensor(t) for t in parts]
        parts = [
            t.expand(*[input.shape[i] if i != d else t.shape[d] for i in range(input.ndim)])
            if t.ndim == input.ndim
            else t
            for t in parts
        ]
        x = cat(parts, dim=d)
    else:
        x = input
    for _ in range(n):
        m = x.shape[d]
        if m == 0:
            break
        a, b = x.narrow(d, 1, m - 1), x.narrow(d, 0, m - 1)
        x = (a != b) if x.dtype is _dt.bool else a - b
    return x


def renorm(input, p, dim, maxnorm):
    """Each slice along ``dim`` whose p-norm exceeds ``maxnorm`` scaled down to norm
    ``maxnorm`` (PyTorch's factor maxnorm / (norm + 1e-7)). Composite of norm and where.

    >>> import chainrule as torch
    >>> torch.renorm(torch.tensor([[3., 4.], [0.3, 0.4]]), 2, 0, 1.)
    tensor([[0.6000, 0.8000],
            [0.3000, 0.4000]])
    """
    if not (input.dtype.is_floating_point or input.dtype.is_complex):
        raise RuntimeError(
            "linalg.vector_norm: Expected a floating point or complex tensor as input. Got "
            f"{_title(input)}"
        )
    if p <= 0:
        raise RuntimeError("renorm: non-positive-norm not supported")
    if maxnorm < 0:
        raise RuntimeError(f"renorm: expected maxnorm to be >= 0 but got {maxnorm}")
    if input.ndim <= 1:
        raise RuntimeError(
            f"renorm: input needs at least 2 dimensions, got {input.ndim} dimensions"
        )
    d = wrap_dim(dim, input.ndim)
    others = tuple(i for i in range(input.ndim) if i != d)
    nrm = norm(input, p=p, dim=others, keepdim=True)
    factor = where(nrm > maxnorm, maxnorm / (nrm + 1e-7), 1.0)
    return input * factor.to(input.dtype)


# ------------------------------------------------------------ Tensor methods
def _reshaped_in_place(self, view, name: str):
    """self made to look like ``view`` (a view of self's data): PyTorch's in-place shape
    methods change the tensor's metadata, never its values. Done for a tensor without
    history only (where PyTorch rebases a history onto the view, chainrule refuses)."""
    if self._rg or self._node is not None:
        if self._node is None:
            raise RuntimeError(
                "a leaf Variable that requires grad is being used in an in-place operation."
            )
        raise NotImplementedError(
            f"{name}: changing the shape in place of a tensor with history is not supported "
            f"in chainrule; use the out-of-place {name[:-1]}"
        )
    self._data = view._data
    return self


class StatisticsMethods:
    """The statistics part of Tensor's API: ``x.median(1)``, ``x.cummax(0)``, ``x.diff()``,
    and in place ``x.cumsum_(0)``, ``x.t_()``, ``x.transpose_(0, 1)``..."""

    __slots__ = ()

    nansum = nansum
    nanmean = nanmean
    median = median
    nanmedian = nanmedian
    mode = mode
    quantile = quantile
    nanquantile = nanquantile
    cummax = cummax
    cummin = cummin
    logcumsumexp = logcumsumexp
    aminmax = aminmax
    cov = cov
    corrcoef = corrcoef
    histc = histc
    bincount = bincount
    diff = diff
    renorm = renorm

    def renorm_(self, p, dim, maxnorm):
        """In-place ``renorm`` (composite: the result of a copy written into self)."""
        return self.copy_(renorm(self.clone(), p, dim, maxnorm))

    def cumsum_(self, dim, *, dtype=None):
        """In-place ``cumsum`` along ``dim``."""
        if dtype is not None and _dt.to_dtype(dtype) != self.dtype:
            raise RuntimeError(
                f"Bad in-place call: input tensor dtype {self.dtype.title} and output tensor "
                f"dtype {_dt.to_dtype(dtype).title} should match"
            )
        _no_bool("cumsum_out_cpu", self)
        if self.ndim == 0:
            wrap_dim(dim, 0)
            return self
        return apply_inplace(CUMSUM, self, dim=wrap_dim(dim, self.ndim))

    def cumprod_(self, dim, *, dtype=None):
        """In-place ``cumprod`` along ``dim``."""
        if dtype is not None and _dt.to_dtype(dtype) != self.dtype:
            raise RuntimeError(
                f"Bad in-place call: input tensor dtype {self.dtype.title} and output tensor "
                f"dtype {_dt.to_dtype(dtype).title} should match"
            )
        _no_bool("cumprod_out_cpu", self)
        return apply_inplace(CUMPROD, self, dim=wrap_dim(dim, self.ndim))

    # in-place shape changes: metadata only (see _reshaped_in_place)
    def t_(self):
        """In-place ``t``: self becomes its transpose (a 2-D or smaller tensor)."""
        return _reshaped_in_place(self, self.detach().t(), "t_")

    def transpose_(self, dim0, dim1):
        """In-place ``transpose``."""
        return _reshaped_in_place(self, self.detach().transpose(dim0, dim1), "transpose_")

    def swapaxes_(self, axis0, axis1):
        """In-place ``swapaxes`` (``transpose_``)."""
        return _reshaped_in_place(self, self.detach().transpose(axis0, axis1), "swapaxes_")

    def swapdims_(self, dim0, dim1):
        """In-place ``swapdims`` (``transpose_``)."""
        return _reshaped_in_place(self, self.detach().transpose(dim0, dim1), "swapdims_")

    def squeeze_(self, dim=None):
        """In-place ``squeeze``: size-1 dims (all, or ``dim``) removed."""
        v = self.detach().squeeze() if dim is None else self.detach().squeeze(dim)
        return _reshaped_in_place(self, v, "squeeze_")

    def unsqueeze_(self, dim):
        """In-place ``unsqueeze``: a size-1 dim inserted at ``dim``."""
        return _reshaped_in_place(self, self.detach().unsqueeze(dim), "unsqueeze_")
