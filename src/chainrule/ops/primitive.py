"""How an entry of the derivative table is declared.

A primitive is declared once with ``defop``: its forward on backend arrays, one
vector-Jacobian rule per differentiable input (reverse mode), and its Jacobian-vector
rule (forward mode). A rule names what it needs by its parameter names, and a node saves
exactly that and nothing more:

    g        the incoming gradient (adjoint of the output); a jvp rule gets ``t`` instead,
             the input's tangent
    out      the output of the forward
    x, y...  the forward's inputs, by the forward's parameter names
    x_shape  the shape of input x (saved instead of x when that is all a rule needs)
    dim...   the forward's keyword parameters
    shapes   every input's shape (cat, stack)
    batch    leading axes a gradient or tangent carries beyond the tensor's own
             (chainrule.func pushes a whole basis through one pass): rules count axes
             from the end, or put ``batch`` in front
    ns       the namespace the rule runs on

Rules are written with operators and ``ns`` functions that exist both for raw arrays
(``ops.namespaces.ArrayNS``) and for Tensors (``functions.tensor_ns.TensorNS``). First
order backward runs them on raw arrays (cheap); ``create_graph=True`` runs the same rules
on Tensors, so the backward pass is itself recorded and differentiable (DESIGN.md,
principle 2). Three markers stand for rules that need no formula:

    PASS      a vjp rule that hands g on unchanged (add, clone, ...)
    DIAGONAL  jvp of an elementwise op: its Jacobian is diagonal, hence symmetric, so each
              vjp rule fed the tangent instead of g is the jvp rule
    LINEAR    jvp of an op linear in its one input: the op itself applied to the tangent

What the recorder and the engine derive from a declaration (which values to save, the
compiled callers of the rules) is the primitive's ``plan`` (``ops.plan``).

>>> from chainrule.ops.primitive import defop
>>> cube = defop("cube", lambda xp, x: x * x * x, lambda g, x: 3 * g * x * x, register=False)
>>> cube.grad_fn, cube.plan.saves((True,))
('CubeBackward0', ('x',))
"""

from __future__ import annotations

import inspect
from collections.abc import Callable

from .plan import DIAGONAL, LINEAR, PASS, Plan

__all__ = [
    "Primitive",
    "defop",
    "alias",
    "REGISTRY",
    "PASS",
    "DIAGONAL",
    "LINEAR",
    "complex_as_is",
    "holomorphic",
]

REGISTRY: dict[str, Primitive] = {}


class Primitive:
    """One entry of the derivative table.

    name       the table's name for it (also ``chainrule.ops.REGISTRY``'s key)
    fwd        ``fwd(xp, *inputs, **params)`` on backend arrays, ``xp`` their namespace
    vjp        one rule per input (a variadic op: one rule giving every input's gradient),
               or None: not differentiable (comparisons, argmax-like results)
    jvp        one rule per input, or DIAGONAL, or LINEAR, or None (no forward mode yet)
    grad_fn    the name PyTorch prints for its node (``MulBackward0``)
    kink       how the rule chooses a subgradient where the function has none, or None
    promote    bring tensor inputs to PyTorch's common dtype before the forward
    to_float   integer and bool inputs are computed in the default float dtype
    broadcast  the forward broadcasts its inputs: gradients are summed back to each shape
    view       the output may share storage with input 0 (reshape, slicing, transpose)
    fit        a rule may return a gradient of another shape or dtype than its input's
               (cat's pieces, ``to``'s cast): the engine fixes it up
    check      optional check of the original operands, before promotion
    tensor_params  keyword parameters PyTorch saves as tensors (index arrays, a mask, a
               written view's chain): backward frees them with the saved tensors, so a
               second backward through the node is refused as in PyTorch
    selects    an output selector of a multi-output node (autograd.Function)
    accumulate optional ``accumulate(buf, g, idx)``: the vjp of input 0 added into ``buf`` in
               place, for a vjp that is zeros with ``g`` written into a part of them (a
               slice's): the engine sums many such gradients of one tensor (x[0], x[1],
               ... of a time loop) into one array of its own, touching only the parts
    cx         the row that takes complex inputs: None (complex inputs are refused, with
               PyTorch's error where it refuses them too), the primitive itself (its rules
               hold for complex numbers as written), or a variant with conjugated rules
               (``holomorphic``); set after the declaration (``complex_as_is``)
    plan       what is derived from the above, once (``ops.plan.Plan``)
    """

    __slots__ = (
        "name",
        "fwd",
        "vjp",
        "jvp",
        "grad_fn",
        "kink",
        "promote",
        "to_float",
        "broadcast",
        "view",
        "fit",
        "check",
        "tensor_params",
        "selects",
        "accumulate",
        "cx",
        "plan",
    )

    def __init__(
        self,
        name: str,
        fwd: Callable,
        *,
        vjp=None,
        jvp=None,
        grad_fn: str | None = None,
        kink: str | None = None,
        promote: bool = False,
        to_float: bool = False,
        broadcast: bool = False,
        view: bool = False,
        fit: bool = False,
        check: Callable | None = None,
        tensor_params: tuple = (),
        selects: bool = False,
        accumulate: Callable | None = None,
    ) -> None:
        self.name = name
        self.fwd = fwd
        self.vjp = vjp if vjp is None or isinstance(vjp, tuple) else (vjp,)
        if jvp is not None and jvp not in (DIAGONAL, LINEAR) and not isinstance(jvp, tuple):
            jvp = (jvp,)
        self.jvp = jvp
        self.grad_fn = grad_fn or "".join(w.capitalize() for w in name.split("_")) + "Backward0"
        self.kink = kink
        self.promote = promote
        self.to_float = to_float
        self.broadcast = broadcast
        self.view = view
        self.fit = fit
        self.check = check
        self.tensor_params = tensor_params
        self.selects = selects
        self.accumulate = accumulate
        self.cx = None
        self.plan = Plan(self)

    def show_plan(self) -> str:
        """The compiled plan as text: what is saved per input mask, and the generated code."""
        return self.plan.show()

    def __repr__(self) -> str:
        return f"<primitive {self.name}>"


def defop(name: str, fwd: Callable, vjp=None, *, register: bool = True, **fields) -> Primitive:
    """Declare a primitive (see the module docstring; ``fields`` are ``Primitive``'s
    keywords: jvp, grad_fn, kink, promote, ...) and add it to the table (``REGISTRY``;
    ``register=False`` keeps it out: a helper op of one rule).

    A jvp rule gets its input's tangent as ``t`` and returns that input's share of the
    output's tangent; the shares add up. A variadic primitive's one jvp rule gets the list
    of all tangents (zeros where an input has none).

    >>> from chainrule.ops.primitive import defop
    >>> sq = defop("sq", lambda xp, x: x * x, lambda g, x: 2 * g * x, register=False)
    >>> sq.plan.rule_names
    (('g', 'x'),)
    """
    prim = Primitive(name, fwd, vjp=vjp, **fields)
    if register:
        REGISTRY[name] = prim
    return prim


def alias(prim: Primitive, name: str, *, grad_fn: str, fwd=None) -> Primitive:
    """A row of the table that only renames another: the same forward and rules under
    another grad_fn name (PyTorch's overloads: ``PowBackward1`` for tensor ** tensor).
    ``fwd``: a forward of the new row's own that calls ``prim``'s (the row is then
    declared, and listed by ``chainrule table``, in the part that defines ``fwd``)."""
    return defop(
        name,
        prim.fwd if fwd is None else fwd,
        prim.vjp,
        jvp=prim.jvp,
        grad_fn=grad_fn,
        kink=prim.kink,
        promote=prim.promote,
        to_float=prim.to_float,
        broadcast=prim.broadcast,
        view=prim.view,
        fit=prim.fit,
        check=prim.check,
        tensor_params=prim.tensor_params,
        accumulate=prim.accumulate,
    )


# ------------------------------------------------------------------ complex numbers
# PyTorch's convention for a complex input z = x + iy (its "Autograd for Complex Numbers"
# notes): the gradient of a real loss L is dL/dx + i dL/dy, the conjugate Wirtinger
# derivative times 2. For an op that is holomorphic in z (exp, mul, matmul, ...) the rule
# of the real table, r(g) = g * f'(z), becomes g * conj(f'(z)) = conj(r(conj(g))), while
# the tangent in forward mode is still t * f'(z): the real rule itself.


def complex_as_is(*prims: Primitive) -> None:
    """Let complex inputs through ``prims`` with their rules as written: rules linear in
    g with real coefficients (add, sum, reshape, cat, ...), which commute with conj."""
    for p in prims:
        _open(p, p)


def _open(p: Primitive, cx: Primitive) -> None:
    p.cx = cx
    cx.cx = cx
    if not cx.to_float:
        cx.plan.any_kind = True


def _conjugated(rule):
    """conj(rule(conj(g), ...)): a holomorphic op's real rule turned into its complex one."""
    if rule is PASS:
        return PASS
    names = list(inspect.signature(rule).parameters)
    n = len(names)
    if "ns" not in names:
        names.append("ns")
    gi, ni = names.index("g"), names.index("ns")

    def conjugated(*a):
        ns = a[ni]
        a = list(a[:n])
        a[gi] = ns.conj(a[gi])
        return ns.conj(rule(*a))

    kind = inspect.Parameter.POSITIONAL_OR_KEYWORD
    conjugated.__signature__ = inspect.Signature([inspect.Parameter(m, kind) for m in names])
    conjugated.__doc__ = f"conj(rule(conj(g))) of {getattr(rule, '__name__', rule)}"
    return conjugated


def _as_jvp(rule):
    """A DIAGONAL row's vjp rule as its jvp rule: the same function, its ``g`` named ``t``."""
    if rule is PASS:
        return PASS
    names = ["t" if m == "g" else m for m in inspect.signature(rule).parameters]

    def jvp(*a):
        return rule(*a)

    kind = inspect.Parameter.POSITIONAL_OR_KEYWORD
    jvp.__signature__ = inspect.Signature([inspect.Parameter(m, kind) for m in names])
    return jvp


def holomorphic(*prims: Primitive) -> None:
    """Give each of ``prims`` (holomorphic in every input: exp, mul, matmul, ...) a variant
    for complex inputs: the same forward and node name, each vjp rule conjugated
    (``_conjugated``), the real vjp rules as jvp rules where the row's jvp is DIAGONAL."""
    for p in prims:
        jvp = tuple(_as_jvp(r) for r in p.vjp) if p.jvp is DIAGONAL else p.jvp
        v = Primitive(
            p.name,
            p.fwd,
            vjp=tuple(_conjugated(r) for r in p.vjp),
            jvp=jvp,
            grad_fn=p.grad_fn,
            kink=p.kink,
            promote=p.promote,
            to_float=p.to_float,
            broadcast=p.broadcast,
            view=p.view,
            fit=p.fit,
            check=p.check,
            tensor_params=p.tensor_params,
            accumulate=p.accumulate,
        )
        if p.promote:  # a real input promoted to complex (also by a Python complex number)
            v.plan.fit_always = v.plan.fit = True  # gets the real part of its gradient
        _open(p, v)
