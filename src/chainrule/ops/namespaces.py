"""The namespace rules run on in first-order backward: NumPy's names over raw arrays.

A rule is written once, with operators and ``ns`` functions (``ns.exp``, ``ns.where``,
``ns.sum_to``), and runs on either namespace: ``ArrayNS`` over one backend's arrays
(first-order backward, cheap) or ``functions.tensor_ns.TensorNS`` over Tensors (recorded:
create_graph, forward mode). ``sum_to``, the one place where a broadcast gradient is
summed back to its input's shape, is written over the namespace and serves both.

>>> import numpy as np
>>> from chainrule.ops.namespaces import array_ns, sum_to
>>> sum_to(array_ns(np), np.ones((4, 2, 3)), (2, 1))
array([[12.],
       [12.]])
"""

from __future__ import annotations

from .. import backend as _backend
from . import special_kernels as _special


def sum_to(ns, g, shape: tuple, nb: int = 0):
    """Sum ``g`` over the axes that broadcasting added or stretched, back to ``shape``
    (after ``nb`` leading batch axes, which stay)."""
    gs = tuple(g.shape)
    if gs[nb:] == shape:
        return g
    off = len(gs) - len(shape)
    stretched = tuple(i + off for i, s in enumerate(shape) if s == 1 and gs[i + off] != 1)
    added = tuple(range(nb, off))
    if not stretched:  # only leading axes were added (a bias): one sum, a fresh array
        return ns.sum(g, axis=added)
    r = ns.sum(g, axis=added + stretched, keepdims=True)
    return ns.reshape(r, gs[:nb] + tuple(shape))


def has_advanced(idx: tuple) -> bool:
    """Whether an index tuple holds arrays (integer or boolean): NumPy 'advanced' indexing."""
    for i in idx:
        if hasattr(i, "shape") or isinstance(i, list):
            return True
    return False


class ArrayNS:
    """NumPy-named functions over one backend's arrays, plus the table's helpers."""

    graph = False  # rules run on arrays: first order (TensorNS: under create_graph)

    def __init__(self, xp) -> None:
        self.xp = xp
        for n in (
            "exp",
            "log",
            "sin",
            "cos",
            "tan",
            "tanh",
            "sinh",
            "cosh",
            "sqrt",
            "sign",
            "abs",
            "expand_dims",
            "matmul",
            "zeros_like",
            "ones_like",
            "maximum",
            "minimum",
            "moveaxis",
            "transpose",
            "flip",
            "cumsum",
            "concatenate",
            "stack",
            "squeeze",
            "log1p",
            "expm1",
            "outer",
            "diagonal",
            "take_along_axis",
            "floor",
            "tril",
            "triu",
            "floor_divide",
            "mean",
            "cumprod",
            "conj",
            "real",
            "imag",
        ):
            setattr(self, n, getattr(xp, n))
        if getattr(xp, "LAZY", False):  # (Dask: arrays are values, no buffer to fill)
            self.broadcast_to = xp.broadcast_to
        if getattr(xp, "ADAPTER", False):  # an array API backend: no NumPy methods on arrays
            self.reshape, self.swapaxes, self.astype = xp.reshape, xp.swapaxes, xp.astype
            self.getitem = xp.getitem  # NumPy's indices spelt as the standard allows
            self._setitem = xp.setitem
        elif getattr(xp, "VALUES", False):  # Dask: NumPy's indices where Dask has none
            self.getitem, self._setitem = xp.getitem, xp.setitem
            self.reshape = xp.reshape

    # NumPy's function wrappers cost microseconds; array methods, ufunc reductions and a
    # plain fill do not (backward runs these per node)
    @staticmethod
    def reshape(a, shape):
        return a.reshape(shape)

    @staticmethod
    def swapaxes(a, i, j):
        return a.swapaxes(i, j)

    def sum(self, a, axis=None, keepdims=False):
        return self.xp.add.reduce(a, axis=axis, keepdims=keepdims)

    def rsqrt(self, a):
        return 1 / self.xp.sqrt(a)

    def where(self, cond, a, b):
        return _backend.select(self.xp, cond, a, b)

    def broadcast_to(self, a, shape):
        """``a`` broadcast to ``shape``, materialized (writable, contiguous: the gradient
        buffer that backward hands on, with no copy needed later)."""
        if a.shape == tuple(shape):
            return a
        out = self.xp.empty(shape, a.dtype)
        out[...] = a
        return out

    def permute(self, a, axes):
        return self.xp.transpose(a, axes)

    def index_put(self, g, v, idx):
        out = self.xp.array(g, copy=True)
        self._setitem(out, idx, v)
        return out

    def inv(self, a):
        try:
            return self.xp.linalg.inv(a)
        except self.xp.linalg.LinAlgError:
            raise RuntimeError(
                "chainrule: this derivative needs the inverse of a singular matrix (the "
                "gradient of det or slogdet at a singular matrix is not implemented; PyTorch "
                "gives zeros, or infinities for slogdet, there)"
            ) from None

    def solve(self, a, b):
        """A^-1 B for a batch of matrices B (broadcasting over the leading axes)."""
        return self.xp.linalg.solve(a, b)

    def eye(self, n, like):
        return self.xp.eye(n, dtype=like.dtype)

    def eigh(self, a, uplo):
        """(eigenvalues, eigenvectors) of symmetric a (one triangle read, by ``uplo``)."""
        return self.xp.linalg.eigh(a, UPLO=uplo)

    def eig(self, a):
        """(eigenvalues, unit eigenvectors) of general square a, complex (LAPACK's geev)."""
        w, v = self.xp.linalg.eig(a)
        cdt = self.xp.complex64 if a.dtype in (self.xp.float32, self.xp.complex64) else None
        cdt = cdt or self.xp.complex128
        return _backend.astype(w, cdt, copy=False), _backend.astype(v, cdt, copy=False)

    def svd(self, a):
        """(U, S, Vh) of the thin SVD of a."""
        return self.xp.linalg.svd(a, full_matrices=False)

    def singular_vectors(self, x):
        """(U, V^T) of the thin SVD of x."""
        u, _, vh = self.xp.linalg.svd(x, full_matrices=False)
        return u, vh

    def take_along(self, g, idx, dim):
        return self.xp.take_along_axis(g, idx, axis=dim)

    def astype(self, a, np_dtype):
        return a.astype(np_dtype)

    @staticmethod
    def move(a, key):
        """``a`` on device ``key`` (a backend device key): a gradient going back home."""
        return _backend.move(a, *key)

    def zeros(self, shape, np_dtype):
        return self.xp.zeros(shape, np_dtype)

    def sum_to(self, g, shape, batch=()):
        return sum_to(self, g, tuple(shape), len(batch))

    def index_grad(self, g, idx, shape):
        """Adjoint of ``x[idx]``: zeros of x's shape with ``g`` added at ``idx``."""
        z = self.xp.zeros(shape, g.dtype)
        if has_advanced(idx):
            _backend.scatter_add(self.xp, z, idx, g)  # repeated indices add up
        else:
            self._setitem(z, idx, g)
        return z

    def lgamma(self, x):
        return _special.lgamma(self.xp, x)

    def digamma(self, x):
        return _special.digamma(self.xp, x)

    def polygamma(self, n, x):
        return _special.polygamma(self.xp, n, x)

    def tril(self, x, k=0):
        return self.xp.tril(x, k)

    def triu(self, x, k=0):
        return self.xp.triu(x, k)

    def solve_triangular(self, a, b, upper):
        """A^-1 B for the triangle of A named by ``upper`` (the other is not read)."""
        t = self.xp.triu(a) if upper else self.xp.tril(a)
        return self.xp.linalg.solve(t, b)

    def standard_gamma_grad(self, alpha, x):
        return _special.standard_gamma_grad(self.xp, alpha, x)

    def getitem(self, g, idx):
        return g[idx]

    @staticmethod
    def _setitem(a, idx, v):
        a[idx] = v

    @staticmethod
    def const(a, like):
        """Array ``a`` as an operand beside ``like`` (a constant: class weights in a loss)."""
        return a

    def erf(self, a):
        return _special.erf(self.xp, a)

    def threshold_backward(self, g, out):
        """relu's adjoint: 0 where ``out <= 0``, else ``g`` (a selection: NaN passes)."""
        return _backend.threshold_backward(self.xp, g, out)

    def put_along(self, g, idx, dim, shape):
        """Adjoint of take_along_axis: zeros of ``shape`` with ``g`` added at ``idx`` on
        ``dim`` (repeated indices add up; put_along_axis would overwrite)."""
        xp = self.xp
        z = xp.zeros(shape, g.dtype)
        full = list(xp.indices(idx.shape, sparse=True))
        full[dim] = idx
        _backend.scatter_add(xp, z, tuple(full), g)
        return z


_array_ns_cache: dict = {}


def array_ns(xp) -> ArrayNS:
    """The (cached) ArrayNS over backend namespace ``xp``."""
    ns = _array_ns_cache.get(xp)
    if ns is None:
        ns = _array_ns_cache[xp] = ArrayNS(xp)
    return ns
