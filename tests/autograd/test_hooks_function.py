"""Tensor.register_hook and user-defined chainrule.autograd.Function (with gradcheck)."""

import numpy as np
import pytest

import chainrule as cr

Function = cr.autograd.Function
BACKWARD_TWICE = r"Trying to backward through the graph a second time"


def gradcheck(*args, **kwargs):
    return cr.autograd.gradcheck(*args, **kwargs)


def vec(*values, requires_grad=True):
    return cr.tensor(list(values), dtype=cr.float64, requires_grad=requires_grad)


def close(t, expected, rtol=1e-12):
    np.testing.assert_allclose(t.detach().numpy(), np.asarray(expected, dtype=float), rtol=rtol)


# ---------------------------------------------------------------- hooks


def test_leaf_hook_sees_gradient_and_can_replace_it():
    x = vec(1.0, 2.0)
    seen = []
    x.register_hook(lambda g: seen.append(g.detach().numpy().copy()))
    x.register_hook(lambda g: g * 2)
    (x * 3).sum().backward()
    np.testing.assert_array_equal(seen[0], [3.0, 3.0])
    close(x.grad, [6.0, 6.0])


def test_leaf_hook_returning_none_keeps_gradient():
    x = vec(1.0, 2.0)
    x.register_hook(lambda g: None)
    (x * x).sum().backward()
    close(x.grad, [2.0, 4.0])


def test_non_leaf_hook_replaces_gradient_flowing_on():
    x = vec(1.0, 2.0)
    y = x * 2
    seen = []

    def hook(g):
        seen.append(g.detach().numpy().copy())
        return g * 10

    y.register_hook(hook)
    (y * y).sum().backward()
    np.testing.assert_array_equal(seen[0], [4.0, 8.0])
    close(x.grad, [80.0, 160.0])


def test_hooks_run_in_registration_order_chaining_results():
    x = vec(1.0)
    order = []
    x.register_hook(lambda g: (order.append("first"), g + 1)[1])
    x.register_hook(lambda g: (order.append("second"), g * 3)[1])
    (x * 2).sum().backward()
    assert order == ["first", "second"]
    close(x.grad, [(2.0 + 1.0) * 3.0])


def test_hook_called_once_with_total_gradient():
    x = vec(1.0, 2.0)
    y = x * 2
    calls = []
    y.register_hook(lambda g: calls.append(g.detach().numpy().copy()))
    (y * y + y).sum().backward()  # y used three times
    assert len(calls) == 1
    np.testing.assert_allclose(calls[0], [2 * 2.0 + 1, 2 * 4.0 + 1])

    xcalls = []
    x2 = vec(1.0, 2.0)
    x2.register_hook(lambda g: xcalls.append(1))
    (x2 * x2 + x2.exp()).sum().backward()
    assert len(xcalls) == 1


def test_hook_handle_remove():
    x = vec(1.0, 2.0)
    handle = x.register_hook(lambda g: g * 100)
    (x * 1).sum().backward()
    close(x.grad, [100.0, 100.0])
    handle.remove()
    x.grad = None
    (x * 1).sum().backward()
    close(x.grad, [1.0, 1.0])

    y_calls = []
    x.grad = None
    y = x * 2
    h = y.register_hook(lambda g: y_calls.append(1))
    h.remove()
    y.sum().backward()
    assert y_calls == []


def test_hook_with_retain_grad_sees_hooked_value():
    x = vec(1.0, 2.0)
    y = x * 2
    y.retain_grad()
    y.register_hook(lambda g: g * 10)
    (y * 1).sum().backward()
    close(y.grad, [10.0, 10.0])
    close(x.grad, [20.0, 20.0])


def test_hooks_fire_under_autograd_grad():
    x = vec(1.0, 2.0)
    seen = []
    x.register_hook(lambda g: seen.append(g.detach().numpy().copy()))
    (g,) = cr.autograd.grad((x * 3).sum(), x)
    close(g, [3.0, 3.0])
    assert len(seen) == 1
    assert x.grad is None


def test_hook_on_tensor_without_grad_raises():
    with pytest.raises(
        RuntimeError, match="cannot register a hook on a tensor that doesn't require gradient"
    ):
        cr.ones(3).register_hook(lambda g: g)


# ---------------------------------------------------------------- Function


class Exp(Function):
    @staticmethod
    def forward(ctx, x):
        r = x.exp()
        ctx.save_for_backward(r)
        return r

    @staticmethod
    def backward(ctx, grad_output):
        (r,) = ctx.saved_tensors
        return grad_output * r


class ScaledMul(Function):
    """out = k * a * b, with k a Python number."""

    @staticmethod
    def forward(ctx, a, b, k):
        ctx.save_for_backward(a, b)
        ctx.k = k
        return a * b * k

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        ga = g * b * ctx.k if ctx.needs_input_grad[0] else None
        gb = g * a * ctx.k if ctx.needs_input_grad[1] else None
        return ga, gb, None


class SinCos(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x.sin(), x.cos()

    @staticmethod
    def backward(ctx, gs, gc):
        (x,) = ctx.saved_tensors
        return gs * x.cos() - gc * x.sin()


class Cube(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x**3

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * 3 * x**2


class WrongExp(Function):
    @staticmethod
    def forward(ctx, x):
        return x.exp()

    @staticmethod
    def backward(ctx, g):
        return g * 2  # wrong on purpose


def test_function_forward_and_backward():
    x = vec(0.0, 1.0, -2.0)
    y = Exp.apply(x)
    close(y, np.exp([0.0, 1.0, -2.0]))
    assert y.requires_grad and not y.is_leaf
    assert y.grad_fn.name() == "ExpBackward"
    (y * 2).sum().backward()
    close(x.grad, 2 * np.exp([0.0, 1.0, -2.0]))


def test_function_forward_runs_without_recording():
    inside = {}

    class Probe(Function):
        @staticmethod
        def forward(ctx, x):
            inside["enabled"] = cr.is_grad_enabled()
            y = x * 2
            inside["requires_grad"] = y.requires_grad
            return y

        @staticmethod
        def backward(ctx, g):
            return g * 2

    out = Probe.apply(vec(1.0))
    assert inside == {"enabled": False, "requires_grad": False}
    assert out.requires_grad and out.grad_fn.name() == "ProbeBackward"


def test_function_needs_input_grad_and_non_tensor_args():
    a = vec(1.0, 2.0)
    b = vec(3.0, 4.0, requires_grad=False)
    out = ScaledMul.apply(a, b, 0.5)
    assert out.grad_fn is not None
    out.sum().backward()
    close(a.grad, [1.5, 2.0])
    assert b.grad is None

    b2 = vec(3.0, 4.0)
    ctx_record = {}

    class Spy(ScaledMul):
        @staticmethod
        def backward(ctx, g):
            ctx_record["needs"] = tuple(ctx.needs_input_grad)
            return ScaledMul.backward(ctx, g)

    Spy.apply(a, b, 2.0).sum().backward()
    assert ctx_record["needs"] == (True, False, False)
    Spy.apply(a, b2, 2.0).sum().backward()
    assert ctx_record["needs"] == (True, True, False)
    close(b2.grad, [2.0, 4.0])


def test_function_without_inputs_requiring_grad_records_nothing():
    out = Exp.apply(vec(1.0, requires_grad=False))
    assert not out.requires_grad and out.grad_fn is None


def test_function_with_two_outputs_materializes_unused_grad_as_zeros():
    received = {}

    class Spy(SinCos):
        @staticmethod
        def backward(ctx, gs, gc):
            received["gc"] = gc.detach().numpy().copy()
            return SinCos.backward(ctx, gs, gc)

    x = vec(0.3, 1.2)
    s, c = Spy.apply(x)
    s.sum().backward()  # c unused: its gradient arrives as zeros
    np.testing.assert_array_equal(received["gc"], [0.0, 0.0])
    close(x.grad, np.cos([0.3, 1.2]))

    x2 = vec(0.3, 1.2)
    s2, c2 = SinCos.apply(x2)
    (s2 * c2).sum().backward()
    close(x2.grad, np.cos(2 * np.array([0.3, 1.2])))


def test_function_saved_tensors_freed_after_backward():
    x = vec(1.0, 2.0)
    y = Exp.apply(x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match=BACKWARD_TWICE):
        y.backward()
    z = Exp.apply(x).sum()
    z.backward(retain_graph=True)
    z.backward()
    close(x.grad, 3 * np.exp([1.0, 2.0]))


def test_function_composes_with_builtin_ops():
    x = vec(0.5, -0.5)
    w = vec(2.0, 3.0)
    z = (Exp.apply(x * w) + Cube.apply(x)).sum()
    z.backward()
    xn, wn = np.array([0.5, -0.5]), np.array([2.0, 3.0])
    close(x.grad, wn * np.exp(xn * wn) + 3 * xn**2)
    close(w.grad, xn * np.exp(xn * wn))


def test_function_backward_is_differentiable_with_create_graph():
    x = vec(-1.0, 0.5, 2.0)
    (g,) = cr.autograd.grad(Cube.apply(x).sum(), x, create_graph=True)
    close(g, 3 * np.array([-1.0, 0.5, 2.0]) ** 2)
    (h,) = cr.autograd.grad(g.sum(), x)
    close(h, 6 * np.array([-1.0, 0.5, 2.0]))


def test_function_hook_on_output():
    x = vec(1.0)
    y = Exp.apply(x)
    y.register_hook(lambda g: g * 0)
    y.sum().backward()
    close(x.grad, [0.0])


# ---------------------------------------------------------------- gradcheck


def test_gradcheck_accepts_correct_function():
    rng = np.random.default_rng(0)
    x = cr.tensor(rng.standard_normal((3, 2)), dtype=cr.float64, requires_grad=True)
    assert gradcheck(Exp.apply, (x,))
    assert gradcheck(Cube.apply, (x,), eps=1e-6, atol=1e-5)


def test_gradcheck_multiple_inputs_and_non_tensor_argument():
    rng = np.random.default_rng(1)
    a = cr.tensor(rng.standard_normal(4), dtype=cr.float64, requires_grad=True)
    b = cr.tensor(rng.standard_normal(4), dtype=cr.float64, requires_grad=True)
    assert gradcheck(lambda p, q: ScaledMul.apply(p, q, 1.5), (a, b))
    assert gradcheck(ScaledMul.apply, (a, b, 1.5))


def test_gradcheck_multiple_outputs():
    x = cr.tensor([0.1, 0.7, -1.3], dtype=cr.float64, requires_grad=True)
    assert gradcheck(SinCos.apply, (x,))


def test_gradcheck_rejects_wrong_backward():
    x = cr.tensor([0.1, 0.7, -1.3], dtype=cr.float64, requires_grad=True)
    mismatch = "Jacobian mismatch for output 0 with respect to input 0"
    with pytest.raises(RuntimeError, match=mismatch):
        gradcheck(WrongExp.apply, (x,))
    assert gradcheck(WrongExp.apply, (x,), raise_exception=False) is False


def test_gradcheck_on_builtin_ops():
    rng = np.random.default_rng(2)
    a = cr.tensor(rng.standard_normal((2, 3)), dtype=cr.float64, requires_grad=True)
    b = cr.tensor(rng.standard_normal((3,)), dtype=cr.float64, requires_grad=True)
    assert gradcheck(lambda p, q: (p * q).tanh().sum(dim=1), (a, b))
    assert gradcheck(lambda p, q: p @ q, (a, b))


@pytest.mark.parametrize(
    "make",
    [
        lambda m: m.ones(3),  # the wrong length: refused
        lambda m: m.ones(1),  # broadcastable the other way only: refused
        lambda m: m.tensor(3.0),  # 0-d for a vector input: refused
        lambda m: m.ones(2, dtype=m.float64),  # cast back to the input's dtype
        lambda m: m.ones(1, 2),  # summed back to the input's shape
        lambda m: m.ones(2, 2),
    ],
)
def test_function_gradient_shape_is_checked_as_in_torch(make):
    torch = pytest.importorskip("torch")

    def run(m):
        class Twice(m.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                return x * 2

            @staticmethod
            def backward(ctx, g):
                return make(m)

        Twice.__name__ = "Twice"
        x = m.ones(2, requires_grad=True)
        try:
            Twice.apply(x).sum().backward()
        except RuntimeError as e:
            return str(e)
        return x.grad.tolist(), str(x.grad.dtype)

    assert run(cr) == run(torch)


def test_set_materialize_grads_false_passes_none_for_an_output_without_gradient():
    seen = []

    class Two(cr.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.set_materialize_grads(False)
            return x * 2, x * 3

        @staticmethod
        def backward(ctx, ga, gb):
            seen.append((ga is None, gb is None))
            return ga * 2 if ga is not None else None

    x = cr.ones(2, requires_grad=True)
    a, b = Two.apply(x)
    a.sum().backward()
    assert seen == [(False, True)] and cr.equal(x.grad, cr.full((2,), 2.0))
