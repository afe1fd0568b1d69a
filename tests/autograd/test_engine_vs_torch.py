"""The backward engine against PyTorch 2.13: small programs, each run as it is with
``import torch`` and with ``import chainrule as torch``; what each ``see(...)`` shows
(values, dtype, requires_grad, is_leaf, identities, errors) must agree.

A program that raises ends its record with the exception's type and message, so an error
text is compared too. The programs pin .grad accumulation (AccumulateGrad, retain_grad),
what autograd.grad runs, frees and fills, freed graphs, saved-tensor version checks, that a
failing backward changes no .grad, and create_graph's requires_grad (issue 11).
"""

import math
import warnings

import numpy as np
import pytest

import chainrule as cr

torch = pytest.importorskip("torch")


def _describe(x):
    if isinstance(x, (cr.Tensor, torch.Tensor)):
        return (
            "tensor",
            tuple(x.shape),
            str(x.dtype),
            x.detach().numpy().tolist(),
            x.requires_grad,
            x.is_leaf,
        )
    if isinstance(x, (tuple, list)):
        return tuple(_describe(v) for v in x)
    return x


def _record(lib, src: str) -> list:
    seen = []
    env = {"torch": lib, "see": lambda *xs: seen.extend(_describe(x) for x in xs)}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            exec(src, env)  # noqa: S102 - the table's own programs
        except Exception as e:  # noqa: BLE001 - the error is part of the record
            seen.append(("raises", type(e).__name__, str(e)))
    return seen


def _same(a, b) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        # (to float32's last bits: NumPy's exp and PyTorch's may round apart)
        return math.isclose(a, b, rel_tol=1e-6) or (math.isnan(a) and math.isnan(b))
    if isinstance(a, (tuple, list)) and isinstance(b, (tuple, list)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return a == b


PROGRAMS = {
    # ------------------------------------------------ .grad accumulation (AccumulateGrad)
    "without create_graph, .grad is added into in place": """
x = torch.ones(2, requires_grad=True)
(x * 3).sum().backward()
g = x.grad
(x * 3).sum().backward()
see(x.grad is g, g)
""",
    "with create_graph, .grad is replaced by a sum that requires grad": """
x = torch.ones(2, requires_grad=True)
(x * 3).sum().backward()
g = x.grad
(x * x).sum().backward(create_graph=True)
see(x.grad is g, g, x.grad)
""",
    "a .grad made by create_graph keeps its history when added into": """
x = torch.ones(2, requires_grad=True)
y = (x * x).sum()
y.backward(create_graph=True)
g = x.grad
see(g)
y.backward()
see(x.grad is g, x.grad)
""",
    "a .grad made by create_graph from a broadcast gradient is added into": """
x = torch.ones(3, requires_grad=True)
y = x.sum()
y.backward(create_graph=True)
g = x.grad
y.backward()
see(x.grad is g, x.grad)
""",
    "gradients a pass hands to two leaves are not shared after create_graph": """
a = torch.ones(2, requires_grad=True)
b = torch.ones(2, requires_grad=True)
(a + b).sum().backward(create_graph=True)
(a * 1).sum().backward()
see(a.grad, b.grad)
""",
    "a .grad assigned with requires_grad stays a leaf that requires grad": """
x = torch.ones(2, requires_grad=True)
x.grad = torch.ones(2, requires_grad=True)
u = x.grad
(x * 3).sum().backward()
see(x.grad is u, x.grad)
(x * 3).sum().backward(create_graph=True)
see(x.grad is u, x.grad)
""",
    "retain_grad copies first, then adds out of place (recorded under create_graph)": """
a = torch.ones(2, requires_grad=True)
b = a * 2
b.retain_grad()
c = (b * b).sum()
c.backward(retain_graph=True)
r = b.grad
c.backward(retain_graph=True)
see(b.grad is r, b.grad, r)
c.backward(retain_graph=True, create_graph=True)
see(b.grad is r, b.grad)
c.backward(retain_graph=True)
see(b.grad)
""",
    "retain_grad under create_graph: the copy requires grad": """
a = torch.ones(2, requires_grad=True)
b = a * 2
b.retain_grad()
(b * b).sum().backward(create_graph=True)
see(b.grad, a.grad)
""",
    # ------------------------------------- autograd.grad: what it runs, frees and fills
    "autograd.grad does not run an input's node (no version check)": """
v0 = torch.ones(2, requires_grad=True)
v1 = v0 * 1
v2 = v1 * v1
v1.mul_(2)
see(torch.autograd.grad(v2.sum(), [v2]))
see(torch.autograd.grad(v2.sum(), [v2, v1]))
""",
    "autograd.grad frees only what it ran": """
x = torch.ones(2, requires_grad=True)
y = x.exp()
z = y.sum()
see(torch.autograd.grad(z, [y]))
z.backward()
see(x.grad)
(x.exp() * x).sum().backward()
w = x.exp()
z = (w * w).sum()
see(torch.autograd.grad(z, [w]))
z.backward()
""",
    "autograd.grad leaves a node off the paths to its inputs alone": """
v0 = torch.ones(2, requires_grad=True)
v1 = torch.ones(2, requires_grad=True)
v2 = (v1.exp() * v0).sum()
see(torch.autograd.grad(v2, [v0]))
v2.backward()
""",
    "a lone output off the paths runs its hooks, not its rules": """
v0 = torch.ones(2, requires_grad=True)
v1 = torch.ones(2, requires_grad=True) * 1
v2 = v1 * v1
v2.retain_grad()
v1.mul_(2)
see(torch.autograd.grad(v2, [v0], torch.ones(2), allow_unused=True), v2.grad)
v3 = v1.sum()
v3.retain_grad()
see(torch.autograd.grad([v3], [v0], allow_unused=True), v3.grad)
""",
    "autograd.grad fills retained grads on its walk only": """
v0 = torch.ones(2, requires_grad=True)
v1 = torch.ones(2, requires_grad=True)
a = v1.sum()
a.retain_grad()
b = v0 * 2
b.retain_grad()
c = b.sum()
see(torch.autograd.grad([a, c], [v0]), a.grad, b.grad)
d = b * b
see(torch.autograd.grad(d.sum(), [b]), b.grad)
e = v1.sum()
e.retain_grad()
see(torch.autograd.grad([e, e], [v0], allow_unused=True), e.grad)
""",
    "a leaf output in autograd.grad accumulates nothing": """
x = torch.ones(2, requires_grad=True)
y = torch.ones(2, requires_grad=True)
see(torch.autograd.grad(x, [y], torch.ones(2), allow_unused=True), x.grad)
see(torch.autograd.grad(x, [x], torch.ones(2)), x.grad)
""",
    "hooks: an input's node that runs is captured before them": """
x = torch.ones(2, requires_grad=True)
y = x * 2
y.register_hook(lambda g: g * 10)
z = (y * y).sum()
see(torch.autograd.grad(z, [y], retain_graph=True))
see(torch.autograd.grad(z, [y, x], retain_graph=True))
x.register_hook(lambda g: g * 10)
see(torch.autograd.grad(z, [x]))
""",
    "autograd.grad names the unused input by its index": """
x = torch.ones(2, requires_grad=True)
y = torch.ones(2, requires_grad=True)
see(torch.autograd.grad((x * 2).sum(), [x, x * 1]))
""",
    "autograd.grad of an unused input, first": """
x = torch.ones(2, requires_grad=True)
y = torch.ones(2, requires_grad=True)
see(torch.autograd.grad((x * 2).sum(), y))
""",
    "backward(inputs=) makes a non-leaf input retain its grad": """
x = torch.ones(2, requires_grad=True)
h = x * 2
y = (h * h).sum()
y.backward(inputs=[h], retain_graph=True)
see(h.retains_grad, h.grad, x.grad)
y.backward(retain_graph=True)
see(h.grad, x.grad)
y.backward(inputs=[h, h], retain_graph=True, create_graph=True)
see(h.grad)
""",
    "backward(inputs=) of a tensor that does not require grad": """
x = torch.ones(2, requires_grad=True)
(x * 2).sum().backward(inputs=[torch.ones(2)])
""",
    "backward(inputs=) runs a non-leaf input's node": """
w = torch.ones(2, requires_grad=True) * 1
h = w * w
w.mul_(2)
h.sum().backward(inputs=[h])
""",
    # ------------------------ a freed graph is refused where PyTorch saved a tensor
    "a second backward through index": """
x = torch.tensor([0.3, 0.7, 0.9], requires_grad=True)
y = x[[0, 1]]
y.sum().backward(retain_graph=True)
y.sum().backward()
see(x.grad)
y.sum().backward()
see(x.grad)
""",
    "a second backward through index by a tensor": """
x = torch.tensor([0.3, 0.7, 0.9], requires_grad=True)
y = x[torch.tensor([0, 2])]
y.sum().backward(retain_graph=True)
y.sum().backward()
see(x.grad)
y.sum().backward()
see(x.grad)
""",
    "a second backward through index by a mask": """
x = torch.tensor([0.3, 0.7, 0.9], requires_grad=True)
y = x[x > 0.5]
y.sum().backward(retain_graph=True)
y.sum().backward()
see(x.grad)
y.sum().backward()
see(x.grad)
""",
    "a second backward through index of 2-d": """
x = torch.tensor([0.3, 0.7, 0.9], requires_grad=True)
y = x.reshape(3, 1)[[0, 1], 0]
y.sum().backward(retain_graph=True)
y.sum().backward()
see(x.grad)
y.sum().backward()
see(x.grad)
""",
    "a second backward through gather": """
x = torch.tensor([0.3, 0.7, 0.9], requires_grad=True)
y = torch.gather(x, 0, torch.tensor([0, 0]))
y.sum().backward(retain_graph=True)
y.sum().backward()
see(x.grad)
y.sum().backward()
see(x.grad)
""",
    "a second backward through max with dim": """
x = torch.tensor([0.3, 0.7, 0.9], requires_grad=True)
y = torch.max(x, 0).values
y.sum().backward(retain_graph=True)
y.sum().backward()
see(x.grad)
y.sum().backward()
see(x.grad)
""",
    "a second backward through min with dim, keepdim": """
x = torch.tensor([0.3, 0.7, 0.9], requires_grad=True)
y = x.min(0, keepdim=True)[0]
y.sum().backward(retain_graph=True)
y.sum().backward()
see(x.grad)
y.sum().backward()
see(x.grad)
""",
    "a second backward through where": """
x = torch.tensor([0.3, 0.7, 0.9], requires_grad=True)
y = torch.where(x > 0.5, x, 0.0)
y.sum().backward(retain_graph=True)
y.sum().backward()
see(x.grad)
y.sum().backward()
see(x.grad)
""",
    "a second backward through masked_fill": """
x = torch.tensor([0.3, 0.7, 0.9], requires_grad=True)
y = x.masked_fill(torch.tensor([True, False, True]), 0.0)
y.sum().backward(retain_graph=True)
y.sum().backward()
see(x.grad)
y.sum().backward()
see(x.grad)
""",
    "a second backward through write through a slice": """
x = torch.tensor([0.3, 0.7, 0.9], requires_grad=True)
y = (lambda z: (z.__setitem__(slice(0, 1), 5.0), z)[1])(x + 0)
y.sum().backward(retain_graph=True)
y.sum().backward()
see(x.grad)
y.sum().backward()
see(x.grad)
""",
    "a second backward through write through an index": """
x = torch.tensor([0.3, 0.7, 0.9], requires_grad=True)
y = (lambda z: (z.__setitem__([0, 1], x[:2] + 0), z)[1])(x + 0)
y.sum().backward(retain_graph=True)
y.sum().backward()
see(x.grad)
y.sum().backward()
see(x.grad)
""",
    "a second backward through write through a mask": """
x = torch.tensor([0.3, 0.7, 0.9], requires_grad=True)
y = (lambda z: (z.__setitem__(torch.tensor([True, False, True]), 5.0), z)[1])(x + 0)
y.sum().backward(retain_graph=True)
y.sum().backward()
see(x.grad)
y.sum().backward()
see(x.grad)
""",
    "a second backward through add_ through a view": """
x = torch.tensor([0.3, 0.7, 0.9], requires_grad=True)
y = (lambda z: (z[:2].add_(1), z)[1])(x + 0)
y.sum().backward(retain_graph=True)
y.sum().backward()
see(x.grad)
y.sum().backward()
see(x.grad)
""",
    "a second backward through zero_ through a view": """
x = torch.tensor([0.3, 0.7, 0.9], requires_grad=True)
y = (lambda z: (z[1:].zero_(), z)[1])(x + 0)
y.sum().backward(retain_graph=True)
y.sum().backward()
see(x.grad)
y.sum().backward()
see(x.grad)
""",
    "a second backward through masked_fill_ through a view": """
x = torch.tensor([0.3, 0.7, 0.9], requires_grad=True)
y = (lambda z: (z[:2].masked_fill_(torch.tensor([True, False]), 0.0), z)[1])(x + 0)
y.sum().backward(retain_graph=True)
y.sum().backward()
see(x.grad)
y.sum().backward()
see(x.grad)
""",
    "a second backward through slice (runs twice)": """
x = torch.tensor([0.3, 0.7, 0.9], requires_grad=True)
y = x[1:]
y.sum().backward(retain_graph=True)
y.sum().backward()
see(x.grad)
y.sum().backward()
see(x.grad)
""",
    "a second backward through fill_ (runs twice)": """
x = torch.tensor([0.3, 0.7, 0.9], requires_grad=True)
y = (x + 0).fill_(2.0)
y.sum().backward(retain_graph=True)
y.sum().backward()
see(x.grad)
y.sum().backward()
see(x.grad)
""",
    "a second backward through cumsum (runs twice)": """
x = torch.tensor([0.3, 0.7, 0.9], requires_grad=True)
y = x.cumsum(0)
y.sum().backward(retain_graph=True)
y.sum().backward()
see(x.grad)
y.sum().backward()
see(x.grad)
""",
    # --------------------- version checks of saved tensors (PyTorch's texts and names)
    "cumprod of a 0-d tensor, its input changed": """
v0 = torch.tensor(1.0, requires_grad=True)
v1 = v0 * 1
v2 = torch.cumprod(v1, dim=0)
v1.pow_(0.5)
v2.sum().backward()
""",
    "cumprod of a 0-d tensor": """
v0 = torch.tensor(2.0, requires_grad=True)
v2 = torch.cumprod(v0 * 1, dim=0)
see(v2)
v2.backward()
see(v0.grad)
""",
    "1 / x saves the result, not x": """
v0 = torch.ones(2, requires_grad=True)
v1 = v0 * 2
v2 = 1 / v1
v1.sin_()
v2.sum().backward()
see(v2, v0.grad)
""",
    "3 / x, its result changed": """
v0 = torch.ones(2, requires_grad=True)
v1 = v0 * 2
v2 = 3 / v1
v3 = v2 * 1
v2.mul_(2)
v3.sum().backward()
see(v2, v0.grad)
w = 1 / v0
w.exp_()
w.sum().backward()
""",
    "prod saves its result": """
v0 = torch.tensor([1.0, 2.0], requires_grad=True)
v2 = (v0 * 2).prod()
v2.mul_(2)
v2.backward()
""",
    "prod with a dim saves its result": """
v0 = torch.tensor([[1.0, 2.0]], requires_grad=True)
v2 = (v0 * 2).prod(1)
v2.mul_(2)
v2.sum().backward()
""",
    "relu_ then a write": """
v0 = torch.ones(3, requires_grad=True)
v1 = v0 * 1
v1.relu_()
v1.mul_(2)
v1.sum().backward()
""",
    "relu_ through a view, then a write to the view": """
v0 = torch.ones(3, requires_grad=True)
v1 = v0 * 1
v2 = v1[:2]
v2.relu_()
v2.mul_(2)
v1.sum().backward()
""",
    "exp_ then a write through a view": """
x = torch.ones(2, 2, requires_grad=True)
z = x * 1
v = z.permute(1, 0)
v.exp_().mul_(2)
z.sum().backward()
""",
    "tensor ** tensor, its result changed (Pow1)": """
x = torch.ones(2, requires_grad=True)
y = torch.ones(2, requires_grad=True)
p = x ** y
p.add_(1)
p.sum().backward()
""",
    "number ** tensor, its result changed (Pow2)": """
x = torch.ones(2, requires_grad=True)
p = 2 ** x
p.add_(1)
p.sum().backward()
""",
    "sigmoid_ then a write, retain_graph": """
x = torch.ones(2, requires_grad=True)
p = x * 1
p.sigmoid_()
p.sum().backward(retain_graph=True)
see(x.grad)
p.add_(1)
p.sum().backward()
""",
    # ------------------------------------------------- a failing backward changes no .grad
    "a failing backward leaves .grad as before": """
v0 = torch.ones(3, requires_grad=True)
v1 = torch.ones(1, requires_grad=True)
v2 = (v1 ** 2).mean()
v3 = torch.std(v0, dim=0)
v3.view(-1).pow_(-1)
v2.backward(retain_graph=True)
see(v1.grad)
v4 = v3.sum() + v2.abs().sum()
try:
    v4.backward(retain_graph=True)
finally:
    see(v1.grad, v0.grad)
""",
    # ------------------------------------------- create_graph: what the gradients require
    "create_graph through relu: the gradient requires grad": """
v0 = torch.ones(2, requires_grad=True)
v1 = v0.sum()
v2 = torch.relu(v1)
see(torch.autograd.grad(v2, [v1], create_graph=True))
""",
    "relu's gradient selects (inf and NaN seeds, a NaN input)": """
x = torch.tensor([-1.0, 0.0, 2.0, float('nan')], requires_grad=True)
(g,) = torch.autograd.grad(
    torch.relu(x), [x], torch.tensor([float('inf'), 1.0, 2.0, 3.0]), create_graph=True
)
see(g, torch.autograd.grad(g.sum(), [x], allow_unused=True))
torch.relu(x).backward(torch.tensor([float('inf'), float('nan'), 2.0, 3.0]))
see(x.grad)
""",
    # ------------------------------------------------------- views taken in no_grad mode
    "backward of a no_grad unbind of a view": """
v0 = torch.ones(2, 1, requires_grad=True)
v1 = v0.T
with torch.no_grad():
    v2 = torch.unbind(v1, 0)
see(v2[0])
v2[0].backward(torch.ones(2))
""",
    "backward and autograd.grad of a no_grad view": """
v0 = torch.ones(2, 1, requires_grad=True)
with torch.no_grad():
    v3 = v0[0]
see(v3)
for f in (
    lambda: torch.autograd.grad(v3, [v0], torch.ones(1)),
    lambda: torch.autograd.grad((v3 * 2).sum(), [v0]),
    lambda: torch.autograd.backward([v0.sum(), v3], [None, torch.ones(1)]),
):
    try:
        f()
    except RuntimeError as e:
        see(str(e))
see(v0.grad)
""",
    # ------------------------------------- gradients select (no 0 * inf or inf - inf NaN)
    "clamp's gradient selects": """
nan, inf = float('nan'), float('inf')
x = torch.tensor([0.2, 0.5, 0.9, 2.0], requires_grad=True)
seed = torch.tensor([nan, inf, -inf, nan])
for y in (x.clamp(max=0.5), x.clamp(0.3, 0.8), torch.clip(x, min=0.6)):
    see(torch.autograd.grad(y, [x], seed))
lo = torch.full((4,), 0.3, requires_grad=True)
see(torch.autograd.grad(x.clamp(lo, torch.full((4,), 0.8)), [x, lo], seed))
see(torch.autograd.grad(x.clamp(0.3, 0.8).sum(), [x], create_graph=True))
""",
    "a write through a view: the base's gradient is zero in the region": """
nan, inf = float('nan'), float('inf')
w = torch.ones(2, 2, requires_grad=True)
z = w * 1
z.diagonal().zero_()
z.backward(torch.tensor([[nan, inf], [inf, nan]]))
see(w.grad)
v0 = torch.ones(3, requires_grad=True)
v1 = v0 * 1
v1[:2].mul_(0)
v1.backward(torch.tensor([nan, inf, inf]))
see(v0.grad)
""",
    "max and min with a dim of a 0-d tensor (a NaN too)": """
v1 = torch.tensor(1.0, requires_grad=True)
v4 = v1[()].max(dim=0)
v4.values[()].pow_(2)
v6 = torch.ones(3).clamp(max=v4.values)
(v6 * v6).sum().backward()
see(v1.grad)
a = torch.tensor(float('nan'), requires_grad=True)
r = torch.min(a, dim=0, keepdim=True)
see(r.values, r.indices)
r.values.backward()
see(a.grad)
""",
}


@pytest.mark.parametrize("src", PROGRAMS.values(), ids=PROGRAMS.keys())
def test_program_agrees_with_torch(src):
    ours, theirs = _record(cr, src), _record(torch, src)
    assert _same(ours, theirs), f"\nchainrule: {ours}\ntorch:     {theirs}"


def test_record_sees_a_difference():
    """The comparison is not vacuous: a differing value, flag or error text is caught."""
    a = _record(cr, "x = torch.ones(2, requires_grad=True)\nsee(x * 2)")
    b = _record(cr, "x = torch.ones(2, requires_grad=True)\nsee(x * 3)")
    c = _record(cr, "x = torch.ones(2)\nsee(x * 2)")
    assert not _same(a, b) and not _same(a, c)
    nan = "see(torch.tensor(float('nan')))"
    assert np.isnan(_record(cr, nan)[0][3]) and _same(_record(cr, nan), _record(torch, nan))


def test_a_failing_backward_changes_no_grad():
    """A deliberate difference: PyTorch adds into the leaves its walk reached before the
    error (which depends on its execution order); chainrule adds into .grad only once the
    whole walk has succeeded, so a failing backward changes no .grad at all."""
    p = cr.ones(2, requires_grad=True)
    y = p.exp()
    y.add_(1)
    a = cr.ones(2, requires_grad=True)
    a.grad = cr.full((2,), 5.0)
    g = a.grad
    z = y.sum() + (a * 2).sum()
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        z.backward()
    assert p.grad is None and a.grad is g
    np.testing.assert_array_equal(g.numpy(), [5.0, 5.0])
