"""Printing tensors exactly as PyTorch does (precision 4, line width 80, summarized above
1000 elements, integer-valued floats as ``2.``, scientific notation for wide ranges).

>>> import chainrule as torch
>>> torch.exp(torch.tensor([1.0, 2, 4, 8]))
tensor([2.7183e+00, 7.3891e+00, 5.4598e+01, 2.9810e+03])
"""

from __future__ import annotations

import math

import numpy as np

from . import _state
from . import backend as _backend
from . import dtypes as _dt

PRECISION, THRESHOLD, EDGEITEMS, LINEWIDTH = 4, 1000, 3, 80


def set_printoptions(
    precision=None, threshold=None, edgeitems=None, linewidth=None, profile=None, sci_mode=None
):
    """Change how tensors print (PyTorch's set_printoptions subset)."""
    global PRECISION, THRESHOLD, EDGEITEMS, LINEWIDTH
    if profile == "default":
        PRECISION, THRESHOLD, EDGEITEMS, LINEWIDTH = 4, 1000, 3, 80
    PRECISION = PRECISION if precision is None else precision
    THRESHOLD = THRESHOLD if threshold is None else threshold
    EDGEITEMS = EDGEITEMS if edgeitems is None else edgeitems
    LINEWIDTH = LINEWIDTH if linewidth is None else linewidth


class _Formatter:
    """Chooses one width and notation for all elements, from the finite non-zero values."""

    def __init__(self, a: np.ndarray) -> None:
        self.floating = a.dtype.kind == "f"
        self.int_mode, self.sci_mode, self.width = True, False, 1
        flat = a.reshape(-1)
        if not self.floating:
            for v in flat.tolist():
                self.width = max(self.width, len(str(v)))
            return
        vals = flat[np.isfinite(flat) & (flat != 0)].astype(np.float64)
        if vals.size == 0:
            return
        absv = np.abs(vals)
        lo, hi = absv.min(), absv.max()
        with np.errstate(over="ignore"):  # hi / lo overflows to inf for subnormals: still "wide"
            wide = hi / lo > 1000.0
        self.int_mode = bool(np.all(vals == np.ceil(vals)))
        if self.int_mode:
            if wide or hi > 1.0e8:
                self.sci_mode = True
                fmt = lambda v: f"{v:.{PRECISION}e}"
            else:
                fmt = lambda v: f"{v:.0f}" + "."
        else:
            if wide or hi > 1.0e8 or lo < 1.0e-4:
                self.sci_mode = True
                fmt = lambda v: f"{v:.{PRECISION}e}"
            else:
                fmt = lambda v: f"{v:.{PRECISION}f}"
        for v in vals.tolist():
            self.width = max(self.width, len(fmt(v)))

    def format(self, v) -> str:
        if self.floating:
            if self.sci_mode:
                s = f"{v:{self.width}.{PRECISION}e}"
            elif self.int_mode:
                s = f"{v:.0f}"
                if not (math.isinf(v) or math.isnan(v)):
                    s += "."
            else:
                s = f"{v:.{PRECISION}f}"
        else:
            s = str(v)
        return " " * (self.width - len(s)) + s


def _summarized(a: np.ndarray) -> np.ndarray:
    """The corners of a large array (what the formatter looks at when summarizing)."""
    if a.ndim == 0:
        return a
    if a.shape[0] > 2 * EDGEITEMS:
        parts = [_summarized(x) for x in a[:EDGEITEMS]] + [_summarized(x) for x in a[-EDGEITEMS:]]
    else:
        parts = [_summarized(x) for x in a]
    return np.stack(parts) if parts else a


def _vector(a, indent, summarize, f) -> str:
    per_line = max(1, (LINEWIDTH - indent) // (f.width + 2))
    if summarize and a.shape[0] > 2 * EDGEITEMS:
        items = (
            [f.format(v) for v in a[:EDGEITEMS].tolist()]
            + [" ..."]
            + [f.format(v) for v in a[-EDGEITEMS:].tolist()]
        )
    else:
        items = [f.format(v) for v in a.tolist()]
    lines = [", ".join(items[i : i + per_line]) for i in range(0, len(items), per_line)]
    return "[" + ("," + "\n" + " " * (indent + 1)).join(lines) + "]"


def _body(a, indent, summarize, f) -> str:
    if a.ndim == 0:
        return f.format(a.item())
    if a.ndim == 1:
        return _vector(a, indent, summarize, f)
    if summarize and a.shape[0] > 2 * EDGEITEMS:
        rows = (
            [_body(a[i], indent + 1, summarize, f) for i in range(EDGEITEMS)]
            + ["..."]
            + [_body(a[i], indent + 1, summarize, f) for i in range(len(a) - EDGEITEMS, len(a))]
        )
    else:
        rows = [_body(a[i], indent + 1, summarize, f) for i in range(a.shape[0])]
    return "[" + ("," + "\n" * (a.ndim - 1) + " " * (indent + 1)).join(rows) + "]"


def format_array(a: np.ndarray, indent: int) -> str:
    if a.size == 0:
        return "[]"
    if a.dtype == np.float16:
        a = a.astype(np.float32)
    summarize = a.size > THRESHOLD
    f = _Formatter(_summarized(a) if summarize else a)
    return _body(a, indent, summarize, f)


def tensor_repr(t) -> str:
    a = t._data
    suffixes = []
    if type(a) is not np.ndarray and not isinstance(a, np.generic):  # on a GPU
        suffixes.append(f"device='{t.device}'")
        a = _backend.to_numpy(a)
    a = np.asarray(a)
    prefix, indent = "tensor(", len("tensor(")
    dt = _dt.from_numpy_dtype(a.dtype)
    default = dt in (_dt.get_default_dtype(), _dt.int64, _dt.bool)
    if a.size == 0:
        if a.ndim != 1:
            suffixes.append(f"size={tuple(a.shape)}")
        if dt is not _dt.get_default_dtype():
            suffixes.append(f"dtype={dt!r}")
        body = "[]"
    else:
        if not default:
            suffixes.append(f"dtype={dt!r}")
        body = format_array(a, indent)
    if t._node is not None:
        suffixes.append(f"grad_fn=<{t._node.prim.grad_fn}>")
    elif t._rg:
        suffixes.append("requires_grad=True")
    tangent = _tangent(t)
    if tangent is not None:  # as PyTorch: a 0-d tangent as a Python number, others as is
        suffixes.append(
            f"tangent={tangent.item()!r}" if tangent.dim() == 0 else "tangent=" + repr(tangent)
        )
    text = prefix + body
    out = [text]
    last = len(text) - text.rfind("\n") + 1
    for s in suffixes:
        if last + len(s) + 2 > LINEWIDTH:
            out.append(",\n" + " " * indent + s)
            last = indent + len(s)
        else:
            out.append(", " + s)
            last += len(s) + 2
    return "".join(out) + ")"


_tangent = _state.tangent_of
