"""The modes every layer reads, and the error texts more than one layer raises.

A leaf module: it imports nothing of chainrule's, so that the recorder (``ops.apply``),
the engine (``autograd.engine``) and the public switches (``no_grad``, ``dual_level``)
all read the same state without importing each other.

- ``grad.enabled``: whether ops on tensors that require grad are recorded (thread-local,
  as in PyTorch; ``chainrule.no_grad`` flips it).
- ``dual.level``: the active forward-mode level (``chainrule.autograd.forward_ad``), or
  None: forward mode off, at no cost per op. When a level is active the recorder hands
  each op to it (``level.push``) to carry tangents forward. Thread-local too: each thread
  enters and leaves its own level, and a tensor's tangent counts only in the thread whose
  level made it. (PyTorch keeps one process-wide level, so two threads cannot run forward
  mode, or ``torch.func.jvp``/``jacfwd``, at the same time; chainrule lets them.)

>>> from chainrule import _state
>>> _state.grad.enabled, _state.dual.level
(True, None)
"""

from __future__ import annotations

import threading


class _GradMode(threading.local):
    enabled = True  # a new thread starts with grad mode on, as in PyTorch


class _DualMode(threading.local):
    level = None  # a new thread starts with forward mode off


grad = _GradMode()
dual = _DualMode()


# ------------------------------------------------------------------ error texts
class LinAlgError(RuntimeError):
    """torch.linalg.LinAlgError: a matrix that an inversion, solve or factorization cannot
    take (singular, not positive-definite, non-finite). A RuntimeError, as in PyTorch, and
    named as PyTorch's class is (``_LinAlgError``) where a traceback prints it."""


LinAlgError.__name__ = LinAlgError.__qualname__ = "_LinAlgError"


ERR_BACKWARD_TWICE = (
    "Trying to backward through the graph a second time (or directly access saved tensors "
    "after they have already been freed). Saved intermediate values of the graph are freed "
    "when you call .backward() or autograd.grad(). Specify retain_graph=True if you need to "
    "backward through the graph a second time or if you need to access saved tensors after "
    "calling backward."
)
ERR_STALE_VIEW = (
    "a view is used after its base tensor's history was changed by an in-place operation "
    "(chainrule does not regenerate a view's history). Take the view again after the "
    "in-place operation, or clone() it before."
)
ERR_STALE_TANGENT = (
    "this tensor's tangent is out of date: its storage was changed in place through "
    "another view (chainrule does not carry tangents between a view and its base). "
    "clone() the view before changing it in place, or take the view again afterwards."
)
ERR_NUMPY_REQUIRES_GRAD = (
    "Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() instead."
)
ERR_LEAF_REQUIRES_GRAD_FLAG = (
    "you can only change requires_grad flags of leaf variables. If you want to use a "
    "computed variable in a subgraph that doesn't require differentiation use "
    "var_no_grad = var.detach()."
)
ERR_PARTIAL_OVERLAP = (
    "unsupported operation: some elements of the input tensor and the written-to tensor "
    "refer to a single memory location. Please clone() the tensor before performing the "
    "operation."
)
ERR_OVERLAP = (
    "unsupported operation: more than one element of the written-to tensor refers to a "
    "single memory location. Please clone() the tensor before performing the operation."
)


def broadcast_shape(a: tuple, b: tuple) -> tuple:
    """The broadcast shape of two shapes, with PyTorch's error where they do not broadcast
    (normal's mean and std, masked_fill_'s tensor and mask)."""
    n = max(len(a), len(b))
    out = []
    for i in range(n, 0, -1):
        sa = a[-i] if i <= len(a) else 1
        sb = b[-i] if i <= len(b) else 1
        if sa != sb and sa != 1 and sb != 1:
            raise RuntimeError(
                f"The size of tensor a ({sa}) must match the size of tensor b ({sb}) at "
                f"non-singleton dimension {n - i}"
            )
        out.append(sb if sa == 1 else sa)
    return tuple(out)


def tangent_of(t):
    """The tangent of tensor ``t`` at the active dual level, or None. A tangent stamped
    with an older version of t's storage (written in place through another view) is made
    again from the base's for a view, and refused otherwise, never a wrong number."""
    fw = getattr(t, "_fw", None)
    if fw is None or fw[0] is not dual.level:
        return None
    if fw[2] != t._vc[0]:  # a view's is its base's, viewed again; else refused
        return fw[0].stale(t)
    return fw[1]
