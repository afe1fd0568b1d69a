"""How much memory the graph behind a tensor holds for backward.

Reverse accumulation stores the forward's intermediate results that the rules need
(the lecture: memory O(n) in the number of ops), and backward frees them unless
``retain_graph``. ``saved_memory`` makes that visible.
"""

from __future__ import annotations

from ..node import AccumulateGrad
from ..tensor_base import TensorBase

__all__ = ["saved_memory"]


def _owner(a):
    """The array that owns ``a``'s memory (a view keeps its base alive)."""
    base = getattr(a, "base", None)
    while base is not None and hasattr(base, "nbytes") and hasattr(base, "shape"):
        a = base
        base = getattr(a, "base", None)
    return a


def _arrays(v):
    """The backend arrays (and NumPy scalars) inside one saved value."""
    if isinstance(v, TensorBase):
        yield v._data
    elif isinstance(v, (tuple, list)):
        for e in v:
            yield from _arrays(e)
    elif hasattr(v, "nbytes") and hasattr(v, "shape") and not isinstance(v, type):
        yield v


def saved_memory(y) -> int:
    """Bytes held by the values the graph behind ``y`` saved for backward.

    Counts every array in the nodes' saved values (inputs, outputs, index arrays, a
    custom Function's ``ctx.save_for_backward`` tensors) over the whole graph, each
    memory block once (a saved view counts as the array it views). A leaf's own data
    counts only where an op saved it. Shapes and Python numbers count nothing. It grows
    with the number of ops and drops to 0 once backward has freed the graph. ``y`` may
    also be a list of tensors.

    >>> import chainrule as torch
    >>> x = torch.ones(1000, requires_grad=True)   # 4000 bytes of float32
    >>> y = x.exp().exp()                           # each exp saves its output
    >>> torch.autograd.saved_memory(y)
    8000
    >>> y.sum().backward(); torch.autograd.saved_memory(y)
    0
    """
    ys = [y] if isinstance(y, TensorBase) else list(y)
    stack = [t._node for t in ys if t._node is not None]
    seen_nodes: set = set()
    seen_blocks: set = set()
    total = 0
    while stack:
        n = stack.pop()
        if n in seen_nodes:
            continue
        seen_nodes.add(n)
        stack.extend(c for c in n.next if c is not None and type(c) is not AccumulateGrad)
        for k, v in n.saved.items():
            if k == "ctx":
                v = () if v._freed else v._saved
            for a in _arrays(v):
                owner = _owner(a)
                if id(owner) not in seen_blocks:
                    seen_blocks.add(id(owner))
                    total += int(owner.nbytes)
    return total
