"""The graph compiler: ``chainrule.compile(fn)`` traces an eager function into an
explicit graph (``chainrule.sym``) on its first call, then runs the graph.

Tracing runs ``fn`` once on symbolic tensors: each argument tensor becomes a variable of
its shape and dtype, and so does every tensor ``fn`` reads without taking it as an
argument: a Module's parameters and buffers, tensors it closes over, names as globals or
reaches through an object's attributes or an argument that is a module (searched a few
levels deep), and any tensor that requires grad which autograd's graph of the outputs
leads to. While ``fn`` runs, those tensors hold a variable instead of their array, so the
graph reads their *current* values at each call (an optimizer's updates are seen). Every
chainrule operation on a symbolic tensor makes a node through the one table
(``ops/symbolic.py``); ``chainrule.func.grad`` and ``autograd.grad`` inside ``fn`` make
the gradient's nodes with the table's rules. The outputs' graph becomes a
``sym.function``.

A compiled function keeps one graph per *signature*: the pytree structure of its
arguments, each tensor's shape, dtype, requires_grad and array type, every other
argument's value (a hashable constant, baked into the graph), grad mode, and a module's
train/eval flag. A new signature traces again (``compiled.traces`` counts the traces);
so does a tensor read from outside that changed shape, dtype or requires_grad, a global
name, closure variable or attribute bound to another tensor, or a submodule switched
between train and eval. After 64 signatures, new ones run eagerly (one warning).

What a graph cannot hold makes that signature run eagerly, with one ``UserWarning`` that
names the line of ``fn`` responsible (``fullgraph=True`` raises ``TraceError`` instead):

- Python control flow on tensor values (``if x.sum() > 0``, ``.item()``, ``float(t)``,
  ``bool(t)``, ``.tolist()``, printing a tensor): a symbolic tensor has no values;
- in-place writes a call cannot write back (below): into a detached alias (``x.detach()
  .mul_(2)``, ``p.data.mul_(2)``), rebinding ``x.data``, writes into inputs when the
  outputs are differentiated too (BatchNorm's running statistics in training), ``.grad``
  set to a tensor that is not a fresh value;
- random numbers from the default generator (dropout in training, ``torch.rand``): a
  graph would replay one draw forever. The generator is restored before the eager run,
  so the fallback draws what eager would;
- results whose shape depends on the values (``nonzero``, ``torch.where(cond)``,
  ``unique``, ``one_hot`` without ``num_classes``, ``repeat_interleave`` with a tensor of
  counts, ``x[mask]``): a graph's shapes are fixed when it is traced;
- library code that computes on a tensor's array itself (``F.batch_norm`` updating
  running statistics of tensors made inside ``fn``); the warning names the function.
  Checks of values (class indices in range for ``F.cross_entropy``, ``F.nll_loss`` and
  ``F.one_hot``, probabilities for ``F.binary_cross_entropy``) are nodes of the graph
  that raise when a call's values fail them;
- results that are neither tensors, (nested) tuples, lists and dicts of them, nor
  constants.

In-place writes into the graph's inputs (an argument, a parameter, an optimizer's state,
a ``.grad``, directly or through a view) are written back: while tracing, each input's
storage has a ``Versions`` (``ops/symbolic.py``) whose root the writes move on (they are
functionalized, ``ops.apply``); the written inputs' final values are extra outputs of the
graph, and after each call they are copied into the tensors' own arrays (views and an
optimizer's references see them; version counters move as the trace's writes moved
them; nothing is recorded by autograd). A call whose written tensor shares memory with
another input (one tensor passed twice) runs eagerly: the graph read them as two values.

So the imperative training step compiles::

    @chainrule.compile
    def step(x, y):
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
        return loss

``loss.backward()`` on a symbolic loss makes the gradients' nodes with the table's rules
(as ``autograd.grad`` does, ``autograd.api``) and accumulates them into ``.grad`` as eager
does: a ``.grad`` that was None becomes a new tensor, an existing one (a graph input, read
through its tensor at each call) is added into in place. ``.grad`` set to None
(``zero_grad()``) or to a new tensor during the trace is done again by each call. The
returned loss is not differentiable again (eager's graph of it was freed by backward).
The optimizer's numbers (lr, betas, momentum) are constants of the graph: a change (a
scheduler's) traces again, as does a state entry replaced or a ``.grad`` that is None
where the trace had one (or the reverse). New state is not made by a graph: the first
call of a momentum or Adam step, which makes the buffers, runs eagerly (one warning) and
the second traces, so such a step is traced twice (``traces == 2``, ``fallbacks == 1``);
a plain SGD step is traced twice too when its first call starts without ``.grad``. Adam's
step count is a tensor: while traced, the bias corrections are computed from it in the
graph (float64 NumPy power, where eager uses Python's ``**`` on ``.item()``: they may
differ in the last bit of a float64, which float32 parameters do not show in practice).
A compiled step's values equal eager's to float32 rounding, not bitwise (the gradients'
sums run in another order, below).

When grad mode is on and a tensor the graph reads requires grad, the compiled call is
one node of the autograd graph (an ``autograd.Function``): ``loss.backward()`` fills the
parameters' ``.grad`` as eager does. Its backward is a second compiled graph, the
vector-Jacobian product of the first: ``autograd.grad`` with create_graph, run during the
trace on the symbolic tensors (the table's rules, written out as nodes; ``detach()`` and
``no_grad()`` inside ``fn`` hold, as autograd recorded them), split at the cotangent
variables: what it reads of the forward's values (tanh's output, a transposed
weight) the forward graph returns as well and the node keeps, as eager autograd saves
tensors for backward, so backward recomputes nothing. It is not itself differentiable
(double backward through a compiled call raises).

Differences from ``torch.compile``: one backend (chainrule's graphs; ``backend``, ``mode``,
``options`` and ``dynamic`` are accepted and ignored, shapes are always specialized);
tracing runs ``fn``'s Python once with symbolic tensors, so Python side effects of ``fn``
happen again when a signature is traced, and other threads must not use the tensors it
reads meanwhile; a graph break is not a partial graph but the whole signature run
eagerly; non-tensor Python state read by ``fn`` (a module's ``p`` attribute, a global
float) is baked into the graph unguarded, an optimizer's excepted
(``chainrule.compiler.reset()`` forgets the graphs); ``compile(module)`` returns an
``OptimizedModule`` that forwards to the module but is not an ``nn.Module`` itself.
A tensor ``fn`` computes from no input is computed once, when traced, and each call
returns a copy of it; one that requires grad (``torch.ones(2, requires_grad=True)``) is
a new leaf at each call, as eager's, and one computed from such a leaf has history to a
new leaf that no caller can reach (as eager's leaf, made inside the call): two outputs
computed from one such leaf do not share it, as they do in eager.
Values equal eager's up to float rounding: a broadcast gradient (a bias's) is summed by
the table's ``sum`` in the graph and by NumPy's ``add.reduce`` in eager's first-order
backward.

>>> import chainrule as torch
>>> @torch.compile
... def f(x, y):
...     return (x * y).sin().sum()
>>> f(torch.ones(3), torch.arange(3.0))
tensor(1.7508)
>>> f.traces
1
"""

from __future__ import annotations

import functools
import linecache
import os
import sys
import threading
import types
import warnings
import weakref
from collections.abc import Callable
from typing import Any

from . import random as _random
from ._state import dual as _dual
from .autograd import Function as _Function
from .autograd import enable_grad as _enable_grad
from .autograd import grad as _autograd_grad
from .autograd import is_grad_enabled
from .autograd import no_grad as _no_grad
from .autograd.engine import leaves_behind as _leaves_behind
from .backend import copy as _backend_copy
from .backend import namespace
from .func import _pytree as pt
from .ops import symbolic as _symbolic
from .ops.apply import _DATA
from .ops.symbolic import DataDependentShape, SymArray, Versions, param_syms, variable, walk
from .sym import function as _sym_function
from .sym.printing import type_text as printing_type
from .sym.symbol import wrap
from .tensor import Tensor
from .tensor_base import TENSOR_TYPES, own

__all__ = ["compile", "CompiledFunction", "OptimizedModule", "TraceError", "reset"]

_PACKAGE = os.path.dirname(os.path.abspath(__file__)) + os.sep
_MISSING = object()
_SEARCH_DEPTH = 3  # how deep into functions, closures and containers tensors are looked for
_SEARCH_WIDTH = 256  # containers longer than this are not searched
_CACHE_LIMIT = 64  # signatures per compiled function; beyond it, new ones run eagerly


class _Tracing(threading.local):
    depth = 0  # compiled functions tracing now in this thread


_tracing = _Tracing()


class TraceError(RuntimeError):
    """What ``compile(fn, fullgraph=True)`` raises where the graph cannot hold ``fn``
    (the text names the line); without ``fullgraph`` the same text is a warning and the
    call runs eagerly.

    >>> import chainrule as torch
    >>> f = torch.compile(lambda x: x if x.sum() > 0 else -x, fullgraph=True)
    >>> try:
    ...     f(torch.ones(2))
    ... except torch.compiler.TraceError as e:
    ...     print("reads a tensor's value" in str(e))
    True
    """


# ------------------------------------------------------------------ the public entry
def compile(
    model: Callable | None = None,
    *,
    fullgraph: bool = False,
    dynamic: bool | None = None,
    backend: str | Callable = "inductor",
    mode: str | None = None,
    options: dict | None = None,
    disable: bool = False,
) -> Any:
    """A compiled ``model`` (a function or an ``nn.Module``): traced into a graph on its
    first call with each new signature (argument shapes, dtypes, constants), then run as
    the graph. Also a decorator, bare (``@compile``) or with options
    (``@compile(fullgraph=True)``).

    ``fullgraph=True``: raise ``TraceError`` where ``fn`` cannot be one graph
    (data-dependent control flow, in-place updates, random draws) instead of running that
    signature eagerly with a warning. ``disable=True`` returns ``model`` unchanged.
    ``dynamic``, ``backend``, ``mode`` and ``options`` are PyTorch's, accepted and
    ignored: chainrule has one backend, and always specializes to shapes.

    >>> import chainrule as torch
    >>> net = torch.nn.Linear(3, 2)
    >>> fast = torch.compile(net)
    >>> x = torch.ones(4, 3)
    >>> torch.allclose(fast(x), net(x))
    True
    """
    if model is None:  # @compile(fullgraph=True)

        def decorate(m: Callable) -> Any:
            return compile(
                m,
                fullgraph=fullgraph,
                dynamic=dynamic,
                backend=backend,
                mode=mode,
                options=options,
                disable=disable,
            )

        return decorate
    if disable:
        return model
    if not callable(model):
        raise RuntimeError(f"compile: model must be callable, got {type(model).__name__}")
    if _is_module(model):
        return OptimizedModule(model, fullgraph=fullgraph)
    return CompiledFunction(model, fullgraph=fullgraph)


_ALL: weakref.WeakSet = weakref.WeakSet()  # for reset(): the compiled functions alive


def reset() -> None:
    """Forget every compiled function's graphs (``torch.compiler.reset``): each traces
    again on its next call.

    >>> import chainrule as torch
    >>> torch.compiler.reset()
    """
    for f in list(_ALL):
        f._cache.clear()
        f._extra.clear()
        f._full = False


def _is_module(obj) -> bool:
    # (duck-typed: chainrule.nn sits beside this module and imports it, not the reverse)
    return (
        hasattr(obj, "_parameters") and hasattr(obj, "named_parameters") and hasattr(obj, "forward")
    )


def _module_of(fn):
    """The module ``fn`` calls: itself, the first argument of a partial (Module.compile),
    or the owner of a bound method; else None."""
    if _is_module(fn):
        return fn
    if isinstance(fn, functools.partial) and fn.args and _is_module(fn.args[0]):
        return fn.args[0]
    owner = getattr(fn, "__self__", None)
    return owner if owner is not None and _is_module(owner) else None


# ------------------------------------------------------------------ finding tensors
def _is_tensor(x) -> bool:
    return isinstance(x, Tensor)


class _Found:
    """The tensors a function reads from outside its arguments, with a name each, and the
    global names that led to them (guarded: rebinding one traces again)."""

    def __init__(self) -> None:
        self.tensors: list = []  # (name, tensor)
        self.ids: set = set()
        self.globals: list = []  # (globals dict, name, object)
        self.seen: set = set()
        self.modules: list = []  # every module met (their .training flags are guarded)
        self.module_ids: set = set()
        self.cells: list = []  # (closure cell, its contents)
        self.optimizers: list = []  # objects with param_groups and state
        self.generators: list = []  # random generators fn reaches

    def add(self, name: str, t) -> None:
        if id(t) not in self.ids and type(t._data) is not SymArray and t._base is None:
            self.ids.add(id(t))
            self.tensors.append((name, t))

    def visit(self, obj, name: str, depth: int) -> bool:
        """Look in ``obj`` for tensors; whether any was found."""
        if _is_tensor(obj):
            self.add(name, obj)
            return True
        if depth > _SEARCH_DEPTH or id(obj) in self.seen:
            return False
        if isinstance(obj, (types.ModuleType, type, str, bytes, int, float, complex)):
            return False
        if isinstance(obj, _random.Generator):  # its state is watched while tracing
            if all(g is not obj for g in self.generators):
                self.generators.append(obj)
            return False
        self.seen.add(id(obj))
        if _is_module(obj):
            for m in obj.modules():  # train() and eval() change what forward computes
                if id(m) not in self.module_ids:
                    self.module_ids.add(id(m))
                    self.modules.append(m)
            for n, p in obj.named_parameters():
                self.add(f"{name}.{n}", p)
            for n, b in obj.named_buffers():
                if b is not None:
                    self.add(f"{name}.{n}", b)
            for m in obj.modules():  # tensors kept as plain attributes (not buffers)
                attrs = vars(m)
                for k, v in list(attrs.items()):
                    if _is_tensor(v) and not k.startswith("_"):
                        self.add(f"{name}_{k}", v)
                        self.globals.append((attrs, k, v))
            found = True
            fwd = getattr(type(obj), "forward", None)
            if isinstance(fwd, types.FunctionType):  # what forward itself names
                self.visit_function(fwd, name, depth + 1)
            return found
        if isinstance(obj, types.MethodType):
            a = self.visit(obj.__self__, name, depth)
            return self.visit(obj.__func__, name, depth) or a
        if isinstance(obj, functools.partial):
            found = self.visit(obj.func, name, depth + 1)
            for i, a in enumerate(obj.args):
                found = self.visit(a, f"{name}_arg{i}", depth + 1) or found
            for k, a in obj.keywords.items():
                found = self.visit(a, f"{name}_{k}", depth + 1) or found
            return found
        if isinstance(obj, types.FunctionType):
            return self.visit_function(obj, name, depth)
        if isinstance(obj, (list, tuple, dict)) and len(obj) > _SEARCH_WIDTH:
            return False  # (a data set, say: its tensors stay constants of the graph)
        if isinstance(obj, (list, tuple)):
            found = False
            for i, a in enumerate(obj):
                found = self.visit(a, f"{name}_{i}", depth + 1) or found
            return found
        if isinstance(obj, dict):
            found = False
            for k, a in obj.items():
                found = self.visit(a, f"{name}_{k}", depth + 1) or found
            return found
        groups = getattr(obj, "param_groups", None)  # an optimizer: its parameters
        if isinstance(groups, list):
            found = False
            if isinstance(getattr(obj, "state", None), dict):
                self.optimizers.append(obj)
                # its state's tensors too: a trace must not step them in place for real
                for i, st in enumerate(obj.state.values()):
                    for k, v in st.items() if isinstance(st, dict) else ():
                        if _is_tensor(v):
                            self.add(f"{name}_state{i}_{k}", v)
                            found = True
            for i, g in enumerate(groups):
                if isinstance(g, dict):
                    found = self.visit(g.get("params", ()), f"{name}_group{i}", depth + 1) or found
            return found
        return self.visit_attributes(obj, name, depth)

    def visit_attributes(self, obj, name: str, depth: int) -> bool:
        """Tensors among an object's attributes (guarded: assigning another object to
        the attribute traces again)."""
        attrs = getattr(obj, "__dict__", None)
        if not isinstance(attrs, dict):
            return False
        found = False
        for k, v in list(attrs.items()):
            if not k.startswith("__") and self.visit(v, f"{name}_{k}", depth + 1):
                self.globals.append((attrs, k, v))
                found = True
        return found

    def visit_function(self, fn, name: str, depth: int) -> bool:
        found = False
        if fn.__closure__:
            for var, cell in zip(fn.__code__.co_freevars, fn.__closure__, strict=True):
                try:
                    value = cell.cell_contents
                except ValueError:  # an empty cell
                    continue
                if self.visit(value, var, depth + 1):
                    self.cells.append((cell, value))
                    found = True
        g = fn.__globals__
        for n in _global_names(fn.__code__):
            value = g.get(n, _MISSING)
            if value is _MISSING:
                continue
            if self.visit(value, n, depth + 1):
                self.globals.append((g, n, value))
                found = True
        return found


def _global_names(code) -> list:
    names = list(code.co_names)
    for c in code.co_consts:  # lambdas, comprehensions, inner functions
        if isinstance(c, types.CodeType):
            names.extend(_global_names(c))
    return names


# ------------------------------------------------------------------ signatures
def _spec_key(spec) -> tuple:
    if spec.kind == "leaf":
        return ()
    return (spec.kind, spec.keys, spec.type, tuple(_spec_key(c) for c in spec.children))


class _Unhashable(Exception):
    pass


def _signature(leaves, spec) -> tuple:
    parts = []
    for x in leaves:
        if _is_tensor(x):
            d = x._data
            parts.append((Tensor, d.shape, d.dtype, x._rg, type(d)))
        else:
            try:
                hash(x)
            except TypeError:
                raise _Unhashable(type(x).__name__) from None
            parts.append((type(x), x))
    return (_spec_key(spec), tuple(parts), is_grad_enabled())


# ------------------------------------------------------------------ where it broke
def _user_line(tb) -> str:
    """``file:line (code)`` of the innermost frame of ``tb`` outside chainrule; where all
    are chainrule's (a library module's forward), the innermost one in nn/ or optim/."""
    user = lib = None
    while tb is not None:
        name = tb.tb_frame.f_code.co_filename
        f = os.path.abspath(name)
        if not f.startswith(_PACKAGE):
            user = (name if name.startswith("<") else f, tb.tb_lineno)
        elif f[len(_PACKAGE) :].replace(os.sep, "/").startswith(("nn/", "optim/")):
            lib = (f, tb.tb_lineno)
        tb = tb.tb_next
    where = user or lib
    if where is None:
        return "an unknown line"
    code = linecache.getline(where[0], where[1]).strip()
    return f"{where[0]}:{where[1]}" + (f" ({code})" if code else "")


def _raised_in(tb, *suffixes: str) -> bool:
    """Whether the innermost chainrule frames of ``tb`` include one of these files."""
    while tb is not None:
        f = os.path.abspath(tb.tb_frame.f_code.co_filename)
        if f.startswith(_PACKAGE) and f[len(_PACKAGE) :].replace(os.sep, "/") in suffixes:
            return True
        tb = tb.tb_next
    return False


def _why(e: BaseException) -> str | None:
    """What in ``fn`` a graph cannot hold, from the error tracing raised (None: another
    error, maybe the user's own)."""
    tb = e.__traceback__
    if _raised_in(tb, "autograd/api.py") and _raised_in(tb, "autograd/engine.py"):
        if "backward" in _frames(tb):
            return "calls .backward() (an imperative step: .grad and in-place updates)"
    if isinstance(e, _Refused):
        return str(e)
    if isinstance(e, DataDependentShape):
        return (
            f"calls {e.what}, whose result's shape depends on the data: a graph's shapes are "
            "fixed when it is traced"
        )
    if isinstance(e, TypeError) and (
        "in-place writes to a symbolic value" in str(e)
        or ("no data until it is bound" in str(e) and "write" in _frames(tb))
    ):
        return "writes into a tensor in place (an explicit graph is written out of place)"
    if isinstance(e, AttributeError) and _raised_in(tb, "ops/symbolic.py"):
        asker = _asker(tb)
        return (
            "computes on a tensor's array outside chainrule's operations (code that needs the "
            "data, or a chainrule function that does not build graphs yet"
            + (f": {asker}" if asker else "")
            + ")"
        )
    if isinstance(e, TypeError) and _raised_in(tb, "ops/symbolic.py", "sym/symbol.py"):
        return (
            "reads a tensor's value (data-dependent Python: if/while on a tensor, .item(), "
            "float(), bool(), .tolist(), printing)"
        )
    return None


def _asker(tb) -> str | None:
    """Which function asked the array namespace for an operation on a symbolic value
    (the innermost frame before ops/symbolic.py's refusal), as ``name (file:line)``
    with chainrule's files relative to the package."""
    asker = None
    while tb is not None:
        f = os.path.abspath(tb.tb_frame.f_code.co_filename)
        if f[len(_PACKAGE) :].replace(os.sep, "/") == "ops/symbolic.py":
            break
        name = f[len(_PACKAGE) :].replace(os.sep, "/") if f.startswith(_PACKAGE) else f
        asker = f"{tb.tb_frame.f_code.co_name} in {name}:{tb.tb_lineno}"
        tb = tb.tb_next
    return asker


def _check_input_write(t) -> None:
    """While tracing: an in-place write is functionalized (``ops.apply``); the graph
    inputs' storages (arguments, tensors read from outside) carry a ``Versions`` each, so
    that the compiled call writes their final values back (``_written``). A symbolic
    tensor without one is storage the trace cannot follow: refused (fn runs eagerly)."""
    if type(t._vc) is not Versions:
        raise TypeError(
            "chainrule.compile: in-place writes to a symbolic value whose storage the trace "
            "does not follow are not written back by a compiled graph"
        )


class _Refused(Exception):
    """What the trace did that a compiled call cannot do again (the text says what):
    the signature runs eagerly."""


def _written(in_syms, in_vars, n_args, saved, externals, versions, out, in_rg):
    """What the trace left in its inputs besides reading them, to be done again by each
    compiled call (``_write_back``): ``(writes, grads, nodes)``. ``writes``: the inputs
    whose storage was written in place (its ``Versions`` root is no longer its variable),
    as ``(("arg", i) | ("ext", tensor) | ("grad", owner), number of writes)``; ``grads``:
    ``(tensor, "none" | "new" | "copy")``, a tensor read from outside whose ``.grad`` the trace set
    to None or to a new tensor (backward where .grad was None); ``nodes``: the written
    values, then the new gradients, which the graph returns after fn's outputs. Raises
    ``_Refused`` for what a call cannot do again: an input's data rebound (``x.data =
    y``), its requires_grad or history changed, a gradient accumulated into an argument's
    .grad (the argument's .grad is no graph input), a .grad set to a tensor that is
    not a fresh value of its own (an input, a view, one returned or shared)."""
    writes, grads, nodes, new_grads = [], [], [], []
    outs = [o for o in pt.flatten(out)[0] if _is_tensor(o)]
    storages = {id(v) for v in versions} | {id(o._vc) for o in outs}
    for i in range(n_args):
        s, vc = in_syms[i], versions[i]
        if s._vc is not vc:
            raise _Refused(f"rebinds the data of argument {i} (x.data = y)")
        if s._rg is not in_rg[i] or s._node is not None:
            raise _Refused(f"changes requires_grad or the history of argument {i}")
        if vc.root is not in_vars[i]:
            writes.append((("arg", i), vc[0]))
            nodes.append(vc.root)
        if getattr(s, "_grad", None) is not None:
            raise _Refused(
                f"accumulates a gradient into the .grad of argument {i}: a compiled call "
                "writes the .grad of tensors it reads from outside only"
            )
    for j, ((t, _d, gr, _vc, rg, node), ext) in enumerate(zip(saved, externals, strict=True)):
        vc, var, owner = versions[n_args + j], in_vars[n_args + j], ext[4]
        if t._vc is not vc or _DATA.__get__(t, Tensor) is not vc.root:
            raise _Refused(f"rebinds the data of {var.name} (x.data = y)")
        if t._rg != rg or t._node is not node:
            raise _Refused(f"changes requires_grad or the history of {var.name}")
        if vc.root is not var:
            writes.append((("grad", owner) if owner is not None else ("ext", t), vc[0]))
            nodes.append(vc.root)
        if owner is not None:
            continue
        before = None if gr is _MISSING else gr
        cur = getattr(t, "_grad", None)
        if cur is before:
            continue
        if cur is None:
            grads.append((t, "none"))
            continue
        if not (
            type(_DATA.__get__(cur, Tensor)) is SymArray
            and getattr(cur, "_chain", None) is None
            and not cur._rg
            and cur._node is None
            and id(cur._vc) not in storages
        ):
            raise _Refused(
                f"sets the .grad of {var.name} to a tensor that a compiled call cannot make "
                "anew (an input, a view, a value returned or shared, one with history)"
            )
        storages.add(id(cur._vc))
        n = cur._data
        grads.append((t, "new" if n.prim is not None else "copy"))
        new_grads.append(n)
    return writes, grads, nodes + new_grads


def _frames(tb) -> set:
    names = set()
    while tb is not None:
        names.add(tb.tb_frame.f_code.co_name)
        tb = tb.tb_next
    return names


# ------------------------------------------------------------------ one traced graph
class _Graph:
    """One signature's graph: the forward function, the tensors it reads from outside
    and the guards on them, and (traced with gradients wanted) the split forward and
    backward of the differentiable call."""

    def __init__(self, n_args, externals, out_spec, out_items, fn_graph, in_syms, out_syms):
        self.n_args = n_args  # graph inputs from the arguments' tensors (first)
        # [(tensor, shape, dtype, requires_grad, owner)], read per call; a tensor's .grad
        # read from outside has owner: the tensor whose .grad it is (read at each call)
        self.externals = externals
        self.out_spec = out_spec
        # per output leaf: ("graph" | "no_grad view", index) | ("const", value) |
        # ("clone" | "leaf" | "made", tensor): see _no_grad_view, _constant
        self.out_items = out_items
        self.forward = fn_graph  # sym.function(inputs, outputs)
        self.in_syms = in_syms
        self.out_syms = out_syms
        self.globals: list = []
        self.modules: list = []  # (module, its .training when traced)
        self.cells: list = []  # (closure cell, its contents when traced)
        # when traced with grad mode on and an input requiring grad: (which inputs need
        # grad, the forward that also returns the residuals, the backward, the indices of
        # the outputs that have gradients)
        self.diff = None
        # state the call writes (``_written``): the graph's outputs after the function's
        # own are the written inputs' final values, then the new .grad tensors
        self.writes: list = []  # (("arg", i) | ("ext", tensor) | ("grad", owner), n writes)
        self.grads: list = []  # (tensor, "none" | "new" | "copy"): .grad set to None or new
        self.grad_guards: list = []  # (tensor, None | (shape, dtype) of its .grad)
        self.targets: list = []  # (tensor or None, owner or None, shape, dtype) written
        self.optimizers: list = []  # (optimizer, _opt_snapshot of it when traced)

    def guards_hold(self) -> bool:
        for m, training in self.modules:
            if m.training is not training:
                return False
        for t, shape, dtype, rg, owner in self.externals:
            if owner is not None:
                t = getattr(owner, "_grad", None)
                if t is None:
                    return False
            d = t._data
            if d.shape != shape or d.dtype != dtype or t._rg != rg or type(d) is SymArray:
                return False
        for t, owner, shape, dtype in self.targets:
            if owner is not None:
                t = getattr(owner, "_grad", None)
                if t is None:
                    return False
            d = t._data
            if d.shape != shape or d.dtype != dtype or type(d) is SymArray:
                return False
        for t, was in self.grad_guards:  # (None, or a tensor: backward adds into it)
            gr = getattr(t, "_grad", None)
            if (gr is None) is not (was is None):
                return False
            if gr is not None and (gr._data.shape, gr._data.dtype) != was:
                return False
        for cell, obj in self.cells:
            if cell.cell_contents is not obj:
                return False
        for o, snap in self.optimizers:
            if _opt_snapshot(o) != snap:
                return False
        return all(g.get(n, _MISSING) is obj for g, n, obj in self.globals)


class _Same:
    """Equal to a snapshot of the same object only (held, so its id is not reused), and,
    ``versioned``, at the same version (a tensor the graph holds as a constant)."""

    __slots__ = ("obj", "version")

    def __init__(self, obj, versioned: bool) -> None:
        self.obj = obj
        self.version = obj._vc[0] if versioned and _is_tensor(obj) else None

    def __eq__(self, other) -> bool:
        return type(other) is _Same and other.obj is self.obj and other.version == self.version

    __hash__ = None  # type: ignore[assignment]


_NUMBERS = (bool, int, float, complex, str, type(None))


def _value(v, versioned: bool):
    if type(v) in _NUMBERS or (type(v) is tuple and all(type(x) in _NUMBERS for x in v)):
        return v
    return _Same(v, versioned)


def _opt_snapshot(o) -> tuple:
    """What an optimizer's step reads besides the tensors the graph reads per call: its
    hyper-parameters (lr, betas, momentum: constants of the graph, which a scheduler
    changes between calls), its parameter lists, its state's entries (a tensor by
    identity: the graph reads that tensor; a number by value). A compiled step whose
    optimizer changed any traces again."""
    groups = tuple(
        (
            tuple(_Same(p, False) for p in g.get("params", ())),
            tuple((k, _value(v, True)) for k, v in g.items() if k != "params"),
        )
        for g in o.param_groups
    )
    state = tuple(
        (
            _Same(p, False),
            tuple((k, _value(v, False)) for k, v in st.items())
            if isinstance(st, dict)
            else _value(st, True),
        )
        for p, st in o.state.items()
    )
    return groups, state


def _partition(in_nodes, out_nodes, cts, grad_nodes):
    """Split the gradient graph (``grad_nodes``, made from the forward's nodes and the
    cotangent variables ``cts``) into a forward that also returns the values backward
    reads (the residuals, as eager autograd saves tensors for backward) and a backward
    from them: (forward: inputs -> outputs + residuals, backward: inputs + residuals +
    cotangents -> gradients). Backward recomputes nothing of the forward."""
    order = walk(grad_nodes)
    late = {id(c) for c in cts}  # nodes that depend on a cotangent: the backward proper
    for n in order:
        if n.prim is not None and any(id(d) in late for d in _deps(n)):
            late.add(id(n))
    residuals, seen = [], set()
    for n in order:
        if id(n) in late:
            for d in _deps(n):
                if id(d) not in late and d.prim is not None and id(d) not in seen:
                    seen.add(id(d))
                    residuals.append(d)
    for gn in grad_nodes:  # a gradient the cotangents do not reach (rare): kept as well
        if id(gn) not in late and gn.prim is not None and id(gn) not in seen:
            seen.add(id(gn))
            residuals.append(gn)
    saved = {id(r): variable(f"saved{i}", r.shape, r.dtype) for i, r in enumerate(residuals)}
    made = dict(saved)
    for n in order:  # the backward's nodes again, reading the residuals' variables
        if id(n) in late and n.prim is not None:
            made[id(n)] = SymArray(
                n.prim,
                [made.get(id(x), x) if type(x) is SymArray else x for x in n.inputs],
                _substitute(n.params, made),
                n.shape,
                n.dtype,
            )
    forward = _sym_function(
        [wrap(v) for v in in_nodes], [wrap(o) for o in out_nodes] + [wrap(r) for r in residuals]
    )
    backward = _sym_function(
        [wrap(v) for v in in_nodes]
        + [wrap(saved[id(r)]) for r in residuals]
        + [wrap(c) for c in cts],
        [wrap(made.get(id(g), g)) for g in grad_nodes],
    )
    return forward, backward


def _gradient_graph(out, leaves):
    """When grad mode is on and some of ``leaves`` (the tensors autograd knows as the
    trace's inputs) require grad: (which leaves need grad, a cotangent variable per
    output with a gradient, the gradients' nodes, those outputs' indices among the
    symbolic outputs, which of those outputs each leaf is reached from); else None. The
    gradients are autograd's of the traced graph, with the table's rules
    (``autograd.grad``, create_graph), so detach and no_grad in fn hold."""
    if not is_grad_enabled():
        return None
    needs = [t._rg and t._data.dtype.kind in "fc" for t in leaves]
    if not any(needs):
        return None
    syms = [o for o in pt.flatten(out)[0] if _is_tensor(o) and type(o._data) is SymArray]
    # (not a view taken in no_grad mode: it requires grad with no history, _no_grad_view)
    outs = [
        i
        for i, o in enumerate(syms)
        if o._rg
        and o._data.dtype.kind in "fc"
        and not (o._node is None and getattr(o, "_ngv", False))
    ]
    if not outs:
        return None
    cts = [variable(f"ct{i}", syms[i]._data.shape, syms[i]._data.dtype) for i in outs]
    wanted = [t for t, need in zip(leaves, needs, strict=True) if need]
    gs = _autograd_grad(
        [syms[i] for i in outs],
        wanted,
        grad_outputs=[wrap(c) for c in cts],
        create_graph=True,
        allow_unused=True,
    )
    # a leaf the outputs do not reach (structurally) gets no gradient: None from the
    # call's backward, as eager's autograd.grad(allow_unused=True) gives and .grad keeps;
    # nor does one that only outputs without an incoming gradient reach (``reach``: per
    # leaf, the positions in ``outs`` of the outputs whose graph leads to it)
    used = iter(g is not None for g in gs)
    needs = [need and next(used) for need in needs]
    # (an output that is a leaf itself, x.contiguous() of a contiguous x, reaches it)
    behind = [{id(t) for t in _leaves_behind([syms[i]])} | {id(syms[i])} for i in outs]
    reach = [
        tuple(k for k, b in enumerate(behind) if id(t) in b) if need else ()
        for t, need in zip(leaves, needs, strict=True)
    ]
    return needs, cts, [g._data for g in gs if g is not None], outs, reach


def _boolean_mask_node(nodes) -> str | None:
    """The first node of the graph behind ``nodes`` that indexes with a symbolic boolean
    mask (x[x > 0]: as many elements as the mask has True), printed; else None."""
    for n in walk(nodes):
        if n.prim is not None and n.prim.name == "index":
            for m in param_syms(n.params):
                if m.dtype.kind == "b":
                    return f"{n.prim.name} of {printing_type(n)}"
    return None


def _deps(n) -> list:
    return [x for x in n.inputs if type(x) is SymArray] + param_syms(n.params)


def _substitute(params, made):
    if not params:
        return params
    out = {}
    for k, v in params.items():
        if type(v) is SymArray:
            v = made.get(id(v), v)
        elif type(v) in (tuple, list) and any(type(x) is SymArray for x in v):
            v = type(v)(made.get(id(x), x) if type(x) is SymArray else x for x in v)
        out[k] = v
    return out


_EAGER = object()  # _run: this call runs eagerly


def _storage(a) -> int:
    """The identity of the memory an array views (NumPy: its base's, to the owner)."""
    while getattr(a, "base", None) is not None:
        a = a.base
    return id(a)


def _write_targets(g: _Graph, args, values):
    """The tensors the graph's call writes back into, with their arrays: (tensor, array,
    how many writes); None where this call must run eagerly: a written tensor shares
    memory with another input (the same tensor passed twice, an argument that is a view
    of a parameter), which eager would see written and the graph read as two values, or
    its array cannot be written (a broadcast view, as eager's in-place ops refuse)."""
    targets = []
    for (kind, ref), n in g.writes:
        t = args[ref] if kind == "arg" else ref if kind == "ext" else ref._grad
        a = own(t)
        if not getattr(a, "flags", _Writable).writeable:
            return None
        targets.append((t, a, n))
    count: dict = {}
    read = {id(v) for v in values}
    for a in [v._data for v in values] + [a for t, a, _ in targets if id(t) not in read]:
        k = _storage(a)
        count[k] = count.get(k, 0) + 1
    if any(count[_storage(a)] > 1 for _, a, _ in targets):
        return None
    return targets


class _Writable:
    writeable = True  # (arrays without NumPy's flags: the array API's are writable)


def _write_back(g: _Graph, targets, results, values) -> None:
    """After the graph ran: its extra outputs written into the inputs' arrays (in place,
    so views and an optimizer's references see them; the version counters move as the
    trace's writes moved them), then the .grad of each tensor as the trace left it: None,
    or a new tensor (as backward makes one where .grad was None). No autograd records it."""
    k = len(g.out_syms) - len(g.writes) - sum(a != "none" for _, a in g.grads)
    for t, a, n in targets:
        a[...] = results[k]._data
        t._vc[0] += n
        k += 1
    mine = {id(v._data) for v in values} | {id(r._data) for r in results[:k]}
    for t, action in g.grads:
        if action == "none":
            t._grad = None
            continue
        r = results[k]
        k += 1
        a = r._data
        if (
            action == "copy"  # (a constant's array: the graph hands it out at each call)
            or id(a) in mine  # (an input's array, or one already handed out)
            or getattr(a, "base", None) is not None  # a view, as eager's backward copies
            or not getattr(a, "flags", _Writable).writeable
        ):
            r = Tensor._new(_backend_copy(a))
        mine.add(id(r._data))
        t._grad = r


def _no_grad_view(t):
    """A graph's output that eager returns as a view taken in no_grad mode of a tensor
    that requires grad: requires_grad, no history, no .grad of its own (as eager's, whose
    base is fn's tensor; here a tensor of its own, requiring grad, that nobody else holds)."""
    t._rg = True
    with _no_grad():
        return t[...]


def _constant(kind: str, v):
    """An output computed from no input, at each call as eager makes it anew: a copy of
    its value (``clone``); one that requires grad (``torch.ones(2, requires_grad=True)``)
    a new leaf each call (``leaf``); one computed from such a leaf inside fn (``made``)
    a tensor with history to a new leaf no caller can reach (its gradients go nowhere,
    as eager's, whose leaf died with the call)."""
    t = v.clone()
    if kind == "clone":
        return t
    t.requires_grad_()
    if kind == "leaf":
        return t
    with _enable_grad():
        return t.clone()


class _Eager:
    """A signature that runs eagerly (the reason was warned once)."""

    def __init__(self, reason: str) -> None:
        self.reason = reason


class _GraphCall(_Function):
    """A compiled call as one node of the autograd graph: backward runs the backward
    graph on the residuals the forward graph kept."""

    @staticmethod
    def forward(ctx, graph, results, *values):
        outs = graph.diff[3]
        ctx.graph, ctx.residuals = graph, results[len(graph.out_syms) :]
        ctx.save_for_backward(*values)
        ctx.set_materialize_grads(False)  # (an output without a gradient: see backward)
        return tuple(results[i] for i in outs)

    @staticmethod
    def backward(ctx, *cts):
        if is_grad_enabled():  # create_graph: the graph's gradients have no history
            raise RuntimeError(
                "chainrule.compile: a compiled call's backward is not differentiable "
                "(create_graph=True, double backward): call the function uncompiled for "
                "higher derivatives, or compile chainrule.func transforms of it"
            )
        values = ctx.saved_tensors
        needs, _, backward, outs, reach = ctx.graph.diff
        if backward is None:  # no input gets a gradient
            return (None, None) + (None,) * len(needs)
        arrived = [c is not None for c in cts]
        if not all(arrived):  # zeros for the graph; an input only those reach gets None
            c0 = next(c for c in cts if c is not None)
            xp = namespace(c0._data)
            syms = ctx.graph.out_syms
            cts = [
                c if c is not None else c0._new(xp.zeros(syms[i]._data.shape, syms[i]._data.dtype))
                for c, i in zip(cts, outs, strict=True)
            ]
        grads = backward(*values, *ctx.residuals, *cts)
        ctx.residuals = ()
        it = iter(grads)
        out = []
        for n, r in zip(needs, reach, strict=True):
            g = next(it) if n else None
            out.append(g if g is not None and any(arrived[k] for k in r) else None)
        return (None, None) + tuple(out)


_GraphCall.__name__ = "CompiledFunction"  # grad_fn=<CompiledFunctionBackward>, as PyTorch's


# ------------------------------------------------------------------ the compiled function
class CompiledFunction:
    """A function compiled by ``chainrule.compile``: call it as the function.

    ``traces``: how many graphs were traced; ``fallbacks``: how many signatures run
    eagerly; ``graphs()``: the traced graphs' ``sym.function`` objects (their
    ``listing()`` prints the nodes).

    >>> import chainrule as torch
    >>> f = torch.compile(lambda x: x * 2 + 1)
    >>> f(torch.ones(2)), f(torch.ones(3)), f.traces
    (tensor([3., 3.]), tensor([3., 3., 3.]), 2)
    """

    def __init__(self, fn: Callable, *, fullgraph: bool = False) -> None:
        self._fn = fn
        self.fullgraph = fullgraph
        self._cache: dict = {}
        self.traces = 0
        self.fallbacks = 0
        self._extra: list = []  # tensors found through autograd's graph (see _trace)
        self._retracing = 0
        self._full = False  # the cache limit was reached (warned once)
        self._changed: set = set()  # signatures whose trace changed a module's state
        self._module = _module_of(fn)  # its train/eval flag is part of the signature
        functools.update_wrapper(self, fn, updated=())
        _ALL.add(self)

    def __repr__(self) -> str:
        return f"<compiled {_name(self._fn)}>"

    def __get__(self, obj, objtype=None):  # a compiled method binds like a function
        return self if obj is None else types.MethodType(self, obj)

    def graphs(self) -> list:
        """The ``sym.function`` of each traced signature, in tracing order.

        >>> import chainrule as torch
        >>> f = torch.compile(lambda x: (2 * x).exp())
        >>> _ = f(torch.ones(3))
        >>> print(f.graphs()[0].listing())
        %0 = var arg0            float32[3]
        %1 = mul(2, %0)          float32[3]
        %2 = exp(%1)             float32[3]
        """
        return [e.forward for e in self._cache.values() if isinstance(e, _Graph)]

    def __call__(self, *args, **kwargs):
        if _tracing.depth or _dual.level is not None:
            # inside another compiled function's trace: its graph takes this one's nodes;
            # forward-mode AD: tangents go through the eager ops, not through a graph
            return self._fn(*args, **kwargs)
        if not kwargs and all(type(a) in TENSOR_TYPES for a in args):
            # the common call, tensors only: no pytree to flatten
            leaves, spec = args, None
            key = (len(args), is_grad_enabled()) + tuple(
                (a._data.shape, a._data.dtype, a._rg, type(a._data)) for a in args
            )
            if any(k[3] is SymArray for k in key[2:]):
                return self._fn(*args)  # symbolic arguments: fn builds their graph
        else:
            leaves, spec = pt.flatten((args, kwargs))
            if any(_is_tensor(x) and type(x._data) is SymArray for x in leaves):
                return self._fn(*args, **kwargs)  # symbolic arguments: fn builds their graph
        try:
            if spec is not None:
                key = _signature(leaves, spec)
            if self._module is not None:  # (train and eval: each its own graph)
                key += (self._module.training,)
        except _Unhashable as e:
            self._fall_back(
                None, f"takes an argument of type {e} (neither a tensor nor hashable)", None
            )
            return self._fn(*args, **kwargs)
        entry = self._cache.get(key)
        if entry is None and len(self._cache) >= _CACHE_LIMIT:
            if not self._full:
                self._full = True
                warnings.warn(
                    f"chainrule.compile: {_name(self._fn)} was traced for {_CACHE_LIMIT} "
                    "signatures (a constant argument that changes at every call?): new "
                    "ones run eagerly",
                    UserWarning,
                    stacklevel=2,
                )
            return self._fn(*args, **kwargs)
        if entry is None or (type(entry) is _Graph and not entry.guards_hold()):
            entry = self._trace(key, args, kwargs, leaves, spec)
            if type(entry) is _Probe:  # eager raises the user's error; else fn is untraceable
                out = self._fn(*args, **kwargs)
                e = entry.error
                self._fall_back(
                    key, f"could not be traced at {entry.where} ({type(e).__name__}: {e})", e
                )
                return out
        if type(entry) is _Eager:
            return self._fn(*args, **kwargs)
        out = self._run(entry, leaves)
        if out is _EAGER:  # (this call's tensors share memory the graph writes: see _run)
            return self._fn(*args, **kwargs)
        return out

    # -------------------------------------------------------------- running a graph
    def _run(self, g: _Graph, leaves):
        args = [x for x in leaves if _is_tensor(x)]
        values = args + [t if o is None else o._grad for t, _, _, _, o in g.externals]
        targets = _write_targets(g, args, values) if g.writes else ()
        if targets is None:
            return _EAGER
        if g.diff is not None and is_grad_enabled():  # (the signature fixes which need grad)
            results = g.diff[1](*values)  # outputs, then the residuals backward reads
            diff = _GraphCall.apply(g, results, *values)
            if _is_tensor(diff):  # (a lone output comes back bare)
                diff = (diff,)
            results = list(results)
            for i, r in zip(g.diff[3], diff, strict=True):
                results[i] = r
        else:
            results = g.forward(*values) if g.forward is not None else ()
        if targets or g.grads:
            _write_back(g, targets, results, values)
        out = []
        for kind, v in g.out_items:
            if kind == "graph":
                out.append(results[v])
            elif kind == "no_grad view":
                out.append(_no_grad_view(results[v]))
            elif kind == "const":
                out.append(v)
            else:
                out.append(_constant(kind, v))
        return pt.unflatten(g.out_spec, out)

    # -------------------------------------------------------------- tracing
    def _fall_back(self, key, reason: str, cause: BaseException | None):
        name = _name(self._fn)
        text = f"chainrule.compile: {name} {reason}"
        if self.fullgraph:
            raise TraceError(text) from cause
        warnings.warn(
            text + "; running it eagerly for these inputs", UserWarning, stacklevel=_caller()
        )
        self.fallbacks += 1
        if key is not None:
            self._cache[key] = _Eager(text)

    def _trace(self, key, args, kwargs, leaves, spec):
        self.traces += 1
        if spec is None:
            leaves, spec = pt.flatten((args, kwargs))
        found = _Found()
        for x in leaves:
            if _is_tensor(x):
                found.ids.add(id(x))  # arguments are inputs of their own
        found.visit(self._fn, "fn", 0)
        for i, x in enumerate(leaves):  # a module or an object passed as an argument
            if not _is_tensor(x):
                found.visit(x, f"arg{i}", 1)
        for t in self._extra:  # tensors an earlier trace met through autograd's graph
            found.add(f"read{len(found.tensors)}", t)
        # the .grad of each: read at each call through its tensor (backward adds into it,
        # zero_grad(set_to_none=False) zeroes it, an optimizer reads it)
        grad_owner = {}
        for name, t in list(found.tensors):
            gr = getattr(t, "_grad", None)
            if gr is not None and id(gr) not in found.ids and type(gr._data) is not SymArray:
                found.add(f"{name}.grad", gr)
                if id(gr) in found.ids:
                    grad_owner[id(gr)] = t
        # graph inputs: the arguments' tensors, then the tensors read from outside
        in_syms = []
        sym_leaves = []
        for i, x in enumerate(leaves):
            if _is_tensor(x):
                s = wrap(variable(f"arg{i}", x._data.shape, x._data.dtype))
                if x._rg:
                    s.requires_grad_()
                in_syms.append(s)
                sym_leaves.append(s)
            else:
                sym_leaves.append(x)
        n_args = len(in_syms)
        saved = []
        externals = []
        for j, (name, t) in enumerate(found.tensors):
            d = t._data
            v = variable(_identifier(name, j), d.shape, d.dtype)
            saved.append((t, d, getattr(t, "_grad", _MISSING), t._vc, t._rg, t._node))
            owner = grad_owner.get(id(t))
            externals.append((None if owner is not None else t, d.shape, d.dtype, t._rg, owner))
            s = wrap(v)
            s._rg = t._rg
            in_syms.append(s)
        in_vars = [s._data for s in in_syms]  # (an argument written in place names anew)
        arg_rg = [s._rg for s in in_syms[:n_args]]
        arg_versions = [s._vc for s in in_syms[:n_args]]
        backwards: list = []
        # the .grad of each tensor read from outside (its shape, or None), guarded where
        # the trace used .grad: the graph adds into one, or makes one where it was None
        grad_guards = [
            (
                t,
                None
                if getattr(t, "_grad", None) is None
                else (t._grad._data.shape, t._grad._data.dtype),
            )
            for t, *_rest, owner in externals
            if owner is None
        ]
        gens = [_random.default_generator, *_random.cuda_generators.values(), *found.generators]
        gen_states = [(g, g._bits.state, g._fresh, g._normal, g._normal_float) for g in gens]
        sym_args, sym_kwargs = pt.unflatten(spec, sym_leaves)
        state = _State(found)
        _tracing.depth += 1
        check, on_backward = _symbolic.WRITE_CHECK, _symbolic.ON_BACKWARD
        _symbolic.WRITE_CHECK = _check_input_write
        _symbolic.ON_BACKWARD = backwards.append
        written = None
        try:
            for (t, *_), s in zip(saved, in_syms[n_args:], strict=True):
                t._data = s._data  # the tensor reads as its variable while fn runs,
                t._vc = Versions(s._data, owner=t)  # and its writes are followed
                arg_versions.append(t._vc)
            out = self._fn(*sym_args, **sym_kwargs)
            if backwards:  # an imperative step: the outputs are not differentiated again
                grads = None
            else:
                # the gradient graph, while the tensors still hold their variables:
                # autograd's own graph of the trace (detach and no_grad inside fn are kept)
                grads = _gradient_graph(out, in_syms[:n_args] + [t for t, *_ in saved])
            written = _written(
                in_syms, in_vars, n_args, saved, externals, arg_versions, out, arg_rg
            )
            if (written[0] or written[1]) and grads is not None:
                raise _Refused(
                    "writes into its inputs in place and returns values to differentiate: a "
                    "compiled call does not differentiate through written inputs"
                )
        except Exception as e:  # noqa: BLE001 - each kind is sorted out below
            error = e
        else:
            error = None
        finally:
            _tracing.depth -= 1
            _symbolic.WRITE_CHECK, _symbolic.ON_BACKWARD = check, on_backward
            for t, d, gr, vc, _rg, _node in saved:
                t._data = d
                t._vc = vc
                if gr is _MISSING:
                    if hasattr(t, "_grad"):
                        del t._grad
                else:
                    t._grad = gr
        changed = state.changed()  # (and put back as it was)
        drew = False
        for g, bits, *extra in gen_states:
            if _drew(g, bits):  # put back: the eager run draws what it would have drawn
                drew = True
                g._bits.state = bits
                g._fresh, g._normal, g._normal_float = extra
        if changed is not None:
            # (a trace that changed modules' or optimizers' state: its values were
            # symbolic; put back, and the eager run makes the change. An error after the
            # change may come from it: an optimizer's new state is real tensors that the
            # trace's symbolic values cannot be written into; a user's error, eager raises)
            # the first time, nothing is cached (a lazy module materializes once, and
            # traces next time); again: this signature runs eagerly
            again = key in self._changed
            self._changed.add(key)
            self._fall_back(
                key if again else None,
                f"changes {changed} (a graph writes the tensors it read back, it does not "
                "make new state or rebind attributes"
                + (")" if again else "; the next call traces again)"),
                error,
            )
            return self._cache[key] if again else _Eager("")
        if isinstance(error, _Refused):
            self._fall_back(key, str(error), error)
            return self._cache[key]
        if error is not None:
            why = _why(error)
            where = _user_line(error.__traceback__)
            if why is None:
                return self._unknown_error(key, error, where)
            self._fall_back(key, f"{why} at {where}", error)
            return self._cache[key]
        if drew:
            self._fall_back(
                key,
                "draws random numbers (dropout in training, rand, randn, ...; from the default "
                "generator or one it reaches): a graph would replay one draw",
                None,
            )
            return self._cache[key]
        out_leaves, out_spec = pt.flatten(out)
        items, out_syms = [], []
        for o in out_leaves:
            if _is_tensor(o) and type(o._data) is SymArray:
                # (a view taken in no_grad of a tensor that requires grad: see _no_grad_view)
                ngv = o._node is None and getattr(o, "_ngv", False)
                items.append(("no_grad view" if ngv else "graph", len(out_syms)))
                out_syms.append(o)
            elif _is_tensor(o):  # computed from no input: its value, anew at each call
                # (the fields, not the properties: a view's would refresh its history,
                # which raises for a multi-output view written in place, as eager does
                # only where the history is used)
                rg = o._rg or (o._base is not None and o._base._rg)
                kind = "clone" if not rg else "leaf" if o._node is None else "made"
                items.append((kind, o.detach()))
            elif o is None or isinstance(o, (bool, int, float, complex, str)):
                items.append(("const", o))
            else:
                self._fall_back(
                    key,
                    f"returns a {type(o).__name__}: a compiled function returns tensors, "
                    "tuples, lists and dicts of them, and constants",
                    None,
                )
                return self._cache[key]
        if is_grad_enabled():
            # a tensor that requires grad and was read but not found (behind an object the
            # search does not open): autograd's graph of the outputs leads to it. Traced
            # again with it as an input, so that gradients reach it
            mine = found.ids | {id(s) for s in in_syms}
            missed = [
                t
                for t in _leaves_behind([o for o in out_syms if o._rg])
                if id(t) not in mine and type(t._data) is not SymArray
            ]
            if missed and self._retracing < 1:
                self._extra.extend(missed)
                self.traces -= 1  # (one trace, done twice)
                self._retracing += 1
                try:
                    return self._trace(key, args, kwargs, leaves, spec)
                finally:
                    self._retracing -= 1
        writes, grad_actions, extra = written
        n_user = len(out_syms)
        graph_out = [wrap(o._data) for o in out_syms] + [wrap(n) for n in extra]
        masked = _boolean_mask_node(
            [o._data for o in graph_out] + ([] if grads is None else grads[2])
        )
        if masked is not None:
            self._fall_back(
                key,
                f"indexes with a boolean mask ({masked}): its result's shape depends on the "
                "data, and a graph's shapes are fixed when it is traced",
                None,
            )
            return self._cache[key]
        # inputs: every argument tensor (the signature's), and only the outside tensors
        # the outputs and gradients read (a list of many tensors may have been searched)
        reads = [o._data for o in graph_out] + ([] if grads is None else grads[2])
        used = {id(n) for n in walk(reads) if n.kind == "var"}
        keep = [j for j, v in enumerate(in_vars[n_args:]) if id(v) in used]
        targets = []
        for (kind, ref), _n in writes:  # (a written tensor the graph need not read)
            if kind != "arg":
                e = next(e for e in externals if (e[4] if kind == "grad" else e[0]) is ref)
                targets.append((None if kind == "grad" else ref, e[4], e[1], e[2]))
        grad_used = bool(backwards or grad_actions or found.optimizers) or any(
            externals[j][4] is not None for j in keep
        )
        externals = [externals[j] for j in keep]
        kept = list(range(n_args)) + [n_args + j for j in keep]
        in_vars = [in_vars[i] for i in kept]
        graph_in = [wrap(v) for v in in_vars]  # (plain symbols: no autograd history)
        fn_graph = _sym_function(graph_in, graph_out) if graph_out else None
        g = _Graph(n_args, externals, out_spec, items, fn_graph, graph_in, graph_out)
        g.writes, g.grads, g.targets = writes, grad_actions, targets
        g.grad_guards = grad_guards if grad_used else []
        assert len(graph_out) == n_user + len(writes) + sum(a != "none" for _, a in grad_actions)
        if grads is not None:
            needs, cts, grad_nodes, outs, reach = grads
            needs = tuple(needs[i] for i in kept)
            reach = tuple(reach[i] for i in kept)
            if grad_nodes:
                outs_nodes = [o._data for o in graph_out]
                forward, backward = _partition(in_vars, outs_nodes, cts, grad_nodes)
            else:  # outputs that require grad but reach no input (from a no_grad view)
                forward, backward = fn_graph, None
            g.diff = (needs, forward, backward, outs, reach)
        g.globals = found.globals
        g.cells = found.cells
        g.modules = [(m, m.training) for m in found.modules]
        g.optimizers = [(o, _opt_snapshot(o)) for o in found.optimizers]
        self._cache[key] = g
        return g

    def _unknown_error(self, key, error: BaseException, where: str):
        """Tracing failed for another reason: if eager fails too, the error is the user's
        (raised by the eager run, nothing cached); else the graph could not hold fn."""
        if self.fullgraph:
            raise TraceError(
                f"chainrule.compile: {_name(self._fn)} could not "
                f"be traced at {where}: {type(error).__name__}: {error}"
            ) from error
        return _Probe(error, where)


class _Probe:
    """Tracing failed with an error that may be the user's: the eager run decides."""

    def __init__(self, error, where) -> None:
        self.error, self.where = error, where


def _name(fn) -> str:
    """How a warning names a compiled callable: its qualified name, or its class's."""
    if isinstance(fn, functools.partial):
        fn = fn.func
    name = getattr(fn, "__qualname__", None)
    return name if isinstance(name, str) else type(fn).__name__


class _State:
    """What a trace may change besides tensors' arrays: the modules' attributes,
    parameters and buffers, and the optimizers' state and param_groups (shallow copies,
    taken before the trace)."""

    def __init__(self, found: _Found) -> None:
        self.modules = [
            (m, dict(vars(m)), dict(m._parameters), dict(m._buffers)) for m in found.modules
        ]
        self.optimizers = [
            (
                o,
                {k: (v, dict(v) if isinstance(v, dict) else None) for k, v in o.state.items()},
                [(g, dict(g)) for g in o.param_groups],
            )
            for o in found.optimizers
        ]

    def changed(self) -> str | None:
        """What changed (and is put back), or None."""
        what = None
        for m, attrs, params, buffers in self.modules:
            if not (
                _same(vars(m), attrs)
                and _same(m._parameters, params)
                and _same(m._buffers, buffers)
            ):
                what = what or f"the attributes of a {type(m).__name__}"
                m._parameters.clear()
                m._parameters.update(params)
                m._buffers.clear()
                m._buffers.update(buffers)
                vars(m).clear()
                vars(m).update(attrs)
        for o, state, groups in self.optimizers:
            same = o.state.keys() == state.keys() and all(
                o.state[k] is v and (inner is None or _same(v, inner))
                for k, (v, inner) in state.items()
            )
            same = same and len(o.param_groups) == len(groups)
            same = same and all(
                a is g and _same(g, c) for a, (g, c) in zip(o.param_groups, groups, strict=False)
            )
            if not same:
                what = what or f"the state of a {type(o).__name__}"
                o.state.clear()
                for k, (v, inner) in state.items():
                    if inner is not None:
                        v.clear()
                        v.update(inner)
                    o.state[k] = v
                for g, c in groups:
                    g.clear()
                    g.update(c)
                o.param_groups[:] = [g for g, _ in groups]
        return what


def _same(now: dict, before: dict) -> bool:
    """Whether a dict holds the same keys bound to the same objects (or equal numbers
    and strings)."""
    if now.keys() != before.keys():
        return False
    for k, v in before.items():
        w = now[k]
        if w is not v and not (type(v) in (int, float, bool, str) and w == v):
            return False
    return True


def _caller() -> int:
    """warnings' stacklevel of the innermost frame outside chainrule (the user's call)."""
    f, level = sys._getframe(1), 1  # (frame 1: the function that warns: stacklevel 1)
    while f is not None and os.path.abspath(f.f_code.co_filename).startswith(_PACKAGE):
        f, level = f.f_back, level + 1
    return level


def _drew(rng, before) -> bool:
    after = rng._bits.state
    return (
        after["state"]["pos"] != before["state"]["pos"]
        or not (after["state"]["key"] == before["state"]["key"]).all()
    )


def _identifier(name: str, j: int) -> str:
    s = "".join(c if c.isalnum() or c == "_" else "_" for c in name)
    if not s or not s[0].isalpha():
        s = "t" + s
    return f"{s}_{j}" if not s.isidentifier() else s


# ------------------------------------------------------------------ modules
class OptimizedModule:
    """``chainrule.compile(module)``: calls run the module's compiled ``__call__``
    (its forward, hooks included); everything else (parameters, ``train()``,
    ``state_dict()``, attributes) is the original module's, which stays in ``_orig_mod``.

    >>> import chainrule as torch
    >>> net = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.ReLU())
    >>> opt = torch.compile(net)
    >>> opt._orig_mod is net, tuple(opt(torch.ones(1, 2)).shape)
    (True, (1, 3))
    """

    def __init__(self, module, *, fullgraph: bool = False) -> None:
        object.__setattr__(self, "_orig_mod", module)
        object.__setattr__(self, "_compiled", CompiledFunction(module, fullgraph=fullgraph))

    def __call__(self, *args, **kwargs):
        return self._compiled(*args, **kwargs)

    def forward(self, *args, **kwargs):
        return self._compiled(*args, **kwargs)

    @property
    def traces(self) -> int:
        """How many graphs were traced (one per signature)."""
        return self._compiled.traces

    @property
    def fallbacks(self) -> int:
        """How many signatures run eagerly."""
        return self._compiled.fallbacks

    def __getattr__(self, name: str):
        if name in ("_orig_mod", "_compiled") or name.startswith("__"):
            raise AttributeError(name)  # (copy and pickle ask before __init__ ran)
        return getattr(self._orig_mod, name)

    def __setattr__(self, name: str, value) -> None:
        setattr(self._orig_mod, name, value)

    def __repr__(self) -> str:
        return f"OptimizedModule(\n  (_orig_mod): {self._orig_mod!r}\n)"
