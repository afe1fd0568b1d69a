"""Forward mode of the shape and indexing ops against PyTorch's forward_ad.

The same function runs on a dual tensor in both libraries (make_dual / unpack_dual);
primals, tangents and dtypes must agree: views of dual tensors (view, reshape, transpose,
x[idx] with ints, slices, arrays, masks), writes into dual tensors (``y[idx] = v``), and
cat / stack with inputs that carry no tangent. Batched tangents and cotangents (a whole
basis in one pass, as chainrule.func does) are checked against one torch pass per basis
vector, on array indices that NumPy would move to the front.
"""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
import chainrule.autograd.forward_ad as cfw
from chainrule.autograd import grad as cgrad

torch = pytest.importorskip("torch")
tfw = torch.autograd.forward_ad

RNG = np.random.default_rng(0)
X = RNG.standard_normal((2, 3, 4))
T = RNG.standard_normal((2, 3, 4))


def _lib(lib):
    return (torch, tfw) if lib == "torch" else (cr, cfw)


def _tensor(lib, a, dtype=None):
    mod, _ = _lib(lib)
    return mod.tensor(np.asarray(a), dtype=dtype if dtype is not None else mod.float64)


def _run(lib, fn, primals, tangents):
    """fn on dual tensors (a tangent of None: a plain tensor); (primal, tangent) arrays
    and dtype names of the output."""
    mod, fw = _lib(lib)
    with fw.dual_level():
        args = []
        for p, t in zip(primals, tangents, strict=True):
            x = _tensor(lib, p)
            args.append(x if t is None else fw.make_dual(x, _tensor(lib, t)))
        out = fn(mod, *args)
        p, t = fw.unpack_dual(out)
        res = (
            np.array(p.tolist()),
            None if t is None else np.array(t.tolist()),
            str(p.dtype),
            None if t is None else str(t.dtype),
        )
    return res


def _check(fn, primals, tangents):
    ours = _run("chainrule", fn, primals, tangents)
    ref = _run("torch", fn, primals, tangents)
    np.testing.assert_allclose(ours[0], ref[0])
    assert (ours[1] is None) == (ref[1] is None), (ours[1], ref[1])
    if ref[1] is not None:
        assert ours[1].shape == ref[1].shape
        np.testing.assert_allclose(ours[1], ref[1])
    assert ours[2:] == ref[2:]


MASK = X[:, :, 0] > 0

VIEWS = {
    "view": lambda m, x: x.view(6, 4),
    "view(-1)": lambda m, x: x.view(-1),
    "reshape": lambda m, x: x.reshape(4, -1),
    "reshape of transpose": lambda m, x: x.transpose(0, 2).reshape(-1),
    "flatten(1)": lambda m, x: x.flatten(1),
    "transpose": lambda m, x: x.transpose(0, 2),
    "mT": lambda m, x: x.mT,
    "permute": lambda m, x: x.permute(2, 0, 1),
    "movedim": lambda m, x: x.movedim(0, -1),
    "unsqueeze/squeeze": lambda m, x: x.unsqueeze(1).unsqueeze(-1).squeeze(),
    "expand": lambda m, x: x[:, :1].expand(5, 2, 3, 4),
    "flip": lambda m, x: x.flip([0, 2]),
    "repeat": lambda m, x: x.repeat(2, 1, 1, 2),
    "clone": lambda m, x: x.clone(),
    "contiguous": lambda m, x: x.mT.contiguous(),
    "to float32": lambda m, x: x.to(m.float32),
    "x[1]": lambda m, x: x[1],
    "x[-1, 2]": lambda m, x: x[-1, 2],
    "x[1:, ::2]": lambda m, x: x[1:, ::2],
    "x[..., 1]": lambda m, x: x[..., 1],
    "x[None, :, 1, None]": lambda m, x: x[None, :, 1, None],
    "x[int tensor]": lambda m, x: x[m.tensor([1, 0, 1])],
    "x[list]": lambda m, x: x[[0, 0, 1]],
    "x[:, int tensor]": lambda m, x: x[:, m.tensor([2, 0])],
    "x[a, b] adjacent": lambda m, x: x[m.tensor([0, 1]), m.tensor([2, 2])],
    "x[a, :, b] apart": lambda m, x: x[m.tensor([0, 1, 1]), :, m.tensor([3, 0, 1])],
    "x[0, :, a]": lambda m, x: x[0, :, m.tensor([3, 1])],
    "x[..., a]": lambda m, x: x[..., m.tensor([3, 3])],
    "x[mask]": lambda m, x: x[m.tensor(MASK)],
    "x[x > 0]": lambda m, x: x[x > 0],
    "x[:, 1][2-d mask]": lambda m, x: x[:, 1][x[:, 1] > 0],
    "split": lambda m, x: x.split(1, dim=1)[2],
    "unbind": lambda m, x: m.unbind(x, 2)[1],
    "gather": lambda m, x: m.gather(x, 2, m.tensor(np.zeros((2, 3, 2), dtype=np.int64))),
}


@pytest.mark.parametrize("name", list(VIEWS))
def test_tangent_of_view_or_index(name):
    _check(VIEWS[name], [X], [T])


# ------------------------------------------------------------------- writes (setitem)


def _write(idx, value_kind):
    def fn(m, x, v):
        y = x * 1.0
        y[idx(m)] = v if value_kind == "tensor" else 0.5
        return y * 2.0

    return fn


WRITES = {
    "y[1] = v": (lambda m: 1, (3, 4)),
    "y[:, 1:] = v (broadcast row)": (lambda m: (slice(None), slice(1, None)), (4,)),
    "y[int tensor] = v": (lambda m: m.tensor([1, 0]), (2, 3, 4)),
    "y[mask] = v (broadcast)": (lambda m: m.tensor(MASK), (1, 4)),
    "y[a, :, b] = v": (lambda m: (m.tensor([0, 1]), slice(None), m.tensor([3, 0])), (2, 3)),
    "y[..., 0] = v (scalar tensor)": (lambda m: (Ellipsis, 0), ()),
}


@pytest.mark.parametrize("name", list(WRITES))
@pytest.mark.parametrize("which", ["both dual", "value dual", "target dual", "number"])
def test_setitem_on_dual_tensor(name, which):
    idx, vshape = WRITES[name]
    v = RNG.standard_normal(vshape)
    tv = RNG.standard_normal(vshape)
    if which == "number":
        _check(_write(idx, "number"), [X, v], [T, None])
        return
    tx = T if which in ("both dual", "target dual") else None
    tvv = tv if which in ("both dual", "value dual") else None
    _check(_write(idx, "tensor"), [X, v], [tx, tvv])


def test_setitem_into_plain_tensor_makes_it_dual():
    def fn(m, v):
        y = m.zeros(3, 4, dtype=m.float64)
        y[1:, 2] = v
        return y

    _check(fn, [np.array([1.0, 2.0])], [np.array([0.5, -1.0])])


def test_setitem_value_cast_to_target_dtype():
    def fn(m, x, v):
        y = x.float() * 1.0
        y[0] = v  # a float64 dual value written into float32: the tangent is cast too
        return y

    _check(fn, [X, np.ones((3, 4))], [None, T[0]])


# ----------------------------------------------------------------- cat / stack


@pytest.mark.parametrize("op", ["cat", "stack"])
@pytest.mark.parametrize("duals", [(True, False, True), (False, True, False), (True, True, True)])
def test_cat_stack_with_inputs_without_tangent(op, duals):
    a, b, c = (RNG.standard_normal((2, 3)) for _ in range(3))
    ts = [RNG.standard_normal((2, 3)) if d else None for d in duals]

    def fn(m, *xs):
        return getattr(m, op)(xs, dim=1)

    _check(fn, [a, b, c], ts)


def test_cat_mixed_dtypes_tangent_promoted():
    def fn(m, a, b):
        return m.cat([a.float(), b], dim=0)  # float32 dual + float64 plain -> float64

    _check(fn, [X[0], X[1]], [T[0], None])


# ------------------------------------- batched tangents / cotangents vs one pass each

BATCHED = ["x[a, :, b] apart", "x[0, :, a]", "x[mask]", "x[..., a]", "x[a, b] adjacent", "gather"]


@pytest.mark.parametrize("name", BATCHED)
def test_batched_forward_matches_one_pass_per_tangent(name):
    fn = VIEWS[name]
    n = 5
    tans = RNG.standard_normal((n,) + X.shape)
    cfw.enter_dual_level((n,))
    try:
        d = cfw.make_dual(cr.tensor(X), cr.tensor(tans))
        got = cfw.unpack_dual(fn(cr, d)).tangent.numpy()
    finally:
        cfw.exit_dual_level()
    want = np.stack([_run("torch", fn, [X], [t])[1] for t in tans])
    np.testing.assert_allclose(got, want)


@pytest.mark.parametrize("name", BATCHED)
def test_batched_reverse_and_second_order_match_torch(name):
    fn = VIEWS[name]
    out_shape = tuple(fn(torch, torch.tensor(X)).shape)
    seeds = RNG.standard_normal((4,) + out_shape)
    x = cr.tensor(X, requires_grad=True)
    (g,) = cgrad(fn(cr, x), x, cr.tensor(seeds), is_grads_batched=True)
    tx = torch.tensor(X, requires_grad=True)
    (tg,) = torch.autograd.grad(fn(torch, tx), tx, torch.tensor(seeds), is_grads_batched=True)
    np.testing.assert_allclose(g.numpy(), tg.numpy())
    # the vjp's own rules (index_grad / put_along), batched: through create_graph
    s = cr.tensor(seeds[0], requires_grad=True)
    (g1,) = cgrad(fn(cr, x), x, s, create_graph=True)
    w = RNG.standard_normal((3,) + X.shape)
    (gs,) = cgrad(g1, s, cr.tensor(w), is_grads_batched=True)
    ts = torch.tensor(seeds[0], requires_grad=True)
    (tg1,) = torch.autograd.grad(fn(torch, tx), tx, ts, create_graph=True)
    (tgs,) = torch.autograd.grad(tg1, ts, torch.tensor(w), is_grads_batched=True)
    np.testing.assert_allclose(gs.numpy(), tgs.numpy())
