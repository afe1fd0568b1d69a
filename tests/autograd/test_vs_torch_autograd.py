"""Differential gradient tests: the same expression, on the same float64 data, in chainrule and
in PyTorch; forward values, shapes and every input's gradient must agree.

Each case is a function of (module, *inputs) written once with the names both libraries share.
Non-scalar outputs are pulled back with a fixed random upstream gradient (backward(gradient=g)),
so the full vector-Jacobian product is compared, not just a sum. Data are kept away from kinks
and ties (those are pinned in test_kinks.py).
"""

import math

import numpy as np
import pytest

import chainrule as cr

torch = pytest.importorskip("torch")

# Input kinds: "n" standard normal, "p" positive in [0.5, 2], "s" small in [-0.6, 0.6],
# "c" a constant (standard normal, requires_grad=False).


def case(name, fn, *inputs):
    return pytest.param(fn, inputs, id=name)


def _split_sizes(m, a):
    p, q = a.split([1, 2], dim=1)
    return m.cat([p * 2, q**2], dim=1)


def _softmax(m, a):
    e = (a - a.amax(dim=1, keepdim=True)).exp()
    return e / e.sum(dim=1, keepdim=True)


def _cross_entropy(m, logits):
    labels = m.tensor([2, 0, 3, 1, 2])
    logp = logits - logits.logsumexp(dim=1, keepdim=True)
    return -logp[m.arange(5), labels].mean()


def _mlp(m, x, W1, b1, W2, b2):
    h = (x @ W1 + b1).relu()
    return _cross_entropy(m, h @ W2 + b2)


def _shape_chain(m, a):
    t = a.reshape(6, 4).T.unsqueeze(0).expand(3, 4, 6).flip(2).permute(2, 0, 1)
    return t.flatten() * m.arange(72, dtype=m.float64)


def _linreg(m, X, w, b, y):
    return ((m.matmul(X, w) + b - y) ** 2).mean()


def _mat_products(m, A, v, u):
    return m.dot(m.mv(A, v), u) + m.mm(A.T, A).sum() + m.outer(v, u[:4]).sum()


def _inplace_free_composite(m, a, b):
    # the same input used in several branches, plus a reduction fed back
    return (a * b).sum(dim=0) * a.mean() + (a - b.exp()).abs().sum(dim=0)


CASES = [
    # broadcasting binary ops
    case("add (3,1)+(1,4)", lambda m, a, b: a + b, ((3, 1), "n"), ((1, 4), "n")),
    case("sub (2,3,4)-(4,)", lambda m, a, b: a - b, ((2, 3, 4), "n"), ((4,), "n")),
    case("mul (3,4)*(4,)", lambda m, a, b: a * b, ((3, 4), "n"), ((4,), "n")),
    case("mul by 0-d", lambda m, a, s: a * s, ((3,), "n"), ((), "n")),
    case("div (3,4)/(3,1)", lambda m, a, b: a / b, ((3, 4), "n"), ((3, 1), "p")),
    case("pow tensor**tensor", lambda m, a, b: a**b, ((3, 4), "p"), ((4,), "n")),
    case("pow x**3", lambda m, a: a**3, ((3, 4), "n")),
    case("rpow 2**x", lambda m, a: 2.0**a, ((5,), "n")),
    case("rdiv 1/x", lambda m, a: 1.0 / a, ((5,), "p")),
    case("scalars mixed", lambda m, a: 3 - a * 2 + a / 4 - 1.5 ** a.tanh(), ((2, 3), "n")),
    case(
        "maximum/minimum broadcast",
        lambda m, a, b: m.maximum(a, b) * m.minimum(a, b),
        ((3, 4), "n"),
        ((4,), "n"),
    ),
    case("const operand", lambda m, a, c: (a * c + c) / (1 + c * c), ((3, 4), "n"), ((3, 4), "c")),
    # reductions
    case("sum dim=1", lambda m, a: a.sum(dim=1), ((3, 4), "n")),
    case("sum dims keepdim", lambda m, a: a.sum(dim=(0, 2), keepdim=True), ((2, 3, 4), "n")),
    case("sum axis keepdims", lambda m, a: a.sum(axis=1, keepdims=True), ((3, 4), "n")),
    case("mean dim=-1", lambda m, a: a.mean(dim=-1), ((2, 3, 4), "n")),
    case("mean dims list", lambda m, a: a.mean(dim=[0, 2]), ((2, 3, 4), "n")),
    case("prod dim", lambda m, a: a.prod(dim=1), ((3, 4), "p")),
    case("prod full", lambda m, a: a.prod(), ((2, 3), "p")),
    case("var dim (unbiased)", lambda m, a: a.var(dim=0), ((5, 3), "n")),
    case("std full", lambda m, a: a.std(), ((4, 3), "n")),
    case("logsumexp", lambda m, a: a.logsumexp(dim=1), ((3, 5), "n")),
    case("cumsum", lambda m, a: a.cumsum(dim=1), ((3, 4), "n")),
    case("cumprod", lambda m, a: a.cumprod(dim=0), ((4, 3), "p")),
    case("amax dim", lambda m, a: a.amax(dim=1), ((4, 5), "n")),
    case("max dim values", lambda m, a: a.max(dim=0).values, ((4, 5), "n")),
    case("min full", lambda m, a: a.min(), ((4, 5), "n")),
    # indexing
    case("getitem slices/steps", lambda m, a: a[1:, ::2], ((4, 5), "n")),
    case("getitem int ... None", lambda m, a: a[0, ..., None], ((2, 3, 4), "n")),
    case("getitem negative", lambda m, a: a[-1, -2:], ((3, 4), "n")),
    case("getitem int array repeats", lambda m, a: a[[0, 2, 2]], ((4, 3), "n")),
    case("getitem two arrays", lambda m, a: a[[0, 2, 2], [3, 0, 0]], ((3, 4), "n")),
    case("getitem index tensor", lambda m, a: a[:, m.tensor([1, 0, 1])], ((3, 4), "n")),
    case("getitem bool mask", lambda m, a: a[a > 0], ((4, 5), "n")),
    # linear algebra
    case("matmul 2-d", lambda m, a, b: a @ b, ((3, 4), "n"), ((4, 5), "n")),
    case("matmul batched", lambda m, a, b: a @ b, ((2, 3, 4), "n"), ((2, 4, 5), "n")),
    case(
        "matmul broadcast batch",
        lambda m, a, b: m.matmul(a, b),
        ((2, 1, 3, 4), "n"),
        ((5, 4, 2), "n"),
    ),
    case("matmul 1-d @ 2-d", lambda m, a, b: a @ b, ((4,), "n"), ((4, 5), "n")),
    case("matmul 2-d @ 1-d", lambda m, a, b: a @ b, ((3, 4), "n"), ((4,), "n")),
    case("matmul 1-d @ 1-d", lambda m, a, b: a @ b, ((4,), "n"), ((4,), "n")),
    case("matmul batched @ 1-d", lambda m, a, b: a @ b, ((2, 3, 4), "n"), ((4,), "n")),
    case("dot mv mm outer", _mat_products, ((5, 4), "n"), ((4,), "n"), ((5,), "n")),
    case("x.T @ x", lambda m, a: a.T @ a, ((5, 3), "n")),
    # joining and splitting
    case(
        "cat dim 0",
        lambda m, a, b, c: m.cat([a, b, c], dim=0),
        ((1, 3), "n"),
        ((2, 3), "n"),
        ((3, 3), "n"),
    ),
    case("cat dim 1", lambda m, a, b: m.cat((a, b), dim=1), ((2, 3), "n"), ((2, 1), "n")),
    case("stack dim 1", lambda m, a, b: m.stack([a, b], dim=1), ((2, 3), "n"), ((2, 3), "n")),
    case("split sizes", _split_sizes, ((2, 3), "n")),
    case("split unused chunk", lambda m, a: a.split(2, dim=0)[0] * 3, ((5, 2), "n")),
    case("chunk", lambda m, a: a.chunk(3, dim=1)[1].exp(), ((2, 6), "n")),
    # selection and clipping
    case(
        "where broadcast",
        lambda m, c, a, b: m.where(c > 0, a, b),
        ((3, 1), "c"),
        ((3, 4), "n"),
        ((4,), "n"),
    ),
    case("clamp both", lambda m, a: a.clamp(min=-0.5, max=0.5), ((4, 5), "n")),
    case("clamp min", lambda m, a: a.clamp(min=0.1) * a, ((4, 5), "n")),
    # compositions
    case("softmax", _softmax, ((4, 5), "n")),
    case("log_softmax", lambda m, a: a - a.logsumexp(dim=1, keepdim=True), ((4, 5), "n")),
    case("cross-entropy via indexing", _cross_entropy, ((5, 4), "n")),
    case("mlp step", _mlp, ((5, 6), "n"), ((6, 7), "n"), ((7,), "n"), ((7, 4), "n"), ((4,), "n")),
    case(
        "linear regression loss", _linreg, ((8, 3), "c"), ((3, 1), "n"), ((1,), "n"), ((8, 1), "c")
    ),
    case("shared inputs composite", _inplace_free_composite, ((3, 4), "n"), ((3, 4), "n")),
    # norms
    case("norm", lambda m, a: a.norm(), ((3, 4), "n")),
    case("norm dim", lambda m, a: a.norm(dim=1), ((3, 4), "n")),
    case("norm p=1", lambda m, a: a.norm(p=1), ((3, 4), "n")),
    case("norm p=inf", lambda m, a: a.norm(p=math.inf), ((3, 4), "n")),
    case("norm fro", lambda m, a: a.norm(p="fro"), ((3, 4), "n")),
    case("linalg.norm", lambda m, a: m.linalg.norm(a), ((5,), "n")),
    case(
        "||Xw - y||^2",
        lambda m, X, w, y: (X @ w - y).norm() ** 2,
        ((6, 4), "n"),
        ((4,), "n"),
        ((6,), "n"),
    ),
    # shapes and views
    case("reshape T unsqueeze expand flip permute flatten", _shape_chain, ((2, 3, 4), "n")),
    case(
        "transpose contiguous view",
        lambda m, a: a.transpose(0, 1).contiguous().view(-1),
        ((3, 4), "n"),
    ),
    case(
        "squeeze unsqueeze",
        lambda m, a: a.squeeze(1).unsqueeze(-1) * a.squeeze().unsqueeze(1),
        ((3, 1, 2), "n"),
    ),
    case("expand_as", lambda m, a, b: a.expand_as(b) * b, ((1, 4), "n"), ((3, 4), "n")),
    case("repeat", lambda m, a: a.repeat(2, 3), ((2, 3), "n")),
    case("flatten range", lambda m, a: a.flatten(1), ((2, 3, 4), "n")),
]


UNARY = [
    ("exp", "n"),
    ("log", "p"),
    ("log2", "p"),
    ("log10", "p"),
    ("log1p", "p"),
    ("expm1", "n"),
    ("sqrt", "p"),
    ("rsqrt", "p"),
    ("square", "n"),
    ("sin", "n"),
    ("cos", "n"),
    ("tan", "s"),
    ("tanh", "n"),
    ("sigmoid", "n"),
    ("relu", "n"),
    ("abs", "n"),
    ("neg", "n"),
    ("reciprocal", "p"),
]


def make_inputs(specs, seed):
    rng = np.random.default_rng(seed)
    arrays = []
    for shape, kind in specs:
        if kind == "p":
            arr = rng.uniform(0.5, 2.0, shape)
        elif kind == "s":
            arr = rng.uniform(-0.6, 0.6, shape)
        else:
            arr = rng.standard_normal(shape)
            # keep clear of kinks at 0 and of the clamp bounds used above
            arr = np.where(np.abs(arr) < 0.05, 0.3, arr)
            arr = np.where(np.abs(np.abs(arr) - 0.5) < 0.02, 0.7, arr)
        arrays.append((np.asarray(arr, dtype=np.float64), kind != "c"))
    return arrays


def run(m, fn, arrays, seed):
    xs = [m.tensor(a, dtype=m.float64, requires_grad=rg) for a, rg in arrays]
    out = fn(m, *xs)
    rng = np.random.default_rng(seed + 1000)
    shape = tuple(out.shape)
    upstream = m.tensor(rng.standard_normal(shape), dtype=m.float64)
    out.backward(upstream)
    grads = [None if x.grad is None else x.grad.detach().numpy().copy() for x in xs]
    return out.detach().numpy().copy(), shape, str(out.dtype), grads


def compare(fn, specs, seed):
    arrays = make_inputs(specs, seed)
    out_c, shape_c, dtype_c, grads_c = run(cr, fn, arrays, seed)
    out_t, shape_t, dtype_t, grads_t = run(torch, fn, arrays, seed)
    assert shape_c == shape_t
    assert dtype_c.split(".")[-1] == dtype_t.split(".")[-1] == "float64"
    np.testing.assert_allclose(out_c, out_t, rtol=1e-10, atol=1e-12)
    for i, (gc, gt) in enumerate(zip(grads_c, grads_t, strict=True)):
        if gt is None:
            assert gc is None, f"input {i} must get no gradient"
            continue
        assert gc is not None, f"input {i} got no gradient"
        assert gc.shape == gt.shape, f"input {i}: grad shape {gc.shape} != {gt.shape}"
        np.testing.assert_allclose(gc, gt, rtol=1e-9, atol=1e-12, err_msg=f"input {i}")


@pytest.mark.parametrize("fn,specs", CASES)
def test_gradient_matches_torch(fn, specs):
    compare(fn, specs, seed=len(specs) * 7 + 1)


@pytest.mark.parametrize("seed", [11, 12])
@pytest.mark.parametrize("fn,specs", CASES[:12])
def test_broadcast_binary_ops_more_seeds(fn, specs, seed):
    compare(fn, specs, seed)


@pytest.mark.parametrize("name,kind", UNARY, ids=[u[0] for u in UNARY])
def test_unary_method_and_function_match_torch(name, kind):
    compare(lambda m, a: getattr(a, name)() * getattr(m, name)(a), [((3, 4), kind)], seed=5)


def test_float32_gradients_stay_float32_like_torch():
    arr = np.linspace(-1.0, 1.0, 6, dtype=np.float32).reshape(2, 3)
    a = cr.tensor(arr, requires_grad=True)
    at = torch.tensor(arr, requires_grad=True)
    ((a * 2.5).tanh() @ a.T).sum().backward()
    ((at * 2.5).tanh() @ at.T).sum().backward()
    assert str(a.grad.dtype).split(".")[-1] == "float32"
    np.testing.assert_allclose(a.grad.numpy(), at.grad.numpy(), rtol=1e-5, atol=1e-6)


def test_gradient_of_mixed_precision_follows_promotion():
    a = cr.tensor([1.0, 2.0], dtype=cr.float32, requires_grad=True)
    b = cr.tensor([3.0, 4.0], dtype=cr.float64, requires_grad=True)
    at = torch.tensor([1.0, 2.0], dtype=torch.float32, requires_grad=True)
    bt = torch.tensor([3.0, 4.0], dtype=torch.float64, requires_grad=True)
    (a * b).sum().backward()
    (at * bt).sum().backward()
    # each gradient has its own input's dtype
    assert str(a.grad.dtype).split(".")[-1] == str(at.grad.dtype).split(".")[-1] == "float32"
    assert str(b.grad.dtype).split(".")[-1] == str(bt.grad.dtype).split(".")[-1] == "float64"
    np.testing.assert_array_equal(a.grad.numpy(), at.grad.numpy())
    np.testing.assert_array_equal(b.grad.numpy(), bt.grad.numpy())
