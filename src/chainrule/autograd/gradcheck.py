"""Numerical checks of gradients: finite differences against the analytical vjp.

Follows PyTorch's gradcheck: central differences in the inputs' own dtype (use float64),
one analytical row per output element, compared with ``|a - n| <= atol + rtol * |n|``.
A complex number counts as its two real parts, as there: a complex input's real and
imaginary parts are perturbed one at a time (two Jacobian columns), and a complex output
gives two rows, from the cotangents 1 and i (the gradient of Re y and of Im y, in
PyTorch's convention dL/dx + i dL/dy).

>>> import chainrule as torch
>>> x = torch.randn(3, dtype=torch.float64, requires_grad=True)
>>> torch.autograd.gradcheck(torch.sin, (x,))
True
"""

from __future__ import annotations

import math

import numpy as np

from .. import backend as _backend
from ..tensor_base import TensorBase, own
from . import forward_ad as fw
from .api import grad


class GradcheckError(RuntimeError):
    """A gradient differs from its finite-difference estimate."""


_own = own


def _tuple(x):
    return (x,) if isinstance(x, TensorBase) else tuple(x)


def _outputs(fn, inputs):
    return _tuple(fn(*inputs))


def _host(t):
    """A tensor's data as a NumPy array (the Jacobians are compared on the host)."""
    return _backend.to_numpy(t._data)


def _like(t, arr):
    """A NumPy array as a tensor on ``t``'s device (a seed, a tangent)."""
    return t._new(_backend.move(arr, *_backend.device_key(t._data)))


def _np_dtype(t):
    """The NumPy dtype of ``t``'s data (host-side seeds and bases are NumPy arrays)."""
    return np.dtype(t._data.dtype.name)


def _cx(t) -> bool:
    return t._data.dtype.kind == "c"


def _size(t) -> int:
    """The number of real numbers ``t`` holds (a complex element is two)."""
    return t._data.size * (2 if _cx(t) else 1)


def _flat(a, rows: int | None = None) -> np.ndarray:
    """NumPy array ``a`` as real numbers in a row (or ``rows`` rows): a complex element as
    its real and imaginary parts, side by side."""
    if a.dtype.kind == "c":
        a = np.stack((a.real, a.imag), axis=-1)
    # (rows is a's leading axis: its count of columns is explicit, as rows may be 0)
    return a.reshape(-1) if rows is None else a.reshape(rows, math.prod(a.shape[1:]))


def _directions(t):
    """The unit changes of each real number of ``t``, as (flat index, value): 1 for a real
    element; 1 and i for a complex one."""
    if _cx(t):
        return [(k, d) for k in range(t._data.size) for d in (1, 1j)]
    return [(k, 1) for k in range(t._data.size)]


def numerical_jacobian(fn, inputs, eps=1e-6):
    """Per (output, input) pair, the Jacobian of shape (out.numel(), in.numel()) (complex
    elements counted twice: their real and imaginary parts)."""
    outs = _outputs(fn, inputs)
    jac = [[None] * len(inputs) for _ in outs]
    for j, x in enumerate(inputs):
        if not (isinstance(x, TensorBase) and x._rg):
            continue
        arr = _own(x)  # perturbed in place, element by element (also when non-contiguous)
        cols = [np.zeros((_size(o), _size(x))) for o in outs]
        for c, (k, d) in enumerate(_directions(x)):
            at = tuple(int(i) for i in np.unravel_index(k, arr.shape))
            orig = _backend.item(arr[at])
            # perturb the raw array (not recorded); fn itself may need grad mode (gradgradcheck)
            arr[at] = orig + eps * d
            plus = [_flat(_host(o)).astype(np.float64) for o in _outputs(fn, inputs)]
            arr[at] = orig - eps * d
            minus = [_flat(_host(o)).astype(np.float64) for o in _outputs(fn, inputs)]
            arr[at] = orig
            for i in range(len(outs)):
                cols[i][:, c] = (plus[i] - minus[i]) / (2 * eps)
        for i in range(len(outs)):
            jac[i][j] = cols[i]
    return jac


def analytical_jacobian(fn, inputs):
    """Per (output, input) pair, the Jacobian by one reverse pass per output element."""
    outs = _outputs(fn, inputs)
    idx = [j for j, x in enumerate(inputs) if isinstance(x, TensorBase) and x._rg]
    diff = [inputs[j] for j in idx]
    jac = [[None] * len(inputs) for _ in outs]
    for i, o in enumerate(outs):
        rows = {j: np.zeros((_size(o), _size(inputs[j]))) for j in idx}
        if o._rg:
            for r, (k, d) in enumerate(_directions(o)):
                seed = np.zeros(o._data.size, dtype=_np_dtype(o))
                seed[k] = d
                gs = grad(
                    o,
                    diff,
                    _like(o, seed.reshape(o._data.shape)),
                    retain_graph=True,
                    allow_unused=True,
                )
                for g, j in zip(gs, idx, strict=True):
                    if g is not None:
                        rows[j][r] = _flat(_host(g))
        for j, m in rows.items():
            jac[i][j] = m
    return jac


def batched_analytical_jacobian(fn, inputs):
    """As analytical_jacobian, from one reverse pass per output that carries every basis
    cotangent at once (a leading batch axis: ``grad(..., is_grads_batched=True)``)."""
    outs = _outputs(fn, inputs)
    idx = [j for j, x in enumerate(inputs) if isinstance(x, TensorBase) and x._rg]
    diff = [inputs[j] for j in idx]
    jac = [[None] * len(inputs) for _ in outs]
    for i, o in enumerate(outs):
        m = _size(o)
        rows = {j: np.zeros((m, _size(inputs[j]))) for j in idx}
        if o._rg and m:
            seed = np.zeros((m, o._data.size), dtype=_np_dtype(o))
            for r, (k, d) in enumerate(_directions(o)):
                seed[r, k] = d
            seed = seed.reshape((m,) + o._data.shape)
            gs = grad(
                o, diff, _like(o, seed), retain_graph=True, allow_unused=True, is_grads_batched=True
            )
            for g, j in zip(gs, idx, strict=True):
                if g is not None:
                    if g._data.shape != (m,) + inputs[j]._data.shape:
                        raise GradcheckError(
                            f"batched gradient for input {j} has shape {tuple(g.shape)}, "
                            f"expected {(m,) + tuple(inputs[j]._data.shape)}"
                        )
                    rows[j] = _flat(_host(g), m).astype(np.float64)
        for j, r in rows.items():
            jac[i][j] = r
    return jac


def forward_jacobian(fn, inputs, batched=False):
    """Per (output, input) pair, the Jacobian by forward mode: one dual pass per input
    element (each a Jacobian column), or, batched, one pass per input carrying all of its
    basis tangents along a leading axis."""
    inputs = list(inputs)
    jac = None
    for j, x in enumerate(inputs):
        if not (isinstance(x, TensorBase) and x._rg):
            continue
        n = _size(x)
        shape = x._data.shape
        basis = np.zeros((n, x._data.size), dtype=_np_dtype(x))
        for c, (k, d) in enumerate(_directions(x)):
            basis[c, k] = d
        runs = (
            [(basis.reshape((n,) + shape), (n,))]
            if batched
            else [(basis[k].reshape(shape), ()) for k in range(n)]
        )
        cols_per_out = None
        for k, (tan, batch) in enumerate(runs):
            fw.enter_dual_level(batch)
            try:
                args = list(inputs)
                args[j] = fw.make_dual(x, _like(x, tan.copy()))
                outs = _outputs(fn, args)
                tans = [fw.tangent_of(o) for o in outs]
            finally:
                fw.exit_dual_level()
            if jac is None:
                jac = [[None] * len(inputs) for _ in outs]
            if cols_per_out is None:
                cols_per_out = [np.zeros((_size(o), n)) for o in outs]
            for i, (o, t) in enumerate(zip(outs, tans, strict=True)):
                if t is None:
                    continue
                want = batch + o._data.shape
                if t._data.shape != want:
                    raise GradcheckError(
                        f"tangent of output {i} has shape {tuple(t.shape)}, expected {want}"
                    )
                if batched:
                    cols_per_out[i][:, :] = _flat(_host(t), n).T
                else:
                    cols_per_out[i][:, k] = _flat(_host(t))
        for i in range(len(cols_per_out or ())):
            jac[i][j] = cols_per_out[i]
    return jac


def gradcheck(
    func,
    inputs,
    *,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    raise_exception: bool = True,
    check_backward_ad: bool = True,
    check_forward_ad: bool = False,
    check_batched_grad: bool = False,
    check_batched_forward_grad: bool = False,
    **kwargs,
) -> bool:
    """Check the analytical gradient of ``func`` at ``inputs`` against finite differences.

    Reverse mode (one pass per output element) by default; ``check_forward_ad`` checks the
    jvp rules (one dual pass per input element), ``check_batched_grad`` /
    ``check_batched_forward_grad`` the same rules carrying a whole basis in one pass.
    Returns True, or raises GradcheckError (or returns False if raise_exception=False).

    >>> import chainrule as torch
    >>> x = torch.randn(2, 2, dtype=torch.float64, requires_grad=True)
    >>> torch.autograd.gradcheck(torch.exp, (x,), check_forward_ad=True)
    True
    """
    inputs = _tuple(inputs)
    num = numerical_jacobian(func, inputs, eps)
    checks = []
    if check_backward_ad:
        checks.append(("reverse mode", analytical_jacobian))
    if check_batched_grad:
        checks.append(("batched reverse mode", batched_analytical_jacobian))
    if check_forward_ad:
        checks.append(("forward mode", forward_jacobian))
    if check_batched_forward_grad:
        checks.append(("batched forward mode", lambda f, xs: forward_jacobian(f, xs, batched=True)))
    for what, jacobian in checks:
        ana = jacobian(func, inputs)
        for i in range(len(num)):
            for j in range(len(inputs)):
                n, a = num[i][j], ana[i][j] if ana is not None else None
                if n is None:
                    continue
                if a is None:
                    a = np.zeros_like(n)
                if not np.allclose(a, n, rtol=rtol, atol=atol, equal_nan=True):
                    if raise_exception:
                        raise GradcheckError(
                            f"Jacobian mismatch for output {i} with respect to input {j}"
                            f"{'' if what == 'reverse mode' else f' ({what})'},\n"
                            f"numerical:{inputs[j]._new(n)!r}\nanalytical:{inputs[j]._new(a)!r}\n"
                        )
                    return False
    return True


def gradgradcheck(
    func,
    inputs,
    grad_outputs=None,
    *,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    raise_exception: bool = True,
    check_rev_over_rev: bool = True,
    check_fwd_over_rev: bool = False,
    **kwargs,
) -> bool:
    """Check second derivatives: gradcheck of the vjp of ``func`` (built with create_graph),
    by reverse mode over it (default) and/or forward mode over it (``check_fwd_over_rev``).

    >>> import chainrule as torch
    >>> x = torch.randn(3, dtype=torch.float64, requires_grad=True)
    >>> torch.autograd.gradgradcheck(torch.tanh, (x,))
    True
    """
    inputs = _tuple(inputs)
    outs = _outputs(func, inputs)
    if grad_outputs is None:
        rng = np.random.default_rng(0)
        grad_outputs = tuple(
            _like(o, rng.standard_normal(o._data.shape).astype(_np_dtype(o))).requires_grad_()
            for o in outs
        )
    grad_outputs = _tuple(grad_outputs)
    n_in = len(inputs)
    diff = [x for x in inputs if isinstance(x, TensorBase) and x._rg]

    def first(*args):
        xs, gos = args[:n_in], args[n_in:]
        o = _outputs(func, xs)
        gs = grad(
            o,
            [x for x in xs if isinstance(x, TensorBase) and x._rg],
            gos,
            create_graph=True,
            allow_unused=True,
        )
        return tuple(
            g if g is not None else x._new(_backend.namespace(x._data).zeros_like(x._data))
            for g, x in zip(gs, diff, strict=True)
        )

    return gradcheck(
        first,
        inputs + grad_outputs,
        eps=eps,
        atol=atol,
        rtol=rtol,
        raise_exception=raise_exception,
        check_backward_ad=check_rev_over_rev,
        check_forward_ad=check_fwd_over_rev,
    )
