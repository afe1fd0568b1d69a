"""Helpers for the tests that compare chainrule with PyTorch call by call (torch needed:
the test modules importorskip it before importing this)."""

from __future__ import annotations

import warnings

import numpy as np
import torch

import chainrule as cr

LIBS = (cr, torch)


def both(f):
    """f(lib) run on chainrule and on torch: (result or exception) for each."""
    out = []
    for lib in LIBS:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                out.append(f(lib))
            except Exception as e:  # noqa: BLE001 - compared by same()
                out.append(e)
    return out


def same(ours, theirs, *, grad_fn: bool = False) -> None:
    """The same value, dtype and shape (tuples elementwise), or the same error type and
    message; ``grad_fn``: the same node name too."""
    if isinstance(theirs, Exception):
        assert isinstance(ours, Exception), f"PyTorch raised {theirs!r}, chainrule gave {ours!r}"
        assert type(ours) is type(theirs), (ours, theirs)
        mine, want = (str(e).split("\nException raised from")[0] for e in (ours, theirs))
        assert mine == want, (mine, want)
        return
    assert not isinstance(ours, Exception), f"chainrule raised {ours!r}, PyTorch gave {theirs!r}"
    if isinstance(theirs, torch.Tensor):
        assert isinstance(ours, cr.Tensor), type(ours)
        assert str(ours.dtype) == str(theirs.dtype)
        assert tuple(ours.shape) == tuple(theirs.shape), (ours.shape, theirs.shape)
        np.testing.assert_allclose(
            ours.detach().numpy(), theirs.detach().numpy(), rtol=1e-6, atol=1e-7
        )
        if grad_fn:
            assert ours.grad_fn.name() == theirs.grad_fn.name()
    elif isinstance(theirs, (tuple, list)):
        assert isinstance(ours, type(theirs)), (type(ours), type(theirs))
        assert len(ours) == len(theirs)
        for a, b in zip(ours, theirs, strict=True):
            same(a, b)
    else:
        assert ours == theirs


def check(f, **kw) -> None:
    """f(lib) gives the same on chainrule and torch."""
    same(*both(f), **kw)


def check_grads(f, *arrays) -> None:
    """The gradients of sum(w * f(lib, *leaves)) w.r.t. float64 leaves made of ``arrays``
    (w fixed, not all ones), and the forward values, agree with PyTorch's."""
    res = []
    for lib in LIBS:
        leaves = [lib.tensor(np.asarray(a, dtype=np.float64), requires_grad=True) for a in arrays]
        out = f(lib, *leaves)
        outs = out if isinstance(out, (tuple, list)) else (out,)
        total = 0
        for o in outs:
            w = lib.tensor(np.linspace(0.5, 2.0, o.numel()).reshape(tuple(o.shape)))
            total = total + (o * w).sum()
        grads = lib.autograd.grad(total, leaves, allow_unused=True)
        gs = [_np(g, a) for g, a in zip(grads, arrays, strict=True)]
        res.append(([o.detach().numpy() for o in outs], gs))
    (oc, gc), (ot, gt) = res
    for a, b in zip(oc + gc, ot + gt, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


def _np(g, a):
    return np.zeros(np.shape(a)) if g is None else g.detach().numpy()


# ---- array-in, result-out comparisons (the math and statistics suites)
def tensors(a):
    """The same values as a chainrule and a torch tensor (copies of one NumPy array)."""
    a = np.asarray(a)
    return cr.from_numpy(a.copy()), torch.from_numpy(a.copy())


def same_result(r, t, rtol=1e-6, atol=1e-6) -> None:
    """Results with the same dtype, shape and values (integers exactly; NaN where NaN);
    named tuples printed under the same name (torch.return_types.median(...))."""
    if isinstance(t, tuple):
        assert isinstance(r, tuple) and len(r) == len(t)
        assert repr(r).partition("(")[0] == repr(t).partition("(")[0], (repr(r), repr(t))
        for a, b in zip(r, t, strict=True):
            same_result(a, b, rtol, atol)
        return
    assert str(r.dtype) == str(t.dtype), (r.dtype, t.dtype)
    assert tuple(r.shape) == tuple(t.shape), (tuple(r.shape), tuple(t.shape))
    got, want = r.detach().numpy(), t.detach().numpy()
    if want.dtype.kind in "biu":
        np.testing.assert_array_equal(got, want)
    else:
        np.testing.assert_allclose(got, want, rtol=rtol, atol=atol, equal_nan=True)


def run(f, *arrays, rtol=1e-6, atol=1e-6):
    """f(module, *tensors) on both libraries, from the same arrays: the same result
    (returns chainrule's), or the same error type and text (returns None)."""
    cs, ts = zip(*(tensors(a) for a in arrays), strict=True) if arrays else ((), ())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            t = f(torch, *ts)
        except Exception as e:  # noqa: BLE001 - the error is what is compared
            try:
                f(cr, *cs)
            except type(e) as mine:
                assert str(mine) == str(e), (str(mine), str(e))
                return None
            raise AssertionError(f"PyTorch raised {e!r}; chainrule did not") from None
        r = f(cr, *cs)
    same_result(r, t, rtol, atol)
    return r
