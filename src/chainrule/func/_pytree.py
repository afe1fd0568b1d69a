"""Pytrees: nested tuples, lists and dicts with tensors (or anything) at the leaves.

chainrule.func flattens its arguments and results to lists of leaves, works on those,
and rebuilds the caller's structure, as torch.func and JAX do.
"""

from __future__ import annotations

from typing import Any


class Spec:
    """The structure of a pytree: ``kind`` is "leaf", "tuple", "list" or "dict"."""

    __slots__ = ("kind", "keys", "children", "n", "type")

    def __init__(self, kind: str, keys=None, children=(), type=None) -> None:
        self.kind = kind
        self.keys = keys
        self.children = children
        self.type = type  # a namedtuple's or return type's class (rebuilt as one)
        self.n = 1 if kind == "leaf" else sum(c.n for c in children)

    def __repr__(self) -> str:  # PyTorch's short form: * a leaf, (*, *) a tuple, ...
        if self.kind == "leaf":
            return "*"
        inner = ", ".join(repr(c) for c in self.children)
        if self.kind == "list":
            return f"[{inner}]"
        if self.kind == "dict":
            pairs = zip(self.keys, self.children, strict=True)
            return "{" + ", ".join(f"{k!r}: {c!r}" for k, c in pairs) + "}"
        return f"({inner},)" if len(self.children) == 1 else f"({inner})"


LEAF = Spec("leaf")


def flatten(tree: Any) -> tuple[list, Spec]:
    """(leaves, spec) of a pytree.

    >>> flatten((1, {"a": 2, "b": [3]}))[0]
    [1, 2, 3]
    """
    leaves: list = []
    return leaves, _flatten(tree, leaves)


def _flatten(tree, leaves) -> Spec:
    if isinstance(tree, tuple):
        # namedtuples and return types (x.max(dim): .values, .indices) too, rebuilt with
        # their own class (``_make``, namedtuple's constructor from an iterable)
        kind = type(tree) if type(tree) is not tuple and hasattr(tree, "_make") else None
        return Spec("tuple", None, tuple(_flatten(t, leaves) for t in tree), kind)
    if isinstance(tree, list):
        return Spec("list", None, tuple(_flatten(t, leaves) for t in tree))
    if isinstance(tree, dict):
        keys = tuple(tree)
        return Spec("dict", keys, tuple(_flatten(tree[k], leaves) for k in keys))
    leaves.append(tree)
    return LEAF


def unflatten(spec: Spec, leaves) -> Any:
    """The pytree of structure ``spec`` holding ``leaves`` (inverse of flatten).

    >>> leaves, spec = flatten([1, (2, 3)])
    >>> unflatten(spec, [10, 20, 30])
    [10, (20, 30)]
    """
    it = iter(leaves)
    return _build(spec, it)


def _build(spec, it):
    if spec.kind == "leaf":
        return next(it)
    parts = [_build(c, it) for c in spec.children]
    if spec.kind == "tuple":
        return spec.type._make(parts) if spec.type is not None else tuple(parts)
    if spec.kind == "list":
        return parts
    return dict(zip(spec.keys, parts, strict=True))


def tree_map(fn, tree) -> Any:
    """``tree`` with ``fn`` applied to every leaf."""
    leaves, spec = flatten(tree)
    return unflatten(spec, [fn(x) for x in leaves])
