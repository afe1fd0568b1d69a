"""Recording: run a primitive on tensors and, when a gradient will be wanted, record a node.

Every op comes through ``apply``, in four steps:

1. the input arrays, in the op's dtype by PyTorch's promotion rules (``_promote``; the
   common cases, tensors of one dtype and Python scalars, need no work);
2. the forward on the arrays, and the output tensor (a view shares its input's storage
   and version counter);
3. with grad mode on and an input that requires grad, the node: where each input's
   gradient goes, and what the rules named (``ops.plan`` compiled the saver). One
   recorder per arity (``_record1``, ``_record2``, ``_recordn``) builds it;
4. with a forward-mode level active, the level pushes the tangents through the op.

In-place ops (``apply_inplace``) run the same steps and write the result into the
tensor's storage; written through a view, they give the base a ``copy_slices`` node (a
table entry of ops/views.py). Views are made and kept current here (``refresh_view``);
comparisons (``compare``) only run their forward.

>>> import chainrule as torch
>>> from chainrule.ops import apply, elementwise
>>> x = torch.ones(2, requires_grad=True)
>>> apply(elementwise.MUL, x, 3.0)
tensor([3., 3.], grad_fn=<MulBackward0>)
"""

from __future__ import annotations

from .. import _state
from .. import backend as _backend
from .. import dtypes as _dt
from ..node import edge
from ..tensor_base import TENSOR_TYPES, TensorBase, new, own
from . import dask_views as _dask_views
from . import symbolic as _sym
from .primitive import REGISTRY, Primitive
from .views import COPY_SLICES, DETACH, EMPTY_VIEW, TO_DEVICE, WRITE_VIEW

_grad = _state.grad
_dual = _state.dual
_NAMESPACES = _backend._NAMESPACES
_as_array = _backend.as_array
_ndarray = _backend.ndarray
_generic = _backend.scalar_type
_PY_NUMBERS = (int, float, bool, complex)
_SCALARS = (int, float)
_alloc = object.__new__
TT = TENSOR_TYPES
_SYMBOLIC = _sym.SYMBOLIC
_SymArray = _sym.SymArray
_WRITE_VIEW = WRITE_VIEW
_DATA = TensorBase.__dict__["_data"]  # the slot itself (chainrule.sym.Symbol reads it so)


def apply(prim: Primitive, *args, **params):
    """Run ``prim`` on Tensors and Python scalars; record a node when grad is needed.

    Every op comes through here, so it is written flat: that keeps an op's own overhead
    near a microsecond."""
    plan = prim.plan
    n = len(args)
    fast = plan.fast  # not a view, not variadic, differentiable: the common cases below
    # 1. the input arrays, in PyTorch's result dtype where the op promotes. Complex arrays
    # take the general path (``_promote``), which sends them to the op's complex row
    # (``_Reroute``) or refuses them
    try:
        if fast and n == 2:
            a0, a1 = args
            datas = None
            if not plan.cast:
                datas = [a0._data if type(a0) in TT else a0, a1._data if type(a1) in TT else a1]
            elif type(a0) in TT:  # tensor with a tensor of its dtype, or with a Python scalar
                d0 = a0._data
                k = d0.dtype.kind
                if type(a1) in TT:
                    d1 = a1._data
                    if d0.dtype == d1.dtype and (k == "f" or not prim.to_float and k != "c"):
                        datas = [d0, d1]
                elif (
                    k == "f"
                    and type(a1) in _SCALARS
                    or (type(a1) is int and k in "iu" and not prim.to_float)
                ):
                    datas = [d0, a1]
            elif type(a1) in TT and type(a0) in _SCALARS:  # 2 * x, 1 - x, 1 / x
                d1 = a1._data
                k = d1.dtype.kind
                if k == "f" or (type(a0) is int and k in "iu" and not prim.to_float):
                    datas = [a0, d1]
            if datas is None:
                datas = _promote(prim, args)
            elif not plan.cast and prim.cx is not prim and _has_complex(datas):
                _complex_route(prim, datas)  # (mm, dot, conv: no promotion to go through)
        elif fast and n == 1:
            a0 = args[0]
            if type(a0) in TT and (plan.any_kind or a0._data.dtype.kind in plan.direct):
                datas = [a0._data]
            else:
                datas = _promote(prim, args) if plan.cast or type(a0) in TT else [a0]
        elif plan.cast:
            datas = _promote(prim, args)
        else:
            datas = [a._data if type(a) in TT else a for a in args]
            if prim.cx is not prim and _has_complex(datas):
                _complex_route(prim, datas)
    except _Reroute:
        return apply(prim.cx, *args, **params)

    # 2. forward, and the output tensor
    if prim.view:  # a view shares storage: its input must own an array to share
        datas[0] = own(args[0])
    x0 = datas[0]
    xp = _NAMESPACES.get(type(x0)) or _first_ns(datas)
    if xp is _SYMBOLIC:  # an explicit graph (chainrule.sym): a node instead of a value
        out, src = _symbolic(prim, args, datas, params)
        res = new(out) if src is None else src._new(out)
        if prim.view and type(args[0]) in TT:
            _symbolic_view(res, args[0], prim, params, x0.shape)
    else:
        try:
            out = prim.fwd(xp, *datas, **params) if params else prim.fwd(xp, *datas)
        except (TypeError, ValueError) as e:
            sym = _as_symbolic(args, params)  # a real array met a symbolic one
            if sym is not None:
                return apply(prim, *sym, **params)
            moved = _on_one_device(args, datas, params)  # two devices (CuPy refuses NumPy's)
            if moved is not None:
                return apply(prim, *moved, **params)
            if type(e) is TypeError:
                raise
            raise _torch_error(e, datas) from None
        except RuntimeWarning:  # a user's filter made NumPy's warning an error: run it quietly
            with _backend.quiet(xp):
                out = prim.fwd(xp, *datas, **params)
        if type(out) not in _CPU_TYPES and _lazy(out):  # NumPy's results pass one test
            moved = _dask_inputs(prim, args, datas, params, out)
            if moved is not None:
                return apply(prim, *moved, **params)
            if out is x0 and not prim.view:  # (Dask's ascontiguousarray, astype: the input)
                out = xp.new_handle(out)  # a value of its own: no write to x0 reaches it
        if type(out) in _PY_NUMBERS:
            out = _as_array(out)  # a Python number from some backend call (NumPy scalars stay)
        elif n >= 2 and prim.name in _FOLLOWS_FIRST:
            first = params["cond"] if prim.name == "where" else x0
            f = getattr(first, "flags", None)  # (array API arrays have no memory layout)
            if getattr(first, "ndim", 0) >= 2 and f is not None and not f.c_contiguous:
                out = _backend.layout_of(out, first)
        src = args[0] if type(args[0]) in TT else _first_tensor(args)
        res = new(out) if src is None else src._new(out)
        if (
            prim.view
            and (out is x0 or getattr(out, "base", out) is not None)  # NumPy's copies: none
            and (out.size == 0 or _backend.may_share_memory(out, x0))  # empty: shares none
        ):
            _as_view(res, src, prim, params, x0.shape)
        elif prim.view and type(out) not in _CPU_TYPES and _is_dask(out):
            _dask_view(res, src, prim, params, x0)  # (Dask arrays share no memory)

    # 3. the node, when an input wants a gradient
    if _grad.enabled and prim.vjp is not None:
        if n == 2:
            _record2(prim, plan, args[0], args[1], datas, res, params)
        elif n == 1:
            _record1(prim, plan, args[0], datas, res, params)
        else:  # any number of inputs (the recorder the two above unroll)
            _recordn(prim, plan, args, datas, res, params)

    # 4. forward mode: the active level pushes the inputs' tangents through the op
    lvl = _dual.level
    if lvl is not None:
        lvl.push(prim, args, datas, params, res)
        node = res._node
        fw = getattr(res, "_fw", None)
        if fw is not None and node is not None and "out" in node.saved:
            node.saved["~fw"] = fw  # create_graph's backward sees out's tangent
    return res


# ------------------------------------------------------------- the recorders
# Each gives ``res`` its node when an input wants a gradient: ``next`` (where each input's
# gradient flows), the saved values the needed rules name, and, where broadcasting or
# promotion happened, the shapes and dtypes the engine brings gradients back to (``fits``
# flags those inputs). A view whose base's history changed since it was taken is refused.


_CPP_NAMES = {"q": "Long", "l": "Long", "i": "Int", "h": "Short", "b": "Char", "B": "Byte"}


def _no_integer_history(args, out) -> None:
    """An integer or bool result of an integer tensor that requires grad (one written
    with a value that does, as PyTorch lets fill_ do): PyTorch refuses to record it."""
    for a in args:
        if type(a) in TT and a._rg and a._data.dtype.kind not in "fc":
            name = "Bool" if out.dtype.kind == "b" else _CPP_NAMES.get(out.dtype.char, "Long")
            raise RuntimeError(f"Autograd not support dtype: {name}")


def integer_filled(fill: Primitive, t, value) -> None:
    """Integer or bool t was just written (cast) with floating ``value`` that requires
    grad, the way PyTorch's fill_ and masked_fill_ record it: t then requires grad, its
    history leading to value, though no integer result of t can carry it on
    (``_no_integer_history``); ``.float()`` and ops with a float result can."""
    if t._base is not None:  # written through a view: the base records it, and the view
        integer_filled(fill, t._base, value)  # is made again from the base when next used
        return
    r = apply(fill, t._new(_backend.astype(t._data, value._data.dtype)), value)
    set_node(t, r._node)
    t._rg = r._rg


def _record1(prim, plan, a0, datas, res, params) -> None:
    if type(a0) not in TT:
        return
    if a0._base is not None and (a0._vver != a0._vc[0] or a0._base._rg and not a0._rg):
        refresh_view(a0)
    out = res._data
    if not a0._rg:
        return
    if out.dtype.kind not in "fc":  # .long() etc.: no gradient
        _no_integer_history((a0,), out)
        return
    node = _alloc(plan.node_cls)
    node.prim = prim
    node.next = [a0._node or edge(a0)]
    node.pre_hooks = None
    node.shapes = None
    d0 = datas[0]
    if plan.fit_always and (d0.shape != out.shape or a0._data.dtype is not out.dtype):
        node.shapes = (d0.shape,)
        node.dtypes = (a0._data.dtype,)
        node.fits = 1
    # input 0: a tensor that wants its gradient (unless it goes nowhere: a no_grad view)
    key = 0x10001 if node.next[0] is not None or plan.variadic else 0x10000
    saver = plan.savers.get(key) or plan.saver(key)
    node.saved, node.checks = saver((a0,), datas, params, out, res, TT)
    res._node = node
    res._rg = True


def _record2(prim, plan, a0, a1, datas, res, params) -> None:
    t0 = type(a0) in TT
    t1 = type(a1) in TT
    r0 = r1 = False
    if t0:
        if a0._base is not None and (a0._vver != a0._vc[0] or a0._base._rg and not a0._rg):
            refresh_view(a0)
        r0 = a0._rg
    if t1:
        if a1._base is not None and (a1._vver != a1._vc[0] or a1._base._rg and not a1._rg):
            refresh_view(a1)
        r1 = a1._rg
    out = res._data
    if not (r0 or r1):
        return
    if out.dtype.kind not in "fc":  # integer and bool results: no gradient
        _no_integer_history((a0, a1), out)
        return
    node = _alloc(plan.node_cls)
    node.prim = prim
    nx = [(a0._node or edge(a0)) if r0 else None, (a1._node or edge(a1)) if r1 else None]
    node.next = nx
    # an input whose gradient goes nowhere (a no_grad view) needs nothing saved, as PyTorch
    # (a variadic rule gives every input's gradient at once: it keeps what it reads)
    if not plan.variadic:
        r0 = r0 and nx[0] is not None
        r1 = r1 and nx[1] is not None
    node.pre_hooks = None
    node.shapes = None
    if plan.fit and (t0 and t1 or plan.fit_always):
        s = out.shape
        t = out.dtype
        d0, d1 = datas
        fits = (1 if r0 and (d0.shape != s or a0._data.dtype is not t) else 0) | (
            2 if r1 and (d1.shape != s or a1._data.dtype is not t) else 0
        )
        if fits:
            node.shapes = (getattr(d0, "shape", None), getattr(d1, "shape", None))
            node.dtypes = (a0._data.dtype if t0 else None, a1._data.dtype if t1 else None)
            node.fits = fits
    key = (1 if r0 else 0) | (2 if r1 else 0) | (0x10000 if t0 else 0) | (0x20000 if t1 else 0)
    saver = plan.savers.get(key) or plan.saver(key)
    node.saved, node.checks = saver((a0, a1), datas, params, out, res, TT)
    res._node = node
    res._rg = True


def _recordn(prim, plan, args, datas, res, params) -> None:
    mask = 0
    tmask = 0
    rg = False
    bit = 1
    tensors = 0
    nxt = []
    for a in args:
        if type(a) in TT:
            tensors += 1
            tmask |= bit
            if a._base is not None and (a._vver != a._vc[0] or a._base._rg and not a._rg):
                refresh_view(a)
            if a._rg:
                e = a._node or edge(a)
                if e is not None or plan.variadic:  # (a gradient going nowhere: no saves)
                    mask |= bit
                nxt.append(e)
                rg = True
            else:
                nxt.append(None)
        else:
            nxt.append(None)
        bit <<= 1
    out = res._data
    if not rg:
        return
    if out.dtype.kind not in "fc":
        _no_integer_history(args, out)
        return
    node = _alloc(plan.node_cls)
    node.prim = prim
    node.next = nxt
    node.pre_hooks = None
    node.shapes = None
    if plan.fit and (tensors > 1 or plan.fit_always):
        fits = 0
        bit = 1
        for a, d in zip(args, datas):  # noqa: B905 - same length by construction
            if mask & bit and (d.shape != out.shape or a._data.dtype is not out.dtype):
                fits |= bit
            bit <<= 1
        if fits:
            node.shapes = tuple([getattr(d, "shape", None) for d in datas])
            node.dtypes = tuple([a._data.dtype if type(a) in TT else None for a in args])
            node.fits = fits
    key = mask | tmask << 16
    saver = plan.savers.get(key) or plan.saver(key)
    node.saved, node.checks = saver(args, datas, params, out, res, TT)
    res._node = node
    res._rg = True


# --------------------------------------------------------------------- views
# A view shares its base's storage and version counter, and remembers how it was taken
# (``_view``: a chain of view primitives from the root base) and the version its history
# was made at. Its history is the chain applied to the base's history; when the storage is
# written (through the base or any of its views), the view's is made again on its next
# use (``refresh_view``).


def _as_view(res, src, prim, params, x_shape) -> None:
    res._vc = src._vc
    if src._base is None:
        base, kind, chain = src, None, ()
    else:
        base = src._base
        kind, chain = src._view
    chain += ((prim, params, x_shape),)
    if not _grad.enabled:
        if kind is None:  # written in place with grad mode on, it would be ambiguous
            kind = ("no_grad", len(chain))
        # it requires grad as its base does, as in PyTorch (with no history of its own;
        # a view made a leaf by requires_grad_() passes nothing on)
        res._rg = base._rg
    res._base = base
    res._view = (kind, chain)
    res._vver = res._vc[0]


def refresh_view(v) -> None:
    """Bring view v up to date with its base, as PyTorch does when a view's history is
    read: once the storage was written since the view's history was made (its version
    moved on), and a gradient is at stake (the view has a history or its base requires
    grad), the history is made again from the base's (the view chain applied to it). A
    view that PyTorch never remakes (taken in no_grad mode, or one of several outputs)
    raises PyTorch's error instead. A view requires grad whenever its base does (with no
    history of its own, a leaf view gathers no ``.grad``: see ``node.edge``).
    """
    kind, chain = v._view
    base = v._base
    if base._rg:
        v._rg = True
    if v._vc[0] == v._vver or (v._node is None and not base._rg):
        return  # (the version is left behind: the base may come to require grad later)
    if kind is not None:
        raise _view_error(kind, chain, rebased=True)
    remake_view(v)


def remake_view(v) -> None:
    """Give view v its history (and tangent) again: its chain applied to its base's."""
    v._vver = v._vc[0]
    chain = v._view[1]
    base = v._base
    t = base
    if base._rg and base._data.dtype.kind not in "fc":
        # an integer base filled from a value that requires grad (``integer_filled``): the
        # view requires grad too, its history a float stand-in's that leads nowhere
        t = base._new(_backend.astype(base._data, "float32"))
        t._rg = True
        t._base, t._view, t._vc, t._vver = base, (None, ()), base._vc, base._vc[0]
    elif v._node is not None and not base._rg:
        # PyTorch keeps a history for a view that had one, whose edge to a base needing
        # no gradient leads nowhere: a stand-in that requires grad and gathers nothing
        # (``node.edge``: a view with no node and no AccumulateGrad)
        t = base._new(base._data)
        t._rg = True
        t._base, t._view, t._vc, t._vver = base, (None, ()), base._vc, base._vc[0]
    prev = _grad.enabled
    _grad.enabled = True
    try:
        if not v._data.size:
            t = apply(EMPTY_VIEW, t, chain=chain)
            chain = ()
        for prim, params, _ in chain:
            t = apply(prim, t, **params)
    finally:
        _grad.enabled = prev
    set_node(v, t._node)
    v._rg = t._rg
    fw = getattr(t, "_fw", None)
    if fw is not None:
        fw[0].attach(v, fw[1])


def set_node(t, node) -> None:
    """Give t a new history (an in-place write, a view made again); a ``retain_grad()``
    hook moves with it, so ``.grad`` is the gradient of t's current value (PyTorch)."""
    keep = getattr(t, "_retains", None)
    old = t._node
    t._node = node
    if keep and old is not node:
        if old is not None and old.pre_hooks and keep in old.pre_hooks:
            old.pre_hooks.remove(keep)
        if node is not None:
            node.register_hook(keep)


def mark_multi_output(views, name: str) -> None:
    """Views that one function returned together (``unbind``, ``split``): PyTorch refuses
    to write them in place with grad recording (the function's one node could not be
    rewritten for one of them)."""
    for i, v in enumerate(views):
        if v._base is None:
            continue
        kind, chain = v._view
        if kind is None:  # (of a base that needs no gradient, PyTorch's error differs)
            kind = ("multi", len(chain), name, i) if v._rg else ("multi_no_grad", len(chain))
            v._view = (kind, chain)


def _view_error(kind, chain, rebased: bool = False) -> RuntimeError:
    """PyTorch's error for writing such a view in place, or (``rebased``) for using it
    after its storage was written."""
    last = chain[-1][0].grad_fn
    last = last[: last.rfind("Backward")] if "Backward" in last else last
    direct = kind[1] == len(chain)  # the view that was made so, or a view of it
    what = (
        "its base or another view of its base has been modified inplace"
        if rebased
        else "is being modified inplace"
    )
    multi = (
        "This view is the output of a function that returns multiple views. Such functions "
        "do not allow the output views to be modified inplace. You should replace the "
        "inplace operation by an out-of-place one."
    )
    if kind[0] == "multi_no_grad":
        return RuntimeError(
            f"A view was created in no_grad mode and {what} with grad mode enabled. {multi}"
        )
    if kind[0] == "multi":
        i, name = (kind[3], kind[2]) if direct else (0, last)
        return RuntimeError(f"Output {i} of {name} is a view and {what}. {multi}")
    head = (
        "A view was created in no_grad mode"
        if direct
        else f"Output 0 of {last} is a view of a view which was created in no_grad mode"
    )
    return RuntimeError(
        f"{head} and {what} with grad mode enabled. Given that this use "
        "case is ambiguous and error-prone, it is forbidden. You can clarify your code by "
        "moving both the view and the inplace either both inside the no_grad block (if you "
        "don't want the inplace to be tracked) or both outside (if you want the inplace to "
        "be tracked)."
    )


# ------------------------------------------------------------------ in place
# elementwise ops whose result takes its first operand's layout (PyTorch's TensorIterator)
_FOLLOWS_FIRST = frozenset(
    (
        "add sub rsub mul div div_rounding floor_divide remainder maximum minimum pow pow_scalar "
        "pow_tensor clamp_tensor where"
    ).split()
)
_MAY_OVERLAP = frozenset({"fill", "zero", "fill_tensor"})  # fill_ and zero_ (PyTorch's too)


def apply_inplace(prim: Primitive, t, *args, **params):
    """Run ``prim(t, *args)`` and write the result into t's storage; return t.

    With grad recording, t's history is rebased onto the new node (PyTorch's semantics).
    Written through a view, the base gets the new history (``copy_slices``: the base
    before, with the viewed region replaced by the result), and the view its history
    again from the base's. A leaf that requires grad, or a view of one, is refused.
    """
    if type(t._data) is _SymArray:  # an explicit graph: the write makes a new node
        return _symbolic_inplace(prim, t, args, params)
    base = t._base
    if base is not None:
        _fresh(t, base)
    if prim.name != "index_put":  # setitem checks the region it writes
        for a in args:
            if isinstance(a, TensorBase) and _backend.partial_overlap(t._data, a._data):
                raise RuntimeError(_state.ERR_PARTIAL_OVERLAP)
        if type(t._data) not in _CPU_TYPES and _is_dask(t._data):  # (no memory to compare)
            _dask_views.check_partial_overlap(t, args)
    record = _grad.enabled and (t._rg or any(isinstance(a, TensorBase) and a._rg for a in args))
    src = t
    if record:
        check_inplace(t)
        needs = (t._rg,) + tuple(isinstance(a, TensorBase) and a._rg for a in args)
        if prim.plan.input_names[0] in prim.plan.saves(needs):
            # the rule needs the value before the write: keep a copy with t's history
            src = t._new(_backend.copy(t._data))
            src._node = t._node
            src._rg = t._rg
            fw = getattr(t, "_fw", None)
            if fw is not None:
                fw[0].attach(src, fw[1])
    r = apply(prim, src, *args, **params)
    # fill_ and zero_ may write one element twice (an expanded tensor), as in PyTorch
    # (with history, its backward is then refused: copy_slices' ``overlap``)
    write(t, r._data, overlap_ok=prim.name in _MAY_OVERLAP)
    if record and r._node is not None and r._node.checks:
        _saved_out_is(r._node, r, t)
    if base is not None and (record or _dual.level is not None):
        _write_through_view(t, base, r, record, _backend.has_internal_overlap(t._data))
        return t
    if record and r._node is not None:
        set_node(t, r._node)
        t._rg = True
    fw = getattr(r, "_fw", None)
    if fw is not None:  # forward mode: the tangent of the new value
        fw[0].attach(t, fw[1])
    elif getattr(t, "_fw", None) is not None:
        t._fw = None  # the new value has no tangent (zero)
    return t


def _saved_out_is(node, r, t) -> None:
    """The result an in-place op's node saved now lives in t (relu_, exp_): its check
    follows t's version, as PyTorch saves the written tensor (a later write is refused)."""
    node.checks = [
        (t._vc, t._vc[0], None, name) if who is None and ver is r._vc else (ver, e, who, name)
        for ver, e, who, name in node.checks
    ]


def _fresh(t, base) -> None:
    """View t, about to be written: its history made again from its base's if stale."""
    if t._view[0] is not None:  # not remade: check_inplace refuses it where it must
        if base._rg:
            t._rg = True
    elif t._vver != t._vc[0] or base._rg and not t._rg:
        refresh_view(t)


def index_put_expanded(index_put: Primitive, t, idx, value) -> None:
    """``t[idx] = value`` (an advanced index) where view t holds elements more than once
    (expanded): PyTorch writes through each index into the shared memory, and the new
    history refuses backward. ``value`` is a Tensor of t's dtype or a number."""
    _fresh(t, t._base)
    is_t = isinstance(value, TensorBase)
    record = _grad.enabled and (t._rg or is_t and value._rg)
    if record:
        check_inplace(t)
    # r: the written values with value's history (the node's input; its backward refuses)
    r = apply(index_put, t._new(_backend.copy(t._data)), value, idx=idx)
    _backend.setitem(_backend.namespace(t._data), own(t), idx, value._data if is_t else value)
    t._vc[0] += 1
    if record or _dual.level is not None:
        _write_through_view(t, t._base, r, record, overlap=True)


def _write_through_view(v, base, r, record, overlap: bool = False) -> None:
    """After r was written into view v: the base's new history (and tangent) is the base
    before with v's region replaced by r; v's is then made again from the base's.
    ``overlap``: v holds some element more than once, so that history refuses backward."""
    old = base._new(base._data)  # the base before the write, as the new node's input
    old._node = base._node
    old._rg = base._rg
    fw = getattr(base, "_fw", None)
    if fw is not None:
        fw[0].attach(old, fw[1])
    prev = _grad.enabled
    _grad.enabled = record
    try:
        new = apply(COPY_SLICES, old, r, chain=v._view[1], overlap=overlap)
    finally:
        _grad.enabled = prev
    if new._node is not None:
        set_node(base, new._node)
        base._rg = True
    fw = getattr(new, "_fw", None)
    if fw is not None:
        fw[0].attach(base, fw[1])
    if v._view[0] is None:
        remake_view(v)


def check_inplace(t) -> None:
    """Refuse an in-place write that would make a gradient wrong (PyTorch's errors)."""
    base = t._base
    if base is not None:
        kind, chain = t._view
        if kind is not None:
            raise _view_error(kind, chain)
        if base._node is None and (base._rg or t._rg):  # (t made a leaf of its own too)
            raise RuntimeError(
                "a view of a leaf Variable that requires grad is being used in an in-place "
                "operation."
            )
    elif t._node is None and t._rg:
        raise RuntimeError(
            "a leaf Variable that requires grad is being used in an in-place operation."
        )


_CAN_CAST = {("f", "i"), ("f", "u"), ("f", "b"), ("i", "b"), ("u", "b")}
_CAN_CAST |= {("c", k) for k in "fiub"}
_CPP_TYPE = {
    "Float32": "Float",
    "Float64": "Double",
    "Int64": "Long",
    "Int32": "Int",
    "Complex64": "ComplexFloat",
    "Complex128": "ComplexDouble",
}


def write(t, out, overlap_ok: bool = False) -> None:
    """Write ``out`` into t's storage: same shape, a dtype PyTorch can cast to, writable,
    no two elements at one address (unless ``overlap_ok``)."""
    dst = own(t)
    if not overlap_ok and _backend.has_internal_overlap(dst):
        raise RuntimeError(_state.ERR_OVERLAP)
    if out.shape != dst.shape:
        if out.ndim > dst.ndim or any(
            o != d and o != 1 for o, d in zip(out.shape[::-1], dst.shape[::-1], strict=False)
        ):
            raise RuntimeError(
                f"output with shape {list(dst.shape)} doesn't match the broadcast shape "
                f"{list(_backend.default.broadcast_shapes(out.shape, dst.shape))}"
            )
    if out.dtype != dst.dtype and (out.dtype.kind, dst.dtype.kind) in _CAN_CAST:
        a = _dt.from_numpy_dtype(out.dtype).name.capitalize()
        b = _dt.from_numpy_dtype(dst.dtype).name.capitalize()
        raise RuntimeError(
            f"result type {_CPP_TYPE.get(a, a)} can't be cast to the desired output type "
            f"{_CPP_TYPE.get(b, b)}"
        )
    try:
        if type(dst) is not _ndarray and _backend.is_dask(dst):
            # (without Dask's setitem tasks; through a view, into its base and the others)
            _dask_views.store(t, out, overlap_ok)
        else:
            dst[...] = out
    except ValueError as e:
        if "read-only" not in str(e):
            raise
        raise RuntimeError(_state.ERR_OVERLAP) from None
    except TypeError:
        if type(out) is _SymArray:
            raise TypeError(ERR_WRITE_SYMBOLIC) from None
        raise
    t._vc[0] += 1


# --------------------------------------------------------------- comparisons
def compare(prim: Primitive, input, other):
    """Apply a comparison: its bool result carries no gradient, so it needs no dtype
    bookkeeping (NumPy compares mixed dtypes exactly) and no recording; only the forward.
    Functions (``torch.lt``) and operators (``<``) both come here."""
    a = getattr(input, "_data", input)
    b = getattr(other, "_data", other)
    if prim.cx is not prim and (_has_complex((a, b)) or type(b) is complex):
        raise complex_refusal(prim.name, _dt.result_type(input, other).title)
    xp = _NAMESPACES.get(type(a)) or _first_ns((a, b))
    if xp is _SYMBOLIC:
        out, src = _symbolic(prim, (input, other), [a, b], {})
        return src._new(out)
    try:
        out = prim.fwd(xp, a, b)
    except TypeError:
        sym = _as_symbolic((input, other))
        if sym is None:
            raise
        return compare(prim, *sym)
    except ValueError as e:
        raise _torch_error(e, (a, b)) from None
    if type(out) is bool:
        out = _as_array(out)
    src = input if type(input) in TT else _first_tensor((other,))
    return new(out) if src is None else src._new(out)


# ---------------------------------------------------------------- complex inputs
class _Reroute(Exception):
    """Complex inputs met a row with a complex variant (``Primitive.cx``): apply runs that."""


def _has_complex(datas) -> bool:
    for d in datas:
        dt = getattr(d, "dtype", None)
        if dt is not None and dt.kind == "c":
            return True
    return False


# PyTorch's refusals of complex inputs, in its words ({T}: ComplexFloat, ComplexDouble);
# a row that is neither here nor open to complex inputs gets chainrule's own refusal
_NOT_FOR = "\"{k}\" not implemented for '{{T}}'"
_COMPLEX_REFUSALS = {
    **{
        n: (NotImplementedError, _NOT_FOR.format(k=k))
        for n, k in {
            "max_all": "max_all",
            "min_all": "min_all",
            "amax": "max_values_cpu",
            "amin": "min_values_cpu",
            "round": "round_vml_cpu",
            "remainder": "remainder_cpu",
            "remainder_scalar": "remainder_cpu",
            "floor_divide": "div_floor_cpu",
            "div_rounding": "div_floor_cpu",
            "softmax": "softmax_lastdim_kernel_impl",
            "log_softmax": "log_softmax_lastdim_kernel_impl",
            "atan2": "atan2_cpu",
            "mse_loss": "mse_cpu",
            "smooth_l1_loss": "smooth_l1_cpu",
            "unique": "unique",
            "kthvalue": "kthvalue_cpu",
            "leaky_relu": "leaky_relu_cpu",
            "leaky_relu_inplace": "leaky_relu_cpu",
            "elu": "elu_cpu",
            "elu_inplace": "elu_cpu",
            "softplus": "softplus_cpu",
            "gelu": "GeluKernelImpl",
            "erf": "erf_vml_cpu",
            "erfc": "erfc_vml_cpu",
            "erfinv": "erfinv_vml_cpu",
            "lgamma": "lgamma_vml_cpu",
            "digamma": "digamma",
            "xlogy": "xlogy_cpu",
            "layer_norm": "LayerNormKernelImpl",
            "nll_loss": "nll_loss_out_frame",
            "max_pool2d": "max_pool2d",
            "lt": "lt_cpu",
            "le": "le_cpu",
            "gt": "gt_cpu",
            "ge": "ge_cpu",
        }.items()
    },
    "sort": (RuntimeError, " Sort does not support complex dtypes on CPU"),
    "sort_stable": (RuntimeError, " Sort does not support complex dtypes on CPU"),
    "topk": (RuntimeError, " topk does not support complex dtypes on CPU"),
    "max_dim": (RuntimeError, "max(): does not support complex input"),
    "min_dim": (RuntimeError, "min(): does not support complex input"),
    "maximum": (RuntimeError, "maximum not implemented for complex tensors."),
    "minimum": (RuntimeError, "minimum not implemented for complex tensors."),
    "clamp": (NotImplementedError, "clamp is not supported for complex types"),
    "clamp_tensor": (NotImplementedError, "clamp is not supported for complex types"),
    "relu": (NotImplementedError, "clamp is not supported for complex types"),
    "floor": (NotImplementedError, "floor is not supported for complex inputs"),
    "ceil": (NotImplementedError, "ceil is not supported for complex inputs"),
    "trunc": (NotImplementedError, "trunc is not supported for complex inputs"),
    "sign": (
        NotImplementedError,
        "Unlike NumPy, torch.sign is not intended to support complex numbers. Please use "
        "torch.sgn instead.",
    ),
}


def complex_refusal(name: str, title: str) -> Exception:
    """The error for complex inputs (dtype ``title``: ComplexFloat) to the table row or
    function ``name``: PyTorch's where PyTorch refuses them too, else chainrule's own (an
    op it has not opened to complex numbers yet: never a silently wrong number)."""
    found = _COMPLEX_REFUSALS.get(name)
    if found is not None:
        return found[0](found[1].replace("{T}", title))
    return NotImplementedError(
        f"chainrule does not support complex tensors in {name} yet ('{title}')"
    )


def _complex_route(prim, datas):
    """Complex arrays reached ``prim``: on to its complex row, or its refusal."""
    if prim.cx is None:
        c = next(d for d in datas if getattr(getattr(d, "dtype", None), "kind", "") == "c")
        raise complex_refusal(prim.name, _dt.from_numpy_dtype(c.dtype).title)
    raise _Reroute


# ----------------------------------------------------------- explicit graphs
# A tensor of chainrule.sym holds a SymArray (ops/symbolic.py): apply makes a graph node
# where it would run the forward; the rest of apply (promotion before, recording and
# forward mode after) is the same as for values.


def _symbolic(prim, args, datas, params):
    """The graph node of ``prim`` on symbolic inputs, and the tensor that makes the
    result's tensor (a symbolic one, so that results of ``chainrule.sym.Symbol`` are
    Symbols). Errors of the forward on the stand-ins read as the eager op's."""
    try:
        out = _sym.node(prim, datas, params)
    except ValueError as e:
        raise _torch_error(e, datas) from None
    src = None
    for a in args:
        if type(a) in TT and type(a._data) is _SymArray:
            src = a
            break
    cls = _sym.SYMBOL
    if cls is not None and type(src) is not cls:
        src = cls  # (its _new is static: results of symbolic inputs are Symbols)
    return out, src


# In-place ops on symbolic tensors. An explicit graph has no storage to write: the write
# is functionalized, a new node, and the tensor names it from then on. Tensors that share
# storage in eager chainrule share it here too: views (``_symbolic_view``: the chain of
# view ops from the storage's root), and aliases (``detach``, ``.data``) share the
# storage's version counter, a ``symbolic.Versions`` that holds the node the storage
# holds now (``root``). A write through a view makes the root's new value with
# ``write_view`` (copy_slices as a value); every tensor of the storage reads its node
# afresh when the version moved on (``symbolic_current``: its view chain applied to the
# root). Where eager chainrule's sharing depends on the memory layout (reshape, view,
# contiguous of a value whose layout the graph does not know), writes are refused.

ERR_WRITE_SYMBOLIC = (
    "chainrule.sym: a tensor with data cannot be written in place with a symbolic value "
    "(its other views would not see the write): make it part of the graph first "
    "(y = chainrule.sym.const(y)) and write into that"
)
_LAYOUT_VIEWS = frozenset({"reshape", "view"})  # a view or a copy, by the input's strides


def symbolic_current(t):
    """The node symbolic tensor t names now: its view chain applied to its storage's
    current value (after a write to the storage through another tensor)."""
    vc = t._vc
    d = vc.root
    for prim, params, _ in t._chain or ():
        d = _sym.node(prim, [d], params)
    _DATA.__set__(t, d)
    t._dver = vc[0]
    return d


def symbolic_layout(t):
    """An array with the strides eager chainrule would give t (its values meaningless),
    or None where the graph does not know them (a root of unknown layout, shapes known
    at bind time only)."""
    vc = t._vc
    if type(vc) is not _sym.Versions:
        return None
    root = vc.root
    if not _sym.known_contiguous(root):
        return None
    a = _backend.default.empty(root.shape, "uint8")  # (not touched: no memory is used)
    try:
        for prim, params, _ in getattr(t, "_chain", None) or ():
            a = prim.fwd(_backend.default, a, **params)
    except Exception:  # noqa: BLE001 - not known
        return None
    return a


def symbolic_unknown_layout(t, what: str) -> None:
    """Refuse writes to t's storage from now on: the graph cannot tell whether ``what``
    shares memory with it in eager chainrule."""
    vc = t._vc
    if type(vc) is _sym.Versions and vc.poisoned is None:
        vc.poisoned = what


def _symbolic_view(res, x, prim, params, x_shape) -> None:
    """res = prim(x), a view op of symbolic x: res shares x's storage, as in eager."""
    vc = x._vc
    if type(vc) is not _sym.Versions or type(res._vc) is not _sym.Versions:
        return  # (a tensor of sym.grad's replay: never written)
    if prim.name in _LAYOUT_VIEWS:
        a = symbolic_layout(x)
        if a is None:
            what = f"{prim.name}() of a value of unknown memory layout"
            symbolic_unknown_layout(x, what)
            symbolic_unknown_layout(res, what)
            return
        out = prim.fwd(_backend.default, a, **params)  # (view: eager's error, if it is one)
        if not (
            (out is a or out.base is not None)
            and (out.size == 0 or _backend.may_share_memory(out, a))
        ):
            return  # a copy in eager chainrule: res has storage of its own
    res._vc = vc
    res._chain = (getattr(x, "_chain", None) or ()) + ((prim, params, x_shape),)
    res._dver = vc[0]
    if not _grad.enabled and x._rg:
        # a view taken in no_grad mode of a tensor that requires grad: eager's requires
        # grad as its base does, with no history, and gathers no gradient (_as_view,
        # node.edge); the graph's has no base: it is marked (edge: None, as a view's)
        res._ngv = True
        res._rg = True


def symbolic_detach(t):
    """``t.detach()`` of symbolic t: the same storage (it sees t's writes, as in eager),
    its node through ``detach``: no gradient flows back through it."""
    d = t._new(_sym.node(DETACH, [t._data], {}))
    vc = t._vc
    if type(vc) is _sym.Versions and type(d._vc) is _sym.Versions:
        d._vc = vc
        d._chain = (getattr(t, "_chain", None) or ()) + ((DETACH, {}, t._data.shape),)
        d._dver = vc[0]
    return d


def _symbolic_inplace(prim, t, args, params):
    """``prim`` written into symbolic t: a new node that t (and its storage) names."""
    if _sym.WRITE_CHECK is not None:
        _sym.WRITE_CHECK(t)
    if _grad.enabled and (t._rg or any(isinstance(a, TensorBase) and a._rg for a in args)):
        raise RuntimeError(
            "chainrule.sym: an in-place op on a symbolic value that requires grad: "
            "differentiate explicit graphs with chainrule.sym.grad (their in-place ops are "
            "written out of place), not with requires_grad on symbols"
        )
    vc = t._vc
    versions = type(vc) is _sym.Versions
    # (a plain tensor with Versions: an outside tensor chainrule.compile traces, a root)
    chain = getattr(t, "_chain", None) if versions else None
    if versions and vc.poisoned is not None:
        raise RuntimeError(
            f"chainrule.sym: cannot write {t} in place: it may share memory with "
            f"another value ({vc.poisoned}), which depends on memory layout that an explicit "
            "graph does not model; write to a clone() of it instead"
        )
    if chain and any(p is DETACH for p, _, _ in chain):
        raise RuntimeError(
            "chainrule.sym: an in-place write to a detached alias (x.detach(), x.data) of "
            "a symbolic value: eager autograd would keep x's old history for the new "
            "value, which an explicit graph does not have; write x itself, or a clone()"
        )
    if chain and prim.name not in _MAY_OVERLAP:
        a = symbolic_layout(t)
        if a is None or _backend.has_internal_overlap(a):
            raise RuntimeError(_state.ERR_OVERLAP)
    r = apply(prim, t, *args, **params)
    new_node = _symbolic_fit(t._data, r._data)
    if not versions:
        _DATA.__set__(t, new_node)
        return t
    if chain:
        root = _sym.node(_WRITE_VIEW, [vc.root, new_node], {"chain": chain, "overlap": False})
    else:
        root = new_node
    vc.root = root
    vc[0] += 1
    _DATA.__set__(t, new_node)
    if vc.owner is not None:  # (written through a view: the plain tensor holds the root)
        _DATA.__set__(vc.owner, root)
    if t is not vc.owner:
        t._dver = vc[0]
    return t


def _symbolic_fit(dst, out):
    """The written node ``out`` as ``dst`` holds it: broadcast to its shape and cast to its
    dtype, with the errors of ``write``."""
    if out.shape != dst.shape:
        if out.shape is None or dst.shape is None or None in out.shape or None in dst.shape:
            raise RuntimeError(
                f"chainrule.sym: an in-place op wrote a value of shape {out.shape} into one "
                f"of shape {dst.shape}: the shapes must be known to tell whether it fits"
            )
        if len(out.shape) > len(dst.shape) or any(
            o != d and o != 1 for o, d in zip(out.shape[::-1], dst.shape[::-1], strict=False)
        ):
            raise RuntimeError(
                f"output with shape {list(dst.shape)} doesn't match the broadcast shape "
                f"{list(_backend.default.broadcast_shapes(out.shape, dst.shape))}"
            )
        out = _sym.node(REGISTRY["expand"], [out], {"shape": tuple(dst.shape)})
    if out.dtype != dst.dtype:
        if (out.dtype.kind, dst.dtype.kind) in _CAN_CAST:
            a = _dt.from_numpy_dtype(out.dtype).name.capitalize()
            b = _dt.from_numpy_dtype(dst.dtype).name.capitalize()
            raise RuntimeError(
                f"result type {_CPP_TYPE.get(a, a)} can't be cast to the desired output type "
                f"{_CPP_TYPE.get(b, b)}"
            )
        out = out.astype(dst.dtype)
    return out


def _as_symbolic(args, params=None):
    """When a symbolic tensor is among ``args`` (not first, so the real forward ran and
    failed), or a symbolic array among ``params`` (a real tensor indexed by a symbolic
    index): the arguments with each real tensor made a constant of the graph."""
    src = None
    for a in args:
        if isinstance(a, TensorBase) and type(a._data) is _SymArray:
            src = a
            break
    if src is None:
        src = _sym.SYMBOL if _sym.param_syms(params) else None
        if src is None:
            return None
    return [
        src._new(_sym.constant(a._data))
        if isinstance(a, TensorBase) and type(a._data) is not _SymArray
        else a
        for a in args
    ]


def record(prim: Primitive, args, datas, res, params) -> None:
    """Give ``res`` (computed elsewhere from ``datas``, the promoted arrays of ``args``) the
    node apply would have recorded: chainrule.sym records a graph it already has, to
    differentiate it with the engine."""
    if prim.vjp is None:
        return
    n = len(args)
    if n == 2:  # (as apply dispatches)
        _record2(prim, prim.plan, args[0], args[1], datas, res, params)
    elif n == 1:
        _record1(prim, prim.plan, args[0], datas, res, params)
    else:
        _recordn(prim, prim.plan, args, datas, res, params)


# ----------------------------------------------------------------- helpers
def _promote(prim, args):
    """Arrays of the inputs cast to the op's dtype by PyTorch's rules (scalars stay Python
    numbers): the general case, after apply's fast paths."""
    # NumPy scalars take part as Python numbers do, as in PyTorch (NumPy would let a
    # float64 scalar widen a float32 tensor)
    args = [a.item() if isinstance(a, _generic) else a for a in args]
    if prim.check is not None:
        prim.check(args)
    target = _dt.result_type(*(a for a in args if a is not None))
    if target.is_complex and prim.cx is not prim:
        if prim.cx is None:
            raise complex_refusal(prim.name, target.title)
        raise _Reroute
    if prim.to_float and target.category < _dt._FLOAT:
        target = _dt.get_default_dtype()
    tnp = target.np
    out = []
    for a in args:
        if isinstance(a, TensorBase):
            d = a._data
            if type(d) is not _ndarray:  # another backend: its own dtypes, the standard's astype
                out.append(_backend.astype(d, tnp, copy=False))
            else:
                out.append(d if d.dtype == tnp else d.astype(tnp))
        else:
            out.append(a)
    return out


def _on_one_device(args, datas, params):
    """When arrays of two devices meet: the arguments again with their 0-d CPU tensors
    moved to the other operands' GPU (PyTorch takes them as numbers there; the move is
    recorded, so their gradient comes back to the CPU), else PyTorch's error; None when
    all are on one device (the error was another one)."""
    arrays = [d for d in datas if not isinstance(d, _PY_NUMBERS)]
    for v in params.values():  # a condition, a mask, an index array
        for a in v if type(v) is tuple else (v,):
            if hasattr(a, "shape") and hasattr(a, "dtype"):
                arrays.append(a)
    found = list(dict.fromkeys(_backend.device_key(d) for d in arrays))
    if len(found) < 2:
        if found and found[0][0] == "cuda" and found[0][1] != _backend.cuda_current():
            raise RuntimeError(
                f"tensors on cuda:{found[0][1]} are used while the current device is "
                f"cuda:{_backend.cuda_current()}: call chainrule.cuda.set_device("
                f"{found[0][1]}) first (chainrule runs a GPU's ops while it is CuPy's "
                "current device)"
            )
        return None
    gpus = [k for k in found if k[0] != "cpu"]
    cpu = ("cpu", None)
    n_cpu = sum(_backend.device_key(a) == cpu for a in arrays)
    if len(gpus) == 1:
        moved = []
        for a in args:
            if type(a) in TT and _backend.device_key(a._data) == cpu:
                if a._data.ndim:
                    break  # a CPU tensor with dimensions: PyTorch refuses it too
                a = apply(TO_DEVICE, a, dst=gpus[0], src=cpu)
                n_cpu -= 1
            moved.append(a)
        else:
            if n_cpu == 0:  # (a CPU mask or index array stays refused)
                return moved
    name = lambda k: k[0] if k[1] is None else f"{k[0]}:{k[1]}"  # noqa: E731
    if DASK_KEY in found:  # (dask first, as PyTorch names cuda:0 for a CPU tensor's op)
        found.sort(key=lambda k: k != DASK_KEY)
    raise RuntimeError(
        "Expected all tensors to be on the same device, but found at least two devices, "
        f"{name(found[0])} and {name(found[1])}!"
    )


_CPU_TYPES = _backend.CPU_TYPES
_is_dask = _backend.is_dask
DASK_KEY = _backend.DASK_KEY
# x[idx] and x[idx] = v take CPU index arrays and masks on any device, as PyTorch does
# (F.pad's index modes make theirs on the CPU); every other op wants its index, mask or
# condition where its input is
_CPU_INDEX_OK = frozenset(
    ["index", "index_put", "index_grad", "index_select"]
    + [f"{m}_pad{n}d" for m in ("reflect", "replicate", "circular") for n in (1, 2, 3)]
)
ERR_UNKNOWN_SIZE = (
    "{what} on 'dask' has a size that depends on the values ({shape}: Dask computes "
    "nothing until asked, so the shape is unknown); compute it first (x.cpu(), or "
    "mask.cpu() for a mask: a CPU mask or index has known sizes), or keep the shape: "
    "torch.where(mask, x, 0) instead of x[mask]"
)


# A view op's result on 'dask': Dask arrays share no memory, so the storage a view shares
# with its base is kept by ops.dask_views (a write through any of them re-derives the
# others, lazily). Autograd's view bookkeeping is the CPU's (``_as_view``).
def _dask_view(res, src, prim, params, x0) -> None:
    """res = prim(src), a view op on 'dask': a view of src's storage where the CPU's would
    be one (a reshape of a transposed tensor is a copy there, so here too)."""
    e = _dask_views.entry(src)
    root, chain = (src, ()) if e is None else e[:2]
    chain += ((prim, params, x0.shape),)
    if res._data is x0:  # (Dask's x[:] is x: a view holds an array object of its own)
        res._data = _backend.namespace(x0).new_handle(x0)
    if _dask_views.is_untracked(src):  # (a view of one: its writes refused too)
        _dask_views.untracked(res)
        return
    view, overlap = _dask_views.classify(root._data.shape, chain)
    if view is None:  # (a view() the CPU's would refuse: a value, writes refused)
        _dask_views.untracked(res)
    if not view:
        return
    _as_view(res, src, prim, params, x0.shape)
    _dask_views.register(res, root, chain, overlap)


def dask_detach(t, d) -> None:
    """d = t.detach() on 'dask': d shares t's storage, registered as one more view of its
    root (no autograd base): of a view, with its chain (an array object of its own); of a
    root, the whole of it (the same array object, which a write to either rebinds for
    both; registered still, so that it follows the root's array when persist() swaps it)."""
    e = _dask_views.entry(t)
    if _dask_views.is_untracked(t):
        _dask_views.untracked(d)
    elif e is None:
        _dask_views.register(d, t, (), False)
    else:
        d._data = _backend.namespace(d._data).new_handle(d._data)
        _dask_views.register(d, *e)


def dask_persisted(t) -> None:
    """Dask tensor t's array was swapped for its persisted one (same values): the views of
    a root start from the held chunks."""
    if _dask_views.entry(t) is None:
        _dask_views.refresh(t)


dask_written = _dask_views.written  # (a setitem wrote a Dask tensor's array in place)
dask_overlaps = _dask_views.overlaps
dask_standins = _dask_views.standins
dask_rehome = _dask_views.rehome
dask_c_contiguous = _dask_views.c_contiguous
dask_check_writable = _dask_views.check_writable


def _lazy(out) -> bool:
    """Whether forward result ``out`` (or a tuple's first) is a lazy Dask array."""
    if type(out) is tuple and out:
        out = out[0]
    return _is_dask(out)


def _dask_inputs(prim, args, datas, params, out):
    """A Dask result: NumPy and Dask arrays meet silently (NumPy's ufuncs defer to Dask),
    so PyTorch's device rules are enforced here: a 0-d CPU tensor joins (moved, recorded,
    as on a GPU: the arguments again), a CPU tensor with dimensions, mask or index is
    refused (``_on_one_device``'s error); and a result of unknown size (a Dask mask's
    selection) is refused with the workaround. None: nothing to move."""
    for o in out if type(out) is tuple else (out,):
        shape = getattr(o, "shape", ())
        if any(n != n for n in shape):  # NaN: Dask's unknown size
            what = "indexing with a boolean mask" if prim.name == "index" else prim.name
            raise RuntimeError(ERR_UNKNOWN_SIZE.format(what=what, shape=shape))
    if prim.name in _CPU_INDEX_OK:
        params = {}
    cpu = any(type(d) in _CPU_TYPES for d in datas) or any(
        type(a) in _CPU_TYPES and getattr(a, "ndim", 0)
        for v in params.values()
        for a in (v if type(v) is tuple else (v,))
    )
    return _on_one_device(args, datas, params) if cpu else None


def _torch_error(e, datas):
    """PyTorch's message for NumPy's broadcast failure; other errors as RuntimeError."""
    if "broadcast" in str(e):
        shapes = [getattr(d, "shape", ()) for d in datas]
        if len(shapes) >= 2:
            a, b = shapes[0], shapes[1]
            n = max(len(a), len(b))
            for i in range(1, n + 1):
                sa = a[-i] if i <= len(a) else 1
                sb = b[-i] if i <= len(b) else 1
                if sa != sb and sa != 1 and sb != 1:
                    return RuntimeError(
                        f"The size of tensor a ({sa}) must match the size of tensor b ({sb}) "
                        f"at non-singleton dimension {n - i}"
                    )
    return RuntimeError(str(e))


def _first_ns(datas):
    for d in datas:
        if not isinstance(d, _PY_NUMBERS):
            return _backend.namespace(d)
    return _backend.default


def _first_tensor(args):
    for a in args:
        if isinstance(a, TensorBase):
            return a
    return None  # Python numbers only (torch.mul(2, 3)): a tensor all the same
