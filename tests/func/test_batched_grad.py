"""Batched reverse mode: ``autograd.grad(..., is_grads_batched=True)`` pulls a whole batch
of cotangents (a leading axis on each grad_output) back in one pass, as PyTorch does.
Compared with torch on the same float64 graphs, batch sizes and cotangents; also against
one unbatched pass per row, and on the errors for badly shaped batches."""

from __future__ import annotations

import re

import numpy as np
import pytest
from func_helpers import assert_tree_close
from hypothesis import given, settings
from hypothesis import strategies as st

import chainrule as cr

torch = pytest.importorskip("torch")


def g_tanh_wx(m, W, x):
    return [(W @ x).tanh()]


def g_broadcast(m, a, b):
    return [(a * b).exp() + a / (1 + b * b)]


def g_matmul_chain(m, A, B, c):
    return [(A @ B).sigmoid() @ c]


def g_shapes(m, x):
    return [x.permute(2, 0, 1)[1:].reshape(-1) * x.flip(1).transpose(0, 2)[1:].reshape(-1)]


def g_reductions(m, x):
    return [m.cat([x.sum(dim=1), x.mean().reshape(1), x.logsumexp(dim=0), x.amax(dim=1)])]


def g_two_outputs(m, x, y):
    return [x.sin() * y.sum(), (x.reshape(-1, 1) * y).cumsum(dim=0)]


def g_scalar(m, x):
    return [(x * x.exp()).sum()]


def g_indexing(m, x):
    return [x[[0, 2, 2]] * x[1:, ::2].sum() + x.unsqueeze(0).expand(2, 3, 4).sum(dim=0)[0]]


GRAPHS = {
    "tanh_Wx": (g_tanh_wx, [(3, 4), (4,)]),
    "broadcast": (g_broadcast, [(3, 1), (4,)]),
    "matmul_chain": (g_matmul_chain, [(2, 3), (3, 4), (4,)]),
    "shapes": (g_shapes, [(2, 3, 4)]),
    "reductions": (g_reductions, [(3, 4)]),
    "two_outputs": (g_two_outputs, [(3,), (2,)]),
    "scalar": (g_scalar, [(5,)]),
    "indexing": (g_indexing, [(3, 4)]),
}


def _lib_tensor(m, a, rg=False):
    t = m.tensor(np.array(a, dtype=np.float64), dtype=m.float64)
    return t.requires_grad_() if rg else t


def _batched(m, name, data, cts, create_graph):
    fn, _ = GRAPHS[name]
    xs = [_lib_tensor(m, a, True) for a in data]
    outs = fn(m, *xs)
    gos = [_lib_tensor(m, c) for c in cts]
    gs = m.autograd.grad(outs, xs, gos, is_grads_batched=True, create_graph=create_graph)
    result = {"grads": [g.detach() for g in gs]}
    if create_graph:  # differentiate the batched gradients once more
        total = sum((g * g).sum() for g in gs)
        result["second"] = [g.detach() for g in m.autograd.grad(total, xs)]
    return result


@pytest.mark.parametrize("name", sorted(GRAPHS))
@settings(max_examples=8)
@given(batch=st.integers(1, 4), seed=st.integers(0, 2**16), create_graph=st.booleans())
def test_batched_grad_as_torch(name, batch, seed, create_graph):
    fn, shapes = GRAPHS[name]
    gen = np.random.default_rng(seed)
    data = [gen.uniform(-1, 1, size=s) for s in shapes]
    probe = fn(cr, *[_lib_tensor(cr, a) for a in data])
    cts = [gen.normal(size=(batch,) + tuple(o.shape)) for o in probe]
    want = _batched(torch, name, data, cts, create_graph)
    got = _batched(cr, name, data, cts, create_graph)
    assert_tree_close(got, want, rtol=1e-10, atol=1e-12)

    # the same as one unbatched pass per row of the batch
    for b in range(batch):
        xs = [_lib_tensor(cr, a, True) for a in data]
        outs = fn(cr, *xs)
        row = cr.autograd.grad(outs, xs, [_lib_tensor(cr, c[b]) for c in cts])
        for g_all, g_row in zip(got["grads"], row, strict=True):
            np.testing.assert_allclose(g_all[b].numpy(), g_row.numpy(), rtol=1e-12, atol=1e-14)


def test_batched_grad_with_an_unused_input():
    res = {}
    for name, m in (("cr", cr), ("torch", torch)):
        x = _lib_tensor(m, [0.5, 1.0], True)
        u = _lib_tensor(m, [2.0], True)
        go = _lib_tensor(m, np.arange(6.0).reshape(3, 2))
        gx, gu = m.autograd.grad([x.exp()], [x, u], [go], is_grads_batched=True, allow_unused=True)
        res[name] = [gx, gu]
    assert res["cr"][1] is None
    assert_tree_close(res["cr"], res["torch"])


def _error(m, go_shape):
    x = _lib_tensor(m, [0.5, 1.0, 1.5], True)
    with pytest.raises(RuntimeError) as e:
        m.autograd.grad(x * 2, x, m.ones(*go_shape, dtype=m.float64), is_grads_batched=True)
    # the grad_output shape torch reports drops two leading axes (a torch quirk): compare
    # the message around it
    return re.sub(
        r"grad_output\[0\] has a shape of torch.Size\(\[[0-9, ]*\]\)", "<shape>", str(e.value)
    )


@pytest.mark.parametrize("go_shape", [(3,), (2, 4), (1, 4, 3)], ids=str)
def test_badly_shaped_batch_errors_as_torch(go_shape):
    want = _error(torch, go_shape)
    assert "<shape>" in want
    assert _error(cr, go_shape) == want
