"""The backward engine: reverse accumulation over the recorded graph.

The graph is walked once, iteratively (no recursion: a chain of 100,000 ops is fine),
in an order where a node runs only after every node that feeds it a gradient. Only
nodes on a path to a tensor that wants a gradient are visited (the lecture's "prune the
branches you don't need"). Each node's saved values are released after its rules ran,
unless ``retain_graph``.

With ``create_graph=False`` the rules run on raw backend arrays (cheap); with
``create_graph=True`` the same rules run on Tensors and are themselves recorded.
"""

from __future__ import annotations

from .. import _state
from .. import backend as _backend
from .. import dtypes as _dt
from .._state import ERR_BACKWARD_TWICE
from ..functions.tensor_ns import TensorNS
from ..node import AccumulateGrad, edge
from ..ops.namespaces import array_ns, sum_to

_ndarray = _backend.ndarray
_generic = _backend.scalar_type
_add_reduce = _backend.default.add.reduce
_PY_NUMBERS = (int, float, bool)
_EMPTY: dict = {}  # the saved values of a released node that keeps nothing (never written)

# Callbacks that watch a backward pass (chainrule.viz records adjoints with them): each is
# called as ``fn(node, i, child, gradient)`` for the gradient that node's rule for input i
# hands to ``child`` (a raw array, or a Tensor under create_graph). Empty: no cost.
observers: list = []


def run_backward(
    roots: list,
    seeds: list,
    *,
    retain_graph: bool,
    create_graph: bool,
    inputs: list | None = None,
    accumulate: bool = True,
    batch: tuple = (),
) -> dict:
    """Propagate ``seeds`` (arrays, or Tensors when create_graph) from ``roots``.

    Without ``inputs`` every leaf that requires grad accumulates into ``.grad``. With
    ``inputs`` only their gradients are computed; they are returned by input edge, and
    accumulated into ``.grad`` when ``accumulate``.

    ``batch``: leading axes the seeds carry beyond their outputs' shapes (several
    cotangents pushed through one pass, as chainrule.func.jacrev does); rules keep them.
    """
    new = roots[0]._new  # makes Tensors of gradients (hooks, .grad) without importing Tensor
    buffers: dict = {}
    root_nodes = []
    for r, s in zip(roots, seeds, strict=True):
        n = edge(r)
        if n in buffers:
            buffers[n] = buffers[n] + s
        else:
            buffers[n] = s
            root_nodes.append(n)

    targets = None
    if inputs is not None:
        targets = {edge(t): t for t in inputs}

    # Count, for each node, how many edges from nodes on the walk feed it (a node is seen
    # once it has an entry; roots start at 0).
    deps: dict = dict.fromkeys(root_nodes, 0)
    stack = list(root_nodes)
    parents: dict | None = {} if targets is not None else None
    while stack:
        n = stack.pop()
        for c in n.next:
            if c is None:
                continue
            if targets is not None:
                parents.setdefault(c, []).append(n)
            d = deps.get(c)
            if d is None:
                deps[c] = 1
                stack.append(c)
            else:
                deps[c] = d + 1

    needed = None
    if targets is not None:
        # Only ancestors of the targets do useful work; count deps among them only.
        needed = set()
        stack = [t for t in targets if t in deps]  # deps holds every node on the walk
        needed.update(stack)
        while stack:
            c = stack.pop()
            for p in parents.get(c, ()):
                if p not in needed:
                    needed.add(p)
                    stack.append(p)
        deps = {}
        for n in needed:
            for c in n.next:
                if c is not None and c in needed:
                    deps[c] = deps.get(c, 0) + 1

    captured: dict = {}
    handed: set = set()  # arrays already stored as some leaf's .grad in this pass
    ns = None
    watched = bool(observers)
    direct = targets is None and accumulate  # leaves take their gradient as it arrives
    # ``ready`` holds (node, its summed gradient): a node fed by one edge (most are) gets
    # its gradient handed on directly; ``buffers`` only sums where several edges meet
    ready = [
        (n, buffers.pop(n))
        for n in root_nodes
        if deps.get(n, 0) == 0 and (needed is None or n in needed)
    ]
    prev_mode = _state.grad.enabled
    _state.grad.enabled = create_graph
    try:
        while ready:
            n, g = ready.pop()
            if n.pre_hooks and g is not None:
                g = _run_hooks(n.pre_hooks, g, create_graph, new)
            if type(n) is AccumulateGrad:
                if targets is not None:
                    captured[n] = g
                if accumulate:
                    _accumulate(n.variable, g, create_graph, handed, new)
                continue
            if targets is not None and n in targets:
                captured[n] = g
            if g is None:  # no gradient arrived: nothing to pass on, but its inputs count it
                for c in n.next:
                    if c is not None and (needed is None or c in needed):
                        d = deps[c] - 1
                        deps[c] = d
                        if d == 0:
                            ready.append((c, buffers.pop(c, None)))
                if not retain_graph and n.checks is not None:
                    _free(n)
                continue
            # the node's rules, one per input that wants a gradient
            prim = n.prim
            plan = prim.plan
            if ns is None:
                ns = TensorNS if create_graph else array_ns(_backend.namespace(g))
            checks = n.checks
            if checks:
                for ver, expected, _w, _nm in checks:
                    if ver[0] != expected:
                        _check_versions(n)  # raises PyTorch's error
            saved = _tensor_saved(n, new) if create_graph else n.saved
            calls = plan.invokers
            i = -1
            try:
                many = calls[0](g, ns, batch, saved) if plan.variadic else None
                for c in n.next:
                    i += 1
                    if c is None or (needed is not None and c not in needed):
                        continue
                    gi = calls[i](g, ns, batch, saved) if many is None else many[i]
                    if gi is not None:  # a custom Function may return None for an input
                        if n.shapes is not None and n.fits >> i & 1:
                            gi = _fit(gi, n, i, ns, create_graph, batch)
                        elif type(gi) in _PY_NUMBERS:
                            gi = _backend.as_array(gi)  # a Python number from a rule
                        if watched:
                            for ob in observers:
                                ob(n, i, c, gi)
                    d = deps[c] - 1
                    if d:  # more gradients still to come: sum them in buffers
                        deps[c] = d
                        if gi is not None:
                            prev = buffers.get(c)
                            buffers[c] = gi if prev is None else prev + gi
                    else:
                        prev = buffers.pop(c, None) if buffers else None
                        if prev is not None:
                            gi = prev if gi is None else prev + gi
                        if direct and type(c) is AccumulateGrad and c.pre_hooks is None:
                            _accumulate(c.variable, gi, create_graph, handed, new)  # a leaf
                        else:
                            ready.append((c, gi))
            except KeyError:
                _missing_saved(prim, i, saved)  # released by an earlier backward?
                raise
            if not retain_graph and n.checks is not None:  # _free, inlined: a hot path
                if plan.kept or "ctx" in saved:
                    _release(n)
                else:
                    n.saved = _EMPTY
                    n.checks = None
    finally:
        _state.grad.enabled = prev_mode
    return captured


def nodes_behind(tensors):
    """Every node of the graph behind ``tensors`` (each once, iteratively): the recorded
    ops, and the AccumulateGrad nodes of the leaves that require grad."""
    seen = set()
    stack = [t._node for t in tensors if getattr(t, "_node", None) is not None]
    while stack:
        n = stack.pop()
        if id(n) in seen:
            continue
        seen.add(id(n))
        yield n
        stack.extend(c for c in n.next if c is not None)


def leaves_behind(tensors, exclude=()):
    """The leaves that require grad reached by the graph behind ``tensors``, except
    those in ``exclude`` (lazily: ``any(leaves_behind(...))`` stops at the first)."""
    own = {id(t) for t in exclude}
    for n in nodes_behind(tensors):
        if type(n) is AccumulateGrad and id(n.variable) not in own:
            yield n.variable


def _missing_saved(prim, i, saved) -> None:
    """A rule's KeyError: backward's error when a value it needs was already freed."""
    names = prim.plan.rule_names[0 if prim.plan.variadic else i]
    if any(nm not in saved for nm in names if nm not in ("g", "ns", "batch")):
        raise RuntimeError(ERR_BACKWARD_TWICE) from None


def _tensor_saved(n, new):
    """The saved values as Tensors connected to the graph (for create_graph)."""
    saved = dict(n.saved)
    for _ver, _expected, t, name in n.checks or ():
        if t is None:
            t = _saved_output(n.saved[name], n, new)
            fw = saved.get("~fw")
            if fw is not None:  # forward over reverse: the output's tangent goes along
                fw[0].attach(t, fw[1])
        saved[name] = t
    return saved


def _fit(gi, n, i, ns, create_graph, batch=()):
    """Bring a rule's gradient back to input i's shape (sum_to) and dtype."""
    if type(gi) is _ndarray and not batch:
        # the common case first, a bias: one sum over the leading axes broadcasting added
        shape = n.shapes[i]
        gs = gi.shape
        lead = len(gs) - len(shape)
        if lead == 1 and gs[1:] == shape:
            gi = _add_reduce(gi, axis=0)
        elif gs != shape:
            gi = sum_to(ns, gi, shape)
        dt = n.dtypes[i]
        return gi if gi.dtype == dt else gi.astype(dt)
    arr = gi._data if create_graph else gi
    if type(arr) in _PY_NUMBERS:
        arr = gi = _backend.as_array(arr)
    shape = n.shapes[i]
    if arr.shape[len(batch) :] != shape:
        gi = ns.sum_to(gi, shape, batch) if batch else ns.sum_to(gi, shape)
        arr = gi._data if create_graph else gi
    dt = n.dtypes[i]
    if arr.dtype != dt:
        gi = gi.to(_dt.from_numpy_dtype(dt)) if create_graph else gi.astype(dt)
    return gi


def _saved_output(arr, n, new):
    """A saved output as a Tensor whose history is the node itself (for create_graph)."""
    t = new(arr)
    t._node = n
    t._rg = True
    return t


def _check_versions(n) -> None:
    for ver, expected, who, name in n.checks:
        if ver[0] == expected:
            continue
        if who is None:
            arr = n.saved[name]
            desc = f", which is output 0 of {_op_name(n.prim.grad_fn)},"
        else:
            arr = who._data
            src = who._node
            desc = "" if src is None else f", which is output 0 of {_op_name(src.prim.grad_fn)},"
        # PyTorch names a bool tensor by its C++ type here (CPUBoolType), the others as usual
        kind = (
            "CPUBoolType" if arr.dtype.kind == "b" else _dt.from_numpy_dtype(arr.dtype).tensor_type
        )
        raise RuntimeError(
            "one of the variables needed for gradient computation has been modified by an "
            f"inplace operation: [{kind} {list(arr.shape)}]{desc} is at "
            f"version {ver[0]}; expected version {expected} instead. Hint: enable anomaly "
            "detection to find the operation that failed to compute its gradient, with "
            "torch.autograd.set_detect_anomaly(True, check_nan=False)."
        )


def _free(n) -> None:
    """After a node's rules ran (without retain_graph): drop what it saved."""
    if n.prim.plan.kept or "ctx" in n.saved:
        _release(n)
    else:  # the common case: nothing to keep
        n.saved = _EMPTY
        n.checks = None


def _op_name(grad_fn: str) -> str:
    """PyTorch 2.13 names the op in this error without its suffix: Exp for ExpBackward0."""
    base = grad_fn.rstrip("0123456789")
    return base[: -len("Backward")] if base.endswith("Backward") and base != grad_fn else grad_fn


def _release(n) -> None:
    """Free the node's saved inputs and outputs; keep shapes and parameters (as PyTorch)."""
    saved = n.saved
    ctx = saved.get("ctx")
    if ctx is not None:
        ctx._free()
    kept = n.prim.plan.kept
    n.saved = {k: v for k, v in saved.items() if k in kept} if kept else {}
    n.checks = None


def _run_hooks(hooks, g, create_graph, new):
    for h in list(hooks):
        t = g if create_graph else new(g)
        r = h(t)
        if r is not None:
            g = r if create_graph else r._data
    return g


def _accumulate(t, g, create_graph, handed, new) -> None:
    """AccumulateGrad: add ``g`` into ``t.grad`` (in place when it exists, as PyTorch)."""
    if g is None:
        return
    if create_graph:
        cur = getattr(t, "_grad", None)
        t._grad = g if cur is None else cur + g
        return
    cur = getattr(t, "_grad", None)
    if cur is None:
        if isinstance(g, _generic):  # a NumPy scalar (0-d seeds): .grad gets a 0-d array
            g = _backend.as_array(g)
        elif g.base is not None or id(g) in handed or not g.flags.writeable:
            g = g.copy()
        handed.add(id(g))
        t._grad = new(g)
    elif cur._rg or cur._node is not None:
        t._grad = new(cur._data + g)
    else:
        cur._data += g
        cur._vc[0] += 1
