"""chainrule.compile: traced graphs give eager's values; one trace per signature; tensors
read from outside are read at each call; data-dependent Python, in-place steps and random
draws fall back to eager with a warning naming the line (or raise with fullgraph=True);
compiled training steps train an MLP to eager's weights."""

from __future__ import annotations

import contextlib
import copy
import inspect
import warnings

import pytest

import chainrule as cr
import chainrule.nn.functional as F
from chainrule import func, nn
from chainrule.compiler import CompiledFunction, OptimizedModule, TraceError

HERE = __file__


def _line_of(fn, text: str) -> int:
    """The line number of the first line of ``fn``'s source holding ``text``."""
    lines, start = inspect.getsourcelines(fn)
    for i, line in enumerate(lines):
        if text in line:
            return start + i
    raise AssertionError(f"{text!r} not in {fn}")


@contextlib.contextmanager
def _no_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


def _close(a, b, rtol=1e-6, atol=1e-7) -> None:
    assert a.dtype == b.dtype and a.shape == b.shape
    assert cr.allclose(a, b, rtol=rtol, atol=atol), (a - b).abs().max()


# ------------------------------------------------------------------ values
def f_elementwise(x, y):
    return (x * y).sin() + x.exp() / (1 + y**2)


def f_matmul_softmax(x, w):
    return F.softmax(x @ w, dim=-1).sum(0)


def f_reductions(x):
    return x.mean(), x.max(dim=1).values, x.logsumexp(0), x.var()


def f_pytree(xs, scale=2.0):
    a, b = xs["a"], xs["b"]
    return {"sum": a + b, "pair": (a * scale, [b - 1, None]), "n": 3}


@pytest.mark.parametrize(
    "fn, make",
    [
        (f_elementwise, lambda: (cr.randn(4, 3), cr.randn(4, 3))),
        (f_matmul_softmax, lambda: (cr.randn(5, 3), cr.randn(3, 7))),
        (f_reductions, lambda: (cr.randn(4, 6),)),
    ],
)
def test_same_values_as_eager(fn, make):
    c = cr.compile(fn)
    for _ in range(2):  # the first call traces, the second runs the cached graph
        args = make()
        want = fn(*args)
        got = c(*args)
        want = want if isinstance(want, tuple) else (want,)
        got = got if isinstance(got, tuple) else (got,)
        for g, w in zip(got, want, strict=True):
            assert cr.equal(g, w)
    assert c.traces == 1


def test_pytrees_in_and_out_and_constants():
    c = cr.compile(f_pytree)
    xs = {"a": cr.randn(3), "b": cr.randn(3)}
    got, want = c(xs, scale=3.0), f_pytree(xs, scale=3.0)
    assert set(got) == {"sum", "pair", "n"} and got["n"] == 3
    assert cr.equal(got["sum"], want["sum"])
    assert cr.equal(got["pair"][0], want["pair"][0])
    assert cr.equal(got["pair"][1][0], want["pair"][1][0]) and got["pair"][1][1] is None
    assert c.traces == 1
    c(xs, scale=3.0)
    assert c.traces == 1
    got = c(xs, scale=4.0)  # a new constant: a new graph with 4.0 baked in
    assert c.traces == 2
    assert cr.equal(got["pair"][0], xs["a"] * 4.0)


def test_mlp_forward_matches_eager():
    cr.manual_seed(0)
    net = nn.Sequential(
        nn.Linear(12, 16), nn.ReLU(), nn.Linear(16, 16), nn.Tanh(), nn.Linear(16, 4)
    )
    fast = cr.compile(net)
    assert isinstance(fast, OptimizedModule) and fast._orig_mod is net
    x = cr.randn(8, 12)
    with cr.no_grad():
        assert cr.equal(fast(x), net(x))
        assert cr.equal(fast(x), net(x))
    assert fast.traces == 1
    assert len(list(fast.parameters())) == 6  # everything else is the module's


def test_module_compile_in_place():
    cr.manual_seed(0)
    net = nn.Sequential(nn.Linear(3, 5), nn.ReLU(), nn.Linear(5, 2))
    ref = copy.deepcopy(net)
    assert net.compile() is None
    x = cr.randn(4, 3)
    with cr.no_grad():
        assert cr.equal(net(x), ref(x))
    assert net._compiled_call_impl.traces == 1


# ------------------------------------------------------------------ signatures
def test_retrace_on_shape_dtype_requires_grad_and_grad_mode():
    c = cr.compile(lambda x: (x * x).sum(0))
    c(cr.ones(2, 3))
    c(cr.ones(2, 3) * 5)
    assert c.traces == 1
    r = c(cr.ones(4, 3))  # new shape
    assert c.traces == 2 and r.shape == (3,) and r.tolist() == [4.0, 4.0, 4.0]
    r = c(cr.ones(2, 3, dtype=cr.float64))  # new dtype
    assert c.traces == 3 and r.dtype == cr.float64
    x = cr.ones(2, 3, requires_grad=True)  # requires_grad: a differentiable call
    r = c(x)
    assert c.traces == 4 and r.requires_grad
    with cr.no_grad():
        r = c(x)  # grad mode off: another graph, a result without history
    assert c.traces == 5 and not r.requires_grad
    c(cr.ones(4, 3))  # back to a known signature: cached
    assert c.traces == 5
    assert len(c.graphs()) == 5


def test_tensors_read_from_outside_are_read_each_call():
    w = cr.ones(3)
    c = cr.compile(lambda x: x * w)
    assert c(cr.ones(3)).tolist() == [1.0, 1.0, 1.0]
    w.mul_(3)  # an in-place update of a closure tensor is seen
    assert c(cr.ones(3)).tolist() == [3.0, 3.0, 3.0]
    w.data = cr.full((3,), 5.0)  # so is a new array behind the same tensor
    assert c(cr.ones(3)).tolist() == [5.0, 5.0, 5.0]
    assert c.traces == 1
    w.data = cr.ones(4)  # a new shape: traced again
    assert c(cr.ones(4)).tolist() == [1.0] * 4
    assert c.traces == 2


SCALE = cr.tensor(2.0)


def scaled(x):
    return x * SCALE


def test_rebinding_a_global_traces_again():
    global SCALE
    c = cr.compile(scaled)
    assert c(cr.ones(2)).tolist() == [2.0, 2.0]
    old = SCALE
    try:
        SCALE = cr.tensor(7.0)
        assert c(cr.ones(2)).tolist() == [7.0, 7.0]
        assert c.traces == 2
    finally:
        SCALE = old


def test_module_parameters_are_graph_inputs():
    net = nn.Linear(2, 1)
    fast = cr.compile(net)
    x = cr.ones(1, 2)
    with cr.no_grad():
        fast(x)
        net.weight.fill_(1.0)
        net.bias.fill_(0.5)
        assert fast(x).item() == 2.5
    (inputs,) = [g.inputs for g in fast._compiled.graphs()]
    assert len(inputs) == 3  # x, weight, bias: nothing baked in as a constant


# ------------------------------------------------------------------ fallbacks
def branchy(x):
    if x.sum() > 0:  # data-dependent
        return x * 2
    return -x


def uses_item(x):
    k = x.max().item()  # data-dependent
    return x / k


def uses_float(x):
    return x * float(x.mean())  # data-dependent


@pytest.mark.parametrize(
    "fn, text", [(branchy, "if x.sum() > 0"), (uses_item, ".item()"), (uses_float, "float(x.mean")]
)
def test_data_dependent_control_flow_falls_back_with_the_line(fn, text):
    c = cr.compile(fn)
    x = cr.tensor([1.0, -3.0, 4.0])
    with pytest.warns(UserWarning) as rec:
        got = c(x)
    (w,) = [r for r in rec if "chainrule.compile" in str(r.message)]
    msg = str(w.message)
    assert f"{HERE}:{_line_of(fn, text)}" in msg and "reads a tensor's value" in msg
    assert w.filename == HERE  # the warning points at the caller
    assert cr.equal(got, fn(x))
    with _no_warnings():  # warned once: the same signature runs eagerly, quietly
        assert cr.equal(c(-x), fn(-x))
    assert c.fallbacks == 1 and c.traces == 1


def test_fullgraph_raises_with_the_line():
    c = cr.compile(branchy, fullgraph=True)
    with pytest.raises(TraceError, match=f"{_line_of(branchy, 'if x.sum')}"):
        c(cr.ones(2))

    @cr.compile(fullgraph=True)
    def ok(x):
        return x + 1

    assert ok(cr.ones(2)).tolist() == [2.0, 2.0]


def test_random_draws_fall_back_and_draw_what_eager_draws():
    drop = nn.Dropout(0.5)
    fast = cr.compile(drop)
    x = cr.ones(20)
    cr.manual_seed(3)
    with pytest.warns(UserWarning, match="random numbers"):
        got = fast(x)
    cr.manual_seed(3)
    assert cr.equal(got, drop(x))
    drop.eval()  # no draws: traced
    with _no_warnings():
        assert cr.equal(fast(x), x)


def test_outputs_that_are_not_tensors_fall_back():
    class Box:
        def __init__(self, t):
            self.t = t

    c = cr.compile(lambda x: Box(x + 1))
    with pytest.warns(UserWarning, match="returns a Box"):
        out = c(cr.ones(2))
    assert out.t.tolist() == [2.0, 2.0]
    with pytest.raises(TraceError, match="returns a Box"):
        cr.compile(lambda x: Box(x + 1), fullgraph=True)(cr.ones(2))


def test_unhashable_argument_falls_back():
    class Opts:
        __hash__ = None
        k = 3.0

    c = cr.compile(lambda x, o: x * o.k)
    with pytest.warns(UserWarning, match="neither a tensor nor hashable"):
        assert c(cr.ones(2), Opts()).tolist() == [3.0, 3.0]
    assert c.traces == 0


def test_user_errors_are_raised_not_cached():
    c = cr.compile(lambda x, y: x + y)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(RuntimeError, match="must match the size"):
            c(cr.ones(2), cr.ones(3))
    assert c(cr.ones(2), cr.ones(2)).tolist() == [2.0, 2.0]


def test_decorator_forms_and_disable():
    @cr.compile
    def f(x):
        return x + 1

    assert isinstance(f, CompiledFunction) and f.__name__ == "f"

    def g(x):
        return x

    assert cr.compile(g, disable=True) is g
    assert isinstance(cr.compile(mode="max-autotune")(g), CompiledFunction)
    with pytest.raises(RuntimeError, match="callable"):
        cr.compile(3)
    cr.compiler.reset()
    f(cr.ones(1))
    cr.compiler.reset()
    f(cr.ones(1))
    assert f.traces == 2


# ------------------------------------------------------------------ gradients
def test_compiled_module_backward_fills_grads_like_eager():
    cr.manual_seed(1)
    net = nn.Sequential(nn.Linear(6, 8), nn.Tanh(), nn.Linear(8, 3))
    ref = copy.deepcopy(net)
    fast = cr.compile(net)
    x = cr.randn(5, 6)
    xa = x.clone().requires_grad_()
    xb = x.clone().requires_grad_()
    out = fast(xa)
    assert out.grad_fn is not None
    (out**2).sum().backward()
    (ref(xb) ** 2).sum().backward()
    for p, q in zip(net.parameters(), ref.parameters(), strict=True):
        _close(p.grad, q.grad)
    _close(xa.grad, xb.grad)


def loss_fn(params, x, y):
    h = x
    for i in range(0, len(params), 2):
        h = h @ params[i] + params[i + 1]
        if i + 2 < len(params):
            h = h.relu()
    return -F.log_softmax(h, 1).gather(1, y[:, None]).mean()


def _init(sizes=(20, 16, 16, 10)):
    g = cr.Generator().manual_seed(1)
    out = []
    for a, b in zip(sizes[:-1], sizes[1:], strict=True):
        out += [cr.randn(a, b, generator=g) * 0.3, cr.randn(b, generator=g) * 0.1]
    return out


def test_compiled_func_grad_matches_eager():
    params = _init()
    grad_fn = cr.compile(func.grad(loss_fn))
    for seed in range(3):
        cr.manual_seed(seed)
        x, y = cr.randn(8, 20), cr.randint(0, 10, (8,))
        for g, w in zip(grad_fn(params, x, y), func.grad(loss_fn)(params, x, y), strict=True):
            _close(g, w)
    assert grad_fn.traces == 1


def sgd_step(params, x, y, lr=0.1):
    g = func.grad(loss_fn)(params, x, y)
    return [p - lr * gi for p, gi in zip(params, g, strict=True)]


def test_compiled_training_step_trains_to_eager_weights():
    step = cr.compile(sgd_step, fullgraph=True)
    pe, pc = _init(), _init()
    cr.manual_seed(0)
    for _ in range(8):
        x, y = cr.randn(16, 20), cr.randint(0, 10, (16,))
        pe, pc = sgd_step(pe, x, y), step(pc, x, y)
    for a, b in zip(pe, pc, strict=True):
        _close(a, b)
    assert step.traces == 1
    assert any(not cr.equal(a, b) for a, b in zip(pe, _init(), strict=True))  # it trained


def test_compiled_module_in_an_eager_training_loop():
    cr.manual_seed(2)
    net = nn.Sequential(nn.Linear(20, 16), nn.ReLU(), nn.Linear(16, 10))
    ref = copy.deepcopy(net)
    fast = cr.compile(net)
    opt = cr.optim.SGD(net.parameters(), lr=0.1, momentum=0.9)
    opt_ref = cr.optim.SGD(ref.parameters(), lr=0.1, momentum=0.9)
    for _ in range(6):
        x, y = cr.randn(8, 20), cr.randint(0, 10, (8,))
        for m, o in ((fast, opt), (ref, opt_ref)):
            o.zero_grad()
            F.cross_entropy(m(x), y).backward()
            o.step()
    for p, q in zip(net.parameters(), ref.parameters(), strict=True):
        _close(p, q, rtol=1e-5, atol=1e-6)
    assert fast.traces == 1


def test_imperative_step_compiles_after_its_first_call_makes_the_momentum():
    # (was: the imperative step fell back to eager; it compiles now, issue 13). Its first
    # call makes the optimizer's state (momentum buffers) and runs eagerly, with one
    # warning; from the second call on the step is a graph whose writes are written back
    cr.manual_seed(4)
    net = nn.Sequential(nn.Linear(20, 16), nn.ReLU(), nn.Linear(16, 10))
    ref = copy.deepcopy(net)
    opt = cr.optim.SGD(net.parameters(), lr=0.1, momentum=0.9)
    opt_ref = cr.optim.SGD(ref.parameters(), lr=0.1, momentum=0.9)

    def step(x, y):
        opt.zero_grad()
        loss = -F.log_softmax(net(x), 1).gather(1, y[:, None]).mean()
        loss.backward()
        opt.step()
        return loss

    c = cr.compile(step)
    for i in range(4):
        x, y = cr.randn(8, 20), cr.randint(0, 10, (8,))
        if i == 0:
            with pytest.warns(UserWarning, match="changes the state of a SGD") as rec:
                got = c(x, y)
            assert len([r for r in rec if "chainrule.compile" in str(r.message)]) == 1
        else:
            with _no_warnings():
                got = c(x, y)
        opt_ref.zero_grad()
        want = -F.log_softmax(ref(x), 1).gather(1, y[:, None]).mean()
        want.backward()
        opt_ref.step()
        _close(got, want.detach(), rtol=1e-5, atol=1e-6)
    for p, q in zip(net.parameters(), ref.parameters(), strict=True):
        _close(p.detach(), q.detach(), rtol=1e-5, atol=1e-6)
        _close(p.grad, q.grad, rtol=1e-5, atol=1e-6)
    assert c.traces == 2 and c.fallbacks == 1
    full = cr.compile(step, fullgraph=True)  # the state is there: it traces whole
    full(x, y)
    assert full.traces == 1 and full.fallbacks == 0
    for p in net.parameters():  # the trace left no symbolic value behind
        assert type(p._data).__name__ == "ndarray" and type(p.grad._data).__name__ == "ndarray"
    for st in opt.state.values():
        assert type(st["momentum_buffer"]._data).__name__ == "ndarray"


def test_double_backward_through_a_compiled_call_is_refused():
    c = cr.compile(lambda x: (x**3).sum())
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    (g,) = cr.autograd.grad(c(x), x)  # first order: the vjp graph
    assert g.tolist() == [3.0, 12.0]
    with pytest.raises(RuntimeError, match="not differentiable"):
        cr.autograd.grad(c(x), x, create_graph=True)


def test_batchnorm_falls_back_and_updates_its_statistics_once():
    cr.manual_seed(5)
    net = nn.Sequential(nn.Linear(4, 6), nn.BatchNorm1d(6), nn.ReLU())
    ref = copy.deepcopy(net)
    fast = cr.compile(net)
    x = cr.randn(8, 4)
    with pytest.warns(UserWarning, match=r"Sequential could not be traced at .*normalization"):
        got = fast(x)  # running statistics are written in place: eager
    assert cr.equal(got, ref(x))
    assert cr.equal(net[1].running_mean, ref[1].running_mean)  # updated once, not twice
    assert int(net[1].num_batches_tracked) == 1


def test_train_and_eval_are_guarded():
    cr.manual_seed(6)
    net = nn.Sequential(nn.Linear(4, 6), nn.Dropout(0.5))
    ref = copy.deepcopy(net)
    fast = cr.compile(net)
    x = cr.randn(3, 4)
    net.eval()
    ref.eval()
    with _no_warnings(), cr.no_grad():
        assert cr.equal(fast(x), ref(x))  # traced without dropout
    assert fast.traces == 1
    for flip in (lambda m: m[1].train(), lambda m: m.train()):  # a submodule, then all
        flip(net)
        flip(ref)
        cr.manual_seed(7)
        with pytest.warns(UserWarning, match="random numbers"), cr.no_grad():
            got = fast(x)  # not the evaluation graph: dropout draws, so eager
        cr.manual_seed(7)
        with cr.no_grad():
            assert cr.equal(got, ref(x))
        assert (got == 0).any()
    assert fast.traces == 3


def test_nested_compiled_functions_inline():
    inner = cr.compile(lambda x: x.sin() * 2)
    outer = cr.compile(lambda x: inner(x) + inner(x + 1))
    x = cr.randn(3)
    assert cr.equal(outer(x), x.sin() * 2 + (x + 1).sin() * 2)
    assert outer.traces == 1 and inner.traces == 0
    from chainrule import sym

    assert str(inner(sym.var("a", (3,)))) == "sin(a) * 2"  # symbolic arguments: a graph


def test_backward_graph_reads_saved_values_instead_of_recomputing():
    net = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2))
    fast = cr.compile(net)
    x = cr.randn(5, 3)
    fast(x).sum().backward()
    (g,) = fast._compiled._cache.values()
    needs, forward, backward, outs, _reach = g.diff
    assert needs == (False, True, True, True, True)  # x; the four parameters
    names = {n.prim.name for n in backward.order if n.prim is not None}
    assert "tanh" in {n.prim.name for n in forward.order if n.prim is not None}
    assert "tanh" not in names and "addmm" not in names  # tanh' from the saved output
    assert outs == [0]


def test_a_module_passed_as_an_argument_gets_its_gradients():
    cr.manual_seed(8)
    net = nn.Linear(3, 2)
    ref = copy.deepcopy(net)

    def f(model, x):
        return (model(x) ** 2).sum()

    c = cr.compile(f)
    x = cr.randn(4, 3)
    c(net, x).backward()
    f(ref, x).backward()
    _close(net.weight.grad, ref.weight.grad)
    _close(net.bias.grad, ref.bias.grad)
    with cr.no_grad():
        net.weight.zero_()
        assert cr.equal(c(net, x), (net.bias**2).sum() * 4)  # read at the call
    assert c.traces == 2  # (grad mode on, then off)


def test_tensors_behind_objects_and_cells_are_inputs_and_guarded():
    class Holder:
        def __init__(self, w):
            self.w = w

    h = Holder(cr.ones(2, requires_grad=True))
    c = cr.compile(lambda x: (x * h.w).sum())
    x = cr.tensor([1.0, 2.0])
    c(x).backward()
    assert h.w.grad.tolist() == [1.0, 2.0]
    h.w = cr.full((2,), 3.0, requires_grad=True)  # another tensor in the attribute
    assert c(x).item() == 9.0
    assert c.traces == 2

    scale = cr.tensor(2.0)

    def g(x):
        return x * scale

    cg = cr.compile(g)
    assert cg(x).tolist() == [2.0, 4.0]
    scale = cr.tensor(5.0)  # the closure cell now holds another tensor  # noqa: F841
    assert cg(x).tolist() == [5.0, 10.0]
    assert cg.traces == 2


def test_a_tensor_the_search_misses_is_found_through_autograd():
    w = cr.tensor([1.0, 2.0], requires_grad=True)
    deep = {"a": [[[w]]]}  # deeper than the search goes

    def f(x):
        return (x * deep["a"][0][0][0]).sum()

    c = cr.compile(f)
    x = cr.tensor([3.0, 4.0])
    c(x).backward()
    assert w.grad.tolist() == [3.0, 4.0]
    (g,) = c.graphs()
    assert len(g.inputs) == 2 and c.traces == 1
    assert c._extra == [w]  # (found by the second way, not by the search)


def test_too_many_signatures_run_eagerly():
    c = cr.compile(lambda x, k: x * k)
    x = cr.ones(1)
    with pytest.warns(UserWarning, match="signatures") as rec:
        for k in range(70):
            assert c(x, k).item() == k
    assert len([r for r in rec if "signatures" in str(r.message)]) == 1
    assert c.traces == 64


def _detached(w):
    return (w * w.detach()).sum()


def _no_grad_inside(w):
    with cr.no_grad():
        s = w * 3
    return (w * s).sum() + w.sum()


@pytest.mark.parametrize("fn", [_detached, _no_grad_inside])
def test_detach_and_no_grad_inside_are_kept_by_the_backward(fn):
    w = cr.tensor([1.0, 2.0], requires_grad=True)
    fn(w).backward()
    want = w.grad
    w.grad = None
    c = cr.compile(fn)
    c(w).backward()
    assert cr.equal(w.grad, want)


def test_a_compiled_method_and_copies_of_an_optimized_module():
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = nn.Linear(3, 2)

        @cr.compile
        def forward(self, x):
            return self.lin(x).tanh()

    cr.manual_seed(9)
    net = Net()
    x = cr.randn(4, 3, requires_grad=True)
    out = net(x)
    assert cr.equal(out, net.lin(x).tanh())
    out.sum().backward()
    got = (net.lin.weight.grad, x.grad)
    net.zero_grad()
    x2 = x.detach().requires_grad_()
    Net.forward._fn(net, x2).sum().backward()  # the function itself, eagerly
    _close(got[0], net.lin.weight.grad)
    _close(got[1], x2.grad)
    fast = cr.compile(nn.Linear(2, 2))
    twin = copy.deepcopy(fast)
    assert cr.equal(twin._orig_mod.weight, fast._orig_mod.weight)


def test_autograd_grad_of_a_symbolic_graph_is_a_graph():
    # (what tracing chainrule.func.grad relies on: autograd.grad without create_graph on
    # symbolic values runs the rules on tensors, which make graph nodes)
    from chainrule import sym

    x = sym.var("x", (3,)).requires_grad_()
    (g,) = cr.autograd.grad((x.sin() * x).sum(), x)
    v = cr.tensor([0.5, 1.0, 2.0])
    assert cr.allclose(g.eval(x=v), v.cos() * v + v.sin())


def test_state_changed_while_tracing_is_put_back():
    class Remember(nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = nn.Linear(2, 2)

        def forward(self, x):
            out = self.lin(x)
            self.last = out  # state a graph does not return
            return out

    net = Remember()
    fast = cr.compile(net)
    x = cr.ones(1, 2)
    with pytest.warns(UserWarning, match="changes the attributes of a Remember"):
        out = fast(x)
    assert type(net.last._data).__name__ == "ndarray" and cr.equal(net.last, out)
    with pytest.warns(UserWarning, match="changes the attributes"):
        fast(x)  # the second time, the signature is left to eager
    fast(x)
    assert fast.traces == 2 and fast.fallbacks == 2


def test_an_optimizer_step_without_backward_falls_back_and_keeps_its_state():
    cr.manual_seed(10)
    net = nn.Sequential(nn.Linear(5, 4), nn.Tanh(), nn.Linear(4, 3))
    ref = copy.deepcopy(net)
    opt = cr.optim.Adam(net.parameters(), lr=0.01)
    opt_ref = cr.optim.Adam(ref.parameters(), lr=0.01)

    def step(model, o, x, y):
        loss = ((model(x) - y) ** 2).mean()
        grads = cr.autograd.grad(loss, list(model.parameters()))
        for p, g in zip(model.parameters(), grads, strict=True):
            p.grad = g
        o.step()
        return loss

    c = cr.compile(step)
    for i in range(3):
        x, y = cr.randn(6, 5), cr.randn(6, 3)
        if i == 0:
            with pytest.warns(
                UserWarning, match="changes the state of a Adam|cannot be written in place"
            ):
                c(net, opt, x, y)
        else:
            c(net, opt, x, y)
        step(ref, opt_ref, x, y)
    for p, q in zip(net.parameters(), ref.parameters(), strict=True):
        assert cr.equal(p, q)
    for p in net.parameters():
        assert all(type(v._data).__name__ == "ndarray" for v in opt.state[p].values() if
                   isinstance(v, cr.Tensor))  # fmt: skip


def test_boolean_mask_indexing_falls_back():
    def positive_column(x):
        return x[x > 0].view(-1, 1)  # as many rows as x has positive entries

    c = cr.compile(positive_column)
    x = cr.tensor([1.0, -2.0, 3.0])
    with pytest.warns(UserWarning, match="boolean mask"):
        assert cr.equal(c(x), positive_column(x))
    assert cr.equal(c(-x), positive_column(-x))  # (an integer index is fine: traced)
    idx = cr.compile(lambda x, i: x[i] * 2)
    with _no_warnings():
        assert idx(x, cr.tensor([2, 0])).tolist() == [6.0, 2.0]


def test_draws_from_a_generator_it_reaches_fall_back():
    g = cr.Generator().manual_seed(11)

    def noisy(x):
        return x + cr.randn(x.shape, generator=g)

    c = cr.compile(noisy)
    x = cr.zeros(3)
    with pytest.warns(UserWarning, match="random numbers"):
        a = c(x)
    b = c(x)
    assert not cr.equal(a, b)  # a fresh draw each call, as eagerly
    g.manual_seed(11)
    assert cr.equal(a, noisy(x)) and cr.equal(b, noisy(x))
    h = cr.Generator().manual_seed(12)
    c2 = cr.compile(lambda x, gen: x + cr.rand(3, generator=gen))
    with pytest.warns(UserWarning, match="random numbers"):
        c2(x, h)


# In-place writes while tracing: into an input (an argument, a parameter, through a view of
# it) they are written back after each compiled call (the graph returns the written values);
# where that cannot be done (a detached alias, a write under grad mode whose result is
# differentiated) the function runs eagerly; into values it computed (functionalized by
# chainrule.sym) they compile.
def _inplace_cases():
    def arg_add(x, b):
        b.add_(x)
        return b * 2

    def arg_view(x, b):
        b[0].add_(x[0])
        return b * 2

    def arg_setitem(x, b):
        b[1] = x[0]
        return b * 2

    def arg_alias(x, b):
        b.detach().mul_(2)
        return b + x

    def param_data(m, x):
        y = m(x)
        m.weight.data.mul_(0.5)
        return y

    def param_no_grad(m, x):
        y = m(x)
        with cr.no_grad():
            m.bias.add_(1.0)
        return y

    def param_no_grad_detached(m, x):
        with cr.no_grad():
            y = m(x)
            m.bias.add_(1.0)
            m.weight[0].mul_(0.5)
        return y

    def alias_of_result(m, x):
        h = m(x).detach()
        h[:, 0].mul_(3)
        return h

    def vec():
        return cr.ones(3), cr.zeros(3)

    def mod():
        cr.manual_seed(1)
        return nn.Linear(3, 2), cr.ones(4, 3)

    # (fn, its arguments, whether its writes are written back: it compiles)
    return [
        (arg_add, vec, True),
        (arg_view, vec, True),
        (arg_setitem, vec, True),
        (arg_alias, vec, False),
        (param_data, mod, False),
        (param_no_grad, mod, False),
        (param_no_grad_detached, mod, True),
        (alias_of_result, mod, False),
    ]


@pytest.mark.parametrize(
    "fn,make,compiles", _inplace_cases(), ids=lambda c: getattr(c, "__name__", str(c))
)
def test_in_place_writes_into_inputs_write_back_or_fall_back_with_eager_values(fn, make, compiles):
    # (was: every write into an input fell back; written back now where it can be)
    a_args, b_args = make(), make()
    c = cr.compile(fn)
    for i in range(3):
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            got = c(*a_args)
        want = fn(*b_args)
        assert cr.equal(got, want)
        for p, q in zip(a_args, b_args, strict=True):
            if isinstance(p, cr.Tensor):
                assert cr.equal(p, q) and p._version == q._version
            else:
                for s, t in zip(p.parameters(), q.parameters(), strict=True):
                    assert cr.equal(s, t) and s._version == t._version
        if i == 0 and not compiles:
            assert len(w) == 1 and "chainrule.compile" in str(w[0].message)
        else:
            assert not [r for r in w if "chainrule.compile" in str(r.message)]
    assert (c.traces, c.fallbacks) == ((1, 0) if compiles else (1, 1))


def test_in_place_writes_into_computed_values_compile():
    def f(x):
        h = x * 2
        h[0] = -1.0
        h[1:].mul_(3)
        return h.relu_() + 1

    c = cr.compile(f, fullgraph=True)
    for _ in range(2):
        x = cr.randn(5)
        assert cr.equal(c(x), f(x))
    assert c.traces == 1 and c.fallbacks == 0


# ------------------------------------------------------------------ imperative steps
# The PyTorch-style step (zero_grad, loss, backward, step) compiled: backward() in the
# trace makes the gradients' nodes and accumulates them into .grad; each call writes the
# parameters, the optimizer's state and .grad back. Values agree with eager's to float32
# rounding, not bitwise: the weights' gradients come out bitwise equal, but a bias's
# broadcast gradient is summed over the batch by the table's sum in the graph (float32
# accumulated in float64, as PyTorch's kernel) and by NumPy's float32 add.reduce in eager's
# first-order backward (sum_to); the last bits differ, and the updates carry them on.
def _mlp_step(opt_name, set_to_none=True, **kw):
    cr.manual_seed(0)
    net = nn.Sequential(
        nn.Linear(12, 16), nn.ReLU(), nn.Linear(16, 16), nn.Tanh(), nn.Linear(16, 4)
    )
    opt = getattr(cr.optim, opt_name)(net.parameters(), **kw)

    def step(x, y):
        opt.zero_grad(set_to_none=set_to_none)
        loss = ((net(x) - y) ** 2).mean()
        loss.backward()
        opt.step()
        return loss

    return net, opt, step


@pytest.mark.parametrize(
    "opt_name,kw,state_made",
    [
        ("SGD", dict(lr=0.1), False),
        ("SGD", dict(lr=0.05, momentum=0.9, nesterov=True), True),
        ("SGD", dict(lr=0.05, momentum=0.9, weight_decay=1e-2), True),
        ("Adam", dict(lr=1e-2), True),
        ("AdamW", dict(lr=1e-2, amsgrad=True), True),
    ],
)
def test_compiled_imperative_step_trains_like_eager(opt_name, kw, state_made):
    net, opt, step = _mlp_step(opt_name, **kw)
    ref, opt_ref, step_ref = _mlp_step(opt_name, **kw)
    c = cr.compile(step)
    for i in range(6):
        x, y = cr.randn(10, 12), cr.randn(10, 4)
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            got = c(x, y)
        mine = [str(r.message) for r in w if "chainrule.compile" in str(r.message)]
        # the first call makes the optimizer's state (momentum, Adam's moments): it runs
        # eagerly, once; no call warns after it
        assert len(mine) == (1 if i == 0 and state_made else 0)
        want = step_ref(x, y)
        if i or not state_made:  # a graph's loss: not differentiable again (eager's graph
            assert not got.requires_grad  # of it was freed by backward)
        _close(got, want.detach(), rtol=1e-5, atol=1e-6)
        for p, q in zip(net.parameters(), ref.parameters(), strict=True):
            _close(p.detach(), q.detach(), rtol=1e-5, atol=1e-6)
            _close(p.grad, q.grad, rtol=1e-5, atol=1e-6)
            assert not p.grad.requires_grad and p.grad.grad_fn is None
    for p, q in zip(net.parameters(), ref.parameters(), strict=True):
        for k, v in opt_ref.state[q].items():
            _close(opt.state[p][k], v, rtol=1e-5, atol=1e-6)
    # traced twice: the first trace has no .grad to read (the first step's .grad is None)
    # or makes state (then runs eagerly); the second one is the step's graph for good
    assert c.traces == 2 and c.fallbacks == (1 if state_made else 0)
    assert isinstance(opt.state[next(net.parameters())].get("step", cr.zeros(())), cr.Tensor)


def test_compiled_step_writes_into_arrays_the_caller_holds():
    # the parameters' arrays and the optimizer's buffers are written in place: a view of
    # a weight taken before the calls, and the momentum buffer object, see each update
    net, opt, step = _mlp_step("SGD", lr=0.1, momentum=0.5)
    ref, opt_ref, step_ref = _mlp_step("SGD", lr=0.1, momentum=0.5)
    c = cr.compile(step)
    x, y = cr.randn(10, 12), cr.randn(10, 4)
    with pytest.warns(UserWarning, match="state"):
        c(x, y)
    step_ref(x, y)
    w = net[0].weight
    row = w.detach()[0]
    buf = opt.state[w]["momentum_buffer"]
    v0 = w._version
    for _ in range(3):
        c(x, y)
        step_ref(x, y)
    assert opt.state[w]["momentum_buffer"] is buf
    _close(buf, opt_ref.state[ref[0].weight]["momentum_buffer"], rtol=1e-5, atol=1e-6)
    assert cr.equal(row, w.detach()[0])
    _close(row, ref[0].weight.detach()[0], rtol=1e-5, atol=1e-6)
    assert w._version == v0 + 3  # one in-place write per step, as eager's p.add_
    assert c.traces == 2 and c.fallbacks == 1


def test_write_back_into_an_argument_and_the_callers_views_of_it():
    def f(x, b):
        b.add_(x)
        b[1:].mul_(2)
        return b.sum()

    c = cr.compile(f, fullgraph=True)
    b, b_ref = cr.zeros(4), cr.zeros(4)
    v, v_ref = b[2:], b_ref[2:]
    for i in range(3):
        x = cr.arange(4.0) + i
        assert cr.equal(c(x, b), f(x, b_ref))
        assert cr.equal(b, b_ref) and cr.equal(v, v_ref)
        assert b._version == b_ref._version
    assert c.traces == 1 and c.fallbacks == 0
    # the same tensor passed twice: eager sees its own write through the other name, a
    # graph read them as two values: that call runs eagerly (no wrong number)
    b2, b2_ref = cr.ones(4), cr.ones(4)
    c(b2, b2)
    f(b2_ref, b2_ref)
    assert cr.equal(b2, b2_ref) and cr.equal(b2, cr.full((4,), 2.0) * cr.tensor([1.0, 2, 2, 2]))


def test_backward_without_zero_grad_accumulates_like_eager():
    cr.manual_seed(3)
    lin = nn.Linear(5, 3)
    ref = copy.deepcopy(lin)

    def f(x):
        loss = lin(x).square().sum()
        loss.backward()
        return loss

    def f_ref(x):
        loss = ref(x).square().sum()
        loss.backward()
        return loss

    c = cr.compile(f, fullgraph=True)
    held = None
    for i in range(4):
        x = cr.randn(2, 5)
        c(x)
        f_ref(x)
        _close(lin.weight.grad, ref.weight.grad, rtol=1e-5, atol=1e-6)
        _close(lin.bias.grad, ref.bias.grad, rtol=1e-5, atol=1e-6)
        if i == 1:
            held = lin.weight.grad
        if i > 1:  # accumulated in place into the same .grad, as eager's
            assert lin.weight.grad is held
    # the first trace had no .grad (backward makes it), the second adds into one
    assert c.traces == 2 and c.fallbacks == 0
    lin.zero_grad(set_to_none=False)  # zeros in place: .grad is kept, the graph adds into it
    ref.zero_grad(set_to_none=False)
    c(x), f_ref(x)
    assert lin.weight.grad is held
    _close(lin.weight.grad, ref.weight.grad, rtol=1e-5, atol=1e-6)
    lin.zero_grad()  # None: another graph (a new .grad made)
    ref.zero_grad()
    c(x), f_ref(x)
    _close(lin.weight.grad, ref.weight.grad, rtol=1e-5, atol=1e-6)
    assert c.traces == 3


def test_writes_that_cannot_be_written_back_fall_back_with_eager_values():
    lin = nn.Linear(3, 2)
    ref = copy.deepcopy(lin)

    def grad_is_argument(m, x):  # .grad bound to the caller's tensor: not a fresh value
        m.weight.grad = x
        return x * 2

    def data_rebound(m, x):  # x.data = y: the parameter names another array
        m.bias.data = x[0, :2] * 1
        return x.sum()

    for fn in (grad_is_argument, data_rebound):
        c = cr.compile(fn)
        x = cr.ones(2, 3) if fn is grad_is_argument else cr.ones(4, 3)
        with pytest.warns(UserWarning, match="chainrule.compile"):
            got = c(lin, x)
        want = fn(ref, x.clone())
        assert cr.equal(got, want) and cr.equal(lin.bias, ref.bias)
        assert c.fallbacks == 1
        with pytest.raises(TraceError):
            cr.compile(fn, fullgraph=True)(lin, x)
    assert lin.weight.grad is not None and type(lin.weight.grad._data).__name__ == "ndarray"


def test_backward_in_a_trace_into_an_arguments_grad_falls_back():
    def f(w):
        (w * w).sum().backward()
        return w.grad * 1

    c = cr.compile(f)
    w, w_ref = cr.ones(3, requires_grad=True), cr.ones(3, requires_grad=True)
    with pytest.warns(UserWarning, match="argument 0"):
        got = c(w)
    assert cr.equal(got, f(w_ref)) and cr.equal(w.grad, w_ref.grad)


def test_compiled_step_traces_again_when_the_optimizer_changes():
    # the learning rate is a constant of the step's graph: a scheduler's change between
    # calls traces again (no stale lr); so does a state entry replaced
    net, opt, step = _mlp_step("SGD", lr=0.1, momentum=0.9)
    ref, opt_ref, step_ref = _mlp_step("SGD", lr=0.1, momentum=0.9)
    sched = cr.optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
    sched_ref = cr.optim.lr_scheduler.StepLR(opt_ref, step_size=2, gamma=0.5)
    c = cr.compile(step)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for _ in range(6):
            x, y = cr.randn(10, 12), cr.randn(10, 4)
            c(x, y)
            step_ref(x, y)
            sched.step()
            sched_ref.step()
    for p, q in zip(net.parameters(), ref.parameters(), strict=True):
        _close(p.detach(), q.detach(), rtol=1e-5, atol=1e-6)
    assert c.traces == 4  # state made (eager), then lr 0.1, 0.05, 0.025
    w, w_ref = net[0].weight, ref[0].weight
    opt.state[w]["momentum_buffer"] = cr.zeros_like(w)
    opt_ref.state[w_ref]["momentum_buffer"] = cr.zeros_like(w_ref)
    c(x, y)
    step_ref(x, y)
    assert c.traces == 5
    _close(w.detach(), w_ref.detach(), rtol=1e-5, atol=1e-6)


def test_backward_of_a_symbolic_value_accumulates_gradient_nodes_into_grad():
    # what backward() in a trace does, on chainrule.sym's symbols: .grad holds the
    # gradient's nodes (no history), a second backward adds into it, and a second
    # backward through the same graph without retain_graph raises, as eager's
    from chainrule import sym

    w = sym.var("w", (3,)).requires_grad_()
    loss = (w * w).sum()
    loss.backward()
    g = w.grad
    assert not g.requires_grad and cr.equal(g.eval(w=[1.0, 2.0, 3.0]), cr.tensor([2.0, 4.0, 6.0]))
    (3 * w).sum().backward()
    assert w.grad is g  # added into in place (a new node the same tensor names)
    assert cr.equal(w.grad.eval(w=[1.0, 2.0, 3.0]), cr.tensor([5.0, 7.0, 9.0]))
    with pytest.raises(RuntimeError, match="second time|freed"):
        loss.backward()


def test_compiled_step_with_zero_grad_in_place_keeps_the_grad_tensors():
    # zero_grad(set_to_none=False) zeroes each .grad in place and backward adds into it:
    # the call writes the values back into the same .grad tensors, as eager
    net, opt, step = _mlp_step("SGD", set_to_none=False, lr=0.1, momentum=0.9)
    ref, opt_ref, step_ref = _mlp_step("SGD", set_to_none=False, lr=0.1, momentum=0.9)
    c = cr.compile(step)
    held = None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for i in range(6):
            x, y = cr.randn(10, 12), cr.randn(10, 4)
            c(x, y)
            step_ref(x, y)
            if i == 2:
                held = [p.grad for p in net.parameters()]
            if i > 2:
                assert all(g is p.grad for g, p in zip(held, net.parameters(), strict=True))
    for p, q in zip(net.parameters(), ref.parameters(), strict=True):
        _close(p.detach(), q.detach(), rtol=1e-5, atol=1e-6)
        _close(p.grad, q.grad, rtol=1e-5, atol=1e-6)
    assert c.traces == 2 and c.fallbacks == 1


def test_autograd_grad_in_a_trace_without_create_graph_has_no_history():
    # the trace builds gradients as nodes (create_graph inside), but without the caller's
    # create_graph the result is cut from the graph: eager's gradient of the outputs
    def f(x):
        y = (x * x).sum()
        (g,) = cr.autograd.grad(y, [x], retain_graph=True)
        return y, g

    c = cr.compile(f)
    for fn in (f, c, c):
        x = cr.tensor([1.0, 2.0, 3.0, 4.0], requires_grad=True)
        y, g = fn(x)
        assert not g.requires_grad and cr.equal(g, 2 * x.detach())
        (d,) = cr.autograd.grad(y + (g * x.detach()).sum(), [x])
        assert cr.equal(d, cr.tensor([2.0, 4.0, 6.0, 8.0]))
    assert c.traces == 1 and c.fallbacks == 0


def test_backward_of_an_argument_itself_falls_back_and_sets_its_grad():
    def f(x):
        x.backward(cr.ones_like(x))
        return x * 2

    c = cr.compile(f)
    x, x_ref = cr.ones(2, requires_grad=True), cr.ones(2, requires_grad=True)
    with pytest.warns(UserWarning, match="argument 0"):
        got = c(x)
    assert cr.equal(got, f(x_ref)) and cr.equal(x.grad, x_ref.grad)


def test_backward_of_a_tensor_read_from_outside_itself_sets_its_grad():
    w = cr.ones(3, requires_grad=True)

    def f(x):
        w.backward(cr.full((3,), 2.0))
        return x * 2

    c = cr.compile(f)
    c(cr.ones(3))
    assert cr.equal(w.grad, cr.full((3,), 2.0))


def test_an_input_the_outputs_do_not_depend_on_gets_no_gradient():
    # None, as eager: allow_unused gives None, and .grad stays None (an optimizer skips it)
    c = cr.compile(lambda x, y: x.sum())
    x, y = cr.ones(2, requires_grad=True), cr.ones(2, requires_grad=True)
    gx, gy = cr.autograd.grad(c(x, y), [x, y], allow_unused=True)
    assert cr.equal(gx, cr.ones(2)) and gy is None
    c(x, y).backward()
    assert cr.equal(x.grad, cr.ones(2)) and y.grad is None
    # an input reached through detach only is unused as well
    c2 = cr.compile(lambda x, y: x.sum() + y.detach().sum())
    c2(x, y).backward()
    assert y.grad is None and cr.equal(x.grad, cr.full((2,), 2.0))


def test_an_input_only_outputs_without_a_gradient_reach_gets_no_gradient():
    # the compiled call is one node: an output the loss does not use gets no cotangent,
    # and an input only it reaches gets None, as eager
    c = cr.compile(lambda x, y: (y.sum(), x * 2))
    x, y = cr.ones(2, requires_grad=True), cr.ones(2, requires_grad=True)
    a, b = c(x, y)
    gx, gy = cr.autograd.grad(a, [x, y], allow_unused=True)
    assert gx is None and cr.equal(gy, cr.ones(2))
    a, b = c(x, y)
    (a + b.sum()).backward()
    assert cr.equal(x.grad, cr.full((2,), 2.0)) and cr.equal(y.grad, cr.ones(2))


def test_a_tensor_made_inside_that_requires_grad_is_a_new_leaf_at_each_call():
    # eager makes it anew at each call: a leaf that requires grad (what is computed from
    # it has history to that leaf, which no caller can reach)
    def f(x):
        a = cr.ones_like(x, requires_grad=True)
        return x * 2, a, a * 3, cr.zeros(2)

    c = cr.compile(f)
    outs = [c(cr.ones(2, requires_grad=True)) for _ in range(2)]
    for (_, a, b, z), (_, ref_a, ref_b, ref_z) in zip(outs, [f(cr.ones(2))] * 2, strict=True):
        assert a.requires_grad and a.is_leaf and cr.equal(a, ref_a)
        assert b.requires_grad and not b.is_leaf and cr.equal(b, ref_b)
        assert not z.requires_grad and cr.equal(z, ref_z)
    assert outs[0][1] is not outs[1][1]
    outs[0][1].sum().backward()
    assert cr.equal(outs[0][1].grad, cr.ones(2)) and outs[1][1].grad is None
    assert c.traces == 1 and c.fallbacks == 0


def test_a_view_taken_in_no_grad_of_a_tensor_requiring_grad_requires_grad():
    # as eager (and PyTorch): it requires grad as its base does, with no history
    def f(x):
        y = x * 2
        with cr.no_grad():
            a, b, c, d = y[0], x.T, y[0][1:], y * 3
        return a, b, c, d, y

    c = cr.compile(f)
    for _ in range(2):
        x, x_ref = cr.ones(2, 3, requires_grad=True), cr.ones(2, 3, requires_grad=True)
        got, ref = c(x), f(x_ref)
        for o, r in zip(got, ref, strict=True):
            assert (o.requires_grad, o.is_leaf, o.grad_fn is None) == (
                r.requires_grad,
                r.is_leaf,
                r.grad_fn is None,
            )
            assert cr.equal(o, r)
        sum((o * 1.5).sum() for o in got if o.requires_grad).backward()
        sum((o * 1.5).sum() for o in ref if o.requires_grad).backward()
        assert cr.equal(x.grad, x_ref.grad) and got[0].grad is None
    assert c.traces == 1 and c.fallbacks == 0


def test_reduction_return_types_come_back_as_their_own_type():
    def f(x):
        return x.min(dim=0), x.max(dim=0)

    c = cr.compile(f)
    x = cr.tensor([4.0])
    (mn, mx), (rmn, rmx) = c(x), f(x)
    for got, ref in ((mn, rmn), (mx, rmx)):
        assert type(got) is type(ref)
        assert cr.equal(got.values, ref.values) and cr.equal(got.indices, ref.indices)
    assert "torch.return_types.min" in repr(mn)


def test_fallback_names_the_function_that_computes_on_the_array():
    # (running statistics updated on the arrays themselves, in tensors made inside)
    c = cr.compile(lambda x: F.batch_norm(x, cr.zeros(3), cr.ones(3), training=True))
    x = cr.randn(4, 3)
    match = r"does not build graphs yet: _update_running_stats in nn/functional.py"
    with pytest.warns(UserWarning, match=match):
        assert cr.equal(c(x), F.batch_norm(x, None, None, training=True))


@pytest.mark.parametrize(
    "fn, what",
    [
        (lambda x: cr.nonzero(x > 0), "nonzero()"),
        (lambda x: cr.where(x > 0), "nonzero()"),
        (lambda x: cr.unique(x.round()), "unique()"),
        (lambda x: F.one_hot((x > 0).long()), "one_hot() without num_classes"),
        (lambda x: x.repeat_interleave((x > 0).long()), "repeat_interleave() with a tensor"),
    ],
)
def test_shapes_that_depend_on_the_data_fall_back_saying_so(fn, what):
    c = cr.compile(fn)
    x = cr.tensor([1.0, -2.0, 3.0])
    with pytest.warns(UserWarning) as rec:
        got = c(x)
    (w,) = [r for r in rec if "chainrule.compile" in str(r.message)]
    assert f"calls {what}" in str(w.message) and "shape depends on the data" in str(w.message)
    want = fn(x)
    for g, e in zip(
        got if isinstance(got, tuple) else (got,),
        want if isinstance(want, tuple) else (want,),
        strict=True,
    ):
        assert cr.equal(g, e)


def test_an_output_that_is_an_argument_itself_passes_its_gradient():
    # x.contiguous() of a contiguous x is x: the output is the input's own tensor
    c = cr.compile(lambda x, y: (x.contiguous(), y * 2))
    x, y = cr.ones(1, 2, requires_grad=True), cr.ones(2, requires_grad=True)
    a, b = c(x, y)
    gx, gy = cr.autograd.grad((a * cr.tensor([[-1.0, 2.0]])).sum(), [x, y], allow_unused=True)
    assert cr.equal(gx, cr.tensor([[-1.0, 2.0]])) and gy is None


def test_what_is_computed_from_a_no_grad_view_requires_grad_as_in_eager():
    # eager: an op in grad mode on a view taken in no_grad of a tensor requiring grad
    # records (the view passes no gradient on): its result requires grad
    def f(x):
        with cr.no_grad():
            v = x[:, 0]
        return v * 2, (v * x[:, 1]).sum()

    c = cr.compile(f)
    x, x_ref = cr.ones(2, 3, requires_grad=True), cr.ones(2, 3, requires_grad=True)
    got, ref = c(x), f(x_ref)
    for o, r in zip(got, ref, strict=True):
        assert o.requires_grad == r.requires_grad and cr.equal(o, r)
    got[1].backward()
    ref[1].backward()
    assert cr.equal(x.grad, x_ref.grad)


def test_requires_grad_set_on_an_argument_inside_falls_back():
    def f(x):
        x.requires_grad_()
        return x * 2

    c = cr.compile(f)
    x = cr.ones(2)
    with pytest.warns(UserWarning, match="changes requires_grad or the history of argument 0"):
        out = c(x)
    assert x.requires_grad and out.requires_grad


def test_outputs_that_require_grad_but_reach_no_input():
    # std of a view taken in no_grad: requires grad (as eager), no gradient for x
    def f(x):
        with cr.no_grad():
            v = cr.unbind(x, -1)
        return cr.std(v[1], dim=-1)

    c = cr.compile(f)
    x = cr.ones(2, 3, requires_grad=True)
    out = c(x)
    assert out.requires_grad and cr.equal(out, f(x))
    (g,) = cr.autograd.grad(out * 2, [x], allow_unused=True)
    assert g is None


def test_a_constant_output_that_is_a_view_written_in_place_comes_back():
    # its history is not read (eager returns it without reading it): no error
    def f(x):
        a = cr.ones_like(x, requires_grad=True)
        parts = a[...].split([1], -2)
        with cr.no_grad():
            a[-1] *= -0.5
        return a, parts

    a, parts = cr.compile(f)(cr.ones(1, 1))
    assert cr.equal(a.detach(), cr.full((1, 1), -0.5)) and len(parts) == 1
