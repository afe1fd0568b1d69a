"""THE TABLE, part 6: writing through a view (PyTorch's CopySlices).

``z[:, :2] += 1``, ``z.T.mul_(3)``: the write changes the base's values, so the base gets
a new history, ``copy_slices``: the base before the write, with the viewed region
replaced by the written value r. Its rules are made of the view ops' own rules: a view
is linear, so its jvp applies it to a gradient (V) and its vjp puts a gradient back in
the base's shape (V^T); nothing here knows another derivative. (This part sits below
recording, which builds the node when it writes through a view: ``ops.apply``.)

>>> import chainrule as torch
>>> x = torch.ones(2, 3, requires_grad=True)
>>> z = x * 2
>>> z[:, :2] += 1
>>> z.grad_fn.name()
'CopySlices'
"""

from __future__ import annotations

from .. import backend as _backend
from .._state import ERR_OVERLAP
from .primitive import complex_as_is, defop


# ``chain`` is how the view was taken from its base: each step a view primitive, its
# parameters and its input's shape.
def along_view(ns, t, chain, batch):
    """V(t): the viewed region of t."""
    for prim, params, x_shape in chain:
        values = {**params, "x_shape": x_shape, "t": t, "ns": ns, "batch": batch}
        t = prim.plan.jvps[0](*[values[n] for n in prim.plan.jvp_names[0]])
    return t


def into_base(ns, g, chain, batch):
    """V^T(g): g put back where the view took it from, zeros elsewhere."""
    for prim, params, x_shape in reversed(chain):
        g = prim.plan.invokers[0](g, ns, batch, {**params, "x_shape": x_shape})
    return g


def _refuse_overlap(overlap):
    if overlap:  # the region holds some elements more than once: no V^T can be right
        raise RuntimeError(ERR_OVERLAP)


def _copy_slices_base(ns, g, chain, overlap, batch):
    # the base before the write keeps its gradient outside the written region: g with the
    # region (where V^T V reaches) selected away, not subtracted (inf - inf would be NaN)
    _refuse_overlap(overlap)
    region = into_base(ns, along_view(ns, ns.ones_like(g), chain, batch), chain, batch)
    return ns.where(region != 0, 0.0, g)


# ``overlap``: the view written hits some element more than once (an expanded tensor
# written by fill_ or by an advanced index): PyTorch writes it and refuses the gradient
# of the base before (the written value's gradient is still well defined)
COPY_SLICES = defop(
    "copy_slices",
    lambda xp, base, r, *, chain, overlap: base,  # the write itself is done in place (ops.apply)
    (_copy_slices_base, lambda ns, g, chain, batch: along_view(ns, g, chain, batch)),
    grad_fn="CopySlices",
    fit=True,  # r's gradient is cast to r's dtype when the view's differs
    tensor_params=("chain",),  # PyTorch's CopySlices lets go of its function: refused after
    jvp=(
        lambda ns, t, chain, overlap, batch: _copy_slices_base(ns, t, chain, overlap, batch),
        lambda ns, t, chain, batch: into_base(ns, t, chain, batch),
    ),
)


def _along_chain(xp, base, chain):
    for prim, params, _ in chain:
        base = prim.fwd(xp, base, **params)
    return base


def _write_view(xp, base, r, *, chain, overlap):
    out = xp.array(base, copy=True)  # (an array also when base is a NumPy scalar)
    region = _along_chain(xp, out, chain)  # a view of the copy: written, the copy changes
    region[...] = r
    return out


# copy_slices as a value (chainrule.sym): an explicit graph cannot write in place, so a
# write through a view of a symbolic tensor makes the base's new value, the base before
# with the view's region replaced by r. The rules are copy_slices' own (a helper row
# outside REGISTRY: its gradients are checked against eager copy_slices, tests/sym).
WRITE_VIEW = defop(
    "write_view",
    _write_view,
    COPY_SLICES.vjp,
    register=False,
    grad_fn="CopySlices",
    fit=True,
    jvp=COPY_SLICES.jvp,
)


# An empty view made again after its base was written: PyTorch's AsStridedBackward0
# gives the base constant zeros (nothing flows through no elements), so a create_graph
# gradient through it needs no grad.
EMPTY_VIEW = defop(
    "empty_view",
    lambda xp, base, *, chain: _along_chain(xp, base, chain),
    lambda ns, g, chain, batch: ns.zeros_like(into_base(ns, g, chain, batch)),
    grad_fn="AsStridedBackward0",
    view=True,
    jvp=lambda ns, t, chain, batch: along_view(ns, t, chain, batch),
)


# A move between devices (``to('cuda')``, ``cpu()``, and a 0-d CPU tensor meeting GPU
# tensors in an op, which recording moves): the gradient moves back (``src`` and
# ``dst`` are backend device keys, ``('cpu', None)`` or ``('cuda', n)``).
TO_DEVICE = defop(
    "to_device",
    lambda xp, x, *, dst, src, chunks="auto": _backend.move(x, *dst, chunks=chunks),
    lambda ns, g, src: ns.move(g, src),
    grad_fn="ToCopyBackward0",
    jvp=lambda ns, t, dst: ns.move(t, dst),
)


# complex values pass through as they are (ops.primitive: rules real-linear in g)
# x.detach() of a symbolic x (chainrule.sym): the same value, no gradient through it (no
# rules: the recorder keeps no node for it, forward mode pushes no tangent)
DETACH = defop("detach", lambda xp, x: x, grad_fn="DetachBackward0", register=False)


complex_as_is(COPY_SLICES, WRITE_VIEW, EMPTY_VIEW, TO_DEVICE)
