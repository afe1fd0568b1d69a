"""The backward engine: reverse accumulation over the recorded graph.

Reverse accumulation is the chain rule run from the output back to the inputs. A node's
gradient (of the output with respect to the node's result) is complete once every node that
used the result has handed back its share; the node's rules (its vector-Jacobian products,
from the table) then turn that gradient into one share per input. ``run_backward``:

1. counts how many gradients each node waits for (``_dependencies``); with ``inputs``
   (autograd.grad) only the nodes on a path to one of them are kept (``_prune``), and an
   input's node with no other input below it only has its gradient captured: its rules
   do not run (``_captured_only``), as in PyTorch;
2. takes a node whose gradients have all arrived, the seeds' nodes first; runs its hooks
   (``_run_hooks``: a hook may replace the gradient, with one of the same shape and dtype),
   captures its gradient if it is one of ``inputs``, and, for a leaf, adds the gradient
   into ``.grad`` once the whole walk has succeeded (``_accumulate``, under the leaf's
   lock: passes in several threads may meet at one leaf);
3. checks that nothing its rules read was changed in place since (``_check_versions``),
   runs the rules, and brings each result back to its input's shape and dtype (``_settle``);
4. routes each gradient to the node it feeds (``observers`` see it on the way), summed
   where several meet; that node is ready with its last one (a node that got no gradient
   at all passes none on: ``_pass_none``);
5. frees what the node saved (``_free``), unless ``retain_graph``.

The walk is iterative (no recursion: a chain of 100,000 ops is fine). With
``create_graph=False`` the rules run on raw backend arrays (cheap); with
``create_graph=True`` the same rules run on Tensors and are themselves recorded.
"""

from __future__ import annotations

import threading

from .. import _state
from .. import backend as _backend
from .. import dtypes as _dt
from .._state import ERR_BACKWARD_TWICE
from ..functions.tensor_ns import TensorNS
from ..node import AccumulateGrad, edge
from ..ops.namespaces import array_ns, sum_to
from ..tensor_base import TensorBase, own

_generic = _backend.scalar_type
_NUMBERS = (int, float, bool)


class _Freed(dict):
    """What a node keeps after backward freed its saved values (shapes and parameters, as
    PyTorch): a rule that asks for a freed value gets backward's "second time" error."""

    __slots__ = ()

    def __missing__(self, name):
        raise RuntimeError(ERR_BACKWARD_TWICE)


_EMPTY = _Freed()  # the saved values of a freed node that keeps nothing (never written)

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
    buffers: dict = {}  # node -> the sum of the gradients that reached it so far
    for i, (r, s) in enumerate(zip(roots, seeds, strict=True)):
        n = edge(r)
        if n is None:  # a view taken in no_grad mode: it requires grad, with no history
            raise RuntimeError(
                f"element {i} of tensors does not require grad and does not have a grad_fn"
            )
        buffers[n] = buffers[n] + s if n in buffers else s
    targets = None if inputs is None else {edge(t) for t in inputs}
    root_nodes = list(buffers)
    deps = _dependencies(root_nodes, targets)  # node -> gradients it still waits for
    # with targets (PyTorch's exec_info): autograd.grad only captures the gradient of a
    # target with no other target below it; it does not run its rules (no version check,
    # nothing freed). backward(inputs=) runs the targets' nodes (they accumulate).
    only = _captured_only(targets, deps) if targets is not None and not accumulate else ()
    # (node, its summed gradient): a node fed by one edge (most are) gets its gradient
    # handed on directly; ``buffers`` only sums where several edges meet
    ready = [(n, buffers.pop(n)) for n in root_nodes if deps.get(n) == 0]
    captured: dict = {}  # with targets: node -> its gradient (autograd.grad's answer)
    # arrays that code outside the engine holds (already some leaf's .grad in this pass, or
    # shown to a hook): a leaf copies them instead of taking them as its .grad
    handed: set = set()
    # the namespace the rules run on: Tensors, or the gradients' array module
    ns = TensorNS if create_graph else array_ns(_backend.namespace(seeds[0]))
    ns_type = type(seeds[0])  # the array type ns is for: a move between devices changes it
    watched = bool(observers)  # (an empty list costs nothing per gradient)
    # nodes whose summed gradient in ``buffers`` is an array the engine made (a sum, or a
    # slice's fresh zeros-with-g) and nobody else holds: more gradients are added into it
    # in place, a slice's only into its part (``Primitive.accumulate``), so that the
    # gradients of x[0], x[1], ..., x[T-1] sum in O(size of x), not O(T * size of x)
    owned: set = set()
    may_own = not create_graph and not batch and not watched
    direct = targets is None and accumulate  # leaves take their gradient as it arrives
    # (leaf, gradient): added into .grad once the whole walk has succeeded, so that a pass
    # that fails (a tensor changed in place, a hook that raises) changes no .grad
    pending: list = []
    prev_mode = _state.grad.enabled
    _state.grad.enabled = create_graph
    try:
        if targets is not None and len(roots) == 1 and root_nodes[0] not in deps:
            # a lone output off every path to the targets: PyTorch runs its tensor hooks
            # (retain_grad fills its .grad), not its rules
            n = root_nodes[0]
            if n.pre_hooks:
                _run_hooks(n.pre_hooks, seeds[0], create_graph, new, handed)
        while ready:
            n, g = ready.pop()  # a node whose gradients have all arrived, summed in g
            if targets is not None and n in targets:
                if n in only:  # its hooks, then its gradient is captured; no rules run
                    if n.pre_hooks and g is not None:
                        g = _run_hooks(n.pre_hooks, g, create_graph, new, handed)
                    captured[n] = g
                    continue
                captured[n] = g  # (PyTorch captures a node that runs before its hooks)
            if n.pre_hooks and g is not None:
                g = _run_hooks(n.pre_hooks, g, create_graph, new, handed)
            if type(n) is AccumulateGrad:  # a leaf
                if accumulate and g is not None:
                    pending.append((n.variable, g))
                continue
            if g is None:
                _pass_none(n, deps, buffers, ready, retain_graph)
                continue
            # run its rules, one per input that wants a gradient
            if type(g) is not ns_type and not create_graph:  # the gradient changed device
                ns_type, ns = type(g), _ns_of(g, ns)
            checks = n.checks
            if checks:
                for ver, expected, _w, _nm in checks:
                    if ver[0] != expected:
                        _check_versions(n)  # raises PyTorch's error
            saved = _tensor_saved(n, new) if create_graph else n.saved
            plan = n.prim.plan
            rules = plan.invokers
            many = None
            if plan.variadic:  # one rule gives every input's gradient
                try:
                    many = rules[0](g, ns, batch, saved)
                except RuntimeWarning:  # (see _call)
                    many = _call(rules[0], g, ns, batch, saved)
            acc = n.prim.accumulate if may_own else None
            i = -1
            for c in n.next:
                i += 1
                if c is None or (targets is not None and c not in deps):
                    continue  # no input there, or one that leads to no target
                if acc is not None and c in owned and buffers[c].dtype == g.dtype:
                    acc(buffers[c], g, saved["idx"])  # g added into its part of the sum
                    d = deps[c] - 1
                    if d:
                        deps[c] = d
                        continue
                    owned.discard(c)
                    gi = buffers.pop(c)
                    if direct and type(c) is AccumulateGrad and c.pre_hooks is None:
                        pending.append((c.variable, gi))
                    else:
                        ready.append((c, gi))
                    continue
                if many is None:
                    try:
                        gi = rules[i](g, ns, batch, saved)
                    except RuntimeWarning:  # (see _call)
                        gi = _call(rules[i], g, ns, batch, saved)
                else:
                    gi = many[i]
                if gi is not None and (n.shapes is not None or watched or type(gi) in _NUMBERS):
                    gi = _settle(gi, n, i, c, ns, create_graph, batch)  # broadcast, dtype
                # route gi to c: summed in buffers while more are to come
                d = deps[c] - 1
                if d:
                    deps[c] = d
                    if gi is not None:
                        prev = buffers.get(c)
                        if prev is None:
                            buffers[c] = gi
                            if acc is not None and _writable(gi):  # the rule's fresh array
                                owned.add(c)
                        elif c in owned and _same_kind(prev, gi):
                            prev += gi
                        else:
                            buffers[c] = prev = prev + gi
                            if may_own and _writable(prev):
                                owned.add(c)
                            else:  # (NumPy gives a scalar for 0-d + 0-d): += would
                                owned.discard(c)  # rebind a name, not add into the sum
                    continue
                prev = buffers.pop(c, None) if buffers else None
                if prev is not None:
                    if gi is None:
                        gi = prev
                    elif c in owned and _same_kind(prev, gi):
                        prev += gi
                        gi = prev
                    else:
                        gi = prev + gi
                    owned.discard(c)
                if direct and type(c) is AccumulateGrad and c.pre_hooks is None:
                    if gi is not None:  # a leaf
                        pending.append((c.variable, gi))
                else:
                    ready.append((c, gi))  # c has all its gradients
            if not retain_graph and n.checks is not None:
                _free(n)
        for t, g in pending:
            _accumulate(t, g, create_graph, handed, new)
    finally:
        _state.grad.enabled = prev_mode
    return captured


def _writable(a) -> bool:
    """An array that can be added into in place (NumPy's and CuPy's; not Dask's)."""
    flags = getattr(a, "flags", None)
    return flags is not None and flags.writeable


def _same_kind(a, b) -> bool:
    """``a += b`` gives what ``a + b`` would: the same type, shape and dtype."""
    return type(a) is type(b) and a.shape == b.shape and a.dtype == b.dtype


def _dependencies(roots: list, targets: set | None) -> dict:
    """For each node on the walk from ``roots``: how many edges from nodes on the walk
    feed it, i.e. how many gradients it waits for (roots start at 0). With ``targets``
    only the nodes on a path to a target are kept (``_prune``)."""
    deps = dict.fromkeys(roots, 0)
    parents: dict | None = None if targets is None else {}  # node -> nodes feeding it
    stack = list(roots)
    while stack:
        n = stack.pop()
        for c in n.next:
            if c is None:
                continue
            if parents is not None:
                parents.setdefault(c, []).append(n)
            d = deps.get(c)
            if d is None:  # first seen: walk on from it
                deps[c] = 1
                stack.append(c)
            else:
                deps[c] = d + 1
    return deps if parents is None else _prune(deps, parents, targets)


def _prune(deps: dict, parents: dict, targets: set) -> dict:
    """``deps`` kept to the nodes on a path to a target (the lecture's "prune the
    branches you don't need": the others would do no useful work), counting only the
    edges among those."""
    needed = targets & deps.keys()  # the targets on the walk
    stack = list(needed)
    while stack:
        for p in parents.get(stack.pop(), ()):
            if p not in needed:
                needed.add(p)
                stack.append(p)
    deps = dict.fromkeys(needed, 0)
    for n in needed:
        for c in n.next:
            if c in deps:
                deps[c] += 1
    return deps


def _ns_of(g, ns):
    """The namespace for rules on ``g`` (``ns`` where ``g`` is no array: a multi-output
    node's gradients, the first one's)."""
    if hasattr(g, "grads"):
        g = next((x for x in g.grads if x is not None), None)
    xp = _backend._NAMESPACES.get(type(g))
    if xp is None and hasattr(g, "shape"):
        xp = _backend.namespace(g)
    return ns if xp is None else array_ns(xp)


def _call(rule, g, ns, batch, saved):
    """A rule run with the backend's floating-point warnings silent (inf and nan are
    values, as in PyTorch), for when a user's warnings filter turned one into an error."""
    with _backend.quiet(getattr(ns, "xp", _backend.default)):
        return rule(g, ns, batch, saved)


def _captured_only(targets: set, deps: dict) -> set:
    """The targets on the walk with no other node of the walk below them (the walk is
    pruned to the paths to the targets): autograd.grad captures their gradients and runs
    nothing of them."""
    return {n for n in targets if n in deps and not any(c in deps for c in n.next)}


def _pass_none(n, deps, buffers, ready, retain_graph) -> None:
    """A node that received no gradient: it passes none on, but its inputs still count
    the edge from it (and it frees what it saved, as after its rules)."""
    for c in n.next:
        if c in deps:  # (not None, and not pruned)
            d = deps[c] - 1
            deps[c] = d
            if d == 0:
                ready.append((c, buffers.pop(c, None)))
    if not retain_graph and n.checks is not None:
        _free(n)


def _settle(gi, n, i, c, ns, create_graph, batch):
    """The gradient node n's rule for input i gives, made ready for c: back to the input's
    shape and dtype where broadcasting or promotion changed them (``_fit``), an array where
    a rule gave a Python number; and shown to each observer."""
    if n.shapes is not None and n.fits >> i & 1:
        gi = _fit(gi, n, i, ns, create_graph, batch)
    elif type(gi) in _NUMBERS:
        gi = _backend.as_array(gi)
    for ob in observers:
        ob(n, i, c, gi)
    return gi


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


def _tensor_saved(n, new):
    """The saved values as Tensors connected to the graph (for create_graph)."""
    saved = type(n.saved)(n.saved)  # (a freed node's stays _Freed)
    for _ver, _expected, t, name in n.checks or ():
        if t is None:
            t = _saved_output(n.saved[name], n, new)
            fw = saved.get("~fw")
            if fw is not None:  # forward over reverse: the output's tangent goes along
                fw[0].attach(t, fw[1])
        saved[name] = t
    return saved


def _fit(gi, n, i, ns, create_graph, batch=()):
    """Bring a rule's gradient back to input i's shape (summed over the axes broadcasting
    added or stretched) and dtype."""
    arr = gi._data if create_graph else gi
    if type(arr) in _NUMBERS:
        arr = gi = _backend.as_array(arr)
    shape = n.shapes[i]
    if arr.shape[len(batch) :] != shape:
        gi = sum_to(ns, gi, shape, len(batch))
        arr = gi._data if create_graph else gi
    dt = n.dtypes[i]
    if arr.dtype != dt:
        if arr.dtype.kind == "c" and dt.kind != "c":  # a real input promoted to complex:
            gi = ns.real(gi)  # its gradient is the real part (PyTorch's handle_r_to_c)
            arr = gi._data if create_graph else gi
        if arr.dtype != dt:
            gi = gi.to(_dt.from_numpy_dtype(dt)) if create_graph else _backend.astype(gi, dt)
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
    """PyTorch 2.13 names the op in this error without "Backward0" (Exp for ExpBackward0),
    an overload by its number (Pow1 for PowBackward1)."""
    if grad_fn == "CopySlices":
        return "torch::autograd::CopySlices"
    base, _, n = grad_fn.rpartition("Backward")
    if not base or not n.isdigit():
        return grad_fn
    return base if n == "0" else base + n


def _release(n) -> None:
    """Free the node's saved inputs and outputs; keep shapes and parameters (as PyTorch)."""
    saved = n.saved
    ctx = saved.get("ctx")
    if ctx is not None:
        ctx._free()
    kept = n.prim.plan.kept
    n.saved = _Freed({k: v for k, v in saved.items() if k in kept}) if kept else _EMPTY
    n.checks = None


def _run_hooks(hooks, g, create_graph, new, handed):
    """A node's (or a leaf's) hooks, in order: each may replace the gradient, with a tensor
    of the gradient's shape and dtype (anything else is refused, as in PyTorch, instead of
    landing in ``.grad``). The hooks saw the gradient, and may keep it: a leaf must copy it
    before adding into it later (``handed``)."""
    for h in list(hooks):
        t = g if create_graph else new(g)
        r = h(t)
        if r is not None:
            _check_hook_result(h, t, r)
            g = r if create_graph else r._data
    if not create_graph:
        handed.add(id(g))
    return g


def _check_hook_result(hook, given, r) -> None:
    """PyTorch's checks on what a gradient hook returns, in its order and words."""
    if not isinstance(r, TensorBase):
        raise TypeError(f"expected Variable, but hook returned '{_type_name(r)}'")
    name = getattr(hook, "__name__", "<unknown>")
    was, got = given._data.dtype, r._data.dtype
    if got != was:
        raise RuntimeError(
            f"hook '{name}' has changed the type of value (was {_tensor_type(was)} got "
            f"{_tensor_type(got)})"
        )
    if r._data.shape != given._data.shape:
        raise RuntimeError(f"hook '{name}' has changed the size of value")


def _tensor_type(dtype) -> str:
    """torch.FloatTensor for float32: PyTorch's legacy tensor type name of a dtype."""
    return _dt.from_numpy_dtype(dtype).tensor_type


def _type_name(x) -> str:
    """A type's name as CPython's tp_name gives it (PyTorch's messages use that): 'float',
    'numpy.ndarray', 'MyClass'."""
    tp = type(x)
    if tp.__flags__ & (1 << 9) or tp.__module__ == "builtins":  # a class made in Python
        return tp.__name__
    return f"{tp.__module__}.{tp.__name__}"


# The locks that guard ``.grad``: backward passes running in several threads may reach one
# leaf at once, and "read .grad, add, store" must not interleave (PyTorch locks each
# AccumulateGrad). A leaf maps to one of a fixed set of locks by its id: no lock to create
# per leaf, and passes into different leaves seldom wait for each other.
_GRAD_LOCKS = tuple(threading.Lock() for _ in range(64))


def grad_lock(t) -> threading.Lock:
    """The lock to hold while reading and writing ``t.grad`` during backward."""
    return _GRAD_LOCKS[id(t) >> 4 & 63]  # (objects are 16-byte aligned: skip the low bits)


class _WRITABLE:  # the flags of an array without NumPy's: writable (array API arrays are)
    writeable = True


def _accumulate(t, g, create_graph, handed, new) -> None:
    """AccumulateGrad: add ``g`` into ``t.grad``, holding the leaf's lock. As PyTorch: with
    create_graph the first gradient is copied (recorded) and later ones are added out of
    place (a new .grad); without, they are added in place into the existing .grad, which
    keeps its requires_grad and history (a user's reference to it sees the sum)."""
    if g is None:
        return
    with _GRAD_LOCKS[id(t) >> 4 & 63]:  # (grad_lock(t), inlined: one call less per leaf)
        cur = getattr(t, "_grad", None)
        if create_graph:
            t._grad = g.clone() if cur is None else cur + g
            return
        if cur is None:
            if isinstance(g, _generic):  # a NumPy scalar (0-d seeds): .grad gets a 0-d array
                g = _backend.as_array(g)
            elif (
                getattr(g, "base", g) is not None  # a view (an array API array: can't tell)
                or id(g) in handed
                or not getattr(g, "flags", _WRITABLE).writeable
            ):
                g = _backend.copy(g)
            handed.add(id(g))
            t._grad = new(g)
            return
        d = own(cur)
        if getattr(d, "flags", _WRITABLE).writeable:
            d += g
            if d is not cur._data:  # (a Dask array has no in-place add: += made a new one)
                cur._data = d
        else:  # (a broadcast gradient kept by create_graph): a writable array in its place
            cur._data = d + g
        cur._vc[0] += 1
