"""The derivative table: every differentiable primitive, declared once.

elementwise.py, reduction.py, shape.py, indexing.py and linalg.py each hold a part of
the table; primitive.py holds how an entry is declared, applied and recorded.
"""

from __future__ import annotations

import warnings

from . import elementwise, indexing, linalg, reduction, shape
from .indexing import gather, getitem, index_grad, index_put, put_along, take_along
from .linalg import dot, ger, inner, matmul, mm, mv, outer, vdot
from .primitive import REGISTRY, ArrayNS, apply, defop
from .shape import to_dtype

# inf and nan are values here, as in PyTorch (log(0) = -inf, x / 0 = inf, sqrt'(0) = inf),
# not warnings. The filter matches only warnings raised from chainrule's ops and autograd
# modules (where forwards, rules and the engine run), and costs nothing per op.
warnings.filterwarnings("ignore", category=RuntimeWarning, module=r"chainrule\.(ops|autograd)\.")


def public_functions():
    """The PyTorch-named functions of the table's modules (what ``chainrule`` exports)."""
    import inspect

    internal = {
        "dims_arg",
        "to_dtype",
        "index_grad",
        "put_along",
        "take_along",
        "index_put",
        "getitem",
        "setitem",
        "normalize_index",
    }
    out = {}
    for mod in (elementwise, reduction, shape, linalg, indexing):
        for k, v in vars(mod).items():
            if (
                k[0] != "_"
                and k.islower()
                and inspect.isfunction(v)
                and v.__module__ == mod.__name__
            ):
                if k not in internal:
                    out[k] = v
    return out


class TensorNS:
    """The rule namespace over Tensors: NumPy's names (as ArrayNS) mapped to chainrule ops,
    so that rules run here are recorded and the backward pass is differentiable."""

    exp = staticmethod(elementwise.exp)
    log = staticmethod(elementwise.log)
    log1p = staticmethod(elementwise.log1p)
    expm1 = staticmethod(elementwise.expm1)
    sin = staticmethod(elementwise.sin)
    cos = staticmethod(elementwise.cos)
    tan = staticmethod(elementwise.tan)
    tanh = staticmethod(elementwise.tanh)
    sqrt = staticmethod(elementwise.sqrt)
    sign = staticmethod(elementwise.sign)
    abs = staticmethod(elementwise.abs)
    floor = staticmethod(elementwise.floor)
    maximum = staticmethod(elementwise.maximum)
    minimum = staticmethod(elementwise.minimum)
    matmul = staticmethod(linalg.matmul)
    outer = staticmethod(linalg.outer)
    getitem = staticmethod(getitem)
    index_put = staticmethod(index_put)
    index_grad = staticmethod(index_grad)
    put_along = staticmethod(put_along)
    take_along = staticmethod(take_along)

    @staticmethod
    def where(cond, a, b):
        if not hasattr(a, "_data") and not hasattr(b, "_data"):
            raise TypeError("where: one branch must be a tensor")
        return elementwise.where(cond, a, b)

    @staticmethod
    def svdvals_vjp(g, x):
        raise NotImplementedError(
            "chainrule has no second derivative through singular values (matrix 2-norm, "
            "nuclear norm) yet"
        )

    @staticmethod
    def sum(x, axis=None, keepdims=False):
        return reduction.sum(x, dim=axis, keepdim=keepdims)

    @staticmethod
    def mean(x, axis=None, keepdims=False):
        return reduction.mean(x, dim=axis, keepdim=keepdims)

    @staticmethod
    def cumsum(x, axis):
        return reduction.cumsum(x, dim=axis)

    @staticmethod
    def cumprod(x, axis):
        return reduction.cumprod(x, dim=axis)

    @staticmethod
    def reshape(x, shape):
        return shape_mod.reshape(x, tuple(shape))

    @staticmethod
    def broadcast_to(x, shape):
        return shape_mod.expand(x, tuple(shape))

    @staticmethod
    def swapaxes(x, a, b):
        return shape_mod.transpose(x, a, b)

    @staticmethod
    def permute(x, axes):
        return shape_mod.permute(x, tuple(axes))

    @staticmethod
    def expand_dims(x, axis):
        return shape_mod.unsqueeze(x, axis)

    @staticmethod
    def flip(x, dims):
        return shape_mod.flip(x, dims)

    @staticmethod
    def concatenate(xs, axis=0):
        return shape_mod.cat(xs, dim=axis)

    @staticmethod
    def zeros_like(x):
        from ..creation import zeros_like

        return zeros_like(x)

    @staticmethod
    def ones_like(x):
        from ..creation import ones_like

        return ones_like(x)

    @staticmethod
    def sum_to(g, shape, batch=()):
        shape = tuple(shape)
        gs = g._data.shape
        nb = len(batch)
        if gs[nb:] == shape:
            return g
        off = len(gs) - len(shape)
        axes = tuple(range(nb, off)) + tuple(
            i + off for i, s in enumerate(shape) if s == 1 and gs[i + off] != 1
        )
        r = reduction.sum(g, dim=axes, keepdim=True) if axes else g
        return shape_mod.reshape(r, gs[:nb] + shape)


shape_mod = shape
