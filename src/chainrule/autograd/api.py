"""The public entry points of reverse mode: ``backward`` (accumulate into ``.grad``) and
``grad`` (return the gradients). Both check PyTorch's preconditions, make the seeds, and
hand the graph to the engine (``engine.run_backward``).

>>> import chainrule as torch
>>> x = torch.tensor([1., 2.], requires_grad=True)
>>> torch.autograd.grad((x * x).sum(), x)
(tensor([2., 4.]),)
"""

from __future__ import annotations

from .. import _state
from .. import backend as _backend
from ..backend import namespace
from ..node import edge
from ..ops import symbolic as _symbolic
from ..ops.apply import apply
from ..ops.shape import CONTIGUOUS
from ..ops.symbolic import SymArray
from ..ops.views import DETACH
from ..tensor_base import TENSOR_TYPES, TensorBase
from .engine import leaves_behind, run_backward


def _as_list(x):
    if x is None:
        return None
    if isinstance(x, TensorBase):
        return [x]
    return list(x)


def _seeds(outputs, grad_outputs, create_graph, batched=False):
    if grad_outputs is None and len(outputs) == 1 and not create_graph:
        o = outputs[0]  # the common call, loss.backward(): a seed of ones
        if type(o) in TENSOR_TYPES and o._rg and o._data.size == 1:
            d = o._data
            if d.ndim == 0 and d.dtype.kind == "f" and type(d) in _backend.CPU_TYPES:
                # a NumPy scalar, not a 0-d array: the rules' arithmetic on it is several
                # times cheaper (the engine makes a leaf's .grad a 0-d array)
                return [d.dtype.type(1)]
            if d.dtype.kind != "c":
                return [namespace(d).ones(d.shape, d.dtype)]
    if grad_outputs is None:
        grad_outputs = [None] * len(outputs)
    grad_outputs = _as_list(grad_outputs)
    if len(grad_outputs) != len(outputs):
        raise RuntimeError(
            f"grad requires one gradient per output: got {len(grad_outputs)} gradients for "
            f"{len(outputs)} outputs"
        )
    seeds = []
    for i, (o, g) in enumerate(zip(outputs, grad_outputs, strict=True)):
        if not isinstance(o, TensorBase):
            raise TypeError(f"element {i} of outputs is not a Tensor")
        if not o._rg:
            raise RuntimeError(
                f"element {i} of tensors does not require grad and does not have a grad_fn"
            )
        if g is None:
            if o._data.size != 1:
                raise RuntimeError("grad can be implicitly created only for scalar outputs")
            if o._data.dtype.kind == "c":
                raise RuntimeError(
                    f"grad can be implicitly created only for real scalar outputs but got {o.dtype}"
                )
            arr = namespace(o._data).ones_like(o._data)
            seeds.append(o._new(arr) if create_graph else arr)
            continue
        if not isinstance(g, TensorBase):
            g = o._new(namespace(o._data).asarray(g, dtype=o._data.dtype))
        if batched:
            if g._data.ndim == 0 or g._data.shape[1:] != o._data.shape:
                raise RuntimeError(
                    f"If `is_grads_batched=True`, we interpret the first dimension of each "
                    f"grad_output as the batch dimension. The sizes of the remaining dimensions "
                    f"are expected to match the shape of corresponding output, but a mismatch "
                    f"was detected: grad_output[{i}] has a shape of {g.shape} and output[{i}] "
                    f"has a shape of {o.shape}. If you only want some tensors in `grad_output` "
                    "to be considered batched, consider using vmap."
                )
        elif g._data.shape != o._data.shape:
            raise RuntimeError(
                f"Mismatch in shape: grad_output[{i}] has a shape of {g.shape} and output[{i}] "
                f"has a shape of {o.shape}."
            )
        if g._data.dtype != o._data.dtype:
            g = g.to(o.dtype)
        # a copy, so that no .grad ever aliases the caller's tensor; a batch of cotangents
        # (is_grads_batched: chainrule.func's basis seeds) goes to grad(), which never
        # accumulates into .grad, and can be large: no copy
        seeds.append(g if create_graph else g._data if batched else _backend.copy(g._data))
    return seeds


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, inputs=None):
    """Accumulate gradients of ``tensors`` into the ``.grad`` of the leaves (or of
    ``inputs`` only).

    >>> import chainrule as torch
    >>> x = torch.ones(3, requires_grad=True)
    >>> torch.autograd.backward([(2 * x).sum()]); x.grad
    tensor([2., 2., 2.])
    """
    outputs = _as_list(tensors)
    if retain_graph is None:
        retain_graph = create_graph
    if not create_graph and any(
        isinstance(o, TensorBase) and type(o._data) is SymArray for o in outputs
    ):
        _symbolic_backward(outputs, grad_tensors, retain_graph, inputs)
        return
    seeds = _seeds(outputs, grad_tensors, create_graph)
    ins = _as_list(inputs)
    if ins is not None and len(ins) == 0:
        raise RuntimeError("'inputs' argument to backward() cannot be empty.")
    if ins is not None:
        for t in ins:
            # PyTorch makes a non-leaf input retain its grad (for good): its node runs, and
            # the retain_grad hook adds its gradient into its .grad
            if not t._rg:
                raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
            t.retain_grad()
    run_backward(outputs, seeds, retain_graph=retain_graph, create_graph=create_graph, inputs=ins)


def _symbolic_backward(outputs, grad_tensors, retain_graph, inputs) -> None:
    """``backward()`` of symbolic outputs (an explicit graph, chainrule.compile's trace):
    the gradients are nodes, made by the table's rules on the graph's tensors (as
    ``grad()`` makes them), and accumulated into the leaves' ``.grad`` as eager
    accumulates them without create_graph: a ``.grad`` of None becomes a new tensor of
    its own storage, an existing one is added into in place (written out of place as a
    new node, ``ops.apply``); neither has history."""
    seeds = _seeds(outputs, grad_tensors, True)
    ins = _as_list(inputs)
    if ins is not None:
        if len(ins) == 0:
            raise RuntimeError("'inputs' argument to backward() cannot be empty.")
        if any(t._node is not None for t in ins):
            raise RuntimeError(
                "chainrule.sym: backward(inputs=...) of a symbolic value with an input that "
                "is not a leaf (eager makes it retain its grad) is not supported"
            )
        leaves = ins
    else:
        # (an output that is itself a leaf, x.backward(g): its own .grad, as eager's)
        own = [o for o in outputs if o._rg and o._node is None and edge(o) is not None]
        leaves = list(dict.fromkeys(own + list(leaves_behind(outputs))))
    if not leaves:
        return
    captured = run_backward(
        outputs,
        seeds,
        retain_graph=retain_graph,  # (a second backward without it raises, as eager's)
        create_graph=True,
        inputs=leaves,
        accumulate=False,
    )
    got = [(t, captured.get(edge(t))) for t in leaves]
    got = [(t, g) for t, g in got if g is not None]
    if any(type(t._data) is not SymArray for t, _ in got):  # (before any .grad changes)
        raise RuntimeError(
            "chainrule.sym: backward() of a symbolic value reached a tensor with data "
            "(not part of the graph): its .grad cannot hold a symbolic gradient"
        )
    prev = _state.grad.enabled
    _state.grad.enabled = False
    try:
        for t, g in got:
            # a storage of its own, no history, row-major: eager's .grad copies a view
            # (a weight's gradient, transposed) into C order, and so does the graph; cut
            # from the graph (_cut: chainrule.sym.grad does not differentiate through it)
            fresh = _cut(apply(CONTIGUOUS, g))
            cur = getattr(t, "_grad", None)
            if cur is None:
                t._grad = fresh
            else:
                cur.add_(fresh)
    finally:
        _state.grad.enabled = prev
    if _symbolic.ON_BACKWARD is not None:
        _symbolic.ON_BACKWARD(retain_graph)


def grad(
    outputs,
    inputs,
    grad_outputs=None,
    retain_graph=None,
    create_graph=False,
    only_inputs=True,
    allow_unused=None,
    is_grads_batched=False,
    materialize_grads=False,
):
    """The gradients of ``outputs`` with respect to ``inputs`` (never accumulated into .grad).

    ``is_grads_batched=True``: the first axis of each grad_output is a batch of
    cotangents, all pushed back in one pass; each gradient gets that leading axis.

    >>> import chainrule as torch
    >>> x = torch.tensor(3., requires_grad=True)
    >>> (g,) = torch.autograd.grad(x ** 3, x, create_graph=True)
    >>> g, torch.autograd.grad(g, x)[0]
    (tensor(27., grad_fn=<MulBackward0>), tensor(18.))
    """
    outs = _as_list(outputs)
    ins = _as_list(inputs)
    if allow_unused is None:
        allow_unused = materialize_grads
    if retain_graph is None:
        retain_graph = create_graph
    cut = False
    if not create_graph and any(type(o._data) is SymArray for o in outs):
        # a gradient of an explicit graph (chainrule.sym, chainrule.compile's tracing) is a
        # graph too: the rules run on its tensors, which make its nodes. Without the
        # caller's create_graph the results are cut from the graph (_cut), as eager's
        # have no history
        create_graph = cut = True
    for t in ins:
        if not t._rg:
            raise RuntimeError("One of the differentiated Tensors does not require grad")
    batch = ()
    if is_grads_batched:
        if grad_outputs is None:
            raise RuntimeError("is_grads_batched=True needs grad_outputs with a batch axis")
        seeds = _seeds(outs, grad_outputs, create_graph, batched=True)
        sizes = {(s._data if create_graph else s).shape[0] for s in seeds}
        if len(sizes) != 1:
            raise RuntimeError("all grad_outputs must have the same batch size")
        batch = (sizes.pop(),)
    else:
        seeds = _seeds(outs, grad_outputs, create_graph)
    captured = run_backward(
        outs,
        seeds,
        retain_graph=retain_graph,
        create_graph=create_graph,
        inputs=ins,
        accumulate=False,
        batch=batch,
    )
    result = []
    for i, t in enumerate(ins):
        g = captured.get(edge(t))
        if g is None:
            if not allow_unused:
                raise RuntimeError(
                    f"The differentiated Tensor at index {i} appears to not have been used in "
                    "the graph. Set allow_unused=True if this is the desired behavior."
                )
            if materialize_grads:
                g = namespace(t._data).zeros(batch + t._data.shape, t._data.dtype)
                g = t._new(g) if create_graph else g
            else:
                result.append(None)
                continue
        result.append(_cut(g) if cut else g if create_graph else t._new(g))
    return tuple(result)


def _cut(g):
    """A symbolic gradient made with create_graph that the caller did not ask for: a
    new tensor through a ``detach`` node (no gradient flows back through it, in autograd
    nor in ``chainrule.sym.grad`` of the graph), not requiring grad, as eager's result."""
    if type(g._data) is not SymArray:
        return g.detach()
    return g._new(_symbolic.node(DETACH, [g._data], {}))
