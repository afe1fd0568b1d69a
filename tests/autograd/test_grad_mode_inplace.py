"""Grad mode (no_grad / enable_grad / set_grad_enabled), detach, and in-place operations.

In-place semantics follow PyTorch: a version counter guards tensors saved for backward, a leaf
that requires grad refuses in-place changes unless grad mode is off, and an in-place op on a
non-leaf rebases its history. In-place changes through views must give PyTorch's gradient or
refuse with an error that says to clone() first: never a wrong gradient.
Expected values are analytic (they agree with PyTorch 2.13); where torch is installed the same
cases are also run on it and compared.
"""

import threading

import numpy as np
import pytest

import chainrule as cr

LEAF_INPLACE = r"a leaf Variable that requires grad is being used in an in-place operation\."
VIEW_OF_LEAF_INPLACE = (
    r"a view of a leaf Variable that requires grad is being used in an in-place operation\."
)
MODIFIED_INPLACE = (
    r"one of the variables needed for gradient computation has been modified by an "
    r"inplace operation"
)
ONLY_LEAF_FLAGS = (
    r"you can only change requires_grad flags of leaf variables\. If you want to use a "
    r"computed variable in a subgraph that doesn't require differentiation use "
    r"var_no_grad = var\.detach\(\)\."
)


def close(t, expected, rtol=1e-12):
    np.testing.assert_allclose(t.detach().numpy(), np.asarray(expected, dtype=float), rtol=rtol)


def leaf(values, m=cr):
    return m.tensor(values, dtype=m.float64, requires_grad=True)


# ---------------------------------------------------------------- grad mode


def test_is_grad_enabled_default_and_no_grad_context():
    assert cr.is_grad_enabled()
    x = leaf([1.0, 2.0])
    with cr.no_grad():
        assert not cr.is_grad_enabled()
        y = x * 2
    assert cr.is_grad_enabled()
    assert not y.requires_grad and y.grad_fn is None and y.is_leaf
    close(y, [2.0, 4.0])


def test_enable_grad_inside_no_grad():
    x = leaf([1.0, 2.0])
    with cr.no_grad():
        with cr.enable_grad():
            assert cr.is_grad_enabled()
            y = x * 2
        assert not cr.is_grad_enabled()
        z = x * 2
    assert y.requires_grad and y.grad_fn is not None
    assert not z.requires_grad


def test_set_grad_enabled_context_manager():
    x = leaf([1.0])
    with cr.set_grad_enabled(False):
        assert not cr.is_grad_enabled()
        y = x * 2
        with cr.set_grad_enabled(True):
            assert cr.is_grad_enabled()
            z = x * 2
        assert not cr.is_grad_enabled()
    assert cr.is_grad_enabled()
    assert not y.requires_grad and z.requires_grad


def test_set_grad_enabled_as_a_plain_call():
    try:
        cr.set_grad_enabled(False)
        assert not cr.is_grad_enabled()
        assert not (leaf([1.0]) * 2).requires_grad
        cr.set_grad_enabled(True)
        assert cr.is_grad_enabled()
    finally:
        cr.set_grad_enabled(True)


def test_grad_mode_restored_after_exception():
    with pytest.raises(ValueError):
        with cr.no_grad():
            raise ValueError("boom")
    assert cr.is_grad_enabled()
    with pytest.raises(ValueError):
        with cr.set_grad_enabled(False):
            raise ValueError("boom")
    assert cr.is_grad_enabled()


def test_no_grad_as_decorator_with_and_without_parentheses():
    x = leaf([1.0, 2.0])

    @cr.no_grad()
    def double(t):
        """doc"""
        assert not cr.is_grad_enabled()
        return t * 2

    @cr.no_grad
    def triple(t):
        assert not cr.is_grad_enabled()
        return t * 3

    assert not double(x).requires_grad
    assert not triple(x).requires_grad
    assert cr.is_grad_enabled()
    assert double.__name__ == "double" and double.__doc__ == "doc"
    close(triple(x), [3.0, 6.0])


def test_enable_grad_and_set_grad_enabled_as_decorators():
    x = leaf([1.0, 2.0])

    @cr.enable_grad()
    def tracked(t):
        return t * 2

    @cr.set_grad_enabled(False)
    def untracked(t):
        return t * 2

    with cr.no_grad():
        y = tracked(x)
        assert not cr.is_grad_enabled()
    assert y.requires_grad
    assert not untracked(x).requires_grad
    assert cr.is_grad_enabled()
    y.sum().backward()
    close(x.grad, [2.0, 2.0])


def test_decorated_method_and_recursion_restore_mode():
    @cr.no_grad()
    def depth(n):
        assert not cr.is_grad_enabled()
        return 0 if n == 0 else 1 + depth(n - 1)

    assert depth(5) == 5
    assert cr.is_grad_enabled()


def test_no_grad_outputs_can_be_used_later_with_grad():
    x = leaf([1.0, 2.0])
    with cr.no_grad():
        c = x * 10
    z = (c * x).sum()
    z.backward()
    close(x.grad, [10.0, 20.0])


def test_grad_mode_is_thread_local_new_thread_sees_enabled():
    x = leaf([1.0, 2.0])
    seen = {}

    def worker():
        seen["enabled"] = cr.is_grad_enabled()
        seen["requires_grad"] = (x * 2).requires_grad

    with cr.no_grad():
        t = threading.Thread(target=worker)
        t.start()
        t.join()
        assert not cr.is_grad_enabled()
    assert seen == {"enabled": True, "requires_grad": True}


def test_grad_mode_in_another_thread_does_not_leak():
    entered, release = threading.Event(), threading.Event()
    seen = {}

    def worker():
        with cr.no_grad():
            entered.set()
            release.wait(5)
            seen["worker"] = cr.is_grad_enabled()

    t = threading.Thread(target=worker)
    t.start()
    try:
        assert entered.wait(5)
        assert cr.is_grad_enabled()
        assert (leaf([1.0]) * 2).requires_grad
    finally:
        release.set()
        t.join()
    assert seen["worker"] is False


# ---------------------------------------------------------------- detach, requires_grad_


def test_detach_shares_storage_and_drops_history():
    x = leaf([1.0, 2.0, 3.0])
    y = x * 2
    u = y.detach()
    assert not u.requires_grad and u.is_leaf and u.grad_fn is None
    u[0] = 100.0
    assert y[0].item() == 100.0, "detach() returns a tensor sharing storage with its source"
    w = x.detach()
    w.add_(1)
    close(x, [2.0, 3.0, 4.0])
    assert x.requires_grad and x.is_leaf


def test_detach_in_place():
    x = leaf([1.0, 2.0])
    y = x * 2
    assert y.detach_() is y
    assert not y.requires_grad and y.is_leaf and y.grad_fn is None
    z = y * x
    z.sum().backward()
    close(x.grad, [2.0, 4.0])


def test_requires_grad_false_on_non_leaf_raises():
    x = leaf([1.0, 2.0])
    y = x * 2
    with pytest.raises(RuntimeError, match=ONLY_LEAF_FLAGS):
        y.requires_grad_(False)
    with pytest.raises(RuntimeError, match=ONLY_LEAF_FLAGS):
        y.requires_grad = False
    assert y.requires_grad
    # True on a non-leaf that already requires grad is a no-op.
    assert y.requires_grad_(True) is y
    # Switching a leaf off is allowed.
    x.requires_grad_(False)
    assert not x.requires_grad and not (x * 2).requires_grad


# ---------------------------------------------------------------- version counter


def test_version_counter_counts_in_place_changes():
    t = cr.ones(3)
    v0 = t._version
    t.add_(1)
    t.mul_(2)
    t[0] = 5.0
    assert t._version == v0 + 3
    assert t.detach()._version == t._version, "a detached alias shares the version counter"
    t.detach().zero_()
    assert t._version == v0 + 4


def test_modified_saved_output_raises_at_backward():
    x = leaf([1.0, 2.0])
    y = x.exp()  # exp saves its result
    y.add_(1)
    with pytest.raises(RuntimeError, match=MODIFIED_INPLACE):
        y.sum().backward()


def test_modified_saved_input_raises_at_backward():
    x = leaf([1.0, 2.0])
    a = x * 2
    b = a * a  # saves a
    a.mul_(2)
    with pytest.raises(RuntimeError, match=MODIFIED_INPLACE):
        b.sum().backward()


def test_modified_through_detached_alias_raises_at_backward():
    x = leaf([1.0, 2.0])
    a = x * 2
    b = a.sin()  # saves a
    a.detach().zero_()
    with pytest.raises(RuntimeError, match=MODIFIED_INPLACE):
        b.sum().backward()


def test_modified_saved_leaf_under_no_grad_raises_at_backward():
    w = leaf([1.0, 2.0])
    loss = (w * w).sum()  # saves w
    with cr.no_grad():
        w.add_(1)
    with pytest.raises(RuntimeError, match=MODIFIED_INPLACE):
        loss.backward()


def test_in_place_on_tensor_not_saved_is_fine():
    x = leaf([1.0, 2.0])
    a = x * 2
    b = a + 1  # add saves nothing
    a.mul_(2)
    b.sum().backward()
    close(x.grad, [2.0, 2.0])


# ---------------------------------------------------------------- leaves that require grad

LEAF_INPLACE_OPS = [
    ("add_", lambda t: t.add_(1)),
    ("sub_", lambda t: t.sub_(1)),
    ("mul_", lambda t: t.mul_(2)),
    ("div_", lambda t: t.div_(2)),
    ("zero_", lambda t: t.zero_()),
    ("fill_", lambda t: t.fill_(3.0)),
    ("clamp_", lambda t: t.clamp_(0.0, 1.0)),
    ("copy_", lambda t: t.copy_(cr.zeros(3, dtype=cr.float64))),
    ("iadd", lambda t: t.__iadd__(1)),
    ("isub", lambda t: t.__isub__(1)),
    ("imul", lambda t: t.__imul__(2)),
    ("itruediv", lambda t: t.__itruediv__(2)),
    ("setitem", lambda t: t.__setitem__(0, 5.0)),
    ("setitem all", lambda t: t.__setitem__(slice(None), 5.0)),
]


@pytest.mark.parametrize("name,op", LEAF_INPLACE_OPS, ids=[o[0] for o in LEAF_INPLACE_OPS])
def test_in_place_on_leaf_requiring_grad_raises(name, op):
    w = leaf([1.0, 2.0, 3.0])
    with pytest.raises(RuntimeError, match=LEAF_INPLACE):
        op(w)
    close(w, [1.0, 2.0, 3.0])


def test_augmented_assignment_on_leaf_raises():
    w = leaf([1.0, 2.0])
    with pytest.raises(RuntimeError, match=LEAF_INPLACE):
        w -= 0.1


@pytest.mark.parametrize("name,op", LEAF_INPLACE_OPS, ids=[o[0] for o in LEAF_INPLACE_OPS])
def test_in_place_on_leaf_allowed_under_no_grad(name, op):
    w = leaf([1.0, 2.0, 3.0])
    ident = id(w)
    with cr.no_grad():
        op(w)
    assert id(w) == ident
    assert w.requires_grad and w.is_leaf and w.grad_fn is None


def test_in_place_on_leaf_not_requiring_grad_is_fine():
    c = cr.tensor([1.0, 2.0])
    c.add_(1)
    c[0] = 7.0
    assert c.tolist() == [7.0, 3.0]


def test_sgd_step_under_no_grad():
    rng = np.random.default_rng(0)
    Xn, yn = rng.standard_normal((20, 3)), rng.standard_normal(20)
    X, y = cr.tensor(Xn), cr.tensor(yn)
    w = cr.zeros(3, dtype=cr.float64, requires_grad=True)
    ident = id(w)
    lr = 0.1
    wn = np.zeros(3)
    for _ in range(5):
        loss = ((X @ w - y) ** 2).mean()
        loss.backward()
        with cr.no_grad():
            w -= lr * w.grad
        w.grad.zero_()
        wn -= lr * 2 * Xn.T @ (Xn @ wn - yn) / len(yn)
    assert id(w) == ident
    assert w.requires_grad and w.is_leaf and w.grad_fn is None
    close(w, wn, rtol=1e-10)


def test_in_place_on_view_of_leaf_requiring_grad_raises():
    w = leaf([1.0, 2.0, 3.0, 4.0])
    either = f"({VIEW_OF_LEAF_INPLACE}|{LEAF_INPLACE}|clone\\(\\))"
    with pytest.raises(RuntimeError, match=either):
        w[1:3].mul_(2)
    with pytest.raises(RuntimeError, match=either):
        w.view(2, 2)[0].add_(1)
    with pytest.raises(RuntimeError, match=either):
        w[1:3][0] = 5.0
    close(w, [1.0, 2.0, 3.0, 4.0])
    with cr.no_grad():
        w[1:3].mul_(2)
    close(w, [1.0, 4.0, 6.0, 4.0])
    (w * w).sum().backward()
    close(w.grad, [2.0, 8.0, 12.0, 8.0])


def test_modifying_leaf_through_detach_then_backward_raises():
    x = leaf([1.0, 2.0])
    loss = (x * x).sum()  # saves x
    x.detach().zero_()
    with pytest.raises(RuntimeError, match=MODIFIED_INPLACE):
        loss.backward()


# ---------------------------------------------------------------- in place on non-leaves

X0 = [0.5, -1.0, 2.0]
XN = np.array(X0)


def _copy_src(m, x):
    y = x * 2
    y.copy_(x * x)
    return y


def _chain(m, x):
    y = x * 2
    assert y.mul_(3) is y
    assert y.add_(1) is y
    return y * y


def _iadd(m, x):
    y = x * 2
    y += x
    return y


def _imul(m, x):
    y = x * 2
    y *= x
    return y


def _isub(m, x):
    y = x * 2
    y -= x * x
    return y


def _idiv(m, x):
    y = x * 2
    y /= x + 3
    return y


def _setitem_value(m, x):
    y = x * 2
    y[0] = 5.0
    return y


def _setitem_tensor(m, x):
    w = m.tensor(7.0, dtype=m.float64, requires_grad=True)
    y = x * 1
    y[1] = w * x[0]
    return y * y


def _setitem_mask(m, x):
    y = x * 2
    y[y > 1.5] = 0.0
    return y


def _setitem_index(m, x):
    y = x * 2
    y[[0, 2]] = m.tensor([9.0, 9.0], dtype=m.float64)
    return y


def _setitem_full_slice(m, x):
    y = x * 2
    y[:] = x * x
    return y


def _inplace_then_inplace_setitem(m, x):
    y = x.exp()
    y = y * 1
    y[1:] = y[1:] * 0 + x[:2]
    return y.sin()


def _mul_(m, x):
    y = x * 2
    y.mul_(3)
    return y


def _add_(m, x):
    y = x * 2
    y.add_(1)
    return y


def _sub_div(m, x):
    y = x * 2
    y.sub_(1).div_(4)
    return y


def _exp_(m, x):
    y = x * 2
    y.exp_()
    return y


def _clamp_(m, x):
    y = x * 2
    y.clamp_(-1.5, 1.5)
    return y


def _zero_(m, x):
    y = x * 2
    y.zero_()
    return y + x


def _fill_(m, x):
    y = x * 2
    y.fill_(2.0)
    return y * x


NON_LEAF_CASES = [
    ("mul_", _mul_, 6 * np.ones(3)),
    ("add_", _add_, 2 * np.ones(3)),
    ("sub_ div_", _sub_div, 0.5 * np.ones(3)),
    ("exp_", _exp_, 2 * np.exp(2 * XN)),
    ("clamp_", _clamp_, np.array([2.0, 0.0, 0.0])),
    ("zero_", _zero_, np.ones(3)),
    ("fill_", _fill_, 2 * np.ones(3)),
    ("copy_", _copy_src, 2 * XN),
    ("mul_ add_ chained", _chain, 2 * (6 * XN + 1) * 6),
    ("+= tensor", _iadd, 3 * np.ones(3)),
    ("*= tensor", _imul, 4 * XN),
    ("-= tensor", _isub, 2 - 2 * XN),
    ("/= tensor", _idiv, 6 / (XN + 3) ** 2),
    ("y[0] = 5", _setitem_value, np.array([0.0, 2.0, 2.0])),
    ("y[1] = w * x[0]", _setitem_tensor, np.array([2 * 0.5 + 2 * (7 * 0.5) * 7, 0.0, 2 * 2.0])),
    ("y[mask] = 0", _setitem_mask, np.array([2.0, 2.0, 0.0])),
    ("y[[0, 2]] = t", _setitem_index, np.array([0.0, 2.0, 0.0])),
    ("y[:] = x * x", _setitem_full_slice, 2 * XN),
    (
        "y[1:] = f(x)",
        _inplace_then_inplace_setitem,
        np.array([np.cos(np.exp(0.5)) * np.exp(0.5) + np.cos(0.5), np.cos(-1.0), 0.0]),
    ),
]


@pytest.mark.parametrize("name,fn,expected", NON_LEAF_CASES, ids=[c[0] for c in NON_LEAF_CASES])
def test_in_place_on_non_leaf_rebases_history(name, fn, expected):
    x = leaf(X0)
    out = fn(cr, x)
    assert out.requires_grad and out.grad_fn is not None
    out.sum().backward()
    close(x.grad, expected, rtol=1e-12)


def test_lecture_issue_example_setitem_on_non_leaf():
    x = cr.arange(4.0, requires_grad=True)
    y = x * 2
    ident = id(y)
    y[0] = 5
    assert id(y) == ident
    y.sum().backward()
    assert x.grad.tolist() == [0.0, 2.0, 2.0, 2.0]


@pytest.mark.parametrize("name,fn,expected", NON_LEAF_CASES, ids=[c[0] for c in NON_LEAF_CASES])
def test_in_place_on_non_leaf_matches_torch(name, fn, expected):
    torch = pytest.importorskip("torch")
    x = leaf(X0)
    fn(cr, x).sum().backward()
    xt = leaf(X0, m=torch)
    fn(torch, xt).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), xt.grad.numpy(), rtol=1e-12)


# ---------------------------------------------------------------- in place through views


def _view_mul(m, x):
    y = x * 1
    y[:2].mul_(2)
    return y


def _view_exp(m, x):
    y = x * 2
    y[:2].exp_()
    return y


def _view_add_tensor(m, x):
    y = x * 1
    y[1:3].add_(x[:2] * x[:2])
    return y


def _view_reshaped_transposed(m, x):
    y = x * 2
    y.view(2, 2).t().mul_(m.tensor([[1.0, 3.0], [5.0, 7.0]], dtype=m.float64))
    return y


def _view_setitem(m, x):
    y = x * 2
    v = y[1:]
    v[0] = 10.0
    return y


def _base_changed_view_used(m, x):
    y = x * 2
    v = y[:2]
    y.mul_(3)
    return v


def _view_changed_view_used(m, x):
    y = x * 2
    v = y[1:]
    v.mul_(x[:3])
    return v


X4 = [1.0, 2.0, 3.0, 4.0]
X4N = np.array(X4)
VIEW_CASES = [
    ("y[:2].mul_(2)", _view_mul, np.array([2.0, 2.0, 1.0, 1.0])),
    ("y[:2].exp_()", _view_exp, np.array([2 * np.exp(2.0), 2 * np.exp(4.0), 2.0, 2.0])),
    ("y[1:3].add_(x[:2]**2)", _view_add_tensor, np.array([1 + 2 * 1.0, 1 + 2 * 2.0, 1.0, 1.0])),
    ("y.view(2,2).t().mul_(c)", _view_reshaped_transposed, np.array([2.0, 10.0, 6.0, 14.0])),
    ("v = y[1:]; v[0] = 10", _view_setitem, np.array([2.0, 0.0, 2.0, 2.0])),
    ("y.mul_(3) then v = y[:2] used", _base_changed_view_used, np.array([6.0, 6.0, 0.0, 0.0])),
    (
        "v = y[1:]; v.mul_(x[:3])",
        _view_changed_view_used,
        np.array([2 * 2.0, 2 * 1.0 + 2 * 3.0, 2 * 2.0 + 2 * 4.0, 2 * 3.0]),
    ),
]


def _view_case_or_clone_error(fn, expected):
    """Run a view case: it must either give the expected (PyTorch's) gradient, or refuse with
    a RuntimeError that tells the user to clone() first. Returns x.grad or None if refused."""
    x = leaf(X4)
    try:
        fn(cr, x).sum().backward()
    except RuntimeError as e:
        assert "clone()" in str(e), f"refusal must say to clone() first, got: {e}"
        return None
    close(x.grad, expected)
    return x.grad


@pytest.mark.parametrize("name,fn,expected", VIEW_CASES, ids=[c[0] for c in VIEW_CASES])
def test_in_place_through_view_of_non_leaf_is_right_or_refused(name, fn, expected):
    _view_case_or_clone_error(fn, expected)


@pytest.mark.parametrize("name,fn,expected", VIEW_CASES, ids=[c[0] for c in VIEW_CASES])
def test_in_place_through_view_matches_torch_when_accepted(name, fn, expected):
    torch = pytest.importorskip("torch")
    xt = leaf(X4, m=torch)
    fn(torch, xt).sum().backward()
    np.testing.assert_allclose(xt.grad.numpy(), expected, rtol=1e-12)  # the table is PyTorch's
    g = _view_case_or_clone_error(fn, expected)
    if g is not None:
        np.testing.assert_allclose(g.numpy(), xt.grad.numpy(), rtol=1e-12)


def test_view_modified_after_base_was_saved_is_never_silently_wrong():
    # PyTorch raises here (view and base share one version counter).
    x = leaf(X4)
    y = x * 2
    z = (y * y).sum()  # saves y
    # Refused either at the in-place op (saying to clone() first) or at backward.
    with pytest.raises(RuntimeError, match=f"({MODIFIED_INPLACE}|clone\\(\\))"):
        y[1:].mul_(3)
        z.backward()


def test_base_modified_after_view_was_saved_is_never_silently_wrong():
    x = leaf(X4)
    y = x * 2
    v = y[1:]
    z = (v * v).sum()  # saves v
    with pytest.raises(RuntimeError, match=f"({MODIFIED_INPLACE}|clone\\(\\))"):
        y.mul_(3)
        z.backward()
