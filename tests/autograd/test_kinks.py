"""Gradients at kinks, pinned to PyTorch's choices (shared/pytorch-semantics.md, "Values at kinks").

Each case: an expression, the input, and the exact gradient PyTorch 2.13 gives. The values are
written out so that these tests run without torch; where torch is installed they are also
checked against it, so a change on either side shows up.
"""

import math

import numpy as np
import pytest

import chainrule as cr

INF = math.inf

# (label, function of (module, x), input, expected gradient of f(x).sum())
KINKS = [
    ("abs at 0", lambda m, x: x.abs(), [-1.0, 0.0, 2.0], [-1.0, 0.0, 1.0]),
    ("abs() function at 0", lambda m, x: m.abs(x), [0.0], [0.0]),
    ("relu at 0", lambda m, x: x.relu(), [-1.0, 0.0, 2.0], [0.0, 0.0, 1.0]),
    ("relu() function at 0", lambda m, x: m.relu(x), [0.0, 0.0], [0.0, 0.0]),
    ("sign", lambda m, x: x.sign(), [-1.0, 0.0, 2.0], [0.0, 0.0, 0.0]),
    (
        "full max ties split evenly",
        lambda m, x: x.max(),
        [1.0, 3.0, 3.0, 0.0],
        [0.0, 0.5, 0.5, 0.0],
    ),
    (
        "full min ties split evenly",
        lambda m, x: x.min(),
        [1.0, 0.0, 3.0, 0.0],
        [0.0, 0.5, 0.0, 0.5],
    ),
    ("full max all equal", lambda m, x: x.max(), [2.0, 2.0, 2.0, 2.0], [0.25] * 4),
    (
        "full max 2-d ties",
        lambda m, x: x.max(),
        [[5.0, 1.0], [5.0, 5.0]],
        [[1 / 3, 0.0], [1 / 3, 1 / 3]],
    ),
    ("amax ties split evenly", lambda m, x: x.amax(), [1.0, 3.0, 3.0, 0.0], [0.0, 0.5, 0.5, 0.0]),
    (
        "amax dim ties split evenly",
        lambda m, x: x.amax(dim=1),
        [[1.0, 3.0, 3.0], [2.0, 2.0, 2.0]],
        [[0.0, 0.5, 0.5], [1 / 3, 1 / 3, 1 / 3]],
    ),
    (
        "amin dim ties split evenly",
        lambda m, x: x.amin(dim=0),
        [[1.0, 4.0], [1.0, 2.0]],
        [[0.5, 0.0], [0.5, 1.0]],
    ),
    (
        "maximum tie half each (first arg)",
        lambda m, x: m.maximum(x, m.tensor([1.0, 5.0, 3.0], dtype=m.float64)),
        [1.0, 2.0, 3.0],
        [0.5, 0.0, 0.5],
    ),
    (
        "minimum tie half each (first arg)",
        lambda m, x: m.minimum(x, m.tensor([1.0, 5.0, 3.0], dtype=m.float64)),
        [1.0, 2.0, 3.0],
        [0.5, 1.0, 0.5],
    ),
    (
        "maximum with 0-d tensor tie",
        lambda m, x: m.maximum(x, m.tensor(0.0, dtype=m.float64)),
        [-1.0, 0.0, 2.0],
        [0.0, 0.5, 1.0],
    ),
    ("maximum(x, x) both halves return", lambda m, x: m.maximum(x, x), [0.0, 1.0], [1.0, 1.0]),
    (
        "clamp at both bounds passes 1",
        lambda m, x: x.clamp(0.0, 1.0),
        [-1.0, 0.0, 0.5, 1.0, 2.0],
        [0.0, 1.0, 1.0, 1.0, 0.0],
    ),
    ("clamp min only at bound", lambda m, x: x.clamp(min=0.0), [-1.0, 0.0, 0.5], [0.0, 1.0, 1.0]),
    ("clamp max only at bound", lambda m, x: x.clamp(max=1.0), [1.0, 2.0, 0.5], [1.0, 0.0, 1.0]),
    ("clip function at bounds", lambda m, x: m.clip(x, 0.0, 1.0), [0.0, 1.0, 2.0], [1.0, 1.0, 0.0]),
    ("sqrt at 0 is inf", lambda m, x: x.sqrt(), [0.0, 4.0], [INF, 0.25]),
    ("x ** 0.5 at 0 is inf", lambda m, x: x**0.5, [0.0, 4.0], [INF, 0.25]),
    ("norm at 0 is 0", lambda m, x: x.norm(), [0.0, 0.0, 0.0], [0.0, 0.0, 0.0]),
    ("linalg.norm at 0 is 0", lambda m, x: m.linalg.norm(x), [0.0, 0.0], [0.0, 0.0]),
    (
        "norm(dim) zero row is 0",
        lambda m, x: x.norm(dim=1),
        [[0.0, 0.0], [3.0, 4.0]],
        [[0.0, 0.0], [0.6, 0.8]],
    ),
    ("norm p=1 at 0 is 0", lambda m, x: x.norm(p=1), [0.0, 0.0, 1.0], [0.0, 0.0, 1.0]),
    (
        "where picks branch, 0 elsewhere",
        lambda m, x: m.where(x > 0, x, 0.0),
        [-1.0, 0.0, 2.0],
        [0.0, 0.0, 1.0],
    ),
    ("floor", lambda m, x: x.floor(), [0.5, 1.0], [0.0, 0.0]),
    ("ceil", lambda m, x: x.ceil(), [0.5, 1.0], [0.0, 0.0]),
    ("round", lambda m, x: x.round(), [0.5, 1.0], [0.0, 0.0]),
]
IDS = [k[0] for k in KINKS]


def grad_of(m, fn, values):
    x = m.tensor(values, dtype=m.float64, requires_grad=True)
    fn(m, x).sum().backward()
    return x.grad.detach().numpy()


@pytest.mark.parametrize("label,fn,values,expected", KINKS, ids=IDS)
def test_kink_gradient_is_pinned(label, fn, values, expected):
    np.testing.assert_allclose(grad_of(cr, fn, values), np.array(expected), rtol=1e-15, atol=0)


@pytest.mark.parametrize("label,fn,values,expected", KINKS, ids=IDS)
def test_kink_gradient_matches_torch(label, fn, values, expected):
    torch = pytest.importorskip("torch")
    t = grad_of(torch, fn, values)
    np.testing.assert_allclose(t, np.array(expected), rtol=1e-15, atol=0)
    np.testing.assert_allclose(grad_of(cr, fn, values), t, rtol=1e-15, atol=0)


def test_maximum_tie_gives_half_to_each_argument():
    x = cr.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = cr.tensor([1.0, 5.0, 3.0], requires_grad=True)
    cr.maximum(x, y).sum().backward()
    assert x.grad.tolist() == [0.5, 0.0, 0.5]
    assert y.grad.tolist() == [0.5, 1.0, 0.5]

    x = cr.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = cr.tensor([1.0, 5.0, 3.0], requires_grad=True)
    cr.minimum(x, y).sum().backward()
    assert x.grad.tolist() == [0.5, 1.0, 0.5]
    assert y.grad.tolist() == [0.5, 0.0, 0.5]


def test_maximum_tie_with_broadcasting_sums_halves():
    x = cr.tensor([[0.0, 1.0], [0.0, -1.0]], requires_grad=True)
    y = cr.tensor(0.0, requires_grad=True)
    cr.maximum(x, y).sum().backward()
    assert x.grad.tolist() == [[0.5, 1.0], [0.5, 0.0]]
    assert y.item() == 0.0 and y.grad.item() == 0.5 + 0.5 + 1.0


@pytest.mark.parametrize("op", ["max", "min"])
def test_max_min_along_dim_give_gradient_to_returned_index(op):
    values = [[1.0, 3.0, 3.0], [2.0, 2.0, 2.0], [0.0, -1.0, -1.0]]
    x = cr.tensor(values, requires_grad=True)
    out = getattr(x, op)(dim=1)
    vals, idx = out  # a (values, indices) named tuple
    assert out.values is vals and out.indices is idx
    assert idx.dtype == cr.int64
    (vals * cr.tensor([1.0, 10.0, 100.0])).sum().backward()
    expected = np.zeros((3, 3))
    for row, i in enumerate(idx.tolist()):
        assert values[row][i] == (max if op == "max" else min)(values[row])
        expected[row, i] = [1.0, 10.0, 100.0][row]
    np.testing.assert_array_equal(x.grad.numpy(), expected)


def test_max_along_dim_keepdim_and_function_form():
    x = cr.tensor([[4.0, 4.0], [1.0, 7.0]], requires_grad=True)
    vals, idx = cr.max(x, dim=0, keepdim=True)
    assert vals.shape == (1, 2) and idx.shape == (1, 2)
    vals.sum().backward()
    assert x.grad.sum().item() == 2.0
    assert x.grad[idx[0, 0].item(), 0].item() == 1.0
    assert x.grad[:, 1].tolist() == [0.0, 1.0]


@pytest.mark.parametrize("op", ["max", "min"])
def test_max_min_along_dim_matches_torch_indices_and_gradient(op):
    torch = pytest.importorskip("torch")
    values = [[1.0, 3.0, 3.0], [2.0, 2.0, 2.0], [0.0, -1.0, -1.0]]
    x = cr.tensor(values, requires_grad=True)
    xt = torch.tensor(values, requires_grad=True)
    v, i = getattr(x, op)(dim=1)
    vt, it = getattr(xt, op)(dim=1)
    v.sum().backward()
    vt.sum().backward()
    assert i.tolist() == it.tolist()
    np.testing.assert_array_equal(x.grad.numpy(), xt.grad.numpy())


def test_relu_gradient_is_zero_at_zero_even_composed():
    # relu written through maximum would give 0.5 at 0; relu itself must give 0.
    x = cr.tensor([0.0, 0.0, 1.0], requires_grad=True)
    (x.relu() * 3).sum().backward()
    assert x.grad.tolist() == [0.0, 0.0, 3.0]


def test_sqrt_at_zero_gives_inf_not_error():
    x = cr.tensor(0.0, requires_grad=True)
    x.sqrt().backward()
    assert math.isinf(x.grad.item()) and x.grad.item() > 0


def test_norm_gradient_at_zero_with_float32():
    x = cr.zeros(4, requires_grad=True)
    x.norm().backward()
    assert x.grad.tolist() == [0.0, 0.0, 0.0, 0.0]
    assert not np.isnan(x.grad.numpy()).any()
