"""Activation checkpointing: trade compute for memory (PyTorch's torch.utils.checkpoint).

Reverse mode keeps every intermediate its rules need until backward: O(n) memory for a
chain of n ops (the lecture's cost of back-propagation). ``checkpoint(fn, *args)`` keeps
only the segment's inputs and outputs: backward runs ``fn`` again to rebuild the
segment's graph, then goes through it. Checkpointing every k of n layers keeps about
n/k + k layers' intermediates instead of n, for one extra forward pass.

>>> import chainrule as torch
>>> from chainrule.utils.checkpoint import checkpoint
>>> x = torch.tensor([0.5, 1.0], requires_grad=True)
>>> y = checkpoint(lambda t: torch.tanh(torch.tanh(t)), x)
>>> y.sum().backward(); x.grad
tensor([0.6398, 0.2469])
"""

from __future__ import annotations

from collections.abc import Callable

from ..autograd import Function
from ..autograd import forward_ad as _fwad
from ..autograd import grad as _grad
from ..autograd.engine import leaves_behind
from ..autograd.grad_mode import enable_grad, is_grad_enabled, no_grad
from ..random import default_generator
from ..tensor import Tensor

__all__ = ["checkpoint", "checkpoint_sequential"]


def _is_tensor(x) -> bool:
    return isinstance(x, Tensor)


def _outputs(out) -> tuple:
    outs = (out,) if _is_tensor(out) else tuple(out)
    if not all(_is_tensor(o) for o in outs):
        raise TypeError("checkpoint: the function must return a Tensor or a tuple of Tensors")
    return outs


class CheckpointFunction(Function):
    """One node for the whole segment: its inputs are the segment's tensor arguments and
    the parameters it uses; its backward recomputes the segment and differentiates it."""

    @staticmethod
    def forward(ctx, run, n_args, rng_state, outs_data, *tensors):
        ctx.run, ctx.n_args, ctx.rng_state = run, n_args, rng_state
        ctx.save_for_backward(*tensors)
        T = Tensor
        outs = tuple(T.__new__(T)._init(d) for d in outs_data)
        return outs[0] if len(outs) == 1 else outs

    @staticmethod
    def backward(ctx, *grads):
        tensors = ctx.saved_tensors
        args, params = tensors[: ctx.n_args], tensors[ctx.n_args :]
        if is_grad_enabled():  # a differentiable backward: recompute on the inputs themselves
            inputs = [a if a.requires_grad else a.detach() for a in args]
        else:
            inputs = [a.detach().requires_grad_(a.requires_grad) for a in args]
        with _rng_restored(ctx.rng_state), enable_grad():
            outs = _outputs(ctx.run(*inputs))
        want = [t for t in inputs if t.requires_grad] + list(params)
        pairs = [(o, g) for o, g in zip(outs, grads, strict=True) if o.requires_grad]
        if not pairs or not want:
            return (None,) * 4 + (None,) * len(tensors)
        gs = _grad(
            [o for o, _ in pairs],
            want,
            [g for _, g in pairs],
            allow_unused=True,
            create_graph=is_grad_enabled(),  # double backward through the segment
        )
        it = iter(gs)
        arg_grads = [next(it) if t.requires_grad else None for t in inputs]
        return (None,) * 4 + tuple(arg_grads) + tuple(it)


class _rng_restored:
    """Run the recomputation with the random state the first forward saw (dropout masks
    come out the same), then give back the current state."""

    def __init__(self, state) -> None:
        self.state = state

    def __enter__(self):
        if self.state is not None:
            self.now = default_generator.get_state()
            default_generator.set_state(self.state)

    def __exit__(self, *exc):
        if self.state is not None:
            default_generator.set_state(self.now)


def checkpoint(
    function: Callable,
    *args,
    use_reentrant: bool | None = None,
    preserve_rng_state: bool = True,
    **kwargs,
):
    """``function(*args)``, keeping none of its intermediates for backward: backward
    recomputes them. Gradients reach the tensor arguments and any tensors that require
    grad which ``function`` uses (its parameters). Keyword arguments are passed on.

    >>> import chainrule as torch
    >>> from chainrule.utils.checkpoint import checkpoint
    >>> w = torch.tensor(3., requires_grad=True)
    >>> checkpoint(lambda x: (w * x).exp(), torch.tensor(0.)).backward(); w.grad
    tensor(0.)
    """
    if not is_grad_enabled() or _fwad._state.level is not None:
        # nothing to save for backward; and under forward mode (a dual level, jvp,
        # jacfwd) the tangents must flow through the segment's own ops
        return function(*args, **kwargs)
    rng_state = None
    if preserve_rng_state:
        rng_state = default_generator.get_state()
    run = _bind(function, args, kwargs)
    args = tuple(a for a in args if _is_tensor(a))  # the rest travel inside ``run``
    # The first forward is recorded only to see which parameters the segment reaches; its
    # graph (and every intermediate it saved) is dropped right after.
    inputs = [a.detach().requires_grad_(a.requires_grad) for a in args]
    with enable_grad():
        outs = _outputs(run(*inputs))
    params = list(leaves_behind(outs, inputs))  # the parameters the segment closes over
    data = tuple(o._data for o in outs)
    del outs
    if not any(a.requires_grad for a in args) and not params:
        with no_grad():  # nothing to differentiate: plain outputs
            T = Tensor
            res = tuple(T.__new__(T)._init(d) for d in data)
        return res[0] if len(res) == 1 else res
    return CheckpointFunction.apply(run, len(args), rng_state, data, *args, *params)


def _bind(function, args, kwargs):
    """``function`` as a function of the tensor arguments alone: the other positional
    arguments (numbers, flags, ...) and the keywords are put back in their places."""
    slots = [i for i, a in enumerate(args) if _is_tensor(a)]
    if len(slots) == len(args) and not kwargs:
        return function
    fixed = list(args)

    def run(*tensors):
        full = list(fixed)
        for i, t in zip(slots, tensors, strict=True):
            full[i] = t
        return function(*full, **kwargs)

    return run


def checkpoint_sequential(functions, segments: int, input, use_reentrant=None, **kwargs):
    """Run a sequence of functions (or an nn.Sequential) in ``segments`` checkpointed
    pieces.

    >>> import chainrule as torch
    >>> from chainrule.utils.checkpoint import checkpoint_sequential
    >>> x = torch.tensor([1.], requires_grad=True)
    >>> checkpoint_sequential([torch.tanh] * 4, 2, x).shape
    torch.Size([1])
    """
    fns = list(functions.children()) if hasattr(functions, "children") else list(functions)
    if segments < 1:
        raise ValueError("checkpoint_sequential: segments must be at least 1")
    size = max(1, -(-len(fns) // segments))

    def run_segment(seg):
        def run(x):
            for f in seg:
                x = f(x)
            return x

        return run

    x = input
    for start in range(0, len(fns), size):
        x = checkpoint(run_segment(fns[start : start + size]), x, **kwargs)
    return x
