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


class _ComplexFormatter:
    """A complex element as PyTorch prints it: the real part by a formatter of all real
    parts, the imaginary part by one of all imaginary parts, its sign kept (``1.+0.j``,
    ``-3.5000-0.2500j``)."""

    def __init__(self, a: np.ndarray) -> None:
        self.re, self.im = _Formatter(a.real), _Formatter(a.imag)
        self.width = self.re.width + self.im.width + 1  # (+ "j")

    def format(self, v) -> str:
        im = (self.im.format(v.imag) + "j").lstrip()
        return self.re.format(v.real) + (im if im[0] in "+-" else "+" + im)


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
    looked_at = _summarized(a) if summarize else a
    f = _ComplexFormatter(looked_at) if a.dtype.kind == "c" else _Formatter(looked_at)
    return _body(a, indent, summarize, f)


def _dask_large(a) -> bool:
    """Whether ``a`` is a Dask array too large to compute for printing: more elements than
    PyTorch prints in full (``threshold``), or of a size Dask does not know yet."""
    if not _backend.is_dask(a):
        return False
    n = a.size
    return not (isinstance(n, (int, np.integer)) and n <= THRESHOLD)


def _dask_summary(a) -> str:
    """A large Dask array as Dask describes it, without computing it."""
    shape = tuple(a.shape)
    chunks = tuple(max(c) if c else 0 for c in a.chunks)
    return f"dask.array<shape={shape}, dtype={a.dtype}, chunksize={chunks}>"


def tensor_repr(t) -> str:
    a = t._data
    suffixes = []
    prefix, indent = "tensor(", len("tensor(")
    if _dask_large(a):  # printed as Dask does, computing nothing
        suffixes.append(f"device='{t.device}'")
        return _with_suffixes(prefix + _dask_summary(a), _grad_suffixes(t, suffixes), indent)
    if type(a) is not np.ndarray and not isinstance(a, np.generic):  # on a GPU, on Dask
        if t.device.type != "cpu":  # (the strict test backend's arrays are on the CPU)
            suffixes.append(f"device='{t.device}'")
        a = _backend.to_numpy(a)  # (a small Dask tensor is computed)
    a = np.asarray(a)
    dt = _dt.from_numpy_dtype(a.dtype)
    default = dt in (_dt.get_default_dtype(), _dt.default_complex(), _dt.int64, _dt.bool)
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
    return _with_suffixes(prefix + body, _grad_suffixes(t, suffixes), indent)


def _grad_suffixes(t, suffixes: list) -> list:
    """``suffixes`` and then grad_fn or requires_grad, and a forward-mode tangent."""
    if t._node is not None:
        suffixes.append(f"grad_fn=<{t._node.prim.grad_fn}>")
    elif t._rg:
        suffixes.append("requires_grad=True")
    tangent = _tangent(t)
    if tangent is not None:  # as PyTorch: a 0-d tangent as a Python number, others as is
        suffixes.append(
            f"tangent={tangent.item()!r}" if tangent.dim() == 0 else "tangent=" + repr(tangent)
        )
    return suffixes


def _with_suffixes(text: str, suffixes: list, indent: int) -> str:
    """``text`` and ``, suffix`` each, wrapped at the line width, then ``)``."""
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


# ------------------------------------------------ PyTorch's C++ printing (ATen's operator<<)
# Some of PyTorch's error messages embed a tensor printed by ATen (Formatting.cpp), not by
# Python: one width for all elements, columns of at most 80 characters, matrices of more
# than two dims one after another as "(i,j,.,.) = ", then the type and the sizes.


def _cpp_format(flat: np.ndarray) -> tuple:
    """(scale, width, spec) for every element: ATen's __printFormat."""
    if flat.size == 0:
        return 1.0, 0, "g"
    finite = flat[np.isfinite(flat)]
    int_mode = bool((finite == np.ceil(finite)).all())
    exp_min = exp_max = 1
    if finite.size:
        lo, hi = np.abs(finite).min(), np.abs(finite).max()
        exp_min = math.floor(math.log10(lo)) + 1 if lo != 0 else 1
        exp_max = math.floor(math.log10(hi)) + 1 if hi != 0 else 1
    if int_mode:
        return (1.0, 11, ".4e") if exp_max > 9 else (1.0, exp_max + 1, "g")
    if exp_max - exp_min > 4:
        return 1.0, 12 if abs(exp_max) > 99 or abs(exp_min) > 99 else 11, ".4e"
    if exp_max > 5 or exp_max < 0:
        return 10.0 ** (exp_max - 1), 7, ".4f"
    return 1.0, 7 if exp_max == 0 else exp_max + 6, ".4f"


def _cpp_number(v: float) -> str:
    """A double as fmt's ``{}`` writes it (the shortest repr; no '.0' on whole numbers)."""
    return str(int(v)) if v == int(v) and abs(v) < 1e16 else repr(v)


def _cpp_matrix(m: np.ndarray, indent: int, linesize: int = 80) -> str:
    scale, width, spec = _cpp_format(m.reshape(-1))
    per_line = (linesize - indent) // (width + 1)
    rows, cols = m.shape
    out, first = [], 0
    while first < cols:
        last = first + per_line - 1 if first + per_line <= cols else cols - 1
        if per_line < cols:
            if first != 0:
                out.append("\n")
            out.append(f"Columns {first + 1} to {last + 1}" + " " * indent)
        if scale != 1:
            out.append(f"{_cpp_number(scale)} *\n" + " " * indent)
        for r in range(rows):
            for c in range(first, last + 1):
                out.append(format(m[r, c] / scale, f">{width}{spec}"))
                if c == last:
                    out.append("\n")
                    if r != rows - 1:
                        out.append(" " * indent + (" " if scale != 1 else ""))
                else:
                    out.append(" ")
        first = last + 1
    return "".join(out)


def cpp_repr(t) -> str:
    """``t`` as PyTorch's C++ ``operator<<`` prints it (what some of its errors show).

    >>> import chainrule as torch
    >>> print(cpp_repr(torch.tensor([[1.5, 2.0], [3.0, 4.0]])))
     1.5000  2.0000
     3.0000  4.0000
    [ torch.FloatTensor{2,2} ]
    """
    a = np.asarray(_backend.to_numpy(t._data))
    dt = _dt.from_numpy_dtype(a.dtype)
    kind = "CPUBoolType" if dt is _dt.bool else dt.tensor_type
    d = a.astype(np.float64)
    sizes = ",".join(str(n) for n in a.shape)
    if a.ndim == 0:
        return f"{_cpp_number(float(d))}\n[ {kind}{{}} ]"
    body = ""
    if a.ndim == 1 and a.size:
        scale, width, spec = _cpp_format(d)
        head = f"{_cpp_number(scale)} *\n" if scale != 1 else ""
        body = head + "".join(format(v / scale, f">{width}{spec}") + "\n" for v in d)
    elif a.ndim == 2 and a.size:
        body = _cpp_matrix(d, 0)
    elif a.size:  # the leading indices count up first-fastest, as ATen's loop does
        blocks = []
        for idx in np.ndindex(*a.shape[-3::-1]) if a.ndim > 2 else ():
            idx = idx[::-1]
            head = "(" + "".join(f"{i + 1}," for i in idx) + ".,.) = \n"
            blocks.append(head + _cpp_matrix(d[idx], 1))
        body = "\n".join(blocks)
    return f"{body}[ {kind}{{{sizes}}} ]"
