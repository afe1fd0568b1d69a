"""linalg.eig and linalg.eigvals against PyTorch: values (LAPACK's order and phase),
dtypes, printing, errors, and gradients (PyTorch's linalg_eig_backward, its refusal of a
loss that depends on the eigenvectors' phases), checked numerically in both modes.

Skipped as a whole where torch is not installed.
"""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from hypothesis import given  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

import chainrule as cr  # noqa: E402
from chainrule.autograd import gradcheck  # noqa: E402


def _pair(a, requires_grad=False):
    return (
        cr.tensor(a, requires_grad=requires_grad),
        torch.tensor(a, requires_grad=requires_grad),
    )


def _close(ours, theirs, tol=1e-6):
    assert str(ours.dtype) == str(theirs.dtype)
    assert tuple(ours.shape) == tuple(theirs.shape)
    np.testing.assert_allclose(
        ours.detach().numpy(), theirs.detach().resolve_conj().numpy(), rtol=tol, atol=tol
    )


def test_d2l_examples_print_as_pytorch():
    for make in (
        lambda L: L.linalg.eig(L.tensor([[2, 1], [2, 3]], dtype=L.float64)),
        lambda L: L.linalg.eig(L.tensor([[0.6, 0.2], [0.4, 0.8]]))[0],
        lambda L: L.linalg.eig(L.tensor([[0.0, -1.0], [1.0, 0.0]])),
        lambda L: L.abs(L.linalg.eig(L.tensor([[2.0, 1.0], [2.0, 3.0]]))[0]).max(),
        lambda L: L.linalg.eigvals(L.tensor([[1 + 1j, 2], [0, 3j]])),
        lambda L: L.linalg.eig(L.ones(0, 0)),
        lambda L: L.linalg.eig(L.ones(3, 0, 0)),
    ):
        assert repr(make(cr)) == repr(make(torch))


@given(
    n=st.integers(1, 5),
    batch=st.sampled_from([(), (2,), (2, 3)]),
    seed=st.integers(0, 2**16),
    kind=st.sampled_from(["float32", "float64", "complex64", "complex128"]),
)
def test_values_match_torch(n, batch, seed, kind):
    g = np.random.default_rng(seed)
    a = g.standard_normal(batch + (n, n))
    if kind.startswith("complex"):
        a = a + 1j * g.standard_normal(batch + (n, n))
    a = a.astype(kind)
    ours, theirs = _pair(a)
    tol = 1e-3 if kind in ("float32", "complex64") else 1e-8
    (lo, vo), (lt, vt) = cr.linalg.eig(ours), torch.linalg.eig(theirs)
    _close(lo, lt, tol)  # the same order: LAPACK's geev in both
    _close(cr.linalg.eigvals(ours), torch.linalg.eigvals(theirs), tol)
    # each eigenvector of unit norm, the same up to its phase: NumPy's LAPACK (OpenBLAS)
    # and PyTorch's (MKL) may choose another sign for a column
    assert str(vo.dtype) == str(vt.dtype) and tuple(vo.shape) == tuple(vt.shape)
    overlap = np.abs(np.einsum("...ij,...ij->...j", vo.numpy().conj(), vt.numpy()))
    np.testing.assert_allclose(overlap, 1, atol=tol * 10)


@pytest.mark.parametrize(
    "make",
    [
        lambda L: L.tensor([[2, 1], [2, 3]]),
        lambda L: L.ones(2, 2, dtype=L.bool),
        lambda L: L.ones(3),
        lambda L: L.ones(2, 3),
        lambda L: L.ones(2, 2, dtype=L.float16),
    ],
)
@pytest.mark.parametrize("fn", ["eig", "eigvals"])
def test_errors(make, fn):
    errs = []
    for L in (cr, torch):
        with pytest.raises(Exception) as info:
            getattr(L.linalg, fn)(make(L))
        errs.append(info.value)
    assert type(errs[0]) is type(errs[1]) and str(errs[0]) == str(errs[1])


LOSSES = {
    "eigvals": lambda L, a: L.linalg.eigvals(a) * (1 - 2j),
    "|L|": lambda L, a: L.linalg.eigvals(a).abs(),
    "Re L": lambda L, a: L.linalg.eig(a)[0].real,
    "|V|": lambda L, a: L.linalg.eig(a)[1].abs(),
    "|V|^2": lambda L, a: L.linalg.eig(a)[1].abs() ** 2,
    "A V": lambda L, a: (a.to(L.linalg.eig(a)[1].dtype) @ L.linalg.eig(a)[1]).abs(),
    "|L| + |V|": lambda L, a: L.linalg.eig(a)[0].abs().sum() + L.linalg.eig(a)[1].abs().sum(),
}


def _distinct(g, n, complex_=False):
    """A random matrix whose eigenvalues are well apart (the rules divide by their gaps)."""
    while True:
        a = g.standard_normal((n, n))
        if complex_:
            a = a + 1j * g.standard_normal((n, n))
        lam = np.linalg.eigvals(a)
        gaps = np.abs(lam[:, None] - lam[None, :]) + np.eye(n)
        if gaps.min() > 0.3:
            return a


@pytest.mark.parametrize("name", list(LOSSES))
@pytest.mark.parametrize("complex_", [False, True])
def test_gradcheck(name, complex_):
    g = np.random.default_rng(7)
    a = cr.tensor(_distinct(g, 3, complex_), requires_grad=True)
    f = LOSSES[name]
    assert gradcheck(lambda x: f(cr, x), (a,), check_forward_ad=True, check_batched_grad=True)


@pytest.mark.parametrize("name", list(LOSSES))
def test_gradients_match_torch(name):
    g = np.random.default_rng(3)
    a = _distinct(g, 4)
    a = np.stack([a, _distinct(g, 4)])  # a batch
    ours, theirs = _pair(a, requires_grad=True)
    for L, x in ((cr, ours), (torch, theirs)):
        LOSSES[name](L, x).real.sum().backward()
    _close(ours.grad, theirs.grad, 1e-8)


@pytest.mark.parametrize("bad", [float("nan"), float("inf")])
def test_not_finite(bad):
    """eig refuses NaN and inf as PyTorch does. (PyTorch's eigvals without grad gives
    LAPACK's answer there instead; chainrule's refuses it too.)"""
    with pytest.raises(RuntimeError, match="should not contain infs or NaNs"):
        cr.linalg.eig(cr.tensor([[bad, 0.0], [0.0, 1.0]]))
    with pytest.raises(RuntimeError, match="should not contain infs or NaNs"):
        torch.linalg.eig(torch.tensor([[bad, 0.0], [0.0, 1.0]]))


def test_implicit_grad_of_a_complex_scalar_is_refused():
    for L in (cr, torch):
        a = L.tensor([[2.0, 1.0], [2.0, 3.0]], requires_grad=True)
        with pytest.raises(RuntimeError, match="only for real scalar outputs"):
            L.linalg.eigvals(a).sum().backward()


def test_phase_dependent_loss_is_refused():
    errs = []
    for L in (cr, torch):
        a = L.tensor([[1.0, -1.0], [1.0, 1.0]], requires_grad=True)
        with pytest.raises(RuntimeError) as info:
            L.linalg.eig(a)[1].real.sum().backward()
        errs.append(str(info.value))
    assert errs[0] == errs[1]


def test_grad_fn_names():
    a = cr.tensor([[2.0, 1.0], [2.0, 3.0]], requires_grad=True)
    lam, v = cr.linalg.eig(a)
    assert type(lam.grad_fn).__name__ == type(v.grad_fn).__name__ == "LinalgEigBackward0"
