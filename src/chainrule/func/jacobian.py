"""The Jacobian in the layout a textbook uses, with the mode chosen and explained.

For y of shape S_y and x of shape S_x (the lecture's shape table):

- ``layout="torch"``: S_y + S_x, PyTorch's and JAX's convention (the default);
- ``layout="numerator"``: S_y + reversed(S_x), the lecture's: for Y (m, l) and X (n, k),
  dY/dX has shape (m, l, k, n); a vector y (m,) and vector x (n,) give (m, n);
- ``layout="denominator"``: S_x + reversed(S_y), the numerator layout with all axes
  reversed (a gradient is a column).

A scalar y and a vector x give, in numerator layout, shape (n,) by default; with
``keep_row=True`` the scalar's axis is kept, giving the row vector (1, n) of the lecture
(and, in denominator layout, the column (n, 1)).

``mode="auto"`` picks forward accumulation when the inputs have fewer elements than the
outputs (one batched pass over input directions is cheaper) and reverse accumulation
otherwise; ``explain=True`` returns the choice and its reason with the Jacobian.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from ..autograd.grad_mode import no_grad
from . import _pytree as pt
from .transforms import jacfwd, jacrev

LAYOUTS = ("torch", "numerator", "denominator")
MODES = ("auto", "forward", "reverse")


@dataclass(frozen=True)
class JacobianChoice:
    """How ``jacobian`` computed a Jacobian, and why (``explain=True``)."""

    mode: str
    reason: str
    input_numel: int
    output_numel: int
    layout: str

    def __str__(self) -> str:
        return f"{self.mode} mode: {self.reason}"


def _mode(mode: str, n_in: int, n_out: int) -> tuple[str, str]:
    if mode not in MODES:
        raise ValueError(f"jacobian: mode must be one of {MODES}, got {mode!r}")
    if mode != "auto":
        return mode, f"asked for (inputs have {n_in} elements, outputs {n_out})"
    if n_in < n_out:
        return "forward", (
            f"inputs have {n_in} elements, fewer than the outputs' {n_out}: forward mode "
            f"pushes {n_in} tangent directions (one batched pass, one Jacobian column each) "
            "and saves no intermediates"
        )
    return "reverse", (
        f"outputs have {n_out} elements, no more than the inputs' {n_in}: reverse mode "
        f"pulls {n_out} cotangents back (one batched pass, one Jacobian row each)"
    )


def to_layout(J, y_shape, x_shape, layout: str = "torch", keep_row: bool = False):
    """Rearrange a Jacobian of shape ``y_shape + x_shape`` (PyTorch's layout) into
    ``layout``.

    >>> import chainrule as torch
    >>> J = torch.zeros(2, 3, 4, 5)  # dY/dX for Y (2, 3), X (4, 5)
    >>> to_layout(J, (2, 3), (4, 5), "numerator").shape
    torch.Size([2, 3, 5, 4])
    """
    if layout not in LAYOUTS:
        raise ValueError(f"jacobian: layout must be one of {LAYOUTS}, got {layout!r}")
    ny, nx = len(y_shape), len(x_shape)
    if layout == "torch":
        return J
    if keep_row and ny == 0:  # a scalar output keeps its axis: the row vector (1, ...)
        J = J.reshape((1,) + tuple(J.shape))
        ny = 1
    num = J.permute(tuple(range(ny)) + tuple(range(ny + nx - 1, ny - 1, -1)))
    if layout == "numerator":
        return num
    return num.permute(tuple(range(num.dim() - 1, -1, -1)))


def jacobian(
    func: Callable,
    *args,
    layout: str = "torch",
    mode: str = "auto",
    keep_row: bool = False,
    explain: bool = False,
):
    """The Jacobian of ``func`` at ``args``, with respect to every argument.

    One input and one output give a Tensor; several inputs a tuple (one per input);
    several outputs a tuple of those. See the module docstring for layouts and modes.

    >>> import chainrule as torch
    >>> from chainrule.func import jacobian
    >>> x = torch.tensor([1., 2., 3.])
    >>> jacobian(lambda x: (x * x).sum(), x, layout="numerator", keep_row=True)  # 2x^T
    tensor([[2., 4., 6.]])
    >>> J, why = jacobian(torch.sin, x, explain=True); why.mode
    'reverse'
    """
    if layout not in LAYOUTS:
        raise ValueError(f"jacobian: layout must be one of {LAYOUTS}, got {layout!r}")
    if not args:
        raise TypeError("jacobian: give the point to differentiate at, e.g. jacobian(f, x)")
    for a in args:
        if not hasattr(a, "_data"):
            raise TypeError(
                f"jacobian: arguments must be Tensors, got {type(a).__name__} (for pytrees of "
                "tensors use chainrule.func.jacrev / jacfwd)"
            )
    n_in = sum(x.numel() for x in args)
    if mode == "auto":
        with no_grad():  # the outputs' sizes, from one plain evaluation
            probe = func(*args)
        n_out = sum(o.numel() for o in pt.flatten(probe)[0])
    else:
        n_out = -1
        if mode not in MODES:
            _mode(mode, n_in, n_out)  # the error naming the modes
    chosen = mode if mode != "auto" else _mode(mode, n_in, n_out)[0]
    argnums = tuple(range(len(args)))
    transform = jacfwd if chosen == "forward" else jacrev
    raw = transform(func, argnums=argnums)(*args)  # outputs' structure of per-arg tuples
    if isinstance(raw, dict):
        raise TypeError(
            "jacobian: the function returns a dict; jacobian takes a Tensor or a tuple of "
            "Tensors as output (use chainrule.func.jacrev / jacfwd for pytrees)"
        )
    multi = isinstance(raw, (tuple, list)) and bool(raw) and isinstance(raw[0], (tuple, list))
    rows = list(raw) if multi else [raw]
    if n_out < 0:  # the outputs' sizes, from the Jacobians' leading (output) axes
        x0 = args[0]
        n_out = sum(math.prod(row[0].shape[: row[0].dim() - x0.dim()]) for row in rows)
    chosen, reason = _mode(mode, n_in, n_out)

    def arrange(J, x):
        y_shape = tuple(J.shape[: J.dim() - x.dim()])
        return to_layout(J, y_shape, tuple(x.shape), layout, keep_row)

    out_rows = []
    for row in rows:
        fixed = tuple(arrange(J, x) for J, x in zip(row, args, strict=True))
        out_rows.append(fixed[0] if len(args) == 1 else fixed)
    result = type(raw)(out_rows) if multi else out_rows[0]
    if explain:
        return result, JacobianChoice(chosen, reason, n_in, n_out, layout)
    return result
