"""nn.Embedding and F.embedding against PyTorch: picked rows, gradients (repeated indices
add up, padding_idx gets none, scale_grad_by_freq), max_norm's in-place renormalization,
from_pretrained, reprs, state_dict keys, errors. Skipped without torch."""

import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import chainrule as cr  # noqa: E402
import chainrule.nn.functional as F  # noqa: E402
from chainrule import nn  # noqa: E402

rng = np.random.default_rng(0)
TOL = dict(rtol=1e-6, atol=1e-7)


def close(a, b, tol=TOL):
    assert str(a.dtype) == str(b.dtype)
    assert tuple(a.shape) == tuple(b.shape)
    np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), **tol)


def _error(fn):
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fn()
    except Exception as e:  # noqa: BLE001 - the type and the text are what is compared
        return type(e), str(e)
    return None


CONFIGS = [
    dict(),
    dict(padding_idx=0),
    dict(padding_idx=-1),
    dict(max_norm=1.0),
    dict(max_norm=0.5, norm_type=1.0),
    dict(scale_grad_by_freq=True),
    dict(padding_idx=2, scale_grad_by_freq=True, max_norm=2.0),
]


@pytest.mark.parametrize("kw", CONFIGS, ids=[str(c) for c in CONFIGS])
def test_embedding_matches_torch(kw):
    ours, theirs = nn.Embedding(7, 4, **kw), torch.nn.Embedding(7, 4, **kw)
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    if "padding_idx" in kw:
        row = ours.padding_idx
        assert not ours.weight[row].detach().numpy().any()
    w = rng.standard_normal((7, 4)).astype(np.float32) * 2
    with cr.no_grad():  # (through copy_: the array backend may not be NumPy's)
        ours.weight.copy_(cr.tensor(w))
    theirs.weight.data[...] = torch.tensor(w)
    idx = np.array([[0, 2, 2], [6, 1, 2], [0, 0, 5]])
    y, ty = ours(cr.tensor(idx)), theirs(torch.tensor(idx))
    assert type(y.grad_fn).__name__ == type(ty.grad_fn).__name__ == "EmbeddingBackward0"
    close(y, ty)
    close(ours.weight, theirs.weight)  # (max_norm renormalizes the picked rows in place)
    g = rng.standard_normal(y.shape).astype(np.float32)
    y.backward(cr.tensor(g))
    ty.backward(torch.tensor(g))
    close(ours.weight.grad, theirs.weight.grad)


def test_from_pretrained():
    w = rng.standard_normal((4, 3)).astype(np.float32)
    for freeze in (True, False):
        ours = nn.Embedding.from_pretrained(cr.tensor(w), freeze=freeze, padding_idx=1)
        theirs = torch.nn.Embedding.from_pretrained(torch.tensor(w), freeze=freeze, padding_idx=1)
        assert repr(ours) == repr(theirs)
        assert ours.weight.requires_grad == theirs.weight.requires_grad == (not freeze)
        idx = [[1, 3], [0, 1]]
        close(ours(cr.tensor(idx)), theirs(torch.tensor(idx)))


def test_second_derivative_through_embedding():
    w = rng.standard_normal((5, 2))
    idx = [3, 1, 3, 0]
    a, ta = cr.tensor(w, requires_grad=True), torch.tensor(w, requires_grad=True)
    (g,) = cr.autograd.grad(
        (F.embedding(cr.tensor(idx), a, padding_idx=1) ** 3).sum(), a, create_graph=True
    )
    (tg,) = torch.autograd.grad(
        (torch.nn.functional.embedding(torch.tensor(idx), ta, padding_idx=1) ** 3).sum(),
        ta,
        create_graph=True,
    )
    close(g, tg, dict(rtol=1e-12))
    (g * g).sum().backward()
    (tg * tg).sum().backward()
    close(a.grad, ta.grad, dict(rtol=1e-12))


ERRORS = {
    "float indices": lambda L, m, G: G.embedding(L.tensor([1.0]), L.ones(3, 2)),
    "short indices": lambda L, m, G: G.embedding(L.tensor([1], dtype=L.int16), L.ones(3, 2)),
    "index out of range": lambda L, m, G: G.embedding(L.tensor([3]), L.ones(3, 2)),
    "negative index": lambda L, m, G: G.embedding(L.tensor([-1]), L.ones(3, 2)),
    "padding_idx too big": lambda L, m, G: m.Embedding(3, 2, padding_idx=3),
    "padding_idx too small": lambda L, m, G: m.Embedding(3, 2, padding_idx=-4),
    "pretrained not 2-d": lambda L, m, G: m.Embedding.from_pretrained(L.ones(3)),
}


@pytest.mark.parametrize("name", list(ERRORS))
def test_errors_match_torch(name):
    ours = _error(lambda: ERRORS[name](cr, nn, F))
    theirs = _error(lambda: ERRORS[name](torch, torch.nn, torch.nn.functional))
    assert theirs is not None
    assert ours == theirs
