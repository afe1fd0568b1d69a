"""Function transforms (torch.func / JAX names): grad, vjp, jvp, jacrev, jacfwd, hessian.

Each transform runs the function on fresh inputs and differentiates with the same table
as ``backward``: reverse mode through the engine, forward mode with dual tensors. Full
Jacobians are batched: jacrev pushes every basis cotangent back in one pass, jacfwd every
basis tangent forward in one pass (a leading batch axis through the rules), never one
Python-level pass per row or column.

Transforms compose (grad(grad(f)), jacfwd(jacrev(f)), vjp of jvp): inside another
transform, or when an input requires grad, a transform keeps its own derivative
differentiable (create_graph), so the outer one can go through it. The outermost one
returns plain tensors, as torch.func does, unless a result depends on a tensor that
requires grad from outside the transforms (an input, or one ``func`` closes over): the
leaves transforms make for their own inputs never count (``_running.made``).
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable

from .. import autograd as _ag
from .. import backend as _backend
from ..autograd import engine as _graph
from ..autograd import forward_ad as _fw
from ..autograd.grad_mode import enable_grad
from ..backend import namespace
from ..creation import zeros
from ..tensor import Tensor
from . import _pytree as pt


class _Running(threading.local):
    """The transforms running now in this thread (thread-local, as grad mode is: a transform
    running in another thread is not an outer one)."""

    depth = 0  # how many: inside another one, a transform keeps its derivative differentiable
    made = None  # the leaves transforms made for their inputs since the outermost one began


_running = _Running()


def _begin() -> list:
    """One more transform running; returns the outermost call's list of made leaves."""
    r = _running
    if r.depth == 0:
        r.made = []
    r.depth += 1
    return r.made


def _end() -> None:
    r = _running
    r.depth -= 1
    if r.depth == 0:
        r.made = None


def _is_tensor(x) -> bool:
    return isinstance(x, Tensor)


def _argnums(argnums, n: int) -> tuple[int, ...]:
    if isinstance(argnums, int):
        nums = (argnums,)
    elif isinstance(argnums, tuple):
        nums = argnums
    else:
        raise RuntimeError(f"argnums must be int or Tuple[int, ...], got: {type(argnums)}")
    if not nums:
        raise RuntimeError("argnums must be non-empty")
    out = []
    for a in nums:
        if not isinstance(a, int):
            raise RuntimeError(f"argnum must be int, got: {type(a)}")
        if not -n <= a < n:
            raise RuntimeError(f"Got argnum={a}, but only {n} positional inputs")
        out.append(a % n)
    return tuple(out)


def _check_float(x, what: str, forward: bool = False):
    if not _is_tensor(x):
        raise RuntimeError(f"{what}: expected only Tensors as inputs, got {type(x).__name__}")
    if not (x.dtype.is_floating_point or x.dtype.is_complex):
        if forward:  # forward transforms report it as make_dual does
            raise ValueError(f"Expected primal to be floating point or complex, but got: {x.dtype}")
        raise RuntimeError("only Tensors of floating point dtype can require gradients")


def _check_outputs(outs, who: str):
    for o in outs:
        if not _is_tensor(o):
            raise RuntimeError(
                f"{who}: expected f(*primals) to return only tensors, got unsupported type "
                f"{type(o)}"
            )


def _check_float_outputs(outs):
    for o in outs:
        if not (o.dtype.is_floating_point or o.dtype.is_complex):
            raise RuntimeError(
                "vjp(f, ...): All outputs of f must be floating-point or complex Tensors, got "
                f"Tensor with dtype {o.dtype}"
            )


def _check_aux(aux):
    for a in pt.flatten(aux)[0]:
        if not _is_tensor(a):
            raise RuntimeError(f"Expected tensors, got unsupported type {type(a)}")


def _fresh(x):
    """An input for one transform: a new leaf that requires grad and carries x's tangent,
    or, when x already requires grad (an outer transform or autograd), a recorded alias of
    x, so gradients can flow on to x."""
    if x._rg:
        return x.view_as(x)
    t = x.detach().requires_grad_()
    _running.made.append(t)
    fw = getattr(x, "_fw", None)
    if fw is not None:
        _fw.attach(t, fw[0], fw[1])
    return t


def _nested(leaves) -> bool:
    """Whether derivatives must stay differentiable: inside another transform, under a
    dual level, or with inputs that require grad."""
    return _running.depth > 1 or _fw._state.level is not None or any(x._rg for x in leaves)


def _closure_needs_graph(outs, made) -> bool:
    """Whether the graph behind ``outs`` reaches a tensor that requires grad other than
    the leaves transforms made for their inputs (``made``): a closed-over parameter. Then
    the derivative must stay differentiable for it too."""
    return any(True for _ in _graph.leaves_behind(outs, made))


def _plain_unless_outside(tree, made):
    """The results of an outermost forward transform: each tensor without history, unless
    its graph reaches a tensor that requires grad from outside (see the module's note)."""

    def settle(t):
        if not _is_tensor(t) or not t._rg or _closure_needs_graph([t], made):
            return t
        return t.detach()

    return pt.tree_map(settle, tree)


def _pick(args, nums):
    """Flatten the chosen arguments: (leaves, specs), and a function that puts new
    leaves back into a copy of args."""
    specs, leaves = [], []
    for a in nums:
        lv, sp = pt.flatten(args[a])
        specs.append(sp)
        leaves.extend(lv)

    def rebuild(new_leaves):
        out = list(args)
        k = 0
        for a, sp in zip(nums, specs, strict=True):
            out[a] = pt.unflatten(sp, new_leaves[k : k + sp.n])
            k += sp.n
        return out

    return leaves, specs, rebuild


def _same_structure(a, b) -> bool:
    if a.kind != b.kind or a.keys != b.keys or len(a.children) != len(b.children):
        return False
    return all(_same_structure(x, y) for x, y in zip(a.children, b.children, strict=True))


def _split(specs, flat, single: bool):
    """Per-argument pytrees of ``flat`` (one value per picked leaf)."""
    out, k = [], 0
    for sp in specs:
        out.append(pt.unflatten(sp, flat[k : k + sp.n]))
        k += sp.n
    return out[0] if single else tuple(out)


def _split_aux(out, has_aux: bool, who: str):
    if not has_aux:
        return out, None
    if not (isinstance(out, tuple) and len(out) == 2):
        raise RuntimeError(
            f"{who}: output of function f should be a tuple: (output, aux) if has_aux is True"
        )
    _check_aux(out[1])
    return out


def _detach_tree(tree):
    return pt.tree_map(lambda x: x.detach() if _is_tensor(x) else x, tree)


# --------------------------------------------------------------------------- reverse


def _call_reverse(func, args, kwargs, argnums, has_aux, who):
    """Run ``func`` on fresh inputs for the arguments ``argnums``, recording the graph.
    Returns (output, aux, the fresh inputs, their pytree specs, nested, the leaves made by
    the transforms of the outermost call)."""
    nums = _argnums(argnums, len(args))
    leaves, specs, rebuild = _pick(args, nums)
    for x in leaves:
        _check_float(x, who)
    made = _begin()
    try:
        with enable_grad():
            nested = _nested(leaves)
            fresh = [_fresh(x) for x in leaves]
            out = func(*rebuild(fresh), **kwargs)
    finally:
        _end()
    out, aux = _split_aux(out, has_aux, who)
    return out, aux, fresh, specs, nested, made


def grad_and_value(func: Callable, argnums=0, has_aux: bool = False) -> Callable:
    """``func``'s gradient with respect to argument(s) ``argnums`` and its value.

    >>> import chainrule as torch
    >>> from chainrule.func import grad_and_value
    >>> grad_and_value(lambda x: (x ** 2).sum())(torch.tensor([1., 2.]))
    (tensor([2., 4.]), tensor(5.))
    """

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        who = "grad_and_value(f)(*args)"
        out, aux, fresh, specs, nested, made = _call_reverse(
            func, args, kwargs, argnums, has_aux, who
        )
        if not _is_tensor(out):
            raise RuntimeError(f"{who}: Expected f(*args) to return a Tensor, got {type(out)}")
        if out.dim() != 0:
            raise RuntimeError(
                f"{who}: Expected f(*args) to return a scalar Tensor, got tensor with "
                f"{out.dim()} dims. Maybe you wanted to use the vjp or jacrev APIs instead?"
            )
        keep = nested or _closure_needs_graph([out], made)
        if out._rg:
            gs = _ag.grad(out, fresh, create_graph=keep, allow_unused=True, materialize_grads=True)
        else:  # the output does not depend on the inputs: zero gradients
            gs = [_zeros(tuple(x.shape), x) for x in fresh]
        if not keep:
            out = out.detach()
            aux = _detach_tree(aux)
        g = _split(specs, list(gs), isinstance(argnums, int))
        return (g, (out, aux)) if has_aux else (g, out)

    return wrapper


def grad(func: Callable, argnums=0, has_aux: bool = False) -> Callable:
    """The gradient of a scalar-valued ``func`` with respect to argument(s) ``argnums``.

    >>> import chainrule as torch
    >>> from chainrule.func import grad
    >>> grad(grad(torch.sin))(torch.tensor(0.5))  # -sin(0.5)
    tensor(-0.4794)
    """
    gv = grad_and_value(func, argnums, has_aux)

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        g, value = gv(*args, **kwargs)
        return (g, value[1]) if has_aux else g

    return wrapper


def vjp(func: Callable, *primals, has_aux: bool = False):
    """(func(*primals), vjp_fn): vjp_fn(cotangents) gives one gradient per primal.

    >>> import chainrule as torch
    >>> from chainrule.func import vjp
    >>> out, vjp_fn = vjp(torch.sin, torch.tensor([0., 1.]))
    >>> vjp_fn(torch.ones(2))
    (tensor([1.0000, 0.5403]),)
    """
    who = "vjp(f, *primals)"
    out, aux, fresh, specs, nested, made = _call_reverse(
        func, primals, {}, tuple(range(len(primals))), has_aux, who
    )
    out_leaves, out_spec = pt.flatten(out)
    _check_outputs(out_leaves, who)
    _check_float_outputs(out_leaves)
    keep = nested or _closure_needs_graph(out_leaves, made)

    def vjp_fn(cotangents, *, retain_graph: bool = True, create_graph: bool | None = None):
        cts, ct_spec = pt.flatten(cotangents)
        if len(cts) != len(out_leaves) or not _same_structure(ct_spec, out_spec):
            raise RuntimeError(
                f"Expected pytree structure of cotangents to be the same as pytree structure "
                f"of outputs to the function. cotangents: {ct_spec}, primal output: {out_spec}"
            )
        cg = keep or any(c._rg for c in cts) if create_graph is None else create_graph
        pairs = [(o, c) for o, c in zip(out_leaves, cts, strict=True) if o._rg]
        if pairs:
            with enable_grad():
                gs = _ag.grad(
                    [o for o, _ in pairs],
                    fresh,
                    [c for _, c in pairs],
                    retain_graph=retain_graph,
                    create_graph=cg,
                    allow_unused=True,
                    materialize_grads=True,
                )
        else:
            gs = [_zeros(tuple(x.shape), x) for x in fresh]
        return tuple(_split(specs, list(gs), False))

    result = out if keep else _detach_tree(out)
    if has_aux:
        return result, vjp_fn, (aux if keep else _detach_tree(aux))
    return result, vjp_fn


def jacrev(func: Callable, argnums=0, *, has_aux: bool = False) -> Callable:
    """The Jacobian of ``func`` by reverse mode: one batched backward pass for all rows.

    Each output gets shape ``out.shape + input.shape`` (PyTorch's layout).

    >>> import chainrule as torch
    >>> from chainrule.func import jacrev
    >>> A = torch.tensor([[1., 2.], [3., 4.], [5., 6.]])
    >>> jacrev(lambda x: A @ x)(torch.ones(2))  # d(Ax)/dx = A
    tensor([[1., 2.],
            [3., 4.],
            [5., 6.]])
    """

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        who = "jacrev(f)(*args)"
        out, aux, fresh, specs, nested, made = _call_reverse(
            func, args, kwargs, argnums, has_aux, who
        )
        outs, out_spec = pt.flatten(out)
        _check_outputs(outs, "vjp(f, *primals)")
        _check_float_outputs(outs)
        keep = nested or _closure_needs_graph(outs, made)
        jac = _jac_reverse(outs, fresh, keep)
        res = _assemble(jac, outs, out_spec, specs, isinstance(argnums, int))
        if has_aux:
            return res, (aux if keep else _detach_tree(aux))
        return res

    return wrapper


def _jac_reverse(outs, fresh, create_graph):
    """jac[i][j] = d outs[i] / d fresh[j], shape outs[i].shape + fresh[j].shape: every
    output element's basis cotangent in one batched reverse pass."""
    T = Tensor
    for o in outs:
        if not _is_tensor(o):
            raise RuntimeError(f"jacrev(f)(*args): Expected f to return Tensors, got {type(o)}")
    sizes = [o.numel() for o in outs]
    total = sum(sizes)
    live = [i for i, o in enumerate(outs) if o._rg and sizes[i]]
    grads = None
    if live and total:
        xp = namespace(outs[live[0]]._data)
        offs = [sum(sizes[:i]) for i in range(len(outs))]
        seeds = []
        for i in live:  # output i's rows of the identity, a basis cotangent per element
            o, m = outs[i], sizes[i]
            eye = xp.eye(m, dtype=o._data.dtype)
            if m != total:
                s = xp.zeros((total, m), o._data.dtype)
                s[offs[i] : offs[i] + m, :] = eye
                eye = s
            seeds.append(T.__new__(T)._init(_backend.reshape(eye, (total,) + tuple(o.shape))))
        grads = _ag.grad(
            [outs[i] for i in live],
            fresh,
            seeds,
            create_graph=create_graph,
            allow_unused=True,
            materialize_grads=True,
            is_grads_batched=True,
        )
    jac = []
    off = 0
    for o, m in zip(outs, sizes, strict=True):
        row = []
        for j, x in enumerate(fresh):
            shape = tuple(o.shape) + tuple(x.shape)
            if grads is None:
                row.append(_zeros(shape, x))
            else:
                row.append(grads[j][off : off + m].reshape(shape))
        jac.append(row)
        off += m
    if not create_graph:
        jac = [[j.detach() for j in row] for row in jac]
    return jac


def _zeros(shape, like):
    return zeros(shape, dtype=like.dtype)


def _assemble(jac, outs, out_spec, specs, single):
    """The result pytree: the outputs' structure, each leaf holding the Jacobians with
    respect to the picked arguments (their own structure; a tuple when argnums is)."""
    per_out = [_split(specs, row, single) for row in jac]
    return pt.unflatten(out_spec, per_out)


# --------------------------------------------------------------------------- forward


def _enter(batch, who):
    if _fw._state.level is not None:
        raise RuntimeError(
            f"{who}: chainrule supports one level of forward mode at a time (jvp/jacfwd "
            "inside jvp/jacfwd is not supported yet); put reverse mode inside instead, e.g. "
            "jacfwd(jacrev(f))"
        )
    _fw.enter_dual_level(batch)


def jvp(func: Callable, primals, tangents, *, has_aux: bool = False):
    """(func(*primals), the directional derivative along ``tangents``): forward mode.

    >>> import chainrule as torch
    >>> from chainrule.func import jvp
    >>> jvp(torch.sin, (torch.tensor(0.),), (torch.tensor(2.),))
    (tensor(0.), tensor(2.))
    """
    who = "jvp(f, primals, tangents)"
    if not isinstance(primals, tuple):
        raise RuntimeError(
            f"{who}: Expected primals to be a tuple. E.g. it should be valid to call f(*primals)."
        )
    p_leaves, p_spec = pt.flatten(primals)
    t_leaves, t_spec = pt.flatten(tangents)
    if not isinstance(tangents, tuple) or not _same_structure(p_spec, t_spec):
        raise RuntimeError(
            f"{who}: Expected primals and tangents to have the same python structure. For "
            "example, if primals is a tuple of 3 tensors, tangents also must be. Got primals "
            f"with structure {p_spec} and tangents with structure {t_spec}"
        )
    for x in p_leaves:
        _check_float(x, who, forward=True)
    _enter((), who)  # before counting this transform: a refused nesting leaves no trace
    made = _begin()
    try:
        nested = _running.depth > 1 or any(x._rg for x in p_leaves)
        duals = []
        for x, t in zip(p_leaves, t_leaves, strict=True):
            if tuple(t.shape) != tuple(x.shape):
                raise RuntimeError(
                    "Trying to set a forward gradient that has a different size than that of "
                    f"the original Tensor, this is not supported. Tensor is of size "
                    f"{list(x.shape)} while the given forward gradient is of size {list(t.shape)}."
                )
            duals.append(_fw.make_dual(x if x._rg else x.detach(), t))
        out = func(*pt.unflatten(p_spec, duals))
        out, aux = _split_aux(out, has_aux, who)
        outs, out_spec = pt.flatten(out)
        _check_outputs(outs, who)
        tans = []
        for o in outs:
            t = _fw.tangent_of(o) if _is_tensor(o) else None
            tans.append(t if t is not None else _zeros(tuple(o.shape), o))
        prim = [_strip(o) for o in outs]
        aux = pt.tree_map(_strip, aux)  # no tangent outlives the transform
    finally:
        _fw.exit_dual_level()
        _end()
    res = (pt.unflatten(out_spec, prim), pt.unflatten(out_spec, tans))
    res += (aux,) if has_aux else ()
    # the outermost one keeps the graph only where a result has one that leads outside:
    # tangents or closed-over tensors that require grad (reverse mode over this transform)
    return res if nested else _plain_unless_outside(res, made)


def _strip(o):
    """o without its tangent (the primal, history kept)."""
    return _fw.unpack_dual(o).primal if _is_tensor(o) else o


def jacfwd(func: Callable, argnums=0, *, has_aux: bool = False) -> Callable:
    """The Jacobian of ``func`` by forward mode: one batched pass pushes every input
    basis direction (a Jacobian column each) at once.

    >>> import chainrule as torch
    >>> from chainrule.func import jacfwd
    >>> jacfwd(lambda x: x ** 2)(torch.tensor([1., 2.]))
    tensor([[2., 0.],
            [0., 4.]])
    """

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        who = "jacfwd(f)(*args)"
        nums = _argnums(argnums, len(args))
        leaves, specs, rebuild = _pick(args, nums)
        for x in leaves:
            _check_float(x, who, forward=True)
        sizes = [x.numel() for x in leaves]
        total = sum(sizes)
        _enter((total,), who)
        made = _begin()
        try:
            nested = _running.depth > 1 or any(x._rg for x in leaves)
            T = Tensor
            duals, off = [], 0
            for x, n in zip(leaves, sizes, strict=True):
                xp = namespace(x._data)
                basis = xp.zeros((total, n), x._data.dtype)
                basis[off : off + n, :] = xp.eye(n, dtype=x._data.dtype)
                tan = T.__new__(T)._init(_backend.reshape(basis, (total,) + tuple(x.shape)))
                src = x if x._rg else x.detach()
                duals.append(_fw.make_dual(src, tan))
                off += n
            out = func(*rebuild(duals), **kwargs)
            out, aux = _split_aux(out, has_aux, who)
            outs, out_spec = pt.flatten(out)
            _check_outputs(outs, "jvp(f, primals, tangents)")
            jac = []
            for o in outs:
                t = _fw.tangent_of(o) if _is_tensor(o) else None
                row, off = [], 0
                for x, n in zip(leaves, sizes, strict=True):
                    shape = tuple(o.shape) + tuple(x.shape)
                    if t is None:
                        row.append(_zeros(shape, o))
                    else:  # (n, *o.shape) -> o.shape + x.shape
                        part = t[off : off + n].reshape(n, o.numel()).transpose(0, 1)
                        row.append(part.reshape(shape))
                    off += n
                jac.append(row)
            aux = pt.tree_map(_strip, aux)  # no tangent outlives the transform
        finally:
            _fw.exit_dual_level()
            _end()
        res = _assemble(jac, outs, out_spec, specs, isinstance(argnums, int))
        res = (res, aux) if has_aux else res
        # the outermost one keeps the graph only where it leads outside (closed-over tensors)
        return res if nested else _plain_unless_outside(res, made)

    return wrapper


def hessian(func: Callable, argnums=0) -> Callable:
    """The Hessian of a scalar ``func``: forward mode over reverse mode (jacfwd(jacrev)).

    >>> import chainrule as torch
    >>> from chainrule.func import hessian
    >>> A = torch.tensor([[1., 2.], [0., 3.]])
    >>> hessian(lambda x: x @ A @ x)(torch.ones(2))  # A + A^T
    tensor([[2., 2.],
            [2., 6.]])
    """
    return jacfwd(jacrev(func, argnums), argnums)


def linearize(func: Callable, *primals):
    """(func(*primals), jvp_fn): jvp_fn(*tangents) is the derivative of func at primals
    applied to tangents (each call runs one forward-mode pass).

    >>> import chainrule as torch
    >>> from chainrule.func import linearize
    >>> out, jvp_fn = linearize(torch.exp, torch.tensor(0.))
    >>> jvp_fn(torch.tensor(3.))
    tensor(3.)
    """
    out = func(*primals)
    fixed = tuple(p.detach() if _is_tensor(p) else p for p in primals)

    def jvp_fn(*tangents):
        return jvp(func, fixed, tuple(tangents))[1]

    return (out.detach() if _is_tensor(out) else out), jvp_fn
