"""Shared helpers for the chainrule.func tests: a finite-difference Jacobian written with
NumPy alone (the reference the layouts are checked against), and a structural comparison
of pytrees of tensors (chainrule against chainrule, or chainrule against torch)."""

from __future__ import annotations

import numpy as np

import chainrule as cr


def t64(a) -> cr.Tensor:
    """A float64 chainrule tensor holding ``a``."""
    return cr.tensor(np.asarray(a, dtype=np.float64), dtype=cr.float64)


def np_of(t) -> np.ndarray:
    """The values of a chainrule or torch tensor (or anything array-like) as NumPy."""
    if hasattr(t, "detach"):
        return np.asarray(t.detach().numpy())
    return np.asarray(t)


def fd_jacobian(f, *xs, eps: float = 1e-6) -> list[np.ndarray]:
    """Central-difference Jacobians of ``f`` at float64 tensors ``xs``, one per input,
    each of shape ``S_y + S_x`` (PyTorch's layout). Uses only NumPy arithmetic on the
    values, never chainrule's derivative rules."""
    base = [np_of(x).astype(np.float64) for x in xs]
    y0 = np_of(f(*[t64(b) for b in base]))
    jacs = []
    for i, b in enumerate(base):
        J = np.zeros(y0.shape + b.shape)
        for idx in np.ndindex(*b.shape):
            plus = [c.copy() for c in base]
            minus = [c.copy() for c in base]
            plus[i][idx] += eps
            minus[i][idx] -= eps
            yp = np_of(f(*[t64(c) for c in plus]))
            ym = np_of(f(*[t64(c) for c in minus]))
            J[(Ellipsis,) + idx] = (yp - ym) / (2 * eps)
        jacs.append(J)
    return jacs


def assert_tree_close(got, want, rtol: float = 1e-7, atol: float = 1e-9, path: str = "out"):
    """``got`` and ``want`` have the same pytree structure (tuple/list/dict with the same
    keys in the same order), and equal leaves: tensors of the same shape and dtype with
    close values (either library), other leaves equal."""
    if isinstance(want, dict):
        assert isinstance(got, dict), f"{path}: expected a dict, got {type(got).__name__}"
        assert list(got) == list(want), f"{path}: keys {list(got)} != {list(want)}"
        for k in want:
            assert_tree_close(got[k], want[k], rtol, atol, f"{path}[{k!r}]")
        return
    if isinstance(want, (tuple, list)):
        assert type(got) is type(want), (
            f"{path}: expected a {type(want).__name__}, got {type(got).__name__}"
        )
        assert len(got) == len(want), f"{path}: length {len(got)} != {len(want)}"
        for i, (g, w) in enumerate(zip(got, want, strict=True)):
            assert_tree_close(g, w, rtol, atol, f"{path}[{i}]")
        return
    if hasattr(want, "shape") and hasattr(want, "dtype"):
        assert hasattr(got, "shape"), f"{path}: expected a tensor, got {type(got).__name__}"
        assert tuple(got.shape) == tuple(want.shape), (
            f"{path}: shape {tuple(got.shape)} != {tuple(want.shape)}"
        )
        if not isinstance(want, np.ndarray) and not isinstance(got, np.ndarray):
            assert str(got.dtype) == str(want.dtype), f"{path}: dtype {got.dtype} != {want.dtype}"
        np.testing.assert_allclose(np_of(got), np_of(want), rtol=rtol, atol=atol, err_msg=path)
        return
    assert got == want, f"{path}: {got!r} != {want!r}"
