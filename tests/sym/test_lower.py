"""The lowering of explicit graphs (chainrule/sym/lower.py, compiled.py, passes.remat):
the generated function against the interpreter and against eager chainrule, its out=
map against the table's forwards, buffer reuse, the cache per signature, the text."""

from __future__ import annotations

import ast
import doctest
import os
import subprocess
import sys
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_sym_graphs import programs, run_program

import chainrule as cr
from chainrule import sym
from chainrule.ops import REGISTRY
from chainrule.sym import compiled, lower, passes


def _equal(a, b, what=""):
    """Bitwise, but for NaN payloads and the sign of zero (assert_array_equal's)."""
    a = np.asarray(a.numpy() if isinstance(a, cr.Tensor) else a)
    b = np.asarray(b.numpy() if isinstance(b, cr.Tensor) else b)
    assert a.dtype == b.dtype, f"{what}: {a.dtype} vs {b.dtype}"
    assert a.shape == b.shape, f"{what}: {a.shape} vs {b.shape}"
    np.testing.assert_array_equal(a, b, err_msg=what)


def _twice(f, *args):
    """f's first call (probe: interpreted) and its second (the generated code)."""
    first = f(*args)
    return first, f(*args)


# ---------------------------------------------------------------- the out= map
_DTYPES = [np.float32, np.float64, np.int64, np.int32, np.uint8, np.bool_, np.complex128]


def _samples(dtype, shape, rng):
    if dtype is np.bool_:
        return rng.integers(0, 2, shape).astype(bool)
    if np.issubdtype(dtype, np.integer):
        lo = 0 if dtype is np.uint8 else -5
        return rng.integers(lo, 6, shape).astype(dtype)
    v = rng.uniform(-3, 3, shape)
    v.reshape(-1)[:3] = [0.0, 0.5, -0.75]  # exact values, and a zero
    if dtype is np.complex128:
        v = v + 1j * rng.uniform(-1, 1, shape)
    return v.astype(dtype)


@pytest.mark.parametrize("name", lower.out_call_prims())
def test_every_out_call_matches_its_forward(name):
    """Each entry of OUT_CALLS, run as the generated code runs it (lower.call_out),
    gives the forward's values and dtype, for every dtype the forward takes, with array
    and Python-number operands and broadcasting."""
    prim = REGISTRY[name]
    _, template = lower.OUT_CALLS[name]
    arity = sum(1 for t in template if type(t) is int)
    params = {"alpha": 2.5} if any(type(t) is tuple and t[0] == "p" for t in template) else {}
    rng = np.random.default_rng(0)
    checked = 0
    for dt in _DTYPES:
        shapes = [(3, 4)] if name == "mm" else [(3, 4), (4,)]
        a = _samples(dt, (3, 4), rng)
        cases = [[a]]
        if arity == 2:
            other = (4, 2) if name == "mm" else (4,)
            cases = [[a, _samples(dt, other, rng)], [_samples(dt, shapes[-1], rng), a]]
            if name != "mm":
                for k in (2, 0.5, -1, True):
                    cases += [[a, k], [k, a]]
                cases.append(
                    [a, _samples(np.float64 if dt is np.float32 else np.float32, (4,), rng)]
                )
        for args in cases:
            with np.errstate(all="ignore"), warnings.catch_warnings():
                warnings.simplefilter("ignore")
                try:
                    want = prim.fwd(np, *args, **params)
                except Exception:  # noqa: BLE001 - the forward refuses these dtypes
                    continue
                if type(want) is not np.ndarray or want.ndim == 0:
                    continue
                out = np.empty(want.shape, want.dtype)
                got = lower.call_out(name, args, params, out)
            assert got is out
            _equal(got, want, f"{name} {[getattr(x, 'dtype', x) for x in args]}")
            checked += 1
    assert checked >= 3, f"{name}: only {checked} combinations checked"


def test_aliases_share_their_rows_call():
    for name, call in lower.OUT_CALLS.items():
        assert name in REGISTRY
        assert call[0] in lower.KERNELS or isinstance(getattr(np, call[0]), np.ufunc)


def _bit_patterns(dtype, shape, rng):
    """Random bit patterns of ``dtype`` (NaNs of both signs and any payload, subnormals,
    infinities), half of them replaced by signed zeros, infinities and plain numbers."""
    it = np.dtype(f"i{np.dtype(dtype).itemsize}")
    info = np.iinfo(it)
    n = int(np.prod(shape))
    v = rng.integers(info.min, info.max, size=n, dtype=it, endpoint=True).view(dtype).copy()
    v[: n // 2] = np.resize(np.array([0.0, -0.0, np.inf, -np.inf, 1.5, -2.0], dtype), n // 2)
    return rng.permutation(v).reshape(shape)


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
@pytest.mark.parametrize("number", [0, 0.0, -0.0, 1.5, -2.0, np.inf, -np.inf, True])
def test_a_maximums_full_operand_gives_the_forwards_bits(dtype, number):
    """A number in a float maximum or minimum (relu's 0) is bound as an array of the
    result's shape (NumPy's vectorized loop): the forward's bits for every bit pattern,
    NaN payloads and signed zeros included, on either side."""
    rng = np.random.default_rng(7)
    x = _bit_patterns(dtype, (64, 33), rng)
    k = lower.operand(number, "maximum", dtype, x.shape)
    assert k.shape == x.shape and not k.flags.writeable
    cases = [("maximum", [x, number]), ("maximum", [number, x]), ("minimum", [x, number])]
    cases.append(("minimum", [number, x]))
    if number == 0:
        cases.append(("relu", [x]))
    for name, args in cases:
        with np.errstate(all="ignore"):
            want = REGISTRY[name].fwd(np, *args)
        got = lower.call_out(name, args, {}, np.empty(want.shape, want.dtype))
        assert got.dtype == want.dtype and got.tobytes() == want.tobytes(), (name, args)


@pytest.mark.parametrize("n", [8, 2048])
def test_relus_adjoint_into_a_buffer_or_returned(n):
    """threshold_backward as a kernel call: written into a buffer where the graph goes on
    with it, a fresh array where it is returned; the interpreter's bits either way."""
    x, c = sym.var("x", (n,)), sym.var("c", (n,))
    (g_on,) = sym.grad((cr.relu(x * 2) * c).sum(), [x])  # goes on: times 2
    (g_out,) = sym.grad((cr.relu(x) * c).sum(), [x])  # the kernel's value is returned
    rng = np.random.default_rng(n)
    v, w = rng.standard_normal((2, n)).astype(np.float32)
    v[:4], w[4:8] = [0.0, -0.0, np.nan, np.inf], [np.nan, np.inf, -np.inf, -0.0]
    for outs, line in ((g_on, "    _threshold_backward("), (g_out, "= _threshold_backward(")):
        f = sym.function([x, c], outs)
        _, got = _twice(f, v, w)
        assert line in f.source, f.source
        want = sym.function([x, c], sym.optimize(outs), lower=False)(v, w)
        assert got._data.tobytes() == want._data.tobytes()


def test_full_operands_are_bound_once_and_only_up_to_their_size(monkeypatch):
    x = sym.var("x", (16, 8))
    f = sym.function([x], cr.relu(cr.relu(x) * 2 - 1))
    f(np.ones((16, 8), np.float32))
    glob = next(iter(f.lowerings.values())).fn.__globals__
    fulls = [k for k in glob if k.startswith("_k") and np.shape(glob[k]) == (16, 8)]
    assert len(fulls) == 1 and f.source.count(f"_maximum(x, {fulls[0]}, out=b0)") == 1
    assert f.source.count(f"_maximum(b0, {fulls[0]})") == 1  # the output: a fresh array
    assert lower.operand(np.nan, "maximum", np.float32, (4,)).shape == ()  # NaN: 0-d
    monkeypatch.setattr(lower, "FULL_OPERAND_BYTES", 16 * 8 * 4 - 1)
    g = sym.function([x], cr.relu(x) * 2)
    g(np.ones((16, 8), np.float32))
    glob = next(iter(g.lowerings.values())).fn.__globals__
    assert all(np.shape(glob[k]) == () for k in glob if k.startswith("_k"))


@pytest.mark.parametrize("name", sorted(lower.VIEW_METHODS))
def test_every_view_method_matches_its_forward(name):
    """A view's method, as a generated line calls it, gives the forward's view: the same
    values, shape, strides and base, on C- and F-ordered and sliced arrays."""
    method, param = lower.VIEW_METHODS[name]
    rng = np.random.default_rng(3)
    a = rng.standard_normal((3, 4, 5)).astype(np.float32)
    values = {"dims": [(2, 0, 1), (0, 1, 2), (1, 0, 2), (2, 1, 0)]}[param]
    for x in (a, np.asfortranarray(a), a[:, ::2]):
        for v in values:
            want = REGISTRY[name].fwd(np, x, **{param: v})
            got = getattr(x, method)(v)
            assert got.shape == want.shape and got.strides == want.strides
            assert got.base is not None and got.base is want.base  # a view, of x's memory
            _equal(got, want, f"{name} {v}")


@pytest.mark.parametrize("dtype", [cr.float16, cr.float32, cr.float64, cr.complex128])
def test_sums_call_numpys_reduce_with_the_forwards_bits(dtype):
    """A sum of a C-ordered float array is the reduce its forward calls (in float64 for
    float32 over a strided axis, float32 for float16), with the forward's values, dtypes
    and types (a NumPy scalar for a full sum); a transposed input keeps the forward."""
    x = sym.var("x", (3, 4, 5), dtype)
    outs = [x.sum(), x.sum(dim=0), x.sum(dim=2, keepdim=True), x.sum(dim=(0, 2))]
    outs += [x.sum(dim=(1, 2)), x.sum(dim=1, keepdim=True), x.sum(dim=(0, 1, 2), keepdim=True)]
    rng = np.random.default_rng(4)
    v = rng.standard_normal((3, 4, 5)) * np.exp(rng.standard_normal((3, 4, 5)) * 4)
    v = (v + 1j * rng.standard_normal((3, 4, 5)) if dtype is cr.complex128 else v).astype(
        cr.tensor(0, dtype=dtype).numpy().dtype
    )
    f = sym.function([x], outs)
    first, got = _twice(f, v)
    want = sym.function([x], sym.optimize(outs), lower=False)(v)
    assert f.source.count("_add_reduce") == len(outs) and "_fwd_sum" not in f.source
    # float32 over a leading axis adds in float64, float16 in float32: cast back
    assert (".astype(" in f.source) == (dtype in (cr.float16, cr.float32))
    for a, b in zip(got, want, strict=True):
        assert type(a._data) is type(b._data)
        assert a._data.tobytes() == b._data.tobytes()  # bits: NumPy scalars too
    g = sym.function([x], outs)
    vt = np.ascontiguousarray(v.transpose(2, 1, 0)).transpose(2, 1, 0)  # F-ordered
    _, got = _twice(g, vt)
    assert "_fwd_sum" in g.source
    for a, b in zip(got, want, strict=True):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-3 if dtype is cr.float16 else 1e-6)


# ---------------------------------------------------------------- against the interpreter
def _chain(n, cycles, dtype=cr.float32, shape=None):
    x = sym.var("x", shape or (n,), dtype)
    y = x
    for _ in range(cycles):
        y = y * 1.0001
        y = y + 0.001
        y = cr.tanh(y)
        y = cr.exp(y)
        y = y - 1
    (g,) = sym.grad(y.sum(), [x])
    return x, y, g


def test_chain_compiled_equals_interpreter_and_eager():
    x, y, g = _chain(16, 10)
    xv = np.random.default_rng(1).standard_normal(16).astype(np.float32)
    f = sym.function([x], [y, g])
    first, second = _twice(f, xv)
    interp = sym.function([x], sym.optimize([y, g]), lower=False)(xv)
    for a, b, c in zip(first, second, interp, strict=True):
        _equal(a, c, "probe vs interpreter")
        _equal(b, c, "compiled vs interpreter")
    low = next(iter(f.lowerings.values()))
    assert low.n_forwards == 0 and low.n_out_calls == 99  # every node an out= call
    t = cr.tensor(xv, requires_grad=True)
    e = t
    for _ in range(10):
        e = cr.exp(cr.tanh(e * 1.0001 + 0.001)) - 1
    e.sum().backward()
    np.testing.assert_allclose(second[1].numpy(), t.grad.numpy(), rtol=1e-6)


def test_mlp_step_compiled_equals_interpreter():
    X = sym.var("X", (8, 6))
    Y = sym.var("Y", (8, 3))
    shapes = [(6, 5), (5,), (5, 3), (3,)]
    P = [sym.var(f"p{i}", s) for i, s in enumerate(shapes)]
    h = cr.relu(X @ P[0] + P[1])
    logits = h @ P[2] + P[3]
    logp = logits - cr.logsumexp(logits, dim=1, keepdim=True)
    loss = -(logp * Y).sum() / 8
    outs = [loss, *sym.grad(loss, P)]
    rng = np.random.default_rng(2)
    vals = [
        rng.standard_normal((8, 6)).astype(np.float32),
        np.eye(3, dtype=np.float32)[[0, 1, 2, 0, 1, 2, 0, 1]],
    ]
    vals += [rng.standard_normal(s).astype(np.float32) for s in shapes]
    f = sym.function([X, Y, *P], outs)
    _, got = _twice(f, *vals)
    want = sym.function([X, Y, *P], sym.optimize(outs), lower=False)(*vals)
    for a, b in zip(got, want, strict=True):
        _equal(a, b, "mlp")
    assert "_matmul(" in f.source and "_maximum(" in f.source
    assert ".transpose(" in f.source and "_threshold_backward(" in f.source


def _random_dag_check(prog, seed, dtype):
    shapes, steps = prog
    rng = np.random.default_rng(seed)
    np_dt = np.float32 if dtype is cr.float32 else np.float64
    arrays = [rng.uniform(-1, 1, s).astype(np_dt) for s in shapes]
    vars_ = [sym.var(f"x{i}", s, dtype) for i, s in enumerate(shapes)]
    leaves = [cr.tensor(a, requires_grad=True) for a in arrays]
    eager = run_program(steps, leaves)
    grads = cr.autograd.grad(eager, leaves, allow_unused=True)
    out = run_program(steps, vars_)
    outs = [out, *sym.grad(out, vars_)]
    f = sym.function(vars_, outs)
    _, got = _twice(f, *arrays)
    interp = sym.function(vars_, sym.optimize(outs), lower=False)(*arrays)
    for a, b in zip(got, interp, strict=True):
        _equal(a, b, "compiled vs interpreter")
    rtol = 1e-5 if dtype is cr.float32 else 1e-12
    np.testing.assert_allclose(got[0].item(), eager.item(), rtol=rtol)
    for gv, w in zip(got[1:], grads, strict=True):
        w = np.zeros(gv.shape) if w is None else w.numpy()
        np.testing.assert_allclose(gv.numpy(), w, rtol=rtol, atol=rtol)
    # new inputs of the same signature: the generated code again, still equal
    arrays2 = [rng.uniform(-1, 1, s).astype(np_dt) for s in shapes]
    got2 = f(*arrays2)
    want2 = sym.function(vars_, sym.optimize(outs), lower=False)(*arrays2)
    for a, b in zip(got2, want2, strict=True):
        _equal(a, b, "compiled vs interpreter, second inputs")
    assert len(f.lowerings) == 1


@settings(max_examples=30, deadline=None)
@given(prog=programs(), seed=st.integers(0, 1000), dtype=st.sampled_from([cr.float32, cr.float64]))
def test_random_dags_eager_vs_compiled(prog, seed, dtype):
    _random_dag_check(prog, seed, dtype)


# ---------------------------------------------------------------- buffers
def test_buffers_are_reused_along_a_chain():
    x = sym.var("x", (8,))
    y = x
    for _ in range(100):
        y = cr.tanh(y * 0.5 + 0.25)
    f = sym.function([x], [y * 2])
    f(np.ones(8, np.float32))
    low = next(iter(f.lowerings.values()))
    assert low.n_out_calls == 301
    assert low.n_buffers == 1  # every intermediate dies at its user, which takes its buffer
    x2, _, g = _chain(8, 20)
    f2 = sym.function([x2], g, remat=False)
    f2(np.ones(8, np.float32))
    low2 = next(iter(f2.lowerings.values()))
    # the backward keeps tanh's and exp's outputs (2 per cycle) and a few more
    assert low2.n_buffers < 2 * 20 + 5 < low2.n_out_calls


def test_outputs_are_fresh_arrays():
    """What a call returns is not overwritten by the next call (no buffer escapes),
    also when an output is a view (a reshape) of an intermediate."""
    x = sym.var("x", (6,))
    a = (x * 2).exp()
    outs = [a + 1, (a * 3).reshape(2, 3), (a - 1).reshape(3, 2).T]
    f = sym.function([x], outs)
    v1 = np.arange(6, dtype=np.float32) / 10
    v2 = -np.arange(6, dtype=np.float32)
    f(v1)
    r1 = [t.numpy().copy() for t in f(v1)]
    held = f(v1)
    f(v2)
    for h, r in zip(held, r1, strict=True):
        _equal(h.numpy(), r, "held output after another call")
    held2 = f(v1)
    for h, k in zip(held, held2, strict=True):
        assert not np.shares_memory(h.numpy(), k.numpy())


def test_a_view_keeps_its_buffer():
    """A forward that returns a view of a buffer (a transpose) keeps that buffer from
    being written while the view lives, though the buffer's own value is dead."""
    x = sym.var("x", (2, 3), cr.float64)
    r = (x * 2).exp().T  # exp's value dies here; r is a view of its buffer
    c = x * 3 + 1  # (2, 3) again: would take exp's buffer if it were free
    out = r + c.T
    f = sym.function([x], out)
    v = np.linspace(-1, 1, 6).reshape(2, 3)
    _, got = _twice(f, v)
    assert ".transpose(" in f.source  # permute's view, by the array's method
    _equal(got, sym.function([x], sym.optimize(out), lower=False)(v), "view of a buffer")
    np.testing.assert_allclose(got.numpy(), (np.exp(2 * v) + (3 * v + 1)).T, rtol=1e-14)


def test_buffers_kept_between_calls_or_made_per_call(monkeypatch):
    x = sym.var("x", (4,))
    f = sym.function([x], (x.exp() * 2).sin() + 1)
    f(np.ones(4, np.float32))
    low = next(iter(f.lowerings.values()))
    assert low.pooled and "_pool.pop()" in low.source
    monkeypatch.setattr(lower, "POOL_BYTES", 0)
    g = sym.function([x], (x.exp() * 2).sin() + 1)
    _, b = _twice(g, np.ones(4, np.float32))
    low = next(iter(g.lowerings.values()))
    assert not low.pooled and "_pool" not in low.source and "del b0" in low.source
    _equal(b, f(np.ones(4, np.float32)), "per call vs kept")


def test_threads_get_their_own_buffers():
    """Kept buffers are handed out one set per call in flight (popped off a list), so
    calls on several threads do not write into each other's intermediates."""
    import threading

    x = sym.var("x", (64,), cr.float64)
    y = x
    for _ in range(20):  # table forwards (Python) in between: threads switch there
        y = cr.tanh(y * 1.0001 + 0.001)
        y = y - cr.logsumexp(y, 0, keepdim=True)
    (g,) = sym.grad(y.sum(), [x])
    f = sym.function([x], [y, g])
    rng = np.random.default_rng(7)
    inputs = [rng.standard_normal(64) for _ in range(4)]
    f(inputs[0])
    want = [sym.function([x], sym.optimize([y, g]), lower=False)(v) for v in inputs]
    bad = []

    def work(k):
        for _ in range(30):
            got = f(inputs[k])
            if not all(
                np.array_equal(a.numpy(), b.numpy()) for a, b in zip(got, want[k], strict=True)
            ):
                bad.append(k)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # threads switch within calls
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        sys.setswitchinterval(interval)
    assert bad == []
    assert next(iter(f.lowerings.values())).pooled


# ---------------------------------------------------------------- the cache
def test_cache_per_signature(monkeypatch):
    calls = []
    real = compiled.lower

    def counting(*a, **k):
        calls.append(1)
        return real(*a, **k)

    monkeypatch.setattr(compiled, "lower", counting)
    x = sym.var("x", (None, 3))
    f = sym.function([x], (x * x).sum(1), remat=False)
    f(np.ones((2, 3), np.float32))
    assert len(calls) == 1 and len(f.lowerings) == 1
    low = next(iter(f.lowerings.values()))
    for k in range(3):
        _equal(f(np.full((2, 3), k, np.float32)), np.full(2, 3.0 * k * k, np.float32))
    assert len(calls) == 1 and next(iter(f.lowerings.values())) is low
    f(np.ones((5, 3), np.float32))  # a new shape: lowered again
    assert len(calls) == 2 and len(f.lowerings) == 2
    assert "float32[5, 3]" in f.source
    assert "float32[2, 3]" in f.source_for(np.ones((2, 3), np.float32))
    assert len(calls) == 2


def test_a_new_dtype_is_a_new_signature():
    x = sym.var("x", (3,), cr.float64)
    f = sym.function([x], x * 2 + 1)
    f(np.ones(3))
    f(np.ones(3))
    assert len(f.lowerings) == 1
    with pytest.raises(sym.BindError):  # a variable's dtype is fixed: bind refuses others
        f(np.ones(3, np.float32))
    y = sym.var("y", (3,), cr.float64)
    h = sym.function([y], y * 2.5)
    h(np.ones(3))
    keys = list(h.lowerings)
    assert keys[0] == ((np.ndarray, (3,), np.dtype("float64"), (8,)),)


def test_layouts_follow_the_forwards():
    """A transposed operand makes NumPy's ufuncs return F-ordered results, and reshape
    copies those but views C-ordered ones: the generated code writes into a (C-ordered)
    buffer only where the forward's result was C-ordered, and a new layout of an input is
    a new signature. Values stay the interpreter's, call after call."""
    x = sym.var("x", (3, 4), cr.float64)
    e = (x.T * 2).exp()  # F-ordered for a C-ordered x
    outs = [e.reshape(12) * 3, (e + 1).sum(0), (x * 2).reshape(4, 3).exp() + e]
    f = sym.function([x], outs)
    interp = sym.function([x], sym.optimize(outs), lower=False)
    rng = np.random.default_rng(5)
    for k in range(6):
        v = rng.standard_normal((3, 4))
        if k % 2:
            v = np.asfortranarray(v)
        for a, b in zip(f(v), interp(v), strict=True):
            _equal(a, b, f"call {k}")
    assert len(f.lowerings) == 2  # C- and F-ordered x


def test_lower_false_interprets():
    x = sym.var("x", (3,))
    f = sym.function([x], x.exp(), lower=False)
    f(np.ones(3, np.float32))
    f(np.ones(3, np.float32))
    assert f.lowerings == {}
    with pytest.raises(RuntimeError, match="nothing is lowered"):
        f.source  # noqa: B018


# ---------------------------------------------------------------- the text
def test_source_is_straight_line_python():
    x, y, g = _chain(4, 3)
    f = sym.function([x], [y, g])
    f(np.ones(4, np.float32))
    src = f.source
    tree = ast.parse(src)
    (fn,) = tree.body
    assert isinstance(fn, ast.FunctionDef) and fn.name == "lowered"
    for stmt in fn.body:
        assert isinstance(stmt, (ast.Assign, ast.Expr, ast.Delete, ast.Return)), ast.dump(stmt)
        for node in ast.walk(stmt):
            assert not isinstance(node, (ast.For, ast.While, ast.If, ast.Lambda)), src
    assert src.count("\n") > 30
    compile(src, "<test>", "exec")


def test_numbers_and_constants_are_globals():
    x = sym.var("x", (3,))
    c = cr.tensor([1.0, 2.0, 3.0])
    f = sym.function([x], (x * 1.5 + c) * 7)
    f(np.ones(3, np.float32))
    src = f.source
    numbers = [
        n.value
        for n in ast.walk(ast.parse(src))
        if isinstance(n, ast.Constant) and type(n.value) in (int, float)
    ]
    assert numbers == []
    low = next(iter(f.lowerings.values()))
    glob = low.fn.__globals__
    ks = [glob[k] for k in glob if k.startswith("_k")]
    assert any(np.asarray(k).item() == 1.5 for k in ks)
    assert any(
        isinstance(glob[k], np.ndarray) and glob[k].shape == (3,)
        for k in glob
        if k.startswith("_c")
    )


# ---------------------------------------------------------------- recomputation
def test_remat_lowers_the_peak_and_keeps_values():
    x, _, g = _chain(20000, 60, cr.float64)
    xv = np.random.default_rng(3).standard_normal(20000)
    plain = sym.function([x], g, remat=False)
    auto = sym.function([x], g)
    _, a = _twice(plain, xv)
    _, b = _twice(auto, xv)
    _equal(a, b, "recomputed vs saved")
    lp = next(iter(plain.lowerings.values()))
    la = next(iter(auto.lowerings.values()))
    assert la.remat and not lp.remat
    assert la.peak_estimate < 0.5 * lp.peak_estimate
    assert la.n_out_calls > lp.n_out_calls  # the price: recomputed forward values


def test_remat_not_chosen_where_it_does_not_pay():
    x, _, g = _chain(16, 20)
    f = sym.function([x], g)
    f(np.ones(16, np.float32))
    assert not next(iter(f.lowerings.values())).remat  # a few hundred bytes: not worth it


def test_remat_pass_values():
    x, _, g = _chain(5, 30, cr.float64)
    r = passes.remat(g, depth=6, window=8)
    assert sym.node_count(r) > sym.node_count(g)
    xv = np.linspace(-1, 1, 5)
    _equal(
        sym.function([x], r, lower=False)(xv),
        sym.function([x], g, lower=False)(xv),
        "remat pass",
    )


# ---------------------------------------------------------------- errors
def test_a_failing_call_raises_the_interpreters_error():
    a = sym.var("a", (3,), cr.int64)
    b = sym.var("b", (3,), cr.int64)
    f = sym.function([a, b], a // b + 1)
    _equal(f(np.array([4, 5, 6]), np.array([1, 2, 3])), np.array([5, 3, 3]))
    _equal(f(np.array([4, 5, 6]), np.array([2, 2, 2])), np.array([3, 3, 4]))
    with pytest.raises(RuntimeError, match="sym: evaluating floor_divide"):
        f(np.array([4, 5, 6]), np.array([1, 0, 3]))


def test_special_values_raise_no_runtime_warning():
    """inf and nan are values in generated code too, as in the forwards (checked in a
    fresh interpreter, without pytest's warning filters)."""
    code = (
        "import numpy as np, chainrule as cr\n"
        "from chainrule import sym\n"
        "x = sym.var('x', (3,), cr.float64)\n"
        "f = sym.function([x], [(x / 0).log(), x.sqrt() * 2])\n"
        "v = np.array([1.0, 0.0, -1.0])\n"
        "f(v); r = f(v)\n"
        "assert np.isnan(r[0].numpy()[1]) and np.isnan(r[1].numpy()[2])\n"
        "assert '_divide(' in f.source and '_sqrt(' in f.source\n"
        "print('ok')\n"
    )
    r = subprocess.run(
        [sys.executable, "-W", "error::RuntimeWarning", "-c", code],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )
    assert r.returncode == 0 and r.stdout.strip() == "ok", r.stderr


def test_doctests():
    for m in (lower, compiled, passes):
        assert doctest.testmod(m, optionflags=doctest.NORMALIZE_WHITESPACE).failed == 0
