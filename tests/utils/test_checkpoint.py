"""chainrule.utils.checkpoint: same values and gradients as without it, less saved memory."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
from chainrule.autograd import saved_memory
from chainrule.utils.checkpoint import checkpoint, checkpoint_sequential


def _mlp(depth=6, width=5, seed=0):
    rng = np.random.default_rng(seed)
    Ws = [
        cr.tensor(rng.standard_normal((width, width)) / width**0.5).requires_grad_()
        for _ in range(depth)
    ]
    X = cr.tensor(rng.standard_normal((3, width)))
    return Ws, X


def _segment(Ws):
    def run(h):
        for W in Ws:
            h = cr.tanh(h @ W)
        return h

    return run


def test_gradients_equal_without_checkpoint_and_parameters_get_them():
    Ws, X = _mlp()
    _segment(Ws)(X).sum().backward()
    expected = [W.grad.numpy().copy() for W in Ws]
    for W in Ws:
        W.grad = None
    h = checkpoint(_segment(Ws[:3]), X)  # X does not require grad: only closed-over Ws do
    h = checkpoint(_segment(Ws[3:]), h)
    h.sum().backward()
    for W, e in zip(Ws, expected, strict=True):
        np.testing.assert_allclose(W.grad.numpy(), e, rtol=1e-12, atol=1e-14)


def test_input_gradient_and_grad_fn_name():
    x = cr.tensor([0.5, 1.0], requires_grad=True)
    y = checkpoint(lambda t: cr.tanh(cr.tanh(t)), x)
    assert y.grad_fn.name() == "CheckpointFunctionBackward"
    y.sum().backward()
    t = np.tanh(np.array([0.5, 1.0], dtype=np.float32))
    np.testing.assert_allclose(x.grad.numpy(), (1 - np.tanh(t) ** 2) * (1 - t**2), rtol=1e-6)


def test_saves_only_the_segment_boundaries():
    Ws, X = _mlp(depth=8, width=50)
    X = X.repeat(20, 10)[:, :50].clone()  # its own storage (saved_memory counts a base whole)
    plain = saved_memory(_segment(Ws)(X))
    h = X
    for k in range(0, 8, 4):
        h = checkpoint(_segment(Ws[k : k + 4]), h)
    weights = sum(W.numel() * 8 for W in Ws)
    act = X.numel() * 8
    # without: every layer's activation (and the weights, saved for the input gradients)
    assert plain >= weights + 8 * act
    # with: the weights (the segments' parameters) and the one boundary activation
    assert saved_memory(h) <= weights + 2 * act


def test_several_outputs_and_keyword_arguments():
    x = cr.tensor([1.0, 2.0], dtype=cr.float64, requires_grad=True)

    def f(t, *, scale):
        return t * scale, (t * t).sum()

    a, b = checkpoint(f, x, scale=3.0)
    (a.sum() + b).backward()
    np.testing.assert_allclose(x.grad.numpy(), 3.0 + 2 * np.array([1.0, 2.0]))


def test_dropout_mask_is_the_same_when_recomputed():
    cr.manual_seed(0)
    x = cr.ones(200, dtype=cr.float64, requires_grad=True)
    y = checkpoint(lambda t: cr.nn.functional.dropout(t * 2, p=0.5, training=True), x)
    y.sum().backward()
    # the gradient is 2 / (1 - p) exactly where the forward kept the element
    np.testing.assert_array_equal(x.grad.numpy() != 0, y.detach().numpy() != 0)
    np.testing.assert_allclose(x.grad.numpy()[y.detach().numpy() != 0], 4.0)


def test_second_derivative_through_a_checkpoint():
    x = cr.tensor([0.3, -1.2], dtype=cr.float64, requires_grad=True)
    y = checkpoint(cr.sin, x)
    (g,) = cr.autograd.grad(y.sum(), x, create_graph=True)
    np.testing.assert_allclose(g.detach().numpy(), np.cos([0.3, -1.2]))
    (h,) = cr.autograd.grad(g.sum(), x)
    np.testing.assert_allclose(h.numpy(), -np.sin([0.3, -1.2]))


def test_under_no_grad_it_is_a_plain_call():
    x = cr.tensor([1.0], requires_grad=True)
    with cr.no_grad():
        y = checkpoint(cr.exp, x)
    assert y.grad_fn is None and not y.requires_grad


def test_nothing_requires_grad_gives_a_plain_tensor():
    y = checkpoint(cr.exp, cr.tensor([0.0]))
    assert not y.requires_grad and y.tolist() == [1.0]


def test_non_tensor_positional_arguments_pass_through_as_in_torch():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    y = checkpoint(lambda k, t, flag: t * k if flag else t, 3.0, x, True)
    y.sum().backward()
    assert y.tolist() == [3.0, 6.0] and x.grad.tolist() == [3.0, 3.0]


def test_checkpoint_sequential_matches_plain():
    Ws, X = _mlp(depth=6)
    layers = [lambda h, W=W: cr.tanh(h @ W) for W in Ws]
    out = checkpoint_sequential(layers, 3, X)
    out.sum().backward()
    got = [W.grad.numpy().copy() for W in Ws]
    for W in Ws:
        W.grad = None
    _segment(Ws)(X).sum().backward()
    for W, g in zip(Ws, got, strict=True):
        np.testing.assert_allclose(g, W.grad.numpy(), rtol=1e-12)


def test_matches_torch_checkpoint():
    torch = pytest.importorskip("torch")
    from torch.utils.checkpoint import checkpoint as tcheckpoint

    rng = np.random.default_rng(1)
    w0, x0 = rng.standard_normal((4, 4)), rng.standard_normal((2, 4))
    w, x = cr.tensor(w0, requires_grad=True), cr.tensor(x0, requires_grad=True)
    tw, tx = torch.tensor(w0, requires_grad=True), torch.tensor(x0, requires_grad=True)
    checkpoint(lambda t: cr.tanh(t @ w).exp(), x).sum().backward()
    tcheckpoint(lambda t: torch.tanh(t @ tw).exp(), tx, use_reentrant=False).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(w.grad.numpy(), tw.grad.numpy(), rtol=1e-12)
