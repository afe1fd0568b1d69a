"""The lecture's complexity slide, measured: forward versus reverse accumulation.

For f: R^n -> R^m, forward mode needs one pass per input direction (n passes for the
full Jacobian) and keeps nothing for later; reverse mode needs one pass per output
(m passes) and keeps the intermediates its rules need until backward: O(number of ops)
memory. ``cost(f, *args)`` runs one pass of each on ``f`` and reports what it saw.
"""

from __future__ import annotations

import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass

from ..autograd import forward_ad as _fw
from ..autograd.api import grad
from ..autograd.engine import nodes_behind
from ..autograd.grad_mode import enable_grad, no_grad
from ..autograd.memory import saved_memory
from . import _pytree as pt


@dataclass(frozen=True)
class Cost:
    """What a full Jacobian of one function costs in each mode (``chainrule.func.cost``).

    passes: one-direction passes needed for the full Jacobian (input elements for
    forward mode, output elements for reverse mode). saved_bytes: bytes the graph keeps
    for later after one forward pass (reverse mode: the saved intermediates; forward
    mode records no graph: 0). peak_bytes: extra memory at the peak of one pass (traced
    with tracemalloc: forward mode pushes one tangent; reverse mode runs the forward
    and one backward).
    """

    input_numel: int
    output_numel: int
    forward_passes: int
    reverse_passes: int
    forward_saved_bytes: int
    reverse_saved_bytes: int
    forward_peak_bytes: int
    reverse_peak_bytes: int
    ops: int

    @property
    def cheaper(self) -> str:
        """The mode with fewer passes for the full Jacobian (forward on ties of memory)."""
        if self.forward_passes != self.reverse_passes:
            return "forward" if self.forward_passes < self.reverse_passes else "reverse"
        return "forward" if self.forward_saved_bytes <= self.reverse_saved_bytes else "reverse"

    def __str__(self) -> str:
        rows = [
            ("", "forward mode", "reverse mode"),
            ("passes for the full Jacobian", self.forward_passes, self.reverse_passes),
            ("bytes saved for later", self.forward_saved_bytes, self.reverse_saved_bytes),
            ("peak extra bytes, one pass", self.forward_peak_bytes, self.reverse_peak_bytes),
        ]
        w = max(len(str(r[0])) for r in rows)
        lines = [
            f"f: R^{self.input_numel} -> R^{self.output_numel}, {self.ops} recorded ops",
            *(f"{str(a):<{w}}  {str(b):>14}  {str(c):>14}" for a, b, c in rows),
            f"cheaper here: {self.cheaper} mode",
        ]
        return "\n".join(lines)


def _count_ops(outs) -> int:
    return sum(1 for n in nodes_behind(outs) if hasattr(n, "prim"))


def _traced(run) -> int:
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        keep = run()
        peak = tracemalloc.get_traced_memory()[1]
        del keep
    finally:
        tracemalloc.stop()
    return max(0, peak - base)


def cost(func: Callable, *args) -> Cost:
    """Passes and memory of forward versus reverse accumulation for ``func``'s full
    Jacobian at ``args`` (Tensors), measured on one pass of each.

    >>> import chainrule as torch
    >>> from chainrule.func import cost
    >>> c = cost(lambda x: torch.tanh(torch.tanh(x)).sum(), torch.ones(100))
    >>> c.forward_passes, c.reverse_passes, c.forward_saved_bytes, c.reverse_saved_bytes
    (100, 1, 0, 800)
    """
    for a in args:
        if not (hasattr(a, "_data") and a.dtype.is_floating_point):
            raise TypeError("cost: arguments must be floating-point Tensors")
    n_in = sum(a.numel() for a in args)

    def reverse_pass():
        xs = [a.detach().requires_grad_() for a in args]
        with enable_grad():
            outs = [o for o in pt.flatten(func(*xs))[0] if hasattr(o, "_data")]
        held = saved_memory(outs)
        n_ops = _count_ops(outs)
        live = [o for o in outs if o.requires_grad]
        if live:  # one backward: the first output element's row
            seeds = [o.detach().mul(0) for o in live]
            if live[0].numel():
                seeds[0].view(-1)[0] = 1
            grad(live, xs, seeds, allow_unused=True)
        return outs, held, n_ops

    def forward_pass():
        _fw.enter_dual_level()
        try:
            with no_grad():
                xs = [a.detach() for a in args]
                duals = [_fw.make_dual(x, x.mul(0)) for x in xs]
                if duals and duals[0].numel():
                    duals[0]._fw[1].view(-1)[0] = 1  # one direction: the first input element
                outs = [o for o in pt.flatten(func(*duals))[0] if hasattr(o, "_data")]
                return outs, saved_memory(outs)
        finally:
            _fw.exit_dual_level()

    box = {}
    rev_peak = _traced(lambda: box.setdefault("rev", reverse_pass()))
    fwd_peak = _traced(lambda: box.setdefault("fwd", forward_pass()))
    outs, rev_saved, n_ops = box["rev"]
    _, fwd_saved = box["fwd"]
    n_out = sum(o.numel() for o in outs)
    return Cost(
        input_numel=n_in,
        output_numel=n_out,
        forward_passes=n_in,
        reverse_passes=n_out,
        forward_saved_bytes=fwd_saved,
        reverse_saved_bytes=rev_saved,
        forward_peak_bytes=fwd_peak,
        reverse_peak_bytes=rev_peak,
        ops=n_ops,
    )
