"""The engine sums the gradients of many slices of one tensor (x[0], x[1], ... of an RNN's
time loop) into one array of its own, in place, touching only each slice's part
(``Primitive.accumulate``). The sums must be the ones PyTorch gets, whatever else feeds
the same tensor, and the array handed on must belong to no one else."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import chainrule as cr  # noqa: E402


def both(fn, arr):
    x = cr.tensor(arr.copy(), requires_grad=True)
    tx = torch.tensor(arr.copy(), requires_grad=True)
    fn(cr, x).backward()
    fn(torch, tx).backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-12, atol=0)
    return x


CASES = {
    "rows": lambda L, x: sum((x[t] * (t + 1.0)).sum() for t in range(x.shape[0])),
    "rows twice": lambda L, x: sum((x[t] * x[t]).sum() + x[t].sum() for t in range(3)),
    "rows and whole": lambda L, x: (x * 2.0).sum() + x[1].sum() + (x[0] * 3.0).sum(),
    "whole between rows": lambda L, x: x[0].sum() + L.tanh(x).sum() + x[2].sum() + x.sum(),
    "slices of slices": lambda L, x: sum(
        (x[t][:, :2] * 2.0).sum() + L.sigmoid(x[t][:, 2:]).sum() for t in range(3)
    ),
    "overlapping": lambda L, x: x[0:2].sum() + (x[1:3] * 5.0).sum() + x[1].sum(),
    "int index": lambda L, x: x[0, 1, 2] * 3.0 + x[0, 1, 2] + x[2, 0, 0],
    "chain": lambda L, x: L.stack([x[t] * x[t - 1] for t in range(1, 3)]).sum(),
}


@pytest.mark.parametrize("case", list(CASES))
def test_slice_gradients_sum_like_torch(case):
    both(CASES[case], np.random.default_rng(0).standard_normal((3, 2, 4)))


def test_the_summed_gradient_is_nobody_elses():
    x = cr.tensor(np.ones((3, 2)), requires_grad=True)
    y = cr.tensor(np.ones((3, 2)), requires_grad=True)
    shared = x + y  # its gradient goes to x and to y: they must not share one array
    (shared[0].sum() + shared[1].sum() * 2.0 + shared[2].sum()).backward()
    assert not np.shares_memory(x.grad.numpy(), y.grad.numpy())
    np.testing.assert_array_equal(x.grad.numpy(), [[1, 1], [2, 2], [1, 1]])
    x.grad.add_(1.0)
    np.testing.assert_array_equal(y.grad.numpy(), [[1, 1], [2, 2], [1, 1]])


def test_retain_grad_and_hooks_see_the_whole_sum():
    x = cr.tensor(np.arange(6.0).reshape(3, 2), requires_grad=True)
    h = x * 1.0
    h.retain_grad()
    seen = []
    h.register_hook(lambda g: seen.append(g.numpy().copy()))
    sum(h[t].sum() * (t + 1.0) for t in range(3)).backward()
    expected = [[1, 1], [2, 2], [3, 3]]
    np.testing.assert_array_equal(h.grad.numpy(), expected)
    np.testing.assert_array_equal(seen[0], expected)
    np.testing.assert_array_equal(x.grad.numpy(), expected)


def test_create_graph_still_differentiates_through_slices():
    x = cr.tensor(np.array([1.0, 2.0, 3.0]), requires_grad=True)
    y = sum(x[i] ** 3 for i in range(3)) + x[0] * x[1]
    (g,) = cr.autograd.grad(y, x, create_graph=True)
    (gg,) = cr.autograd.grad(g.sum(), x)
    np.testing.assert_allclose(gg.numpy(), [6 * 1 + 1, 6 * 2 + 1, 6 * 3])


# Several getitems of one tensor whose gradients meet other ops' gradients in one sum.
# NumPy adds two 0-d arrays into a scalar (no array): the engine must then stop adding
# into that sum in place (``+=`` on a scalar rebinds a name; ``buf[idx] += g`` raises), or
# a gradient is lost. Found by the PyTorch fuzzer.
def test_getitems_of_a_sum_mixed_with_stack():
    def f(L, x):
        v = x.sum()
        return v + L.stack([v, v]).sum() * 10.0 + v[..., None].sum() * 100.0

    x = both(f, np.ones(3, np.float32))
    np.testing.assert_array_equal(x.grad.numpy(), [121.0] * 3)


def test_getitems_of_a_0d_tensor_mixed_with_a_product():
    def f(L, x):
        y = x * 1.0
        return y[None].sum() + y * 5.0 + y[...].sum() * 7.0

    x = both(f, np.array(1.0, np.float32))
    assert x.grad.item() == 13.0


FORMS = {
    "x": (0, lambda h: h),
    "x[...]": (0, lambda h: h[...]),
    "x[None]": (0, lambda h: h[None]),
    "x[..., None]": (0, lambda h: h[..., None]),
    "x[0]": (1, lambda h: h[0]),
    "x[:, None]": (1, lambda h: h[:, None]),
    "x[1:]": (1, lambda h: h[1:]),
    "x[..., -1]": (1, lambda h: h[..., -1]),
}
MIXERS = {
    "bare": lambda L, a: a * 3.0 if a.ndim == 0 else (a * 3.0).sum(),
    "sum": lambda L, a: a.sum() * 5.0,
    "stack": lambda L, a: L.stack([a, a * 2.0]).sum() * 7.0,
    "cat": lambda L, a: L.cat([a.reshape(-1), a.reshape(-1)]).sum() * 11.0,
    "expand": lambda L, a: a.expand(2, *a.shape).sum() * 13.0,
    "square": lambda L, a: (a * a).sum(),
}
BASES = {
    "leaf": lambda L, x: x,
    "product": lambda L, x: x * 1.0,
    "sum": lambda L, x: x.sum(),  # a 0-d tensor from an n-d one
    "tanh": lambda L, x: L.tanh(x),
}


def _loss(base, terms):
    def f(L, x):
        h = BASES[base](L, x)
        loss = None
        for form, mixer in terms:
            t = MIXERS[mixer](L, FORMS[form][1](h))
            loss = t if loss is None else loss + t
        return loss

    return f


def _check(base, terms, shape, dtype):
    ndim = 0 if base == "sum" else len(shape)
    terms = [(f, m) for f, m in terms if FORMS[f][0] <= ndim]
    if not terms:
        return
    arr = np.linspace(-0.9, 0.8, int(np.prod(shape))).reshape(shape).astype(dtype)
    f = _loss(base, terms)
    x = cr.tensor(arr.copy(), requires_grad=True)
    tx = torch.tensor(arr.copy(), requires_grad=True)
    f(cr, x).backward()
    f(torch, tx).backward()
    assert x.grad is not None and x.grad.dtype == getattr(cr, np.dtype(dtype).name)
    rtol = 1e-12 if dtype == np.float64 else 1e-5
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=rtol, atol=rtol)


TERMS = [
    [("x[...]", "bare"), ("x", "bare"), ("x[...]", "sum")],
    [("x", "bare"), ("x", "stack"), ("x[..., None]", "sum")],
    [("x[None]", "sum"), ("x", "bare"), ("x[...]", "sum")],
    [("x[...]", "stack"), ("x[None]", "cat"), ("x", "expand"), ("x[...]", "square")],
    [("x[0]", "bare"), ("x", "stack"), ("x[0]", "sum"), ("x[:, None]", "expand")],
    [("x[1:]", "cat"), ("x[..., -1]", "bare"), ("x", "bare"), ("x[1:]", "square")],
    [("x[:, None]", "stack"), ("x[...]", "bare"), ("x[0]", "stack"), ("x[None]", "sum")],
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
@pytest.mark.parametrize("shape", [(), (3,), (3, 2)], ids=["0d", "1d", "2d"])
@pytest.mark.parametrize("base", list(BASES))
@pytest.mark.parametrize("terms", TERMS, ids=[str(i) for i in range(len(TERMS))])
def test_repeated_getitems_mixed_with_other_ops(terms, base, shape, dtype):
    _check(base, terms, shape, dtype)


def test_repeated_getitems_mixed_with_other_ops_random():
    hypothesis = pytest.importorskip("hypothesis")
    st = hypothesis.strategies

    @hypothesis.settings(max_examples=150, deadline=None, derandomize=True)
    @hypothesis.given(
        terms=st.lists(
            st.tuples(st.sampled_from(list(FORMS)), st.sampled_from(list(MIXERS))),
            min_size=2,
            max_size=5,
        ),
        base=st.sampled_from(list(BASES)),
        shape=st.sampled_from([(), (3,), (2, 3)]),
        dtype=st.sampled_from([np.float32, np.float64]),
    )
    def run(terms, base, shape, dtype):
        _check(base, terms, shape, dtype)

    run()
