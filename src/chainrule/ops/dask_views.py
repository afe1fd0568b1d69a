"""Views of tensors on ``'dask'``: a write through one reaches its base and every other view.

On the CPU a view shares its base's memory, so a write to either shows in both. A Dask
array is a value (a lazy graph) and shares no memory, so here the sharing is kept by
hand, with the tools Dask has: a Dask array *object* can take a new graph in place
(``backend_dask.assign``), and a view's recipe (the chain of view ops that made it from
its base, as autograd already records it for the CPU: ``ops.apply._as_view``) can be run
forwards (the view's value from the base's) and backwards (the base's new value once the
view's region holds new values).

So every tensor on 'dask' that shares a storage with another (a view, a ``detach()`` of
one) is registered here with its storage's *root* tensor (the tensor whose array holds
the whole storage) and its chain. A write to any of them (``store``):

1. gives the written tensor's array its new value;
2. when it is a view: the root's new value, the root before with the view's region
   replaced (``put``: the chain undone, step by step: a slice is ``root[idx] = new``, a
   reshape reshapes back, a transpose or permute permutes back; any other chain, such
   as a diagonal, the view's adjoint ``V^T`` put where a mask of the region says), which
   the root's array takes in place (tensors sharing that array object, ``x.detach()``,
   see it too);
3. every other registered tensor of the storage takes its chain of the root's new
   value, so all views read the write at once, as on the CPU.

Eager (at write time) rather than lazy (at read time, when the version moved on): a
tensor's array is read everywhere as ``t._data``, a slot; re-deriving it on read would
make that a property and slow every op on the CPU. A write re-derives each live view
(graph building only: a few Dask calls per view; dead views drop out by weak reference).

Nothing is computed: every step builds graphs. Whether a view op's result is a view at
all, and whether it holds an element twice (an ``expand``), is what the CPU would say,
asked of a NumPy stand-in of the root's shape whose memory is never touched
(``np.empty``), so ``reshape`` is a view or a copy exactly as on the CPU. A write to a
view that holds an element twice is refused as on the CPU (``fill_`` and ``zero_``
aside: they write one value, which every copy of an element agrees on). A ``view()``
the stand-in refuses reads as a value whose writes are refused (``untracked``): a Dask
root is taken to be row-major, which the CPU's tensor of the same code may not be.

What does not come through here is not seen by the views: code that writes a tensor's
array directly (``d[...] = v`` in nn's buffer updates, the engine's ``.grad``
accumulation) rather than through ``ops.apply.write`` or ``Tensor.__setitem__``.
"""

from __future__ import annotations

import weakref

from .. import backend as _backend
from .._state import ERR_OVERLAP, ERR_PARTIAL_OVERLAP
from .namespaces import array_ns
from .views import along_view, into_base

_CPU = _backend.default  # (NumPy: the CPU's namespace)
# id(tensor) -> (weak reference, id of its storage's version counter, root, chain, overlap)
_ALIASES: dict[int, tuple] = {}
# id(version counter) -> ids of the registered tensors of that storage
_STORAGES: dict[int, set] = {}


def entry(t):
    """(root, chain, overlap) of registered Dask tensor t, or None (t is a root)."""
    e = _ALIASES.get(id(t))
    return None if e is None else e[2:]


def overlaps(t) -> bool:
    """Whether Dask tensor t is a view that holds some element more than once."""
    e = _ALIASES.get(id(t))
    return e is not None and e[4]


def register(t, root, chain, overlap: bool) -> None:
    """t shares the storage of ``root`` (a tensor that is no view), as ``chain`` of it."""
    k, s = id(t), id(t._vc)
    _ALIASES[k] = (weakref.ref(t, lambda _, k=k, s=s: _forget(k, s)), s, root, chain, overlap)
    _STORAGES.setdefault(s, set()).add(k)


def rehome(t) -> None:
    """``t.data = y`` of Dask tensor t, about to take y's array: what shares t's storage
    keeps t's old array, as on the CPU (its memory): views rooted at t are rooted at a
    tensor holding it; and t, were it a view, writes no base any more."""
    s = id(t._vc)
    old = None
    for k in list(_STORAGES.get(s, ())):
        a = _ALIASES.get(k)
        if a is not None and a[2] is t:
            if old is None:
                old = t._new(t._data)
                old._vc = t._vc
            _ALIASES[k] = (*a[:2], old, *a[3:])
    _forget(id(t), s)


def _forget(k, s) -> None:
    _ALIASES.pop(k, None)
    ids = _STORAGES.get(s)
    if ids is not None:
        ids.discard(k)
        if not ids:
            del _STORAGES[s]


# ----------------------------------------------------------- what the CPU would do
def standin(shape, chain):
    """A NumPy array of ``shape`` (C order, its memory never touched) taken through
    ``chain``: the strides the CPU would give the view; None where the stand-in cannot be
    made (a shape too big even for untouched memory)."""
    try:
        a = _CPU.empty(shape, "uint8")
    except (MemoryError, ValueError):
        return None
    for prim, params, _ in chain:
        a = _standin_step(prim, params, a)
        if a is None:
            return None
    return a


def _standin_step(prim, params, a):
    if prim.name == "reshape":  # (NumPy's reshape would copy, reading the memory)
        v = a.view()
        try:
            v.shape = params["shape"]
        except AttributeError:
            return None  # a copy on the CPU
        return v
    return prim.fwd(_CPU, a, **params)  # (a view: the CPU's error where it can be none)


def standins(*ts):
    """NumPy stand-ins of Dask tensors of one storage (each the view its chain takes of one
    untouched buffer of the root's shape), for the CPU's tests of overlap between them;
    None where too big."""
    where = [entry(t) or (t, ()) for t in ts]
    try:
        buf = _CPU.empty(where[0][0]._data.shape, "uint8")
    except (MemoryError, ValueError):
        return None
    out = []
    for _, chain, *_ in where:
        a = buf
        for prim, params, _ in chain:
            a = _standin_step(prim, params, a)  # (registered chains are views: never None)
        out.append(a)
    return out


def c_contiguous(t) -> bool:
    """Whether Dask tensor t would be laid out in C order on the CPU (a root is; a view as
    its chain makes it: ``x.t()`` is not, so ``x.t().contiguous()`` is a copy)."""
    if id(t) not in _ALIASES:
        return True
    s = standins(t)
    return s is None or bool(s[0].flags.c_contiguous)


def check_partial_overlap(t, args) -> None:
    """PyTorch's refusal of an in-place op on t reading a tensor that partly overlaps it
    (``x[1:].add_(x[:-1])``), for tensors of one storage on 'dask'."""
    for a in args:
        if a is not t and getattr(a, "_vc", None) is t._vc:
            s = standins(t, a)
            if s is not None and _backend.partial_overlap(*s):
                raise RuntimeError(ERR_PARTIAL_OVERLAP)


def classify(root_shape, chain):
    """(view, overlap) for a view op's result of chain ``chain`` of a root of ``root_shape``:
    whether it shares the root's memory on the CPU (a reshape of a transposed tensor is
    a copy), and whether it holds an element more than once (an expand). ``view`` is None
    where the CPU's view() would refuse (see ``untracked``)."""
    a = standin(root_shape, chain[:-1])
    if a is None:  # (too big for a stand-in: a view, holding elements twice if expanded)
        return True, any(_stretches(p, params, s) for p, params, s in chain)
    try:
        b = _standin_step(*chain[-1][:2], a)
    except RuntimeError:  # (view(): no view of the stand-in's layout has that shape)
        return None, False
    if b is None or not (b is a or b.base is not None):
        return False, False
    if b.size and not _backend.may_share_memory(a, b):
        return False, False
    return True, _backend.has_internal_overlap(b)


# view() where the CPU's would refuse: on the CPU, a tensor laid out out of row-major
# order (x.t().view(-1)). A Dask root's layout is not known (on the CPU, an elementwise
# result of a transposed tensor is transposed too), so the result is kept, as a value
# whose in-place writes are refused (they could not reach its base as the CPU's would).
_UNTRACKED: dict[int, weakref.ref] = {}
ERR_UNTRACKED = (
    "an in-place write to the result of view() on 'dask' that chainrule cannot follow to "
    "its base: on the CPU this view() would fail (its input is not laid out in row-major "
    "order there) or share memory in a layout that a tensor on 'dask' does not record. "
    "Write the base itself, or use .reshape(...) (or .contiguous().view(...)) and write "
    "a clone() of that"
)


def untracked(t) -> None:
    """Mark t: a view() whose writes are refused (``check_writable``)."""
    k = id(t)
    _UNTRACKED[k] = weakref.ref(t, lambda _, k=k: _UNTRACKED.pop(k, None))


def is_untracked(t) -> bool:
    return bool(_UNTRACKED) and id(t) in _UNTRACKED


def check_writable(t) -> None:
    """Refuse an in-place write to an untracked view() (``untracked``)."""
    if _UNTRACKED and id(t) in _UNTRACKED:
        raise RuntimeError(ERR_UNTRACKED)


def _stretches(prim, params, x_shape) -> bool:
    if prim.name != "expand":
        return False
    shape = tuple(params["shape"])
    lead = len(shape) - len(x_shape)
    return any(n > 1 for n in shape[:lead]) or any(
        n == 1 and s > 1 for n, s in zip(x_shape, shape[lead:], strict=True)
    )


# ------------------------------------------------------------------ the write
def along(xp, a, chain):
    """The view ``chain`` takes of array ``a`` (its forward ops, on Dask: graphs)."""
    for prim, params, _ in chain:
        a = prim.fwd(xp, a, **params)
    return a


_SLICES = frozenset({"select", "slice"})
_RESHAPES = frozenset(
    {"view", "reshape", "squeeze", "squeeze_dim", "squeeze_dims", "squeeze_", "unsqueeze"}
)
_SWAPS = frozenset({"transpose", "t"})
_UNDONE = _SLICES | _RESHAPES | _SWAPS | {"permute"}


def put(xp, base, chain, value, overlap: bool):
    """The new value of ``base`` once the view ``chain`` takes of it holds ``value`` (an
    array of the view's shape and dtype): the base elsewhere."""
    if not value.size:
        return base
    if overlap or any(p.name not in _UNDONE for p, _, _ in chain):
        return _put_masked(xp, base, chain, value, overlap)
    return _put_undone(xp, base, chain, value)


def _put_undone(xp, base, chain, value):
    # each step undone, innermost first: b1 = step(base) takes the rest's new value
    if not chain:
        return value
    (prim, params, x_shape), rest = chain[0], chain[1:]
    inner = _put_undone(xp, prim.fwd(xp, base, **params), rest, value) if rest else value
    name = prim.name
    if name in _SLICES:
        idx = params["idx"]
        if not any(i is Ellipsis for i in idx):
            idx = idx + (Ellipsis,)  # (as the forward: x[1] of a 1-d tensor is 0-d)
        out = xp.new_handle(base)  # (base's own array object is rebound by the caller)
        _backend.setitem(xp, out, idx, inner)
        return out
    if name in _RESHAPES:
        return _backend.reshape(inner, tuple(x_shape))
    if name in _SWAPS:
        d0, d1 = params["dim0"], params["dim1"]
        return inner if d0 == d1 else xp.swapaxes(inner, d0, d1)
    dims = params["dims"]  # permute
    return xp.transpose(inner, tuple(sorted(range(len(dims)), key=dims.__getitem__)))


def _put_masked(xp, base, chain, value, overlap: bool):
    # any chain of linear views: V^T(value) where the region (V^T V of ones) is, the base
    # elsewhere (selected, not added: the base's inf or NaN outside the region stays).
    # A region holding elements twice is written by fill_ or zero_ only: one value.
    ns = array_ns(xp)
    ones = xp.ones(base.shape, dtype="float32", chunks=base.chunks)
    region = into_base(ns, along_view(ns, ones, chain, ()), chain, ())
    if overlap:
        new = xp.reshape(value, (-1,))[0]
    else:
        new = into_base(ns, value, chain, ())
    return xp.where(region != 0, new, base)


def store(t, value, overlap_ok: bool = False) -> None:
    """Write ``value`` (broadcastable to t, in a dtype t's casts to) into Dask tensor t's
    storage: t, its root when t is a view, and every other tensor of the storage."""
    xp = _backend.namespace(t._data)
    e = _ALIASES.get(id(t))
    if e is not None and e[4] and not overlap_ok:
        raise RuntimeError(ERR_OVERLAP)
    check_writable(t)
    xp.assign(t._data, value)
    written(t)


def written(t) -> None:
    """Dask tensor t's array just took a new value in place (``store``, or a setitem on
    it): its root takes it where t is a view, and every other tensor of the storage its
    own view of the root's new value."""
    xp = _backend.namespace(t._data)
    e = _ALIASES.get(id(t))
    if e is not None:
        _, _, root, chain, overlap = e
        xp.assign(root._data, put(xp, root._data, chain, t._data, overlap))
    refresh(t)


def refresh(t) -> None:
    """Every registered tensor of t's storage but t: its chain of its root's value now.
    Where t is a view, those whose elements t's do not reach (on the CPU's stand-ins: no
    memory in common) keep their values, and their graphs: rows of a matrix written one
    by one re-derive nothing."""
    ids = _STORAGES.get(id(t._vc))
    if not ids:
        return
    others = []
    for k in list(ids):
        a = _ALIASES.get(k) if k != id(t) else None
        other = a[0]() if a is not None else None
        if other is not None:
            others.append((other, a))
    e = _ALIASES.get(id(t))
    if others and e is not None and e[3]:
        s = standins(t, *[o for o, _ in others])
        if s is not None:
            others = [oa for oa, so in zip(others, s[1:], strict=True) if _may_share(s[0], so)]
    xp = _backend.namespace(t._data)
    for other, a in others:
        xp.assign(other._data, along(xp, a[2]._data, a[3]))


def _may_share(a, b) -> bool:
    return bool(a.size and b.size) and _backend.may_share_memory(a, b)
