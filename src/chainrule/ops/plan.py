"""A primitive's compiled plan: what the recorder and the engine derive, once, from its
declaration in the table, so that recording an op and running its rules loop over nothing.

The table declares *what* a rule needs by its parameter names (``lambda g, x: g / x``).
From those names this module derives which values a node must save for each set of inputs
that want a gradient, and compiles two kinds of small functions as Python source:

- a *saver* per input mask: ``(args, datas, params, out, res, TT) -> (saved, checks)``,
  one dict display with exactly the named values, and the version checks of the saved
  tensors (an in-place change before backward is refused);
- an *invoker* per rule: ``(g, ns, batch, saved) -> rule(<its named values>)``, so the
  engine makes one call per rule with no argument list to build.

This is the only place where chainrule generates code; ``Plan.show()`` (or
``prim.show_plan()``) prints every function generated so far.

>>> from chainrule.ops import REGISTRY
>>> print(REGISTRY["mul"].show_plan())  # doctest: +ELLIPSIS
plan of mul: inputs (x, y), parameters (), ...
"""

from __future__ import annotations

import inspect

from .. import backend as _backend
from ..node import Node


class Marker:
    """A rule given by name instead of a function (see ``ops.primitive``)."""

    __slots__ = ("name", "doc")

    def __init__(self, name: str, doc: str) -> None:
        self.name, self.doc = name, doc

    def __repr__(self) -> str:
        return self.name


PASS = Marker("PASS", "the gradient (or tangent) goes on unchanged")
DIAGONAL = Marker("DIAGONAL", "elementwise: each vjp rule, given the tangent, is the jvp rule")
LINEAR = Marker("LINEAR", "linear: the op itself applied to the tangent")

# Names a rule can ask for beyond the forward's inputs and keyword parameters.
_RULE_EXTRAS = ("g", "ns", "out", "batch", "shapes")
_JVP_EXTRAS = ("t", "ns", "out", "batch", "shapes")
_NOT_SAVED = ("g", "ns", "batch")  # handed to a rule by the engine, not saved


def _pass_through(g, ns, batch, saved):
    return g  # a PASS rule (add, clone, ...): the gradient goes on unchanged


class Plan:
    """What apply and the engine need of one primitive, derived from its declaration.

    input_names/param_names  the forward's positional inputs and keyword parameters
    variadic      the forward takes ``*xs`` (cat, stack): one rule returns all gradients
    rule_names    per vjp rule, the names it asks for;  invokers: the compiled callers
    jvps          the jvp rules (a DIAGONAL primitive's are its vjp rules)
    jvp_names     per jvp rule, the names it asks for (the tangent is ``t``)
    kept          what a node keeps after backward frees its saved arrays (shapes, params)
    fast          apply may take its fast path (not a view, not variadic, differentiable)
    cast          inputs are cast before the forward (promote or to_float)
    direct        the dtype kinds apply's one-input fast path hands to the forward as they
                  are ("f" for an op that computes in floats, else "fiub")
    any_kind      every dtype goes to the forward as it is (a row that computes in the
                  input's dtype and takes complex inputs as they are, ``complex_as_is``):
                  no dtype to look at
    fit           an input's gradient may need summing back or casting (broadcast,
                  promotion, or ``fit_always``: the rule cannot know the input's shape)
    savers        key -> compiled saver (filled on first use; see ``saver``)
    node_cls      the class of its nodes, named as PyTorch names them (``MulBackward0``),
                  so that ``type(y.grad_fn).__name__`` reads as in PyTorch
    """

    __slots__ = (
        "name",
        "input_names",
        "param_names",
        "variadic",
        "rule_names",
        "invokers",
        "jvps",
        "jvp_names",
        "kept",
        "fast",
        "cast",
        "direct",
        "any_kind",
        "fit",
        "fit_always",
        "savers",
        "node_cls",
        "_saves",
        "_sources",
    )

    def __init__(self, prim) -> None:
        self.name = prim.name
        sig = list(inspect.signature(prim.fwd).parameters.values())[1:]  # drop xp
        self.input_names = tuple(p.name for p in sig if p.kind == p.POSITIONAL_OR_KEYWORD)
        self.param_names = tuple(p.name for p in sig if p.kind == p.KEYWORD_ONLY)
        self.variadic = any(p.kind == p.VAR_POSITIONAL for p in sig)
        self._sources: dict = {}
        self._saves: dict = {}
        self.savers: dict = {}
        known = set(self.input_names) | set(self.param_names)
        known |= {n + "_shape" for n in self.input_names}

        rules = prim.vjp or ()
        self.rule_names = tuple(_names(r, prim, known | set(_RULE_EXTRAS), "rule") for r in rules)
        pairs = enumerate(zip(rules, self.rule_names, strict=True))
        self.invokers = tuple(self._invoker(i, r, names) for i, (r, names) in pairs)
        if prim.jvp is DIAGONAL:  # the vjp rules, with the tangent in g's place
            self.jvps = tuple(rules)
            self.jvp_names = tuple(
                tuple("t" if n == "g" else n for n in names) for names in self.rule_names
            )
        elif prim.jvp is None or prim.jvp is LINEAR:  # LINEAR: forward mode applies the op
            self.jvps = self.jvp_names = ()
        else:
            self.jvps = prim.jvp
            self.jvp_names = tuple(
                _names(r, prim, known | set(_JVP_EXTRAS), "jvp rule") for r in prim.jvp
            )
        used = {n for names in self.rule_names for n in names}
        self.kept = used & ({"shapes"} | known - set(self.input_names))
        self.kept -= set(prim.tensor_params)  # freed with the saved tensors
        self.fast = prim.vjp is not None and not prim.view and not self.variadic
        self.cast = prim.promote or prim.to_float
        self.direct = "f" if prim.to_float else "fiub"
        self.any_kind = False
        self.fit_always = prim.fit or self.variadic
        self.fit = self.fit_always or prim.promote or prim.broadcast
        self.node_cls = type(prim.grad_fn, (Node,), {"__slots__": (), "__module__": "builtins"})

    # ---------------------------------------------------------------- what to save
    def saves(self, needs: tuple, tensors: tuple | None = None) -> tuple:
        """The names to save when the inputs flagged in ``needs`` want a gradient. The output
        is saved whenever the rule of any tensor input (``tensors``; default: all) reads it,
        as PyTorch saves an op's result: changing it in place before backward is then
        refused alike (inputs are saved only for the rules that will run)."""
        key = (needs, tensors)
        out = self._saves.get(key)
        if out is None:
            names: list[str] = []
            rules = [
                self.rule_names[0 if self.variadic else i]
                for i in range(len(needs))
                if tensors is None or tensors[i]
            ]
            if any("out" in r for r in rules):
                names.append("out")
            for i, need in enumerate(needs):
                if need:
                    for n in self.rule_names[0 if self.variadic else i]:
                        if n not in _NOT_SAVED and n not in names:
                            names.append(n)
            out = self._saves[key] = tuple(names)
        return out

    def saver(self, key: int):
        """The compiled saver (cached) for ``key``: bit i set when input i wants a gradient,
        bit 16 + i when input i is a tensor (the recorders build it)."""
        fn = self.savers.get(key)
        if fn is not None:
            return fn
        mask, tmask = key & 0xFFFF, key >> 16
        n = len(self.input_names) or max(mask.bit_length(), tmask.bit_length())
        items, checks = [], []
        needs = tuple(bool(mask >> i & 1) for i in range(n))
        names = self.saves(needs, tuple(bool(tmask >> i & 1) for i in range(n)))
        for name in names:
            if name == "out":  # the output, checked against in-place changes
                items.append(f"{name!r}: out")
                checks.append(f"(res._vc, res._vc[0], None, {name!r})")
            elif name == "shapes":
                items.append(f"{name!r}: tuple([getattr(d, 'shape', None) for d in datas])")
            elif name in self.param_names:
                items.append(f"{name!r}: params[{name!r}]")
            elif name in self.input_names:  # an input's (promoted) array, checked likewise
                i = self.input_names.index(name)
                items.append(f"{name!r}: datas[{i}]")
                checks.append(
                    f"*([(args[{i}]._vc, args[{i}]._vc[0], args[{i}], {name!r})] "
                    f"if type(args[{i}]) in TT else [])"
                )
            else:  # x_shape
                i = self.input_names.index(name[: -len("_shape")])
                items.append(  # (a Dask array's shape carries its chunks: saved_shape)
                    f"{name!r}: (datas[{i}].shape if type(datas[{i}]) is ND else SHAPE(datas[{i}]))"
                )
        # checks None: nothing for backward to free (a second backward runs again); [] frees
        # a parameter PyTorch saves as a tensor
        freed = any(name not in self.kept and name in self.param_names for name in names)
        chk = f"[{', '.join(checks)}]" if checks or freed else "None"
        src = f"lambda args, datas, params, out, res, TT: ({{{', '.join(items)}}}, {chk})"
        fn = self.savers[key] = _compile(src, {"ND": _backend.ndarray, "SHAPE": _saved_shape})
        self._sources[f"saver for inputs wanting a gradient {mask:#b}, tensors {tmask:#b}"] = src
        return fn

    def _invoker(self, i, rule, names):
        if rule is PASS:
            self._sources[f"invoker {i}"] = "g  (PASS: the gradient goes on unchanged)"
            return _pass_through
        special = {"g": "g", "ns": "ns", "batch": "batch"}
        args = ", ".join(special.get(n, f"saved[{n!r}]") for n in names)
        src = f"lambda g, ns, batch, saved: rule({args})"
        self._sources[f"invoker {i}"] = src
        return _compile(src, {"rule": rule})

    def show(self) -> str:
        """The plan as text: names, flags, and the source of every generated function."""
        head = (
            f"plan of {self.name}: inputs ({', '.join(self.input_names)}), parameters "
            f"({', '.join(self.param_names)}), fast path {self.fast}, cast {self.cast}, "
            f"fit {self.fit}, kept after backward {sorted(self.kept)}"
        )
        body = [f"  {k}: {v}" for k, v in self._sources.items()]
        return "\n".join([head, *body])


def _saved_shape(a):
    """The ``x_shape`` a rule gets: ``a.shape``; for a Dask array the backend's
    ``saved_shape`` (the shape with the chunks, so that a gradient broadcast back to it
    is chunked as ``a`` was, with no rechunk where it meets ``a``'s chunks)."""
    f = getattr(_backend.namespace(a), "saved_shape", None)
    return a.shape if f is None else f(a)


def _compile(src: str, env: dict):
    return eval(src, env)  # noqa: S307 - built from the table's parameter names only


def _names(rule, prim, known, what) -> tuple:
    if rule is PASS:
        return ("g",) if what == "rule" else ("t",)
    names = tuple(inspect.signature(rule).parameters)
    for n in names:
        if n not in known:
            raise TypeError(f"{what} of {prim.name} asks for unknown value {n!r}")
    return names
